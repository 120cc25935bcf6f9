//! The promotion pipeline on the in-memory backends: the planner's table, the flows
//! (promotion, config change, failure, rollback) and the invariants of DESIGN §1.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::memory::{
    InMemoryChartRegistry, InMemoryConfigStore, InMemoryFleetOnboarding, InMemoryGitOpsRepo,
    InMemoryOrchestrator, InMemoryRenderer, InMemorySourceRepo,
};
use wo_core::pipeline::{
    plan, sha256_hex, Action, EnvironmentChain, Event, MergeOutcome, Pipeline, Ports,
    ReleaseRecord, Settings, SourceChoice, StepOutcome, Verdict, Verification,
};
use wo_core::ports::{
    ChangeProposal, ChangeRequest, ChangeState, CommitId, CommitState, ConfigStore,
    FleetOnboarding, FleetReport, GitOpsCommit, GitOpsRepo, MergeMethod, Orchestrator,
    ProposeOutcome, Provenance, SourceRepo,
};
use wo_core::{Error, Result};

// ---------------------------------------------------------------------------------------------
// The planner

fn chain() -> EnvironmentChain {
    EnvironmentChain::new(["dev", "stage", "prod"]).unwrap()
}

fn prepare(env: &str, source: SourceChoice, promotable: bool) -> Action {
    Action::PreparePr {
        environment: env.into(),
        source,
        promotable,
    }
}

fn commit(rev: &str) -> SourceChoice {
    SourceChoice::Commit(rev.into())
}

#[test]
fn the_planner_follows_its_table() {
    let c = CommitId::from("c0ffee0123");
    let finished = |env: &str, promotable: bool, succeeded: bool| Event::DeploymentFinished {
        environment: env.into(),
        source_commit: c.clone(),
        promotable,
        succeeded,
    };
    let halt = |env: &str| Action::Halt {
        environment: env.into(),
        source_commit: c.clone(),
        reason: String::new(),
    };
    let rows: Vec<(Event, Vec<Action>)> = vec![
        (
            Event::SourcePushed {
                commit: "main".into(),
            },
            vec![prepare("dev", commit("main"), true)],
        ),
        (
            Event::ChangeMerged {
                environment: "dev".into(),
            },
            vec![Action::Deploy {
                environment: "dev".into(),
            }],
        ),
        (
            Event::ChangeMerged {
                environment: "prod".into(),
            },
            vec![Action::Deploy {
                environment: "prod".into(),
            }],
        ),
        (
            finished("dev", true, true),
            vec![prepare("stage", commit(c.as_str()), true)],
        ),
        (
            finished("stage", true, true),
            vec![prepare("prod", commit(c.as_str()), true)],
        ),
        (finished("prod", true, true), vec![]),
        (finished("dev", false, true), vec![]),
        (finished("stage", false, true), vec![]),
        (finished("prod", false, true), vec![]),
        (finished("dev", true, false), vec![halt("dev")]),
        (finished("dev", false, false), vec![halt("dev")]),
        (finished("stage", true, false), vec![halt("stage")]),
        (finished("prod", true, false), vec![halt("prod")]),
        (finished("prod", false, false), vec![halt("prod")]),
        (
            Event::ConfigMerged {
                environment: "stage".into(),
            },
            vec![prepare("stage", SourceChoice::Released, false)],
        ),
        (
            Event::ConfigMerged {
                environment: "dev".into(),
            },
            vec![prepare("dev", SourceChoice::Released, false)],
        ),
        (
            Event::PlatformConfigMerged {
                environment: "prod".into(),
            },
            vec![
                Action::ApplyFleet {
                    environment: "prod".into(),
                },
                prepare("prod", SourceChoice::Released, false),
            ],
        ),
    ];
    // Halt reasons are for humans: compare them only for being non-empty.
    let blank = |actions: Vec<Action>| -> Vec<Action> {
        actions
            .into_iter()
            .map(|a| match a {
                Action::Halt {
                    environment,
                    source_commit,
                    reason,
                } => {
                    assert!(!reason.is_empty());
                    Action::Halt {
                        environment,
                        source_commit,
                        reason: String::new(),
                    }
                }
                other => other,
            })
            .collect()
    };
    for (event, expected) in rows {
        let got = blank(plan(&event, &chain()).unwrap());
        assert_eq!(got, expected, "{event:?}");
    }
}

#[test]
fn the_planner_covers_every_deployment_outcome_in_every_environment() {
    let chain = chain();
    let c = CommitId::from("abc");
    for env in chain.environments() {
        for promotable in [false, true] {
            for succeeded in [false, true] {
                let event = Event::DeploymentFinished {
                    environment: env.clone(),
                    source_commit: c.clone(),
                    promotable,
                    succeeded,
                };
                let actions = plan(&event, &chain).unwrap();
                match (succeeded, promotable, chain.next(env)) {
                    (false, ..) => assert!(
                        matches!(&actions[..], [Action::Halt { environment, source_commit, .. }]
                            if environment == env && *source_commit == c),
                        "{event:?} → {actions:?}"
                    ),
                    (true, true, Some(next)) => {
                        assert_eq!(actions, vec![prepare(next, commit("abc"), true)])
                    }
                    (true, _, _) => assert!(actions.is_empty(), "{event:?} → {actions:?}"),
                }
                // A config-only deploy never promotes.
                if !promotable {
                    assert!(!actions
                        .iter()
                        .any(|a| matches!(a, Action::PreparePr { .. })));
                }
            }
        }
    }
}

#[test]
fn the_planner_refuses_unknown_environments() {
    let chain = chain();
    let unknown = [
        Event::ChangeMerged {
            environment: "qa".into(),
        },
        Event::ConfigMerged {
            environment: "qa".into(),
        },
        Event::PlatformConfigMerged {
            environment: "qa".into(),
        },
        Event::DeploymentFinished {
            environment: "qa".into(),
            source_commit: "abc".into(),
            promotable: true,
            succeeded: true,
        },
    ];
    for event in unknown {
        let err = plan(&event, &chain).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("`qa`") && text.contains("dev → stage → prod"),
            "{text}"
        );
    }
}

#[test]
fn events_travel_as_tagged_json() {
    let event = Event::DeploymentFinished {
        environment: "dev".into(),
        source_commit: "abc".into(),
        promotable: true,
        succeeded: false,
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "deployment-finished", "environment": "dev",
            "sourceCommit": "abc", "promotable": true, "succeeded": false})
    );
    let back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(back, event);
    let pushed: Event =
        serde_json::from_str(r#"{"type": "source-pushed", "commit": "main"}"#).unwrap();
    assert_eq!(
        pushed,
        Event::SourcePushed {
            commit: "main".into()
        }
    );
}

#[test]
fn chains_are_checked_when_built() {
    assert!(EnvironmentChain::new(Vec::<String>::new()).is_err());
    assert!(EnvironmentChain::new(["dev", "dev"]).is_err());
    assert!(EnvironmentChain::new(["dev", "../prod"]).is_err());
    let c = chain();
    assert_eq!(c.first(), "dev");
    assert_eq!(c.next("dev"), Some("stage"));
    assert_eq!(c.next("prod"), None);
    assert_eq!(c.previous("dev"), None);
    assert_eq!(c.previous("prod"), Some("stage"));
    assert_eq!(c.previous("qa"), None);
    assert_eq!(c.to_string(), "dev → stage → prod");
}

// ---------------------------------------------------------------------------------------------
// The world: six in-memory repos

const ENVS: [&str; 3] = ["dev", "stage", "prod"];

fn tree(entries: &[(&str, &str)]) -> FileTree {
    let mut t = FileTree::new();
    for (p, c) in entries {
        t.insert(*p, *c).unwrap();
    }
    t
}

fn source_tree(greeting: &str) -> FileTree {
    let schema = format!(
        "rules:\n  configs:\n    Replicas: {{type: int, defaultValue: 1, minValue: 1, maxValue: 10}}\n    \
         LogLevel: {{type: string, defaultValue: info, allowedValues: [debug, info, warn]}}\n    \
         Greeting: {{type: string, defaultValue: {greeting}}}\n"
    );
    tree(&[
        (
            "wo/app.yaml",
            "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\nnamespace: shop-ns\n",
        ),
        ("wo/schema.yaml", &schema),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: shop-chart\nversion: 1.0.0\n",
        ),
        ("chart/templates/cm.yaml", "kind: ConfigMap\n"),
        ("src/main.rs", "fn main() {}\n"),
    ])
}

fn values(body: &str) -> String {
    format!("apiVersion: wo/v1\nkind: Values\nvalues:\n{body}")
}

/// A fleet of two edge targets (three in stage and prod) over region → site, plus a lab
/// target the solution is not assigned to.
fn fleet(env: &str, next: Option<&str>, edge: &[(&str, &str, &str)]) -> String {
    let mut s = format!("apiVersion: wo/v1\nkind: Fleet\nenvironment: {env}\n");
    if let Some(n) = next {
        s.push_str(&format!("next: {n}\n"));
    }
    s.push_str("hierarchy: [region, site]\ntargets:\n");
    for (name, region, site) in edge {
        s.push_str(&format!(
            "  - name: {name}\n    hierarchy: {{region: {region}, site: {site}}}\n    labels: {{tier: edge}}\n    orchestrator: {{id: /targets/{name}}}\n"
        ));
    }
    s.push_str(&format!(
        "  - name: {env}-lab\n    hierarchy: {{region: eu, site: lab}}\n    labels: {{tier: lab}}\n"
    ));
    s.push_str("assignments:\n  - solution: shop\n    selector: {tier: edge}\n");
    s
}

fn fleet_of(env: &str) -> String {
    match env {
        "dev" => fleet(
            "dev",
            Some("stage"),
            &[("dev-eu-1", "eu", "berlin"), ("dev-us-1", "us", "chicago")],
        ),
        "stage" => fleet(
            "stage",
            Some("prod"),
            &[
                ("stage-eu-1", "eu", "berlin"),
                ("stage-eu-2", "eu", "paris"),
                ("stage-us-1", "us", "chicago"),
            ],
        ),
        _ => fleet(
            "prod",
            None,
            &[
                ("prod-eu-1", "eu", "berlin"),
                ("prod-eu-2", "eu", "paris"),
                ("prod-us-1", "us", "chicago"),
            ],
        ),
    }
}

fn targets_of(env: &str) -> Vec<String> {
    match env {
        "dev" => vec!["dev-eu-1".into(), "dev-us-1".into()],
        _ => ["eu-1", "eu-2", "us-1"]
            .iter()
            .map(|t| format!("{env}-{t}"))
            .collect(),
    }
}

struct World {
    source: InMemorySourceRepo,
    app_config: InMemoryConfigStore,
    platform_config: InMemoryConfigStore,
    gitops: InMemoryGitOpsRepo,
    orchestrator: InMemoryOrchestrator,
    /// The source commit of `main` at creation.
    c1: CommitId,
}

impl World {
    fn new() -> Self {
        let source = InMemorySourceRepo::new();
        let c1 = source.commit("main", source_tree("hello"));
        let app_config = InMemoryConfigStore::named("app-config");
        app_config.commit(
            "dev",
            tree(&[("values.yaml", &values("  LogLevel: debug\n"))]),
        );
        app_config.commit(
            "stage",
            tree(&[
                ("values.yaml", &values("  LogLevel: info\n")),
                ("levels/region/eu.yaml", &values("  Replicas: 2\n")),
            ]),
        );
        app_config.commit(
            "prod",
            tree(&[
                ("values.yaml", &values("  LogLevel: warn\n  Replicas: 3\n")),
                ("targets/prod-us-1.yaml", &values("  Replicas: 5\n")),
            ]),
        );
        let platform_config = InMemoryConfigStore::named("platform-config");
        for env in ENVS {
            platform_config.commit(env, tree(&[("fleet.yaml", &fleet_of(env))]));
        }
        World {
            source,
            app_config,
            platform_config,
            gitops: InMemoryGitOpsRepo::new(),
            orchestrator: InMemoryOrchestrator::new(),
            c1,
        }
    }

    fn ports_with(&self, gitops: Arc<dyn GitOpsRepo>) -> Ports {
        Ports {
            source: Arc::new(self.source.clone()),
            app_config: Arc::new(self.app_config.clone()),
            platform_config: Arc::new(self.platform_config.clone()),
            gitops,
            renderer: Arc::new(InMemoryRenderer::new()),
            orchestrator: Arc::new(self.orchestrator.clone()),
            charts: None,
            fleet: None,
            policy: None,
        }
    }

    /// A fresh pipeline: nothing carries over from an earlier one but the repositories.
    fn pipeline(&self) -> Pipeline {
        Pipeline::new(
            self.ports_with(Arc::new(self.gitops.clone())),
            Settings::default(),
        )
    }

