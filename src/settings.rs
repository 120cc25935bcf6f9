//! Where the repositories of a solution are and how to reach Workload Orchestration: the
//! settings every flow starts from.
//!
//! The same keys come from three places, in this order of precedence: flags (the CLI's),
//! the environment ([`Settings::from_env`]), and a settings file ([`Settings::from_file`],
//! default `./wo.yaml`). [`Settings::or`] layers them:
//!
//! ```
//! use wo::settings::Settings;
//!
//! let flags = Settings { gitops: Some("/srv/git/shop-gitops.git".into()), ..Settings::default() };
//! let file = Settings::parse(
//!     "apiVersion: wo/v1\nkind: Settings\nsource: github://acme/shop\ngitops: /elsewhere\n",
//!     "wo.yaml",
//! )?;
//! let s = flags.or(file);
//! assert_eq!(s.source.as_deref(), Some("github://acme/shop"));
//! assert_eq!(s.gitops.as_deref(), Some("/srv/git/shop-gitops.git"));
//! # Ok::<(), wo::core::Error>(())
//! ```
//!
//! The settings file:
//!
//! ```yaml
//! apiVersion: wo/v1
//! kind: Settings
//! source: github://acme/shop                      # a repository: path, file://, git://, http://,
//! config: github://acme/shop-config               #   github://owner/repo or a GitHub URL
//! platform: github://acme/platform-config
//! gitops: github://acme/shop-gitops
//! firstEnvironment: dev
//! githubTokens:                                   # per repository, the variable holding its
//!   source: SHOP_SOURCE_TOKEN                     #   GitHub token (never a token here; default
//!                                                 #   WO_GITHUB_TOKEN_SOURCE, …: see Credentials)
//! cache: /var/cache/wo                            # clones of network remotes
//! azure:                                          # Azure Workload Orchestration
//!   resourceGroup: /subscriptions/<id>/resourceGroups/shop
//!   location: westeurope                          # default eastus
//!   url: https://management.azure.com             # the default
//!   concurrency: 16                               # targets at once, default 8
//!   customLocation: /subscriptions/<id>/resourceGroups/shop/providers/Microsoft.ExtendedLocation/customLocations/{target}
//!                                                 # of targets `wo fleet apply` onboards
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use wo_core::{Error, Location, Result};

/// The default settings file, read when it exists in the current directory.
pub const SETTINGS_FILE: &str = "wo.yaml";

/// One of a solution's repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The solution's source repo (app, or platform control plane).
    Source,
    /// The app config repo (for the Platform solution, the platform config repo).
    Config,
    /// The platform config repo (`fleet.yaml` per environment branch).
    Platform,
    /// The solution's gitops repo.
    Gitops,
}

impl Role {
    /// The settings key, which is also the flag (`--source`) and the variable's suffix
    /// (`WO_SOURCE`).
    pub fn key(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Config => "config",
            Role::Platform => "platform",
            Role::Gitops => "gitops",
        }
    }

    /// The environment variable (`WO_SOURCE`, …).
    pub fn variable(self) -> &'static str {
        match self {
            Role::Source => "WO_SOURCE",
            Role::Config => "WO_CONFIG",
            Role::Platform => "WO_PLATFORM",
            Role::Gitops => "WO_GITOPS",
        }
    }
}

/// Where and how to reach Workload Orchestration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AzureSettings {
    /// The ARM endpoint (default `https://management.azure.com`).
    pub url: Option<String>,
    /// `/subscriptions/<id>/resourceGroups/<name>`: where schemas and solution templates are
    /// made, and where targets without an orchestrator id in the fleet are looked up.
    pub resource_group: Option<String>,
    /// The Azure location of the resources wo makes (default `eastus`).
    pub location: Option<String>,
    /// Targets deployed at once (default 8).
    pub concurrency: Option<usize>,
    /// Shortest wait between polls of a long-running operation (default 1 s; simulators and
    /// tests go lower).
    pub poll: Option<Duration>,
    /// The custom location (Arc-enabled cluster) of the targets `wo fleet apply` onboards: an
    /// ARM id in which `{target}` stands for the target's name,
    /// `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ExtendedLocation/customLocations/{target}`.
    pub custom_location: Option<String>,
}

