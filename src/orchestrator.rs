//! The orchestrator a solution deploys through: Azure Workload Orchestration
//! ([`WoOrchestrator`]), configured by [`AzureSettings`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use wo_azure::arm::{credential_from_env, default_http_client, ArmClient, LroPolicy};
use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
use wo_core::ports::{DeploymentReport, Orchestrator, Release};
use wo_core::{Error, Location, Result};

use crate::credentials::Credentials;
use crate::settings::AzureSettings;

/// The Azure location of what wo creates when none is configured.
pub const DEFAULT_LOCATION: &str = "eastus";

/// An ARM client for `azure.url` (default ARM's), with the credential `credentials` give or
/// else the one the environment names, polling operations no more often than `azure.poll`
/// (default 1 s; at least 1 ms).
///
/// # Errors
/// As [`ArmClient`]'s builder and [`credential_from_env`].
pub fn arm_client(azure: &AzureSettings, credentials: &Credentials) -> Result<ArmClient> {
    let http = default_http_client()?;
    let credential = match credentials.azure() {
        Some(c) => c,
        None => credential_from_env(http.clone())?,
    };
    let mut b = ArmClient::builder()
        .credential(credential)
        .http_client(http);
    if let Some(u) = azure.url.as_deref().filter(|u| !u.trim().is_empty()) {
        b = b.base_url(u.trim());
    }
    if let Some(p) = azure.poll {
        b = b.lro(LroPolicy {
            // 0 would poll in a hot loop: never below a millisecond.
            min_interval: p.max(Duration::from_millis(1)),
            ..LroPolicy::default()
        });
    }
    b.build()
}

/// The options of a [`WoOrchestrator`] from `azure` (concurrency at least 1; the watch
/// interval follows the poll interval).
pub fn options(azure: &AzureSettings) -> WoOptions {
    let d = WoOptions::default();
    WoOptions {
        concurrency: azure.concurrency.unwrap_or(d.concurrency).max(1),
        watch_interval: azure
            .poll
            .map(|p| p.max(Duration::from_millis(1)))
            .unwrap_or(d.watch_interval),
        ..d
    }
}

/// The orchestrator of `azure`. Without a resource group, one that answers every call with
/// an error naming the setting, so that commands which do not deploy still work.
///
/// # Errors
/// [`Error::Invalid`] for a resource group that is not `/subscriptions/<id>/resourceGroups/
/// <name>`; as [`arm_client`].
pub fn orchestrator(
    azure: &AzureSettings,
    credentials: &Credentials,
) -> Result<Arc<dyn Orchestrator>> {
    let Some(rg) = azure
        .resource_group
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    else {
        return Ok(Arc::new(Unconfigured));
    };
    let arm = arm_client(azure, credentials)?;
    let wo = WoOrchestrator::new(
        Arc::new(arm),
        rg,
        azure.location.as_deref().unwrap_or(DEFAULT_LOCATION),
    )?
    .with_options(options(azure));
    Ok(Arc::new(wo))
}

/// Stands where the orchestrator would be when none is configured.
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

    async fn running<'a>(
        &self,
        _solution: &str,
        _target: &str,
        _orchestrator_id: Option<&'a str>,
    ) -> Result<Option<wo_core::ports::Running>> {
        Err(unconfigured())
    }
}

#[cfg(test)]
mod tests {
    use wo_azure::arm::StaticToken;

    use super::*;

    #[tokio::test]
    async fn without_a_resource_group_deploying_names_the_setting() {
        let o = orchestrator(&AzureSettings::default(), &Credentials::default()).unwrap();
        let e = o.deployed("shop", "t").await.unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.to_string().contains("WO_RESOURCE_GROUP"), "{e}");
        let e = o.running("shop", "t", None).await.unwrap_err();
        assert!(e.is_invalid_input(), "verify names the setting too: {e}");
    }

    #[test]
    fn a_bad_resource_group_is_refused() {
        let s = AzureSettings {
            resource_group: Some("/subscriptions/s/resourceGroups".into()),
            ..Default::default()
        };
        let c = Credentials::default().with_azure(Arc::new(StaticToken::new("x")));
        let e = orchestrator(&s, &c).err().expect("refused");
        assert!(e.is_invalid_input(), "{e}");
    }
}
