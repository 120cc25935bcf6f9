//! A chart prepared for rendering: metadata and defaults read, templates parsed and registered
//! once, then rendered for any number of requests.

use std::collections::HashMap;
use std::sync::LazyLock;

use handlebars::template::TemplateElement;
use handlebars::{
    no_escape, Context, Handlebars, JsonValue as Json, RenderContext, RenderError,
    RenderErrorReason, Renderable, Template, TemplateError,
};
use regex::Regex;
use wo_core::ports::{Chart, RenderRequest};
use wo_core::{Diagnostic, Diagnostics, Error, Location, Result};

use super::helpers;
use super::limits::{LimitError, LimitedOutput, StepBudget};
use super::memo::{self, MemoScope};
use super::stream;

/// Where a registered template's text starts: the file, and the 1-based line and column of its
/// first character there.
#[derive(Debug, Clone)]
struct Origin {
    file: String,
    line: usize,
    column: usize,
}

impl Origin {
    /// The file location of a 1-based position inside the template.
    fn locate(&self, line: usize, column: usize) -> Location {
        let (l, c) = if line <= 1 {
            (self.line, self.column + column.saturating_sub(1))
        } else {
            (self.line + line - 1, column)
        };
        Location::file(&self.file).at(to_u32(l), to_u32(c))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A chart ready to render.
pub(crate) struct PreparedChart {
    /// The chart's name from `Chart.yaml`, as the `# Source:` lines print it.
    name: String,
    /// `Chart` in the render context.
    meta: Json,
    /// `values.yaml`, a map.
    defaults: Json,
    registry: Handlebars<'static>,
    /// The templates that produce manifests, in path order.
    templates: Vec<String>,
    /// Registered template name → where its text starts.
    origins: HashMap<String, Origin>,
    max_output_bytes: usize,
    /// Steps one target's render may take (see [`super::limits::DEFAULT_MAX_STEPS`]).
    max_steps: u64,
    /// Deepest nesting of `include`.
    max_include_depth: usize,
    /// The heads of the documents rendered last (see [`stream::HeadCache`]).
    heads: stream::HeadCache,
}

static DEFINE_OPEN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"\{\{~?\s*#define\s+"([^"]+)"\s*~?\}\}"#).ok());
static DEFINE_CLOSE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\{~?\s*/define\s*~?\}\}").ok());

impl PreparedChart {
    /// Reads, parses and checks every file of `chart`; reports every problem found at once.
    pub(crate) fn prepare(
        chart: &Chart,
        max_output_bytes: usize,
        max_include_depth: usize,
        max_steps: u64,
    ) -> Result<Self> {
        let (name, meta) = read_metadata(chart)?;
        // In key order once, so that each target's merge copies the defaults it keeps as they are.
        let defaults = helpers::sorted(&read_defaults(chart)?);

        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(no_escape);
        helpers::register(&mut registry, max_output_bytes, max_include_depth);

        let mut problems = Vec::new();
        let mut templates = Vec::new();
        let mut origins = HashMap::new();
        for path in chart.files.paths_under("templates") {
            let base = path.rsplit('/').next().unwrap_or(path);
            if path == "templates/NOTES.txt" {
                continue;
            }
            let text = match chart.files.text(path) {
                Ok(Some(text)) => text,
                Ok(None) => continue,
                Err(e) => {
                    problems.extend(e.diagnostics().iter().cloned());
                    continue;
                }
            };
            if base.starts_with('_') {
                match split_defines(path, text) {
                    Ok(defines) => {
                        for (define, origin, body) in defines {
                            if let Some(first) = origins.get(&define) {
                                problems.push(Diagnostic::new(
                                    origin.locate(1, 1),
                                    format!(
                                        "template `{define}` is defined twice (first at {})",
                                        Origin::locate(first, 1, 1)
                                    ),
                                ));
                                continue;
                            }
                            register(&mut registry, &define, body, &origin, &mut problems);
                            origins.insert(define, origin);
                        }
                    }
                    Err(d) => problems.push(d),
                }
            } else {
                let origin = Origin {
                    file: path.to_owned(),
                    line: 1,
                    column: 1,
                };
                register(&mut registry, path, text, &origin, &mut problems);
                origins.insert(path.to_owned(), origin);
                templates.push(path.to_owned());
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(Diagnostics(problems).sorted()));
        }
        Ok(Self {
            name,
            meta,
            defaults,
            registry,
            templates,
            origins,
            max_output_bytes,
            max_steps,
            max_include_depth,
            heads: stream::HeadCache::default(),
        })
    }

