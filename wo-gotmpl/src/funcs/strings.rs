//! Sprig's string functions (`strings.go`, Go's `strings` package, `goutils`).

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::{Map, Value};

use super::args::{int, nth, string};
use super::conv::{go_quote, to_string, to_strings};
use super::def;

/// The string functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("trim", 1, Some(1), trim),
    def("trimAll", 2, Some(2), trim_all),
    def("trimall", 2, Some(2), trim_all),
    def("trimSuffix", 2, Some(2), trim_suffix),
    def("trimPrefix", 2, Some(2), trim_prefix),
    def("upper", 1, Some(1), upper),
    def("lower", 1, Some(1), lower),
    def("title", 1, Some(1), title),
    def("untitle", 1, Some(1), untitle),
    def("trunc", 2, Some(2), trunc),
    def("substr", 3, Some(3), substr),
    def("repeat", 2, Some(2), repeat),
    def("nospace", 1, Some(1), nospace),
    def("initials", 1, Some(1), initials),
    def("swapcase", 1, Some(1), swapcase),
    def("abbrev", 2, Some(2), abbrev),
    def("abbrevboth", 3, Some(3), abbrevboth),
    def("wrap", 2, Some(2), wrap),
    def("wrapWith", 3, Some(3), wrap_with),
    def("contains", 2, Some(2), contains),
    def("hasPrefix", 2, Some(2), has_prefix),
    def("hasSuffix", 2, Some(2), has_suffix),
    def("quote", 0, None, quote),
    def("squote", 0, None, squote),
    def("cat", 0, None, cat),
    def("indent", 2, Some(2), indent),
    def("nindent", 2, Some(2), nindent),
    def("replace", 3, Some(3), replace),
    def("plural", 3, Some(3), plural),
    def("toString", 1, Some(1), to_string_fn),
    def("toStrings", 1, Some(1), to_strings_fn),
    def("split", 2, Some(2), split),
    def("splitn", 3, Some(3), splitn),
    def("splitList", 2, Some(2), split_list),
    def("join", 2, Some(2), join),
    def("atoi", 1, Some(1), atoi),
    def("hello", 0, Some(0), hello),
];

fn s(v: impl Into<String>) -> FuncResult {
    Ok(Value::from(v.into()))
}

fn trim(_: &mut Ctx, a: &[Value]) -> FuncResult {
    s(string(a, 0)?.trim_matches(is_go_space))
}

fn trim_all(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let cutset = string(a, 0)?;
    s(string(a, 1)?.trim_matches(|c| cutset.contains(c)))
}

fn trim_suffix(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let suffix = string(a, 0)?;
    let text = string(a, 1)?;
    s(text.strip_suffix(suffix).unwrap_or(text))
}

fn trim_prefix(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let prefix = string(a, 0)?;
    let text = string(a, 1)?;
    s(text.strip_prefix(prefix).unwrap_or(text))
}

