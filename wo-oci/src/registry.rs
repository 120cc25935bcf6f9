//! [`Registry`]: push, pull and resolve Helm charts in one OCI registry.

use std::time::Duration;

use futures::lock::Mutex;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::RegistryOperation;
use wo_core::{Error, Location, Result};
use wo_http::Secret;

use crate::chart::{self, ChartMeta, PulledManifest, OCI_MANIFEST_MEDIA_TYPE};
use crate::credentials::{
    process_env, resolve_credentials, CredentialSource, Credentials, ResolvedCredentials,
    ACR_REFRESH_TOKEN_USERNAME,
};
use crate::error::map_error_redacting;
use crate::reference::{check_host, check_repository, check_tag, invalid, OCI_SCHEME};
use crate::BACKEND;

/// Largest chart layer [`Registry::pull_chart`] downloads.
pub const MAX_CHART_BYTES: i64 = 100 << 20;

/// Manifest media types asked for when reading a tag: the OCI manifest of a chart, and the
/// others a tag may hold, so that one is refused by name rather than by a 404.
const ACCEPTED_MANIFESTS: &[&str] = &[
    OCI_MANIFEST_MEDIA_TYPE,
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// How to reach a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Speak plain HTTP instead of HTTPS (Helm's `--plain-http`), for a registry on the
    /// loopback interface or a private network without TLS. Off by default; never switched
    /// on by wo itself.
    pub plain_http: bool,
    /// The longest time to open a connection (default 10 s).
    pub connect_timeout: Option<Duration>,
    /// The longest wait for data on an open connection (default 60 s).
    pub read_timeout: Option<Duration>,
}

/// A chart pushed by [`Registry::push_chart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `oci://host/charts/shop`, what `helm pull` takes with `--version`.
    pub reference: String,
    /// The tag: the chart version.
    pub version: String,
    /// `sha256:<hex>` of the package (the chart layer).
    pub digest: String,
    /// `sha256:<hex>` of the manifest the tag names.
    pub manifest_digest: String,
    /// Whether anything was uploaded: `false` when the tag held this package already.
    pub pushed: bool,
}

/// A chart pulled by [`Registry::pull_chart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The package (`.tgz`), its digest checked.
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of [`Pulled::bytes`].
    pub digest: String,
    /// `sha256:<hex>` of the manifest.
    pub manifest_digest: String,
}

/// What a tag names, by [`Registry::resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// `sha256:<hex>` of the manifest.
    pub manifest_digest: String,
    /// `sha256:<hex>` of the chart layer.
    pub chart_digest: String,
}

