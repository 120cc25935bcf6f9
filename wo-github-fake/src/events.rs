//! The events GitHub delivers to workflows, recorded when what causes them happens: `push` on
//! every branch move, `pull_request` (`opened`, `synchronize`, `closed`), `status`, the two
//! dispatches. Payloads follow the webhook shapes ("Webhook events and payloads").

use git2::Oid;
use serde_json::{json, Value};

use crate::auth::Actor;
use crate::git;
use crate::records::Event;
use crate::render::{self, PullGit};
use crate::reply::{iso8601, now_secs};
use crate::state::{Pull, Repo, Status};

/// Events caused by a workflow's `GITHUB_TOKEN` start no workflow run, except
/// `workflow_dispatch` and `repository_dispatch` ("Triggering a workflow from a workflow").
fn triggers(name: &str, actor: &Actor) -> bool {
    !matches!(actor, Actor::GithubToken { .. })
        || name == "workflow_dispatch"
        || name == "repository_dispatch"
}

fn sender(base: &str, actor: &Actor) -> Value {
    render::user(base, &actor.login())
}

/// Records `name` on `repo`.
pub(crate) fn record(
    repo: &mut Repo,
    name: &str,
    action: Option<&str>,
    git_ref: Option<String>,
    sha: Option<String>,
    actor: &Actor,
    mut payload: Value,
) {
    payload["repository"] = render::repository(&repo.base, repo);
    payload["sender"] = sender(&repo.base, actor);
    if name == "repository_dispatch" {
        // GitHub's sample payload always names the installation that sent it.
        let id = render::user_id(&format!("installation:{}", actor.login()));
        payload["installation"] = json!({ "id": id, "node_id": render::node_id("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u", id) });
    }
    if let Some(a) = action {
        if payload.get("action").is_none() {
            payload["action"] = json!(a);
        }
    }
    repo.events.push(Event {
        name: name.to_owned(),
        action: action.map(str::to_owned),
        repository: format!("{}/{}", repo.owner, repo.name),
        git_ref,
        sha,
        actor: actor.clone(),
        triggers_workflows: triggers(name, actor),
        payload,
    });
}

fn push_commit(repo: &Repo, oid: Oid, distinct: bool) -> Value {
    let urls = render::Urls::new(&repo.base, repo);
    let Ok(c) = repo.git.find_commit(oid) else {
        return Value::Null;
    };
    let person = |s: git2::Signature<'_>| json!({ "name": s.name().unwrap_or_default(), "email": s.email().unwrap_or_default() });
    let (mut added, mut removed, mut modified) = (vec![], vec![], vec![]);
    let parent_tree = c.parent(0).ok().map(|p| p.tree_id());
    if let Ok(changes) = git::diff_trees(&repo.git, parent_tree, c.tree_id()) {
        for ch in changes {
            match ch.status {
                "added" => added.push(ch.path),
                "removed" => removed.push(ch.path),
                _ => modified.push(ch.path),
            }
        }
    }
    json!({
        "id": oid.to_string(),
        "tree_id": c.tree_id().to_string(),
        "distinct": distinct,
        "message": c.message().unwrap_or_default(),
        "timestamp": iso8601(c.time().seconds()),
        "url": urls.html(&format!("/commit/{oid}")),
        "author": person(c.author()),
        "committer": person(c.committer()),
        "added": added,
        "removed": removed,
        "modified": modified,
    })
}

/// `branch` moved from `before` to `after` (`None`: did not exist / deleted) by `actor`:
/// records the `push`, a `synchronize` for each open pull request from the branch, and
/// closes as merged the pull requests into it whose head it now contains.
pub(crate) fn branch_moved(
    repo: &mut Repo,
    branch: &str,
    before: Option<Oid>,
    after: Option<Oid>,
    actor: &Actor,
) {
    if before == after {
        return;
    }
    let zero = "0000000000000000000000000000000000000000".to_owned();
    let commits: Vec<Oid> = match (before, after) {
        (_, None) => vec![],
        (Some(b), Some(a)) => git::commits_between(&repo.git, b, a).unwrap_or_default(),
        (None, Some(a)) => vec![a],
    };
    let forced = matches!((before, after), (Some(b), Some(a))
        if !repo.git.graph_descendant_of(a, b).unwrap_or(false));
    let list: Vec<Value> = commits
        .iter()
        .rev()
        .take(20)
        .rev()
        .map(|c| push_commit(repo, *c, true))
        .collect();
    let head_commit = after.map_or(Value::Null, |a| push_commit(repo, a, true));
    let login = actor.login();
    let b = before.map_or(zero.clone(), |o| o.to_string());
    let a = after.map_or(zero, |o| o.to_string());
    let payload = json!({
        "ref": format!("refs/heads/{branch}"),
        "before": b,
        "after": a,
        "created": before.is_none(),
        "deleted": after.is_none(),
        "forced": forced,
        "base_ref": null,
        "compare": render::Urls::new(&repo.base, repo).html(&format!("/compare/{}...{}", &b[..12], &a[..12])),
        "commits": list,
        "head_commit": head_commit,
        "pusher": { "name": login, "email": format!("{login}@users.noreply.github.com") },
    });
    record(
        repo,
        "push",
        None,
        Some(format!("refs/heads/{branch}")),
        after.map(|o| o.to_string()),
        actor,
        payload,
    );
    if after.is_some() {
        let synced: Vec<u64> = repo
            .pulls
            .iter()
            .filter(|p| p.open && p.head == branch)
            .map(|p| p.number)
            .collect();
        for n in synced {
            pull_event(repo, n, "synchronize", actor);
        }
        mark_pushed_merges(repo, branch, actor);
    }
}

