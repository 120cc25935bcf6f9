//! An in-memory simulator of the Workload Orchestration ARM API (`Microsoft.Edge`,
//! api-version 2025-08-01) on 127.0.0.1, for tests, benchmarks and the local demo.
//!
//! ```no_run
//! use wo_azure_sim::{Simulator, SimulatorOptions};
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

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod authoring;
mod configuration;
mod deployment;
mod http;
mod names;
mod operations;
mod resolution;
mod routes;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use operations::Operation;
use routes::{handle, parent_of, stored_type};

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

    /// Onboards a fleet the way a platform team does, over HTTP with `arm` (a client of this
    /// simulator): the context `{resource_group}/providers/Microsoft.Edge/contexts/{context}`
    /// with one hierarchy level `level` and every capability of the targets, then each target
    /// `(name, capabilities)` at that level (Helm-capable, 16 at a time).
    ///
    /// # Errors
    /// The first request that failed.
    pub async fn onboard(
        &self,
        arm: &wo_azure::arm::ArmClient,
        resource_group: &str,
        context: &str,
        level: &str,
        targets: &[(String, Vec<String>)],
    ) -> wo_core::Result<()> {
        use futures::StreamExt;
        let rg = resource_group.trim_end_matches('/');
        let edge = format!("{rg}/providers/Microsoft.Edge");
        let context_id = format!("{edge}/contexts/{context}");
        let mut caps: Vec<&String> = targets.iter().flat_map(|(_, c)| c).collect();
        caps.sort();
        caps.dedup();
        arm.put_lro(
            &context_id,
            &serde_json::json!({"location": "eastus", "properties": {
                "capabilities": caps.iter().map(|c| serde_json::json!({"name": c, "description": c})).collect::<Vec<_>>(),
                "hierarchies": [{"name": level, "description": level}]}}),
        )
        .await?;
        let puts = targets.iter().map(|(name, caps)| {
            let body = serde_json::json!({"location": "eastus",
                "extendedLocation": {"name": format!("{rg}/providers/Microsoft.ExtendedLocation/customLocations/{name}"), "type": "CustomLocation"},
                "properties": {
                    "description": format!("cluster {name}"), "displayName": name,
                    "contextId": context_id,
                    "targetSpecification": {"topologies": [{"bindings": [{"role": "helm.v3", "provider": "providers.target.helm", "config": {"inCluster": "true"}}]}]},
                    "capabilities": caps, "hierarchyLevel": level, "solutionScope": "default"}});
            let path = format!("{edge}/targets/{name}");
            async move { arm.put_lro(&path, &body).await.map(|_| ()) }
        });
        let results: Vec<wo_core::Result<()>> = futures::stream::iter(puts)
            .buffer_unordered(16)
            .collect()
            .await;
        results.into_iter().collect()
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
