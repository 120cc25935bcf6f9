//! Microsoft's generated Python SDK (`azure-mgmt-workloadorchestration`, its LRO pollers)
//! against the simulator: `tests/sdk/scenario.py` creates a schema, a solution template and
//! configuration values, then resolves, reviews, publishes and installs on one target and reads
//! the result back; a review of incomplete values and an install on a failing target must raise
//! `HttpResponseError` from the poller. The interpreter is `wo-python` from
//! `bash .ci/install-tools` (or `WO_PYTHON_SDK`).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, StaticToken};
use wo_azure_sim::{Registry, RegistryOptions, Simulator, SimulatorOptions};
use wo_core::files::FileTree;

const SUB: &str = "sub1";
const RG: &str = "rg1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_pollers_get_the_resource_on_success_and_raise_on_failure() {
    let python = wo_test_support::tool("wo-python");
    // The chart the scenario's helm.v3 component installs, in a registry stand-in.
    let registry = Registry::start(RegistryOptions::default()).await.unwrap();
    let mut chart = FileTree::new();
    chart
        .insert(
            "Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\nannotations:\n  wo/engine: handlebars\n",
        )
        .unwrap();
    chart
        .insert(
            "templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: {{quote Values.Greeting}}\n",
        )
        .unwrap();
    let packaged = wo_render::package::package(&chart, "1.0.0").unwrap();
    registry
        .push_chart("charts/web", "1.0.0", &packaged.bytes)
        .unwrap();
    let chart_repo = format!("oci://{}/charts/web", registry.host_port());
    let sim = Simulator::start(SimulatorOptions {
        retry_after_secs: 0,
        charts: Some(registry.chart_source()),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let arm = ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new("tok".to_string())))
        .http_client(default_http_client().unwrap())
        .lro(LroPolicy {
            min_interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(20),
            default_interval: Duration::from_millis(5),
            ..LroPolicy::default()
        })
        .build()
        .unwrap();
    let targets: Vec<(String, Vec<String>)> = ["edge-ok", "edge-refused", "edge-failing"]
        .iter()
        .map(|t| (t.to_string(), vec!["soap".to_string()]))
        .collect();
    sim.onboard(
        &arm,
        &format!("/subscriptions/{SUB}/resourceGroups/{RG}"),
        "ctx",
        "line",
        &targets,
    )
    .await
    .unwrap();
    sim.fail_installs_on("edge-failing");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/scenario.py");
    let base = sim.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([
                &base,
                SUB,
                RG,
                "edge-ok",
                "edge-refused",
                "edge-failing",
                &chart_repo,
            ])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("wo-python runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK scenario failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let steps: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("step "))
        .map(|l| l.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        steps,
        [
            "schema+version",
            "solution-template+version",
            "configuration-values",
            "resolve",
            "review",
            "publish",
            "install",
            "read-back",
            "review-refused",
            "install-failing",
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("step review-refused: raised HttpResponseError 400 ValidationFailed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("step install-failing: raised HttpResponseError 409 DeploymentFailed"),
        "{stdout}"
    );
    assert!(stdout.contains("scenario passed"), "{stdout}");
    let applied = sim
        .applied("edge-ok", None)
        .expect("the chart is applied on edge-ok");
    assert_eq!(applied.chart.digest, packaged.digest);
    assert!(
        applied.manifests.contains("greeting: hello"),
        "{}",
        applied.manifests
    );
    sim.shutdown().await;
}
