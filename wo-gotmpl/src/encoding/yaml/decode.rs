//! Reading YAML as go-yaml v2 does into `interface{}`: the first document of the stream,
//! YAML 1.1 scalars ([`super::resolve`]), anchors and aliases, merge keys (`<<`, where later
//! keys override earlier ones, merged or not, as v2 does), and then `sigs.k8s.io/yaml`'s step
//! that makes the result JSON-able (map keys become strings).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::resolve::{resolve_plain, Resolved};

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// What go-yaml v2 decodes into `interface{}`, keys still of any scalar type.
#[derive(Debug, Clone)]
pub(crate) enum GoYaml {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoYaml>),
    /// `map[interface{}]interface{}`: unique keys (by Go type and value), in insertion order.
    Map(Vec<(GoYaml, GoYaml)>),
}

/// Parses the first document of `text` and decodes it as go-yaml v2 does into `interface{}`.
/// `Ok(None)` when the stream holds no document. Errors read as go-yaml's (`yaml: line 3: …`).
pub(crate) fn decode_first_document(text: &str) -> Result<Option<GoYaml>, String> {
    let mut tree = Tree::default();
    let Some(root) = tree.parse(text)? else {
        return Ok(None);
    };
    let mut decoder = Decoder {
        tree: &tree,
        active_aliases: Vec::new(),
        decode_count: 0,
        alias_count: 0,
        alias_depth: 0,
    };
    decoder.unmarshal(root).map(Some)
}

#[derive(Debug)]
enum NodeKind {
    Scalar {
        value: String,
        plain: bool,
        /// The resolved tag: `tag:yaml.org,2002:int`, `!local`, `!`.
        tag: Option<String>,
    },
    Seq(Vec<usize>),
    Map(Vec<(usize, usize)>),
    Alias(usize),
}

#[derive(Debug)]
struct Node {
    kind: NodeKind,
}

/// The first document as nodes in an arena (aliases point at node indices).
#[derive(Default)]
struct Tree {
    nodes: Vec<Node>,
    anchors: HashMap<usize, usize>,
    /// Where the collections being read start (character index), innermost last: after a
    /// failed parse, whether the failure is inside a flow collection.
    open: Vec<usize>,
}

type Events<'a> = Parser<'a, saphyr_parser::StrInput<'a>>;

/// A saphyr error in go-yaml's words: libyaml's problem text without its context, and the
/// line as go-yaml prints it (1-based for scanner errors, the 0-based line for parser errors,
/// none when that is 0).
fn scan_error(e: &ScanError, text: &str) -> String {
    let info = e.info();
    let problem = match info.strip_prefix("while ") {
        Some(rest) if rest.contains(", ") => rest.split_once(", ").map_or(info, |p| p.1),
        _ => info,
    };
    let problem = match problem {
        "tabs disallowed within this context (block indentation)"
        | "tabs disallowed in this context"
        | "tab cannot be used as indentation" => "found character that cannot start any token",
        p if p.starts_with("unexpected character") => "found character that cannot start any token",
        "expected ',' or ']'" | "illegal placement of ':' indicator" => {
            "did not find expected ',' or ']'"
        }
        "simple key expect ':'" => "could not find expected ':'",
        "found unknown anchor" => {
            // go-yaml's decoder names the anchor; saphyr's mark is at the alias.
            let name: String = text
                .chars()
                .skip(e.marker().index())
                .skip_while(|c| *c != '*')
                .skip(1)
                .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                .collect();
            return format!("yaml: unknown anchor '{name}' referenced");
        }
        p => p,
    };
    let parser_error = problem.starts_with("did not find expected ")
        && !problem.contains("hexadecimal")
        && !problem.contains("alphabetic")
        && !problem.contains("comment or line break")
        && !problem.contains("whitespace")
        || problem == "found incompatible YAML document"
        || problem == "found undefined tag handle";
    let mut line = e.marker().line();
    if problem == "found unexpected end of stream" {
        // libyaml marks the end of the input.
        line = text.matches('\n').count() + 1;
    }
    let line = if parser_error {
        line.saturating_sub(1)
    } else if line <= 1 {
        0
    } else {
        line
    };
    if line == 0 {
        format!("yaml: {problem}")
    } else {
        format!("yaml: line {line}: {problem}")
    }
}

