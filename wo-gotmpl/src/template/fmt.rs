//! Go's `fmt` as templates reach it: `print` (`Sprint`), `println` (`Sprintln`), `printf`
//! (`Sprintf` with verbs, flags, width, precision and Go's `%!verb(type=value)` complaints),
//! and `strconv.Quote`.

use crate::value::{format_float_v, Value};

/// Go's `strconv.Quote`: double-quoted with Go escapes; printable Unicode kept.
pub(crate) fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

fn quote_with(s: &str, q: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        push_escaped(&mut out, c, q, ascii_only);
    }
    out.push(q);
    out
}

fn push_escaped(out: &mut String, c: char, q: char, ascii_only: bool) {
    use std::fmt::Write;
    if c == q || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii_only {
        if c.is_ascii() && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\x7f' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// Go's `unicode.IsPrint` (one table for the whole crate: [`crate::funcs::conv::is_go_printable`]).
pub(crate) fn is_print(c: char) -> bool {
    crate::funcs::conv::is_go_printable(c)
}

/// `fmt.Sprint`: operands printed with `%v`, a space between two operands when neither is a
/// string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        print_arg(&mut out, arg, 'v', &Spec::default(), true);
        prev_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: operands with spaces between, and a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print_arg(&mut out, arg, 'v', &Spec::default(), true);
    }
    out.push('\n');
    out
}

#[derive(Default, Clone)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    sharp_v: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

impl Spec {
    fn pad(&self, out: &mut String, s: &str) {
        let Some(w) = self.width else {
            out.push_str(s);
            return;
        };
        let n = s.chars().count();
        if n >= w {
            out.push_str(s);
            return;
        }
        let fill = if self.zero { '0' } else { ' ' };
        if self.minus {
            out.push_str(s);
            out.extend(std::iter::repeat_n(' ', w - n));
        } else {
            out.extend(std::iter::repeat_n(fill, w - n));
            out.push_str(s);
        }
    }
}

