//! Security and compliance checks on rendered manifests.
//!
//! Start with [`check`]: it runs the built-in [`rules`] that a [`Policy`] enables over a
//! [`ManifestSet`] and returns a [`Report`], which prints as text ([`Report::to_text`]), JSON
//! ([`Report::to_json`]) or SARIF 2.1.0 for GitHub code scanning ([`Report::to_sarif`]).
//!
//! ```
//! use wo_core::Location;
//! use wo_render::manifest::{ManifestSet, Resource, ResourceId};
//! use wo_render::policy::{check, Policy};
//!
//! let pod = serde_json::json!({
//!     "apiVersion": "v1", "kind": "Pod",
//!     "metadata": {"name": "debug", "namespace": "shop"},
//!     "spec": {"containers": [{"name": "sh", "image": "busybox",
//!                              "securityContext": {"privileged": true}}]}
//! });
//! let set = ManifestSet {
//!     resources: vec![Resource {
//!         id: ResourceId {
//!             api_version: "v1".into(),
//!             kind: "Pod".into(),
//!             namespace: Some("shop".into()),
//!             name: "debug".into(),
//!         },
//!         value: pod,
//!         source: Location::file("shop/pod.yaml").at(1, 1),
//!     }],
//! };
//! let report = check(&set, &Policy::default());
//! assert!(report.blocking());
//! assert!(report.to_text().contains("error[WO001 privileged-container] Pod shop/debug"));
//! ```
//!
//! # Severity and blocking
//!
//! Every rule has a default [`Severity`]. Unless the policy file says otherwise, findings of
//! `error` rules block (a pipeline should refuse the change) and `warning` and `note` findings
//! do not; see [`policy_file`](Policy::parse) for the file format and [`Report::blocking`].

mod gate;
mod policy_file;
mod report;
pub mod rules;
mod sarif;

pub use gate::Gate;
pub use policy_file::{Exception, Policy, RuleSetting};
pub use report::{Finding, Report, Summary};
pub use rules::{Rule, Severity};

use crate::manifest::ManifestSet;

/// Runs every rule `policy` enables over every resource of `set`.
///
/// Findings that an exception of the policy covers go to [`Report::suppressed`] with the
/// exception's reason; exceptions that cover nothing are listed in
/// [`Report::unused_exceptions`]. Both lists are sorted by file, line, rule, resource and path,
/// so the same input always gives the same report. Never fails: a resource whose fields have
/// unexpected types is checked as far as its shape allows.
pub fn check(set: &ManifestSet, policy: &Policy) -> Report {
    let mut part = Partial::new(policy);
    part.check(set, policy);
    part.finish(policy)
}

/// A report in the making: the findings of some resources, unsorted, and which exceptions
/// covered one. Parts checked apart (one per target, on every core) and [merged](Self::merge)
/// give the report [`check`] gives for all their resources at once: rules look at one
/// resource at a time.
#[derive(Debug)]
pub(crate) struct Partial {
    findings: Vec<Finding>,
    suppressed: Vec<(Finding, String)>,
    used: Vec<bool>,
}

impl Partial {
    /// Nothing checked yet.
    pub(crate) fn new(policy: &Policy) -> Partial {
        Partial {
            findings: Vec::new(),
            suppressed: Vec::new(),
            used: vec![false; policy.exceptions().len()],
        }
    }

    /// Runs every rule `policy` enables over every resource of `set`.
    pub(crate) fn check(&mut self, set: &ManifestSet, policy: &Policy) {
        for resource in &set.resources {
            for rule in rules::all() {
                let setting = policy.setting(rule);
                if !setting.enabled {
                    continue;
                }
                for hit in rule.hits(resource) {
                    let finding = Finding {
                        rule: rule.id,
                        name: rule.name,
                        severity: setting.severity,
                        blocking: setting.blocking,
                        resource: resource.id.clone(),
                        path: hit.path,
                        message: hit.message,
                        fix: rule.fix,
                        location: resource.source.clone(),
                    };
                    let exception = policy
                        .exceptions()
                        .iter()
                        .enumerate()
                        .find(|(_, e)| e.matches(rule, &resource.id));
                    match exception {
                        Some((i, e)) => {
                            if let Some(u) = self.used.get_mut(i) {
                                *u = true;
                            }
                            self.suppressed.push((finding, e.reason.clone()));
                        }
                        None => self.findings.push(finding),
                    }
                }
            }
        }
    }

    /// Adds what `other` found.
    pub(crate) fn merge(&mut self, other: Partial) {
        self.findings.extend(other.findings);
        self.suppressed.extend(other.suppressed);
        for (u, o) in self.used.iter_mut().zip(other.used) {
            *u |= o;
        }
    }

    /// The report: findings sorted, unused exceptions listed.
    pub(crate) fn finish(mut self, policy: &Policy) -> Report {
        self.findings.sort_by(Finding::order);
        self.suppressed.sort_by(|a, b| Finding::order(&a.0, &b.0));
        let unused_exceptions = policy
            .exceptions()
            .iter()
            .zip(self.used)
            .filter(|(_, used)| !used)
            .map(|(e, _)| e.clone())
            .collect();
        Report {
            findings: self.findings,
            suppressed: self.suppressed,
            unused_exceptions,
        }
    }
}
