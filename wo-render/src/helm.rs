//! The `helm template` renderer. (being written)
#![allow(missing_docs)]

/// Renders charts with the real `helm` binary.
#[derive(Debug, Clone, Default)]
pub struct HelmRenderer;
