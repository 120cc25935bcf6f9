//! The helpers chart authors know from Helm (sprig), with Helm's argument order and results.
//!
//! Values reach Helm as JSON numbers, strings, maps; the helpers here treat them the same way
//! (`toYaml` and `toJson` sort map keys as Go does, `quote` escapes as Go's `%q`), so that a
//! chart written once for each engine renders the same bytes.

use base64::Engine as _;
use handlebars::{
    BlockContext, BlockParams, Context, Handlebars, Helper, HelperDef, HelperResult,
    JsonValue as Json, Output, PathAndJson, RenderContext, RenderError, RenderErrorReason,
    Renderable, ScopedJson,
};
use sha2::Digest as _;

use super::limits::{charge_steps, IncludeLevel, LimitError, LimitedOutput};
use super::memo;

/// Largest text a helper builds: helpers that multiply text (`indent`, `replace`) check the size
/// first, so that one call cannot ask for gigabytes before the output limit sees anything.
const MAX_HELPER_TEXT: usize = 64 << 20;

/// Null, to fill argument slots.
static NULL: Json = Json::Null;

/// A helper's body: its arguments in, a value or a message out.
type Body = fn(&[&Json]) -> Result<Json, String>;

/// A plain helper over values.
struct Func {
    name: &'static str,
    /// Fewest arguments.
    min: usize,
    /// Most arguments (`usize::MAX` for variadic).
    max: usize,
    /// Whether an undefined argument reads as null instead of failing (strict mode).
    lenient: bool,
    body: Body,
    /// Longest text the helper may return (the output bound): helpers compose, so without it
    /// `b64enc` nested 66 deep builds gigabytes before anything is written.
    max_text: usize,
}

impl HelperDef for Func {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        charge_steps(1).map_err(limit)?;
        let params = h.params();
        if params.len() < self.min || params.len() > self.max {
            let want = match (self.min, self.max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(other(format!(
                "`{}` takes {want} argument(s), got {}",
                self.name,
                params.len()
            )));
        }
        if !self.lenient {
            if let Some(missing) = params.iter().find(|p| p.is_value_missing()) {
                return Err(other(format!(
                    "`{}`: `{}` is undefined (use `default` for optional values)",
                    self.name,
                    missing.relative_path().map_or("?", String::as_str)
                )));
            }
        }
        // Most calls take few arguments: those are gathered without an allocation.
        let mut few = [&NULL; 4];
        let many: Vec<&Json>;
        let args: &[&Json] = if params.len() <= few.len() {
            for (slot, p) in few.iter_mut().zip(params) {
                *slot = p.value();
            }
            &few[..params.len()]
        } else {
            many = params.iter().map(|p| p.value()).collect();
            &many
        };
        let value = (self.body)(args).map_err(|m| other(format!("`{}`: {m}", self.name)))?;
        if matches!(&value, Json::String(s) if s.len() > self.max_text) {
            return Err(limit(LimitError::Text {
                max: self.max_text,
                helper: self.name,
            }));
        }
        Ok(ScopedJson::Derived(value))
    }
}

fn other(message: String) -> RenderError {
    RenderErrorReason::Other(message).into()
}

/// A limit as a render error (the renderer reports it with the template and target).
fn limit(e: LimitError) -> RenderError {
    RenderErrorReason::NestedError(Box::new(e)).into()
}

