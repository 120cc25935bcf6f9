//! The fake GitHub over HTTP: its git semantics, GitHub's errors, faults, and — through
//! Stoplight Prism in proxy mode — conformance to GitHub's OpenAPI description.

use base64::Engine as _;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wo_github_fake::{Access, FakeGitHub, Fault, Permission, Repositories, TokenSpec};

/// A small client: every call returns status, headers and the JSON body (Null when empty).
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    raw: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    fn new(base: &str, token: String) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            http,
            base: base.to_owned(),
            token: Some(token),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        // Prism answers 406 to GitHub's own media type: send plain JSON.
        let mut req = self
            .http
            .request(method, &url)
            .header("accept", "application/json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(token) = &self.token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let raw = resp.bytes().await.expect("body").to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            raw,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }
}

fn sha(a: &Answer) -> String {
    a.body["sha"].as_str().expect("sha").to_owned()
}

async fn started() -> (FakeGitHub, Api) {
    let fake = FakeGitHub::start().await.expect("fake starts");
    fake.create_repo("acme", "app");
    let api = Api::new(fake.base_url(), fake.admin_token());
    (fake, api)
}

/// One answer of the scripted traffic: the operation, what came back, what was expected.
struct Seen {
    op: &'static str,
    expected: u16,
    /// A violation Prism is known to report here, which must then be the only one.
    known_violation: Option<&'static str>,
    status: u16,
    violations: Option<String>,
    body: String,
}

#[derive(Default)]
struct Log(Vec<Seen>);

impl Log {
    fn check(&mut self, op: &'static str, expected: u16, a: Answer) -> Answer {
        self.0.push(Seen {
            op,
            expected,
            known_violation: None,
            status: a.status.as_u16(),
            violations: a.header("sl-violations").map(str::to_owned),
            body: String::from_utf8_lossy(&a.raw).chars().take(600).collect(),
        });
        a
    }

    fn failures(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|s| match (s.known_violation, &s.violations) {
                (Some(known), Some(v)) => {
                    s.status != 500 || !v.contains(known) || v.matches("\"message\"").count() != 1
                }
                (Some(_), None) => true,
                (None, v) => s.status != s.expected || v.is_some(),
            })
            .map(|s| {
                format!(
                    "{}: expected {}, got {}; sl-violations: {}; body: {}",
                    s.op,
                    s.expected,
                    s.status,
                    s.violations.as_deref().unwrap_or("-"),
                    s.body
                )
            })
            .collect()
    }
}

