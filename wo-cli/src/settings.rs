//! Where the repositories are: flags, environment variables, and a settings file with the same
//! keys, in that order of precedence.
//!
//! ```yaml
//! # wo.yaml (or the file named by --settings / WO_SETTINGS)
//! apiVersion: wo/v1
//! kind: Settings
//! source: https://git.example.com/shop-source.git      # or a local path
//! config: /srv/git/shop-config.git
//! platform: /srv/git/platform-config.git
//! gitops: /srv/git/shop-gitops.git
//! firstEnvironment: dev
//! cache: /var/cache/wo                                 # clones of network remotes
//! azure:                                               # Azure Workload Orchestration
//!   resourceGroup: /subscriptions/<id>/resourceGroups/shop   # schemas, templates, targets
//!   location: westeurope                                     # default eastus
//!   url: https://management.azure.com                        # the default
//!   concurrency: 16                                          # targets at once, default 8
//! ```
//!
//! The Azure credential comes from the environment: `AZURE_ACCESS_TOKEN`; a service principal
//! (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET` or
//! `AZURE_FEDERATED_TOKEN_FILE` — workload identity and GitHub Actions OIDC federation); a
//! managed identity; else the Azure CLI's login.

use std::path::{Path, PathBuf};

use std::time::Duration;

use serde::Deserialize;
use wo_core::{Error, Location, Result};

use crate::orchestrator::AzureSettings;

/// The settings file's content.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsFile {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub config: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub gitops: Option<String>,
    #[serde(default)]
    pub first_environment: Option<String>,
    #[serde(default)]
    pub cache: Option<PathBuf>,
    #[serde(default)]
    pub azure: Option<AzureFile>,
}

/// The `azure:` section of the settings file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AzureFile {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub concurrency: Option<usize>,
}

/// The repositories and options a flow command works with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: String,
    pub config: String,
    pub platform: String,
    pub gitops: String,
    pub first_environment: String,
    pub azure: AzureSettings,
    pub cache: PathBuf,
}

/// What flags and environment variables gave (clap fills both).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct RepoArgs {
    /// The solution's source repository (path or URL).
    #[arg(long, env = "WO_SOURCE")]
    pub source: Option<String>,
    /// The config repository with one branch per environment; for a Platform solution, the
    /// platform config repository.
    #[arg(long, env = "WO_CONFIG")]
    pub config: Option<String>,
    /// The platform config repository (fleet.yaml on each environment branch).
    #[arg(long, env = "WO_PLATFORM")]
    pub platform: Option<String>,
    /// The gitops repository.
    #[arg(long, env = "WO_GITOPS")]
    pub gitops: Option<String>,
    /// The first environment of the promotion chain (default `dev`).
    #[arg(long, env = "WO_FIRST_ENV")]
    pub first_env: Option<String>,
    /// Azure Workload Orchestration: the resource group of schemas, solution templates and
    /// targets (`/subscriptions/<id>/resourceGroups/<name>`).
    #[arg(long, env = "WO_RESOURCE_GROUP")]
    pub resource_group: Option<String>,
    /// The Azure location of the resources wo makes (default `eastus`).
    #[arg(long, env = "WO_AZURE_LOCATION")]
    pub location: Option<String>,
    /// The ARM endpoint (default `https://management.azure.com`; a simulator's URL in tests).
    #[arg(long, env = "WO_ARM_URL")]
    pub arm_url: Option<String>,
    /// Targets deployed at once (default 8).
    #[arg(long, env = "WO_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Shortest wait between polls of Azure operations, in milliseconds (default 1000).
    #[arg(long, env = "WO_AZURE_POLL_MS", hide = true)]
    pub poll_ms: Option<u64>,
    /// Cache directory for clones of network remotes.
    #[arg(long, env = "WO_CACHE")]
    pub cache: Option<PathBuf>,
    /// Settings file with the same keys (default: `wo.yaml` in the current directory, if any).
    #[arg(long, env = "WO_SETTINGS")]
    pub settings: Option<PathBuf>,
}

impl RepoArgs {
    /// Flags and environment first, then the settings file; every missing repository is named.
    pub fn resolve(&self) -> Result<Settings> {
        let file = match &self.settings {
            Some(p) => read_settings(p)?,
            None if Path::new("wo.yaml").is_file() => read_settings(Path::new("wo.yaml"))?,
            None => SettingsFile::default(),
        };
        let pick = |flag: &Option<String>,
                    from_file: &Option<String>,
                    key: &str|
         -> Result<String> {
            flag.clone().or_else(|| from_file.clone()).ok_or_else(|| {
                Error::invalid(
                    Location::file("<settings>").with_key(key),
                    format!("no `{key}` repository: give --{key}, set WO_{}, or put `{key}:` in wo.yaml", key.to_uppercase()),
                )
            })
        };
        let source = pick(&self.source, &file.source, "source")?;
        let config = pick(&self.config, &file.config, "config")?;
        let platform = pick(&self.platform, &file.platform, "platform")?;
        let gitops = pick(&self.gitops, &file.gitops, "gitops")?;
        let cache = self
            .cache
            .clone()
            .or(file.cache)
            .unwrap_or_else(default_cache);
        Ok(Settings {
            source,
            config,
            platform,
            gitops,
            first_environment: self
                .first_env
                .clone()
                .or(file.first_environment)
                .unwrap_or_else(|| "dev".into()),
            azure: {
                let f = file.azure.unwrap_or_default();
                AzureSettings {
                    url: self.arm_url.clone().or(f.url),
                    resource_group: self.resource_group.clone().or(f.resource_group),
                    location: self.location.clone().or(f.location),
                    concurrency: self.concurrency.or(f.concurrency),
                    poll: self.poll_ms.map(Duration::from_millis),
                }
            },
            cache,
        })
    }
}

fn default_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("wo")
}

fn read_settings(p: &Path) -> Result<SettingsFile> {
    let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
        path: p.display().to_string(),
        source,
    })?;
    let file = p.display().to_string();
    let s: SettingsFile = wo_core::yaml::from_str(&text, &file)?;
    if s.api_version
        .as_deref()
        .is_some_and(|v| v != wo_core::format::API_VERSION)
    {
        return Err(Error::invalid(
            Location::file(&file).with_key("apiVersion"),
            "expected `wo/v1`",
        ));
    }
    if s.kind.as_deref().is_some_and(|k| k != "Settings") {
        return Err(Error::invalid(
            Location::file(&file).with_key("kind"),
            "expected `Settings`",
        ));
    }
    Ok(s)
}
