//! Opening a repository from a location: the one place a location picks its backend.
//!
//! | location | backend |
//! |---|---|
//! | `github://owner/repo`, `<GITHUB_SERVER_URL>/owner/repo[.git]` (default `https://github.com/…`) | the GitHub REST API (feature `github`) |
//! | a local path (work tree or bare repository), `file://`, `git://`, `http://` | git (feature `git`) |
//!
//! ```no_run
//! use wo::credentials::Credentials;
//! use wo::repository::Repository;
//!
//! # async fn demo() -> wo::core::Result<()> {
//! let credentials = Credentials::from_env();
//! let platform = Repository::open("github://acme/platform-config", &credentials, "/var/cache/wo".as_ref())?;
//! let head = platform.config().head("dev").await?;
//! # let _ = head; Ok(()) }
//! ```

use std::path::Path;
use std::sync::Arc;

use wo_core::ports::{ConfigChanges, GitOpsRepo, SourceRepo};
use wo_core::Result;

use crate::credentials::Credentials;
use crate::settings::Role;

/// Where a location points, before anything is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A repository on the GitHub REST API: `owner/name`.
    GitHub(String),
    /// A git repository: a local path or a `file://`, `git://` or `http://` URL.
    Git(String),
}

impl Address {
    /// Classifies `location`; `github_server` is the GitHub server whose URLs are GitHub
    /// repositories (`https://github.com`).
    pub fn parse(location: &str, github_server: &str) -> Address {
        let server = format!("{}/", github_server.trim_end_matches('/'));
        let github_name = location
            .strip_prefix("github://")
            .or_else(|| location.strip_prefix(server.as_str()));
        match github_name {
            Some(name) => Address::GitHub(
                name.trim_end_matches('/')
                    .trim_end_matches(".git")
                    .trim_end_matches('/')
                    .to_string(),
            ),
            None => Address::Git(location.to_string()),
        }
    }
}

/// A repository, opened on its backend. Cheap to clone.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Repository {
    /// On git.
    #[cfg(feature = "git")]
    Git(wo_git::GitRepo),
    /// On the GitHub REST API.
    #[cfg(feature = "github")]
    GitHub(wo_github::repos::GitHubRepo),
}

impl Repository {
    /// Opens `location` (see the [module](self) for the forms) with `credentials`; clones of
    /// network git remotes are kept under `cache` (in `cache/git`).
    ///
    /// Nothing is contacted yet: a repository that does not exist or cannot be reached is
    /// reported by the first operation.
    ///
    /// # Errors
    /// [`Invalid`](wo_core::Error::Invalid) for a location that is neither (`https://` on
    /// another host, a bad `owner/name`); [`Unsupported`](wo_core::Error::Unsupported) for a
    /// backend this build leaves out.
    ///
    /// A GitHub repository gets the token [`Credentials::github_for`] picks for it without a
    /// role; the solution's repositories are opened with [`open_as`](Self::open_as).
    pub fn open(location: &str, credentials: &Credentials, cache: &Path) -> Result<Repository> {
        open_with(None, location, credentials, cache)
    }

    /// Opens `location`, the solution's repository of `role`, as [`open`](Self::open) does; a
    /// GitHub repository gets the token for that role and repository
    /// ([`Credentials::github_for`]: `WO_GITHUB_TOKEN_<ROLE>`, the job's `GITHUB_TOKEN` for
    /// its own repository, `WO_GITHUB_TOKEN`…), which its errors name.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_as(
        role: Role,
        location: &str,
        credentials: &Credentials,
        cache: &Path,
    ) -> Result<Repository> {
        open_with(Some(role), location, credentials, cache)
    }

    /// The repository as a [`SourceRepo`].
    pub fn source(&self) -> Arc<dyn SourceRepo> {
        match self {
            #[cfg(feature = "git")]
            Repository::Git(r) => Arc::new(wo_git::GitSourceRepo::new(r.clone())),
            #[cfg(feature = "github")]
            Repository::GitHub(r) => Arc::new(wo_github::repos::GitHubSourceRepo::new(r.clone())),
        }
    }

    /// The repository as a config repo ([`ConfigChanges`], which is also a
    /// [`ConfigStore`](wo_core::ports::ConfigStore)).
    pub fn config(&self) -> Arc<dyn ConfigChanges> {
        match self {
            #[cfg(feature = "git")]
            Repository::Git(r) => Arc::new(wo_git::GitConfigStore::new(r.clone())),
            #[cfg(feature = "github")]
            Repository::GitHub(r) => Arc::new(wo_github::repos::GitHubConfigStore::new(r.clone())),
        }
    }

    /// The repository as a [`GitOpsRepo`].
    pub fn gitops(&self) -> Arc<dyn GitOpsRepo> {
        match self {
            #[cfg(feature = "git")]
            Repository::Git(r) => Arc::new(wo_git::GitOpsGitRepo::new(r.clone())),
            #[cfg(feature = "github")]
            Repository::GitHub(r) => Arc::new(wo_github::repos::GitHubGitOpsRepo::new(r.clone())),
        }
    }
}

fn open_with(
    role: Option<Role>,
    location: &str,
    credentials: &Credentials,
    cache: &Path,
) -> Result<Repository> {
    match Address::parse(location, credentials.github_server_url()) {
        Address::GitHub(name) => open_github(&name, role, credentials),
        Address::Git(location) => open_git(&location, cache),
    }
}

#[cfg(feature = "github")]
fn open_github(name: &str, role: Option<Role>, credentials: &Credentials) -> Result<Repository> {
    Ok(Repository::GitHub(wo_github::repos::GitHubRepo::parse(
        credentials.github_for(role, name)?,
        name,
    )?))
}

#[cfg(not(feature = "github"))]
fn open_github(name: &str, _role: Option<Role>, _credentials: &Credentials) -> Result<Repository> {
    Err(wo_core::Error::unsupported(format!(
        "GitHub repository {name}: this build of wo has no GitHub backend (feature `github`)"
    )))
}

#[cfg(feature = "git")]
fn open_git(location: &str, cache: &Path) -> Result<Repository> {
    Ok(Repository::Git(
        wo_git::GitRepo::open(location)?.with_cache_dir(cache.join("git")),
    ))
}

#[cfg(not(feature = "git"))]
fn open_git(location: &str, _cache: &Path) -> Result<Repository> {
    Err(wo_core::Error::unsupported(format!(
        "git repository {location}: this build of wo has no git backend (feature `git`)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_locations_are_recognised_on_the_configured_server() {
        let gh = "https://github.com";
        assert_eq!(
            Address::parse("github://acme/shop", gh),
            Address::GitHub("acme/shop".into())
        );
        assert_eq!(
            Address::parse("https://github.com/acme/shop.git", gh),
            Address::GitHub("acme/shop".into())
        );
        assert_eq!(
            Address::parse(
                "https://ghe.example.com/acme/shop",
                "https://ghe.example.com/"
            ),
            Address::GitHub("acme/shop".into())
        );
        for git in [
            "/srv/git/shop.git",
            "file:///srv/git/shop.git",
            "git://127.0.0.1/x.git",
            "https://gitlab.example.com/acme/shop.git",
        ] {
            assert_eq!(Address::parse(git, gh), Address::Git(git.into()), "{git}");
        }
    }
}
