//! `oci://host[:port]/path/name[:tag]`: where a chart lives in a registry.

use std::fmt;

use wo_core::{Error, Location, Result};

/// The scheme Helm writes OCI chart references with.
pub const OCI_SCHEME: &str = "oci://";

/// A chart in an OCI registry: `oci://127.0.0.1:5000/charts/shop:1.2.0`.
///
/// The host is a DNS name or IP address with an optional port (`[::1]:5000` for IPv6); the
/// repository is the distribution spec's lowercase path (`charts/shop`: components of
/// `a-z 0-9` joined by `.`, `_`, `__` or `-`, separated by `/`); the tag, when given, is an
/// OCI tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, so SemVer build metadata `+…` is not one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]`.
    pub host: String,
    /// `charts/shop`.
    pub repository: String,
    /// The tag (the chart version), when the reference names one.
    pub tag: Option<String>,
}

impl Reference {
    /// Parses `oci://host[:port]/path/name[:tag]` (the `oci://` prefix is required, as in
    /// Helm).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the reference and what is wrong with it: another scheme, no
    /// repository, an invalid host, repository or tag, a digest (`@sha256:…`; wo names charts
    /// by version).
    ///
    /// ```
    /// use wo_oci::Reference;
    ///
    /// let r = Reference::parse("oci://127.0.0.1:5000/charts/shop:1.2.0").unwrap();
    /// assert_eq!((r.host.as_str(), r.repository.as_str()), ("127.0.0.1:5000", "charts/shop"));
    /// assert_eq!(r.tag.as_deref(), Some("1.2.0"));
    /// assert!(Reference::parse("https://ghcr.io/acme/shop").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Reference> {
        let Some(rest) = text.strip_prefix(OCI_SCHEME) else {
            return Err(invalid(text, "an OCI chart reference starts with oci://"));
        };
        if rest.contains('@') {
            return Err(invalid(
                text,
                "a digest (@sha256:…) is not supported here; name the chart version as a tag",
            ));
        }
        let Some((host, path)) = rest.split_once('/') else {
            return Err(invalid(text, "no repository after the host"));
        };
        check_host(host).map_err(|m| invalid(text, &m))?;
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) => (repo, Some(tag)),
            None => (path, None),
        };
        check_repository(repository).map_err(|m| invalid(text, &m))?;
        if let Some(tag) = tag {
            check_tag(tag).map_err(|m| invalid(text, &m))?;
        }
        Ok(Reference {
            host: host.to_string(),
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
        })
    }

    /// The reference without its tag: `oci://host/charts/shop`, what `helm pull` takes with
    /// `--version`.
    pub fn untagged(&self) -> String {
        format!("{OCI_SCHEME}{}/{}", self.host, self.repository)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.untagged())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        Ok(())
    }
}

/// Whether `host` (without a port) is a loopback name: `localhost`, `127.0.0.0/8`, `::1`.
pub fn is_loopback(host: &str) -> bool {
    let name = strip_port(host);
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn strip_port(host: &str) -> &str {
    if let Some(end) = host.strip_prefix('[').and_then(|h| h.find(']')) {
        return &host[..end + 2];
    }
    host.split_once(':').map_or(host, |(h, _)| h)
}

pub(crate) fn invalid(reference: &str, message: &str) -> Error {
    Error::invalid(
        Location::file("<oci reference>"),
        format!("`{reference}`: {message}"),
    )
}

/// Checks `host[:port]`.
pub(crate) fn check_host(host: &str) -> std::result::Result<(), String> {
    if host.is_empty() {
        return Err("no registry host".into());
    }
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return Err(format!("host `{host}`: `[` without `]`"));
        };
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("host `{host}`: `{ip}` is not an IPv6 address"));
        }
        match after {
            "" => (ip, None),
            p => match p.strip_prefix(':') {
                Some(p) => (ip, Some(p)),
                None => return Err(format!("host `{host}`: unexpected `{p}` after `]`")),
            },
        }
    } else {
        match host.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    if !host.starts_with('[') {
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if name.is_empty() || !name.split('.').all(label_ok) {
            return Err(format!("`{name}` is not a host name or IP address"));
        }
    }
    if let Some(port) = port {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("`{port}` is not a port (1-65535)"));
        }
    }
    Ok(())
}

