//! Who wo is to a registry: anonymous, a username and password, or an Entra token exchanged
//! for an Azure Container Registry refresh token; and where those came from.
//!
//! [`resolve_credentials`] says where they are looked for, in which order.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine as _;
use wo_core::{Error, Location, Result};
use wo_http::Secret;

use crate::BACKEND;

/// The variable of the username (with [`PASSWORD_VAR`]).
pub const USERNAME_VAR: &str = "WO_REGISTRY_USERNAME";
/// The variable of the password (with [`USERNAME_VAR`]).
pub const PASSWORD_VAR: &str = "WO_REGISTRY_PASSWORD";
/// The username Azure Container Registry expects with a refresh token (what `az acr login`
/// uses).
pub const ACR_REFRESH_TOKEN_USERNAME: &str = "00000000-0000-0000-0000-000000000000";
/// The username sent with an `identitytoken` of a config entry that has no username.
pub const IDENTITY_TOKEN_USERNAME: &str = "<token>";

/// A future that yields an Entra (Azure AD) access token.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Secret>> + Send + 'a>>;

/// Something that yields an Entra access token for Azure Container Registry (audience
/// `https://containerregistry.azure.net`, or ARM's `https://management.azure.com`), such as
/// wo-azure's credential. A closure `Fn() -> TokenFuture<'static>` is one.
pub trait EntraToken: Send + Sync {
    /// A current access token.
    ///
    /// # Errors
    /// Whatever getting the token fails with (typically [`Error::Unauthenticated`]).
    fn access_token(&self) -> TokenFuture<'_>;
}

impl<F> EntraToken for F
where
    F: Fn() -> TokenFuture<'static> + Send + Sync,
{
    fn access_token(&self) -> TokenFuture<'_> {
        self()
    }
}

/// How wo authenticates to a registry.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials (public registries, an open test registry). A registry that asks for a
    /// bearer token still gets an anonymous token request.
    Anonymous,
    /// A username and password (or a token used as one). Sent as HTTP basic auth to a
    /// registry that asks for it, or to the token endpoint of a bearer challenge.
    Basic {
        /// The username.
        username: String,
        /// The password or token.
        password: Secret,
    },
    /// Azure Container Registry's exchange: the Entra access token is posted to
    /// `https://<registry>/oauth2/exchange` for a refresh token, which is then used as the
    /// password of [`ACR_REFRESH_TOKEN_USERNAME`] (as `az acr login` does). The Entra token
    /// itself never reaches `/v2/`.
    AzureExchange(Arc<dyn EntraToken>),
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Credentials {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// ACR exchange credentials from a source of Entra tokens.
    pub fn azure_exchange(source: impl EntraToken + 'static) -> Credentials {
        Credentials::AzureExchange(Arc::new(source))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, password } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", password)
                .finish(),
            Credentials::AzureExchange(_) => f.write_str("AzureExchange(<entra token source>)"),
        }
    }
}

/// Where the credentials of a registry came from (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// Passed by the caller.
    Explicit,
    /// `WO_REGISTRY_USERNAME` / `WO_REGISTRY_PASSWORD`.
    Environment,
    /// An `auths` entry of Helm's registry config.
    HelmConfig(PathBuf),
    /// An `auths` entry of Docker's config.
    DockerConfig(PathBuf),
    /// `docker-credential-<helper>`, named by a config file.
    CredentialHelper {
        /// The helper (`desktop`, `pass`, `acr-env`, …).
        helper: String,
        /// The config file that names it.
        config: PathBuf,
    },
    /// None found.
    Anonymous,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Explicit => f.write_str("credentials given explicitly"),
            CredentialSource::Environment => {
                write!(f, "environment ({USERNAME_VAR}, {PASSWORD_VAR})")
            }
            CredentialSource::HelmConfig(p) => write!(f, "Helm registry config {}", p.display()),
            CredentialSource::DockerConfig(p) => write!(f, "Docker config {}", p.display()),
            CredentialSource::CredentialHelper { helper, config } => write!(
                f,
                "credential helper docker-credential-{helper} (named by {})",
                config.display()
            ),
            CredentialSource::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// Credentials with where they came from.
#[derive(Debug, Clone)]
pub struct ResolvedCredentials {
    /// The credentials.
    pub credentials: Credentials,
    /// Where they came from.
    pub source: CredentialSource,
}

