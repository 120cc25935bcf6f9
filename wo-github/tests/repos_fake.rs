//! The gitops port against the fake GitHub: what a change costs in requests, and what faults do
//! to a change (retried to success, or refused with nothing half-written on the env branch).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use wo_core::files::FileTree;
use wo_core::ports::{ChangeProposal, ChangeRequest, CommitId, GitOpsRepo, ProposeOutcome};
use wo_core::Error;
use wo_github::client::{GitHub, RepoId, RetryPolicy, DEFAULT_RETRY};
use wo_github::repos::{GitHubGitOpsRepo, GitHubRepo};
use wo_github_fake::{Access, FakeGitHub, Fault, Permission, Repositories, TokenSpec};
use wo_http::ManualClock;

const OWNER: &str = "octo";
const NAME: &str = "gitops";
const ENV: &str = "dev";

/// New blobs of every measured change: the first `CHANGED` files get new content.
const CHANGED: usize = 3;

fn path(i: usize) -> String {
    format!("shop/t{i:04}/values.yaml")
}

/// A fake with `octo/gitops` whose `dev` branch holds `n` files of `shop` and one of `tools`,
/// and the gitops port on it (retries wait on a manual clock, so fault tests wait for nothing
/// and can see every wait).
struct World {
    github: FakeGitHub,
    client: GitHub,
    port: GitHubGitOpsRepo,
    clock: Arc<ManualClock>,
}

impl World {
    async fn new(n: usize) -> Self {
        let github = FakeGitHub::start().await.expect("start the fake GitHub");
        github.create_repo(OWNER, NAME);
        let contents: Vec<(String, String)> = (0..n)
            .map(|i| (path(i), format!("replicas: {i}\n")))
            .chain([("tools/cron.yaml".to_string(), "daily\n".to_string())])
            .collect();
        let files: Vec<(&str, Option<&str>)> = contents
            .iter()
            .map(|(p, c)| (p.as_str(), Some(c.as_str())))
            .collect();
        github.push_files(OWNER, NAME, ENV, &files, "Start dev");
        let clock = Arc::new(ManualClock::new());
        let client = GitHub::builder()
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
            .retry(RetryPolicy {
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
                ..DEFAULT_RETRY
            })
            .secondary_rate_limit_wait(Duration::from_millis(100))
            .clock(clock.clone())
            .build()
            .expect("client");
        let port = GitHubGitOpsRepo::new(GitHubRepo::new(client.clone(), RepoId::new(OWNER, NAME)));
        Self {
            github,
            client,
            port,
            clock,
        }
    }

    fn head(&self) -> String {
        self.github
            .branch_sha(OWNER, NAME, ENV)
            .expect("dev exists")
    }

    fn tree(&self) -> BTreeMap<String, String> {
        self.github.read_tree(OWNER, NAME, ENV).expect("dev exists")
    }

    /// The env branch as it is now: head and every file.
    fn snapshot(&self) -> (String, BTreeMap<String, String>) {
        (self.head(), self.tree())
    }
}

/// `shop` with `n` files, the first [`CHANGED`] of them at `version`.
fn shop(n: usize, version: u32) -> FileTree {
    let mut t = FileTree::new();
    for i in 0..n {
        let content = if i < CHANGED {
            format!("replicas: {i}\nversion: {version}\n")
        } else {
            format!("replicas: {i}\n")
        };
        t.insert(path(i), content).expect("safe path");
    }
    t
}

fn proposal(base: &str, files: FileTree, source: &str) -> ChangeProposal {
    ChangeProposal {
        solution: "shop".into(),
        environment: ENV.into(),
        base: Some(CommitId::new(base.to_string())),
        files,
        title: format!("Deploy shop {source} to {ENV}"),
        body: format!("Rendered from source commit {source}."),
        provenance: wo_core::testkit::provenance("shop", ENV, source),
    }
}

fn opened(outcome: ProposeOutcome) -> ChangeRequest {
    match outcome {
        ProposeOutcome::Opened(cr) | ProposeOutcome::Updated(cr) => cr,
        other => panic!("expected a written change, got {other:?}"),
    }
}

