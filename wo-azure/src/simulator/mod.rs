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
//! Its answers follow the official specifications (`configurationmanager.json` and
//! `configurations.json` of 2025-08-01): `tests/simulator_prism.rs` drives a whole scenario
//! through Stoplight Prism, which validates every request and answer against them.
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
//! - Resource names are checked (400 `InvalidResourceName`).
//! - The scope of an extension resource (`{resourceUri}/providers/Microsoft.Edge/jobs`,
//!   `…/configurationReferences`) may come percent-encoded as one path segment
//!   (`/subscriptions%2F…%2Ftargets%2Ft1/providers/…`), the form Prism matches.
//!
//! # Resources and operations
//!
//! `RG` is `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Edge`; `{scope}` any ARM
//! id (a target, a site, …). Every collection below can be listed (GET on it, paged).
//!
//! | path | operations |
//! |---|---|
//! | `RG/contexts/{c}`, `RG/targets/{t}`, `RG/schemas/{s}`, `RG/solutionTemplates/{st}` | GET, list (RG and subscription), PUT (LRO via `Azure-AsyncOperation`), DELETE (LRO via `Location`) |
//! | `RG/schemas/{s}/createVersion`, `RG/solutionTemplates/{st}/createVersion` | POST, LRO via `Location`, final body the new version |
//! | `RG/schemas/{s}/versions/{v}`, `RG/solutionTemplates/{st}/versions/{v}` | GET, list |
//! | `RG/configurations/{c}` | GET, list (RG and subscription), PUT (200/201), PATCH (200), DELETE (200/204): synchronous |
//! | `{scope}/providers/Microsoft.Edge/configurationReferences/default` | GET, list, PUT (200/201), PATCH (200), DELETE (200/204): synchronous |
//! | `RG/configurations/{c}/dynamicConfigurations/{d}[/versions/{v}]` | GET, list, PUT (201/200 + `Azure-AsyncOperation`), PATCH (200), DELETE (200/204) |
//! | `RG/targets/{t}/reviewSolutionVersion` | POST `{solutionTemplateVersionId, solutionInstanceName?}`, LRO via `Location`: resolves the configuration (below) and creates `RG/targets/{t}/solutions/{st}/versions/{v}.{revision}` in state `ReadyToDeploy` |
//! | `RG/targets/{t}/resolveConfiguration` | POST `{solutionTemplateVersionId}`, LRO via `Location`, final body `{configuration}`; creates nothing |
//! | `RG/targets/{t}/publishSolutionVersion` | POST `{solutionVersionId}`: stage `Publish` completed, state `ReadyToDeploy` |
//! | `RG/targets/{t}/installSolution` | POST `{solutionVersionId}`: a job, state `Deploying`, then `Deployed` with the instance on the version, or `Failed` (below) |
//! | `RG/targets/{t}/uninstallSolution` | POST `{solutionTemplateId, solutionInstanceName?}`: deletes the instance; its solution version becomes `Undeployed` |
//! | `RG/targets/{t}/removeRevision` | POST `{solutionTemplateId, solutionVersion}`: deletes a solution version that is not deployed (409 for a deployed one) |
//! | `RG/targets/{t}/solutions/{s}[/versions/{v}]` | GET, list |
//! | `RG/targets/{t}/solutions/{s}/instances/{i}[/histories/{h}]` | GET, list |
//! | `{targetId}/providers/Microsoft.Edge/jobs/{job}` | GET, list |
//!
//! Creating a target also creates, if missing, the configuration
//! `RG/configurations/{first 18 characters of the target name}Config` (in the target's location)
//! and `{targetId}/providers/Microsoft.Edge/configurationReferences/default` pointing at it, as
//! the service does.
//!
//! The solution of a template is named after the template (its `uniqueIdentifier` is its name).
//! The final `Location` answer of the review, publish and install actions is an
//! operation-status envelope `{id, name, resourceId, status, startTime, endTime,
//! properties: <SolutionVersion>, error?}`.
//!
//! Operations answer `InProgress` (or 202) for [`SimulatorOptions::lro_polls`] polls, then end;
//! their effect (provisioning `Succeeded`, the version created, the deployment done) happens
//! when they end.
//!
//! # Review: configuration resolved with wo-core's engine
//!
//! At the end of a review (or `resolveConfiguration`) the simulator reads the template version's
//! `configurations` (a WO configuration template), the schema version it names
//! (`RG/schemas/{name}/versions/{version}`, in the template's resource group unless the template
//! says otherwise) and the values: the target's configuration (through its
//! `configurationReferences/default`) → `dynamicConfigurations/{uniqueIdentifier}/versions/{template
//! version}` → `properties.values`. It resolves them with [`wo_core::engine::Resolver`] for a
//! one-target fleet whose only hierarchy level is the target's `hierarchyLevel`; the values are
//! set at that level (node: the target), so a schema's `editableAt: [<that level>]` admits them
//! and `editableAt` naming only other levels refuses them.
//!
//! A missing schema version or any violation (type, `allowedValues`, `required`, expressions,
//! keys the schema does not know) ends the operation `Failed` with the error
//! `{code: "ValidationFailed", message: <every problem>, details: [{code, message, target: key}]}`
//! and nothing created. On success the solution version's `configuration` is the resolved
//! values as YAML (keys in template order, types kept) and `targetLevelConfiguration` the values
//! text.
//!
//! # Installations
//!
//! Each accepted `installSolution` creates the job `{targetId}/providers/Microsoft.Edge/jobs/{id}`
//! (`jobType: deploy`, `InProgress`, then `Succeeded` or `Failed` with `errorDetails`). On
//! success the instance `…/solutions/{s}/instances/{solutionInstanceName}` points at the new
//! solution version (a version it pointed at before becomes `Undeployed`) and gains one
//! history entry. On a target named in [`Simulator::fail_installs_on`] the installation fails:
//! the solution version is `Failed` with `errorDetails`, the operation `Failed` (code
//! `DeploymentFailed`), the instance keeps the version it had. [`Simulator::installs`] lists
//! what each target was asked to install.
//!
//! # Faults and measurements
//!
//! [`Simulator::inject`] makes the next N requests fail with 429 (`Retry-After`) or 503.
//! [`Simulator::fail_next_operations`] makes the next N long-running operations end `Failed`
//! (code `InternalServerError`) without their effect.
//! [`Simulator::requests`] and [`Simulator::peak_in_flight`] count what arrived; a
//! [`SimulatorOptions::latency`] makes each request take that long.

