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

// ---------------------------------------------------------------------------------------------
// `--apply`: the repositories set up over the API, against the strict fake GitHub
// ---------------------------------------------------------------------------------------------

mod apply {
    use std::process::{Command, Output};

    use wo_github_fake::{Access, FakeGitHub, Permission, Repositories, TokenSpec};

    const REPOS: [&str; 6] = [
        "shop-source",
        "shop-config",
        "shop-gitops",
        "platform-control-plane",
        "platform-config",
        "platform-gitops",
    ];

    async fn fake() -> FakeGitHub {
        let github = FakeGitHub::start().await.unwrap();
        for r in REPOS {
            github.create_repo("acme", r);
        }
        github
    }

    /// Runs `wo init github --owner acme --app shop --apply …` with `token` in WO_GITHUB_TOKEN
    /// (on a blocking thread: the fake answers on the runtime's others).
    async fn wo_apply(github: &FakeGitHub, token: Option<&str>, extra: &[&str]) -> Output {
        let team = github.set_team("acme", "platform", &["carol"]);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wo"));
        cmd.args([
            "init",
            "github",
            "--owner",
            "acme",
            "--app",
            "shop",
            "--apply",
            "--app-id",
            &FakeGitHub::app_id("wo").to_string(),
            "--codeowners",
            "@acme/platform",
            "--reviewers",
            &format!("team:{team}"),
            "--resource-group",
            "/subscriptions/s/resourceGroups/rg",
        ])
        .args(extra)
        .env("GITHUB_API_URL", github.base_url())
        .env_remove("GITHUB_TOKEN")
        .env_remove("WO_GITHUB_TOKEN");
        if let Some(t) = token {
            cmd.env("WO_GITHUB_TOKEN", t);
        }
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }

    fn text(o: &Output) -> (String, String) {
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dry_run_prints_the_plan_and_writes_nothing() {
        let github = fake().await;
        let token = github.admin_token();
        let run = wo_apply(&github, Some(&token), &["--dry-run", "-o", "json"]).await;
        let (out, err) = text(&run);
        assert!(run.status.success(), "{err}");
        assert!(github.writes().is_empty(), "{:?}", github.writes());
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["dryRun"], true);
        let items = doc["items"].as_array().unwrap();
        assert_eq!(items.len(), 35, "{out}");
        assert!(items.iter().any(|i| i["repository"] == "acme/shop-gitops"
            && i["item"] == "ruleset wo env branches"
            && i["change"] == "create"));
        assert!(!out.contains(&token) && !err.contains(&token));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn apply_twice_the_second_run_is_all_unchanged_and_sends_no_write() {
        let github = fake().await;
        let token = github.admin_token();
        let first = wo_apply(&github, Some(&token), &[]).await;
        let (out, err) = text(&first);
        assert!(first.status.success(), "{err}");
        assert!(out.contains("create    acme/shop-gitops branch dev: from main, with .github/CODEOWNERS, .github/workflows/notify-on-pr.yml"), "{out}");
        assert!(
            out.contains("gh secret set WO_APP_PRIVATE_KEY --org acme"),
            "{out}"
        );
        let writes = github.writes().len();
        assert!(writes > 0);
        assert_eq!(github.rulesets("acme", "platform-gitops").len(), 1);

        let second = wo_apply(&github, Some(&token), &[]).await;
        let (out, err) = text(&second);
        assert!(second.status.success(), "{err}");
        let items: Vec<&str> = out.lines().filter(|l| l.contains(" acme/")).collect();
        assert_eq!(items.len(), 35, "{out}");
        assert!(items.iter().all(|l| l.starts_with("unchanged ")), "{out}");
        assert!(
            out.contains("0 to create, 0 to update, 35 unchanged"),
            "{out}"
        );
        assert_eq!(github.writes().len(), writes, "no write the second time");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_without_administration_fails_naming_the_repository_and_permission() {
        let github = fake().await;
        let token = github.issue_token(
            TokenSpec::app("wo", Repositories::Owner("acme".into()))
                .permission(Permission::Contents, Access::Write)
                .permission(Permission::Variables, Access::Write)
                .permission(Permission::Actions, Access::Read),
        );
        let run = wo_apply(&github, Some(&token), &[]).await;
        let (out, err) = text(&run);
        assert_eq!(run.status.code(), Some(1), "{out}{err}");
        assert!(err.contains("acme/shop-source"), "{err}");
        assert!(err.contains("administration: write"), "{err}");
        assert!(err.contains("WO_GITHUB_TOKEN"), "{err}");
        assert!(!out.contains(&token) && !err.contains(&token));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn apply_without_a_token_or_app_is_bad_input() {
        let github = fake().await;
        let run = wo_apply(&github, None, &[]).await;
        let (_, err) = text(&run);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains("WO_GITHUB_TOKEN"), "{err}");
        let run = wo_apply(&github, Some(&github.admin_token()), &["--out", "x"]).await;
        assert_eq!(run.status.code(), Some(2));
        assert!(github.writes().is_empty());
    }
}
