//! `wo validate` and `wo resolve`: an environment's inputs checked and resolved offline.

use std::fmt::Write as _;

use serde_json::json;
use wo_core::engine::{check_values, ResolvedConfig, Resolver};
use wo_core::format::app::SolutionKind;
use wo_core::{Diagnostic, Diagnostics, Error, Location, Result};

use crate::args::InputArgs;
use crate::output::{to_json, Outcome, ResolveFormat, TextOrJson};

/// Check a solution's files: the source bundle, an environment's values and fleet.
///
/// With both a config and a platform config, resolves every target the fleet assigns the
/// solution to, reporting all problems at once (file, key path, line). Exits 2 on any.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  # Checkouts: the source, the config repo's dev branch, the platform config repo's dev branch
  wo validate --source shop-source --config shop-config --platform platform-config

  # The repositories themselves, at the head of dev (and the source at main)
  wo validate --source github://acme/shop --config github://acme/shop-config \\
      --platform github://acme/platform-config --env dev

  # Machine-readable, errors too
  wo validate --source . -o json")]
pub struct Validate {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Validate {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let inputs = self.inputs.load(false).await?;
        let bundle = &inputs.bundle;
        let mut checked = Vec::new();
        match (&inputs.values, &inputs.fleet) {
            (Some(values), Some(fleet)) => {
                let resolver = Resolver::new(bundle, values, fleet)?;
                let mut errors = Vec::new();
                for t in resolver.targets()? {
                    match resolver.resolve(t) {
                        Ok(_) => checked.push(t.name.clone()),
                        Err(e) => errors.push(e),
                    }
                }
                wo_core::compose::merge_errors(errors)?;
            }
            (Some(values), None) => check_values(bundle, values)?,
            _ => {}
        }
        let env = inputs.fleet.as_ref().map(|f| f.environment.clone());
        let value_files = inputs.values.as_ref().map_or(0, |v| v.files.len());
        if self.output.is_json() {
            return Ok(Outcome::json(to_json(&json!({
                "ok": true,
                "solution": bundle.name(),
                "environment": env,
                "keys": bundle.rules.len(),
                "valueFiles": value_files,
                "targets": checked,
            }))?));
        }
        let mut out = format!(
            "ok: solution `{}` ({} keys",
            bundle.name(),
            bundle.rules.len()
        );
        if inputs.values.is_some() {
            let _ = write!(out, ", {value_files} value files");
        }
        if let Some(env) = env {
            let _ = write!(out, ", {} targets resolved in `{env}`", checked.len());
        }
        out.push_str(")\n");
        Ok(Outcome::ok(out))
    }
}

/// Print the resolved configuration of one target, with where each value came from.
///
/// Without --explain or -o, the values as YAML: what the chart receives.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  # What the chart receives on berlin-1
  wo resolve --source examples/shop/source --config examples/shop/config \\
      --platform examples/shop/fleet --target berlin-1

  # Where every value came from: key, value, level, file:line
  wo resolve --source examples/shop/source --config examples/shop/config \\
      --platform examples/shop/fleet --target berlin-1 -o text

  # From the repositories, in prod
  wo resolve --source github://acme/shop --config github://acme/shop-config \\
      --platform github://acme/platform-config --env prod --target berlin-1 -o json")]
pub struct Resolve {
    #[command(flatten)]
    inputs: InputArgs,
    /// The target.
    #[arg(long)]
    target: String,
    /// Print the table of key, value, level and file (the same as -o text).
    #[arg(long)]
    explain: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: ResolveFormat,
}

impl Resolve {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output == ResolveFormat::Json && !self.explain
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let inputs = self.inputs.load(true).await?;
        let bundle = &inputs.bundle;
        let fleet = inputs.fleet.as_ref().ok_or_else(|| {
            Error::invalid(Location::file("<arguments>"), "--platform is required")
        })?;
        if bundle.app.kind == SolutionKind::Application && inputs.values.is_none() {
            return Err(Error::invalid(
                Location::file("<arguments>").with_key("--config"),
                format!(
                    "`{}` is an Application: give its config repo with --config",
                    bundle.name()
                ),
            ));
        }
        let values = inputs.values.clone().unwrap_or_default();
        let resolver = Resolver::new(bundle, &values, fleet)?;
        let target = self.target.as_str();
        let Some(t) = fleet.target(target) else {
            let mut e = Diagnostic::new(
                Location::file(&inputs.fleet_file).with_key("targets"),
                format!(
                    "no target `{}` in environment `{}`",
                    target.escape_debug(),
                    fleet.environment
                ),
            );
            let names: Vec<&str> = fleet.targets.iter().map(|t| t.name.as_str()).collect();
            if !names.is_empty() {
                e = e.with_hint(format!("targets: {}", names.join(", ")));
            }
            return Err(Error::Invalid(Diagnostics(vec![e])));
        };
        if !resolver.targets()?.iter().any(|a| a.name == t.name) {
            crate::console::errln!(
                "warning: the fleet does not assign `{}` to target `{}`; resolving anyway",
                bundle.name(),
                t.name
            );
        }
        let resolved = resolver.resolve(t)?;
        let format = if self.explain {
            ResolveFormat::Text
        } else {
            self.output
        };
        Ok(match format {
            ResolveFormat::Text => Outcome::ok(explain_table(&resolved)),
            ResolveFormat::Json => Outcome::json(to_json(&resolved)?),
            ResolveFormat::Yaml => Outcome::data(resolved.values_yaml()),
        })
    }
}

/// A human table: key, value, level, file.
fn explain_table(r: &ResolvedConfig) -> String {
    let values = serde_json::Value::Object(r.values.clone());
    let rows: Vec<[String; 4]> = r
        .provenance
        .iter()
        .map(|(key, p)| {
            let value = wo_core::key_path::get(&values, key)
                .map(wo_core::value::brief)
                .unwrap_or_default();
            let level = match p.source {
                wo_core::engine::Source::Default => "default".to_string(),
                wo_core::engine::Source::Expression => "expression".to_string(),
                wo_core::engine::Source::File => p.level.clone().unwrap_or_default(),
            };
            let file = match (&p.file, p.line) {
                (Some(f), Some(l)) => format!("{f}:{l}"),
                (Some(f), None) => f.clone(),
                _ => String::new(),
            };
            [key.clone(), value, level, file]
        })
        .collect();
    let header = ["KEY", "VALUE", "LEVEL", "FILE"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 4]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i == 3 {
                l.push_str(cell);
            } else {
                let _ = write!(l, "{cell:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
    out
}
