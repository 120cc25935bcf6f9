//! Pull requests: listing with GitHub's filters, creation with its duplicate and empty checks,
//! and real merges (merge commit, squash, rebase) that move the base branch.

use axum::http::StatusCode;
use git2::Oid;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::events;
use crate::git;
use crate::render::{self, Urls};
use crate::reply::{
    git_error, list_reply, not_found, now_secs, paginate, parse_body, unprocessable,
    validation_failed, Outcome, Reply, DOCS,
};
use crate::request::{number, Request};
use crate::rules::{self, Who};
use crate::state::{Pull, Repo, Review, State};

use events::{pull_changes as changes, pull_detail as detail, pull_shas as shas};

fn full_json(base: &str, repo: &Repo, p: &Pull) -> Result<Value, Reply> {
    let d = detail(repo, p).map_err(git_error)?;
    let comments = repo.comments.iter().filter(|c| c.issue == p.number).count();
    Ok(render::pull(
        base,
        repo,
        p,
        &d.head_sha,
        &d.base_sha,
        Some(&d),
        comments,
    ))
}

/// A branch name from `head`/`base`: `owner:branch` must name this repository's owner.
fn branch_of<'a>(repo: &Repo, name: &'a str) -> Option<&'a str> {
    match name.split_once(':') {
        Some((owner, branch)) => (owner == repo.owner).then_some(branch),
        None => Some(name),
    }
}

pub(super) fn list(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let q = &req.query;
    let wanted_state = q.get("state").unwrap_or("open");
    let mut pulls: Vec<&Pull> = repo
        .pulls
        .iter()
        .filter(|p| match wanted_state {
            "all" => true,
            "closed" => !p.open,
            _ => p.open,
        })
        .filter(|p| match q.get("head") {
            None | Some("") => true,
            // GitHub filters by `user:ref-name`; a bare branch name is taken as this owner's.
            Some(h) => branch_of(repo, h) == Some(p.head.as_str()),
        })
        .filter(|p| q.get("base").is_none_or(|b| b.is_empty() || b == p.base))
        .collect();
    let sort = q.get("sort").unwrap_or("created");
    match sort {
        "updated" => pulls.sort_by_key(|p| (p.updated_at, p.number)),
        _ => pulls.sort_by_key(|p| (p.created_at, p.number)),
    }
    let descending = match q.get("direction") {
        Some(d) => d == "desc",
        None => sort == "created",
    };
    if descending {
        pulls.reverse();
    }
    let urls = Urls::new(req.base, repo);
    let (page, link) = paginate(pulls, q, &urls.api("/pulls"))?;
    let items = page
        .into_iter()
        .map(|p| {
            let (h, b) = shas(repo, p);
            render::pull(req.base, repo, p, &h, &b, None, 0)
        })
        .collect();
    Ok(list_reply(items, link))
}

#[derive(Deserialize)]
struct CreatePull {
    #[serde(default)]
    title: Option<String>,
    head: String,
    base: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    draft: bool,
}

fn invalid(field: &str) -> Reply {
    validation_failed(json!([{ "resource": "PullRequest", "field": field, "code": "invalid" }]))
}

fn custom(message: &str) -> Reply {
    validation_failed(json!([{ "resource": "PullRequest", "code": "custom", "message": message }]))
}

