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

use std::collections::BTreeMap;
use std::fmt;
#[cfg(feature = "azure")]
use std::sync::Arc;

use crate::settings::Role;

/// The default GitHub server (`GITHUB_SERVER_URL`).
pub const DEFAULT_GITHUB_SERVER: &str = "https://github.com";

/// The source named for a token given with [`Credentials::with_github_token`].
pub const CALLER: &str = "the caller";

/// The variable of the GitHub token for the repository of `role`: `WO_GITHUB_TOKEN_SOURCE`,
/// `WO_GITHUB_TOKEN_CONFIG`, `WO_GITHUB_TOKEN_PLATFORM`, `WO_GITHUB_TOKEN_GITOPS`.
pub fn github_token_variable(role: Role) -> &'static str {
    match role {
        Role::Source => "WO_GITHUB_TOKEN_SOURCE",
        Role::Config => "WO_GITHUB_TOKEN_CONFIG",
        Role::Platform => "WO_GITHUB_TOKEN_PLATFORM",
        Role::Gitops => "WO_GITHUB_TOKEN_GITOPS",
    }
}

/// A GitHub token and where it came from (a variable, or [`CALLER`]).
#[derive(Clone)]
struct Token {
    value: String,
    source: String,
}

impl Token {
    fn new(value: impl Into<String>, source: impl Into<String>) -> Option<Token> {
        let value = value.into();
        (!value.trim().is_empty()).then(|| Token {
            value: value.trim().to_string(),
            source: source.into(),
        })
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, from {}>", self.source)
    }
}

