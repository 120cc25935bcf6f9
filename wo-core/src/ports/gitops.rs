//! The gitops repo port: env branches that change only through change requests wo opens.

use std::fmt;

use async_trait::async_trait;

use crate::error::{Error, Location, Result};
use crate::files::{check_name, FileTree};

use super::{CommitId, Provenance};

/// A proposed new content of one solution in one environment of the gitops repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeProposal {
    /// The solution; its files live under `<solution>/` on the env branch.
    pub solution: String,
    /// The environment, i.e. the env branch.
    pub environment: String,
    /// The env branch head the content was computed against; `None` when the branch must not
    /// exist yet. The proposal is refused when the branch moved (compare-and-swap).
    pub base: Option<CommitId>,
    /// The complete new content of the `<solution>/` subtree, paths relative to the branch root
    /// and all under `<solution>/`. Files of the subtree not listed here are deleted; files
    /// outside it are untouched.
    pub files: FileTree,
    /// The change request title (one line).
    pub title: String,
    /// The change request description.
    pub body: String,
    /// The inputs the content was computed from; it goes into the merged commit's message.
    pub provenance: Provenance,
}

impl ChangeProposal {
    /// Checks what every backend relies on: valid solution and environment names, every file
    /// under `<solution>/`, a provenance that names the same solution and environment.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the offending file or field.
    pub fn validate(&self) -> Result<()> {
        let at = |field: &str| Location::file("<change proposal>").with_key(field);
        check_name(&self.solution).map_err(|m| Error::invalid(at("solution"), m))?;
        check_name(&self.environment).map_err(|m| Error::invalid(at("environment"), m))?;
        let prefix = format!("{}/", self.solution);
        if let Some((path, _)) = self.files.iter().find(|(p, _)| !p.starts_with(&prefix)) {
            return Err(Error::invalid(
                Location::file(path),
                format!(
                    "a change of solution `{}` may only write files under `{prefix}`",
                    self.solution
                ),
            ));
        }
        if self.title.trim().is_empty() || self.title.contains('\n') {
            return Err(Error::invalid(
                at("title"),
                "the title must be one non-empty line",
            ));
        }
        self.provenance.validate()?;
        if self.provenance.solution != self.solution
            || self.provenance.environment != self.environment
        {
            return Err(Error::invalid(
                at("provenance"),
                format!(
                    "provenance names {}/{} but the change is for {}/{}",
                    self.provenance.solution,
                    self.provenance.environment,
                    self.solution,
                    self.environment
                ),
            ));
        }
        Ok(())
    }
}

/// The state of a change request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeState {
    /// Waiting to be merged.
    Open,
    /// Merged into the env branch.
    Merged,
    /// Closed without merging (superseded, or the env branch already had the content).
    Closed,
}

impl fmt::Display for ChangeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeState::Open => "open",
            ChangeState::Merged => "merged",
            ChangeState::Closed => "closed",
        })
    }
}

/// A change request (pull request) against an env branch of the gitops repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest {
    /// The backend's id (a pull request number, a branch name).
    pub id: String,
    /// The solution it changes.
    pub solution: String,
    /// The environment (env branch) it targets.
    pub environment: String,
    /// Open, merged or closed.
    pub state: ChangeState,
    /// The commit holding the proposed content.
    pub head: CommitId,
    /// The env branch head it was computed against (`None`: the branch did not exist).
    pub base: Option<CommitId>,
    /// Title.
    pub title: String,
    /// Description.
    pub body: String,
    /// The inputs of the content.
    pub provenance: Provenance,
    /// Where a human can look at it, when the backend has such a page.
    pub url: Option<String>,
}

/// What [`GitOpsRepo::propose`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposeOutcome {
    /// No change request was open for the (solution, environment); this one was opened.
    Opened(ChangeRequest),
    /// The open change request now holds the new content (new head, same id).
    Updated(ChangeRequest),
    /// The open change request already holds this content, base and provenance; nothing was
    /// written.
    Unchanged(ChangeRequest),
    /// The env branch already has this content under `<solution>/`: nothing was proposed.
    /// A change request that was open for the pair is closed and returned.
    NoDifference {
        /// The change request closed because it became pointless.
        closed: Option<ChangeRequest>,
    },
}

