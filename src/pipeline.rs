//! The composition root: a [`Pipeline`] over the repositories, renderer and orchestrator the
//! settings name, with any of them replaced by a backend of the caller's own.
//!
//! The CLI's flow commands are this plus output. A tool that embeds wo builds the same:
//!
//! ```
//! use std::sync::Arc;
//!
//! use wo::core::files::FileTree;
//! use wo::core::memory::{
//!     InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryOrchestrator, InMemorySourceRepo,
//! };
//! use wo::core::pipeline::SourceChoice;
//! use wo::pipeline::PipelineBuilder;
//! use wo::settings::Settings;
//!
//! # let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
//! # futures::executor::block_on(async {
//! // The tool keeps the source, config and fleet in its own stores…
//! let source = InMemorySourceRepo::new();
//! source.commit("main", FileTree::load_dir(&root.join("source"))?);
//! let config = InMemoryConfigStore::named("app-config");
//! config.commit("dev", FileTree::load_dir(&root.join("config"))?);
//! let platform = InMemoryConfigStore::named("platform-config");
//! let mut fleet = FileTree::load_dir(&root.join("fleet"))?;
//! // This store holds one environment: the chain ends at dev.
//! let text = fleet.text("fleet.yaml")?.unwrap_or_default().replace("next: stage\n", "");
//! fleet.insert("fleet.yaml", text)?;
//! platform.commit("dev", fleet);
//! let gitops = InMemoryGitOpsRepo::new();
//!
//! // …and lets wo do the rest: compose, validate, render (wo's renderer), propose.
//! let pipeline = PipelineBuilder::new(Settings::default())
//!     .source(Arc::new(source))
//!     .app_config(Arc::new(config))
//!     .platform_config(Arc::new(platform))
//!     .gitops(Arc::new(gitops.clone()))
//!     .orchestrator(Arc::new(InMemoryOrchestrator::new()))
//!     .build()?;
//! let prepared = pipeline
//!     .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
//!     .await?;
//! assert_eq!(prepared.kind(), "opened");
//! assert_eq!(gitops.change_requests().len(), 1);
//! # Ok::<(), wo::core::Error>(())
//! # }).unwrap();
//! ```

use std::sync::Arc;

use wo_core::pipeline::{Pipeline, Ports};
use wo_core::ports::{
    ChartRegistry, ConfigStore, FleetOnboarding, GitOpsRepo, Orchestrator, PolicyGate, Renderer,
    SourceRepo,
};
use wo_core::Result;

use crate::credentials::Credentials;
use crate::settings::Settings;

/// Builds a [`Pipeline`]: each port is the one given, else opened from the settings.
///
/// | port | from the settings |
/// |---|---|
/// | source, app config, platform config, gitops | [`Repository::open`](crate::repository::Repository::open) of `source`, `config`, `platform`, `gitops` (features `git`, `github`) |
/// | renderer | [`ChartRenderer`](wo_render::ChartRenderer) in canonical form (feature `render`) |
/// | orchestrator | [`orchestrator`](crate::orchestrator::orchestrator) of `azure` (feature `azure`) |
/// | charts | [`OciChartRegistry`](crate::charts::OciChartRegistry) of `registry` when set (feature `oci`); none otherwise |
/// | policy gate | [`wo_render::policy::Gate`] (feature `render`): the source's `wo/policy.yaml` tightened by the platform config's `policy.yaml`; blocking findings fail status `wo/policy` of the change request and stop deploy (docs/policy.md) |
/// | fleet onboarding (apply-fleet on `platform-config-merged`) | [`WoFleetOnboarding`](crate::fleet::WoFleetOnboarding) when `azure` names a resource group (feature `azure`); else none, and the step is reported skipped |
///
/// The gitops repo is wrapped so that each change request carries the manifest diff and the
/// policy results with the release's effective policy (feature `render`).
#[derive(Clone)]
pub struct PipelineBuilder {
    settings: Settings,
    credentials: Option<Credentials>,
    source: Option<Arc<dyn SourceRepo>>,
    app_config: Option<Arc<dyn ConfigStore>>,
    platform_config: Option<Arc<dyn ConfigStore>>,
    gitops: Option<Arc<dyn GitOpsRepo>>,
    renderer: Option<Arc<dyn Renderer>>,
    orchestrator: Option<Arc<dyn Orchestrator>>,
    charts: Option<Arc<dyn ChartRegistry>>,
    fleet: Option<Arc<dyn FleetOnboarding>>,
    policy: Option<Arc<dyn PolicyGate>>,
}

