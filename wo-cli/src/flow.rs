//! The flow commands: `prepare-pr`, `merge`, `deploy`, `on-event`, `status`, `history`,
//! `rollback`. Each builds the pipeline over the configured repositories and calls one step.

use std::sync::Arc;

use serde_json::json;
use wo_core::pipeline::{Event, MergeOutcome, Pipeline, Ports, SourceChoice, StepOutcome};
use wo_core::ports::{CommitId, CommitState, TargetOutcome};
use wo_core::{Error, Location, Result};
use wo_git::{GitConfigStore, GitOpsGitRepo, GitRepo, GitSourceRepo};
use wo_render::{CanonicalRenderer, ChartRenderer};

use crate::settings::Settings;

/// What a flow command printed and whether the run succeeded.
pub struct FlowOutput {
    pub text: String,
    pub failed: bool,
}

/// One repository: on git (paths, `file://`, `git://`, `http://`), or on the GitHub REST API
/// (`github://owner/repo`, or an `https://` URL on the GitHub server, `GITHUB_SERVER_URL`,
/// default `https://github.com`). The one place a location picks its backend.
pub(crate) enum Backend {
    Git(GitRepo),
    GitHub(wo_github::repos::GitHubRepo),
}

pub(crate) fn backend(location: &str, s: &Settings) -> Result<Backend> {
    let server = std::env::var("GITHUB_SERVER_URL").unwrap_or_else(|_| "https://github.com".into());
    let github_name = location
        .strip_prefix("github://")
        .or_else(|| location.strip_prefix(&format!("{}/", server.trim_end_matches('/'))));
    match github_name {
        Some(name) => {
            // Across repositories a workflow needs an app token (WO_GITHUB_TOKEN); its own
            // repository's GITHUB_TOKEN does otherwise.
            let mut b = wo_github::client::GitHub::builder();
            if let Ok(url) = std::env::var("GITHUB_API_URL") {
                if !url.trim().is_empty() {
                    b = b.base_url(url);
                }
            }
            if let Some(token) = std::env::var("WO_GITHUB_TOKEN")
                .ok()
                .or_else(|| std::env::var("GITHUB_TOKEN").ok())
            {
                b = b.token(token);
            }
            // The `Accept` header (default GitHub's `application/vnd.github+json`); tests
            // through a validating proxy (Prism) set `application/json`.
            if let Ok(accept) = std::env::var("WO_GITHUB_ACCEPT") {
                b = b.accept(accept);
            }
            let name = name.trim_end_matches(".git").trim_end_matches('/');
            Ok(Backend::GitHub(wo_github::repos::GitHubRepo::parse(
                b.build()?,
                name,
            )?))
        }
        None => Ok(Backend::Git(
            GitRepo::open(location)?.with_cache_dir(s.cache.join("git")),
        )),
    }
}

/// The pipeline over the configured repositories.
pub fn pipeline(s: &Settings) -> Result<Pipeline> {
    use wo_github::repos::{GitHubConfigStore, GitHubGitOpsRepo, GitHubSourceRepo};
    let source: Arc<dyn wo_core::ports::SourceRepo> = match backend(&s.source, s)? {
        Backend::Git(r) => Arc::new(GitSourceRepo::new(r)),
        Backend::GitHub(r) => Arc::new(GitHubSourceRepo::new(r)),
    };
    let config = |loc: &str| -> Result<Arc<dyn wo_core::ports::ConfigStore>> {
        Ok(match backend(loc, s)? {
            Backend::Git(r) => Arc::new(GitConfigStore::new(r)),
            Backend::GitHub(r) => Arc::new(GitHubConfigStore::new(r)),
        })
    };
    let gitops: Arc<dyn wo_core::ports::GitOpsRepo> = match backend(&s.gitops, s)? {
        Backend::Git(r) => Arc::new(GitOpsGitRepo::new(r)),
        Backend::GitHub(r) => Arc::new(GitHubGitOpsRepo::new(r)),
    };
    // Every change request carries the manifest diff and the policy results for its reviewers.
    let gitops: Arc<dyn wo_core::ports::GitOpsRepo> = Arc::new(wo_render::ReviewingGitOps::new(
        gitops,
        wo_render::policy::Policy::default(),
    ));
    let ports = Ports {
        source,
        app_config: config(&s.config)?,
        platform_config: config(&s.platform)?,
        gitops,
        renderer: Arc::new(CanonicalRenderer::new(ChartRenderer::default())),
        orchestrator: crate::orchestrator::orchestrator(&s.azure)?,
    };
    Ok(Pipeline::new(
        ports,
        wo_core::pipeline::Settings {
            first_environment: s.first_environment.clone(),
            ..Default::default()
        },
    ))
}

