//! The health of a release on a target, read from the target's instance of the solution: which
//! solution version it runs and its `status` (WO's `DeploymentStatus`).
//!
//! One `GET` of the instance per target (plus one of the solution template per call, for its
//! `uniqueIdentifier`). The solution version is read too only when the instance's version
//! name does not show its template version (WO names them `{template version}.{revision}`).

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde_json::Value;
use wo_core::ports::{Health, Release};
use wo_core::Result;

use super::{template_name, wo_version, WoOrchestrator};

/// What one status string of WO's `DeploymentStatus` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Says {
    /// Deployed and running (`Deployed`, `Succeeded`, `Running`, `Healthy`, `Ready`, `OK`).
    Fine,
    /// Failing (`Failed`, `Degraded`, `Error`, `Unhealthy`, `CrashLoopBackOff`, anything
    /// ending in `Failed`).
    Failing,
    /// Anything else (`Deploying`, `Reconciling`, `Pending`, absent): not known yet.
    Unsure,
}

fn says(status: &Value) -> Says {
    let Some(s) = status.as_str().map(str::trim) else {
        return Says::Unsure;
    };
    let low = s.to_ascii_lowercase();
    match low.as_str() {
        "deployed" | "succeeded" | "running" | "healthy" | "ready" | "ok" => Says::Fine,
        "failed" | "degraded" | "error" | "unhealthy" | "crashloopbackoff" => Says::Failing,
        _ if low.ends_with("failed") => Says::Failing,
        _ => Says::Unsure,
    }
}

/// The health an instance's `status` (`DeploymentStatus`) reports: [`Health::Unhealthy`] when
/// it, a target or a component says failing (the reason is WO's `statusDetails`, then the
/// failing target statuses and components in parentheses); [`Health::Healthy`] when all of them say deployed
/// (and there is at least the instance's own status); else [`Health::Unknown`].
pub fn health_of_status(status: &Value) -> Health {
    let mut failing = Vec::new();
    let mut all_fine = says(&status["status"]) == Says::Fine;
    if says(&status["status"]) == Says::Failing {
        failing.push(format!(
            "the instance is {}",
            status["status"].as_str().unwrap_or_default()
        ));
    }
    for t in status["targetStatuses"].as_array().into_iter().flatten() {
        let target = t["name"].as_str().unwrap_or("the target");
        let components = t["componentStatuses"].as_array();
        let failing_components: Vec<String> = components
            .into_iter()
            .flatten()
            .filter(|c| says(&c["status"]) == Says::Failing)
            .map(|c| {
                format!(
                    "component `{}` {}",
                    c["name"].as_str().unwrap_or("?"),
                    c["status"].as_str().unwrap_or_default()
                )
            })
            .collect();
        all_fine &= says(&t["status"]) == Says::Fine
            && components
                .into_iter()
                .flatten()
                .all(|c| says(&c["status"]) == Says::Fine);
        if !failing_components.is_empty() {
            failing.push(format!("on {target}: {}", failing_components.join(", ")));
        } else if says(&t["status"]) == Says::Failing {
            failing.push(format!(
                "{target} is {}",
                t["status"].as_str().unwrap_or_default()
            ));
        }
    }
    if !failing.is_empty() {
        // WO's own words first: a commit status keeps 140 characters of a reason.
        let reason = match status["statusDetails"]
            .as_str()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            Some(details) => format!("{details} ({})", failing.join("; ")),
            None => failing.join("; "),
        };
        return Health::Unhealthy {
            reason: wo_http::scrub(&reason),
        };
    }
    if all_fine {
        Health::Healthy
    } else {
        Health::Unknown
    }
}

/// Whether the solution version name `sv_name` (`{template version}.{revision}`) is of the
/// template version `version`: `Some(false)` when it names another, `None` when its shape
/// does not say.
fn name_is_of(sv_name: &str, version: &str) -> Option<bool> {
    let (head, revision) = sv_name.rsplit_once('.')?;
    if revision.is_empty() || !revision.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if head.split('.').count() != 3 {
        return None;
    }
    Some(head.eq_ignore_ascii_case(version))
}

