//! Check runs, minimally: create and update, kept for tests to read.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::git;
use crate::render::{self, Urls};
use crate::reply::{iso8601, not_found, now_secs, parse_body, unprocessable, Outcome, Reply};
use crate::request::{number, Request};
use crate::state::{CheckRun, State};

#[derive(Deserialize, Default)]
struct CheckBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    head_sha: Option<String>,
    #[serde(default)]
    details_url: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    completed_at: Option<String>,
    #[serde(default)]
    output: Option<Value>,
}

fn check_json(urls: &Urls<'_>, c: &CheckRun) -> Value {
    let text = |k: &str| c.output.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": c.id,
        "head_sha": c.head_sha,
        "node_id": render::node_id("CR", c.id),
        "external_id": c.external_id,
        "url": urls.api(&format!("/check-runs/{}", c.id)),
        "html_url": urls.html(&format!("/runs/{}", c.id)),
        "details_url": c.details_url,
        "status": c.status,
        "conclusion": c.conclusion,
        "started_at": c.started_at,
        "completed_at": c.completed_at,
        "output": {
            "title": text("title"),
            "summary": text("summary"),
            "text": text("text"),
            "annotations_count": 0,
            "annotations_url": urls.api(&format!("/check-runs/{}/annotations", c.id)),
        },
        "name": c.name,
        "check_suite": { "id": c.id },
        "app": null,
        "pull_requests": [],
    })
}

/// Applies status/conclusion/time fields; a conclusion completes the run, as on GitHub.
fn apply(run: &mut CheckRun, body: CheckBody) -> Result<(), Reply> {
    if let Some(v) = body.name {
        run.name = v;
    }
    if body.details_url.is_some() {
        run.details_url = body.details_url;
    }
    if body.external_id.is_some() {
        run.external_id = body.external_id;
    }
    if let Some(v) = body.status {
        run.status = v;
    }
    if body.started_at.is_some() {
        run.started_at = body.started_at;
    }
    if let Some(conclusion) = body.conclusion {
        if conclusion == "stale" {
            return Err(unprocessable(
                "Invalid request.\n\nOnly GitHub can set a conclusion of stale.",
            ));
        }
        run.conclusion = Some(conclusion);
        run.status = "completed".to_owned();
    }
    if body.completed_at.is_some() {
        run.completed_at = body.completed_at;
    }
    if run.status == "completed" {
        if run.conclusion.is_none() {
            return Err(unprocessable(
                "Invalid request.\n\nconclusion is required when status is completed.",
            ));
        }
        run.completed_at.get_or_insert_with(|| iso8601(now_secs()));
    }
    if let Some(output) = body.output {
        run.output = output;
    }
    Ok(())
}

pub(super) fn create(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CheckBody = parse_body(req.body)?;
    let id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = body
        .name
        .clone()
        .ok_or_else(|| unprocessable("Invalid request.\n\n\"name\" wasn't supplied."))?;
    let head = body
        .head_sha
        .clone()
        .ok_or_else(|| unprocessable("Invalid request.\n\n\"head_sha\" wasn't supplied."))?;
    let sha = git::resolve_commit(&repo.git, &head)
        .ok_or_else(|| unprocessable(&format!("No commit found for SHA: {head}")))?
        .to_string();
    let mut run = CheckRun {
        id,
        head_sha: sha,
        name,
        status: "queued".to_owned(),
        conclusion: None,
        details_url: None,
        external_id: None,
        started_at: Some(iso8601(now_secs())),
        completed_at: None,
        output: json!({}),
    };
    apply(
        &mut run,
        CheckBody {
            name: None,
            head_sha: None,
            ..body
        },
    )?;
    let urls = Urls::new(req.base, repo);
    let value = check_json(&urls, &run);
    repo.check_runs.push(run);
    Ok(Reply::json(axum::http::StatusCode::CREATED, value))
}

pub(super) fn update(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CheckBody = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let id = number(req.route.param(0))?;
    let run = repo
        .check_runs
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(not_found)?;
    let mut updated = run.clone();
    apply(&mut updated, body)?;
    *run = updated.clone();
    Ok(Reply::ok(check_json(&Urls::new(req.base, repo), &updated)))
}
