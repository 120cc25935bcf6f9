//! Fleet as code into Workload Orchestration (`wo fleet apply`): the context and the targets
//! an environment's [`Fleet`] describes, planned against what WO holds ([`plan`]) and made so
//! with PUTs and, only when asked, DELETEs ([`apply`]).
//!
//! What WO should hold:
//!
//! - **the context** [`Onboarding::context`]: `capabilities` the union of the fleet targets'
//!   capabilities, `hierarchies` the fleet's `hierarchy` levels in order, then any
//!   `labels.hierarchyLevel` of a target that is not among them (a fleet without either gets
//!   one level, `target`). Without `prune`, capabilities and levels WO has and the fleet lacks
//!   are kept;
//! - **one WO target per fleet target**, at `orchestrator.id` or else
//!   `{resource group}/providers/Microsoft.Edge/targets/{name}`: `capabilities`,
//!   `hierarchyLevel` (`labels.hierarchyLevel`, else the fleet's innermost level), `contextId`,
//!   a Helm `targetSpecification` ([`helm_target_specification`]) and, when configured, the
//!   custom location (`extendedLocation`).
//!
//! A target is updated only when one of those differs (capabilities compared as sets, ids
//! case-insensitively); what else it has (`description`, `displayName`, `solutionScope`,
//! `location`, tags) is kept. Pruning deletes exactly the WO targets of the resource group whose
//! `contextId` is the context and that no fleet target names; targets of other contexts or
//! resource groups are never touched, and nothing is deleted without `prune`.
//!
//! A plan that changes nothing applies with zero writes.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde_json::{json, Map, Value};
use wo_core::format::fleet::{Fleet, FLEET_FILE};
use wo_core::{Error, Location, Result};

use crate::arm::ArmClient;

/// The hierarchy level of targets when the fleet names none.
pub const DEFAULT_LEVEL: &str = "target";

/// The placeholder of [`Onboarding::custom_location`] replaced by the target's name.
pub const TARGET_PLACEHOLDER: &str = "{target}";

/// Where and how a fleet goes into Workload Orchestration.
#[derive(Debug, Clone)]
pub struct Onboarding {
    /// The resource group of the context and the targets: `/subscriptions/S/resourceGroups/RG`
    /// (no trailing `/`).
    pub resource_group: String,
    /// The context's ARM id (`{resource group}/providers/Microsoft.Edge/contexts/{name}`).
    pub context: String,
    /// The Azure location of resources made (`eastus` by default); existing ones keep theirs.
    pub location: String,
    /// The custom location of the targets (their `extendedLocation`): an ARM id in which
    /// [`TARGET_PLACEHOLDER`] stands for the target's name. `None`: targets get none and an
    /// existing one is left as it is.
    pub custom_location: Option<String>,
    /// Delete the targets of the context the fleet dropped, and the context's capabilities
    /// and levels it no longer needs.
    pub prune: bool,
    /// Writes at once (at least 1).
    pub concurrency: usize,
}

/// The `targetSpecification` of a Helm-capable cluster, as WO's samples
/// (`Setup workload orchestration/targetspecs.json`) write it.
pub fn helm_target_specification() -> Value {
    json!({"topologies": [{"bindings": [{
        "role": "helm.v3",
        "provider": "providers.target.helm",
        "config": {"inCluster": "true"}
    }]}]})
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// PUT of a resource WO does not have.
    Create,
    /// PUT of a resource that differs.
    Update,
    /// DELETE (only with `prune`).
    Delete,
    /// Nothing: WO has it as the fleet says.
    Unchanged,
}

impl Action {
    /// `create`, `update`, `delete`, `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Unchanged => "unchanged",
        }
    }
}

/// What a step is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `Microsoft.Edge/contexts`.
    Context,
    /// `Microsoft.Edge/targets`.
    Target,
}

impl Kind {
    /// `context`, `target`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Context => "context",
            Kind::Target => "target",
        }
    }
}

/// One resource of a [`FleetPlan`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// What is done.
    pub action: Action,
    /// To what.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// Its ARM id.
    pub id: String,
    /// What differs, one entry per property (`capabilities: +gpu -cpu`); empty unless an
    /// update.
    pub differences: Vec<String>,
    /// The body PUT (create, update).
    #[serde(skip)]
    pub body: Option<Value>,
}

