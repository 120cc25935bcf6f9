//! Reading canonical manifests back without the YAML parser.
//!
//! Most manifests wo reads are its own canonical output ([`ManifestSet::into_yaml`]): the
//! policy gate checks what the canonicaliser just wrote, the review compares the proposal with
//! the env branch wo wrote earlier. Parsing that text again with the full YAML parser was most
//! of prepare-pr's CPU. [`read`] reads the narrow block form wo's emitter writes (no flow
//! collections but `[]` and `{}`, no anchors, tags, comments or multi-line scalars, exact
//! indentation) directly into values. Every scalar is taken only where its meaning is certain:
//! quoted text, `null`, `true`, `false`, decimal integers, simple words, and otherwise only
//! what the emitter itself would write so (its contract: what it writes, every YAML reader
//! reads back as the value it came from). Anything else (hand-written text, another engine's
//! output, a document near a [`Budget`] limit) is left to the full parser, which also words
//! the errors.

use wo_core::value::Map;
use wo_core::yaml::{Budget, NodeKind};
use wo_core::{Location, Value};

use super::Resource;

/// The resources of `text`, in document order, when every document of it is in canonical
/// form and well inside `budget`; `None` when the full parser must read it.
pub(super) fn read(text: &str, file: &str, budget: &Budget) -> Option<Vec<Resource>> {
    // No scalar, node count or size limit can be reached by a text shorter than each of them.
    if text.len() > budget.max_bytes
        || text.len() >= budget.max_scalar_bytes
        || text.len() >= budget.max_nodes
    {
        return None;
    }
    let mut resources = Vec::new();
    let mut line = 1u32;
    let mut rest = text;
    loop {
        let (doc, next) = match rest.find("\n---\n") {
            Some(i) => (&rest[..=i], Some(&rest[i + 5..])),
            None => (rest, None),
        };
        if doc.is_empty() || resources.len() + 1 >= budget.max_documents {
            return None;
        }
        let value = document(doc, budget)?;
        resources.push(identify(value, file, line)?);
        let lines = u32::try_from(doc.bytes().filter(|b| *b == b'\n').count()).ok()?;
        line = line.checked_add(lines)?.checked_add(1)?;
        match next {
            Some(n) => rest = n,
            None => return Some(resources),
        }
    }
}

/// The value of one document (without `---` lines) in the emitter's block form, ending with a
/// newline, when it is read as certainly as [`read`] reads; `None` otherwise. What it gives is
/// what the YAML 1.2 core schema and YAML 1.1 readers both read.
pub(crate) fn document(doc: &str, budget: &Budget) -> Option<Value> {
    if doc.len() > budget.max_bytes
        || doc.len() >= budget.max_scalar_bytes
        || doc.len() >= budget.max_nodes
    {
        return None;
    }
    let mut reader = Reader {
        s: doc.as_bytes(),
        text: doc,
        pos: 0,
        depth: 0,
        max_depth: budget.max_depth / 2,
    };
    let value = reader.block(0)?;
    (reader.pos == doc.len()).then_some(value)
}

/// The resource of a canonical document whose root starts at `line`: its identity as the full
/// reader takes it; `None` for anything the full reader reports or expands (a `List`).
pub(super) fn identify(value: Value, file: &str, line: u32) -> Option<Resource> {
    let map = value.as_object()?;
    let string = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let kind = string(map.get("kind"))?;
    if kind == "List" {
        return None;
    }
    let api_version = string(map.get("apiVersion"))?;
    let metadata = map.get("metadata")?.as_object()?;
    let name = string(metadata.get("name"))?;
    let namespace = match metadata.get("namespace") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    Some(Resource::read(
        api_version,
        kind,
        namespace,
        name,
        value,
        Location::file(file).with_key("").at(line, 1),
    ))
}

/// The resources of raw engine output (what `helm template` or the handlebars engine
/// prints) when every document of it is in the plain block form engines print and well
/// inside `budget`; `None` when the full parser must read it.
///
/// The form: `---` separators, comment lines and trailing comments, block maps and sequences
/// at any consistent indentation (`- ` items at or deeper than their key), single-line quoted
/// scalars, `[]` and `{}`, and plain scalars resolved by the parser's own YAML 1.1 resolver
/// ([`wo_core::yaml::resolve_plain_yaml11`]). Anything else — block scalars, flow collections
/// with content, anchors, aliases, tags, multi-line scalars, tabs, duplicate or merge keys,
/// keys that are not strings, a document that is no resource map or a `List` — is left to the
/// full parser, which also words the errors.
pub(super) fn read_raw(
    text: &str,
    file: &str,
    budget: &Budget,
    slow: &dyn Fn(&str) -> Option<Vec<Resource>>,
) -> Option<Vec<Resource>> {
    if text.len() > budget.max_bytes
        || text.len() >= budget.max_scalar_bytes
        || text.len() >= budget.max_nodes
        || text.contains('\r')
    {
        return None;
    }
    let mut resources = Vec::new();
    let mut documents = 0usize;
    let mut lines: Vec<Line<'_>> = Vec::new();
    // Where the current document starts: its first line's index and byte offset; and
    // whether a line of it is outside the form.
    let (mut start_line, mut start_byte, mut outside) = (0usize, 0usize, false);
    let (mut index, mut at) = (0usize, 0usize);
    loop {
        let l = (at <= text.len()).then(|| {
            let rest = &text[at..];
            &rest[..rest.find('\n').unwrap_or(rest.len())]
        });
        let end = match l {
            None => true,
            Some(l) if l.starts_with("---") => {
                if l != "---" {
                    return None;
                }
                true
            }
            Some(_) => false,
        };
        if end {
            documents += 1;
            if documents >= budget.max_documents {
                return None;
            }
            let doc_end = at.min(text.len());
            let content = outside || !lines.is_empty();
            let fast = if outside || lines.is_empty() {
                None
            } else {
                raw_document(text, std::mem::take(&mut lines), file, budget)
            };
            match fast {
                Some(resource) => resources.push(resource),
                None if !content => {}
                None => {
                    // The full parser reads this document alone, on the lines it has in the
                    // stream; only when it reads it without any problem (else it reads the
                    // whole stream and words the errors). Aliases are left to it entirely, as
                    // their budget counts over the stream.
                    let doc = &text[start_byte..doc_end];
                    if doc.contains('*') {
                        return None;
                    }
                    let padded = format!("{}{doc}", "\n".repeat(start_line));
                    resources.extend(slow(&padded)?);
                }
            }
            lines.clear();
            outside = false;
            let Some(l) = l else {
                return Some(resources);
            };
            at += l.len() + 1;
            index += 1;
            (start_line, start_byte) = (index, at);
            continue;
        }
        let l = l?;
        let this = index;
        at += l.len() + 1;
        index += 1;
        if l.starts_with('%') || l.starts_with("...") {
            return None;
        }
        if outside {
            continue;
        }
        let indent = match content_line(l) {
            Some(Some(indent)) => indent,
            Some(None) => continue,
            None => {
                outside = true;
                continue;
            }
        };
        lines.push(Line {
            no: u32::try_from(this + 1).ok()?,
            indent,
            text: l,
        });
    }
}

