//! Where a repository is, and how a backend reaches it: the one place a location string turns
//! into a backend mode.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wo_core::{Error, Location, Result};

use crate::hook::RefUpdateHook;
use crate::lock::DEFAULT_STALE_LOCK_AFTER;

/// Where a git repository is.
///
/// [`GitLocation::parse`] is the one place a location string is read: anything with a
/// `scheme://` is a URL, anything else is a path on this machine.
///
/// ```
/// use wo_git::GitLocation;
///
/// assert!(matches!(GitLocation::parse("/srv/git/shop.git")?, GitLocation::Path(_)));
/// assert!(matches!(GitLocation::parse("git://127.0.0.1:9418/shop.git")?, GitLocation::Url(_)));
/// assert!(GitLocation::parse("https://example.invalid/shop.git").is_err()); // no TLS built in
/// # Ok::<(), wo_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum GitLocation {
    /// A repository on this machine, a work tree (`.git` inside) or a bare one. The backend
    /// reads and writes its objects and refs directly; the checked-out files and the index are
    /// never touched.
    Path(PathBuf),
    /// A remote repository (`file://`, `git://`, `http://`). The backend keeps a private bare
    /// cache clone, fetches the refs it needs before each read and pushes after each write.
    Url(String),
}

/// Shows a URL as [`Display`](fmt::Display) does, its userinfo (`user:password@`) redacted.
impl fmt::Debug for GitLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitLocation::Path(p) => f.debug_tuple("Path").field(p).finish(),
            GitLocation::Url(u) => f.debug_tuple("Url").field(&redact_userinfo(u)).finish(),
        }
    }
}

/// `text` with the userinfo of every URL in it (`http://user:password@host/…`, a token as the
/// user) replaced by `***`: a location is named in errors and messages, its credentials never.
///
/// Local to this crate (libgit2 messages may carry the URL too); anything up to the last `@`
/// of a URL's authority is userinfo.
pub(crate) fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // The authority ends at the path, the query, the fragment or whatever ends the URL.
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#')
                    || c.is_whitespace()
                    || matches!(c, '`' | '\'' | '"' | '<' | '>')
            })
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                out.push_str(&tail[userinfo..end]);
            }
            None => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// URL schemes the vendored libgit2 of this crate speaks (it is built without TLS and SSH).
const SCHEMES: [&str; 3] = ["file", "git", "http"];

impl GitLocation {
    /// Reads a location: a URL when it has a `scheme://`, else a local path.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty location; see [`GitLocation::from_url`] for URLs.
    pub fn parse(location: &str) -> Result<Self> {
        let location = location.trim();
        if location.is_empty() {
            return Err(Error::invalid(
                Location::file("<git location>"),
                "empty repository location",
            ));
        }
        if location.contains("://") {
            Self::from_url(location)
        } else {
            Ok(GitLocation::Path(PathBuf::from(location)))
        }
    }

    /// A URL location.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `url` has no `scheme://`; [`Error::Unsupported`] for a scheme
    /// other than `file`, `git` and `http` (`https` and `ssh` need a TLS or SSH stack this
    /// crate does not build).
    pub fn from_url(url: &str) -> Result<Self> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(Error::invalid(
                Location::file("<git location>"),
                format!("`{}` is not a URL (no `scheme://`)", redact_userinfo(url)),
            ));
        };
        let scheme = scheme.to_ascii_lowercase();
        if !SCHEMES.contains(&scheme.as_str()) {
            return Err(Error::unsupported(format!(
                "git remote `{}`: scheme `{scheme}` (wo-git speaks {})",
                redact_userinfo(url),
                SCHEMES.join(", ")
            )));
        }
        if rest.is_empty() {
            return Err(Error::invalid(
                Location::file("<git location>"),
                format!("`{}` names no repository", redact_userinfo(url)),
            ));
        }
        Ok(GitLocation::Url(url.to_string()))
    }

    /// A local path location.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        GitLocation::Path(path.into())
    }
}

impl fmt::Display for GitLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitLocation::Path(p) => write!(f, "{}", p.display()),
            GitLocation::Url(u) => f.write_str(&redact_userinfo(u)),
        }
    }
}

/// A git repository as the backends of this crate reach it: its [`GitLocation`], where a
/// remote's cache clone lives, and how often a lost compare-and-swap is retried.
///
/// Cheap to clone; the three port types ([`GitSourceRepo`](crate::GitSourceRepo),
/// [`GitConfigStore`](crate::GitConfigStore), [`GitOpsGitRepo`](crate::GitOpsGitRepo)) are
/// made from one.
///
/// ```
/// use wo_git::{GitRepo, GitSourceRepo};
///
/// let repo = GitRepo::open("git://127.0.0.1:9418/shop.git")?.with_cache_dir("/tmp/wo-cache");
/// assert!(repo.cache_path()?.unwrap().starts_with("/tmp/wo-cache"));
/// let _source = GitSourceRepo::new(repo);
/// # Ok::<(), wo_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct GitRepo {
    pub(crate) location: GitLocation,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) attempts: u32,
    pub(crate) stale_lock_after: Duration,
    pub(crate) ref_update_hook: Option<RefUpdateHook>,
}

/// Default number of tries of a compare-and-swap write that keeps losing to other writers.
pub const DEFAULT_ATTEMPTS: u32 = 16;

