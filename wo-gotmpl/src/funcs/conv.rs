//! Conversions shared by Sprig's functions (and usable by the executor and the chart layer):
//! Sprig's `strval`, `empty` and `strslice`, and the `spf13/cast` number conversions.

use crate::value::Value;

/// Sprig's `strval` (what `toString` returns): strings as they are, `[]byte` as text, anything
/// else as Go's `%v` prints it (`<nil>` for nil, `1e+06` for a `float64` 1000000).
pub fn to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

/// Sprig's `empty` (also what `default` and `coalesce` test): nil, `false`, zero numbers and
/// empty strings, lists and maps are empty; structs and pointers never are; a named slice or
/// map type (such as `.Capabilities.APIVersions`) is empty when its data is.
pub fn empty(v: &Value) -> bool {
    match v {
        Value::Object(o) => match o.kind() {
            "slice" | "array" | "map" | "string" => !o.to_data().truthy(),
            _ => false,
        },
        other => !other.truthy(),
    }
}

/// `cast.ToInt64E`: integers as they are, floats truncated, booleans as 1/0, nil as 0, strings
/// parsed as Go integer literals (`0x1f`, `017`, `1_000`; a zero decimal part such as `12.00`
/// is dropped first).
pub fn to_int64(v: &Value) -> Result<i64, String> {
    match v {
        Value::Nil => Ok(0),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Int(n) | Value::Int64(n) => Ok(*n),
        Value::Float(x) => Ok(go_float_to_int(*x)),
        Value::String(s) => parse_go_int(trim_zero_decimal(s))
            .ok_or_else(|| format!("unable to cast {} of type string to int64", go_quote(s))),
        other => Err(format!(
            "unable to cast {} of type {} to int64",
            other,
            other.type_name()
        )),
    }
}

/// `cast.ToInt64` as Sprig calls it: [`to_int64`], 0 when that fails.
pub fn to_int64_or_zero(v: &Value) -> i64 {
    to_int64(v).unwrap_or(0)
}

/// `cast.ToFloat64E`: numbers converted, booleans as 1/0, nil as 0, strings parsed as Go's
/// `strconv.ParseFloat` reads them.
pub fn to_float64(v: &Value) -> Result<f64, String> {
    match v {
        Value::Nil => Ok(0.0),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Int(n) | Value::Int64(n) => Ok(*n as f64),
        Value::Float(x) => Ok(*x),
        Value::String(s) => parse_go_float(s)
            .ok_or_else(|| format!("unable to cast {} of type string to float64", go_quote(s))),
        other => Err(format!(
            "unable to cast {} of type {} to float64",
            other,
            other.type_name()
        )),
    }
}

/// `cast.ToFloat64` as Sprig calls it: [`to_float64`], 0 when that fails.
pub fn to_float64_or_zero(v: &Value) -> f64 {
    to_float64(v).unwrap_or(0.0)
}

/// Sprig's `strslice` (`join`, `sortAlpha`, `toStrings`): a `[]string` as it is, the non-nil
/// items of another slice through [`to_string`], nothing for nil, any other value alone.
pub fn to_strings(v: &Value) -> Vec<String> {
    match v {
        Value::StrList(l) => l.as_ref().clone(),
        Value::List(l) => l.iter().filter(|x| !x.is_nil()).map(to_string).collect(),
        Value::Bytes(b) => b.iter().map(|x| x.to_string()).collect(),
        Value::Nil => Vec::new(),
        other => vec![to_string(other)],
    }
}

/// Go's conversion of a `float64` to an integer (truncation toward zero; out of range gives
/// the minimum, as on amd64).
pub fn go_float_to_int(x: f64) -> i64 {
    if x.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
        i64::MIN
    } else {
        x.trunc() as i64
    }
}