/// Registers every helper on `registry`.
pub(crate) fn register(registry: &mut Handlebars<'_>, max_output_bytes: usize, max_depth: usize) {
    let funcs: &[(&'static str, usize, usize, bool, Body)] = &[
        ("toYaml", 1, 1, false, to_yaml),
        ("toJson", 1, 1, false, to_json),
        ("indent", 2, 2, false, indent),
        ("nindent", 2, 2, false, nindent),
        ("quote", 0, usize::MAX, true, quote),
        ("squote", 0, usize::MAX, true, squote),
        ("default", 2, 2, true, default),
        ("required", 2, 2, true, required),
        ("empty", 1, 1, true, |a| Ok(Json::Bool(is_empty(a[0])))),
        ("coalesce", 1, usize::MAX, true, coalesce),
        ("hasKey", 2, 2, false, has_key),
        ("get", 2, 2, false, get),
        ("trunc", 2, 2, false, trunc),
        ("trimSuffix", 2, 2, false, trim_suffix),
        ("trimPrefix", 2, 2, false, trim_prefix),
        ("trim", 1, 1, false, |a| Ok(Json::from(strval(a[0]).trim()))),
        ("lower", 1, 1, false, |a| {
            Ok(Json::from(strval(a[0]).to_lowercase()))
        }),
        ("upper", 1, 1, false, |a| {
            Ok(Json::from(strval(a[0]).to_uppercase()))
        }),
        ("title", 1, 1, false, |a| {
            Ok(Json::from(title(&strval(a[0]))))
        }),
        ("replace", 3, 3, false, replace),
        ("contains", 2, 2, false, contains),
        ("join", 2, 2, false, join),
        ("b64enc", 1, 1, false, b64enc),
        ("sha256sum", 1, 1, false, sha256sum),
        ("toString", 1, 1, false, |a| Ok(Json::from(strval(a[0])))),
        ("int", 1, 1, false, |a| Ok(Json::from(to_int(a[0])))),
        ("add", 1, usize::MAX, false, add),
        ("le", 2, 2, false, |a| {
            Ok(Json::Bool(compare(a[0], a[1])?.is_le()))
        }),
        ("ge", 2, 2, false, |a| {
            Ok(Json::Bool(compare(a[0], a[1])?.is_ge()))
        }),
        ("printf", 1, usize::MAX, false, printf),
    ];
    for &(name, min, max, lenient, body) in funcs {
        registry.register_helper(
            name,
            Box::new(Func {
                name,
                min,
                max,
                lenient,
                body,
                max_text: max_output_bytes,
            }),
        );
    }
    registry.register_helper("each", Box::new(Each));
    registry.register_helper(
        "include",
        Box::new(Include {
            max_output_bytes,
            max_depth,
        }),
    );
    registry.register_helper("define", Box::new(MisplacedDefine));
}

/// `include "name" ctx`: renders the named template with `ctx` (default: the current context)
/// and returns the text, so that it can be piped: `(nindent 4 (include "x" this))`.
struct Include {
    max_output_bytes: usize,
    max_depth: usize,
}

impl HelperDef for Include {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let name = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| other("`include` takes a template name: `include \"x\" this`".into()))?;
        let data = match h.param(1) {
            None => ctx.data(),
            Some(p) if p.is_value_missing() => {
                return Err(other(format!(
                    "`include \"{name}\"`: `{}` is undefined",
                    p.relative_path().map_or("?", String::as_str)
                )))
            }
            Some(p) => p.value(),
        };
        let template = r.get_template(name).ok_or_else(|| {
            other(format!(
                "`include`: no template is named `{name}` (define it in templates/_*.tpl with {{{{#define \"{name}\"}}}}…{{{{/define}}}})"
            ))
        })?;
        // The included template gets its context as a copy would cost: one step, and one per
        // value in it (the budget stays what it was when every include copied).
        let root = memo::is_root(data);
        let values = if root {
            memo::root_nodes(|| nodes(data))
        } else {
            nodes(data)
        };
        charge_steps(1 + values).map_err(limit)?;
        let _level = IncludeLevel::enter(self.max_depth, name).map_err(limit)?;
        if !root {
            return self
                .execute(template, r, &Context::from(data.clone()))
                .map(|text| ScopedJson::Derived(Json::String(text)));
        }
        // The root context: its text is the same at every call of the render (see `memo`).
        let text = match memo::recall(name, self.max_output_bytes) {
            Some(text) => text,
            // `include "x" this` at the top level passes the whole context: shared, not copied.
            None if std::ptr::eq(data, ctx.data()) => {
                memo::remember(name, || self.execute(template, r, ctx))?
            }
            None => memo::remember(name, || {
                self.execute(template, r, &Context::from(data.clone()))
            })?,
        };
        Ok(ScopedJson::Derived(Json::String(text)))
    }
}

impl Include {
    /// Renders `template` with `ctx` into a text of at most the output bound.
    fn execute<'reg>(
        &self,
        template: &'reg handlebars::Template,
        r: &'reg Handlebars<'reg>,
        ctx: &Context,
    ) -> Result<String, RenderError> {
        let mut rc = RenderContext::new(template.name.as_ref());
        let mut out = LimitedOutput::new(self.max_output_bytes);
        let rendered = template.render(r, ctx, &mut rc, &mut out);
        if out.exceeded() {
            return Err(RenderErrorReason::NestedError(Box::new(LimitError::Output {
                max: self.max_output_bytes,
            }))
            .into());
        }
        rendered?;
        Ok(out.into_string())
    }
}

