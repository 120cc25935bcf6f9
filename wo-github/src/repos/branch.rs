//! [`ConfigChanges`] on GitHub: a proposal is one commit on top of its base, written with the
//! Git Data API on a branch of the proposer's own, and one open pull request from it into the
//! environment branch (for example `wo fleet import` proposing `fleet.yaml` to a platform
//! config repo).

use async_trait::async_trait;
use wo_core::ports::{
    BranchWrite, CommitId, ConfigChange, ConfigChanges, ProposedChange, ReviewRequest,
};
use wo_core::Result;

use crate::client::{NewPullRequest, NewTreeEntry, PullFilter, PullUpdate};

use super::config::GitHubConfigStore;
use super::tree::{self, git_blob_sha};

#[async_trait]
impl ConfigChanges for GitHubConfigStore {
    /// Blobs, one tree on `base`'s tree, one commit; the branch created, or moved with force;
    /// the open pull request from it into the environment branch updated, or one opened. When
    /// the branch's head has `base` as its only parent and holds the files as given, no commit
    /// is written ([`BranchWrite::Unchanged`]) and the pull request is only looked up (opened
    /// if there is none, retitled if the title or body differ).
    async fn propose(&self, change: &ConfigChange) -> Result<ProposedChange> {
        change.check()?;
        let repo = self.repo();
        let (gh, id) = (&repo.client, &repo.id);
        let (branch, title, body) = (&change.branch, &change.title, &change.body);
        let base_commit = tree::commit(gh, id, change.base.as_str()).await?;
        let current = gh.get_ref(id, &format!("heads/{branch}")).await?;
        let mut unchanged_head = None;
        if let Some(r) = &current {
            let head = tree::commit(gh, id, &r.object.sha).await?;
            let on_base = head.parents.len() == 1 && head.parents[0].sha == base_commit.sha;
            if on_base {
                let entries = tree::entries(gh, id, &head.tree.sha, &[]).await?;
                let holds = change.files.iter().all(|(path, content)| {
                    entries.iter().any(|e| {
                        e.path == path && e.kind == "blob" && e.sha == git_blob_sha(content)
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
                let mut entries = Vec::with_capacity(change.files.len());
                for (path, content) in change.files.iter() {
                    let sha = gh.create_blob(id, content).await?;
                    entries.push(NewTreeEntry::file(path, sha));
                }
                let new_tree = gh
                    .create_tree(id, Some(&base_commit.tree.sha), &entries)
                    .await?;
                let commit = gh
                    .create_commit(
                        id,
                        &change.message(),
                        &new_tree.sha,
                        std::slice::from_ref(&base_commit.sha),
                    )
                    .await?;
                match current {
                    Some(_) => {
                        gh.reset_ref(id, &format!("heads/{branch}"), &commit.sha)
                            .await?;
                        (commit.sha, BranchWrite::Updated)
                    }
                    None => {
                        gh.create_ref(id, &format!("refs/heads/{branch}"), &commit.sha)
                            .await?;
                        (commit.sha, BranchWrite::Created)
                    }
                }
            }
        };
        let filter = PullFilter {
            state: Some("open".into()),
            head: Some(format!("{}:{branch}", id.owner)),
            base: Some(change.environment.clone()),
        };
        let open = gh.list_pulls(id, &filter).await?.into_iter().next();
        let pull = match open {
            Some(p) if &p.title == title && p.body.as_deref().unwrap_or_default() == body => p,
            Some(p) => {
                let update = PullUpdate {
                    title: Some(title.clone()),
                    body: Some(body.clone()),
                    state: None,
                };
                gh.update_pull(id, p.number, &update).await?
            }
            None => {
                let new = NewPullRequest {
                    title: title.clone(),
                    head: branch.clone(),
                    base: change.environment.clone(),
                    body: body.clone(),
                };
                gh.create_pull(id, &new).await?
            }
        };
        Ok(ProposedChange {
            branch: branch.clone(),
            head: CommitId::new(head),
            write,
            review: Some(ReviewRequest {
                number: pull.number,
                url: pull.html_url,
            }),
        })
    }
}
