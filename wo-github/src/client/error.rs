//! GitHub answers mapped onto [`wo_core::Error`]'s semantic variants.

use reqwest::StatusCode;
use wo_core::Error;

/// The backend name in [`Error::Backend`].
pub const BACKEND: &str = "github";

/// The header in which GitHub names its answer; a failed answer's id is kept in the error
/// (`[x-github-request-id 0400:1F2E:…]`), as GitHub support asks for it.
pub const REQUEST_ID_HEADER: &str = "x-github-request-id";

/// A failed answer: status, GitHub's `message` (plus its `errors` details), and what was asked.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub message: String,
    /// `METHOD /path` (never the query or a header).
    pub request: String,
    /// GitHub's `x-github-request-id` of the answer.
    pub request_id: Option<String>,
}

impl Failure {
    /// The [`Error`] for this failure of the operation on `what` (`ref heads/dev of o/r`).
    /// `repo_visible` says, for a 404, whether the repository itself is visible to the token
    /// (`None`: not asked, or not a repository's resource).
    ///
    /// | answer | error |
    /// |---|---|
    /// | 404 for a repository the token cannot see (the repository itself answers 404) | `PermissionDenied`: GitHub answers 404, not 403, for a private repository without access |
    /// | 404, 410 | `NotFound { what }` |
    /// | 409 `Git Repository is empty` | `NotFound` |
    /// | 409/422 `… not a fast forward`, 409 `Head branch was modified`, 405 `not mergeable` | `Precondition` |
    /// | 422 `Reference already exists` | `AlreadyExists` |
    /// | 422 `No commit found for SHA` | `NotFound` |
    /// | 422 `Protected branch update failed` | `Unsupported` (the caller may merge through the pull request instead) |
    /// | 401 | `Unauthenticated`: the token is missing, wrong or expired |
    /// | 403 (not a rate limit) | `PermissionDenied`: the token lacks a permission or the resource is protected |
    /// | other 400, 422 | `Rejected` with GitHub's message and details |
    /// | 429, 5xx (after the retries) | `Backend`, retryable |
    /// | other | `Backend`, not retryable |
    ///
    /// Every error names the backend (`github`), the request and the repository in its context,
    /// and GitHub's request id in its message. The test `the_error_table` holds this table
    /// row by row.
    pub fn into_error(self, what: &str, repo_visible: Option<bool>) -> Error {
        let code = self.status.as_u16();
        let lower = self.message.to_ascii_lowercase();
        let said = format!("{what} ({code}: {})", self.message);
        let repo = repo_of(&self.request);
        let e = match code {
            404 if repo_visible == Some(false) => Error::permission_denied(
                BACKEND,
                format!(
                    "{what}: GitHub repository {} does not exist or the token cannot see it \
                     (GitHub answers 404 for a private repository the token has no access to); \
                     give the token read access to it",
                    repo.as_deref().unwrap_or("?")
                ),
            ),
            404 | 410 => Error::not_found(what),
            409 if lower.contains("repository is empty") => {
                Error::not_found(format!("{what}: the repository is empty"))
            }
            409 | 422
                if lower.contains("fast forward")
                    || lower.contains("fast-forward")
                    || lower.contains("head branch was modified") =>
            {
                Error::precondition(said)
            }
            405 => Error::precondition(said),
            422 if lower.contains("reference already exists") => Error::already_exists(said),
            422 if lower.contains("no commit found") => Error::not_found(said),
            422 if lower.contains("protected branch") => Error::unsupported(said),
            401 => Error::unauthenticated(
                BACKEND,
                format!(
                    "GitHub rejected the credentials ({code}: {}); set WO_GITHUB_TOKEN or GITHUB_TOKEN to a valid token",
                    self.message
                ),
            ),
            403 => Error::permission_denied(
                BACKEND,
                format!(
                    "forbidden ({code}: {}) while working on {what}; the token lacks a permission or the resource is protected",
                    self.message
                ),
            ),
            400 | 422 => Error::rejected(BACKEND, said),
            _ => Error::backend(BACKEND, said)
                .retryable(code == 429 || self.status.is_server_error()),
        };
        let e = wo_http::with_server_request_id(e, REQUEST_ID_HEADER, self.request_id.as_deref())
            .with_backend(BACKEND)
            .with_operation(self.request);
        match repo {
            Some(r) => e.with_repository(r),
            None => e,
        }
    }
}

