//! ARM error bodies mapped onto [`wo_core::Error`]'s semantic variants.

use serde::Deserialize;
use serde_json::Value;
use wo_core::Error;

/// The backend name in [`Error::Backend`].
pub const BACKEND: &str = "azure";

/// The header in which ARM names its answer; a failed answer's id is kept in the error
/// (`[x-ms-request-id …]`), as Azure support asks for it.
pub const REQUEST_ID_HEADER: &str = "x-ms-request-id";

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

    /// The same error with every credential of a recognisable shape replaced by `***`
    /// ([`wo_http::scrub`]), in each field and each detail: what a service writes is not
    /// printed as it came (an endpoint that echoes the request would print the token).
    pub fn scrubbed(self) -> Self {
        Self {
            code: wo_http::scrub(&self.code),
            message: wo_http::scrub(&self.message),
            target: self.target.map(|t| wo_http::scrub(&t)),
            details: self.details.into_iter().map(Self::scrubbed).collect(),
        }
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
    /// ARM's `x-ms-request-id` of the answer.
    pub request_id: Option<String>,
}

impl Failure {
    pub fn new(status: u16, body: &[u8], id: &str) -> Self {
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let error = ArmErrorDetail::from_body(&json)
            .unwrap_or_else(|| ArmErrorDetail {
                message: String::from_utf8_lossy(body)
                    .chars()
                    .take(200)
                    .collect::<String>(),
                ..ArmErrorDetail::default()
            })
            .scrubbed();
        Self {
            status,
            error,
            id: id.to_string(),
            request_id: None,
        }
    }