/// Checks a repository path against the distribution spec's grammar.
pub(crate) fn check_repository(repository: &str) -> std::result::Result<(), String> {
    if repository.is_empty() {
        return Err("no repository after the host".into());
    }
    if repository.len() > 255 {
        return Err("the repository is longer than 255 characters".into());
    }
    for component in repository.split('/') {
        if !component_ok(component) {
            return Err(format!(
                "`{repository}` is not a repository name: each `/`-separated part is lowercase \
                 letters and digits, joined by `.`, `_`, `__` or dashes"
            ));
        }
    }
    Ok(())
}

fn component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

/// Checks an OCI tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub(crate) fn check_tag(tag: &str) -> std::result::Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        && tag
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else if tag.contains('+') {
        Err(format!(
            "`{tag}` is not an OCI tag: `+` (SemVer build metadata) is not allowed in a tag"
        ))
    } else {
        Err(format!(
            "`{tag}` is not an OCI tag (letters, digits, `_`, `.`, `-`; at most 128; not \
             starting with `.` or `-`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_references_parse() {
        let cases = [
            ("oci://ghcr.io/acme/shop", "ghcr.io", "acme/shop", None),
            (
                "oci://127.0.0.1:5000/charts/shop:1.2.0-wo.g3f2a9c1b7d4e",
                "127.0.0.1:5000",
                "charts/shop",
                Some("1.2.0-wo.g3f2a9c1b7d4e"),
            ),
            (
                "oci://localhost/a/b/c_d__e.f-g--h",
                "localhost",
                "a/b/c_d__e.f-g--h",
                None,
            ),
            ("oci://[::1]:5000/shop:v1", "[::1]:5000", "shop", Some("v1")),
            (
                "oci://myacr.azurecr.io/helm/shop:1",
                "myacr.azurecr.io",
                "helm/shop",
                Some("1"),
            ),
        ];
        for (text, host, repo, tag) in cases {
            let r = Reference::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (r.host.as_str(), r.repository.as_str(), r.tag.as_deref()),
                (host, repo, tag),
                "{text}"
            );
            assert_eq!(r.to_string(), text);
        }
    }

    #[test]
    fn bad_references_say_what_is_wrong() {
        let cases = [
            ("https://ghcr.io/acme/shop", "starts with oci://"),
            ("ghcr.io/acme/shop", "starts with oci://"),
            ("oci://ghcr.io", "no repository"),
            ("oci://ghcr.io/", "no repository"),
            ("oci:///acme/shop", "no registry host"),
            ("oci://ghcr.io:0/acme", "not a port"),
            ("oci://ghcr.io:99999/acme", "not a port"),
            ("oci://gh_cr.io/acme", "not a host name"),
            ("oci://[::1/acme", "without `]`"),
            ("oci://[nope]:1/acme", "not an IPv6 address"),
            ("oci://ghcr.io/Acme/shop", "not a repository name"),
            ("oci://ghcr.io/acme//shop", "not a repository name"),
            ("oci://ghcr.io/acme/shop-", "not a repository name"),
            ("oci://ghcr.io/acme/shop:1.0.0+build.1", "`+`"),
            ("oci://ghcr.io/acme/shop:.hidden", "not an OCI tag"),
            ("oci://ghcr.io/acme/shop:", "not an OCI tag"),
            ("oci://ghcr.io/acme/shop@sha256:abcd", "digest"),
        ];
        for (text, needle) in cases {
            let e = Reference::parse(text).expect_err(text);
            let m = e.to_string();
            assert!(e.is_invalid_input(), "{text}: {m}");
            assert!(m.contains(needle), "{text}: {m}");
            assert!(m.contains(text), "{text}: {m}");
        }
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "localhost",
            "LOCALHOST:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[fe80::1]:80",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
