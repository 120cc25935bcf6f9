//! A cheap reading of a manifest's head (`kind`, the `helm.sh/hook` annotation) for documents
//! in a plain subset of block YAML, so that Helm's sorting need not decode every document.
//!
//! The subset: block mappings with simple keys, block sequences, plain scalars on one line,
//! quoted scalars without escapes on one line, literal and folded block scalars, `{}` and `[]`.
//! Anything else — tabs, `\r`, anchors, tags, flow collections, multi-line plain scalars,
//! escapes, odd indentation, scalars that could be non-finite floats, `null` keys — makes the
//! scan give up (`None`), and the caller decodes the document fully. Within the subset every
//! document is valid YAML that converts to JSON, so the answer is the one the full decode gives.

use std::borrow::Cow;

/// What Helm reads of a document that sorts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleHead {
    /// `kind` as a Go string (`""` when absent or null).
    pub kind: String,
    /// The `metadata.annotations["helm.sh/hook"]` text, when present.
    pub hook: Option<String>,
}

/// The head of `doc` when it lies in the subset described above; `None` when unsure.
pub fn simple_head(doc: &str) -> Option<SimpleHead> {
    // One pass for both the alphabet and the line count, in chunks whose counts fit a byte:
    // byte-wide sums and flags vectorise 16 or 32 to an instruction (usize sums took 4).
    let (mut newlines, mut odd) = (0usize, 0u8);
    for chunk in doc.as_bytes().chunks(128) {
        let mut n = 0u8;
        for &b in chunk {
            n += u8::from(b == b'\n');
            odd |= (u8::from(b < 0x20) & u8::from(b != b'\n')) | u8::from(b >= 0x7f);
        }
        newlines += usize::from(n);
    }
    let plain_ascii = odd == 0;
    if !plain_ascii
        && !doc.chars().all(|c| {
            super::allowed_in_stream(c)
                && !matches!(
                    c,
                    '\t' | '\r' | '\u{85}' | '\u{feff}' | '\u{2028}' | '\u{2029}'
                )
        })
    {
        return None;
    }
    // The lines and their indentation: the spaces counted, then the line break searched for
    // (a short loop each; the search vectorises).
    let bytes = doc.as_bytes();
    let mut lines = Vec::with_capacity(newlines + 1);
    let mut start = 0;
    loop {
        let rest = &bytes[start..];
        let indent = rest.iter().take_while(|&&b| b == b' ').count();
        let end = rest[indent..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| start + indent + p);
        let stop = end.unwrap_or(bytes.len());
        lines.push(Line {
            text: &doc[start..stop],
            indent,
            empty: start + indent == stop,
        });
        match end {
            Some(end) => start = end + 1,
            None => break,
        }
    }
    let mut s = Scan { lines, pos: 0 };
    s.skip_blank();
    if s.eof() {
        return Some(SimpleHead {
            kind: String::new(),
            hook: None,
        });
    }
    let (indent, line) = s.current();
    if is_seq_item(line) {
        return None;
    }
    let top = s.map(indent, Track::Top, None)?;
    s.skip_blank();
    if !s.eof() {
        return None;
    }
    head_of(top)
}

/// Whether [`simple_head`] surely gives `new` the answer it gives `old`: the two differ only
/// in the values of lines `key: word` (the same indentation and key, written alike; a word
/// of letters, digits, `_ . / -`, not a number with an exponent, beginning with a letter or
/// digit; or such a word, with `: = @ +` too, in the same quotes in both), the key neither
/// `kind` nor `helm.sh/hook`. Such a line reads alike in every place the scan can meet it (an
/// entry's scalar; a line inside a block scalar; inside a quoted scalar, which the value's
/// quote would close with a word after it, refused in both; a line a plain scalar would
/// continue onto, which `: ` refuses in both), and the head keeps no other value: so a document rendered again with other values for a few fields is not
/// scanned again. `false` when unsure, or when more or fewer lines differ.
pub fn same_head(old: &str, new: &str) -> bool {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let prefix = common_prefix(a, b);
    let most = a.len().min(b.len()) - prefix;
    let suffix = common_suffix(&a[a.len() - most..], &b[b.len() - most..]);
    if prefix == a.len() && prefix == b.len() {
        return true;
    }
    // The differing bytes, widened to whole lines (the same start in both; the same distance
    // from the common suffix's start to its first line break).
    let start = a[..prefix]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let to_break = a[a.len() - suffix..]
        .iter()
        .position(|&c| c == b'\n')
        .unwrap_or(suffix);
    let (old_lines, new_lines) = (
        &old[start..a.len() - suffix + to_break],
        &new[start..b.len() - suffix + to_break],
    );
    let (mut x, mut y) = (old_lines.split('\n'), new_lines.split('\n'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(l), Some(m)) if l == m || same_shape(l, m) => {}
            _ => return false,
        }
    }
}

