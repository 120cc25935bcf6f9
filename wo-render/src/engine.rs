//! Which engine renders a chart. (being written)
#![allow(missing_docs)]

/// A template engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Helm,
    Handlebars,
}

/// Renders each chart with the engine it declares.
#[derive(Debug, Clone, Default)]
pub struct ChartRenderer;
