//! Scalar resolution (YAML 1.2 core schema) and the canonical text of numbers.
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
