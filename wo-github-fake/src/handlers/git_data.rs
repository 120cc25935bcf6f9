//! The Git Data API: refs, blobs, trees and commits, as real git objects.

use base64::Engine as _;
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::events;
use crate::git::{self, file_mode, kind_name, mode_string};
use crate::render::{self, base64_lines, Urls};
use crate::reply::{
    git_error, not_found, parse_body, parse_iso8601, unprocessable, Outcome, Reply,
};
use crate::request::{object_id, Request};
use crate::rules::{self, RefChange, Who};
use crate::state::{State, ACTOR};

/// `refs/…` from the `{ref}` path parameter (`heads/main`; a leading `refs/` is tolerated).
fn full_ref(name: &str) -> String {
    let name = name.strip_prefix("refs/").unwrap_or(name);
    format!("refs/{name}")
}

fn ref_json(urls: &Urls<'_>, repo: &Repository, name: &str) -> Option<Value> {
    let reference = repo.find_reference(name).ok()?;
    let target = reference.target()?;
    let kind = repo.find_object(target, None).ok()?.kind();
    Some(render::git_ref(urls, name, target, kind_name(kind)))
}

pub(super) fn get_ref(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let urls = Urls::new(req.base, repo);
    let name = full_ref(req.route.param(0));
    ref_json(&urls, &repo.git, &name)
        .map(Reply::ok)
        .ok_or_else(not_found)
}

#[derive(Deserialize)]
struct CreateRef {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
}

pub(super) fn create_ref(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CreateRef = parse_body(req.body)?;
    let teams = state.team_list();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    if !body.name.starts_with("refs/") || body.name.matches('/').count() < 2 {
        return Err(unprocessable(
            "Reference name must start with 'refs/' and have at least two slashes.",
        ));
    }
    if !git2::Reference::is_valid_name(&body.name) {
        return Err(unprocessable(&format!(
            "{} is not a valid ref name.",
            body.name
        )));
    }
    let oid = object_id(&repo.git, &body.sha, "Object does not exist")?;
    if repo.git.find_reference(&body.name).is_ok() {
        return Err(unprocessable("Reference already exists"));
    }
    let who = Who {
        actor: &req.actor,
        teams: &teams,
    };
    if let Some(branch) = body.name.strip_prefix("refs/heads/") {
        rules::check_ref_change(
            &repo.rulesets,
            &repo.default_branch,
            &who,
            branch,
            RefChange::Create,
        )?;
    }
    repo.git
        .reference(&body.name, oid, false, "create-ref")
        .map_err(git_error)?;
    if let Some(branch) = body.name.strip_prefix("refs/heads/") {
        events::branch_moved(repo, branch, None, Some(oid), &req.actor);
    }
    let urls = Urls::new(req.base, repo);
    let value = ref_json(&urls, &repo.git, &body.name).ok_or_else(not_found)?;
    Ok(Reply::created(
        value,
        urls.api(&format!("/git/{}", body.name)),
    ))
}

#[derive(Deserialize)]
struct UpdateRef {
    sha: String,
    #[serde(default)]
    force: bool,
}

pub(super) fn update_ref(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: UpdateRef = parse_body(req.body)?;
    let teams = state.team_list();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = full_ref(req.route.param(0));
    let current = repo
        .git
        .find_reference(&name)
        .ok()
        .and_then(|r| r.target())
        .ok_or_else(|| unprocessable("Reference does not exist"))?;
    let new = object_id(&repo.git, &body.sha, "Object does not exist")?;
    let fast_forward =
        new == current || repo.git.graph_descendant_of(new, current).unwrap_or(false);
    if !body.force && !fast_forward {
        return Err(unprocessable("Update is not a fast forward"));
    }
    let who = Who {
        actor: &req.actor,
        teams: &teams,
    };
    if let Some(branch) = name.strip_prefix("refs/heads/") {
        if new != current {
            rules::check_ref_change(
                &repo.rulesets,
                &repo.default_branch,
                &who,
                branch,
                RefChange::Update { fast_forward },
            )?;
        }
    }
    repo.git
        .reference(&name, new, true, "update-ref")
        .map_err(git_error)?;
    if let Some(branch) = name.strip_prefix("refs/heads/") {
        events::branch_moved(repo, branch, Some(current), Some(new), &req.actor);
    }
    let urls = Urls::new(req.base, repo);
    ref_json(&urls, &repo.git, &name)
        .map(Reply::ok)
        .ok_or_else(not_found)
}

