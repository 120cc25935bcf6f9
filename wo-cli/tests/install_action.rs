//! wo's own action (`action.yml`, its logic in `scripts/install-wo.sh`) installs a release
//! packaged by `scripts/package-release.sh`, the script the release workflow packages with:
//! the freshly built `wo` is packaged, served from a loopback HTTP server as a release, and the
//! install script runs with the environment the action gives it (`GITHUB_PATH`,
//! `GITHUB_OUTPUT`, `RUNNER_*`). A download whose checksum does not match, a version that was
//! never released and a runner without a release binary are refused, and nothing is put on
//! `PATH`. The action's metadata is checked by actionlint (through a workflow using it: actionlint
//! does not lint an action.yml by itself) and structurally here; both scripts by shellcheck.

mod release_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use release_common::*;
use serde_json::Value;

/// The runner of one job: its temp directory, tool cache, GITHUB_OUTPUT and GITHUB_PATH files.
struct Runner {
    dir: tempfile::TempDir,
    os: &'static str,
    arch: &'static str,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        for d in ["temp", "tool-cache"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        for f in ["output", "path"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        Runner {
            dir,
            os: "Linux",
            arch: runner_arch().0,
        }
    }

    /// `install-wo.sh <step>` with the action's environment: `inputs` are the action's env
    /// (`WO_VERSION`, `WO_ACTION_REF`, `WO_BASE_URL`).
    fn step(&self, step: &str, inputs: &[(&str, &str)]) -> Output {
        let d = self.dir.path();
        let mut cmd = Command::new("bash");
        cmd.arg(script("install-wo.sh"))
            .arg(step)
            .env_remove("WO_VERSION")
            .env_remove("WO_ACTION_REF")
            .env_remove("WO_BASE_URL")
            .env("RUNNER_OS", self.os)
            .env("RUNNER_ARCH", self.arch)
            .env("RUNNER_TEMP", d.join("temp"))
            .env("RUNNER_TOOL_CACHE", d.join("tool-cache"))
            .env("GITHUB_OUTPUT", d.join("output"))
            .env("GITHUB_PATH", d.join("path"));
        for (k, v) in inputs {
            cmd.env(k, v);
        }
        cmd.output().expect("run install-wo.sh")
    }

    /// The outputs written so far (a later value of a name wins, as on GitHub).
    fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.dir.path().join("output"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn path_entries(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("path"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn tool_cache(&self) -> PathBuf {
        self.dir.path().join("tool-cache")
    }

    /// What the action does: `plan`, then (the cache step between them aside) `install` with the
    /// planned version.
    fn run_action(&self, version_input: &str, action_ref: &str, base_url: &str) -> Output {
        let plan = self.step(
            "plan",
            &[("WO_VERSION", version_input), ("WO_ACTION_REF", action_ref)],
        );
        if !plan.status.success() {
            return plan;
        }
        let version = self.outputs()["version"].clone();
        self.step(
            "install",
            &[
                ("WO_VERSION", &version),
                ("WO_ACTION_REF", action_ref),
                ("WO_BASE_URL", base_url),
            ],
        )
    }
}

/// A release of the wo under test at `<dir>/v<VERSION>/`, each test its own copy (packaged once).
fn release() -> (tempfile::TempDir, PathBuf) {
    static PACKAGED: OnceLock<PathBuf> = OnceLock::new();
    let packaged = PACKAGED.get_or_init(|| {
        let assets = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install_action-release");
        let _ = std::fs::remove_dir_all(&assets);
        let out = package(VERSION, &assets);
        assert!(out.status.success(), "package-release.sh: {}", text(&out));
        assets
    });
    let dir = tempfile::tempdir().unwrap();
    let assets = dir.path().join(format!("v{VERSION}"));
    std::fs::create_dir(&assets).unwrap();
    for entry in std::fs::read_dir(packaged).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), assets.join(entry.file_name())).unwrap();
    }
    (dir, assets)
}

