//! The JSON objects of GitHub's responses, with every property the OpenAPI schemas require.
//! URLs point at the fake; HTML URLs use the same host (there is no web UI behind them).

use base64::Engine as _;
use git2::{Commit, Oid};
use serde_json::{json, Value};

use crate::git::FileChange;
use crate::reply::{iso8601, percent_encode};
use crate::state::{Pull, Repo, Review, Status};

/// The fake's base URL and one repository's URL prefixes.
pub(crate) struct Urls<'a> {
    pub base: &'a str,
    pub owner: &'a str,
    pub repo: &'a str,
}

impl<'a> Urls<'a> {
    pub fn new(base: &'a str, repo: &'a Repo) -> Self {
        Self {
            base,
            owner: &repo.owner,
            repo: &repo.name,
        }
    }

    /// `{base}/repos/{owner}/{repo}{suffix}`.
    pub fn api(&self, suffix: &str) -> String {
        format!("{}/repos/{}/{}{suffix}", self.base, self.owner, self.repo)
    }

    /// `{base}/{owner}/{repo}{suffix}`, the web page of the same thing.
    pub fn html(&self, suffix: &str) -> String {
        format!("{}/{}/{}{suffix}", self.base, self.owner, self.repo)
    }
}

/// A stable id for a login (FNV-1a), so users need no registry.
pub(crate) fn user_id(login: &str) -> u64 {
    login.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) % 100_000_000
        + 1
}

pub(crate) fn node_id(kind: &str, id: u64) -> String {
    let raw = format!("0:{kind}{id}");
    format!(
        "{kind}_{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(raw)
    )
}

/// `simple-user`.
pub(crate) fn user(base: &str, login: &str) -> Value {
    let id = user_id(login);
    // A bot's login (`wo[bot]`) is percent-encoded in its API URL; its page is the App's.
    let u = format!("{base}/users/{}", percent_encode(login));
    let html_url = match login.strip_suffix("[bot]") {
        Some(slug) => format!("{base}/apps/{}", percent_encode(slug)),
        None => format!("{base}/{}", percent_encode(login)),
    };
    json!({
        "login": login,
        "id": id,
        "node_id": node_id("U", id),
        "avatar_url": format!("{base}/avatars/u/{id}"),
        "gravatar_id": "",
        "url": u,
        "html_url": html_url,
        "followers_url": format!("{u}/followers"),
        "following_url": format!("{u}/following{{/other_user}}"),
        "gists_url": format!("{u}/gists{{/gist_id}}"),
        "starred_url": format!("{u}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{u}/subscriptions"),
        "organizations_url": format!("{u}/orgs"),
        "repos_url": format!("{u}/repos"),
        "events_url": format!("{u}/events{{/privacy}}"),
        "received_events_url": format!("{u}/received_events"),
        "type": if login.ends_with("[bot]") { "Bot" } else { "User" },
        "site_admin": false,
        "user_view_type": "public",
    })
}

