//! The GitHub client against scripted servers on 127.0.0.1: headers, pagination, retries,
//! rate limits, dropped connections, error mapping.
//!
//! Retries wait on a [`ManualClock`] (the waits a client decides on are asserted, none is
//! waited) or not at all (zero backoff); one test waits a real `Retry-After`.

#[path = "repos_loopback.rs"]
mod loopback;

use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use loopback::{Act, Server};
use serde_json::json;
use wo_core::Error;
use wo_github::client::{
    GitHub, GitHubBuilder, NewPullRequest, NewTreeEntry, PullFilter, RepoId, RetryPolicy,
    DEFAULT_RETRY,
};
use wo_http::ManualClock;

const TOKEN: &str = "ghs_s3cretT0kenValue";

/// No backoff: retry tests assert counts and outcomes, never timings.
fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        max_wait: Duration::from_secs(5),
        jitter_percent: 0,
    }
}

fn builder(server: &Server, retry: RetryPolicy) -> GitHubBuilder {
    GitHub::builder()
        .base_url(&server.base)
        .token(TOKEN)
        .retry(retry)
        .timeout(Duration::from_secs(5))
}

fn client(server: &Server, retry: RetryPolicy) -> GitHub {
    builder(server, retry).build().expect("client")
}

/// 2023-11-14T22:13:20Z: the manual clocks' start, so rate-limit resets are exact.
const T0: u64 = 1_700_000_000;

/// A client whose waits are recorded on a manual clock starting at [`T0`], never slept.
fn recorded(server: &Server, retry: RetryPolicy) -> (GitHub, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::starting_at(
        UNIX_EPOCH + Duration::from_secs(T0),
    ));
    let gh = builder(server, retry)
        .clock(clock.clone())
        .build()
        .expect("client");
    (gh, clock)
}

fn repo() -> RepoId {
    RepoId::parse("octo/shop").unwrap()
}

fn commit_json(sha: &str) -> serde_json::Value {
    json!({ "sha": sha, "tree": { "sha": "t1" }, "parents": [], "message": "m" })
}

fn rate_json() -> serde_json::Value {
    json!({ "resources": {}, "rate": { "limit": 5000, "remaining": 4999, "reset": 1, "used": 1 } })
}

fn pull_json(n: u64) -> serde_json::Value {
    json!({
        "number": n, "state": "open", "title": format!("t{n}"), "body": null,
        "head": { "ref": "wo/dev/shop", "sha": "h", "label": "octo:wo/dev/shop" },
        "base": { "ref": "dev", "sha": "b", "label": "octo:dev" },
        "html_url": format!("https://github.example/octo/shop/pull/{n}"),
    })
}

