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
use wo_core::ports::{Chart, RenderFlow, RenderRequest, Rendered, Renderer};
use wo_core::{Error, Location, Result};

use crate::flow::{Pool, Stopped};

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

/// The clock of native renders when neither the caller ([`NativeHelmRenderer::with_now`]) nor
/// `SOURCE_DATE_EPOCH` sets one: 2026-01-01T00:00:00Z. Fixed, so that renders are
/// reproducible; recent, so that what templates derive from it (`genCA` certificates valid
/// from `now`) is not long expired, as it would be at the Unix epoch.
pub const DEFAULT_NOW_UNIX: i64 = 1_767_225_600;

/// The clock `SOURCE_DATE_EPOCH` sets (the reproducible-builds convention), else
/// [`DEFAULT_NOW_UNIX`].
pub fn default_now_unix() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_NOW_UNIX)
}

/// A chart loaded and parsed by the native engine, ready to render any number of requests.
struct NativeChart {
    prepared: wo_gotmpl::helm::PreparedChart,
    /// The chart's part of every render's random seed, hashed once.
    seed: wo_gotmpl::helm::seed::ChartSeed,
    /// `<chart>/Chart.yaml`, as errors name the chart.
    file: String,
    now_unix: i64,
}

impl NativeChart {
    /// Loads and parses `chart` once.
    fn prepare(chart: &Chart, now_unix: i64) -> std::result::Result<Self, NativeError> {
        use wo_gotmpl::helm::{self, PreparedChart};

        let file = format!("{}/Chart.yaml", chart.name);
        let files: Vec<(String, Vec<u8>)> = chart
            .files
            .iter()
            .map(|(path, bytes)| (path.to_string(), bytes.to_vec()))
            .collect();
        let loaded = helm::Chart::from_files(files).map_err(|e| refused(&file, e, None))?;
        let prepared = PreparedChart::new(loaded).map_err(|e| refused(&file, e, None))?;
        let seed = helm::seed::ChartSeed::new(prepared.chart());
        Ok(NativeChart {
            prepared,
            seed,
            file,
            now_unix,
        })
    }

    /// Renders one request (what `helm template` prints for it), without copying its values.
    /// With `skip_tests`, Helm test hooks are left out (`helm template --skip-tests`).
    fn render_request(
        &self,
        request: &RenderRequest,
        skip_tests: bool,
    ) -> std::result::Result<String, NativeError> {
        use wo_gotmpl::helm::RenderOptions;

        let (release_name, namespace) = (&request.release_name, &request.namespace);
        let target = request.target.name.as_str();

        let options = RenderOptions {
            release_name: release_name.to_owned(),
            namespace: namespace.to_owned(),
            kube_version: request.target.kube_version.clone(),
            api_versions: request.target.api_versions.clone(),
            seed: self.seed.seed(&[release_name, namespace, target]),
            now_unix: self.now_unix,
            skip_tests,
            ..RenderOptions::default()
        };
        let values = wo_gotmpl::Value::from_json(&request.values);
        self.prepared
            .render(&values, &options)
            .map_err(|e| refused(&self.file, e, Some(target)))
    }
}

/// A native engine error as wo reports it: a template calling a function the engine does not
/// know is [`NativeError::Unavailable`] (so that `auto` renders the chart with the real Helm);
/// any other failure is an [`Error::Invalid`] naming the template (as Helm words it) and the
/// target.
fn refused(file: &str, e: wo_gotmpl::helm::Error, target: Option<&str>) -> NativeError {
    let message = e.message();
    if matches!(e, wo_gotmpl::helm::Error::Parse(_)) && message.contains("not defined") {
        return NativeError::Unavailable(message);
    }
    let message = match target {
        Some(t) => format!("target `{t}`: {message}"),
        None => message,
    };
    NativeError::Failed(Error::invalid(Location::file(file), message))
}

/// The worker pool of native renders.
fn pool(requests: usize) -> Pool<'static> {
    Pool {
        workers: crate::flow::default_workers().clamp(1, requests.max(1)),
        stack_bytes: WORKER_STACK_BYTES,
        name: "wo-helm-native",
    }
}

