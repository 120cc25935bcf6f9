//! The simulator-only endpoints under `/_simulator/` (not ARM): what runs on a target, and
//! drift behind the client's back.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::applied;
use crate::http::{bad_request, error, query_pairs, Reply};
use crate::state::Shared;

/// The prefix of the simulator-only endpoints.
pub(crate) const SIMULATOR_PREFIX: &str = "/_simulator/";

/// `GET /_simulator/applied?target=T[&solution=S]`, `POST /_simulator/drift`.
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
            let body = match to_bytes(req.into_body(), 1024 * 1024).await {
                Ok(b) => b,
                Err(e) => return bad_request("InvalidRequestContent", format!("body: {e}")),
            };
            let body: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => return bad_request("InvalidRequestContent", format!("not JSON: {e}")),
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
        (_, "/_simulator/applied" | "/_simulator/drift") => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "GET /_simulator/applied, POST /_simulator/drift",
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{path} is not a simulator endpoint"),
        ),
    }
}