/// The value of one raw document (its text without `---` lines, ending with a line break)
/// when it is in the form [`read_raw`] reads, the 0-based line of the document where its root
/// starts (the value [`read_raw`] gives that document wherever it stands in a stream), and
/// the document's leaves in the order read: every value that the emitter writes on the line
/// of its key or dash (a scalar, `[]`, `{}`, each item of a one-line flow sequence), with
/// where its text is when it stands alone on its line. `None` for a document that is not a
/// map, or anything outside the form.
pub(crate) fn raw_value_with_leaves(
    doc: &str,
    budget: &Budget,
) -> Option<(Value, u32, Vec<RawLeaf>)> {
    if doc.len() > budget.max_bytes
        || doc.len() >= budget.max_scalar_bytes
        || doc.len() >= budget.max_nodes
        || doc.contains('\r')
    {
        return None;
    }
    let mut lines: Vec<Line<'_>> = Vec::new();
    let body = doc.strip_suffix('\n')?;
    for (i, l) in body.split('\n').enumerate() {
        if l.starts_with("---") || l.starts_with('%') || l.starts_with("...") {
            return None;
        }
        let Some(indent) = content_line(l)? else {
            continue;
        };
        lines.push(Line {
            no: u32::try_from(i + 1).ok()?,
            indent,
            text: l,
        });
    }
    let root = lines.first()?;
    if root.indent != 0 {
        return None;
    }
    let at = root.no - 1;
    let mut leaves = Vec::new();
    let mut raw = Raw {
        text: doc,
        lines,
        i: 0,
        depth: 0,
        max_depth: budget.max_depth / 2,
        leaves: Some(&mut leaves),
    };
    let value = raw.node()?;
    let read = raw.i == raw.lines.len();
    (read && value.is_object()).then_some((value, at, leaves))
}

/// A leaf of a raw document as read ([`raw_value_with_leaves`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawLeaf {
    /// Where the leaf's text stands alone on its line: `None` for a leaf that shares its line
    /// or takes more than it (an item of a flow sequence, a block scalar, a key without a
    /// value).
    pub(crate) line: Option<RawLine>,
}

/// Where a leaf's text stands alone on a line of a raw document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawLine {
    /// The 0-based line of the document.
    pub(crate) no: u32,
    /// The byte of the line where the text starts; everything before it is the key and `: `,
    /// or the `- `, with their indentation.
    pub(crate) column: u32,
    /// Whether the text follows a `- ` (a sequence item) rather than a key.
    pub(crate) item: bool,
}

/// The value of the leaf on raw line `line` at `at` (its text from the column to the line's
/// end) as the reader reads it there when everything before the column is as it was; `None`
/// where the reader would read something else than a leaf the emitter writes on its line.
pub(crate) fn leaf_value(line: &str, at: RawLine) -> Option<Value> {
    content_line(line)??;
    let content = line.get(at.column as usize..)?;
    if content.is_empty()
        || content.trim_start().len() != content.len()
        || content.starts_with('#')
        || literal_header(content).is_some()
        || (at.item && (is_item(content) || key(content).is_some()))
    {
        return None;
    }
    let value = inline(content)?;
    match &value {
        Value::Array(items) if !items.is_empty() => None,
        _ => Some(value),
    }
}

/// What a line of raw output is to the raw reader: `Some(Some(indent))` for a line with
/// content at `indent` spaces, `Some(None)` for a blank or comment-only line, `None` for a
/// line with characters it leaves to the parser (tabs, control characters, unusual spaces).
fn content_line(l: &str) -> Option<Option<usize>> {
    let indent = l.bytes().take_while(|b| *b == b' ').count();
    let content = &l[indent..];
    if content.is_empty() || content.starts_with('#') {
        return Some(None);
    }
    let odd = if l.is_ascii() {
        l.bytes().any(|b| b < 0x20 || b == 0x7f)
    } else {
        l.contains('\t') || l.chars().any(unusual)
    };
    (!odd).then_some(Some(indent))
}

