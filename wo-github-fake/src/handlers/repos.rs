//! The repository itself, the rate limit, and the two dispatch endpoints (recorded for tests).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use axum::http::StatusCode;

use crate::events;
use crate::git;
use crate::records::{DispatchedEvent, WorkflowDispatch};
use crate::render;
use crate::reply::{
    error, iso8601, list_reply, not_found, now_secs, paginate, parse_body, unprocessable,
    validation_failed, Outcome, Reply,
};
use crate::request::{number, Request};
use crate::rules::{Ruleset, Who};
use crate::state::{State, RATE_LIMIT};

pub(super) fn get(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    Ok(Reply::ok(render::repository(req.base, repo)))
}

pub(super) fn rate_limit(state: &mut State, _req: &Request<'_>) -> Outcome {
    let limit = |limit: u64, used: u64| {
        json!({
            "limit": limit,
            "used": used,
            "remaining": limit.saturating_sub(used),
            "reset": state.rate_reset,
        })
    };
    let core = limit(RATE_LIMIT, state.rate_used);
    Ok(Reply::ok(json!({
        "resources": {
            "core": core,
            "search": limit(30, 0),
            "graphql": limit(5000, 0),
            "integration_manifest": limit(5000, 0),
            "code_search": limit(10, 0),
        },
        "rate": core,
    })))
}

#[derive(Deserialize)]
struct Dispatch {
    event_type: String,
    #[serde(default)]
    client_payload: Option<Map<String, Value>>,
}

pub(super) fn dispatch_event(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: Dispatch = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    if body.event_type.is_empty() || body.event_type.chars().count() > 100 {
        return Err(validation_failed(json!([{
            "resource": "Repository", "field": "event_type", "code": "invalid"
        }])));
    }
    if body.client_payload.as_ref().is_some_and(|p| p.len() > 10) {
        return Err(unprocessable(
            "Invalid request.\n\nNo more than 10 properties are allowed; client_payload has more.",
        ));
    }
    let client_payload = body.client_payload.map_or(Value::Null, Value::Object);
    let branch = repo.default_branch.clone();
    let sha = git::branch_sha(&repo.git, &branch).map(|o| o.to_string());
    events::record(
        repo,
        "repository_dispatch",
        Some(&body.event_type),
        Some(format!("refs/heads/{branch}")),
        sha,
        &req.actor,
        json!({
            "action": body.event_type,
            "branch": branch,
            "client_payload": client_payload,
            "installation": null,
        }),
    );
    repo.dispatches.push(DispatchedEvent {
        event_type: body.event_type,
        client_payload,
    });
    Ok(Reply::no_content())
}

#[derive(Deserialize)]
struct WorkflowDispatchBody {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    inputs: Option<Map<String, Value>>,
    #[serde(default)]
    return_run_details: bool,
}

pub(super) fn workflow_dispatch(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: WorkflowDispatchBody = parse_body(req.body)?;
    let run_id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    if git::resolve_commit(&repo.git, &body.git_ref).is_none() {
        return Err(unprocessable(&format!(
            "No ref found for: {}",
            body.git_ref
        )));
    }
    if body.inputs.as_ref().is_some_and(|i| i.len() > 25) {
        return Err(unprocessable(
            "Invalid request.\n\nNo more than 25 properties are allowed; inputs has more.",
        ));
    }
    let inputs = body.inputs.map_or(Value::Null, Value::Object);
    let full_ref = if body.git_ref.starts_with("refs/") {
        body.git_ref.clone()
    } else if git::branch_sha(&repo.git, &body.git_ref).is_some() {
        format!("refs/heads/{}", body.git_ref)
    } else {
        format!("refs/tags/{}", body.git_ref)
    };
    let workflow = req.route.param(0).to_owned();
    let sha = git::resolve_commit(&repo.git, &body.git_ref).map(|o| o.to_string());
    events::record(
        repo,
        "workflow_dispatch",
        None,
        Some(full_ref.clone()),
        sha,
        &req.actor,
        json!({
            "inputs": inputs,
            "ref": full_ref,
            "workflow": format!(".github/workflows/{workflow}"),
        }),
    );
    repo.workflow_dispatches.push(WorkflowDispatch {
        workflow,
        git_ref: body.git_ref,
        inputs,
    });
    if body.return_run_details {
        let urls = render::Urls::new(req.base, repo);
        return Ok(Reply::ok(json!({
            "workflow_run_id": run_id,
            "run_url": urls.api(&format!("/actions/runs/{run_id}")),
            "html_url": urls.html(&format!("/actions/runs/{run_id}")),
        })));
    }
    Ok(Reply::no_content())
}

