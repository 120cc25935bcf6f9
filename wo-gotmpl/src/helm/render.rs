//! Rendering a chart as `helm template` does: dependencies processed for the values, values
//! coalesced, every template of the chart and its enabled subcharts parsed into one set, the
//! non-partials executed each with its own chart's scope, then hooks and manifests sorted and
//! printed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use super::chart::Chart;
use super::dependencies::{self, compatible};
use super::errors::{exec_error, parse_error};
use super::manifests::{
    has_no_value, print, show_only, sort_manifests_cached, FileText, HeadCache, Known,
};
use super::objects::{Capabilities, Files, KubeVersion, DEFAULT_API_VERSIONS};
use super::values::{coalesce_values_in_place, table_at, Node, ThreadDefaults};
use super::Error;
use crate::func::{Ctx, FuncMap};
use crate::template::memo::Memo;
use crate::template::TemplateSet;
use crate::thread_cache::ThreadCache;
use crate::value::{Map, Value};

/// How to render: what `helm template`'s flags set.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The release name (`helm template NAME`); Helm's default is `release-name`.
    pub release_name: String,
    /// `--namespace` (`default`).
    pub namespace: String,
    /// `--kube-version` (`1.30.0`); `None` for Helm's default, v1.35.0.
    pub kube_version: Option<String>,
    /// `--api-versions`, added to the default set.
    pub api_versions: Vec<String>,
    /// `--show-only` patterns (paths inside the chart, `templates/x.yaml`).
    pub show_only: Vec<String>,
    /// `--is-upgrade`.
    pub is_upgrade: bool,
    /// `.Release.Revision` (1 for `helm template`).
    pub revision: i64,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--include-crds`: print the files under `crds/` (of the chart and its enabled
    /// subcharts) before the manifests.
    pub include_crds: bool,
    /// Seeds the random functions (`randAlphaNum`, `uuidv4`, `genCA`, …).
    pub seed: [u8; 32],
    /// The clock `now` reads: seconds since the Unix epoch.
    pub now_unix: i64,
    /// Steps the whole render may take (every action, function call, `range` iteration and
    /// item of a list a function builds is one; default [`crate::func::DEFAULT_MAX_STEPS`]): a
    /// template looping too long fails naming itself rather than running on.
    pub max_steps: u64,
    /// The most output the render may produce, and the longest text one function may build
    /// (default [`crate::func::DEFAULT_MAX_OUTPUT_BYTES`], 64 MiB).
    pub max_output_bytes: usize,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            kube_version: None,
            api_versions: Vec::new(),
            show_only: Vec::new(),
            is_upgrade: false,
            revision: 1,
            skip_tests: false,
            include_crds: false,
            seed: [0; 32],
            now_unix: 0,
            max_steps: crate::func::DEFAULT_MAX_STEPS,
            max_output_bytes: crate::func::DEFAULT_MAX_OUTPUT_BYTES,
        }
    }
}

/// A chart ready to render many times: its templates parsed once into one set.
///
/// # Contract
/// [`PreparedChart::render`] gives exactly the stdout of `helm template` for the same values
/// and flags (random functions aside, which draw from [`RenderOptions::seed`]). A value that
/// disables or enables subcharts gets a template set of its own, parsed on first use.
pub struct PreparedChart {
    chart: Chart,
    funcs: Arc<FuncMap>,
    sets: Mutex<HashMap<Vec<String>, Arc<TemplateSet>>>,
    /// The layouts of the enabled chart trees each thread rendered so far (the last
    /// [`LAYOUTS_KEPT`]); their template sets are shared by all threads.
    layouts: ThreadCache<Vec<Rc<Layout>>>,
    heads: HeadCache,
    /// The function table is Helm's own ([`PreparedChart::new`]): a render may remember its
    /// `include`s ([`crate::template::memo`]).
    helm_funcs: bool,
    /// The converted default values, which each thread keeps between renders.
    defaults: ThreadCache<ThreadDefaults>,
}

impl std::fmt::Debug for PreparedChart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedChart")
            .field("chart", &self.chart.metadata.name)
            .finish_non_exhaustive()
    }
}

/// One template file to parse and maybe render.
struct Renderable {
    name: String,
    /// A partial (`_helpers.tpl`): parsed, never rendered on its own.
    partial: bool,
    text: Arc<[u8]>,
    scope: usize,
    base_path: String,
}

impl PreparedChart {
    /// Prepares `chart` with Helm's function library.
    ///
    /// # Errors
    /// [`Error::Dependencies`] when a dependency of `Chart.yaml` is not under `charts/`;
    /// [`Error::Parse`] when a template does not parse (with the chart's default values).
    pub fn new(chart: Chart) -> Result<PreparedChart, Error> {
        let mut prepared = PreparedChart::with_funcs(chart, crate::funcs::all())?;
        prepared.helm_funcs = true;
        Ok(prepared)
    }

    /// Prepares `chart` with a function table of your own.
    ///
    /// # Errors
    /// As [`PreparedChart::new`].
    pub fn with_funcs(chart: Chart, funcs: FuncMap) -> Result<PreparedChart, Error> {
        let prepared = PreparedChart {
            chart,
            funcs: Arc::new(funcs),
            sets: Mutex::new(HashMap::new()),
            layouts: ThreadCache::default(),
            heads: HeadCache::default(),
            helm_funcs: false,
            defaults: ThreadCache::default(),
        };
        check_dependencies(&prepared.chart)?;
        let mut warnings = Vec::new();
        let mut root = Node::new(&prepared.chart);
        dependencies::process(&mut root, &Value::empty_map(), &mut warnings)?;
        prepared.layout(&root)?;
        Ok(prepared)
    }

    /// The chart.
    pub fn chart(&self) -> &Chart {
        &self.chart
    }

    /// `helm template`'s stdout for `user_values` (a map, as `-f` files merge into; `Nil` for
    /// none).
    ///
    /// # Errors
    /// As Helm fails: dependency or values errors, an incompatible `kubeVersion`, template
    /// parse or execution errors (`fail` and `required` included, also from `NOTES.txt`),
    /// documents that are not YAML, `--show-only` patterns that match nothing.
    pub fn render(&self, user_values: &Value, options: &RenderOptions) -> Result<String, Error> {
        self.render_with_warnings(user_values, options)
            .map(|(out, _)| out)
    }

    /// As [`PreparedChart::render`], with the warnings Helm logs on stderr while coalescing
    /// values (`warning: cannot overwrite table with non table for a.b (map[])`), in the order
    /// they arose.
    ///
    /// # Errors
    /// As [`PreparedChart::render`].
    pub fn render_with_warnings(
        &self,
        user_values: &Value,
        options: &RenderOptions,
    ) -> Result<(String, Vec<String>), Error> {
        let mut warnings = Vec::new();
        let mut crds = Vec::new();
        let mut known = Vec::new();
        let files = self.render_files_inner(
            user_values,
            options,
            &mut warnings,
            &mut crds,
            Some(&mut known),
        )?;
        let (files, known): (Vec<_>, Vec<_>) = files
            .into_iter()
            .zip(known)
            .filter(|((name, _), _)| !name.ends_with("NOTES.txt"))
            .unzip();
        let (hooks, manifests) = sort_manifests_cached(&files, Some(&self.heads), known)?;
        let crds = if options.include_crds {
            crds
        } else {
            Vec::new()
        };
        let out = print(&crds, &hooks, &manifests, options.skip_tests);
        let out = if options.show_only.is_empty() {
            out
        } else {
            show_only(&out, &options.show_only)?
        };
        Ok((out, warnings))
    }

    /// Every rendered template, partials left out: `(template path, text)` in Helm's render
    /// order (deepest paths first, names descending), `NOTES.txt` included.
    ///
    /// # Errors
    /// As [`PreparedChart::render`], but for the manifest checks.
    pub fn render_files(
        &self,
        user_values: &Value,
        options: &RenderOptions,
    ) -> Result<Vec<(String, String)>, Error> {
        let files =
            self.render_files_inner(user_values, options, &mut Vec::new(), &mut Vec::new(), None)?;
        Ok(files
            .into_iter()
            .map(|(name, text)| (name, text.into_string()))
            .collect())
    }

    /// `known`, when given, receives for each rendered file (in order) what the head cache
    /// holds of it when its text is unchanged ([`HeadCache::unchanged`]), else where its large
    /// text nodes are.
    fn render_files_inner(
        &self,
        user_values: &Value,
        options: &RenderOptions,
        warnings: &mut Vec<String>,
        crds: &mut Vec<(String, String)>,
        known: Option<&mut Vec<Known>>,
    ) -> Result<Vec<(String, FileText)>, Error> {
        let user = match user_values {
            Value::Map(_) => user_values.deep_copy(),
            _ => Value::empty_map(),
        };
        // With Helm's own functions a render sees when a template changes a map made before it
        // ran (`ctx.track`), so the defaults may be shared with the thread's, not copied.
        let shared = self
            .helm_funcs
            .then(|| Node::new_shared(&self.chart, &self.defaults))
            .flatten();
        let shares_defaults = shared.is_some();
        let mut root = shared.unwrap_or_else(|| Node::new_prepared(&self.chart, &self.defaults));
        dependencies::process(&mut root, &user, warnings)?;

        let (caps, caps_value) = capabilities(options)?;
        let values = coalesce_values_in_place(&root, user, shares_defaults, warnings)?;
        super::schema::validate(&root, &values)?;

        let mut release = Map::new();
        release.insert("Name".into(), Value::str(&options.release_name));
        release.insert("Namespace".into(), Value::str(&options.namespace));
        release.insert("IsUpgrade".into(), Value::Bool(options.is_upgrade));
        release.insert("IsInstall".into(), Value::Bool(!options.is_upgrade));
        release.insert("Revision".into(), Value::Int(options.revision));
        release.insert("Service".into(), Value::str("Helm"));
        // What Helm's `recAllTpls` reads of the top level (its `Chart` is the root scope's own).
        let mut top = Map::new();
        top.insert("Capabilities".into(), caps_value);
        top.insert("Release".into(), Value::map(release));
        top.insert("Values".into(), values);
        let top = Value::map(top);

        let kube_constraint = &root.meta.kube_version;
        if !kube_constraint.is_empty()
            && !compatible(kube_constraint, &caps.kube_version.normalized)
        {
            return Err(Error::Incompatible(format!(
                "chart requires kubeVersion: {kube_constraint} which is incompatible with Kubernetes {}",
                caps.kube_version.version
            )));
        }

        collect_crds(&root, None, crds);
        let layout = self.layout(&root)?;
        let mut scopes = Vec::new();
        self::scopes(&root, &top, true, &mut layout.files.iter(), &mut scopes);
        let mut ctx = Ctx::new(options.seed, options.now_unix);
        ctx.max_steps = options.max_steps;
        ctx.max_output_bytes = options.max_output_bytes;
        // `include`s are remembered within the render, with Helm's own functions only: an
        // embedder's may have effects the memory cannot see.
        let mut memo = Memo::new(self.helm_funcs);
        ctx.track.on = self.helm_funcs;
        let rendered = self.execute(&layout, &scopes, &mut ctx, &mut memo, known);
        // A map made before the templates ran was changed: perhaps one of the shared defaults.
        if shares_defaults && ctx.track.changed.contains(&0) {
            self.defaults.with(ThreadDefaults::forget);
        }
        rendered
    }

    /// Executes the non-partial templates of `layout`, each in its scope.
    fn execute(
        &self,
        layout: &Layout,
        scopes: &[Value],
        ctx: &mut Ctx,
        memo: &mut Memo,
        mut known: Option<&mut Vec<Known>>,
    ) -> Result<Vec<(String, FileText)>, Error> {
        let set = &layout.set;
        let mut rendered = Vec::new();
        let mut total = 0usize;
        for r in &layout.renderables {
            if r.partial {
                continue;
            }
            let scope = &scopes[r.scope];
            if let Value::Map(m) = scope {
                let mut t = Map::new();
                t.insert("Name".into(), Value::str(&r.name));
                t.insert("BasePath".into(), Value::str(&r.base_path));
                m.borrow_mut().insert("Template".into(), Value::map(t));
            }
            memo.next_file();
            let output = set
                .execute_pieces(&r.name, scope, ctx, memo)
                .map_err(|e| Error::Execute(exec_error(&r.name, e.message(), &e.chain())))?;
            let hit = known
                .as_ref()
                .and_then(|_| self.heads.unchanged(&r.name, &output));
            let (text, pieces) = match &hit {
                // The text the cache holds: the output's large text nodes need no copying.
                Some(hit) => (FileText::Cached(hit.clone()), Vec::new()),
                None => {
                    let (text, pieces) = output.into_whole();
                    if has_no_value(&text) {
                        // The offsets of the pieces are the output's, not the replaced text's.
                        (FileText::Owned(text.replace("<no value>", "")), Vec::new())
                    } else {
                        (FileText::Owned(text), pieces)
                    }
                }
            };
            total += text.as_ref().len();
            ctx.check_output(total).map_err(|e| {
                Error::Execute(format!(
                    "the templates up to {} {e}: a chart's manifests are limited to that much",
                    r.name
                ))
            })?;
            if let Some(known) = known.as_mut() {
                known.push(match hit {
                    Some(hit) => Known::Unchanged(hit),
                    None => Known::New(pieces),
                });
            }
            rendered.push((r.name.clone(), text));
        }
        Ok(rendered)
    }

    /// The layout of the enabled chart tree `root`, made on its first render.
    fn layout(&self, root: &Node) -> Result<Rc<Layout>, Error> {
        let mut key = Vec::new();
        shape(root, &mut key);
        let known = self
            .layouts
            .with(|known| known.iter().find(|l| l.is_for(&key)).cloned());
        if let Some(layout) = known {
            return Ok(layout);
        }
        let layout = Rc::new(Layout::of(root, self)?);
        self.layouts.with(|known| {
            if known.len() >= LAYOUTS_KEPT {
                known.remove(0);
            }
            known.push(layout.clone());
        });
        Ok(layout)
    }

    fn template_set(&self, renderables: &[Renderable]) -> Result<Arc<TemplateSet>, Error> {
        let key: Vec<String> = renderables.iter().map(|r| r.name.clone()).collect();
        if let Some(set) = self.sets.lock().expect("not poisoned").get(&key) {
            return Ok(set.clone());
        }
        let mut set = TemplateSet::new(self.funcs.clone());
        for r in renderables {
            let text = String::from_utf8_lossy(&r.text);
            set.parse(&r.name, &text)
                .map_err(|e| Error::Parse(parse_error(&r.name, &e.to_string())))?;
        }
        let set = Arc::new(set);
        self.sets
            .lock()
            .expect("not poisoned")
            .insert(key, set.clone());
        Ok(set)
    }
}

/// How many layouts of enabled chart trees a thread keeps of a prepared chart (values that
/// enable and disable subcharts make more than one; their template sets are kept regardless).
const LAYOUTS_KEPT: usize = 32;

/// `.Capabilities` as built for a `--kube-version` and `--api-versions`, and its object.
struct BuiltCapabilities {
    kube_version: Option<String>,
    api_versions: Vec<String>,
    caps: Rc<Capabilities>,
    value: Value,
}

thread_local! {
    /// The `.Capabilities` this thread built last: an object no template can change, shared
    /// by every render for the same cluster.
    static CAPABILITIES: RefCell<Option<BuiltCapabilities>> = const { RefCell::new(None) };
}

/// `.Capabilities` for `options` (`--kube-version`, `--api-versions`), and its object.
fn capabilities(options: &RenderOptions) -> Result<(Rc<Capabilities>, Value), Error> {
    CAPABILITIES.with(|last| {
        if let Some(built) = &*last.borrow() {
            if built.kube_version == options.kube_version
                && built.api_versions == options.api_versions
            {
                return Ok((built.caps.clone(), built.value.clone()));
            }
        }
        let kube_version = match &options.kube_version {
            Some(v) => KubeVersion::parse(v).ok_or_else(|| {
                Error::Values(format!(
                    "invalid kube version '{v}': could not parse \"{v}\" as version"
                ))
            })?,
            None => KubeVersion::default(),
        };
        let mut api_versions: Vec<String> =
            DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect();
        api_versions.extend(options.api_versions.iter().cloned());
        let caps = Capabilities {
            kube_version,
            api_versions,
        };
        let value = caps.to_value();
        let caps = Rc::new(caps);
        *last.borrow_mut() = Some(BuiltCapabilities {
            kube_version: options.kube_version.clone(),
            api_versions: options.api_versions.clone(),
            caps: caps.clone(),
            value: value.clone(),
        });
        Ok((caps, value))
    })
}

/// Helm's `CheckDependencies`: every dependency `Chart.yaml` names is under `charts/`.
fn check_dependencies(chart: &Chart) -> Result<(), Error> {
    let missing: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|r| !chart.dependencies.iter().any(|d| d.name() == r.name))
        .map(|r| r.name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Dependencies(format!(
        "an error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
        missing.join(", ")
    )))
}

/// Helm's `CRDObjects`: the `.yaml`/`.yml`/`.json` files under `crds/` of a chart, then of
/// its subcharts, each as (path including the chart's path, text).
fn collect_crds(node: &Node, parent_path: Option<&str>, out: &mut Vec<(String, String)>) {
    let full_path = match parent_path {
        None => node.name().to_string(),
        Some(p) => format!("{p}/charts/{}", node.name()),
    };
    for f in node.chart.files.iter() {
        let ext = f.name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        if f.name.starts_with("crds/") && matches!(ext.as_deref(), Some("yaml" | "yml" | "json")) {
            out.push((
                format!("{full_path}/{}", f.name),
                String::from_utf8_lossy(&f.data).into_owned(),
            ));
        }
    }
    for d in &node.deps {
        collect_crds(d, Some(&full_path), out);
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Helm's `recAllTpls`, the part that depends on the values: the scope (`.`) of each chart, in
/// the order [`Layout::of`] numbers them (subcharts first). `parent` is the top level for the
/// root chart, the parent's scope for a subchart.
fn scopes(
    node: &Node,
    parent: &Value,
    is_root: bool,
    files: &mut std::slice::Iter<'_, Files>,
    scopes: &mut Vec<Value>,
) -> Value {
    let get = |key: &str| match parent {
        Value::Map(m) => m.borrow().get(key).cloned().unwrap_or_default(),
        _ => Value::Nil,
    };
    let subcharts = Value::empty_map();
    let values = if is_root {
        get("Values")
    } else {
        table_at(parent, &format!("Values.{}", node.name())).unwrap_or_else(Value::empty_map)
    };
    let mut next = Map::new();
    next.insert("Chart".into(), node.meta.to_value(is_root));
    next.insert("Release".into(), get("Release"));
    next.insert("Capabilities".into(), get("Capabilities"));
    next.insert("Values".into(), values);
    next.insert("Subcharts".into(), subcharts.clone());
    let next = Value::map(next);
    for child in &node.deps {
        let child_scope = self::scopes(child, &next, false, files, scopes);
        if let Value::Map(m) = &subcharts {
            m.borrow_mut().insert(child.name().to_string(), child_scope);
        }
    }
    if let Value::Map(m) = &next {
        let own = files.next().expect("a layout has the files of every scope");
        m.borrow_mut().insert("Files".into(), own.to_value());
    }
    scopes.push(next.clone());
    next
}

/// What renders of one enabled chart tree share, whatever the values: the templates to parse
/// and execute in Helm's order, each chart's `.Files`, and the parsed set.
struct Layout {
    /// The tree it is for ([`shape`]), owned.
    shape: Vec<(String, usize, usize)>,
    /// The templates, in Helm's order (`sortTemplates`).
    renderables: Vec<Renderable>,
    /// `.Files` of each scope, in the order [`scopes`] builds them.
    files: Vec<Files>,
    set: Arc<TemplateSet>,
}

impl Layout {
    /// Helm's `recAllTpls`, the part that depends only on which charts are enabled.
    fn of(root: &Node, prepared: &PreparedChart) -> Result<Layout, Error> {
        let mut renderables = Vec::new();
        let mut files = Vec::new();
        Layout::walk(root, None, &mut files, &mut renderables);
        sort_templates(&mut renderables);
        let set = prepared.template_set(&renderables)?;
        let mut owned = Vec::new();
        shape(root, &mut owned);
        Ok(Layout {
            shape: owned
                .into_iter()
                .map(|(name, chart, deps)| (name.to_string(), chart, deps))
                .collect(),
            renderables,
            files,
            set,
        })
    }

    fn walk(
        node: &Node,
        parent_path: Option<&str>,
        files: &mut Vec<Files>,
        out: &mut Vec<Renderable>,
    ) {
        let full_path = match parent_path {
            None => node.name().to_string(),
            Some(p) => format!("{p}/charts/{}", node.name()),
        };
        for child in &node.deps {
            Layout::walk(child, Some(&full_path), files, out);
        }
        let scope = files.len();
        files.push(Files::new(&node.chart.files));
        let library = node.chart.is_library();
        for t in node.chart.templates.iter() {
            if library && !base_name(&t.name).starts_with('_') {
                continue;
            }
            let name = clean_join(&full_path, &t.name);
            out.push(Renderable {
                partial: base_name(&name).starts_with('_'),
                name,
                text: t.data.clone(),
                scope,
                base_path: format!("{full_path}/templates"),
            });
        }
    }

    fn is_for(&self, shape: &[(&str, usize, usize)]) -> bool {
        self.shape.len() == shape.len()
            && self
                .shape
                .iter()
                .zip(shape)
                .all(|((n, c, d), (m, e, f))| n == m && c == e && d == f)
    }
}

/// An enabled chart tree in pre-order: each chart's name (an alias, where given), identity (its
/// address in the prepared chart) and number of enabled subcharts. Trees of the same shape
/// have the same templates, scopes and files.
fn shape<'n>(node: &'n Node, out: &mut Vec<(&'n str, usize, usize)>) {
    out.push((
        node.name(),
        node.chart as *const Chart as usize,
        node.deps.len(),
    ));
    for child in &node.deps {
        shape(child, out);
    }
}

/// `path.Join` for a chart path and a template name without `.`/`..` games.
fn clean_join(a: &str, b: &str) -> String {
    let joined = format!("{a}/{b}");
    let parts: Vec<&str> = joined
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    parts.join("/")
}

/// Helm's `sortTemplates`: more `/` first, then by name descending (the reverse of
/// "shallow first, by name"), so that a parent's `define`s, parsed last, win.
/// The depth of each name is counted once, not at every comparison (a render sorts every
/// template of the chart and its subcharts).
fn sort_templates(renderables: &mut Vec<Renderable>) {
    let mut keyed: Vec<(usize, Renderable)> = renderables
        .drain(..)
        .map(|r| (r.name.bytes().filter(|&b| b == b'/').count(), r))
        .collect();
    keyed.sort_by(|(ca, a), (cb, b)| cb.cmp(ca).then_with(|| b.name.cmp(&a.name)));
    renderables.extend(keyed.into_iter().map(|(_, r)| r));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map;

    fn values(entries: &[(&str, &str)]) -> Value {
        let mut m = Map::new();
        for (k, v) in entries {
            m.insert(k.to_string(), Value::str(v));
        }
        Value::map(m)
    }

    /// A template's output equal to what the prepared chart remembers of its last text skips
    /// the `<no value>` search only when that text holds none: here the second output is the
    /// first's text after Helm dropped a `<no value>`, and still has one to drop.
    #[test]
    fn an_output_equal_to_the_last_text_still_drops_its_no_values() {
        let chart = Chart::from_files(vec![
            (
                "Chart.yaml".into(),
                b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec(),
            ),
            (
                "templates/cm.yaml".into(),
                b"kind: ConfigMap\ndata:\n  a: \"{{ .Values.p }}{{ .Values.q }}{{ .Values.r }}\"\n"
                    .to_vec(),
            ),
        ])
        .expect("a valid chart");
        let prepared = PreparedChart::new(chart).expect("it parses");
        let options = RenderOptions {
            release_name: "r".into(),
            ..RenderOptions::default()
        };
        let doc = |out: String| out.lines().last().map(str::to_string);
        // "<no " + "<no value>" (q missing) + "value>": Helm's one pass leaves "<no value>".
        let first = prepared
            .render(&values(&[("p", "<no "), ("r", "value>")]), &options)
            .expect("renders");
        assert_eq!(doc(first).as_deref(), Some("  a: \"<no value>\""));
        // Now the template prints "<no value>" itself: the text of last time, dropped this time.
        let second = prepared
            .render(
                &values(&[("p", "<no value>"), ("q", ""), ("r", "")]),
                &options,
            )
            .expect("renders");
        assert_eq!(doc(second).as_deref(), Some("  a: \"\""));
        // And an unchanged clean text is the same text.
        let third = prepared
            .render(&values(&[("p", "x"), ("q", ""), ("r", "")]), &options)
            .expect("renders");
        let again = prepared
            .render(&values(&[("p", "x"), ("q", ""), ("r", "")]), &options)
            .expect("renders");
        assert_eq!(doc(third.clone()).as_deref(), Some("  a: \"x\""));
        assert_eq!(third, again);
    }

    /// An output holding the same large text node at the same place as the remembered text is
    /// still compared outside it: here only the bytes before the node differ (a value of the
    /// same length as `<no value>`, then `<no value>` itself).
    #[test]
    fn an_output_sharing_a_large_text_node_is_compared_around_it() {
        let mut template = b"kind: ConfigMap\ndata:\n  a: \"{{ .Values.x }}\"\n# ".to_vec();
        template.extend(std::iter::repeat_n(b'#', 3 * crate::template::PIECE_MIN));
        template.push(b'\n');
        let chart = Chart::from_files(vec![
            (
                "Chart.yaml".into(),
                b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec(),
            ),
            ("templates/cm.yaml".into(), template),
        ])
        .expect("a valid chart");
        let prepared = PreparedChart::new(chart).expect("it parses");
        let options = RenderOptions {
            release_name: "r".into(),
            ..RenderOptions::default()
        };
        let line = |out: &str| out.lines().nth(4).map(str::to_string);
        let first = prepared
            .render(&values(&[("x", "abcdefghij")]), &options)
            .expect("renders");
        assert_eq!(line(&first).as_deref(), Some("  a: \"abcdefghij\""));
        let second = prepared.render(&values(&[]), &options).expect("renders");
        assert_eq!(line(&second).as_deref(), Some("  a: \"\""));
        let third = prepared
            .render(&values(&[("x", "abcdefghij")]), &options)
            .expect("renders");
        assert_eq!(first, third);
    }
}
