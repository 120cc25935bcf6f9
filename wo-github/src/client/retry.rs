//! When to try a GitHub request again: GitHub's own classification of a failed attempt.
//!
//! [`classify`] turns one answer into a [`Transient`] failure (or none: final), and
//! [`Transient::verdict`] says how long it asks to wait. Both are pure. The loop, the bounds and
//! the backoff are [`wo_http::Retry`] and [`RetryPolicy`], shared with the ARM client; no typed
//! method retries on its own.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use wo_http::Verdict;

pub use wo_http::RetryPolicy;

/// The GitHub client's default [`RetryPolicy`]: 5 attempts, 120 s in total, a backoff from
/// 500 ms doubling up to 8 s plus up to 25 % jitter, a single wait never longer than 60 s.
pub const DEFAULT_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 5,
    max_elapsed: Duration::from_secs(120),
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(8),
    max_wait: Duration::from_secs(60),
    jitter_percent: 25,
};

/// The wait after a secondary rate limit that names no `Retry-After`: GitHub asks for "at least
/// one minute".
pub const DEFAULT_SECONDARY_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

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

    /// How long this failure asks to wait, measured from `now`: the server's `Retry-After`;
    /// until `x-ratelimit-reset` (a backoff when the reset is unknown or past);
    /// `secondary_rate_limit_wait` after a secondary rate limit; a backoff otherwise. Pure.
    pub fn verdict(&self, now: SystemTime, secondary_rate_limit_wait: Duration) -> Verdict {
        match self {
            Transient::RetryAfter(d) => Verdict::RetryAfter(*d),
            Transient::PrimaryRateLimit { reset: Some(reset) } => reset
                .duration_since(now)
                .map_or(Verdict::Retry, Verdict::RetryAfter),
            Transient::SecondaryRateLimit => Verdict::RetryAfter(secondary_rate_limit_wait),
            Transient::PrimaryRateLimit { reset: None }
            | Transient::Server(_)
            | Transient::TooManyRequests
            | Transient::Transport(_) => Verdict::Retry,
        }
    }
}