/// `fmt.Sprintf`: Go's `doPrintf`, argument indexes (`%[2]d`) and `*` widths included.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let f = format.as_bytes();
    let end = f.len();
    let mut out = String::with_capacity(format.len() + 16);
    let mut argn = 0usize;
    let mut reordered = false;
    let mut i = 0;
    while i < end {
        let lasti = i;
        while i < end && f[i] != b'%' {
            i += 1;
        }
        if i > lasti {
            out.push_str(&format[lasti..i]);
        }
        if i >= end {
            break;
        }
        i += 1; // the '%'
        let mut spec = Spec::default();
        let mut good_argn = true;
        // Flags.
        while i < end {
            match f[i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        // An explicit argument index?
        let mut after_index;
        (argn, i, after_index) = arg_number(argn, f, i, args.len(), &mut good_argn, &mut reordered);
        // Width.
        if i < end && f[i] == b'*' {
            i += 1;
            match int_from_arg(args, &mut argn) {
                Some(w) => {
                    if w < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            after_index = false;
        } else {
            let (w, ni) = parse_num(f, i);
            i = ni;
            spec.width = w;
            if after_index && w.is_some() {
                good_argn = false;
            }
        }
        // Precision.
        if i + 1 < end && f[i] == b'.' {
            i += 1;
            if after_index {
                good_argn = false;
            }
            (argn, i, after_index) =
                arg_number(argn, f, i, args.len(), &mut good_argn, &mut reordered);
            if i < end && f[i] == b'*' {
                i += 1;
                match int_from_arg(args, &mut argn) {
                    Some(p) if p >= 0 => spec.prec = Some(p as usize),
                    Some(_) => {}
                    None => out.push_str("%!(BADPREC)"),
                }
                after_index = false;
            } else {
                let (p, ni) = parse_num(f, i);
                i = ni;
                spec.prec = Some(p.unwrap_or(0));
            }
        }
        if !after_index {
            (argn, i, _) = arg_number(argn, f, i, args.len(), &mut good_argn, &mut reordered);
        }
        if i >= end {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = format[i..].chars().next().unwrap_or('?');
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
        } else if !good_argn {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(BADINDEX)");
        } else if argn >= args.len() {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(MISSING)");
        } else {
            if verb == 'v' {
                spec.sharp_v = spec.sharp;
                spec.sharp = false;
                spec.plus = false;
            }
            print_arg(&mut out, &args[argn], verb, &spec, true);
            argn += 1;
        }
    }
    if !reordered && argn < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, arg) in args[argn..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if arg.is_nil() {
                out.push_str("<nil>");
            } else {
                out.push_str(&arg.type_name());
                out.push('=');
                print_arg(&mut out, arg, 'v', &Spec::default(), true);
            }
        }
        out.push(')');
    }
    out
}

/// Digits at `i`: the number (`None` when there are none) and where they end.
fn parse_num(f: &[u8], mut i: usize) -> (Option<usize>, usize) {
    let mut n: Option<usize> = None;
    while i < f.len() && f[i].is_ascii_digit() {
        if n.unwrap_or(0) > 1_000_000 {
            // Go gives up on a crazy long number, and on the rest of the format with it.
            return (None, f.len());
        }
        n = Some(n.unwrap_or(0) * 10 + (f[i] - b'0') as usize);
        i += 1;
    }
    (n, i)
}

/// Go's `argNumber`: an explicit `[n]` index at `i`.
fn arg_number(
    argn: usize,
    f: &[u8],
    i: usize,
    nargs: usize,
    good: &mut bool,
    reordered: &mut bool,
) -> (usize, usize, bool) {
    if i >= f.len() || f[i] != b'[' {
        return (argn, i, false);
    }
    *reordered = true;
    // Go's parseArgNumber: at least "[n]", digits up to the first ']'.
    let rest = &f[i..];
    let close = if rest.len() < 3 {
        None
    } else {
        rest.iter().skip(1).position(|b| *b == b']').map(|p| p + 1)
    };
    let Some(close) = close else {
        *good = false;
        return (argn, i + 1, false);
    };
    let (n, end) = parse_num(&rest[..close], 1);
    let Some(n) = n.filter(|_| end == close) else {
        *good = false;
        return (argn, i + close + 1, false);
    };
    // Arguments are numbered from 1; index 0 and too large ones are bad but found.
    if n >= 1 && n - 1 < nargs {
        return (n - 1, i + close + 1, true);
    }
    *good = false;
    (argn, i + close + 1, true)
}

fn int_from_arg(args: &[Value], argn: &mut usize) -> Option<i64> {
    let v = match args.get(*argn) {
        Some(Value::Int(n) | Value::Int64(n)) if n.unsigned_abs() <= 1_000_000 => Some(*n),
        _ => None,
    };
    if *argn < args.len() {
        *argn += 1;
    }
    v
}

/// `%#v`: Go syntax.
fn go_syntax(out: &mut String, v: &Value, top: bool) {
    match v {
        Value::Nil if top => out.push_str("<nil>"),
        Value::Nil => out.push_str("interface {}(nil)"),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Float(f) => out.push_str(&format_float_v(*f)),
        Value::List(l) => {
            out.push_str("[]interface {}{");
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                go_syntax(out, item, false);
            }
            out.push('}');
        }
        Value::StrList(l) => {
            out.push_str("[]string{");
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(item));
            }
            out.push('}');
        }
        Value::Bytes(b) => {
            out.push_str("[]byte{");
            for (i, byte) in b.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&format!("0x{byte:x}"));
            }
            out.push('}');
        }
        Value::Map(m) => {
            out.push_str("map[string]interface {}{");
            for (i, (k, item)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(k));
                out.push(':');
                go_syntax(out, item, false);
            }
            out.push('}');
        }
        other => {
            use std::fmt::Write;
            let _ = write!(out, "{other}");
        }
    }
}

