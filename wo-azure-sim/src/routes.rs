//! From a request to an answer: ARM's checks (faults, api-version, token), then the route to
//! the resource or action, and the generic reads (GET, paged lists).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::control::{self, SIMULATOR_PREFIX};
use crate::entra::Principal;
use crate::http::{
    bad_request, decode_path, error, finish, method_not_allowed, not_found, query_pairs,
    unknown_type, Reply,
};
use crate::ids::{depth, parent_of, rg_type, stored_type};
use crate::options::{Fault, API_VERSIONS};
use crate::state::Shared;
use crate::traffic::CLIENT_HEADER;
use crate::{applied, authoring, configuration, deployment, effects, operations, rbac};

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn new(shared: &'a Shared) -> Self {
        shared.requests.fetch_add(1, Ordering::SeqCst);
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.peak.fetch_max(now, Ordering::SeqCst);
        Self(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    if req.uri().path().starts_with(SIMULATOR_PREFIX) {
        // Not ARM: the test's own window on the simulator, neither counted nor faulted.
        return finish(control::answer(&shared, req).await, None, None);
    }
    let _guard = InFlight::new(&shared);
    let correlation = req
        .headers()
        .get(CLIENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    shared.meter().arrived(
        Instant::now(),
        correlation.as_deref(),
        req.method().as_str(),
        &req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
    );
    for callback in shared.hooks.arrived() {
        // A panicking callback is the test's failure to report, not the server's.
        let _ = tokio::task::spawn_blocking(callback).await;
    }
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    let client_id = req
        .headers()
        .get("x-ms-client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_write = req.method() != Method::GET;
    let reply = answer(&shared, req).await;
    if is_write {
        for callback in shared.write_hooks.arrived() {
            // Applied; the answer waits. Run on its own thread: it completes even when the
            // client goes away meanwhile and this handler is dropped.
            let _ = tokio::task::spawn_blocking(callback).await;
        }
    }
    finish(reply, client_id, correlation)
}

/// One request, decoded.
struct Call {
    method: Method,
    /// The path's segments, percent-decoded.
    segs: Vec<String>,
    /// The same in lowercase.
    low: Vec<String>,
    /// The path as it came (links to further pages repeat it).
    raw_path: String,
    api_version: String,
    /// `$skiptoken`: the items of a list to skip.
    skip: usize,
    body: Option<Value>,
}

impl Call {
    /// The ARM id of the first `n` segments.
    fn id(&self, n: usize) -> String {
        self.segs[..n].iter().map(|s| format!("/{s}")).collect()
    }

    fn low(&self) -> Vec<&str> {
        self.low.iter().map(String::as_str).collect()
    }
}

async fn answer(shared: &Shared, req: Request) -> Reply {
    let opts = &shared.options;
    if let Some(fault) = shared.lock().faults.pop_front() {
        let (status, code) = match fault {
            Fault::Throttle => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"),
            Fault::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        };
        return error(status, code, "injected by the simulator").with_retry_after(opts);
    }

    let query = query_pairs(req.uri().query().unwrap_or(""));
    let api_version = match query.iter().find(|(k, _)| k == "api-version") {
        None => {
            return bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        }
        Some((_, v)) if !API_VERSIONS.contains(&v.as_str()) => {
            return bad_request(
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{v}' is invalid. The supported versions are '{}'.",
                    API_VERSIONS.join(",")
                ),
            )
        }
        Some((_, v)) => v.clone(),
    };

    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or("");
    let www = "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", \
               error=\"invalid_token\", error_description=\"The authentication failed\"";
    if token.is_empty() {
        return error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
        .with("www-authenticate", www);
    }
    if opts.token.as_deref().is_some_and(|t| t != token) {
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )
        .with("www-authenticate", www);
    }
    let principal = match opts.entra.as_ref().map(|entra| entra.verify(token)) {
        Some(Err((code, message))) => {
            return error(StatusCode::UNAUTHORIZED, code, message).with("www-authenticate", www)
        }
        Some(Ok(principal)) => Some(principal),
        None => None,
    };

    let method = req.method().clone();
    let raw_path = req.uri().path().trim_end_matches('/').to_string();
    let segs: Vec<String> = decode_path(&raw_path)
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(principal) = &principal {
        if let Some(denied) = authorize(shared, principal, &method, &segs) {
            return denied;
        }
    }
    let low = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let skip = query
        .iter()
        .find(|(k, _)| k == "$skiptoken")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let body = match to_bytes(req.into_body(), 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => return bad_request("InvalidRequestContent", format!("body: {e}")),
    };
    let body: Option<Value> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                return bad_request(
                    "InvalidRequestContent",
                    format!("The request content is not valid JSON: {e}"),
                )
            }
        }
    };
    let call = Call {
        method,
        segs,
        low,
        raw_path,
        api_version,
        skip,
        body,
    };
    if let ["subscriptions", _, "providers", "microsoft.edge", "locations", _, "operationstatuses" | "operationresults", op] =
        call.low().as_slice()
    {
        if call.method == Method::GET {
            applied::before_poll(shared, op).await;
        }
    }
    route(shared, call)
}

