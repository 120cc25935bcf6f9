//! The kill-point suite: every write of prepare-pr, merge, deploy and rollback is a point where
//! the process may die; after a kill at each, running the step again converges to the state an
//! uninterrupted run leaves.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use async_trait::async_trait;

use crate::memory::{InMemoryOrchestrator, InMemoryRenderer};
use crate::pipeline::{Event, Pipeline, Ports, Settings, SourceChoice, StepOutcome};
use crate::ports::{CommitId, ConfigStore, GitOpsRepo, Orchestrator, SourceRepo};

use super::kill::{KillSwitch, Killable};
use super::{tree, Seed};

/// The repositories a [`RecoveryHarness`] seeds, each as [`Seed`] commits in order.
#[derive(Debug, Clone)]
pub struct RecoverySeed {
    /// The source repo: every commit is on `main`, each the child of the one before.
    pub source: Seed,
    /// The app config repo: one commit per environment branch.
    pub app_config: Seed,
    /// The platform config repo: one commit (the fleet) per environment branch.
    pub platform_config: Seed,
}

/// The repositories of one world of the suite.
pub struct RecoveryWorld {
    /// The source repo; its writes (statuses) consult the switch.
    pub source: Arc<dyn SourceRepo>,
    /// The ids of the seeded source commits, in the order of [`RecoverySeed::source`].
    pub source_commits: Vec<CommitId>,
    /// The app config repo (read only in the suite).
    pub app_config: Arc<dyn ConfigStore>,
    /// The platform config repo (read only in the suite).
    pub platform_config: Arc<dyn ConfigStore>,
    /// The gitops repo; its writes consult the switch.
    pub gitops: Arc<dyn GitOpsRepo>,
    /// What the backend stores beyond the ports (mirror branches, records, pull requests), to
    /// compare between runs too.
    pub probe: Option<Arc<dyn StateProbe>>,
}

/// Backend-specific facts about a world's repositories, compared between an uninterrupted run
/// and a killed-then-rerun one.
#[async_trait]
pub trait StateProbe: Send + Sync {
    /// One fact per line. Commit ids the ports show (env heads and their history, open change
    /// requests, seeded commits) are replaced by names before comparing; any other id differs
    /// between worlds, so state relations instead ("the branch is at the record's head").
    async fn facts(&self) -> Vec<String>;
}

/// How [`kill_point_conformance`] gets fresh repositories whose writes it can cut.
#[async_trait]
pub trait RecoveryHarness: Send + Sync {
    /// Fresh source, app config, platform config and gitops repos holding `seed`. Every write
    /// to the source and gitops repos consults `switch` first (switched off while seeding):
    /// through [`Killable`] when one port call is one atomic write (in-memory), through the
    /// backend's own hook at each ref update or request otherwise.
    async fn world(&self, seed: RecoverySeed, switch: KillSwitch) -> RecoveryWorld;
}

/// One kill point the suite went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillPoint {
    /// The step (scenario) name.
    pub step: String,
    /// 1-based number of the write within the step.
    pub number: usize,
    /// The write, as the backend named it to the switch (ids replaced by names).
    pub write: String,
    /// What the rerun did.
    pub rerun: String,
}

impl KillPoint {
    /// The point as a row of the kill-point tables of the repository's `docs/recovery.md`:
    /// `| step | number | `write` | rerun |`.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | `{}` | {} |",
            self.step, self.number, self.write, self.rerun
        )
    }
}

/// The rows of `points`, one per kill point ([`KillPoint::row`]).
pub fn kill_point_rows(points: &[KillPoint]) -> Vec<String> {
    points.iter().map(KillPoint::row).collect()
}

/// The writes of `step`, in order.
pub fn writes_of<'a>(points: &'a [KillPoint], step: &str) -> Vec<&'a str> {
    points
        .iter()
        .filter(|p| p.step == step)
        .map(|p| p.write.as_str())
        .collect()
}

