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
    /// Sign-in as in GitHub Actions, when started [`with_identity`](Azure::with_identity).
    pub identity: Option<Identity>,
    pub rt: tokio::runtime::Runtime,
}

/// GitHub Actions' OIDC token service and Entra ID stand-ins: the simulator accepts only
/// Entra's tokens, for the app registration `app`, which holds Contributor on
/// [`RESOURCE_GROUP`] and a federated credential for each subject it was started with.
pub struct Identity {
    pub oidc: std::sync::Arc<wo_azure_sim::ActionsOidc>,
    pub entra: wo_azure_sim::Entra,
    pub app: wo_azure_sim::AppRegistration,
}

/// The tenant of [`Identity::app`].
pub const TENANT: &str = "7f3c2b1a-0d4e-4f5a-9b6c-0000000000a1";

impl Azure {
    /// Starts the simulator and onboards `targets` in one context.
    pub fn start<'a>(targets: impl IntoIterator<Item = &'a str>) -> Azure {
        Self::start_with(targets, None)
    }

    /// As [`start`](Azure::start), but ARM takes only tokens Entra issued to an app
    /// registration trusting GitHub Actions' OIDC tokens of exactly `subjects`
    /// (`repo:acme/shop-source:environment:dev`, …), as the adoption guide sets it up.
    pub fn with_identity<'a>(
        targets: impl IntoIterator<Item = &'a str>,
        subjects: &[&str],
    ) -> Azure {
        Self::start_with(targets, Some(subjects))
    }

    fn start_with<'a>(
        targets: impl IntoIterator<Item = &'a str>,
        subjects: Option<&[&str]>,
    ) -> Azure {
        let targets: Vec<String> = targets.into_iter().map(str::to_string).collect();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (sim, registry, identity) = rt.block_on(async {
            let registry = wo_azure_sim::Registry::start(wo_azure_sim::RegistryOptions::default())
                .await
                .expect("registry");
            let identity = match subjects {
                Some(subjects) => Some(Identity::start(subjects).await),
                None => None,
            };
            let sim = wo_azure_sim::Simulator::start(wo_azure_sim::SimulatorOptions {
                lro_polls: 1,
                retry_after_secs: 0,
                charts: Some(registry.chart_source()),
                entra: identity.as_ref().map(|i| i.entra.authority()),
                ..Default::default()
            })
            .await
            .expect("simulator");
            let arm = match &identity {
                Some(i) => {
                    sim.assign_role(
                        &i.app.object_id,
                        wo_azure_sim::RoleDefinition::contributor(),
                        RESOURCE_GROUP,
                    );
                    i.arm(&sim)
                }
                None => arm(&sim),
            };
            let fleet: Vec<(String, Vec<String>)> = targets
                .iter()
                .map(|t| (t.clone(), vec!["helm".to_string()]))
                .collect();
            // Targets bind `helm.v3` only, as WO's do: wo publishes its chart (WO_REGISTRY).
            sim.onboard(&arm, RESOURCE_GROUP, "flows", "site", &fleet)
                .await
                .expect("onboard the fleet");
            (sim, registry, identity)
        });
        Azure {
            sim,
            registry,
            identity,
            rt,
        }
    }
}

/// The platform team's own job, which onboards the fleet.
const ONBOARDING: &str = "repo:acme/platform-control-plane:environment:dev";

impl Identity {
    async fn start(subjects: &[&str]) -> Identity {
        let clock: std::sync::Arc<dyn wo_http::Clock> = std::sync::Arc::new(wo_http::SystemClock);
        let oidc = wo_azure_sim::ActionsOidc::start(wo_azure_sim::ActionsOidcOptions {
            clock: clock.clone(),
        })
        .await
        .map(std::sync::Arc::new)
        .expect("GitHub Actions OIDC stand-in");
        let entra = wo_azure_sim::Entra::start(wo_azure_sim::EntraOptions {
            clock,
            ..Default::default()
        })
        .await
        .expect("Entra stand-in");
        entra.trust(oidc.issuer(), oidc.signing_key());
        let app = entra.register_app(TENANT, "wo-deploy");
        for (i, subject) in subjects.iter().chain([&ONBOARDING]).enumerate() {
            entra.add_federated_credential(
                &app,
                wo_azure_sim::FederatedCredential::github(&format!("wo-{i}"), subject),
            );
        }
        Identity { oidc, entra, app }
    }

    /// An ARM client signing in as the platform team's onboarding job.
    fn arm(&self, sim: &wo_azure_sim::Simulator) -> wo_azure::arm::ArmClient {
        let request = self.oidc.start_job(wo_azure_sim::ActionsJob::environment(
            "acme/platform-control-plane",
            "dev",
        ));
        let credential = wo_azure::arm::ClientCredentials::with_github_actions(
            wo_azure::arm::default_http_client().expect("http"),
            &self.entra.authority_host(),
            TENANT,
            &self.app.client_id,
            &request.url,
            request.token,
        )
        .expect("credential");
        wo_azure::arm::ArmClient::builder()
            .base_url(sim.base_url())
            .credential(std::sync::Arc::new(credential))
            .http_client(wo_azure::arm::default_http_client().expect("http"))
            .lro(wo_azure::arm::LroPolicy {
                min_interval: Duration::from_millis(1),
                ..Default::default()
            })
            .build()
            .expect("arm client")
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
            match &self.identity {
                // wo signs in itself, from the job's OIDC token (AZURE_CLIENT_ID and
                // AZURE_TENANT_ID come from the workflow).
                Some(i) => ("AZURE_AUTHORITY_HOST", i.entra.authority_host()),
                None => ("AZURE_ACCESS_TOKEN", "flows".to_string()),
            },
        ]
    }
}
