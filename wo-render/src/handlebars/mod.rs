//! The native renderer. (STUB: the handlebars helper replaces this module.)
#![allow(missing_docs)]

/// Renders charts whose templates are handlebars.
#[derive(Debug, Clone, Default)]
pub struct HandlebarsRenderer;