/// The resource of one raw document's content lines, when it is in the form [`read_raw`]
/// reads; `None` otherwise.
fn raw_document<'a>(
    text: &'a str,
    lines: Vec<Line<'a>>,
    file: &str,
    budget: &Budget,
) -> Option<Resource> {
    let root = lines.first()?;
    if root.indent != 0 {
        return None;
    }
    let line = root.no;
    let mut raw = Raw {
        text,
        lines,
        i: 0,
        depth: 0,
        max_depth: budget.max_depth / 2,
        leaves: None,
    };
    let value = raw.node()?;
    if raw.i != raw.lines.len() || !value.is_object() {
        return None;
    }
    identify(value, file, line)
}

/// A line of raw output with content (no blank or comment-only line).
struct Line<'a> {
    /// 1-based line number in the stream.
    no: u32,
    /// Leading spaces.
    indent: usize,
    /// The whole line, without its newline.
    text: &'a str,
}

/// A reader of one raw document's content lines; `None` at anything outside the form.
struct Raw<'a, 'l> {
    /// The whole stream.
    text: &'a str,
    lines: Vec<Line<'a>>,
    i: usize,
    depth: usize,
    max_depth: usize,
    /// Where to record the leaves read, when asked.
    leaves: Option<&'l mut Vec<RawLeaf>>,
}

/// Whether `content` (from a line's indentation on) is a sequence item.
fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// What may follow a scalar or `[]`/`{}` on its line: nothing, or spaces and a comment.
fn tail_ok(tail: &str) -> bool {
    tail.is_empty()
        || (tail.starts_with(' ')
            && matches!(tail.trim_start().as_bytes().first(), None | Some(b'#')))
}

