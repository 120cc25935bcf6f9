//! The job summary: a markdown table of what happened per target, appended to the file at
//! `GITHUB_STEP_SUMMARY`.

use std::path::Path;

use wo_core::error::Result;
use wo_core::pipeline::{Action, StepOutcome};
use wo_core::ports::TargetOutcome;

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

/// The summary as markdown: a `###` heading with `title`, then the table (environment, target,
/// state, message), cells escaped so that no value breaks the table or injects HTML.
pub fn step_summary(title: &str, rows: &[TargetRow]) -> String {
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
        if md.len() + line.len() > MAX_SUMMARY_BYTES - 200 {
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

/// A table cell: markdown and HTML that would change the table are escaped, line breaks become
/// `<br>`.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}
