//! The flow commands: `prepare-pr`, `merge`, `deploy`, `on-event`, `status`, `history`,
//! `rollback`. Each builds the pipeline the settings name ([`wo::pipeline::PipelineBuilder`])
//! and runs one step.

use serde_json::json;
use wo::pipeline::PipelineBuilder;
use wo_core::pipeline::{Event, MergeOutcome, Pipeline, SourceChoice, StepOutcome};
use wo_core::ports::{CommitId, CommitState, TargetOutcome};
use wo_core::rollout::TableFormat;
use wo_core::{Error, Location, Result};

use crate::args::{AzureArgs, RepoArgs};
use crate::output::{plural, to_json, Outcome, TextOrJson};

fn pipeline(repos: &RepoArgs, azure: Option<&AzureArgs>) -> Result<Pipeline> {
    PipelineBuilder::new(repos.settings(azure)?).build()
}

/// Render an environment for a source commit and propose it as a change request.
///
/// Opens (or updates) the change request on the environment's branch of the gitops repo.
/// Nothing is proposed when anything is invalid.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  # A commit of main, promotable: a successful deploy promotes it to the next environment
  wo prepare-pr --env dev --source-rev main

  # A config change: the source commit released in stage, rendered again, not promotable
  wo prepare-pr -e stage --released

  # With the repositories named, and JSON out
  wo prepare-pr -e dev --source-rev 3f2c1ab --source github://acme/shop \\
      --config github://acme/shop-config --platform github://acme/platform-config \\
      --gitops github://acme/shop-gitops -o json")]
pub struct PreparePr {
    #[command(flatten)]
    repos: RepoArgs,
    /// The environment.
    #[arg(short, long)]
    env: String,
    /// The source revision (commit, short commit id, branch or tag) to render.
    #[arg(
        long,
        value_name = "REV",
        conflicts_with = "released",
        required_unless_present = "released"
    )]
    source_rev: Option<String>,
    /// Render the source commit currently released in the environment (a config change).
    #[arg(long)]
    released: bool,
    /// Whether a successful deploy promotes to the next environment (default: yes for
    /// --source-rev, no for --released).
    #[arg(long, value_name = "BOOL")]
    promotable: Option<bool>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl PreparePr {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let (source, default_promotable) = match self.source_rev {
            Some(rev) => (SourceChoice::Commit(rev), true),
            None => (SourceChoice::Released, false),
        };
        let p = pipeline(&self.repos, None)?;
        let pb = spinner(format!("rendering {}", self.env));
        let out = p
            .prepare_pr(
                &self.env,
                &source,
                self.promotable.unwrap_or(default_promotable),
            )
            .await;
        pb.finish_and_clear();
        output(&[StepOutcome::Prepared(Box::new(out?))], self.output)
    }
}

/// Merge the open change request of an environment.
///
/// The reviewer's step, done locally; on GitHub, merge the pull request instead. With none
/// open, there is nothing to do.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo merge --env dev
  wo merge -e prod -o json")]
pub struct Merge {
    #[command(flatten)]
    repos: RepoArgs,
    /// The environment.
    #[arg(short, long)]
    env: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Merge {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let env = &self.env;
        let merged = pipeline(&self.repos, None)?.merge(env).await?;
        let json = self.output.is_json();
        Ok(Outcome::ok(match merged {
            MergeOutcome::Merged { head } if json => to_json(
                &json!({"environment": env, "merged": true, "gitopsCommit": head.to_string()}),
            )?,
            MergeOutcome::Merged { head } => {
                format!("{env}: merged; the env branch is at {}\n", head.short())
            }
            MergeOutcome::NothingToMerge if json => to_json(
                &json!({"environment": env, "merged": false, "reason": "no open change request"}),
            )?,
            MergeOutcome::NothingToMerge => {
                format!("{env}: no open change request; nothing to merge\n")
            }
        }))
    }
}