pub(super) fn create(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CreatePull = parse_body(req.body)?;
    let id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let title = body.title.filter(|t| !t.is_empty()).ok_or_else(|| {
        validation_failed(
            json!([{ "resource": "PullRequest", "field": "title", "code": "missing_field" }]),
        )
    })?;
    let head_branch = branch_of(repo, &body.head)
        .ok_or_else(|| invalid("head"))?
        .to_owned();
    let base_branch = body.base.clone();
    let head = git::branch_sha(&repo.git, &head_branch).ok_or_else(|| invalid("head"))?;
    let base = git::branch_sha(&repo.git, &base_branch).ok_or_else(|| invalid("base"))?;
    if repo
        .pulls
        .iter()
        .any(|p| p.open && p.head == head_branch && p.base == base_branch)
    {
        return Err(custom(&format!(
            "A pull request already exists for {}:{head_branch}.",
            repo.owner
        )));
    }
    if git::commits_between(&repo.git, base, head)
        .map_err(git_error)?
        .is_empty()
    {
        return Err(custom(&format!(
            "No commits between {base_branch} and {head_branch}"
        )));
    }
    let now = now_secs();
    let number = repo.pulls.iter().map(|p| p.number).max().unwrap_or(0) + 1;
    let pull = Pull {
        id,
        number,
        title,
        body: body.body,
        head: head_branch,
        base: base_branch,
        open: true,
        draft: body.draft,
        merged: false,
        merge_commit_sha: None,
        closed_head_sha: None,
        closed_base_sha: None,
        labels: Vec::new(),
        created_at: now,
        updated_at: now,
        closed_at: None,
        merged_at: None,
        user: req.login(),
        merged_by: None,
    };
    let value = full_json(req.base, repo, &pull)?;
    repo.pulls.push(pull);
    events::pull_event(repo, number, "opened", &req.actor);
    let location = Urls::new(req.base, repo).api(&format!("/pulls/{number}"));
    Ok(Reply::created(value, location))
}

pub(super) fn get(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let p = repo
        .pull(number(req.route.param(0))?)
        .ok_or_else(not_found)?;
    Ok(Reply::ok(full_json(req.base, repo, p)?))
}

#[derive(Deserialize)]
struct UpdatePull {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    base: Option<String>,
}

pub(super) fn update(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: UpdatePull = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    let current = repo.pull(n).ok_or_else(not_found)?.clone();
    let mut p = current.clone();
    if let Some(base) = body.base {
        git::branch_sha(&repo.git, &base).ok_or_else(|| invalid("base"))?;
        p.base = base;
    }
    if let Some(title) = body.title {
        p.title = title;
    }
    if let Some(text) = body.body {
        p.body = Some(text);
    }
    let now = now_secs();
    let mut action = None;
    match body.state.as_deref() {
        None => {}
        Some("closed") if current.open => {
            let (h, b) = shas(repo, &current);
            p.open = false;
            p.closed_at = Some(now);
            p.closed_head_sha = Some(h);
            p.closed_base_sha = Some(b);
            action = Some("closed");
        }
        Some("open") if !current.open => {
            if current.merged {
                return Err(custom("Cannot reopen a merged pull request"));
            }
            if repo
                .pulls
                .iter()
                .any(|o| o.open && o.number != n && o.head == p.head && o.base == p.base)
            {
                return Err(custom(&format!(
                    "A pull request already exists for {}:{}.",
                    repo.owner, p.head
                )));
            }
            p.open = true;
            p.closed_at = None;
            p.closed_head_sha = None;
            p.closed_base_sha = None;
            action = Some("reopened");
        }
        Some("open" | "closed") => {}
        Some(other) => {
            return Err(validation_failed(json!([{
                "resource": "PullRequest", "field": "state", "code": "invalid", "value": other
            }])))
        }
    }
    p.updated_at = now;
    let value = full_json(req.base, repo, &p)?;
    if let Some(slot) = repo.pull_mut(n) {
        *slot = p;
    }
    if let Some(action) = action {
        events::pull_event(repo, n, action, &req.actor);
    }
    Ok(Reply::ok(value))
}

#[derive(Deserialize)]
struct MergePull {
    #[serde(default)]
    commit_title: Option<String>,
    #[serde(default)]
    commit_message: Option<String>,
    #[serde(default)]
    sha: Option<String>,
    #[serde(default)]
    merge_method: Option<String>,
}

fn method_not_allowed(message: &str) -> Reply {
    Reply::json(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({ "message": message, "documentation_url": DOCS }),
    )
}

