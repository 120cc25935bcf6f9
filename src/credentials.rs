//! The credentials and servers wo reaches services with: from the environment, as GitHub
//! Actions and the Azure CLI leave them, or given explicitly.
//!
//! ```
//! use wo::credentials::Credentials;
//!
//! let c = Credentials::default()
//!     .with_github_token("ghs_example")
//!     .with_github_api_url("https://ghe.example.com/api/v3");
//! assert!(!format!("{c:?}").contains("ghs_example"), "tokens never show");
//! ```

use std::fmt;
#[cfg(feature = "azure")]
use std::sync::Arc;

/// The default GitHub server (`GITHUB_SERVER_URL`).
pub const DEFAULT_GITHUB_SERVER: &str = "https://github.com";

/// Credentials and servers. `Debug` never shows a token.
#[derive(Clone, Default)]
pub struct Credentials {
    github_token: Option<String>,
    github_token_source: Option<&'static str>,
    github_api_url: Option<String>,
    github_server_url: Option<String>,
    #[cfg_attr(not(feature = "github"), allow(dead_code))]
    github_accept: Option<String>,
    #[cfg(feature = "azure")]
    azure: Option<Arc<dyn wo_azure::arm::TokenCredential>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field(
                "github_token",
                &self.github_token.as_ref().map(|_| "<redacted>"),
            )
            .field("github_token_source", &self.github_token_source)
            .field("github_api_url", &self.github_api_url)
            .field("github_server_url", &self.github_server_url)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// What the environment gives:
    ///
    /// - GitHub: the token in `WO_GITHUB_TOKEN` (a GitHub App installation token for the
    ///   repositories across an organisation), else `GITHUB_TOKEN` (a workflow's own); the API
    ///   root `GITHUB_API_URL` (GitHub Enterprise Server) and the server `GITHUB_SERVER_URL`,
    ///   as GitHub Actions sets them; `WO_GITHUB_ACCEPT` overrides the `Accept` header (tests
    ///   through a validating proxy).
    /// - Azure: nothing is read here; the credential is found in the environment when a
    ///   deploy first needs one (see [`wo_azure::arm::credential_from_env`]), unless one is
    ///   given with [`with_azure`](Self::with_azure).
    pub fn from_env() -> Credentials {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let (github_token, github_token_source) = match var("WO_GITHUB_TOKEN") {
            Some(t) => (Some(t), Some("WO_GITHUB_TOKEN")),
            None => match var("GITHUB_TOKEN") {
                Some(t) => (Some(t), Some("GITHUB_TOKEN")),
                None => (None, None),
            },
        };
        Credentials {
            github_token,
            github_token_source,
            github_api_url: var("GITHUB_API_URL"),
            github_server_url: var("GITHUB_SERVER_URL"),
            github_accept: var("WO_GITHUB_ACCEPT"),
            #[cfg(feature = "azure")]
            azure: None,
        }
    }

    /// The same credentials with this GitHub token.
    pub fn with_github_token(mut self, token: impl Into<String>) -> Self {
        self.github_token = Some(token.into());
        self.github_token_source = Some("the caller");
        self
    }

    /// The same credentials with this GitHub API root (`https://<host>/api/v3` for GitHub
    /// Enterprise Server; default `https://api.github.com`).
    pub fn with_github_api_url(mut self, url: impl Into<String>) -> Self {
        self.github_api_url = Some(url.into());
        self
    }

    /// The same credentials with this GitHub server, whose repository URLs open on the
    /// GitHub API (default `https://github.com`).
    pub fn with_github_server_url(mut self, url: impl Into<String>) -> Self {
        self.github_server_url = Some(url.into());
        self
    }

    /// The same credentials with this Azure credential instead of the environment's.
    #[cfg(feature = "azure")]
    pub fn with_azure(mut self, credential: Arc<dyn wo_azure::arm::TokenCredential>) -> Self {
        self.azure = Some(credential);
        self
    }

    /// The GitHub server whose repository URLs open on the GitHub API.
    pub fn github_server_url(&self) -> &str {
        self.github_server_url
            .as_deref()
            .unwrap_or(DEFAULT_GITHUB_SERVER)
            .trim_end_matches('/')
    }

    /// Where the GitHub token came from (`WO_GITHUB_TOKEN`, `GITHUB_TOKEN`, `the caller`), for
    /// messages about a refused token.
    pub fn github_token_source(&self) -> Option<&'static str> {
        self.github_token_source
    }

    /// A GitHub client with these credentials.
    ///
    /// # Errors
    /// As [`wo_github::client::GitHubBuilder::build`].
    #[cfg(feature = "github")]
    pub fn github(&self) -> wo_core::Result<wo_github::client::GitHub> {
        let mut b = wo_github::client::GitHub::builder();
        if let Some(url) = &self.github_api_url {
            b = b.base_url(url.clone());
        }
        if let Some(token) = &self.github_token {
            b = b.token(token.clone());
        }
        if let Some(accept) = &self.github_accept {
            b = b.accept(accept.clone());
        }
        b.build()
    }

    /// The Azure credential given with [`with_azure`](Self::with_azure); `None`: the
    /// environment's is used.
    #[cfg(feature = "azure")]
    pub fn azure(&self) -> Option<Arc<dyn wo_azure::arm::TokenCredential>> {
        self.azure.clone()
    }
}
