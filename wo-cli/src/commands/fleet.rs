//! `wo fleet import`: the targets of a resource group in Workload Orchestration, written into
//! the environment's `fleet.yaml` as a change request on the platform config repo.
//! `wo fleet apply`: the other way, the environment's `fleet.yaml` made WO's context and
//! targets.

use std::collections::BTreeMap;

use serde_json::json;
use wo::credentials::Credentials;
use wo::fleet::{import, ApplyOutcome, ApplyRequest, ImportOutcome, ImportRequest};
use wo::repository::Repository;
use wo::settings::{AzureSettings, Role, Settings};
use wo_azure::onboard::Action;
use wo_core::format::fleet::FLEET_FILE;
use wo_core::ports::BranchWrite;
use wo_core::{Error, Location, Result};

use crate::args::CommonArgs;
use crate::output::{plural, to_json, Outcome, TextOrJson};

/// Work on the fleet of an environment.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo fleet import --env dev --resource-group /subscriptions/SUB/resourceGroups/RG --dry-run
  wo fleet apply --env dev --resource-group /subscriptions/SUB/resourceGroups/RG --dry-run")]
pub struct Fleet {
    #[command(subcommand)]
    what: FleetCommand,
}

#[derive(Debug, clap::Subcommand)]
enum FleetCommand {
    /// Onboard the targets of a resource group in Workload Orchestration into fleet.yaml.
    ///
    /// The change is proposed on the branch wo/fleet-import/<env> of the platform config repo
    /// (with a pull request on GitHub), never pushed to the environment branch.
    ///
    /// Fleet targets match WO targets by orchestrator.id, else by name; they keep their
    /// hierarchy, labels and assignments and get WO's capabilities and ids. New targets are
    /// added with labels: {hierarchyLevel: …}; targets WO no longer lists are kept and named
    /// in a warning. The file is re-emitted through wo's YAML layer: comments are not kept.
    /// Running it again with nothing changed writes nothing.
    #[command(after_help = "\
Examples:
  # What would change, written nowhere
  wo fleet import --env dev --resource-group /subscriptions/SUB/resourceGroups/RG --dry-run

  # Propose it on wo/fleet-import/dev of the platform config repo
  wo fleet import -e dev --resource-group /subscriptions/SUB/resourceGroups/RG \\
      --platform github://acme/platform-config --node region=eu

  # One context at a time, against the simulator (wo azure-sim)
  wo fleet import -e dev --resource-group /subscriptions/s/resourceGroups/rg \\
      --context /subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/contexts/c1 \\
      --arm-url http://127.0.0.1:8443 -o json")]
    Import(ImportArgs),
    /// Make Workload Orchestration's context and targets what the environment's fleet.yaml says.
    ///
    /// Reads fleet.yaml on the environment branch of the platform config repo and plans
    /// against WO: the context (capabilities: every capability of the targets; hierarchies:
    /// the fleet's levels, then any labels.hierarchyLevel of a target) and one WO target per
    /// fleet target (capabilities, hierarchyLevel: labels.hierarchyLevel or the fleet's
    /// innermost level, contextId, a Helm targetSpecification, the custom location) at
    /// orchestrator.id, else RG/providers/Microsoft.Edge/targets/<name>. Each is created,
    /// updated when one of those differs (its other properties kept), or left alone. The
    /// context defaults to the one the targets name in orchestrator.context, else one named
    /// after the environment.
    ///
    /// Nothing is deleted without --prune. With it, the WO targets of the resource group
    /// whose contextId is the context and that the fleet does not name are deleted, and the
    /// context loses capabilities and levels the fleet does not have; targets of other
    /// contexts are never touched. A second run with nothing changed writes nothing.
    /// Exit status: 0 done (or planned), 1 a request failed, 2 bad input.
    #[command(after_help = "\
Examples:
  # The plan, written nowhere: action, kind, name and what differs
  wo fleet apply --env dev --resource-group /subscriptions/SUB/resourceGroups/RG --dry-run