impl Raw<'_, '_> {
    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= self.max_depth).then_some(())
    }

    /// Records a leaf that does not stand alone on a line, when asked.
    fn leaf_not_alone(&mut self) {
        if let Some(leaves) = self.leaves.as_mut() {
            leaves.push(RawLeaf { line: None });
        }
    }

    /// Records a leaf read from `content` on the current line (after a `- ` when `item`), or
    /// for a flow sequence its items, when asked.
    fn leaf(&mut self, value: &Value, content: &str, item: bool) {
        let Some(leaves) = self.leaves.as_mut() else {
            return;
        };
        match value {
            Value::Array(items) if !items.is_empty() => {
                leaves.extend(items.iter().map(|_| RawLeaf { line: None }));
            }
            _ => {
                let line = &self.lines[self.i];
                let column = (content.as_ptr() as usize).checked_sub(line.text.as_ptr() as usize);
                let at = column.and_then(|column| {
                    Some(RawLine {
                        no: line.no.checked_sub(1)?,
                        column: u32::try_from(column).ok()?,
                        item,
                    })
                });
                leaves.push(RawLeaf { line: at });
            }
        }
    }

    /// The block collection starting at the current line's indentation.
    fn node(&mut self) -> Option<Value> {
        let line = self.lines.get(self.i)?;
        let n = line.indent;
        if is_item(&line.text[n..]) {
            self.seq(n)
        } else {
            self.map(n)
        }
    }

    /// A literal block scalar whose header ends the current line and whose lines are
    /// indented deeper than `n` (the same for all; no blank line before the first, no line of
    /// only spaces); moves past it.
    fn literal(&mut self, n: usize, strip: bool) -> Option<Value> {
        let header = &self.lines[self.i];
        let offset = (header.text.as_ptr() as usize).checked_sub(self.text.as_ptr() as usize)?;
        let mut rest = self.text.get(offset + header.text.len() + 1..)?;
        let (mut no, mut last) = (header.no, header.no);
        let mut content: Option<usize> = None;
        let mut out = String::new();
        let mut blank = 0usize;
        while !rest.is_empty() {
            // A last line without its line break: the chomping differs; the parser decides.
            let end = rest.find('\n')?;
            let l = &rest[..end];
            rest = &rest[end + 1..];
            no = no.checked_add(1)?;
            if l.is_empty() {
                content?;
                blank += 1;
                continue;
            }
            let indent = l.bytes().take_while(|b| *b == b' ').count();
            if indent == l.len() {
                return None;
            }
            let c = match content {
                None if indent > n => *content.insert(indent),
                None => return None,
                Some(c) if indent < c => break,
                Some(c) => c,
            };
            if l.chars().any(|ch| ch == '\t' || unusual(ch)) {
                return None;
            }
            if last != header.no {
                out.push('\n');
            }
            for _ in 0..blank {
                out.push('\n');
            }
            blank = 0;
            out.push_str(&l[c..]);
            last = no;
        }
        content?;
        if !strip {
            out.push('\n');
        }
        while self.lines.get(self.i).is_some_and(|l| l.no <= last) {
            self.i += 1;
        }
        Some(Value::String(out))
    }

    /// The indentation of the next line, and whether it is a sequence item.
    fn next(&self) -> Option<(usize, bool)> {
        self.lines
            .get(self.i)
            .map(|l| (l.indent, is_item(&l.text[l.indent..])))
    }

    /// A sequence whose `-` sit at column `n`, from its first item.
    fn seq(&mut self, n: usize) -> Option<Value> {
        self.deeper()?;
        let mut items = Vec::new();
        loop {
            let text = self.lines[self.i].text;
            let rest = &text[n + 1..];
            let spaces = rest.bytes().take_while(|b| *b == b' ').count();
            let content = &rest[spaces..];
            let item = if content.is_empty() || content.starts_with('#') {
                self.i += 1;
                match self.next() {
                    Some((indent, _)) if indent > n => self.node()?,
                    _ => {
                        self.leaf_not_alone();
                        Value::Null
                    }
                }
            } else if is_item(content) {
                return None;
            } else {
                self.entry_or_scalar(n, n + 1 + spaces)?
            };
            items.push(item);
            match self.next() {
                Some((indent, true)) if indent == n => {}
                Some((indent, _)) if indent > n => return None,
                _ => break,
            }
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    /// What follows `- ` at column `col` of the current line: a map whose first entry is on
    /// this line, or a scalar.
    fn entry_or_scalar(&mut self, n: usize, col: usize) -> Option<Value> {
        let content = &self.lines[self.i].text[col..];
        if key(content).is_some() {
            return self.map(col);
        }
        if let Some(strip) = literal_header(content) {
            let value = self.literal(n + 1, strip)?;
            self.leaf_not_alone();
            return Some(value);
        }
        let value = inline(content)?;
        self.leaf(&value, content, true);
        self.i += 1;
        Some(value)
    }

    /// A map whose keys sit at column `n`, from its first entry (at column `n` of the current
    /// line, which may follow a `- `).
    fn map(&mut self, n: usize) -> Option<Value> {
        self.deeper()?;
        let mut map = Map::new();
        loop {
            let content = &self.lines[self.i].text[n..];
            let (key, used) = key(content)?;
            let rest = &content[used..];
            let value = if rest.trim_start().is_empty() || rest.trim_start().starts_with('#') {
                if !rest.is_empty() && !rest.starts_with(' ') {
                    return None;
                }
                self.i += 1;
                match self.next() {
                    Some((indent, _)) if indent > n => self.node()?,
                    Some((indent, true)) if indent == n => self.seq(n)?,
                    _ => {
                        self.leaf_not_alone();
                        Value::Null
                    }
                }
            } else {
                let rest = rest.strip_prefix(' ')?.trim_start();
                if let Some(strip) = literal_header(rest) {
                    let value = self.literal(n, strip)?;
                    self.leaf_not_alone();
                    value
                } else {
                    let value = inline(rest)?;
                    self.leaf(&value, rest, false);
                    self.i += 1;
                    value
                }
            };
            if map.insert(key, value).is_some() {
                return None;
            }
            match self.next() {
                Some((indent, false)) if indent == n => {}
                Some((indent, _)) if indent >= n => return None,
                _ => break,
            }
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }
}

/// Whether `content` is the header of a literal block scalar this reader reads: `Some(true)`
/// for `|-` (strip), `Some(false)` for `|` (clip).
fn literal_header(content: &str) -> Option<bool> {
    match content.trim_end_matches(' ') {
        "|" => Some(false),
        "|-" => Some(true),
        _ => None,
    }
}

/// The key at the start of `content` and the length up to and including its `:`, when it
/// is a single-line key that the full reader reads as this string; `None` otherwise.
fn key(content: &str) -> Option<(String, usize)> {
    let (text, used) = match content.as_bytes().first()? {
        b'\'' | b'"' => {
            let (text, used) = quoted(content)?;
            (text, used)
        }
        b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
        | b'|' | b'>' | b'%' | b'@' | b'`' => return None,
        _ => {
            let end = match content.find(": ") {
                Some(i) => i,
                None if content.ends_with(':') => content.len() - 1,
                None => return None,
            };
            let text = &content[..end];
            if text.ends_with(' ') || text.contains(" #") {
                return None;
            }
            match wo_core::yaml::resolve_plain_yaml11(text) {
                Ok(NodeKind::Str(s)) if s != "<<" => (s, end),
                _ => return None,
            }
        }
    };
    if text.len() > MAX_KEY_BYTES || content.as_bytes().get(used) != Some(&b':') {
        return None;
    }
    Some((text, used + 1))
}

/// The value written on a line from `content` (not empty, not a comment) to the line's end.
fn inline(content: &str) -> Option<Value> {
    let (value, tail) = match content.as_bytes().first()? {
        b'\'' | b'"' => {
            let (text, used) = quoted(content)?;
            (Value::String(text), &content[used..])
        }
        b'[' | b'{' => {
            if let Some(t) = content.strip_prefix("[]") {
                (Value::Array(Vec::new()), t)
            } else if let Some(t) = content.strip_prefix("{}") {
                (Value::Object(Map::new()), t)
            } else if content.starts_with('[') {
                flow_seq(content)?
            } else {
                return None;
            }
        }
        b'-' | b'?' | b':' => {
            if content.len() == 1 || content.as_bytes()[1] == b' ' {
                return None;
            }
            return plain(content);
        }
        b',' | b']' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => {
            return None
        }
        _ => return plain(content),
    };
    tail_ok(tail).then_some(value)
}

/// A one-line flow sequence of quoted scalars and simple words (`['-c', "x", a.b]`) at the
/// start of `content`, and what follows it; `None` for anything else in it.
fn flow_seq(content: &str) -> Option<(Value, &str)> {
    let mut rest = content.strip_prefix('[')?;
    let mut items = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        let item = match rest.as_bytes().first()? {
            b'\'' | b'"' => {
                let (text, used) = quoted(rest)?;
                rest = &rest[used..];
                Value::String(text)
            }
            _ => {
                let end = rest.bytes().position(|b| {
                    !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/'))
                })?;
                let word = &rest[..end];
                rest = &rest[end..];
                match wo_core::yaml::resolve_plain_yaml11(word).ok()? {
                    NodeKind::Str(s) if !word.is_empty() => Value::String(s),
                    _ => return None,
                }
            }
        };
        items.push(item);
        rest = rest.trim_start_matches(' ');
        match rest.as_bytes().first()? {
            b',' => rest = &rest[1..],
            b']' => return Some((Value::Array(items), &rest[1..])),
            _ => return None,
        }
    }
}

/// A plain scalar from `content` to the line's end or a comment, as the full reader
/// resolves it.
fn plain(content: &str) -> Option<Value> {
    let text = match content.find(" #") {
        Some(i) => &content[..i],
        None => content,
    }
    .trim_end_matches(' ');
    if text.contains(": ") || text.ends_with(':') {
        return None;
    }
    Some(match wo_core::yaml::resolve_plain_yaml11(text).ok()? {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(b),
        NodeKind::Int(i) => Value::from(i),
        NodeKind::Float(f) => Value::Number(serde_json::Number::from_f64(f)?),
        NodeKind::Str(s) => Value::String(s),
        NodeKind::Seq(_) | NodeKind::Map(_) => return None,
    })
}

/// A quoted scalar closed on its line at the start of `content`, and the bytes it takes.
fn quoted(content: &str) -> Option<(String, usize)> {
    let mut reader = Reader {
        s: content.as_bytes(),
        text: content,
        pos: 0,
        depth: 0,
        max_depth: 0,
    };
    let text = if content.starts_with('\'') {
        reader.single_quoted()?
    } else {
        reader.double_quoted()?
    };
    Some((text, reader.pos))
}

/// A reader of one document in the emitter's block form. Lenient where the round trip
/// checks anyway; `None` at anything outside the form.
struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    max_depth: usize,
}

