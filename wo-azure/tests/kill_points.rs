//! Deploy killed at every write: each request of a deploy that changes WO's state (PUT, POST,
//! DELETE) is a kill point. The simulator holds the answer of the `k`th write once it is
//! applied ([`Simulator::after_write`]), the deploy is killed there (its task aborted: its
//! connection closes, nothing of it runs again), then the write is answered into the closed
//! connection. A rerun of the deploy must converge to the state an uninterrupted deploy
//! reaches: the same WO resources, every target running the release, each target installed
//! once. No sleeps: every point is reached by the hook, in order (one target at a time).

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::ports::{CommitId, Orchestrator, Release, TargetRelease};

const RG_ID: &str = "/subscriptions/sub1/resourceGroups/rg1";
const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";
const TARGETS: [&str; 2] = ["line-1", "line-2"];

fn arm(sim: &Simulator) -> Arc<ArmClient> {
    Arc::new(
        ArmClient::builder()
            .base_url(sim.base_url())
            .credential(Arc::new(StaticToken::new("tok".to_string())))
            .http_client(default_http_client().unwrap())
            .retry(RetryPolicy {
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                ..RetryPolicy::default()
            })
            .lro(LroPolicy {
                min_interval: Duration::from_millis(1),
                max_interval: Duration::from_millis(10),
                default_interval: Duration::from_millis(2),
                max_duration: Duration::from_secs(30),
            })
            .build()
            .unwrap(),
    )
}

/// One target at a time, so that the `k`th write is the same write on every run.
fn orchestrator(sim: &Simulator) -> WoOrchestrator {
    WoOrchestrator::new(arm(sim), RG_ID, "eastus")
        .unwrap()
        .with_options(WoOptions {
            concurrency: 1,
            watch_interval: Duration::from_millis(2),
            watch_timeout: Duration::from_secs(30),
            ..WoOptions::default()
        })
}

fn release() -> Release {
    Release {
        solution: "shop".into(),
        environment: "dev".into(),
        version: "1.0.0".into(),
        source_commit: CommitId::from("a1"),
        gitops_commit: CommitId::from("g-1.0.0"),
        targets: TARGETS
            .iter()
            .map(|t| TargetRelease {
                target: t.to_string(),
                orchestrator_id: Some(format!("{RG}/targets/{t}")),
                values: json!({"appName": "shop", "replicas": 3, "store": {"name": t}}),
                manifests: format!("kind: ConfigMap\nmetadata:\n  name: {t}\n"),
            })
            .collect(),
        chart: None,
        specification: None,
    }
}

/// A simulator with the fleet onboarded, its counters at zero.
async fn fleet() -> Simulator {
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 1,
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let fleet: Vec<(String, Vec<String>)> = TARGETS
        .iter()
        .map(|t| (t.to_string(), vec!["helm".to_string()]))
        .collect();
    // `wo.gitops` bound: the type of the orchestrator's default specification.
    sim.onboard_with_roles(
        &arm(&sim),
        RG_ID,
        "ctx",
        "line",
        &fleet,
        &["helm.v3", "wo.gitops"],
    )
    .await
    .unwrap();
    sim.reset_counters();
    sim
}

/// What a deploy leaves in WO: the resources (jobs counted per target), and per target the release it runs and the
/// solution versions installed on it.
#[derive(Debug, PartialEq, Eq)]
struct State {
    resources: Vec<String>,
    running: Vec<(String, Option<String>)>,
    installs: Vec<(String, Vec<String>)>,
}

async fn state(sim: &Simulator) -> State {
    let wo = orchestrator(sim);
    let mut running = Vec::new();
    for t in TARGETS {
        running.push((t.to_string(), wo.deployed("shop", t).await.unwrap()));
    }
    // Jobs are named by a fresh GUID each: counted, not named.
    let mut resources: Vec<String> = sim
        .resource_ids()
        .into_iter()
        .map(
            |id| match id.split_once("/providers/microsoft.edge/jobs/") {
                Some((scope, _)) => format!("{scope}/providers/microsoft.edge/jobs/*"),
                None => id,
            },
        )
        .collect();
    resources.sort();
    State {
        resources,
        running,
        installs: TARGETS
            .iter()
            .map(|t| (t.to_string(), sim.installs(t)))
            .collect(),
    }
}