/// A pool's failure as the native engine's: the engine unavailable if any render found it
/// so, else the failures merged.
fn native_error(stopped: Stopped<NativeError>) -> NativeError {
    match stopped {
        Stopped::Requests(e) => NativeError::Failed(e),
        Stopped::Failed(errors) => {
            let mut failed = Vec::with_capacity(errors.len());
            for e in errors {
                match e {
                    NativeError::Unavailable(reason) => return NativeError::Unavailable(reason),
                    NativeError::Failed(e) => failed.push(e),
                }
            }
            NativeError::Failed(crate::flow::into_error(Stopped::Failed(failed)))
        }
    }
}

/// Renders Helm charts natively (wo-gotmpl: Go's `text/template`, Sprig and Helm's functions,
/// byte-identical to `helm template`); as a [`Renderer`] it fails when the native engine cannot
/// render the chart, where [`ChartRenderer`](crate::ChartRenderer) with `auto` falls back to
/// the real Helm.
///
/// The chart is parsed once per call; the requests render on one worker per core, each worker
/// taking the next target when it is done with one. Random and time functions are
/// reproducible: each render is seeded from the chart's contents, the release, the namespace
/// and the target ([`wo_gotmpl::helm::seed`]), and `now` reads the clock set with
/// [`with_now`](Self::with_now) (the source commit's time, when the caller knows it), else
/// `SOURCE_DATE_EPOCH`, else [`DEFAULT_NOW_UNIX`].
#[derive(Debug, Clone, Default)]
pub struct NativeHelmRenderer {
    now_unix: Option<i64>,
}

impl NativeHelmRenderer {
    /// A native renderer.
    pub fn new() -> Self {
        NativeHelmRenderer::default()
    }

    /// A native renderer whose templates read `now_unix` (seconds since the Unix epoch) as the
    /// time: the time of the source commit rendered, for output that depends on the inputs
    /// only.
    pub fn with_now(mut self, now_unix: i64) -> Self {
        self.now_unix = Some(now_unix);
        self
    }

    /// The time templates read: [`with_now`](Self::with_now)'s, else `SOURCE_DATE_EPOCH`, else
    /// [`DEFAULT_NOW_UNIX`].
    pub fn now_unix(&self) -> i64 {
        self.now_unix.unwrap_or_else(default_now_unix)
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
        let native = NativeChart::prepare(chart, self.now_unix())?;
        crate::flow::collect(requests, |flow| {
            pool(requests.len())
                .run(
                    flow,
                    &|r| native.render_request(r, false),
                    NativeError::Failed,
                )
                .map_err(native_error)
        })
    }

    /// Renders natively, streaming (see [`Renderer::render_each`]).
    ///
    /// # Errors
    ///
    /// As [`try_render`](Self::try_render); [`NativeError::Unavailable`] may come after some
    /// outputs were delivered (a template that fails only for some values).
    pub fn try_render_each(
        &self,
        chart: &Chart,
        flow: &dyn RenderFlow,
    ) -> std::result::Result<(), NativeError> {
        let native = NativeChart::prepare(chart, self.now_unix())?;
        // A flow that drops test hooks (the canonicaliser) is not given them.
        let skip_tests = flow.drops_test_hooks();
        pool(flow.targets())
            .run(
                flow,
                &|r| native.render_request(r, skip_tests),
                NativeError::Failed,
            )
            .map_err(native_error)
    }
}

#[async_trait]
impl Renderer for NativeHelmRenderer {
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        match self.try_render(chart, requests) {
            Ok(out) => Ok(out),
            Err(NativeError::Failed(e)) => Err(e),
            Err(NativeError::Unavailable(reason)) => Err(unavailable(chart, &reason)),
        }
    }

    async fn render_each(&self, chart: &Chart, flow: &dyn RenderFlow) -> Result<()> {
        match self.try_render_each(chart, flow) {
            Ok(()) => Ok(()),
            Err(NativeError::Failed(e)) => Err(e),
            Err(NativeError::Unavailable(reason)) => Err(unavailable(chart, &reason)),
        }
    }
}

