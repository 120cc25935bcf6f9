//! The one YAML layer of wo.
//!
//! Every YAML file users write goes through here:
//! - [`parse`] / [`parse_with`] / [`parse_stream`] read YAML 1.2 (core schema) into [`Node`]s that
//!   keep 1-based line and column, under a [`Budget`] that bounds hostile input (size, depth,
//!   alias expansion, scalar length, document count);
//! - [`Node::to_value`] turns a node into a [`Value`]; [`from_node`] / [`from_str`] deserialize
//!   typed structures with errors that name file, key path and line (and suggest the closest
//!   field name for a typo);
//! - [`parse_stream_as`] reads a stream with a chosen [`Schema`]: Kubernetes manifests are read
//!   as YAML 1.1 ([`Schema::Yaml11`]), as Helm and Kubernetes read them;
//! - [`to_string`] emits deterministic block YAML that reads back as the same value under both
//!   YAML 1.2 and YAML 1.1 readers (Helm and Kubernetes use the latter).
//!
//! Every error is [`Error::Invalid`] naming the `file` argument.

mod de;
mod emit;
mod parse;
mod scalar;
#[cfg(test)]
mod tests;

use crate::error::{Error, Location, Result};
use crate::value::Value;

/// Limits that bound untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of sequences/maps.
    pub max_depth: usize,
    /// Most nodes in the document after alias expansion.
    pub max_nodes: usize,
    /// Longest single scalar, in bytes.
    pub max_scalar_bytes: usize,
    /// Most alias references.
    pub max_aliases: usize,
    /// Most documents in a stream.
    pub max_documents: usize,
}

impl Budget {
    /// The default budget, as a constant (for budgets built from it).
    pub const DEFAULT: Budget = Budget {
        max_bytes: 8 << 20,
        max_depth: 64,
        max_nodes: 1_000_000,
        max_scalar_bytes: 1 << 20,
        max_aliases: 10_000,
        max_documents: 10_000,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// How plain (unquoted) scalars resolve: what `on`, `0777` or `1e3` mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schema {
    /// The YAML 1.2 core schema, for the files people write for wo: `on` and `yes` are
    /// strings, `0777` is 777, `0o17` is octal.
    #[default]
    Core,
    /// YAML 1.1 as go-yaml v2 reads it, which is how Helm and Kubernetes (`sigs.k8s.io/yaml`)
    /// read manifests: `y`, `yes`, `on` (and `n`, `no`, `off`) are booleans, `0777` is the
    /// octal 511, `0b101` binary, `1_000` is 1000, `1e3` the float 1000, `~` null; timestamps
    /// stay strings. Tagged scalars (`!!int 0777`) resolve the same way. A plain `<<` key
    /// merges a map (or a sequence of maps) as go-yaml v2 does, and a key that is not a string
    /// becomes the string Kubernetes makes of it (`on` → `"true"`, `1e3` → `"1000"`).
    Yaml11,
}

/// A parsed YAML node with its 1-based position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: NodeKind,
    /// 1-based line of the node's first character.
    pub line: u32,
    /// 1-based column of the node's first character.
    pub column: u32,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or empty.
    Null,
    /// A YAML 1.2 core-schema boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (finite, `.inf` or `.nan`).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order; keys are scalars.
    Map(Vec<(Node, Node)>),
}

impl NodeKind {
    /// A short description for messages: `null`, `a boolean`, `an integer`, `a float`,
    /// `a string`, `a sequence`, `a map`.
    pub fn describe(&self) -> &'static str {
        match self {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a sequence",
            NodeKind::Map(_) => "a map",
        }
    }
}

impl Node {
    /// A node at a 1-based position.
    pub fn new(kind: NodeKind, line: u32, column: u32) -> Self {
        Self { kind, line, column }
    }

