//! [`GitOpsRepo`] on GitHub: env branches changed through pull requests, written with the Git
//! Data API as one commit per change.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use wo_core::files::{check_name, FileTree};
use wo_core::ports::{
    ChangeProposal, ChangeRequest, ChangeState, CommitId, GitOpsCommit, GitOpsRepo, ProposeOutcome,
    Provenance,
};
use wo_core::{Error, Location, Result};

use crate::client::{
    GitCommit, MergePull, NewPullRequest, PullFilter, PullRequest, PullUpdate, TreeEntry, BACKEND,
};

use super::tree::{self, git_blob_sha, MAX_TREE_REQUEST_BYTES};
use super::GitHubRepo;

/// git's id of the empty tree.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// The mode of every file wo writes.
const FILE_MODE: &str = "100644";

/// The branch holding the change request of (solution, env): `wo/<env>/<solution>`.
pub fn change_branch(env: &str, solution: &str) -> String {
    format!("wo/{env}/{solution}")
}

/// [`GitOpsRepo`] on a GitHub repository.
///
/// # Layout
///
/// | branch | what |
/// |---|---|
/// | `<env>` | the env branch; moves only to merged changes (fast-forward, or a squash merge when protected) |
/// | `wo/<env>/<solution>` | head of the one pull request of (solution, env), into `<env>` |
///
/// The pull request is the change request: its number is the id, its head commit holds the
/// content and carries the provenance trailers in its message
/// ([`Provenance::commit_message`] of the proposal's title and body), its first parent is the
/// base. The pull request body is the proposal's body followed by the trailers, so the
/// provenance, diff summary and policy results a caller puts in the body show on the page.
///
/// A pull request needs an existing base branch: for an environment without one, the first
/// proposal creates `<env>` at a root commit with the empty tree (message
/// `wo: environment <env>`), which [`head`](GitOpsRepo::head) still reports as `None` and
/// [`history`](GitOpsRepo::history) leaves out.
///
/// # Requests per change
///
/// `propose` of content with `n` files in all, `c` of them changed or deleted (blob ids are
/// computed locally and compared with the env branch's tree and the open pull request's head,
/// so an unchanged file is never sent):
///
/// | step | requests |
/// |---|---|
/// | env head (`git/get-ref`, `git/get-commit`), base listing (`git/get-tree` recursive) | 3 |
/// | the open pull request of the pair (`pulls/list` with `head=<owner>:wo/<env>/<solution>`) | 1 |
/// | an open one: its head commit (`git/get-commit`), and its tree only when base and provenance are the same | 1–2 |
/// | the tree: `t` × `git/create-tree`, each on the one before; new text files ride inside as `content`, so GitHub writes their blobs | t = ⌈JSON of the `c` entries / [`MAX_TREE_REQUEST_BYTES`]⌉, at least 1 |
/// | blobs (`git/create-blob`) only for new files that are not UTF-8 or over [`MAX_INLINE_FILE_BYTES`](super::MAX_INLINE_FILE_BYTES) | b (0 for rendered YAML) |
/// | one commit | 1 |
/// | the change branch: `git/create-ref`, or `git/update-ref` with force when a pull request is open | 1 |
/// | the pull request: `pulls/create`, or `pulls/update` (title, body) | 1 |
///
/// So a new pull request costs `7 + t + b`, an update `8 + t + b` (`9 + t + b` when only the
/// content changed): independent of `n`, and of `c` up to a megabyte of changes per tree
/// request. The content-creating requests (POST/PATCH) are `4 + t + b` (`5 + t + b` with an
/// env branch to start): a chart change that rewrites the manifests of 5,000 targets is 24
/// (`docs/benchmarks.md`), far under GitHub's secondary limits of 80 a minute and 500 an
/// hour; it was one `git/create-blob` per new file before, 5,006 for that change.
/// `Unchanged` costs 6 and writes nothing; `NoDifference` 4
/// (6 when it closes an open pull request). When the change branch already holds the proposal
/// but the pull request's title or body are another's, one `pulls/update` brings them along
/// (7, reported `Updated`): what a proposal killed between moving the branch and retitling the
/// pull request leaves (`docs/recovery.md`). The first change of an environment without a
/// branch adds 2 (the root commit and its ref) and skips the base listing. `merge` costs 4.
///
/// A rerun after a kill writes the same trees again (content-addressed: the same ids); trees
/// and blobs no commit names are GitHub's to collect.
///
/// # Merging
///
/// `merge` checks the open pull request's head is `change.head` and the env branch is still at
/// its base, then moves the env branch to the head with `git/update-ref` **without force**: a
/// compare-and-swap (GitHub refuses what is not a fast-forward), and the merged commit is the
/// proposal's commit with its trailers. GitHub marks the pull request merged when it sees its
/// head on the base branch; until it has, a pull request whose head is the env branch's head
/// counts as merged here. When branch protection refuses the direct update, `merge` falls back
/// to `pulls/merge` with `merge_method: squash`, `sha` = the head (GitHub refuses when the head
/// moved) and the proposal's message as commit title and message, so the squash commit carries
/// the trailers; that path checks the env branch before merging, not atomically with it.
///
/// The change branch is force-moved to each new proposal (it is wo's own and is rebuilt on the
/// current base each time); the env branch never is.
#[derive(Debug, Clone)]
pub struct GitHubGitOpsRepo {
    repo: GitHubRepo,
    tree_request_bytes: usize,
}

