//! Charts published through a real OCI registry (Debian's `docker-registry`, the CNCF
//! distribution registry) by the pipeline: packaged at prepare-pr and named in release.yaml,
//! pushed at deploy once per release, and what `helm pull` gets is byte for byte what wo
//! packaged.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use wo::charts::OciChartRegistry;
use wo::core::files::FileTree;
use wo::core::memory::{
    InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryOrchestrator, InMemorySourceRepo,
};
use wo::core::pipeline::{ReleaseRecord, SourceChoice};
use wo::core::ports::{Chart, ChartRegistry, CommitId, GitOpsRepo};
use wo::credentials::Credentials;
use wo::pipeline::PipelineBuilder;
use wo::settings::Settings;
use wo_test_support::registry::Registry;

mod common;
use common::{helm, renderer, shop_helm, shop_source_with_helm_chart};

/// `helm pull` into `dir`; the file's bytes.
fn helm_pull(reference: &str, version: &str, dir: &Path) -> Vec<u8> {
    helm(
        &[
            "pull",
            reference,
            "--version",
            version,
            "--plain-http",
            "-d",
            dir.to_str().unwrap(),
        ],
        &dir.join("helm-home"),
    );
    let name = reference.rsplit('/').next().unwrap();
    std::fs::read(dir.join(format!("{name}-{version}.tgz"))).unwrap()
}

#[tokio::test]
async fn a_chart_packaged_twice_is_pushed_once_and_helm_pulls_the_same_bytes() {
    let registry = Registry::start();
    let charts = OciChartRegistry::open(
        &format!("http://{}/charts", registry.host()),
        &Credentials::default(),
    )
    .unwrap();
    let chart = Chart {
        name: "shop".into(),
        files: shop_helm(),
    };
    let commit = CommitId::from("3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345");
    let package = charts.package(&chart, &commit).unwrap();
    assert_eq!(package.version, "1.2.0-wo.g3f2a9c1b7d4e");
    assert_eq!(
        package
            .files
            .text("Chart.yaml")
            .unwrap()
            .map(|t| t.contains("version: 1.2.0-wo.g3f2a9c1b7d4e")),
        Some(true),
        "the files are the chart as packaged"
    );
    // Determinism: another packaging (as on another clone) gives the same digest.
    assert_eq!(
        charts.package(&chart, &commit).unwrap().digest,
        package.digest
    );

    let first = charts.publish(&package).await.unwrap();
    assert!(first.pushed);
    assert_eq!(first.chart, charts.reference(&package));
    assert_eq!(
        first.chart.repo,
        format!("oci://{}/charts/shop", registry.host())
    );
    let again = charts.publish(&package).await.unwrap();
    assert!(!again.pushed, "the digest is there: nothing uploaded");

    let dir = tempfile::tempdir().unwrap();
    let pulled = helm_pull(&first.chart.repo, &first.chart.version, dir.path());
    assert_eq!(pulled, package.bytes, "helm pull gets what wo packaged");
    let fetched = charts.fetch(&first.chart).await.unwrap();
    assert_eq!(fetched.files, package.files);
    assert_eq!(fetched.digest, package.digest);

    // A digest that is not the one there: refused, naming both.
    let mut wrong = first.chart.clone();
    wrong.digest = format!("sha256:{}", "0".repeat(64));
    let err = charts.fetch(&wrong).await.unwrap_err();
    assert!(err.to_string().contains(&package.digest), "{err}");
}

#[tokio::test]
async fn prepare_records_the_chart_and_deploy_pushes_it_once_for_every_environment() {
    let registry = Registry::start();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let source = InMemorySourceRepo::new();
    let source_files = shop_source_with_helm_chart();
    let c1 = source.commit("main", source_files);
    let config = InMemoryConfigStore::named("app-config");
    let platform = InMemoryConfigStore::named("platform-config");
    for env in ["dev", "stage"] {
        config.commit(env, FileTree::load_dir(&root.join("config")).unwrap());
        let mut fleet = FileTree::load_dir(&root.join("fleet")).unwrap();
        let text = fleet.text("fleet.yaml").unwrap().unwrap().to_string();
        let text = if env == "dev" {
            text
        } else {
            text.replace("environment: dev", "environment: stage")
                .replace("next: stage\n", "")
        };
        fleet.insert("fleet.yaml", text).unwrap();
        platform.commit(env, fleet);
    }
    let gitops = InMemoryGitOpsRepo::new();
    let orchestrator = InMemoryOrchestrator::new();
    let settings = Settings {
        registry: Some(format!("http://{}/charts", registry.host())),
        ..Settings::default()
    };
    let pipeline = PipelineBuilder::new(settings)
        .credentials(Credentials::default())
        .source(Arc::new(source))
        .app_config(Arc::new(config))
        .platform_config(Arc::new(platform))
        .gitops(Arc::new(gitops.clone()))
        .orchestrator(Arc::new(orchestrator.clone()))
        .renderer(renderer())
        .build()
        .unwrap();

    let version = format!("1.2.0-wo.g{}", &c1.as_str()[..12]);
    let mut pushes = Vec::new();
    for env in ["dev", "stage"] {
        pipeline
            .prepare_pr(env, &SourceChoice::Commit(c1.to_string()), true)
            .await
            .unwrap();
        pipeline.merge(env).await.unwrap();
        let head = gitops.head(env).await.unwrap().unwrap();
        let files = gitops.read(&head, "shop").await.unwrap();
        let record =
            ReleaseRecord::parse(files.text("shop/release.yaml").unwrap().unwrap(), "r").unwrap();
        let chart = record.chart.expect("release.yaml names the chart");
        assert_eq!(chart.repo, format!("oci://{}/charts/shop", registry.host()));
        assert_eq!(chart.version, version);
        let deployed = pipeline.deploy(env).await.unwrap();
        assert!(deployed.report.all_succeeded(), "{:?}", deployed.report);
        let published = deployed.chart.expect("deploy publishes the chart");
        assert_eq!(published.chart, chart);
        pushes.push(published.pushed);
    }
    assert_eq!(pushes, [true, false], "one upload for the release, in dev");
}

/// Runs git in `dir`, deterministic identity; panics on failure.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_same_commit_packaged_on_two_clones_has_the_same_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    std::fs::create_dir_all(origin.join("chart")).unwrap();
    for (path, content) in shop_helm().iter() {
        let to = origin.join("chart").join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, content).unwrap();
    }
    git(&origin, &["init", "-q", "-b", "main"]);
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-q", "-m", "chart"]);
    for clone in ["a", "b"] {
        git(tmp.path(), &["clone", "-q", "origin", clone]);
    }
    // The second clone's files are newer and group-writable: what a checkout varies in.
    for (path, _) in shop_helm().iter() {
        let p = tmp.path().join("b/chart").join(path);
        let f = std::fs::File::options().append(true).open(&p).unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3600))
            .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o664)).unwrap();
    }
    let charts =
        OciChartRegistry::open("oci://registry.example/charts", &Credentials::default()).unwrap();
    let commit = CommitId::from("3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345");
    let digests: Vec<String> = ["a", "b"]
        .iter()
        .map(|clone| {
            let chart = Chart {
                name: "shop".into(),
                files: FileTree::load_dir(&tmp.path().join(clone).join("chart")).unwrap(),
            };
            charts.package(&chart, &commit).unwrap().digest
        })
        .collect();
    assert_eq!(digests[0], digests[1]);
    assert!(digests[0].starts_with("sha256:"), "{}", digests[0]);
}
