//! Builds [`Node`] trees from saphyr-parser events, enforcing the [`Budget`].
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::{scalar, Budget, Node, NodeKind, Schema};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};

const CORE_HANDLE: &str = "tag:yaml.org,2002:";

/// A collection under construction.
struct Frame {
    line: u32,
    column: u32,
    anchor: usize,
    /// The node counter when the collection started, to size its subtree for aliases.
    nodes_at_start: usize,
    /// Height of the tallest child so far (scalars have height 0).
    child_height: usize,
    body: Body,
}

enum Body {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        /// The key waiting for its value, with its text.
        pending: Option<(Node, String)>,
        /// Key text → line of its first occurrence, to report duplicates.
        seen: Seen,
        /// Whether the pending key is a YAML 1.1 merge key (a plain `<<`).
        pending_merge: bool,
        /// Indexes of the entries whose key is a merge key.
        merges: Vec<usize>,
    },
}

/// The key texts of a map so far, with the line of each, to refuse a duplicate: a list while
/// the map is small (almost every map of a manifest is: a list beats hashing each key), a hash
/// map once it has more than [`Seen::SMALL`] keys.
#[derive(Default)]
struct Seen {
    small: Vec<(String, u32)>,
    large: HashMap<String, u32>,
}

impl Seen {
    const SMALL: usize = 16;

    fn get(&self, key: &str) -> Option<u32> {
        if self.large.is_empty() {
            self.small.iter().find(|(k, _)| k == key).map(|(_, l)| *l)
        } else {
            self.large.get(key).copied()
        }
    }

    fn insert(&mut self, key: String, line: u32) {
        if self.large.is_empty() {
            if self.small.len() < Self::SMALL {
                self.small.push((key, line));
                return;
            }
            self.large.extend(self.small.drain(..));
        }
        self.large.insert(key, line);
    }
}

/// A completed anchored node, with what it costs to expand it again.
struct Anchored {
    node: Node,
    nodes: usize,
    height: usize,
}

struct Builder<'a> {
    file: &'a str,
    budget: &'a Budget,
    schema: Schema,
    /// Set while placing a plain, untagged `<<` under [`Schema::Yaml11`]: a merge key.
    merge_key: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    /// Nodes held in copies of anchored nodes.
    anchored_nodes: usize,
    aliases: usize,
    root: Option<Node>,
    /// Takes the items of one sequence of the root map as they complete (see [`Items`]).
    items: Option<Items<'a>>,
}

/// Where the items of the root map's sequence `key` go, one by one as each completes, instead
/// of into the tree (which keeps a null in each one's place): the caller turns a long list
/// into something smaller without holding all of it as nodes first.
pub(crate) struct Items<'a> {
    /// The root map's key whose sequence is handed over.
    pub key: &'a str,
    /// Called with each item's index and node.
    pub take: &'a mut dyn FnMut(usize, Node),
}

fn position(span: &Span) -> (u32, u32) {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX).max(1);
    let column = u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX);
    (line, column)
}

fn invalid(location: Location, message: String, hint: Option<&str>) -> Error {
    let mut d = Diagnostic::new(location, message);
    if let Some(h) = hint {
        d = d.with_hint(h);
    }
    Error::Invalid(Diagnostics(vec![d]))
}

