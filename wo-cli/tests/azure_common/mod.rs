//! Azure Workload Orchestration for the end-to-end tests: the simulator on 127.0.0.1 on its
//! own runtime (the tests are synchronous), the fleet's targets onboarded.
#![allow(dead_code)]

use std::time::Duration;

/// The resource group the fleet's targets are onboarded in.
pub const RESOURCE_GROUP: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/flows";
pub const EDGE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/flows/providers/Microsoft.Edge";

/// The WO simulator on its own runtime (the tests are synchronous), installing charts from
/// the registry stand-in beside it, where `wo` publishes them (`WO_REGISTRY`).
pub struct Azure {
    pub sim: wo_azure_sim::Simulator,
    pub registry: wo_azure_sim::Registry,
    pub rt: tokio::runtime::Runtime,
}

impl Azure {
    /// Starts the simulator and onboards `targets` in one context.
    pub fn start<'a>(targets: impl IntoIterator<Item = &'a str>) -> Azure {
        let targets: Vec<String> = targets.into_iter().map(str::to_string).collect();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (sim, registry) = rt.block_on(async {
            let registry = wo_azure_sim::Registry::start(wo_azure_sim::RegistryOptions::default())
                .await
                .expect("registry");
            let sim = wo_azure_sim::Simulator::start(wo_azure_sim::SimulatorOptions {
                lro_polls: 1,
                retry_after_secs: 0,
                charts: Some(registry.chart_source()),
                ..Default::default()
            })
            .await
            .expect("simulator");
            let fleet: Vec<(String, Vec<String>)> = targets
                .iter()
                .map(|t| (t.clone(), vec!["helm".to_string()]))
                .collect();
            // Targets bind `helm.v3` only, as WO's do: wo publishes its chart (WO_REGISTRY).
            sim.onboard(&arm(&sim), RESOURCE_GROUP, "flows", "site", &fleet)
                .await
                .expect("onboard the fleet");
            (sim, registry)
        });
        Azure { sim, registry, rt }
    }
}

pub fn arm(sim: &wo_azure_sim::Simulator) -> wo_azure::arm::ArmClient {
    wo_azure::arm::ArmClient::builder()
        .base_url(sim.base_url())
        .credential(std::sync::Arc::new(wo_azure::arm::StaticToken::new(
            "flows",
        )))
        .http_client(wo_azure::arm::default_http_client().expect("http"))
        .lro(wo_azure::arm::LroPolicy {
            min_interval: Duration::from_millis(1),
            ..Default::default()
        })
        .build()
        .expect("arm client")
}

impl Azure {
    /// The environment a `wo` run needs to deploy here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WO_ARM_URL", self.sim.base_url()),
            (
                "WO_REGISTRY",
                format!("http://{}/charts", self.registry.host_port()),
            ),
            ("WO_RESOURCE_GROUP", RESOURCE_GROUP.to_string()),
            ("WO_AZURE_POLL_MS", "2".to_string()),
            ("AZURE_ACCESS_TOKEN", "flows".to_string()),
        ]
    }
}