#[test]
fn the_action_installs_a_packaged_release_checks_its_checksum_and_puts_wo_on_path() {
    let (releases, _) = release();
    let server = ReleaseServer::start(releases.path().to_path_buf());
    let runner = Runner::new();
    let (_, target) = runner_arch();

    let out = runner.run_action(VERSION, "main", &server.base_url());
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains(&format!("checksum verified: wo-{VERSION}-{target}.tar.gz")),
        "{log}"
    );
    let dir = runner.tool_cache().join("wo").join(VERSION).join(target);
    assert_eq!(runner.path_entries(), [dir.display().to_string()]);
    let outputs = runner.outputs();
    assert_eq!(outputs["version"], VERSION);
    assert_eq!(outputs["target"], target);
    assert_eq!(outputs["dir"], dir.display().to_string());
    assert_eq!(outputs["path"], dir.join("wo").display().to_string());
    let version = Command::new(dir.join("wo"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("wo {VERSION}")
    );
    assert_eq!(
        server.requests(),
        [
            format!("/releases/download/v{VERSION}/SHA256SUMS"),
            format!("/releases/download/v{VERSION}/wo-{VERSION}-{target}.tar.gz"),
        ]
    );
    // No download leftovers in the runner's temp directory.
    assert_eq!(
        std::fs::read_dir(runner.dir.path().join("temp"))
            .unwrap()
            .count(),
        0
    );

    // The next run of the job restores the directory from actions/cache: nothing is
    // downloaded, the binary is checked again and put on PATH.
    let again = runner.run_action(VERSION, "main", &server.base_url());
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("restored from the cache"),
        "{}",
        text(&again)
    );
    assert_eq!(server.requests().len(), 2, "no second download");
    assert_eq!(runner.path_entries().len(), 2);
}

#[test]
fn the_version_is_the_actions_own_tag_unless_given_and_required_otherwise() {
    let (releases, _) = release();
    let server = ReleaseServer::start(releases.path().to_path_buf());

    // uses: <owner>/wo@v<version>, no `version` input.
    let runner = Runner::new();
    let out = runner.run_action("", &format!("v{VERSION}"), &server.base_url());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(runner.outputs()["version"], VERSION);

    // `version: v<version>` is the same as `version: <version>`.
    let runner = Runner::new();
    let out = runner.run_action(&format!("v{VERSION}"), "main", &server.base_url());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(runner.outputs()["version"], VERSION);

    // Pinned by commit and no version: refused before anything is downloaded.
    let runner = Runner::new();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let out = runner.run_action("", sha, &server.base_url());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "input 'version' is required: the action is used at '{sha}'"
        )),
        "{}",
        text(&out)
    );
    assert!(runner.path_entries().is_empty());

    let out = Runner::new().run_action("latest", "main", &server.base_url());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("'latest' is not a wo version"),
        "{}",
        text(&out)
    );
    assert_eq!(
        server.requests().len(),
        4,
        "two installs, nothing for the refused ones"
    );
}

#[test]
fn a_corrupted_archive_is_refused_by_its_checksum_and_nothing_is_put_on_path() {
    let (releases, assets) = release();
    let (_, target) = runner_arch();
    // Flip one byte of the archive after SHA256SUMS was written (a tampered or truncated
    // download looks the same to the installer).
    let archive = assets.join(format!("wo-{VERSION}-{target}.tar.gz"));
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&archive, &bytes).unwrap();
    let server = ReleaseServer::start(releases.path().to_path_buf());
    let runner = Runner::new();

    let out = runner.run_action(VERSION, "main", &server.base_url());
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!(
            "::error title=wo not installed::checksum mismatch for wo-{VERSION}-{target}.tar.gz: SHA256SUMS of wo v{VERSION} says "
        )),
        "{log}"
    );
    assert!(log.contains("nothing installed"), "{log}");
    assert!(runner.path_entries().is_empty(), "nothing on PATH");
    assert!(!runner.outputs().contains_key("path"));
    assert!(
        !runner
            .tool_cache()
            .join("wo")
            .join(VERSION)
            .join(target)
            .exists(),
        "nothing left for actions/cache to keep"
    );
}