/// The env branch after a complete merge of `shop(n, version)` onto `before`.
fn merged_tree(
    before: &BTreeMap<String, String>,
    n: usize,
    version: u32,
) -> BTreeMap<String, String> {
    let mut t = before.clone();
    for (p, c) in shop(n, version).iter() {
        t.insert(p.to_string(), String::from_utf8_lossy(c).into_owned());
    }
    t
}

/// Requests per step of one change on an env branch of `n` files.
#[derive(Debug, PartialEq, Eq)]
struct Costs {
    open: u64,
    update: u64,
    unchanged: u64,
    merge: u64,
}

async fn costs(n: usize) -> Costs {
    let w = World::new(n).await;
    let base = w.head();
    let sent = || w.client.requests_sent();

    let before = sent();
    opened(
        w.port
            .propose(proposal(&base, shop(n, 1), "a1"))
            .await
            .expect("open"),
    );
    let open = sent() - before;

    let before = sent();
    let cr = opened(
        w.port
            .propose(proposal(&base, shop(n, 2), "a2"))
            .await
            .expect("update"),
    );
    let update = sent() - before;

    let before = sent();
    let outcome = w
        .port
        .propose(proposal(&base, shop(n, 2), "a2"))
        .await
        .expect("again");
    assert!(
        matches!(outcome, ProposeOutcome::Unchanged(_)),
        "{outcome:?}"
    );
    let unchanged = sent() - before;

    let before_tree = w.tree();
    let before = sent();
    let merged = w.port.merge(&cr).await.expect("merge");
    let merge = sent() - before;
    assert_eq!(w.head(), merged.as_str());
    assert_eq!(w.tree(), merged_tree(&before_tree, n, 2));
    // The fake counted the same requests the client sent.
    let served: u64 = w.github.request_counts().values().sum();
    assert_eq!(served, sent());
    Costs {
        open,
        update,
        unchanged,
        merge,
    }
}

#[tokio::test]
async fn requests_per_change_do_not_depend_on_the_file_count() {
    // A gitops change of 10 targets holds 21 files (values and manifests per target, and
    // release.yaml); one of 5,000 targets 10,001.
    let small = costs(21).await;
    let large = costs(10_001).await;
    eprintln!("requests per change, 10 targets (21 files): {small:?}; 5,000 targets (10,001 files): {large:?}");
    assert_eq!(small, large);
    // As documented on `GitHubGitOpsRepo`, the CHANGED new files inside one tree request
    // (t = 1, b = 0): a new pull request 7 + 1, an update with a new source 8 + 1,
    // `Unchanged` 6, `merge` 4.
    assert_eq!(
        small,
        Costs {
            open: 8,
            update: 9,
            unchanged: 6,
            merge: 4,
        }
    );
}

/// Propose `shop(10, 1)` and merge it, expecting both to succeed; checks the env branch holds
/// exactly the merged change.
async fn propose_and_merge(w: &World) -> ChangeRequest {
    let (head, tree) = w.snapshot();
    let cr = opened(
        w.port
            .propose(proposal(&head, shop(10, 1), "a1"))
            .await
            .expect("propose"),
    );
    assert_eq!(
        w.snapshot(),
        (head.clone(), tree.clone()),
        "propose wrote to dev"
    );
    let merged = w.port.merge(&cr).await.expect("merge");
    assert_eq!(merged, cr.head);
    assert_eq!(w.head(), cr.head.as_str());
    assert_eq!(w.tree(), merged_tree(&tree, 10, 1));
    let pulls = w.github.pulls(OWNER, NAME);
    assert!(
        pulls.iter().all(|p| p.state == "closed" && p.merged),
        "{pulls:?}"
    );
    cr
}

#[tokio::test]
async fn a_bad_gateway_is_retried() {
    let w = World::new(10).await;
    for route in ["git/get-ref", "git/create-tree", "git/update-ref"] {
        w.github.inject(route, Fault::BadGateway, 1);
    }
    propose_and_merge(&w).await;
    // The failed attempts were sent again.
    assert_eq!(w.github.request_count("git/create-tree"), 2);
}

