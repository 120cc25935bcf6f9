//! What a promotion costs in GitHub requests: the pipeline, through the library, against the
//! fake GitHub on 127.0.0.1, for a fleet of N targets in each of `dev → stage → prod`.
//!
//! ```sh
//! cargo run --release --example github_cost -- 5000
//! ```
//!
//! Four repositories on the fake (`acme/shop-source`, `acme/shop-config`,
//! `acme/platform-config`, `acme/shop-gitops`), opened from `github://` locations as a
//! workflow opens them; the orchestrator is the in-memory one (its cost is `deploy_cost`'s
//! subject). Three changes, each step counted (requests the fake served, and the
//! content-creating ones: `POST`, `PATCH`, `PUT`, `DELETE`):
//!
//! 1. the first rollout of the shop: prepare-pr, merge and deploy in each environment;
//! 2. a values change (one region's `Currency`, about a twentieth of the targets) merged into
//!    each environment's config branch: prepare-pr of the released source, merge, deploy;
//! 3. a chart change touching every target, promoted `dev → stage → prod`.
//!
//! Prints one markdown table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use wo::core::files::FileTree;
use wo::core::memory::InMemoryOrchestrator;
use wo::core::pipeline::{Pipeline, SourceChoice};
use wo::credentials::Credentials;
use wo::pipeline::PipelineBuilder;
use wo::settings::Settings;
use wo_github_fake::FakeGitHub;

const OWNER: &str = "acme";
const ENVS: [&str; 3] = ["dev", "stage", "prod"];
const REGIONS: usize = 20;
const SITES: usize = 500;

/// The token the example acts with: a token the fake issued to its admin (every permission on
/// every repository); who acts is not what is measured.
fn token(github: &FakeGitHub) -> String {
    github.admin_token()
}

/// The one place the fake's limits are set for a measurement: the fake enforces GitHub's
/// secondary limits (80 content-creating requests a minute, 500 an hour); they are lifted so
/// that the counts, not the waits, are measured (the counts say how long GitHub would make a
/// run wait).
fn measure_without_limits(github: &FakeGitHub) {
    github.set_secondary_rate_limits(wo_github_fake::SecondaryRateLimits::UNLIMITED);
}

/// Requests the fake served so far: (all, content-creating).
fn served(github: &FakeGitHub) -> (u64, u64) {
    let all = github.request_counts().values().sum();
    (all, github.writes().len() as u64)
}

struct Meter<'a> {
    github: &'a FakeGitHub,
    rows: Vec<(String, String, u64, u64, f64)>,
}

impl Meter<'_> {
    /// Runs `step`, recording its requests under `change`.
    async fn step<T>(
        &mut self,
        change: &str,
        name: &str,
        step: impl std::future::Future<Output = wo::core::Result<T>>,
    ) -> Result<T, Box<dyn std::error::Error>> {
        let (all, writes) = served(self.github);
        let started = Instant::now();
        let out = step.await.map_err(|e| format!("{change}, {name}: {e}"))?;
        let seconds = started.elapsed().as_secs_f64();
        let (all_after, writes_after) = served(self.github);
        self.rows.push((
            change.to_string(),
            name.to_string(),
            all_after - all,
            writes_after - writes,
            seconds,
        ));
        Ok(out)
    }

    fn print(&self, n: usize) {
        println!(
            "| change ({n} targets per environment) | step | requests | content-creating | time |"
        );
        println!("|---|---|---:|---:|---:|");
        let mut totals: BTreeMap<&str, (u64, u64, f64)> = BTreeMap::new();
        let mut order = Vec::new();
        for (change, step, all, writes, seconds) in &self.rows {
            println!("| {change} | {step} | {all} | {writes} | {seconds:.2} s |");
            let t = totals.entry(change.as_str()).or_insert_with(|| {
                order.push(change.as_str());
                (0, 0, 0.0)
            });
            t.0 += all;
            t.1 += writes;
            t.2 += seconds;
        }
        for change in order {
            let (all, writes, seconds) = totals[change];
            println!("| **{change}** | **total** | **{all}** | **{writes}** | {seconds:.2} s |");
        }
    }
}

/// `examples/shop/source` with the deployment template's pod annotations extended by `extra`.
fn source(extra: &str) -> Result<BTreeMap<String, String>, Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop/source");
    let tree = FileTree::load_dir(&dir)?;
    let mut files = BTreeMap::new();
    for (path, bytes) in tree.iter() {
        let mut text = String::from_utf8(bytes.to_vec())?;
        if path == "chart/templates/deployment.yaml" && !extra.is_empty() {
            text = text.replacen(
                "      annotations:\n",
                &format!("      annotations:\n{extra}"),
                1,
            );
        }
        files.insert(path.to_string(), text);
    }
    Ok(files)
}

