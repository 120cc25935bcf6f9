//! An in-memory simulator of the Workload Orchestration ARM API (`Microsoft.Edge`,
//! api-version 2025-08-01) on 127.0.0.1, for tests, benchmarks and the local demo.
//!
//! ```no_run
//! use wo_azure::simulator::{Simulator, SimulatorOptions};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let sim = Simulator::start(SimulatorOptions::default()).await?;
//! let base = sim.base_url(); // http://127.0.0.1:<port>
//! # let _ = base;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # ARM conventions
//!
//! - `api-version=2025-08-01` (or `2025-06-01`) is required: missing → 400
//!   `MissingApiVersionParameter`, other → 400 `InvalidApiVersionParameter`.
//! - `Authorization: Bearer <token>` is required (any token, or the one of
//!   [`SimulatorOptions::token`]): else 401 `AuthenticationFailed` /
//!   `InvalidAuthenticationToken` with `WWW-Authenticate`.
//! - Errors are `{"error": {code, message, target?, details?}}`; every answer carries
//!   `x-ms-request-id`, `x-ms-correlation-request-id`, and echoes `x-ms-client-request-id`.
//! - Lists are `{value, nextLink?}` pages of [`SimulatorOptions::page_size`] items; `nextLink`
//!   is absolute with `$skiptoken`.
//!
//! # Resources and operations
//!
//! Under `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Edge`:
//!
//! | path | operations |
//! |---|---|
//! | `contexts/{c}`, `targets/{t}`, `schemas/{s}`, `solutionTemplates/{st}` | GET, list (RG and subscription), PUT (LRO via `Azure-AsyncOperation`), DELETE (LRO via `Location`) |
//! | `schemas/{s}/createVersion`, `solutionTemplates/{st}/createVersion` | POST, LRO via `Location`, final body the new version |
//! | `schemas/{s}/versions/{v}`, `solutionTemplates/{st}/versions/{v}` | GET, list |
//! | `targets/{t}/reviewSolutionVersion` | POST `{solutionTemplateVersionId}`, LRO via `Location`: creates `targets/{t}/solutions/{st}/versions/{v}.{revision}` in state `ReadyToDeploy` |
//! | `targets/{t}/publishSolutionVersion` | POST `{solutionVersionId}`: stage `Publish` completed, state `ReadyToDeploy` |
//! | `targets/{t}/installSolution` | POST `{solutionVersionId}`: state `Deploying`, then `Deployed`, or `Failed` with `errorDetails` (and the operation `Failed`, code `DeploymentFailed`) for a target named in [`Simulator::fail_installs_on`] |
//! | `targets/{t}/solutions[/{s}[/versions[/{v}]]]` | GET, list |
//!
//! The solution of a template is named after the template (its `uniqueIdentifier` is its name).
//! The final `Location` answer of the target actions is an operation-status envelope
//! `{id, name, resourceId, status, startTime, endTime, properties: <SolutionVersion>, error?}`.
//!
//! Operations answer `InProgress` (or 202) for [`SimulatorOptions::lro_polls`] polls, then end;
//! their effect (provisioning `Succeeded`, the version created, the deployment done) happens
//! when they end.
//!
//! # Faults and measurements
//!
//! [`Simulator::inject`] makes the next N requests fail with 429 (`Retry-After`) or 503.
//! [`Simulator::requests`] and [`Simulator::peak_in_flight`] count what arrived; a
//! [`SimulatorOptions::latency`] makes each request take that long.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::arm::new_request_id;

/// The api-versions accepted.
pub const API_VERSIONS: &[&str] = &["2025-08-01", "2025-06-01"];

/// The location the simulator puts in operation URLs.
const OP_LOCATION: &str = "eastus";

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// Polls of an operation that answer `InProgress`/202 before it ends (default 1).
    pub lro_polls: u32,
    /// The `Retry-After` (seconds) of operations and of injected 429/503 (default 1).
    pub retry_after_secs: u64,
    /// Items per list page (default 100).
    pub page_size: usize,
    /// The only bearer token accepted; `None` accepts any non-empty token (default).
    pub token: Option<String>,
    /// Time each request takes before it is answered (default none).
    pub latency: Duration,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            lro_polls: 1,
            retry_after_secs: 1,
            page_size: 100,
            token: None,
            latency: Duration::ZERO,
        }
    }
}

/// An injected failure, see [`Simulator::inject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 `TooManyRequests` with `Retry-After`.
    Throttle,
    /// 503 `ServiceUnavailable` with `Retry-After`.
    Unavailable,
}

/// A running simulator; stops on [`Simulator::shutdown`] or when dropped.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    options: SimulatorOptions,
    base: String,
    state: Mutex<SimState>,
    requests: AtomicU64,
    in_flight: AtomicU64,
    peak: AtomicU64,
}