impl PipelineBuilder {
    /// A builder over `settings`, with the credentials of the environment unless
    /// [`credentials`](Self::credentials) gives others.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            credentials: None,
            source: None,
            app_config: None,
            platform_config: None,
            gitops: None,
            renderer: None,
            orchestrator: None,
            charts: None,
            fleet: None,
            policy: None,
        }
    }

    /// The credentials to open repositories and the orchestrator with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The source repo.
    pub fn source(mut self, source: Arc<dyn SourceRepo>) -> Self {
        self.source = Some(source);
        self
    }

    /// The app config repo.
    pub fn app_config(mut self, config: Arc<dyn ConfigStore>) -> Self {
        self.app_config = Some(config);
        self
    }

    /// The platform config repo.
    pub fn platform_config(mut self, config: Arc<dyn ConfigStore>) -> Self {
        self.platform_config = Some(config);
        self
    }

    /// The gitops repo (used as it is: no review is added to its change requests).
    pub fn gitops(mut self, gitops: Arc<dyn GitOpsRepo>) -> Self {
        self.gitops = Some(gitops);
        self
    }

    /// The renderer.
    pub fn renderer(mut self, renderer: Arc<dyn Renderer>) -> Self {
        self.renderer = Some(renderer);
        self
    }

    /// The orchestrator.
    pub fn orchestrator(mut self, orchestrator: Arc<dyn Orchestrator>) -> Self {
        self.orchestrator = Some(orchestrator);
        self
    }

    /// The chart registry (see [`Ports::charts`]).
    pub fn charts(mut self, charts: Arc<dyn ChartRegistry>) -> Self {
        self.charts = Some(charts);
        self
    }

    /// The fleet onboarding of the apply-fleet step.
    pub fn fleet(mut self, fleet: Arc<dyn FleetOnboarding>) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// The policy gate (see [`Ports::policy`]).
    pub fn policy(mut self, policy: Arc<dyn PolicyGate>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The ports: those given, the others from the settings.
    ///
    /// # Errors
    /// [`Error::Invalid`](wo_core::Error::Invalid) naming the missing setting of a port that
    /// was neither given nor configured; as [`Repository::open`](crate::repository::Repository::open)
    /// and [`orchestrator`](crate::orchestrator::orchestrator).
    pub fn ports(&self) -> Result<Ports> {
        let credentials = self
            .credentials
            .clone()
            .unwrap_or_else(Credentials::from_env);
        let open = Opener {
            settings: &self.settings,
            credentials: &credentials,
        };
        Ok(Ports {
            source: match &self.source {
                Some(s) => s.clone(),
                None => open.source()?,
            },
            app_config: match &self.app_config {
                Some(c) => c.clone(),
                None => open.config(crate::settings::Role::Config)?,
            },
            platform_config: match &self.platform_config {
                Some(c) => c.clone(),
                None => open.config(crate::settings::Role::Platform)?,
            },
            gitops: match &self.gitops {
                Some(g) => g.clone(),
                None => open.gitops()?,
            },
            renderer: match &self.renderer {
                Some(r) => r.clone(),
                None => open.renderer()?,
            },
            orchestrator: match &self.orchestrator {
                Some(o) => o.clone(),
                None => open.orchestrator()?,
            },
            charts: match &self.charts {
                Some(c) => Some(c.clone()),
                None => open.charts()?,
            },
            fleet: match &self.fleet {
                Some(f) => Some(f.clone()),
                None => open.fleet()?,
            },
            policy: match &self.policy {
                Some(p) => Some(p.clone()),
                None => open.policy(),
            },
        })
    }

    /// The pipeline.
    ///
    /// # Errors
    /// As [`ports`](Self::ports).
    pub fn build(&self) -> Result<Pipeline> {
        Ok(Pipeline::new(
            self.ports()?,
            wo_core::pipeline::Settings {
                first_environment: self.settings.first_environment().to_string(),
                ..Default::default()
            },
        ))
    }
}

/// Opens the ports the settings name.
#[cfg_attr(
    not(any(feature = "git", feature = "github", feature = "azure")),
    allow(dead_code)
)]
struct Opener<'a> {
    settings: &'a Settings,
    credentials: &'a Credentials,
}

