//! What the fake remembers: per repository a real bare git repository plus the records GitHub
//! keeps beside git (pull requests, comments, labels, statuses, check runs, dispatches), and
//! per server the request counts, queued faults and rate-limit use.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;

use serde_json::Value;

use crate::fault::Fault;
use crate::git;
use crate::records::{DispatchedEvent, WorkflowDispatch};
use crate::reply::{not_found, now_secs, Reply};

/// The login every token acts as.
pub(crate) const ACTOR: &str = "wo-fake-bot";

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
}

impl Repo {
    pub fn pull(&self, number: u64) -> Option<&Pull> {
        self.pulls.iter().find(|p| p.number == number)
    }

    pub fn pull_mut(&mut self, number: u64) -> Option<&mut Pull> {
        self.pulls.iter_mut().find(|p| p.number == number)
    }

    /// After `branch` moved by a push or a ref update: marks merged every open pull request
    /// into `branch` whose head commit is now on it, as GitHub does when a pull request's
    /// commits reach its base other than through the merge button (its merge commit is then
    /// the head commit itself).
    pub fn mark_pushed_merges(&mut self, branch: &str) {
        let Some(base) = git::branch_sha(&self.git, branch) else {
            return;
        };
        let now = now_secs();
        for i in 0..self.pulls.len() {
            let p = &self.pulls[i];
            if !p.open || p.base != branch {
                continue;
            }
            let Some(head) = git::branch_sha(&self.git, &p.head) else {
                continue;
            };
            let on_base = head == base || self.git.graph_descendant_of(base, head).unwrap_or(false);
            if !on_base {
                continue;
            }
            let p = &mut self.pulls[i];
            p.open = false;
            p.merged = true;
            p.merge_commit_sha = Some(head.to_string());
            p.closed_head_sha = Some(head.to_string());
            p.closed_base_sha = Some(base.to_string());
            p.closed_at = Some(now);
            p.merged_at = Some(now);
            p.updated_at = now;
        }
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
}

#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: u64,
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