/// `owner/name` of a `METHOD /repos/owner/name/…` request.
pub(crate) fn repo_of(request: &str) -> Option<String> {
    let path = request.split_once(' ').map_or(request, |(_, p)| p);
    let mut segs = path.trim_start_matches('/').split('/');
    match (segs.next(), segs.next(), segs.next()) {
        (Some("repos"), Some(owner), Some(name)) if !owner.is_empty() && !name.is_empty() => {
            Some(format!("{owner}/{name}"))
        }
        _ => None,
    }
}

/// GitHub's error body: `message`, and `errors` with details of validation failures.
pub(crate) fn message_of(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        message: String,
        #[serde(default)]
        errors: Vec<serde_json::Value>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(b) => {
            let details: Vec<String> = b
                .errors
                .iter()
                .map(|e| match e {
                    serde_json::Value::String(s) => s.clone(),
                    other => other
                        .get("message")
                        .or_else(|| other.get("code"))
                        .and_then(|m| m.as_str())
                        .unwrap_or_default()
                        .to_string(),
                })
                .filter(|s| !s.is_empty())
                .collect();
            if details.is_empty() {
                b.message
            } else {
                format!("{}: {}", b.message, details.join("; "))
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.chars().take(200).collect();
            text.trim().to_string()
        }
    }
}

