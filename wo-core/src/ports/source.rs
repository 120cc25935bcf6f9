//! The source repo port: solution bundles at a commit, and commit statuses.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;
use crate::files::FileTree;

use super::CommitId;

/// The state of a commit status, as git hosts spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitState {
    /// Work has started (a change request is open, a deploy runs).
    Pending,
    /// Deployed successfully.
    Success,
    /// Deployed and failed on at least one target.
    Failure,
    /// The flow itself failed (bad input, backend unreachable).
    Error,
}

impl CommitState {
    /// `pending`, `success`, `failure` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommitState::Pending => "pending",
            CommitState::Success => "success",
            CommitState::Failure => "failure",
            CommitState::Error => "error",
        }
    }
}

impl fmt::Display for CommitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One status on a source commit: what wo knows about that commit in one environment
/// (`wo/<env>`) or on one target of it (`wo/<env>/<target>`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitStatus {
    /// The key of the status: `wo/<env>` or `wo/<env>/<target>`.
    pub context: String,
    /// The state.
    pub state: CommitState,
    /// One line for humans.
    pub description: String,
    /// A link to details (the workflow run, the change request), when there is one.
    pub target_url: Option<String>,
}

impl CommitStatus {
    /// The status of the source commit in environment `env` (context `wo/<env>`).
    pub fn for_environment(env: &str, state: CommitState, description: impl Into<String>) -> Self {
        Self {
            context: format!("wo/{env}"),
            state,
            description: description.into(),
            target_url: None,
        }
    }

    /// The status of the source commit on one target of `env` (context `wo/<env>/<target>`).
    pub fn for_target(
        env: &str,
        target: &str,
        state: CommitState,
        description: impl Into<String>,
    ) -> Self {
        Self {
            context: format!("wo/{env}/{target}"),
            state,
            description: description.into(),
            target_url: None,
        }
    }

    /// The same status with a link.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.target_url = Some(url.into());
        self
    }
}

/// The source repo of a solution (the app repo, or the platform control plane repo): code,
/// chart, schema, template and solution spec, read at a commit; and the commit statuses through
/// which wo reports per environment and per target.
///
/// # Contract
///
/// - [`resolve`](SourceRepo::resolve) turns a branch or tag name, a full commit id of the
///   repo, or a unique short id (a prefix of at least 7 hex digits, as `git log --oneline`
///   shows) into the full commit id it names now.
/// - [`read_tree`](SourceRepo::read_tree) returns the files of a commit, exactly as committed,
///   with paths relative to the repo root. With `dirs` non-empty, only the files under those
///   directories are returned (a backend may then skip reading the rest); an empty `dirs` reads
///   the whole tree. Reading the same commit twice gives the same tree.
/// - [`set_status`](SourceRepo::set_status) records a status on a commit. A status replaces the
///   earlier one with the same `context`; statuses with different contexts never overwrite each
///   other.
/// - [`statuses`](SourceRepo::statuses) returns the latest status per context, sorted by
///   context.
/// - [`on_branch`](SourceRepo::on_branch) says whether `commit` is on `branch` now: it is the
///   branch's head or one of its ancestors. This is how wo decides that a commit came from the
///   main branch: by the repository, never by what an event claims.
/// - [`tags_of`](SourceRepo::tags_of) lists the names of the tags that point at `commit` now
///   (annotated tags peeled to their commit), sorted by name; empty when none does.
///
/// # Errors
///
/// - [`Error::NotFound`](crate::Error::NotFound): `resolve` of a name or id the repo does not
///   have; `read_tree`, `set_status`, `statuses`, `on_branch` or `tags_of` on a commit the repo
///   does not have; `on_branch` of a branch the repo does not have.
/// - [`Error::Backend`](crate::Error::Backend) for transport and service failures, with
///   `retryable` set when trying again can help.
///
/// # Example
///
/// ```
/// use wo_core::files::FileTree;
/// use wo_core::memory::InMemorySourceRepo;
/// use wo_core::ports::{CommitState, CommitStatus, SourceRepo};
///
/// # futures::executor::block_on(async {
/// let repo = InMemorySourceRepo::new();
/// let mut tree = FileTree::new();
/// tree.insert("wo/app.yaml", "kind: Application\n")?;
/// tree.insert("src/main.rs", "fn main() {}\n")?;
/// let first = repo.commit("main", tree);
///
/// let head = repo.resolve("main").await?;
/// assert_eq!(head, first);
/// let bundle = repo.read_tree(&head, &["wo".to_string()]).await?;
/// assert_eq!(bundle.len(), 1);
///
/// repo.set_status(&head, CommitStatus::for_environment("dev", CommitState::Pending, "deploying")).await?;
/// repo.set_status(&head, CommitStatus::for_target("dev", "berlin-1", CommitState::Success, "deployed")).await?;
/// repo.set_status(&head, CommitStatus::for_environment("dev", CommitState::Success, "deployed")).await?;
/// let statuses = repo.statuses(&head).await?;
/// assert_eq!(statuses.len(), 2);
/// assert_eq!(statuses[0].context, "wo/dev");
/// assert_eq!(statuses[0].state, CommitState::Success);
///
/// // A commit of a feature branch is not on main; a tag names a commit.
/// let feature = repo.commit("feature", FileTree::new());
/// assert!(repo.on_branch(&head, "main").await?);
/// assert!(!repo.on_branch(&feature, "main").await?);
/// repo.tag("v1.0.0", &head)?;
/// assert_eq!(repo.tags_of(&head).await?, ["v1.0.0"]);
/// assert!(repo.tags_of(&feature).await?.is_empty());
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait SourceRepo: Send + Sync {
    /// The commit a branch, tag or full commit id names now.
    async fn resolve(&self, rev: &str) -> Result<CommitId>;

    /// The files of `commit` under `dirs` (all files when `dirs` is empty), paths relative to
    /// the repo root.
    async fn read_tree(&self, commit: &CommitId, dirs: &[String]) -> Result<FileTree>;

    /// Records `status` on `commit`, replacing an earlier status with the same context.
    async fn set_status(&self, commit: &CommitId, status: CommitStatus) -> Result<()>;

    /// The latest status per context on `commit`, sorted by context.
    async fn statuses(&self, commit: &CommitId) -> Result<Vec<CommitStatus>>;

    /// Whether `commit` is the head of `branch` or one of its ancestors.
    async fn on_branch(&self, commit: &CommitId, branch: &str) -> Result<bool>;

    /// The names of the tags pointing at `commit` (annotated tags peeled), sorted by name.
    async fn tags_of(&self, commit: &CommitId) -> Result<Vec<String>>;
}
