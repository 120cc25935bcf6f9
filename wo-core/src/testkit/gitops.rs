use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::files::FileTree;
use crate::ports::{
    ChangeProposal, ChangeState, CommitId, GitOpsRepo, MergeMethod, ProposeOutcome, Provenance,
};

use super::{provenance, tree, UNKNOWN_COMMIT};

/// How [`gitops_repo_conformance`] gets a [`GitOpsRepo`] backend to test.
#[async_trait]
pub trait GitOpsHarness: Send + Sync {
    /// A fresh, empty gitops repo (no env branches). The suite writes to it only through the
    /// port.
    async fn fresh(&self) -> Arc<dyn GitOpsRepo>;
}

/// Checks the [`GitOpsRepo`] contract: one open change request per (solution, environment),
/// idempotent proposals, `NoDifference` and the closing of pointless change requests,
/// `Precondition` on a stale base and on a moved branch at merge, merges that carry the
/// provenance and leave other solutions' files untouched, deletions inside the solution,
/// rollback, history order, `NotFound` and `Invalid` cases; for every merge method the backend
/// offers, a head whose provenance is its own or that of the change request `merged_from`
/// names, with the same tree.
///
/// # Panics
/// When the backend breaks the contract, naming the point.
pub async fn gitops_repo_conformance(h: &dyn GitOpsHarness) {
    open_update_unchanged(h.fresh().await).await;
    merge_carries_provenance(h.fresh().await).await;
    no_difference_closes(h.fresh().await).await;
    stale_base_is_precondition(h.fresh().await).await;
    merge_checks_branch_and_head(h.fresh().await).await;
    other_solutions_untouched(h.fresh().await).await;
    rollback_and_history(h.fresh().await).await;
    invalid_proposals_write_nothing(h.fresh().await).await;
    for method in [
        MergeMethod::FastForward,
        MergeMethod::Merge,
        MergeMethod::Squash,
        MergeMethod::Rebase,
    ] {
        merged_by_any_method(h.fresh().await, method).await;
    }
}

/// Whatever the merge method (those the backend offers), the env branch holds the proposal
/// and its head either carries the provenance or `merged_from` names the change request's
/// commit that does, with the same tree.
async fn merged_by_any_method(repo: Arc<dyn GitOpsRepo>, method: MergeMethod) {
    let first = repo
        .propose(proposal("shop", "dev", None, shop_v(1), "s1"))
        .await
        .expect("propose");
    let base = repo
        .merge(first.change_request().expect("opened"))
        .await
        .expect("merge the first change");
    let p = proposal("shop", "dev", Some(base.clone()), shop_v(2), "s2");
    let opened = repo.propose(p.clone()).await.expect("propose");
    let cr = opened.change_request().expect("opened").clone();
    let head = match repo.merge_with(&cr, method).await {
        Ok(head) => head,
        Err(Error::Unsupported { .. }) => return,
        Err(e) => panic!("merge_with {method}: {e}"),
    };
    assert_eq!(
        repo.head("dev").await.expect("head"),
        Some(head.clone()),
        "merge_with {method} returns the new env head"
    );
    assert_eq!(
        repo.read(&head, "shop").await.expect("read"),
        shop_v(2),
        "merged by {method}, the env branch holds the proposal"
    );
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None,
        "merged by {method}, the change request is no longer open"
    );
    let history = repo.history("dev", 2).await.expect("history");
    assert_eq!(history[0].id, head);
    assert_eq!(
        history[1].id, base,
        "merged by {method}, the first parent is the env head before"
    );
    // As the pipeline does: merged_from only for a head without trailers.
    let from = match &history[0].provenance {
        Some(_) => None,
        None => repo.merged_from("dev", &head).await.expect("merged_from"),
    };
    match (&history[0].provenance, &from) {
        (Some(p2), _) => assert_eq!(p2, &p.provenance, "{method}: the trailers are the change's"),
        (None, Some(origin)) => {
            assert_eq!(
                origin.id, cr.head,
                "{method}: merged_from names the change request's commit"
            );
            assert_eq!(origin.provenance.as_ref(), Some(&p.provenance));
            assert_eq!(
                origin.tree, history[0].tree,
                "{method}: the same tree as proposed"
            );
        }
        (None, None) => {
            panic!("merged by {method}, the head has no provenance and merged_from names nothing")
        }
    }
    if method != MergeMethod::FastForward {
        assert_eq!(
            repo.merged_from("dev", &base).await.expect("merged_from"),
            None,
            "a change request commit merged by fast-forward names no other"
        );
    }
    let r = repo
        .merged_from("dev", &CommitId::from(UNKNOWN_COMMIT))
        .await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "merged_from of an unknown commit is NotFound, got {r:?}"
    );
}