impl AzureSettings {
    /// The fields of `self`, and where `self` has none, those of `other`.
    pub fn or(self, other: AzureSettings) -> AzureSettings {
        AzureSettings {
            url: self.url.or(other.url),
            resource_group: self.resource_group.or(other.resource_group),
            location: self.location.or(other.location),
            concurrency: self.concurrency.or(other.concurrency),
            poll: self.poll.or(other.poll),
            custom_location: self.custom_location.or(other.custom_location),
        }
    }
}

/// The repositories of one solution and how to deploy it. Every field is optional here; the
/// flows say which they need ([`Settings::repository`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The source repo.
    pub source: Option<String>,
    /// The config repo.
    pub config: Option<String>,
    /// The platform config repo.
    pub platform: Option<String>,
    /// The gitops repo.
    pub gitops: Option<String>,
    /// The first environment of the promotion chain (default `dev`).
    pub first_environment: Option<String>,
    /// Where clones of network remotes are kept (default `wo` under the user's cache dir).
    pub cache: Option<PathBuf>,
    /// The OCI registry charts are published to for the orchestrator (see
    /// [`crate::charts`] for the forms: `oci://myacr.azurecr.io/charts`, `http://127.0.0.1:5000`
    /// for a local one). Unset: no chart is packaged or published.
    pub registry: Option<String>,
    /// Workload Orchestration.
    pub azure: AzureSettings,
    /// Per repository, the environment variable that holds its GitHub token (`githubTokens:`
    /// in the settings file), read when the repository is opened; before
    /// `WO_GITHUB_TOKEN_<ROLE>` and the others ([`Credentials`](crate::credentials::Credentials)).
    pub github_tokens: BTreeMap<Role, String>,
}

/// The settings file's content.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SettingsFile {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    config: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    gitops: Option<String>,
    #[serde(default)]
    first_environment: Option<String>,
    #[serde(default)]
    cache: Option<PathBuf>,
    #[serde(default)]
    registry: Option<String>,
    #[serde(default)]
    azure: Option<AzureFile>,
    #[serde(default)]
    github_tokens: Option<GitHubTokensFile>,
}

/// The `githubTokens:` section of the settings file: variable names, per repository.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GitHubTokensFile {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    config: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    gitops: Option<String>,
}

/// The `azure:` section of the settings file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AzureFile {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    resource_group: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    concurrency: Option<usize>,
    #[serde(default)]
    custom_location: Option<String>,
}

