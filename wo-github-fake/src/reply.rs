//! What a handler answers, GitHub's error bodies, pagination and the small text formats
//! (query strings, ISO 8601 times) the fake needs.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Where GitHub's error bodies point.
pub(crate) const DOCS: &str = "https://docs.github.com/rest";

/// The body of a reply.
pub(crate) enum Body {
    Json(Value),
    Bytes {
        bytes: Vec<u8>,
        content_type: &'static str,
    },
    Empty,
}

/// A response before the common headers are added.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

/// Handlers answer `Err` for GitHub's error responses so that `?` reads naturally.
pub(crate) type Outcome = Result<Reply, Reply>;

impl Reply {
    pub fn json(status: StatusCode, value: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Json(value),
        }
    }

    pub fn ok(value: Value) -> Self {
        Self::json(StatusCode::OK, value)
    }

    /// 201 with the `Location` of the created resource (GitHub sends it on creations).
    pub fn created(value: Value, location: String) -> Self {
        Self::json(StatusCode::CREATED, value).header("location", location)
    }

    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn bytes(status: StatusCode, bytes: Vec<u8>, content_type: &'static str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Bytes {
                bytes,
                content_type,
            },
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// `{"message": …, "documentation_url": …, "status": "…"}`, GitHub's basic error.
pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "message": message,
            "documentation_url": DOCS,
            "status": status.as_u16().to_string(),
        }),
    )
}

/// The `message` of an error reply (for panics of the test API).
pub(crate) fn message(reply: &Reply) -> String {
    match &reply.body {
        Body::Json(v) => v["message"].as_str().unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

pub(crate) fn not_found() -> Reply {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// 422 with a message only, as GitHub answers the Git Data API's semantic errors.
pub(crate) fn unprocessable(message: &str) -> Reply {
    error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// 422 `Validation Failed` with GitHub's `errors` list.
pub(crate) fn validation_failed(errors: Value) -> Reply {
    Reply::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "message": "Validation Failed",
            "errors": errors,
            "documentation_url": DOCS,
            "status": "422",
        }),
    )
}

/// Reads a JSON request body into `T`; GitHub answers a body it cannot parse with 400 and a
/// body of the wrong shape with 422 `Invalid request.`.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .map_err(|_| error(StatusCode::BAD_REQUEST, "Problems parsing JSON"))?
    };
    let value = if value.is_null() { json!({}) } else { value };
    serde_json::from_value(value).map_err(|e| unprocessable(&format!("Invalid request.\n\n{e}")))
}

/// A decoded query string, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (
                    percent_decode(&k.replace('+', " ")),
                    percent_decode(&v.replace('+', " ")),
                )
            })
            .collect();
        Self(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// An integer parameter; a value that is not one is GitHub's 422 `Invalid request`.
    pub fn int(&self, key: &str, default: u64) -> Result<u64, Reply> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                unprocessable(&format!(
                    "Invalid request.\n\nFor '{key}', \"{v}\" is not an integer."
                ))
            }),
        }
    }
}

/// Percent-decodes one path segment or query component (invalid escapes stay as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query component.
pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One page of `items` by `per_page` (default 30, at most 100) and `page` (from 1), with the
/// `Link` header GitHub sends when there is more than one page.
pub(crate) fn paginate<T>(
    items: Vec<T>,
    query: &Query,
    url: &str,
) -> Result<(Vec<T>, Option<String>), Reply> {
    let per_page = query.int("per_page", 30)?.clamp(1, 100);
    let page = query.int("page", 1)?.max(1);
    let total = items.len() as u64;
    let last = total.div_ceil(per_page).max(1);
    let start = ((page - 1) * per_page).min(total) as usize;
    let end = (page * per_page).min(total) as usize;
    let rest: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    if last == 1 {
        return Ok((rest, None));
    }
    let others: String = query
        .0
        .iter()
        .filter(|(k, _)| k != "page" && k != "per_page")
        .map(|(k, v)| format!("{}={}&", percent_encode(k), percent_encode(v)))
        .collect();
    let link =
        |n: u64, rel: &str| format!("<{url}?{others}per_page={per_page}&page={n}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page - 1, "prev"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    Ok((rest, (!links.is_empty()).then(|| links.join(", "))))
}

/// A list reply with its `Link` header.
pub(crate) fn list_reply(items: Vec<Value>, link: Option<String>) -> Reply {
    let reply = Reply::ok(Value::Array(items));
    match link {
        Some(link) => reply.header("link", link),
        None => reply,
    }
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (UTC).
pub(crate) fn iso8601(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` into seconds since the epoch and the offset
/// in minutes.
pub(crate) fn parse_iso8601(s: &str) -> Option<(i64, i32)> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset_min: i32 = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = rest[1..].replace(':', "");
            if hm.len() != 4 {
                return None;
            }
            let oh: i32 = hm[..2].parse().ok()?;
            let om: i32 = hm[2..].parse().ok()?;
            sign * (oh * 60 + om)
        }
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let local = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se;
    Some((local - i64::from(offset_min) * 60, offset_min))
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A git failure inside a handler: GitHub's 500 would hide the cause, so the message is kept.
pub(crate) fn git_error(e: git2::Error) -> Reply {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("fake GitHub git error: {}", e.message()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_round_trips() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(
            parse_iso8601("2023-11-14T22:13:20Z"),
            Some((1_700_000_000, 0))
        );
        assert_eq!(
            parse_iso8601("2023-11-14T23:13:20.123+01:00"),
            Some((1_700_000_000, 60))
        );
        assert_eq!(parse_iso8601("yesterday"), None);
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("heads%2Fmain"), "heads/main");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
    }

    #[test]
    fn pagination_links_pages() {
        let q = Query::parse(Some("state=all&per_page=2&page=2"));
        let Ok((page, link)) = paginate((1..=5).collect(), &q, "http://h/x") else {
            panic!("paginate failed")
        };
        assert_eq!(page, vec![3, 4]);
        let link = link.unwrap();
        assert!(link.contains("<http://h/x?state=all&per_page=2&page=3>; rel=\"next\""));
        assert!(link.contains("page=3>; rel=\"last\""));
        assert!(link.contains("page=1>; rel=\"prev\""));
    }
}
