//! A rollout at scale: a fleet written by `generate_fleet` gets a 4-wave `rollout:` and its
//! release is rolled out through the pipeline (`Pipeline::deploy_rollout`, as `wo deploy` runs
//! it) to the WO simulator; prints, run by run, what each run installed, its wall time against
//! the ideal, and the requests it sent.
//!
//! ```sh
//! cargo run --release --example generate_fleet -- 5000 /tmp/roll5000
//! cargo run --release --example rollout_cost -- /tmp/roll5000 --latency-ms 50 [--concurrency 64] [--max-in-flight 500] [--schedule-s 600]
//! ```
//!
//! The rollout: `canary` (5 % of the `tier: flagship` targets), `early` (10 % of the rest),
//! `wide` (30 % of the rest), `rest`; batches of `--max-in-flight`; bake 15 minutes; budget 2 %.
//! Every run is a new pipeline over the same repositories (a new process, as each scheduled
//! workflow run is): it reads the progress from the source commit's statuses, installs while
//! the planner says deploy and returns when it says wait. Between runs the example moves its
//! clock forward instead of waiting, as the scheduled deploy workflow comes back: by
//! `--schedule-s` (600, the generated workflow's `*/10` cron) or to the end of the wait, if
//! sooner. No process lives through a bake, which is the point — the bake costs no runner
//! time; a run during a bake only reads the baking wave's health and exits. The WO simulator answers every request after
//! `--latency-ms` (operations end at their second poll); requests are counted by it. The
//! ideal wall time of a run is its requests × latency ÷ concurrency (WO's own pace at that
//! many requests in flight).

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wo::core::files::FileTree;
use wo::core::format::fleet::Fleet;
use wo::core::memory::{InMemoryConfigStore, InMemoryGitOpsRepo, InMemorySourceRepo};
use wo::core::pipeline::{Pipeline, SourceChoice};
use wo::core::rollout::{Decision, Timestamp};
use wo::credentials::Credentials;
use wo::pipeline::PipelineBuilder;
use wo::settings::{AzureSettings, Settings};
use wo_azure_sim::{Registry, RegistryOptions, Simulator, SimulatorOptions};

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rollout";
const BAKE_SECONDS: i64 = 15 * 60;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} takes a number")),
        None => Ok(default),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: rollout_cost DIR [--latency-ms N] [--concurrency C] [--max-in-flight M] [--schedule-s S]   (DIR written by generate_fleet)";
    let dir = PathBuf::from(args.first().ok_or(usage)?);
    let latency: u64 = arg(&args, "--latency-ms", 0)?;
    let concurrency: usize = arg(&args, "--concurrency", 64)?;
    let max_in_flight: usize = arg(&args, "--max-in-flight", 500)?;
    let schedule: i64 = arg(&args, "--schedule-s", 600)?;

    let mut fleet_tree = FileTree::load_dir(&dir.join("fleet"))?;
    let text = fleet_tree
        .text("fleet.yaml")?
        .ok_or("no fleet/fleet.yaml")?
        .to_string();
    let text = format!(
        "{text}rollout:\n  waves:\n    - {{name: canary, selector: {{tier: flagship}}, percent: 5}}\n    - {{name: early, percent: 10}}\n    - {{name: wide, percent: 30}}\n    - {{name: rest}}\n  maxInFlight: {max_in_flight}\n  failureBudget: {{percent: 2}}\n  bake: 15m\n"
    );
    fleet_tree.insert("fleet.yaml", text.clone())?;
    let fleet = Fleet::parse(&text, "fleet.yaml")?;
    let env = fleet.environment.clone();
    let source = Arc::new(InMemorySourceRepo::new());
    source.commit("main", FileTree::load_dir(&dir.join("source"))?);
    let config = Arc::new(InMemoryConfigStore::named("app-config"));
    config.commit(&env, FileTree::load_dir(&dir.join("config"))?);
    let platform = Arc::new(InMemoryConfigStore::named("platform-config"));
    platform.commit(&env, fleet_tree);
    let gitops = Arc::new(InMemoryGitOpsRepo::new());

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
        concurrency: Some(concurrency),
        poll: Some(Duration::from_millis(1)),
        ..AzureSettings::default()
    };
    let credentials =
        Credentials::default().with_azure(Arc::new(wo::azure::arm::StaticToken::new("rollout")));
    let arm = wo::orchestrator::arm_client(&azure, &credentials)?;
    let targets: Vec<(String, Vec<String>)> = fleet
        .targets
        .iter()
        .map(|t| (t.name.clone(), t.capabilities.clone()))
        .collect();
    sim.onboard(&arm, RG, "rollout", "site", &targets).await?;

    // A new pipeline per run: nothing but the repositories and WO carries over.
    let pipeline = || -> Result<Pipeline, wo::core::Error> {
        PipelineBuilder::new(Settings {
            first_environment: Some(env.clone()),
            registry: Some(format!("http://{}/charts", registry.host_port())),
            azure: azure.clone(),
            ..Settings::default()
        })
        .credentials(credentials.clone())
        .source(source.clone())
        .app_config(config.clone())
        .platform_config(platform.clone())
        .gitops(gitops.clone())
        .build()
    };
    let p = pipeline()?;
    p.prepare_pr(&env, &SourceChoice::Commit("main".into()), true)
        .await?;
    p.merge(&env).await?;
    drop(p);

    let start = wo::core::pipeline::system_clock().0;
    let ahead = Arc::new(AtomicI64::new(0));
    let clock = {
        let ahead = ahead.clone();
        move || Timestamp(wo::core::pipeline::system_clock().0 + ahead.load(Ordering::SeqCst))
    };
    println!(
        "{} targets, latency {latency} ms, concurrency {concurrency}, batches of {max_in_flight}, bake 15m",
        fleet.targets.len()
    );
    println!();
    println!("| run | installed | batches | wall time | ideal | wall ÷ ideal | WO requests | per target installed | then |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---|");
    let mut total_wall = Duration::ZERO;
    let mut total_requests = 0;
    let mut installed_total = 0;
    for run in 1.. {
        let p = pipeline()?;
        sim.reset_counters();
        let started = Instant::now();
        let out = p.deploy_rollout(&env, &clock).await?;
        let wall = started.elapsed();
        drop(p);
        total_wall += wall;
        let requests = sim.requests();
        total_requests += requests;
        let mut waves: Vec<(String, usize)> = Vec::new();
        for (wave, report) in &out.batches {
            if let Some(failed) = report.failed().first() {
                return Err(format!("{failed:?} failed in wave {wave}").into());
            }
            match waves.last_mut() {
                Some((w, n)) if w == wave => *n += report.results.len(),
                _ => waves.push((wave.clone(), report.results.len())),
            }
        }
        let installed: usize = waves.iter().map(|(_, n)| n).sum();
        installed_total += installed;
        let ideal = Duration::from_millis(latency * requests / concurrency as u64);
        let then = match &out.decision {
            Decision::WaitUntil { until, reason } => {
                // The next scheduled run: `--schedule-s` later, or at the end of the wait.
                let left = (until.0 - clock().0).clamp(0, schedule);
                ahead.fetch_add(left, Ordering::SeqCst);
                format!(
                    "exits: {reason:?} until +{} s; next run at +{} s",
                    until.0 - start,
                    clock().0 - start
                )
            }
            Decision::Done => "exits: done".to_string(),
            other => return Err(format!("the rollout stopped: {other:?}").into()),
        };
        println!(
            "| {run} | {} | {} | {:.1} s | {:.1} s | {} | {requests} | {} | {then} |",
            if waves.is_empty() {
                "—".to_string()
            } else {
                waves
                    .iter()
                    .map(|(w, n)| format!("{w} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            out.batches.len(),
            wall.as_secs_f64(),
            ideal.as_secs_f64(),
            if ideal.is_zero() {
                "—".to_string()
            } else {
                format!("{:.2}", wall.as_secs_f64() / ideal.as_secs_f64())
            },
            if installed == 0 {
                "—".to_string()
            } else {
                format!("{:.1}", requests as f64 / installed as f64)
            },
        );
        if out.decision == Decision::Done {
            break;
        }
    }
    let bakes = (clock().0 - start).max(0);
    println!();
    println!(
        "{installed_total} targets installed in {:.1} s of runs ({total_requests} WO requests, {:.1} per target); \
         the clock moved {bakes} s past the start (bakes of {BAKE_SECONDS} s after each wave), no run alive in between",
        total_wall.as_secs_f64(),
        total_requests as f64 / installed_total.max(1) as f64,
    );
    if installed_total != fleet.targets.len() {
        return Err(format!(
            "{installed_total} installs for {} targets",
            fleet.targets.len()
        )
        .into());
    }
    Ok(())
}