fn trim_zero_decimal(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=bytes.len()).rev() {
        match bytes[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then a decimal, `0x`, `0o`, `0b` or
/// leading-`0` octal literal with `_` separators between digits.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest.to_string(), true)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest.to_string(), true)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.is_empty() && !(radix == 8 && prefixed && !lower.starts_with("0o")) {
        return None;
    }
    // Underscores may only separate digits (a base prefix counts as a digit).
    if digits.contains('_') {
        let check = if prefixed {
            format!("0{digits}")
        } else {
            digits.clone()
        };
        if check.starts_with('_') || check.ends_with('_') || check.contains("__") {
            return None;
        }
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return if radix == 8 { Some(0) } else { None };
    }
    let magnitude = u64::from_str_radix(&clean, radix).ok()?;
    if negative {
        if magnitude > 1u64 << 63 {
            None
        } else {
            Some((magnitude as i64).wrapping_neg())
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms values hold: decimal and exponent forms,
/// `inf`/`infinity`/`nan` in any case, `_` separators, hexadecimal mantissas are not read.
pub fn parse_go_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return None;
    }
    match unsigned {
        "inf" | "infinity" => {
            return Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if unsigned.is_empty()
        || !unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-' | '_'))
    {
        return None;
    }
    let clean: String = lower.chars().filter(|c| *c != '_').collect();
    clean.parse::<f64>().ok()
}

/// Go's `strconv.Quote` (`%q` of a string): `"` delimited, with `\"`, `\\`, `\n`-style escapes,
/// `\xNN` for invalid bytes and `\uNNNN`/`\UNNNNNNNN` for runes Go does not print.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\u{fffd}' => out.push('\u{fffd}'),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`, closely: letters, marks, numbers, punctuation, symbols and the
/// ASCII space; not controls, other spaces, format characters or private-use runes.
pub fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e
        | 0x2060..=0x206f | 0xd800..=0xdfff | 0xe000..=0xf8ff | 0xfeff | 0xfff9..=0xfffb
        | 0xfffe | 0xffff | 0xf0000..=0x10ffff | 0xe0000..=0xe007f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_reads_go_integer_literals() {
        for (s, n) in [
            ("42", Some(42)),
            ("-7", Some(-7)),
            ("12.00", Some(12)),
            ("12.50", None),
            ("0x1F", Some(31)),
            ("017", Some(15)),
            ("0o17", Some(15)),
            ("0b101", Some(5)),
            ("1_000", Some(1000)),
            ("0", Some(0)),
            ("1e3", None),
            (" 1", None),
            ("", None),
            ("9223372036854775808", None),
            ("-9223372036854775808", Some(i64::MIN)),
        ] {
            assert_eq!(parse_go_int(trim_zero_decimal(s)), n, "{s:?}");
        }
        assert_eq!(to_int64(&Value::Float(-2.9)), Ok(-2));
        assert_eq!(to_int64(&Value::Nil), Ok(0));
        assert_eq!(to_int64(&Value::Bool(true)), Ok(1));
        assert_eq!(to_float64(&Value::str("1e3")), Ok(1000.0));
        assert_eq!(to_float64_or_zero(&Value::str("abc")), 0.0);
    }

    #[test]
    fn strval_and_strslice_follow_sprig() {
        assert_eq!(to_string(&Value::Nil), "<nil>");
        assert_eq!(to_string(&Value::Float(1e6)), "1e+06");
        let l = Value::list(vec![Value::Int(1), Value::Nil, Value::str("a")]);
        assert_eq!(to_strings(&l), vec!["1", "a"]);
        assert_eq!(to_strings(&Value::Nil), Vec::<String>::new());
        assert!(empty(&Value::Float(0.0)));
        assert!(!empty(&Value::str(" ")));
    }

    #[test]
    fn quote_escapes_as_go() {
        assert_eq!(
            go_quote("a\"b\\c\nd\u{1}é🚀\u{a0}"),
            "\"a\\\"b\\\\c\\nd\\x01é🚀\\u00a0\""
        );
    }
}
