//! Scalar resolution (YAML 1.2 core schema, and YAML 1.1 as go-yaml v2 reads it) and the
//! canonical text of numbers.
use super::NodeKind;

/// Resolves a plain, untagged scalar by the YAML 1.2 core schema.
///
/// `Err` carries a message for an integer that does not fit in `i64`.
pub(crate) fn resolve_plain(text: &str) -> Result<NodeKind, String> {
    if is_null(text) {
        return Ok(NodeKind::Null);
    }
    if let Some(b) = parse_bool(text) {
        return Ok(NodeKind::Bool(b));
    }
    if let Some(i) = parse_int(text)? {
        return Ok(NodeKind::Int(i));
    }
    if let Some(f) = parse_float(text) {
        return Ok(NodeKind::Float(f));
    }
    Ok(NodeKind::Str(text.to_owned()))
}

pub(crate) fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn all(text: &str, pred: impl Fn(u8) -> bool) -> bool {
    !text.is_empty() && text.bytes().all(pred)
}

/// A core-schema integer: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. `Ok(None)` when the text
/// is not integer-shaped; `Err` when it is but does not fit in `i64`.
pub(crate) fn parse_int(text: &str) -> Result<Option<i64>, String> {
    let out_of_range = || {
        Err(format!(
            "integer `{text}` is out of range (at most 64 bits, signed)"
        ))
    };
    if let Some(oct) = text.strip_prefix("0o") {
        if all(oct, |b| (b'0'..=b'7').contains(&b)) {
            return i64::from_str_radix(oct, 8)
                .map(Some)
                .or_else(|_| out_of_range());
        }
        return Ok(None);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if all(hex, |b| b.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16)
                .map(Some)
                .or_else(|_| out_of_range());
        }
        return Ok(None);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if all(digits, |b| b.is_ascii_digit()) {
        // i64's parser accepts the same optional sign the schema allows.
        return text.parse::<i64>().map(Some).or_else(|_| out_of_range());
    }
    Ok(None)
}

/// A core-schema float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`,
/// `.nan` (in the three spellings each).
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && all(frac, |b| b.is_ascii_digit()))
                || (all(int, |b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()))
        }
        None => all(mantissa, |b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        all(digits, |b| b.is_ascii_digit())
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    // Rust's float parser accepts every spelling the regex above admits (`1.`, `.5`, `+1e3`).
    text.parse::<f64>().ok()
}

/// Resolves a plain, untagged scalar as go-yaml v2 does (`resolve.go`): YAML 1.1 as Helm and
/// Kubernetes (`sigs.k8s.io/yaml`) read manifests.
///
/// Only a scalar whose first byte is a sign, a digit, `.`, `~` or one of `yYnNtTfFoO` can be
/// anything but a string. Then, in go-yaml's order:
/// - exact words: `y`/`yes`/`true`/`on` and `n`/`no`/`false`/`off` (lower, Title or UPPER
///   case) are booleans; ``/`~`/`null` null; `.inf`, `+.inf`, `-.inf`, `.nan` floats;
/// - starting with `.`: Go's `ParseFloat` of the text (`.5`, `.5e3`, `_` between digits);
/// - starting with a sign or digit, with every `_` removed: Go's `ParseInt(…, 0, 64)` (decimal,
///   `0x`, `0o`, `0b`, and a leading `0` for octal: `0777` is 511), else an unsigned integer,
///   else a float of the YAML shape `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
///   (`1e3`, and `09`, which is no octal, is the float 9).
///
/// Timestamps (`2024-01-01`) stay strings: go-yaml v2 decodes them into `interface{}` as their
/// text. A float that overflows (`1e999`) is a string, as Go's `ParseFloat` fails on it.
///
/// `Err` carries a message for an integer go-yaml would read but that does not fit in `i64`
/// (an unsigned 64-bit or a bigger integer).
pub(crate) fn resolve_plain_yaml11(text: &str) -> Result<NodeKind, String> {
    let Some(&first) = text.as_bytes().first() else {
        return Ok(NodeKind::Null);
    };
    let numeric = match first {
        b'+' | b'-' | b'0'..=b'9' => true,
        b'.' => false,
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            return Ok(yaml11_word(text).unwrap_or_else(|| NodeKind::Str(text.to_owned())));
        }
        _ => return Ok(NodeKind::Str(text.to_owned())),
    };
    if let Some(kind) = yaml11_word(text) {
        return Ok(kind);
    }
    if !numeric {
        return Ok(go_parse_float_after_dot(text)
            .map_or_else(|| NodeKind::Str(text.to_owned()), NodeKind::Float));
    }
    let plain = text.replace('_', "");
    let out_of_range = || {
        Err(format!(
            "integer `{text}` is out of range (at most 64 bits, signed)"
        ))
    };
    let unsigned = match go_parse_int(&plain) {
        Ok(i) => return Ok(NodeKind::Int(i)),
        Err(_) => go_parse_uint(&plain),
    };
    if unsigned.is_ok() {
        return out_of_range();
    }
    if yaml_style_float(&plain) {
        // Go's ParseFloat fails (and go-yaml moves on) when the float overflows.
        if let Some(f) = plain.parse::<f64>().ok().filter(|f| f.is_finite()) {
            return Ok(NodeKind::Float(f));
        }
    }
    // go-yaml reads what overflows an unsigned 64-bit integer as a big integer.
    if unsigned == Err(GoNumError::Range) {
        return out_of_range();
    }
    Ok(NodeKind::Str(text.to_owned()))
}

