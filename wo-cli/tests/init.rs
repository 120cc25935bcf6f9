//! `wo init github` writes the workflows of the six repositories, and refuses bad names.

use std::process::Command;

fn wo(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wo"))
        .args(args)
        .env("WO_HELM", wo_test_support::tool("helm"))
        .output()
        .expect("run wo")
}

#[test]
fn init_github_writes_the_workflows_of_six_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let run = wo(&[
        "init", "github", "--owner", "acme", "--app", "shop", "--out", &out,
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut repos: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    repos.sort();
    assert_eq!(
        repos,
        [
            "platform-config",
            "platform-control-plane",
            "platform-gitops",
            "shop-config",
            "shop-gitops",
            "shop-source"
        ]
    );
    let deploy =
        std::fs::read_to_string(dir.path().join("shop-source/.github/workflows/deploy.yml"))
            .unwrap();
    assert!(deploy.contains("azure/login@"), "{deploy}");
    assert!(deploy.contains("id-token: write"), "{deploy}");
    assert!(deploy.contains("cancel-in-progress: false"), "{deploy}");
}

#[test]
fn init_github_refuses_hostile_names_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let run = wo(&[
        "init", "github", "--owner", "acme", "--app", "../x", "--out", &out,
    ]);
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

fn deploy_workflow(extra: &[&str]) -> (std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let mut args = vec![
        "init", "github", "--owner", "acme", "--app", "shop", "--out", &out,
    ];
    args.extend_from_slice(extra);
    let run = wo(&args);
    let deploy =
        std::fs::read_to_string(dir.path().join("shop-source/.github/workflows/deploy.yml"))
            .unwrap_or_default();
    (run, deploy)
}

#[test]
fn init_github_installs_wo_with_its_action_by_default_and_with_cargo_on_request() {
    let version = env!("CARGO_PKG_VERSION");
    let (run, default) = deploy_workflow(&[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (run, action) = deploy_workflow(&["--install", "action"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(default, action, "action is the default");
    assert!(
        action.contains(&format!(
            "        uses: wo-as-code/wo@v{version}\n        with:\n          version: ${{{{ env.WO_VERSION }}}}\n"
        )),
        "{action}"
    );
    assert!(!action.contains("cargo install"), "{action}");

    let (run, cargo) = deploy_workflow(&["--install", "cargo"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        cargo.contains("run: cargo install --locked woac-cli --version \"$WO_VERSION\"\n"),
        "{cargo}"
    );
    assert!(!cargo.contains("wo-as-code/wo@"), "{cargo}");
    assert!(cargo.contains(&format!("WO_VERSION: \"{version}\"")));
}

#[test]
fn init_github_refuses_an_unknown_install_method_and_writes_nothing() {
    let (run, deploy) = deploy_workflow(&["--install", "curl"]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("'curl'") && stderr.contains("action, cargo"),
        "{stderr}"
    );
    assert_eq!(deploy, "");
}