impl ProposeOutcome {
    /// The open change request, unless the outcome is [`ProposeOutcome::NoDifference`].
    pub fn change_request(&self) -> Option<&ChangeRequest> {
        match self {
            ProposeOutcome::Opened(cr)
            | ProposeOutcome::Updated(cr)
            | ProposeOutcome::Unchanged(cr) => Some(cr),
            ProposeOutcome::NoDifference { .. } => None,
        }
    }

    /// Whether the call wrote anything (opened, updated or closed a change request).
    pub fn wrote(&self) -> bool {
        match self {
            ProposeOutcome::Opened(_) | ProposeOutcome::Updated(_) => true,
            ProposeOutcome::Unchanged(_) => false,
            ProposeOutcome::NoDifference { closed } => closed.is_some(),
        }
    }
}

/// One commit of an env branch, as [`GitOpsRepo::history`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitOpsCommit {
    /// Its id.
    pub id: CommitId,
    /// Its full message.
    pub message: String,
    /// The provenance read from the message's trailers; `None` for commits whose message has
    /// none (a manual commit, or a merge or squash commit made by a git host's merge button:
    /// see [`GitOpsRepo::merged_from`]).
    pub provenance: Option<Provenance>,
    /// The id of its root tree: two commits with the same tree id hold the same files. Opaque
    /// to wo-core, compared for equality only.
    pub tree: String,
}

/// How a change request is merged into its env branch.
///
/// A git host's merge button does one of [`Merge`](MergeMethod::Merge),
/// [`Squash`](MergeMethod::Squash) or [`Rebase`](MergeMethod::Rebase); wo itself merges by
/// [`FastForward`](MergeMethod::FastForward). Whatever the method, the env branch ends with
/// the proposed `<solution>/` and the pipeline accepts the head (see
/// [`GitOpsRepo::merged_from`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MergeMethod {
    /// The env branch moves to the change request's head commit, which carries the
    /// provenance trailers (wo's own merge; the default).
    #[default]
    FastForward,
    /// A new two-parent commit: the env head, then the change request's head. Its message is
    /// the host's (`Merge pull request #7 from …`), without trailers.
    Merge,
    /// A new one-parent commit with the change request's content. Its message is whatever the
    /// merger leaves: here the change request's title and id, without trailers (the worst case).
    Squash,
    /// The change request's commit replayed on the env head: same message (so the same
    /// trailers), a new id.
    Rebase,
}

impl fmt::Display for MergeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MergeMethod::FastForward => "fast-forward",
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        })
    }
}

/// The hidden line that marks the one rollout report of `env` on a change request
/// ([`GitOpsRepo::report_rollout`]): `<!-- wo:rollout:<env> -->`. A backend finds its earlier
/// report by it, to replace it.
pub fn rollout_report_marker(env: &str) -> String {
    format!("<!-- wo:rollout:{env} -->")
}

