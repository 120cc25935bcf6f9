//! Charts in an OCI registry: the [`ChartRegistry`] port on `wo-oci` and `wo-render`'s packaging.
//!
//! # The registry setting
//!
//! `--registry`, `WO_REGISTRY` or `registry:` in `wo.yaml` names where charts are published:
//!
//! | written | charts go to | transport |
//! |---|---|---|
//! | `oci://myacr.azurecr.io/charts`, `myacr.azurecr.io/charts` | `oci://myacr.azurecr.io/charts/<chart>` | https |
//! | `https://registry.example.com` | `oci://registry.example.com/<chart>` | https |
//! | `http://127.0.0.1:5000/charts` | `oci://127.0.0.1:5000/charts/<chart>` | plain http (`helm --plain-http`): local registries only |
//!
//! A chart is published as `<chart>:<version>` where the version is the chart's own with the
//! source commit appended ([`wo_render::package::chart_version`]: `1.2.0-wo.g3f2a9c1b7d4e`),
//! packaged deterministically ([`wo_render::package::package`]): the same source commit gives
//! the same digest on any machine, so a release is uploaded once and every environment
//! installs the same bytes.
//!
//! # Credentials
//!
//! As `helm` and `docker` find them (see [`wo_oci::resolve_credentials`]):
//! `WO_REGISTRY_USERNAME`/`WO_REGISTRY_PASSWORD`, then Helm's registry config
//! (`helm registry login`), then Docker's (`docker login`, `az acr login`, credential helpers).
//! With none of those, a registry on `*.azurecr.io` (Azure Container Registry) is signed in to
//! with the Azure credential wo deploys with (its Entra token exchanged for a registry refresh
//! token, as `az acr login` does); any other registry is read anonymously.

use std::sync::Arc;

use async_trait::async_trait;
use wo_core::ports::{Chart, ChartPackage, ChartRef, ChartRegistry, CommitId, Published};
use wo_core::{Error, Location, Result};
use wo_oci::{Credentials as OciCredentials, Registry, RegistryOptions, ResolvedCredentials};

use crate::credentials::Credentials;

/// The Azure Container Registry host suffix.
const ACR_SUFFIX: &str = ".azurecr.io";

/// A registry setting, parsed: `host[/prefix]` and whether it is spoken to over plain http.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySetting {
    /// `host[:port][/prefix]`, no scheme.
    pub location: String,
    /// Plain http (the setting was `http://…`).
    pub plain_http: bool,
}

impl RegistrySetting {
    /// Parses a registry setting (see the [module page](self)).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the setting: empty, another scheme, or a host wo-oci refuses.
    pub fn parse(text: &str) -> Result<RegistrySetting> {
        let at = || Location::file("<settings>").with_key("registry");
        let text = text.trim();
        let (rest, plain_http) = if let Some(r) = text.strip_prefix("http://") {
            (r, true)
        } else if let Some(r) = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("oci://"))
        {
            (r, false)
        } else if text.contains("://") {
            return Err(Error::invalid(
                at(),
                format!(
                    "`{}`: a registry is oci://HOST[/PATH], https://…, or http://… for a local one",
                    text.escape_debug()
                ),
            ));
        } else {
            (text, false)
        };
        let location = rest.trim_end_matches('/').to_string();
        if location.is_empty() {
            return Err(Error::invalid(at(), "the registry is empty"));
        }
        // wo-oci checks host and path; a mistake is reported against the setting.
        Registry::new(
            &location,
            RegistryOptions::default(),
            OciCredentials::Anonymous,
        )
        .map_err(|e| Error::invalid(at(), e.to_string()))?;
        Ok(RegistrySetting {
            location,
            plain_http,
        })
    }

    fn host(&self) -> &str {
        self.location.split('/').next().unwrap_or_default()
    }
}

/// The [`ChartRegistry`] on an OCI registry. See the [module page](self).
pub struct OciChartRegistry {
    setting: RegistrySetting,
    registry: Registry,
    credentials: Credentials,
}

impl std::fmt::Debug for OciChartRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciChartRegistry")
            .field("setting", &self.setting)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl OciChartRegistry {
    /// The registry `setting` names, signed in to as the [module page](self) says.
    ///
    /// # Errors
    /// As [`RegistrySetting::parse`]; [`Error::Invalid`] for an unreadable registry config
    /// file (naming it).
    pub fn open(setting: &str, credentials: &Credentials) -> Result<OciChartRegistry> {
        let setting = RegistrySetting::parse(setting)?;
        let registry = registry_for(&setting, credentials)?;
        Ok(OciChartRegistry {
            setting,
            registry,
            credentials: credentials.clone(),
        })
    }

    /// Where the registry's credentials came from (for `-v` output; never the secret).
    pub fn credential_source(&self) -> String {
        self.registry.credential_source().to_string()
    }
}

/// A client of the registry at `setting` with the credentials found for its host.
fn registry_for(setting: &RegistrySetting, credentials: &Credentials) -> Result<Registry> {
    let options = RegistryOptions {
        plain_http: setting.plain_http,
        ..RegistryOptions::default()
    };
    let host = setting.host();
    let mut resolved = wo_oci::resolve_credentials(host, None, &wo_oci::process_env)?;
    if matches!(resolved.credentials, OciCredentials::Anonymous) && host.ends_with(ACR_SUFFIX) {
        if let Some(entra) = entra_token(credentials)? {
            resolved = ResolvedCredentials {
                credentials: OciCredentials::AzureExchange(entra),
                source: resolved.source,
            };
        }
    }
    Registry::with_resolved(&setting.location, options, resolved)
}

