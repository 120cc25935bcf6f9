use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ports::{DeploymentReport, Orchestrator, Release, TargetOutcome, TargetRelease};

use super::lock;

/// An [`Orchestrator`] in memory, with failure injection by target and a count of installs per
/// (solution, target, version), so tests can prove that nothing was installed twice.
#[derive(Debug, Clone, Default)]
pub struct InMemoryOrchestrator {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// (solution, version) → the content of that version, per target.
    versions: BTreeMap<(String, String), Vec<TargetRelease>>,
    /// (solution, target) → the version running.
    running: BTreeMap<(String, String), String>,
    /// (solution, target, version) → how often it was installed.
    installs: BTreeMap<(String, String, String), usize>,
    /// target → the message every deploy to it fails with.
    failing: BTreeMap<String, String>,
}

impl InMemoryOrchestrator {
    /// An orchestrator that has deployed nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on, every install on `target` fails with `message`.
    pub fn fail_target(&self, target: &str, message: &str) {
        lock(&self.state)
            .failing
            .insert(target.to_string(), message.to_string());
    }

    /// Ends the failure injected for `target`.
    pub fn heal_target(&self, target: &str) {
        lock(&self.state).failing.remove(target);
    }

    /// How many times `version` of `solution` was installed on `target`.
    pub fn installs(&self, solution: &str, target: &str, version: &str) -> usize {
        let key = (
            solution.to_string(),
            target.to_string(),
            version.to_string(),
        );
        lock(&self.state).installs.get(&key).copied().unwrap_or(0)
    }

    /// Installs of all versions of all solutions on all targets together.
    pub fn total_installs(&self) -> usize {
        lock(&self.state).installs.values().sum()
    }
}

#[async_trait]
impl Orchestrator for InMemoryOrchestrator {
    async fn deploy(&self, release: &Release) -> Result<DeploymentReport> {
        release.validate()?;
        let mut s = lock(&self.state);
        let version_key = (release.solution.clone(), release.version.clone());
        match s.versions.get(&version_key) {
            Some(existing) if *existing != release.targets => {
                return Err(Error::already_exists(format!(
                    "version `{}` of solution `{}` with different content",
                    release.version, release.solution
                )));
            }
            Some(_) => {}
            None => {
                s.versions.insert(version_key, release.targets.clone());
            }
        }
        let mut results = BTreeMap::new();
        for t in &release.targets {
            let running_key = (release.solution.clone(), t.target.clone());
            let outcome = if let Some(message) = s.failing.get(&t.target) {
                TargetOutcome::Failed {
                    message: message.clone(),
                }
            } else {
                if s.running.get(&running_key) != Some(&release.version) {
                    *s.installs
                        .entry((
                            release.solution.clone(),
                            t.target.clone(),
                            release.version.clone(),
                        ))
                        .or_default() += 1;
                    s.running.insert(running_key, release.version.clone());
                }
                TargetOutcome::Deployed
            };
            results.insert(t.target.clone(), outcome);
        }
        Ok(DeploymentReport {
            version: release.version.clone(),
            results,
        })
    }

    async fn deployed(&self, solution: &str, target: &str) -> Result<Option<String>> {
        Ok(lock(&self.state)
            .running
            .get(&(solution.to_string(), target.to_string()))
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::CommitId;

    #[test]
    fn total_installs_counts_every_install_once() {
        let o = InMemoryOrchestrator::new();
        let release = Release {
            solution: "shop".into(),
            environment: "dev".into(),
            version: "v1".into(),
            source_commit: CommitId::from("a1"),
            gitops_commit: CommitId::from("g1"),
            targets: ["t1", "t2"]
                .iter()
                .map(|t| TargetRelease {
                    target: t.to_string(),
                    orchestrator_id: None,
                    values: serde_json::json!({}),
                    manifests: String::new(),
                })
                .collect(),
            chart: None,
            specification: None,
        };
        futures::executor::block_on(async {
            o.deploy(&release).await.unwrap();
            o.deploy(&release).await.unwrap();
        });
        assert_eq!(o.total_installs(), 2);
    }
}
