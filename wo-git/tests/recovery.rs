//! Kills at every ref update of prepare-pr, merge, deploy and rollback, and what a rerun does;
//! lock files a killed process leaves.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{Fixture, Harness, Transport};
use git2::Repository;
use wo_core::ports::{ChangeProposal, CommitId, ConfigStore, GitOpsRepo, ProposeOutcome};
use wo_core::testkit::{
    assert_rows_documented, kill_point_conformance, kill_point_rows, provenance, tree, writes_of,
    KillPoint, KillSwitch,
};
use wo_core::Error;
use wo_git::{GitConfigStore, GitOpsGitRepo};

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
async fn a_kill_at_every_ref_update_is_recovered_by_a_rerun_locally() {
    let points = kill_point_conformance(&Harness::new(Transport::Bare)).await;
    show(&points);
    assert_eq!(
        writes_of(&points, "prepare-pr opens"),
        ["ref refs/wo/changes/dev/shop", "ref refs/heads/wo/dev/shop"],
        "the record, then its mirror branch"
    );
    assert_eq!(
        writes_of(&points, "merge"),
        ["ref refs/heads/dev", "ref refs/wo/changes/dev/shop"],
        "the env branch, then the record"
    );
    assert_eq!(
        writes_of(&points, "deploy and promote"),
        [
            "install shop in dev",
            "ref refs/wo/statuses/<source#1>",
            "ref refs/wo/statuses/<source#1>",
            "ref refs/wo/statuses/<source#1>",
            "ref refs/wo/changes/stage/shop",
            "ref refs/heads/wo/stage/shop",
        ]
    );
}

#[tokio::test]
async fn a_kill_at_every_ref_update_is_recovered_by_a_rerun_on_a_remote() {
    let points = kill_point_conformance(&Harness::new(Transport::FileUrl)).await;
    show(&points);
    assert_eq!(points.len(), 21, "{points:#?}");
}

// ---------------------------------------------------------------------------------------------
// The kills of the issue, one by one

fn proposal(base: Option<CommitId>, n: u32, source: &str) -> ChangeProposal {
    ChangeProposal {
        solution: "shop".into(),
        environment: "dev".into(),
        base,
        files: tree(&[
            ("shop/berlin-1/values.yaml", &format!("replicas: {n}\n")),
            ("shop/release.yaml", &format!("version: {n}\n")),
        ]),
        title: format!("shop: dev ← source {source}"),
        body: String::new(),
        provenance: provenance("shop", "dev", source),
    }
}

/// A gitops repo on a bare repository whose ref updates `switch` cuts.
fn gitops(fx: &Fixture, switch: &KillSwitch) -> (std::path::PathBuf, GitOpsGitRepo) {
    let path = fx.new_repo();
    let cut = switch.clone();
    let repo = fx
        .backend(&path)
        .with_ref_update_hook(move |name| cut.before_write(name));
    (path, GitOpsGitRepo::new(repo))
}

fn target(path: &Path, name: &str) -> Option<String> {
    Repository::open(path)
        .expect("open")
        .refname_to_id(name)
        .ok()
        .map(|o| o.to_string())
}

/// `state` of each record of the pair, oldest first (`#1 open`, `#1 merged`, …).
fn record_chain(path: &Path) -> Vec<String> {
    let repo = Repository::open(path).expect("open");
    let mut out = Vec::new();
    let mut next = repo
        .find_reference("refs/wo/changes/dev/shop")
        .and_then(|r| r.peel_to_commit())
        .ok();
    while let Some(c) = next {
        let summary = c.summary().unwrap_or("").to_string();
        out.push(
            summary
                .trim_start_matches("wo: change request wo/dev/shop")
                .trim()
                .to_string(),
        );
        next = (c.parent_count() > 1).then(|| c.parent(0).ok()).flatten();
    }
    out.reverse();
    out
}

#[tokio::test]
async fn a_proposal_killed_before_its_branch_gets_the_branch_from_the_rerun() {
    let fx = Fixture::new(Transport::Bare);
    let switch = KillSwitch::new();
    let (path, repo) = gitops(&fx, &switch);
    switch.kill_before(2);
    let killed = repo.propose(proposal(None, 1, "a1")).await;
    assert!(killed.is_err(), "{killed:?}");
    assert_eq!(switch.writes(), ["refs/wo/changes/dev/shop"]);
    assert_eq!(target(&path, "refs/heads/wo/dev/shop"), None, "the kill");

    switch.off();
    let rerun = repo.propose(proposal(None, 1, "a1")).await.expect("rerun");
    let cr = match rerun {
        ProposeOutcome::Opened(cr) => cr,
        other => panic!("the rerun opens the change request (creates its branch): {other:?}"),
    };
    assert_eq!(
        target(&path, "refs/heads/wo/dev/shop").as_deref(),
        Some(cr.head.as_str()),
        "the branch is recreated at the record's head"
    );
    assert_eq!(record_chain(&path), ["#1 open"], "one change request");
    let again = repo.propose(proposal(None, 1, "a1")).await.expect("again");
    assert!(matches!(again, ProposeOutcome::Unchanged(_)), "{again:?}");
}

