//! The orchestrator `wo` deploys through: Azure Workload Orchestration
//! ([`wo_azure::orchestrator::WoOrchestrator`]), configured by [`AzureSettings`]; and, for the
//! demo, the same backend against the in-process simulator.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
#[cfg(feature = "demo")]
use wo_azure::arm::StaticToken;
use wo_azure::arm::{
    credential_from_env, default_http_client, ArmClient, LroPolicy, TokenCredential,
};
use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
use wo_core::ports::{DeploymentReport, Orchestrator, Release};
use wo_core::{Error, Location, Result};

/// Where and how to reach Workload Orchestration.
#[derive(Debug, Clone, Default)]
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
}

/// An ARM client for `url` (default ARM's), with `credential` or else the one the environment
/// names, polling operations no more often than `poll` (default 1 s).
pub fn arm_client(
    url: Option<&str>,
    poll: Option<Duration>,
    credential: Option<Arc<dyn TokenCredential>>,
) -> Result<ArmClient> {
    let http = default_http_client()?;
    let credential = match credential {
        Some(c) => c,
        None => credential_from_env(http.clone())?,
    };
    let mut b = ArmClient::builder()
        .credential(credential)
        .http_client(http);
    if let Some(u) = url.filter(|u| !u.trim().is_empty()) {
        b = b.base_url(u.trim());
    }
    if let Some(p) = poll {
        b = b.lro(LroPolicy {
            min_interval: p,
            ..LroPolicy::default()
        });
    }
    b.build()
}

/// The orchestrator of `s`; when no resource group is configured, one that says so when used.
pub fn orchestrator(s: &AzureSettings) -> Result<Arc<dyn Orchestrator>> {
    let Some(rg) = s.resource_group.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Ok(Arc::new(Unconfigured));
    };
    let arm = arm_client(s.url.as_deref(), s.poll, None)?;
    let wo = WoOrchestrator::new(Arc::new(arm), rg, s.location.as_deref().unwrap_or("eastus"))?
        .with_options(options(s.concurrency, s.poll));
    Ok(Arc::new(wo))
}

fn options(concurrency: Option<usize>, poll: Option<Duration>) -> WoOptions {
    let d = WoOptions::default();
    WoOptions {
        concurrency: concurrency.unwrap_or(d.concurrency).max(1),
        watch_interval: poll
            .map(|p| p.max(Duration::from_millis(1)))
            .unwrap_or(d.watch_interval),
        ..d
    }
}

/// Stands where the orchestrator would be when none is configured: commands that do not
/// deploy work; deploying says what to configure.
#[derive(Debug)]
struct Unconfigured;

fn unconfigured() -> Error {
    Error::invalid(
        Location::file("<settings>").with_key("azure.resourceGroup"),
        "no Workload Orchestration resource group: give --resource-group, set WO_RESOURCE_GROUP, or put `azure: {resourceGroup: /subscriptions/<id>/resourceGroups/<name>}` in wo.yaml",
    )
}

#[async_trait]
impl Orchestrator for Unconfigured {
    async fn deploy(&self, _release: &Release) -> Result<DeploymentReport> {
        Err(unconfigured())
    }

    async fn deployed(&self, _solution: &str, _target: &str) -> Result<Option<String>> {
        Err(unconfigured())
    }
}

/// The demo's Workload Orchestration: the simulator on 127.0.0.1, the fleet's targets
/// onboarded, and the production [`WoOrchestrator`] talking to it over HTTP.
#[cfg(feature = "demo")]
pub struct DemoAzure {
    pub sim: wo_azure_sim::Simulator,
    pub orchestrator: Arc<WoOrchestrator>,
}

/// The demo's resource group.
#[cfg(feature = "demo")]
pub const DEMO_RESOURCE_GROUP: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/wo-demo";

#[cfg(feature = "demo")]
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
        let poll = Duration::from_millis(2);
        let arm = Arc::new(arm_client(
            Some(&sim.base_url()),
            Some(poll),
            Some(Arc::new(StaticToken::new("wo-demo"))),
        )?);
        sim.onboard(&arm, DEMO_RESOURCE_GROUP, "wo-demo", "site", targets)
            .await?;
        let orchestrator = Arc::new(
            WoOrchestrator::new(arm, DEMO_RESOURCE_GROUP, "eastus")?
                .with_options(options(Some(8), Some(poll))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_resource_group_deploying_names_the_setting() {
        let o = orchestrator(&AzureSettings::default()).unwrap();
        let e = o.deployed("shop", "t").await.unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.to_string().contains("WO_RESOURCE_GROUP"), "{e}");
    }

    #[test]
    fn a_bad_resource_group_is_refused() {
        std::env::set_var("AZURE_ACCESS_TOKEN", "x");
        let s = AzureSettings {
            resource_group: Some("/subscriptions/s/resourceGroups".into()),
            ..Default::default()
        };
        let e = orchestrator(&s).err().expect("refused");
        assert!(e.is_invalid_input(), "{e}");
    }
}