impl GitHubGitOpsRepo {
    /// The gitops repo `repo`.
    pub fn new(repo: GitHubRepo) -> Self {
        Self {
            repo,
            tree_request_bytes: MAX_TREE_REQUEST_BYTES,
        }
    }

    /// The same repo, sending at most `bytes` of JSON in one `git/create-tree` request
    /// (default [`MAX_TREE_REQUEST_BYTES`]). A file whose entry alone is larger goes through
    /// `git/create-blob`.
    pub fn with_tree_request_bytes(mut self, bytes: usize) -> Self {
        self.tree_request_bytes = bytes.max(1);
        self
    }

    /// The repository handle.
    pub fn repo(&self) -> &GitHubRepo {
        &self.repo
    }
}

fn check_component(field: &str, name: &str) -> Result<()> {
    check_name(name).map_err(|m| Error::invalid(Location::file("<gitops>").with_key(field), m))?;
    if name.ends_with(".lock") {
        return Err(Error::invalid(
            Location::file("<gitops>").with_key(field),
            format!("`{name}` ends in `.lock`, which git refuses in ref names"),
        ));
    }
    Ok(())
}

fn check_env(env: &str) -> Result<()> {
    check_component("environment", env)?;
    if env == "wo" {
        return Err(Error::invalid(
            Location::file("<gitops>").with_key("environment"),
            "the environment name `wo` is reserved: change-request branches live under wo/",
        ));
    }
    Ok(())
}

/// A root commit with the empty tree: the start wo gives an env branch.
fn is_bootstrap(c: &GitCommit) -> bool {
    c.parents.is_empty() && c.tree.sha == EMPTY_TREE
}

fn backend(message: String) -> Error {
    Error::backend(BACKEND, message)
}

/// The env branch as GitHub has it.
struct EnvBranch {
    /// What the ref points to (the root commit when wo started the branch).
    target: String,
    commit: GitCommit,
}

impl EnvBranch {
    /// The head as the port reports it.
    fn head(&self) -> Option<CommitId> {
        (!is_bootstrap(&self.commit)).then(|| CommitId::new(self.target.clone()))
    }
}

/// Blob entries under `<solution>/`: path → (mode, sha).
fn solution_files(entries: &[TreeEntry], solution: &str) -> BTreeMap<String, (String, String)> {
    let prefix = format!("{solution}/");
    entries
        .iter()
        .filter(|e| e.kind == "blob" && e.path.starts_with(&prefix))
        .map(|e| (e.path.clone(), (e.mode.clone(), e.sha.clone())))
        .collect()
}

fn same_content(
    current: &BTreeMap<String, (String, String)>,
    new: &BTreeMap<String, String>,
) -> bool {
    current.len() == new.len()
        && current
            .iter()
            .all(|(p, (mode, sha))| mode == FILE_MODE && new.get(p) == Some(sha))
}

/// The body of the pull request of proposal `p`: its body, then the provenance trailers.
fn pull_body(p: &ChangeProposal) -> String {
    format!("{}\n\n{}", p.body.trim(), p.provenance.to_trailers())
        .trim_start()
        .to_string()
}

