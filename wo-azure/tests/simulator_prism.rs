//! The simulator against the official specifications: a whole scenario, driven by the ARM
//! client, through Stoplight Prism in proxy mode (`prism proxy --errors`), which validates every
//! request and every answer against `configurationmanager.json` and `configurations.json`
//! (2025-08-01, copied into `tests/specs/azure-wo/`) and answers a violation with an error
//! status and an `sl-violations` header.
//!
//! ```text
//! ArmClient → recorder → prism proxy --errors → shim → simulator      (all on 127.0.0.1)
//!                └─ operation URLs (not in the specifications) ──────→ simulator
//! ```
//!
//! The recorder notes every answer, so that all violations are reported at once. Two
//! deliberate violations (a request that breaks the specification, an answer the shim spoils)
//! prove that Prism is checking both directions. Extension
//! resources (`{resourceUri}/providers/Microsoft.Edge/jobs`, `…/configurationReferences`) are
//! requested with the scope percent-encoded as one segment: Prism only matches them so, and the
//! simulator (like ARM) takes either form.
//!
//! Prism is the one `bash .ci/install-tools` installs (`wo_test_support::tool`), started by
//! `wo_test_support::prism::start_prism_proxy`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, RetryPolicy, StaticToken};
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::Error;
use wo_test_support::prism::{start_prism_proxy, PrismProxy};

const SUB: &str = "2f3c1a9e-5b7d-4c8e-9a1f-0d2e3f4a5b6c";

fn rg() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-wo/providers/Microsoft.Edge")
}

fn sub() -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.Edge")
}

/// `{scope}/providers/Microsoft.Edge/{rest}` with the scope as one percent-encoded segment.
fn extension(scope: &str, rest: &str) -> String {
    format!(
        "/{}/providers/Microsoft.Edge/{rest}",
        scope.trim_start_matches('/').replace('/', "%2F")
    )
}

// ---- Prism ----