#[tokio::test]
async fn every_request_carries_version_accept_agent_and_bearer_token() {
    let server = Server::queue(vec![Act::json(200, rate_json())]).await;
    let gh = client(&server, quick());
    let limit = gh.rate_limit().await.expect("rate limit");
    assert_eq!(limit.rate.remaining, 4999);
    let seen = &server.seen()[0];
    assert_eq!(seen.path(), "/rate_limit");
    assert_eq!(seen.headers["x-github-api-version"], "2022-11-28");
    assert_eq!(seen.headers["accept"], "application/vnd.github+json");
    assert!(seen.headers["user-agent"].starts_with("wo/"));
    assert_eq!(seen.headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(gh.requests_sent(), 1);
}

#[tokio::test]
async fn the_token_never_shows_in_debug_or_errors() {
    // A hostile or buggy server that echoes the credentials back.
    let echo = format!("{{\"message\":\"Bad credentials: Bearer {TOKEN}\"}}");
    let server = Server::queue(vec![
        Act::Reply {
            status: 401,
            headers: vec![],
            body: echo.clone(),
        },
        Act::Reply {
            status: 403,
            headers: vec![],
            body: echo,
        },
    ])
    .await;
    let gh = client(&server, quick());
    assert!(!format!("{gh:?}").contains(TOKEN), "Debug of the client");
    assert!(format!("{gh:?}").contains("<redacted>"));
    assert!(!format!("{:?}", GitHub::builder().token(TOKEN)).contains(TOKEN));

    let e = gh.get_commit(&repo(), "abc").await.unwrap_err();
    assert!(
        matches!(&e, Error::Unauthenticated { message, .. } if message.contains("GITHUB_TOKEN")),
        "401 is Unauthenticated, telling what to fix: {e:?}"
    );
    assert!(!e.to_string().contains(TOKEN) && !format!("{e:?}").contains(TOKEN));
    let e = gh.get_commit(&repo(), "abc").await.unwrap_err();
    assert!(matches!(&e, Error::PermissionDenied { message, .. } if message.contains("forbidden")));
    assert!(!e.to_string().contains(TOKEN));
    assert_eq!(gh.requests_sent(), 2, "401 and a plain 403 are not retried");
}

#[tokio::test]
async fn pagination_follows_link_next_across_pages() {
    let server = Server::queue(vec![
        Act::json(200, json!([pull_json(1), pull_json(2)])).with_header(
            "link",
            "<{base}/repositories/42/pulls?state=open&page=2>; rel=\"next\", <{base}/repositories/42/pulls?page=2>; rel=\"last\"",
        ),
        Act::json(200, json!([pull_json(3)]))
            .with_header("link", "<{base}/repositories/42/pulls?page=1>; rel=\"prev\""),
    ])
    .await;
    let gh = client(&server, quick());
    let filter = PullFilter {
        state: Some("open".into()),
        head: Some("octo:wo/dev/shop".into()),
        base: Some("dev".into()),
    };
    let pulls = gh.list_pulls(&repo(), &filter).await.expect("list");
    assert_eq!(
        pulls.iter().map(|p| p.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].target.starts_with("/repos/octo/shop/pulls?"));
    assert!(
        seen[0].target.contains("head=octo%3Awo%2Fdev%2Fshop"),
        "{}",
        seen[0].target
    );
    assert!(seen[0].target.contains("per_page=100"));
    assert_eq!(seen[1].target, "/repositories/42/pulls?state=open&page=2");
    assert_eq!(seen[1].headers["authorization"], format!("Bearer {TOKEN}"));
}

#[tokio::test]
async fn a_next_page_on_another_host_is_not_followed_with_the_token() {
    let server = Server::queue(vec![Act::json(200, json!([pull_json(1)]))
        .with_header("link", "<http://127.0.0.2:9/steal?page=2>; rel=\"next\"")])
    .await;
    let gh = client(&server, quick());
    let e = gh
        .list_pulls(&repo(), &PullFilter::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("another host"), "{e}");
    assert_eq!(gh.requests_sent(), 1);
}

#[tokio::test]
async fn a_502_is_retried_then_succeeds() {
    let server = Server::queue(vec![
        Act::Reply {
            status: 502,
            headers: vec![],
            body: "<html>bad gateway</html>".into(),
        },
        Act::json(200, commit_json("c1")),
    ])
    .await;
    let gh = client(&server, quick());
    let c = gh.get_commit(&repo(), "c1").await.expect("retried");
    assert_eq!(c.sha, "c1");
    assert_eq!(gh.requests_sent(), 2);
    assert_eq!(server.seen().len(), 2);
}

/// The one test of this client that waits on the real clock: a `Retry-After` is slept.
#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let server = Server::queue(vec![
        Act::json(429, json!({ "message": "slow down" })).with_header("retry-after", "1"),
        Act::json(200, commit_json("c1")),
    ])
    .await;
    let gh = client(&server, quick());
    let started = Instant::now();
    gh.get_commit(&repo(), "c1").await.expect("after waiting");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert_eq!(gh.requests_sent(), 2);
}

#[tokio::test]
async fn a_primary_rate_limit_waits_until_the_reset() {
    let server = Server::queue(vec![
        Act::json(
            403,
            json!({ "message": "API rate limit exceeded for user ID 1." }),
        )
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", &(T0 + 2).to_string()),
        Act::json(201, commit_json("c2")),
    ])
    .await;
    let (gh, clock) = recorded(&server, quick());
    // A POST that must not run twice is still retried: a rate-limited request had no effect.
    let c = gh
        .create_commit(&repo(), "m", "t1", &[])
        .await
        .expect("after the reset");
    assert_eq!(c.sha, "c2");
    assert_eq!(clock.sleeps(), [Duration::from_secs(2)], "until the reset");
    assert_eq!(gh.requests_sent(), 2);
}

