//! Policy checks: every rule on bad and hardened manifests, the policy file, exceptions,
//! blocking, and the text, JSON and SARIF outputs.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use wo_core::Location;
use wo_render::manifest::{ManifestSet, Resource, ResourceId};
use wo_render::policy::{check, rules, Policy, Report, RuleSetting, Severity};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn resource_at(doc: Value, file: &str, line: Option<u32>) -> Resource {
    let s = |v: &Value| v.as_str().map(str::to_owned);
    let id = ResourceId {
        api_version: s(&doc["apiVersion"]).unwrap(),
        kind: s(&doc["kind"]).unwrap(),
        namespace: s(&doc["metadata"]["namespace"]),
        name: s(&doc["metadata"]["name"]).unwrap(),
    };
    let mut source = Location::file(file);
    source.line = line;
    Resource {
        id,
        value: doc,
        source,
    }
}

fn resource(doc: Value) -> Resource {
    resource_at(doc, "shop/manifests.yaml", Some(1))
}

fn set(resources: Vec<Resource>) -> ManifestSet {
    ManifestSet { resources }
}

fn hardened_container(name: &str) -> Value {
    json!({
        "name": name,
        "image": format!("registry.example:5000/shop/{name}:1.4.2@{DIGEST}"),
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "runAsNonRoot": true,
            "runAsUser": 10001,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
        },
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"}
        },
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}
    })
}

fn hardened_pod_spec() -> Value {
    json!({
        "securityContext": {"runAsNonRoot": true, "runAsUser": 10001},
        "initContainers": [hardened_container("migrate")],
        "containers": [hardened_container("app")],
        "volumes": [{"name": "cache", "emptyDir": {}}]
    })
}

fn hardened_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": hardened_pod_spec()
            }
        }
    })
}

fn hardened_cronjob() -> Value {
    let mut spec = hardened_pod_spec();
    for c in spec["containers"].as_array_mut().unwrap() {
        let c = c.as_object_mut().unwrap();
        c.remove("readinessProbe");
        c.remove("livenessProbe");
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report", "namespace": "shop"},
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {"spec": {"template": {"spec": spec}}}
        }
    })
}

/// Every rule on, including the digest rule that is off by default.
fn strict() -> Policy {
    Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nrules:\n  image-not-pinned: {enabled: true}\n",
        "policy.yaml",
    )
    .unwrap()
}

fn fired(report: &Report) -> BTreeSet<(&'static str, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.rule, f.path.clone()))
        .collect()
}

fn rule_ids(report: &Report) -> BTreeSet<&'static str> {
    report.findings.iter().map(|f| f.rule).collect()
}

const C0: &str = "spec.template.spec.containers[0]";

#[test]
fn hardened_manifests_pass_every_rule() {
    let service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}
    });
    let cluster_role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "shop-reader"}, "rules": []
    });
    let custom = json!({
        "apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
        "metadata": {"name": "letsencrypt"}, "spec": {}
    });
    let report = check(
        &set(vec![
            resource(hardened_deployment()),
            resource(hardened_cronjob()),
            resource(service),
            resource(cluster_role),
            resource(custom),
        ]),
        &strict(),
    );
    assert_eq!(fired(&report), BTreeSet::new(), "{}", report.to_text());
    assert!(!report.blocking());
    assert!(report.to_text().starts_with("0 findings"));
}

