//! The in-memory backends run every conformance suite, as every other backend does.

use wo_core::testkit::{
    config_changes_conformance, config_store_conformance, gitops_repo_conformance,
    kill_point_conformance, orchestrator_conformance, renderer_conformance,
    source_repo_conformance, InMemoryHarness,
};

#[tokio::test]
async fn in_memory_source_repo_conforms() {
    source_repo_conformance(&InMemoryHarness::new()).await;
}

#[tokio::test]
async fn in_memory_config_store_conforms() {
    config_store_conformance(&InMemoryHarness::new()).await;
}

#[tokio::test]
async fn in_memory_config_changes_conform() {
    config_changes_conformance(&InMemoryHarness::new()).await;
}

#[tokio::test]
async fn in_memory_gitops_repo_conforms() {
    gitops_repo_conformance(&InMemoryHarness::new()).await;
}

#[tokio::test]
async fn in_memory_renderer_conforms() {
    renderer_conformance(&InMemoryHarness::new()).await;
}

#[tokio::test]
async fn in_memory_orchestrator_conforms() {
    orchestrator_conformance(&InMemoryHarness::new()).await;
}

#[tokio::test]
async fn in_memory_backends_recover_from_a_kill_at_every_write() {
    let points = kill_point_conformance(&InMemoryHarness::new()).await;
    // The rows of the in-memory table of docs/recovery.md, which must show them as they are.
    wo_core::testkit::assert_rows_documented(
        &wo_core::testkit::kill_point_rows(&points),
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/recovery.md")),
    );
    // One atomic write per port call: propose, merge, install, one status per target and one
    // per environment.
    let count = |step: &str| points.iter().filter(|p| p.step == step).count();
    assert_eq!(count("prepare-pr opens"), 1);
    assert_eq!(count("merge"), 1);
    assert_eq!(count("deploy and promote"), 5, "{points:#?}");
    assert_eq!(count("rollback"), 1);
}
