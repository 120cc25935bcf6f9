//! ARM error bodies mapped onto [`wo_core::Error`]'s semantic variants.

use serde::Deserialize;
use serde_json::Value;
use wo_core::{Diagnostic, Diagnostics, Error, Location};

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
    /// | 400, 405, 413, 415, 422 | `Invalid`, one diagnostic per ARM detail, file = the ARM id, key = `target` |
    /// | 401, 403 | `Backend`, not retryable, saying what to fix |
    /// | 408, 429, 5xx (after the retries) | `Backend`, retryable |
    /// | other | `Backend`, not retryable |
    pub fn into_error(self) -> Error {
        let Failure { status, error, id } = self;
        let said = format!("{id} ({status} {})", error.summary());
        let backend = |message: String, retryable| Error::Backend {
            backend: BACKEND.into(),
            message,
            retryable,
        };
        match status {
            404 => Error::NotFound { what: said },
            409 if error.code.to_ascii_lowercase().contains("alreadyexist") => {
                Error::AlreadyExists { what: said }
            }
            409 | 412 => Error::Precondition { what: said },
            400 | 405 | 413 | 415 | 422 => invalid(&id, &error),
            401 => backend(
                format!(
                    "{said}: ARM rejected the access token; sign in again (`az login`) or check \
                     AZURE_TENANT_ID / AZURE_CLIENT_ID and the credential"
                ),
                false,
            ),
            403 => backend(
                format!(
                    "{said}: the identity lacks a role assignment for this operation \
                     (for example Contributor on the resource group)"
                ),
                false,
            ),
            408 | 429 | 500..=599 => backend(said, true),
            _ => backend(said, false),
        }
    }
}

/// An [`Error::Invalid`] with one diagnostic for the error and one per detail.
pub(crate) fn invalid(id: &str, error: &ArmErrorDetail) -> Error {
    let at = |target: &Option<String>| {
        let loc = Location::file(id);
        match target {
            Some(t) if !t.is_empty() => loc.with_key(t.clone()),
            _ => loc,
        }
    };
    let mut diags = vec![Diagnostic::new(at(&error.target), error.summary())];
    diags.extend(
        error
            .details
            .iter()
            .map(|d| Diagnostic::new(at(&d.target), d.summary())),
    );
    Error::Invalid(Diagnostics(diags))
}

/// The error of a long-running operation that ended `Failed` or `Canceled`.
///
/// A code naming validation (`…Validation…`, `Invalid…`, `BadRequest`) is bad input
/// ([`Error::Invalid`], as a review that violates schema rules); `…NotFound` is
/// [`Error::NotFound`]; `Conflict` is [`Error::Precondition`]; anything else is a
/// non-retryable [`Error::Backend`] (a retryable one for `InternalServerError`/timeouts).
pub(crate) fn operation_failed(id: &str, status: &str, error: Option<ArmErrorDetail>) -> Error {
    let error = error.unwrap_or_else(|| ArmErrorDetail {
        code: status.to_string(),
        message: format!("the operation ended {status}"),
        ..ArmErrorDetail::default()
    });
    let code = error.code.to_ascii_lowercase();
    let said = format!("operation on {id} {status}: {}", error.summary());
    if code.contains("validation") || code.starts_with("invalid") || code == "badrequest" {
        invalid(id, &error)
    } else if code.contains("notfound") {
        Error::NotFound { what: said }
    } else if code == "conflict" {
        Error::Precondition { what: said }
    } else {
        let retryable = code.contains("internalservererror")
            || code.contains("timeout")
            || code.contains("serviceunavailable");
        Error::Backend {
            backend: BACKEND.into(),
            message: said,
            retryable,
        }
    }
}
