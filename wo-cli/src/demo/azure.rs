//! The demo's Workload Orchestration: the simulator on 127.0.0.1, the fleet's targets
//! onboarded, and the production [`WoOrchestrator`] talking to it over HTTP.

use std::sync::Arc;
use std::time::Duration;

use wo::credentials::Credentials;
use wo::settings::AzureSettings;
use wo_azure::arm::StaticToken;
use wo_azure::orchestrator::WoOrchestrator;
use wo_core::{Error, Result};

/// The simulator and the orchestrator on it.
pub struct DemoAzure {
    pub sim: wo_azure_sim::Simulator,
    pub orchestrator: Arc<WoOrchestrator>,
}

/// The demo's resource group.
pub const DEMO_RESOURCE_GROUP: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/wo-demo";

impl DemoAzure {
    /// Starts the simulator and onboards `targets` (name, capabilities) in one context.
    pub async fn start(targets: &[(String, Vec<String>)]) -> Result<DemoAzure> {
        let sim = wo_azure_sim::Simulator::start(wo_azure_sim::SimulatorOptions {
            lro_polls: 1,
            retry_after_secs: 0,
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
        // The simulator refuses component types a target does not bind, and the orchestrator's
        // default specification is still one `wo.gitops` component: bind it beside `helm.v3`.
        sim.onboard_with_roles(
            &arm,
            DEMO_RESOURCE_GROUP,
            "wo-demo",
            "site",
            targets,
            &["helm.v3", "wo.gitops"],
        )
        .await?;
        let orchestrator = Arc::new(
            WoOrchestrator::new(arm, DEMO_RESOURCE_GROUP, wo::orchestrator::DEFAULT_LOCATION)?
                .with_options(wo::orchestrator::options(&azure)),
        );
        Ok(DemoAzure { sim, orchestrator })
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
