//! go-yaml v2's emitter (libyaml's `emitterc.go`), for the documents `yaml.Marshal` writes:
//! block mappings and sequences, `{}`/`[]` when empty, scalars in the style go-yaml picks,
//! 2-space indentation, lines folded past column 80.

use crate::encoding::number::{format_g64, format_json};
use crate::value::Value;

use super::order::sort_keys;
use super::resolve::{is_base60_float, resolve_plain, Resolved};

const BEST_INDENT: i32 = 2;

/// Which go-yaml writes: v2 (`yaml.Marshal`, `toYaml`) or v3 with a 2-space indent
/// (`toYamlPretty`): v3 does not fold long lines, indents sequences inside mappings, keeps
/// tabs in literal blocks, and orders keys a little differently.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Flavor {
    V2,
    V3,
}

/// A value as go-yaml v2 holds it after reading `encoding/json`'s text back.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A `null`, boolean or number: written plain, as is.
    Plain(String),
    /// A string: quoted when it would read back as something else (shared with the value it
    /// came from when go-yaml reads it back unchanged).
    Str(std::rc::Rc<str>),
    Seq(Vec<Node>),
    /// Keys in go-yaml's order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value as go-yaml v3 marshals it directly (no JSON step): floats in `%g` form
    /// (`1e+06`), NaN and infinities as `.nan`/`.inf`.
    pub(crate) fn from_value_v3(value: &Value) -> Node {
        match value {
            Value::Nil => Node::Plain("null".into()),
            Value::Bool(b) => Node::Plain(b.to_string()),
            Value::Int(i) | Value::Int64(i) => Node::Plain(i.to_string()),
            Value::Float(f) => Node::Plain(match *f {
                f if f.is_nan() => ".nan".into(),
                f if f == f64::INFINITY => ".inf".into(),
                f if f == f64::NEG_INFINITY => "-.inf".into(),
                f => format_g64(f),
            }),
            Value::String(s) => Node::Str(s.clone()),
            Value::Bytes(b) => Node::Seq(b.iter().map(|x| Node::Plain(x.to_string())).collect()),
            Value::List(items) => Node::Seq(items.iter().map(Node::from_value_v3).collect()),
            Value::StrList(items) => {
                Node::Seq(items.iter().map(|s| Node::Str(s.as_str().into())).collect())
            }
            Value::Map(map) => {
                let mut pairs: Vec<(String, Node)> = map
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), Node::from_value_v3(v)))
                    .collect();
                sort_keys(&mut pairs, Flavor::V3);
                Node::Map(pairs)
            }
            Value::Object(o) => Node::from_value_v3(&o.to_data()),
        }
    }

    /// `json.Marshal` then `yaml.Unmarshal`: numbers take the type go-yaml gives their JSON
    /// text (`1e+21` a float, `100000000000000000000` a float written `1e+20`, `1` an int), and
    /// strings come back as go-yaml reads JSON's double-quoted text (see [`Reread`]).
    pub(crate) fn from_value(value: &Value) -> Result<Node, String> {
        // encoding/json fails first (NaN, ±Inf), before go-yaml reads anything.
        crate::encoding::json::check(value)
            .map_err(|e| format!("error marshaling into JSON: {e}"))?;
        Reread::default().node(value)
    }
}

/// go-yaml reading `encoding/json`'s text back. JSON leaves U+0085 (NEL) raw, and to go-yaml's
/// YAML 1.1 scanner that is a line break inside the quoted string: it folds (one break becomes
/// a space, blanks around it vanish, n breaks become n-1 newlines), a `---`/`...` right after it
/// is a document marker (an error), and a map key spanning lines — or longer than 1024
/// characters as JSON text — is no simple key (an error). `line` counts those breaks, as the
/// error messages do.
#[derive(Default)]
struct Reread {
    line: usize,
}

