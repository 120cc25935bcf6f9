//! Caches each thread keeps for itself.
//!
//! A renderer shared by worker threads (a prepared chart) remembers what its last render read
//! so that the next one need not read it again. Kept in one place behind a lock, every hit
//! would move cache lines between the cores (a lock, a count of references, a value another
//! core just wrote); kept per thread, nothing of one worker is read or written by another, and
//! a thread's last render predicts its next as well as any other's does.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many caches' entries a thread keeps (the caches it used last; an evicted cache starts
/// empty again on that thread).
const KEPT: usize = 16;

thread_local! {
    /// This thread's entries, by cache.
    static ENTRIES: RefCell<Vec<(u64, Box<dyn Any>)>> = const { RefCell::new(Vec::new()) };
}

/// A cache of `T` whose contents each thread keeps for itself: [`ThreadCache::with`] runs on
/// the calling thread's own `T`, made with `T::default()` on first use.
pub struct ThreadCache<T> {
    id: u64,
    _entries: std::marker::PhantomData<fn() -> T>,
}

impl<T> Default for ThreadCache<T> {
    fn default() -> ThreadCache<T> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        ThreadCache {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            _entries: std::marker::PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ThreadCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadCache").field("id", &self.id).finish()
    }
}

impl<T: Default + 'static> ThreadCache<T> {
    /// Runs `f` on this thread's entries of this cache. `f` must not use this or another
    /// [`ThreadCache`] (the entries are borrowed while it runs).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        ENTRIES.with(|all| {
            let mut all = all.borrow_mut();
            let at = match all.iter().position(|(id, _)| *id == self.id) {
                Some(at) => at,
                None => {
                    if all.len() >= KEPT {
                        all.remove(0);
                    }
                    all.push((self.id, Box::new(T::default())));
                    all.len() - 1
                }
            };
            let entries = all[at]
                .1
                .downcast_mut::<T>()
                .expect("a cache's entries are of its own type");
            f(entries)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_and_each_cache_has_its_own_entries() {
        let a: ThreadCache<Vec<u32>> = ThreadCache::default();
        let b: ThreadCache<Vec<u32>> = ThreadCache::default();
        a.with(|v| v.push(1));
        a.with(|v| v.push(2));
        b.with(|v| v.push(9));
        assert_eq!(a.with(|v| v.clone()), vec![1, 2]);
        assert_eq!(b.with(|v| v.clone()), vec![9]);
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(a.with(|v| v.clone()), Vec::<u32>::new()));
        });
        assert_eq!(a.with(|v| v.len()), 2);
    }

    #[test]
    fn a_thread_keeps_the_caches_it_used_last() {
        let caches: Vec<ThreadCache<u32>> = (0..KEPT + 1).map(|_| ThreadCache::default()).collect();
        for c in &caches {
            c.with(|n| *n += 1);
        }
        // The first was evicted by the last: it starts again from its default.
        assert_eq!(caches[0].with(|n| *n), 0);
        assert_eq!(caches[KEPT].with(|n| *n), 1);
    }
}
