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
async fn auto_falls_back_to_helm_with_a_notice_and_helm_native_says_why_it_cannot() {
    let out = renderer().render(&chart(None), &[request()]).await.unwrap();
    assert!(
        out[0]
            .manifests
            .contains("# Source: demo/templates/cm.yaml"),
        "{}",
        out[0].manifests
    );
    let notices = NOTICES.lock().unwrap().clone();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].starts_with("native engine unavailable: "),
        "{}",
        notices[0]
    );
    assert!(!notices[0].contains('\n'), "one line: {}", notices[0]);
    assert!(
        notices[0].contains("chart `demo` renders with helm"),
        "{}",
        notices[0]
    );

    // Explicit `helm` gives the same bytes, without a notice.
    let helm = renderer()
        .render(&chart(Some("helm")), &[request()])
        .await
        .unwrap();
    assert_eq!(helm[0].manifests, out[0].manifests);
    assert_eq!(NOTICES.lock().unwrap().len(), 1);

    let err = renderer()
        .render(&chart(Some("helm-native")), &[request()])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let message = err.to_string();
    for part in ["chart `demo`", "helm-native", "wo/engine: auto"] {
        assert!(message.contains(part), "{part}: {message}");
    }
}
