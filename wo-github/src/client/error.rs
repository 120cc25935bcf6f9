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
    /// GitHub's `x-accepted-github-permissions` of the answer (`statuses=write`): what a
    /// fine-grained token (an App installation token, `GITHUB_TOKEN`) needs for the request.
    pub accepted_permissions: Option<String>,
}

/// The header in which GitHub names the permissions a request needs, for tokens with
/// fine-grained permissions: sets separated by `;`, any one of which is enough; within a set,
/// `name=level` pairs separated by `,`, all needed.
pub const ACCEPTED_PERMISSIONS_HEADER: &str = "x-accepted-github-permissions";

/// How errors name the token a request carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum TokenName {
    /// No token was sent.
    #[default]
    None,
    /// A token of unknown origin.
    Unnamed,
    /// The token from this variable (`GITHUB_TOKEN`) or source (`the caller`).
    From(String),
}

impl TokenName {
    /// The token as a message names it: `` `GITHUB_TOKEN` ``, `the token`.
    fn shown(&self) -> String {
        match self {
            TokenName::None => "a request without a token".into(),
            TokenName::Unnamed => "the token".into(),
            TokenName::From(s) if is_variable(s) => format!("`{s}`"),
            TokenName::From(s) => format!("the token from {s}"),
        }
    }
}

