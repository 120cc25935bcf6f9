//! The config store port: an app config repo or a platform config repo.

use async_trait::async_trait;

use crate::error::Result;
use crate::files::FileTree;

use super::CommitId;

/// A config repo with one branch per environment: the app config repo (application values)
/// or the platform config repo (the fleet and platform values). One trait serves both.
///
/// The flows read an environment in two steps, so that the commit they read can be named in
/// the [`Provenance`](super::Provenance) of what they produce: first the head of the env
/// branch, then the files at that commit.
///
/// # Contract
///
/// - [`head`](ConfigStore::head) returns the commit the branch of `env` points to now.
/// - [`read`](ConfigStore::read) returns every file of a commit, exactly as committed, paths
///   relative to the repo root. A commit is immutable: reading it again gives the same tree,
///   whatever happened to the branch since.
///
/// # Errors
///
/// - [`Error::NotFound`](crate::Error::NotFound) for an environment without a branch, and for a
///   commit the repo does not have.
/// - [`Error::Backend`](crate::Error::Backend) for transport and service failures.
///
/// # Example
///
/// ```
/// use wo_core::files::FileTree;
/// use wo_core::memory::InMemoryConfigStore;
/// use wo_core::ports::ConfigStore;
///
/// # futures::executor::block_on(async {
/// let config = InMemoryConfigStore::new();
/// let mut dev = FileTree::new();
/// dev.insert("values.yaml", "logLevel: debug\n")?;
/// let first = config.commit("dev", dev);
///
/// let head = config.head("dev").await?;
/// assert_eq!(head, first);
/// assert_eq!(config.read(&head).await?.text("values.yaml")?, Some("logLevel: debug\n"));
/// assert!(matches!(config.head("prod").await, Err(wo_core::Error::NotFound { .. })));
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// The head commit of the branch of environment `env`.
    async fn head(&self, env: &str) -> Result<CommitId>;

    /// All files of `commit`, paths relative to the repo root.
    async fn read(&self, commit: &CommitId) -> Result<FileTree>;
}
