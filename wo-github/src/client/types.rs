//! Request and response bodies of the operations wo uses, as the OpenAPI description
//! (`shared/specs/github/api.github.com.subset.json`) names their fields. Only the fields wo
//! reads are kept; unknown fields are ignored and optional ones default.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A repository: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId {
    /// The user or organization.
    pub owner: String,
    /// The repository name.
    pub name: String,
}

impl RepoId {
    /// `owner` and `name`.
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            name: name.into(),
        }
    }

    /// Parses `owner/name`.
    ///
    /// # Errors
    /// [`wo_core::Error::Invalid`] unless it is two non-empty segments of letters, digits,
    /// `-`, `_` and `.`.
    pub fn parse(full: &str) -> wo_core::Result<Self> {
        let ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match full.split_once('/') {
            Some((o, n)) if ok(o) && ok(n) => Ok(Self::new(o, n)),
            _ => Err(wo_core::Error::invalid(
                wo_core::Location::file("<github repository>"),
                format!(
                    "`{}` is not a GitHub repository: write `owner/name`",
                    full.escape_debug()
                ),
            )),
        }
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// `repos/get`.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
    /// The default branch.
    pub default_branch: String,
    /// The web page.
    #[serde(default)]
    pub html_url: Option<String>,
}

/// The object a ref points to.
#[derive(Debug, Clone, Deserialize)]
pub struct GitObject {
    /// `commit` or `tag`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub sha: String,
}

/// `git/get-ref`, `git/create-ref`, `git/update-ref`, `git/list-matching-refs`.
#[derive(Debug, Clone, Deserialize)]
pub struct GitRef {
    /// The full name, `refs/heads/dev`.
    #[serde(rename = "ref")]
    pub name: String,
    /// What it points to.
    pub object: GitObject,
}

/// A `{ "sha": … }` pointer (commit parents, a commit's tree, a created blob).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShaRef {
    /// The id.
    pub sha: String,
}

/// `git/get-commit`, `git/create-commit`.
#[derive(Debug, Clone, Deserialize)]
pub struct GitCommit {
    /// The commit id.
    pub sha: String,
    /// Its tree.
    pub tree: ShaRef,
    /// Its parents, first parent first.
    #[serde(default)]
    pub parents: Vec<ShaRef>,
    /// The full message.
    #[serde(default)]
    pub message: String,
}

/// One entry of `git/get-tree`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TreeEntry {
    /// The path, relative to the tree read (full paths with `recursive`).
    pub path: String,
    /// `100644`, `100755`, `040000`, `120000` (symlink), `160000` (submodule).
    pub mode: String,
    /// `blob`, `tree` or `commit`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The object id.
    pub sha: String,
    /// Blob size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
}

/// `git/get-tree`, `git/create-tree`.
#[derive(Debug, Clone, Deserialize)]
pub struct GitTree {
    /// The tree id.
    pub sha: String,
    /// The entries.
    #[serde(default)]
    pub tree: Vec<TreeEntry>,
    /// Whether GitHub left entries out (a recursive listing over its limits).
    #[serde(default)]
    pub truncated: bool,
}

/// One entry of `git/create-tree`: a blob by id, a file by its text (GitHub writes the blob),
/// or a deletion (`sha: null`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTreeEntry {
    /// The full path.
    pub path: String,
    /// The file mode (`100644`).
    pub mode: String,
    /// `blob`.
    pub kind: String,
    /// The blob id; `None` (and no `content`) deletes the path from `base_tree`.
    pub sha: Option<String>,
    /// The file's text: GitHub stores it as a blob (the UTF-8 bytes as they are) and uses its
    /// id. Sent instead of `sha`, which GitHub refuses beside it.
    pub content: Option<String>,
}

impl NewTreeEntry {
    /// A regular file with blob `sha`.
    pub fn file(path: impl Into<String>, sha: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            mode: "100644".into(),
            kind: "blob".into(),
            sha: Some(sha.into()),
            content: None,
        }
    }

    /// A regular file with this text, written by the same request (no `git/create-blob`).
    pub fn text(path: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            mode: "100644".into(),
            kind: "blob".into(),
            sha: None,
            content: Some(content.into()),
        }
    }

    /// The deletion of `path`.
    pub fn delete(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            mode: "100644".into(),
            kind: "blob".into(),
            sha: None,
            content: None,
        }
    }
}

impl Serialize for NewTreeEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("path", &self.path)?;
        m.serialize_entry("mode", &self.mode)?;
        m.serialize_entry("type", &self.kind)?;
        // `sha` or `content`, never both; `sha: null` alone is a deletion.
        match &self.content {
            Some(text) => m.serialize_entry("content", text)?,
            None => m.serialize_entry("sha", &self.sha)?,
        }
        m.end()
    }
}

/// `git/get-blob`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GitBlob {
    pub content: String,
    #[serde(default)]
    pub encoding: String,
}

