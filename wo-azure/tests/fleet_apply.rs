//! `wo fleet apply`'s library against the simulator: create, idempotence (zero writes),
//! update of exactly what changed, prune, dry run, and 1,000 targets counted in requests.

use std::sync::Arc;
use std::time::Duration;

use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, StaticToken};
use wo_azure::onboard::{apply, plan, Action, Kind, Onboarding};
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::format::fleet::Fleet;

const RG: &str = "/subscriptions/sub1/resourceGroups/rg1";

fn arm(sim: &Simulator) -> ArmClient {
    ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new("tok".to_string())))
        .http_client(default_http_client().unwrap())
        .lro(LroPolicy {
            min_interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(5),
            default_interval: Duration::from_millis(1),
            max_duration: Duration::from_secs(30),
        })
        .build()
        .unwrap()
}

fn onboarding(prune: bool) -> Onboarding {
    Onboarding {
        resource_group: RG.into(),
        context: format!("{RG}/providers/Microsoft.Edge/contexts/dev"),
        location: "eastus".into(),
        custom_location: Some(format!(
            "{RG}/providers/Microsoft.ExtendedLocation/customLocations/{{target}}"
        )),
        prune,
        concurrency: 16,
    }
}

/// A fleet of `n` targets `t-0000…`, `helm` everywhere and `gpu` on `gpu_on`.
fn fleet(n: usize, gpu_on: &[usize]) -> Fleet {
    let mut yaml = String::from(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\nhierarchy: [site]\ntargets:\n",
    );
    for i in 0..n {
        let caps = if gpu_on.contains(&i) {
            "[helm, gpu]"
        } else {
            "[helm]"
        };
        yaml.push_str(&format!(
            "  - {{name: t-{i:04}, hierarchy: {{site: s{}}}, capabilities: {caps}}}\n",
            i % 10
        ));
    }
    Fleet::parse(&yaml, "fleet.yaml").unwrap()
}

/// Plans and applies; the writes the simulator saw.
async fn run(sim: &Simulator, arm: &ArmClient, f: &Fleet, on: &Onboarding) -> Vec<String> {
    sim.reset_counters();
    let p = plan(arm, f, on).await.unwrap();
    apply(arm, &p, on).await.unwrap();
    sim.traffic().writes
}

#[tokio::test]
async fn create_then_nothing_then_exactly_the_change() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let arm = arm(&sim);
    let on = onboarding(false);

    let writes = run(&sim, &arm, &fleet(5, &[]), &on).await;
    assert_eq!(writes.len(), 6, "the context and five targets: {writes:?}");
    assert!(writes[0].starts_with("PUT ") && writes[0].ends_with("/contexts/dev"));
    let t = sim
        .resource(&format!("{RG}/providers/Microsoft.Edge/targets/t-0003"))
        .unwrap();
    assert_eq!(t["properties"]["hierarchyLevel"], "site");
    assert_eq!(t["properties"]["contextId"], on.context);
    assert_eq!(
        t["properties"]["targetSpecification"]["topologies"][0]["bindings"][0]["role"],
        "helm.v3"
    );
    assert!(t["extendedLocation"]["name"]
        .as_str()
        .unwrap()
        .ends_with("/customLocations/t-0003"));

    let again = run(&sim, &arm, &fleet(5, &[]), &on).await;
    assert!(again.is_empty(), "a second apply writes nothing: {again:?}");

    // gpu on t-0002: the context gains it, then exactly that target changes.
    sim.reset_counters();
    let p = plan(&arm, &fleet(5, &[2]), &on).await.unwrap();
    assert_eq!(p.context.action, Action::Update);
    assert_eq!(p.context.differences, ["capabilities: +gpu"]);
    let updated: Vec<_> = p
        .targets
        .iter()
        .filter(|s| s.action != Action::Unchanged)
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].name, "t-0002");
    assert_eq!(updated[0].differences, ["capabilities: +gpu"]);
    apply(&arm, &p, &on).await.unwrap();
    let writes = sim.traffic().writes;
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes[1].ends_with("/targets/t-0002"), "{writes:?}");
    let t = sim
        .resource(&format!("{RG}/providers/Microsoft.Edge/targets/t-0002"))
        .unwrap();
    assert_eq!(
        t["properties"]["capabilities"],
        serde_json::json!(["helm", "gpu"])
    );
    assert_eq!(t["properties"]["displayName"], "t-0002", "kept");
}

