//! Sprig's regular expressions (`regex.go`) with Go's `regexp` (RE2) semantics: Perl classes
//! (`\d`, `\w`, `\s`, `\b`) are ASCII-only as in Go, `$1`/`${name}` expand in replacements as
//! `Regexp.Expand` does (`$1x` names group `1x`), `FindAll`/`Split` limits follow Go.

use ::regex::{NoExpand, Regex};
use std::rc::Rc;

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::{int, string};
use super::conv::go_quote;
use super::def;

/// The regular-expression functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("regexMatch", 2, Some(2), regex_match),
    def("mustRegexMatch", 2, Some(2), must_regex_match),
    def("regexFindAll", 3, Some(3), regex_find_all),
    def("mustRegexFindAll", 3, Some(3), regex_find_all),
    def("regexFind", 2, Some(2), regex_find),
    def("mustRegexFind", 2, Some(2), regex_find),
    def("regexReplaceAll", 3, Some(3), regex_replace_all),
    def("mustRegexReplaceAll", 3, Some(3), regex_replace_all),
    def(
        "regexReplaceAllLiteral",
        3,
        Some(3),
        regex_replace_all_literal,
    ),
    def(
        "mustRegexReplaceAllLiteral",
        3,
        Some(3),
        regex_replace_all_literal,
    ),
    def("regexSplit", 3, Some(3), regex_split),
    def("mustRegexSplit", 3, Some(3), regex_split),
    def("regexQuoteMeta", 1, Some(1), regex_quote_meta),
];

/// Rewrites Go's ASCII-only Perl classes and word boundaries for the `regex` crate, whose
/// classes are Unicode-aware.
fn go_syntax(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (n, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('d', true) => Some("0-9"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\x0C\\r ]"),
                    ('s', true) => Some("\\t\\n\\x0C\\r "),
                    ('S', false) => Some("[^\\t\\n\\x0C\\r ]"),
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    _ => None,
                };
                match replacement {
                    Some(r) => {
                        out.push_str(r);
                        // Go (Perl flags) reads `-` after a class escape as a literal: `[\w-.]`.
                        if in_class && chars.peek() == Some(&'-') {
                            let mut ahead = chars.clone();
                            ahead.next();
                            if ahead.peek().is_some_and(|c| *c != ']') {
                                chars.next();
                                out.push_str("\\-");
                            }
                        }
                    }
                    None => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                class_start = false;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().expect("peeked"));
                }
                // A `]` right after `[` or `[^` is a literal.
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
                continue;
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // `[:alpha:]` inside a class.
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
                continue;
            }
            ']' if in_class && !class_start => in_class = false,
            // Go reads a `{` that does not start a repetition `{n}`, `{n,}`, `{n,m}` as a
            // literal; the `regex` crate refuses it.
            '{' if !in_class && !starts_repetition(chars.clone()) => {
                out.push_str("\\{");
                class_start = false;
                continue;
            }
            _ => {}
        }
        class_start = false;
        out.push(c);
    }
    out
}

/// Whether the text after a `{` is a repetition count (`n}`, `n,}`, `n,m}`).
fn starts_repetition(mut rest: impl Iterator<Item = char>) -> bool {
    let mut digits = 0;
    let mut comma = false;
    for c in rest.by_ref() {
        match c {
            '0'..='9' => digits += 1,
            ',' if !comma && digits > 0 => comma = true,
            '}' => return digits > 0,
            _ => return false,
        }
    }
    false
}

/// Go's error text for a pattern `regexp.Compile` refuses (its gist: the `regex` crate words
/// its reasons differently).
fn parse_error(pattern: &str, err: &::regex::Error) -> String {
    let text = err.to_string();
    // Go names the offending part: the whole pattern for parentheses, the class from its `[`,
    // the operator for a repetition without an argument.
    let class_start = pattern.rfind('[').map_or(pattern, |i| &pattern[i..]);
    if text.contains("unclosed character class") {
        return format!("error parsing regexp: missing closing ]: `{class_start}`");
    }
    if text.contains("repetition operator missing expression") {
        let op = pattern
            .char_indices()
            .find(|(_, c)| matches!(c, '*' | '+' | '?' | '{'))
            .map_or(pattern, |(i, _)| &pattern[i..=i]);
        return format!("error parsing regexp: missing argument to repetition operator: `{op}`");
    }
    let code = if text.contains("unclosed group") {
        "missing closing )"
    } else if text.contains("unopened group") {
        "unexpected )"
    } else if text.contains("unclosed character class") {
        "missing closing ]"
    } else if text.contains("repetition operator missing expression") {
        "missing argument to repetition operator"
    } else if text.contains("escape") {
        "invalid escape sequence"
    } else {
        "invalid syntax"
    };
    format!("error parsing regexp: {code}: `{pattern}`")
}