/// Two lines `key: word` alike but for their words (see [`same_head`]).
fn same_shape(old: &str, new: &str) -> bool {
    let value = |line: &'_ str| -> Option<(usize, u8)> {
        let content = line.trim_start_matches(' ');
        if !content
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            return None;
        }
        let (key, rest) = split_key(content)?;
        if key == "kind" || key == "helm.sh/hook" {
            return None;
        }
        Some((line.len() - rest.len(), value_form(rest)?))
    };
    match (value(old), value(new)) {
        (Some((i, form)), Some((j, other))) => form == other && i == j && old[..i] == new[..j],
        _ => false,
    }
}

/// How a value of a line `key: value` is written, when it is a word `same_head` allows: plain
/// (`b' '`), or in double or single quotes (the quote) around a word that may also hold
/// `: = @ +`. A quote or a line break inside a quoted scalar, a comment after it: `None`.
fn value_form(value: &str) -> Option<u8> {
    let bytes = value.as_bytes();
    let word = |w: &[u8], more: &[u8]| {
        w.first().is_some_and(u8::is_ascii_alphanumeric)
            && w.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"_./-".contains(c) || more.contains(c))
    };
    match bytes.first()? {
        &q @ (b'"' | b'\'') => (bytes.len() > 2
            && bytes[bytes.len() - 1] == q
            && word(&bytes[1..bytes.len() - 1], b":=@+"))
        .then_some(q),
        _ => (word(bytes, b"") && !maybe_special_float(value)).then_some(b' '),
    }
}

