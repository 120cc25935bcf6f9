//! The fleet and Azure Workload Orchestration, both ways:
//!
//! - [`import`]: the targets of a resource group merged into an environment's `fleet.yaml`
//!   ([`merge`]) and proposed to the platform config repo ([`ConfigChanges`]), never pushed to
//!   the environment branch;
//! - [`apply`]: the other way, fleet as code: the `fleet.yaml` of the environment branch made
//!   WO's context and targets ([`wo_azure::onboard`]); [`WoFleetOnboarding`] is the same as
//!   the pipeline's apply-fleet step on `platform-config-merged`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use wo_azure::arm::ArmClient;
use wo_azure::onboard::{Action, Applied, FleetPlan, Onboarding};
use wo_core::files::{check_name, FileTree};
use wo_core::format::fleet::import::{merge, Imported, OrchestratorTarget, Scope};
use wo_core::format::fleet::Fleet;
use wo_core::format::fleet::FLEET_FILE;
use wo_core::ports::{
    CommitId, ConfigChange, ConfigChanges, ConfigStore, FleetOnboarding, FleetReport,
    ProposedChange,
};
use wo_core::{Error, Location, Result};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// The environment: the branch of the platform config repo whose `fleet.yaml` changes.
    pub environment: String,
    /// The resource group holding the targets: `/subscriptions/SUB/resourceGroups/RG`.
    pub resource_group: String,
    /// Only targets of this context (its ARM id).
    pub context: Option<String>,
    /// The hierarchy node new targets get per level of the fleet.
    pub nodes: BTreeMap<String, String>,
    /// Compute, but write nothing.
    pub dry_run: bool,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The merge's report (added, updated, missing, unchanged) and the new `fleet.yaml`
    /// (`None` when the fleet is up to date).
    pub imported: Imported,
    /// The resource group, checked and without a trailing `/`.
    pub resource_group: String,
    /// The environment branch's head the import was computed against.
    pub base: CommitId,
    /// The proposal; `None` when nothing changed or for a dry run.
    pub proposed: Option<ProposedChange>,
}

/// The branch an import of `env` proposes on.
pub fn branch_of(env: &str) -> String {
    format!("wo/fleet-import/{env}")
}

/// Checks `--resource-group` and returns it without a trailing `/`.
///
/// # Errors
/// [`Error::Invalid`] naming `--resource-group` for anything but
/// `/subscriptions/SUB/resourceGroups/RG`.
pub fn resource_group(id: &str) -> Result<String> {
    let id = id.trim_end_matches('/');
    let segs: Vec<&str> = id.split('/').collect();
    let ok = segs.len() == 5
        && segs[0].is_empty()
        && segs[1].eq_ignore_ascii_case("subscriptions")
        && !segs[2].is_empty()
        && segs[3].eq_ignore_ascii_case("resourceGroups")
        && !segs[4].is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.()".contains(c));
    if ok {
        Ok(id.to_string())
    } else {
        Err(Error::invalid(
            Location::file("<arguments>").with_key("--resource-group"),
            format!(
                "`{}` is not a resource group id: write /subscriptions/SUB/resourceGroups/RG",
                id.escape_debug()
            ),
        ))
    }
}

/// Checks an environment name an import can propose to.
///
/// # Errors
/// [`Error::Invalid`] naming `--env` for a name that is not a valid wo name, or that cannot
/// carry the branch `wo/fleet-import/<env>`.
pub fn check_environment(env: &str) -> Result<()> {
    let at = || Location::file("<arguments>").with_key("--env");
    check_name(env).map_err(|m| Error::invalid(at(), m))?;
    // The import branch `wo/fleet-import/<env>` cannot sit beside a branch named `wo`, and git
    // refuses ref names ending in `.lock`.
    if env == "wo" || env.ends_with(".lock") {
        return Err(Error::invalid(
            at(),
            format!("`{env}` cannot be an environment branch of a repository wo proposes to"),
        ));
    }
    Ok(())
}