/// The Azure credential, as an Entra token source for ACR's exchange.
#[cfg(feature = "azure")]
fn entra_token(credentials: &Credentials) -> Result<Option<Arc<dyn wo_oci::EntraToken>>> {
    let credential = match credentials.azure() {
        Some(c) => c,
        None => wo_azure::arm::credential_from_env(wo_azure::arm::default_http_client()?)?,
    };
    let source = move || -> wo_oci::TokenFuture<'static> {
        let credential = credential.clone();
        Box::pin(async move {
            let token = credential
                .get_token("https://management.azure.com/.default")
                .await?;
            Ok(token.token)
        })
    };
    Ok(Some(Arc::new(source)))
}

#[cfg(not(feature = "azure"))]
fn entra_token(_: &Credentials) -> Result<Option<Arc<dyn wo_oci::EntraToken>>> {
    Ok(None)
}

/// The chart's own version, from its `Chart.yaml`.
fn chart_yaml_version(chart: &Chart) -> Result<String> {
    let file = format!("{}/Chart.yaml", chart.name);
    let text = chart
        .files
        .text(wo_render::package::CHART_FILE)?
        .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?;
    let meta = wo_core::yaml::parse(text, &file)?.to_value(&file)?;
    match &meta["version"] {
        serde_json::Value::String(v) => Ok(v.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::invalid(
            Location::file(&file).with_key("version"),
            "the chart has no `version`",
        )),
    }
}

#[async_trait]
impl ChartRegistry for OciChartRegistry {
    fn package(&self, chart: &Chart, source_commit: &CommitId) -> Result<ChartPackage> {
        let version =
            wo_render::package::chart_version(&chart_yaml_version(chart)?, source_commit.as_str())?;
        let packaged = wo_render::package::package(&chart.files, &version)?;
        // The files as the orchestrator will see them: read back from the archive.
        let unpacked = wo_render::package::unpack(&packaged.bytes, &packaged.file_name)?;
        Ok(ChartPackage {
            name: packaged.name,
            version: packaged.version,
            digest: packaged.digest,
            bytes: packaged.bytes,
            files: unpacked.files,
        })
    }

    fn reference(&self, package: &ChartPackage) -> ChartRef {
        ChartRef {
            repo: self.registry.reference(&package.name),
            version: package.version.clone(),
            digest: package.digest.clone(),
        }
    }

    async fn publish(&self, package: &ChartPackage) -> Result<Published> {
        let pushed = self
            .registry
            .push_chart(&package.name, &package.version, &package.bytes)
            .await?;
        Ok(Published {
            chart: ChartRef {
                repo: pushed.reference,
                version: pushed.version,
                digest: pushed.digest,
            },
            pushed: pushed.pushed,
        })
    }

    async fn fetch(&self, chart: &ChartRef) -> Result<ChartPackage> {
        let reference = wo_oci::Reference::parse(&chart.repo)?;
        // A chart on the configured registry is read with its client; one elsewhere (a chart
        // someone pushed by hand, named in wo/solution.yaml) with the credentials of its host.
        let (registry, repository) = if reference.host == self.setting.host() {
            let prefix = self
                .setting
                .location
                .split_once('/')
                .map(|(_, p)| format!("{p}/"))
                .unwrap_or_default();
            match reference.repository.strip_prefix(&prefix) {
                Some(r) => (None, r.to_string()),
                None => (
                    Some(registry_for(
                        &RegistrySetting {
                            location: reference.host.clone(),
                            plain_http: self.setting.plain_http,
                        },
                        &self.credentials,
                    )?),
                    reference.repository.clone(),
                ),
            }
        } else {
            let setting = RegistrySetting {
                location: reference.host.clone(),
                plain_http: self.setting.plain_http && wo_oci::is_loopback(&reference.host),
            };
            (
                Some(registry_for(&setting, &self.credentials)?),
                reference.repository.clone(),
            )
        };
        let registry = registry.as_ref().unwrap_or(&self.registry);
        let pulled = registry.pull_chart(&repository, &chart.version).await?;
        let shown = format!("{}:{}", chart.repo, chart.version);
        if !chart.digest.is_empty() && pulled.digest != chart.digest {
            return Err(Error::invalid(
                Location::file(&shown),
                format!(
                    "the chart there is {}, not {} (pushed again under the same version?)",
                    pulled.digest, chart.digest
                ),
            ));
        }
        let unpacked = wo_render::package::unpack(&pulled.bytes, &shown)?;
        Ok(ChartPackage {
            name: unpacked.name,
            version: chart.version.clone(),
            digest: pulled.digest,
            bytes: pulled.bytes,
            files: unpacked.files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_settings_name_host_path_and_transport() {
        for (text, location, plain) in [
            (
                "oci://myacr.azurecr.io/charts",
                "myacr.azurecr.io/charts",
                false,
            ),
            ("myacr.azurecr.io/charts/", "myacr.azurecr.io/charts", false),
            (
                "https://registry.example.com",
                "registry.example.com",
                false,
            ),
            (
                "http://127.0.0.1:5000/charts",
                "127.0.0.1:5000/charts",
                true,
            ),
        ] {
            assert_eq!(
                RegistrySetting::parse(text).unwrap(),
                RegistrySetting {
                    location: location.into(),
                    plain_http: plain
                },
                "{text}"
            );
        }
        for bad in ["", "ftp://x/y", "oci://", "http://a b/c"] {
            let err = RegistrySetting::parse(bad).unwrap_err();
            assert!(err.is_invalid_input(), "{bad}: {err}");
            assert!(err.to_string().contains("registry"), "{bad}: {err}");
        }
    }
}
