//! Issue comments and labels (on pull requests, the only issues the fake has).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::render::{self, Urls};
use crate::reply::{
    iso8601, list_reply, not_found, now_secs, paginate, parse_body, parse_iso8601,
    validation_failed, Outcome, Reply,
};
use crate::request::{number, Request};
use crate::state::{Comment, Repo, State};

fn comment_json(urls: &Urls<'_>, c: &Comment) -> Value {
    json!({
        "id": c.id,
        "node_id": render::node_id("IC", c.id),
        "url": urls.api(&format!("/issues/comments/{}", c.id)),
        "html_url": urls.html(&format!("/pull/{}#issuecomment-{}", c.issue, c.id)),
        "body": c.body,
        "user": render::user(urls.base, &c.user),
        "created_at": iso8601(c.created_at),
        "updated_at": iso8601(c.updated_at),
        "issue_url": urls.api(&format!("/issues/{}", c.issue)),
        "author_association": "OWNER",
    })
}

fn issue_exists(repo: &Repo, n: u64) -> Result<(), Reply> {
    repo.pull(n).map(|_| ()).ok_or_else(not_found)
}

pub(super) fn list_comments(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    issue_exists(repo, n)?;
    let since = req
        .query
        .get("since")
        .and_then(parse_iso8601)
        .map(|(s, _)| s);
    let comments: Vec<&Comment> = repo
        .comments
        .iter()
        .filter(|c| c.issue == n && since.is_none_or(|s| c.updated_at >= s))
        .collect();
    let urls = Urls::new(req.base, repo);
    let (page, link) = paginate(
        comments,
        &req.query,
        &urls.api(&format!("/issues/{n}/comments")),
    )?;
    Ok(list_reply(
        page.into_iter().map(|c| comment_json(&urls, c)).collect(),
        link,
    ))
}

#[derive(Deserialize)]
struct CommentBody {
    body: String,
}

pub(super) fn create_comment(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CommentBody = parse_body(req.body)?;
    let id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    issue_exists(repo, n)?;
    if body.body.is_empty() {
        return Err(validation_failed(
            json!([{ "resource": "IssueComment", "field": "body", "code": "missing_field" }]),
        ));
    }
    let now = now_secs();
    let comment = Comment {
        id,
        issue: n,
        user: req.login(),
        body: body.body,
        created_at: now,
        updated_at: now,
    };
    let urls = Urls::new(req.base, repo);
    let value = comment_json(&urls, &comment);
    let location = urls.api(&format!("/issues/comments/{id}"));
    repo.comments.push(comment);
    Ok(Reply::created(value, location))
}

pub(super) fn update_comment(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CommentBody = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let id = number(req.route.param(0))?;
    let comment = repo
        .comments
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(not_found)?;
    comment.body = body.body;
    comment.updated_at = now_secs();
    let comment = comment.clone();
    Ok(Reply::ok(comment_json(
        &Urls::new(req.base, repo),
        &comment,
    )))
}

/// The label names of an add-labels body: `{"labels": [...]}` or a bare array, each a name
/// or `{"name": …}`.
fn label_names(body: &Value) -> Option<Vec<String>> {
    let list = match body {
        Value::Array(items) => items,
        Value::Object(map) => map.get("labels")?.as_array()?,
        _ => return None,
    };
    list.iter()
        .map(|item| match item {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name")?.as_str().map(str::to_owned),
            _ => None,
        })
        .collect()
}

pub(super) fn add_labels(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: Value = parse_body(req.body)?;
    let names = label_names(&body).ok_or_else(|| {
        validation_failed(json!([{ "resource": "Label", "field": "labels", "code": "invalid" }]))
    })?;
    let mut fresh = Vec::new();
    for _ in &names {
        fresh.push(state.id());
    }
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    issue_exists(repo, n)?;
    for (name, id) in names.iter().zip(fresh) {
        repo.labels.entry(name.clone()).or_insert(id);
    }
    let pull = repo
        .pulls
        .iter_mut()
        .find(|p| p.number == n)
        .ok_or_else(not_found)?;
    for name in names {
        if !pull.labels.contains(&name) {
            pull.labels.push(name);
        }
    }
    pull.updated_at = now_secs();
    let labels = pull.labels.clone();
    let urls = Urls::new(req.base, repo);
    let items = labels
        .iter()
        .map(|l| render::label(&urls, l, repo.labels.get(l).copied().unwrap_or(0)))
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}
