//! Delivery end to end on real parts: the pipeline packages the chart at prepare-pr, deploy
//! pushes it to the real distribution registry (Debian's `docker-registry`), and the WO
//! simulator installs the `helm.v3` solution by pulling from that registry and rendering with
//! the resolved configuration — beside a second chart someone `helm push`ed by hand, which the
//! app's `wo/solution.yaml` names.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wo::azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo::azure::orchestrator::{WoOptions, WoOrchestrator};
use wo::core::files::FileTree;
use wo::core::memory::{InMemoryConfigStore, InMemoryGitOpsRepo, InMemorySourceRepo};
use wo::core::pipeline::{Pipeline, SourceChoice, Verdict};
use wo::core::ports::{GitOpsRepo, TargetOutcome};
use wo::credentials::Credentials;
use wo::pipeline::PipelineBuilder;
use wo::settings::Settings;
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_test_support::registry::Registry;

mod common;
use common::{helm, renderer, root, shop_source_with_helm_chart};

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shop";

/// A chart `cache` (version 7.0.1), packaged and pushed by hand with helm.
fn push_by_hand(registry: &Registry, work: &Path) -> String {
    let dir = work.join("cache");
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: cache\nversion: 7.0.1\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "memory: 64Mi\n").unwrap();
    std::fs::write(
        dir.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache\n  namespace: {{ .Release.Namespace }}\ndata:\n  memory: {{ .Values.memory | quote }}\n",
    )
    .unwrap();
    let home = work.join("helm-home");
    helm(
        &[
            "package",
            dir.to_str().unwrap(),
            "-d",
            work.to_str().unwrap(),
        ],
        &home,
    );
    let reference = format!("oci://{}/thirdparty", registry.host());
    helm(
        &[
            "push",
            work.join("cache-7.0.1.tgz").to_str().unwrap(),
            &reference,
            "--plain-http",
        ],
        &home,
    );
    format!("{reference}/cache")
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
                max_duration: Duration::from_secs(60),
            })
            .build()
            .unwrap(),
    )
}

struct World {
    registry: Registry,
    sim: Simulator,
    gitops: InMemoryGitOpsRepo,
    pipeline: Pipeline,
    cache_repo: String,
    _work: tempfile::TempDir,
}

/// The example shop with the Helm twin of its chart, and a `wo/solution.yaml` naming the
/// shop chart (filled in by wo) and the hand-pushed `cache` chart.
async fn world() -> World {
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let cache_repo = push_by_hand(&registry, work.path());

    let shop = root().join("examples/shop");
    let mut files = shop_source_with_helm_chart();
    files
        .insert(
            "wo/solution.yaml",
            format!(
                "components:\n  - name: shop\n    type: helm.v3\n    properties:\n      chart: {{wait: true, timeout: 5m}}\n  - name: cache\n    type: helm.v3\n    properties:\n      chart: {{repo: \"{cache_repo}\", version: 7.0.1}}\n"
            ),
        )
        .unwrap();
    let source = InMemorySourceRepo::new();
    source.commit("main", files);
    let config = InMemoryConfigStore::named("app-config");
    config.commit("dev", FileTree::load_dir(&shop.join("config")).unwrap());
    let platform = InMemoryConfigStore::named("platform-config");
    let mut fleet = FileTree::load_dir(&shop.join("fleet")).unwrap();
    let text = fleet
        .text("fleet.yaml")
        .unwrap()
        .unwrap()
        .replace("next: stage\n", "");
    fleet.insert("fleet.yaml", text).unwrap();
    platform.commit("dev", fleet);

    // The simulator pulls from the registry the specification names (anonymous, loopback).
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 1,
        retry_after_secs: 0,
        renderer: Some(renderer()),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let arm = arm(&sim);
    let targets: Vec<(String, Vec<String>)> =
        ["berlin-1", "berlin-2", "london-1", "chicago-1", "lab-1"]
            .iter()
            .map(|t| (t.to_string(), vec!["helm".to_string()]))
            .collect();
    sim.onboard(&arm, RG, "shop", "site", &targets)
        .await
        .unwrap();
    let orchestrator = WoOrchestrator::new(arm, RG, "eastus")
        .unwrap()
        .with_options(WoOptions {
            watch_interval: Duration::from_millis(5),
            ..WoOptions::default()
        });

    let gitops = InMemoryGitOpsRepo::new();
    let pipeline = PipelineBuilder::new(Settings {
        registry: Some(format!("http://{}/charts", registry.host())),
        ..Settings::default()
    })
    .credentials(Credentials::default())
    .source(Arc::new(source))
    .app_config(Arc::new(config))
    .platform_config(Arc::new(platform))
    .gitops(Arc::new(gitops.clone()))
    .orchestrator(Arc::new(orchestrator))
    .renderer(renderer())
    .build()
    .unwrap();
    World {
        registry,
        sim,
        gitops,
        pipeline,
        cache_repo,
        _work: work,
    }
}

