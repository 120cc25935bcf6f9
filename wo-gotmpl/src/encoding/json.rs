//! JSON as Go's `encoding/json` writes and reads it: keys sorted, `<`, `>`, `&` and U+2028/9
//! escaped, `float64` written `1e+21` / `1e-7` past Go's thresholds, and every number read back
//! as a `float64`.

use crate::encoding::number::{format_json, special_text};
use crate::value::{Map, Value};

/// `json.Marshal(v)` (`toJson`): compact, HTML-escaped.
///
/// # Errors
///
/// `json: unsupported value: NaN` (or `+Inf`, `-Inf`), as Go reports them.
pub fn encode(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, value, true, None, 0)?;
    Ok(out)
}

/// Whether [`encode`] would succeed, without writing anything: its error when not (the first
/// non-finite float, in the order `encode` meets it).
///
/// # Errors
///
/// As [`encode`].
pub(crate) fn check(value: &Value) -> Result<(), String> {
    match value {
        Value::Float(f) if !f.is_finite() => {
            Err(format!("json: unsupported value: {}", special_text(*f)))
        }
        Value::List(items) => items.iter().try_for_each(check),
        Value::Map(map) => map.borrow().values().try_for_each(check),
        Value::Object(o) => check(&o.to_data()),
        _ => Ok(()),
    }
}

/// A `json.Encoder` with `SetEscapeHTML(false)`, its final newline trimmed (`toRawJson`).
///
/// # Errors
///
/// As [`encode`].
pub fn encode_raw(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, value, false, None, 0)?;
    Ok(out)
}

/// `json.MarshalIndent(v, "", "  ")` (`toPrettyJson`).
///
/// # Errors
///
/// As [`encode`].
pub fn encode_pretty(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, value, true, Some("  "), 0)?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(unit) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(unit);
        }
    }
}

fn write(
    out: &mut String,
    value: &Value,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), String> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => match format_json(*f) {
            Some(text) => out.push_str(&text),
            None => return Err(format!("json: unsupported value: {}", special_text(*f))),
        },
        Value::String(s) => write_string(out, s, html),
        Value::Bytes(_) => {
            if let serde_json::Value::String(s) = value.to_json() {
                write_string(out, &s, html);
            }
        }
        Value::List(_) | Value::StrList(_) if value.is_nil_slice() => out.push_str("null"),
        Value::List(items) => write_list(out, items.iter(), html, indent, depth)?,
        Value::StrList(items) => {
            let values: Vec<Value> = items.iter().map(Value::str).collect();
            write_list(out, values.iter(), html, indent, depth)?;
        }
        Value::Map(map) => write_map(out, &map.borrow(), html, indent, depth)?,
        Value::Object(o) => write(out, &o.to_data(), html, indent, depth)?,
    }
    Ok(())
}

fn write_list<'a>(
    out: &mut String,
    items: impl ExactSizeIterator<Item = &'a Value>,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), String> {
    out.push('[');
    let empty = items.len() == 0;
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, indent, depth + 1);
        write(out, item, html, indent, depth + 1)?;
    }
    if !empty {
        newline(out, indent, depth);
    }
    out.push(']');
    Ok(())
}

fn write_map(
    out: &mut String,
    map: &Map,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), String> {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, indent, depth + 1);
        write_string(out, k, html);
        out.push(':');
        if indent.is_some() {
            out.push(' ');
        }
        write(out, v, html, indent, depth + 1)?;
    }
    if !map.is_empty() {
        newline(out, indent, depth);
    }
    out.push('}');
    Ok(())
}