/// How many leading bytes `a` and `b` share (compared 16 at a time).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let block = |s: &[u8]| u128::from_ne_bytes(s.try_into().expect("16 bytes"));
    let blocks = a
        .chunks_exact(16)
        .zip(b.chunks_exact(16))
        .take_while(|(x, y)| block(x) == block(y))
        .count();
    let i = blocks * 16;
    i + a[i..]
        .iter()
        .zip(&b[i..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many trailing bytes `a` and `b` share (compared 16 at a time).
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let block = |s: &[u8]| u128::from_ne_bytes(s.try_into().expect("16 bytes"));
    let blocks = a
        .rchunks_exact(16)
        .zip(b.rchunks_exact(16))
        .take_while(|(x, y)| block(x) == block(y))
        .count();
    let i = blocks * 16;
    i + a[..n - i]
        .iter()
        .rev()
        .zip(b[..n - i].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

fn head_of(top: Shape) -> Option<SimpleHead> {
    let Shape::Map(entries) = top else {
        return None;
    };
    let mut head = SimpleHead {
        kind: String::new(),
        hook: None,
    };
    for (key, value) in entries {
        match key.as_str() {
            "kind" => {
                head.kind = match value {
                    Shape::Null => String::new(),
                    Shape::Scalar(Some(text)) => text,
                    _ => return None,
                }
            }
            "apiVersion" if !matches!(value, Shape::Null | Shape::Scalar(_)) => return None,
            "metadata" => match value {
                Shape::Null => {}
                Shape::Map(meta) => {
                    for (key, value) in meta {
                        match key.as_str() {
                            "name" if !matches!(value, Shape::Null | Shape::Scalar(_)) => {
                                return None
                            }
                            "annotations" => match value {
                                Shape::Null => {}
                                Shape::Map(annotations) => {
                                    for (key, value) in annotations {
                                        match value {
                                            Shape::Null if key == "helm.sh/hook" => {
                                                head.hook = Some(String::new())
                                            }
                                            Shape::Scalar(Some(text)) if key == "helm.sh/hook" => {
                                                head.hook = Some(text)
                                            }
                                            Shape::Null | Shape::Scalar(_)
                                                if key != "helm.sh/hook" => {}
                                            _ => return None,
                                        }
                                    }
                                }
                                _ => return None,
                            },
                            _ => {}
                        }
                    }
                }
                _ => return None,
            },
            _ => {}
        }
    }
    Some(head)
}

/// A node as far as the head needs it.
#[derive(Debug)]
enum Shape {
    Null,
    /// A scalar, with its text when it was asked for and is surely a string.
    Scalar(Option<String>),
    /// A mapping whose entries were asked for (keys as written, unquoted).
    Map(Vec<(String, Shape)>),
    /// A sequence, or a mapping nobody asked about.
    Other,
}

/// Which node the head reads: what to keep of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Track {
    No,
    Top,
    Metadata,
    Annotations,
    Text,
}

impl Track {
    fn child(self, key: &str) -> Track {
        match (self, key) {
            (Track::Top, "metadata") => Track::Metadata,
            (Track::Top, "kind") | (Track::Annotations, _) => Track::Text,
            (Track::Metadata, "annotations") => Track::Annotations,
            _ => Track::No,
        }
    }
}

struct Scan<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

/// A line and its indentation, measured once.
#[derive(Clone, Copy)]
struct Line<'a> {
    text: &'a str,
    indent: usize,
    /// Spaces only (or nothing).
    empty: bool,
}

impl<'a> Line<'a> {
    /// Empty or a comment.
    fn blank(&self) -> bool {
        self.empty || self.text.as_bytes()[self.indent] == b'#'
    }
}

fn is_seq_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

impl<'a> Scan<'a> {
    fn eof(&self) -> bool {
        self.pos >= self.lines.len()
    }

    fn skip_blank(&mut self) {
        while !self.eof() && self.lines[self.pos].blank() {
            self.pos += 1;
        }
    }

    /// The current line's indentation and content (after the indentation).
    fn current(&self) -> (usize, &'a str) {
        let line = self.lines[self.pos];
        (line.indent, &line.text[line.indent..])
    }

    /// A value on the lines after its key or `-` at `parent` indentation; `same_indent_seq`
    /// when a sequence may sit at the parent's indentation (a mapping value).
    fn node(&mut self, parent: usize, track: Track, same_indent_seq: bool) -> Option<Shape> {
        self.skip_blank();
        if self.eof() {
            return Some(Shape::Null);
        }
        let (indent, content) = self.current();
        if indent > parent {
            if is_seq_item(content) {
                self.seq(indent)
            } else if split_key(content).is_some() {
                self.map(indent, track, None)
            } else if content.starts_with(['|', '>']) {
                None
            } else {
                // A scalar on the line after its key.
                self.pos += 1;
                self.inline_value(content, parent, track)
            }
        } else if indent == parent && same_indent_seq && is_seq_item(content) {
            self.seq(indent)
        } else {
            Some(Shape::Null)
        }
    }

    /// A block mapping at `indent`; `first` is the content of its first entry when that sits
    /// on a `- ` line (the current line).
    fn map(&mut self, indent: usize, track: Track, first: Option<&'a str>) -> Option<Shape> {
        let keep = matches!(track, Track::Top | Track::Metadata | Track::Annotations);
        let mut entries: Vec<(String, Shape)> = Vec::new();
        let mut inline = first;
        loop {
            let content = match inline.take() {
                Some(c) => c,
                None => self.current().1,
            };
            let (key, rest) = split_key(content)?;
            self.pos += 1;
            let child = if keep { track.child(&key) } else { Track::No };
            let value = if rest.is_empty() {
                self.node(indent, child, true)?
            } else {
                self.inline_value(rest, indent, child)?
            };
            if keep {
                if entries.iter().any(|(k, _)| *k == key) {
                    return None;
                }
                entries.push((key.into_owned(), value));
            }
            self.skip_blank();
            if self.eof() {
                break;
            }
            let (next, content) = self.current();
            if next > indent || (next == indent && is_seq_item(content)) {
                return None;
            }
            if next < indent {
                break;
            }
        }
        Some(if keep {
            Shape::Map(entries)
        } else {
            Shape::Other
        })
    }

    /// A block sequence at `indent` (the current line is its first `-`).
    fn seq(&mut self, indent: usize) -> Option<Shape> {
        loop {
            let (_, content) = self.current();
            let rest = content[1..].trim_start_matches(' ');
            if rest.is_empty() {
                self.pos += 1;
                self.node(indent, Track::No, false)?;
            } else if is_seq_item(rest) || rest.starts_with('#') {
                return None;
            } else if split_key(rest).is_some() {
                let column = indent + (content.len() - rest.len());
                self.map(column, Track::No, Some(rest))?;
            } else {
                self.pos += 1;
                self.inline_value(rest, indent, Track::No)?;
            }
            self.skip_blank();
            if self.eof() {
                break;
            }
            let (next, content) = self.current();
            if next > indent {
                return None;
            }
            if next < indent || !is_seq_item(content) {
                break;
            }
        }
        Some(Shape::Other)
    }

    /// A value written after `key: ` or `- ` (the line already consumed) in a collection at
    /// `parent` indentation.
    fn inline_value(&mut self, rest: &'a str, parent: usize, track: Track) -> Option<Shape> {
        let first = rest.as_bytes()[0];
        match first {
            b'"' => {
                let body = &rest[1..];
                let Some(end) = body.find('"') else {
                    return self.quoted_lines(body, b'"', parent);
                };
                if body[..end].contains('\\') || !tail_ok(&body[end + 1..]) {
                    return None;
                }
                let text = &body[..end];
                Some(Shape::Scalar(
                    (track == Track::Text).then(|| text.to_string()),
                ))
            }
            b'\'' => {
                let Some((text, tail)) = single_quoted(&rest[1..]) else {
                    return self.quoted_lines(&rest[1..], b'\'', parent);
                };
                if !tail_ok(tail) {
                    return None;
                }
                Some(Shape::Scalar(
                    (track == Track::Text).then(|| text.into_owned()),
                ))
            }
            b'|' | b'>' => {
                let header = &rest[1..];
                let header = header
                    .strip_prefix('-')
                    .or_else(|| header.strip_prefix('+'))
                    .unwrap_or(header);
                if !tail_ok(header) {
                    return None;
                }
                self.block_scalar(parent)?;
                Some(Shape::Scalar(None))
            }
            b'[' if !rest[1..].starts_with(']') => {
                let tail = flow_sequence(&rest[1..])?;
                if !tail_ok(tail) {
                    return None;
                }
                Some(Shape::Other)
            }
            b'{' | b'[' => {
                let close = if first == b'{' { '}' } else { ']' };
                let after = rest[1..].strip_prefix(close)?;
                if !tail_ok(after) {
                    return None;
                }
                Some(if first == b'{' {
                    Shape::Map(Vec::new())
                } else {
                    Shape::Other
                })
            }
            // `<<` is go-yaml's merge key; left to the full decode wherever it appears.
            b'?' | b':' | b',' | b']' | b'}' | b'#' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`'
            | b'<' => None,
            _ if is_seq_item(rest) => None,
            _ => {
                let (text, colon_space) = plain_text(rest);
                let text = text.trim_end_matches(' ');
                if colon_space || text.ends_with(':') || maybe_special_float(text) {
                    return None;
                }
                let continued = self.plain_continuation(parent)?;
                let keep = track == Track::Text && !continued && plain_is_string(text);
                Some(Shape::Scalar(keep.then(|| text.to_string())))
            }
        }
    }

    /// A quoted scalar whose first line, after the opening quote, is `first` and holds no
    /// closing quote: the lines after it (each deeper than `parent`, or blank) up to the one
    /// that closes it. No escapes in double quotes.
    fn quoted_lines(&mut self, first: &str, quote: u8, parent: usize) -> Option<Shape> {
        if quote == b'"' && first.contains('\\') {
            return None;
        }
        let mut pos = self.pos;
        loop {
            let l = *self.lines.get(pos)?;
            let line = l.text;
            pos += 1;
            if l.empty {
                continue;
            }
            if l.indent <= parent {
                return None;
            }
            let closed = if quote == b'"' {
                let end = line.find('"');
                if line[..end.unwrap_or(line.len())].contains('\\') {
                    return None;
                }
                end.map(|i| &line[i + 1..])
            } else {
                closing_single_quote(line)
            };
            if let Some(tail) = closed {
                if !tail_ok(tail) {
                    return None;
                }
                self.pos = pos;
                return Some(Shape::Scalar(None));
            }
        }
    }

    /// The lines that continue a plain scalar begun on the line before, in a collection at
    /// `parent` indentation: deeper lines (blank lines between) up to the next line at most as
    /// deep. Whether there were any; `None` for a line a plain scalar cannot hold.
    fn plain_continuation(&mut self, parent: usize) -> Option<bool> {
        let mut pos = self.pos;
        let mut continued = false;
        loop {
            while pos < self.lines.len() && self.lines[pos].empty {
                pos += 1;
            }
            if pos == self.lines.len() || self.lines[pos].indent <= parent {
                break;
            }
            let text = self.lines[pos].text.trim_matches(' ');
            if text.starts_with('#')
                || text.contains(": ")
                || text.contains(" #")
                || text.ends_with(':')
            {
                return None;
            }
            continued = true;
            pos += 1;
            self.pos = pos;
        }
        Some(continued)
    }

    /// The lines of a block scalar whose header closed a line of a collection at `parent`
    /// indentation.
    fn block_scalar(&mut self, parent: usize) -> Option<()> {
        let start = self.pos;
        let mut first = self.pos;
        while first < self.lines.len() && self.lines[first].empty {
            first += 1;
        }
        if first == self.lines.len() {
            self.pos = first;
            return Some(());
        }
        let content_indent = self.lines[first].indent;
        if content_indent <= parent {
            // An empty scalar; the leading blank lines must not be deeper than the next line.
            if self.lines[start..first]
                .iter()
                .any(|l| l.text.len() > content_indent)
            {
                return None;
            }
            self.pos = first;
            return Some(());
        }
        if self.lines[start..first]
            .iter()
            .any(|l| l.text.len() > content_indent)
        {
            return None;
        }
        let mut pos = first;
        while pos < self.lines.len() {
            let line = self.lines[pos];
            if !line.empty && line.indent < content_indent {
                break;
            }
            pos += 1;
        }
        self.pos = pos;
        Some(())
    }
}

/// A one-line flow sequence of plain or quoted scalars after its `[`: what follows its `]`.
fn flow_sequence(body: &str) -> Option<&str> {
    let mut rest = body;
    loop {
        rest = rest.trim_start_matches(' ');
        match rest.as_bytes().first()? {
            b'"' => {
                let end = rest[1..].find('"')? + 1;
                if rest[1..end].contains('\\') {
                    return None;
                }
                rest = &rest[end + 1..];
            }
            b'\'' => rest = single_quoted(&rest[1..])?.1,
            _ => {
                let end = rest.find([',', ']'])?;
                let item = rest[..end].trim_end_matches(' ');
                if item.is_empty()
                    || item.contains([':', '#', '[', '{', '}', '"', '\''])
                    || item.starts_with(['-', '?', '&', '*', '!', '|', '>', '%', '@', '`'])
                    || maybe_special_float(item)
                {
                    return None;
                }
                rest = &rest[end..];
            }
        }
        rest = rest.trim_start_matches(' ');
        match rest.as_bytes().first()? {
            b',' => rest = &rest[1..],
            b']' => return Some(&rest[1..]),
            _ => return None,
        }
    }
}

