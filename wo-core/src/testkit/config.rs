use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::files::FileTree;
use crate::ports::{BranchWrite, CommitId, ConfigChange, ConfigChanges};

use super::{tree, Seed, UNKNOWN_COMMIT};

/// How [`config_store_conformance`] and [`config_changes_conformance`] get a config repo
/// backend ([`ConfigStore`](crate::ports::ConfigStore) with [`ConfigChanges`]) to test.
#[async_trait]
pub trait ConfigHarness: Send + Sync {
    /// A fresh store holding `commits` in order: each is the complete tree of a new commit on
    /// the branch of its environment, which moves to it. Returns the store and the commit ids,
    /// in the order of `commits`.
    async fn seeded(&self, commits: Seed) -> (Arc<dyn ConfigChanges>, Vec<CommitId>);
}

/// Checks the [`ConfigStore`](crate::ports::ConfigStore) contract: heads per environment, exact reads of immutable commits
/// (binary content included), `NotFound` for unknown environments and commits.
///
/// # Panics
/// When the backend breaks the contract, naming the point.
pub async fn config_store_conformance(h: &dyn ConfigHarness) {
    let dev1 = tree(&[
        ("values.yaml", "logLevel: debug\n"),
        ("levels/region/eu-west.yaml", "replicas: 2\n"),
    ]);
    let mut dev2 = tree(&[
        ("values.yaml", "logLevel: info\n"),
        ("levels/region/eu-west.yaml", "replicas: 3\n"),
        ("targets/berlin-1.yaml", "featureX: on\n"),
    ]);
    dev2.insert("certs/ca.der", vec![0x30u8, 0x82, 0x00, 0xff, 0xfe])
        .expect("safe path");
    let prod = tree(&[("values.yaml", "logLevel: warn\n")]);
    let (store, ids) = h
        .seeded(vec![
            ("dev".into(), dev1.clone()),
            ("prod".into(), prod.clone()),
            ("dev".into(), dev2.clone()),
        ])
        .await;
    assert_eq!(ids.len(), 3, "the harness returns one id per seeded commit");

    assert_eq!(
        store.head("dev").await.expect("head dev"),
        ids[2],
        "the env branch points at its last commit"
    );
    assert_eq!(
        store.head("prod").await.expect("head prod"),
        ids[1],
        "env branches are independent"
    );
    let r = store.head("stage").await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "an env without a branch is NotFound, got {r:?}"
    );

    assert_eq!(
        store.read(&ids[2]).await.expect("read dev head"),
        dev2,
        "a commit reads exactly, bytes included"
    );
    assert_eq!(
        store.read(&ids[0]).await.expect("read old dev"),
        dev1,
        "an old commit still reads as committed"
    );
    assert_eq!(store.read(&ids[1]).await.expect("read prod"), prod);
    let r: Result<FileTree, _> = store.read(&CommitId::from(UNKNOWN_COMMIT)).await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "reading an unknown commit is NotFound, got {r:?}"
    );
}

fn change(env: &str, base: &CommitId, branch: &str, files: &[(&str, &str)]) -> ConfigChange {
    ConfigChange {
        environment: env.to_string(),
        base: base.clone(),
        branch: branch.to_string(),
        files: tree(files),
        title: format!("wo fleet import: {env}"),
        body: "The targets of a resource group.\n".to_string(),
    }
}

