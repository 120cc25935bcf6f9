//! The ARM client against scripted servers on 127.0.0.1: headers, retries, error mapping,
//! long-running operations, paging and credentials.
//!
//! Retries and polls wait on a [`ManualClock`] (the waits the client decides on are asserted,
//! none is waited) or not at all (zero backoff); one test waits a real `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wo_azure::arm::{
    classify, credential_from_vars, default_http_client, new_request_id, retry_after,
    unwrap_envelope, ArmClient, ArmClientBuilder, ClientCredentials, LroPolicy, ManagedIdentity,
    RetryPolicy, StaticToken, TokenCredential, ARM_SCOPE, DEFAULT_RETRY,
};
use wo_core::Error;
use wo_http::{GiveUp, ManualClock, Verdict};

const TOKEN: &str = "tok-S3CRET-value";
const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    fn query_values(&self, key: &str) -> Vec<String> {
        let url = reqwest::Url::parse(&format!("x:?{}", self.query)).unwrap();
        url.query_pairs()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    fn form(&self) -> HashMap<String, String> {
        let url = reqwest::Url::parse(&format!("x:?{}", self.body)).unwrap();
        url.query_pairs().into_owned().collect()
    }
}

/// A scripted answer; `{base}` in headers and body becomes the server's URL.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: vec![],
        body: if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
    }
}