/// One bad manifest per case: the rules that must fire (nothing else) and one path that
/// must be among the findings.
#[test]
fn each_rule_fires_on_its_bad_manifest() {
    type Mutate = fn(&mut Value);
    let cases: Vec<(&str, Mutate, &[&str], String)> = vec![
        (
            "privileged",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] =
                    json!(true)
            },
            &["WO001"],
            format!("{C0}.securityContext.privileged"),
        ),
        (
            "escalation unset",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("allowPrivilegeEscalation");
            },
            &["WO002"],
            format!("{C0}.securityContext.allowPrivilegeEscalation"),
        ),
        (
            "escalation true",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
                    ["allowPrivilegeEscalation"] = json!(true)
            },
            &["WO002"],
            format!("{C0}.securityContext.allowPrivilegeEscalation"),
        ),
        (
            "root user in container",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsUser"] =
                    json!(0)
            },
            &["WO003"],
            format!("{C0}.securityContext.runAsUser"),
        ),
        (
            "runAsNonRoot nowhere",
            |d| {
                d["spec"]["template"]["spec"]["securityContext"] = json!({});
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("runAsNonRoot");
            },
            &["WO003"],
            format!("{C0}.securityContext.runAsNonRoot"),
        ),
        (
            "container overrides pod with runAsNonRoot false",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] =
                    json!(false)
            },
            &["WO003"],
            format!("{C0}.securityContext.runAsNonRoot"),
        ),
        (
            "pod-level root user",
            |d| {
                d["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = json!(0);
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("runAsUser");
            },
            &["WO003"],
            "spec.template.spec.securityContext.runAsUser".to_owned(),
        ),
        (
            "hostNetwork",
            |d| d["spec"]["template"]["spec"]["hostNetwork"] = json!(true),
            &["WO004"],
            "spec.template.spec.hostNetwork".to_owned(),
        ),
        (
            "hostPID",
            |d| d["spec"]["template"]["spec"]["hostPID"] = json!(true),
            &["WO004"],
            "spec.template.spec.hostPID".to_owned(),
        ),
        (
            "hostIPC",
            |d| d["spec"]["template"]["spec"]["hostIPC"] = json!(true),
            &["WO004"],
            "spec.template.spec.hostIPC".to_owned(),
        ),
        (
            "hostPath volume",
            |d| {
                d["spec"]["template"]["spec"]["volumes"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}));
            },
            &["WO005"],
            "spec.template.spec.volumes[1].hostPath".to_owned(),
        ),
        (
            "SYS_ADMIN",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]
                    ["add"] = json!(["NET_BIND_SERVICE", "SYS_ADMIN"])
            },
            &["WO006"],
            format!("{C0}.securityContext.capabilities.add[1]"),
        ),
        (
            "ALL and cap_net_admin",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]
                    ["add"] = json!(["ALL", "cap_net_admin"])
            },
            &["WO006"],
            format!("{C0}.securityContext.capabilities.add[1]"),
        ),
        (
            "NET_RAW",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]
                    ["add"] = json!(["NET_RAW"])
            },
            &["WO007"],
            format!("{C0}.securityContext.capabilities.add[0]"),
        ),
        (
            "no cpu at all",
            |d| {
                let r = &mut d["spec"]["template"]["spec"]["containers"][0]["resources"];
                r["requests"].as_object_mut().unwrap().remove("cpu");
                r["limits"].as_object_mut().unwrap().remove("cpu");
            },
            &["WO008", "WO009"],
            format!("{C0}.resources.requests"),
        ),
        (
            "no memory limit",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
                    .as_object_mut()
                    .unwrap()
                    .remove("memory");
            },
            &["WO009"],
            format!("{C0}.resources.limits"),
        ),
        (
            "no readiness probe",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("readinessProbe");
            },
            &["WO010"],
            format!("{C0}.readinessProbe"),
        ),
        (
            "no liveness probe",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("livenessProbe");
            },
            &["WO011"],
            format!("{C0}.livenessProbe"),
        ),
        (
            "latest tag",
            |d| d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:latest"),
            &["WO012", "WO013"],
            format!("{C0}.image"),
        ),
        (
            "no tag behind a registry port",
            |d| {
                d["spec"]["template"]["spec"]["containers"][0]["image"] =
                    json!("registry:5000/nginx")
            },
            &["WO012", "WO013"],
            format!("{C0}.image"),
        ),
        (
            "tag without digest",
            |d| d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27.1"),
            &["WO013"],
            format!("{C0}.image"),
        ),
        (
            "default namespace",
            |d| d["metadata"]["namespace"] = json!("default"),
            &["WO014"],
            "metadata.namespace".to_owned(),
        ),
        (
            "no namespace on a Deployment",
            |d| {
                d["metadata"].as_object_mut().unwrap().remove("namespace");
            },
            &["WO014"],
            "metadata.namespace".to_owned(),
        ),
    ];
    for (what, mutate, rules_expected, path) in cases {
        let mut doc = hardened_deployment();
        mutate(&mut doc);
        let report = check(&set(vec![resource(doc)]), &strict());
        let expected: BTreeSet<&str> = rules_expected.iter().copied().collect();
        assert_eq!(
            rule_ids(&report),
            expected,
            "case {what}:\n{}",
            report.to_text()
        );
        assert!(
            report.findings.iter().any(|f| f.path == path),
            "case {what}: no finding at {path}:\n{}",
            report.to_text()
        );
    }
}

