//! The workflows `wo init github` writes, run: GitHub's own workflow parser and expression
//! engine interpret them (wo_test_support::actions), `run:` steps run for real with the `wo`
//! built here, against the strict fake GitHub (issued tokens with the jobs' permissions,
//! GitHub's event trigger rules, merge methods) and the WO simulator. Nothing plays a
//! workflow's part by hand: the test only pushes source commits and, as the reviewer, merges
//! the change requests wo opens.

mod azure_common;
mod github_e2e_common;
mod release_common;
mod workflows_common;

use std::process::Command;

use github_e2e_common::{example, ALL_TARGETS, ENVIRONMENTS, OWNER};
use wo_github::client::{GitHub, MergePull, NewPullRequest, RepoId};
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
    /// Stoplight Prism in front of the fake: every request of every run, and every answer,
    /// checked against GitHub's official OpenAPI description (`--errors`: a violation fails
    /// the request, and with it the run).
    _prism: wo_test_support::prism::PrismProxy,
    /// wo's releases (the `wo` built here, packaged as the release workflow packages it),
    /// where wo's action downloads from.
    releases: release_common::ReleaseServer,
    _dir: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        Self::start_trusting(&ENVIRONMENTS)
    }

    /// As [`start`](World::start), with federated credentials for the deploy jobs of
    /// `trusted` environments only.
    fn start_trusting(trusted: &[&str]) -> World {
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
        // Azure as the adoption guide sets it up: an app registration trusting the source
        // repo's deploy jobs, one federated credential per environment, Contributor on the
        // resource group; wo signs in from the job's OIDC token.
        let subjects: Vec<String> = trusted
            .iter()
            .map(|e| format!("repo:{OWNER}/{SOURCE}:environment:{e}"))
            .collect();
        let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
        let azure = azure_common::Azure::with_identity(ALL_TARGETS, &subjects);
        let identity = azure.identity.as_ref().expect("identity");
        let prism = github_e2e_common::start_prism(fake.base_url());
        let mut actions = Actions::new();
        actions.api_url = Some(prism.base_url());
        // Prism matches responses by the Accept header; GitHub's JSON is what it describes.
        actions
            .env
            .insert("WO_GITHUB_ACCEPT".into(), "application/json".into());
        actions.repositories = REPOS.iter().map(|r| format!("{OWNER}/{r}")).collect();
        for (k, v) in [
            ("WO_APP_ID", "12345"),
            ("AZURE_CLIENT_ID", identity.app.client_id.as_str()),
            ("AZURE_TENANT_ID", azure_common::TENANT),
            (
                "AZURE_SUBSCRIPTION_ID",
                "00000000-0000-0000-0000-000000000001",
            ),
            ("WO_RESOURCE_GROUP", azure_common::RESOURCE_GROUP),
        ] {
            actions.vars.insert(k.into(), v.into());
        }
        let oidc = identity.oidc.clone();
        actions.id_token = Some(Box::new(move |ask: &serde_json::Value| {
            let repository = ask["repository"].as_str().unwrap_or_default();
            let job = match ask["environment"].as_str() {
                Some(env) => wo_azure_sim::ActionsJob::environment(repository, env),
                None => wo_azure_sim::ActionsJob::branch(
                    repository,
                    ask["ref"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_start_matches("refs/heads/"),
                ),
            };
            let request = oidc.start_job(job);
            (request.url, request.token.expose().to_string())
        }));
        actions.secrets.insert(
            "WO_APP_PRIVATE_KEY".into(),
            "-----BEGIN RSA PRIVATE KEY-----".into(),
        );
        // wo is not on the runner: the workflows install it with wo's action, from a release.
        actions
            .env
            .insert("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into());
        let release_dir = dir.path().join("releases");
        let out = release_common::package(
            release_common::VERSION,
            &release_dir.join(format!("v{}", release_common::VERSION)),
        );
        assert!(out.status.success(), "{}", release_common::text(&out));
        let releases = release_common::ReleaseServer::start(release_dir);
        actions.actions.insert(
            "wo-as-code/wo".into(),
            serde_json::json!({
                "dir": release_common::root(),
                "inputs": { "base-url": releases.base_url() },
            }),
        );
        actions.env.insert(
            "WO_HELM".into(),
            wo_test_support::tool("helm").display().to_string(),
        );
        // The registry and resource group are repository variables, as the adoption guide sets
        // them; the ARM endpoint (the simulator) and its token are the runner's network.
        for (k, v) in azure.env() {
            match k {
                "WO_RESOURCE_GROUP" | "WO_REGISTRY" => {
                    actions.vars.insert(k.into(), v);
                }
                _ => {
                    actions.env.insert(k.into(), v);
                }
            }
        }
        World {
            rt,
            fake,
            azure,
            actions,
            _prism: prism,
            releases,
            _dir: dir,
        }
    }

    fn push(&self, repo: &str, branch: &str, files: &[(String, String)], message: &str) -> String {
        github_e2e_common::push(&self.fake, repo, branch, files, message)
    }

    /// The six repositories as a platform team sets them up: source and config content, the
    /// generated workflows on every branch a workflow is read from (a source repo's main; a
    /// gitops or config repo's env branches, where `pull_request` workflows are read), and
    /// no event left over.
    fn set_up(&self) {
        // `wo init github --apply`, as an organisation owner: env branches holding the
        // workflows, rulesets on the gitops and config env branches (a reviewed pull request,
        // code owners, the `wo/policy` check, no force push; only the wo App bypasses),
        // environments with reviewers for prod, the variables the workflows read.
        let team = self.fake.set_team(OWNER, "platform", &["reviewer"]);
        let vars = &self.actions.vars;
        let out = Command::new(env!("CARGO_BIN_EXE_wo"))
            .args(["init", "github", "--owner", OWNER, "--app", APP, "--apply"])
            .args(["--app-id", &FakeGitHub::app_id("wo").to_string()])
            .args(["--codeowners", &format!("@{OWNER}/platform")])
            .args(["--reviewers", &format!("team:{team}")])
            .args(["--resource-group", &vars["WO_RESOURCE_GROUP"]])
            .args(["--registry", &vars["WO_REGISTRY"]])
            .args(["--azure-client-id", &vars["AZURE_CLIENT_ID"]])
            .args(["--azure-tenant-id", &vars["AZURE_TENANT_ID"]])
            .args(["--azure-subscription-id", &vars["AZURE_SUBSCRIPTION_ID"]])
            .env("GITHUB_API_URL", self.fake.base_url())
            .env("WO_GITHUB_TOKEN", self.fake.admin_token())
            .env_remove("GITHUB_TOKEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wo init github --apply: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The teams' content (a push by the test is not held to the rulesets).
        let mut source = example("shop/source");
        source.push((".github/workflows/ci.yml".into(), APP_CI.into()));
        self.push(SOURCE, "main", &source, "shop: first version");
        self.push(
            PLATFORM_SOURCE,
            "main",
            &example("platform/source"),
            "platform: first version",
        );
        for env in ENVIRONMENTS {
            self.push(
                CONFIG,
                env,
                &example(&format!("demo/app-config/{env}")),
                "values",
            );
            self.push(
                PLATFORM_CONFIG,
                env,
                &example(&format!("demo/platform-config/{env}")),
                "fleet",
            );
        }
        self.fake.take_events();
    }

    /// A reviewer (a user with write access) merges the open change request into `env` of
    /// `repo` with `method`; returns the pull request's number.
    fn review_and_merge(&self, repo: &str, env: &str, method: &str) -> u64 {
        self.try_review_and_merge(repo, env, method)
            .unwrap_or_else(|(n, e)| panic!("merge #{n} with {method}: {e}"))
    }

    /// As [`review_and_merge`](World::review_and_merge), returning GitHub's refusal.
    fn try_review_and_merge(
        &self,
        repo: &str,
        env: &str,
        method: &str,
    ) -> Result<u64, (u64, wo_core::Error)> {
        let open: Vec<_> = self
            .fake
            .pulls(OWNER, repo)
            .into_iter()
            .filter(|p| p.state == "open" && p.base == env)
            .collect();
        assert_eq!(
            open.len(),
            1,
            "one open change request into {repo}:{env}: {open:?}"
        );
        let pr = &open[0];
        // The ruleset wants an approval from a code owner (the team `platform`).
        self.fake
            .add_review(OWNER, repo, pr.number, "reviewer", "APPROVED");
        let gh = self.user("reviewer");
        let merge = MergePull {
            merge_method: Some(method.into()),
            sha: self.fake.branch_sha(OWNER, repo, &pr.head),
            ..Default::default()
        };
        self.rt
            .block_on(gh.merge_pull(
                &RepoId::parse(&format!("{OWNER}/{repo}")).unwrap(),
                pr.number,
                &merge,
            ))
            .map_err(|e| (pr.number, e))?;
        Ok(pr.number)
    }

    /// A client acting as the user `login`, with write access to the owner's repositories.
    fn user(&self, login: &str) -> GitHub {
        let token = self.fake.issue_token(
            TokenSpec::user(login, Repositories::Owner(OWNER.into()))
                .all_permissions(wo_github_fake::Access::Write),
        );
        GitHub::builder()
            .base_url(self.fake.base_url())
            .token(token)
            .build()
            .unwrap()
    }

    /// A developer proposes `files` for `branch` of `repo` in a pull request (from a branch of
    /// their own) and a reviewer merges it with a merge commit; returns the runs it started.
    fn change_through_pull_request(
        &mut self,
        repo: &str,
        branch: &str,
        files: &[(&str, &str)],
    ) -> Vec<WorkflowRun> {
        let head = format!("change-{branch}");
        let base = self
            .fake
            .branch_sha(OWNER, repo, branch)
            .expect("env branch");
        self.fake.set_branch(OWNER, repo, &head, &base);
        let edits: Vec<(&str, Option<&str>)> = files.iter().map(|(p, t)| (*p, Some(*t))).collect();
        self.fake
            .push_files(OWNER, repo, &head, &edits, "a values change");
        let id = RepoId::parse(&format!("{OWNER}/{repo}")).unwrap();
        let pr = self
            .rt
            .block_on(self.user("developer").create_pull(
                &id,
                &NewPullRequest {
                    title: "A values change".into(),
                    head: head.clone(),
                    base: branch.into(),
                    body: String::new(),
                },
            ))
            .expect("open the pull request");
        self.actions.pump(&self.fake, 20);
        self.fake
            .add_review(OWNER, repo, pr.number, "reviewer", "APPROVED");
        let merge = MergePull {
            merge_method: Some("merge".into()),
            ..Default::default()
        };
        self.rt
            .block_on(self.user("reviewer").merge_pull(&id, pr.number, &merge))
            .expect("merge the pull request");
        self.actions.pump(&self.fake, 20)
    }

    /// Pushes a change of the source repo's main and carries it as far as it goes: the app's
    /// CI, the hand-off, then for each environment the reviewer merging wo's change request
    /// with the next of `methods` and the runs that starts. Returns the commit and every run.
    fn promote(&mut self, what: &str, methods: &[&str]) -> (String, Vec<WorkflowRun>) {
        let mut files = example("shop/source");
        let schema = files
            .iter_mut()
            .find(|(p, _)| p == "wo/schema.yaml")
            .expect("schema");
        schema.1.push_str(&format!("# {what}\n"));
        let commit = self.push(SOURCE, "main", &files, what);
        let mut runs = self.actions.pump(&self.fake, 20);
        for (env, method) in ENVIRONMENTS.iter().zip(methods) {
            let open = self
                .fake
                .pulls(OWNER, GITOPS)
                .into_iter()
                .any(|p| p.state == "open" && p.base == *env);
            if !open {
                break;
            }
            self.review_and_merge(GITOPS, env, method);
            runs.extend(self.actions.pump(&self.fake, 20));
        }
        (commit, runs)
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
        .map(|r| {
            format!(
                "{}:{}",
                r.repository.trim_start_matches("acme/"),
                r.workflow.trim_start_matches(".github/workflows/")
            )
        })
        .collect()
}

fn started(runs: &[WorkflowRun], name: &str) -> usize {
    names(runs).iter().filter(|n| *n == name).count()
}

#[test]
fn a_source_commit_travels_to_prod_through_the_generated_workflows_and_any_merge_button() {
    let mut w = World::start();
    w.set_up();
    let (commit, runs) = w.promote("shop: a change", &["merge", "squash", "rebase"]);
    all_succeeded(&runs);
    // The app's CI ran first; the hand-off followed it (workflow_run), then prepare-pr.
    let order = names(&runs);
    let position = |n: &str| order.iter().position(|x| x == n).unwrap_or(usize::MAX);
    assert!(
        position("shop-source:ci.yml") < position("shop-source:ci-handoff.yml")
            && position("shop-source:ci-handoff.yml") < position("shop-source:prepare-pr.yml"),
        "{order:?}"
    );
    // One notify and one deploy per environment; the gitops pull requests wo opened (with
    // the App's token) started no notify of their own: only the merges did.
    assert_eq!(
        started(&runs, "shop-gitops:notify-on-pr.yml"),
        3,
        "{order:?}"
    );
    assert_eq!(started(&runs, "shop-source:deploy.yml"), 3, "{order:?}");
    for env in ENVIRONMENTS {
        assert_eq!(
            w.status(&commit, &format!("wo/{env}")).as_deref(),
            Some("success"),
            "wo/{env} on {commit}"
        );
    }
    let merged: Vec<(String, Option<String>)> = w
        .fake
        .pulls(OWNER, GITOPS)
        .into_iter()
        .filter(|p| p.merged)
        .map(|p| (p.base, p.merged_by))
        .collect();
    assert_eq!(merged.len(), 3, "{merged:?}");
    assert!(
        merged
            .iter()
            .all(|(_, by)| by.as_deref() == Some("reviewer")),
        "{merged:?}"
    );
    assert!(
        w.fake
            .pulls(OWNER, GITOPS)
            .iter()
            .all(|p| p.state != "open"),
        "nothing left to review after prod"
    );
    // wo was installed by wo's action from the release (checksum verified), never from PATH.
    assert!(
        w.releases
            .requests()
            .iter()
            .any(|r| r.ends_with("/SHA256SUMS")),
        "{:?}",
        w.releases.requests()
    );
    // wo signed in to Azure from each deploy job's OIDC token, exchanged at Entra ID.
    let identity = w.azure.identity.as_ref().unwrap();
    assert!(identity.oidc.issued() >= 3 && identity.entra.exchanges() >= 3);
    assert_eq!(identity.entra.refusals(), 0);
    // Every job's GITHUB_TOKEN had exactly its `permissions:`: deploy's could set statuses
    // and ask for an OIDC token, and nothing else.
    let deploy = runs
        .iter()
        .find(|r| r.workflow.ends_with("deploy.yml"))
        .expect("a deploy run");
    assert_eq!(
        deploy.result["jobs"]["deploy"]["permissions"],
        serde_json::json!({"contents": "read", "id-token": "write", "statuses": "write", "metadata": "read"})
    );
}

#[test]
fn a_config_change_in_stage_re_renders_stage_only() {
    let mut w = World::start();
    w.set_up();
    let (commit, runs) = w.promote("shop: first release", &["squash", "squash", "squash"]);
    all_succeeded(&runs);
    let prod = w.fake.branch_sha(OWNER, GITOPS, "prod");
    let dev = w.fake.branch_sha(OWNER, GITOPS, "dev");

    let values = w
        .fake
        .read_file(OWNER, CONFIG, "stage", "values.yaml")
        .expect("stage values");
    let changed = values.replacen("Replicas: 2", "Replicas: 3", 1);
    assert_ne!(
        changed, values,
        "the example's stage values have Replicas: 2"
    );
    let runs = w.change_through_pull_request(CONFIG, "stage", &[("values.yaml", &changed)]);
    all_succeeded(&runs);
    assert_eq!(
        started(&runs, "shop-config:notify-on-config-change.yml"),
        1,
        "{:?}",
        names(&runs)
    );
    assert_eq!(
        started(&runs, "shop-source:prepare-pr.yml"),
        1,
        "{:?}",
        names(&runs)
    );
    // wo's change request into stage, reviewed and merged; deployed; nothing goes further.
    w.review_and_merge(GITOPS, "stage", "rebase");
    let runs = w.actions.pump(&w.fake, 20);
    all_succeeded(&runs);
    assert_eq!(
        started(&runs, "shop-source:deploy.yml"),
        1,
        "{:?}",
        names(&runs)
    );
    assert_eq!(
        w.fake.branch_sha(OWNER, GITOPS, "prod"),
        prod,
        "prod untouched"
    );
    assert_eq!(
        w.fake.branch_sha(OWNER, GITOPS, "dev"),
        dev,
        "dev untouched"
    );
    assert!(
        w.fake
            .pulls(OWNER, GITOPS)
            .iter()
            .all(|p| p.state != "open"),
        "a config change is not promoted"
    );
    assert_eq!(w.status(&commit, "wo/stage").as_deref(), Some("success"));
}

#[test]
fn a_failing_prod_target_halts_with_failed_statuses() {
    let mut w = World::start();
    w.set_up();
    w.azure
        .sim
        .fail_installs_on_with("prod-berlin-2", "ImagePullBackOff: registry unreachable");
    let (commit, runs) = w.promote("shop: breaks in prod", &["merge", "merge", "merge"]);
    let failed: Vec<&WorkflowRun> = runs
        .iter()
        .filter(|r| r.conclusion() != "success")
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "only prod's deploy fails: {:?}",
        names(&runs)
    );
    assert!(
        failed[0].workflow.ends_with("deploy.yml"),
        "{}",
        failed[0].describe()
    );
    assert_eq!(w.status(&commit, "wo/dev").as_deref(), Some("success"));
    assert_eq!(w.status(&commit, "wo/stage").as_deref(), Some("success"));
    assert_eq!(w.status(&commit, "wo/prod").as_deref(), Some("failure"));
    assert_eq!(
        w.status(&commit, "wo/prod/prod-berlin-2").as_deref(),
        Some("failure")
    );
    assert!(
        w.fake
            .pulls(OWNER, GITOPS)
            .iter()
            .all(|p| p.state != "open"),
        "nothing after prod"
    );
}

#[test]
fn a_deploy_job_azure_does_not_trust_fails_naming_the_federated_credential_to_add() {
    let mut w = World::start_trusting(&["dev", "stage"]);
    w.set_up();
    let (commit, runs) = w.promote("shop: prod is not trusted", &["merge", "merge", "merge"]);
    let failed: Vec<&WorkflowRun> = runs
        .iter()
        .filter(|r| r.conclusion() != "success")
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", names(&runs));
    assert_eq!(w.status(&commit, "wo/stage").as_deref(), Some("success"));
    assert_ne!(w.status(&commit, "wo/prod").as_deref(), Some("success"));
    let identity = w.azure.identity.as_ref().unwrap();
    assert!(identity.entra.refusals() >= 1);
    let log = failed[0].result["jobs"]["deploy"].to_string();
    for what in [
        "AADSTS70021",
        "repo:acme/shop-source:environment:prod",
        "az ad app federated-credential create",
    ] {
        assert!(
            log.contains(what),
            "the deploy job's log names {what}: {log}"
        );
    }
}

#[test]
fn only_commits_on_main_are_promoted_whatever_the_dispatch_says() {
    let mut w = World::start();
    w.set_up();
    // A commit on a feature branch: the app's CI does not run for it (on: push: main), so
    // nothing hands it off.
    let main = w.fake.branch_sha(OWNER, SOURCE, "main").unwrap();
    w.fake.set_branch(OWNER, SOURCE, "feature", &main);
    let feature = w.fake.push_files(
        OWNER,
        SOURCE,
        "feature",
        &[("wo/schema.yaml", Some("# not reviewed\n"))],
        "an experiment",
    );
    let runs = w.actions.pump(&w.fake, 20);
    assert!(runs.is_empty(), "{:?}", names(&runs));
    // Someone with write access starts prepare-pr for it by hand: wo refuses to make it
    // promotable, and no change request is opened.
    let id = RepoId::parse(&format!("{OWNER}/{SOURCE}")).unwrap();
    let mut inputs = serde_json::Map::new();
    inputs.insert("event".to_string(), "source-pushed".into());
    inputs.insert("commit".to_string(), feature.clone().into());
    w.rt.block_on(
        w.user("developer")
            .dispatch_workflow(&id, "prepare-pr.yml", "main", &inputs),
    )
    .expect("dispatch prepare-pr");
    let runs = w.actions.pump(&w.fake, 20);
    assert_eq!(names(&runs), ["shop-source:prepare-pr.yml"]);
    assert_eq!(runs[0].conclusion(), "failure", "{}", runs[0].describe());
    assert!(
        w.fake.pulls(OWNER, GITOPS).is_empty(),
        "no change request for a commit that is not on main"
    );
}

#[test]
fn a_blocking_policy_finding_stops_the_merge() {
    let mut w = World::start();
    w.set_up();
    // A chart change that runs the container privileged (rule WO001, blocking by default).
    let mut files = example("shop/source");
    let deployment = files
        .iter_mut()
        .find(|(p, _)| p == "chart/templates/deployment.yaml")
        .expect("deployment template");
    let before = deployment.1.clone();
    deployment.1 = deployment.1.replacen(
        "            allowPrivilegeEscalation: false\n",
        "            allowPrivilegeEscalation: false\n            privileged: true\n",
        1,
    );
    assert_ne!(deployment.1, before);
    let commit = w.push(SOURCE, "main", &files, "shop: run privileged");
    let runs = w.actions.pump(&w.fake, 20);
    // prepare-pr opened the change request and marked it; the gitops repo's policy check ran
    // `wo check` on it, failed, and uploaded its SARIF.
    let prepare = runs
        .iter()
        .find(|r| r.workflow.ends_with("prepare-pr.yml"))
        .expect("prepare-pr ran");
    assert_eq!(prepare.conclusion(), "success", "{}", prepare.describe());
    let check = runs
        .iter()
        .find(|r| r.workflow.ends_with("policy-check.yml"))
        .expect("the policy check ran");
    assert_eq!(check.conclusion(), "failure", "{}", check.describe());
    assert!(
        w.actions
            .sarifs
            .iter()
            .any(|s| s.to_string().contains("WO001")),
        "the SARIF names WO001"
    );
    let pr = w
        .fake
        .pulls(OWNER, GITOPS)
        .into_iter()
        .find(|p| p.state == "open" && p.base == "dev")
        .expect("the change request into dev");
    assert!(
        pr.labels.iter().any(|l| l == "wo/policy-blocked"),
        "{:?}",
        pr.labels
    );
    let head = w.fake.branch_sha(OWNER, GITOPS, &pr.head).unwrap();
    assert!(
        w.fake
            .statuses(OWNER, GITOPS, &head)
            .iter()
            .any(|s| s.context == "wo/policy" && s.state == "failure"),
        "wo/policy failed on the change request's head"
    );
    // The reviewer approves and presses the button: GitHub refuses (the ruleset requires a
    // successful wo/policy); nothing is deployed.
    let refused = w
        .try_review_and_merge(GITOPS, "dev", "squash")
        .expect_err("the merge is refused");
    assert!(refused.1.to_string().contains("wo/policy"), "{}", refused.1);
    let runs = w.actions.pump(&w.fake, 20);
    assert_eq!(
        started(&runs, "shop-source:deploy.yml"),
        0,
        "{:?}",
        names(&runs)
    );
    assert_eq!(w.status(&commit, "wo/dev"), None);
}
