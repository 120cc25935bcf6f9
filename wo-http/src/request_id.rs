//! Request ids: ours (one per logical call, kept across its retries) and the server's (named
//! in an error, so that support can find the failed answer in the service's logs).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use wo_core::Error;

/// A fresh id shaped like a version-4 UUID (`8-4-4-4-12` lowercase hex), for a client request
/// id such as ARM's `x-ms-client-request-id`: one per logical call, the same on each retry.
///
/// Unique enough to correlate logs; not a cryptographic value, so no random-number crate is
/// needed.
pub fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let word = |salt: u64| {
        // RandomState is seeded from the OS per process, so two processes never agree.
        let mut h = RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.write_u64(salt);
        h.finish()
    };
    let (a, b) = (word(1), word(2));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// The id the server gave an answer in `header` (`x-github-request-id`, `x-ms-request-id`):
/// trimmed, at most 128 visible ASCII characters, `None` when absent or not such a value (a
/// hostile server does not get to write into our errors).
pub fn server_request_id(headers: &HeaderMap, header: &str) -> Option<String> {
    let value = headers.get(header)?.to_str().ok()?.trim();
    let plain =
        !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
    plain.then(|| value.to_string())
}

/// `error` with `[<header> <id>]` appended to its message (its `what` or `message`), when the
/// server named an id: the one thing support asks for. Other variants are returned unchanged.
pub fn with_server_request_id(mut error: Error, header: &str, id: Option<&str>) -> Error {
    let Some(id) = id else {
        return error;
    };
    match &mut error {
        Error::NotFound { what: text, .. }
        | Error::AlreadyExists { what: text, .. }
        | Error::Precondition { what: text, .. }
        | Error::Unsupported { what: text, .. }
        | Error::Unauthenticated { message: text, .. }
        | Error::PermissionDenied { message: text, .. }
        | Error::Rejected { message: text, .. }
        | Error::Backend { message: text, .. } => {
            text.push_str(&format!(" [{header} {id}]"));
        }
        _ => {}
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_fresh_and_uuid_shaped() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{a}");
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(&a[14..15], "4", "version 4");
    }

    #[test]
    fn server_ids_are_read_plainly_and_named_in_errors() {
        let mut h = HeaderMap::new();
        assert_eq!(server_request_id(&h, "x-ms-request-id"), None);
        h.insert(
            "x-github-request-id",
            " 0400:1F2E:3A4B5C:6D7E8F ".parse().unwrap(),
        );
        h.insert("x-ms-request-id", "has space".parse().unwrap());
        let id = server_request_id(&h, "x-github-request-id");
        assert_eq!(id.as_deref(), Some("0400:1F2E:3A4B5C:6D7E8F"));
        assert_eq!(server_request_id(&h, "x-ms-request-id"), None);

        let e = with_server_request_id(
            Error::backend("github", "502 bad gateway").retryable(true),
            "x-github-request-id",
            id.as_deref(),
        );
        assert!(e.is_retryable());
        assert!(
            e.to_string()
                .contains("502 bad gateway [x-github-request-id 0400:1F2E:3A4B5C:6D7E8F]"),
            "{e}"
        );
        let e =
            with_server_request_id(Error::not_found("target t1"), "x-ms-request-id", Some("r1"));
        assert!(
            matches!(&e, Error::NotFound { what, .. } if what == "target t1 [x-ms-request-id r1]")
        );
        let e = with_server_request_id(Error::not_found("t"), "x-ms-request-id", None);
        assert!(matches!(&e, Error::NotFound { what, .. } if what == "t"));
    }
}
