//! The in-memory backends run every conformance suite, as every other backend does.

use wo_core::testkit::{
    config_changes_conformance, config_store_conformance, gitops_repo_conformance,
    orchestrator_conformance, renderer_conformance, source_repo_conformance, InMemoryHarness,
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
