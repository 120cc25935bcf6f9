//! Go's `strconv.FormatFloat` layouts with the shortest digits (precision -1), as
//! `encoding/json` and go-yaml write numbers.

/// The shortest decimal digits that read back as `x` (as an `f32` when `single`), and the
/// decimal exponent of the first digit (`1.5e3` → `("15", 3)`). `x` is finite and not zero.
fn shortest(x: f64, single: bool) -> (String, i32) {
    let sci = if single {
        format!("{:e}", (x as f32).abs())
    } else {
        format!("{:e}", x.abs())
    };
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().expect("`{:e}` exponent is an integer"))
}

fn special(x: f64) -> Option<String> {
    if x.is_nan() {
        Some("NaN".into())
    } else if x.is_infinite() {
        Some(if x > 0.0 { "+Inf" } else { "-Inf" }.into())
    } else {
        None
    }
}

fn sign(x: f64) -> &'static str {
    if x.is_sign_negative() {
        "-"
    } else {
        ""
    }
}

/// `%e` layout of shortest digits: `1.5e+03`, `1e-07`.
fn layout_e(x: f64, single: bool) -> String {
    let (digits, exp) = if x == 0.0 {
        ("0".to_string(), 0)
    } else {
        shortest(x, single)
    };
    let mut out = sign(x).to_string();
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
    out
}

/// `%f` layout of shortest digits: `1500`, `0.000001`.
fn layout_f(x: f64, single: bool) -> String {
    if x == 0.0 {
        return format!("{}0", sign(x));
    }
    let (digits, exp) = shortest(x, single);
    let point = exp + 1;
    let mut out = sign(x).to_string();
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else if point as usize >= digits.len() {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    out
}

/// `strconv.FormatFloat(x, 'g', -1, 64)`.
pub(crate) fn format_g64(x: f64) -> String {
    crate::value::format_float_v(x)
}

/// `strconv.FormatFloat(x, 'g', -1, 32)` (how `sigs.k8s.io/yaml` names float map keys).
pub(crate) fn format_g32(x: f64) -> String {
    if let Some(s) = special(x) {
        return s;
    }
    if x == 0.0 {
        return format!("{}0", sign(x));
    }
    let (_, exp) = shortest(x, true);
    if !(-4..6).contains(&exp) {
        layout_e(x, true)
    } else {
        layout_f(x, true)
    }
}

/// How `encoding/json` writes a `float64`: `%f` layout between 1e-6 and 1e21, `%e` outside
/// with a one-digit negative exponent kept short (`1e-7`, `1e+21`). `None` for NaN and ±Inf,
/// which `json.Marshal` refuses.
pub(crate) fn format_json(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut s = layout_e(x, false);
        let n = s.len();
        let b = s.as_bytes();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
        Some(s)
    } else {
        Some(layout_f(x, false))
    }
}

/// The text `%v` gives a NaN or an infinity (`NaN`, `+Inf`, `-Inf`), for error messages.
pub(crate) fn special_text(x: f64) -> String {
    special(x).unwrap_or_else(|| format_g64(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_are_written_as_go_writes_them() {
        for (x, go) in [
            (1.0, "1"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (-0.0, "-0"),
            (12345678901.0, "12345678901"),
            (0.1, "0.1"),
            (1e-10, "1e-10"),
        ] {
            assert_eq!(format_json(x).unwrap(), go, "{x}");
        }
        assert_eq!(format_json(f64::NAN), None);
    }

    #[test]
    fn single_precision_g_is_used_for_float_keys() {
        assert_eq!(format_g32(1.1), "1.1");
        assert_eq!(format_g32(1000000.0), "1e+06");
        assert_eq!(format_g32(123456.0), "123456");
        assert_eq!(format_g32(0.1), "0.1");
        assert_eq!(format_g32(1.234_567_89), "1.2345679");
    }
}
