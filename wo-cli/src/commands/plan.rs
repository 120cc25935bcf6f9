//! `wo render`, `wo check`, `wo diff`: the offline plan of an environment and its review.

use std::path::{Path, PathBuf};

use serde_json::json;
use wo_core::files::FileTree;
use wo_core::{Error, Result};
use wo_render::manifest::{diff_trees, ManifestSet};
use wo_render::policy::{check, Policy};

use crate::args::InputArgs;
use crate::console::Kind;
use crate::output::{plural, to_json, CheckFormat, DiffFormat, Outcome, TextOrJson};

/// Render the manifests of every target of an environment into a directory.
///
/// Writes the gitops layout <solution>/<target>/{values,manifests}.yaml under --out, for
/// every target the fleet assigns the solution to. Nothing is written when any target is
/// invalid: targets stream through resolve, render and canonicalisation into a staging
/// directory beside --out (or inside it, when it exists), moved into place at the end.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo render --source examples/shop/source --config examples/shop/config \\
      --platform examples/shop/fleet --out plan

  # Two targets only, from the repositories at the head of stage
  wo render --source github://acme/shop --config github://acme/shop-config \\
      --platform github://acme/platform-config --env stage \\
      --target berlin-1 --target london-1 --out plan")]
pub struct Render {
    #[command(flatten)]
    inputs: InputArgs,
    /// Only these targets (repeatable); default: every assigned target.
    #[arg(long)]
    target: Vec<String>,
    /// Directory to write the plan into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Render {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let inputs = self.inputs.load(true).await?;
        let plan = wo::plan::render_to(&inputs, &self.target, &self.out).await?;
        let engine = plan.engine.as_str();
        if self.output.is_json() {
            return Ok(Outcome::json(to_json(&json!({
                "solution": plan.solution,
                "environment": plan.environment,
                "engine": engine,
                "targets": plan.targets,
                "out": self.out.display().to_string(),
                "files": plan.files(),
            }))?));
        }
        Ok(Outcome::ok(format!(
            "rendered `{}` for {} of `{}` ({engine} engine) into {}\n",
            plan.solution,
            plural(plan.targets.len(), "target"),
            plan.environment,
            self.out.display()
        )))
    }
}

/// Run the policy checks on manifests.
///
/// Takes manifest files, or directories holding manifests.yaml files. Exits 1 when a
/// blocking rule fails.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo check plan
  wo check plan --policy policy.yaml
  # For GitHub code scanning
  wo check plan -o sarif > wo.sarif")]
pub struct Check {
    /// Manifest files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Policy file (kind: Policy): which rules block, exceptions with reasons.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: CheckFormat,
}

impl Check {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output == CheckFormat::Json
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| Error::Io {
                path: p.display().to_string(),
                source,
            })
        };
        let policy = match &self.policy {
            Some(p) => Policy::parse(&read(p)?, &p.display().to_string())?,
            None => Policy::default(),
        };
        let mut files = Vec::new();
        for p in &self.paths {
            let meta = std::fs::metadata(p).map_err(|source| Error::Io {
                path: p.display().to_string(),
                source,
            })?;
            if meta.is_dir() {
                let tree = FileTree::load_dir(p)?;
                let shown = p.display().to_string();
                for (rel, _) in tree.iter() {
                    if rel == "manifests.yaml" || rel.ends_with("/manifests.yaml") {
                        files.push((
                            format!("{}/{rel}", shown.trim_end_matches('/')),
                            tree.text(rel)?.unwrap_or_default().to_string(),
                        ));
                    }
                }
            } else {
                files.push((p.display().to_string(), read(p)?));
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
        wo_core::compose::merge_errors(errors)?;
        let report = check(&ManifestSet { resources }, &policy);
        let (text, kind) = match self.output {
            CheckFormat::Json => (report.to_json(), Kind::Json),
            CheckFormat::Sarif => (report.to_sarif(), Kind::Json),
            CheckFormat::Text => (report.to_text(), Kind::Text),
        };
        Ok(Outcome::new(text, report.blocking()).of_kind(kind))
    }
}

/// Compare two rendered plans resource by resource.
///
/// Both are directories in the gitops layout (as wo render writes them).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo diff old-plan plan
  # What wo puts in a change request
  wo diff old-plan plan -o markdown")]
pub struct Diff {
    /// The old plan.
    old: PathBuf,
    /// The new plan.
    new: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: DiffFormat,
}

impl Diff {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output == DiffFormat::Json
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let a = FileTree::load_dir(&self.old)?;
        let b = FileTree::load_dir(&self.new)?;
        let d = diff_trees(&a, &b)?;
        Ok(match self.output {
            DiffFormat::Markdown => {
                Outcome::ok(d.to_markdown(wo_render::manifest::GITHUB_COMMENT_LIMIT))
            }
            DiffFormat::Json => Outcome::json(to_json(&d)?),
            DiffFormat::Text => Outcome::ok(d.to_text()),
        })
    }
}
