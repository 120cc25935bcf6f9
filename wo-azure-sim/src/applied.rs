//! What an installation applies to a target: the component types the target binds, the
//! `helm.v3` charts pulled and rendered with the resolved configuration as values, and the
//! record of it ([`Applied`]) that `GET /_simulator/applied` and drift read.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};

use crate::charts::{reference, ChartSource};
use crate::lro::Effect;
use crate::state::{Shared, SimState};

/// The component type WO installs with Helm.
pub const HELM_V3: &str = "helm.v3";

/// The chart an installation pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedChart {
    /// `oci://host[:port]/path/name`.
    pub repo: String,
    /// The tag pulled.
    pub version: String,
    /// `sha256:<hex>` of the `.tgz` pulled.
    pub digest: String,
}

/// What runs on a target for one solution, as the last successful installation (or a drift
/// since) left it.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The target's name.
    pub target: String,
    /// The solution's name.
    pub solution: String,
    /// The solution version's name (`1.0.0.1`).
    pub version: String,
    /// The chart of the (first) `helm.v3` component.
    pub chart: AppliedChart,
    /// The values the charts were rendered with: the solution version's resolved
    /// configuration.
    pub values: Value,
    /// The rendered manifests: one multi-document stream per `helm.v3` component, in
    /// component order, one after the other.
    pub manifests: String,
}

impl Applied {
    /// The JSON `GET /_simulator/applied` answers.
    pub fn to_json(&self) -> Value {
        json!({
            "target": self.target,
            "solution": self.solution,
            "version": self.version,
            "chart": {"repo": self.chart.repo, "version": self.chart.version, "digest": self.chart.digest},
            "values": self.values,
            "manifests": self.manifests,
        })
    }
}

/// One `helm.v3` component pulled: its chart, to render again after a drift.
#[derive(Debug, Clone)]
pub(crate) struct PulledComponent {
    pub(crate) chart: Chart,
    pub(crate) pulled: AppliedChart,
    pub(crate) namespace: String,
}

/// What the simulator keeps per target and solution.
#[derive(Debug, Clone)]
pub(crate) struct AppliedState {
    pub(crate) applied: Applied,
    /// The solution version's id.
    pub(crate) sv_id: String,
    pub(crate) components: Vec<PulledComponent>,
}

/// The key of [`SimState::applied`]: lowercase target and solution names.
pub(crate) fn key(target: &str, solution: &str) -> (String, String) {
    (target.to_ascii_lowercase(), solution.to_ascii_lowercase())
}

/// What an installation prepared before it ends: the record to keep (none when the solution
/// has no `helm.v3` component) or the error that fails it.
pub(crate) type Prepared = Result<Option<AppliedState>, Value>;

