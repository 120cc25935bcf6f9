//! The promotion pipeline: events in, steps out, every step idempotent and resumable.
//!
//! Start with [`Pipeline::run`]: given an [`Event`] (a source push, a merged change request,
//! a config change) it asks the pure planner [`plan`] what to do, does it through the five
//! ports, and follows the chain (a deploy plans the next step) until a change request waits
//! for review, promotion stops or nothing is left. Each step is also a method of its own
//! ([`Pipeline::prepare_pr`], [`Pipeline::merge`], [`Pipeline::deploy`] — or
//! [`Pipeline::deploy_rollout`] wave by wave —,
//! [`Pipeline::apply_fleet`]), as workflow steps call them. [`Pipeline::verify`] checks that
//! what runs is what was reviewed.
//!
//! No state lives in the pipeline: the environment chain is read from the fleets, what runs
//! from the gitops env branches and their provenance, what deployed where from the source
//! commit's statuses. Dropping a `Pipeline` between any two steps and building a new one loses
//! nothing; running a step twice changes nothing the second time.
//!
//! What a gitops env branch holds per solution: `<solution>/<target>/values.yaml`,
//! `<solution>/<target>/manifests.yaml` and the [`ReleaseRecord`] `<solution>/release.yaml`.

mod chain;
mod deploy;
pub use deploy::MAX_TARGET_STATUSES;
mod event;
mod fleet;
mod inspect;
mod origin;
mod plan;
mod prepare;
mod record;
mod rollout;
mod run;
mod verify;

use std::sync::Arc;

pub use chain::{EnvironmentChain, DEFAULT_FIRST_ENVIRONMENT};
pub use event::{Action, Event, SourceChoice};
pub use inspect::{EnvironmentStatus, OpenChange, ReleaseEntry};
pub use plan::plan;
pub use prepare::read_bundle;
pub use record::{
    manifests_path, policy_path, record_path, sha256_hex, values_path, RecordedProvenance,
    RecordedTarget, ReleaseRecord, RELEASE_FILE,
};
pub use rollout::{system_clock, AutoRollback, RolloutOutcome};
pub use verify::{TargetVerification, Verdict, Verification};

use crate::error::{Error, Location, Result};
use crate::format::app::{AppDescriptor, APP_FILE};
use crate::ports::{
    ChangeRequest, ChartRegistry, CommitId, ConfigStore, DeploymentReport, FleetOnboarding,
    FleetReport, GitOpsRepo, Orchestrator, ProposeOutcome, Provenance, Renderer, SourceRepo,
};

/// The six backends a pipeline works through.
#[derive(Clone)]
pub struct Ports {
    /// The solution's source repo (app, or platform control plane).
    pub source: Arc<dyn SourceRepo>,
    /// The app config repo (values of an `Application`).
    pub app_config: Arc<dyn ConfigStore>,
    /// The platform config repo (fleets, and values of the `Platform` solution).
    pub platform_config: Arc<dyn ConfigStore>,
    /// The gitops repo.
    pub gitops: Arc<dyn GitOpsRepo>,
    /// The renderer.
    pub renderer: Arc<dyn Renderer>,
    /// The orchestrator.
    pub orchestrator: Arc<dyn Orchestrator>,
    /// Where the chart is published for the orchestrator, when it pulls charts (WO does):
    /// prepare-pr packages the chart at the source commit, renders it as packaged and records
    /// its reference in `release.yaml`; deploy publishes it (unless there already) and hands
    /// the reference to the orchestrator. `None`: no chart is packaged or published.
    pub charts: Option<Arc<dyn ChartRegistry>>,
    /// Onboards a merged fleet at the orchestrator (apply-fleet); `None`: that step is
    /// reported skipped.
    pub fleet: Option<Arc<dyn FleetOnboarding>>,
    /// Checks the rendered manifests against the source's `wo/policy.yaml` tightened by the
    /// platform config's `policy.yaml`: prepare-pr records the verdict in `release.yaml`,
    /// writes the effective policy to `<solution>/policy.yaml` and marks the change request
    /// (status `wo/policy`, label `wo/policy-blocked`); deploy refuses blocking findings.
    /// `None`: no policy is checked.
    pub policy: Option<Arc<dyn crate::ports::PolicyGate>>,
}

/// How a pipeline is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The first environment of the chain (default `dev`); the rest follows the fleets' `next:`.
    pub first_environment: String,
    /// The source repo's main branch (default `main`): its `wo/app.yaml` names the solution,
    /// and only commits on it are promoted (prepare-pr refuses a promotable commit that is not
    /// on it).
    pub source_branch: String,
    /// The solution, when known; otherwise read from `wo/app.yaml` on `source_branch`.
    pub solution: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            first_environment: DEFAULT_FIRST_ENVIRONMENT.to_string(),
            source_branch: "main".to_string(),
            solution: None,
        }
    }
}

/// Runs the flows of one solution through the ports. Holds no state of its own.
pub struct Pipeline {
    ports: Ports,
    settings: Settings,
}

/// What [`Pipeline::prepare_pr`] (or [`Pipeline::rollback`]) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareOutcome {
    /// The environment.
    pub environment: String,
    /// The inputs of the proposed content.
    pub provenance: Provenance,
    /// The targets rendered, in fleet order.
    pub targets: Vec<String>,
    /// What the gitops repo did with the proposal.
    pub proposal: ProposeOutcome,
    /// The policy verdict on the proposed manifests (with a policy gate).
    pub policy: Option<crate::ports::PolicyVerdict>,
    /// How the change request was marked for the verdict: `Some(true)` status and label set,
    /// `Some(false)` the gitops backend cannot mark change requests or its credentials may not
    /// (the verdict is in its body and `release.yaml` only), `None` nothing to mark (no gate,
    /// or no change request).
    pub policy_marked: Option<bool>,
}