impl Builder<'_> {
    /// The dotted key path of the node about to be produced.
    fn path(&self) -> String {
        path_of(&self.stack)
    }

    fn error_at(&self, span: &Span, message: String, hint: Option<&str>) -> Error {
        let (line, column) = position(span);
        invalid(
            Location::file(self.file)
                .with_key(self.path())
                .at(line, column),
            message,
            hint,
        )
    }

    fn count_nodes(&mut self, n: usize, span: &Span, through_alias: bool) -> Result<()> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.budget.max_nodes {
            let max = self.budget.max_nodes;
            let message = if through_alias {
                format!("the document expands to more than {max} nodes through aliases (budget max_nodes)")
            } else {
                format!("the document has more than {max} nodes (budget max_nodes)")
            };
            return Err(self.error_at(span, message, None));
        }
        Ok(())
    }

    fn check_depth(&self, extra: usize, span: &Span) -> Result<()> {
        if self.stack.len().saturating_add(extra) > self.budget.max_depth {
            let max = self.budget.max_depth;
            return Err(self.error_at(
                span,
                format!("the document nests deeper than {max} levels (budget max_depth)"),
                None,
            ));
        }
        Ok(())
    }

    /// Checks a collection's tag: none, the non-specific `!`, or the matching core tag.
    fn check_collection_tag(&self, tag: Option<&Tag>, expected: &str, span: &Span) -> Result<()> {
        let Some(tag) = tag else { return Ok(()) };
        if tag.handle.is_empty() && tag.suffix == "!" {
            return Ok(());
        }
        if tag.handle == CORE_HANDLE && tag.suffix == expected {
            return Ok(());
        }
        if tag.handle == CORE_HANDLE
            && matches!(
                tag.suffix.as_str(),
                "map" | "seq" | "str" | "int" | "float" | "bool" | "null"
            )
        {
            let what = if expected == "map" {
                "a mapping"
            } else {
                "a sequence"
            };
            return Err(self.error_at(
                span,
                format!("the tag `!!{}` cannot be applied to {what}", tag.suffix),
                None,
            ));
        }
        Err(self.unsupported_tag(tag, span))
    }

    fn unsupported_tag(&self, tag: &Tag, span: &Span) -> Error {
        let shown = if tag.handle == CORE_HANDLE {
            format!("!!{}", tag.suffix)
        } else {
            tag.to_string()
        };
        self.error_at(
            span,
            format!("unsupported tag `{shown}`"),
            Some("only the core tags !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are supported"),
        )
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: &Span,
    ) -> Result<NodeKind> {
        if text.len() > self.budget.max_scalar_bytes {
            let max = self.budget.max_scalar_bytes;
            return Err(self.error_at(
                span,
                format!(
                    "a scalar of {} bytes is longer than {max} bytes (budget max_scalar_bytes)",
                    text.len()
                ),
                None,
            ));
        }
        let plain = style == ScalarStyle::Plain;
        let Some(tag) = tag else {
            if !plain {
                return Ok(NodeKind::Str(text.to_owned()));
            }
            let resolved = match self.schema {
                Schema::Core => scalar::resolve_plain(text),
                Schema::Yaml11 => scalar::resolve_plain_yaml11(text),
            };
            return resolved
                .map_err(|m| self.error_at(span, m, Some("quote it to keep it as a string")));
        };
        if tag.handle.is_empty() && tag.suffix == "!" {
            // The non-specific tag `!` makes a scalar a string.
            return Ok(NodeKind::Str(text.to_owned()));
        }
        if tag.handle != CORE_HANDLE {
            return Err(self.unsupported_tag(tag, span));
        }
        let mismatch = |what: &str| {
            self.error_at(
                span,
                format!("`{text}` is not {what} (tag !!{})", tag.suffix),
                None,
            )
        };
        if self.schema == Schema::Yaml11 {
            return self.tagged_yaml11(text, tag, span, mismatch);
        }
        match tag.suffix.as_str() {
            "str" => Ok(NodeKind::Str(text.to_owned())),
            "null" if scalar::is_null(text) => Ok(NodeKind::Null),
            "null" => Err(mismatch("null")),
            "bool" => scalar::parse_bool(text)
                .map(NodeKind::Bool)
                .ok_or_else(|| mismatch("a boolean")),
            "int" => match scalar::parse_int(text) {
                Ok(Some(i)) => Ok(NodeKind::Int(i)),
                Ok(None) => Err(mismatch("an integer")),
                Err(m) => Err(self.error_at(span, m, None)),
            },
            "float" => {
                // An integer spelling is a valid float (`!!float 1`).
                scalar::parse_float(text)
                    .map(NodeKind::Float)
                    .ok_or_else(|| mismatch("a float"))
            }
            "map" | "seq" => Err(self.error_at(
                span,
                format!("the tag `!!{}` cannot be applied to a scalar", tag.suffix),
                None,
            )),
            _ => Err(self.unsupported_tag(tag, span)),
        }
    }

    /// A scalar with a core tag, as go-yaml v2 reads it: resolved as if plain, then it must be
    /// of the tagged type (an integer is also a float).
    fn tagged_yaml11(
        &self,
        text: &str,
        tag: &Tag,
        span: &Span,
        mismatch: impl Fn(&str) -> Error,
    ) -> Result<NodeKind> {
        let suffix = tag.suffix.as_str();
        if suffix == "str" {
            return Ok(NodeKind::Str(text.to_owned()));
        }
        if matches!(suffix, "map" | "seq") {
            return Err(self.error_at(
                span,
                format!("the tag `!!{suffix}` cannot be applied to a scalar"),
                None,
            ));
        }
        let resolved =
            scalar::resolve_plain_yaml11(text).map_err(|m| self.error_at(span, m, None))?;
        match (suffix, resolved) {
            ("null", NodeKind::Null) => Ok(NodeKind::Null),
            ("bool", b @ NodeKind::Bool(_)) => Ok(b),
            ("int", i @ NodeKind::Int(_)) => Ok(i),
            ("float", f @ NodeKind::Float(_)) => Ok(f),
            // go-yaml turns an integer tagged `!!float` into a float.
            #[allow(clippy::cast_precision_loss)]
            ("float", NodeKind::Int(i)) => Ok(NodeKind::Float(i as f64)),
            ("null", _) => Err(mismatch("null")),
            ("bool", _) => Err(mismatch("a boolean")),
            ("int", _) => Err(mismatch("an integer")),
            ("float", _) => Err(mismatch("a float")),
            _ => Err(self.unsupported_tag(tag, span)),
        }
    }

    /// Places a finished node: as the root, a sequence item, a mapping key or a mapping value.
    fn place(&mut self, node: Node, height: usize) -> Result<()> {
        let Some(top) = self.stack.last() else {
            self.root = Some(node);
            return Ok(());
        };
        if let Body::Map {
            pending: None,
            seen,
            ..
        } = &top.body
        {
            if self.merge_key {
                return self.place_merge_key(node);
            }
            if self.schema == Schema::Yaml11
                && matches!(
                    node.kind,
                    NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Null
                )
            {
                return self.place_yaml11_key(node, height);
            }
            let Some(text) = node.key_text() else {
                return Err(invalid(
                    Location::file(self.file)
                        .with_key(self.path())
                        .at(node.line, node.column),
                    format!(
                        "a mapping key must be a scalar, found {}",
                        node.kind.describe()
                    ),
                    None,
                ));
            };
            if let Some(first) = seen.get(&text) {
                let mut key_path = self.path();
                if !key_path.is_empty() {
                    key_path.push('.');
                }
                key_path.push_str(&text);
                return Err(invalid(
                    Location::file(self.file)
                        .with_key(key_path)
                        .at(node.line, node.column),
                    format!("duplicate key `{text}` (first at line {first})"),
                    Some("remove one of the two entries"),
                ));
            }
        }
        // An item of the root map's sequence that is handed over as it completes.
        let handed_over = self.stack.len() == 2
            && matches!(self.stack.last().map(|f| &f.body), Some(Body::Seq(_)))
            && self.items.as_ref().is_some_and(|to| {
                matches!(&self.stack[0].body, Body::Map { pending: Some((_, k)), .. } if k == to.key)
            });
        let Some(top) = self.stack.last_mut() else {
            return Ok(());
        };
        top.child_height = top.child_height.max(height);
        match &mut top.body {
            Body::Seq(items) => match &mut self.items {
                Some(to) if handed_over => {
                    let (line, column) = (node.line, node.column);
                    (to.take)(items.len(), node);
                    items.push(Node::new(NodeKind::Null, line, column));
                }
                _ => items.push(node),
            },
            Body::Map {
                entries,
                pending,
                seen,
                pending_merge,
                merges,
            } => match pending.take() {
                Some((key, _)) => {
                    if std::mem::take(pending_merge) {
                        merges.push(entries.len());
                    }
                    entries.push((key, node));
                }
                None => {
                    // Checked above: the key is a scalar and not a duplicate.
                    let text = node.key_text().unwrap_or_default();
                    seen.insert(text.clone(), node.line);
                    *pending = Some((node, text));
                }
            },
        }
        Ok(())
    }

    /// Places a non-string scalar key as the string Kubernetes makes of it when it turns YAML
    /// into JSON (`sigs.k8s.io/yaml`): booleans `true`/`false`, integers in decimal, floats as
    /// Go's `%g` of a float32; a null key it cannot represent.
    fn place_yaml11_key(&mut self, node: Node, height: usize) -> Result<()> {
        let text = match &node.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => scalar::go_key_float_text(*f),
            NodeKind::Null => {
                return Err(invalid(
                    Location::file(self.file)
                        .with_key(self.path())
                        .at(node.line, node.column),
                    "a null mapping key: Kubernetes cannot read it".to_owned(),
                    Some("quote the key to make it a string"),
                ))
            }
            // `place` calls this for scalars only.
            NodeKind::Seq(_) | NodeKind::Map(_) => node.kind.describe().to_owned(),
        };
        let node = Node::new(NodeKind::Str(text), node.line, node.column);
        self.place(node, height)
    }

    /// Places a merge key: several may appear in one map, so it is not a duplicate.
    fn place_merge_key(&mut self, node: Node) -> Result<()> {
        if let Some(Frame {
            body:
                Body::Map {
                    pending,
                    pending_merge,
                    ..
                },
            ..
        }) = self.stack.last_mut()
        {
            *pending = Some((node, "<<".to_owned()));
            *pending_merge = true;
        }
        Ok(())
    }

    /// The entries of a map with its merge keys applied as go-yaml v2 applies them: in
    /// document order, each entry or merged entry replaces an earlier one of the same key; a
    /// merged sequence of maps is applied from its last map to its first, so earlier maps win.
    fn merged(&self, entries: Vec<(Node, Node)>, merges: &[usize]) -> Result<Vec<(Node, Node)>> {
        let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut set = |key: Node, value: Node| {
            let text = key.key_text().unwrap_or_default();
            match index.get(&text) {
                Some(&i) => out[i].1 = value,
                None => {
                    index.insert(text, out.len());
                    out.push((key, value));
                }
            }
        };
        for (i, (key, value)) in entries.into_iter().enumerate() {
            if !merges.contains(&i) {
                set(key, value);
                continue;
            }
            let not_a_map = |node: &Node| {
                let mut path = self.path();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str("<<");
                invalid(
                    Location::file(self.file)
                        .with_key(path)
                        .at(node.line, node.column),
                    format!(
                        "a merge key `<<` takes a map or a sequence of maps, found {}",
                        node.kind.describe()
                    ),
                    Some("quote the key (`'<<'`) to keep it as a string"),
                )
            };
            match value.kind {
                NodeKind::Map(merged) => merged.into_iter().for_each(|(k, v)| set(k, v)),
                NodeKind::Seq(items) => {
                    if let Some(bad) = items.iter().find(|m| !matches!(m.kind, NodeKind::Map(_))) {
                        return Err(not_a_map(bad));
                    }
                    for item in items.into_iter().rev() {
                        if let NodeKind::Map(merged) = item.kind {
                            merged.into_iter().for_each(|(k, v)| set(k, v));
                        }
                    }
                }
                _ => return Err(not_a_map(&value)),
            }
        }
        Ok(out)
    }

    fn open(&mut self, anchor: usize, span: &Span, body: Body) -> Result<()> {
        self.check_depth(1, span)?;
        let nodes_at_start = self.nodes;
        self.count_nodes(1, span, false)?;
        let (line, column) = position(span);
        self.stack.push(Frame {
            line,
            column,
            anchor,
            nodes_at_start,
            child_height: 0,
            body,
        });
        Ok(())
    }

    fn close(&mut self, span: &Span) -> Result<()> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.error_at(span, "unbalanced collection end".to_owned(), None));
        };
        let kind = match frame.body {
            Body::Seq(items) => NodeKind::Seq(items),
            Body::Map {
                entries, merges, ..
            } if merges.is_empty() => NodeKind::Map(entries),
            Body::Map {
                entries, merges, ..
            } => NodeKind::Map(self.merged(entries, &merges)?),
        };
        let node = Node::new(kind, frame.line, frame.column);
        let height = frame.child_height.saturating_add(1);
        if frame.anchor != 0 {
            let nodes = self.nodes.saturating_sub(frame.nodes_at_start);
            self.keep_anchor(frame.anchor, &node, nodes, height, span)?;
        }
        self.place(node, height)
    }

    /// Keeps a copy of an anchored node for its aliases. Copies of nested anchors can add up to
    /// depth × size, so they are charged to a budget of their own.
    fn keep_anchor(
        &mut self,
        anchor: usize,
        node: &Node,
        nodes: usize,
        height: usize,
        span: &Span,
    ) -> Result<()> {
        self.anchored_nodes = self.anchored_nodes.saturating_add(nodes);
        if self.anchored_nodes > self.budget.max_nodes {
            let max = self.budget.max_nodes;
            return Err(self.error_at(
                span,
                format!("anchored nodes add up to more than {max} nodes (budget max_nodes)"),
                None,
            ));
        }
        self.anchors.insert(
            anchor,
            Anchored {
                node: node.clone(),
                nodes,
                height,
            },
        );
        Ok(())
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<()> {
        self.aliases = self.aliases.saturating_add(1);
        if self.aliases > self.budget.max_aliases {
            let max = self.budget.max_aliases;
            return Err(self.error_at(
                span,
                format!("the document uses more than {max} aliases (budget max_aliases)"),
                None,
            ));
        }
        let Some(anchored) = self.anchors.get(&id) else {
            return Err(self.error_at(
                span,
                "an alias refers to its own enclosing node (recursive aliases are not supported)"
                    .to_owned(),
                None,
            ));
        };
        let (nodes, height) = (anchored.nodes, anchored.height);
        // Charge the budget before cloning so that exponential expansion fails fast.
        self.count_nodes(nodes, span, true)?;
        self.check_depth(height, span)?;
        let mut node = self
            .anchors
            .get(&id)
            .map(|a| a.node.clone())
            .unwrap_or_else(|| Node::new(NodeKind::Null, 1, 1));
        // The copy sits where the alias is written.
        (node.line, node.column) = position(span);
        self.place(node, height)
    }
}

