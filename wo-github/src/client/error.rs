//! GitHub answers mapped onto [`wo_core::Error`]'s semantic variants.

use reqwest::StatusCode;
use wo_core::Error;

/// The backend name in [`Error::Backend`].
pub const BACKEND: &str = "github";

/// A failed answer: status, GitHub's `message` (plus its `errors` details), and what was asked.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub message: String,
    /// `METHOD /path` (never the query or a header).
    pub request: String,
}

impl Failure {
    /// The [`Error`] for this failure of the operation on `what` (`ref heads/dev of o/r`).
    ///
    /// | answer | error |
    /// |---|---|
    /// | 404, 410 | `NotFound { what }` |
    /// | 409 `Git Repository is empty` | `NotFound` |
    /// | 409/422 `… not a fast forward`, 409 `Head branch was modified`, 405 `not mergeable` | `Precondition` |
    /// | 422 `Reference already exists` | `AlreadyExists` |
    /// | 422 `No commit found for SHA` | `NotFound` |
    /// | 422 `Protected branch update failed` | `Unsupported` (the caller may merge through the pull request instead) |
    /// | 401 | `Backend`, not retryable: the token is missing, wrong or expired |
    /// | 403 | `Backend`, not retryable: the token lacks a permission |
    /// | 429, 5xx (after the retries) | `Backend`, retryable |
    /// | other 4xx | `Backend`, not retryable |
    pub fn into_error(self, what: &str) -> Error {
        let code = self.status.as_u16();
        let lower = self.message.to_ascii_lowercase();
        let said = format!("{} ({code}: {})", what, self.message);
        match code {
            404 | 410 => Error::NotFound {
                what: what.to_string(),
            },
            409 if lower.contains("repository is empty") => Error::NotFound {
                what: format!("{what}: the repository is empty"),
            },
            409 | 422
                if lower.contains("fast forward")
                    || lower.contains("fast-forward")
                    || lower.contains("head branch was modified") =>
            {
                Error::Precondition { what: said }
            }
            405 => Error::Precondition { what: said },
            422 if lower.contains("reference already exists") => {
                Error::AlreadyExists { what: said }
            }
            422 if lower.contains("no commit found") => Error::NotFound { what: said },
            422 if lower.contains("protected branch") => Error::Unsupported { what: said },
            401 => Error::Backend {
                backend: BACKEND.into(),
                message: format!(
                    "{}: GitHub rejected the credentials ({code}: {}); set GITHUB_TOKEN to a valid token",
                    self.request, self.message
                ),
                retryable: false,
            },
            403 => Error::Backend {
                backend: BACKEND.into(),
                message: format!(
                    "{}: forbidden ({code}: {}) while working on {what}; the token lacks a permission or the resource is protected",
                    self.request, self.message
                ),
                retryable: false,
            },
            _ => Error::Backend {
                backend: BACKEND.into(),
                message: format!("{}: {said}", self.request),
                retryable: code == 429 || self.status.is_server_error(),
            },
        }
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

/// A transport failure after the retries.
pub(crate) fn transport(request: &str, what: &str, cause: &str) -> Error {
    Error::Backend {
        backend: BACKEND.into(),
        message: format!("{request}: {what}: {cause}"),
        retryable: true,
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
        }
        .into_error("ref heads/dev of o/r")
    }

    #[test]
    fn answers_map_to_semantic_variants() {
        assert!(
            matches!(fail(404, "Not Found"), Error::NotFound { what } if what.contains("heads/dev"))
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
            Error::Backend {
                retryable: false,
                ..
            }
        ));
        assert!(matches!(
            fail(403, "Resource not accessible by integration"),
            Error::Backend {
                retryable: false,
                ..
            }
        ));
        assert!(matches!(
            fail(422, "Validation Failed"),
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
