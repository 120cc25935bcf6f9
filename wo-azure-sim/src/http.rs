//! ARM answers: the reply type, error bodies, common headers, query and path decoding, times.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use wo_azure::arm::new_request_id;

use crate::options::SimulatorOptions;

/// An answer before the common headers are added.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

impl Reply {
    pub fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn ok(body: Value) -> Self {
        Self::json(StatusCode::OK, body)
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `Retry-After`, and `retry-after-ms` when the options name one.
    pub fn with_retry_after(self, options: &SimulatorOptions) -> Self {
        let reply = self.with("retry-after", options.retry_after_secs.to_string());
        match options.retry_after_ms {
            Some(ms) => reply.with("retry-after-ms", ms.to_string()),
            None => reply,
        }
    }
}

/// ARM's error body `{"error": {code, message}}`.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({"error": {"code": code, "message": message.into()}}),
    )
}

pub(crate) fn not_found(id: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The resource '{id}' was not found."),
    )
}

pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> Reply {
    error(StatusCode::BAD_REQUEST, code, message)
}

pub(crate) fn conflict(message: impl Into<String>) -> Reply {
    error(StatusCode::CONFLICT, "Conflict", message)
}

pub(crate) fn method_not_allowed(method: &Method) -> Reply {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The method {method} is not allowed here."),
    )
}

pub(crate) fn unknown_type(path: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        format!("The resource type of '{path}' is not known to the Microsoft.Edge simulator."),
    )
}

/// 400 `InvalidRequestContent` with one `PropertyRequired` detail per missing property.
pub(crate) fn missing_properties(message: &str, missing: &[String]) -> Reply {
    let details: Vec<Value> = missing
        .iter()
        .map(|m| {
            json!({"code": "PropertyRequired", "message": format!("The property '{m}' is required."), "target": m})
        })
        .collect();
    Reply::json(
        StatusCode::BAD_REQUEST,
        json!({"error": {"code": "InvalidRequestContent", "message": message, "details": details}}),
    )
}

/// The body as a JSON object, or a 400.
pub(crate) fn object_body(body: Option<Value>) -> Result<serde_json::Map<String, Value>, Reply> {
    match body {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(bad_request(
            "InvalidRequestContent",
            "The request body must be a JSON object.",
        )),
    }
}

/// The string in `body[field]`, or a 400 naming it.
pub(crate) fn string_field(body: &Option<Value>, field: &str) -> Result<String, Reply> {
    body.as_ref()
        .and_then(|b| b.get(field))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| missing_properties(&format!("'{field}' is required."), &[field.into()]))
}

/// Adds the headers every ARM answer carries; the correlation id is the client's when it sent
/// one (as ARM echoes it), else a fresh one.
pub(crate) fn finish(
    reply: Reply,
    client_id: Option<String>,
    correlation_id: Option<String>,
) -> Response {
    let mut headers = HeaderMap::new();
    let request_id = new_request_id();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("x-ms-request-id", &request_id);
    put(
        "x-ms-correlation-request-id",
        correlation_id
            .as_deref()
            .or(client_id.as_deref())
            .unwrap_or(&request_id),
    );
    if let Some(c) = &client_id {
        put("x-ms-client-request-id", c);
    }
    for (name, value) in &reply.headers {
        put(name, value);
    }
    let body = match &reply.body {
        Some(v) => {
            put("content-type", "application/json; charset=utf-8");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    *response.headers_mut() = headers;
    response
}

pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// Percent-decodes a path (`+` stays `+`): clients may send an extension resource's scope as
/// one encoded segment (`/subscriptions%2F…/providers/Microsoft.Edge/jobs`), as Prism needs.
pub(crate) fn decode_path(s: &str) -> String {
    decode(s, false)
}

fn decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// `YYYY-MM-DD` and the seconds into that day (UTC) of `t`.
fn civil(t: SystemTime) -> ((i64, i64, i64), u64, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    ((year, month, day), rem, d.subsec_millis())
}

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let ((year, month, day), rem, millis) = civil(t);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
    )
}

/// `t` as ARM writes times in its authentication errors: `12/4/2026 7:21:49 PM` (UTC).
pub(crate) fn arm_utc(t: SystemTime) -> String {
    let ((year, month, day), rem, _) = civil(t);
    let hour = rem / 3600;
    let (h12, half) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!(
        "{month}/{day}/{year} {h12}:{:02}:{:02} {half}",
        rem % 3600 / 60,
        rem % 60
    )
}

/// Whole seconds since the Unix epoch of `t` (0 before it).
pub(crate) fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_epoch_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// ARM `systemData`, keeping `createdAt` of an earlier version of the resource.
pub(crate) fn system_data(created: Option<&Value>) -> Value {
    let now = now_rfc3339();
    let created_at = created
        .and_then(|s| s.get("createdAt"))
        .cloned()
        .unwrap_or_else(|| json!(now));
    json!({
        "createdBy": "simulator@example.invalid",
        "createdByType": "User",
        "createdAt": created_at,
        "lastModifiedBy": "simulator@example.invalid",
        "lastModifiedByType": "User",
        "lastModifiedAt": now,
    })
}

/// A fresh quoted `eTag`.
pub(crate) fn etag() -> String {
    format!("\"{}\"", new_request_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_dates() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.starts_with("20"), "{now}");
        assert_eq!(decode("a%24b+c", true), "a$b c");
        assert_eq!(
            decode_path("/subscriptions%2Fs%2Fx/a+b"),
            "/subscriptions/s/x/a+b"
        );
        assert_eq!(decode_path("100%"), "100%");
        assert_eq!(decode_path("%2"), "%2");
        assert_eq!(decode_path("%zz"), "%zz");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_796_413_309);
        assert_eq!(rfc3339(t), "2026-12-04T19:41:49.000Z");
        assert_eq!(arm_utc(t), "12/4/2026 7:41:49 PM");
        assert_eq!(arm_utc(UNIX_EPOCH), "1/1/1970 12:00:00 AM");
        assert_eq!(epoch_secs(t), 1_796_413_309);
    }
}