/// The roles the target's `targetSpecification.topologies[].bindings[]` bind.
pub(crate) fn bound_roles(target: &Value) -> BTreeSet<String> {
    target["properties"]["targetSpecification"]["topologies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["bindings"].as_array().into_iter().flatten())
        .filter_map(|b| b["role"].as_str())
        .map(str::to_string)
        .collect()
}

/// Every component of `specification` whose type the target does not bind, as one message
/// naming the component, its type and the bound roles; `None` when all are bound.
pub(crate) fn unbound_components(specification: &Value, target: &Value) -> Option<String> {
    let roles = bound_roles(target);
    let target_name = target["name"].as_str().unwrap_or_default();
    let problems: Vec<String> = specification["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let kind = c["type"].as_str().unwrap_or("");
            (!roles.contains(kind)).then(|| {
                format!(
                    "the component '{}' has the type '{kind}'",
                    c["name"].as_str().unwrap_or("")
                )
            })
        })
        .collect();
    if problems.is_empty() {
        return None;
    }
    let bound = if roles.is_empty() {
        "none".to_string()
    } else {
        roles
            .iter()
            .map(|r| format!("'{r}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(format!(
        "The target '{target_name}' cannot run the solution: {}, but its targetSpecification binds the roles {bound}.",
        problems.join("; ")
    ))
}

/// A `helm.v3` component to pull.
#[derive(Debug, Clone)]
struct HelmComponent {
    name: String,
    repo: String,
    version: String,
    namespace: String,
}

/// What an installation needs from the state to pull and render, taken under the lock.
#[derive(Debug, Clone)]
pub(crate) struct InstallPlan {
    target: String,
    target_id: String,
    solution: String,
    sv_id: String,
    version: String,
    values: Value,
    components: Vec<HelmComponent>,
}

/// The error that fails an installation.
fn deployment_failed(target_id: &str, message: String) -> Value {
    json!({"code": "DeploymentFailed", "message": message, "target": target_id})
}

/// The solution version's resolved configuration (YAML) as the charts' values (a map).
pub(crate) fn values_of(sv: &Value) -> Result<Value, String> {
    let text = sv["properties"]["configuration"].as_str().unwrap_or("");
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let value = wo_core::yaml::parse(text, "configuration")
        .and_then(|n| n.to_value("configuration"))
        .map_err(|e| format!("the resolved configuration is not YAML: {e}"))?;
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Ok(Value::Object(Map::new())),
        other => Err(format!("the resolved configuration is not a map: {other}")),
    }
}

/// The installation of `sv_id` on `target_id`: refused when a component's type is not bound
/// or a `helm.v3` component names no chart; `None` when there is nothing to pull.
pub(crate) fn plan(
    st: &SimState,
    sv_id: &str,
    target_id: &str,
) -> Result<Option<InstallPlan>, Value> {
    let gone = |id: &str| json!({"code": "ResourceNotFound", "message": format!("The resource '{id}' was not found.")});
    let target = st.get(target_id).ok_or_else(|| gone(target_id))?;
    let sv = st.get(sv_id).ok_or_else(|| gone(sv_id))?;
    let spec = &sv["properties"]["specification"];
    if let Some(message) = unbound_components(spec, target) {
        return Err(deployment_failed(target_id, message));
    }
    let target_name = target["name"].as_str().unwrap_or_default().to_string();
    // …/targets/{t}/solutions/{s}/versions/{v}
    let segs: Vec<&str> = sv_id.rsplit('/').collect();
    let (version, solution) = (
        segs[0].to_string(),
        segs.get(2).copied().unwrap_or_default(),
    );
    let mut components = Vec::new();
    for c in spec["components"].as_array().into_iter().flatten() {
        if c["type"] != HELM_V3 {
            continue;
        }
        let name = c["name"].as_str().unwrap_or("").to_string();
        let chart = &c["properties"]["chart"];
        let (Some(repo), Some(chart_version)) = (chart["repo"].as_str(), chart["version"].as_str())
        else {
            return Err(deployment_failed(
                target_id,
                format!("The helm.v3 component '{name}' names no chart: properties.chart.repo and properties.chart.version are required."),
            ));
        };
        let namespace = c["properties"]["namespace"]
            .as_str()
            .unwrap_or(solution)
            .to_string();
        components.push(HelmComponent {
            name,
            repo: repo.to_string(),
            version: chart_version.to_string(),
            namespace,
        });
    }
    if components.is_empty() {
        return Ok(None);
    }
    let values = values_of(sv).map_err(|m| deployment_failed(target_id, m))?;
    Ok(Some(InstallPlan {
        target: target_name,
        target_id: target_id.to_string(),
        solution: solution.to_string(),
        sv_id: sv_id.to_string(),
        version,
        values,
        components,
    }))
}

