//! The workflows `wo init github` writes, run: GitHub's own workflow parser and expression
//! engine interpret them (wo_test_support::actions), `run:` steps run for real with the `wo`
//! built here, against the strict fake GitHub (issued tokens with the jobs' permissions,
//! GitHub's event trigger rules, merge methods) and the WO simulator. Nothing plays a
//! workflow's part by hand: the test only pushes source commits and, as the reviewer, merges
//! the change requests wo opens.

mod azure_common;
mod github_e2e_common;
mod workflows_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use github_e2e_common::{example, ALL_TARGETS, ENVIRONMENTS, OWNER};
use serde_json::Value;
use wo_github::client::{GitHub, MergePull, RepoId};
use wo_github_fake::{FakeGitHub, Repositories, TokenSpec};
use workflows_common::{Actions, WorkflowRun};

const APP: &str = "shop";
const SOURCE: &str = "shop-source";
const CONFIG: &str = "shop-config";
const GITOPS: &str = "shop-gitops";
const PLATFORM_SOURCE: &str = "platform-control-plane";
const PLATFORM_CONFIG: &str = "platform-config";
const PLATFORM_GITOPS: &str = "platform-gitops";
const REPOS: [&str; 6] = [
    SOURCE,
    CONFIG,
    GITOPS,
    PLATFORM_SOURCE,
    PLATFORM_CONFIG,
    PLATFORM_GITOPS,
];

/// The app's own CI, which the hand-off to wo follows.
const APP_CI: &str = "name: CI\non:\n  push:\n    branches: [main]\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \"tests pass\"\n";

