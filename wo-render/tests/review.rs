//! The review written into change requests: the manifest diff and the policy results, within
//! GitHub's size limit.

use std::sync::Arc;

use wo_core::files::FileTree;
use wo_core::memory::InMemoryGitOpsRepo;
use wo_core::ports::{ChangeProposal, CommitId, GitOpsRepo, Provenance};
use wo_render::manifest::GITHUB_COMMENT_LIMIT;
use wo_render::policy::Policy;
use wo_render::ReviewingGitOps;

fn provenance() -> Provenance {
    Provenance {
        solution: "shop".into(),
        environment: "dev".into(),
        source_commit: CommitId::from("a".repeat(40)),
        config_commit: CommitId::from("b".repeat(40)),
        fleet_commit: CommitId::from("c".repeat(40)),
        promotable: true,
        rollback_of: None,
        source_tag: None,
    }
}

fn pod(name: &str, privileged: bool) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext: {{privileged: {privileged}}}\n"
    )
}

fn proposal(files: FileTree) -> ChangeProposal {
    ChangeProposal {
        solution: "shop".into(),
        environment: "dev".into(),
        base: None,
        files,
        title: "shop: dev".into(),
        body: "Provenance: …".into(),
        provenance: provenance(),
    }
}

#[tokio::test]
async fn the_body_carries_the_diff_and_the_policy_results() {
    let repo = ReviewingGitOps::new(Arc::new(InMemoryGitOpsRepo::new()), Policy::default());
    let mut files = FileTree::new();
    files
        .insert("shop/t1/manifests.yaml", pod("web", true))
        .unwrap();
    files.insert("shop/t1/values.yaml", "a: 1\n").unwrap();
    let out = repo.propose(proposal(files)).await.unwrap();
    let body = &out.change_request().unwrap().body;
    assert!(body.starts_with("Provenance: …"), "{body}");
    assert!(body.contains("### Changes to the manifests"), "{body}");
    assert!(body.contains("Pod shop/web"), "{body}");
    assert!(body.contains("### Policy checks"), "{body}");
    assert!(body.contains("WO001"), "{body}");
}

#[tokio::test]
async fn a_huge_change_stays_within_the_size_limit() {
    let repo = ReviewingGitOps::new(Arc::new(InMemoryGitOpsRepo::new()), Policy::default());
    let mut files = FileTree::new();
    for t in 0..2_000 {
        let docs = (0..3)
            .map(|i| pod(&format!("web-{t}-{i}"), i == 0))
            .collect::<Vec<_>>()
            .join("---\n");
        files
            .insert(format!("shop/t{t}/manifests.yaml"), docs)
            .unwrap();
    }
    let out = repo.propose(proposal(files)).await.unwrap();
    let body = &out.change_request().unwrap().body;
    assert!(
        body.chars().count() <= GITHUB_COMMENT_LIMIT,
        "{} characters",
        body.chars().count()
    );
    assert!(body.contains("### Policy checks"));
    assert!(body.ends_with('\n'));
}

#[tokio::test]
async fn the_review_checks_with_the_policy_the_release_carries_and_forwards_marks() {
    use wo_core::ports::{ChangeCheck, PolicyVerdict, POLICY_BLOCKED_LABEL};

    let inner = InMemoryGitOpsRepo::new();
    let repo = ReviewingGitOps::new(Arc::new(inner.clone()), Policy::default());
    let mut files = FileTree::new();
    files
        .insert("shop/t1/manifests.yaml", pod("web", true))
        .unwrap();
    files
        .insert(
            "shop/policy.yaml",
            "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - rule: WO001\n    name: web\n    reason: the node agent\n",
        )
        .unwrap();
    let out = repo.propose(proposal(files)).await.unwrap();
    let cr = out.change_request().unwrap();
    assert!(
        cr.body.contains("; 1 suppressed by exceptions") && !cr.body.contains("WO001"),
        "{}",
        cr.body
    );

    let blocked = PolicyVerdict {
        blocking: 1,
        ..PolicyVerdict::default()
    };
    repo.set_check(cr, &ChangeCheck::of(&blocked))
        .await
        .unwrap();
    assert_eq!(inner.labels(&cr.id), vec![POLICY_BLOCKED_LABEL.to_string()]);
    assert_eq!(inner.statuses(&cr.head).len(), 1);
}

/// The review is not computed when the body goes unused: content the env branch holds
/// (`NoDifference`), or the content, base and provenance the open change request holds
/// (`Unchanged`). A manifests file the review cannot parse shows it: reviewing it would fail.
#[tokio::test]
async fn no_review_is_computed_for_a_proposal_whose_body_goes_unused() {
    use wo_core::ports::ProposeOutcome;

    let inner = InMemoryGitOpsRepo::new();
    let repo = ReviewingGitOps::new(Arc::new(inner.clone()), Policy::default());
    let mut files = FileTree::new();
    files
        .insert("shop/t1/manifests.yaml", "kind: [not, a, resource]\n")
        .unwrap();
    // Opened without the review (the inner repository), then the same again: unchanged.
    let opened = inner.propose(proposal(files.clone())).await.unwrap();
    let same = repo.propose(proposal(files.clone())).await.unwrap();
    assert!(matches!(same, ProposeOutcome::Unchanged(_)), "{same:?}");
    // Another content is reviewed (and the review fails on the file).
    let mut other = files.clone();
    other.insert("shop/t1/values.yaml", "a: 1\n").unwrap();
    let err = repo.propose(proposal(other)).await.unwrap_err();
    assert!(err.to_string().contains("shop/t1/manifests.yaml"), "{err}");

    // Merged: the env branch holds the content, proposing it again is no difference.
    let head = inner.merge(opened.change_request().unwrap()).await.unwrap();
    let again = ChangeProposal {
        base: Some(head),
        ..proposal(files)
    };
    let out = repo.propose(again).await.unwrap();
    assert!(
        matches!(out, ProposeOutcome::NoDifference { .. }),
        "{out:?}"
    );
}
