//! How a simulator behaves: its options, the faults a test can inject, the api-versions it
//! accepts.

use std::time::Duration;

/// The api-versions accepted.
pub const API_VERSIONS: &[&str] = &["2025-08-01", "2025-06-01"];

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// Polls of an operation that answer `InProgress`/202 before it ends (default 1).
    pub lro_polls: u32,
    /// The `Retry-After` (seconds) of operations and of injected 429/503 (default 1).
    pub retry_after_secs: u64,
    /// When set, those answers also carry `retry-after-ms` with this many milliseconds, which
    /// ARM clients (wo's among them) prefer to `Retry-After`: a poll pace finer than a second
    /// (default none).
    pub retry_after_ms: Option<u64>,
    /// Items per list page (default 100).
    pub page_size: usize,
    /// The only bearer token accepted; `None` accepts any non-empty token (default).
    pub token: Option<String>,
    /// Time each request takes before it is answered (default none).
    pub latency: Duration,
    /// The base URL written into the links the simulator hands out (`nextLink`, operation
    /// URLs), for clients that reach it through a proxy; `None`: its own address (default).
    pub public_url: Option<String>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            lro_polls: 1,
            retry_after_secs: 1,
            retry_after_ms: None,
            page_size: 100,
            token: None,
            latency: Duration::ZERO,
            public_url: None,
        }
    }
}

/// An injected failure, see [`Simulator::inject`](crate::Simulator::inject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 `TooManyRequests` with `Retry-After`.
    Throttle,
    /// 503 `ServiceUnavailable` with `Retry-After`.
    Unavailable,
}
