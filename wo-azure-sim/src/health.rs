//! Targets made unhealthy by a test: their installations succeed, but their instances report
//! the workload deployed yet failing, in the instance's `status` (`DeploymentStatus`).
//!
//! The strings are inferred (the specification types `status`, `targetStatuses[].status` and
//! `componentStatuses[].status` as free strings): a healthy instance says `Deployed` at every
//! level (as installations always did here); an unhealthy one says `Degraded` for the instance
//! and the target, `Failed` for each failing component (`Deployed` for the others), and puts the
//! failing components and the reason in `statusDetails`.

use serde_json::{json, Value};

use crate::http::{etag, now_rfc3339};
use crate::state::SimState;

/// The status of an instance whose workload runs fine.
pub(crate) const DEPLOYED: &str = "Deployed";
/// The status of an instance and a target whose workload is deployed but failing.
pub(crate) const DEGRADED: &str = "Degraded";
/// The status of a failing component.
pub(crate) const FAILED: &str = "Failed";

/// How one target (or one solution on it) is failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sickness {
    /// The failing component; `None`: every component of the solution.
    pub(crate) component: Option<String>,
    /// What the cluster says (`CrashLoopBackOff: …`).
    pub(crate) reason: String,
}

/// The key of [`SimState::unhealthy`]: the lowercase target name and the lowercase solution
/// name (empty: every solution on the target).
pub(crate) fn key(target: &str, solution: Option<&str>) -> (String, String) {
    (
        target.to_ascii_lowercase(),
        solution.unwrap_or_default().to_ascii_lowercase(),
    )
}

/// The sickness of `solution` on `target`: its own, else the target's.
fn sickness<'a>(st: &'a SimState, target: &str, solution: &str) -> Option<&'a Sickness> {
    st.unhealthy
        .get(&key(target, Some(solution)))
        .or_else(|| st.unhealthy.get(&key(target, None)))
}

/// `(target, solution)` of an instance id `…/targets/{t}/solutions/{s}/instances/{i}`, `None`
/// for any other id.
fn instance_of(id: &str) -> Option<(&str, &str)> {
    let segs: Vec<&str> = id.rsplit('/').collect();
    let ok = segs.len() >= 6
        && segs[1].eq_ignore_ascii_case("instances")
        && segs[3].eq_ignore_ascii_case("solutions")
        && segs[5].eq_ignore_ascii_case("targets");
    ok.then(|| (segs[4], segs[2]))
}

/// Sets the `status` of the instance `instance_id` to what its target's health says now (no
/// change when it says it already). Its `generation` and job ids stay: no deployment happened.
pub(crate) fn refresh(st: &mut SimState, instance_id: &str) {
    let Some((target, solution)) = instance_of(instance_id) else {
        return;
    };
    let sick = sickness(st, target, solution).cloned();
    let Some(instance) = st.get_mut(instance_id) else {
        return;
    };
    let sv_name = instance["properties"]["solutionVersionId"]
        .as_str()
        .and_then(|id| id.rsplit('/').next())
        .unwrap_or_default()
        .to_string();
    let status = &mut instance["properties"]["status"];
    let target_name = status["targetStatuses"][0]["name"]
        .as_str()
        .unwrap_or(target)
        .to_string();
    let mut failing = Vec::new();
    if let Some(components) = status
        .pointer_mut("/targetStatuses/0/componentStatuses")
        .and_then(Value::as_array_mut)
    {
        for c in components {
            let name = c["name"].as_str().unwrap_or_default().to_string();
            let fails = sick
                .as_ref()
                .is_some_and(|s| s.component.as_deref().is_none_or(|f| f == name));
            c["status"] = json!(if fails { FAILED } else { DEPLOYED });
            if fails {
                failing.push(name);
            }
        }
    }
    let (overall, details) = match (&sick, failing.is_empty()) {
        (Some(s), false) => (
            DEGRADED,
            format!(
                "failing: {}: {}; {sv_name} deployed to {target_name}",
                failing
                    .iter()
                    .map(|c| format!("component '{c}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                s.reason
            ),
        ),
        _ => (DEPLOYED, format!("{sv_name} deployed to {target_name}")),
    };
    if status["status"] == json!(overall) && status["statusDetails"] == json!(details) {
        return;
    }
    status["status"] = json!(overall);
    status["statusDetails"] = json!(details);
    status["lastModified"] = json!(now_rfc3339());
    if let Some(t) = status
        .pointer_mut("/targetStatuses/0")
        .and_then(Value::as_object_mut)
    {
        t.insert("status".into(), json!(overall));
    }
    instance["eTag"] = Value::String(etag());
}

/// The ids of the instances on `target` (of `solution`, or of every solution).
pub(crate) fn instances_on(st: &SimState, target: &str, solution: Option<&str>) -> Vec<String> {
    st.resources
        .keys()
        .filter(|id| {
            instance_of(id).is_some_and(|(t, s)| {
                t.eq_ignore_ascii_case(target)
                    && solution.is_none_or(|want| s.eq_ignore_ascii_case(want))
            })
        })
        .cloned()
        .collect()
}

/// Refreshes every instance on `target` (of `solution`, or of every solution).
fn refresh_target(st: &mut SimState, target: &str, solution: Option<&str>) {
    for id in instances_on(st, target, solution) {
        refresh(st, &id);
    }
}

/// Makes `solution` (`None`: every solution) on `target` unhealthy: its instances report
/// `component` (`None`: every component) failing for `reason`, now and after later installs.
pub(crate) fn make_unhealthy(
    st: &mut SimState,
    target: &str,
    solution: Option<&str>,
    component: Option<&str>,
    reason: &str,
) {
    st.unhealthy.insert(
        key(target, solution),
        Sickness {
            component: component.map(str::to_string),
            reason: reason.to_string(),
        },
    );
    refresh_target(st, target, solution);
}

/// Makes `solution` (`None`: everything) on `target` healthy again.
pub(crate) fn make_healthy(st: &mut SimState, target: &str, solution: Option<&str>) {
    match solution {
        Some(_) => {
            st.unhealthy.remove(&key(target, solution));
        }
        None => {
            let t = target.to_ascii_lowercase();
            st.unhealthy.retain(|(k, _), _| *k != t);
        }
    }
    refresh_target(st, target, solution);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_name_their_target_and_solution() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/targets/line-1/solutions/shop/instances/shop";
        assert_eq!(instance_of(id), Some(("line-1", "shop")));
        assert_eq!(instance_of(&format!("{id}/histories/history-000001")), None);
        assert_eq!(
            instance_of(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/targets/line-1"
            ),
            None
        );
    }
}
