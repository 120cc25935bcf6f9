//! ARM error bodies mapped onto [`wo_core::Error`]'s semantic variants.

use serde::Deserialize;
use serde_json::Value;
use wo_core::Error;

/// The backend name in [`Error::Backend`].
pub const BACKEND: &str = "azure";

/// ARM's `{"error": {code, message, target?, details?}}` (common-types `ErrorResponse`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ArmErrorDetail {
    /// `ResourceNotFound`, `Conflict`, `InvalidRequestContent`, …
    pub code: String,
    /// The human message.
    pub message: String,
    /// The property or resource the error is about.
    pub target: Option<String>,
    /// Nested errors (validation failures list one per rule).
    pub details: Vec<ArmErrorDetail>,
}

impl ArmErrorDetail {
    /// The `error` object of an ARM error body (or the body itself when it is the detail), or
    /// `None` for a body that is not an ARM error.
    pub fn from_body(body: &Value) -> Option<Self> {
        let inner = body.get("error").unwrap_or(body);
        let detail: ArmErrorDetail = serde_json::from_value(inner.clone()).ok()?;
        (!detail.code.is_empty() || !detail.message.is_empty()).then_some(detail)
    }

    /// `code: message`, or whichever is known.
    pub fn summary(&self) -> String {
        match (self.code.is_empty(), self.message.is_empty()) {
            (false, false) => format!("{}: {}", self.code, self.message),
            (false, true) => self.code.clone(),
            _ => self.message.clone(),
        }
    }
}

/// A failed answer: status, the parsed ARM error (if any), and the ARM id asked about.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: u16,
    pub error: ArmErrorDetail,
    /// The ARM id (the request path without the query).
    pub id: String,
}

impl Failure {
    pub fn new(status: u16, body: &[u8], id: &str) -> Self {
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let error = ArmErrorDetail::from_body(&json).unwrap_or_else(|| ArmErrorDetail {
            message: String::from_utf8_lossy(body)
                .chars()
                .take(200)
                .collect::<String>(),
            ..ArmErrorDetail::default()
        });
        Self {
            status,
            error,
            id: id.to_string(),
        }
    }

    /// | answer | error |
    /// |---|---|
    /// | 404 | `NotFound { what: <ARM id> (code: message) }` |
    /// | 409 with a code naming an existing resource | `AlreadyExists` |
    /// | 409, 412 | `Precondition` |
    /// | 400, 405, 413, 415, 422 | `Rejected`, the ARM error and each detail (`target: code: message`) |
    /// | 401 | `Unauthenticated`, saying what to fix |
    /// | 403 | `PermissionDenied`, saying what to fix |
    /// | 408, 429, 5xx (after the retries) | `Backend`, retryable |
    /// | other | `Backend`, not retryable |
    ///
    /// Every error names the ARM id as its context `path`.
    pub fn into_error(self) -> Error {
        let Failure { status, error, id } = self;
        let said = format!("{status} {}", error.summary());
        let e = match status {
            404 => Error::not_found(format!("{id} ({said})")),
            409 if error.code.to_ascii_lowercase().contains("alreadyexist") => {
                Error::already_exists(format!("{id} ({said})"))
            }
            409 | 412 => Error::precondition(format!("{id} ({said})")),
            400 | 405 | 413 | 415 | 422 => rejected(status, &error),
            401 => Error::unauthenticated(
                BACKEND,
                format!(
                    "{said}: ARM rejected the access token; sign in again (`az login`) or check \
                     AZURE_TENANT_ID / AZURE_CLIENT_ID and the credential"
                ),
            ),
            403 => Error::permission_denied(
                BACKEND,
                format!(
                    "{said}: the identity lacks a role assignment for this operation \
                     (for example Contributor on the resource group)"
                ),
            ),
            408 | 429 | 500..=599 => Error::backend(BACKEND, said).retryable(true),
            _ => Error::backend(BACKEND, said),
        };
        e.with_backend(BACKEND).with_path(id)
    }
}

/// An [`Error::Rejected`]: the ARM error and one line per detail.
fn rejected(status: u16, error: &ArmErrorDetail) -> Error {
    let line = |d: &ArmErrorDetail| match d.target.as_deref() {
        Some(t) if !t.is_empty() => format!("{t}: {}", d.summary()),
        _ => d.summary(),
    };
    let mut message = if status == 0 {
        line(error)
    } else {
        format!("{status} {}", line(error))
    };
    for d in &error.details {
        message.push_str("\n  ");
        message.push_str(&line(d));
    }
    Error::rejected(BACKEND, message)
}

/// The error of a long-running operation that ended `Failed` or `Canceled`.
///
/// A code naming validation (`…Validation…`, `Invalid…`, `BadRequest`) is
/// [`Error::Rejected`] (the service refused it, as a review that violates schema rules);
/// `…NotFound` is [`Error::NotFound`]; `Conflict` is [`Error::Precondition`]; anything else
/// is a non-retryable [`Error::Backend`] (a retryable one for `InternalServerError`/timeouts).
/// The operation's resource id is the context `path`.
pub(crate) fn operation_failed(id: &str, status: &str, error: Option<ArmErrorDetail>) -> Error {
    let error = error.unwrap_or_else(|| ArmErrorDetail {
        code: status.to_string(),
        message: format!("the operation ended {status}"),
        ..ArmErrorDetail::default()
    });
    let code = error.code.to_ascii_lowercase();
    let said = format!("operation on {id} {status}: {}", error.summary());
    let e = if code.contains("validation") || code.starts_with("invalid") || code == "badrequest" {
        let mut e = rejected(0, &error);
        if let Error::Rejected { message, .. } = &mut e {
            *message = format!("operation {status}: {message}");
        }
        e
    } else if code.contains("notfound") {
        Error::not_found(said)
    } else if code == "conflict" {
        Error::precondition(said)
    } else {
        let retryable = code.contains("internalservererror")
            || code.contains("timeout")
            || code.contains("serviceunavailable");
        Error::backend(BACKEND, said).retryable(retryable)
    };
    e.with_backend(BACKEND).with_path(id)
}