/// The body between the title and the trailer block of a message made by
/// [`Provenance::commit_message`].
fn body_of(message: &str) -> String {
    let Some((_, rest)) = message.split_once("\n\n") else {
        return String::new();
    };
    let rest = rest.trim_end();
    match rest.rsplit_once("\n\n") {
        Some((body, _trailers)) => body.trim().to_string(),
        None => String::new(),
    }
}

impl GitHubGitOpsRepo {
    async fn env_branch(&self, env: &str) -> Result<Option<EnvBranch>> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let Some(r) = gh.get_ref(repo, &format!("heads/{env}")).await? else {
            return Ok(None);
        };
        let commit = tree::commit(gh, repo, &r.object.sha).await?;
        Ok(Some(EnvBranch {
            target: r.object.sha,
            commit,
        }))
    }

    /// The open pull request of the pair, unless its head is already the env branch's head
    /// (merged by fast-forward; GitHub has not marked it yet).
    async fn open_pull(
        &self,
        env: &str,
        solution: &str,
        env_target: Option<&str>,
    ) -> Result<(Option<PullRequest>, Vec<PullRequest>)> {
        let filter = PullFilter {
            state: Some("open".into()),
            head: Some(format!(
                "{}:{}",
                self.repo.id.owner,
                change_branch(env, solution)
            )),
            base: Some(env.to_string()),
        };
        let pulls = self.repo.client.list_pulls(&self.repo.id, &filter).await?;
        let branch = change_branch(env, solution);
        let (merged, open): (Vec<_>, Vec<_>) = pulls
            .into_iter()
            .filter(|p| p.head.branch == branch && p.base.branch == env)
            .partition(|p| Some(p.head.sha.as_str()) == env_target);
        Ok((open.into_iter().min_by_key(|p| p.number), merged))
    }

    /// The change request of an open pull request whose head commit is `head`.
    fn request(
        &self,
        pr: &PullRequest,
        head: &GitCommit,
        base: Option<CommitId>,
        solution: &str,
        env: &str,
        state: ChangeState,
    ) -> Result<ChangeRequest> {
        let provenance = Provenance::from_message(&head.message).ok_or_else(|| {
            backend(format!(
                "pull request #{} of {}: its head commit {} carries no wo provenance trailers",
                pr.number, self.repo.id, head.sha
            ))
        })?;
        Ok(ChangeRequest {
            id: pr.number.to_string(),
            solution: solution.to_string(),
            environment: env.to_string(),
            state,
            head: CommitId::new(head.sha.clone()),
            base,
            title: pr.title.clone(),
            body: body_of(&head.message),
            provenance,
            url: pr.html_url.clone(),
        })
    }

    /// The base of a change whose head commit is `head`: its first parent, `None` for wo's root
    /// commit of the env branch.
    async fn base_of(&self, head: &GitCommit, env: Option<&EnvBranch>) -> Result<Option<CommitId>> {
        let Some(parent) = head.parents.first() else {
            return Ok(None);
        };
        if let Some(env) = env {
            if env.target == parent.sha {
                return Ok(env.head());
            }
        }
        let c = tree::commit(&self.repo.client, &self.repo.id, &parent.sha).await?;
        Ok((!is_bootstrap(&c)).then(|| CommitId::new(c.sha)))
    }

    /// Starts the env branch at a root commit with the empty tree.
    async fn start_env_branch(&self, env: &str) -> Result<EnvBranch> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let commit = gh
            .create_commit(repo, &format!("wo: environment {env}\n"), EMPTY_TREE, &[])
            .await?;
        match gh.create_ref(repo, &format!("refs/heads/{env}"), &commit.sha).await {
            Ok(_) => Ok(EnvBranch {
                target: commit.sha.clone(),
                commit,
            }),
            Err(Error::AlreadyExists { .. }) => Err(Error::precondition(format!(
                    "env branch {env} of {repo} was created by another writer; the change was computed against no branch"
                ))),
            Err(e) => Err(e),
        }
    }

    async fn propose_checked(&self, p: &ChangeProposal) -> Result<ProposeOutcome> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let (env, solution) = (p.environment.as_str(), p.solution.as_str());
        let branch = self.env_branch(env).await?;
        let head = branch.as_ref().and_then(EnvBranch::head);
        if head != p.base {
            return Err(Error::precondition(format!(
                "env branch {env} of {repo} is at {}, the change was computed against {}",
                head.as_ref().map_or("nothing", CommitId::as_str),
                p.base.as_ref().map_or("nothing", CommitId::as_str),
            )));
        }
        let base_entries = match &branch {
            Some(b) if b.commit.tree.sha != EMPTY_TREE => {
                tree::entries(gh, repo, &b.commit.tree.sha, &[solution.to_string()]).await?
            }
            _ => Vec::new(),
        };
        let mut known: HashSet<String> = base_entries
            .iter()
            .filter(|e| e.kind == "blob")
            .map(|e| e.sha.clone())
            .collect();
        let current = solution_files(&base_entries, solution);
        let new: BTreeMap<String, String> = p
            .files
            .iter()
            .map(|(path, bytes)| (path.to_string(), git_blob_sha(bytes)))
            .collect();
        let target = branch.as_ref().map(|b| b.target.as_str());
        let (open, _merged) = self.open_pull(env, solution, target).await?;

        if same_content(&current, &new) {
            let Some(pr) = open else {
                return Ok(ProposeOutcome::NoDifference { closed: None });
            };
            let head_commit = tree::commit(gh, repo, &pr.head.sha).await?;
            let base = self.base_of(&head_commit, branch.as_ref()).await?;
            let update = PullUpdate {
                state: Some("closed".into()),
                ..PullUpdate::default()
            };
            gh.update_pull(repo, pr.number, &update).await?;
            let closed =
                self.request(&pr, &head_commit, base, solution, env, ChangeState::Closed)?;
            return Ok(ProposeOutcome::NoDifference {
                closed: Some(closed),
            });
        }

        if let Some(pr) = &open {
            let head_commit = tree::commit(gh, repo, &pr.head.sha).await?;
            let same_base = head_commit.parents.first().map(|s| s.sha.as_str()) == target;
            let same_provenance =
                Provenance::from_message(&head_commit.message).as_ref() == Some(&p.provenance);
            if same_base && same_provenance {
                let entries =
                    tree::entries(gh, repo, &head_commit.tree.sha, &[solution.to_string()]).await?;
                if same_content(&solution_files(&entries, solution), &new) {
                    let cr = self.request(
                        pr,
                        &head_commit,
                        p.base.clone(),
                        solution,
                        env,
                        ChangeState::Open,
                    )?;
                    // The branch holds this proposal but the pull request may still show the
                    // one before: a proposal killed between moving the branch and retitling.
                    let pr_body = pull_body(p);
                    if pr.title != p.title
                        || pr.body.as_deref().unwrap_or_default().trim() != pr_body.trim()
                    {
                        let update = PullUpdate {
                            title: Some(p.title.clone()),
                            body: Some(pr_body),
                            state: None,
                        };
                        let pr = gh.update_pull(repo, pr.number, &update).await?;
                        return Ok(ProposeOutcome::Updated(ChangeRequest {
                            title: p.title.clone(),
                            url: pr.html_url,
                            ..cr
                        }));
                    }
                    return Ok(ProposeOutcome::Unchanged(cr));
                }
                known.extend(
                    entries
                        .into_iter()
                        .filter(|e| e.kind == "blob")
                        .map(|e| e.sha),
                );
            }
        }

        // Write: the new files inside the tree requests (blobs only for what cannot go there),
        // one commit, one ref, one pull request.
        let branch = match branch {
            Some(b) => b,
            None => self.start_env_branch(env).await?,
        };
        let base_tree =
            (branch.commit.tree.sha != EMPTY_TREE).then(|| branch.commit.tree.sha.clone());
        let changes = tree::Changes {
            files: p
                .files
                .iter()
                .filter(|(path, _)| {
                    current.get(*path) != Some(&(FILE_MODE.to_string(), new[*path].clone()))
                })
                .map(|(path, bytes)| (path, bytes, new[path].as_str()))
                .collect(),
            deleted: current
                .keys()
                .filter(|path| !new.contains_key(*path))
                .map(String::as_str)
                .collect(),
        };
        let new_tree = tree::write(
            gh,
            repo,
            base_tree,
            &changes,
            &mut known,
            self.tree_request_bytes,
        )
        .await?;
        let message = p.provenance.commit_message(&p.title, &p.body);
        let commit = gh
            .create_commit(
                repo,
                &message,
                &new_tree,
                std::slice::from_ref(&branch.target),
            )
            .await?;

        let change = change_branch(env, solution);
        let pr_body = pull_body(p);
        let (pr, outcome_opened) = match open {
            Some(pr) => {
                gh.reset_ref(repo, &format!("heads/{change}"), &commit.sha)
                    .await?;
                let update = PullUpdate {
                    title: Some(p.title.clone()),
                    body: Some(pr_body),
                    state: None,
                };
                (gh.update_pull(repo, pr.number, &update).await?, false)
            }
            None => {
                match gh
                    .create_ref(repo, &format!("refs/heads/{change}"), &commit.sha)
                    .await
                {
                    Ok(_) => {}
                    // Left from an earlier, merged or closed, pull request of the pair.
                    Err(Error::AlreadyExists { .. }) => {
                        gh.reset_ref(repo, &format!("heads/{change}"), &commit.sha)
                            .await?;
                    }
                    Err(e) => return Err(e),
                }
                let new_pull = NewPullRequest {
                    title: p.title.clone(),
                    head: change.clone(),
                    base: env.to_string(),
                    body: pr_body,
                };
                (gh.create_pull(repo, &new_pull).await?, true)
            }
        };
        let cr = ChangeRequest {
            id: pr.number.to_string(),
            solution: solution.to_string(),
            environment: env.to_string(),
            state: ChangeState::Open,
            head: CommitId::new(commit.sha),
            base: p.base.clone(),
            title: p.title.clone(),
            body: p.body.trim().to_string(),
            provenance: p.provenance.clone(),
            url: pr.html_url,
        };
        Ok(if outcome_opened {
            ProposeOutcome::Opened(cr)
        } else {
            ProposeOutcome::Updated(cr)
        })
    }

    async fn merge_checked(&self, change: &ChangeRequest) -> Result<CommitId> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let (env, solution) = (change.environment.as_str(), change.solution.as_str());
        let env_ref = gh.get_ref(repo, &format!("heads/{env}")).await?;
        let target = env_ref.as_ref().map(|r| r.object.sha.clone());
        let (open, _) = self.open_pull(env, solution, target.as_deref()).await?;
        let pr = open.ok_or_else(|| {
            Error::not_found(format!(
                "open pull request of `{solution}` for env `{env}` in {repo}"
            ))
        })?;
        if pr.head.sha != change.head.as_str() {
            return Err(Error::precondition(format!(
                "pull request #{} of {repo} now holds {}, not {}",
                pr.number, pr.head.sha, change.head
            )));
        }
        let head = tree::commit(gh, repo, &pr.head.sha).await?;
        let parent = head.parents.first().map(|s| s.sha.clone());
        if parent.is_none() || parent != target {
            return Err(Error::precondition(format!(
                    "env branch {env} of {repo} moved to {} since pull request #{} was computed against {}; propose again",
                    target.as_deref().unwrap_or("nothing"),
                    pr.number,
                    parent.as_deref().unwrap_or("nothing"),
                )));
        }
        match gh
            .update_ref(repo, &format!("heads/{env}"), &head.sha)
            .await
        {
            Ok(_) => Ok(CommitId::new(head.sha)),
            Err(Error::Precondition { what, .. }) => Err(Error::precondition(format!(
                "merging pull request #{}: {what}; propose again",
                pr.number
            ))),
            Err(Error::Unsupported { .. }) => {
                let (title, rest) = head
                    .message
                    .split_once("\n\n")
                    .unwrap_or((head.message.as_str(), ""));
                let merge = MergePull {
                    sha: Some(head.sha.clone()),
                    merge_method: Some("squash".into()),
                    commit_title: Some(title.trim().to_string()),
                    commit_message: Some(rest.trim_end().to_string()),
                };
                let merged = gh.merge_pull(repo, pr.number, &merge).await?;
                if !merged.merged {
                    return Err(Error::precondition(format!(
                        "pull request #{} of {repo} did not merge: {}",
                        pr.number, merged.message
                    )));
                }
                Ok(CommitId::new(merged.sha))
            }
            Err(e) => Err(e),
        }
    }
}

