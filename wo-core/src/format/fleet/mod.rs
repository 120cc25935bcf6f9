//! `fleet.yaml`: the fleet of one environment, on that environment's branch of the platform
//! config repo.
//!
//! ```yaml
//! apiVersion: wo/v1
//! kind: Fleet
//! environment: dev
//! next: stage                 # the next environment of the chain; absent at its end
//! hierarchy: [region, site]   # levels between the environment and the target
//! targets:
//!   - name: berlin-1
//!     hierarchy: {region: eu, site: berlin}
//!     labels: {tier: edge}
//!     capabilities: [helm]
//!     orchestrator: {id: /subscriptions/…/providers/Microsoft.Edge/targets/berlin-1}
//!     kubernetesVersion: 1.30.0           # what `.Capabilities.KubeVersion` says (optional)
//!     apiVersions: [monitoring.coreos.com/v1]   # more `.Capabilities.APIVersions` (optional)
//! assignments:
//!   - solution: shop
//!     selector: {tier: edge}  # targets whose labels match all of these…
//!     targets: [lab-1]        # …plus targets named here
//! rollout:                    # how a release spreads over the targets (optional)
//!   waves: [{name: canary, selector: {ring: canary}}, {name: rest}]
//!   failureBudget: {count: 0}
//!   bake: 15m
//! ```
//!
//! Without `rollout:` a deploy sends a release to every target at once; see
//! [`rollout`] for the section's format.

pub mod import;
mod pairs;
pub mod rollout;

pub use pairs::Pairs;

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{check_header, closest, typed, Collector};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::files::{check_name, name_key};
use crate::yaml::{self, Node, NodeKind};

/// Where the fleet lives on an environment branch of the platform config repo.
pub const FLEET_FILE: &str = "fleet.yaml";

/// How much YAML a fleet file may hold: the bytes of any file wo reads (8 MiB, ~70,000 targets
/// of a few labels each), and more nodes than other files, since its targets are read one by
/// one and never all held as nodes (a target of two levels, a label and a capability is 16
/// nodes: the default budget's million would stop a fleet at ~60,000 targets).
const FLEET_BUDGET: yaml::Budget = yaml::Budget {
    max_nodes: 8_000_000,
    ..yaml::Budget::DEFAULT
};

/// Level name of the environment-wide value file (`values.yaml`), as `editableAt` spells it.
pub const ENVIRONMENT_LEVEL: &str = "environment";
/// Level name of per-target value files (`targets/<target>.yaml`), as `editableAt` spells it.
pub const TARGET_LEVEL: &str = "target";

/// How a target is known to the orchestrator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrchestratorIds {
    /// The target's resource id (for Workload Orchestration, the ARM id of the target).
    #[serde(default)]
    pub id: Option<String>,
    /// The context the target belongs to (WO context ARM id).
    #[serde(default)]
    pub context: Option<String>,
}

/// One cluster of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Target {
    /// Unique name (a path segment in the gitops repo).
    pub name: String,
    /// The target's node at each hierarchy level.
    #[serde(default)]
    pub hierarchy: Pairs,
    /// Free labels for assignment selectors and templates.
    #[serde(default)]
    pub labels: Pairs,
    /// What the target offers (matched against a solution's capabilities).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Ids at the orchestrator.
    #[serde(default)]
    pub orchestrator: Option<OrchestratorIds>,
    /// The target's Kubernetes version (`1.30.0`, `v1.30`): what a Helm chart sees as
    /// `.Capabilities.KubeVersion`. Without it, Helm's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// API versions the target serves beyond Kubernetes' built-in ones
    /// (`monitoring.coreos.com/v1`, or `group/version/Kind`): what a Helm chart's
    /// `.Capabilities.APIVersions.Has` finds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<String>,
}

