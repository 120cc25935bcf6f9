//! How often and how long the client tries: [`RetryPolicy`] for one request, [`LroPolicy`] for
//! polling a long-running operation.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// Bounds and waits of the retry loop of one request.
///
/// Defaults: 4 attempts, 120 s in total, exponential backoff from 1 s doubling up to 16 s; a
/// `Retry-After` is honoured as given, but a wait longer than `max_wait` (60 s) or past
/// `max_elapsed` is not waited: the call fails at once with a retryable error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Most time from the first attempt to the start of the last one.
    pub max_elapsed: Duration,
    /// The first backoff when the answer names no `Retry-After`; doubles per attempt.
    pub base_delay: Duration,
    /// The largest backoff.
    pub max_delay: Duration,
    /// The longest single wait, `Retry-After` included.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(16),
            max_wait: Duration::from_secs(60),
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

    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed,
    /// `elapsed` after the first; `retry_after` is what the server asked for. `None`: give up.
    pub fn delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = retry_after.unwrap_or_else(|| {
            let factor = 1u32 << attempt.saturating_sub(1).min(16);
            self.base_delay.saturating_mul(factor).min(self.max_delay)
        });
        (wait <= self.max_wait && elapsed + wait <= self.max_elapsed).then_some(wait)
    }
}

/// Polling of long-running operations.
///
/// Defaults: poll after the `Retry-After` the service names, clamped to 1 s ..= 60 s, or every
/// 10 s when it names none (as the Azure CLI does); give up after one hour with a retryable
/// error that names the operation URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LroPolicy {
    /// The shortest wait between polls.
    pub min_interval: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
    /// The wait when the service names no `Retry-After`.
    pub default_interval: Duration,
    /// The longest time to follow one operation.
    pub max_duration: Duration,
}

impl Default for LroPolicy {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(60),
            default_interval: Duration::from_secs(10),
            max_duration: Duration::from_secs(3600),
        }
    }
}

impl LroPolicy {
    /// The wait before the next poll, given the last answer's `Retry-After`.
    pub fn interval(&self, retry_after: Option<Duration>) -> Duration {
        retry_after
            .unwrap_or(self.default_interval)
            .clamp(self.min_interval, self.max_interval.max(self.min_interval))
    }
}

/// `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds) or `Retry-After` (seconds).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = text(name).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    text("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}