impl GitHubGitOpsRepo {
    /// [`GitOpsRepo::merged_from`] on GitHub: among the pull requests associated with
    /// `commit` (`GET /repos/{o}/{r}/commits/{sha}/pulls`), one merged into `env` from a
    /// change branch `wo/<env>/…` whose merge made `commit` (`merge_commit_sha`); its head
    /// commit (`git/get-commit`) when it carries provenance trailers. 1 request, plus 1 per
    /// such pull request.
    pub async fn merged_pull_head(
        &self,
        env: &str,
        commit: &CommitId,
    ) -> Result<Option<GitOpsCommit>> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let prefix = format!("wo/{env}/");
        let pulls = match gh.commit_pulls(repo, commit.as_str()).await {
            Ok(pulls) => pulls,
            Err(e) => {
                // GitHub answers 422 for a commit it does not have: say NotFound for that.
                tree::commit(gh, repo, commit.as_str()).await?;
                return Err(e);
            }
        };
        for pr in pulls {
            let merged_here = pr.merged_at.is_some()
                && pr.base.branch == env
                && pr.head.branch.starts_with(&prefix)
                && pr.merge_commit_sha.as_deref() == Some(commit.as_str());
            if !merged_here {
                continue;
            }
            let head = tree::commit(gh, repo, &pr.head.sha).await?;
            if let Some(provenance) = Provenance::from_message(&head.message) {
                return Ok(Some(GitOpsCommit {
                    id: CommitId::new(head.sha),
                    provenance: Some(provenance),
                    message: head.message,
                    tree: head.tree.sha,
                }));
            }
        }
        Ok(None)
    }
}

