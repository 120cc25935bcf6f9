//! Deterministic fault injection: the `n`th write of a step fails as if the process had died
//! just before it, and so does every write after it.
//!
//! A [`KillSwitch`] is consulted before every write: by [`Killable`] around a port whose writes
//! are single calls (the in-memory backends, an orchestrator), or by a backend's own hook at
//! each ref update or request when one port call makes several writes (wo-git's ref updates,
//! through `GitRepo::with_ref_update_hook`). No sleeps and no timing: the cut is at an exact
//! write.
//!
//! ```
//! use std::sync::Arc;
//! use wo_core::memory::InMemorySourceRepo;
//! use wo_core::ports::{CommitState, CommitStatus, SourceRepo};
//! use wo_core::testkit::{tree, KillSwitch, Killable};
//!
//! # futures::executor::block_on(async {
//! let repo = InMemorySourceRepo::new();
//! let c = repo.commit("main", tree(&[("a", "1\n")]));
//! let switch = KillSwitch::new();
//! let source: Arc<dyn SourceRepo> = Arc::new(repo.clone());
//! let source = Killable::new(source, switch.clone());
//!
//! switch.kill_before(2);
//! let status = |env: &str| CommitStatus::for_environment(env, CommitState::Success, "ok");
//! source.set_status(&c, status("dev")).await?;
//! assert!(source.set_status(&c, status("stage")).await.is_err()); // died here
//! assert!(source.set_status(&c, status("prod")).await.is_err()); // and stays dead
//! assert_eq!(switch.writes(), ["status wo/dev"]);
//! assert_eq!(switch.killed().as_deref(), Some("status wo/stage"));
//!
//! switch.off(); // the rerun is a new process
//! assert_eq!(repo.statuses(&c).await?.len(), 1);
//! # Ok::<(), wo_core::Error>(())
//! # }).unwrap();
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::files::FileTree;
use crate::ports::{
    ChangeProposal, ChangeRequest, CommitId, CommitStatus, DeploymentReport, GitOpsCommit,
    GitOpsRepo, Orchestrator, ProposeOutcome, Release, SourceRepo,
};

/// The backend name of the error a killed write returns.
pub const KILLED: &str = "kill-switch";

/// Counts writes and makes the `n`th fail, as if the process died just before it. Clones
/// share one state, so one switch can cut across several ports and backends.
#[derive(Debug, Clone, Default)]
pub struct KillSwitch {
    state: Arc<Mutex<KillState>>,
}

#[derive(Debug, Default)]
struct KillState {
    counting: bool,
    kill_at: Option<usize>,
    writes: Vec<String>,
    killed: Option<String>,
}

impl KillSwitch {
    /// A switch that is off: writes go through uncounted.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, KillState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// From now on, counts every write and lets all of them through (to learn what a step
    /// writes).
    pub fn count(&self) {
        *self.state() = KillState {
            counting: true,
            ..KillState::default()
        };
    }

    /// From now on, counts every write; write number `n` (1-based) fails, and so does every
    /// write after it: the process died just before write `n`.
    pub fn kill_before(&self, n: usize) {
        *self.state() = KillState {
            counting: true,
            kill_at: Some(n),
            ..KillState::default()
        };
    }

    /// Off: writes go through uncounted (the rerun is a new process).
    pub fn off(&self) {
        *self.state() = KillState::default();
    }

    /// The writes that went through since [`count`](Self::count) or
    /// [`kill_before`](Self::kill_before), in order.
    pub fn writes(&self) -> Vec<String> {
        self.state().writes.clone()
    }

    /// The write the process died before, once it has.
    pub fn killed(&self) -> Option<String> {
        self.state().killed.clone()
    }

    /// Called before a write named `what`: `Ok` lets it through.
    ///
    /// # Errors
    /// A non-retryable [`Error::Backend`] of backend [`KILLED`] when this is the write to
    /// die before, or the process died already.
    pub fn before_write(&self, what: &str) -> Result<()> {
        let mut s = self.state();
        if !s.counting {
            return Ok(());
        }
        if let Some(killed) = &s.killed {
            return Err(Error::backend(
                KILLED,
                format!("the process is dead (it died before {killed}); no more writes"),
            ));
        }
        if s.kill_at == Some(s.writes.len() + 1) {
            s.killed = Some(what.to_string());
            return Err(Error::backend(
                KILLED,
                format!(
                    "the process died before write {}: {what}",
                    s.writes.len() + 1
                ),
            ));
        }
        s.writes.push(what.to_string());
        Ok(())
    }
}