#[test]
fn a_version_that_was_never_released_is_refused() {
    let (releases, _) = release();
    let server = ReleaseServer::start(releases.path().to_path_buf());
    let runner = Runner::new();

    let out = runner.run_action("9.9.9", "main", &server.base_url());
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!(
            "wo v9.9.9 is not released: {}/v9.9.9/SHA256SUMS answered 404 Not Found",
            server.base_url()
        )),
        "{log}"
    );
    assert!(runner.path_entries().is_empty());
    assert!(!runner.tool_cache().join("wo").join("9.9.9").exists());
}

#[test]
fn a_runner_without_a_release_binary_is_refused_naming_cargo_install() {
    let mut runner = Runner::new();
    runner.os = "macOS";
    runner.arch = "ARM64";
    let out = runner.step(
        "plan",
        &[("WO_VERSION", VERSION), ("WO_ACTION_REF", "main")],
    );
    let log = text(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains("wo has no release binary for a macOS ARM64 runner"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "cargo install --locked woac-cli --version {VERSION}"
        )),
        "{log}"
    );
    assert!(runner.outputs().is_empty());
}

#[test]
fn package_release_writes_reproducible_archives_and_their_checksums() {
    let (_, target) = runner_arch();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        let out = package(VERSION, d.path());
        assert!(out.status.success(), "{}", text(&out));
    }
    let name = format!("wo-{VERSION}-{target}.tar.gz");
    let first = std::fs::read(a.path().join(&name)).unwrap();
    assert_eq!(
        first,
        std::fs::read(b.path().join(&name)).unwrap(),
        "same binary, same bytes"
    );

    let listing = Command::new("tar")
        .arg("-tvzf")
        .arg(a.path().join(&name))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    let mut entries: Vec<&str> = listing
        .lines()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    entries.sort();
    let dir = format!("wo-{VERSION}-{target}");
    assert_eq!(
        entries,
        [
            format!("{dir}/"),
            format!("{dir}/LICENSE-APACHE"),
            format!("{dir}/LICENSE-MIT"),
            format!("{dir}/README.md"),
            format!("{dir}/wo"),
        ]
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x 0/0") && l.ends_with("/wo")),
        "wo is executable, owned by 0:0: {listing}"
    );

    let sums = std::fs::read_to_string(a.path().join("SHA256SUMS")).unwrap();
    let check = Command::new("sha256sum")
        .arg("--check")
        .arg("--strict")
        .arg("SHA256SUMS")
        .current_dir(a.path())
        .output()
        .unwrap();
    assert!(check.status.success(), "{sums}{}", text(&check));
    assert_eq!(sums.lines().count(), 1, "{sums}");
    assert!(sums.ends_with(&format!("  {name}\n")), "{sums}");

    for bad in ["v1.0.0", "latest"] {
        let out = package(bad, a.path());
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(
            text(&out).contains("is not a release version"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn the_scripts_are_shellcheck_clean() {
    let shellcheck = wo_test_support::tool("shellcheck");
    let out = Command::new(&shellcheck)
        .arg("--severity=style")
        .arg(script("install-wo.sh"))
        .arg(script("package-release.sh"))
        .arg(script("check-packages.sh"))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", shellcheck.display()));
    assert!(out.status.success(), "shellcheck findings:\n{}", text(&out));
    assert_eq!(text(&out), "");
}

fn action() -> Value {
    let path = root().join("action.yml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    wo_core::yaml::from_str(&yaml, "action.yml").expect("action.yml parses")
}

/// The names `${{ <prefix>.<name> … }}` expressions in `text` refer to.
fn referenced(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            text[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                .collect()
        })
        .collect()
}

#[test]
fn action_yml_is_a_composite_action_whose_steps_refer_only_to_what_exists() {
    let action = action();
    for key in ["name", "description"] {
        assert!(action[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    let inputs = action["inputs"].as_object().expect("inputs");
    assert_eq!(
        inputs.keys().collect::<Vec<_>>(),
        ["version", "base-url", "cache"]
    );
    for (name, input) in inputs {
        assert!(
            input["description"].is_string(),
            "inputs.{name}.description"
        );
        assert_eq!(
            input["required"],
            Value::Bool(false),
            "inputs.{name}.required"
        );
    }
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().expect("runs.steps");
    let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["plan", "install"]);
    let mut scripts = 0;
    for step in steps {
        let name = step["name"].as_str().expect("every step is named");
        match (step.get("run"), step.get("uses")) {
            (Some(run), None) => {
                assert_eq!(
                    step["shell"], "bash",
                    "{name}: a composite run step names its shell"
                );
                let run = run.as_str().unwrap();
                if run.contains("install-wo.sh") {
                    scripts += 1;
                    assert!(
                        run.starts_with("bash \"$GITHUB_ACTION_PATH/scripts/install-wo.sh\" "),
                        "{name}: {run}"
                    );
                }
                assert!(
                    !run.contains("${{"),
                    "{name}: no expression inside a script: {run}"
                );
            }
            (None, Some(uses)) => {
                assert!(uses.as_str().unwrap().contains('@'), "{name}");
            }
            _ => panic!("{name}: a step either runs or uses"),
        }
    }
    assert_eq!(scripts, 2, "plan and install");
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for input in referenced(&text, "inputs.") {
        assert!(inputs.contains_key(&input), "unknown input {input}");
    }
    for step in referenced(&text, "steps.") {
        assert!(ids.contains(&step.as_str()), "unknown step id {step}");
    }
    for (name, output) in action["outputs"].as_object().expect("outputs") {
        let value = output["value"].as_str().unwrap();
        assert_eq!(
            value,
            format!("${{{{ steps.install.outputs.{name} }}}}"),
            "outputs.{name}"
        );
    }
}

/// actionlint on a workflow of a repository holding wo's action at its root (`uses: ./`):
/// actionlint reads the local action's metadata to check the inputs a step passes it.
fn actionlint_with_the_action(step_with: &str) -> (i32, String) {
    let repo = tempfile::tempdir().unwrap();
    // actionlint resolves `uses: ./` from the repository root, the directory holding `.git`.
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    std::fs::copy(root().join("action.yml"), repo.path().join("action.yml")).unwrap();
    let workflows = repo.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let workflow = format!(
        "name: use wo\n\non:\n  push:\n\npermissions:\n  contents: read\n\njobs:\n  wo:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n      - id: wo\n        uses: ./\n        with:\n{step_with}      - run: wo --version\n"
    );
    let file = workflows.join("use-wo.yml");
    std::fs::write(&file, workflow).unwrap();
    let actionlint = wo_test_support::tool("actionlint");
    let out = Command::new(&actionlint)
        .current_dir(repo.path())
        .arg("-no-color")
        .arg("-shellcheck")
        .arg(wo_test_support::tool("shellcheck"))
        .arg("-pyflakes=")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", actionlint.display()));
    (out.status.code().unwrap_or(-1), text(&out))
}

#[test]
fn actionlint_accepts_a_workflow_using_the_action_and_checks_its_inputs() {
    let (code, findings) = actionlint_with_the_action(
        "          version: \"0.1.0\"\n          base-url: \"https://mirror.example/wo/releases/download\"\n          cache: \"false\"\n",
    );
    assert_eq!(findings, "", "actionlint findings:\n{findings}");
    assert_eq!(code, 0);

    // The linter read action.yml: an input the action does not have is reported.
    let (code, findings) = actionlint_with_the_action("          versoin: \"0.1.0\"\n");
    assert_eq!(code, 1, "{findings}");
    assert!(findings.contains("versoin"), "{findings}");
    assert!(findings.contains("is not defined in action"), "{findings}");
}
