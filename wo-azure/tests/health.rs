//! `WoOrchestrator::health` against the simulator: a release's health on each target, read
//! from the target's instance (`status`: WO's `DeploymentStatus`), with targets the simulator
//! makes unhealthy after a good install (by its handle, or by its `/_simulator/health`
//! endpoint as a demo in another process does).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
use wo_azure_sim::{Fault, Simulator, SimulatorOptions};
use wo_core::ports::{CommitId, Health, Orchestrator, Release, TargetRelease};

const RG_ID: &str = "/subscriptions/sub1/resourceGroups/rg1";
const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";

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

/// A simulator with `targets` onboarded (binding `wo.gitops`, the type of the orchestrator's
/// default specification).
async fn fleet(targets: &[&str]) -> Simulator {
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 1,
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let fleet: Vec<(String, Vec<String>)> = targets
        .iter()
        .map(|t| (t.to_string(), vec!["helm".to_string()]))
        .collect();
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
    sim
}

fn release(version: &str, targets: &[&str]) -> Release {
    Release {
        solution: "shop".into(),
        environment: "prod".into(),
        version: version.into(),
        source_commit: CommitId::from("a1"),
        gitops_commit: CommitId::from(format!("g-{version}")),
        targets: targets
            .iter()
            .map(|t| TargetRelease {
                target: t.to_string(),
                orchestrator_id: Some(format!("{RG}/targets/{t}")),
                values: json!({"appName": "shop", "replicas": 2, "release": version}),
                manifests: format!("kind: ConfigMap\nmetadata:\n  name: {t}\n"),
            })
            .collect(),
        chart: None,
        specification: None,
    }
}

fn names(targets: &[&str]) -> BTreeSet<String> {
    targets.iter().map(|t| t.to_string()).collect()
}

fn reason(h: &Health) -> &str {
    match h {
        Health::Unhealthy { reason } => reason,
        other => panic!("not unhealthy: {other:?}"),
    }
}

const TARGETS: [&str; 3] = ["line-1", "line-2", "line-3"];