/// A scalar as written: plain or quoted, and whether a `:` follows it (a key).
struct Token {
    text: String,
    quoted: bool,
    key: bool,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Spaces from the current position.
    fn indentation(&self) -> usize {
        self.s[self.pos..]
            .iter()
            .take_while(|b| **b == b' ')
            .count()
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= self.max_depth).then_some(())
    }

    /// A block collection whose lines start at `at` spaces, from the start of its first line.
    fn block(&mut self, at: usize) -> Option<Value> {
        if self.indentation() != at {
            return None;
        }
        self.pos += at;
        if self.s[self.pos..].starts_with(b"- ") {
            self.seq(at)
        } else {
            let key = self.token()?;
            self.map(at, key)
        }
    }

    /// A sequence at `at` spaces, from its first `- `.
    fn seq(&mut self, at: usize) -> Option<Value> {
        self.deeper()?;
        let mut items = Vec::new();
        loop {
            self.eat(b'-')?;
            self.eat(b' ')?;
            items.push(self.after_indicator(at + 2)?);
            if !self.next_line_at(at) || !self.s[self.pos..].starts_with(b"- ") {
                break;
            }
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    /// A map at `at` spaces whose first key has been read.
    fn map(&mut self, at: usize, first: Token) -> Option<Value> {
        self.deeper()?;
        let mut map = Map::new();
        let mut key = first;
        loop {
            if !key.key {
                return None;
            }
            self.eat(b':')?;
            let value = match self.peek()? {
                b'\n' => {
                    self.pos += 1;
                    self.block(at + 2)?
                }
                b' ' => {
                    self.pos += 1;
                    self.inline()?
                }
                _ => return None,
            };
            if key.text.len() > MAX_KEY_BYTES
                || (!key.quoted && !reads_as_string(&key.text))
                || map.insert(key.text, value).is_some()
            {
                return None;
            }
            if !self.next_line_at(at) {
                break;
            }
            key = self.token()?;
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }

    /// Whether the next line continues the collection at `at` spaces: if so, the position
    /// moves past its indentation. A line indented deeper is outside the form.
    fn next_line_at(&mut self, at: usize) -> bool {
        if self.pos >= self.s.len() {
            return false;
        }
        if self.indentation() == at {
            self.pos += at;
            true
        } else {
            false
        }
    }

    /// What follows `- ` in a sequence whose items' content sits at `at` spaces: a nested
    /// sequence, a map whose first entry is on this line, or a scalar.
    fn after_indicator(&mut self, at: usize) -> Option<Value> {
        if self.s[self.pos..].starts_with(b"- ") {
            return self.seq(at);
        }
        if let Some(v) = self.empty_collection() {
            return Some(v);
        }
        let token = self.token()?;
        if token.key {
            return self.map(at, token);
        }
        let value = scalar(token)?;
        self.eat(b'\n')?;
        Some(value)
    }

    /// `[]` or `{}` ending the line.
    fn empty_collection(&mut self) -> Option<Value> {
        let value = match self.s.get(self.pos..self.pos + 3)? {
            b"[]\n" => Value::Array(Vec::new()),
            b"{}\n" => Value::Object(Map::new()),
            _ => return None,
        };
        self.pos += 3;
        Some(value)
    }

    /// A value written on its key's line, with the line's end.
    fn inline(&mut self) -> Option<Value> {
        if let Some(v) = self.empty_collection() {
            return Some(v);
        }
        let token = self.token()?;
        if token.key {
            return None;
        }
        let value = scalar(token)?;
        self.eat(b'\n')?;
        Some(value)
    }

    /// A scalar, plain or quoted, up to the end of its line or the `:` that makes it a key
    /// (left unread).
    fn token(&mut self) -> Option<Token> {
        let rest = &self.s[self.pos..];
        let (text, quoted) = match rest.first()? {
            b'\'' => (self.single_quoted()?, true),
            b'"' => (self.double_quoted()?, true),
            _ => {
                let end = rest.iter().position(|b| *b == b'\n')?;
                let line = &rest[..end];
                let end = match line.windows(2).position(|w| w == b": ") {
                    Some(i) => i,
                    None if line.last() == Some(&b':') => end - 1,
                    None => end,
                };
                let text = self.text.get(self.pos..self.pos + end)?.to_owned();
                self.pos += end;
                (text, false)
            }
        };
        let key = self.peek()? == b':';
        Some(Token { text, quoted, key })
    }

    fn single_quoted(&mut self) -> Option<String> {
        let mut out = String::new();
        self.pos += 1;
        loop {
            let rest = self.text.get(self.pos..)?;
            let i = rest.find(['\'', '\n'])?;
            if rest[..i].chars().any(unusual) {
                return None;
            }
            out.push_str(&rest[..i]);
            self.pos += i;
            self.eat(b'\'')?;
            if self.peek() == Some(b'\'') {
                out.push('\'');
                self.pos += 1;
            } else {
                return Some(out);
            }
        }
    }

    fn double_quoted(&mut self) -> Option<String> {
        let mut out = String::new();
        self.pos += 1;
        loop {
            let rest = self.text.get(self.pos..)?;
            let i = rest.find(['"', '\\', '\n'])?;
            if rest[..i].chars().any(unusual) {
                return None;
            }
            out.push_str(&rest[..i]);
            self.pos += i;
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    let c = match *self.s.get(self.pos + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'u' => {
                            let hex = self.text.get(self.pos + 2..self.pos + 6)?;
                            self.pos += 4;
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                        }
                        _ => return None,
                    };
                    out.push(c);
                    self.pos += 2;
                }
                _ => return None,
            }
        }
    }
}

