//! A long-running operation as the simulator stores it: what it does when it ends, how its
//! result is shaped, and how it ended.

use serde_json::Value;

use crate::applied::Prepared;

/// What an operation does when it ends.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    /// `provisioningState` becomes `Succeeded`; a target also gets its configuration.
    Provision(String),
    /// The resource and everything below it go.
    Delete(String),
    /// A new version is stored (and its parent's version field set).
    Insert {
        resource: Value,
        parent: Option<(String, &'static str)>,
    },
    /// A review: resolve, then create the solution version.
    Review {
        target: String,
        template_version: String,
        instance: Option<String>,
        dependencies: Value,
    },
    /// `resolveConfiguration`: resolve only.
    Resolve {
        target: String,
        template_version: String,
    },
    /// The publish stage completes.
    Publish { sv: String },
    /// The deployment ends: the instance, its history and the job.
    Install {
        sv: String,
        target: String,
        job: String,
    },
    /// The instance goes; its solution version becomes `Undeployed`.
    Uninstall { instance: String },
    /// A solution version goes.
    RemoveRevision { sv: String },
}

/// The final answer of an operation's `Location` when it succeeds (the spec's `200` schema, or
/// none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResultShape {
    /// The bare resource (or result), 200.
    Resource,
    /// 204 without a body.
    Empty,
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Polls still answering InProgress.
    pub(crate) polls_left: u32,
    pub(crate) effect: Effect,
    /// The resource the operation is about.
    pub(crate) resource_id: String,
    pub(crate) result: ResultShape,
    pub(crate) started: String,
    /// Ends `Failed` without its effect (see `Simulator::fail_next_operations`).
    pub(crate) doomed: bool,
    /// Set when the operation has ended.
    pub(crate) outcome: Option<Outcome>,
    /// An installation's charts pulled and rendered, set just before it ends (see
    /// `applied::before_poll`).
    pub(crate) prepared: Option<Prepared>,
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) ended: String,
    pub(crate) error: Option<Value>,
    /// The resource at the end (for the result body).
    pub(crate) resource: Option<Value>,
}

/// What an effect did.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub(crate) resource: Option<Value>,
    pub(crate) error: Option<Value>,
    /// The resource the operation turned out to be about, when it was not known at the start.
    pub(crate) resource_id: Option<String>,
}

impl Done {
    pub(crate) fn ok(resource: Option<Value>) -> Self {
        Self {
            resource,
            ..Self::default()
        }
    }

    pub(crate) fn failed(error: Value) -> Self {
        Self {
            error: Some(error),
            ..Self::default()
        }
    }
}
