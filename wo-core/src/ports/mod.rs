//! The five ports: the only way wo-core reaches the outside world.
//!
//! | port | what it is | flows that use it |
//! |---|---|---|
//! | [`SourceRepo`] | the app (or control plane) source repo: bundles at a commit, commit statuses | prepare-pr, deploy |
//! | [`ConfigStore`] | the app config repo or the platform config repo: one branch per environment | prepare-pr, config change |
//! | [`ConfigChanges`] | a config repo that takes proposed changes on a branch of the proposer's own (an extension of `ConfigStore`) | fleet import |
//! | [`GitOpsRepo`] | the gitops repo: env branches changed only through change requests | prepare-pr, merge, deploy, rollback |
//! | [`Renderer`] | turns a chart and N value sets into manifests | prepare-pr |
//! | [`Orchestrator`] | installs a release on the targets of an environment | deploy |
//! | [`ChartRegistry`] | packages the chart at a source commit, publishes it for the orchestrator (optional) | prepare-pr, deploy |
//! | [`FleetOnboarding`] | makes the orchestrator's targets what an environment's fleet says (optional) | platform config change |
//!
//! Every port is object-safe (`Arc<dyn …>`), `Send + Sync`, and has an in-memory
//! implementation in [`crate::memory`] and a conformance suite in `testkit` (feature) that
//! every backend runs. Backends map their private errors into [`crate::Error`]'s semantic
//! variants: `NotFound` for a missing commit or branch, `Precondition` when a compare-and-swap
//! lost, `Backend { retryable, .. }` for transport and service failures. Behaviour such as
//! retry or dry-run wraps a port; it is not a flag inside a backend.
//!
//! The shared vocabulary: [`CommitId`] names a commit in any repo, [`Provenance`] names the
//! inputs a gitops commit was made from and travels as git-style message trailers.

mod charts;
mod config;
mod fleet;
mod gitops;
mod orchestrator;
mod policy;
mod provenance;
mod render;
mod source;
mod types;

#[cfg(feature = "mocks")]
pub use charts::MockChartRegistry;
pub use charts::{ChartPackage, ChartRef, ChartRegistry, Published};
#[cfg(feature = "mocks")]
pub use config::MockConfigStore;
pub use config::{
    BranchWrite, ConfigChange, ConfigChanges, ConfigStore, ProposedChange, ReviewRequest,
};
pub use fleet::{FleetOnboarding, FleetReport};
#[cfg(feature = "mocks")]
pub use gitops::MockGitOpsRepo;
pub use gitops::{
    rollout_report_marker, ChangeProposal, ChangeRequest, ChangeState, GitOpsCommit, GitOpsRepo,
    MergeMethod, ProposeOutcome,
};
#[cfg(feature = "mocks")]
pub use orchestrator::MockOrchestrator;
pub use orchestrator::{
    check_batch, DeploymentReport, Health, Orchestrator, Release, Running, TargetOutcome,
    TargetRelease,
};
pub use policy::{
    AppliedException, ChangeCheck, PolicyEvaluation, PolicyFinding, PolicyGate, PolicySources,
    PolicyText, PolicyVerdict, PLATFORM_POLICY_FILE, POLICY_BLOCKED_LABEL, POLICY_CONTEXT,
    RELEASE_POLICY_FILE, SOURCE_POLICY_FILE,
};
pub use provenance::Provenance;
#[cfg(feature = "mocks")]
pub use render::MockRenderer;
pub use render::{Chart, ReadDocument, RenderFlow, RenderRequest, Rendered, Renderer, TargetView};
#[cfg(feature = "mocks")]
pub use source::MockSourceRepo;
pub use source::{CommitState, CommitStatus, SourceRepo};
pub use types::CommitId;

#[cfg(all(test, feature = "mocks"))]
mod mock_tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn mocks_stand_in_for_ports_as_trait_objects() {
        let mut mock = MockOrchestrator::new();
        mock.expect_deployed()
            .withf(|s, t| s == "shop" && t == "berlin-1")
            .times(1)
            .returning(|_, _| Ok(Some("v7".into())));
        let port: Arc<dyn Orchestrator> = Arc::new(mock);
        let got = futures::executor::block_on(port.deployed("shop", "berlin-1")).unwrap();
        assert_eq!(got.as_deref(), Some("v7"));
    }
}
