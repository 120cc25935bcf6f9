//! `wo render`, `wo check` and `wo diff` on the worked example.

mod common;
use common::Example;

fn render(ex: &Example, out: &str) -> common::Run {
    ex.wo(&[
        "render",
        "--source",
        "{source}",
        "--config",
        "{config}",
        "--fleet",
        "{fleet}",
        "--out",
        &ex.path(out).display().to_string(),
    ])
}

#[test]
fn render_writes_the_gitops_layout_for_every_assigned_target() {
    let ex = Example::new();
    let stdout = render(&ex, "plan").ok().to_string();
    assert!(stdout.contains("4 targets"), "{stdout}");
    for t in ["berlin-1", "berlin-2", "london-1", "chicago-1"] {
        let manifests = ex.read(&format!("plan/shop/{t}/manifests.yaml"));
        for kind in ["kind: ConfigMap", "kind: Service", "kind: Deployment"] {
            assert!(
                manifests.contains(kind),
                "{t}: {kind} missing:\n{manifests}"
            );
        }
        // values.yaml is exactly what `wo resolve` prints.
        let resolved = ex.resolve(t);
        assert_eq!(
            ex.read(&format!("plan/shop/{t}/values.yaml")),
            resolved.ok(),
            "{t}"
        );
    }
    assert!(
        !ex.path("plan/shop/lab-1").exists(),
        "lab-1 lacks the helm capability"
    );
}

#[test]
fn render_is_deterministic() {
    let ex = Example::new();
    render(&ex, "a").ok();
    render(&ex, "b").ok();
    for t in ["berlin-1", "chicago-1"] {
        for f in ["manifests.yaml", "values.yaml"] {
            assert_eq!(
                ex.read(&format!("a/shop/{t}/{f}")),
                ex.read(&format!("b/shop/{t}/{f}"))
            );
        }
    }
}

#[test]
fn render_of_invalid_input_writes_nothing() {
    let ex = Example::new();
    ex.edit(
        "config/targets/berlin-1.yaml",
        "Replicas: 4",
        "Replicas: 400",
    );
    render(&ex, "plan").invalid(&["berlin-1.yaml:4", "above maxValue"]);
    assert!(!ex.path("plan").exists(), "nothing may be written");
}

#[test]
fn render_selected_targets_only_and_refuses_unknown_ones() {
    let ex = Example::new();
    let out = ex.path("plan").display().to_string();
    let args = [
        "render", "--source", "{source}", "--config", "{config}", "--fleet", "{fleet}", "--out",
        &out, "--target", "london-1",
    ];
    ex.wo(&args).ok();
    assert!(ex.path("plan/shop/london-1/manifests.yaml").exists());
    assert!(!ex.path("plan/shop/berlin-1").exists());
    let bad = [
        "render", "--source", "{source}", "--config", "{config}", "--fleet", "{fleet}", "--out",
        &out, "--target", "../x",
    ];
    ex.wo(&bad).invalid(&["`../x` is not a target of `shop`"]);
}

#[cfg(unix)]
#[test]
fn render_does_not_write_through_symbolic_links() {
    let ex = Example::new();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ex.path("plan")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), ex.path("plan/shop")).unwrap();
    render(&ex, "plan").invalid(&["symbolic link"]);
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing written outside --out"
    );
}

#[test]
fn a_template_error_names_the_template_file_and_line() {
    let ex = Example::new();
    ex.edit(
        "source/chart/templates/configmap.yaml",
        "{{Release.Namespace}}",
        "{{Release.Nmaespace}}",
    );
    render(&ex, "plan").invalid(&["templates/configmap.yaml:5", "berlin-1"]);
    assert!(!ex.path("plan").exists());
}

#[test]
fn check_passes_the_example_and_blocks_a_privileged_container() {
    let ex = Example::new();
    render(&ex, "plan").ok();
    let plan = ex.path("plan").display().to_string();
    let run = ex.wo(&["check", &plan]);
    let text = run.ok();
    assert!(text.contains("0 blocking"), "{text}");

    ex.write(
        "bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: shop}\nspec:\n  containers:\n    - name: app\n      image: nginx:latest\n      securityContext: {privileged: true}\n",
    );
    let bad = ex.path("bad.yaml").display().to_string();
    let run = ex.wo(&["check", &bad]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("WO001"), "{}", run.stdout);

    let sarif = ex.wo(&["check", &bad, "--output", "sarif"]);
    let v: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    assert!(v["runs"][0]["results"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
}

#[test]
fn check_with_a_policy_exception_does_not_block() {
    let ex = Example::new();
    ex.write(
        "bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: shop}\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext: {privileged: true, runAsNonRoot: true, allowPrivilegeEscalation: false}\n      resources: {requests: {cpu: 10m, memory: 10Mi}, limits: {cpu: 10m, memory: 10Mi}}\n      readinessProbe: {tcpSocket: {port: 80}}\n      livenessProbe: {tcpSocket: {port: 80}}\n",
    );
    ex.write(
        "policy.yaml",
        "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - rule: privileged-container\n    kind: Pod\n    name: bad\n    reason: the node agent needs the host's devices\n",
    );
    let run = ex.wo(&[
        "check",
        &ex.path("bad.yaml").display().to_string(),
        "--policy",
        &ex.path("policy.yaml").display().to_string(),
    ]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    ex.write("policy.yaml", "apiVersion: wo/v1\nkind: Policy\nexceptions:\n  - rule: privileged-containr\n    name: bad\n    reason: x\n");
    ex.wo(&[
        "check",
        &ex.path("bad.yaml").display().to_string(),
        "--policy",
        &ex.path("policy.yaml").display().to_string(),
    ])
    .invalid(&["policy.yaml", "did you mean"]);
}

#[test]
fn diff_shows_what_a_value_change_does_to_the_manifests() {
    let ex = Example::new();
    render(&ex, "old").ok();
    ex.edit("config/targets/berlin-1.yaml", "Replicas: 4", "Replicas: 3");
    render(&ex, "new").ok();
    let (old, new) = (
        ex.path("old").display().to_string(),
        ex.path("new").display().to_string(),
    );
    let text = ex.wo(&["diff", &old, &new]).ok().to_string();
    assert!(text.contains("Deployment"), "{text}");
    assert!(
        text.contains("-  replicas: 4") || text.contains("-  replicas: 4"),
        "{text}"
    );
    let md = ex
        .wo(&["diff", &old, &new, "-o", "markdown"])
        .ok()
        .to_string();
    assert!(md.contains("```diff"), "{md}");
    assert!(md.len() <= 65_536);
    let json = ex
        .wo(&["diff", &old, &new, "--output", "json"])
        .ok()
        .to_string();
    serde_json::from_str::<serde_json::Value>(&json).expect("json");
}
