use std::sync::Arc;

use async_trait::async_trait;

use crate::files::FileTree;
use crate::memory::{
    InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryOrchestrator, InMemoryRenderer,
    InMemorySourceRepo,
};
use crate::ports::{
    Chart, CommitId, ConfigChanges, GitOpsRepo, Orchestrator, Renderer, SourceRepo,
};

use super::{
    tree, ConfigHarness, GitOpsHarness, OrchestratorHarness, RendererHarness, Seed, SourceHarness,
};

/// The harness of every suite for the [in-memory backends](crate::memory).
#[derive(Debug, Clone, Default)]
pub struct InMemoryHarness {
    orchestrator: InMemoryOrchestrator,
}

impl InMemoryHarness {
    /// A harness with a fresh orchestrator.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl SourceHarness for InMemoryHarness {
    async fn seeded(&self, commits: Seed) -> (Arc<dyn SourceRepo>, Vec<CommitId>) {
        let repo = InMemorySourceRepo::new();
        let ids = commits
            .into_iter()
            .map(|(branch, files)| repo.commit(&branch, files))
            .collect();
        (Arc::new(repo), ids)
    }
}

#[async_trait]
impl ConfigHarness for InMemoryHarness {
    async fn seeded(&self, commits: Seed) -> (Arc<dyn ConfigChanges>, Vec<CommitId>) {
        let store = InMemoryConfigStore::new();
        let ids = commits
            .into_iter()
            .map(|(env, files)| store.commit(&env, files))
            .collect();
        (Arc::new(store), ids)
    }
}

#[async_trait]
impl GitOpsHarness for InMemoryHarness {
    async fn fresh(&self) -> Arc<dyn GitOpsRepo> {
        Arc::new(InMemoryGitOpsRepo::new())
    }
}

impl RendererHarness for InMemoryHarness {
    fn renderer(&self) -> Arc<dyn Renderer> {
        Arc::new(InMemoryRenderer::new())
    }

    fn chart(&self) -> Chart {
        Chart {
            name: "shop".into(),
            files: tree(&[("Chart.yaml", "name: shop\nversion: 1.0.0\n")]),
        }
    }

    fn broken_chart(&self) -> Option<(Chart, String)> {
        Some((
            Chart {
                name: "shop".into(),
                files: FileTree::new(),
            },
            "Chart.yaml".into(),
        ))
    }
}

#[async_trait]
impl OrchestratorHarness for InMemoryHarness {
    fn orchestrator(&self) -> Arc<dyn Orchestrator> {
        Arc::new(self.orchestrator.clone())
    }

    async fn fail_target(&self, target: &str, message: &str) {
        self.orchestrator.fail_target(target, message);
    }

    async fn heal_target(&self, target: &str) {
        self.orchestrator.heal_target(target);
    }

    async fn installs(&self, solution: &str, target: &str, version: &str) -> usize {
        self.orchestrator.installs(solution, target, version)
    }
}