/// `full-repository`, which also satisfies `repository` and `minimal-repository`.
pub(crate) fn repository(base: &str, repo: &Repo) -> Value {
    let urls = Urls::new(base, repo);
    let a = |s: &str| urls.api(s);
    let created = iso8601(repo.created_at);
    let open = repo.pulls.iter().filter(|p| p.open).count();
    let head = json!({
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": format!("{}/{}", repo.owner, repo.name),
        "owner": user(base, &repo.owner),
        "private": repo.private,
        "html_url": urls.html(""),
        "description": null,
        "fork": false,
        "url": a(""),
        "archive_url": a("/{archive_format}{/ref}"),
        "assignees_url": a("/assignees{/user}"),
        "blobs_url": a("/git/blobs{/sha}"),
        "branches_url": a("/branches{/branch}"),
        "collaborators_url": a("/collaborators{/collaborator}"),
        "comments_url": a("/comments{/number}"),
        "commits_url": a("/commits{/sha}"),
        "compare_url": a("/compare/{base}...{head}"),
        "contents_url": a("/contents/{+path}"),
    });
    let urls_part = json!({
        "contributors_url": a("/contributors"),
        "deployments_url": a("/deployments"),
        "downloads_url": a("/downloads"),
        "events_url": a("/events"),
        "forks_url": a("/forks"),
        "git_commits_url": a("/git/commits{/sha}"),
        "git_refs_url": a("/git/refs{/sha}"),
        "git_tags_url": a("/git/tags{/sha}"),
        "git_url": format!("{}.git", urls.html("")),
        "issue_comment_url": a("/issues/comments{/number}"),
        "issue_events_url": a("/issues/events{/number}"),
        "issues_url": a("/issues{/number}"),
        "keys_url": a("/keys{/key_id}"),
        "labels_url": a("/labels{/name}"),
        "languages_url": a("/languages"),
        "merges_url": a("/merges"),
        "milestones_url": a("/milestones{/number}"),
        "notifications_url": a("/notifications{?since,all,participating}"),
        "pulls_url": a("/pulls{/number}"),
        "releases_url": a("/releases{/id}"),
        "ssh_url": format!("git@127.0.0.1:{}/{}.git", repo.owner, repo.name),
        "stargazers_url": a("/stargazers"),
        "statuses_url": a("/statuses/{sha}"),
        "subscribers_url": a("/subscribers"),
        "subscription_url": a("/subscription"),
        "tags_url": a("/tags"),
        "teams_url": a("/teams"),
        "trees_url": a("/git/trees{/sha}"),
    });
    let mut rest = json!({
        "clone_url": format!("{}.git", urls.html("")),
        "mirror_url": null,
        "hooks_url": a("/hooks"),
        "svn_url": urls.html(""),
        "homepage": null,
        "language": null,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues_count": open,
        "is_template": false,
        "topics": [],
        "has_issues": true,
        "has_projects": false,
        "has_wiki": false,
        "has_pages": false,
        "has_downloads": true,
        "has_discussions": false,
        "archived": false,
        "disabled": false,
        "visibility": if repo.private { "private" } else { "public" },
        "pushed_at": created,
        "created_at": created,
        "updated_at": created,
        "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
        "allow_rebase_merge": repo.allow_rebase_merge,
        "allow_squash_merge": repo.allow_squash_merge,
        "allow_merge_commit": repo.allow_merge_commit,
        "allow_auto_merge": false,
        "delete_branch_on_merge": false,
        "allow_forking": true,
        "web_commit_signoff_required": false,
        "subscribers_count": 0,
        "network_count": 0,
        "license": null,
        "forks": 0,
        "open_issues": open,
        "watchers": 0,
    });
    for part in [head, urls_part] {
        if let (Value::Object(rest), Value::Object(part)) = (&mut rest, part) {
            rest.extend(part);
        }
    }
    rest
}

fn git_person(sig: &git2::Signature<'_>) -> Value {
    json!({
        "name": sig.name().unwrap_or_default(),
        "email": sig.email().unwrap_or_default(),
        "date": iso8601(sig.when().seconds()),
    })
}

/// `git-commit` (the Git Data API's commit).
pub(crate) fn git_commit(urls: &Urls<'_>, commit: &Commit<'_>) -> Value {
    let sha = commit.id().to_string();
    let parents: Vec<Value> = commit
        .parent_ids()
        .map(|p| {
            json!({
                "sha": p.to_string(),
                "url": urls.api(&format!("/git/commits/{p}")),
                "html_url": urls.html(&format!("/commit/{p}")),
            })
        })
        .collect();
    json!({
        "sha": sha,
        "node_id": node_id("C", u64::from_str_radix(&sha[..12], 16).unwrap_or(0)),
        "url": urls.api(&format!("/git/commits/{sha}")),
        "html_url": urls.html(&format!("/commit/{sha}")),
        "author": git_person(&commit.author()),
        "committer": git_person(&commit.committer()),
        "message": commit.message().unwrap_or_default(),
        "tree": {
            "sha": commit.tree_id().to_string(),
            "url": urls.api(&format!("/git/trees/{}", commit.tree_id())),
        },
        "parents": parents,
        "verification": {
            "verified": false,
            "reason": "unsigned",
            "signature": null,
            "payload": null,
            "verified_at": null,
        },
    })
}

