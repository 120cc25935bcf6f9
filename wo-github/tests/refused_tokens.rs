//! A refused token against scripted servers on 127.0.0.1: the error names where the token came
//! from, the repository and — from GitHub's `x-accepted-github-permissions` — the permission it
//! lacks; a secondary rate limit (also a 403) is still waited out, not reported as a missing
//! permission; and the token itself shows nowhere.

#[path = "repos_loopback.rs"]
mod loopback;

use std::time::Duration;

use loopback::{Act, Server};
use serde_json::json;
use wo_core::Error;
use wo_github::client::{GitHub, NewStatus, RepoId, RetryPolicy};

const TOKEN: &str = "ghs_s3cretT0kenValueForRefusals";

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        max_wait: Duration::from_secs(5),
        jitter_percent: 0,
    }
}

fn client(server: &Server, source: &str) -> GitHub {
    GitHub::builder()
        .base_url(&server.base)
        .token(TOKEN)
        .token_source(source)
        .retry(quick())
        .secondary_rate_limit_wait(Duration::ZERO)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

fn success() -> NewStatus {
    NewStatus {
        state: "success".into(),
        target_url: None,
        description: Some("deployed".into()),
        context: "wo/dev".into(),
    }
}

fn not_accessible() -> Act {
    Act::json(
        403,
        json!({ "message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/commits/statuses#create-a-commit-status" }),
    )
    .with_header("x-accepted-github-permissions", "statuses=write")
}

#[tokio::test]
async fn a_403_names_the_token_the_repository_and_the_permission_it_needs() {
    let server = Server::queue(vec![not_accessible()]).await;
    let gh = client(&server, "GITHUB_TOKEN");
    let e = gh
        .create_status(&RepoId::new("acme", "shop-source"), "0123abc", &success())
        .await
        .unwrap_err();
    let Error::PermissionDenied { message, .. } = &e else {
        panic!("expected PermissionDenied, got {e:?}");
    };
    assert_eq!(
        message,
        "`GITHUB_TOKEN` may not create commit statuses on acme/shop-source: it needs \
         `statuses: write` (GitHub answered 403 Resource not accessible by integration); \
         grant it in the workflow's `permissions:` or the App installation"
    );
    assert_eq!(
        e.context().and_then(|c| c.repository.as_deref()),
        Some("acme/shop-source")
    );
    assert!(!e.is_retryable(), "a missing permission is not waited out");
    assert_eq!(gh.requests_sent(), 1, "and not retried");
    assert!(!format!("{e} {e:?} {gh:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out_even_with_the_permissions_header() {
    // GitHub sends `x-accepted-github-permissions` on every answer to a fine-grained token;
    // the message, not the status, tells a rate limit from a refusal.
    let limited = Act::json(
        403,
        json!({ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }),
    )
    .with_header("x-accepted-github-permissions", "statuses=write")
    .with_header("retry-after", "0");
    let created = Act::json(
        201,
        json!({ "id": 1, "state": "success", "context": "wo/dev", "description": "deployed" }),
    );
    let server = Server::queue(vec![limited, created]).await;
    let gh = client(&server, "WO_GITHUB_TOKEN");
    let status = gh
        .create_status(&RepoId::new("acme", "shop-source"), "0123abc", &success())
        .await
        .expect("retried after the limit");
    assert_eq!(status.context, "wo/dev");
    assert_eq!(gh.requests_sent(), 2);
}

#[tokio::test]
async fn a_401_names_the_variable_the_token_came_from_and_the_repository() {
    let server = Server::queue(vec![Act::json(
        401,
        json!({ "message": "Bad credentials" }),
    )])
    .await;
    let gh = client(&server, "WO_GITHUB_TOKEN_CONFIG");
    let e = gh
        .get_ref(&RepoId::new("acme", "shop-config"), "heads/dev")
        .await
        .unwrap_err();
    let Error::Unauthenticated { message, .. } = &e else {
        panic!("expected Unauthenticated, got {e:?}");
    };
    assert!(
        message.starts_with(
            "GitHub rejected `WO_GITHUB_TOKEN_CONFIG` for acme/shop-config (401: Bad credentials)"
        ),
        "{message}"
    );
    assert_eq!(gh.token_source(), Some("WO_GITHUB_TOKEN_CONFIG"));
}

#[tokio::test]
async fn a_private_repository_the_token_cannot_see_says_so_naming_the_token() {
    // The ref answers 404, and so does the repository itself: it does not exist, or it is
    // private and the token has no access (GitHub does not say which).
    let not_found = || Act::json(404, json!({ "message": "Not Found" }));
    let server = Server::queue(vec![not_found(), not_found()]).await;
    let gh = client(&server, "WO_GITHUB_TOKEN");
    let e = gh
        .get_ref(&RepoId::new("acme", "shop-source"), "heads/main")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::PermissionDenied { .. }), "{e:?}");
    assert!(
        e.message().contains(
            "GitHub repository acme/shop-source does not exist or `WO_GITHUB_TOKEN` cannot see it"
        ),
        "{e}"
    );
    let asked: Vec<String> = server.seen().iter().map(|s| s.path().to_string()).collect();
    assert_eq!(
        asked,
        [
            "/repos/acme/shop-source/git/ref/heads%2Fmain",
            "/repos/acme/shop-source"
        ]
    );
}
