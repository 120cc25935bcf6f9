//! Files proposed as a pull request from a branch of the caller's own: one commit on top of a
//! base commit, written with the Git Data API (for example `wo fleet import` proposing
//! `fleet.yaml` on a platform config repo).

use wo_core::ports::CommitId;
use wo_core::{Error, Location, Result};

use crate::client::{NewPullRequest, NewTreeEntry, PullFilter, PullRequest, PullUpdate};

use super::tree::{self, git_blob_sha};
use super::GitHubRepo;

/// What [`GitHubRepo::propose_files`] did to the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchWrite {
    /// The branch did not exist; it was created.
    Created,
    /// The branch pointed elsewhere; it was moved to the new commit.
    Updated,
    /// The branch already held these files on this base; no commit was written.
    Unchanged,
}

/// The branch and its pull request after [`GitHubRepo::propose_files`].
#[derive(Debug, Clone)]
pub struct ProposedFiles {
    /// The branch name.
    pub branch: String,
    /// The commit it points at.
    pub head: CommitId,
    /// What was done to the branch.
    pub write: BranchWrite,
    /// The open pull request from the branch into the base branch.
    pub pull: PullRequest,
}

impl GitHubRepo {
    /// Makes branch `branch` point at one commit on top of `base` (the head of `base_branch`
    /// the files were computed against) whose tree is `base`'s with `files` written, and keeps
    /// one open pull request from it into `base_branch` with `title` and `body`.
    ///
    /// # Contract
    ///
    /// - Idempotent: when the branch's head has `base` as its only parent and holds `files`
    ///   as given, no commit is written ([`BranchWrite::Unchanged`]); an open pull request is
    ///   then only looked up (opened if there is none, retitled if the title or body differ).
    /// - Otherwise blobs, one tree on `base`'s tree, one commit; the branch is created, or
    ///   moved **with force** (it is the caller's own, rebuilt on the current base each time;
    ///   never pass an environment branch); the open pull request is updated, or one opened.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unsafe path; [`Error::NotFound`] for an unknown `base`;
    /// otherwise as the client's calls.
    pub async fn propose_files(
        &self,
        base_branch: &str,
        base: &CommitId,
        branch: &str,
        files: &[(String, Vec<u8>)],
        title: &str,
        body: &str,
    ) -> Result<ProposedFiles> {
        for (path, _) in files {
            wo_core::files::check_relative_path(path)
                .map_err(|m| Error::invalid(Location::file(path.clone()), m))?;
        }
        let (gh, repo) = (&self.client, &self.id);
        let base_commit = tree::commit(gh, repo, base.as_str()).await?;
        let current = gh.get_ref(repo, &format!("heads/{branch}")).await?;
        let mut unchanged_head = None;
        if let Some(r) = &current {
            let head = tree::commit(gh, repo, &r.object.sha).await?;
            let on_base = head.parents.len() == 1 && head.parents[0].sha == base_commit.sha;
            if on_base {
                let entries = tree::entries(gh, repo, &head.tree.sha, &[]).await?;
                let holds = files.iter().all(|(path, content)| {
                    entries.iter().any(|e| {
                        &e.path == path && e.kind == "blob" && e.sha == git_blob_sha(content)
                    })
                });
                if holds {
                    unchanged_head = Some(head.sha);
                }
            }
        }
        let (head, write) = match unchanged_head {
            Some(sha) => (sha, BranchWrite::Unchanged),
            None => {
                let mut entries = Vec::with_capacity(files.len());
                for (path, content) in files {
                    let sha = gh.create_blob(repo, content).await?;
                    entries.push(NewTreeEntry::file(path.clone(), sha));
                }
                let new_tree = gh
                    .create_tree(repo, Some(&base_commit.tree.sha), &entries)
                    .await?;
                let message = format!("{title}\n\n{body}");
                let commit = gh
                    .create_commit(
                        repo,
                        &message,
                        &new_tree.sha,
                        std::slice::from_ref(&base_commit.sha),
                    )
                    .await?;
                match current {
                    Some(_) => {
                        gh.reset_ref(repo, &format!("heads/{branch}"), &commit.sha)
                            .await?;
                        (commit.sha, BranchWrite::Updated)
                    }
                    None => {
                        gh.create_ref(repo, &format!("refs/heads/{branch}"), &commit.sha)
                            .await?;
                        (commit.sha, BranchWrite::Created)
                    }
                }
            }
        };
        let filter = PullFilter {
            state: Some("open".into()),
            head: Some(format!("{}:{branch}", repo.owner)),
            base: Some(base_branch.to_string()),
        };
        let open = gh.list_pulls(repo, &filter).await?.into_iter().next();
        let pull = match open {
            Some(p) if p.title == title && p.body.as_deref().unwrap_or_default() == body => p,
            Some(p) => {
                let update = PullUpdate {
                    title: Some(title.to_string()),
                    body: Some(body.to_string()),
                    state: None,
                };
                gh.update_pull(repo, p.number, &update).await?
            }
            None => {
                let new = NewPullRequest {
                    title: title.to_string(),
                    head: branch.to_string(),
                    base: base_branch.to_string(),
                    body: body.to_string(),
                };
                gh.create_pull(repo, &new).await?
            }
        };
        Ok(ProposedFiles {
            branch: branch.to_string(),
            head: CommitId::new(head),
            write,
            pull,
        })
    }
}