    async fn state(&self, commit: &CommitId, context: &str) -> Option<CommitState> {
        self.source
            .statuses(commit)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.context == context)
            .map(|s| s.state)
    }

    async fn head(&self, env: &str) -> Option<CommitId> {
        self.gitops.head(env).await.unwrap()
    }

    async fn files(&self, env: &str) -> FileTree {
        let head = self.head(env).await.expect("env branch exists");
        self.gitops.read(&head, "shop").await.unwrap()
    }

    fn open_changes(&self) -> Vec<ChangeRequest> {
        self.gitops
            .change_requests()
            .into_iter()
            .filter(|c| c.state == ChangeState::Open)
            .collect()
    }

    /// Pushes `main`, then merges and deploys each environment in turn through `run`.
    async fn promote_everywhere(&self, rev: &str) {
        let p = self.pipeline();
        let out = p
            .run(&Event::SourcePushed { commit: rev.into() })
            .await
            .unwrap();
        assert!(matches!(&out[..], [StepOutcome::Prepared(o)] if o.environment == "dev"));
        for env in ENVS {
            p.merge(env).await.unwrap();
            p.run(&Event::ChangeMerged {
                environment: env.into(),
            })
            .await
            .unwrap();
        }
    }
}

fn prepared(out: &[StepOutcome]) -> Vec<(&str, &'static str)> {
    out.iter()
        .filter_map(|s| match s {
            StepOutcome::Prepared(p) => Some((p.environment.as_str(), p.kind())),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The flows

#[tokio::test]
async fn the_chain_is_read_from_the_fleets() {
    let w = World::new();
    let chain = w.pipeline().chain().await.unwrap();
    assert_eq!(chain.environments(), ["dev", "stage", "prod"]);

    // A cycle: prod says its next is dev.
    let cyclic = fleet_of("prod").replace("environment: prod\n", "environment: prod\nnext: dev\n");
    w.platform_config
        .commit("prod", tree(&[("fleet.yaml", &cyclic)]));
    let err = w.pipeline().chain().await.unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.location.file, "platform-config/prod/fleet.yaml");
    assert_eq!(d.location.key_path, "next");
    assert!(d.message.contains("dev → stage → prod → dev"), "{d}");

    // A next environment without a branch.
    let dangling =
        fleet_of("prod").replace("environment: prod\n", "environment: prod\nnext: edge\n");
    w.platform_config
        .commit("prod", tree(&[("fleet.yaml", &dangling)]));
    let err = w.pipeline().chain().await.unwrap_err();
    assert!(err.to_string().contains("`edge` has no branch"), "{err}");

    // A first environment without a branch.
    let p = Pipeline::new(
        w.ports_with(Arc::new(w.gitops.clone())),
        Settings {
            first_environment: "qa".into(),
            ..Settings::default()
        },
    );
    let err = p.chain().await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }) && err.to_string().contains("`qa`"));
}

#[tokio::test]
async fn a_push_is_promoted_dev_stage_prod_one_reviewed_change_at_a_time() {
    let w = World::new();
    let p = w.pipeline();
    let out = p
        .run(&Event::SourcePushed {
            commit: "main".into(),
        })
        .await
        .unwrap();
    assert_eq!(prepared(&out), [("dev", "opened")]);
    assert_eq!(w.head("dev").await, None, "nothing merged before review");
    assert_eq!(w.orchestrator.total_installs(), 0);

    let mut installs = 0;
    for (i, env) in ENVS.iter().enumerate() {
        let cr = p.merge(env).await.unwrap().head().cloned().expect("merged");
        let out = p
            .run(&Event::ChangeMerged {
                environment: env.to_string(),
            })
            .await
            .unwrap();
        let StepOutcome::Deployed(d) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(d.gitops_commit, cr);
        assert!(d.report.all_succeeded());
        assert_eq!(d.provenance.source_commit, w.c1);
        installs += targets_of(env).len();
        assert_eq!(w.orchestrator.total_installs(), installs);
        for t in targets_of(env) {
            assert_eq!(
                w.orchestrator.deployed("shop", &t).await.unwrap(),
                Some(cr.to_string())
            );
            assert_eq!(
                w.state(&w.c1, &format!("wo/{env}/{t}")).await,
                Some(CommitState::Success)
            );
        }
        assert_eq!(
            w.state(&w.c1, &format!("wo/{env}")).await,
            Some(CommitState::Success)
        );
        match ENVS.get(i + 1) {
            Some(next) => assert_eq!(prepared(&out), [(*next, "opened")]),
            None => assert_eq!(out.len(), 1, "prod is the end: {out:?}"),
        }
    }
    assert!(w
        .orchestrator
        .deployed("shop", "prod-lab")
        .await
        .unwrap()
        .is_none());

    // What each env branch holds: the lowest level wins, per environment.
    let prod = w.files("prod").await;
    let text = |t: &FileTree, p: &str| t.text(p).unwrap().unwrap().to_string();
    assert_eq!(
        text(&prod, "shop/prod-eu-1/values.yaml"),
        "Replicas: 3\nLogLevel: warn\nGreeting: hello\n"
    );
    assert!(text(&prod, "shop/prod-us-1/values.yaml").contains("Replicas: 5"));
    assert!(text(&w.files("stage").await, "shop/stage-eu-2/values.yaml").contains("Replicas: 2"));
    assert!(text(&w.files("stage").await, "shop/stage-us-1/values.yaml").contains("Replicas: 1"));
    assert!(text(&prod, "shop/prod-eu-1/manifests.yaml").contains("namespace: \"shop-ns\""));
    assert!(!prod.contains("shop/prod-lab/values.yaml"));

    let status = p.status().await.unwrap();
    assert_eq!(status.len(), 3);
    for s in &status {
        let prov = s.provenance.as_ref().unwrap();
        assert_eq!(prov.source_commit, w.c1);
        assert!(prov.promotable);
        assert_eq!(s.state, Some(CommitState::Success));
        assert_eq!(
            s.targets.keys().cloned().collect::<Vec<_>>(),
            targets_of(&s.environment)
        );
        assert!(s.change_request.is_none());
    }
    let history = p.history("prod", 10).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].title,
        format!("shop: prod ← source {}", w.c1.short())
    );
}

#[tokio::test]
async fn release_yaml_records_provenance_and_content_hashes() {
    let w = World::new();
    w.promote_everywhere("main").await;
    let files = w.files("dev").await;
    let record = files.text("shop/release.yaml").unwrap().unwrap();
    let head = &w.gitops.history("dev", 1).await.unwrap()[0];
    let p = head.provenance.clone().unwrap();
    let sha = |path: &str| sha256_hex(files.get(path).unwrap());
    // The commit ids are quoted where a YAML 1.1 reader would take them for numbers.
    assert!(record.starts_with(
        "apiVersion: wo/v1\nkind: Release\nsolution: shop\nenvironment: dev\nprovenance:\n  sourceCommit: "
    ));
    let target = |t: &str| {
        serde_json::json!({
            "orchestratorId": format!("/targets/{t}"),
            "valuesSha256": sha(&format!("shop/{t}/values.yaml")),
            "manifestsSha256": sha(&format!("shop/{t}/manifests.yaml")),
        })
    };
    let expected = serde_json::json!({
        "apiVersion": "wo/v1",
        "kind": "Release",
        "solution": "shop",
        "environment": "dev",
        "provenance": {
            "sourceCommit": p.source_commit.as_str(),
            "configCommit": p.config_commit.as_str(),
            "fleetCommit": p.fleet_commit.as_str(),
            "promotable": true,
        },
        "targets": {"dev-eu-1": target("dev-eu-1"), "dev-us-1": target("dev-us-1")},
    });
    let read = wo_core::yaml::parse(record, "release.yaml")
        .unwrap()
        .to_value("release.yaml")
        .unwrap();
    assert_eq!(read, expected);
    assert_eq!(
        wo_core::yaml::to_string(&expected),
        record,
        "key order as documented"
    );
    assert_eq!(p.config_commit, w.app_config.head("dev").await.unwrap());
    assert_eq!(p.fleet_commit, w.platform_config.head("dev").await.unwrap());
    let parsed = ReleaseRecord::parse(record, "release.yaml").unwrap();
    assert_eq!(parsed.provenance(), p);
    assert_eq!(parsed.to_yaml(), record);
}

#[tokio::test]
async fn a_config_change_in_stage_rerenders_stage_only_and_never_promotes() {
    let w = World::new();
    w.promote_everywhere("main").await;
    let (dev, prod) = (w.head("dev").await, w.head("prod").await);
    let stage_before = w.files("stage").await;
    let crs = w.gitops.change_requests().len();

    let config = w.app_config.commit(
        "stage",
        tree(&[
            ("values.yaml", &values("  LogLevel: debug\n")),
            ("levels/region/eu.yaml", &values("  Replicas: 2\n")),
        ]),
    );
    let p = w.pipeline();
    let out = p
        .run(&Event::ConfigMerged {
            environment: "stage".into(),
        })
        .await
        .unwrap();
    let [StepOutcome::Prepared(o)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(o.kind(), "opened");
    assert_eq!(o.environment, "stage");
    assert!(!o.provenance.promotable);
    assert_eq!(o.provenance.source_commit, w.c1, "the released source");
    assert_eq!(o.provenance.config_commit, config);
    assert!(o.change_request().unwrap().title.contains("not promotable"));

    p.merge("stage").await.unwrap();
    let out = p
        .run(&Event::ChangeMerged {
            environment: "stage".into(),
        })
        .await
        .unwrap();
    let [StepOutcome::Deployed(d)] = &out[..] else {
        panic!("a config-only deploy plans nothing after it: {out:?}")
    };
    assert!(d.report.all_succeeded() && d.next.is_empty());
    assert_eq!(w.gitops.change_requests().len(), crs + 1);
    assert!(w.open_changes().is_empty(), "no change request for prod");
    assert_eq!(w.head("dev").await, dev);
    assert_eq!(w.head("prod").await, prod);
    let stage = w.files("stage").await;
    assert_ne!(stage, stage_before);
    assert!(stage
        .text("shop/stage-eu-1/values.yaml")
        .unwrap()
        .unwrap()
        .contains("LogLevel: debug"));
    assert!(!w
        .files("prod")
        .await
        .text("shop/prod-eu-1/values.yaml")
        .unwrap()
        .unwrap()
        .contains("LogLevel: debug"));
}

#[tokio::test]
async fn a_failing_target_in_prod_halts_with_failure_statuses() {
    let w = World::new();
    w.orchestrator
        .fail_target("prod-eu-2", "cluster unreachable");
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    for env in ["dev", "stage"] {
        p.merge(env).await.unwrap();
        p.run(&Event::ChangeMerged {
            environment: env.into(),
        })
        .await
        .unwrap();
    }
    p.merge("prod").await.unwrap();
    let out = p
        .run(&Event::ChangeMerged {
            environment: "prod".into(),
        })
        .await
        .unwrap();
    assert_eq!(out.len(), 2, "{out:?}");
    let StepOutcome::Deployed(d) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        d.report.failed(),
        vec![("prod-eu-2", "cluster unreachable")]
    );
    assert!(out[0].is_failure() && out[1].is_failure());
    assert!(
        matches!(&out[1], StepOutcome::Halted { environment, source_commit, .. }
            if environment == "prod" && *source_commit == w.c1)
    );
    assert_eq!(w.state(&w.c1, "wo/prod").await, Some(CommitState::Failure));
    assert_eq!(
        w.state(&w.c1, "wo/prod/prod-eu-2").await,
        Some(CommitState::Failure)
    );
    assert_eq!(
        w.state(&w.c1, "wo/prod/prod-eu-1").await,
        Some(CommitState::Success)
    );
    assert_eq!(w.state(&w.c1, "wo/stage").await, Some(CommitState::Success));
    let status = p.status().await.unwrap();
    assert_eq!(status[2].state, Some(CommitState::Failure));
    assert_eq!(status[2].targets["prod-eu-2"], CommitState::Failure);

    // Once the target heals, deploying again succeeds without installing twice elsewhere.
    w.orchestrator.heal_target("prod-eu-2");
    let again = p.deploy("prod").await.unwrap();
    assert!(again.report.all_succeeded() && again.next.is_empty());
    let v = again.gitops_commit.to_string();
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-1", &v), 1);
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 1);
    assert_eq!(w.state(&w.c1, "wo/prod").await, Some(CommitState::Success));
}

