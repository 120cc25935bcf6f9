//! The writes the fake received (requests that change state: `POST`, `PUT`, `PATCH`,
//! `DELETE`) and the hooks tests hang on them: a gate every write passes before it is applied,
//! and callbacks run once the `n`th write is applied, before it is answered (see
//! [`FakeGitHub::after_write`](crate::FakeGitHub::after_write)).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::Method;

/// A state-changing request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The path, percent-decoded (`/repos/o/r/git/refs/heads/wo/dev/shop`), without the query.
    pub path: String,
    /// The route (an `operationId` of [`ROUTES`](crate::ROUTES)); `None` for an unknown path.
    pub operation: Option<&'static str>,
}

impl fmt::Display for Write {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Whether a request of `method` is a write.
pub(crate) fn is_write(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

/// What runs after the `n`th write: the writes so far, this one last.
pub(crate) type AfterWrite = Box<dyn FnOnce(&[Write]) + Send + 'static>;

/// What decides before a write is applied whether it is (`true`) or not (`false`).
pub(crate) type Gate = Arc<dyn Fn(&Write) -> bool + Send + Sync + 'static>;

/// The writes applied so far and the hooks on them.
#[derive(Default)]
pub(crate) struct WriteHooks {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    log: Vec<Write>,
    /// The callbacks not yet fired, each with the writes still to come before it fires.
    after: Vec<(u64, AfterWrite)>,
    gate: Option<Gate>,
}

impl WriteHooks {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn after(&self, n: u64, callback: AfterWrite) {
        self.lock().after.push((n, callback));
    }

    pub fn set_gate(&self, gate: Option<Gate>) {
        self.lock().gate = gate;
    }

    pub fn gate(&self) -> Option<Gate> {
        self.lock().gate.clone()
    }

    pub fn log(&self) -> Vec<Write> {
        self.lock().log.clone()
    }

    /// `write` was applied: logs it and returns the callbacks due now (each fires once, for
    /// exactly one write) with the log they see.
    pub fn applied(&self, write: Write) -> (Vec<AfterWrite>, Vec<Write>) {
        let mut inner = self.lock();
        inner.log.push(write);
        let mut due = Vec::new();
        let mut waiting = Vec::new();
        for (n, callback) in inner.after.drain(..) {
            if n <= 1 {
                due.push(callback);
            } else {
                waiting.push((n - 1, callback));
            }
        }
        inner.after = waiting;
        let log = if due.is_empty() {
            Vec::new()
        } else {
            inner.log.clone()
        };
        (due, log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &str) -> Write {
        Write {
            method: "POST".into(),
            path: path.into(),
            operation: None,
        }
    }

    #[test]
    fn each_callback_fires_once_at_its_write_and_sees_the_writes_so_far() {
        let hooks = WriteHooks::default();
        let fired = Arc::new(Mutex::new(Vec::new()));
        for n in [3, 1] {
            let fired = fired.clone();
            hooks.after(
                n,
                Box::new(move |log: &[Write]| {
                    let seen: Vec<String> = log.iter().map(|w| w.path.clone()).collect();
                    fired.lock().unwrap().push((n, seen));
                }),
            );
        }
        for i in 1..=5 {
            let (due, log) = hooks.applied(write(&format!("/{i}")));
            for callback in due {
                callback(&log);
            }
        }
        assert_eq!(
            *fired.lock().unwrap(),
            [
                (1, vec!["/1".to_string()]),
                (
                    3,
                    vec!["/1".to_string(), "/2".to_string(), "/3".to_string()]
                )
            ]
        );
        assert_eq!(hooks.log().len(), 5);
    }

    #[test]
    fn only_state_changing_methods_are_writes() {
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(is_write(&m), "{m}");
        }
        for m in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(!is_write(&m), "{m}");
        }
    }
}