/// A port whose writes consult a [`KillSwitch`] first; reads go straight through.
///
/// Implemented for `Killable<dyn GitOpsRepo>` (writes: `propose`, `merge`),
/// `Killable<dyn SourceRepo>` (`set_status`) and `Killable<dyn Orchestrator>` (`deploy`). Each
/// of those calls is one write: use it for backends that make one call one atomic write; a
/// backend that writes several refs or requests per call reports each to the switch itself.
pub struct Killable<P: ?Sized> {
    inner: Arc<P>,
    switch: KillSwitch,
}

impl<P: ?Sized> Killable<P> {
    /// `inner`, its writes cut by `switch`.
    pub fn new(inner: Arc<P>, switch: KillSwitch) -> Self {
        Self { inner, switch }
    }
}

#[async_trait]
impl GitOpsRepo for Killable<dyn GitOpsRepo> {
    async fn head(&self, env: &str) -> Result<Option<CommitId>> {
        self.inner.head(env).await
    }

    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree> {
        self.inner.read(commit, solution).await
    }

    async fn propose(&self, proposal: ChangeProposal) -> Result<ProposeOutcome> {
        self.switch.before_write(&format!(
            "propose {} in {}",
            proposal.solution, proposal.environment
        ))?;
        self.inner.propose(proposal).await
    }

    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>> {
        self.inner.change_request(solution, env).await
    }

    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId> {
        self.switch.before_write(&format!(
            "merge {} into {}",
            change.solution, change.environment
        ))?;
        self.inner.merge(change).await
    }

    async fn merge_with(
        &self,
        change: &ChangeRequest,
        method: crate::ports::MergeMethod,
    ) -> Result<CommitId> {
        self.switch.before_write(&format!(
            "merge {} into {}",
            change.solution, change.environment
        ))?;
        self.inner.merge_with(change, method).await
    }

    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
        self.inner.history(env, limit).await
    }

    async fn merged_from(&self, env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>> {
        self.inner.merged_from(env, commit).await
    }

    async fn set_check(
        &self,
        change: &ChangeRequest,
        check: &crate::ports::ChangeCheck,
    ) -> Result<()> {
        self.switch.before_write(&format!(
            "mark {} in {}",
            change.solution, change.environment
        ))?;
        self.inner.set_check(change, check).await
    }

    /// Not a kill point: a report shows state, it records none, and the pipeline only warns
    /// when it fails (a process dying there leaves nothing for a rerun to repair).
    async fn report_rollout(
        &self,
        env: &str,
        gitops_commit: &CommitId,
        markdown: &str,
    ) -> Result<()> {
        self.inner
            .report_rollout(env, gitops_commit, markdown)
            .await
    }
}

#[async_trait]
impl SourceRepo for Killable<dyn SourceRepo> {
    async fn resolve(&self, rev: &str) -> Result<CommitId> {
        self.inner.resolve(rev).await
    }

    async fn read_tree(&self, commit: &CommitId, dirs: &[String]) -> Result<FileTree> {
        self.inner.read_tree(commit, dirs).await
    }

    async fn set_status(&self, commit: &CommitId, status: CommitStatus) -> Result<()> {
        self.switch
            .before_write(&format!("status {}", status.context))?;
        self.inner.set_status(commit, status).await
    }

    async fn statuses(&self, commit: &CommitId) -> Result<Vec<CommitStatus>> {
        self.inner.statuses(commit).await
    }

    async fn on_branch(&self, commit: &CommitId, branch: &str) -> Result<bool> {
        self.inner.on_branch(commit, branch).await
    }

    async fn tags_of(&self, commit: &CommitId) -> Result<Vec<String>> {
        self.inner.tags_of(commit).await
    }
}

#[async_trait]
impl Orchestrator for Killable<dyn Orchestrator> {
    async fn deploy(&self, release: &Release) -> Result<DeploymentReport> {
        self.switch.before_write(&format!(
            "install {} in {}",
            release.solution, release.environment
        ))?;
        self.inner.deploy(release).await
    }

    async fn deploy_to(
        &self,
        release: &Release,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<DeploymentReport> {
        self.switch.before_write(&format!(
            "install {} in {} on {} targets",
            release.solution,
            release.environment,
            targets.len()
        ))?;
        self.inner.deploy_to(release, targets).await
    }

    async fn health(
        &self,
        release: &Release,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeMap<String, crate::ports::Health>> {
        self.inner.health(release, targets).await
    }

    async fn deployed(&self, solution: &str, target: &str) -> Result<Option<String>> {
        self.inner.deployed(solution, target).await
    }

    async fn running<'a>(
        &self,
        solution: &str,
        target: &str,
        orchestrator_id: Option<&'a str>,
    ) -> Result<Option<crate::ports::Running>> {
        self.inner.running(solution, target, orchestrator_id).await
    }
}
