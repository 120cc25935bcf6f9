//! The Azure Resource Manager REST client: credentials, retries, long-running operations and
//! paging, with ARM errors mapped onto [`wo_core::Error`].
//!
//! Start with [`credential_from_env`] and [`ArmClient::builder`]:
//!
//! ```no_run
//! use wo_azure::arm::{credential_from_env, default_http_client, ArmClient};
//!
//! # async fn demo() -> wo_core::Result<()> {
//! let http = default_http_client()?;
//! let arm = ArmClient::builder()
//!     .credential(credential_from_env(http.clone())?)
//!     .http_client(http)
//!     .build()?;
//! let rg = "/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Edge";
//! let targets = arm.list(&format!("{rg}/targets")).await?;
//! # let _ = targets; Ok(()) }
//! ```
//!
//! # What every request carries
//!
//! `api-version=2025-08-01` (unless the URL names one, as `nextLink`s do),
//! `Authorization: Bearer <token>` (a sensitive header; the token is never in `Debug` output
//! or an error), and `x-ms-client-request-id`: a fresh id per call, the same on each retry of
//! it, so ARM's logs can be matched to ours.
//!
//! # Retries
//!
//! One loop ([`RetryPolicy`], bounded attempts and total time) repeats 429 and 503 for every
//! method, 408/500/502/504 and timeouts for every method but `POST` (whose effect they leave
//! unknown), and connections that could not be opened for all. It waits the `Retry-After`
//! (seconds, or `retry-after-ms`) the answer names, else an exponential backoff. 4xx
//! validation answers, 401 and 403 are never repeated.
//!
//! # Errors
//!
//! | answer | [`wo_core::Error`] |
//! |---|---|
//! | 404 | `NotFound` naming the ARM id, code and message |
//! | 409 `…AlreadyExists…` | `AlreadyExists` |
//! | 409, 412 | `Precondition` |
//! | 400, 405, 413, 415, 422 | `Invalid`: file = the ARM id, key = `target`, message = `code: message`, one diagnostic per detail |
//! | 401, 403 | `Backend`, not retryable, with what to fix |
//! | 408, 429, 5xx after the retries, transport | `Backend`, retryable |
//!
//! Long-running operations ([`ArmClient::put_lro`], [`ArmClient::post_lro`],
//! [`ArmClient::patch_lro`], [`ArmClient::delete_lro`]) are described in the `lro` source
//! module: `Azure-AsyncOperation`, `Location`, and WO's operation-status envelope.

mod client;
mod credential;
mod error;
mod lro;
mod policy;
mod request_id;
mod secret;

pub use client::{
    default_http_client, ArmClient, ArmClientBuilder, API_VERSION, CLIENT_REQUEST_ID,
    DEFAULT_ARM_URL, MAX_PAGES,
};
pub use credential::{
    credential_from_env, credential_from_vars, AccessToken, AzureCli, ClientCredentials,
    ManagedIdentity, StaticToken, TokenCredential, ARM_SCOPE, DEFAULT_AUTHORITY_HOST,
    IMDS_ENDPOINT, REFRESH_MARGIN,
};
pub use error::{ArmErrorDetail, BACKEND};
pub use lro::unwrap_envelope;
pub use policy::{retry_after, LroPolicy, RetryPolicy};
pub use request_id::new_request_id;
pub use secret::Secret;
