//! `wo on-event --github`: the GitHub Actions event of a run, mapped to wo's events and run on
//! the demo's repositories; outputs, step summary and annotations as GitHub expects them.

use std::path::Path;
use std::process::Command;

fn wo(dir: &Path, args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let repos = |name: &str| dir.join(format!("{name}.git")).display().to_string();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wo"));
    cmd.args(args)
        .args([
            "--source",
            &repos("shop-source"),
            "--config",
            &repos("shop-config"),
        ])
        .args([
            "--platform",
            &repos("platform-config"),
            "--gitops",
            &repos("shop-gitops"),
        ])
        .current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("WO_") || k.starts_with("GITHUB_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("WO_HELM", wo_test_support::tool("helm"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run wo")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The demo's repositories, everything released.
fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_wo"))
        .args(["demo", "--dir", &dir.path().display().to_string()])
        .env("WO_HELM", wo_test_support::tool("helm"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    dir
}

fn event_env(dir: &Path, name: &str, payload: &str) -> Vec<(&'static str, String)> {
    let path = dir.join("event.json");
    std::fs::write(&path, payload).unwrap();
    vec![
        ("GITHUB_EVENT_NAME", name.to_string()),
        ("GITHUB_EVENT_PATH", path.display().to_string()),
        ("GITHUB_OUTPUT", dir.join("output").display().to_string()),
        (
            "GITHUB_STEP_SUMMARY",
            dir.join("summary.md").display().to_string(),
        ),
    ]
}

#[test]
fn a_push_to_main_runs_prepare_pr_and_writes_outputs_and_summary() {
    let d = demo();
    let sha = git(&d.path().join("shop-source.git"), &["rev-parse", "main"]);
    let payload = format!(
        r#"{{"ref":"refs/heads/main","before":"{z}","after":"{sha}","created":false,"deleted":false,"forced":false,"base_ref":null,"compare":"c","commits":[],"head_commit":null,"repository":{{"full_name":"acme/shop-source"}},"pusher":{{"name":"dev"}}}}"#,
        z = "0".repeat(40)
    );
    let run = wo(
        d.path(),
        &["on-event", "--github", "--role", "source"],
        &event_env(d.path(), "push", &payload),
    );
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let output = std::fs::read_to_string(d.path().join("output")).unwrap();
    assert!(output.contains("failed=false"), "{output}");
    assert!(output.contains("\"step\":\"prepare-pr\""), "{output}");
    let summary = std::fs::read_to_string(d.path().join("summary.md")).unwrap();
    assert!(summary.contains("| dev | dev-eu-1 |"), "{summary}");
}

#[test]
fn a_push_to_another_branch_is_not_a_wo_event() {
    let d = demo();
    let payload = format!(
        r#"{{"ref":"refs/heads/feature-x","before":"{z}","after":"{z}","created":true,"deleted":false,"forced":false,"base_ref":null,"compare":"c","commits":[],"head_commit":null,"repository":{{"full_name":"acme/shop-source"}},"pusher":{{"name":"dev"}}}}"#,
        z = "1".repeat(40)
    );
    let run = wo(
        d.path(),
        &["on-event", "--github", "--role", "source"],
        &event_env(d.path(), "push", &payload),
    );
    assert!(run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("not a wo event"),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}

#[test]
fn invalid_config_merged_gives_annotations_and_exit_2() {
    let d = demo();
    let work = d.path().join("work");
    git(
        d.path(),
        &[
            "clone",
            "-q",
            "-b",
            "stage",
            &d.path().join("shop-config.git").display().to_string(),
            "work",
        ],
    );
    let values = std::fs::read_to_string(work.join("values.yaml"))
        .unwrap()
        .replace("Replicas: 3", "Replicas: 400");
    std::fs::write(work.join("values.yaml"), values).unwrap();
    git(
        &work,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@x",
            "commit",
            "-qam",
            "too many",
        ],
    );
    git(&work, &["push", "-q", "origin", "stage"]);
    let payload = r#"{"action":"closed","number":7,"pull_request":{"number":7,"merged":true,"merge_commit_sha":"0123456789012345678901234567890123456789","base":{"ref":"stage","repo":{"full_name":"acme/shop-config"}},"head":{"ref":"more-replicas","repo":{"full_name":"acme/shop-config"}}},"repository":{"full_name":"acme/shop-config"},"sender":{"login":"dev"}}"#;
    let run = wo(
        d.path(),
        &["on-event", "--github", "--role", "config"],
        &event_env(d.path(), "pull_request", payload),
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(2),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("::error file=app-config/stage/values.yaml,line=5"),
        "{stdout}"
    );
    assert!(stdout.contains("above maxValue"), "{stdout}");
}

/// No line of a stream starts a workflow command (after leading white space), and no line
/// holds a legacy `##[` command, except wo's own `::error` annotations.
fn assert_no_injected_commands(stream: &str, name: &str) {
    for line in stream.split(['\n', '\r']) {
        let t = line.trim_start();
        let ours = t.starts_with("::error file=") && !t.contains('\n');
        assert!(
            ours || !t.starts_with("::"),
            "{name}: a workflow command: {line:?}\n{stream}"
        );
        assert!(
            !line.contains("##["),
            "{name}: a legacy command: {line:?}\n{stream}"
        );
    }
}

#[test]
fn untrusted_text_never_becomes_a_workflow_command_on_either_stream() {
    let d = demo();
    let work = d.path().join("work");
    git(
        d.path(),
        &[
            "clone",
            "-q",
            "-b",
            "stage",
            &d.path().join("shop-config.git").display().to_string(),
            "work",
        ],
    );
    // A key no schema has, carrying line breaks and workflow commands.
    let values = std::fs::read_to_string(work.join("values.yaml")).unwrap()
        + "  \"Evil\\n::add-mask::oops\\n  ::warning::boom\\r##[set-output name=x]y\": 1\n";
    std::fs::write(work.join("values.yaml"), values).unwrap();
    git(
        &work,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@x",
            "commit",
            "-qam",
            "evil",
        ],
    );
    git(&work, &["push", "-q", "origin", "stage"]);
    let payload = r#"{"action":"closed","number":7,"pull_request":{"number":7,"merged":true,"merge_commit_sha":"0123456789012345678901234567890123456789","base":{"ref":"stage","repo":{"full_name":"acme/shop-config"}},"head":{"ref":"evil","repo":{"full_name":"acme/shop-config"}}},"repository":{"full_name":"acme/shop-config"},"sender":{"login":"dev"}}"#;
    let mut env = event_env(d.path(), "pull_request", payload);
    env.push(("GITHUB_ACTIONS", "true".into()));
    let run = wo(
        d.path(),
        &["on-event", "--github", "--role", "config"],
        &env,
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert_eq!(run.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("::error file="),
        "the annotation is there: {stdout}"
    );
    assert!(stderr.contains("Evil"), "the error names the key: {stderr}");
    assert_no_injected_commands(&stdout, "stdout");
    assert_no_injected_commands(&stderr, "stderr");
    // A failed step still says so to the workflow.
    let output = std::fs::read_to_string(d.path().join("output")).unwrap();
    assert!(output.contains("failed=true"), "{output}");
    assert!(output.contains("error=invalid"), "{output}");

    // An event wo does not know, whose text carries commands.
    let run = wo(
        d.path(),
        &[
            "on-event",
            "--event",
            "{\"type\": \"x\\n::add-mask::oops ##[set-output name=a]b\"}",
        ],
        &[("GITHUB_ACTIONS", "true".into())],
    );
    assert_eq!(run.status.code(), Some(2));
    assert_no_injected_commands(&String::from_utf8_lossy(&run.stdout), "stdout");
    assert_no_injected_commands(&String::from_utf8_lossy(&run.stderr), "stderr");
}
