//! Azure Workload Orchestration configuration templates, read as the service defines them.
//!
//! ```yaml
//! schema: {name: shop-schema, version: 1.0.0}
//! metadata: {name: shop, version: 1.0.0}
//! configs:
//!   AppName: shop                                   # a literal
//!   Replicas: ${{$val(Replicas)}}                   # a value from the levels
//!   Url: https://${{$target(name)}}.example.com     # text with expressions
//!   Image: "registry.example.com/shop:${{$source(shortSha)}}"   # the source commit (wo)
//!   ${{$include(LoggingConfig/1.0.0)}}:             # splice another template of the bundle
//! ```
//!
//! `$source(sha | shortSha | tag)` is wo's one addition to WO's language: the source commit the
//! bundle was read at (see [`SourceCommit`](crate::engine::SourceCommit) and
//! `docs/source-context.md`). WO never sees it: wo sends WO resolved values only.
//!
//! Every string holding `${{` is parsed once, when the file is read, so a syntax error is
//! reported for the file before any target is resolved.

use serde::Deserialize;

use super::schema::{expr_diag, version_text};
use super::{closest, diag_at, join_path, typed, Collector};
use crate::error::{Diagnostics, Error, Location, Result};
use crate::expr::Field;
use crate::value::Value;
use crate::yaml::{self, Node, NodeKind};

/// A node of a template's `configs` tree.
#[derive(Debug, Clone)]
pub enum TemplateNode {
    /// A value without expressions.
    Literal(Value, Location),
    /// A string with expressions.
    Field(Field, Location),
    /// A mapping.
    Map(Vec<(TemplateKey, TemplateNode)>),
    /// A sequence.
    Seq(Vec<TemplateNode>),
}

/// A key of a template mapping.
#[derive(Debug, Clone)]
pub enum TemplateKey {
    /// A plain key.
    Name(String),
    /// `${{$include(Name/Version[, Subtree])}}:` splicing another template's configs.
    Include {
        /// `Name/Version` or `Name`.
        reference: String,
        /// Only this subtree of the included configs.
        subtree: Option<String>,
        /// Where it is written.
        location: Location,
    },
}

/// The schema a template names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchemaRef {
    /// Schema name.
    pub name: String,
    /// Schema version.
    #[serde(default, deserialize_with = "de_version")]
    pub version: Option<String>,
    /// Subscription of the schema resource (kept for WO).
    #[serde(default)]
    pub subscription: Option<String>,
    /// Resource group of the schema resource (kept for WO).
    #[serde(default)]
    pub resource_group_name: Option<String>,
}

fn de_version<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.as_ref().map(version_text))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: Option<String>,
    #[serde(default, deserialize_with = "de_version")]
    version: Option<String>,
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

/// A configuration template.
#[derive(Debug, Clone)]
pub struct ConfigTemplate {
    /// The file it was read from.
    pub file: String,
    /// `schema:`.
    pub schema: Option<SchemaRef>,
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.version`.
    pub version: Option<String>,
    /// `dependencies:` (kept as written; resolved by the service).
    pub dependencies: Option<Value>,
    /// `configs:`.
    pub configs: TemplateNode,
}

const TOP_FIELDS: [&str; 4] = ["schema", "metadata", "dependencies", "configs"];

impl ConfigTemplate {
    /// Parses a template file, reporting every problem at once.
    pub fn parse(text: &str, file: &str) -> Result<ConfigTemplate> {
        let root = yaml::parse(text, file)?;
        let NodeKind::Map(top) = &root.kind else {
            return Err(Error::Invalid(Diagnostics(vec![diag_at(
                file,
                "",
                &root,
                "a configuration template is a mapping with `configs:`",
            )])));
        };
        let mut c = Collector::default();
        let mut t = ConfigTemplate {
            file: file.to_string(),
            schema: None,
            name: None,
            version: None,
            dependencies: None,
            configs: TemplateNode::Map(Vec::new()),
        };
        let mut seen_configs = false;
        for (k, v) in top {
            let key = match &k.kind {
                NodeKind::Str(s) => s.as_str(),
                _ => {
                    c.push(diag_at(file, "", k, "keys must be strings"));
                    continue;
                }
            };
            match key {
                "schema" => t.schema = c.take(typed(v, file, "schema"))?,
                "metadata" => {
                    if let Some(m) = c.take(typed::<Metadata>(v, file, "metadata"))? {
                        t.name = m.name;
                        t.version = m.version;
                    }
                }
                "dependencies" => {
                    t.dependencies = c.take(v.to_value_under(file, "dependencies"))?
                }
                "configs" => {
                    seen_configs = true;
                    t.configs = compile(v, file, "configs", &mut c);
                }
                other => {
                    let d = diag_at(file, other, k, format!("unknown field `{other}`"));
                    c.push(match closest(other, TOP_FIELDS) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint(
                            "expected `schema`, `metadata`, `dependencies` or `configs`",
                        ),
                    });
                }
            }
        }
        if !seen_configs {
            c.push(crate::error::Diagnostic::new(
                Location::file(file).at(root.line, root.column),
                "missing `configs:`",
            ));
        }
        c.finish(t)
    }
}

/// Compiles a `configs` subtree: strings with `${{` become parsed fields, `$include` keys are
/// recognised, every other value is a literal.
fn compile(node: &Node, file: &str, path: &str, c: &mut Collector) -> TemplateNode {
    let loc = || {
        Location::file(file)
            .with_key(path)
            .at(node.line, node.column)
    };
    match &node.kind {
        NodeKind::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key = match &k.kind {
                    NodeKind::Str(s) => s.clone(),
                    NodeKind::Int(i) => i.to_string(),
                    NodeKind::Bool(b) => b.to_string(),
                    _ => {
                        c.push(diag_at(file, path, k, "keys must be scalars"));
                        continue;
                    }
                };
                let child = join_path(path, &key);
                if key.contains("${{") {
                    match Field::parse(&key) {
                        Ok(Some(f)) => match f.as_include() {
                            Some((reference, subtree)) => out.push((
                                TemplateKey::Include {
                                    reference,
                                    subtree,
                                    location: Location::file(file).with_key(child).at(k.line, k.column),
                                },
                                TemplateNode::Map(Vec::new()),
                            )),
                            None => c.push(diag_at(file, &child, k, "only `${{$include(Template/Version[, Subtree])}}` may stand as a key")),
                        },
                        Ok(None) => {}
                        Err(e) => c.push(expr_diag(file, &child, k, &e)),
                    }
                    continue;
                }
                let value = compile(v, file, &child, c);
                out.push((TemplateKey::Name(key), value));
            }
            TemplateNode::Map(out)
        }
        NodeKind::Seq(items) => TemplateNode::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, n)| compile(n, file, &join_path(path, &i.to_string()), c))
                .collect(),
        ),
        NodeKind::Str(s) if s.contains("${{") => match Field::parse(s) {
            Ok(Some(f)) => TemplateNode::Field(f, loc()),
            Ok(None) => TemplateNode::Literal(Value::String(s.clone()), loc()),
            Err(e) => {
                c.push(expr_diag(file, path, node, &e));
                TemplateNode::Literal(Value::Null, loc())
            }
        },
        _ => match node.to_value_under(file, path) {
            Ok(v) => TemplateNode::Literal(v, loc()),
            Err(Error::Invalid(Diagnostics(ds))) => {
                for d in ds {
                    c.push(d);
                }
                TemplateNode::Literal(Value::Null, loc())
            }
            Err(_) => TemplateNode::Literal(Value::Null, loc()),
        },
    }
}