struct World {
    rt: tokio::runtime::Runtime,
    fake: FakeGitHub,
    azure: azure_common::Azure,
    actions: Actions,
    /// The workflows `wo init github` wrote, per repository.
    workflows: PathBuf,
    _dir: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fake = rt.block_on(FakeGitHub::start()).expect("fake starts");
        for r in REPOS {
            fake.create_repo(OWNER, r);
            fake.set_private(OWNER, r, true);
        }
        let dir = tempfile::tempdir().unwrap();
        let workflows = dir.path().join("workflows");
        let out = Command::new(env!("CARGO_BIN_EXE_wo"))
            .args(["init", "github", "--owner", OWNER, "--app", APP, "--out"])
            .arg(&workflows)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let azure = azure_common::Azure::start(ALL_TARGETS);
        let mut actions = Actions::new();
        actions.repositories = REPOS.iter().map(|r| format!("{OWNER}/{r}")).collect();
        for (k, v) in [
            ("WO_APP_ID", "12345"),
            ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-0000000000c1"),
            ("AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000000a1"),
            ("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000001"),
            ("WO_RESOURCE_GROUP", azure_common::RESOURCE_GROUP),
        ] {
            actions.vars.insert(k.into(), v.into());
        }
        actions
            .secrets
            .insert("WO_APP_PRIVATE_KEY".into(), "-----BEGIN RSA PRIVATE KEY-----".into());
        let bin = Path::new(env!("CARGO_BIN_EXE_wo")).parent().unwrap();
        actions.env.insert(
            "PATH".into(),
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
        );
        actions.env.insert(
            "WO_HELM".into(),
            wo_test_support::tool("helm").display().to_string(),
        );
        for (k, v) in azure.env() {
            if k != "WO_RESOURCE_GROUP" {
                actions.env.insert(k.into(), v);
            }
        }
        World {
            rt,
            fake,
            azure,
            actions,
            workflows,
            _dir: dir,
        }
    }

    /// The generated workflows of `repo`, as files to push.
    fn workflow_files(&self, repo: &str) -> Vec<(String, String)> {
        let dir = self.workflows.join(repo).join(".github/workflows");
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| {
                let p = e.unwrap().path();
                (
                    format!(".github/workflows/{}", p.file_name().unwrap().to_string_lossy()),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    fn push(&self, repo: &str, branch: &str, files: &[(String, String)], message: &str) -> String {
        github_e2e_common::push(&self.fake, repo, branch, files, message)
    }

    /// The six repositories as a platform team sets them up: source and config content, the
    /// generated workflows on every branch a workflow is read from (a source repo's main; a
    /// gitops or config repo's env branches, where `pull_request` workflows are read), and
    /// no event left over.
    fn set_up(&self) {
        let mut source = example("shop/source");
        source.extend(self.workflow_files(SOURCE));
        source.push((".github/workflows/ci.yml".into(), APP_CI.into()));
        self.push(SOURCE, "main", &source, "shop: first version");
        let mut platform = example("platform/source");
        platform.extend(self.workflow_files(PLATFORM_SOURCE));
        self.push(PLATFORM_SOURCE, "main", &platform, "platform: first version");
        for env in ENVIRONMENTS {
            let mut values = example(&format!("demo/app-config/{env}"));
            values.extend(self.workflow_files(CONFIG));
            self.push(CONFIG, env, &values, "values");
            let mut fleet = example(&format!("demo/platform-config/{env}"));
            fleet.extend(self.workflow_files(PLATFORM_CONFIG));
            self.push(PLATFORM_CONFIG, env, &fleet, "fleet");
            self.push(GITOPS, env, &self.workflow_files(GITOPS), "notify workflows");
            self.push(
                PLATFORM_GITOPS,
                env,
                &self.workflow_files(PLATFORM_GITOPS),
                "notify workflows",
            );
        }
        self.fake.take_events();
    }

    /// A reviewer (a user with write access) merges the open change request into `env` of
    /// `repo` with `method`; returns the pull request's number.
    fn review_and_merge(&self, repo: &str, env: &str, method: &str) -> u64 {
        let open: Vec<_> = self
            .fake
            .pulls(OWNER, repo)
            .into_iter()
            .filter(|p| p.state == "open" && p.base == env)
            .collect();
        assert_eq!(open.len(), 1, "one open change request into {repo}:{env}: {open:?}");
        let pr = &open[0];
        let token = self.fake.issue_token(
            TokenSpec::user("reviewer", Repositories::Owner(OWNER.into()))
                .all_permissions(wo_github_fake::Access::Write),
        );
        let gh = GitHub::builder()
            .base_url(self.fake.base_url())
            .token(token)
            .build()
            .unwrap();
        let merge = MergePull {
            merge_method: Some(method.into()),
            sha: self.fake.branch_sha(OWNER, repo, &pr.head),
            ..Default::default()
        };
        self.rt
            .block_on(gh.merge_pull(&RepoId::parse(&format!("{OWNER}/{repo}")).unwrap(), pr.number, &merge))
            .unwrap_or_else(|e| panic!("merge #{} with {method}: {e}", pr.number));
        pr.number
    }

    fn status(&self, sha: &str, context: &str) -> Option<String> {
        self.fake
            .statuses(OWNER, SOURCE, sha)
            .into_iter()
            .rev()
            .find(|s| s.context == context)
            .map(|s| s.state)
    }
}

fn all_succeeded(runs: &[WorkflowRun]) {
    let failed: Vec<String> = runs
        .iter()
        .filter(|r| r.conclusion() != "success")
        .map(WorkflowRun::describe)
        .collect();
    assert!(failed.is_empty(), "failed runs:\n{}", failed.join("\n"));
}

fn names(runs: &[WorkflowRun]) -> Vec<String> {
    runs.iter()
        .map(|r| format!("{}:{}", r.repository.trim_start_matches("acme/"), r.workflow.trim_start_matches(".github/workflows/")))
        .collect()
}

#[test]
fn a_source_commit_travels_to_prod_through_the_generated_workflows() {
    let mut w = World::start();
    w.set_up();

    // A developer pushes to the source repo's main.
    let mut files = example("shop/source");
    let values = files
        .iter_mut()
        .find(|(p, _)| p == "wo/schema.yaml")
        .expect("schema");
    values.1.push('\n');
    let commit = w.push(SOURCE, "main", &files, "shop: a change");
    let runs = w.actions.pump(&w.fake, 20);
    all_succeeded(&runs);
    let started = names(&runs);
    assert!(started.contains(&"shop-source:prepare-pr.yml".to_string()), "{started:?}");

    // The reviewer merges each environment's change request with another merge button.
    for (env, method) in ENVIRONMENTS.iter().zip(["merge", "squash", "rebase"]) {
        w.review_and_merge(GITOPS, env, method);
        let runs = w.actions.pump(&w.fake, 20);
        all_succeeded(&runs);
        let started = names(&runs);
        assert!(started.contains(&"shop-gitops:notify-on-pr.yml".to_string()), "{env}: {started:?}");
        assert!(started.contains(&"shop-source:deploy.yml".to_string()), "{env}: {started:?}");
        assert_eq!(
            w.status(&commit, &format!("wo/{env}")).as_deref(),
            Some("success"),
            "wo/{env} on {commit} after a {method} merge"
        );
    }
    let open: Vec<Value> = w
        .fake
        .pulls(OWNER, GITOPS)
        .into_iter()
        .filter(|p| p.state == "open")
        .map(|p| Value::String(p.title))
        .collect();
    assert!(open.is_empty(), "nothing left to review after prod: {open:?}");
    let _ = &w.azure;
}