impl Settings {
    /// The settings the environment gives: `WO_SOURCE`, `WO_CONFIG`, `WO_PLATFORM`,
    /// `WO_GITOPS`, `WO_FIRST_ENV`, `WO_CACHE`, `WO_REGISTRY`, `WO_ARM_URL`, `WO_RESOURCE_GROUP`,
    /// `WO_AZURE_LOCATION`, `WO_CONCURRENCY`, `WO_CUSTOM_LOCATION` (empty values count as
    /// unset).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the variable when `WO_CONCURRENCY` is not a whole number.
    pub fn from_env() -> Result<Settings> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let concurrency = match var("WO_CONCURRENCY") {
            Some(v) => Some(v.trim().parse().map_err(|_| {
                Error::invalid(
                    Location::file("<environment>").with_key("WO_CONCURRENCY"),
                    format!("`{}` is not a whole number", v.escape_debug()),
                )
            })?),
            None => None,
        };
        Ok(Settings {
            source: var(Role::Source.variable()),
            config: var(Role::Config.variable()),
            platform: var(Role::Platform.variable()),
            gitops: var(Role::Gitops.variable()),
            first_environment: var("WO_FIRST_ENV"),
            cache: var("WO_CACHE").map(PathBuf::from),
            registry: var("WO_REGISTRY"),
            azure: AzureSettings {
                url: var("WO_ARM_URL"),
                resource_group: var("WO_RESOURCE_GROUP"),
                location: var("WO_AZURE_LOCATION"),
                concurrency,
                poll: None,
                custom_location: var("WO_CUSTOM_LOCATION"),
            },
            github_tokens: BTreeMap::new(),
        })
    }

    /// Reads a settings file (`apiVersion: wo/v1`, `kind: Settings`; both optional).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Invalid`] naming the file, key and line
    /// for malformed YAML, unknown keys or a wrong `apiVersion`/`kind`.
    pub fn from_file(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Settings::parse(&text, &path.display().to_string())
    }

    /// Parses the text of a settings file; `file` names it in errors.
    ///
    /// # Errors
    /// As [`Settings::from_file`].
    pub fn parse(text: &str, file: &str) -> Result<Settings> {
        let s: SettingsFile = wo_core::yaml::from_str(text, file)?;
        if s.api_version
            .as_deref()
            .is_some_and(|v| v != wo_core::format::API_VERSION)
        {
            return Err(Error::invalid(
                Location::file(file).with_key("apiVersion"),
                "expected `wo/v1`",
            ));
        }
        if s.kind.as_deref().is_some_and(|k| k != "Settings") {
            return Err(Error::invalid(
                Location::file(file).with_key("kind"),
                "expected `Settings`",
            ));
        }
        let azure = s.azure.unwrap_or_default();
        let tokens = s.github_tokens.unwrap_or_default();
        let mut github_tokens = BTreeMap::new();
        for (role, variable) in [
            (Role::Source, tokens.source),
            (Role::Config, tokens.config),
            (Role::Platform, tokens.platform),
            (Role::Gitops, tokens.gitops),
        ] {
            let Some(variable) = variable else { continue };
            let key = format!("githubTokens.{}", role.key());
            let variable = variable.trim().to_string();
            if looks_like_a_token(&variable) {
                return Err(Error::invalid(
                    Location::file(file).with_key(key),
                    "this is a token, not the name of a variable: never put a token in the settings file; put it in a secret, pass it to wo in an environment variable and name that variable here",
                ));
            }
            let valid = variable.bytes().enumerate().all(|(i, b)| {
                b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit())
            });
            if variable.is_empty() || !valid {
                return Err(Error::invalid(
                    Location::file(file).with_key(key),
                    format!(
                        "`{}` is not the name of an environment variable (letters, digits, `_`)",
                        variable.escape_debug()
                    ),
                ));
            }
            github_tokens.insert(role, variable);
        }
        Ok(Settings {
            source: s.source,
            config: s.config,
            platform: s.platform,
            gitops: s.gitops,
            first_environment: s.first_environment,
            cache: s.cache,
            registry: s.registry,
            azure: AzureSettings {
                url: azure.url,
                resource_group: azure.resource_group,
                location: azure.location,
                concurrency: azure.concurrency,
                poll: None,
                custom_location: azure.custom_location,
            },
            github_tokens,
        })
    }

    /// The settings file `path`, or `./wo.yaml` when `path` is `None` and it exists, else
    /// empty settings.
    ///
    /// # Errors
    /// As [`Settings::from_file`].
    pub fn load_file(path: Option<&Path>) -> Result<Settings> {
        match path {
            Some(p) => Settings::from_file(p),
            None if Path::new(SETTINGS_FILE).is_file() => {
                Settings::from_file(Path::new(SETTINGS_FILE))
            }
            None => Ok(Settings::default()),
        }
    }

    /// The fields of `self`, and where `self` has none, those of `other` (`flags.or(env)`).
    pub fn or(self, other: Settings) -> Settings {
        Settings {
            source: self.source.or(other.source),
            config: self.config.or(other.config),
            platform: self.platform.or(other.platform),
            gitops: self.gitops.or(other.gitops),
            first_environment: self.first_environment.or(other.first_environment),
            cache: self.cache.or(other.cache),
            registry: self.registry.or(other.registry),
            azure: self.azure.or(other.azure),
            github_tokens: {
                let mut tokens = other.github_tokens;
                tokens.extend(self.github_tokens);
                tokens
            },
        }
    }

    /// The location of repository `role`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the flag, the variable and the settings key when it is not
    /// set.
    pub fn repository(&self, role: Role) -> Result<&str> {
        let value = match role {
            Role::Source => &self.source,
            Role::Config => &self.config,
            Role::Platform => &self.platform,
            Role::Gitops => &self.gitops,
        };
        value
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                let key = role.key();
                Error::invalid(
                    Location::file("<settings>").with_key(key),
                    format!(
                        "no `{key}` repository: give --{key}, set {}, or put `{key}:` in {SETTINGS_FILE}",
                        role.variable()
                    ),
                )
            })
    }

    /// The first environment of the chain (default `dev`).
    pub fn first_environment(&self) -> &str {
        self.first_environment
            .as_deref()
            .unwrap_or(wo_core::pipeline::DEFAULT_FIRST_ENVIRONMENT)
    }

    /// Where clones of network remotes are kept: the `cache` setting, else `wo` under
    /// `XDG_CACHE_HOME` or `~/.cache`.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache.clone().unwrap_or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(std::env::temp_dir)
                .join("wo")
        })
    }
}