#[test]
fn secrets_and_exposed_services_are_flagged() {
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "data": {"password": "aHVudGVyMg=="}
    });
    let lb = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"type": "LoadBalancer"}
    });
    let node_port = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "admin", "namespace": "shop"},
        "spec": {"type": "NodePort"}
    });
    let report = check(
        &set(vec![resource(secret), resource(lb), resource(node_port)]),
        &Policy::default(),
    );
    let got: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.resource.name.as_str(), f.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("WO015", "db", "data"),
            ("WO016", "admin", "spec.type"),
            ("WO016", "web", "spec.type"),
        ]
    );
    assert!(report.findings[2].message.contains("LoadBalancer"));
}

#[test]
fn init_containers_are_checked_but_need_no_probes() {
    let mut doc = hardened_deployment();
    let init = &mut doc["spec"]["template"]["spec"]["initContainers"][0];
    init["securityContext"]["privileged"] = json!(true);
    let init = init.as_object_mut().unwrap();
    init.remove("readinessProbe");
    init.remove("livenessProbe");
    init.remove("resources");
    let report = check(&set(vec![resource(doc)]), &Policy::default());
    assert_eq!(
        fired(&report),
        BTreeSet::from([
            (
                "WO001",
                "spec.template.spec.initContainers[0].securityContext.privileged".to_owned()
            ),
            (
                "WO008",
                "spec.template.spec.initContainers[0].resources.requests".to_owned()
            ),
            (
                "WO009",
                "spec.template.spec.initContainers[0].resources.limits".to_owned()
            ),
        ])
    );
    assert!(report.findings[0]
        .message
        .starts_with("init container \"migrate\":"));
}

#[test]
fn cronjob_and_job_pods_are_found_and_need_no_probes() {
    let mut cron = hardened_cronjob();
    let pod = &mut cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    pod["containers"][0]["securityContext"]["privileged"] = json!(true);
    pod["hostPID"] = json!(true);
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "shop"},
        "spec": {"template": {"spec": {
            "securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "m", "image": "migrate:2",
                "securityContext": {"allowPrivilegeEscalation": false}}]
        }}}
    });
    let report = check(
        &set(vec![resource(cron), resource(job)]),
        &Policy::default(),
    );
    let p = "spec.jobTemplate.spec.template.spec";
    assert_eq!(
        fired(&report),
        BTreeSet::from([
            (
                "WO001",
                format!("{p}.containers[0].securityContext.privileged")
            ),
            ("WO004", format!("{p}.hostPID")),
            (
                "WO008",
                "spec.template.spec.containers[0].resources.requests".to_owned()
            ),
            (
                "WO009",
                "spec.template.spec.containers[0].resources.limits".to_owned()
            ),
        ])
    );
}