/// Longest key read here; the emitter writes longer ones in the explicit `? key` form, and
/// YAML allows implicit keys of at most 1024 characters.
const MAX_KEY_BYTES: usize = 1000;

/// A character taken as itself here only escaped: control characters but the tab, line and
/// paragraph separators, byte-order marks (readers differ on them raw).
fn unusual(c: char) -> bool {
    matches!(c,
        '\0'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}'
        | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// The value of a scalar as every YAML 1.1 and 1.2 reader takes it, when this reader is sure
/// of it: quoted text (one line, the escapes the emitter writes), `null`, `true`, `false`,
/// decimal integers, and plain text that the emitter itself would write plain; `None`
/// otherwise.
fn scalar(token: Token) -> Option<Value> {
    if token.quoted {
        return Some(Value::String(token.text));
    }
    let text = token.text.as_str();
    match text {
        "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.starts_with(|c: char| c.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return (i.to_string() == text).then(|| Value::from(i));
        }
        if let Some(n) = text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            let value = Value::Number(n);
            return emitted_as(&value, text).then_some(value);
        }
    }
    reads_as_string(text).then(|| Value::String(token.text))
}

/// Words that YAML 1.1 reads as booleans or null in some spelling (go-yaml v2's table), and
/// names of floats some readers take: never plain strings here.
const WORDS: [&str; 12] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "inf", "nan", "infinity",
];

/// Whether plain `text` is the string `text` to every reader: a letter, then letters, digits
/// and `._/-`, and not one of [`WORDS`]; or letters and digits starting with a digit other
/// than `0` that no schema reads as a number (a hash, `500m`); else whether the emitter writes
/// it plain (its contract is that what it writes reads back as the same value).
fn reads_as_string(text: &str) -> bool {
    let b = text.as_bytes();
    let simple = b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'-'))
        && !WORDS.iter().any(|w| w.eq_ignore_ascii_case(text));
    simple || not_a_number(b) || emitted_as(&Value::String(text.to_owned()), text)
}

/// Letters and digits, starting with `1`–`9`, with a letter, and not `<digits>e<digits>`:
/// no integer (decimal, or `0x`/`0o`/`0b`, which start with `0`) or float of YAML 1.1, 1.2 or
/// Go's parsers is written so.
fn not_a_number(b: &[u8]) -> bool {
    if !matches!(b.first(), Some(b'1'..=b'9')) || !b.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    match &b[digits..] {
        [] => false,
        [b'e' | b'E', exponent @ ..] => {
            exponent.is_empty() || !exponent.iter().all(u8::is_ascii_digit)
        }
        _ => true,
    }
}