#[tokio::test]
async fn a_bad_gateway_on_a_write_that_is_not_repeatable_fails_cleanly() {
    let w = World::new(10).await;
    let before = w.snapshot();
    w.github.inject("pulls/create", Fault::BadGateway, 1);
    let err = w
        .port
        .propose(proposal(&before.0, shop(10, 1), "a1"))
        .await
        .expect_err("a 502 on pulls/create is not retried");
    assert!(matches!(err, Error::Backend { .. }), "{err:?}");
    assert_eq!(w.snapshot(), before);
    assert!(w.github.pulls(OWNER, NAME).is_empty());
    // Proposing again picks up the change branch left behind.
    propose_and_merge(&w).await;
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let w = World::new(10).await;
    w.github.inject(
        "git/create-commit",
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        1,
    );
    propose_and_merge(&w).await;
    assert_eq!(
        w.clock.sleeps(),
        [Duration::from_secs(1)],
        "the Retry-After"
    );
    assert_eq!(w.github.request_count("git/create-commit"), 2);
}

#[tokio::test]
async fn the_secondary_rate_limit_is_waited_out() {
    let w = World::new(10).await;
    // With Retry-After, on a write that is not repeatable, and without it.
    w.github
        .inject("pulls/create", Fault::secondary_rate_limit(), 1);
    w.github.inject(
        "git/update-ref",
        Fault::SecondaryRateLimit {
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.".into(),
            retry_after_secs: None,
        },
        1,
    );
    propose_and_merge(&w).await;
    assert_eq!(w.github.request_count("pulls/create"), 2);
    assert_eq!(w.github.request_count("git/update-ref"), 2);
    let mut waits = w.clock.sleeps();
    waits.sort();
    assert_eq!(
        waits,
        [Duration::from_millis(100), Duration::from_secs(1)],
        "the configured wait without Retry-After, the Retry-After with it"
    );
}

#[tokio::test]
async fn a_connection_reset_while_writing_the_commit_fails_cleanly() {
    let w = World::new(10).await;
    let before = w.snapshot();
    w.github
        .inject("git/create-commit", Fault::ConnectionReset, 1);
    let err = w
        .port
        .propose(proposal(&before.0, shop(10, 1), "a1"))
        .await
        .expect_err("a reset on git/create-commit is not retried");
    assert!(matches!(err, Error::Backend { .. }), "{err:?}");
    assert_eq!(w.github.request_count("git/create-commit"), 1);
    assert_eq!(w.snapshot(), before);
    assert!(w.github.pulls(OWNER, NAME).is_empty());
    assert_eq!(
        w.port.change_request("shop", ENV).await.expect("read"),
        None
    );
    propose_and_merge(&w).await;
}

#[tokio::test]
async fn a_connection_reset_while_moving_the_env_branch_is_retried() {
    let w = World::new(10).await;
    w.github.inject("git/update-ref", Fault::ConnectionReset, 1);
    propose_and_merge(&w).await;
    assert_eq!(w.github.request_count("git/update-ref"), 2);
}

#[tokio::test]
async fn connection_resets_that_outlast_the_retries_leave_the_env_branch_alone() {
    let w = World::new(10).await;
    let (head, tree) = w.snapshot();
    let cr = opened(
        w.port
            .propose(proposal(&head, shop(10, 1), "a1"))
            .await
            .expect("propose"),
    );
    w.github.inject("git/update-ref", Fault::ConnectionReset, 5);
    let err = w.port.merge(&cr).await.expect_err("every attempt reset");
    assert!(matches!(err, Error::Backend { .. }), "{err:?}");
    assert_eq!(w.snapshot(), (head, tree.clone()));
    // Once the server answers again, the same change merges.
    w.github.clear_faults();
    w.port.merge(&cr).await.expect("merge");
    assert_eq!(w.tree(), merged_tree(&tree, 10, 1));
}

