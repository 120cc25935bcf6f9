//! The native renderer: Helm's chart layout with handlebars templates, rendered in-process.
//!
//! # Chart layout
//!
//! The same as a Helm chart's, so that a chart moves between engines by rewriting its
//! templates only:
//!
//! - `Chart.yaml`: `name` (required), `version`, `appVersion`, `annotations`. A chart for this
//!   engine declares `annotations: {wo/engine: handlebars}`.
//! - `values.yaml`: the chart's defaults, merged *under* each request's values as Helm merges
//!   them (the request wins; maps merge key by key; a `null` in the request removes a default).
//! - `templates/*` (any file not starting with `_`, except `NOTES.txt`): a handlebars template
//!   producing YAML documents.
//! - `templates/_*.tpl`: named templates, each in a block
//!   `{{#define "shop.labels"}}…{{/define}}` at the top level of the file (only blocks and
//!   `{{!-- comments --}}` may appear there). The body is the text between the tags with
//!   surrounding whitespace removed, like Helm's `{{- define "x" -}}…{{- end }}`.
//!
//! # Templates
//!
//! Templates see `Values` (the merged values), `Release` (`Name`, `Namespace`,
//! `Service: "Helm"`), `Chart` (`Name`, `Version`, `AppVersion`, `Annotations`) and `Target`
//! (`Name`, `Labels`, `Hierarchy`). Strict mode is on: reading an undefined value is an error,
//! except in `{{#if}}`/`{{#unless}}` (false) and in `default`, `required`, `empty`,
//! `coalesce` and `quote`, which take it as null — so `{{default "info" Values.logging.level}}`
//! works when `logging` is absent. Nothing is HTML-escaped.
//!
//! Named templates are called with `include`, which returns text and so composes:
//! `{{nindent 4 (include "shop.labels" this)}}`. Handlebars partials (`{{> x}}`) and decorators
//! are refused at preparation: a partial can recurse without bound, `include` has a depth limit.
//!
//! Helpers, with Helm's names and argument order: `toYaml`, `toJson`, `indent`, `nindent`,
//! `quote`, `squote`, `default`, `required`, `empty`, `coalesce`, `hasKey`, `get`, `include`,
//! `trunc`, `trimSuffix`, `trimPrefix`, `trim`, `lower`, `upper`, `title`, `replace`,
//! `contains`, `join`, `b64enc`, `sha256sum`, `toString`, `int`, `add`, `printf` (`%s %v %d %q
//! %%`), `le`, `ge`; handlebars' own `eq`, `ne`, `lt`, `gt`, `lte`, `gte`, `and`, `or`, `not`,
//! `len`, `lookup`, `{{#if}}`, `{{#unless}}`, `{{#each}}`, `{{#with}}`. `toYaml` and `toJson`
//! write map keys in sorted order as Go does; `toYaml` writes through wo's one YAML emitter,
//! which quotes ambiguous strings (`'on'`) with single quotes where Helm uses double ones.
//! Maps in `Values` are in key order, so `{{#each}}` walks a map as Go's `range` does.
//!
//! # Output
//!
//! As `helm template` prints it: each template's output split into documents at `---`, each
//! document trimmed, documents ordered by kind (Helm's install order, then unknown kinds by
//! name, then hooks), each prefixed by `---\n# Source: <chart>/templates/<file>\n`; templates
//! whose output is only whitespace produce nothing. The same chart logic written for Helm and
//! for this engine gives byte-identical output.
//!
//! # Limits
//!
//! The manifests of one target are bounded by [`HandlebarsRendererBuilder::max_output_bytes`]
//! (a template that would produce more fails at once, naming itself and the target), and
//! `include` nesting by [`HandlebarsRendererBuilder::max_include_depth`] (a template that
//! includes itself fails naming itself). A text a helper builds may not be longer than the
//! output bound either, so that helpers nested in each other (`b64enc` 66 deep) stop before
//! they build gigabytes. Each target has a step budget,
//! [`HandlebarsRendererBuilder::max_steps`] (one million by default): every helper call and
//! `{{#each}}` item is a step, an `include` one plus one per value in the context it copies, so loops nested over large lists and `include`
//! fan-outs stop with an error naming the template, its line and the target — Helm's 60 s
//! timeout, but deterministic. Within one target, `include "x" this` of the whole context
//! renders once and is recalled after (the text cannot differ), charged the steps and include
//! levels its rendering took, so that every limit fails where it would without the memory.
//! The requests of one call render in parallel on
//! [`HandlebarsRendererBuilder::workers`] threads.

mod chart;
mod helpers;
mod limits;
mod memo;
mod stream;

use async_trait::async_trait;
use wo_core::ports::{Chart, RenderFlow, RenderRequest, Rendered, Renderer};
use wo_core::Result;

use crate::flow::{self, Pool};

pub use limits::{DEFAULT_MAX_INCLUDE_DEPTH, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_STEPS};

use chart::PreparedChart;

