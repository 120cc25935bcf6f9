//! The policy file: which rules run, how severe they are, whether they block, and which
//! resources are excepted from which rule, and why.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;
use wo_core::yaml::{self, NodeKind};
use wo_core::{Diagnostic, Diagnostics, Error, Location, Result};

use super::rules::{self, Rule, Severity};
use crate::manifest::ResourceId;

/// How one rule runs under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RuleSetting {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Whether its findings make [`Report::blocking`](super::Report::blocking) true.
    pub blocking: bool,
    /// The severity its findings carry.
    pub severity: Severity,
}

impl RuleSetting {
    /// The built-in setting of `rule`: its default severity and enablement, blocking when
    /// the severity is [`Severity::Error`].
    pub fn default_for(rule: &Rule) -> Self {
        Self {
            enabled: rule.enabled_by_default,
            blocking: rule.severity == Severity::Error,
            severity: rule.severity,
        }
    }
}

/// An accepted deviation: findings of `rule` on the matching resource are suppressed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exception {
    /// Id of the rule it applies to (`WO005`), whether the file named it by id or name.
    pub rule: &'static str,
    /// Kind of the resource; any kind when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Namespace of the resource; any namespace when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name of the resource (exact).
    pub name: String,
    /// Why the deviation is acceptable; never empty.
    pub reason: String,
    /// Where the exception is written (policy file, key path, line).
    pub source: Location,
}

impl Exception {
    /// Whether this exception covers findings of `rule` on the resource `id`.
    pub fn matches(&self, rule: &Rule, id: &ResourceId) -> bool {
        self.rule == rule.id
            && self.name == id.name
            && self.kind.as_ref().is_none_or(|k| *k == id.kind)
            && self
                .namespace
                .as_ref()
                .is_none_or(|ns| Some(ns) == id.namespace.as_ref())
    }
}

/// Which rules run and how, plus exceptions.
///
/// [`Policy::default`] runs every rule that is on by default (all but `WO013`
/// `image-not-pinned`) at its built-in severity; `error` findings block, `warning` and `note`
/// findings do not.
///
/// # File format
///
/// ```yaml
/// apiVersion: wo/v1
/// kind: Policy
/// rules:                      # by id or name; every field optional
///   image-not-pinned: {enabled: true}
///   WO009: {blocking: true}   # missing limits now block
///   run-as-root: {severity: warning}
/// exceptions:
///   - rule: host-path-volume  # id or name
///     kind: DaemonSet         # optional: any kind
///     namespace: monitoring   # optional: any namespace
///     name: node-exporter
///     reason: reads /proc and /sys of the node   # required, non-empty
/// ```
///
/// A rule setting that leaves out `severity` keeps the rule's own; one that leaves out
/// `blocking` blocks exactly when the (possibly overridden) severity is `error`; one that
/// leaves out `enabled` keeps the rule's default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    settings: BTreeMap<&'static str, RuleSetting>,
    exceptions: Vec<Exception>,
}

