//! wo-render: from charts to reviewed manifests.
//!
//! - [`HandlebarsRenderer`], [`HelmRenderer`] and [`NativeHelmRenderer`] implement wo-core's
//!   `Renderer` port over the same chart layout (`Chart.yaml`, `values.yaml`, `templates/`,
//!   `templates/_*.tpl`); a chart declares its engine in `Chart.yaml` (see [`engine`]).
//!   [`ChartRenderer`] picks the engine a chart declares.
//! - [`manifest`]: the manifest model — resources with identity, canonical order, semantic diff.
//! - [`package`]: a chart as a deterministic `.tgz` (same files, same bytes and digest) and the
//!   version it is published under.
//! - [`policy`]: security and compliance checks on manifests, as text, JSON or SARIF 2.1.0.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical;
pub mod determinism;
pub mod engine;
mod flow;
pub mod handlebars;
pub mod helm;
pub mod manifest;
pub mod native;
pub mod package;
pub mod policy;
pub mod review;

/// Helm's template engine in Rust (Go templates, Sprig, charts as `helm template` prints them).
pub use wo_gotmpl as gotmpl;

pub use canonical::CanonicalRenderer;
pub use engine::{ChartRenderer, Engine};
pub use handlebars::HandlebarsRenderer;
pub use helm::HelmRenderer;
pub use native::NativeHelmRenderer;
pub use review::ReviewingGitOps;
