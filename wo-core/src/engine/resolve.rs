//! Composition, validation and template evaluation for the targets of one environment.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::resolved::{Provenance, ResolvedConfig, Source};
use super::Bundle;
use crate::error::{Diagnostic, Error, Location, Result};
use crate::expr::{ExprError, Field, Scope};
use crate::format::fleet::{Fleet, Target};
use crate::format::schema::Rule;
use crate::format::template::{TemplateKey, TemplateNode};
use crate::format::values::{Level, ValueFile, ValueSet};
use crate::format::{closest, join_path, Collector};
use crate::value::{brief, get_path, type_name, Map, Value};
use crate::yaml::{Node, NodeKind};

/// One value a file sets for a key.
#[derive(Debug)]
struct Setting {
    key: usize,
    value: Value,
    line: u32,
}

/// The settings of one value file, checked.
#[derive(Debug)]
struct CheckedFile<'a> {
    file: &'a ValueFile,
    settings: Vec<Setting>,
}

/// What supplies a key's value for one target.
#[derive(Debug, Clone, Copy)]
enum Supply<'a> {
    Default(&'a Value),
    File {
        value: &'a Value,
        file: usize,
        line: u32,
    },
}

impl<'a> Supply<'a> {
    fn value(&self) -> &'a Value {
        match self {
            Supply::Default(v) | Supply::File { value: v, .. } => v,
        }
    }
}

/// The value files of one environment, checked against a bundle and a fleet, ready to resolve
/// any target. Building it checks every file once (unknown keys, `editableAt`, each value
/// against its key's rules); [`Resolver::resolve`] then does the per-target work only.
#[derive(Debug)]
pub struct Resolver<'a> {
    bundle: &'a Bundle,
    fleet: &'a Fleet,
    rules: Vec<&'a Rule>,
    index: HashMap<&'a str, usize>,
    files: Vec<CheckedFile<'a>>,
    environment_file: Option<usize>,
    level_files: HashMap<(&'a str, &'a str), usize>,
    target_files: HashMap<&'a str, usize>,
}

