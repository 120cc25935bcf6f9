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

/// Go's `unicode.IsPrint`, close enough: no control characters, no unassigned surrogates;
/// the space is printable, other spacing characters are not.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF)
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

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut argn = 0;
    let mut rest = format;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let mut spec = Spec::default();
        let mut chars = rest.char_indices().peekable();
        // Flags.
        while let Some(&(_, c)) = chars.peek() {
            match c {
                '#' => spec.sharp = true,
                '0' => spec.zero = !spec.minus,
                '+' => spec.plus = true,
                '-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        // Width.
        if let Some(&(_, '*')) = chars.peek() {
            chars.next();
            match args.get(argn) {
                Some(Value::Int(n) | Value::Int64(n)) => {
                    argn += 1;
                    if *n < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(n.unsigned_abs() as usize);
                }
                _ => {
                    argn += 1;
                    out.push_str("%!(BADWIDTH)");
                }
            }
        } else {
            let mut w = None;
            while let Some(&(_, c @ '0'..='9')) = chars.peek() {
                w = Some(w.unwrap_or(0) * 10 + (c as usize - '0' as usize));
                chars.next();
            }
            spec.width = w;
        }
        // Precision.
        if let Some(&(_, '.')) = chars.peek() {
            chars.next();
            if let Some(&(_, '*')) = chars.peek() {
                chars.next();
                match args.get(argn) {
                    Some(Value::Int(n) | Value::Int64(n)) if *n >= 0 => {
                        spec.prec = Some(*n as usize);
                    }
                    _ => out.push_str("%!(BADPREC)"),
                }
                argn += 1;
            } else {
                let mut p = 0;
                while let Some(&(_, c @ '0'..='9')) = chars.peek() {
                    p = p * 10 + (c as usize - '0' as usize);
                    chars.next();
                }
                spec.prec = Some(p);
            }
        }
        let Some((vi, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            rest = "";
            break;
        };
        rest = &rest[vi + verb.len_utf8()..];
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(argn) {
            None => {
                out.push_str("%!");
                out.push(verb);
                out.push_str("(MISSING)");
            }
            Some(arg) => {
                argn += 1;
                print_arg(&mut out, arg, verb, &spec, true);
            }
        }
    }
    out.push_str(rest);
    if argn < args.len() {
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
    match arg {
        Value::Nil => {
            if verb == 'v' || !top {
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
            'g' | 'G' => fmt_float(out, *f, verb, None, spec),
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

fn fmt_float(out: &mut String, f: f64, verb: char, default_prec: Option<usize>, spec: &Spec) {
    let prec = spec.prec.or(default_prec);
    let s = format_float(f, verb, prec);
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
