//! The worker pool of the streaming renders ([`Renderer::render_each`]): targets are taken
//! one at a time from a shared counter, so a worker that finishes early takes the next target
//! instead of idling beside a fixed half of the fleet, and each target flows request → render
//! → deliver on the thread that took it up (memory: the targets in flight).
//!
//! [`Renderer::render_each`]: wo_core::ports::Renderer::render_each

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use wo_core::ports::{ReadDocument, RenderFlow, RenderRequest, Rendered};
use wo_core::{Error, Result};

/// Why a pool stopped.
pub(crate) enum Stopped<E> {
    /// Requests could not be built (every one, merged).
    Requests(Error),
    /// The render or delivery of the first target (in target order) that failed.
    Failed(Vec<E>),
}

/// What one render gives a worker: the stream, and the value of each of its documents when
/// the engine read them all (see [`RenderFlow::deliver_read`]).
pub(crate) struct Output {
    pub manifests: String,
    pub documents: Option<Vec<ReadDocument>>,
}

impl From<String> for Output {
    fn from(manifests: String) -> Output {
        Output {
            manifests,
            documents: None,
        }
    }
}

/// The threads and what each renders.
pub(crate) struct Pool<'a> {
    /// Worker threads (at least one, at most one per target).
    pub workers: usize,
    /// Stack of each worker.
    pub stack_bytes: usize,
    /// Thread name.
    pub name: &'a str,
}

impl Pool<'_> {
    /// Renders every target of `flow` with `render`, delivering each output on the worker that
    /// rendered it. Every request is built even after a failure (to report every invalid
    /// target); after a render fails, only targets before it still render, so the failure
    /// reported is the first in target order whatever the threads' timing.
    pub(crate) fn run<O: Into<Output>, E: Send>(
        &self,
        flow: &dyn RenderFlow,
        render: &(dyn Fn(&RenderRequest) -> std::result::Result<O, E> + Sync),
        from_error: fn(Error) -> E,
    ) -> std::result::Result<(), Stopped<E>> {
        let total = flow.targets();
        if total == 0 {
            return Ok(());
        }
        let next = AtomicUsize::new(0);
        // The lowest index that failed so far (usize::MAX: none).
        let first_failed = AtomicUsize::new(usize::MAX);
        let request_errors: Mutex<Vec<(usize, Error)>> = Mutex::new(Vec::new());
        let failures: Mutex<Vec<(usize, E)>> = Mutex::new(Vec::new());
        let work = || loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= total {
                break;
            }
            let request = match flow.request(index) {
                Ok(r) => r,
                Err(e) => {
                    first_failed.fetch_min(index, Ordering::Relaxed);
                    lock(&request_errors).push((index, e));
                    continue;
                }
            };
            if index > first_failed.load(Ordering::Relaxed) {
                continue;
            }
            let done = render(&request).and_then(|output| {
                let Output {
                    manifests,
                    documents,
                } = output.into();
                let rendered = Rendered { manifests };
                match documents {
                    Some(documents) => flow.deliver_read(index, &request, rendered, documents),
                    None => flow.deliver(index, &request, rendered),
                }
                .map_err(from_error)
            });
            if let Err(e) = done {
                first_failed.fetch_min(index, Ordering::Relaxed);
                lock(&failures).push((index, e));
            }
        };
        let workers = self.workers.clamp(1, total);
        let started = std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(workers);
            for _ in 0..workers {
                let handle = std::thread::Builder::new()
                    .name(self.name.to_owned())
                    .stack_size(self.stack_bytes)
                    .spawn_scoped(scope, work)
                    .map_err(|e| {
                        Error::backend(self.name, format!("cannot start a render worker: {e}"))
                            .retryable(true)
                    })?;
                handles.push(handle);
            }
            for handle in handles {
                handle
                    .join()
                    .map_err(|_| Error::backend(self.name, "a render worker panicked"))?;
            }
            Ok(())
        });
        if let Err(e) = started {
            return Err(Stopped::Failed(vec![from_error(e)]));
        }
        let mut request_errors = request_errors
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        if !request_errors.is_empty() {
            request_errors.sort_by_key(|(i, _)| *i);
            let merged = wo_core::compose::merge_errors(
                request_errors.into_iter().map(|(_, e)| e).collect(),
            );
            return Err(Stopped::Requests(merged.err().unwrap_or_else(|| {
                Error::backend(self.name, "a request failed without an error")
            })));
        }
        let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
        if failures.is_empty() {
            return Ok(());
        }
        // Only the first in target order: targets after it may or may not have rendered
        // before it failed, so reporting them would depend on timing.
        failures.sort_by_key(|(i, _)| *i);
        failures.truncate(1);
        Err(Stopped::Failed(
            failures.into_iter().map(|(_, e)| e).collect(),
        ))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The error of a pool whose renders fail with [`Error`]: the invalid ones merged, else the
/// first.
pub(crate) fn into_error(stopped: Stopped<Error>) -> Error {
    match stopped {
        Stopped::Requests(e) => e,
        Stopped::Failed(errors) => match wo_core::compose::merge_errors(errors) {
            Err(e) => e,
            Ok(()) => Error::backend("render", "a render failed without an error"),
        },
    }
}

/// One worker per available core.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A flow over a slice of requests that keeps every output, for the batch
/// [`Renderer::render`](wo_core::ports::Renderer::render) on the same pool.
struct Collected<'a> {
    requests: &'a [RenderRequest],
    outputs: Vec<Mutex<Option<Rendered>>>,
}

impl RenderFlow for Collected<'_> {
    fn targets(&self) -> usize {
        self.requests.len()
    }

    fn request(&self, index: usize) -> Result<RenderRequest> {
        self.requests
            .get(index)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("request #{index}")))
    }

    fn deliver(&self, index: usize, _: &RenderRequest, rendered: Rendered) -> Result<()> {
        match self.outputs.get(index) {
            Some(slot) => {
                *lock(slot) = Some(rendered);
                Ok(())
            }
            None => Err(Error::not_found(format!("request #{index}"))),
        }
    }
}

/// Runs `render` on a flow over `requests` and returns the outputs in request order.
pub(crate) fn collect<E: From<Error>>(
    requests: &[RenderRequest],
    render: impl FnOnce(&dyn RenderFlow) -> std::result::Result<(), E>,
) -> std::result::Result<Vec<Rendered>, E> {
    let flow = Collected {
        requests,
        outputs: requests.iter().map(|_| Mutex::new(None)).collect(),
    };
    render(&flow)?;
    flow.outputs
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .ok_or_else(|| E::from(Error::backend("render", "a target was not rendered")))
        })
        .collect()
}
