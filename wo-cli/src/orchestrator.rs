//! The local stand-in orchestrator: releases "installed" into a state directory, so that `wo
//! deploy` in one process and `wo status` in the next see the same world. It stands in for
//! Azure Workload Orchestration until that backend exists, in the demo and in tests.
//!
//! State: `<dir>/state.json` — per solution and target, the version running and how many
//! times each version was installed (so tests can prove nothing is installed twice), and the
//! content hash of every version (a version is immutable). Failure injection:
//! `<dir>/failures.json`, a map of target name to message; a listed target fails every install.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use wo_core::ports::{DeploymentReport, Orchestrator, Release, TargetOutcome};
use wo_core::{Error, Result};

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// `<solution>/<target>` → what runs there.
    targets: BTreeMap<String, TargetState>,
    /// `<solution>@<version>` → content hash.
    versions: BTreeMap<String, String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TargetState {
    running: Option<String>,
    installs: BTreeMap<String, u32>,
}

/// An orchestrator whose state lives in a directory.
#[derive(Debug)]
pub struct LocalOrchestrator {
    dir: PathBuf,
    lock: Mutex<()>,
}

impl LocalOrchestrator {
    /// An orchestrator keeping its state in `dir` (created when missing).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalOrchestrator {
            dir: dir.into(),
            lock: Mutex::new(()),
        }
    }

    fn io(&self, file: &str) -> impl Fn(std::io::Error) -> Error + '_ {
        let path = self.dir.join(file).display().to_string();
        move |source| Error::Io {
            path: path.clone(),
            source,
        }
    }

    fn load(&self) -> Result<State> {
        let p = self.dir.join("state.json");
        match std::fs::read(&p) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Backend {
                backend: "local orchestrator".into(),
                message: format!("{}: {e}", p.display()),
                retryable: false,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(self.io("state.json")(e)),
        }
    }

    fn save(&self, state: &State) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(self.io(""))?;
        let tmp = self.dir.join("state.json.tmp");
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| Error::Backend {
            backend: "local orchestrator".into(),
            message: e.to_string(),
            retryable: false,
        })?;
        std::fs::write(&tmp, bytes).map_err(self.io("state.json.tmp"))?;
        std::fs::rename(&tmp, self.dir.join("state.json")).map_err(self.io("state.json"))
    }

    /// The injected failures: target → message.
    pub fn failures(&self) -> Result<BTreeMap<String, String>> {
        match std::fs::read(self.dir.join("failures.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Backend {
                backend: "local orchestrator".into(),
                message: format!("failures.json: {e}"),
                retryable: false,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.io("failures.json")(e)),
        }
    }

    /// Makes every install on `target` fail with `message` (`None` heals it).
    pub fn set_failure(&self, target: &str, message: Option<&str>) -> Result<()> {
        let mut f = self.failures()?;
        match message {
            Some(m) => f.insert(target.to_string(), m.to_string()),
            None => f.remove(target),
        };
        std::fs::create_dir_all(&self.dir).map_err(self.io(""))?;
        let bytes = serde_json::to_vec_pretty(&f).unwrap_or_default();
        std::fs::write(self.dir.join("failures.json"), bytes).map_err(self.io("failures.json"))
    }

    /// How many times `version` of `solution` was installed on `target`.
    pub fn installs(&self, solution: &str, target: &str, version: &str) -> Result<u32> {
        let state = self.load()?;
        Ok(state
            .targets
            .get(&format!("{solution}/{target}"))
            .and_then(|t| t.installs.get(version).copied())
            .unwrap_or(0))
    }
}

fn content_hash(release: &Release) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for t in &release.targets {
        t.target.hash(&mut h);
        t.values.to_string().hash(&mut h);
        t.manifests.hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

#[async_trait]
impl Orchestrator for LocalOrchestrator {
    async fn deploy(&self, release: &Release) -> Result<DeploymentReport> {
        release.validate()?;
        let _guard = self.lock.lock().map_err(|_| Error::Backend {
            backend: "local orchestrator".into(),
            message: "state lock poisoned".into(),
            retryable: false,
        })?;
        let mut state = self.load()?;
        let failures = self.failures()?;
        let key = format!("{}@{}", release.solution, release.version);
        let hash = content_hash(release);
        match state.versions.get(&key) {
            Some(h) if h != &hash => {
                return Err(Error::AlreadyExists {
                    what: format!(
                        "version {} of {} with different content",
                        release.version, release.solution
                    ),
                })
            }
            _ => {
                state.versions.insert(key, hash);
            }
        }
        let mut results = BTreeMap::new();
        for t in &release.targets {
            let entry = state
                .targets
                .entry(format!("{}/{}", release.solution, t.target))
                .or_default();
            let outcome = if let Some(message) = failures.get(&t.target) {
                TargetOutcome::Failed {
                    message: message.clone(),
                }
            } else {
                if entry.running.as_deref() != Some(release.version.as_str()) {
                    *entry.installs.entry(release.version.clone()).or_insert(0) += 1;
                    entry.running = Some(release.version.clone());
                }
                TargetOutcome::Deployed
            };
            results.insert(t.target.clone(), outcome);
        }
        self.save(&state)?;
        Ok(DeploymentReport {
            version: release.version.clone(),
            results,
        })
    }

    async fn deployed(&self, solution: &str, target: &str) -> Result<Option<String>> {
        Ok(self
            .load()?
            .targets
            .get(&format!("{solution}/{target}"))
            .and_then(|t| t.running.clone()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wo_core::testkit::{orchestrator_conformance, OrchestratorHarness};

    use super::*;

    struct Harness {
        orchestrator: Arc<LocalOrchestrator>,
    }

    #[async_trait]
    impl OrchestratorHarness for Harness {
        fn orchestrator(&self) -> Arc<dyn Orchestrator> {
            self.orchestrator.clone()
        }
        async fn fail_target(&self, target: &str, message: &str) {
            self.orchestrator
                .set_failure(target, Some(message))
                .unwrap();
        }
        async fn heal_target(&self, target: &str) {
            self.orchestrator.set_failure(target, None).unwrap();
        }
        async fn installs(&self, solution: &str, target: &str, version: &str) -> usize {
            self.orchestrator
                .installs(solution, target, version)
                .unwrap() as usize
        }
    }

    #[tokio::test]
    async fn the_local_orchestrator_passes_the_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let h = Harness {
            orchestrator: Arc::new(LocalOrchestrator::new(dir.path())),
        };
        orchestrator_conformance(&h).await;
        // A second instance on the same directory sees the same world (another process would).
        let again = LocalOrchestrator::new(dir.path());
        let state = again.load().unwrap();
        assert!(!state.targets.is_empty());
    }
}
