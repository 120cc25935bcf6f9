//! A rollout end to end on the WO backend: the pipeline (`Pipeline::deploy_rollout`, in-memory
//! repositories and renderer) installs through `WoOrchestrator` on the simulator, and reads the
//! health of a baking wave from WO's instances. A canary that turns unhealthy during its bake
//! halts the rollout before the next wave; a healthy one lets it walk on.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::files::FileTree;
use wo_core::memory::{
    InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryRenderer, InMemorySourceRepo,
};
use wo_core::pipeline::{Pipeline, Ports, Settings, SourceChoice};
use wo_core::ports::{CommitState, SourceRepo};
use wo_core::rollout::{Decision, Timestamp, WaitReason};

const RG_ID: &str = "/subscriptions/sub1/resourceGroups/rg1";
const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";
/// The canary first (label `ring: canary`), then the rest.
const TARGETS: [&str; 3] = ["prod-eu-1", "prod-eu-2", "prod-us-1"];
const CANARY: &str = "prod-eu-1";
const T0: i64 = 1_800_000_000;

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

fn tree(entries: &[(&str, &str)]) -> FileTree {
    let mut t = FileTree::new();
    for (p, c) in entries {
        t.insert(*p, *c).unwrap();
    }
    t
}

fn fleet() -> String {
    let mut s = String::from(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\nhierarchy: [region, site]\ntargets:\n",
    );
    for t in TARGETS {
        let (region, ring) = if t == CANARY {
            ("eu", ", ring: canary")
        } else {
            (if t.contains("-us-") { "us" } else { "eu" }, "")
        };
        s.push_str(&format!(
            "  - name: {t}\n    hierarchy: {{region: {region}, site: {t}}}\n    labels: {{tier: edge{ring}}}\n    orchestrator: {{id: {RG}/targets/{t}}}\n"
        ));
    }
    s.push_str("assignments:\n  - solution: shop\n    selector: {tier: edge}\n");
    s.push_str("rollout:\n  waves:\n    - {name: canary, selector: {ring: canary}}\n    - {name: rest}\n  bake: 15m\n");
    s
}

struct World {
    sim: Simulator,
    source: InMemorySourceRepo,
    pipeline: Pipeline,
    clock: AtomicI64,
}

impl World {
    fn now(&self) -> Timestamp {
        Timestamp(self.clock.load(Ordering::SeqCst))
    }

    fn at(&self, t: i64) {
        self.clock.store(t, Ordering::SeqCst);
    }

    async fn state(&self, context: &str) -> Option<CommitState> {
        let head = self.source.resolve("main").await.unwrap();
        self.source
            .statuses(&head)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.context == context)
            .map(|s| s.state)
    }
}

/// prod as the only environment, its change request for `main` merged, the fleet onboarded in
/// the simulator.
async fn world() -> World {
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 1,
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let onboard: Vec<(String, Vec<String>)> = TARGETS
        .iter()
        .map(|t| (t.to_string(), vec!["helm".to_string()]))
        .collect();
    // `wo.gitops` bound: without a chart registry the release is a `wo.gitops` component.
    sim.onboard_with_roles(
        &arm(&sim),
        RG_ID,
        "ctx",
        "site",
        &onboard,
        &["helm.v3", "wo.gitops"],
    )
    .await
    .unwrap();

    let source = InMemorySourceRepo::new();
    source.commit(
        "main",
        tree(&[
            (
                "wo/app.yaml",
                "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\nnamespace: shop-ns\n",
            ),
            (
                "wo/schema.yaml",
                "rules:\n  configs:\n    Replicas: {type: int, defaultValue: 1, minValue: 1, maxValue: 10}\n    LogLevel: {type: string, defaultValue: info, allowedValues: [debug, info, warn]}\n",
            ),
            ("chart/Chart.yaml", "apiVersion: v2\nname: shop-chart\nversion: 1.0.0\n"),
            ("chart/templates/cm.yaml", "kind: ConfigMap\n"),
        ]),
    );
    let app_config = InMemoryConfigStore::named("app-config");
    app_config.commit(
        "prod",
        tree(&[(
            "values.yaml",
            "apiVersion: wo/v1\nkind: Values\nvalues:\n  LogLevel: warn\n  Replicas: 3\n",
        )]),
    );
    let platform_config = InMemoryConfigStore::named("platform-config");
    platform_config.commit("prod", tree(&[("fleet.yaml", &fleet())]));
    let orchestrator = WoOrchestrator::new(arm(&sim), RG_ID, "eastus")
        .unwrap()
        .with_options(WoOptions {
            watch_interval: Duration::from_millis(5),
            ..WoOptions::default()
        });
    let pipeline = Pipeline::new(
        Ports {
            source: Arc::new(source.clone()),
            app_config: Arc::new(app_config),
            platform_config: Arc::new(platform_config),
            gitops: Arc::new(InMemoryGitOpsRepo::new()),
            renderer: Arc::new(InMemoryRenderer::new()),
            orchestrator: Arc::new(orchestrator),
            charts: None,
            fleet: None,
            policy: None,
        },
        Settings {
            first_environment: "prod".into(),
            ..Settings::default()
        },
    );
    pipeline
        .prepare_pr("prod", &SourceChoice::Commit("main".into()), true)
        .await
        .unwrap();
    pipeline.merge("prod").await.unwrap();
    World {
        sim,
        source,
        pipeline,
        clock: AtomicI64::new(T0),
    }
}

