use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::files::FileTree;
use crate::ports::{CommitId, ConfigStore};

use super::{tree, Seed, UNKNOWN_COMMIT};

/// How [`config_store_conformance`] gets a [`ConfigStore`] backend to test.
#[async_trait]
pub trait ConfigHarness: Send + Sync {
    /// A fresh store holding `commits` in order: each is the complete tree of a new commit on
    /// the branch of its environment, which moves to it. Returns the store and the commit ids,
    /// in the order of `commits`.
    async fn seeded(&self, commits: Seed) -> (Arc<dyn ConfigStore>, Vec<CommitId>);
}

/// Checks the [`ConfigStore`] contract: heads per environment, exact reads of immutable commits
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
