//! Where an installation's charts come from: [`ChartSource`], the anonymous OCI pull
//! [`OciHttpSource`], and the `.tgz` a source hands back read into a wo-core [`Chart`].

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use wo_core::ports::{Chart, ChartRef, ChartRegistry};

/// The media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The media type of a Helm chart's content layer (the `.tgz`).
pub const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// The media type of a Helm chart's config blob (`Chart.yaml` as JSON).
pub const HELM_CHART_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";

/// The largest chart archive pulled or unpacked (bytes), and the largest total of its files.
pub const MAX_CHART_BYTES: usize = 64 * 1024 * 1024;

/// A chart pulled from a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledChart {
    /// The `.tgz` (the chart's content layer).
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of [`PulledChart::bytes`], the layer's digest.
    pub digest: String,
    /// The chart's files, when the source has them unpacked already (a wo-core
    /// [`ChartRegistry`]); `None`: the simulator unpacks [`PulledChart::bytes`].
    pub chart: Option<Chart>,
}

impl PulledChart {
    /// A chart from its archive bytes, its digest computed.
    pub fn new(bytes: Vec<u8>) -> Self {
        let digest = sha256_digest(&bytes);
        Self {
            bytes,
            digest,
            chart: None,
        }
    }

    /// The chart's files: [`PulledChart::chart`], else the archive unpacked
    /// ([`unpack_chart`]).
    ///
    /// # Errors
    /// As [`unpack_chart`].
    pub fn files(&self) -> Result<Chart, String> {
        match &self.chart {
            Some(c) => Ok(c.clone()),
            None => unpack_chart(&self.bytes),
        }
    }
}

/// Why a chart could not be pulled. Every variant names the reference
/// (`oci://host/path/name:version`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChartError {
    /// The repository or the version is not in the registry.
    NotFound {
        /// The reference.
        reference: String,
        /// What the registry said.
        message: String,
    },
    /// The content does not have the digest the manifest names.
    DigestMismatch {
        /// The reference.
        reference: String,
        /// The digest the manifest names.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The reference is not an `oci://` chart reference, or the registry's answer is not a
    /// Helm chart.
    Invalid {
        /// The reference.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// The registry could not be reached or failed (a retry may help).
    Unavailable {
        /// The reference.
        reference: String,
        /// What happened.
        message: String,
    },
}

impl ChartError {
    /// Whether trying again may help.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ChartError::Unavailable { .. })
    }

    /// The chart reference the error is about.
    pub fn reference(&self) -> &str {
        match self {
            ChartError::NotFound { reference, .. }
            | ChartError::DigestMismatch { reference, .. }
            | ChartError::Invalid { reference, .. }
            | ChartError::Unavailable { reference, .. } => reference,
        }
    }
}

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChartError::NotFound { reference, message } => {
                write!(f, "the chart {reference} was not found: {message}")
            }
            ChartError::DigestMismatch {
                reference,
                expected,
                actual,
            } => write!(
                f,
                "the chart {reference} does not match its digest: the manifest names {expected}, the content is {actual}"
            ),
            ChartError::Invalid { reference, message } => {
                write!(f, "the chart {reference} cannot be used: {message}")
            }
            ChartError::Unavailable { reference, message } => {
                write!(f, "the chart {reference} could not be pulled: {message}")
            }
        }
    }
}

impl std::error::Error for ChartError {}

/// Where the simulator pulls the chart of a `helm.v3` component from at install, as WO pulls
/// it from the component's OCI registry.
///
/// # Contract
///
/// - [`fetch`](ChartSource::fetch) returns the chart's `.tgz` (the manifest's layer of media
///   type [`HELM_CHART_LAYER`]) of the tag `version` of the repository `repo`
///   (`oci://host[:port]/path/name`), with its digest, after checking that the bytes have the
///   digest the manifest names.
/// - It only reads: the same `repo` and `version` give the same chart while nobody pushes.
///
/// # Errors
///
/// [`ChartError::NotFound`] for a repository or tag the registry does not have,
/// [`ChartError::DigestMismatch`] for content that is not what the manifest names,
/// [`ChartError::Invalid`] for a reference or manifest that is not a Helm chart's,
/// [`ChartError::Unavailable`] when the registry cannot be reached.
///
/// # Example
///
/// ```
/// use wo_azure_sim::{ChartSource, Registry, RegistryOptions};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let registry = Registry::start(RegistryOptions::default()).await.unwrap();
/// let tgz = b"not really a chart, but bytes".to_vec();
/// registry.push_chart("charts/shop", "1.0.0", &tgz).unwrap();
/// let repo = format!("oci://{}/charts/shop", registry.host_port());
/// let pulled = registry.chart_source().fetch(&repo, "1.0.0").await.unwrap();
/// assert_eq!(pulled.bytes, tgz);
/// assert!(registry.chart_source().fetch(&repo, "2.0.0").await.is_err());
/// # });
/// ```
#[async_trait]
pub trait ChartSource: fmt::Debug + Send + Sync {
    /// The chart `repo` (`oci://host[:port]/path/name`) at tag `version`.
    async fn fetch(&self, repo: &str, version: &str) -> Result<PulledChart, ChartError>;
}