#[tokio::test]
async fn a_merge_killed_before_its_record_is_recorded_merged_by_the_rerun() {
    let fx = Fixture::new(Transport::Bare);
    let switch = KillSwitch::new();
    let (path, repo) = gitops(&fx, &switch);
    let cr = repo
        .propose(proposal(None, 1, "a1"))
        .await
        .expect("propose")
        .change_request()
        .cloned()
        .expect("opened");
    switch.kill_before(2);
    assert!(repo.merge(&cr).await.is_err());
    assert_eq!(switch.writes(), ["refs/heads/dev"]);
    assert_eq!(record_chain(&path), ["#1 open"], "the kill");

    switch.off();
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("read")
            .map(|c| c.head),
        Some(cr.head.clone()),
        "still open on record, so that merge can finish it"
    );
    assert_eq!(repo.merge(&cr).await.expect("rerun"), cr.head);
    assert_eq!(record_chain(&path), ["#1 open", "#1 merged"]);
    assert_eq!(
        repo.change_request("shop", "dev").await.expect("read"),
        None
    );
}

#[tokio::test]
async fn a_merge_killed_before_its_record_is_recorded_merged_not_closed_by_the_next_proposal() {
    let fx = Fixture::new(Transport::Bare);
    let switch = KillSwitch::new();
    let (path, repo) = gitops(&fx, &switch);
    let cr = repo
        .propose(proposal(None, 1, "a1"))
        .await
        .expect("propose")
        .change_request()
        .cloned()
        .expect("opened");
    switch.kill_before(2);
    assert!(repo.merge(&cr).await.is_err());
    switch.off();

    // The same content again: the branch has it; nothing to close, the change was merged.
    let head = repo.head("dev").await.expect("head");
    assert_eq!(head.as_ref(), Some(&cr.head));
    let same = repo
        .propose(proposal(head.clone(), 1, "a1"))
        .await
        .expect("propose");
    assert_eq!(same, ProposeOutcome::NoDifference { closed: None });
    assert_eq!(record_chain(&path), ["#1 open", "#1 merged"]);

    // New content: a new change request, number 2.
    let next = repo
        .propose(proposal(head, 2, "a2"))
        .await
        .expect("propose");
    assert!(
        matches!(&next, ProposeOutcome::Opened(c) if c.id == "wo/dev/shop#2"),
        "{next:?}"
    );
    assert_eq!(record_chain(&path), ["#1 open", "#1 merged", "#2 open"]);
}

// ---------------------------------------------------------------------------------------------
// Lock files a killed process leaves

/// The lock git and libgit2 hold while they update `name` of the repository at `path`.
fn lock_file(path: &Path, name: &str) -> std::path::PathBuf {
    let repo = Repository::open(path).expect("open");
    repo.path().join(format!("{name}.lock"))
}

fn age(file: &Path, by: Duration) {
    std::fs::File::options()
        .write(true)
        .open(file)
        .and_then(|f| f.set_modified(SystemTime::now() - by))
        .expect("age the lock file");
}

/// A process killed while it held the lock of the change record.
async fn killed_holding_the_record_lock(fx: &Fixture) -> (std::path::PathBuf, GitOpsGitRepo) {
    let switch = KillSwitch::new();
    let (path, repo) = gitops(fx, &switch);
    let lock = lock_file(&path, "refs/wo/changes/dev/shop");
    let cut = switch.clone();
    let dying = GitOpsGitRepo::new(fx.backend(&path).with_ref_update_hook(move |name| {
        std::fs::create_dir_all(lock.parent().expect("dir")).expect("dir");
        std::fs::write(&lock, "0123456789abcdef0123456789abcdef01234567\n").expect("lock");
        cut.before_write(name)
    }));
    switch.kill_before(1);
    assert!(dying.propose(proposal(None, 1, "a1")).await.is_err());
    switch.off();
    assert!(lock_file(&path, "refs/wo/changes/dev/shop").exists());
    (path, repo)
}