/// Checks a target's Kubernetes version: `[v]MAJOR.MINOR[.PATCH][-pre][+build]`, as Helm's
/// `--kube-version` accepts it.
pub fn check_kubernetes_version(version: &str) -> std::result::Result<(), String> {
    let bad = || {
        Err(format!(
            "`{version}` is not a Kubernetes version: write it as `1.30.0` (or `v1.30`)"
        ))
    };
    let core = version.strip_prefix('v').unwrap_or(version);
    let (core, build) = core
        .split_once('+')
        .map_or((core, None), |(c, b)| (c, Some(b)));
    let (core, pre) = core
        .split_once('-')
        .map_or((core, None), |(c, p)| (c, Some(p)));
    let numbers: Vec<&str> = core.split('.').collect();
    let number_ok = |n: &&str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    if !(2..=3).contains(&numbers.len())
        || !numbers.iter().all(number_ok)
        || !pre.is_none_or(label_ok)
        || !build.is_none_or(label_ok)
    {
        return bad();
    }
    Ok(())
}

/// Checks an API version a target serves: `version`, `group/version` or
/// `group/version/Kind`, of letters, digits, `.` and `-` (Helm reads a list of them split at
/// commas, so none may hold one).
pub fn check_api_version(api_version: &str) -> std::result::Result<(), String> {
    let parts: Vec<&str> = api_version.split('/').collect();
    let ok = (1..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && !p.starts_with(['-', '.'])
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{api_version}` is not an API version: write `group/version` (`monitoring.coreos.com/v1`), `version` or `group/version/Kind`"
        ))
    }
}

/// Which targets run a solution.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Assignment {
    /// The solution's name (`name` of its `wo/app.yaml`).
    pub solution: String,
    /// Targets whose labels include all of these pairs.
    #[serde(default)]
    pub selector: Option<BTreeMap<String, String>>,
    /// Targets by name.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// `fleet.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fleet {
    /// Always `wo/v1`.
    pub api_version: String,
    /// Always `Fleet`.
    pub kind: String,
    /// The environment this branch describes.
    pub environment: String,
    /// The next environment of the promotion chain.
    #[serde(default)]
    pub next: Option<String>,
    /// Hierarchy levels, outermost first.
    #[serde(default)]
    pub hierarchy: Vec<String>,
    /// The targets.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Assignments of solutions to targets.
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    /// How a release spreads over the targets (waves, budget, bake, approvals, windows);
    /// `None`: to every target at once.
    #[serde(default)]
    pub rollout: Option<rollout::Rollout>,
}

impl Fleet {
    /// Parses and checks a fleet file: names are safe path segments, target names unique, every
    /// target has a node at every level and no other, assignments name known targets.
    ///
    /// The targets are read one by one as the parser completes each (a fleet of 50,000 targets
    /// is never all YAML nodes at once); every problem of every target is reported.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let mut targets = Vec::new();
        let mut problems = Vec::new();
        let mut node =
            yaml::parse_items(
                text,
                file,
                &FLEET_BUDGET,
                "targets",
                &mut |i, item| match typed::<Target>(&item, file, &format!("targets.{i}")) {
                    Ok(t) => targets.push(t),
                    Err(Error::Invalid(Diagnostics(ds))) => problems.extend(ds),
                    // `typed` reports nothing else; kept as a problem all the same.
                    Err(other) => problems.push(Diagnostic::new(
                        Location::file(file).with_key(format!("targets.{i}")),
                        other.to_string(),
                    )),
                },
            )?;
        check_header(&node, file, &["Fleet"])?;
        // The targets were read already; the sequence left holds only their places.
        if let NodeKind::Map(entries) = &mut node.kind {
            entries.retain(|(k, v)| {
                !(matches!(&k.kind, NodeKind::Str(k) if k == "targets")
                    && matches!(v.kind, NodeKind::Seq(_)))
            });
        }
        let fleet = match typed::<Fleet>(&node, file, "") {
            Ok(mut fleet) if problems.is_empty() => {
                fleet.targets = targets;
                fleet
            }
            Ok(_) => return Err(Error::Invalid(Diagnostics(problems))),
            Err(Error::Invalid(Diagnostics(mut ds))) => {
                ds.extend(problems);
                ds.sort_by_key(|d| d.location.line);
                return Err(Error::Invalid(Diagnostics(ds)));
            }
            Err(other) => return Err(other),
        };
        fleet.check(&node, text, file)?;
        Ok(fleet)
    }

    /// Checks what the types do not. `node` is the file without its targets; a problem of a
    /// target is located by parsing the file again (only then: a valid fleet is parsed once).
    fn check(&self, node: &Node, text: &str, file: &str) -> Result<()> {
        let whole = std::cell::OnceCell::new();
        let mut c = Collector::default();
        let at = |key: &str| {
            let node = if key.starts_with("targets.") {
                whole
                    .get_or_init(|| yaml::parse(text, file).ok())
                    .as_ref()
                    .unwrap_or(node)
            } else {
                node
            };
            let (line, col) = node.line_of(key).unwrap_or((node.line, node.column));
            Location::file(file).with_key(key).at(line, col)
        };
        let name_check = |c: &mut Collector, key: &str, name: &str| {
            if let Err(m) = check_name(name) {
                c.push(Diagnostic::new(at(key), m));
            }
        };
        name_check(&mut c, "environment", &self.environment);
        if let Some(next) = &self.next {
            name_check(&mut c, "next", next);
            if next.eq_ignore_ascii_case(&self.environment) {
                c.push(Diagnostic::new(
                    at("next"),
                    "an environment cannot be its own next environment",
                ));
            }
        }
        let reserved = [ENVIRONMENT_LEVEL, TARGET_LEVEL];
        let mut levels = BTreeSet::new();
        for (i, level) in self.hierarchy.iter().enumerate() {
            let key = format!("hierarchy.{i}");
            name_check(&mut c, &key, level);
            if reserved.iter().any(|r| r.eq_ignore_ascii_case(level)) {
                c.push(Diagnostic::new(
                    at(&key),
                    format!("`{level}` is reserved for the built-in level of that name"),
                ));
            }
            if !levels.insert(level.to_ascii_lowercase()) {
                c.push(Diagnostic::new(
                    at(&key),
                    format!("level `{level}` is listed twice"),
                ));
            }
        }
        let mut names = BTreeMap::new();
        // Case-insensitive keys: WO ids are, and so are the file systems of macOS and Windows.
        let mut name_keys: BTreeMap<String, (usize, &str)> = BTreeMap::new();
        let mut ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut nodes: BTreeMap<(&str, String), (usize, &str)> = BTreeMap::new();
        for (i, t) in self.targets.iter().enumerate() {
            let base = format!("targets.{i}");
            name_check(&mut c, &format!("{base}.name"), &t.name);
            if let Some(first) = names.insert(t.name.as_str(), i) {
                c.push(Diagnostic::new(
                    at(&format!("{base}.name")),
                    format!(
                        "target `{}` is defined twice (first at targets.{first})",
                        t.name
                    ),
                ));
            } else if let Some((first, other)) = name_keys.get(&name_key(&t.name)) {
                c.push(
                    Diagnostic::new(
                        at(&format!("{base}.name")),
                        format!(
                            "target `{}` differs from `{other}` (targets.{first}) only in case; target names are case-insensitive",
                            t.name
                        ),
                    )
                    .with_hint("Workload Orchestration ids and the file systems of macOS and Windows do not tell them apart: rename one"),
                );
            } else {
                name_keys.insert(name_key(&t.name), (i, &t.name));
            }
            if let Some(orchestrator) = &t.orchestrator {
                for (field, value) in [("id", &orchestrator.id), ("context", &orchestrator.context)]
                {
                    if let Some(v) = value {
                        if let Err(m) = check_resource_id(v) {
                            c.push(Diagnostic::new(
                                at(&format!("{base}.orchestrator.{field}")),
                                m,
                            ));
                        }
                    }
                }
                if let Some(id) = &orchestrator.id {
                    if let Some(first) = ids.insert(id.to_ascii_lowercase(), i) {
                        c.push(Diagnostic::new(
                            at(&format!("{base}.orchestrator.id")),
                            format!(
                                "targets.{first} has the same orchestrator id (ids are case-insensitive); one orchestrator target cannot be two fleet targets"
                            ),
                        ));
                    }
                }
            }
            if let Some(v) = &t.kubernetes_version {
                if let Err(m) = check_kubernetes_version(v) {
                    c.push(Diagnostic::new(at(&format!("{base}.kubernetesVersion")), m));
                }
            }
            for (j, v) in t.api_versions.iter().enumerate() {
                if let Err(m) = check_api_version(v) {
                    c.push(Diagnostic::new(at(&format!("{base}.apiVersions.{j}")), m));
                }
            }
            for level in &self.hierarchy {
                match t.hierarchy.get(level) {
                    Some(node_name) => {
                        let key = format!("{base}.hierarchy.{level}");
                        name_check(&mut c, &key, node_name);
                        match nodes.get(&(level.as_str(), name_key(node_name))) {
                            Some((first, other)) if *other != node_name => c.push(
                                Diagnostic::new(
                                    at(&key),
                                    format!(
                                        "node `{node_name}` of level `{level}` differs from `{other}` (targets.{first}) only in case; node names are case-insensitive"
                                    ),
                                )
                                .with_hint(format!("spell it `{other}`, as `levels/{level}/{other}.yaml` does")),
                            ),
                            Some(_) => {}
                            None => {
                                nodes.insert((level.as_str(), name_key(node_name)), (i, node_name));
                            }
                        }
                    }
                    None => c.push(Diagnostic::new(
                        at(&format!("{base}.hierarchy")),
                        format!(
                            "target `{}` has no node for hierarchy level `{level}`",
                            t.name
                        ),
                    )),
                }
            }
            for level in t.hierarchy.keys() {
                if !self.hierarchy.iter().any(|l| l == level) {
                    let mut d = Diagnostic::new(
                        at(&format!("{base}.hierarchy.{level}")),
                        format!(
                            "`{level}` is not a hierarchy level of this fleet (levels: {})",
                            self.hierarchy.join(", ")
                        ),
                    );
                    if let Some(s) = closest(level, self.hierarchy.iter().map(String::as_str)) {
                        d = d.with_hint(format!("did you mean `{s}`?"));
                    }
                    c.push(d);
                }
            }
        }
        for (i, a) in self.assignments.iter().enumerate() {
            name_check(&mut c, &format!("assignments.{i}.solution"), &a.solution);
            if a.selector.is_none() && a.targets.is_empty() {
                c.push(Diagnostic::new(
                    at(&format!("assignments.{i}")),
                    "an assignment needs a `selector`, `targets`, or both",
                ));
            }
            for (j, t) in a.targets.iter().enumerate() {
                if !names.contains_key(t.as_str()) {
                    let mut d = Diagnostic::new(
                        at(&format!("assignments.{i}.targets.{j}")),
                        format!("no target `{t}` in this fleet"),
                    );
                    if let Some(s) = closest(t, names.keys().copied()) {
                        d = d.with_hint(format!("did you mean `{s}`?"));
                    }
                    c.push(d);
                }
            }
        }
        if let (Some(r), Some(rnode)) = (&self.rollout, node.get("rollout")) {
            let labels: Vec<_> = self.targets.iter().map(|t| &t.labels).collect();
            r.check(&mut c, rnode, file, "rollout", &labels);
        }
        c.finish(())
    }

    /// The target of that name.
    pub fn target(&self, name: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// The levels of the composition order: `environment`, each hierarchy level, `target`.
    pub fn levels(&self) -> Vec<&str> {
        std::iter::once(ENVIRONMENT_LEVEL)
            .chain(self.hierarchy.iter().map(String::as_str))
            .chain(std::iter::once(TARGET_LEVEL))
            .collect()
    }

    /// The targets assigned `solution`, in fleet order: those a selector matches or a name lists,
    /// that offer every capability in `capabilities`. A target named explicitly that lacks a
    /// capability is an error (the assignment cannot be honoured); one a selector matches is
    /// simply not selected.
    pub fn assigned_targets(
        &self,
        solution: &str,
        capabilities: &[String],
        file: &str,
    ) -> Result<Vec<&Target>> {
        let mut named = BTreeSet::new();
        let mut selected = BTreeSet::new();
        if let Some(a) = self
            .assignments
            .iter()
            .find(|a| a.solution != solution && a.solution.eq_ignore_ascii_case(solution))
        {
            return Err(Error::invalid(
                Location::file(file).with_key("assignments"),
                format!(
                    "an assignment names solution `{}`, which differs from `{solution}` only in case; solution names are case-insensitive, so spell it `{solution}`",
                    a.solution
                ),
            ));
        }
        for a in self.assignments.iter().filter(|a| a.solution == solution) {
            named.extend(a.targets.iter().map(String::as_str));
            if let Some(sel) = &a.selector {
                for t in &self.targets {
                    if sel.iter().all(|(k, v)| t.labels.get(k) == Some(v)) {
                        selected.insert(t.name.as_str());
                    }
                }
            }
        }
        let offers = |t: &Target| capabilities.iter().all(|c| t.capabilities.contains(c));
        let mut out = Vec::new();
        for t in &self.targets {
            if named.contains(t.name.as_str()) {
                if !offers(t) {
                    let missing: Vec<_> = capabilities
                        .iter()
                        .filter(|c| !t.capabilities.contains(c))
                        .cloned()
                        .collect();
                    return Err(Error::invalid(
                        Location::file(file).with_key("assignments"),
                        format!(
                            "solution `{solution}` is assigned to target `{}`, which lacks capabilities: {}",
                            t.name,
                            missing.join(", ")
                        ),
                    ));
                }
                out.push(t);
            } else if selected.contains(t.name.as_str()) && offers(t) {
                out.push(t);
            }
        }
        Ok(out)
    }
}

/// Checks an orchestrator's resource id (an ARM id such as
/// `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Edge/targets/<name>`): a path
/// of non-empty segments with no `.`/`..` segment and none of `?`, `#`, `%`, `\\`, whitespace or
/// control characters, at most 1024 bytes — it becomes part of request URLs.
pub fn check_resource_id(id: &str) -> std::result::Result<(), String> {
    if id.len() > 1024 {
        return Err("an orchestrator id is at most 1024 bytes".into());
    }
    let Some(rest) = id.strip_prefix('/') else {
        return Err(format!(
            "`{id}` is not a resource id: it must start with `/`"
        ));
    };
    if rest.trim_end_matches('/').is_empty() {
        return Err("an orchestrator id is empty".into());
    }
    for seg in rest.trim_end_matches('/').split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(format!(
                "`{id}` is not a resource id: empty, `.` or `..` segment"
            ));
        }
        if let Some(ch) = seg.chars().find(|ch| {
            matches!(ch, '?' | '#' | '%' | '\\') || ch.is_whitespace() || ch.is_control()
        }) {
            return Err(format!(
                "`{id}` is not a resource id: {ch:?} is not allowed"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(target: &str) -> Result<Fleet> {
        Fleet::parse(
            &format!("apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - {target}\n"),
            "fleet.yaml",
        )
    }

    #[test]
    fn kubernetes_version_and_api_versions_are_optional_and_checked() {
        let f = fleet("{name: a, kubernetesVersion: v1.30.2, apiVersions: [monitoring.coreos.com/v1, v1, apps/v1/Deployment]}").unwrap();
        assert_eq!(f.targets[0].kubernetes_version.as_deref(), Some("v1.30.2"));
        assert_eq!(f.targets[0].api_versions.len(), 3);
        let f = fleet("{name: a}").unwrap();
        assert_eq!(f.targets[0].kubernetes_version, None);
        assert!(f.targets[0].api_versions.is_empty());

        for v in ["1.30", "1.30.0", "v1.30.0-rc.1", "1.30.0+k3s1"] {
            assert!(check_kubernetes_version(v).is_ok(), "{v}");
        }
        for v in [
            "1", "abc", "1.30.0.1", "1.x", "v", "1.30.0-", "1..0", " 1.30",
        ] {
            assert!(check_kubernetes_version(v).is_err(), "{v}");
        }
        for v in ["a/b,c/d", "", "a//b", "a/b/c/d", "-x", "a b", "g/v/"] {
            assert!(check_api_version(v).is_err(), "{v:?}");
        }

        let err = fleet("{name: a, kubernetesVersion: \"1\", apiVersions: [ok/v1, \"a,b/v1\"]}")
            .unwrap_err();
        let ds = err.diagnostics();
        assert_eq!(ds.len(), 2, "{err}");
        let at = |key: &str| {
            ds.iter()
                .find(|d| d.location.key_path == key)
                .unwrap_or_else(|| panic!("no diagnostic at {key}: {err}"))
        };
        assert!(at("targets.0.kubernetesVersion")
            .message
            .contains("not a Kubernetes version"));
        assert!(at("targets.0.apiVersions.1")
            .message
            .contains("not an API version"));
        assert_eq!(at("targets.0.apiVersions.1").location.line, Some(5));
    }

    #[test]
    fn targets_are_read_one_by_one_and_every_bad_one_is_reported_at_its_line() {
        let text = "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\nhierarchy: [region]\n\
                    targets:\n\
                    \x20 - name: a\n    hierarchy: {region: eu}\n    labels: {tier: edge, ring: canary}\n\
                    \x20 - name: b\n    hierarchy: {region: eu}\n    colour: red\n\
                    \x20 - name: c\n    hierarchy: {region: us}\n\
                    \x20 - name: d\n    hierarchy: {region: us}\n    labels: [x]\n\
                    nxet: prod\n";
        let err = Fleet::parse(text, "fleet.yaml").unwrap_err();
        let ds = err.diagnostics();
        let found: Vec<_> = ds
            .iter()
            .map(|d| (d.location.key_path.as_str(), d.location.line))
            .collect();
        // The fleet's own unknown key and both bad targets, in file order.
        assert_eq!(
            found,
            [
                ("targets.1.colour", Some(11)),
                ("targets.3.labels", Some(16)),
                ("nxet", Some(17)),
            ],
            "{err}"
        );

        let good = text
            .replace("    colour: red\n", "")
            .replace("    labels: [x]\n", "")
            .replace("nxet: prod\n", "next: prod\n");
        let fleet = Fleet::parse(&good, "fleet.yaml").unwrap();
        let names: Vec<_> = fleet.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        assert_eq!(
            fleet.targets[0].labels.keys().collect::<Vec<_>>(),
            ["ring", "tier"]
        );
        assert_eq!(&fleet.targets[3].hierarchy["region"], "us");
        assert_eq!(fleet.next.as_deref(), Some("prod"));

        // A problem `check` finds in a target is located by a second parse, at its line.
        let twice = good.replace("name: c", "name: a");
        let err = Fleet::parse(&twice, "fleet.yaml").unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!(d.location.key_path, "targets.2.name", "{err}");
        assert_eq!(d.location.line, Some(11), "{err}");

        // `targets` that is not a list is the types' error, as before.
        let err = Fleet::parse(
            "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets: {a: 1}\n",
            "fleet.yaml",
        )
        .unwrap_err();
        assert_eq!(err.diagnostics()[0].location.key_path, "targets", "{err}");
    }

    #[test]
    fn a_fleet_of_more_than_a_million_yaml_nodes_is_read_within_the_file_size_limit() {
        // 70,000 targets of 16 nodes each: past the default budget's million nodes, inside
        // the 8 MiB of a file.
        let mut text = String::from(
            "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\nhierarchy: [region, site]\ntargets:\n",
        );
        for i in 0..70_000 {
            text.push_str(&format!(
                "  - name: s{i:05}\n    hierarchy: {{region: r{}, site: s{i}}}\n    labels: {{tier: edge}}\n    capabilities: [helm]\n",
                i % 7
            ));
        }
        assert!(text.len() < 8 << 20, "{} bytes", text.len());
        let fleet = Fleet::parse(&text, "fleet.yaml").unwrap();
        assert_eq!(fleet.targets.len(), 70_000);
        assert_eq!(fleet.targets[69_999].hierarchy.get("site"), Some("s69999"));
    }
}