#[derive(Debug, Default)]
struct SimState {
    /// Resources by lowercase id.
    resources: BTreeMap<String, Value>,
    operations: HashMap<String, Operation>,
    faults: VecDeque<Fault>,
    failing_targets: HashSet<String>,
}

#[derive(Debug, Clone)]
enum Effect {
    /// Set `properties.provisioningState` to `Succeeded`.
    Provision(String),
    /// Remove the resource and its children.
    Delete(String),
    /// Store the resource (and update a parent's version fields).
    Insert {
        resource: Value,
        parent: Option<(String, &'static str)>,
    },
    /// Mark the solution version as its action completed.
    Stage {
        sv: String,
        stage: &'static str,
        state: &'static str,
    },
    /// Finish an installation: Deployed, or Failed on a failing target.
    Install { sv: String, target: String },
}

#[derive(Debug, Clone)]
struct Operation {
    /// Polls still answering InProgress.
    polls_left: u32,
    effect: Effect,
    /// The resource the operation is about.
    resource_id: String,
    /// The final answer's shape: an envelope around the resource, the bare resource, nothing.
    result: ResultShape,
    started: String,
    /// Set when the operation has ended.
    outcome: Option<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultShape {
    Envelope,
    Resource,
    Empty,
}

#[derive(Debug, Clone)]
struct Outcome {
    ended: String,
    error: Option<Value>,
    /// The resource at the end (for the result body).
    resource: Option<Value>,
}

impl Simulator {
    /// Binds a free port on 127.0.0.1 and serves.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(options: SimulatorOptions) -> std::io::Result<Simulator> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), options).await
    }

