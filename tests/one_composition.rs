//! One composition: what `wo render` writes (`wo::plan`) and what prepare-pr proposes to the
//! gitops branch are the same bytes for the same inputs, because both go through
//! `wo_core::compose`.

use std::path::Path;
use std::sync::Arc;

use wo::core::files::FileTree;
use wo::core::memory::{
    InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryOrchestrator, InMemorySourceRepo,
};
use wo::core::pipeline::SourceChoice;
use wo::core::ports::GitOpsRepo;
use wo::credentials::Credentials;
use wo::inputs::{load, InputsRequest};
use wo::pipeline::PipelineBuilder;
use wo::settings::Settings;

#[tokio::test]
async fn render_and_prepare_pr_produce_the_same_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let dir = |d: &str| root.join(d).display().to_string();
    let (source_dir, config_dir, fleet_dir) = (dir("source"), dir("config"), dir("fleet"));

    // wo render, offline from the checkouts.
    let inputs = load(
        &InputsRequest {
            source: &source_dir,
            config: Some(&config_dir),
            platform: Some(&fleet_dir),
            ..InputsRequest::default()
        },
        &Credentials::default(),
        std::env::temp_dir().as_path(),
    )
    .await
    .unwrap();
    let plan = wo::plan::render(&inputs, &[]).await.unwrap();

    // prepare-pr, from the same files committed to repositories.
    let source = InMemorySourceRepo::new();
    source.commit("main", FileTree::load_dir(&root.join("source")).unwrap());
    let config = InMemoryConfigStore::named("app-config");
    config.commit("dev", FileTree::load_dir(&root.join("config")).unwrap());
    let platform = InMemoryConfigStore::named("platform-config");
    let mut fleet = FileTree::load_dir(&root.join("fleet")).unwrap();
    let text = fleet
        .text("fleet.yaml")
        .unwrap()
        .unwrap()
        .replace("next: stage\n", "");
    fleet.insert("fleet.yaml", text).unwrap();
    platform.commit("dev", fleet);
    let gitops = InMemoryGitOpsRepo::new();
    let pipeline = PipelineBuilder::new(Settings::default())
        .source(Arc::new(source))
        .app_config(Arc::new(config))
        .platform_config(Arc::new(platform))
        .gitops(Arc::new(gitops.clone()))
        .orchestrator(Arc::new(InMemoryOrchestrator::new()))
        .build()
        .unwrap();
    let prepared = pipeline
        .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
        .await
        .unwrap();
    let head = &prepared.change_request().unwrap().head;
    let proposed = gitops.read(head, "shop").await.unwrap();

    assert_eq!(plan.targets, prepared.targets);
    assert!(!plan.files.is_empty());
    for (path, content) in &plan.files {
        assert_eq!(
            proposed.get(path),
            Some(content.as_slice()),
            "{path}: wo render and prepare-pr differ"
        );
    }
    // The branch holds the plan's files, the release record and the effective policy the
    // release was checked with (docs/policy.md), nothing else.
    assert_eq!(proposed.len(), plan.files.len() + 2);
    assert!(proposed.get("shop/release.yaml").is_some());
    assert!(proposed.get("shop/policy.yaml").is_some());
    assert!(
        prepared.policy.is_some(),
        "the builder wires the policy gate"
    );
}
