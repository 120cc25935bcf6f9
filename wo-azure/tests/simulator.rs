//! The Workload Orchestration simulator driven by the ARM client, on 127.0.0.1.
#![cfg(feature = "simulator")]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo_azure::simulator::{Fault, Simulator, SimulatorOptions};
use wo_core::Error;

const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";

fn options() -> SimulatorOptions {
    SimulatorOptions {
        lro_polls: 2,
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    }
}

fn client_with(sim: &Simulator, token: &str, retry: RetryPolicy) -> ArmClient {
    ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new(token.to_string())))
        .http_client(default_http_client().unwrap())
        .retry(retry)
        .lro(LroPolicy {
            min_interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(20),
            default_interval: Duration::from_millis(5),
            max_duration: Duration::from_secs(30),
        })
        .build()
        .unwrap()
}

fn client(sim: &Simulator) -> ArmClient {
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    client_with(sim, "tok", retry)
}

fn context_body() -> Value {
    json!({"location": "eastus", "properties": {
        "capabilities": [{"name": "shop", "description": "shop"}],
        "hierarchies": [{"name": "line", "description": "line"}]}})
}

fn target_body(name: &str) -> Value {
    json!({"location": "eastus",
           "extendedLocation": {"name": "/subscriptions/sub1/cl", "type": "CustomLocation"},
           "properties": {
        "description": name, "displayName": name,
        "contextId": format!("{RG}/contexts/ctx"),
        "targetSpecification": {"topologies": []},
        "capabilities": ["shop"], "hierarchyLevel": "line"}})
}