/// `commit` (the REST commits API's commit, used by compare).
pub(crate) fn rest_commit(urls: &Urls<'_>, commit: &Commit<'_>) -> Value {
    let sha = commit.id().to_string();
    let parents: Vec<Value> = commit
        .parent_ids()
        .map(|p| {
            json!({
                "sha": p.to_string(),
                "url": urls.api(&format!("/commits/{p}")),
                "html_url": urls.html(&format!("/commit/{p}")),
            })
        })
        .collect();
    json!({
        "url": urls.api(&format!("/commits/{sha}")),
        "sha": sha,
        "node_id": node_id("C", u64::from_str_radix(&sha[..12], 16).unwrap_or(0)),
        "html_url": urls.html(&format!("/commit/{sha}")),
        "comments_url": urls.api(&format!("/commits/{sha}/comments")),
        "commit": {
            "url": urls.api(&format!("/git/commits/{sha}")),
            "author": git_person(&commit.author()),
            "committer": git_person(&commit.committer()),
            "message": commit.message().unwrap_or_default(),
            "comment_count": 0,
            "tree": {
                "sha": commit.tree_id().to_string(),
                "url": urls.api(&format!("/git/trees/{}", commit.tree_id())),
            },
        },
        // No GitHub account is linked to the fake's commit emails.
        "author": null,
        "committer": null,
        "parents": parents,
    })
}

/// `git-ref`.
pub(crate) fn git_ref(urls: &Urls<'_>, name: &str, target: Oid, kind: &str) -> Value {
    json!({
        "ref": name,
        "node_id": node_id("REF", u64::from_str_radix(&target.to_string()[..12], 16).unwrap_or(0)),
        "url": urls.api(&format!("/git/{name}")),
        "object": {
            "type": kind,
            "sha": target.to_string(),
            "url": urls.api(&format!("/git/{kind}s/{target}")),
        },
    })
}

/// Base64 with a newline every 60 characters, as GitHub sends file and blob contents.
pub(crate) fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for chunk in encoded.as_bytes().chunks(60) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// `label`.
pub(crate) fn label(urls: &Urls<'_>, name: &str, id: u64) -> Value {
    json!({
        "id": id,
        "node_id": node_id("LA", id),
        "url": urls.api(&format!("/labels/{}", percent_encode(name))),
        "name": name,
        // `pull-request-simple` requires a string here (`label` allows null).
        "description": "",
        "color": "ededed",
        "default": false,
    })
}

/// `status`.
pub(crate) fn status(urls: &Urls<'_>, s: &Status) -> Value {
    let mut v = simple_status(urls, s);
    v["creator"] = user(urls.base, &s.creator);
    v
}

/// `simple-commit-status`.
pub(crate) fn simple_status(urls: &Urls<'_>, s: &Status) -> Value {
    json!({
        "url": urls.api(&format!("/statuses/{}", s.sha)),
        "avatar_url": format!("{}/avatars/u/{}", urls.base, user_id(&s.creator)),
        "id": s.id,
        "node_id": node_id("SC", s.id),
        "state": s.state,
        "description": s.description,
        "target_url": s.target_url,
        "context": s.context,
        "created_at": iso8601(s.created_at),
        "updated_at": iso8601(s.created_at),
    })
}

/// The live numbers of a pull request that git decides.
pub(crate) struct PullGit {
    pub head_sha: String,
    pub base_sha: String,
    pub mergeable: Option<bool>,
    pub commits: usize,
    pub additions: usize,
    pub deletions: usize,
    pub changed_files: usize,
}