impl Answer {
    fn with(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

#[derive(Default)]
struct Script {
    base: String,
    /// `"METHOD /path"` → answers, in order.
    answers: HashMap<String, VecDeque<Answer>>,
    seen: Vec<Seen>,
}

struct Server {
    base: String,
    state: Arc<Mutex<Script>>,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    fn lines(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

async fn handle(State(state): State<Arc<Mutex<Script>>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let key = format!("{} {}", seen.method, seen.path);
    let mut script = state.lock().unwrap();
    script.seen.push(seen);
    let base = script.base.clone();
    let Some(a) = script.answers.get_mut(&key).and_then(VecDeque::pop_front) else {
        // 418: never retried, and plainly not part of the script.
        return Response::builder()
            .status(418)
            .body(Body::from(format!("unscripted {key}")))
            .unwrap();
    };
    let mut r = Response::builder().status(a.status);
    for (k, v) in &a.headers {
        r = r.header(*k, v.replace("{base}", &base));
    }
    if !a.body.is_empty() {
        r = r.header("content-type", "application/json; charset=utf-8");
    }
    r.body(Body::from(a.body.replace("{base}", &base))).unwrap()
}

async fn serve(script: Vec<(&str, Answer)>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut s = Script {
        base: base.clone(),
        ..Script::default()
    };
    for (key, a) in script {
        s.answers.entry(key.to_string()).or_default().push_back(a);
    }
    let state = Arc::new(Mutex::new(s));
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { base, state }
}

/// No backoff: retry tests assert counts and outcomes, never timings.
fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(10),
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        max_wait: Duration::from_secs(5),
        jitter_percent: 0,
    }
}

fn fast_lro() -> LroPolicy {
    LroPolicy {
        min_interval: Duration::ZERO,
        max_interval: Duration::from_secs(2),
        default_interval: Duration::from_millis(5),
        max_duration: Duration::from_secs(20),
    }
}

fn builder(server: &Server) -> ArmClientBuilder {
    ArmClient::builder()
        .base_url(&server.base)
        .credential(Arc::new(StaticToken::new(TOKEN)))
        .http_client(default_http_client().unwrap())
        .retry(fast_retry())
        .lro(fast_lro())
}

/// A client whose waits (retries, polls) pass on a manual clock: none is slept.
fn client(server: &Server) -> ArmClient {
    recorded(server).0
}

/// A client whose waits are recorded on a manual clock, never slept.
fn recorded(server: &Server) -> (ArmClient, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let arm = builder(server).clock(clock.clone()).build().unwrap();
    (arm, clock)
}

fn arm_error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

#[tokio::test]
async fn every_request_carries_api_version_token_and_a_request_id_kept_across_a_retry() {
    let path = format!("{RG}/targets/t1");
    let server = serve(vec![
        (
            &format!("GET {path}"),
            answer(503, arm_error("ServiceUnavailable", "busy")),
        ),
        (&format!("GET {path}"), answer(200, json!({"id": path}))),
        (&format!("GET {path}"), answer(200, json!({"id": path}))),
    ])
    .await;
    let arm = client(&server);
    assert_eq!(arm.get(&path).await.unwrap()["id"], path);
    arm.get(&path).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "503 retried once: {:?}", server.lines());
    assert_eq!(arm.requests_sent(), 3);
    for s in &seen {
        assert_eq!(s.query_values("api-version"), vec!["2025-08-01"]);
        assert_eq!(s.header("authorization"), format!("Bearer {TOKEN}"));
        assert_eq!(s.header("x-ms-client-request-id").len(), 36);
    }
    assert_eq!(
        seen[0].header("x-ms-client-request-id"),
        seen[1].header("x-ms-client-request-id"),
        "a retry keeps the id"
    );
    assert_ne!(
        seen[1].header("x-ms-client-request-id"),
        seen[2].header("x-ms-client-request-id"),
        "a new call gets a new id"
    );
    for s in &seen {
        assert_eq!(
            s.header("x-ms-correlation-request-id"),
            arm.correlation_id(),
            "one correlation id per client"
        );
    }
    assert_eq!(arm.correlation_id().len(), 36);
    let other = builder(&server).correlation_id("run-42").build().unwrap();
    assert_eq!(other.correlation_id(), "run-42");
    assert_ne!(client(&server).correlation_id(), arm.correlation_id());
}

#[tokio::test]
async fn the_token_never_shows_in_debug_or_errors() {
    let path = format!("{RG}/targets/t1");
    // A hostile or buggy server that echoes the token back.
    let server = serve(vec![(
        &format!("GET {path}"),
        answer(
            401,
            arm_error(
                "InvalidAuthenticationToken",
                &format!("The access token Bearer {TOKEN} is invalid."),
            ),
        )
        .with("x-ms-request-id", "5f4e3d2c-0000-4000-8000-000000000001"),
    )])
    .await;
    let arm = client(&server);
    let debug = format!("{arm:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    let err = arm.get(&path).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(
        shown.contains("Bearer ***"),
        "the echo is redacted: {shown}"
    );
    assert!(
        matches!(&err, Error::Unauthenticated { message, .. } if message.contains("InvalidAuthenticationToken")),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("[x-ms-request-id 5f4e3d2c-0000-4000-8000-000000000001]"),
        "ARM's request id is kept for support: {err}"
    );
    assert_eq!(server.seen().len(), 1, "401 is not retried");
    let token = StaticToken::new(TOKEN).get_token(ARM_SCOPE).await.unwrap();
    assert!(!format!("{token:?}").contains(TOKEN));
    assert_eq!(token.token.expose(), TOKEN);
}

/// The one test of this client that waits on the real clock: a `Retry-After` is slept.
#[tokio::test]
async fn a_429_waits_its_retry_after_then_succeeds() {
    let path = format!("{RG}/schemas/s1");
    let server = serve(vec![
        (
            &format!("GET {path}"),
            answer(429, arm_error("TooManyRequests", "slow down")).with("retry-after", "1"),
        ),
        (&format!("GET {path}"), answer(200, json!({"name": "s1"}))),
    ])
    .await;
    let arm = builder(&server).build().unwrap(); // the real clock
    let started = Instant::now();
    let got = arm.get(&path).await.unwrap();
    assert_eq!(got["name"], "s1");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times_then_retryable() {
    let path = format!("{RG}/schemas/s1");
    let key = format!("GET {path}");
    let server = serve(vec![
        (&key, answer(500, arm_error("InternalServerError", "oops"))),
        (&key, answer(502, Value::Null)),
        (&key, answer(503, arm_error("ServiceUnavailable", "busy"))),
        (&key, answer(200, json!({}))),
    ])
    .await;
    let err = client(&server).get(&path).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("ServiceUnavailable"), "{err}");
    assert_eq!(server.seen().len(), 3, "max_attempts is 3");
}

#[tokio::test]
async fn a_retry_after_over_the_longest_wait_fails_at_once() {
    let path = format!("{RG}/schemas/s1");
    let server = serve(vec![(
        &format!("GET {path}"),
        answer(429, arm_error("TooManyRequests", "later")).with("retry-after", "3600"),
    )])
    .await;
    let (arm, clock) = recorded(&server);
    let err = arm.get(&path).await.unwrap_err();
    assert!(err.is_retryable());
    assert!(clock.sleeps().is_empty(), "an hour is not waited");
    assert!(
        err.to_string()
            .contains("the wait of 3600.0 s is longer than the 5.0 s allowed"),
        "says why: {err}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_400_is_rejected_with_code_message_details_and_arm_id_and_is_not_retried() {
    let path = format!("{RG}/targets/t1");
    let server = serve(vec![(
        &format!("PUT {path}"),
        answer(
            400,
            json!({"error": {"code": "InvalidRequestContent", "message": "capabilities must not be empty",
                "target": "properties.capabilities",
                "details": [{"code": "MissingProperty", "message": "hierarchyLevel is required"}]}}),
        ),
    )])
    .await;
    let err = client(&server)
        .put(&path, &json!({"location": "eastus"}))
        .await
        .unwrap_err();
    // The service refused it, possibly after earlier writes: not wo's own bad input.
    assert!(!err.is_invalid_input(), "{err:?}");
    let Error::Rejected {
        message, context, ..
    } = &err
    else {
        panic!("400 is Rejected: {err:?}");
    };
    assert_eq!(context.path.as_deref(), Some(path.as_str()));
    assert_eq!(context.backend.as_deref(), Some("azure"));
    assert!(
        message.contains("properties.capabilities: InvalidRequestContent"),
        "{message}"
    );
    assert!(
        message.contains("capabilities must not be empty"),
        "{message}"
    );
    assert!(message.contains("hierarchyLevel is required"), "{message}");
    assert_eq!(server.seen().len(), 1);
    assert_eq!(server.seen()[0].header("content-type"), "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(&server.seen()[0].body).unwrap(),
        json!({"location": "eastus"})
    );
}

#[tokio::test]
async fn a_404_is_not_found_naming_the_arm_id_and_a_409_is_a_precondition() {
    let path = format!("{RG}/targets/missing");
    let busy = format!("{RG}/targets/busy");
    let server = serve(vec![
        (
            &format!("GET {path}"),
            answer(
                404,
                arm_error("ResourceNotFound", "The Resource was not found."),
            ),
        ),
        (
            &format!("DELETE {busy}"),
            answer(
                409,
                arm_error("Conflict", "Another operation is in progress."),
            ),
        ),
    ])
    .await;
    let arm = client(&server);
    match arm.get(&path).await.unwrap_err() {
        Error::NotFound { what, .. } => {
            assert!(what.contains(&path), "{what}");
            assert!(what.contains("ResourceNotFound"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    let err = arm.delete(&busy).await.unwrap_err();
    assert!(
        matches!(&err, Error::Precondition { what, .. } if what.contains("in progress")),
        "{err:?}"
    );
}

#[tokio::test]
async fn put_lro_follows_azure_async_operation_then_gets_the_resource() {
    let path = format!("{RG}/solutionTemplates/app");
    let op = "/providers/Microsoft.Edge/locations/eastus/operationStatuses/op1";
    let server = serve(vec![
        (
            &format!("PUT {path}"),
            answer(
                201,
                json!({"id": path, "properties": {"provisioningState": "Accepted"}}),
            )
            .with(
                "azure-asyncoperation",
                &format!("{{base}}{op}?api-version=2025-08-01"),
            )
            .with("retry-after", "0"),
        ),
        (
            &format!("GET {op}"),
            answer(200, json!({"status": "InProgress"})),
        ),
        (
            &format!("GET {op}"),
            answer(200, json!({"status": "InProgress"})),
        ),
        (
            &format!("GET {op}"),
            answer(200, json!({"status": "Succeeded"})),
        ),
        (
            &format!("GET {path}"),
            answer(
                200,
                json!({"id": path, "properties": {"provisioningState": "Succeeded", "description": "d"}}),
            ),
        ),
    ])
    .await;
    let arm = client(&server);
    let got = arm
        .put_lro(&path, &json!({"location": "eastus", "properties": {}}))
        .await
        .unwrap();
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    assert_eq!(got["properties"]["description"], "d");
    assert_eq!(
        server.lines(),
        vec![
            format!("PUT {path}"),
            format!("GET {op}"),
            format!("GET {op}"),
            format!("GET {op}"),
            format!("GET {path}"),
        ]
    );
    for s in server.seen() {
        assert_eq!(s.query_values("api-version"), vec!["2025-08-01"], "{s:?}");
    }
}

#[tokio::test]
async fn post_lro_follows_location_and_unwraps_the_operation_envelope() {
    let path = format!("{RG}/targets/t1/reviewSolutionVersion");
    let op = "/providers/Microsoft.Edge/locations/eastus/operationResults/op2";
    let version = format!("{RG}/targets/t1/solutions/app/versions/1.0.0.1");
    let server = serve(vec![
        (
            &format!("POST {path}"),
            answer(202, Value::Null)
                .with("location", &format!("{{base}}{op}?api-version=2025-08-01"))
                .with("retry-after", "0"),
        ),
        (&format!("GET {op}"), answer(202, Value::Null)),
        (
            &format!("GET {op}"),
            answer(202, Value::Null).with("retry-after", "1"),
        ),
        (
            &format!("GET {op}"),
            answer(
                200,
                json!({"id": op, "name": "op2", "resourceId": path, "status": "Succeeded",
                    "startTime": "2025-09-01T00:00:00Z",
                    "properties": {"id": version, "name": "1.0.0.1",
                        "properties": {"reviewId": "r-42", "state": "InReview"}}}),
            ),
        ),
    ])
    .await;
    let (arm, clock) = recorded(&server);
    let got = arm
        .post_lro(
            &path,
            Some(&json!({"solutionTemplateVersionId": "x/versions/1.0.0"})),
        )
        .await
        .unwrap();
    assert_eq!(got["id"], version);
    assert_eq!(got["properties"]["reviewId"], "r-42");
    assert_eq!(
        clock.sleeps(),
        [
            Duration::ZERO,
            Duration::from_millis(5),
            Duration::from_secs(1)
        ],
        "the Retry-After between polls is honoured (0, none: the default interval, 1 s)"
    );
    assert_eq!(server.seen().len(), 4, "{:?}", server.lines());
}

#[tokio::test]
async fn a_bare_resource_from_location_is_returned_as_it_is() {
    let path = format!("{RG}/schemas/s/createVersion");
    let op = "/ops/op3";
    let server = serve(vec![
        (
            &format!("POST {path}"),
            answer(202, Value::Null).with("location", &format!("{{base}}{op}")),
        ),
        (
            &format!("GET {op}"),
            answer(
                200,
                json!({"id": "v1", "properties": {"value": "rules: {}"}}),
            ),
        ),
    ])
    .await;
    let got = client(&server)
        .post_lro(&path, Some(&json!({"version": "1.0.0"})))
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({"id": "v1", "properties": {"value": "rules: {}"}})
    );
    assert_eq!(
        server.seen()[1].query_values("api-version"),
        vec!["2025-08-01"],
        "added to a Location without one"
    );
}

#[tokio::test]
async fn a_failed_operation_ends_with_its_error() {
    let put = format!("{RG}/targets/t1");
    let review = format!("{RG}/targets/t1/reviewSolutionVersion");
    let server = serve(vec![
        (
            &format!("PUT {put}"),
            answer(201, json!({"id": put})).with("azure-asyncoperation", "{base}/ops/a"),
        ),
        (
            "GET /ops/a",
            answer(200, json!({"status": "InProgress"})),
        ),
        (
            "GET /ops/a",
            answer(
                200,
                json!({"status": "Failed", "error": {"code": "CustomLocationUnreachable", "message": "the cluster is offline"}}),
            ),
        ),
        (
            &format!("POST {review}"),
            answer(202, Value::Null).with("location", "{base}/ops/b"),
        ),
        (
            "GET /ops/b",
            answer(
                200,
                json!({"status": "Failed", "resourceId": review,
                    "error": {"code": "SolutionValidationFailed", "message": "ErrorThreshold must be at most 10"}}),
            ),
        ),
    ])
    .await;
    let arm = client(&server);
    let err = arm.put_lro(&put, &json!({})).await.unwrap_err();
    match &err {
        Error::Backend {
            message, retryable, ..
        } => {
            assert!(message.contains("CustomLocationUnreachable"), "{message}");
            assert!(message.contains("the cluster is offline"), "{message}");
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !server.lines().contains(&format!("GET {put}")),
        "no final GET after a failure"
    );
    let err = arm.post_lro(&review, None).await.unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("ErrorThreshold must be at most 10"),
        "{err}"
    );
    assert_eq!(
        err.context().unwrap().path.as_deref(),
        Some(review.as_str())
    );
}

/// ARM's async contract: a `Location` ends with what the operation would have answered
/// synchronously, so an error status there is the operation's failure, final (one GET, no
/// retry), its error naming the operation; a throttled or unavailable poll is still retried.
#[tokio::test]
async fn an_error_status_at_the_location_is_the_operations_final_failure() {
    let review = format!("{RG}/targets/t1/reviewSolutionVersion");
    let install = format!("{RG}/targets/t1/installSolution");
    let publish = format!("{RG}/targets/t1/publishSolutionVersion");
    let server = serve(vec![
        (
            &format!("POST {review}"),
            answer(202, Value::Null).with("location", "{base}/ops/r"),
        ),
        (
            "GET /ops/r",
            answer(
                400,
                json!({"error": {"code": "ValidationFailed", "message": "Replicas is required",
                    "details": [{"code": "ValidationFailed", "message": "Replicas: required", "target": "Replicas"}]}}),
            ),
        ),
        (
            &format!("POST {install}"),
            answer(202, Value::Null).with("location", "{base}/ops/i"),
        ),
        (
            "GET /ops/i",
            answer(
                409,
                json!({"error": {"code": "DeploymentFailed", "message": "ImagePullBackOff"}}),
            ),
        ),
        (
            &format!("POST {publish}"),
            answer(202, Value::Null).with("location", "{base}/ops/p"),
        ),
        (
            "GET /ops/p",
            answer(503, json!({"error": {"code": "ServiceUnavailable", "message": "busy"}})),
        ),
        (
            "GET /ops/p",
            answer(
                500,
                json!({"error": {"code": "InternalServerError", "message": "publish broke"}}),
            ),
        ),
    ])
    .await;
    let arm = client(&server);

    let err = arm.post_lro(&review, None).await.unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("Failed (HTTP 400)"), "{text}");
    assert!(
        text.contains("ValidationFailed: Replicas is required"),
        "{text}"
    );
    assert!(
        text.contains("Replicas: ValidationFailed: Replicas: required"),
        "{text}"
    );
    assert_eq!(
        err.context().unwrap().path.as_deref(),
        Some(review.as_str())
    );

    let err = arm.post_lro(&install, None).await.unwrap_err();
    match &err {
        Error::Backend {
            message, retryable, ..
        } => {
            assert!(message.contains(&install), "names the operation: {message}");
            assert!(
                message.contains("Failed (HTTP 409): DeploymentFailed: ImagePullBackOff"),
                "{message}"
            );
            assert!(!retryable, "a failed deployment is final");
        }
        other => panic!("{other:?}"),
    }

    let err = arm.post_lro(&publish, None).await.unwrap_err();
    match &err {
        Error::Backend {
            message, retryable, ..
        } => {
            assert!(
                message.contains("InternalServerError: publish broke"),
                "{message}"
            );
            assert!(
                retryable,
                "the service's own failure: running the operation again may help"
            );
        }
        other => panic!("{other:?}"),
    }
    let polls = |op: &str| {
        server
            .lines()
            .iter()
            .filter(|l| *l == &format!("GET {op}"))
            .count()
    };
    assert_eq!(polls("/ops/r"), 1, "{:?}", server.lines());
    assert_eq!(polls("/ops/i"), 1, "{:?}", server.lines());
    assert_eq!(
        polls("/ops/p"),
        2,
        "503 retried, 500 final: {:?}",
        server.lines()
    );
}

#[tokio::test]
async fn delete_lro_waits_for_the_location_to_answer_204() {
    let path = format!("{RG}/targets/t1");
    let server = serve(vec![
        (
            &format!("DELETE {path}"),
            answer(202, Value::Null).with("location", "{base}/ops/d"),
        ),
        ("GET /ops/d", answer(202, Value::Null)),
        ("GET /ops/d", answer(204, Value::Null)),
    ])
    .await;
    client(&server).delete_lro(&path).await.unwrap();
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn list_follows_next_link_over_three_pages() {
    let path = format!("{RG}/targets");
    let server = serve(vec![
        (
            &format!("GET {path}"),
            answer(
                200,
                json!({"value": [{"name": "a"}, {"name": "b"}],
                    "nextLink": format!("{{base}}{path}?api-version=2025-08-01&%24skiptoken=p2")}),
            ),
        ),
        (
            &format!("GET {path}"),
            answer(
                200,
                json!({"value": [{"name": "c"}],
                    "nextLink": format!("{{base}}{path}?api-version=2025-08-01&%24skiptoken=p3")}),
            ),
        ),
        (
            &format!("GET {path}"),
            answer(200, json!({"value": [{"name": "d"}, {"name": "e"}]})),
        ),
    ])
    .await;
    let items = client(&server).list(&path).await.unwrap();
    let names: Vec<_> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].query_values("$skiptoken"), vec!["p2"]);
    assert_eq!(seen[2].query_values("$skiptoken"), vec!["p3"]);
    for s in &seen {
        assert_eq!(s.query_values("api-version").len(), 1, "{s:?}");
    }
}

#[tokio::test]
async fn a_link_to_another_origin_is_refused_without_sending_the_token() {
    let path = format!("{RG}/targets");
    let server = serve(vec![(
        &format!("GET {path}"),
        answer(
            200,
            json!({"value": [], "nextLink": "http://127.0.0.1:1/steal?api-version=2025-08-01"}),
        ),
    )])
    .await;
    let err = client(&server).list(&path).await.unwrap_err();
    assert!(err.to_string().contains("refusing"), "{err}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn client_secret_credential_posts_the_form_and_caches_the_token() {
    let server = serve(vec![
        (
            "POST /tenant1/oauth2/v2.0/token",
            answer(
                200,
                json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "aad-token-1"}),
            ),
        ),
        (
            "POST /tenant1/oauth2/v2.0/token",
            answer(
                200,
                json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "aad-token-2"}),
            ),
        ),
    ])
    .await;
    let secret = "client-S3CRET";
    let cred = ClientCredentials::with_secret(
        default_http_client().unwrap(),
        &server.base,
        "tenant1",
        "app-id",
        secret,
    )
    .unwrap();
    assert!(!format!("{cred:?}").contains(secret));
    let first = cred.get_token(ARM_SCOPE).await.unwrap();
    let second = cred.get_token(ARM_SCOPE).await.unwrap();
    assert_eq!(first.token.expose(), "aad-token-1");
    assert_eq!(
        second.token.expose(),
        "aad-token-1",
        "served from the cache"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let form = seen[0].form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "app-id");
    assert_eq!(form["client_secret"], secret);
    assert_eq!(form["scope"], ARM_SCOPE);
    assert_eq!(
        seen[0].header("content-type"),
        "application/x-www-form-urlencoded"
    );
}