/// A transport failure after the retries, keeping the reqwest error as the source.
pub(crate) fn transport(
    request: &str,
    what: &str,
    cause: String,
    source: Option<reqwest::Error>,
) -> Error {
    let e = Error::backend(BACKEND, format!("{what}: {cause}"))
        .retryable(true)
        .with_operation(request);
    let e = match repo_of(request) {
        Some(r) => e.with_repository(r),
        None => e,
    };
    match source {
        Some(s) => e.with_source(s),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(code: u16, message: &str) -> Error {
        Failure {
            status: StatusCode::from_u16(code).unwrap(),
            message: message.into(),
            request: "PATCH /repos/o/r/git/refs/heads/dev".into(),
            request_id: None,
        }
        .into_error("ref heads/dev of o/r", None)
    }

    /// The table of [`Failure::into_error`], row by row: status, GitHub's answer body, whether
    /// the repository itself is visible (for a 404), the error kind and whether it is
    /// retryable.
    #[test]
    fn the_error_table() {
        use wo_core::ErrorKind::*;
        let rows: &[(u16, &str, Option<bool>, wo_core::ErrorKind, bool)] = &[
            (
                404,
                r#"{"message":"Not Found"}"#,
                Some(false),
                PermissionDenied,
                false,
            ),
            (
                404,
                r#"{"message":"Not Found"}"#,
                Some(true),
                NotFound,
                false,
            ),
            (404, r#"{"message":"Not Found"}"#, None, NotFound, false),
            (410, r#"{"message":"Gone"}"#, None, NotFound, false),
            (
                409,
                r#"{"message":"Git Repository is empty."}"#,
                None,
                NotFound,
                false,
            ),
            (
                422,
                r#"{"message":"Update is not a fast forward"}"#,
                None,
                Precondition,
                false,
            ),
            (
                409,
                r#"{"message":"Reference update failed: not a fast-forward"}"#,
                None,
                Precondition,
                false,
            ),
            (
                409,
                r#"{"message":"Head branch was modified. Review and try the merge again."}"#,
                None,
                Precondition,
                false,
            ),
            (
                405,
                r#"{"message":"Pull Request is not mergeable"}"#,
                None,
                Precondition,
                false,
            ),
            (
                422,
                r#"{"message":"Reference already exists"}"#,
                None,
                AlreadyExists,
                false,
            ),
            (
                422,
                r#"{"message":"No commit found for SHA: 0123"}"#,
                None,
                NotFound,
                false,
            ),
            (
                422,
                r#"{"message":"Protected branch update failed for refs/heads/dev."}"#,
                None,
                Unsupported,
                false,
            ),
            (
                401,
                r#"{"message":"Bad credentials"}"#,
                None,
                Unauthenticated,
                false,
            ),
            (
                403,
                r#"{"message":"Resource not accessible by integration"}"#,
                None,
                PermissionDenied,
                false,
            ),
            (
                400,
                r#"{"message":"Problems parsing JSON"}"#,
                None,
                Rejected,
                false,
            ),
            (
                422,
                r#"{"message":"Validation Failed","errors":[{"code":"custom","message":"A pull request already exists"}]}"#,
                None,
                Rejected,
                false,
            ),
            (429, r#"{"message":"slow down"}"#, None, Backend, true),
            (500, "", None, Backend, true),
            (502, "<html>bad gateway</html>", None, Backend, true),
            (
                503,
                r#"{"message":"Service Unavailable"}"#,
                None,
                Backend,
                true,
            ),
            (409, r#"{"message":"Conflict"}"#, None, Backend, false),
            (418, "teapot", None, Backend, false),
        ];
        for &(status, body, visible, kind, retryable) in rows {
            let e = Failure {
                status: StatusCode::from_u16(status).unwrap(),
                message: message_of(body.as_bytes()),
                request: "POST /repos/o/r/git/refs".into(),
                request_id: None,
            }
            .into_error("ref heads/dev of o/r", visible);
            let row = format!("{status} {body} {visible:?}");
            assert_eq!(e.kind(), kind, "{row}: {e:?}");
            assert_eq!(e.is_retryable(), retryable, "{row}: {e:?}");
            let c = e.context().expect("context");
            assert_eq!(c.backend.as_deref(), Some("github"), "{row}");
            assert_eq!(c.repository.as_deref(), Some("o/r"), "{row}");
            assert_eq!(
                c.operation.as_deref(),
                Some("POST /repos/o/r/git/refs"),
                "{row}"
            );
        }
    }

    #[test]
    fn answers_map_to_semantic_variants() {
        assert!(
            matches!(fail(404, "Not Found"), Error::NotFound { what, .. } if what.contains("heads/dev"))
        );
        assert!(matches!(
            fail(422, "Update is not a fast forward"),
            Error::Precondition { .. }
        ));
        assert!(matches!(
            fail(422, "Reference already exists"),
            Error::AlreadyExists { .. }
        ));
        assert!(matches!(
            fail(422, "Protected branch update failed for refs/heads/dev."),
            Error::Unsupported { .. }
        ));
        assert!(matches!(
            fail(401, "Bad credentials"),
            Error::Unauthenticated { .. }
        ));
        assert!(matches!(
            fail(403, "Resource not accessible by integration"),
            Error::PermissionDenied { .. }
        ));
        assert!(matches!(
            fail(422, "Validation Failed"),
            Error::Rejected { .. }
        ));
        assert!(matches!(
            fail(400, "Problems parsing JSON"),
            Error::Rejected { .. }
        ));
        assert!(matches!(
            fail(418, "teapot"),
            Error::Backend {
                retryable: false,
                ..
            }
        ));
        assert!(matches!(
            fail(503, "unavailable"),
            Error::Backend {
                retryable: true,
                ..
            }
        ));
        assert!(matches!(
            fail(429, ""),
            Error::Backend {
                retryable: true,
                ..
            }
        ));
    }

    #[test]
    fn a_404_of_an_invisible_repository_is_permission_denied() {
        let f = Failure {
            status: StatusCode::NOT_FOUND,
            message: "Not Found".into(),
            request: "GET /repos/o/private/git/ref/heads%2Fmain".into(),
            request_id: Some("0400:1F2E:3A4B".into()),
        };
        let e = f
            .clone()
            .into_error("ref heads/main of o/private", Some(false));
        assert!(matches!(e, Error::PermissionDenied { .. }), "{e}");
        assert!(e.to_string().contains("cannot see it"), "{e}");
        let e = f.into_error("ref heads/main of o/private", Some(true));
        assert!(matches!(e, Error::NotFound { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("[x-github-request-id 0400:1F2E:3A4B]"),
            "the request id is kept for support: {e}"
        );
        let c = e.context().unwrap();
        assert_eq!(c.repository.as_deref(), Some("o/private"));
        assert_eq!(c.backend.as_deref(), Some("github"));
        assert_eq!(
            c.operation.as_deref(),
            Some("GET /repos/o/private/git/ref/heads%2Fmain")
        );
    }

    #[test]
    fn messages_include_validation_details() {
        let m = message_of(
            br#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists"}]}"#,
        );
        assert_eq!(m, "Validation Failed: A pull request already exists");
        assert_eq!(
            message_of(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