/// Merges `targets` into the `fleet.yaml` of `request.environment` on `platform` and proposes
/// the result (unless a dry run, or nothing changed).
///
/// # Errors
/// As [`check_environment`], [`resource_group`], [`merge`] and the repository's calls. Nothing
/// is written when any check fails.
pub async fn import(
    request: &ImportRequest,
    platform: &dyn ConfigChanges,
    targets: &[OrchestratorTarget],
) -> Result<ImportOutcome> {
    check_environment(&request.environment)?;
    let rg = resource_group(&request.resource_group)?;
    let env = request.environment.as_str();
    let base = platform.head(env).await?;
    let existing = platform
        .read_file(&base, FLEET_FILE)
        .await?
        .map(|b| {
            String::from_utf8(b).map_err(|_| {
                Error::invalid(
                    Location::file(FLEET_FILE),
                    format!("commit {base}: not UTF-8 text"),
                )
            })
        })
        .transpose()?;
    let scope = Scope {
        resource_group: rg.clone(),
        context: request.context.clone(),
    };
    let imported = merge(env, existing.as_deref(), targets, &scope, &request.nodes)?;
    let proposed = match (&imported.text, request.dry_run) {
        (Some(text), false) => {
            let (title, body) = describe(request, &rg, &imported);
            let mut files = FileTree::new();
            files.insert(FLEET_FILE, text.as_bytes())?;
            Some(
                platform
                    .propose(&ConfigChange {
                        environment: env.to_string(),
                        base: base.clone(),
                        branch: branch_of(env),
                        files,
                        title,
                        body,
                    })
                    .await?,
            )
        }
        _ => None,
    };
    Ok(ImportOutcome {
        imported,
        resource_group: rg,
        base,
        proposed,
    })
}

/// The change request's title and description; the same inputs give the same text.
fn describe(request: &ImportRequest, rg: &str, imported: &Imported) -> (String, String) {
    let env = &request.environment;
    let title = format!("wo fleet import: {env}");
    let mut body = format!("The targets of {rg}");
    if let Some(c) = &request.context {
        body.push_str(&format!(" in context {c}"));
    }
    body.push_str(" in Azure Workload Orchestration.\n\n");
    if !imported.added.is_empty() {
        body.push_str(&format!("Added: {}\n", imported.added.join(", ")));
    }
    if !imported.updated.is_empty() {
        let updated: Vec<String> = imported
            .updated
            .iter()
            .map(|u| format!("{} ({})", u.name, u.fields.join(", ")))
            .collect();
        body.push_str(&format!("Updated: {}\n", updated.join(", ")));
    }
    if !imported.missing.is_empty() {
        body.push_str(&format!(
            "Kept, though WO no longer lists them: {}\n",
            imported.missing.join(", ")
        ));
    }
    (title, body)
}

/// What to apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyRequest {
    /// The environment: the branch of the platform config repo whose `fleet.yaml` is applied.
    pub environment: String,
    /// The resource group of the context and the targets: `/subscriptions/SUB/resourceGroups/RG`.
    pub resource_group: String,
    /// The context: a name in the resource group or an ARM id. `None`: the one context the
    /// fleet's targets name (`orchestrator.context`), else one named after the environment.
    pub context: Option<String>,
    /// The Azure location of what is created (default `eastus`).
    pub location: Option<String>,
    /// The targets' custom location, `{target}` standing for the target's name.
    pub custom_location: Option<String>,
    /// Delete what the fleet dropped (see [`wo_azure::onboard`]).
    pub prune: bool,
    /// Plan, but write nothing.
    pub dry_run: bool,
    /// Writes at once (default 8).
    pub concurrency: Option<usize>,
}