#[tokio::test]
async fn a_token_near_expiry_is_fetched_again_and_the_arm_client_uses_it() {
    let server = serve(vec![
        (
            "POST /t/oauth2/v2.0/token",
            answer(200, json!({"expires_in": 60, "access_token": "short-1"})),
        ),
        (
            "POST /t/oauth2/v2.0/token",
            answer(200, json!({"expires_in": "60", "access_token": "short-2"})),
        ),
        ("GET /r", answer(200, json!({}))),
        ("GET /r", answer(200, json!({}))),
    ])
    .await;
    let cred =
        ClientCredentials::with_secret(default_http_client().unwrap(), &server.base, "t", "c", "s")
            .unwrap();
    let arm = ArmClient::builder()
        .base_url(&server.base)
        .credential(Arc::new(cred))
        .build()
        .unwrap();
    arm.get("/r").await.unwrap();
    arm.get("/r").await.unwrap();
    let auths: Vec<String> = server
        .seen()
        .iter()
        .filter(|s| s.path == "/r")
        .map(|s| s.header("authorization").to_string())
        .collect();
    assert_eq!(auths, ["Bearer short-1", "Bearer short-2"]);
    assert_eq!(arm.requests_sent(), 2, "token requests are not counted");
}

#[tokio::test]
async fn a_refused_client_secret_is_a_non_retryable_error_without_the_secret() {
    let server = serve(vec![(
        "POST /t/oauth2/v2.0/token",
        answer(
            401,
            // Echoing the secret it refused, as a careless service might.
            json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided: bad-S3CRET.\nTrace ID: x"}),
        ),
    )])
    .await;
    let cred = ClientCredentials::with_secret(
        default_http_client().unwrap(),
        &server.base,
        "t",
        "c",
        "bad-S3CRET",
    )
    .unwrap();
    let err = cred.get_token(ARM_SCOPE).await.unwrap_err();
    let shown = err.to_string();
    assert!(!err.is_retryable());
    assert!(
        shown.contains("invalid_client") && shown.contains("AADSTS7000215"),
        "{shown}"
    );
    assert!(!shown.contains("bad-S3CRET"), "{shown}");
}

