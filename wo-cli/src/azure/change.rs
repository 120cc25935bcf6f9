//! The platform config repo as an import reads and changes it: the env branch's `fleet.yaml`,
//! and a change request from a branch of wo's own (a pull request on GitHub, the branch alone
//! on a plain git host).

use wo_core::ports::{CommitId, ConfigStore};
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

    /// The head of the env branch.
    pub async fn head(&self, env: &str) -> Result<CommitId> {
        match self {
            Self::Git(r) => GitConfigStore::new(r.clone()).head(env).await,
            Self::GitHub(r) => GitHubConfigStore::new(r.clone()).head(env).await,
        }
    }

    /// The text of the file at `path` (top level) in `commit`; `None` when there is none.
    pub async fn read_file(&self, commit: &CommitId, path: &str) -> Result<Option<String>> {
        let bytes = match self {
            Self::Git(r) => {
                let tree = GitConfigStore::new(r.clone()).read(commit).await?;
                tree.get(path).map(<[u8]>::to_vec)
            }
            // Only the one file: the platform config repo may hold thousands of value files.
            Self::GitHub(r) => {
                let c = r.client.get_commit(&r.id, commit.as_str()).await?;
                let root = r.client.get_tree(&r.id, &c.tree.sha, false).await?;
                match root
                    .tree
                    .iter()
                    .find(|e| e.path == path && e.kind == "blob")
                {
                    Some(e) => Some(r.client.get_blob(&r.id, &e.sha).await?),
                    None => None,
                }
            }
        };
        bytes
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

    /// Puts `files` on `branch` as one commit on top of `base` (the env branch's head), and on
    /// GitHub keeps one open pull request from it into the env branch.
    pub async fn propose(
        &self,
        env: &str,
        base: &CommitId,
        branch: &str,
        files: Vec<(String, Vec<u8>)>,
        title: &str,
        body: &str,
    ) -> Result<Proposed> {
        match self {
            Self::Git(r) => {
                let message = format!("{title}\n\n{body}");
                let head = r.commit_files(base, branch, files, &message).await?;
                Ok(Proposed {
                    branch: head.branch,
                    head: head.head,
                    wrote: head.write != wo_git::BranchWrite::Unchanged,
                    url: None,
                    number: None,
                })
            }
            Self::GitHub(r) => {
                let p = r
                    .propose_files(env, base, branch, &files, title, body)
                    .await?;
                Ok(Proposed {
                    branch: p.branch,
                    head: p.head,
                    wrote: p.write != wo_github::repos::BranchWrite::Unchanged,
                    url: p.pull.html_url,
                    number: Some(p.pull.number),
                })
            }
        }
    }
}
