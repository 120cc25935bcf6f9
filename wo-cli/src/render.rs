//! `wo render`, `wo check`, `wo diff`: the offline plan of an environment and its review.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wo_core::engine::{Bundle, Resolver};
use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_core::{Diagnostic, Diagnostics, Error, Location, Result};
use wo_render::manifest::{diff_trees, ManifestSet};
use wo_render::policy::{check, Policy};
use wo_render::{CanonicalRenderer, ChartRenderer, Engine};

use crate::local::{load_fleet, merge, shown, value_set};

/// What `render` computed: every file of the plan, by path relative to `--out`.
pub(crate) struct Plan {
    pub files: BTreeMap<String, String>,
    pub solution: String,
    pub environment: String,
    pub engine: Engine,
    pub targets: usize,
}

/// Resolves and renders every target the fleet assigns the solution to (or the `only` ones).
pub(crate) async fn plan(
    source: &Path,
    config: Option<&Path>,
    fleet_dir: &Path,
    only: &[String],
) -> Result<Plan> {
    let bundle = Bundle::load(&FileTree::load_dir(source)?, &shown(source))?;
    let (tree, fleet) = load_fleet(fleet_dir)?;
    let values = value_set(&bundle, config, Some((fleet_dir, &tree)))?.unwrap_or_default();
    let resolver = Resolver::new(&bundle, &values, &fleet)?;
    let assigned = resolver.targets()?;
    let mut chosen = Vec::new();
    let mut problems = Vec::new();
    if only.is_empty() {
        chosen = assigned.clone();
    } else {
        for name in only {
            match assigned.iter().find(|t| &t.name == name) {
                Some(t) => chosen.push(*t),
                None => problems.push(
                    Diagnostic::new(
                        Location::file(format!("{}/fleet.yaml", shown(fleet_dir)))
                            .with_key("assignments"),
                        format!(
                            "`{}` is not a target of `{}` in `{}`",
                            name.escape_debug(),
                            bundle.name(),
                            fleet.environment
                        ),
                    )
                    .with_hint(format!(
                        "targets: {}",
                        assigned
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(Diagnostics(problems)));
    }
    let mut resolved = Vec::with_capacity(chosen.len());
    let mut errors = Vec::new();
    for t in &chosen {
        match resolver.resolve(t) {
            Ok(r) => resolved.push(r),
            Err(e) => errors.push(e),
        }
    }
    merge(errors)?;
    let chart = Chart {
        name: chart_name(&bundle),
        files: bundle.chart.clone(),
    };
    let engine = Engine::of(&chart)?;
    let requests: Vec<RenderRequest> = chosen
        .iter()
        .zip(&resolved)
        .map(|(t, r)| RenderRequest {
            release_name: bundle.name().to_string(),
            namespace: bundle.app.namespace().to_string(),
            target: TargetView {
                name: t.name.clone(),
                labels: t.labels.clone(),
                hierarchy: t.hierarchy.clone(),
            },
            values: serde_json::Value::Object(r.values.clone()),
        })
        .collect();
    let renderer = CanonicalRenderer::new(ChartRenderer::default());
    let rendered = renderer.render(&chart, &requests).await?;
    let solution = bundle.name().to_string();
    let mut files = BTreeMap::new();
    for ((t, r), out) in chosen.iter().zip(&resolved).zip(rendered) {
        let dir = format!("{solution}/{}", t.name);
        files.insert(format!("{dir}/manifests.yaml"), out.manifests);
        files.insert(format!("{dir}/values.yaml"), r.values_yaml());
    }
    Ok(Plan {
        files,
        solution,
        environment: fleet.environment.clone(),
        engine,
        targets: chosen.len(),
    })
}

fn chart_name(bundle: &Bundle) -> String {
    bundle
        .chart
        .text("Chart.yaml")
        .ok()
        .flatten()
        .and_then(|t| wo_core::yaml::parse(t, "Chart.yaml").ok())
        .and_then(|n| match n.get("name").map(|v| &v.kind) {
            Some(wo_core::yaml::NodeKind::Str(s)) if wo_core::files::check_name(s).is_ok() => {
                Some(s.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| bundle.name().to_string())
}

/// `wo render`: writes the plan under `out`; nothing is written when anything is invalid.
pub(crate) async fn render(
    source: &Path,
    config: Option<&Path>,
    fleet: &Path,
    only: &[String],
    out: &Path,
) -> Result<String> {
    let plan = plan(source, config, fleet, only).await?;
    write_plan(out, &plan)?;
    Ok(format!(
        "rendered `{}` for {} target{} of `{}` ({} engine) into {}\n",
        plan.solution,
        plan.targets,
        if plan.targets == 1 { "" } else { "s" },
        plan.environment,
        match plan.engine {
            Engine::Helm => "helm",
            Engine::Handlebars => "handlebars",
        },
        out.display()
    ))
}

/// Writes each file through a temporary file and a rename, refusing any path that would leave
/// `out` (names are checked when read; a symbolic link on the way is refused here).
fn write_plan(out: &Path, plan: &Plan) -> Result<()> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    for (rel, content) in &plan.files {
        wo_core::files::check_relative_path(rel)
            .map_err(|m| Error::invalid(Location::file(rel.clone()), m))?;
        let mut p = PathBuf::from(out);
        for seg in rel.split('/') {
            p.push(seg);
            if let Ok(meta) = std::fs::symlink_metadata(&p) {
                if meta.file_type().is_symlink() {
                    return Err(Error::invalid(
                        Location::file(p.display().to_string()),
                        "is a symbolic link; wo does not write through links",
                    ));
                }
            }
        }
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let tmp = p.with_extension("yaml.tmp");
        std::fs::write(&tmp, content).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &p).map_err(io(&p))?;
    }
    Ok(())
}

/// The output of `wo check`.
pub(crate) struct CheckOutcome {
    pub text: String,
    pub blocking: bool,
}

/// `wo check`: policy checks on manifest files (a directory means every `manifests.yaml` in it).
pub(crate) fn check_paths(
    paths: &[PathBuf],
    policy: Option<&Path>,
    format: &str,
) -> Result<CheckOutcome> {
    let policy = match policy {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
                path: p.display().to_string(),
                source,
            })?;
            Policy::parse(&text, &p.display().to_string())?
        }
        None => Policy::default(),
    };
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| Error::Io {
            path: p.display().to_string(),
            source,
        })?;
        if meta.is_dir() {
            let tree = FileTree::load_dir(p)?;
            for (rel, _) in tree.iter() {
                if rel == "manifests.yaml" || rel.ends_with("/manifests.yaml") {
                    files.push((
                        format!("{}/{rel}", shown(p)),
                        tree.text(rel)?.unwrap_or_default().to_string(),
                    ));
                }
            }
        } else {
            let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
                path: p.display().to_string(),
                source,
            })?;
            files.push((p.display().to_string(), text));
        }
    }
    let mut resources = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in &files {
        match ManifestSet::parse(text, file) {
            Ok(set) => resources.extend(set.resources),
            Err(e) => errors.push(e),
        }
    }
    merge(errors)?;
    let set = ManifestSet { resources };
    let report = check(&set, &policy);
    let text = match format {
        "json" => report.to_json(),
        "sarif" => report.to_sarif(),
        _ => report.to_text(),
    };
    Ok(CheckOutcome {
        text,
        blocking: report.blocking(),
    })
}

/// `wo diff`.
pub(crate) fn diff_dirs(old: &Path, new: &Path, format: &str) -> Result<String> {
    let a = FileTree::load_dir(old)?;
    let b = FileTree::load_dir(new)?;
    let d = diff_trees(&a, &b)?;
    Ok(match format {
        "markdown" => d.to_markdown(wo_render::manifest::GITHUB_COMMENT_LIMIT),
        "json" => serde_json::to_string_pretty(&d)
            .map(|s| s + "\n")
            .map_err(|e| Error::unsupported(e.to_string()))?,
        _ => d.to_text(),
    })
}
