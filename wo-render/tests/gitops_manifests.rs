//! What reaches the gitops repo means what `helm install` sends: rendered manifests are read
//! with YAML 1.1 rules (as Kubernetes reads them) by both engines, and written back so that
//! YAML 1.1 reads the same values.

use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_core::yaml::{parse_stream_as, Budget, Schema};
use wo_render::{CanonicalRenderer, ChartRenderer, HelmRenderer};

const TEMPLATE: &str = "apiVersion: example.com/v1
kind: Meaning
metadata:
  name: meaning
spec:
  plainOn: on
  plainYes: yes
  plainOctal: 0777
  plainFloat: 1e3
  plainNull: ~
  quotedOn: \"on\"
  quotedYes: 'yes'
  quotedOctal: \"0777\"
  quotedFloat: \"1e3\"
";

/// The canonical manifests: the plain scalars as Kubernetes reads them, the quoted ones still
/// strings (and quoted, so that YAML 1.1 keeps them strings).
const CANONICAL: &str = "apiVersion: example.com/v1
kind: Meaning
metadata:
  name: meaning
spec:
  plainFloat: 1000.0
  plainNull: null
  plainOctal: 511
  plainOn: true
  plainYes: true
  quotedFloat: '1e3'
  quotedOctal: '0777'
  quotedOn: 'on'
  quotedYes: 'yes'
";

fn chart(engine: &str) -> Chart {
    let mut files = FileTree::new();
    files
        .insert(
            "Chart.yaml",
            format!("apiVersion: v2\nname: meaning\nversion: 1.0.0\nannotations:\n  wo/engine: {engine}\n"),
        )
        .unwrap();
    files.insert("templates/meaning.yaml", TEMPLATE).unwrap();
    Chart {
        name: "meaning".into(),
        files,
    }
}

fn renderer() -> CanonicalRenderer<ChartRenderer> {
    CanonicalRenderer::new(ChartRenderer {
        helm: HelmRenderer::new().with_binary(wo_test_support::tool("helm")),
        ..ChartRenderer::default()
    })
}

fn request() -> RenderRequest {
    RenderRequest {
        release_name: "meaning".into(),
        namespace: "ns".into(),
        target: TargetView {
            name: "t1".into(),
            ..TargetView::default()
        },
        values: serde_json::json!({}),
    }
}

#[tokio::test]
async fn every_engine_keeps_the_yaml11_meaning_in_the_gitops_manifests() {
    for engine in ["helm", "helm-native", "handlebars"] {
        let out = renderer()
            .render(&chart(engine), &[request()])
            .await
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        assert_eq!(out[0].manifests, CANONICAL, "{engine}");
        // Read back as Kubernetes does: the values are those `helm install` would send.
        let docs =
            parse_stream_as(&out[0].manifests, "m", &Budget::default(), Schema::Yaml11).unwrap();
        let spec = docs[0].to_value("m").unwrap()["spec"].clone();
        assert_eq!(
            spec,
            serde_json::json!({
                "plainOn": true, "plainYes": true, "plainOctal": 511, "plainFloat": 1000.0,
                "plainNull": null, "quotedOn": "on", "quotedYes": "yes", "quotedOctal": "0777",
                "quotedFloat": "1e3"
            }),
            "{engine}"
        );
    }
}

const WITH_TESTS: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  k: v
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
spec:
  template:
    spec:
      restartPolicy: Never
---
apiVersion: v1
kind: Pod
metadata:
  name: smoke
  annotations:
    helm.sh/hook: post-install, Test-Success
---
apiVersion: v1
kind: Pod
metadata:
  name: legacy
  annotations:
    helm.sh/hook: test-failure
";

const TEST_CONNECTION: &str = "apiVersion: v1
kind: Pod
metadata:
  name: test-connection
  annotations:
    \"helm.sh/hook\": test
spec:
  containers: []
";

#[tokio::test]
async fn helm_test_hooks_are_left_out_of_the_gitops_manifests() {
    for engine in ["helm", "helm-native", "handlebars"] {
        let mut chart = chart(engine);
        chart
            .files
            .insert("templates/app.yaml", WITH_TESTS)
            .unwrap();
        chart
            .files
            .insert("templates/tests/test-connection.yaml", TEST_CONNECTION)
            .unwrap();
        let out = renderer()
            .render(&chart, &[request()])
            .await
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let m = &out[0].manifests;
        assert!(
            m.contains("name: migrate"),
            "{engine}: other hooks stay\n{m}"
        );
        assert!(
            m.contains("kind: ConfigMap\nmetadata:\n  name: app\n"),
            "{engine}\n{m}"
        );
        for test in ["test-connection", "smoke", "legacy"] {
            assert!(!m.contains(test), "{engine}: {test} is a test hook\n{m}");
        }
    }
    // The engine itself still prints what `helm template` prints.
    let raw = HelmRenderer::new()
        .with_binary(wo_test_support::tool("helm"))
        .render(
            &{
                let mut c = chart("helm");
                c.files
                    .insert("templates/tests/t.yaml", TEST_CONNECTION)
                    .unwrap();
                c
            },
            &[request()],
        )
        .await
        .unwrap();
    assert!(raw[0].manifests.contains("test-connection"));
}
