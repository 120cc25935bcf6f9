//! What happens (events) and what the pipeline does about it (actions).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ports::CommitId;

/// Something that happened in one of the repos or at the orchestrator.
///
/// Serialized with a `type` tag, as workflow steps pass them around:
/// `{"type": "deployment-finished", "environment": "dev", "sourceCommit": "3f2a…",
/// "promotable": true, "succeeded": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// A commit landed on the source repo's main branch (flow `ci`).
    SourcePushed {
        /// The commit: a full id, or a branch or tag the source repo resolves.
        commit: String,
    },
    /// A change request was merged into the gitops env branch of `environment`
    /// (flow `notify-on-pr`).
    ChangeMerged {
        /// The environment.
        environment: String,
    },
    /// A deploy finished.
    DeploymentFinished {
        /// The environment deployed.
        environment: String,
        /// The source commit the release was built from.
        source_commit: CommitId,
        /// Whether the release may be promoted to the next environment.
        promotable: bool,
        /// Whether every target deployed.
        succeeded: bool,
    },
    /// A change was merged into the env branch of the app config repo (flow
    /// `notify-on-config-change`).
    ConfigMerged {
        /// The environment (config branch).
        environment: String,
    },
    /// A change was merged into the env branch of the platform config repo (fleet or platform
    /// values).
    PlatformConfigMerged {
        /// The environment (config branch).
        environment: String,
    },
}

/// Which source commit a prepare-pr step renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceChoice {
    /// This commit: a full id, or a branch or tag the source repo resolves.
    Commit(String),
    /// The source commit currently released in the environment (named by the provenance of
    /// the gitops env branch head): a config change re-renders what runs.
    Released,
}

impl fmt::Display for SourceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceChoice::Commit(rev) => write!(f, "source {rev}"),
            SourceChoice::Released => f.write_str("the released source"),
        }
    }
}

/// One step the planner asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum Action {
    /// Render `source` for `environment` and open (or update) its change request.
    PreparePr {
        /// The environment.
        environment: String,
        /// The source commit to render.
        source: SourceChoice,
        /// Whether a successful deploy of it promotes to the next environment.
        promotable: bool,
    },
    /// Make the orchestrator's targets what the fleet of `environment` says (at the head of
    /// its platform config branch), through [`Ports::fleet`](super::Ports::fleet). Only the
    /// pipeline of a `Platform` solution does it (see [`plan`](super::plan)).
    ApplyFleet {
        /// The environment.
        environment: String,
    },
    /// Deploy the head of the gitops env branch.
    Deploy {
        /// The environment.
        environment: String,
    },
    /// Stop: promotion of `source_commit` ends in `environment`.
    Halt {
        /// The environment where it stopped.
        environment: String,
        /// The source commit that does not go further.
        source_commit: CommitId,
        /// Why, for humans.
        reason: String,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::PreparePr {
                environment,
                source,
                promotable,
            } => write!(
                f,
                "prepare-pr {environment} from {source}{}",
                if *promotable { " (promotable)" } else { "" }
            ),
            Action::ApplyFleet { environment } => write!(f, "apply-fleet {environment}"),
            Action::Deploy { environment } => write!(f, "deploy {environment}"),
            Action::Halt {
                environment,
                source_commit,
                reason,
            } => write!(
                f,
                "halt {} in {environment}: {reason}",
                source_commit.short()
            ),
        }
    }
}