impl Policy {
    /// Parses a policy file (see the [format](Policy#file-format)).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `file`, key path and line, with every problem found: YAML
    /// syntax, a wrong `apiVersion`/`kind`, unknown fields (with a "did you mean" hint), a rule
    /// id or name that does not exist (with a hint), a rule configured twice, an exception
    /// without a `name` or with an empty `reason`.
    pub fn parse(text: &str, file: &str) -> Result<Policy> {
        let node = yaml::parse(text, file)?;
        if matches!(node.kind, NodeKind::Null) {
            return Err(Error::invalid(
                Location::file(file).at(node.line, node.column),
                "the policy file is empty; expected `apiVersion: wo/v1` and `kind: Policy`",
            ));
        }
        let raw: PolicyFile = yaml::from_node(&node, file)?;
        let mut problems = Vec::new();
        let at = |key: &str, message: String| {
            let (line, col) = node.line_of(key).unwrap_or((node.line, node.column));
            Diagnostic::new(Location::file(file).with_key(key).at(line, col), message)
        };

        let mut settings = BTreeMap::new();
        let mut named_by: BTreeMap<&'static str, &str> = BTreeMap::new();
        for (key, entry) in &raw.rules {
            let path = format!("rules.{key}");
            let Some(rule) = Rule::find(key) else {
                problems.push(at(&path, format!("unknown rule `{key}`")).with_hint(rule_hint(key)));
                continue;
            };
            if let Some(first) = named_by.insert(rule.id, key) {
                problems.push(at(
                    &path,
                    format!(
                        "rule {} {} is configured twice (as `{first}` and `{key}`)",
                        rule.id, rule.name
                    ),
                ));
                continue;
            }
            let severity = entry.severity.unwrap_or(rule.severity);
            settings.insert(
                rule.id,
                RuleSetting {
                    enabled: entry.enabled.unwrap_or(rule.enabled_by_default),
                    blocking: entry.blocking.unwrap_or(severity == Severity::Error),
                    severity,
                },
            );
        }

        let mut exceptions = Vec::new();
        for (i, e) in raw.exceptions.into_iter().enumerate() {
            let base = format!("exceptions.{i}");
            let rule = Rule::find(&e.rule);
            if rule.is_none() {
                problems.push(
                    at(
                        &format!("{base}.rule"),
                        format!("unknown rule `{}`", e.rule),
                    )
                    .with_hint(rule_hint(&e.rule)),
                );
            }
            if e.name.trim().is_empty() {
                problems.push(at(
                    &format!("{base}.name"),
                    "the name of the excepted resource is empty".to_owned(),
                ));
            }
            if e.reason.trim().is_empty() {
                problems.push(
                    at(
                        &format!("{base}.reason"),
                        "an exception needs a reason".to_owned(),
                    )
                    .with_hint("say why the deviation is acceptable, for reviewers and auditors"),
                );
            }
            if let Some(rule) = rule {
                let (line, col) = node.line_of(&base).unwrap_or((node.line, node.column));
                exceptions.push(Exception {
                    rule: rule.id,
                    kind: e.kind,
                    namespace: e.namespace,
                    name: e.name,
                    reason: e.reason.trim().to_owned(),
                    source: Location::file(file).with_key(base).at(line, col),
                });
            }
        }

        if problems.is_empty() {
            Ok(Policy {
                settings,
                exceptions,
            })
        } else {
            Err(Error::Invalid(Diagnostics(problems).sorted()))
        }
    }

    /// The same policy with `rule` set to `setting`.
    pub fn with_rule(mut self, rule: &'static Rule, setting: RuleSetting) -> Self {
        self.settings.insert(rule.id, setting);
        self
    }

    /// How `rule` runs under this policy.
    pub fn setting(&self, rule: &Rule) -> RuleSetting {
        self.settings
            .get(rule.id)
            .copied()
            .unwrap_or_else(|| RuleSetting::default_for(rule))
    }

    /// The exceptions, in file order.
    pub fn exceptions(&self) -> &[Exception] {
        &self.exceptions
    }