/// `wo on-event --github --role ROLE`: the event of the GitHub Actions run (`GITHUB_EVENT_NAME`,
/// `GITHUB_EVENT_PATH`), run through the pipeline; outputs to `GITHUB_OUTPUT`, a per-target
/// table to `GITHUB_STEP_SUMMARY`, `::error` annotations for invalid configuration.
pub async fn on_github_event(s: &Settings, role: &str, json_out: bool) -> Result<FlowOutput> {
    use wo_github::actions;
    let role: actions::RepoRole = role.parse()?;
    let p = pipeline(s)?;
    let chain = p.chain().await?;
    let mut ctx =
        actions::EventContext::new(role).with_environments(chain.environments().iter().cloned());
    if let Ok(sha) = std::env::var("GITHUB_SHA") {
        ctx = ctx.with_sha(sha);
    }
    let event = match actions::from_env(&ctx)? {
        actions::Mapping::Event(e) => e,
        actions::Mapping::Ignored { reason } => {
            return Ok(FlowOutput {
                text: format!("{reason}\n"),
                failed: false,
            })
        }
    };
    let steps = match p.run(&event).await {
        Ok(steps) => steps,
        Err(e) => {
            if let Error::Invalid(ds) = &e {
                // GitHub turns these lines on stdout into annotations on the files.
                print!("{}", actions::annotations(ds));
            }
            return Err(e);
        }
    };
    let out = output(&steps, json_out)?;
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
        let md = actions::step_summary("wo", &actions::summary_rows(&steps));
        actions::append_step_summary(std::path::Path::new(&path), &md)?;
    }
    Ok(out)
}

fn to_json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Error::unsupported(e.to_string()))
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
                "{}: change request {} — {} ({} targets)\n",
                p.environment,
                p.kind(),
                cr.title,
                p.targets.len()
            ),
            None => format!("{}: nothing to propose ({})\n", p.environment, p.kind()),
        },
        StepOutcome::Deployed(d) => {
            let mut s = format!(
                "{}: deployed gitops {} (source {})\n",
                d.environment,
                d.gitops_commit.short(),
                d.provenance.source_commit.short()
            );
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
        StepOutcome::Halted {
            environment,
            reason,
            ..
        } => format!("{environment}: promotion halted — {reason}\n"),
    }
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
        StepOutcome::Halted {
            environment,
            source_commit,
            reason,
        } => json!({
            "step": "halt", "environment": environment, "sourceCommit": source_commit.to_string(), "reason": reason,
        }),
    }
}

fn output(steps: &[StepOutcome], json_out: bool) -> Result<FlowOutput> {
    let failed = steps.iter().any(StepOutcome::is_failure);
    let text = if json_out {
        to_json(&steps.iter().map(step_json).collect::<Vec<_>>())?
    } else if steps.is_empty() {
        "nothing to do\n".to_string()
    } else {
        steps.iter().map(describe).collect()
    };
    Ok(FlowOutput { text, failed })
}

/// `wo prepare-pr`.
pub async fn prepare_pr(
    s: &Settings,
    env: &str,
    source: SourceChoice,
    promotable: bool,
    json_out: bool,
) -> Result<FlowOutput> {
    let p = pipeline(s)?;
    let pb = spinner(format!("rendering {env}"));
    let out = p.prepare_pr(env, &source, promotable).await;
    pb.finish_and_clear();
    output(&[StepOutcome::Prepared(Box::new(out?))], json_out)
}

