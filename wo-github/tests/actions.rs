//! GitHub Actions integration: event mapping on payloads shaped like GitHub's webhook schemas
//! (`@octokit/openapi-webhooks` 12.1.0: `push`, `pull-request-closed`,
//! `repository-dispatch-sample.collected`, `workflow-dispatch`), outputs, step summary,
//! annotations, and the generated workflows checked by actionlint (with shellcheck).

#![recursion_limit = "256"]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use wo_core::pipeline::{Action, DeployOutcome, Event, PrepareOutcome, StepOutcome};
use wo_core::ports::{
    ChangeRequest, ChangeState, CommitId, DeploymentReport, FleetReport, ProposeOutcome,
    Provenance, TargetOutcome,
};
use wo_core::{Diagnostic, Diagnostics, Error, Location};
use wo_github::actions::{
    self, annotations, from_event_file, from_parts, pins, render_outputs, step_summary,
    summary_rows, workflows, write_outputs, EventContext, InitOptions, Mapping, RepoRole,
    TargetRow, WoInstall,
};

const SHA_A: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const SHA_B: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
const ZERO: &str = "0000000000000000000000000000000000000000";

// ---------------------------------------------------------------------------------------------
// Sample payloads: every key the webhook schemas mark required is present.
// ---------------------------------------------------------------------------------------------

