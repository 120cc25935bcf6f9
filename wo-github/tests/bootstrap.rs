//! `wo init github --apply` against the strict fake GitHub: what a first run creates, that a
//! second run and a plan (dry run) write nothing, a token without administration, the
//! protection it sets up, and a second app joining the platform.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use wo_core::ErrorKind;
use wo_github::actions::bootstrap::{self, BootstrapOptions, Change, Reviewer};
use wo_github::actions::InitOptions;
use wo_github::client::{GitHub, MergePull, NewPullRequest, RepoId};
use wo_github_fake::{
    Access, FakeGitHub, Permission, Repositories, SecondaryRateLimits, TokenSpec,
};

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

fn client(github: &FakeGitHub, token: String) -> GitHub {
    GitHub::builder()
        .base_url(github.base_url())
        .token(token)
        .token_source("WO_GITHUB_TOKEN")
        .build()
        .unwrap()
}

fn options(github: &FakeGitHub, app: &str) -> BootstrapOptions {
    let ops = github.set_team("acme", "platform", &["carol"]);
    let mut o = BootstrapOptions::new(InitOptions::new("acme", app), FakeGitHub::app_id("wo"));
    o.codeowners = vec!["@acme/platform".into()];
    o.protect = vec!["prod".into()];
    o.reviewers = vec![Reviewer::TeamId(ops)];
    o.variables.insert(
        "WO_RESOURCE_GROUP".into(),
        "/subscriptions/s/resourceGroups/rg".into(),
    );
    o
}

fn summary(plan: &bootstrap::Plan) -> Vec<String> {
    plan.items()
        .iter()
        .map(|i| format!("{} {} {}", i.change, i.repository, i.item))
        .collect()
}

#[tokio::test]
async fn a_first_run_creates_everything_and_a_second_run_writes_nothing() {
    let github = fake().await;
    let gh = client(&github, github.admin_token());
    let opts = options(&github, "shop");
    let main_before = github.branch_sha("acme", "shop-gitops", "main").unwrap();

    let plan = bootstrap::plan(&gh, &opts).await.unwrap();
    assert!(
        github.writes().is_empty(),
        "a plan (dry run) writes nothing"
    );
    let mut want = Vec::new();
    for r in REPOS {
        let full = format!("acme/{r}");
        let source = r.ends_with("-source") || r == "platform-control-plane";
        if source {
            want.push(format!("create {full} environment prod"));
        }
        // Fresh repositories allow all three merge methods, as asked.
        want.push(format!("unchanged {full} merge methods"));
        if source {
            want.push(format!("create {full} variable WO_APP_ID"));
            want.push(format!("create {full} variable WO_RESOURCE_GROUP"));
            want.push(format!("unchanged {full} branch main"));
        } else {
            if r == "platform-config" {
                want.push(format!("create {full} variable WO_APPS"));
            }
            want.push(format!("create {full} variable WO_APP_ID"));
            for env in ["dev", "stage", "prod"] {
                want.push(format!("create {full} branch {env}"));
            }
            want.push(format!("create {full} ruleset wo env branches"));
        }
    }
    // Source repos: the workflows are not on main yet.
    let want: Vec<String> = want
        .into_iter()
        .map(|l| {
            l.replace(
                "unchanged acme/shop-source branch main",
                "update acme/shop-source branch main",
            )
        })
        .map(|l| {
            l.replace(
                "unchanged acme/platform-control-plane branch main",
                "update acme/platform-control-plane branch main",
            )
        })
        .collect();
    assert_eq!(summary(&plan), want);

    plan.apply(&gh).await.unwrap();
    let first_writes = github.writes().len();
    eprintln!(
        "first run: {} items, {first_writes} writes",
        plan.items().len()
    );

    // The env branches start from main (never an empty root) and hold the notify workflow
    // and CODEOWNERS; the source's main holds its three workflows.
    let dev = github.read_tree("acme", "shop-gitops", "dev").unwrap();
    assert!(dev.contains_key("README.md"), "{:?}", dev.keys());
    assert!(dev.contains_key(".github/workflows/notify-on-pr.yml"));
    assert_eq!(
        dev[".github/CODEOWNERS"].lines().last(),
        Some("* @acme/platform")
    );
    assert_eq!(github.log("acme", "shop-gitops", "dev").len(), 2);
    assert_eq!(
        github.branch_sha("acme", "shop-gitops", "main").unwrap(),
        main_before
    );
    let main = github.read_tree("acme", "shop-source", "main").unwrap();
    for w in ["ci-handoff.yml", "prepare-pr.yml", "deploy.yml"] {
        assert!(main.contains_key(&format!(".github/workflows/{w}")), "{w}");
    }
    let rules = github.rulesets("acme", "shop-gitops");
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!(r["enforcement"], "active");
    assert_eq!(
        r["conditions"]["ref_name"]["include"],
        serde_json::json!(["refs/heads/dev", "refs/heads/stage", "refs/heads/prod"])
    );
    assert_eq!(r["bypass_actors"][0]["actor_id"], FakeGitHub::app_id("wo"));
    assert_eq!(r["bypass_actors"].as_array().unwrap().len(), 1);
    let text = r["rules"].to_string();
    assert!(
        text.contains("\"required_approving_review_count\":1"),
        "{text}"
    );
    assert!(
        text.contains("\"require_code_owner_review\":true"),
        "{text}"
    );
    assert!(text.contains("wo/policy"), "{text}");
    assert!(
        text.contains("non_fast_forward") && text.contains("deletion"),
        "{text}"
    );
    assert!(
        !github.rulesets("acme", "shop-config")[0]["rules"]
            .to_string()
            .contains("wo/policy"),
        "config branches need no policy status"
    );
    let env = &github.environments("acme", "shop-source")["prod"];
    assert_eq!(env["protection_rules"][0]["type"], "required_reviewers");
    let vars = github.variables("acme", "shop-source");
    assert_eq!(vars["WO_APP_ID"], FakeGitHub::app_id("wo").to_string());
    assert_eq!(
        github.variables("acme", "platform-config")["WO_APPS"],
        "[\"shop-source\"]"
    );

    let again = bootstrap::plan(&gh, &opts).await.unwrap();
    assert!(
        again.items().iter().all(|i| i.change == Change::Unchanged),
        "{:#?}",
        again.items()
    );
    assert_eq!(again.items().len(), plan.items().len());
    again.apply(&gh).await.unwrap();
    assert_eq!(
        github.writes().len(),
        first_writes,
        "a second run sends no write"
    );
}