/// go-yaml v2's table of exact words.
fn yaml11_word(text: &str) -> Option<NodeKind> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            NodeKind::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            NodeKind::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        ".nan" | ".NaN" | ".NAN" => NodeKind::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => NodeKind::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => NodeKind::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Why one of Go's `strconv` number parsers fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoNumError {
    Syntax,
    Range,
}

/// Go's `strconv.ParseUint(s, 0, 64)`, for text without `_`: no sign; `0x`/`0o`/`0b` (any
/// case, with at least one more character) or a leading `0` (octal) choose the base.
fn go_parse_uint(s: &str) -> Result<u64, GoNumError> {
    let b = s.as_bytes();
    let (base, digits) = match b {
        [] => return Err(GoNumError::Syntax),
        [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'b') => (2, &s[2..]),
        [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'o') => (8, &s[2..]),
        [b'0', p, _, ..] if p.eq_ignore_ascii_case(&b'x') => (16, &s[2..]),
        [b'0', ..] => (8, &s[1..]),
        _ => (10, s),
    };
    if !digits.chars().all(|c| c.is_digit(base)) {
        return Err(GoNumError::Syntax);
    }
    if digits.is_empty() {
        // Only `0` itself gets here: the prefix forms need a digit after the prefix.
        return Ok(0);
    }
    u64::from_str_radix(digits, base).map_err(|_| GoNumError::Range)
}

