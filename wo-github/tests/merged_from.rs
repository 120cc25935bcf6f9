//! `GitOpsRepo::merged_from` on GitHub against a scripted server: the pull request a merge
//! button merged into an env commit (`GET /repos/{o}/{r}/commits/{sha}/pulls`), and its head.

#[path = "repos_loopback.rs"]
mod loopback;

use loopback::{Act, Seen, Server};
use serde_json::json;
use wo_core::ports::{CommitId, GitOpsRepo};
use wo_github::client::{GitHub, RepoId, RetryPolicy};
use wo_github::repos::{GitHubGitOpsRepo, GitHubRepo};

const MERGE: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HEAD: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const OTHER: &str = "cccccccccccccccccccccccccccccccccccccccc";
const UNKNOWN: &str = "dddddddddddddddddddddddddddddddddddddddd";

fn pull(
    number: u64,
    base: &str,
    head_ref: &str,
    head: &str,
    merged_as: Option<&str>,
) -> serde_json::Value {
    json!({
        "number": number, "state": "closed", "title": "shop: dev ← source a1",
        "head": { "ref": head_ref, "sha": head }, "base": { "ref": base, "sha": OTHER },
        "merged_at": merged_as.map(|_| "2026-12-04T10:00:00Z"), "merge_commit_sha": merged_as,
    })
}

fn router(req: &Seen) -> Act {
    let p = req.path().trim_start_matches("/repos/octo/gitops");
    let trailers = wo_core::testkit::provenance("shop", "dev", "a1")
        .commit_message("shop: dev ← source a1", "");
    match (req.method.as_str(), p) {
        ("GET", x) if x == format!("/commits/{MERGE}/pulls") => Act::json(
            200,
            json!([
                // Open, or into another branch, or from a branch not wo's: not it.
                pull(3, "dev", "wo/dev/shop", OTHER, None),
                pull(4, "stage", "wo/stage/shop", OTHER, Some(MERGE)),
                pull(5, "dev", "feature/x", OTHER, Some(MERGE)),
                pull(7, "dev", "wo/dev/shop", HEAD, Some(MERGE)),
            ]),
        ),
        ("GET", x) if x == format!("/commits/{HEAD}/pulls") => Act::json(
            200,
            json!([pull(7, "dev", "wo/dev/shop", HEAD, Some(MERGE))]),
        ),
        ("GET", x) if x == format!("/git/commits/{HEAD}") => Act::json(
            200,
            json!({ "sha": HEAD, "tree": { "sha": "tree7" }, "parents": [{ "sha": OTHER }], "message": trailers }),
        ),
        ("GET", x) if x == format!("/commits/{UNKNOWN}/pulls") => {
            Act::json(422, json!({ "message": "No commit found for SHA: dddd" }))
        }
        ("GET", "") => Act::json(
            200,
            json!({ "full_name": "octo/gitops", "default_branch": "main" }),
        ),
        _ => Act::json(404, json!({ "message": "Not Found" })),
    }
}

#[tokio::test]
async fn the_merged_pull_request_of_an_env_commit_names_its_head() {
    let server = Server::route(router).await;
    let gh = GitHub::builder()
        .base_url(&server.base)
        .token("t")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let repo = GitHubGitOpsRepo::new(GitHubRepo::new(gh, RepoId::parse("octo/gitops").unwrap()));

    let origin = repo
        .merged_from("dev", &CommitId::from(MERGE))
        .await
        .expect("merged_from")
        .expect("pull request #7 merged into it");
    assert_eq!(origin.id.as_str(), HEAD);
    assert_eq!(origin.tree, "tree7");
    assert_eq!(
        origin.provenance,
        Some(wo_core::testkit::provenance("shop", "dev", "a1"))
    );
    let paths: Vec<String> = server.seen().iter().map(|s| s.path().to_string()).collect();
    assert_eq!(
        paths,
        [
            format!("/repos/octo/gitops/commits/{MERGE}/pulls"),
            format!("/repos/octo/gitops/git/commits/{HEAD}"),
        ],
        "one lookup, then the head of the one pull request that made the commit"
    );

    // The pull request's own head commit was merged as nothing: it names no other.
    assert_eq!(
        repo.merged_from("dev", &CommitId::from(HEAD))
            .await
            .expect("merged_from"),
        None
    );
    let unknown = repo.merged_from("dev", &CommitId::from(UNKNOWN)).await;
    assert!(
        matches!(unknown, Err(wo_core::Error::NotFound { .. })),
        "{unknown:?}"
    );
}