/// The two specifications as one (Prism serves one description per process), with the
/// common types beside it; the merged file's path.
fn merged_spec(dir: &Path) -> PathBuf {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/azure-wo");
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(specs.join(name)).expect("specification copy");
        serde_json::from_str(&text).expect("specification JSON")
    };
    let mut merged = read("configurationmanager-2025-08-01.bundled-refs.json");
    let other = read("configurations-2025-08-01.bundled-refs.json");
    for section in ["paths", "definitions", "parameters"] {
        let Some(Value::Object(into)) = merged.get_mut(section) else {
            panic!("no {section} in the core specification")
        };
        let Some(Value::Object(from)) = other.get(section) else {
            panic!("no {section} in the configurations specification")
        };
        for (k, v) in from {
            match into.get(k) {
                Some(existing) => assert_eq!(existing, v, "{section}.{k} differs between the two"),
                None => {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
    }
    if let (Some(Value::Array(tags)), Some(Value::Array(more))) =
        (merged.get_mut("tags"), other.get("tags"))
    {
        for t in more {
            if !tags.iter().any(|a| a["name"] == t["name"]) {
                tags.push(t.clone());
            }
        }
    }
    let common = dir.join("common-types/resource-management/v5");
    std::fs::create_dir_all(&common).unwrap();
    std::fs::copy(
        specs.join("common-types/resource-management/v5/types.json"),
        common.join("types.json"),
    )
    .unwrap();
    let out = dir.join("azure-wo-2025-08-01.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&merged).unwrap()).unwrap();
    out
}

// ---- the hops around Prism ----

/// A request header naming a deliberate violation, to prove that Prism is checking:
/// `bad-request` (the body breaks the specification; the test sends it so) or `drop-location`
/// (the shim behind Prism removes `location` from the simulator's answer).
const CONTROL: &str = "x-wo-prism-control";

/// One answer as the client got it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    status: u16,
    /// Went through Prism (operation URLs go straight to the simulator).
    validated: bool,
    /// The deliberate violation, if any.
    control: Option<String>,
    violations: Option<String>,
    body: String,
}

impl Seen {
    /// A violation Prism reported, or an error Prism made itself (a request it refused
    /// carries its violations in the body only).
    fn problem(&self) -> bool {
        self.violations.is_some() || self.body.contains("stoplight.io/prism/errors")
    }

    /// What Prism said: the `sl-violations` header, else its error body.
    fn findings(&self) -> &str {
        match &self.violations {
            Some(v) => v,
            None if self.problem() => &self.body,
            None => "",
        }
    }
}

/// A forwarding hop: the recorder in front of Prism (`prism` set, records every answer) or the
/// shim between Prism and the simulator (applies `drop-location`).
struct Hop {
    http: reqwest::Client,
    prism: Option<String>,
    sim: String,
    seen: Mutex<Vec<Seen>>,
}

async fn forward(State(hop): State<Arc<Hop>>, req: Request) -> Response {
    let method = req.method().clone();
    let path_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    // The specifications do not describe ARM's operation URLs.
    let direct =
        path_query.contains("/operationStatuses/") || path_query.contains("/operationResults/");
    let upstream = match &hop.prism {
        Some(prism) if !direct => prism,
        _ => &hop.sim,
    };
    // Prism matches an extension resource only with its scope as one encoded segment; ARM
    // (and the simulator) take the plain form wo sends too.
    let path_query = if hop.prism.is_some() && !direct {
        encode_scope(&path_query)
    } else {
        path_query
    };
    let headers = req.headers().clone();
    let control = headers
        .get(CONTROL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = to_bytes(req.into_body(), usize::MAX).await.unwrap();
    let mut out = hop
        .http
        .request(method.clone(), format!("{upstream}{path_query}"));
    for (k, v) in &headers {
        if k != HOST && k != CONTENT_LENGTH {
            out = out.header(k, v);
        }
    }
    if !body.is_empty() {
        out = out.body(body.to_vec());
    }
    let answer = out.send().await.expect("the upstream answers");
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let mut bytes = answer.bytes().await.unwrap_or_default().to_vec();
    if hop.prism.is_none() && control.as_deref() == Some("drop-location") {
        let mut v: Value = serde_json::from_slice(&bytes).expect("a JSON answer to spoil");
        v.as_object_mut().map(|o| o.remove("location"));
        bytes = serde_json::to_vec(&v).unwrap();
    }
    if hop.prism.is_some() {
        hop.seen.lock().unwrap().push(Seen {
            method: method.to_string(),
            path: path_query.split('?').next().unwrap_or_default().to_string(),
            status: status.as_u16(),
            validated: !direct,
            control,
            violations: answer_headers
                .get("sl-violations")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: String::from_utf8_lossy(&bytes).chars().take(800).collect(),
        });
    }
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (k, v) in &answer_headers {
        if k != CONTENT_LENGTH && k != TRANSFER_ENCODING && k != CONNECTION {
            response.headers_mut().insert(k.clone(), v.clone());
        }
    }
    response
}

/// `{scope}/providers/Microsoft.Edge/{rest}` with a scope that is itself a provider's resource
/// gets the scope percent-encoded as one segment; other paths are left as they are.
fn encode_scope(path_query: &str) -> String {
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let marker = "/providers/microsoft.edge/";
    let low = path.to_ascii_lowercase();
    let rebuilt = match low.rfind(marker) {
        Some(i) if low[..i].contains("/providers/") => format!(
            "/{}{}",
            path[..i].trim_start_matches('/').replace('/', "%2F"),
            &path[i..]
        ),
        _ => path.to_string(),
    };
    if query.is_empty() {
        rebuilt
    } else {
        format!("{rebuilt}?{query}")
    }
}

/// Serves a hop on a free port of 127.0.0.1; its URL.
async fn serve(hop: Arc<Hop>) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().fallback(forward).with_state(hop);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

// ---- the scenario ----

/// The chart of the scenario's `helm.v3` component (the samples' podinfo, which the
/// simulator cannot pull from ghcr.io): one small native chart, whatever the reference.
#[derive(Debug)]
struct AnyChart(wo_azure_sim::PulledChart);

#[async_trait::async_trait]
impl wo_azure_sim::ChartSource for AnyChart {
    async fn fetch(
        &self,
        _repo: &str,
        _version: &str,
    ) -> Result<wo_azure_sim::PulledChart, wo_azure_sim::ChartError> {
        Ok(self.0.clone())
    }
}

fn any_chart() -> Arc<dyn wo_azure_sim::ChartSource> {
    let mut chart = wo_core::files::FileTree::new();
    chart
        .insert(
            "Chart.yaml",
            "apiVersion: v2\nname: podinfo\nversion: 6.9.3\nannotations:\n  wo/engine: handlebars\n",
        )
        .unwrap();
    chart
        .insert(
            "templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo\n",
        )
        .unwrap();
    let packaged = wo_render::package::package(&chart, "6.9.3").unwrap();
    Arc::new(AnyChart(wo_azure_sim::PulledChart::new(packaged.bytes)))
}

fn context_body() -> Value {
    json!({"location": "eastus", "properties": {
        "capabilities": [{"name": "shop", "description": "shop floor"}],
        "hierarchies": [{"name": "factory", "description": "factory"}, {"name": "line", "description": "line"}]}})
}

/// A line's target: Helm-capable as WO's samples bind it, and binding `wo.gitops` too (the
/// type of the orchestrator's default specification: the simulator refuses components of
/// types a target does not bind).
fn target_body(rg: &str) -> Value {
    json!({"location": "eastus",
           "extendedLocation": {"name": format!("/subscriptions/{SUB}/resourceGroups/rg-wo/providers/Microsoft.ExtendedLocation/customLocations/cl-1"), "type": "CustomLocation"},
           "properties": {
        "description": "line 01", "displayName": "line 01",
        "contextId": format!("{rg}/contexts/factory-ctx"),
        "targetSpecification": {"topologies": [{"bindings": [
            {"role": "helm.v3", "provider": "providers.target.helm", "config": {"inCluster": "true"}},
            {"role": "wo.gitops", "provider": "providers.target.gitops", "config": {"inCluster": "true"}}]}]},
        "capabilities": ["shop"], "hierarchyLevel": "line", "solutionScope": "default"}})
}

const SCHEMA: &str = "rules:\n  configs:\n    LogLevel:\n      type: string\n      allowedValues: [info, debug]\n      editableAt: [line]\n    Replicas:\n      type: int\n      required: true\n";
const TEMPLATE: &str = "schema: {name: shop-schema, version: 1.0.0}\nconfigs:\n  AppName: shop\n  LogLevel: ${{$val(LogLevel)}}\n  Replicas: ${{$val(Replicas)}}\n";

/// Expects an error of a kind; any other outcome is a failure of the scenario.
fn expect<T: std::fmt::Debug>(
    what: &str,
    r: wo_core::Result<T>,
    ok: impl Fn(&Error) -> bool,
) -> wo_core::Result<()> {
    match r {
        Err(e) if ok(&e) => Ok(()),
        other => Err(Error::backend(
            "test",
            format!("{what}: unexpected {other:?}"),
        )),
    }
}

/// Every resource kind written, read and listed, every action, and error answers.
async fn scenario(arm: &ArmClient) -> wo_core::Result<()> {
    let rg = rg();
    let sub = sub();

    // Context and target.
    let ctx = format!("{rg}/contexts/factory-ctx");
    arm.put_lro(&ctx, &context_body()).await?;
    arm.get(&ctx).await?;
    arm.list(&format!("{rg}/contexts")).await?;
    arm.list(&format!("{sub}/contexts")).await?;
    let target = format!("{rg}/targets/line-01");
    arm.put_lro(&target, &target_body(&rg)).await?;
    arm.get(&target).await?;
    arm.list(&format!("{rg}/targets")).await?;
    arm.list(&format!("{sub}/targets")).await?;

    // Schema and solution template, with versions.
    let schema = format!("{rg}/schemas/shop-schema");
    arm.put_lro(&schema, &json!({"location": "eastus", "properties": {}}))
        .await?;
    arm.post_lro(
        &format!("{schema}/createVersion"),
        Some(&json!({"version": "1.0.0", "schemaVersion": {"properties": {"value": SCHEMA}}})),
    )
    .await?;
    arm.get(&schema).await?;
    arm.list(&format!("{rg}/schemas")).await?;
    arm.list(&format!("{sub}/schemas")).await?;
    arm.get(&format!("{schema}/versions/1.0.0")).await?;
    arm.list(&format!("{schema}/versions")).await?;
    let template = format!("{rg}/solutionTemplates/shop");
    arm.put_lro(
        &template,
        &json!({"location": "eastus", "properties": {"description": "shop", "capabilities": ["shop"]}}),
    )
    .await?;
    let stv = arm
        .post_lro(
            &format!("{template}/createVersion"),
            Some(&json!({"version": "1.0.0", "solutionTemplateVersion": {"properties": {
                "configurations": TEMPLATE,
                "specification": {"components": [{"name": "helmcomponent", "type": "helm.v3",
                    "properties": {"chart": {"repo": "oci://ghcr.io/stefanprodan/charts/podinfo", "version": "6.9.3"}}}]}}}})),
        )
        .await?;
    let stv_id = stv["id"].as_str().unwrap_or_default().to_string();
    arm.get(&template).await?;
    arm.list(&format!("{rg}/solutionTemplates")).await?;
    arm.list(&format!("{sub}/solutionTemplates")).await?;
    arm.get(&stv_id).await?;
    arm.list(&format!("{template}/versions")).await?;

    // The target's configuration (made by the service) and its values.
    let reference = arm
        .get(&extension(&target, "configurationReferences/default"))
        .await?;
    arm.list(&extension(&target, "configurationReferences"))
        .await?;
    let config = reference["properties"]["configurationResourceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    arm.get(&config).await?;
    arm.patch(&config, &json!({"tags": {"team": "shop"}}))
        .await?;
    arm.list(&format!("{rg}/configurations")).await?;
    arm.list(&format!("{sub}/configurations")).await?;
    let dynamic = format!("{config}/dynamicConfigurations/shop");
    arm.put_lro(
        &dynamic,
        &json!({"properties": {"currentVersion": "1.0.0"}}),
    )
    .await?;
    let values = format!("{dynamic}/versions/1.0.0");
    arm.put_lro(
        &values,
        &json!({"properties": {"values": "LogLevel: debug\nReplicas: 2\n"}}),
    )
    .await?;
    arm.get(&dynamic).await?;
    arm.get(&values).await?;
    arm.list(&format!("{config}/dynamicConfigurations")).await?;
    arm.list(&format!("{dynamic}/versions")).await?;

    // Review, publish, install, and what they leave behind.
    let review = json!({"solutionTemplateVersionId": stv_id});
    let sv = arm
        .post_lro(&format!("{target}/reviewSolutionVersion"), Some(&review))
        .await?;
    let sv_id = sv["id"].as_str().unwrap_or_default().to_string();
    arm.post_lro(
        &format!("{target}/publishSolutionVersion"),
        Some(&json!({"solutionVersionId": sv_id})),
    )
    .await?;
    arm.post_lro(
        &format!("{target}/installSolution"),
        Some(&json!({"solutionVersionId": sv_id})),
    )
    .await?;
    let solution = format!("{target}/solutions/shop");
    arm.list(&format!("{target}/solutions")).await?;
    arm.get(&solution).await?;
    arm.list(&format!("{solution}/versions")).await?;
    arm.get(&sv_id).await?;
    let instance = format!("{solution}/instances/shop");
    arm.list(&format!("{solution}/instances")).await?;
    arm.get(&instance).await?;
    let histories = arm.list(&format!("{instance}/histories")).await?;
    if let Some(h) = histories.first().and_then(|h| h["id"].as_str()) {
        arm.get(h).await?;
    }
    let jobs = arm.list(&extension(&target, "jobs")).await?;
    if let Some(job) = jobs.first().and_then(|j| j["name"].as_str()) {
        arm.get(&extension(&target, &format!("jobs/{job}"))).await?;
    }
    arm.post_lro(&format!("{target}/resolveConfiguration"), Some(&review))
        .await?;

    // Values that break the schema: the review is accepted, its operation fails.
    arm.patch(
        &values,
        &json!({"properties": {"values": "LogLevel: verbose\nReplicas: 2\n"}}),
    )
    .await?;
    expect(
        "a review of values outside allowedValues",
        arm.post_lro(&format!("{target}/reviewSolutionVersion"), Some(&review))
            .await,
        |e| matches!(e, Error::Rejected { .. }) && e.to_string().contains("LogLevel"),
    )?;
    arm.patch(
        &values,
        &json!({"properties": {"values": "LogLevel: debug\nReplicas: 2\n"}}),
    )
    .await?;
    arm.patch(
        &extension(&target, "configurationReferences/default"),
        &json!({"properties": {"configurationResourceId": config}}),
    )
    .await?;

    // A second revision, removed; error answers.
    arm.post_lro(&format!("{target}/reviewSolutionVersion"), Some(&review))
        .await?;
    let remove = |v: &str| json!({"solutionTemplateId": template, "solutionVersion": v});
    arm.post_lro(
        &format!("{target}/removeRevision"),
        Some(&remove("1.0.0.2")),
    )
    .await?;
    expect(
        "removing the deployed revision",
        arm.post(
            &format!("{target}/removeRevision"),
            Some(&remove("1.0.0.1")),
        )
        .await,
        |e| matches!(e, Error::Precondition { .. }),
    )?;
    expect(
        "a target that does not exist",
        arm.get(&format!("{rg}/targets/line-99")).await,
        |e| matches!(e, Error::NotFound { .. }),
    )?;
    expect(
        "a reference to a configuration that does not exist",
        arm.put(
            &extension(&target, "configurationReferences/default"),
            &json!({"properties": {"configurationResourceId": format!("{rg}/configurations/missing-config")}}),
        )
        .await,
        |e| matches!(e, Error::Rejected { .. }),
    )?;

    // Uninstall.
    arm.post_lro(
        &format!("{target}/uninstallSolution"),
        Some(&json!({"solutionTemplateId": template, "solutionInstanceName": "shop"})),
    )
    .await?;

    // A site's configuration, set up by hand as for sites.
    let site = format!("{rg}/sites/factory-1");
    let site_config = format!("{rg}/configurations/factory-1Config");
    arm.put(&site_config, &json!({"location": "eastus"}))
        .await?;
    let site_reference = extension(&site, "configurationReferences/default");
    arm.put(
        &site_reference,
        &json!({"properties": {"configurationResourceId": site_config}}),
    )
    .await?;
    arm.get(&site_reference).await?;
    arm.delete(&site_reference).await?;
    arm.delete(&site_config).await?;

    // Clean-up.
    arm.delete(&values).await?;
    arm.delete(&dynamic).await?;
    arm.delete_lro(&target).await?;
    arm.delete_lro(&template).await?;
    arm.delete_lro(&schema).await?;
    arm.delete_lro(&ctx).await?;
    Ok(())
}

/// Two deliberate violations, sent through the recorder, that Prism must catch: a request
/// without the target's required properties, and an answer without its `location`.
async fn controls(front: &str) {
    let http = default_http_client().unwrap();
    let rg = rg();
    let send = |path: String, control: &'static str, body: Value| {
        http.put(format!("{front}{path}?api-version=2025-08-01"))
            .bearer_auth("prism-test")
            .header(CONTROL, control)
            .json(&body)
            .send()
    };
    send(
        format!("{rg}/targets/line-02"),
        "bad-request",
        json!({"location": "eastus", "properties": {"description": "no display name"}}),
    )
    .await
    .unwrap();
    send(
        format!("{rg}/configurations/control-config"),
        "drop-location",
        json!({"location": "eastus"}),
    )
    .await
    .unwrap();
}

/// The recorder → Prism → shim → simulator chain on 127.0.0.1.
struct Chain {
    front: Arc<Hop>,
    front_url: String,
    sim: Simulator,
    proxy: PrismProxy,
    recorder: tokio::task::JoinHandle<()>,
    shim: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Chain {
    async fn start() -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let spec = merged_spec(dir.path());

        // The recorder's address first: the simulator writes it into the links it hands out.
        let front_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front_url = format!("http://{}", front_listener.local_addr().unwrap());
        let sim = Simulator::start(SimulatorOptions {
            lro_polls: 1,
            retry_after_secs: 0,
            public_url: Some(front_url.clone()),
            charts: Some(any_chart()),
            ..SimulatorOptions::default()
        })
        .await
        .unwrap();
        let http = default_http_client().unwrap();
        let (shim_url, shim) = serve(Arc::new(Hop {
            http: http.clone(),
            prism: None,
            sim: sim.base_url(),
            seen: Mutex::new(Vec::new()),
        }))
        .await;
        let proxy = tokio::task::spawn_blocking({
            let spec = spec.clone();
            move || start_prism_proxy(&spec, &shim_url).expect("prism proxy starts")
        })
        .await
        .unwrap();
        let front = Arc::new(Hop {
            http,
            prism: Some(proxy.base_url()),
            sim: sim.base_url(),
            seen: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(forward).with_state(front.clone());
        let recorder = tokio::spawn(async move {
            let _ = axum::serve(front_listener, app).await;
        });

        Chain {
            front,
            front_url,
            sim,
            proxy,
            recorder,
            shim,
            _dir: dir,
        }
    }

    /// An ARM client sending through the recorder, never retrying (every answer counts once).
    fn arm(&self) -> ArmClient {
        ArmClient::builder()
            .base_url(&self.front_url)
            .credential(Arc::new(StaticToken::new("prism-test")))
            .http_client(default_http_client().unwrap())
            .retry(RetryPolicy::never())
            .lro(LroPolicy {
                min_interval: Duration::from_millis(1),
                max_interval: Duration::from_millis(20),
                default_interval: Duration::from_millis(5),
                max_duration: Duration::from_secs(60),
            })
            .build()
            .unwrap()
    }

    /// Every answer Prism objected to, one report each; and the counts validated / direct.
    fn problems(&self) -> (Vec<String>, usize, usize) {
        let seen = self.front.seen.lock().unwrap().clone();
        let problems = seen
            .iter()
            .filter(|s| s.control.is_none() && s.problem())
            .map(report)
            .collect();
        let validated = seen
            .iter()
            .filter(|s| s.validated && s.control.is_none())
            .count();
        let direct = seen.iter().filter(|s| !s.validated).count();
        (problems, validated, direct)
    }

    async fn stop(self) {
        self.recorder.abort();
        self.shim.abort();
        drop(self.proxy);
        self.sim.shutdown().await;
    }
}

fn report(s: &Seen) -> String {
    format!(
        "{} {} → {}\n    sl-violations: {}\n    body: {}",
        s.method,
        s.path,
        s.status,
        s.violations.as_deref().unwrap_or("-"),
        s.body
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_finds_no_violation_in_a_whole_scenario() {
    let chain = Chain::start().await;
    let arm = chain.arm();
    let front_url = chain.front_url.clone();
    controls(&front_url).await;
    let outcome = scenario(&arm).await;

    let seen = chain.front.seen.lock().unwrap().clone();
    let (problems, validated, direct) = chain.problems();
    eprintln!(
        "Prism validated {validated} requests and their answers ({direct} operation polls went \
         straight to the simulator); {} violation(s)",
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "Prism reported {} problem(s) (log: {}):\n{}",
        problems.len(),
        chain.proxy.log_path().display(),
        problems.join("\n")
    );
    if let Err(e) = outcome {
        panic!("the scenario failed: {e}");
    }

    // The controls prove that Prism checks requests and answers here.
    let control = |name: &str| {
        seen.iter()
            .find(|s| s.control.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("control {name} not seen"))
            .clone()
    };
    let bad_request = control("bad-request");
    assert_eq!(bad_request.status, 422, "{}", report(&bad_request));
    assert!(
        bad_request.findings().contains("displayName"),
        "{}",
        report(&bad_request)
    );
    let bad_answer = control("drop-location");
    assert_eq!(bad_answer.status, 500, "{}", report(&bad_answer));
    assert!(
        bad_answer.findings().contains("location"),
        "{}",
        report(&bad_answer)
    );

    // Every request of the client was seen, and every one but the refused control reached
    // the simulator.
    assert_eq!(arm.requests_sent() + 2, seen.len() as u64);
    assert_eq!(chain.sim.requests() + 1, seen.len() as u64);
    // Each kind of resource and action went through Prism.
    for kind in [
        "/contexts/",
        "/targets/",
        "/schemas/",
        "/versions/",
        "/solutionTemplates/",
        "/configurations/",
        "/configurationReferences",
        "/dynamicConfigurations/",
        "/solutions/",
        "/instances/",
        "/histories/",
        "/providers/Microsoft.Edge/jobs",
        "/reviewSolutionVersion",
        "/publishSolutionVersion",
        "/installSolution",
        "/uninstallSolution",
        "/removeRevision",
        "/resolveConfiguration",
        "/createVersion",
    ] {
        assert!(
            seen.iter()
                .any(|s| s.validated && s.control.is_none() && s.path.contains(kind)),
            "no request for {kind} went through Prism"
        );
    }
    chain.stop().await;
}

/// wo's own deployments (WoOrchestrator: schema and template versions, values per target,
/// review, publish, install, a failing target, a retry, rollback, uninstall, reads) through
/// Prism: nothing it sends or gets back breaks the specifications.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orchestrator_sends_and_gets_nothing_prism_rejects() {
    use wo_azure::orchestrator::{WoOptions, WoOrchestrator};
    use wo_core::ports::{CommitId, Health, Orchestrator, Release, TargetOutcome, TargetRelease};

    let chain = Chain::start().await;
    let arm = chain.arm();
    let rg = rg();
    arm.put_lro(&format!("{rg}/contexts/factory-ctx"), &context_body())
        .await
        .unwrap();
    let targets = ["line-01", "line-02", "line-03"];
    for t in targets {
        arm.put_lro(&format!("{rg}/targets/{t}"), &target_body(&rg))
            .await
            .unwrap();
    }
    let wo = WoOrchestrator::new(
        Arc::new(chain.arm()),
        &format!("/subscriptions/{SUB}/resourceGroups/rg-wo"),
        "eastus",
    )
    .unwrap()
    .with_options(WoOptions {
        concurrency: 3,
        capabilities: vec!["shop".into()],
        watch_interval: Duration::from_millis(5),
        ..WoOptions::default()
    });
    let release = |version: &str| Release {
        solution: "shop".into(),
        environment: "prod".into(),
        version: version.into(),
        source_commit: CommitId::from("a1"),
        gitops_commit: CommitId::from(format!("g{version}")),
        targets: targets
            .iter()
            .map(|t| TargetRelease {
                target: t.to_string(),
                orchestrator_id: Some(format!("{rg}/targets/{t}")),
                values: json!({"appName": "shop", "replicas": 2, "store": {"line": t},
                               "flags": ["a", "b"], "release": version}),
                manifests: format!("kind: ConfigMap\nmetadata:\n  name: {t}\n"),
            })
            .collect(),
        chart: None,
        specification: None,
    };
    let first = wo.deploy(&release("1.0.0")).await.unwrap();
    assert!(first.all_succeeded(), "{first:?}");
    chain
        .sim
        .fail_installs_on_with("line-02", "ImagePullBackOff");
    let second = wo.deploy(&release("2.0.0")).await.unwrap();
    assert_eq!(second.failed().len(), 1, "{second:?}");
    chain.sim.heal_installs_on("line-02");
    let retry = wo.deploy(&release("2.0.0")).await.unwrap();
    assert!(retry.all_succeeded(), "{retry:?}");
    // Health: an unhealthy instance (deployed, a component failing) read through Prism.
    chain.sim.make_unhealthy(
        "line-01",
        "CrashLoopBackOff: back-off restarting failed container",
    );
    let all = targets.iter().map(|t| t.to_string()).collect();
    let health = wo.health(&release("2.0.0"), &all).await.unwrap();
    assert!(
        matches!(&health["line-01"], Health::Unhealthy { reason } if reason.contains("CrashLoopBackOff")),
        "{health:?}"
    );
    assert_eq!(health["line-02"], Health::Healthy);
    chain.sim.make_healthy("line-01");
    let names: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let back = wo.rollback("shop", "1.0.0", &names).await.unwrap();
    assert!(back.all_succeeded(), "{back:?}");
    assert_eq!(back.results["line-01"], TargetOutcome::Deployed);
    wo.uninstall("shop", "line-03").await.unwrap();
    assert_eq!(wo.deployed("shop", "line-03").await.unwrap(), None);
    assert_eq!(
        wo.deployed("shop", "line-01").await.unwrap().as_deref(),
        Some("1.0.0")
    );

    let (problems, validated, direct) = chain.problems();
    eprintln!(
        "Prism validated {validated} requests of the orchestrator and their answers ({direct} \
         operation polls went straight to the simulator); {} violation(s)",
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "Prism reported {} problem(s) (log: {}):\n{}",
        problems.len(),
        chain.proxy.log_path().display(),
        problems.join("\n")
    );
    assert!(
        validated > 100,
        "the deployments went through Prism: {validated}"
    );
    chain.stop().await;
}