/// Whether `method` is allowed on `repo`, with GitHub's 405 when it is not.
fn method_allowed(repo: &Repo, method: &str) -> Result<(), Reply> {
    let (allowed, message) = match method {
        "merge" => (
            repo.allow_merge_commit,
            "Merge commits are not allowed on this repository.",
        ),
        "squash" => (
            repo.allow_squash_merge,
            "Squash merges are not allowed on this repository.",
        ),
        "rebase" => (
            repo.allow_rebase_merge,
            "Rebase merges are not allowed on this repository.",
        ),
        other => {
            return Err(validation_failed(json!([{
                "resource": "PullRequest", "field": "merge_method", "code": "invalid", "value": other
            }])))
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(method_not_allowed(message))
    }
}

/// The reviewers whose latest deciding review (approve or request changes) on `p` is
/// `state`, counting approvals only on `head` when stale reviews are dismissed.
fn latest_reviews(repo: &Repo, n: u64) -> Vec<&Review> {
    let mut latest: Vec<&Review> = Vec::new();
    for r in repo
        .reviews
        .iter()
        .filter(|r| r.pull == n && (r.state == "APPROVED" || r.state == "CHANGES_REQUESTED"))
    {
        latest.retain(|l| l.user != r.user);
        latest.push(r);
    }
    latest
}

/// What the base branch's rulesets require of this merge, unmet: GitHub's 405.
fn check_rules(
    repo: &Repo,
    who: &Who<'_>,
    team_members: &dyn Fn(&str) -> Vec<String>,
    p: &Pull,
    base: Oid,
    head: Oid,
) -> Result<(), Reply> {
    let needs = rules::merge_needs(&repo.rulesets, &repo.default_branch, who, &p.base);
    let mut lines = Vec::new();
    if needs.update_forbidden {
        lines.push("Cannot update this protected ref.".to_owned());
    }
    let head_sha = head.to_string();
    let latest = latest_reviews(repo, p.number);
    let approvers: Vec<&str> = latest
        .iter()
        .filter(|r| r.state == "APPROVED" && (!needs.dismiss_stale || r.commit_id == head_sha))
        .map(|r| r.user.as_str())
        .collect();
    if needs.approvals > 0 || needs.code_owners {
        if latest.iter().any(|r| r.state == "CHANGES_REQUESTED") {
            // GitHub blocks the merge; the fake's wording (not GitHub's, which is unknown here).
            lines.push("A reviewer requested changes.".to_owned());
        }
        if (approvers.len() as u64) < needs.approvals {
            let n = needs.approvals;
            lines.push(format!(
                "At least {n} approving review{} required by reviewers with write access.",
                if n == 1 { " is" } else { "s are" }
            ));
        }
    }
    if needs.code_owners {
        let g = &repo.git;
        let codeowners = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
            .iter()
            .find_map(|path| {
                let tree = g.find_commit(base).ok()?.tree().ok()?;
                let entry = tree.get_path(std::path::Path::new(path)).ok()?;
                let blob = g.find_blob(entry.id()).ok()?;
                Some(String::from_utf8_lossy(blob.content()).into_owned())
            })
            .unwrap_or_default();
        let mut waiting: Vec<String> = Vec::new();
        for change in changes(repo, base, head).map_err(git_error)? {
            let owners = rules::code_owners(&codeowners, &change.path, team_members);
            if !owners.is_empty() && !owners.iter().any(|o| approvers.contains(&o.as_str())) {
                for o in owners {
                    if !waiting.contains(&o) {
                        waiting.push(o);
                    }
                }
            }
        }
        if !waiting.is_empty() {
            let names: Vec<String> = waiting.iter().map(|w| format!("@{w}")).collect();
            lines.push(format!(
                "Waiting on code owner review from {}.",
                names.join(", ")
            ));
        }
    }
    for context in &needs.contexts {
        let status = repo
            .statuses
            .iter()
            .filter(|s| s.sha == head_sha && s.context == *context)
            .max_by_key(|s| (s.created_at, s.id))
            .map(|s| s.state.as_str());
        let check = repo
            .check_runs
            .iter()
            .filter(|c| c.head_sha == head_sha && c.name == *context)
            .max_by_key(|c| c.id)
            .map(|c| match c.conclusion.as_deref() {
                Some("success" | "neutral" | "skipped") => "success",
                Some(_) => "failure",
                None => "pending",
            });
        match check.or(status) {
            Some("success") => {}
            None => lines.push(format!("Required status check \"{context}\" is expected.")),
            Some("pending") => {
                lines.push(format!("Required status check \"{context}\" is pending."))
            }
            Some(_) => lines.push(format!("Required status check \"{context}\" is failing.")),
        }
    }
    if lines.is_empty() {
        Ok(())
    } else {
        Err(rules::merge_refused(&lines))
    }
}

pub(super) fn merge(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: MergePull = parse_body(req.body)?;
    let teams = state.team_list();
    let team_map = state.teams.clone();
    let team_members =
        |t: &str| -> Vec<String> { team_map.get(t).map(|t| t.1.clone()).unwrap_or_default() };
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    let p = repo.pull(n).ok_or_else(not_found)?.clone();
    if !p.open {
        return Err(method_not_allowed("Pull Request is not mergeable"));
    }
    let g = &repo.git;
    let head = git::branch_sha(g, &p.head)
        .ok_or_else(|| method_not_allowed("Pull Request is not mergeable"))?;
    let base = git::branch_sha(g, &p.base)
        .ok_or_else(|| method_not_allowed("Pull Request is not mergeable"))?;
    if let Some(expected) = body.sha.as_deref() {
        if expected != head.to_string() {
            return Err(Reply::json(
                StatusCode::CONFLICT,
                json!({
                    "message": "Head branch was modified. Review and try the merge again.",
                    "documentation_url": DOCS,
                }),
            ));
        }
    }
    let method = body.merge_method.as_deref().unwrap_or("merge");
    method_allowed(repo, method)?;
    let who = Who {
        actor: &req.actor,
        teams: &teams,
    };
    check_rules(repo, &who, &team_members, &p, base, head)?;
    let g = &repo.git;
    // GitHub's own commits (merge, squash, rebase) are committed by GitHub's web-flow identity.
    let committer = git::person("GitHub", "noreply@github.com", None).map_err(git_error)?;
    let merger = git::signature(&req.login(), None).map_err(git_error)?;
    let title = |default: String| body.commit_title.clone().unwrap_or(default);
    let new_base = match method {
        "merge" => {
            let tree = git::merged_tree(g, base, head)
                .map_err(git_error)?
                .ok_or_else(|| method_not_allowed("Pull Request is not mergeable"))?;
            // MERGE_MESSAGE / PR_TITLE, GitHub's defaults for merge commits.
            let message = format!(
                "{}\n\n{}",
                title(format!(
                    "Merge pull request #{n} from {}/{}",
                    repo.owner, p.head
                )),
                body.commit_message
                    .clone()
                    .unwrap_or_else(|| p.title.clone())
            );
            let tree = g.find_tree(tree).map_err(git_error)?;
            let parents = [
                &g.find_commit(base).map_err(git_error)?,
                &g.find_commit(head).map_err(git_error)?,
            ];
            g.commit(None, &merger, &committer, &message, &tree, &parents)
                .map_err(git_error)?
        }
        "squash" => {
            let tree = git::merged_tree(g, base, head)
                .map_err(git_error)?
                .ok_or_else(|| method_not_allowed("Pull Request is not mergeable"))?;
            let commits: Vec<git2::Commit<'_>> = git::commits_between(g, base, head)
                .map_err(git_error)?
                .into_iter()
                .filter_map(|c| g.find_commit(c).ok())
                .collect();
            // COMMIT_OR_PR_TITLE and COMMIT_MESSAGES, GitHub's defaults for squash merges:
            // one commit gives its title and body; more give the pull request's title and
            // every commit's message as a list.
            let (default_title, default_message) = match commits.as_slice() {
                [one] => {
                    let message = one.message().unwrap_or_default();
                    let (summary, rest) = message.split_once('\n').unwrap_or((message, ""));
                    (format!("{} (#{n})", summary.trim()), rest.trim().to_owned())
                }
                many => (
                    format!("{} (#{n})", p.title),
                    many.iter()
                        .map(|c| format!("* {}", c.message().unwrap_or_default().trim()))
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                ),
            };
            let text = body.commit_message.clone().unwrap_or(default_message);
            let title = title(default_title);
            let message = if text.is_empty() {
                title
            } else {
                format!("{title}\n\n{text}")
            };
            let tree = g.find_tree(tree).map_err(git_error)?;
            let author = g.find_commit(head).map_err(git_error)?.author().to_owned();
            g.commit(
                None,
                &author,
                &committer,
                &message,
                &tree,
                &[&g.find_commit(base).map_err(git_error)?],
            )
            .map_err(git_error)?
        }
        _ => {
            let mut tip = base;
            for oid in git::commits_between(g, base, head).map_err(git_error)? {
                let c = g.find_commit(oid).map_err(git_error)?;
                if c.parent_count() > 1 {
                    return Err(method_not_allowed("This branch can't be rebased"));
                }
                let ancestor = match c.parent(0) {
                    Ok(parent) => parent.tree_id(),
                    Err(_) => git::empty_tree(g).map_err(git_error)?,
                };
                let ours = g.find_commit(tip).map_err(git_error)?;
                let tree = git::merge_trees(g, ancestor, ours.tree_id(), c.tree_id())
                    .map_err(git_error)?
                    .ok_or_else(|| method_not_allowed("This branch can't be rebased"))?;
                let tree = g.find_tree(tree).map_err(git_error)?;
                tip = g
                    .commit(
                        None,
                        &c.author(),
                        &committer,
                        c.message().unwrap_or_default(),
                        &tree,
                        &[&ours],
                    )
                    .map_err(git_error)?;
            }
            tip
        }
    };
    g.reference(
        &format!("refs/heads/{}", p.base),
        new_base,
        true,
        "merge pull request",
    )
    .map_err(git_error)?;
    let now = now_secs();
    if let Some(slot) = repo.pull_mut(n) {
        slot.open = false;
        slot.merged = true;
        slot.merged_by = Some(req.login());
        slot.merge_commit_sha = Some(new_base.to_string());
        slot.closed_head_sha = Some(head.to_string());
        slot.closed_base_sha = Some(base.to_string());
        slot.closed_at = Some(now);
        slot.merged_at = Some(now);
        slot.updated_at = now;
    }
    events::pull_event(repo, n, "closed", &req.actor);
    events::branch_moved(repo, &p.base, Some(base), Some(new_base), &req.actor);
    Ok(Reply::ok(json!({
        "sha": new_base.to_string(),
        "merged": true,
        "message": "Pull Request successfully merged",
    })))
}

#[derive(Deserialize)]
struct CreateReview {
    #[serde(default)]
    commit_id: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    event: Option<String>,
}

/// 422 `Unprocessable Entity` with GitHub's plain `errors` strings, as the reviews API answers.
fn review_refused(message: &str) -> Reply {
    Reply::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "message": "Unprocessable Entity",
            "errors": [message],
            "documentation_url": DOCS,
            "status": "422",
        }),
    )
}

