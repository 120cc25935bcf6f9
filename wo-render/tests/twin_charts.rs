//! The twin example charts: `examples/charts/shop-helm` rendered by the real `helm template`
//! and `examples/shop/source/chart` (the worked example's native chart) rendered by `HandlebarsRenderer` give the same bytes.
//!
//! Helm is the one `.ci/install-tools` installs (`wo_test_support::tool`); without it these
//! tests fail (they never skip).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_render::HandlebarsRenderer;

fn charts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts")
}

fn helm() -> PathBuf {
    wo_test_support::tool("helm")
}

/// Runs `helm template <release> shop-helm [--namespace <ns>] -f values.json`.
fn run_helm(release: &str, namespace: &str, values: &Value) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("values.json");
    std::fs::write(&file, serde_json::to_vec(values).unwrap()).unwrap();
    Command::new(helm())
        .arg("template")
        .arg(release)
        .arg(charts().join("shop-helm"))
        .args(["--namespace", namespace, "-f"])
        .arg(&file)
        .output()
        .unwrap()
}

fn helm_template(release: &str, namespace: &str, values: &Value) -> String {
    let out = run_helm(release, namespace, values);
    assert!(
        out.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Case {
    release: &'static str,
    namespace: &'static str,
    values: Value,
}

fn cases() -> Vec<Case> {
    vec![
        // Chart defaults only, plus the one required value.
        Case {
            release: "shop",
            namespace: "shop",
            values: json!({"payment": {"endpoint": "https://pay.example.com"}}),
        },
        // Ingress and autoscaling on; strings YAML 1.1 would read as booleans and octals.
        Case {
            release: "shop-eu",
            namespace: "retail-eu",
            values: json!({
                "image": "registry.example.com/shop:2.5.0",
                "replicas": 3,
                "autoscaling": {"enabled": true, "maxReplicas": 9},
                "ingress": {"enabled": true},
                "ingressHost": "berlin.shop.example.com",
                "store": {"name": "on", "region": "eu-west", "site": "0777", "currency": "eur", "tier": "flagship store"},
                "payment": {"endpoint": "https://pay.example.com/v2", "callbackUrl": "https://berlin.shop.example.com/cb?x=1&y=2"},
                "featureFlags": ["new-checkout", "yes", "on"],
                "logging": {"level": "yes", "verbose": true},
                "printer": null,
            }),
        },
        // A release name without the chart's name, a printer, and an empty log level.
        Case {
            release: "web",
            namespace: "stores",
            values: json!({
                "replicas": 1,
                "store": {"name": "Chicago \"Loop\"", "region": "us-central", "site": "yes", "tier": "outlet"},
                "payment": {"endpoint": "https://pay.example.com"},
                "featureFlags": ["loyalty"],
                "logging": {"level": ""},
                "printer": "zebra-1",
                "resources": {"limits": {"memory": "1Gi"}},
            }),
        },
    ]
}

fn request(case: &Case) -> RenderRequest {
    RenderRequest {
        release_name: case.release.into(),
        namespace: case.namespace.into(),
        target: TargetView {
            name: format!("{}-target", case.release),
            ..TargetView::default()
        },
        values: case.values.clone(),
    }
}

fn hbs_chart() -> Chart {
    Chart {
        name: "shop".into(),
        files: FileTree::load_dir(&charts().join("../shop/source/chart")).unwrap(),
    }
}

fn render_hbs(cases: &[Case]) -> Vec<String> {
    let requests: Vec<RenderRequest> = cases.iter().map(request).collect();
    let out =
        futures::executor::block_on(HandlebarsRenderer::new().render(&hbs_chart(), &requests));
    out.unwrap().into_iter().map(|r| r.manifests).collect()
}

#[test]
fn the_handlebars_twin_renders_what_helm_renders_byte_for_byte() {
    let cases = cases();
    let ours = render_hbs(&cases);
    assert_eq!(ours.len(), cases.len());
    for (case, ours) in cases.iter().zip(&ours) {
        let theirs = helm_template(case.release, case.namespace, &case.values);
        if &theirs != ours {
            let line = theirs
                .lines()
                .zip(ours.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(theirs.lines().count().min(ours.lines().count()));
            panic!(
                "release {}: outputs differ from line {} on\n--- helm:\n{}\n--- handlebars:\n{}",
                case.release,
                line + 1,
                theirs
                    .lines()
                    .skip(line)
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n"),
                ours.lines()
                    .skip(line)
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
    }
}

#[test]
fn the_twins_switch_objects_on_values() {
    let ours = render_hbs(&cases());
    let kinds = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("kind: "))
            .map(|l| l.trim_start_matches("kind: ").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&ours[0]), ["ConfigMap", "Service", "Deployment"]);
    assert_eq!(
        kinds(&ours[1]),
        [
            "ConfigMap",
            "Service",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Ingress"
        ]
    );
    // Autoscaling owns the replica count: the Deployment then sets none.
    assert!(ours[0].contains("\n  replicas: 2\n"));
    assert!(!ours[1].contains("\n  replicas:"));
    assert!(ours[1].contains("STORE_NAME: \"on\"\n"));
    assert!(ours[1].contains("STORE_SITE: \"0777\"\n"));
    assert!(!ours[1].contains("PRINTER"));
    assert!(ours[2].contains("PRINTER: \"zebra-1\"\n"));
    assert!(ours[2].contains("name: web-shop\n"));
    assert!(ours[2].contains("LOG_LEVEL: \"info\"\n"));
}

#[test]
fn a_missing_required_value_fails_in_both_engines() {
    let case = Case {
        release: "shop",
        namespace: "shop",
        values: json!({}),
    };
    let helm_out = run_helm(case.release, case.namespace, &case.values);
    assert!(!helm_out.status.success());
    assert!(String::from_utf8_lossy(&helm_out.stderr).contains("payment.endpoint is required"));

    let err = futures::executor::block_on(
        HandlebarsRenderer::new().render(&hbs_chart(), &[request(&case)]),
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.location.file, "templates/configmap.yaml");
    assert_eq!((d.location.line, d.location.column), (Some(14), Some(21)));
    assert!(
        d.message.contains("payment.endpoint is required"),
        "{}",
        d.message
    );
    assert!(d.message.contains("shop-target"), "{}", d.message);
}
