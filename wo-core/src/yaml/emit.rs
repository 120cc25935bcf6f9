//! The deterministic block-style emitter.
use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use super::scalar;
use crate::value::{Map, Value};

/// Longest key written as an implicit `key: value`; YAML limits implicit keys to 1024
/// characters, so longer ones use the explicit `? key` form.
const MAX_IMPLICIT_KEY: usize = 1000;

pub(crate) fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_to(&mut out, value);
    out
}

/// [`to_string`] appended to `out`.
pub(crate) fn write_to(out: &mut String, value: &Value) {
    write_with(out, value, &mut ());
}

/// Where the emitter tells the bytes of each leaf it writes: every value written on the line
/// of its key or dash (a scalar, `[]` or `{}`), in the order written.
pub(crate) trait Leaves {
    fn leaf(&mut self, bytes: Range<usize>);
}

impl Leaves for () {
    fn leaf(&mut self, _: Range<usize>) {}
}

impl Leaves for Vec<Range<usize>> {
    fn leaf(&mut self, bytes: Range<usize>) {
        self.push(bytes);
    }
}

/// [`write_to`], telling `leaves` where each leaf went.
pub(crate) fn write_with(out: &mut String, value: &Value, leaves: &mut impl Leaves) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0, false, leaves),
        Value::Array(items) if !items.is_empty() => write_seq(out, items, 0, false, leaves),
        _ => {
            write_leaf(out, value, leaves);
            out.push('\n');
        }
    }
}

/// [`write_inline`], told to `leaves`.
fn write_leaf(out: &mut String, value: &Value, leaves: &mut impl Leaves) {
    let start = out.len();
    write_inline(out, value);
    leaves.leaf(start..out.len());
}

/// A value that is written on the line of its key or dash: scalars and empty collections.
fn is_inline(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => true,
    }
}

fn inline(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (None, None, Some(f)) => scalar::float_text(f),
            // Only reachable with serde_json's arbitrary_precision, which wo does not enable.
            (None, None, None) => n.to_string(),
        }),
        Value::String(s) => string(s),
        Value::Array(_) => Cow::Borrowed("[]"),
        Value::Object(_) => Cow::Borrowed("{}"),
    }
}

/// [`inline`] appended to `out`, numbers written without a string of their own.
fn write_inline(out: &mut String, value: &Value) {
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(u)) => {
                let _ = write!(out, "{u}");
            }
            _ => out.push_str(&inline(value)),
        },
        Value::String(s) => out.push_str(&string(s)),
        _ => out.push_str(&inline(value)),
    }
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// Writes map entries at `at` spaces; with `inline_first`, the first entry continues a line
/// that already holds `- ` or `? `/`: `.
fn write_map(out: &mut String, map: &Map, at: usize, inline_first: bool, leaves: &mut impl Leaves) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, at);
        }
        let key_text = string(key);
        // A key of at most MAX_IMPLICIT_KEY bytes has at most as many characters.
        if key_text.len() > MAX_IMPLICIT_KEY && key_text.chars().count() > MAX_IMPLICIT_KEY {
            out.push_str("? ");
            out.push_str(&key_text);
            out.push('\n');
            indent(out, at);
            out.push(':');
            write_after_indicator(out, value, at + 2, leaves);
            continue;
        }
        out.push_str(&key_text);
        out.push(':');
        match value {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                write_map(out, m, at + 2, false, leaves);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, at + 2, false, leaves);
            }
            _ => {
                out.push(' ');
                write_leaf(out, value, leaves);
                out.push('\n');
            }
        }
    }
}

fn write_seq(
    out: &mut String,
    items: &[Value],
    at: usize,
    inline_first: bool,
    leaves: &mut impl Leaves,
) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, at);
        }
        out.push('-');
        write_after_indicator(out, item, at + 2, leaves);
    }
}

/// Writes a value after a one-character indicator (`-`, `:`) whose content sits at `at`.
fn write_after_indicator(out: &mut String, value: &Value, at: usize, leaves: &mut impl Leaves) {
    out.push(' ');
    if is_inline(value) {
        write_leaf(out, value, leaves);
        out.push('\n');
        return;
    }
    match value {
        Value::Object(m) => write_map(out, m, at, true, leaves),
        Value::Array(items) => write_seq(out, items, at, true, leaves),
        _ => {}
    }
}