/// Every operation of the spec's subset, in an order that makes each one meaningful, with the
/// status each must answer. Paths use the percent-encoded form Prism matches.
async fn traffic(api: &Api, fake: &FakeGitHub, through_prism: bool) -> Log {
    let mut log = Log::default();
    let r = "/repos/acme/app";
    log.check("repos/get", 200, api.get(r).await);
    log.check("rate-limit/get", 200, api.get("/rate_limit").await);
    let main = log.check(
        "git/get-ref",
        200,
        api.get(&format!("{r}/git/ref/heads%2Fmain")).await,
    );
    let main_sha = main.body["object"]["sha"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    log.check(
        "git/get-ref",
        404,
        api.get(&format!("{r}/git/ref/heads%2Fnope")).await,
    );
    let blob = log.check(
        "git/create-blob",
        201,
        api.post(
            &format!("{r}/git/blobs"),
            json!({"content": "replicas: 2\n", "encoding": "utf-8"}),
        )
        .await,
    );
    let blob_sha = sha(&blob);
    log.check(
        "git/create-blob",
        201,
        api.post(
            &format!("{r}/git/blobs"),
            json!({"content": "aGVsbG8=", "encoding": "base64"}),
        )
        .await,
    );
    log.check(
        "git/get-blob",
        200,
        api.get(&format!("{r}/git/blobs/{blob_sha}")).await,
    );
    let commit = log.check(
        "git/get-commit",
        200,
        api.get(&format!("{r}/git/commits/{main_sha}")).await,
    );
    let base_tree = commit.body["tree"]["sha"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    log.check(
        "git/get-tree",
        200,
        api.get(&format!("{r}/git/trees/{base_tree}?recursive=1"))
            .await,
    );
    let tree = log.check(
        "git/create-tree",
        201,
        api.post(
            &format!("{r}/git/trees"),
            json!({
                "base_tree": base_tree,
                "tree": [
                    {"path": "envs/dev/values.yaml", "mode": "100644", "type": "blob", "sha": blob_sha},
                    {"path": "envs/prod/values.yaml", "mode": "100644", "type": "blob", "content": "replicas: 5\n"},
                    {"path": "README.md", "mode": "100644", "type": "blob", "sha": null},
                ],
            }),
        )
        .await,
    );
    let new_commit = log.check(
        "git/create-commit",
        201,
        api.post(
            &format!("{r}/git/commits"),
            json!({
                "message": "Promote dev",
                "tree": sha(&tree),
                "parents": [main_sha],
                "author": {"name": "wo", "email": "wo@example.invalid", "date": "2024-01-02T03:04:05Z"},
            }),
        )
        .await,
    );
    let feature_sha = sha(&new_commit);
    log.check(
        "git/create-ref",
        201,
        api.post(
            &format!("{r}/git/refs"),
            json!({"ref": "refs/heads/feature", "sha": main_sha}),
        )
        .await,
    );
    log.check(
        "git/create-ref",
        422,
        api.post(
            &format!("{r}/git/refs"),
            json!({"ref": "refs/heads/feature", "sha": main_sha}),
        )
        .await,
    );
    log.check(
        "git/update-ref",
        200,
        api.patch(
            &format!("{r}/git/refs/heads%2Ffeature"),
            json!({"sha": feature_sha}),
        )
        .await,
    );
    log.check(
        "git/update-ref",
        422,
        api.patch(
            &format!("{r}/git/refs/heads%2Ffeature"),
            json!({"sha": main_sha}),
        )
        .await,
    );
    log.check(
        "git/list-matching-refs",
        200,
        api.get(&format!("{r}/git/matching-refs/heads")).await,
    );
    log.check(
        "repos/get-content",
        200,
        api.get(&format!(
            "{r}/contents/envs%2Fdev%2Fvalues.yaml?ref=feature"
        ))
        .await,
    );
    log.check(
        "repos/get-content",
        200,
        api.get(&format!("{r}/contents/envs?ref=feature")).await,
    );
    log.check(
        "repos/get-content",
        404,
        api.get(&format!("{r}/contents/nothing.txt")).await,
    );
    log.check(
        "repos/download-tarball-archive",
        302,
        api.get(&format!("{r}/tarball/feature")).await,
    );
    if through_prism {
        // Prism's proxy follows redirects (node-fetch's default; stoplightio/prism#1977), so it
        // validates the tarball's 200 instead of the fake's 302 — and says exactly that.
        let seen = log.0.last_mut().expect("just logged");
        seen.known_violation = Some(
            "Unable to match the returned status code with those defined in the document: 302",
        );
        assert_eq!(
            fake.request_count("fake/tarball"),
            1,
            "Prism followed the 302 to the tarball"
        );
    }
    log.check(
        "repos/compare-commits-with-basehead",
        200,
        api.get(&format!("{r}/compare/main...feature")).await,
    );
    let pr = log.check(
        "pulls/create",
        201,
        api.post(
            &format!("{r}/pulls"),
            json!({"title": "Promote dev", "head": "feature", "base": "main", "body": "Plan: 1 change"}),
        )
        .await,
    );
    let n = pr.body["number"].as_u64().unwrap_or(0);
    log.check(
        "pulls/create",
        422,
        api.post(
            &format!("{r}/pulls"),
            json!({"title": "again", "head": "feature", "base": "main"}),
        )
        .await,
    );
    log.check(
        "pulls/list",
        200,
        api.get(&format!(
            "{r}/pulls?state=all&head=acme:feature&base=main&per_page=10&page=1"
        ))
        .await,
    );
    log.check("pulls/get", 200, api.get(&format!("{r}/pulls/{n}")).await);
    log.check("pulls/get", 404, api.get(&format!("{r}/pulls/999")).await);
    log.check(
        "pulls/update",
        200,
        api.patch(
            &format!("{r}/pulls/{n}"),
            json!({"title": "Promote dev (v2)", "body": "Plan: 2 changes"}),
        )
        .await,
    );
    log.check(
        "pulls/list-files",
        200,
        api.get(&format!("{r}/pulls/{n}/files")).await,
    );
    let comment = log.check(
        "issues/create-comment",
        201,
        api.post(
            &format!("{r}/issues/{n}/comments"),
            json!({"body": "wo plan: ok"}),
        )
        .await,
    );
    let comment_id = comment.body["id"].as_u64().unwrap_or(0);
    log.check(
        "issues/list-comments",
        200,
        api.get(&format!("{r}/issues/{n}/comments")).await,
    );
    log.check(
        "issues/update-comment",
        200,
        api.patch(
            &format!("{r}/issues/comments/{comment_id}"),
            json!({"body": "wo plan: updated"}),
        )
        .await,
    );
    log.check(
        "issues/add-labels",
        200,
        api.post(
            &format!("{r}/issues/{n}/labels"),
            json!({"labels": ["wo", "promotion"]}),
        )
        .await,
    );
    log.check(
        "repos/create-commit-status",
        201,
        api.post(
            &format!("{r}/statuses/{feature_sha}"),
            json!({"state": "success", "context": "wo/validate", "description": "valid",
                   "target_url": "https://ci.example.invalid/1"}),
        )
        .await,
    );
    log.check(
        "repos/create-commit-status",
        201,
        api.post(
            &format!("{r}/statuses/{feature_sha}"),
            json!({"state": "pending"}),
        )
        .await,
    );
    let paged = log.check(
        "repos/list-commit-statuses-for-ref",
        200,
        api.get(&format!(
            "{r}/commits/{feature_sha}/statuses?per_page=1&page=1"
        ))
        .await,
    );
    assert!(paged
        .header("link")
        .is_some_and(|l| l.contains("rel=\"next\"")));
    log.check(
        "repos/get-combined-status-for-ref",
        200,
        api.get(&format!("{r}/commits/feature/status")).await,
    );
    let check = log.check(
        "checks/create",
        201,
        api.post(
            &format!("{r}/check-runs"),
            json!({"name": "wo validate", "head_sha": feature_sha, "status": "in_progress"}),
        )
        .await,
    );
    let check_id = check.body["id"].as_u64().unwrap_or(0);
    log.check(
        "checks/update",
        200,
        api.patch(
            &format!("{r}/check-runs/{check_id}"),
            json!({"conclusion": "success", "output": {"title": "ok", "summary": "all valid"}}),
        )
        .await,
    );
    log.check(
        "repos/create-dispatch-event",
        204,
        api.post(
            &format!("{r}/dispatches"),
            json!({"event_type": "wo-deploy", "client_payload": {"env": "dev"}}),
        )
        .await,
    );
    log.check(
        "actions/create-workflow-dispatch",
        204,
        api.post(
            &format!("{r}/actions/workflows/deploy.yml/dispatches"),
            json!({"ref": "main", "inputs": {"environment": "dev"}}),
        )
        .await,
    );
    log.check(
        "actions/create-workflow-dispatch",
        200,
        api.post(
            // Not a numeric id: Prism matches "42" against both branches of the spec's
            // `oneOf: [integer, string]` and rejects it.
            &format!("{r}/actions/workflows/promote.yml/dispatches"),
            json!({"ref": "feature", "return_run_details": true}),
        )
        .await,
    );
    log.check(
        "pulls/merge",
        409,
        api.put(
            &format!("{r}/pulls/{n}/merge"),
            json!({"sha": main_sha, "merge_method": "squash"}),
        )
        .await,
    );
    log.check(
        "pulls/merge",
        200,
        api.put(
            &format!("{r}/pulls/{n}/merge"),
            json!({"sha": feature_sha, "merge_method": "merge"}),
        )
        .await,
    );
    log.check(
        "pulls/merge",
        405,
        api.put(&format!("{r}/pulls/{n}/merge"), json!({})).await,
    );
    log.check("pulls/get", 200, api.get(&format!("{r}/pulls/{n}")).await);
    // A pull request that conflicts with its base cannot be merged.
    fake.push_files(
        "acme",
        "app",
        "clash",
        &[("envs/prod/values.yaml", Some("replicas: 9\n"))],
        "clash",
    );
    fake.push_files(
        "acme",
        "app",
        "main",
        &[("envs/prod/values.yaml", Some("replicas: 7\n"))],
        "main moves",
    );
    let clash = log.check(
        "pulls/create",
        201,
        api.post(
            &format!("{r}/pulls"),
            json!({"title": "Clash", "head": "clash", "base": "main"}),
        )
        .await,
    );
    let clash_n = clash.body["number"].as_u64().unwrap_or(0);
    log.check(
        "pulls/get",
        200,
        api.get(&format!("{r}/pulls/{clash_n}")).await,
    );
    log.check(
        "pulls/merge",
        405,
        api.put(&format!("{r}/pulls/{clash_n}/merge"), json!({}))
            .await,
    );
    log.check(
        "pulls/update",
        200,
        api.patch(&format!("{r}/pulls/{clash_n}"), json!({"state": "closed"}))
            .await,
    );
    log.check(
        "pulls/list",
        200,
        api.get(&format!("{r}/pulls?state=closed")).await,
    );
    log.check(
        "pulls/list-files",
        200,
        api.get(&format!("{r}/pulls/{n}/files")).await,
    );
    log.check(
        "repos/compare-commits-with-basehead",
        200,
        api.get(&format!("{r}/compare/feature...main?per_page=1"))
            .await,
    );
    log.check(
        "git/delete-ref",
        204,
        api.delete(&format!("{r}/git/refs/heads%2Fclash")).await,
    );
    // Settings, rulesets, environments, variables, reviews (the operations added for
    // strictness).
    log.check(
        "repos/update",
        200,
        api.patch(r, json!({"allow_rebase_merge": false})).await,
    );
    let ruleset = log.check(
        "repos/create-repo-ruleset",
        201,
        api.post(
            &format!("{r}/rulesets"),
            json!({
                "name": "protected",
                "target": "branch",
                "enforcement": "active",
                "conditions": {"ref_name": {"include": ["refs/heads/protected/*"], "exclude": []}},
                "rules": [
                    {"type": "pull_request", "parameters": {
                        "required_approving_review_count": 1,
                        "dismiss_stale_reviews_on_push": false,
                        "require_code_owner_review": false,
                        "require_last_push_approval": false,
                        "required_review_thread_resolution": false}},
                    {"type": "non_fast_forward"}
                ],
                "bypass_actors": []
            }),
        )
        .await,
    );
    let ruleset_id = ruleset.body["id"].as_u64().unwrap_or(0);
    log.check(
        "repos/get-all-repository-rulesets",
        200,
        api.get(&format!("{r}/rulesets")).await,
    );
    log.check(
        "repos/get-repo-ruleset",
        200,
        api.get(&format!("{r}/rulesets/{ruleset_id}")).await,
    );
    log.check(
        "repos/update-repo-ruleset",
        200,
        api.put(
            &format!("{r}/rulesets/{ruleset_id}"),
            json!({"enforcement": "evaluate"}),
        )
        .await,
    );
    log.check(
        "repos/get-repo-ruleset",
        404,
        api.get(&format!("{r}/rulesets/999999")).await,
    );
    log.check(
        "repos/create-or-update-environment",
        200,
        api.put(
            &format!("{r}/environments/prod"),
            json!({
                "wait_timer": 0,
                "reviewers": [{"type": "User", "id": 1}],
                "deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}
            }),
        )
        .await,
    );
    log.check(
        "repos/get-environment",
        200,
        api.get(&format!("{r}/environments/prod")).await,
    );
    log.check(
        "actions/create-repo-variable",
        201,
        api.post(
            &format!("{r}/actions/variables"),
            json!({"name": "wo_env", "value": "dev"}),
        )
        .await,
    );
    log.check(
        "actions/list-repo-variables",
        200,
        api.get(&format!("{r}/actions/variables")).await,
    );
    log.check(
        "actions/get-repo-variable",
        200,
        api.get(&format!("{r}/actions/variables/WO_ENV")).await,
    );
    log.check(
        "actions/update-repo-variable",
        204,
        api.patch(
            &format!("{r}/actions/variables/WO_ENV"),
            json!({"value": "prod"}),
        )
        .await,
    );
    log.check(
        "repos/list-pull-requests-associated-with-commit",
        200,
        api.get(&format!("{r}/commits/{feature_sha}/pulls")).await,
    );
    fake.push_files("acme", "app", "review-me", &[("r.txt", Some("r\n"))], "r");
    // An App opens this one: a bot user in the answers.
    let app = Api {
        token: Some(
            fake.issue_token(
                TokenSpec::app("wo", Repositories::Owner("acme".into()))
                    .permission(Permission::PullRequests, Access::Write),
            ),
        ),
        ..api.clone()
    };
    let reviewed = log.check(
        "pulls/create",
        201,
        app.post(
            &format!("{r}/pulls"),
            json!({"title": "Review me", "head": "review-me", "base": "main"}),
        )
        .await,
    );
    let rn = reviewed.body["number"].as_u64().unwrap_or(0);
    let reviewer = Api {
        token: Some(
            fake.issue_token(
                TokenSpec::user("reviewer", Repositories::Only(vec!["acme/app".into()]))
                    .permission(Permission::PullRequests, Access::Write),
            ),
        ),
        ..api.clone()
    };
    log.check(
        "pulls/create-review",
        422,
        app.post(
            &format!("{r}/pulls/{rn}/reviews"),
            json!({"event": "APPROVE"}),
        )
        .await,
    );
    log.check(
        "pulls/create-review",
        200,
        reviewer
            .post(
                &format!("{r}/pulls/{rn}/reviews"),
                json!({"event": "APPROVE", "body": "fine"}),
            )
            .await,
    );
    log.check(
        "pulls/list-reviews",
        200,
        api.get(&format!("{r}/pulls/{rn}/reviews")).await,
    );
    log.check(
        "pulls/merge",
        405,
        api.put(
            &format!("{r}/pulls/{rn}/merge"),
            json!({"merge_method": "rebase"}),
        )
        .await,
    );
    log
}

#[tokio::test]
async fn scripted_traffic_answers_every_operation_as_expected() {
    let (fake, api) = started().await;
    let log = traffic(&api, &fake, false).await;
    let failures = log.failures();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let counts = fake.request_counts();
    let spec_ops = wo_github_fake::ROUTES
        .iter()
        .filter(|r| !r.starts_with("fake/"));
    for op in spec_ops {
        assert!(
            counts.get(*op).copied().unwrap_or(0) > 0,
            "{op} was not exercised"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn git_data_api_writes_real_commits_and_checks_fast_forward() {
    let (fake, api) = started().await;
    let r = "/repos/acme/app";
    let main = fake.branch_sha("acme", "app", "main").unwrap();
    let blob = api
        .post(
            &format!("{r}/git/blobs"),
            json!({"content": "a: 1\n", "encoding": "base64"}),
        )
        .await;
    assert_eq!(blob.status, 422, "not base64: {:?}", blob.body);
    let blob = api
        .post(
            &format!("{r}/git/blobs"),
            json!({"content": base64::engine::general_purpose::STANDARD.encode("a: 1\n"), "encoding": "base64"}),
        )
        .await;
    assert_eq!(blob.status, 201);
    // git hash-object of "a: 1\n"
    let expected_sha = git2::Oid::hash_object(git2::ObjectType::Blob, b"a: 1\n")
        .unwrap()
        .to_string();
    assert_eq!(sha(&blob), expected_sha);
    let tree = api
        .post(
            &format!("{r}/git/trees"),
            json!({"base_tree": main, "tree": [
                {"path": "cfg/a.yaml", "mode": "100644", "type": "blob", "sha": expected_sha},
                {"path": "cfg/b.yaml", "mode": "100644", "type": "blob", "content": "b: 2\n"},
                {"path": "README.md", "sha": null, "mode": "100644", "type": "blob"},
            ]}),
        )
        .await;
    assert_eq!(tree.status, 201, "{:?}", tree.body);
    let commit = api
        .post(
            &format!("{r}/git/commits"),
            json!({"message": "two files", "tree": sha(&tree), "parents": [main]}),
        )
        .await;
    assert_eq!(commit.status, 201);
    assert_eq!(commit.body["parents"][0]["sha"], json!(main));
    assert_eq!(commit.body["verification"]["verified"], json!(false));
    let new = sha(&commit);
    // Literal slashes work as on GitHub.
    let up = api
        .patch(&format!("{r}/git/refs/heads/main"), json!({"sha": new}))
        .await;
    assert_eq!(up.status, 200, "{:?}", up.body);
    assert_eq!(up.body["object"]["sha"], json!(new));
    let files = fake.read_tree("acme", "app", "main").unwrap();
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["cfg/a.yaml", "cfg/b.yaml"]
    );
    assert_eq!(files["cfg/b.yaml"], "b: 2\n");

    let back = api
        .patch(&format!("{r}/git/refs/heads/main"), json!({"sha": main}))
        .await;
    assert_eq!(back.status, 422);
    assert_eq!(back.body["message"], json!("Update is not a fast forward"));
    let forced = api
        .patch(
            &format!("{r}/git/refs/heads/main"),
            json!({"sha": main, "force": true}),
        )
        .await;
    assert_eq!(forced.status, 200);
    assert_eq!(fake.branch_sha("acme", "app", "main").unwrap(), main);

    let tree = api.get(&format!("{r}/git/trees/{new}?recursive=1")).await;
    let paths: Vec<&str> = tree.body["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["cfg", "cfg/a.yaml", "cfg/b.yaml"]);
    assert_eq!(tree.body["tree"][0]["mode"], json!("040000"));
    let flat = api.get(&format!("{r}/git/trees/{new}")).await;
    assert_eq!(flat.body["tree"].as_array().unwrap().len(), 1);

    let got = api.get(&format!("{r}/git/blobs/{expected_sha}")).await;
    let content: String = got.body["content"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap(),
        b"a: 1\n"
    );

    let bad_ref = api
        .post(
            &format!("{r}/git/refs"),
            json!({"ref": "heads/x", "sha": main}),
        )
        .await;
    assert_eq!(bad_ref.status, 422);
    let created = api
        .post(
            &format!("{r}/git/refs"),
            json!({"ref": "refs/heads/wo/x", "sha": new}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert!(created
        .header("location")
        .unwrap()
        .ends_with("/git/refs/heads/wo/x"));
    let matching = api.get(&format!("{r}/git/matching-refs/heads/wo")).await;
    assert_eq!(matching.body.as_array().unwrap().len(), 1);
    assert_eq!(
        api.delete(&format!("{r}/git/refs/heads/wo/x")).await.status,
        204
    );
    assert_eq!(
        api.get(&format!("{r}/git/ref/heads/wo/x")).await.status,
        404
    );
    assert_eq!(
        api.delete(&format!("{r}/git/refs/heads/wo/x")).await.status,
        422
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn pulls_filter_merge_and_move_the_base() {
    let (fake, api) = started().await;
    let r = "/repos/acme/app";
    let head = fake.push_files(
        "acme",
        "app",
        "promote/dev",
        &[("dev.yaml", Some("v: 2\n"))],
        "dev v2",
    );
    fake.push_files(
        "acme",
        "app",
        "promote/prod",
        &[("prod.yaml", Some("v: 1\n"))],
        "prod v1",
    );
    let pr = api
        .post(
            &format!("{r}/pulls"),
            json!({"title": "dev", "head": "acme:promote/dev", "base": "main"}),
        )
        .await;
    assert_eq!(pr.status, 201, "{:?}", pr.body);
    assert_eq!(pr.body["head"]["sha"], json!(head));
    assert_eq!(pr.body["mergeable"], json!(true));
    assert_eq!(pr.body["changed_files"], json!(1));
    let dup = api
        .post(
            &format!("{r}/pulls"),
            json!({"title": "dev", "head": "promote/dev", "base": "main"}),
        )
        .await;
    assert_eq!(dup.status, 422);
    assert!(dup.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    let empty = api
        .post(
            &format!("{r}/pulls"),
            json!({"title": "none", "head": "main", "base": "main"}),
        )
        .await;
    assert_eq!(empty.status, 422);
    let prod = api
        .post(
            &format!("{r}/pulls"),
            json!({"title": "prod", "head": "promote/prod", "base": "main"}),
        )
        .await;
    assert_eq!(prod.status, 201);

    let by_head = api.get(&format!("{r}/pulls?head=acme:promote/dev")).await;
    let titles: Vec<&str> = by_head
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["dev"]);
    let paged = api.get(&format!("{r}/pulls?per_page=1")).await;
    assert_eq!(paged.body.as_array().unwrap().len(), 1);
    assert_eq!(
        paged.body[0]["title"],
        json!("prod"),
        "newest first by default"
    );
    assert!(paged.header("link").unwrap().contains("rel=\"next\""));

    // The head moves underneath: a merge guarded by the old sha is refused.
    let n = pr.body["number"].as_u64().unwrap();
    let moved = fake.push_files(
        "acme",
        "app",
        "promote/dev",
        &[("dev.yaml", Some("v: 3\n"))],
        "dev v3",
    );
    let stale = api
        .put(&format!("{r}/pulls/{n}/merge"), json!({"sha": head}))
        .await;
    assert_eq!(stale.status, 409);
    let merged = api
        .put(
            &format!("{r}/pulls/{n}/merge"),
            json!({"sha": moved, "merge_method": "squash"}),
        )
        .await;
    assert_eq!(merged.status, 200, "{:?}", merged.body);
    assert_eq!(merged.body["merged"], json!(true));
    assert_eq!(
        fake.branch_sha("acme", "app", "main").unwrap(),
        sha(&merged)
    );
    assert_eq!(
        fake.read_file("acme", "app", "main", "dev.yaml").unwrap(),
        "v: 3\n"
    );
    assert_eq!(
        fake.log("acme", "app", "main")[0].lines().next().unwrap(),
        "dev (#1)"
    );
    let closed = api.get(&format!("{r}/pulls?state=closed")).await;
    assert_eq!(closed.body[0]["merge_commit_sha"], json!(sha(&merged)));
    let again = api.put(&format!("{r}/pulls/{n}/merge"), json!({})).await;
    assert_eq!(again.status, 405);

    // Rebase replays the prod commit onto the new main.
    let p2 = prod.body["number"].as_u64().unwrap();
    let rebased = api
        .put(
            &format!("{r}/pulls/{p2}/merge"),
            json!({"merge_method": "rebase"}),
        )
        .await;
    assert_eq!(rebased.status, 200);
    let log = fake.log("acme", "app", "main");
    assert_eq!(log[0], "prod v1");
    assert_eq!(
        fake.read_file("acme", "app", "main", "dev.yaml").unwrap(),
        "v: 3\n"
    );
    let pulls = fake.pulls("acme", "app");
    assert!(pulls.iter().all(|p| p.merged && p.state == "closed"));
    fake.shutdown().await;
}

#[tokio::test]
async fn statuses_comments_labels_and_dispatches_are_recorded() {
    let (fake, api) = started().await;
    let r = "/repos/acme/app";
    let main = fake.branch_sha("acme", "app", "main").unwrap();
    let bad = api
        .post(&format!("{r}/statuses/{main}"), json!({"state": "bogus"}))
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["message"], json!("Validation Failed"));
    for (state, context) in [
        ("pending", "wo/a"),
        ("success", "wo/a"),
        ("failure", "wo/b"),
    ] {
        let s = api
            .post(
                &format!("{r}/statuses/{main}"),
                json!({"state": state, "context": context}),
            )
            .await;
        assert_eq!(s.status, 201);
    }
    let combined = api.get(&format!("{r}/commits/main/status")).await;
    assert_eq!(combined.body["state"], json!("failure"));
    assert_eq!(combined.body["total_count"], json!(2));
    let list = api.get(&format!("{r}/commits/{main}/statuses")).await;
    assert_eq!(list.body.as_array().unwrap().len(), 3);
    assert_eq!(list.body[0]["context"], json!("wo/b"));
    assert_eq!(fake.statuses("acme", "app", &main).len(), 3);

    fake.push_files("acme", "app", "f", &[("x", Some("1"))], "x");
    let pr = api
        .post(
            &format!("{r}/pulls"),
            json!({"title": "t", "head": "f", "base": "main"}),
        )
        .await;
    let n = pr.body["number"].as_u64().unwrap();
    let c = api
        .post(
            &format!("{r}/issues/{n}/comments"),
            json!({"body": "first"}),
        )
        .await;
    assert_eq!(c.status, 201);
    let id = c.body["id"].as_u64().unwrap();
    api.patch(
        &format!("{r}/issues/comments/{id}"),
        json!({"body": "edited"}),
    )
    .await;
    assert_eq!(fake.comments("acme", "app", n)[0].body, "edited");
    assert_eq!(
        api.post(&format!("{r}/issues/99/comments"), json!({"body": "x"}))
            .await
            .status,
        404
    );
    let labels = api
        .post(
            &format!("{r}/issues/{n}/labels"),
            json!({"labels": ["a", {"name": "b"}]}),
        )
        .await;
    assert_eq!(labels.body.as_array().unwrap().len(), 2);
    assert_eq!(fake.pulls("acme", "app")[0].labels, ["a", "b"]);

    let d = api
        .post(
            &format!("{r}/dispatches"),
            json!({"event_type": "wo-deploy", "client_payload": {"env": "dev"}}),
        )
        .await;
    assert_eq!(d.status, 204);
    let events = fake.dispatched_events("acme", "app");
    assert_eq!(events[0].event_type, "wo-deploy");
    assert_eq!(events[0].client_payload, json!({"env": "dev"}));
    let w = api
        .post(
            &format!("{r}/actions/workflows/deploy.yml/dispatches"),
            json!({"ref": "main", "inputs": {"e": "x"}}),
        )
        .await;
    assert_eq!(w.status, 204);
    let no_ref = api
        .post(
            &format!("{r}/actions/workflows/deploy.yml/dispatches"),
            json!({"ref": "nope"}),
        )
        .await;
    assert_eq!(no_ref.status, 422);
    assert_eq!(
        fake.workflow_dispatches("acme", "app")[0].workflow,
        "deploy.yml"
    );
    let check = api
        .post(
            &format!("{r}/check-runs"),
            json!({"name": "wo", "head_sha": main, "conclusion": "success"}),
        )
        .await;
    assert_eq!(check.body["status"], json!("completed"));
    assert_eq!(
        fake.check_runs("acme", "app")[0].conclusion.as_deref(),
        Some("success")
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn contents_tarball_and_compare_read_the_repository() {
    let (fake, api) = started().await;
    let r = "/repos/acme/app";
    fake.push_files(
        "acme",
        "app",
        "main",
        &[("envs/dev.yaml", Some("replicas: 1\n"))],
        "dev",
    );
    let file = api.get(&format!("{r}/contents/envs/dev.yaml")).await;
    assert_eq!(file.body["type"], json!("file"));
    let content: String = file.body["content"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap(),
        b"replicas: 1\n"
    );
    let raw = api.get(file.body["download_url"].as_str().unwrap()).await;
    assert_eq!(raw.raw, b"replicas: 1\n");
    let dir = api.get(&format!("{r}/contents/envs")).await;
    assert_eq!(dir.body[0]["name"], json!("dev.yaml"));
    assert_eq!(
        api.get(&format!("{r}/contents/envs/dev.yaml?ref=nope"))
            .await
            .status,
        404
    );

    let redirect = api.get(&format!("{r}/tarball/main")).await;
    assert_eq!(redirect.status, 302);
    let tgz = api.get(redirect.header("location").unwrap()).await;
    assert_eq!(tgz.status, 200);
    assert_eq!(&tgz.raw[..2], &[0x1f, 0x8b], "gzip");
    // Stored deflate blocks: the tar entries are readable in the stream.
    let text = String::from_utf8_lossy(&tgz.raw);
    assert!(text.contains("/envs/dev.yaml") && text.contains("replicas: 1\n"));

    fake.push_files(
        "acme",
        "app",
        "topic",
        &[("envs/dev.yaml", Some("replicas: 2\n"))],
        "two",
    );
    fake.push_files("acme", "app", "main", &[("other", Some("o"))], "other");
    let cmp = api.get(&format!("{r}/compare/main...topic")).await;
    assert_eq!(cmp.body["status"], json!("diverged"));
    assert_eq!(cmp.body["ahead_by"], json!(1));
    assert_eq!(cmp.body["behind_by"], json!(1));
    assert_eq!(cmp.body["files"][0]["filename"], json!("envs/dev.yaml"));
    assert_eq!(cmp.body["files"][0]["status"], json!("modified"));
    fake.shutdown().await;
}

#[tokio::test]
async fn github_errors_headers_and_authentication() {
    let (fake, api) = started().await;
    let anonymous = Api {
        token: None,
        ..api.clone()
    };
    let denied = anonymous.get("/repos/acme/app").await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.body["message"], json!("Requires authentication"));
    let missing = api.get("/repos/acme/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["message"], json!("Not Found"));
    assert!(missing.body["documentation_url"].is_string());
    let ok = api.get("/repos/acme/app").await;
    assert_eq!(
        ok.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(ok.header("x-ratelimit-limit"), Some("5000"));
    assert_eq!(ok.header("x-ratelimit-resource"), Some("core"));
    let used: u64 = ok.header("x-ratelimit-used").unwrap().parse().unwrap();
    let remaining: u64 = ok.header("x-ratelimit-remaining").unwrap().parse().unwrap();
    assert_eq!(used + remaining, 5000);
    assert!(ok.header("x-github-request-id").is_some());
    assert_eq!(ok.body["full_name"], json!("acme/app"));
    assert_eq!(
        ok.body["url"],
        json!(format!("{}/repos/acme/app", fake.base_url()))
    );
    let invalid = api
        .post("/repos/acme/app/pulls", json!({"title": "x"}))
        .await;
    assert_eq!(invalid.status, 422, "missing head");
    fake.shutdown().await;
}

#[tokio::test]
async fn injected_faults_and_concurrent_pushes() {
    let (fake, api) = started().await;
    let r = "/repos/acme/app";
    fake.inject("repos/get", Fault::BadGateway, 2);
    fake.inject(
        "repos/get",
        Fault::TooManyRequests {
            retry_after_secs: 7,
        },
        1,
    );
    fake.inject("repos/get", Fault::secondary_rate_limit(), 1);
    fake.inject("repos/get", Fault::ConnectionReset, 1);
    assert_eq!(api.get(r).await.status, 502);
    assert_eq!(api.get(r).await.status, 502);
    let limited = api.get(r).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("7"));
    let secondary = api.get(r).await;
    assert_eq!(secondary.status, 403);
    assert!(secondary.body["message"]
        .as_str()
        .unwrap()
        .contains("secondary rate limit"));
    let reset = api
        .http
        .get(format!("{}{r}", api.base))
        .header(
            "authorization",
            format!("token {}", api.token.as_deref().unwrap()),
        )
        .send()
        .await;
    assert!(
        reset.is_err(),
        "the connection must close without a response"
    );
    assert_eq!(api.get(r).await.status, 200);
    assert_eq!(fake.request_count("repos/get"), 6);

    // Someone pushes to main between the client's read and its ref update.
    let main = fake.branch_sha("acme", "app", "main").unwrap();
    let tree = api
        .post(&format!("{r}/git/trees"), json!({"base_tree": main, "tree": [{"path": "a", "mode": "100644", "type": "blob", "content": "a"}]}))
        .await;
    let commit = api
        .post(
            &format!("{r}/git/commits"),
            json!({"message": "a", "tree": sha(&tree), "parents": [main]}),
        )
        .await;
    fake.inject(
        "git/update-ref",
        Fault::ConcurrentPush {
            branch: "main".into(),
            files: vec![("b".into(), Some("b".into()))],
        },
        1,
    );
    let lost = api
        .patch(
            &format!("{r}/git/refs/heads/main"),
            json!({"sha": sha(&commit)}),
        )
        .await;
    assert_eq!(lost.status, 422);
    assert_eq!(
        fake.read_file("acme", "app", "main", "b").as_deref(),
        Some("b")
    );
    assert_eq!(fake.read_file("acme", "app", "main", "a"), None);
    fake.shutdown().await;
}

/// A client task whose second write is held by `after_write`: the test kills the task while
/// the write is applied and unanswered, then lets the answer go into the closed connection.
#[tokio::test]
async fn a_client_killed_after_its_nth_write_leaves_that_write_applied() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (fake, api) = started().await;
    let r = "/repos/acme/app";
    let main = fake.branch_sha("acme", "app", "main").unwrap();
    let (reached_tx, reached) = tokio::sync::oneshot::channel::<Vec<String>>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    fake.after_write(2, move |writes| {
        let _ = reached_tx.send(writes.iter().map(ToString::to_string).collect());
        let _ = released.recv();
    });
    let answered = std::sync::Arc::new(AtomicUsize::new(0));
    let client = {
        let (api, main, answered) = (api.clone(), main.clone(), answered.clone());
        tokio::spawn(async move {
            let blob = json!({"content": "x", "encoding": "utf-8"});
            api.post(&format!("{r}/git/blobs"), blob).await;
            answered.fetch_add(1, Ordering::SeqCst);
            // A read between the writes is not a write.
            api.get(&format!("{r}/git/ref/heads/main")).await;
            let x = json!({"ref": "refs/heads/x", "sha": main});
            api.post(&format!("{r}/git/refs"), x).await;
            answered.fetch_add(1, Ordering::SeqCst);
            api.delete(&format!("{r}/git/refs/heads/x")).await;
        })
    };
    let writes = reached.await.expect("the second write is reached");
    assert_eq!(
        writes,
        [
            "POST /repos/acme/app/git/blobs",
            "POST /repos/acme/app/git/refs"
        ],
        "the callback sees the writes so far, this one last"
    );
    client.abort();
    assert!(
        client.await.unwrap_err().is_cancelled(),
        "killed, not ended"
    );
    release.send(()).expect("the held answer goes out");
    assert_eq!(
        answered.load(Ordering::SeqCst),
        1,
        "the client never saw the answer of its second write"
    );
    assert_eq!(
        fake.branch_sha("acme", "app", "x").as_deref(),
        Some(main.as_str()),
        "the second write was applied"
    );
    let writes = fake.writes();
    assert_eq!(writes.len(), 2, "the third was never sent: {writes:?}");
    assert_eq!(writes[1].operation, Some("git/create-ref"));
    fake.shutdown().await;
}

#[tokio::test]
async fn a_gated_write_is_neither_applied_nor_answered() {
    let (fake, api) = started().await;
    let r = "/repos/acme/app";
    let main = fake.branch_sha("acme", "app", "main").unwrap();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = asked.clone();
    fake.gate_writes(move |w| {
        log.lock().unwrap().push(w.to_string());
        !w.path.ends_with("/git/refs")
    });
    let blob = api
        .post(
            &format!("{r}/git/blobs"),
            json!({"content": "x", "encoding": "utf-8"}),
        )
        .await;
    assert_eq!(blob.status, 201);
    assert_eq!(
        api.get(&format!("{r}/git/ref/heads/main")).await.status,
        200
    );
    let dropped = api
        .http
        .post(format!("{}{r}/git/refs", api.base))
        .header("authorization", "token t")
        .json(&json!({"ref": "refs/heads/x", "sha": main}))
        .send()
        .await;
    assert!(dropped.is_err(), "no answer: {dropped:?}");
    assert_eq!(fake.branch_sha("acme", "app", "x"), None, "not applied");
    assert_eq!(
        *asked.lock().unwrap(),
        [
            "POST /repos/acme/app/git/blobs",
            "POST /repos/acme/app/git/refs"
        ],
        "every write asks the gate, no read does"
    );
    assert_eq!(
        fake.writes()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["POST /repos/acme/app/git/blobs"],
        "a dropped write is not listed"
    );
    fake.ungate_writes();
    let created = api
        .post(
            &format!("{r}/git/refs"),
            json!({"ref": "refs/heads/x", "sha": main}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(fake.writes().len(), 2);
    fake.shutdown().await;
}

#[test]
#[should_panic(expected = "unknown route")]
fn injecting_into_an_unknown_route_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(FakeGitHub::start()).unwrap();
    fake.inject("repos/get-everything", Fault::BadGateway, 1);
}

/// Every operation's traffic through `prism proxy --errors`: Prism validates each request and
/// each of the fake's responses against GitHub's OpenAPI description and answers a violation
/// with an error status and an `sl-violations` header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_finds_no_violation_in_the_fakes_responses() {
    let fake = FakeGitHub::start().await.expect("fake starts");
    fake.create_repo("acme", "app");
    let proxy = tokio::task::spawn_blocking({
        let base = fake.base_url().to_owned();
        move || {
            let spec = wo_test_support::prism::github_openapi_spec();
            wo_test_support::prism::start_prism_proxy(&spec, &base).expect("prism proxy starts")
        }
    })
    .await
    .unwrap();
    let api = Api::new(&proxy.base_url(), fake.admin_token());
    let log = traffic(&api, &fake, true).await;
    let failures = log.failures();
    assert!(
        failures.is_empty(),
        "Prism reported {} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The traffic reached the fake: Prism is a proxy here, not a mock.
    assert!(fake.request_count("pulls/merge") >= 3);
    // Every request reached the fake, plus Prism's one followed redirect.
    assert_eq!(
        log.0.len() + 1,
        fake.request_counts().values().sum::<u64>() as usize
    );
    drop(proxy);
    fake.shutdown().await;
}

fn with_token(api: &Api, token: String) -> Api {
    Api {
        token: Some(token),
        ..api.clone()
    }
}

#[tokio::test]
async fn tokens_act_only_where_and_as_granted() {
    let (fake, api) = started().await;
    fake.create_repo("acme", "secret");
    fake.set_private("acme", "secret", true);
    let unknown = with_token(&api, "ghs_notissuedbythefake".into());
    let denied = unknown.get("/repos/acme/app").await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.body["message"], json!("Bad credentials"));

    let bot = with_token(
        &api,
        fake.issue_token(
            TokenSpec::github_token("acme/app").permission(Permission::Contents, Access::Read),
        ),
    );
    assert!(bot.token.as_deref().unwrap().starts_with("ghs_"));
    // A private repository outside the token's is hidden; a public one is readable.
    assert_eq!(bot.get("/repos/acme/secret").await.status, 404);
    fake.create_repo("acme", "other");
    assert_eq!(bot.get("/repos/acme/other").await.status, 200);
    let outside = bot
        .post(
            "/repos/acme/other/statuses/main",
            json!({"state": "success"}),
        )
        .await;
    assert_eq!(outside.status, 403);
    // Inside its repository, without the permission: GitHub's 403 and the header naming it.
    let head = fake.branch_sha("acme", "app", "main").unwrap();
    let status = bot
        .post(
            &format!("/repos/acme/app/statuses/{head}"),
            json!({"state": "success", "context": "ci"}),
        )
        .await;
    assert_eq!(status.status, 403);
    assert_eq!(
        status.body["message"],
        json!("Resource not accessible by integration")
    );
    assert_eq!(
        status.header("x-accepted-github-permissions"),
        Some("statuses=write")
    );
    let user = with_token(
        &api,
        fake.issue_token(TokenSpec::user(
            "alice",
            Repositories::Only(vec!["acme/secret".into()]),
        )),
    );
    assert!(user.token.as_deref().unwrap().starts_with("github_pat_"));
    let read = user.get("/repos/acme/secret/git/ref/heads%2Fmain").await;
    assert_eq!(
        read.status, 403,
        "a private repository needs contents: read"
    );
    assert_eq!(
        read.body["message"],
        json!("Resource not accessible by personal access token")
    );
    assert_eq!(user.get("/repos/acme/secret").await.status, 200, "metadata");
    // What a token does is recorded as its actor.
    let writer = with_token(
        &api,
        fake.issue_token(
            TokenSpec::github_token("acme/app").permission(Permission::Statuses, Access::Write),
        ),
    );
    let ok = writer
        .post(
            &format!("/repos/acme/app/statuses/{head}"),
            json!({"state": "success", "context": "ci"}),
        )
        .await;
    assert_eq!(ok.status, 201);
    assert_eq!(ok.body["creator"]["login"], json!("github-actions[bot]"));
    assert_eq!(ok.body["creator"]["type"], json!("Bot"));
    assert_eq!(
        fake.statuses("acme", "app", &head)[0].creator,
        "github-actions[bot]"
    );
}

/// A pull request from `branch` (one commit per message) into main, by `api`.
async fn open_pull(fake: &FakeGitHub, api: &Api, branch: &str, messages: &[&str]) -> u64 {
    for (i, m) in messages.iter().enumerate() {
        let path = format!("{branch}-{i}.txt");
        fake.push_files("acme", "app", branch, &[(path.as_str(), Some(*m))], m);
    }
    let created = api
        .post(
            "/repos/acme/app/pulls",
            json!({"title": format!("PR {branch}"), "head": branch, "base": "main"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["number"].as_u64().unwrap()
}

#[tokio::test]
async fn merge_methods_make_what_github_makes_and_obey_the_repository() {
    let (fake, api) = started().await;
    let n = open_pull(&fake, &api, "sq", &["Add a\n\nbecause a"]).await;
    let sq = api
        .put(
            &format!("/repos/acme/app/pulls/{n}/merge"),
            json!({"merge_method": "squash"}),
        )
        .await;
    assert_eq!(sq.status, 200, "{}", sq.body);
    let log = fake.log("acme", "app", "main");
    assert_eq!(log[0], format!("Add a (#{n})\n\nbecause a"));
    assert_eq!(log[1], "Initial commit", "one commit on the base");

    let n = open_pull(&fake, &api, "rb", &["one", "two"]).await;
    let before = fake.branch_sha("acme", "app", "rb").unwrap();
    let rb = api
        .put(
            &format!("/repos/acme/app/pulls/{n}/merge"),
            json!({"merge_method": "rebase"}),
        )
        .await;
    assert_eq!(rb.status, 200);
    let log = fake.log("acme", "app", "main");
    assert_eq!(&log[..2], ["two", "one"]);
    assert_ne!(fake.branch_sha("acme", "app", "main").unwrap(), before);

    let n = open_pull(&fake, &api, "mc", &["m"]).await;
    fake.set_merge_methods("acme", "app", false, true, true);
    let refused = api
        .put(&format!("/repos/acme/app/pulls/{n}/merge"), json!({}))
        .await;
    assert_eq!(refused.status, 405);
    assert_eq!(
        refused.body["message"],
        json!("Merge commits are not allowed on this repository.")
    );
    let repo = api.get("/repos/acme/app").await;
    assert_eq!(repo.body["allow_merge_commit"], json!(false));
    let allowed = api
        .patch("/repos/acme/app", json!({"allow_merge_commit": true}))
        .await;
    assert_eq!(allowed.status, 200);
    let merged = api
        .put(&format!("/repos/acme/app/pulls/{n}/merge"), json!({}))
        .await;
    assert_eq!(merged.status, 200);
    let msg = &fake.log("acme", "app", "main")[0];
    assert_eq!(
        msg,
        &format!("Merge pull request #{n} from acme/mc\n\nPR mc")
    );
    let sha = merged.body["sha"].as_str().unwrap();
    let assoc = api
        .get(&format!("/repos/acme/app/commits/{sha}/pulls"))
        .await;
    assert_eq!(assoc.body[0]["number"], json!(n));
    assert_eq!(
        fake.pulls("acme", "app")[2].merged_by.as_deref(),
        Some(wo_github_fake::ADMIN_LOGIN)
    );
}

#[tokio::test]
async fn events_follow_githubs_trigger_rules() {
    let (fake, api) = started().await;
    fake.take_events();
    let bot = with_token(
        &api,
        fake.issue_token(
            TokenSpec::github_token("acme/app")
                .permission(Permission::Contents, Access::Write)
                .permission(Permission::Actions, Access::Write),
        ),
    );
    let main = fake.branch_sha("acme", "app", "main").unwrap();
    let created = bot
        .post(
            "/repos/acme/app/git/refs",
            json!({"ref": "refs/heads/dev", "sha": main}),
        )
        .await;
    assert_eq!(created.status, 201);
    let dispatched = bot
        .post(
            "/repos/acme/app/dispatches",
            json!({"event_type": "promote", "client_payload": {"env": "dev"}}),
        )
        .await;
    assert_eq!(dispatched.status, 204);
    let n = open_pull(&fake, &api, "feat", &["f"]).await;
    let events = fake.take_events();
    let names: Vec<(&str, Option<&str>, bool)> = events
        .iter()
        .map(|e| (e.name.as_str(), e.action.as_deref(), e.triggers_workflows))
        .collect();
    assert_eq!(
        names,
        [
            ("push", None, false),
            ("repository_dispatch", Some("promote"), true),
            ("push", None, true),
            ("pull_request", Some("opened"), true),
        ]
    );
    assert_eq!(events[0].git_ref.as_deref(), Some("refs/heads/dev"));
    assert_eq!(events[0].payload["created"], json!(true));
    assert_eq!(
        events[0].payload["sender"]["login"],
        json!("github-actions[bot]")
    );
    assert_eq!(events[3].payload["pull_request"]["number"], json!(n));
    fake.push_files("acme", "app", "feat", &[("g.txt", Some("g"))], "g");
    let merged = api
        .put(&format!("/repos/acme/app/pulls/{n}/merge"), json!({}))
        .await;
    assert_eq!(merged.status, 200);
    let events = fake.take_events();
    let names: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e.name.as_str(), e.action.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("push", None),
            ("pull_request", Some("synchronize")),
            ("pull_request", Some("closed")),
            ("push", None),
        ]
    );
    assert_eq!(events[2].payload["pull_request"]["merged"], json!(true));
}

#[tokio::test]
async fn rulesets_and_reviews_guard_the_protected_branch() {
    let (fake, api) = started().await;
    fake.push_files(
        "acme",
        "app",
        "main",
        &[(".github/CODEOWNERS", Some("/envs/ @acme/ops\n"))],
        "owners",
    );
    fake.set_team("acme", "ops", &["olga"]);
    let app_id = FakeGitHub::app_id("wo-release");
    fake.add_ruleset(
        "acme",
        "app",
        json!({
            "name": "main",
            "target": "branch",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": [
                {"type": "pull_request", "parameters": {"required_approving_review_count": 1, "require_code_owner_review": true}},
                {"type": "required_status_checks", "parameters": {"required_status_checks": [{"context": "ci"}]}},
                {"type": "non_fast_forward"}
            ],
            "bypass_actors": [{"actor_id": app_id, "actor_type": "Integration", "bypass_mode": "always"}]
        }),
    );
    let main = fake.branch_sha("acme", "app", "main").unwrap();
    let next = fake.push_files("acme", "app", "side", &[("x", Some("x"))], "x");
    let direct = api
        .patch(
            "/repos/acme/app/git/refs/heads%2Fmain",
            json!({"sha": next, "force": true}),
        )
        .await;
    assert_eq!(direct.status, 422);
    let message = direct.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Repository rule violations found"),
        "{message}"
    );
    assert!(
        message.contains("Changes must be made through a pull request."),
        "{message}"
    );
    // The bypass actor may push, but nobody may force-push… except by bypass.
    let release = with_token(
        &api,
        fake.issue_token(
            TokenSpec::app("wo-release", Repositories::Owner("acme".into()))
                .permission(Permission::Contents, Access::Write),
        ),
    );
    assert_eq!(
        release
            .patch(
                "/repos/acme/app/git/refs/heads%2Fmain",
                json!({"sha": next})
            )
            .await
            .status,
        200
    );
    assert_ne!(main, next);

    fake.push_files(
        "acme",
        "app",
        "change",
        &[("envs/dev.yaml", Some("a: 1\n"))],
        "dev",
    );
    let created = api
        .post(
            "/repos/acme/app/pulls",
            json!({"title": "dev", "head": "change", "base": "main"}),
        )
        .await;
    let n = created.body["number"].as_u64().unwrap();
    let head = created.body["head"]["sha"].as_str().unwrap().to_owned();
    let merge = |api: Api| async move {
        api.put(&format!("/repos/acme/app/pulls/{n}/merge"), json!({}))
            .await
    };
    let blocked = merge(api.clone()).await;
    assert_eq!(blocked.status, 405);
    let text = blocked.body["message"].as_str().unwrap().to_owned();
    assert!(text.contains("At least 1 approving review"), "{text}");
    assert!(
        text.contains("Waiting on code owner review from @olga."),
        "{text}"
    );
    assert!(
        text.contains("Required status check \"ci\" is expected."),
        "{text}"
    );
    // The author cannot approve their own pull request.
    let own = api
        .post(
            &format!("/repos/acme/app/pulls/{n}/reviews"),
            json!({"event": "APPROVE"}),
        )
        .await;
    assert_eq!(own.status, 422);
    let olga = with_token(
        &api,
        fake.issue_token(
            TokenSpec::user("olga", Repositories::Owner("acme".into()))
                .permission(Permission::PullRequests, Access::Write),
        ),
    );
    let approved = olga
        .post(
            &format!("/repos/acme/app/pulls/{n}/reviews"),
            json!({"event": "APPROVE"}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["state"], json!("APPROVED"));
    let still = merge(api.clone()).await;
    assert_eq!(still.status, 405);
    assert!(!still.body["message"]
        .as_str()
        .unwrap()
        .contains("approving"));
    api.post(
        &format!("/repos/acme/app/statuses/{head}"),
        json!({"state": "success", "context": "ci"}),
    )
    .await;
    assert_eq!(merge(api.clone()).await.status, 200);
}

#[tokio::test]
async fn secondary_rate_limits_refuse_then_recover_on_the_test_clock() {
    let (fake, api) = started().await;
    fake.set_secondary_rate_limits(wo_github_fake::SecondaryRateLimits {
        writes_per_minute: 3,
        writes_per_hour: 500,
        points_per_minute: 900,
    });
    let blob = || api.post("/repos/acme/app/git/blobs", json!({"content": "x"}));
    for _ in 0..3 {
        assert_eq!(blob().await.status, 201);
    }
    let limited = blob().await;
    assert_eq!(limited.status, 403);
    assert!(limited.body["message"]
        .as_str()
        .unwrap()
        .starts_with("You have exceeded a secondary rate limit"));
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(fake.content_creating_requests(), 3);
    assert_eq!(fake.secondary_limit_refusals(), 1);
    fake.advance_clock(std::time::Duration::from_secs(60));
    assert_eq!(blob().await.status, 201);
    assert_eq!(fake.request_count("git/create-blob"), 5);

    let dup = api
        .post(
            "/repos/acme/app/actions/variables",
            json!({"name": "A", "value": "1"}),
        )
        .await;
    assert_eq!(dup.status, 201);
    fake.advance_clock(std::time::Duration::from_secs(60));
    let again = api
        .post(
            "/repos/acme/app/actions/variables",
            json!({"name": "a", "value": "2"}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(fake.variables("acme", "app")["A"], "1");
}

/// The problems of `value` against `schema` of GitHub's webhook description: `$ref`, `type`
/// (one or a list), `required`, `properties`, `items`, `allOf`, `anyOf`/`oneOf` (one
/// alternative suffices), `enum`. Enough to catch a missing or mistyped key.
fn schema_problems(spec: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return schema_problems(spec, &spec["components"]["schemas"][name], value, at, out);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let nullable = schema["nullable"] == json!(true);
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let type_ok = types.is_empty()
        || types.contains(&kind)
        || (kind == "integer" && types.contains(&"number"))
        || (kind == "null" && nullable);
    if !type_ok {
        out.push(format!("{at}: {kind} where the schema says {types:?}"));
        return;
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !value.is_null() && !choices.contains(value) {
            out.push(format!("{at}: {value} is not one of {choices:?}"));
        }
    }
    for all in schema["allOf"].as_array().into_iter().flatten() {
        schema_problems(spec, all, value, at, out);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = schema[key].as_array() {
            let fits = alternatives.iter().any(|alt| {
                let mut probe = Vec::new();
                schema_problems(spec, alt, value, at, &mut probe);
                probe.is_empty()
            });
            if !(fits || value.is_null() && nullable) {
                out.push(format!("{at}: fits none of {key}"));
            }
        }
    }
    if let Value::Object(map) = value {
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap();
            if !map.contains_key(req) {
                out.push(format!("{at}: missing required {req:?}"));
            }
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, v) in map {
                if let Some(s) = props.get(k) {
                    schema_problems(spec, s, v, &format!("{at}.{k}"), out);
                }
            }
        }
    }
    if let Value::Array(items) = value {
        for (i, item) in items.iter().enumerate() {
            schema_problems(spec, &schema["items"], item, &format!("{at}[{i}]"), out);
        }
    }
}

#[tokio::test]
async fn event_payloads_fit_githubs_webhook_schemas() {
    let (fake, api) = started().await;
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../wo-github/tests/specs/github/webhooks.subset.json"
        ))
        .expect("webhooks.subset.json"),
    )
    .unwrap();
    let n = open_pull(&fake, &api, "feat", &["f"]).await;
    assert_eq!(
        api.put(&format!("/repos/acme/app/pulls/{n}/merge"), json!({}))
            .await
            .status,
        200
    );
    api.post(
        "/repos/acme/app/dispatches",
        json!({"event_type": "promote", "client_payload": {"env": "dev"}}),
    )
    .await;
    api.post(
        "/repos/acme/app/actions/workflows/deploy.yml/dispatches",
        json!({"ref": "main", "inputs": {"environment": "dev"}}),
    )
    .await;
    let events = fake.events();
    let mut checked = Vec::new();
    let mut problems = Vec::new();
    for e in &events {
        let schema = match (e.name.as_str(), e.action.as_deref()) {
            ("push", _) => "webhook-push",
            ("pull_request", Some("closed")) => "webhook-pull-request-closed",
            ("repository_dispatch", _) => "webhook-repository-dispatch-sample",
            ("workflow_dispatch", _) => "webhook-workflow-dispatch",
            _ => continue,
        };
        checked.push(schema);
        schema_problems(
            &spec,
            &json!({ "$ref": format!("#/components/schemas/{schema}") }),
            &e.payload,
            schema,
            &mut problems,
        );
    }
    for want in [
        "webhook-push",
        "webhook-pull-request-closed",
        "webhook-repository-dispatch-sample",
        "webhook-workflow-dispatch",
    ] {
        assert!(checked.contains(&want), "no event checked against {want}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