/// `wo merge`.
pub async fn merge(s: &Settings, env: &str, json_out: bool) -> Result<FlowOutput> {
    let p = pipeline(s)?;
    // Merging is idempotent for a retried workflow step: with no open change request there is
    // nothing to do (an unknown environment is still an error).
    p.chain().await?.check(env)?;
    let head = match p.merge(env).await? {
        MergeOutcome::Merged { head } => head,
        MergeOutcome::NothingToMerge => {
            let text = if json_out {
                to_json(
                    &json!({"environment": env, "merged": false, "reason": "no open change request"}),
                )?
            } else {
                format!("{env}: no open change request; nothing to merge\n")
            };
            return Ok(FlowOutput {
                text,
                failed: false,
            });
        }
    };
    let text = if json_out {
        to_json(&json!({"environment": env, "merged": true, "gitopsCommit": head.to_string()}))?
    } else {
        format!("{env}: merged; the env branch is at {}\n", head.short())
    };
    Ok(FlowOutput {
        text,
        failed: false,
    })
}

/// `wo deploy`.
pub async fn deploy(s: &Settings, env: &str, json_out: bool) -> Result<FlowOutput> {
    let p = pipeline(s)?;
    let pb = spinner(format!("deploying {env}"));
    let out = p.deploy(env).await;
    pb.finish_and_clear();
    output(&[StepOutcome::Deployed(out?)], json_out)
}

/// `wo on-event`: runs what the planner says, following the chain.
pub async fn on_event(s: &Settings, event: &Event, json_out: bool) -> Result<FlowOutput> {
    let p = pipeline(s)?;
    let pb = spinner("running".into());
    let steps = p.run(event).await;
    pb.finish_and_clear();
    output(&steps?, json_out)
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

/// `wo status`.
pub async fn status(s: &Settings, json_out: bool) -> Result<FlowOutput> {
    let st = pipeline(s)?.status().await?;
    if json_out {
        return Ok(FlowOutput {
            text: to_json(&st)?,
            failed: false,
        });
    }
    let mut text = format!(
        "{:<8} {:<8} {:<8} {:<8} {:<10} {:<8} targets\n",
        "ENV", "SOURCE", "CONFIG", "GITOPS", "PROMOTABLE", "STATE"
    );
    for e in &st {
        let (src, cfg, promo) = match &e.provenance {
            Some(p) => (
                p.source_commit.short().to_string(),
                p.config_commit.short().to_string(),
                p.promotable.to_string(),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let gitops = e
            .gitops_commit
            .as_ref()
            .map(|c| c.short().to_string())
            .unwrap_or_else(|| "-".into());
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
    }
    Ok(FlowOutput {
        text,
        failed: false,
    })
}

fn state_name(s: CommitState) -> &'static str {
    match s {
        CommitState::Pending => "pending",
        CommitState::Success => "success",
        CommitState::Failure => "failure",
        CommitState::Error => "error",
    }
}

/// `wo history`.
pub async fn history(s: &Settings, env: &str, limit: usize, json_out: bool) -> Result<FlowOutput> {
    let h = pipeline(s)?.history(env, limit).await?;
    if json_out {
        return Ok(FlowOutput {
            text: to_json(&h)?,
            failed: false,
        });
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
    Ok(FlowOutput {
        text,
        failed: false,
    })
}

fn short_json(v: &serde_json::Value) -> String {
    v.as_str()
        .map(|s| s[..s.len().min(7)].to_string())
        .unwrap_or_else(|| "-".into())
}

/// `wo rollback`.
pub async fn rollback(s: &Settings, env: &str, to: &str, json_out: bool) -> Result<FlowOutput> {
    let p = pipeline(s)?;
    let out = p.rollback(env, &CommitId::from(to)).await?;
    output(&[StepOutcome::Prepared(Box::new(out))], json_out)
}