pub(super) fn delete_ref(state: &mut State, req: &Request<'_>) -> Outcome {
    let teams = state.team_list();
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = full_ref(req.route.param(0));
    let mut reference = repo
        .git
        .find_reference(&name)
        .map_err(|_| unprocessable("Reference does not exist"))?;
    let before = reference.target();
    if let Some(branch) = name.strip_prefix("refs/heads/") {
        let who = Who {
            actor: &req.actor,
            teams: &teams,
        };
        rules::check_ref_change(
            &repo.rulesets,
            &repo.default_branch,
            &who,
            branch,
            RefChange::Delete,
        )?;
    }
    reference.delete().map_err(git_error)?;
    drop(reference);
    if let Some(branch) = name.strip_prefix("refs/heads/") {
        events::branch_moved(repo, branch, before, None, &req.actor);
    }
    Ok(Reply::no_content())
}

pub(super) fn matching_refs(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let urls = Urls::new(req.base, repo);
    let prefix = full_ref(req.route.param(0));
    let mut names: Vec<String> = repo
        .git
        .references()
        .map_err(git_error)?
        .filter_map(Result::ok)
        .filter_map(|r| r.name().map(str::to_owned))
        .filter(|n| n.starts_with(&prefix))
        .collect();
    names.sort();
    let refs: Vec<Value> = names
        .iter()
        .filter_map(|n| ref_json(&urls, &repo.git, n))
        .collect();
    Ok(Reply::ok(Value::Array(refs)))
}

#[derive(Deserialize)]
struct CreateBlob {
    content: String,
    #[serde(default)]
    encoding: Option<String>,
}

pub(super) fn create_blob(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CreateBlob = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let bytes = match body.encoding.as_deref().unwrap_or("utf-8") {
        "utf-8" | "utf8" => body.content.into_bytes(),
        "base64" => {
            let compact: String = body.content.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| unprocessable("Invalid request.\n\ncontent is not valid Base64."))?
        }
        other => {
            return Err(unprocessable(&format!(
                "Invalid request.\n\nencoding {other:?} is not supported; use utf-8 or base64."
            )))
        }
    };
    let oid = repo.git.blob(&bytes).map_err(git_error)?;
    let urls = Urls::new(req.base, repo);
    let url = urls.api(&format!("/git/blobs/{oid}"));
    Ok(Reply::created(
        json!({ "url": url, "sha": oid.to_string() }),
        url,
    ))
}

pub(super) fn get_blob(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let sha = req.route.param(0);
    let oid = Oid::from_str(sha).map_err(|_| not_found())?;
    let blob = repo.git.find_blob(oid).map_err(|_| not_found())?;
    let urls = Urls::new(req.base, repo);
    Ok(Reply::ok(json!({
        "sha": oid.to_string(),
        "node_id": render::node_id("B", u64::from_str_radix(&oid.to_string()[..12], 16).unwrap_or(0)),
        "size": blob.size(),
        "url": urls.api(&format!("/git/blobs/{oid}")),
        "content": base64_lines(blob.content()),
        "encoding": "base64",
    })))
}