/// A parse failure: go-yaml's message, and saphyr's error when it is one.
struct ParseError {
    message: String,
    scan: Option<ScanError>,
}

fn next(events: &mut Events<'_>, text: &str) -> Result<(Event<'static>, Span), ParseError> {
    match events.next() {
        Some(Ok((event, span))) => Ok((owned(event), span)),
        Some(Err(e)) => Err(ParseError {
            message: scan_error(&e, text),
            scan: Some(e),
        }),
        None => Err(ParseError {
            message: "yaml: unexpected end of stream".into(),
            scan: None,
        }),
    }
}

fn plain_error(message: String) -> ParseError {
    ParseError {
        message,
        scan: None,
    }
}

fn owned(event: Event<'_>) -> Event<'static> {
    use std::borrow::Cow;
    let tag = |t: Option<Cow<'_, saphyr_parser::Tag>>| t.map(|t| Cow::Owned(t.into_owned()));
    match event {
        Event::Scalar(v, style, anchor, t) => {
            Event::Scalar(Cow::Owned(v.into_owned()), style, anchor, tag(t))
        }
        Event::SequenceStart(anchor, t) => Event::SequenceStart(anchor, tag(t)),
        Event::MappingStart(anchor, t) => Event::MappingStart(anchor, tag(t)),
        Event::Nothing => Event::Nothing,
        Event::StreamStart => Event::StreamStart,
        Event::StreamEnd => Event::StreamEnd,
        Event::DocumentStart(explicit) => Event::DocumentStart(explicit),
        Event::DocumentEnd => Event::DocumentEnd,
        Event::Alias(id) => Event::Alias(id),
        Event::SequenceEnd => Event::SequenceEnd,
        Event::MappingEnd => Event::MappingEnd,
    }
}

fn tag_text(tag: &saphyr_parser::Tag) -> String {
    if tag.handle == "!" {
        format!("!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

impl Tree {
    /// Parses the first document. libyaml takes a tab after a value's `:` as the separating
    /// blank where saphyr refuses it; such tabs become spaces and the parse is retried.
    fn parse(&mut self, text: &str) -> Result<Option<usize>, String> {
        check_version_directive(text)?;
        let mut text = std::borrow::Cow::Borrowed(text);
        for _ in 0..10_000 {
            *self = Tree::default();
            match self.parse_once(&text) {
                Ok(root) => return Ok(root),
                Err(ParseError {
                    scan: Some(e),
                    message,
                }) if e.info() == "':' must be followed by a valid YAML whitespace" => {
                    let mut chars: Vec<char> = text.chars().collect();
                    let mut i = e.marker().index().min(chars.len());
                    let mut replaced = false;
                    while i > 0 && chars[i - 1] == '\t' {
                        chars[i - 1] = ' ';
                        i -= 1;
                        replaced = true;
                    }
                    if !replaced {
                        return Err(message);
                    }
                    text = std::borrow::Cow::Owned(chars.into_iter().collect());
                }
                Err(ParseError {
                    scan: Some(e),
                    message,
                }) if e.info().starts_with("invalid indentation") => {
                    // libyaml does not hold flow content to the block indentation; saphyr does.
                    // Indenting the line past the flow collection's own line changes nothing
                    // else (leading blanks of continuation lines are not content).
                    let chars: Vec<char> = text.chars().collect();
                    let opener = self
                        .open
                        .last()
                        .copied()
                        .filter(|i| matches!(chars.get(*i), Some('[' | '{')));
                    let Some(opener) = opener else {
                        return Err(message);
                    };
                    let opener_line = chars[..opener].iter().filter(|c| **c == '\n').count();
                    let opener_indent = text
                        .lines()
                        .nth(opener_line)
                        .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
                    let error_line = e.marker().line().saturating_sub(1);
                    if error_line <= opener_line {
                        return Err(message);
                    }
                    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
                    let line = &mut lines[error_line];
                    let indent = line.len() - line.trim_start_matches(' ').len();
                    if indent > opener_indent {
                        return Err(message);
                    }
                    *line = format!(
                        "{}{}",
                        " ".repeat(opener_indent + 1),
                        line.trim_start_matches(' ')
                    );
                    text = std::borrow::Cow::Owned(lines.join("\n"));
                }
                Err(e) => return Err(e.message),
            }
        }
        Err("yaml: too many tabs".into())
    }

    fn parse_once(&mut self, text: &str) -> Result<Option<usize>, ParseError> {
        let mut events: Events<'_> = Parser::new_from_str(text);
        loop {
            match next(&mut events, text)?.0 {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(None),
                Event::DocumentStart(_) => break,
                other => return Err(plain_error(format!("yaml: unexpected event {other:?}"))),
            }
        }
        let (event, span) = next(&mut events, text)?;
        let root = self.node(&mut events, text, event, span)?;
        match next(&mut events, text)?.0 {
            Event::DocumentEnd => Ok(Some(root)),
            other => Err(plain_error(format!(
                "yaml: expected document end, found {other:?}"
            ))),
        }
    }

    fn push(&mut self, kind: NodeKind, span: Span, anchor: usize) -> usize {
        let _ = span;
        self.nodes.push(Node { kind });
        let index = self.nodes.len() - 1;
        if anchor > 0 {
            self.anchors.insert(anchor, index);
        }
        index
    }

    fn node(
        &mut self,
        events: &mut Events<'_>,
        text: &str,
        event: Event<'_>,
        span: Span,
    ) -> Result<usize, ParseError> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let kind = NodeKind::Scalar {
                    value: value.into_owned(),
                    plain: style == ScalarStyle::Plain,
                    tag: tag.as_deref().map(tag_text),
                };
                Ok(self.push(kind, span, anchor))
            }
            Event::Alias(id) => {
                let Some(&target) = self.anchors.get(&id) else {
                    return Err(plain_error("yaml: unknown anchor referenced".into()));
                };
                Ok(self.push(NodeKind::Alias(target), span, 0))
            }
            Event::SequenceStart(anchor, _) => {
                self.open.push(span.start.index());
                let index = self.push(NodeKind::Seq(Vec::new()), span, anchor);
                let mut items = Vec::new();
                loop {
                    let (event, span) = next(events, text)?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(events, text, event, span)?);
                }
                self.nodes[index].kind = NodeKind::Seq(items);
                self.open.pop();
                Ok(index)
            }
            Event::MappingStart(anchor, _) => {
                self.open.push(span.start.index());
                let index = self.push(NodeKind::Map(Vec::new()), span, anchor);
                let mut pairs = Vec::new();
                loop {
                    let (event, span) = next(events, text)?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(events, text, event, span)?;
                    let (event, span) = next(events, text)?;
                    let value = self.node(events, text, event, span)?;
                    pairs.push((key, value));
                }
                self.nodes[index].kind = NodeKind::Map(pairs);
                self.open.pop();
                Ok(index)
            }
            other => Err(plain_error(format!("yaml: unexpected event {other:?}"))),
        }
    }
}

