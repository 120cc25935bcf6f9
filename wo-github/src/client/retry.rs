//! When to try a GitHub request again, and how long to wait first.
//!
//! [`RetryPolicy`] is pure: [`classify`] turns one attempt's outcome into a [`Transient`]
//! failure (or none), and [`RetryPolicy::delay`] decides whether another attempt fits in the
//! bounds. The one retry loop lives in [`GitHub::execute`](super::GitHub); no typed method retries
//! on its own.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// Bounds and waits of the retry loop.
///
/// Defaults: 5 attempts, 120 s in total, exponential backoff from 500 ms doubling up to 8 s
/// (plus up to 25 % jitter), a single wait never longer than 60 s, 60 s after a secondary rate
/// limit that names no `Retry-After` (GitHub asks for "at least one minute").
///
/// A wait the policy refuses (over `max_wait`, or past `max_elapsed`) ends the loop at once:
/// the caller gets a retryable [`Error::Backend`](wo_core::Error::Backend) that says when the
/// limit resets, instead of a process that sleeps for an hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts of one request, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Most time from the first attempt to the start of the last one.
    pub max_elapsed: Duration,
    /// The first backoff; doubles per attempt.
    pub base_delay: Duration,
    /// The largest backoff.
    pub max_delay: Duration,
    /// The longest single wait, including `Retry-After` and rate-limit resets.
    pub max_wait: Duration,
    /// The wait after a secondary rate limit without `Retry-After`.
    pub secondary_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_wait: Duration::from_secs(60),
            secondary_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// How long to wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed
    /// with `failure` and `elapsed` has passed since the first attempt; `None`: give up.
    pub fn delay(&self, attempt: u32, elapsed: Duration, failure: &Transient) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = match failure {
            Transient::RetryAfter(d) => *d,
            Transient::PrimaryRateLimit { reset } => reset
                .and_then(|r| r.duration_since(SystemTime::now()).ok())
                .unwrap_or_else(|| self.backoff(attempt)),
            Transient::SecondaryRateLimit => self.secondary_rate_limit_wait,
            Transient::Server(_) | Transient::TooManyRequests | Transient::Transport(_) => {
                self.backoff(attempt)
            }
        };
        if wait > self.max_wait || elapsed + wait > self.max_elapsed {
            return None;
        }
        Some(wait)
    }

    /// Exponential backoff with up to 25 % jitter (from the clock: no RNG needed for this).
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let jitter = capped.mul_f64(f64::from(nanos % 1000) / 4000.0);
        capped + jitter
    }
}

/// Why an attempt failed in a way another attempt may fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transient {
    /// A 5xx answer.
    Server(u16),
    /// 429 without any hint how long to wait.
    TooManyRequests,
    /// The server said how long to wait (`Retry-After`, on 403, 429 or 5xx).
    RetryAfter(Duration),
    /// 403/429 with `x-ratelimit-remaining: 0`: the hourly quota is spent until `reset`.
    PrimaryRateLimit {
        /// `x-ratelimit-reset`, when given.
        reset: Option<SystemTime>,
    },
    /// 403/429 whose message mentions a secondary rate limit, without `Retry-After`.
    SecondaryRateLimit,
    /// The request may not have reached the server, or its answer was lost.
    Transport(String),
}

impl Transient {
    /// One line for error messages.
    pub fn describe(&self) -> String {
        match self {
            Transient::Server(s) => format!("server error {s}"),
            Transient::TooManyRequests => "429 too many requests".into(),
            Transient::RetryAfter(d) => format!("asked to retry after {} s", d.as_secs()),
            Transient::PrimaryRateLimit { reset } => match reset {
                Some(r) => format!(
                    "primary rate limit exhausted until {} (unix time)",
                    r.duration_since(UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0)
                ),
                None => "primary rate limit exhausted".into(),
            },
            Transient::SecondaryRateLimit => "secondary rate limit".into(),
            Transient::Transport(m) => format!("transport error: {m}"),
        }
    }
}