/// What an apply did.
#[derive(Debug, Clone)]
pub struct ApplyOutcome {
    /// The environment branch's head the fleet was read at.
    pub base: CommitId,
    /// Where and how it was applied.
    pub onboarding: Onboarding,
    /// The plan.
    pub plan: FleetPlan,
    /// What was written; `None` for a dry run.
    pub applied: Option<Applied>,
}

/// The context's ARM id for `request` and `fleet`.
///
/// # Errors
/// [`Error::Invalid`] naming `--context` for a name that is not a wo name or an id outside the
/// resource group; naming `fleet.yaml` when no context is given and its targets name several.
pub fn context_of(request: &ApplyRequest, rg: &str, fleet: &Fleet) -> Result<String> {
    let prefix = format!("{rg}/providers/Microsoft.Edge/contexts/");
    let at = || Location::file("<arguments>").with_key("--context");
    match request.context.as_deref().map(|c| c.trim_end_matches('/')) {
        Some(id) if id.starts_with('/') => {
            let low = id.to_ascii_lowercase();
            let p = prefix.to_ascii_lowercase();
            if low.starts_with(&p) && !low[p.len()..].is_empty() && !low[p.len()..].contains('/') {
                Ok(id.to_string())
            } else {
                Err(Error::invalid(
                    at(),
                    format!("`{id}` is not a context of resource group {rg}"),
                ))
            }
        }
        Some(name) => {
            check_name(name).map_err(|m| Error::invalid(at(), m))?;
            Ok(format!("{prefix}{name}"))
        }
        None => {
            let mut named: Vec<String> = fleet
                .targets
                .iter()
                .filter_map(|t| t.orchestrator.as_ref()?.context.clone())
                .map(|c| c.trim_end_matches('/').to_string())
                .collect();
            named.sort_by_key(|c| c.to_ascii_lowercase());
            named.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            match named.as_slice() {
                [] => Ok(format!("{prefix}{}", request.environment)),
                [one] => Ok(one.clone()),
                many => Err(Error::invalid(
                    Location::file(FLEET_FILE),
                    format!(
                        "the targets name {} contexts ({}); give --context",
                        many.len(),
                        many.join(", ")
                    ),
                )),
            }
        }
    }
}

/// What `request` onboards of `fleet`: its context ([`context_of`]) in the resource group,
/// the location (default [`crate::orchestrator::DEFAULT_LOCATION`]), the custom location,
/// prune, and 8 targets at once unless the request says otherwise.
///
/// # Errors
/// As [`check_environment`], [`resource_group`] and [`context_of`].
pub fn onboarding(request: &ApplyRequest, fleet: &Fleet) -> Result<Onboarding> {
    check_environment(&request.environment)?;
    let rg = resource_group(&request.resource_group)?;
    Ok(Onboarding {
        context: context_of(request, &rg, fleet)?,
        resource_group: rg,
        location: request
            .location
            .clone()
            .unwrap_or_else(|| crate::orchestrator::DEFAULT_LOCATION.to_string()),
        custom_location: request.custom_location.clone(),
        prune: request.prune,
        concurrency: request.concurrency.unwrap_or(8).max(1),
    })
}

/// Reads the `fleet.yaml` of `request.environment` on `platform`, plans it against WO with
/// `arm` and, unless a dry run, applies the plan: [`read_fleet`], then [`onboard`].
///
/// # Errors
/// As [`check_environment`] and [`resource_group`]; as [`read_fleet`] (the platform config
/// repo); as [`onboard`] (WO). Nothing is written when a check fails.
pub async fn apply(
    request: &ApplyRequest,
    platform: &dyn ConfigStore,
    arm: &ArmClient,
) -> Result<ApplyOutcome> {
    check_environment(&request.environment)?;
    resource_group(&request.resource_group)?; // checked before the platform repo is read
    let (base, fleet) = read_fleet(platform, &request.environment).await?;
    let onboarded = onboard(request, &fleet, arm).await?;
    Ok(ApplyOutcome {
        base,
        onboarding: onboarded.onboarding,
        plan: onboarded.plan,
        applied: onboarded.applied,
    })
}

