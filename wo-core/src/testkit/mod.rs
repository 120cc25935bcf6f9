//! Conformance suites: the contract of each port as executable checks every backend runs.
//!
//! A backend crate implements the harness of its port (how to get a fresh backend, and for the
//! read ports how to seed it with commits) and calls the suite from a test. A suite panics with
//! the contract point that failed.
//!
//! | port | harness | suite |
//! |---|---|---|
//! | [`SourceRepo`](crate::ports::SourceRepo) | [`SourceHarness`] | [`source_repo_conformance`] |
//! | [`ConfigStore`](crate::ports::ConfigStore) | [`ConfigHarness`] | [`config_store_conformance`] |
//! | [`ConfigChanges`](crate::ports::ConfigChanges) | [`ConfigHarness`] | [`config_changes_conformance`] |
//! | [`GitOpsRepo`](crate::ports::GitOpsRepo) | [`GitOpsHarness`] | [`gitops_repo_conformance`] |
//! | [`Renderer`](crate::ports::Renderer) | [`RendererHarness`] | [`renderer_conformance`] |
//! | [`Orchestrator`](crate::ports::Orchestrator) | [`OrchestratorHarness`] | [`orchestrator_conformance`] |
//!
//! | the pipeline over a source and a gitops repo | [`RecoveryHarness`] | [`kill_point_conformance`] |
//!
//! [`InMemoryHarness`] implements all of them for the [in-memory backends](crate::memory):
//!
//! ```
//! use wo_core::testkit::{gitops_repo_conformance, InMemoryHarness};
//!
//! futures::executor::block_on(gitops_repo_conformance(&InMemoryHarness::new()));
//! ```

mod config;
mod gitops;
mod kill;
mod memory;
mod orchestrator;
mod recovery;
mod render;
mod source;

pub use config::{config_changes_conformance, config_store_conformance, ConfigHarness};
pub use gitops::{gitops_repo_conformance, GitOpsHarness};
pub use kill::{KillSwitch, Killable, KILLED};
pub use memory::InMemoryHarness;
pub use orchestrator::{orchestrator_conformance, OrchestratorHarness};
pub use recovery::{
    assert_rows_documented, kill_point_conformance, kill_point_rows, recovery_seed, writes_of,
    KillPoint, RecoveryHarness, RecoverySeed, RecoveryWorld, StateProbe,
};
pub use render::{renderer_conformance, RendererHarness};
pub use source::{source_repo_conformance, SourceHarness};

use crate::files::FileTree;
use crate::ports::{CommitId, Provenance};

/// A well-formed commit id that no repo holds (the suites expect `NotFound` for it).
pub const UNKNOWN_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Commits to seed a read port with, in order: (branch or environment, complete tree).
pub type Seed = Vec<(String, FileTree)>;

/// A tree from `(path, text)` pairs.
///
/// # Panics
/// On an unsafe path: fixtures are written by hand.
pub fn tree(files: &[(&str, &str)]) -> FileTree {
    let mut t = FileTree::new();
    for (path, content) in files {
        t.insert(*path, *content).expect("fixture paths are safe");
    }
    t
}

/// A promotable provenance for (`solution`, `env`) made from source commit `source`.
pub fn provenance(solution: &str, env: &str, source: &str) -> Provenance {
    Provenance {
        solution: solution.to_string(),
        environment: env.to_string(),
        source_commit: CommitId::from(source),
        config_commit: CommitId::from("c0ffee0"),
        fleet_commit: CommitId::from("f1ee700"),
        promotable: true,
        rollback_of: None,
        source_tag: None,
    }
}