/// A deploy to more targets than `MAX_TARGET_STATUSES` stays within GitHub's limits on
/// content-creating requests: statuses only for the failed targets, and the environment's.
#[tokio::test]
async fn a_large_fleet_sets_statuses_for_its_failed_targets_only() {
    let w = World::new();
    let n = wo_core::pipeline::MAX_TARGET_STATUSES + 10;
    let names: Vec<String> = (0..n).map(|i| format!("dev-{i:03}")).collect();
    let edge: Vec<(&str, &str, &str)> =
        names.iter().map(|t| (t.as_str(), "eu", "berlin")).collect();
    w.platform_config.commit(
        "dev",
        tree(&[("fleet.yaml", &fleet("dev", Some("stage"), &edge))]),
    );
    for t in ["dev-007", "dev-042"] {
        w.orchestrator.fail_target(t, "cluster unreachable");
    }
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();
    let d = p.deploy("dev").await.unwrap();
    assert_eq!(d.report.results.len(), n);
    let statuses = w.source.statuses(&w.c1).await.unwrap();
    let mut contexts: Vec<&str> = statuses.iter().map(|s| s.context.as_str()).collect();
    contexts.sort();
    assert_eq!(contexts, ["wo/dev", "wo/dev/dev-007", "wo/dev/dev-042"]);
    let env = statuses.iter().find(|s| s.context == "wo/dev").unwrap();
    assert_eq!(env.state, CommitState::Failure);
    assert!(
        env.description.contains("dev-007, dev-042"),
        "{}",
        env.description
    );
}

