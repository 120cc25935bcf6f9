//! The misbehaviours a test can inject into the next requests of a route.

/// A misbehaviour the fake shows on the next requests of one route.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 502 `{"message":"Server Error"}`.
    BadGateway,
    /// 429 with `Retry-After`.
    TooManyRequests {
        /// The `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// 403 with GitHub's secondary-rate-limit message (and `Retry-After` when given).
    SecondaryRateLimit {
        /// The `message` of the body.
        message: String,
        /// The `Retry-After` header, in seconds.
        retry_after_secs: Option<u64>,
    },
    /// The connection is closed without any response.
    ConnectionReset,
    /// Before the request is handled, a commit changing `files` (`None` deletes) is pushed to
    /// `branch` of the request's repository: someone else pushed concurrently.
    ConcurrentPush {
        /// The branch that moves.
        branch: String,
        /// Path and new content of each changed file.
        files: Vec<(String, Option<String>)>,
    },
}

impl Fault {
    /// The secondary rate limit with the message GitHub sends.
    pub fn secondary_rate_limit() -> Self {
        Self::SecondaryRateLimit {
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FA4E:0000."
                .to_owned(),
            retry_after_secs: Some(1),
        }
    }
}
