use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::files::FileTree;
use crate::ports::{
    ChangeCheck, ChangeProposal, ChangeRequest, ChangeState, CommitId, CommitStatus, GitOpsCommit,
    GitOpsRepo, MergeMethod, ProposeOutcome, Provenance,
};

use super::{commit_id, commit_not_found, lock};

/// A [`GitOpsRepo`] in memory: env branches, commits and change requests, merged by
/// fast-forward (the change request's head commit carries the provenance trailers) or, with
/// [`merge_with`](GitOpsRepo::merge_with), as a git host's merge button does: a two-parent
/// merge commit, a squash commit without trailers (recorded, so
/// [`merged_from`](GitOpsRepo::merged_from) names its change request) or a rebase.
/// [`commit`](Self::commit) adds a commit of anyone's making, as a person with push rights
/// could.
///
/// Besides the port, [`change_requests`](Self::change_requests) lists every change request ever
/// opened, so tests can prove that a step run twice opened no second one, and
/// [`rollout_report`](Self::rollout_report) shows what
/// [`report_rollout`](GitOpsRepo::report_rollout) wrote on one.
#[derive(Debug, Clone, Default)]
pub struct InMemoryGitOpsRepo {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct Commit {
    /// First parent, then (for a merge commit) the merged head.
    parents: Vec<CommitId>,
    tree: Arc<FileTree>,
    /// A digest of the whole tree: equal trees, equal ids.
    tree_id: String,
    message: String,
}

impl Commit {
    fn new(parents: Vec<CommitId>, tree: FileTree, message: String) -> Self {
        let mut bytes = Vec::new();
        for (path, content) in tree.iter() {
            bytes.extend_from_slice(&(path.len() as u64).to_le_bytes());
            bytes.extend_from_slice(path.as_bytes());
            bytes.extend_from_slice(&(content.len() as u64).to_le_bytes());
            bytes.extend_from_slice(content);
        }
        Self {
            parents,
            tree_id: crate::compose::sha256_hex(&bytes),
            tree: Arc::new(tree),
            message,
        }
    }
}

#[derive(Debug)]
struct Change {
    cr: ChangeRequest,
    files: FileTree,
}

#[derive(Debug, Default)]
struct State {
    commits: HashMap<CommitId, Commit>,
    branches: BTreeMap<String, CommitId>,
    changes: Vec<Change>,
    /// Merge and squash commits, to the change request head each merged (a merge into a
    /// branch that did not exist has no other parent to tell it by).
    merged: HashMap<CommitId, CommitId>,
    next_commit: u64,
    /// Commit statuses set by `set_check`, per commit and context.
    statuses: HashMap<CommitId, BTreeMap<String, CommitStatus>>,
    /// Labels of change requests, by id.
    labels: HashMap<String, BTreeSet<String>>,
    /// The change request (id) each merge made an env head from, whatever the method.
    made_by: HashMap<CommitId, String>,
    /// Rollout reports by change request id: the text, and how many times it was written.
    reports: HashMap<String, (String, usize)>,
}

const REPO: &str = "the in-memory gitops repo";

/// The files of `tree` under `<solution>/`, paths kept relative to the branch root.
fn solution_files(tree: &FileTree, solution: &str) -> FileTree {
    tree.paths_under(solution)
        .map(|p| (p.to_string(), tree.get(p).unwrap_or_default().to_vec()))
        .collect()
}

impl State {
    fn open_change(&self, solution: &str, env: &str) -> Option<usize> {
        self.changes.iter().position(|c| {
            c.cr.state == ChangeState::Open && c.cr.solution == solution && c.cr.environment == env
        })
    }

    fn tree(&self, commit: &CommitId) -> Result<Arc<FileTree>> {
        self.commits
            .get(commit)
            .map(|c| c.tree.clone())
            .ok_or_else(|| commit_not_found(REPO, commit))
    }

    fn add(&mut self, commit: Commit) -> CommitId {
        self.next_commit += 1;
        let id = commit_id("gitops", self.next_commit);
        self.commits.insert(id.clone(), commit);
        id
    }