/// Entra ID finding no federated credential for a token file's subject is Unauthenticated,
/// naming the issuer, subject and audience the file presented and the credential to add (was a
/// Backend error with Entra's words only).
#[tokio::test]
async fn an_unmatched_federated_token_is_unauthenticated_naming_its_subject() {
    let server = serve(vec![(
        "POST /tenant3/oauth2/v2.0/token",
        answer(
            400,
            json!({"error": "invalid_request", "error_codes": [70021], "error_description":
                "AADSTS70021: No matching federated identity record found for presented assertion. \
                 Assertion Issuer: 'https://oidc.aks.example/abc/'.\r\nTrace ID: t"}),
        ),
    )])
    .await;
    let file = std::env::temp_dir().join(format!("wo-azure-fed-70021-{}", std::process::id()));
    // {"iss":"https://oidc.aks.example/abc/","sub":"system:serviceaccount:wo:deployer",
    //  "aud":"api://AzureADTokenExchange"}, unsigned.
    std::fs::write(
        &file,
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL29pZGMuYWtzLmV4YW1wbGUvYWJjLyIsInN1YiI6InN5c3RlbTpzZXJ2aWNlYWNjb3VudDp3bzpkZXBsb3llciIsImF1ZCI6ImFwaTovL0F6dXJlQURUb2tlbkV4Y2hhbmdlIn0.c2ln\n",
    )
    .unwrap();
    let cred = ClientCredentials::with_assertion_file(
        default_http_client().unwrap(),
        &server.base,
        "tenant3",
        "app3",
        &file,
    )
    .unwrap();
    let err = cred.get_token(ARM_SCOPE).await.unwrap_err();
    std::fs::remove_file(&file).unwrap();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    assert!(!err.is_retryable());
    let shown = err.to_string();
    for needle in [
        "AADSTS70021",
        "app registration app3 in tenant tenant3",
        "issuer `https://oidc.aks.example/abc/`",
        "subject `system:serviceaccount:wo:deployer`",
        "audience `api://AzureADTokenExchange`",
        "az ad app federated-credential create --id app3",
    ] {
        assert!(shown.contains(needle), "{needle} missing from: {shown}");
    }
    assert!(
        !shown.contains("eyJ"),
        "the token itself is never printed: {shown}"
    );
}

