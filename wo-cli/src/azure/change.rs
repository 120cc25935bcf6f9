//! The platform config repo as an import reads and changes it: the env branch's `fleet.yaml`,
//! and a change request from a branch of wo's own (a pull request on GitHub, the branch alone
//! on a plain git host).

use wo_core::ports::{BranchWrite, CommitId, ConfigChange, ConfigChanges};
use wo_core::{Error, Result};
use wo_git::{GitConfigStore, GitRepo};
use wo_github::repos::{GitHubConfigStore, GitHubRepo};

use crate::settings::Settings;

/// The platform config repository, on git or on the GitHub REST API.
pub enum PlatformRepo {
    /// A path, `file://`, `git://` or `http://` location.
    Git(GitRepo),
    /// `github://owner/repo` or a URL on the GitHub server.
    GitHub(GitHubRepo),
}

/// What [`PlatformRepo::propose`] left behind.
pub struct Proposed {
    /// The branch holding the change.
    pub branch: String,
    /// Its head commit.
    pub head: CommitId,
    /// Whether a commit was written (false: the branch already held this change).
    pub wrote: bool,
    /// The pull request's page (GitHub only).
    pub url: Option<String>,
    /// The pull request's number (GitHub only).
    pub number: Option<u64>,
}

impl PlatformRepo {
    /// The repository at `location`; the same choice of backend as the flow commands make
    /// (`github://owner/repo`, or a URL under `GITHUB_SERVER_URL`, goes to GitHub).
    pub fn open(location: &str, s: &Settings) -> Result<Self> {
        Ok(match crate::flow::backend(location, s)? {
            crate::flow::Backend::Git(r) => Self::Git(r),
            crate::flow::Backend::GitHub(r) => Self::GitHub(r),
        })
    }

    fn store(&self) -> std::sync::Arc<dyn ConfigChanges> {
        match self {
            Self::Git(r) => std::sync::Arc::new(GitConfigStore::new(r.clone())),
            Self::GitHub(r) => std::sync::Arc::new(GitHubConfigStore::new(r.clone())),
        }
    }

    /// The head of the env branch.
    pub async fn head(&self, env: &str) -> Result<CommitId> {
        self.store().head(env).await
    }

    /// The text of the file at `path` in `commit`; `None` when there is none.
    pub async fn read_file(&self, commit: &CommitId, path: &str) -> Result<Option<String>> {
        self.store()
            .read_file(commit, path)
            .await?
            .map(|b| {
                String::from_utf8(b).map_err(|_| {
                    Error::invalid(
                        wo_core::Location::file(path),
                        format!("commit {commit}: not UTF-8 text"),
                    )
                })
            })
            .transpose()
    }

    /// Proposes `files` on `branch` on top of `base`.
    pub async fn propose(
        &self,
        env: &str,
        base: &CommitId,
        branch: &str,
        files: Vec<(String, Vec<u8>)>,
        title: &str,
        body: &str,
    ) -> Result<Proposed> {
        let mut tree = wo_core::files::FileTree::new();
        for (p, c) in files {
            tree.insert(p, c)?;
        }
        let p = self
            .store()
            .propose(&ConfigChange {
                environment: env.to_string(),
                base: base.clone(),
                branch: branch.to_string(),
                files: tree,
                title: title.to_string(),
                body: body.to_string(),
            })
            .await?;
        Ok(Proposed {
            branch: p.branch,
            head: p.head,
            wrote: p.write != BranchWrite::Unchanged,
            url: p.review.as_ref().and_then(|r| r.url.clone()),
            number: p.review.map(|r| r.number),
        })
    }
}
