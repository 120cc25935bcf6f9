//! Reading YAML as go-yaml v2 does into `interface{}`: the first document of the stream,
//! YAML 1.1 scalars ([`super::resolve`]), anchors and aliases, merge keys (`<<`, where later
//! keys override earlier ones, merged or not, as v2 does), and then `sigs.k8s.io/yaml`'s step
//! that makes the result JSON-able (map keys become strings).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::resolve::{resolve_plain, Resolved};

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// How deeply collections may nest (aliases expanded). go-yaml allows 10,000 levels; this
/// budget keeps reading a hostile document within any thread's stack, far above what charts
/// use.
pub(crate) const MAX_DEPTH: usize = 200;

fn too_deep() -> String {
    format!("yaml: exceeded max depth of {MAX_DEPTH}")
}

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
        depth: 0,
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

/// The first document as nodes in an arena (aliases point at node indices).
#[derive(Default)]
struct Tree {
    nodes: Vec<NodeKind>,
    anchors: HashMap<usize, usize>,
    /// Where the collections being read start (character index), innermost last: after a
    /// failed parse, whether the failure is inside a flow collection.
    open: Vec<usize>,
    /// Where the last event read ended (character index).
    last_end: usize,
    /// Block scalars read: where their content starts (character index, 1-based line) and the
    /// 1-based line of the token after them.
    block_scalars: Vec<(usize, usize, usize)>,
    /// Whether the failed parse stopped after a `?` key and before its `:`.
    explicit_key: bool,
    /// How many collections enclose the node being read.
    depth: usize,
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

/// saphyr's events over `text`, remembering where the last one ended.
struct Reader<'a> {
    events: Events<'a>,
    text: &'a str,
    chars: Vec<char>,
    last_end: usize,
    /// Where the event before the last one ended.
    previous_end: usize,
    /// Whether a `?` key indicator was read and its `:` not yet.
    explicit_key: bool,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<(Event<'static>, Span), ParseError> {
        let (event, span) = next(&mut self.events, self.text)?;
        self.previous_end = self.last_end;
        self.last_end = span.end.index();
        Ok((event, span))
    }

