//! wo's repository ports on the GitHub REST API: [`GitHubSourceRepo`], [`GitHubConfigStore`]
//! and [`GitHubGitOpsRepo`], all on a [`GitHubRepo`] handle (client + `owner/name`).
//!
//! ```no_run
//! use wo_core::ports::SourceRepo;
//! use wo_github::client::GitHub;
//! use wo_github::repos::{GitHubRepo, GitHubSourceRepo};
//!
//! # async fn demo() -> wo_core::Result<()> {
//! let gh = GitHub::from_env()?;
//! let source = GitHubSourceRepo::new(GitHubRepo::parse(gh, "octo/shop")?);
//! let commit = source.resolve("main").await?;
//! let bundle = source.read_tree(&commit, &["wo".into(), "chart".into()]).await?;
//! # let _ = bundle; Ok(()) }
//! ```
//!
//! Nothing is cloned: reads are one commit, one recursive tree listing and one request per
//! distinct blob; a change is written as one commit with the Git Data API, its new files inside
//! the tree requests (see [`GitHubGitOpsRepo`] for the exact request count).

mod branch;
mod config;
mod gitops;
mod source;
mod tree;

pub use config::GitHubConfigStore;
pub use gitops::{change_branch, GitHubGitOpsRepo, EMPTY_TREE};
pub use source::{GitHubSourceRepo, MAX_STATUS_DESCRIPTION};
pub use tree::{git_blob_sha, MAX_INLINE_FILE_BYTES, MAX_TREE_REQUEST_BYTES};

use wo_core::ports::CommitId;
use wo_core::{Error, Result};

use crate::client::{GitHub, RepoId};

/// One GitHub repository reached through a client.
#[derive(Debug, Clone)]
pub struct GitHubRepo {
    /// The client.
    pub client: GitHub,
    /// `owner/name`.
    pub id: RepoId,
}

impl GitHubRepo {
    /// The repository `id` through `client`.
    pub fn new(client: GitHub, id: RepoId) -> Self {
        Self { client, id }
    }

    /// The repository `owner/name` through `client`.
    ///
    /// # Errors
    /// As [`RepoId::parse`].
    pub fn parse(client: GitHub, full_name: &str) -> Result<Self> {
        Ok(Self::new(client, RepoId::parse(full_name)?))
    }

    /// Sends a `repository_dispatch` event (`repos/create-dispatch-event`): workflows of this
    /// repository listening to `event_type` run with `github.event.client_payload`.
    ///
    /// # Errors
    /// As [`GitHub::dispatch_repository`].
    pub async fn dispatch_repository(
        &self,
        event_type: &str,
        client_payload: &serde_json::Value,
    ) -> Result<()> {
        self.client
            .dispatch_repository(&self.id, event_type, client_payload)
            .await
    }

    /// Runs a `workflow_dispatch` workflow (`actions/create-workflow-dispatch`) on `git_ref`.
    ///
    /// # Errors
    /// As [`GitHub::dispatch_workflow`].
    pub async fn dispatch_workflow(
        &self,
        workflow_id: &str,
        git_ref: &str,
        inputs: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        self.client
            .dispatch_workflow(&self.id, workflow_id, git_ref, inputs)
            .await
    }

    /// `NotFound` naming the commit and the repository, for any `NotFound` about `commit`.
    fn not_found_commit(&self, e: Error, commit: &CommitId) -> Error {
        match e {
            Error::NotFound { .. } => {
                Error::not_found(format!("commit {commit} in GitHub repository {}", self.id))
            }
            other => other,
        }
    }
}