    /// The text a scalar has as a mapping key (`1` → `"1"`, `true` → `"true"`, `~` → `"null"`);
    /// `None` for sequences and maps.
    pub fn key_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Null => Some("null".to_owned()),
            NodeKind::Bool(b) => Some(b.to_string()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(f) => Some(scalar::float_text(*f)),
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Seq(_) | NodeKind::Map(_) => None,
        }
    }

    /// Whether this scalar's key text equals `key`, without allocating for string keys.
    fn key_is(&self, key: &str) -> bool {
        match &self.kind {
            NodeKind::Str(s) => s == key,
            _ => self.key_text().is_some_and(|t| t == key),
        }
    }

    /// The entry of a mapping by key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.key_is(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The child at one path segment: a key of a map or an index of a sequence.
    fn child(&self, segment: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(_) => self.get(segment),
            NodeKind::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    /// The node at a dotted path of mapping keys / sequence indexes.
    pub fn find(&self, path: &str) -> Option<&Node> {
        if path.is_empty() {
            return Some(self);
        }
        path.split('.')
            .try_fold(self, |node, segment| node.child(segment))
    }

    /// The 1-based line and column of the node at a dotted path or, when the path does not
    /// exist, of its deepest existing ancestor (so an error found later can still point near
    /// its cause).
    pub fn line_of(&self, path: &str) -> Option<(u32, u32)> {
        let mut node = self;
        if !path.is_empty() {
            for segment in path.split('.') {
                match node.child(segment) {
                    Some(child) => node = child,
                    None => break,
                }
            }
        }
        Some((node.line, node.column))
    }

    /// Converts into a [`Value`] (keys become strings).
    ///
    /// Fails on NaN and infinite floats, which a [`Value`] cannot hold, and on two keys that
    /// become the same string (`1` and `"1"`).
    pub fn to_value(&self, file: &str) -> Result<Value> {
        self.to_value_under(file, "")
    }

    /// As [`Node::to_value`] for a node found at the dotted key path `base` of its document,
    /// so that errors name the whole key path (`values.Replicas`, not `Replicas`).
    pub fn to_value_under(&self, file: &str, base: &str) -> Result<Value> {
        let mut path: Vec<String> = if base.is_empty() {
            Vec::new()
        } else {
            base.split('.').map(str::to_owned).collect()
        };
        self.to_value_at(file, &mut path)
    }

    fn to_value_at(&self, file: &str, path: &mut Vec<String>) -> Result<Value> {
        Ok(match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(Error::invalid(
                        self.location(file, path),
                        format!(
                        "the float {} cannot be represented as a value (only finite numbers can)",
                        scalar::float_text(*f)
                    ),
                    ))
                }
            },
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    let v = item.to_value_at(file, path);
                    path.pop();
                    out.push(v?);
                }
                Value::Array(out)
            }
            NodeKind::Map(entries) => {
                let mut out = crate::value::Map::new();
                for (k, v) in entries {
                    let Some(key) = k.key_text() else {
                        return Err(Error::invalid(
                            k.location(file, path),
                            format!(
                                "a mapping key must be a scalar, found {}",
                                k.kind.describe()
                            ),
                        ));
                    };
                    if out.contains_key(&key) {
                        path.push(key.clone());
                        let err = Error::invalid(
                            k.location(file, path),
                            format!("duplicate key `{key}`"),
                        );
                        path.pop();
                        return Err(err);
                    }
                    path.push(key);
                    let value = v.to_value_at(file, path);
                    let key = path.pop().unwrap_or_default();
                    out.insert(key, value?);
                }
                Value::Object(out)
            }
        })
    }

    fn location(&self, file: &str, path: &[String]) -> Location {
        Location::file(file)
            .with_key(path.join("."))
            .at(self.line, self.column)
    }
}

/// What a plain (unquoted, untagged) scalar means under [`Schema::Yaml11`], exactly as the
/// parser resolves it in a stream read with that schema (`on` is `true`, `0777` is 511).
///
/// # Errors
///
/// A message when the text is an integer go-yaml reads that does not fit in 64 signed bits.
pub fn resolve_plain_yaml11(text: &str) -> std::result::Result<NodeKind, String> {
    scalar::resolve_plain_yaml11(text)
}

/// Parses one document with the default budget.
pub fn parse(text: &str, file: &str) -> Result<Node> {
    parse_with(text, file, &Budget::default())
}