/// libyaml (and so go-yaml v2) reads YAML 1.1 only: a `%YAML` directive naming another
/// version fails the document.
fn check_version_directive(text: &str) -> Result<(), String> {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix("%YAML") else {
            if line.starts_with('%') {
                continue;
            }
            return Ok(());
        };
        let version = rest.split('#').next().unwrap_or("").trim();
        if version != "1.1" {
            let at = if n > 0 {
                format!("line {n}: ")
            } else {
                String::new()
            };
            return Err(format!("yaml: {at}found incompatible YAML document"));
        }
    }
    Ok(())
}

struct Decoder<'t> {
    tree: &'t Tree,
    active_aliases: Vec<usize>,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
}

/// go-yaml v2's limit on alias expansion ("billion laughs"): the share of decoded nodes that
/// may come from aliases shrinks as documents grow.
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

impl Decoder<'_> {
    fn count(&mut self) -> Result<(), String> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err("yaml: document contains excessive aliasing".into());
        }
        Ok(())
    }

    fn unmarshal(&mut self, index: usize) -> Result<GoYaml, String> {
        self.count()?;
        let node = &self.tree.nodes[index];
        match &node.kind {
            NodeKind::Alias(target) => {
                let target = *target;
                self.enter_alias(index)?;
                let out = self.unmarshal(target);
                self.leave_alias();
                out
            }
            NodeKind::Scalar { value, plain, tag } => scalar(value, *plain, tag.as_deref()),
            NodeKind::Seq(items) => items
                .iter()
                .map(|item| self.unmarshal(*item))
                .collect::<Result<_, _>>()
                .map(GoYaml::Seq),
            NodeKind::Map(_) => {
                let mut out = Vec::new();
                self.mapping_into(index, &mut out)?;
                Ok(GoYaml::Map(out))
            }
        }
    }

    fn enter_alias(&mut self, index: usize) -> Result<(), String> {
        if self.active_aliases.contains(&index) {
            return Err("yaml: anchor value contains itself".into());
        }
        self.active_aliases.push(index);
        self.alias_depth += 1;
        Ok(())
    }

    fn leave_alias(&mut self) {
        self.active_aliases.pop();
        self.alias_depth -= 1;
    }

    /// Decodes a mapping (or an alias of one) into `out`, as go-yaml decodes into an existing
    /// map: later keys replace earlier ones.
    fn mapping_into(
        &mut self,
        index: usize,
        out: &mut Vec<(GoYaml, GoYaml)>,
    ) -> Result<(), String> {
        let node = &self.tree.nodes[index];
        let pairs = match &node.kind {
            NodeKind::Map(pairs) => pairs,
            NodeKind::Alias(target) => {
                let target = *target;
                self.count()?;
                self.enter_alias(index)?;
                let result = self.mapping_into(target, out);
                self.leave_alias();
                return result;
            }
            _ => {
                return Err("yaml: map merge requires map or sequence of maps as the value".into())
            }
        };
        for (k, v) in pairs {
            if self.is_merge(*k) {
                self.merge(*v, out)?;
                continue;
            }
            let key = self.unmarshal(*k)?;
            if matches!(key, GoYaml::Map(_) | GoYaml::Seq(_)) {
                return Err(format!("yaml: invalid map key: {}", go_debug(&key)));
            }
            let value = self.unmarshal(*v)?;
            set_key(out, key, value);
        }
        Ok(())
    }

    fn is_merge(&self, index: usize) -> bool {
        matches!(&self.tree.nodes[index].kind,
            NodeKind::Scalar { value, plain, tag } if value == "<<"
                && ((*plain && tag.is_none()) || tag.as_deref() == Some("tag:yaml.org,2002:merge")))
    }

    fn target_kind(&self, index: usize) -> &NodeKind {
        match &self.tree.nodes[index].kind {
            NodeKind::Alias(target) => &self.tree.nodes[*target].kind,
            kind => kind,
        }
    }

    fn merge(&mut self, index: usize, out: &mut Vec<(GoYaml, GoYaml)>) -> Result<(), String> {
        const WANT_MAP: &str = "yaml: map merge requires map or sequence of maps as the value";
        match &self.tree.nodes[index].kind {
            NodeKind::Map(_) => {
                self.count()?;
                self.mapping_into(index, out)
            }
            NodeKind::Alias(_) => {
                if !matches!(self.target_kind(index), NodeKind::Map(_)) {
                    return Err(WANT_MAP.into());
                }
                self.mapping_into(index, out)
            }
            NodeKind::Seq(items) => {
                for item in items.iter().rev() {
                    if !matches!(self.target_kind(*item), NodeKind::Map(_)) {
                        return Err(WANT_MAP.into());
                    }
                    if matches!(self.tree.nodes[*item].kind, NodeKind::Map(_)) {
                        self.count()?;
                    }
                    self.mapping_into(*item, out)?;
                }
                Ok(())
            }
            NodeKind::Scalar { .. } => Err(WANT_MAP.into()),
        }
    }
}