impl GitHubGitOpsRepo {
    /// [`GitOpsRepo::report_rollout`] on GitHub: the pull request whose merge made `commit`
    /// (associated with it, `GET /repos/{o}/{r}/commits/{sha}/pulls`: into `env` from a change
    /// branch `wo/<env>/…`, its head or merge commit `commit`), then its comments
    /// (`issues/list-comments`): the one starting with
    /// [`rollout_report_marker`](wo_core::ports::rollout_report_marker) is edited
    /// (`issues/update-comment`), or one is created (`issues/create-comment`). 3 requests (one
    /// more per further 100 comments); one content-creating. Needs `contents: read`,
    /// `pull_requests: write` (or `issues: write`) on the gitops repo.
    pub async fn upsert_rollout_comment(
        &self,
        env: &str,
        commit: &CommitId,
        markdown: &str,
    ) -> Result<u64> {
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let prefix = format!("wo/{env}/");
        let pulls = gh.commit_pulls(repo, commit.as_str()).await?;
        let pr = pulls
            .iter()
            .filter(|p| p.base.branch == env && p.head.branch.starts_with(&prefix))
            .filter(|p| {
                p.head.sha == commit.as_str()
                    || p.merge_commit_sha.as_deref() == Some(commit.as_str())
            })
            .min_by_key(|p| (p.head.sha != commit.as_str(), p.number))
            .ok_or_else(|| {
                Error::not_found(format!(
                    "the pull request of `{env}` merged as {commit} in {repo}"
                ))
            })?;
        let marker = wo_core::ports::rollout_report_marker(env);
        let body = format!("{marker}\n{markdown}");
        let comments = gh.list_issue_comments(repo, pr.number).await?;
        // wo's own: the marker opens it (a comment quoting it further down is someone else's).
        let ours = comments
            .iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(&marker)));
        match ours {
            Some(c) if c.body.as_deref() == Some(body.as_str()) => {}
            Some(c) => {
                gh.update_issue_comment(repo, c.id, &body).await?;
            }
            None => {
                gh.create_issue_comment(repo, pr.number, &body).await?;
            }
        }
        Ok(pr.number)
    }
}