#[tokio::test]
async fn a_reset_beyond_the_cap_gives_up_at_once_with_a_retryable_error() {
    let server = Server::queue(vec![Act::json(
        403,
        json!({ "message": "API rate limit exceeded" }),
    )
    .with_header("x-ratelimit-remaining", "0")
    .with_header("x-github-request-id", "0400:1F2E:3A4B")
    .with_header("x-ratelimit-reset", &(T0 + 3600).to_string())])
    .await;
    let (gh, clock) = recorded(&server, quick());
    let e = gh.get_commit(&repo(), "c1").await.unwrap_err();
    assert!(clock.sleeps().is_empty(), "an hour is not waited");
    assert!(e.is_retryable(), "{e:?}");
    assert!(e.to_string().contains("primary rate limit"), "{e}");
    assert!(
        e.to_string().contains(&(T0 + 3600).to_string()),
        "names the reset: {e}"
    );
    assert!(
        e.to_string().contains("longer than the 5.0 s allowed"),
        "says why: {e}"
    );
    assert!(
        e.to_string()
            .contains("[x-github-request-id 0400:1F2E:3A4B]"),
        "names GitHub's request id: {e}"
    );
    assert_eq!(gh.requests_sent(), 1);
}

#[tokio::test]
async fn a_secondary_rate_limit_message_is_waited_out() {
    let secondary = || {
        Act::json(
            403,
            json!({ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }),
        )
    };
    let server = Server::queue(vec![
        secondary(),
        Act::json(200, commit_json("c1")),
        secondary(),
        Act::json(200, commit_json("c1")),
    ])
    .await;
    // The default: the minute GitHub asks for.
    let (gh, clock) = recorded(&server, DEFAULT_RETRY);
    gh.get_commit(&repo(), "c1").await.expect("after the wait");
    assert_eq!(clock.sleeps(), [Duration::from_secs(60)]);
    assert_eq!(gh.requests_sent(), 2);
    // Or the configured wait.
    let clock = Arc::new(ManualClock::new());
    let gh = builder(&server, quick())
        .secondary_rate_limit_wait(Duration::from_millis(300))
        .clock(clock.clone())
        .build()
        .unwrap();
    gh.get_commit(&repo(), "c1").await.expect("after the wait");
    assert_eq!(clock.sleeps(), [Duration::from_millis(300)]);
    assert_eq!(gh.secondary_rate_limit_wait(), Duration::from_millis(300));
}

#[tokio::test]
async fn backoffs_double_and_a_retry_after_date_is_honoured() {
    let server = Server::queue(vec![
        Act::json(503, json!({ "message": "Service Unavailable" })),
        Act::json(503, json!({ "message": "Service Unavailable" })),
        Act::json(429, json!({ "message": "slow down" }))
            .with_header("retry-after", "Tue, 14 Nov 2023 22:13:50 GMT"),
        Act::json(200, commit_json("c1")),
    ])
    .await;
    let (gh, clock) = recorded(
        &server,
        RetryPolicy {
            max_wait: Duration::from_secs(60),
            ..DEFAULT_RETRY
        },
    );
    gh.get_commit(&repo(), "c1").await.expect("retried");
    // 500 ms, 1 s (no jitter on a manual clock's whole milliseconds), then the date T0 + 30 s
    // seen from T0 + 1.5 s.
    assert_eq!(
        clock.sleeps(),
        [
            Duration::from_millis(500),
            Duration::from_secs(1),
            Duration::from_millis(28_500)
        ]
    );
    assert_eq!(gh.requests_sent(), 4);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_get() {
    let server = Server::queue(vec![Act::Close, Act::json(200, commit_json("c1"))]).await;
    let gh = client(&server, quick());
    gh.get_commit(&repo(), "c1").await.expect("retried");
    assert_eq!(gh.requests_sent(), 2);
    assert_eq!(server.seen().len(), 2, "the server saw both attempts");
}

#[tokio::test]
async fn a_dropped_connection_is_not_retried_for_a_post_that_must_not_run_twice() {
    let server = Server::queue(vec![Act::Close, Act::json(201, commit_json("c1"))]).await;
    let gh = client(&server, quick());
    let e = gh.create_commit(&repo(), "m", "t1", &[]).await.unwrap_err();
    assert!(
        matches!(&e, Error::Backend { retryable: true, message, .. } if message.contains("not retried")),
        "the caller decides: {e:?}"
    );
    assert_eq!(gh.requests_sent(), 1);
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_content_addressed_post() {
    let server = Server::queue(vec![
        Act::Close,
        Act::json(
            201,
            json!({ "sha": "ce013625030ba8dba906f756967f9e9ca394464a" }),
        ),
    ])
    .await;
    let gh = client(&server, quick());
    let sha = gh.create_blob(&repo(), b"hello\n").await.expect("retried");
    assert_eq!(sha, "ce013625030ba8dba906f756967f9e9ca394464a");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].json(),
        json!({ "content": "aGVsbG8K", "encoding": "base64" })
    );
}

