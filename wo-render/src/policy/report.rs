//! The result of a check: findings, suppressed findings, unused exceptions; as text or JSON.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde::Serialize;
use wo_core::Location;

use super::policy_file::Exception;
use super::rules::Severity;
use crate::manifest::ResourceId;

/// One place where a rule fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Rule id (`WO001`).
    pub rule: &'static str,
    /// Rule name (`privileged-container`).
    pub name: &'static str,
    /// Severity under the policy in effect.
    pub severity: Severity,
    /// Whether the rule blocks under the policy in effect.
    pub blocking: bool,
    /// The resource.
    pub resource: ResourceId,
    /// Path of the offending (or missing) field inside the resource, dotted with `[i]` for
    /// sequence items: `spec.template.spec.containers[0].securityContext.privileged`.
    pub path: String,
    /// What is wrong, naming the container or volume: `container "app": runs privileged …`.
    pub message: String,
    /// How to fix it.
    pub fix: &'static str,
    /// File and line of the resource's document.
    pub location: Location,
}

impl Finding {
    /// `Deployment shop/web`, or `ClusterRole admin` without a namespace.
    pub fn resource_label(&self) -> String {
        let id = &self.resource;
        match &id.namespace {
            Some(ns) => format!("{} {ns}/{}", id.kind, id.name),
            None => format!("{} {}", id.kind, id.name),
        }
    }

    /// A stable fingerprint of rule, resource (kind, namespace, name) and path: 16 hex digits
    /// of FNV-1a 64. It does not depend on file, line or apiVersion, so moving a resource or
    /// upgrading its apiVersion keeps the identity of the finding.
    pub fn fingerprint(&self) -> String {
        let id = &self.resource;
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [
            self.rule,
            &id.kind,
            id.namespace.as_deref().unwrap_or(""),
            &id.name,
            &self.path,
        ] {
            // The separator keeps ("ab", "c") and ("a", "bc") apart.
            for byte in part.bytes().chain([0]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }

    /// Report order: file, line, rule, resource. Findings equal in all four keep the order in
    /// which the rule found them (document order of the fields).
    pub(crate) fn order(a: &Finding, b: &Finding) -> Ordering {
        (&a.location.file, a.location.line, a.rule, &a.resource).cmp(&(
            &b.location.file,
            b.location.line,
            b.rule,
            &b.resource,
        ))
    }

    /// `file:line` of the resource.
    fn place(&self) -> String {
        place(&self.location)
    }
}

fn place(location: &Location) -> String {
    let file = if location.file.is_empty() {
        "<input>"
    } else {
        &location.file
    };
    match location.line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_owned(),
    }
}

/// Counts of a [`Report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Findings (not suppressed) of severity error.
    pub errors: usize,
    /// Findings (not suppressed) of severity warning.
    pub warnings: usize,
    /// Findings (not suppressed) of severity note.
    pub notes: usize,
    /// Findings (not suppressed) of blocking rules.
    pub blocking: usize,
    /// Findings suppressed by exceptions.
    pub suppressed: usize,
    /// Exceptions that matched nothing.
    pub unused_exceptions: usize,
}

/// What [`check`](super::check) found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// Findings no exception covers, sorted by file, line, rule and resource.
    pub findings: Vec<Finding>,
    /// Findings an exception covers, with the exception's reason; same order.
    pub suppressed: Vec<(Finding, String)>,
    /// Exceptions of the policy that covered no finding (stale or mistyped), in file order.
    pub unused_exceptions: Vec<Exception>,
}

impl Report {
    /// Whether any finding that is not suppressed belongs to a blocking rule: the change
    /// should not go ahead.
    pub fn blocking(&self) -> bool {
        self.findings.iter().any(|f| f.blocking)
    }

    /// The counts.
    pub fn summary(&self) -> Summary {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Note),
            blocking: self.findings.iter().filter(|f| f.blocking).count(),
            suppressed: self.suppressed.len(),
            unused_exceptions: self.unused_exceptions.len(),
        }
    }

    /// One line per finding, then one per unused exception, then a summary line:
    ///
    /// ```text
    /// shop/web.yaml:1: error[WO001 privileged-container] Deployment shop/web container "app": runs privileged (securityContext.privileged: true) (fix: remove securityContext.privileged or set it to false)
    /// policy.yaml:7: warning: exception for WO005 on DaemonSet monitoring/node-exporter matches no finding
    /// 1 finding (1 error, 0 warnings, 0 notes), 1 blocking, 0 suppressed
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let _ = writeln!(
                out,
                "{}: {}[{} {}] {} {} (fix: {})",
                f.place(),
                f.severity,
                f.rule,
                f.name,
                f.resource_label(),
                f.message,
                f.fix
            );
        }
        for e in &self.unused_exceptions {
            let target = match (&e.kind, &e.namespace) {
                (Some(k), Some(ns)) => format!("{k} {ns}/{}", e.name),
                (Some(k), None) => format!("{k} {}", e.name),
                (None, Some(ns)) => format!("{ns}/{}", e.name),
                (None, None) => e.name.clone(),
            };
            let _ = writeln!(
                out,
                "{}: warning: exception for {} on {target} matches no finding",
                place(&e.source),
                e.rule
            );
        }
        let s = self.summary();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let _ = writeln!(
            out,
            "{} ({}, {}, {}), {} blocking, {} suppressed",
            plural(self.findings.len(), "finding", "findings"),
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
            plural(s.notes, "note", "notes"),
            s.blocking,
            s.suppressed
        );
        out
    }

    /// The report as pretty-printed JSON:
    /// `{"summary", "blocking", "findings", "suppressed", "unusedExceptions"}`, where each
    /// suppressed entry is a finding with its `reason`.
    pub fn to_json(&self) -> String {
        // Plain structs with string keys: serialization cannot fail.
        serde_json::to_string_pretty(&JsonReport::from(self)).unwrap_or_default()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    summary: Summary,
    blocking: bool,
    findings: Vec<JsonFinding<'a>>,
    suppressed: Vec<JsonFinding<'a>>,
    unused_exceptions: &'a [Exception],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl<'a> From<&'a Report> for JsonReport<'a> {
    fn from(r: &'a Report) -> Self {
        let finding = |finding: &'a Finding, reason: Option<&'a str>| JsonFinding {
            finding,
            fingerprint: finding.fingerprint(),
            reason,
        };
        JsonReport {
            summary: r.summary(),
            blocking: r.blocking(),
            findings: r.findings.iter().map(|f| finding(f, None)).collect(),
            suppressed: r
                .suppressed
                .iter()
                .map(|(f, reason)| finding(f, Some(reason)))
                .collect(),
            unused_exceptions: &r.unused_exceptions,
        }
    }
}