/// What [`apply`] does: the context first, then every fleet target, then the targets to
/// delete; each name once.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FleetPlan {
    /// The context.
    pub context: Step,
    /// With `prune`, the context as it stands once pruned (PUT after the targets, so that no
    /// target is left with a capability or level the context no longer has).
    #[serde(skip)]
    pub pruned_context: Option<Value>,
    /// The targets, by name, then those to delete.
    pub targets: Vec<Step>,
}

impl FleetPlan {
    /// Every step, the context first.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        std::iter::once(&self.context).chain(&self.targets)
    }

    /// Steps by action.
    pub fn count(&self, action: Action) -> usize {
        self.steps().filter(|s| s.action == action).count()
    }

    /// Whether applying writes anything.
    pub fn changes(&self) -> bool {
        self.steps().any(|s| s.action != Action::Unchanged)
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// Resources created.
    pub created: usize,
    /// Resources updated.
    pub updated: usize,
    /// Targets deleted.
    pub deleted: usize,
}

/// One WO target as the fleet wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredTarget {
    /// Its name (the last segment of `id`).
    pub name: String,
    /// Its ARM id.
    pub id: String,
    /// The properties wo sets (`extendedLocation` among them when configured).
    pub properties: Value,
}

/// The resources WO should hold for `fleet`, without asking WO: the context's body and, per
/// fleet target, its ARM id and desired properties.
///
/// # Errors
/// [`Error::Invalid`] naming `fleet.yaml` and the key for a target whose `orchestrator.id` is
/// not a target of the resource group or whose `orchestrator.context` is another context.
pub fn desired(fleet: &Fleet, on: &Onboarding) -> Result<(Value, Vec<DesiredTarget>)> {
    let rg = on.resource_group.trim_end_matches('/');
    let targets_prefix = format!("{rg}/providers/Microsoft.Edge/targets/").to_ascii_lowercase();
    let mut problems = Vec::new();
    let mut levels: Vec<String> = fleet.hierarchy.clone();
    for t in &fleet.targets {
        if let Some(level) = t.labels.get("hierarchyLevel") {
            if !levels.iter().any(|l| l == level) {
                levels.push(level.to_owned());
            }
        }
    }
    let innermost = fleet
        .hierarchy
        .last()
        .cloned()
        .or_else(|| levels.first().cloned());
    if levels.is_empty() {
        levels.push(DEFAULT_LEVEL.to_string());
    }
    let mut capabilities = BTreeSet::new();
    let mut targets = Vec::with_capacity(fleet.targets.len());
    for (i, t) in fleet.targets.iter().enumerate() {
        let at = |key: &str| Location::file(FLEET_FILE).with_key(format!("targets.{i}.{key}"));
        let ids = t.orchestrator.as_ref();
        let id = match ids.and_then(|o| o.id.as_deref()) {
            Some(id) => {
                let id = id.trim_end_matches('/');
                let low = id.to_ascii_lowercase();
                if !low.starts_with(&targets_prefix) || low[targets_prefix.len()..].contains('/') {
                    problems.push(wo_core::Diagnostic::new(
                        at("orchestrator.id"),
                        format!("`{id}` is not a target of resource group {rg}"),
                    ));
                    continue;
                }
                id.to_string()
            }
            None => format!("{rg}/providers/Microsoft.Edge/targets/{}", t.name),
        };
        if let Some(c) = ids.and_then(|o| o.context.as_deref()) {
            if !c.trim_end_matches('/').eq_ignore_ascii_case(&on.context) {
                problems.push(wo_core::Diagnostic::new(
                    at("orchestrator.context"),
                    format!("target `{}` names context {c}, not {}", t.name, on.context),
                ));
                continue;
            }
        }
        capabilities.extend(t.capabilities.iter().cloned());
        let level = t
            .labels
            .get("hierarchyLevel")
            .map(str::to_owned)
            .or_else(|| innermost.clone())
            .unwrap_or_else(|| DEFAULT_LEVEL.to_string());
        let mut props = json!({
            "contextId": on.context,
            "capabilities": t.capabilities,
            "hierarchyLevel": level,
            "targetSpecification": helm_target_specification(),
        });
        if let Some(cl) = &on.custom_location {
            props["extendedLocation"] = json!({
                "name": cl.replace(TARGET_PLACEHOLDER, &t.name),
                "type": "CustomLocation",
            });
        }
        let name = id.rsplit('/').next().unwrap_or_default().to_string();
        targets.push(DesiredTarget {
            name,
            id,
            properties: props,
        });
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(wo_core::Diagnostics(problems)));
    }
    let context = json!({
        "capabilities": capabilities.into_iter().collect::<Vec<_>>(),
        "hierarchies": levels,
    });
    Ok((context, targets))
}

