//! Pull requests: listing with GitHub's filters, creation with its duplicate and empty checks,
//! and real merges (merge commit, squash, rebase) that move the base branch.

use axum::http::StatusCode;
use git2::Oid;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::git;
use crate::render::{self, PullGit, Urls};
use crate::reply::{
    git_error, list_reply, not_found, now_secs, paginate, parse_body, validation_failed, Outcome,
    Reply, DOCS,
};
use crate::request::{number, Request};
use crate::state::{Pull, Repo, State, ACTOR};

/// The head and base commits of `p`: live while open, as recorded once closed.
fn shas(repo: &Repo, p: &Pull) -> (String, String) {
    let live = |branch: &str| {
        git::branch_sha(&repo.git, branch)
            .map(|o| o.to_string())
            .unwrap_or_default()
    };
    match (&p.closed_head_sha, &p.closed_base_sha) {
        (Some(h), Some(b)) if !p.open => (h.clone(), b.clone()),
        _ => (live(&p.head), live(&p.base)),
    }
}

fn detail(repo: &Repo, p: &Pull) -> Result<PullGit, git2::Error> {
    let (head_sha, base_sha) = shas(repo, p);
    let (Ok(head), Ok(base)) = (Oid::from_str(&head_sha), Oid::from_str(&base_sha)) else {
        return Ok(PullGit {
            head_sha,
            base_sha,
            mergeable: None,
            commits: 0,
            additions: 0,
            deletions: 0,
            changed_files: 0,
        });
    };
    let g = &repo.git;
    let mergeable = if p.open {
        Some(git::merged_tree(g, base, head)?.is_some())
    } else {
        None
    };
    let commits = git::commits_between(g, base, head)?.len();
    let changes = changes(repo, base, head)?;
    Ok(PullGit {
        head_sha,
        base_sha,
        mergeable,
        commits,
        additions: changes.iter().map(|c| c.additions).sum(),
        deletions: changes.iter().map(|c| c.deletions).sum(),
        changed_files: changes.len(),
    })
}

/// What the pull request changes: from the merge base to the head.
fn changes(repo: &Repo, base: Oid, head: Oid) -> Result<Vec<git::FileChange>, git2::Error> {
    let g = &repo.git;
    let old = match g.merge_base(base, head) {
        Ok(mb) => Some(g.find_commit(mb)?.tree_id()),
        Err(_) => None,
    };
    git::diff_trees(g, old, g.find_commit(head)?.tree_id())
}

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
    };
    let value = full_json(req.base, repo, &pull)?;
    repo.pulls.push(pull);
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
    match body.state.as_deref() {
        None => {}
        Some("closed") if current.open => {
            let (h, b) = shas(repo, &current);
            p.open = false;
            p.closed_at = Some(now);
            p.closed_head_sha = Some(h);
            p.closed_base_sha = Some(b);
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

pub(super) fn merge(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: MergePull = parse_body(req.body)?;
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
    let committer = git::signature(ACTOR, None).map_err(git_error)?;
    let title = |default: String| body.commit_title.clone().unwrap_or(default);
    let new_base = match method {
        "merge" => {
            let tree = git::merged_tree(g, base, head)
                .map_err(git_error)?
                .ok_or_else(|| method_not_allowed("Pull Request is not mergeable"))?;
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
            g.commit(None, &committer, &committer, &message, &tree, &parents)
                .map_err(git_error)?
        }
        "squash" => {
            let tree = git::merged_tree(g, base, head)
                .map_err(git_error)?
                .ok_or_else(|| method_not_allowed("Pull Request is not mergeable"))?;
            let listed: Vec<String> = git::commits_between(g, base, head)
                .map_err(git_error)?
                .into_iter()
                .filter_map(|c| g.find_commit(c).ok())
                .map(|c| format!("* {}", c.summary().unwrap_or_default()))
                .collect();
            let message = format!(
                "{}\n\n{}",
                title(format!("{} (#{n})", p.title)),
                body.commit_message
                    .clone()
                    .unwrap_or_else(|| listed.join("\n\n"))
            );
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
        "rebase" => {
            let mut tip = base;
            for oid in git::commits_between(g, base, head).map_err(git_error)? {
                let c = g.find_commit(oid).map_err(git_error)?;
                if c.parent_count() > 1 {
                    return Err(method_not_allowed(
                        "Pull Request is not mergeable: it contains merge commits",
                    ));
                }
                let ancestor = match c.parent(0) {
                    Ok(parent) => parent.tree_id(),
                    Err(_) => git::empty_tree(g).map_err(git_error)?,
                };
                let ours = g.find_commit(tip).map_err(git_error)?;
                let tree = git::merge_trees(g, ancestor, ours.tree_id(), c.tree_id())
                    .map_err(git_error)?
                    .ok_or_else(|| method_not_allowed("Pull Request is not mergeable"))?;
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
        other => {
            return Err(validation_failed(json!([{
                "resource": "PullRequest", "field": "merge_method", "code": "invalid", "value": other
            }])))
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
        slot.merge_commit_sha = Some(new_base.to_string());
        slot.closed_head_sha = Some(head.to_string());
        slot.closed_base_sha = Some(base.to_string());
        slot.closed_at = Some(now);
        slot.merged_at = Some(now);
        slot.updated_at = now;
    }
    Ok(Reply::ok(json!({
        "sha": new_base.to_string(),
        "merged": true,
        "message": "Pull Request successfully merged",
    })))
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