/// `{{#each}}` as handlebars' own (`@index`, `@key`, `@first`, `@last`, `as |item key|`,
/// `{{else}}` for an empty list or map, `../` paths), but each item is a step taken from the
/// target's budget before the loop starts: three loops nested over 1,000 items stop after the
/// budget, not after a billion items.
struct Each;

impl HelperDef for Each {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let value = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("each", 0))?;
        let Some(template) = h.template() else {
            return Ok(());
        };
        let items = match value.value() {
            Json::Array(list) => list.len(),
            Json::Object(map) => map.len(),
            _ => 0,
        };
        charge_steps(1 + u64::try_from(items).unwrap_or(u64::MAX)).map_err(limit)?;
        let base_path = value.context_path();
        match value.value() {
            Json::Array(list) if !list.is_empty() || h.inverse().is_none() => {
                rc.push_block(block_of(value));
                let len = list.len();
                for (i, v) in list.iter().enumerate() {
                    if let Some(block) = rc.block_mut() {
                        let index = Json::from(i);
                        block.set_local_var("first", Json::from(i == 0));
                        block.set_local_var("last", Json::from(i + 1 == len));
                        block.set_local_var("index", index.clone());
                        step_into(block, base_path, i.to_string(), i == 0, v);
                        set_block_params(block, h, base_path, &index, v)?;
                    }
                    template.render(r, ctx, rc, out)?;
                }
                rc.pop_block();
                Ok(())
            }
            Json::Object(map) if !map.is_empty() || h.inverse().is_none() => {
                rc.push_block(block_of(value));
                let len = map.len();
                for (i, (k, v)) in map.iter().enumerate() {
                    if let Some(block) = rc.block_mut() {
                        let key = Json::from(k.as_str());
                        block.set_local_var("first", Json::from(i == 0));
                        block.set_local_var("last", Json::from(i + 1 == len));
                        block.set_local_var("key", key.clone());
                        block.set_local_var("index", Json::from(i));
                        step_into(block, base_path, k.clone(), i == 0, v);
                        set_block_params(block, h, base_path, &key, v)?;
                    }
                    template.render(r, ctx, rc, out)?;
                }
                rc.pop_block();
                Ok(())
            }
            _ => match h.inverse() {
                Some(inverse) => inverse.render(r, ctx, rc, out),
                None if r.strict_mode() => Err(RenderError::strict_error(value.relative_path())),
                None => Ok(()),
            },
        }
    }
}

/// The block an `{{#each}}` pushes: the path of what it walks, or a copy of a computed value.
fn block_of<'rc>(param: &PathAndJson<'rc>) -> BlockContext<'rc> {
    let mut block = BlockContext::new();
    match param.context_path() {
        Some(path) => block.base_path_mut().clone_from(path),
        None => block.set_base_value(param.value().clone()),
    }
    block
}

/// Points the block at item `relative` of what it walks.
fn step_into(
    block: &mut BlockContext<'_>,
    base_path: Option<&Vec<String>>,
    relative: String,
    first: bool,
    value: &Json,
) {
    match base_path {
        Some(p) if first => {
            let mut path = p.clone();
            path.push(relative);
            *block.base_path_mut() = path;
        }
        Some(_) => {
            if let Some(last) = block.base_path_mut().last_mut() {
                *last = relative;
            }
        }
        None => block.set_base_value(value.clone()),
    }
}

/// `as |item|` and `as |item key|`.
fn set_block_params<'rc>(
    block: &mut BlockContext<'rc>,
    h: &Helper<'rc>,
    base_path: Option<&Vec<String>>,
    key: &Json,
    value: &Json,
) -> Result<(), RenderError> {
    let (item, key_name) = if let Some(item) = h.block_param() {
        (item, None)
    } else if let Some((item, key_name)) = h.block_param_pair() {
        (item, Some(key_name))
    } else {
        return Ok(());
    };
    let mut params = BlockParams::new();
    if base_path.is_some() {
        params.add_path(item, Vec::new())?;
    } else {
        params.add_value(item, value.clone())?;
    }
    if let Some(key_name) = key_name {
        params.add_value(key_name, key.clone())?;
    }
    block.set_block_params(params);
    Ok(())
}