#[tokio::test]
async fn retries_stop_at_the_bound_with_a_retryable_backend_error() {
    let unavailable = || Act::json(503, json!({ "message": "Service Unavailable" }));
    let server = Server::queue(vec![
        unavailable(),
        unavailable(),
        unavailable(),
        unavailable(),
        unavailable(),
    ])
    .await;
    let gh = client(
        &server,
        RetryPolicy {
            max_attempts: 3,
            ..quick()
        },
    );
    let e = gh.get_tree(&repo(), "t1", true).await.unwrap_err();
    assert!(
        matches!(&e, Error::Backend { retryable: true, context, .. } if context.backend.as_deref() == Some("github")),
        "{e:?}"
    );
    assert!(e.to_string().contains("gave up after 3 attempt"), "{e}");
    assert_eq!(gh.requests_sent(), 3);
    assert_eq!(
        server.seen()[0].target,
        "/repos/octo/shop/git/trees/t1?recursive=1"
    );
}

#[tokio::test]
async fn a_server_error_on_a_post_that_must_not_run_twice_is_not_retried() {
    let server = Server::queue(vec![
        Act::json(502, json!({ "message": "bad gateway" })),
        Act::json(201, pull_json(9)),
    ])
    .await;
    let gh = client(&server, quick());
    let pull = NewPullRequest {
        title: "t".into(),
        head: "wo/dev/shop".into(),
        base: "dev".into(),
        body: "b".into(),
    };
    let e = gh.create_pull(&repo(), &pull).await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert_eq!(gh.requests_sent(), 1);
}

#[tokio::test]
async fn a_private_repository_hidden_from_the_token_is_permission_denied() {
    // GitHub answers 404, not 403, to a token without access to a private repository: the
    // client asks the repository itself, and when that is 404 too says so.
    let server = Server::queue(vec![
        Act::json(404, json!({ "message": "Not Found" })),
        Act::json(404, json!({ "message": "Not Found" })),
    ])
    .await;
    let gh = client(&server, quick());
    let e = gh.get_commit(&repo(), "0123").await.unwrap_err();
    let Error::PermissionDenied {
        message, context, ..
    } = &e
    else {
        panic!("expected PermissionDenied, got {e:?}");
    };
    assert!(message.contains("cannot see it"), "{message}");
    assert_eq!(context.repository.as_deref(), Some("octo/shop"));
    assert_eq!(gh.requests_sent(), 2);
}

#[tokio::test]
async fn answers_map_to_semantic_errors_and_4xx_are_never_retried() {
    let server = Server::queue(vec![
        Act::json(404, json!({ "message": "Not Found" })),
        // A 404 under a repository asks the repository itself once: it answers, so the 404
        // is a real NotFound (not a private repository hidden from the token).
        Act::json(200, json!({ "id": 1, "name": "shop", "full_name": "octo/shop" })),
        Act::json(404, json!({ "message": "Not Found" })),
        Act::json(422, json!({ "message": "Update is not a fast forward" })),
        Act::json(422, json!({ "message": "Reference already exists" })),
        Act::json(422, json!({ "message": "Validation Failed", "errors": [{ "code": "custom", "message": "A pull request already exists for octo:wo/dev/shop." }] })),
        Act::json(422, json!({ "message": "No commit found for SHA: 0123" })),
        Act::json(409, json!({ "message": "Git Repository is empty." })),
    ])
    .await;
    let gh = client(&server, quick());
    let r = repo();
    let e = gh.get_commit(&r, "0123").await.unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { what, .. } if what.contains("0123") && what.contains("octo/shop")),
        "404 names the commit and the repo: {e:?}"
    );
    assert!(gh
        .get_ref(&r, "heads/nope")
        .await
        .expect("absent ref")
        .is_none());
    let e = gh.update_ref(&r, "heads/dev", "abc").await.unwrap_err();
    assert!(
        matches!(&e, Error::Precondition { what, .. } if what.contains("heads/dev")),
        "{e:?}"
    );
    let e = gh
        .create_ref(&r, "refs/heads/dev", "abc")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
    let pull = NewPullRequest {
        title: "t".into(),
        head: "wo/dev/shop".into(),
        base: "dev".into(),
        body: String::new(),
    };
    let e = gh.create_pull(&r, &pull).await.unwrap_err();
    assert!(
        matches!(&e, Error::Rejected { message, .. } if message.contains("A pull request already exists")),
        "validation details are kept: {e:?}"
    );
    let status = wo_github::client::NewStatus {
        state: "success".into(),
        target_url: None,
        description: None,
        context: "wo/dev".into(),
    };
    let e = gh.create_status(&r, "0123", &status).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    let e = gh.get_ref(&r, "heads/dev").await.unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { what, .. } if what.contains("empty")),
        "{e:?}"
    );
    assert_eq!(
        gh.requests_sent(),
        8,
        "one request each (and one look at the repository): no 4xx is retried"
    );
}