#[tokio::test]
async fn a_token_without_administration_is_refused_naming_the_repository_and_the_permission() {
    let github = fake().await;
    let token = github.issue_token(
        TokenSpec::app("wo", Repositories::Owner("acme".into()))
            .permission(Permission::Contents, Access::Write)
            .permission(Permission::Variables, Access::Write)
            .permission(Permission::Actions, Access::Read),
    );
    let gh = client(&github, token);
    let plan = bootstrap::plan(&gh, &options(&github, "shop"))
        .await
        .unwrap();
    let e = plan.apply(&gh).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    let text = e.to_string();
    assert!(text.contains("acme/shop-source"), "{text}");
    assert!(text.contains("administration: write"), "{text}");
    assert!(text.contains("WO_GITHUB_TOKEN"), "{text}");
    // The administration writes come first: nothing else was written.
    assert!(github.variables("acme", "shop-source").is_empty());
    assert!(github.branch_sha("acme", "shop-gitops", "dev").is_none());
}

#[tokio::test]
async fn a_protected_branch_refuses_a_direct_push_and_merges_a_reviewed_pull_request() {
    let github = fake().await;
    let admin = client(&github, github.admin_token());
    let opts = options(&github, "shop");
    bootstrap::plan(&admin, &opts)
        .await
        .unwrap()
        .apply(&admin)
        .await
        .unwrap();

    let dev_user = client(
        &github,
        github.issue_token(
            TokenSpec::user("dave", Repositories::Owner("acme".into()))
                .permission(Permission::Contents, Access::Write)
                .permission(Permission::PullRequests, Access::Write),
        ),
    );
    let config = RepoId::new("acme", "shop-config");
    let dev = github.branch_sha("acme", "shop-config", "dev").unwrap();
    // A change branch from dev, as a user pushes it.
    github.set_branch("acme", "shop-config", "more-replicas", &dev);
    let feature = github.push_files(
        "acme",
        "shop-config",
        "more-replicas",
        &[("values.yaml", Some("replicas: 3\n"))],
        "More replicas",
    );
    let refused = dev_user
        .update_ref(&config, "heads/dev", &feature)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("through a pull request"),
        "{refused}"
    );
    assert_eq!(
        github.branch_sha("acme", "shop-config", "dev").unwrap(),
        dev
    );

    let pr = dev_user
        .create_pull(
            &config,
            &NewPullRequest {
                title: "More replicas".into(),
                head: "more-replicas".into(),
                base: "dev".into(),
                body: String::new(),
            },
        )
        .await
        .unwrap();
    let unreviewed = dev_user
        .merge_pull(&config, pr.number, &MergePull::default())
        .await
        .unwrap_err();
    assert_eq!(unreviewed.kind(), ErrorKind::Precondition, "{unreviewed}");
    github.add_review("acme", "shop-config", pr.number, "carol", "APPROVED");
    let merged = dev_user
        .merge_pull(&config, pr.number, &MergePull::default())
        .await
        .unwrap();
    assert!(merged.merged);
    assert_eq!(
        github
            .read_file("acme", "shop-config", "dev", "values.yaml")
            .as_deref(),
        Some("replicas: 3\n")
    );

    // The gitops branches refuse a direct push too.
    let gitops = RepoId::new("acme", "shop-gitops");
    let head = github.branch_sha("acme", "shop-gitops", "dev").unwrap();
    github.set_branch("acme", "shop-gitops", "by-hand", &head);
    let by_hand = github.push_files(
        "acme",
        "shop-gitops",
        "by-hand",
        &[("shop/store-1/values.yaml", Some("replicas: 9\n"))],
        "By hand",
    );
    let e = dev_user
        .update_ref(&gitops, "heads/dev", &by_hand)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Repository rule violations"), "{e}");
    assert_eq!(
        github.branch_sha("acme", "shop-gitops", "dev").unwrap(),
        head
    );
}

