//! Kills at every write of prepare-pr, merge, deploy and rollback on the GitHub backends (the
//! fake GitHub), and what a rerun does.
//!
//! Each REST write (`POST`, `PUT`, `PATCH`, `DELETE`) is a kill point. The fake's write gate
//! asks the [`KillSwitch`] before GitHub applies the write; when the process is to die there,
//! the port call that sent it is dropped (its connection closes, nothing of it runs again),
//! every later call of the dead process fails at once, and only then does the fake drop the
//! request, neither applied nor answered. Killed before write `n` reaches GitHub is, for what a
//! rerun finds, the same as killed after GitHub applied write `n - 1` and before its answer
//! reached wo: a dead process keeps nothing. A kill after the *last* write of a step, its
//! answer lost, leaves what a finished step leaves; the tests at the end check that state with
//! the fake's `after_write` (the rerun cannot tell the two apart, so it reports what running
//! the step again reports).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use async_trait::async_trait;
use tokio::sync::watch;
use wo_core::files::FileTree;
use wo_core::ports::{
    ChangeProposal, ChangeRequest, CommitId, CommitStatus, ConfigStore, GitOpsCommit, GitOpsRepo,
    ProposeOutcome, SourceRepo,
};
use wo_core::testkit::{
    assert_rows_documented, kill_point_conformance, kill_point_rows, writes_of, KillPoint,
    KillSwitch, RecoveryHarness, RecoverySeed, RecoveryWorld, StateProbe, KILLED,
};
use wo_core::{Error, Result};
use wo_github::client::{GitHub, PullFilter, RepoId};
use wo_github::repos::{GitHubConfigStore, GitHubGitOpsRepo, GitHubRepo, GitHubSourceRepo};
use wo_github_fake::{Access, FakeGitHub, Permission, Repositories, TokenSpec, Write};

const OWNER: &str = "octo";
const SOURCE: &str = "source";
const APP_CONFIG: &str = "app-config";
const PLATFORM_CONFIG: &str = "platform-config";
const GITOPS: &str = "gitops";

// ---------------------------------------------------------------------------------------------
// The process a world's ports run in

/// The process the ports of one world run in, as far as a kill goes: the switch, the port
/// calls in flight, and a signal that the process died.
struct Process {
    switch: KillSwitch,
    /// Bumped at each death; every call in flight waits on it.
    deaths: watch::Sender<u64>,
    in_flight: Mutex<usize>,
    idle: Condvar,
}

/// A write as the switch and the kill-point table name it: method and path below `/repos/<owner>/`.
fn write_name(w: &Write) -> String {
    let path = w
        .path
        .strip_prefix(&format!("/repos/{OWNER}/"))
        .unwrap_or(&w.path);
    format!("{} {path}", w.method)
}

fn dead(switch: &KillSwitch) -> Error {
    Error::backend(
        KILLED,
        format!(
            "the process is dead (it died before {})",
            switch.killed().unwrap_or_default()
        ),
    )
}

impl Process {
    fn new(switch: KillSwitch) -> Arc<Self> {
        Arc::new(Self {
            switch,
            deaths: watch::channel(0).0,
            in_flight: Mutex::new(0),
            idle: Condvar::new(),
        })
    }

    /// The fake's gate, before GitHub applies `write`: lets it through, or kills the process
    /// and waits until none of its calls runs any more, so the dropped request is answered to
    /// nobody.
    fn gate(&self, write: &Write) -> bool {
        if self.switch.before_write(&write_name(write)).is_ok() {
            return true;
        }
        self.deaths.send_modify(|n| *n += 1);
        let running = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        drop(
            self.idle
                .wait_while(running, |n| *n > 0)
                .unwrap_or_else(PoisonError::into_inner),
        );
        false
    }

    /// `call`, unless the process is dead or dies meanwhile: then the call is dropped where it
    /// stands (its request unanswered) and the switch's error returned.
    async fn run<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        let mut deaths = self.deaths.subscribe();
        if self.switch.killed().is_some() {
            return Err(dead(&self.switch));
        }
        let _running = Running::enter(self);
        tokio::select! {
            biased;
            _ = deaths.changed() => Err(dead(&self.switch)),
            r = call => r,
        }
    }
}

/// One port call in flight; leaving (also by being dropped) wakes a waiting gate.
struct Running<'a>(&'a Process);

impl<'a> Running<'a> {
    fn enter(p: &'a Process) -> Self {
        *p.in_flight.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        Self(p)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *self
            .0
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner) -= 1;
        self.0.idle.notify_all();
    }
}

