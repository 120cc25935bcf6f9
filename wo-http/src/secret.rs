//! Strings that must never be printed: tokens and client secrets, by value ([`Secret`],
//! [`redact`]) and by shape ([`scrub`]).

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

/// The parameters whose values [`scrub`] replaces: OAuth2 form and query fields, and the
/// usual names of passwords and signatures in URLs.
pub const SECRET_PARAMETERS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "access_token",
    "refresh_token",
    "id_token",
    "assertion",
    "password",
    "sig",
];

/// `text` with every credential that has a recognisable shape replaced by `***`, whatever its
/// length and whoever it belongs to: for messages a service or a tool wrote (ARM errors, token
/// endpoint descriptions, git's words) before they become part of an error or are printed.
///
/// | shape | becomes |
/// |---|---|
/// | `Bearer <token>`, `Basic <token>` (any case) | `Bearer ***` |
/// | `client_secret=…`, `access_token=…`, `refresh_token=…`, `id_token=…`, `client_assertion=…`, `assertion=…`, `password=…`, `sig=…` in a form, a query or text, also URL-encoded (`client_secret%3D…`) | `client_secret=***` |
/// | the same names as JSON members (`"access_token": "…"`) | `"access_token": "***"` |
/// | a password in a URL's userinfo, `scheme://user:pw@host` | `scheme://user:***@host` |
///
/// A value ends at whitespace, `&`, a quote, `,`, `;`, `<`, `>`, `)` or `\`. A user name
/// without a password (`ssh://git@host`) is kept. Applying it twice changes nothing more.
///
/// ```
/// use wo_http::scrub;
/// assert_eq!(scrub("echo: Authorization: Bearer eyJ0.eXAi.sig"), "echo: Authorization: Bearer ***");
/// assert_eq!(
///     scrub("AADSTS7000215: grant_type=client_credentials&client_secret=a%7Eb.c&scope=x"),
///     "AADSTS7000215: grant_type=client_credentials&client_secret=***&scope=x"
/// );
/// assert_eq!(scrub("fetch http://me:pw@git.example/r.git failed"), "fetch http://me:***@git.example/r.git failed");
/// assert_eq!(scrub(r#"{"access_token": "abc"}"#), r#"{"access_token": "***"}"#);
/// ```
pub fn scrub(text: &str) -> String {
    let mut out = text.to_string();
    for scheme in ["bearer ", "basic "] {
        out = replace_values(&out, scheme, true);
    }
    for name in SECRET_PARAMETERS {
        for needle in [
            format!("{name}="),
            format!("{name}%3d"),
            format!("\"{name}\":\""),
            format!("\"{name}\": \""),
        ] {
            out = replace_values(&out, &needle, false);
        }
    }
    scrub_userinfo(&out)
}

/// Whether `b` ends a credential value.
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace() || b"&\"',;<>)\\".contains(&b)
}

/// `text` with the value after each (ASCII case-insensitive) `needle` replaced by `***`.
/// `word`: the needle must start a word (`Bearer`, not `xbearer`).
fn replace_values(text: &str, needle: &str, word: bool) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(needle) {
        let at = from + found;
        let start = at + needle.len();
        from = start;
        let boundary = at == 0 || {
            let before = bytes[at - 1];
            !(before.is_ascii_alphanumeric() || before == b'_' || (word && before == b'-'))
        };
        if !boundary {
            continue;
        }
        let mut end = start;
        while end < bytes.len() && !ends_value(bytes[end]) {
            end += 1;
        }
        if end == start {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str("***");
        copied = end;
        from = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `text` with the password of every `scheme://user:password@host` replaced by `***`.
fn scrub_userinfo(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let start = from + found + 3;
        let mut end = start;
        while end < bytes.len() && !ends_value(bytes[end]) && !b"/?#".contains(&bytes[end]) {
            end += 1;
        }
        from = end.max(start);
        let authority = &text[start..end];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let Some(colon) = authority[..at].find(':') else {
            continue;
        };
        if authority[colon + 1..at] == *"***" || colon + 1 == at {
            continue;
        }
        out.push_str(&text[copied..start + colon + 1]);
        out.push_str("***");
        copied = start + at;
    }
    out.push_str(&text[copied..]);
    out
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

    /// Each shape of the table of [`scrub`], whatever the secret's length.
    #[test]
    fn scrub_replaces_every_credential_shape() {
        let rows: &[(&str, &str)] = &[
            ("Authorization: Bearer x", "Authorization: Bearer ***"),
            (
                "authorization: bearer eyJ0.a-b_c.d~e",
                "authorization: bearer ***",
            ),
            ("BEARER abc, then more", "BEARER ***, then more"),
            ("Basic dXNlcjpwdw==", "Basic ***"),
            (
                "client_id=c&client_secret=s%7Ep&scope=x",
                "client_id=c&client_secret=***&scope=x",
            ),
            ("body: client_secret%3Dabc%26x", "body: client_secret%3D***"),
            ("CLIENT_SECRET=abc def", "CLIENT_SECRET=*** def"),
            (
                "?access_token=t1&refresh_token=t2",
                "?access_token=***&refresh_token=***",
            ),
            (
                "id_token=j;client_assertion=k",
                "id_token=***;client_assertion=***",
            ),
            ("my_client_secret=abc", "my_client_secret=abc"),
            (
                r#"{"refresh_token":"abc","x":1}"#,
                r#"{"refresh_token":"***","x":1}"#,
            ),
            (r#"{"password": "pw"}"#, r#"{"password": "***"}"#),
            (
                "https://a.blob/x?sv=1&sig=AbC%2B",
                "https://a.blob/x?sv=1&sig=***",
            ),
            ("http://user:pw@host/r.git", "http://user:***@host/r.git"),
            (
                "remote 'https://u:p%40ss@h:8080/x' and ssh://git@h/y",
                "remote 'https://u:***@h:8080/x' and ssh://git@h/y",
            ),
            ("http://host:8080/x", "http://host:8080/x"),
            ("nothing here", "nothing here"),
            ("", ""),
            ("Bearer", "Bearer"),
            ("ünïcode Bearer tök ✓", "ünïcode Bearer *** ✓"),
        ];
        for (text, want) in rows {
            assert_eq!(scrub(text), *want, "{text}");
            assert_eq!(scrub(&scrub(text)), *want, "idempotent: {text}");
        }
    }
}