pub(super) fn create_review(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CreateReview = parse_body(req.body)?;
    let id = state.id();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    let p = repo.pull(n).ok_or_else(not_found)?.clone();
    let text = body.body.clone().unwrap_or_default();
    let login = req.login();
    let review_state = match body.event.as_deref() {
        None | Some("") => "PENDING",
        Some("APPROVE") => {
            if p.user == login {
                return Err(review_refused("Can not approve your own pull request"));
            }
            "APPROVED"
        }
        Some("REQUEST_CHANGES") => {
            if p.user == login {
                return Err(review_refused(
                    "Can not request changes on your own pull request",
                ));
            }
            if text.is_empty() {
                // GitHub requires a body here; its exact wording is not documented.
                return Err(review_refused("Body can't be blank"));
            }
            "CHANGES_REQUESTED"
        }
        Some("COMMENT") => {
            if text.is_empty() {
                return Err(review_refused("Body can't be blank"));
            }
            "COMMENTED"
        }
        Some(other) => {
            return Err(validation_failed(json!([{
                "resource": "PullRequestReview", "field": "event", "code": "invalid", "value": other
            }])))
        }
    };
    let (head, _) = shas(repo, &p);
    let commit_id = body.commit_id.unwrap_or(head);
    let review = Review {
        id,
        pull: n,
        user: login,
        state: review_state.to_owned(),
        body: text,
        commit_id,
        submitted_at: now_secs(),
    };
    let urls = Urls::new(req.base, repo);
    let value = render::review(&urls, &review);
    repo.reviews.push(review);
    if review_state != "PENDING" {
        let pr = full_json(req.base, repo, &p)?;
        events::record(
            repo,
            "pull_request_review",
            Some("submitted"),
            Some(format!("refs/heads/{}", p.base)),
            Some(shas(repo, &p).0),
            &req.actor,
            json!({ "action": "submitted", "review": value.clone(), "pull_request": pr }),
        );
    }
    Ok(Reply::ok(value))
}