#[tokio::test]
async fn a_push_before_the_merge_is_a_precondition() {
    let w = World::new(10).await;
    let (head, tree) = w.snapshot();
    let cr = opened(
        w.port
            .propose(proposal(&head, shop(10, 1), "a1"))
            .await
            .expect("propose"),
    );
    // Someone pushes to dev right before wo moves it.
    w.github.inject(
        "git/update-ref",
        Fault::ConcurrentPush {
            branch: ENV.into(),
            files: vec![("tools/cron.yaml".into(), Some("hourly\n".into()))],
        },
        1,
    );
    let err = w.port.merge(&cr).await.expect_err("dev moved");
    assert!(matches!(err, Error::Precondition { .. }), "{err:?}");
    // dev holds the other push and nothing of the change.
    let pushed = w.head();
    assert_ne!(pushed, head);
    let mut expected = tree.clone();
    expected.insert("tools/cron.yaml".into(), "hourly\n".into());
    assert_eq!(w.tree(), expected);
    let pulls = w.github.pulls(OWNER, NAME);
    assert!(
        pulls.iter().all(|p| p.state == "open" && !p.merged),
        "{pulls:?}"
    );
    // Merging the stale change again is refused before any write.
    let err = w.port.merge(&cr).await.expect_err("still stale");
    assert!(matches!(err, Error::Precondition { .. }), "{err:?}");
    assert_eq!(w.head(), pushed);
    // Proposing on the new head and merging works.
    let cr = opened(
        w.port
            .propose(proposal(&pushed, shop(10, 1), "a1"))
            .await
            .expect("propose again"),
    );
    w.port.merge(&cr).await.expect("merge");
    assert_eq!(w.tree(), merged_tree(&expected, 10, 1));
}

#[tokio::test]
async fn a_push_while_proposing_is_caught_at_the_merge() {
    let w = World::new(10).await;
    let (head, tree) = w.snapshot();
    w.github.inject(
        "git/create-commit",
        Fault::ConcurrentPush {
            branch: ENV.into(),
            files: vec![(
                "shop/t0000/values.yaml".into(),
                Some("replicas: 9\n".into()),
            )],
        },
        1,
    );
    let cr = opened(
        w.port
            .propose(proposal(&head, shop(10, 1), "a1"))
            .await
            .expect("the proposal is written against the head it read"),
    );
    let pushed = w.head();
    assert_ne!(pushed, head);
    let mut expected = tree.clone();
    expected.insert("shop/t0000/values.yaml".into(), "replicas: 9\n".into());
    assert_eq!(w.tree(), expected);
    let err = w
        .port
        .merge(&cr)
        .await
        .expect_err("dev moved under the change");
    assert!(matches!(err, Error::Precondition { .. }), "{err:?}");
    assert_eq!(w.snapshot(), (pushed, expected));
}

#[tokio::test]
async fn a_pull_request_whose_head_reaches_its_base_by_a_push_is_merged() {
    let w = World::new(1).await;
    let repo = RepoId::new(OWNER, NAME);
    let a = w
        .github
        .push_files(OWNER, NAME, "a", &[("a.txt", Some("a\n"))], "A");
    w.github
        .push_files(OWNER, NAME, "b", &[("b.txt", Some("b\n"))], "B");
    for head in ["a", "b"] {
        let new = wo_github::client::NewPullRequest {
            title: format!("Add {head}"),
            head: head.into(),
            base: "main".into(),
            body: String::new(),
        };
        w.client
            .create_pull(&repo, &new)
            .await
            .expect("create pull");
    }
    // `main` fast-forwards to `a` through the Git Data API, as wo's merge does.
    w.client
        .update_ref(&repo, "heads/main", &a)
        .await
        .expect("fast-forward");
    let pulls = w.github.pulls(OWNER, NAME);
    assert_eq!(
        (pulls[0].state.as_str(), pulls[0].merged),
        ("closed", true),
        "{pulls:?}"
    );
    assert_eq!(pulls[0].merge_commit_sha.as_deref(), Some(a.as_str()));
    assert_eq!((pulls[1].state.as_str(), pulls[1].merged), ("open", false));
    let listed = w.client.get_pull(&repo, 1).await.expect("get pull");
    assert_eq!(
        (listed.state.as_str(), listed.merged),
        ("closed", Some(true))
    );
}