mod authoring;
mod configuration;
mod deployment;
mod http;
mod names;
mod operations;
mod resolution;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use http::{
    bad_request, decode_path, error, finish, method_not_allowed, not_found, query_pairs,
    unknown_type, Reply,
};
use operations::Operation;

/// The api-versions accepted.
pub const API_VERSIONS: &[&str] = &["2025-08-01", "2025-06-01"];

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
    /// The base URL written into the links the simulator hands out (`nextLink`, operation
    /// URLs), for clients that reach it through a proxy; `None`: its own address (default).
    pub public_url: Option<String>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            lro_polls: 1,
            retry_after_secs: 1,
            page_size: 100,
            token: None,
            latency: Duration::ZERO,
            public_url: None,
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
    /// `http://<addr>`.
    base: String,
    /// The base of the links handed out.
    link_base: String,
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
    /// Lowercase names of the targets whose installations fail.
    failing_targets: HashSet<String>,
    /// What a failing target's installations say, by lowercase target name (default: a
    /// generic message).
    failure_messages: HashMap<String, String>,
    /// Operations still to fail when they start, see [`Simulator::fail_next_operations`].
    doomed_operations: usize,
    /// Per lowercase target name, the solution versions of the installations accepted.
    installs: HashMap<String, Vec<String>>,
}

impl SimState {
    fn get(&self, id: &str) -> Option<&Value> {
        self.resources.get(&id.to_ascii_lowercase())
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.resources.get_mut(&id.to_ascii_lowercase())
    }

    fn contains(&self, id: &str) -> bool {
        self.resources.contains_key(&id.to_ascii_lowercase())
    }