/// ARM's RBAC check: 403 `AuthorizationFailed` in ARM's words unless a role assignment lets
/// `principal` do what the request needs on its scope. The status of an operation (its
/// `operationStatuses`/`operationResults` URL) is answered to any authenticated caller: ARM
/// hands that URL only to the caller that started the operation (approximated: the real
/// check is the provider's).
fn authorize(
    shared: &Shared,
    principal: &Principal,
    method: &Method,
    segs: &[String],
) -> Option<Reply> {
    let low: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    if let ["subscriptions", _, "providers", _, "locations", _, "operationstatuses" | "operationresults", _] =
        low.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
    {
        return None;
    }
    let (action, scope) = rbac::required(method, segs)?;
    let allowed = shared
        .lock()
        .role_assignments
        .iter()
        .any(|a| a.grants(&principal.object_id, &action, &scope));
    (!allowed).then(|| {
        error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The client '{}' with object id '{}' does not have authorization to perform \
                 action '{action}' over scope '{scope}' or the scope is invalid. If access was \
                 recently granted, please refresh your credentials.",
                principal.client_id, principal.object_id
            ),
        )
    })
}

/// Top-level collections, listed by resource group and by subscription.
const TOP_LEVEL: &[&str] = &[
    "contexts",
    "targets",
    "schemas",
    "solutiontemplates",
    "configurations",
];

/// Extension resources, on any scope.
const EXTENSIONS: &[&str] = &["configurationreferences", "jobs"];

/// Where an extension resource's scope ends: the index of the last `providers` segment that
/// is followed by `Microsoft.Edge/<extension>[/<name>]`.
fn extension_split(l: &[&str]) -> Option<usize> {
    (2..l.len().saturating_sub(2)).rev().find(|&i| {
        l[i] == "providers"
            && l[i + 1] == "microsoft.edge"
            && EXTENSIONS.contains(&l[i + 2])
            && (l.len() - i - 2) <= 2
    })
}

