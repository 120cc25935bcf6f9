//! The orchestrator port: installs releases on targets and says what runs where.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use crate::error::{Error, Location, Result};
use crate::files::check_name;
use crate::value::Value;

use super::CommitId;

/// What one deploy hands to the orchestrator: one version of a solution, for every target of
/// an environment, read from a merged gitops commit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Release {
    /// The solution.
    pub solution: String,
    /// The environment.
    pub environment: String,
    /// The version: deterministic per release (derived from the gitops commit), so deploying
    /// the same gitops commit twice names the same version.
    pub version: String,
    /// The source commit the release was built from (statuses are recorded on it).
    pub source_commit: CommitId,
    /// The gitops commit the release was read from.
    pub gitops_commit: CommitId,
    /// What to install on each target.
    pub targets: Vec<TargetRelease>,
    /// The chart the orchestrator installs, as published (see
    /// [`ChartRegistry`](super::ChartRegistry)); `None` when the pipeline publishes no chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<super::ChartRef>,
    /// The solution's own specification for the orchestrator (`wo/solution.yaml`, WO's format:
    /// components), when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specification: Option<Value>,
}

impl Release {
    /// Checks what every backend relies on: valid names, a non-empty version, each target once.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field or target.
    pub fn validate(&self) -> Result<()> {
        let at = |field: &str| Location::file("<release>").with_key(field);
        check_name(&self.solution).map_err(|m| Error::invalid(at("solution"), m))?;
        check_name(&self.environment).map_err(|m| Error::invalid(at("environment"), m))?;
        if self.version.trim().is_empty() {
            return Err(Error::invalid(at("version"), "the version is empty"));
        }
        let mut seen = BTreeSet::new();
        for (i, t) in self.targets.iter().enumerate() {
            let key = format!("targets.{i}.target");
            check_name(&t.target).map_err(|m| Error::invalid(at(&key), m))?;
            if !seen.insert(t.target.as_str()) {
                return Err(Error::invalid(
                    at(&key),
                    format!("target `{}` is listed twice", t.target),
                ));
            }
        }
        Ok(())
    }
}

/// Checks that every target of a batch is a target of the release.
///
/// # Errors
/// [`Error::Invalid`] naming the first that is not.
pub fn check_batch(release: &Release, targets: &BTreeSet<String>) -> Result<()> {
    if let Some(t) = targets
        .iter()
        .find(|t| !release.targets.iter().any(|r| &r.target == *t))
    {
        return Err(Error::invalid(
            Location::file("<release>").with_key("targets"),
            format!(
                "`{t}` is not a target of this release of `{}`",
                release.solution
            ),
        ));
    }
    Ok(())
}

/// What to install on one target.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TargetRelease {
    /// The target's name.
    pub target: String,
    /// The orchestrator's id of the target (an ARM resource id), when the fleet names one.
    pub orchestrator_id: Option<String>,
    /// The target's composed values.
    pub values: Value,
    /// The target's rendered manifests.
    pub manifests: String,
}

/// How deploying a release went on one target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum TargetOutcome {
    /// The release's version runs on the target (installed now, or already before).
    Deployed,
    /// The target did not take the release; it keeps running what it ran before.
    Failed {
        /// Why, as the orchestrator says it.
        message: String,
    },
}

/// The outcome of [`Orchestrator::deploy`] per target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeploymentReport {
    /// The version deployed.
    pub version: String,
    /// Target name → outcome, for every target of the release.
    pub results: BTreeMap<String, TargetOutcome>,
}

impl DeploymentReport {
    /// Whether every target runs the version now.
    pub fn all_succeeded(&self) -> bool {
        self.results.values().all(|o| *o == TargetOutcome::Deployed)
    }

    /// The failed targets with their messages, sorted by target.
    pub fn failed(&self) -> Vec<(&str, &str)> {
        self.results
            .iter()
            .filter_map(|(t, o)| match o {
                TargetOutcome::Failed { message } => Some((t.as_str(), message.as_str())),
                TargetOutcome::Deployed => None,
            })
            .collect()
    }
}

/// What the orchestrator runs for a solution on one target, as it says it
/// ([`Orchestrator::running`]): what `wo verify` compares with what was reviewed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Running {
    /// wo's release (the gitops commit id) the running version was made for, when the
    /// orchestrator knows it.
    pub release: Option<String>,
    /// The orchestrator's own name of the version running.
    pub version: String,
    /// The chart it runs (repo and version; `digest` empty when the orchestrator does not
    /// say), `None` when it runs no published chart.
    pub chart: Option<super::ChartRef>,
    /// The resolved configuration it runs with: the chart's values.
    pub values: Value,
}