/// Whether a character cannot appear in a single-quoted scalar as itself: non-printable
/// characters and line breaks (which single quotes would fold), and the tab and BOM, which
/// are easy to lose.
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// A string (value or key) as YAML: plain when every reader sees the same string, else
/// single-quoted, else double-quoted with escapes.
pub(crate) fn string(s: &str) -> Cow<'_, str> {
    if plain_word(s) {
        return Cow::Borrowed(s);
    }
    if s.chars().any(needs_escape) {
        return Cow::Owned(double_quoted(s));
    }
    if needs_quotes(s) {
        return Cow::Owned(format!("'{}'", s.replace('\'', "''")));
    }
    Cow::Borrowed(s)
}

/// The words YAML 1.1 or 1.2 reads as a boolean, a null or a special float when plain, in
/// some case (`Yes`, `OFF`, `Null`, `NaN`, `infinity`).
const SPECIAL_WORDS: [&str; 12] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "inf", "nan", "infinity",
];

/// Whether `s` is a word every reader takes as this very string when written plain, answered
/// without the full check ([`needs_quotes`]): an ASCII letter, then letters, digits and
/// `_ . / -`, and not one of [`SPECIAL_WORDS`] (no number, timestamp or indicator starts with
/// a letter). Most keys and values of a manifest are such words.
fn plain_word(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(first) if first.is_ascii_alphabetic() => {}
        _ => return false,
    }
    b.iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-'))
        && (b.len() > 8 || !SPECIAL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)))
}

fn needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    let last = s.chars().next_back().unwrap_or(first);
    if first.is_whitespace() || last.is_whitespace() {
        return true;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return true;
    }
    if s.contains(": ") || s.contains(" #") || last == ':' || s.starts_with("...") {
        return true;
    }
    // Plain text must read back as a string under the 1.2 core schema and YAML 1.1 (go-yaml
    // v2, as Kubernetes reads manifests) alike.
    !matches!(scalar::resolve_plain(s), Ok(super::NodeKind::Str(_)))
        || !matches!(scalar::resolve_plain_yaml11(s), Ok(super::NodeKind::Str(_)))
        || scalar::ambiguous_in_yaml11(s)
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`string`] without the [`plain_word`] shortcut: the full check.
    fn checked(s: &str) -> Cow<'_, str> {
        if s.chars().any(needs_escape) {
            return Cow::Owned(double_quoted(s));
        }
        if needs_quotes(s) {
            return Cow::Owned(format!("'{}'", s.replace('\'', "''")));
        }
        Cow::Borrowed(s)
    }

    /// Every word the shortcut writes plain, the full check writes plain too: all words of up to
    /// three characters over an alphabet of letters, digits and the characters that matter,
    /// every case of the special words, and 50,000 longer random words.
    #[test]
    fn a_word_written_plain_by_the_shortcut_is_plain_by_the_full_check() {
        let alphabet: Vec<char> = "aeinoyEINOY019_./-:#~ xXbB".chars().collect();
        let mut words: Vec<String> = Vec::new();
        for a in &alphabet {
            words.push(a.to_string());
            for b in &alphabet {
                words.push(format!("{a}{b}"));
                for c in &alphabet {
                    words.push(format!("{a}{b}{c}"));
                }
            }
        }
        for w in SPECIAL_WORDS
            .iter()
            .chain(&["null", "NULL", "True", "Off", ".inf", "-nan"])
        {
            // Every mix of upper and lower case.
            let n = w.len();
            for mask in 0u32..(1 << n) {
                words.push(
                    w.chars()
                        .enumerate()
                        .map(|(i, c)| {
                            if mask & (1 << i) != 0 {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        })
                        .collect(),
                );
            }
        }
        let chars: Vec<char> = "abcdefnoxyzAEINOTXY0123456789_./-".chars().collect();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = 4 + (state % 10) as usize;
            let w: String = (0..len)
                .map(|i| chars[((state >> (i * 5)) % chars.len() as u64) as usize])
                .collect();
            words.push(w);
        }
        let mut shortcut = 0;
        for w in &words {
            if plain_word(w) {
                shortcut += 1;
                assert_eq!(checked(w), Cow::Borrowed(w.as_str()), "{w:?}");
            }
            assert_eq!(string(w), checked(w), "{w:?}");
        }
        // The shortcut answers most of them; the special words it leaves to the full check.
        assert!(shortcut > words.len() / 3, "{shortcut} of {}", words.len());
        for w in [
            "yes", "No", "ON", "off", "Null", "NaN", "Infinity", "y", "N",
        ] {
            assert!(!plain_word(w), "{w}");
        }
    }
}