fn user(login: &str, id: u64) -> Value {
    let api = format!("https://api.github.com/users/{login}");
    json!({
        "login": login, "id": id, "node_id": format!("MDQ6VXNlcj{id}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "", "url": api, "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"), "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "Organization", "user_view_type": "public", "site_admin": false
    })
}

fn repository(owner: &str, name: &str) -> Value {
    let full = format!("{owner}/{name}");
    let api = format!("https://api.github.com/repos/{full}");
    let mut r = json!({
        "id": 812_345_678, "node_id": "R_kgDOMGx1Tg", "name": name, "full_name": full,
        "private": true, "owner": user(owner, 160_000_001),
        "html_url": format!("https://github.com/{full}"), "description": null, "fork": false,
        "url": api, "homepage": null, "language": null, "mirror_url": null, "license": null,
        "clone_url": format!("https://github.com/{full}.git"),
        "git_url": format!("git://github.com/{full}.git"),
        "ssh_url": format!("git@github.com:{full}.git"),
        "svn_url": format!("https://github.com/{full}"),
        "created_at": "2025-01-07T09:12:44Z", "updated_at": "2025-11-20T16:03:11Z",
        "pushed_at": "2025-11-23T10:41:02Z", "size": 412, "stargazers_count": 0,
        "watchers_count": 0, "watchers": 0, "forks_count": 0, "forks": 0, "open_issues": 1,
        "open_issues_count": 1, "has_issues": true, "has_projects": false,
        "has_downloads": true, "has_wiki": false, "has_pages": false, "has_discussions": false,
        "archived": false,
        "disabled": false, "default_branch": "main", "visibility": "private", "topics": [],
        "allow_forking": false, "is_template": false, "web_commit_signoff_required": false
    });
    let urls = [
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("hooks_url", "/hooks"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
    ];
    for (k, suffix) in urls {
        r[k] = json!(format!("{api}{suffix}"));
    }
    r
}

fn committer() -> Value {
    json!({"name": "Ada Lovelace", "email": "ada@example.com", "username": "ada",
           "date": "2025-11-23T10:41:00Z"})
}

fn push_payload(git_ref: &str, before: &str, after: &str, deleted: bool) -> Value {
    let repo = repository("acme", "shop-source");
    let head_commit = if deleted {
        Value::Null
    } else {
        json!({
            "id": after, "tree_id": "2b5ed8a4e13e1a61a6d5a4c9e8f2a1c0d3b4e5f6", "distinct": true,
            "message": "Bump replicas", "timestamp": "2025-11-23T10:41:00Z",
            "url": format!("https://github.com/acme/shop-source/commit/{after}"),
            "author": committer(), "committer": committer(),
            "added": [], "removed": [], "modified": ["chart/values.yaml"]
        })
    };
    json!({
        "ref": git_ref, "before": before, "after": after, "created": false, "deleted": deleted,
        "forced": false, "base_ref": null,
        "compare": format!("https://github.com/acme/shop-source/compare/{}...{}", &before[..12], &after[..12]),
        "commits": if deleted { json!([]) } else { json!([head_commit.clone()]) },
        "head_commit": head_commit,
        "repository": repo,
        "pusher": {"name": "ada", "email": "ada@example.com"},
        "sender": user("ada", 1_001)
    })
}

fn pr_closed(repo_name: &str, number: u64, merged: bool, base: &str, head: &str) -> Value {
    pr_closed_from(repo_name, number, merged, base, head, repo_name)
}

fn pr_closed_from(
    repo_name: &str,
    number: u64,
    merged: bool,
    base: &str,
    head: &str,
    head_repo: &str,
) -> Value {
    let repo = repository("acme", repo_name);
    let head_repo = repository(
        if head_repo == repo_name {
            "acme"
        } else {
            "mallory"
        },
        head_repo,
    );
    let api = format!("https://api.github.com/repos/acme/{repo_name}");
    let html = format!("https://github.com/acme/{repo_name}/pull/{number}");
    let link = |href: String| json!({"href": href});
    let bot = user("wo-bot", 2_002);
    let pull_request = json!({
        "url": format!("{api}/pulls/{number}"), "id": 2_100_000_000u64 + number,
        "node_id": "PR_kwDOMGx1Ts6FJ2aB", "html_url": html,
        "diff_url": format!("{html}.diff"), "patch_url": format!("{html}.patch"),
        "issue_url": format!("{api}/issues/{number}"), "number": number, "state": "closed",
        "locked": false, "title": format!("wo: {base} {head}"), "user": bot.clone(),
        "body": "Rendered by wo.\n\nWo-Solution: shop", "labels": [], "milestone": null,
        "created_at": "2025-11-23T10:42:10Z", "updated_at": "2025-11-23T11:02:45Z",
        "closed_at": "2025-11-23T11:02:45Z",
        "merged_at": if merged { json!("2025-11-23T11:02:45Z") } else { Value::Null },
        "merge_commit_sha": if merged { json!(SHA_B) } else { Value::Null },
        "assignee": null, "assignees": [], "requested_reviewers": [], "requested_teams": [],
        "draft": false,
        "commits_url": format!("{api}/pulls/{number}/commits"),
        "review_comments_url": format!("{api}/pulls/{number}/comments"),
        "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
        "comments_url": format!("{api}/issues/{number}/comments"),
        "statuses_url": format!("{api}/statuses/{SHA_A}"),
        "head": {"label": format!("acme:{head}"), "ref": head, "sha": SHA_A,
                 "user": user("acme", 160_000_001), "repo": head_repo},
        "base": {"label": format!("acme:{base}"), "ref": base, "sha": SHA_B,
                 "user": user("acme", 160_000_001), "repo": repo.clone()},
        "_links": {
            "self": link(format!("{api}/pulls/{number}")), "html": link(html.clone()),
            "issue": link(format!("{api}/issues/{number}")),
            "comments": link(format!("{api}/issues/{number}/comments")),
            "review_comments": link(format!("{api}/pulls/{number}/comments")),
            "review_comment": link(format!("{api}/pulls/comments{{/number}}")),
            "commits": link(format!("{api}/pulls/{number}/commits")),
            "statuses": link(format!("{api}/statuses/{SHA_A}"))
        },
        "author_association": "NONE", "auto_merge": null, "active_lock_reason": null,
        "merged": merged, "mergeable": null, "rebaseable": null, "mergeable_state": "unknown",
        "merged_by": if merged { user("ada", 1_001) } else { Value::Null },
        "comments": 0, "review_comments": 0, "maintainer_can_modify": false, "commits": 1,
        "additions": 12, "deletions": 4, "changed_files": 3
    });
    json!({
        "action": "closed", "number": number, "pull_request": pull_request,
        "repository": repo, "sender": user("ada", 1_001)
    })
}

fn dispatch(action: &str, client_payload: Value) -> Value {
    json!({
        "action": action, "branch": "main", "client_payload": client_payload,
        "repository": repository("acme", "shop-source"), "sender": user("wo-bot", 2_002),
        "installation": {"id": 51_234_567, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNTEyMzQ1Njc="}
    })
}

fn workflow_dispatch(inputs: Value) -> Value {
    json!({
        "inputs": inputs, "ref": "refs/heads/main",
        "repository": repository("acme", "shop-source"), "sender": user("ada", 1_001),
        "workflow": ".github/workflows/prepare-pr.yml"
    })
}

/// The keys GitHub's webhook schemas (`webhooks.subset.json`) mark required, copied from it.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "push",
        &[
            "ref",
            "before",
            "after",
            "created",
            "deleted",
            "forced",
            "base_ref",
            "compare",
            "commits",
            "head_commit",
            "repository",
            "pusher",
        ],
    ),
    (
        "pull_request",
        &["action", "number", "pull_request", "repository", "sender"],
    ),
    (
        "repository_dispatch",
        &[
            "action",
            "branch",
            "client_payload",
            "repository",
            "sender",
            "installation",
        ],
    ),
    (
        "workflow_dispatch",
        &["inputs", "ref", "repository", "sender", "workflow"],
    ),
    (
        "repository",
        &[
            "archive_url",
            "assignees_url",
            "blobs_url",
            "branches_url",
            "collaborators_url",
            "comments_url",
            "commits_url",
            "compare_url",
            "contents_url",
            "contributors_url",
            "deployments_url",
            "description",
            "downloads_url",
            "events_url",
            "fork",
            "forks_url",
            "full_name",
            "git_commits_url",
            "git_refs_url",
            "git_tags_url",
            "hooks_url",
            "html_url",
            "id",
            "node_id",
            "issue_comment_url",
            "issue_events_url",
            "issues_url",
            "keys_url",
            "labels_url",
            "languages_url",
            "merges_url",
            "milestones_url",
            "name",
            "notifications_url",
            "owner",
            "private",
            "pulls_url",
            "releases_url",
            "stargazers_url",
            "statuses_url",
            "subscribers_url",
            "subscription_url",
            "tags_url",
            "teams_url",
            "trees_url",
            "url",
            "clone_url",
            "default_branch",
            "forks",
            "forks_count",
            "git_url",
            "has_downloads",
            "has_issues",
            "has_projects",
            "has_wiki",
            "has_pages",
            "homepage",
            "language",
            "archived",
            "disabled",
            "mirror_url",
            "open_issues",
            "open_issues_count",
            "license",
            "pushed_at",
            "size",
            "ssh_url",
            "stargazers_count",
            "svn_url",
            "watchers",
            "watchers_count",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "simple-user",
        &[
            "avatar_url",
            "events_url",
            "followers_url",
            "following_url",
            "gists_url",
            "gravatar_id",
            "html_url",
            "id",
            "node_id",
            "login",
            "organizations_url",
            "received_events_url",
            "repos_url",
            "site_admin",
            "starred_url",
            "subscriptions_url",
            "type",
            "url",
        ],
    ),
    (
        "pull-request",
        &[
            "_links",
            "assignee",
            "labels",
            "base",
            "body",
            "closed_at",
            "comments_url",
            "commits_url",
            "created_at",
            "diff_url",
            "head",
            "html_url",
            "id",
            "node_id",
            "issue_url",
            "merge_commit_sha",
            "merged_at",
            "milestone",
            "number",
            "patch_url",
            "review_comment_url",
            "review_comments_url",
            "statuses_url",
            "state",
            "locked",
            "title",
            "updated_at",
            "url",
            "user",
            "author_association",
            "auto_merge",
            "additions",
            "changed_files",
            "comments",
            "commits",
            "deletions",
            "mergeable",
            "mergeable_state",
            "merged",
            "maintainer_can_modify",
            "merged_by",
            "review_comments",
        ],
    ),
    (
        "head_commit",
        &[
            "id",
            "tree_id",
            "distinct",
            "message",
            "timestamp",
            "url",
            "author",
            "committer",
        ],
    ),
];

fn required(schema: &str) -> &'static [&'static str] {
    REQUIRED.iter().find(|(s, _)| *s == schema).unwrap().1
}

fn assert_has(v: &Value, schema: &str, at: &str) {
    let missing: Vec<&&str> = required(schema)
        .iter()
        .filter(|k| v.get(**k).is_none())
        .collect();
    assert!(missing.is_empty(), "{at} ({schema}) lacks {missing:?}");
}

#[test]
fn sample_payloads_carry_every_required_key_of_the_webhook_schemas() {
    let push = push_payload("refs/heads/main", SHA_B, SHA_A, false);
    assert_has(&push, "push", "push");
    assert_has(&push["repository"], "repository", "push.repository");
    assert_has(&push["head_commit"], "head_commit", "push.head_commit");
    let pr = pr_closed("shop-gitops", 7, true, "dev", "wo/dev/shop");
    assert_has(&pr, "pull_request", "pull_request");
    assert_has(
        &pr["pull_request"],
        "pull-request",
        "pull_request.pull_request",
    );
    assert_has(
        &pr["pull_request"]["user"],
        "simple-user",
        "pull_request.user",
    );
    assert_has(&pr["repository"], "repository", "pull_request.repository");
    let d = dispatch("wo-change-merged", json!({"environment": "dev"}));
    assert_has(&d, "repository_dispatch", "repository_dispatch");
    assert_has(&d["sender"], "simple-user", "repository_dispatch.sender");
    let w = workflow_dispatch(json!({"event": "change-merged", "environment": "dev"}));
    assert_has(&w, "workflow_dispatch", "workflow_dispatch");
    // The check itself bites.
    let mut broken = pr.clone();
    broken["pull_request"]
        .as_object_mut()
        .unwrap()
        .remove("merged");
    let missing: Vec<_> = required("pull-request")
        .iter()
        .filter(|k| broken["pull_request"].get(**k).is_none())
        .collect();
    assert_eq!(missing, vec![&"merged"]);
}

// ---------------------------------------------------------------------------------------------
// Event mapping
// ---------------------------------------------------------------------------------------------

fn map(name: &str, payload: &Value, ctx: &EventContext) -> Mapping {
    from_parts(name, &payload.to_string(), ctx).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn event(name: &str, payload: &Value, ctx: &EventContext) -> Event {
    match map(name, payload, ctx) {
        Mapping::Event(e) => e,
        Mapping::Ignored { reason } => panic!("{name} ignored: {reason}"),
    }
}

fn reason(name: &str, payload: &Value, ctx: &EventContext) -> String {
    match map(name, payload, ctx) {
        Mapping::Event(e) => panic!("{name} mapped to {e:?}, expected it to be ignored"),
        Mapping::Ignored { reason } => reason,
    }
}

fn invalid(name: &str, payload: &str, ctx: &EventContext) -> Diagnostic {
    match from_parts(name, payload, ctx) {
        Err(Error::Invalid(d)) => {
            assert_eq!(d.0.len(), 1, "{d}");
            d.0[0].clone()
        }
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn source() -> EventContext {
    EventContext::new(RepoRole::Source)
}

#[test]
fn push_to_main_of_a_source_repo_is_source_pushed_with_the_after_commit() {
    let p = push_payload("refs/heads/main", SHA_B, SHA_A, false);
    assert_eq!(
        event("push", &p, &source()),
        Event::SourcePushed {
            commit: SHA_A.into()
        }
    );
    let trunk = push_payload("refs/heads/trunk", SHA_B, SHA_A, false);
    assert_eq!(
        event("push", &trunk, &source().with_main_branch("trunk")),
        Event::SourcePushed {
            commit: SHA_A.into()
        }
    );
}

#[test]
fn pushes_that_are_not_wo_events_are_ignored_with_a_reason() {
    let feature = push_payload("refs/heads/feature-x", SHA_B, SHA_A, false);
    assert_eq!(
        reason("push", &feature, &source()),
        "not a wo event: push to feature-x"
    );
    let tag = push_payload("refs/tags/v1.4.2", ZERO, SHA_A, false);
    assert_eq!(
        reason("push", &tag, &source()),
        "not a wo event: push of tag v1.4.2"
    );
    let deleted = push_payload("refs/heads/main", SHA_A, ZERO, true);
    assert_eq!(
        reason("push", &deleted, &source()),
        "not a wo event: main was deleted"
    );
    let main = push_payload("refs/heads/main", SHA_B, SHA_A, false);
    let config = reason("push", &main, &EventContext::new(RepoRole::Config));
    assert!(config.contains("config repo"), "{config}");
}

#[test]
fn a_merged_wo_pull_request_in_a_gitops_repo_is_change_merged_of_its_base() {
    let gitops = EventContext::new(RepoRole::Gitops);
    let pr = pr_closed("shop-gitops", 7, true, "stage", "wo/stage/shop");
    assert_eq!(
        event("pull_request", &pr, &gitops),
        Event::ChangeMerged {
            environment: "stage".into()
        }
    );
    // pull_request_target carries the same payload.
    assert_eq!(
        event("pull_request_target", &pr, &gitops),
        Event::ChangeMerged {
            environment: "stage".into()
        }
    );
    let for_shop = gitops.clone().with_solution("shop");
    assert!(map("pull_request", &pr, &for_shop).event().is_some());
    let for_other = gitops.with_solution("billing");
    assert_eq!(
        reason("pull_request", &pr, &for_other),
        "not a wo event: pull request #7 from wo/stage/shop is not a wo change request (wo/stage/billing)"
    );
}

#[test]
fn gitops_pull_requests_that_are_not_merged_wo_change_requests_are_ignored() {
    let gitops = EventContext::new(RepoRole::Gitops);
    let manual = pr_closed("shop-gitops", 8, true, "dev", "hotfix/replicas");
    assert_eq!(
        reason("pull_request", &manual, &gitops),
        "not a wo event: pull request #8 from hotfix/replicas is not a wo change request (wo/dev/<solution>)"
    );
    let other_env = pr_closed("shop-gitops", 9, true, "prod", "wo/dev/shop");
    assert!(reason("pull_request", &other_env, &gitops).contains("not a wo change request"));
    let closed = pr_closed("shop-gitops", 10, false, "dev", "wo/dev/shop");
    assert_eq!(
        reason("pull_request", &closed, &gitops),
        "not a wo event: pull request #10 was closed without merging"
    );
    let mut opened = pr_closed("shop-gitops", 11, false, "dev", "wo/dev/shop");
    opened["action"] = json!("opened");
    assert_eq!(
        reason("pull_request", &opened, &gitops),
        "not a wo event: pull request #11 opened"
    );
    let fork = pr_closed_from(
        "shop-gitops",
        12,
        true,
        "dev",
        "wo/dev/shop",
        "shop-gitops-fork",
    );
    assert!(reason("pull_request", &fork, &gitops).contains("another repository"));
}

#[test]
fn merged_config_pull_requests_are_config_events_of_their_base() {
    let pr = pr_closed("shop-config", 21, true, "stage", "raise-replicas");
    assert_eq!(
        event("pull_request", &pr, &EventContext::new(RepoRole::Config)),
        Event::ConfigMerged {
            environment: "stage".into()
        }
    );
    let pr = pr_closed("platform-config", 22, true, "prod", "add-store-hamburg");
    assert_eq!(
        event(
            "pull_request",
            &pr,
            &EventContext::new(RepoRole::PlatformConfig)
        ),
        Event::PlatformConfigMerged {
            environment: "prod".into()
        }
    );
    let docs = pr_closed("shop-config", 23, true, "docs", "typo");
    let ctx = EventContext::new(RepoRole::Config).with_environments(["dev", "stage", "prod"]);
    assert_eq!(
        reason("pull_request", &docs, &ctx),
        "not a wo event: pull request #23 merged into docs, which is not an environment (dev, stage, prod)"
    );
    let in_source = pr_closed("shop-source", 24, true, "main", "feature-x");
    assert!(reason("pull_request", &in_source, &source()).contains("wo acts on the push to main"));
}

#[test]
fn repository_dispatch_of_wo_event_types_maps_client_payload() {
    let cases = [
        (
            "wo-source-pushed",
            json!({"commit": SHA_A}),
            Event::SourcePushed {
                commit: SHA_A.into(),
            },
        ),
        (
            "wo-change-merged",
            json!({"environment": "dev", "solution": "shop"}),
            Event::ChangeMerged {
                environment: "dev".into(),
            },
        ),
        (
            "wo-config-merged",
            json!({"environment": "stage"}),
            Event::ConfigMerged {
                environment: "stage".into(),
            },
        ),
        (
            "wo-platform-config-merged",
            json!({"environment": "prod"}),
            Event::PlatformConfigMerged {
                environment: "prod".into(),
            },
        ),
    ];
    for role in RepoRole::ALL {
        for (action, payload, expected) in &cases {
            let d = dispatch(action, payload.clone());
            assert_eq!(
                &event("repository_dispatch", &d, &EventContext::new(role)),
                expected,
                "{action} in a {role} repo"
            );
        }
    }
    let other = dispatch("deploy-docs", json!({}));
    assert_eq!(
        reason("repository_dispatch", &other, &source()),
        "not a wo event: repository_dispatch deploy-docs"
    );
}

#[test]
fn workflow_dispatch_inputs_name_the_event() {
    let w =
        workflow_dispatch(json!({"event": "change-merged", "environment": "prod", "commit": ""}));
    assert_eq!(
        event("workflow_dispatch", &w, &source()),
        Event::ChangeMerged {
            environment: "prod".into()
        }
    );
    let w = workflow_dispatch(json!({"event": "config-merged", "environment": "dev"}));
    assert_eq!(
        event("workflow_dispatch", &w, &source()),
        Event::ConfigMerged {
            environment: "dev".into()
        }
    );
    let w = workflow_dispatch(json!({"event": "platform-config-merged", "environment": "stage"}));
    assert_eq!(
        event("workflow_dispatch", &w, &source()),
        Event::PlatformConfigMerged {
            environment: "stage".into()
        }
    );
    let w =
        workflow_dispatch(json!({"event": "source-pushed", "environment": "dev", "commit": SHA_B}));
    assert_eq!(
        event("workflow_dispatch", &w, &source().with_sha(SHA_A)),
        Event::SourcePushed {
            commit: SHA_B.into()
        }
    );
    // No commit input: the run's commit, else the dispatched branch.
    let w =
        workflow_dispatch(json!({"event": "source-pushed", "environment": "dev", "commit": ""}));
    assert_eq!(
        event("workflow_dispatch", &w, &source().with_sha(SHA_A)),
        Event::SourcePushed {
            commit: SHA_A.into()
        }
    );
    assert_eq!(
        event("workflow_dispatch", &w, &source()),
        Event::SourcePushed {
            commit: "main".into()
        }
    );
}

#[test]
fn other_triggers_are_not_wo_events() {
    let schedule =
        json!({"schedule": "17 3 * * *", "repository": repository("acme", "shop-source")});
    assert_eq!(
        reason("schedule", &schedule, &source()),
        "not a wo event: schedule"
    );
}

#[test]
fn malformed_payloads_are_invalid_naming_the_key_path() {
    let d = invalid(
        "push",
        "{\"ref\": \"refs/heads/main\",\n  \"after\": }",
        &source(),
    );
    assert_eq!(d.location.file, "<event payload>");
    assert_eq!(d.location.line, Some(2));
    assert!(d.message.contains("not JSON"), "{}", d.message);

    let d = invalid("push", "[1, 2]", &source());
    assert!(
        d.message.contains("an array, not an object"),
        "{}",
        d.message
    );

    let mut p = push_payload("refs/heads/main", SHA_B, SHA_A, false);
    p.as_object_mut().unwrap().remove("after");
    let d = invalid("push", &p.to_string(), &source());
    assert_eq!(d.location.key_path, "after");
    assert!(d.message.contains("missing"), "{}", d.message);

    let p = push_payload("refs/heads/main", SHA_B, "not-a-sha-at-all", false);
    assert_eq!(
        invalid("push", &p.to_string(), &source()).location.key_path,
        "after"
    );

    let mut pr = pr_closed("shop-gitops", 7, true, "dev", "wo/dev/shop");
    pr["pull_request"]["merged"] = json!("yes");
    let d = invalid(
        "pull_request",
        &pr.to_string(),
        &EventContext::new(RepoRole::Gitops),
    );
    assert_eq!(d.location.key_path, "pull_request.merged");
    assert!(
        d.message.contains("expected a boolean, found a string"),
        "{}",
        d.message
    );

    let mut pr = pr_closed("shop-gitops", 7, true, "dev", "wo/dev/shop");
    pr["pull_request"]["base"]
        .as_object_mut()
        .unwrap()
        .remove("ref");
    let d = invalid(
        "pull_request",
        &pr.to_string(),
        &EventContext::new(RepoRole::Gitops),
    );
    assert_eq!(d.location.key_path, "pull_request.base.ref");

    let d = dispatch("wo-change-merged", Value::Null);
    let d = invalid("repository_dispatch", &d.to_string(), &source());
    assert_eq!(d.location.key_path, "client_payload.environment");

    let d = dispatch("wo-config-merged", json!({"environment": "../prod"}));
    let d = invalid("repository_dispatch", &d.to_string(), &source());
    assert_eq!(d.location.key_path, "client_payload.environment");
    assert!(
        d.message.contains("not an environment name"),
        "{}",
        d.message
    );

    let d = dispatch("wo-source-pushed", json!({"commit": "--upload-pack=evil"}));
    let d = invalid("repository_dispatch", &d.to_string(), &source());
    assert_eq!(d.location.key_path, "client_payload.commit");

    let w = workflow_dispatch(Value::Null);
    assert_eq!(
        invalid("workflow_dispatch", &w.to_string(), &source())
            .location
            .key_path,
        "inputs.event"
    );
    let w = workflow_dispatch(json!({"event": "deploy", "environment": "dev"}));
    let d = invalid("workflow_dispatch", &w.to_string(), &source());
    assert_eq!(d.location.key_path, "inputs.event");
    assert!(
        d.message.contains("\"deploy\" is not a wo event"),
        "{}",
        d.message
    );
    let w = workflow_dispatch(json!({"event": "change-merged", "environment": ""}));
    assert_eq!(
        invalid("workflow_dispatch", &w.to_string(), &source())
            .location
            .key_path,
        "inputs.environment"
    );
}

#[test]
fn an_event_file_is_named_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(
        &path,
        dispatch("wo-change-merged", json!({"environment": "dev"})).to_string(),
    )
    .unwrap();
    assert_eq!(
        from_event_file("repository_dispatch", &path, &source())
            .unwrap()
            .into_event(),
        Some(Event::ChangeMerged {
            environment: "dev".into()
        })
    );
    std::fs::write(&path, dispatch("wo-change-merged", json!({})).to_string()).unwrap();
    let e = from_event_file("repository_dispatch", &path, &source()).unwrap_err();
    let d = &e.diagnostics()[0];
    assert_eq!(d.location.file, path.display().to_string());
    assert_eq!(d.location.key_path, "client_payload.environment");
    let missing = from_event_file("push", &dir.path().join("nope.json"), &source()).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing:?}");
}

#[test]
fn repo_roles_parse_from_their_flag_values() {
    for role in RepoRole::ALL {
        assert_eq!(role.as_str().parse::<RepoRole>().unwrap(), role);
    }
    let e = "platform".parse::<RepoRole>().unwrap_err();
    assert!(e.to_string().contains("platform-config"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Annotations
// ---------------------------------------------------------------------------------------------

#[test]
fn annotations_escape_properties_and_messages_as_github_does() {
    let diags = Diagnostics(vec![
        Diagnostic::new(
            Location::file("config/targets/berlin-1.yaml")
                .with_key("values.Replicas")
                .at(4, 13),
            "`Replicas`: 50 is above maxValue 20",
        ),
        Diagnostic::new(
            Location::file("a:b,c.yaml").with_key("k,1:x"),
            "100% wrong\r\nsecond line\n::warning::forged",
        )
        .with_hint("did you mean `x`?"),
        Diagnostic::new(Location::default(), "no place"),
    ]);
    let text = annotations(&diags);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![
            "::error file=config/targets/berlin-1.yaml,line=4,col=13,title=wo%3A values.Replicas::`Replicas`: 50 is above maxValue 20",
            // A diagnostic's text has its control characters escaped when it is made, so the
            // forged line stays on the annotation's one line as the characters `\r\n`.
            "::error file=a%3Ab%2Cc.yaml,title=wo%3A k%2C1%3Ax::100%25 wrong\\r\\nsecond line\\n::warning::forged (did you mean `x`?)",
            "::error title=wo::no place",
        ]
    );
    assert!(text.ends_with('\n'));
    assert_eq!(actions::escape_data("a%b\rc\nd:e,f"), "a%25b%0Dc%0Ad:e,f");
    assert_eq!(
        actions::escape_property("a%b\rc\nd:e,f"),
        "a%25b%0Dc%0Ad%3Ae%2Cf"
    );
}

// ---------------------------------------------------------------------------------------------
// GITHUB_OUTPUT
// ---------------------------------------------------------------------------------------------

/// Reads an output file the way the runner does (`key=value` lines, `key<<DELIM` blocks).
fn parse_output_file(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.split('\n');
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(i), h) if h.is_none_or(|h| i < h) => {
                out.push((line[..i].to_owned(), line[i + 1..].to_owned()))
            }
            (_, Some(h)) => {
                let key = &line[..h];
                let delim = &line[h + 2..];
                let mut value = Vec::new();
                loop {
                    let l = lines.next().expect("unterminated heredoc");
                    if l == delim {
                        break;
                    }
                    value.push(l);
                }
                out.push((key.to_owned(), value.join("\n")));
            }
            _ => panic!("bad output line {line:?}"),
        }
    }
    out
}

#[test]
fn outputs_are_appended_as_lines_and_heredocs_that_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    std::fs::write(&path, "earlier=kept\n").unwrap();
    let tricky = "line one\nEOF\nghadelimiter_\nevil=1\n";
    let outputs = BTreeMap::from([
        ("environment".to_owned(), "dev".to_owned()),
        (
            "pr-url".to_owned(),
            "https://github.com/acme/shop-gitops/pull/7".to_owned(),
        ),
        ("summary".to_owned(), tricky.to_owned()),
        ("targets".to_owned(), "berlin-1\nlondon-1".to_owned()),
    ]);
    write_outputs(&path, &outputs).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("earlier=kept\nenvironment=dev\n"),
        "{text}"
    );
    let parsed = parse_output_file(&text);
    let mut expected = vec![("earlier".to_owned(), "kept".to_owned())];
    expected.extend(outputs.clone());
    assert_eq!(parsed, expected);
    // Two heredocs, two different delimiters, neither inside a value.
    let delims: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("<<").map(|(_, d)| d))
        .collect();
    assert_eq!(delims.len(), 2, "{text}");
    assert_ne!(delims[0], delims[1]);
    for d in &delims {
        assert!(d.starts_with("ghadelimiter_") && d.len() > 40, "{d}");
        assert!(!tricky.contains(d));
    }
    // Rendering twice gives fresh delimiters.
    let a = render_outputs(&outputs).unwrap();
    let b = render_outputs(&outputs).unwrap();
    assert_ne!(a, b);
    assert_eq!(parse_output_file(&a), parse_output_file(&b));
}