/// Deploys the release on a fresh fleet, killed after its `k`th write was applied and before
/// its answer reached the deploy. `None` when the deploy makes fewer than `k` writes (it ended
/// first); else the simulator as the kill left it and the write killed at (`METHOD path`).
async fn killed_at(k: u64) -> Option<(Simulator, String)> {
    let sim = fleet().await;
    let (reached_tx, reached) = tokio::sync::oneshot::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    sim.after_write(k, move || {
        let _ = reached_tx.send(());
        // The write is applied; its answer waits until the deploy is dead.
        let _ = release_rx.recv();
    });
    let wo = Arc::new(orchestrator(&sim));
    let mut task = tokio::spawn(async move { wo.deploy(&release()).await });
    let reached = tokio::select! {
        r = reached => r.is_ok(),
        _ = &mut task => false,
    };
    if !reached {
        return None;
    }
    task.abort();
    assert!(
        task.await.unwrap_err().is_cancelled(),
        "killed, not ended by itself"
    );
    release_tx.send(()).expect("the held write is answered");
    let write = sim.traffic().writes[k as usize - 1].clone();
    Some((sim, write))
}

/// How `got` differs from `want`.
fn diff(got: &State, want: &State) -> String {
    let extra: Vec<_> = got
        .resources
        .iter()
        .filter(|r| !want.resources.contains(r))
        .collect();
    let missing: Vec<_> = want
        .resources
        .iter()
        .filter(|r| !got.resources.contains(r))
        .collect();
    format!(
        "extra resources {extra:?}, missing {missing:?}, running {:?} (want {:?}), installs {:?} (want {:?})",
        got.running, want.running, got.installs, want.installs
    )
}

/// The `{RG}` and `/subscriptions/sub1` prefixes off a path, for the table.
fn short(write: &str) -> String {
    write
        .replace(RG, "{RG}")
        .replace("/subscriptions/sub1", "{sub}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_killed_at_any_write_is_finished_by_a_rerun_to_the_same_state() {
    // The uninterrupted deploy: its writes, and the state it leaves.
    let sim = fleet().await;
    let report = orchestrator(&sim).deploy(&release()).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    let writes = sim.traffic().writes;
    let reference = state(&sim).await;
    assert!(
        reference.installs.iter().all(|(_, i)| i.len() == 1),
        "{reference:?}"
    );
    assert!(writes.len() >= 6, "a deploy writes: {writes:?}");

    let mut table = vec![
        "| # | write killed after (applied, answer lost) | rerun |".to_string(),
        "|---|---|---|".to_string(),
    ];
    let mut failures = Vec::new();
    for k in 1..=writes.len() as u64 {
        let (sim, write) = killed_at(k)
            .await
            .unwrap_or_else(|| panic!("the deploy reaches write {k} of {}", writes.len()));
        assert_eq!(
            write,
            writes[k as usize - 1],
            "point {k} is the same write as in the uninterrupted deploy"
        );
        let rerun = orchestrator(&sim).deploy(&release()).await;
        let outcome = match &rerun {
            Ok(report) if report.all_succeeded() => {
                let got = state(&sim).await;
                if got == reference {
                    "converged: every target deployed, same resources, each target installed once"
                        .to_string()
                } else {
                    failures.push(format!("{k} {write}: {}", diff(&got, &reference)));
                    format!("DIFFERENT STATE: installs {:?}", got.installs)
                }
            }
            Ok(report) => {
                failures.push(format!("{k} {write}: {report:?}"));
                format!("FAILED: {:?}", report.results)
            }
            Err(e) => {
                failures.push(format!("{k} {write}: {e}"));
                format!("ERROR: {e}")
            }
        };
        table.push(format!("| {k} | `{}` | {outcome} |", short(&write)));
    }
    eprintln!("{}", table.join("\n"));
    assert!(
        killed_at(writes.len() as u64 + 1).await.is_none(),
        "no write beyond the uninterrupted deploy's"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
