//! The policy gate's marks on a gitops pull request against the fake GitHub: commit status
//! `wo/policy` on the pull request's head commit and the label `wo/policy-blocked`.

use wo_core::files::FileTree;
use wo_core::ports::{
    ChangeCheck, ChangeProposal, GitOpsRepo, PolicyVerdict, POLICY_BLOCKED_LABEL, POLICY_CONTEXT,
};
use wo_github::client::{GitHub, RepoId};
use wo_github::repos::{GitHubGitOpsRepo, GitHubRepo};
use wo_github_fake::{Access, FakeGitHub, Permission, Repositories, TokenSpec};

const OWNER: &str = "octo";
const NAME: &str = "gitops";

#[tokio::test]
async fn a_blocking_verdict_fails_the_status_and_labels_the_pull_request() {
    let github = FakeGitHub::start().await.expect("start the fake GitHub");
    github.create_repo(OWNER, NAME);
    github.push_files(
        OWNER,
        NAME,
        "dev",
        &[("README.md", Some("gitops\n"))],
        "Start dev",
    );
    let client = GitHub::builder()
        .base_url(github.base_url())
        .token(
            github.issue_token(
                TokenSpec::app("wo", Repositories::Owner(OWNER.into()))
                    .permission(Permission::Contents, Access::Write)
                    .permission(Permission::PullRequests, Access::Write)
                    .permission(Permission::Statuses, Access::Write),
            ),
        )
        .build()
        .expect("client");
    let port = GitHubGitOpsRepo::new(GitHubRepo::new(client, RepoId::new(OWNER, NAME)));

    let mut files = FileTree::new();
    files
        .insert("shop/dev-1/manifests.yaml", "kind: ConfigMap\n")
        .unwrap();
    let base = port.head("dev").await.unwrap();
    let proposal = ChangeProposal {
        solution: "shop".into(),
        environment: "dev".into(),
        base: base.clone(),
        files,
        title: "shop: dev ← source a1".into(),
        body: "Rendered by wo.".into(),
        provenance: wo_core::testkit::provenance("shop", "dev", &"a".repeat(40)),
    };
    let cr = port
        .propose(proposal)
        .await
        .unwrap()
        .change_request()
        .cloned()
        .unwrap();
    assert_ne!(Some(cr.head.clone()), base);

    let blocked = PolicyVerdict {
        blocking: 2,
        ..PolicyVerdict::default()
    };
    port.set_check(&cr, &ChangeCheck::of(&blocked))
        .await
        .unwrap();
    let statuses = github.statuses(OWNER, NAME, cr.head.as_str());
    let status = statuses
        .iter()
        .rev()
        .find(|s| s.context == POLICY_CONTEXT)
        .expect("status wo/policy");
    assert_eq!(status.state, "failure");
    assert_eq!(
        status.description.as_deref(),
        Some("2 blocking policy findings")
    );
    let pr = github
        .pulls(OWNER, NAME)
        .into_iter()
        .find(|p| p.number.to_string() == cr.id)
        .unwrap();
    assert_eq!(pr.labels, vec![POLICY_BLOCKED_LABEL.to_string()]);

    // Marking again is harmless; a green verdict sets success.
    port.set_check(&cr, &ChangeCheck::of(&blocked))
        .await
        .unwrap();
    port.set_check(&cr, &ChangeCheck::of(&PolicyVerdict::default()))
        .await
        .unwrap();
    let last = github
        .statuses(OWNER, NAME, cr.head.as_str())
        .into_iter()
        .rev()
        .find(|s| s.context == POLICY_CONTEXT)
        .unwrap();
    assert_eq!(last.state, "success");
}
