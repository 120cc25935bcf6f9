//! The job summary: a markdown table of what happened per target, appended to the file at
//! `GITHUB_STEP_SUMMARY`.

use std::path::Path;

use wo_core::error::Result;
use wo_core::markdown::cell;
use wo_core::pipeline::{Action, StepOutcome};
use wo_core::ports::TargetOutcome;
use wo_core::rollout::TableFormat;

/// The variable naming the step's summary file.
pub const STEP_SUMMARY_VAR: &str = "GITHUB_STEP_SUMMARY";

/// GitHub shows at most 1 MiB of summary per step; the table stops a little earlier and says
/// how many rows it left out.
pub const MAX_SUMMARY_BYTES: usize = 1000 * 1024;

/// One row of the summary table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRow {
    /// The environment.
    pub environment: String,
    /// The target (`-` for a row about the whole environment, such as a halt).
    pub target: String,
    /// What happened: `rendered`, `deployed`, `failed`, `halted`, ….
    pub state: String,
    /// Details for humans (the orchestrator's message, the change request).
    pub message: String,
}

impl TargetRow {
    /// A row.
    pub fn new(
        environment: impl Into<String>,
        target: impl Into<String>,
        state: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            environment: environment.into(),
            target: target.into(),
            state: state.into(),
            message: message.into(),
        }
    }
}

/// The rows for the steps a pipeline run took, in the order they were taken.
///
/// A prepared change request gives one `rendered` row per target, a deploy one `deployed` or
/// `failed` row per target (in target order), a fleet apply one `fleet applied` row and a
/// skipped step one `skipped` row for the environment, a halt one `halted` row.
pub fn summary_rows(steps: &[StepOutcome]) -> Vec<TargetRow> {
    let mut rows = Vec::new();
    for step in steps {
        match step {
            StepOutcome::Prepared(p) => {
                let message = match p.change_request() {
                    Some(cr) => match &cr.url {
                        Some(url) => format!("change request {} ({}): {url}", cr.id, p.kind()),
                        None => format!("change request {} ({})", cr.id, p.kind()),
                    },
                    None => "no difference: the environment has this content".to_owned(),
                };
                rows.extend(
                    p.targets
                        .iter()
                        .map(|t| TargetRow::new(&p.environment, t, "rendered", &message)),
                );
            }
            StepOutcome::Deployed(d) => {
                rows.extend(d.report.results.iter().map(|(t, o)| match o {
                    TargetOutcome::Deployed => TargetRow::new(
                        &d.environment,
                        t,
                        "deployed",
                        format!("version {}", d.report.version),
                    ),
                    TargetOutcome::Failed { message } => {
                        TargetRow::new(&d.environment, t, "failed", message)
                    }
                }));
            }
            StepOutcome::RolledOut(r) => {
                for (wave, report) in &r.batches {
                    rows.extend(report.results.iter().map(|(t, o)| match o {
                        TargetOutcome::Deployed => TargetRow::new(
                            &r.environment,
                            t,
                            "deployed",
                            format!("wave {wave}, version {}", report.version),
                        ),
                        TargetOutcome::Failed { message } => TargetRow::new(
                            &r.environment,
                            t,
                            "failed",
                            format!("wave {wave}: {message}"),
                        ),
                    }));
                }
                let (state, message) = match &r.decision {
                    wo_core::rollout::Decision::Done => {
                        ("rolled out", "every wave installed and baked".to_owned())
                    }
                    wo_core::rollout::Decision::Halt { wave, reason, .. } => {
                        ("halted", format!("wave {wave}: {reason}"))
                    }
                    _ => ("waiting", r.waiting_for().unwrap_or_default()),
                };
                rows.push(TargetRow::new(&r.environment, "-", state, message));
            }
            StepOutcome::FleetApplied {
                environment,
                fleet_commit,
                report,
            } => rows.push(TargetRow::new(
                environment,
                "-",
                "fleet applied",
                format!(
                    "fleet {}: {} created, {} updated, {} unchanged",
                    fleet_commit.short(),
                    report.created,
                    report.updated,
                    report.unchanged
                ),
            )),
            StepOutcome::Skipped { action, reason } => rows.push(TargetRow::new(
                action_environment(action),
                "-",
                "skipped",
                format!("{action}: {reason}"),
            )),
            StepOutcome::Halted {
                environment,
                source_commit,
                reason,
            } => rows.push(TargetRow::new(
                environment,
                "-",
                "halted",
                format!("{}: {reason}", source_commit.short()),
            )),
        }
    }
    rows
}

/// The environment an action is about.
fn action_environment(action: &Action) -> &str {
    match action {
        Action::PreparePr { environment, .. }
        | Action::ApplyFleet { environment }
        | Action::Deploy { environment }
        | Action::Halt { environment, .. } => environment,
    }
}

/// The summary of a pipeline run as markdown: [`step_summary`] of its
/// [`summary_rows`], then, for each rollout step, the rollout's table per wave
/// ([`RolloutView`](wo_core::rollout::RolloutView) in Markdown: targets done, failed and
/// waiting, bake, approval, window) under a `####` heading. The whole stays within
/// [`MAX_SUMMARY_BYTES`]: the per-target table gives up rows first.
pub fn run_summary(title: &str, steps: &[StepOutcome]) -> String {
    let rollouts: String = steps
        .iter()
        .filter_map(|s| match s {
            StepOutcome::RolledOut(r) => Some(format!(
                "#### Rollout of {} in {}\n\n{}\n",
                r.gitops_commit.short(),
                cell(&r.environment),
                r.view.render(TableFormat::Markdown)
            )),
            _ => None,
        })
        .collect();
    let mut md = table(
        title,
        &summary_rows(steps),
        MAX_SUMMARY_BYTES.saturating_sub(rollouts.len()),
    );
    md.push_str(&rollouts);
    md
}

/// The summary as markdown: a `###` heading with `title`, then the table (environment, target,
/// state, message), cells escaped so that no value breaks the table or injects HTML.
pub fn step_summary(title: &str, rows: &[TargetRow]) -> String {
    table(title, rows, MAX_SUMMARY_BYTES)
}

/// [`step_summary`] in at most `limit` bytes.
fn table(title: &str, rows: &[TargetRow], limit: usize) -> String {
    let mut md = format!(
        "### {}\n\n| environment | target | state | message |\n|---|---|---|---|\n",
        cell(title)
    );
    if rows.is_empty() {
        md.push_str("| - | - | - | nothing to do |\n");
    }
    for (i, r) in rows.iter().enumerate() {
        let line = format!(
            "| {} | {} | {} | {} |\n",
            cell(&r.environment),
            cell(&r.target),
            cell(&r.state),
            cell(&r.message)
        );
        if md.len() + line.len() > limit.saturating_sub(200) {
            md.push_str(&format!(
                "\n{} more rows not shown (GitHub keeps 1 MiB of summary per step)\n",
                rows.len() - i
            ));
            break;
        }
        md.push_str(&line);
    }
    md.push('\n');
    md
}

/// Appends `markdown` to the summary file at `path` (the value of `GITHUB_STEP_SUMMARY`).
///
/// # Errors
///
/// [`wo_core::Error::Io`] when the file cannot be appended to.
pub fn append_step_summary(path: &Path, markdown: &str) -> Result<()> {
    super::output::append(path, markdown)
}