impl<'a> Resolver<'a> {
    /// Checks `values` against `bundle` and `fleet`, reporting every problem at once.
    pub fn new(bundle: &'a Bundle, values: &'a ValueSet, fleet: &'a Fleet) -> Result<Self> {
        let rules: Vec<&Rule> = bundle.rules.values().collect();
        let index: HashMap<&str, usize> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.as_str(), i))
            .collect();
        let prefixes: HashSet<&str> = rules
            .iter()
            .flat_map(|r| r.key.match_indices('.').map(move |(i, _)| &r.key[..i]))
            .collect();
        let mut c = Collector::default();
        for rule in &rules {
            if let Some(d) = &rule.default_value {
                for msg in check_value(rule, d) {
                    c.push(Diagnostic::new(
                        rule.location.clone(),
                        format!("defaultValue of `{}`: {msg}", rule.key),
                    ));
                }
            }
        }
        let mut r = Resolver {
            bundle,
            fleet,
            rules,
            index,
            files: Vec::new(),
            environment_file: None,
            level_files: HashMap::new(),
            target_files: HashMap::new(),
        };
        // Looked up once per target file: a scan of the fleet each would make the check
        // quadratic in the number of targets.
        let targets: HashSet<&str> = fleet.targets.iter().map(|t| t.name.as_str()).collect();
        for file in &values.files {
            if !r.level_known(file, &targets, &mut c) {
                continue;
            }
            let mut settings = Vec::new();
            r.flatten(file, &file.node, "", &prefixes, &mut settings, &mut c);
            let idx = r.files.len();
            match &file.level {
                Level::Environment => r.environment_file = Some(idx),
                Level::Hierarchy { level, node } => {
                    r.level_files.insert((level.as_str(), node.as_str()), idx);
                }
                Level::Target(t) => {
                    r.target_files.insert(t.as_str(), idx);
                }
            }
            r.files.push(CheckedFile { file, settings });
        }
        c.finish(r)
    }

    fn level_known(&self, file: &ValueFile, targets: &HashSet<&str>, c: &mut Collector) -> bool {
        let loc = Location::file(&file.file);
        match &file.level {
            Level::Environment => true,
            Level::Hierarchy { level, .. } => {
                if self.fleet.hierarchy.contains(level) {
                    return true;
                }
                let mut d = Diagnostic::new(
                    loc,
                    format!(
                        "`{level}` is not a hierarchy level of environment `{}` (levels: {})",
                        self.fleet.environment,
                        self.fleet.hierarchy.join(", ")
                    ),
                );
                if let Some(s) = closest(level, self.fleet.hierarchy.iter().map(String::as_str)) {
                    d = d.with_hint(format!("did you mean `levels/{s}/`?"));
                }
                c.push(d);
                false
            }
            Level::Target(t) => {
                if targets.contains(t.as_str()) {
                    return true;
                }
                let mut d = Diagnostic::new(
                    loc,
                    format!(
                        "no target `{t}` in the fleet of environment `{}`",
                        self.fleet.environment
                    ),
                );
                if let Some(s) = closest(t, self.fleet.targets.iter().map(|t| t.name.as_str())) {
                    d = d.with_hint(format!("did you mean `targets/{s}.yaml`?"));
                }
                c.push(d);
                false
            }
        }
    }

    /// Matches a value file's mapping against the schema keys (plain or dotted), checking each
    /// value against its rules and its level against `editableAt`.
    fn flatten(
        &self,
        file: &ValueFile,
        node: &Node,
        prefix: &str,
        prefixes: &HashSet<&str>,
        out: &mut Vec<Setting>,
        c: &mut Collector,
    ) {
        let NodeKind::Map(entries) = &node.kind else {
            return;
        };
        for (k, v) in entries {
            let name = match &k.kind {
                NodeKind::Str(s) => s.clone(),
                NodeKind::Int(i) => i.to_string(),
                NodeKind::Bool(b) => b.to_string(),
                _ => String::new(),
            };
            let key = join_path(prefix, &name);
            let at = Location::file(&file.file)
                .with_key(file.key_path(&key))
                .at(v.line, v.column);
            if let Some(&i) = self.index.get(key.as_str()) {
                let rule = self.rules[i];
                if !rule.editable_at(file.level.name()) {
                    let allowed = rule.editable_at.as_deref().unwrap_or_default().join(", ");
                    c.push(
                        Diagnostic::new(
                            Location::file(&file.file).with_key(file.key_path(&key)).at(k.line, k.column),
                            format!("`{key}` may not be set at level `{}`; its editableAt allows: {allowed}", file.level.name()),
                        )
                        .with_hint(format!("move it to a value file of level {allowed}")),
                    );
                    continue;
                }
                let value = match v.to_value_under(&file.file, &file.key_path(&key)) {
                    Ok(value) => value,
                    Err(e) => {
                        let _ = c.take::<()>(Err(e));
                        continue;
                    }
                };
                for msg in check_value(rule, &value) {
                    c.push(Diagnostic::new(at.clone(), format!("`{key}`: {msg}")));
                }
                out.push(Setting {
                    key: i,
                    value,
                    line: v.line,
                });
            } else if prefixes.contains(key.as_str()) && matches!(v.kind, NodeKind::Map(_)) {
                self.flatten(file, v, &key, prefixes, out, c);
            } else {
                let mut d = Diagnostic::new(
                    Location::file(&file.file)
                        .with_key(file.key_path(&key))
                        .at(k.line, k.column),
                    format!(
                        "`{key}` is not a key of the schema of `{}`",
                        self.bundle.name()
                    ),
                );
                if let Some(s) = closest(&key, self.rules.iter().map(|r| r.key.as_str())) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                c.push(d);
            }
        }
    }

    /// The targets of the fleet assigned this solution.
    pub fn targets(&self) -> Result<Vec<&'a Target>> {
        self.fleet.assigned_targets(
            self.bundle.name(),
            &self.bundle.app.capabilities,
            "fleet.yaml",
        )
    }

    /// Resolves one target: composition (lowest level wins, defaults fill the rest), every
    /// per-target rule (`required`, per-key `expression`, `rules.validations`), then the
    /// template. All problems are reported at once.
    pub fn resolve(&self, target: &Target) -> Result<ResolvedConfig> {
        self.resolve_with(target, true)
    }

    /// [`Resolver::resolve`] without provenance: the same values and errors, for a render,
    /// which needs only the values (`ResolvedConfig::provenance` is empty).
    ///
    /// # Errors
    /// As [`Resolver::resolve`].
    pub fn resolve_values(&self, target: &Target) -> Result<ResolvedConfig> {
        self.resolve_with(target, false)
    }

    fn resolve_with(&self, target: &Target, provenance: bool) -> Result<ResolvedConfig> {
        let supplies = self.compose(target);
        let view = target_view(target, self.fleet);
        let scope = TargetScope {
            r: self,
            supplies: &supplies,
            view: &view,
            memo: RefCell::new(HashMap::new()),
            stack: RefCell::new(Vec::new()),
            spent: Cell::new(0),
            exhausted: Cell::new(false),
            provenance,
        };
        let mut c = Collector::default();
        let t = &target.name;
        for (i, rule) in self.rules.iter().enumerate() {
            match &supplies[i] {
                None if rule.required => c.push(
                    Diagnostic::new(
                        rule.location.clone(),
                        format!("required key `{}` has no value for target `{t}`", rule.key),
                    )
                    .with_hint("set it in a value file or give it a defaultValue"),
                ),
                _ => {}
            }
            if let Some(expr) = &rule.expression {
                let at = self.supply_location(&supplies[i], rule);
                match expr.eval(&scope) {
                    Ok(Value::Bool(true)) => {}
                    Ok(Value::Bool(false)) => {
                        let v = supplies[i].map(|s| brief(s.value())).unwrap_or_else(|| "null".into());
                        c.push(Diagnostic::new(
                            at,
                            format!("`{}` = {v} fails its rule expression `{}` for target `{t}`", rule.key, expr.source),
                        ));
                    }
                    Ok(other) => c.push(Diagnostic::new(
                        at,
                        format!("the rule expression of `{}` must give a boolean, gave {} for target `{t}`", rule.key, type_name(&other)),
                    )),
                    Err(e) => c.push(expr_error(&rule.location, &e, t)),
                }
            }
        }
        for v in &self.bundle.validations {
            match v.expression.eval(&scope) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => c.push(Diagnostic::new(
                    v.location.clone(),
                    match &v.message {
                        Some(m) => format!(
                            "{m} (validation `{}` is false for target `{t}`)",
                            v.expression.source
                        ),
                        None => format!(
                            "validation `{}` is false for target `{t}`",
                            v.expression.source
                        ),
                    },
                )),
                Ok(other) => c.push(Diagnostic::new(
                    v.location.clone(),
                    format!(
                        "validation `{}` must give a boolean, gave {} for target `{t}`",
                        v.expression.source,
                        type_name(&other)
                    ),
                )),
                Err(e) => c.push(expr_error(&v.location, &e, t)),
            }
        }
        c.check()?;
        let mut provenance = IndexMap::new();
        let values = match &self.bundle.template {
            Some(tpl) => match scope.walk(&tpl.configs, "", &mut provenance, &mut c) {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            None => self.values_without_template(&supplies, &mut provenance),
        };
        if !scope.provenance {
            provenance.clear();
        }
        c.finish(ResolvedConfig {
            target: target.name.clone(),
            values,
            provenance,
        })
    }

    /// Per key, the lowest level that sets it, else its default.
    fn compose(&self, target: &Target) -> Vec<Option<Supply<'_>>> {
        let mut supplies: Vec<Option<Supply<'_>>> = self
            .rules
            .iter()
            .map(|r| r.default_value.as_ref().map(Supply::Default))
            .collect();
        let mut apply = |idx: Option<usize>| {
            if let Some(fi) = idx {
                for s in &self.files[fi].settings {
                    supplies[s.key] = Some(Supply::File {
                        value: &s.value,
                        file: fi,
                        line: s.line,
                    });
                }
            }
        };
        apply(self.environment_file);
        for level in &self.fleet.hierarchy {
            if let Some(node) = target.hierarchy.get(level) {
                apply(self.level_files.get(&(level.as_str(), node)).copied());
            }
        }
        apply(self.target_files.get(target.name.as_str()).copied());
        supplies
    }

    fn supply_location(&self, s: &Option<Supply<'_>>, rule: &Rule) -> Location {
        match s {
            Some(Supply::File { file, line, .. }) => {
                let f = self.files[*file].file;
                Location::file(&f.file)
                    .with_key(f.key_path(&rule.key))
                    .at(*line, 1)
            }
            _ => rule.location.clone(),
        }
    }

    fn provenance_of(&self, s: &Option<Supply<'_>>, rule: &Rule) -> Provenance {
        match s {
            Some(Supply::File { file, line, .. }) => {
                let f = self.files[*file].file;
                Provenance {
                    source: Source::File,
                    file: Some(f.file.clone()),
                    level: Some(f.level.name().to_string()),
                    line: Some(*line),
                    expression: None,
                }
            }
            _ => Provenance {
                source: Source::Default,
                file: Some(rule.location.file.clone()),
                level: None,
                line: rule.location.line,
                expression: None,
            },
        }
    }

    fn values_without_template(
        &self,
        supplies: &[Option<Supply<'_>>],
        provenance: &mut IndexMap<String, Provenance>,
    ) -> Map {
        let mut root = Value::Object(Map::new());
        for (i, rule) in self.rules.iter().enumerate() {
            let value = supplies[i]
                .map(|s| s.value().clone())
                .unwrap_or(Value::Null);
            set_path(&mut root, &rule.key, value);
            provenance.insert(rule.key.clone(), self.provenance_of(&supplies[i], rule));
        }
        match root {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

/// Places `value` at a dotted path, creating maps on the way.
fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut cur = root;
    let mut segs = path.split('.').peekable();
    while let Some(seg) = segs.next() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if segs.peek().is_none() {
            m.insert(seg.to_string(), value);
            return;
        }
        cur = m
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// The `$target(…)` view of a target.
fn target_view(t: &Target, fleet: &Fleet) -> Value {
    serde_json::json!({
        "name": t.name,
        "environment": fleet.environment,
        "labels": t.labels,
        "hierarchy": t.hierarchy,
        "capabilities": t.capabilities,
        "id": t.orchestrator.as_ref().and_then(|o| o.id.clone()),
    })
}

fn expr_error(at: &Location, e: &ExprError, target: &str) -> Diagnostic {
    let mut loc = at.clone();
    if let Some(col) = loc.column {
        loc.column = Some(col + e.span.start as u32);
    }
    let d = Diagnostic::new(loc, format!("{} (target `{target}`)", e.message));
    match &e.hint {
        Some(h) => d.with_hint(h.clone()),
        None => d,
    }
}

/// Checks a value against the rules that do not depend on other keys. Returns one message per
/// violation.
///
/// A null is a value like any other (see [`check_null`]); an empty string too: it must match
/// the `pattern` and be among the `allowedValues`.
pub(crate) fn check_value(rule: &Rule, v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if v.is_null() {
        return check_null(rule);
    }
    if let Some(t) = &rule.value_type {
        if !t.admits(v) {
            let hint = if matches!(t, crate::format::schema::ValueType::String)
                && (v.is_number() || v.is_boolean())
            {
                " (quote it to make it a string)"
            } else {
                ""
            };
            out.push(format!(
                "expected {t}, found {} {}{hint}",
                type_name(v),
                brief(v)
            ));
            return out;
        }
    }
    if let Some(allowed) = &rule.allowed_values {
        if !allowed.iter().any(|a| values_equal(a, v)) {
            let list = allowed.iter().map(brief).collect::<Vec<_>>().join(", ");
            out.push(format!(
                "{} is not one of the allowed values [{list}]",
                brief(v)
            ));
        }
    }
    if let Some(disallowed) = &rule.disallowed_values {
        if disallowed.iter().any(|a| values_equal(a, v)) {
            out.push(format!("{} is a disallowed value", brief(v)));
        }
    }
    if let (Some(p), Some(s)) = (&rule.pattern, v.as_str()) {
        if !p.is_match(s) {
            out.push(format!(
                "{} does not match the pattern `{}`",
                brief(v),
                p.as_str()
            ));
        }
    }
    if let Some(n) = v.as_f64() {
        if let Some(lo) = rule.min_value {
            if n < lo {
                out.push(format!("{} is below minValue {lo}", brief(v)));
            }
        }
        if let Some(hi) = rule.max_value {
            if n > hi {
                out.push(format!("{} is above maxValue {hi}", brief(v)));
            }
        }
    }
    out
}

/// The rules a null written in a value file must satisfy: a null is an explicit value, not an
/// absent one. It satisfies no `required`, no `type`, no `pattern` and no `minValue`/
/// `maxValue`; it satisfies `allowedValues` only when they list null, and `disallowedValues`
/// unless they do. So a null can set (and override) only a key whose schema allows it.
fn check_null(rule: &Rule) -> Vec<String> {
    let unset = "remove the key to keep the value a higher level or the default gives";
    if rule.required {
        return vec![format!(
            "null is not a value of a required key ({unset}, or give it a value)"
        )];
    }
    if let Some(t) = &rule.value_type {
        return vec![format!("expected {t}, found null ({unset})")];
    }
    let mut out = Vec::new();
    if let Some(allowed) = &rule.allowed_values {
        if !allowed.iter().any(Value::is_null) {
            let list = allowed.iter().map(brief).collect::<Vec<_>>().join(", ");
            out.push(format!("null is not one of the allowed values [{list}]"));
        }
    }
    if let Some(disallowed) = &rule.disallowed_values {
        if disallowed.iter().any(Value::is_null) {
            out.push("null is a disallowed value".to_string());
        }
    }
    if let Some(p) = &rule.pattern {
        out.push(format!(
            "null does not match the pattern `{}` (a pattern needs a string)",
            p.as_str()
        ));
    }
    for (name, bound) in [("minValue", rule.min_value), ("maxValue", rule.max_value)] {
        if let Some(b) = bound {
            out.push(format!("null is not a number ({name} {b})"));
        }
    }
    out
}

/// Equality where numbers compare by value (5 == 5.0).
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// Most bytes of values one target's evaluation may copy (see [`crate::expr::value_size`]):
/// every value `$val` and `$property` return and every value the template walk produces is
/// charged, so a template whose keys copy each other twice at each step (`p2: ${{
/// $property(p1) + $property(p1) }}`, or maps holding two copies of the one before) stops with
/// an error naming the key instead of taking the machine's memory.
pub const MAX_TARGET_EVAL_BYTES: usize = 64 << 20;

/// What expressions of one target see.
struct TargetScope<'s, 'a> {
    r: &'s Resolver<'a>,
    supplies: &'s [Option<Supply<'s>>],
    view: &'s Value,
    memo: RefCell<HashMap<String, Value>>,
    stack: RefCell<Vec<String>>,
    /// Bytes of values copied so far, against [`MAX_TARGET_EVAL_BYTES`].
    spent: Cell<usize>,
    /// Whether a budget stopped an evaluation: the rest of the template is skipped, so that
    /// the key that ran out is the one reported (not every key that depends on it).
    exhausted: Cell<bool>,
    /// Whether provenance is recorded.
    provenance: bool,
}

impl Scope for TargetScope<'_, '_> {
    fn val(&self, path: &str) -> std::result::Result<Value, String> {
        let v = self.lookup_val(path)?;
        self.charge(&v, || format!("`$val({path})`"))?;
        Ok(v)
    }

    fn property(&self, path: &str) -> std::result::Result<Value, String> {
        let memo = self.memo.borrow().get(path).cloned();
        if let Some(v) = memo {
            self.charge(&v, || format!("`$property({path})`"))?;
            return Ok(v);
        }
        let Some(tpl) = &self.r.bundle.template else {
            return Err(format!(
                "`$property({path})`: the solution has no configuration template"
            ));
        };
        let Some(node) = find_node(&tpl.configs, path) else {
            return Err(format!(
                "`$property({path})`: no key `{path}` in the configuration template"
            ));
        };
        {
            let mut stack = self.stack.borrow_mut();
            if stack.iter().any(|p| p == path) {
                let chain = stack
                    .iter()
                    .chain(std::iter::once(&path.to_string()))
                    .cloned()
                    .collect::<Vec<_>>();
                return Err(format!("`$property` cycle: {}", chain.join(" -> ")));
            }
            stack.push(path.to_string());
        }
        let result = self.eval_node(node);
        self.stack.borrow_mut().pop();
        let v = result?;
        self.charge(&v, || format!("`$property({path})`"))?;
        self.memo.borrow_mut().insert(path.to_string(), v.clone());
        Ok(v)
    }

    fn target(&self, path: &str) -> std::result::Result<Value, String> {
        get_path(self.view, path).cloned().ok_or_else(|| {
            format!("`$target({path})`: a target has name, environment, id, labels.<key>, hierarchy.<level>, capabilities")
        })
    }

    fn source(&self, field: &str) -> std::result::Result<Value, String> {
        match &self.r.bundle.source {
            Some(commit) => commit.field(field),
            None => Err(format!(
                "`$source({field})`: the bundle was read from a directory, not from a commit of the source repo, so there is no source commit; render from the source repo (a commit, branch or tag)"
            )),
        }
    }
}

impl TargetScope<'_, '_> {
    /// `$val(path)` before it is charged.
    fn lookup_val(&self, path: &str) -> std::result::Result<Value, String> {
        if let Some(&i) = self.r.index.get(path) {
            return Ok(self.supplies[i]
                .map(|s| s.value().clone())
                .unwrap_or(Value::Null));
        }
        // A path below an object key: `$val(Db.Host)` with a key `Db` of type object.
        let mut cut = path.len();
        while let Some(dot) = path[..cut].rfind('.') {
            cut = dot;
            if let Some(&i) = self.r.index.get(&path[..cut]) {
                let base = self.supplies[i].map(|s| s.value()).unwrap_or(&Value::Null);
                return Ok(get_path(base, &path[cut + 1..])
                    .cloned()
                    .unwrap_or(Value::Null));
            }
        }
        let mut m = format!("`$val({path})`: `{path}` is not a key of the schema");
        if let Some(s) = closest(path, self.r.rules.iter().map(|r| r.key.as_str())) {
            m.push_str(&format!("; did you mean `{s}`?"));
        }
        Err(m)
    }

    /// Charges a copied value to the target's budget; past it, an error naming `what`.
    fn charge(&self, v: &Value, what: impl FnOnce() -> String) -> std::result::Result<(), String> {
        let left = MAX_TARGET_EVAL_BYTES.saturating_sub(self.spent.get());
        let size = crate::expr::value_size(v, left);
        if size > left {
            self.exhausted.set(true);
            return Err(format!(
                "{}: the values evaluated for target `{}` add up to more than {} MiB (budget: MAX_TARGET_EVAL_BYTES); does a chain of `$property` copy a value more than once at each step?",
                what(),
                self.view["name"].as_str().unwrap_or_default(),
                MAX_TARGET_EVAL_BYTES >> 20
            ));
        }
        self.spent.set(self.spent.get() + size);
        Ok(())
    }

    fn eval_node(&self, node: &TemplateNode) -> std::result::Result<Value, String> {
        Ok(match node {
            TemplateNode::Literal(v, _) => v.clone(),
            TemplateNode::Field(f, _) => f.eval(self).map_err(|e| {
                if e.budget {
                    self.exhausted.set(true);
                }
                e.message
            })?,
            TemplateNode::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    if let TemplateKey::Name(n) = k {
                        m.insert(n.clone(), self.eval_node(v)?);
                    }
                }
                Value::Object(m)
            }
            TemplateNode::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.eval_node(i))
                    .collect::<std::result::Result<_, _>>()?,
            ),
        })
    }

    /// Evaluates the template tree, recording provenance for each leaf.
    fn walk(
        &self,
        node: &TemplateNode,
        path: &str,
        prov: &mut IndexMap<String, Provenance>,
        c: &mut Collector,
    ) -> Value {
        match node {
            TemplateNode::Literal(v, _) if !self.provenance => v.clone(),
            TemplateNode::Literal(v, loc) => {
                prov.insert(
                    path.to_string(),
                    Provenance {
                        source: Source::File,
                        file: Some(loc.file.clone()),
                        level: Some("template".into()),
                        line: loc.line,
                        expression: None,
                    },
                );
                v.clone()
            }
            TemplateNode::Field(f, loc) => {
                if self.exhausted.get() {
                    // Out of budget: the key that ran out is reported already.
                    return Value::Null;
                }
                let cached = self.memo.borrow().get(path).cloned();
                let result = match cached {
                    Some(v) => Ok(v),
                    None => {
                        self.stack.borrow_mut().push(path.to_string());
                        let r = f.eval(self);
                        self.stack.borrow_mut().pop();
                        r
                    }
                }
                .and_then(|v| {
                    self.charge(&v, || format!("`{path}`"))
                        .map(|()| v)
                        .map_err(|m| ExprError::new(m, crate::expr::Span::default()))
                });
                match result {
                    Ok(v) => {
                        self.memo.borrow_mut().insert(path.to_string(), v.clone());
                        if self.provenance {
                            prov.insert(path.to_string(), self.field_provenance(f, loc));
                        }
                        v
                    }
                    Err(e) => {
                        if e.budget {
                            self.exhausted.set(true);
                        }
                        c.push(expr_error(
                            loc,
                            &e,
                            self.view["name"].as_str().unwrap_or_default(),
                        ));
                        Value::Null
                    }
                }
            }
            TemplateNode::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    if let TemplateKey::Name(n) = k {
                        let child = crate::key_path::join(path, n);
                        let value = self.walk(v, &child, prov, c);
                        m.insert(n.clone(), value);
                    }
                }
                Value::Object(m)
            }
            TemplateNode::Seq(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        self.walk(n, &crate::key_path::join(path, &i.to_string()), prov, c)
                    })
                    .collect(),
            ),
        }
    }

    fn field_provenance(&self, f: &Field, loc: &Location) -> Provenance {
        if let Some(key) = f.as_val_ref() {
            if let Some(&i) = self.r.index.get(key) {
                let mut p = self.r.provenance_of(&self.supplies[i], self.r.rules[i]);
                if self.supplies[i].is_none() {
                    // Neither set nor defaulted: the value is null from the schema's point of view.
                    p.expression = Some(f.source.clone());
                }
                return p;
            }
        }
        let source_commit = self.r.bundle.source.as_ref().filter(|_| {
            f.refs()
                .iter()
                .any(|r| matches!(r, crate::expr::Ref::Source(_)))
        });
        Provenance {
            source: Source::Expression,
            file: Some(loc.file.clone()),
            // A value made from the source commit names it: it changes with every commit.
            level: Some(match source_commit {
                Some(c) => format!("source commit {}", c.sha),
                None => "template".into(),
            }),
            line: loc.line,
            expression: Some(f.source.clone()),
        }
    }
}

/// The template node at a dotted path.
fn find_node<'t>(root: &'t TemplateNode, path: &str) -> Option<&'t TemplateNode> {
    path.split('.').try_fold(root, |node, seg| match node {
        TemplateNode::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(k, TemplateKey::Name(n) if n == seg))
            .map(|(_, v)| v),
        TemplateNode::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Invalid(crate::error::Diagnostics(vec![d]))
    }
}