/// The first run installs the canary only and waits for its bake.
async fn canary_installed(w: &World) {
    let now = || w.now();
    let first = w.pipeline.deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(first.batches.len(), 1);
    assert_eq!(first.batches[0].0, "canary");
    assert!(first.batches[0].1.all_succeeded(), "{:?}", first.batches);
    assert!(
        matches!(
            &first.decision,
            Decision::WaitUntil { reason: WaitReason::Bake { wave }, .. } if wave == "canary"
        ),
        "{:?}",
        first.decision
    );
    assert_eq!(w.sim.installs(CANARY).len(), 1);
    for t in &TARGETS[1..] {
        assert!(w.sim.installs(t).is_empty(), "{t}");
    }
}

#[tokio::test]
async fn a_canary_unhealthy_in_wo_during_its_bake_halts_the_rollout_before_the_rest() {
    let w = world().await;
    canary_installed(&w).await;

    // The canary's pods crash after the good install; WO's instance says so.
    w.sim.make_unhealthy(
        CANARY,
        "CrashLoopBackOff: back-off restarting failed container",
    );
    w.at(T0 + 300);
    let now = || w.now();
    let out = w.pipeline.deploy_rollout("prod", &now).await.unwrap();
    let Decision::Halt { wave, reason, .. } = &out.decision else {
        panic!("{:?}", out.decision)
    };
    assert_eq!(wave, "canary");
    assert!(reason.contains(&format!("{CANARY} unhealthy")), "{reason}");
    // WO's words for why, through the recorded state.
    assert!(reason.contains("CrashLoopBackOff"), "{reason}");
    assert!(out.batches.is_empty());
    assert_eq!(w.state("wo/prod").await, Some(CommitState::Failure));
    assert_eq!(
        w.state("wo/prod/wave/canary").await,
        Some(CommitState::Failure)
    );

    // Halted stays halted, past the bake and after the canary heals: the rest never get it.
    w.sim.make_healthy(CANARY);
    w.at(T0 + 3600);
    let again = w.pipeline.deploy_rollout("prod", &now).await.unwrap();
    assert!(again.halted() && again.batches.is_empty());
    // Read back from the statuses, the halt still says why.
    assert!(
        matches!(&again.decision, Decision::Halt { reason, .. } if reason.contains("CrashLoopBackOff")),
        "{:?}",
        again.decision
    );
    for t in &TARGETS[1..] {
        assert!(w.sim.installs(t).is_empty(), "{t}");
    }
    assert_eq!(w.sim.installs(CANARY).len(), 1);
}

#[tokio::test]
async fn a_canary_healthy_in_wo_through_its_bake_lets_the_rollout_walk_on() {
    let w = world().await;
    canary_installed(&w).await;
    let now = || w.now();

    // During the bake the canary is read healthy: the rollout waits.
    w.at(T0 + 300);
    let waiting = w.pipeline.deploy_rollout("prod", &now).await.unwrap();
    assert!(waiting.batches.is_empty());
    assert!(matches!(waiting.decision, Decision::WaitUntil { .. }));

    w.at(T0 + 900);
    let rest = w.pipeline.deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(rest.batches.len(), 1);
    assert_eq!(rest.batches[0].0, "rest");
    assert!(rest.batches[0].1.all_succeeded(), "{:?}", rest.batches);
    for t in TARGETS {
        assert_eq!(w.sim.installs(t).len(), 1, "{t}");
    }
    w.at(T0 + 1800);
    let done = w.pipeline.deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(done.decision, Decision::Done);
    assert_eq!(w.state("wo/prod").await, Some(CommitState::Success));
}
