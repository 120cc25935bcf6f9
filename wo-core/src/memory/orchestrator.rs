use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ports::{
    ChartRef, DeploymentReport, Health, Orchestrator, Release, Running, TargetOutcome,
    TargetRelease,
};
use crate::value::Value;

use super::lock;

/// An [`Orchestrator`] in memory, with failure injection by target and a count of installs per
/// (solution, target, version), so tests can prove that nothing was installed twice. It keeps
/// what each target runs (chart and values) for [`Orchestrator::running`], and
/// [`drift`](InMemoryOrchestrator::drift) changes it behind wo's back.
#[derive(Debug, Clone, Default)]
pub struct InMemoryOrchestrator {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// (solution, version) → the content of that version, per target.
    versions: BTreeMap<(String, String), Vec<TargetRelease>>,
    /// (solution, target) → what runs there.
    running: BTreeMap<(String, String), Installed>,
    /// (solution, target, version) → how often it was installed.
    installs: BTreeMap<(String, String, String), usize>,
    /// target → the message every deploy to it fails with.
    failing: BTreeMap<String, String>,
    /// target → why it reports unhealthy once it runs a release.
    unhealthy: BTreeMap<String, String>,
}

/// What runs of a solution on a target.
#[derive(Debug, Clone)]
struct Installed {
    version: String,
    chart: Option<ChartRef>,
    values: Value,
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

    /// Ends the failure injected for `target` (install failures and unhealthiness).
    pub fn heal_target(&self, target: &str) {
        let mut s = lock(&self.state);
        s.failing.remove(target);
        s.unhealthy.remove(target);
    }

    /// From now on, `target` installs fine but reports [`Health::Unhealthy`] with `reason`
    /// for whatever release runs there (a crash loop after install).
    pub fn make_unhealthy(&self, target: &str, reason: &str) {
        lock(&self.state)
            .unhealthy
            .insert(target.to_string(), reason.to_string());
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

    /// Changes one value of what runs on `target` (of every solution running there) behind
    /// wo's back, as someone editing the orchestrator's configuration by hand would:
    /// `key_path` in [`key_path`](crate::key_path) syntax, maps made on the way as needed.
    /// Returns how many solutions it changed (0 when nothing runs there, or `key_path` is not
    /// a valid path).
    ///
    /// ```
    /// use wo_core::memory::InMemoryOrchestrator;
    /// use wo_core::ports::{CommitId, Orchestrator, Release, TargetRelease};
    ///
    /// # futures::executor::block_on(async {
    /// let o = InMemoryOrchestrator::new();
    /// assert_eq!(o.running("shop", "berlin-1", None).await?, None);
    /// o.deploy(&Release {
    ///     solution: "shop".into(),
    ///     environment: "dev".into(),
    ///     version: "g-1a2b3c4".into(),
    ///     source_commit: CommitId::from("a1"),
    ///     gitops_commit: CommitId::from("1a2b3c4"),
    ///     targets: vec![TargetRelease {
    ///         target: "berlin-1".into(),
    ///         orchestrator_id: None,
    ///         values: serde_json::json!({ "image": { "tag": "1.0" } }),
    ///         manifests: String::new(),
    ///     }],
    ///     chart: None,
    ///     specification: None,
    /// })
    /// .await?;
    ///
    /// assert_eq!(o.drift("berlin-1", "image.tag", "1.1".into()), 1);
    /// let runs = o.running("shop", "berlin-1", None).await?.unwrap();
    /// assert_eq!(runs.release.as_deref(), Some("g-1a2b3c4"));
    /// assert_eq!(runs.values, serde_json::json!({ "image": { "tag": "1.1" } }));
    /// # Ok::<(), wo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn drift(&self, target: &str, key_path: &str, value: Value) -> usize {
        let Some(segments) = crate::key_path::segments(key_path).filter(|s| !s.is_empty()) else {
            return 0;
        };
        let mut s = lock(&self.state);
        let mut changed = 0;
        for ((_, t), installed) in s.running.iter_mut() {
            if t == target && set(&mut installed.values, &segments, value.clone()) {
                changed += 1;
            }
        }
        changed
    }

    /// Installs of all versions of all solutions on all targets together.
    pub fn total_installs(&self) -> usize {
        lock(&self.state).installs.values().sum()
    }
}

#[async_trait]
impl Orchestrator for InMemoryOrchestrator {
    async fn health(
        &self,
        release: &Release,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<BTreeMap<String, Health>> {
        let s = lock(&self.state);
        Ok(targets
            .iter()
            .map(|t| {
                let runs = s
                    .running
                    .get(&(release.solution.clone(), t.clone()))
                    .is_some_and(|i| i.version == release.version);
                let health = match s.unhealthy.get(t) {
                    _ if !runs => Health::Unknown,
                    Some(reason) => Health::Unhealthy {
                        reason: reason.clone(),
                    },
                    None => Health::Healthy,
                };
                (t.clone(), health)
            })
            .collect())
    }

    async fn deploy(&self, release: &Release) -> Result<DeploymentReport> {
        let all = release.targets.iter().map(|t| t.target.clone()).collect();
        self.deploy_to(release, &all).await
    }

    async fn deploy_to(
        &self,
        release: &Release,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<DeploymentReport> {
        release.validate()?;
        crate::ports::check_batch(release, targets)?;
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
        for t in release
            .targets
            .iter()
            .filter(|t| targets.contains(&t.target))
        {
            let running_key = (release.solution.clone(), t.target.clone());
            let outcome = if let Some(message) = s.failing.get(&t.target) {
                TargetOutcome::Failed {
                    message: message.clone(),
                }
            } else {
                if s.running.get(&running_key).map(|i| &i.version) != Some(&release.version) {
                    *s.installs
                        .entry((
                            release.solution.clone(),
                            t.target.clone(),
                            release.version.clone(),
                        ))
                        .or_default() += 1;
                    s.running.insert(
                        running_key,
                        Installed {
                            version: release.version.clone(),
                            chart: release.chart.clone(),
                            values: t.values.clone(),
                        },
                    );
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
            .map(|i| i.version.clone()))
    }

    async fn running<'a>(
        &self,
        solution: &str,
        target: &str,
        _orchestrator_id: Option<&'a str>,
    ) -> Result<Option<Running>> {
        Ok(lock(&self.state)
            .running
            .get(&(solution.to_string(), target.to_string()))
            .map(|i| Running {
                release: Some(i.version.clone()),
                version: i.version.clone(),
                chart: i.chart.clone(),
                values: i.values.clone(),
            }))
    }
}

/// Sets the value at `path` under `root`, making maps on the way; `false` when a list index
/// is out of range or a scalar is in the way.
fn set(root: &mut Value, path: &[String], value: Value) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut at = root;
    for seg in parents {
        at = match at {
            Value::Object(m) => m
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Default::default())),
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match at {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            true
        }
        Value::Array(a) => match last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
            Some(v) => {
                *v = value;
                true
            }
            None => false,
        },
        _ => false,
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
