//! Onboarding a fleet from an orchestrator: the targets it lists (Azure Workload Orchestration
//! for `wo fleet import`), merged into the `fleet.yaml` of an environment. Pure: text and
//! targets in, text and a report out.
//!
//! - A fleet target matches a WO target by `orchestrator.id` (case-insensitive, as ARM ids
//!   are), else by name. It keeps its name, hierarchy and labels; `capabilities` and
//!   `orchestrator: {id, context}` are set to WO's.
//! - A WO target without a match is added: `name` (the ARM name), `hierarchy` (the `--node`
//!   values, when the fleet has levels), `labels: {hierarchyLevel: …}`, `capabilities`,
//!   `orchestrator`.
//! - A fleet target in scope (no `orchestrator.id`, or one under the resource group; with a
//!   context filter, only those of that context) that WO no longer lists is kept and reported.
//! - Everything else in the file (`next`, `hierarchy`, `assignments`, key order) is kept; the
//!   file is re-emitted by wo's YAML layer, so comments are lost.

use std::collections::BTreeMap;

use super::{Fleet, FLEET_FILE};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::files::check_name;
use crate::value::Map;
use crate::yaml;
use serde_json::{json, Value};

/// A target as the orchestrator lists it (for Workload Orchestration, an ARM
/// `Microsoft.Edge/targets` resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrchestratorTarget {
    /// Its name (the fleet name of a new target; a valid wo name).
    pub name: String,
    /// Its id (for WO, the ARM id).
    pub id: String,
    /// The context it belongs to (WO's `properties.contextId`).
    pub context: Option<String>,
    /// What it offers (WO's `properties.capabilities`).
    pub capabilities: Vec<String>,
    /// Its hierarchy level (WO's `properties.hierarchyLevel`).
    pub hierarchy_level: Option<String>,
}

impl OrchestratorTarget {
    fn orchestrator(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        if let Some(c) = &self.context {
            o.insert("context".into(), json!(c));
        }
        Value::Object(o)
    }
}

/// Which fleet targets an import is about, for reporting the missing ones.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The resource group id (`/subscriptions/S/resourceGroups/RG`).
    pub resource_group: String,
    /// Only targets of this context, when given.
    pub context: Option<String>,
}

impl Scope {
    fn covers(&self, orchestrator: Option<&Value>) -> bool {
        let field = |k: &str| orchestrator.and_then(|o| o.get(k)).and_then(Value::as_str);
        let in_group = field("id").is_none_or(|id| {
            id.to_ascii_lowercase()
                .starts_with(&format!("{}/", self.resource_group.to_ascii_lowercase()))
        });
        let in_context = match &self.context {
            None => true,
            Some(c) => field("context").is_some_and(|x| x.eq_ignore_ascii_case(c)),
        };
        in_group && in_context
    }
}

/// One fleet target the import changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Updated {
    /// The fleet name.
    pub name: String,
    /// The keys set anew (`capabilities`, `orchestrator`).
    pub fields: Vec<&'static str>,
}

/// The fleet after an import, and what changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    /// The new `fleet.yaml`; `None` when nothing changed (nothing is to be written).
    #[serde(skip)]
    pub text: Option<String>,
    /// Names of the targets added.
    pub added: Vec<String>,
    /// The targets whose capabilities or orchestrator ids changed.
    pub updated: Vec<Updated>,
    /// Fleet targets in scope that WO does not list (kept).
    pub missing: Vec<String>,
    /// Fleet targets matched and already up to date.
    pub unchanged: Vec<String>,
}