/// An `oci://host[:port]/path/name` reference, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRepository {
    /// `host[:port]`.
    pub registry: String,
    /// `path/name` (the repository inside the registry).
    pub name: String,
}

impl OciRepository {
    /// Splits `oci://host[:port]/path/name`.
    ///
    /// # Errors
    /// [`ChartError::Invalid`] for anything else.
    pub fn parse(repo: &str, version: &str) -> Result<OciRepository, ChartError> {
        let invalid = |message: &str| ChartError::Invalid {
            reference: reference(repo, version),
            message: message.to_string(),
        };
        let rest = repo
            .strip_prefix("oci://")
            .ok_or_else(|| invalid("a helm.v3 chart repo is oci://host[:port]/path/name"))?;
        let (registry, name) = rest
            .split_once('/')
            .ok_or_else(|| invalid("the reference names no repository (oci://host/path/name)"))?;
        let name = name.trim_end_matches('/');
        let name_ok = !name.is_empty()
            && name.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            });
        if registry.is_empty() || !name_ok {
            return Err(invalid(
                "the repository name must be lowercase path components (a-z 0-9 . _ -)",
            ));
        }
        if version.is_empty()
            || version.len() > 128
            || !version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(invalid("the version is not a valid OCI tag"));
        }
        Ok(OciRepository {
            registry: registry.to_string(),
            name: name.to_string(),
        })
    }
}

/// `oci://host/path/name:version`, how errors name a chart.
pub fn reference(repo: &str, version: &str) -> String {
    format!("{repo}:{version}")
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", wo_core::compose::sha256_hex(bytes))
}

/// Checks that `bytes` have `digest` (`sha256:<hex>`).
pub(crate) fn verify_digest(bytes: &[u8], digest: &str, reference: &str) -> Result<(), ChartError> {
    let actual = sha256_digest(bytes);
    if actual == digest {
        Ok(())
    } else {
        Err(ChartError::DigestMismatch {
            reference: reference.to_string(),
            expected: digest.to_string(),
            actual,
        })
    }
}

/// The digest of the Helm chart layer of an OCI manifest.
pub(crate) fn chart_layer(manifest: &Value, reference: &str) -> Result<String, ChartError> {
    manifest["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["mediaType"] == HELM_CHART_LAYER)
        .and_then(|l| l["digest"].as_str())
        .map(str::to_string)
        .ok_or_else(|| ChartError::Invalid {
            reference: reference.to_string(),
            message: format!("the manifest has no layer of media type {HELM_CHART_LAYER}"),
        })
}

/// The anonymous pull of the OCI distribution API over plain http, for registries on loopback
/// addresses (`127.0.0.1`, `localhost`, `[::1]`): `GET /v2/<name>/manifests/<tag>` (Accept
/// [`OCI_MANIFEST`]), then the blob of the [`HELM_CHART_LAYER`] layer, its sha256 checked.
/// Other hosts are refused ([`ChartError::Unavailable`]): the simulator reaches nothing but
/// loopback.
#[derive(Debug, Clone)]
pub struct OciHttpSource {
    client: reqwest::Client,
}

impl OciHttpSource {
    /// A source pulling with `client`.
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }

    /// A source with wo's default HTTP client.
    ///
    /// # Errors
    /// When the client cannot be built.
    pub fn with_default_client() -> wo_core::Result<Self> {
        Ok(Self::new(wo_http::http_client()?))
    }

    async fn get(
        &self,
        url: &str,
        accept: &str,
        reference: &str,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), ChartError> {
        let unavailable = |e: reqwest::Error| ChartError::Unavailable {
            reference: reference.to_string(),
            message: format!("GET {url}: {e}"),
        };
        let answer = self
            .client
            .get(url)
            .header("accept", accept)
            .send()
            .await
            .map_err(unavailable)?;
        let status = answer.status();
        let body = answer.bytes().await.map_err(unavailable)?;
        if body.len() > MAX_CHART_BYTES {
            return Err(ChartError::Invalid {
                reference: reference.to_string(),
                message: format!("GET {url}: more than {MAX_CHART_BYTES} bytes"),
            });
        }
        Ok((status, body.to_vec()))
    }
}