/// Whether YAML 1.2 allows `c` in a stream (its `c-printable` production): no C0 control
/// characters but tab and line breaks, no DEL, no C1 control characters but NEL, no U+FFFE or
/// U+FFFF.
fn is_printable(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' | '\u{85}' => true,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_column(text: &str, at: usize) -> (u32, u32) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

fn path_of(stack: &[Frame]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for frame in stack {
        match &frame.body {
            Body::Seq(items) => parts.push(items.len().to_string()),
            Body::Map {
                pending: Some((_, key)),
                ..
            } => parts.push(key.clone()),
            Body::Map { pending: None, .. } => {}
        }
    }
    parts.join(".")
}

/// Parses `text` into its documents. With `single`, a second document is an error.
pub(crate) fn load<'a>(
    text: &str,
    file: &'a str,
    budget: &'a Budget,
    schema: Schema,
    single: bool,
    items: Option<Items<'a>>,
) -> Result<Vec<Node>> {
    if text.len() > budget.max_bytes {
        return Err(invalid(
            Location::file(file),
            format!(
                "the input is {} bytes, more than {} (budget max_bytes)",
                text.len(),
                budget.max_bytes
            ),
            None,
        ));
    }
    if let Some((at, c)) = text.char_indices().find(|(_, c)| !is_printable(*c)) {
        let (line, column) = line_column(text, at);
        let code = u32::from(c);
        let (message, hint) = if c == '\0' {
            (
                format!("a NUL character (U+0000) at line {line}, column {column}: YAML text cannot contain NUL"),
                "remove it, or write it as the escape `\\0` inside a double-quoted string",
            )
        } else {
            (
                format!("the control character U+{code:04X} at line {line}, column {column}: YAML text may contain no control characters other than tab and line breaks"),
                "remove it, or write it as an escape (`\\x1b`, `\\u0007`) inside a double-quoted string",
            )
        };
        return Err(invalid(
            Location::file(file).at(line, column),
            message,
            Some(hint),
        ));
    }
    let mut b = Builder {
        file,
        budget,
        schema,
        merge_key: false,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        anchored_nodes: 0,
        aliases: 0,
        root: None,
        items,
    };
    let mut docs = Vec::new();
    let mut doc_line_col = (1, 1);
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(ev) => ev,
            Err(e) => {
                let line = u32::try_from(e.marker().line()).unwrap_or(u32::MAX).max(1);
                let column = u32::try_from(e.marker().col().saturating_add(1)).unwrap_or(u32::MAX);
                let key_path = path_of(&b.stack);
                return Err(invalid(
                    Location::file(file).with_key(key_path).at(line, column),
                    if e.info().contains("recursion limit") {
                        // The scanner's own flow-nesting guard fires while it looks ahead, before
                        // the tree reaches our depth check: report it as the same budget.
                        format!(
                            "the document nests deeper than {} levels (budget max_depth)",
                            b.budget.max_depth
                        )
                    } else {
                        format!("malformed YAML: {}", e.info())
                    },
                    None,
                ));
            }
        };
        match event {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                let (line, column) = position(&span);
                if single && !docs.is_empty() {
                    return Err(invalid(
                        Location::file(file).at(line, column),
                        "expected one YAML document, found a second one".to_owned(),
                        Some("remove the `---` separator and what follows it"),
                    ));
                }
                if docs.len() >= budget.max_documents {
                    return Err(invalid(
                        Location::file(file).at(line, column),
                        format!(
                            "the stream has more than {} documents (budget max_documents)",
                            budget.max_documents
                        ),
                        None,
                    ));
                }
                doc_line_col = (line, column);
                // Anchors are scoped to their document.
                b.anchors.clear();
            }
            Event::DocumentEnd => {
                let root = b
                    .root
                    .take()
                    .unwrap_or_else(|| Node::new(NodeKind::Null, doc_line_col.0, doc_line_col.1));
                docs.push(root);
            }
            Event::Alias(id) => b.alias(id, &span)?,
            Event::Scalar(value, style, anchor, tag) => {
                b.count_nodes(1, &span, false)?;
                let kind = b.scalar(&value, style, tag.as_deref(), &span)?;
                let (line, column) = position(&span);
                let node = Node::new(kind, line, column);
                if anchor != 0 {
                    b.keep_anchor(anchor, &node, 1, 0, &span)?;
                }
                // YAML 1.1's merge key: a plain, untagged `<<`.
                b.merge_key = b.schema == Schema::Yaml11
                    && style == ScalarStyle::Plain
                    && tag.is_none()
                    && value == "<<";
                let placed = b.place(node, 0);
                b.merge_key = false;
                placed?;
            }
            Event::SequenceStart(anchor, tag) => {
                b.check_collection_tag(tag.as_deref(), "seq", &span)?;
                b.open(anchor, &span, Body::Seq(Vec::new()))?;
            }
            Event::MappingStart(anchor, tag) => {
                b.check_collection_tag(tag.as_deref(), "map", &span)?;
                b.open(
                    anchor,
                    &span,
                    Body::Map {
                        entries: Vec::new(),
                        pending: None,
                        seen: Seen::default(),
                        pending_merge: false,
                        merges: Vec::new(),
                    },
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => b.close(&span)?,
        }
    }
    Ok(docs)
}