    /// This policy (the solution's) tightened by `floor` (the platform's): for every rule
    /// `floor` configures, the rule runs if either runs it, at the higher of the two
    /// severities, and blocks if either blocks it. Rules `floor` does not name keep this
    /// policy's setting. `floor`'s exceptions are not taken: exceptions count only from the
    /// solution's own file (see [`PolicyGate`](wo_core::ports::PolicyGate)).
    ///
    /// ```
    /// use wo_render::policy::{Policy, Rule, Severity};
    ///
    /// let source = Policy::parse(
    ///     "apiVersion: wo/v1\nkind: Policy\nrules:\n  WO009: {enabled: false}\n",
    ///     "wo/policy.yaml",
    /// )?;
    /// let platform = Policy::parse(
    ///     "apiVersion: wo/v1\nkind: Policy\nrules:\n  WO009: {blocking: true}\n",
    ///     "policy.yaml",
    /// )?;
    /// let effective = source.tightened_by(&platform);
    /// let missing_limits = Rule::find("WO009").unwrap();
    /// assert!(effective.setting(missing_limits).enabled, "the source cannot switch it off");
    /// assert!(effective.setting(missing_limits).blocking);
    /// # Ok::<(), wo_core::Error>(())
    /// ```
    pub fn tightened_by(mut self, floor: &Policy) -> Policy {
        for rule in rules::all() {
            if !floor.settings.contains_key(rule.id) {
                continue;
            }
            let own = self.setting(rule);
            let theirs = floor.setting(rule);
            self.settings.insert(
                rule.id,
                RuleSetting {
                    enabled: own.enabled || theirs.enabled,
                    blocking: own.blocking || theirs.blocking,
                    severity: own.severity.max(theirs.severity),
                },
            );
        }
        self
    }

    /// The policy as a policy file that [`Policy::parse`] reads back to the same settings and
    /// exceptions (their `source` then names the new file): every rule spelled out by id, so
    /// the file means the same whatever the built-in defaults of the reader.
    pub fn to_yaml(&self) -> String {
        // JSON strings are valid YAML double-quoted scalars: no value can change meaning.
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let mut out = String::from(
            "# The effective policy wo checked this release with: the solution's wo/policy.yaml\n\
             # tightened by the platform's policy.yaml. Written by wo; edit those files instead.\n\
             apiVersion: wo/v1\nkind: Policy\nrules:\n",
        );
        for rule in rules::all() {
            let s = self.setting(rule);
            out.push_str(&format!(
                "  {}: {{enabled: {}, blocking: {}, severity: {}}}  # {}\n",
                rule.id,
                s.enabled,
                s.blocking,
                s.severity.as_str(),
                rule.name
            ));
        }
        if self.exceptions.is_empty() {
            out.push_str("exceptions: []\n");
        } else {
            out.push_str("exceptions:\n");
            for e in &self.exceptions {
                out.push_str(&format!("  - rule: {}\n", e.rule));
                if let Some(k) = &e.kind {
                    out.push_str(&format!("    kind: {}\n", q(k)));
                }
                if let Some(ns) = &e.namespace {
                    out.push_str(&format!("    namespace: {}\n", q(ns)));
                }
                out.push_str(&format!("    name: {}\n", q(&e.name)));
                out.push_str(&format!("    reason: {}\n", q(&e.reason)));
            }
        }
        out
    }
}

/// "did you mean `WO001`?" for a near miss, else the list of rules.
fn rule_hint(given: &str) -> String {
    let given_lower = given.to_lowercase();
    let best = rules::all()
        .iter()
        .flat_map(|r| [r.id, r.name])
        .map(|c| (strsim::jaro_winkler(&given_lower, &c.to_lowercase()), c))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, c)) if score >= 0.8 => format!("did you mean `{c}`?"),
        _ => format!(
            "known rules: {}",
            rules::all()
                .iter()
                .map(|r| format!("{} {}", r.id, r.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PolicyFile {
    #[allow(dead_code)] // checked by deserializing
    api_version: ApiVersion,
    #[allow(dead_code)] // checked by deserializing
    kind: PolicyKind,
    #[serde(default)]
    rules: IndexMap<String, RuleEntry>,
    #[serde(default)]
    exceptions: Vec<ExceptionEntry>,
}

#[derive(Deserialize)]
enum ApiVersion {
    #[serde(rename = "wo/v1")]
    V1,
}

#[derive(Deserialize)]
enum PolicyKind {
    Policy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    blocking: Option<bool>,
    #[serde(default)]
    severity: Option<Severity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionEntry {
    rule: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    name: String,
    reason: String,
}