/// The workload orchestrator: publishes a solution version and installs it on targets.
///
/// # Contract
///
/// - [`deploy`](Orchestrator::deploy) installs `release.version` on every target of the release
///   and waits for the outcome of each; the report has exactly one entry per target. A failure
///   on one target is reported as [`TargetOutcome::Failed`] and does not stop the others; it is
///   not an `Err`.
/// - It is idempotent: a target that already runs `release.version` of the solution is
///   reported `Deployed` without installing again; deploying the same release twice installs
///   nothing the second time; a target that failed is tried again.
/// - A version is immutable: the same version of a solution always has the same content.
/// - [`deployed`](Orchestrator::deployed) returns the version of the solution that last
///   deployed successfully on the target, `None` when none has.
/// - [`running`](Orchestrator::running) says what runs on the target as the orchestrator
///   holds it *now* (values changed behind wo's back included), `None` when nothing of the
///   solution runs there. After a successful deploy of a release and no change since, its
///   `release` is the release's version (when known) and its `values` the target's values.
///
/// # Errors
///
/// - [`Error::Invalid`](crate::Error::Invalid): a release that fails [`Release::validate`].
/// - [`Error::AlreadyExists`](crate::Error::AlreadyExists): the version exists with different
///   content.
/// - [`Error::Backend`](crate::Error::Backend) when the orchestrator cannot be reached or fails
///   as a whole (`retryable` for throttling and timeouts).
/// - [`Error::Unsupported`](crate::Error::Unsupported) from [`running`](Orchestrator::running)
///   of a backend that cannot say what runs (the default).
///
/// # Example
///
/// ```
/// use wo_core::memory::InMemoryOrchestrator;
/// use wo_core::ports::{CommitId, Orchestrator, Release, TargetOutcome, TargetRelease};
///
/// # futures::executor::block_on(async {
/// let orchestrator = InMemoryOrchestrator::new();
/// orchestrator.fail_target("paris-1", "cluster unreachable");
/// let target = |name: &str| TargetRelease {
///     target: name.into(),
///     orchestrator_id: None,
///     values: serde_json::json!({ "replicas": 2 }),
///     manifests: "kind: ConfigMap\n".into(),
/// };
/// let release = Release {
///     solution: "shop".into(),
///     environment: "dev".into(),
///     version: "g-1a2b3c4".into(),
///     source_commit: CommitId::from("a1"),
///     gitops_commit: CommitId::from("1a2b3c4"),
///     targets: vec![target("berlin-1"), target("paris-1")],
///     chart: None,
///     specification: None,
/// };
///
/// let report = orchestrator.deploy(&release).await?;
/// assert!(!report.all_succeeded());
/// assert_eq!(report.failed(), vec![("paris-1", "cluster unreachable")]);
/// assert_eq!(orchestrator.deployed("shop", "berlin-1").await?.as_deref(), Some("g-1a2b3c4"));
///
/// orchestrator.heal_target("paris-1");
/// let again = orchestrator.deploy(&release).await?;
/// assert!(again.all_succeeded());
/// assert_eq!(orchestrator.installs("shop", "berlin-1", "g-1a2b3c4"), 1); // not installed twice
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Orchestrator: Send + Sync {
    /// Installs the release on each of its targets; the report says how each went.
    async fn deploy(&self, release: &Release) -> Result<DeploymentReport>;

    /// Installs the release on `targets` only, a subset of its targets (a batch of a
    /// rollout, see [`crate::rollout`]); the report has one entry per target named. The
    /// release stays whole — the version's content is all its targets, so batches of one
    /// release are one version — and the contract of [`deploy`](Orchestrator::deploy) holds
    /// for the targets named.
    ///
    /// # Errors
    /// [`Error::Invalid`](crate::Error::Invalid) naming a target the release does not have;
    /// by default [`Error::Unsupported`](crate::Error::Unsupported) unless `targets` are all
    /// the release's (then it is [`deploy`](Orchestrator::deploy)).
    async fn deploy_to(
        &self,
        release: &Release,
        targets: &BTreeSet<String>,
    ) -> Result<DeploymentReport> {
        check_batch(release, targets)?;
        if targets.len() == release.targets.len() {
            return self.deploy(release).await;
        }
        Err(Error::unsupported(format!(
            "installing `{}` on some of its targets: this orchestrator installs whole releases only",
            release.solution
        )))
    }

    /// The health of the release on each of `targets` (targets of the release that took it):
    /// one entry per target named. A rollout reads it while a wave bakes and counts an
    /// [`Health::Unhealthy`] target against the wave's failure budget.
    ///
    /// By default every target is [`Health::Unknown`] (an orchestrator that reports no health:
    /// bakes then only wait).
    ///
    /// # Errors
    /// [`Error::Backend`](crate::Error::Backend) when the orchestrator cannot be read.
    async fn health(
        &self,
        release: &Release,
        targets: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, Health>> {
        let _ = release;
        Ok(targets
            .iter()
            .map(|t| (t.clone(), Health::Unknown))
            .collect())
    }

    /// The version of `solution` running on `target`, `None` when none is.
    async fn deployed(&self, solution: &str, target: &str) -> Result<Option<String>>;

    /// What runs of `solution` on `target` (found by `orchestrator_id` when the fleet names
    /// one), `None` when nothing does.
    ///
    /// # Errors
    /// [`Error::Unsupported`](crate::Error::Unsupported) unless the backend implements it;
    /// [`Error::Backend`](crate::Error::Backend) as for the other methods.
    async fn running<'a>(
        &self,
        solution: &str,
        target: &str,
        orchestrator_id: Option<&'a str>,
    ) -> Result<Option<Running>> {
        let _ = (target, orchestrator_id);
        Err(Error::unsupported(format!(
            "reading what runs of `{solution}`: this orchestrator cannot say"
        )))
    }
}

/// The health of a target running a release, as the orchestrator sees it (read during a
/// rollout's bake: see [`Orchestrator::health`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Health {
    /// Runs the release and reports no problem.
    Healthy,
    /// Runs the release (or tried to) and reports a problem.
    Unhealthy {
        /// Why, as the orchestrator says it.
        reason: String,
    },
    /// The orchestrator cannot say (it does not report health, or the target does not run
    /// the release): not counted against a budget.
    Unknown,
}
