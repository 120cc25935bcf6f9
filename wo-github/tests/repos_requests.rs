//! How many GitHub requests a change costs: a scripted server plays a gitops repository whose
//! env branch holds `n` files of a solution; the count must not depend on `n`.

#[path = "repos_loopback.rs"]
mod loopback;

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use loopback::{Act, Seen, Server};
use serde_json::json;
use wo_core::files::FileTree;
use wo_core::ports::{ChangeProposal, CommitId, GitOpsRepo, ProposeOutcome};
use wo_github::client::{GitHub, RepoId, RetryPolicy};
use wo_github::repos::{git_blob_sha, GitHubGitOpsRepo, GitHubRepo};

const BASE: &str = "1111111111111111111111111111111111111111";

fn file(i: usize) -> (String, String) {
    (
        format!("shop/t{i:04}/values.yaml"),
        format!("replicas: {i}\n"),
    )
}

/// The env branch `dev` at `BASE` with `n` files under `shop/` and one under `tools/`.
fn env_tree(n: usize) -> serde_json::Value {
    let mut entries = vec![
        json!({ "path": "shop", "mode": "040000", "type": "tree", "sha": "d0" }),
        json!({ "path": "tools/cron.yaml", "mode": "100644", "type": "blob", "sha": git_blob_sha(b"daily\n"), "size": 6 }),
    ];
    for i in 0..n {
        let (path, content) = file(i);
        entries.push(json!({ "path": path, "mode": "100644", "type": "blob", "sha": git_blob_sha(content.as_bytes()), "size": content.len() }));
    }
    json!({ "sha": "tree0", "tree": entries, "truncated": false })
}

