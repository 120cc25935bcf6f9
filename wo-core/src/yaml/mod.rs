//! The one YAML layer of wo. (STUB: the yaml helper replaces the bodies; signatures are fixed.)
use crate::error::Result;
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

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_bytes: 8 << 20,
            max_depth: 64,
            max_nodes: 1_000_000,
            max_scalar_bytes: 1 << 20,
            max_aliases: 10_000,
            max_documents: 10_000,
        }
    }
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

impl Node {
    /// The entry of a mapping by key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        let _ = key;
        unimplemented!()
    }
    /// The node at a dotted path of mapping keys / sequence indexes.
    pub fn find(&self, path: &str) -> Option<&Node> {
        let _ = path;
        unimplemented!()
    }
    /// Line and column of the node at a dotted path, or of its deepest existing ancestor.
    pub fn line_of(&self, path: &str) -> Option<(u32, u32)> {
        let _ = path;
        unimplemented!()
    }
    /// Converts into a [`Value`] (keys become strings).
    pub fn to_value(&self, file: &str) -> Result<Value> {
        let _ = file;
        unimplemented!()
    }
}

/// Parses one document with the default budget.
pub fn parse(text: &str, file: &str) -> Result<Node> {
    parse_with(text, file, &Budget::default())
}

/// Parses one document.
pub fn parse_with(text: &str, file: &str, budget: &Budget) -> Result<Node> {
    let _ = (text, file, budget);
    unimplemented!()
}

/// Parses a multi-document stream.
pub fn parse_stream(text: &str, file: &str, budget: &Budget) -> Result<Vec<Node>> {
    let _ = (text, file, budget);
    unimplemented!()
}

/// Deserializes a typed structure from a node.
pub fn from_node<T: serde::de::DeserializeOwned>(node: &Node, file: &str) -> Result<T> {
    let _ = (node, file);
    unimplemented!()
}

/// Parses and deserializes a typed structure.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str, file: &str) -> Result<T> {
    from_node(&parse(text, file)?, file)
}

/// Emits a value as a YAML document.
pub fn to_string(value: &Value) -> String {
    let _ = value;
    unimplemented!()
}
