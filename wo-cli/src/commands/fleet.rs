//! `wo fleet import`: the targets of a resource group in Workload Orchestration, written into
//! the environment's `fleet.yaml` as a change request on the platform config repo.

use std::collections::BTreeMap;

use serde_json::json;
use wo::credentials::Credentials;
use wo::fleet::{import, ImportOutcome, ImportRequest};
use wo::repository::Repository;
use wo::settings::{AzureSettings, Role, Settings};
use wo_core::format::fleet::FLEET_FILE;
use wo_core::ports::BranchWrite;
use wo_core::{Error, Location, Result};

use crate::args::CommonArgs;
use crate::output::{plural, to_json, Outcome, TextOrJson};

/// Work on the fleet of an environment.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo fleet import --env dev --resource-group /subscriptions/SUB/resourceGroups/RG --dry-run")]
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
        let FleetCommand::Import(a) = &self.what;
        a.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let FleetCommand::Import(args) = self.what;
        args.run().await
    }
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
        let rg = settings.azure.resource_group.clone().ok_or_else(|| {
            Error::invalid(
                Location::file("<arguments>").with_key("--resource-group"),
                "give the resource group of the targets: --resource-group /subscriptions/SUB/resourceGroups/RG (or WO_RESOURCE_GROUP, or azure.resourceGroup in wo.yaml)",
            )
        })?;
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
            .map_err(|e| at_arm(&arm_url, e))?;
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

/// Adds where ARM was to a failure talking to it, and where a refused token came from.
fn at_arm(url: &str, e: Error) -> Error {
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
    e.with_operation(format!("listing targets at ARM {url}"))
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
