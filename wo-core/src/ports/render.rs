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

/// One document of a [`Rendered`] stream as the engine already read it (see
/// [`RenderFlow::deliver_read`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadDocument {
    /// The document's value, exactly as the YAML 1.1 reader reads the document's text in the
    /// stream (Helm's and Kubernetes' reading: a plain `on` is `true`).
    pub value: Value,
    /// The 1-based line of the stream where the document's root (its first content line)
    /// starts: where errors about it point.
    pub line: u32,
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
#[async_trait]
pub trait Renderer: Send + Sync {
    /// Renders `chart` once per request, in request order.
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>>;

    /// Renders `chart` once per target of `flow`, streaming: each request is built when a
    /// worker takes its target up and each output is delivered as soon as it is rendered, so
    /// that only the targets in flight are in memory, whatever the fleet's size.
    ///
    /// # Contract
    ///
    /// - [`RenderFlow::request`] is called once for every index in `0..flow.targets()`, even
    ///   after a failure, so that every invalid target is reported at once.
    /// - [`RenderFlow::deliver`] is called for every index when this returns `Ok`, from any
    ///   thread, in any order; the same request gives the same bytes as
    ///   [`render`](Renderer::render). An index may be delivered twice (an engine that falls
    ///   back to another mid-way delivers again): the later output replaces the earlier.
    /// - Rendering stops at the first failure; outputs delivered before it stay delivered, so
    ///   a flow that must be all or nothing stages what it receives and commits it only when
    ///   this returns `Ok` (as `wo render` does).
    ///
    /// The default renders in one batch through [`render`](Renderer::render) (all requests
    /// in memory) and delivers in order.
    ///
    /// # Errors
    ///
    /// The errors of [`RenderFlow::request`], merged into one [`Error::Invalid`](crate::Error::Invalid) when all are
    /// invalid, when any request fails; else as [`render`](Renderer::render) and
    /// [`RenderFlow::deliver`].
    async fn render_each(&self, chart: &Chart, flow: &dyn RenderFlow) -> Result<()> {
        let mut requests = Vec::with_capacity(flow.targets());
        let mut errors = Vec::new();
        for index in 0..flow.targets() {
            match flow.request(index) {
                Ok(r) => requests.push(r),
                Err(e) => errors.push(e),
            }
        }
        crate::compose::merge_errors(errors)?;
        let rendered = self.render(chart, &requests).await?;
        if rendered.len() != requests.len() {
            return Err(crate::Error::backend(
                "renderer",
                format!(
                    "rendered {} outputs for {} requests",
                    rendered.len(),
                    requests.len()
                ),
            ));
        }
        for (index, (request, out)) in requests.iter().zip(rendered).enumerate() {
            flow.deliver(index, request, out)?;
        }
        Ok(())
    }
}

/// The targets of one streaming render ([`Renderer::render_each`]): where each target's
/// request comes from and where its output goes.
///
/// # Contract
///
/// `request` and `deliver` are called from worker threads, concurrently; `deliver` may be
/// called in any order of indices. A flow that needs all or nothing (write every target or
/// none) stages what it receives until `render_each` returns.
pub trait RenderFlow: Send + Sync {
    /// How many targets: the indices are `0..targets()`.
    fn targets(&self) -> usize;

    /// The request of target `index`, built when a worker takes the target up (resolving its
    /// values there, for example).
    ///
    /// # Errors
    /// [`Error::Invalid`](crate::Error::Invalid) for a target whose request cannot be built
    /// (its values do not resolve), naming the target.
    fn request(&self, index: usize) -> Result<RenderRequest>;

    /// Takes the output of target `index`, rendered from `request`.
    ///
    /// # Errors
    /// As the flow's work on it (canonicalising, writing); the render stops.
    fn deliver(&self, index: usize, request: &RenderRequest, rendered: Rendered) -> Result<()>;

    /// [`deliver`](Self::deliver), from an engine that already read every document of the
    /// stream (to sort it as Helm does, say): `documents` holds each non-empty document of
    /// `rendered.manifests` in stream order, each value exactly as reading that text would
    /// give it. A flow that reads the stream (a canonicaliser) may take the values instead of
    /// reading the text a second time. An engine calls this only when it read every document;
    /// otherwise it calls [`deliver`](Self::deliver).
    ///
    /// The default ignores `documents` and calls [`deliver`](Self::deliver).
    ///
    /// # Errors
    /// As [`deliver`](Self::deliver).
    fn deliver_read(
        &self,
        index: usize,
        request: &RenderRequest,
        rendered: Rendered,
        documents: Vec<ReadDocument>,
    ) -> Result<()> {
        drop(documents);
        self.deliver(index, request, rendered)
    }

    /// Whether the flow leaves Helm test hooks out of what it keeps (as
    /// `helm template --skip-tests` does): then an engine may leave them out of its output
    /// already, and save the flow reading them. The default is `false`: the flow gets every
    /// document `helm template` prints.
    fn drops_test_hooks(&self) -> bool {
        false
    }
}

#[cfg(feature = "mocks")]
mockall::mock! {
    /// A mock [`Renderer`] (feature `mocks`): [`render`](Renderer::render) is mocked,
    /// [`render_each`](Renderer::render_each) is the default, through it.
    pub Renderer {}

    #[async_trait]
    impl Renderer for Renderer {
        async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>>;
    }
}
