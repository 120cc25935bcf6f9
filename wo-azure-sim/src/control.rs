//! The simulator-only endpoints under `/_simulator/` (not ARM): what runs on a target, drift
//! behind the client's back, and a target's health.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::http::{bad_request, error, query_pairs, Reply};
use crate::state::Shared;
use crate::{applied, health};

/// The prefix of the simulator-only endpoints.
pub(crate) const SIMULATOR_PREFIX: &str = "/_simulator/";

/// `GET /_simulator/applied?target=T[&solution=S]`, `POST /_simulator/drift`,
/// `POST /_simulator/health`.
pub(crate) async fn answer(shared: &Shared, req: Request) -> Reply {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let query = query_pairs(req.uri().query().unwrap_or(""));
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let method = req.method().clone();
    match (method, path.as_str()) {
        (Method::GET, "/_simulator/applied") => {
            let Some(target) = param("target") else {
                return bad_request("MissingParameter", "target= is required");
            };
            let solution = param("solution");
            match applied::find(&shared.lock(), &target, solution.as_deref()) {
                Ok(state) => Reply::ok(state.applied.to_json()),
                Err(m) => error(StatusCode::NOT_FOUND, "NotApplied", m),
            }
        }
        (Method::POST, "/_simulator/drift") => {
            let body = match json_body(req).await {
                Ok(b) => b,
                Err(reply) => return reply,
            };
            let (Some(target), Some(key)) = (body["target"].as_str(), body["key"].as_str()) else {
                return bad_request(
                    "InvalidRequestContent",
                    "the body is {target, solution?, key, value}",
                );
            };
            let Some(value) = body.get("value").cloned() else {
                return bad_request("InvalidRequestContent", "value is required");
            };
            match applied::drift(shared, target, body["solution"].as_str(), key, value).await {
                Ok(a) => Reply::ok(a.to_json()),
                Err(m) => error(StatusCode::CONFLICT, "DriftRefused", m),
            }
        }
        (Method::POST, "/_simulator/health") => {
            let body = match json_body(req).await {
                Ok(b) => b,
                Err(reply) => return reply,
            };
            set_health(shared, &body)
        }
        (_, "/_simulator/applied" | "/_simulator/drift" | "/_simulator/health") => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "GET /_simulator/applied, POST /_simulator/drift, POST /_simulator/health",
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{path} is not a simulator endpoint"),
        ),
    }
}

/// A request's body as JSON.
async fn json_body(req: Request) -> Result<Value, Reply> {
    let body = to_bytes(req.into_body(), 1024 * 1024)
        .await
        .map_err(|e| bad_request("InvalidRequestContent", format!("body: {e}")))?;
    serde_json::from_slice(&body)
        .map_err(|e| bad_request("InvalidRequestContent", format!("not JSON: {e}")))
}

/// `POST /_simulator/health {target, solution?, component?, healthy, reason?}`: 200 `{target,
/// solution, healthy, instances}` with the instances' statuses now.
fn set_health(shared: &Shared, body: &Value) -> Reply {
    const SHAPE: &str = "the body is {target, solution?, component?, healthy: bool, reason?}";
    let (Some(target), Some(healthy)) = (body["target"].as_str(), body["healthy"].as_bool()) else {
        return bad_request("InvalidRequestContent", SHAPE);
    };
    let optional = |key: &str| match &body[key] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.as_str())),
        _ => Err(bad_request(
            "InvalidRequestContent",
            format!("{key} is a string: {SHAPE}"),
        )),
    };
    let (solution, component, reason) = match (
        optional("solution"),
        optional("component"),
        optional("reason"),
    ) {
        (Ok(s), Ok(c), Ok(r)) => (s, c, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
    };
    if healthy && (component.is_some() || reason.is_some()) {
        return bad_request(
            "InvalidRequestContent",
            "component and reason describe an unhealthy target: not with healthy: true",
        );
    }
    let mut st = shared.lock();
    if healthy {
        health::make_healthy(&mut st, target, solution);
    } else {
        let reason = reason.unwrap_or("the workload is failing (set by the simulator)");
        health::make_unhealthy(&mut st, target, solution, component, reason);
    }
    let instances: Vec<Value> = health::instances_on(&st, target, solution)
        .into_iter()
        .filter_map(|id| st.get(&id))
        .map(|i| serde_json::json!({"id": i["id"], "status": i["properties"]["status"]}))
        .collect();
    Reply::ok(serde_json::json!({
        "target": target, "solution": solution, "healthy": healthy, "instances": instances,
    }))
}