impl Reread {
    fn node(&mut self, value: &Value) -> Result<Node, String> {
        Ok(match value {
            Value::Nil => Node::Plain("null".into()),
            Value::List(_) | Value::StrList(_) if value.is_nil_slice() => {
                Node::Plain("null".into())
            }
            Value::Bool(b) => Node::Plain(b.to_string()),
            Value::Int(i) | Value::Int64(i) => Node::Plain(i.to_string()),
            Value::Float(f) => {
                let json = format_json(*f).unwrap_or_default();
                Node::Plain(number_as_go_yaml_writes_it(&json))
            }
            Value::String(s) => Node::Str(match self.string(s)? {
                std::borrow::Cow::Borrowed(_) => s.clone(),
                std::borrow::Cow::Owned(folded) => folded.into(),
            }),
            Value::Bytes(_) => match value.to_json() {
                serde_json::Value::String(s) => Node::Str(s.into()),
                _ => Node::Str("".into()),
            },
            Value::List(items) => Node::Seq(
                items
                    .iter()
                    .map(|item| self.node(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::StrList(items) => Node::Seq(
                items
                    .iter()
                    .map(|s| Ok(Node::Str(self.string(s)?.into())))
                    .collect::<Result<_, String>>()?,
            ),
            Value::Map(map) => {
                let start_line = self.line;
                let mut pairs = Vec::new();
                for (k, v) in map.borrow().iter() {
                    let key = self.key(k, start_line)?;
                    pairs.push((key, self.node(v)?));
                }
                sort_keys(&mut pairs, Flavor::V2);
                Node::Map(pairs)
            }
            Value::Object(o) => self.node(&o.to_data())?,
        })
    }

    fn key(&mut self, key: &str, mapping_line: usize) -> Result<String, String> {
        let multi_line = key.contains('\u{85}');
        let folded = self.string(key)?;
        // A character is at most 6 in JSON text (`\u00XX`): short keys need no measuring.
        let long = key.len() > 1024 / 6 && {
            let mut json = String::new();
            crate::encoding::json::write_string(&mut json, key, true);
            json.chars().count() > 1024
        };
        if multi_line || long {
            let line = if self.line > 0 {
                self.line
            } else {
                mapping_line
            };
            let at = if line > 0 {
                format!("line {line}: ")
            } else {
                String::new()
            };
            return Err(format!("yaml: {at}did not find expected ',' or '}}'"));
        }
        Ok(folded.into_owned())
    }

    /// The string go-yaml reads from the JSON text of `s`.
    fn string<'s>(&mut self, s: &'s str) -> Result<std::borrow::Cow<'s, str>, String> {
        // Every ASCII character is allowed (or a control JSON escapes), and none is a NEL.
        if s.is_ascii() {
            return Ok(s.into());
        }
        if s.chars()
            .any(|c| !super::allowed_in_stream(c) && !c.is_ascii_control())
        {
            return Err("yaml: control characters are not allowed".into());
        }
        if !s.contains('\u{85}') {
            return Ok(s.into());
        }
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != ' ' && chars[i] != '\u{85}' {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            // A run of blanks and breaks.
            let mut spaces = String::new();
            let mut breaks = 0;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\u{85}') {
                if chars[i] == '\u{85}' {
                    breaks += 1;
                    self.line += 1;
                    let rest: String = chars[i + 1..].iter().take(4).collect();
                    let marker = rest.starts_with("---") || rest.starts_with("...");
                    let after = rest.chars().nth(3);
                    // In the JSON text a tab is `\t`: only spaces and NELs are blank there.
                    if marker && matches!(after, Some(' ' | '\u{85}')) {
                        return Err(format!(
                            "yaml: line {}: found unexpected document indicator",
                            self.line + 1
                        ));
                    }
                } else if breaks == 0 {
                    spaces.push(' ');
                }
                i += 1;
            }
            match breaks {
                0 => out.push_str(&spaces),
                1 => out.push(' '),
                n => out.extend(std::iter::repeat_n('\n', n - 1)),
            }
        }
        Ok(out.into())
    }
}