    /// Renders every template for one request and joins them into a manifest stream.
    pub(crate) fn render(&self, request: &RenderRequest) -> Result<crate::flow::Output> {
        let target = request.target.name.as_str();
        let values = match &request.values {
            Json::Object(_) | Json::Null => merge_sorted(&self.defaults, &request.values),
            other => {
                return Err(Error::invalid(
                    Location::file("values"),
                    format!(
                        "for target {target}: the values must be a map, not {}",
                        wo_core::value::type_name(other)
                    ),
                ))
            }
        };
        let context = Context::from(self.context(values, request));

        // One budget for all templates of the target, counted on this worker thread.
        let _steps = StepBudget::start(self.max_steps);
        // A template file rendered here is what `include "templates/x.yaml" this` gives, and
        // the other way round: both go through the target's memory (see `memo`).
        let _memo = MemoScope::start(context.data(), self.max_include_depth);
        let mut remaining = self.max_output_bytes;
        let mut files = Vec::with_capacity(self.templates.len());
        for path in &self.templates {
            let Some(template) = self.registry.get_template(path) else {
                continue;
            };
            let text = match memo::recall(path, remaining) {
                Some(text) => text,
                None => memo::remember(path, || {
                    self.render_template(template, &context, remaining, path, target)
                })?,
            };
            remaining = remaining.saturating_sub(text.len());
            files.push((path.clone(), text));
        }
        stream::assemble(&self.name, &files, target, &self.heads)
    }

    /// What templates see: `Values`, `Release`, `Chart`, `Target` (built field by field: the
    /// `json!` macro serialized a copy of every value).
    fn context(&self, values: Json, request: &RenderRequest) -> Json {
        fn text(s: &str) -> Json {
            Json::String(s.to_owned())
        }
        fn object<'a>(entries: impl IntoIterator<Item = (&'a str, Json)>) -> Json {
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            )
        }
        let strings = |map: &std::collections::BTreeMap<String, String>| {
            object(map.iter().map(|(k, v)| (k.as_str(), text(v))))
        };
        let view = &request.target;
        object([
            ("Values", values),
            (
                "Release",
                object([
                    ("Name", text(&request.release_name)),
                    ("Namespace", text(&request.namespace)),
                    ("Service", text("Helm")),
                ]),
            ),
            ("Chart", self.meta.clone()),
            (
                "Target",
                object([
                    ("Name", text(&view.name)),
                    ("Labels", strings(&view.labels)),
                    ("Hierarchy", strings(&view.hierarchy)),
                ]),
            ),
        ])
    }

    /// Renders one template file with the target's context into at most `room` bytes.
    fn render_template(
        &self,
        template: &Template,
        context: &Context,
        room: usize,
        path: &str,
        target: &str,
    ) -> Result<String> {
        let mut out = LimitedOutput::new(room);
        let mut rc = RenderContext::new(template.name.as_ref());
        let rendered = template.render(&self.registry, context, &mut rc, &mut out);
        if out.exceeded() {
            return Err(Error::invalid(
                Location::file(path),
                format!(
                    "{path} produced more than {} for target {target}",
                    super::limits::bytes_text(self.max_output_bytes)
                ),
            ));
        }
        if let Err(e) = rendered {
            return Err(self.render_error(&e, path, target));
        }
        Ok(out.into_string())
    }

    /// A handlebars render error as a diagnostic at the template file and line.
    fn render_error(&self, e: &RenderError, path: &str, target: &str) -> Error {
        let name = e.template_name.as_deref().unwrap_or(path);
        let location = match (self.origins.get(name), e.line_no, e.column_no) {
            (Some(origin), Some(line), column) => origin.locate(line, column.unwrap_or(1)),
            (Some(origin), None, _) => Location::file(&origin.file),
            (None, _, _) => Location::file(path),
        };
        let reason = match e.reason() {
            RenderErrorReason::NestedError(inner) => match inner.downcast_ref::<LimitError>() {
                Some(LimitError::Output { max }) => format!(
                    "{path} produced more than {} for target {target}",
                    super::limits::bytes_text(*max)
                ),
                Some(steps @ LimitError::Steps { .. }) => {
                    format!("{path}, for target {target}: {steps}")
                }
                Some(text @ LimitError::Text { .. }) => {
                    format!("{path}, for target {target}: {text}")
                }
                _ => format!("for target {target}: {inner}"),
            },
            RenderErrorReason::MissingVariable(var) => format!(
                "for target {target}: `{}` is undefined (use `default`, or test it with `{{{{#if}}}}`)",
                var.as_deref().unwrap_or("?")
            ),
            other => format!("for target {target}: {other}"),
        };
        Error::Invalid(Diagnostics(vec![Diagnostic::new(location, reason)]))
    }
}

