//! The demo's Workload Orchestration: the simulator on 127.0.0.1, the fleet's clusters
//! onboarded by `wo fleet apply`'s code path ([`wo::fleet::apply`]) from the platform config
//! repo, and the production [`WoOrchestrator`] talking to it over HTTP.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wo::credentials::Credentials;
use wo::fleet::{ApplyOutcome, ApplyRequest, WoFleetOnboarding};
use wo::settings::AzureSettings;
use wo_azure::arm::{ArmClient, StaticToken};
use wo_azure::orchestrator::WoOrchestrator;
use wo_core::ports::FleetOnboarding;
use wo_core::{Error, Result};

/// The simulator, its registry and the orchestrator on it.
pub struct DemoAzure {
    pub sim: wo_azure_sim::Simulator,
    /// The Azure Container Registry stand-in charts are published to and installs pull from
    /// (checked against the real distribution registry by wo-azure-sim's tests).
    pub registry: wo_azure_sim::Registry,
    pub orchestrator: Arc<WoOrchestrator>,
    arm: Arc<ArmClient>,
}

/// The demo's resource group.
pub const DEMO_RESOURCE_GROUP: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/wo-demo";

/// The demo's context: one for every environment.
pub const DEMO_CONTEXT: &str = "wo-demo";

impl DemoAzure {
    /// Starts the registry and the simulator (installing from it), with nothing onboarded.
    pub async fn start() -> Result<DemoAzure> {
        let registry = wo_azure_sim::Registry::start(wo_azure_sim::RegistryOptions::default())
            .await
            .map_err(|source| Error::Io {
                path: "127.0.0.1 (container registry stand-in)".into(),
                source,
            })?;
        let sim = wo_azure_sim::Simulator::start(wo_azure_sim::SimulatorOptions {
            lro_polls: 1,
            retry_after_secs: 0,
            charts: Some(registry.chart_source()),
            ..Default::default()
        })
        .await
        .map_err(|source| Error::Io {
            path: "127.0.0.1 (Workload Orchestration simulator)".into(),
            source,
        })?;
        let azure = AzureSettings {
            url: Some(sim.base_url()),
            resource_group: Some(DEMO_RESOURCE_GROUP.into()),
            concurrency: Some(8),
            poll: Some(Duration::from_millis(2)),
            ..AzureSettings::default()
        };
        let credentials = Credentials::default().with_azure(Arc::new(StaticToken::new("wo-demo")));
        let arm = Arc::new(wo::orchestrator::arm_client(&azure, &credentials)?);
        let orchestrator = Arc::new(
            WoOrchestrator::new(
                arm.clone(),
                DEMO_RESOURCE_GROUP,
                wo::orchestrator::DEFAULT_LOCATION,
            )?
            .with_options(wo::orchestrator::options(&azure)),
        );
        Ok(DemoAzure {
            sim,
            registry,
            orchestrator,
            arm,
        })
    }

    /// The registry setting of the demo's pipelines: `http://127.0.0.1:PORT/charts`.
    pub fn registry_setting(&self) -> String {
        format!("http://{}/charts", self.registry.host_port())
    }

    /// `wo fleet apply --env ENV` against the simulator: the `fleet.yaml` of branch `env` of
    /// the platform config repo at `platform_config` made WO's context and targets.
    pub async fn apply_fleet(&self, platform_config: &Path, env: &str) -> Result<ApplyOutcome> {
        let platform = wo::git::GitConfigStore::open(&platform_config.display().to_string())?;
        let request = ApplyRequest {
            environment: env.to_string(),
            resource_group: DEMO_RESOURCE_GROUP.to_string(),
            context: Some(DEMO_CONTEXT.to_string()),
            concurrency: Some(8),
            ..ApplyRequest::default()
        };
        wo::fleet::apply(&request, &platform, &self.arm).await
    }

    /// The pipeline's apply-fleet step against the simulator, in the demo's context.
    pub fn fleet_onboarding(&self) -> Result<Arc<dyn FleetOnboarding>> {
        Ok(Arc::new(WoFleetOnboarding::new(
            self.arm.clone(),
            ApplyRequest {
                resource_group: DEMO_RESOURCE_GROUP.to_string(),
                context: Some(DEMO_CONTEXT.to_string()),
                concurrency: Some(8),
                ..ApplyRequest::default()
            },
        )?))
    }

    /// Installs of `version` (a release version) WO accepted on `target`.
    pub fn installs(&self, target: &str, version: &str) -> usize {
        let prefix = format!("{}.", wo_azure::orchestrator::wo_version(version));
        self.sim
            .installs(target)
            .iter()
            .filter(|sv| sv.starts_with(&prefix))
            .count()
    }
}
