//! Reading a repository: contents, tarballs (with the fake's download URLs) and comparisons.

use std::path::Path;

use axum::http::StatusCode;
use git2::{ObjectType, Oid, Repository};
use serde_json::{json, Value};

use crate::git;
use crate::render::{self, base64_lines, Urls};
use crate::reply::{error, git_error, not_found, paginate, percent_encode, Outcome, Reply};
use crate::request::Request;
use crate::state::State;
use crate::tarball;

fn no_commit(name: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        &format!("No commit found for the ref {name}"),
    )
}

/// The `ref` query parameter (default branch when absent) as a commit.
fn commit_for(repo: &crate::state::Repo, name: Option<&str>) -> Result<Oid, Reply> {
    let name = name
        .filter(|n| !n.is_empty())
        .unwrap_or(&repo.default_branch);
    git::resolve_commit(&repo.git, name).ok_or_else(|| no_commit(name))
}

struct Entry<'a> {
    path: &'a str,
    name: &'a str,
    oid: Oid,
    mode: i32,
    kind: Option<ObjectType>,
}

fn entry_type(e: &Entry<'_>) -> &'static str {
    match (e.kind, e.mode) {
        (Some(ObjectType::Tree), _) => "dir",
        (Some(ObjectType::Commit), _) => "submodule",
        (_, 0o120000) => "symlink",
        _ => "file",
    }
}

/// The common part of the four content schemas.
fn entry_json(urls: &Urls<'_>, repo: &Repository, rev: &str, commit: Oid, e: &Entry<'_>) -> Value {
    let kind = entry_type(e);
    let size = if kind == "file" || kind == "symlink" {
        repo.odb()
            .ok()
            .and_then(|o| o.read_header(e.oid).ok())
            .map_or(0, |(s, _)| s)
    } else {
        0
    };
    let self_url = urls.api(&format!("/contents/{}?ref={}", e.path, percent_encode(rev)));
    let git_url = match kind {
        "dir" => urls.api(&format!("/git/trees/{}", e.oid)),
        "submodule" => urls.api(&format!("/git/commits/{}", e.oid)),
        _ => urls.api(&format!("/git/blobs/{}", e.oid)),
    };
    let html_url = urls.html(&format!(
        "/{}/{rev}/{}",
        if kind == "dir" { "tree" } else { "blob" },
        e.path
    ));
    let download_url = (kind == "file").then(|| {
        format!(
            "{}/_fake/raw/{}/{}/{commit}/{}",
            urls.base, urls.owner, urls.repo, e.path
        )
    });
    json!({
        "type": kind,
        "size": size,
        "name": e.name,
        "path": e.path,
        "sha": e.oid.to_string(),
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download_url,
        "_links": { "self": self_url, "git": git_url, "html": html_url },
    })
}

pub(super) fn get_content(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let urls = Urls::new(req.base, repo);
    let rev = req
        .query
        .get("ref")
        .filter(|r| !r.is_empty())
        .unwrap_or(&repo.default_branch)
        .to_owned();
    let commit = commit_for(repo, Some(&rev))?;
    let git = &repo.git;
    let root = git
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git_error)?;
    let path = req.route.param(0).trim_matches('/');
    let accept = req
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (oid, mode, kind) = if path.is_empty() {
        (root.id(), 0o040000, Some(ObjectType::Tree))
    } else {
        let e = root.get_path(Path::new(path)).map_err(|_| not_found())?;
        (e.id(), e.filemode(), e.kind())
    };
    let name = path.rsplit('/').next().unwrap_or_default();
    let entry = Entry {
        path,
        name,
        oid,
        mode,
        kind,
    };
    let mut value = entry_json(&urls, git, &rev, commit, &entry);
    match entry_type(&entry) {
        "dir" => {
            let tree = git.find_tree(oid).map_err(git_error)?;
            let children: Vec<Value> = tree
                .iter()
                .map(|child| {
                    let child_name = child.name().unwrap_or_default().to_owned();
                    let child_path = if path.is_empty() {
                        child_name.clone()
                    } else {
                        format!("{path}/{child_name}")
                    };
                    let e = Entry {
                        path: &child_path,
                        name: &child_name,
                        oid: child.id(),
                        mode: child.filemode(),
                        kind: child.kind(),
                    };
                    entry_json(&urls, git, &rev, commit, &e)
                })
                .collect();
            if accept.contains("vnd.github.object") {
                value["entries"] = Value::Array(children);
                return Ok(Reply::ok(value));
            }
            Ok(Reply::ok(Value::Array(children)))
        }
        "file" | "symlink" => {
            let blob = git.find_blob(oid).map_err(git_error)?;
            if accept.contains("vnd.github.raw") {
                return Ok(Reply::bytes(
                    StatusCode::OK,
                    blob.content().to_vec(),
                    "application/vnd.github.raw; charset=utf-8",
                ));
            }
            if entry_type(&entry) == "symlink" {
                value["target"] = json!(String::from_utf8_lossy(blob.content()));
            } else {
                value["content"] = json!(base64_lines(blob.content()));
                value["encoding"] = json!("base64");
            }
            Ok(Reply::ok(value))
        }
        _ => {
            value["submodule_git_url"] = json!(format!("{}/submodule.git", urls.html("")));
            Ok(Reply::ok(value))
        }
    }
}