#[test]
fn bare_pods_and_other_workloads_use_their_pod_spec_paths() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "shop"},
        "spec": {"hostNetwork": true, "securityContext": {"runAsNonRoot": true},
                 "containers": [hardened_container("sh")]}
    });
    let mut ds = hardened_deployment();
    ds["kind"] = json!("DaemonSet");
    ds["spec"]["template"]["spec"]["hostIPC"] = json!(true);
    let mut rc = hardened_deployment();
    rc["apiVersion"] = json!("v1");
    rc["kind"] = json!("ReplicationController");
    rc["metadata"]["name"] = json!("legacy");
    rc["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    let report = check(
        &set(vec![resource(pod), resource(ds), resource(rc)]),
        &Policy::default(),
    );
    let got: BTreeSet<_> = report
        .findings
        .iter()
        .map(|f| (f.resource.kind.as_str(), f.path.as_str()))
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            ("Pod", "spec.hostNetwork"),
            ("DaemonSet", "spec.template.spec.hostIPC"),
            ("ReplicationController", "spec.template.spec.hostNetwork"),
        ])
    );
}

#[test]
fn the_digest_rule_is_off_by_default_and_limits_count_as_requests() {
    let mut doc = hardened_deployment();
    let c = &mut doc["spec"]["template"]["spec"]["containers"][0];
    c["image"] = json!("registry.example/shop/web:1.4.2");
    c["resources"].as_object_mut().unwrap().remove("requests");
    let report = check(&set(vec![resource(doc.clone())]), &Policy::default());
    assert_eq!(fired(&report), BTreeSet::new(), "{}", report.to_text());
    let report = check(&set(vec![resource(doc)]), &strict());
    assert_eq!(rule_ids(&report), BTreeSet::from(["WO013"]));
}

#[test]
fn odd_shapes_do_not_panic_and_are_checked_as_far_as_they_go() {
    let docs = [
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "a", "namespace": "x"}, "spec": null}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "b", "namespace": "x"},
               "spec": {"template": {"spec": {"containers": "nope", "volumes": 3}}}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c", "namespace": "x"},
               "spec": {"securityContext": 7, "containers": [5, {"image": 42,
                        "securityContext": {"capabilities": {"add": [1, null]}}}]}}),
    ];
    let report = check(&set(docs.into_iter().map(resource).collect()), &strict());
    // Only the one well-formed container of `c` yields findings; it has no name.
    assert!(report.findings.iter().all(|f| f.resource.name == "c"));
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "WO003" && f.message.starts_with("container #1:")));
    assert!(!report
        .findings
        .iter()
        .any(|f| f.rule == "WO012" || f.rule == "WO007"));
}

#[test]
fn text_names_file_line_rule_resource_container_and_fix() {
    let mut doc = hardened_deployment();
    doc["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = json!(true);
    let report = check(
        &set(vec![resource_at(doc, "shop/web.yaml", Some(3))]),
        &Policy::default(),
    );
    let text = report.to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "shop/web.yaml:3: error[WO001 privileged-container] Deployment shop/web container \
             \"app\": runs privileged (securityContext.privileged: true) (fix: remove \
             securityContext.privileged or set it to false)",
            "1 finding (1 error, 0 warnings, 0 notes), 1 blocking, 0 suppressed",
        ]
    );
    let f = &report.findings[0];
    assert_eq!(f.location.file, "shop/web.yaml");
    assert_eq!(f.location.line, Some(3));
}

