//! Installations of `helm.v3` components end to end: a chart packaged with wo-render and pushed
//! to the registry stand-in over HTTP, a solution template naming it, review → publish →
//! install through the ARM API; the simulator pulls the chart, renders it with wo's renderer
//! and keeps what it applied (`/_simulator/applied`), which a drift changes behind the
//! client's back. Refusals: a component type the target does not bind, a chart version the
//! registry lacks, a blob that is not what its digest says.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, StaticToken};
use wo_azure_sim::{
    sha256_digest, target_specification, Registry, RegistryAuth, RegistryOptions, Simulator,
    SimulatorOptions, HELM_CHART_CONFIG, HELM_CHART_LAYER, OCI_MANIFEST,
};
use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_core::Error;
use wo_render::package::Packaged;

const RG_ID: &str = "/subscriptions/sub1/resourceGroups/rg1";
const RG: &str = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";
const CHART_VERSION: &str = "1.2.0-wo.g3f2a9c1b7d4e";
const CONFIG: &str = "configs:\n  replicas: 3\n  store:\n    name: Berlin 1\n    region: eu\n  payment:\n    endpoint: https://pay.example.com\n";

fn arm(sim: &Simulator) -> ArmClient {
    ArmClient::builder()
        .base_url(sim.base_url())
        .credential(Arc::new(StaticToken::new("tok".to_string())))
        .http_client(default_http_client().unwrap())
        .lro(LroPolicy {
            min_interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(10),
            default_interval: Duration::from_millis(2),
            ..LroPolicy::default()
        })
        .build()
        .unwrap()
}

/// The native twin of the shop chart, packaged as wo publishes it.
fn shop_chart() -> Packaged {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/source/chart");
    let tree = FileTree::load_dir(&dir).unwrap();
    wo_render::package::package(&tree, CHART_VERSION).unwrap()
}

/// Pushes `packaged` as `helm push` does: config and layer blobs (upload, then PUT with the
/// digest), then the manifest under `tag`.
async fn push(registry: &Registry, name: &str, tag: &str, packaged: &Packaged) {
    let http = default_http_client().unwrap();
    let base = registry.base_url();
    let config =
        serde_json::to_vec(&json!({"name": packaged.name, "version": packaged.version})).unwrap();
    for blob in [&config, &packaged.bytes] {
        let started = http
            .post(format!("{base}/v2/{name}/blobs/uploads/"))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 202);
        let location = started.headers()["location"].to_str().unwrap().to_string();
        let sep = if location.contains('?') { '&' } else { '?' };
        let done = http
            .put(format!("{location}{sep}digest={}", sha256_digest(blob)))
            .body(blob.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 201);
        assert_eq!(
            done.headers()["docker-content-digest"],
            sha256_digest(blob).as_str()
        );
    }
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CHART_CONFIG, "digest": sha256_digest(&config), "size": config.len()},
        "layers": [{"mediaType": HELM_CHART_LAYER, "digest": packaged.digest, "size": packaged.bytes.len()}],
    });
    let put = http
        .put(format!("{base}/v2/{name}/manifests/{tag}"))
        .header("content-type", OCI_MANIFEST)
        .body(serde_json::to_vec(&manifest).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
}

/// A context and the target `name` binding `roles`.
async fn target(arm: &ArmClient, name: &str, roles: &[&str]) -> String {
    arm.put_lro(
        &format!("{RG}/contexts/ctx"),
        &json!({"location": "eastus", "properties": {
            "capabilities": [{"name": "shop", "description": "shop"}],
            "hierarchies": [{"name": "site", "description": "site"}]}}),
    )
    .await
    .unwrap();
    let id = format!("{RG}/targets/{name}");
    arm.put_lro(
        &id,
        &json!({"location": "eastus",
            "extendedLocation": {"name": format!("{RG_ID}/providers/Microsoft.ExtendedLocation/customLocations/{name}"), "type": "CustomLocation"},
            "properties": {"description": name, "displayName": name, "contextId": format!("{RG}/contexts/ctx"),
                "targetSpecification": target_specification(roles),
                "capabilities": ["shop"], "hierarchyLevel": "site", "solutionScope": "default"}}),
    )
    .await
    .unwrap();
    id
}

/// The solution template `shop` with the version `version` whose one component is `component`.
async fn template(arm: &ArmClient, version: &str, component: Value) -> String {
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
                &json!({"version": version, "solutionTemplateVersion": {"properties": {
                "configurations": CONFIG, "specification": {"components": [component]}}}}),
            ),
        )
        .await
        .unwrap();
    stv["id"].as_str().unwrap().to_string()
}

