use std::sync::Arc;

use async_trait::async_trait;

use crate::files::FileTree;
use crate::memory::{
    InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryOrchestrator, InMemoryRenderer,
    InMemorySourceRepo,
};
use crate::ports::{
    ChangeState, Chart, CommitId, ConfigChanges, GitOpsRepo, Orchestrator, Renderer, SourceRepo,
};

use super::{
    tree, ConfigHarness, GitOpsHarness, KillSwitch, Killable, OrchestratorHarness, RecoveryHarness,
    RecoverySeed, RecoveryWorld, RendererHarness, Seed, SourceHarness, StateProbe,
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

    async fn seeded_with_tags(
        &self,
        commits: Seed,
        tags: Vec<(String, usize, bool)>,
    ) -> Option<(Arc<dyn SourceRepo>, Vec<CommitId>)> {
        let repo = InMemorySourceRepo::new();
        let ids: Vec<CommitId> = commits
            .into_iter()
            .map(|(branch, files)| repo.commit(&branch, files))
            .collect();
        for (name, i, _annotated) in tags {
            repo.tag(&name, &ids[i]).expect("tag a seeded commit");
        }
        Some((Arc::new(repo), ids))
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

#[async_trait]
impl RecoveryHarness for InMemoryHarness {
    /// Each `propose`, `merge` and `set_status` is one atomic write, cut by [`Killable`].
    async fn world(&self, seed: RecoverySeed, switch: KillSwitch) -> RecoveryWorld {
        let source = InMemorySourceRepo::new();
        let source_commits = seed
            .source
            .into_iter()
            .map(|(branch, files)| source.commit(&branch, files))
            .collect();
        let config = |name: &str, commits: Seed| {
            let store = InMemoryConfigStore::named(name);
            for (env, files) in commits {
                store.commit(&env, files);
            }
            Arc::new(store)
        };
        let gitops = InMemoryGitOpsRepo::new();
        let source: Arc<dyn SourceRepo> = Arc::new(source);
        let gitops_port: Arc<dyn GitOpsRepo> = Arc::new(gitops.clone());
        RecoveryWorld {
            source: Arc::new(Killable::new(source, switch.clone())),
            source_commits,
            app_config: config("app-config", seed.app_config),
            platform_config: config("platform-config", seed.platform_config),
            gitops: Arc::new(Killable::new(gitops_port, switch)),
            probe: Some(Arc::new(ChangeRequests(gitops))),
        }
    }
}

/// Every change request ever opened, with its state: a duplicate would show.
struct ChangeRequests(InMemoryGitOpsRepo);

#[async_trait]
impl StateProbe for ChangeRequests {
    async fn facts(&self) -> Vec<String> {
        self.0
            .change_requests()
            .iter()
            .map(|cr| {
                let head = if cr.state == ChangeState::Open {
                    cr.head.to_string()
                } else {
                    String::from("-")
                };
                format!(
                    "change request {} of {} in {}: {} {head}",
                    cr.id, cr.solution, cr.environment, cr.state
                )
            })
            .collect()
    }
}
