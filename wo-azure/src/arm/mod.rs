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
//! validation answers, 401 and 403 are never repeated. A token request that failed
//! transiently (token service 429/5xx, transport) counts as an attempt of the same loop.
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
//! # Long-running operations
//!
//! [`ArmClient::put_lro`], [`ArmClient::patch_lro`], [`ArmClient::post_lro`] and
//! [`ArmClient::delete_lro`] send the request, then follow the operation.
//!
//! After the first answer:
//!
//! - **`Azure-AsyncOperation`**: `GET` that URL until its `status` is terminal
//!   (`Succeeded`/`Completed`, `Failed`, `Canceled`); then, for `PUT`/`PATCH`, `GET` the
//!   resource; for `POST`, `GET` the `Location` when one was given, else take the status
//!   body's `properties`; for `DELETE`, nothing.
//! - **`Location`** (no `Azure-AsyncOperation`): `GET` it while it answers 202; 204 ends with no
//!   body; 200 ends with its body, unwrapped from an operation-status envelope
//!   (`{status, properties: <resource>, error?}`, as Workload Orchestration returns for its
//!   actions) when it is one. An envelope whose `status` is not terminal is polled again. A
//!   `PUT`/`PATCH` that ends without a resource body then `GET`s the resource.
//! - **neither**: the answer is final, except a `PUT`/`PATCH` whose
//!   `properties.provisioningState` is not terminal: the resource is polled until it is.
//!
//! Polls wait the `Retry-After` of the last answer, clamped by [`LroPolicy`]; a `Failed` or
//! `Canceled` operation ends with its `error`: a code naming validation (`…Validation…`,
//! `Invalid…`, `BadRequest`) is `Rejected` (as a review that breaks schema rules), `…NotFound`
//! is `NotFound`, `Conflict` is `Precondition`, anything else `Backend` (retryable only for
//! internal errors and timeouts). An operation running past [`LroPolicy::max_duration`] ends
//! with a retryable `Backend` error naming it.

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