#[tokio::test]
async fn installed_targets_are_healthy_until_one_turns_unhealthy_then_healthy_again() {
    let sim = fleet(&TARGETS).await;
    let wo = orchestrator(&sim, 8);
    let r = release("1.0.0", &TARGETS);
    assert!(wo.deploy(&r).await.unwrap().all_succeeded());

    let all = names(&TARGETS);
    let health = wo.health(&r, &all).await.unwrap();
    assert_eq!(health.len(), 3);
    assert!(health.values().all(|h| *h == Health::Healthy), "{health:?}");

    let instance_id = format!("{RG}/targets/line-2/solutions/shop/instances/shop");
    let before = sim.resource(&instance_id).unwrap()["properties"]["status"].clone();

    // The cluster's pods crash after the good install: the instance says so.
    sim.make_unhealthy(
        "line-2",
        "CrashLoopBackOff: back-off restarting failed container",
    );
    sim.reset_counters();
    let health = wo.health(&r, &all).await.unwrap();
    // One GET of the solution template per call, one of the instance per target.
    assert_eq!(sim.requests(), 1 + 3, "requests of one health call");
    assert_eq!(health["line-1"], Health::Healthy);
    assert_eq!(health["line-3"], Health::Healthy);
    let why = reason(&health["line-2"]);
    assert!(why.contains("component `shop` Failed"), "{why}");
    assert!(why.contains("CrashLoopBackOff"), "{why}");
    assert!(why.contains("line-2"), "{why}");

    // What the simulator answers: deployed, yet failing, in WO's DeploymentStatus.
    let instance = sim
        .resource(&format!(
            "{RG}/targets/line-2/solutions/shop/instances/shop"
        ))
        .unwrap();
    let status = &instance["properties"]["status"];
    assert_eq!(status["status"], "Degraded");
    assert_eq!(status["deployed"], 1);
    assert_eq!(status["targetStatuses"][0]["status"], "Degraded");
    assert_eq!(
        status["targetStatuses"][0]["componentStatuses"][0],
        json!({"name": "shop", "status": "Failed"})
    );
    assert!(status["statusDetails"]
        .as_str()
        .unwrap()
        .contains("CrashLoopBackOff"));
    // The solution version stays Deployed: the install went through.
    let sv_id = instance["properties"]["solutionVersionId"]
        .as_str()
        .unwrap();
    assert_eq!(
        sim.resource(sv_id).unwrap()["properties"]["state"],
        "Deployed"
    );

    sim.make_healthy("line-2");
    let health = wo.health(&r, &all).await.unwrap();
    assert_eq!(health["line-2"], Health::Healthy);
    // Healed, the instance says what it said before the flip (but when).
    let mut after = sim.resource(&instance_id).unwrap()["properties"]["status"].clone();
    after["lastModified"] = before["lastModified"].clone();
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_target_made_unhealthy_before_an_install_installs_fine_and_reports_unhealthy() {
    let sim = fleet(&TARGETS).await;
    let wo = orchestrator(&sim, 8);
    sim.make_unhealthy("line-3", "ImagePullBackOff: pull access denied");
    let r = release("1.0.0", &TARGETS);
    let report = wo.deploy(&r).await.unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    let health = wo.health(&r, &names(&TARGETS)).await.unwrap();
    assert!(reason(&health["line-3"]).contains("ImagePullBackOff"));
    assert_eq!(health["line-1"], Health::Healthy);
    // The installation's history entry records the instance as it was then: degraded.
    let histories = arm(&sim)
        .list(&format!(
            "{RG}/targets/line-3/solutions/shop/instances/shop/histories"
        ))
        .await
        .unwrap();
    assert_eq!(histories.len(), 1);
    assert_eq!(histories[0]["properties"]["status"]["status"], "Degraded");

    // It stays unhealthy through the next release, until healed.
    let next = release("2.0.0", &TARGETS);
    assert!(wo.deploy(&next).await.unwrap().all_succeeded());
    let health = wo.health(&next, &names(&["line-3"])).await.unwrap();
    assert!(matches!(health["line-3"], Health::Unhealthy { .. }));
}

#[tokio::test]
async fn targets_not_running_the_release_are_unknown() {
    let sim = fleet(&TARGETS).await;
    let wo = orchestrator(&sim, 8);
    let old = release("1.0.0", &TARGETS);
    let new = release("2.0.0", &TARGETS);
    assert!(wo.deploy(&old).await.unwrap().all_succeeded());
    // line-1 takes the new release; line-2 keeps the old one (and is failing: still not the
    // new release's problem); line-3 never had the solution.
    wo.deploy_to(&new, &names(&["line-1"])).await.unwrap();
    sim.make_unhealthy("line-2", "OOMKilled");
    wo.uninstall("shop", "line-3").await.unwrap();
    let health = wo.health(&new, &names(&TARGETS)).await.unwrap();
    assert_eq!(health["line-1"], Health::Healthy);
    assert_eq!(health["line-2"], Health::Unknown, "runs the old release");
    assert_eq!(health["line-3"], Health::Unknown, "no instance (404)");
    // The old release, where it runs, is read as it is.
    let health = wo.health(&old, &names(&["line-2"])).await.unwrap();
    assert!(reason(&health["line-2"]).contains("OOMKilled"));
    // No targets, no requests.
    sim.reset_counters();
    assert!(wo.health(&new, &BTreeSet::new()).await.unwrap().is_empty());
    assert_eq!(sim.requests(), 0);
}

#[tokio::test]
async fn health_reads_ride_out_throttling_and_stay_within_the_concurrency() {
    let targets: Vec<String> = (1..=6).map(|i| format!("line-{i}")).collect();
    let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
    let sim = fleet(&refs).await;
    let wo = orchestrator(&sim, 2);
    let r = release("1.0.0", &refs);
    assert!(wo.deploy(&r).await.unwrap().all_succeeded());
    sim.reset_counters();
    sim.inject(Fault::Throttle, 4);
    let health = wo.health(&r, &names(&refs)).await.unwrap();
    assert!(health.values().all(|h| *h == Health::Healthy), "{health:?}");
    assert_eq!(sim.pending_faults(), 0);
    assert_eq!(
        sim.requests(),
        1 + 6 + 4,
        "one per target, the retries on top"
    );
    assert!(sim.peak_in_flight() <= 2, "peak {}", sim.peak_in_flight());
}

#[tokio::test]
async fn a_demo_in_another_process_flips_health_through_the_simulator_endpoint() {
    let sim = fleet(&TARGETS).await;
    let wo = orchestrator(&sim, 8);
    let r = release("1.0.0", &TARGETS);
    assert!(wo.deploy(&r).await.unwrap().all_succeeded());
    let http = default_http_client().unwrap();
    let post = |body: serde_json::Value| {
        http.post(format!("{}/_simulator/health", sim.base_url()))
            .json(&body)
            .send()
    };

    let answer = post(
        json!({"target": "line-1", "solution": "shop", "healthy": false,
                             "reason": "Readiness probe failed: HTTP 503"}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["instances"][0]["status"]["status"], "Degraded");
    let health = wo.health(&r, &names(&["line-1"])).await.unwrap();
    assert!(reason(&health["line-1"]).contains("Readiness probe failed"));

    let answer = post(json!({"target": "line-1", "solution": "shop", "healthy": true}))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let health = wo.health(&r, &names(&["line-1"])).await.unwrap();
    assert_eq!(health["line-1"], Health::Healthy);

    // Bad bodies are refused, naming the shape.
    for bad in [
        json!({"healthy": false}),
        json!({"target": "line-1"}),
        json!({"target": "line-1", "healthy": true, "reason": "x"}),
        json!({"target": "line-1", "healthy": false, "reason": 3}),
    ] {
        let answer = post(bad.clone()).await.unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
    }
    let get = http
        .get(format!("{}/_simulator/health", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn one_component_of_a_solution_can_fail_while_the_other_runs() {
    let sim = fleet(&["line-1"]).await;
    let spec = json!({"components": [
        {"name": "web", "type": "wo.gitops", "properties": {"release": "1.0.0"}},
        {"name": "worker", "type": "wo.gitops", "properties": {"release": "1.0.0"}}]});
    let wo = orchestrator(&sim, 8).specification(move |_| Ok(spec.clone()));
    let r = release("1.0.0", &["line-1"]);
    assert!(wo.deploy(&r).await.unwrap().all_succeeded());
    sim.make_solution_unhealthy("line-1", "shop", Some("worker"), "CrashLoopBackOff");
    let health = wo.health(&r, &names(&["line-1"])).await.unwrap();
    let why = reason(&health["line-1"]);
    assert!(why.contains("component `worker` Failed"), "{why}");
    assert!(!why.contains("`web`"), "{why}");
    // Another solution's sickness is not this one's.
    sim.make_healthy("line-1");
    sim.make_solution_unhealthy("line-1", "other", None, "broken");
    let health = wo.health(&r, &names(&["line-1"])).await.unwrap();
    assert_eq!(health["line-1"], Health::Healthy);
}