/// `git-tree` of `tree`, every level when `recursive`.
fn tree_json(
    urls: &Urls<'_>,
    repo: &Repository,
    tree: Oid,
    recursive: bool,
) -> Result<Value, git2::Error> {
    let tree = repo.find_tree(tree)?;
    let odb = repo.odb()?;
    let mut entries = Vec::new();
    let mut entry_json = |prefix: &str, entry: &git2::TreeEntry<'_>| {
        let sha = entry.id();
        let kind = kind_name(entry.kind());
        let mut v = json!({
            "path": format!("{prefix}{}", entry.name().unwrap_or_default()),
            "mode": mode_string(entry.filemode()),
            "type": kind,
            "sha": sha.to_string(),
        });
        match entry.kind() {
            Some(ObjectType::Blob) => {
                if let Ok((size, _)) = odb.read_header(sha) {
                    v["size"] = json!(size);
                }
                v["url"] = json!(urls.api(&format!("/git/blobs/{sha}")));
            }
            Some(ObjectType::Tree) => v["url"] = json!(urls.api(&format!("/git/trees/{sha}"))),
            _ => {}
        }
        entries.push(v);
    };
    if recursive {
        tree.walk(TreeWalkMode::PreOrder, |root, entry| {
            entry_json(root, entry);
            TreeWalkResult::Ok
        })?;
    } else {
        for entry in tree.iter() {
            entry_json("", &entry);
        }
    }
    Ok(json!({
        "sha": tree.id().to_string(),
        "url": urls.api(&format!("/git/trees/{}", tree.id())),
        "tree": entries,
        "truncated": false,
    }))
}

pub(super) fn get_tree(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let name = req.route.param(0);
    // GitHub also takes a commit or branch name where a tree sha is expected.
    let tree = Oid::from_str(name)
        .ok()
        .filter(|_| name.len() == 40)
        .and_then(|oid| repo.git.find_object(oid, None).ok())
        .and_then(|obj| obj.peel_to_tree().ok())
        .map(|t| t.id())
        .or_else(|| {
            let commit = git::resolve_commit(&repo.git, name)?;
            repo.git.find_commit(commit).ok().map(|c| c.tree_id())
        })
        .ok_or_else(not_found)?;
    let recursive = req.query.get("recursive").is_some();
    let urls = Urls::new(req.base, repo);
    tree_json(&urls, &repo.git, tree, recursive)
        .map(Reply::ok)
        .map_err(git_error)
}

#[derive(Deserialize)]
struct CreateTree {
    tree: Vec<serde_json::Map<String, Value>>,
    #[serde(default)]
    base_tree: Option<String>,
}

pub(super) fn create_tree(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CreateTree = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let git = &repo.git;
    let base = match body.base_tree.as_deref() {
        None => None,
        Some(sha) => {
            let oid = object_id(git, sha, "Invalid tree info: base_tree does not exist")?;
            let tree = git
                .find_object(oid, None)
                .and_then(|o| o.peel_to_tree())
                .map_err(|_| unprocessable("Invalid tree info: base_tree is not a tree"))?;
            Some(tree.id())
        }
    };
    let mut edits = Vec::new();
    for entry in &body.tree {
        let text = |k: &str| entry.get(k).and_then(Value::as_str);
        let path = text("path")
            .filter(|p| !p.is_empty() && !p.starts_with('/') && !p.ends_with('/'))
            .ok_or_else(|| unprocessable("Invalid tree info: tree.path is missing or invalid"))?;
        let mode_text = text("mode").unwrap_or("100644");
        let mode = file_mode(mode_text).ok_or_else(|| {
            unprocessable(&format!("Invalid tree info: tree.mode {mode_text:?} is not one of 100644, 100755, 040000, 160000, 120000"))
        })?;
        let kind = text("type").unwrap_or(match mode_text {
            "040000" => "tree",
            "160000" => "commit",
            _ => "blob",
        });
        let change = match (entry.get("sha"), entry.get("content")) {
            (Some(sha), Some(_)) if !sha.is_null() => {
                return Err(unprocessable(
                    "Must supply either tree.sha or tree.content. Request will be rejected if both are present.",
                ))
            }
            (Some(Value::Null), None) => None,
            (Some(Value::String(sha)), None) => {
                let oid = if kind == "commit" {
                    Oid::from_str(sha).map_err(|_| unprocessable("Invalid tree info"))?
                } else {
                    let oid = object_id(git, sha, &format!("tree.sha {sha} is not a valid {kind}"))?;
                    let actual = git.find_object(oid, None).map(|o| o.kind()).map_err(git_error)?;
                    if kind_name(actual) != kind {
                        return Err(unprocessable(&format!("tree.sha {sha} is not a valid {kind}")));
                    }
                    oid
                };
                Some((oid, mode))
            }
            (_, Some(Value::String(content))) => {
                if kind != "blob" {
                    return Err(unprocessable("Invalid tree info: content needs type blob"));
                }
                Some((git.blob(content.as_bytes()).map_err(git_error)?, mode))
            }
            _ => {
                return Err(unprocessable(
                    "Must supply either tree.sha or tree.content. Request will be rejected if both are present.",
                ))
            }
        };
        edits.push((path.to_owned(), change));
    }
    let tree = git::update_tree(git, base, &edits).map_err(git_error)?;
    let urls = Urls::new(req.base, repo);
    let value = tree_json(&urls, &repo.git, tree, false).map_err(git_error)?;
    Ok(Reply::created(
        value,
        urls.api(&format!("/git/trees/{tree}")),
    ))
}

