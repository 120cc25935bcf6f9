use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::files::FileTree;
use crate::ports::{
    BranchWrite, CommitId, ConfigChange, ConfigChanges, ConfigStore, ProposedChange,
};

use super::{commit_id, commit_not_found, lock};

/// A [`ConfigStore`] in memory: one branch per environment; proposals
/// ([`ConfigChanges`]) on branches of their own.
///
/// Seed it with [`commit`](Self::commit).
#[derive(Debug, Clone)]
pub struct InMemoryConfigStore {
    name: Arc<str>,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    commits: HashMap<CommitId, Arc<FileTree>>,
    /// The parent of each commit made by a proposal (seeded commits have none).
    parents: HashMap<CommitId, CommitId>,
    branches: BTreeMap<String, CommitId>,
    next: u64,
}

impl Default for InMemoryConfigStore {
    fn default() -> Self {
        Self::named("config")
    }
}

impl InMemoryConfigStore {
    /// An empty store named `config`.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store with a name (`app-config`, `fleet`) that appears in errors and salts its
    /// commit ids, so that two stores never share an id.
    pub fn named(name: &str) -> Self {
        Self {
            name: Arc::from(name),
            state: Arc::default(),
        }
    }

    fn repo(&self) -> String {
        format!("the in-memory config store `{}`", self.name)
    }

    /// Commits `files` (the complete tree) on the branch of `env`, creating it if needed.
    pub fn commit(&self, env: &str, files: FileTree) -> CommitId {
        let mut s = lock(&self.state);
        s.next += 1;
        let id = commit_id(&self.name, s.next);
        s.commits.insert(id.clone(), Arc::new(files));
        s.branches.insert(env.to_string(), id.clone());
        id
    }
}

#[async_trait]
impl ConfigStore for InMemoryConfigStore {
    async fn head(&self, env: &str) -> Result<CommitId> {
        lock(&self.state)
            .branches
            .get(env)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("env branch `{env}` in {}", self.repo())))
    }

    async fn read(&self, commit: &CommitId) -> Result<FileTree> {
        let tree = lock(&self.state)
            .commits
            .get(commit)
            .cloned()
            .ok_or_else(|| commit_not_found(&self.repo(), commit))?;
        Ok(FileTree::clone(&tree))
    }
}

#[async_trait]
impl ConfigChanges for InMemoryConfigStore {
    async fn propose(&self, change: &ConfigChange) -> Result<ProposedChange> {
        change.check()?;
        let mut s = lock(&self.state);
        let base = s
            .commits
            .get(&change.base)
            .cloned()
            .ok_or_else(|| commit_not_found(&self.repo(), &change.base))?;
        let mut tree = FileTree::clone(&base);
        for (path, content) in change.files.iter() {
            tree.insert(path, content)?;
        }
        let current = s.branches.get(&change.branch).cloned();
        if let Some(head) = &current {
            let same_base = s.parents.get(head) == Some(&change.base);
            if same_base && s.commits.get(head).map(|t| t.as_ref()) == Some(&tree) {
                return Ok(ProposedChange {
                    branch: change.branch.clone(),
                    head: head.clone(),
                    write: BranchWrite::Unchanged,
                    review: None,
                });
            }
        }
        s.next += 1;
        let id = commit_id(&self.name, s.next);
        s.commits.insert(id.clone(), Arc::new(tree));
        s.parents.insert(id.clone(), change.base.clone());
        s.branches.insert(change.branch.clone(), id.clone());
        Ok(ProposedChange {
            branch: change.branch.clone(),
            head: id,
            write: if current.is_some() {
                BranchWrite::Updated
            } else {
                BranchWrite::Created
            },
            review: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_stores_never_share_commit_ids() {
        let app = InMemoryConfigStore::named("app-config");
        let fleet = InMemoryConfigStore::named("fleet");
        let a = app.commit("dev", FileTree::new());
        let f = fleet.commit("dev", FileTree::new());
        assert_ne!(a, f);
        let err = futures::executor::block_on(app.read(&f)).unwrap_err();
        assert!(err.to_string().contains("app-config"), "{err}");
    }
}
