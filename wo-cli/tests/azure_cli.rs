//! `wo azure-sim`, `wo fleet import` and `wo fleet apply` through the built binary, against the Workload
//! Orchestration simulator (in this process, or the binary itself), a scripted ARM endpoint
//! for answers the simulator refuses to give, local git repositories, and the fake GitHub.
//! Everything listens on 127.0.0.1.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wo_azure::arm::{default_http_client, ArmClient, LroPolicy, StaticToken};
use wo_azure_sim::{Simulator, SimulatorOptions};
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::Error;

const RG: &str = "/subscriptions/sub1/resourceGroups/rg1";
const TOKEN: &str = "test-token";

fn edge(rest: &str) -> String {
    format!("{RG}/providers/Microsoft.Edge/{rest}")
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `wo` with a clean environment for these commands: no settings file in reach, a private
/// cache, a static ARM token; `env` added on top.
fn wo_command(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wo"));
    cmd.args(args).current_dir(dir);
    for var in [
        "WO_PLATFORM",
        "WO_SETTINGS",
        "WO_ARM_URL",
        "WO_CACHE",
        "WO_SIM_TOKEN",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "GITHUB_TOKEN",
        "WO_GITHUB_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("WO_HELM", wo_test_support::tool("helm"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `wo` off the async runtime, so that servers in this process keep answering.
async fn wo(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("temp dir");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let out = wo_command(&args, &env, dir.path())
            .output()
            .expect("run wo");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("wo runs")
}

fn arm(base: &str, token: &str) -> ArmClient {
    ArmClient::builder()
        .base_url(base)
        .credential(Arc::new(StaticToken::new(token.to_string())))
        .http_client(default_http_client().unwrap())
        .lro(LroPolicy {
            min_interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(10),
            default_interval: Duration::from_millis(2),
            max_duration: Duration::from_secs(10),
        })
        .build()
        .unwrap()
}

async fn put_context(arm: &ArmClient, name: &str) {
    arm.put_lro(
        &edge(&format!("contexts/{name}")),
        &json!({"location": "eastus", "properties": {
            "capabilities": [{"name": "shop", "description": "shop"}],
            "hierarchies": [{"name": "line", "description": "line"}]}}),
    )
    .await
    .unwrap();
}

async fn put_target(arm: &ArmClient, name: &str, context: &str, caps: &[&str]) {
    arm.put_lro(
        &edge(&format!("targets/{name}")),
        &json!({"location": "eastus",
                "extendedLocation": {"name": "/subscriptions/sub1/cl", "type": "CustomLocation"},
                "properties": {
                    "description": name, "displayName": name,
                    "contextId": edge(&format!("contexts/{context}")),
                    "targetSpecification": {"topologies": []},
                    "capabilities": caps, "hierarchyLevel": "line",
                    "solutionScope": "default", "state": "active"}}),
    )
    .await
    .unwrap();
}

/// A simulator holding contexts `ctx` and `other`, targets `line-1` and `line-2` in `ctx` and
/// `line-9` in `other`.
async fn seeded(options: SimulatorOptions) -> (Simulator, ArmClient) {
    let token = options.token.clone().unwrap_or_else(|| TOKEN.into());
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 0,
        retry_after_secs: 0,
        page_size: 2, // three targets: the import must follow nextLink
        ..options
    })
    .await
    .unwrap();
    let client = arm(&sim.base_url(), &token);
    put_context(&client, "ctx").await;
    put_context(&client, "other").await;
    put_target(&client, "line-1", "ctx", &["shop", "soap"]).await;
    put_target(&client, "line-2", "ctx", &["shop"]).await;
    put_target(&client, "line-9", "other", &["soap"]).await;
    (sim, client)
}

const FLEET: &str = "\
# dev's fleet
apiVersion: wo/v1
kind: Fleet
environment: dev
next: stage
hierarchy: [region]
targets:
  - name: line-1
    hierarchy: {region: eu}
    labels: {tier: edge, yes: 'on'}
    capabilities: [old]
  - name: retired-1
    hierarchy: {region: eu}
    labels: {tier: edge}
    orchestrator:
      id: /subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge/targets/retired-1
      context: /subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge/contexts/ctx
assignments:
  - solution: shop
    selector: {tier: edge}
    targets: [retired-1]
";

/// A bare platform config repo with branch `dev` holding `files`.
struct Platform {
    dir: tempfile::TempDir,
}

impl Platform {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let mut tree = FileTree::new();
        for (path, text) in files {
            tree.insert(*path, *text).unwrap();
        }
        let tree = wo::git::tree::write_tree(&repo, &tree)
            .unwrap()
            .expect("files");
        let tree = repo.find_tree(tree).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        repo.commit(Some("refs/heads/dev"), &sig, &sig, "dev", &tree, &[])
            .unwrap();
        Platform { dir }
    }

    fn with_fleet() -> Self {
        Self::new(&[("fleet.yaml", FLEET), ("values.yaml", "logLevel: info\n")])
    }

    fn path(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn repo(&self) -> git2::Repository {
        git2::Repository::open_bare(self.dir.path()).unwrap()
    }

    fn head(&self, branch: &str) -> Option<String> {
        self.repo()
            .find_reference(&format!("refs/heads/{branch}"))
            .ok()
            .and_then(|r| r.target())
            .map(|o| o.to_string())
    }

    fn branches(&self) -> Vec<String> {
        let repo = self.repo();
        let mut names: Vec<String> = repo
            .branches(Some(git2::BranchType::Local))
            .unwrap()
            .map(|b| b.unwrap().0.name().unwrap().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    fn file(&self, branch: &str, path: &str) -> Option<String> {
        let repo = self.repo();
        let tree = repo
            .revparse_single(&format!("refs/heads/{branch}"))
            .ok()?
            .peel_to_tree()
            .unwrap();
        let entry = tree.get_path(Path::new(path)).ok()?;
        let blob = repo.find_blob(entry.id()).unwrap();
        Some(String::from_utf8(blob.content().to_vec()).unwrap())
    }

    fn parent_of(&self, branch: &str) -> Vec<String> {
        let repo = self.repo();
        let c = repo
            .revparse_single(&format!("refs/heads/{branch}"))
            .unwrap()
            .peel_to_commit()
            .unwrap();
        c.parent_ids().map(|p| p.to_string()).collect()
    }
}

const BRANCH: &str = "wo/fleet-import/dev";

fn import_args<'a>(platform: &'a str, arm_url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "fleet",
        "import",
        "--env",
        "dev",
        "--resource-group",
        RG,
        "--platform",
        platform,
        "--arm-url",
        arm_url,
    ];
    args.extend_from_slice(extra);
    args
}

fn orchestrator(fleet: &Fleet, name: &str) -> (String, String) {
    let o = fleet
        .target(name)
        .unwrap_or_else(|| panic!("no target {name}"))
        .orchestrator
        .clone()
        .unwrap_or_else(|| panic!("{name} has no orchestrator ids"));
    (o.id.unwrap_or_default(), o.context.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_proposes_the_fleet_on_a_branch_once() {
    let (sim, client) = seeded(SimulatorOptions::default()).await;
    let platform = Platform::with_fleet();
    let dev = platform.head("dev").unwrap();
    let url = sim.base_url();
    let repo = platform.path();
    let args = import_args(&repo, &url, &["--node", "region=eu"]);

    let run = wo(&args, &[]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(BRANCH), "{run:?}");
    assert!(run.stdout.contains("added line-2"), "{run:?}");
    assert!(
        run.stdout
            .contains("updated line-1 (capabilities, orchestrator)"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("warning") && run.stderr.contains("retired-1"),
        "{run:?}"
    );

    // The env branch is untouched; the import branch is one commit on top of it.
    assert_eq!(platform.head("dev").as_deref(), Some(dev.as_str()));
    assert_eq!(platform.parent_of(BRANCH), std::slice::from_ref(&dev));
    assert_eq!(
        platform.file(BRANCH, "values.yaml").as_deref(),
        Some("logLevel: info\n")
    );
    let text = platform.file(BRANCH, "fleet.yaml").unwrap();
    let fleet = Fleet::parse(&text, "fleet.yaml").unwrap();
    assert_eq!(fleet.environment, "dev");
    assert_eq!(fleet.next.as_deref(), Some("stage"));
    assert_eq!(fleet.hierarchy, ["region"]);
    assert_eq!(fleet.assignments.len(), 1);
    assert_eq!(fleet.assignments[0].targets, ["retired-1"]);

    let line1 = fleet.target("line-1").unwrap();
    assert_eq!(&line1.labels["tier"], "edge");
    assert_eq!(
        &line1.labels["yes"], "on",
        "a YAML 1.1 boolean word stays a string"
    );
    assert_eq!(&line1.hierarchy["region"], "eu");
    assert_eq!(line1.capabilities, ["shop", "soap"]);
    assert_eq!(
        orchestrator(&fleet, "line-1"),
        (edge("targets/line-1"), edge("contexts/ctx"))
    );
    let line2 = fleet.target("line-2").unwrap();
    assert_eq!(line2.capabilities, ["shop"]);
    assert_eq!(&line2.labels["hierarchyLevel"], "line");
    assert_eq!(&line2.hierarchy["region"], "eu");
    assert_eq!(
        orchestrator(&fleet, "line-2"),
        (edge("targets/line-2"), edge("contexts/ctx"))
    );
    assert_eq!(
        orchestrator(&fleet, "line-9"),
        (edge("targets/line-9"), edge("contexts/other"))
    );
    // Gone from WO, kept in the fleet with what it had.
    let retired = fleet.target("retired-1").unwrap();
    assert_eq!(&retired.labels["tier"], "edge");
    assert_eq!(fleet.targets.len(), 4);

    // Again, nothing changed: nothing written.
    let head = platform.head(BRANCH).unwrap();
    let again = wo(&args, &[]).await;
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again.stdout.contains("already proposes this import"),
        "{again:?}"
    );
    assert!(again.stdout.contains("nothing written"), "{again:?}");
    assert_eq!(platform.head(BRANCH).as_deref(), Some(head.as_str()));

    // A change in WO updates the same branch.
    put_target(&client, "line-3", "ctx", &["shop"]).await;
    let changed = wo(&args, &[]).await;
    assert_eq!(changed.code, Some(0), "{changed:?}");
    assert!(changed.stdout.contains("added line-3"), "{changed:?}");
    let new_head = platform.head(BRANCH).unwrap();
    assert_ne!(new_head, head);
    assert_eq!(platform.parent_of(BRANCH), std::slice::from_ref(&dev));
    assert_eq!(platform.branches(), ["dev", BRANCH]);
    let fleet = Fleet::parse(&platform.file(BRANCH, "fleet.yaml").unwrap(), "f").unwrap();
    assert!(fleet.target("line-3").is_some());
    assert_eq!(platform.head("dev").as_deref(), Some(dev.as_str()));

    // JSON output says the same.
    let json_run = wo(
        &import_args(
            &platform.path(),
            &url,
            &["--node", "region=eu", "--output", "json"],
        ),
        &[],
    )
    .await;
    assert_eq!(json_run.code, Some(0), "{json_run:?}");
    let v: Value = serde_json::from_str(&json_run.stdout).unwrap();
    assert_eq!(v["written"], false);
    assert_eq!(v["branch"], BRANCH);
    assert_eq!(v["head"], new_head.as_str());
    assert_eq!(v["missing"], json!(["retired-1"]));
    assert_eq!(v["changeRequest"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_filter_and_a_dry_run() {
    let (sim, _client) = seeded(SimulatorOptions::default()).await;
    let platform = Platform::with_fleet();
    let url = sim.base_url();
    let ctx = edge("contexts/CTX"); // ARM ids compare case-insensitively

    let dry = wo(
        &import_args(
            &platform.path(),
            &url,
            &["--node", "region=eu", "--context", &ctx, "--dry-run"],
        ),
        &[],
    )
    .await;
    assert_eq!(dry.code, Some(0), "{dry:?}");
    assert_eq!(platform.branches(), ["dev"], "a dry run writes nothing");
    let fleet = Fleet::parse(&dry.stdout, "stdout").unwrap();
    assert!(fleet.target("line-2").is_some());
    assert!(
        fleet.target("line-9").is_none(),
        "line-9 is in another context"
    );
    assert!(dry.stderr.contains("retired-1"), "{dry:?}");

    let run = wo(
        &import_args(
            &platform.path(),
            &url,
            &["--node", "region=eu", "--context", &ctx],
        ),
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let written = platform.file(BRANCH, "fleet.yaml").unwrap();
    assert_eq!(
        written, dry.stdout,
        "the dry run printed what the import writes"
    );

    // In context `other`, retired-1 (of `ctx`) is not this import's business.
    let other = wo(
        &import_args(
            &platform.path(),
            &url,
            &[
                "--node",
                "region=eu",
                "--context",
                &edge("contexts/other"),
                "--dry-run",
            ],
        ),
        &[],
    )
    .await;
    assert_eq!(other.code, Some(0), "{other:?}");
    assert!(!other.stderr.contains("retired-1"), "{other:?}");
    let fleet = Fleet::parse(&other.stdout, "stdout").unwrap();
    assert!(fleet.target("line-9").is_some());
    assert!(fleet.target("line-2").is_none());
    // Once the proposal is merged, a dry run says there is no change (and writes nothing).
    let proposal = platform.head(BRANCH).unwrap();
    let repo = platform.repo();
    repo.reference(
        "refs/heads/dev",
        git2::Oid::from_str(&proposal).unwrap(),
        true,
        "merged",
    )
    .unwrap();
    let unchanged = wo(
        &import_args(
            &platform.path(),
            &url,
            &["--node", "region=eu", "--context", &ctx, "--dry-run"],
        ),
        &[],
    )
    .await;
    assert_eq!(unchanged.code, Some(0), "{unchanged:?}");
    assert!(
        unchanged.stdout.starts_with("dev: no change:"),
        "{unchanged:?}"
    );
    assert!(
        unchanged.stdout.contains("nothing would be written"),
        "{unchanged:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_is_created_and_new_targets_need_their_hierarchy() {
    let (sim, _client) = seeded(SimulatorOptions::default()).await;
    let url = sim.base_url();

    // No fleet.yaml on the env branch yet: one is created.
    let empty = Platform::new(&[("values.yaml", "a: 1\n")]);
    let run = wo(&import_args(&empty.path(), &url, &[]), &[]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let fleet = Fleet::parse(&empty.file(BRANCH, "fleet.yaml").unwrap(), "f").unwrap();
    assert_eq!(fleet.api_version, "wo/v1");
    assert_eq!(fleet.kind, "Fleet");
    assert_eq!(fleet.environment, "dev");
    assert!(fleet.assignments.is_empty());
    let names: Vec<&str> = fleet.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["line-1", "line-2", "line-9"]);

    // A fleet with hierarchy levels: new targets without --node would make it invalid.
    let platform = Platform::with_fleet();
    let run = wo(&import_args(&platform.path(), &url, &[]), &[]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("line-2") && run.stderr.contains("--node region=NODE"),
        "{run:?}"
    );
    assert_eq!(platform.branches(), ["dev"]);

    // An environment without a branch.
    let run = wo(
        &[
            "fleet",
            "import",
            "--env",
            "prod",
            "--resource-group",
            RG,
            "--platform",
            &platform.path(),
            "--arm-url",
            &url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("prod"), "{run:?}");
    assert_eq!(platform.branches(), ["dev"]);
}

const APPLIED: &str = "\
apiVersion: wo/v1
kind: Fleet
environment: dev
hierarchy: [site]
targets:
  - {name: line-1, hierarchy: {site: berlin}, capabilities: [shop]}
  - {name: line-2, hierarchy: {site: berlin}, capabilities: [shop, gpu]}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_apply_plans_creates_and_then_writes_nothing() {
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 0,
        retry_after_secs: 0,
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let platform = Platform::new(&[("fleet.yaml", APPLIED)]);
    let (repo, url) = (platform.path(), sim.base_url());
    let args = |extra: &[&'static str]| {
        let mut a: Vec<String> = [
            "fleet",
            "apply",
            "-e",
            "dev",
            "--resource-group",
            RG,
            "--platform",
            &repo,
            "--arm-url",
            &url,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run_with = |extra: &[&'static str]| {
        let a = args(extra);
        async move {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            wo(&a, &[("WO_AZURE_POLL_MS", "1")]).await
        }
    };

    let dry = run_with(&["--dry-run"]).await;
    assert_eq!(dry.code, Some(0), "{dry:?}");
    assert!(dry.stdout.contains("ACTION"), "{dry:?}");
    assert!(dry.stdout.contains("create  context  dev"), "{dry:?}");
    assert!(dry.stdout.contains("create  target   line-2"), "{dry:?}");
    assert!(dry.stdout.contains("nothing written"), "{dry:?}");
    assert!(sim.traffic().writes.is_empty(), "a dry run writes nothing");

    let run = run_with(&["-o", "json"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["applied"],
        json!({"created": 3, "updated": 0, "deleted": 0})
    );
    assert_eq!(report["context"], edge("contexts/dev"));
    assert_eq!(sim.traffic().writes.len(), 3);
    let t = sim.resource(&edge("targets/line-2")).unwrap();
    assert_eq!(t["properties"]["capabilities"], json!(["shop", "gpu"]));
    assert_eq!(t["properties"]["hierarchyLevel"], "site");

    sim.reset_counters();
    let again = run_with(&[]).await;
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(again.stdout.contains("up to date"), "{again:?}");
    assert!(
        sim.traffic().writes.is_empty(),
        "{:?}",
        sim.traffic().writes
    );

    // A target of the context that the fleet does not name: kept without --prune.
    let client = arm(&sim.base_url(), TOKEN);
    client
        .put_lro(
            &edge("targets/line-3"),
            &json!({"location": "eastus", "properties": {
                "description": "x", "displayName": "x", "contextId": edge("contexts/dev"),
                "targetSpecification": {}, "capabilities": ["shop"], "hierarchyLevel": "site"}}),
        )
        .await
        .unwrap();
    sim.reset_counters();
    let kept = run_with(&[]).await;
    assert_eq!(kept.code, Some(0), "{kept:?}");
    assert!(sim.traffic().writes.is_empty());
    let pruned = run_with(&["--prune"]).await;
    assert_eq!(pruned.code, Some(0), "{pruned:?}");
    assert!(pruned.stdout.contains("1 deleted"), "{pruned:?}");
    assert!(sim.resource(&edge("targets/line-3")).is_none());

    let bad = run_with(&["--context", "../x"]).await;
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(bad.stderr.contains("--context"), "{bad:?}");
    let help = wo(&["fleet", "apply", "--help"], &[]).await;
    assert!(
        help.stdout.contains("Examples:") && help.stdout.contains("--prune"),
        "{help:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_apply_says_whether_the_platform_config_or_arm_failed() {
    let sim = Simulator::start(SimulatorOptions {
        lro_polls: 0,
        retry_after_secs: 0,
        token: Some("the-right-one".into()),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let platform = Platform::new(&[("fleet.yaml", APPLIED)]);
    let (repo, url) = (platform.path(), sim.base_url());
    let apply = |env: &'static str, token: &'static str| {
        let (repo, url) = (repo.clone(), url.clone());
        async move {
            wo(
                &[
                    "fleet",
                    "apply",
                    "-e",
                    env,
                    "--resource-group",
                    RG,
                    "--platform",
                    &repo,
                    "--arm-url",
                    &url,
                ],
                &[("AZURE_ACCESS_TOKEN", token), ("WO_AZURE_POLL_MS", "1")],
            )
            .await
        }
    };

    // The platform config repo has no branch `stage`: a git failure, not ARM's.
    let git = apply("stage", "the-right-one").await;
    assert_ne!(git.code, Some(0), "{git:?}");
    assert!(
        git.stderr.contains(&format!(
            "reading fleet.yaml of `stage` from the platform config repo {repo}"
        )),
        "{git:?}"
    );
    assert!(!git.stderr.contains("at ARM"), "{git:?}");
    assert!(sim.traffic().writes.is_empty());

    // ARM refuses the token: ARM's failure, not the repository's.
    let arm = apply("dev", "a-wrong-one").await;
    assert_eq!(arm.code, Some(1), "{arm:?}");
    assert!(
        arm.stderr
            .contains(&format!("applying the fleet at ARM {url}")),
        "{arm:?}"
    );
    assert!(!arm.stderr.contains("platform config repo"), "{arm:?}");

    let ok = apply("dev", "the-right-one").await;
    assert_eq!(ok.code, Some(0), "{ok:?}");
}

/// A scripted ARM endpoint answering every request with `body`.
async fn scripted_arm(body: Value) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { axum::Json(body) }
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_name_wo_cannot_use_is_refused() {
    let hostile = edge("targets/evil");
    let (url, server) = scripted_arm(json!({"value": [
        {"id": edge("targets/line-1"), "name": "line-1",
         "properties": {"capabilities": ["shop"], "contextId": edge("contexts/ctx")}},
        {"id": hostile, "name": "../../etc/passwd",
         "properties": {"capabilities": ["shop"], "contextId": edge("contexts/ctx")}},
    ]}))
    .await;
    let platform = Platform::with_fleet();
    let run = wo(
        &import_args(&platform.path(), &url, &["--node", "region=eu"]),
        &[],
    )
    .await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains(&hostile) && run.stderr.contains("../../etc/passwd"),
        "{run:?}"
    );
    assert!(run.stderr.contains("nothing was written"), "{run:?}");
    assert_eq!(platform.branches(), ["dev"]);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_named_with_the_arm_url() {
    let (sim, _client) = seeded(SimulatorOptions {
        token: Some("the-right-one".into()),
        ..SimulatorOptions::default()
    })
    .await;
    let url = sim.base_url();
    let platform = Platform::with_fleet();
    let run = wo(
        &import_args(&platform.path(), &url, &["--node", "region=eu"]),
        &[("AZURE_ACCESS_TOKEN", "a-wrong-one")],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    for part in [
        "401",
        "InvalidAuthenticationToken",
        url.as_str(),
        "AZURE_ACCESS_TOKEN",
    ] {
        assert!(run.stderr.contains(part), "missing {part:?}: {run:?}");
    }
    assert!(
        !run.stderr.contains("a-wrong-one"),
        "the token is not printed"
    );
    assert_eq!(platform.branches(), ["dev"]);

    // The right token works.
    let ok = wo(
        &import_args(&platform.path(), &url, &["--node", "region=eu"]),
        &[("AZURE_ACCESS_TOKEN", "the-right-one")],
    )
    .await;
    assert_eq!(ok.code, Some(0), "{ok:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_github_the_import_is_one_pull_request() {
    use wo_github_fake::FakeGitHub;
    let (sim, client) = seeded(SimulatorOptions::default()).await;
    let gh = FakeGitHub::start().await.unwrap();
    gh.create_repo("acme", "platform");
    gh.push_files(
        "acme",
        "platform",
        "dev",
        &[("fleet.yaml", Some(FLEET)), ("values.yaml", Some("a: 1\n"))],
        "dev",
    );
    let dev = gh.branch_sha("acme", "platform", "dev").unwrap();
    let url = sim.base_url();
    let token = gh.issue_token(
        wo_github_fake::TokenSpec::app(
            "wo",
            wo_github_fake::Repositories::Only(vec!["acme/platform".into()]),
        )
        .permission(
            wo_github_fake::Permission::Contents,
            wo_github_fake::Access::Write,
        )
        .permission(
            wo_github_fake::Permission::PullRequests,
            wo_github_fake::Access::Write,
        ),
    );
    let env = [("GITHUB_API_URL", gh.base_url()), ("GITHUB_TOKEN", &token)];
    let args = import_args("github://acme/platform", &url, &["--node", "region=eu"]);

    let run = wo(&args, &env).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("pull request #"), "{run:?}");
    let pulls = gh.pulls("acme", "platform");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(pulls[0].state, "open");
    assert!(format!("{:?}", pulls[0].head).contains(BRANCH), "{pulls:?}");
    assert!(
        pulls[0]
            .body
            .as_deref()
            .unwrap_or_default()
            .contains("retired-1"),
        "{pulls:?}"
    );
    let text = gh
        .read_file("acme", "platform", BRANCH, "fleet.yaml")
        .unwrap();
    let fleet = Fleet::parse(&text, "f").unwrap();
    assert_eq!(&fleet.target("line-1").unwrap().labels["tier"], "edge");
    assert!(fleet.target("line-9").is_some());
    assert_eq!(gh.branch_sha("acme", "platform", "dev").unwrap(), dev);

    let head = gh.branch_sha("acme", "platform", BRANCH).unwrap();
    let again = wo(&args, &env).await;
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again.stdout.contains("nothing written") && again.stdout.contains("pull request #"),
        "{again:?}"
    );
    assert_eq!(gh.branch_sha("acme", "platform", BRANCH).unwrap(), head);
    assert_eq!(gh.pulls("acme", "platform").len(), 1);

    put_target(&client, "line-3", "ctx", &["shop"]).await;
    let changed = wo(&args, &env).await;
    assert_eq!(changed.code, Some(0), "{changed:?}");
    assert_ne!(gh.branch_sha("acme", "platform", BRANCH).unwrap(), head);
    let pulls = gh.pulls("acme", "platform");
    assert_eq!(pulls.len(), 1, "the same pull request, updated: {pulls:?}");
    assert!(
        pulls[0]
            .body
            .as_deref()
            .unwrap_or_default()
            .contains("line-3"),
        "{pulls:?}"
    );
    gh.shutdown().await;
}

/// `wo azure-sim` as a child process, its stdout piped.
struct SimProcess {
    child: std::process::Child,
    url: String,
}

impl SimProcess {
    fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["azure-sim", "--port", "0"];
        args.extend_from_slice(extra);
        let mut child = wo_command(&args, &[], dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wo azure-sim");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .rsplit_once(" on ")
            .map(|(_, u)| u.to_string())
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        assert!(
            line.starts_with("wo azure-sim: serving Microsoft.Edge api-version 2025-08-01 on "),
            "{line:?}"
        );
        SimProcess { child, url }
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "wo azure-sim did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn azure_sim_serves_until_sigterm() {
    let sim = SimProcess::start(&[]);
    assert!(sim.url.starts_with("http://127.0.0.1:"), "{}", sim.url);
    let port: u16 = sim.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0, "the URL names the port bound");

    let client = arm(&sim.url, "any-token");
    assert!(client.list(&edge("contexts")).await.unwrap().is_empty());
    put_context(&client, "ctx").await;
    let listed = client.list(&edge("contexts")).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "ctx");
    let got = client.get(&edge("contexts/ctx")).await.unwrap();
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");

    let status = tokio::task::spawn_blocking(move || sim.terminate())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[tokio::test]
async fn azure_sim_flags_reach_the_simulator() {
    let sim = SimProcess::start(&["--token", "only-this", "--page-size", "1"]);
    let wrong = arm(&sim.url, "another");
    match wrong.list(&edge("contexts")).await {
        Err(e @ Error::Unauthenticated { .. }) => {
            assert!(e.to_string().contains("401"), "{e}")
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    let right = arm(&sim.url, "only-this");
    put_context(&right, "a").await;
    put_context(&right, "b").await;
    let page = right
        .get(&format!("{}?api-version=2025-08-01", edge("contexts")))
        .await
        .unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 1);
    assert!(page["nextLink"].is_string(), "{page}");
    let status = tokio::task::spawn_blocking(move || sim.terminate())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn azure_sim_refuses_a_non_loopback_host() {
    let dir = tempfile::tempdir().unwrap();
    for host in ["0.0.0.0", "192.0.2.1"] {
        let out = wo_command(
            &["azure-sim", "--port", "0", "--host", host],
            &[],
            dir.path(),
        )
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(2), "{host}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(host) && stderr.contains("--allow-remote"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "nothing served: {out:?}");
    }
}

#[tokio::test]
async fn azure_sim_preloads_a_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.yaml");
    std::fs::write(&file, FLEET).unwrap();
    let sim = SimProcess::start(&["--fleet-file", file.to_str().unwrap()]);
    let client = arm(&sim.url, "any-token");
    let rg = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Edge";
    let mut names: Vec<String> = client
        .list(&format!("{rg}/targets"))
        .await
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["line-1", "retired-1"]);
    let target = client.get(&format!("{rg}/targets/line-1")).await.unwrap();
    assert_eq!(
        target["properties"]["contextId"].as_str().unwrap(),
        format!("{rg}/contexts/ctx")
    );
    let context = client.get(&format!("{rg}/contexts/ctx")).await.unwrap();
    assert_eq!(context["properties"]["provisioningState"], "Succeeded");
    let status = tokio::task::spawn_blocking(move || sim.terminate())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn azure_sim_asks_clients_for_the_poll_interval() {
    let sim = SimProcess::start(&["--poll-ms", "50", "--fail-install", "line-1=Boom: x"]);
    let addr = sim.url.trim_start_matches("http://");
    let body = r#"{"location":"eastus","properties":{"capabilities":[],"hierarchies":[{"name":"l","description":"l"}]}}"#;
    let request = format!(
        "PUT {}?api-version=2025-08-01 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        edge("contexts/c"),
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    let answer = answer.to_ascii_lowercase();
    assert!(answer.contains("\r\nretry-after-ms: 50\r\n"), "{answer}");
    assert!(answer.contains("\r\nretry-after: 1\r\n"), "{answer}");
}

#[test]
fn azure_sim_refuses_bad_flag_values() {
    let dir = tempfile::tempdir().unwrap();
    let bad_fleet = dir.path().join("bad-fleet.yaml");
    std::fs::write(
        &bad_fleet,
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - nme: x\n",
    )
    .unwrap();
    let bad_fleet = bad_fleet.to_str().unwrap();
    let missing = dir.path().join("missing.yaml");
    let missing = missing.to_str().unwrap();
    for (args, names) in [
        (&["--fail-install", "=oops"][..], &["--fail-install"][..]),
        (&["--fail-install", ""], &["--fail-install"]),
        (&["--poll-ms", "soon"], &["--poll-ms"]),
        (&["--fleet-file", bad_fleet], &[bad_fleet, ":5"]),
        (&["--fleet-file", missing], &[missing]),
    ] {
        let mut all = vec!["azure-sim", "--port", "0"];
        all.extend_from_slice(args);
        let out = wo_command(&all, &[], dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for name in names {
            assert!(stderr.contains(name), "{args:?}: {stderr}");
        }
        assert!(out.stdout.is_empty(), "nothing served: {out:?}");
    }
}
