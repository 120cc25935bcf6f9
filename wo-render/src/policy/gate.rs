//! The pipeline's policy gate on the real rules: [`Gate`].

use wo_core::compose::sha256_hex;
use wo_core::ports::{
    AppliedException, PolicyEvaluation, PolicyFinding, PolicyGate, PolicySources, PolicyVerdict,
};
use wo_core::{Diagnostic, Diagnostics, Error, Result};

use super::{Exception, Partial, Policy, Rule};
use crate::manifest::ManifestSet;

/// The [`PolicyGate`] the pipeline uses: parses the source's `wo/policy.yaml` and the
/// platform's `policy.yaml`, tightens the first by the second ([`Policy::tightened_by`]) and
/// runs [`check`](super::check) over every `<solution>/<target>/manifests.yaml` of the release.
///
/// ```
/// use wo_core::files::FileTree;
/// use wo_core::ports::{PolicyGate, PolicySources, PolicyText};
/// use wo_render::policy::Gate;
///
/// let mut files = FileTree::new();
/// files.insert(
///     "shop/dev-1/manifests.yaml",
///     "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: shop}\n\
///      spec: {containers: [{name: sh, image: busybox, securityContext: {privileged: true}}]}\n",
/// )?;
/// let verdict = Gate.evaluate(&files, &PolicySources::default())?.verdict;
/// assert!(verdict.is_blocking());
/// assert!(verdict.blocking_findings().any(|f| f.rule == "WO001"));
///
/// let source = PolicyText {
///     file: "source@abc1234/wo/policy.yaml".into(),
///     text: "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - rule: WO001\n    name: debug\n    \
///            reason: a debugging pod, deleted after the incident\n".into(),
/// };
/// let sources = PolicySources { source: Some(source), platform: None };
/// let verdict = Gate.evaluate(&files, &sources)?.verdict;
/// assert!(verdict.findings.iter().all(|f| f.rule != "WO001"));
/// assert_eq!(verdict.exceptions[0].resource, "debug"); // the exception names no kind
/// # Ok::<(), wo_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Gate;

impl PolicyGate for Gate {
    fn evaluate(
        &self,
        files: &wo_core::files::FileTree,
        sources: &PolicySources,
    ) -> Result<PolicyEvaluation> {
        let source = match &sources.source {
            Some(t) => Policy::parse(&t.text, &t.file)?,
            None => Policy::default(),
        };
        let effective = match &sources.platform {
            Some(t) => {
                let platform = Policy::parse(&t.text, &t.file)?;
                if !platform.exceptions().is_empty() {
                    return Err(Error::Invalid(Diagnostics(
                        platform
                            .exceptions()
                            .iter()
                            .map(|e| {
                                Diagnostic::new(
                                    e.source.clone(),
                                    format!(
                                        "the platform's policy cannot grant exceptions (this one for {} on {})",
                                        e.rule,
                                        target(e)
                                    ),
                                )
                                .with_hint("exceptions count only from the solution's wo/policy.yaml in its source repo, each with a reason; remove it here")
                            })
                            .collect(),
                    )));
                }
                source.tightened_by(&platform)
            }
            None => source,
        };
        let effective_policy = effective.to_yaml();

        let mut errors = Vec::new();
        // Each target's manifests are parsed and checked on every core, and only the findings
        // kept: the parsed resources of thousands of targets are never all in memory. Rules
        // look at one resource at a time, so the merged parts are the report of the whole.
        let paths: Vec<&str> = files
            .iter()
            .map(|(p, _)| p)
            .filter(|p| p.ends_with("/manifests.yaml"))
            .collect();
        let parts = wo_core::parallel::map(&paths, |path| {
            files.text(path).map(|text| {
                ManifestSet::parse(text.unwrap_or_default(), path).map(|set| {
                    let mut part = Partial::new(&effective);
                    part.check(&set, &effective);
                    part
                })
            })
        });
        let mut whole = Partial::new(&effective);
        for part in parts {
            match part? {
                Ok(part) => whole.merge(part),
                Err(e) => errors.push(e),
            }
        }
        wo_core::compose::merge_errors(errors)?;
        let report = whole.finish(&effective);

        let findings: Vec<PolicyFinding> = report
            .findings
            .iter()
            .map(|f| PolicyFinding {
                rule: f.rule.to_string(),
                rule_name: f.name.to_string(),
                severity: f.severity.as_str().to_string(),
                blocking: f.blocking,
                kind: f.resource.kind.clone(),
                namespace: f.resource.namespace.clone(),
                name: f.resource.name.clone(),
                file: f.location.file.clone(),
                line: f.location.line,
                message: f.message.clone(),
            })
            .collect();
        let exceptions = effective
            .exceptions()
            .iter()
            .filter_map(|e| {
                let rule = Rule::find(e.rule)?;
                let covered = report
                    .suppressed
                    .iter()
                    .filter(|(f, _)| e.matches(rule, &f.resource))
                    .count();
                (covered > 0).then(|| AppliedException {
                    rule: e.rule.to_string(),
                    resource: target(e),
                    reason: e.reason.clone(),
                    findings: covered,
                })
            })
            .collect();
        Ok(PolicyEvaluation {
            verdict: PolicyVerdict {
                policy_sha256: sha256_hex(effective_policy.as_bytes()),
                blocking: findings.iter().filter(|f| f.blocking).count(),
                findings,
                exceptions,
            },
            effective_policy,
        })
    }
}

/// What an exception covers: `DaemonSet monitoring/agent`, `Pod debug`, `agent`.
fn target(e: &Exception) -> String {
    match (&e.kind, &e.namespace) {
        (Some(k), Some(ns)) => format!("{k} {ns}/{}", e.name),
        (Some(k), None) => format!("{k} {}", e.name),
        (None, Some(ns)) => format!("{ns}/{}", e.name),
        (None, None) => e.name.clone(),
    }
}
