use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::ports::{CommitId, CommitState, CommitStatus, SourceRepo};

use super::{tree, Seed, UNKNOWN_COMMIT};

/// How [`source_repo_conformance`] gets a [`SourceRepo`] backend to test.
#[async_trait]
pub trait SourceHarness: Send + Sync {
    /// A fresh repo holding `commits` in order: each is the complete tree of a new commit that
    /// becomes the child of its branch's previous head and moves the branch. Returns the repo
    /// and the commit ids, in the order of `commits`.
    async fn seeded(&self, commits: Seed) -> (Arc<dyn SourceRepo>, Vec<CommitId>);

    /// Like [`seeded`](Self::seeded), then each `(name, i, annotated)` of `tags` tags commit
    /// `i` of `commits` as `name` (an annotated tag when `annotated`, where the backend has
    /// them). `None` when the harness cannot make tags: the suite then skips the tag checks.
    async fn seeded_with_tags(
        &self,
        commits: Seed,
        tags: Vec<(String, usize, bool)>,
    ) -> Option<(Arc<dyn SourceRepo>, Vec<CommitId>)> {
        let _ = (commits, tags);
        None
    }
}

/// Checks the [`SourceRepo`] contract: resolving names and ids, exact and filtered reads of
/// immutable commits, status contexts that replace but never overwrite each other, which
/// commits are on a branch, the tags of a commit, `NotFound` for unknown names and commits.
///
/// # Panics
/// When the backend breaks the contract, naming the point.
pub async fn source_repo_conformance(h: &dyn SourceHarness) {
    let first = tree(&[
        ("wo/app.yaml", "name: shop\n"),
        ("src/main.rs", "fn main() {}\n"),
    ]);
    let second = tree(&[
        ("wo/app.yaml", "name: shop\nversion: 2\n"),
        ("wo/schema.yaml", "rules: {}\n"),
        ("chart/Chart.yaml", "name: shop\n"),
        ("chart/templates/cm.yaml", "kind: ConfigMap\n"),
        ("wo-notes/readme.md", "not the bundle\n"),
        ("src/main.rs", "fn main() { run() }\n"),
    ]);
    let tagged = tree(&[("wo/app.yaml", "name: shop\nversion: 3\n")]);
    let (repo, ids) = h
        .seeded(vec![
            ("main".into(), first.clone()),
            ("main".into(), second.clone()),
            ("release".into(), tagged),
        ])
        .await;
    assert_eq!(ids.len(), 3, "the harness returns one id per seeded commit");

    // resolve
    assert_eq!(
        repo.resolve("main").await.expect("resolve main"),
        ids[1],
        "a branch resolves to its head"
    );
    assert_eq!(
        repo.resolve("release").await.expect("resolve release"),
        ids[2]
    );
    assert_eq!(
        repo.resolve(ids[0].as_str()).await.expect("resolve an id"),
        ids[0],
        "a full id resolves to itself"
    );
    assert_eq!(
        repo.resolve(&ids[0].as_str()[..7])
            .await
            .expect("resolve a short id"),
        ids[0],
        "a unique short id resolves to the full id"
    );
    let missing = repo.resolve("no-such-branch").await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "an unknown name is NotFound, got {missing:?}"
    );

    // read_tree: exact, immutable, filtered by directory
    assert_eq!(
        repo.read_tree(&ids[0], &[]).await.expect("read first"),
        first,
        "an old commit reads as committed"
    );
    assert_eq!(
        repo.read_tree(&ids[1], &[]).await.expect("read second"),
        second,
        "the whole tree, exactly"
    );
    let bundle = repo
        .read_tree(&ids[1], &["wo".into(), "chart".into()])
        .await
        .expect("read filtered");
    let paths: Vec<&str> = bundle.iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        ["chart/Chart.yaml", "chart/templates/cm.yaml", "wo/app.yaml", "wo/schema.yaml"],
        "dirs select whole directories only (`wo` does not select `wo-notes/`), paths stay rooted at the repo"
    );
    assert_eq!(bundle.get("wo/app.yaml"), second.get("wo/app.yaml"));
    let unknown = CommitId::from(UNKNOWN_COMMIT);
    let r = repo.read_tree(&unknown, &[]).await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "read_tree of an unknown commit is NotFound, got {r:?}"
    );

    // statuses
    let head = &ids[1];
    assert!(
        repo.statuses(head).await.expect("statuses").is_empty(),
        "a new commit has no statuses"
    );
    let steps = [
        CommitStatus::for_environment("dev", CommitState::Pending, "deploying"),
        CommitStatus::for_target("dev", "berlin-1", CommitState::Failure, "install failed")
            .with_url("https://example.invalid/run/1"),
        CommitStatus::for_target("dev", "paris-1", CommitState::Success, "deployed"),
        CommitStatus::for_environment("stage", CommitState::Pending, "waiting"),
        CommitStatus::for_environment("dev", CommitState::Failure, "1 of 2 targets failed"),
    ];
    for s in steps {
        repo.set_status(head, s).await.expect("set_status");
    }
    let got = repo.statuses(head).await.expect("statuses");
    let contexts: Vec<&str> = got.iter().map(|s| s.context.as_str()).collect();
    assert_eq!(
        contexts,
        ["wo/dev", "wo/dev/berlin-1", "wo/dev/paris-1", "wo/stage"],
        "one status per context, sorted; different contexts never overwrite each other"
    );
    assert_eq!(
        got[0].state,
        CommitState::Failure,
        "the same context is replaced by the latest status"
    );
    assert_eq!(got[0].description, "1 of 2 targets failed");
    assert_eq!(
        got[1].target_url.as_deref(),
        Some("https://example.invalid/run/1"),
        "target_url is kept"
    );
    assert_eq!(got[2].state, CommitState::Success);
    assert!(
        repo.statuses(&ids[0]).await.expect("statuses").is_empty(),
        "statuses belong to one commit"
    );
    let r = repo
        .set_status(
            &unknown,
            CommitStatus::for_environment("dev", CommitState::Success, "x"),
        )
        .await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "set_status on an unknown commit is NotFound, got {r:?}"
    );
    let r = repo.statuses(&unknown).await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "statuses of an unknown commit is NotFound, got {r:?}"
    );

    // on_branch: the head and its ancestors, nothing of another branch
    for (i, branch, on) in [
        (0, "main", true),
        (1, "main", true),
        (2, "main", false),
        (2, "release", true),
        (0, "release", false),
    ] {
        assert_eq!(
            repo.on_branch(&ids[i], branch).await.expect("on_branch"),
            on,
            "commit {i} is {}on `{branch}`: a branch holds its head and the head's ancestors",
            if on { "" } else { "not " }
        );
    }
    let r = repo.on_branch(&ids[0], "no-such-branch").await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "on_branch of an unknown branch is NotFound, got {r:?}"
    );
    let r = repo.on_branch(&unknown, "main").await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "on_branch of an unknown commit is NotFound, got {r:?}"
    );
    assert!(
        repo.tags_of(&ids[1]).await.expect("tags_of").is_empty(),
        "no tag points at an untagged commit"
    );
    let r = repo.tags_of(&unknown).await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "tags_of an unknown commit is NotFound, got {r:?}"
    );

    // tags_of: every tag pointing at the commit, annotated ones peeled, sorted by name
    let tagged = h
        .seeded_with_tags(
            vec![
                ("main".into(), tree(&[("a.txt", "1\n")])),
                ("main".into(), tree(&[("a.txt", "2\n")])),
            ],
            vec![
                ("v1.9.0".into(), 1, false),
                ("v1.10.0".into(), 1, true),
                ("v1.0.0".into(), 0, true),
            ],
        )
        .await;
    if let Some((repo, ids)) = tagged {
        assert_eq!(
            repo.tags_of(&ids[1]).await.expect("tags_of"),
            ["v1.10.0", "v1.9.0"],
            "lightweight and annotated tags of the commit, sorted by name"
        );
        assert_eq!(repo.tags_of(&ids[0]).await.expect("tags_of"), ["v1.0.0"]);
        assert_eq!(
            repo.resolve("v1.10.0").await.expect("resolve a tag"),
            ids[1]
        );
    }
}