/// Renders every component's chart with `values`, as wo renders it: release name the
/// solution, the namespace, the target by name.
async fn render(
    renderer: &dyn Renderer,
    target: &str,
    solution: &str,
    values: &Value,
    components: &[PulledComponent],
) -> Result<String, String> {
    let mut manifests = String::new();
    for c in components {
        let request = RenderRequest {
            release_name: solution.to_string(),
            namespace: c.namespace.clone(),
            target: TargetView {
                name: target.to_string(),
                ..TargetView::default()
            },
            values: values.clone(),
        };
        let mut out = renderer.render(&c.chart, &[request]).await.map_err(|e| {
            format!(
                "rendering the chart {}:{} failed: {e}",
                c.pulled.repo, c.pulled.version
            )
        })?;
        if out.len() != 1 {
            return Err(format!(
                "the renderer gave {} outputs for one request",
                out.len()
            ));
        }
        manifests.push_str(&out.remove(0).manifests);
    }
    Ok(manifests)
}

/// Pulls and renders what `plan` names.
async fn run(
    charts: Arc<dyn ChartSource>,
    renderer: Arc<dyn Renderer>,
    plan: InstallPlan,
) -> Prepared {
    let fail = |m: String| deployment_failed(&plan.target_id, m);
    let mut components = Vec::new();
    for c in &plan.components {
        let pulled = charts.fetch(&c.repo, &c.version).await.map_err(|e| {
            fail(format!(
                "The component '{}' could not be installed on target '{}': {e}",
                c.name, plan.target
            ))
        })?;
        let chart = pulled.files().map_err(|m| {
            fail(format!(
                "The component '{}': the chart {} is not a chart archive: {m}",
                c.name,
                reference(&c.repo, &c.version)
            ))
        })?;
        components.push(PulledComponent {
            chart,
            pulled: AppliedChart {
                repo: c.repo.clone(),
                version: c.version.clone(),
                digest: pulled.digest,
            },
            namespace: c.namespace.clone(),
        });
    }
    let manifests = render(
        renderer.as_ref(),
        &plan.target,
        &plan.solution,
        &plan.values,
        &components,
    )
    .await
    .map_err(|m| {
        fail(format!(
            "The installation on target '{}' failed: {m}",
            plan.target
        ))
    })?;
    Ok(Some(AppliedState {
        applied: Applied {
            target: plan.target.clone(),
            solution: plan.solution.clone(),
            version: plan.version.clone(),
            chart: components[0].pulled.clone(),
            values: plan.values.clone(),
            manifests,
        },
        sv_id: plan.sv_id,
        components,
    }))
}

/// Before an operation's poll: an installation about to end pulls and renders its charts
/// (outside the lock), and keeps the result on the operation for
/// [`crate::effects::apply`].
pub(crate) async fn before_poll(shared: &Shared, op_id: &str) {
    let planned = {
        let st = shared.lock();
        let Some(op) = st.operations.get(op_id) else {
            return;
        };
        if op.outcome.is_some() || op.polls_left > 0 || op.doomed || op.prepared.is_some() {
            return;
        }
        let Effect::Install { sv, target, .. } = &op.effect else {
            return;
        };
        plan(&st, sv, target)
    };
    let prepared = match planned {
        Err(e) => Err(e),
        Ok(None) => Ok(None),
        Ok(Some(plan)) => run(shared.charts.clone(), shared.renderer.0.clone(), plan).await,
    };
    let mut st = shared.lock();
    if let Some(op) = st.operations.get_mut(op_id) {
        if op.outcome.is_none() && op.prepared.is_none() {
            op.prepared = Some(prepared);
        }
    }
}