/// Reads `Chart.yaml`: the chart's name and the `Chart` object templates see.
fn read_metadata(chart: &Chart) -> Result<(String, Json)> {
    const FILE: &str = "Chart.yaml";
    let Some(text) = chart.files.text(FILE)? else {
        return Err(Error::invalid(
            Location::file(FILE),
            format!("chart `{}` has no Chart.yaml", chart.name),
        ));
    };
    let node = wo_core::yaml::parse(text, FILE)?;
    let value = node.to_value(FILE)?;
    let field = |key: &str| -> Result<Option<String>> {
        match value.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => {
                let mut location = Location::file(FILE).with_key(key);
                if let Some((line, column)) = node.line_of(key) {
                    location = location.at(line, column);
                }
                Err(Error::invalid(
                    location,
                    format!(
                        "`{key}` must be a string, not {}",
                        wo_core::value::brief(other)
                    ),
                ))
            }
        }
    };
    let Some(name) = field("name")? else {
        return Err(Error::invalid(
            Location::file(FILE).with_key("name"),
            "Chart.yaml has no `name`",
        ));
    };
    let annotations = match value.get("annotations") {
        Some(Json::Object(m)) => Json::Object(m.clone()),
        _ => Json::Object(serde_json::Map::new()),
    };
    let meta = serde_json::json!({
        "Name": name,
        "Version": field("version")?.unwrap_or_default(),
        "AppVersion": field("appVersion")?.unwrap_or_default(),
        "Annotations": annotations,
    });
    Ok((name, meta))
}

/// Reads `values.yaml`, the chart's defaults; absent or empty is an empty map.
fn read_defaults(chart: &Chart) -> Result<Json> {
    const FILE: &str = "values.yaml";
    let Some(text) = chart.files.text(FILE)? else {
        return Ok(Json::Object(serde_json::Map::new()));
    };
    match wo_core::yaml::parse(text, FILE)?.to_value(FILE)? {
        Json::Null => Ok(Json::Object(serde_json::Map::new())),
        map @ Json::Object(_) => Ok(map),
        other => Err(Error::invalid(
            Location::file(FILE),
            format!(
                "values.yaml must be a map, not {}",
                wo_core::value::type_name(&other)
            ),
        )),
    }
}

