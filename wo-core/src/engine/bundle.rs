//! A solution as its source repository ships it.

use indexmap::IndexMap;

use crate::error::{Diagnostic, Error, Location, Result};
use crate::files::FileTree;
use crate::format::app::{AppDescriptor, APP_FILE};
use crate::format::schema::{Rule, Schema, SchemaEntry, Validation};
use crate::format::template::{ConfigTemplate, TemplateKey, TemplateNode};
use crate::format::{closest, Collector};
use crate::value::Value;
use crate::yaml::{self, NodeKind};

/// Deepest chain of `$include`s followed before giving up.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Most entries `$include` may splice into one bundle: template nodes copied from included
/// templates, and schema rules and validations visited in included schemas. An include may be
/// spliced in many places and include others in turn, so copies can multiply with depth; past
/// this the bundle is refused at the include that crossed it.
pub const MAX_SPLICED_ENTRIES: usize = 1_000_000;

/// What splicing has copied so far, against [`MAX_SPLICED_ENTRIES`].
#[derive(Default)]
struct Spliced {
    entries: usize,
    /// The budget error, once crossed: then it is the only problem reported, since splicing
    /// stopped half-way and anything else found is noise.
    exceeded: Option<Diagnostic>,
}

impl Spliced {
    /// Counts `n` entries; past the budget, keeps the error and says stop.
    fn count(&mut self, n: usize, at: &Location, reference: &str) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        self.entries = self.entries.saturating_add(n);
        if self.entries > MAX_SPLICED_ENTRIES {
            self.exceeded = Some(
                Diagnostic::new(
                    at.clone(),
                    format!(
                        "`$include({reference})` splices more than {MAX_SPLICED_ENTRIES} entries into the bundle (budget: MAX_SPLICED_ENTRIES)"
                    ),
                )
                .with_hint("is one file included in many places, each including others in turn?"),
            );
            return false;
        }
        true
    }

    /// Fails with the budget error, when the budget was crossed.
    fn check(self) -> Result<()> {
        match self.exceeded {
            Some(d) => Err(d.into()),
            None => Ok(()),
        }
    }
}

/// A solution bundle: descriptor, schema rules (includes spliced), validations, the template
/// (includes spliced), the solution specification and the chart files.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// `wo/app.yaml`.
    pub app: AppDescriptor,
    /// The main schema as written.
    pub schema: Schema,
    /// Every key's rules, includes spliced, in order.
    pub rules: IndexMap<String, Rule>,
    /// Cross-key validations of the schema and its includes.
    pub validations: Vec<Validation>,
    /// The configuration template, includes spliced.
    pub template: Option<ConfigTemplate>,
    /// The WO solution specification.
    pub solution_spec: Option<Value>,
    /// The chart directory's files, rooted at the chart.
    pub chart: FileTree,
    /// The source commit the bundle was read at (`$source(…)` in templates); `None` for a
    /// bundle read from a directory. Set with [`Bundle::at_commit`].
    pub source: Option<super::SourceCommit>,
    /// `wo/policy.yaml` as written, when the source has one (checked by the policy gate, not
    /// here: see [`PolicyGate`](crate::ports::PolicyGate)).
    pub policy: Option<String>,
}