/// A port whose every call runs in the world's [`Process`].
struct Mortal<P> {
    inner: P,
    process: Arc<Process>,
}

#[async_trait]
impl<P: SourceRepo> SourceRepo for Mortal<P> {
    async fn resolve(&self, rev: &str) -> Result<CommitId> {
        self.process.run(self.inner.resolve(rev)).await
    }

    async fn read_tree(&self, commit: &CommitId, dirs: &[String]) -> Result<FileTree> {
        self.process.run(self.inner.read_tree(commit, dirs)).await
    }

    async fn set_status(&self, commit: &CommitId, status: CommitStatus) -> Result<()> {
        self.process
            .run(self.inner.set_status(commit, status))
            .await
    }

    async fn statuses(&self, commit: &CommitId) -> Result<Vec<CommitStatus>> {
        self.process.run(self.inner.statuses(commit)).await
    }

    async fn on_branch(&self, commit: &CommitId, branch: &str) -> Result<bool> {
        self.process.run(self.inner.on_branch(commit, branch)).await
    }

    async fn tags_of(&self, commit: &CommitId) -> Result<Vec<String>> {
        self.process.run(self.inner.tags_of(commit)).await
    }
}

#[async_trait]
impl<P: ConfigStore> ConfigStore for Mortal<P> {
    async fn head(&self, env: &str) -> Result<CommitId> {
        self.process.run(self.inner.head(env)).await
    }

    async fn read(&self, commit: &CommitId) -> Result<FileTree> {
        self.process.run(self.inner.read(commit)).await
    }

    async fn read_file(&self, commit: &CommitId, path: &str) -> Result<Option<Vec<u8>>> {
        self.process.run(self.inner.read_file(commit, path)).await
    }
}

#[async_trait]
impl<P: GitOpsRepo> GitOpsRepo for Mortal<P> {
    async fn head(&self, env: &str) -> Result<Option<CommitId>> {
        self.process.run(self.inner.head(env)).await
    }

    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree> {
        self.process.run(self.inner.read(commit, solution)).await
    }

    async fn propose(&self, proposal: ChangeProposal) -> Result<ProposeOutcome> {
        self.process.run(self.inner.propose(proposal)).await
    }

    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>> {
        self.process
            .run(self.inner.change_request(solution, env))
            .await
    }

    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId> {
        self.process.run(self.inner.merge(change)).await
    }

    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
        self.process.run(self.inner.history(env, limit)).await
    }

    async fn merged_from(&self, env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>> {
        self.process.run(self.inner.merged_from(env, commit)).await
    }
}

// ---------------------------------------------------------------------------------------------
// Worlds on the fake

fn client(github: &FakeGitHub) -> GitHub {
    GitHub::builder()
        .base_url(github.base_url())
        .token(
            github.issue_token(
                TokenSpec::app("wo", Repositories::Owner(OWNER.into()))
                    .permission(Permission::Contents, Access::Write)
                    .permission(Permission::PullRequests, Access::Write)
                    .permission(Permission::Statuses, Access::Write)
                    .permission(Permission::Checks, Access::Write)
                    .permission(Permission::Actions, Access::Write),
            ),
        )
        .build()
        .expect("client for the fake GitHub")
}

fn repo(github: &FakeGitHub, name: &str) -> GitHubRepo {
    GitHubRepo::new(client(github), RepoId::new(OWNER, name))
}

/// `owner/name` holding `seed` through the fake's seeding API: each commit's tree exactly (the
/// fake's `README.md` and files of the commit before removed). Returns the commits.
fn seed(github: &FakeGitHub, name: &str, seed: &wo_core::testkit::Seed) -> Vec<CommitId> {
    github.create_repo(OWNER, name);
    let mut trees: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut ids = Vec::new();
    for (branch, tree) in seed {
        let files: Vec<(String, String)> = tree
            .iter()
            .map(|(p, b)| (p.to_string(), String::from_utf8(b.to_vec()).expect("text")))
            .collect();
        let before = trees.entry(branch.as_str()).or_insert_with(|| {
            // A new branch starts from main and its README.
            BTreeSet::from(["README.md".to_string()])
        });
        let mut edits: Vec<(&str, Option<&str>)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), Some(c.as_str())))
            .collect();
        edits.extend(
            before
                .iter()
                .filter(|p| !files.iter().any(|(f, _)| f == *p))
                .map(|p| (p.as_str(), None)),
        );
        let sha = github.push_files(OWNER, name, branch, &edits, &format!("seed {branch}"));
        *before = files.iter().map(|(p, _)| p.clone()).collect();
        ids.push(CommitId::new(sha));
    }
    ids
}