/// Go's `appendString`: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other controls as `\u00XX`,
/// `<`, `>`, `&` as `\u003c`… when HTML-escaping, U+2028/U+2029 always escaped.
pub(crate) fn write_string(out: &mut String, s: &str, html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if html => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Unmarshal(text, &v)` with `v interface{}`: objects as maps, arrays as lists, every
/// number a `float64`.
///
/// # Errors
///
/// Go's messages: `unexpected end of JSON input`, `invalid character 'x' looking for beginning
/// of value`, `json: cannot unmarshal number 1e400 into Go value of type float64`.
pub fn decode(text: &str) -> Result<Value, String> {
    match decode_partial(text)? {
        (_, Some(e)) => Err(e),
        (value, None) => Ok(value),
    }
}

/// `json.Unmarshal` as far as it gets: a syntax error fails the whole text, but a number out of
/// `float64`'s range leaves `nil` in its place and is reported next to the value (Go keeps
/// decoding after such a type error and returns the first one).
pub(crate) fn decode_partial(text: &str) -> Result<(Value, Option<String>), String> {
    let mut p = JsonParser {
        b: text.as_bytes(),
        i: 0,
        range_error: None,
        depth: 0,
    };
    p.skip_ws();
    let value = p.value()?;
    p.skip_ws();
    if p.i < p.b.len() {
        return Err(format!(
            "invalid character {} after top-level value",
            quote_char(p.peek_char())
        ));
    }
    Ok((value, p.range_error))
}

/// Go's `quoteChar` for syntax errors: `'x'`, `'\n'`, `'\''`, `'"'`.
fn quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        c => {
            let escaped: String = match c {
                '\n' => "\\n".into(),
                '\r' => "\\r".into(),
                '\t' => "\\t".into(),
                '\\' => "\\\\".into(),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("\\x{:02x}", c as u32),
                c => c.to_string(),
            };
            format!("'{escaped}'")
        }
    }
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
    /// Go checks the syntax of the whole text first and reports a number out of range after.
    range_error: Option<String>,
    depth: usize,
}

const EOF: &str = "unexpected end of JSON input";

/// Go's scanner refuses nesting deeper than 10,000; we stop at 1,000, so that reading (and
/// dropping) the value never exhausts a thread's stack. Templates never nest that deep.
const MAX_DEPTH: usize = 1_000;