/// Credentials and servers. `Debug` never shows a token.
///
/// # Which GitHub token a repository gets
///
/// A workflow usually holds two tokens: its own `GITHUB_TOKEN`, good for the repository the
/// workflow runs in (`GITHUB_REPOSITORY`), and a GitHub App installation token minted for the
/// other repositories of the solution (`WO_GITHUB_TOKEN`). Each repository gets the first of
/// ([`github_for`](Self::github_for)):
///
/// 1. the token for its role: [`with_github_token_for`](Self::with_github_token_for), or
///    `WO_GITHUB_TOKEN_SOURCE`, `WO_GITHUB_TOKEN_CONFIG`, `WO_GITHUB_TOKEN_PLATFORM`,
///    `WO_GITHUB_TOKEN_GITOPS` (or the variable the settings' `githubTokens` names for it);
/// 2. the token given with [`with_github_token`](Self::with_github_token), for every
///    repository;
/// 3. `GITHUB_TOKEN` when the repository is `GITHUB_REPOSITORY` (`owner/name`, any case);
/// 4. `WO_GITHUB_TOKEN`;
/// 5. `GITHUB_TOKEN`.
///
/// ```
/// use wo::credentials::Credentials;
/// use wo::settings::Role;
///
/// let c = Credentials::default()
///     .with_github_app_token("ghs_app")
///     .with_github_job_token("ghs_job", "acme/shop-source")
///     .with_github_token_for(Role::Gitops, "ghs_gitops");
/// let source = |role, repo| c.github_token_source_for(Some(role), repo);
/// assert_eq!(source(Role::Source, "Acme/Shop-Source"), Some("GITHUB_TOKEN"));
/// assert_eq!(source(Role::Config, "acme/shop-config"), Some("WO_GITHUB_TOKEN"));
/// assert_eq!(source(Role::Gitops, "acme/shop-gitops"), Some("WO_GITHUB_TOKEN_GITOPS"));
/// assert!(!format!("{c:?}").contains("ghs_"), "tokens never show");
/// ```
#[derive(Clone, Default)]
pub struct Credentials {
    /// Per role: `WO_GITHUB_TOKEN_<ROLE>`, or given.
    github_role_tokens: BTreeMap<Role, Token>,
    /// Given for every repository ([`Credentials::with_github_token`]).
    github_token: Option<Token>,
    /// `WO_GITHUB_TOKEN`: an App installation token for the solution's repositories.
    github_app_token: Option<Token>,
    /// `GITHUB_TOKEN`: the job's own token.
    github_job_token: Option<Token>,
    /// `GITHUB_REPOSITORY`: where the job's token acts.
    github_repository: Option<String>,
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
            .field("github_role_tokens", &self.github_role_tokens)
            .field("github_token", &self.github_token)
            .field("github_app_token", &self.github_app_token)
            .field("github_job_token", &self.github_job_token)
            .field("github_repository", &self.github_repository)
            .field("github_api_url", &self.github_api_url)
            .field("github_server_url", &self.github_server_url)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// What the environment gives:
    ///
    /// - GitHub: the tokens `WO_GITHUB_TOKEN_<ROLE>` (per role: `SOURCE`, `CONFIG`,
    ///   `PLATFORM`, `GITOPS`), `WO_GITHUB_TOKEN` (a GitHub App installation token for the
    ///   repositories across an organisation) and `GITHUB_TOKEN` (a workflow's own, for
    ///   `GITHUB_REPOSITORY`), each repository getting the one that can act there (see
    ///   [which token](Self#which-github-token-a-repository-gets)); the API root
    ///   `GITHUB_API_URL` (GitHub Enterprise Server) and the server `GITHUB_SERVER_URL`, as
    ///   GitHub Actions sets them; `WO_GITHUB_ACCEPT` overrides the `Accept` header (tests
    ///   through a validating proxy). Empty values count as unset.
    /// - Azure: nothing is read here; the credential is found in the environment when a
    ///   deploy first needs one (see [`wo_azure::arm::credential_from_env`]), unless one is
    ///   given with [`with_azure`](Self::with_azure).
    pub fn from_env() -> Credentials {
        Credentials::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading each variable through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Credentials {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let token = |name: &str| var(name).and_then(|t| Token::new(t, name));
        let github_role_tokens = [Role::Source, Role::Config, Role::Platform, Role::Gitops]
            .into_iter()
            .filter_map(|role| Some((role, token(github_token_variable(role))?)))
            .collect();
        Credentials {
            github_role_tokens,
            github_token: None,
            github_app_token: token("WO_GITHUB_TOKEN"),
            github_job_token: token("GITHUB_TOKEN"),
            github_repository: var("GITHUB_REPOSITORY").map(|r| r.trim().to_string()),
            github_api_url: var("GITHUB_API_URL"),
            github_server_url: var("GITHUB_SERVER_URL"),
            github_accept: var("WO_GITHUB_ACCEPT"),
            #[cfg(feature = "azure")]
            azure: None,
        }
    }

    /// The same credentials with this GitHub token for every repository that has no token of
    /// its role (the one-token setup: a personal access token, a token a tool holds). Errors
    /// name it as [`CALLER`]'s.
    pub fn with_github_token(mut self, token: impl Into<String>) -> Self {
        self.github_token = Token::new(token, CALLER);
        self
    }

    /// The same credentials with this GitHub token for the repository of `role`, before any
    /// other, as [`github_token_variable`] gives it (errors name that variable). An empty
    /// token removes the role's.
    pub fn with_github_token_for(self, role: Role, token: impl Into<String>) -> Self {
        self.with_github_token_from(role, github_token_variable(role), token)
    }

    /// As [`with_github_token_for`](Self::with_github_token_for), the token read from the
    /// variable `variable` (the settings' `githubTokens`), which errors name.
    pub fn with_github_token_from(
        mut self,
        role: Role,
        variable: &str,
        token: impl Into<String>,
    ) -> Self {
        match Token::new(token, variable) {
            Some(t) => self.github_role_tokens.insert(role, t),
            None => self.github_role_tokens.remove(&role),
        };
        self
    }

    /// The same credentials with this GitHub App installation token (as `WO_GITHUB_TOKEN`
    /// gives it) for the repositories without a token of their own.
    pub fn with_github_app_token(mut self, token: impl Into<String>) -> Self {
        self.github_app_token = Token::new(token, "WO_GITHUB_TOKEN");
        self
    }

    /// The same credentials with a workflow job's own token (as `GITHUB_TOKEN` gives it) and
    /// the repository it runs in (as `GITHUB_REPOSITORY`: `owner/name`).
    pub fn with_github_job_token(
        mut self,
        token: impl Into<String>,
        repository: impl Into<String>,
    ) -> Self {
        self.github_job_token = Token::new(token, "GITHUB_TOKEN");
        let repository: String = repository.into();
        self.github_repository = Some(repository.trim().to_string()).filter(|r| !r.is_empty());
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

    /// Where the token for no repository in particular comes from ([`CALLER`],
    /// `WO_GITHUB_TOKEN`, `GITHUB_TOKEN`): the one [`github`](Self::github) sends.
    pub fn github_token_source(&self) -> Option<&str> {
        self.default_token().map(|t| t.source.as_str())
    }

    /// Where the token for `repository` (`owner/name`) of `role` comes from:
    /// `WO_GITHUB_TOKEN_GITOPS`, [`CALLER`], `GITHUB_TOKEN`, `WO_GITHUB_TOKEN`, or the variable
    /// the settings named; `None` when there is none (public reads only). For messages about a
    /// refused token.
    pub fn github_token_source_for(&self, role: Option<Role>, repository: &str) -> Option<&str> {
        self.token_for(role, repository).map(|t| t.source.as_str())
    }

    /// The token for `repository` of `role`, by the
    /// [order](Self#which-github-token-a-repository-gets).
    fn token_for(&self, role: Option<Role>, repository: &str) -> Option<&Token> {
        let bare = |r: &str| r.trim().trim_end_matches(".git").to_string();
        let own = self
            .github_repository
            .as_deref()
            .is_some_and(|r| bare(r).eq_ignore_ascii_case(&bare(repository)));
        role.and_then(|r| self.github_role_tokens.get(&r))
            .or(self.github_token.as_ref())
            .or(self.github_job_token.as_ref().filter(|_| own))
            .or(self.github_app_token.as_ref())
            .or(self.github_job_token.as_ref())
    }

    /// The token for no repository in particular: the caller's, else `WO_GITHUB_TOKEN`, else
    /// `GITHUB_TOKEN`.
    fn default_token(&self) -> Option<&Token> {
        self.github_token
            .as_ref()
            .or(self.github_app_token.as_ref())
            .or(self.github_job_token.as_ref())
    }

    /// A GitHub client with the token for no repository in particular (the caller's, else
    /// `WO_GITHUB_TOKEN`, else `GITHUB_TOKEN`), for callers with one token. Repositories are
    /// opened with [`github_for`](Self::github_for).
    ///
    /// # Errors
    /// As [`wo_github::client::GitHubBuilder::build`].
    #[cfg(feature = "github")]
    pub fn github(&self) -> wo_core::Result<wo_github::client::GitHub> {
        self.client(self.default_token())
    }

    /// A GitHub client for `repository` (`owner/name`) of `role` (`None`: a repository outside
    /// a solution's four), with the token that can act there (see
    /// [which token](Self#which-github-token-a-repository-gets)); its errors name the token's
    /// variable.
    ///
    /// # Errors
    /// As [`wo_github::client::GitHubBuilder::build`].
    #[cfg(feature = "github")]
    pub fn github_for(
        &self,
        role: Option<Role>,
        repository: &str,
    ) -> wo_core::Result<wo_github::client::GitHub> {
        self.client(self.token_for(role, repository))
    }

    #[cfg(feature = "github")]
    fn client(&self, token: Option<&Token>) -> wo_core::Result<wo_github::client::GitHub> {
        let mut b = wo_github::client::GitHub::builder();
        if let Some(url) = &self.github_api_url {
            b = b.base_url(url.clone());
        }
        if let Some(token) = token {
            b = b
                .token(token.value.clone())
                .token_source(token.source.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Credentials {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Credentials::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn each_repository_gets_the_token_that_can_act_there() {
        let c = env(&[
            ("WO_GITHUB_TOKEN", "ghs_app"),
            ("GITHUB_TOKEN", "ghs_job"),
            ("GITHUB_REPOSITORY", "Acme/Shop-Source"),
            ("WO_GITHUB_TOKEN_PLATFORM", "ghp_platform"),
            ("WO_GITHUB_TOKEN_CONFIG", "  "),
        ]);
        let from = |role, repo| c.github_token_source_for(role, repo);
        assert_eq!(
            from(Some(Role::Source), "acme/shop-source"),
            Some("GITHUB_TOKEN"),
            "the job's own repository, named in any case"
        );
        assert_eq!(
            from(None, "acme/shop-source.git"),
            Some("GITHUB_TOKEN"),
            "a location ending in .git is the same repository"
        );
        assert_eq!(
            from(Some(Role::Config), "acme/shop-config"),
            Some("WO_GITHUB_TOKEN"),
            "the App's token for the others (an empty role variable counts as unset)"
        );
        assert_eq!(
            from(Some(Role::Platform), "acme/platform-config"),
            Some("WO_GITHUB_TOKEN_PLATFORM")
        );
        assert_eq!(
            from(Some(Role::Platform), "acme/shop-source"),
            Some("WO_GITHUB_TOKEN_PLATFORM"),
            "the role's token first, even in the job's repository"
        );
        assert_eq!(c.github_token_source(), Some("WO_GITHUB_TOKEN"));

        let job_only = env(&[("GITHUB_TOKEN", "ghs_job"), ("GITHUB_REPOSITORY", "a/b")]);
        assert_eq!(
            job_only.github_token_source_for(Some(Role::Gitops), "a/gitops"),
            Some("GITHUB_TOKEN"),
            "without an App token, the job's for every repository (as before)"
        );
        let caller = job_only.clone().with_github_token("t");
        assert_eq!(
            caller.github_token_source_for(Some(Role::Source), "a/b"),
            Some(CALLER)
        );
        let role = caller.with_github_token_for(Role::Source, "s");
        assert_eq!(
            role.github_token_source_for(Some(Role::Source), "a/b"),
            Some("WO_GITHUB_TOKEN_SOURCE")
        );
        assert_eq!(env(&[]).github_token_source_for(None, "a/b"), None);
    }

    #[test]
    fn debug_never_shows_a_token() {
        let c = env(&[
            ("WO_GITHUB_TOKEN", "ghs_app_secret"),
            ("GITHUB_TOKEN", "ghs_job_secret"),
            ("WO_GITHUB_TOKEN_GITOPS", "ghs_gitops_secret"),
        ])
        .with_github_token("ghp_caller_secret")
        .with_github_token_from(Role::Source, "SHOP_SOURCE_TOKEN", "ghs_named_secret");
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("SHOP_SOURCE_TOKEN"), "{shown}");
    }
}