/// The kill-point harness on a fresh fake GitHub per world.
struct OnTheFake;

#[async_trait]
impl RecoveryHarness for OnTheFake {
    /// Every write to GitHub (source, config and gitops repos) passes the switch first, through
    /// the fake's write gate.
    async fn world(&self, s: RecoverySeed, switch: KillSwitch) -> RecoveryWorld {
        let github = FakeGitHub::start().await.expect("start the fake GitHub");
        let source_commits = seed(&github, SOURCE, &s.source);
        seed(&github, APP_CONFIG, &s.app_config);
        seed(&github, PLATFORM_CONFIG, &s.platform_config);
        github.create_repo(OWNER, GITOPS);
        let process = Process::new(switch);
        let gate = process.clone();
        github.gate_writes(move |w| gate.gate(w));
        let mortal = |inner| Mortal {
            inner,
            process: process.clone(),
        };
        RecoveryWorld {
            source: Arc::new(mortal(GitHubSourceRepo::new(repo(&github, SOURCE)))),
            source_commits: source_commits.clone(),
            app_config: Arc::new(Mortal {
                inner: GitHubConfigStore::new(repo(&github, APP_CONFIG)),
                process: process.clone(),
            }),
            platform_config: Arc::new(Mortal {
                inner: GitHubConfigStore::new(repo(&github, PLATFORM_CONFIG)),
                process: process.clone(),
            }),
            gitops: Arc::new(Mortal {
                inner: GitHubGitOpsRepo::new(repo(&github, GITOPS)),
                process: process.clone(),
            }),
            probe: Some(Arc::new(GitHubFacts {
                github: Arc::new(github),
                source_commits,
            })),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What GitHub stores beyond the ports

/// Facts of a world's GitHub beyond the ports: every branch and pull request of the gitops
/// repo, every status ever set on a seeded source commit, comments, labels, check runs and
/// dispatches. Owns the fake (the world's server lives as long as the probe).
struct GitHubFacts {
    github: Arc<FakeGitHub>,
    source_commits: Vec<CommitId>,
}

/// Names for the commits of the gitops repo that are the same in every world holding the same
/// history (commit ids differ between worlds: GitHub stamps the time, and messages and files
/// name the world's source and config commits): `C1`, `C2`, … in the order they are met, and
/// one fact per commit with its parents, its tree (`t1`, `t2`, … in order met: the same tree
/// is the same name) and its message (ids in it replaced by the suite).
#[derive(Default)]
struct Commits {
    names: BTreeMap<String, String>,
    trees: BTreeMap<String, String>,
    facts: Vec<String>,
}

impl Commits {
    async fn name(&mut self, gh: &GitHub, repo: &RepoId, sha: &str) -> String {
        let mut queue = std::collections::VecDeque::from([sha.to_string()]);
        let mut met = Vec::new();
        while let Some(next) = queue.pop_front() {
            if self.names.contains_key(&next) {
                continue;
            }
            let c = gh.get_commit(repo, &next).await.expect("commit");
            let name = format!("C{}", self.names.len() + 1);
            self.names.insert(next, name);
            queue.extend(c.parents.iter().map(|p| p.sha.clone()));
            met.push(c);
        }
        for c in met {
            let n = self.trees.len() + 1;
            let tree = self
                .trees
                .entry(c.tree.sha.clone())
                .or_insert_with(|| format!("t{n}"))
                .clone();
            let parents: Vec<&str> = c
                .parents
                .iter()
                .map(|p| self.names[&p.sha].as_str())
                .collect();
            self.facts.push(format!(
                "gitops commit {}: parents {parents:?} tree {tree} message {:?}",
                self.names[&c.sha], c.message
            ));
        }
        self.names[sha].clone()
    }
}

#[async_trait]
impl StateProbe for GitHubFacts {
    async fn facts(&self) -> Vec<String> {
        let gh = client(&self.github);
        let gitops = RepoId::new(OWNER, GITOPS);
        let mut commits = Commits::default();
        let mut facts = Vec::new();
        for r in gh.matching_refs(&gitops, "").await.expect("refs") {
            let at = commits.name(&gh, &gitops, &r.object.sha).await;
            facts.push(format!("gitops {} at {at}", r.name));
        }
        let all = PullFilter {
            state: Some("all".into()),
            ..PullFilter::default()
        };
        let pulls = gh.list_pulls(&gitops, &all).await.expect("pulls");
        let records: BTreeMap<u64, _> = self
            .github
            .pulls(OWNER, GITOPS)
            .into_iter()
            .map(|p| (p.number, p))
            .collect();
        for p in pulls {
            let record = &records[&p.number];
            let state = match (p.state.as_str(), record.merged) {
                ("closed", true) => "merged",
                (s, _) => s,
            };
            let head = commits.name(&gh, &gitops, &p.head.sha).await;
            facts.push(format!(
                "pull #{} {} -> {} {state} head {head} title {:?}",
                p.number, p.head.branch, p.base.branch, p.title
            ));
            facts.push(format!("pull #{} body {:?}", p.number, p.body));
            if let Some(sha) = &record.merge_commit_sha {
                let merged = commits.name(&gh, &gitops, sha).await;
                facts.push(format!("pull #{} merge commit {merged}", p.number));
            }
            facts.push(format!(
                "pull #{} labels {:?} comments {:?}",
                p.number,
                record.labels,
                self.github
                    .comments(OWNER, GITOPS, p.number)
                    .iter()
                    .map(|c| c.body.clone())
                    .collect::<Vec<_>>()
            ));
        }
        facts.append(&mut commits.facts);
        for (i, c) in self.source_commits.iter().enumerate() {
            // Every status ever set (GitHub keeps them all); the same one set twice is one.
            let ever: BTreeSet<String> = self
                .github
                .statuses(OWNER, SOURCE, c.as_str())
                .into_iter()
                .map(|s| {
                    format!(
                        "{} {} {:?} {:?}",
                        s.context, s.state, s.description, s.target_url
                    )
                })
                .collect();
            for s in ever {
                facts.push(format!("source commit #{} status ever set: {s}", i + 1));
            }
        }
        for name in [SOURCE, APP_CONFIG, PLATFORM_CONFIG, GITOPS] {
            facts.push(format!(
                "{name}: check runs {}, repository dispatches {}, workflow dispatches {}",
                self.github.check_runs(OWNER, name).len(),
                self.github.dispatched_events(OWNER, name).len(),
                self.github.workflow_dispatches(OWNER, name).len()
            ));
        }
        for name in [SOURCE, APP_CONFIG, PLATFORM_CONFIG] {
            facts.push(format!(
                "{name}: pull requests {}",
                self.github.pulls(OWNER, name).len()
            ));
        }
        facts
    }
}

// ---------------------------------------------------------------------------------------------
// The suite

/// Prints the table and checks that `docs/recovery.md` shows it as it is.
fn show(points: &[KillPoint]) {
    show_rows(&kill_point_rows(points));
}

/// Prints `rows` and checks that `docs/recovery.md` shows each as it is.
fn show_rows(rows: &[String]) {
    assert_rows_documented(
        rows,
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/recovery.md")),
    );
}

#[tokio::test]
async fn a_kill_at_every_github_write_is_recovered_by_a_rerun() {
    let points = kill_point_conformance(&OnTheFake).await;
    show(&points);
    // The four files ride inside the tree request: no `git/create-blob`.
    let change = ["POST gitops/git/trees", "POST gitops/git/commits"];
    let start_env = ["POST gitops/git/commits", "POST gitops/git/refs"];
    let opens: Vec<&str> = start_env
        .iter()
        .chain(&change)
        .chain(&["POST gitops/git/refs", "POST gitops/pulls"])
        .copied()
        .collect();
    assert_eq!(
        writes_of(&points, "prepare-pr opens"),
        opens,
        "the env branch started, the tree (with the files) and commit, the change branch, the pull request"
    );
    let updates: Vec<&str> = change
        .iter()
        .chain(&[
            "PATCH gitops/git/refs/heads/wo/dev/shop",
            "PATCH gitops/pulls/1",
        ])
        .copied()
        .collect();
    assert_eq!(
        writes_of(&points, "prepare-pr updates"),
        updates,
        "the change branch moved, then the pull request retitled"
    );
    assert_eq!(
        writes_of(&points, "prepare-pr closes"),
        ["PATCH gitops/pulls/2"]
    );
    assert_eq!(
        writes_of(&points, "merge"),
        ["PATCH gitops/git/refs/heads/dev"],
        "a fast-forward; GitHub marks the pull request merged"
    );
    let statuses = ["POST source/statuses/<source#1>"; 3];
    let promote: Vec<&str> = ["install shop in dev"]
        .iter()
        .chain(&statuses)
        .chain(&start_env)
        .chain(&change)
        .chain(&["POST gitops/git/refs", "POST gitops/pulls"])
        .copied()
        .collect();
    assert_eq!(writes_of(&points, "deploy and promote"), promote);
    let fails: Vec<&str> = ["install shop in dev"]
        .iter()
        .chain(&statuses)
        .copied()
        .collect();
    assert_eq!(writes_of(&points, "deploy that fails"), fails);
    let rollback: Vec<&str> = change
        .iter()
        .chain(&[
            "POST gitops/git/refs",
            "PATCH gitops/git/refs/heads/wo/dev/shop",
            "POST gitops/pulls",
        ])
        .copied()
        .collect();
    assert_eq!(
        writes_of(&points, "rollback"),
        rollback,
        "the change branch exists (merged before): created, refused, moved"
    );
    assert_eq!(points.len(), 32, "{points:#?}");
}

// ---------------------------------------------------------------------------------------------
// Answers lost: a kill after GitHub applied a write, before wo saw its answer

const ENV: &str = "dev";

fn files(n: u32) -> FileTree {
    let mut t = FileTree::new();
    t.insert("shop/dev-eu-1/values.yaml", format!("replicas: {n}\n"))
        .expect("path");
    t.insert("shop/release.yaml", format!("version: {n}\n"))
        .expect("path");
    t
}

fn proposal(n: u32, source: &str) -> ChangeProposal {
    ChangeProposal {
        solution: "shop".into(),
        environment: ENV.into(),
        base: None,
        files: files(n),
        title: format!("shop: dev ← source {source}"),
        body: format!("Rendered from {source}."),
        provenance: wo_core::testkit::provenance("shop", ENV, source),
    }
}

fn kind(outcome: &ProposeOutcome) -> &'static str {
    match outcome {
        ProposeOutcome::Opened(_) => "opened",
        ProposeOutcome::Updated(_) => "updated",
        ProposeOutcome::Unchanged(_) => "unchanged",
        ProposeOutcome::NoDifference { closed: None } => "no difference",
        ProposeOutcome::NoDifference { closed: Some(_) } => "closed",
    }
}

/// A port step, run on a fresh fake after its setup.
#[derive(Debug, Clone, Copy)]
enum PortStep {
    /// The first proposal of the pair.
    Open,
    /// A second proposal, other content, while the first is open.
    Update,
    /// The merge of the open proposal, as `wo merge` does it.
    Merge,
}

impl PortStep {
    fn name(self) -> &'static str {
        match self {
            PortStep::Open => "propose opens",
            PortStep::Update => "propose updates",
            PortStep::Merge => "merge call",
        }
    }
}

/// A fake GitHub with an empty gitops repo and the port on it.
struct PortWorld {
    github: Arc<FakeGitHub>,
    gitops: GitHubGitOpsRepo,
}

impl PortWorld {
    async fn new(step: PortStep) -> Self {
        let github = FakeGitHub::start().await.expect("start the fake GitHub");
        for name in [SOURCE, APP_CONFIG, PLATFORM_CONFIG, GITOPS] {
            github.create_repo(OWNER, name);
        }
        let w = Self {
            gitops: GitHubGitOpsRepo::new(repo(&github, GITOPS)),
            github: Arc::new(github),
        };
        if matches!(step, PortStep::Update | PortStep::Merge) {
            let first = w.gitops.propose(proposal(1, "a1")).await.expect("setup");
            assert_eq!(kind(&first), "opened");
        }
        w
    }

