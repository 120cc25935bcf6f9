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
//! or an error), `x-ms-client-request-id`: a fresh id per call, the same on each retry of
//! it, so ARM's logs can be matched to ours, and `x-ms-correlation-request-id`: one id per
//! client ([`ArmClient::correlation_id`]), the same on all its requests.
//!
//! # Retries
//!
//! Every call runs under the shared [`wo_http::Retry`] with a [`RetryPolicy`] (bounded attempts
//! and total time; default [`DEFAULT_RETRY`]). What is worth another attempt is ARM's own rule
//! ([`classify`]): 429 and 503 for every method, 408/500/502/504 and timeouts for every method
//! but `POST` (whose effect they leave unknown), and connections that could not be opened for
//! all. It waits the wait the answer names ([`retry_after`]: `retry-after-ms`,
//! `x-ms-retry-after-ms`, `Retry-After` in seconds or as a date), else an exponential backoff;
//! a wait over [`RetryPolicy::max_wait`] is not waited, the call fails at once with a retryable
//! error saying so. 4xx validation answers, 401 and 403 are never repeated. A token request
//! that failed transiently (token service 429/5xx, transport) counts as an attempt of the same
//! call. Waits are slept on the builder's clock ([`ArmClientBuilder::clock`]).
//!
//! # Errors
//!
//! | answer | [`wo_core::Error`] |
//! |---|---|
//! | 404 | `NotFound` naming the ARM id, code and message |
//! | 409 `…AlreadyExists…` | `AlreadyExists` |
//! | 409, 412 | `Precondition` |
//! | 400, 405, 413, 415, 422 | `Rejected`: `code: message`, one line per detail (`target: code: message`) |
//! | 401 | `Unauthenticated`, with what to fix |
//! | 403 | `PermissionDenied`, with what to fix |
//! | 408, 429, 5xx after the retries, transport | `Backend`, retryable |
//! | other | `Backend`, not retryable |
//!
//! Every error names the ARM id as its context `path` and, for a failed answer, ARM's
//! `x-ms-request-id` in its message. A token an answer echoes is replaced by `***`.
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
//!   resource; for `POST`, follow the `Location` (below) when one was given, else take the
//!   status body's `properties`; for `DELETE`, nothing.
//! - **`Location`** (no `Azure-AsyncOperation`), ARM's async contract: its final answer is what
//!   the operation would have answered synchronously. `GET` it while it answers 202; 204 ends
//!   with no body; 200 ends with its body, the resource the spec declares (the
//!   `SolutionVersion` of a review or publish); an error status (4xx, 500) is the operation's
//!   failure, final (not polled or retried again; 408, 429, 502, 503, 504 are retried as for
//!   any `GET`), with the error of its `ErrorResponse` body and the operation's request path.
//!   Tolerated besides the contract: a 200 operation-status envelope
//!   (`{status, properties: <resource>, error?}`, what the `az` CLI expects of Workload
//!   Orchestration's actions) is unwrapped, polled again while its `status` is not terminal,
//!   and fails with its `error`. A `PUT`/`PATCH` that ends without a resource body then `GET`s
//!   the resource.
//! - **neither**: the answer is final, except a `PUT`/`PATCH` whose
//!   `properties.provisioningState` is not terminal: the resource is polled until it is.
//!
//! Polls wait the `Retry-After` of the last answer ([`retry_after`]), clamped by
//! [`LroPolicy`]; a `Failed` or `Canceled` operation ends with its `error`: a code naming
//! validation (`…Validation…`, `Invalid…`, `BadRequest`) is `Rejected` (as a review that
//! breaks schema rules), `…NotFound` is `NotFound`, `Conflict` is `Precondition`, anything
//! else `Backend` (retryable only for internal errors and timeouts). An operation running past
//! [`LroPolicy::max_duration`] ends with a retryable `Backend` error naming it.

mod client;
mod credential;
mod error;
mod lro;
mod policy;

pub use client::{
    classify, default_http_client, ArmClient, ArmClientBuilder, API_VERSION, CLIENT_REQUEST_ID,
    CORRELATION_REQUEST_ID, DEFAULT_ARM_URL, MAX_PAGES,
};
pub use credential::{
    credential_from_env, credential_from_vars, AccessToken, AzureCli, ClientCredentials,
    ManagedIdentity, StaticToken, TokenCredential, ARM_SCOPE, DEFAULT_AUTHORITY_HOST,
    IMDS_ENDPOINT, REFRESH_MARGIN,
};
pub use error::{ArmErrorDetail, BACKEND, REQUEST_ID_HEADER};
pub use lro::unwrap_envelope;
pub use policy::{LroPolicy, RetryPolicy, DEFAULT_RETRY};
pub use wo_http::{new_request_id, retry_after, Secret};