/// The environment [`resolve_credentials`] reads: a variable lookup (the process environment
/// by default; a map in tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as an [`Env`]: a variable that is unset or empty is `None`.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The credentials for `host` (`host[:port]`), found as helm, docker and az find them.
///
/// # Precedence
///
/// The first that applies is taken, as helm, docker and az do:
///
/// 1. **explicit**: credentials the caller passes (a flag, a library call);
/// 2. **environment**: `WO_REGISTRY_USERNAME` and `WO_REGISTRY_PASSWORD` (both, or neither);
/// 3. **Helm's registry config**: `$HELM_REGISTRY_CONFIG`, else
///    `~/.config/helm/registry/config.json` (what `helm registry login` writes);
/// 4. **Docker's config**: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`;
/// 5. **anonymous**.
///
/// In both config files an entry of `auths` is found by the registry host (also as
/// `https://host`, `http://host` or `host/v2/`, as Docker writes them); it holds `auth`
/// (base64 of `user:password`) or `username` and `password`, or `identitytoken` (a refresh
/// token: sent as the password, with the entry's username or `<token>`). A `credHelpers`
/// entry for the host comes before `auths`; `credsStore` after an `auths` entry with
/// credentials (Docker leaves the entry empty when the store holds the secret). Either names
/// a helper: wo runs `docker-credential-<helper> get` with the host on stdin and reads
/// `{"Username": …, "Secret": …}` from stdout, as Docker does.
///
/// [`CredentialSource`] names which one was used, never the secret, for `-v` output.
///
/// # Errors
/// [`Error::Invalid`] when only one of the two variables is set, or a config file is not
/// JSON of the expected shape (naming the file); [`Error::Io`] when a config file exists but
/// cannot be read; [`Error::Unauthenticated`] when a credential helper fails (naming it).
pub fn resolve_credentials(
    host: &str,
    explicit: Option<Credentials>,
    env: Env<'_>,
) -> Result<ResolvedCredentials> {
    if let Some(credentials) = explicit {
        return Ok(ResolvedCredentials {
            credentials,
            source: CredentialSource::Explicit,
        });
    }
    match (env(USERNAME_VAR), env(PASSWORD_VAR)) {
        (Some(username), Some(password)) => {
            return Ok(ResolvedCredentials {
                credentials: Credentials::basic(username, password),
                source: CredentialSource::Environment,
            })
        }
        (None, None) => {}
        (u, _) => {
            let (set, unset) = if u.is_some() {
                (USERNAME_VAR, PASSWORD_VAR)
            } else {
                (PASSWORD_VAR, USERNAME_VAR)
            };
            return Err(Error::invalid(
                Location::file("<environment>").with_key(unset),
                format!("{set} is set but {unset} is not; set both, or neither"),
            ));
        }
    }
    let home = env("HOME").map(PathBuf::from);
    let helm = env("HELM_REGISTRY_CONFIG").map(PathBuf::from).or_else(|| {
        home.as_ref()
            .map(|h| h.join(".config/helm/registry/config.json"))
    });
    let docker = env("DOCKER_CONFIG")
        .map(|d| PathBuf::from(d).join("config.json"))
        .or_else(|| home.as_ref().map(|h| h.join(".docker/config.json")));
    for (path, helm_file) in [(helm, true), (docker, false)] {
        let Some(path) = path else { continue };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        match find_auth(&path, &text, host)? {
            Some(Found::Credentials(credentials)) => {
                let source = if helm_file {
                    CredentialSource::HelmConfig(path)
                } else {
                    CredentialSource::DockerConfig(path)
                };
                return Ok(ResolvedCredentials {
                    credentials,
                    source,
                });
            }
            Some(Found::Helper(helper)) => {
                let credentials = run_credential_helper(&helper, host, &helper_program(&helper))?;
                return Ok(ResolvedCredentials {
                    credentials,
                    source: CredentialSource::CredentialHelper {
                        helper,
                        config: path,
                    },
                });
            }
            None => {}
        }
    }
    Ok(ResolvedCredentials {
        credentials: Credentials::Anonymous,
        source: CredentialSource::Anonymous,
    })
}

/// What a config file holds for a host.
#[derive(Debug)]
pub(crate) enum Found {
    Credentials(Credentials),
    Helper(String),
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: std::collections::BTreeMap<String, String>,
}