#[tokio::test]
async fn a_failure_in_stage_keeps_the_commit_out_of_prod() {
    let w = World::new();
    w.orchestrator
        .fail_target("stage-us-1", "image pull failed");
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    for env in ["dev", "stage"] {
        p.merge(env).await.unwrap();
        p.run(&Event::ChangeMerged {
            environment: env.into(),
        })
        .await
        .unwrap();
    }
    assert_eq!(w.state(&w.c1, "wo/stage").await, Some(CommitState::Failure));
    assert!(w.open_changes().is_empty());
    let err = p
        .prepare_pr("prod", &SourceChoice::Commit(w.c1.to_string()), true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`failure`"), "{err}");
    assert!(w
        .gitops
        .change_request("shop", "prod")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_promotable_commit_the_previous_environment_has_not_deployed_is_refused() {
    let w = World::new();
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    // The dev change request is open, not merged, not deployed.
    let err = p
        .prepare_pr("stage", &SourceChoice::Commit("main".into()), true)
        .await
        .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.location.key_path, "wo/dev");
    assert!(
        d.message.contains("not deployed in `dev`") && d.message.contains("missing"),
        "{d}"
    );
    assert!(w
        .gitops
        .change_request("shop", "stage")
        .await
        .unwrap()
        .is_none());
    assert_eq!(w.gitops.change_requests().len(), 1);

    // The same commit, not promotable, may be rendered anywhere (config-style), and the first
    // environment needs no predecessor.
    let ok = p
        .prepare_pr("stage", &SourceChoice::Commit("main".into()), false)
        .await
        .unwrap();
    assert_eq!(ok.kind(), "opened");
}

#[tokio::test]
async fn a_rollback_proposes_the_earlier_content_with_provenance_saying_so() {
    let w = World::new();
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();
    p.deploy("dev").await.unwrap();
    let first = w.head("dev").await.unwrap();
    let first_files = w.files("dev").await;

    let c2 = w.source.commit("main", source_tree("bonjour"));
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();
    p.deploy("dev").await.unwrap();
    assert!(w
        .files("dev")
        .await
        .text("shop/dev-eu-1/values.yaml")
        .unwrap()
        .unwrap()
        .contains("bonjour"));
    let history = p.history("dev", 10).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].provenance.as_ref().unwrap().source_commit, c2);
    assert_eq!(history[1].gitops_commit, first);

    let out = p.rollback("dev", &first).await.unwrap();
    assert_eq!(out.kind(), "opened");
    let prov = &out.provenance;
    assert_eq!(prov.rollback_of.as_ref(), Some(&first));
    assert!(!prov.promotable);
    assert_eq!(prov.source_commit, w.c1);
    let cr = out.change_request().unwrap();
    assert!(cr.title.contains("rollback to"), "{}", cr.title);
    assert_eq!(cr.provenance, *prov);
    // Running it twice opens nothing new; a short id names the same commit.
    assert_eq!(p.rollback("dev", &first).await.unwrap().kind(), "unchanged");
    let short = CommitId::from(&first.as_str()[..7]);
    let by_short = p.rollback("dev", &short).await.unwrap();
    assert_eq!(by_short.kind(), "unchanged");
    assert_eq!(by_short.provenance.rollback_of.as_ref(), Some(&first));
    assert!(
        matches!(
            p.rollback("dev", &CommitId::from("abc")).await,
            Err(Error::NotFound { .. })
        ),
        "fewer than 4 digits are no short id"
    );

    p.merge("dev").await.unwrap();
    let d = p.deploy("dev").await.unwrap();
    assert!(
        d.report.all_succeeded() && d.next.is_empty(),
        "a rollback never promotes"
    );
    let restored = w.files("dev").await;
    for (path, content) in first_files.iter() {
        if path == "shop/release.yaml" {
            let record = ReleaseRecord::parse(restored.text(path).unwrap().unwrap(), path).unwrap();
            assert_eq!(record.provenance(), *prov);
        } else {
            assert_eq!(restored.get(path), Some(content), "{path}");
        }
    }
    assert_eq!(restored.len(), first_files.len());
    let head = w.head("dev").await.unwrap();
    assert_eq!(
        w.orchestrator.deployed("shop", "dev-eu-1").await.unwrap(),
        Some(head.to_string())
    );
    // The rollback release is reproducible from its provenance too.
    assert_eq!(p.reproduce(prov).await.unwrap(), restored);

    // Rolling back to the head, or to a commit of another branch, is refused.
    assert!(p
        .rollback("dev", &head)
        .await
        .unwrap_err()
        .is_invalid_input());
    assert!(matches!(
        p.rollback("dev", &CommitId::from("nope")).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn every_step_run_twice_changes_nothing_the_second_time() {
    let w = World::new();
    let p = w.pipeline();
    let push = Event::SourcePushed {
        commit: "main".into(),
    };
    assert_eq!(prepared(&p.run(&push).await.unwrap()), [("dev", "opened")]);
    assert_eq!(
        prepared(&p.run(&push).await.unwrap()),
        [("dev", "unchanged")]
    );
    assert_eq!(w.gitops.change_requests().len(), 1);

    p.merge("dev").await.unwrap();
    let merged = Event::ChangeMerged {
        environment: "dev".into(),
    };
    let first = p.run(&merged).await.unwrap();
    let statuses = w.source.statuses(&w.c1).await.unwrap();
    let second = p.run(&merged).await.unwrap();
    assert_eq!(prepared(&first), [("stage", "opened")]);
    assert_eq!(prepared(&second), [("stage", "unchanged")]);
    assert_eq!(w.orchestrator.total_installs(), 2, "no second install");
    assert_eq!(w.source.statuses(&w.c1).await.unwrap(), statuses);
    assert_eq!(
        w.gitops.change_requests().len(),
        2,
        "no second change request"
    );

    // Preparing what the branch already holds proposes nothing.
    let again = p
        .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
        .await
        .unwrap();
    assert_eq!(
        again.proposal,
        ProposeOutcome::NoDifference { closed: None }
    );
    assert_eq!(p.merge("dev").await.unwrap(), MergeOutcome::NothingToMerge);
    assert_eq!(w.gitops.change_requests().len(), 2);
}

#[tokio::test]
async fn invalid_config_is_rejected_naming_every_file_and_nothing_is_proposed() {
    let w = World::new();
    w.app_config.commit(
        "dev",
        tree(&[
            ("values.yaml", &values("  Replicas: 50\n")),
            ("targets/dev-us-1.yaml", &values("  LogLevl: warn\n")),
        ]),
    );
    let err = w
        .pipeline()
        .run(&Event::SourcePushed {
            commit: "main".into(),
        })
        .await
        .unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    let files: Vec<&str> = err
        .diagnostics()
        .iter()
        .map(|d| d.location.file.as_str())
        .collect();
    assert!(files.contains(&"app-config/dev/values.yaml"), "{err}");
    assert!(
        files.contains(&"app-config/dev/targets/dev-us-1.yaml"),
        "{err}"
    );
    let replicas = err
        .diagnostics()
        .iter()
        .find(|d| d.location.file == "app-config/dev/values.yaml")
        .unwrap();
    assert_eq!(replicas.location.key_path, "values.Replicas");
    assert!(replicas.location.line.is_some());
    assert!(w.gitops.change_requests().is_empty());
    assert_eq!(w.head("dev").await, None);
}

#[tokio::test]
async fn an_unknown_environment_is_a_clear_error() {
    let w = World::new();
    let p = w.pipeline();
    let check = |err: Error| {
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        assert!(err.to_string().contains("`qa`"), "{err}");
        assert!(err.to_string().contains("dev → stage → prod"), "{err}");
    };
    check(
        p.prepare_pr("qa", &SourceChoice::Commit("main".into()), false)
            .await
            .unwrap_err(),
    );
    check(p.deploy("qa").await.unwrap_err());
    check(p.merge("qa").await.unwrap_err());
    check(p.history("qa", 5).await.unwrap_err());
    check(
        p.run(&Event::ConfigMerged {
            environment: "qa".into(),
        })
        .await
        .unwrap_err(),
    );
    assert!(w.gitops.change_requests().is_empty());
}

#[tokio::test]
async fn releasing_a_config_change_needs_something_released() {
    let w = World::new();
    let err = w
        .pipeline()
        .run(&Event::ConfigMerged {
            environment: "stage".into(),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("does not exist yet"), "{err}");
}

#[tokio::test]
async fn rerendering_from_provenance_reproduces_every_branch_byte_for_byte() {
    let w = World::new();
    w.promote_everywhere("main").await;
    // Config moves on afterwards; the provenance pins what was used.
    w.app_config.commit(
        "prod",
        tree(&[("values.yaml", &values("  LogLevel: debug\n"))]),
    );
    let p = w.pipeline();
    for env in ENVS {
        let head = &w.gitops.history(env, 1).await.unwrap()[0];
        let provenance = head.provenance.clone().unwrap();
        let again = p.reproduce(&provenance).await.unwrap();
        assert_eq!(
            again,
            w.gitops.read(&head.id, "shop").await.unwrap(),
            "{env}"
        );
    }

    // Same inputs, same bytes: an identical world renders identical branches.
    let twin = World::new();
    twin.promote_everywhere("main").await;
    for env in ENVS {
        assert_eq!(twin.files(env).await, w.files(env).await, "{env}");
    }
}

// ---------------------------------------------------------------------------------------------
// Manual commits on the gitops repo

/// The in-memory gitops repo, plus commits made by hand on top of an env branch (which wo's
/// own backend cannot make).
#[derive(Clone)]
struct HandEdited {
    inner: InMemoryGitOpsRepo,
    manual: Arc<Mutex<Option<(String, GitOpsCommit, FileTree)>>>,
}

impl HandEdited {
    fn manual(&self, env: &str) -> Option<(GitOpsCommit, FileTree)> {
        self.manual
            .lock()
            .unwrap()
            .clone()
            .filter(|(e, _, _)| e == env)
            .map(|(_, c, f)| (c, f))
    }
}

#[async_trait]
impl GitOpsRepo for HandEdited {
    async fn head(&self, env: &str) -> Result<Option<CommitId>> {
        match self.manual(env) {
            Some((c, _)) => Ok(Some(c.id)),
            None => self.inner.head(env).await,
        }
    }
    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree> {
        let manual = self.manual.lock().unwrap().clone();
        match manual {
            Some((_, c, f)) if c.id == *commit => Ok(f),
            _ => self.inner.read(commit, solution).await,
        }
    }
    async fn propose(&self, proposal: ChangeProposal) -> Result<ProposeOutcome> {
        self.inner.propose(proposal).await
    }
    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>> {
        self.inner.change_request(solution, env).await
    }
    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId> {
        self.inner.merge(change).await
    }
    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
        let mut out = Vec::new();
        if let Some((c, _)) = self.manual(env) {
            out.push(c);
        }
        out.extend(self.inner.history(env, limit).await?);
        out.truncate(limit);
        Ok(out)
    }
    async fn merged_from(&self, env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>> {
        match self.manual(env) {
            Some((c, _)) if c.id == *commit => Ok(None),
            _ => self.inner.merged_from(env, commit).await,
        }
    }
}

#[tokio::test]
async fn deploy_refuses_a_manual_commit_or_a_hand_edited_file() {
    let w = World::new();
    let gitops = HandEdited {
        inner: w.gitops.clone(),
        manual: Arc::default(),
    };
    let p = Pipeline::new(w.ports_with(Arc::new(gitops.clone())), Settings::default());
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();
    let files = w.files("dev").await;
    let provenance: Provenance = w.gitops.history("dev", 1).await.unwrap()[0]
        .provenance
        .clone()
        .unwrap();
    let mut edited = files.clone();
    edited
        .insert("shop/dev-eu-1/values.yaml", "Replicas: 9\n")
        .unwrap();
    edited.insert("shop/extra.yaml", "x: 1\n").unwrap();
    // The careful forger: the file edited, release.yaml's hash of it updated, trailers kept.
    let mut forged = files.clone();
    let forged_values = "Replicas: 9\n";
    forged
        .insert("shop/dev-eu-1/values.yaml", forged_values)
        .unwrap();
    let mut record =
        ReleaseRecord::parse(files.text("shop/release.yaml").unwrap().unwrap(), "r").unwrap();
    record
        .targets
        .get_mut("dev-eu-1")
        .expect("dev-eu-1 is released")
        .values_sha256 = sha256_hex(forged_values.as_bytes());
    forged
        .insert("shop/release.yaml", record.to_yaml())
        .unwrap();

    let cases = [
        // No trailers: a commit wo did not make.
        (
            "manual change\n\nbumped replicas by hand\n".to_string(),
            files.clone(),
            vec!["gitops/dev"],
        ),
        // Trailers copied, content edited: the record's hashes catch it.
        (
            provenance.commit_message("looks legit", ""),
            edited,
            vec![
                "gitops/dev/shop/dev-eu-1/values.yaml",
                "gitops/dev/shop/extra.yaml",
            ],
        ),
        // Hashes updated too: deploy renders the provenance again and names the first file
        // that differs.
        (
            provenance.commit_message("looks legit", ""),
            forged,
            vec!["gitops/dev/shop/dev-eu-1/values.yaml"],
        ),
    ];
    for (message, tree, named) in cases {
        *gitops.manual.lock().unwrap() = Some((
            "dev".into(),
            GitOpsCommit {
                id: CommitId::from("handmade"),
                provenance: Provenance::from_message(&message),
                message,
                tree: "handmade".into(),
            },
            tree,
        ));
        let err = p.deploy("dev").await.unwrap_err();
        assert!(err.is_invalid_input(), "{err}");
        let files: Vec<&str> = err
            .diagnostics()
            .iter()
            .map(|d| d.location.file.as_str())
            .collect();
        assert_eq!(files, named, "{err}");
        assert!(err.to_string().contains("dev"), "{err}");
        let err = p
            .run(&Event::ChangeMerged {
                environment: "dev".into(),
            })
            .await
            .unwrap_err();
        assert!(err.is_invalid_input());
        assert_eq!(w.orchestrator.total_installs(), 0, "nothing installed");
        assert!(
            w.source.statuses(&w.c1).await.unwrap().is_empty(),
            "statuses untouched"
        );
    }

    // Without the manual commit on top, the branch deploys.
    *gitops.manual.lock().unwrap() = None;
    assert!(p.deploy("dev").await.unwrap().report.all_succeeded());
    assert_eq!(w.orchestrator.total_installs(), 2);
}

#[tokio::test]
async fn the_chart_is_packaged_at_prepare_recorded_and_published_once_per_release() {
    let w = World::new();
    let charts = InMemoryChartRegistry::new("oci://registry.example/charts");
    let mut ports = w.ports_with(Arc::new(w.gitops.clone()));
    ports.charts = Some(Arc::new(charts.clone()));
    let p = Pipeline::new(ports, Settings::default());
    let version = format!("1.0.0-wo.g{}", &w.c1.as_str()[..12]);

    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    assert_eq!(charts.pushes(), 0, "prepare-pr publishes nothing");
    p.merge("dev").await.unwrap();
    let record = ReleaseRecord::parse(
        w.files("dev")
            .await
            .text("shop/release.yaml")
            .unwrap()
            .unwrap(),
        "r",
    )
    .unwrap();
    let chart = record.chart.expect("release.yaml names the chart");
    assert_eq!(chart.repo, "oci://registry.example/charts/shop-chart");
    assert_eq!(chart.version, version);
    assert!(chart.digest.starts_with("sha256:"), "{}", chart.digest);

    let first = p.deploy("dev").await.unwrap();
    assert!(first.report.all_succeeded());
    let published = first.chart.expect("deploy publishes the chart");
    assert_eq!(
        (published.chart.clone(), published.pushed),
        (chart.clone(), true)
    );
    assert_eq!(
        charts.digest(&chart.repo, &chart.version),
        Some(chart.digest.clone())
    );

    // Again, and in the next environment (the same source commit): nothing uploaded.
    assert!(!p.deploy("dev").await.unwrap().chart.unwrap().pushed);
    p.prepare_pr("stage", &SourceChoice::Commit(w.c1.to_string()), true)
        .await
        .unwrap();
    p.merge("stage").await.unwrap();
    let stage = p.deploy("stage").await.unwrap();
    assert_eq!(
        stage.chart.map(|c| (c.chart, c.pushed)),
        Some((chart.clone(), false))
    );
    assert_eq!(charts.pushes(), 1, "one upload per release");

    // Someone pushed other content under that version: refused, nothing installed.
    let installs = w.orchestrator.total_installs();
    charts.put(&chart.repo, &chart.version, "sha256:0000");
    let err = p.deploy("dev").await.unwrap_err();
    assert!(
        err.to_string().contains("sha256:0000") && err.to_string().contains(&chart.digest),
        "{err}"
    );
    assert_eq!(
        w.orchestrator.total_installs(),
        installs,
        "nothing installed"
    );
}

#[tokio::test]
async fn deploy_refuses_a_release_prepared_with_a_chart_when_no_registry_is_configured() {
    let w = World::new();
    let charts = InMemoryChartRegistry::new("registry.example/charts");
    let mut ports = w.ports_with(Arc::new(w.gitops.clone()));
    ports.charts = Some(Arc::new(charts));
    let with = Pipeline::new(ports, Settings::default());
    with.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    with.merge("dev").await.unwrap();
    let err = w.pipeline().deploy("dev").await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    assert!(
        err.to_string().contains("shop/release.yaml")
            && err.to_string().contains("no chart registry is configured"),
        "{err}"
    );
    assert_eq!(w.orchestrator.total_installs(), 0);
}

// ---------------------------------------------------------------------------------------------
// Crashes between steps

#[tokio::test]
async fn a_crash_between_steps_loses_and_duplicates_nothing() {
    let w = World::new();
    // Every step runs on a pipeline built for it and dropped after it ("crash"), and every
    // step runs twice.
    for _ in 0..2 {
        w.pipeline()
            .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
            .await
            .unwrap();
    }
    for (i, env) in ENVS.iter().enumerate() {
        w.pipeline().merge(env).await.unwrap();
        assert_eq!(
            w.pipeline().merge(env).await.unwrap(),
            MergeOutcome::NothingToMerge
        );
        for _ in 0..2 {
            let d = w.pipeline().deploy(env).await.unwrap();
            assert!(d.report.all_succeeded());
            if let Some(next) = ENVS.get(i + 1) {
                assert_eq!(d.next, vec![prepare(next, commit(w.c1.as_str()), true)]);
            }
            // Resume from what the planner said, on yet another pipeline.
            for action in d.next {
                if let Action::PreparePr {
                    environment,
                    source,
                    promotable,
                } = action
                {
                    w.pipeline()
                        .prepare_pr(&environment, &source, promotable)
                        .await
                        .unwrap();
                }
            }
        }
    }
    let crs = w.gitops.change_requests();
    assert_eq!(crs.len(), 3, "one change request per environment");
    assert!(crs.iter().all(|c| c.state == ChangeState::Merged));
    assert_eq!(
        w.orchestrator.total_installs(),
        2 + 3 + 3,
        "each target once"
    );
    for env in ENVS {
        let head = w.head(env).await.unwrap();
        for t in targets_of(env) {
            assert_eq!(w.orchestrator.installs("shop", &t, head.as_str()), 1);
        }
        assert_eq!(
            w.state(&w.c1, &format!("wo/{env}")).await,
            Some(CommitState::Success)
        );
    }
    let status = w.pipeline().status().await.unwrap();
    assert!(status.iter().all(|s| s.change_request.is_none()
        && s.provenance.as_ref().map(|p| &p.source_commit) == Some(&w.c1)));
}

// ---------------------------------------------------------------------------------------------
// The platform team's own solution

#[tokio::test]
async fn a_platform_solution_takes_its_values_from_the_platform_config_repo() {
    let source = InMemorySourceRepo::new();
    source.commit(
        "main",
        tree(&[
            (
                "wo/app.yaml",
                "apiVersion: wo/v1\nkind: Platform\nname: platform\nchart: chart\nschema: wo/schema.yaml\n",
            ),
            (
                "wo/schema.yaml",
                "rules:\n  configs:\n    CpuQuota: {type: int, defaultValue: 1}\n",
            ),
            ("chart/Chart.yaml", "apiVersion: v2\nname: platform\nversion: 1.0.0\n"),
        ]),
    );
    let fleet = "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: edge-1\n\
                 assignments:\n  - solution: platform\n    targets: [edge-1]\n";
    let platform_config = InMemoryConfigStore::named("platform-config");
    let first = platform_config.commit(
        "dev",
        tree(&[
            ("fleet.yaml", fleet),
            ("values.yaml", &values("  CpuQuota: 4\n")),
        ]),
    );
    let gitops = InMemoryGitOpsRepo::new();
    let ports = Ports {
        source: Arc::new(source),
        // An app config repo with no branches: a Platform solution never reads it.
        app_config: Arc::new(InMemoryConfigStore::named("app-config")),
        platform_config: Arc::new(platform_config.clone()),
        gitops: Arc::new(gitops.clone()),
        renderer: Arc::new(InMemoryRenderer::new()),
        orchestrator: Arc::new(InMemoryOrchestrator::new()),
        charts: None,
        fleet: None,
        policy: None,
    };
    let p = Pipeline::new(ports, Settings::default());
    let out = p
        .run(&Event::SourcePushed {
            commit: "main".into(),
        })
        .await
        .unwrap();
    let [StepOutcome::Prepared(o)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(o.provenance.config_commit, first);
    assert_eq!(o.provenance.fleet_commit, first);
    p.merge("dev").await.unwrap();
    let out = p
        .run(&Event::ChangeMerged {
            environment: "dev".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(&out[..], [StepOutcome::Deployed(d)] if d.report.all_succeeded() && d.next.is_empty())
    );
    let head = gitops.head("dev").await.unwrap().unwrap();
    let files = gitops.read(&head, "platform").await.unwrap();
    assert_eq!(
        files.text("platform/edge-1/values.yaml").unwrap(),
        Some("CpuQuota: 4\n")
    );

    let second = platform_config.commit(
        "dev",
        tree(&[
            ("fleet.yaml", fleet),
            ("values.yaml", &values("  CpuQuota: 8\n")),
        ]),
    );
    let out = p
        .run(&Event::PlatformConfigMerged {
            environment: "dev".into(),
        })
        .await
        .unwrap();
    // No fleet onboarding configured: the apply is reported skipped, not dropped.
    let [StepOutcome::Skipped { action, reason }, StepOutcome::Prepared(o)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(
        action,
        &Action::ApplyFleet {
            environment: "dev".into()
        }
    );
    assert!(reason.contains("no fleet onboarding"), "{reason}");
    assert!(!o.provenance.promotable);
    assert_eq!(o.provenance.config_commit, second);
    assert_eq!(
        p.reproduce(&o.provenance)
            .await
            .unwrap()
            .text("platform/edge-1/values.yaml")
            .unwrap(),
        Some("CpuQuota: 8\n")
    );
}

// ---------------------------------------------------------------------------------------------
// apply-fleet: a merged fleet change onboards the clusters before the platform is rendered

const PLATFORM_FLEET_ONE: &str =
    "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: edge-1\n\
     assignments:\n  - solution: platform\n    selector: {}\n";
const PLATFORM_FLEET_TWO: &str = "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: edge-1\n  - name: edge-2\n\
     assignments:\n  - solution: platform\n    selector: {}\n";

/// The platform solution released in dev (one target), over `fleet`.
struct PlatformWorld {
    platform_config: InMemoryConfigStore,
    gitops: InMemoryGitOpsRepo,
    ports: Ports,
    pipeline: Pipeline,
}

async fn platform_world(fleet: Option<Arc<dyn FleetOnboarding>>) -> PlatformWorld {
    let source = InMemorySourceRepo::new();
    source.commit(
        "main",
        tree(&[
            (
                "wo/app.yaml",
                "apiVersion: wo/v1\nkind: Platform\nname: platform\nchart: chart\nschema: wo/schema.yaml\n",
            ),
            (
                "wo/schema.yaml",
                "rules:\n  configs:\n    CpuQuota: {type: int, defaultValue: 1}\n",
            ),
            ("chart/Chart.yaml", "apiVersion: v2\nname: platform\nversion: 1.0.0\n"),
        ]),
    );
    let platform_config = InMemoryConfigStore::named("platform-config");
    platform_config.commit("dev", tree(&[("fleet.yaml", PLATFORM_FLEET_ONE)]));
    let gitops = InMemoryGitOpsRepo::new();
    let ports = Ports {
        source: Arc::new(source),
        app_config: Arc::new(InMemoryConfigStore::named("app-config")),
        platform_config: Arc::new(platform_config.clone()),
        gitops: Arc::new(gitops.clone()),
        renderer: Arc::new(InMemoryRenderer::new()),
        orchestrator: Arc::new(InMemoryOrchestrator::new()),
        charts: None,
        fleet,
        policy: None,
    };
    let pipeline = Pipeline::new(ports.clone(), Settings::default());
    pipeline
        .prepare_pr("dev", &commit("main"), true)
        .await
        .unwrap();
    pipeline.merge("dev").await.unwrap();
    assert!(pipeline.deploy("dev").await.unwrap().report.all_succeeded());
    PlatformWorld {
        platform_config,
        gitops,
        ports,
        pipeline,
    }
}

/// A fleet onboarding that notes, at each apply, how many change requests the gitops repo
/// had: proof of what ran first.
struct Observed {
    inner: InMemoryFleetOnboarding,
    gitops: InMemoryGitOpsRepo,
    change_requests_seen: Mutex<Vec<usize>>,
}

#[async_trait]
impl FleetOnboarding for Observed {
    async fn apply(&self, environment: &str, fleet: &Fleet) -> Result<FleetReport> {
        self.change_requests_seen
            .lock()
            .unwrap()
            .push(self.gitops.change_requests().len());
        self.inner.apply(environment, fleet).await
    }
}

#[tokio::test]
async fn a_merged_fleet_change_is_applied_before_the_platform_is_prepared() {
    let w = platform_world(None).await;
    let onboarding = InMemoryFleetOnboarding::new();
    let observed = Arc::new(Observed {
        inner: onboarding.clone(),
        gitops: w.gitops.clone(),
        change_requests_seen: Mutex::new(Vec::new()),
    });
    let p = Pipeline::new(
        Ports {
            fleet: Some(observed.clone()),
            ..w.ports.clone()
        },
        Settings::default(),
    );
    let fleet_commit = w
        .platform_config
        .commit("dev", tree(&[("fleet.yaml", PLATFORM_FLEET_TWO)]));
    let before = w.gitops.change_requests().len();
    let out = p
        .run(&Event::PlatformConfigMerged {
            environment: "dev".into(),
        })
        .await
        .unwrap();
    let [StepOutcome::FleetApplied {
        environment,
        fleet_commit: read_at,
        report,
    }, StepOutcome::Prepared(prepared)] = &out[..]
    else {
        panic!("apply-fleet, then prepare-pr: {out:?}")
    };
    assert_eq!(environment, "dev");
    assert_eq!(
        read_at, &fleet_commit,
        "the fleet is read at the platform config head"
    );
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (2, 0, 0)
    );
    assert_eq!(onboarding.targets("dev"), ["edge-1", "edge-2"]);
    assert_eq!(
        *observed.change_requests_seen.lock().unwrap(),
        [before],
        "applied before the change request was opened"
    );
    assert_eq!(prepared.provenance.fleet_commit, fleet_commit);
    assert_eq!(prepared.targets, ["edge-1", "edge-2"]);
    assert_eq!(w.gitops.change_requests().len(), before + 1);

    // The same event again: the fleet is applied again, changing nothing.
    let again = p
        .run(&Event::PlatformConfigMerged {
            environment: "dev".into(),
        })
        .await
        .unwrap();
    let [StepOutcome::FleetApplied { report, .. }, StepOutcome::Prepared(_)] = &again[..] else {
        panic!("{again:?}")
    };
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, 2)
    );
    assert!(!report.changed());
}

#[tokio::test]
async fn a_failed_fleet_apply_stops_the_run_before_anything_is_prepared() {
    let onboarding = InMemoryFleetOnboarding::new();
    let w = platform_world(Some(Arc::new(onboarding.clone()))).await;
    w.platform_config
        .commit("dev", tree(&[("fleet.yaml", PLATFORM_FLEET_TWO)]));
    onboarding.fail_with("boom: the orchestrator is down");
    let before = w.gitops.change_requests().len();
    let e = w
        .pipeline
        .run(&Event::PlatformConfigMerged {
            environment: "dev".into(),
        })
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("boom: the orchestrator is down"), "{text}");
    assert!(text.contains("applying the fleet of `dev`"), "{text}");
    assert_eq!(w.gitops.change_requests().len(), before, "nothing prepared");
    assert!(onboarding.targets("dev").is_empty());
}

#[tokio::test]
async fn an_application_pipeline_does_not_apply_the_fleet() {
    let w = World::new();
    w.promote_everywhere("main").await;
    let onboarding = InMemoryFleetOnboarding::new();
    let p = Pipeline::new(
        Ports {
            fleet: Some(Arc::new(onboarding.clone())),
            ..w.ports_with(Arc::new(w.gitops.clone()))
        },
        Settings::default(),
    );
    let out = p
        .run(&Event::PlatformConfigMerged {
            environment: "stage".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(&out[..], [StepOutcome::Prepared(o)] if o.environment == "stage"),
        "only prepare-pr: {out:?}"
    );
    assert_eq!(onboarding.calls(), 0);
    // Asked directly, the step says why it does nothing.
    let skipped = p.apply_fleet("stage").await.unwrap();
    assert!(
        matches!(&skipped, StepOutcome::Skipped { reason, .. } if reason.contains("Application")),
        "{skipped:?}"
    );
    assert_eq!(onboarding.calls(), 0);
}

// ---------------------------------------------------------------------------------------------
// verify: what runs equals what was reviewed

fn verdicts(v: &Verification) -> Vec<(&str, Verdict)> {
    v.targets
        .iter()
        .map(|t| (t.target.as_str(), t.verdict.clone()))
        .collect()
}

#[tokio::test]
async fn verify_finds_nothing_deployed_then_ok_then_one_drifted_key_on_one_target() {
    let w = World::new();
    let charts = InMemoryChartRegistry::new("oci://registry.example/charts");
    let mut ports = w.ports_with(Arc::new(w.gitops.clone()));
    ports.charts = Some(Arc::new(charts));
    let p = Pipeline::new(ports, Settings::default());
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();

    let before = p.verify("dev", None).await.unwrap();
    assert_eq!(before.gitops, None);
    assert_eq!(
        verdicts(&before),
        vec![
            ("dev-eu-1", Verdict::NotDeployed { runs: None }),
            ("dev-us-1", Verdict::NotDeployed { runs: None }),
        ]
    );
    assert!(!before.has_drift(), "nothing deployed is not drift");

    let deployed = p.deploy("dev").await.unwrap();
    let after = p.verify("dev", None).await.unwrap();
    assert_eq!(after.gitops_commit, deployed.gitops_commit);
    assert_eq!(
        verdicts(&after),
        vec![("dev-eu-1", Verdict::Ok), ("dev-us-1", Verdict::Ok)]
    );
    assert!(!after.has_drift());

    assert_eq!(
        w.orchestrator
            .drift("dev-eu-1", "LogLevel", serde_json::json!("warn")),
        1
    );
    let drifted = p.verify("dev", None).await.unwrap();
    assert_eq!(
        verdicts(&drifted),
        vec![
            (
                "dev-eu-1",
                Verdict::Drift {
                    keys: vec!["LogLevel".into()],
                    resources: vec![r#"ConfigMap shop-ns/shop: data["values.json"]"#.into()],
                    chart: None,
                }
            ),
            ("dev-us-1", Verdict::Ok),
        ]
    );
    assert!(drifted.has_drift());
    assert_eq!(drifted.gitops, None, "the head itself still re-renders");

    // --target: only that target, and an unknown one is NotFound.
    let one = p.verify("dev", Some("dev-us-1")).await.unwrap();
    assert_eq!(verdicts(&one), vec![("dev-us-1", Verdict::Ok)]);
    assert!(!one.has_drift());
    let err = p.verify("dev", Some("dev-xx-9")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("dev-xx-9"), "{err}");
    let err = p.verify("qa", None).await.unwrap_err();
    assert!(
        err.is_invalid_input(),
        "an unknown environment, as everywhere: {err}"
    );
}

#[tokio::test]
async fn verify_says_which_release_runs_when_the_head_is_not_deployed_yet() {
    let w = World::new();
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();
    let first = p.deploy("dev").await.unwrap().gitops_commit;
    w.app_config.commit(
        "dev",
        tree(&[("values.yaml", &values("  LogLevel: warn\n"))]),
    );
    p.prepare_pr("dev", &SourceChoice::Released, false)
        .await
        .unwrap();
    p.merge("dev").await.unwrap();

    let v = p.verify("dev", None).await.unwrap();
    assert_ne!(v.gitops_commit, first);
    for (_, verdict) in verdicts(&v) {
        assert_eq!(
            verdict,
            Verdict::NotDeployed {
                runs: Some(first.to_string())
            }
        );
    }
    assert!(!v.has_drift());
}

#[tokio::test]
async fn verify_without_a_chart_registry_compares_values_only() {
    let w = World::new();
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();
    p.deploy("dev").await.unwrap();
    w.orchestrator
        .drift("dev-us-1", "Replicas", serde_json::json!(4));
    let v = p.verify("dev", None).await.unwrap();
    assert_eq!(
        verdicts(&v),
        vec![
            ("dev-eu-1", Verdict::Ok),
            (
                "dev-us-1",
                Verdict::Drift {
                    keys: vec!["Replicas".into()],
                    resources: vec![],
                    chart: None,
                }
            ),
        ]
    );
}

#[tokio::test]
async fn verify_reports_a_hand_edited_head_as_gitops_drift() {
    let w = World::new();
    let gitops = HandEdited {
        inner: w.gitops.clone(),
        manual: Arc::default(),
    };
    let p = Pipeline::new(w.ports_with(Arc::new(gitops.clone())), Settings::default());
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    p.merge("dev").await.unwrap();
    let deployed = p.deploy("dev").await.unwrap().gitops_commit;
    let files = w.files("dev").await;
    let provenance = w.gitops.history("dev", 1).await.unwrap()[0]
        .provenance
        .clone()
        .unwrap();
    let mut edited = files.clone();
    edited
        .insert("shop/dev-us-1/manifests.yaml", "kind: Secret\n")
        .unwrap();
    let message = provenance.commit_message("looks legit", "");
    *gitops.manual.lock().unwrap() = Some((
        "dev".into(),
        GitOpsCommit {
            id: CommitId::from("handmade"),
            provenance: Provenance::from_message(&message),
            message,
            tree: "handmade".into(),
        },
        edited,
    ));

    let v = p.verify("dev", None).await.unwrap();
    assert_eq!(v.gitops.as_deref(), Some("shop/dev-us-1/manifests.yaml"));
    assert!(v.has_drift());
    assert_eq!(
        verdicts(&v)[0].1,
        Verdict::NotDeployed {
            runs: Some(deployed.to_string())
        },
        "what runs is the release before the hand edit"
    );

    // A commit with no provenance at all: compared with what the newest commit wo made
    // renders.
    let mut by_hand = files.clone();
    by_hand
        .insert("shop/dev-eu-1/values.yaml", "Replicas: 9\n")
        .unwrap();
    *gitops.manual.lock().unwrap() = Some((
        "dev".into(),
        GitOpsCommit {
            id: CommitId::from("manual"),
            provenance: None,
            message: "by hand\n".into(),
            tree: "handmade".into(),
        },
        by_hand,
    ));
    let v = p.verify("dev", Some("dev-eu-1")).await.unwrap();
    assert_eq!(v.gitops.as_deref(), Some("shop/dev-eu-1/values.yaml"));
    assert_eq!(v.gitops_commit, CommitId::from("manual"));
    assert_eq!(
        verdicts(&v),
        vec![(
            "dev-eu-1",
            Verdict::NotDeployed {
                runs: Some(deployed.to_string())
            }
        )]
    );
    assert!(v.has_drift());

    // Nothing by wo on the branch at all: nothing says what it was rendered from.
    let bare = InMemoryGitOpsRepo::new();
    let only_manual = HandEdited {
        inner: bare,
        manual: Arc::new(Mutex::new(Some((
            "dev".into(),
            GitOpsCommit {
                id: CommitId::from("manual"),
                provenance: None,
                message: "by hand\n".into(),
                tree: "handmade".into(),
            },
            files,
        )))),
    };
    let p = Pipeline::new(w.ports_with(Arc::new(only_manual)), Settings::default());
    let err = p.verify("dev", None).await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Any merge button: a change request merged as a merge commit, a squash or a rebase

const METHODS: [MergeMethod; 4] = [
    MergeMethod::FastForward,
    MergeMethod::Merge,
    MergeMethod::Squash,
    MergeMethod::Rebase,
];

/// Pushes `main` and merges the dev change request with `method`, as a git host's button.
async fn pushed_and_merged(w: &World, method: MergeMethod) -> CommitId {
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    let cr = w
        .gitops
        .change_request("shop", "dev")
        .await
        .unwrap()
        .unwrap();
    let head = w.gitops.merge_with(&cr, method).await.unwrap();
    assert_eq!(w.head("dev").await, Some(head.clone()));
    head
}

#[tokio::test]
async fn a_change_request_merged_by_any_button_deploys_promotes_and_rolls_back() {
    for method in METHODS {
        let w = World::new();
        let p = w.pipeline();
        let head = pushed_and_merged(&w, method).await;
        let listed = &w.gitops.history("dev", 1).await.unwrap()[0];
        assert_eq!(
            listed.provenance.is_none(),
            matches!(method, MergeMethod::Merge | MergeMethod::Squash),
            "{method}: a merge or squash commit carries no trailers"
        );

        let out = p
            .run(&Event::ChangeMerged {
                environment: "dev".into(),
            })
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let StepOutcome::Deployed(d) = &out[0] else {
            panic!("{method}: {out:?}")
        };
        assert_eq!(d.gitops_commit, head, "{method}");
        assert_eq!(d.provenance.source_commit, w.c1, "{method}");
        assert!(d.provenance.promotable, "{method}");
        assert_eq!(
            prepared(&out),
            [("stage", "opened")],
            "{method}: promoted to stage"
        );
        assert_eq!(
            w.state(&w.c1, "wo/dev").await,
            Some(CommitState::Success),
            "{method}"
        );

        // status names the release; a config change re-renders the released source commit.
        let status = p.status().await.unwrap();
        assert_eq!(
            status[0].provenance.as_ref().map(|p| &p.source_commit),
            Some(&w.c1),
            "{method}"
        );
        w.app_config.commit(
            "dev",
            tree(&[("values.yaml", &values("  LogLevel: warn\n"))]),
        );
        let out = p
            .run(&Event::ConfigMerged {
                environment: "dev".into(),
            })
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let StepOutcome::Prepared(again) = &out[0] else {
            panic!("{method}: {out:?}")
        };
        assert_eq!(again.provenance.source_commit, w.c1, "{method}");
        let cr = again.change_request().unwrap().clone();
        w.gitops.merge_with(&cr, method).await.unwrap();
        p.deploy("dev").await.unwrap();

        // History shows the release merged by the button; it is a rollback target.
        let history = p.history("dev", 10).await.unwrap();
        let listed = history.iter().find(|e| e.gitops_commit == head).unwrap();
        assert_eq!(
            listed.provenance.as_ref().map(|p| &p.source_commit),
            Some(&w.c1),
            "{method}"
        );
        let back = p
            .rollback("dev", &head)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        assert_eq!(back.provenance.rollback_of.as_ref(), Some(&head));
        assert_eq!(back.provenance.source_commit, w.c1);
    }
}

#[tokio::test]
async fn deploy_refuses_a_merge_that_differs_from_its_change_request_or_an_edit_on_top() {
    let w = World::new();
    let p = w.pipeline();
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    let cr = w
        .gitops
        .change_request("shop", "dev")
        .await
        .unwrap()
        .unwrap();
    let proposed = w.gitops.tree(&cr.head).unwrap();

    // A merge commit of wo's change request whose tree was edited in the merge.
    let mut edited = proposed.clone();
    edited
        .insert("shop/dev-eu-1/values.yaml", "Replicas: 9\n")
        .unwrap();
    let tampered = w
        .gitops
        .merge_commit("dev", &cr.head, edited.clone(), "Merge pull request #1\n")
        .unwrap();
    let err = p.deploy("dev").await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    assert_eq!(
        err.diagnostics()[0].location.file,
        "gitops/dev/shop/dev-eu-1/values.yaml",
        "{err}"
    );
    assert!(
        err.to_string().contains(tampered.short()) && err.to_string().contains(cr.head.short()),
        "names the merge and the change request's commit: {err}"
    );
    assert!(w
        .orchestrator
        .deployed("shop", "dev-eu-1")
        .await
        .unwrap()
        .is_none());

    // An exact merge deploys; a commit on top of it (even with the same files) does not.
    let w = World::new();
    let p = w.pipeline();
    pushed_and_merged(&w, MergeMethod::Merge).await;
    let files = w.gitops.tree(&w.head("dev").await.unwrap()).unwrap();
    w.gitops.commit("dev", files.clone(), "tidy up\n");
    let err = p.deploy("dev").await.unwrap_err();
    assert!(
        err.is_invalid_input() && err.to_string().contains("no wo provenance"),
        "{err}"
    );
    let mut edited = files;
    edited
        .insert("shop/dev-eu-1/values.yaml", "Replicas: 9\n")
        .unwrap();
    w.gitops.commit("dev", edited, "bump replicas\n");
    assert!(p.deploy("dev").await.unwrap_err().is_invalid_input());
    assert!(w
        .orchestrator
        .deployed("shop", "dev-eu-1")
        .await
        .unwrap()
        .is_none());
}

// ---------------------------------------------------------------------------------------------
// Only main promotes

#[tokio::test]
async fn a_commit_that_is_not_on_main_is_never_promoted_whatever_the_event_says() {
    let w = World::new();
    let p = w.pipeline();
    let feature = w.source.commit("feature", source_tree("hallo"));
    // The event claims a push to main (a forged `workflow_dispatch` input): the repository
    // says otherwise.
    for commit in [feature.to_string(), "feature".to_string()] {
        let err = p
            .run(&Event::SourcePushed {
                commit: commit.clone(),
            })
            .await
            .unwrap_err();
        assert!(err.is_invalid_input(), "{err}");
        let text = err.to_string();
        assert!(
            text.contains(feature.short())
                && text.contains("not on `main`")
                && text.contains("--promotable false"),
            "{text}"
        );
    }
    assert!(w.gitops.change_requests().is_empty(), "nothing proposed");

    // Rendered without promotion, it reaches dev and stops there.
    let out = p
        .prepare_pr("dev", &SourceChoice::Commit("feature".into()), false)
        .await
        .unwrap();
    assert!(!out.provenance.promotable);
    assert!(out
        .change_request()
        .unwrap()
        .title
        .contains("not promotable"));
    p.merge("dev").await.unwrap();
    let d = p.deploy("dev").await.unwrap();
    assert!(d.report.all_succeeded() && d.next.is_empty());

    // Once merged into main (main moved past it), the same commit promotes.
    w.source.set_ref("main", &feature).unwrap();
    w.source.commit("main", source_tree("hallo welt"));
    let out = p
        .prepare_pr("dev", &SourceChoice::Commit(feature.to_string()), true)
        .await
        .unwrap();
    assert!(out.provenance.promotable);

    // The main branch is a setting.
    let trunk = Pipeline::new(
        w.ports_with(Arc::new(w.gitops.clone())),
        Settings {
            source_branch: "trunk".into(),
            ..Settings::default()
        },
    );
    w.source.set_ref("trunk", &w.c1).unwrap();
    let err = trunk
        .prepare_pr("dev", &SourceChoice::Commit(feature.to_string()), true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not on `trunk`"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A source commit carries its identity into the values

fn source_with_image(greeting: &str) -> FileTree {
    let mut t = source_tree(greeting);
    t.insert(
        "wo/app.yaml",
        "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\n\
         configTemplate: wo/config-template.yaml\nnamespace: shop-ns\n",
    )
    .unwrap();
    t.insert(
        "wo/config-template.yaml",
        "configs:\n  replicas: ${{ $val(Replicas) }}\n  \
         image: \"registry.example.com/shop:${{ $source(shortSha) }}\"\n  \
         release: ${{ $if($empty($source(tag)), $source(sha), $source(tag)) }}\n",
    )
    .unwrap();
    t
}

fn dev_values(files: &FileTree) -> String {
    files
        .text("shop/dev-eu-1/values.yaml")
        .unwrap()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_values_name_the_source_commit_and_its_tag() {
    let w = World::new();
    let p = w.pipeline();
    let c2 = w.source.commit("main", source_with_image("hello"));
    let out = p
        .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
        .await
        .unwrap();
    assert_eq!(out.provenance.source_tag, None);
    p.merge("dev").await.unwrap();
    let first = dev_values(&w.files("dev").await);
    assert!(
        first.contains(&format!(
            "image: registry.example.com/shop:{}\n",
            &c2.as_str()[..12]
        )),
        "{first}"
    );
    assert!(first.contains(&format!("release: {c2}\n")), "{first}");

    // Another commit, tagged twice: its own short sha, and the greater version.
    let c3 = w.source.commit("main", source_with_image("hallo"));
    w.source.tag("v1.9.0", &c3).unwrap();
    w.source.tag("v1.10.0", &c3).unwrap();
    let out = p
        .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
        .await
        .unwrap();
    assert_eq!(out.provenance.source_tag.as_deref(), Some("v1.10.0"));
    p.merge("dev").await.unwrap();
    let files = w.files("dev").await;
    let second = dev_values(&files);
    assert!(
        second.contains(&format!(
            "image: registry.example.com/shop:{}\n",
            &c3.as_str()[..12]
        )),
        "{second}"
    );
    assert!(second.contains("release: v1.10.0\n"), "{second}");
    let listed = &w.gitops.history("dev", 1).await.unwrap()[0];
    assert!(
        listed.message.contains("Wo-Source-Tag: v1.10.0\n"),
        "{}",
        listed.message
    );
    assert!(files
        .text("shop/release.yaml")
        .unwrap()
        .unwrap()
        .contains("sourceTag: v1.10.0\n"));

    // The tag moves on: what was released still reproduces byte for byte and deploys.
    w.source.tag("v1.10.0", &c2).unwrap();
    w.source.tag("v1.9.0", &c2).unwrap();
    let provenance = out.provenance.clone();
    assert_eq!(p.reproduce(&provenance).await.unwrap(), files);
    assert!(p.deploy("dev").await.unwrap().report.all_succeeded());
}

#[test]
fn resolved_values_from_the_source_commit_say_so() {
    use wo_core::engine::{resolve, Bundle, SourceCommit};
    let bundle = Bundle::load(&source_with_image("hello"), "source")
        .unwrap()
        .at_commit(SourceCommit::new(
            CommitId::from("3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345"),
            &["v2.0.0".to_string()],
        ));
    let fleet = Fleet::parse(&fleet_of("dev"), "fleet.yaml").unwrap();
    let r = resolve(&bundle, &Default::default(), &fleet, "dev-eu-1").unwrap();
    assert_eq!(r.values["image"], "registry.example.com/shop:3f2a9c1b7d4e");
    assert_eq!(r.values["release"], "v2.0.0");
    let p = &r.provenance["image"];
    assert_eq!(
        p.level.as_deref(),
        Some("source commit 3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345")
    );
    assert_eq!(
        p.expression.as_deref(),
        Some("registry.example.com/shop:${{ $source(shortSha) }}")
    );

    // Only a bundle that calls `$source` has its tags read.
    assert!(bundle.uses_source());
    assert!(!Bundle::load(&source_tree("hello"), "source")
        .unwrap()
        .uses_source());

    // Read from a directory, there is no source commit: the error says so and where.
    let plain = Bundle::load(&source_with_image("hello"), "source").unwrap();
    let err = resolve(&plain, &Default::default(), &fleet, "dev-eu-1").unwrap_err();
    assert!(
        err.to_string().contains("$source(shortSha)")
            && err.to_string().contains("source/wo/config-template.yaml"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Rollouts

/// The prod fleet with `prod-eu-1` as the canary and a rollout of two waves.
fn prod_fleet_with_rollout(extra: &str) -> String {
    let f = fleet(
        "prod",
        None,
        &[
            ("prod-eu-1", "eu", "berlin"),
            ("prod-eu-2", "eu", "paris"),
            ("prod-us-1", "us", "chicago"),
        ],
    );
    let f = f.replacen(
        "labels: {tier: edge}",
        "labels: {tier: edge, ring: canary}",
        1,
    );
    format!("{f}rollout:\n  waves:\n    - {{name: canary, selector: {{ring: canary}}}}\n    - {{name: rest}}\n  bake: 15m\n{extra}")
}

/// Promotes `main` to dev and stage and merges prod's change request (not deployed).
async fn up_to_prod(w: &World, p: &Pipeline) {
    p.run(&Event::SourcePushed {
        commit: "main".into(),
    })
    .await
    .unwrap();
    for env in ["dev", "stage"] {
        p.merge(env).await.unwrap();
        p.run(&Event::ChangeMerged {
            environment: env.into(),
        })
        .await
        .unwrap();
    }
    p.merge("prod").await.unwrap();
    assert!(w.head("prod").await.is_some());
}

struct Clock(std::sync::atomic::AtomicI64);

impl Clock {
    fn at(&self, t: i64) {
        self.0.store(t, std::sync::atomic::Ordering::SeqCst);
    }
    fn read(&self) -> wo_core::rollout::Timestamp {
        wo_core::rollout::Timestamp(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[tokio::test]
async fn a_rollout_walks_canary_then_rest_and_each_run_continues_from_the_statuses() {
    use wo_core::rollout::{Decision, Timestamp, WaitReason};
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();

    // A fleet with a rollout is never deployed to every target at once.
    let err = w.pipeline().deploy("prod").await.unwrap_err();
    assert!(err.to_string().contains("declares a rollout"), "{err}");
    assert_eq!(w.orchestrator.total_installs(), 5, "dev and stage only");

    let first = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    let v = first.gitops_commit.to_string();
    assert_eq!(first.batches.len(), 1);
    assert_eq!(first.batches[0].0, "canary");
    assert_eq!(
        first.decision,
        Decision::WaitUntil {
            until: Timestamp(t0 + 900),
            reason: WaitReason::Bake {
                wave: "canary".into()
            }
        }
    );
    assert!(first.next.is_empty());
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-1", &v), 1);
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 0);
    assert_eq!(w.state(&w.c1, "wo/prod").await, Some(CommitState::Pending));
    assert_eq!(
        w.state(&w.c1, "wo/prod/wave/canary").await,
        Some(CommitState::Pending)
    );

    // A later run during the bake (a fresh pipeline: nothing carried over) installs nothing.
    clock.at(t0 + 300);
    let again = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert!(again.batches.is_empty());
    assert_eq!(again.decision, first.decision);

    clock.at(t0 + 900);
    let rest = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(rest.batches.len(), 1);
    assert_eq!(rest.batches[0].0, "rest");
    assert_eq!(rest.batches[0].1.results.len(), 2);
    assert!(matches!(
        rest.decision,
        Decision::WaitUntil {
            reason: WaitReason::Bake { .. },
            ..
        }
    ));
    assert_eq!(
        w.state(&w.c1, "wo/prod/wave/canary").await,
        Some(CommitState::Success)
    );

    clock.at(t0 + 1800);
    let done = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(done.decision, Decision::Done);
    assert!(done.batches.is_empty());
    assert_eq!(w.state(&w.c1, "wo/prod").await, Some(CommitState::Success));
    for t in targets_of("prod") {
        assert_eq!(w.orchestrator.installs("shop", &t, &v), 1, "{t}");
        assert_eq!(
            w.state(&w.c1, &format!("wo/prod/{t}")).await,
            Some(CommitState::Success)
        );
    }
    // `wo status` shows targets, not the rollout's own statuses.
    let status = w.pipeline().status().await.unwrap();
    assert_eq!(
        status[2].targets.keys().collect::<Vec<_>>(),
        ["prod-eu-1", "prod-eu-2", "prod-us-1"]
    );
}

#[tokio::test]
async fn status_shows_a_rollout_mid_way_and_the_change_request_keeps_one_report() {
    use wo_core::rollout::{TableFormat, Timestamp, WavePhase};
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[(
            "fleet.yaml",
            &prod_fleet_with_rollout("  approval: [rest]\n"),
        )]),
    );
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();

    // Before any run: every wave pending, the canary next.
    let status = w.pipeline().status_at(Timestamp(t0)).await.unwrap();
    assert!(status[0].rollout.is_none() && status[1].rollout.is_none());
    let view = status[2].rollout.as_ref().expect("prod rolls out");
    assert_eq!(view.waves[0].phase, WavePhase::Ready);
    assert_eq!((view.waves[1].total, view.waves[1].waiting), (2, 2));

    let first = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert_eq!(first.view.waves[0].done, 1);

    // Mid-way: read back from the statuses alone, by a fresh pipeline 5 minutes later.
    let status = w.pipeline().status_at(Timestamp(t0 + 300)).await.unwrap();
    let view = status[2].rollout.as_ref().unwrap();
    let counts: Vec<(&str, usize, usize, usize, usize)> = view
        .waves
        .iter()
        .map(|w| (w.name.as_str(), w.total, w.done, w.failed, w.waiting))
        .collect();
    assert_eq!(counts, [("canary", 1, 1, 0, 0), ("rest", 2, 0, 0, 2)]);
    assert_eq!(
        view.waves[0].phase,
        WavePhase::Baking {
            until: Timestamp(t0 + 900),
            seconds_left: 600
        }
    );
    let text = view.render(TableFormat::Text);
    assert!(text.contains("(10m left)"), "{text}");
    assert!(text.contains("pending, needs approval"), "{text}");
    assert!(status[2].rollout_unreadable.is_none());
    let json = serde_json::to_value(&status[2]).unwrap();
    assert_eq!(json["rollout"]["waves"][0]["phase"], "baking");
    assert_eq!(json["rollout"]["waves"][0]["secondsLeft"], 600);
    assert!(serde_json::to_value(&status[1])
        .unwrap()
        .get("rollout")
        .is_none());

    // After the bake the rest waits for its approval, and says how to give it.
    let status = w.pipeline().status_at(Timestamp(t0 + 900)).await.unwrap();
    let view = status[2].rollout.as_ref().unwrap();
    assert_eq!(view.waves[0].phase, WavePhase::Baked);
    assert_eq!(view.waves[1].phase, WavePhase::WaitingForApproval);
    assert!(view.summary.contains("wo approve --env prod --wave rest"));

    // The change request merged into prod got one report, replaced by the next run.
    let cr = w
        .gitops
        .change_requests()
        .into_iter()
        .find(|c| c.environment == "prod")
        .unwrap();
    let (body, writes) = w.gitops.rollout_report(&cr.id).unwrap();
    assert_eq!(writes, 1);
    assert!(
        body.starts_with("<!-- wo:rollout:prod -->\n### Rollout of "),
        "{body}"
    );
    assert!(
        body.contains("| canary | 1 | 1 | 0 | 0 | baking until "),
        "{body}"
    );
    clock.at(t0 + 900);
    let second = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    let (body, writes) = w.gitops.rollout_report(&cr.id).unwrap();
    assert_eq!(writes, 2);
    assert!(
        body.contains("| canary | 1 | 1 | 0 | 0 | baked |"),
        "{body}"
    );
    assert!(
        body.contains("| rest | 2 | 0 | 0 | 2 | waiting for approval |"),
        "{body}"
    );
    assert_eq!(second.view.waves[1].phase, WavePhase::WaitingForApproval);
    for c in w.gitops.change_requests().iter().filter(|c| c.id != cr.id) {
        assert!(
            w.gitops.rollout_report(&c.id).is_none(),
            "{}",
            c.environment
        );
    }
}

#[tokio::test]
async fn a_failing_canary_halts_the_rollout_before_the_rest_gets_the_release() {
    use wo_core::rollout::Decision;
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[(
            "fleet.yaml",
            &prod_fleet_with_rollout("  autoRollback: true\n"),
        )]),
    );
    w.orchestrator
        .fail_target("prod-eu-1", "cluster unreachable");
    up_to_prod(&w, &w.pipeline()).await;
    let clock = Clock(std::sync::atomic::AtomicI64::new(1_800_000_000));
    let now = || clock.read();
    let out = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    let Decision::Halt {
        wave,
        reason,
        rollback,
    } = &out.decision
    else {
        panic!("{:?}", out.decision)
    };
    assert_eq!(wave, "canary");
    assert!(
        reason.contains("prod-eu-1 failed (cluster unreachable)"),
        "{reason}"
    );
    assert!(
        rollback.is_empty(),
        "the failed canary kept the old release"
    );
    assert!(out.halted());
    assert!(matches!(&out.next[..], [Action::Halt { environment, .. }] if environment == "prod"));
    let v = out.gitops_commit.to_string();
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 0);
    assert_eq!(w.orchestrator.installs("shop", "prod-us-1", &v), 0);
    assert_eq!(w.state(&w.c1, "wo/prod").await, Some(CommitState::Failure));
    assert_eq!(
        w.state(&w.c1, "wo/prod/wave/canary").await,
        Some(CommitState::Failure)
    );

    // Halted stays halted: the target heals, a later run still installs nothing.
    w.orchestrator.heal_target("prod-eu-1");
    let again = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert!(again.halted() && again.batches.is_empty());
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 0);

    // A fleet without a rollout is refused by name.
    w.platform_config
        .commit("stage", tree(&[("fleet.yaml", &fleet_of("stage"))]));
    let err = w
        .pipeline()
        .deploy_rollout("stage", &now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has no `rollout:`"), "{err}");
}

/// Counts the writes of one process (statuses, installs) and dies before write `n` and every
/// write after it: a run killed at an exact point.
#[derive(Clone, Default)]
struct Death(Arc<Mutex<(usize, Option<usize>)>>);

impl Death {
    fn arm(&self, n: usize) {
        *self.0.lock().unwrap() = (0, Some(n));
    }
    fn off(&self) {
        *self.0.lock().unwrap() = (0, None);
    }
    fn writes(&self) -> usize {
        self.0.lock().unwrap().0
    }
    fn before_write(&self) -> Result<()> {
        let mut s = self.0.lock().unwrap();
        s.0 += 1;
        match s.1 {
            Some(n) if s.0 >= n => Err(Error::backend("killed", "the process died")),
            _ => Ok(()),
        }
    }
}

struct DyingSource(InMemorySourceRepo, Death);

#[async_trait]
impl SourceRepo for DyingSource {
    async fn resolve(&self, rev: &str) -> Result<CommitId> {
        self.0.resolve(rev).await
    }
    async fn read_tree(&self, commit: &CommitId, dirs: &[String]) -> Result<FileTree> {
        self.0.read_tree(commit, dirs).await
    }
    async fn set_status(
        &self,
        commit: &CommitId,
        status: wo_core::ports::CommitStatus,
    ) -> Result<()> {
        self.1.before_write()?;
        self.0.set_status(commit, status).await
    }
    async fn statuses(&self, commit: &CommitId) -> Result<Vec<wo_core::ports::CommitStatus>> {
        self.0.statuses(commit).await
    }
    async fn on_branch(&self, commit: &CommitId, branch: &str) -> Result<bool> {
        self.0.on_branch(commit, branch).await
    }
    async fn tags_of(&self, commit: &CommitId) -> Result<Vec<String>> {
        self.0.tags_of(commit).await
    }
}

struct DyingOrchestrator(InMemoryOrchestrator, Death);

#[async_trait]
impl Orchestrator for DyingOrchestrator {
    async fn deploy(
        &self,
        release: &wo_core::ports::Release,
    ) -> Result<wo_core::ports::DeploymentReport> {
        self.1.before_write()?;
        self.0.deploy(release).await
    }
    async fn deploy_to(
        &self,
        release: &wo_core::ports::Release,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<wo_core::ports::DeploymentReport> {
        self.1.before_write()?;
        self.0.deploy_to(release, targets).await
    }
    async fn deployed(&self, solution: &str, target: &str) -> Result<Option<String>> {
        self.0.deployed(solution, target).await
    }
}

/// `wo deploy` of a 3-wave rollout of 200 targets, killed before one of its writes (an
/// install or a status; every third, the first and the last), and the rerun killed again a few
/// writes in: reruns converge, with one install per target.
#[tokio::test]
async fn a_rollout_killed_at_any_write_converges_with_one_install_per_target() {
    use wo_core::rollout::Decision;
    // The app config has values for `prod-us-1`: it is one of the 200.
    let names: Vec<String> = (0..199)
        .map(|i| format!("prod-{i:03}"))
        .chain(["prod-us-1".to_string()])
        .collect();
    let edge: Vec<(&str, &str, &str)> =
        names.iter().map(|t| (t.as_str(), "eu", "berlin")).collect();
    let mut prod = fleet("prod", None, &edge);
    for i in 0..4 {
        prod = prod.replacen(
            &format!("name: prod-{:03}\n    hierarchy: {{region: eu, site: berlin}}\n    labels: {{tier: edge}}", i * 50),
            &format!("name: prod-{:03}\n    hierarchy: {{region: eu, site: berlin}}\n    labels: {{tier: edge, ring: canary}}", i * 50),
            1,
        );
    }
    prod.push_str(
        "rollout:\n  waves:\n    - {name: canary, selector: {ring: canary}}\n    - {name: early, percent: 20}\n    - {name: rest}\n  maxInFlight: 25\n  bake: 10m\n",
    );

    // One undisturbed run first, to count the writes of a whole rollout.
    let mut total_writes = 0;
    let mut kill_points = vec![None];
    let mut k = 0;
    while k < kill_points.len() {
        let kill = kill_points[k];
        k += 1;
        let w = World::new();
        w.platform_config
            .commit("prod", tree(&[("fleet.yaml", &prod)]));
        up_to_prod(&w, &w.pipeline()).await;
        let death = Death::default();
        let mut ports = w.ports_with(Arc::new(w.gitops.clone()));
        ports.source = Arc::new(DyingSource(w.source.clone(), death.clone()));
        ports.orchestrator = Arc::new(DyingOrchestrator(w.orchestrator.clone(), death.clone()));
        let clock = Clock(std::sync::atomic::AtomicI64::new(1_800_000_000));
        let now = || clock.read();

        let mut deaths = 0;
        let mut runs = 0;
        if let Some(n) = kill {
            death.arm(n);
        }
        let version = loop {
            runs += 1;
            assert!(runs < 100, "no convergence (kill {kill:?})");
            // A new process each run: nothing carries over but the repositories.
            let p = Pipeline::new(ports.clone(), Settings::default());
            match p.deploy_rollout("prod", &now).await {
                Err(e) => {
                    assert!(e.to_string().contains("the process died"), "{e}");
                    deaths += 1;
                    // The rerun is killed once more, a few writes in.
                    if deaths == 1 {
                        death.arm(kill.unwrap_or(0) % 5 + 2);
                    } else {
                        death.off();
                    }
                }
                Ok(out) => {
                    if kill.is_none() {
                        total_writes = death.writes();
                    }
                    match out.decision {
                        Decision::Done => break out.gitops_commit.to_string(),
                        Decision::WaitUntil { until, .. } => clock.at(until.0),
                        other => panic!("{other:?}"),
                    }
                }
            }
        };
        if kill.is_none() {
            eprintln!("an undisturbed rollout of 200 targets: {runs} runs, {total_writes} writes");
            assert!(total_writes > 20, "{total_writes} writes");
            // Every third write (each run re-renders 200 targets to check the release, so
            // every write would take long), the first and the last.
            kill_points.extend(
                (1..=total_writes)
                    .filter(|n| n % 3 == 1 || *n == total_writes)
                    .map(Some),
            );
        } else {
            assert!(deaths >= 1, "kill {kill:?} never happened");
        }
        for t in &names {
            assert_eq!(
                w.orchestrator.installs("shop", t, &version),
                1,
                "{t} (kill {kill:?})"
            );
        }
        assert_eq!(
            w.state(&w.c1, "wo/prod").await,
            Some(CommitState::Success),
            "kill {kill:?}"
        );
    }
    assert!(kill_points.len() > 8, "{kill_points:?}");
}

#[tokio::test]
async fn a_wave_waits_for_its_approval_and_the_approval_names_who_and_when() {
    use wo_core::rollout::{Decision, Timestamp};
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[(
            "fleet.yaml",
            &prod_fleet_with_rollout("  approval: [rest]\n"),
        )]),
    );
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();
    w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    clock.at(t0 + 900);
    let waiting = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(
        waiting.decision,
        Decision::WaitForApproval {
            wave: "rest".into()
        }
    );
    assert!(waiting.batches.is_empty());
    let env = w
        .source
        .statuses(&w.c1)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.context == "wo/prod")
        .unwrap();
    assert_eq!(env.state, CommitState::Pending);
    assert!(
        env.description.ends_with("wave rest waits for approval"),
        "{}",
        env.description
    );

    let p = w.pipeline();
    let err = p
        .approve("prod", "rst", "alice", Timestamp(t0 + 1000))
        .await
        .unwrap_err();
    assert_eq!(
        err.diagnostics()[0].hint.as_deref(),
        Some("did you mean `rest`?"),
        "{err}"
    );
    assert!(p
        .approve("prod", "rest", "alice smith", Timestamp(t0 + 1000))
        .await
        .is_err());
    let approval = p
        .approve("prod", "rest", "alice", Timestamp(t0 + 1000))
        .await
        .unwrap();
    assert_eq!(approval.by, "alice");
    let status = w
        .source
        .statuses(&w.c1)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.context == "wo/prod/approval/rest")
        .unwrap();
    assert_eq!(
        status.description,
        format!(
            "{} approved by alice at 2027-01-15T08:16:40Z",
            &waiting.gitops_commit.as_str()[..7]
        )
    );

    clock.at(t0 + 1000);
    let rest = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(rest.batches.len(), 1);
    assert_eq!(rest.batches[0].0, "rest");
    assert_eq!(rest.state.approvals["rest"].by, "alice");
}

#[tokio::test]
async fn run_deploys_a_fleet_with_a_rollout_wave_by_wave_and_waiting_is_no_failure() {
    use wo_core::pipeline::StepOutcome;
    use wo_core::rollout::Decision;
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();
    let merged = Event::ChangeMerged {
        environment: "prod".into(),
    };
    let steps = w.pipeline().run_at(&merged, &now).await.unwrap();
    let [StepOutcome::RolledOut(r)] = &steps[..] else {
        panic!("{steps:?}")
    };
    assert!(!steps[0].is_failure(), "waiting for a bake is no failure");
    assert!(
        r.waiting_for()
            .unwrap()
            .contains("wave `canary` bakes until"),
        "{:?}",
        r.waiting_for()
    );
    let v = r.gitops_commit.to_string();
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 0);

    // The same event later (a scheduled run) continues; after the last bake it is done.
    clock.at(t0 + 900);
    w.pipeline().run_at(&merged, &now).await.unwrap();
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 1);
    clock.at(t0 + 1800);
    let steps = w.pipeline().run_at(&merged, &now).await.unwrap();
    let StepOutcome::RolledOut(r) = &steps[0] else {
        panic!("{steps:?}")
    };
    assert_eq!(r.decision, Decision::Done);
    assert!(r.waiting_for().is_none() && !steps[0].is_failure());
    assert_eq!(w.state(&w.c1, "wo/prod").await, Some(CommitState::Success));
}

#[tokio::test]
async fn run_reports_a_halted_rollout_as_a_failure() {
    use wo_core::pipeline::StepOutcome;
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    w.orchestrator
        .fail_target("prod-eu-1", "cluster unreachable");
    up_to_prod(&w, &w.pipeline()).await;
    let clock = Clock(std::sync::atomic::AtomicI64::new(1_800_000_000));
    let now = || clock.read();
    let steps = w
        .pipeline()
        .run_at(
            &Event::ChangeMerged {
                environment: "prod".into(),
            },
            &now,
        )
        .await
        .unwrap();
    assert!(matches!(&steps[0], StepOutcome::RolledOut(r) if r.halted()));
    assert!(steps[0].is_failure());
    assert!(
        matches!(steps.last(), Some(StepOutcome::Halted { environment, .. }) if environment == "prod"),
        "{steps:?}"
    );
}

#[tokio::test]
async fn a_canary_that_turns_unhealthy_during_its_bake_halts_the_rollout() {
    use wo_core::rollout::Decision;
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();
    let first = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert!(matches!(first.decision, Decision::WaitUntil { .. }));
    let v = first.gitops_commit.to_string();

    // Healthy during the bake: nothing changes.
    clock.at(t0 + 300);
    let healthy = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(healthy.decision, first.decision);

    // It turns unhealthy before the bake ends: counted against the canary's budget of 0.
    w.orchestrator
        .make_unhealthy("prod-eu-1", "CrashLoopBackOff");
    clock.at(t0 + 600);
    let out = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    let Decision::Halt { wave, reason, .. } = &out.decision else {
        panic!("{:?}", out.decision)
    };
    assert_eq!(wave, "canary");
    assert!(reason.contains("prod-eu-1"), "{reason}");
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 0);
    assert_eq!(w.state(&w.c1, "wo/prod").await, Some(CommitState::Failure));
    assert_eq!(
        w.state(&w.c1, "wo/prod/prod-eu-1").await,
        Some(CommitState::Failure)
    );
    // Recorded: a later run (the target healed) stays halted.
    w.orchestrator.heal_target("prod-eu-1");
    clock.at(t0 + 2000);
    let again = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert!(again.halted());
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 0);
}

#[tokio::test]
async fn health_after_the_bake_is_not_watched() {
    use wo_core::rollout::Decision;
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();
    w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    // The run that ends the canary's bake finds it healthy: the rest goes on, and the canary
    // is recorded baked.
    clock.at(t0 + 900);
    let rest = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert!(!rest.halted(), "{:?}", rest.decision);
    assert_eq!(rest.batches.len(), 1);
    assert!(matches!(rest.decision, Decision::WaitUntil { .. }));
    assert_eq!(
        w.state(&w.c1, "wo/prod/wave/canary").await,
        Some(CommitState::Success)
    );
    // It turns unhealthy only afterwards: not counted.
    w.orchestrator.make_unhealthy("prod-eu-1", "OOMKilled");
    clock.at(t0 + 1000);
    let later = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert!(!later.halted(), "{:?}", later.decision);
}

#[tokio::test]
async fn a_wave_whose_whole_bake_passed_between_two_runs_is_checked_by_the_run_that_ends_it() {
    use wo_core::rollout::Decision;
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();
    let first = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    let v = first.gitops_commit.to_string();
    // No run during the 15-minute bake (a schedule slower than the bake); the canary is
    // unhealthy when the next run comes: the rest does not get the release.
    w.orchestrator.make_unhealthy("prod-eu-1", "OOMKilled");
    clock.at(t0 + 3600);
    let out = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    let Decision::Halt { wave, reason, .. } = &out.decision else {
        panic!("{:?}", out.decision)
    };
    assert_eq!(wave, "canary");
    assert!(reason.contains("OOMKilled"), "{reason}");
    assert!(out.batches.is_empty());
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &v), 0);
}