/// `pull-request-simple`, or `pull-request` when `git` carries the detail numbers.
pub(crate) fn pull(
    base: &str,
    repo: &Repo,
    p: &Pull,
    head_sha: &str,
    base_sha: &str,
    detail: Option<&PullGit>,
    comments: usize,
) -> Value {
    let urls = Urls::new(base, repo);
    let n = p.number;
    let repo_json = repository(base, repo);
    let owner = user(base, &repo.owner);
    let labels: Vec<Value> = p
        .labels
        .iter()
        .map(|l| label(&urls, l, repo.labels.get(l).copied().unwrap_or(0)))
        .collect();
    let href = |s: String| json!({ "href": s });
    let head = json!({
        "label": format!("{}:{}", repo.owner, p.head),
        "ref": p.head,
        "sha": head_sha,
        "user": owner.clone(),
        "repo": repo_json.clone(),
    });
    let base_side = json!({
        "label": format!("{}:{}", repo.owner, p.base),
        "ref": p.base,
        "sha": base_sha,
        "user": owner,
        "repo": repo_json,
    });
    let links = json!({
        "self": href(urls.api(&format!("/pulls/{n}"))),
        "html": href(urls.html(&format!("/pull/{n}"))),
        "issue": href(urls.api(&format!("/issues/{n}"))),
        "comments": href(urls.api(&format!("/issues/{n}/comments"))),
        "review_comments": href(urls.api(&format!("/pulls/{n}/comments"))),
        "review_comment": href(urls.api("/pulls/comments{/number}")),
        "commits": href(urls.api(&format!("/pulls/{n}/commits"))),
        "statuses": href(urls.api(&format!("/statuses/{head_sha}"))),
    });
    let mut v = json!({
        "url": urls.api(&format!("/pulls/{n}")),
        "id": p.id,
        "node_id": node_id("PR", p.id),
        "html_url": urls.html(&format!("/pull/{n}")),
        "diff_url": urls.html(&format!("/pull/{n}.diff")),
        "patch_url": urls.html(&format!("/pull/{n}.patch")),
        "issue_url": urls.api(&format!("/issues/{n}")),
        "commits_url": urls.api(&format!("/pulls/{n}/commits")),
        "review_comments_url": urls.api(&format!("/pulls/{n}/comments")),
        "review_comment_url": urls.api("/pulls/comments{/number}"),
        "comments_url": urls.api(&format!("/issues/{n}/comments")),
        "statuses_url": urls.api(&format!("/statuses/{head_sha}")),
        "number": n,
        "state": if p.open { "open" } else { "closed" },
        "locked": false,
        "title": p.title,
        "user": user(base, &p.user),
        "body": p.body,
        "labels": labels,
        "milestone": null,
        "active_lock_reason": null,
        "created_at": iso8601(p.created_at),
        "updated_at": iso8601(p.updated_at),
        "closed_at": p.closed_at.map(iso8601),
        "merged_at": p.merged_at.map(iso8601),
        "merge_commit_sha": p.merge_commit_sha,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": head,
        "base": base_side,
        "_links": links,
        "author_association": "OWNER",
        "auto_merge": null,
        "draft": p.draft,
    });
    if let Some(g) = detail {
        let extra = json!({
            "merged": p.merged,
            "mergeable": g.mergeable,
            "rebaseable": g.mergeable,
            "mergeable_state": match (p.open, g.mergeable) {
                (false, _) | (true, None) => "unknown",
                (true, Some(true)) => if p.draft { "draft" } else { "clean" },
                (true, Some(false)) => "dirty",
            },
            "merged_by": p.merged_by.as_deref().map_or(Value::Null, |l| user(base, l)),
            "comments": comments,
            "review_comments": 0,
            "maintainer_can_modify": false,
            "commits": g.commits,
            "additions": g.additions,
            "deletions": g.deletions,
            "changed_files": g.changed_files,
        });
        if let (Value::Object(v), Value::Object(extra)) = (&mut v, extra) {
            v.extend(extra);
        }
    }
    v
}

/// `diff-entry`.
pub(crate) fn diff_entry(urls: &Urls<'_>, rev: &str, change: &FileChange) -> Value {
    let path = &change.path;
    let mut v = json!({
        "sha": change.sha,
        "filename": path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": urls.html(&format!("/blob/{rev}/{path}")),
        "raw_url": urls.html(&format!("/raw/{rev}/{path}")),
        "contents_url": urls.api(&format!("/contents/{path}?ref={rev}")),
    });
    if let Some(patch) = &change.patch {
        v["patch"] = json!(patch);
    }
    v
}

/// `pull-request-review`.
pub(crate) fn review(urls: &Urls<'_>, r: &Review) -> Value {
    let html = urls.html(&format!("/pull/{}#pullrequestreview-{}", r.pull, r.id));
    let pull = urls.api(&format!("/pulls/{}", r.pull));
    json!({
        "id": r.id,
        "node_id": node_id("PRR", r.id),
        "user": user(urls.base, &r.user),
        "body": r.body,
        "state": r.state,
        "html_url": html,
        "pull_request_url": pull,
        "_links": { "html": { "href": html }, "pull_request": { "href": pull } },
        "submitted_at": (r.state != "PENDING").then(|| iso8601(r.submitted_at)),
        "commit_id": r.commit_id,
        "author_association": "COLLABORATOR",
    })
}
