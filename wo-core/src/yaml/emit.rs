//! The deterministic block-style emitter.
use std::fmt::Write as _;

use super::scalar;
use crate::value::{Map, Value};

/// Longest key written as an implicit `key: value`; YAML limits implicit keys to 1024
/// characters, so longer ones use the explicit `? key` form.
const MAX_IMPLICIT_KEY: usize = 1000;

pub(crate) fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0, false),
        _ => {
            out.push_str(&inline(value));
            out.push('\n');
        }
    }
    out
}

/// A value that is written on the line of its key or dash: scalars and empty collections.
fn is_inline(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => true,
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (None, None, Some(f)) => scalar::float_text(f),
            // Only reachable with serde_json's arbitrary_precision, which wo does not enable.
            (None, None, None) => n.to_string(),
        },
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Writes map entries at `at` spaces; with `inline_first`, the first entry continues a line
/// that already holds `- ` or `? `/`: `.
fn write_map(out: &mut String, map: &Map, at: usize, inline_first: bool) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, at);
        }
        let key_text = string(key);
        if key_text.chars().count() > MAX_IMPLICIT_KEY {
            out.push_str("? ");
            out.push_str(&key_text);
            out.push('\n');
            indent(out, at);
            out.push(':');
            write_after_indicator(out, value, at + 2);
            continue;
        }
        out.push_str(&key_text);
        out.push(':');
        match value {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                write_map(out, m, at + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, at + 2, false);
            }
            _ => {
                out.push(' ');
                out.push_str(&inline(value));
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], at: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(out, at);
        }
        out.push('-');
        write_after_indicator(out, item, at + 2);
    }
}

/// Writes a value after a one-character indicator (`-`, `:`) whose content sits at `at`.
fn write_after_indicator(out: &mut String, value: &Value, at: usize) {
    out.push(' ');
    if is_inline(value) {
        out.push_str(&inline(value));
        out.push('\n');
        return;
    }
    match value {
        Value::Object(m) => write_map(out, m, at, true),
        Value::Array(items) => write_seq(out, items, at, true),
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
pub(crate) fn string(s: &str) -> String {
    if s.chars().any(needs_escape) {
        return double_quoted(s);
    }
    if needs_quotes(s) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    s.to_owned()
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
