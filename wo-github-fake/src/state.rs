//! What the fake remembers: per repository a real bare git repository plus the records GitHub
//! keeps beside git (pull requests, comments, labels, statuses, check runs, dispatches), and
//! per server the request counts, queued faults and rate-limit use.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;

use serde_json::Value;

use crate::auth::TokenSpec;
use crate::fault::Fault;
use crate::limits::Limits;
use crate::records::{DispatchedEvent, Event, WorkflowDispatch};
use crate::reply::{not_found, now_secs, Reply};
use crate::rules::Ruleset;

/// The login of commits made through the API without an author, and of the initial commit.
pub(crate) const ACTOR: &str = "wo-fake-bot";

/// The login of the test API's own pushes ([`FakeGitHub::push_files`](crate::FakeGitHub::push_files)).
pub(crate) const PUSHER: &str = "wo-fake-pusher";

/// The core rate limit per hour the fake announces.
pub(crate) const RATE_LIMIT: u64 = 5000;

pub(crate) struct State {
    pub root: tempfile::TempDir,
    pub repos: BTreeMap<(String, String), Repo>,
    /// One id space for everything that has one (repos, pulls, comments, statuses, …).
    pub next_id: u64,
    pub counts: BTreeMap<String, u64>,
    pub faults: HashMap<String, VecDeque<Fault>>,
    pub rate_used: u64,
    pub rate_reset: i64,
    pub next_request: u64,
    /// Issued token → what it may do.
    pub tokens: HashMap<String, TokenSpec>,
    /// The events GitHub would deliver to workflows, oldest first.
    pub events: Vec<Event>,
    /// `org/team` → member logins (for CODEOWNERS and ruleset bypass), with the team's id.
    pub teams: BTreeMap<String, (u64, Vec<String>)>,
    /// Secondary rate limits and the test-controlled clock.
    pub limits: Limits,
}

impl State {
    pub fn new(root: tempfile::TempDir) -> Self {
        Self {
            root,
            repos: BTreeMap::new(),
            next_id: 1,
            counts: BTreeMap::new(),
            faults: HashMap::new(),
            rate_used: 0,
            rate_reset: now_secs() + 3600,
            next_request: 1,
            tokens: HashMap::new(),
            events: Vec::new(),
            teams: BTreeMap::new(),
            limits: Limits::default(),
        }
    }

    /// `(team id, members)` of every team.
    pub fn team_list(&self) -> Vec<(u64, Vec<String>)> {
        self.teams.values().cloned().collect()
    }

    /// Moves the events the repositories recorded into the server's list, in order.
    pub fn collect_events(&mut self) {
        for repo in self.repos.values_mut() {
            self.events.append(&mut repo.events);
        }
    }

    pub fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn repo(&mut self, owner: &str, name: &str) -> Result<&mut Repo, Reply> {
        self.repos
            .get_mut(&(owner.to_owned(), name.to_owned()))
            .ok_or_else(not_found)
    }

    pub fn repo_dir(&self, owner: &str, name: &str) -> PathBuf {
        self.root.path().join(owner).join(format!("{name}.git"))
    }
}

pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub git: git2::Repository,
    pub default_branch: String,
    pub created_at: i64,
    pub pulls: Vec<Pull>,
    pub comments: Vec<Comment>,
    /// Label name → label id; the repository's labels, created when first added to an issue.
    pub labels: BTreeMap<String, u64>,
    pub statuses: Vec<Status>,
    pub check_runs: Vec<CheckRun>,
    pub dispatches: Vec<DispatchedEvent>,
    pub workflow_dispatches: Vec<WorkflowDispatch>,
    /// The fake's base URL (event payloads carry URLs).
    pub base: String,
    pub private: bool,
    pub allow_merge_commit: bool,
    pub allow_squash_merge: bool,
    pub allow_rebase_merge: bool,
    pub rulesets: Vec<Ruleset>,
    pub reviews: Vec<Review>,
    /// Environment name → the environment's JSON as GitHub answers it.
    pub environments: BTreeMap<String, Value>,
    /// Variable name (upper case) → value, created_at, updated_at.
    pub variables: BTreeMap<String, (String, i64, i64)>,
    /// Events recorded since the last collection (see [`State::collect_events`]).
    pub events: Vec<Event>,
}

impl Repo {
    pub fn pull(&self, number: u64) -> Option<&Pull> {
        self.pulls.iter().find(|p| p.number == number)
    }

    pub fn pull_mut(&mut self, number: u64) -> Option<&mut Pull> {
        self.pulls.iter_mut().find(|p| p.number == number)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Pull {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub head: String,
    pub base: String,
    pub open: bool,
    pub draft: bool,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    /// The head commit when the pull request was closed or merged (the branch may be gone).
    pub closed_head_sha: Option<String>,
    /// The base commit when the pull request was closed or merged.
    pub closed_base_sha: Option<String>,
    pub labels: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub merged_at: Option<i64>,
    /// The login of who opened it.
    pub user: String,
    /// The login of who merged it.
    pub merged_by: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Review {
    pub id: u64,
    pub pull: u64,
    pub user: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `PENDING`.
    pub state: String,
    pub body: String,
    pub commit_id: String,
    pub submitted_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: u64,
    pub user: String,
    pub issue: u64,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Status {
    pub id: u64,
    pub sha: String,
    pub state: String,
    pub context: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
    pub created_at: i64,
    pub creator: String,
}

#[derive(Debug, Clone)]
pub(crate) struct CheckRun {
    pub id: u64,
    pub head_sha: String,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub details_url: Option<String>,
    pub external_id: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub output: Value,
}