  # Apply, deleting the targets the fleet dropped, each cluster at its custom location
  wo fleet apply -e dev --resource-group /subscriptions/SUB/resourceGroups/RG --prune \\
      --custom-location '/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ExtendedLocation/customLocations/{target}'

  # Against the simulator (wo azure-sim), as JSON
  wo fleet apply -e dev --resource-group /subscriptions/s/resourceGroups/rg \\
      --platform ./platform-config --arm-url http://127.0.0.1:8443 -o json")]
    Apply(ApplyArgs),
}

#[derive(Debug, clap::Args)]
struct ApplyArgs {
    /// The environment: the branch of the platform config repo whose fleet.yaml is applied.
    #[arg(short, long)]
    env: String,
    /// The resource group of the context and the targets: /subscriptions/SUB/resourceGroups/RG.
    #[arg(long, env = "WO_RESOURCE_GROUP", value_name = "ID")]
    resource_group: Option<String>,
    /// The context: a name in the resource group or its ARM id.
    #[arg(long, value_name = "NAME|ID")]
    context: Option<String>,
    /// The custom location of the targets (their extendedLocation), {target} standing for
    /// the target's name; without it targets get none and existing ones keep theirs.
    #[arg(long, env = "WO_CUSTOM_LOCATION", value_name = "ID")]
    custom_location: Option<String>,
    /// The Azure location of what is created (default eastus).
    #[arg(long, env = "WO_AZURE_LOCATION")]
    location: Option<String>,
    /// The Azure Resource Manager endpoint (default https://management.azure.com).
    #[arg(long, env = "WO_ARM_URL", value_name = "URL")]
    arm_url: Option<String>,
    /// Writes at once (default 8).
    #[arg(long, env = "WO_CONCURRENCY", value_name = "N")]
    concurrency: Option<usize>,
    /// The shortest wait between polls of Azure operations, in milliseconds (default 1000); a
    /// longer `Retry-After` of an operation wins.
    #[arg(long, env = "WO_AZURE_POLL_MS", value_name = "N")]
    poll_ms: Option<u64>,
    /// The platform config repository: a path, file://, git://, http://,
    /// github://OWNER/REPO or a GitHub URL.
    #[arg(long, env = "WO_PLATFORM", value_name = "REPO")]
    platform: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
    /// Delete the targets of the context the fleet dropped (never without it).
    #[arg(long)]
    prune: bool,
    /// Print the plan and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The environment: the branch of the platform config repo whose fleet.yaml changes.
    #[arg(short, long)]
    env: String,
    /// The resource group holding the targets: /subscriptions/SUB/resourceGroups/RG.
    #[arg(long, env = "WO_RESOURCE_GROUP", value_name = "ID")]
    resource_group: Option<String>,
    /// Only targets of this context (its ARM id; compared case-insensitively).
    #[arg(long, value_name = "ID")]
    context: Option<String>,
    /// The hierarchy node new targets get at a level of the fleet (repeatable; needed when
    /// the fleet has hierarchy levels and targets are added).
    #[arg(long = "node", value_name = "LEVEL=NODE", value_parser = parse_node)]
    nodes: Vec<(String, String)>,
    /// The Azure Resource Manager endpoint (default https://management.azure.com).
    #[arg(long, env = "WO_ARM_URL", value_name = "URL")]
    arm_url: Option<String>,
    /// The platform config repository: a path, file://, git://, http://,
    /// github://OWNER/REPO or a GitHub URL.
    #[arg(long, env = "WO_PLATFORM", value_name = "REPO")]
    platform: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
    /// Print the new fleet.yaml and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

fn parse_node(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((level, node)) if !level.is_empty() && !node.is_empty() => {
            Ok((level.to_string(), node.to_string()))
        }
        _ => Err(format!("`{s}` is not LEVEL=NODE")),
    }
}