    /// Binds `addr` (port 0: any free port) and serves. The simulator has no real
    /// authentication: bind loopback addresses only, unless you mean it.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start_on(
        addr: SocketAddr,
        options: SimulatorOptions,
    ) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            options,
            base: format!("http://{addr}"),
            state: Mutex::new(SimState::default()),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak: AtomicU64::new(0),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Simulator {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:<port>`, the ARM base URL to give a client.
    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The next `count` requests fail with `fault` (queued after faults already injected).
    pub fn inject(&self, fault: Fault, count: usize) {
        let mut st = self.shared.lock();
        st.faults.extend(std::iter::repeat_n(fault, count));
    }

    /// Injected faults not yet served.
    pub fn pending_faults(&self) -> usize {
        self.shared.lock().faults.len()
    }

    /// Installations on the target named `target` fail from now on.
    pub fn fail_installs_on(&self, target: &str) {
        self.shared
            .lock()
            .failing_targets
            .insert(target.to_ascii_lowercase());
    }

    /// Requests received (every request: faults, errors and polls included).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The most requests being answered at once so far.
    pub fn peak_in_flight(&self) -> u64 {
        self.shared.peak.load(Ordering::SeqCst)
    }

    /// Sets the request count and the peak to zero.
    pub fn reset_counters(&self) {
        self.shared.requests.store(0, Ordering::SeqCst);
        self.shared.peak.store(0, Ordering::SeqCst);
    }

    /// The stored resource with this ARM id (case-insensitive), as a GET would answer it.
    pub fn resource(&self, id: &str) -> Option<Value> {
        self.shared
            .lock()
            .resources
            .get(&id.to_ascii_lowercase())
            .cloned()
    }

    /// How many resources are stored.
    pub fn resource_count(&self) -> usize {
        self.shared.lock().resources.len()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

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

/// An answer before the common headers are added.
struct Reply {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl Reply {
    fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({"error": {"code": code, "message": message.into()}}),
    )
}

fn not_found(id: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The resource '{id}' was not found."),
    )
}

fn bad_request(code: &str, message: impl Into<String>) -> Reply {
    error(StatusCode::BAD_REQUEST, code, message)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let _guard = InFlight::new(&shared);
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    let client_id = req
        .headers()
        .get("x-ms-client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let reply = answer(&shared, req).await;
    finish(reply, client_id)
}

fn finish(reply: Reply, client_id: Option<String>) -> Response {
    let mut headers = HeaderMap::new();
    let request_id = new_request_id();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("x-ms-request-id", &request_id);
    put(
        "x-ms-correlation-request-id",
        client_id.as_deref().unwrap_or(&request_id),
    );
    if let Some(c) = &client_id {
        put("x-ms-client-request-id", c);
    }
    for (name, value) in &reply.headers {
        put(name, value);
    }
    let body = match &reply.body {
        Some(v) => {
            put("content-type", "application/json; charset=utf-8");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    *response.headers_mut() = headers;
    response
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn answer(shared: &Shared, req: Request) -> Reply {
    let opts = &shared.options;
    if let Some(fault) = shared.lock().faults.pop_front() {
        let (status, code) = match fault {
            Fault::Throttle => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"),
            Fault::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        };
        return error(status, code, "injected by the simulator")
            .with("retry-after", opts.retry_after_secs.to_string());
    }

    let query = query_pairs(req.uri().query().unwrap_or(""));
    let api_version = query.iter().find(|(k, _)| k == "api-version");
    match api_version {
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
        Some(_) => {}
    }

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

    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_string();
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
    route(shared, &method, &path, skip, body)
}

/// Segments of a path, with their lowercase forms.
struct Path<'a> {
    raw: Vec<&'a str>,
    low: Vec<String>,
}

fn route(shared: &Shared, method: &Method, path: &str, skip: usize, body: Option<Value>) -> Reply {
    let raw: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let low: Vec<String> = raw.iter().map(|s| s.to_ascii_lowercase()).collect();
    let p = Path { raw, low };
    let l: Vec<&str> = p.low.iter().map(String::as_str).collect();
    match l.as_slice() {
        ["subscriptions", _, "providers", "microsoft.edge", "locations", _, kind, op]
            if *kind == "operationstatuses" || *kind == "operationresults" =>
        {
            if method != Method::GET {
                return method_not_allowed(method);
            }
            poll(shared, op, *kind == "operationstatuses")
        }
        ["subscriptions", _, "providers", "microsoft.edge", kind] => {
            if method != Method::GET {
                return method_not_allowed(method);
            }
            if !TOP_LEVEL.contains(kind) {
                return unknown_type(path);
            }
            let sub = format!("/subscriptions/{}/resourcegroups/", l[1]);
            let suffix = format!("/providers/microsoft.edge/{kind}");
            list(shared, path, skip, |key| {
                key.starts_with(&sub) && parent_of(key).ends_with(&suffix) && depth(key) == 8
            })
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.edge", rest @ ..]
            if !rest.is_empty() =>
        {
            let prefix: String = p.raw[..6]
                .iter()
                .map(|s| format!("/{s}"))
                .collect::<String>();
            edge(shared, method, &prefix, &p.raw[6..], rest, skip, body)
        }
        _ => unknown_type(path),
    }
}

const TOP_LEVEL: &[&str] = &["contexts", "targets", "schemas", "solutiontemplates"];

fn depth(key: &str) -> usize {
    key.split('/').filter(|s| !s.is_empty()).count()
}

fn parent_of(key: &str) -> &str {
    key.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

fn method_not_allowed(method: &Method) -> Reply {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The method {method} is not allowed here."),
    )
}

fn unknown_type(path: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        format!("The resource type of '{path}' is not known to the Microsoft.Edge simulator."),
    )
}

/// Paths under `RG/providers/Microsoft.Edge`.
fn edge(
    shared: &Shared,
    method: &Method,
    prefix: &str,
    raw: &[&str],
    low: &[&str],
    skip: usize,
    body: Option<Value>,
) -> Reply {
    let id = format!(
        "{prefix}{}",
        raw.iter().map(|s| format!("/{s}")).collect::<String>()
    );
    let key = id.to_ascii_lowercase();
    let children = |key: &str| {
        let key = key.to_string();
        move |k: &str| parent_of(k) == key
    };
    match (method.clone(), low) {
        (Method::GET, [kind]) if TOP_LEVEL.contains(kind) => {
            list(shared, &id, skip, children(&key))
        }
        (Method::GET, [kind, _])
        | (Method::GET, [kind, _, "versions", _])
        | (Method::GET, [kind, _, "solutions", _])
        | (Method::GET, [kind, _, "solutions", _, "versions", _])
            if TOP_LEVEL.contains(kind) =>
        {
            match shared.lock().resources.get(&key) {
                Some(r) => Reply::json(StatusCode::OK, r.clone()),
                None => not_found(&id),
            }
        }
        (Method::GET, ["schemas" | "solutiontemplates", _, "versions"])
        | (Method::GET, ["targets", _, "solutions"])
        | (Method::GET, ["targets", _, "solutions", _, "versions"]) => {
            let parent = parent_of(&key).to_string();
            if !shared.lock().resources.contains_key(&parent) {
                return not_found(parent_of(&id));
            }
            list(shared, &id, skip, children(&key))
        }
        (Method::PUT, [kind, name]) if TOP_LEVEL.contains(kind) => {
            put_tracked(shared, kind, name, &id, body)
        }
        (Method::DELETE, [kind, _]) if TOP_LEVEL.contains(kind) => delete(shared, &id),
        (Method::POST, [kind @ ("schemas" | "solutiontemplates"), _, "createversion"]) => {
            create_version(shared, kind, parent_of(&id), body)
        }
        (Method::POST, ["targets", _, action]) => {
            let target_id = parent_of(&id).to_string();
            target_action(shared, action, &target_id, prefix, body)
        }
        (_, [kind, ..]) if TOP_LEVEL.contains(kind) => method_not_allowed(method),
        _ => unknown_type(&id),
    }
}

/// A `{value, nextLink?}` page of the resources whose lowercase id passes `select`.
fn list(shared: &Shared, path: &str, skip: usize, select: impl Fn(&str) -> bool) -> Reply {
    let size = shared.options.page_size.max(1);
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
            "{}{path}?api-version=2025-08-01&$skiptoken={}",
            shared.base,
            skip + size
        ));
    }
    Reply::json(StatusCode::OK, body)
}

fn type_name(kind: &str) -> &'static str {
    match kind {
        "contexts" => "Microsoft.Edge/contexts",
        "targets" => "Microsoft.Edge/targets",
        "schemas" => "Microsoft.Edge/schemas",
        _ => "Microsoft.Edge/solutionTemplates",
    }
}

fn valid_name(kind: &str, name: &str) -> Result<(), String> {
    let alnum_dash = |c: char| c.is_ascii_alphanumeric() || c == '-';
    match kind {
        "targets" => {
            let ok = (3..=61).contains(&name.len())
                && name.chars().all(|c| alnum_dash(c) || c == '.')
                && !name.starts_with("v-")
                && !name.contains("-v-")
                && name
                    .split('.')
                    .all(|p| !p.is_empty() && !p.starts_with('-') && !p.ends_with('-'));
            ok.then_some(()).ok_or_else(|| {
                format!("The target name '{name}' is invalid: 3-61 letters, digits, '-' and '.'.")
            })
        }
        "contexts" => (!name.is_empty() && name.len() <= 61 && name.chars().all(alnum_dash))
            .then_some(())
            .ok_or_else(|| format!("The context name '{name}' is invalid.")),
        _ => ((3..=24).contains(&name.len()) && name.chars().all(alnum_dash))
            .then_some(())
            .ok_or_else(|| format!("The name '{name}' must match ^[a-zA-Z0-9-]{{3,24}}$.")),
    }
}

fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "contexts" => &["capabilities", "hierarchies"],
        "targets" => &[
            "description",
            "displayName",
            "contextId",
            "targetSpecification",
            "capabilities",
            "hierarchyLevel",
        ],
        "solutiontemplates" => &["description", "capabilities"],
        _ => &[],
    }
}

fn validation_error(message: &str, missing: &[String]) -> Reply {
    let details: Vec<Value> = missing
        .iter()
        .map(|m| {
            json!({"code": "PropertyRequired", "message": format!("The property '{m}' is required."), "target": m})
        })
        .collect();
    Reply::json(
        StatusCode::BAD_REQUEST,
        json!({"error": {"code": "InvalidRequestContent", "message": message, "details": details}}),
    )
}

fn system_data(created: Option<&Value>) -> Value {
    let now = now_rfc3339();
    let created_at = created
        .and_then(|s| s.get("createdAt"))
        .cloned()
        .unwrap_or_else(|| json!(now));
    json!({
        "createdBy": "simulator@example.invalid",
        "createdByType": "User",
        "createdAt": created_at,
        "lastModifiedBy": "simulator@example.invalid",
        "lastModifiedByType": "User",
        "lastModifiedAt": now,
    })
}

fn put_tracked(shared: &Shared, kind: &str, name: &str, id: &str, body: Option<Value>) -> Reply {
    if let Err(m) = valid_name(kind, name) {
        return bad_request("InvalidResourceName", m);
    }
    let Some(Value::Object(body)) = body else {
        return bad_request(
            "InvalidRequestContent",
            "The request body must be a JSON object.",
        );
    };
    let Some(location) = body.get("location").and_then(Value::as_str) else {
        return validation_error("The 'location' property is required.", &["location".into()]);
    };
    let mut props = match body.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return bad_request("InvalidRequestContent", "'properties' must be an object."),
    };
    let missing: Vec<String> = required(kind)
        .iter()
        .filter(|k| props.get(**k).is_none_or(Value::is_null))
        .map(|k| format!("properties.{k}"))
        .collect();
    if !missing.is_empty() {
        return validation_error("Required properties are missing.", &missing);
    }
    if kind == "targets" {
        if let Some(state) = props.get("state").and_then(Value::as_str) {
            if !matches!(state, "active" | "inactive") {
                return bad_request("InvalidRequestContent", "'state' is active or inactive.");
            }
        }
    }
    let key = id.to_ascii_lowercase();
    let mut st = shared.lock();
    let existing = st.resources.get(&key).cloned();
    // Read-only properties survive a PUT.
    if let Some(old) = existing.as_ref().and_then(|e| e.get("properties")) {
        for ro in [
            "currentVersion",
            "latestVersion",
            "uniqueIdentifier",
            "status",
        ] {
            if let Some(v) = old.get(ro) {
                props.insert(ro.into(), v.clone());
            }
        }
    }
    if kind == "solutiontemplates" {
        props
            .entry("uniqueIdentifier")
            .or_insert_with(|| json!(name));
    }
    props.insert("provisioningState".into(), json!("InProgress"));
    let mut resource = json!({
        "id": id,
        "name": name,
        "type": type_name(kind),
        "location": location,
        "tags": body.get("tags").cloned().unwrap_or_else(|| json!({})),
        "systemData": system_data(existing.as_ref().and_then(|e| e.get("systemData"))),
        "eTag": format!("\"{}\"", new_request_id()),
        "properties": Value::Object(props),
    });
    if let Some(ext) = body.get("extendedLocation") {
        resource["extendedLocation"] = ext.clone();
    }
    st.resources.insert(key, resource.clone());
    let op = new_operation(
        &mut st,
        shared.options.lro_polls,
        Effect::Provision(id.to_string()),
        id,
        ResultShape::Empty,
    );
    drop(st);
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Reply::json(status, resource)
        .with("azure-asyncoperation", op_url(shared, id, &op, true))
        .with("retry-after", shared.options.retry_after_secs.to_string())
}

fn delete(shared: &Shared, id: &str) -> Reply {
    let key = id.to_ascii_lowercase();
    let mut st = shared.lock();
    let Some(resource) = st.resources.get_mut(&key) else {
        return Reply::empty(StatusCode::NO_CONTENT);
    };
    resource["properties"]["provisioningState"] = json!("Deleting");
    let op = new_operation(
        &mut st,
        shared.options.lro_polls,
        Effect::Delete(id.to_string()),
        id,
        ResultShape::Empty,
    );
    drop(st);
    accepted(shared, id, &op)
}

fn accepted(shared: &Shared, id: &str, op: &str) -> Reply {
    Reply::empty(StatusCode::ACCEPTED)
        .with("location", op_url(shared, id, op, false))
        .with("retry-after", shared.options.retry_after_secs.to_string())
}

fn op_url(shared: &Shared, id: &str, op: &str, status: bool) -> String {
    let sub = id.split('/').nth(2).unwrap_or("00000000");
    let kind = if status {
        "operationStatuses"
    } else {
        "operationResults"
    };
    format!(
        "{}/subscriptions/{sub}/providers/Microsoft.Edge/locations/{OP_LOCATION}/{kind}/{op}?api-version=2025-08-01",
        shared.base
    )
}

fn new_operation(
    st: &mut SimState,
    polls: u32,
    effect: Effect,
    resource_id: &str,
    result: ResultShape,
) -> String {
    let op = new_request_id();
    st.operations.insert(
        op.clone(),
        Operation {
            polls_left: polls,
            effect,
            resource_id: resource_id.to_string(),
            result,
            started: now_rfc3339(),
            outcome: None,
        },
    );
    op
}

/// `GET` of an operation URL: the status (`Azure-AsyncOperation`) or the result (`Location`).
fn poll(shared: &Shared, op: &str, status_url: bool) -> Reply {
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
                Reply::json(
                    StatusCode::OK,
                    json!({"id": op_url(shared, &resource_id, op, true), "name": op,
                           "resourceId": resource_id, "status": "InProgress", "startTime": started}),
                )
                .with("retry-after", retry)
            } else {
                accepted(shared, &resource_id, op)
            };
        }
        let outcome = apply(&mut st, &operation.effect);
        operation.outcome = Some(outcome);
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
        return Reply::json(StatusCode::OK, envelope);
    }
    match (operation.result, outcome.resource) {
        (ResultShape::Resource, Some(r)) if outcome.error.is_none() => {
            Reply::json(StatusCode::OK, r)
        }
        (ResultShape::Envelope, Some(r)) => {
            envelope["properties"] = r;
            Reply::json(StatusCode::OK, envelope)
        }
        _ if outcome.error.is_some() => Reply::json(StatusCode::OK, envelope),
        _ => Reply::empty(StatusCode::NO_CONTENT),
    }
}

/// Does what an operation does when it ends.
fn apply(st: &mut SimState, effect: &Effect) -> Outcome {
    let ended = now_rfc3339();
    let done = |resource: Option<Value>, error: Option<Value>| Outcome {
        ended: ended.clone(),
        error,
        resource,
    };
    match effect {
        Effect::Provision(id) => {
            let r = st.resources.get_mut(&id.to_ascii_lowercase()).map(|r| {
                r["properties"]["provisioningState"] = json!("Succeeded");
                r.clone()
            });
            done(r, None)
        }
        Effect::Delete(id) => {
            let key = id.to_ascii_lowercase();
            let child = format!("{key}/");
            st.resources
                .retain(|k, _| k != &key && !k.starts_with(&child));
            done(None, None)
        }
        Effect::Insert { resource, parent } => {
            let id = resource["id"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if let Some((parent, field)) = parent {
                if let Some(p) = st.resources.get_mut(&parent.to_ascii_lowercase()) {
                    p["properties"][*field] = resource["name"].clone();
                }
            }
            st.resources.insert(id, resource.clone());
            done(Some(resource.clone()), None)
        }
        Effect::Stage { sv, stage, state } => {
            let r = st.resources.get_mut(&sv.to_ascii_lowercase()).map(|r| {
                let p = &mut r["properties"];
                p["state"] = json!(state);
                p["currentStage"] = stage_map(stage, "Completed", &ended);
                if let Some(s) = p["stages"].as_array_mut() {
                    s.push(stage_map(stage, "Completed", &ended));
                }
                r.clone()
            });
            done(r, None)
        }
        Effect::Install { sv, target } => {
            let fails = st
                .failing_targets
                .contains(&target.rsplit('/').next().unwrap_or("").to_ascii_lowercase());
            let err = json!({
                "code": "DeploymentFailed",
                "message": format!("The deployment to target '{}' failed (injected by the simulator).",
                                   target.rsplit('/').next().unwrap_or("")),
                "target": target,
            });
            let (state, status) = if fails {
                ("Failed", "Failed")
            } else {
                ("Deployed", "Completed")
            };
            let r = st.resources.get_mut(&sv.to_ascii_lowercase()).map(|r| {
                let p = &mut r["properties"];
                p["state"] = json!(state);
                p["currentStage"] = stage_map("Deployment", status, &ended);
                if let Some(s) = p["stages"].as_array_mut() {
                    s.push(stage_map("Deployment", status, &ended));
                }
                if fails {
                    p["errorDetails"] = err.clone();
                } else if let Some(o) = p.as_object_mut() {
                    o.remove("errorDetails");
                }
                r.clone()
            });
            done(r, fails.then_some(err))
        }
    }
}

fn stage_map(stage: &str, status: &str, at: &str) -> Value {
    json!({"stage": stage, "status": status, "displayState": status, "startTime": at, "endTime": at})
}

/// `POST …/createVersion` of a schema or a solution template.
fn create_version(shared: &Shared, kind: &str, parent_id: &str, body: Option<Value>) -> Reply {
    let parent_key = parent_id.to_ascii_lowercase();
    let body = body.unwrap_or(Value::Null);
    let (inner_key, current_field, required_props): (&str, &'static str, &[&str]) =
        if kind == "schemas" {
            ("schemaVersion", "currentVersion", &["value"])
        } else {
            (
                "solutionTemplateVersion",
                "latestVersion",
                &["configurations", "specification"],
            )
        };
    let mut st = shared.lock();
    let Some(parent) = st.resources.get(&parent_key).cloned() else {
        return not_found(parent_id);
    };
    let Some(props) = body.pointer(&format!("/{inner_key}/properties")).cloned() else {
        return validation_error(
            "The version's properties are required.",
            &[format!("{inner_key}.properties")],
        );
    };
    let missing: Vec<String> = required_props
        .iter()
        .filter(|k| props.get(**k).is_none_or(Value::is_null))
        .map(|k| format!("{inner_key}.properties.{k}"))
        .collect();
    if !missing.is_empty() {
        return validation_error("Required properties are missing.", &missing);
    }
    let current = parent["properties"][current_field]
        .as_str()
        .map(str::to_string);
    let version = match (
        body.get("version").and_then(Value::as_str),
        body.get("updateType").and_then(Value::as_str),
    ) {
        (Some(v), _) => v.to_string(),
        (None, Some(u)) => match bump(current.as_deref(), u) {
            Some(v) => v,
            None => {
                return bad_request(
                    "InvalidRequestContent",
                    format!("updateType '{u}' is not Major, Minor or Patch."),
                )
            }
        },
        (None, None) => {
            return validation_error(
                "Either 'version' or 'updateType' is required.",
                &["version".into()],
            )
        }
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.parse::<u64>().is_err()) {
        return bad_request(
            "InvalidVersion",
            format!("The version '{version}' is not MAJOR.MINOR.PATCH."),
        );
    }
    let id = format!("{parent_id}/versions/{version}");
    if st.resources.contains_key(&id.to_ascii_lowercase()) {
        return error(
            StatusCode::CONFLICT,
            "Conflict",
            format!("The version '{version}' of '{parent_id}' exists already."),
        );
    }
    let mut props = props;
    props["provisioningState"] = json!("Succeeded");
    let type_name = if kind == "schemas" {
        "Microsoft.Edge/schemas/versions"
    } else {
        "Microsoft.Edge/solutionTemplates/versions"
    };
    let resource = json!({
        "id": id, "name": version, "type": type_name,
        "systemData": system_data(None),
        "eTag": format!("\"{}\"", new_request_id()),
        "properties": props,
    });
    let op = new_operation(
        &mut st,
        shared.options.lro_polls,
        Effect::Insert {
            resource,
            parent: Some((parent_id.to_string(), current_field)),
        },
        &id,
        ResultShape::Resource,
    );
    drop(st);
    accepted(shared, &id, &op)
}

fn bump(current: Option<&str>, update: &str) -> Option<String> {
    let mut v: Vec<u64> = current
        .unwrap_or("0.0.0")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    v.resize(3, 0);
    match update.to_ascii_lowercase().as_str() {
        "major" => v = vec![v[0] + 1, 0, 0],
        "minor" => v = vec![v[0], v[1] + 1, 0],
        "patch" => v[2] += 1,
        _ => return None,
    }
    Some(format!("{}.{}.{}", v[0], v[1], v[2]))
}

/// The ARM id in `body[field]`, or a 400.
fn id_field(body: &Option<Value>, field: &str) -> Result<String, Reply> {
    body.as_ref()
        .and_then(|b| b.get(field))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| validation_error(&format!("'{field}' is required."), &[field.into()]))
}

fn target_action(
    shared: &Shared,
    action: &str,
    target_id: &str,
    rg_prefix: &str,
    body: Option<Value>,
) -> Reply {
    let target_key = target_id.to_ascii_lowercase();
    let mut st = shared.lock();
    let Some(target) = st.resources.get(&target_key).cloned() else {
        return not_found(target_id);
    };
    let polls = shared.options.lro_polls;
    let op = match action {
        "reviewsolutionversion" => {
            let stv_id = match id_field(&body, "solutionTemplateVersionId") {
                Ok(v) => v,
                Err(r) => return r,
            };
            let Some(stv) = st.resources.get(&stv_id.to_ascii_lowercase()).cloned() else {
                return not_found(&stv_id);
            };
            let low = stv_id.to_ascii_lowercase();
            let segs: Vec<&str> = stv_id.split('/').collect();
            if !low.contains("/providers/microsoft.edge/solutiontemplates/") || segs.len() != 11 {
                return bad_request(
                    "InvalidSolutionTemplateVersionId",
                    format!("'{stv_id}' is not a solution template version id."),
                );
            }
            let template_id = segs[..9].join("/");
            let template = st.resources.get(&template_id.to_ascii_lowercase()).cloned();
            let caps_ok = template
                .as_ref()
                .and_then(|t| t["properties"]["capabilities"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .all(|c| {
                    target["properties"]["capabilities"]
                        .as_array()
                        .is_some_and(|tc| tc.contains(c))
                });
            if !caps_ok {
                return bad_request(
                    "CapabilityValidationFailed",
                    "The solution template's capabilities are not all capabilities of the target.",
                );
            }
            let solution_name = template
                .as_ref()
                .and_then(|t| t["properties"]["uniqueIdentifier"].as_str())
                .unwrap_or(segs[8])
                .to_string();
            let template_version = segs[10];
            let solution_id = format!("{target_id}/solutions/{solution_name}");
            let solution_key = solution_id.to_ascii_lowercase();
            if !st.resources.contains_key(&solution_key) {
                let solution = json!({
                    "id": solution_id, "name": solution_name,
                    "type": "Microsoft.Edge/targets/solutions",
                    "systemData": system_data(None),
                    "properties": {"solutionTemplateId": template_id, "displayName": solution_name,
                                   "provisioningState": "Succeeded"},
                });
                st.resources.insert(solution_key.clone(), solution);
            }
            let prefix = format!(
                "{solution_key}/versions/{}.",
                template_version.to_ascii_lowercase()
            );
            let revision = st
                .resources
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .count()
                + 1;
            let sv_name = format!("{template_version}.{revision}");
            let sv_id = format!("{solution_id}/versions/{sv_name}");
            let now = now_rfc3339();
            let mut sv = json!({
                "id": sv_id, "name": sv_name,
                "type": "Microsoft.Edge/targets/solutions/versions",
                "systemData": system_data(None),
                "eTag": format!("\"{}\"", new_request_id()),
                "properties": {
                    "specification": stv["properties"]["specification"].clone(),
                    "solutionTemplateVersionId": stv_id,
                    "revision": revision,
                    "targetDisplayName": target["properties"]["displayName"].clone(),
                    "configuration": stv["properties"]["configurations"].clone(),
                    "targetLevelConfiguration": "",
                    "reviewId": new_request_id(),
                    "state": "InReview",
                    "currentStage": stage_map("Configuration", "InProgress", &now),
                    "stages": [],
                    "solutionInstanceName": body.as_ref().and_then(|b| b.get("solutionInstanceName")).cloned().unwrap_or_else(|| json!(solution_name)),
                    "solutionDependencies": body.as_ref().and_then(|b| b.get("solutionDependencies")).cloned().unwrap_or_else(|| json!([])),
                    "actionType": "deploy",
                    "provisioningState": "Succeeded",
                },
            });
            if let Some(ext) = target.get("extendedLocation") {
                sv["extendedLocation"] = ext.clone();
            }
            st.resources.insert(sv_id.to_ascii_lowercase(), sv);
            new_operation(
                &mut st,
                polls,
                Effect::Stage {
                    sv: sv_id.clone(),
                    stage: "Configuration",
                    state: "ReadyToDeploy",
                },
                &sv_id,
                ResultShape::Envelope,
            )
        }
        "publishsolutionversion" | "installsolution" => {
            let sv_id = match id_field(&body, "solutionVersionId") {
                Ok(v) => v,
                Err(r) => return r,
            };
            let sv_key = sv_id.to_ascii_lowercase();
            if !sv_key.starts_with(&format!("{target_key}/solutions/")) {
                return bad_request(
                    "InvalidSolutionVersionId",
                    format!("'{sv_id}' is not a solution version of '{target_id}'."),
                );
            }
            let Some(sv) = st.resources.get_mut(&sv_key) else {
                return not_found(&sv_id);
            };
            let state = sv["properties"]["state"].as_str().unwrap_or("").to_string();
            let now = now_rfc3339();
            if action == "publishsolutionversion" {
                if state == "InReview" || state == "Deploying" {
                    return error(
                        StatusCode::CONFLICT,
                        "Conflict",
                        format!("The solution version is {state}."),
                    );
                }
                sv["properties"]["currentStage"] = stage_map("Publish", "InProgress", &now);
                new_operation(
                    &mut st,
                    polls,
                    Effect::Stage {
                        sv: sv_id.clone(),
                        stage: "Publish",
                        state: "ReadyToDeploy",
                    },
                    &sv_id,
                    ResultShape::Envelope,
                )
            } else {
                if !matches!(
                    state.as_str(),
                    "ReadyToDeploy" | "ReadyToUpgrade" | "Deployed" | "Failed"
                ) {
                    return error(
                        StatusCode::CONFLICT,
                        "Conflict",
                        format!("The solution version is {state}, not ready to deploy."),
                    );
                }
                sv["properties"]["state"] = json!("Deploying");
                sv["properties"]["currentStage"] = stage_map("Deployment", "InProgress", &now);
                sv["properties"]["latestActionTrackingUri"] = json!("pending");
                let op = new_operation(
                    &mut st,
                    polls,
                    Effect::Install {
                        sv: sv_id.clone(),
                        target: target_id.to_string(),
                    },
                    &sv_id,
                    ResultShape::Envelope,
                );
                let uri = op_url(shared, &sv_id, &op, true);
                if let Some(sv) = st.resources.get_mut(&sv_key) {
                    sv["properties"]["latestActionTrackingUri"] = json!(uri);
                }
                op
            }
        }
        _ => {
            let _ = rg_prefix;
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("The action '{action}' is not supported by the simulator."),
            );
        }
    };
    let resource_id = st
        .operations
        .get(&op)
        .map(|o| o.resource_id.clone())
        .unwrap_or_default();
    drop(st);
    accepted(shared, &resource_id, &op)
}

/// Now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn now_rfc3339() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_versions() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.starts_with("20"), "{now}");
        assert_eq!(bump(Some("1.2.3"), "Minor").as_deref(), Some("1.3.0"));
        assert_eq!(bump(None, "patch").as_deref(), Some("0.0.1"));
        assert_eq!(bump(Some("1.2.3"), "Huge"), None);
        assert_eq!(percent_decode("a%24b+c"), "a$b c");
        assert!(valid_name("targets", "line-1.plant").is_ok());
        assert!(valid_name("targets", "v-bad").is_err());
        assert!(valid_name("schemas", "ab").is_err());
    }
}