fn bad_verb(out: &mut String, arg: &Value, verb: char, spec: &Spec) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if arg.is_nil() {
        out.push_str("<nil>");
    } else {
        out.push_str(&arg.type_name());
        out.push('=');
        print_arg(out, arg, 'v', spec, true);
    }
    out.push(')');
}

/// Prints one operand; `top` is false inside lists and maps, where a nil element prints as
/// `<nil>` whatever the verb.
fn print_arg(out: &mut String, arg: &Value, verb: char, spec: &Spec, top: bool) {
    if verb == 'T' {
        spec.pad(out, &arg.type_name());
        return;
    }
    if spec.sharp_v && top {
        let mut s = String::new();
        go_syntax(&mut s, arg, true);
        spec.pad(out, &s);
        return;
    }
    match arg {
        Value::Nil => {
            if !top {
                // Go's printValue writes a nil element unpadded, whatever the width.
                out.push_str("<nil>");
            } else if verb == 'v' {
                spec.pad(out, "<nil>");
            } else {
                bad_verb(out, arg, verb, spec);
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => spec.pad(out, if *b { "true" } else { "false" }),
            _ => bad_verb(out, arg, verb, spec),
        },
        Value::Int(i) | Value::Int64(i) => fmt_integer(out, arg, *i, verb, spec),
        Value::Float(f) => match verb {
            'v' => fmt_float(out, *f, 'g', None, spec),
            'g' | 'G' | 'x' | 'X' | 'b' => fmt_float(out, *f, verb, None, spec),
            'e' | 'E' | 'f' | 'F' => fmt_float(out, *f, verb, Some(6), spec),
            _ => bad_verb(out, arg, verb, spec),
        },
        Value::String(s) => fmt_string(out, arg, s, verb, spec),
        Value::Bytes(b) => match verb {
            's' | 'q' | 'x' | 'X' => {
                let s = String::from_utf8_lossy(b);
                fmt_string(out, arg, &s, verb, spec);
            }
            _ => {
                out.push('[');
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    print_arg(out, &Value::Int(i64::from(*byte)), verb, spec, false);
                }
                out.push(']');
            }
        },
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_arg(out, item, verb, spec, false);
            }
            out.push(']');
        }
        Value::StrList(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_string(out, &Value::str(item), item, verb, spec);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, v)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_string(out, &Value::str(k), k, verb, spec);
                out.push(':');
                print_arg(out, v, verb, spec, false);
            }
            out.push(']');
        }
        Value::Object(o) => match verb {
            'v' | 's' => spec.pad(out, &o.display()),
            'q' => spec.pad(out, &quote(&o.display())),
            _ => bad_verb(out, arg, verb, spec),
        },
    }
}

fn fmt_string(out: &mut String, arg: &Value, s: &str, verb: char, spec: &Spec) {
    match verb {
        'v' | 's' => match spec.prec {
            Some(p) => {
                let cut: String = s.chars().take(p).collect();
                spec.pad(out, &cut);
            }
            None => spec.pad(out, s),
        },
        'q' => {
            let q = if spec.sharp
                && !s.contains('`')
                && s.chars().all(|c| c == '\t' || !c.is_control())
            {
                format!("`{s}`")
            } else {
                quote_with(s, '"', spec.plus)
            };
            spec.pad(out, &q);
        }
        'x' | 'X' => {
            let mut h = String::with_capacity(s.len() * 2);
            let bytes = match spec.prec {
                Some(p) => &s.as_bytes()[..p.min(s.len())],
                None => s.as_bytes(),
            };
            for (i, b) in bytes.iter().enumerate() {
                if spec.space && i > 0 {
                    h.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    h.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    h.push_str(&format!("{b:02x}"));
                } else {
                    h.push_str(&format!("{b:02X}"));
                }
            }
            spec.pad(out, &h);
        }
        _ => bad_verb(out, arg, verb, spec),
    }
}