    /// Runs `step` in a task of its own (a process the test can kill).
    fn spawn(&self, step: PortStep) -> tokio::task::JoinHandle<Result<String>> {
        let gitops = self.gitops.clone();
        tokio::spawn(async move {
            Ok(match step {
                PortStep::Open => kind(&gitops.propose(proposal(1, "a1")).await?).to_string(),
                PortStep::Update => kind(&gitops.propose(proposal(2, "a2")).await?).to_string(),
                PortStep::Merge => match gitops.change_request("shop", ENV).await? {
                    Some(cr) => {
                        gitops.merge(&cr).await?;
                        "merged".to_string()
                    }
                    None => "nothing to merge".to_string(),
                },
            })
        })
    }

    async fn run(&self, step: PortStep) -> String {
        self.spawn(step)
            .await
            .expect("not killed")
            .unwrap_or_else(|e| panic!("{step:?}: {e}"))
    }

    /// Runs `step`, killed once its `n`th write is applied and before its answer arrives.
    /// Returns that write.
    async fn killed_after(&self, step: PortStep, n: u64) -> String {
        let (reached_tx, reached) = tokio::sync::oneshot::channel::<String>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        self.github.after_write(n, move |writes| {
            let last = writes.last().map(write_name).unwrap_or_default();
            let _ = reached_tx.send(last);
            let _ = released.recv();
        });
        let mut task = self.spawn(step);
        let write = tokio::select! {
            w = reached => w.expect("the hook reports"),
            done = &mut task => panic!("{step:?} ended before write {n}: {done:?}"),
        };
        task.abort();
        assert!(
            task.await.expect_err("killed").is_cancelled(),
            "killed, not ended"
        );
        release.send(()).expect("the held answer goes out");
        write
    }

