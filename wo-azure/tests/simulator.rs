//! The Workload Orchestration simulator driven by the ARM client, on 127.0.0.1.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo_azure_sim::{
    ChartError, ChartSource, Fault, PulledChart, Simulator, SimulatorOptions, HELM_V3,
};
use wo_core::Error;

const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";

/// The charts of these tests' `helm.v3` components (`web`, the samples' podinfo): one small
/// native chart, whatever the reference. The simulator pulls and renders charts at install;
/// what it does with them is `wo-azure-sim/tests/install.rs`'s subject, not these tests'.
#[derive(Debug)]
struct AnyChart(PulledChart);

#[async_trait::async_trait]
impl ChartSource for AnyChart {
    async fn fetch(&self, _repo: &str, _version: &str) -> Result<PulledChart, ChartError> {
        Ok(self.0.clone())
    }
}

fn any_chart() -> Arc<dyn ChartSource> {
    let mut chart = wo_core::files::FileTree::new();
    chart
        .insert(
            "Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 1.0.0\nannotations:\n  wo/engine: handlebars\n",
        )
        .unwrap();
    chart
        .insert(
            "templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        )
        .unwrap();
    let packaged = wo_render::package::package(&chart, "1.0.0").unwrap();
    Arc::new(AnyChart(PulledChart::new(packaged.bytes)))
}

fn options() -> SimulatorOptions {
    SimulatorOptions {
        lro_polls: 2,
        retry_after_secs: 0,
        charts: Some(any_chart()),
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
        "targetSpecification": wo_azure_sim::target_specification(&[HELM_V3]),
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
        Err(e @ Error::Rejected { .. }) => {
            assert!(e.to_string().contains("InvalidApiVersionParameter"), "{e}")
        }
        other => panic!("expected Rejected, got {other:?}"),
    }

    // A wrong token through the client: 401 → Unauthenticated, not retried.
    let bad = client_with(&sim, "bad", RetryPolicy::default());
    let before = sim.requests();
    match bad.list(&format!("{RG}/targets")).await {
        Err(e @ Error::Unauthenticated { .. }) => {
            assert!(!e.is_retryable());
            assert!(e.to_string().contains("InvalidAuthenticationToken"), "{e}");
        }
        other => panic!("expected Unauthenticated, got {other:?}"),
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
        Err(e @ Error::Rejected { .. }) => assert!(e.to_string().contains("hierarchyLevel")),
        other => panic!("expected Rejected, got {other:?}"),
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
                "configurations": "configs:\n  replicas: 1\n",
                "specification": {"components": [{"name": "web", "type": "helm.v3",
                    "properties": {"chart": {"repo": "oci://127.0.0.1:5000/charts/web", "version": "1.0.0"}}}]}}}}),
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
                "configurations": "configs:\n  replicas: 2\n", "specification": {"components": []}}}}),
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
        // A template without a schema resolves to its literals.
        assert_eq!(sv["properties"]["configuration"], "replicas: 1\n");
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
    assert_eq!(a.as_ref().unwrap(), &Value::Null, "install has no result");
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

