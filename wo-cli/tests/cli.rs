//! The command line as users meet it: JSON errors when JSON was asked for, the kind of a
//! location checked, completions and manual pages, and refused output formats.

mod common;

use common::Example;

#[test]
fn validate_prints_every_problem_as_json_when_asked_for_json() {
    let ex = Example::new();
    ex.edit(
        "config/targets/berlin-1.yaml",
        "Replicas: 4",
        "Replicas: 50",
    );
    let run = ex.wo(&[
        "validate",
        "--source",
        "{source}",
        "--config",
        "{config}",
        "--platform",
        "{fleet}",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.is_empty(),
        "JSON asked for: nothing on stderr\n{}",
        run.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["kind"], "invalid");
    let d = &doc["error"]["diagnostics"][0];
    assert!(
        d["file"]
            .as_str()
            .unwrap()
            .ends_with("config/targets/berlin-1.yaml"),
        "{doc:#}"
    );
    assert_eq!(d["line"], 4, "{doc:#}");
    assert_eq!(d["keyPath"], "values.Replicas", "{doc:#}");
    assert!(
        d["message"].as_str().unwrap().contains("above maxValue"),
        "{doc:#}"
    );
}

#[test]
fn the_platform_repo_has_one_name_and_fleet_stays_an_alias() {
    let ex = Example::new();
    let by_platform = ex.validate();
    let by_fleet = ex.wo(&[
        "validate", "--source", "{source}", "--config", "{config}", "--fleet", "{fleet}",
    ]);
    assert_eq!(by_platform.ok(), by_fleet.ok());
}

#[test]
fn a_repository_read_offline_needs_its_environment() {
    let ex = Example::new();
    let run = ex.wo(&[
        "validate",
        "--source",
        "{source}",
        "--config",
        "git://127.0.0.1:9/shop-config.git",
        "--platform",
        "{fleet}",
    ]);
    run.invalid(&["--env", "is a repository, not a directory"]);
}

#[test]
fn a_flow_given_a_plain_directory_says_it_is_not_a_repository() {
    let ex = Example::new();
    let run = ex.wo(&[
        "status",
        "--source",
        "{source}",
        "--config",
        "{config}",
        "--platform",
        "{fleet}",
        "--gitops",
        "{source}",
    ]);
    run.invalid(&["fleet", "is not a git repository"]);
}

#[test]
fn completions_and_manual_pages_are_generated() {
    let ex = Example::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = ex.wo(&["completions", shell]);
        let text = out.ok();
        assert!(text.contains("prepare-pr"), "{shell}: {text}");
    }
    let page = ex.wo(&["man"]);
    assert!(
        page.ok().starts_with(".ie") || page.ok().contains(".TH wo"),
        "{}",
        page.stdout
    );
    let dir = ex.path("man");
    let written = ex.wo(&["man", "--out", dir.to_str().unwrap()]);
    written.ok();
    for page in ["wo.1", "wo-prepare-pr.1", "wo-fleet.1", "wo-completions.1"] {
        let text = std::fs::read_to_string(dir.join(page)).expect(page);
        assert!(text.contains(".TH"), "{page}");
    }
}

#[test]
fn an_output_format_a_command_does_not_have_is_refused() {
    let ex = Example::new();
    let run = ex.wo(&["status", "-o", "yaml"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("invalid value 'yaml'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("[possible values: text, json]"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_closed_pipe_ends_wo_quietly_and_a_full_disk_is_an_error() {
    let ex = Example::new();
    // A pipe whose reader is gone before wo writes: deterministic, no timing.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wo"))
        .args(["completions", "bash"])
        .stdout(writer)
        .output()
        .expect("run wo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(141),
        "as if killed by SIGPIPE: {stderr}"
    );
    assert!(stderr.is_empty(), "quietly: {stderr}");

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let source = ex.path("source");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wo"))
        .args([
            "resolve",
            "--source",
            source.to_str().unwrap(),
            "--config",
            ex.path("config").to_str().unwrap(),
            "--platform",
            ex.path("fleet").to_str().unwrap(),
            "--target",
            "berlin-1",
            "-o",
            "text",
        ])
        .stdout(full)
        .output()
        .expect("run wo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_location_that_does_not_exist_is_bad_input() {
    let ex = Example::new();
    let run = ex.wo(&[
        "validate",
        "--source",
        "{source}",
        "--config",
        "/nonexistent/shop-config",
        "--platform",
        "{fleet}",
        "--env",
        "dev",
    ]);
    run.invalid(&["/nonexistent/shop-config", "does not exist"]);
    let run = ex.wo(&[
        "status",
        "--source",
        "/nonexistent/src",
        "--config",
        "{config}",
        "--platform",
        "{fleet}",
        "--gitops",
        "{source}",
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
}

#[test]
fn keys_holding_dots_have_unambiguous_key_paths_in_explain_and_json() {
    // `app.kubernetes.io/name` under `labels` and `kubernetes.io/name` under `labels.app` were
    // both `labels.app.kubernetes.io/name`: one provenance entry hid the other.
    let ex = Example::new();
    ex.edit(
        "source/wo/config-template.yaml",
        "  appName: shop\n",
        "  appName: shop\n  labels:\n    app.kubernetes.io/name: shop\n    app:\n      kubernetes.io/name: ${{$target(name)}}\n    \"say \\\"hi\\\"\": ${{$val(Currency)}}\n",
    );
    let args = [
        "resolve",
        "--source",
        "{source}",
        "--config",
        "{config}",
        "--platform",
        "{fleet}",
        "--target",
        "berlin-1",
    ];
    let explain = ex.wo(&[&args[..], &["--explain"]].concat());
    let rows: Vec<Vec<&str>> = explain
        .ok()
        .lines()
        .skip(1)
        .take(5)
        .map(|l| {
            l.split("  ")
                .filter(|c| !c.is_empty())
                .map(str::trim)
                .collect()
        })
        .collect();
    let cells = |r: &Vec<&str>| -> (String, String, String) {
        (r[0].to_string(), r[1].to_string(), r[2].to_string())
    };
    assert_eq!(
        rows.iter().map(cells).collect::<Vec<_>>(),
        [
            ("appName", "\"shop\"", "template"),
            ("labels[\"app.kubernetes.io/name\"]", "\"shop\"", "template"),
            (
                "labels.app[\"kubernetes.io/name\"]",
                "\"berlin-1\"",
                "expression"
            ),
            ("labels[\"say \\\"hi\\\"\"]", "\"EUR\"", "region"),
            (
                "image",
                "\"registry.example.com/shop:1.4.2\"",
                "environment"
            ),
        ]
        .map(|(k, v, l)| (k.to_string(), v.to_string(), l.to_string()))
    );

    let json = ex.wo(&[&args[..], &["-o", "json"]].concat());
    let doc: serde_json::Value = serde_json::from_str(json.ok()).expect("JSON on stdout");
    let keys: Vec<&str> = doc["provenance"]
        .as_object()
        .expect("provenance")
        .keys()
        .map(String::as_str)
        .take(5)
        .collect();
    assert_eq!(
        keys,
        [
            "appName",
            "labels[\"app.kubernetes.io/name\"]",
            "labels.app[\"kubernetes.io/name\"]",
            "labels[\"say \\\"hi\\\"\"]",
            "image"
        ]
    );
    assert_eq!(
        doc["provenance"]["labels.app[\"kubernetes.io/name\"]"]["level"],
        "template"
    );
    assert_eq!(
        doc["values"]["labels"]["app"]["kubernetes.io/name"],
        "berlin-1"
    );
}