#[derive(Deserialize)]
struct UpdateRepo {
    #[serde(default)]
    allow_merge_commit: Option<bool>,
    #[serde(default)]
    allow_squash_merge: Option<bool>,
    #[serde(default)]
    allow_rebase_merge: Option<bool>,
    #[serde(default)]
    private: Option<bool>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    default_branch: Option<String>,
}

/// `PATCH /repos/{owner}/{repo}`: the settings the fake keeps (merge methods, visibility,
/// default branch); other settings are accepted and not kept.
pub(super) fn update(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: UpdateRepo = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let merge = body.allow_merge_commit.unwrap_or(repo.allow_merge_commit);
    let squash = body.allow_squash_merge.unwrap_or(repo.allow_squash_merge);
    let rebase = body.allow_rebase_merge.unwrap_or(repo.allow_rebase_merge);
    if !(merge || squash || rebase) {
        // GitHub's wording for this refusal is not documented; the rule is.
        return Err(unprocessable(
            "Validation Failed: at least one of allow_merge_commit, allow_squash_merge and allow_rebase_merge must be true",
        ));
    }
    if let Some(branch) = &body.default_branch {
        if git::branch_sha(&repo.git, branch).is_none() {
            return Err(validation_failed(json!([{
                "resource": "Repository", "field": "default_branch", "code": "invalid"
            }])));
        }
        repo.default_branch = branch.clone();
        repo.git
            .set_head(&format!("refs/heads/{branch}"))
            .map_err(crate::reply::git_error)?;
    }
    match body.visibility.as_deref() {
        None => {}
        Some("private") => repo.private = true,
        Some("public") => repo.private = false,
        Some(other) => {
            return Err(validation_failed(json!([{
                "resource": "Repository", "field": "visibility", "code": "invalid", "value": other
            }])))
        }
    }
    if let Some(p) = body.private {
        repo.private = p;
    }
    repo.allow_merge_commit = merge;
    repo.allow_squash_merge = squash;
    repo.allow_rebase_merge = rebase;
    Ok(Reply::ok(render::repository(req.base, repo)))
}

pub(super) fn list_rulesets(state: &mut State, req: &Request<'_>) -> Outcome {
    let teams = state.team_list();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let who = Who {
        actor: &req.actor,
        teams: &teams,
    };
    let urls = render::Urls::new(req.base, repo);
    let list: Vec<&Ruleset> = repo.rulesets.iter().collect();
    let (page, link) = paginate(list, &req.query, &urls.api("/rulesets"))?;
    Ok(list_reply(
        page.into_iter()
            .map(|r| r.render(req.base, &repo.owner, &repo.name, Some(&who)))
            .collect(),
        link,
    ))
}

pub(super) fn create_ruleset(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: Value = parse_body(req.body)?;
    let id = state.id();
    let teams = state.team_list();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let ruleset = Ruleset::parse(id, &body, now_secs())?;
    if repo.rulesets.iter().any(|r| r.name == ruleset.name) {
        return Err(validation_failed(json!([{
            "resource": "Ruleset", "field": "name", "code": "already_exists",
            "message": "Name must be unique"
        }])));
    }
    let who = Who {
        actor: &req.actor,
        teams: &teams,
    };
    let value = ruleset.render(req.base, &repo.owner, &repo.name, Some(&who));
    let location = render::Urls::new(req.base, repo).api(&format!("/rulesets/{id}"));
    repo.rulesets.push(ruleset);
    Ok(Reply::created(value, location))
}

