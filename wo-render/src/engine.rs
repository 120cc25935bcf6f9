//! Which engine renders a chart, and the renderer that honours the chart's choice.
//!
//! A chart declares its engine in `Chart.yaml`, with an annotation Helm itself ignores:
//!
//! ```yaml
//! apiVersion: v2
//! name: shop
//! version: 1.0.0
//! annotations:
//!   wo/engine: auto   # the default when absent; or `helm`, `helm-native`, `handlebars`
//! ```
//!
//! | `wo/engine` | renders with |
//! |---|---|
//! | `auto` (default) | the native Helm engine when it can render the chart, else the real `helm template`, with a one-line notice saying why |
//! | `helm` | the real `helm template` ([`HelmRenderer`]) |
//! | `helm-native` | the native Helm engine only ([`NativeHelmRenderer`]); an error when it cannot render the chart |
//! | `handlebars` | native handlebars templates ([`HandlebarsRenderer`]) |
//!
//! All engines read the same layout (`Chart.yaml`, `values.yaml`, `templates/`,
//! `templates/_*.tpl`), so a chart can move between them by rewriting its templates only
//! (and between the Helm engines without any change).

use async_trait::async_trait;
use wo_core::ports::{Chart, RenderFlow, RenderRequest, Rendered, Renderer};
use wo_core::{Error, Location, Result};

use crate::native::NativeError;
use crate::{HandlebarsRenderer, HelmRenderer, NativeHelmRenderer};

/// The `Chart.yaml` annotation naming the engine.
pub const ENGINE_ANNOTATION: &str = "wo/engine";

/// A template engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The native Helm engine when it can render the chart, else the real Helm; the default.
    Auto,
    /// The real `helm template` ([`HelmRenderer`]).
    Helm,
    /// The native Helm engine only ([`NativeHelmRenderer`]).
    HelmNative,
    /// Native handlebars templates ([`HandlebarsRenderer`]).
    Handlebars,
}

impl Engine {
    /// The annotation value naming this engine (`auto`, `helm`, `helm-native`, `handlebars`).
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Auto => "auto",
            Engine::Helm => "helm",
            Engine::HelmNative => "helm-native",
            Engine::Handlebars => "handlebars",
        }
    }

    /// The engine a chart declares in its `Chart.yaml` ([`Engine::Auto`] when it names none).
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
            return Ok(Engine::Auto);
        };
        let all = [
            Engine::Auto,
            Engine::Helm,
            Engine::HelmNative,
            Engine::Handlebars,
        ];
        match &engine.kind {
            wo_core::yaml::NodeKind::Str(s) => all.into_iter().find(|e| e.as_str() == s),
            _ => None,
        }
        .ok_or_else(|| {
            Error::invalid(
                Location::file(&file)
                    .with_key(format!("annotations.{ENGINE_ANNOTATION}"))
                    .at(engine.line, engine.column),
                "unknown engine; use `auto`, `helm`, `helm-native` or `handlebars`",
            )
        })
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prints a notice of [`ChartRenderer`] (the `auto` engine's fallback) on stderr.
pub fn notice_on_stderr(message: &str) {
    eprintln!("{message}");
}

/// Renders each chart with the engine it declares.
#[derive(Debug, Clone)]
pub struct ChartRenderer {
    /// Renders `wo/engine: helm` charts, and `auto` ones the native engine cannot render.
    pub helm: HelmRenderer,
    /// Renders `wo/engine: helm-native` charts, and `auto` ones when it can.
    pub native: NativeHelmRenderer,
    /// Renders `wo/engine: handlebars` charts.
    pub handlebars: HandlebarsRenderer,
    /// Receives the one-line notice when `auto` falls back to the real Helm
    /// (`native engine unavailable: …`); [`notice_on_stderr`] by default.
    pub notice: fn(&str),
}

impl Default for ChartRenderer {
    fn default() -> Self {
        ChartRenderer {
            helm: HelmRenderer::default(),
            native: NativeHelmRenderer::default(),
            handlebars: HandlebarsRenderer::default(),
            notice: notice_on_stderr,
        }
    }
}

#[async_trait]
impl Renderer for ChartRenderer {
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        match Engine::of(chart)? {
            Engine::Helm => self.helm.render(chart, requests).await,
            Engine::HelmNative => self.native.render(chart, requests).await,
            Engine::Handlebars => self.handlebars.render(chart, requests).await,
            Engine::Auto => match self.native.try_render(chart, requests) {
                Ok(out) => Ok(out),
                Err(NativeError::Failed(e)) => Err(e),
                Err(NativeError::Unavailable(reason)) => {
                    (self.notice)(&format!(
                        "native engine unavailable: {reason}; chart `{}` renders with helm",
                        chart.name
                    ));
                    self.helm.render(chart, requests).await
                }
            },
        }
    }

    async fn render_each(&self, chart: &Chart, flow: &dyn RenderFlow) -> Result<()> {
        match Engine::of(chart)? {
            Engine::Helm => self.helm.render_each(chart, flow).await,
            Engine::HelmNative => self.native.render_each(chart, flow).await,
            Engine::Handlebars => self.handlebars.render_each(chart, flow).await,
            Engine::Auto => match self.native.try_render_each(chart, flow) {
                Ok(()) => Ok(()),
                Err(NativeError::Failed(e)) => Err(e),
                // Outputs delivered before are delivered again, from Helm.
                Err(NativeError::Unavailable(reason)) => {
                    (self.notice)(&format!(
                        "native engine unavailable: {reason}; chart `{}` renders with helm",
                        chart.name
                    ));
                    self.helm.render_each(chart, flow).await
                }
            },
        }
    }
}