fn fmt_integer(out: &mut String, arg: &Value, i: i64, verb: char, spec: &Spec) {
    let neg = i < 0;
    let u = i.unsigned_abs();
    let digits = match verb {
        'v' | 'd' => u.to_string(),
        'b' => format!("{u:b}"),
        'o' | 'O' => format!("{u:o}"),
        'x' => format!("{u:x}"),
        'X' => format!("{u:X}"),
        'c' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
            spec.pad(out, &c.to_string());
            return;
        }
        'q' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
            let mut q = String::from("'");
            if c == '\'' {
                q.push_str("\\'");
            } else if c == '"' {
                q.push('"');
            } else {
                push_escaped(&mut q, c, '\'', spec.plus);
            }
            q.push('\'');
            spec.pad(out, &q);
            return;
        }
        'U' => {
            let mut s = format!("U+{u:04X}");
            if spec.sharp {
                if let Some(c) = char::from_u32(u as u32).filter(|c| is_print(*c)) {
                    s.push_str(&format!(" '{c}'"));
                }
            }
            spec.pad(out, &s);
            return;
        }
        _ => return bad_verb(out, arg, verb, spec),
    };
    // Precision (or zero padding, which Go implements as precision) pads the digits.
    let mut prec = 0;
    if let Some(p) = spec.prec {
        if p == 0 && u == 0 {
            let mut s = spec.clone();
            s.zero = false;
            s.pad(out, "");
            return;
        }
        prec = p;
    } else if spec.zero && !spec.minus {
        if let Some(w) = spec.width {
            prec = w;
            if neg || spec.plus || spec.space {
                prec = prec.saturating_sub(1);
            }
        }
    }
    let mut body = String::new();
    if neg {
        body.push('-');
    } else if spec.plus {
        body.push('+');
    } else if spec.space {
        body.push(' ');
    }
    if spec.sharp {
        match verb {
            'b' => body.push_str("0b"),
            'o' if !digits.starts_with('0') => body.push('0'),
            'x' => body.push_str("0x"),
            'X' => body.push_str("0X"),
            _ => {}
        }
    }
    if verb == 'O' {
        body.push_str("0o");
    }
    for _ in digits.len()..prec {
        body.push('0');
    }
    body.push_str(&digits);
    let mut s = spec.clone();
    s.zero = false;
    s.pad(out, &body);
}

/// `strconv.FormatFloat(f, verb, prec, 64)`; `prec` `None` is the shortest form.
pub(crate) fn format_float(f: f64, verb: char, prec: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    match verb {
        'x' | 'X' => return format_hex_float(f, verb, prec),
        'b' => {
            let (neg, mant, exp) = decompose(f);
            let e = exp - 52;
            let sign = if neg { "-" } else { "" };
            let esign = if e >= 0 { "+" } else { "" };
            return format!("{sign}{mant}p{esign}{e}");
        }
        _ => {}
    }
    match verb {
        'f' | 'F' => match prec {
            Some(p) => format!("{f:.p$}"),
            None => format!("{f}"),
        },
        'e' | 'E' => {
            let s = match prec {
                Some(p) => format!("{f:.p$e}"),
                None => format!("{f:e}"),
            };
            let s = go_exponent(&s);
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        _ => {
            let s = match prec {
                None => format_float_v(f),
                Some(p) => format_g(f, p.max(1)),
            };
            if verb == 'G' {
                s.to_uppercase()
            } else {
                s
            }
        }
    }
}

/// A finite float as sign, 53-bit mantissa (implicit bit set) and unbiased exponent.
fn decompose(f: f64) -> (bool, u64, i32) {
    let bits = f.to_bits();
    let neg = bits >> 63 != 0;
    let mut exp = ((bits >> 52) & 0x7FF) as i32;
    let mut mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1 << 52;
    }
    (neg, mant, exp - 1023)
}

