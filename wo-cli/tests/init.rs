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