#[tokio::test]
async fn the_environment_picks_the_credential() {
    let server = serve(vec![(
        "POST /tenant9/oauth2/v2.0/token",
        answer(
            200,
            json!({"expires_in": 3600, "access_token": "federated"}),
        ),
    )])
    .await;
    let http = default_http_client().unwrap();
    let vars = |pairs: &[(&str, &str)]| {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    };
    let c = credential_from_vars(vars(&[("AZURE_ACCESS_TOKEN", "abc")]), http.clone()).unwrap();
    assert!(format!("{c:?}").starts_with("StaticToken"), "{c:?}");
    assert_eq!(c.get_token(ARM_SCOPE).await.unwrap().token.expose(), "abc");
    let c = credential_from_vars(vars(&[]), http.clone()).unwrap();
    assert!(format!("{c:?}").starts_with("AzureCli"), "{c:?}");

    let file = std::env::temp_dir().join(format!("wo-azure-fed-{}", std::process::id()));
    std::fs::write(&file, "eyJ.federated.jwt\n").unwrap();
    let c = credential_from_vars(
        vars(&[
            ("AZURE_TENANT_ID", "tenant9"),
            ("AZURE_CLIENT_ID", "app9"),
            ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
            ("AZURE_AUTHORITY_HOST", &server.base),
        ]),
        http.clone(),
    )
    .unwrap();
    assert_eq!(
        c.get_token(ARM_SCOPE).await.unwrap().token.expose(),
        "federated"
    );
    std::fs::remove_file(&file).unwrap();
    let form = server.seen()[0].form();
    assert_eq!(form["client_assertion"], "eyJ.federated.jwt");
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(!form.contains_key("client_secret"));
}

