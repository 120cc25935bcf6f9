//! The native Helm engine: Helm charts rendered in Rust, without a `helm` binary.
//!
//! A chart asks for it with `wo/engine: helm-native`; `wo/engine: auto` (the default) uses it
//! when it can render the chart and falls back to [`HelmRenderer`](crate::HelmRenderer)
//! otherwise (see [`crate::engine`]).
//!
//! The engine itself (`wo_gotmpl::helm::PreparedChart`, crate wo-gotmpl: Go's `text/template`,
//! Sprig and Helm's functions) is not part of this build yet: `render_native` is the one
//! place that will call it, and until then it answers [`NativeError::Unavailable`].
//! [`NativeHelmRenderer`] already does everything around it: it turns each [`RenderRequest`]
//! into a [`NativeRequest`] (what `helm template` takes: the values file, release name,
//! namespace, `--kube-version`, `--api-versions`) and each output into a [`Rendered`].

use async_trait::async_trait;
use wo_core::ports::{Chart, RenderRequest, Rendered, Renderer};
use wo_core::{Error, Result};

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
}

impl From<&RenderRequest> for NativeRequest {
    fn from(request: &RenderRequest) -> Self {
        NativeRequest {
            values: request.values.clone(),
            release_name: request.release_name.clone(),
            namespace: request.namespace.clone(),
            kube_version: request.target.kube_version.clone(),
            api_versions: request.target.api_versions.clone(),
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

/// **The wiring point of the native engine.** Renders `chart` once per request, in request
/// order, and returns for each exactly what `helm template <release> <chart> --namespace <ns>
/// -f <values> [--kube-version …] [--api-versions …]` prints on stdout.
///
/// To wire the engine (once wo-render depends on wo-gotmpl): prepare the chart once
/// (`wo_gotmpl::helm::PreparedChart` from `chart.files`), render each request with it, map a
/// template or values error to [`NativeError::Failed`] with an [`Error::Invalid`] naming the
/// template file and the target, and a chart feature the engine does not implement to
/// [`NativeError::Unavailable`] (so that `auto` still renders it with the real Helm).
fn render_native(
    chart: &Chart,
    requests: &[NativeRequest],
) -> std::result::Result<Vec<String>, NativeError> {
    let _ = (chart, requests);
    Err(NativeError::Unavailable(
        "this build of wo does not include the native Helm engine yet".into(),
    ))
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
            }
        );
    }
}
