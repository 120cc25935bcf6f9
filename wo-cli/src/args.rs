//! The flags several commands share, each with the same name everywhere. Flags win over the
//! environment (clap reads the `WO_*` variables), which wins over the settings file.

use std::path::PathBuf;
use std::time::Duration;

use wo::credentials::Credentials;
use wo::inputs::{Inputs, InputsRequest};
use wo::settings::{AzureSettings, Role, Settings};
use wo_core::Result;

/// The repositories of a solution, for the flow commands.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct RepoArgs {
    /// The solution's source repository: a path, file://, git://, http://, github://OWNER/REPO
    /// or a GitHub URL.
    #[arg(long, env = "WO_SOURCE", value_name = "REPO")]
    pub source: Option<String>,
    /// The config repository, one branch per environment (for the Platform solution, the
    /// platform config repository).
    #[arg(long, env = "WO_CONFIG", value_name = "REPO")]
    pub config: Option<String>,
    /// The platform config repository (fleet.yaml on each environment branch).
    #[arg(long, env = "WO_PLATFORM", value_name = "REPO")]
    pub platform: Option<String>,
    /// The solution's gitops repository.
    #[arg(long, env = "WO_GITOPS", value_name = "REPO")]
    pub gitops: Option<String>,
    /// The first environment of the promotion chain (default dev).
    #[arg(long, env = "WO_FIRST_ENV", value_name = "ENV")]
    pub first_env: Option<String>,
    /// The OCI registry charts are published to for Workload Orchestration to pull:
    /// oci://HOST[/PATH] (https), or http://HOST:PORT[/PATH] for a local registry. prepare-pr
    /// records the chart there in release.yaml; deploy pushes it (once per release).
    #[arg(long, env = "WO_REGISTRY", value_name = "REGISTRY")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The settings file and the cache: every command that reads repositories takes them.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct CommonArgs {
    /// Where clones of network git remotes are kept (default ~/.cache/wo).
    #[arg(long, env = "WO_CACHE", value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// The settings file, with the same keys as the flags (default ./wo.yaml when present).
    #[arg(long, env = "WO_SETTINGS", value_name = "FILE")]
    pub settings: Option<PathBuf>,
}

/// Azure Workload Orchestration, for the commands that deploy.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct AzureArgs {
    /// The resource group of schemas, solution templates and targets:
    /// /subscriptions/SUB/resourceGroups/RG.
    #[arg(long, env = "WO_RESOURCE_GROUP", value_name = "ID")]
    pub resource_group: Option<String>,
    /// The Azure location of what wo creates (default eastus).
    #[arg(long, env = "WO_AZURE_LOCATION")]
    pub location: Option<String>,
    /// The Azure Resource Manager endpoint (default https://management.azure.com; a sovereign
    /// cloud's, or a simulator's).
    #[arg(long, env = "WO_ARM_URL", value_name = "URL")]
    pub arm_url: Option<String>,
    /// Targets deployed at once (default 8).
    #[arg(long, env = "WO_CONCURRENCY", value_name = "N")]
    pub concurrency: Option<usize>,
    /// The shortest wait between polls of Azure operations, in milliseconds (default 1000); a
    /// longer `Retry-After` of an operation wins.
    #[arg(long, env = "WO_AZURE_POLL_MS", value_name = "N")]
    pub poll_ms: Option<u64>,
}

impl AzureArgs {
    /// The Azure settings these flags give.
    pub fn settings(&self) -> AzureSettings {
        let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        AzureSettings {
            url: given(&self.arm_url),
            resource_group: given(&self.resource_group),
            location: given(&self.location),
            concurrency: self.concurrency,
            poll: self.poll_ms.map(Duration::from_millis),
            custom_location: None,
        }
    }
}

impl CommonArgs {
    /// `flags` (already holding what the environment gives for flags), then the rest of the
    /// environment, then the settings file.
    pub fn settings(&self, flags: Settings) -> Result<Settings> {
        let flags = Settings {
            cache: self.cache.clone(),
            ..flags
        };
        Ok(flags
            .or(Settings::from_env()?)
            .or(Settings::load_file(self.settings.as_deref())?))
    }
}

impl RepoArgs {
    /// The settings: these flags, the environment, the settings file.
    pub fn settings(&self, azure: Option<&AzureArgs>) -> Result<Settings> {
        // An empty variable is an unset one: a workflow's `${{ vars.X }}` is "" where X is not
        // defined, and that must not become a setting (an empty registry, an empty repository).
        let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        self.common.settings(Settings {
            source: given(&self.source),
            config: given(&self.config),
            platform: given(&self.platform),
            gitops: given(&self.gitops),
            first_environment: given(&self.first_env),
            cache: None,
            registry: given(&self.registry),
            azure: azure.map(AzureArgs::settings).unwrap_or_default(),
            ..Settings::default()
        })
    }
}

/// The inputs of the offline commands (`validate`, `resolve`, `render`): checkouts, or the
/// repositories themselves read at a revision.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct InputArgs {
    /// The source repository: a checkout (its files as they are on disk) or a repository
    /// (read at --source-rev).
    #[arg(long, env = "WO_SOURCE", value_name = "REPO")]
    pub source: Option<String>,
    /// The config repository: a checkout of the environment's branch, or the repository
    /// (read at the head of --env).
    #[arg(long, env = "WO_CONFIG", value_name = "REPO")]
    pub config: Option<String>,
    /// The platform config repository (fleet.yaml): a checkout of the environment's branch,
    /// or the repository (read at the head of --env).
    #[arg(long, env = "WO_PLATFORM", value_name = "REPO", alias = "fleet")]
    pub platform: Option<String>,
    /// The environment: the branch read of config repositories given as repositories; when
    /// given, the fleet must be this environment's.
    #[arg(short, long, value_name = "ENV")]
    pub env: Option<String>,
    /// The source revision read when --source is a repository (default main).
    #[arg(long, value_name = "REV")]
    pub source_rev: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

impl InputArgs {
    /// Reads the inputs; `need_platform` when the command requires the fleet.
    pub async fn load(&self, need_platform: bool) -> Result<Inputs> {
        let settings = self.common.settings(Settings {
            source: self.source.clone(),
            config: self.config.clone(),
            platform: self.platform.clone(),
            ..Settings::default()
        })?;
        let source = settings.repository(Role::Source)?;
        let platform = if need_platform {
            Some(settings.repository(Role::Platform)?)
        } else {
            settings.platform.as_deref()
        };
        let config = settings.config.as_deref();
        wo::inputs::load(
            &InputsRequest {
                source,
                config,
                platform,
                environment: self.env.as_deref(),
                source_rev: self.source_rev.as_deref(),
            },
            &Credentials::from_env(),
            &settings.cache_dir(),
        )
        .await
    }
}
