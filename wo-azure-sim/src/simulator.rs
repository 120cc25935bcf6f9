//! [`Simulator`], the handle a test or the demo holds: start and stop the server, inject
//! faults and failures, read what arrived and what is stored, onboard a fleet.

use crate::loopback::Loopback;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::Value;

use wo_core::ports::Renderer;

use crate::applied::{self, Applied, HELM_V3};
use crate::charts::{ChartSource, OciHttpSource};
use crate::health;
use crate::hooks::RequestHooks;
use crate::options::{Fault, SimulatorOptions};
use crate::rbac::{RoleAssignment, RoleDefinition};
use crate::routes::handle;
use crate::state::{DynRenderer, Shared, SimState};
use crate::traffic::{Meter, Traffic};

/// A running simulator; stops on [`Simulator::shutdown`] or when dropped.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Loopback,
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
        let charts: Arc<dyn ChartSource> = match &options.charts {
            Some(c) => c.clone(),
            None => Arc::new(
                OciHttpSource::with_default_client()
                    .map_err(|e| std::io::Error::other(e.to_string()))?,
            ),
        };
        let renderer: Arc<dyn Renderer> = match &options.renderer {
            Some(r) => r.clone(),
            None => Arc::new(wo_render::CanonicalRenderer::new(
                wo_render::ChartRenderer::default(),
            )),
        };
        let shared = Arc::new(Shared {
            charts,
            renderer: DynRenderer(renderer),
            options,
            base,
            link_base,
            state: Mutex::new(SimState::default()),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            hooks: RequestHooks::default(),
            write_hooks: RequestHooks::default(),
            meter: Mutex::new(Meter::default()),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        Ok(Simulator {
            addr,
            shared,
            server: Loopback::serve_on(listener, app)?,
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
    pub async fn shutdown(self) {
        self.server.shutdown().await;
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

    /// The workload on the target named `target` turns unhealthy, as a cluster whose pods
    /// crash after a good install: installations keep succeeding (the solution version
    /// `Deployed`, the job `Succeeded`), but the `status` of each of its instances — now, and
    /// after every later installation, until [`make_healthy`](Simulator::make_healthy) — says
    /// `Degraded` (instance and target), every component `Failed`, and `statusDetails` names
    /// the failing components and `reason` (what the cluster says, e.g. `CrashLoopBackOff:
    /// back-off restarting failed container`). See the crate page, *Health*.
    pub fn make_unhealthy(&self, target: &str, reason: &str) {
        health::make_unhealthy(&mut self.shared.lock(), target, None, None, reason);
    }

    /// [`make_unhealthy`](Simulator::make_unhealthy) for the solution named `solution` on
    /// `target` only, and only its component named `component` (`None`: every component; the
    /// others stay `Deployed`).
    pub fn make_solution_unhealthy(
        &self,
        target: &str,
        solution: &str,
        component: Option<&str>,
        reason: &str,
    ) {
        health::make_unhealthy(
            &mut self.shared.lock(),
            target,
            Some(solution),
            component,
            reason,
        );
    }

    /// Every solution on the target named `target` is healthy again (undoes
    /// [`make_unhealthy`](Simulator::make_unhealthy) and
    /// [`make_solution_unhealthy`](Simulator::make_solution_unhealthy)): its instances say
    /// `Deployed` at every level.
    pub fn make_healthy(&self, target: &str) {
        health::make_healthy(&mut self.shared.lock(), target, None);
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

    /// Grants `role` to the principal `principal_id` (a service principal's object id,
    /// [`AppRegistration::object_id`](crate::AppRegistration::object_id)) on `scope` (an ARM id:
    /// a subscription, a resource group, a resource) and everything below it, as `az role
    /// assignment create --assignee … --role … --scope …` does. Enforced with
    /// [`SimulatorOptions::entra`]: a request no assignment allows is answered 403
    /// `AuthorizationFailed` naming the client, the action and the scope.
    pub fn assign_role(&self, principal_id: &str, role: RoleDefinition, scope: &str) {
        self.shared.lock().role_assignments.push(RoleAssignment {
            principal_id: principal_id.to_string(),
            role,
            scope: scope.trim_end_matches('/').to_ascii_lowercase(),
        });
    }

    /// Removes every role assignment of `principal_id`.
    pub fn remove_roles(&self, principal_id: &str) {
        self.shared
            .lock()
            .role_assignments
            .retain(|a| !a.principal_id.eq_ignore_ascii_case(principal_id));
    }

    /// Requests received (every request: faults, errors and polls included).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The most requests being answered at once so far.
    pub fn peak_in_flight(&self) -> u64 {
        self.shared.peak.load(Ordering::SeqCst)
    }

    /// Calls `callback` when the `n`th request from now arrives (`n` ≥ 1; requests counted as
    /// [`Simulator::requests`] counts them, polls and faults included), before anything of it
    /// is answered or applied: that request waits until `callback` returns. The callback runs
    /// on a thread where it may block, so a test can stop a client at a chosen point of its
    /// conversation, e.g. kill a `wo deploy` process at its 40th request while the process is
    /// certainly still waiting for an answer. Each hook fires once.
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn on_request(&self, n: u64, callback: impl FnOnce() + Send + 'static) {
        assert!(n >= 1, "on_request counts from 1 (the next request)");
        self.shared.hooks.add(n, Box::new(callback));
    }

    /// Calls `callback` when the `n`th write from now (a request of any method but `GET`,
    /// answered by the routes: faults and refusals before the route count too) has been
    /// applied, before its answer is sent: the answer waits until `callback` returns. A test
    /// kills the client meanwhile (aborts its task, kills its process) and so stops it at
    /// exactly that write, applied by the service and never acknowledged to the client: a
    /// deterministic kill point. Each hook fires once.
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn after_write(&self, n: u64, callback: impl FnOnce() + Send + 'static) {
        assert!(n >= 1, "after_write counts from 1 (the next write)");
        self.shared.write_hooks.add(n, Box::new(callback));
    }

    /// What arrived, measured: requests per client, the closest two `GET`s of one URL by one
    /// client (how fast clients poll) and the most requests within one second (see
    /// [`Traffic`]). Clients are told apart by the `x-ms-correlation-request-id` they send.
    pub fn traffic(&self) -> Traffic {
        self.shared.meter().snapshot()
    }

    /// Sets the request count, the peak and the [`traffic`](Simulator::traffic) to zero.
    pub fn reset_counters(&self) {
        self.shared.requests.store(0, Ordering::SeqCst);
        self.shared.peak.store(0, Ordering::SeqCst);
        self.shared.meter().reset();
    }

    /// The stored resource with this ARM id (case-insensitive), as a GET would answer it.
    pub fn resource(&self, id: &str) -> Option<Value> {
        self.shared.lock().get(id).cloned()
    }

    /// The ids of the stored resources (lowercase, sorted).
    pub fn resource_ids(&self) -> Vec<String> {
        self.shared.lock().resources.keys().cloned().collect()
    }

    /// How many resources are stored.
    pub fn resource_count(&self) -> usize {
        self.shared.lock().resources.len()
    }

    /// What runs on the target named `target` for the solution named `solution` (`None`: the
    /// only solution applied there): the chart pulled, the values and the manifests the last
    /// successful installation rendered (or a [`drift`](Simulator::drift) since). `None` when
    /// nothing of it is applied (no installation, an uninstallation, a version without
    /// `helm.v3` components, or several solutions and none named).
    pub fn applied(&self, target: &str, solution: Option<&str>) -> Option<Applied> {
        applied::find(&self.shared.lock(), target, solution)
            .ok()
            .map(|s| s.applied)
    }

    /// Drift, as if someone edited the running configuration in the portal: sets the key
    /// path `key` (`a.b`) of the resolved configuration of the solution version running on
    /// `target` (for `solution`, or the only one) to `value`, behind the client's back (the
    /// solution version's `configuration` changes, its state and revision do not), and renders
    /// the applied manifests again. The new [`Applied`].
    ///
    /// # Errors
    /// A message when nothing is applied there, `key` is not a key path or crosses a value
    /// that is not a map, or the chart does not render with the new values.
    pub async fn drift(
        &self,
        target: &str,
        solution: Option<&str>,
        key: &str,
        value: Value,
    ) -> Result<Applied, String> {
        applied::drift(&self.shared, target, solution, key, value).await
    }

    /// Onboards a fleet the way a platform team does, over HTTP with `arm` (a client of this
    /// simulator): the context `{resource_group}/providers/Microsoft.Edge/contexts/{context}`
    /// with one hierarchy level `level` and every capability of the targets, then each target
    /// `(name, capabilities)` at that level (Helm-capable: its `targetSpecification` binds
    /// `helm.v3` only, see [`target_specification`]; 16 at a time).
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
        self.onboard_with_roles(arm, resource_group, context, level, targets, &[HELM_V3])
            .await
    }

    /// [`onboard`](Simulator::onboard), the targets' `targetSpecification` binding `roles`
    /// (component types) instead of `helm.v3` alone: [`target_specification`]`(roles)`.
    ///
    /// # Errors
    /// The first request that failed.
    pub async fn onboard_with_roles(
        &self,
        arm: &wo_azure::arm::ArmClient,
        resource_group: &str,
        context: &str,
        level: &str,
        targets: &[(String, Vec<String>)],
        roles: &[&str],
    ) -> wo_core::Result<()> {
        let specification = target_specification(roles);
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
                    "targetSpecification": specification,
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

/// A target's `targetSpecification` binding each of `roles` (component types), as WO's
/// samples bind `helm.v3` (`{"topologies": [{"bindings": [{"role": "helm.v3", "provider":
/// "providers.target.helm", "config": {"inCluster": "true"}}]}]}`); a role other than
/// `helm.v3` gets the provider `providers.target.<role>`. Installations refuse components
/// whose type the target does not bind.
///
/// ```
/// let spec = wo_azure_sim::target_specification(&["helm.v3"]);
/// assert_eq!(spec["topologies"][0]["bindings"][0]["provider"], "providers.target.helm");
/// ```
pub fn target_specification(roles: &[&str]) -> Value {
    let bindings: Vec<Value> = roles
        .iter()
        .map(|role| {
            let provider = if *role == HELM_V3 {
                "providers.target.helm".to_string()
            } else {
                format!("providers.target.{role}")
            };
            serde_json::json!({"role": role, "provider": provider, "config": {"inCluster": "true"}})
        })
        .collect();
    serde_json::json!({"topologies": [{"bindings": bindings}]})
}