pub(super) fn get_ruleset(state: &mut State, req: &Request<'_>) -> Outcome {
    let teams = state.team_list();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let id = number(req.route.param(0))?;
    let who = Who {
        actor: &req.actor,
        teams: &teams,
    };
    let r = repo
        .rulesets
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(not_found)?;
    Ok(Reply::ok(r.render(
        req.base,
        &repo.owner,
        &repo.name,
        Some(&who),
    )))
}

pub(super) fn update_ruleset(state: &mut State, req: &Request<'_>) -> Outcome {
    let mut body: Value = parse_body(req.body)?;
    let teams = state.team_list();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let id = number(req.route.param(0))?;
    let i = repo
        .rulesets
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(not_found)?;
    let old = &repo.rulesets[i];
    // An update changes what it names and keeps the rest.
    let keep = [
        ("name", json!(old.name)),
        ("enforcement", json!(old.enforcement)),
        ("conditions", old.conditions.clone()),
        ("rules", old.rules_json.clone()),
        ("bypass_actors", old.bypass_json.clone()),
    ];
    for (k, v) in keep {
        if body.get(k).is_none() {
            body[k] = v;
        }
    }
    let mut ruleset = Ruleset::parse(id, &body, old.created_at)?;
    ruleset.updated_at = now_secs();
    let who = Who {
        actor: &req.actor,
        teams: &teams,
    };
    let value = ruleset.render(req.base, &repo.owner, &repo.name, Some(&who));
    repo.rulesets[i] = ruleset;
    Ok(Reply::ok(value))
}

/// `PUT /repos/{owner}/{repo}/environments/{environment_name}`.
pub(super) fn put_environment(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: Value = parse_body(req.body)?;
    let id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0).to_owned();
    let urls = render::Urls::new(req.base, repo);
    let now = iso8601(now_secs());
    let (id, created) = match repo.environments.get(&name) {
        Some(e) => (
            e["id"].as_u64().unwrap_or(id),
            e["created_at"].as_str().unwrap_or(&now).to_owned(),
        ),
        None => (id, now.clone()),
    };
    let mut rules = Vec::new();
    if let Some(wait) = body.get("wait_timer").and_then(Value::as_u64) {
        if wait > 43_200 {
            return Err(validation_failed(json!([{
                "resource": "Environment", "field": "wait_timer", "code": "invalid"
            }])));
        }
        rules.push(json!({ "id": id * 10 + 1, "node_id": render::node_id("GA", id * 10 + 1), "type": "wait_timer", "wait_timer": wait }));
    }
    if let Some(reviewers) = body.get("reviewers").and_then(Value::as_array) {
        if reviewers.len() > 6 {
            return Err(unprocessable(
                "Invalid request.\n\nNo more than 6 reviewers are allowed.",
            ));
        }
        let listed: Vec<Value> = reviewers
            .iter()
            .map(|r| json!({ "type": r["type"], "reviewer": { "id": r["id"] } }))
            .collect();
        rules.push(json!({
            "id": id * 10 + 2,
            "node_id": render::node_id("GA", id * 10 + 2),
            "prevent_self_review": body.get("prevent_self_review").and_then(Value::as_bool).unwrap_or(false),
            "type": "required_reviewers",
            "reviewers": listed,
        }));
    }
    let policy = body
        .get("deployment_branch_policy")
        .cloned()
        .unwrap_or(Value::Null);
    if !policy.is_null() {
        let protected = policy["protected_branches"].as_bool();
        let custom = policy["custom_branch_policies"].as_bool();
        match (protected, custom) {
            (Some(p), Some(c)) if p != c => {}
            _ => {
                // GitHub requires exactly one of the two to be true.
                return Err(unprocessable(
                    "Invalid request.\n\nExactly one of protected_branches and custom_branch_policies must be true.",
                ));
            }
        }
        rules.push(json!({ "id": id * 10 + 3, "node_id": render::node_id("GA", id * 10 + 3), "type": "branch_policy" }));
    }
    let value = json!({
        "id": id,
        "node_id": render::node_id("EN", id),
        "name": name,
        "url": urls.api(&format!("/environments/{name}")),
        "html_url": urls.html(&format!("/deployments/activity_log?environments_filter={name}")),
        "created_at": created,
        "updated_at": now,
        "protection_rules": rules,
        "deployment_branch_policy": policy,
    });
    repo.environments.insert(name, value.clone());
    Ok(Reply::ok(value))
}