fn is_variable(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `statuses=write; checks=write` → `` `statuses: write` or `checks: write` ``.
fn permissions_shown(header: &str) -> Option<String> {
    let sets: Vec<String> = header
        .split(';')
        .map(|set| {
            set.split(',')
                .filter_map(|p| {
                    let (name, level) = p.trim().split_once('=')?;
                    Some(format!("`{}: {}`", name.trim(), level.trim()))
                })
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!sets.is_empty()).then(|| sets.join(" or "))
}

/// What a refused request was doing, for `<token> may not <action> on <repo>`: its verb and,
/// when GitHub named the permission, what that permission guards (`create commit statuses`).
fn action(request: &str, permissions: Option<&str>, what: &str) -> String {
    let method = request.split_once(' ').map_or(request, |(m, _)| m);
    let verb = match method {
        "GET" | "HEAD" => "read",
        "POST" => "create",
        "PATCH" | "PUT" => "update",
        "DELETE" => "delete",
        _ => "use",
    };
    let guarded = permissions
        .and_then(|h| h.split([';', ',']).next())
        .and_then(|p| p.split_once('='))
        .map(|(name, _)| match name.trim() {
            "statuses" => "commit statuses".to_string(),
            "contents" => "repository contents".to_string(),
            "pull_requests" => "pull requests".to_string(),
            "checks" => "check runs".to_string(),
            "actions" => "workflow runs".to_string(),
            "workflows" => "workflow files".to_string(),
            "metadata" => "repository metadata".to_string(),
            other => other.replace('_', " "),
        });
    match guarded {
        Some(g) => format!("{verb} {g}"),
        None => format!("{verb} {what}"),
    }
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
    /// | 401 | `Unauthenticated` naming the token's source: it is missing, wrong or expired |
    /// | 403 (not a rate limit) with `x-accepted-github-permissions` | `PermissionDenied` naming the token's source, the repository and the permission it needs |
    /// | 403 (not a rate limit) | `PermissionDenied`: the token lacks a permission or the resource is protected |
    /// | other 400, 422 | `Rejected` with GitHub's message and details |
    /// | 429, 5xx (after the retries) | `Backend`, retryable |
    /// | other | `Backend`, not retryable |
    ///
    /// Every error names the backend (`github`), the request and the repository in its context,
    /// and GitHub's request id in its message. The test `the_error_table` holds this table
    /// row by row.
    pub fn into_error(self, what: &str, repo_visible: Option<bool>, token: &TokenName) -> Error {
        let code = self.status.as_u16();
        let lower = self.message.to_ascii_lowercase();
        let said = format!("{what} ({code}: {})", self.message);
        let repo = repo_of(&self.request);
        let on = repo.as_deref().unwrap_or("GitHub");
        let shown = token.shown();
        let e = match code {
            404 if repo_visible == Some(false) => Error::permission_denied(
                BACKEND,
                match token {
                    TokenName::None => format!(
                        "{what}: GitHub repository {on} does not exist, or is private and no token \
                         was sent (GitHub answers 404 for a private repository it does not show); \
                         give a token that can read it"
                    ),
                    _ => format!(
                        "{what}: GitHub repository {on} does not exist or {shown} cannot see it \
                         (GitHub answers 404 for a private repository the token has no access to); \
                         check the name, or give {shown} read access to it (`contents: read`, \
                         the App installed on it)"
                    ),
                },
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
                match token {
                    TokenName::None => format!(
                        "GitHub asked for credentials for {on} ({code}: {}) and no token was sent; \
                         set WO_GITHUB_TOKEN or GITHUB_TOKEN",
                        self.message
                    ),
                    _ => format!(
                        "GitHub rejected {shown} for {on} ({code}: {}): it is wrong, expired or \
                         revoked; give a valid token (an App installation token lasts an hour: \
                         mint it in the job that runs wo){}",
                        self.message,
                        if *token == TokenName::Unnamed {
                            " in WO_GITHUB_TOKEN or GITHUB_TOKEN"
                        } else {
                            ""
                        }
                    ),
                },
            ),
            403 => {
                let needs = self
                    .accepted_permissions
                    .as_deref()
                    .and_then(permissions_shown);
                let doing = action(&self.request, self.accepted_permissions.as_deref(), what);
                let subject = match token {
                    TokenName::From(_) => shown.clone(),
                    _ => {
                        let mut s = shown.clone();
                        s[..1].make_ascii_uppercase();
                        s
                    }
                };
                Error::permission_denied(
                    BACKEND,
                    match needs {
                        Some(needs) => format!(
                            "{subject} may not {doing} on {on}: it needs {needs} (GitHub answered \
                             {code} {}); grant it in the workflow's `permissions:` or the App \
                             installation",
                            self.message
                        ),
                        None => format!(
                            "{subject} may not {doing} on {on} (GitHub answered {code} {}): \
                             forbidden; the token lacks a permission or the resource is protected",
                            self.message
                        ),
                    },
                )
            }
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
            accepted_permissions: None,
        }
        .into_error("ref heads/dev of o/r", None, &TokenName::Unnamed)
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
                accepted_permissions: None,
            }
            .into_error("ref heads/dev of o/r", visible, &TokenName::Unnamed);
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
            accepted_permissions: None,
        };
        let e = f.clone().into_error(
            "ref heads/main of o/private",
            Some(false),
            &TokenName::From("WO_GITHUB_TOKEN".into()),
        );
        assert!(matches!(e, Error::PermissionDenied { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("o/private does not exist or `WO_GITHUB_TOKEN` cannot see it"),
            "{e}"
        );
        let e = f.into_error(
            "ref heads/main of o/private",
            Some(true),
            &TokenName::Unnamed,
        );
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

    fn refused(code: u16, request: &str, permissions: Option<&str>, token: &TokenName) -> Error {
        Failure {
            status: StatusCode::from_u16(code).unwrap(),
            message: message_of(br#"{"message":"Resource not accessible by integration"}"#),
            request: request.into(),
            request_id: None,
            accepted_permissions: permissions.map(str::to_string),
        }
        .into_error("a status of acme/shop-source", None, token)
    }

    #[test]
    fn a_refused_token_names_itself_the_repository_and_the_permission_it_needs() {
        let e = refused(
            403,
            "POST /repos/acme/shop-source/statuses/0123",
            Some("statuses=write"),
            &TokenName::From("GITHUB_TOKEN".into()),
        );
        assert!(matches!(e, Error::PermissionDenied { .. }), "{e:?}");
        assert_eq!(
            e.message(),
            "`GITHUB_TOKEN` may not create commit statuses on acme/shop-source: it needs \
             `statuses: write` (GitHub answered 403 Resource not accessible by integration); \
             grant it in the workflow's `permissions:` or the App installation"
        );
        let e = refused(
            403,
            "PATCH /repos/acme/gitops/git/refs/heads%2Fdev",
            Some("contents=write; pull_requests=write,checks=read"),
            &TokenName::From("WO_GITHUB_TOKEN_GITOPS".into()),
        );
        assert!(
            e.message().starts_with(
                "`WO_GITHUB_TOKEN_GITOPS` may not update repository contents on acme/gitops: \
                 it needs `contents: write` or `pull_requests: write` and `checks: read`"
            ),
            "{e}"
        );
        let e = refused(
            403,
            "POST /repos/acme/gitops/git/blobs",
            None,
            &TokenName::From("the caller".into()),
        );
        assert!(
            e.message()
                .starts_with("the token from the caller may not create a status of acme/shop-source on acme/gitops"),
            "without the header, what was asked: {e}"
        );
        let e = refused(
            401,
            "GET /repos/acme/x",
            None,
            &TokenName::From("WO_GITHUB_TOKEN".into()),
        );
        assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
        assert!(
            e.message()
                .starts_with("GitHub rejected `WO_GITHUB_TOKEN` for acme/x (401"),
            "{e}"
        );
        let e = refused(401, "GET /repos/acme/x", None, &TokenName::None);
        assert!(e.message().contains("no token was sent"), "{e}");
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
