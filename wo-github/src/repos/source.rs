//! [`SourceRepo`] on GitHub: bundles read through the Git Data API, statuses as commit statuses.

use std::collections::BTreeMap;

use async_trait::async_trait;
use wo_core::files::FileTree;
use wo_core::ports::{CommitId, CommitState, CommitStatus, SourceRepo};
use wo_core::{Error, Result};

use crate::client::{NewStatus, BACKEND};

use super::{tree, GitHubRepo};

/// GitHub keeps at most this many characters of a status description.
pub const MAX_STATUS_DESCRIPTION: usize = 140;

/// [`SourceRepo`] on a GitHub repository.
///
/// - `resolve`: a full commit id (`git/get-commit`), else branch `heads/<rev>`, else tag
///   `tags/<rev>` (`git/get-ref`); an annotated tag is peeled through
///   `compare/<rev>...<rev>`. 1–3 requests.
/// - `read_tree`: `git/get-commit`, one recursive `git/get-tree`, then one `git/get-blob` per
///   distinct blob under `dirs` (8 at a time). No clone, no tarball.
/// - `set_status`: `repos/create-commit-status` with the status's context (`wo/<env>`,
///   `wo/<env>/<target>`); descriptions are cut to 140 characters as GitHub requires.
/// - `statuses`: `repos/list-commit-statuses-for-ref` (all pages), the newest status per
///   context; an empty list is checked with `git/get-commit` so an unknown commit is `NotFound`.
/// - `on_branch`: `compare/<branch>...<commit>`: `identical` or `behind` (the commit is behind
///   the branch head) means on the branch. 1 request; on a 404 (also GitHub's answer for
///   unrelated histories) 2 more tell an unknown commit or branch from a commit not on it.
/// - `tags_of`: `git/get-commit` (so an unknown commit is `NotFound`), then
///   `git/list-matching-refs` of `tags/` (all pages); an annotated tag is peeled through
///   `compare/<tag>...<tag>`: 2 requests plus one per annotated tag.
#[derive(Debug, Clone)]
pub struct GitHubSourceRepo {
    repo: GitHubRepo,
}

impl GitHubSourceRepo {
    /// The source repo `repo`.
    pub fn new(repo: GitHubRepo) -> Self {
        Self { repo }
    }

    /// The repository handle (dispatches, the client).
    pub fn repo(&self) -> &GitHubRepo {
        &self.repo
    }
}

fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn parse_state(s: &str) -> Result<CommitState> {
    Ok(match s {
        "pending" => CommitState::Pending,
        "success" => CommitState::Success,
        "failure" => CommitState::Failure,
        "error" => CommitState::Error,
        other => {
            return Err(Error::backend(
                BACKEND,
                format!("unknown commit status state `{other}`"),
            ))
        }
    })
}

#[async_trait]
impl SourceRepo for GitHubSourceRepo {
    async fn resolve(&self, rev: &str) -> Result<CommitId> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let not_found = || {
            Error::not_found(format!("revision `{rev}` (no branch, tag or commit of that name) in GitHub repository {repo}"))
        };
        if rev.is_empty() || rev.starts_with('/') || rev.contains("..") {
            return Err(not_found());
        }
        if is_full_sha(rev) {
            return tree::commit(gh, repo, rev)
                .await
                .map(|c| CommitId::new(c.sha));
        }
        if let Some(r) = gh.get_ref(repo, &format!("heads/{rev}")).await? {
            return Ok(CommitId::new(r.object.sha));
        }
        match gh.get_ref(repo, &format!("tags/{rev}")).await? {
            Some(r) if r.object.kind == "commit" => Ok(CommitId::new(r.object.sha)),
            Some(_) => Ok(CommitId::new(
                gh.compare(repo, rev, rev).await?.base_commit.sha,
            )),
            // A short commit id: the comparison of the commit with itself names it in full.
            None if (4..40).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit()) => {
                match gh.compare(repo, rev, rev).await {
                    Ok(c) => Ok(CommitId::new(c.base_commit.sha)),
                    Err(Error::NotFound { .. }) => Err(not_found()),
                    Err(e) => Err(e),
                }
            }
            None => Err(not_found()),
        }
    }

    async fn read_tree(&self, commit: &CommitId, dirs: &[String]) -> Result<FileTree> {
        let dirs: Vec<String> = dirs
            .iter()
            .map(|d| d.trim_end_matches('/').to_string())
            .collect();
        tree::read_files(&self.repo.client, &self.repo.id, commit, &dirs).await
    }

    async fn set_status(&self, commit: &CommitId, status: CommitStatus) -> Result<()> {
        let description: String = status
            .description
            .chars()
            .take(MAX_STATUS_DESCRIPTION)
            .collect();
        let body = NewStatus {
            state: status.state.as_str().to_string(),
            target_url: status.target_url,
            description: Some(description),
            context: status.context,
        };
        self.repo
            .client
            .create_status(&self.repo.id, commit.as_str(), &body)
            .await
            .map(|_| ())
            .map_err(|e| self.repo.not_found_commit(e, commit))
    }

    async fn statuses(&self, commit: &CommitId) -> Result<Vec<CommitStatus>> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let all = gh
            .list_statuses(repo, commit.as_str())
            .await
            .map_err(|e| self.repo.not_found_commit(e, commit))?;
        if all.is_empty() {
            tree::commit(gh, repo, commit.as_str()).await?;
        }
        // Newest first from GitHub; ids grow with time, so the largest id wins per context.
        let mut latest: BTreeMap<String, crate::client::Status> = BTreeMap::new();
        for s in all {
            match latest.get(&s.context) {
                Some(kept) if kept.id >= s.id => {}
                _ => {
                    latest.insert(s.context.clone(), s);
                }
            }
        }
        latest
            .into_values()
            .map(|s| {
                Ok(CommitStatus {
                    state: parse_state(&s.state)?,
                    context: s.context,
                    description: s.description.unwrap_or_default(),
                    target_url: s.target_url.filter(|u| !u.is_empty()),
                })
            })
            .collect()
    }

    async fn on_branch(&self, commit: &CommitId, branch: &str) -> Result<bool> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        if branch.is_empty() || branch.contains("..") || !is_full_sha(commit.as_str()) {
            return Err(Error::not_found(format!(
                "commit {commit} on branch `{branch}` in GitHub repository {repo}"
            )));
        }
        match gh.compare(repo, branch, commit.as_str()).await {
            Ok(c) => Ok(matches!(c.status.as_str(), "identical" | "behind")),
            // GitHub also answers 404 for histories without a common ancestor: then the
            // commit is not on the branch, if both exist.
            Err(Error::NotFound { .. }) => {
                tree::commit(gh, repo, commit.as_str()).await?;
                match gh.get_ref(repo, &format!("heads/{branch}")).await? {
                    Some(_) => Ok(false),
                    None => Err(Error::not_found(format!(
                        "branch `{branch}` in GitHub repository {repo}"
                    ))),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn tags_of(&self, commit: &CommitId) -> Result<Vec<String>> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let sha = tree::commit(gh, repo, commit.as_str()).await?.sha;
        let mut out = Vec::new();
        for r in gh.matching_refs(repo, "tags/").await? {
            let Some(name) = r.name.strip_prefix("refs/tags/") else {
                continue;
            };
            let target = match r.object.kind.as_str() {
                "commit" => r.object.sha.clone(),
                "tag" => gh.compare(repo, name, name).await?.base_commit.sha,
                _ => continue,
            };
            if target == sha {
                out.push(name.to_string());
            }
        }
        out.sort();
        Ok(out)
    }
}
