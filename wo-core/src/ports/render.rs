//! The renderer port: a chart and N value sets in, N manifest streams out.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::error::Result;
use crate::files::FileTree;
use crate::value::Value;

/// What a chart may know about the target it renders for.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TargetView {
    /// The target's name.
    pub name: String,
    /// The target's labels.
    pub labels: BTreeMap<String, String>,
    /// The target's place in the hierarchy: level → node (`region → eu-west`).
    pub hierarchy: BTreeMap<String, String>,
    /// The target's Kubernetes version (`1.30.0`), for `.Capabilities.KubeVersion`; `None`:
    /// the engine's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// API versions the target serves beyond the built-in ones, for
    /// `.Capabilities.APIVersions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<String>,
}

/// One value set to render the chart with.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderRequest {
    /// The release name the chart sees (`.Release.Name`).
    pub release_name: String,
    /// The namespace the chart sees (`.Release.Namespace`).
    pub namespace: String,
    /// The target rendered for.
    pub target: TargetView,
    /// The chart's values: the resolved configuration of this target (a map).
    pub values: Value,
}

/// A chart: templates and their metadata, as read from the source repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// The chart's name.
    pub name: String,
    /// The chart's files, paths relative to the chart root (`Chart.yaml`, `templates/…`).
    pub files: FileTree,
}

/// The output of one [`RenderRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The rendered manifests: a multi-document YAML stream.
    pub manifests: String,
}

/// Renders a chart with many value sets: one call per chart and environment, however many
/// targets.
///
/// # Contract
///
/// - [`render`](Renderer::render) returns one [`Rendered`] per request, in the order of the
///   requests. The chart is prepared (parsed, checked) once per call, not once per request.
/// - The same chart and request give the same bytes, in any call and at any position of the
///   request list (deterministic: no timestamps, stable ordering).
/// - It renders all or nothing: when any request fails, the call fails.
///
/// # Errors
///
/// - [`Error::Invalid`](crate::Error::Invalid) for an invalid chart or values, with the
///   diagnostics naming the chart file (and line where known) and, for a value problem, the
///   target (in the message) and the key path.
/// - [`Error::Backend`](crate::Error::Backend) when an external renderer fails to run.
///
/// # Example
///
/// ```
/// use wo_core::files::FileTree;
/// use wo_core::memory::InMemoryRenderer;
/// use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
///
/// # futures::executor::block_on(async {
/// let mut files = FileTree::new();
/// files.insert("Chart.yaml", "name: shop\nversion: 1.0.0\n")?;
/// let chart = Chart { name: "shop".into(), files };
/// let request = |target: &str, replicas: u32| RenderRequest {
///     release_name: "shop".into(),
///     namespace: "shop".into(),
///     target: TargetView { name: target.into(), ..TargetView::default() },
///     values: serde_json::json!({ "replicas": replicas }),
/// };
///
/// let out = InMemoryRenderer::new().render(&chart, &[request("berlin-1", 2), request("paris-1", 3)]).await?;
/// assert_eq!(out.len(), 2);
/// assert!(out[0].manifests.contains("kind: ConfigMap"));
/// assert!(out[1].manifests.contains("replicas"));
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Renderer: Send + Sync {
    /// Renders `chart` once per request, in request order.
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>>;
}