fn proposal(
    solution: &str,
    env: &str,
    base: Option<CommitId>,
    files: FileTree,
    source: &str,
) -> ChangeProposal {
    ChangeProposal {
        solution: solution.into(),
        environment: env.into(),
        base,
        files,
        title: format!("Deploy {solution} {source} to {env}"),
        body: format!("Rendered from source commit {source}."),
        provenance: provenance(solution, env, source),
    }
}

fn shop_v(n: u32) -> FileTree {
    tree(&[
        ("shop/berlin-1/values.yaml", &format!("replicas: {n}\n")),
        ("shop/berlin-1/manifests.yaml", "kind: ConfigMap\n"),
        ("shop/release.yaml", &format!("version: {n}\n")),
    ])
}

async fn propose_ok(repo: &dyn GitOpsRepo, p: ChangeProposal) -> ProposeOutcome {
    repo.propose(p)
        .await
        .unwrap_or_else(|e| panic!("propose failed: {e}"))
}

async fn open_and_merge(repo: &dyn GitOpsRepo, p: ChangeProposal) -> CommitId {
    let outcome = propose_ok(repo, p).await;
    let cr = outcome
        .change_request()
        .unwrap_or_else(|| panic!("expected an open change request, got {outcome:?}"));
    repo.merge(cr)
        .await
        .unwrap_or_else(|e| panic!("merge failed: {e}"))
}

async fn open_update_unchanged(repo: Arc<dyn GitOpsRepo>) {
    assert_eq!(
        repo.head("dev").await.expect("head"),
        None,
        "a fresh repo has no env branch"
    );
    assert!(
        repo.history("dev", 10).await.expect("history").is_empty(),
        "no branch, no history"
    );
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None
    );

    let p1 = proposal("shop", "dev", None, shop_v(1), "a1");
    let opened = match propose_ok(&*repo, p1.clone()).await {
        ProposeOutcome::Opened(cr) => cr,
        other => panic!("the first proposal opens a change request, got {other:?}"),
    };
    assert_eq!(opened.state, ChangeState::Open);
    assert_eq!(
        (opened.solution.as_str(), opened.environment.as_str()),
        ("shop", "dev")
    );
    assert_eq!(opened.base, None);
    assert_eq!(opened.provenance, p1.provenance);
    assert_eq!(
        repo.read(&opened.head, "shop").await.expect("read cr head"),
        shop_v(1),
        "the head holds the content"
    );
    assert_eq!(
        repo.head("dev").await.expect("head"),
        None,
        "proposing does not touch the env branch"
    );

    match propose_ok(&*repo, p1.clone()).await {
        ProposeOutcome::Unchanged(cr) => {
            assert_eq!(
                (cr.id.as_str(), &cr.head),
                (opened.id.as_str(), &opened.head),
                "unchanged: same id and head"
            )
        }
        other => panic!("proposing the same content again is Unchanged, got {other:?}"),
    }
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request")
            .as_ref(),
        Some(&opened)
    );
    assert_eq!(
        repo.change_request("shop", "stage")
            .await
            .expect("change_request"),
        None,
        "pairs are separate"
    );
    assert_eq!(
        repo.change_request("other", "dev")
            .await
            .expect("change_request"),
        None,
        "pairs are separate"
    );

    let updated = match propose_ok(&*repo, proposal("shop", "dev", None, shop_v(2), "a2")).await {
        ProposeOutcome::Updated(cr) => cr,
        other => panic!("new content updates the open change request, got {other:?}"),
    };
    assert_eq!(
        updated.id, opened.id,
        "one change request per (solution, environment): the same id"
    );
    assert_ne!(updated.head, opened.head, "an update moves the head");
    assert_eq!(updated.provenance.source_commit, CommitId::from("a2"));
    assert_eq!(
        repo.read(&updated.head, "shop").await.expect("read"),
        shop_v(2)
    );

    // Same files, new provenance (another source commit rendering the same bytes): still an update.
    let p3 = proposal("shop", "dev", None, shop_v(2), "a3");
    match propose_ok(&*repo, p3.clone()).await {
        ProposeOutcome::Updated(cr) => assert_eq!(
            cr.provenance, p3.provenance,
            "the provenance follows the content"
        ),
        other => panic!("a new provenance updates the change request, got {other:?}"),
    }
    assert!(
        matches!(propose_ok(&*repo, p3).await, ProposeOutcome::Unchanged(_)),
        "and then it is unchanged"
    );
    let open = repo
        .change_request("shop", "dev")
        .await
        .expect("change_request")
        .expect("still open");
    assert_eq!(open.id, opened.id, "still the one change request");
}