#[tokio::test]
async fn wo_pushes_its_chart_and_wo_installs_it_beside_a_chart_pushed_by_hand() {
    let w = world().await;
    w.pipeline
        .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
        .await
        .unwrap();
    w.pipeline.merge("dev").await.unwrap();
    let deployed = w.pipeline.deploy("dev").await.unwrap();
    for (target, outcome) in &deployed.report.results {
        assert_eq!(outcome, &TargetOutcome::Deployed, "{target}");
    }
    let chart = deployed.chart.expect("the chart is published").chart;
    assert_eq!(
        chart.repo,
        format!("oci://{}/charts/shop", w.registry.host())
    );

    let head = w.gitops.head("dev").await.unwrap().unwrap();
    let files = w.gitops.read(&head, "shop").await.unwrap();
    for target in deployed.report.results.keys() {
        let applied = w.sim.applied(target, Some("shop")).expect("applied");
        // What runs: wo's chart as pushed, rendered with the reviewed values, then the cache.
        let reviewed = files
            .text(&format!("shop/{target}/manifests.yaml"))
            .unwrap()
            .unwrap();
        assert!(
            applied.manifests.starts_with(reviewed),
            "{target}: the applied manifests begin with the reviewed ones\n--- applied\n{}\n--- reviewed\n{reviewed}",
            applied.manifests
        );
        assert!(
            applied.manifests.contains("name: cache") && applied.manifests.contains("64Mi"),
            "{target}: the hand-pushed chart runs too\n{}",
            applied.manifests
        );
        assert_eq!(applied.chart.repo, chart.repo);
        assert_eq!(applied.chart.digest, chart.digest);
        let values: serde_json::Value = serde_json::to_value(&applied.values).unwrap();
        assert!(values.is_object(), "{target}: {values}");
    }
    assert!(!w.cache_repo.is_empty());

    // What runs is what was reviewed, on every target.
    let verified = w.pipeline.verify("dev", None).await.unwrap();
    assert!(!verified.has_drift(), "{verified:?}");
    assert_eq!(verified.gitops, None);
    assert!(
        verified.targets.iter().all(|t| t.verdict == Verdict::Ok),
        "{verified:?}"
    );

    // Someone changes one value in WO behind wo's back: verify names that target and key,
    // and the resource it changed; nothing else.
    w.sim
        .drift("berlin-1", Some("shop"), "replicas", json!(7))
        .await
        .unwrap();
    let verified = w.pipeline.verify("dev", None).await.unwrap();
    assert!(verified.has_drift());
    for t in &verified.targets {
        match (&t.target[..], &t.verdict) {
            (
                "berlin-1",
                Verdict::Drift {
                    keys,
                    resources,
                    chart,
                },
            ) => {
                assert_eq!(keys, &vec!["replicas".to_string()], "{t:?}");
                assert!(
                    resources
                        .iter()
                        .any(|r| r.contains("Deployment") && r.contains("replicas")),
                    "{resources:?}"
                );
                assert_eq!(chart, &None);
            }
            ("berlin-1", other) => panic!("berlin-1: {other:?}"),
            (_, Verdict::Ok) => {}
            (target, other) => panic!("{target}: {other:?}"),
        }
    }
}
