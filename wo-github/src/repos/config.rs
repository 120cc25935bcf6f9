//! [`ConfigStore`] on GitHub: one branch per environment.

use async_trait::async_trait;
use wo_core::files::{check_name, FileTree};
use wo_core::ports::{CommitId, ConfigStore};
use wo_core::{Error, Location, Result};

use super::{tree, GitHubRepo};

/// [`ConfigStore`] on a GitHub repository: environment `env` is branch `env`.
///
/// `head` is one `git/get-ref`; `read` is `git/get-commit`, one recursive `git/get-tree` and
/// one `git/get-blob` per distinct blob.
#[derive(Debug, Clone)]
pub struct GitHubConfigStore {
    repo: GitHubRepo,
}

impl GitHubConfigStore {
    /// The config repo `repo`.
    pub fn new(repo: GitHubRepo) -> Self {
        Self { repo }
    }

    /// The repository handle.
    pub fn repo(&self) -> &GitHubRepo {
        &self.repo
    }
}

#[async_trait]
impl ConfigStore for GitHubConfigStore {
    async fn head(&self, env: &str) -> Result<CommitId> {
        check_name(env)
            .map_err(|m| Error::invalid(Location::file("<environment>").with_key("env"), m))?;
        match self
            .repo
            .client
            .get_ref(&self.repo.id, &format!("heads/{env}"))
            .await?
        {
            Some(r) => Ok(CommitId::new(r.object.sha)),
            None => Err(Error::not_found(format!(
                "environment `{env}`: no branch {env} in config repo {}",
                self.repo.id
            ))),
        }
    }

    async fn read(&self, commit: &CommitId) -> Result<FileTree> {
        tree::read_files(&self.repo.client, &self.repo.id, commit, &[]).await
    }

    /// Only the one file: its directory's listing, then its blob (a platform config repo may
    /// hold thousands of value files).
    async fn read_file(&self, commit: &CommitId, path: &str) -> Result<Option<Vec<u8>>> {
        tree::read_file(&self.repo.client, &self.repo.id, commit, path).await
    }
}