async fn merge_carries_provenance(repo: Arc<dyn GitOpsRepo>) {
    let p = proposal("shop", "dev", None, shop_v(1), "a1");
    let cr = propose_ok(&*repo, p.clone())
        .await
        .change_request()
        .cloned()
        .expect("opened");
    let head = repo.merge(&cr).await.expect("merge");
    assert_eq!(
        repo.head("dev").await.expect("head"),
        Some(head.clone()),
        "merge moves the env branch"
    );
    assert_eq!(
        repo.read(&head, "shop").await.expect("read"),
        shop_v(1),
        "the branch holds the proposed files"
    );
    let history = repo.history("dev", 10).await.expect("history");
    assert_eq!(
        history.first().map(|c| &c.id),
        Some(&head),
        "history starts at the head"
    );
    assert_eq!(
        history[0].provenance.as_ref(),
        Some(&p.provenance),
        "the merged commit carries the trailers"
    );
    assert_eq!(
        Provenance::from_message(&history[0].message).as_ref(),
        Some(&p.provenance)
    );
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None,
        "merged is no longer open"
    );
    let again = repo.merge(&cr).await;
    assert!(
        matches!(again, Err(Error::NotFound { .. })),
        "merging with no open change request is NotFound: {again:?}"
    );
    assert_eq!(
        repo.head("stage").await.expect("head"),
        None,
        "other env branches are untouched"
    );
}

async fn no_difference_closes(repo: Arc<dyn GitOpsRepo>) {
    let head = open_and_merge(&*repo, proposal("shop", "dev", None, shop_v(1), "a1")).await;
    match propose_ok(
        &*repo,
        proposal("shop", "dev", Some(head.clone()), shop_v(1), "a9"),
    )
    .await
    {
        ProposeOutcome::NoDifference { closed: None } => {}
        other => panic!(
            "content equal to the branch is NoDifference with nothing to close, got {other:?}"
        ),
    }
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None,
        "no change request opened"
    );
    assert_eq!(
        repo.head("dev").await.expect("head"),
        Some(head.clone()),
        "nothing written"
    );

    let opened = propose_ok(
        &*repo,
        proposal("shop", "dev", Some(head.clone()), shop_v(2), "a2"),
    )
    .await;
    let opened = opened.change_request().cloned().expect("opened");
    match propose_ok(
        &*repo,
        proposal("shop", "dev", Some(head.clone()), shop_v(1), "a3"),
    )
    .await
    {
        ProposeOutcome::NoDifference { closed: Some(cr) } => {
            assert_eq!(
                cr.id, opened.id,
                "the open change request of the pair is the one closed"
            );
            assert_eq!(cr.state, ChangeState::Closed);
        }
        other => {
            panic!("going back to the branch content closes the open change request, got {other:?}")
        }
    }
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None,
        "closed is not open"
    );
    assert_eq!(
        repo.head("dev").await.expect("head"),
        Some(head),
        "closing does not touch the branch"
    );

    // An empty solution on a missing branch equals what the branch has: nothing.
    let empty = propose_ok(
        &*repo,
        proposal("shop", "stage", None, FileTree::new(), "a1"),
    )
    .await;
    assert!(
        matches!(empty, ProposeOutcome::NoDifference { closed: None }),
        "empty vs. no branch: {empty:?}"
    );
    assert_eq!(repo.head("stage").await.expect("head"), None);
}