pub(super) fn tarball_redirect(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0);
    let commit = commit_for(repo, Some(name).filter(|n| !n.is_empty()))?;
    let location = format!(
        "{}/_fake/tarball/{}/{}/{commit}",
        req.base, repo.owner, repo.name
    );
    let mut reply = Reply::no_content().header("location", location);
    reply.status = StatusCode::FOUND;
    Ok(reply)
}

pub(super) fn tarball(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let oid = Oid::from_str(req.route.param(0)).map_err(|_| not_found())?;
    repo.git.find_commit(oid).map_err(|_| not_found())?;
    let prefix = format!("{}-{}-{}", repo.owner, repo.name, &oid.to_string()[..7]);
    let bytes = tarball::tarball(&repo.git, oid, &prefix).map_err(git_error)?;
    Ok(
        Reply::bytes(StatusCode::OK, bytes, "application/x-gzip").header(
            "content-disposition",
            format!("attachment; filename={prefix}.tar.gz"),
        ),
    )
}

pub(super) fn raw(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let commit = git::resolve_commit(&repo.git, req.route.param(0)).ok_or_else(not_found)?;
    let tree = repo
        .git
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git_error)?;
    let entry = tree
        .get_path(Path::new(req.route.param(1)))
        .map_err(|_| not_found())?;
    let blob = repo.git.find_blob(entry.id()).map_err(|_| not_found())?;
    Ok(Reply::bytes(
        StatusCode::OK,
        blob.content().to_vec(),
        "text/plain; charset=utf-8",
    ))
}

pub(super) fn compare(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let basehead = req.route.param(0);
    let (base_name, head_name) = basehead.split_once("...").ok_or_else(not_found)?;
    // `owner:branch` names the same repository here (the fake has no forks).
    let strip = |s: &str| s.split_once(':').map_or(s, |(_, b)| b).to_owned();
    let (base_name, head_name) = (strip(base_name), strip(head_name));
    let git = &repo.git;
    let base = git::resolve_commit(git, &base_name).ok_or_else(not_found)?;
    let head = git::resolve_commit(git, &head_name).ok_or_else(not_found)?;
    let merge_base = git.merge_base(base, head).map_err(|_| not_found())?;
    let ahead = git::commits_between(git, base, head).map_err(git_error)?;
    let behind = git::commits_between(git, head, base).map_err(git_error)?;
    let status = match (ahead.len(), behind.len()) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    let urls = Urls::new(req.base, repo);
    let rest = |oid: Oid| -> Result<Value, Reply> {
        let c = git.find_commit(oid).map_err(git_error)?;
        Ok(render::rest_commit(&urls, &c))
    };
    let total = ahead.len();
    let paged = req.query.get("per_page").is_some() || req.query.get("page").is_some();
    let (page, link) = if paged {
        paginate(
            ahead,
            &req.query,
            &urls.api(&format!("/compare/{basehead}")),
        )?
    } else {
        (ahead.into_iter().take(250).collect(), None)
    };
    let commits = page.into_iter().map(rest).collect::<Result<Vec<_>, _>>()?;
    let old_tree = git.find_commit(merge_base).map_err(git_error)?.tree_id();
    let new_tree = git.find_commit(head).map_err(git_error)?.tree_id();
    let files: Vec<Value> = git::diff_trees(git, Some(old_tree), new_tree)
        .map_err(git_error)?
        .iter()
        .map(|c| render::diff_entry(&urls, &head.to_string(), c))
        .collect();
    let value = json!({
        "url": urls.api(&format!("/compare/{basehead}")),
        "html_url": urls.html(&format!("/compare/{basehead}")),
        "permalink_url": urls.html(&format!("/compare/{}...{}", base, head)),
        "diff_url": urls.html(&format!("/compare/{basehead}.diff")),
        "patch_url": urls.html(&format!("/compare/{basehead}.patch")),
        "base_commit": rest(base)?,
        "merge_base_commit": rest(merge_base)?,
        "status": status,
        "ahead_by": total,
        "behind_by": behind.len(),
        "total_commits": total,
        "commits": commits,
        "files": files,
    });
    let reply = Reply::ok(value);
    Ok(match link {
        Some(l) => reply.header("link", l),
        None => reply,
    })
}
