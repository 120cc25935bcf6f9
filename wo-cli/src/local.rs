//! Commands on local checkouts: `validate` and `resolve`.

use std::fmt::Write as _;
use std::path::Path;

use wo_core::engine::{check_values, Bundle, ResolvedConfig, Resolver};
use wo_core::files::FileTree;
use wo_core::format::app::SolutionKind;
use wo_core::format::fleet::{Fleet, FLEET_FILE};
use wo_core::format::values::ValueSet;
use wo_core::{Diagnostics, Error, Location, Result};

pub(crate) fn shown(dir: &Path) -> String {
    dir.display().to_string().trim_end_matches('/').to_string()
}

pub(crate) fn load_fleet(dir: &Path) -> Result<(FileTree, Fleet)> {
    let tree = FileTree::load_dir(dir)?;
    let file = format!("{}/{FLEET_FILE}", shown(dir));
    let text = tree
        .text(FLEET_FILE)?
        .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?;
    let fleet = Fleet::parse(text, &file)?;
    Ok((tree, fleet))
}

/// Chooses where a solution's values come from: the app config repo for an Application, the
/// platform config repo (the fleet's branch) for the Platform.
pub(crate) fn value_set(
    bundle: &Bundle,
    config: Option<&Path>,
    fleet_dir: Option<(&Path, &FileTree)>,
) -> Result<Option<ValueSet>> {
    match (bundle.app.kind, config, fleet_dir) {
        (SolutionKind::Platform, _, Some((dir, tree))) => {
            Ok(Some(ValueSet::load(tree, &shown(dir))?))
        }
        (SolutionKind::Platform, Some(dir), None) => Ok(Some(ValueSet::load(
            &FileTree::load_dir(dir)?,
            &shown(dir),
        )?)),
        (SolutionKind::Application, Some(dir), _) => Ok(Some(ValueSet::load(
            &FileTree::load_dir(dir)?,
            &shown(dir),
        )?)),
        _ => Ok(None),
    }
}

/// Merges the diagnostics of several failed checks into one error.
pub(crate) fn merge(errors: Vec<Error>) -> Result<()> {
    let mut all = Vec::new();
    for e in errors {
        match e {
            Error::Invalid(Diagnostics(ds)) => all.extend(ds),
            other => return Err(other),
        }
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(Diagnostics(all).sorted()))
    }
}

/// `wo validate`.
pub fn validate(
    source: &Path,
    config: Option<&Path>,
    fleet: Option<&Path>,
    json: bool,
) -> Result<String> {
    let bundle = Bundle::load(&FileTree::load_dir(source)?, &shown(source))?;
    let fleet = fleet
        .map(|d| load_fleet(d).map(|(t, f)| (d, t, f)))
        .transpose()?;
    let values = value_set(&bundle, config, fleet.as_ref().map(|(d, t, _)| (*d, t)))?;
    let mut checked = Vec::new();
    match (&values, &fleet) {
        (Some(values), Some((_, _, fleet))) => {
            let resolver = Resolver::new(&bundle, values, fleet)?;
            let mut errors = Vec::new();
            for t in resolver.targets()? {
                match resolver.resolve(t) {
                    Ok(_) => checked.push(t.name.clone()),
                    Err(e) => errors.push(e),
                }
            }
            merge(errors)?;
        }
        (Some(values), None) => check_values(&bundle, values)?,
        _ => {}
    }
    let env = fleet.as_ref().map(|(_, _, f)| f.environment.clone());
    if json {
        let v = serde_json::json!({
            "ok": true,
            "solution": bundle.name(),
            "environment": env,
            "keys": bundle.rules.len(),
            "valueFiles": values.as_ref().map(|v| v.files.len()).unwrap_or(0),
            "targets": checked,
        });
        return Ok(format!("{v:#}\n"));
    }
    let mut out = format!(
        "ok: solution `{}` ({} keys",
        bundle.name(),
        bundle.rules.len()
    );
    if let Some(v) = &values {
        let _ = write!(out, ", {} value files", v.files.len());
    }
    if let Some(env) = env {
        let _ = write!(out, ", {} targets resolved in `{env}`", checked.len());
    }
    out.push_str(")\n");
    Ok(out)
}

/// `wo resolve`.
pub fn resolve(
    source: &Path,
    config: Option<&Path>,
    fleet_dir: &Path,
    target: &str,
    explain: bool,
    json: bool,
) -> Result<String> {
    let bundle = Bundle::load(&FileTree::load_dir(source)?, &shown(source))?;
    let (tree, fleet) = load_fleet(fleet_dir)?;
    if bundle.app.kind == SolutionKind::Application && config.is_none() {
        return Err(Error::invalid(
            Location::file(format!("{}/wo/app.yaml", shown(source))),
            format!(
                "`{}` is an Application: give its config repo checkout with --config",
                bundle.name()
            ),
        ));
    }
    let values = value_set(&bundle, config, Some((fleet_dir, &tree)))?.unwrap_or_default();
    let resolver = Resolver::new(&bundle, &values, &fleet)?;
    let Some(t) = fleet.target(target) else {
        let mut e = wo_core::Diagnostic::new(
            Location::file(format!("{}/{FLEET_FILE}", shown(fleet_dir))).with_key("targets"),
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
        eprintln!(
            "warning: the fleet does not assign `{}` to target `{}`; resolving anyway",
            bundle.name(),
            t.name
        );
    }
    let resolved = resolver.resolve(t)?;
    Ok(if explain {
        explain_table(&resolved)
    } else if json {
        format!(
            "{:#}\n",
            serde_json::to_value(&resolved).map_err(|e| Error::unsupported(e.to_string()))?
        )
    } else {
        resolved.values_yaml()
    })
}

/// A human table: key, value, level, file.
fn explain_table(r: &ResolvedConfig) -> String {
    let rows: Vec<[String; 4]> = r
        .provenance
        .iter()
        .map(|(key, p)| {
            let value = wo_core::value::get_path(&serde_json::Value::Object(r.values.clone()), key)
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