/// The fleet of `env`: `n` targets over 20 regions and 500 sites, the chain `dev → stage →
/// prod` (as `generate_fleet` writes it).
fn fleet(env: &str, n: usize) -> String {
    let next = match env {
        "dev" => "next: stage\n",
        "stage" => "next: prod\n",
        _ => "",
    };
    let mut fleet = format!(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: {env}\n{next}hierarchy: [region, site]\ntargets:\n"
    );
    for t in 0..n {
        let tier = if t % 9 == 0 { "flagship" } else { "standard" };
        let _ = write!(
            fleet,
            "  - name: store-{t:05}\n    hierarchy: {{region: r{:02}, site: s{:03}}}\n    labels: {{tier: {tier}}}\n    capabilities: [helm]\n",
            t % REGIONS,
            t % SITES
        );
    }
    fleet.push_str("assignments:\n  - solution: shop\n    selector: {}\n");
    fleet
}

/// The app's values (as `generate_fleet` writes them); region `r00` pays in `currency0`.
fn config(n: usize, currency0: &str) -> BTreeMap<String, String> {
    let values = |body: &str| format!("apiVersion: wo/v1\nkind: Values\nvalues:\n{body}");
    let mut files = BTreeMap::new();
    files.insert(
        "values.yaml".to_string(),
        values("  Image: registry.example.com/shop:1.4.2\n  Replicas: 2\n  PaymentEndpoint: https://pay.example.com\n  FeatureFlags: [new-checkout]\n"),
    );
    for r in 0..REGIONS {
        let currency = if r == 0 {
            currency0
        } else {
            ["EUR", "USD", "GBP"][r % 3]
        };
        files.insert(
            format!("levels/region/r{r:02}.yaml"),
            values(&format!("  Currency: {currency}\n")),
        );
    }
    for s in (0..SITES).step_by(5) {
        files.insert(
            format!("levels/site/s{s:03}.yaml"),
            values("  Replicas: 3\n"),
        );
    }
    for t in (0..n).step_by(10) {
        files.insert(
            format!("targets/store-{t:05}.yaml"),
            values(&format!("  Replicas: {}\n  LogLevel: debug\n", 1 + t % 4)),
        );
    }
    files
}

fn push(
    github: &FakeGitHub,
    repo: &str,
    branch: &str,
    files: &BTreeMap<String, String>,
    message: &str,
) -> String {
    let files: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect();
    github.push_files(OWNER, repo, branch, &files, message)
}

/// Promotes `commit` from `dev` to `prod`: prepare-pr, merge, deploy in each environment.
async fn promote(
    meter: &mut Meter<'_>,
    pipeline: &Pipeline,
    change: &str,
    commit: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    for env in ENVS {
        let choice = SourceChoice::Commit(commit.to_string());
        meter
            .step(
                change,
                &format!("prepare-pr {env}"),
                pipeline.prepare_pr(env, &choice, true),
            )
            .await?;
        meter
            .step(change, &format!("merge {env}"), pipeline.merge(env))
            .await?;
        let deployed = meter
            .step(change, &format!("deploy {env}"), pipeline.deploy(env))
            .await?;
        if !deployed.report.all_succeeded() {
            return Err(format!("{change}: the deploy of {env} failed").into());
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .ok_or("usage: github_cost N   (targets per environment)")?;

    let github = FakeGitHub::start().await?;
    measure_without_limits(&github);
    for repo in [
        "shop-source",
        "shop-config",
        "platform-config",
        "shop-gitops",
    ] {
        github.create_repo(OWNER, repo);
    }
    let first = push(&github, "shop-source", "main", &source("")?, "shop 1.0");
    for env in ENVS {
        push(&github, "shop-config", env, &config(n, "EUR"), "values");
        let fleet = BTreeMap::from([("fleet.yaml".to_string(), fleet(env, n))]);
        push(&github, "platform-config", env, &fleet, "fleet");
    }

    let location = |repo: &str| Some(format!("github://{OWNER}/{repo}"));
    let settings = Settings {
        source: location("shop-source"),
        config: location("shop-config"),
        platform: location("platform-config"),
        gitops: location("shop-gitops"),
        ..Settings::default()
    };
    let credentials = Credentials::default()
        .with_github_api_url(github.base_url())
        .with_github_token(token(&github));
    let pipeline = PipelineBuilder::new(settings)
        .credentials(credentials)
        .orchestrator(Arc::new(InMemoryOrchestrator::new()))
        .build()?;

    let mut meter = Meter {
        github: &github,
        rows: Vec::new(),
    };
    promote(&mut meter, &pipeline, "first rollout", &first).await?;

    let change = "values change (region r00)";
    for env in ENVS {
        push(
            &github,
            "shop-config",
            env,
            &config(n, "GBP"),
            "r00 pays in GBP",
        );
        meter
            .step(
                change,
                &format!("prepare-pr {env}"),
                pipeline.prepare_pr(env, &SourceChoice::Released, false),
            )
            .await?;
        meter
            .step(change, &format!("merge {env}"), pipeline.merge(env))
            .await?;
        meter
            .step(change, &format!("deploy {env}"), pipeline.deploy(env))
            .await?;
    }

    let second = push(
        &github,
        "shop-source",
        "main",
        &source("        example.com/rollout: \"2\"\n")?,
        "shop 1.1: a pod annotation on every target",
    );
    promote(
        &mut meter,
        &pipeline,
        "chart change (every target)",
        &second,
    )
    .await?;

    meter.print(n);
    github.shutdown().await;
    Ok(())
}