/// A plain scalar's text on its line, up to a comment (` #`), and whether that text holds
/// `: ` — one pass for what `find(" #")` and `contains(": ")` would read twice.
fn plain_text(rest: &str) -> (&str, bool) {
    let bytes = rest.as_bytes();
    let mut colon_space = false;
    for i in 1..bytes.len() {
        match bytes[i] {
            b'#' if bytes[i - 1] == b' ' => return (&rest[..i - 1], colon_space),
            // A space before `#` ends the text; it is not part of a `: `.
            b' ' if bytes[i - 1] == b':' && bytes.get(i + 1) != Some(&b'#') => colon_space = true,
            _ => {}
        }
    }
    (rest, colon_space)
}

/// What may follow a scalar on its line: spaces, then maybe a comment.
fn tail_ok(tail: &str) -> bool {
    let t = tail.trim_start_matches(' ');
    t.is_empty() || (t.starts_with('#') && t.len() < tail.len())
}

/// The text of a single-quoted scalar on one line (`''` is a quote) and what follows it.
fn single_quoted(body: &str) -> Option<(Cow<'_, str>, &str)> {
    let i = body.find('\'')?;
    if !body[i + 1..].starts_with('\'') {
        return Some((Cow::Borrowed(&body[..i]), &body[i + 1..]));
    }
    let mut text = String::new();
    let mut rest = body;
    loop {
        let i = rest.find('\'')?;
        text.push_str(&rest[..i]);
        if rest[i + 1..].starts_with('\'') {
            text.push('\'');
            rest = &rest[i + 2..];
        } else {
            return Some((Cow::Owned(text), &rest[i + 1..]));
        }
    }
}