impl Fleet {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        match &self.what {
            FleetCommand::Import(a) => a.output.is_json(),
            FleetCommand::Apply(a) => a.output.is_json(),
        }
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        match self.what {
            FleetCommand::Import(args) => args.run().await,
            FleetCommand::Apply(args) => args.run().await,
        }
    }
}

impl ApplyArgs {
    async fn run(self) -> Result<Outcome> {
        let settings = self.common.settings(Settings {
            platform: self.platform.clone(),
            azure: AzureSettings {
                url: self.arm_url.clone(),
                resource_group: self.resource_group.clone(),
                location: self.location.clone(),
                concurrency: self.concurrency,
                poll: self.poll_ms.map(std::time::Duration::from_millis),
                custom_location: self.custom_location.clone(),
            },
            ..Settings::default()
        })?;
        let rg = resource_group_of(&settings, "the context and targets")?;
        let request = ApplyRequest {
            environment: self.env.clone(),
            resource_group: rg,
            context: self.context.clone(),
            location: settings.azure.location.clone(),
            custom_location: settings.azure.custom_location.clone(),
            prune: self.prune,
            dry_run: self.dry_run,
            concurrency: settings.azure.concurrency,
        };
        // Checked before anything is contacted.
        wo::fleet::check_environment(&request.environment)?;
        wo::fleet::resource_group(&request.resource_group)?;
        let credentials = Credentials::from_env();
        let location = settings.repository(Role::Platform)?.to_string();
        let platform = Repository::open(&location, &credentials, &settings.cache_dir())?.config();
        let arm_url = settings
            .azure
            .url
            .clone()
            .unwrap_or_else(|| wo_azure::arm::DEFAULT_ARM_URL.to_string());
        let arm = wo::orchestrator::arm_client(&settings.azure, &credentials)?;
        // Each failure says where it came from: the platform config repo, or ARM.
        let (base, fleet) = wo::fleet::read_fleet(platform.as_ref(), &request.environment)
            .await
            .map_err(|e| at_platform(&location, &request.environment, e))?;
        let onboarded = wo::fleet::onboard(&request, &fleet, &arm)
            .await
            .map_err(|e| match e {
                e if e.is_invalid_input() => e,
                e => at_arm(&arm_url, e, "applying the fleet"),
            })?;
        let outcome = ApplyOutcome {
            base,
            onboarding: onboarded.onboarding,
            plan: onboarded.plan,
            applied: onboarded.applied,
        };
        if self.output.is_json() {
            return Ok(Outcome::json(to_json(&apply_report(
                &request, &location, &outcome,
            ))?));
        }
        Ok(Outcome::ok(apply_text(&request, &outcome)))
    }
}

fn apply_report(request: &ApplyRequest, platform: &str, o: &ApplyOutcome) -> serde_json::Value {
    json!({
        "environment": request.environment,
        "platform": platform,
        "base": o.base.to_string(),
        "resourceGroup": o.onboarding.resource_group,
        "context": o.onboarding.context,
        "prune": request.prune,
        "dryRun": request.dry_run,
        "changed": o.plan.changes(),
        "steps": o.plan.steps().collect::<Vec<_>>(),
        "applied": o.applied,
    })
}