    async fn facts(&self) -> Vec<String> {
        let probe = GitHubFacts {
            github: self.github.clone(),
            source_commits: Vec::new(),
        };
        probe.facts().await
    }

    fn writes(&self) -> Vec<String> {
        self.github.writes().iter().map(write_name).collect()
    }
}

#[tokio::test]
async fn an_answer_lost_at_any_write_of_a_proposal_or_merge_is_recovered_by_a_rerun() {
    let mut table = Vec::new();
    for step in [PortStep::Open, PortStep::Update, PortStep::Merge] {
        let base = PortWorld::new(step).await;
        let before = base.writes().len();
        let first = base.run(step).await;
        let writes = base.writes()[before..].to_vec();
        let again = base.run(step).await;
        let expected = base.facts().await;
        for (i, write) in writes.iter().enumerate() {
            let n = i + 1;
            let w = PortWorld::new(step).await;
            let killed = w.killed_after(step, n as u64).await;
            assert_eq!(&killed, write, "{step:?}: write {n}");
            let rerun = w.run(step).await;
            // After the last write the step is done; the rerun cannot know its answer was
            // lost and reports what running the step again reports.
            let want = if n < writes.len() { &first } else { &again };
            assert_eq!(&rerun, want, "{step:?}: answer of write {n} ({write}) lost");
            let got = w.facts().await;
            assert!(
                got == expected,
                "{step:?}: answer of write {n} ({write}) lost, the rerun left another state:\n- {}\n+ {}",
                expected.iter().filter(|l| !got.contains(l)).cloned().collect::<Vec<_>>().join("\n- "),
                got.iter().filter(|l| !expected.contains(l)).cloned().collect::<Vec<_>>().join("\n+ ")
            );
            table.push(format!("| {} | {n} | `{write}` | {rerun} |", step.name()));
        }
    }
    show_rows(&table);
    assert_eq!(table.len(), 6 + 4 + 1, "{table:#?}");
}

#[tokio::test]
async fn a_proposal_killed_before_its_pull_request_is_retitled_is_retitled_by_the_rerun() {
    let w = PortWorld::new(PortStep::Update).await;
    // The dry run: which write moves the change branch.
    let dry = PortWorld::new(PortStep::Update).await;
    let before = dry.writes().len();
    assert_eq!(dry.run(PortStep::Update).await, "updated");
    let moved = dry.writes()[before..]
        .iter()
        .position(|w| w == "PATCH gitops/git/refs/heads/wo/dev/shop")
        .expect("the branch moves")
        + 1;

    w.killed_after(PortStep::Update, moved as u64).await;
    let pull = || w.github.pulls(OWNER, GITOPS).remove(0);
    assert_eq!(pull().title, "shop: dev ← source a1", "the kill");

    let rerun = w.gitops.propose(proposal(2, "a2")).await.expect("rerun");
    let cr = match rerun {
        ProposeOutcome::Updated(cr) => cr,
        other => panic!("the rerun retitles the pull request: {other:?}"),
    };
    assert_eq!(cr.title, "shop: dev ← source a2");
    assert_eq!(pull().title, "shop: dev ← source a2");
    assert!(
        pull()
            .body
            .unwrap_or_default()
            .starts_with("Rendered from a2."),
        "{:?}",
        pull().body
    );
    assert_eq!(w.github.pulls(OWNER, GITOPS).len(), 1, "one pull request");
    let again = w.gitops.propose(proposal(2, "a2")).await.expect("again");
    assert!(matches!(again, ProposeOutcome::Unchanged(_)), "{again:?}");
}