/// The `fleet.yaml` at the head of the branch `env` of the platform config repo, and that
/// head.
///
/// # Errors
/// The repository's errors (no branch `env`: [`Error::NotFound`]); [`Error::Invalid`] naming
/// `fleet.yaml` when the branch has none, it is not UTF-8 or it is invalid.
pub async fn read_fleet(platform: &dyn ConfigStore, env: &str) -> Result<(CommitId, Fleet)> {
    let base = platform.head(env).await?;
    let bytes = platform
        .read_file(&base, FLEET_FILE)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                Location::file(FLEET_FILE),
                format!("environment branch `{env}` (commit {base}) has no {FLEET_FILE}"),
            )
        })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::invalid(
            Location::file(FLEET_FILE),
            format!("commit {base}: not UTF-8 text"),
        )
    })?;
    Ok((base, Fleet::parse(&text, FLEET_FILE)?))
}

/// What [`onboard`] did: where, the plan, and what was written.
#[derive(Debug, Clone)]
pub struct Onboarded {
    /// Where and how it was applied.
    pub onboarding: Onboarding,
    /// The plan.
    pub plan: FleetPlan,
    /// What was written; `None` for a dry run.
    pub applied: Option<Applied>,
}

impl Onboarded {
    /// The plan's target steps counted, as the pipeline reports them.
    pub fn report(&self) -> FleetReport {
        report_of(&self.onboarding, &self.plan)
    }
}

impl ApplyOutcome {
    /// The plan's target steps counted (created, updated, unchanged, deleted).
    pub fn report(&self) -> FleetReport {
        report_of(&self.onboarding, &self.plan)
    }
}

fn report_of(onboarding: &Onboarding, plan: &FleetPlan) -> FleetReport {
    let count = |a: Action| plan.targets.iter().filter(|s| s.action == a).count();
    FleetReport {
        created: count(Action::Create),
        updated: count(Action::Update),
        unchanged: count(Action::Unchanged),
        deleted: count(Action::Delete),
        scope: Some(onboarding.context.clone()),
    }
}

/// Plans `fleet` against WO with `arm` ([`onboarding`] of `request`) and, unless a dry run,
/// applies the plan. Talks to ARM only.
///
/// # Errors
/// As [`onboarding`], [`wo_azure::onboard::plan`] and [`wo_azure::onboard::apply`].
pub async fn onboard(request: &ApplyRequest, fleet: &Fleet, arm: &ArmClient) -> Result<Onboarded> {
    let onboarding = onboarding(request, fleet)?;
    let plan = wo_azure::onboard::plan(arm, fleet, &onboarding).await?;
    let applied = if request.dry_run {
        None
    } else {
        Some(wo_azure::onboard::apply(arm, &plan, &onboarding).await?)
    };
    Ok(Onboarded {
        onboarding,
        plan,
        applied,
    })
}

/// The pipeline's apply-fleet step on Azure Workload Orchestration: [`onboard`] of the fleet
/// merged into an environment, with the resource group, location, custom location and
/// concurrency of the settings, in the context the fleet's targets name (else one named after
/// the environment). It never prunes: deleting WO targets stays a deliberate
/// `wo fleet apply --prune`.
#[derive(Debug, Clone)]
pub struct WoFleetOnboarding {
    arm: Arc<ArmClient>,
    request: ApplyRequest,
}

impl WoFleetOnboarding {
    /// Onboarding with `arm` as `request` says (its `environment`, `prune` and `dry_run` are
    /// not used: each apply names its environment, and the pipeline neither prunes nor
    /// plans only).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `--resource-group` for a resource group that is not one.
    pub fn new(arm: Arc<ArmClient>, request: ApplyRequest) -> Result<Self> {
        resource_group(&request.resource_group)?;
        Ok(Self {
            arm,
            request: ApplyRequest {
                prune: false,
                dry_run: false,
                ..request
            },
        })
    }