#[tokio::test]
async fn api_version_and_auth_are_required() {
    let sim = Simulator::start(SimulatorOptions {
        token: Some("good".into()),
        ..options()
    })
    .await
    .unwrap();
    let http = default_http_client().unwrap();
    let url = format!("{}{RG}/targets", sim.base_url());

    // No api-version.
    let r = http
        .get(&url)
        .bearer_auth("good")
        .header("x-ms-client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-ms-client-request-id"], "abc-123");
    assert!(r.headers().contains_key("x-ms-request-id"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");

    // No Authorization.
    let r = http
        .get(format!("{url}?api-version=2025-08-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer "));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "AuthenticationFailed");

    // A wrong api-version through the client: 400 → Invalid naming the code.
    let old = ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new("good")))
        .http_client(http.clone())
        .api_version("2020-01-01")
        .build()
        .unwrap();
    match old.list(&format!("{RG}/targets")).await {
        Err(Error::Invalid(d)) => {
            assert!(
                format!("{d:?}").contains("InvalidApiVersionParameter"),
                "{d:?}"
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }

    // A wrong token through the client: 401 → Backend, not retried.
    let bad = client_with(&sim, "bad", RetryPolicy::default());
    let before = sim.requests();
    match bad.list(&format!("{RG}/targets")).await {
        Err(Error::Backend {
            retryable, message, ..
        }) => {
            assert!(!retryable);
            assert!(message.contains("InvalidAuthenticationToken"), "{message}");
        }
        other => panic!("expected Backend, got {other:?}"),
    }
    assert_eq!(sim.requests() - before, 1);

    // The right token lists nothing.
    let good = client_with(&sim, "good", RetryPolicy::default());
    assert!(good
        .list(&format!("{RG}/targets"))
        .await
        .unwrap()
        .is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn put_target_is_a_long_running_operation() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let id = format!("{RG}/targets/line-1");

    // The raw first answer: 201, AAO + Retry-After, provisioning not finished.
    let http = default_http_client().unwrap();
    let r = http
        .put(format!("{}{id}?api-version=2025-08-01", sim.base_url()))
        .bearer_auth("t")
        .json(&target_body("line-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let aao = r.headers()["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(aao.starts_with("http://127.0.0.1:"), "{aao}");
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["properties"]["provisioningState"], "InProgress");
    let status = arm.get(&aao).await.unwrap();
    assert_eq!(status["status"], "InProgress");

    // Through the client: ends Succeeded after the polls.
    let before = sim.requests();
    let done = arm
        .put_lro(&format!("{RG}/targets/line-2"), &target_body("line-2"))
        .await
        .unwrap();
    assert_eq!(done["properties"]["provisioningState"], "Succeeded");
    assert_eq!(done["type"], "Microsoft.Edge/targets");
    // PUT + 2 InProgress polls + the Succeeded poll + the final GET.
    assert_eq!(sim.requests() - before, 5);

    let got = arm.get(&format!("{RG}/targets/line-2")).await.unwrap();
    assert_eq!(got["name"], "line-2");
    assert_eq!(
        arm.list("/subscriptions/sub1/providers/Microsoft.Edge/targets")
            .await
            .unwrap()
            .len(),
        2
    );

    // A target without its required properties is refused.
    match arm
        .put_lro(
            &format!("{RG}/targets/line-3"),
            &json!({"location": "eastus", "properties": {}}),
        )
        .await
    {
        Err(Error::Invalid(d)) => assert!(format!("{d:?}").contains("hierarchyLevel")),
        other => panic!("expected Invalid, got {other:?}"),
    }

    // DELETE is an LRO too; then the target is gone.
    arm.delete_lro(&format!("{RG}/targets/line-2"))
        .await
        .unwrap();
    assert!(matches!(
        arm.get(&format!("{RG}/targets/line-2")).await,
        Err(Error::NotFound { .. })
    ));
    sim.shutdown().await;
}

async fn authoring(arm: &ArmClient) -> String {
    arm.put_lro(
        &format!("{RG}/schemas/shop-schema"),
        &json!({"location": "eastus", "properties": {}}),
    )
    .await
    .unwrap();
    let sv = arm
        .post_lro(
            &format!("{RG}/schemas/shop-schema/createVersion"),
            Some(&json!({"version": "1.0.0", "schemaVersion": {"properties": {"value": "rules: {}"}}})),
        )
        .await
        .unwrap();
    assert_eq!(sv["id"], format!("{RG}/schemas/shop-schema/versions/1.0.0"));
    assert_eq!(sv["properties"]["value"], "rules: {}");

    arm.put_lro(
        &format!("{RG}/solutionTemplates/shop"),
        &json!({"location": "eastus", "properties": {"description": "shop", "capabilities": ["shop"]}}),
    )
    .await
    .unwrap();
    let stv = arm
        .post_lro(
            &format!("{RG}/solutionTemplates/shop/createVersion"),
            Some(
                &json!({"version": "1.0.0", "solutionTemplateVersion": {"properties": {
                "configurations": "replicas: 1",
                "specification": {"components": [{"name": "web", "type": "helm.v3"}]}}}}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(stv["type"], "Microsoft.Edge/solutionTemplates/versions");
    stv["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn schema_and_solution_template_versions() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let stv_id = authoring(&arm).await;
    assert_eq!(
        stv_id,
        format!("{RG}/solutionTemplates/shop/versions/1.0.0")
    );

    let schema = arm.get(&format!("{RG}/schemas/shop-schema")).await.unwrap();
    assert_eq!(schema["properties"]["currentVersion"], "1.0.0");
    let template = arm
        .get(&format!("{RG}/solutionTemplates/shop"))
        .await
        .unwrap();
    assert_eq!(template["properties"]["latestVersion"], "1.0.0");

    // updateType bumps the latest version.
    let next = arm
        .post_lro(
            &format!("{RG}/solutionTemplates/shop/createVersion"),
            Some(
                &json!({"updateType": "Minor", "solutionTemplateVersion": {"properties": {
                "configurations": "replicas: 2", "specification": {"components": []}}}}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(next["name"], "1.1.0");
    let versions = arm
        .list(&format!("{RG}/solutionTemplates/shop/versions"))
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);

    // The same version twice is a conflict.
    let again = arm
        .post_lro(
            &format!("{RG}/solutionTemplates/shop/createVersion"),
            Some(
                &json!({"version": "1.0.0", "solutionTemplateVersion": {"properties": {
                "configurations": "x: 1", "specification": {}}}}),
            ),
        )
        .await;
    assert!(
        matches!(again, Err(Error::Precondition { .. })),
        "{again:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn review_publish_install_on_two_targets_with_one_failure() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    arm.put_lro(&format!("{RG}/contexts/ctx"), &context_body())
        .await
        .unwrap();
    for t in ["line-a", "line-b"] {
        arm.put_lro(&format!("{RG}/targets/{t}"), &target_body(t))
            .await
            .unwrap();
    }
    let stv_id = authoring(&arm).await;
    sim.fail_installs_on("line-b");

    let mut results = Vec::new();
    for t in ["line-a", "line-b"] {
        let target = format!("{RG}/targets/{t}");
        let sv = arm
            .post_lro(
                &format!("{target}/reviewSolutionVersion"),
                Some(&json!({"solutionTemplateVersionId": stv_id})),
            )
            .await
            .unwrap();
        let sv_id = sv["id"].as_str().unwrap().to_string();
        assert_eq!(sv_id, format!("{target}/solutions/shop/versions/1.0.0.1"));
        assert_eq!(sv["properties"]["state"], "ReadyToDeploy");
        assert_eq!(sv["properties"]["configuration"], "replicas: 1");
        assert!(sv["properties"]["reviewId"].as_str().is_some());

        let published = arm
            .post_lro(
                &format!("{target}/publishSolutionVersion"),
                Some(&json!({"solutionVersionId": sv_id})),
            )
            .await
            .unwrap();
        assert_eq!(published["properties"]["currentStage"]["stage"], "Publish");

        let installed = arm
            .post_lro(
                &format!("{target}/installSolution"),
                Some(&json!({"solutionVersionId": sv_id})),
            )
            .await;
        results.push((sv_id, installed));
    }

    let (a_id, a) = &results[0];
    assert_eq!(a.as_ref().unwrap()["properties"]["state"], "Deployed");
    let a_sv = arm.get(a_id).await.unwrap();
    assert_eq!(a_sv["properties"]["state"], "Deployed");
    assert!(a_sv["properties"].get("errorDetails").is_none());

    let (b_id, b) = &results[1];
    match b {
        Err(Error::Backend { message, .. }) => {
            assert!(message.contains("DeploymentFailed"), "{message}")
        }
        other => panic!("expected the install on line-b to fail, got {other:?}"),
    }
    let b_sv = arm.get(b_id).await.unwrap();
    assert_eq!(b_sv["properties"]["state"], "Failed");
    assert_eq!(
        b_sv["properties"]["errorDetails"]["code"],
        "DeploymentFailed"
    );

    // A second review makes revision 2.
    let sv2 = arm
        .post_lro(
            &format!("{RG}/targets/line-a/reviewSolutionVersion"),
            Some(&json!({"solutionTemplateVersionId": stv_id})),
        )
        .await
        .unwrap();
    assert_eq!(sv2["name"], "1.0.0.2");
    let versions = arm
        .list(&format!("{RG}/targets/line-a/solutions/shop/versions"))
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn throttling_storm_is_retried() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    sim.inject(Fault::Throttle, 3);
    let before = sim.requests();
    let items = arm.list(&format!("{RG}/contexts")).await.unwrap();
    assert!(items.is_empty());
    assert_eq!(sim.requests() - before, 4);
    assert_eq!(sim.pending_faults(), 0);

    // A 503 storm longer than the client's attempts ends in a retryable error.
    sim.inject(Fault::Unavailable, 10);
    match arm.get(&format!("{RG}/contexts/ctx")).await {
        Err(Error::Backend { retryable, .. }) => assert!(retryable),
        other => panic!("expected a retryable Backend error, got {other:?}"),
    }
    assert_eq!(sim.pending_faults(), 6);
    sim.shutdown().await;
}

#[tokio::test]
async fn lists_are_paged() {
    let sim = Simulator::start(SimulatorOptions {
        page_size: 2,
        lro_polls: 0,
        ..options()
    })
    .await
    .unwrap();
    let arm = client(&sim);
    for i in 0..5 {
        let t = format!("line-{i}");
        arm.put_lro(&format!("{RG}/targets/{t}"), &target_body(&t))
            .await
            .unwrap();
    }
    let before = sim.requests();
    let items = arm.list(&format!("{RG}/targets")).await.unwrap();
    assert_eq!(sim.requests() - before, 3, "three pages");
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["line-0", "line-1", "line-2", "line-3", "line-4"]);

    let first = arm.get(&format!("{RG}/targets")).await.unwrap();
    let next = first["nextLink"].as_str().unwrap();
    assert!(next.starts_with(&sim.base_url()), "{next}");
    assert!(next.contains("api-version=2025-08-01"), "{next}");
    assert!(sim.peak_in_flight() >= 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn concurrent_requests_are_counted() {
    let sim = Simulator::start(SimulatorOptions {
        latency: Duration::from_millis(100),
        ..options()
    })
    .await
    .unwrap();
    let arm = client(&sim);
    let path = format!("{RG}/contexts");
    let calls = (0..8).map(|_| arm.list(&path));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(sim.requests(), 8);
    assert!(sim.peak_in_flight() >= 4, "peak {}", sim.peak_in_flight());
    sim.reset_counters();
    assert_eq!((sim.requests(), sim.peak_in_flight()), (0, 0));
    sim.shutdown().await;
}
