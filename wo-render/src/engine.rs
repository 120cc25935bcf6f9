//! Which engine renders a chart, and the renderer that honours the chart's choice.
//!
//! A chart declares its engine in `Chart.yaml`, with an annotation Helm itself ignores:
//!
//! ```yaml
//! apiVersion: v2
//! name: shop
//! version: 1.0.0
//! annotations:
//!   wo/engine: handlebars   # or `helm` (the default when absent)
//! ```
//!
//! Both engines read the same layout (`Chart.yaml`, `values.yaml`, `templates/`,
//! `templates/_*.tpl`), so a chart can move between them by rewriting its templates only.

use async_trait::async_trait;
use wo_core::ports::{Chart, RenderRequest, Rendered, Renderer};
use wo_core::{Error, Location, Result};

use crate::{HandlebarsRenderer, HelmRenderer};

/// The `Chart.yaml` annotation naming the engine.
pub const ENGINE_ANNOTATION: &str = "wo/engine";

/// A template engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// The real `helm template` ([`HelmRenderer`]); the default.
    Helm,
    /// Native handlebars templates ([`HandlebarsRenderer`]).
    Handlebars,
}

impl Engine {
    /// The engine a chart declares in its `Chart.yaml`.
    pub fn of(chart: &Chart) -> Result<Engine> {
        let file = format!("{}/Chart.yaml", chart.name);
        let text = chart
            .files
            .text("Chart.yaml")?
            .ok_or_else(|| Error::invalid(Location::file(&file), "the chart has no Chart.yaml"))?;
        let node = wo_core::yaml::parse(text, &file)?;
        let Some(engine) = node
            .get("annotations")
            .and_then(|a| a.get(ENGINE_ANNOTATION))
        else {
            return Ok(Engine::Helm);
        };
        match &engine.kind {
            wo_core::yaml::NodeKind::Str(s) if s == "helm" => Ok(Engine::Helm),
            wo_core::yaml::NodeKind::Str(s) if s == "handlebars" => Ok(Engine::Handlebars),
            _ => Err(Error::invalid(
                Location::file(&file)
                    .with_key(format!("annotations.{ENGINE_ANNOTATION}"))
                    .at(engine.line, engine.column),
                "unknown engine; use `helm` or `handlebars`",
            )),
        }
    }
}

/// Renders each chart with the engine it declares.
#[derive(Debug, Clone, Default)]
pub struct ChartRenderer {
    /// Renders `wo/engine: helm` charts.
    pub helm: HelmRenderer,
    /// Renders `wo/engine: handlebars` charts.
    pub handlebars: HandlebarsRenderer,
}

#[async_trait]
impl Renderer for ChartRenderer {
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        match Engine::of(chart)? {
            Engine::Helm => self.helm.render(chart, requests).await,
            Engine::Handlebars => self.handlebars.render(chart, requests).await,
        }
    }
}
