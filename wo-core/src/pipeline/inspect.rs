//! status and history: what runs where, read from the repositories.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ports::{ChangeRequest, CommitId, CommitState, Provenance};
use crate::rollout::RolloutView;

use super::Pipeline;

/// An open change request, in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenChange {
    /// The backend's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The commit holding the proposed content.
    pub head: CommitId,
    /// What it would release.
    pub provenance: Provenance,
    /// Where to review it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl From<ChangeRequest> for OpenChange {
    fn from(cr: ChangeRequest) -> Self {
        Self {
            id: cr.id,
            title: cr.title,
            head: cr.head,
            provenance: cr.provenance,
            url: cr.url,
        }
    }
}

/// The state of the solution in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentStatus {
    /// The environment.
    pub environment: String,
    /// The head of its gitops env branch, `None` before the first release.
    pub gitops_commit: Option<CommitId>,
    /// The provenance of that head (released source, config and fleet commits, promotable);
    /// `None` when the head is not wo's.
    pub provenance: Option<Provenance>,
    /// The status `wo/<env>` of the released source commit.
    pub state: Option<CommitState>,
    /// Per target, the status `wo/<env>/<target>` of the released source commit.
    pub targets: BTreeMap<String, CommitState>,
    /// The change request waiting for review, if any.
    pub change_request: Option<OpenChange>,
    /// The rollout of the released head, as its statuses record it (see
    /// [`Pipeline::status_at`]); `None` when the release's fleet has no `rollout:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutView>,
    /// Why the rollout could not be read back, when it could not (the fleet's waves changed
    /// since it began, statuses edited or lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_unreadable: Option<String>,
}

/// One commit of an env branch, as [`Pipeline::history`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseEntry {
    /// The gitops commit.
    pub gitops_commit: CommitId,
    /// The first line of its message.
    pub title: String,
    /// Its provenance; `None` for a commit wo did not make.
    pub provenance: Option<Provenance>,
}

impl Pipeline {
    /// The state of the solution in every environment, in chain order, at the system clock:
    /// [`status_at`](Pipeline::status_at).
    ///
    /// # Errors
    /// As [`status_at`](Pipeline::status_at).
    pub async fn status(&self) -> Result<Vec<EnvironmentStatus>> {
        self.status_at(super::system_clock()).await
    }

    /// The state of the solution in every environment, in chain order, at `now`.
    ///
    /// An environment whose released head's fleet (at the release's fleet commit) declares a
    /// `rollout:` shows it ([`EnvironmentStatus::rollout`]) as its commit statuses record it,
    /// read back as [`deploy_rollout`](Pipeline::deploy_rollout) reads them
    /// ([`crate::rollout::replay`]): per wave the targets done, failed or unhealthy and
    /// waiting, and its phase at `now` (baking with the time left, waiting for an approval or
    /// a window, halted). The wave statuses carry the counts, and every failed or unhealthy
    /// target has its own status, so the counts hold for fleets of any size (per-target
    /// success statuses exist only up to
    /// [`MAX_TARGET_STATUSES`](super::MAX_TARGET_STATUSES) targets and are not needed). What
    /// they cannot show: a batch being installed at that moment counts as waiting until its
    /// outcomes are recorded, and a target turned unhealthy since the last run shows healthy
    /// (only a run asks the orchestrator).
    ///
    /// # Errors
    /// When the chain or a repository cannot be read. A rollout whose statuses cannot be read
    /// back is no error: [`EnvironmentStatus::rollout_unreadable`] says why.
    pub async fn status_at(
        &self,
        now: crate::rollout::Timestamp,
    ) -> Result<Vec<EnvironmentStatus>> {
        let chain = self.chain().await?;
        let solution = self.solution().await?;
        let mut out = Vec::with_capacity(chain.environments().len());
        for env in chain.environments() {
            let head = self.ports.gitops.history(env, 1).await?.into_iter().next();
            let provenance = match &head {
                // A head whose merge changed what was proposed shows as not wo's.
                Some(c) => match self.release_provenance(env, &solution, c).await {
                    Err(Error::Invalid(_)) => None,
                    other => other?,
                },
                None => None,
            };
            let mut state = None;
            let mut targets = BTreeMap::new();
            let (mut rollout, mut rollout_unreadable) = (None, None);
            if let (Some(p), Some(head)) = (&provenance, &head) {
                let env_context = format!("wo/{env}");
                let target_prefix = format!("wo/{env}/");
                let statuses = self.ports.source.statuses(&p.source_commit).await?;
                match self
                    .recorded_rollout(env, &solution, p, &head.id, &statuses, now)
                    .await
                {
                    Ok(view) => rollout = view,
                    Err(e @ (Error::Invalid(_) | Error::Precondition { .. })) => {
                        rollout_unreadable = Some(e.to_string())
                    }
                    Err(e) => return Err(e),
                }
                for s in statuses {
                    if s.context == env_context {
                        state = Some(s.state);
                    } else if let Some(t) = s
                        .context
                        .strip_prefix(&target_prefix)
                        // `wo/<env>/wave/<w>` and `wo/<env>/approval/<w>` are a rollout's.
                        .filter(|t| !t.contains('/'))
                    {
                        targets.insert(t.to_string(), s.state);
                    }
                }
            }
            let change_request = self
                .ports
                .gitops
                .change_request(&solution, env)
                .await?
                .map(OpenChange::from);
            out.push(EnvironmentStatus {
                environment: env.clone(),
                gitops_commit: head.map(|c| c.id),
                provenance,
                state,
                targets,
                change_request,
                rollout,
                rollout_unreadable,
            });
        }
        Ok(out)
    }

    /// At most `limit` commits of the env branch of `env`, newest first, with provenance.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `env` is not in the chain.
    ///
    /// A commit a git host's merge button made from wo's change request (a merge or squash
    /// commit without trailers) shows the provenance of that change request, once checked as
    /// deploy checks it; a commit that fails the check shows none.
    pub async fn history(&self, env: &str, limit: usize) -> Result<Vec<ReleaseEntry>> {
        self.chain_with(env).await?;
        // Read only when a commit without trailers needs it (the source repo is asked).
        let mut solution: Option<String> = None;
        let mut out = Vec::new();
        for c in self.ports.gitops.history(env, limit).await? {
            let provenance = match &c.provenance {
                Some(p) => Some(p.clone()),
                None => {
                    let solution = match &solution {
                        Some(s) => s.clone(),
                        None => solution.insert(self.solution().await?).clone(),
                    };
                    match self.release_provenance(env, &solution, &c).await {
                        Err(Error::Invalid(_)) => None,
                        other => other?,
                    }
                }
            };
            out.push(ReleaseEntry {
                title: c.message.lines().next().unwrap_or_default().to_string(),
                gitops_commit: c.id,
                provenance,
            });
        }
        Ok(out)
    }
}