/// Prints `rows` and panics listing every one the document at `doc` does not show verbatim,
/// so that a table in the docs cannot drift from what the tests measured.
///
/// # Panics
/// When `doc` cannot be read or lacks a row.
pub fn assert_rows_documented(rows: &[String], doc: &std::path::Path) {
    println!("{}", rows.join("\n"));
    let text = std::fs::read_to_string(doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
    let missing: Vec<&str> = rows
        .iter()
        .map(String::as_str)
        .filter(|r| !text.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "{} does not show these rows:\n{}",
        doc.display(),
        missing.join("\n")
    );
}

const SOLUTION: &str = "shop";
const ENVS: [&str; 2] = ["dev", "stage"];
const FAILING_TARGET: &str = "dev-us-1";

fn targets(env: &str) -> [String; 2] {
    [format!("{env}-eu-1"), format!("{env}-us-1")]
}

/// What a step of a scenario does.
#[derive(Debug, Clone)]
enum Step {
    /// prepare-pr of `env` for seeded source commit `commit` (index), promotable.
    Prepare { env: &'static str, commit: usize },
    /// The reviewer's merge of `env`.
    Merge { env: &'static str },
    /// The event of a merged change in `env`: deploy, then what the planner says.
    Merged { env: &'static str },
    /// Rollback of `env` to the commit `back` commits behind its head.
    Rollback { env: &'static str, back: usize },
}

struct Scenario {
    name: &'static str,
    setup: Vec<Step>,
    step: Step,
    failing: bool,
}

fn scenarios() -> Vec<Scenario> {
    use Step::*;
    let prepared = || {
        vec![Prepare {
            env: "dev",
            commit: 0,
        }]
    };
    let merged_once = || {
        vec![
            Prepare {
                env: "dev",
                commit: 0,
            },
            Merge { env: "dev" },
            Prepare {
                env: "dev",
                commit: 1,
            },
        ]
    };
    vec![
        Scenario {
            name: "prepare-pr opens",
            setup: vec![],
            step: Prepare {
                env: "dev",
                commit: 0,
            },
            failing: false,
        },
        Scenario {
            name: "prepare-pr updates",
            setup: prepared(),
            step: Prepare {
                env: "dev",
                commit: 1,
            },
            failing: false,
        },
        Scenario {
            name: "prepare-pr closes",
            setup: merged_once(),
            step: Prepare {
                env: "dev",
                commit: 0,
            },
            failing: false,
        },
        Scenario {
            name: "merge",
            setup: prepared(),
            step: Merge { env: "dev" },
            failing: false,
        },
        Scenario {
            name: "merge a second change",
            setup: merged_once(),
            step: Merge { env: "dev" },
            failing: false,
        },
        Scenario {
            name: "deploy and promote",
            setup: vec![
                Prepare {
                    env: "dev",
                    commit: 0,
                },
                Merge { env: "dev" },
            ],
            step: Merged { env: "dev" },
            failing: false,
        },
        Scenario {
            name: "deploy that fails",
            setup: vec![
                Prepare {
                    env: "dev",
                    commit: 0,
                },
                Merge { env: "dev" },
            ],
            step: Merged { env: "dev" },
            failing: true,
        },
        Scenario {
            name: "rollback",
            setup: vec![
                Prepare {
                    env: "dev",
                    commit: 0,
                },
                Merge { env: "dev" },
                Prepare {
                    env: "dev",
                    commit: 1,
                },
                Merge { env: "dev" },
            ],
            step: Rollback {
                env: "dev",
                back: 1,
            },
            failing: false,
        },
    ]
}

/// The seed every world starts from: two source commits on `main`, dev → stage with two
/// targets each.
pub fn recovery_seed() -> RecoverySeed {
    let source = |greeting: &str| {
        let schema = format!(
            "rules:\n  configs:\n    Replicas: {{type: int, defaultValue: 1}}\n    \
             Greeting: {{type: string, defaultValue: {greeting}}}\n"
        );
        tree(&[
            (
                "wo/app.yaml",
                "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\n",
            ),
            ("wo/schema.yaml", &schema),
            (
                "chart/Chart.yaml",
                "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
            ),
            ("chart/templates/cm.yaml", "kind: ConfigMap\n"),
        ])
    };
    let fleet = |env: &str, next: Option<&str>| {
        let mut s = format!("apiVersion: wo/v1\nkind: Fleet\nenvironment: {env}\n");
        if let Some(n) = next {
            let _ = writeln!(s, "next: {n}");
        }
        s.push_str("hierarchy: [region]\ntargets:\n");
        for (t, region) in targets(env).iter().zip(["eu", "us"]) {
            let _ = writeln!(
                s,
                "  - name: {t}\n    hierarchy: {{region: {region}}}\n    orchestrator: {{id: /targets/{t}}}"
            );
        }
        s.push_str("assignments:\n  - solution: shop\n    selector: {}\n");
        s
    };
    let values = |replicas: u32| {
        format!("apiVersion: wo/v1\nkind: Values\nvalues:\n  Replicas: {replicas}\n")
    };
    RecoverySeed {
        source: vec![
            ("main".into(), source("hello")),
            ("main".into(), source("bonjour")),
        ],
        app_config: vec![
            ("dev".into(), tree(&[("values.yaml", &values(1))])),
            ("stage".into(), tree(&[("values.yaml", &values(2))])),
        ],
        platform_config: vec![
            (
                "dev".into(),
                tree(&[("fleet.yaml", &fleet("dev", Some("stage")))]),
            ),
            (
                "stage".into(),
                tree(&[("fleet.yaml", &fleet("stage", None))]),
            ),
        ],
    }
}

/// A world with its pipeline parts: the orchestrator is in memory, its installs cut by the
/// same switch.
struct World {
    repos: RecoveryWorld,
    orchestrator: InMemoryOrchestrator,
    switch: KillSwitch,
}

impl World {
    async fn new(h: &dyn RecoveryHarness, failing: bool) -> Self {
        let switch = KillSwitch::new();
        let repos = h.world(recovery_seed(), switch.clone()).await;
        let orchestrator = InMemoryOrchestrator::new();
        if failing {
            orchestrator.fail_target(FAILING_TARGET, "image pull failed");
        }
        World {
            repos,
            orchestrator,
            switch,
        }
    }

    /// A fresh pipeline: a rerun is a new process that keeps nothing but the repositories.
    fn pipeline(&self) -> Pipeline {
        let orchestrator: Arc<dyn Orchestrator> = Arc::new(self.orchestrator.clone());
        Pipeline::new(
            Ports {
                source: self.repos.source.clone(),
                app_config: self.repos.app_config.clone(),
                platform_config: self.repos.platform_config.clone(),
                gitops: self.repos.gitops.clone(),
                renderer: Arc::new(InMemoryRenderer::new()),
                orchestrator: Arc::new(Killable::new(orchestrator, self.switch.clone())),
                charts: None,
                fleet: None,
                policy: None,
            },
            Settings::default(),
        )
    }

    async fn run(&self, step: &Step) -> crate::Result<String> {
        let p = self.pipeline();
        let commit = |i: usize| SourceChoice::Commit(self.repos.source_commits[i].to_string());
        Ok(match step {
            Step::Prepare { env, commit: i } => {
                let out = p.prepare_pr(env, &commit(*i), true).await?;
                format!("prepare-pr {env}: {}", out.kind())
            }
            Step::Merge { env } => {
                let out = p.merge(env).await?;
                match out.head() {
                    Some(_) => format!("merge {env}: merged"),
                    None => format!("merge {env}: nothing to merge"),
                }
            }
            Step::Merged { env } => {
                let steps = p
                    .run(&Event::ChangeMerged {
                        environment: env.to_string(),
                    })
                    .await?;
                steps
                    .iter()
                    .map(|s| match s {
                        StepOutcome::Prepared(o) => {
                            format!("prepare-pr {}: {}", o.environment, o.kind())
                        }
                        StepOutcome::Deployed(d) => format!(
                            "deploy {}: {}",
                            d.environment,
                            if d.report.all_succeeded() {
                                "succeeded"
                            } else {
                                "failed"
                            }
                        ),
                        StepOutcome::FleetApplied { environment, .. } => {
                            format!("apply-fleet {environment}")
                        }
                        StepOutcome::RolledOut(r) => format!(
                            "rollout {} {}",
                            r.environment,
                            if r.halted() { "halted" } else { "ok" }
                        ),
                        StepOutcome::Skipped { action, .. } => format!("skipped {action}"),
                        StepOutcome::Halted { environment, .. } => format!("halt {environment}"),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            Step::Rollback { env, back } => {
                let history = self.repos.gitops.history(env, back + 1).await?;
                let to = &history
                    .get(*back)
                    .unwrap_or_else(|| panic!("no commit {back} behind the head of {env}"))
                    .id;
                let out = p.rollback(env, to).await?;
                format!("rollback {env}: {}", out.kind())
            }
        })
    }

    /// Commit ids the ports show, with a stable name each.
    async fn names(&self) -> Vec<(String, String)> {
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut add = |id: &CommitId, name: String| {
            names.entry(id.to_string()).or_insert(name);
        };
        for (i, c) in self.repos.source_commits.iter().enumerate() {
            add(c, format!("<source#{}>", i + 1));
        }
        for env in ENVS {
            if let Ok(c) = self.repos.app_config.head(env).await {
                add(&c, format!("<app-config/{env}>"));
            }
            if let Ok(c) = self.repos.platform_config.head(env).await {
                add(&c, format!("<platform-config/{env}>"));
            }
            let history = self.repos.gitops.history(env, 100).await.expect("history");
            let n = history.len();
            for (i, c) in history.iter().enumerate() {
                add(&c.id, format!("<gitops/{env}#{}>", n - i));
            }
            if let Some(cr) = self
                .repos
                .gitops
                .change_request(SOLUTION, env)
                .await
                .expect("change_request")
            {
                add(&cr.head, format!("<change/{env}>"));
            }
        }
        let mut names: Vec<(String, String)> = names.into_iter().collect();
        // Longest first, so that a full id is replaced before any id it contains.
        names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        names
    }

    /// Everything the ports and the probe show, ids replaced by names.
    async fn snapshot(&self) -> Vec<String> {
        let g = &self.repos.gitops;
        let names = self.names().await;
        // Files name commits (release.yaml): shown with the ids replaced.
        let digest =
            |bytes: &[u8]| format!("{:?}", rename(&String::from_utf8_lossy(bytes), &names));
        let mut lines = Vec::new();
        for env in ENVS {
            let head = g.head(env).await.expect("head");
            lines.push(format!(
                "gitops {env} head {}",
                head.as_ref().map_or("none", CommitId::as_str)
            ));
            if let Some(head) = &head {
                for (path, bytes) in g.read(head, SOLUTION).await.expect("read").iter() {
                    lines.push(format!("gitops {env} file {path} {}", digest(bytes)));
                }
            }
            for c in g.history(env, 100).await.expect("history") {
                lines.push(format!(
                    "gitops {env} commit {} {:?}",
                    c.id,
                    c.message.lines().next().unwrap_or("")
                ));
                lines.push(format!("gitops {env} commit {} {:?}", c.id, c.provenance));
            }
            match g.change_request(SOLUTION, env).await.expect("cr") {
                None => lines.push(format!("change {env} none open")),
                Some(cr) => {
                    lines.push(format!(
                        "change {env} {} {} head {} base {} title {:?}",
                        cr.id,
                        cr.state,
                        cr.head,
                        cr.base.as_ref().map_or("none", CommitId::as_str),
                        cr.title
                    ));
                    lines.push(format!("change {env} body {:?}", cr.body));
                    lines.push(format!("change {env} provenance {:?}", cr.provenance));
                    for (path, bytes) in g.read(&cr.head, SOLUTION).await.expect("read").iter() {
                        lines.push(format!("change {env} file {path} {}", digest(bytes)));
                    }
                }
            }
            for t in targets(env) {
                let running = self
                    .orchestrator
                    .deployed(SOLUTION, &t)
                    .await
                    .expect("deployed");
                let installs = running
                    .as_deref()
                    .map_or(0, |v| self.orchestrator.installs(SOLUTION, &t, v));
                lines.push(format!(
                    "target {t} runs {} installed {installs} time(s)",
                    running.as_deref().unwrap_or("nothing")
                ));
            }
        }
        lines.push(format!(
            "installs in all {}",
            self.orchestrator.total_installs()
        ));
        for c in &self.repos.source_commits {
            for s in self.repos.source.statuses(c).await.expect("statuses") {
                lines.push(format!(
                    "status {c} {} {} {:?}",
                    s.context, s.state, s.description
                ));
            }
        }
        if let Some(probe) = &self.repos.probe {
            lines.extend(probe.facts().await);
        }
        lines.iter().map(|l| rename(l, &names)).collect()
    }
}

/// `text` with every id of `names` (and its 7-character short form) replaced by its name.
fn rename(text: &str, names: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (id, name) in names {
        out = out.replace(id.as_str(), name);
    }
    for (id, name) in names {
        let short = CommitId::from(id.as_str()).short().to_string();
        if short.len() < id.len() {
            out = out.replace(&short, name);
        }
    }
    // YAML quotes an id that reads as a number (`'1234e567…'`): the same name either way.
    out.replace("'<", "<").replace(">'", ">")
}

fn diff(expected: &[String], got: &[String]) -> String {
    let mut out = String::new();
    for l in expected.iter().filter(|l| !got.contains(l)) {
        let _ = writeln!(out, "  - {l}");
    }
    for l in got.iter().filter(|l| !expected.contains(l)) {
        let _ = writeln!(out, "  + {l}");
    }
    out
}

/// Checks that every write of every multi-write step can be a kill point: for each step
/// (prepare-pr opening, updating and closing a change request, merge, deploy with promotion,
/// a failing deploy, rollback) it runs the step uninterrupted, then for each write `n` of it a
/// fresh world where the process dies before write `n`, and a rerun of the step in a new
/// process. The rerun must succeed, report what the uninterrupted run reported (the killed
/// run reported nothing) and leave the same state as the uninterrupted run: env
/// branches (content, history, provenance), the open change request (id, head content, base,
/// title, body, provenance: no duplicate), installs (no second install), statuses, and the
/// backend's own facts ([`StateProbe`]).
///
/// Returns every kill point with what the rerun did.
///
/// # Panics
/// When a rerun fails or converges elsewhere, naming the step, the write and the difference.
pub async fn kill_point_conformance(h: &dyn RecoveryHarness) -> Vec<KillPoint> {
    let mut points = Vec::new();
    for s in scenarios() {
        let baseline = World::new(h, s.failing).await;
        for step in &s.setup {
            baseline
                .run(step)
                .await
                .unwrap_or_else(|e| panic!("{}: setup {step:?} failed: {e}", s.name));
        }
        let names = baseline.names().await;
        baseline.switch.count();
        let uninterrupted = baseline
            .run(&s.step)
            .await
            .unwrap_or_else(|e| panic!("{}: the uninterrupted step failed: {e}", s.name));
        let writes: Vec<String> = baseline
            .switch
            .writes()
            .iter()
            .map(|w| rename(w, &names))
            .collect();
        baseline.switch.off();
        baseline
            .run(&s.step)
            .await
            .unwrap_or_else(|e| panic!("{}: the step run again failed: {e}", s.name));
        let expected = baseline.snapshot().await;
        assert!(!writes.is_empty(), "{}: the step wrote nothing", s.name);

        for (i, write) in writes.iter().enumerate() {
            let n = i + 1;
            let w = World::new(h, s.failing).await;
            for step in &s.setup {
                w.run(step)
                    .await
                    .unwrap_or_else(|e| panic!("{}: setup {step:?} failed: {e}", s.name));
            }
            let names = w.names().await;
            w.switch.kill_before(n);
            let killed = w.run(&s.step).await;
            let cut = w.switch.killed().map(|k| rename(&k, &names));
            assert!(
                killed.is_err(),
                "{}: killed before write {n} ({write}), the step still answered {killed:?}",
                s.name
            );
            assert_eq!(
                cut.as_deref(),
                Some(write.as_str()),
                "{}: the killed run reached another write {n}",
                s.name
            );
            w.switch.off();
            let rerun = w.run(&s.step).await.unwrap_or_else(|e| {
                panic!(
                    "{}: killed before write {n} ({write}), the rerun failed: {e}",
                    s.name
                )
            });
            // The killed run reported nothing: the rerun reports what the step did.
            assert_eq!(
                rerun, uninterrupted,
                "{}: killed before write {n} ({write}), the rerun reports another outcome",
                s.name
            );
            let got = w.snapshot().await;
            assert!(
                got == expected,
                "{}: killed before write {n} ({write}), the rerun ({rerun}) left another state than an uninterrupted run:\n{}",
                s.name,
                diff(&expected, &got)
            );
            points.push(KillPoint {
                step: s.name.to_string(),
                number: n,
                write: write.clone(),
                rerun,
            });
        }
    }
    points
}