fn helm_component(repo: &str, version: &str) -> Value {
    json!({"name": "shop", "type": "helm.v3", "properties": {"chart": {
        "repo": repo, "version": version, "wait": true, "timeout": "5m"}}})
}

/// Review and publish: the solution version's id.
async fn review(arm: &ArmClient, target: &str, stv: &str) -> Result<String, Error> {
    let sv = arm
        .post_lro(
            &format!("{target}/reviewSolutionVersion"),
            Some(&json!({"solutionTemplateVersionId": stv})),
        )
        .await?;
    let id = sv["id"].as_str().unwrap().to_string();
    arm.post_lro(
        &format!("{target}/publishSolutionVersion"),
        Some(&json!({"solutionVersionId": id})),
    )
    .await?;
    Ok(id)
}

async fn install(arm: &ArmClient, target: &str, sv: &str) -> Result<(), Error> {
    arm.post_lro(
        &format!("{target}/installSolution"),
        Some(&json!({"solutionVersionId": sv})),
    )
    .await
    .map(|_| ())
}

/// What wo renders for the chart `packaged` with `values` on `target`: the request
/// wo-core's composition builds (release and namespace the solution's), wo's renderer.
async fn wo_renders(packaged: &Packaged, target: &str, values: &Value) -> String {
    let chart: Chart = wo_azure_sim::unpack_chart(&packaged.bytes).unwrap();
    let renderer = wo_render::CanonicalRenderer::new(wo_render::ChartRenderer::default());
    let out = renderer
        .render(
            &chart,
            &[RenderRequest {
                release_name: "shop".into(),
                namespace: "shop".into(),
                target: TargetView {
                    name: target.into(),
                    ..TargetView::default()
                },
                values: values.clone(),
            }],
        )
        .await
        .unwrap();
    out[0].manifests.clone()
}

