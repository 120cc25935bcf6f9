use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::files::FileTree;
use crate::ports::{CommitId, CommitStatus, SourceRepo};

use super::{commit_id, commit_not_found, lock};

/// A [`SourceRepo`] in memory: commits with their parent, named refs (branches and tags) and
/// statuses.
///
/// Seed it with [`commit`](Self::commit), move refs with [`set_ref`](Self::set_ref) and tag
/// commits with [`tag`](Self::tag). A commit's parent is the head its branch had before it.
#[derive(Debug, Clone, Default)]
pub struct InMemorySourceRepo {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    commits: HashMap<CommitId, Arc<FileTree>>,
    parents: HashMap<CommitId, CommitId>,
    refs: BTreeMap<String, CommitId>,
    tags: BTreeMap<String, CommitId>,
    statuses: HashMap<CommitId, BTreeMap<String, CommitStatus>>,
    next: u64,
}

const REPO: &str = "the in-memory source repo";

impl InMemorySourceRepo {
    /// An empty repo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Commits `files` (the complete tree) on branch `branch`, creating it if needed, and moves
    /// the branch to the new commit.
    pub fn commit(&self, branch: &str, files: FileTree) -> CommitId {
        let mut s = lock(&self.state);
        s.next += 1;
        let id = commit_id("source", s.next);
        s.commits.insert(id.clone(), Arc::new(files));
        if let Some(parent) = s.refs.insert(branch.to_string(), id.clone()) {
            s.parents.insert(id.clone(), parent);
        }
        id
    }

    /// Tags `commit` as `name` (moving the tag when it exists); `name` also resolves to it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the repo has no such commit.
    pub fn tag(&self, name: &str, commit: &CommitId) -> Result<()> {
        self.set_ref(name, commit)?;
        lock(&self.state)
            .tags
            .insert(name.to_string(), commit.clone());
        Ok(())
    }

    /// Points ref `name` (a branch or tag) at `commit`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the repo has no such commit.
    pub fn set_ref(&self, name: &str, commit: &CommitId) -> Result<()> {
        let mut s = lock(&self.state);
        if !s.commits.contains_key(commit) {
            return Err(commit_not_found(REPO, commit));
        }
        s.refs.insert(name.to_string(), commit.clone());
        Ok(())
    }
}

#[async_trait]
impl SourceRepo for InMemorySourceRepo {
    async fn resolve(&self, rev: &str) -> Result<CommitId> {
        let s = lock(&self.state);
        if let Some(id) = s.refs.get(rev) {
            return Ok(id.clone());
        }
        let id = CommitId::from(rev);
        if s.commits.contains_key(&id) {
            return Ok(id);
        }
        if (4..40).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let rev = rev.to_ascii_lowercase();
            let mut found = s.commits.keys().filter(|c| c.as_str().starts_with(&rev));
            match (found.next(), found.next()) {
                (Some(one), None) => return Ok(one.clone()),
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        crate::error::Location::file("<revision>"),
                        format!("`{rev}` is ambiguous in {REPO}: give more digits"),
                    ))
                }
                _ => {}
            }
        }
        Err(Error::not_found(format!("revision `{rev}` in {REPO}")))
    }

    async fn read_tree(&self, commit: &CommitId, dirs: &[String]) -> Result<FileTree> {
        let tree = lock(&self.state)
            .commits
            .get(commit)
            .cloned()
            .ok_or_else(|| commit_not_found(REPO, commit))?;
        if dirs.is_empty() {
            return Ok(FileTree::clone(&tree));
        }
        let mut out = FileTree::new();
        for dir in dirs {
            let dir = dir.trim_end_matches('/');
            for path in tree.paths_under(dir) {
                out.insert(path, tree.get(path).unwrap_or_default())?;
            }
        }
        Ok(out)
    }

    async fn set_status(&self, commit: &CommitId, status: CommitStatus) -> Result<()> {
        let mut s = lock(&self.state);
        if !s.commits.contains_key(commit) {
            return Err(commit_not_found(REPO, commit));
        }
        s.statuses
            .entry(commit.clone())
            .or_default()
            .insert(status.context.clone(), status);
        Ok(())
    }

    async fn statuses(&self, commit: &CommitId) -> Result<Vec<CommitStatus>> {
        let s = lock(&self.state);
        if !s.commits.contains_key(commit) {
            return Err(commit_not_found(REPO, commit));
        }
        Ok(s.statuses
            .get(commit)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn on_branch(&self, commit: &CommitId, branch: &str) -> Result<bool> {
        let s = lock(&self.state);
        if !s.commits.contains_key(commit) {
            return Err(commit_not_found(REPO, commit));
        }
        let mut next = Some(
            s.refs
                .get(branch)
                .filter(|_| !s.tags.contains_key(branch))
                .ok_or_else(|| Error::not_found(format!("branch `{branch}` in {REPO}")))?,
        );
        while let Some(id) = next {
            if id == commit {
                return Ok(true);
            }
            next = s.parents.get(id);
        }
        Ok(false)
    }

    async fn tags_of(&self, commit: &CommitId) -> Result<Vec<String>> {
        let s = lock(&self.state);
        if !s.commits.contains_key(commit) {
            return Err(commit_not_found(REPO, commit));
        }
        // BTreeMap: sorted by name.
        Ok(s.tags
            .iter()
            .filter(|(_, c)| *c == commit)
            .map(|(name, _)| name.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_ref_moves_a_name_to_an_existing_commit_only() {
        futures::executor::block_on(async {
            let repo = InMemorySourceRepo::new();
            let first = repo.commit("main", FileTree::new());
            let second = repo.commit("main", FileTree::new());
            repo.set_ref("v1.0.0", &first).unwrap();
            assert_eq!(repo.resolve("v1.0.0").await.unwrap(), first);
            assert_eq!(repo.resolve("main").await.unwrap(), second);
            let unknown = CommitId::from("feedface");
            assert!(matches!(
                repo.set_ref("main", &unknown),
                Err(Error::NotFound { .. })
            ));
            assert_eq!(repo.resolve("main").await.unwrap(), second);
        });
    }
}
