//! Timed deploys of one release to many simulated targets at several concurrencies.
//!
//! ```text
//! cargo run --release -p woac-azure-sim --example deploy_bench -- \
//!     [--targets 1000] [--latency-ms 50] [--concurrency 1,8,32,64]
//! ```
//!
//! The simulator answers every request after `--latency-ms`; operations end at their second
//! poll (`lro_polls: 1`, `Retry-After: 0`), and the client polls as soon as it may (1 ms), so
//! the figures are the cost of wo's requests, not of waiting for a cluster. Each concurrency
//! deploys a new release (a first deploy on every target). Prints one markdown table row per
//! concurrency: wall time, requests, requests per target, peak requests in flight.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, StaticToken};
use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::ports::{CommitId, Orchestrator, Release, TargetRelease};

const RG_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench";

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn client(sim: &Simulator) -> Arc<ArmClient> {
    Arc::new(
        ArmClient::builder()
            .base_url(sim.base_url())
            .credential(Arc::new(StaticToken::new("bench")))
            .http_client(default_http_client().expect("http"))
            .lro(LroPolicy {
                min_interval: Duration::from_millis(1),
                ..LroPolicy::default()
            })
            .build()
            .expect("client"),
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--targets", "1000")
        .parse()
        .expect("--targets N");
    let latency: u64 = arg(&args, "--latency-ms", "50")
        .parse()
        .expect("--latency-ms N");
    let levels: Vec<usize> = arg(&args, "--concurrency", "1,8,32,64")
        .split(',')
        .map(|c| c.trim().parse().expect("--concurrency list"))
        .collect();
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 1,
        retry_after_secs: 0,
        latency: Duration::from_millis(latency),
        page_size: 100,
        ..SimulatorOptions::default()
    })
    .await
    .expect("simulator");
    let arm = client(&sim);
    let edge = format!("{RG_ID}/providers/Microsoft.Edge");
    let names: Vec<String> = (1..=n).map(|i| format!("cluster-{i:04}")).collect();
    let fleet: Vec<(String, Vec<String>)> = names
        .iter()
        .map(|t| (t.clone(), vec!["helm".to_string()]))
        .collect();
    let started = Instant::now();
    // `wo.gitops` bound: the type of the orchestrator's default specification.
    sim.onboard_with_roles(
        &arm,
        RG_ID,
        "bench",
        "site",
        &fleet,
        &["helm.v3", "wo.gitops"],
    )
    .await
    .expect("onboard the targets");
    eprintln!(
        "{n} targets onboarded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    println!(
        "| concurrency | wall time | requests | requests/target | peak in flight | all deployed |"
    );
    println!("|---:|---:|---:|---:|---:|---|");
    for c in levels {
        let version = format!("1.0.{c}");
        let release = Release {
            solution: "shop".into(),
            environment: "prod".into(),
            version: version.clone(),
            source_commit: CommitId::from("a1"),
            gitops_commit: CommitId::from(format!("g{c}")),
            targets: names
                .iter()
                .map(|t| TargetRelease {
                    target: t.clone(),
                    orchestrator_id: Some(format!("{edge}/targets/{t}")),
                    values: json!({"appName": "shop", "replicas": 3, "release": version,
                                   "store": {"name": t, "currency": "EUR"}}),
                    manifests: format!("kind: ConfigMap\nmetadata:\n  name: {t}\n"),
                })
                .collect(),
            chart: None,
            specification: None,
        };
        let wo = WoOrchestrator::new(client(&sim), RG_ID, "eastus")
            .expect("orchestrator")
            .with_options(WoOptions {
                concurrency: c,
                watch_interval: Duration::from_millis(1),
                ..WoOptions::default()
            });
        sim.reset_counters();
        let t0 = Instant::now();
        let report = wo.deploy(&release).await.expect("deploy");
        let wall = t0.elapsed();
        let requests = sim.requests();
        println!(
            "| {c} | {:.1} s | {requests} | {:.1} | {} | {} |",
            wall.as_secs_f64(),
            requests as f64 / n as f64,
            sim.peak_in_flight(),
            if report.all_succeeded() { "yes" } else { "no" },
        );
    }
}