fn compile(pattern: &str) -> Result<Rc<Regex>, String> {
    // Templates compile the same few patterns on every render: keep them (per thread, a
    // bounded number). Shared, not cloned: a `Regex` clone shares the compiled program but
    // builds its search cache again at its first use.
    type Compiled = Result<Rc<Regex>, String>;
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Compiled>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return hit;
    }
    let compiled = Regex::new(&go_syntax(pattern))
        .map(Rc::new)
        .map_err(|e| parse_error(pattern, &e));
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 512 {
            c.clear();
        }
        c.insert(pattern.to_string(), compiled.clone());
    });
    compiled
}

/// `regexp.MustCompile`'s panic text, which the non-`must` functions fail with.
fn must_compile(pattern: &str) -> Result<Rc<Regex>, String> {
    compile(pattern).map_err(|e| {
        let quoted =
            if pattern.contains('`') || pattern.chars().any(|c| c.is_control() && c != '\t') {
                go_quote(pattern)
            } else {
                format!("`{pattern}`")
            };
        format!("regexp: Compile({quoted}): {e}")
    })
}

fn regex_match(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let pattern = string(a, 0)?;
    let text = string(a, 1)?;
    Ok(Value::Bool(
        compile(pattern).is_ok_and(|re| re.is_match(text)),
    ))
}

fn must_regex_match(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let re = compile(string(a, 0)?)?;
    Ok(Value::Bool(re.is_match(string(a, 1)?)))
}

/// Go's `FindAllStringIndex(s, n)`: `n < 0` for all; an empty match right after a match is
/// skipped.
fn find_all(re: &Regex, text: &str, n: i64) -> Vec<(usize, usize)> {
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut prev_end: Option<usize> = None;
    for m in re.find_iter(text) {
        if out.len() >= limit {
            break;
        }
        if m.start() == m.end() && Some(m.start()) == prev_end {
            continue;
        }
        prev_end = Some(m.end());
        out.push((m.start(), m.end()));
    }
    out
}

fn regex_find_all(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let re = must_compile(string(a, 0)?)?;
    let text = string(a, 1)?;
    let n = int(a, 2)?;
    let found: Vec<String> = find_all(&re, text, n)
        .into_iter()
        .map(|(s, e)| text[s..e].to_string())
        .collect();
    if found.is_empty() {
        // Go's `FindAllString` returns nil when nothing matches.
        return Ok(Value::nil_str_list());
    }
    Ok(Value::StrList(found.into()))
}

fn regex_find(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let re = must_compile(string(a, 0)?)?;
    let text = string(a, 1)?;
    Ok(Value::str(re.find(text).map_or("", |m| m.as_str())))
}

fn regex_replace_all(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let re = must_compile(string(a, 0)?)?;
    let text = string(a, 1)?;
    let repl = string(a, 2)?;
    Ok(Value::from(re.replace_all(text, repl).into_owned()))
}

fn regex_replace_all_literal(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let re = must_compile(string(a, 0)?)?;
    let text = string(a, 1)?;
    let repl = string(a, 2)?;
    Ok(Value::from(
        re.replace_all(text, NoExpand(repl)).into_owned(),
    ))
}

/// Go's `Regexp.Split(s, n)`.
fn regex_split(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let pattern = string(a, 0)?;
    let re = must_compile(pattern)?;
    let text = string(a, 1)?;
    let n = int(a, 2)?;
    if n == 0 {
        // Go's `Regexp.Split` returns nil for n == 0.
        return Ok(Value::nil_str_list());
    }
    if !pattern.is_empty() && text.is_empty() {
        return Ok(Value::StrList(vec![String::new()].into()));
    }
    let mut parts: Vec<String> = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for (s, e) in find_all(&re, text, n) {
        if n > 0 && parts.len() as i64 == n - 1 {
            break;
        }
        end = s;
        if e != 0 {
            parts.push(text[beg..end].to_string());
        }
        beg = e;
    }
    if end != text.len() {
        parts.push(text[beg..].to_string());
    }
    Ok(Value::StrList(parts.into()))
}

/// Go's `regexp.QuoteMeta`.
fn regex_quote_meta(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut out = String::new();
    for c in string(a, 0)?.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::from(out))
}