#[tokio::test]
async fn auto_rollback_returns_the_halted_wave_to_the_previous_release_with_provenance() {
    use wo_core::ports::Orchestrator;
    use wo_core::rollout::Decision;
    let w = World::new();
    let p = w.pipeline();
    // A first release runs everywhere in prod (no rollout yet).
    up_to_prod(&w, &p).await;
    p.deploy("prod").await.unwrap();
    let good = w.head("prod").await.unwrap();

    w.platform_config.commit(
        "prod",
        tree(&[(
            "fleet.yaml",
            &prod_fleet_with_rollout("  autoRollback: true\n"),
        )]),
    );
    w.source.commit("main", source_tree("bonjour"));
    up_to_prod(&w, &p).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();
    let first = p.deploy_rollout("prod", &now).await.unwrap();
    let bad = first.gitops_commit.to_string();
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-1", &bad), 1);
    w.orchestrator
        .make_unhealthy("prod-eu-1", "CrashLoopBackOff");
    clock.at(t0 + 60);
    let out = p.deploy_rollout("prod", &now).await.unwrap();
    assert!(
        matches!(&out.decision, Decision::Halt { rollback, .. } if rollback == &["prod-eu-1".to_string()]),
        "{:?}",
        out.decision
    );
    let rb = out.rolled_back.as_ref().expect("rolled back");
    assert_eq!(rb.to, good);
    assert!(rb.report.all_succeeded());
    assert_eq!(rb.report.results.len(), 1, "the halted wave's targets only");
    // The canary runs the rollback, whose provenance says so; the rest never got the release.
    assert_eq!(
        w.orchestrator
            .deployed("shop", "prod-eu-1")
            .await
            .unwrap()
            .as_deref(),
        Some(rb.gitops_commit.as_str())
    );
    assert_eq!(w.orchestrator.installs("shop", "prod-eu-2", &bad), 0);
    let history = p.history("prod", 5).await.unwrap();
    assert_eq!(history[0].gitops_commit, rb.gitops_commit);
    assert_eq!(
        history[0].provenance.as_ref().unwrap().rollback_of.as_ref(),
        Some(&good)
    );
}

