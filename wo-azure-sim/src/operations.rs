//! Long-running operations: started by a request, polled on their URLs, applied when they end.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::http::{error, now_rfc3339, Reply};
use super::{authoring, deployment, Shared, SimState};
use wo_azure::arm::new_request_id;

/// The location the simulator puts in operation URLs.
const OP_LOCATION: &str = "eastus";

/// What an operation does when it ends.
#[derive(Debug, Clone)]
pub(super) enum Effect {
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

/// The final answer of an operation's `Location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResultShape {
    /// An operation-status envelope around the resource.
    Envelope,
    /// The bare resource (or result).
    Resource,
    /// 204 without a body.
    Empty,
}

#[derive(Debug, Clone)]
pub(super) struct Operation {
    /// Polls still answering InProgress.
    polls_left: u32,
    effect: Effect,
    /// The resource the operation is about.
    resource_id: String,
    result: ResultShape,
    started: String,
    /// Ends `Failed` without its effect (see `Simulator::fail_next_operations`).
    doomed: bool,
    /// Set when the operation has ended.
    outcome: Option<Outcome>,
}

#[derive(Debug, Clone)]
struct Outcome {
    ended: String,
    error: Option<Value>,
    /// The resource at the end (for the result body).
    resource: Option<Value>,
}

/// What an effect did.
#[derive(Debug, Default)]
pub(super) struct Done {
    pub resource: Option<Value>,
    pub error: Option<Value>,
    /// The resource the operation turned out to be about, when it was not known at the start.
    pub resource_id: Option<String>,
}

impl Done {
    pub fn ok(resource: Option<Value>) -> Self {
        Self {
            resource,
            ..Self::default()
        }
    }

    pub fn failed(error: Value) -> Self {
        Self {
            error: Some(error),
            ..Self::default()
        }
    }
}

/// Starts an operation; its id.
pub(super) fn start(
    shared: &Shared,
    st: &mut SimState,
    effect: Effect,
    resource_id: &str,
    result: ResultShape,
) -> String {
    let doomed = st.doomed_operations > 0;
    st.doomed_operations = st.doomed_operations.saturating_sub(1);
    let op = new_request_id();
    st.operations.insert(
        op.clone(),
        Operation {
            polls_left: shared.options.lro_polls,
            effect,
            resource_id: resource_id.to_string(),
            result,
            started: now_rfc3339(),
            doomed,
            outcome: None,
        },
    );
    op
}

/// 202 with `Location` and `Retry-After`.
pub(super) fn accepted(shared: &Shared, id: &str, op: &str) -> Reply {
    Reply::empty(StatusCode::ACCEPTED)
        .with("location", op_url(shared, id, op, false))
        .with("retry-after", shared.options.retry_after_secs.to_string())
}

/// The operation's status URL (`Azure-AsyncOperation`) or result URL (`Location`).
pub(super) fn op_url(shared: &Shared, id: &str, op: &str, status: bool) -> String {
    let sub = id.split('/').nth(2).unwrap_or("00000000");
    let kind = if status {
        "operationStatuses"
    } else {
        "operationResults"
    };
    format!(
        "{}/subscriptions/{sub}/providers/Microsoft.Edge/locations/{OP_LOCATION}/{kind}/{op}?api-version=2025-08-01",
        shared.link_base
    )
}