    fn listed(&self, id: &CommitId) -> Result<GitOpsCommit> {
        let c = self
            .commits
            .get(id)
            .ok_or_else(|| commit_not_found(REPO, id))?;
        Ok(GitOpsCommit {
            id: id.clone(),
            message: c.message.clone(),
            provenance: Provenance::from_message(&c.message),
            tree: c.tree_id.clone(),
        })
    }
}

impl InMemoryGitOpsRepo {
    /// An empty repo: no env branches.
    pub fn new() -> Self {
        Self::default()
    }

    /// Commits `files` (the complete tree) with `message` on the env branch `env` (creating
    /// it), as a person with push rights could: no change request, no provenance unless the
    /// message carries it. Returns the new head.
    pub fn commit(&self, env: &str, files: FileTree, message: &str) -> CommitId {
        let mut s = lock(&self.state);
        let parents = s.branches.get(env).cloned().into_iter().collect();
        let id = s.add(Commit::new(parents, files, message.to_string()));
        s.branches.insert(env.to_string(), id.clone());
        id
    }

    /// Commits a merge of `merged` into the env branch `env` by hand (`git merge --no-ff`,
    /// possibly with an edit): a two-parent commit (the env head, then `merged`) holding
    /// `files` (the complete tree) with `message`. Returns the new head.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown `merged`.
    pub fn merge_commit(
        &self,
        env: &str,
        merged: &CommitId,
        files: FileTree,
        message: &str,
    ) -> Result<CommitId> {
        let mut s = lock(&self.state);
        if !s.commits.contains_key(merged) {
            return Err(commit_not_found(REPO, merged));
        }
        let parents = s
            .branches
            .get(env)
            .cloned()
            .into_iter()
            .chain([merged.clone()]);
        let id = s.add(Commit::new(parents.collect(), files, message.to_string()));
        s.branches.insert(env.to_string(), id.clone());
        s.merged.insert(id.clone(), merged.clone());
        Ok(id)
    }

    /// The complete tree of `commit`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown commit.
    pub fn tree(&self, commit: &CommitId) -> Result<FileTree> {
        let tree = lock(&self.state).tree(commit)?;
        Ok(FileTree::clone(&tree))
    }