    /// The same failure naming ARM's request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
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
    /// Every error names the ARM id as its context `path` and ARM's request id in its message.
    /// The test `the_error_table` holds this table row by row.
    pub fn into_error(self) -> Error {
        let Failure {
            status,
            error,
            id,
            request_id,
        } = self;
        let said = format!("{status} {}", error.summary());
        let e = match status {
            404 => Error::not_found(format!("{id} ({said})")),
            409 if error.code.to_ascii_lowercase().contains("alreadyexist") => {
                Error::already_exists(format!("{id} ({said})"))
            }
            409 | 412 => Error::precondition(format!("{id} ({said})")),
            400 | 405 | 413 | 415 | 422 => rejected(status, &error),
            401 if error.code.eq_ignore_ascii_case("ExpiredAuthenticationToken") => {
                Error::unauthenticated(
                    BACKEND,
                    format!(
                        "{said}: the access token expired and this credential does not renew it \
                         (AZURE_ACCESS_TOKEN, or an `az` sign-in that lapsed); in GitHub Actions give \
                         wo's step AZURE_CLIENT_ID and AZURE_TENANT_ID (with `permissions: id-token: \
                         write`) so wo signs in with the job's OIDC token and renews it itself"
                    ),
                )
            }
            401 => Error::unauthenticated(
                BACKEND,
                format!(
                    "{said}: ARM rejected the access token; check AZURE_TENANT_ID / AZURE_CLIENT_ID \
                     and the credential (outside a workflow: sign in again with `az login`)"
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
        wo_http::with_server_request_id(e, REQUEST_ID_HEADER, request_id.as_deref())
            .with_backend(BACKEND)
            .with_path(id)
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
/// | the operation's `error.code` | error |
/// |---|---|
/// | naming validation (`…Validation…`, `Invalid…`, `BadRequest`) | `Rejected` (the service refused it, as a review that violates schema rules) |
/// | `…NotFound` | `NotFound` |
/// | `Conflict` | `Precondition` |
/// | `…InternalServerError…`, `…Timeout…`, `…ServiceUnavailable…` | `Backend`, retryable |
/// | anything else, or no error | `Backend`, not retryable |
///
/// The operation's resource id is the context `path`. The test `the_lro_failure_table` holds
/// this table row by row.
pub(crate) fn operation_failed(id: &str, status: &str, error: Option<ArmErrorDetail>) -> Error {
    let error = error
        .unwrap_or_else(|| ArmErrorDetail {
            code: status.to_string(),
            message: format!("the operation ended {status}"),
            ..ArmErrorDetail::default()
        })
        .scrubbed();
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

#[cfg(test)]
mod tests {
    use super::*;
    use wo_core::ErrorKind::{self, *};

    /// The table of [`Failure::into_error`], row by row: status, ARM's error body, kind and
    /// whether it is retryable.
    #[test]
    fn the_error_table() {
        let rows: &[(u16, &str, ErrorKind, bool)] = &[
            (
                404,
                r#"{"error":{"code":"ResourceNotFound","message":"The Resource was not found."}}"#,
                NotFound,
                false,
            ),
            (
                409,
                r#"{"error":{"code":"ResourceAlreadyExists","message":"Version 1.0.0 already exists."}}"#,
                AlreadyExists,
                false,
            ),
            (
                409,
                r#"{"error":{"code":"Conflict","message":"Another operation is in progress."}}"#,
                Precondition,
                false,
            ),
            (
                412,
                r#"{"error":{"code":"PreconditionFailed","message":"etag mismatch"}}"#,
                Precondition,
                false,
            ),
            (
                400,
                r#"{"error":{"code":"InvalidRequestContent","message":"capabilities must not be empty"}}"#,
                Rejected,
                false,
            ),
            (
                405,
                r#"{"error":{"code":"MethodNotAllowed","message":"no"}}"#,
                Rejected,
                false,
            ),
            (413, "", Rejected, false),
            (415, "", Rejected, false),
            (
                422,
                r#"{"error":{"code":"UnprocessableEntity","message":"bad"}}"#,
                Rejected,
                false,
            ),
            (
                401,
                r#"{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}"#,
                Unauthenticated,
                false,
            ),
            (
                403,
                r#"{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization."}}"#,
                PermissionDenied,
                false,
            ),
            (408, "", Backend, true),
            (
                429,
                r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
                Backend,
                true,
            ),
            (
                500,
                r#"{"error":{"code":"InternalServerError","message":"oops"}}"#,
                Backend,
                true,
            ),
            (502, "<html>bad gateway</html>", Backend, true),
            (
                503,
                r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#,
                Backend,
                true,
            ),
            (501, "", Backend, true),
            (418, "teapot", Backend, false),
        ];
        for &(status, body, kind, retryable) in rows {
            let e = Failure::new(status, body.as_bytes(), "/subscriptions/s/x")
                .with_request_id(Some("req-1".into()))
                .into_error();
            let row = format!("{status} {body}");
            assert_eq!(e.kind(), kind, "{row}: {e:?}");
            assert_eq!(e.is_retryable(), retryable, "{row}: {e:?}");
            let c = e.context().expect("context");
            assert_eq!(c.backend.as_deref(), Some("azure"), "{row}");
            assert_eq!(c.path.as_deref(), Some("/subscriptions/s/x"), "{row}");
            assert!(
                e.to_string().contains("[x-ms-request-id req-1]"),
                "{row}: {e}"
            );
        }
    }

    /// The table of [`operation_failed`], row by row: the operation's error code, kind and
    /// whether it is retryable.
    #[test]
    fn the_lro_failure_table() {
        let rows: &[(Option<&str>, ErrorKind, bool)] = &[
            (Some("SolutionValidationFailed"), Rejected, false),
            (Some("InvalidTemplate"), Rejected, false),
            (Some("BadRequest"), Rejected, false),
            (Some("ResourceNotFound"), NotFound, false),
            (Some("TargetNotFound"), NotFound, false),
            (Some("Conflict"), Precondition, false),
            (Some("InternalServerError"), Backend, true),
            (Some("GatewayTimeout"), Backend, true),
            (Some("OperationTimeout"), Backend, true),
            (Some("ServiceUnavailable"), Backend, true),
            (Some("CustomLocationUnreachable"), Backend, false),
            (None, Backend, false),
        ];
        for &(code, kind, retryable) in rows {
            let error = code.map(|c| ArmErrorDetail {
                code: c.into(),
                message: "the message".into(),
                ..ArmErrorDetail::default()
            });
            let e = operation_failed("/subscriptions/s/op", "Failed", error);
            assert_eq!(e.kind(), kind, "{code:?}: {e:?}");
            assert_eq!(e.is_retryable(), retryable, "{code:?}: {e:?}");
            assert_eq!(
                e.context().and_then(|c| c.path.as_deref()),
                Some("/subscriptions/s/op"),
                "{code:?}"
            );
        }
    }
}