    /// From settings: `None` when they name no resource group.
    ///
    /// # Errors
    /// As [`crate::orchestrator::arm_client`] and [`WoFleetOnboarding::new`].
    pub fn from_settings(
        azure: &crate::settings::AzureSettings,
        credentials: &crate::credentials::Credentials,
    ) -> Result<Option<Self>> {
        let Some(rg) = azure
            .resource_group
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        else {
            return Ok(None);
        };
        let arm = crate::orchestrator::arm_client(azure, credentials)?;
        Self::new(
            Arc::new(arm),
            ApplyRequest {
                resource_group: rg.trim().to_string(),
                location: azure.location.clone(),
                custom_location: azure.custom_location.clone(),
                concurrency: azure.concurrency,
                ..ApplyRequest::default()
            },
        )
        .map(Some)
    }
}

#[async_trait]
impl FleetOnboarding for WoFleetOnboarding {
    async fn apply(&self, environment: &str, fleet: &Fleet) -> Result<FleetReport> {
        let request = ApplyRequest {
            environment: environment.to_string(),
            ..self.request.clone()
        };
        Ok(onboard(&request, fleet, &self.arm).await?.report())
    }
}

#[cfg(test)]
mod tests {
    use wo_core::memory::InMemoryConfigStore;
    use wo_core::ports::{BranchWrite, ConfigStore};

    use super::*;

    const RG: &str = "/subscriptions/s/resourceGroups/rg";

    fn target(name: &str) -> OrchestratorTarget {
        OrchestratorTarget {
            name: name.into(),
            id: format!("{RG}/providers/Microsoft.Edge/targets/{name}"),
            context: None,
            capabilities: vec!["helm".into()],
            hierarchy_level: Some("line".into()),
        }
    }

    #[test]
    fn resource_group_ids() {
        assert_eq!(
            resource_group("/subscriptions/s-1/resourceGroups/rg_1/").unwrap(),
            "/subscriptions/s-1/resourceGroups/rg_1"
        );
        assert!(resource_group("/SUBSCRIPTIONS/s/RESOURCEGROUPS/r").is_ok());
        for bad in [
            "",
            "rg",
            "/subscriptions/s",
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Edge",
            "/subscriptions//resourceGroups/r",
            "/subscriptions/s/resourceGroups/r?x=1",
            "https://management.azure.com/subscriptions/s/resourceGroups/r",
        ] {
            assert!(resource_group(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn environments() {
        assert!(check_environment("dev").is_ok());
        for bad in ["wo", "x.lock", "../dev", "a b", ""] {
            assert!(check_environment(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn an_import_is_proposed_once_and_the_environment_branch_never_moves() {
        let platform = InMemoryConfigStore::named("platform-config");
        let base = platform.commit("dev", FileTree::new());
        let request = ImportRequest {
            environment: "dev".into(),
            resource_group: RG.into(),
            ..ImportRequest::default()
        };
        let first = import(&request, &platform, &[target("a-1")]).await.unwrap();
        let proposed = first.proposed.expect("proposed");
        assert_eq!(proposed.write, BranchWrite::Created);
        assert_eq!(proposed.branch, "wo/fleet-import/dev");
        assert_eq!(first.imported.added, ["a-1"]);
        assert_eq!(platform.head("dev").await.unwrap(), base);

        let again = import(&request, &platform, &[target("a-1")]).await.unwrap();
        assert_eq!(again.proposed.unwrap().write, BranchWrite::Unchanged);

        let dry = ImportRequest {
            dry_run: true,
            ..request
        };
        let out = import(&dry, &platform, &[target("b-1")]).await.unwrap();
        assert!(out.proposed.is_none(), "a dry run writes nothing");
        assert!(out.imported.text.is_some());
    }
}
