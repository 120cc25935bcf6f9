//! The native renderer. (STUB: the handlebars helper replaces this module.)
#![allow(missing_docs)]

/// Renders charts whose templates are handlebars.
#[derive(Debug, Clone, Default)]
pub struct HandlebarsRenderer;

#[async_trait::async_trait]
impl wo_core::ports::Renderer for HandlebarsRenderer {
    async fn render(
        &self,
        _chart: &wo_core::ports::Chart,
        _requests: &[wo_core::ports::RenderRequest],
    ) -> wo_core::Result<Vec<wo_core::ports::Rendered>> {
        Err(wo_core::Error::Unsupported {
            what: "handlebars (stub)".into(),
        })
    }
}
