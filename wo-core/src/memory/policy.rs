//! A policy gate for tests of the pipeline, speaking a line format of its own.

use std::collections::BTreeMap;

use crate::error::{Error, Location, Result};
use crate::files::FileTree;
use crate::ports::{
    AppliedException, PolicyEvaluation, PolicyFinding, PolicyGate, PolicySources, PolicyVerdict,
};

/// A [`PolicyGate`] that stands in for the real policy engine (`wo_render::policy::Gate`) in
/// tests of the pipeline: a rule fires once per `<solution>/<target>/manifests.yaml` whose text
/// contains its needle, and every finding blocks. The resource of a finding is the target
/// (`Target <target>`).
///
/// Its policy files are lines:
///
/// ```text
/// forbid WO001 privileged: true          # a rule and its needle (source or platform)
/// except WO001 dev-1: the agent needs it # an exception with a reason (source only)
/// ```
///
/// The effective policy is the platform's lines, then the source's, each file sorted.
#[derive(Debug, Clone, Default)]
pub struct InMemoryPolicyGate {
    rules: BTreeMap<String, String>,
}

impl InMemoryPolicyGate {
    /// A gate with no rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same gate with a built-in rule `rule` firing on `needle`.
    pub fn forbid(mut self, rule: &str, needle: &str) -> Self {
        self.rules.insert(rule.to_string(), needle.to_string());
        self
    }
}

impl PolicyGate for InMemoryPolicyGate {
    fn evaluate(&self, files: &FileTree, sources: &PolicySources) -> Result<PolicyEvaluation> {
        let mut rules = self.rules.clone();
        let mut exceptions: Vec<(String, String, String)> = Vec::new();
        let mut effective = String::new();
        for (text, is_source) in [(&sources.platform, false), (&sources.source, true)] {
            let Some(text) = text else { continue };
            let mut lines: Vec<&str> = text.text.lines().filter(|l| !l.trim().is_empty()).collect();
            lines.sort_unstable();
            for (i, line) in text.text.lines().enumerate() {
                let at =
                    || Location::file(&text.file).at(u32::try_from(i + 1).unwrap_or(u32::MAX), 1);
                if let Some(rest) = line.strip_prefix("forbid ") {
                    let (rule, needle) = rest.split_once(' ').unwrap_or((rest, ""));
                    rules.insert(rule.to_string(), needle.to_string());
                } else if let Some(rest) = line.strip_prefix("except ") {
                    if !is_source {
                        return Err(Error::invalid(
                            at(),
                            "exceptions count only in the solution's wo/policy.yaml",
                        ));
                    }
                    let (head, reason) = rest.split_once(':').unwrap_or((rest, ""));
                    let (rule, target) = head.split_once(' ').unwrap_or((head, ""));
                    if reason.trim().is_empty() {
                        return Err(Error::invalid(at(), "an exception needs a reason"));
                    }
                    exceptions.push((
                        rule.to_string(),
                        target.trim().to_string(),
                        reason.trim().to_string(),
                    ));
                } else if !line.trim().is_empty() {
                    return Err(Error::invalid(at(), format!("unknown line `{line}`")));
                }
            }
            for l in lines {
                effective.push_str(l);
                effective.push('\n');
            }
        }
        let mut findings = Vec::new();
        let mut applied: Vec<AppliedException> = Vec::new();
        for (path, _) in files.iter() {
            let Some(target) = path
                .strip_suffix("/manifests.yaml")
                .and_then(|p| p.rsplit_once('/'))
                .map(|(_, t)| t)
            else {
                continue;
            };
            let text = files.text(path)?.unwrap_or_default();
            for (rule, needle) in &rules {
                if !text.contains(needle.as_str()) {
                    continue;
                }
                match exceptions.iter().find(|(r, t, _)| r == rule && t == target) {
                    Some((_, _, reason)) => {
                        let resource = format!("Target {target}");
                        match applied
                            .iter_mut()
                            .find(|a| &a.rule == rule && a.resource == resource)
                        {
                            Some(a) => a.findings += 1,
                            None => applied.push(AppliedException {
                                rule: rule.clone(),
                                resource,
                                reason: reason.clone(),
                                findings: 1,
                            }),
                        }
                    }
                    None => findings.push(PolicyFinding {
                        rule: rule.clone(),
                        rule_name: format!("forbidden `{needle}`"),
                        severity: "error".to_string(),
                        blocking: true,
                        kind: "Target".to_string(),
                        namespace: None,
                        name: target.to_string(),
                        file: path.to_string(),
                        line: Some(1),
                        message: format!("contains `{needle}`"),
                    }),
                }
            }
        }
        Ok(PolicyEvaluation {
            verdict: PolicyVerdict {
                policy_sha256: crate::compose::sha256_hex(effective.as_bytes()),
                blocking: findings.len(),
                findings,
                exceptions: applied,
            },
            effective_policy: effective,
        })
    }
}