/// The gitops repo: one branch per environment holding, per solution, the composed values and
/// rendered manifests of every target, changed only through change requests wo opens.
///
/// # Contract
///
/// - [`head`](GitOpsRepo::head) is `None` for an environment whose branch does not exist yet.
/// - [`read`](GitOpsRepo::read) returns the files under `<solution>/` at a commit, paths
///   relative to the branch root (so they compare directly with [`ChangeProposal::files`]).
/// - [`propose`](GitOpsRepo::propose) keeps **at most one open change request per (solution,
///   environment)**, compares **content** (the files of `<solution>/`), and is idempotent:
///   - the env branch head is not `proposal.base` → `Error::Precondition`, nothing written (the
///     caller re-reads the branch and computes again);
///   - the content equals the env branch's `<solution>/` → `NoDifference`, and an open change
///     request for the pair is closed;
///   - the open change request has the same content, base and provenance → `Unchanged`,
///     nothing written;
///   - an open change request differs → `Updated`: same id, new head;
///   - no open change request → `Opened`.
/// - [`change_request`](GitOpsRepo::change_request) returns the open change request of a pair.
/// - [`merge`](GitOpsRepo::merge) merges the open change request into the env branch if its
///   head is still `change.head` and the branch still points at its base. Afterwards the env
///   branch's `<solution>/` holds exactly the proposed files, files outside `<solution>/` are
///   as they were, the change request is `Merged`, and the newest commit of
///   [`history`](GitOpsRepo::history) carries the change's provenance as message trailers.
///   It returns the new env head.
/// - [`history`](GitOpsRepo::history) lists at most `limit` commits of the env branch, newest
///   first (first parents), empty for a branch that does not exist.
/// - [`merged_from`](GitOpsRepo::merged_from) names, for a commit of the env branch, the
///   head commit of the change request it was merged from, when the backend can tell: the
///   second parent of a merge commit when it carries provenance trailers, or the change
///   request the backend records as merged into that commit (a squash). `None` for any other
///   commit. It only *names* the candidate: whether the commit's content is what was proposed
///   is for the caller to check (the pipeline compares the trees).
/// - [`merge_with`](GitOpsRepo::merge_with) merges with a given [`MergeMethod`], as a git
///   host's merge button would; [`MergeMethod::FastForward`] is [`merge`](GitOpsRepo::merge).
///   A backend that cannot merge in a way refuses it with `Error::Unsupported`.
/// - [`report_rollout`](GitOpsRepo::report_rollout) keeps **one** rollout report per
///   environment on the change request whose merge made a commit: the first call writes it,
///   later calls replace its text (no second report). A backend without change request pages
///   refuses with `Error::Unsupported`.
///
/// # Errors
///
/// - [`Error::Invalid`](crate::Error::Invalid): a proposal that fails [`ChangeProposal::validate`].
/// - [`Error::Precondition`](crate::Error::Precondition): `propose` with a stale `base`;
///   `merge` when the env branch moved since the change request's base, or the change request's
///   head is no longer `change.head`. Retryable after a fresh read.
/// - [`Error::NotFound`](crate::Error::NotFound): `read` or `merged_from` of an unknown
///   commit; `merge` with no open change request for the pair.
/// - [`Error::Unsupported`](crate::Error::Unsupported): `merge_with` a method the backend does
///   not offer.
/// - [`Error::Backend`](crate::Error::Backend) for transport and service failures.
///
/// # Example
///
/// ```
/// use wo_core::files::FileTree;
/// use wo_core::memory::InMemoryGitOpsRepo;
/// use wo_core::ports::{ChangeProposal, CommitId, GitOpsRepo, ProposeOutcome, Provenance};
///
/// # futures::executor::block_on(async {
/// let gitops = InMemoryGitOpsRepo::new();
/// let mut files = FileTree::new();
/// files.insert("shop/berlin-1/values.yaml", "replicas: 2\n")?;
/// let provenance = Provenance {
///     solution: "shop".into(),
///     environment: "dev".into(),
///     source_commit: CommitId::from("a1"),
///     config_commit: CommitId::from("b2"),
///     fleet_commit: CommitId::from("c3"),
///     promotable: true,
///     rollback_of: None,
///     source_tag: None,
/// };
/// let proposal = ChangeProposal {
///     solution: "shop".into(),
///     environment: "dev".into(),
///     base: gitops.head("dev").await?, // None: the branch does not exist yet
///     files,
///     title: "Deploy shop a1 to dev".into(),
///     body: String::new(),
///     provenance: provenance.clone(),
/// };
///
/// let opened = gitops.propose(proposal.clone()).await?;
/// assert!(matches!(opened, ProposeOutcome::Opened(_)));
/// // Running the step again changes nothing.
/// assert!(matches!(gitops.propose(proposal).await?, ProposeOutcome::Unchanged(_)));
///
/// let cr = opened.change_request().unwrap();
/// let head = gitops.merge(cr).await?;
/// assert_eq!(gitops.head("dev").await?, Some(head.clone()));
/// let newest = &gitops.history("dev", 1).await?[0];
/// assert_eq!(newest.provenance.as_ref(), Some(&provenance));
/// // wo's own merge: the head is the change request's commit, nothing to look up.
/// assert_eq!(gitops.merged_from("dev", &head).await?, None);
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait GitOpsRepo: Send + Sync {
    /// The head of the branch of `env`, `None` when it does not exist.
    async fn head(&self, env: &str) -> Result<Option<CommitId>>;

    /// The files under `<solution>/` at `commit`, paths relative to the branch root.
    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree>;

    /// Opens, updates or leaves the one change request of (solution, environment); see the
    /// contract.
    async fn propose(&self, proposal: ChangeProposal) -> Result<ProposeOutcome>;

    /// The open change request of (solution, environment), if any.
    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>>;

    /// Merges the open change request of `change`'s (solution, environment) into the env
    /// branch, provided its head is still `change.head`; returns the new env head.
    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId>;

    /// At most `limit` commits of the env branch, newest first.
    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>>;

    /// The head commit of the change request that env branch commit `commit` was merged from
    /// (a merge or squash commit without trailers), `None` when the backend knows of none.
    async fn merged_from(&self, env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>>;

    /// Merges as [`merge`](GitOpsRepo::merge) does, with `method`. The provided version does
    /// [`MergeMethod::FastForward`] only; backends that offer more override it (wrappers
    /// forward it).
    ///
    /// # Errors
    /// As [`merge`](GitOpsRepo::merge); `Error::Unsupported` for a method the backend does not
    /// offer.
    async fn merge_with(&self, change: &ChangeRequest, method: MergeMethod) -> Result<CommitId> {
        match method {
            MergeMethod::FastForward => self.merge(change).await,
            other => Err(Error::unsupported(format!(
                "merging change request {} of `{}` in `{}` by {other}: this gitops backend merges by fast-forward only",
                change.id, change.solution, change.environment
            ))),
        }
    }
    /// Marks an open change request for a check's verdict: sets `check.status` on the change
    /// request's head commit (`change.head`) and adds `check.label` to it when
    /// `check.labeled`, removes it otherwise. Idempotent: marking twice the same way changes
    /// nothing. A git host's ruleset that requires the status context blocks the merge button
    /// while it is not `success`.
    ///
    /// The provided version refuses with `Error::Unsupported`; backends that can mark
    /// override it (wrappers forward it).
    ///
    /// # Errors
    /// `Error::Unsupported` from a backend that cannot mark change requests;
    /// `Error::NotFound` for a change request it does not know; `Error::Backend` for
    /// transport and service failures.
    async fn set_check(&self, change: &ChangeRequest, check: &super::ChangeCheck) -> Result<()> {
        let _ = check;
        Err(Error::unsupported(format!(
            "marking change request {} of `{}` in `{}` with a status and label: this gitops backend has no commit statuses or labels",
            change.id, change.solution, change.environment
        )))
    }

    /// Shows `markdown` (a rollout's table, as
    /// [`RolloutView::render`](crate::rollout::RolloutView::render) writes it) on the change
    /// request whose merge made `gitops_commit`, the head of the env branch of `env`: as the
    /// one rollout report of `env` there ([`rollout_report_marker`] marks it), written by the
    /// first call and replaced by each later one — a pull request comment edited in place on
    /// GitHub. [`Pipeline::deploy_rollout`](crate::pipeline::Pipeline::deploy_rollout) calls it
    /// at the end of each run; a failure there is a warning of the run, never its failure (the
    /// report shows the rollout, it does not record it: the commit statuses do).
    ///
    /// The provided version refuses with `Error::Unsupported` (the pipeline then writes no
    /// report); backends with change request pages override it (wrappers forward it).
    ///
    /// # Errors
    /// `Error::Unsupported` from a backend without change request pages; `Error::NotFound`
    /// when no change request of `env` made `gitops_commit`; `Error::Backend` for transport
    /// and service failures.
    async fn report_rollout(
        &self,
        env: &str,
        gitops_commit: &CommitId,
        markdown: &str,
    ) -> Result<()> {
        let _ = markdown;
        Err(Error::unsupported(format!(
            "reporting the rollout of {} in `{env}` on its change request: this gitops backend has no change request pages",
            gitops_commit.short()
        )))
    }
}
