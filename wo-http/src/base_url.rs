//! The API root of a backend, checked once when its client is built.

use reqwest::Url;
use wo_core::{Error, Location, Result};

/// `raw` as an API root: `http` or `https`, a host, no query, fragment or credentials; the path
/// is kept (GitHub Enterprise Server's `/api/v3`) without its trailing slash, so
/// `https://ghe.example/api/v3/` and `https://ghe.example/api/v3` are the same root.
///
/// `setting` names where the value came from (`GITHUB_API_URL`, `WO_ARM_URL/--arm-url`): it is
/// the file of the error's diagnostic.
///
/// # Errors
/// [`Error::Invalid`] naming `setting` and what is wrong.
///
/// ```
/// let root = wo_http::base_url("https://ghe.example/api/v3/", "GITHUB_API_URL")?;
/// assert_eq!(root.as_str(), "https://ghe.example/api/v3");
/// assert_eq!(wo_http::base_url("https://api.github.com", "GITHUB_API_URL")?.path(), "/");
/// assert!(wo_http::base_url("ftp://x", "GITHUB_API_URL").is_err());
/// # Ok::<(), wo_core::Error>(())
/// ```
pub fn base_url(raw: &str, setting: &str) -> Result<Url> {
    let invalid = |m: String| Error::invalid(Location::file(setting), m);
    // Printed scrubbed: a malformed URL may still hold `user:password@`.
    let trimmed = &crate::scrub(raw.trim());
    let url = Url::parse(raw.trim().trim_end_matches('/'))
        .map_err(|e| invalid(format!("`{trimmed}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(format!("`{trimmed}` is not an http(s) URL")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "`{trimmed}` has a query or fragment; give the API root only"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Not echoed: the credentials would be printed with it.
        return Err(invalid(
            "the URL holds credentials; give them as a token, not in the URL".to_string(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_keep_their_path_without_a_trailing_slash() {
        let ok = |raw: &str| base_url(raw, "S").expect(raw).to_string();
        assert_eq!(ok("https://api.github.com"), "https://api.github.com/");
        assert_eq!(ok("https://api.github.com/"), "https://api.github.com/");
        assert_eq!(
            ok(" https://ghe.example/api/v3/ "),
            "https://ghe.example/api/v3"
        );
        assert_eq!(
            ok("https://ghe.example/api/v3"),
            "https://ghe.example/api/v3"
        );
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080/");
    }

    #[test]
    fn anything_else_is_invalid_naming_the_setting() {
        for raw in [
            "ftp://x",
            "not a url",
            "",
            "file:///tmp/x",
            "https://x/api?per_page=1",
            "https://x/#top",
            "https://user:pw@x/",
        ] {
            let e = base_url(raw, "WO_ARM_URL/--arm-url").unwrap_err();
            assert!(e.is_invalid_input(), "{raw}: {e:?}");
            assert_eq!(e.diagnostics()[0].location.file, "WO_ARM_URL/--arm-url");
        }
        let e = base_url("https://user:pw@x/", "S").unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}
