//! Strings that must never be printed: tokens and client secrets.

use std::fmt;

/// Shortest secret that [`redact`] replaces: a secret of a few characters (a test's `x`) would
/// match ordinary words and mangle the message; real tokens are 40 characters or more.
pub const MIN_REDACTED_LEN: usize = 8;

/// A secret string. `Debug` and `Display` print `<redacted>`; read it with
/// [`Secret::expose`] only where it is sent.
///
/// ```
/// let token = wo_http::Secret::new("ghs_s3cretT0kenValue");
/// assert_eq!(format!("{token} {token:?}"), "<redacted> <redacted>");
/// assert_eq!(token.redact("Bad credentials: Bearer ghs_s3cretT0kenValue"), "Bad credentials: Bearer ***");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of this secret replaced by `***` (see [`redact`]).
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

/// `text` with every occurrence of `secret` replaced by `***`: for answers that echo a
/// credential back (a hostile or buggy server), before they become part of an error. Secrets
/// shorter than [`MIN_REDACTED_LEN`] are left alone (see there).
pub fn redact(text: &str, secret: &str) -> String {
    if secret.len() >= MIN_REDACTED_LEN && text.contains(secret) {
        text.replace(secret, "***")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_and_is_scrubbed_from_text() {
        let s = Secret::from("tok-S3CRET-value".to_string());
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(s.expose(), "tok-S3CRET-value");
        assert_eq!(
            s.redact("bearer tok-S3CRET-value and tok-S3CRET-value"),
            "bearer *** and ***"
        );
        assert_eq!(Secret::from("x").redact("x marks"), "x marks", "too short");
        assert_eq!(
            redact("abcdefgh", "abcdefgh"),
            "***",
            "8 characters are enough"
        );
        assert_eq!(redact("abcdefg", "abcdefg"), "abcdefg");
    }
}