/// Checks the [`ConfigChanges`] contract: a proposal is one commit on its base with the
/// files written and the others kept, on the proposer's branch (the environment branch never
/// moves); proposing the same again writes nothing; a changed proposal or a new base moves
/// the branch; bad branches are refused and an unknown base is `NotFound`; a backend with
/// review requests keeps one per branch.
///
/// # Panics
/// When the backend breaks the contract, naming the point.
pub async fn config_changes_conformance(h: &dyn ConfigHarness) {
    let dev = tree(&[
        ("fleet.yaml", "environment: dev\ntargets: []\n"),
        ("values.yaml", "logLevel: debug\n"),
    ]);
    let prod = tree(&[("fleet.yaml", "environment: prod\n")]);
    let (store, ids) = h
        .seeded(vec![("dev".into(), dev.clone()), ("prod".into(), prod)])
        .await;
    let branch = "wo/fleet-import/dev";
    let new_fleet = "environment: dev\ntargets: [{name: a}]\n";
    let first_change = change(
        "dev",
        &ids[0],
        branch,
        &[("fleet.yaml", new_fleet), ("levels/site/x.yaml", "a: 1\n")],
    );
    let first = store.propose(&first_change).await.expect("propose");
    assert_eq!(first.write, BranchWrite::Created, "a new branch is created");
    assert_eq!(first.branch, branch);
    let mut expected = dev.clone();
    expected.insert("fleet.yaml", new_fleet).expect("path");
    expected
        .insert("levels/site/x.yaml", "a: 1\n")
        .expect("path");
    assert_eq!(
        store.read(&first.head).await.expect("read the proposal"),
        expected,
        "the proposal is the base's files with the change's written and the others kept"
    );
    assert_eq!(
        store
            .read_file(&first.head, "fleet.yaml")
            .await
            .expect("read one file"),
        Some(new_fleet.as_bytes().to_vec()),
        "read_file reads one file of a commit"
    );
    assert_eq!(
        store
            .read_file(&first.head, "missing.yaml")
            .await
            .expect("read a missing file"),
        None,
        "read_file of a missing file is None"
    );
    assert_eq!(
        store.head("dev").await.expect("head dev"),
        ids[0],
        "the environment branch never moves"
    );

    let again = store.propose(&first_change).await.expect("propose again");
    assert_eq!(
        again.write,
        BranchWrite::Unchanged,
        "the same proposal writes nothing"
    );
    assert_eq!(again.head, first.head);
    if let Some(review) = &first.review {
        assert_eq!(
            again.review.as_ref().map(|r| r.number),
            Some(review.number),
            "one review request per branch"
        );
    }

    let changed = store
        .propose(&change(
            "dev",
            &ids[0],
            branch,
            &[("fleet.yaml", "environment: dev\ntargets: [{name: b}]\n")],
        ))
        .await
        .expect("propose a changed proposal");
    assert_eq!(
        changed.write,
        BranchWrite::Updated,
        "a changed proposal moves the branch"
    );
    assert_ne!(changed.head, first.head);
    assert_eq!(
        store
            .read_file(&changed.head, "levels/site/x.yaml")
            .await
            .expect("read"),
        None,
        "the branch is rebuilt on the base, not on its previous head"
    );
    if let (Some(a), Some(b)) = (&first.review, &changed.review) {
        assert_eq!(a.number, b.number, "the same review request is updated");
    }

    // Rebuilt on another base (the environment moved on): the base's files, then the change.
    let rebased = store
        .propose(&change(
            "dev",
            &ids[1],
            branch,
            &[("values.yaml", "x: 1\n")],
        ))
        .await
        .expect("propose on another base");
    assert_eq!(rebased.write, BranchWrite::Updated);
    assert_eq!(
        store.read(&rebased.head).await.expect("read"),
        tree(&[
            ("fleet.yaml", "environment: prod\n"),
            ("values.yaml", "x: 1\n")
        ]),
    );

    for bad in ["dev", "", "wo/../x", "x.lock"] {
        let r = store.propose(&change("dev", &ids[0], bad, &[])).await;
        assert!(
            matches!(r, Err(Error::Invalid(_))),
            "branch {bad:?} is refused as Invalid, got {r:?}"
        );
    }
    let r = store
        .propose(&change(
            "dev",
            &CommitId::from(UNKNOWN_COMMIT),
            "wo/other",
            &[("a", "b")],
        ))
        .await;
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "an unknown base is NotFound, got {r:?}"
    );
}