fn route(shared: &Shared, call: Call) -> Reply {
    let l = call.low();
    match l.as_slice() {
        ["subscriptions", _, "providers", "microsoft.edge", "locations", _, kind, op]
            if *kind == "operationstatuses" || *kind == "operationresults" =>
        {
            if call.method != Method::GET {
                return method_not_allowed(&call.method);
            }
            operations::poll(shared, op, *kind == "operationstatuses", effects::apply)
        }
        _ if extension_split(&l).is_some() => {
            let at = extension_split(&l).unwrap_or_default();
            extension(shared, &call, at)
        }
        ["subscriptions", _, "providers", "microsoft.edge", kind] => {
            if call.method != Method::GET {
                return method_not_allowed(&call.method);
            }
            if !TOP_LEVEL.contains(kind) {
                return unknown_type(&call.raw_path);
            }
            let sub = format!("/subscriptions/{}/resourcegroups/", l[1]);
            let suffix = format!("/providers/microsoft.edge/{kind}");
            list(shared, &call, |key| {
                key.starts_with(&sub) && parent_of(key).ends_with(&suffix) && depth(key) == 8
            })
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.edge", rest @ ..]
            if !rest.is_empty() =>
        {
            resource_group(shared, call)
        }
        _ => unknown_type(&call.raw_path),
    }
}

/// Paths under `RG`.
fn resource_group(shared: &Shared, call: Call) -> Reply {
    let l = call.low();
    let rest = &l[6..];
    let id = call.id(call.segs.len());
    let name = call.segs.last().cloned().unwrap_or_default();
    let body = call.body.clone();
    match (call.method.clone(), rest) {
        (Method::PUT, [kind @ ("contexts" | "targets" | "schemas" | "solutiontemplates"), _]) => {
            authoring::put_tracked(shared, kind, &name, &id, body)
        }
        (Method::DELETE, ["contexts" | "targets" | "schemas" | "solutiontemplates", _]) => {
            authoring::delete(shared, &id)
        }
        (Method::POST, [kind @ ("schemas" | "solutiontemplates"), _, "createversion"]) => {
            authoring::create_version(shared, kind, parent_of(&id), body)
        }
        (Method::POST, ["targets", _, action]) => {
            deployment::target_action(shared, action, parent_of(&id), body)
        }
        (Method::PUT, ["configurations", _]) => {
            configuration::put_configuration(shared, &name, &id, body)
        }
        (Method::PUT, ["configurations", _, "dynamicconfigurations", _]) => {
            configuration::put_dynamic(shared, &name, &id, false, body)
        }
        (Method::PUT, ["configurations", _, "dynamicconfigurations", _, "versions", _]) => {
            configuration::put_dynamic(shared, &name, &id, true, body)
        }
        (Method::PATCH, ["configurations", _])
        | (Method::PATCH, ["configurations", _, "dynamicconfigurations", _])
        | (Method::PATCH, ["configurations", _, "dynamicconfigurations", _, "versions", _]) => {
            configuration::patch(shared, &id, body)
        }
        (Method::DELETE, ["configurations", _])
        | (Method::DELETE, ["configurations", _, "dynamicconfigurations", _])
        | (Method::DELETE, ["configurations", _, "dynamicconfigurations", _, "versions", _]) => {
            configuration::delete(shared, &id)
        }
        (Method::GET, _) if rg_type(rest).is_some() => {
            let item = rg_type(rest).is_some_and(|(_, item)| item);
            if item {
                return get(shared, &id);
            }
            if rest.len() > 1 && !shared.lock().contains(parent_of(&id)) {
                return not_found(parent_of(&id));
            }
            let key = id.to_ascii_lowercase();
            list(shared, &call, move |k| parent_of(k) == key)
        }
        _ if rg_type(rest).is_some() => method_not_allowed(&call.method),
        _ => unknown_type(&id),
    }
}

/// Extension resources: `{scope}/providers/Microsoft.Edge/{configurationReferences|jobs}[/{name}]`.
fn extension(shared: &Shared, call: &Call, at: usize) -> Reply {
    let scope = call.id(at);
    let id = call.id(call.segs.len());
    let l = call.low();
    let rest = &l[at + 2..];
    if stored_type(&scope).is_some() && !shared.lock().contains(&scope) {
        return not_found(&scope);
    }
    match (call.method.clone(), rest) {
        (Method::GET, [_]) => {
            let key = id.to_ascii_lowercase();
            list(shared, call, move |k| parent_of(k) == key)
        }
        (Method::GET, [_, _]) => get(shared, &id),
        (Method::PUT, ["configurationreferences", _]) => configuration::put_reference(
            shared,
            &call.segs[call.segs.len() - 1],
            &id,
            call.body.clone(),
        ),
        (Method::PATCH, ["configurationreferences", _]) => {
            configuration::patch(shared, &id, call.body.clone())
        }
        (Method::DELETE, ["configurationreferences", _]) => configuration::delete(shared, &id),
        _ => method_not_allowed(&call.method),
    }
}

fn get(shared: &Shared, id: &str) -> Reply {
    match shared.lock().get(id) {
        Some(r) => Reply::ok(r.clone()),
        None => not_found(id),
    }
}

/// A `{value, nextLink?}` page of the resources whose lowercase id passes `select`.
fn list(shared: &Shared, call: &Call, select: impl Fn(&str) -> bool) -> Reply {
    let size = shared.options.page_size.max(1);
    let skip = call.skip;
    let st = shared.lock();
    let all: Vec<&Value> = st
        .resources
        .iter()
        .filter(|(k, _)| select(k))
        .map(|(_, v)| v)
        .collect();
    let page: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(size)
        .map(|v| (*v).clone())
        .collect();
    let mut body = json!({ "value": page });
    if skip + size < all.len() {
        body["nextLink"] = json!(format!(
            "{}{}?api-version={}&$skiptoken={}",
            shared.link_base,
            call.raw_path,
            call.api_version,
            skip + size
        ));
    }
    Reply::ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_extension_scopes() {
        assert_eq!(
            rg_type(&["targets", "t1"]),
            Some(("Microsoft.Edge/targets", true))
        );
        assert_eq!(
            rg_type(&["targets", "t1", "solutions"]),
            Some(("Microsoft.Edge/targets/solutions", false))
        );
        assert_eq!(rg_type(&["targets", "t1", "installsolution"]), None);
        let path = "subscriptions/s/resourcegroups/rg/providers/microsoft.edge/targets/t1/providers/microsoft.edge/jobs";
        let l: Vec<&str> = path.split('/').collect();
        assert_eq!(extension_split(&l), Some(8));
        let l: Vec<&str> = "subscriptions/s/providers/microsoft.edge/targets"
            .split('/')
            .collect();
        assert_eq!(extension_split(&l), None);
        assert_eq!(
            stored_type("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/targets/t1"),
            Some("Microsoft.Edge/targets")
        );
        assert_eq!(
            stored_type("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/sites/s1"),
            None
        );
    }
}