#[tokio::test]
async fn a_lock_left_by_a_killed_process_is_removed_and_the_rerun_goes_on() {
    let fx = Fixture::new(Transport::Bare);
    let (path, repo) = killed_holding_the_record_lock(&fx).await;
    let lock = lock_file(&path, "refs/wo/changes/dev/shop");
    if cfg!(target_os = "linux") {
        // Nobody holds it open: the killed writer's, once past a short grace.
        let rerun = repo.propose(proposal(None, 1, "a1")).await.expect("rerun");
        assert!(matches!(rerun, ProposeOutcome::Opened(_)), "{rerun:?}");
        assert!(!lock.exists(), "removed");
    }
    // Older than the threshold: removed whoever holds it.
    let status = lock_file(&path, "refs/heads/wo/dev/shop");
    std::fs::write(&status, "x\n").expect("lock");
    let _held = std::fs::File::open(&status).expect("hold it open");
    age(&status, Duration::from_secs(120));
    let repo = GitOpsGitRepo::new(
        fx.backend(&path)
            .with_stale_lock_after(Duration::from_secs(60)),
    );
    let rerun = repo.propose(proposal(None, 2, "a2")).await.expect("rerun");
    assert!(
        matches!(
            rerun,
            ProposeOutcome::Opened(_) | ProposeOutcome::Updated(_)
        ),
        "{rerun:?}"
    );
    assert!(!status.exists(), "removed");
}

#[tokio::test]
async fn a_lock_held_by_a_live_process_is_reported_naming_the_ref_and_the_file() {
    let fx = Fixture::new(Transport::Bare);
    let (path, repo) = killed_holding_the_record_lock(&fx).await;
    let lock = lock_file(&path, "refs/wo/changes/dev/shop");
    // This process holds it open (as a live writer would), and it is not old.
    let _held = std::fs::File::open(&lock).expect("hold it open");
    age(&lock, Duration::from_secs(10));
    let err = repo
        .propose(proposal(None, 1, "a1"))
        .await
        .expect_err("locked");
    let text = err.to_string();
    assert!(
        !text.contains("precondition") && !text.contains("gave up"),
        "never a misleading precondition: {text}"
    );
    assert!(
        text.contains("ref refs/wo/changes/dev/shop is locked by another process")
            && text.contains(&lock.display().to_string())
            && text.contains("remove it if no wo/git process runs"),
        "{text}"
    );
    assert!(
        matches!(err, Error::Backend { .. }) && err.is_retryable(),
        "{err:?}"
    );
    assert!(lock.exists(), "a live process's lock is left alone");
}

#[tokio::test]
async fn a_stale_lock_in_a_remotes_cache_clone_is_removed() {
    let fx = Fixture::new(Transport::FileUrl);
    let path = fx.new_repo();
    common::commit_files(&path, "dev", &tree(&[("a", "1\n")]), "seed\n");
    let cache = fx.root().join("one-cache");
    let backend = || fx.backend(&path).with_cache_dir(&cache);
    let config = GitConfigStore::new(backend());
    let first = config.head("dev").await.expect("head");
    // A fetch killed while it moved `dev` in the cache clone.
    common::commit_files(&path, "dev", &tree(&[("a", "2\n")]), "next\n");
    let clone = backend()
        .cache_path()
        .expect("cache")
        .expect("a URL has one");
    let lock = clone.join("refs/heads/dev.lock");
    std::fs::write(&lock, "x\n").expect("lock");
    age(&lock, Duration::from_secs(600));
    let second = GitConfigStore::new(backend())
        .head("dev")
        .await
        .expect("head");
    assert_ne!(first, second, "fetched");
    assert!(!lock.exists());
}

#[tokio::test]
async fn a_lock_on_a_git_server_is_reported_not_taken_for_a_lost_race() {
    let fx = Fixture::new(Transport::Daemon);
    let path = fx.new_repo();
    let lock = lock_file(&path, "refs/wo/changes/dev/shop");
    std::fs::create_dir_all(lock.parent().expect("dir")).expect("dir");
    std::fs::write(&lock, "x\n").expect("lock");
    let repo = GitOpsGitRepo::new(fx.backend(&path));
    let err = repo
        .propose(proposal(None, 1, "a1"))
        .await
        .expect_err("locked on the server");
    let text = err.to_string();
    assert!(
        text.contains("ref refs/wo/changes/dev/shop is locked by another process")
            && text.contains("shop.lock on the server")
            && text.contains("remove it if no wo/git process runs")
            && !text.contains("precondition"),
        "{text}"
    );
    assert!(lock.exists(), "a server's files are never touched");
}