/// The source tree of `source_tree("hello")` with `extra` appended to `wo/app.yaml`.
fn source_tree_with_app(extra: &str) -> FileTree {
    let base = source_tree("hello");
    let app = format!("{}{extra}", base.text("wo/app.yaml").unwrap().unwrap());
    let mut files: Vec<(String, String)> = base
        .iter()
        .map(|(p, c)| (p.to_string(), String::from_utf8_lossy(c).into_owned()))
        .collect();
    for f in &mut files {
        if f.0 == "wo/app.yaml" {
            f.1 = app.clone();
        }
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    tree(&refs)
}

#[tokio::test]
async fn an_application_may_lengthen_the_bake_of_its_rollout_but_not_shorten_it() {
    use wo_core::rollout::{Decision, Timestamp, WaitReason};
    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    w.source
        .commit("main", source_tree_with_app("rollout:\n  bake: 1h\n"));
    up_to_prod(&w, &w.pipeline()).await;
    let t0 = 1_800_000_000;
    let clock = Clock(std::sync::atomic::AtomicI64::new(t0));
    let now = || clock.read();
    let out = w.pipeline().deploy_rollout("prod", &now).await.unwrap();
    assert_eq!(
        out.decision,
        Decision::WaitUntil {
            until: Timestamp(t0 + 3600),
            reason: WaitReason::Bake {
                wave: "canary".into()
            }
        }
    );

    let w = World::new();
    w.platform_config.commit(
        "prod",
        tree(&[("fleet.yaml", &prod_fleet_with_rollout(""))]),
    );
    w.source
        .commit("main", source_tree_with_app("rollout:\n  bake: 5m\n"));
    up_to_prod(&w, &w.pipeline()).await;
    let err = w
        .pipeline()
        .deploy_rollout("prod", &now)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("wo/app.yaml") && err.contains("rollout.bake") && err.contains(":8"),
        "{err}"
    );
    assert!(err.contains("not shorten"), "{err}");
    assert_eq!(
        w.orchestrator.total_installs(),
        5,
        "nothing installed in prod"
    );
}
