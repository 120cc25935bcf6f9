//! `WoOrchestrator` against the Workload Orchestration simulator on 127.0.0.1: the
//! `Orchestrator` conformance suite, the check of WO's resolved configuration, faults (429
//! storms, 5xx, failing operations, failing installs, a deploy cut off half-way), rollback,
//! uninstall and bounded concurrency.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo_azure::orchestrator::{template_name, wo_version, WoOptions, WoOrchestrator};
use wo_azure_sim::{Fault, Simulator, SimulatorOptions};
use wo_core::ports::{CommitId, Orchestrator, Release, TargetOutcome, TargetRelease};
use wo_core::testkit::{orchestrator_conformance, OrchestratorHarness};
use wo_http::ManualClock;

const RG_ID: &str = "/subscriptions/sub1/resourceGroups/rg1";
const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";

fn options() -> SimulatorOptions {
    SimulatorOptions {
        lro_polls: 1,
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    }
}

fn arm(sim: &Simulator) -> Arc<ArmClient> {
    Arc::new(
        ArmClient::builder()
            .base_url(sim.base_url())
            .credential(Arc::new(StaticToken::new("tok".to_string())))
            .http_client(default_http_client().unwrap())
            .retry(RetryPolicy {
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                max_attempts: 12,
                ..RetryPolicy::default()
            })
            .lro(LroPolicy {
                min_interval: Duration::from_millis(1),
                max_interval: Duration::from_millis(20),
                default_interval: Duration::from_millis(5),
                max_duration: Duration::from_secs(30),
            })
            .build()
            .unwrap(),
    )
}

fn orchestrator(sim: &Simulator, concurrency: usize) -> WoOrchestrator {
    WoOrchestrator::new(arm(sim), RG_ID, "eastus")
        .unwrap()
        .with_options(WoOptions {
            concurrency,
            watch_interval: Duration::from_millis(5),
            ..WoOptions::default()
        })
}

/// A context and targets, as a platform team onboards them. The targets bind `wo.gitops`
/// (the type of the orchestrator's default specification) besides `helm.v3`: the simulator
/// refuses components of types a target does not bind.
async fn seed(sim: &Simulator, targets: &[&str]) {
    let fleet: Vec<(String, Vec<String>)> = targets
        .iter()
        .map(|t| (t.to_string(), vec!["helm".to_string()]))
        .collect();
    sim.onboard_with_roles(
        &arm(sim),
        RG_ID,
        "ctx",
        "line",
        &fleet,
        &["helm.v3", "wo.gitops"],
    )
    .await
    .unwrap();
}

fn release(solution: &str, version: &str, targets: &[&str]) -> Release {
    Release {
        solution: solution.into(),
        environment: "dev".into(),
        version: version.into(),
        source_commit: CommitId::from("a1"),
        gitops_commit: CommitId::from(format!("g-{version}")),
        targets: targets
            .iter()
            .map(|t| TargetRelease {
                target: t.to_string(),
                orchestrator_id: Some(format!("{RG}/targets/{t}")),
                values: json!({
                    "appName": "shop",
                    "replicas": 3,
                    "store": {"name": t, "currency": "EUR"},
                    "printer": "0777",
                    "featureFlags": ["new-checkout"],
                    "release": version,
                }),
                manifests: format!("kind: ConfigMap\nmetadata:\n  name: {t}\n"),
            })
            .collect(),
        chart: None,
        specification: None,
    }
}

/// Installs of `version` of `solution` on `target` that went through (instance history).
async fn successful_installs(
    sim: &Simulator,
    solution: &str,
    target: &str,
    version: &str,
) -> usize {
    let name = template_name(solution);
    let prefix = format!("{}.", wo_version(version));
    let histories = arm(sim)
        .list(&format!(
            "{RG}/targets/{target}/solutions/{name}/instances/{name}/histories"
        ))
        .await
        .unwrap_or_default();
    histories
        .iter()
        .filter(|h| {
            h["properties"]["solutionVersion"]["solutionVersionId"]
                .as_str()
                .and_then(|id| id.rsplit('/').next())
                .is_some_and(|sv| sv.starts_with(&prefix))
        })
        .count()
}

/// Install requests WO accepted for `version` of the solution on `target`.
fn started_installs(sim: &Simulator, target: &str, version: &str) -> usize {
    let prefix = format!("{}.", wo_version(version));
    sim.installs(target)
        .iter()
        .filter(|sv| sv.starts_with(&prefix))
        .count()
}

