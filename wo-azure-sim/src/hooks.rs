//! Callbacks tests hang on the arrival of a request: "when the Nth request from now arrives,
//! before it is answered" (see `Simulator::on_request`).

use std::sync::{Mutex, MutexGuard};

/// What a hook runs.
pub(crate) type Callback = Box<dyn FnOnce() + Send + 'static>;

/// The hooks not yet fired, each with the requests still to arrive before it fires.
#[derive(Default)]
pub(crate) struct RequestHooks(Mutex<Vec<(u64, Callback)>>);

impl std::fmt::Debug for RequestHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pending: Vec<u64> = self.lock().iter().map(|(n, _)| *n).collect();
        f.debug_tuple("RequestHooks").field(&pending).finish()
    }
}

impl RequestHooks {
    fn lock(&self) -> MutexGuard<'_, Vec<(u64, Callback)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `callback` when the `n`th request from now arrives (`n` ≥ 1).
    pub(crate) fn add(&self, n: u64, callback: Callback) {
        self.lock().push((n, callback));
    }

    /// A request arrived: the callbacks due now (each fires once, for exactly one request).
    pub(crate) fn arrived(&self) -> Vec<Callback> {
        let mut hooks = self.lock();
        if hooks.is_empty() {
            return Vec::new();
        }
        let mut due = Vec::new();
        let mut waiting = Vec::new();
        for (n, callback) in hooks.drain(..) {
            if n <= 1 {
                due.push(callback);
            } else {
                waiting.push((n - 1, callback));
            }
        }
        *hooks = waiting;
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn each_hook_fires_once_at_its_request() {
        let hooks = RequestHooks::default();
        let fired = Arc::new(Mutex::new(Vec::new()));
        for n in [3, 1] {
            let fired = fired.clone();
            hooks.add(n, Box::new(move || fired.lock().unwrap().push(n)));
        }
        let mut at = Vec::new();
        for request in 1..=6 {
            for callback in hooks.arrived() {
                callback();
                at.push(request);
            }
        }
        assert_eq!(at, [1, 3]);
        assert_eq!(*fired.lock().unwrap(), [1, 3]);
    }
}