#[tokio::test]
async fn write_bodies_follow_the_openapi_description() {
    let server = Server::queue(vec![
        Act::json(201, json!({ "sha": "t2", "tree": [], "truncated": false })),
        Act::json(
            200,
            json!({ "ref": "refs/heads/dev", "object": { "type": "commit", "sha": "c2" } }),
        ),
        Act::Reply {
            status: 204,
            headers: vec![],
            body: String::new(),
        },
        Act::Reply {
            status: 204,
            headers: vec![],
            body: String::new(),
        },
    ])
    .await;
    let gh = client(&server, quick());
    let r = repo();
    let tree = gh
        .create_tree(
            &r,
            Some("t1"),
            &[
                NewTreeEntry::file("shop/a.yaml", "b1"),
                NewTreeEntry::delete("shop/old.yaml"),
            ],
        )
        .await
        .expect("tree");
    assert_eq!(tree.sha, "t2");
    gh.update_ref(&r, "heads/dev", "c2").await.expect("ref");
    gh.dispatch_repository(&r, "deploy", &json!({ "env": "dev" }))
        .await
        .expect("dispatch");
    let mut inputs = serde_json::Map::new();
    inputs.insert("env".into(), json!("dev"));
    gh.dispatch_workflow(&r, "wo-deploy.yml", "main", &inputs)
        .await
        .expect("workflow");
    let seen = server.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path()),
        ("POST", "/repos/octo/shop/git/trees")
    );
    assert_eq!(
        seen[0].json(),
        json!({ "base_tree": "t1", "tree": [
            { "path": "shop/a.yaml", "mode": "100644", "type": "blob", "sha": "b1" },
            { "path": "shop/old.yaml", "mode": "100644", "type": "blob", "sha": null },
        ]})
    );
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path()),
        ("PATCH", "/repos/octo/shop/git/refs/heads%2Fdev")
    );
    assert_eq!(
        seen[1].json(),
        json!({ "sha": "c2", "force": false }),
        "never forced"
    );
    assert_eq!(seen[2].path(), "/repos/octo/shop/dispatches");
    assert_eq!(
        seen[2].json(),
        json!({ "event_type": "deploy", "client_payload": { "env": "dev" } })
    );
    assert_eq!(
        seen[3].path(),
        "/repos/octo/shop/actions/workflows/wo-deploy.yml/dispatches"
    );
    assert_eq!(
        seen[3].json(),
        json!({ "ref": "main", "inputs": { "env": "dev" } })
    );
}

#[tokio::test]
async fn from_env_reads_the_api_url_and_token() {
    let server = Server::queue(vec![Act::json(200, rate_json())]).await;
    // Only this test touches these variables in this process.
    std::env::set_var("GITHUB_API_URL", format!("{}/api/v3", server.base));
    std::env::set_var("GITHUB_TOKEN", TOKEN);
    let gh = GitHub::from_env().expect("from env");
    std::env::remove_var("GITHUB_API_URL");
    std::env::remove_var("GITHUB_TOKEN");
    gh.rate_limit().await.expect("rate limit");
    let seen = &server.seen()[0];
    assert_eq!(
        seen.path(),
        "/api/v3/rate_limit",
        "a GHES-style base path is kept"
    );
    assert_eq!(seen.headers["authorization"], format!("Bearer {TOKEN}"));
}

#[tokio::test]
async fn an_answer_larger_than_the_body_budget_is_refused_not_retried() {
    let huge = format!(
        "{{\"sha\": \"c1\", \"pad\": \"{}\"}}",
        "x".repeat(wo_http::MAX_BODY_BYTES)
    );
    let server = Server::queue(vec![
        Act::Reply {
            status: 200,
            headers: vec![],
            body: huge,
        },
        Act::json(200, commit_json("c1")),
    ])
    .await;
    let gh = client(&server, quick());
    let err = gh.get_commit(&repo(), "c1").await.unwrap_err();
    assert!(err.to_string().contains("larger than 32 MiB"), "{err}");
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(server.seen().len(), 1, "not retried");
}