#[async_trait]
impl GitOpsRepo for GitHubGitOpsRepo {
    /// One pull request comment per environment, edited in place: see
    /// [`upsert_rollout_comment`](GitHubGitOpsRepo::upsert_rollout_comment).
    async fn report_rollout(
        &self,
        env: &str,
        gitops_commit: &CommitId,
        markdown: &str,
    ) -> Result<()> {
        check_env(env)?;
        self.upsert_rollout_comment(env, gitops_commit, markdown)
            .await
            .map(|_| ())
    }

    /// A commit status on the pull request's head commit (`repos/create-commit-status`) and
    /// the label added (`issues/add-labels`) or removed (`issues/remove-label`). Needs
    /// `statuses: write` and `pull_requests: write` (or `issues: write`) on the gitops repo.
    async fn set_check(
        &self,
        change: &ChangeRequest,
        check: &wo_core::ports::ChangeCheck,
    ) -> Result<()> {
        let number: u64 = change.id.parse().map_err(|_| {
            Error::invalid(
                Location::file("<change request>").with_key("id"),
                format!("`{}` is not a pull request number", change.id),
            )
        })?;
        let (gh, repo) = (&self.repo.client, &self.repo.id);
        let status = crate::client::NewStatus {
            state: check.status.state.as_str().to_string(),
            target_url: check.status.target_url.clone(),
            description: Some(
                check
                    .status
                    .description
                    .chars()
                    .take(super::MAX_STATUS_DESCRIPTION)
                    .collect(),
            ),
            context: check.status.context.clone(),
        };
        gh.create_status(repo, change.head.as_str(), &status)
            .await?;
        if check.labeled {
            gh.add_labels(repo, number, &[check.label.as_str()]).await
        } else {
            gh.remove_label(repo, number, &check.label).await
        }
    }