fn unavailable(chart: &Chart, reason: &str) -> Error {
    Error::unsupported(format!(
        "chart `{}` asks for the native Helm engine (`wo/engine: helm-native`), which cannot render it: {reason}; use `wo/engine: auto` (native when it can, else the real Helm) or `helm`",
        chart.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wo_core::ports::TargetView;

    /// Chart `c` with these templates.
    fn chart(templates: &[(&str, &str)]) -> Chart {
        let mut files = wo_core::files::FileTree::new();
        files
            .insert("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
            .unwrap();
        for (path, text) in templates {
            files.insert(*path, *text).unwrap();
        }
        Chart {
            name: "c".into(),
            files,
        }
    }

    fn clock_chart() -> Chart {
        chart(&[(
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  now: {{ now | unixEpoch | quote }}\n",
        )])
    }

    fn request() -> RenderRequest {
        RenderRequest {
            release_name: "c".into(),
            namespace: "ns".into(),
            target: TargetView {
                name: "berlin-1".into(),
                ..TargetView::default()
            },
            values: serde_json::json!({}),
        }
    }

    #[test]
    fn templates_read_the_clock_the_caller_sets() {
        let out = NativeHelmRenderer::new()
            .with_now(1_700_000_000)
            .try_render(&clock_chart(), &[request()])
            .unwrap();
        assert!(
            out[0].manifests.contains("now: \"1700000000\""),
            "{}",
            out[0].manifests
        );
    }

    #[test]
    fn without_a_clock_templates_read_a_fixed_recent_time_not_the_epoch() {
        if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
            eprintln!("SOURCE_DATE_EPOCH is set: the default clock is not used");
            return;
        }
        let renderer = NativeHelmRenderer::new();
        assert_eq!(renderer.now_unix(), DEFAULT_NOW_UNIX);
        let out = renderer.try_render(&clock_chart(), &[request()]).unwrap();
        assert!(
            out[0].manifests.contains("now: \"1767225600\""),
            "{}",
            out[0].manifests
        );
    }

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

    /// A flow keeping what it is given, telling the engine it drops test hooks or not.
    struct Keep {
        drops: bool,
        out: std::sync::Mutex<Vec<String>>,
    }

    impl RenderFlow for Keep {
        fn targets(&self) -> usize {
            1
        }
        fn request(&self, _: usize) -> Result<RenderRequest> {
            Ok(request())
        }
        fn deliver(&self, _: usize, _: &RenderRequest, rendered: Rendered) -> Result<()> {
            self.out.lock().unwrap().push(rendered.manifests);
            Ok(())
        }
        fn drops_test_hooks(&self) -> bool {
            self.drops
        }
    }

    #[test]
    fn a_flow_that_drops_test_hooks_is_not_given_them_and_the_canonical_bytes_stay() {
        let chart = chart(&[
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            ),
            (
                "templates/tests/t.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t-{{ randAlphaNum 4 | lower }}\n  annotations:\n    helm.sh/hook: Test-Success\n",
            ),
        ]);
        let run = |drops: bool| {
            let flow = Keep {
                drops,
                out: std::sync::Mutex::new(Vec::new()),
            };
            NativeHelmRenderer::new()
                .try_render_each(&chart, &flow)
                .map_err(|e| format!("{e:?}"))
                .unwrap();
            flow.out.into_inner().unwrap().remove(0)
        };
        let (all, skipped) = (run(false), run(true));
        assert!(all.contains("kind: Pod"), "{all}");
        assert!(!skipped.contains("kind: Pod"), "{skipped}");
        let canonical = |text: &str| {
            crate::manifest::ManifestSet::parse(text, "t")
                .unwrap()
                .without_test_hooks()
                .into_yaml()
        };
        assert_eq!(canonical(&all), canonical(&skipped));
    }
}