    fn insert(&mut self, resource: Value) {
        let key = resource["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.resources.insert(key, resource);
    }

    /// Removes a resource and everything below it (children and extension resources); whether
    /// it existed.
    fn remove_tree(&mut self, id: &str) -> bool {
        let key = id.to_ascii_lowercase();
        let below = format!("{key}/");
        let existed = self.resources.contains_key(&key);
        self.resources
            .retain(|k, _| k != &key && !k.starts_with(&below));
        existed
    }
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
        let base = format!("http://{addr}");
        let link_base = options
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| base.clone());
        let shared = Arc::new(Shared {
            options,
            base,
            link_base,
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

    /// The next `count` long-running operations started (added to those still pending) end
    /// `Failed` with the error code `InternalServerError`, without their effect: a PUT leaves
    /// the resource `Failed`, a DELETE leaves it in place (`Failed`), a new version or solution
    /// version is not created, an installation fails like one on a failing target. Synchronous
    /// requests are not affected.
    pub fn fail_next_operations(&self, count: usize) {
        self.shared.lock().doomed_operations += count;
    }

    /// Installations on the target named `target` fail from now on.
    pub fn fail_installs_on(&self, target: &str) {
        self.shared
            .lock()
            .failing_targets
            .insert(target.to_ascii_lowercase());
    }

    /// Installations on the target named `target` fail from now on, their `errorDetails`
    /// saying `message` (as a cluster would: `ImagePullBackOff: …`).
    pub fn fail_installs_on_with(&self, target: &str, message: &str) {
        let mut st = self.shared.lock();
        st.failing_targets.insert(target.to_ascii_lowercase());
        st.failure_messages
            .insert(target.to_ascii_lowercase(), message.to_string());
    }

    /// Installations on the target named `target` succeed again (undoes
    /// [`Simulator::fail_installs_on`]).
    pub fn heal_installs_on(&self, target: &str) {
        let mut st = self.shared.lock();
        st.failing_targets.remove(&target.to_ascii_lowercase());
        st.failure_messages.remove(&target.to_ascii_lowercase());
    }

    /// The names of the solution versions (`1.0.0.1`, …) that the accepted `installSolution`
    /// requests on the target named `target` started, in order, whether they succeeded or not.
    pub fn installs(&self, target: &str) -> Vec<String> {
        self.shared
            .lock()
            .installs
            .get(&target.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
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
        self.shared.lock().get(id).cloned()
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
        return error(status, code, "injected by the simulator")
            .with("retry-after", opts.retry_after_secs.to_string());
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

    let method = req.method().clone();
    let raw_path = req.uri().path().trim_end_matches('/').to_string();
    let segs: Vec<String> = decode_path(&raw_path)
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
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
    route(shared, call)
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

/// The resource types under `RG`: collection names from the top (lowercase), ARM type.
const RG_TYPES: &[(&[&str], &str)] = &[
    (&["contexts"], "Microsoft.Edge/contexts"),
    (&["targets"], "Microsoft.Edge/targets"),
    (&["schemas"], "Microsoft.Edge/schemas"),
    (&["schemas", "versions"], "Microsoft.Edge/schemas/versions"),
    (&["solutiontemplates"], "Microsoft.Edge/solutionTemplates"),
    (
        &["solutiontemplates", "versions"],
        "Microsoft.Edge/solutionTemplates/versions",
    ),
    (&["configurations"], "Microsoft.Edge/configurations"),
    (
        &["configurations", "dynamicconfigurations"],
        "Microsoft.Edge/configurations/dynamicConfigurations",
    ),
    (
        &["configurations", "dynamicconfigurations", "versions"],
        "Microsoft.Edge/configurations/dynamicConfigurations/versions",
    ),
    (
        &["targets", "solutions"],
        "Microsoft.Edge/targets/solutions",
    ),
    (
        &["targets", "solutions", "versions"],
        "Microsoft.Edge/targets/solutions/versions",
    ),
    (
        &["targets", "solutions", "instances"],
        "Microsoft.Edge/targets/solutions/instances",
    ),
    (
        &["targets", "solutions", "instances", "histories"],
        "Microsoft.Edge/targets/solutions/instances/histories",
    ),
];

/// For segments below `RG` (lowercase): the ARM type, and whether they name one resource
/// (`targets/t1`) rather than a collection (`targets/t1/solutions`).
fn rg_type(rest: &[&str]) -> Option<(&'static str, bool)> {
    if rest.is_empty() {
        return None;
    }
    let item = rest.len() % 2 == 0;
    let collections: Vec<&str> = rest.iter().step_by(2).copied().collect();
    RG_TYPES
        .iter()
        .find(|(c, _)| *c == collections.as_slice())
        .map(|(_, t)| (*t, item))
}

/// The ARM type of a resource id the simulator stores under `RG`, if it is one.
fn stored_type(id: &str) -> Option<&'static str> {
    let low = id.to_ascii_lowercase();
    let segs: Vec<&str> = low.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.edge", rest @ ..] => {
            rg_type(rest).filter(|(_, item)| *item).map(|(t, _)| t)
        }
        _ => None,
    }
}

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
            operations::poll(shared, op, *kind == "operationstatuses")
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

fn depth(key: &str) -> usize {
    key.split('/').filter(|s| !s.is_empty()).count()
}

fn parent_of(key: &str) -> &str {
    key.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
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
