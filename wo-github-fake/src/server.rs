//! The HTTP side: the accept loop, the write gate, authentication, the headers GitHub puts on
//! every response, request counting and the injected faults, then dispatch to the operation's
//! handler, and the hooks due after a write.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body as AxumBody, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::auth::{self, Actor, Verdict, ADMIN_LOGIN};
use crate::events;
use crate::fault::Fault;
use crate::git;
use crate::handlers;
use crate::reply::{error, not_found, percent_decode, Body, Outcome, Query, Reply, DOCS};
use crate::request::Request;
use crate::routes::{match_route, Route, FAKE_RAW, FAKE_TARBALL};
use crate::state::{State, PUSHER, RATE_LIMIT};
use crate::writes::{is_write, Write, WriteHooks};

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub base_url: String,
    pub writes: WriteHooks,
}

impl Shared {
    /// The state, even after a panicking test thread poisoned the lock.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fake GitHub dropped the connection (injected fault)")
    }
}

impl std::error::Error for DropConnection {}

/// Serves `shared` on `listener` until `stop` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let router = Router::new().fallback(handle).with_state(shared);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let router = router.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let router = router.clone();
                        async move {
                            let response = match router.oneshot(req).await {
                                Ok(r) => r,
                                Err(never) => match never {},
                            };
                            if response.extensions().get::<DropConnection>().is_some() {
                                // hyper closes the connection without writing a response.
                                return Err(DropConnection);
                            }
                            Ok(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = match_route(&method, uri.path());
    let write = is_write(&method).then(|| Write {
        method: method.to_string(),
        path: percent_decode(uri.path()),
        operation: route.as_ref().map(|r| r.op),
    });
    if let (Some(write), Some(gate)) = (&write, shared.writes.gate()) {
        let seen = write.clone();
        // On its own thread: the gate may block (until the client is gone).
        let pass = tokio::task::spawn_blocking(move || gate(&seen))
            .await
            .unwrap_or(false);
        if !pass {
            return dropped_connection();
        }
    }
    let response = apply(&shared, route, &method, &uri, &headers, &body);
    if let Some(write) = write {
        after_write(&shared, write).await;
    }
    response
}

/// Counts the request, then answers it: its injected fault, or its handler's reply.
fn apply(
    shared: &Shared,
    route: Option<Route>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let mut state = shared.lock();
    let request_id = format!(
        "FA4E:{:04X}:{:06X}:{:06X}:{:08X}",
        std::process::id() & 0xFFFF,
        state.next_request,
        state.next_request * 7,
        state.rate_reset
    );
    state.next_request += 1;
    let is_download = route
        .as_ref()
        .is_some_and(|r| r.op == FAKE_TARBALL || r.op == FAKE_RAW);
    let reply = match route {
        None => not_found(),
        Some(route) => {
            *state.counts.entry(route.op.to_owned()).or_default() += 1;
            let fault = state.faults.get_mut(route.op).and_then(|q| q.pop_front());
            let actor = if is_download {
                // The download URLs stand for GitHub's signed, short-lived ones.
                Ok(Actor::User {
                    login: ADMIN_LOGIN.to_owned(),
                })
            } else {
                authorize(&mut state, &route, method, headers)
            };
            match actor {
                Err(reply) => reply,
                Ok(actor) => {
                    if !is_download && route.op != "rate-limit/get" {
                        state.rate_used += 1;
                    }
                    let write = is_write(method);
                    let limited = if is_download {
                        Ok(())
                    } else {
                        state.limits.admit(&actor.login(), write)
                    };
                    match (limited, fault) {
                        (Err(wait), _) => secondary_limit_reply(wait),
                        (Ok(()), Some(Fault::ConnectionReset)) => return dropped_connection(),
                        (Ok(()), Some(Fault::ConcurrentPush { branch, files })) => {
                            concurrent_push(&mut state, &route, &branch, &files);
                            run(
                                &mut state,
                                &route,
                                uri.query(),
                                headers,
                                body,
                                &shared.base_url,
                                actor,
                            )
                        }
                        (Ok(()), Some(fault)) => fault_reply(&fault),
                        (Ok(()), None) => run(
                            &mut state,
                            &route,
                            uri.query(),
                            headers,
                            body,
                            &shared.base_url,
                            actor,
                        ),
                    }
                }
            }
        }
    };
    state.collect_events();
    let remaining = RATE_LIMIT.saturating_sub(state.rate_used);
    let rate: [(&'static str, String); 5] = [
        ("x-ratelimit-limit", RATE_LIMIT.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", state.rate_reset.to_string()),
        ("x-ratelimit-used", state.rate_used.to_string()),
        ("x-ratelimit-resource", "core".to_owned()),
    ];
    drop(state);
    into_response(reply, &request_id, &rate, is_download)
}

/// `write` is applied (or refused, or met its fault): logs it and runs the callbacks due, each
/// on its own thread, before the answer is sent. A callback completes even when the client
/// goes away meanwhile and this handler is dropped.
async fn after_write(shared: &Shared, write: Write) {
    let (due, log) = shared.writes.applied(write);
    for callback in due {
        let log = log.clone();
        // A panicking callback is the test's failure to report, not the server's.
        let _ = tokio::task::spawn_blocking(move || callback(&log)).await;
    }
}

/// A response hyper does not send: it closes the connection instead.
fn dropped_connection() -> Response {
    let mut response = Response::new(AxumBody::empty());
    response.extensions_mut().insert(DropConnection);
    response
}

fn run(
    state: &mut State,
    route: &Route,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    base: &str,
    actor: Actor,
) -> Reply {
    let request = Request {
        route: route.clone(),
        query: Query::parse(query),
        headers,
        body,
        base,
        actor,
    };
    let outcome: Outcome = handlers::dispatch(state, &request);
    outcome.unwrap_or_else(|e| e)
}

fn concurrent_push(
    state: &mut State,
    route: &Route,
    branch: &str,
    files: &[(String, Option<String>)],
) {
    if let Ok(repo) = state.repo(&route.owner, &route.repo) {
        let edits: Vec<_> = files
            .iter()
            .map(|(p, c)| (p.clone(), c.as_ref().map(|c| c.clone().into_bytes())))
            .collect();
        let from = repo.default_branch.clone();
        let before = git::branch_sha(&repo.git, branch);
        // A push the test asked for: a failure here is a broken test setup.
        let after = git::push_files(&repo.git, branch, &from, &edits, "Concurrent push")
            .expect("fake GitHub: concurrent push failed");
        let pusher = Actor::User {
            login: PUSHER.to_owned(),
        };
        events::branch_moved(repo, branch, before, Some(after), &pusher);
    }
}

/// The actor of the request's token, once the token may run the route on its repository:
/// GitHub's 401 without a (known) token, 404 for a private repository the token cannot see,
/// 403 without the permission.
fn authorize(
    state: &mut State,
    route: &Route,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Actor, Reply> {
    let Some(header) = headers.get("authorization") else {
        return Err(error(StatusCode::UNAUTHORIZED, "Requires authentication"));
    };
    let spec = header
        .to_str()
        .ok()
        .and_then(auth::bearer)
        .and_then(|t| state.tokens.get(t))
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Bad credentials"))?;
    if route.owner.is_empty() {
        return Ok(spec.actor.clone());
    }
    let Some(repo) = state.repos.get(&(route.owner.clone(), route.repo.clone())) else {
        return Err(not_found());
    };
    let read = *method == Method::GET;
    match auth::authorize(
        spec,
        route.op,
        read,
        &route.owner,
        &route.repo,
        repo.private,
    ) {
        Verdict::Allowed => Ok(spec.actor.clone()),
        Verdict::Refused(reply) => Err(reply),
    }
}

/// GitHub's answer to a request over a secondary rate limit ("About secondary rate limits").
fn secondary_limit_reply(retry_after_secs: u64) -> Reply {
    Reply::json(
        StatusCode::FORBIDDEN,
        serde_json::json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
            "documentation_url": format!("{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"),
            "status": "403",
        }),
    )
    .header("retry-after", retry_after_secs.to_string())
}

fn fault_reply(fault: &Fault) -> Reply {
    match fault {
        Fault::BadGateway => Reply::json(
            StatusCode::BAD_GATEWAY,
            serde_json::json!({ "message": "Server Error" }),
        ),
        Fault::TooManyRequests { retry_after_secs } => error(
            StatusCode::TOO_MANY_REQUESTS,
            "API rate limit exceeded. Please wait before retrying.",
        )
        .header("retry-after", retry_after_secs.to_string()),
        Fault::SecondaryRateLimit {
            message,
            retry_after_secs,
        } => {
            let reply = Reply::json(
                StatusCode::FORBIDDEN,
                serde_json::json!({
                    "message": message,
                    "documentation_url": format!("{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"),
                }),
            );
            match retry_after_secs {
                Some(s) => reply.header("retry-after", s.to_string()),
                None => reply,
            }
        }
        Fault::ConnectionReset | Fault::ConcurrentPush { .. } => {
            unreachable!("handled before the reply is built")
        }
    }
}

fn into_response(
    reply: Reply,
    request_id: &str,
    rate: &[(&'static str, String)],
    is_download: bool,
) -> Response {
    let (bytes, content_type) = match reply.body {
        Body::Json(v) => (
            serde_json::to_vec_pretty(&v).unwrap_or_default(),
            Some("application/json; charset=utf-8"),
        ),
        Body::Bytes {
            bytes,
            content_type,
        } => (bytes, Some(content_type)),
        Body::Empty => (Vec::new(), None),
    };
    let mut response = Response::new(AxumBody::from(bytes));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    if let Some(ct) = content_type {
        headers.insert("content-type", HeaderValue::from_static(ct));
    }
    if !is_download {
        for (name, value) in rate {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(*name, v);
            }
        }
        headers.insert(
            "x-github-api-version-selected",
            HeaderValue::from_static("2022-11-28"),
        );
        headers.insert(
            "x-github-media-type",
            HeaderValue::from_static("github.v3; format=json"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-github-request-id", v);
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}