/// Deploy the release merged into an environment.
///
/// Deploys through Azure Workload Orchestration and sets the statuses wo/<env> and
/// wo/<env>/<target> of the source commit. Exits 1 when a target fails.
///
/// When the environment's fleet declares a `rollout:`, deploys wave by wave as far as the
/// rollout allows now and exits: 0 while it waits (a bake, a window, an approval; the output
/// says for what and until when), 1 once it halted. Run it again (the scheduled workflow does)
/// to continue: the progress lives in the source commit's statuses, so every deploy resumes.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo deploy --env dev --resource-group /subscriptions/SUB/resourceGroups/shop
  # Continue a rollout (the same command: it resumes from the statuses)
  wo deploy --env prod
  # Against the simulator (wo azure-sim), 16 targets at once
  wo deploy -e dev --arm-url http://127.0.0.1:8443 --concurrency 16 -o json")]
pub struct Deploy {
    #[command(flatten)]
    repos: RepoArgs,
    #[command(flatten)]
    azure: AzureArgs,
    /// The environment.
    #[arg(short, long)]
    env: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Deploy {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command, holding the deploy lock of the environment (see
    /// [`crate::deploy_lock`]): a second deploy of it on this machine refuses.
    pub async fn run(self) -> Result<Outcome> {
        let settings = self.repos.settings(Some(&self.azure))?;
        let _lock = crate::deploy_lock::DeployLock::acquire(
            &settings.cache_dir(),
            &self.env,
            settings.gitops.as_deref().unwrap_or_default(),
        )?;
        let p = pipeline(&self.repos, Some(&self.azure))?;
        let pb = spinner(format!("deploying {}", self.env));
        let out = p
            .deploy_step(&self.env, &wo_core::pipeline::system_clock)
            .await;
        pb.finish_and_clear();
        output(&[out?], self.output)
    }
}

/// Approve a wave of the rollout of an environment.
///
/// Records, as the status wo/<env>/approval/<wave> of the source commit, that the release at
/// the head of the environment may enter that wave; the next `wo deploy` (or the scheduled
/// workflow) continues. The approval names the release: the next release needs its own.
/// Who approved: `--by`, else the user the workflow runs for (GITHUB_ACTOR), else the local
/// user. Who may approve is who may write statuses on the source repository: on GitHub, users
/// with write access to it (run it from the deploy workflow's dispatch, or gate that job with a
/// GitHub environment whose required reviewers approve).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo approve --env prod --wave rest
  wo approve -e prod --wave rest --by alice -o json")]
pub struct Approve {
    #[command(flatten)]
    repos: RepoArgs,
    /// The environment.
    #[arg(short, long)]
    env: String,
    /// The wave to approve.
    #[arg(long)]
    wave: String,
    /// Who approves (default: GITHUB_ACTOR, else USER).
    #[arg(long)]
    by: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Approve {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let by = given(self.by.clone())
            .or_else(|| given(std::env::var("GITHUB_ACTOR").ok()))
            .or_else(|| given(std::env::var("USER").ok()))
            .ok_or_else(|| {
                Error::invalid(
                    Location::file("--by"),
                    "who approves is not known: pass --by (GITHUB_ACTOR and USER are not set)",
                )
            })?;
        let p = pipeline(&self.repos, None)?;
        let approval = p
            .approve(
                &self.env,
                &self.wave,
                &by,
                wo_core::pipeline::system_clock(),
            )
            .await?;
        Ok(Outcome::new(
            if self.output.is_json() {
                to_json(&json!({
                    "environment": self.env,
                    "wave": self.wave,
                    "by": approval.by,
                    "at": approval.at.to_string(),
                }))?
            } else {
                format!(
                    "{}: wave {} approved by {} at {}; the next deploy continues the rollout\n",
                    self.env, self.wave, approval.by, approval.at
                )
            },
            false,
        ))
    }
}

/// Run what an event calls for, following the promotion chain.
///
/// Goes on until a change request waits for review, the chain ends, or a step fails. For
/// platform-config-merged, the platform solution's pipeline first applies the merged fleet.yaml
/// to Workload Orchestration (as wo fleet apply, never pruning; skipped without a resource
/// group), then prepares the environment.
#[derive(Debug, clap::Args)]
#[command(after_help = r#"Examples:
  wo on-event --event '{"type": "source-pushed", "commit": "main"}'
  wo on-event --event '{"type": "change-merged", "environment": "dev"}'
  echo '{"type": "config-merged", "environment": "stage"}' | wo on-event --event -

  # The platform team's fleet change: onboard the clusters, then render the platform for them
  wo on-event --event '{"type": "platform-config-merged", "environment": "dev"}' \
      --resource-group /subscriptions/SUB/resourceGroups/RG

  # In a GitHub Actions workflow: the run's event, GITHUB_OUTPUT and the step summary
  wo on-event --github --role gitops"#)]
pub struct OnEvent {
    #[command(flatten)]
    repos: RepoArgs,
    #[command(flatten)]
    azure: AzureArgs,
    /// The event as JSON, e.g. {"type": "change-merged", "environment": "dev"}; - reads
    /// standard input.
    #[arg(long, required_unless_present = "github", conflicts_with = "github")]
    event: Option<String>,
    /// Read the event of the GitHub Actions run (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) and
    /// write GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and annotations.
    #[arg(long, requires = "role")]
    github: bool,
    /// With --github: the role of the repository the workflow runs in.
    #[arg(long, value_parser = ["source", "config", "platform-config", "gitops"])]
    role: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl OnEvent {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let settings = self.repos.settings(Some(&self.azure))?;
        if self.github {
            let role = self.role.as_deref().unwrap_or_default();
            let run = on_github_event(settings, role, self.output).await;
            if let Err(e) = &run {
                // A step that fails still tells the workflow so: `failed` and the error's kind.
                if let Some(path) = std::env::var_os("GITHUB_OUTPUT") {
                    let outputs = std::collections::BTreeMap::from([
                        ("failed".to_string(), "true".to_string()),
                        ("error".to_string(), e.kind().to_string()),
                    ]);
                    wo_github::actions::write_outputs(std::path::Path::new(&path), &outputs)?;
                }
            }
            return run;
        }
        let text = match self.event.as_deref() {
            Some("-") => {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|source| {
                    Error::Io {
                        path: "<stdin>".into(),
                        source,
                    }
                })?;
                s
            }
            Some(e) => e.to_string(),
            None => String::new(),
        };
        let event = parse_event(&text, "<event>")?;
        let p = PipelineBuilder::new(settings).build()?;
        let pb = spinner("running".into());
        let steps = p.run(&event).await;
        pb.finish_and_clear();
        output(&steps?, self.output)
    }
}

/// `wo on-event --github --role ROLE`: the event of the GitHub Actions run, run through the
/// pipeline; outputs to `GITHUB_OUTPUT`, a per-target table to `GITHUB_STEP_SUMMARY`,
/// `::error` annotations for invalid configuration.
async fn on_github_event(
    settings: wo::settings::Settings,
    role: &str,
    format: TextOrJson,
) -> Result<Outcome> {
    use wo_github::actions;
    let p = PipelineBuilder::new(settings).build()?;
    let role: actions::RepoRole = role.parse()?;
    let chain = p.chain().await?;
    let mut ctx =
        actions::EventContext::new(role).with_environments(chain.environments().iter().cloned());
    if let Ok(sha) = std::env::var("GITHUB_SHA") {
        ctx = ctx.with_sha(sha);
    }
    let event = match actions::from_env(&ctx)? {
        actions::Mapping::Event(e) => e,
        actions::Mapping::Ignored { reason } => return Ok(Outcome::ok(format!("{reason}\n"))),
    };
    let steps = match p.run(&event).await {
        Ok(steps) => steps,
        Err(e) => {
            if let Error::Invalid(ds) = &e {
                // GitHub turns these lines on stdout into annotations on the files.
                crate::console::commands(&actions::annotations(ds));
            }
            return Err(e);
        }
    };
    let out = output(&steps, format)?;
    if let Some(path) = std::env::var_os("GITHUB_OUTPUT") {
        let mut outputs = std::collections::BTreeMap::new();
        outputs.insert("failed".to_string(), out.failed.to_string());
        outputs.insert(
            "steps".to_string(),
            serde_json::to_string(&steps.iter().map(step_json).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
        actions::write_outputs(std::path::Path::new(&path), &outputs)?;
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let md = actions::run_summary("wo", &steps);
        actions::append_step_summary(std::path::Path::new(&path), &md)?;
    }
    Ok(out)
}

/// Show each environment: released source, config and gitops commits, per-target state.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo status
  wo status -o json")]
pub struct Status {
    #[command(flatten)]
    repos: RepoArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Status {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let st = pipeline(&self.repos, None)?.status().await?;
        if self.output.is_json() {
            return Ok(Outcome::json(to_json(&st)?));
        }
        let mut text = format!(
            "{:<8} {:<8} {:<8} {:<8} {:<10} {:<8} targets\n",
            "ENV", "SOURCE", "CONFIG", "GITOPS", "PROMOTABLE", "STATE"
        );
        for e in &st {
            let [src, cfg, gitops, promo] = released(e);
            let state = e.state.map(state_name).unwrap_or("-");
            let targets: Vec<String> = e
                .targets
                .iter()
                .map(|(t, st)| format!("{t}={}", state_name(*st)))
                .collect();
            text.push_str(&format!(
                "{:<8} {src:<8} {cfg:<8} {gitops:<8} {promo:<10} {state:<8} {}\n",
                e.environment,
                targets.join(" ")
            ));
            if let Some(cr) = &e.change_request {
                text.push_str(&format!("         open change request: {}\n", cr.title));
            }
            if let Some(r) = &e.rollout {
                text.push_str(&indent(
                    &r.render(TableFormat::Text),
                    "         rollout: ",
                    "           ",
                ));
            }
            if let Some(why) = &e.rollout_unreadable {
                text.push_str(&format!("         rollout: cannot be read back: {why}\n"));
            }
        }
        Ok(Outcome::ok(text))
    }
}

/// `text` with `first` before its first line and `rest` before each other line.
fn indent(text: &str, first: &str, rest: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("{}{l}\n", if i == 0 { first } else { rest }))
        .collect()
}

/// The short source, config and gitops commits of what an environment runs, and whether it
/// is promotable (`-` for each when nothing is released).
pub(crate) fn released(e: &wo_core::pipeline::EnvironmentStatus) -> [String; 4] {
    let short = |c: Option<&CommitId>| c.map_or_else(|| "-".to_string(), |c| c.short().to_string());
    let p = e.provenance.as_ref();
    [
        short(p.map(|p| &p.source_commit)),
        short(p.map(|p| &p.config_commit)),
        short(e.gitops_commit.as_ref()),
        p.map_or_else(|| "-".to_string(), |p| p.promotable.to_string()),
    ]
}

fn state_name(s: CommitState) -> &'static str {
    match s {
        CommitState::Pending => "pending",
        CommitState::Success => "success",
        CommitState::Failure => "failure",
        CommitState::Error => "error",
    }
}

/// List the releases of an environment, newest first.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo history --env prod
  wo history -e prod --limit 5 -o json")]
pub struct History {
    #[command(flatten)]
    repos: RepoArgs,
    /// The environment.
    #[arg(short, long)]
    env: String,
    /// How many.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl History {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let env = &self.env;
        let h = pipeline(&self.repos, None)?
            .history(env, self.limit)
            .await?;
        if self.output.is_json() {
            return Ok(Outcome::json(to_json(&h)?));
        }
        let mut text = String::new();
        for r in &h {
            let v = serde_json::to_value(r).unwrap_or_default();
            let commit = v["gitopsCommit"]
                .as_str()
                .or(v["commit"].as_str())
                .unwrap_or("-");
            let prov = &v["provenance"];
            text.push_str(&format!(
                "{}  source {}  config {}  fleet {}{}{}\n",
                &commit[..commit.len().min(7)],
                short_json(&prov["sourceCommit"]),
                short_json(&prov["configCommit"]),
                short_json(&prov["fleetCommit"]),
                if prov["promotable"].as_bool() == Some(true) {
                    "  promotable"
                } else {
                    ""
                },
                prov["rollbackOf"]
                    .as_str()
                    .map(|r| format!("  rollback of {}", &r[..r.len().min(7)]))
                    .unwrap_or_default(),
            ));
        }
        if text.is_empty() {
            text = format!("{env}: nothing released yet\n");
        }
        Ok(Outcome::ok(text))
    }
}

