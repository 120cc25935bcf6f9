//! `GitOpsRepo::report_rollout` on the fake GitHub: one comment per environment on the pull
//! request whose merge made the env head, created by the first run and edited in place by
//! the next ones, in few requests, never touching people's comments.

use wo_core::files::FileTree;
use wo_core::ports::{ChangeProposal, CommitId, GitOpsRepo, ProposeOutcome};
use wo_core::Error;
use wo_github::client::{GitHub, RepoId, RetryPolicy};
use wo_github::repos::{GitHubGitOpsRepo, GitHubRepo};
use wo_github_fake::{Access, FakeGitHub, Permission, Repositories, TokenSpec};

const OWNER: &str = "octo";
const NAME: &str = "gitops";
const ENV: &str = "prod";

fn client(github: &FakeGitHub, spec: TokenSpec) -> GitHub {
    GitHub::builder()
        .base_url(github.base_url())
        .token(github.issue_token(spec))
        .retry(RetryPolicy::never())
        .build()
        .expect("client")
}

fn port(client: &GitHub) -> GitHubGitOpsRepo {
    GitHubGitOpsRepo::new(GitHubRepo::new(client.clone(), RepoId::new(OWNER, NAME)))
}

fn wo_token() -> TokenSpec {
    TokenSpec::app("wo", Repositories::Owner(OWNER.into()))
        .permission(Permission::Contents, Access::Write)
        .permission(Permission::PullRequests, Access::Write)
}

/// Proposes and merges a release of `shop` into `prod`; returns the pull request's number and
/// the new env head.
async fn merged_release(github: &FakeGitHub, port: &GitHubGitOpsRepo) -> (u64, CommitId) {
    let base = github.branch_sha(OWNER, NAME, ENV).expect("prod exists");
    let mut files = FileTree::new();
    files
        .insert("shop/prod-eu-1/values.yaml", "replicas: 3\n")
        .unwrap();
    let proposal = ChangeProposal {
        solution: "shop".into(),
        environment: ENV.into(),
        base: Some(CommitId::new(base)),
        files,
        title: "Deploy shop a1 to prod".into(),
        body: String::new(),
        provenance: wo_core::testkit::provenance("shop", ENV, "a1"),
    };
    let ProposeOutcome::Opened(cr) = port.propose(proposal).await.expect("propose") else {
        panic!("expected a new pull request");
    };
    let head = port.merge(&cr).await.expect("merge");
    (cr.id.parse().unwrap(), head)
}

#[tokio::test]
async fn the_rollout_report_is_one_comment_edited_in_place_run_after_run() {
    let github = FakeGitHub::start().await.expect("start the fake GitHub");
    github.create_repo(OWNER, NAME);
    github.push_files(
        OWNER,
        NAME,
        ENV,
        &[("README.md", Some("prod\n"))],
        "Start prod",
    );
    let wo = client(&github, wo_token());
    let port = port(&wo);
    let (number, head) = merged_release(&github, &port).await;
    // Someone quotes the marker in a comment of their own first: not wo's report.
    let person = client(
        &github,
        TokenSpec::user("alice", Repositories::Owner(OWNER.into()))
            .permission(Permission::PullRequests, Access::Write),
    );
    let quoted = "why does wo write <!-- wo:rollout:prod --> into its comment?";
    person
        .create_issue_comment(&RepoId::new(OWNER, NAME), number, quoted)
        .await
        .expect("a person's comment");

    let first =
        "**wave `canary` bakes until 2026-12-04T12:15:00Z (15m left)**\n\n| wave | targets |\n";
    let sent = wo.requests_sent();
    port.report_rollout(ENV, &head, first)
        .await
        .expect("first run");
    assert_eq!(
        wo.requests_sent() - sent,
        3,
        "the pull request of the commit, its comments, one comment written"
    );
    let comments = github.comments(OWNER, NAME, number);
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[0].body, quoted, "the person's comment is theirs");
    let report = &comments[1];
    assert_eq!(report.body, format!("<!-- wo:rollout:prod -->\n{first}"));

    // The next run replaces the text of the same comment.
    let second = "**done: every wave installed and baked**\n\n| wave | targets |\n";
    port.report_rollout(ENV, &head, second)
        .await
        .expect("second run");
    let comments = github.comments(OWNER, NAME, number);
    assert_eq!(comments.len(), 2, "no second report: {comments:?}");
    assert_eq!(comments[1].id, report.id, "edited in place");
    assert_eq!(
        comments[1].body,
        format!("<!-- wo:rollout:prod -->\n{second}")
    );
    assert_eq!(comments[0].body, quoted);
    assert_eq!(
        github.request_count("issues/create-comment"),
        2,
        "alice's and wo's first"
    );
    assert_eq!(github.request_count("issues/update-comment"), 1);

    // The same table again writes nothing.
    let writes = github.content_creating_requests();
    port.report_rollout(ENV, &head, second)
        .await
        .expect("third run");
    assert_eq!(github.content_creating_requests(), writes);
}

#[tokio::test]
async fn a_commit_no_pull_request_made_or_a_token_that_may_not_comment_is_an_error() {
    let github = FakeGitHub::start().await.expect("start the fake GitHub");
    github.create_repo(OWNER, NAME);
    github.push_files(
        OWNER,
        NAME,
        ENV,
        &[("README.md", Some("prod\n"))],
        "Start prod",
    );
    let start = CommitId::new(github.branch_sha(OWNER, NAME, ENV).unwrap());
    let wo = client(&github, wo_token());
    let port = port(&wo);
    let err = port
        .report_rollout(ENV, &start, "table")
        .await
        .expect_err("a push, not a pull request");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    let (number, head) = merged_release(&github, &port).await;
    let reader = client(
        &github,
        TokenSpec::app("reader", Repositories::Owner(OWNER.into()))
            .permission(Permission::Contents, Access::Read)
            .permission(Permission::PullRequests, Access::Read),
    );
    let err = crate::port(&reader)
        .report_rollout(ENV, &head, "table")
        .await
        .expect_err("reading is not writing");
    assert!(!matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(github.comments(OWNER, NAME, number).is_empty());
}