/// The plan for `fleet` against WO: one `GET` of the context and one listing of the resource
/// group's targets (every page).
///
/// # Errors
/// As [`desired`]; as [`ArmClient::get`] and [`ArmClient::list`] (a missing context is a
/// `create`, not an error).
pub async fn plan(arm: &ArmClient, fleet: &Fleet, on: &Onboarding) -> Result<FleetPlan> {
    let (want_context, want_targets) = desired(fleet, on)?;
    let existing_context = match arm.get(&on.context).await {
        Ok(v) => Some(v),
        Err(Error::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let listed = arm
        .list(&format!(
            "{}/providers/Microsoft.Edge/targets",
            on.resource_group.trim_end_matches('/')
        ))
        .await?;
    Ok(compare(
        on,
        &want_context,
        &want_targets,
        existing_context.as_ref(),
        &listed,
    ))
}

/// The plan from what WO holds (`context`, the resource group's `targets`). Pure.
pub fn compare(
    on: &Onboarding,
    want_context: &Value,
    want_targets: &[DesiredTarget],
    context: Option<&Value>,
    targets: &[Value],
) -> FleetPlan {
    let context_name = on
        .context
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let (context_step, pruned_context) = compare_context(on, &context_name, want_context, context);
    let mut by_id: BTreeMap<String, &Value> = targets
        .iter()
        .filter_map(|t| Some((t.get("id")?.as_str()?.to_ascii_lowercase(), t)))
        .collect();
    let mut steps = Vec::with_capacity(want_targets.len());
    for t in want_targets {
        let existing = by_id.remove(&t.id.to_ascii_lowercase());
        steps.push(compare_target(on, &t.name, &t.id, &t.properties, existing));
    }
    steps.sort_by(|a, b| a.name.cmp(&b.name));
    if on.prune {
        let mut dropped: Vec<Step> = by_id
            .into_values()
            .filter(|t| {
                t.pointer("/properties/contextId")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.trim_end_matches('/').eq_ignore_ascii_case(&on.context))
            })
            .map(|t| Step {
                action: Action::Delete,
                kind: Kind::Target,
                name: str_at(t, "/name"),
                id: str_at(t, "/id"),
                differences: vec!["not in the fleet".into()],
                body: None,
            })
            .collect();
        dropped.sort_by(|a, b| a.name.cmp(&b.name));
        steps.extend(dropped);
    }
    FleetPlan {
        context: context_step,
        pruned_context,
        targets: steps,
    }
}

fn str_at(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn names(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `+added -removed` of two lists.
fn set_difference(have: &[String], want: &[String]) -> String {
    let have_set: BTreeSet<&String> = have.iter().collect();
    let want_set: BTreeSet<&String> = want.iter().collect();
    let mut parts: Vec<String> = want_set
        .difference(&have_set)
        .map(|x| format!("+{x}"))
        .collect();
    parts.extend(have_set.difference(&want_set).map(|x| format!("-{x}")));
    if parts.is_empty() {
        format!("order {}", want.join(","))
    } else {
        parts.join(" ")
    }
}

/// A list of `{name, description, …}` holding the names `want`: entries WO has are kept as
/// they are, new ones get the name as description. With `keep_extras`, WO's entries in WO's
/// order and the new ones after them (nothing is removed or reordered); otherwise `want`'s
/// names alone in `want`'s order.
fn named_items(existing: Option<&Value>, want: &[String], keep_extras: bool) -> Vec<Value> {
    let old: Vec<&Value> = existing
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let name_of = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_string);
    let find = |n: &str| {
        old.iter()
            .find(|v| name_of(v).as_deref() == Some(n))
            .map(|v| (*v).clone())
    };
    let fresh = |n: &String| json!({"name": n, "description": n});
    if keep_extras {
        let mut items: Vec<Value> = old.iter().map(|v| (*v).clone()).collect();
        items.extend(want.iter().filter(|n| find(n).is_none()).map(fresh));
        items
    } else {
        want.iter()
            .map(|n| find(n).unwrap_or_else(|| fresh(n)))
            .collect()
    }
}

fn compare_context(
    on: &Onboarding,
    name: &str,
    want: &Value,
    existing: Option<&Value>,
) -> (Step, Option<Value>) {
    let want_caps = strings(want.get("capabilities"));
    let want_levels = strings(want.get("hierarchies"));
    let step = |action, differences, body| Step {
        action,
        kind: Kind::Context,
        name: name.to_string(),
        id: on.context.clone(),
        differences,
        body,
    };
    let Some(existing) = existing else {
        let body = json!({"location": on.location, "properties": {
            "capabilities": named_items(None, &want_caps, false),
            "hierarchies": named_items(None, &want_levels, false),
        }});
        return (step(Action::Create, Vec::new(), Some(body)), None);
    };
    let props = existing.get("properties");
    let have_caps = names(props.and_then(|p| p.get("capabilities")));
    let have_levels = names(props.and_then(|p| p.get("hierarchies")));
    let body_with = |keep: bool| {
        let mut body = existing.clone();
        if let Some(o) = body.as_object_mut() {
            for ro in ["id", "name", "type", "systemData", "eTag"] {
                o.remove(ro);
            }
        }
        let p = &mut body["properties"];
        if let Some(o) = p.as_object_mut() {
            o.remove("provisioningState");
        }
        p["capabilities"] = json!(named_items(
            props.and_then(|p| p.get("capabilities")),
            &want_caps,
            keep
        ));
        p["hierarchies"] = json!(named_items(
            props.and_then(|p| p.get("hierarchies")),
            &want_levels,
            keep
        ));
        body
    };
    // First every capability and level either side has; with prune, the fleet's alone after
    // the targets are done.
    let merged = body_with(true);
    let merged_caps = names(merged.pointer("/properties/capabilities"));
    let merged_levels = names(merged.pointer("/properties/hierarchies"));
    let mut differences = Vec::new();
    if merged_caps != have_caps || (on.prune && sorted(&have_caps) != sorted(&want_caps)) {
        let target = if on.prune { &want_caps } else { &merged_caps };
        differences.push(format!(
            "capabilities: {}",
            set_difference(&have_caps, target)
        ));
    }
    if merged_levels != have_levels || (on.prune && have_levels != want_levels) {
        let target = if on.prune {
            &want_levels
        } else {
            &merged_levels
        };
        differences.push(format!(
            "hierarchies: {}",
            set_difference(&have_levels, target)
        ));
    }
    if differences.is_empty() {
        return (step(Action::Unchanged, Vec::new(), None), None);
    }
    let first = (merged_caps != have_caps || merged_levels != have_levels).then_some(merged);
    let pruned = if on.prune {
        let pruned = body_with(false);
        let same = names(pruned.pointer("/properties/capabilities")) == merged_caps
            && names(pruned.pointer("/properties/hierarchies")) == merged_levels
            && first.is_some();
        (!same).then_some(pruned)
    } else {
        None
    };
    (step(Action::Update, differences, first), pruned)
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn compare_target(
    on: &Onboarding,
    name: &str,
    id: &str,
    want: &Value,
    existing: Option<&Value>,
) -> Step {
    let step = |action, differences, body| Step {
        action,
        kind: Kind::Target,
        name: name.to_string(),
        id: id.to_string(),
        differences,
        body,
    };
    let want_ext = want.get("extendedLocation").cloned();
    let mut want_props = want.clone();
    if let Some(o) = want_props.as_object_mut() {
        o.remove("extendedLocation");
    }
    let Some(existing) = existing else {
        let mut props = want_props;
        props["description"] = json!(format!("{name}, onboarded by wo fleet apply"));
        props["displayName"] = json!(name);
        props["solutionScope"] = json!("default");
        let mut body = json!({"location": on.location, "properties": props});
        if let Some(ext) = want_ext {
            body["extendedLocation"] = ext;
        }
        return step(Action::Create, Vec::new(), Some(body));
    };
    let have = existing.get("properties").cloned().unwrap_or(json!({}));
    let mut differences = Vec::new();
    let have_caps = strings(have.get("capabilities"));
    let want_caps = strings(want_props.get("capabilities"));
    if sorted(&have_caps) != sorted(&want_caps) {
        differences.push(format!(
            "capabilities: {}",
            set_difference(&have_caps, &want_caps)
        ));
    }
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    if text(&have, "hierarchyLevel") != text(&want_props, "hierarchyLevel") {
        differences.push(format!(
            "hierarchyLevel: {} -> {}",
            text(&have, "hierarchyLevel"),
            text(&want_props, "hierarchyLevel")
        ));
    }
    if !text(&have, "contextId")
        .trim_end_matches('/')
        .eq_ignore_ascii_case(&text(&want_props, "contextId"))
    {
        differences.push(format!(
            "contextId: {} -> {}",
            text(&have, "contextId"),
            text(&want_props, "contextId")
        ));
    }
    if have.get("targetSpecification") != want_props.get("targetSpecification") {
        differences.push("targetSpecification".into());
    }
    if let Some(ext) = &want_ext {
        let have_ext = existing.get("extendedLocation");
        let same = have_ext
            .and_then(|e| e.get("name"))
            .and_then(Value::as_str)
            .zip(ext.get("name").and_then(Value::as_str))
            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b));
        if !same {
            differences.push(format!(
                "extendedLocation: {}",
                ext["name"].as_str().unwrap_or_default()
            ));
        }
    }
    if differences.is_empty() {
        return step(Action::Unchanged, Vec::new(), None);
    }
    let mut body = existing.clone();
    if let Some(o) = body.as_object_mut() {
        for ro in ["id", "name", "type", "systemData", "eTag"] {
            o.remove(ro);
        }
    }
    let mut props: Map<String, Value> = have.as_object().cloned().unwrap_or_default();
    for ro in ["provisioningState", "status"] {
        props.remove(ro);
    }
    if let Some(w) = want_props.as_object() {
        props.extend(w.clone());
    }
    body["properties"] = Value::Object(props);
    if let Some(ext) = want_ext {
        body["extendedLocation"] = ext;
    }
    step(Action::Update, differences, Some(body))
}

/// Applies `plan`: DELETEs of the dropped targets, the context's PUT, the targets' PUTs
/// (`on.concurrency` at once), then with prune the pruned context's PUT; each waits for its
/// long-running operation. A plan without changes sends nothing.
///
/// # Errors
/// The first write that failed (the context's stops everything; of the targets, every write
/// is tried and the first failure returned, the others named in its message).
pub async fn apply(arm: &ArmClient, plan: &FleetPlan, on: &Onboarding) -> Result<Applied> {
    let mut applied = Applied::default();
    let deletes: Vec<&Step> = plan
        .targets
        .iter()
        .filter(|s| s.action == Action::Delete)
        .collect();
    run_all(arm, &deletes, on.concurrency).await?;
    applied.deleted = deletes.len();
    if let Some(body) = &plan.context.body {
        arm.put_lro(&plan.context.id, body).await?;
        match plan.context.action {
            Action::Create => applied.created += 1,
            _ => applied.updated += 1,
        }
    }
    let puts: Vec<&Step> = plan.targets.iter().filter(|s| s.body.is_some()).collect();
    run_all(arm, &puts, on.concurrency).await?;
    for s in &puts {
        match s.action {
            Action::Create => applied.created += 1,
            _ => applied.updated += 1,
        }
    }
    if let Some(body) = &plan.pruned_context {
        arm.put_lro(&plan.context.id, body).await?;
        if plan.context.body.is_none() {
            applied.updated += 1;
        }
    }
    Ok(applied)
}

async fn run_all(arm: &ArmClient, steps: &[&Step], concurrency: usize) -> Result<()> {
    // Collected first, each a future of a named fn: a closure here makes the caller's future
    // not `Send` for every lifetime (rust-lang/rust#102211), which `#[async_trait]` needs.
    let writes: Vec<_> = steps.iter().map(|s| write_step(arm, s)).collect();
    let results: Vec<std::result::Result<(), (String, Error)>> = futures::stream::iter(writes)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut failures: Vec<(String, Error)> = results.into_iter().filter_map(|r| r.err()).collect();
    if failures.is_empty() {
        return Ok(());
    }
    failures.sort_by(|a, b| a.0.cmp(&b.0));
    let others: Vec<String> = failures.iter().skip(1).map(|(n, _)| n.clone()).collect();
    let (name, first) = failures.remove(0);
    let mut e = first.with_operation(format!("onboarding target {name}"));
    if !others.is_empty() {
        e = e.with_operation(format!(
            "{} more failed: {}",
            others.len(),
            others.join(", ")
        ));
    }
    Err(e)
}

/// One step's PUT (with a body) or DELETE; fails with the step's name.
async fn write_step(arm: &ArmClient, s: &Step) -> std::result::Result<(), (String, Error)> {
    let r = match &s.body {
        Some(body) => arm.put_lro(&s.id, body).await.map(|_| ()),
        None => arm.delete_lro(&s.id).await,
    };
    r.map_err(|e| (s.name.clone(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RG: &str = "/subscriptions/s/resourceGroups/rg";

    fn on(prune: bool) -> Onboarding {
        Onboarding {
            resource_group: RG.into(),
            context: format!("{RG}/providers/Microsoft.Edge/contexts/c"),
            location: "eastus".into(),
            custom_location: None,
            prune,
            concurrency: 4,
        }
    }

    fn fleet(yaml: &str) -> Fleet {
        Fleet::parse(
            &format!("apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\n{yaml}"),
            "fleet.yaml",
        )
        .unwrap()
    }

    #[test]
    fn levels_and_capabilities_come_from_the_fleet() {
        let f = fleet(
            "hierarchy: [region, site]\ntargets:\n  - {name: a, hierarchy: {region: eu, site: b}, capabilities: [helm, gpu]}\n  - {name: b, hierarchy: {region: eu, site: b}, capabilities: [helm], labels: {hierarchyLevel: line}}\n",
        );
        let (ctx, targets) = desired(&f, &on(false)).unwrap();
        assert_eq!(ctx["capabilities"], json!(["gpu", "helm"]));
        assert_eq!(ctx["hierarchies"], json!(["region", "site", "line"]));
        assert_eq!(targets[0].properties["hierarchyLevel"], "site");
        assert_eq!(targets[1].properties["hierarchyLevel"], "line");
        let bare = fleet("targets: [{name: a}]\n");
        let (ctx, targets) = desired(&bare, &on(false)).unwrap();
        assert_eq!(ctx["hierarchies"], json!([DEFAULT_LEVEL]));
        assert_eq!(targets[0].properties["hierarchyLevel"], DEFAULT_LEVEL);
    }

    #[test]
    fn foreign_ids_and_contexts_are_refused() {
        let f = fleet(
            "targets:\n  - {name: a, orchestrator: {id: /subscriptions/s/resourceGroups/other/providers/Microsoft.Edge/targets/a}}\n  - {name: b, orchestrator: {context: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/contexts/x}}\n",
        );
        let e = desired(&f, &on(false)).unwrap_err();
        let s = e.to_string();
        assert!(e.is_invalid_input(), "{s}");
        assert!(
            s.contains("targets.0.orchestrator.id") && s.contains("targets.1.orchestrator.context"),
            "{s}"
        );
    }

    #[test]
    fn the_context_keeps_extras_unless_pruned() {
        let f = fleet("targets: [{name: a, capabilities: [helm]}]\n");
        let (want, _) = desired(&f, &on(false)).unwrap();
        let have = json!({"id": "x", "properties": {
            "capabilities": [{"name": "helm", "description": "helm"}, {"name": "old", "description": "old"}],
            "hierarchies": [{"name": "target", "description": "target"}]}});
        let kept = compare(&on(false), &want, &[], Some(&have), &[]);
        assert_eq!(kept.context.action, Action::Unchanged);
        let pruned = compare(&on(true), &want, &[], Some(&have), &[]);
        assert_eq!(pruned.context.action, Action::Update);
        assert_eq!(pruned.context.differences, ["capabilities: -old"]);
        assert!(pruned.context.body.is_none(), "nothing to add first");
        let body = pruned.pruned_context.unwrap();
        assert_eq!(names(body.pointer("/properties/capabilities")), ["helm"]);
    }
}