fn short_json(v: &serde_json::Value) -> String {
    v.as_str()
        .map(|s| s[..s.len().min(7)].to_string())
        .unwrap_or_else(|| "-".into())
}

/// Propose restoring an earlier release of an environment.
///
/// Opens a change request with the release's files (see wo history); deploying it after the
/// merge rolls the environment back.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo history --env prod
  wo rollback --env prod --to f6b61cc
  wo merge --env prod && wo deploy --env prod")]
pub struct Rollback {
    #[command(flatten)]
    repos: RepoArgs,
    /// The environment.
    #[arg(short, long)]
    env: String,
    /// The gitops commit of the release to restore: its id, or a unique short id.
    #[arg(long, value_name = "COMMIT")]
    to: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Rollback {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let p = pipeline(&self.repos, None)?;
        let out = p
            .rollback(&self.env, &CommitId::from(self.to.as_str()))
            .await?;
        output(&[StepOutcome::Prepared(Box::new(out))], self.output)
    }
}

fn spinner(msg: String) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(msg);
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Describes one step for humans.
fn describe(step: &StepOutcome) -> String {
    match step {
        StepOutcome::Prepared(p) => match p.change_request() {
            Some(cr) => format!(
                "{}: change request {} — {} ({})\n",
                p.environment,
                p.kind(),
                cr.title,
                plural(p.targets.len(), "target")
            ),
            None => format!("{}: nothing to propose ({})\n", p.environment, p.kind()),
        },
        StepOutcome::Deployed(d) => {
            let failed = d
                .report
                .results
                .values()
                .filter(|o| matches!(o, TargetOutcome::Failed { .. }))
                .count();
            let mut s = if failed == 0 {
                format!(
                    "{}: deployed gitops {} (source {}) to {}\n",
                    d.environment,
                    d.gitops_commit.short(),
                    d.provenance.source_commit.short(),
                    plural(d.report.results.len(), "target")
                )
            } else {
                format!(
                    "{}: deploy FAILED on {} of {}: gitops {} (source {})\n",
                    d.environment,
                    failed,
                    plural(d.report.results.len(), "target"),
                    d.gitops_commit.short(),
                    d.provenance.source_commit.short()
                )
            };
            for (t, o) in &d.report.results {
                match o {
                    TargetOutcome::Deployed => s.push_str(&format!("  {t}: deployed\n")),
                    TargetOutcome::Failed { message } => {
                        s.push_str(&format!("  {t}: FAILED — {message}\n"))
                    }
                }
            }
            s
        }
        StepOutcome::RolledOut(r) => describe_rollout(r),
        StepOutcome::FleetApplied {
            environment,
            fleet_commit,
            report,
        } => format!(
            "{environment}: fleet applied (platform config {}): {} created, {} updated, {} unchanged{}{}\n",
            fleet_commit.short(),
            report.created,
            report.updated,
            report.unchanged,
            if report.deleted > 0 {
                format!(", {} deleted", report.deleted)
            } else {
                String::new()
            },
            report
                .scope
                .as_deref()
                .map(|s| format!(" in {s}"))
                .unwrap_or_default(),
        ),
        StepOutcome::Skipped { action, reason } => format!("skipped {action}: {reason}\n"),
        StepOutcome::Halted {
            environment,
            reason,
            ..
        } => format!("{environment}: promotion halted — {reason}\n"),
    }
}

