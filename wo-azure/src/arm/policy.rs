//! How often and how long the client tries: [`RetryPolicy`] for one request, [`LroPolicy`] for
//! polling a long-running operation.

use std::time::Duration;

pub use wo_http::RetryPolicy;

/// The ARM client's default [`RetryPolicy`]: 4 attempts, 120 s in total, a backoff from 1 s
/// doubling up to 16 s without jitter; a `Retry-After` is honoured as given, but a wait longer
/// than 60 s or past the 120 s is not waited: the call fails at once with a retryable error.
pub const DEFAULT_RETRY: RetryPolicy = RetryPolicy::DEFAULT;

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
    /// The wait before the next poll, given the last answer's `Retry-After` (as
    /// [`wo_http::retry_after`] reads it). Pure.
    pub fn interval(&self, retry_after: Option<Duration>) -> Duration {
        retry_after
            .unwrap_or(self.default_interval)
            .clamp(self.min_interval, self.max_interval.max(self.min_interval))
    }
}
