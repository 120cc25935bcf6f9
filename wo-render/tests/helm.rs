//! The `helm template` renderer against the real Helm binary, the one `.ci/install-tools`
//! installs (`wo_test_support::tool`); these tests fail, never skip, when it is missing.

use std::sync::Arc;
use std::time::Duration;

use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_core::testkit::{renderer_conformance, RendererHarness};
use wo_render::HelmRenderer;

fn helm() -> HelmRenderer {
    let binary = wo_test_support::tool("helm");
    let r = HelmRenderer::new().with_binary(&binary);
    if let Err(e) = r.version() {
        panic!("these tests need the real helm, {}: {e}", binary.display());
    }
    r
}

fn chart(templates: &[(&str, &str)]) -> Chart {
    let mut files = FileTree::new();
    files
        .insert("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.0.0\n")
        .unwrap();
    files.insert("values.yaml", "replicas: 1\n").unwrap();
    for (name, body) in templates {
        files.insert(format!("templates/{name}"), *body).unwrap();
    }
    Chart {
        name: "demo".into(),
        files,
    }
}

fn request(target: &str, values: serde_json::Value) -> RenderRequest {
    RenderRequest {
        release_name: "demo".into(),
        namespace: "shop".into(),
        target: TargetView {
            name: target.into(),
            ..TargetView::default()
        },
        values,
    }
}

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n  mode: {{ .Values.mode | default \"x\" | quote }}\n";

struct Harness;

impl RendererHarness for Harness {
    fn renderer(&self) -> Arc<dyn Renderer> {
        Arc::new(helm())
    }
    fn chart(&self) -> Chart {
        chart(&[("cm.yaml", CONFIGMAP)])
    }
    fn broken_chart(&self) -> Option<(Chart, String)> {
        Some((
            chart(&[("bad.yaml", "kind: {{ .Values.replicas ")]),
            "templates/bad.yaml".into(),
        ))
    }
}

#[tokio::test]
async fn helm_renderer_passes_the_renderer_conformance_suite() {
    renderer_conformance(&Harness).await;
}

#[tokio::test]
async fn values_reach_the_templates_exactly() {
    // Strings that YAML 1.1 would turn into booleans or numbers must arrive as strings.
    let out = helm()
        .render(
            &chart(&[("cm.yaml", CONFIGMAP)]),
            &[request(
                "t1",
                serde_json::json!({"replicas": 3, "mode": "on"}),
            )],
        )
        .await
        .unwrap();
    assert!(
        out[0]
            .manifests
            .contains("# Source: demo/templates/cm.yaml"),
        "{}",
        out[0].manifests
    );
    assert!(
        out[0].manifests.contains("replicas: \"3\""),
        "{}",
        out[0].manifests
    );
    assert!(
        out[0].manifests.contains("mode: \"on\""),
        "{}",
        out[0].manifests
    );
    assert!(
        out[0].manifests.contains("namespace: shop"),
        "{}",
        out[0].manifests
    );
}

#[tokio::test]
async fn a_template_error_names_the_file_and_line() {
    let c = chart(&[
        ("cm.yaml", CONFIGMAP),
        (
            "broken.yaml",
            "a: 1\nb: {{ .Values.nested.deeper.value }}\n",
        ),
    ]);
    let err = helm()
        .render(
            &c,
            &[request("berlin-1", serde_json::json!({"replicas": 1}))],
        )
        .await
        .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.location.file, "templates/broken.yaml", "{err}");
    assert_eq!(d.location.line, Some(2), "{err}");
    assert!(d.message.contains("berlin-1"), "{err}");
}

#[tokio::test]
async fn a_template_that_produces_too_much_is_stopped() {
    let c = chart(&[("big.yaml", "data: |\n{{- range until 3000000 }}\n  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n{{- end }}\n")]);
    // Helm holds these 144 MB in memory several times over before printing them, so under
    // the default memory bound it runs out of memory first; this test is about the output
    // bound, so the memory bound is lifted.
    let r = helm()
        .with_max_output_bytes(1 << 20)
        .with_max_memory_bytes(0);
    let err = r
        .render(&c, &[request("t1", serde_json::json!({}))])
        .await
        .unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    assert!(err.to_string().contains("more than 1048576 bytes"), "{err}");
}

#[tokio::test]
async fn a_template_that_runs_too_long_is_stopped() {
    let c = chart(&[(
        "slow.yaml",
        "{{- range until 200000000 }}{{- $x := add 1 1 }}{{- end }}\nkind: x\n",
    )]);
    let r = helm().with_timeout(Duration::from_millis(500));
    let err = r
        .render(&c, &[request("t1", serde_json::json!({}))])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ran longer than"), "{err}");
}

#[tokio::test]
async fn a_missing_helm_is_a_clear_error() {
    let r = HelmRenderer::new().with_binary("/nonexistent/helm");
    let err = r
        .render(
            &chart(&[("cm.yaml", CONFIGMAP)]),
            &[request("t1", serde_json::json!({}))],
        )
        .await
        .unwrap_err();
    assert!(!err.is_invalid_input());
    assert!(err.to_string().contains("/nonexistent/helm"), "{err}");
}

/// A template doubling a string 23 times: 128 MiB, which Go builds with several times that.
const DOUBLING: &str = "{{- $s := \"xxxxxxxxxxxxxxxx\" }}{{- range until 23 }}{{ $s = print $s $s }}{{ end }}\nkind: ConfigMap\ndata:\n  n: {{ len $s | quote }}\n";

#[tokio::test]
async fn helm_past_its_memory_bound_fails_clearly() {
    let r = helm().with_max_memory_bytes(64 << 20);
    let err = r
        .render(
            &chart(&[("cm.yaml", DOUBLING)]),
            &[request("berlin-1", serde_json::json!({}))],
        )
        .await
        .unwrap_err();
    let d = err.diagnostics();
    assert_eq!(d.len(), 1, "{err}");
    assert_eq!(d[0].location.file, "demo/templates");
    assert!(
        d[0].message
            .contains("ran out of memory for target `berlin-1`"),
        "{err}"
    );
    assert!(d[0].message.contains("64 MiB"), "{err}");
}

#[tokio::test]
async fn helm_within_its_memory_bound_renders() {
    // The same doubling, 17 times (2 MiB), renders under a 256 MiB bound; and the default
    // bound is the one the other tests here run under.
    let small = DOUBLING.replace("until 23", "until 17");
    let r = helm().with_max_memory_bytes(256 << 20);
    let out = r
        .render(
            &chart(&[("cm.yaml", &small)]),
            &[request("berlin-1", serde_json::json!({}))],
        )
        .await
        .unwrap();
    assert!(
        out[0].manifests.contains("n: \"2097152\""),
        "{}",
        out[0].manifests
    );
}

#[tokio::test]
async fn capabilities_follow_each_target() {
    const CAPS: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caps\ndata:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n  minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n  monitoring: {{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" | quote }}\n  certs: {{ .Capabilities.APIVersions.Has \"cert-manager.io/v1\" | quote }}\n";
    let with = |name: &str, kube: Option<&str>, apis: &[&str]| {
        let mut r = request(name, serde_json::json!({}));
        r.target.kube_version = kube.map(str::to_owned);
        r.target.api_versions = apis.iter().map(|s| (*s).to_owned()).collect();
        r
    };
    let requests = [
        with("old", Some("1.27.3"), &["monitoring.coreos.com/v1"]),
        with("plain", None, &[]),
        with(
            "new",
            Some("v1.31.0"),
            &["cert-manager.io/v1", "monitoring.coreos.com/v1"],
        ),
    ];
    let out = helm()
        .with_workers(2)
        .render(&chart(&[("caps.yaml", CAPS)]), &requests)
        .await
        .unwrap();
    let data = |i: usize| {
        let set = wo_render::manifest::ManifestSet::parse(&out[i].manifests, "m").unwrap();
        set.resources[0].value["data"].clone()
    };
    assert_eq!(data(0)["kube"], "v1.27.3");
    assert_eq!(data(0)["minor"], "27");
    assert_eq!(data(0)["monitoring"], "true");
    assert_eq!(data(0)["certs"], "false");
    // Without settings, Helm's defaults: no extra API versions.
    assert_eq!(data(1)["monitoring"], "false");
    assert_ne!(data(1)["kube"], "v1.27.3");
    assert_eq!(data(2)["kube"], "v1.31.0");
    assert_eq!(data(2)["monitoring"], "true");
    assert_eq!(data(2)["certs"], "true");
}

const RANDOM_SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-pw\ndata:\n  password: {{ randAlphaNum 16 | b64enc | quote }}\n";

#[tokio::test]
async fn a_chart_that_renders_differently_each_time_is_refused() {
    let chart = chart(&[("cm.yaml", CONFIGMAP), ("secret.yaml", RANDOM_SECRET)]);
    let requests = [
        request("first", serde_json::json!({})),
        request("middle", serde_json::json!({})),
        request("last", serde_json::json!({})),
    ];
    let err = helm().render(&chart, &requests).await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    let d = &err.diagnostics()[0];
    assert_eq!(d.location.file, "templates/secret.yaml", "{err}");
    for part in [
        "chart `demo`",
        "Secret demo-pw",
        "randAlphaNum",
        "renders differently",
    ] {
        assert!(d.message.contains(part), "{part}: {}", d.message);
    }
    let hint = d.hint.as_deref().unwrap_or_default();
    assert!(
        hint.contains("wo/allow-nondeterministic: \"true\""),
        "{hint}"
    );

    // The call may sit in a helper: the chart's templates are searched.
    let mut helper = self::chart(&[(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  id: {{ include \"demo.id\" . }}\n",
    )]);
    helper
        .files
        .insert(
            "templates/_helpers.tpl",
            "{{- define \"demo.id\" -}}{{ uuidv4 }}{{- end -}}\n",
        )
        .unwrap();
    let err = helm().render(&helper, &requests[..1]).await.unwrap_err();
    let message = &err.diagnostics()[0].message;
    assert!(
        message.contains("uuidv4 (templates/_helpers.tpl)"),
        "{message}"
    );

    // A chart that accepts the churn opts out in Chart.yaml; so can the renderer.
    let mut allowed = chart.clone();
    allowed
        .files
        .insert(
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 1.0.0\nannotations:\n  wo/allow-nondeterministic: \"true\"\n",
        )
        .unwrap();
    let out = helm().render(&allowed, &requests).await.unwrap();
    assert_eq!(out.len(), 3);
    assert!(helm()
        .with_determinism_check(false)
        .render(&chart, &requests)
        .await
        .is_ok());
}
