//! `wo`: workload orchestration as code.
//!
//! The facade over the workspace's crates and the composition root the `wo` command is built
//! on. A tool that embeds wo starts here:
//!
//! - [`pipeline::PipelineBuilder`]: the promotion pipeline (prepare-pr, merge, deploy,
//!   on-event, status, history, rollback) over the repositories, renderer and orchestrator
//!   the [`settings`] name, any of them replaceable by a backend of the tool's own;
//! - [`inputs::load`] and [`plan::render`]: an environment's inputs read from checkouts or
//!   repositories, and its rendered plan (`wo validate`, `wo resolve`, `wo render`);
//! - [`repository::Repository::open`]: a repository from a location (path, `file://`,
//!   `git://`, `http://`, `github://owner/repo`, a GitHub URL), the one place a location
//!   picks its backend, with [`credentials`] from the environment or given;
//! - [`orchestrator::orchestrator`]: Azure Workload Orchestration from settings;
//! - [`fleet::import`]: a fleet onboarded from Workload Orchestration, proposed to the
//!   platform config repo; [`fleet::apply`], the other way: an environment's `fleet.yaml`
//!   made Workload Orchestration's context and targets.
//!
//! The crates, re-exported: [`core`] (wo-core: formats, configuration engine, ports, pipeline)
//! always; [`render`] (feature `render`), [`git`] (feature `git`), [`github`] (feature
//! `github`), [`azure`] (feature `azure`) — all on by default.
//!
//! ```
//! # let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
//! # let (source, config, fleet) = (root.join("source"), root.join("config"), root.join("fleet"));
//! # futures::executor::block_on(async {
//! use wo::credentials::Credentials;
//! use wo::inputs::{load, InputsRequest};
//!
//! // Resolve and render the worked example, as `wo render` does.
//! let inputs = load(
//!     &InputsRequest {
//!         source: source.to_str().unwrap(),
//!         config: Some(config.to_str().unwrap()),
//!         platform: Some(fleet.to_str().unwrap()),
//!         ..InputsRequest::default()
//!     },
//!     &Credentials::default(),
//!     std::env::temp_dir().as_path(),
//! )
//! .await?;
//! let plan = wo::plan::render(&inputs, &[]).await?;
//! assert!(plan.files.contains_key("shop/berlin-1/manifests.yaml"));
//! # Ok::<(), wo::core::Error>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "azure")]
pub use wo_azure as azure;
pub use wo_core as core;
#[cfg(feature = "git")]
pub use wo_git as git;
#[cfg(feature = "github")]
pub use wo_github as github;
#[cfg(feature = "oci")]
pub use wo_oci as oci;
#[cfg(feature = "render")]
pub use wo_render as render;

#[cfg(feature = "oci")]
pub mod charts;
pub mod credentials;
#[cfg(feature = "azure")]
pub mod fleet;
pub mod inputs;
#[cfg(feature = "azure")]
pub mod orchestrator;
pub mod pipeline;
#[cfg(feature = "render")]
pub mod plan;
#[cfg(any(feature = "git", feature = "github"))]
pub mod repository;
pub mod settings;