    /// Every change request ever opened, oldest first, in its current state.
    pub fn change_requests(&self) -> Vec<ChangeRequest> {
        lock(&self.state)
            .changes
            .iter()
            .map(|c| c.cr.clone())
            .collect()
    }
    /// The commit statuses [`set_check`](GitOpsRepo::set_check) set on `commit`, by context.
    pub fn statuses(&self, commit: &CommitId) -> Vec<CommitStatus> {
        lock(&self.state)
            .statuses
            .get(commit)
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The rollout report on change request `id` (with its marker line), and how many times
    /// it was written; `None` before the first.
    pub fn rollout_report(&self, id: &str) -> Option<(String, usize)> {
        lock(&self.state).reports.get(id).cloned()
    }

    /// The labels of change request `id`, sorted.
    pub fn labels(&self, id: &str) -> Vec<String> {
        lock(&self.state)
            .labels
            .get(id)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl GitOpsRepo for InMemoryGitOpsRepo {
    async fn set_check(&self, change: &ChangeRequest, check: &ChangeCheck) -> Result<()> {
        let mut state = lock(&self.state);
        if !state.changes.iter().any(|c| c.cr.id == change.id) {
            return Err(Error::not_found(format!(
                "change request {} in {REPO}",
                change.id
            )));
        }
        if !state.commits.contains_key(&change.head) {
            return Err(commit_not_found(REPO, &change.head));
        }
        state
            .statuses
            .entry(change.head.clone())
            .or_default()
            .insert(check.status.context.clone(), check.status.clone());
        let labels = state.labels.entry(change.id.clone()).or_default();
        if check.labeled {
            labels.insert(check.label.clone());
        } else {
            labels.remove(&check.label);
        }
        Ok(())
    }

    /// Keeps the text per change request, with the marker line first
    /// ([`rollout_report`](InMemoryGitOpsRepo::rollout_report) reads it).
    async fn report_rollout(
        &self,
        env: &str,
        gitops_commit: &CommitId,
        markdown: &str,
    ) -> Result<()> {
        let mut s = lock(&self.state);
        let id = s
            .made_by
            .get(gitops_commit)
            .cloned()
            .or_else(|| {
                s.changes
                    .iter()
                    .find(|c| c.cr.environment == env && c.cr.head == *gitops_commit)
                    .map(|c| c.cr.id.clone())
            })
            .ok_or_else(|| {
                Error::not_found(format!(
                    "the change request of `{env}` merged as {gitops_commit} in {REPO}"
                ))
            })?;
        let text = format!("{}\n{markdown}", crate::ports::rollout_report_marker(env));
        let entry = s.reports.entry(id).or_default();
        *entry = (text, entry.1 + 1);
        Ok(())
    }

    async fn head(&self, env: &str) -> Result<Option<CommitId>> {
        Ok(lock(&self.state).branches.get(env).cloned())
    }

    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree> {
        let tree = lock(&self.state).tree(commit)?;
        Ok(solution_files(&tree, solution))
    }

    async fn propose(&self, proposal: ChangeProposal) -> Result<ProposeOutcome> {
        proposal.validate()?;
        let mut s = lock(&self.state);
        let (solution, env) = (proposal.solution.as_str(), proposal.environment.as_str());
        let head = s.branches.get(env).cloned();
        if head != proposal.base {
            return Err(Error::precondition(format!(
                "env branch `{env}` of {REPO} is at {}, the change was computed against {}",
                head.as_ref().map_or("nothing", CommitId::as_str),
                proposal.base.as_ref().map_or("nothing", CommitId::as_str),
            )));
        }
        let base_tree = match &head {
            Some(h) => s.tree(h)?,
            None => Arc::new(FileTree::new()),
        };
        let open = s.open_change(solution, env);

        if solution_files(&base_tree, solution) == proposal.files {
            let closed = open.map(|i| {
                s.changes[i].cr.state = ChangeState::Closed;
                s.changes[i].cr.clone()
            });
            return Ok(ProposeOutcome::NoDifference { closed });
        }
        if let Some(i) = open {
            let c = &s.changes[i];
            if c.files == proposal.files
                && c.cr.base == proposal.base
                && c.cr.provenance == proposal.provenance
            {
                return Ok(ProposeOutcome::Unchanged(c.cr.clone()));
            }
        }

        let mut tree = FileTree::clone(&base_tree);
        let old: Vec<String> = tree.paths_under(solution).map(str::to_string).collect();
        for path in old {
            tree.remove(&path);
        }
        for (path, content) in proposal.files.iter() {
            tree.insert(path, content)?;
        }
        let message = proposal
            .provenance
            .commit_message(&proposal.title, &proposal.body);
        let id = s.add(Commit::new(head.into_iter().collect(), tree, message));

        let cr = ChangeRequest {
            id: String::new(),
            solution: proposal.solution,
            environment: proposal.environment,
            state: ChangeState::Open,
            head: id,
            base: proposal.base,
            title: proposal.title,
            body: proposal.body,
            provenance: proposal.provenance,
            url: None,
        };
        Ok(match open {
            Some(i) => {
                let c = &mut s.changes[i];
                c.cr = ChangeRequest {
                    id: c.cr.id.clone(),
                    ..cr
                };
                c.files = proposal.files;
                ProposeOutcome::Updated(c.cr.clone())
            }
            None => {
                let cr = ChangeRequest {
                    id: (s.changes.len() + 1).to_string(),
                    ..cr
                };
                s.changes.push(Change {
                    cr: cr.clone(),
                    files: proposal.files,
                });
                ProposeOutcome::Opened(cr)
            }
        })
    }

    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>> {
        let s = lock(&self.state);
        Ok(s.open_change(solution, env)
            .map(|i| s.changes[i].cr.clone()))
    }

    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId> {
        self.merge_with(change, MergeMethod::FastForward).await
    }

    async fn merge_with(&self, change: &ChangeRequest, method: MergeMethod) -> Result<CommitId> {
        let mut s = lock(&self.state);
        let (solution, env) = (change.solution.as_str(), change.environment.as_str());
        let i = s.open_change(solution, env).ok_or_else(|| {
            Error::not_found(format!(
                "open change request for `{solution}` in env `{env}` of {REPO}"
            ))
        })?;
        let open = &s.changes[i].cr;
        if open.head != change.head {
            return Err(Error::precondition(format!(
                "change request {} now holds {}, not {}",
                open.id, open.head, change.head
            )));
        }
        let head = s.branches.get(env);
        if head != open.base.as_ref() {
            return Err(Error::precondition(format!(
                "env branch `{env}` moved since change request {} was computed; propose again",
                open.id
            )));
        }
        let (cr_head, cr_id, base) = (open.head.clone(), open.id.clone(), open.base.clone());
        let (tree, message) = {
            let c = s
                .commits
                .get(&cr_head)
                .ok_or_else(|| commit_not_found(REPO, &cr_head))?;
            (FileTree::clone(&c.tree), c.message.clone())
        };
        let title = message.lines().next().unwrap_or_default().to_string();
        let new_head = match method {
            MergeMethod::FastForward => cr_head,
            MergeMethod::Merge => {
                let message =
                    format!("Merge change request #{cr_id} from wo/{env}/{solution}\n\n{title}\n");
                let parents = base.into_iter().chain([cr_head.clone()]).collect();
                let id = s.add(Commit::new(parents, tree, message));
                s.merged.insert(id.clone(), cr_head);
                id
            }
            MergeMethod::Squash => {
                let id = s.add(Commit::new(
                    base.into_iter().collect(),
                    tree,
                    format!("{title} (#{cr_id})\n"),
                ));
                s.merged.insert(id.clone(), cr_head);
                id
            }
            MergeMethod::Rebase => s.add(Commit::new(base.into_iter().collect(), tree, message)),
        };
        s.branches.insert(env.to_string(), new_head.clone());
        s.made_by.insert(new_head.clone(), cr_id);
        s.changes[i].cr.state = ChangeState::Merged;
        Ok(new_head)
    }

    async fn merged_from(&self, _env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>> {
        let s = lock(&self.state);
        let c = s
            .commits
            .get(commit)
            .ok_or_else(|| commit_not_found(REPO, commit))?;
        let from = c
            .parents
            .iter()
            .skip(1)
            .find(|p| {
                s.commits
                    .get(*p)
                    .is_some_and(|m| Provenance::from_message(&m.message).is_some())
            })
            .or_else(|| s.merged.get(commit));
        from.map(|id| s.listed(id)).transpose()
    }

    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
        let s = lock(&self.state);
        let mut out = Vec::new();
        let mut next = s.branches.get(env).cloned();
        while let Some(id) = next {
            if out.len() >= limit {
                break;
            }
            out.push(s.listed(&id)?);
            next = s.commits.get(&id).and_then(|c| c.parents.first().cloned());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit_support::{files, provenance};
    use super::*;

    fn proposal(base: Option<CommitId>, replicas: u32) -> ChangeProposal {
        ChangeProposal {
            solution: "shop".into(),
            environment: "dev".into(),
            base,
            files: files(&[("shop/t1/values.yaml", &format!("replicas: {replicas}\n"))]),
            title: "Deploy shop".into(),
            body: String::new(),
            provenance: provenance("shop", "dev"),
        }
    }

    #[test]
    fn a_step_run_twice_opens_one_change_request() {
        futures::executor::block_on(async {
            let repo = InMemoryGitOpsRepo::new();
            let first = repo.propose(proposal(None, 1)).await.unwrap();
            let second = repo.propose(proposal(None, 1)).await.unwrap();
            assert!(first.wrote());
            assert!(!second.wrote());
            assert_eq!(repo.change_requests().len(), 1);
            let cr = second.change_request().unwrap().clone();
            let head = repo.merge(&cr).await.unwrap();
            let after = repo.propose(proposal(Some(head), 1)).await.unwrap();
            assert_eq!(after, ProposeOutcome::NoDifference { closed: None });
            assert!(!after.wrote());
            let states: Vec<ChangeState> = repo.change_requests().iter().map(|c| c.state).collect();
            assert_eq!(states, [ChangeState::Merged]);
        });
    }

    #[test]
    fn a_multi_line_title_is_invalid() {
        let mut p = proposal(None, 1);
        p.title = "one\ntwo".into();
        let err = futures::executor::block_on(InMemoryGitOpsRepo::new().propose(p)).unwrap_err();
        assert_eq!(err.diagnostics()[0].location.key_path, "title");
    }
}