/// [`merge`] with every map's keys in order (what [`sort_keys`] of it gives), built in one
/// pass without the intermediate copy. `defaults` has its maps' keys in order already.
fn merge_sorted(defaults: &Json, over: &Json) -> Json {
    match (defaults, over) {
        (Json::Object(d), Json::Object(o)) => {
            let mut entries: Vec<(&String, Json)> = Vec::with_capacity(d.len() + o.len());
            for (key, value) in o {
                match d.get(key) {
                    None => entries.push((key, helpers::sorted(value))),
                    Some(_) if value.is_null() => {}
                    Some(default) => entries.push((key, merge_sorted(default, value))),
                }
            }
            for (key, default) in d {
                if !o.contains_key(key) {
                    entries.push((key, default.clone()));
                }
            }
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(entries.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        (d, Json::Null) => d.clone(),
        (_, o) => helpers::sorted(o),
    }
}

/// Helm's coalescing: `over` wins; maps merge key by key; a null in `over` removes the chart's
/// default for that key.
#[cfg(test)]
pub(crate) fn merge(defaults: &Json, over: &Json) -> Json {
    match (defaults, over) {
        (Json::Object(d), Json::Object(o)) => {
            let mut out = o.clone();
            for (key, default) in d {
                match o.get(key) {
                    None => {
                        out.insert(key.clone(), default.clone());
                    }
                    Some(Json::Null) => {
                        out.remove(key);
                    }
                    Some(value) => {
                        out.insert(key.clone(), merge(default, value));
                    }
                }
            }
            Json::Object(out)
        }
        (d, Json::Null) => d.clone(),
        (_, o) => o.clone(),
    }
}

/// Maps in key order, so that `{{#each}}` over a map walks it as Go's `range` does.
#[cfg(test)]
fn sort_keys(v: Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut entries: Vec<(String, Json)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// Registers one template; syntax errors and unsupported constructs become diagnostics.
fn register(
    registry: &mut Handlebars<'static>,
    name: &str,
    text: &str,
    origin: &Origin,
    problems: &mut Vec<Diagnostic>,
) {
    if let Err(e) = registry.register_template_string(name, text) {
        problems.push(template_error(&e, origin));
        return;
    }
    if let Some(template) = registry.get_template(name) {
        check_elements(template, origin, problems);
    }
}

fn template_error(e: &TemplateError, origin: &Origin) -> Diagnostic {
    let location = match e.pos() {
        Some((line, column)) => origin.locate(line, column),
        None => Location::file(&origin.file),
    };
    Diagnostic::new(location, format!("template syntax: {}", e.reason()))
}

/// Partials and decorators are refused: `{{> x}}` can recurse without bound, and `include`
/// does what they do with a depth limit.
fn check_elements(template: &Template, origin: &Origin, problems: &mut Vec<Diagnostic>) {
    for (i, element) in template.elements.iter().enumerate() {
        let at = || {
            template
                .mapping
                .get(i)
                .map_or(Location::file(&origin.file), |m| origin.locate(m.0, m.1))
        };
        match element {
            TemplateElement::PartialExpression(_) | TemplateElement::PartialBlock(_) => {
                problems.push(
                    Diagnostic::new(at(), "partials (`{{> name}}`) are not supported")
                        .with_hint("use `{{include \"name\" this}}`"),
                );
            }
            TemplateElement::DecoratorExpression(_) | TemplateElement::DecoratorBlock(_) => {
                problems.push(
                    Diagnostic::new(at(), "decorators (`{{* name}}`) are not supported")
                        .with_hint("define named templates in templates/_*.tpl"),
                );
            }
            TemplateElement::HelperBlock(block) => {
                for inner in [&block.template, &block.inverse].into_iter().flatten() {
                    check_elements(inner, origin, problems);
                }
            }
            _ => {}
        }
    }
}

/// 1-based line and column of byte offset `at` in `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Splits a `_*.tpl` file into its `{{#define "name"}}…{{/define}}` blocks: (name, where the
/// body starts, body). Bodies are trimmed of surrounding whitespace, as Helm's
/// `{{- define "x" -}}…{{- end }}` idiom does. Outside the blocks only whitespace and
/// comments may appear.
fn split_defines<'a>(
    file: &str,
    text: &'a str,
) -> std::result::Result<Vec<(String, Origin, &'a str)>, Diagnostic> {
    let (Some(open), Some(close)) = (DEFINE_OPEN.as_ref(), DEFINE_CLOSE.as_ref()) else {
        return Err(Diagnostic::new(
            Location::file(file),
            "the define patterns did not compile",
        ));
    };
    let at = |offset: usize| {
        let (line, column) = position(text, offset);
        Location::file(file).at(to_u32(line), to_u32(column))
    };
    let mut defines = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &text[pos..];
        let skipped = rest.len() - rest.trim_start().len();
        pos += skipped;
        let rest = &text[pos..];
        if rest.is_empty() {
            return Ok(defines);
        }
        let comment_end = if rest.starts_with("{{!--") {
            Some(rest.find("--}}").map(|e| e + 4))
        } else if rest.starts_with("{{!") {
            Some(rest.find("}}").map(|e| e + 2))
        } else {
            None
        };
        if let Some(end) = comment_end {
            let Some(end) = end else {
                return Err(Diagnostic::new(at(pos), "unclosed comment"));
            };
            pos += end;
            continue;
        }
        let Some(head) = open
            .captures_at(text, pos)
            .filter(|c| c.get(0).is_some_and(|m| m.start() == pos))
        else {
            return Err(Diagnostic::new(
                at(pos),
                "only `{{#define \"name\"}}…{{/define}}` blocks and comments may appear at the top level of a _*.tpl file",
            ));
        };
        let (Some(whole), Some(name)) = (head.get(0), head.get(1)) else {
            return Err(Diagnostic::new(at(pos), "malformed define"));
        };
        let Some(end) = close.find_at(text, whole.end()) else {
            return Err(Diagnostic::new(
                at(pos),
                format!(
                    "`{{{{#define \"{}\"}}}}` has no `{{{{/define}}}}`",
                    name.as_str()
                ),
            ));
        };
        let raw = &text[whole.end()..end.start()];
        if let Some(nested) = open.find(raw) {
            return Err(Diagnostic::new(
                at(whole.end() + nested.start()),
                "a define cannot contain another define",
            ));
        }
        let lead = raw.len() - raw.trim_start().len();
        let body = raw.trim();
        let (line, column) = position(text, whole.end() + lead);
        defines.push((
            name.as_str().to_owned(),
            Origin {
                file: file.to_owned(),
                line,
                column,
            },
            body,
        ));
        pos = end.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_values_win_and_null_removes_a_default() {
        let defaults = json!({"a": {"x": 1, "y": 2}, "b": 1, "c": "keep"});
        let over = json!({"a": {"y": 3}, "b": null, "d": null});
        assert_eq!(
            merge(&defaults, &over),
            json!({"a": {"y": 3, "x": 1}, "d": null, "c": "keep"})
        );
    }

    #[test]
    fn merging_in_order_is_merging_then_ordering() {
        let defaults = json!({
            "z": {"b": 1, "a": [{"y": 1, "x": 2}], "n": {"q": 1}},
            "a": "keep",
            "m": {"k": 1},
            "gone": 5,
            "list": [3, {"b": 1, "a": 2}],
        });
        let overs = [
            json!({"z": {"a": null, "c": {"y": 1, "x": null}}, "gone": null, "new": null}),
            json!({"m": "scalar over a map", "list": {"b": 1, "a": 2}, "a": {"d": 1, "c": 2}}),
            json!({}),
            Json::Null,
        ];
        let in_order = helpers::sorted(&defaults);
        for over in &overs {
            let expected = sort_keys(merge(&defaults, over));
            let got = merge_sorted(&in_order, over);
            assert_eq!(got, expected);
            // Equal maps may differ in order; the order is what `{{#each}}` sees.
            assert_eq!(got.to_string(), expected.to_string());
        }
    }

    #[test]
    fn defines_are_split_with_their_positions() {
        let text = "{{!-- helpers --}}\n{{#define \"a\"}}\n  x: {{y}}\n{{/define}}\n\n{{~#define \"b\" ~}}z{{~/define}}\n";
        let defines = split_defines("templates/_h.tpl", text).unwrap_or_default();
        let summary: Vec<_> = defines
            .iter()
            .map(|(n, o, b)| (n.as_str(), o.line, o.column, *b))
            .collect();
        assert_eq!(summary, [("a", 3, 3, "x: {{y}}"), ("b", 6, 19, "z")]);
    }

    #[test]
    fn stray_text_in_a_tpl_file_is_an_error_at_its_line() {
        let err = split_defines("templates/_h.tpl", "{{#define \"a\"}}x{{/define}}\nstray\n").err();
        assert_eq!(
            err.map(|d| (d.location.line, d.location.column)),
            Some((Some(2), Some(1)))
        );
    }

    #[test]
    fn unclosed_define_is_an_error() {
        assert!(split_defines("templates/_h.tpl", "{{#define \"a\"}}x").is_err());
        assert!(split_defines("t", "{{#define \"a\"}}{{#define \"b\"}}{{/define}}").is_err());
    }
}
