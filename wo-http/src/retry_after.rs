//! How long a server asked us to wait.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// The headers [`retry_after`] reads, in the order it prefers them: the millisecond ones
/// (Azure's `retry-after-ms` and `x-ms-retry-after-ms`) are more precise than `Retry-After`.
pub const RETRY_AFTER_HEADERS: [&str; 3] = ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"];

/// The wait a server asked for: `retry-after-ms` or `x-ms-retry-after-ms` (milliseconds),
/// else `Retry-After` (delta-seconds, or an HTTP date measured from `now`; a date already past
/// is no wait). `None` when no header holds a value that parses.
///
/// Pure: the caller passes `now`, so HTTP dates are tested with a fixed time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use reqwest::header::HeaderMap;
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
/// let mut h = HeaderMap::new();
/// h.insert("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT".parse().unwrap());
/// assert_eq!(wo_http::retry_after(&h, now), Some(Duration::from_secs(10)));
/// h.insert("retry-after-ms", "250".parse().unwrap());
/// assert_eq!(wo_http::retry_after(&h, now), Some(Duration::from_millis(250)));
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    for name in &RETRY_AFTER_HEADERS[..2] {
        if let Some(ms) = text(name).and_then(digits) {
            return Some(Duration::from_millis(ms));
        }
    }
    text(RETRY_AFTER_HEADERS[2]).and_then(|v| retry_after_value(v, now))
}

/// One `Retry-After` value: delta-seconds, or an HTTP date (IMF-fixdate, RFC 850 or asctime)
/// measured from `now`.
pub fn retry_after_value(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(secs) = digits(value) {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `1*DIGIT` (no sign, no fraction), as RFC 9110 writes delta-seconds.
fn digits(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    /// Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn delta_seconds_and_http_dates() {
        let at = |v| retry_after(&headers(&[("retry-after", v)]), now());
        assert_eq!(at("7"), Some(Duration::from_secs(7)));
        assert_eq!(at(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            at("Sun, 06 Nov 1994 08:49:47 GMT"),
            Some(Duration::from_secs(10)),
            "IMF-fixdate"
        );
        assert_eq!(
            at("Sunday, 06-Nov-94 08:50:37 GMT"),
            Some(Duration::from_secs(60)),
            "RFC 850"
        );
        assert_eq!(
            at("Sun Nov  6 08:49:38 1994"),
            Some(Duration::from_secs(1)),
            "asctime"
        );
        assert_eq!(
            at("Sun, 06 Nov 1994 08:00:00 GMT"),
            Some(Duration::ZERO),
            "a date already past: no wait"
        );
        for bad in ["-1", "1.5", "soon", "", "0x10", "+3"] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn milliseconds_headers_come_first() {
        let h = headers(&[("retry-after", "7"), ("retry-after-ms", "250")]);
        assert_eq!(retry_after(&h, now()), Some(Duration::from_millis(250)));
        let h = headers(&[("retry-after", "7"), ("x-ms-retry-after-ms", "1500")]);
        assert_eq!(retry_after(&h, now()), Some(Duration::from_millis(1500)));
        let h = headers(&[("retry-after-ms", "20"), ("x-ms-retry-after-ms", "1500")]);
        assert_eq!(retry_after(&h, now()), Some(Duration::from_millis(20)));
        let h = headers(&[("retry-after-ms", "soon"), ("retry-after", "2")]);
        assert_eq!(
            retry_after(&h, now()),
            Some(Duration::from_secs(2)),
            "a value that does not parse is skipped"
        );
    }
}