/// Whether the emitter writes `value` as the plain scalar `text`.
fn emitted_as(value: &Value, text: &str) -> bool {
    let out = wo_core::yaml::to_string(value);
    out.strip_suffix('\n') == Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestSet;

    /// Resources of every shape the emitter writes, in canonical form.
    const MIXED: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: shop}\n\
        data: {on: 'on', octal: '0777', n: '12', multi: \"a\\nb\\tc\", quote: \"it's\", colon: 'a: b', \
        hash: 'x #y', empty: '', unicode: \"caf\\u00e9 \\u0001\", url: 'http://x:1/y', trail: 'x:'}\n\
        ---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web, 'yes': y}\n\
        spec:\n  replicas: 3\n  ratio: 0.25\n  big: 1e300\n  neg: -7\n  nothing: null\n  flag: false\n\
        \x20 template:\n    spec:\n      containers:\n        - name: c\n          image: nginx:1.2\n\
        \x20         resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: '0.5'}}\n\
        \x20         args: [a, [b, c], [], {}, {k: v, l: [1, 2]}, null, 1.5, -2]\n          env: []\n\
        \x20         ports: [{containerPort: 80}]\n      volumes: {}\n---\n\
        apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: ''}\n";

    fn full(text: &str) -> ManifestSet {
        ManifestSet::parse_full(text, "t/manifests.yaml", &Budget::default()).unwrap()
    }

    #[test]
    fn canonical_text_reads_as_the_full_parser_reads_it() {
        let canonical = full(MIXED).to_yaml();
        let fast = read(&canonical, "t/manifests.yaml", &Budget::default());
        let expected = full(&canonical);
        assert_eq!(expected.len(), 3);
        assert_eq!(fast.as_deref(), Some(expected.resources.as_slice()));
        // The lines of documents after the first: what findings and duplicate errors name.
        assert!(expected.resources.iter().any(|r| r.source.line > Some(2)));
        // Scalars of every kind in block text: read as the full parser reads them, or not at
        // all (then the full parser reads the document).
        let mut accepted = 0;
        for v in [
            "Yes",
            "'Yes'",
            "NULL",
            "null",
            "~",
            "12",
            "-3",
            "012",
            "1_000",
            "0x1F",
            "1.50",
            "1.5",
            "1e3",
            ".5",
            "x y",
            "x  y",
            "café",
            "'it''s'",
            "\"\\u00e9\"",
            "2024-01-01",
            "on",
            "'on'",
            "x:y",
            "a#b",
            "a #b",
            "500m",
            "2.4.1",
            "-",
            "'-'",
            "[]",
            "{}",
            "true",
            "3f9a0e",
            "1e5",
            "1E5",
            "1e5a",
            "0b101",
            "0x1f",
            "0o17",
            "12e",
            "7",
            "1a_2",
        ] {
            let text =
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  v: {v}\n");
            if let Some(fast) = read(&text, "t/manifests.yaml", &Budget::default()) {
                assert_eq!(fast, full(&text).resources, "{text}");
                accepted += 1;
            }
        }
        assert!(accepted >= 22, "{accepted}");
        let simple = "kind: Service\nmetadata:\n  name: s\napiVersion: v1\nspec:\n  d: 12\n  g: 1.5\n  h: x-y\n";
        assert_eq!(
            read(simple, "t/manifests.yaml", &Budget::default()),
            Some(full(simple).resources)
        );
        let one = full(&expected.resources[1].to_yaml()).to_yaml();
        assert_eq!(
            read(&one, "f", &Budget::default()).map(|r| r.len()),
            Some(1)
        );
    }

    #[test]
    fn duplicates_in_canonical_text_are_the_full_parsers_errors() {
        let doc = full("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").to_yaml();
        let twice = format!("{doc}---\n{doc}");
        let fast = ManifestSet::parse(&twice, "t").unwrap_err().to_string();
        let slow = ManifestSet::parse_full(&twice, "t", &Budget::default())
            .unwrap_err()
            .to_string();
        assert_eq!(fast, slow);
        assert!(fast.contains("t:6:1"), "{fast}");
    }

    #[test]
    fn anything_else_is_left_to_the_full_parser() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        assert!(read(cm, "f", &Budget::default()).is_some());
        for text in [
            "",
            "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: on\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: 0777\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: 1e3\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: 1 # note\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: !!str 1\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |\n    text\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: a\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n",
            "apiVersion: v1\nkind: List\nmetadata:\n  name: a\nitems: []\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: a\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: 1\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a",
        ] {
            assert!(read(text, "f", &Budget::default()).is_none(), "{text}");
        }
        for raw in ["'a\u{1}b'", "\"a\u{85}b\"", "'\u{feff}'"] {
            let text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {raw}\n");
            assert!(read(&text, "f", &Budget::default()).is_none(), "{text}");
        }
        // Near a limit of the budget, the parser decides (and words the error).
        let tight = Budget {
            max_depth: 1,
            ..Budget::default()
        };
        assert!(read(cm, "f", &tight).is_none());
        assert!(ManifestSet::parse_with(cm, "f", &tight).is_err());
    }
    /// The fast reading of raw `text` (when it accepts) against the full parser: the same
    /// resources, sources and canonical bytes, or the same error. Whether it accepted.
    fn same_as_full(text: &str) -> bool {
        fast_as_full(text, &|_| None)
    }

    /// As [`same_as_full`], with the documents outside the form read by the full parser.
    fn mixed_as_full(text: &str) -> bool {
        fast_as_full(text, &|doc| {
            ManifestSet::resources_full(doc, "t/manifests.yaml", &Budget::default())
        })
    }

    fn fast_as_full(text: &str, slow: &dyn Fn(&str) -> Option<Vec<Resource>>) -> bool {
        let Some(fast) = read_raw(text, "t/manifests.yaml", &Budget::default(), slow) else {
            return false;
        };
        let full = ManifestSet::parse_full(text, "t/manifests.yaml", &Budget::default());
        match (ManifestSet::from_resources(fast), full) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.resources, b.resources, "{text}");
                assert_eq!(a.to_yaml(), b.to_yaml(), "{text}");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
            (a, b) => panic!("fast {a:?} but full {b:?} for\n{text}"),
        }
        true
    }

    #[test]
    fn raw_helm_output_of_the_corpus_reads_as_the_full_parser_reads_it() {
        let Some(outputs) = crate::manifest::corpus_outputs() else {
            return;
        };
        let (mut files, mut whole, mut accepted, mut fell_back) = (0, 0, 0, 0);
        for (_, text) in &outputs {
            files += 1;
            whole += usize::from(mixed_as_full(text));
            for doc in text.split("\n---\n") {
                let doc = format!("---\n{}\n", doc.trim_start_matches("---\n"));
                if doc
                    .lines()
                    .all(|l| l.trim().is_empty() || l.starts_with('#') || l == "---")
                {
                    continue;
                }
                if same_as_full(&doc) {
                    accepted += 1;
                } else {
                    fell_back += 1;
                }
            }
        }
        println!(
            "raw fast path over {files} expected outputs: {whole} whole files and \
             {accepted} documents accepted, {fell_back} documents left to the full parser"
        );
        if files > 0 {
            assert!(
                accepted > fell_back,
                "{accepted} accepted, {fell_back} fell back"
            );
        }
    }

    /// A raw document as Helm prints it, with `data` lines spliced in.
    fn helm_doc(data: &str) -> String {
        format!(
            "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  \
             name: cm # trailing\n  labels:\n    app: c\ndata:\n{data}"
        )
    }

    #[test]
    fn raw_scalars_and_layouts_read_as_the_full_parser_reads_them() {
        let mut accepted = 0;
        for v in [
            "on",
            "yes",
            "Yes",
            "off",
            "y",
            "n",
            "0777",
            "0o17",
            "0x1F",
            "0b101",
            "1e3",
            "1E3",
            "~",
            "null",
            "Null",
            "",
            "  ",
            "12",
            "-3",
            "+4",
            "1_000",
            "1.50",
            ".5",
            "-.5",
            "09",
            "2024-01-01",
            "'it''s'",
            "\"\\u00e9\"",
            "\"caf\\u00e9\"",
            "'a: b'",
            "\"a: b\"",
            "x y",
            "a#b",
            "a #b",
            "1 # one",
            "'q' # c",
            "\"d\"   # c",
            "[]",
            "{}",
            "[] # c",
            "http://x:1/y",
            "500m",
            "3f9a0e",
            "a\"b",
            "café",
            "true",
            "TRUE",
            "-",
            "x:y",
            "9223372036854775807",
            "99999999999999999999",
            "1e999",
            ".inf",
            ".nan",
            "[a]",
            "{a: 1}",
            "['-c', 'exit 1']",
            "[\"a\", b.c, 'd''e']",
            "[ 'x' ] # c",
            "[a,]",
            "[on]",
            "[1, 2]",
            "['a' 'b']",
            "[a b]",
            "['a']x",
            "[[]]",
            "|\n    one\n    two\n\n    # not a comment\n      deeper\n\n\n  after: 1",
            "|-\n    one\n  after: |\n      x\n",
            "|\n  not deeper",
            "|\n\n    leading blank",
            "|\n    x\n   \n    y",
            "|+\n    keep\n",
            "|2\n    x\n",
            "|\n    no final line break",
            "|",
            ">-",
            "&a x",
            "*a",
            "!!str 1",
            "'multi",
            "a: b",
            "x:",
            "%x",
            "@x",
        ] {
            let text = helm_doc(&format!("  v: {v}\n"));
            if same_as_full(&text) {
                accepted += 1;
            }
        }
        assert!(accepted >= 49, "{accepted}");
        let accepted_layouts = [
            // Literal block scalars, comment-like and blank lines in them, clip and strip.
            "  v: |\n    one\n\n    # not a comment\n      deeper\n\n  w: |-\n    x\n  l:\n  - |\n    item\n  - z\n",
            // `- ` at the key's indentation, and deeper; maps in items; comments between.
            "  list:\n  - a\n  - b: 1\n    c: 2\n  # between\n  - - nested\n",
            "  list:\n  - a\n  - b: 1\n    c: 2\n  other: x\n",
            "  list:\n    -   a\n    -   b: 1\n        c: []\n",
            "  list:\n  -\n    x: 1\n  -\n  - # empty\n",
            "  key with spaces: v\n  'quoted key': \"v\"\n  \"dq\": 'it''s'\n",
            "  empty:\n  after: 1\n  nested:\n      deep:\n         - x\n",
            "  k: v\n\n\n# column-0 comment\n  j: w\n",
            "  k:\n  - a\n  -   b: c\n      d: e\n",
        ];
        for (i, data) in accepted_layouts.iter().enumerate() {
            let text = helm_doc(data);
            let ok = same_as_full(&text);
            // The nested `- - ` sequence (second layout) is left to the full parser.
            assert_eq!(ok, i != 1, "{text}");
        }
        for data in [
            "  k: v\n  k: w\n",
            "  <<: {a: 1}\n",
            "  on: x\n",
            "  1: x\n",
            "  k: a\n    continued\n",
            "  k: 'a\n    b'\n",
            "  k: >\n    text\n",
            "  k: |\n    text\n\ttab\n",
            "  k:\ttab\n",
            "  k: v\n - bad\n",
            "  ? k\n  : v\n",
        ] {
            let text = helm_doc(data);
            assert!(
                read_raw(&text, "f", &Budget::default(), &|_| None).is_none(),
                "{text}"
            );
        }
        let unterminated = helm_doc("  k: |\n    x");
        assert!(read_raw(&unterminated, "f", &Budget::default(), &|_| None).is_none());
        assert!(mixed_as_full(&format!(
            "{}{}",
            helm_doc("  k: |\n    x\n"),
            helm_doc("  j: |-\n    y\n").replace("name: cm", "name: d")
        )));
        // Several documents: lines (what errors name) and duplicate errors as the parser's.
        let two = format!("{}{}", helm_doc("  a: 1\n"), helm_doc("  a: 2\n"));
        assert!(same_as_full(&two));
        let two = format!(
            "{}---\n# only a comment\n---\n{}",
            helm_doc("  a: 1\n"),
            helm_doc("  b: 2\n").replace("name: cm", "name: other")
        );
        assert!(same_as_full(&two));
        // A document outside the form amid others: the parser reads it on its own lines.
        let block = helm_doc("  script: >\n    echo on\n").replace("name: cm", "name: b");
        let mixed = format!("{}{block}{}", helm_doc("  a: 1\n"), helm_doc("  a: [x]\n"));
        assert!(!same_as_full(&mixed));
        assert!(mixed_as_full(&mixed));
        let fast = ManifestSet::parse(&mixed, "t").unwrap_err().to_string();
        assert!(fast.contains("t:24:1") && fast.contains("line 3"), "{fast}");
        let fine = format!("{}{block}", helm_doc("  a: 1\n"));
        let set = ManifestSet::parse(&fine, "t").unwrap();
        assert_eq!(
            set.resources
                .iter()
                .map(|r| r.source.line)
                .collect::<Vec<_>>(),
            [Some(13), Some(3)]
        );
        assert_eq!(set.resources[0].value["data"]["script"], "echo on\n");
        let set = ManifestSet::parse(&two, "t").unwrap();
        assert_eq!(
            set.resources
                .iter()
                .map(|r| r.source.line)
                .collect::<Vec<_>>(),
            [Some(3), Some(16)]
        );
    }
}