/// Parses one document.
///
/// Empty input (or only comments) is a [`NodeKind::Null`] node; a second document is an error.
pub fn parse_with(text: &str, file: &str, budget: &Budget) -> Result<Node> {
    let mut docs = parse::load(text, file, budget, Schema::Core, true, None)?;
    Ok(docs
        .pop()
        .unwrap_or_else(|| Node::new(NodeKind::Null, 1, 1)))
}

/// Parses one document as [`parse_with`] does, handing each item of the root map's sequence
/// `key` to `take` (with its index) as soon as the item is complete, instead of keeping it in
/// the tree, which holds a null in its place. For a long list whose items the caller turns
/// into something smaller one by one (a fleet's targets): the list is never all nodes at
/// once. A `key` that is not a sequence stays in the tree as it is.
///
/// ```
/// use wo_core::yaml::{self, Budget, NodeKind};
///
/// let mut names = Vec::new();
/// let root = yaml::parse_items("kind: X\nitems: [{n: a}, {n: b}]\n", "f.yaml", &Budget::default(), "items", &mut |i, node| {
///     names.push((i, node.get("n").map(|n| n.kind.clone())));
/// })?;
/// assert_eq!(names.len(), 2);
/// assert!(matches!(&root.get("items").unwrap().kind, NodeKind::Seq(s) if s.iter().all(|n| n.kind == NodeKind::Null)));
/// # Ok::<(), wo_core::Error>(())
/// ```
pub fn parse_items(
    text: &str,
    file: &str,
    budget: &Budget,
    key: &str,
    take: &mut dyn FnMut(usize, Node),
) -> Result<Node> {
    let items = parse::Items { key, take };
    let mut docs = parse::load(text, file, budget, Schema::Core, true, Some(items))?;
    Ok(docs
        .pop()
        .unwrap_or_else(|| Node::new(NodeKind::Null, 1, 1)))
}

/// Parses a multi-document stream.
///
/// An empty stream is an empty `Vec`; documents that hold only comments are
/// [`NodeKind::Null`] nodes, kept so that document indexes match the input. The node and alias
/// budgets apply to the whole stream, so that many documents cannot multiply them.
pub fn parse_stream(text: &str, file: &str, budget: &Budget) -> Result<Vec<Node>> {
    parse::load(text, file, budget, Schema::Core, false, None)
}

/// Parses a multi-document stream as [`parse_stream`] does, resolving plain scalars by
/// `schema`: [`Schema::Yaml11`] for Kubernetes manifests, so that `on` is the boolean and
/// `0777` the integer 511 that Kubernetes will see.
pub fn parse_stream_as(
    text: &str,
    file: &str,
    budget: &Budget,
    schema: Schema,
) -> Result<Vec<Node>> {
    parse::load(text, file, budget, schema, false, None)
}

/// Deserializes a typed structure from a node.
///
/// Errors name `file`, the key path and the line of the node where deserialization failed;
/// an unknown field of a `#[serde(deny_unknown_fields)]` struct gets a "did you mean" hint.
pub fn from_node<T: serde::de::DeserializeOwned>(node: &Node, file: &str) -> Result<T> {
    de::from_node(node, file)
}

/// Parses and deserializes a typed structure.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str, file: &str) -> Result<T> {
    from_node(&parse(text, file)?, file)
}

/// Emits a value as a YAML document.
///
/// Block style, keys in map order, sequences indented under their key; strings are quoted
/// whenever a YAML 1.2 or YAML 1.1 reader would read them plain as anything else. The output
/// ends with exactly one newline.
pub fn to_string(value: &Value) -> String {
    emit::to_string(value)
}

/// [`to_string`] appended to `out`: the same bytes, without a string of their own.
pub fn write_to(out: &mut String, value: &Value) {
    emit::write_to(out, value);
}

/// [`to_string`], and where each leaf went: the bytes of every value written on the line of its
/// key or dash (a scalar, `[]` or `{}`), in the order written — the order of a depth-first walk
/// of `value` in map order. A leaf's bytes are what [`to_string`] writes for that value alone,
/// without the line break.
pub fn to_string_with_leaves(value: &Value) -> (String, Vec<std::ops::Range<usize>>) {
    let (mut out, mut leaves) = (String::new(), Vec::new());
    emit::write_with(&mut out, value, &mut leaves);
    (out, leaves)
}
