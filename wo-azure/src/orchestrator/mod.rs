//! [`WoOrchestrator`]: the [`Orchestrator`] port on Azure Workload Orchestration.
//!
//! # What a deploy does
//!
//! For a [`Release`] of solution `S` with version `R` (wo names releases by their gitops
//! commit; WO versions are `MAJOR.MINOR.PATCH`, so `R` maps to [`wo_version`]`(R)`, the same on
//! every run):
//!
//! 1. **Schema** `RG/schemas/{S}` and its version: a schema typing every key of the
//!    release's composed values (see [`config`](self::generate)). Created when missing;
//!    reused when present with the same content; a different content is
//!    [`Error::AlreadyExists`] (versions are immutable).
//! 2. **Solution template** `RG/solutionTemplates/{S}` and its version, with a configuration
//!    template reading each key by `$val` (so the resolved configuration is exactly the
//!    composed values: the chart's values) and the solution specification (by default the
//!    app's `wo/solution.yaml` with the published chart filled in, see
//!    [`default_specification`] and [`WoOrchestrator::specification`]).
//! 3. Per target, at most [`WoOptions::concurrency`] at once:
//!    1. what WO already has: the target's solution versions of this template version and the
//!       instance; a version that runs there already is `Deployed` without installing again,
//!       one being installed is watched, one reviewed but not installed is installed;
//!    2. the values: the target's configuration reference → its configuration →
//!       `dynamicConfigurations/{uniqueIdentifier}/versions/{version}` with the target's
//!       values;
//!    3. review (`reviewSolutionVersion`), then the **check**: the configuration WO resolved
//!       must equal the values we composed; any difference fails the target with a line per
//!       key and nothing is installed;
//!    4. publish, install, and watch the solution version (its `latestActionTrackingUri`)
//!       until `Deployed` or `Failed`; a failure carries WO's `errorDetails`. The watch waits
//!       before every poll ([`WoOptions::watch_interval`]); a version superseded meanwhile by
//!       another install of the same release is followed to it, one superseded by another
//!       release fails the target saying what replaced it.
//!
//! A target that fails does not stop the others; its outcome is
//! [`TargetOutcome::Failed`] with WO's words. A rerun (after a crash, a failure or throttling)
//! starts over and continues from what WO has: nothing is created twice, nothing installed
//! twice.
//!
//! Targets are found by the fleet's orchestrator id (`orchestrator: {id: …}`); a target
//! without one is `RG/targets/{name}` in the resource group given.
//!
//! # Health
//!
//! While a rollout's wave bakes, [`Orchestrator::health`] reads each target's instance
//! `RG/targets/{t}/solutions/{S}/instances/{S}` (one `GET` per target, at most
//! [`WoOptions::concurrency`] at once, plus one `GET` of the solution template per call):
//!
//! | the instance | health |
//! |---|---|
//! | missing (404), or running a solution version of another template version | `Unknown` |
//! | `status`, every `targetStatuses[].status` and `componentStatuses[].status` say deployed (`Deployed`, `Succeeded`, `Running`, …) | `Healthy` |
//! | any of them says failing (`Failed`, `Degraded`, `Error`, `Unhealthy`, …) | `Unhealthy`, the reason naming the failing components and WO's `statusDetails` |
//! | anything else (`Deploying`, `Reconciling`, absent) | `Unknown` |
//!
//! Whether the version is the release's is read from its name (`{template version}.{revision}`,
//! as WO names solution versions); a name of another shape costs one more `GET`, of the
//! solution version, to compare its `solutionTemplateVersionId`. See [`health_of_status`].

mod config;
mod health;
mod names;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use serde_json::{json, Value};
use wo_core::ports::{
    ChartRef, DeploymentReport, Health, Orchestrator, Release, Running, TargetOutcome,
    TargetRelease,
};
use wo_core::{Error, Location, Result};

use crate::arm::{ArmClient, BACKEND};

pub use config::{differences, generate, Generated};
pub use health::health_of_status;
pub use names::{configuration_name, template_name, wo_version};

/// Builds a solution template version's `specification` for a release.
pub type SpecificationFn = dyn Fn(&Release) -> Result<Value> + Send + Sync;

/// How [`WoOrchestrator`] works.
#[derive(Clone)]
pub struct WoOptions {
    /// Targets worked on at once (default 8; at least 1). Each target sends one request at a
    /// time, so at most this many requests are in flight.
    pub concurrency: usize,
    /// The solution template's `capabilities` (default none; each must be a capability of
    /// every target).
    pub capabilities: Vec<String>,
    /// Wait between polls while watching an installation (default 2 s): every poll waits it,
    /// or the `Retry-After` of WO's tracked action when that is longer (at most
    /// [`LroPolicy::max_interval`](crate::arm::LroPolicy::max_interval)), and never less than
    /// the client's [`LroPolicy::min_interval`](crate::arm::LroPolicy::min_interval). Waits
    /// are slept on the ARM client's clock.
    pub watch_interval: Duration,
    /// Longest watch of one installation, measured on the ARM client's clock, before the
    /// target is reported failed (default 30 min; a rerun watches again).
    pub watch_timeout: Duration,
}

