//! `wo fleet import`: the targets of a resource group in Workload Orchestration, written into
//! the environment's `fleet.yaml` as a change request on the platform config repo.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;
use wo_azure::arm::DEFAULT_ARM_URL;
use wo_core::files::check_name;
use wo_core::format::fleet::FLEET_FILE;
use wo_core::{Error, Location, Result};

use super::change::PlatformRepo;
use crate::settings::RepoArgs;
use wo_core::format::fleet::import::{self as fleet, Imported, Scope};

/// The flags of `wo fleet import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The environment: the branch of the platform config repo whose fleet.yaml is changed.
    #[arg(long)]
    pub environment: String,
    /// The resource group holding the targets: `/subscriptions/SUB/resourceGroups/RG`.
    #[arg(long)]
    pub resource_group: String,
    /// Only targets of this context (its ARM id; compared case-insensitively).
    #[arg(long)]
    pub context: Option<String>,
    /// The hierarchy node new targets get at a level of the fleet, as `LEVEL=NODE`
    /// (repeatable; needed when the fleet has hierarchy levels and targets are added).
    #[arg(long = "node", value_name = "LEVEL=NODE", value_parser = parse_node)]
    pub nodes: Vec<(String, String)>,
    /// The Azure Resource Manager endpoint.
    #[arg(long, env = "WO_ARM_URL", default_value = DEFAULT_ARM_URL)]
    pub arm_url: String,
    /// The platform config repository (path or URL; `github://owner/repo` for GitHub).
    #[arg(long, env = "WO_PLATFORM")]
    pub platform: Option<String>,
    /// Settings file naming the repositories (default: `wo.yaml` in the current directory).
    #[arg(long, env = "WO_SETTINGS")]
    pub settings: Option<PathBuf>,
    /// Cache directory for clones of network remotes.
    #[arg(long, env = "WO_CACHE")]
    pub cache: Option<PathBuf>,
    /// Print the new fleet.yaml and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// `text` (default) or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub output: Format,
}

/// How `wo fleet import` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON document.
    Json,
}

fn parse_node(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((level, node)) if !level.is_empty() && !node.is_empty() => {
            Ok((level.to_string(), node.to_string()))
        }
        _ => Err(format!("`{s}` is not LEVEL=NODE")),
    }
}

/// The branch an import of `env` proposes on.
pub fn branch_of(env: &str) -> String {
    format!("wo/fleet-import/{env}")
}

/// Checks `--resource-group` and returns it without a trailing `/`.
fn resource_group(id: &str) -> Result<String> {
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

fn check_env(env: &str) -> Result<()> {
    let at = || Location::file("<arguments>").with_key("--environment");
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

/// Adds where ARM was to a failure talking to it, and where a refused token came from.
fn at_arm(url: &str, e: Error) -> Error {
    let e = match e {
        Error::Unauthenticated {
            message,
            context,
            source,
        } if std::env::var_os("AZURE_ACCESS_TOKEN").is_some() => Error::Unauthenticated {
            message: format!("{message}; the token came from AZURE_ACCESS_TOKEN"),
            context,
            source,
        },
        Error::PermissionDenied {
            message,
            context,
            source,
        } if std::env::var_os("AZURE_ACCESS_TOKEN").is_some() => Error::PermissionDenied {
            message: format!("{message}; the token came from AZURE_ACCESS_TOKEN"),
            context,
            source,
        },
        other => other,
    };
    e.with_operation(format!("listing targets at ARM {url}"))
}

/// The change request's title and description; the same inputs give the same text.
fn describe(env: &str, rg: &str, context: Option<&str>, imported: &Imported) -> (String, String) {
    let title = format!("wo fleet import: {env}");
    let mut body = format!("The targets of {rg}");
    if let Some(c) = context {
        body.push_str(&format!(" in context {c}"));
    }
    body.push_str(" in Azure Workload Orchestration.\n\n");
    let list = |names: &[String]| names.join(", ");
    if !imported.added.is_empty() {
        body.push_str(&format!("Added: {}\n", list(&imported.added)));
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
            list(&imported.missing)
        ));
    }
    (title, body)
}

