use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::format::fleet::{Fleet, Target};
use crate::ports::{FleetOnboarding, FleetReport};

use super::lock;

/// A [`FleetOnboarding`] in memory: the targets onboarded per environment, as the fleet
/// described them, with failure injection.
#[derive(Debug, Clone, Default)]
pub struct InMemoryFleetOnboarding {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// environment → target name → the target as last applied.
    targets: BTreeMap<String, BTreeMap<String, Target>>,
    /// The message every apply fails with, when set.
    failing: Option<String>,
    /// Calls of `apply`, failed ones included.
    calls: usize,
}

impl InMemoryFleetOnboarding {
    /// An orchestrator with no targets.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of the targets onboarded for `environment`, sorted.
    pub fn targets(&self, environment: &str) -> Vec<String> {
        lock(&self.state)
            .targets
            .get(environment)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// From now on every apply fails with a backend error saying `message`.
    pub fn fail_with(&self, message: &str) {
        lock(&self.state).failing = Some(message.to_string());
    }

    /// How often [`FleetOnboarding::apply`] was called (failed calls included).
    pub fn calls(&self) -> usize {
        lock(&self.state).calls
    }
}

#[async_trait]
impl FleetOnboarding for InMemoryFleetOnboarding {
    async fn apply(&self, environment: &str, fleet: &Fleet) -> Result<FleetReport> {
        let mut st = lock(&self.state);
        st.calls += 1;
        if let Some(message) = &st.failing {
            return Err(Error::backend(
                "in-memory fleet onboarding",
                message.clone(),
            ));
        }
        let held = st.targets.entry(environment.to_string()).or_default();
        let mut report = FleetReport {
            scope: Some(environment.to_string()),
            ..FleetReport::default()
        };
        for t in &fleet.targets {
            match held.insert(t.name.clone(), t.clone()) {
                None => report.created += 1,
                Some(before) if before == *t => report.unchanged += 1,
                Some(_) => report.updated += 1,
            }
        }
        Ok(report)
    }
}