pub(super) fn list_reviews(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    repo.pull(n).ok_or_else(not_found)?;
    let urls = Urls::new(req.base, repo);
    let reviews: Vec<&Review> = repo.reviews.iter().filter(|r| r.pull == n).collect();
    let (page, link) = paginate(
        reviews,
        &req.query,
        &urls.api(&format!("/pulls/{n}/reviews")),
    )?;
    Ok(list_reply(
        page.into_iter().map(|r| render::review(&urls, r)).collect(),
        link,
    ))
}

/// `GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls`: the pull requests whose merge
/// commit or head commit it is, and the open ones that contain it.
pub(super) fn associated_with_commit(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0);
    let sha = git::resolve_commit(&repo.git, name)
        .ok_or_else(|| unprocessable(&format!("No commit found for SHA: {name}")))?;
    let sha_text = sha.to_string();
    let mut found: Vec<&Pull> = Vec::new();
    for p in &repo.pulls {
        let (h, b) = shas(repo, p);
        let contains = p.open
            && match (Oid::from_str(&h), Oid::from_str(&b)) {
                (Ok(h), Ok(b)) => git::commits_between(&repo.git, b, h)
                    .map(|c| c.contains(&sha))
                    .unwrap_or(false),
                _ => false,
            };
        if p.merge_commit_sha.as_deref() == Some(sha_text.as_str()) || h == sha_text || contains {
            found.push(p);
        }
    }
    let urls = Urls::new(req.base, repo);
    let (page, link) = paginate(
        found,
        &req.query,
        &urls.api(&format!("/commits/{name}/pulls")),
    )?;
    let items = page
        .into_iter()
        .map(|p| {
            let (h, b) = shas(repo, p);
            render::pull(req.base, repo, p, &h, &b, None, 0)
        })
        .collect();
    Ok(list_reply(items, link))
}

pub(super) fn list_files(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let n = number(req.route.param(0))?;
    let p = repo.pull(n).ok_or_else(not_found)?;
    let (h, b) = shas(repo, p);
    let (head, base) = match (Oid::from_str(&h), Oid::from_str(&b)) {
        (Ok(h), Ok(b)) => (h, b),
        _ => return Ok(list_reply(Vec::new(), None)),
    };
    let files = changes(repo, base, head).map_err(git_error)?;
    let urls = Urls::new(req.base, repo);
    let (page, link) = paginate(files, &req.query, &urls.api(&format!("/pulls/{n}/files")))?;
    let items = page
        .iter()
        .map(|c| render::diff_entry(&urls, &h, c))
        .collect();
    Ok(list_reply(items, link))
}