/// Go's `strconv.ParseInt(s, 0, 64)`, for text without `_`: an optional sign, then as
/// [`go_parse_uint`].
fn go_parse_int(s: &str) -> Result<i64, GoNumError> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(rest)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
            .ok_or(GoNumError::Range)
    } else {
        i64::try_from(magnitude).map_err(|_| GoNumError::Range)
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => all(frac, |b| b.is_ascii_digit()),
        Some((int, frac)) => {
            all(int, |b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => all(mantissa, |b| b.is_ascii_digit()),
    };
    mantissa_ok
        && exponent.is_none_or(|e| {
            let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
            all(digits, |b| b.is_ascii_digit())
        })
}

/// Go's `strconv.ParseFloat(s, 64)` for text that starts with `.`: digits (at least one) with
/// `_` only between digits, an optional exponent `e[+-]?digits`; `None` when it overflows.
fn go_parse_float_after_dot(s: &str) -> Option<f64> {
    let body = s.strip_prefix('.')?;
    let (fraction, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if !fraction.bytes().any(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        if !digits.starts_with(|c: char| c.is_ascii_digit())
            || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
    }
    // Go's underscoreOK: each `_` sits between two digits.
    let b = s.as_bytes();
    let separators_ok = b.iter().enumerate().all(|(i, &c)| {
        c != b'_'
            || (i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit))
    });
    if !separators_ok {
        return None;
    }
    s.replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// The text a float map key becomes when Kubernetes turns YAML into JSON
/// (`sigs.k8s.io/yaml`): Go's `strconv.FormatFloat(f, 'g', -1, 32)` — the shortest digits of
/// the float32, in exponent form below 1e-4 or from 1e6 (`1000`, `0.5`, `1e+06`, `1.5e-05`) —
/// with `.inf`, `-.inf` and `.nan` for the non-finite ones.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn go_key_float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    let single = f as f32;
    if single.is_infinite() {
        // Go rounds to float32 the same way and prints the overflow as infinity.
        return if single > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest digits that read back as the same f32.
    let e = format!("{single:e}");
    let (mantissa, exponent) = e.split_once('e').unwrap_or((&e, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if single == 0.0 || (-4..6).contains(&exponent) {
        // Display prints the same shortest digits without an exponent.
        return single.to_string();
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
}

/// The text of a float that reads back as the same float under YAML 1.2 and 1.1: always with
/// a `.` and, in exponent form, a signed exponent (`1.0`, `1.5e-7`, `1.0e+20`, `.inf`, `.nan`).
pub(crate) fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".to_owned()
        } else {
            "-.inf".to_owned()
        };
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-5..1e16).contains(&abs) {
        // Display gives the shortest text that round-trips; it only lacks the `.` for integers.
        let s = f.to_string();
        if s.contains('.') {
            s
        } else {
            s + ".0"
        }
    } else {
        let s = format!("{f:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        let exponent = if exponent.starts_with('-') {
            exponent.to_owned()
        } else {
            format!("+{exponent}")
        };
        format!("{mantissa}e{exponent}")
    }
}

/// Whether a plain scalar with this text could be read as something other than this string by
/// a YAML 1.1 reader (or Go's yaml.v2/v3, which Helm and Kubernetes use): booleans like `yes`,
/// `on`, `y`; nulls; numbers with `_`, sexagesimal `1:20`, octal `0777`, binary `0b1`, and so on.
pub(crate) fn ambiguous_in_yaml11(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~" | "<<" | "="
    ) {
        return true;
    }
    let unsigned = lower.strip_prefix(['-', '+']).unwrap_or(&lower);
    if matches!(unsigned, ".inf" | ".nan" | "inf" | "nan" | "infinity") {
        return true;
    }
    // Anything that starts like a number and is made only of characters numbers use in some
    // YAML version (digits, hex digits, `_`, `.`, `:`, signs, base prefixes) is treated as
    // number-like; over-quoting is harmless, under-quoting changes the value.
    // YAML 1.1 timestamps (`2024-01-01`, `2001-12-14t21:59:43.10-05:00`): Go's yaml.v2 turns
    // them into times, which then print differently.
    let b = lower.as_bytes();
    if b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5].is_ascii_digit()
    {
        return true;
    }
    let starts_numeric = matches!(unsigned.as_bytes(), [b'0'..=b'9' | b'.', ..]);
    starts_numeric
        && unsigned.bytes().all(|b| {
            b.is_ascii_hexdigit()
                || matches!(b, b'_' | b'.' | b':' | b'+' | b'-' | b'x' | b'o' | b'b')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema_resolution() {
        assert_eq!(resolve_plain("~"), Ok(NodeKind::Null));
        assert_eq!(resolve_plain(""), Ok(NodeKind::Null));
        assert_eq!(resolve_plain("True"), Ok(NodeKind::Bool(true)));
        assert_eq!(resolve_plain("yes"), Ok(NodeKind::Str("yes".into())));
        assert_eq!(resolve_plain("0777"), Ok(NodeKind::Int(777)));
        assert_eq!(resolve_plain("0o17"), Ok(NodeKind::Int(15)));
        assert_eq!(resolve_plain("0x1F"), Ok(NodeKind::Int(31)));
        assert_eq!(resolve_plain("-12"), Ok(NodeKind::Int(-12)));
        assert_eq!(resolve_plain("1e3"), Ok(NodeKind::Float(1000.0)));
        assert_eq!(resolve_plain("1."), Ok(NodeKind::Float(1.0)));
        assert_eq!(resolve_plain(".5"), Ok(NodeKind::Float(0.5)));
        assert_eq!(resolve_plain("+1.5e-2"), Ok(NodeKind::Float(0.015)));
        assert_eq!(
            resolve_plain("-.inf"),
            Ok(NodeKind::Float(f64::NEG_INFINITY))
        );
        assert!(matches!(resolve_plain(".NaN"), Ok(NodeKind::Float(f)) if f.is_nan()));
        for s in [
            "1_000", "1:20", "0b1", "-0x1", "0x", "1e", ".", "1.2.3", "e3", "+.nan", "inf",
        ] {
            assert_eq!(resolve_plain(s), Ok(NodeKind::Str(s.into())), "{s}");
        }
        let err = resolve_plain("9223372036854775808").unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        assert_eq!(
            resolve_plain("-9223372036854775808"),
            Ok(NodeKind::Int(i64::MIN))
        );
    }

    #[test]
    fn yaml11_resolution_follows_go_yaml_v2() {
        use NodeKind::{Bool, Float, Int, Null};
        let r = |s: &str| resolve_plain_yaml11(s).unwrap();
        for s in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(r(s), Bool(true), "{s}");
        }
        for s in [
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(r(s), Bool(false), "{s}");
        }
        for s in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(r(s), Null, "{s}");
        }
        let ints = [
            ("0777", 511),
            ("-0777", -511),
            ("0", 0),
            ("-0", 0),
            ("00", 0),
            ("0o17", 15),
            ("0O17", 15),
            ("0x1F", 31),
            ("0X1f", 31),
            ("+0x10", 16),
            ("0b101", 5),
            ("-0b101", -5),
            ("1_000", 1000),
            ("1__0_", 10),
            ("0x_1F", 31),
            ("+12", 12),
            ("-9223372036854775808", i64::MIN),
            ("9223372036854775807", i64::MAX),
        ];
        for (s, i) in ints {
            assert_eq!(r(s), Int(i), "{s}");
        }
        let floats = [
            ("1e3", 1000.0),
            ("1E3", 1000.0),
            ("1.5", 1.5),
            ("1.", 1.0),
            ("-.5", -0.5),
            ("+.5e1", 5.0),
            (".5", 0.5),
            (".5e3", 500.0),
            (".5_5", 0.55),
            ("1_000.5", 1000.5),
            // Not octal (8 and 9 are no octal digits), so go-yaml reads them as floats.
            ("09", 9.0),
            ("0778", 778.0),
            // Past a signed 64-bit integer, a signed decimal is a float.
            ("+9223372036854775808", 9_223_372_036_854_775_808.0),
            ("-9223372036854775809", -9_223_372_036_854_775_808.0),
            ("18446744073709551616", 18_446_744_073_709_551_616.0),
            ("99999999999999999999999", 1e23),
            (".inf", f64::INFINITY),
            ("+.INF", f64::INFINITY),
            ("-.Inf", f64::NEG_INFINITY),
        ];
        for (s, f) in floats {
            assert_eq!(r(s), Float(f), "{s}");
        }
        assert!(matches!(r(".NaN"), Float(f) if f.is_nan()));
        let strings = [
            "yess",
            "ok",
            "o",
            "t",
            "f",
            "tRUE",
            "nULL",
            "+.nan",
            "._5",
            ".5_",
            ".5__5",
            ".e3",
            ".",
            "..",
            ".INf",
            "0x",
            "0b",
            "0b2",
            "08x",
            "1e",
            "1e999",
            ".5e999",
            "+",
            "-",
            "1.2.3",
            "1:20",
            "2024-01-01",
            "2001-12-14T21:59:43Z",
            "512Mi",
            "v1",
            "_1",
            "<<",
            "=",
            "-0x8000000000000001",
            "inf",
            "NaN",
        ];
        for s in strings {
            assert_eq!(r(s), NodeKind::Str(s.into()), "{s}");
        }
        // Integers go-yaml reads as unsigned or big integers do not fit a value.
        for s in [
            "9223372036854775808",
            "0x8000000000000000",
            "0x1FFFFFFFFFFFFFFFF",
        ] {
            let e = resolve_plain_yaml11(s).unwrap_err();
            assert!(e.contains("out of range"), "{s}: {e}");
        }
    }

    #[test]
    fn float_keys_print_as_kubernetes_prints_them() {
        for (f, text) in [
            (1000.0, "1000"),
            (0.5, "0.5"),
            (123_456.0, "123456"),
            (1e6, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.000_015, "1.5e-05"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (12_345_678.9, "1.2345679e+07"),
            (0.0, "0"),
            (f64::INFINITY, ".inf"),
            (1e300, ".inf"),
        ] {
            assert_eq!(go_key_float_text(f), text, "{f}");
        }
    }

    #[test]
    fn float_text_reads_back_as_the_same_float() {
        for f in [
            0.0,
            -0.0,
            1.0,
            -2.5,
            1e20,
            1.5e-7,
            123456.789,
            1e16,
            9.999e15,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ] {
            let text = float_text(f);
            assert!(text.contains('.'), "{text}");
            assert_eq!(parse_float(&text), Some(f), "{text}");
        }
        assert_eq!(float_text(1e20), "1.0e+20");
        assert_eq!(float_text(1.0), "1.0");
        assert_eq!(float_text(1.5e-7), "1.5e-7");
    }

    #[test]
    fn yaml11_ambiguity() {
        for s in [
            "yes", "No", "ON", "y", "~", "0777", "1_000", "1:20", "0b101", "0x1F", ".5", "+1",
            "-.INF", "<<",
        ] {
            assert!(ambiguous_in_yaml11(s), "{s}");
        }
        assert!(ambiguous_in_yaml11("2001-12-14T21:59:43Z"));
        assert!(ambiguous_in_yaml11("."));
        for s in ["512Mi", "nginx", "v1.2", "yess", "1 2", ".hidden", "2001st"] {
            assert!(!ambiguous_in_yaml11(s), "{s}");
        }
    }
}