/// One side of a pull request.
#[derive(Debug, Clone, Deserialize)]
pub struct PullBranch {
    /// The branch name.
    #[serde(rename = "ref")]
    pub branch: String,
    /// The commit it points to.
    pub sha: String,
    /// `owner:branch`.
    #[serde(default)]
    pub label: Option<String>,
}

/// `pulls/get`, `pulls/list`, `pulls/create`, `pulls/update`.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    /// The number.
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub body: Option<String>,
    /// The branch with the changes.
    pub head: PullBranch,
    /// The branch to merge into.
    pub base: PullBranch,
    /// The web page.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Whether it was merged (absent from list answers).
    #[serde(default)]
    pub merged: Option<bool>,
    /// Merged time, `null` unless merged (present in list answers too).
    #[serde(default)]
    pub merged_at: Option<String>,
    /// Once merged, the commit the merge made on the base branch (the merge commit, the
    /// squash commit or the last rebased commit).
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
}

/// `pulls/list` filters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PullFilter {
    /// `open`, `closed` or `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `owner:branch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// The base branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

/// `pulls/create`.
#[derive(Debug, Clone, Serialize)]
pub struct NewPullRequest {
    /// Title.
    pub title: String,
    /// The branch with the changes.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// Description.
    pub body: String,
}

/// `pulls/update`: only the fields set are sent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PullUpdate {
    /// New title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `pulls/merge`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergePull {
    /// The head the pull request must still have (compare-and-swap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// `merge`, `squash` or `rebase`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_method: Option<String>,
    /// Title of the merge commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_title: Option<String>,
    /// Rest of the merge commit message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
}

/// `pulls/merge` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct MergeResult {
    /// The commit now at the head of the base branch.
    pub sha: String,
    /// Whether it merged.
    pub merged: bool,
    /// GitHub's words.
    #[serde(default)]
    pub message: String,
}

/// `repos/compare-commits-with-basehead` (the fields wo reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Comparison {
    /// `diverged`, `ahead`, `behind` or `identical`.
    pub status: String,
    /// Commits in head not in base.
    pub ahead_by: u64,
    /// Commits in base not in head.
    pub behind_by: u64,
    /// The base commit.
    pub base_commit: ShaRef,
    /// The merge base.
    pub merge_base_commit: ShaRef,
}

/// `issues/list-comments`, `issues/create-comment`, `issues/update-comment`.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueComment {
    /// The comment id.
    pub id: u64,
    /// The text.
    #[serde(default)]
    pub body: Option<String>,
}

/// `repos/create-commit-status` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewStatus {
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    /// A link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    /// One line (GitHub keeps at most 140 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The key (`wo/dev`).
    pub context: String,
}

/// One status, as `repos/list-commit-statuses-for-ref` and the combined status list them.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    /// The state.
    pub state: String,
    /// The key.
    #[serde(default)]
    pub context: String,
    /// One line.
    #[serde(default)]
    pub description: Option<String>,
    /// A link.
    #[serde(default)]
    pub target_url: Option<String>,
    /// The status id (increases with time).
    #[serde(default)]
    pub id: u64,
}

/// `repos/get-combined-status-for-ref`.
#[derive(Debug, Clone, Deserialize)]
pub struct CombinedStatus {
    /// The combined state.
    pub state: String,
    /// The commit.
    pub sha: String,
    /// The latest status per context.
    #[serde(default)]
    pub statuses: Vec<Status>,
    /// How many contexts.
    #[serde(default)]
    pub total_count: u64,
}

/// One quota of `rate-limit/get`.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitQuota {
    /// Requests per window.
    pub limit: u64,
    /// Requests left.
    pub remaining: u64,
    /// When the window resets (unix seconds).
    pub reset: u64,
}

/// `rate-limit/get` (the core quota).
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimit {
    /// The REST API quota.
    pub rate: RateLimitQuota,
}

/// `repos/update`: the settings wo manages; only those set are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RepositorySettings {
    /// Merge commits allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_merge_commit: Option<bool>,
    /// Squash merges allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_squash_merge: Option<bool>,
    /// Rebase merges allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_rebase_merge: Option<bool>,
}

/// The merge settings of `repos/get`.
#[derive(Debug, Clone, Deserialize)]
pub struct RepositoryMergeSettings {
    /// Merge commits allowed (absent: GitHub's default, allowed).
    #[serde(default = "yes")]
    pub allow_merge_commit: bool,
    /// Squash merges allowed.
    #[serde(default = "yes")]
    pub allow_squash_merge: bool,
    /// Rebase merges allowed.
    #[serde(default = "yes")]
    pub allow_rebase_merge: bool,
}

fn yes() -> bool {
    true
}

/// An Actions variable (`actions/list-repo-variables`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Variable {
    /// Its name (GitHub stores it upper case).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// `actions/list-repo-variables`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VariableList {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub variables: Vec<Variable>,
}

/// A user, team or App as `GET /users/{u}`, `GET /orgs/{org}/teams/{slug}` and
/// `GET /apps/{slug}` answer it: its id.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    /// The numeric id (what rulesets and environments name).
    pub id: u64,
}