/// Describes a rollout step: the batches installed, then where the rollout stands.
fn describe_rollout(r: &wo_core::pipeline::RolloutOutcome) -> String {
    use wo_core::rollout::Decision;
    let mut s = format!(
        "{}: rollout of gitops {} (source {})\n",
        r.environment,
        r.gitops_commit.short(),
        r.provenance.source_commit.short()
    );
    for w in &r.warnings {
        s.push_str(&format!("  warning: {w}\n"));
    }
    for (wave, report) in &r.batches {
        let failed = report.failed().len();
        s.push_str(&format!(
            "  wave {wave}: installed {}{}\n",
            plural(report.results.len(), "target"),
            if failed > 0 {
                format!(", {failed} FAILED")
            } else {
                String::new()
            }
        ));
        for (t, o) in &report.results {
            if let TargetOutcome::Failed { message } = o {
                s.push_str(&format!("    {t}: FAILED — {message}\n"));
            }
        }
    }
    match &r.decision {
        Decision::Done => s.push_str("  done: every wave installed and baked\n"),
        Decision::Halt {
            wave,
            reason,
            rollback,
        } => {
            s.push_str(&format!("  HALTED in wave {wave}: {reason}\n"));
            match &r.rolled_back {
                Some(rb) => s.push_str(&format!(
                    "  rolled back {} to {} (gitops {})\n",
                    rollback.join(", "),
                    rb.to.short(),
                    rb.gitops_commit.short()
                )),
                None if !rollback.is_empty() => {
                    s.push_str(&format!("  to roll back: {}\n", rollback.join(", ")))
                }
                None => {}
            }
        }
        _ => {
            if let Some(w) = r.waiting_for() {
                s.push_str(&format!(
                    "  waiting: {w}; run wo deploy again to continue\n"
                ));
            }
        }
    }
    // The table without its summary line: the lines above said it.
    let table = r.view.render(TableFormat::Text);
    s.push_str(&indent(
        table.split_once('\n').map_or("", |(_, t)| t),
        "  ",
        "  ",
    ));
    s
}