/// Whether `text` has the form of a GitHub token (`ghp_…`, `ghs_…`, `github_pat_…`).
fn looks_like_a_token(text: &str) -> bool {
    ["ghp_", "ghs_", "gho_", "ghu_", "ghr_", "github_pat_"]
        .iter()
        .any(|p| text.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_names_token_variables_never_tokens() {
        let s = Settings::parse(
            "githubTokens:\n  source: SHOP_SOURCE_TOKEN\n  gitops: GITOPS_APP_TOKEN\n",
            "wo.yaml",
        )
        .unwrap();
        assert_eq!(
            s.github_tokens.get(&Role::Source).map(String::as_str),
            Some("SHOP_SOURCE_TOKEN")
        );
        let flags = Settings {
            github_tokens: [(Role::Source, "OTHER".to_string())].into(),
            ..Settings::default()
        };
        let merged = flags.or(s);
        assert_eq!(merged.github_tokens[&Role::Source], "OTHER");
        assert_eq!(merged.github_tokens[&Role::Gitops], "GITOPS_APP_TOKEN");
        let e = Settings::parse("githubTokens:\n  config: ghs_abcdef123\n", "wo.yaml").unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("githubTokens.config") && shown.contains("never put a token"),
            "{shown}"
        );
        let e = Settings::parse("githubTokens:\n  config: 'my token'\n", "wo.yaml").unwrap_err();
        assert!(
            e.to_string()
                .contains("not the name of an environment variable"),
            "{e}"
        );
        assert!(Settings::parse("githubTokens:\n  fleet: X\n", "wo.yaml").is_err());
    }

    #[test]
    fn a_missing_repository_names_every_way_to_give_it() {
        let e = Settings::default().repository(Role::Platform).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("--platform") && s.contains("WO_PLATFORM") && s.contains("platform:"),
            "{s}"
        );
    }

    #[test]
    fn the_file_is_checked() {
        let e = Settings::parse("kind: Fleet\n", "wo.yaml").unwrap_err();
        assert!(e.to_string().contains("expected `Settings`"), "{e}");
        let e = Settings::parse("sourc: x\n", "wo.yaml").unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        let s = Settings::parse(
            "azure: {resourceGroup: /subscriptions/s/resourceGroups/r, concurrency: 4}\n",
            "wo.yaml",
        )
        .unwrap();
        assert_eq!(s.azure.concurrency, Some(4));
        let s = Settings::parse("azure:\n  customLocation: /x/{target}\n", "wo.yaml").unwrap();
        assert_eq!(s.azure.custom_location.as_deref(), Some("/x/{target}"));
    }
}