impl Default for WoOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            capabilities: Vec::new(),
            watch_interval: Duration::from_secs(2),
            watch_timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl std::fmt::Debug for WoOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WoOptions")
            .field("concurrency", &self.concurrency)
            .field("capabilities", &self.capabilities)
            .field("watch_interval", &self.watch_interval)
            .field("watch_timeout", &self.watch_timeout)
            .finish()
    }
}

/// The [`Orchestrator`] on Workload Orchestration. See the [module page](self).
///
/// ```no_run
/// use std::sync::Arc;
/// use wo_azure::arm::{credential_from_env, default_http_client, ArmClient};
/// use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
///
/// # fn demo() -> wo_core::Result<()> {
/// let http = default_http_client()?;
/// let arm = ArmClient::builder()
///     .credential(credential_from_env(http.clone())?)
///     .http_client(http)
///     .build()?;
/// let wo = WoOrchestrator::new(
///     Arc::new(arm),
///     "/subscriptions/0000/resourceGroups/shop",
///     "eastus",
/// )?
/// .with_options(WoOptions { concurrency: 32, ..WoOptions::default() });
/// # let _ = wo; Ok(()) }
/// ```
pub struct WoOrchestrator {
    arm: Arc<ArmClient>,
    /// `/subscriptions/{s}/resourceGroups/{rg}`.
    resource_group: String,
    location: String,
    options: WoOptions,
    specification: Arc<SpecificationFn>,
    /// Target name → ARM id, learnt from releases (for [`Orchestrator::deployed`]).
    known: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for WoOrchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WoOrchestrator")
            .field("resource_group", &self.resource_group)
            .field("location", &self.location)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The sha256 (hex) of every target's name, values and manifests, in target order: what makes
/// two releases with the same version the same release.
pub fn release_digest(release: &Release) -> String {
    use sha2::{Digest, Sha256};
    let mut targets: Vec<&TargetRelease> = release.targets.iter().collect();
    targets.sort_by(|a, b| a.target.cmp(&b.target));
    let mut h = Sha256::new();
    for t in targets {
        for part in [
            t.target.as_bytes(),
            t.values.to_string().as_bytes(),
            t.manifests.as_bytes(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The component type WO installs charts with.
pub const HELM_COMPONENT: &str = "helm.v3";

/// The file a solution's own specification comes from, for messages.
const SOLUTION_FILE: &str = "wo/solution.yaml";

/// The default specification of a release's solution template version.
///
/// - **With a published chart** ([`Release::chart`]): the solution's own specification
///   ([`Release::specification`], its `wo/solution.yaml`, WO's format: `components`) with the
///   chart filled in — every `helm.v3` component whose `properties.chart.repo` is absent, empty
///   or names the same chart (its last path segment is the chart's name) gets `repo` and
///   `version` of the published chart; everything else is kept as written (`wait`, `timeout`,
///   other components). Without a `wo/solution.yaml`, one `helm.v3` component named after the
///   solution: `{"chart": {"repo", "version", "wait": true, "timeout": "5m"}}`. WO installs it
///   with the target's resolved configuration as the chart's values.
/// - **Without a chart** (no registry configured): one component of type `wo.gitops` that
///   names where the release's manifests are, with the [`release_digest`]. Only targets whose
///   target specification binds `wo.gitops` take it (WO's targets bind `helm.v3`).
///
/// # Errors
/// [`Error::Invalid`] naming `wo/solution.yaml`: it is not a mapping with a `components` list,
/// or no `helm.v3` component takes the published chart (WO would never install it).
pub fn default_specification(release: &Release) -> Result<Value> {
    let Some(chart) = &release.chart else {
        return Ok(json!({
            "components": [{
                "name": release.solution,
                "type": "wo.gitops",
                "properties": {
                    "release": release.version,
                    "environment": release.environment,
                    "sourceCommit": release.source_commit.as_str(),
                    "gitopsCommit": release.gitops_commit.as_str(),
                    "manifests": format!("{}/<target>/manifests.yaml", release.solution),
                    "contentDigest": release_digest(release),
                }
            }]
        }));
    };
    let chart_name = chart.repo.rsplit('/').next().unwrap_or_default();
    let Some(spec) = &release.specification else {
        return Ok(json!({
            "components": [{
                "name": release.solution,
                "type": HELM_COMPONENT,
                "properties": {
                    "chart": {
                        "repo": chart.repo,
                        "version": chart.version,
                        "wait": true,
                        "timeout": "5m",
                    }
                }
            }]
        }));
    };
    let at = |key: &str| Location::file(SOLUTION_FILE).with_key(key);
    let mut spec = spec.clone();
    let Some(components) = spec.get_mut("components").and_then(Value::as_array_mut) else {
        return Err(Error::invalid(
            at("components"),
            "a solution specification is a mapping with a `components` list (WO's format)",
        ));
    };
    let mut filled = 0;
    for (i, c) in components.iter_mut().enumerate() {
        if c["type"].as_str() != Some(HELM_COMPONENT) {
            continue;
        }
        let names_it = match c["properties"]["chart"]["repo"].as_str().map(str::trim) {
            None | Some("") => true,
            Some(repo) => repo.trim_end_matches('/').rsplit('/').next() == Some(chart_name),
        };
        if !names_it {
            continue;
        }
        let Some(props) = c
            .as_object_mut()
            .map(|o| o.entry("properties").or_insert_with(|| json!({})))
        else {
            return Err(Error::invalid(
                at(&format!("components[{i}]")),
                "a component is a mapping",
            ));
        };
        let Some(props) = props.as_object_mut() else {
            return Err(Error::invalid(
                at(&format!("components[{i}].properties")),
                "a component's properties are a mapping",
            ));
        };
        let chart_props = props.entry("chart").or_insert_with(|| json!({}));
        let Some(chart_props) = chart_props.as_object_mut() else {
            return Err(Error::invalid(
                at(&format!("components[{i}].properties.chart")),
                "`chart` is a mapping (repo, version, wait, timeout)",
            ));
        };
        chart_props.insert("repo".into(), json!(chart.repo));
        chart_props.insert("version".into(), json!(chart.version));
        filled += 1;
    }
    if filled == 0 {
        return Err(Error::invalid(
            at("components"),
            format!(
                "no `{HELM_COMPONENT}` component takes the chart `{chart_name}` that wo publishes ({}): \
                 WO would never install it; give one `chart.repo` ending in `/{chart_name}`, or leave `repo` out",
                chart.repo
            ),
        ));
    }
    Ok(spec)
}

/// The first line of the `configurations` wo writes: names the release (read back by
/// [`Orchestrator::deployed`]) and its content digest, so a version is never taken for
/// another release's. A YAML comment: WO's configuration engine ignores it.
fn configurations_header(release: &Release) -> String {
    format!(
        "# wo: release {} digest {}\n",
        release.version,
        release_digest(release)
    )
}

/// Where one release lives in WO.
#[derive(Debug, Clone)]
struct Plan {
    solution: String,
    version: String,
    template_version_id: String,
    /// The solution template's `uniqueIdentifier` (names the solution and dynamic configuration).
    unique: String,
}

impl WoOrchestrator {
    /// An orchestrator creating schemas and solution templates in `resource_group`
    /// (`/subscriptions/{s}/resourceGroups/{rg}`) at `location`.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `resource_group` is not such an id.
    pub fn new(arm: Arc<ArmClient>, resource_group: &str, location: &str) -> Result<Self> {
        let rg = resource_group.trim_end_matches('/');
        let segs: Vec<&str> = rg.split('/').collect();
        let ok = segs.len() == 5
            && segs[0].is_empty()
            && segs[1].eq_ignore_ascii_case("subscriptions")
            && segs[3].eq_ignore_ascii_case("resourceGroups")
            && !segs[2].is_empty()
            && !segs[4].is_empty()
            && segs[2..]
                .iter()
                .all(|s| !s.contains(['?', '#', '%']) && *s != "..");
        if !ok {
            return Err(Error::invalid(
                Location::file("<settings>").with_key("resourceGroup"),
                format!("`{resource_group}` is not a resource group id (/subscriptions/<id>/resourceGroups/<name>)"),
            ));
        }
        if location.trim().is_empty() {
            return Err(Error::invalid(
                Location::file("<settings>").with_key("location"),
                "the Azure location is empty",
            ));
        }
        Ok(Self {
            arm,
            resource_group: rg.to_string(),
            location: location.trim().to_string(),
            options: WoOptions::default(),
            specification: Arc::new(default_specification),
            known: Mutex::new(HashMap::new()),
        })
    }

    /// Sets the options.
    #[must_use]
    pub fn with_options(mut self, options: WoOptions) -> Self {
        self.options = options;
        self
    }

    /// Builds solution template versions' `specification` with `f` (default
    /// [`default_specification`], one component naming the gitops commit). It must give the
    /// same value for the same release, and should include a digest of the release's content
    /// (as [`release_digest`]) so that a version is never reused for other content. A
    /// component property `release` holding the release version lets
    /// [`deployed`](Orchestrator::deployed) name the release (else it names WO's version).
    #[must_use]
    pub fn specification(
        mut self,
        f: impl Fn(&Release) -> Result<Value> + Send + Sync + 'static,
    ) -> Self {
        self.specification = Arc::new(f);
        self
    }

    /// The ARM client.
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    fn edge(&self) -> String {
        format!("{}/providers/Microsoft.Edge", self.resource_group)
    }

    /// The ARM id of a target: its orchestrator id, else `RG/targets/{name}`.
    pub fn target_id(&self, target: &str, orchestrator_id: Option<&str>) -> String {
        match orchestrator_id.filter(|s| !s.trim().is_empty()) {
            Some(id) => id.trim().trim_end_matches('/').to_string(),
            None => {
                if let Some(id) = self.lock_known().get(target) {
                    return id.clone();
                }
                format!("{}/targets/{target}", self.edge())
            }
        }
    }

    fn lock_known(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// GET that answers `None` for 404.
    async fn get_opt(&self, path: &str) -> Result<Option<Value>> {
        match self.arm.get(path).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ensures the tracked resource exists (PUT when missing).
    async fn ensure_tracked(&self, path: &str, properties: Value) -> Result<Value> {
        if let Some(v) = self.get_opt(path).await? {
            return Ok(v);
        }
        self.arm
            .put_lro(
                path,
                &json!({"location": self.location, "properties": properties}),
            )
            .await
    }

    /// Ensures `{parent}/versions/{version}` exists with `props` (compared on `fields`).
    async fn ensure_version(
        &self,
        parent: &str,
        version: &str,
        body_key: &str,
        props: Value,
        fields: &[&str],
    ) -> Result<String> {
        let id = format!("{parent}/versions/{version}");
        let existing = match self.get_opt(&id).await? {
            Some(v) => Some(v),
            None => {
                let body = json!({"version": version, body_key: {"properties": props.clone()}});
                match self
                    .arm
                    .post_lro(&format!("{parent}/createVersion"), Some(&body))
                    .await
                {
                    Ok(_) => None,
                    // A concurrent run (or an earlier one whose answer was lost) made it.
                    Err(Error::AlreadyExists { .. } | Error::Precondition { .. }) => {
                        self.get_opt(&id).await?
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        if let Some(v) = existing {
            for f in fields {
                if !same_content(&v["properties"][f], &props[f]) {
                    return Err(Error::already_exists(format!(
                            "{id} exists with another `{f}`; a version is immutable (was the release changed after it was first deployed?)"
                        )));
                }
            }
        }
        Ok(id)
    }

    /// Steps 1 and 2 of the module page: schema, template and their versions.
    async fn prepare(&self, release: &Release) -> Result<Plan> {
        let name = template_name(&release.solution);
        let version = wo_version(&release.version);
        let generated = generate(
            &name,
            &version,
            release
                .targets
                .iter()
                .map(|t| (t.target.as_str(), &t.values)),
        )?;
        let edge = self.edge();
        let schema_id = format!("{edge}/schemas/{name}");
        self.ensure_tracked(&schema_id, json!({})).await?;
        self.ensure_version(
            &schema_id,
            &version,
            "schemaVersion",
            json!({"value": generated.schema}),
            &["value"],
        )
        .await?;
        let template_id = format!("{edge}/solutionTemplates/{name}");
        let template = self
            .ensure_tracked(
                &template_id,
                json!({
                    "description": format!("{} (managed by wo)", release.solution),
                    "capabilities": self.options.capabilities,
                }),
            )
            .await?;
        let unique = template["properties"]["uniqueIdentifier"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or(&name)
            .to_string();
        let template_version_id = self
            .ensure_version(
                &template_id,
                &version,
                "solutionTemplateVersion",
                json!({
                    "configurations": format!("{}{}", configurations_header(release), generated.template),
                    "specification": (self.specification)(release)?,
                }),
                &["configurations", "specification"],
            )
            .await?;
        Ok(Plan {
            solution: release.solution.clone(),
            version,
            template_version_id,
            unique,
        })
    }

    /// The target's solution versions of `plan`'s template version, newest revision first.
    async fn our_versions(&self, target_id: &str, plan: &Plan) -> Result<Vec<Value>> {
        let path = format!("{target_id}/solutions/{}/versions", plan.unique);
        let mut all = match self.arm.list(&path).await {
            Ok(v) => v,
            Err(Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        all.retain(|sv| {
            sv["properties"]["solutionTemplateVersionId"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&plan.template_version_id))
        });
        all.sort_by_key(|sv| std::cmp::Reverse(sv["properties"]["revision"].as_i64().unwrap_or(0)));
        Ok(all)
    }

    /// The solution version id the target's instance of the solution runs, if any.
    async fn running_version_id(&self, target_id: &str, unique: &str) -> Result<Option<String>> {
        let path = format!("{target_id}/solutions/{unique}/instances/{unique}");
        Ok(self.get_opt(&path).await?.and_then(|i| {
            i["properties"]["solutionVersionId"]
                .as_str()
                .map(str::to_string)
        }))
    }

    /// Whether the target's instance runs one of `ours` and WO says it is `Deployed` (no read
    /// when `ours` is empty: then it cannot).
    async fn runs_one_of(&self, target_id: &str, plan: &Plan, ours: &[Value]) -> Result<bool> {
        if ours.is_empty() {
            return Ok(false);
        }
        let Some(running) = self.running_version_id(target_id, &plan.unique).await? else {
            return Ok(false);
        };
        Ok(ours.iter().any(|sv| {
            state(sv) == "Deployed"
                && sv["id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&running))
        }))
    }

    /// Writes the target's values where review reads them.
    async fn set_values(&self, target_id: &str, plan: &Plan, values: &Value) -> Result<()> {
        let reference =
            format!("{target_id}/providers/Microsoft.Edge/configurationReferences/default");
        let config_id = match self.get_opt(&reference).await? {
            Some(r) => r["properties"]["configurationResourceId"]
                .as_str()
                .map(|s| s.trim_end_matches('/').to_string())
                .ok_or_else(|| {
                    backend(
                        format!("{reference} names no configurationResourceId"),
                        false,
                    )
                })?,
            None => {
                // A missing target is named as such, not papered over.
                self.arm.get(target_id).await?;
                // Targets made before configurations existed have none: make both, as the
                // Azure CLI does for sites.
                let target_name = target_id.rsplit('/').next().unwrap_or("target");
                let id = format!(
                    "{}/configurations/{}",
                    self.edge(),
                    configuration_name(target_name)
                );
                self.arm
                    .put(&id, &json!({"location": self.location}))
                    .await?;
                self.arm
                    .put(
                        &reference,
                        &json!({"properties": {"configurationResourceId": id}}),
                    )
                    .await?;
                id
            }
        };
        let dynamic = format!("{config_id}/dynamicConfigurations/{}", plan.unique);
        let version = format!("{dynamic}/versions/{}", plan.version);
        let text = wo_core::yaml::to_string(values);
        // PUT is create-or-replace: writing the same values again is harmless, so no read first.
        self.arm
            .put_lro(
                &dynamic,
                &json!({"properties": {"currentVersion": plan.version}}),
            )
            .await?;
        self.arm
            .put_lro(&version, &json!({"properties": {"values": text}}))
            .await?;
        Ok(())
    }

    async fn deploy_named(&self, plan: &Plan, t: &TargetRelease) -> (String, TargetOutcome) {
        (t.target.clone(), self.deploy_target(plan, t).await)
    }

    async fn deploy_target(&self, plan: &Plan, t: &TargetRelease) -> TargetOutcome {
        let target_id = self.target_id(&t.target, t.orchestrator_id.as_deref());
        match self.try_deploy_target(plan, &target_id, &t.values).await {
            Ok(outcome) => outcome,
            Err(e) => TargetOutcome::Failed {
                message: e.to_string(),
            },
        }
    }

    async fn try_deploy_target(
        &self,
        plan: &Plan,
        target_id: &str,
        values: &Value,
    ) -> Result<TargetOutcome> {
        let ours = self.our_versions(target_id, plan).await?;
        if self.runs_one_of(target_id, plan, &ours).await? {
            return Ok(TargetOutcome::Deployed);
        }
        if let Some(sv) = ours.iter().find(|sv| state(sv) == "Deploying") {
            let id = sv["id"].as_str().unwrap_or_default().to_string();
            return self.watch(plan, target_id, &id).await;
        }
        let reusable = ours.iter().find(|sv| {
            matches!(
                state(sv),
                "ReadyToDeploy" | "ReadyToUpgrade" | "Failed" | "Deployed" | "Undeployed"
            )
        });
        let sv = match reusable {
            Some(sv) => sv.clone(),
            None => {
                self.set_values(target_id, plan, values).await?;
                let body = json!({
                    "solutionTemplateVersionId": plan.template_version_id,
                    "solutionInstanceName": plan.unique,
                });
                match self
                    .arm
                    .post_lro(&format!("{target_id}/reviewSolutionVersion"), Some(&body))
                    .await
                {
                    Ok(sv) => sv,
                    Err(e) if e.is_invalid_input() => {
                        return Ok(TargetOutcome::Failed {
                            message: format!("WO refused the configuration at review: {e}"),
                        })
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let sv_id = sv["id"]
            .as_str()
            .ok_or_else(|| backend("review answered no solution version id".into(), false))?
            .to_string();
        let resolved_text = sv["properties"]["configuration"].as_str().unwrap_or("");
        let resolved = if resolved_text.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            wo_core::yaml::parse(resolved_text, &format!("{sv_id} configuration"))
                .and_then(|n| n.to_value(&sv_id))?
        };
        let diff = differences(values, &resolved);
        if !diff.is_empty() {
            return Ok(TargetOutcome::Failed {
                message: format!(
                    "WO resolved a configuration that differs from the one wo reviewed ({sv_id}):\n  {}",
                    diff.join("\n  ")
                ),
            });
        }
        if matches!(state(&sv), "ReadyToDeploy" | "ReadyToUpgrade") && !published(&sv) {
            self.arm
                .post_lro(
                    &format!("{target_id}/publishSolutionVersion"),
                    Some(&json!({"solutionVersionId": sv_id})),
                )
                .await?;
        }
        self.install(plan, target_id, &sv_id).await
    }

    /// `installSolution`, then the version's outcome.
    async fn install(&self, plan: &Plan, target_id: &str, sv_id: &str) -> Result<TargetOutcome> {
        let installed = self
            .arm
            .post_lro(
                &format!("{target_id}/installSolution"),
                Some(&json!({"solutionVersionId": sv_id})),
            )
            .await;
        match installed {
            Ok(_) => self.watch(plan, target_id, sv_id).await,
            // The operation failed: the version says why.
            Err(
                e @ (Error::Backend { .. } | Error::Rejected { .. } | Error::Precondition { .. }),
            ) => {
                let Some(sv) = self.get_opt(sv_id).await? else {
                    return Err(e);
                };
                match state(&sv) {
                    "Failed" => Ok(failed(&sv, Some(&e))),
                    "Deploying" => self.watch(plan, target_id, sv_id).await,
                    "Deployed" => Ok(TargetOutcome::Deployed),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Uninstalls the solution from the target (`uninstallSolution`).
    ///
    /// # Errors
    /// As [`ArmClient::post_lro`].
    pub async fn uninstall(&self, solution: &str, target: &str) -> Result<()> {
        let target_id = self.target_id(target, None);
        let name = template_name(solution);
        let template_id = format!("{}/solutionTemplates/{name}", self.edge());
        let unique = self.unique_of(&template_id, &name).await?;
        self.arm
            .post_lro(
                &format!("{target_id}/uninstallSolution"),
                Some(&json!({"solutionTemplateId": template_id, "solutionInstanceName": unique})),
            )
            .await?;
        Ok(())
    }

    /// Installs an earlier release `version` of `solution` again on `targets` (at most
    /// [`WoOptions::concurrency`] at once): the solution version WO made for it on each target
    /// is installed as it was reviewed. A target that runs it already is left alone; a target
    /// that never had it fails with a message saying so.
    ///
    /// # Errors
    /// [`Error::NotFound`] when WO has no such template version.
    pub async fn rollback(
        &self,
        solution: &str,
        version: &str,
        targets: &[String],
    ) -> Result<DeploymentReport> {
        let name = template_name(solution);
        let wo_v = wo_version(version);
        let template_id = format!("{}/solutionTemplates/{name}", self.edge());
        let template_version_id = format!("{template_id}/versions/{wo_v}");
        self.arm.get(&template_version_id).await?;
        let plan = Plan {
            solution: solution.to_string(),
            version: wo_v,
            unique: self.unique_of(&template_id, &name).await?,
            template_version_id,
        };
        let work: Vec<_> = targets
            .iter()
            .map(|t| self.rollback_named(&plan, t))
            .collect();
        let results = futures::stream::iter(work)
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        Ok(DeploymentReport {
            version: version.to_string(),
            results,
        })
    }

    async fn rollback_named(&self, plan: &Plan, target: &str) -> (String, TargetOutcome) {
        let target_id = self.target_id(target, None);
        let outcome = match self.rollback_target(plan, &target_id).await {
            Ok(o) => o,
            Err(e) => TargetOutcome::Failed {
                message: e.to_string(),
            },
        };
        (target.to_string(), outcome)
    }

    async fn rollback_target(&self, plan: &Plan, target_id: &str) -> Result<TargetOutcome> {
        let ours = self.our_versions(target_id, plan).await?;
        if self.runs_one_of(target_id, plan, &ours).await? {
            return Ok(TargetOutcome::Deployed);
        }
        let Some(sv) = ours.first() else {
            return Ok(TargetOutcome::Failed {
                message: format!(
                    "{target_id} never had version {} of {}: nothing to roll back to",
                    plan.version, plan.solution
                ),
            });
        };
        let id = sv["id"].as_str().unwrap_or_default().to_string();
        self.install(plan, target_id, &id).await
    }

    async fn unique_of(&self, template_id: &str, name: &str) -> Result<String> {
        Ok(self
            .get_opt(template_id)
            .await?
            .and_then(|t| {
                t["properties"]["uniqueIdentifier"]
                    .as_str()
                    .map(str::to_string)
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| name.to_string()))
    }
}

fn state(sv: &Value) -> &str {
    sv["properties"]["state"].as_str().unwrap_or("")
}

/// Whether the version's stages show a completed publish.
fn published(sv: &Value) -> bool {
    let done = |s: &Value| {
        s["stage"].as_str() == Some("Publish") && s["status"].as_str() == Some("Completed")
    };
    done(&sv["properties"]["currentStage"])
        || sv["properties"]["stages"]
            .as_array()
            .is_some_and(|a| a.iter().any(done))
}

/// The release a solution template version was made for: named by the first line of its
/// `configurations` as wo writes it, else (a `wo.gitops` specification) by the `release`
/// property of a component.
fn release_of(v: &Value) -> Option<&str> {
    let from_header = v["properties"]["configurations"]
        .as_str()
        .and_then(|c| c.lines().next())
        .and_then(|l| l.strip_prefix("# wo: release "))
        .and_then(|l| l.split_whitespace().next());
    from_header.or_else(|| {
        v["properties"]["specification"]["components"]
            .as_array()?
            .iter()
            .find_map(|c| c["properties"]["release"].as_str())
    })
}

/// A failed target with WO's `errorDetails` (code, message, details).
fn failed(sv: &Value, fallback: Option<&Error>) -> TargetOutcome {
    let e = &sv["properties"]["errorDetails"];
    let mut message = match (e["code"].as_str(), e["message"].as_str()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (None, Some(m)) => m.to_string(),
        (Some(c), None) => c.to_string(),
        (None, None) => fallback
            .map(|e| e.to_string())
            .unwrap_or_else(|| "the installation failed (WO gave no details)".into()),
    };
    if let Some(details) = e["details"].as_array() {
        for d in details {
            let code = d["code"].as_str().unwrap_or("");
            let msg = d["message"].as_str().unwrap_or("");
            let target = d["target"]
                .as_str()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            message.push_str(&format!("\n  {code}: {msg}{target}"));
        }
    }
    TargetOutcome::Failed {
        message: wo_http::scrub(&message),
    }
}

fn same_content(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.trim_end() == y.trim_end(),
        _ => a == b,
    }
}

fn backend(message: String, retryable: bool) -> Error {
    Error::backend(BACKEND, message).retryable(retryable)
}

#[async_trait]
impl Orchestrator for WoOrchestrator {
    async fn deploy(&self, release: &Release) -> Result<DeploymentReport> {
        let all = release.targets.iter().map(|t| t.target.clone()).collect();
        self.deploy_to(release, &all).await
    }

    /// Schema and template (steps 1 and 2) come from the whole release, so a batch is the
    /// same version as the release; only the targets named are installed.
    async fn deploy_to(
        &self,
        release: &Release,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<DeploymentReport> {
        release.validate()?;
        wo_core::ports::check_batch(release, targets)?;
        {
            let mut known = self.lock_known();
            for t in &release.targets {
                if let Some(id) = t
                    .orchestrator_id
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                {
                    known.insert(
                        t.target.clone(),
                        id.trim().trim_end_matches('/').to_string(),
                    );
                }
            }
        }
        let plan = self.prepare(release).await?;
        let work: Vec<_> = release
            .targets
            .iter()
            .filter(|t| targets.contains(&t.target))
            .map(|t| self.deploy_named(&plan, t))
            .collect();
        let results = futures::stream::iter(work)
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        Ok(DeploymentReport {
            version: release.version.clone(),
            results,
        })
    }

    /// Reads each target's instance of the solution (at most [`WoOptions::concurrency`] at
    /// once; one `GET` per target, one more for the solution template): a target whose
    /// instance runs a solution version of the release's template version is
    /// [`Health::Healthy`] when the instance's `status`, its target statuses and component
    /// statuses all say deployed, [`Health::Unhealthy`] when any says failing or degraded (the
    /// reason names the components and WO's `statusDetails`), else [`Health::Unknown`]. A
    /// target without the instance (404), or running another version, is
    /// [`Health::Unknown`]. See [`health_of_status`].
    ///
    /// # Errors
    /// The first read that failed otherwise (after the ARM client's retries), naming the target.
    async fn health(
        &self,
        release: &Release,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeMap<String, Health>> {
        self.release_health(release, targets).await
    }

    async fn deployed(&self, solution: &str, target: &str) -> Result<Option<String>> {
        let target_id = self.target_id(target, None);
        let name = template_name(solution);
        let template_id = format!("{}/solutionTemplates/{name}", self.edge());
        let unique = self.unique_of(&template_id, &name).await?;
        let Some(sv_id) = self.running_version_id(&target_id, &unique).await? else {
            return Ok(None);
        };
        let Some(sv) = self.get_opt(&sv_id).await? else {
            return Ok(None);
        };
        let Some(stv_id) = sv["properties"]["solutionTemplateVersionId"].as_str() else {
            return Ok(None);
        };
        let Some(stv) = self.get_opt(stv_id).await? else {
            return Ok(None);
        };
        // The release version is in the specification wo wrote; else the WO version.
        let release = release_of(&stv)
            .map(str::to_string)
            .or_else(|| stv["name"].as_str().map(str::to_string));
        Ok(release)
    }

    /// Reads the target's instance → the solution version it runs: its resolved
    /// `configuration` (what the chart runs with, as WO holds it now), the chart of its
    /// `helm.v3` component, and the release from its template version's `configurations`.
    async fn running<'a>(
        &self,
        solution: &str,
        target: &str,
        orchestrator_id: Option<&'a str>,
    ) -> Result<Option<Running>> {
        let target_id = self.target_id(target, orchestrator_id);
        let name = template_name(solution);
        let template_id = format!("{}/solutionTemplates/{name}", self.edge());
        let unique = self.unique_of(&template_id, &name).await?;
        let Some(sv_id) = self.running_version_id(&target_id, &unique).await? else {
            return Ok(None);
        };
        let Some(sv) = self.get_opt(&sv_id).await? else {
            return Ok(None);
        };
        let text = sv["properties"]["configuration"].as_str().unwrap_or("");
        let values = if text.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            // YAML as the simulator and WO write it; JSON reads as YAML too.
            wo_core::yaml::parse(text, &format!("{sv_id} configuration"))
                .and_then(|n| n.to_value(&sv_id))?
        };
        let release = match sv["properties"]["solutionTemplateVersionId"].as_str() {
            Some(stv_id) => self
                .get_opt(stv_id)
                .await?
                .and_then(|stv| release_of(&stv).map(str::to_string)),
            None => None,
        };
        let version = sv["name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| sv_id.rsplit('/').next().unwrap_or_default().to_string());
        Ok(Some(Running {
            release,
            version,
            chart: chart_of(&sv),
            values,
        }))
    }
}

/// The chart of a solution version's `helm.v3` component (WO does not say the digest).
fn chart_of(sv: &Value) -> Option<ChartRef> {
    sv["properties"]["specification"]["components"]
        .as_array()?
        .iter()
        .filter(|c| c["type"].as_str() == Some(HELM_COMPONENT))
        .find_map(|c| {
            let chart = &c["properties"]["chart"];
            Some(ChartRef {
                repo: chart["repo"].as_str()?.to_string(),
                version: chart["version"].as_str()?.to_string(),
                digest: String::new(),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wo_core::ports::{ChartRef, CommitId};

    fn release(chart: bool, specification: Option<Value>) -> Release {
        Release {
            solution: "shop".into(),
            environment: "dev".into(),
            version: "9c1e".into(),
            source_commit: CommitId::from("a1"),
            gitops_commit: CommitId::from("9c1e"),
            targets: vec![],
            chart: chart.then(|| ChartRef {
                repo: "oci://registry.example/charts/shop".into(),
                version: "1.0.0-wo.g3f2a9c1b7d4e".into(),
                digest: "sha256:b533".into(),
            }),
            specification,
        }
    }

    #[test]
    fn without_a_solution_file_the_chart_is_one_helm_component() {
        let spec = default_specification(&release(true, None)).unwrap();
        assert_eq!(
            spec,
            json!({"components": [{"name": "shop", "type": "helm.v3", "properties": {"chart": {
                "repo": "oci://registry.example/charts/shop",
                "version": "1.0.0-wo.g3f2a9c1b7d4e", "wait": true, "timeout": "5m"}}}]})
        );
    }

    #[test]
    fn the_running_chart_is_read_back_from_the_helm_component_without_a_digest() {
        let r = release(true, None);
        let sv = json!({"properties": {"specification": default_specification(&r).unwrap()}});
        let chart = r.chart.unwrap();
        assert_eq!(
            chart_of(&sv),
            Some(ChartRef {
                digest: String::new(),
                ..chart
            })
        );
        let gitops = json!({"properties": {"specification": default_specification(&release(false, None)).unwrap()}});
        assert_eq!(chart_of(&gitops), None, "a wo.gitops release runs no chart");
    }

    #[test]
    fn the_solution_file_gets_the_published_chart_where_it_names_it() {
        let written = json!({"components": [
            {"name": "shop", "type": "helm.v3", "properties": {"chart": {
                "repo": "oci://registry.example.com/charts/shop", "version": "1.0.0",
                "wait": false, "timeout": "10m"}}},
            {"name": "cache", "type": "helm.v3", "properties": {"chart": {
                "repo": "oci://ghcr.io/acme/charts/redis", "version": "7.0.1"}}},
            {"name": "blank", "type": "helm.v3", "properties": {"chart": {"timeout": "1m"}}}
        ]});
        let spec = default_specification(&release(true, Some(written))).unwrap();
        let charts: Vec<(&str, &str, &Value)> = spec["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let chart = &c["properties"]["chart"];
                (
                    chart["repo"].as_str().unwrap(),
                    chart["version"].as_str().unwrap(),
                    &chart["timeout"],
                )
            })
            .collect();
        assert_eq!(
            charts,
            vec![
                (
                    "oci://registry.example/charts/shop",
                    "1.0.0-wo.g3f2a9c1b7d4e",
                    &json!("10m")
                ),
                ("oci://ghcr.io/acme/charts/redis", "7.0.1", &Value::Null),
                (
                    "oci://registry.example/charts/shop",
                    "1.0.0-wo.g3f2a9c1b7d4e",
                    &json!("1m")
                ),
            ]
        );
        assert_eq!(spec["components"][0]["properties"]["chart"]["wait"], false);
    }

    #[test]
    fn a_solution_file_that_never_installs_the_chart_is_refused() {
        let only_redis = json!({"components": [{"name": "cache", "type": "helm.v3",
            "properties": {"chart": {"repo": "oci://ghcr.io/acme/charts/redis", "version": "7"}}}]});
        let err = default_specification(&release(true, Some(only_redis))).unwrap_err();
        assert!(err.is_invalid_input(), "{err}");
        assert!(err.to_string().contains("wo/solution.yaml"), "{err}");
        assert!(err.to_string().contains("`shop`"), "{err}");
        let not_wo = json!({"kind": "Solution"});
        let err = default_specification(&release(true, Some(not_wo))).unwrap_err();
        assert!(err.to_string().contains("components"), "{err}");
    }

    #[test]
    fn without_a_chart_the_specification_names_the_gitops_commit() {
        let spec = default_specification(&release(false, None)).unwrap();
        assert_eq!(spec["components"][0]["type"], "wo.gitops");
        assert_eq!(spec["components"][0]["properties"]["release"], "9c1e");
    }

    #[test]
    fn the_release_is_read_back_from_the_configurations_header() {
        let r = release(true, None);
        let stv = json!({"properties": {
            "configurations": format!("{}configs:\n", configurations_header(&r)),
            "specification": default_specification(&r).unwrap()}});
        assert_eq!(release_of(&stv), Some("9c1e"));
        let legacy = json!({"properties": {"specification": default_specification(&release(false, None)).unwrap()}});
        assert_eq!(release_of(&legacy), Some("9c1e"));
    }
}