#[tokio::test]
async fn traffic_is_measured_per_client_by_its_correlation_id() {
    let sim = Simulator::start(options()).await.unwrap();
    let (a, b) = (client(&sim), client(&sim));
    let path = format!("{RG}/contexts");
    a.list(&path).await.unwrap();
    b.list(&path).await.unwrap();
    let t = sim.traffic();
    assert_eq!(t.by_client[a.correlation_id()], 1);
    assert_eq!(t.by_client[b.correlation_id()], 1);
    assert_eq!(t.closest_repeat, None, "two clients, one read each");
    let echoed = default_http_client()
        .unwrap()
        .get(format!("{}{path}?api-version=2025-08-01", sim.base_url()))
        .bearer_auth("tok")
        .header("x-ms-correlation-request-id", "run-7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        echoed.headers()["x-ms-correlation-request-id"],
        "run-7",
        "ARM echoes the client's correlation id"
    );
    a.list(&path).await.unwrap();
    let t = sim.traffic();
    let repeat = t.closest_repeat.expect("a read twice");
    assert_eq!(repeat.client, a.correlation_id());
    assert!(repeat.url.starts_with(&path), "{repeat:?}");
    assert!(t.peak_per_second >= 1);
    sim.reset_counters();
    assert_eq!(sim.traffic(), wo_azure_sim::Traffic::default());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_hook_holds_the_nth_request_until_it_returns() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = Arc::new(client(&sim));
    let path = format!("{RG}/contexts");
    arm.list(&path).await.unwrap();
    let (arrived_tx, arrived) = tokio::sync::oneshot::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    // The 2nd request from now: the 3rd list.
    sim.on_request(2, move || {
        arrived_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    arm.list(&path).await.unwrap();
    let held = tokio::spawn({
        let (arm, path) = (arm.clone(), path.clone());
        async move { arm.list(&path).await }
    });
    arrived.await.expect("the hook fired");
    assert!(!held.is_finished(), "answered while its hook ran");
    assert_eq!(sim.requests(), 3);
    release.send(()).unwrap();
    assert!(held.await.unwrap().is_ok());
    arm.list(&path).await.unwrap();
    assert_eq!(sim.requests(), 4, "each hook fires once");
    sim.shutdown().await;
}

// ---- configuration values, review with wo-core, installs, uninstalls, failing operations ----

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/azure-wo-samples"
);

fn sample(rel: &str) -> String {
    std::fs::read_to_string(format!("{SAMPLES}/{rel}")).expect("sample file")
}

/// One raw answer: status, headers, JSON body (`Null` when empty).
struct Raw {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// `method` on an ARM path (api-version added) or on a URL the simulator handed out.
async fn raw(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> Raw {
    let http = default_http_client().unwrap();
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{}{path}?api-version=2025-08-01", sim.base_url())
    };
    let mut req = http
        .request(method.parse().unwrap(), url)
        .bearer_auth("tok");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Raw {
        status,
        headers,
        body,
    }
}

/// Polls an operation's `Location` until it stops answering 202; the last answer.
async fn settle(sim: &Simulator, location: &str) -> Raw {
    for _ in 0..10 {
        let r = raw(sim, "GET", location, None).await;
        if r.status != 202 {
            return r;
        }
    }
    panic!("{location} still answers 202");
}

fn config_id(name: &str) -> String {
    format!("{RG}/configurations/{name}")
}

fn reference_of(scope: &str) -> String {
    format!("{scope}/providers/Microsoft.Edge/configurationReferences/default")
}

/// `{scope}` as one percent-encoded segment, as Prism matches extension resources.
fn encoded(scope: &str) -> String {
    scope.trim_start_matches('/').replace('/', "%2F")
}

async fn context_and_target(arm: &ArmClient, target: &str) -> String {
    arm.put_lro(&format!("{RG}/contexts/ctx"), &context_body())
        .await
        .unwrap();
    let id = format!("{RG}/targets/{target}");
    arm.put_lro(&id, &target_body(target)).await.unwrap();
    id
}

#[tokio::test]
async fn configurations_are_synchronous_with_the_swaggers_status_codes() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let id = config_id("plant-1Config");

    let r = raw(
        &sim,
        "PUT",
        &id,
        Some(json!({"location": "westus", "tags": {"a": "1"}})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.header("azure-asyncoperation").is_none());
    assert_eq!(r.body["type"], "Microsoft.Edge/configurations");
    assert_eq!(r.body["location"], "westus");
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    let created = r.body["systemData"]["createdAt"].clone();

    let r = raw(&sim, "PUT", &id, Some(json!({"location": "westus"}))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["systemData"]["createdAt"], created);

    let r = raw(&sim, "PATCH", &id, Some(json!({"tags": {"b": "2"}}))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["tags"], json!({"b": "2"}));
    let r = raw(&sim, "PATCH", &id, Some(json!({"tags": {"c": "3"}}))).await;
    assert_eq!(
        r.body["tags"],
        json!({"b": "2", "c": "3"}),
        "PATCH merges tags"
    );
    assert_eq!(
        raw(&sim, "PATCH", &config_id("nope"), Some(json!({})))
            .await
            .status,
        404
    );

    assert_eq!(arm.get(&id).await.unwrap()["name"], "plant-1Config");
    arm.put(&config_id("plant-2Config"), &json!({"location": "westus"}))
        .await
        .unwrap();
    assert_eq!(
        arm.list(&format!("{RG}/configurations"))
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        arm.list("/subscriptions/sub1/providers/Microsoft.Edge/configurations")
            .await
            .unwrap()
            .len(),
        2
    );

    // Names and bodies are checked.
    let r = raw(
        &sim,
        "PUT",
        &config_id("a..b"),
        Some(json!({"location": "x"})),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (400, Some("InvalidResourceName"))
    );
    let r = raw(
        &sim,
        "PUT",
        &config_id("_abc"),
        Some(json!({"location": "x"})),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = raw(&sim, "PUT", &config_id("plant-3Config"), Some(json!({}))).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["details"][0]["target"], "location");

    // DELETE: 200 when it was there, 204 when not.
    assert_eq!(raw(&sim, "DELETE", &id, None).await.status, 200);
    assert_eq!(raw(&sim, "DELETE", &id, None).await.status, 204);
    assert!(matches!(arm.get(&id).await, Err(Error::NotFound { .. })));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_new_target_gets_its_configuration_and_reference_on_any_scope_form() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let long = "line-with-a-very-long-name-1";
    let target = context_and_target(&arm, long).await;

    let reference = arm.get(&reference_of(&target)).await.unwrap();
    let expected = config_id("line-with-a-very-lConfig");
    assert_eq!(reference["name"], "default");
    assert_eq!(reference["type"], "Microsoft.Edge/configurationReferences");
    assert_eq!(reference["properties"]["configurationResourceId"], expected);
    let configuration = arm.get(&expected).await.unwrap();
    assert_eq!(configuration["location"], "eastus", "the target's location");

    // The scope may come as one percent-encoded segment: the same resource.
    let same = arm
        .get(&format!(
            "/{}/providers/Microsoft.Edge/configurationReferences/default",
            encoded(&target)
        ))
        .await
        .unwrap();
    assert_eq!(same, reference);
    let listed = arm
        .list(&format!(
            "/{}/providers/Microsoft.Edge/configurationReferences",
            encoded(&target)
        ))
        .await
        .unwrap();
    assert_eq!(listed, vec![reference.clone()]);

    // An existing configuration and reference are kept when the target is written again.
    arm.patch(&expected, &json!({"tags": {"keep": "me"}}))
        .await
        .unwrap();
    arm.put_lro(&target, &target_body(long)).await.unwrap();
    assert_eq!(arm.get(&expected).await.unwrap()["tags"]["keep"], "me");

    // A site (not simulated) gets a reference to a configuration made by hand.
    let site = format!("{RG}/sites/factory-1");
    arm.put(
        &config_id("factory-1Config"),
        &json!({"location": "eastus"}),
    )
    .await
    .unwrap();
    let r = raw(
        &sim,
        "PUT",
        &reference_of(&site),
        Some(json!({"properties": {"configurationResourceId": config_id("factory-1Config")}})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let again = json!({"properties": {"configurationResourceId": config_id("factory-1Config")}});
    assert_eq!(
        raw(&sim, "PUT", &reference_of(&site), Some(again))
            .await
            .status,
        200
    );

    // Only `default`, only existing configurations; a missing target is a 404.
    let other = format!("{site}/providers/Microsoft.Edge/configurationReferences/other");
    let body = json!({"properties": {"configurationResourceId": expected}});
    assert_eq!(raw(&sim, "PUT", &other, Some(body)).await.status, 400);
    let dangling = json!({"properties": {"configurationResourceId": config_id("missingConfig")}});
    let r = raw(&sim, "PUT", &reference_of(&site), Some(dangling)).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (400, Some("InvalidConfigurationResourceId"))
    );
    let r = raw(
        &sim,
        "GET",
        &reference_of(&format!("{RG}/targets/ghost")),
        None,
    )
    .await;
    assert_eq!(r.status, 404);

    assert_eq!(
        raw(&sim, "DELETE", &reference_of(&site), None).await.status,
        200
    );
    assert_eq!(
        raw(&sim, "DELETE", &reference_of(&site), None).await.status,
        204
    );

    // Deleting the target takes its extension resources along.
    arm.delete_lro(&target).await.unwrap();
    assert!(sim.resource(&reference_of(&target)).is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn dynamic_configurations_and_versions_are_long_running_puts() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let config = config_id("line-1Config");
    arm.put(&config, &json!({"location": "eastus"}))
        .await
        .unwrap();
    let dynamic = format!("{config}/dynamicConfigurations/shop");

    let r = raw(
        &sim,
        "PUT",
        &dynamic,
        Some(json!({"properties": {"currentVersion": "1.0.0"}})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["properties"]["provisioningState"], "InProgress");
    assert_eq!(
        r.body["properties"]["dynamicConfigurationType"],
        "Hierarchy"
    );
    let aao = r.header("azure-asyncoperation").unwrap().to_string();
    assert!(r.header("retry-after").is_some());
    assert_eq!(arm.get(&aao).await.unwrap()["status"], "InProgress");

    // The next PUT of the same resource is a 200 and the client waits for it.
    let done = arm
        .put_lro(
            &dynamic,
            &json!({"properties": {"currentVersion": "1.0.1"}}),
        )
        .await
        .unwrap();
    assert_eq!(done["properties"]["provisioningState"], "Succeeded");
    assert_eq!(done["properties"]["currentVersion"], "1.0.1");

    let version = format!("{dynamic}/versions/1.0.0");
    let v = arm
        .put_lro(
            &version,
            &json!({"properties": {"values": "Replicas: 2\n"}}),
        )
        .await
        .unwrap();
    assert_eq!(
        v["type"],
        "Microsoft.Edge/configurations/dynamicConfigurations/versions"
    );
    assert_eq!(v["properties"]["values"], "Replicas: 2\n");
    let patched = arm
        .patch(
            &version,
            &json!({"properties": {"values": "Replicas: 3\n"}}),
        )
        .await
        .unwrap();
    assert_eq!(patched["properties"]["values"], "Replicas: 3\n");
    assert_eq!(
        arm.list(&format!("{config}/dynamicConfigurations"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        arm.list(&format!("{dynamic}/versions"))
            .await
            .unwrap()
            .len(),
        1
    );

    // Checks: the parent, the required property and its type, the names.
    let r = raw(
        &sim,
        "PUT",
        &format!("{}/dynamicConfigurations/shop", config_id("noneConfig")),
        Some(json!({"properties": {"currentVersion": "1.0.0"}})),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        raw(
            &sim,
            "GET",
            &format!("{}/dynamicConfigurations", config_id("noneConfig")),
            None
        )
        .await
        .status,
        404
    );
    let r = raw(&sim, "PUT", &dynamic, Some(json!({"properties": {}}))).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["error"]["details"][0]["target"],
        "properties.currentVersion"
    );
    let r = raw(
        &sim,
        "PUT",
        &dynamic,
        Some(json!({"properties": {"currentVersion": 5}})),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = raw(
        &sim,
        "PUT",
        &format!("{dynamic}/versions/1_0"),
        Some(json!({"properties": {"values": ""}})),
    )
    .await;
    assert_eq!(r.status, 400);

    // DELETE is synchronous: 200, then 204; the dynamic configuration takes its versions along.
    assert_eq!(raw(&sim, "DELETE", &version, None).await.status, 200);
    assert_eq!(raw(&sim, "DELETE", &version, None).await.status, 204);
    arm.put_lro(&version, &json!({"properties": {"values": "a: 1\n"}}))
        .await
        .unwrap();
    assert_eq!(raw(&sim, "DELETE", &dynamic, None).await.status, 200);
    assert!(sim.resource(&version).is_none());
    sim.shutdown().await;
}

/// Sets the target's values of a template version the way the CLI does.
async fn set_values(arm: &ArmClient, target_id: &str, template: &str, version: &str, values: &str) {
    let reference = arm.get(&reference_of(target_id)).await.unwrap();
    let config = reference["properties"]["configurationResourceId"]
        .as_str()
        .unwrap()
        .to_string();
    let uid = arm
        .get(&format!("{RG}/solutionTemplates/{template}"))
        .await
        .unwrap()["properties"]["uniqueIdentifier"]
        .as_str()
        .unwrap()
        .to_string();
    let dynamic = format!("{config}/dynamicConfigurations/{uid}");
    arm.put_lro(
        &dynamic,
        &json!({"properties": {"currentVersion": version}}),
    )
    .await
    .unwrap();
    arm.put_lro(
        &format!("{dynamic}/versions/{version}"),
        &json!({"properties": {"values": values}}),
    )
    .await
    .unwrap();
}

/// A schema version and a solution template version; the template version's id.
async fn author(
    arm: &ArmClient,
    schema: &str,
    schema_text: &str,
    template: &str,
    config: &str,
) -> String {
    arm.put_lro(
        &format!("{RG}/schemas/{schema}"),
        &json!({"location": "eastus", "properties": {}}),
    )
    .await
    .unwrap();
    arm.post_lro(
        &format!("{RG}/schemas/{schema}/createVersion"),
        Some(&json!({"version": "1.0.0", "schemaVersion": {"properties": {"value": schema_text}}})),
    )
    .await
    .unwrap();
    arm.put_lro(
        &format!("{RG}/solutionTemplates/{template}"),
        &json!({"location": "eastus", "properties": {"description": template, "capabilities": ["shop"]}}),
    )
    .await
    .unwrap();
    let specification: Value = serde_json::from_str(&sample("Basic solution/specs.json")).unwrap();
    let stv = arm
        .post_lro(
            &format!("{RG}/solutionTemplates/{template}/createVersion"),
            Some(
                &json!({"version": "1.0.0", "solutionTemplateVersion": {"properties": {
                "configurations": config, "specification": specification}}}),
            ),
        )
        .await
        .unwrap();
    stv["id"].as_str().unwrap().to_string()
}

async fn sample_solution(arm: &ArmClient, schema_file: &str) -> String {
    author(
        arm,
        "priceDetectorSchema",
        &sample(schema_file),
        "price-detector",
        &sample("Basic solution/app-config-template.yaml"),
    )
    .await
}

fn review_body(stv: &str) -> Value {
    json!({"solutionTemplateVersionId": stv})
}

#[tokio::test]
async fn review_resolves_the_sample_values_with_wo_core() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    let stv = sample_solution(&arm, "Basic solution/shared-schema.yaml").await;
    let values = sample("Basic solution/config.yaml");
    set_values(&arm, &target, "price-detector", "1.0.0", &values).await;

    let sv = arm
        .post_lro(
            &format!("{target}/reviewSolutionVersion"),
            Some(&review_body(&stv)),
        )
        .await
        .unwrap();
    assert_eq!(sv["name"], "1.0.0.1");
    assert_eq!(sv["properties"]["state"], "ReadyToDeploy");
    let configuration = sv["properties"]["configuration"].as_str().unwrap();
    assert_eq!(
        configuration,
        "AppName: PriceDetector\nTemperatureRangeMax: 85\nErrorThreshold: 5\n\
         HealthCheckEndpoint: http://localhost:8080/health\nEnableLocalLog: true\n\
         AgentEndpoint: http://localhost:9090/agent\nHealthCheckEnabled: true\n\
         ApplicationEndpoint: http://localhost:3000/api\n",
        "keys in template order, numbers and booleans kept"
    );
    assert_eq!(
        sv["properties"]["targetLevelConfiguration"],
        values.as_str()
    );
    let solution = arm
        .get(&format!("{target}/solutions/price-detector"))
        .await
        .unwrap();
    assert_eq!(
        solution["properties"]["availableSolutionTemplateVersions"][0]["solutionTemplateVersion"],
        "1.0.0"
    );

    // resolveConfiguration answers the same and creates nothing.
    let before = sim.resource_count();
    let r = raw(
        &sim,
        "POST",
        &format!("{target}/resolveConfiguration"),
        Some(review_body(&stv)),
    )
    .await;
    assert_eq!(r.status, 202);
    assert!(r.header("location").is_some() && r.header("retry-after").is_some());
    let resolved = arm
        .post_lro(
            &format!("{target}/resolveConfiguration"),
            Some(&review_body(&stv)),
        )
        .await
        .unwrap();
    assert_eq!(resolved, json!({"configuration": configuration}));
    assert_eq!(sim.resource_count(), before);
    sim.shutdown().await;
}

#[tokio::test]
async fn review_reports_every_violation_and_leaves_no_solution_version() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    let schema = "rules:\n  configs:\n    LogLevel:\n      type: string\n      allowedValues: [info, debug]\n    \
                  Mode:\n      type: string\n    Replicas:\n      type: int\n      required: true\n      editableAt: [line]\n    \
                  Region:\n      type: string\n      editableAt: [factory]\n";
    let template = "schema: {name: shop-schema, version: 1.0.0}\nconfigs:\n  LogLevel: ${{$val(LogLevel)}}\n  \
                    Mode: ${{$val(Mode)}}\n  Replicas: ${{$val(Replicas)}}\n";
    let stv = author(&arm, "shop-schema", schema, "shop", template).await;
    let review = format!("{target}/reviewSolutionVersion");

    set_values(
        &arm,
        &target,
        "shop",
        "1.0.0",
        "LogLevel: verbose\nReplicas: two\nRegion: eu\n",
    )
    .await;
    let err = arm
        .post_lro(&review, Some(&review_body(&stv)))
        .await
        .unwrap_err();
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}")
    };
    let text = format!("{err}");
    assert!(text.contains("ValidationFailed"), "{text}");
    // One line per violated key: `<key>: <code>: <message>`.
    for (key, what) in [
        ("LogLevel", "allowed values"),
        ("Replicas", "expected int"),
        ("Region", "editableAt"),
    ] {
        assert!(
            message
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{key}:")) && l.contains(what)),
            "{key}: {what} in {message}"
        );
    }
    assert!(
        sim.resource(&format!("{target}/solutions/shop")).is_none(),
        "nothing left behind"
    );
    assert!(arm
        .list(&format!("{target}/solutions"))
        .await
        .unwrap()
        .is_empty());

    // A required key without a value is named too.
    set_values(&arm, &target, "shop", "1.0.0", "LogLevel: info\n").await;
    let err = arm
        .post_lro(&review, Some(&review_body(&stv)))
        .await
        .unwrap_err();
    assert!(
        format!("{err}").contains("required key `Replicas`"),
        "{err}"
    );

    // Valid values resolve; a string such as "0777" stays a string.
    set_values(
        &arm,
        &target,
        "shop",
        "1.0.0",
        "LogLevel: debug\nMode: \"0777\"\nReplicas: 2\n",
    )
    .await;
    let sv = arm
        .post_lro(&review, Some(&review_body(&stv)))
        .await
        .unwrap();
    let configuration = sv["properties"]["configuration"].as_str().unwrap();
    let parsed = wo_core::yaml::parse(configuration, "c")
        .unwrap()
        .to_value("c")
        .unwrap();
    assert_eq!(
        parsed,
        json!({"LogLevel": "debug", "Mode": "0777", "Replicas": 2}),
        "{configuration}"
    );
    assert_eq!(sv["name"], "1.0.0.1", "failed reviews used no revision");

    // A template naming a schema version that does not exist fails the review.
    let stv2 = arm
        .post_lro(
            &format!("{RG}/solutionTemplates/shop/createVersion"),
            Some(
                &json!({"version": "2.0.0", "solutionTemplateVersion": {"properties": {
                "configurations": "schema: {name: shop-schema, version: 9.9.9}\nconfigs:\n  A: 1\n",
                "specification": {"components": []}}}}),
            ),
        )
        .await
        .unwrap();
    let err = arm
        .post_lro(&review, Some(&review_body(stv2["id"].as_str().unwrap())))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
    assert!(format!("{err}").contains("9.9.9"), "{err}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_schema_expression_failure_fails_the_review() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    // The custom schema demands ErrorThreshold > 5; the sample values set 5.
    let stv = sample_solution(&arm, "custom-validation-schema.yaml").await;
    set_values(
        &arm,
        &target,
        "price-detector",
        "1.0.0",
        &sample("Basic solution/config.yaml"),
    )
    .await;
    let err = arm
        .post_lro(
            &format!("{target}/reviewSolutionVersion"),
            Some(&review_body(&stv)),
        )
        .await
        .unwrap_err();
    let text = format!("{err}");
    assert!(
        text.contains("ErrorThreshold") && text.contains("$gt"),
        "{text}"
    );
    sim.shutdown().await;
}

/// A reviewed and published solution version of the `shop` template on `target`.
async fn reviewed(arm: &ArmClient, target: &str, stv: &str) -> String {
    let sv = arm
        .post_lro(
            &format!("{target}/reviewSolutionVersion"),
            Some(&review_body(stv)),
        )
        .await
        .unwrap();
    let id = sv["id"].as_str().unwrap().to_string();
    arm.post_lro(
        &format!("{target}/publishSolutionVersion"),
        Some(&json!({"solutionVersionId": id})),
    )
    .await
    .unwrap();
    id
}

async fn install(arm: &ArmClient, target: &str, sv: &str) -> wo_core::Result<Value> {
    arm.post_lro(
        &format!("{target}/installSolution"),
        Some(&json!({"solutionVersionId": sv})),
    )
    .await
}

#[tokio::test]
async fn install_creates_the_instance_a_history_entry_and_a_job() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    let stv = authoring(&arm).await;
    let sv1 = reviewed(&arm, &target, &stv).await;

    let r = raw(
        &sim,
        "POST",
        &format!("{target}/installSolution"),
        Some(json!({"solutionVersionId": sv1})),
    )
    .await;
    assert_eq!(r.status, 202);
    assert!(r.body.is_null());
    assert!(r.header("location").is_some() && r.header("retry-after").is_some());
    // While it runs: the job is InProgress and the version Deploying.
    let jobs = arm
        .list(&format!("{target}/providers/Microsoft.Edge/jobs"))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["properties"]["status"], "InProgress");
    assert_eq!(
        arm.get(&sv1).await.unwrap()["properties"]["state"],
        "Deploying"
    );
    // installSolution declares no result: its Location ends 204.
    let end = settle(&sim, r.header("location").unwrap()).await;
    assert_eq!(end.status, 204, "{}", end.body);
    assert_eq!(
        arm.get(&sv1).await.unwrap()["properties"]["state"],
        "Deployed"
    );

    let instance_id = format!("{target}/solutions/shop/instances/shop");
    let instance = arm.get(&instance_id).await.unwrap();
    let p = &instance["properties"];
    assert_eq!(p["solutionVersionId"], sv1.as_str());
    assert_eq!(p["targetId"], target.as_str());
    assert_eq!(
        p["status"]["targetStatuses"][0]["componentStatuses"][0]["name"],
        "web"
    );
    assert!(p["deploymentTimestampEpoch"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(p["reconciliationPolicy"]["state"], "active");

    let job = arm.get(jobs[0]["id"].as_str().unwrap()).await.unwrap();
    let jp = &job["properties"];
    assert_eq!(jp["jobType"], "deploy");
    assert_eq!(jp["status"], "Succeeded");
    assert_eq!(
        jp["jobParameter"]["parameter"]["solutionVersionId"],
        sv1.as_str()
    );
    assert_eq!(jp["steps"][0]["statistics"]["successCount"], 1);
    assert!(jp["endTime"].as_str().is_some());

    // A second revision replaces the first on the instance.
    let sv2 = reviewed(&arm, &target, &stv).await;
    install(&arm, &target, &sv2).await.unwrap();
    let instance = arm.get(&instance_id).await.unwrap();
    assert_eq!(instance["properties"]["solutionVersionId"], sv2.as_str());
    assert_eq!(
        arm.get(&sv1).await.unwrap()["properties"]["state"],
        "Undeployed"
    );
    let histories = arm.list(&format!("{instance_id}/histories")).await.unwrap();
    assert_eq!(histories.len(), 2, "one entry per successful install");
    assert_eq!(
        histories[1]["properties"]["solutionVersion"]["solutionVersionId"],
        sv2.as_str()
    );
    let h = arm.get(histories[0]["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(h["properties"]["target"]["targetId"], target.as_str());
    assert_eq!(
        arm.list(&format!("{target}/solutions/shop/instances"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(sim.installs("line-1"), ["1.0.0.1", "1.0.0.2"]);
    assert_eq!(sim.installs("LINE-1"), sim.installs("line-1"));
    assert!(sim.installs("other").is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failed_install_leaves_the_instance_on_the_version_it_had() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    let stv = authoring(&arm).await;
    let instance_id = format!("{target}/solutions/shop/instances/shop");

    let sv1 = reviewed(&arm, &target, &stv).await;
    install(&arm, &target, &sv1).await.unwrap();
    sim.fail_installs_on("line-1");
    let sv2 = reviewed(&arm, &target, &stv).await;
    let err = install(&arm, &target, &sv2).await.unwrap_err();
    assert!(format!("{err}").contains("DeploymentFailed"), "{err}");

    let instance = arm.get(&instance_id).await.unwrap();
    assert_eq!(instance["properties"]["solutionVersionId"], sv1.as_str());
    assert_eq!(
        arm.get(&sv1).await.unwrap()["properties"]["state"],
        "Deployed"
    );
    let failed = arm.get(&sv2).await.unwrap();
    assert_eq!(failed["properties"]["state"], "Failed");
    assert_eq!(
        failed["properties"]["errorDetails"]["code"],
        "DeploymentFailed"
    );
    let jobs = arm
        .list(&format!("{target}/providers/Microsoft.Edge/jobs"))
        .await
        .unwrap();
    let failed_job = jobs
        .iter()
        .find(|j| j["properties"]["status"] == "Failed")
        .expect("a failed job");
    assert_eq!(
        failed_job["properties"]["errorDetails"]["code"],
        "DeploymentFailed"
    );
    assert_eq!(
        failed_job["properties"]["steps"][0]["statistics"]["failedCount"],
        1
    );
    assert_eq!(
        arm.list(&format!("{instance_id}/histories"))
            .await
            .unwrap()
            .len(),
        1
    );

    // Healed, the same version installs.
    sim.heal_installs_on("line-1");
    install(&arm, &target, &sv2).await.unwrap();
    let instance = arm.get(&instance_id).await.unwrap();
    assert_eq!(instance["properties"]["solutionVersionId"], sv2.as_str());
    assert_eq!(sim.installs("line-1"), ["1.0.0.1", "1.0.0.2", "1.0.0.2"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn uninstall_and_remove_revision() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    let stv = authoring(&arm).await;
    let template_id = format!("{RG}/solutionTemplates/shop");
    let sv1 = reviewed(&arm, &target, &stv).await;
    install(&arm, &target, &sv1).await.unwrap();
    let sv2 = reviewed(&arm, &target, &stv).await;

    // A deployed revision cannot be removed; one that is not can.
    let remove = |v: &str| json!({"solutionTemplateId": template_id, "solutionVersion": v});
    let r = raw(
        &sim,
        "POST",
        &format!("{target}/removeRevision"),
        Some(remove("1.0.0.1")),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (409, Some("Conflict"))
    );
    let r = raw(
        &sim,
        "POST",
        &format!("{target}/removeRevision"),
        Some(remove("1.0.0.2")),
    )
    .await;
    assert_eq!(r.status, 202);
    assert!(r.header("location").is_some());
    let end = settle(&sim, r.header("location").unwrap()).await;
    assert_eq!(end.status, 204, "{}", end.body);
    assert!(matches!(arm.get(&sv2).await, Err(Error::NotFound { .. })));
    let r = raw(
        &sim,
        "POST",
        &format!("{target}/removeRevision"),
        Some(remove("1.0.0.2")),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = raw(
        &sim,
        "POST",
        &format!("{target}/removeRevision"),
        Some(json!({"solutionTemplateId": template_id})),
    )
    .await;
    assert_eq!(r.status, 400);

    // Uninstall: the instance goes, its version is Undeployed; then it can be removed.
    let r = raw(
        &sim,
        "POST",
        &format!("{target}/uninstallSolution"),
        Some(json!({"solutionTemplateId": template_id})),
    )
    .await;
    assert_eq!(r.status, 202);
    assert!(r.header("location").is_some() && r.header("retry-after").is_some());
    let done = settle(&sim, r.header("location").unwrap()).await;
    assert_eq!(done.status, 204, "uninstall has no result: {}", done.body);
    let instance_id = format!("{target}/solutions/shop/instances/shop");
    assert!(matches!(
        arm.get(&instance_id).await,
        Err(Error::NotFound { .. })
    ));
    let undeployed = arm.get(&sv1).await.unwrap();
    assert_eq!(undeployed["properties"]["state"], "Undeployed");
    assert_eq!(
        undeployed["properties"]["currentStage"]["stage"],
        "Uninstallation"
    );
    arm.post_lro(
        &format!("{target}/removeRevision"),
        Some(&remove("1.0.0.1")),
    )
    .await
    .unwrap();
    assert!(arm
        .list(&format!("{target}/solutions/shop/versions"))
        .await
        .unwrap()
        .is_empty());

    // Uninstalling what is not installed is a 404; a named instance is honoured.
    let missing = arm
        .post_lro(
            &format!("{target}/uninstallSolution"),
            Some(&json!({"solutionTemplateId": template_id, "solutionInstanceName": "other"})),
        )
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
    // A new review after removals does not reuse a revision number that is still taken.
    let sv3 = reviewed(&arm, &target, &stv).await;
    assert!(sv3.ends_with("/versions/1.0.0.1"), "{sv3}");
    sim.shutdown().await;
}

#[tokio::test]
async fn failing_operations_end_failed_without_their_effect() {
    let sim = Simulator::start(options()).await.unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    let stv = authoring(&arm).await;
    let sv1 = reviewed(&arm, &target, &stv).await;
    install(&arm, &target, &sv1).await.unwrap();

    // A PUT whose operation fails: the status says Failed with the error; the resource Failed.
    sim.fail_next_operations(1);
    let r = raw(
        &sim,
        "PUT",
        &format!("{RG}/targets/line-2"),
        Some(target_body("line-2")),
    )
    .await;
    assert_eq!(r.status, 201);
    let aao = r.header("azure-asyncoperation").unwrap().to_string();
    arm.get(&aao).await.unwrap();
    arm.get(&aao).await.unwrap();
    let status = arm.get(&aao).await.unwrap();
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "InternalServerError");
    let t2 = arm.get(&format!("{RG}/targets/line-2")).await.unwrap();
    assert_eq!(t2["properties"]["provisioningState"], "Failed");
    assert!(sim
        .resource(&reference_of(&format!("{RG}/targets/line-2")))
        .is_none());

    // Through the client: a retryable error naming the code.
    sim.fail_next_operations(1);
    match arm
        .put_lro(&format!("{RG}/targets/line-3"), &target_body("line-3"))
        .await
    {
        Err(Error::Backend {
            retryable, message, ..
        }) => {
            assert!(retryable);
            assert!(message.contains("InternalServerError"), "{message}");
        }
        other => panic!("expected a failed operation, got {other:?}"),
    }

    // A failing review creates no version; a failing install leaves the instance as it was.
    sim.fail_next_operations(2);
    let review = arm
        .post_lro(
            &format!("{target}/reviewSolutionVersion"),
            Some(&review_body(&stv)),
        )
        .await;
    assert!(review.is_err());
    assert_eq!(
        arm.list(&format!("{target}/solutions/shop/versions"))
            .await
            .unwrap()
            .len(),
        1
    );
    let installed = install(&arm, &target, &sv1).await;
    assert!(
        format!("{installed:?}").contains("InternalServerError"),
        "{installed:?}"
    );
    let instance = arm
        .get(&format!("{target}/solutions/shop/instances/shop"))
        .await
        .unwrap();
    assert_eq!(instance["properties"]["solutionVersionId"], sv1.as_str());
    assert_eq!(
        arm.list(&format!("{target}/solutions/shop/instances/shop/histories"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(sim.installs("line-1"), ["1.0.0.1", "1.0.0.1"]);

    // Then operations succeed again.
    let sv2 = reviewed(&arm, &target, &stv).await;
    assert!(sv2.ends_with("1.0.0.2"));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_new_lists_are_paged() {
    let sim = Simulator::start(SimulatorOptions {
        page_size: 2,
        lro_polls: 0,
        ..options()
    })
    .await
    .unwrap();
    let arm = client(&sim);
    let target = context_and_target(&arm, "line-1").await;
    let stv = authoring(&arm).await;
    let sv = reviewed(&arm, &target, &stv).await;
    for _ in 0..3 {
        install(&arm, &target, &sv).await.unwrap();
    }
    for i in 0..4 {
        arm.put(
            &config_id(&format!("extra-{i}")),
            &json!({"location": "eastus"}),
        )
        .await
        .unwrap();
    }
    let dynamic = format!("{}/dynamicConfigurations/shop", config_id("extra-0"));
    arm.put_lro(
        &dynamic,
        &json!({"properties": {"currentVersion": "1.0.0"}}),
    )
    .await
    .unwrap();
    for v in ["1.0.0", "1.0.1", "1.0.2"] {
        arm.put_lro(
            &format!("{dynamic}/versions/{v}"),
            &json!({"properties": {"values": ""}}),
        )
        .await
        .unwrap();
    }
    let jobs_encoded = format!("/{}/providers/Microsoft.Edge/jobs", encoded(&target));
    let cases = [
        (format!("{RG}/configurations"), 5),
        (
            "/subscriptions/sub1/providers/Microsoft.Edge/configurations".to_string(),
            5,
        ),
        (format!("{dynamic}/versions"), 3),
        (format!("{target}/providers/Microsoft.Edge/jobs"), 3),
        (jobs_encoded, 3),
        (
            format!("{target}/solutions/shop/instances/shop/histories"),
            3,
        ),
    ];
    for (path, n) in cases {
        let first = arm.get(&path).await.unwrap();
        let next = first["nextLink"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no nextLink"));
        assert!(
            next.starts_with(&sim.base_url()) && next.contains("$skiptoken=2"),
            "{next}"
        );
        let before = sim.requests();
        let items = arm.list(&path).await.unwrap();
        assert_eq!(items.len(), n, "{path}");
        assert_eq!(
            sim.requests() - before,
            n.div_ceil(2) as u64,
            "{path}: pages"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn links_can_name_a_public_address() {
    let sim = Simulator::start(SimulatorOptions {
        page_size: 1,
        public_url: Some("http://127.0.0.1:9/".into()),
        ..options()
    })
    .await
    .unwrap();
    for i in 0..2 {
        let r = raw(
            &sim,
            "PUT",
            &config_id(&format!("c-{i}Config")),
            Some(json!({"location": "x"})),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    let r = raw(&sim, "GET", &format!("{RG}/configurations"), None).await;
    let next = r.body["nextLink"].as_str().unwrap();
    assert!(
        next.starts_with("http://127.0.0.1:9/subscriptions/"),
        "{next}"
    );
    let r = raw(
        &sim,
        "PUT",
        &format!("{RG}/schemas/s-1"),
        Some(json!({"location": "x"})),
    )
    .await;
    assert!(r
        .header("azure-asyncoperation")
        .unwrap()
        .starts_with("http://127.0.0.1:9/"));
    assert_eq!(sim.base_url(), format!("http://{}", sim.addr()));
    sim.shutdown().await;
}
