//! What the fake records beside git and hands to tests: dispatches, pull requests, statuses,
//! comments, check runs.

use serde_json::Value;

/// A `repository_dispatch` received by `POST /repos/{owner}/{repo}/dispatches`.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchedEvent {
    /// `event_type`.
    pub event_type: String,
    /// `client_payload` (null when not sent).
    pub client_payload: Value,
}

/// A `workflow_dispatch` received by `POST …/actions/workflows/{workflow_id}/dispatches`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowDispatch {
    /// The workflow id or file name from the path.
    pub workflow: String,
    /// `ref`.
    pub git_ref: String,
    /// `inputs` (null when not sent).
    pub inputs: Value,
}

/// A pull request as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// The number.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The body.
    pub body: Option<String>,
    /// The head branch.
    pub head: String,
    /// The base branch.
    pub base: String,
    /// `open` or `closed`.
    pub state: String,
    /// Whether it was merged.
    pub merged: bool,
    /// The commit the merge created on the base branch.
    pub merge_commit_sha: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// The login of who opened it.
    pub user: String,
    /// The login of who merged it.
    pub merged_by: Option<String>,
}

/// A commit status as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    /// The context.
    pub context: String,
    /// The description.
    pub description: Option<String>,
    /// The target URL.
    pub target_url: Option<String>,
    /// The login of who set it.
    pub creator: String,
}

/// An issue or pull-request comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    /// The comment id.
    pub id: u64,
    /// The issue (pull request) number.
    pub issue: u64,
    /// The body.
    pub body: String,
    /// The login of who wrote it.
    pub user: String,
}

/// A check run as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRunRecord {
    /// The id.
    pub id: u64,
    /// The name.
    pub name: String,
    /// The commit.
    pub head_sha: String,
    /// The status.
    pub status: String,
    /// The conclusion.
    pub conclusion: Option<String>,
}

/// An event GitHub would deliver to the repository's workflows (and webhooks).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `push`, `pull_request`, `pull_request_review`, `workflow_dispatch`,
    /// `repository_dispatch` or `status`.
    pub name: String,
    /// The activity type (`opened`, `synchronize`, `closed`, `submitted`, a dispatch's
    /// `event_type`); `None` for events without one (`push`, `status`, `workflow_dispatch`).
    pub action: Option<String>,
    /// `owner/name`.
    pub repository: String,
    /// The full ref the event is about (`refs/heads/dev`; a pull request's base branch).
    pub git_ref: Option<String>,
    /// The commit (`after` of a push, a pull request's head, a status's commit).
    pub sha: Option<String>,
    /// Who caused it.
    pub actor: crate::auth::Actor,
    /// Whether it starts workflow runs: events caused by a workflow's `GITHUB_TOKEN` start
    /// none, except `workflow_dispatch` and `repository_dispatch` ("Triggering a workflow
    /// from a workflow", GitHub Actions docs).
    pub triggers_workflows: bool,
    /// The webhook payload (`github.event` in a workflow).
    pub payload: Value,
}
