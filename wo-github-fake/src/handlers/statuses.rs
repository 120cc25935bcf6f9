//! Commit statuses: create (GitHub's state enum), list for a ref, the combined status.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::git;
use crate::render::{self, Urls};
use crate::reply::{
    error, list_reply, now_secs, paginate, parse_body, unprocessable, validation_failed, Outcome,
    Reply,
};
use crate::request::Request;
use crate::state::{Repo, State, Status};

const STATES: [&str; 4] = ["error", "failure", "pending", "success"];

#[derive(Deserialize)]
struct CreateStatus {
    state: String,
    #[serde(default)]
    target_url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    context: Option<String>,
}

pub(super) fn create(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CreateStatus = parse_body(req.body)?;
    if !STATES.contains(&body.state.as_str()) {
        return Err(validation_failed(json!([{
            "resource": "Status",
            "code": "custom",
            "field": "state",
            "message": "state is not included in the list",
        }])));
    }
    let id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0);
    let sha = git::resolve_commit(&repo.git, name)
        .ok_or_else(|| unprocessable(&format!("No commit found for SHA: {name}")))?
        .to_string();
    let status = Status {
        id,
        sha,
        state: body.state,
        context: body
            .context
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "default".to_owned()),
        description: body.description,
        target_url: body.target_url,
        created_at: now_secs(),
        creator: req.login(),
    };
    let urls = Urls::new(req.base, repo);
    let value = render::status(&urls, &status);
    let location = urls.api(&format!("/statuses/{}", status.sha));
    crate::events::status_event(repo, &status, &req.actor);
    repo.statuses.push(status);
    Ok(Reply::created(value, location))
}

/// The commit `{ref}` names and its statuses, newest first.
fn statuses_for<'a>(repo: &'a Repo, name: &str) -> Result<(String, Vec<&'a Status>), Reply> {
    let sha = git::resolve_commit(&repo.git, name)
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                &format!("No commit found for SHA: {name}"),
            )
        })?
        .to_string();
    let mut list: Vec<&Status> = repo.statuses.iter().filter(|s| s.sha == sha).collect();
    list.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
    Ok((sha, list))
}

pub(super) fn list_for_ref(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0);
    let (_, list) = statuses_for(repo, name)?;
    let urls = Urls::new(req.base, repo);
    let (page, link) = paginate(
        list,
        &req.query,
        &urls.api(&format!("/commits/{name}/statuses")),
    )?;
    Ok(list_reply(
        page.into_iter().map(|s| render::status(&urls, s)).collect(),
        link,
    ))
}

pub(super) fn combined(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0);
    let (sha, list) = statuses_for(repo, name)?;
    let mut latest: Vec<&Status> = Vec::new();
    for s in list {
        if !latest
            .iter()
            .any(|l| l.context.eq_ignore_ascii_case(&s.context))
        {
            latest.push(s);
        }
    }
    let combined = if latest
        .iter()
        .any(|s| s.state == "error" || s.state == "failure")
    {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    };
    let total = latest.len();
    let urls = Urls::new(req.base, repo);
    let (page, link) = paginate(
        latest,
        &req.query,
        &urls.api(&format!("/commits/{name}/status")),
    )?;
    let statuses: Vec<Value> = page
        .into_iter()
        .map(|s| render::simple_status(&urls, s))
        .collect();
    let reply = Reply::ok(json!({
        "state": combined,
        "statuses": statuses,
        "sha": sha,
        "total_count": total,
        "repository": render::repository(req.base, repo),
        "commit_url": urls.api(&format!("/commits/{sha}")),
        "url": urls.api(&format!("/commits/{sha}/status")),
    }));
    Ok(match link {
        Some(l) => reply.header("link", l),
        None => reply,
    })
}