/// The applied state of `target` and `solution` (or the only solution applied on `target`).
pub(crate) fn find(
    st: &SimState,
    target: &str,
    solution: Option<&str>,
) -> Result<AppliedState, String> {
    let t = target.to_ascii_lowercase();
    match solution {
        Some(s) => st.applied.get(&key(target, s)).cloned().ok_or_else(|| {
            format!("nothing of the solution '{s}' is applied on the target '{target}'")
        }),
        None => {
            let mut on: Vec<&AppliedState> = st
                .applied
                .iter()
                .filter(|((k, _), _)| *k == t)
                .map(|(_, a)| a)
                .collect();
            match on.len() {
                0 => Err(format!("nothing is applied on the target '{target}'")),
                1 => Ok(on.remove(0).clone()),
                _ => Err(format!(
                    "the target '{target}' runs several solutions ({}): name one with solution=",
                    on.iter()
                        .map(|a| a.applied.solution.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
    }
}

/// Sets `path` (`a.b.c`) in `values` to `value`, creating maps on the way.
fn set_path(values: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!("'{path}' is not a key path (a.b.c)"));
    }
    let mut at = values;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !at.is_object() {
            return Err(format!(
                "'{}' is not a map, so '{path}' cannot be set",
                parts[..i].join(".")
            ));
        }
        let map = at.as_object_mut().ok_or("not a map")?;
        if i + 1 == parts.len() {
            map.insert((*part).to_string(), value);
            return Ok(());
        }
        at = map
            .entry((*part).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

/// Drift: sets `key` of the running solution version's resolved configuration to `value`
/// behind the client's back, and renders the applied manifests again.
pub(crate) async fn drift(
    shared: &Shared,
    target: &str,
    solution: Option<&str>,
    key_path: &str,
    value: Value,
) -> Result<Applied, String> {
    let mut state = find(&shared.lock(), target, solution)?;
    set_path(&mut state.applied.values, key_path, value)?;
    let manifests = render(
        shared.renderer.0.as_ref(),
        &state.applied.target,
        &state.applied.solution,
        &state.applied.values,
        &state.components,
    )
    .await?;
    state.applied.manifests = manifests;
    let mut st = shared.lock();
    let key = key(&state.applied.target, &state.applied.solution);
    if st.applied.get(&key).map(|a| &a.sv_id) != Some(&state.sv_id) {
        return Err(format!(
            "the solution '{}' on the target '{}' was installed or uninstalled meanwhile",
            state.applied.solution, state.applied.target
        ));
    }
    if let Some(sv) = st.get_mut(&state.sv_id) {
        sv["properties"]["configuration"] =
            Value::String(wo_core::yaml::to_string(&state.applied.values));
    }
    let applied = state.applied.clone();
    st.applied.insert(key, state);
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_of_unbound_types_are_named_with_the_roles() {
        let target = json!({"name": "line-1", "properties": {"targetSpecification": {"topologies": [
            {"bindings": [{"role": "helm.v3", "provider": "providers.target.helm"}]}]}}});
        let spec = json!({"components": [{"name": "a", "type": "helm.v3"}, {"name": "b", "type": "wo.gitops"}]});
        let m = unbound_components(&spec, &target).unwrap();
        assert!(m.contains("'b' has the type 'wo.gitops'"), "{m}");
        assert!(m.contains("'helm.v3'") && m.contains("line-1"), "{m}");
        assert!(!m.contains("'a'"), "{m}");
        let spec = json!({"components": [{"name": "a", "type": "helm.v3"}]});
        assert_eq!(unbound_components(&spec, &target), None);
        let bare = json!({"name": "t", "properties": {"targetSpecification": {}}});
        assert!(unbound_components(&spec, &bare)
            .unwrap()
            .contains("roles none"));
    }

    #[test]
    fn key_paths_set_nested_values() {
        let mut v = json!({"a": {"b": 1}, "c": 2});
        set_path(&mut v, "a.b", json!(5)).unwrap();
        set_path(&mut v, "x.y", json!("new")).unwrap();
        assert_eq!(v, json!({"a": {"b": 5}, "c": 2, "x": {"y": "new"}}));
        assert!(set_path(&mut v, "c.d", json!(1))
            .unwrap_err()
            .contains("'c' is not a map"));
        assert!(set_path(&mut v, "a..b", json!(1)).is_err());
    }
}