impl WoOrchestrator {
    /// See [`Orchestrator::health`](wo_core::ports::Orchestrator::health) and the
    /// [module page](self).
    pub(super) async fn release_health(
        &self,
        release: &Release,
        targets: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, Health>> {
        if targets.is_empty() {
            return Ok(BTreeMap::new());
        }
        let name = template_name(&release.solution);
        let template_id = format!("{}/solutionTemplates/{name}", self.edge());
        let unique = self.unique_of(&template_id, &name).await?;
        let version = wo_version(&release.version);
        let template_version_id = format!("{template_id}/versions/{version}");
        let ids: BTreeMap<&str, Option<&str>> = release
            .targets
            .iter()
            .map(|t| (t.target.as_str(), t.orchestrator_id.as_deref()))
            .collect();
        let work: Vec<_> = targets
            .iter()
            .map(|target| {
                let target_id = self.target_id(target, ids.get(target.as_str()).copied().flatten());
                self.named_health(target, target_id, &unique, &version, &template_version_id)
            })
            .collect();
        futures::stream::iter(work)
            .buffer_unordered(self.options.concurrency.max(1))
            .collect::<Vec<Result<(String, Health)>>>()
            .await
            .into_iter()
            .collect()
    }

    async fn named_health(
        &self,
        target: &str,
        target_id: String,
        unique: &str,
        version: &str,
        template_version_id: &str,
    ) -> Result<(String, Health)> {
        let health = self
            .target_health(&target_id, unique, version, template_version_id)
            .await
            .map_err(|e| e.with_target(target))?;
        Ok((target.to_string(), health))
    }

    async fn target_health(
        &self,
        target_id: &str,
        unique: &str,
        version: &str,
        template_version_id: &str,
    ) -> Result<Health> {
        let path = format!("{target_id}/solutions/{unique}/instances/{unique}");
        let Some(instance) = self.get_opt(&path).await? else {
            return Ok(Health::Unknown);
        };
        let Some(sv_id) = instance["properties"]["solutionVersionId"].as_str() else {
            return Ok(Health::Unknown);
        };
        let sv_name = sv_id.rsplit('/').next().unwrap_or_default();
        let ours = match name_is_of(sv_name, version) {
            Some(ours) => ours,
            None => self.get_opt(sv_id).await?.is_some_and(|sv| {
                sv["properties"]["solutionTemplateVersionId"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(template_version_id))
            }),
        };
        if !ours {
            return Ok(Health::Unknown);
        }
        Ok(health_of_status(&instance["properties"]["status"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(overall: &str, target: &str, components: &[(&str, &str)]) -> Value {
        json!({"status": overall, "statusDetails": "1.0.0.1 deployed; pod crashing",
               "targetStatuses": [{"name": "line-1", "status": target,
                   "componentStatuses": components.iter()
                       .map(|(n, s)| json!({"name": n, "status": s})).collect::<Vec<_>>()}]})
    }

    #[test]
    fn all_deployed_is_healthy() {
        let s = status(
            "Deployed",
            "Deployed",
            &[("shop", "Deployed"), ("cache", "Succeeded")],
        );
        assert_eq!(health_of_status(&s), Health::Healthy);
    }

    #[test]
    fn a_failing_component_is_unhealthy_naming_it_and_wo_s_details() {
        let s = status(
            "Degraded",
            "Degraded",
            &[("shop", "Failed"), ("cache", "Deployed")],
        );
        let Health::Unhealthy { reason } = health_of_status(&s) else {
            panic!("{:?}", health_of_status(&s))
        };
        assert!(reason.contains("component `shop` Failed"), "{reason}");
        assert!(!reason.contains("cache"), "{reason}");
        assert!(reason.contains("pod crashing"), "{reason}");
        // Only a component failing, the rest saying deployed: still unhealthy.
        let s = status("Deployed", "Deployed", &[("shop", "Error")]);
        assert!(matches!(health_of_status(&s), Health::Unhealthy { .. }));
    }

    #[test]
    fn anything_in_between_is_unknown() {
        let s = status("Deploying", "Deployed", &[("shop", "Deployed")]);
        assert_eq!(health_of_status(&s), Health::Unknown);
        let s = status("Deployed", "Deployed", &[("shop", "Reconciling")]);
        assert_eq!(health_of_status(&s), Health::Unknown);
        assert_eq!(health_of_status(&Value::Null), Health::Unknown);
    }

    #[test]
    fn solution_version_names_show_their_template_version() {
        assert_eq!(name_is_of("1.0.0.3", "1.0.0"), Some(true));
        assert_eq!(name_is_of("1.2.3.1", "1.0.0"), Some(false));
        assert_eq!(name_is_of("1.0.0", "1.0.0"), None);
        assert_eq!(name_is_of("shop-v1", "1.0.0"), None);
        assert_eq!(name_is_of("1.0.0.x", "1.0.0"), None);
    }
}
