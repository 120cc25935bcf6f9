//! What a deploy costs now that the chart is published: requests to Workload Orchestration and
//! to the registry, and time, per target, for a fleet written by `generate_fleet`.
//!
//! ```sh
//! cargo run --release --example generate_fleet -- 200 /tmp/cost200
//! cargo run --release --example deploy_cost -- /tmp/cost200 [--latency-ms 0]
//! ```
//!
//! The fleet's environment (`prod`) is prepared, merged and deployed through the pipeline with
//! a registry: the WO simulator on 127.0.0.1 (every request answered after `--latency-ms`,
//! operations ending at their second poll) installs by pulling the chart from the container
//! registry stand-in beside it and rendering it. The same head is then deployed again (nothing
//! to install, nothing to push). Prints one markdown table row per deploy.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wo::core::files::FileTree;
use wo::core::format::fleet::Fleet;
use wo::core::memory::{InMemoryConfigStore, InMemoryGitOpsRepo, InMemorySourceRepo};
use wo::core::pipeline::SourceChoice;
use wo::credentials::Credentials;
use wo::pipeline::PipelineBuilder;
use wo::settings::{AzureSettings, Settings};
use wo_azure_sim::{Registry, RegistryOptions, Simulator, SimulatorOptions};

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/cost";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: deploy_cost DIR [--latency-ms N]   (DIR written by generate_fleet)";
    let dir = PathBuf::from(args.first().ok_or(usage)?);
    let latency: u64 = match args.iter().position(|a| a == "--latency-ms") {
        Some(i) => args.get(i + 1).ok_or(usage)?.parse()?,
        None => 0,
    };

    let fleet_tree = FileTree::load_dir(&dir.join("fleet"))?;
    let fleet = Fleet::parse(
        fleet_tree
            .text("fleet.yaml")?
            .ok_or("no fleet/fleet.yaml")?,
        "fleet.yaml",
    )?;
    let env = fleet.environment.clone();
    let source = InMemorySourceRepo::new();
    source.commit("main", FileTree::load_dir(&dir.join("source"))?);
    let config = InMemoryConfigStore::named("app-config");
    config.commit(&env, FileTree::load_dir(&dir.join("config"))?);
    let platform = InMemoryConfigStore::named("platform-config");
    platform.commit(&env, fleet_tree);

    let registry = Registry::start(RegistryOptions::default()).await?;
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 1,
        retry_after_secs: 0,
        latency: Duration::from_millis(latency),
        charts: Some(registry.chart_source()),
        ..SimulatorOptions::default()
    })
    .await?;
    let azure = AzureSettings {
        url: Some(sim.base_url()),
        resource_group: Some(RG.into()),
        concurrency: Some(32),
        poll: Some(Duration::from_millis(1)),
        ..AzureSettings::default()
    };
    let credentials =
        Credentials::default().with_azure(Arc::new(wo::azure::arm::StaticToken::new("cost")));
    let arm = wo::orchestrator::arm_client(&azure, &credentials)?;
    let targets: Vec<(String, Vec<String>)> = fleet
        .targets
        .iter()
        .map(|t| (t.name.clone(), t.capabilities.clone()))
        .collect();
    sim.onboard(&arm, RG, "cost", "site", &targets).await?;

    let gitops = InMemoryGitOpsRepo::new();
    let pipeline = PipelineBuilder::new(Settings {
        first_environment: Some(env.clone()),
        registry: Some(format!("http://{}/charts", registry.host_port())),
        azure,
        ..Settings::default()
    })
    .credentials(credentials)
    .source(Arc::new(source))
    .app_config(Arc::new(config))
    .platform_config(Arc::new(platform))
    .gitops(Arc::new(gitops))
    .build()?;
    pipeline
        .prepare_pr(&env, &SourceChoice::Commit("main".into()), true)
        .await?;
    pipeline.merge(&env).await?;

    println!("| deploy | targets | wall time | per target | WO requests | per target | registry requests | chart |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for run in ["first", "again"] {
        sim.reset_counters();
        let registry_before = registry.requests();
        let started = Instant::now();
        let out = pipeline.deploy(&env).await?;
        let wall = started.elapsed();
        let n = out.report.results.len();
        if !out.report.all_succeeded() {
            return Err(format!("the deploy failed: {:?}", out.report.failed()).into());
        }
        let requests = sim.requests();
        let chart = out
            .chart
            .map(|c| {
                format!(
                    "{} {}",
                    c.chart.digest.get(..19).unwrap_or_default(),
                    if c.pushed { "pushed" } else { "there already" }
                )
            })
            .unwrap_or_default();
        println!(
            "| {run} | {n} | {:.2} s | {:.1} ms | {requests} | {:.1} | {} | {chart} |",
            wall.as_secs_f64(),
            wall.as_secs_f64() * 1000.0 / n as f64,
            requests as f64 / n as f64,
            registry.requests() - registry_before,
        );
    }
    Ok(())
}