fn router(n: usize, blobs: Arc<Mutex<Vec<String>>>) -> impl Fn(&Seen) -> Act + Send + Sync {
    let tree = env_tree(n);
    move |req: &Seen| {
        let p = req.path().trim_start_matches("/repos/octo/gitops");
        match (req.method.as_str(), p) {
            ("GET", "/git/ref/heads%2Fdev") => Act::json(
                200,
                json!({ "ref": "refs/heads/dev", "object": { "type": "commit", "sha": BASE } }),
            ),
            ("GET", x) if x == format!("/git/commits/{BASE}") => Act::json(
                200,
                json!({ "sha": BASE, "tree": { "sha": "tree0" }, "parents": [{ "sha": "0000000000000000000000000000000000000001" }], "message": "earlier\n" }),
            ),
            ("GET", "/git/trees/tree0") => Act::json(200, tree.clone()),
            ("GET", "/pulls") => Act::json(200, json!([])),
            ("POST", "/git/blobs") => {
                let b64 = req.json()["content"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap_or_default();
                let sha = git_blob_sha(&bytes);
                blobs.lock().unwrap().push(sha.clone());
                Act::json(201, json!({ "sha": sha }))
            }
            ("POST", "/git/trees") => Act::json(201, json!({ "sha": "tree1", "tree": [] })),
            ("POST", "/git/commits") => Act::json(
                201,
                json!({ "sha": "2222222222222222222222222222222222222222", "tree": { "sha": "tree1" }, "parents": [{ "sha": BASE }], "message": req.json()["message"] }),
            ),
            ("POST", "/git/refs") => Act::json(
                201,
                json!({ "ref": "refs/heads/wo/dev/shop", "object": { "type": "commit", "sha": "2222222222222222222222222222222222222222" } }),
            ),
            ("POST", "/pulls") => Act::json(
                201,
                json!({ "number": 7, "state": "open", "title": req.json()["title"], "body": req.json()["body"],
                        "head": { "ref": "wo/dev/shop", "sha": "2222222222222222222222222222222222222222" },
                        "base": { "ref": "dev", "sha": BASE }, "html_url": "https://github.example/octo/gitops/pull/7" }),
            ),
            _ => Act::json(
                404,
                json!({ "message": format!("not scripted: {} {}", req.method, req.target) }),
            ),
        }
    }
}

fn proposal(files: FileTree) -> ChangeProposal {
    ChangeProposal {
        solution: "shop".into(),
        environment: "dev".into(),
        base: Some(CommitId::from(BASE)),
        files,
        title: "Deploy shop a1 to dev".into(),
        body: "3 targets changed.".into(),
        provenance: wo_core::testkit::provenance("shop", "dev", "a1"),
    }
}

async fn gitops(server: &Server) -> (GitHub, GitHubGitOpsRepo) {
    let gh = GitHub::builder()
        .base_url(&server.base)
        .token("t")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let repo = GitHubRepo::new(gh.clone(), RepoId::parse("octo/gitops").unwrap());
    (gh, GitHubGitOpsRepo::new(repo))
}

/// Proposes: all `n` files kept but `t0000` and `t0001` changed (new content), `t0002`
/// deleted, and one new file whose bytes are already a blob of the branch (`tools/cron.yaml`).
/// Returns (requests sent, blobs created, tree entries sent).
async fn propose_against(n: usize) -> (u64, Vec<String>, serde_json::Value, ProposeOutcome) {
    let blobs = Arc::new(Mutex::new(Vec::new()));
    let server = Server::route(router(n, blobs.clone())).await;
    let (gh, repo) = gitops(&server).await;
    let mut files = FileTree::new();
    for i in 0..n {
        let (path, content) = file(i);
        let content = match i {
            0 | 1 => format!("replicas: {i}\nchanged: true\n"),
            _ => content,
        };
        if i != 2 {
            files.insert(path, content).unwrap();
        }
    }
    files.insert("shop/cron-copy.yaml", "daily\n").unwrap();
    let outcome = repo.propose(proposal(files)).await.expect("propose");
    let tree_body = server
        .seen()
        .into_iter()
        .find(|s| s.method == "POST" && s.path().ends_with("/git/trees"))
        .map(|s| s.json())
        .unwrap_or_default();
    let created = blobs.lock().unwrap().clone();
    (gh.requests_sent(), created, tree_body, outcome)
}

#[tokio::test]
async fn a_new_pull_request_costs_8_whatever_the_number_of_files() {
    let (small, small_blobs, small_tree, outcome) = propose_against(20).await;
    let (large, large_blobs, large_tree, _) = propose_against(2000).await;
    assert!(
        small_blobs.is_empty() && large_blobs.is_empty(),
        "the new contents ride inside the tree request: {small_blobs:?}"
    );
    assert_eq!(
        small, 8,
        "ref, commit, tree listing, pulls, tree (with the new contents), commit, ref, pull"
    );
    assert_eq!(large, small, "independent of the number of files");
    assert_eq!(small_tree, large_tree, "the tree carries only what changed");
    let entries = small_tree["tree"].as_array().expect("entries");
    assert_eq!(small_tree["base_tree"], "tree0");
    assert_eq!(
        entries.len(),
        4,
        "2 changed, 1 added, 1 deleted: {entries:?}"
    );
    assert!(entries
        .iter()
        .any(|e| e["path"] == "shop/t0002/values.yaml" && e["sha"].is_null()));
    assert!(
        entries.iter().any(|e| e["path"] == "shop/cron-copy.yaml"
            && e["sha"] == git_blob_sha(b"daily\n")
            && e.get("content").is_none()),
        "bytes the repository has are named by their blob id, not sent"
    );
    let changed = entries
        .iter()
        .find(|e| e["path"] == "shop/t0000/values.yaml")
        .expect("t0000 changed");
    assert_eq!(changed["content"], "replicas: 0\nchanged: true\n");
    assert!(
        changed.get("sha").is_none(),
        "GitHub refuses `sha` beside `content`: {changed}"
    );
    match outcome {
        ProposeOutcome::Opened(cr) => {
            assert_eq!(cr.id, "7");
            assert_eq!(cr.base.as_ref().map(CommitId::as_str), Some(BASE));
            assert_eq!(cr.provenance.source_commit.as_str(), "a1");
        }
        other => panic!("expected Opened, got {other:?}"),
    }
}

#[tokio::test]
async fn the_commit_carries_the_trailers_and_the_pull_request_the_body_and_provenance() {
    let blobs = Arc::new(Mutex::new(Vec::new()));
    let server = Server::route(router(3, blobs)).await;
    let (_gh, repo) = gitops(&server).await;
    let mut files = FileTree::new();
    files.insert("shop/new.yaml", "x: 1\n").unwrap();
    repo.propose(proposal(files)).await.expect("propose");
    let seen = server.seen();
    let commit = seen
        .iter()
        .find(|s| s.method == "POST" && s.path().ends_with("/git/commits"))
        .expect("a commit")
        .json();
    assert_eq!(commit["parents"], json!([BASE]));
    let message = commit["message"].as_str().unwrap();
    assert!(message.starts_with("Deploy shop a1 to dev\n\n3 targets changed.\n\n"));
    assert!(message.contains("Wo-Source-Commit: a1\n"));
    let pull = seen
        .iter()
        .find(|s| s.method == "POST" && s.path().ends_with("/pulls"))
        .expect("a pull request")
        .json();
    assert_eq!(pull["head"], "wo/dev/shop");
    assert_eq!(pull["base"], "dev");
    let body = pull["body"].as_str().unwrap();
    assert!(body.starts_with("3 targets changed."));
    assert!(body.contains("Wo-Solution: shop\n"));
    let listing = seen
        .iter()
        .find(|s| s.method == "GET" && s.path().ends_with("/pulls"))
        .expect("the open pull request is looked up");
    assert!(listing.target.contains("head=octo%3Awo%2Fdev%2Fshop"));
    assert!(listing.target.contains("state=open"));
    let refs = seen
        .iter()
        .find(|s| s.method == "POST" && s.path().ends_with("/git/refs"))
        .unwrap()
        .json();
    assert_eq!(refs["ref"], "refs/heads/wo/dev/shop");
    assert!(
        !seen
            .iter()
            .any(|s| s.method == "PATCH" && s.path().ends_with("/git/refs/heads%2Fdev")),
        "proposing never touches the env branch"
    );
}

#[tokio::test]
async fn content_equal_to_the_branch_costs_4_reads_and_writes_nothing() {
    let blobs = Arc::new(Mutex::new(Vec::new()));
    let server = Server::route(router(500, blobs.clone())).await;
    let (gh, repo) = gitops(&server).await;
    let mut files = FileTree::new();
    for i in 0..500 {
        let (path, content) = file(i);
        files.insert(path, content).unwrap();
    }
    let outcome = repo.propose(proposal(files)).await.expect("propose");
    assert_eq!(outcome, ProposeOutcome::NoDifference { closed: None });
    assert_eq!(gh.requests_sent(), 4);
    assert!(server.seen().iter().all(|s| s.method == "GET"));
}

#[tokio::test]
async fn a_stale_base_is_a_precondition_after_one_commit_read() {
    let blobs = Arc::new(Mutex::new(Vec::new()));
    let server = Server::route(router(3, blobs)).await;
    let (gh, repo) = gitops(&server).await;
    let mut p = proposal(FileTree::new());
    p.base = Some(CommitId::from("9999999999999999999999999999999999999999"));
    let e = repo.propose(p).await.unwrap_err();
    assert!(matches!(e, wo_core::Error::Precondition { .. }), "{e:?}");
    assert_eq!(gh.requests_sent(), 2, "the ref and its commit");
}