/// Values in `v` (maps and lists count themselves and their items).
fn nodes(v: &Json) -> u64 {
    let mut n = 0u64;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        n = n.saturating_add(1);
        match v {
            Json::Array(items) => stack.extend(items),
            Json::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    n
}

/// `define` outside a `_*.tpl` file: say where definitions belong.
struct MisplacedDefine;

impl HelperDef for MisplacedDefine {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        _: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Err(other(
            "`define` blocks belong in templates/_*.tpl files, at the top level".into(),
        ))
    }
}

/// [`strval`], borrowed when the value is a string.
fn text(v: &Json) -> std::borrow::Cow<'_, str> {
    match v {
        Json::String(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(strval(other)),
    }
}

/// Text of a value as Go's `fmt.Sprint` gives it for JSON data; null is empty.
pub(crate) fn strval(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => number_text(n),
        other => sorted(other).to_string(),
    }
}

/// Go prints float64 values that hold integers without a fraction (`3`, not `3.0`).
fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

/// A copy with every map's keys in byte order, as Go's encoders write maps.
pub(crate) fn sorted(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut entries: Vec<(&String, &Json)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Sprig's emptiness: null, false, 0, "", and empty lists and maps.
pub(crate) fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(m) => m.is_empty(),
    }
}

fn to_yaml(a: &[&Json]) -> Result<Json, String> {
    let text = wo_core::yaml::to_string(&sorted(a[0]));
    Ok(Json::from(text.strip_suffix('\n').unwrap_or(&text)))
}

fn to_json(a: &[&Json]) -> Result<Json, String> {
    // Go's encoder escapes the characters that are special in HTML; they only occur in strings.
    let text = sorted(a[0]).to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(Json::from(out))
}

fn count(v: &Json) -> Result<usize, String> {
    usize::try_from(to_int(v)).map_err(|_| format!("expected a count, got {}", strval(v)))
}

fn indent_text(n: usize, s: &str) -> Result<String, String> {
    let lines = s.matches('\n').count() + 1;
    if n.saturating_mul(lines).saturating_add(s.len()) > MAX_HELPER_TEXT {
        return Err(format!("indenting by {n} would build more than 64 MiB"));
    }
    let pad = " ".repeat(n);
    // Every line, the first one too, after the pad: one pass, one allocation.
    let mut out = String::with_capacity(s.len() + n * lines);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&pad);
        out.push_str(line);
    }
    Ok(out)
}

fn indent(a: &[&Json]) -> Result<Json, String> {
    Ok(Json::from(indent_text(count(a[0])?, &text(a[1]))?))
}

fn nindent(a: &[&Json]) -> Result<Json, String> {
    Ok(Json::from(format!(
        "\n{}",
        indent_text(count(a[0])?, &text(a[1]))?
    )))
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn quote(a: &[&Json]) -> Result<Json, String> {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| go_quote(&text(v)))
        .collect();
    Ok(Json::from(parts.join(" ")))
}

fn squote(a: &[&Json]) -> Result<Json, String> {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| format!("'{}'", strval(v)))
        .collect();
    Ok(Json::from(parts.join(" ")))
}

fn default(a: &[&Json]) -> Result<Json, String> {
    Ok(if is_empty(a[1]) { a[0] } else { a[1] }.clone())
}

fn required(a: &[&Json]) -> Result<Json, String> {
    match a[1] {
        Json::Null => Err(strval(a[0])),
        Json::String(s) if s.is_empty() => Err(strval(a[0])),
        v => Ok(v.clone()),
    }
}

fn coalesce(a: &[&Json]) -> Result<Json, String> {
    Ok(a.iter()
        .find(|v| !is_empty(v))
        .map_or(Json::Null, |v| (*v).clone()))
}

fn has_key(a: &[&Json]) -> Result<Json, String> {
    match a[0] {
        Json::Object(m) => Ok(Json::Bool(m.contains_key(&strval(a[1])))),
        other => Err(format!(
            "expected a map, got {}",
            wo_core::value::brief(other)
        )),
    }
}

fn get(a: &[&Json]) -> Result<Json, String> {
    match a[0] {
        Json::Object(m) => Ok(m.get(&strval(a[1])).cloned().unwrap_or(Json::from(""))),
        other => Err(format!(
            "expected a map, got {}",
            wo_core::value::brief(other)
        )),
    }
}