async fn stale_base_is_precondition(repo: Arc<dyn GitOpsRepo>) {
    let stale = proposal(
        "shop",
        "dev",
        Some(CommitId::from(UNKNOWN_COMMIT)),
        shop_v(1),
        "a1",
    );
    let r = repo.propose(stale).await;
    assert!(
        matches!(r, Err(Error::Precondition { .. })),
        "a base on a missing branch is Precondition: {r:?}"
    );
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None,
        "nothing written"
    );

    let head = open_and_merge(&*repo, proposal("shop", "dev", None, shop_v(1), "a1")).await;
    let r = repo
        .propose(proposal("shop", "dev", None, shop_v(2), "a2"))
        .await;
    match &r {
        Err(e @ Error::Precondition { .. }) => {
            assert!(
                e.needs_refresh() && !e.is_retryable(),
                "Precondition needs a fresh read, not a retry"
            )
        }
        other => panic!("base None on an existing branch is Precondition, got {other:?}"),
    }
    let r = repo
        .propose(proposal(
            "shop",
            "dev",
            Some(CommitId::from(UNKNOWN_COMMIT)),
            shop_v(2),
            "a2",
        ))
        .await;
    assert!(
        matches!(r, Err(Error::Precondition { .. })),
        "a base that is not the head is Precondition: {r:?}"
    );
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None,
        "nothing written"
    );
    assert_eq!(repo.head("dev").await.expect("head"), Some(head.clone()));
    let ok = propose_ok(&*repo, proposal("shop", "dev", Some(head), shop_v(2), "a2")).await;
    assert!(
        matches!(ok, ProposeOutcome::Opened(_)),
        "with the fresh base the retry succeeds: {ok:?}"
    );
}

async fn merge_checks_branch_and_head(repo: Arc<dyn GitOpsRepo>) {
    let base = open_and_merge(&*repo, proposal("shop", "dev", None, shop_v(1), "a1")).await;
    let first = propose_ok(
        &*repo,
        proposal("shop", "dev", Some(base.clone()), shop_v(2), "a2"),
    )
    .await;
    let first = first.change_request().cloned().expect("opened");
    let second = propose_ok(
        &*repo,
        proposal("shop", "dev", Some(base.clone()), shop_v(3), "a3"),
    )
    .await;
    let second = second.change_request().cloned().expect("updated");
    let r = repo.merge(&first).await;
    assert!(
        matches!(r, Err(Error::Precondition { .. })),
        "merging a superseded head is Precondition: {r:?}"
    );
    assert_eq!(
        repo.head("dev").await.expect("head"),
        Some(base.clone()),
        "nothing merged"
    );

    // Another solution moves the env branch underneath the open change request.
    let tools = tree(&[("tools/cron/values.yaml", "schedule: daily\n")]);
    let moved = open_and_merge(
        &*repo,
        proposal("tools", "dev", Some(base.clone()), tools.clone(), "t1"),
    )
    .await;
    let r = repo.merge(&second).await;
    assert!(
        matches!(r, Err(Error::Precondition { .. })),
        "merging after the branch moved is Precondition: {r:?}"
    );
    assert_eq!(
        repo.head("dev").await.expect("head"),
        Some(moved.clone()),
        "nothing merged"
    );

    // The caller re-proposes on the new head and merges.
    let rebased = propose_ok(
        &*repo,
        proposal("shop", "dev", Some(moved.clone()), shop_v(3), "a3"),
    )
    .await;
    let rebased = match rebased {
        ProposeOutcome::Updated(cr) => cr,
        other => panic!("the same content on a new base updates the change request, got {other:?}"),
    };
    assert_eq!(rebased.id, second.id);
    assert_eq!(rebased.base, Some(moved));
    let head = repo
        .merge(&rebased)
        .await
        .expect("merge after re-proposing");
    assert_eq!(repo.read(&head, "shop").await.expect("read"), shop_v(3));
    assert_eq!(
        repo.read(&head, "tools").await.expect("read"),
        tools,
        "the other solution's files survive"
    );
}

async fn other_solutions_untouched(repo: Arc<dyn GitOpsRepo>) {
    let extra = tree(&[("shop-tools/job/values.yaml", "a: 1\n")]);
    let h1 = open_and_merge(
        &*repo,
        proposal("shop-tools", "dev", None, extra.clone(), "x1"),
    )
    .await;
    let h2 = open_and_merge(&*repo, proposal("shop", "dev", Some(h1), shop_v(1), "a1")).await;
    assert_eq!(
        repo.read(&h2, "shop").await.expect("read"),
        shop_v(1),
        "`shop/` does not include `shop-tools/`"
    );
    assert_eq!(
        repo.read(&h2, "shop-tools").await.expect("read"),
        extra,
        "files outside `shop/` are untouched"
    );

    // The new content replaces the subtree: files no longer proposed are deleted.
    let smaller = tree(&[("shop/berlin-1/values.yaml", "replicas: 5\n")]);
    let h3 = open_and_merge(
        &*repo,
        proposal("shop", "dev", Some(h2.clone()), smaller.clone(), "a2"),
    )
    .await;
    assert_eq!(
        repo.read(&h3, "shop").await.expect("read"),
        smaller,
        "files left out of the proposal are deleted"
    );
    assert_eq!(
        repo.read(&h3, "shop-tools").await.expect("read"),
        extra,
        "still untouched"
    );
    assert_eq!(
        repo.read(&h2, "shop").await.expect("read"),
        shop_v(1),
        "old commits are immutable"
    );
    let r = repo.read(&CommitId::from(UNKNOWN_COMMIT), "shop").await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "reading an unknown commit is NotFound: {r:?}"
    );
}

