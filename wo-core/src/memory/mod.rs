//! In-memory implementations of the five ports: for tests, demos and dry runs.
//!
//! Each is `Clone`; clones share state (an `Arc` inside), so a test keeps a handle to seed or
//! inspect a backend while the code under test holds it as `Arc<dyn Port>`. They keep the
//! ports' contracts exactly, run the same conformance suites as the real backends and never
//! block on anything but a short-held lock.
//!
//! Commit ids are deterministic: the same sequence of calls gives the same ids.

mod charts;
mod config;
mod fleet;
mod gitops;
mod orchestrator;
mod policy;
mod render;
mod source;

pub use charts::InMemoryChartRegistry;
pub use config::InMemoryConfigStore;
pub use fleet::InMemoryFleetOnboarding;
pub use gitops::InMemoryGitOpsRepo;
pub use orchestrator::InMemoryOrchestrator;
pub use policy::InMemoryPolicyGate;
pub use render::InMemoryRenderer;
pub use source::InMemorySourceRepo;

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::Error;
use crate::ports::CommitId;

/// Locks, going on after a panic in another holder: every critical section leaves the state
/// consistent before anything can panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A 40-hex-digit id for the `n`th commit of a repo of `kind`: deterministic, and different
/// between kinds so that an id from the wrong repo is not found.
fn commit_id(kind: &str, n: u64) -> CommitId {
    let fnv = |seed: u64| {
        let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
        for b in kind.bytes().chain(n.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    let (a, b, c) = (fnv(1), fnv(2), fnv(3));
    CommitId(format!("{a:016x}{b:016x}{:08x}", c >> 32))
}

fn commit_not_found(repo: &str, commit: &CommitId) -> Error {
    Error::not_found(format!("commit {commit} in {repo}"))
}

/// Fixtures for the unit tests of the backends.
#[cfg(test)]
mod testkit_support {
    use crate::files::FileTree;
    use crate::ports::{CommitId, Provenance};

    pub(crate) fn files(entries: &[(&str, &str)]) -> FileTree {
        let mut t = FileTree::new();
        for (p, c) in entries {
            t.insert(*p, *c).unwrap();
        }
        t
    }

    pub(crate) fn provenance(solution: &str, env: &str) -> Provenance {
        Provenance {
            solution: solution.into(),
            environment: env.into(),
            source_commit: CommitId::from("a1"),
            config_commit: CommitId::from("b2"),
            fleet_commit: CommitId::from("c3"),
            promotable: true,
            rollback_of: None,
            source_tag: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_ids_are_deterministic_hex_and_differ_by_kind() {
        let a = commit_id("source", 1);
        assert_eq!(a, commit_id("source", 1));
        assert_eq!(a.as_str().len(), 40);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, commit_id("source", 2));
        assert_ne!(a, commit_id("config", 1));
    }
}
