//! wo-core: the pure heart of `wo`.
//!
//! Start with [`engine::resolve`]: given a solution bundle (schema, configuration template),
//! the value files of an environment and the fleet, it answers *for this target, what are the
//! values, and where did each come from?* as a [`engine::ResolvedConfig`], or refuses the input
//! with every problem named by file, key path and line.
//!
//! The rest of the crate:
//! - [`yaml`]: the one YAML layer (budgets for hostile input, positions, safe emission);
//! - [`format`](mod@format): the `wo/v1` file formats (`Application`/`Platform`, `Fleet`, value files) and
//!   Azure Workload Orchestration's configuration schema and template;
//! - [`rollout`]: the rollout planner (waves, failure budgets, bake, approvals, windows) and
//!   its record as commit statuses;
//! - [`expr`]: the `${{ … }}` expression language of configuration templates;
//! - [`ports`]: the five ports (`SourceRepo`, `ConfigStore`, `GitOpsRepo`, `Renderer`,
//!   `Orchestrator`) and [`memory`], their in-memory implementations;
//! - `testkit` (feature): conformance suites every backend runs; `mocks` (feature): mockall mocks.
//!
//! wo-core does no network, git or process I/O; the only file access is the small [`files`]
//! loader that turns a directory into the in-memory file sets the engine reads.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compose;
pub mod drift;
pub mod engine;
pub mod error;
pub mod expr;
pub mod files;
pub mod format;
pub mod key_path;
pub mod markdown;
pub mod memory;
pub mod parallel;
pub mod pipeline;
pub mod ports;
pub mod rollout;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod value;
pub mod yaml;

pub use error::{
    BoxError, Context, Diagnostic, Diagnostics, Error, ErrorKind, Location, Result, MAX_DIAGNOSTICS,
};
pub use value::Value;