/// Records `pull_request` `action` for pull request `number`.
pub(crate) fn pull_event(repo: &mut Repo, number: u64, action: &str, actor: &Actor) {
    let Some(p) = repo.pull(number).cloned() else {
        return;
    };
    let (head, base) = pull_shas(repo, &p);
    let detail = pull_detail(repo, &p).ok();
    let comments = repo.comments.iter().filter(|c| c.issue == number).count();
    let pr = render::pull(
        &repo.base,
        repo,
        &p,
        &head,
        &base,
        detail.as_ref(),
        comments,
    );
    record(
        repo,
        "pull_request",
        Some(action),
        Some(format!("refs/heads/{}", p.base)),
        Some(head),
        actor,
        json!({ "action": action, "number": number, "pull_request": pr }),
    );
}

/// The head and base commits of `p`: live while open, as recorded once closed.
pub(crate) fn pull_shas(repo: &Repo, p: &Pull) -> (String, String) {
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

/// After `branch` moved by a push or a ref update: marks merged every open pull request
/// into `branch` whose head commit is now on it, as GitHub does when a pull request's
/// commits reach its base other than through the merge button (its merge commit is then
/// the head commit itself), and records their `closed` events.
pub(crate) fn mark_pushed_merges(repo: &mut Repo, branch: &str, actor: &Actor) {
    let Some(base) = git::branch_sha(&repo.git, branch) else {
        return;
    };
    let now = now_secs();
    let mut closed = Vec::new();
    for i in 0..repo.pulls.len() {
        let p = &repo.pulls[i];
        if !p.open || p.base != branch {
            continue;
        }
        let Some(head) = git::branch_sha(&repo.git, &p.head) else {
            continue;
        };
        let on_base = head == base || repo.git.graph_descendant_of(base, head).unwrap_or(false);
        if !on_base {
            continue;
        }
        let p = &mut repo.pulls[i];
        p.open = false;
        p.merged = true;
        p.merged_by = Some(actor.login());
        p.merge_commit_sha = Some(head.to_string());
        p.closed_head_sha = Some(head.to_string());
        p.closed_base_sha = Some(base.to_string());
        p.closed_at = Some(now);
        p.merged_at = Some(now);
        p.updated_at = now;
        closed.push(p.number);
    }
    for n in closed {
        pull_event(repo, n, "closed", actor);
    }
}

/// Records the `status` event of a new commit status.
pub(crate) fn status_event(repo: &mut Repo, s: &Status, actor: &Actor) {
    let urls = render::Urls::new(&repo.base, repo);
    let commit = repo
        .git
        .find_commit(Oid::from_str(&s.sha).unwrap_or(Oid::zero()))
        .map(|c| render::rest_commit(&urls, &c))
        .unwrap_or(Value::Null);
    let branches: Vec<Value> = repo
        .git
        .branches(Some(git2::BranchType::Local))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|(b, _)| b.get().target().map(|t| t.to_string()) == Some(s.sha.clone()))
        .filter_map(|(b, _)| b.name().ok().flatten().map(str::to_owned))
        .map(|name| json!({ "name": name, "commit": { "sha": s.sha, "url": urls.api(&format!("/commits/{}", s.sha)) }, "protected": false }))
        .collect();
    let payload = json!({
        "id": s.id,
        "sha": s.sha,
        "name": format!("{}/{}", repo.owner, repo.name),
        "target_url": s.target_url,
        "context": s.context,
        "description": s.description,
        "state": s.state,
        "commit": commit,
        "branches": branches,
        "created_at": iso8601(s.created_at),
        "updated_at": iso8601(s.created_at),
    });
    record(
        repo,
        "status",
        None,
        None,
        Some(s.sha.clone()),
        actor,
        payload,
    );
}

pub(crate) fn pull_detail(repo: &Repo, p: &Pull) -> Result<PullGit, git2::Error> {
    let (head_sha, base_sha) = pull_shas(repo, p);
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
    let changes = pull_changes(repo, base, head)?;
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
pub(crate) fn pull_changes(
    repo: &Repo,
    base: Oid,
    head: Oid,
) -> Result<Vec<git::FileChange>, git2::Error> {
    let g = &repo.git;
    let old = match g.merge_base(base, head) {
        Ok(mb) => Some(g.find_commit(mb)?.tree_id()),
        Err(_) => None,
    };
    git::diff_trees(g, old, g.find_commit(head)?.tree_id())
}