/// Merges `targets` into `existing` (the env branch's `fleet.yaml`, `None` when it has none).
/// `nodes` are the hierarchy nodes new targets get (level → node).
///
/// # Errors
/// [`Error::Invalid`] when the existing fleet is invalid, names another environment, a node
/// names no level of the fleet, a new target lacks a node for a level, or the result would not
/// be a valid fleet. Nothing is to be written then.
pub fn merge(
    env: &str,
    existing: Option<&str>,
    targets: &[OrchestratorTarget],
    scope: &Scope,
    nodes: &BTreeMap<String, String>,
) -> Result<Imported> {
    let mut doc = match existing {
        Some(text) => {
            let fleet = Fleet::parse(text, FLEET_FILE)?;
            if fleet.environment != env {
                return Err(Error::invalid(
                    Location::file(FLEET_FILE).with_key("environment"),
                    format!(
                        "the fleet on branch `{env}` says environment `{}`",
                        fleet.environment
                    ),
                ));
            }
            check_nodes(&fleet.hierarchy, nodes)?;
            yaml::parse(text, FLEET_FILE)?.to_value(FLEET_FILE)?
        }
        None => {
            check_nodes(&[], nodes)?;
            json!({
                "apiVersion": crate::format::API_VERSION,
                "kind": "Fleet",
                "environment": env,
                "targets": [],
                "assignments": [],
            })
        }
    };
    let levels: Vec<String> = doc
        .get("hierarchy")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let Value::Object(root) = &mut doc else {
        return Err(Error::invalid(
            Location::file(FLEET_FILE),
            "the fleet is not a map",
        ));
    };
    // Taken out and put back under the same key, which keeps its place in the file.
    let mut entries = match root.get_mut("targets").map(Value::take) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };

    // WO target index → fleet entry index: by orchestrator id first, then by name.
    let mut matched: Vec<Option<usize>> = vec![None; targets.len()];
    let mut taken = vec![false; entries.len()];
    let id_of = |e: &Value| {
        e.get("orchestrator")
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    for (i, t) in targets.iter().enumerate() {
        if let Some(j) = (0..entries.len()).find(|&j| {
            !taken[j] && id_of(&entries[j]).is_some_and(|id| id.eq_ignore_ascii_case(&t.id))
        }) {
            matched[i] = Some(j);
            taken[j] = true;
        }
    }
    for (i, t) in targets.iter().enumerate() {
        if matched[i].is_some() {
            continue;
        }
        if let Some(j) = (0..entries.len())
            .find(|&j| !taken[j] && entries[j].get("name").and_then(Value::as_str) == Some(&t.name))
        {
            matched[i] = Some(j);
            taken[j] = true;
        }
    }

    let mut report = Imported {
        text: None,
        added: Vec::new(),
        updated: Vec::new(),
        missing: Vec::new(),
        unchanged: Vec::new(),
    };
    for (t, j) in targets.iter().zip(&matched) {
        let Some(j) = *j else { continue };
        let Value::Object(entry) = &mut entries[j] else {
            continue;
        };
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&t.name)
            .to_string();
        let mut fields = Vec::new();
        let capabilities = json!(t.capabilities);
        if entry.get("capabilities") != Some(&capabilities) {
            entry.insert("capabilities".into(), capabilities);
            fields.push("capabilities");
        }
        let orchestrator = t.orchestrator();
        if entry.get("orchestrator") != Some(&orchestrator) {
            entry.insert("orchestrator".into(), orchestrator);
            fields.push("orchestrator");
        }
        if fields.is_empty() {
            report.unchanged.push(name);
        } else {
            report.updated.push(Updated { name, fields });
        }
    }
    for (j, e) in entries.iter().enumerate() {
        if !taken[j] && scope.covers(e.get("orchestrator")) {
            if let Some(name) = e.get("name").and_then(Value::as_str) {
                report.missing.push(name.to_string());
            }
        }
    }

    let mut new: Vec<&OrchestratorTarget> = targets
        .iter()
        .zip(&matched)
        .filter(|(_, j)| j.is_none())
        .map(|(t, _)| t)
        .collect();
    new.sort_by(|a, b| a.name.cmp(&b.name));
    let unplaced: Vec<&str> = levels
        .iter()
        .filter(|l| !nodes.contains_key(*l))
        .map(String::as_str)
        .collect();
    if !new.is_empty() && !unplaced.is_empty() {
        let names: Vec<&str> = new.iter().map(|t| t.name.as_str()).collect();
        let d = Diagnostic::new(
            Location::file(FLEET_FILE).with_key("hierarchy"),
            format!(
                "new targets {} need a node at hierarchy level{} {}",
                names.join(", "),
                if unplaced.len() == 1 { "" } else { "s" },
                unplaced.join(", ")
            ),
        )
        .with_hint(format!(
            "give {} (with --context, one node's targets at a time), or first add the targets to \
             {FLEET_FILE} by name with their hierarchy: the import keeps it",
            unplaced
                .iter()
                .map(|l| format!("--node {l}=NODE"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        return Err(Error::Invalid(Diagnostics(vec![d])));
    }
    for t in new {
        let mut e = Map::new();
        e.insert("name".into(), json!(t.name));
        if !levels.is_empty() {
            let placed: Map = levels
                .iter()
                .filter_map(|l| nodes.get(l).map(|n| (l.clone(), json!(n))))
                .collect();
            e.insert("hierarchy".into(), Value::Object(placed));
        }
        if let Some(level) = &t.hierarchy_level {
            e.insert("labels".into(), json!({ "hierarchyLevel": level }));
        }
        e.insert("capabilities".into(), json!(t.capabilities));
        e.insert("orchestrator".into(), t.orchestrator());
        entries.push(Value::Object(e));
        report.added.push(t.name.clone());
    }

    root.insert("targets".into(), Value::Array(entries));
    if existing.is_some() && report.added.is_empty() && report.updated.is_empty() {
        return Ok(report);
    }
    let text = yaml::to_string(&doc);
    let label = format!("{FLEET_FILE} (as imported)");
    Fleet::parse(&text, &label)?;
    report.text = Some(text);
    Ok(report)
}

/// Checks that every `--node` names a level of the fleet and a valid node name.
fn check_nodes(levels: &[String], nodes: &BTreeMap<String, String>) -> Result<()> {
    let mut problems = Vec::new();
    for (level, node) in nodes {
        let at = Location::file("<arguments>").with_key(format!("--node {level}"));
        if !levels.contains(level) {
            problems.push(Diagnostic::new(
                at.clone(),
                format!(
                    "`{level}` is not a hierarchy level of the fleet (levels: {})",
                    if levels.is_empty() {
                        "none".to_string()
                    } else {
                        levels.join(", ")
                    }
                ),
            ));
        }
        if let Err(m) = check_name(node) {
            problems.push(Diagnostic::new(at, m));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(Diagnostics(problems)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RG: &str = "/subscriptions/s/resourceGroups/rg";

    fn target(name: &str, context: &str, caps: &[&str]) -> OrchestratorTarget {
        OrchestratorTarget {
            name: name.into(),
            id: format!("{RG}/providers/Microsoft.Edge/targets/{name}"),
            context: Some(format!("{RG}/providers/Microsoft.Edge/contexts/{context}")),
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
            hierarchy_level: Some("line".into()),
        }
    }

    fn scope() -> Scope {
        Scope {
            resource_group: RG.into(),
            context: None,
        }
    }

    const FLEET: &str = "\
apiVersion: wo/v1
kind: Fleet
environment: dev
next: stage
hierarchy: [region]
targets:
  - name: berlin-1
    hierarchy: {region: eu}
    labels: {tier: edge}
    capabilities: [old]
    orchestrator: {id: /SUBSCRIPTIONS/s/resourceGroups/rg/providers/Microsoft.Edge/targets/b1}
  - name: gone-1
    hierarchy: {region: eu}
    orchestrator: {id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/targets/gone-1}
  - name: elsewhere
    hierarchy: {region: us}
    orchestrator: {id: /subscriptions/s/resourceGroups/other/providers/Microsoft.Edge/targets/x}
assignments:
  - solution: shop
    selector: {tier: edge}
";

    #[test]
    fn keeps_hierarchy_and_labels_adds_new_and_reports_missing() {
        let mut b1 = target("b1", "ctx", &["shop"]);
        b1.name = "b1".into();
        let nodes = BTreeMap::from([("region".to_string(), "eu".to_string())]);
        let out = merge(
            "dev",
            Some(FLEET),
            &[b1.clone(), target("new-2", "ctx", &["shop"])],
            &scope(),
            &nodes,
        )
        .unwrap();
        assert_eq!(out.added, ["new-2"]);
        assert_eq!(
            out.updated,
            [Updated {
                name: "berlin-1".into(),
                fields: vec!["capabilities", "orchestrator"]
            }]
        );
        // `elsewhere` is in another resource group: not this import's business.
        assert_eq!(out.missing, ["gone-1"]);
        let fleet = Fleet::parse(out.text.as_deref().unwrap(), "x").unwrap();
        assert_eq!(fleet.next.as_deref(), Some("stage"));
        assert_eq!(fleet.assignments.len(), 1);
        let b = fleet.target("berlin-1").unwrap();
        assert_eq!(&b.labels["tier"], "edge");
        assert_eq!(&b.hierarchy["region"], "eu");
        assert_eq!(b.capabilities, ["shop"]);
        assert_eq!(
            b.orchestrator.as_ref().unwrap().id.as_deref(),
            Some(&*b1.id)
        );
        let n = fleet.target("new-2").unwrap();
        assert_eq!(&n.hierarchy["region"], "eu");
        assert_eq!(&n.labels["hierarchyLevel"], "line");
        assert!(fleet.target("gone-1").is_some());

        // The same WO answer on the merged fleet changes nothing.
        let again = merge(
            "dev",
            out.text.as_deref(),
            &[b1, target("new-2", "ctx", &["shop"])],
            &scope(),
            &nodes,
        )
        .unwrap();
        assert!(again.text.is_none(), "{again:?}");
        assert_eq!(again.unchanged, ["berlin-1", "new-2"]);
    }

    #[test]
    fn a_new_target_without_a_node_is_refused() {
        let e = merge(
            "dev",
            Some(FLEET),
            &[target("new-2", "ctx", &[])],
            &scope(),
            &BTreeMap::new(),
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("new-2") && s.contains("--node region=NODE"),
            "{s}"
        );
        let bad = BTreeMap::from([("site".to_string(), "x".to_string())]);
        let e = merge("dev", Some(FLEET), &[], &scope(), &bad).unwrap_err();
        assert!(
            e.to_string().contains("`site` is not a hierarchy level"),
            "{e}"
        );
    }

    #[test]
    fn creates_a_fleet_and_checks_its_environment() {
        let out = merge(
            "dev",
            None,
            &[target("a-1", "ctx", &["x"])],
            &scope(),
            &BTreeMap::new(),
        )
        .unwrap();
        let fleet = Fleet::parse(out.text.as_deref().unwrap(), "x").unwrap();
        assert_eq!(fleet.environment, "dev");
        assert_eq!(fleet.targets.len(), 1);
        assert!(fleet.assignments.is_empty());
        let e = merge("prod", Some(FLEET), &[], &scope(), &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("says environment `dev`"), "{e}");
    }

    #[test]
    fn context_scope_limits_what_is_missing() {
        let s = Scope {
            resource_group: RG.into(),
            context: Some(format!("{RG}/providers/Microsoft.Edge/contexts/OTHER")),
        };
        let out = merge("dev", Some(FLEET), &[], &s, &BTreeMap::new()).unwrap();
        assert!(out.missing.is_empty(), "{out:?}");
        assert!(out.text.is_none());
    }
}
