//! Sprig's path and URL functions: Go's `path` (and `path/filepath` on Linux, which agrees)
//! and `net/url` (`urlParse`, `urlJoin`).

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::{Map, Value};

use super::args::{map, string};
use super::conv::go_quote;
use super::def;

/// The path and URL functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("base", 1, Some(1), base),
    def("dir", 1, Some(1), dir),
    def("clean", 1, Some(1), clean),
    def("ext", 1, Some(1), ext),
    def("isAbs", 1, Some(1), is_abs),
    def("osBase", 1, Some(1), base),
    def("osDir", 1, Some(1), dir),
    def("osClean", 1, Some(1), clean),
    def("osExt", 1, Some(1), ext),
    def("osIsAbs", 1, Some(1), is_abs),
    def("urlParse", 1, Some(1), url_parse),
    def("urlJoin", 1, Some(1), url_join),
];

/// Go's `path.Clean`.
pub fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`.
pub fn base_name(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

fn base(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(base_name(string(a, 0)?)))
}

fn dir(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let path = string(a, 0)?;
    let head = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    Ok(Value::from(clean_path(head)))
}

fn clean(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(clean_path(string(a, 0)?)))
}

fn ext(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let path = string(a, 0)?;
    let last = path.rsplit('/').next().unwrap_or(path);
    Ok(Value::str(last.rfind('.').map_or("", |i| &last[i..])))
}

fn is_abs(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Bool(string(a, 0)?.starts_with('/')))
}

/// The parts of a URL as Go's `url.Parse` splits them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Url {
    scheme: String,
    opaque: String,
    userinfo: Option<String>,
    host: String,
    path: String,
    raw_query: String,
    force_query: bool,
    fragment: String,
}

fn unhex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Go's `url.PathUnescape`-like decoding of `%XX`.
fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let pair = (
                b.get(i + 1).and_then(|x| unhex(*x)),
                b.get(i + 2).and_then(|x| unhex(*x)),
            );
            match pair {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {}",
                        go_quote(&String::from_utf8_lossy(&b[i..end]))
                    ));
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encode {
    Path,
    Host,
    UserPassword,
    Fragment,
}

/// Go's `shouldEscape`.
fn should_escape(c: u8, mode: Encode) -> bool {
    if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
        return false;
    }
    if mode == Encode::Host
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    if matches!(
        c,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@'
    ) {
        return match mode {
            Encode::Path => c == b'?',
            Encode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
            Encode::Fragment => false,
            Encode::Host => true,
        };
    }
    if mode == Encode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn escape(s: &str, mode: Encode) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if should_escape(b, mode) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

fn parse_url(raw: &str) -> Result<Url, String> {
    let fail = |why: String| format!("parse {}: {why}", go_quote(raw));
    let mut url = Url::default();
    let (rest, fragment) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    if let Some(f) = fragment {
        url.fragment = unescape(f).map_err(fail)?;
    }
    // Scheme: a letter, then letters, digits, `+`, `-`, `.`, up to `:`.
    let mut rest = rest;
    for (i, c) in rest.char_indices() {
        if c.is_ascii_alphabetic() {
            continue;
        }
        if c.is_ascii_digit() || c == '+' || c == '-' || c == '.' {
            if i == 0 {
                break;
            }
            continue;
        }
        if c == ':' {
            if i == 0 {
                return Err(fail("missing protocol scheme".into()));
            }
            url.scheme = rest[..i].to_ascii_lowercase();
            rest = &rest[i + 1..];
        }
        break;
    }
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        url.raw_query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') && !url.scheme.is_empty() {
        url.opaque = rest.to_string();
        return Ok(url);
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        let authority = &after[..end];
        rest = &after[end..];
        let host = match authority.rfind('@') {
            Some(i) => {
                url.userinfo = Some(authority[..i].to_string());
                &authority[i + 1..]
            }
            None => authority,
        };
        url.host = unescape(host).map_err(fail)?;
    }
    url.path = unescape(rest).map_err(fail)?;
    Ok(url)
}

fn hostname(host: &str) -> String {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner).to_string();
    }
    match host.rfind(':') {
        Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => host[..i].to_string(),
        _ => host.to_string(),
    }
}

/// The userinfo as `url.Userinfo.String()` prints it.
fn userinfo_string(raw: &str) -> String {
    let (user, password) = match raw.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (raw, None),
    };
    let user = unescape(user).unwrap_or_else(|_| user.to_string());
    let mut out = escape(&user, Encode::UserPassword);
    if let Some(p) = password {
        let p = unescape(p).unwrap_or_else(|_| p.to_string());
        out.push(':');
        out.push_str(&escape(&p, Encode::UserPassword));
    }
    out
}

fn url_parse(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let url = parse_url(string(a, 0)?).map_err(|e| format!("unable to parse url: {e}"))?;
    let mut m = Map::new();
    m.insert("scheme".into(), Value::str(&url.scheme));
    m.insert("host".into(), Value::str(&url.host));
    m.insert("hostname".into(), Value::from(hostname(&url.host)));
    m.insert("path".into(), Value::str(&url.path));
    m.insert("query".into(), Value::str(&url.raw_query));
    m.insert("opaque".into(), Value::str(&url.opaque));
    m.insert("fragment".into(), Value::str(&url.fragment));
    m.insert(
        "userinfo".into(),
        Value::from(
            url.userinfo
                .as_deref()
                .map(userinfo_string)
                .unwrap_or_default(),
        ),
    );
    Ok(Value::map(m))
}

fn url_join(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let d = map(a, 0)?;
    let d = d.borrow();
    let get = |key: &str| -> Result<String, String> {
        match d.get(key) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.to_string()),
            Some(other) => Err(format!(
                "unable to parse {key} key, must be of type string, but {} found",
                if other.is_nil() {
                    "invalid"
                } else {
                    other.kind()
                }
            )),
        }
    };
    let (scheme, host, path) = (get("scheme")?, get("host")?, get("path")?);
    let (query, opaque, fragment) = (get("query")?, get("opaque")?, get("fragment")?);
    let userinfo = get("userinfo")?;
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        let has_user = !userinfo.is_empty();
        if !scheme.is_empty() || !host.is_empty() || has_user {
            if !host.is_empty() || !path.is_empty() || has_user {
                out.push_str("//");
            }
            if has_user {
                out.push_str(&userinfo_string(&userinfo));
                out.push('@');
            }
            out.push_str(&escape(&host, Encode::Host));
        }
        let escaped = escape(&path, Encode::Path);
        if !escaped.is_empty() && !escaped.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        if out.is_empty() && escaped.split('/').next().is_some_and(|s| s.contains(':')) {
            out.push_str("./");
        }
        out.push_str(&escaped);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(&fragment, Encode::Fragment));
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_go() {
        assert_eq!(clean_path("a//b/../c/."), "a/c");
        assert_eq!(clean_path("/../x"), "/x");
        assert_eq!(clean_path("../../x"), "../../x");
        assert_eq!(clean_path(""), ".");
        assert_eq!(base_name("/a/b.yaml/"), "b.yaml");
        assert_eq!(base_name("///"), "/");
    }

    #[test]
    fn urls_split_as_go() {
        let u = parse_url("https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "example.com:8443");
        assert_eq!(hostname(&u.host), "example.com");
        assert_eq!(u.path, "/a b/c");
        assert_eq!(u.raw_query, "x=1&y=2");
        assert_eq!(
            userinfo_string(u.userinfo.as_deref().unwrap()),
            "user:p%40ss"
        );
        assert_eq!(parse_url("mailto:x@y").unwrap().opaque, "x@y");
    }
}