#[test]
fn findings_are_sorted_by_file_line_and_rule_whatever_the_input_order() {
    let mut a = hardened_deployment();
    a["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    a["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = json!(true);
    let mut b = a.clone();
    b["metadata"]["name"] = json!("api");
    let resources = vec![
        resource_at(b.clone(), "shop/b.yaml", Some(1)),
        resource_at(a.clone(), "shop/a.yaml", Some(20)),
        resource_at(b, "shop/a.yaml", Some(2)),
    ];
    let mut reversed = resources.clone();
    reversed.reverse();
    let r1 = check(&set(resources), &Policy::default());
    let r2 = check(&set(reversed), &Policy::default());
    let keys: Vec<_> = r1
        .findings
        .iter()
        .map(|f| (f.location.file.as_str(), f.location.line, f.rule))
        .collect();
    assert_eq!(
        keys,
        [
            ("shop/a.yaml", Some(2), "WO001"),
            ("shop/a.yaml", Some(2), "WO004"),
            ("shop/a.yaml", Some(20), "WO001"),
            ("shop/a.yaml", Some(20), "WO004"),
            ("shop/b.yaml", Some(1), "WO001"),
            ("shop/b.yaml", Some(1), "WO004"),
        ]
    );
    assert_eq!(r1, r2);
    assert_eq!(r1.to_sarif(), r2.to_sarif());
    assert_eq!(r1.to_json(), r2.to_json());
}

// ---- policy file ----

fn diagnostics(text: &str) -> Vec<wo_core::Diagnostic> {
    match Policy::parse(text, "policy.yaml") {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => {
            assert!(e.is_invalid_input(), "{e}");
            e.diagnostics().to_vec()
        }
    }
}

#[test]
fn policy_file_sets_rules_by_id_or_name() {
    let policy = Policy::parse(
        "apiVersion: wo/v1
kind: Policy
rules:
  image-not-pinned: {enabled: true}
  WO009: {blocking: true}
  run-as-root: {severity: warning}
  WO001: {enabled: false}
  WO016: {severity: error, blocking: false}
",
        "policy.yaml",
    )
    .unwrap();
    let setting = |key: &str| policy.setting(rules::Rule::find(key).unwrap());
    assert_eq!(
        setting("WO013"),
        RuleSetting {
            enabled: true,
            blocking: false,
            severity: Severity::Warning
        }
    );
    assert_eq!(
        setting("missing-limits"),
        RuleSetting {
            enabled: true,
            blocking: true,
            severity: Severity::Warning
        }
    );
    // Lowering the severity drops the default blocking with it.
    assert_eq!(
        setting("WO003"),
        RuleSetting {
            enabled: true,
            blocking: false,
            severity: Severity::Warning
        }
    );
    assert!(!setting("WO001").enabled);
    assert_eq!(
        setting("WO016"),
        RuleSetting {
            enabled: true,
            blocking: false,
            severity: Severity::Error
        }
    );
    // Untouched rules keep their defaults.
    assert_eq!(
        setting("WO005"),
        RuleSetting {
            enabled: true,
            blocking: true,
            severity: Severity::Error
        }
    );
    assert_eq!(
        setting("WO005"),
        Policy::default().setting(rules::Rule::find("WO005").unwrap())
    );
}

#[test]
fn unknown_rule_names_get_a_did_you_mean_hint_with_line() {
    let ds = diagnostics(
        "apiVersion: wo/v1
kind: Policy
rules:
  privileged-containr: {enabled: false}
exceptions:
  - rule: WO0005
    name: x
    reason: because
",
    );
    assert_eq!(ds.len(), 2, "{ds:?}");
    assert_eq!(ds[0].location.key_path, "rules.privileged-containr");
    assert_eq!(ds[0].location.line, Some(4));
    assert_eq!(ds[0].message, "unknown rule `privileged-containr`");
    assert_eq!(
        ds[0].hint.as_deref(),
        Some("did you mean `privileged-container`?")
    );
    assert_eq!(ds[1].location.key_path, "exceptions.0.rule");
    assert_eq!(ds[1].location.line, Some(6));
    assert!(
        ds[1]
            .hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `WO00"),
        "{ds:?}"
    );

    let ds = diagnostics("apiVersion: wo/v1\nkind: Policy\nrules:\n  zzz: {}\n");
    assert!(ds[0]
        .hint
        .as_deref()
        .unwrap()
        .starts_with("known rules: WO001 privileged-container"));
}

#[test]
fn unknown_fields_and_wrong_headers_are_refused() {
    let ds = diagnostics("apiVersion: wo/v1\nkind: Policy\nrules:\n  WO001: {enable: false}\n");
    assert_eq!(ds[0].message, "unknown field `enable`");
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `enabled`?"));
    assert_eq!(ds[0].location.line, Some(4));

    let ds = diagnostics("apiVersion: wo/v1\nkind: Policy\nexceptoins: []\n");
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `exceptions`?"));

    let ds = diagnostics("apiVersion: wo/v1\nkind: Fleet\n");
    assert_eq!(ds[0].location.key_path, "kind");

    let ds = diagnostics("apiVersion: wo/v2\nkind: Policy\n");
    assert_eq!(ds[0].location.key_path, "apiVersion");

    let ds = diagnostics("apiVersion: wo/v1\nkind: Policy\nrules:\n  WO001: {severity: fatal}\n");
    assert!(ds[0].message.contains("fatal"), "{ds:?}");

    let ds = diagnostics("# nothing here\n");
    assert!(ds[0].message.contains("empty"), "{ds:?}");

    let ds = diagnostics(
        "apiVersion: wo/v1\nkind: Policy\nrules:\n  WO001: {enabled: false}\n  \
         privileged-container: {enabled: true}\n",
    );
    assert!(ds[0].message.contains("configured twice"), "{ds:?}");
    assert_eq!(ds[0].location.line, Some(5));
}

#[test]
fn exceptions_need_a_name_and_a_non_empty_reason() {
    let ds = diagnostics(
        "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - rule: WO005\n    name: node-exporter\n",
    );
    assert_eq!(ds[0].message, "missing field `reason`");
    assert_eq!(ds[0].location.key_path, "exceptions.0");

    let ds = diagnostics(
        "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - rule: WO005\n    reason: x\n",
    );
    assert_eq!(ds[0].message, "missing field `name`");

    let ds = diagnostics(
        "apiVersion: wo/v1
kind: Policy
exceptions:
  - rule: WO005
    name: ok
    reason: fine
  - rule: WO005
    name: node-exporter
    reason: '  '
",
    );
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0].location.key_path, "exceptions.1.reason");
    assert_eq!(ds[0].location.line, Some(9));
    assert_eq!(ds[0].message, "an exception needs a reason");
}

// ---- exceptions and blocking ----

fn privileged(name: &str, ns: &str, kind: &str) -> Resource {
    let mut doc = hardened_deployment();
    doc["kind"] = json!(kind);
    doc["metadata"] = json!({"name": name, "namespace": ns});
    doc["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = json!(true);
    resource(doc)
}

#[test]
fn exceptions_suppress_exactly_the_matching_resource() {
    let policy = Policy::parse(
        "apiVersion: wo/v1
kind: Policy
exceptions:
  - rule: privileged-container
    kind: DaemonSet
    namespace: monitoring
    name: node-agent
    reason: needs raw access to node devices
  - rule: WO001
    namespace: shop
    name: nothing-here
    reason: stale
",
        "policy.yaml",
    )
    .unwrap();
    let resources = vec![
        privileged("node-agent", "monitoring", "DaemonSet"),
        // Same name, other namespace / other kind: not covered.
        privileged("node-agent", "shop", "DaemonSet"),
        privileged("node-agent", "monitoring", "Deployment"),
    ];
    let report = check(&set(resources), &policy);
    assert_eq!(report.suppressed.len(), 1);
    let (f, reason) = &report.suppressed[0];
    assert_eq!(
        (
            f.resource.kind.as_str(),
            f.resource.namespace.as_deref(),
            f.rule
        ),
        ("DaemonSet", Some("monitoring"), "WO001")
    );
    assert_eq!(reason, "needs raw access to node devices");
    let open: BTreeSet<_> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.resource.kind.as_str(),
                f.resource.namespace.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        open,
        BTreeSet::from([
            ("DaemonSet", "shop".to_owned()),
            ("Deployment", "monitoring".to_owned())
        ])
    );
    assert!(report.blocking());

    assert_eq!(report.unused_exceptions.len(), 1);
    assert_eq!(report.unused_exceptions[0].name, "nothing-here");
    assert_eq!(report.unused_exceptions[0].source.line, Some(9));
    let text = report.to_text();
    assert!(
        text.contains(
            "policy.yaml:9: warning: exception for WO001 on shop/nothing-here matches no finding"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("2 findings (2 errors, 0 warnings, 0 notes), 2 blocking, 1 suppressed\n")
    );
}

#[test]
fn an_exception_covers_only_its_rule() {
    let policy = Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - {rule: WO004, name: web, reason: cni}\n",
        "policy.yaml",
    )
    .unwrap();
    let mut doc = hardened_deployment();
    doc["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    doc["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = json!(true);
    let report = check(&set(vec![resource(doc)]), &policy);
    assert_eq!(rule_ids(&report), BTreeSet::from(["WO001"]));
    assert_eq!(report.suppressed[0].0.rule, "WO004");
    assert!(report.unused_exceptions.is_empty());
}

#[test]
fn errors_block_and_warnings_do_not_unless_the_policy_says_so() {
    let mut doc = hardened_deployment();
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]
        .as_object_mut()
        .unwrap()
        .remove("limits");
    let warnings_only = set(vec![resource(doc)]);
    let report = check(&warnings_only, &Policy::default());
    assert_eq!(rule_ids(&report), BTreeSet::from(["WO009"]));
    assert_eq!(report.findings[0].severity, Severity::Warning);
    assert!(!report.blocking());

    let strict_limits = Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nrules:\n  missing-limits: {blocking: true}\n",
        "p.yaml",
    )
    .unwrap();
    assert!(check(&warnings_only, &strict_limits).blocking());

    let errors = set(vec![privileged("web", "shop", "Deployment")]);
    assert!(check(&errors, &Policy::default()).blocking());
    let relaxed = Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nrules:\n  WO001: {severity: note}\n",
        "p.yaml",
    )
    .unwrap();
    let report = check(&errors, &relaxed);
    assert_eq!(report.findings[0].severity, Severity::Note);
    assert!(!report.blocking());

    // A suppressed error does not block.
    let excepted = Policy::parse(
        "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - {rule: WO001, name: web, reason: lab}\n",
        "p.yaml",
    )
    .unwrap();
    let report = check(&errors, &excepted);
    assert!(report.findings.is_empty());
    assert!(!report.blocking());

    // Disabled rules do not run at all.
    let off = Policy::default().with_rule(
        rules::Rule::find("WO001").unwrap(),
        RuleSetting {
            enabled: false,
            blocking: true,
            severity: Severity::Error,
        },
    );
    assert!(check(&errors, &off).findings.is_empty());
}

// ---- JSON and SARIF ----

fn mixed_report() -> Report {
    let policy = Policy::parse(
        "apiVersion: wo/v1
kind: Policy
exceptions:
  - {rule: WO016, name: web, reason: public shop front}
  - {rule: WO005, name: ghost, reason: stale}
",
        "policy.yaml",
    )
    .unwrap();
    let mut doc = hardened_deployment();
    doc["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = json!(true);
    doc["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("livenessProbe");
    let lb = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"type": "LoadBalancer"}
    });
    let role = json!({"apiVersion": "v1", "kind": "Role", "metadata": {"name": "r"}});
    check(
        &set(vec![
            resource_at(doc, "./shop\\web.yaml", Some(4)),
            resource_at(lb, "shop/svc.yaml", Some(1)),
            // No line known: SARIF still needs startLine >= 1.
            resource_at(role, "shop/role.yaml", None),
        ]),
        &policy,
    )
}

#[test]
fn json_carries_findings_suppressions_and_summary() {
    let report = mixed_report();
    let v: Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(v["blocking"], json!(true));
    assert_eq!(
        v["summary"],
        json!({"errors": 1, "warnings": 2, "notes": 0, "blocking": 1,
               "suppressed": 1, "unusedExceptions": 1})
    );
    let findings = v["findings"].as_array().unwrap();
    // Sorted by file name as given: "./shop\\web.yaml" < "shop/role.yaml".
    let rules_in_order: Vec<_> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules_in_order, ["WO001", "WO011", "WO014"]);
    assert_eq!(
        findings[2]["resource"],
        json!({"apiVersion": "v1", "kind": "Role", "name": "r"})
    );
    let privileged = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WO001")
        .unwrap();
    assert_eq!(privileged["severity"], "error");
    assert_eq!(privileged["blocking"], true);
    assert_eq!(
        privileged["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(privileged["location"]["line"], 4);
    assert_eq!(privileged["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(v["suppressed"][0]["rule"], "WO016");
    assert_eq!(v["suppressed"][0]["reason"], "public shop front");
    assert_eq!(v["unusedExceptions"][0]["name"], "ghost");
}

#[test]
fn sarif_has_the_structure_github_code_scanning_expects() {
    let report = mixed_report();
    let log: Value = serde_json::from_str(&report.to_sarif()).unwrap();
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "wo");

    let sarif_rules = driver["rules"].as_array().unwrap();
    assert_eq!(sarif_rules.len(), rules::all().len());
    for (r, builtin) in sarif_rules.iter().zip(rules::all()) {
        assert_eq!(r["id"], builtin.id);
        assert_eq!(r["name"], builtin.name);
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(
                !r[field]["text"].as_str().unwrap().is_empty(),
                "{} {field}",
                builtin.id
            );
        }
        assert_eq!(
            r["defaultConfiguration"]["level"],
            builtin.severity.as_str()
        );
        assert!(!r["properties"]["tags"].as_array().unwrap().is_empty());
    }
    assert_eq!(sarif_rules[12]["defaultConfiguration"]["enabled"], false);
    assert_eq!(sarif_rules[0]["properties"]["security-severity"], "9.0");

    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        report.findings.len() + report.suppressed.len()
    );
    let mut fingerprints = BTreeSet::new();
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(sarif_rules[index]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.contains('\\') && !uri.starts_with('/') && !uri.starts_with("./"),
            "{uri}"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        let fp = r["partialFingerprints"]["woFinding/v1"].as_str().unwrap();
        assert!(
            fingerprints.insert(fp.to_owned()),
            "duplicate fingerprint {fp}"
        );
    }

    let by_rule = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    let privileged = by_rule("WO001");
    assert_eq!(privileged["level"], "error");
    assert_eq!(
        privileged["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "shop/web.yaml"
    );
    assert_eq!(
        privileged["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
    assert!(privileged["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Deployment shop/web container \"app\": runs privileged"));
    assert!(privileged.get("suppressions").is_none());
    assert_eq!(by_rule("WO011")["level"], "warning");
    let role = by_rule("WO014");
    assert_eq!(
        role["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    let exposed = by_rule("WO016");
    assert_eq!(
        exposed["suppressions"],
        json!([{"kind": "external", "justification": "public shop front"}])
    );

    let notes = &runs[0]["invocations"][0]["toolConfigurationNotifications"];
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "policy.yaml"
    );
}

#[test]
fn fingerprints_depend_on_rule_resource_and_path_only() {
    let report = mixed_report();
    let mut moved = report.clone();
    for f in &mut moved.findings {
        f.location.file = "elsewhere.yaml".to_owned();
        f.location.line = Some(99);
        f.resource.api_version = "apps/v2".to_owned();
    }
    let fps = |r: &Report| {
        r.findings
            .iter()
            .map(|f| f.fingerprint())
            .collect::<Vec<_>>()
    };
    assert_eq!(fps(&report), fps(&moved));
    let mut other_path = report.findings[0].clone();
    other_path.path.push_str(".x");
    assert_ne!(other_path.fingerprint(), report.findings[0].fingerprint());
}

#[test]
fn every_rule_documents_itself() {
    for r in rules::all() {
        assert!(r.id.starts_with("WO") && r.id.len() == 5, "{}", r.id);
        assert!(!r.message.is_empty() && !r.description.is_empty() && !r.fix.is_empty());
        assert!(
            r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            r.name
        );
        if r.tags.contains(&"security") {
            assert!(r.security_severity.is_some(), "{}", r.id);
        }
    }
    assert_eq!(
        rules::all()
            .iter()
            .filter(|r| !r.enabled_by_default)
            .count(),
        1
    );
}