/// `strconv.FormatFloat(f, 'x', prec, 64)`: `-0x1.yyyp±dd`.
fn format_hex_float(f: f64, verb: char, prec: Option<usize>) -> String {
    let (neg, mut mant, mut exp) = decompose(f);
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec.filter(|p| *p < 15) {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let digits: &[u8; 16] = if verb == 'X' {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('0');
    out.push(verb);
    out.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    match prec {
        None if mant != 0 => {
            out.push('.');
            while mant != 0 {
                out.push(digits[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            out.push('.');
            for _ in 0..p {
                out.push(digits[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        _ => {}
    }
    out.push(if verb == 'X' { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
    out
}

/// Rust's `1.5e6` exponent as Go writes it: `1.5e+06`.
fn go_exponent(s: &str) -> String {
    let (m, e) = s.split_once('e').unwrap_or((s, "0"));
    let (sign, digits) = match e.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', e),
    };
    let pad = if digits.len() < 2 { "0" } else { "" };
    format!("{m}e{sign}{pad}{digits}")
}

/// `%.Ng`: N significant digits, no trailing zeros, exponent form when the exponent is below
/// -4 or at least N.
fn format_g(f: f64, p: usize) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:.*e}", p - 1, f);
    let (m, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let neg = m.starts_with('-');
    let mut digits: String = m.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut eprec = p as i32;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&go_exponent(&format!("e{exp}")));
        return out;
    }
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..-dp {
            out.push('0');
        }
        out.push_str(&digits);
    } else if nd <= dp {
        out.push_str(&digits);
        for _ in nd..dp {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// The `#` flag on a float: always a decimal point, and `%g`'s trailing zeros kept up to its
/// precision (6 when none is given).
fn sharp_float(num: &str, verb: char, prec: Option<usize>) -> String {
    let mut digits: i64 = match verb {
        'v' | 'g' | 'G' | 'x' => prec.map_or(6, |p| p as i64),
        _ => 0,
    };
    let (sign, body) = match num.strip_prefix(['-', '+']) {
        Some(b) => (&num[..1], b),
        None => ("", num),
    };
    let split = body
        .find(|c: char| {
            c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')
        })
        .unwrap_or(body.len());
    let (mut mantissa, tail) = (body[..split].to_string(), &body[split..]);
    let mut has_point = false;
    let mut nonzero = false;
    for c in mantissa.chars() {
        if c == '.' {
            has_point = true;
        } else {
            if c != '0' {
                nonzero = true;
            }
            if nonzero {
                digits -= 1;
            }
        }
    }
    if !has_point {
        if mantissa == "0" {
            digits -= 1;
        }
        mantissa.push('.');
    }
    while digits > 0 {
        mantissa.push('0');
        digits -= 1;
    }
    format!("{sign}{mantissa}{tail}")
}

fn fmt_float(out: &mut String, f: f64, verb: char, default_prec: Option<usize>, spec: &Spec) {
    let prec = spec.prec.or(default_prec);
    let mut s = format_float(f, verb, prec);
    if spec.sharp && verb != 'b' && f.is_finite() {
        s = sharp_float(&s, verb, prec);
    }
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => ("-", b),
        None => match s.strip_prefix('+') {
            Some(b) => ("+", b),
            None => ("", s.as_str()),
        },
    };
    let sign = if sign.is_empty() {
        if spec.plus {
            "+"
        } else if spec.space {
            " "
        } else {
            ""
        }
    } else if sign == "+" && !spec.plus {
        // +Inf keeps its sign only when asked for; Go prints "+Inf" for %v.
        "+"
    } else {
        sign
    };
    if body == "Inf" || body == "NaN" {
        let mut s2 = spec.clone();
        s2.zero = false;
        let text = if body == "NaN" && !spec.plus && !spec.space {
            "NaN".to_string()
        } else {
            format!("{sign}{body}")
        };
        s2.pad(out, &text);
        return;
    }
    let num = format!("{sign}{body}");
    if !sign.is_empty() && spec.zero && !spec.minus {
        if let Some(w) = spec.width {
            if w > num.chars().count() {
                out.push_str(sign);
                out.extend(std::iter::repeat_n('0', w - num.chars().count()));
                out.push_str(body);
                return;
            }
        }
    }
    spec.pad(out, &num);
}