/// Classifies an HTTP answer: `Some` when another attempt may succeed.
///
/// `repeatable` says whether sending the same request twice is harmless; answers that prove
/// the request was refused without effect (429, rate limits) are retried even when it is not,
/// a 5xx only when it is (the server may have done the work before failing). `now` measures a
/// `Retry-After` given as an HTTP date.
///
/// | answer | [`Transient`] |
/// |---|---|
/// | 403/429 with `Retry-After` (or `retry-after-ms`) | `RetryAfter` |
/// | 403/429 with `x-ratelimit-remaining: 0` | `PrimaryRateLimit` until `x-ratelimit-reset` |
/// | 403/429 whose message names a secondary rate limit | `SecondaryRateLimit` |
/// | other 429 | `TooManyRequests` |
/// | 5xx of a repeatable request | `RetryAfter` when it names one, else `Server` |
/// | anything else (other 403, 4xx, a 5xx of a request that must not run twice) | none: final |
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    repeatable: bool,
    now: SystemTime,
) -> Option<Transient> {
    let code = status.as_u16();
    let retry_after = wo_http::retry_after(headers, now);
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

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use wo_http::GiveUp;

    /// 2023-11-14T22:13:20Z.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn classify_at(code: u16, h: &HeaderMap, message: &str, repeatable: bool) -> Option<Transient> {
        classify(
            StatusCode::from_u16(code).unwrap(),
            h,
            message,
            repeatable,
            now(),
        )
    }

    #[test]
    fn rate_limits_and_server_errors_are_told_apart() {
        assert_eq!(
            classify_at(403, &headers(&[("retry-after", "3")]), "", false),
            Some(Transient::RetryAfter(Duration::from_secs(3)))
        );
        assert_eq!(
            classify_at(
                429,
                &headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:50 GMT")]),
                "",
                false
            ),
            Some(Transient::RetryAfter(Duration::from_secs(30))),
            "an HTTP date is measured from now"
        );
        assert_eq!(
            classify_at(
                403,
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
            classify_at(
                403,
                &HeaderMap::new(),
                "You have exceeded a secondary rate limit",
                false
            ),
            Some(Transient::SecondaryRateLimit)
        );
        assert_eq!(
            classify_at(403, &HeaderMap::new(), "Resource not accessible", true),
            None,
            "a plain 403 is permanent"
        );
        assert_eq!(
            classify_at(422, &HeaderMap::new(), "Validation Failed", true),
            None
        );
        assert_eq!(
            classify_at(502, &HeaderMap::new(), "", true),
            Some(Transient::Server(502))
        );
        assert_eq!(
            classify_at(503, &headers(&[("retry-after", "2")]), "", true),
            Some(Transient::RetryAfter(Duration::from_secs(2)))
        );
        assert_eq!(
            classify_at(502, &HeaderMap::new(), "", false),
            None,
            "a 5xx of a request that must not run twice is not retried"
        );
        assert_eq!(
            classify_at(429, &HeaderMap::new(), "", false),
            Some(Transient::TooManyRequests)
        );
    }

    #[test]
    fn each_failure_asks_for_its_wait() {
        let secondary = DEFAULT_SECONDARY_RATE_LIMIT_WAIT;
        let s = Duration::from_secs;
        let at = |t: Transient| t.verdict(now(), secondary);
        assert_eq!(at(Transient::RetryAfter(s(3))), Verdict::RetryAfter(s(3)));
        assert_eq!(
            at(Transient::PrimaryRateLimit {
                reset: Some(now() + s(90))
            }),
            Verdict::RetryAfter(s(90)),
            "until the reset"
        );
        assert_eq!(
            at(Transient::PrimaryRateLimit {
                reset: Some(now() - s(5))
            }),
            Verdict::Retry,
            "a reset already past: a backoff"
        );
        assert_eq!(
            at(Transient::PrimaryRateLimit { reset: None }),
            Verdict::Retry
        );
        assert_eq!(
            at(Transient::SecondaryRateLimit),
            Verdict::RetryAfter(s(60)),
            "GitHub asks for at least a minute"
        );
        for t in [
            Transient::Server(502),
            Transient::TooManyRequests,
            Transient::Transport("reset".into()),
        ] {
            assert_eq!(at(t), Verdict::Retry);
        }
    }

    #[test]
    fn delays_stay_within_the_bounds() {
        let p = DEFAULT_RETRY;
        let d = p.decide(1, Duration::from_nanos(999), None).unwrap();
        assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(625));
        let d = p.decide(4, Duration::ZERO, None).unwrap();
        assert!(d >= Duration::from_secs(4), "doubles: {d:?}");
        assert!(
            matches!(
                p.decide(5, Duration::ZERO, None),
                Err(GiveUp::Attempts { .. })
            ),
            "attempts are bounded"
        );
        assert!(
            matches!(
                p.decide(1, Duration::from_secs(119), Some(Duration::from_secs(2))),
                Err(GiveUp::OutOfTime { .. })
            ),
            "total time is bounded"
        );
        assert!(
            matches!(
                p.decide(1, Duration::ZERO, Some(Duration::from_secs(3600))),
                Err(GiveUp::TooLong { .. })
            ),
            "a wait over max_wait gives up at once"
        );
        let hour = Transient::PrimaryRateLimit {
            reset: Some(now() + Duration::from_secs(3600)),
        };
        let Verdict::RetryAfter(wait) = hour.verdict(now(), DEFAULT_SECONDARY_RATE_LIMIT_WAIT)
        else {
            panic!("a reset is a wait");
        };
        assert!(matches!(
            p.decide(1, Duration::ZERO, Some(wait)),
            Err(GiveUp::TooLong { .. })
        ));
        assert!(RetryPolicy::never()
            .decide(1, Duration::ZERO, None)
            .is_err());
    }
}