/// One OCI registry holding Helm charts, with the credentials to use there.
///
/// Start with [`Registry::from_env`] (credentials found as helm and docker find them), or
/// [`Registry::new`] with explicit [`Credentials`]. Charts are named by a repository
/// (`charts/shop`, whose last part is the chart's name, as `helm push` names it) and a
/// version (the tag).
///
/// ```no_run
/// use wo_oci::{Registry, RegistryOptions};
///
/// # async fn f(package: &[u8]) -> wo_core::Result<()> {
/// let registry = Registry::from_env("oci://myacr.azurecr.io/helm", RegistryOptions::default())?;
/// eprintln!("credentials: {}", registry.credential_source());
/// let pushed = registry.push_chart("shop", "1.2.0", package).await?;
/// println!("{} {} ({})", pushed.reference, pushed.version, pushed.digest);
/// # Ok(()) }
/// ```
pub struct Registry {
    host: String,
    prefix: String,
    options: RegistryOptions,
    client: oci_client::Client,
    http: reqwest::Client,
    credentials: Credentials,
    source: CredentialSource,
    /// The refresh token of an ACR exchange, once made.
    exchanged: Mutex<Option<Secret>>,
    /// Secrets sent that are not in `credentials` (the refresh token), to redact from errors.
    sent: std::sync::Mutex<Vec<Secret>>,
    /// The (repository, push) pairs authenticated for already.
    authenticated: std::sync::Mutex<std::collections::HashSet<(String, bool)>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("host", &self.host)
            .field("prefix", &self.prefix)
            .field("options", &self.options)
            .field("credentials", &self.credentials)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A registry at `host_or_oci_prefix` (`127.0.0.1:5000`, `oci://ghcr.io/acme`: a path
    /// after the host prefixes every repository) with explicit credentials.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad host or prefix; [`Error::Backend`] when the HTTP client
    /// cannot be built.
    pub fn new(
        host_or_oci_prefix: &str,
        options: RegistryOptions,
        credentials: Credentials,
    ) -> Result<Registry> {
        Self::with_resolved(
            host_or_oci_prefix,
            options,
            ResolvedCredentials {
                credentials,
                source: CredentialSource::Explicit,
            },
        )
    }

    /// A registry whose credentials are found as helm and docker find them (see
    /// [`resolve_credentials`](crate::resolve_credentials) for the precedence), in the
    /// process environment.
    ///
    /// # Errors
    /// As [`Registry::new`], and as [`resolve_credentials`](crate::resolve_credentials).
    pub fn from_env(host_or_oci_prefix: &str, options: RegistryOptions) -> Result<Registry> {
        let (host, _) = split_host(host_or_oci_prefix)?;
        let resolved = resolve_credentials(&host, None, &process_env)?;
        Self::with_resolved(host_or_oci_prefix, options, resolved)
    }

    /// A registry with credentials resolved already.
    ///
    /// # Errors
    /// As [`Registry::new`].
    pub fn with_resolved(
        host_or_oci_prefix: &str,
        options: RegistryOptions,
        resolved: ResolvedCredentials,
    ) -> Result<Registry> {
        let (host, prefix) = split_host(host_or_oci_prefix)?;
        wo_http::install_crypto_provider();
        let config = ClientConfig {
            protocol: if options.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            connect_timeout: Some(options.connect_timeout.unwrap_or(Duration::from_secs(10))),
            read_timeout: Some(options.read_timeout.unwrap_or(Duration::from_secs(60))),
            user_agent: wo_http::USER_AGENT,
            ..ClientConfig::default()
        };
        let client = oci_client::Client::try_from(config).map_err(|e| {
            Error::backend(BACKEND, format!("building the registry client: {e}")).with_source(e)
        })?;
        let http = wo_http::HttpClientBuilder::default()
            .connect_timeout(options.connect_timeout.unwrap_or(Duration::from_secs(10)))
            .build()?;
        Ok(Registry {
            host,
            prefix,
            options,
            client,
            http,
            credentials: resolved.credentials,
            source: resolved.source,
            exchanged: Mutex::new(None),
            sent: std::sync::Mutex::new(Vec::new()),
            authenticated: std::sync::Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Where the credentials came from, for `-v` output (never the secret).
    pub fn credential_source(&self) -> &CredentialSource {
        &self.source
    }

    /// `oci://host/<prefix>/<repository>`.
    pub fn reference(&self, repository: &str) -> String {
        format!("{OCI_SCHEME}{}/{}", self.host, self.repository(repository))
    }

    fn repository(&self, repository: &str) -> String {
        if self.prefix.is_empty() {
            repository.to_string()
        } else {
            format!("{}/{repository}", self.prefix)
        }
    }

    fn target(&self, repository: &str, version: &str) -> Result<(oci_client::Reference, String)> {
        let repo = self.repository(repository);
        let what = format!("{OCI_SCHEME}{}/{repo}:{version}", self.host);
        check_repository(&repo).map_err(|m| invalid(&what, &m))?;
        check_tag(version).map_err(|m| invalid(&what, &m))?;
        let reference =
            oci_client::Reference::with_tag(self.host.clone(), repo, version.to_string());
        Ok((reference, what))
    }

    /// Pushes a chart package (`.tgz`, e.g. `wo_render::package::package`'s bytes) as a Helm
    /// chart artifact tagged `version`, the way `helm push` does: config
    /// [`HELM_CONFIG_MEDIA_TYPE`](crate::HELM_CONFIG_MEDIA_TYPE) (the JSON of `Chart.yaml`),
    /// one layer [`HELM_CHART_MEDIA_TYPE`](crate::HELM_CHART_MEDIA_TYPE), an OCI image
    /// manifest without a timestamp (the same package always gives the same manifest digest).
    ///
    /// # Contract
    /// - Idempotent: when the tag already names a chart layer with this package's digest,
    ///   nothing is uploaded and [`Pushed::pushed`] is `false`.
    /// - Versions are immutable: when the tag names a different chart, nothing is uploaded and
    ///   the push fails. (Two pushes racing for a new tag are not detected: the registry keeps
    ///   the last.)
    /// - `repository`'s last part must be the chart's `name` and `version` its `version`, so
    ///   that `helm pull oci://host/<repository> --version <version>` finds it.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a package that is not a chart or does not match `repository` /
    /// `version`, or a bad repository or tag; [`Error::AlreadyExists`] naming both digests when
    /// the tag holds another chart; the [registry errors](crate::map_error) otherwise.
    pub async fn push_chart(
        &self,
        repository: &str,
        version: &str,
        package: &[u8],
    ) -> Result<Pushed> {
        let (reference, what) = self.target(repository, version)?;
        let meta = chart::chart_meta(package)?;
        check_matches(&meta, &reference, version, &what)?;
        let digest = chart::sha256_digest(package);
        let untagged = self.reference(repository);
        if let Some(existing) = self.resolve(repository, version).await? {
            if existing.chart_digest == digest {
                return Ok(Pushed {
                    reference: untagged,
                    version: version.to_string(),
                    digest,
                    manifest_digest: existing.manifest_digest,
                    pushed: false,
                });
            }
            return Err(Error::already_exists(format!(
                "{what} holds chart {} already, not this package {digest}; a version is never \
                 pushed twice with different content: package a new version",
                existing.chart_digest
            ))
            .with_backend(BACKEND)
            .with_repository(untagged.clone())
            .with_reference(version.to_string()));
        }
        let manifest = chart::manifest(&meta, package);
        self.auth(&reference, RegistryOperation::Push, &what)
            .await?;
        for (bytes, blob) in [(&meta.config[..], "config"), (package, "chart")] {
            let blob_digest = chart::sha256_digest(bytes);
            let exists = self
                .client
                .blob_exists(&reference, &blob_digest)
                .await
                .map_err(|e| self.fail(e, &format!("check {blob} blob"), &what))?;
            if !exists {
                self.client
                    .push_blob(&reference, bytes.to_vec(), &blob_digest)
                    .await
                    .map_err(|e| self.fail(e, &format!("push {blob} blob"), &what))?;
            }
        }
        self.client
            .push_manifest_raw(
                &reference,
                manifest.clone(),
                reqwest::header::HeaderValue::from_static(OCI_MANIFEST_MEDIA_TYPE),
            )
            .await
            .map_err(|e| self.fail(e, "push manifest", &what))?;
        Ok(Pushed {
            reference: untagged,
            version: version.to_string(),
            digest,
            manifest_digest: chart::sha256_digest(&manifest),
            pushed: true,
        })
    }

    /// What the tag `version` of `repository` names, or `None` when the repository or the tag
    /// does not exist.
    ///
    /// # Errors
    /// [`Error::Rejected`] naming the media type when the tag names something other than a
    /// Helm chart; the [registry errors](crate::map_error) otherwise.
    pub async fn resolve(&self, repository: &str, version: &str) -> Result<Option<Resolved>> {
        match self.manifest(repository, version).await {
            Ok((_, layer, manifest_digest)) => Ok(Some(Resolved {
                manifest_digest,
                chart_digest: layer.digest,
            })),
            Err(e) if e.kind() == wo_core::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Pulls the chart tagged `version` of `repository`; its bytes are checked against the
    /// layer's digest and size.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the repository or tag does not exist; [`Error::Rejected`]
    /// naming the media type when the tag names something other than a Helm chart, or a layer
    /// larger than [`MAX_CHART_BYTES`]; [`Error::Backend`] when the bytes do not match the
    /// digest; the [registry errors](crate::map_error) otherwise.
    pub async fn pull_chart(&self, repository: &str, version: &str) -> Result<Pulled> {
        let (reference, what) = self.target(repository, version)?;
        let (_, layer, manifest_digest) = self.manifest(repository, version).await?;
        if layer.size < 0 || layer.size > MAX_CHART_BYTES {
            return Err(Error::rejected(
                BACKEND,
                format!(
                    "{what}: the chart layer is {} bytes, larger than {MAX_CHART_BYTES}",
                    layer.size
                ),
            ));
        }
        let descriptor = oci_client::manifest::OciDescriptor {
            media_type: layer.media_type.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            ..Default::default()
        };
        let mut bytes = Vec::with_capacity(layer.size as usize);
        self.client
            .pull_blob(&reference, &descriptor, &mut bytes)
            .await
            .map_err(|e| self.fail(e, "pull chart blob", &what))?;
        let digest = chart::sha256_digest(&bytes);
        if digest != layer.digest || bytes.len() as i64 != layer.size {
            return Err(Error::backend(
                BACKEND,
                format!(
                    "{what}: the chart layer does not match its descriptor: {digest} ({} bytes), \
                     expected {} ({} bytes)",
                    bytes.len(),
                    layer.digest,
                    layer.size
                ),
            ));
        }
        Ok(Pulled {
            bytes,
            digest,
            manifest_digest,
        })
    }

    /// A registry error, with the secrets this registry sends redacted.
    fn fail(
        &self,
        e: oci_client::errors::OciDistributionError,
        operation: &str,
        what: &str,
    ) -> Error {
        let mut secrets = self.sent.lock().map(|s| s.clone()).unwrap_or_default();
        if let Credentials::Basic { password, .. } = &self.credentials {
            secrets.push(password.clone());
        }
        map_error_redacting(e, operation, what, &secrets)
    }

    /// The manifest of a tag, checked to be a Helm chart's, with its chart layer and digest.
    async fn manifest(
        &self,
        repository: &str,
        version: &str,
    ) -> Result<(PulledManifest, chart::Descriptor, String)> {
        let (reference, what) = self.target(repository, version)?;
        self.auth(&reference, RegistryOperation::Pull, &what)
            .await?;
        let (body, digest) = self
            .client
            .pull_manifest_raw(&reference, &self.stored_auth().await?, ACCEPTED_MANIFESTS)
            .await
            .map_err(|e| self.fail(e, "pull manifest", &what))?;
        let (manifest, layer) = PulledManifest::parse(&body, &what)?;
        Ok((manifest, layer, digest))
    }

    /// Authenticates for `operation` on a repository (answering a bearer challenge when the
    /// registry makes one), the first time only: the client keeps the token and gets a new one
    /// itself when it expires. Done explicitly so that a refused login fails with the token
    /// endpoint's answer rather than as an anonymous request's 401.
    async fn auth(
        &self,
        reference: &oci_client::Reference,
        operation: RegistryOperation,
        what: &str,
    ) -> Result<()> {
        let key = (
            reference.repository().to_string(),
            matches!(operation, RegistryOperation::Push),
        );
        if self
            .authenticated
            .lock()
            .is_ok_and(|done| done.contains(&key))
        {
            return Ok(());
        }
        let auth = self.stored_auth().await?;
        self.client
            .auth(reference, &auth, operation)
            .await
            .map_err(|e| self.fail(e, "authenticate", what))?;
        if let Ok(mut done) = self.authenticated.lock() {
            done.insert(key);
        }
        Ok(())
    }

    /// The credentials as oci-client takes them; an ACR exchange is made once.
    async fn stored_auth(&self) -> Result<RegistryAuth> {
        Ok(match &self.credentials {
            Credentials::Anonymous => RegistryAuth::Anonymous,
            Credentials::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.expose().to_string())
            }
            Credentials::AzureExchange(source) => {
                let mut exchanged = self.exchanged.lock().await;
                let refresh = match &*exchanged {
                    Some(token) => token.clone(),
                    None => {
                        let entra = source.access_token().await?;
                        let token = self.acr_exchange(&entra).await?;
                        *exchanged = Some(token.clone());
                        if let Ok(mut sent) = self.sent.lock() {
                            sent.push(token.clone());
                        }
                        token
                    }
                };
                RegistryAuth::Basic(
                    ACR_REFRESH_TOKEN_USERNAME.to_string(),
                    refresh.expose().to_string(),
                )
            }
        })
    }

    /// Azure Container Registry's exchange of an Entra access token for a refresh token:
    /// `POST /oauth2/exchange` with `grant_type=access_token`, as `az acr login` does.
    async fn acr_exchange(&self, entra: &Secret) -> Result<Secret> {
        let scheme = if self.options.plain_http {
            "http"
        } else {
            "https"
        };
        let url = format!("{scheme}://{}/oauth2/exchange", self.host);
        let operation = "POST /oauth2/exchange";
        let fail = |e: Error| {
            e.with_backend(BACKEND)
                .with_operation(operation)
                .with_repository(self.host.clone())
        };
        let response = self
            .http
            .post(&url)
            .timeout(Duration::from_secs(60))
            .form(&[
                ("grant_type", "access_token"),
                ("service", self.host.as_str()),
                ("access_token", entra.expose()),
            ])
            .send()
            .await
            .map_err(|e| {
                let retry = e.is_timeout() || e.is_connect();
                fail(
                    Error::backend(
                        BACKEND,
                        format!(
                            "exchanging the Entra token at {url}: {}",
                            wo_http::scrub(&e.to_string())
                        ),
                    )
                    .retryable(retry),
                )
            })?;
        let status = response.status();
        let body = wo_http::read_body(response, 1 << 20).await.map_err(|e| {
            fail(Error::backend(
                BACKEND,
                format!("reading the answer of {url}: {e}"),
            ))
        })?;
        let said = || {
            let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            entra.redact(&wo_http::scrub(&text))
        };
        if !status.is_success() {
            let message = format!("{url} answered {status}: {}", said());
            return Err(fail(match status.as_u16() {
                400 | 401 => Error::unauthenticated(
                    BACKEND,
                    format!(
                        "the registry refused the Entra token ({message}); the identity needs an \
                         AcrPull/AcrPush role on {}",
                        self.host
                    ),
                ),
                403 => Error::permission_denied(BACKEND, message),
                404 => Error::unsupported(format!(
                    "{} has no /oauth2/exchange: the Entra exchange is Azure Container \
                     Registry's ({message})",
                    self.host
                )),
                c => Error::backend(BACKEND, message).retryable(c == 429 || c >= 500),
            }));
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            refresh_token: String,
        }
        let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
            fail(Error::backend(
                BACKEND,
                format!("{url} answered without a refresh_token"),
            ))
        })?;
        Ok(Secret::new(answer.refresh_token))
    }
}

/// Host and repository prefix of `127.0.0.1:5000`, `oci://ghcr.io/acme`.
fn split_host(text: &str) -> Result<(String, String)> {
    let rest = text.strip_prefix(OCI_SCHEME).unwrap_or(text);
    let rest = rest.trim_end_matches('/');
    let (host, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    check_host(host).map_err(|m| invalid(text, &m))?;
    if !prefix.is_empty() {
        check_repository(prefix).map_err(|m| invalid(text, &m))?;
    }
    Ok((host.to_string(), prefix.to_string()))
}

/// The package is the chart the reference names: its name is the repository's last part, its
/// version the tag.
fn check_matches(
    meta: &ChartMeta,
    reference: &oci_client::Reference,
    version: &str,
    what: &str,
) -> Result<()> {
    let last = reference
        .repository()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let at = |key: &str, m: String| {
        Error::invalid(
            Location::file("<chart package>/Chart.yaml").with_key(key),
            m,
        )
    };
    if meta.name != last {
        return Err(at(
            "name",
            format!(
                "the chart is `{}` but {what} names `{last}`; helm looks a chart up by its name \
                 (push it to a repository ending in /{})",
                meta.name, meta.name
            ),
        ));
    }
    if meta.version != version {
        return Err(at(
            "version",
            format!(
                "the chart's version is `{}` but {what} is tagged `{version}`; the tag is the \
                 chart version",
                meta.version
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_prefixes_split() {
        let cases = [
            ("127.0.0.1:5000", ("127.0.0.1:5000", "")),
            ("oci://127.0.0.1:5000", ("127.0.0.1:5000", "")),
            ("oci://ghcr.io/acme/", ("ghcr.io", "acme")),
            (
                "myacr.azurecr.io/helm/charts",
                ("myacr.azurecr.io", "helm/charts"),
            ),
        ];
        for (text, (host, prefix)) in cases {
            let (h, p) = split_host(text).unwrap();
            assert_eq!((h.as_str(), p.as_str()), (host, prefix), "{text}");
        }
        for bad in ["", "oci://", "https://ghcr.io", "ghcr.io/Acme"] {
            assert!(split_host(bad).unwrap_err().is_invalid_input(), "{bad}");
        }
    }

    #[test]
    fn registries_name_repositories_under_their_prefix_and_hide_secrets() {
        let r = Registry::new(
            "oci://127.0.0.1:5000/charts",
            RegistryOptions {
                plain_http: true,
                ..Default::default()
            },
            Credentials::basic("u", "hunter2-pass"),
        )
        .unwrap();
        assert_eq!(r.reference("shop"), "oci://127.0.0.1:5000/charts/shop");
        assert_eq!(r.credential_source(), &CredentialSource::Explicit);
        let debug = format!("{r:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let e = r.target("shop", "1.0.0+x").unwrap_err().to_string();
        assert!(e.contains("`+`"), "{e}");
    }
}