/// Whether `host[:port]` is a loopback address.
fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        registry.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[async_trait]
impl ChartSource for OciHttpSource {
    async fn fetch(&self, repo: &str, version: &str) -> Result<PulledChart, ChartError> {
        let r = reference(repo, version);
        let oci = OciRepository::parse(repo, version)?;
        if !is_loopback(&oci.registry) {
            return Err(ChartError::Unavailable {
                reference: r,
                message: format!(
                    "the simulator pulls from loopback registries only, not from {}",
                    oci.registry
                ),
            });
        }
        let base = format!("http://{}/v2/{}", oci.registry, oci.name);
        let url = format!("{base}/manifests/{version}");
        let (status, body) = self.get(&url, OCI_MANIFEST, &r).await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(ChartError::NotFound {
                reference: r,
                message: format!("GET {url}: 404 {}", String::from_utf8_lossy(&body)),
            });
        }
        if !status.is_success() {
            return Err(ChartError::Unavailable {
                reference: r,
                message: format!("GET {url}: {status} {}", String::from_utf8_lossy(&body)),
            });
        }
        let manifest: Value = serde_json::from_slice(&body).map_err(|e| ChartError::Invalid {
            reference: r.clone(),
            message: format!("the manifest is not JSON: {e}"),
        })?;
        let layer = chart_layer(&manifest, &r)?;
        let url = format!("{base}/blobs/{layer}");
        let (status, bytes) = self.get(&url, "*/*", &r).await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(ChartError::NotFound {
                reference: r,
                message: format!("GET {url}: 404 (the manifest names a blob the registry lacks)"),
            });
        }
        if !status.is_success() {
            return Err(ChartError::Unavailable {
                reference: r,
                message: format!("GET {url}: {status}"),
            });
        }
        verify_digest(&bytes, &layer, &r)?;
        Ok(PulledChart {
            bytes,
            digest: layer,
            chart: None,
        })
    }
}

/// wo's own chart registry port as a [`ChartSource`]: installations pull what wo published
/// through a wo-core [`ChartRegistry`] (its [`fetch`](ChartRegistry::fetch), e.g. wo-core's
/// `InMemoryChartRegistry` in tests, whose packages are not tar archives: the files it
/// unpacked are used as they are).
#[derive(Clone)]
pub struct ChartRegistrySource {
    registry: Arc<dyn ChartRegistry>,
}

impl ChartRegistrySource {
    /// Pulls from `registry`.
    pub fn new(registry: Arc<dyn ChartRegistry>) -> Self {
        Self { registry }
    }
}

impl fmt::Debug for ChartRegistrySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChartRegistrySource")
    }
}

#[async_trait]
impl ChartSource for ChartRegistrySource {
    async fn fetch(&self, repo: &str, version: &str) -> Result<PulledChart, ChartError> {
        let r = reference(repo, version);
        let wanted = ChartRef {
            repo: repo.to_string(),
            version: version.to_string(),
            digest: String::new(),
        };
        match self.registry.fetch(&wanted).await {
            Ok(package) => Ok(PulledChart {
                chart: Some(package.chart()),
                bytes: package.bytes,
                digest: package.digest,
            }),
            Err(wo_core::Error::NotFound { .. }) => Err(ChartError::NotFound {
                reference: r,
                message: "nothing is published there".into(),
            }),
            Err(e @ wo_core::Error::Invalid(_)) => Err(ChartError::Invalid {
                reference: r,
                message: e.to_string(),
            }),
            Err(e) => Err(ChartError::Unavailable {
                reference: r,
                message: e.to_string(),
            }),
        }
    }
}

/// Reads a chart archive (`<name>/Chart.yaml`, `<name>/templates/…`, as `helm package` and
/// `wo_render::package` write it) into a [`Chart`] named after its top directory, its files
/// relative to that directory.
///
/// # Errors
/// A message when the bytes are not a gzip'd tar of one top directory holding `Chart.yaml`.
pub fn unpack_chart(tgz: &[u8]) -> Result<Chart, String> {
    // wo's own reader (the one wo uses on what it pulls): one top directory, regular files
    // only, nothing climbing out, size limits.
    wo_render::package::unpack(tgz, "the chart archive")
        .map(|u| Chart {
            name: u.name,
            files: u.files,
        })
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wo_core::files::FileTree;

    #[test]
    fn references_split_and_refused() {
        let r = OciRepository::parse("oci://127.0.0.1:5000/charts/shop", "1.2.0-wo.gabc").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.name, "charts/shop");
        for bad in ["https://x/y", "oci://host", "oci://host/Upper"] {
            let e = OciRepository::parse(bad, "1.0.0").unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
        assert!(OciRepository::parse("oci://h/c", "1.0.0+meta").is_err());
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("[::1]:80"));
        assert!(!is_loopback("ghcr.io"));
    }

    #[test]
    fn a_packaged_chart_unpacks_to_its_files() {
        let mut tree = FileTree::new();
        tree.insert("Chart.yaml", "apiVersion: v2\nname: shop\nversion: 0.1.0\n")
            .unwrap();
        tree.insert("values.yaml", "replicas: 1\n").unwrap();
        let long = format!("templates/{}/cm.yaml", "d".repeat(120));
        tree.insert(long.as_str(), "kind: ConfigMap\n").unwrap();
        let packaged = wo_render::package::package(&tree, "1.0.0").unwrap();
        let chart = unpack_chart(&packaged.bytes).unwrap();
        assert_eq!(chart.name, "shop");
        assert_eq!(
            chart.files.text("values.yaml").unwrap(),
            Some("replicas: 1\n")
        );
        assert_eq!(chart.files.text(&long).unwrap(), Some("kind: ConfigMap\n"));
        assert!(chart
            .files
            .text("Chart.yaml")
            .unwrap()
            .unwrap()
            .contains("version: 1.0.0"));
        assert!(unpack_chart(b"plain").unwrap_err().contains("gzip"));
    }
}
