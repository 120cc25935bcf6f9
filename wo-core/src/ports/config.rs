//! The config store port: an app config repo or a platform config repo.

use async_trait::async_trait;

use crate::error::{Error, Location, Result};
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

    /// The file at `path` (relative to the repo root) in `commit`; `None` when it has none.
    /// The default reads the whole commit; backends that can fetch one file override it.
    ///
    /// # Errors
    /// As [`read`](ConfigStore::read).
    async fn read_file(&self, commit: &CommitId, path: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.read(commit).await?.get(path).map(<[u8]>::to_vec))
    }
}

/// Files proposed to an environment branch of a config repo, for review: one commit on top of
/// the branch's head, on a branch of the proposer's own (`wo/fleet-import/dev`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChange {
    /// The environment branch the change is for.
    pub environment: String,
    /// The head of that branch the files were computed against; the commit's parent.
    pub base: CommitId,
    /// The proposer's branch holding the change. Never an environment branch.
    pub branch: String,
    /// The files written (added or replaced; other files of `base` are kept), paths relative
    /// to the repo root.
    pub files: FileTree,
    /// The change request's title (the commit message's first line).
    pub title: String,
    /// Its description (the rest of the commit message).
    pub body: String,
}

impl ConfigChange {
    /// The checks every backend makes before writing anything.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `branch` is empty, is the environment branch itself, or is
    /// not a safe branch name (`/`-separated safe path segments, no `..`, no `.lock` ending).
    pub fn check(&self) -> Result<()> {
        let at = || Location::file("<change>").with_key("branch");
        let bad = |why: &str| {
            Err(Error::invalid(
                at(),
                format!("`{}` {why}", self.branch.escape_debug()),
            ))
        };
        if self.branch == self.environment {
            return bad(
                "is the environment branch itself; a change is proposed on a branch of its own",
            );
        }
        if self.branch.is_empty()
            || self.branch.ends_with(".lock")
            || crate::files::check_relative_path(&self.branch).is_err()
        {
            return bad("is not a branch name a change can be proposed on");
        }
        Ok(())
    }

    /// The commit message: the title, a blank line, the body.
    pub fn message(&self) -> String {
        if self.body.is_empty() {
            format!("{}\n", self.title)
        } else {
            format!("{}\n\n{}", self.title, self.body)
        }
    }
}

/// What a [`ConfigChanges::propose`] did to the proposer's branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BranchWrite {
    /// The branch did not exist; it was created.
    Created,
    /// The branch pointed elsewhere; it was moved to the new commit.
    Updated,
    /// The branch already held exactly this change on this base; nothing was written.
    Unchanged,
}

/// The proposer's branch after [`ConfigChanges::propose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedChange {
    /// The branch.
    pub branch: String,
    /// Its head: one commit on top of the change's base.
    pub head: CommitId,
    /// What was done to the branch.
    pub write: BranchWrite,
    /// The review request a hosting service keeps for it (a GitHub pull request); `None` on a
    /// plain git host, where the branch is the proposal.
    pub review: Option<ReviewRequest>,
}

/// A review request (pull request) of a hosting service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    /// Its number.
    pub number: u64,
    /// Its page, when the service has one.
    pub url: Option<String>,
}

/// A config repo that takes proposed changes: how a tool proposes files to an environment
/// branch it must not write directly (`wo fleet import` proposing `fleet.yaml` to the
/// platform config repo).
///
/// # Contract
///
/// - [`propose`](ConfigChanges::propose) makes `change.branch` point at one commit whose only
///   parent is `change.base` and whose tree is `base`'s with `change.files` written, and
///   returns it. The environment branch is never moved.
/// - Idempotent: when the branch already points at such a commit (same base, same tree),
///   nothing is written ([`BranchWrite::Unchanged`]) and the same head is returned.
/// - Otherwise the branch is created ([`BranchWrite::Created`]) or moved to the new commit
///   ([`BranchWrite::Updated`]), **with force**: the branch is the proposer's own and is rebuilt
///   on the current base each time.
/// - A backend with review requests keeps exactly one open for the branch, into the
///   environment branch, with the change's title and body.
///
/// # Errors
///
/// - [`Error::Invalid`] from [`ConfigChange::check`] (an environment branch, a bad branch
///   name) and for an unsafe file path; nothing is written.
/// - [`Error::NotFound`] for a `base` the repo does not have.
/// - [`Error::Backend`] for transport and service failures.
///
/// # Example
///
/// ```
/// use wo_core::files::FileTree;
/// use wo_core::memory::InMemoryConfigStore;
/// use wo_core::ports::{BranchWrite, ConfigChange, ConfigChanges, ConfigStore};
///
/// # futures::executor::block_on(async {
/// let platform = InMemoryConfigStore::new();
/// let base = platform.commit("dev", FileTree::new());
/// let mut files = FileTree::new();
/// files.insert("fleet.yaml", "apiVersion: wo/v1\n")?;
/// let change = ConfigChange {
///     environment: "dev".into(),
///     base: base.clone(),
///     branch: "wo/fleet-import/dev".into(),
///     files,
///     title: "wo fleet import: dev".into(),
///     body: String::new(),
/// };
/// let first = platform.propose(&change).await?;
/// assert_eq!(first.write, BranchWrite::Created);
/// assert_eq!(platform.propose(&change).await?.write, BranchWrite::Unchanged);
/// assert_eq!(platform.head("dev").await?, base, "the environment branch does not move");
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait ConfigChanges: ConfigStore {
    /// Proposes `change` on its branch.
    async fn propose(&self, change: &ConfigChange) -> Result<ProposedChange>;
}