    /// libyaml does not skip a tab after a block `-` or `?` indicator, or after the `:` of a
    /// `?` key (it would be read as the start of a token, and no token starts with a tab);
    /// saphyr does. Checks the text between the previous event and a node starting at `start`.
    fn check_indicator_tabs(&mut self, start: usize) -> Result<(), ParseError> {
        let gap = &self.chars[self.previous_end.min(start)..start.min(self.chars.len())];
        let mut i = 0;
        while i < gap.len() {
            match gap[i] {
                '#' if i == 0 || gap[i - 1].is_whitespace() => {
                    while i < gap.len() && gap[i] != '\n' {
                        i += 1;
                    }
                }
                ':' if !self.explicit_key => i += 1,
                '-' | '?' | ':' if gap.get(i + 1).is_some_and(|c| *c == ' ' || *c == '\t') => {
                    match gap[i] {
                        '?' => self.explicit_key = true,
                        ':' => self.explicit_key = false,
                        _ => {}
                    }
                    let mut j = i + 1;
                    while j < gap.len() && (gap[j] == ' ' || gap[j] == '\t') {
                        if gap[j] == '\t' {
                            let at = self.previous_end + j;
                            let line = self.chars[..at].iter().filter(|c| **c == '\n').count();
                            let prefix = if line > 0 {
                                format!("line {}: ", line + 1)
                            } else {
                                String::new()
                            };
                            return Err(plain_error(format!(
                                "yaml: {prefix}found character that cannot start any token"
                            )));
                        }
                        j += 1;
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
        Ok(())
    }
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
                Ok(root) => {
                    check_block_scalar_tabs(&text, &self.block_scalars)?;
                    return Ok(root);
                }
                Err(ParseError {
                    scan: Some(e),
                    message,
                }) if e.info() == "':' must be followed by a valid YAML whitespace" => {
                    if self.explicit_key {
                        // After a `?` key, libyaml does not skip the tab either.
                        let line = e.marker().line();
                        let at = if line > 1 {
                            format!("line {line}: ")
                        } else {
                            String::new()
                        };
                        return Err(format!(
                            "yaml: {at}found character that cannot start any token"
                        ));
                    }
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
                }) if matches!(
                    e.info(),
                    "invalid indentation" | "invalid indentation in flow construct"
                ) =>
                {
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
                    let Some(line) = lines.get_mut(error_line) else {
                        return Err(message);
                    };
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
                Err(ParseError {
                    scan: Some(e),
                    message,
                }) if e.info().ends_with("invalid indentation in quoted scalar") => {
                    // libyaml does not hold a quoted scalar's continuation lines to the block
                    // indentation; their leading blanks are not content, so indenting them
                    // past the line the scalar starts on reads the same.
                    match indent_quoted_continuations(&text, e.marker().index()) {
                        Some(repaired) => text = std::borrow::Cow::Owned(repaired),
                        None => return Err(message),
                    }
                }
                Err(ParseError {
                    scan: Some(e),
                    message,
                }) if e.info() == "tab cannot be used as indentation" => {
                    // libyaml refuses a tab indenting a new token but takes one in the leading
                    // blanks of a scalar's continuation line (they are not content).
                    match untab_continuation(&text, self.last_end, e.marker().line()) {
                        Some(repaired) => text = std::borrow::Cow::Owned(repaired),
                        None => return Err(message),
                    }
                }
                Err(e) => return Err(e.message),
            }
        }
        Err("yaml: too many tabs".into())
    }

    fn parse_once(&mut self, text: &str) -> Result<Option<usize>, ParseError> {
        let mut reader = Reader {
            events: Parser::new_from_str(text),
            text,
            chars: if text.contains('\t') {
                text.chars().collect()
            } else {
                Vec::new()
            },
            last_end: 0,
            previous_end: 0,
            explicit_key: false,
        };
        let result = self.read_document(&mut reader);
        self.last_end = reader.last_end;
        self.explicit_key = reader.explicit_key;
        result
    }

    fn read_document(&mut self, events: &mut Reader<'_>) -> Result<Option<usize>, ParseError> {
        loop {
            match events.next()?.0 {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(None),
                Event::DocumentStart(_) => break,
                other => return Err(plain_error(format!("yaml: unexpected event {other:?}"))),
            }
        }
        let (event, span) = events.next()?;
        let root = self.node(events, event, span)?;
        match events.next()?.0 {
            Event::DocumentEnd => Ok(Some(root)),
            other => Err(plain_error(format!(
                "yaml: expected document end, found {other:?}"
            ))),
        }
    }

    fn push(&mut self, kind: NodeKind, anchor: usize) -> usize {
        self.nodes.push(kind);
        let index = self.nodes.len() - 1;
        if anchor > 0 {
            self.anchors.insert(anchor, index);
        }
        index
    }

    fn node(
        &mut self,
        events: &mut Reader<'_>,
        event: Event<'_>,
        span: Span,
    ) -> Result<usize, ParseError> {
        let in_flow = self
            .open
            .last()
            .is_some_and(|i| matches!(events.chars.get(*i), Some('[' | '{')));
        if !events.chars.is_empty() && !in_flow {
            events.check_indicator_tabs(span.start.index())?;
        }
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    let end_line = span.end.line() + usize::from(span.end.col() > 0);
                    self.block_scalars
                        .push((span.start.index(), span.start.line(), end_line));
                }
                let kind = NodeKind::Scalar {
                    value: value.into_owned(),
                    plain: style == ScalarStyle::Plain,
                    tag: tag.as_deref().map(tag_text),
                };
                Ok(self.push(kind, anchor))
            }
            Event::Alias(id) => {
                let Some(&target) = self.anchors.get(&id) else {
                    return Err(plain_error("yaml: unknown anchor referenced".into()));
                };
                Ok(self.push(NodeKind::Alias(target), 0))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.depth >= MAX_DEPTH => {
                Err(plain_error(too_deep()))
            }
            Event::SequenceStart(anchor, _) => {
                self.depth += 1;
                self.open.push(span.start.index());
                let index = self.push(NodeKind::Seq(Vec::new()), anchor);
                let mut items = Vec::new();
                loop {
                    let (event, span) = events.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(events, event, span)?);
                }
                self.nodes[index] = NodeKind::Seq(items);
                self.open.pop();
                self.depth -= 1;
                Ok(index)
            }
            Event::MappingStart(anchor, _) => {
                self.depth += 1;
                self.open.push(span.start.index());
                let index = self.push(NodeKind::Map(Vec::new()), anchor);
                let mut pairs = Vec::new();
                loop {
                    let (event, span) = events.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(events, event, span)?;
                    let (event, span) = events.next()?;
                    let value = self.node(events, event, span)?;
                    pairs.push((key, value));
                }
                self.nodes[index] = NodeKind::Map(pairs);
                self.open.pop();
                self.depth -= 1;
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

/// libyaml refuses a tab where a block scalar's indentation is still being read: before its
/// first content line sets the indentation, or short of it on a later line. saphyr takes the
/// tab as content; this finds what libyaml would refuse. (Block scalars with an explicit
/// indentation indicator are not checked.)
fn check_block_scalar_tabs(text: &str, scalars: &[(usize, usize, usize)]) -> Result<(), String> {
    if scalars.is_empty() || !text.contains('\t') {
        return Ok(());
    }
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<&str> = text.split('\n').collect();
    for &(start, start_line, end_line) in scalars {
        // The header (`|`, `>-`, `|2+`…) is the last indicator before the content.
        let Some(header) = chars[..start.min(chars.len())]
            .iter()
            .rposition(|c| *c == '|' || *c == '>')
        else {
            continue;
        };
        let explicit = chars[header + 1..]
            .iter()
            .take_while(|c| !c.is_whitespace())
            .any(char::is_ascii_digit);
        if explicit {
            continue;
        }
        let header_line = chars[..header].iter().filter(|c| **c == '\n').count() + 1;
        let last = end_line.saturating_sub(1).max(start_line);
        let mut indent = 0;
        for number in header_line + 1..=last {
            let Some(line) = lines.get(number - 1) else {
                break;
            };
            let spaces = line.len() - line.trim_start_matches(' ').len();
            let rest = &line[spaces..];
            let tab_in_indentation = rest.starts_with('\t') && (indent == 0 || spaces < indent);
            if tab_in_indentation {
                return Err(format!(
                    "yaml: line {number}: found a tab character where an indentation space is \
                     expected"
                ));
            }
            if indent == 0 && !rest.trim_end_matches('\r').is_empty() {
                indent = spaces;
            }
        }
    }
    Ok(())
}

/// The text with the tabs leading line `line` (1-based) made spaces, when that line continues
/// a scalar begun after the last event (at character `last_end`); `None` otherwise.
fn untab_continuation(text: &str, last_end: usize, line: usize) -> Option<String> {
    let index = line.checked_sub(1)?;
    let line_start: usize = text
        .split('\n')
        .take(index)
        .map(|l| l.chars().count() + 1)
        .sum();
    let between: String = text
        .chars()
        .skip(last_end)
        .take(line_start.saturating_sub(last_end))
        .collect();
    let scalar_begun = between
        .lines()
        .map(|l| l.split(" #").next().unwrap_or(""))
        .any(|l| {
            l.chars()
                .any(|c| !c.is_whitespace() && !":-?,[{".contains(c))
        });
    if !scalar_begun {
        return None;
    }
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let target = lines.get_mut(index)?;
    let content = target.trim_start_matches([' ', '\t']);
    let lead = &target[..target.len() - content.len()];
    if !lead.contains('\t') {
        return None;
    }
    *target = format!("{}{content}", " ".repeat(lead.chars().count()));
    Some(lines.join("\n"))
}

/// The text with the continuation lines of the quoted scalar starting at character `start`
/// indented one space past the line it starts on; `None` when none needed it.
fn indent_quoted_continuations(text: &str, start: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let quote = *chars.get(start)?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if quote == '"' => i += 2,
            '\'' if quote == '\'' && chars.get(i + 1) == Some(&'\'') => i += 2,
            c if c == quote => break,
            _ => i += 1,
        }
    }
    let first_line = chars[..start].iter().filter(|c| **c == '\n').count();
    let last_line = chars[..i.min(chars.len())]
        .iter()
        .filter(|c| **c == '\n')
        .count();
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let base = lines
        .get(first_line)
        .map(|l| l.len() - l.trim_start_matches(' ').len())?;
    let mut changed = false;
    for line in lines.iter_mut().take(last_line + 1).skip(first_line + 1) {
        let content = line.trim_start_matches([' ', '\t']);
        let indent = line.len() - content.len();
        if !content.is_empty() && indent <= base {
            *line = format!("{}{content}", " ".repeat(base + 1));
            changed = true;
        }
    }
    changed.then(|| lines.join("\n"))
}