impl Bundle {
    /// Reads a bundle from a source tree (a checkout or a commit's files). `prefix` is prepended
    /// to file names in messages. Every problem is reported at once.
    pub fn load(tree: &FileTree, prefix: &str) -> Result<Bundle> {
        let shown = |p: &str| {
            if prefix.is_empty() {
                p.to_string()
            } else {
                format!("{}/{p}", prefix.trim_end_matches('/'))
            }
        };
        let read = |path: &str| -> Result<&str> {
            tree.text_as(path, &shown(path))?
                .ok_or_else(|| Error::invalid(Location::file(shown(path)), "file not found"))
        };
        let app = AppDescriptor::parse(read(APP_FILE)?, &shown(APP_FILE))?;
        let policy = tree
            .text_as(
                crate::ports::SOURCE_POLICY_FILE,
                &shown(crate::ports::SOURCE_POLICY_FILE),
            )?
            .map(str::to_string);
        let mut c = Collector::default();
        let schema =
            c.take(read(&app.schema).and_then(|t| Schema::parse(t, &shown(&app.schema))))?;
        let template = match &app.config_template {
            Some(p) => c.take(read(p).and_then(|t| ConfigTemplate::parse(t, &shown(p))))?,
            None => None,
        };
        let mut inc_schemas = Vec::new();
        let mut inc_templates = Vec::new();
        for path in &app.includes {
            let Some(text) = c.take(read(path))? else {
                continue;
            };
            let file = shown(path);
            let Some(node) = c.take(yaml::parse(text, &file))? else {
                continue;
            };
            let is_schema = node.get("rules").is_some();
            let is_template = node.get("configs").is_some();
            match (is_schema, is_template, &node.kind) {
                (true, false, NodeKind::Map(_)) => inc_schemas.extend(c.take(Schema::parse(text, &file))?),
                (false, true, NodeKind::Map(_)) => inc_templates.extend(c.take(ConfigTemplate::parse(text, &file))?),
                _ => c.push(Diagnostic::new(
                    Location::file(file),
                    "an included file must be a schema (with `rules:`) or a configuration template (with `configs:`)",
                )),
            }
        }
        let solution_spec = match &app.solution {
            Some(p) => match c.take(read(p))? {
                Some(text) => {
                    c.take(yaml::parse(text, &shown(p)).and_then(|n| n.to_value(&shown(p))))?
                }
                None => None,
            },
            None => None,
        };
        let chart = tree.subtree(&app.chart);
        if chart.is_empty() {
            c.push(Diagnostic::new(
                Location::file(shown(APP_FILE)).with_key("chart"),
                format!("the chart directory `{}` is empty or missing", app.chart),
            ));
        }
        c.check()?;
        let schema = schema
            .ok_or_else(|| Error::invalid(Location::file(shown(&app.schema)), "schema missing"))?;
        let mut rules = IndexMap::new();
        let mut validations = schema.validations.clone();
        let mut spliced = Spliced::default();
        splice_schema(
            &schema,
            None,
            &inc_schemas,
            &mut Splice {
                rules: &mut rules,
                validations: &mut validations,
                stack: Vec::new(),
                spliced: &mut spliced,
            },
            &mut c,
        );
        spliced.check()?;
        let mut spliced = Spliced::default();
        let template = template.map(|mut t| {
            let mut stack = Vec::new();
            t.configs =
                splice_template(&t.configs, &inc_templates, &mut stack, &mut spliced, &mut c);
            t
        });
        spliced.check()?;
        c.finish(Bundle {
            app,
            schema,
            rules,
            validations,
            template,
            solution_spec,
            chart,
            source: None,
            policy,
        })
    }

    /// The same bundle, read at `commit` of the source repo.
    pub fn at_commit(mut self, commit: super::SourceCommit) -> Self {
        self.source = Some(commit);
        self
    }

    /// Whether any expression of the bundle (template, rule expressions, validations) calls
    /// `$source(…)`: only then are the source commit's tags worth reading.
    pub fn uses_source(&self) -> bool {
        fn in_node(n: &TemplateNode) -> bool {
            match n {
                TemplateNode::Literal(..) => false,
                TemplateNode::Field(f, _) => calls_source(f),
                TemplateNode::Map(entries) => entries.iter().any(|(_, v)| in_node(v)),
                TemplateNode::Seq(items) => items.iter().any(in_node),
            }
        }
        self.template.as_ref().is_some_and(|t| in_node(&t.configs))
            || self
                .rules
                .values()
                .filter_map(|r| r.expression.as_ref())
                .any(calls_source)
            || self.validations.iter().any(|v| calls_source(&v.expression))
    }

