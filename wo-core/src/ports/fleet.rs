//! The fleet onboarding port: an environment's fleet made the orchestrator's targets (fleet as
//! code, `wo fleet apply`).

use async_trait::async_trait;

use crate::error::Result;
use crate::format::fleet::Fleet;

/// Makes the orchestrator hold what an environment's [`Fleet`] says: one orchestrator target
/// per fleet target (and whatever groups them, such as a Workload Orchestration context).
///
/// The pipeline calls it on `platform-config-merged` for the platform solution, before the
/// environment is rendered, so that a cluster added to the fleet exists at the orchestrator
/// before anything is deployed to it.
///
/// # Contract
///
/// - [`apply`](FleetOnboarding::apply) is idempotent: applying the same fleet again changes
///   nothing and reports every target `unchanged`.
/// - A target is created when the orchestrator lacks it, updated when what the fleet says of
///   it differs, otherwise left alone; what the fleet does not describe is kept.
/// - Targets the fleet no longer names are not deleted unless the implementation was
///   configured to (and then reported as `deleted`).
/// - The counts cover the fleet's targets: `created + updated + unchanged` is the number of
///   targets of the fleet.
///
/// # Errors
///
/// - [`Error::Invalid`](crate::Error::Invalid) when the fleet cannot be onboarded as it is
///   (an orchestrator id outside the implementation's scope, say), naming `fleet.yaml`.
/// - [`Error::Backend`](crate::Error::Backend) and the other transport variants for failures
///   talking to the orchestrator; targets already written stay written and a second apply
///   finishes the job.
///
/// # Example
///
/// ```
/// use wo_core::format::fleet::Fleet;
/// use wo_core::memory::InMemoryFleetOnboarding;
/// use wo_core::ports::FleetOnboarding;
///
/// # futures::executor::block_on(async {
/// let fleet = Fleet::parse(
///     "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: edge-1\n",
///     "fleet.yaml",
/// )?;
/// let wo = InMemoryFleetOnboarding::new();
/// let first = wo.apply("dev", &fleet).await?;
/// assert_eq!((first.created, first.unchanged), (1, 0));
/// let again = wo.apply("dev", &fleet).await?;
/// assert_eq!((again.created, again.unchanged), (0, 1));
/// assert_eq!(wo.targets("dev"), ["edge-1"]);
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait FleetOnboarding: Send + Sync {
    /// Makes the orchestrator's targets of `environment` what `fleet` says.
    async fn apply(&self, environment: &str, fleet: &Fleet) -> Result<FleetReport>;
}

/// What a [`FleetOnboarding::apply`] did to the targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetReport {
    /// Targets created.
    pub created: usize,
    /// Targets updated.
    pub updated: usize,
    /// Targets left as they were.
    pub unchanged: usize,
    /// Targets deleted (only when the implementation prunes).
    pub deleted: usize,
    /// Where the targets live at the orchestrator, for humans (for Workload Orchestration,
    /// the context's ARM id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl FleetReport {
    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        self.created + self.updated + self.deleted > 0
    }
}