/// Sets `key` in a Go `map[interface{}]interface{}`: keys are equal when their Go types and
/// values are (the int 1 and the string "1" are two keys; NaN never equals itself).
fn set_key(out: &mut Vec<(GoYaml, GoYaml)>, key: GoYaml, value: GoYaml) {
    let same = |a: &GoYaml, b: &GoYaml| match (a, b) {
        (GoYaml::Nil, GoYaml::Nil) => true,
        (GoYaml::Bool(x), GoYaml::Bool(y)) => x == y,
        (GoYaml::Int(x), GoYaml::Int(y)) => x == y,
        (GoYaml::Uint(x), GoYaml::Uint(y)) => x == y,
        (GoYaml::Float(x), GoYaml::Float(y)) => x == y,
        (GoYaml::Str(x), GoYaml::Str(y)) => x == y,
        _ => false,
    };
    if let Some(slot) = out.iter_mut().find(|(k, _)| same(k, &key)) {
        slot.1 = value;
    } else {
        out.push((key, value));
    }
}

/// Go's `%#v` of a decoded value (`[]interface {}{"a", 1}`), for the invalid-key message.
fn go_debug(v: &GoYaml) -> String {
    match v {
        GoYaml::Nil => "interface {}(nil)".into(),
        GoYaml::Bool(b) => b.to_string(),
        GoYaml::Int(i) => i.to_string(),
        GoYaml::Uint(u) => format!("0x{u:x}"),
        GoYaml::Float(f) => crate::encoding::number::format_g64(*f),
        GoYaml::Str(s) => go_quote(s),
        GoYaml::Seq(items) => format!(
            "[]interface {{}}{{{}}}",
            items.iter().map(go_debug).collect::<Vec<_>>().join(", ")
        ),
        GoYaml::Map(pairs) => {
            let mut entries: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{}", go_debug(k), go_debug(v)))
                .collect();
            entries.sort();
            format!(
                "map[interface {{}}]interface {{}}{{{}}}",
                entries.join(", ")
            )
        }
    }
}

