//! The native Helm engine: Helm charts rendered in Rust, without a `helm` binary.
//!
//! A chart asks for it with `wo/engine: helm-native`; `wo/engine: auto` (the default) uses it
//! when it can render the chart and falls back to [`HelmRenderer`](crate::HelmRenderer)
//! otherwise (see [`crate::engine`]).
//!
//! The engine is `wo_gotmpl::helm::PreparedChart` (crate wo-gotmpl: Go's `text/template`,
//! Sprig and Helm's functions), byte-identical to `helm template` on a corpus of real charts.
//! [`NativeHelmRenderer`] turns each [`RenderRequest`] into a [`NativeRequest`] (what `helm
//! template` takes: the values, release name, namespace, `--kube-version`, `--api-versions`),
//! parses the chart once and renders the requests on worker threads. Renders are reproducible:
//! random functions are seeded from the chart, release, namespace and target.

use async_trait::async_trait;
use wo_core::ports::{Chart, RenderRequest, Rendered, Renderer};
use wo_core::{Error, Location, Result};

/// One request as the native engine takes it: what `helm template` gets on its command line.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeRequest {
    /// The user-supplied values (what `-f values.json` holds), as JSON; the engine merges them
    /// over the chart's `values.yaml`, as Helm does.
    pub values: serde_json::Value,
    /// `.Release.Name`.
    pub release_name: String,
    /// `.Release.Namespace`.
    pub namespace: String,
    /// `.Capabilities.KubeVersion` (`--kube-version`); `None`: Helm's default.
    pub kube_version: Option<String>,
    /// Extra `.Capabilities.APIVersions` (`--api-versions`).
    pub api_versions: Vec<String>,
    /// The target rendered for (named in errors; part of the random seed).
    pub target: String,
}

impl From<&RenderRequest> for NativeRequest {
    fn from(request: &RenderRequest) -> Self {
        NativeRequest {
            values: request.values.clone(),
            release_name: request.release_name.clone(),
            namespace: request.namespace.clone(),
            kube_version: request.target.kube_version.clone(),
            api_versions: request.target.api_versions.clone(),
            target: request.target.name.clone(),
        }
    }
}

/// Why the native engine gave no manifests.
#[derive(Debug)]
#[non_exhaustive]
pub enum NativeError {
    /// The native engine cannot render this chart (not built in, or the chart uses something
    /// it does not implement): `auto` falls back to the real Helm. Carries the reason.
    Unavailable(String),
    /// The chart failed to render (a template error, invalid values): as with the real Helm,
    /// the render fails.
    Failed(Error),
}

impl From<Error> for NativeError {
    fn from(e: Error) -> Self {
        NativeError::Failed(e)
    }
}