async fn rollback_and_history(repo: Arc<dyn GitOpsRepo>) {
    let h1 = open_and_merge(&*repo, proposal("shop", "dev", None, shop_v(1), "a1")).await;
    let h2 = open_and_merge(
        &*repo,
        proposal("shop", "dev", Some(h1.clone()), shop_v(2), "a2"),
    )
    .await;

    // Roll back: propose the content of an earlier commit again.
    let earlier = repo.read(&h1, "shop").await.expect("read");
    let mut p = proposal("shop", "dev", Some(h2.clone()), earlier, "a1");
    p.provenance.promotable = false;
    p.provenance.rollback_of = Some(h1.clone());
    let h3 = open_and_merge(&*repo, p.clone()).await;
    assert_eq!(
        repo.read(&h3, "shop").await.expect("read"),
        shop_v(1),
        "the rollback restores the content"
    );

    let history = repo.history("dev", 10).await.expect("history");
    let ids: Vec<&CommitId> = history.iter().map(|c| &c.id).collect();
    assert_eq!(ids.first(), Some(&&h3), "newest first");
    let pos = |id: &CommitId| {
        ids.iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} not in history"))
    };
    assert!(
        pos(&h3) < pos(&h2) && pos(&h2) < pos(&h1),
        "history is newest first: {ids:?}"
    );
    assert_eq!(
        history[0].provenance.as_ref(),
        Some(&p.provenance),
        "the rollback's provenance is kept"
    );
    assert_eq!(
        history[0]
            .provenance
            .as_ref()
            .and_then(|p| p.rollback_of.as_ref()),
        Some(&h1)
    );
    let sources: Vec<String> = history
        .iter()
        .filter_map(|c| c.provenance.as_ref())
        .map(|p| p.source_commit.to_string())
        .collect();
    assert_eq!(
        sources,
        ["a1", "a2", "a1"],
        "every wo commit names its source commit"
    );

    let limited = repo.history("dev", 1).await.expect("history");
    assert_eq!(limited.len(), 1, "limit is respected");
    assert_eq!(limited[0].id, h3);
    assert!(
        repo.history("dev", 0).await.expect("history").is_empty(),
        "limit 0 lists nothing"
    );
    assert!(
        repo.history("prod", 10).await.expect("history").is_empty(),
        "a missing branch has no history"
    );
}

async fn invalid_proposals_write_nothing(repo: Arc<dyn GitOpsRepo>) {
    let mut outside = shop_v(1);
    outside
        .insert("README.md", "escapes the solution\n")
        .expect("safe path");
    let cases: Vec<(&str, ChangeProposal)> = vec![
        (
            "a file outside <solution>/",
            proposal("shop", "dev", None, outside, "a1"),
        ),
        ("a provenance for another solution", {
            let mut p = proposal("shop", "dev", None, shop_v(1), "a1");
            p.provenance.solution = "other".into();
            p
        }),
        ("a provenance for another environment", {
            let mut p = proposal("shop", "dev", None, shop_v(1), "a1");
            p.provenance.environment = "prod".into();
            p
        }),
        (
            "a solution name that is not a path segment",
            proposal("../shop", "dev", None, FileTree::new(), "a1"),
        ),
    ];
    for (what, p) in cases {
        let r = repo.propose(p).await;
        assert!(
            matches!(r, Err(Error::Invalid(_))),
            "{what} is Invalid, got {r:?}"
        );
    }
    assert_eq!(
        repo.change_request("shop", "dev")
            .await
            .expect("change_request"),
        None,
        "nothing written"
    );
    assert_eq!(
        repo.head("dev").await.expect("head"),
        None,
        "nothing written"
    );
}