/// Largest char boundary at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn trunc(a: &[&Json]) -> Result<Json, String> {
    let n = to_int(a[0]);
    let s = strval(a[1]);
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    // Sprig counts bytes; a negative count keeps the end.
    let out = if n < 0 && len + n > 0 {
        let start = usize::try_from(len + n).unwrap_or(0);
        &s[floor_boundary(&s, start)..]
    } else if n >= 0 && len > n {
        &s[..floor_boundary(&s, usize::try_from(n).unwrap_or(0))]
    } else {
        &s
    };
    Ok(Json::from(out))
}

fn trim_suffix(a: &[&Json]) -> Result<Json, String> {
    let (suffix, s) = (strval(a[0]), strval(a[1]));
    Ok(Json::from(s.strip_suffix(suffix.as_str()).unwrap_or(&s)))
}

fn trim_prefix(a: &[&Json]) -> Result<Json, String> {
    let (prefix, s) = (strval(a[0]), strval(a[1]));
    Ok(Json::from(s.strip_prefix(prefix.as_str()).unwrap_or(&s)))
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
fn title(s: &str) -> String {
    let separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            !c.is_alphanumeric() && c.is_whitespace()
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if separator(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn replace(a: &[&Json]) -> Result<Json, String> {
    let (old, new, s) = (strval(a[0]), strval(a[1]), strval(a[2]));
    if old.is_empty() {
        return Err("the text to replace is empty".into());
    }
    let grown = s.matches(old.as_str()).count().saturating_mul(new.len());
    if grown.saturating_add(s.len()) > MAX_HELPER_TEXT {
        return Err("the result would be more than 64 MiB".into());
    }
    Ok(Json::from(s.replace(&old, &new)))
}

fn contains(a: &[&Json]) -> Result<Json, String> {
    Ok(Json::Bool(text(a[1]).contains(text(a[0]).as_ref())))
}

fn join(a: &[&Json]) -> Result<Json, String> {
    let sep = strval(a[0]);
    match a[1] {
        Json::Array(items) => Ok(Json::from(
            items.iter().map(strval).collect::<Vec<_>>().join(&sep),
        )),
        other => Ok(Json::from(strval(other))),
    }
}

fn b64enc(a: &[&Json]) -> Result<Json, String> {
    Ok(Json::from(
        base64::engine::general_purpose::STANDARD.encode(text(a[0]).as_bytes()),
    ))
}

fn sha256sum(a: &[&Json]) -> Result<Json, String> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = sha2::Sha256::digest(text(a[0]).as_bytes());
    let mut out = String::with_capacity(2 * digest.len());
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    Ok(Json::from(out))
}

/// Sprig's `int`: numbers truncate, numeric strings parse, anything else is 0.
pub(crate) fn to_int(v: &Json) -> i64 {
    match v {
        Json::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Json::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().map(|f| f as i64))
            .unwrap_or(0),
        Json::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

fn add(a: &[&Json]) -> Result<Json, String> {
    a.iter()
        .try_fold(0i64, |sum, v| sum.checked_add(to_int(v)))
        .map(Json::from)
        .ok_or_else(|| "the sum overflows".into())
}

fn compare(x: &Json, y: &Json) -> Result<std::cmp::Ordering, String> {
    match (x, y) {
        (Json::Number(a), Json::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b))
            .ok_or_else(|| "the numbers do not compare".into()),
        (Json::String(a), Json::String(b)) => Ok(a.cmp(b)),
        _ => Err(format!(
            "cannot compare {} with {}",
            wo_core::value::type_name(x),
            wo_core::value::type_name(y)
        )),
    }
}

/// A small `printf`: `%s`, `%v`, `%d`, `%q` and `%%`.
fn printf(a: &[&Json]) -> Result<Json, String> {
    let format = strval(a[0]);
    let mut args = a[1..].iter();
    let mut out = String::with_capacity(format.len());
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("the format ends with `%`")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .next()
            .ok_or_else(|| format!("no argument for `%{verb}`"))?;
        match verb {
            's' | 'v' => out.push_str(&strval(arg)),
            'd' => out.push_str(&to_int(arg).to_string()),
            'q' => out.push_str(&go_quote(&strval(arg))),
            other => return Err(format!("`%{other}` is not supported (use %s %v %d %q %%)")),
        }
    }
    if args.next().is_some() {
        return Err("more arguments than the format uses".into());
    }
    Ok(Json::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(body: Body, args: &[Json]) -> Result<Json, String> {
        body(&args.iter().collect::<Vec<_>>())
    }

    #[test]
    fn trunc_counts_from_either_end() {
        assert_eq!(call(trunc, &[json!(3), json!("abcdef")]), Ok(json!("abc")));
        assert_eq!(call(trunc, &[json!(-2), json!("abcdef")]), Ok(json!("ef")));
        assert_eq!(call(trunc, &[json!(10), json!("abc")]), Ok(json!("abc")));
        assert_eq!(call(trunc, &[json!(2), json!("é!")]), Ok(json!("é")));
    }

    #[test]
    fn quote_escapes_like_go_and_skips_null() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
        assert_eq!(call(quote, &[Json::Null]), Ok(json!("")));
        assert_eq!(call(quote, &[json!(3)]), Ok(json!("\"3\"")));
        assert_eq!(call(squote, &[json!("x")]), Ok(json!("'x'")));
    }

    #[test]
    fn default_uses_sprig_emptiness() {
        assert_eq!(call(default, &[json!("x"), json!("")]), Ok(json!("x")));
        assert_eq!(call(default, &[json!("x"), json!(0)]), Ok(json!("x")));
        assert_eq!(call(default, &[json!("x"), json!(false)]), Ok(json!("x")));
        assert_eq!(call(default, &[json!("x"), json!("y")]), Ok(json!("y")));
    }

    #[test]
    fn to_yaml_and_to_json_sort_keys_like_go() {
        let v = json!({"z": 1, "a": {"k": "on", "b": "<&>"}});
        assert_eq!(
            call(to_yaml, std::slice::from_ref(&v)),
            Ok(json!("a:\n  b: <&>\n  k: 'on'\nz: 1"))
        );
        assert_eq!(
            call(to_json, &[v]),
            Ok(json!(r#"{"a":{"b":"\u003c\u0026\u003e","k":"on"},"z":1}"#))
        );
    }

    #[test]
    fn strings_helpers_follow_sprig() {
        assert_eq!(title("hello wide-world"), "Hello Wide-World");
        assert_eq!(
            call(nindent, &[json!(2), json!("a\nb")]),
            Ok(json!("\n  a\n  b"))
        );
        assert_eq!(
            call(trim_suffix, &[json!("-"), json!("ab-")]),
            Ok(json!("ab"))
        );
        assert_eq!(
            call(replace, &[json!("."), json!("-"), json!("a.b.c")]),
            Ok(json!("a-b-c"))
        );
        assert_eq!(call(b64enc, &[json!("hi")]), Ok(json!("aGk=")));
        assert_eq!(call(b64enc, &[json!(3.0)]), Ok(json!("Mw==")));
        assert_eq!(
            call(sha256sum, &[json!("abc")]),
            Ok(json!(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
        assert_eq!(call(contains, &[json!("b"), json!("abc")]), Ok(json!(true)));
        assert_eq!(call(contains, &[json!(2), json!(123)]), Ok(json!(true)));
        assert!(call(indent, &[json!(1_000_000_000_000i64), json!("x")]).is_err());
        for text in ["", "a", "a\n", "\n\nb\n c", "é\n"] {
            let pad = "   ";
            let expected = format!("{pad}{}", text.replace('\n', &format!("\n{pad}")));
            assert_eq!(call(indent, &[json!(3), json!(text)]), Ok(json!(expected)));
        }
        assert_eq!(
            call(sha256sum, &[json!("")]),
            Ok(json!(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            ))
        );
    }

    #[test]
    fn numbers_follow_go() {
        assert_eq!(strval(&json!(3.0)), "3");
        assert_eq!(strval(&json!(2.5)), "2.5");
        assert_eq!(to_int(&json!("42")), 42);
        assert_eq!(call(add, &[json!(1), json!("2"), json!(3.9)]), Ok(json!(6)));
        assert_eq!(
            call(
                printf,
                &[json!("%s-%d %q 100%%"), json!("a"), json!(2), json!("b")]
            ),
            Ok(json!("a-2 \"b\" 100%"))
        );
        assert!(call(printf, &[json!("%x"), json!(1)]).is_err());
    }

    #[test]
    fn required_fails_on_null_and_empty_text() {
        assert_eq!(
            call(required, &[json!("need x"), Json::Null]),
            Err("need x".into())
        );
        assert_eq!(
            call(required, &[json!("need x"), json!("")]),
            Err("need x".into())
        );
        assert_eq!(call(required, &[json!("need x"), json!(0)]), Ok(json!(0)));
    }
}