#[derive(serde::Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// Largest config file read (a config file is a few kilobytes).
const MAX_CONFIG_BYTES: usize = 1 << 20;

/// The entry of Helm's or Docker's config file `path` (its text `text`) for `host`.
pub(crate) fn find_auth(path: &Path, text: &str, host: &str) -> Result<Option<Found>> {
    let file = path.display().to_string();
    let bad = |message: String| Error::invalid(Location::file(file.clone()), message);
    if text.len() > MAX_CONFIG_BYTES {
        return Err(bad(format!(
            "the registry credentials file is larger than {MAX_CONFIG_BYTES} bytes"
        )));
    }
    let config: ConfigFile = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "not a registry credentials file ({{\"auths\": {{\"<host>\": {{\"auth\": …}}}}}}): \
             line {}, column {}: {}",
            e.line(),
            e.column(),
            // serde_json's message quotes at most a short piece of the input; the secret-shaped
            // parts are scrubbed all the same.
            wo_http::scrub(&e.to_string())
        ))
    })?;
    let keys = [
        host.to_string(),
        format!("https://{host}"),
        format!("http://{host}"),
        format!("https://{host}/v1/"),
        format!("https://{host}/v2/"),
        format!("{host}/v2/"),
    ];
    if let Some(helper) = config.cred_helpers.get(host) {
        return Ok(Some(Found::Helper(helper.clone())));
    }
    let entry = keys
        .iter()
        .find_map(|k| config.auths.get(k).map(|e| (k, e)));
    if let Some((key, entry)) = entry {
        let at = |m: &str| {
            Error::invalid(
                Location::file(file.clone()).with_key(format!("auths.{key}")),
                m.to_string(),
            )
        };
        if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            let username = entry
                .username
                .clone()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| IDENTITY_TOKEN_USERNAME.to_string());
            return Ok(Some(Found::Credentials(Credentials::basic(
                username, token,
            ))));
        }
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| at("`auth` is not base64 (of `username:password`)"))?;
            let decoded = String::from_utf8(decoded)
                .map_err(|_| at("`auth` does not decode to UTF-8 text"))?;
            let Some((username, password)) = decoded.split_once(':') else {
                return Err(at("`auth` does not decode to `username:password`"));
            };
            return Ok(Some(Found::Credentials(Credentials::basic(
                username, password,
            ))));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Found::Credentials(Credentials::basic(
                u.clone(),
                p.clone(),
            ))));
        }
        // An empty entry (Docker writes `{}` for hosts whose secret sits in credsStore).
    }
    if let Some(store) = config.creds_store.filter(|s| !s.is_empty()) {
        return Ok(Some(Found::Helper(store)));
    }
    Ok(None)
}

/// `docker-credential-<helper>`.
pub(crate) fn helper_program(helper: &str) -> PathBuf {
    PathBuf::from(format!("docker-credential-{helper}"))
}