#[derive(Deserialize)]
struct Person {
    name: String,
    email: String,
    #[serde(default)]
    date: Option<String>,
}

#[derive(Deserialize)]
struct CreateCommit {
    message: String,
    tree: String,
    #[serde(default)]
    parents: Vec<String>,
    #[serde(default)]
    author: Option<Person>,
    #[serde(default)]
    committer: Option<Person>,
}

fn signature(p: &Person) -> Result<git2::Signature<'static>, Reply> {
    let time = match &p.date {
        None => None,
        Some(d) => Some(parse_iso8601(d).ok_or_else(|| {
            unprocessable(&format!(
                "Invalid request.\n\n{d:?} is not a valid date-time."
            ))
        })?),
    };
    git::person(&p.name, &p.email, time).map_err(git_error)
}

pub(super) fn create_commit(state: &mut State, req: &Request<'_>) -> Outcome {
    let body: CreateCommit = parse_body(req.body)?;
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let git = &repo.git;
    let tree_oid = object_id(git, &body.tree, "Tree SHA does not exist")?;
    let tree = git
        .find_tree(tree_oid)
        .map_err(|_| unprocessable("Tree SHA does not exist"))?;
    let mut parents = Vec::new();
    for sha in &body.parents {
        let oid = object_id(
            git,
            sha,
            "Parent SHA does not exist or is not a commit object",
        )?;
        parents.push(
            git.find_commit(oid).map_err(|_| {
                unprocessable("Parent SHA does not exist or is not a commit object")
            })?,
        );
    }
    let author = match &body.author {
        Some(p) => signature(p)?,
        None => git::signature(ACTOR, None).map_err(git_error)?,
    };
    let committer = match &body.committer {
        Some(p) => signature(p)?,
        None => author.clone(),
    };
    let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    let oid = git
        .commit(
            None,
            &author,
            &committer,
            &body.message,
            &tree,
            &parent_refs,
        )
        .map_err(git_error)?;
    let commit = git.find_commit(oid).map_err(git_error)?;
    let urls = Urls::new(req.base, repo);
    Ok(Reply::created(
        render::git_commit(&urls, &commit),
        urls.api(&format!("/git/commits/{oid}")),
    ))
}

pub(super) fn get_commit(state: &mut State, req: &Request<'_>) -> Outcome {
    let repo = state.repo(&req.route.owner, &req.route.repo)?;
    let oid = Oid::from_str(req.route.param(0)).map_err(|_| not_found())?;
    let commit = repo.git.find_commit(oid).map_err(|_| not_found())?;
    let urls = Urls::new(req.base, repo);
    Ok(Reply::ok(render::git_commit(&urls, &commit)))
}
