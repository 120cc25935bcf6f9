//! Registry answers mapped onto [`wo_core::Error`]'s semantic variants.

use oci_client::errors::{OciDistributionError, OciErrorCode};
use wo_core::Error;
use wo_http::Secret;

use crate::BACKEND;

/// The [`Error`] for a failure of `operation` (`pull manifest`, `push blob`) on `what`
/// (`oci://127.0.0.1:5000/charts/shop:1.2.0`).
///
/// | failure | error |
/// |---|---|
/// | 401, `UNAUTHORIZED`, a token endpoint that refuses the credentials | `Unauthenticated`: the credentials are missing, wrong or expired |
/// | 403, `DENIED` | `PermissionDenied`: the credentials may not do this |
/// | 404, `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `NAME_UNKNOWN`, `NOT_FOUND` | `NotFound { what }` |
/// | 429, `TOOMANYREQUESTS`, 5xx | `Backend`, retryable |
/// | 400, 405, 409, 413, 422, other distribution codes (`NAME_INVALID`, `TAG_INVALID`, `MANIFEST_INVALID`, `DIGEST_INVALID`, `SIZE_INVALID`, `UNSUPPORTED`, …) | `Rejected` with the registry's message |
/// | a digest that does not match the content | `Backend`, not retryable |
/// | connection refused, timeouts | `Backend`, retryable |
/// | other | `Backend`, not retryable |
///
/// Every error names the backend (`oci`), the operation and the reference in its context.
/// Messages pass through [`wo_http::scrub`], so a credential echoed by a registry is not
/// shown. The test `the_error_table` holds this table row by row.
pub fn map_error(e: OciDistributionError, operation: &str, what: &str) -> Error {
    map_error_redacting(e, operation, what, &[])
}

