//! [`ConfigStore`] on git: one branch per environment.

use std::sync::Arc;

use async_trait::async_trait;
use wo_core::files::{check_name, FileTree};
use wo_core::ports::{CommitId, ConfigStore};
use wo_core::{Error, Location, Result};

use crate::location::GitRepo;
use crate::session::{run, HEADS};
use crate::tree;

/// [`ConfigStore`] on a git repository: the environment `env` is the branch
/// `refs/heads/<env>`; a read returns every file of a commit (blobs only, as
/// [`GitSourceRepo`](crate::GitSourceRepo) reads them).
#[derive(Debug, Clone)]
pub struct GitConfigStore {
    repo: Arc<GitRepo>,
}

impl GitConfigStore {
    /// The config repo at `repo`.
    pub fn new(repo: GitRepo) -> Self {
        Self {
            repo: Arc::new(repo),
        }
    }

    /// The config repo at a location string ([`GitLocation::parse`](crate::GitLocation::parse)).
    ///
    /// # Errors
    /// As [`GitLocation::parse`](crate::GitLocation::parse).
    pub fn open(location: &str) -> Result<Self> {
        Ok(Self::new(GitRepo::open(location)?))
    }
}

#[async_trait]
impl ConfigStore for GitConfigStore {
    async fn head(&self, env: &str) -> Result<CommitId> {
        check_name(env)
            .map_err(|m| Error::invalid(Location::file("<environment>").with_key("env"), m))?;
        let env = env.to_string();
        run(self.repo.clone(), move |s| {
            s.refresh(&[HEADS])?;
            let branch = format!("refs/heads/{env}");
            match s.ref_target(&branch)? {
                Some(oid) => Ok(CommitId::new(oid.to_string())),
                None => Err(Error::NotFound {
                    what: format!(
                        "environment `{env}`: no branch {branch} in config repo `{}`",
                        s.name
                    ),
                }),
            }
        })
        .await
    }

    async fn read(&self, commit: &CommitId) -> Result<FileTree> {
        let id = commit.clone();
        run(self.repo.clone(), move |s| {
            let c = s.commit(&id)?;
            let tree = c
                .tree()
                .map_err(|e| s.err(&format!("reading the tree of commit {id}"), &e))?;
            tree::read_files(&s.repo, &s.name, &tree, &[], &format!("commit {id}"))
        })
        .await
    }
}
