//! The HTTP plumbing wo's REST backends share (`wo-github`, `wo-azure`): one way to build the
//! client, check a base URL, retry a call, name a request, and keep a token out of output.
//!
//! A backend keeps what is its own: which answers are worth another attempt (GitHub's rate
//! limits, ARM's throttling), how an answer maps onto [`wo_core::Error`], its defaults. This
//! crate holds the rest:
//!
//! - [`http_client`] / [`HttpClientBuilder`]: a `reqwest::Client` on rustls with the `ring`
//!   provider, the one TLS stack of the workspace;
//! - [`base_url`]: an API root checked once, with the setting it came from named in the error;
//! - [`read_body`]: an answer's body within [`MAX_BODY_BYTES`];
//! - [`Retry`]: runs the attempts of one call under a [`RetryPolicy`]. The backend says what
//!   each failed attempt means ([`Verdict`]); the wait is [`RetryPolicy::decide`], a pure
//!   function, and the server's own wait comes from [`retry_after`];
//! - [`Clock`]: where the retry loop reads the time and sleeps ([`SystemClock`], or a
//!   [`ManualClock`] in tests, which never sleeps);
//! - [`new_request_id`], [`server_request_id`], [`with_server_request_id`]: ids that let a
//!   failure be matched with the service's logs;
//! - [`Secret`]: a token that prints as `<redacted>` and scrubs itself from echoed text;
//!   [`scrub`]: every credential of a recognisable shape (`Bearer …`, `client_secret=…`,
//!   `user:pw@` in URLs) out of a message, whatever its length and owner.
//!
//! ```
//! use std::time::Duration;
//! use wo_http::{Retry, RetryPolicy, Verdict};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let retry = Retry::new(RetryPolicy { base_delay: Duration::ZERO, ..RetryPolicy::default() });
//! let mut answers = vec![Ok("done"), Err(503), Err(429)];
//! let outcome = retry
//!     .run(
//!         || std::future::ready(answers.pop().unwrap_or(Err(500))),
//!         |status: &u16| match status {
//!             429 => Verdict::RetryAfter(Duration::ZERO),
//!             500..=599 => Verdict::Retry,
//!             _ => Verdict::Fail,
//!         },
//!     )
//!     .await;
//! assert_eq!(outcome.ok(), Some("done"));
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod base_url;
mod body;
mod client;
mod clock;
mod request_id;
mod retry;
mod retry_after;
mod secret;

pub use base_url::base_url;
pub use body::{read_body, BodyError, MAX_BODY_BYTES};
pub use client::{http_client, install_crypto_provider, HttpClientBuilder, USER_AGENT};
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use request_id::{new_request_id, server_request_id, with_server_request_id};
pub use retry::{Failed, GiveUp, Retry, RetryPolicy, Verdict};
pub use retry_after::{retry_after, retry_after_value, RETRY_AFTER_HEADERS};
pub use secret::{redact, scrub, Secret, MIN_REDACTED_LEN, SECRET_PARAMETERS};

/// The backend name in the errors of this crate (`Error::Backend`).
pub const BACKEND: &str = "http";