/// The plan as a table (action, kind, name, what differs), unchanged targets counted, not
/// listed; then what was done.
fn apply_text(request: &ApplyRequest, o: &ApplyOutcome) -> String {
    let env = &request.environment;
    let rows: Vec<[String; 4]> = o
        .plan
        .steps()
        .filter(|s| s.action != Action::Unchanged || s.kind == wo_azure::onboard::Kind::Context)
        .map(|s| {
            [
                s.action.as_str().to_string(),
                s.kind.as_str().to_string(),
                s.name.clone(),
                s.differences.join("; "),
            ]
        })
        .collect();
    let header = [
        "ACTION".to_string(),
        "KIND".into(),
        "NAME".into(),
        "DIFFERS".into(),
    ];
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        let line = format!("{:w0$}  {:w1$}  {:w2$}  {}", r[0], r[1], r[2], r[3]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let unchanged = o
        .plan
        .targets
        .iter()
        .filter(|s| s.action == Action::Unchanged)
        .count();
    if unchanged > 0 {
        out.push_str(&format!("({} unchanged)\n", plural(unchanged, "target")));
    }
    let summary = format!(
        "{} to create, {} to update, {} to delete",
        o.plan.count(Action::Create),
        o.plan.count(Action::Update),
        o.plan.count(Action::Delete)
    );
    match &o.applied {
        None => out.push_str(&format!("{env}: dry run: {summary}; nothing written\n")),
        Some(_) if !o.plan.changes() => out.push_str(&format!(
            "{env}: WO is up to date with {FLEET_FILE} (context {}); nothing written\n",
            o.onboarding.context
        )),
        Some(a) => out.push_str(&format!(
            "{env}: applied to context {}: {} created, {} updated, {} deleted\n",
            o.onboarding.context, a.created, a.updated, a.deleted
        )),
    }
    out
}

impl ImportArgs {
    async fn run(self) -> Result<Outcome> {
        let mut nodes = BTreeMap::new();
        for (level, node) in &self.nodes {
            if nodes.insert(level.clone(), node.clone()).is_some() {
                return Err(Error::invalid(
                    Location::file("<arguments>").with_key(format!("--node {level}")),
                    format!("level `{level}` is given twice"),
                ));
            }
        }
        let settings = self.common.settings(Settings {
            platform: self.platform.clone(),
            azure: AzureSettings {
                url: self.arm_url.clone(),
                resource_group: self.resource_group.clone(),
                ..AzureSettings::default()
            },
            ..Settings::default()
        })?;
        let rg = resource_group_of(&settings, "the targets")?;
        let request = ImportRequest {
            environment: self.env.clone(),
            resource_group: rg,
            context: self.context.clone(),
            nodes,
            dry_run: self.dry_run,
        };
        // Checked before anything is contacted.
        wo::fleet::check_environment(&request.environment)?;
        let rg = wo::fleet::resource_group(&request.resource_group)?;
        let credentials = Credentials::from_env();
        let location = settings.repository(Role::Platform)?.to_string();
        let platform = Repository::open(&location, &credentials, &settings.cache_dir())?.config();
        let arm_url = settings
            .azure
            .url
            .clone()
            .unwrap_or_else(|| wo_azure::arm::DEFAULT_ARM_URL.to_string());
        let arm = wo::orchestrator::arm_client(&settings.azure, &credentials)?;
        let targets = wo_azure::fleet::list_targets(&arm, &rg, request.context.as_deref())
            .await
            .map_err(|e| at_arm(&arm_url, e, "listing targets"))?;
        let outcome = import(&request, platform.as_ref(), &targets).await?;
        let missing = &outcome.imported.missing;
        if !missing.is_empty() {
            crate::console::errln!(
                "warning: {}: kept {} of {FLEET_FILE} that WO does not list: {}",
                request.environment,
                plural(missing.len(), "target"),
                missing.join(", ")
            );
        }
        if self.output.is_json() {
            return Ok(Outcome::json(to_json(&report(
                &request, &location, &outcome,
            ))?));
        }
        let kind = if request.dry_run && outcome.imported.text.is_some() {
            crate::console::Kind::Data
        } else {
            crate::console::Kind::Text
        };
        Ok(Outcome::ok(text(&request, &outcome)).of_kind(kind))
    }
}

/// Names the platform config repo and the file in a failure reading the fleet (bad input
/// names its file already).
fn at_platform(location: &str, env: &str, e: Error) -> Error {
    if e.is_invalid_input() {
        return e;
    }
    e.with_operation(format!(
        "reading {FLEET_FILE} of `{env}` from the platform config repo {location}"
    ))
}

/// Adds where ARM was to a failure talking to it, and where a refused token came from.
fn at_arm(url: &str, e: Error, doing: &str) -> Error {
    let from_env = std::env::var_os("AZURE_ACCESS_TOKEN").is_some();
    let e = match e {
        Error::Unauthenticated {
            message,
            context,
            source,
        } if from_env => Error::Unauthenticated {
            message: format!("{message}; the token came from AZURE_ACCESS_TOKEN"),
            context,
            source,
        },
        Error::PermissionDenied {
            message,
            context,
            source,
        } if from_env => Error::PermissionDenied {
            message: format!("{message}; the token came from AZURE_ACCESS_TOKEN"),
            context,
            source,
        },
        other => other,
    };
    e.with_operation(format!("{doing} at ARM {url}"))
}

fn report(request: &ImportRequest, platform: &str, o: &ImportOutcome) -> serde_json::Value {
    let i = &o.imported;
    let mut report = json!({
        "environment": request.environment,
        "platform": platform,
        "resourceGroup": o.resource_group,
        "context": request.context,
        "added": i.added,
        "updated": i.updated,
        "missing": i.missing,
        "unchanged": i.unchanged,
        "base": o.base.to_string(),
        "dryRun": request.dry_run,
        "changed": i.text.is_some(),
        "written": o.proposed.as_ref().is_some_and(|p| p.write != BranchWrite::Unchanged),
    });
    if request.dry_run {
        if let Some(text) = &i.text {
            report["fleet"] = json!(text);
        }
    }
    if let Some(p) = &o.proposed {
        report["branch"] = json!(p.branch);
        report["head"] = json!(p.head.to_string());
        report["changeRequest"] = match &p.review {
            Some(r) => json!({"number": r.number, "url": r.url}),
            None => json!(null),
        };
    }
    report
}

fn text(request: &ImportRequest, o: &ImportOutcome) -> String {
    let env = &request.environment;
    let i = &o.imported;
    let Some(fleet) = &i.text else {
        return format!(
            "{env}: no change: {FLEET_FILE} is up to date with WO ({}); nothing {}\n",
            plural(i.unchanged.len(), "target"),
            if request.dry_run {
                "would be written"
            } else {
                "to write"
            }
        );
    };
    let mut summary = String::new();
    for name in &i.added {
        summary.push_str(&format!("{env}: added {name}\n"));
    }
    for u in &i.updated {
        summary.push_str(&format!(
            "{env}: updated {} ({})\n",
            u.name,
            u.fields.join(", ")
        ));
    }
    let Some(p) = &o.proposed else {
        // A dry run: the summary on stderr, the new file on stdout.
        crate::console::err_line(summary.trim_end());
        crate::console::errln!("{env}: dry run; nothing written. The new {FLEET_FILE}:");
        return fleet.clone();
    };
    let pull = match &p.review {
        Some(r) => match &r.url {
            Some(url) => format!("; pull request #{}: {url}", r.number),
            None => format!("; pull request #{}", r.number),
        },
        None => format!("; merge it into `{env}` to take the fleet in"),
    };
    if p.write == BranchWrite::Unchanged {
        return format!(
            "{env}: branch {} (commit {}) already proposes this import ({} added, {} updated); \
             nothing written{pull}\n",
            p.branch,
            p.head.short(),
            i.added.len(),
            i.updated.len(),
        );
    }
    format!(
        "{summary}{env}: proposed on branch {} (commit {}){pull}\n",
        p.branch,
        p.head.short(),
    )
}

/// The resource group the settings give, or bad input saying where to give it.
fn resource_group_of(settings: &Settings, of: &str) -> Result<String> {
    settings.azure.resource_group.clone().ok_or_else(|| {
        Error::invalid(
            Location::file("<arguments>").with_key("--resource-group"),
            format!("give the resource group of {of}: --resource-group /subscriptions/SUB/resourceGroups/RG (or WO_RESOURCE_GROUP, or azure.resourceGroup in wo.yaml)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes() {
        assert_eq!(
            parse_node("region=eu").unwrap(),
            ("region".into(), "eu".into())
        );
        assert!(parse_node("region").is_err());
        assert!(parse_node("=eu").is_err());
    }
}