impl PrepareOutcome {
    /// The change request waiting for review, unless the env branch already had the content.
    pub fn change_request(&self) -> Option<&ChangeRequest> {
        self.proposal.change_request()
    }

    /// `opened`, `updated`, `unchanged` or `no difference`.
    pub fn kind(&self) -> &'static str {
        match self.proposal {
            ProposeOutcome::Opened(_) => "opened",
            ProposeOutcome::Updated(_) => "updated",
            ProposeOutcome::Unchanged(_) => "unchanged",
            ProposeOutcome::NoDifference { .. } => "no difference",
        }
    }

    /// Whether the proposed manifests have blocking policy findings: the change request must
    /// not be merged (its `wo/policy` status is `failure`) and deploy refuses it.
    pub fn policy_blocked(&self) -> bool {
        self.policy.as_ref().is_some_and(|p| p.is_blocking())
    }
}

/// What [`Pipeline::merge`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The change request was merged; the env branch is at `head`.
    Merged {
        /// The new head of the env branch.
        head: CommitId,
    },
    /// No change request was open: nothing was merged.
    NothingToMerge,
}

impl MergeOutcome {
    /// The new env head, when something was merged.
    pub fn head(&self) -> Option<&CommitId> {
        match self {
            MergeOutcome::Merged { head } => Some(head),
            MergeOutcome::NothingToMerge => None,
        }
    }
}

/// What [`Pipeline::deploy`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployOutcome {
    /// The environment.
    pub environment: String,
    /// The gitops commit deployed.
    pub gitops_commit: CommitId,
    /// Its provenance.
    pub provenance: Provenance,
    /// Per target, how it went.
    pub report: DeploymentReport,
    /// The chart the release installs and whether this deploy published it (with a
    /// [`ChartRegistry`]; `None` without).
    pub chart: Option<crate::ports::Published>,
    /// What the planner says comes next (prepare-pr of the next environment, a halt, or
    /// nothing).
    pub next: Vec<Action>,
}

/// One step [`Pipeline::run`] took.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// A change request was prepared; the chain continues when it is merged.
    Prepared(Box<PrepareOutcome>),
    /// An environment was deployed.
    Deployed(Box<DeployOutcome>),
    /// An environment whose fleet declares a rollout was deployed as far as its rollout
    /// allows now: waiting (bake, window, approval) is not a failure, a halt is.
    RolledOut(Box<RolloutOutcome>),
    /// The fleet of an environment was applied at the orchestrator.
    FleetApplied {
        /// The environment.
        environment: String,
        /// The platform config commit the fleet was read at.
        fleet_commit: CommitId,
        /// What was done to the targets.
        report: FleetReport,
    },
    /// A step that could not be done here was left out; nothing failed.
    Skipped {
        /// The step.
        action: Action,
        /// Why, for humans.
        reason: String,
    },
    /// Promotion stopped.
    Halted {
        /// Where.
        environment: String,
        /// Which source commit.
        source_commit: CommitId,
        /// Why.
        reason: String,
    },
}

impl StepOutcome {
    /// Whether the step reports a failure (a deploy that failed on a target, a halt).
    pub fn is_failure(&self) -> bool {
        match self {
            StepOutcome::Prepared(_)
            | StepOutcome::FleetApplied { .. }
            | StepOutcome::Skipped { .. } => false,
            StepOutcome::Deployed(d) => !d.report.all_succeeded(),
            StepOutcome::RolledOut(r) => r.halted(),
            StepOutcome::Halted { .. } => true,
        }
    }
}

impl Pipeline {
    /// A pipeline over `ports`.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self { ports, settings }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The environment chain, read now from the fleets of the platform config repo.
    ///
    /// # Errors
    /// See [`EnvironmentChain::load`].
    pub async fn chain(&self) -> Result<EnvironmentChain> {
        EnvironmentChain::load(
            self.ports.platform_config.as_ref(),
            &self.settings.first_environment,
        )
        .await
    }

    /// The solution: from the settings, or `wo/app.yaml` on the source branch.
    ///
    /// # Errors
    /// When the source branch or its `wo/app.yaml` cannot be read.
    pub async fn solution(&self) -> Result<String> {
        if let Some(s) = &self.settings.solution {
            return Ok(s.clone());
        }
        Ok(self.descriptor().await?.name)
    }

    /// `wo/app.yaml` at the head of the source branch.
    async fn descriptor(&self) -> Result<AppDescriptor> {
        let head = self
            .ports
            .source
            .resolve(&self.settings.source_branch)
            .await?;
        let tree = self
            .ports
            .source
            .read_tree(&head, &["wo".to_string()])
            .await?;
        let file = format!("source@{}/{APP_FILE}", head.short());
        let text = tree
            .text(APP_FILE)?
            .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?;
        AppDescriptor::parse(text, &file)
    }

    /// The chain, after checking that it holds `env`.
    async fn chain_with(&self, env: &str) -> Result<EnvironmentChain> {
        let chain = self.chain().await?;
        chain.check(env)?;
        Ok(chain)
    }
}