    /// The name of the solution.
    pub fn name(&self) -> &str {
        &self.app.name
    }
}

/// Whether a field calls `$source` (with any argument, literal or computed).
fn calls_source(f: &crate::expr::Field) -> bool {
    fn in_expr(e: &crate::expr::Expr) -> bool {
        use crate::expr::Expr;
        match e {
            Expr::Literal(..) => false,
            Expr::Concat(parts, _) => parts.iter().any(in_expr),
            Expr::Call { name, args, .. } => name == "source" || args.iter().any(in_expr),
        }
    }
    f.segments.iter().any(|s| match s {
        crate::expr::Segment::Expr(e) => in_expr(e),
        crate::expr::Segment::Text(_) => false,
    })
}

/// Finds an included file by `Name/Version` or `Name`.
fn find<'a, T>(
    items: &'a [T],
    reference: &str,
    name_of: impl Fn(&T) -> (Option<&str>, Option<&str>),
) -> Option<&'a T> {
    let (name, version) = match reference.split_once('/') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (reference.trim(), None),
    };
    items.iter().find(|i| {
        let (n, v) = name_of(i);
        n == Some(name) && (version.is_none() || v == version)
    })
}

/// Where schema splicing collects its results.
struct Splice<'a> {
    rules: &'a mut IndexMap<String, Rule>,
    validations: &'a mut Vec<Validation>,
    stack: Vec<String>,
    spliced: &'a mut Spliced,
}