pub(super) fn get_environment(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    repo.environments
        .get(req.route.param(0))
        .cloned()
        .map(Reply::ok)
        .ok_or_else(not_found)
}

fn variable_json(name: &str, (value, created, updated): &(String, i64, i64)) -> Value {
    json!({
        "name": name,
        "value": value,
        "created_at": iso8601(*created),
        "updated_at": iso8601(*updated),
    })
}

pub(super) fn list_variables(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let urls = render::Urls::new(req.base, repo);
    let all: Vec<(&String, &(String, i64, i64))> = repo.variables.iter().collect();
    let total = all.len();
    let (page, link) = paginate(all, &req.query, &urls.api("/actions/variables"))?;
    let reply = Reply::ok(json!({
        "total_count": total,
        "variables": page.into_iter().map(|(n, v)| variable_json(n, v)).collect::<Vec<_>>(),
    }));
    Ok(match link {
        Some(l) => reply.header("link", l),
        None => reply,
    })
}

#[derive(Deserialize)]
struct VariableBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

/// GitHub's rules for variable names ("Naming conventions for configuration variables"):
/// letters, digits and `_`, not starting with a digit nor with `GITHUB_`; stored upper case.
fn variable_name(name: &str) -> Result<String, Reply> {
    let upper = name.to_ascii_uppercase();
    let valid = !upper.is_empty()
        && upper.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !upper.starts_with(|c: char| c.is_ascii_digit())
        && !upper.starts_with("GITHUB_");
    if valid {
        Ok(upper)
    } else {
        Err(unprocessable(&format!(
            "Invalid request.\n\nVariable name {name:?} is not valid: use letters, digits and _, not starting with a digit or GITHUB_."
        )))
    }
}

pub(super) fn create_variable(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: VariableBody = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let (Some(name), Some(value)) = (body.name, body.value) else {
        return Err(unprocessable(
            "Invalid request.\n\n\"name\" and \"value\" weren't supplied.",
        ));
    };
    let name = variable_name(&name)?;
    if repo.variables.contains_key(&name) {
        return Err(error(
            StatusCode::CONFLICT,
            "Already exists - Variable already exists",
        ));
    }
    let now = now_secs();
    repo.variables.insert(name.clone(), (value, now, now));
    let location = render::Urls::new(req.base, repo).api(&format!("/actions/variables/{name}"));
    Ok(Reply::created(json!({}), location))
}

pub(super) fn get_variable(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0).to_ascii_uppercase();
    repo.variables
        .get(&name)
        .map(|v| Reply::ok(variable_json(&name, v)))
        .ok_or_else(not_found)
}

pub(super) fn update_variable(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: VariableBody = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0).to_ascii_uppercase();
    let (value, created, _) = repo.variables.get(&name).cloned().ok_or_else(not_found)?;
    let new_name = match body.name {
        Some(n) => variable_name(&n)?,
        None => name.clone(),
    };
    if new_name != name && repo.variables.contains_key(&new_name) {
        return Err(error(
            StatusCode::CONFLICT,
            "Already exists - Variable already exists",
        ));
    }
    repo.variables.remove(&name);
    repo.variables
        .insert(new_name, (body.value.unwrap_or(value), created, now_secs()));
    Ok(Reply::no_content())
}