/// What follows the closing quote on a line inside a single-quoted scalar, if it closes.
fn closing_single_quote(line: &str) -> Option<&str> {
    let mut rest = line;
    loop {
        let i = rest.find('\'')?;
        if rest[i + 1..].starts_with('\'') {
            rest = &rest[i + 2..];
        } else {
            return Some(&rest[i + 1..]);
        }
    }
}

/// A simple key and the value text after `: ` (empty when the value is on the next lines).
fn split_key(content: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, after) = match content.as_bytes().first()? {
        b'"' => {
            let end = content[1..].find('"')? + 1;
            let key = &content[1..end];
            if key.contains('\\') {
                return None;
            }
            (Cow::Borrowed(key), &content[end + 1..])
        }
        b'\'' => {
            let (key, after) = single_quoted(&content[1..])?;
            (key, after)
        }
        c if c.is_ascii_alphanumeric() || *c == b'_' => {
            // Bytes, not chars: a non-ASCII character ends the key at its first byte either way.
            let end = content
                .bytes()
                .position(|b| {
                    !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
                })
                .unwrap_or(content.len());
            let key = &content[..end];
            if matches!(key, "null" | "Null" | "NULL")
                || (key.as_bytes()[0].is_ascii_digit() && key.len() > 15)
                || maybe_special_float(key)
            {
                return None;
            }
            (Cow::Borrowed(key), &content[end..])
        }
        _ => return None,
    };
    if key.len() > 1000 {
        return None;
    }
    let rest = after.strip_prefix(':')?;
    if rest.is_empty() {
        return Some((key, rest));
    }
    if !rest.starts_with(' ') {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    if rest.starts_with('#') {
        return None;
    }
    Some((key, rest))
}

