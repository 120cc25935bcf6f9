//! `wo`: workload orchestration as code.
//!
//! The facade over the workspace's crates: [`core`] (wo-core: formats, configuration engine,
//! ports) always, [`render`] (wo-render: renderers, manifests, policy checks) with the `render`
//! feature (on by default).
#![forbid(unsafe_code)]
pub use wo_core as core;
#[cfg(feature = "render")]
pub use wo_render as render;