/// Runs `program get` with `host` on stdin; the answer is `{"Username", "Secret"}`.
pub(crate) fn run_credential_helper(
    helper: &str,
    host: &str,
    program: &Path,
) -> Result<Credentials> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let name = format!("docker-credential-{helper}");
    let fail = |message: String| {
        Error::unauthenticated(
            BACKEND,
            format!("credential helper {name} for {host}: {message}"),
        )
    };
    if !helper
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(fail(
            "not a helper name (letters, digits, `-`, `_`, `.`)".into(),
        ));
    }
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            fail(format!(
                "cannot run it ({e}); install it, or log in with `helm registry login {host}`, \
                 or set {USERNAME_VAR} and {PASSWORD_VAR}"
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading fails below with its own message.
        let _ = stdin.write_all(host.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("waiting for it: {e}")))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let said: String = [said, err]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(fail(format!(
            "it failed ({}): {}",
            out.status,
            wo_http::scrub(&said.chars().take(300).collect::<String>())
        )));
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        username: String,
        secret: String,
    }
    let answer: Answer = serde_json::from_slice(&out.stdout).map_err(|e| {
        fail(format!(
            "its answer is not {{\"Username\": …, \"Secret\": …}} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    Ok(Credentials::basic(answer.username, answer.secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn basic(found: Option<Found>) -> (String, String) {
        match found {
            Some(Found::Credentials(Credentials::Basic { username, password })) => {
                (username, password.expose().to_string())
            }
            other => panic!("not basic credentials: {other:?}"),
        }
    }

    const HOST: &str = "127.0.0.1:5000";

    #[test]
    fn config_entries_give_credentials() {
        let p = Path::new("/cfg/config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("u:p:with:colons");
        let cases = [
            (
                format!(r#"{{"auths":{{"{HOST}":{{"auth":"{auth}"}}}}}}"#),
                "u",
                "p:with:colons",
            ),
            (
                format!(r#"{{"auths":{{"https://{HOST}":{{"username":"a","password":"b"}}}}}}"#),
                "a",
                "b",
            ),
            (
                format!(r#"{{"auths":{{"{HOST}":{{"identitytoken":"rt"}}}}}}"#),
                IDENTITY_TOKEN_USERNAME,
                "rt",
            ),
            (
                format!(
                    r#"{{"auths":{{"{HOST}":{{"username":"{ACR_REFRESH_TOKEN_USERNAME}","identitytoken":"rt","auth":"{auth}"}}}}}}"#
                ),
                ACR_REFRESH_TOKEN_USERNAME,
                "rt",
            ),
            (
                format!(r#"{{"auths":{{"{HOST}/v2/":{{"auth":"{auth}"}}}}, "extra": 1}}"#),
                "u",
                "p:with:colons",
            ),
        ];
        for (text, u, pw) in cases {
            let got = basic(find_auth(p, &text, HOST).unwrap());
            assert_eq!(got, (u.to_string(), pw.to_string()), "{text}");
        }
    }

    #[test]
    fn other_hosts_and_empty_files_give_nothing_and_helpers_are_named() {
        let p = Path::new("/cfg/config.json");
        assert!(find_auth(p, "{}", HOST).unwrap().is_none());
        let other = r#"{"auths":{"ghcr.io":{"auth":"dTpw"}}}"#;
        assert!(find_auth(p, other, HOST).unwrap().is_none());
        let store = format!(r#"{{"auths":{{"{HOST}":{{}}}},"credsStore":"desktop"}}"#);
        assert!(
            matches!(find_auth(p, &store, HOST).unwrap(), Some(Found::Helper(h)) if h == "desktop")
        );
        let helpers = format!(
            r#"{{"auths":{{"{HOST}":{{"auth":"dTpw"}}}},"credHelpers":{{"{HOST}":"acr-env"}}}}"#
        );
        assert!(
            matches!(find_auth(p, &helpers, HOST).unwrap(), Some(Found::Helper(h)) if h == "acr-env")
        );
    }

    #[test]
    fn malformed_config_files_are_refused_naming_the_file() {
        let p = Path::new("/home/u/.docker/config.json");
        let cases = [
            ("not json", "line 1"),
            (r#"{"auths": []}"#, "not a registry credentials file"),
            (r#"{"auths": {"127.0.0.1:5000": {"auth": 3}}}"#, "line 1"),
            (
                r#"{"auths": {"127.0.0.1:5000": {"auth": "!!!"}}}"#,
                "not base64",
            ),
            (
                r#"{"auths": {"127.0.0.1:5000": {"auth": "bm9jb2xvbg=="}}}"#,
                "username:password",
            ),
            (
                r#"{"auths": {"127.0.0.1:5000": {"auth": "/w=="}}}"#,
                "UTF-8",
            ),
        ];
        for (text, needle) in cases {
            let e = find_auth(p, text, HOST).expect_err(text);
            let m = e.to_string();
            assert!(e.is_invalid_input(), "{m}");
            assert!(m.contains("/home/u/.docker/config.json"), "{m}");
            assert!(m.contains(needle), "{text}: {m}");
        }
        let huge = format!("{{\"x\": \"{}\"}}", "a".repeat(MAX_CONFIG_BYTES));
        assert!(find_auth(p, &huge, HOST)
            .unwrap_err()
            .to_string()
            .contains("larger"));
        // The password of an entry that fails to parse does not reach the message.
        let leaky = r#"{"auths": {"h": {"password": "hunter2-secret", "auth": 7}}}"#;
        assert!(!find_auth(p, leaky, "h")
            .unwrap_err()
            .to_string()
            .contains("hunter2"));
    }

    fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn precedence_is_explicit_env_helm_docker_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        let helm = dir.path().join("helm.json");
        let docker_dir = dir.path().join("docker");
        std::fs::create_dir_all(&docker_dir).unwrap();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        std::fs::write(
            &helm,
            format!(r#"{{"auths":{{"{HOST}":{{"auth":"{}"}}}}}}"#, b64("h:hp")),
        )
        .unwrap();
        std::fs::write(
            docker_dir.join("config.json"),
            format!(
                r#"{{"auths":{{"{HOST}":{{"auth":"{}"}}, "other:1":{{"auth":"{}"}}}}}}"#,
                b64("d:dp"),
                b64("o:op")
            ),
        )
        .unwrap();
        let all = [
            ("HELM_REGISTRY_CONFIG", helm.display().to_string()),
            ("DOCKER_CONFIG", docker_dir.display().to_string()),
            (USERNAME_VAR, "e".to_string()),
            (PASSWORD_VAR, "ep".to_string()),
        ];
        let user = |r: &ResolvedCredentials| match &r.credentials {
            Credentials::Basic { username, .. } => username.clone(),
            c => format!("{c:?}"),
        };

        let env = env_of(&all);
        let r = resolve_credentials(HOST, Some(Credentials::basic("x", "xp")), &env).unwrap();
        assert_eq!(
            (user(&r), r.source),
            ("x".into(), CredentialSource::Explicit)
        );
        let r = resolve_credentials(HOST, None, &env).unwrap();
        assert_eq!(
            (user(&r), r.source),
            ("e".into(), CredentialSource::Environment)
        );
        let env = env_of(&all[..2]);
        let r = resolve_credentials(HOST, None, &env).unwrap();
        assert_eq!(
            (user(&r), r.source.clone()),
            ("h".into(), CredentialSource::HelmConfig(helm.clone()))
        );
        assert!(r.source.to_string().contains("helm.json"));
        let r = resolve_credentials("other:1", None, &env).unwrap();
        let docker_file = docker_dir.join("config.json");
        assert_eq!(
            (user(&r), r.source),
            ("o".into(), CredentialSource::DockerConfig(docker_file))
        );
        let r = resolve_credentials("nowhere:1", None, &env).unwrap();
        assert_eq!(
            (user(&r), r.source),
            ("Anonymous".into(), CredentialSource::Anonymous)
        );

        // HOME is the fallback of both files; missing files are skipped.
        let env = env_of(&[("HOME", dir.path().display().to_string())]);
        let r = resolve_credentials(HOST, None, &env).unwrap();
        assert_eq!(r.source, CredentialSource::Anonymous);

        let env = env_of(&[(USERNAME_VAR, "e".to_string())]);
        let e = resolve_credentials(HOST, None, &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains(PASSWORD_VAR) && e.contains("set both"), "{e}");
    }

    #[test]
    fn a_credential_helper_is_run_with_the_host_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-test");
        std::fs::write(
            &helper,
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread host\n\
             printf '{\"ServerURL\":\"%s\",\"Username\":\"hu\",\"Secret\":\"hs-%s\"}' \"$host\" \"$host\"\n",
        )
        .unwrap();
        let failing = dir.path().join("docker-credential-failing");
        std::fs::write(
            &failing,
            "#!/bin/sh\necho 'credentials not found in native keychain' >&2\nexit 1\n",
        )
        .unwrap();
        for f in [&helper, &failing] {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        match run_credential_helper("test", HOST, &helper).unwrap() {
            Credentials::Basic { username, password } => {
                assert_eq!(
                    (username.as_str(), password.expose()),
                    ("hu", "hs-127.0.0.1:5000")
                );
            }
            c => panic!("{c:?}"),
        }
        let e = run_credential_helper("failing", HOST, &failing).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("docker-credential-failing") && m.contains("native keychain"),
            "{m}"
        );
        let missing =
            run_credential_helper("nope", HOST, &dir.path().join("docker-credential-nope"));
        let m = missing.unwrap_err().to_string();
        assert!(
            m.contains("docker-credential-nope") && m.contains("helm registry login"),
            "{m}"
        );
        let m = run_credential_helper("../x", HOST, &helper)
            .unwrap_err()
            .to_string();
        assert!(m.contains("not a helper name"), "{m}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = Credentials::basic("user", "hunter2-password");
        let text = format!("{c:?}");
        assert!(text.contains("user") && !text.contains("hunter2"), "{text}");
        let r = ResolvedCredentials {
            credentials: c,
            source: CredentialSource::Environment,
        };
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