/// Stack of a native render worker: Helm allows `include` nesting 1,000 deep, which an
/// unoptimised build needs ~16 MiB for (a release build ~3 MiB).
const WORKER_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Renders `chart` once per request, in request order, and returns for each exactly what
/// `helm template <release> <chart> --namespace <ns> -f <values> [--kube-version …]
/// [--api-versions …]` prints on stdout, with wo-gotmpl (Go's `text/template`, Sprig and
/// Helm's functions): the chart is parsed once, the requests render on worker threads.
///
/// Random and time functions are reproducible: each render is seeded from the chart's contents,
/// the release, the namespace and the target ([`wo_gotmpl::helm::seed`]), and `now` reads
/// `SOURCE_DATE_EPOCH` when set, else the Unix epoch.
///
/// A template calling a function the engine does not know is [`NativeError::Unavailable`] (so
/// that `auto` renders the chart with the real Helm); any other failure is an
/// [`Error::Invalid`] naming the template (as Helm words it) and the target.
fn render_native(
    chart: &Chart,
    requests: &[NativeRequest],
) -> std::result::Result<Vec<String>, NativeError> {
    use wo_gotmpl::helm::{self, seed, PreparedChart, RenderOptions};

    let file = format!("{}/Chart.yaml", chart.name);
    let refused = |e: helm::Error, target: Option<&str>| -> NativeError {
        let message = e.message();
        if matches!(e, helm::Error::Parse(_)) && message.contains("not defined") {
            return NativeError::Unavailable(message);
        }
        let message = match target {
            Some(t) => format!("target `{t}`: {message}"),
            None => message,
        };
        NativeError::Failed(Error::invalid(Location::file(&file), message))
    };
    let files: Vec<(String, Vec<u8>)> = chart
        .files
        .iter()
        .map(|(path, bytes)| (path.to_string(), bytes.to_vec()))
        .collect();
    let loaded = helm::Chart::from_files(files).map_err(|e| refused(e, None))?;
    let prepared = PreparedChart::new(loaded).map_err(|e| refused(e, None))?;
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let now_unix = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let render_one = |request: &NativeRequest, target: &str| {
        let options = RenderOptions {
            release_name: request.release_name.clone(),
            namespace: request.namespace.clone(),
            kube_version: request.kube_version.clone(),
            api_versions: request.api_versions.clone(),
            seed: seed::seed(
                prepared.chart(),
                &[&request.release_name, &request.namespace, target],
            ),
            now_unix,
            ..RenderOptions::default()
        };
        let values = wo_gotmpl::Value::from_json(&request.values);
        prepared
            .render(&values, &options)
            .map_err(|e| refused(e, Some(target)))
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, requests.len());
    let chunk = requests.len().div_ceil(workers);
    let render_one = &render_one;
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(workers);
        for part in requests.chunks(chunk) {
            let handle = std::thread::Builder::new()
                .name("wo-helm-native".into())
                .stack_size(WORKER_STACK_BYTES)
                .spawn_scoped(scope, move || {
                    part.iter()
                        .map(|request| render_one(request, &request.target))
                        .collect::<std::result::Result<Vec<_>, NativeError>>()
                })
                .map_err(|e| {
                    NativeError::Failed(
                        Error::backend("helm-native", format!("cannot start a render worker: {e}"))
                            .retryable(true),
                    )
                })?;
            handles.push(handle);
        }
        let mut out = Vec::with_capacity(requests.len());
        for handle in handles {
            let part = handle.join().map_err(|_| {
                NativeError::Failed(Error::backend("helm-native", "a render worker panicked"))
            })??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// Renders Helm charts natively (`render_native`); as a [`Renderer`] it fails when the native
/// engine cannot render the chart, where [`ChartRenderer`](crate::ChartRenderer) with `auto`
/// falls back to the real Helm.
#[derive(Debug, Clone, Default)]
pub struct NativeHelmRenderer {}

impl NativeHelmRenderer {
    /// A native renderer.
    pub fn new() -> Self {
        NativeHelmRenderer {}
    }

    /// Renders natively, one [`Rendered`] per request in order.
    ///
    /// # Errors
    ///
    /// [`NativeError::Unavailable`] when the native engine cannot render this chart,
    /// [`NativeError::Failed`] when the chart fails to render.
    pub fn try_render(
        &self,
        chart: &Chart,
        requests: &[RenderRequest],
    ) -> std::result::Result<Vec<Rendered>, NativeError> {
        let native: Vec<NativeRequest> = requests.iter().map(NativeRequest::from).collect();
        let out = render_native(chart, &native)?;
        if out.len() != requests.len() {
            return Err(NativeError::Failed(Error::backend(
                "helm-native",
                format!(
                    "rendered {} outputs for {} requests",
                    out.len(),
                    requests.len()
                ),
            )));
        }
        Ok(out
            .into_iter()
            .map(|manifests| Rendered { manifests })
            .collect())
    }
}

#[async_trait]
impl Renderer for NativeHelmRenderer {
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        match self.try_render(chart, requests) {
            Ok(out) => Ok(out),
            Err(NativeError::Failed(e)) => Err(e),
            Err(NativeError::Unavailable(reason)) => Err(Error::unsupported(format!(
                "chart `{}` asks for the native Helm engine (`wo/engine: helm-native`), which cannot render it: {reason}; use `wo/engine: auto` (native when it can, else the real Helm) or `helm`",
                chart.name
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wo_core::ports::TargetView;

    #[test]
    fn a_request_becomes_what_helm_template_takes() {
        let request = RenderRequest {
            release_name: "shop".into(),
            namespace: "apps".into(),
            target: TargetView {
                name: "berlin-1".into(),
                kube_version: Some("1.30.0".into()),
                api_versions: vec!["monitoring.coreos.com/v1".into()],
                ..TargetView::default()
            },
            values: serde_json::json!({"replicas": 2}),
        };
        assert_eq!(
            NativeRequest::from(&request),
            NativeRequest {
                values: serde_json::json!({"replicas": 2}),
                release_name: "shop".into(),
                namespace: "apps".into(),
                kube_version: Some("1.30.0".into()),
                api_versions: vec!["monitoring.coreos.com/v1".into()],
                target: "berlin-1".into(),
            }
        );
    }
}