#[tokio::test]
async fn prune_deletes_only_what_the_fleet_dropped_and_only_when_asked() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let arm = arm(&sim);
    run(&sim, &arm, &fleet(5, &[4]), &onboarding(false)).await;
    // A target of another context in the same resource group is never ours to delete.
    sim.onboard(
        &arm,
        RG,
        "other",
        "line",
        &[("foreign".into(), vec!["helm".into()])],
    )
    .await
    .unwrap();

    // t-0003 and t-0004 dropped, without prune: nothing written, nothing deleted.
    let kept = run(&sim, &arm, &fleet(3, &[]), &onboarding(false)).await;
    assert!(kept.is_empty(), "{kept:?}");
    assert!(sim
        .resource(&format!("{RG}/providers/Microsoft.Edge/targets/t-0004"))
        .is_some());

    let p = plan(&arm, &fleet(3, &[]), &onboarding(true)).await.unwrap();
    let deletes: Vec<&str> = p
        .targets
        .iter()
        .filter(|s| s.action == Action::Delete)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(deletes, ["t-0003", "t-0004"]);
    assert_eq!(p.context.differences, ["capabilities: -gpu"]);
    sim.reset_counters();
    apply(&arm, &p, &onboarding(true)).await.unwrap();
    let writes = sim.traffic().writes;
    println!(
        "prune of 2 targets and 1 capability: {} requests, writes {writes:?}",
        sim.requests()
    );
    assert_eq!(writes.len(), 3, "two DELETEs and the context: {writes:?}");
    assert!(writes.iter().filter(|w| w.starts_with("DELETE ")).count() == 2);
    for gone in ["t-0003", "t-0004"] {
        assert!(sim
            .resource(&format!("{RG}/providers/Microsoft.Edge/targets/{gone}"))
            .is_none());
    }
    assert!(sim
        .resource(&format!("{RG}/providers/Microsoft.Edge/targets/foreign"))
        .is_some());
    let again = run(&sim, &arm, &fleet(3, &[]), &onboarding(true)).await;
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let arm = arm(&sim);
    let p = plan(&arm, &fleet(3, &[]), &onboarding(true)).await.unwrap();
    assert_eq!(p.count(Action::Create), 4);
    assert_eq!(p.context.kind, Kind::Context);
    assert!(sim.traffic().writes.is_empty());
    assert_eq!(sim.resource_count(), 0);
}

#[tokio::test]
async fn the_simulator_is_strict_where_the_spec_is() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let arm = arm(&sim);
    let ctx = format!("{RG}/providers/Microsoft.Edge/contexts/c");
    let e = arm
        .put_lro(
            &ctx,
            &serde_json::json!({"location": "eastus", "properties": {
                "capabilities": [{"name": "helm"}], "hierarchies": [{"name": "a", "description": "a"}]}}),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("capabilities[0].description"), "{e}");
    arm.put_lro(
        &ctx,
        &serde_json::json!({"location": "eastus", "properties": {
            "capabilities": [{"name": "helm", "description": "helm"}],
            "hierarchies": [{"name": "a", "description": "a"}]}}),
    )
    .await
    .unwrap();
    let e = arm
        .put_lro(
            &format!("{RG}/providers/Microsoft.Edge/targets/t-1"),
            &serde_json::json!({"location": "eastus", "properties": {
                "description": "t", "displayName": "t", "contextId": ctx,
                "targetSpecification": {}, "capabilities": ["helm"], "hierarchyLevel": "b"}}),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("hierarchyLevel"), "{e}");
    arm.delete_lro(&ctx).await.unwrap();
    assert!(sim.resource(&ctx).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_targets_counted_in_requests() {
    let sim = Simulator::start(SimulatorOptions::default()).await.unwrap();
    let arm = arm(&sim);
    let on = onboarding(true);
    let f = fleet(1000, &[]);

    sim.reset_counters();
    let p = plan(&arm, &f, &on).await.unwrap();
    assert_eq!(p.count(Action::Create), 1001);
    apply(&arm, &p, &on).await.unwrap();
    let first = (sim.requests(), sim.traffic().writes.len());
    println!(
        "1,000 targets, first apply: {} requests, {} writes",
        first.0, first.1
    );
    assert_eq!(first.1, 1001, "one PUT per target and the context");
    // Per PUT four requests (the PUT, its operation polled while in progress and once done,
    // the resource read at the end), plus the plan's GET of the context and its one page of
    // (no) targets.
    assert_eq!(first.0, 4 * 1001 + 2);

    sim.reset_counters();
    let p = plan(&arm, &f, &on).await.unwrap();
    assert!(!p.changes());
    apply(&arm, &p, &on).await.unwrap();
    let second = (sim.requests(), sim.traffic().writes.len());
    println!(
        "1,000 targets, second apply: {} requests, {} writes",
        second.0, second.1
    );
    assert_eq!(second.1, 0);
    assert_eq!(
        second.0,
        1 + 10,
        "the context's GET and ten pages of targets"
    );

    sim.reset_counters();
    let p = plan(&arm, &fleet(900, &[]), &on).await.unwrap();
    assert_eq!(p.count(Action::Delete), 100);
    apply(&arm, &p, &on).await.unwrap();
    let pruned = (sim.requests(), sim.traffic().writes.len());
    println!(
        "1,000 -> 900 targets with prune: {} requests, {} writes",
        pruned.0, pruned.1
    );
    assert_eq!(pruned.1, 100);
    // Per DELETE three (the DELETE, its operation in progress and done), plus the plan's
    // GET of the context and ten pages.
    assert_eq!(pruned.0, 3 * 100 + 11);
}