#[test]
fn an_output_name_that_could_forge_lines_is_rejected_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    for key in ["a=b", "x<<EOF", "", "1st", "new\nline"] {
        let outputs = BTreeMap::from([
            ("ok".to_owned(), "1".to_owned()),
            (key.to_owned(), "v".to_owned()),
        ]);
        let e = write_outputs(&path, &outputs).unwrap_err();
        // Locations are shown with control characters escaped (`\n` as the two characters).
        let shown = key.replace('\n', "\\n");
        assert_eq!(e.diagnostics()[0].location.key_path, shown);
        assert!(!path.exists(), "{key:?} wrote something");
    }
}

// ---------------------------------------------------------------------------------------------
// Step summary
// ---------------------------------------------------------------------------------------------

fn provenance(env: &str) -> Provenance {
    Provenance {
        solution: "shop".into(),
        environment: env.into(),
        source_commit: CommitId::new(SHA_A),
        config_commit: CommitId::new(SHA_B),
        fleet_commit: CommitId::new(SHA_B),
        promotable: true,
        rollback_of: None,
        source_tag: None,
    }
}

#[test]
fn step_summary_is_a_per_target_table_with_escaped_cells() {
    let rows = vec![
        TargetRow::new("dev", "berlin-1", "deployed", "version 1.4.2"),
        TargetRow::new(
            "dev",
            "london-1",
            "failed",
            "image pull failed | <script>alert(1)</script>\nretry later",
        ),
    ];
    let md = step_summary("deploy dev", &rows);
    assert_eq!(
        md,
        "### deploy dev\n\n\
         | environment | target | state | message |\n\
         |---|---|---|---|\n\
         | dev | berlin-1 | deployed | version 1.4.2 |\n\
         | dev | london-1 | failed | image pull failed \\| &lt;script&gt;alert(1)&lt;/script&gt;<br>retry later |\n\n"
    );
    assert!(step_summary("nothing", &[]).contains("| - | - | - | nothing to do |"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.md");
    actions::append_step_summary(&path, &md).unwrap();
    actions::append_step_summary(&path, &md).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{md}{md}"));
}

#[test]
fn step_summary_stays_within_githubs_limit() {
    let long = "x".repeat(400);
    let rows: Vec<TargetRow> = (0..5_000)
        .map(|i| TargetRow::new("prod", format!("store-{i:04}"), "failed", long.as_str()))
        .collect();
    let md = step_summary("deploy prod", &rows);
    assert!(md.len() <= actions::MAX_SUMMARY_BYTES, "{}", md.len());
    assert!(md.contains("more rows not shown"));
    assert!(md.contains("| prod | store-0000 | failed |"));
}

#[test]
fn summary_rows_follow_the_steps_of_a_run() {
    let cr = ChangeRequest {
        id: "42".into(),
        solution: "shop".into(),
        environment: "stage".into(),
        state: ChangeState::Open,
        head: CommitId::new(SHA_A),
        base: Some(CommitId::new(SHA_B)),
        title: "wo: shop stage".into(),
        body: String::new(),
        provenance: provenance("stage"),
        url: Some("https://github.com/acme/shop-gitops/pull/42".into()),
    };
    let steps = vec![
        StepOutcome::Deployed(Box::new(DeployOutcome {
            environment: "dev".into(),
            gitops_commit: CommitId::new(SHA_B),
            provenance: provenance("dev"),
            chart: None,
            report: DeploymentReport {
                version: "1.0.3".into(),
                results: BTreeMap::from([
                    ("berlin-1".to_owned(), TargetOutcome::Deployed),
                    (
                        "london-1".to_owned(),
                        TargetOutcome::Failed {
                            message: "timeout".into(),
                        },
                    ),
                ]),
            },
            next: vec![],
        })),
        StepOutcome::Halted {
            environment: "dev".into(),
            source_commit: CommitId::new(SHA_A),
            reason: "london-1 failed".into(),
        },
        StepOutcome::Prepared(Box::new(PrepareOutcome {
            environment: "stage".into(),
            provenance: provenance("stage"),
            targets: vec!["paris-1".into()],
            proposal: ProposeOutcome::Opened(cr),
            policy: None,
            policy_marked: None,
        })),
    ];
    assert_eq!(
        summary_rows(&steps),
        vec![
            TargetRow::new("dev", "berlin-1", "deployed", "version 1.0.3"),
            TargetRow::new("dev", "london-1", "failed", "timeout"),
            TargetRow::new("dev", "-", "halted", "6113728: london-1 failed"),
            TargetRow::new(
                "stage",
                "paris-1",
                "rendered",
                "change request 42 (opened): https://github.com/acme/shop-gitops/pull/42"
            ),
        ]
    );
}

#[test]
fn summary_rows_say_what_a_fleet_apply_did_or_why_it_was_skipped() {
    let steps = vec![
        StepOutcome::FleetApplied {
            environment: "dev".into(),
            fleet_commit: CommitId::new(SHA_A),
            report: FleetReport {
                created: 1,
                updated: 0,
                unchanged: 2,
                ..FleetReport::default()
            },
        },
        StepOutcome::Skipped {
            action: Action::ApplyFleet {
                environment: "stage".into(),
            },
            reason: "no fleet onboarding is configured".into(),
        },
    ];
    assert_eq!(
        summary_rows(&steps),
        vec![
            TargetRow::new(
                "dev",
                "-",
                "fleet applied",
                "fleet 6113728: 1 created, 0 updated, 2 unchanged"
            ),
            TargetRow::new(
                "stage",
                "-",
                "skipped",
                "apply-fleet stage: no fleet onboarding is configured"
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Workflows
// ---------------------------------------------------------------------------------------------

fn generated() -> Vec<(String, String)> {
    workflows(&InitOptions::new("acme", "shop")).unwrap()
}

fn file<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
    &files
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .1
}

#[test]
fn workflows_cover_the_six_repositories_deterministically() {
    let files = generated();
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "platform-config/.github/workflows/notify-on-config-change.yml",
            "platform-control-plane/.github/workflows/ci-handoff.yml",
            "platform-control-plane/.github/workflows/deploy.yml",
            "platform-control-plane/.github/workflows/prepare-pr.yml",
            "platform-gitops/.github/workflows/notify-on-pr.yml",
            "platform-gitops/.github/workflows/policy-check.yml",
            "shop-config/.github/workflows/notify-on-config-change.yml",
            "shop-gitops/.github/workflows/notify-on-pr.yml",
            "shop-gitops/.github/workflows/policy-check.yml",
            "shop-source/.github/workflows/ci-handoff.yml",
            "shop-source/.github/workflows/deploy.yml",
            "shop-source/.github/workflows/prepare-pr.yml",
        ]
    );
    assert_eq!(files, generated(), "same options, same bytes");
    for (path, yaml) in &files {
        assert!(
            yaml.starts_with("# Generated by `wo init github`"),
            "{path}"
        );
        assert!(!yaml.contains('\t') && !yaml.contains("\r"), "{path}");
        assert!(yaml.ends_with('\n') && !yaml.ends_with("\n\n"), "{path}");
    }
}

#[test]
fn every_action_is_pinned_to_a_full_sha_with_its_version() {
    for pin in pins::ALL.iter().chain([&actions::UPLOAD_SARIF]) {
        assert_eq!(pin.sha.len(), 40, "{pin}");
        assert!(pin
            .sha
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(pin.version.starts_with('v'), "{pin}");
    }
    // wo's own action is the one referenced by its release tag (see `pins`), at exactly the
    // version the workflows install.
    let wo = pins::wo_action(env!("CARGO_PKG_VERSION"));
    let mut cargo = InitOptions::new("acme", "shop");
    cargo.install = WoInstall::Cargo;
    for (mode, files) in [
        ("action", generated()),
        ("cargo", workflows(&cargo).unwrap()),
    ] {
        let mut used = 0;
        for (path, yaml) in files {
            for line in yaml.lines().filter(|l| l.trim_start().starts_with("uses:")) {
                used += 1;
                let value = line.trim_start().trim_start_matches("uses:").trim();
                assert!(
                    pins::ALL
                        .iter()
                        .chain([&actions::UPLOAD_SARIF])
                        .any(|p| p.to_string() == value)
                        || (mode == "action" && value == wo),
                    "{mode}: {path}: unpinned or unknown action: {value}"
                );
            }
        }
        // prepare-pr 3 and deploy 4 per solution (and 4 more for each of its 3 scheduled jobs
        // that continue rollouts), one per notify workflow, policy-check 3 per gitops repo
        // (checkout, install, upload).
        assert_eq!(used, 48, "{mode}: uses: lines");
    }
}

/// The `permissions:` block of a job, as `scope: level` strings.
fn job_permissions(yaml: &str, job: &str) -> Vec<String> {
    let start = yaml
        .find(&format!("\n  {job}:\n"))
        .unwrap_or_else(|| panic!("no job {job}"));
    let job_text = &yaml[start..];
    let p = job_text
        .find("\n    permissions:")
        .expect("job permissions");
    let rest = &job_text[p + "\n    permissions:".len()..];
    if rest.starts_with(" {}") {
        return vec![];
    }
    rest.lines()
        .skip(1)
        .take_while(|l| l.starts_with("      ") && !l.starts_with("       "))
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn jobs_get_the_least_permissions_they_need() {
    let files = generated();
    for repo in ["shop-source", "platform-control-plane"] {
        let ci = file(&files, &format!("{repo}/.github/workflows/ci-handoff.yml"));
        assert_eq!(job_permissions(ci, "handoff"), vec!["actions: write"]);
        let prepare = file(&files, &format!("{repo}/.github/workflows/prepare-pr.yml"));
        assert_eq!(
            job_permissions(prepare, "prepare-pr"),
            vec!["contents: read", "statuses: write"]
        );
        let deploy = file(&files, &format!("{repo}/.github/workflows/deploy.yml"));
        assert_eq!(
            job_permissions(deploy, "deploy"),
            vec!["contents: read", "id-token: write", "statuses: write"]
        );
        // Pull requests are opened in the gitops repo, through the App token only.
        for y in [prepare, deploy] {
            assert!(y.contains("permission-pull-requests: write"));
        }
    }
    for (path, yaml) in &files {
        assert!(
            yaml.contains("\npermissions:\n  contents: read\n"),
            "{path}: default"
        );
        assert_eq!(
            yaml.contains("id-token: write"),
            path.ends_with("deploy.yml"),
            "{path}: id-token only where Azure is logged in to"
        );
        assert_eq!(
            yaml.contains("pull-requests: write"),
            path.ends_with("deploy.yml") || path.ends_with("prepare-pr.yml"),
            "{path}"
        );
        if path.contains("notify-on") {
            assert_eq!(job_permissions(yaml, "notify"), Vec::<String>::new());
        }
        if path.ends_with("policy-check.yml") {
            assert_eq!(
                job_permissions(yaml, "wo-check"),
                vec!["contents: read", "security-events: write"]
            );
        }
    }
}

#[test]
fn deploy_logs_in_to_azure_by_oidc_and_never_overlaps_per_environment() {
    let files = generated();
    let deploy = file(&files, "shop-source/.github/workflows/deploy.yml");
    assert!(deploy.contains(&format!("uses: {}", pins::AZURE_LOGIN)));
    for key in ["client-id", "tenant-id", "subscription-id"] {
        let var = format!("AZURE_{}", key.replace('-', "_").to_uppercase());
        assert!(
            deploy.contains(&format!("{key}: ${{{{ vars.{var} }}}}")),
            "{key} from vars"
        );
    }
    assert!(!deploy.contains("secrets.AZURE"), "no stored Azure secret");
    assert!(!deploy.contains("client-secret") && !deploy.contains("creds:"));
    assert!(deploy.contains(
        "concurrency:\n  group: wo-deploy-shop-${{ github.event.client_payload.environment || inputs.environment }}\n  cancel-in-progress: false\n"
    ));
    assert!(deploy.contains(
        "environment: ${{ github.event.client_payload.environment || inputs.environment }}"
    ));
    assert!(deploy.contains("if: contains(fromJSON('[\"dev\",\"stage\",\"prod\"]')"));
    assert!(deploy.contains("run: wo on-event --github --role source"));
    assert!(deploy.contains(&format!(
        "      - name: Install wo\n        uses: {}\n        with:\n          version: ${{{{ env.WO_VERSION }}}}\n",
        pins::wo_action(env!("CARGO_PKG_VERSION"))
    )));
    assert!(deploy.contains(&format!("WO_VERSION: \"{}\"", env!("CARGO_PKG_VERSION"))));
    let platform = file(
        &files,
        "platform-control-plane/.github/workflows/deploy.yml",
    );
    assert!(platform.contains("group: wo-deploy-platform-${{"));
    assert!(platform.contains("WO_GITOPS: ${{ github.server_url }}/acme/platform-gitops"));
    assert!(platform.contains("WO_CONFIG: ${{ github.server_url }}/acme/platform-config"));
}

#[test]
fn notifications_dispatch_wo_events_to_the_source_repos() {
    let files = generated();
    let pr = file(&files, "shop-gitops/.github/workflows/notify-on-pr.yml");
    assert!(pr.contains("\"$GITHUB_API_URL/repos/acme/shop-source/dispatches\""));
    assert!(pr.contains(
        "{event_type: \"wo-change-merged\", client_payload: {environment: $environment}}"
    ));
    assert!(
        pr.contains("--arg environment \"$ENVIRONMENT\""),
        "the branch name reaches jq as data"
    );
    assert!(pr.contains("github.event.pull_request.merged == true"));
    assert!(pr.contains("format('wo/{0}/{1}', github.event.pull_request.base.ref, 'shop')"));
    let cfg = file(
        &files,
        "shop-config/.github/workflows/notify-on-config-change.yml",
    );
    assert!(cfg.contains("{event_type: \"wo-config-merged\""));
    let platform = file(
        &files,
        "platform-config/.github/workflows/notify-on-config-change.yml",
    );
    assert!(platform.contains("repos/acme/platform-control-plane/dispatches"));
    // The apps come from vars.WO_APPS (every app of the platform), not from the generating app.
    assert!(!platform.contains("shop-source"), "{platform}");
    assert!(platform.contains("WO_APPS: ${{ vars.WO_APPS }}"));
    assert!(platform.contains("\"$GITHUB_API_URL/repos/acme/$repo/dispatches\""));
    assert!(platform.contains("{event_type: \"wo-platform-config-merged\""));
    let prepare = file(&files, "shop-source/.github/workflows/prepare-pr.yml");
    for t in [
        "wo-source-pushed",
        "wo-config-merged",
        "wo-platform-config-merged",
    ] {
        assert!(prepare.contains(&format!("- \"{t}\"")), "{t}");
    }
    let ci = file(&files, "shop-source/.github/workflows/ci-handoff.yml");
    assert!(ci.contains("actions/workflows/prepare-pr.yml/dispatches"));
    assert!(ci.contains("workflow_run:\n    workflows:\n      - \"CI\"\n    types:\n      - completed\n    branches:\n      - \"main\""));
    assert!(ci.contains("github.event.workflow_run.conclusion == 'success'"));
    assert!(
        ci.contains("COMMIT: ${{ github.event.workflow_run.head_sha }}"),
        "the tested commit, not the default branch's head"
    );
    let deploy = file(&files, "shop-source/.github/workflows/deploy.yml");
    for var in ["AZURE_CLIENT_ID", "AZURE_TENANT_ID"] {
        assert!(
            deploy.contains(&format!("          {var}: ${{{{ vars.{var} }}}}\n"))
                && deploy.contains("id-token: write"),
            "wo's own step signs in with the job's OIDC token and renews it: {var}"
        );
    }
    assert!(
        !prepare.contains("AZURE_CLIENT_ID"),
        "prepare-pr never touches Azure"
    );
}

#[test]
fn no_event_text_is_expanded_inside_a_script() {
    for (path, yaml) in generated() {
        let mut in_run = false;
        for line in yaml.lines() {
            let t = line.trim_start();
            if t.starts_with("run:") {
                in_run = true;
                assert!(!t.contains("${{"), "{path}: {line}");
                continue;
            }
            if in_run && (t.starts_with("- ") || !line.starts_with("          ")) {
                in_run = false;
            }
            if in_run {
                assert!(!line.contains("${{"), "{path}: {line}");
            }
        }
    }
}

#[test]
fn init_options_with_unsafe_names_are_rejected() {
    let mut opts = InitOptions::new("acme", "shop");
    opts.environments = vec!["dev".into(), "on: [push]".into(), "dev".into()];
    opts.app.gitops = "shop-gitops\nrun: curl evil".into();
    let e = workflows(&opts).unwrap_err();
    let keys: Vec<&str> = e
        .diagnostics()
        .iter()
        .map(|d| d.location.key_path.as_str())
        .collect();
    assert_eq!(keys, vec!["app.gitops", "environments[1]", "environments"]);
    let mut same = InitOptions::new("acme", "shop");
    same.platform.config = "shop-config".into();
    assert!(workflows(&same).is_err());
    let mut custom = InitOptions::new("contoso", "kiosk");
    custom.environments = vec!["test".into(), "yes".into()];
    let files = workflows(&custom).unwrap();
    let deploy = file(&files, "kiosk-source/.github/workflows/deploy.yml");
    assert!(
        deploy.contains("          - \"yes\"\n"),
        "environment names stay strings"
    );
    assert!(deploy.contains("WO_SOURCE: ${{ github.server_url }}/contoso/kiosk-source"));
}

// ---------------------------------------------------------------------------------------------
// actionlint
// ---------------------------------------------------------------------------------------------

/// Runs actionlint (with shellcheck) on `files` under `dir`; returns its exit code and output.
fn actionlint(dir: &Path, files: &[PathBuf]) -> (i32, String) {
    let actionlint = wo_test_support::tool("actionlint");
    let shellcheck = wo_test_support::tool("shellcheck");
    let out = Command::new(&actionlint)
        .current_dir(dir)
        .arg("-no-color")
        .arg("-shellcheck")
        .arg(&shellcheck)
        .arg("-pyflakes=")
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", actionlint.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn write_tree(dir: &Path, files: &[(String, String)]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(rel, yaml)| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, yaml).unwrap();
            path
        })
        .collect()
}

#[test]
fn actionlint_finds_nothing_in_the_generated_workflows() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = generated();
    // The second set installs wo with cargo: both modes are linted.
    let mut custom = InitOptions::new("contoso", "kiosk");
    custom.environments = vec!["test".into(), "on".into(), "1.0".into()];
    custom.main_branch = "trunk".into();
    custom.install = WoInstall::Cargo;
    all.extend(
        workflows(&custom)
            .unwrap()
            .into_iter()
            .map(|(p, y)| (format!("contoso/{p}"), y)),
    );
    let paths = write_tree(dir.path(), &all);
    assert_eq!(paths.len(), 24);
    let (code, text) = actionlint(dir.path(), &paths);
    assert_eq!(text, "", "actionlint findings:\n{text}");
    assert_eq!(code, 0, "actionlint exit code");
}

#[test]
fn actionlint_and_shellcheck_do_report_a_broken_workflow() {
    // The linter is only worth trusting if it fails on something: an unquoted variable
    // (shellcheck SC2086), an unknown context and a job permission that does not exist.
    let dir = tempfile::tempdir().unwrap();
    let broken = "name: broken\n\non:\n  push:\n\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    permissions:\n      pull-request: write\n    steps:\n      - run: echo $HOME ${{ nosuch.value }}\n";
    let paths = write_tree(
        dir.path(),
        &[(
            "r/.github/workflows/broken.yml".to_owned(),
            broken.to_owned(),
        )],
    );
    let (code, text) = actionlint(dir.path(), &paths);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("SC2086"), "shellcheck ran: {text}");
    assert!(text.contains("nosuch"), "{text}");
    assert!(text.contains("pull-request"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// How wo is installed (`wo init github --install action|cargo`)
// ---------------------------------------------------------------------------------------------

#[test]
fn by_default_the_workflows_install_wo_with_its_own_action_at_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(InitOptions::new("acme", "shop").install, WoInstall::Action);
    for (path, yaml) in generated() {
        if !path.ends_with("/prepare-pr.yml")
            && !path.ends_with("/deploy.yml")
            && !path.ends_with("/policy-check.yml")
        {
            assert!(!yaml.contains("Install wo"), "{path}");
            continue;
        }
        assert!(
            yaml.contains(&format!("uses: wo-as-code/wo@v{version}\n")),
            "{path}: {yaml}"
        );
        assert!(
            yaml.contains(&format!("WO_VERSION: \"{version}\"")),
            "{path}"
        );
        assert!(
            yaml.contains(&format!(
                "# wo is installed with its action, wo-as-code/wo@v{version} (release binary, SHA-256 checked), and cached.\n"
            )),
            "{path}"
        );
        assert!(!yaml.contains("cargo install"), "{path}");
        assert!(
            !yaml.contains("actions/cache@"),
            "{path}: the action caches itself"
        );
        // The install step comes after the checkout and before wo runs.
        let checkout = yaml.find("uses: actions/checkout@").unwrap();
        let install = yaml.find("uses: wo-as-code/wo@").unwrap();
        let run = yaml
            .find("run: wo on-event")
            .or_else(|| yaml.find("      - name: wo check\n"))
            .unwrap();
        assert!(checkout < install && install < run, "{path}");
    }
}

#[test]
fn with_cargo_the_workflows_install_the_crates_io_package_cached_by_version() {
    let mut opts = InitOptions::new("acme", "shop");
    opts.install = WoInstall::Cargo;
    let files = workflows(&opts).unwrap();
    assert_eq!(files, workflows(&opts).unwrap(), "same options, same bytes");
    let deploy = file(&files, "shop-source/.github/workflows/deploy.yml");
    assert!(deploy.contains(&format!(
        "      - name: Cache wo\n        id: cache-wo\n        uses: {}\n        with:\n          path: ~/.cargo/bin/wo\n          key: woac-cli-${{{{ runner.os }}}}-${{{{ runner.arch }}}}-${{{{ env.WO_VERSION }}}}\n      - name: Install wo\n        if: steps.cache-wo.outputs.cache-hit != 'true'\n        run: cargo install --locked woac-cli --version \"$WO_VERSION\"\n",
        pins::CACHE
    )), "{deploy}");
    assert!(deploy.contains(
        "# wo is installed with `cargo install --locked woac-cli` at WO_VERSION and cached.\n"
    ));
    assert!(!deploy.contains("wo-as-code/wo@"), "{deploy}");
    // Everything but the install steps (and the header line saying how) is the same.
    fn without_install(yaml: &str) -> String {
        let yaml: String = yaml
            .lines()
            .filter(|l| !l.contains("wo is installed with"))
            .map(|l| format!("{l}\n"))
            .collect();
        let start = ["      - name: Cache wo\n", "      - name: Install wo\n"]
            .iter()
            .filter_map(|s| yaml.find(s))
            .min();
        let end = ["      - name: Token for", "      - name: wo check\n"]
            .iter()
            .filter_map(|t| start.and_then(|s| yaml[s..].find(t).map(|e| s + e)))
            .min();
        match (start, end) {
            // Every job's install goes (deploy.yml has two jobs).
            (Some(s), Some(e)) if s < e => {
                without_install(&format!("{}{}", &yaml[..s], &yaml[e..]))
            }
            _ => yaml,
        }
    }
    let action = generated();
    assert_eq!(action.len(), files.len());
    for ((p1, a), (p2, c)) in action.iter().zip(&files) {
        assert_eq!(p1, p2);
        assert_eq!(without_install(a), without_install(c), "{p1}");
    }
}

#[test]
fn the_cargo_package_is_the_workspace_package_of_the_wo_binary() {
    let manifest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wo-cli/Cargo.toml"),
    )
    .unwrap();
    assert!(
        manifest.starts_with(&format!(
            "[package]\nname = \"{}\"\n",
            actions::WO_CLI_PACKAGE
        )),
        "{manifest}"
    );
    assert!(manifest.contains("[[bin]]\nname = \"wo\"\n"));
}

#[test]
fn wo_action_is_the_workspace_repository_at_a_release_tag() {
    assert_eq!(
        format!("https://github.com/{}", pins::wo_repository()),
        env!("CARGO_PKG_REPOSITORY")
    );
    assert_eq!(pins::wo_repository().split('/').count(), 2);
    assert_eq!(pins::wo_action("1.2.3"), "wo-as-code/wo@v1.2.3");
}

#[test]
fn the_wo_version_must_be_a_release_version() {
    for good in ["0.1.0", "10.20.30", "0.2.0-rc.1", "1.0.0-alpha-2"] {
        let mut opts = InitOptions::new("acme", "shop");
        opts.wo_version = good.into();
        assert!(workflows(&opts).is_ok(), "{good}");
    }
    for bad in [
        "latest", "v0.1.0", "0.1", "0.1.0.0", "0.1.0-", "1.x.0", "0..1",
    ] {
        let mut opts = InitOptions::new("acme", "shop");
        opts.wo_version = bad.into();
        let e = workflows(&opts).unwrap_err();
        let keys: Vec<&str> = e
            .diagnostics()
            .iter()
            .map(|d| d.location.key_path.as_str())
            .collect();
        assert_eq!(keys, ["woVersion"], "{bad}");
    }
}

#[test]
fn gitops_pull_requests_are_checked_against_the_releases_policy_and_uploaded_as_sarif() {
    let files = generated();
    for (repo, solution) in [("shop-gitops", "shop"), ("platform-gitops", "platform")] {
        let y = file(
            &files,
            &format!("{repo}/.github/workflows/policy-check.yml"),
        );
        assert!(
            y.contains(
                "on:\n  pull_request:\n    types:\n      - opened\n      - synchronize\n      - reopened\n    branches:\n      - \"dev\"\n      - \"stage\"\n      - \"prod\"\n"
            ),
            "{y}"
        );
        // The pull request's head, not the merge preview, is what merging would bring.
        assert!(
            y.contains("ref: ${{ github.event.pull_request.head.sha }}"),
            "{y}"
        );
        assert!(y.contains(&format!("SOLUTION: \"{solution}\"")), "{y}");
        assert!(
            y.contains("policy=(--policy \"$SOLUTION/policy.yaml\")"),
            "{y}"
        );
        assert!(
            y.contains("wo check \"$SOLUTION\" \"${policy[@]}\" -o sarif > wo.sarif"),
            "{y}"
        );
        // Uploaded even when the check failed (that is when the findings matter most).
        assert!(
            y.contains("if: ${{ !cancelled() && hashFiles('wo.sarif') != '' }}\n        uses: github/codeql-action/upload-sarif@"),
            "{y}"
        );
        assert!(y.contains("sarif_file: wo.sarif"), "{y}");
        assert!(y.contains("- name: Install wo\n"), "{y}");
    }
}