struct Harness {
    sim: Simulator,
    wo: Arc<WoOrchestrator>,
}

#[async_trait]
impl OrchestratorHarness for Harness {
    fn orchestrator(&self) -> Arc<dyn Orchestrator> {
        self.wo.clone()
    }
    async fn fail_target(&self, target: &str, message: &str) {
        self.sim.fail_installs_on_with(target, message);
    }
    async fn heal_target(&self, target: &str) {
        self.sim.heal_installs_on(target);
    }
    async fn installs(&self, solution: &str, target: &str, version: &str) -> usize {
        successful_installs(&self.sim, solution, target, version).await
    }
}

#[tokio::test]
async fn passes_the_orchestrator_conformance_suite() {
    let sim = Simulator::start(options()).await.unwrap();
    seed(
        &sim,
        &["conf-a", "conf-b", "conf-c", "conf-d", "conf-e", "conf-f"],
    )
    .await;
    let wo = Arc::new(orchestrator(&sim, 4));
    orchestrator_conformance(&Harness { sim, wo }).await;
}

#[tokio::test]
async fn a_deploy_creates_the_wo_resources_and_a_rerun_installs_nothing() {
    let sim = Simulator::start(options()).await.unwrap();
    let targets = ["line-1", "line-2", "line-3"];
    seed(&sim, &targets).await;
    let wo = orchestrator(&sim, 2);
    let r = release("shop", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", &targets);
    let report = wo.deploy(&r).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    let v = wo_version(&r.version);
    assert!(sim
        .resource(&format!("{RG}/schemas/shop/versions/{v}"))
        .is_some());
    let stv = sim
        .resource(&format!("{RG}/solutionTemplates/shop/versions/{v}"))
        .expect("template version");
    let template = stv["properties"]["configurations"].as_str().unwrap();
    assert!(template.contains("$val(store.currency)"), "{template}");
    let sv = sim
        .resource(&format!(
            "{RG}/targets/line-2/solutions/shop/versions/{v}.1"
        ))
        .expect("solution version");
    assert_eq!(sv["properties"]["state"], "Deployed");
    let config = sv["properties"]["configuration"].as_str().unwrap();
    assert!(
        config.contains("line-2") && config.contains("'0777'") || config.contains("\"0777\""),
        "{config}"
    );
    assert_eq!(
        wo.deployed("shop", "line-2").await.unwrap().as_deref(),
        Some(r.version.as_str())
    );
    for t in targets {
        assert_eq!(started_installs(&sim, t, &r.version), 1, "{t}");
    }

    let before = sim.requests();
    let again = wo.deploy(&r).await.unwrap();
    assert!(again.all_succeeded(), "{again:?}");
    for t in targets {
        assert_eq!(
            started_installs(&sim, t, &r.version),
            1,
            "{t} not installed twice"
        );
    }
    let reads = sim.requests() - before;
    assert!(reads < 40, "a rerun only reads: {reads} requests");
}

#[tokio::test]
async fn a_failing_install_reports_wo_error_details_and_leaves_the_target_on_its_version() {
    let sim = Simulator::start(options()).await.unwrap();
    let targets = ["line-1", "line-2"];
    seed(&sim, &targets).await;
    let wo = orchestrator(&sim, 2);
    let v1 = release("shop", "1.0.0", &targets);
    assert!(wo.deploy(&v1).await.unwrap().all_succeeded());
    sim.fail_installs_on_with("line-2", "ImagePullBackOff: registry unreachable");
    let v2 = release("shop", "2.0.0", &targets);
    let report = wo.deploy(&v2).await.unwrap();
    assert_eq!(report.results["line-1"], TargetOutcome::Deployed);
    let failed = report.failed();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "line-2");
    assert!(failed[0].1.contains("ImagePullBackOff"), "{}", failed[0].1);
    assert_eq!(
        wo.deployed("shop", "line-2").await.unwrap().as_deref(),
        Some("1.0.0"),
        "the failed target keeps running what it ran"
    );
    sim.heal_installs_on("line-2");
    let retry = wo.deploy(&v2).await.unwrap();
    assert!(retry.all_succeeded(), "{retry:?}");
    assert_eq!(
        started_installs(&sim, "line-1", "2.0.0"),
        1,
        "not installed again"
    );
    assert_eq!(
        successful_installs(&sim, "shop", "line-2", "2.0.0").await,
        1
    );
}