/// `wo fleet import`.
pub async fn import(args: &ImportArgs) -> Result<String> {
    check_env(&args.environment)?;
    let rg = resource_group(&args.resource_group)?;
    let env = args.environment.as_str();
    let mut nodes = BTreeMap::new();
    for (level, node) in &args.nodes {
        if nodes.insert(level.clone(), node.clone()).is_some() {
            return Err(Error::invalid(
                Location::file("<arguments>").with_key(format!("--node {level}")),
                format!("level `{level}` is given twice"),
            ));
        }
    }
    // Only the platform repository matters here; the others get placeholders so that the
    // flow commands' resolution (flags, environment, wo.yaml) applies unchanged.
    let repos = RepoArgs {
        source: Some(String::new()),
        config: Some(String::new()),
        gitops: Some(String::new()),
        platform: args.platform.clone(),
        settings: args.settings.clone(),
        cache: args.cache.clone(),
        ..RepoArgs::default()
    };
    let settings = repos.resolve()?;
    let platform = PlatformRepo::open(&settings.platform, &settings)?;

    let base = platform.head(env).await?;
    let existing = platform.read_file(&base, FLEET_FILE).await?;
    let arm = crate::orchestrator::arm_client(Some(&args.arm_url), None, None)?;
    let targets = wo_azure::fleet::list_targets(&arm, &rg, args.context.as_deref())
        .await
        .map_err(|e| at_arm(&args.arm_url, e))?;
    let scope = Scope {
        resource_group: rg.clone(),
        context: args.context.clone(),
    };
    let imported = fleet::merge(env, existing.as_deref(), &targets, &scope, &nodes)?;
    if !imported.missing.is_empty() {
        eprintln!(
            "warning: {env}: kept {} target{} of {FLEET_FILE} that WO does not list: {}",
            imported.missing.len(),
            if imported.missing.len() == 1 { "" } else { "s" },
            imported.missing.join(", ")
        );
    }
    let json_out = args.output == Format::Json;
    let branch = branch_of(env);
    let mut report = json!({
        "environment": env,
        "platform": settings.platform,
        "resourceGroup": rg,
        "context": args.context,
        "added": imported.added,
        "updated": imported.updated,
        "missing": imported.missing,
        "unchanged": imported.unchanged,
        "base": base.to_string(),
        "dryRun": args.dry_run,
    });

    let Some(text) = imported.text.clone() else {
        if json_out {
            report["written"] = json!(false);
            return to_json(&report);
        }
        return Ok(format!(
            "{env}: {FLEET_FILE} is up to date with WO ({} target{}); nothing to write\n",
            imported.unchanged.len(),
            if imported.unchanged.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
    };
    if args.dry_run {
        if json_out {
            report["written"] = json!(false);
            report["fleet"] = json!(text);
            return to_json(&report);
        }
        eprint!("{}", summary(env, &imported));
        eprintln!("{env}: dry run; nothing written. The new {FLEET_FILE}:");
        return Ok(text);
    }

    let (title, body) = describe(env, &rg, args.context.as_deref(), &imported);
    let proposed = platform
        .propose(
            env,
            &base,
            &branch,
            vec![(FLEET_FILE.to_string(), text.into_bytes())],
            &title,
            &body,
        )
        .await?;
    if json_out {
        report["written"] = json!(proposed.wrote);
        report["branch"] = json!(proposed.branch);
        report["head"] = json!(proposed.head.to_string());
        report["changeRequest"] = match proposed.number {
            Some(n) => json!({"number": n, "url": proposed.url}),
            None => json!(null),
        };
        return to_json(&report);
    }
    let pull = match (&proposed.number, &proposed.url) {
        (Some(n), Some(url)) => format!("; pull request #{n}: {url}"),
        (Some(n), None) => format!("; pull request #{n}"),
        _ => format!("; merge it into `{env}` to take the fleet in"),
    };
    if !proposed.wrote {
        return Ok(format!(
            "{env}: branch {} (commit {}) already proposes this import ({} added, {} updated); \
             nothing written{pull}\n",
            proposed.branch,
            proposed.head.short(),
            imported.added.len(),
            imported.updated.len(),
        ));
    }
    Ok(format!(
        "{}{env}: proposed on branch {} (commit {}){pull}\n",
        summary(env, &imported),
        proposed.branch,
        proposed.head.short(),
    ))
}

fn summary(env: &str, imported: &Imported) -> String {
    let mut s = String::new();
    for name in &imported.added {
        s.push_str(&format!("{env}: added {name}\n"));
    }
    for u in &imported.updated {
        s.push_str(&format!(
            "{env}: updated {} ({})\n",
            u.name,
            u.fields.join(", ")
        ));
    }
    s
}

fn to_json(v: &serde_json::Value) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Error::unsupported(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn environments_and_nodes() {
        assert!(check_env("dev").is_ok());
        for bad in ["wo", "x.lock", "../dev", "a b", ""] {
            assert!(check_env(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_node("region=eu").unwrap(),
            ("region".into(), "eu".into())
        );
        assert!(parse_node("region").is_err());
        assert!(parse_node("=eu").is_err());
    }
}