/// Classifies an HTTP answer: `Some` when another attempt may succeed.
///
/// `repeatable` says whether sending the same request twice is harmless; answers that prove
/// the request was refused without effect (429, rate limits) are retried even when it is not,
/// a 5xx only when it is (the server may have done the work before failing).
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    repeatable: bool,
) -> Option<Transient> {
    let code = status.as_u16();
    let retry_after = retry_after(headers);
    if code == 403 || code == 429 {
        if let Some(d) = retry_after {
            return Some(Transient::RetryAfter(d));
        }
        let remaining = header_str(headers, "x-ratelimit-remaining");
        if remaining.map(str::trim) == Some("0") {
            let reset = header_str(headers, "x-ratelimit-reset")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|secs| UNIX_EPOCH + Duration::from_secs(secs));
            return Some(Transient::PrimaryRateLimit { reset });
        }
        if message
            .to_ascii_lowercase()
            .contains("secondary rate limit")
        {
            return Some(Transient::SecondaryRateLimit);
        }
        return (code == 429).then_some(Transient::TooManyRequests);
    }
    if status.is_server_error() && repeatable {
        return Some(match retry_after {
            Some(d) => Transient::RetryAfter(d),
            None => Transient::Server(code),
        });
    }
    None
}

/// `Retry-After` as seconds (GitHub sends seconds; an HTTP date is not used by it and is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_str(headers, "retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn rate_limits_and_server_errors_are_told_apart() {
        let s = |c| StatusCode::from_u16(c).unwrap();
        assert_eq!(
            classify(s(403), &headers(&[("retry-after", "3")]), "", false),
            Some(Transient::RetryAfter(Duration::from_secs(3)))
        );
        assert_eq!(
            classify(
                s(403),
                &headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1700000000")
                ]),
                "API rate limit exceeded",
                false
            ),
            Some(Transient::PrimaryRateLimit {
                reset: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            })
        );
        assert_eq!(
            classify(
                s(403),
                &HeaderMap::new(),
                "You have exceeded a secondary rate limit",
                false
            ),
            Some(Transient::SecondaryRateLimit)
        );
        assert_eq!(
            classify(s(403), &HeaderMap::new(), "Resource not accessible", true),
            None,
            "a plain 403 is permanent"
        );
        assert_eq!(
            classify(s(422), &HeaderMap::new(), "Validation Failed", true),
            None
        );
        assert_eq!(
            classify(s(502), &HeaderMap::new(), "", true),
            Some(Transient::Server(502))
        );
        assert_eq!(
            classify(s(502), &HeaderMap::new(), "", false),
            None,
            "a 5xx of a request that must not run twice is not retried"
        );
        assert_eq!(
            classify(s(429), &HeaderMap::new(), "", false),
            Some(Transient::TooManyRequests)
        );
    }

    #[test]
    fn delays_stay_within_the_bounds() {
        let p = RetryPolicy::default();
        let d = p.delay(1, Duration::ZERO, &Transient::Server(500)).unwrap();
        assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(625));
        let d = p.delay(4, Duration::ZERO, &Transient::Server(500)).unwrap();
        assert!(d >= Duration::from_secs(4), "doubles: {d:?}");
        assert_eq!(
            p.delay(5, Duration::ZERO, &Transient::Server(500)),
            None,
            "attempts are bounded"
        );
        assert_eq!(
            p.delay(
                1,
                Duration::from_secs(119),
                &Transient::RetryAfter(Duration::from_secs(2))
            ),
            None,
            "total time is bounded"
        );
        assert_eq!(
            p.delay(
                1,
                Duration::ZERO,
                &Transient::RetryAfter(Duration::from_secs(3600))
            ),
            None,
            "a wait over max_wait gives up at once"
        );
        let hour = SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(
            p.delay(
                1,
                Duration::ZERO,
                &Transient::PrimaryRateLimit { reset: Some(hour) }
            ),
            None
        );
        assert_eq!(
            RetryPolicy::never().delay(1, Duration::ZERO, &Transient::Server(503)),
            None
        );
    }
}