fn config_values() -> Value {
    json!({"replicas": 3, "store": {"name": "Berlin 1", "region": "eu"},
           "payment": {"endpoint": "https://pay.example.com"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installed_chart_is_pulled_and_rendered_as_wo_renders_it_and_drift_changes_it() {
    let registry = Registry::start(RegistryOptions::default()).await.unwrap();
    let packaged = shop_chart();
    push(&registry, "charts/shop", CHART_VERSION, &packaged).await;
    assert_eq!((registry.blob_uploads(), registry.manifest_puts()), (2, 1));
    // The default source: the anonymous OCI pull over http from the loopback registry.
    let sim = Simulator::start(SimulatorOptions {
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let arm = arm(&sim);
    let target = target(&arm, "berlin-1", &["helm.v3"]).await;
    let repo = format!("oci://{}/charts/shop", registry.host_port());
    let stv = template(&arm, "1.0.0", helm_component(&repo, CHART_VERSION)).await;
    let sv = review(&arm, &target, &stv).await.unwrap();
    assert!(
        sim.applied("berlin-1", None).is_none(),
        "nothing before install"
    );
    install(&arm, &target, &sv).await.unwrap();
    assert_eq!((registry.manifest_pulls(), registry.blob_pulls()), (1, 1));

    let applied = sim.applied("berlin-1", Some("shop")).unwrap();
    let expected = wo_renders(&packaged, "berlin-1", &config_values()).await;
    assert_eq!(applied.manifests, expected);
    assert!(applied.manifests.contains("replicas: 3"), "{expected}");
    assert_eq!(applied.values, config_values());
    assert_eq!(applied.chart.repo, repo);
    assert_eq!(applied.chart.version, CHART_VERSION);
    assert_eq!(applied.chart.digest, packaged.digest);
    assert_eq!(
        (applied.solution.as_str(), applied.version.as_str()),
        ("shop", "1.0.0.1")
    );

    // The same over HTTP.
    let http = default_http_client().unwrap();
    let answer: Value = http
        .get(format!(
            "{}/_simulator/applied?target=berlin-1&solution=shop",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, applied.to_json());
    assert_eq!(answer["chart"]["digest"], packaged.digest.as_str());
    let missing = http
        .get(format!(
            "{}/_simulator/applied?target=paris-1",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Drift: someone sets replicas to 7 in the portal.
    let drifted = http
        .post(format!("{}/_simulator/drift", sim.base_url()))
        .json(&json!({"target": "berlin-1", "solution": "shop", "key": "replicas", "value": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(drifted.status(), 200);
    let mut values = config_values();
    values["replicas"] = json!(7);
    let now = sim.applied("berlin-1", None).unwrap();
    assert_eq!(now.values, values);
    assert_eq!(
        now.manifests,
        wo_renders(&packaged, "berlin-1", &values).await
    );
    assert_ne!(now.manifests, applied.manifests);
    assert!(now.manifests.contains("replicas: 7"));
    assert_eq!(now.chart, applied.chart);
    let version = sim.resource(&sv).unwrap();
    assert!(
        version["properties"]["configuration"]
            .as_str()
            .unwrap()
            .contains("replicas: 7"),
        "{version}"
    );
    assert_eq!(version["properties"]["state"], "Deployed");
    // The handle drifts too; a path through a non-map is refused.
    let nested = sim
        .drift("berlin-1", None, "store.tier", json!("premium"))
        .await
        .unwrap();
    assert_eq!(nested.values["store"]["tier"], "premium");
    assert!(nested.manifests.contains("Premium"), "{}", nested.manifests);
    let err = sim
        .drift("berlin-1", None, "replicas.x", json!(1))
        .await
        .unwrap_err();
    assert!(err.contains("'replicas' is not a map"), "{err}");

    // Uninstalled: nothing applied.
    arm.post_lro(
        &format!("{target}/uninstallSolution"),
        Some(&json!({"solutionTemplateId": format!("{RG}/solutionTemplates/shop")})),
    )
    .await
    .unwrap();
    assert!(sim.applied("berlin-1", None).is_none());
    sim.shutdown().await;
    registry.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_type_the_target_does_not_bind_is_refused_naming_it() {
    let sim = Simulator::start(SimulatorOptions {
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let arm = arm(&sim);
    let helm_only = target(&arm, "berlin-1", &["helm.v3"]).await;
    let gitops =
        json!({"name": "shop-gitops", "type": "wo.gitops", "properties": {"release": "1"}});
    let stv = template(&arm, "1.0.0", gitops).await;
    let err = review(&arm, &helm_only, &stv).await.unwrap_err();
    let text = err.to_string();
    for part in ["shop-gitops", "'wo.gitops'", "'helm.v3'", "berlin-1"] {
        assert!(text.contains(part), "{part} in {text}");
    }
    assert!(
        sim.resource(&format!("{helm_only}/solutions/shop/versions/1.0.0.1"))
            .is_none(),
        "nothing created"
    );

    // A target binding the type installs it (nothing to pull); once its specification no
    // longer binds it, an installation is refused like the review.
    let both = target(&arm, "paris-1", &["helm.v3", "wo.gitops"]).await;
    let sv = review(&arm, &both, &stv).await.unwrap();
    install(&arm, &both, &sv).await.unwrap();
    assert!(
        sim.applied("paris-1", None).is_none(),
        "no helm.v3 component"
    );
    target(&arm, "paris-1", &["helm.v3"]).await;
    let err = install(&arm, &both, &sv).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("DeploymentFailed") && text.contains("'wo.gitops'"),
        "{text}"
    );
    let version = sim.resource(&sv).unwrap();
    assert_eq!(version["properties"]["state"], "Failed");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_version_the_registry_lacks_fails_the_install_naming_the_reference() {
    let registry = Registry::start(RegistryOptions::default()).await.unwrap();
    let packaged = shop_chart();
    registry
        .push_chart("charts/shop", CHART_VERSION, &packaged.bytes)
        .unwrap();
    // The in-process source: the registry's store, no HTTP.
    let sim = Simulator::start(SimulatorOptions {
        retry_after_secs: 0,
        charts: Some(registry.chart_source()),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let arm = arm(&sim);
    let target = target(&arm, "berlin-1", &["helm.v3"]).await;
    let repo = format!("oci://{}/charts/shop", registry.host_port());

    let good = template(&arm, "1.0.0", helm_component(&repo, CHART_VERSION)).await;
    let sv = review(&arm, &target, &good).await.unwrap();
    install(&arm, &target, &sv).await.unwrap();
    assert_eq!(
        sim.applied("berlin-1", None).unwrap().chart.digest,
        packaged.digest
    );
    assert_eq!(registry.requests(), 0, "read in-process");

    let missing = template(&arm, "2.0.0", helm_component(&repo, "9.9.9")).await;
    let sv2 = review(&arm, &target, &missing).await.unwrap();
    let err = install(&arm, &target, &sv2).await.unwrap_err();
    let reference = format!("{repo}:9.9.9");
    let text = err.to_string();
    assert!(
        text.contains("DeploymentFailed") && text.contains(&reference),
        "{text}"
    );
    let version = sim.resource(&sv2).unwrap();
    assert_eq!(version["properties"]["state"], "Failed");
    let details = version["properties"]["errorDetails"]["message"]
        .as_str()
        .unwrap();
    assert!(details.contains(&reference), "{details}");
    // What ran before still runs.
    assert_eq!(sim.applied("berlin-1", None).unwrap().version, "1.0.0.1");

    // A blob that is not what its digest says.
    assert!(registry.corrupt_blob("charts/shop", &packaged.digest, b"tampered".to_vec()));
    let sv3 = review(&arm, &target, &good).await.unwrap();
    let text = install(&arm, &target, &sv3).await.unwrap_err().to_string();
    assert!(
        text.contains("digest") && text.contains(&format!("{repo}:{CHART_VERSION}")),
        "{text}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oci_pull_checks_digests_and_reaches_loopback_only() {
    use wo_azure_sim::{ChartError, ChartSource, OciHttpSource};
    let registry = Registry::start(RegistryOptions::default()).await.unwrap();
    let packaged = shop_chart();
    push(&registry, "charts/shop", CHART_VERSION, &packaged).await;
    let source = OciHttpSource::with_default_client().unwrap();
    let repo = format!("oci://{}/charts/shop", registry.host_port());
    let pulled = source.fetch(&repo, CHART_VERSION).await.unwrap();
    assert_eq!(pulled.bytes, packaged.bytes);
    assert_eq!(pulled.digest, packaged.digest);
    let e = source.fetch(&repo, "0.0.1").await.unwrap_err();
    assert!(matches!(e, ChartError::NotFound { .. }), "{e}");
    assert!(e.to_string().contains(&format!("{repo}:0.0.1")), "{e}");
    registry.corrupt_blob("charts/shop", &packaged.digest, b"x".to_vec());
    let e = source.fetch(&repo, CHART_VERSION).await.unwrap_err();
    assert!(matches!(e, ChartError::DigestMismatch { .. }), "{e}");
    let e = source
        .fetch("oci://ghcr.io/stefanprodan/charts/podinfo", "6.9.3")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("loopback"), "{e}");
    assert!(!e.to_string().is_empty() && e.is_retryable());
    registry.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_token_auth_the_registry_wants_acr_tokens() {
    let registry = Registry::start(RegistryOptions {
        auth: RegistryAuth::Token,
    })
    .await
    .unwrap();
    let http = default_http_client().unwrap();
    let base = registry.base_url();
    let host = registry.host_port();
    let denied = http.get(format!("{base}/v2/")).send().await.unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.headers()["www-authenticate"],
        format!("Bearer realm=\"http://{host}/oauth2/token\",service=\"{host}\"").as_str()
    );
    let denied = http
        .get(format!("{base}/v2/charts/shop/manifests/1.0.0"))
        .send()
        .await
        .unwrap();
    assert!(denied.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .ends_with(",scope=\"repository:charts/shop:pull\""));

    let exchange = |token: &str| {
        http.post(format!("{base}/oauth2/exchange"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=access_token&service={host}&access_token={token}"
            ))
            .send()
    };
    assert_eq!(exchange("").await.unwrap().status(), 401);
    let refresh: Value = exchange("entra-token").await.unwrap().json().await.unwrap();
    let refresh = refresh["refresh_token"].as_str().unwrap().to_string();

    // Basic auth with ACR's null user (helm registry login), then the form.
    let bad = http
        .get(format!(
            "{base}/oauth2/token?service={host}&scope=registry:catalog:*"
        ))
        .basic_auth(wo_azure_sim::ACR_REFRESH_USER, Some("not-a-refresh-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let by_basic: Value = http
        .get(format!(
            "{base}/oauth2/token?service={host}&scope=repository:charts/shop:pull"
        ))
        .basic_auth(wo_azure_sim::ACR_REFRESH_USER, Some(&refresh))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_form: Value = http
        .post(format!("{base}/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&service={host}&scope=repository%3Acharts%2Fshop%3Apull&refresh_token={refresh}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for token in [&by_basic["access_token"], &by_form["access_token"]] {
        let ok = http
            .get(format!("{base}/v2/"))
            .bearer_auth(token.as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
    }
    registry.shutdown().await;
}

/// A chart for Helm (no `wo/engine` annotation) is rendered by the real `helm template`, as wo
/// renders it; it gives the bytes of its native twin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helm_chart_is_rendered_with_helm_as_wo_renders_it() {
    let renderer = Arc::new(wo_render::CanonicalRenderer::new(
        wo_render::ChartRenderer {
            helm: wo_render::HelmRenderer::new().with_binary(wo_test_support::tool("helm")),
            ..wo_render::ChartRenderer::default()
        },
    ));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts/shop-helm");
    let packaged =
        wo_render::package::package(&FileTree::load_dir(&dir).unwrap(), CHART_VERSION).unwrap();
    let registry = Registry::start(RegistryOptions::default()).await.unwrap();
    registry
        .push_chart("charts/shop-helm", CHART_VERSION, &packaged.bytes)
        .unwrap();
    let sim = Simulator::start(SimulatorOptions {
        retry_after_secs: 0,
        charts: Some(registry.chart_source()),
        renderer: Some(renderer.clone()),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let arm = arm(&sim);
    let target = target(&arm, "berlin-1", &["helm.v3"]).await;
    let repo = format!("oci://{}/charts/shop-helm", registry.host_port());
    let stv = template(&arm, "1.0.0", helm_component(&repo, CHART_VERSION)).await;
    let sv = review(&arm, &target, &stv).await.unwrap();
    install(&arm, &target, &sv).await.unwrap();

    let applied = sim.applied("berlin-1", None).unwrap();
    let chart = wo_azure_sim::unpack_chart(&packaged.bytes).unwrap();
    let request = RenderRequest {
        release_name: "shop".into(),
        namespace: "shop".into(),
        target: TargetView {
            name: "berlin-1".into(),
            ..TargetView::default()
        },
        values: config_values(),
    };
    let by_wo = renderer.render(&chart, &[request]).await.unwrap();
    assert_eq!(applied.manifests, by_wo[0].manifests);
    assert_eq!(
        applied.manifests,
        wo_renders(&shop_chart(), "berlin-1", &config_values()).await,
        "the Helm chart and its native twin render the same bytes"
    );
    sim.shutdown().await;
}

/// Installations can pull through wo's own `ChartRegistry` port (here wo-core's in-memory
/// registry, whose packages are files, not archives): what wo published is what runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installs_pull_what_wo_published_through_its_chart_registry_port() {
    use wo_core::memory::InMemoryChartRegistry;
    use wo_core::ports::{ChartRegistry, CommitId};
    let registry = InMemoryChartRegistry::new("oci://registry.example/charts");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/source/chart");
    let chart = Chart {
        name: "shop".into(),
        files: FileTree::load_dir(&dir).unwrap(),
    };
    let package = registry
        .package(
            &chart,
            &CommitId::from("3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345"),
        )
        .unwrap();
    let published = registry.publish(&package).await.unwrap().chart;
    let sim = Simulator::start(SimulatorOptions {
        retry_after_secs: 0,
        charts: Some(Arc::new(wo_azure_sim::ChartRegistrySource::new(Arc::new(
            registry.clone(),
        )))),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let arm = arm(&sim);
    let target = target(&arm, "berlin-1", &["helm.v3"]).await;
    let stv = template(
        &arm,
        "1.0.0",
        helm_component(&published.repo, &published.version),
    )
    .await;
    let sv = review(&arm, &target, &stv).await.unwrap();
    install(&arm, &target, &sv).await.unwrap();
    let applied = sim.applied("berlin-1", None).unwrap();
    assert_eq!(applied.chart.digest, package.digest);
    let renderer = wo_render::CanonicalRenderer::new(wo_render::ChartRenderer::default());
    let want = renderer
        .render(
            &package.chart(),
            &[RenderRequest {
                release_name: "shop".into(),
                namespace: "shop".into(),
                target: TargetView {
                    name: "berlin-1".into(),
                    ..TargetView::default()
                },
                values: config_values(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(applied.manifests, want[0].manifests);

    let missing = template(&arm, "2.0.0", helm_component(&published.repo, "0.0.1")).await;
    let sv2 = review(&arm, &target, &missing).await.unwrap();
    let text = install(&arm, &target, &sv2).await.unwrap_err().to_string();
    assert!(
        text.contains(&format!("{}:0.0.1", published.repo)),
        "{text}"
    );
    sim.shutdown().await;
}
