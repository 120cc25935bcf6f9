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