/// `GET` of an operation URL: the status (`Azure-AsyncOperation`) or the result (`Location`).
pub(super) fn poll(shared: &Shared, op: &str, status_url: bool) -> Reply {
    let mut st = shared.lock();
    let Some(mut operation) = st.operations.get(op).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            "OperationNotFound",
            format!("The operation '{op}' was not found."),
        );
    };
    if operation.outcome.is_none() {
        if operation.polls_left > 0 {
            operation.polls_left -= 1;
            let resource_id = operation.resource_id.clone();
            let started = operation.started.clone();
            st.operations.insert(op.to_string(), operation);
            drop(st);
            let retry = shared.options.retry_after_secs.to_string();
            return if status_url {
                Reply::ok(
                    json!({"id": op_url(shared, &resource_id, op, true), "name": op,
                           "resourceId": resource_id, "status": "InProgress", "startTime": started}),
                )
                .with("retry-after", retry)
            } else {
                accepted(shared, &resource_id, op)
            };
        }
        let done = apply(&mut st, &operation);
        if let Some(id) = done.resource_id {
            operation.resource_id = id;
        }
        operation.outcome = Some(Outcome {
            ended: now_rfc3339(),
            error: done.error,
            resource: done.resource,
        });
        st.operations.insert(op.to_string(), operation.clone());
    }
    drop(st);
    let outcome = operation.outcome.clone().unwrap_or_else(|| Outcome {
        ended: now_rfc3339(),
        error: None,
        resource: None,
    });
    let status = if outcome.error.is_some() {
        "Failed"
    } else {
        "Succeeded"
    };
    let mut envelope = json!({
        "id": op_url(shared, &operation.resource_id, op, status_url),
        "name": op,
        "resourceId": operation.resource_id,
        "status": status,
        "startTime": operation.started,
        "endTime": outcome.ended,
    });
    if let Some(e) = &outcome.error {
        envelope["error"] = e.clone();
    }
    if status_url {
        return Reply::ok(envelope);
    }
    match (operation.result, outcome.resource) {
        (ResultShape::Resource, Some(r)) if outcome.error.is_none() => Reply::ok(r),
        (ResultShape::Envelope, Some(r)) => {
            envelope["properties"] = r;
            Reply::ok(envelope)
        }
        _ if outcome.error.is_some() => Reply::ok(envelope),
        _ => Reply::empty(StatusCode::NO_CONTENT),
    }
}

/// Does what an operation does when it ends.
fn apply(st: &mut SimState, op: &Operation) -> Done {
    if op.doomed {
        return fail(st, &op.effect);
    }
    match &op.effect {
        Effect::Provision(id) => authoring::provision(st, id),
        Effect::Delete(id) => {
            st.remove_tree(id);
            Done::ok(None)
        }
        Effect::Insert { resource, parent } => authoring::insert(st, resource, parent.as_ref()),
        Effect::Review {
            target,
            template_version,
            instance,
            dependencies,
        } => deployment::review(
            st,
            target,
            template_version,
            instance.as_deref(),
            dependencies,
        ),
        Effect::Resolve {
            target,
            template_version,
        } => deployment::resolve(st, target, template_version),
        Effect::Publish { sv } => deployment::publish(st, sv),
        Effect::Install { sv, target, job } => deployment::install(st, sv, target, job, None),
        Effect::Uninstall { instance } => deployment::uninstall(st, instance),
        Effect::RemoveRevision { sv } => {
            st.remove_tree(sv);
            Done::ok(None)
        }
    }
}

/// Ends a doomed operation: `InternalServerError`, and its resource marked as failed where it
/// has one.
fn fail(st: &mut SimState, effect: &Effect) -> Done {
    let err = json!({
        "code": "InternalServerError",
        "message": "The operation failed (injected by the simulator).",
    });
    match effect {
        Effect::Provision(id) | Effect::Delete(id) => {
            if let Some(r) = st.get_mut(id) {
                r["properties"]["provisioningState"] = json!("Failed");
            }
        }
        Effect::Publish { sv } => {
            if let Some(r) = st.get_mut(sv) {
                let now = now_rfc3339();
                r["properties"]["currentStage"] = deployment::stage_map("Publish", "Failed", &now);
            }
        }
        Effect::Install { sv, target, job } => {
            return deployment::install(st, sv, target, job, Some(err));
        }
        Effect::Insert { .. }
        | Effect::Review { .. }
        | Effect::Resolve { .. }
        | Effect::Uninstall { .. }
        | Effect::RemoveRevision { .. } => {}
    }
    Done::failed(err)
}