#[tokio::test]
async fn a_configuration_wo_resolved_differently_fails_the_target_with_a_diff() {
    let sim = Simulator::start(options()).await.unwrap();
    seed(&sim, &["line-1"]).await;
    let wo = orchestrator(&sim, 1);
    let r = release("shop", "1.0.0", &["line-1"]);
    // A first attempt fails at install, leaving a reviewed version behind…
    sim.fail_installs_on_with("line-1", "node not ready");
    assert!(!wo.deploy(&r).await.unwrap().all_succeeded());
    sim.heal_installs_on("line-1");
    // …then someone sets other values by hand and reviews again.
    let arm = arm(&sim);
    let reference = arm
        .get(&format!(
            "{RG}/targets/line-1/providers/Microsoft.Edge/configurationReferences/default"
        ))
        .await
        .unwrap();
    let config = reference["properties"]["configurationResourceId"]
        .as_str()
        .unwrap()
        .to_string();
    let version = format!("{config}/dynamicConfigurations/shop/versions/1.0.0");
    let mut values: Value = r.targets[0].values.clone();
    values["replicas"] = json!(9);
    arm.put_lro(
        &version,
        &json!({"properties": {"values": wo_core::yaml::to_string(&values)}}),
    )
    .await
    .unwrap();
    arm.post_lro(
        &format!("{RG}/targets/line-1/reviewSolutionVersion"),
        Some(&json!({"solutionTemplateVersionId": format!("{RG}/solutionTemplates/shop/versions/1.0.0"),
                     "solutionInstanceName": "shop"})),
    )
    .await
    .unwrap();

    let report = wo.deploy(&r).await.unwrap();
    let failed = report.failed();
    assert_eq!(failed.len(), 1, "{report:?}");
    assert!(
        failed[0].1.contains("replicas: 3 (ours) → 9 (WO)"),
        "a readable diff: {}",
        failed[0].1
    );
    assert_eq!(
        started_installs(&sim, "line-1", "1.0.0"),
        1,
        "nothing installed after the disagreement"
    );
    assert_eq!(wo.deployed("shop", "line-1").await.unwrap(), None);
}

#[tokio::test]
async fn throttling_storms_and_5xx_are_ridden_out_and_nothing_is_installed_twice() {
    let sim = Simulator::start(options()).await.unwrap();
    let targets = ["line-1", "line-2", "line-3", "line-4"];
    seed(&sim, &targets).await;
    let wo = orchestrator(&sim, 4);
    // Within the retry budget (12 attempts per call): ridden out.
    sim.inject(Fault::Throttle, 8);
    sim.inject(Fault::Unavailable, 3);
    let r = release("shop", "1.0.0", &targets);
    let report = wo.deploy(&r).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    assert_eq!(sim.pending_faults(), 0, "every fault was served");
    for t in targets {
        assert_eq!(started_installs(&sim, t, "1.0.0"), 1, "{t}");
    }

    // A storm longer than the budget, starting mid-deploy: whatever it breaks is a retryable
    // error or a failed target, never a wrong result; the rerun finishes without reinstalling.
    let r2 = release("shop", "2.0.0", &targets);
    let mut storms = 0;
    loop {
        let wo = Arc::new(orchestrator(&sim, 4));
        let task = {
            let (wo, r2) = (wo.clone(), r2.clone());
            tokio::spawn(async move { wo.deploy(&r2).await })
        };
        tokio::time::sleep(Duration::from_millis(5 + 10 * storms)).await;
        sim.inject(Fault::Throttle, 150);
        match task.await.unwrap() {
            Ok(report) if report.all_succeeded() => break,
            Ok(report) => {
                for (t, m) in report.failed() {
                    assert!(
                        m.contains("429") || m.contains("TooManyRequests"),
                        "{t}: {m}"
                    );
                }
            }
            Err(e) => assert!(e.is_retryable(), "{e}"),
        }
        while sim.pending_faults() > 0 {
            let _ = arm(&sim).get(&format!("{RG}/contexts/ctx")).await;
        }
        storms += 1;
        assert!(storms < 20, "a deploy finishes once the storms stop");
        if storms >= 3 {
            break;
        }
    }
    let report = wo.deploy(&r2).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    for t in targets {
        assert_eq!(
            successful_installs(&sim, "shop", t, "2.0.0").await,
            1,
            "{t}"
        );
        assert!(
            started_installs(&sim, t, "2.0.0") <= 1,
            "{t} installed once"
        );
    }
}