impl JsonParser<'_> {
    fn peek_char(&self) -> char {
        std::str::from_utf8(&self.b[self.i..])
            .ok()
            .and_then(|s| s.chars().next())
            .or_else(|| {
                let end = (self.i + 4).min(self.b.len());
                String::from_utf8_lossy(&self.b[self.i..end]).chars().next()
            })
            .unwrap_or('\u{fffd}')
    }

    fn skip_ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\r' | b'\n') {
            self.i += 1;
        }
    }

    fn bad(&self, context: &str) -> String {
        if self.i >= self.b.len() {
            EOF.into()
        } else {
            format!(
                "invalid character {} {context}",
                quote_char(self.peek_char())
            )
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.b.get(self.i) {
            None => Err(EOF.into()),
            Some(b'{' | b'[') if self.depth >= MAX_DEPTH => Err(self.bad("exceeded max depth")),
            Some(b'{') => {
                self.depth += 1;
                let v = self.object();
                self.depth -= 1;
                v
            }
            Some(b'[') => {
                self.depth += 1;
                let v = self.array();
                self.depth -= 1;
                v
            }
            Some(b'"') => Ok(Value::from(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Nil),
            Some(_) => Err(self.bad("looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        for expected in word.bytes() {
            match self.b.get(self.i) {
                None => return Err(EOF.into()),
                Some(c) if *c == expected => self.i += 1,
                Some(_) => {
                    return Err(self.bad(&format!(
                        "in literal {word} (expecting '{}')",
                        expected as char
                    )))
                }
            }
        }
        Ok(value)
    }

    fn object(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut map = Map::new();
        self.skip_ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Value::map(map));
        }
        loop {
            self.skip_ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(self.bad("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err(self.bad("after object key"));
            }
            self.i += 1;
            self.skip_ws();
            let value = self.value()?;
            map.insert(key, value);
            self.skip_ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::map(map));
                }
                _ => return Err(self.bad("after object key:value pair")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Value::list(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::list(items));
                }
                _ => return Err(self.bad("after array element")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut n = 0;
        for _ in 0..4 {
            let Some(c) = self.b.get(self.i) else {
                return Err(EOF.into());
            };
            let d = (*c as char)
                .to_digit(16)
                .ok_or_else(|| self.bad("in \\u hexadecimal character escape"))?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(EOF.into());
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(EOF.into());
                    };
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        _ => None,
                    };
                    if let Some(byte) = simple {
                        out.push(byte);
                        self.i += 1;
                        continue;
                    }
                    if e != b'u' {
                        return Err(self.bad("in string escape code"));
                    }
                    self.i += 1;
                    let first = self.hex4()?;
                    let mut code = first;
                    if (0xD800..0xDC00).contains(&first)
                        && self.b.get(self.i) == Some(&b'\\')
                        && self.b.get(self.i + 1) == Some(&b'u')
                    {
                        let save = self.i;
                        self.i += 2;
                        let second = self.hex4()?;
                        if (0xDC00..0xE000).contains(&second) {
                            code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        } else {
                            self.i = save;
                            code = 0xFFFD;
                        }
                    }
                    let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(self.bad("in string literal")),
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - s
        };
        if self.b[self.i] == b'-' {
            self.i += 1;
            if !self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                return Err(self.bad("in numeric literal"));
            }
        }
        if self.b[self.i] == b'0' {
            self.i += 1;
        } else {
            digits(self);
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.bad("after decimal point in numeric literal"));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.bad("in exponent of numeric literal"));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        let f: f64 = text.parse().unwrap_or(0.0);
        if f.is_infinite() {
            if self.range_error.is_none() {
                self.range_error = Some(format!(
                    "json: cannot unmarshal number {text} into Go value of type float64"
                ));
            }
            return Ok(Value::Nil);
        }
        Ok(Value::Float(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn marshal_escapes_html_and_sorts_keys() {
        let v = map(&[
            ("z", Value::str("<a&b>\u{2028}\t\u{1}")),
            ("a", Value::Float(1e21)),
            (
                "m",
                Value::list(vec![Value::Float(1.0), Value::Nil, Value::Bool(true)]),
            ),
        ]);
        assert_eq!(
            encode(&v).unwrap(),
            r#"{"a":1e+21,"m":[1,null,true],"z":"\u003ca\u0026b\u003e\u2028\t\u0001"}"#
        );
        assert_eq!(encode_raw(&Value::str("<&>")).unwrap(), r#""<&>""#);
        assert_eq!(
            encode(&Value::Float(f64::NAN)).unwrap_err(),
            "json: unsupported value: NaN"
        );
    }

    #[test]
    fn marshal_indent_keeps_empty_collections_compact() {
        let v = map(&[
            ("a", Value::list(vec![Value::Int(1), Value::Int(2)])),
            ("b", Value::empty_map()),
            ("c", Value::list(vec![])),
        ]);
        assert_eq!(
            encode_pretty(&v).unwrap(),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}"
        );
    }

    #[test]
    fn unmarshal_reads_numbers_as_float64_and_reports_go_errors() {
        let v = decode(r#" {"a": [1, 2.5e3, "x\u00e9\ud83d\ude00"], "b": null} "#).unwrap();
        assert_eq!(
            format!("{v:?}"),
            r#"{"a": [float64(1), float64(2500), "xé😀"], "b": nil}"#
        );
        assert_eq!(decode("").unwrap_err(), "unexpected end of JSON input");
        assert_eq!(
            decode("{x}").unwrap_err(),
            "invalid character 'x' looking for beginning of object key string"
        );
        assert_eq!(
            decode("[1 2]").unwrap_err(),
            "invalid character '2' after array element"
        );
        assert_eq!(
            decode("{} x").unwrap_err(),
            "invalid character 'x' after top-level value"
        );
        assert_eq!(
            decode("1e400").unwrap_err(),
            "json: cannot unmarshal number 1e400 into Go value of type float64"
        );
        assert_eq!(decode("tru").unwrap_err(), "unexpected end of JSON input");
        // Go's message (Go itself reaches 10,000 levels before it gives it).
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(
            decode(&deep).unwrap_err(),
            "invalid character '[' exceeded max depth"
        );
        let nested = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(decode(&nested).is_ok());
    }
}