impl GitRepo {
    /// A repository at `location` ([`GitLocation::parse`]), default options.
    ///
    /// # Errors
    /// As [`GitLocation::parse`].
    pub fn open(location: &str) -> Result<Self> {
        Ok(Self::new(GitLocation::parse(location)?))
    }

    /// A repository at `location`, default options: the cache under the system cache dir and
    /// [`DEFAULT_ATTEMPTS`] tries per compare-and-swap write.
    pub fn new(location: GitLocation) -> Self {
        Self {
            location,
            cache_dir: None,
            attempts: DEFAULT_ATTEMPTS,
            stale_lock_after: DEFAULT_STALE_LOCK_AFTER,
            ref_update_hook: None,
        }
    }

    /// Keeps the cache clones of remote repositories in `dir` (one bare repository per URL,
    /// named by a hash of the URL). Ignored for local paths.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Tries a compare-and-swap write (a status, a change record) at most `attempts` times
    /// (at least once) when other writers keep moving the ref.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Removes a ref's lock file older than `after` even while a process holds it open (a
    /// killed writer's; see [the rule](crate#stale-lock-files)). Default
    /// [`DEFAULT_STALE_LOCK_AFTER`](crate::DEFAULT_STALE_LOCK_AFTER).
    pub fn with_stale_lock_after(mut self, after: Duration) -> Self {
        self.stale_lock_after = after;
        self
    }

    /// Calls `hook` before every ref update; an error from it stops the operation there, as
    /// if the process had died before that write ([`RefUpdateHook`]). For fault-injection
    /// tests.
    pub fn with_ref_update_hook(
        mut self,
        hook: impl Fn(&str) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.ref_update_hook = Some(RefUpdateHook::new(hook));
        self
    }

    /// Where the repository is.
    pub fn location(&self) -> &GitLocation {
        &self.location
    }

    /// The cache clone of a URL location (`None` for a local path).
    ///
    /// # Errors
    /// [`Error::Backend`] when the URL cannot be hashed (libgit2 failure).
    pub fn cache_path(&self) -> Result<Option<PathBuf>> {
        let GitLocation::Url(url) = &self.location else {
            return Ok(None);
        };
        let oid = git2::Oid::hash_object(git2::ObjectType::Blob, url.as_bytes()).map_err(|e| {
            Error::backend(
                "git",
                format!("hashing `{}` for its cache: {e}", redact_userinfo(url)),
            )
        })?;
        let hex = oid.to_string();
        let dir = self.cache_dir.clone().unwrap_or_else(default_cache_dir);
        Ok(Some(dir.join(format!("{}.git", &hex[..20]))))
    }
}

/// `$XDG_CACHE_HOME/wo/git`, `~/.cache/wo/git` (`%LOCALAPPDATA%\wo\git` on Windows), or the
/// temp dir when none of those is set.
fn default_cache_dir() -> PathBuf {
    let from_env = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        from_env("LOCALAPPDATA")
    } else {
        from_env("XDG_CACHE_HOME").or_else(|| from_env("HOME").map(|h| h.join(".cache")))
    };
    base.unwrap_or_else(std::env::temp_dir)
        .join(Path::new("wo").join("git"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted_in_messages() {
        for (text, shown) in [
            ("http://user:pw@host/x.git", "http://***@host/x.git"),
            ("git://tok@host:9418/x", "git://***@host:9418/x"),
            ("http://a:b@c@host", "http://***@host"),
            ("http://host/a@b", "http://host/a@b"),
            ("/srv/git/a@b.git", "/srv/git/a@b.git"),
            (
                "fetching from `http://u:s3cret@h/x` failed; see http://v:t0ken@h/y?q=1",
                "fetching from `http://***@h/x` failed; see http://***@h/y?q=1",
            ),
        ] {
            assert_eq!(redact_userinfo(text), shown, "{text}");
        }
        let location = GitLocation::parse("http://user:s3cret@127.0.0.1:1/shop.git").expect("url");
        assert_eq!(location.to_string(), "http://***@127.0.0.1:1/shop.git");
        assert!(!format!("{location:?}").contains("s3cret"));
        let unsupported =
            GitLocation::parse("https://user:s3cret@example.invalid/x.git").expect_err("no TLS");
        assert!(!unsupported.to_string().contains("s3cret"), "{unsupported}");
    }

    #[test]
    fn locations_are_chosen_in_one_place() {
        assert_eq!(
            GitLocation::parse("./repo").unwrap(),
            GitLocation::Path("./repo".into())
        );
        assert_eq!(
            GitLocation::parse("file:///srv/x.git").unwrap(),
            GitLocation::Url("file:///srv/x.git".into())
        );
        assert!(matches!(
            GitLocation::parse("ssh://host/x"),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(GitLocation::parse(" "), Err(Error::Invalid(_))));
        assert!(matches!(
            GitLocation::from_url("/srv/x"),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn cache_paths_are_keyed_by_url() {
        let a = GitRepo::open("git://127.0.0.1:1/a.git")
            .unwrap()
            .with_cache_dir("/c");
        let b = GitRepo::open("git://127.0.0.1:1/b.git")
            .unwrap()
            .with_cache_dir("/c");
        let (pa, pb) = (a.cache_path().unwrap(), b.cache_path().unwrap());
        assert_ne!(pa, pb);
        assert_eq!(pa, a.cache_path().unwrap(), "stable");
        assert!(pa.unwrap().starts_with("/c"));
        assert_eq!(GitRepo::open("/x").unwrap().cache_path().unwrap(), None);
    }
}