    async fn head(&self, env: &str) -> Result<Option<CommitId>> {
        check_env(env)?;
        Ok(self.env_branch(env).await?.and_then(|b| b.head()))
    }

    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree> {
        check_component("solution", solution)?;
        tree::read_files(
            &self.repo.client,
            &self.repo.id,
            commit,
            &[solution.to_string()],
        )
        .await
    }

    async fn propose(&self, proposal: ChangeProposal) -> Result<ProposeOutcome> {
        proposal.validate()?;
        check_env(&proposal.environment)?;
        check_component("solution", &proposal.solution)?;
        self.propose_checked(&proposal).await
    }

    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>> {
        check_env(env)?;
        check_component("solution", solution)?;
        let branch = self.env_branch(env).await?;
        let target = branch.as_ref().map(|b| b.target.as_str());
        let (open, _) = self.open_pull(env, solution, target).await?;
        let Some(pr) = open else {
            return Ok(None);
        };
        let head = tree::commit(&self.repo.client, &self.repo.id, &pr.head.sha).await?;
        let base = self.base_of(&head, branch.as_ref()).await?;
        self.request(&pr, &head, base, solution, env, ChangeState::Open)
            .map(Some)
    }

    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId> {
        check_env(&change.environment)?;
        check_component("solution", &change.solution)?;
        self.merge_checked(change).await
    }

    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
        check_env(env)?;
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let Some(branch) = self.env_branch(env).await? else {
            return Ok(out);
        };
        let mut next = Some(branch.commit);
        while let Some(c) = next {
            if is_bootstrap(&c) {
                break;
            }
            let parent = c.parents.first().map(|p| p.sha.clone());
            out.push(GitOpsCommit {
                id: CommitId::new(c.sha),
                provenance: Provenance::from_message(&c.message),
                message: c.message,
                tree: c.tree.sha,
            });
            next = match parent {
                Some(p) if out.len() < limit => {
                    Some(tree::commit(&self.repo.client, &self.repo.id, &p).await?)
                }
                _ => None,
            };
        }
        Ok(out)
    }

    async fn merged_from(&self, env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>> {
        check_env(env)?;
        self.merged_pull_head(env, commit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_sits_between_title_and_trailers() {
        let p = wo_core::testkit::provenance("shop", "dev", "a1");
        let m = p.commit_message("Deploy shop", "Rendered 3 targets.\n\nPolicies: ok");
        assert_eq!(body_of(&m), "Rendered 3 targets.\n\nPolicies: ok");
        assert_eq!(body_of(&p.commit_message("Deploy shop", "")), "");
    }
}
