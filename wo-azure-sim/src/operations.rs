//! Long-running operations: started by a request, polled on their URLs, applied when they end.

use axum::http::StatusCode;
use serde_json::{json, Value};

use wo_azure::arm::new_request_id;

use crate::http::{error, now_rfc3339, Reply};
use crate::lro::{Done, Effect, Operation, Outcome, ResultShape};
use crate::state::{Shared, SimState};

/// The location the simulator puts in operation URLs.
const OP_LOCATION: &str = "eastus";

/// Starts an operation; its id.
pub(crate) fn start(
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
            prepared: None,
        },
    );
    op
}

/// 202 with `Location` and `Retry-After`.
pub(crate) fn accepted(shared: &Shared, id: &str, op: &str) -> Reply {
    Reply::empty(StatusCode::ACCEPTED)
        .with("location", op_url(shared, id, op, false))
        .with_retry_after(&shared.options)
}

/// The operation's status URL (`Azure-AsyncOperation`) or result URL (`Location`).
pub(crate) fn op_url(shared: &Shared, id: &str, op: &str, status: bool) -> String {
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
/// An operation that ends on this poll is applied with `finish` (what operations do when they
/// end is up to the resource kinds above this module).
pub(crate) fn poll(
    shared: &Shared,
    op: &str,
    status_url: bool,
    finish: fn(&mut SimState, &Operation) -> Done,
) -> Reply {
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
            return if status_url {
                Reply::ok(
                    json!({"id": op_url(shared, &resource_id, op, true), "name": op,
                           "resourceId": resource_id, "status": "InProgress", "startTime": started}),
                )
                .with_retry_after(&shared.options)
            } else {
                accepted(shared, &resource_id, op)
            };
        }
        let done = finish(&mut st, &operation);
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
    if status_url {
        // ARM async contract, `Azure-AsyncOperation`: the status URL always answers 200 with the
        // operation-status envelope (`status`, and `error` when it failed); the result is read
        // elsewhere (the resource, or the `Location`).
        if let Some(e) = &outcome.error {
            envelope["error"] = e.clone();
        }
        return Reply::ok(envelope);
    }
    // ARM async contract, `Location`: the final answer is what the operation would have answered
    // synchronously. On failure that is an error status with ARM's `ErrorResponse`
    // (`{"error": {code, message, details?}}`, the spec's `default` response); on success the
    // spec's `200` schema for `final-state-via: location` (the resource: `SolutionVersion` for
    // review/publish, `ResolvedConfiguration` for resolveConfiguration, the new version for
    // createVersion), or 204 for operations whose spec declares no 200 body (install,
    // uninstall, removeRevision, DELETE).
    if let Some(e) = outcome.error {
        return Reply::json(failure_status(&e), json!({ "error": e }));
    }
    match (operation.result, outcome.resource) {
        (ResultShape::Resource, Some(r)) => Reply::ok(r),
        _ => Reply::empty(StatusCode::NO_CONTENT),
    }
}

/// The status a failed operation's `Location` answers with, from its error code: what the
/// request would have got had it failed synchronously. A refused configuration (schema rules,
/// missing values) is the caller's to fix: 400, as ARM answers invalid content. A resource that
/// went away meanwhile: 404. A deployment the target failed is a conflict with the target's
/// state (409): not malformed, and not a service fault a client should retry. The service's
/// own failure (the injected `InternalServerError`): 500.
fn failure_status(error: &Value) -> StatusCode {
    let code = error["code"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if code == "internalservererror" {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if code == "deploymentfailed" || code == "conflict" {
        StatusCode::CONFLICT
    } else if code == "resourcenotfound" {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_REQUEST
    }
}