struct Decoder<'t> {
    tree: &'t Tree,
    /// Collections (and aliases) entered: aliases can nest a document deeper than it is written.
    depth: usize,
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
        if self.depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        self.depth += 1;
        let out = self.unmarshal_node(index);
        self.depth -= 1;
        out
    }

    fn unmarshal_node(&mut self, index: usize) -> Result<GoYaml, String> {
        self.count()?;
        match &self.tree.nodes[index] {
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
        let pairs = match &self.tree.nodes[index] {
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
        matches!(&self.tree.nodes[index],
            NodeKind::Scalar { value, plain, tag } if value == "<<"
                && ((*plain && tag.is_none()) || tag.as_deref() == Some("tag:yaml.org,2002:merge")))
    }

    fn target_kind(&self, index: usize) -> &NodeKind {
        match &self.tree.nodes[index] {
            NodeKind::Alias(target) => &self.tree.nodes[*target],
            kind => kind,
        }
    }

    fn merge(&mut self, index: usize, out: &mut Vec<(GoYaml, GoYaml)>) -> Result<(), String> {
        const WANT_MAP: &str = "yaml: map merge requires map or sequence of maps as the value";
        match &self.tree.nodes[index] {
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
                    if matches!(self.tree.nodes[*item], NodeKind::Map(_)) {
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
            Ok(GoYaml::Str(go_lossy(&bytes)))
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

/// The bytes as `encoding/json` writes a Go string that is not UTF-8: each byte that does not
/// start a valid sequence becomes U+FFFD.
fn go_lossy(mut bytes: &[u8]) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{fffd}');
                bytes = &rest[1..];
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_becomes_one_replacement_per_byte() {
        assert_eq!(go_lossy(b"a\xe2\x82b\xff"), "a\u{fffd}\u{fffd}b\u{fffd}");
        assert_eq!(go_lossy("é".as_bytes()), "é");
    }
}