/// Go's `unicode.IsSpace`.
pub(crate) fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.ToUpper` of one rune: runes whose upper case is several runes stay.
fn upper_rune(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn lower_rune(c: char) -> char {
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Go's `unicode.ToTitle`: the upper case, except for the few digraphs with a title form.
fn title_rune(c: char) -> char {
    match c {
        'Ǆ' | 'ǅ' | 'ǆ' => 'ǅ',
        'Ǉ' | 'ǈ' | 'ǉ' => 'ǈ',
        'Ǌ' | 'ǋ' | 'ǌ' => 'ǋ',
        'Ǳ' | 'ǲ' | 'ǳ' => 'ǲ',
        c => upper_rune(c),
    }
}

fn upper(_: &mut Ctx, a: &[Value]) -> FuncResult {
    s(string(a, 0)?.chars().map(upper_rune).collect::<String>())
}

fn lower(_: &mut Ctx, a: &[Value]) -> FuncResult {
    s(string(a, 0)?.chars().map(lower_rune).collect::<String>())
}

/// `strings.Title`: the first letter of every word in title case; words are separated by
/// spaces and by ASCII characters other than letters, digits and `_`.
fn title(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut prev = ' ';
    let mut out = String::new();
    for c in string(a, 0)?.chars() {
        let separator = if prev.is_ascii() {
            !(prev.is_ascii_alphanumeric() || prev == '_')
        } else {
            !(prev.is_alphanumeric()) && prev.is_whitespace()
        };
        out.push(if separator { title_rune(c) } else { c });
        prev = c;
    }
    s(out)
}

/// `goutils.Uncapitalize`: the first rune in lower case.
fn untitle(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let text = string(a, 0)?;
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => s(format!("{}{}", lower_rune(c), chars.as_str())),
        None => s(""),
    }
}

/// A byte range of `text` as Go slices strings (bytes, so a cut inside a rune leaves a broken
/// rune; it is shown as U+FFFD).
fn byte_slice(text: &str, from: usize, to: usize) -> String {
    String::from_utf8_lossy(&text.as_bytes()[from..to]).into_owned()
}

fn slice_error(from: i64, to: i64, len: usize) -> String {
    if to > len as i64 || to < 0 {
        format!("runtime error: slice bounds out of range [:{to}] with length {len}")
    } else if from > to {
        format!("runtime error: slice bounds out of range [{from}:{to}]")
    } else {
        format!("runtime error: slice bounds out of range [{from}:{to}] with length {len}")
    }
}

fn trunc(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let c = int(a, 0)?;
    let text = string(a, 1)?;
    let len = text.len() as i64;
    if c < 0 && len + c > 0 {
        return s(byte_slice(text, (len + c) as usize, text.len()));
    }
    if c >= 0 && len > c {
        return s(byte_slice(text, 0, c as usize));
    }
    s(text)
}

/// `substring`: `s[:end]` for a negative start, `s[start:]` when end is negative or past the
/// end, else `s[start:end]`; out-of-range bounds fail as Go's slicing does.
fn substr(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let start = int(a, 0)?;
    let end = int(a, 1)?;
    let text = string(a, 2)?;
    let len = text.len() as i64;
    let (from, to) = if start < 0 {
        (0, end)
    } else if end < 0 || end > len {
        (start, len)
    } else {
        (start, end)
    };
    if to < 0 || to > len || from > to {
        return Err(slice_error(from, to, text.len()));
    }
    s(byte_slice(text, from as usize, to as usize))
}

/// Go's `strings.Repeat`, refusing texts longer than the budget allows.
fn go_repeat(ctx: &Ctx, text: &str, count: i64) -> Result<String, String> {
    if count < 0 {
        return Err("strings: negative Repeat count".into());
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    ctx.check_output(text.len().saturating_mul(count))?;
    Ok(text.repeat(count))
}

fn repeat(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let count = int(a, 0)?;
    s(go_repeat(ctx, string(a, 1)?, count)?)
}

/// Go's `unicode.IsSpace` of a byte read as a rune (goutils reads strings byte by byte).
fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0)
}

/// `goutils.DeleteWhiteSpace`: goutils walks bytes, so a multi-byte rune comes out as its bytes
/// read as Latin-1 runes (as Go does).
fn nospace(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let text = string(a, 0)?;
    if !text.bytes().any(is_space_byte) {
        return s(text);
    }
    s(text
        .bytes()
        .filter(|b| !is_space_byte(*b))
        .map(char::from)
        .collect::<String>())
}

/// `goutils.Initials`: the first byte of every word (byte-wise, as goutils does).
fn initials(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut out = String::new();
    let mut gap = true;
    for b in string(a, 0)?.bytes() {
        if is_space_byte(b) {
            gap = true;
        } else if gap {
            out.push(char::from(b));
            gap = false;
        }
    }
    s(out)
}

/// `goutils.SwapCase`: upper and title case to lower, lower to upper (title case after a
/// space).
fn swapcase(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut whitespace = true;
    let mut out = String::new();
    for c in string(a, 0)?.chars() {
        if c.is_uppercase() || matches!(c, 'ǅ' | 'ǈ' | 'ǋ' | 'ǲ') {
            out.push(lower_rune(c));
            whitespace = false;
        } else if c.is_lowercase() {
            out.push(if whitespace {
                title_rune(c)
            } else {
                upper_rune(c)
            });
            whitespace = false;
        } else {
            out.push(c);
            whitespace = is_go_space(c);
        }
    }
    s(out)
}

/// `goutils.AbbreviateFull` (byte offsets, as goutils uses).
fn abbreviate_full(text: &str, offset: i64, width: i64) -> Result<String, String> {
    if text.is_empty() {
        return Ok(String::new());
    }
    if width < 4 {
        return Err("stringutils illegal argument: Minimum abbreviation width is 4".into());
    }
    let len = text.len() as i64;
    if len <= width {
        return Ok(text.into());
    }
    let mut offset = offset.min(len);
    if len - offset < width - 3 {
        offset = len - (width - 3);
    }
    if offset <= 4 {
        return Ok(format!("{}...", byte_slice(text, 0, (width - 3) as usize)));
    }
    if width < 7 {
        return Err(
            "stringutils illegal argument: Minimum abbreviation width with offset is 7".into(),
        );
    }
    if offset + width - 3 < len {
        let rest = byte_slice(text, offset as usize, text.len());
        return Ok(format!("...{}", abbreviate_full(&rest, 0, width - 3)?));
    }
    Ok(format!(
        "...{}",
        byte_slice(text, (len - (width - 3)) as usize, text.len())
    ))
}

fn abbrev(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let width = int(a, 0)?;
    let text = string(a, 1)?;
    if width < 4 {
        return s(text);
    }
    s(abbreviate_full(text, 0, width).unwrap_or_default())
}

fn abbrevboth(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let left = int(a, 0)?;
    let right = int(a, 1)?;
    let text = string(a, 2)?;
    if right < 4 || left > 0 && right < 7 {
        return s(text);
    }
    s(abbreviate_full(text, left, right).unwrap_or_default())
}

/// `goutils.WrapCustom` (byte positions, as goutils uses).
fn wrap_custom(text: &str, width: i64, newline: &str, long_words: bool) -> String {
    if text.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::new();
    while len - offset > width {
        if bytes[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        let space = bytes[offset..end].iter().rposition(|b| *b == b' ');
        if let Some(at) = space {
            let at = at + offset;
            out.extend_from_slice(&bytes[offset..at]);
            out.extend_from_slice(newline.as_bytes());
            offset = at + 1;
        } else if long_words {
            let end = width + offset;
            out.extend_from_slice(&bytes[offset..end]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = width + offset;
            match bytes[end..].iter().position(|b| *b == b' ') {
                None => {
                    out.extend_from_slice(&bytes[offset..]);
                    offset = len;
                }
                Some(i) => {
                    let at = i + end;
                    out.extend_from_slice(&bytes[offset..at]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = at + 1;
                }
            }
        }
    }
    out.extend_from_slice(&bytes[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}

fn wrap(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let width = int(a, 0)?;
    s(wrap_custom(string(a, 1)?, width, "", false))
}

fn wrap_with(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let width = int(a, 0)?;
    let sep = string(a, 1)?;
    s(wrap_custom(string(a, 2)?, width, sep, true))
}

fn contains(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let needle = string(a, 0)?;
    Ok(Value::Bool(string(a, 1)?.contains(needle)))
}

fn has_prefix(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let prefix = string(a, 0)?;
    Ok(Value::Bool(string(a, 1)?.starts_with(prefix)))
}

fn has_suffix(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let suffix = string(a, 0)?;
    Ok(Value::Bool(string(a, 1)?.ends_with(suffix)))
}

/// `quote`: each non-nil argument as Go's `%q` of its [`to_string`], space separated.
fn quote(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| go_quote(&to_string(v)))
        .collect();
    s(parts.join(" "))
}

/// `squote`: each non-nil argument as `'%v'`.
fn squote(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| format!("'{v}'"))
        .collect();
    s(parts.join(" "))
}

/// `cat`: the non-nil arguments as `%v`, space separated.
fn cat(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let parts: Vec<String> = a
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| v.to_string())
        .collect();
    s(parts.join(" "))
}

/// `text` with `spaces` spaces before every line, after a line break when `lead` (`nindent`),
/// written once into a string of the right size.
fn indent_text(ctx: &Ctx, lead: bool, spaces: i64, text: &str) -> Result<String, String> {
    let pad = go_repeat(ctx, " ", spaces)?;
    let breaks = text.bytes().filter(|&b| b == b'\n').count();
    ctx.check_output(
        pad.len()
            .saturating_mul(breaks + 1)
            .saturating_add(text.len()),
    )?;
    let mut out = String::with_capacity(usize::from(lead) + pad.len() * (breaks + 1) + text.len());
    if lead {
        out.push('\n');
    }
    // A byte loop rather than `split('\n')`: lines are short, and a search per line costs
    // more than it finds.
    out.push_str(&pad);
    let mut start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b == b'\n' {
            out.push_str(&text[start..=i]);
            out.push_str(&pad);
            start = i + 1;
        }
    }
    out.push_str(&text[start..]);
    Ok(out)
}

fn indent(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let spaces = int(a, 0)?;
    s(indent_text(ctx, false, spaces, string(a, 1)?)?)
}

fn nindent(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let spaces = int(a, 0)?;
    s(indent_text(ctx, true, spaces, string(a, 1)?)?)
}

/// Go's `strings.Replace(src, old, new, -1)`: an empty `old` matches before every rune and at
/// the end.
pub(crate) fn go_replace_all(src: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        let mut out = String::new();
        for c in src.chars() {
            out.push_str(new);
            out.push(c);
        }
        out.push_str(new);
        return out;
    }
    src.replace(old, new)
}

fn replace(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let old = string(a, 0)?;
    let new = string(a, 1)?;
    s(go_replace_all(string(a, 2)?, old, new))
}

fn plural(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let one = string(a, 0)?;
    let many = string(a, 1)?;
    let count = int(a, 2)?;
    s(if count == 1 { one } else { many })
}

fn to_string_fn(_: &mut Ctx, a: &[Value]) -> FuncResult {
    s(to_string(nth(a, 0)))
}

fn to_strings_fn(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::StrList(to_strings(nth(a, 0)).into()))
}

/// Go's `strings.SplitN` (`n < 0`: all parts; `n == 0`: none; an empty separator splits
/// between runes).
pub(crate) fn go_split(text: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if sep.is_empty() {
        let chars: Vec<char> = text.chars().collect();
        let mut out: Vec<String> = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if out.len() + 1 == limit {
                out.push(chars[i..].iter().collect());
                return out;
            }
            out.push(c.to_string());
        }
        return out;
    }
    text.splitn(limit, sep).map(str::to_string).collect()
}

fn parts_map(parts: Vec<String>) -> Value {
    Value::map(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("_{i}"), Value::from(p)))
            .collect::<Map>(),
    )
}

fn split(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let sep = string(a, 0)?;
    Ok(parts_map(go_split(string(a, 1)?, sep, -1)))
}

fn splitn(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let sep = string(a, 0)?;
    let n = int(a, 1)?;
    Ok(parts_map(go_split(string(a, 2)?, sep, n)))
}

fn split_list(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let sep = string(a, 0)?;
    Ok(Value::StrList(go_split(string(a, 1)?, sep, -1).into()))
}

fn join(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let sep = string(a, 0)?;
    s(to_strings(nth(a, 1)).join(sep))
}

/// `atoi`: `strconv.Atoi`, 0 when the text is not a decimal integer.
fn atoi(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let text = string(a, 0)?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    // Out of range, Go's `Atoi` returns the nearest representable value with its error.
    let n = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().unwrap_or(if text.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        })
    } else {
        0
    };
    Ok(Value::Int(n))
}

fn hello(_: &mut Ctx, _: &[Value]) -> FuncResult {
    s("Hello!")
}