/// [`map_error`], with the `secrets` wo sent (a password, a refresh token) redacted from the
/// message whatever their shape.
pub(crate) fn map_error_redacting(
    e: OciDistributionError,
    operation: &str,
    what: &str,
    secrets: &[Secret],
) -> Error {
    let mut said = wo_http::scrub(&e.to_string());
    for secret in secrets {
        said = secret.redact(&said);
    }
    let unauthenticated = || {
        Error::unauthenticated(
            BACKEND,
            format!(
                "the registry refused the credentials for {what} ({said}); log in with \
                 `helm registry login`, or set WO_REGISTRY_USERNAME and WO_REGISTRY_PASSWORD"
            ),
        )
    };
    let denied = || {
        Error::permission_denied(
            BACKEND,
            format!("{what}: the credentials may not do this ({said})"),
        )
    };
    let e2 = match &e {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => unauthenticated(),
        OciDistributionError::RegistryError { envelope, .. } => {
            let code = envelope.errors.first().map(|e| &e.code);
            match code {
                Some(OciErrorCode::Unauthorized) => unauthenticated(),
                Some(OciErrorCode::Denied) => denied(),
                Some(
                    OciErrorCode::ManifestUnknown
                    | OciErrorCode::BlobUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::NotFound,
                ) => Error::not_found(format!("{what} ({said})")),
                Some(OciErrorCode::Toomanyrequests) => {
                    Error::backend(BACKEND, format!("{what}: {said}")).retryable(true)
                }
                _ => Error::rejected(BACKEND, format!("{what}: {said}")),
            }
        }
        OciDistributionError::ServerError { code, .. } => match code {
            401 => unauthenticated(),
            403 => denied(),
            404 => Error::not_found(format!("{what} ({said})")),
            400 | 405 | 409 | 413 | 422 => Error::rejected(BACKEND, format!("{what}: {said}")),
            c => Error::backend(BACKEND, format!("{what}: {said}"))
                .retryable(*c == 429 || (500..600).contains(c)),
        },
        OciDistributionError::ImageManifestNotFoundError(_) => {
            Error::not_found(format!("{what} ({said})"))
        }
        OciDistributionError::RequestError(r) => {
            let transient = r.is_timeout() || r.is_connect() || r.is_request();
            Error::backend(BACKEND, format!("{what}: {said}")).retryable(transient)
        }
        OciDistributionError::DigestError(_) => Error::backend(
            BACKEND,
            format!("{what}: the content does not match its digest ({said})"),
        ),
        _ => Error::backend(BACKEND, format!("{what}: {said}")),
    };
    // The oci-client error is not kept as the source: its text is unscrubbed, and an error
    // reporter that prints the chain would show what the message leaves out.
    e2.with_backend(BACKEND)
        .with_operation(operation.to_string())
        .with_repository(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_client::errors::{OciEnvelope, OciError};
    use wo_core::ErrorKind;

    fn envelope(code: &str) -> OciDistributionError {
        let envelope: OciEnvelope = serde_json::from_str(&format!(
            r#"{{"errors":[{{"code":"{code}","message":"m-{code}"}}]}}"#
        ))
        .unwrap();
        let _: &OciError = &envelope.errors[0];
        OciDistributionError::RegistryError {
            envelope,
            url: "http://h/v2/x".into(),
        }
    }

    fn server(code: u16) -> OciDistributionError {
        OciDistributionError::ServerError {
            code,
            url: "http://h/v2/x".into(),
            message: "said".into(),
        }
    }

    #[test]
    fn the_error_table() {
        let rows: Vec<(OciDistributionError, ErrorKind, bool)> = vec![
            (server(401), ErrorKind::Unauthenticated, false),
            (
                OciDistributionError::UnauthorizedError { url: "u".into() },
                ErrorKind::Unauthenticated,
                false,
            ),
            (
                OciDistributionError::AuthenticationFailure("bad password".into()),
                ErrorKind::Unauthenticated,
                false,
            ),
            (envelope("UNAUTHORIZED"), ErrorKind::Unauthenticated, false),
            (server(403), ErrorKind::PermissionDenied, false),
            (envelope("DENIED"), ErrorKind::PermissionDenied, false),
            (server(404), ErrorKind::NotFound, false),
            (envelope("MANIFEST_UNKNOWN"), ErrorKind::NotFound, false),
            (envelope("BLOB_UNKNOWN"), ErrorKind::NotFound, false),
            (envelope("NAME_UNKNOWN"), ErrorKind::NotFound, false),
            (envelope("NOT_FOUND"), ErrorKind::NotFound, false),
            (server(429), ErrorKind::Backend, true),
            (envelope("TOOMANYREQUESTS"), ErrorKind::Backend, true),
            (server(500), ErrorKind::Backend, true),
            (server(503), ErrorKind::Backend, true),
            (server(400), ErrorKind::Rejected, false),
            (server(405), ErrorKind::Rejected, false),
            (server(409), ErrorKind::Rejected, false),
            (server(413), ErrorKind::Rejected, false),
            (server(422), ErrorKind::Rejected, false),
            (envelope("NAME_INVALID"), ErrorKind::Rejected, false),
            (envelope("TAG_INVALID"), ErrorKind::Rejected, false),
            (envelope("MANIFEST_INVALID"), ErrorKind::Rejected, false),
            (envelope("DIGEST_INVALID"), ErrorKind::Rejected, false),
            (envelope("SIZE_INVALID"), ErrorKind::Rejected, false),
            (envelope("UNSUPPORTED"), ErrorKind::Rejected, false),
            (envelope("SOMETHING_NEW"), ErrorKind::Rejected, false),
            (
                OciDistributionError::ImageManifestNotFoundError("x".into()),
                ErrorKind::NotFound,
                false,
            ),
            (server(302), ErrorKind::Backend, false),
            (
                OciDistributionError::RegistryNoLocationError,
                ErrorKind::Backend,
                false,
            ),
        ];
        for (failure, kind, retryable) in rows {
            let label = format!("{failure:?}");
            let e = map_error(failure, "pull manifest", "oci://h/charts/shop:1.0.0");
            assert_eq!(
                (e.kind(), e.is_retryable()),
                (kind, retryable),
                "{label}: {e}"
            );
            let context = e.context().expect("context");
            assert_eq!(context.backend.as_deref(), Some(BACKEND), "{label}");
            assert_eq!(
                context.operation.as_deref(),
                Some("pull manifest"),
                "{label}"
            );
            assert!(
                e.to_string().contains("oci://h/charts/shop:1.0.0"),
                "{label}: {e}"
            );
        }
    }

    #[test]
    fn credentials_echoed_by_a_registry_are_scrubbed() {
        let e = map_error(
            OciDistributionError::AuthenticationFailure(
                "invalid: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXZhbHVl.c2ln"
                    .into(),
            ),
            "auth",
            "oci://h/c",
        );
        assert!(!e.to_string().contains("c2VjcmV0LXRva2VuLXZhbHVl"), "{e}");
        assert!(std::error::Error::source(&e).is_none());
        let e = map_error_redacting(
            OciDistributionError::AuthenticationFailure("no such user u/plain-password-1".into()),
            "auth",
            "oci://h/c",
            &[Secret::new("plain-password-1")],
        );
        assert!(!e.to_string().contains("plain-password-1"), "{e}");
    }
}