/// A plain scalar that might read as a number with an exponent, an infinity or NaN: left to
/// the full decode.
fn maybe_special_float(text: &str) -> bool {
    let unsigned = text.trim_start_matches(['+', '-']);
    unsigned.eq_ignore_ascii_case(".inf")
        || unsigned.eq_ignore_ascii_case(".nan")
        || (matches!(
            text.as_bytes().first(),
            Some(b'0'..=b'9' | b'+' | b'-' | b'.')
        ) && text.contains(['e', 'E'])
            && text.bytes().all(|b| {
                b.is_ascii_digit() || matches!(b, b'e' | b'E' | b'+' | b'-' | b'.' | b'_')
            }))
}

/// A plain scalar that YAML 1.1 surely reads as a string: a letter first (no number), and not
/// a boolean or null word.
fn plain_is_string(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && !matches!(
            lower.as_str(),
            "y" | "yes" | "n" | "no" | "true" | "false" | "on" | "off" | "null"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head as the full decode gives it (what `read_head` in the helm layer does), `None`
    /// for a document the full decode refuses or whose head fields are not strings.
    fn full_head(doc: &str) -> Option<SimpleHead> {
        let json = crate::encoding::yaml::to_json(doc).ok()?;
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::Null => Some(String::new()),
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let top = match &json {
            serde_json::Value::Null => {
                return Some(SimpleHead {
                    kind: String::new(),
                    hook: None,
                })
            }
            serde_json::Value::Object(m) => m,
            _ => return None,
        };
        let kind = match top.get("kind") {
            Some(v) => text(v)?,
            None => String::new(),
        };
        if let Some(v) = top.get("apiVersion") {
            text(v)?;
        }
        let mut hook = None;
        match top.get("metadata") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(meta)) => {
                if let Some(v) = meta.get("name") {
                    text(v)?;
                }
                match meta.get("annotations") {
                    None | Some(serde_json::Value::Null) => {}
                    Some(serde_json::Value::Object(a)) => {
                        for (k, v) in a {
                            let t = text(v)?;
                            if k == "helm.sh/hook" {
                                hook = Some(t);
                            }
                        }
                    }
                    _ => return None,
                }
            }
            _ => return None,
        }
        Some(SimpleHead { kind, hook })
    }

    /// Whenever the cheap scan answers, the full decode accepts the document and agrees.
    fn check(doc: &str) -> bool {
        match simple_head(doc) {
            None => false,
            Some(head) => {
                assert_eq!(Some(head), full_head(doc), "document:\n{doc}");
                true
            }
        }
    }

    #[test]
    fn plain_documents_read_as_the_full_decode_reads_them() {
        let docs = [
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    \"helm.sh/hook\": test\n    other: |\n      a\n       b\nspec:\n  containers:\n  - name: c\n    args:\n      - -x\n      - 'it''s'\n",
            "kind: 'Job'\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install,post-upgrade # c\n",
            "kind:\nmetadata:\n",
            "# only a comment\n",
            "",
            "kind: Pod\ncommand: [a, 'b c', \"d\"]\nx:\n  {}\ny: plain\n  continued\n\n   again\nq: 'it''s\n  multi'\nr: \"two\n\n  lines\"\nz:\n  - a\n    b\n",
            "kind: ConfigMap\ndata:\n  a: {}\n  b: []\n  c: >-\n\n    folded\n  d: \"q\"\n",
            "kind: Pod # c: d\nx: a#b # c #d\ny: a:b\nz: b\n  \n",
        ];
        for doc in docs {
            assert!(check(doc), "not taken:\n{doc}");
        }
        assert_eq!(simple_head(docs[7]).map(|h| h.kind), Some("Pod".into()));
        // A `: ` before a comment, or a `:` that ends the text before one, is left to the
        // full decode; one inside the comment is not part of the text.
        for doc in ["kind: a: b # c\n", "kind: a: #c\n", "kind: a:  # c\n"] {
            assert!(!check(doc), "taken:\n{doc}");
        }
        assert_eq!(
            simple_head(docs[1]).and_then(|h| h.hook),
            Some("pre-install,post-upgrade".into())
        );
    }

    #[test]
    fn anything_unusual_is_left_to_the_full_decode() {
        let docs = [
            "kind: Pod\n  bad: indent\n",
            "kind: Pod\nkind: Job\n",
            "kind: &a Pod\n",
            "kind: !!str Pod\n",
            "kind: {a: 1}\n",
            "kind: 1e3\n",
            "a: - x\n",
            "a: <<\n",
            "a: -.INF\n",
            "0xFFFFFFFFFFFFFFFF: 1\n",
            "kind: yes\n",
            "a: .inf\n",
            "a: b: c\n",
            "a:\n  - x\n  y: 1\n",
            "- a\n",
            "a: \"x\\ty\"\n",
            "a: plain\n  continued: x\n",
            "a: plain\n  # comment\n  more\n",
            "a: [b, c: d]\n",
            "a: [b,, c]\n",
            "a: [-b]\n",
            "kind: Pod\n  more\n",
            "a: 'open\nb: 1\n",
            "a: \"x\n  y\\n\"\n",
            "a: 'x\n  y' z\n",
            "null: 1\n",
            "a:\tb\n",
            "a: b\r\n",
        ];
        for doc in docs {
            assert!(simple_head(doc).is_none(), "taken:\n{doc}");
        }
    }

    #[test]
    fn documents_differing_in_plain_words_share_their_head() {
        let old = "kind: Deployment\nmetadata:\n  name: a\n  annotations:\n    x: r19\nspec:\n  template:\n    metadata:\n      annotations:\n        store/region: r19\n        store/site: s499\n    env:\n      - name: M\n        value: store-04999\n";
        let new = old
            .replace("r19", "r06")
            .replace("s499", "s486")
            .replace("04999", "04986");
        assert!(same_head(old, &new));
        assert!(same_head(old, old));
        assert_eq!(simple_head(old), simple_head(&new));
        // What the head reads, or a line whose reading may change, is read again.
        let refused = [
            old.replace("kind: Deployment", "kind: StatefulSet"),
            old.replace("x: r19", "x: r 19"),
            old.replace("x: r19", "x: 'r19'"),
            old.replace("x: r19", "x: 1e5"),
            old.replace("x: r19", "x: -r19"),
            old.replace("x: r19", "x: r19 # c"),
            old.replace("x: r19", "y: r19"),
            old.replace("x: r19", "x:  r20"),
            old.replace("    x: r19", "   x: r20"),
            old.replace("store/site: s499\n", ""),
            old.replace("store/site: s499\n", "store/site: s499\n        more: x\n"),
        ];
        for new in &refused {
            assert!(!same_head(old, new), "taken:\n{new}");
        }
        let quoted = "kind: Pod\nspec:\n  env:\n    - name: a\n      value: \"a-0.ns:9898\"\n      x: 'a=b'\n";
        let requoted = quoted.replace("a-0", "a-1").replace("a=b", "a=c");
        assert!(same_head(quoted, &requoted));
        for other in [
            quoted.replace("\"a-0.ns:9898\"", "'a-1.ns:9898'"),
            quoted.replace("\"a-0.ns:9898\"", "\"a-0 ns\""),
            quoted.replace("\"a-0.ns:9898\"", "\"a-0\" # c"),
            quoted.replace("\"a-0.ns:9898\"", "\"a\\n\""),
            quoted.replace("'a=b'", "'a''b'"),
        ] {
            assert!(!same_head(quoted, &other), "taken:\n{other}");
        }
        let hook = "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install\n";
        assert!(!same_head(
            hook,
            &hook.replace("pre-install", "post-install")
        ));
    }

    #[test]
    fn common_ends_are_counted_as_a_byte_loop_counts_them() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let base: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 64, 100] {
            for at in 0..len {
                let a = &base[..len];
                let mut b = a.to_vec();
                b[at] = b'#';
                assert_eq!(common_prefix(a, &b), naive_prefix(a, &b), "{len} {at}");
                assert_eq!(common_suffix(a, &b), naive_suffix(a, &b), "{len} {at}");
                let longer = [&b[..], b"tail"].concat();
                assert_eq!(common_prefix(a, &longer), naive_prefix(a, &longer));
                let shorter = &a[at..];
                assert_eq!(common_suffix(a, shorter), shorter.len());
                assert_eq!(common_suffix(shorter, a), naive_suffix(shorter, a));
            }
            assert_eq!(common_prefix(&base[..len], &base[..len]), len);
        }
    }

    /// A xorshift generator: the same numbers on every run.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    /// The corpus's expected outputs (`helm template`'s), or `None` with a note when the
    /// corpus is absent.
    fn corpus_outputs() -> Option<Vec<String>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts");
        if !root.is_dir() {
            println!("note: corpus {} absent, test skipped", root.display());
            return None;
        }
        let mut texts = Vec::new();
        for chart in std::fs::read_dir(&root).expect("corpus reads") {
            let expected = chart.expect("entry").path().join("expected");
            let Ok(files) = std::fs::read_dir(&expected) else {
                continue;
            };
            for file in files {
                texts.push(std::fs::read_to_string(file.expect("entry").path()).expect("reads"));
            }
        }
        Some(texts)
    }

    /// The corpus's documents with words of their `key: word` lines replaced: wherever
    /// `same_head` vouches for a copy, the scan reads it as it reads the original.
    #[test]
    fn same_head_agrees_with_the_scan_on_corpus_documents() {
        let Some(texts) = corpus_outputs() else {
            return;
        };
        let words = [
            "USD",
            "r06",
            "store-1",
            "1",
            "yes",
            "null",
            "a.b/c",
            "x_y",
            "true",
            "0x1F",
            "\"a-b.c:9898\"",
            "\"x\"",
            "'-a=b'",
            "'y'",
            "\"1\"",
        ];
        let (mut vouched, mut total) = (0, 0);
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for text in &texts {
            for doc in crate::helm::manifests::split_manifests(text) {
                let Some(head) = simple_head(doc) else {
                    continue;
                };
                let lines: Vec<&str> = doc.split('\n').collect();
                for _ in 0..20 {
                    let mut copy: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    for _ in 0..1 + next() % 3 {
                        let i = (next() % lines.len() as u64) as usize;
                        if let Some(at) = copy[i].find(": ") {
                            let word = words[(next() % words.len() as u64) as usize];
                            copy[i] = format!("{}{word}", &copy[i][..at + 2]);
                        }
                    }
                    let copy = copy.join("\n");
                    total += 1;
                    if same_head(doc, &copy) {
                        vouched += 1;
                        assert_eq!(
                            simple_head(&copy).as_ref(),
                            Some(&head),
                            "original:\n{doc}\ncopy:\n{copy}"
                        );
                    }
                }
            }
        }
        println!("same_head vouched for {vouched} of {total} copies");
        assert!(vouched * 4 > total, "{vouched} of {total}");
    }

    /// Every document of the corpus's expected output, and mangled copies of each: where the
    /// scan answers, the full decode gives the same head.
    #[test]
    fn corpus_documents_and_their_mutations_agree_with_the_full_decode() {
        let Some(texts) = corpus_outputs() else {
            return;
        };
        let (mut taken, mut total) = (0, 0);
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for text in &texts {
            for doc in crate::helm::manifests::split_manifests(text) {
                total += 1;
                taken += usize::from(check(doc));
                let lines: Vec<&str> = doc.split('\n').collect();
                for _ in 0..20 {
                    let mut lines = lines.clone();
                    let i = (next() % lines.len() as u64) as usize;
                    let mutated = match next() % 6 {
                        0 => format!(" {}", lines[i]),
                        1 => lines[i].trim_start().to_string(),
                        2 => lines[i].replacen(": ", ":", 1),
                        3 => lines[i].replacen("- ", "", 1),
                        4 => format!("{}: x", lines[i]),
                        _ => lines[i].chars().skip(1).collect(),
                    };
                    lines[i] = &mutated;
                    check(&lines.join("\n"));
                }
            }
        }
        println!("{taken} of {total} corpus documents read by the cheap scan");
        assert!(taken * 2 > total, "{taken} of {total}");
    }
}
