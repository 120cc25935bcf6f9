//! wo's own release: `.github/workflows/release.yml` passes actionlint (with shellcheck), pins
//! every action to a full commit SHA (those wo's generated workflows use too at the same pins
//! as `wo_github::actions::pins`), gives each job the least permissions it needs, and packages
//! and attests what the action (`action.yml`) downloads, from the repository the crates name.

use std::path::{Path, PathBuf};
use std::process::Command;

use wo_github::actions::pins;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn release_yml() -> String {
    read(".github/workflows/release.yml")
}

#[test]
fn actionlint_finds_nothing_in_the_release_workflow() {
    let actionlint = wo_test_support::tool("actionlint");
    let out = Command::new(&actionlint)
        .current_dir(root())
        .arg("-no-color")
        .arg("-shellcheck")
        .arg(wo_test_support::tool("shellcheck"))
        .arg("-pyflakes=")
        .arg(".github/workflows/release.yml")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", actionlint.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text, "", "actionlint findings:\n{text}");
    assert_eq!(out.status.code(), Some(0));
}

/// The `uses:` values of a workflow or action, comments included.
fn uses(yaml: &str) -> Vec<String> {
    yaml.lines()
        .map(str::trim_start)
        .filter_map(|l| {
            l.strip_prefix("uses: ")
                .or_else(|| l.strip_prefix("- uses: "))
        })
        .map(str::to_owned)
        .collect()
}

/// `owner/repo@<40 lowercase hex> # v…`.
fn is_pinned(value: &str) -> bool {
    let Some((action, rest)) = value.split_once('@') else {
        return false;
    };
    let Some((sha, version)) = rest.split_once(" # v") else {
        return false;
    };
    action.split('/').count() == 2
        && sha.len() == 40
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !version.is_empty()
}

#[test]
fn release_and_action_pin_every_action_to_a_full_sha_shared_with_the_generated_workflows() {
    for (file, yaml) in [
        (".github/workflows/release.yml", release_yml()),
        ("action.yml", read("action.yml")),
    ] {
        let used = uses(&yaml);
        assert!(!used.is_empty(), "{file}");
        for value in used {
            assert!(
                is_pinned(&value),
                "{file}: not pinned to a full SHA: {value}"
            );
            // An action wo's generated workflows use too is at the same pin.
            let action = value.split('@').next().unwrap();
            if let Some(pin) = pins::ALL.iter().find(|p| p.action == action) {
                assert_eq!(
                    value,
                    pin.to_string(),
                    "{file}: the pin of {action} in pins.rs"
                );
            }
        }
    }
    let release = uses(&release_yml());
    assert!(release.contains(&pins::CHECKOUT.to_string()));
    assert!(release
        .iter()
        .any(|u| u.starts_with("actions/attest-build-provenance@")));
    assert!(uses(&read("action.yml")).contains(&pins::CACHE.to_string()));
}

/// The `permissions:` of the workflow (`None`) or of a job, as `scope: level` lines.
fn permissions(yaml: &str, job: Option<&str>) -> Vec<String> {
    let (text, indent) = match job {
        None => (yaml, ""),
        Some(job) => {
            let start = yaml
                .find(&format!("\n  {job}:\n"))
                .unwrap_or_else(|| panic!("no job {job}"));
            (&yaml[start..], "    ")
        }
    };
    let key = format!("\n{indent}permissions:");
    let at = text
        .find(&key)
        .unwrap_or_else(|| panic!("{job:?}: no permissions"));
    let rest = &text[at + key.len()..];
    if rest.starts_with(" {}") {
        return Vec::new();
    }
    rest.lines()
        .skip(1)
        .take_while(|l| l.starts_with(&format!("{indent}  ")))
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn each_release_job_gets_the_least_permissions_it_needs() {
    let yaml = release_yml();
    assert!(
        permissions(&yaml, None).is_empty(),
        "nothing by default: permissions: {{}}"
    );
    assert_eq!(permissions(&yaml, Some("build")), ["contents: read"]);
    assert_eq!(
        permissions(&yaml, Some("release")),
        ["contents: write", "id-token: write", "attestations: write"]
    );
    assert_eq!(yaml.matches("id-token: write").count(), 1);
    assert_eq!(yaml.matches("persist-credentials: false").count(), 2);
    // The tag and the inputs reach scripts through env only, never as `${{ … }}` in a script.
    let scripts = run_scripts(&yaml);
    assert!(scripts.len() >= 6, "{scripts:?}");
    for script in scripts {
        assert!(
            !script.contains("${{"),
            "an expression inside a script: {script}"
        );
    }
}

/// The text of every `run:` of a workflow (one-line and block scripts).
fn run_scripts(yaml: &str) -> Vec<String> {
    let mut scripts = Vec::new();
    let mut lines = yaml.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some(value) = trimmed.strip_prefix("run:") else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        if value.trim() != "|" {
            scripts.push(value.trim().to_owned());
            continue;
        }
        let mut script = String::new();
        while let Some(next) = lines.peek() {
            let next_indent = next.len() - next.trim_start().len();
            if !next.trim().is_empty() && next_indent <= indent {
                break;
            }
            script.push_str(next.trim());
            script.push('\n');
            lines.next();
        }
        scripts.push(script);
    }
    scripts
}

#[test]
fn the_release_builds_both_targets_packages_attests_and_publishes_what_the_action_downloads() {
    let yaml = release_yml();
    assert!(yaml.contains("on:\n  push:\n    tags:\n      - \"v*\"\n  workflow_dispatch:\n"));
    for (target, runner) in [
        ("x86_64-unknown-linux-musl", "ubuntu-24.04"),
        ("aarch64-unknown-linux-musl", "ubuntu-24.04-arm"),
    ] {
        assert!(
            yaml.contains(&format!(
                "          - target: {target}\n            runner: {runner}\n"
            )),
            "{target}"
        );
        assert!(
            yaml.contains(&format!("            {target}=binaries/wo-{target}/wo")),
            "{target} is packaged"
        );
    }
    assert!(yaml.contains("cargo build --release --locked -p woac-cli --target \"$TARGET\""));
    assert!(yaml.contains("bash scripts/package-release.sh \"${TAG#v}\" dist \\\n"));
    assert!(yaml
        .contains("subject-path: |\n            dist/wo-*.tar.gz\n            dist/SHA256SUMS\n"));
    assert!(yaml.contains("gh release create \"$TAG\" dist/*"));
    assert!(root().join("scripts/package-release.sh").is_file());

    // The action downloads from the releases of the repository the crates name.
    let releases = format!("https://github.com/{}/releases", pins::wo_repository());
    let action = read("action.yml");
    assert!(
        action.contains(&format!("    default: \"{releases}/download\"\n")),
        "action.yml's base-url"
    );
    assert!(action.contains(&format!("uses: {}@v", pins::wo_repository())));
    assert!(read("scripts/install-wo.sh").contains(&format!("RELEASES=\"{releases}\"\n")));
}
