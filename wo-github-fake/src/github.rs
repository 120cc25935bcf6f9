//! [`FakeGitHub`], the handle a test holds: start and stop the server, set up repositories,
//! read what the API calls did, inject faults.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::{self, Access, Actor, Repositories, TokenSpec, ADMIN_LOGIN};
use crate::events;
use crate::fault::Fault;
use crate::git;
use crate::limits::SecondaryRateLimits;
use crate::records::{
    CheckRunRecord, CommitStatus, DispatchedEvent, Event, IssueComment, PullRequest,
    WorkflowDispatch,
};
use crate::reply;
use crate::routes::ROUTES;
use crate::rules::{self, Ruleset};
use crate::server::{self, Shared};
use crate::state::{Repo, Review, State, ACTOR, PUSHER};
use crate::writes::{Write, WriteHooks};

/// A running fake GitHub on `127.0.0.1` (a free port). Dropping it stops the server.
pub struct FakeGitHub {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeGitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGitHub")
            .field("addr", &self.addr)
            .finish()
    }
}

impl FakeGitHub {
    /// Starts the server on a free port of 127.0.0.1.
    ///
    /// # Errors
    /// The port cannot be bound or the temporary directory cannot be created.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let root = tempfile::Builder::new()
            .prefix("wo-fake-github-")
            .tempdir()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(root)),
            base_url: format!("http://{addr}"),
            writes: WriteHooks::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stopped));
        Ok(Self {
            shared,
            addr,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, the API root (as `https://api.github.com` is GitHub's).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and closes its connections.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Creates `owner/name`, public, with a `main` branch holding one commit (a `README.md`)
    /// and returns that commit's sha; all three merge methods are allowed (GitHub's defaults).
    /// An existing repository is left as it is. Make it private with
    /// [`set_private`](Self::set_private).
    ///
    /// # Panics
    /// When git cannot write the repository.
    pub fn create_repo(&self, owner: &str, name: &str) -> String {
        let mut state = self.shared.lock();
        if let Some(repo) = state.repos.get(&(owner.to_owned(), name.to_owned())) {
            return git::branch_sha(&repo.git, &repo.default_branch)
                .map(|o| o.to_string())
                .unwrap_or_default();
        }
        let dir = state.repo_dir(owner, name);
        let (git, initial) =
            git::init_bare(&dir, "main", ACTOR).expect("fake GitHub: git init failed");
        let id = state.id();
        state.repos.insert(
            (owner.to_owned(), name.to_owned()),
            Repo {
                id,
                owner: owner.to_owned(),
                name: name.to_owned(),
                git,
                default_branch: "main".to_owned(),
                created_at: reply::now_secs(),
                pulls: Vec::new(),
                comments: Vec::new(),
                labels: BTreeMap::new(),
                statuses: Vec::new(),
                check_runs: Vec::new(),
                dispatches: Vec::new(),
                workflow_dispatches: Vec::new(),
                base: self.shared.base_url.clone(),
                private: false,
                allow_merge_commit: true,
                allow_squash_merge: true,
                allow_rebase_merge: true,
                rulesets: Vec::new(),
                reviews: Vec::new(),
                environments: BTreeMap::new(),
                variables: BTreeMap::new(),
                events: Vec::new(),
            },
        );
        initial.to_string()
    }

    /// The bare git repository of `owner/name` on disk (for tests that use git directly).
    pub fn repo_path(&self, owner: &str, name: &str) -> PathBuf {
        self.shared.lock().repo_dir(owner, name)
    }

    fn with_repo<T>(&self, owner: &str, name: &str, f: impl FnOnce(&mut Repo) -> T) -> T {
        let mut state = self.shared.lock();
        let repo = state
            .repo(owner, name)
            .unwrap_or_else(|_| panic!("fake GitHub: no repository {owner}/{name}"));
        let value = f(repo);
        state.collect_events();
        value
    }

    /// Pushes one commit changing `files` (`None` deletes a file) to `branch`, as a user would
    /// with `git push`; a missing branch is created from `main`. Returns the new commit's sha.
    /// Use it to move a branch underneath a client (a concurrent push).
    ///
    /// # Panics
    /// When the repository does not exist.
    pub fn push_files(
        &self,
        owner: &str,
        name: &str,
        branch: &str,
        files: &[(&str, Option<&str>)],
        message: &str,
    ) -> String {
        let edits: Vec<git::FileEdit> = files
            .iter()
            .map(|(p, c)| ((*p).to_owned(), c.map(|c| c.as_bytes().to_vec())))
            .collect();
        self.with_repo(owner, name, |repo| {
            let from = repo.default_branch.clone();
            let before = git::branch_sha(&repo.git, branch);
            let sha = git::push_files(&repo.git, branch, &from, &edits, message)
                .expect("fake GitHub: push failed");
            events::branch_moved(repo, branch, before, Some(sha), &pusher());
            sha.to_string()
        })
    }

    /// Points `branch` at `sha` (creating it), whatever it pointed at before.
    ///
    /// # Panics
    /// When the repository or the commit does not exist.
    pub fn set_branch(&self, owner: &str, name: &str, branch: &str, sha: &str) {
        self.with_repo(owner, name, |repo| {
            let oid = git2::Oid::from_str(sha).expect("fake GitHub: bad sha");
            let before = git::branch_sha(&repo.git, branch);
            repo.git
                .reference(&format!("refs/heads/{branch}"), oid, true, "set_branch")
                .expect("fake GitHub: cannot set branch");
            events::branch_moved(repo, branch, before, Some(oid), &pusher());
        });
    }

    /// The commit `branch` points at.
    pub fn branch_sha(&self, owner: &str, name: &str, branch: &str) -> Option<String> {
        self.with_repo(owner, name, |repo| {
            git::branch_sha(&repo.git, branch).map(|o| o.to_string())
        })
    }

    /// Every file of `branch`'s tree by path, read as wo reads a commit
    /// ([`wo_git::tree::read_tree`]); `None` when the branch does not exist or its tree holds
    /// what wo refuses to read (a symbolic link, a submodule, a file over 8 MiB).
    pub fn read_tree(
        &self,
        owner: &str,
        name: &str,
        branch: &str,
    ) -> Option<BTreeMap<String, String>> {
        self.with_repo(owner, name, |repo| {
            let commit = repo
                .git
                .find_commit(git::branch_sha(&repo.git, branch)?)
                .ok()?;
            let files = wo_git::tree::read_tree(&repo.git, &commit.tree().ok()?).ok()?;
            Some(
                files
                    .iter()
                    .map(|(p, b)| (p.to_owned(), String::from_utf8_lossy(b).into_owned()))
                    .collect(),
            )
        })
    }

    /// One file of `branch`.
    pub fn read_file(&self, owner: &str, name: &str, branch: &str, path: &str) -> Option<String> {
        self.read_tree(owner, name, branch)?.remove(path)
    }

    /// The messages of `branch`'s commits, newest first.
    pub fn log(&self, owner: &str, name: &str, branch: &str) -> Vec<String> {
        self.with_repo(owner, name, |repo| {
            let Some(head) = git::branch_sha(&repo.git, branch) else {
                return Vec::new();
            };
            let mut walk = repo.git.revwalk().expect("revwalk");
            walk.push(head).expect("revwalk push");
            walk.filter_map(Result::ok)
                .filter_map(|oid| repo.git.find_commit(oid).ok())
                .map(|c| c.message().unwrap_or_default().to_owned())
                .collect()
        })
    }

    /// The pull requests of `owner/name`, by number.
    pub fn pulls(&self, owner: &str, name: &str) -> Vec<PullRequest> {
        self.with_repo(owner, name, |repo| {
            repo.pulls
                .iter()
                .map(|p| PullRequest {
                    number: p.number,
                    title: p.title.clone(),
                    body: p.body.clone(),
                    head: p.head.clone(),
                    base: p.base.clone(),
                    state: if p.open { "open" } else { "closed" }.to_owned(),
                    merged: p.merged,
                    merge_commit_sha: p.merge_commit_sha.clone(),
                    labels: p.labels.clone(),
                    user: p.user.clone(),
                    merged_by: p.merged_by.clone(),
                })
                .collect()
        })
    }

    /// The statuses of commit `sha`, oldest first.
    pub fn statuses(&self, owner: &str, name: &str, sha: &str) -> Vec<CommitStatus> {
        self.with_repo(owner, name, |repo| {
            repo.statuses
                .iter()
                .filter(|s| s.sha == sha)
                .map(|s| CommitStatus {
                    state: s.state.clone(),
                    context: s.context.clone(),
                    description: s.description.clone(),
                    target_url: s.target_url.clone(),
                    creator: s.creator.clone(),
                })
                .collect()
        })
    }

    /// The comments of issue (pull request) `issue`, oldest first.
    pub fn comments(&self, owner: &str, name: &str, issue: u64) -> Vec<IssueComment> {
        self.with_repo(owner, name, |repo| {
            repo.comments
                .iter()
                .filter(|c| c.issue == issue)
                .map(|c| IssueComment {
                    id: c.id,
                    issue: c.issue,
                    body: c.body.clone(),
                    user: c.user.clone(),
                })
                .collect()
        })
    }

    /// The check runs of `owner/name`, oldest first.
    pub fn check_runs(&self, owner: &str, name: &str) -> Vec<CheckRunRecord> {
        self.with_repo(owner, name, |repo| {
            repo.check_runs
                .iter()
                .map(|c| CheckRunRecord {
                    id: c.id,
                    name: c.name.clone(),
                    head_sha: c.head_sha.clone(),
                    status: c.status.clone(),
                    conclusion: c.conclusion.clone(),
                })
                .collect()
        })
    }

    /// The `repository_dispatch` events sent to `owner/name`, oldest first.
    pub fn dispatched_events(&self, owner: &str, name: &str) -> Vec<DispatchedEvent> {
        self.with_repo(owner, name, |repo| repo.dispatches.clone())
    }

    /// The `workflow_dispatch` requests sent to `owner/name`, oldest first.
    pub fn workflow_dispatches(&self, owner: &str, name: &str) -> Vec<WorkflowDispatch> {
        self.with_repo(owner, name, |repo| repo.workflow_dispatches.clone())
    }

    /// How many requests `route` (an `operationId` of [`ROUTES`]) received, faults included.
    pub fn request_count(&self, route: &str) -> u64 {
        self.shared.lock().counts.get(route).copied().unwrap_or(0)
    }

    /// Requests received per route.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared.lock().counts.clone()
    }

    /// The next `times` requests of `route` (an `operationId` of [`ROUTES`]) meet `fault`
    /// (after any faults queued before).
    ///
    /// # Panics
    /// When `route` is not one of [`ROUTES`] (a typo would otherwise inject nothing).
    pub fn inject(&self, route: &str, fault: Fault, times: usize) {
        assert!(
            ROUTES.contains(&route),
            "fake GitHub: unknown route {route:?}; routes are the spec's operationIds: {ROUTES:?}"
        );
        let mut state = self.shared.lock();
        let queue = state.faults.entry(route.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// The writes (`POST`, `PUT`, `PATCH`, `DELETE` requests) applied so far, in order: what
    /// a client changed, refused and faulted writes included; reads are not listed.
    pub fn writes(&self) -> Vec<Write> {
        self.shared.writes.log()
    }

    /// Calls `callback` once the `n`th write from now (`n` ≥ 1; counted as
    /// [`writes`](Self::writes) lists them) has been applied, before it is answered: the answer
    /// waits until `callback` returns, and `callback` sees the writes so far, this one last.
    /// The callback runs on a thread where it may block, so a test can kill the client
    /// meanwhile (abort its task): the client then died at exactly that write, applied by
    /// GitHub and never acknowledged to it — a deterministic kill point. Each callback fires
    /// once.
    ///
    /// ```no_run
    /// # async fn demo(github: wo_github_fake::FakeGitHub) {
    /// let (reached, at) = tokio::sync::oneshot::channel();
    /// let (release, released) = std::sync::mpsc::channel::<()>();
    /// github.after_write(2, move |writes| {
    ///     let _ = reached.send(writes.last().map(ToString::to_string));
    ///     let _ = released.recv(); // the answer waits until the test says so
    /// });
    /// let client = tokio::spawn(async { /* … two or more writes … */ });
    /// let second = at.await; // e.g. Ok(Some("POST /repos/o/r/git/blobs"))
    /// client.abort(); // the process dies with the second write applied, unanswered
    /// let _ = release.send(());
    /// # let _ = second; }
    /// ```
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn after_write(&self, n: u64, callback: impl FnOnce(&[Write]) + Send + 'static) {
        assert!(n >= 1, "after_write counts from 1 (the next write)");
        self.shared.writes.after(n, Box::new(callback));
    }

    /// From now on every write first passes `gate`, before anything of it is applied or
    /// counted: `true` lets it through; `false` drops it — nothing applied, not listed in
    /// [`writes`](Self::writes), the connection closed without an answer. The gate runs on a
    /// thread where it may block, so a test can hold a write until it has killed the client
    /// that sent it (a process that died before GitHub applied its request). Replaces any
    /// gate set before.
    pub fn gate_writes(&self, gate: impl Fn(&Write) -> bool + Send + Sync + 'static) {
        self.shared.writes.set_gate(Some(Arc::new(gate)));
    }

    /// Removes the gate of [`gate_writes`](Self::gate_writes).
    pub fn ungate_writes(&self) {
        self.shared.writes.set_gate(None);
    }
    /// Issues a token for `spec`: `ghs_…` for an App installation or a `GITHUB_TOKEN`,
    /// `github_pat_…` for a user. Requests carry it as `Authorization: Bearer <token>` (or
    /// `token <token>`); anything else is GitHub's 401 `Bad credentials`.
    pub fn issue_token(&self, spec: TokenSpec) -> String {
        let mut state = self.shared.lock();
        let serial = state.tokens.len() as u64 + 1;
        let salt = u64::from(self.addr.port()) << 32 | u64::from(std::process::id());
        let token = auth::token_string(&spec.actor, serial, salt);
        state.tokens.insert(token.clone(), spec);
        token
    }

    /// A token of the user [`ADMIN_LOGIN`] with every permission on every repository, for
    /// tests that do not care who acts.
    pub fn admin_token(&self) -> String {
        self.issue_token(
            TokenSpec::user(ADMIN_LOGIN, Repositories::All).all_permissions(Access::Write),
        )
    }

    /// Makes `owner/name` private (`true`) or public. A private repository is invisible
    /// (404) to tokens not granted it; a public one is readable by every token.
    ///
    /// # Panics
    /// When the repository does not exist.
    pub fn set_private(&self, owner: &str, name: &str, private: bool) {
        self.with_repo(owner, name, |repo| repo.private = private);
    }

    /// Which merge methods `pulls/merge` accepts on `owner/name` (`allow_merge_commit`,
    /// `allow_squash_merge`, `allow_rebase_merge`; all `true` when created). GitHub requires
    /// at least one.
    ///
    /// # Panics
    /// When the repository does not exist or all three are `false`.
    pub fn set_merge_methods(
        &self,
        owner: &str,
        name: &str,
        merge: bool,
        squash: bool,
        rebase: bool,
    ) {
        assert!(
            merge || squash || rebase,
            "GitHub requires at least one merge method"
        );
        self.with_repo(owner, name, |repo| {
            repo.allow_merge_commit = merge;
            repo.allow_squash_merge = squash;
            repo.allow_rebase_merge = rebase;
        });
    }

    /// The events recorded so far (every repository, oldest first).
    pub fn events(&self) -> Vec<Event> {
        self.shared.lock().events.clone()
    }

    /// The events recorded so far, forgetting them.
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut self.shared.lock().events)
    }

    /// Adds a ruleset to `owner/name` from GitHub's ruleset JSON (the body of
    /// `POST /repos/{owner}/{repo}/rulesets`) and returns its id.
    ///
    /// # Panics
    /// When the repository does not exist or GitHub would refuse the ruleset.
    pub fn add_ruleset(&self, owner: &str, name: &str, ruleset: serde_json::Value) -> u64 {
        let mut state = self.shared.lock();
        let id = state.id();
        let parsed = Ruleset::parse(id, &ruleset, reply::now_secs())
            .unwrap_or_else(|e| panic!("fake GitHub: ruleset refused: {}", reply::message(&e)));
        let repo = state
            .repo(owner, name)
            .unwrap_or_else(|_| panic!("fake GitHub: no repository {owner}/{name}"));
        repo.rulesets.push(parsed);
        id
    }

    /// The rulesets of `owner/name` as `GET …/rulesets/{id}` answers them.
    pub fn rulesets(&self, owner: &str, name: &str) -> Vec<serde_json::Value> {
        let base = self.base_url().to_owned();
        self.with_repo(owner, name, |repo| {
            repo.rulesets
                .iter()
                .map(|r| r.render(&base, owner, name, None))
                .collect()
        })
    }

    /// Defines the team `org/slug` (for CODEOWNERS `@org/slug` and ruleset `Team` bypass
    /// actors) and returns its id.
    pub fn set_team(&self, org: &str, slug: &str, members: &[&str]) -> u64 {
        let key = format!("{org}/{slug}");
        let mut state = self.shared.lock();
        let id = match state.teams.get(&key) {
            Some((id, _)) => *id,
            None => state.id(),
        };
        let members = members.iter().map(|m| (*m).to_owned()).collect();
        state.teams.insert(key, (id, members));
        id
    }

    /// The id GitHub gives the App `slug` (for a ruleset's `Integration` bypass actor).
    /// `GITHUB_TOKEN` acts as the `github-actions` App, id 15368.
    pub fn app_id(slug: &str) -> u64 {
        if slug == "github-actions" {
            rules::GITHUB_ACTIONS_APP_ID
        } else {
            rules::app_id(slug)
        }
    }

    /// Records a review of pull request `number` by `login` (`APPROVED`,
    /// `CHANGES_REQUESTED` or `COMMENTED`) on its current head, as if submitted in the web UI.
    ///
    /// # Panics
    /// When the pull request does not exist.
    pub fn add_review(&self, owner: &str, name: &str, number: u64, login: &str, state: &str) {
        let mut st = self.shared.lock();
        let id = st.id();
        let repo = st
            .repo(owner, name)
            .unwrap_or_else(|_| panic!("fake GitHub: no repository {owner}/{name}"));
        let p = repo
            .pull(number)
            .unwrap_or_else(|| panic!("fake GitHub: no pull request {owner}/{name}#{number}"))
            .clone();
        let (head, _) = events::pull_shas(repo, &p);
        repo.reviews.push(Review {
            id,
            pull: number,
            user: login.to_owned(),
            state: state.to_owned(),
            body: String::new(),
            commit_id: head,
            submitted_at: reply::now_secs(),
        });
    }

    /// The environments of `owner/name` by name, as `GET …/environments/{name}` answers them.
    pub fn environments(&self, owner: &str, name: &str) -> BTreeMap<String, serde_json::Value> {
        self.with_repo(owner, name, |repo| repo.environments.clone())
    }

    /// The Actions variables of `owner/name`: name → value.
    pub fn variables(&self, owner: &str, name: &str) -> BTreeMap<String, String> {
        self.with_repo(owner, name, |repo| {
            repo.variables
                .iter()
                .map(|(k, (v, _, _))| (k.clone(), v.clone()))
                .collect()
        })
    }

    /// Moves the clock of the secondary rate limits forward, so a test need not wait out a
    /// limit. (The clock also runs with real time, so a client that waits `retry-after` gets
    /// through as on GitHub.)
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.shared.lock().limits.offset += by;
    }

    /// Replaces the secondary rate limits (GitHub's, [`SecondaryRateLimits::GITHUB`], by
    /// default). Tests that deliberately send thousands of requests raise them here, e.g.
    /// with [`SecondaryRateLimits::UNLIMITED`].
    pub fn set_secondary_rate_limits(&self, limits: SecondaryRateLimits) {
        self.shared.lock().limits.limits = limits;
    }

    /// How many content-creating requests (writes) were admitted so far; per route see
    /// [`request_count`](Self::request_count).
    pub fn content_creating_requests(&self) -> u64 {
        self.shared.lock().limits.content_creating
    }

    /// How many requests a secondary rate limit refused so far.
    pub fn secondary_limit_refusals(&self) -> u64 {
        self.shared.lock().limits.refused
    }
}

fn pusher() -> Actor {
    Actor::User {
        login: PUSHER.to_owned(),
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
