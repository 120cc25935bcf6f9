//! Work spread over the cores without a thread pool crate: [`map`]. Used by the review and
//! the policy gate (wo-render) and by the object writer (wo-git).

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` of every item, in order, on every core: the threads take the next few items as they
/// finish, so an uneven item does not leave a core idle.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_batched(items, 8, f)
}

/// [`map`] with threads taking `batch` items at a time (more for cheap items).
pub fn map_batched<T: Sync, R: Send>(
    items: &[T],
    batch: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let batch = batch.max(1);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len().div_ceil(batch));
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
                        let start = next.fetch_add(batch, Ordering::Relaxed);
                        if start >= items.len() {
                            return out;
                        }
                        for (i, item) in items.iter().enumerate().skip(start).take(batch) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        for batch in [0, 1, 7, 16, 5000] {
            let squares = map_batched(&items, batch, |i| i * i);
            assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(map(&Vec::<u32>::new(), |i| *i).is_empty());
    }
}