#[tokio::test]
async fn a_second_app_joins_the_platform_and_its_config_changes_notify_both() {
    let github = fake().await;
    // Two apps' first runs are more writes than GitHub's 80 a minute per actor; a real
    // platform team runs them minutes apart.
    github.set_secondary_rate_limits(SecondaryRateLimits::UNLIMITED);
    for r in ["cart-source", "cart-config", "cart-gitops"] {
        github.create_repo("acme", r);
    }
    let gh = client(&github, github.admin_token());
    bootstrap::plan(&gh, &options(&github, "shop"))
        .await
        .unwrap()
        .apply(&gh)
        .await
        .unwrap();
    let platform_dev = github.branch_sha("acme", "platform-config", "dev").unwrap();
    let cart = bootstrap::plan(&gh, &options(&github, "cart"))
        .await
        .unwrap();
    let changed: BTreeSet<String> = cart
        .items()
        .iter()
        .filter(|i| i.change != Change::Unchanged && i.repository.starts_with("acme/platform"))
        .map(|i| format!("{} {} {}", i.change, i.repository, i.item))
        .collect();
    assert_eq!(
        changed,
        BTreeSet::from(["update acme/platform-config variable WO_APPS".to_owned()]),
        "the platform's workflows do not depend on the app"
    );
    cart.apply(&gh).await.unwrap();
    assert_eq!(
        github.variables("acme", "platform-config")["WO_APPS"],
        "[\"cart-source\",\"shop-source\"]"
    );
    assert_eq!(
        github.branch_sha("acme", "platform-config", "dev").unwrap(),
        platform_dev
    );
    // Shop again: nothing changes, cart stays.
    let shop = bootstrap::plan(&gh, &options(&github, "shop"))
        .await
        .unwrap();
    assert!(shop.is_unchanged(), "{:#?}", shop.items());

    let workflow = github
        .read_file(
            "acme",
            "platform-config",
            "dev",
            ".github/workflows/notify-on-config-change.yml",
        )
        .unwrap();
    assert!(
        workflow.contains("WO_APPS: ${{ vars.WO_APPS }}"),
        "{workflow}"
    );
    assert!(workflow.contains("repositories: ${{ steps.apps.outputs.repositories }}"));
    assert!(workflow.contains("\"$GITHUB_API_URL/repos/acme/$repo/dispatches\""));
    // The dispatch step, run with the variable's value, reaches both apps.
    let targets = apps_step(&workflow, "[\"cart-source\",\"shop-source\"]");
    assert_eq!(
        targets,
        (
            "cart-source,shop-source".to_owned(),
            "platform-control-plane,cart-source,shop-source".to_owned()
        )
    );
    let (refused, _, _dir) = run_apps_step(&workflow, "[\"x\",\"../evil\"]");
    assert!(!refused.status.success(), "a bad name stops the job");
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("platform-config/.github/workflows/notify-on-config-change.yml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &workflow).unwrap();
    let (code, text) = actionlint(dir.path(), &[path]);
    assert_eq!((code, text.as_str()), (0, ""), "actionlint findings");
}

/// The `run:` script of the step `Apps of the platform`.
fn apps_script(workflow: &str) -> String {
    let start = workflow
        .find("- name: Apps of the platform")
        .expect("the apps step");
    let rest = &workflow[start..];
    let run = rest.find("run: |\n").unwrap() + "run: |\n".len();
    rest[run..]
        .lines()
        .take_while(|l| l.starts_with("          ") || l.is_empty())
        .map(|l| l.get(10..).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_apps_step(workflow: &str, apps: &str) -> (std::process::Output, PathBuf, tempfile::TempDir) {
    // The step runs on GitHub's runners with their bash and jq; here with the machine's.
    let jq = Command::new("jq").arg("--version").output();
    assert!(
        jq.is_ok_and(|o| o.status.success()),
        "this test runs the workflow's step, which needs jq on PATH (apt-get install jq)"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    std::fs::write(&out, "").unwrap();
    let run = Command::new("bash")
        .arg("-eo")
        .arg("pipefail")
        .arg("-c")
        .arg(apps_script(workflow))
        .env("WO_APPS", apps)
        .env("CONTROL_PLANE", "platform-control-plane")
        .env("GITHUB_OUTPUT", &out)
        .output()
        .unwrap();
    (run, out, dir)
}

fn apps_step(workflow: &str, apps: &str) -> (String, String) {
    let (run, out, _dir) = run_apps_step(workflow, apps);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(out).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_default()
            .to_owned()
    };
    (get("apps"), get("repositories"))
}

/// Runs actionlint (with shellcheck) on `files` under `dir`, as `tests/actions.rs` does.
fn actionlint(dir: &Path, files: &[PathBuf]) -> (i32, String) {
    let out = Command::new(wo_test_support::tool("actionlint"))
        .current_dir(dir)
        .arg("-no-color")
        .arg("-shellcheck")
        .arg(wo_test_support::tool("shellcheck"))
        .arg("-pyflakes=")
        .args(files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn a_later_change_to_a_protected_branch_waits_in_a_pull_request() {
    let github = fake().await;
    // Two full runs are more writes than GitHub's 80 a minute per actor; they are minutes
    // apart in real use.
    github.set_secondary_rate_limits(SecondaryRateLimits::UNLIMITED);
    let gh = client(&github, github.admin_token());
    let mut opts = options(&github, "shop");
    bootstrap::plan(&gh, &opts)
        .await
        .unwrap()
        .apply(&gh)
        .await
        .unwrap();
    let dev = github.branch_sha("acme", "shop-config", "dev").unwrap();

    // A new wo version changes every workflow file; the owner's token is no bypass actor.
    opts.init.wo_version = "9.9.9".into();
    let plan = bootstrap::plan(&gh, &opts).await.unwrap();
    let updates: Vec<String> = plan
        .items()
        .iter()
        .filter(|i| i.change != Change::Unchanged)
        .map(|i| format!("{} {}", i.repository, i.item))
        .collect();
    assert_eq!(updates.len(), 14, "{updates:#?}");
    let config_dev = plan
        .items()
        .iter()
        .find(|i| i.repository == "acme/shop-config" && i.item == "branch dev")
        .unwrap();
    assert!(
        config_dev
            .detail
            .contains("through the pull request wo-init/dev → dev"),
        "{config_dev:?}"
    );
    plan.apply(&gh).await.unwrap();
    assert_eq!(
        github.branch_sha("acme", "shop-config", "dev").unwrap(),
        dev,
        "the protected branch did not move"
    );
    let pulls = github.pulls("acme", "shop-config");
    assert_eq!(pulls.len(), 3, "one per env branch");
    assert!(pulls
        .iter()
        .all(|p| p.head == format!("wo-init/{}", p.base)));
    assert!(github
        .read_file(
            "acme",
            "shop-source",
            "main",
            ".github/workflows/deploy.yml"
        )
        .unwrap()
        .contains("9.9.9"));

    // Waiting for review is no change: no second pull request, no write.
    let writes = github.writes().len();
    let again = bootstrap::plan(&gh, &opts).await.unwrap();
    assert!(again.is_unchanged(), "{:#?}", again.items());
    again.apply(&gh).await.unwrap();
    assert_eq!(github.writes().len(), writes);

    // Reviewed by a code owner and merged, the branch holds the new files.
    let pr = pulls.iter().find(|p| p.base == "dev").unwrap();
    github.add_review("acme", "shop-config", pr.number, "carol", "APPROVED");
    gh.merge_pull(
        &RepoId::new("acme", "shop-config"),
        pr.number,
        &MergePull::default(),
    )
    .await
    .unwrap();
    assert!(github
        .read_file(
            "acme",
            "shop-config",
            "dev",
            ".github/workflows/notify-on-config-change.yml"
        )
        .unwrap()
        .contains("9.9.9"));
}
