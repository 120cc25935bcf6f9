//! The repository itself, the rate limit, and the two dispatch endpoints (recorded for tests).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::git;
use crate::records::{DispatchedEvent, WorkflowDispatch};
use crate::render;
use crate::reply::{parse_body, unprocessable, validation_failed, Outcome, Reply};
use crate::request::Request;
use crate::state::{State, RATE_LIMIT};

pub(super) fn get(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    Ok(Reply::ok(render::repository(req.base, repo)))
}

pub(super) fn rate_limit(state: &mut State, _req: &Request<'_>) -> Outcome {
    let limit = |limit: u64, used: u64| {
        json!({
            "limit": limit,
            "used": used,
            "remaining": limit.saturating_sub(used),
            "reset": state.rate_reset,
        })
    };
    let core = limit(RATE_LIMIT, state.rate_used);
    Ok(Reply::ok(json!({
        "resources": {
            "core": core,
            "search": limit(30, 0),
            "graphql": limit(5000, 0),
            "integration_manifest": limit(5000, 0),
            "code_search": limit(10, 0),
        },
        "rate": core,
    })))
}

#[derive(Deserialize)]
struct Dispatch {
    event_type: String,
    #[serde(default)]
    client_payload: Option<Map<String, Value>>,
}

pub(super) fn dispatch_event(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: Dispatch = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    if body.event_type.is_empty() || body.event_type.chars().count() > 100 {
        return Err(validation_failed(json!([{
            "resource": "Repository", "field": "event_type", "code": "invalid"
        }])));
    }
    if body.client_payload.as_ref().is_some_and(|p| p.len() > 10) {
        return Err(unprocessable(
            "Invalid request.\n\nNo more than 10 properties are allowed; client_payload has more.",
        ));
    }
    repo.dispatches.push(DispatchedEvent {
        event_type: body.event_type,
        client_payload: body.client_payload.map_or(Value::Null, Value::Object),
    });
    Ok(Reply::no_content())
}

#[derive(Deserialize)]
struct WorkflowDispatchBody {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    inputs: Option<Map<String, Value>>,
    #[serde(default)]
    return_run_details: bool,
}

pub(super) fn workflow_dispatch(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: WorkflowDispatchBody = parse_body(req.body)?;
    let run_id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    if git::resolve_commit(&repo.git, &body.git_ref).is_none() {
        return Err(unprocessable(&format!(
            "No ref found for: {}",
            body.git_ref
        )));
    }
    if body.inputs.as_ref().is_some_and(|i| i.len() > 25) {
        return Err(unprocessable(
            "Invalid request.\n\nNo more than 25 properties are allowed; inputs has more.",
        ));
    }
    repo.workflow_dispatches.push(WorkflowDispatch {
        workflow: req.route.param(0).to_owned(),
        git_ref: body.git_ref,
        inputs: body.inputs.map_or(Value::Null, Value::Object),
    });
    if body.return_run_details {
        let urls = render::Urls::new(req.base, repo);
        return Ok(Reply::ok(json!({
            "workflow_run_id": run_id,
            "run_url": urls.api(&format!("/actions/runs/{run_id}")),
            "html_url": urls.html(&format!("/actions/runs/{run_id}")),
        })));
    }
    Ok(Reply::no_content())
}
