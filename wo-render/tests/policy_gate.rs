//! The pipeline's policy gate on the real rules: the source's `wo/policy.yaml` tightened by the
//! platform's `policy.yaml`, exceptions only from the source, the effective policy as a file.

use wo_core::files::FileTree;
use wo_core::ports::{PolicyGate, PolicySources, PolicyText};
use wo_core::Error;
use wo_render::policy::{Gate, Policy, Rule, Severity};

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: shop}\n\
spec: {containers: [{name: sh, image: busybox, securityContext: {privileged: true}}]}\n";

fn files() -> FileTree {
    let mut t = FileTree::new();
    t.insert("shop/dev-1/manifests.yaml", POD).unwrap();
    t.insert("shop/dev-1/values.yaml", "a: 1\n").unwrap();
    t
}

fn text(file: &str, body: &str) -> Option<PolicyText> {
    Some(PolicyText {
        file: file.to_string(),
        text: format!("apiVersion: wo/v1\nkind: Policy\n{body}"),
    })
}

fn sources(source: &str, platform: &str) -> PolicySources {
    PolicySources {
        source: text("source@abc1234/wo/policy.yaml", source),
        platform: text("platform-config/dev@def5678/policy.yaml", platform),
    }
}

#[test]
fn the_platform_makes_a_rule_block_that_the_source_switched_off() {
    let s = sources(
        "rules:\n  image-not-pinned: {enabled: false}\n",
        "rules:\n  WO013: {enabled: true, blocking: true}\n",
    );
    let verdict = Gate.evaluate(&files(), &s).unwrap().verdict;
    let unpinned: Vec<_> = verdict
        .findings
        .iter()
        .filter(|f| f.rule == "WO013")
        .collect();
    assert_eq!(unpinned.len(), 1, "{verdict:?}");
    assert!(unpinned[0].blocking);
    assert_eq!(unpinned[0].file, "shop/dev-1/manifests.yaml");
    assert_eq!(unpinned[0].line, Some(1));
}

#[test]
fn a_source_policy_cannot_lower_the_platforms_severity_or_blocking() {
    let source = Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nrules:\n  WO001: {severity: note, blocking: false}\n  WO009: {severity: note}\n",
        "wo/policy.yaml",
    )
    .unwrap();
    let platform = Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nrules:\n  WO001: {severity: error}\n  WO009: {severity: warning, blocking: true}\n",
        "policy.yaml",
    )
    .unwrap();
    let effective = source.tightened_by(&platform);
    let privileged = effective.setting(Rule::find("WO001").unwrap());
    assert_eq!(privileged.severity, Severity::Error);
    assert!(privileged.blocking, "error under the platform blocks");
    let limits = effective.setting(Rule::find("WO009").unwrap());
    assert_eq!(limits.severity, Severity::Warning);
    assert!(limits.blocking);
    // Rules the platform does not name stay the source's to decide.
    let source_only = Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nrules:\n  WO002: {enabled: false}\n",
        "wo/policy.yaml",
    )
    .unwrap();
    let effective = source_only.tightened_by(&platform);
    assert!(!effective.setting(Rule::find("WO002").unwrap()).enabled);
}

#[test]
fn exceptions_count_only_from_the_source_and_are_recorded_with_their_reason() {
    let exception = "exceptions:\n  - rule: privileged-container\n    kind: Pod\n    namespace: shop\n    name: debug\n    reason: incident 42, removed tomorrow\n";
    let s = sources(exception, "");
    let verdict = Gate.evaluate(&files(), &s).unwrap().verdict;
    assert!(verdict.findings.iter().all(|f| f.rule != "WO001"));
    assert_eq!(verdict.exceptions.len(), 1);
    assert_eq!(verdict.exceptions[0].resource, "Pod shop/debug");
    assert_eq!(
        verdict.exceptions[0].reason,
        "incident 42, removed tomorrow"
    );
    assert_eq!(verdict.exceptions[0].findings, 1);

    let s = sources("", exception);
    let err = Gate.evaluate(&files(), &s).unwrap_err();
    let Error::Invalid(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        d.0[0].location.file,
        "platform-config/dev@def5678/policy.yaml"
    );
    assert_eq!(d.0[0].location.key_path, "exceptions.0");
    assert_eq!(d.0[0].location.line, Some(4));
    assert!(err.to_string().contains("cannot grant exceptions"), "{err}");
}

#[test]
fn an_exception_without_a_reason_names_file_key_and_line() {
    let s = sources(
        "exceptions:\n  - rule: WO001\n    name: debug\n    reason: ''\n",
        "",
    );
    let err = Gate.evaluate(&files(), &s).unwrap_err();
    let Error::Invalid(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.0[0].location.file, "source@abc1234/wo/policy.yaml");
    assert_eq!(d.0[0].location.key_path, "exceptions.0.reason");
    assert!(d.0[0].location.line.is_some());
}

#[test]
fn the_effective_policy_file_reads_back_to_the_same_policy_and_verdict() {
    let s = sources(
        "rules:\n  WO009: {blocking: true}\nexceptions:\n  - rule: WO001\n    name: debug\n    reason: \"yes: it's: quoted\"\n",
        "rules:\n  WO013: {enabled: true}\n",
    );
    let evaluation = Gate.evaluate(&files(), &s).unwrap();
    let again = Policy::parse(&evaluation.effective_policy, "shop/policy.yaml").unwrap();
    for rule in wo_render::policy::rules::all() {
        let want = Policy::parse(&s.source.as_ref().unwrap().text, "a")
            .unwrap()
            .tightened_by(&Policy::parse(&s.platform.as_ref().unwrap().text, "b").unwrap())
            .setting(rule);
        assert_eq!(again.setting(rule), want, "{}", rule.id);
    }
    assert_eq!(again.exceptions()[0].reason, "yes: it's: quoted");
    // Checking the release with its own policy file (as the gitops workflow does) gives the
    // same verdict.
    let from_file = PolicySources {
        source: Some(PolicyText {
            file: "shop/policy.yaml".into(),
            text: evaluation.effective_policy.clone(),
        }),
        platform: None,
    };
    let verdict = Gate.evaluate(&files(), &from_file).unwrap().verdict;
    assert_eq!(verdict.findings, evaluation.verdict.findings);
    assert_eq!(verdict.exceptions, evaluation.verdict.exceptions);
    assert_eq!(
        Gate.evaluate(&files(), &s).unwrap(),
        evaluation,
        "deterministic"
    );
}