#[tokio::test]
async fn failing_operations_fail_targets_or_the_deploy_and_a_rerun_finishes_the_job() {
    let sim = Simulator::start(options()).await.unwrap();
    let targets = ["line-1", "line-2", "line-3"];
    seed(&sim, &targets).await;
    let wo = orchestrator(&sim, 1);
    let r = release("shop", "1.0.0", &targets);
    // Each of the first operations of the deploy fails once, one after the other.
    for round in 0..12 {
        sim.fail_next_operations(1);
        match wo.deploy(&r).await {
            Ok(report) if report.all_succeeded() => {
                assert!(round > 0, "a failed operation is noticed");
                break;
            }
            Ok(report) => assert!(!report.failed().is_empty()),
            Err(e) => assert!(e.to_string().contains("InternalServerError"), "{e}"),
        }
    }
    let report = wo.deploy(&r).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    for t in targets {
        assert!(started_installs(&sim, t, "1.0.0") <= 2, "{t}");
        assert_eq!(
            successful_installs(&sim, "shop", t, "1.0.0").await,
            1,
            "{t} installed once"
        );
    }
}

#[tokio::test]
async fn a_deploy_cut_off_half_way_is_finished_by_a_rerun_without_installing_twice() {
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 3,
        latency: Duration::from_millis(5),
        ..options()
    })
    .await
    .unwrap();
    let targets: Vec<String> = (1..=8).map(|i| format!("line-{i}")).collect();
    let names: Vec<&str> = targets.iter().map(String::as_str).collect();
    seed(&sim, &names).await;
    let r = release("shop", "1.0.0", &names);
    let mut cut_at = Vec::new();
    for ms in [40u64, 120, 250, 400] {
        let wo = Arc::new(orchestrator(&sim, 3));
        let task = {
            let (wo, r) = (wo.clone(), r.clone());
            tokio::spawn(async move { wo.deploy(&r).await })
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let finished = task.is_finished();
        task.abort();
        cut_at.push((ms, finished, sim.installs("line-1").len()));
    }
    let report = orchestrator(&sim, 3).deploy(&r).await.unwrap();
    assert!(report.all_succeeded(), "{report:?} after cuts {cut_at:?}");
    for t in &names {
        assert_eq!(
            started_installs(&sim, t, "1.0.0"),
            1,
            "{t} installed once ({cut_at:?})"
        );
        assert_eq!(
            successful_installs(&sim, "shop", t, "1.0.0").await,
            1,
            "{t}"
        );
    }
    assert!(
        cut_at.iter().any(|(_, finished, _)| !finished),
        "some cut fell mid-deploy: {cut_at:?}"
    );
}

#[tokio::test]
async fn rollback_installs_the_earlier_version_and_uninstall_removes_it() {
    let sim = Simulator::start(options()).await.unwrap();
    let targets = ["line-1", "line-2"];
    seed(&sim, &targets).await;
    let wo = orchestrator(&sim, 2);
    assert!(wo
        .deploy(&release("shop", "1.0.0", &targets))
        .await
        .unwrap()
        .all_succeeded());
    assert!(wo
        .deploy(&release("shop", "2.0.0", &targets))
        .await
        .unwrap()
        .all_succeeded());
    let names: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let report = wo.rollback("shop", "1.0.0", &names).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    for t in targets {
        assert_eq!(
            wo.deployed("shop", t).await.unwrap().as_deref(),
            Some("1.0.0")
        );
    }
    let again = wo.rollback("shop", "1.0.0", &names).await.unwrap();
    assert!(again.all_succeeded());
    assert_eq!(
        started_installs(&sim, "line-1", "1.0.0"),
        2,
        "installed once more by the rollback, not by its repeat"
    );
    let missing = wo.rollback("shop", "9.9.9", &names).await;
    assert!(
        matches!(missing, Err(wo_core::Error::NotFound { .. })),
        "{missing:?}"
    );

    wo.uninstall("shop", "line-2").await.unwrap();
    assert_eq!(wo.deployed("shop", "line-2").await.unwrap(), None);
    assert_eq!(
        wo.deployed("shop", "line-1").await.unwrap().as_deref(),
        Some("1.0.0")
    );
}

