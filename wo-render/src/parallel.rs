//! Work spread over the cores without a thread pool crate: [`map`].

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` of every item, in order, on every core: the threads take the next few items as they
/// finish, so an uneven item does not leave a core idle.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const BATCH: usize = 8;
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len().div_ceil(BATCH));
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let start = next.fetch_add(BATCH, Ordering::Relaxed);
                        if start >= items.len() {
                            return out;
                        }
                        for (i, item) in items.iter().enumerate().skip(start).take(BATCH) {
                            out.push((i, f(item)));
                        }
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