fn splice_schema(
    schema: &Schema,
    subtree: Option<&str>,
    includes: &[Schema],
    out: &mut Splice<'_>,
    c: &mut Collector,
) {
    for entry in &schema.entries {
        match entry {
            SchemaEntry::Rule(rule) => {
                let in_subtree =
                    subtree.is_none_or(|s| rule.key == s || rule.key.starts_with(&format!("{s}.")));
                if !in_subtree {
                    continue;
                }
                if let Some(first) = out.rules.get(&rule.key) {
                    c.push(Diagnostic::new(
                        rule.location.clone(),
                        format!(
                            "key `{}` is defined twice (also at {})",
                            rule.key, first.location
                        ),
                    ));
                } else {
                    out.rules.insert(rule.key.clone(), (**rule).clone());
                }
            }
            SchemaEntry::Include {
                reference,
                subtree: sub,
                location,
            } => {
                let Some(inc) = find(includes, reference, |s| {
                    (s.name.as_deref(), s.version.as_deref())
                }) else {
                    let d = Diagnostic::new(
                        location.clone(),
                        format!(
                            "`$include({reference})`: no included schema of that name and version"
                        ),
                    );
                    let names: Vec<String> =
                        includes.iter().filter_map(|s| s.name.clone()).collect();
                    c.push(match closest(reference.split('/').next().unwrap_or(reference), names.iter().map(String::as_str)) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`? (list the file under `includes:` in wo/app.yaml)")),
                        None => d.with_hint("list the schema's file under `includes:` in wo/app.yaml and give it `metadata: {name, version}`"),
                    });
                    continue;
                };
                if out.stack.contains(reference) || out.stack.len() >= MAX_INCLUDE_DEPTH {
                    c.push(Diagnostic::new(
                        location.clone(),
                        format!("`$include` loop: {} -> {reference}", out.stack.join(" -> ")),
                    ));
                    continue;
                }
                let visited = inc.entries.len() + inc.validations.len();
                if !out.spliced.count(visited, location, reference) {
                    return;
                }
                out.stack.push(reference.clone());
                out.validations.extend(inc.validations.iter().cloned());
                splice_schema(inc, sub.as_deref(), includes, out, c);
                out.stack.pop();
            }
        }
    }
}

/// Nodes in a template tree (maps and sequences count themselves and their children).
fn node_count(node: &TemplateNode) -> usize {
    match node {
        TemplateNode::Map(entries) => entries
            .iter()
            .fold(1, |n, (_, v)| n.saturating_add(node_count(v))),
        TemplateNode::Seq(items) => items.iter().fold(1, |n, v| n.saturating_add(node_count(v))),
        TemplateNode::Literal(..) | TemplateNode::Field(..) => 1,
    }
}

fn splice_template(
    node: &TemplateNode,
    includes: &[ConfigTemplate],
    stack: &mut Vec<String>,
    spliced: &mut Spliced,
    c: &mut Collector,
) -> TemplateNode {
    if spliced.exceeded.is_some() {
        return TemplateNode::Map(Vec::new());
    }
    match node {
        TemplateNode::Map(entries) => {
            let mut out: Vec<(TemplateKey, TemplateNode)> = Vec::with_capacity(entries.len());
            let push = |out: &mut Vec<(TemplateKey, TemplateNode)>,
                        key: TemplateKey,
                        value: TemplateNode,
                        c: &mut Collector,
                        loc: Option<&Location>| {
                if let TemplateKey::Name(n) = &key {
                    if out
                        .iter()
                        .any(|(k, _)| matches!(k, TemplateKey::Name(m) if m == n))
                    {
                        let at = loc.cloned().unwrap_or_default();
                        c.push(Diagnostic::new(
                            at,
                            format!("key `{n}` is set twice after `$include`"),
                        ));
                        return;
                    }
                }
                out.push((key, value));
            };
            for (key, value) in entries {
                match key {
                    TemplateKey::Name(_) => {
                        let v = splice_template(value, includes, stack, spliced, c);
                        push(&mut out, key.clone(), v, c, None);
                    }
                    TemplateKey::Include {
                        reference,
                        subtree,
                        location,
                    } => {
                        let Some(inc) = find(includes, reference, |t| {
                            (t.name.as_deref(), t.version.as_deref())
                        }) else {
                            c.push(Diagnostic::new(location.clone(), format!("`$include({reference})`: no included template of that name and version"))
                                .with_hint("list the template's file under `includes:` in wo/app.yaml and give it `metadata: {name, version}`"));
                            continue;
                        };
                        if stack.contains(reference) || stack.len() >= MAX_INCLUDE_DEPTH {
                            c.push(Diagnostic::new(
                                location.clone(),
                                format!("`$include` loop: {} -> {reference}", stack.join(" -> ")),
                            ));
                            continue;
                        }
                        let empty = TemplateNode::Map(Vec::new());
                        let mut source = &inc.configs;
                        if let Some(sub) = subtree {
                            for seg in sub.split('.') {
                                let next = match source {
                                    TemplateNode::Map(es) => es
                                        .iter()
                                        .find(
                                            |(k, _)| matches!(k, TemplateKey::Name(n) if n == seg),
                                        )
                                        .map(|(_, v)| v),
                                    _ => None,
                                };
                                match next {
                                    Some(n) => source = n,
                                    None => {
                                        c.push(Diagnostic::new(location.clone(), format!("`$include({reference}, {sub})`: no subtree `{sub}` in {}", inc.file)));
                                        source = &empty;
                                        break;
                                    }
                                }
                            }
                        }
                        if !spliced.count(node_count(source), location, reference) {
                            continue;
                        }
                        stack.push(reference.clone());
                        let copy = splice_template(source, includes, stack, spliced, c);
                        stack.pop();
                        match copy {
                            TemplateNode::Map(es) => {
                                for (k, v) in es {
                                    push(&mut out, k, v, c, Some(location));
                                }
                            }
                            _ => c.push(Diagnostic::new(
                                location.clone(),
                                format!("`$include({reference})` must name a mapping to splice"),
                            )),
                        }
                    }
                }
            }
            TemplateNode::Map(out)
        }
        TemplateNode::Seq(items) => TemplateNode::Seq(
            items
                .iter()
                .map(|i| splice_template(i, includes, stack, spliced, c))
                .collect(),
        ),
        other => other.clone(),
    }
}