#[tokio::test]
async fn concurrency_bounds_the_requests_in_flight() {
    let sim = Simulator::start(SimulatorOptions {
        latency: Duration::from_millis(10),
        ..options()
    })
    .await
    .unwrap();
    let targets: Vec<String> = (1..=12).map(|i| format!("line-{i}")).collect();
    let names: Vec<&str> = targets.iter().map(String::as_str).collect();
    seed(&sim, &names).await;
    sim.reset_counters();
    let report = orchestrator(&sim, 4)
        .deploy(&release("shop", "1.0.0", &names))
        .await
        .unwrap();
    assert!(report.all_succeeded());
    let peak = sim.peak_in_flight();
    assert!(peak <= 4, "peak in flight {peak} > 4");
    assert!(peak >= 2, "work did overlap: peak {peak}");
}

#[tokio::test]
async fn targets_without_an_orchestrator_id_are_found_in_the_resource_group_and_bad_settings_are_refused(
) {
    let sim = Simulator::start(options()).await.unwrap();
    seed(&sim, &["line-1"]).await;
    let wo = orchestrator(&sim, 1);
    let mut r = release("shop", "1.0.0", &["line-1", "line-9"]);
    for t in &mut r.targets {
        t.orchestrator_id = None;
    }
    let report = wo.deploy(&r).await.unwrap();
    assert_eq!(report.results["line-1"], TargetOutcome::Deployed);
    let failed = report.failed();
    assert_eq!(failed[0].0, "line-9");
    assert!(
        failed[0].1.contains("targets/line-9"),
        "names the missing target: {}",
        failed[0].1
    );

    for bad in [
        "/subscriptions/s",
        "/subscriptions/s/resourceGroups/../x",
        "rg1",
    ] {
        assert!(
            WoOrchestrator::new(arm(&sim), bad, "eastus").is_err(),
            "{bad}"
        );
    }
}

// ---- polling: waits between polls, superseded installs, concurrent deploys ----

/// An orchestrator whose client waits on `clock` (every wait recorded, none slept), watching
/// every 2 s with a 10 s limit, so that a hot loop shows as requests without waits.
fn recorded_orchestrator(sim: &Simulator, clock: Arc<ManualClock>) -> WoOrchestrator {
    let arm = ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new("tok".to_string())))
        .http_client(default_http_client().unwrap())
        .clock(clock)
        .lro(LroPolicy {
            min_interval: Duration::from_secs(1),
            ..LroPolicy::default()
        })
        .build()
        .unwrap();
    WoOrchestrator::new(Arc::new(arm), RG_ID, "eastus")
        .unwrap()
        .with_options(WoOptions {
            concurrency: 1,
            watch_interval: Duration::from_secs(2),
            watch_timeout: Duration::from_secs(10),
            ..WoOptions::default()
        })
}

/// The requests of a deploy of `r` by itself, from a fresh simulator with the same fleet: its
/// last request is the watch's first read of the solution version it installed.
async fn requests_of_a_lone_deploy(r: &Release) -> u64 {
    let sim = Simulator::start(options()).await.unwrap();
    seed(&sim, &["line-1"]).await;
    sim.reset_counters();
    let clock = Arc::new(ManualClock::new());
    let report = recorded_orchestrator(&sim, clock).deploy(r).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    sim.requests()
}

/// Runs `deploy` of `r` on line-1 of `sim`; when it reads the solution version it installed
/// for the first time in its watch (its `at`th request), `meanwhile` runs first (on a blocking
/// thread, with the runtime at hand), as another deploy would between two of its reads.
async fn deploy_superseded_at(
    sim: &Simulator,
    wo: &WoOrchestrator,
    r: &Release,
    at: u64,
    meanwhile: impl FnOnce() + Send + 'static,
) -> TargetOutcome {
    sim.reset_counters();
    sim.on_request(at, meanwhile);
    let report = wo.deploy(r).await.unwrap();
    report.results["line-1"].clone()
}

