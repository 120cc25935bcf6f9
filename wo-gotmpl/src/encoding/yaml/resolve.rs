//! go-yaml v2's YAML 1.1 scalar resolution (`resolve.go`): what a plain scalar means.
//!
//! Decoding uses it to type plain scalars; encoding uses it to decide whether a string must be
//! quoted (a string that would read back as something else is written `"on"`, `"0777"`).

/// What a scalar's text resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    /// Fits an `int64` (go-yaml's `int`).
    Int(i64),
    /// Above `int64` but fits a `uint64`.
    Uint(u64),
    Float(f64),
    /// A timestamp-looking string (go-yaml hands it to `interface{}` as its text).
    Timestamp,
    Str,
}

/// go-yaml v2's `resolve("", text)` for a plain scalar. (`<<` is a string here: its first
/// character is not a hint, so the table lookup that would make it a merge tag never runs; the
/// decoder recognises merge keys itself.)
pub(crate) fn resolve_plain(s: &str) -> Resolved {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => {
            if let Some(f) = go_parse_float(s) {
                return Resolved::Float(f);
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if parse_timestamp(s) {
                return Resolved::Timestamp;
            }
            let plain = s.replace('_', "");
            if let Some(i) = go_parse_int(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Resolved::Uint(u);
            }
            if is_yaml_style_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return Resolved::Float(f);
                }
            }
        }
        _ => {}
    }
    Resolved::Str
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no underscores: the caller removed them).
pub(crate) fn go_parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &s[2..]),
            Some(b'o') if b.len() >= 3 => (8, &s[2..]),
            Some(b'x') if b.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(36)?;
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, 0, 64)` (no underscores).
pub(crate) fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest)?;
    if neg {
        if u > 1 << 63 {
            None
        } else {
            Some((u as i64).wrapping_neg())
        }
    } else if u >= 1 << 63 {
        None
    } else {
        Some(u as i64)
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text; `None` on a syntax error or overflow
/// (Go reports `ErrRange` for ±Inf results). Go's special forms (`Inf`, `NaN`, hex floats)
/// never reach here: the callers only pass text starting with `.`, a sign or a digit that
/// matched go-yaml's float pattern, or `.`-prefixed text.
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    let cleaned;
    let text = if s.contains('_') {
        if !underscore_ok(s) {
            return None;
        }
        cleaned = s.replace('_', "");
        &cleaned
    } else {
        s
    };
    // Only decimal syntax: [sign] digits [. digits] [e [sign] digits], with a digit somewhere.
    let body = text.trim_start_matches(['+', '-']);
    if body.len() + 1 < text.len() || body.is_empty() {
        return None;
    }
    if !body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    Some(f)
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut saw = b'^';
    let mut b = s.as_bytes();
    if let Some(b'+' | b'-') = b.first() {
        b = &b[1..];
    }
    let mut hex = false;
    let mut i = 0;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// go-yaml v2's `parseTimestamp`: whether `time.Parse` accepts the text with one of the layouts
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`, `2006-1-2 15:4:5.999999999`, or
/// `2006-1-2`.
pub(crate) fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let mut p = Cursor { b, i: 5 };
    let Some(month) = p.num(12) else { return false };
    if !(1..=12).contains(&month) || !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.num(31) else { return false };
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if p.done() {
        return true;
    }
    let sep = b[p.i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    p.i += 1;
    let Some(hour) = p.num(99) else { return false };
    if hour >= 24 || !p.eat(b':') {
        return false;
    }
    let Some(minute) = p.num(99) else {
        return false;
    };
    if minute >= 60 || !p.eat(b':') {
        return false;
    }
    let Some(second) = p.num(99) else {
        return false;
    };
    if second >= 60 {
        return false;
    }
    // Optional fraction: a period (or comma, as Go accepts) followed by digits.
    if p.i + 1 < b.len() && matches!(b[p.i], b'.' | b',') && b[p.i + 1].is_ascii_digit() {
        p.i += 1;
        while p.i < b.len() && b[p.i].is_ascii_digit() {
            p.i += 1;
        }
    }
    if sep == b' ' {
        return p.done();
    }
    // Z07:00: `Z`, or ±hh:mm.
    if p.eat(b'Z') {
        return p.done();
    }
    let rest = &b[p.i..];
    rest.len() == 6
        && matches!(rest[0], b'+' | b'-')
        && rest[1].is_ascii_digit()
        && rest[2].is_ascii_digit()
        && rest[3] == b':'
        && rest[4].is_ascii_digit()
        && rest[5].is_ascii_digit()
        && (rest[1] - b'0') * 10 + (rest[2] - b'0') <= 24
        && (rest[4] - b'0') * 10 + (rest[5] - b'0') <= 60
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// One or two digits (Go's `getnum(value, false)`).
    fn num(&mut self, _max: i64) -> Option<i64> {
        let d0 = *self.b.get(self.i)?;
        if !d0.is_ascii_digit() {
            return None;
        }
        self.i += 1;
        let mut n = i64::from(d0 - b'0');
        if let Some(d1) = self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            n = n * 10 + i64::from(d1 - b'0');
            self.i += 1;
        }
        Some(n)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// go-yaml v2's `isBase60Float`: `1:20`-like text (YAML 1.1 sexagesimal), quoted on output.
pub(crate) fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) && i - start < 2 {
            i += 1;
        }
        let group = &b[start..i];
        let ok = match group.len() {
            1 => true,
            2 => group[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_scalars_resolve_as_go_yaml_v2_does() {
        use Resolved::*;
        for (text, want) in [
            ("on", Bool(true)),
            ("Off", Bool(false)),
            ("y", Bool(true)),
            ("oN", Str),
            ("0777", Int(511)),
            ("0x1F", Int(31)),
            ("0o17", Int(15)),
            ("0b101", Int(5)),
            ("-0x1F", Int(-31)),
            ("1_000", Int(1000)),
            ("+12", Int(12)),
            ("09", Float(9.0)),
            ("1e3", Float(1000.0)),
            ("1.", Float(1.0)),
            (".5", Float(0.5)),
            ("1e400", Str),
            ("9223372036854775808", Uint(9_223_372_036_854_775_808)),
            ("18446744073709551616", Float(18_446_744_073_709_551_616.0)),
            ("~", Null),
            ("", Null),
            ("2024-01-02", Timestamp),
            ("2024-02-30", Str),
            ("2001-12-14t21:59:43.10-05:00", Timestamp),
            ("2001-12-14 21:59:43.10", Timestamp),
            ("2001-12-14 21:59:43.10 -5", Str),
            ("0x", Str),
            ("-", Str),
            ("1:20", Str),
            ("Inf", Str),
            (".", Str),
            ("<<", Str),
        ] {
            assert_eq!(resolve_plain(text), want, "{text:?}");
        }
        assert!(matches!(resolve_plain(".NaN"), Float(f) if f.is_nan()));
    }

    #[test]
    fn sexagesimal_text_is_recognised() {
        assert!(is_base60_float("1:20"));
        assert!(!is_base60_float("8080:80"));
        assert!(is_base60_float("80:30"));
        assert!(is_base60_float("-1:2:3.5"));
        assert!(!is_base60_float("1:60"));
        assert!(!is_base60_float("a:1"));
        assert!(!is_base60_float("10"));
    }
}
