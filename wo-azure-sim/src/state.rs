//! What the simulator remembers: the resources, the long-running operations, the injected
//! faults and failures, what was installed; and the counters shared with the HTTP side.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use wo_core::ports::Renderer;

use crate::applied::AppliedState;
use crate::charts::ChartSource;

use crate::hooks::RequestHooks;
use crate::lro::Operation;
use crate::options::{Fault, SimulatorOptions};
use crate::rbac::RoleAssignment;
use crate::traffic::Meter;

/// What the server tasks and the [`crate::Simulator`] handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) options: SimulatorOptions,
    /// `http://<addr>`.
    pub(crate) base: String,
    /// The base of the links handed out.
    pub(crate) link_base: String,
    pub(crate) state: Mutex<SimState>,
    pub(crate) requests: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) peak: AtomicU64,
    /// See `Simulator::on_request`.
    pub(crate) hooks: RequestHooks,
    /// See `Simulator::after_write`: counted on writes (any method but `GET`), fired once the
    /// write is applied, before it is answered.
    pub(crate) write_hooks: RequestHooks,
    /// See `Simulator::traffic`.
    pub(crate) meter: Mutex<Meter>,
    /// Where installations pull charts from.
    pub(crate) charts: Arc<dyn ChartSource>,
    /// What installations render charts with.
    pub(crate) renderer: DynRenderer,
}

/// A renderer, shown by name in `Debug`.
#[derive(Clone)]
pub(crate) struct DynRenderer(pub(crate) Arc<dyn Renderer>);

impl std::fmt::Debug for DynRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}

/// The simulated service's state, under one lock.
#[derive(Debug, Default)]
pub(crate) struct SimState {
    /// Resources by lowercase id.
    pub(crate) resources: BTreeMap<String, Value>,
    pub(crate) operations: HashMap<String, Operation>,
    pub(crate) faults: VecDeque<Fault>,
    /// Lowercase names of the targets whose installations fail.
    pub(crate) failing_targets: HashSet<String>,
    /// What a failing target's installations say, by lowercase target name (default: a
    /// generic message).
    pub(crate) failure_messages: HashMap<String, String>,
    /// Operations still to fail when they start, see `Simulator::fail_next_operations`.
    pub(crate) doomed_operations: usize,
    /// Per lowercase target name, the solution versions of the installations accepted.
    pub(crate) installs: HashMap<String, Vec<String>>,
    /// What runs per (lowercase target, lowercase solution): see `Simulator::applied`.
    pub(crate) applied: BTreeMap<(String, String), AppliedState>,
    /// What is failing per (lowercase target, lowercase solution or empty for every solution):
    /// see `Simulator::make_unhealthy`.
    pub(crate) unhealthy: BTreeMap<(String, String), crate::health::Sickness>,
    /// See `Simulator::assign_role`; checked only with `SimulatorOptions::entra`.
    pub(crate) role_assignments: Vec<RoleAssignment>,
}

impl SimState {
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.resources.get(&id.to_ascii_lowercase())
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.resources.get_mut(&id.to_ascii_lowercase())
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.resources.contains_key(&id.to_ascii_lowercase())
    }

    pub(crate) fn insert(&mut self, resource: Value) {
        let key = resource["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.resources.insert(key, resource);
    }

    /// Removes a resource and everything below it (children and extension resources); whether
    /// it existed.
    pub(crate) fn remove_tree(&mut self, id: &str) -> bool {
        let key = id.to_ascii_lowercase();
        let below = format!("{key}/");
        let existed = self.resources.contains_key(&key);
        self.resources
            .retain(|k, _| k != &key && !k.starts_with(&below));
        existed
    }
}

impl Shared {
    /// The state, even after a panicking thread poisoned the lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The traffic measurement, even after a panicking thread poisoned its lock.
    pub(crate) fn meter(&self) -> MutexGuard<'_, Meter> {
        self.meter.lock().unwrap_or_else(|e| e.into_inner())
    }
}