/// What a second reviewed and installed revision of the same release does on `target`, by
/// hand with its own client.
fn install_another_revision(base: String, target: &'static str, version: String) {
    let handle = tokio::runtime::Handle::current();
    handle.block_on(async move {
        let arm = ArmClient::builder()
            .base_url(base)
            .credential(Arc::new(StaticToken::new("tok".to_string())))
            .http_client(default_http_client().unwrap())
            .lro(LroPolicy {
                min_interval: Duration::from_millis(1),
                max_interval: Duration::from_millis(5),
                ..LroPolicy::default()
            })
            .build()
            .unwrap();
        let target_id = format!("{RG}/targets/{target}");
        let sv = arm
            .post_lro(
                &format!("{target_id}/reviewSolutionVersion"),
                Some(&json!({
                    "solutionTemplateVersionId": format!("{RG}/solutionTemplates/shop/versions/{version}"),
                    "solutionInstanceName": "shop"})),
            )
            .await
            .unwrap();
        let sv_id = sv["id"].as_str().unwrap().to_string();
        for action in ["publishSolutionVersion", "installSolution"] {
            arm.post_lro(
                &format!("{target_id}/{action}"),
                Some(&json!({"solutionVersionId": sv_id})),
            )
            .await
            .unwrap();
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_version_superseded_by_the_same_release_is_followed_without_a_hot_loop() {
    let r = release("shop", "1.0.0", &["line-1"]);
    let lone = requests_of_a_lone_deploy(&r).await;
    let sim = Simulator::start(options()).await.unwrap();
    seed(&sim, &["line-1"]).await;
    let clock = Arc::new(ManualClock::new());
    let wo = recorded_orchestrator(&sim, clock.clone());
    let base = sim.base_url();
    // Another deploy of the same release reviewed and installed revision 2 while this one
    // watched revision 1: revision 1 is `Undeployed`, the instance runs revision 2.
    let outcome = deploy_superseded_at(&sim, &wo, &r, lone, move || {
        install_another_revision(base, "line-1", "1.0.0".into())
    })
    .await;
    assert_eq!(outcome, TargetOutcome::Deployed, "the same release runs");
    let ours = sim.traffic().by_client[wo.arm().correlation_id()];
    assert!(
        ours <= lone + 4,
        "a few reads to follow the install that replaced it, no loop: {ours} requests (alone {lone})"
    );
    assert!(
        clock.sleeps().iter().all(|s| *s >= Duration::from_secs(1)),
        "every wait at least the policy's minimum: {:?}",
        clock.sleeps()
    );
    assert_eq!(started_installs(&sim, "line-1", "1.0.0"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_version_superseded_by_another_release_is_reported_without_a_hot_loop() {
    let r = release("shop", "1.0.0", &["line-1"]);
    let lone = requests_of_a_lone_deploy(&r).await;
    let sim = Simulator::start(options()).await.unwrap();
    seed(&sim, &["line-1"]).await;
    let clock = Arc::new(ManualClock::new());
    let wo = recorded_orchestrator(&sim, clock.clone());
    let other = Arc::new(orchestrator(&sim, 1));
    // A deploy of release 2.0.0 finished on the target while this one watched 1.0.0.
    let outcome = deploy_superseded_at(&sim, &wo, &r, lone, move || {
        let report = tokio::runtime::Handle::current()
            .block_on(other.deploy(&release("shop", "2.0.0", &["line-1"])))
            .unwrap();
        assert!(report.all_succeeded(), "{report:?}");
    })
    .await;
    let TargetOutcome::Failed { message } = outcome else {
        panic!("1.0.0 does not run on line-1: {outcome:?}");
    };
    assert!(
        message.contains("replaced") && message.contains("2.0.0"),
        "says what replaced it: {message}"
    );
    let ours = sim.traffic().by_client[wo.arm().correlation_id()];
    assert!(ours <= lone + 4, "no loop: {ours} requests (alone {lone})");
    assert_eq!(
        wo.deployed("shop", "line-1").await.unwrap().as_deref(),
        Some("2.0.0")
    );
}

// ---- N deploys of one environment at once ----

/// The wait between polls of the concurrent deploys below: the watch's interval and the LRO
/// minimum. Real waits (the system clock), so that the simulator's measure of how close two
/// reads of one URL came is the client's pacing.
const PACE: Duration = Duration::from_millis(100);

/// A simulator whose operations answer `InProgress` to three polls: every operation is read
/// at least three times.
fn polled() -> SimulatorOptions {
    SimulatorOptions {
        lro_polls: 3,
        ..options()
    }
}

/// An orchestrator whose client sends `client` as its correlation id (the simulator's traffic
/// is measured per client) and waits `PACE` between polls on the system clock.
fn paced_orchestrator(sim: &Simulator, client: &str) -> WoOrchestrator {
    let arm = ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new("tok".to_string())))
        .http_client(default_http_client().unwrap())
        .correlation_id(client)
        .lro(LroPolicy {
            min_interval: PACE,
            max_interval: PACE * 4,
            default_interval: PACE,
            max_duration: Duration::from_secs(60),
        })
        .build()
        .unwrap();
    WoOrchestrator::new(Arc::new(arm), RG_ID, "eastus")
        .unwrap()
        .with_options(WoOptions {
            concurrency: 2,
            watch_interval: PACE,
            watch_timeout: Duration::from_secs(60),
            ..WoOptions::default()
        })
}

/// `n` deploys of one release of one environment, started at once, each with its own client
/// (as `n` machines would run them): every one finishes with every target deployed — the
/// first to install does the work, the others follow it — and the rate of requests stays
/// bounded throughout: no client polls a URL faster than the poll interval, no client
/// sends more than a few requests beyond what a deploy by itself sends, and the busiest second
/// holds no more than the `n` deploys' requests. Before the watch waited before every poll,
/// the losers polled the superseded version with no wait until the watch timeout.
async fn n_deploys_at_once(n: usize) {
    let targets = ["line-1", "line-2"];
    let r = release("shop", "1.0.0", &targets);
    let lone = {
        let sim = Simulator::start(polled()).await.unwrap();
        seed(&sim, &targets).await;
        sim.reset_counters();
        let report = paced_orchestrator(&sim, "lone").deploy(&r).await.unwrap();
        assert!(report.all_succeeded(), "{report:?}");
        sim.traffic().by_client["lone"]
    };
    let sim = Simulator::start(polled()).await.unwrap();
    seed(&sim, &targets).await;
    sim.reset_counters();
    let runs = (0..n).map(|i| {
        let wo = paced_orchestrator(&sim, &format!("deploy-{i}"));
        let r = r.clone();
        tokio::spawn(async move { wo.deploy(&r).await })
    });
    // A guard against a hang only (a hot loop lasts until the watch timeout): nothing below
    // is measured against the wall clock.
    let reports = tokio::time::timeout(Duration::from_secs(120), futures::future::join_all(runs))
        .await
        .expect("the deploys end");
    for (i, report) in reports.into_iter().enumerate() {
        let report = report.unwrap().unwrap();
        for t in targets {
            assert_eq!(
                report.results[t],
                TargetOutcome::Deployed,
                "deploy-{i} on {t}: {report:?}"
            );
        }
    }
    let traffic = sim.traffic();
    eprintln!(
        "{n} deploys at once: a deploy by itself {lone} requests; installs line-1 {:?}, line-2 {:?}; requests by client {:?}, busiest second {}",
        sim.installs("line-1"),
        sim.installs("line-2"),
        traffic.by_client,
        traffic.peak_per_second
    );
    for t in targets {
        assert_eq!(
            successful_installs(&sim, "shop", t, "1.0.0").await.min(1),
            1,
            "{t} runs the release"
        );
        assert!(
            started_installs(&sim, t, "1.0.0") <= n,
            "at most one install per deploy on {t}: {:?}",
            sim.installs(t)
        );
    }
    let polled: Vec<_> = traffic.rereads.iter().filter(|r| r.reads >= 3).collect();
    assert!(!polled.is_empty(), "the deploys poll: {traffic:?}");
    assert_eq!(
        traffic.polled_faster_than(3, PACE),
        Vec::<&wo_azure_sim::Rereads>::new(),
        "no client polls a URL (reads it 3 times or more) faster than the poll interval"
    );
    for i in 0..n {
        let ours = traffic.by_client[&format!("deploy-{i}")];
        assert!(
            ours <= 3 * lone,
            "deploy-{i}: {ours} requests (a deploy by itself: {lone})"
        );
    }
    assert!(
        traffic.peak_per_second <= n as u64 * lone,
        "busiest second: {} requests ({n} deploys, {lone} each by itself)",
        traffic.peak_per_second
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_deploys_of_one_environment_at_once_finish_with_a_bounded_request_rate() {
    n_deploys_at_once(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_deploys_of_one_environment_at_once_finish_with_a_bounded_request_rate() {
    n_deploys_at_once(4).await;
}