#[tokio::test]
async fn github_actions_oidc_is_exchanged_for_an_arm_token() {
    let server = serve(vec![
        (
            "GET /oidc/token",
            answer(200, json!({"count": 1, "value": "eyJ.github.oidc"})),
        ),
        (
            "POST /tenant7/oauth2/v2.0/token",
            answer(
                200,
                json!({"expires_in": 3600, "access_token": "from-github"}),
            ),
        ),
    ])
    .await;
    let vars: HashMap<String, String> = [
        ("AZURE_TENANT_ID", "tenant7".to_string()),
        ("AZURE_CLIENT_ID", "app7".to_string()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/oidc/token?api-version=2.0", server.base),
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "job-T0KEN".to_string()),
        ("AZURE_AUTHORITY_HOST", server.base.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let c = credential_from_vars(|k| vars.get(k).cloned(), default_http_client().unwrap()).unwrap();
    assert!(!format!("{c:?}").contains("job-T0KEN"), "{c:?}");
    assert_eq!(
        c.get_token(ARM_SCOPE).await.unwrap().token.expose(),
        "from-github"
    );
    let seen = server.seen();
    assert_eq!(seen[0].path, "/oidc/token");
    assert!(
        seen[0]
            .query
            .contains("audience=api%3A%2F%2FAzureADTokenExchange")
            && seen[0].query.contains("api-version=2.0"),
        "{}",
        seen[0].query
    );
    assert_eq!(seen[0].header("authorization"), "bearer job-T0KEN");
    let form = seen[1].form();
    assert_eq!(form["client_assertion"], "eyJ.github.oidc");
    assert_eq!(form["client_id"], "app7");
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
}

#[tokio::test]
async fn managed_identity_sends_the_identity_header_and_reads_expires_on() {
    let server = serve(vec![(
        "GET /msi/token",
        answer(
            200,
            json!({"access_token": "mi-token", "expires_on": "4102444800", "resource": "https://management.azure.com/"}),
        ),
    )])
    .await;
    let mi = ManagedIdentity::app_service(
        default_http_client().unwrap(),
        &format!("{}/msi/token", server.base),
        "hdr-secret",
        None,
    )
    .unwrap();
    let t = mi.get_token(ARM_SCOPE).await.unwrap();
    assert_eq!(t.token.expose(), "mi-token");
    assert_eq!(
        t.expires_on,
        std::time::UNIX_EPOCH + Duration::from_secs(4_102_444_800)
    );
    mi.get_token(ARM_SCOPE).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "cached");
    assert_eq!(seen[0].header("x-identity-header"), "hdr-secret");
    assert_eq!(
        seen[0].query_values("resource"),
        vec!["https://management.azure.com/"]
    );
    assert_eq!(seen[0].query_values("api-version"), vec!["2019-08-01"]);
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_runs_get_access_token() {
    use std::os::unix::fs::PermissionsExt;
    use wo_azure::arm::AzureCli;
    let dir = std::env::temp_dir().join(format!("wo-azure-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let az = dir.join("az");
    std::fs::write(
        &az,
        "#!/bin/sh\nif [ \"$*\" = \"account get-access-token --resource https://management.azure.com/ -o json\" ]; then\n  echo '{\"accessToken\": \"cli-token\", \"expires_on\": 4102444800, \"tokenType\": \"Bearer\"}'\nelse\n  echo \"unexpected: $*\" >&2; exit 3\nfi\n",
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let t = AzureCli::with_program(&az)
        .get_token(ARM_SCOPE)
        .await
        .unwrap();
    assert_eq!(t.token.expose(), "cli-token");
    let err = AzureCli::with_program(&az)
        .get_token("https://other/.default")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unexpected"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn post_is_not_repeated_after_a_500_but_is_after_a_503() {
    let path = format!("{RG}/targets/t1/installSolution");
    let key = format!("POST {path}");
    let server = serve(vec![
        (&key, answer(503, arm_error("ServiceUnavailable", "busy"))),
        (&key, answer(200, json!({"ok": true}))),
        (&key, answer(500, arm_error("InternalServerError", "boom"))),
        (&key, answer(200, json!({"ok": true}))),
    ])
    .await;
    let arm = client(&server);
    assert_eq!(arm.post(&path, None).await.unwrap()["ok"], true);
    let err = arm.post(&path, None).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("InternalServerError"), "{err}");
    assert_eq!(server.seen().len(), 3, "{:?}", server.lines());
}

#[tokio::test]
async fn put_lro_without_operation_headers_polls_the_provisioning_state() {
    let path = format!("{RG}/contexts/c1");
    let server = serve(vec![
        (
            &format!("PUT {path}"),
            answer(
                201,
                json!({"id": path, "properties": {"provisioningState": "Creating"}}),
            ),
        ),
        (
            &format!("GET {path}"),
            answer(
                200,
                json!({"id": path, "properties": {"provisioningState": "Updating"}}),
            ),
        ),
        (
            &format!("GET {path}"),
            answer(
                200,
                json!({"id": path, "properties": {"provisioningState": "Succeeded"}}),
            ),
        ),
    ])
    .await;
    let got = client(&server).put_lro(&path, &json!({})).await.unwrap();
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn patch_lro_via_location_then_reads_the_resource_when_the_operation_has_no_body() {
    let path = format!("{RG}/targets/t1");
    let server = serve(vec![
        (
            &format!("PATCH {path}"),
            answer(202, Value::Null).with("location", "{base}/ops/p"),
        ),
        ("GET /ops/p", answer(202, Value::Null)),
        ("GET /ops/p", answer(204, Value::Null)),
        (
            &format!("GET {path}"),
            answer(200, json!({"id": path, "tags": {"env": "dev"}})),
        ),
    ])
    .await;
    let got = client(&server)
        .patch_lro(&path, &json!({"tags": {"env": "dev"}}))
        .await
        .unwrap();
    assert_eq!(got["tags"]["env"], "dev");
    assert_eq!(server.seen().len(), 4, "{:?}", server.lines());
}

#[tokio::test]
async fn an_operation_that_outlives_the_policy_fails_retryable() {
    let path = format!("{RG}/targets/t1/installSolution");
    let mut script = vec![(
        format!("POST {path}"),
        answer(202, Value::Null).with("location", "{base}/ops/slow"),
    )];
    for _ in 0..100 {
        script.push((
            "GET /ops/slow".to_string(),
            answer(202, Value::Null).with("retry-after-ms", "20"),
        ));
    }
    let server = serve(
        script
            .iter()
            .map(|(k, a)| (k.as_str(), a.clone()))
            .collect(),
    )
    .await;
    let clock = Arc::new(ManualClock::new());
    let arm = ArmClient::builder()
        .base_url(&server.base)
        .credential(Arc::new(StaticToken::new(TOKEN)))
        .lro(LroPolicy {
            max_duration: Duration::from_millis(200),
            ..fast_lro()
        })
        .clock(clock.clone())
        .build()
        .unwrap();
    let err = arm.post_lro(&path, None).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("still running"), "{err}");
    let polls = server.seen().len() - 1;
    // 5 ms (the default interval after the POST), then 20 ms per poll: the tenth poll's wait
    // would end past 200 ms.
    assert_eq!(polls, 10, "polls of 20 ms in 200 ms");
    let mut waits = vec![Duration::from_millis(5)];
    waits.extend([Duration::from_millis(20); 9]);
    assert_eq!(clock.sleeps(), waits);
}

#[tokio::test]
async fn a_409_naming_an_existing_resource_is_already_exists() {
    let path = format!("{RG}/schemas/s1/createVersion");
    let server = serve(vec![(
        &format!("POST {path}"),
        answer(
            409,
            arm_error("ResourceAlreadyExists", "Version 1.0.0 already exists."),
        ),
    )])
    .await;
    let err = client(&server).post(&path, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyExists { what, .. } if what.contains("1.0.0")),
        "{err:?}"
    );
}

#[test]
fn the_builder_rejects_a_base_url_that_is_not_http_and_a_missing_credential() {
    let cred: Arc<dyn TokenCredential> = Arc::new(StaticToken::new("t"));
    let err = ArmClient::builder()
        .base_url("ftp://example")
        .credential(cred)
        .build()
        .unwrap_err();
    assert!(err.is_invalid_input(), "{err:?}");
    let err = ArmClient::builder().build().unwrap_err();
    assert!(err.to_string().contains("no credential"), "{err}");
}

#[tokio::test]
async fn a_token_service_hiccup_is_retried_inside_the_call() {
    let server = serve(vec![
        (
            "POST /t/oauth2/v2.0/token",
            answer(503, json!({"error": "temporarily_unavailable"})),
        ),
        (
            "POST /t/oauth2/v2.0/token",
            answer(
                200,
                json!({"expires_in": 3600, "access_token": "after-503"}),
            ),
        ),
        ("GET /r", answer(200, json!({"ok": 1}))),
    ])
    .await;
    let http = default_http_client().unwrap();
    let cred = ClientCredentials::with_secret(http.clone(), &server.base, "t", "c", "s").unwrap();
    let arm = ArmClient::builder()
        .base_url(&server.base)
        .credential(Arc::new(cred))
        .http_client(http)
        .retry(fast_retry())
        .build()
        .unwrap();
    assert_eq!(arm.get("/r").await.unwrap()["ok"], 1);
    assert_eq!(server.seen()[2].header("authorization"), "Bearer after-503");
}

#[test]
fn policies_and_helpers_are_pure() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000); // Tue, 14 Nov 2023 22:13:20 GMT
    let mut h = reqwest::header::HeaderMap::new();
    assert_eq!(retry_after(&h, now), None);
    h.insert("retry-after", "7".parse().unwrap());
    assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
    h.insert(
        "retry-after",
        "Tue, 14 Nov 2023 22:13:35 GMT".parse().unwrap(),
    );
    assert_eq!(retry_after(&h, now), Some(Duration::from_secs(15)));
    h.insert("x-ms-retry-after-ms", "1500".parse().unwrap());
    assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
    h.insert("retry-after-ms", "250".parse().unwrap());
    assert_eq!(retry_after(&h, now), Some(Duration::from_millis(250)));

    // ARM's classification: what may be repeated, and after what.
    let s = |c| StatusCode::from_u16(c).unwrap();
    let none = reqwest::header::HeaderMap::new();
    assert_eq!(
        classify(&Method::GET, s(429), &h, now),
        Verdict::RetryAfter(Duration::from_millis(250))
    );
    assert_eq!(classify(&Method::POST, s(503), &none, now), Verdict::Retry);
    assert_eq!(
        classify(&Method::POST, s(500), &none, now),
        Verdict::Fail,
        "a POST's 5xx leaves its effect unknown"
    );
    for code in [408, 500, 502, 504] {
        assert_eq!(classify(&Method::PUT, s(code), &none, now), Verdict::Retry);
    }
    for code in [400, 401, 403, 404, 409, 501, 505] {
        assert_eq!(classify(&Method::GET, s(code), &none, now), Verdict::Fail);
    }

    let p = DEFAULT_RETRY;
    assert_eq!(
        p.decide(1, Duration::ZERO, None),
        Ok(Duration::from_secs(1))
    );
    assert_eq!(
        p.decide(3, Duration::ZERO, None),
        Ok(Duration::from_secs(4))
    );
    assert_eq!(
        p.decide(4, Duration::ZERO, None),
        Err(GiveUp::Attempts { max_attempts: 4 }),
        "4 attempts at most"
    );
    assert!(p
        .decide(1, Duration::ZERO, Some(Duration::from_secs(61)))
        .is_err());
    assert!(p
        .decide(1, Duration::from_secs(119), Some(Duration::from_secs(2)))
        .is_err());
    assert!(RetryPolicy::never()
        .decide(1, Duration::ZERO, None)
        .is_err());

    let l = LroPolicy::default();
    assert_eq!(l.interval(None), Duration::from_secs(10));
    assert_eq!(l.interval(Some(Duration::ZERO)), Duration::from_secs(1));
    assert_eq!(
        l.interval(Some(Duration::from_secs(600))),
        Duration::from_secs(60)
    );

    let a = new_request_id();
    let b = new_request_id();
    assert_ne!(a, b);
    let groups: Vec<usize> = a.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{a}");
    assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));

    let bare = json!({"id": "x", "status": "Running", "properties": {"state": "ok"}});
    assert_eq!(unwrap_envelope(bare.clone()), bare, "a bare resource stays");
    let env = json!({"status": "Succeeded", "resourceId": "r", "properties": {"id": "v"}});
    assert_eq!(unwrap_envelope(env), json!({"id": "v"}));
}

