//! The engine a chart declares (`wo/engine`) and the renderer that honours it.

use std::sync::Mutex;

use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_core::ErrorKind;
use wo_render::{ChartRenderer, Engine, HelmRenderer};

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n";

fn chart(engine: Option<&str>) -> Chart {
    let mut meta = String::from("apiVersion: v2\nname: demo\nversion: 1.0.0\n");
    if let Some(e) = engine {
        meta.push_str(&format!("annotations:\n  wo/engine: {e}\n"));
    }
    let mut files = FileTree::new();
    files.insert("Chart.yaml", meta).unwrap();
    files.insert("templates/cm.yaml", CONFIGMAP).unwrap();
    Chart {
        name: "demo".into(),
        files,
    }
}

fn request() -> RenderRequest {
    RenderRequest {
        release_name: "demo".into(),
        namespace: "ns".into(),
        target: TargetView {
            name: "t1".into(),
            ..TargetView::default()
        },
        values: serde_json::json!({}),
    }
}

static NOTICES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(message: &str) {
    NOTICES.lock().unwrap().push(message.to_owned());
}

fn renderer() -> ChartRenderer {
    ChartRenderer {
        helm: HelmRenderer::new().with_binary(wo_test_support::tool("helm")),
        notice: record,
        ..ChartRenderer::default()
    }
}

#[test]
fn the_annotation_names_the_engine_and_auto_is_the_default() {
    assert_eq!(Engine::of(&chart(None)).unwrap(), Engine::Auto);
    for (value, engine) in [
        ("auto", Engine::Auto),
        ("helm", Engine::Helm),
        ("helm-native", Engine::HelmNative),
        ("handlebars", Engine::Handlebars),
    ] {
        assert_eq!(Engine::of(&chart(Some(value))).unwrap(), engine);
        assert_eq!(engine.as_str(), value);
        assert_eq!(serde_json::to_value(engine).unwrap(), value);
    }
    let err = Engine::of(&chart(Some("native"))).unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    let d = &err.diagnostics()[0];
    assert_eq!(d.location.key_path, "annotations.wo/engine");
    assert!(d.message.contains("`helm-native`"), "{}", d.message);
}

#[tokio::test]
async fn auto_and_helm_native_render_natively_as_helm_does_and_auto_falls_back_with_a_notice() {
    let before = NOTICES.lock().unwrap().len();
    let native = renderer().render(&chart(None), &[request()]).await.unwrap();
    assert!(
        native[0]
            .manifests
            .contains("# Source: demo/templates/cm.yaml"),
        "{}",
        native[0].manifests
    );
    // Explicit `helm` (the real binary) and `helm-native` give the same bytes, without a notice.
    for engine in ["helm", "helm-native"] {
        let out = renderer()
            .render(&chart(Some(engine)), &[request()])
            .await
            .unwrap();
        assert_eq!(out[0].manifests, native[0].manifests, "{engine}");
    }
    assert_eq!(NOTICES.lock().unwrap().len(), before, "no notice");

    // A template calling a function the native engine does not know: auto says so in one line
    // and hands the chart to the real helm (which refuses it too here); helm-native says why.
    let mut unknown = chart(None);
    unknown
        .files
        .insert("templates/x.yaml", "x: {{ notAFunction 1 }}\n")
        .unwrap();
    let err = renderer().render(&unknown, &[request()]).await.unwrap_err();
    assert!(err.to_string().contains("notAFunction"), "{err}");
    let notices = NOTICES.lock().unwrap().clone();
    let notice = notices.last().expect("a notice");
    assert!(
        notice.starts_with("native engine unavailable: "),
        "{notice}"
    );
    assert!(!notice.contains('\n'), "one line: {notice}");
    assert!(
        notice.contains("chart `demo` renders with helm"),
        "{notice}"
    );

    let mut explicit = unknown.clone();
    explicit
        .files
        .insert(
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 1.0.0\nannotations:\n  wo/engine: helm-native\n",
        )
        .unwrap();
    let err = renderer()
        .render(&explicit, &[request()])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let message = err.to_string();
    for part in [
        "chart `demo`",
        "helm-native",
        "wo/engine: auto",
        "notAFunction",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
}

/// A chart drawing random names and a self-signed certificate: the native engine renders it the
/// same every time for a target (seeded from chart, release, namespace and target), where the
/// real helm differs on every run (and the helm engine refuses it, see tests/helm.rs).
#[tokio::test]
async fn the_native_engine_is_reproducible_per_target() {
    let mut random = chart(Some("helm-native"));
    random
        .files
        .insert(
            "templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-{{ randAlphaNum 8 | lower }}\n\
             stringData:\n  id: {{ uuidv4 }}\n  \
             ca: {{ (genCA \"ca\" 365).Cert | b64enc }}\n",
        )
        .unwrap();
    let two = |name: &str| {
        let mut other = request();
        other.target.name = name.into();
        [request(), other]
    };
    let first = renderer().render(&random, &two("t2")).await.unwrap();
    let again = renderer().render(&random, &two("t2")).await.unwrap();
    assert_eq!(
        first[0].manifests, again[0].manifests,
        "same target, same bytes"
    );
    assert_eq!(first[1].manifests, again[1].manifests);
    assert!(
        first[0].manifests.contains("name: s-"),
        "{}",
        first[0].manifests
    );
    assert_ne!(
        first[0].manifests, first[1].manifests,
        "another target draws other values"
    );
}