/// A JSON number's text as go-yaml v2 reads and writes it back.
fn number_as_go_yaml_writes_it(json: &str) -> String {
    match resolve_plain(json) {
        Resolved::Int(i) => i.to_string(),
        Resolved::Uint(u) => u.to_string(),
        Resolved::Float(f) => match f {
            f if f.is_nan() => ".nan".into(),
            f if f == f64::INFINITY => ".inf".into(),
            f if f == f64::NEG_INFINITY => "-.inf".into(),
            f => format_g64(f),
        },
        _ => json.to_string(),
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// What `yaml_emitter_analyze_scalar` learns about a scalar.
#[derive(Debug, PartialEq)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// libyaml's `is_printable`, on the UTF-8 bytes at `i` (tabs, C1 controls, the BOM and
/// characters outside the BMP are not printable: go-yaml escapes them).
fn is_printable(b: &[u8], i: usize) -> bool {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    let c = b[i];
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && at(1) >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && at(1) < 0xA0)
        || c == 0xEE
        || (c == 0xEF
            && !(at(1) == 0xBB && at(2) == 0xBF)
            && !(at(1) == 0xBF && (at(2) == 0xBE || at(2) == 0xBF)))
}

fn is_break_char(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_char(c: Option<char>) -> bool {
    matches!(c, Some(' ' | '\t'))
}

fn is_blankz_char(c: Option<char>) -> bool {
    match c {
        None | Some('\0') => true,
        Some(c) => c == ' ' || c == '\t' || is_break_char(c),
    }
}

fn analyze(value: &str, flavor: Flavor) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let bytes = value.as_bytes();
    // Most scalars are words, names and paths: no indicator, space, break or special
    // character can be in them, and the answer is the one the walk below would give.
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/');
    if word(bytes[0])
        && bytes[1..]
            .iter()
            .all(|&b| word(b) || matches!(b, b'.' | b'-'))
    {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    analyze_walk(value, flavor)
}

/// libyaml's walk over the characters of a non-empty scalar.
fn analyze_walk(value: &str, flavor: Flavor) -> Analysis {
    let bytes = value.as_bytes();
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut tab_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.starts_with("---") || value.starts_with("...") {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|p| p.1);
        let followed_by_whitespace = next.is_none() || is_blank_char(next);
        // Indicators that stop the text from being written plain in block context.
        let indicator = if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => true,
                '?' | ':' | '-' => followed_by_whitespace,
                _ => false,
            }
        } else {
            match c {
                ':' => followed_by_whitespace,
                '#' => preceded_by_whitespace,
                _ => false,
            }
        };
        if indicator {
            block_indicators = true;
        }
        if flavor == Flavor::V3 && c == '\t' {
            tab_characters = true;
        } else if !is_printable(bytes, i) {
            special_characters = true;
        }
        let last = next.is_none();
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break_char(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz_char(Some(c));
    }

    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tab_characters || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// The style go-yaml's encoder asks for (`stringv`): literal for multi-line text, plain when the
/// text reads back as the same string, double-quoted otherwise.
fn requested_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if resolve_plain(s) == Resolved::Str && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

struct Emitter {
    flavor: Flavor,
    best_width: usize,
    out: String,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    whitespace: bool,
    indention: bool,
    simple_key_context: bool,
    mapping_context: bool,
}

/// Writes `node` as the one document of a stream, as go-yaml's encoder does.
pub(crate) fn emit(node: &Node, flavor: Flavor) -> String {
    let mut e = Emitter {
        flavor,
        best_width: match flavor {
            Flavor::V2 => 80,
            Flavor::V3 => usize::MAX,
        },
        // Most documents `toYaml` writes are short: skip the first steps of growth.
        out: String::with_capacity(256),
        column: 0,
        indent: -1,
        indents: Vec::new(),
        whitespace: true,
        indention: true,
        simple_key_context: false,
        mapping_context: false,
    };
    e.node(node, false, false);
    e.write_indent();
    e.out
}

impl Emitter {
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().expect("indent pushed before");
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// `yaml_emitter_emit_node` with its contexts (the root and sequence contexts change
    /// nothing in the documents written here).
    fn node(&mut self, node: &Node, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match node {
            Node::Plain(text) => self.scalar(text, Style::Plain),
            Node::Str(s) => self.scalar(s, requested_style(s)),
            // The encoder asks for block style; only empty collections come out in flow
            // style, so nothing is ever written inside a flow collection.
            Node::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Node::Map(pairs) if pairs.is_empty() => self.empty_flow("{", "}"),
            Node::Seq(items) => {
                let indentless =
                    self.flavor == Flavor::V2 && self.mapping_context && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, false, false);
                }
                self.pop_indent();
            }
            Node::Map(pairs) => {
                self.increase_indent(false, false);
                for (key, value) in pairs {
                    self.write_indent();
                    let analysis = analyze(key, self.flavor);
                    if !analysis.multiline && key.len() <= 128 {
                        self.key(key, true);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.key(key, false);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(value, true, false);
                }
                self.pop_indent();
            }
        }
    }

    /// A mapping key: what [`Emitter::node`] does for a `Node::Str` of it, without the copy.
    fn key(&mut self, key: &str, simple_key: bool) {
        self.mapping_context = true;
        self.simple_key_context = simple_key;
        self.scalar(key, requested_style(key));
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    /// `yaml_emitter_select_scalar_style` (outside flow collections) and the writers.
    fn scalar(&mut self, value: &str, requested: Style) {
        let a = analyze(value, self.flavor);
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if !a.block_plain_allowed {
                style = Style::SingleQuoted;
            }
            if value.is_empty() && self.simple_key_context {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || self.simple_key_context) {
            style = Style::DoubleQuoted;
        }
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.plain(value, allow_breaks),
            Style::SingleQuoted => self.single_quoted(value, allow_breaks),
            Style::DoubleQuoted => self.double_quoted(value, allow_breaks),
            Style::Literal => self.literal(value),
        }
        self.pop_indent();
    }

    fn plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        // Most scalars are one ASCII word: written at once.
        if value
            .bytes()
            .all(|b| b != b' ' && b != b'\n' && b != b'\r' && b.is_ascii())
        {
            self.out.push_str(value);
            self.column += value.len();
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && chars.peek() != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break_char(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let len = value.len();
        let chars: Vec<(usize, char)> = value.char_indices().collect();
        for (n, &(i, c)) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(n + 1).map(|p| p.1) == Some(' ');
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i + 1 < len
                    && !next_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break_char(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, value: &str, allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        let bytes = value.as_bytes();
        let starts_with_bom = value.starts_with('\u{FEFF}');
        let len = value.len();
        let chars: Vec<(usize, char)> = value.char_indices().collect();
        for (n, &(i, c)) in chars.iter().enumerate() {
            if !is_printable(bytes, i)
                || starts_with_bom
                || is_break_char(c)
                || c == '"'
                || c == '\\'
            {
                self.put('\\');
                let code = c as u32;
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let (prefix, width) = if code <= 0xFF {
                            ('x', 2)
                        } else if code <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(prefix);
                        for d in format!("{code:0width$X}").chars() {
                            self.put(d);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > self.best_width && i > 0 && i + 1 < len
                {
                    self.write_indent();
                    if chars.get(n + 1).map(|p| p.1) == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn block_scalar_hints(&mut self, value: &str) {
        let first = value.chars().next();
        if first == Some(' ') || first.is_some_and(is_break_char) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let mut rev = value.chars().rev();
        let chomp = match rev.next() {
            None => Some("-"),
            Some(last) if !is_break_char(last) => Some("-"),
            Some(_) => match rev.next() {
                None => Some("+"),
                Some(before) if is_break_char(before) => Some("+"),
                Some(_) => None,
            },
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }

    fn literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        self.block_scalar_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in value.chars() {
            if is_break_char(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_analysis_of_words_is_the_walks() {
        let words = [
            "a",
            "Z",
            "0",
            "_",
            "/",
            "a-b",
            "a.b",
            "a--",
            "a..",
            "x/y.z-1",
            "v1",
            "1.5",
            "0x1F",
            "a-",
            "_-.",
            "/---",
            "nginx.ingress.kubernetes.io/rewrite-target",
        ];
        for w in words {
            for flavor in [Flavor::V2, Flavor::V3] {
                assert_eq!(analyze(w, flavor), analyze_walk(w, flavor), "{w}");
            }
        }
        // Not words: the walk answers (indicators, spaces, breaks, non-ASCII).
        for s in ["-", "-a", ".a", "...", "---", "a b", "a:", "é", "a\n"] {
            assert_eq!(analyze(s, Flavor::V2), analyze_walk(s, Flavor::V2), "{s}");
        }
        assert!(!analyze("-", Flavor::V2).block_plain_allowed);
        assert!(!analyze("...", Flavor::V2).block_plain_allowed);
    }
}