#[tokio::test]
async fn imds_sends_metadata_true_and_the_client_id() {
    let server = serve(vec![(
        "GET /metadata/identity/oauth2/token",
        answer(
            200,
            json!({"access_token": "imds-token", "expires_in": "3599", "expires_on": "4102444800"}),
        ),
    )])
    .await;
    let mi = ManagedIdentity::imds(
        default_http_client().unwrap(),
        &format!("{}/metadata/identity/oauth2/token", server.base),
        Some("uami-1".into()),
    )
    .unwrap();
    assert_eq!(
        mi.get_token(ARM_SCOPE).await.unwrap().token.expose(),
        "imds-token"
    );
    let seen = &server.seen()[0];
    assert_eq!(seen.header("metadata"), "true");
    assert_eq!(seen.query_values("client_id"), vec!["uami-1"]);
    assert_eq!(seen.query_values("api-version"), vec!["2018-02-01"]);
}

#[tokio::test]
async fn a_403_says_a_role_is_missing_and_is_not_retried() {
    let path = format!("{RG}/targets/t1");
    let server = serve(vec![(
        &format!("GET {path}"),
        answer(
            403,
            arm_error(
                "AuthorizationFailed",
                "The client does not have authorization.",
            ),
        ),
    )])
    .await;
    let err = client(&server).get(&path).await.unwrap_err();
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.contains("AuthorizationFailed") && shown.contains("role"),
        "{shown}"
    );
    assert_eq!(server.seen().len(), 1);
}