impl Opener<'_> {
    /// The repository of `role`, with the GitHub token for it: the variable the settings'
    /// `githubTokens` names for the role, else as [`Credentials::github_for`] picks.
    #[cfg(any(feature = "git", feature = "github"))]
    fn repository(&self, role: crate::settings::Role) -> Result<crate::repository::Repository> {
        let location = self.settings.repository(role)?;
        let named = match self.settings.github_tokens.get(&role) {
            Some(variable) => {
                let token = std::env::var(variable)
                    .ok()
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| {
                        wo_core::Error::invalid(
                            wo_core::Location::file(crate::settings::SETTINGS_FILE)
                                .with_key(format!("githubTokens.{}", role.key())),
                            format!(
                                "the token for the {} repository is to be in `{variable}`, which is not set (or empty); set it, or remove the key to use {} or WO_GITHUB_TOKEN",
                                role.key(),
                                crate::credentials::github_token_variable(role)
                            ),
                        )
                    })?;
                Some(
                    self.credentials
                        .clone()
                        .with_github_token_from(role, variable, token),
                )
            }
            None => None,
        };
        crate::repository::Repository::open_as(
            role,
            location,
            named.as_ref().unwrap_or(self.credentials),
            &self.settings.cache_dir(),
        )
    }

    #[cfg(not(any(feature = "git", feature = "github")))]
    fn missing(&self, role: crate::settings::Role) -> wo_core::Error {
        wo_core::Error::unsupported(format!(
            "the {} repository: this build of wo opens no repositories (features `git`, `github`); give the port to the builder",
            role.key()
        ))
    }

    fn source(&self) -> Result<Arc<dyn SourceRepo>> {
        #[cfg(any(feature = "git", feature = "github"))]
        return Ok(self.repository(crate::settings::Role::Source)?.source());
        #[cfg(not(any(feature = "git", feature = "github")))]
        return Err(self.missing(crate::settings::Role::Source));
    }

    fn config(&self, role: crate::settings::Role) -> Result<Arc<dyn ConfigStore>> {
        #[cfg(any(feature = "git", feature = "github"))]
        return Ok(self.repository(role)?.config());
        #[cfg(not(any(feature = "git", feature = "github")))]
        return Err(self.missing(role));
    }

    fn gitops(&self) -> Result<Arc<dyn GitOpsRepo>> {
        #[cfg(any(feature = "git", feature = "github"))]
        {
            let gitops = self.repository(crate::settings::Role::Gitops)?.gitops();
            // Every change request carries the manifest diff and the policy results.
            #[cfg(feature = "render")]
            let gitops: Arc<dyn GitOpsRepo> = Arc::new(wo_render::ReviewingGitOps::new(
                gitops,
                wo_render::policy::Policy::default(),
            ));
            Ok(gitops)
        }
        #[cfg(not(any(feature = "git", feature = "github")))]
        Err(self.missing(crate::settings::Role::Gitops))
    }

    /// The policy engine of wo-render (feature `render`); none without it.
    fn policy(&self) -> Option<Arc<dyn PolicyGate>> {
        #[cfg(feature = "render")]
        return Some(Arc::new(wo_render::policy::Gate));
        #[cfg(not(feature = "render"))]
        return None;
    }

    fn renderer(&self) -> Result<Arc<dyn Renderer>> {
        #[cfg(feature = "render")]
        return Ok(Arc::new(wo_render::CanonicalRenderer::new(
            wo_render::ChartRenderer::default(),
        )));
        #[cfg(not(feature = "render"))]
        return Err(wo_core::Error::unsupported(
            "rendering: this build of wo has no renderer (feature `render`); give one to the builder",
        ));
    }

    /// The chart registry of the `registry` setting; none without it.
    fn charts(&self) -> Result<Option<Arc<dyn ChartRegistry>>> {
        let Some(registry) = self.settings.registry.as_deref() else {
            return Ok(None);
        };
        #[cfg(feature = "oci")]
        return Ok(Some(Arc::new(crate::charts::OciChartRegistry::open(
            registry,
            self.credentials,
        )?)));
        #[cfg(not(feature = "oci"))]
        return Err(wo_core::Error::unsupported(format!(
            "publishing charts to `{registry}`: this build of wo has no OCI client (feature `oci`); give a chart registry to the builder"
        )));
    }

    fn fleet(&self) -> Result<Option<Arc<dyn FleetOnboarding>>> {
        #[cfg(feature = "azure")]
        return Ok(crate::fleet::WoFleetOnboarding::from_settings(
            &self.settings.azure,
            self.credentials,
        )?
        .map(|f| Arc::new(f) as Arc<dyn FleetOnboarding>));
        #[cfg(not(feature = "azure"))]
        return Ok(None);
    }

    fn orchestrator(&self) -> Result<Arc<dyn Orchestrator>> {
        #[cfg(feature = "azure")]
        return crate::orchestrator::orchestrator(&self.settings.azure, self.credentials);
        #[cfg(not(feature = "azure"))]
        return Err(wo_core::Error::unsupported(
            "deploying: this build of wo has no orchestrator (feature `azure`); give one to the builder",
        ));
    }
}