fn step_json(step: &StepOutcome) -> serde_json::Value {
    match step {
        StepOutcome::Prepared(p) => json!({
            "step": "prepare-pr",
            "environment": p.environment,
            "outcome": p.kind(),
            "changeRequest": p.change_request().map(|c| json!({"id": c.id, "title": c.title, "head": c.head.to_string(), "url": c.url})),
            "provenance": p.provenance,
            "targets": p.targets,
        }),
        StepOutcome::Deployed(d) => json!({
            "step": "deploy",
            "environment": d.environment,
            "gitopsCommit": d.gitops_commit.to_string(),
            "provenance": d.provenance,
            "succeeded": d.report.all_succeeded(),
            "targets": d.report.results.iter().map(|(t, o)| (t.clone(), match o {
                TargetOutcome::Deployed => json!({"state": "deployed"}),
                TargetOutcome::Failed { message } => json!({"state": "failed", "message": message}),
            })).collect::<serde_json::Map<_, _>>(),
            "next": d.next,
        }),
        StepOutcome::RolledOut(r) => json!({
            "step": "deploy",
            "environment": r.environment,
            "gitopsCommit": r.gitops_commit.to_string(),
            "provenance": r.provenance,
            "rollout": {
                "decision": r.decision,
                "waitingFor": r.waiting_for(),
                "halted": r.halted(),
                "batches": r.batches.iter().map(|(wave, rep)| json!({
                    "wave": wave,
                    "targets": rep.results.iter().map(|(t, o)| (t.clone(), match o {
                        TargetOutcome::Deployed => json!({"state": "deployed"}),
                        TargetOutcome::Failed { message } => json!({"state": "failed", "message": message}),
                    })).collect::<serde_json::Map<_, _>>(),
                })).collect::<Vec<_>>(),
                "warnings": r.warnings,
                "view": r.view,
                "rolledBack": r.rolled_back.as_ref().map(|rb| json!({
                    "to": rb.to.to_string(),
                    "gitopsCommit": rb.gitops_commit.to_string(),
                    "succeeded": rb.report.all_succeeded(),
                })),
            },
            "succeeded": !r.halted(),
            "next": r.next,
        }),
        StepOutcome::FleetApplied {
            environment,
            fleet_commit,
            report,
        } => json!({
            "step": "apply-fleet",
            "environment": environment,
            "fleetCommit": fleet_commit.to_string(),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "deleted": report.deleted,
            "scope": report.scope,
        }),
        StepOutcome::Skipped { action, reason } => json!({
            "step": "skipped",
            "action": action,
            "reason": reason,
        }),
        StepOutcome::Halted {
            environment,
            source_commit,
            reason,
        } => json!({
            "step": "halt", "environment": environment, "sourceCommit": source_commit.to_string(), "reason": reason,
        }),
    }
}

fn output(steps: &[StepOutcome], format: TextOrJson) -> Result<Outcome> {
    let failed = steps.iter().any(StepOutcome::is_failure);
    if format.is_json() {
        let text = to_json(&steps.iter().map(step_json).collect::<Vec<_>>())?;
        return Ok(Outcome::new(text, failed).of_kind(crate::console::Kind::Json));
    }
    let text = if steps.is_empty() {
        "nothing to do\n".to_string()
    } else {
        steps.iter().map(describe).collect()
    };
    Ok(Outcome::new(text, failed))
}

/// Reads an event: a JSON document (`{"type": "change-merged", "environment": "dev"}`).
pub fn parse_event(text: &str, file: &str) -> Result<Event> {
    serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            Location::file(file).at(e.line() as u32, e.column() as u32),
            format!("not a wo event: {e} (types: source-pushed, change-merged, config-merged, platform-config-merged, deployment-finished)"),
        )
    })
}