// ---- secret echoes: what a service writes back is printed without credentials ----

/// An endpoint that echoes the request: its ARM error (400), and the error of an operation
/// that ends `Failed`, quote the `Authorization` header. Neither token shows in the error,
/// whatever its length: a short one (below `MIN_REDACTED_LEN`) and the long one, echoed in an
/// operation's answer (a 200, not a failed answer).
#[tokio::test]
async fn an_endpoint_echoing_the_authorization_header_never_gets_a_token_printed() {
    let path = format!("{RG}/targets/t1");
    let short = "s3cr3t";
    let server = serve(vec![
        (
            &format!("GET {path}"),
            answer(
                400,
                arm_error(
                    "InvalidRequest",
                    &format!("bad request; you sent authorization: Bearer {short}"),
                ),
            ),
        ),
        (
            &format!("PUT {path}"),
            answer(201, json!({"id": path})).with("azure-asyncoperation", "{base}/ops/echo"),
        ),
        (
            "GET /ops/echo",
            answer(
                200,
                json!({"status": "Failed", "error": {"code": "Echo",
                    "message": format!("request was: PUT {path} Authorization: Bearer {TOKEN}"),
                    "details": [{"code": "Echo", "message": format!("Bearer {TOKEN}")}]}}),
            ),
        ),
    ])
    .await;
    let arm = builder(&server)
        .credential(Arc::new(StaticToken::new(short)))
        .build()
        .unwrap();
    let err = arm.get(&path).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(short), "{shown}");
    assert!(shown.contains("Bearer ***"), "{shown}");
    assert_eq!(
        server.seen()[0].header("authorization"),
        format!("Bearer {short}"),
        "the server did see the token"
    );

    let arm = client(&server);
    let err = arm.put_lro(&path, &json!({})).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("Bearer ***"), "{shown}");
}

/// A token endpoint whose `error_description` quotes the form it was sent: the client secret
/// is there URL-encoded (`~` → `%7E`, `+` → `%2B`, `/` → `%2F`), so redacting the secret as it
/// is does not find it. Neither form shows in the error.
#[tokio::test]
async fn a_token_endpoint_quoting_the_form_never_gets_the_client_secret_printed() {
    let secret = "Abc~8Q.S3CRET+x/y_z";
    let encoded = "Abc%7E8Q.S3CRET%2Bx%2Fy_z";
    let server = serve(vec![(
        "POST /t/oauth2/v2.0/token",
        answer(
            400,
            json!({"error": "invalid_request",
                "error_description": format!("AADSTS900144: could not read the request body \
                    'grant_type=client_credentials&client_id=c&client_secret={encoded}&scope=x'. \
                    Trace ID: 1")}),
        ),
    )])
    .await;
    let cred = ClientCredentials::with_secret(
        default_http_client().unwrap(),
        &server.base,
        "t",
        "c",
        secret,
    )
    .unwrap();
    let err = cred.get_token(ARM_SCOPE).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        server.seen()[0].body.contains(encoded),
        "the form carries the secret so encoded: {}",
        server.seen()[0].body
    );
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains(encoded), "{shown}");
    assert!(!shown.contains("S3CRET"), "{shown}");
    assert!(
        shown.contains("AADSTS900144") && shown.contains("client_secret=***"),
        "the rest of WO's words stay: {shown}"
    );
}

/// An answer larger than `wo_http::MAX_BODY_BYTES` (32 MiB) is refused, announced by its
/// `Content-Length` or not (streamed), before it fills the memory; not retried.
#[tokio::test]
async fn an_answer_larger_than_the_body_budget_is_refused() {
    let path = format!("{RG}/targets/huge");
    let huge = format!(
        "{{\"id\": \"{path}\", \"pad\": \"{}\"}}",
        "x".repeat(wo_http::MAX_BODY_BYTES)
    );
    let server = serve(vec![(
        &format!("GET {path}"),
        Answer {
            status: 200,
            headers: vec![],
            body: huge,
        },
    )])
    .await;
    let err = client(&server).get(&path).await.unwrap_err();
    assert!(err.to_string().contains("larger than 32 MiB"), "{err}");
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(server.seen().len(), 1, "not retried");

    // Streamed without a length: read until it passes the budget, then refused.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(|| async {
        let chunk = axum::body::Bytes::from(vec![b' '; 1024 * 1024]);
        let stream =
            futures::stream::iter((0..64).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
        Response::builder()
            .status(200)
            .body(Body::from_stream(stream))
            .unwrap()
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let arm = ArmClient::builder()
        .base_url(&base)
        .credential(Arc::new(StaticToken::new(TOKEN)))
        .http_client(default_http_client().unwrap())
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = arm.get(&path).await.unwrap_err();
    assert!(err.to_string().contains("larger than 32 MiB"), "{err}");
}