/// Go's `strconv.Quote` for the common characters.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(TAG_PREFIX) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

/// go-yaml v2's `scalar` into `interface{}`: plain scalars resolve; quoted and block scalars are
/// strings; explicit core tags convert (`!!int "12"`, `!!float 1`) or fail; timestamps stay
/// text; `!!binary` is base64-decoded.
fn scalar(value: &str, plain: bool, tag: Option<&str>) -> Result<GoYaml, String> {
    let Some(tag) = tag else {
        if !plain {
            return Ok(GoYaml::Str(value.to_string()));
        }
        return Ok(from_resolved(resolve_plain(value), value));
    };
    let suffix = tag.strip_prefix(TAG_PREFIX);
    match suffix {
        Some("binary") => {
            let bytes = decode_base64(value)
                .ok_or_else(|| "yaml: !!binary value contains invalid base64 data".to_string())?;
            Ok(GoYaml::Str(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Some("str") => Ok(GoYaml::Str(value.to_string())),
        Some(kind @ ("bool" | "int" | "float" | "null" | "timestamp")) => {
            let mut resolved = resolve_plain(value);
            // The timestamp check only applies to untagged or !!timestamp scalars.
            if matches!(resolved, Resolved::Timestamp) && kind != "timestamp" {
                resolved = resolve_without_timestamp(value);
            }
            let rtag = match &resolved {
                Resolved::Null => "null",
                Resolved::Bool(_) => "bool",
                Resolved::Int(_) | Resolved::Uint(_) => "int",
                Resolved::Float(_) => "float",
                Resolved::Timestamp => "timestamp",
                Resolved::Str => "str",
            };
            if rtag == kind {
                return Ok(from_resolved(resolved, value));
            }
            if kind == "float" {
                match resolved {
                    Resolved::Int(i) => return Ok(GoYaml::Float(i as f64)),
                    Resolved::Uint(_) => {}
                    _ => {}
                }
            }
            Err(format!(
                "yaml: cannot decode !!{rtag} `{value}` as a {}",
                short_tag(tag)
            ))
        }
        // Other tags (`!local`, `!`, `!!map` on a scalar, `!!merge`) leave the text as is.
        _ => Ok(GoYaml::Str(value.to_string())),
    }
}

fn resolve_without_timestamp(value: &str) -> Resolved {
    // Same as resolve_plain, skipping the timestamp branch: the numeric forms.
    let plain = value.replace('_', "");
    if let Some(i) = super::resolve::go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = super::resolve::go_parse_uint(&plain) {
        return Resolved::Uint(u);
    }
    Resolved::Str
}

fn from_resolved(resolved: Resolved, text: &str) -> GoYaml {
    match resolved {
        Resolved::Null => GoYaml::Nil,
        Resolved::Bool(b) => GoYaml::Bool(b),
        Resolved::Int(i) => GoYaml::Int(i),
        Resolved::Uint(u) => GoYaml::Uint(u),
        Resolved::Float(f) => GoYaml::Float(f),
        Resolved::Timestamp | Resolved::Str => GoYaml::Str(text.to_string()),
    }
}

/// Go's `base64.StdEncoding.DecodeString` (padding required; newlines ignored as Go does).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'\n' && *c != b'\r')
        .collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for (n, chunk) in clean.chunks(4).enumerate() {
        let last = n == clean.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc = 0u32;
        for c in &chunk[..4 - pad] {
            acc = acc << 6 | value(*c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}