/// Stack of a worker thread before the room `include` nesting needs.
const BASE_STACK_BYTES: usize = 8 << 20;
/// Stack room one level of `include` may use (handlebars renders recursively).
const STACK_BYTES_PER_INCLUDE: usize = 512 << 10;

/// Renders charts whose templates are handlebars (see the [module docs](self) for the chart
/// conventions).
///
/// # Example
///
/// ```
/// use wo_core::files::FileTree;
/// use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
/// use wo_render::HandlebarsRenderer;
///
/// # futures::executor::block_on(async {
/// let mut files = FileTree::new();
/// files.insert("Chart.yaml", "name: shop\nversion: 1.0.0\nannotations:\n  wo/engine: handlebars\n")?;
/// files.insert("values.yaml", "replicas: 1\n")?;
/// files.insert("templates/_helpers.tpl", "{{#define \"shop.name\"}}{{Release.Name}}-{{Target.Name}}{{/define}}\n")?;
/// files.insert(
///     "templates/cm.yaml",
///     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{include \"shop.name\" this}}\ndata:\n  replicas: {{quote Values.replicas}}\n",
/// )?;
/// let chart = Chart { name: "shop".into(), files };
/// let request = RenderRequest {
///     release_name: "shop".into(),
///     namespace: "shop".into(),
///     target: TargetView { name: "berlin-1".into(), ..TargetView::default() },
///     values: serde_json::json!({ "replicas": 3 }),
/// };
///
/// let out = HandlebarsRenderer::new().render(&chart, &[request]).await?;
/// assert_eq!(
///     out[0].manifests,
///     "---\n# Source: shop/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-berlin-1\ndata:\n  replicas: \"3\"\n"
/// );
/// # Ok::<(), wo_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct HandlebarsRenderer {
    max_output_bytes: usize,
    max_include_depth: usize,
    max_steps: u64,
    workers: usize,
}

impl Default for HandlebarsRenderer {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl HandlebarsRenderer {
    /// A renderer with the default limits and one worker per available core.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder to set the limits.
    pub fn builder() -> HandlebarsRendererBuilder {
        HandlebarsRendererBuilder {
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_include_depth: DEFAULT_MAX_INCLUDE_DEPTH,
            max_steps: DEFAULT_MAX_STEPS,
            workers: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }

    fn prepare(&self, chart: &Chart) -> Result<PreparedChart> {
        PreparedChart::prepare(
            chart,
            self.max_output_bytes,
            self.max_include_depth,
            self.max_steps,
        )
    }

    /// The worker pool: each worker takes the next target when it is done with one.
    fn pool(&self, requests: usize) -> Pool<'static> {
        Pool {
            workers: self.workers.clamp(1, requests.max(1)),
            stack_bytes: BASE_STACK_BYTES.saturating_add(
                self.max_include_depth
                    .saturating_mul(STACK_BYTES_PER_INCLUDE),
            ),
            name: "wo-handlebars",
        }
    }
}

#[async_trait]
impl Renderer for HandlebarsRenderer {
    /// Renders on a scoped pool of worker threads; the call blocks its task until all requests
    /// are rendered (rendering is CPU work, no I/O).
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        let prepared = self.prepare(chart)?;
        flow::collect(requests, |flow| {
            self.pool(requests.len())
                .run(flow, &|r| prepared.render(r), |e| e)
                .map_err(flow::into_error)
        })
    }

    /// Renders on the same pool, each target delivered by the worker that rendered it.
    async fn render_each(&self, chart: &Chart, flow: &dyn RenderFlow) -> Result<()> {
        let prepared = self.prepare(chart)?;
        self.pool(flow.targets())
            .run(flow, &|r| prepared.render(r), |e| e)
            .map_err(flow::into_error)
    }
}

/// Sets the limits of a [`HandlebarsRenderer`].
#[derive(Debug, Clone)]
pub struct HandlebarsRendererBuilder {
    max_output_bytes: usize,
    max_include_depth: usize,
    max_steps: u64,
    workers: usize,
}

impl HandlebarsRendererBuilder {
    /// Most bytes of manifests one target may produce (default 16 MiB).
    pub fn max_output_bytes(mut self, bytes: usize) -> Self {
        self.max_output_bytes = bytes;
        self
    }

    /// Deepest nesting of `include` (default 32).
    pub fn max_include_depth(mut self, depth: usize) -> Self {
        self.max_include_depth = depth;
        self
    }

    /// Steps one target's render may take: every helper call and every item an `{{#each}}`
    /// walks counts one, an `include` one and one per value in the context it copies (default [`DEFAULT_MAX_STEPS`], one million). A render
    /// past it fails naming the template, its line and the target. A count, not a time, so
    /// that a chart fails or passes the same on every machine.
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }

    /// Threads that render the requests of one call (default: the available parallelism;
    /// at least 1).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// The renderer.
    pub fn build(self) -> HandlebarsRenderer {
        HandlebarsRenderer {
            max_output_bytes: self.max_output_bytes,
            max_include_depth: self.max_include_depth,
            max_steps: self.max_steps,
            workers: self.workers,
        }
    }
}
