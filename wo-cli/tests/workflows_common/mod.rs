//! GitHub Actions for the workflow tests: the fake GitHub's events start the workflows that
//! `wo init github` wrote, as GitHub would start them, and [`wo_test_support::actions::Runner`]
//! runs each (GitHub's own workflow parser and expression engine, `run:` steps in bash).
//!
//! - Which events start runs is the fake's business (GitHub's rules: nothing a workflow's
//!   `GITHUB_TOKEN` causes starts a run, except `workflow_dispatch` and `repository_dispatch`).
//! - Which workflow file is read: a push's commit; for `pull_request` the base branch (the
//!   merge is on it); for dispatches the default branch (`workflow_dispatch`: its `ref`).
//! - Tokens: each job's `GITHUB_TOKEN` is issued by the fake with exactly the job's
//!   `permissions:` on its own repository; `actions/create-github-app-token` gets an
//!   installation token of the App `wo` for the repositories and permissions it names.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use wo_github_fake::{Access, Event, FakeGitHub, Permission, Repositories, TokenSpec};
use wo_test_support::actions::Runner;

/// Mints a job's OIDC token request: (`ACTIONS_ID_TOKEN_REQUEST_URL`, `…_TOKEN`).
pub type IdTokenRequest = dyn Fn(&Value) -> (String, String);

/// One workflow run.
#[derive(Debug, Clone)]
pub struct WorkflowRun {
    pub repository: String,
    pub workflow: String,
    pub event: String,
    pub action: Option<String>,
    pub result: Value,
}

impl WorkflowRun {
    pub fn conclusion(&self) -> &str {
        self.result["conclusion"].as_str().unwrap_or("")
    }

    /// `repo/workflow.yml: conclusion` and the failed steps' errors.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{} {} ({}{}): {}",
            self.repository,
            self.workflow,
            self.event,
            self.action
                .as_deref()
                .map(|a| format!(" {a}"))
                .unwrap_or_default(),
            self.conclusion()
        );
        if let Some(jobs) = self.result["jobs"].as_object() {
            for (id, job) in jobs {
                for step in job["steps"].as_array().into_iter().flatten() {
                    if step["outcome"] == "failure" {
                        out.push_str(&format!(
                            "\n  {id}/{}: {}",
                            step["name"].as_str().unwrap_or(""),
                            step["error"].as_str().unwrap_or("")
                        ));
                    }
                }
                if let Some(e) = job["error"].as_str() {
                    out.push_str(&format!("\n  {id}: {e}"));
                }
            }
        }
        if let Some(e) = self.result["error"].as_str() {
            out.push_str(&format!("\n  {e}"));
        }
        for e in self.result["parse_errors"].as_array().into_iter().flatten() {
            out.push_str(&format!("\n  parse error: {e}"));
        }
        out
    }
}

/// GitHub Actions over one fake GitHub.
pub struct Actions {
    runner: Runner,
    pub work: tempfile::TempDir,
    /// Organisation variables (`vars`); a repository's own variables (in the fake) win.
    pub vars: BTreeMap<String, String>,
    /// Repository secrets.
    pub secrets: BTreeMap<String, String>,
    /// The runner machine's environment (what every step sees besides GitHub's variables).
    pub env: BTreeMap<String, String>,
    /// Composite actions by `owner/name`: a directory holding `action.yml`, or `{"dir": …,
    /// "inputs": {…}}` whose inputs replace the action's defaults (a release mirror on
    /// loopback).
    pub actions: BTreeMap<String, Value>,
    /// Environments whose deployments the reviewers reject (`repo:environment`).
    pub rejected_environments: Vec<String>,
    /// The repositories (`owner/name`) a checkout may clone.
    pub repositories: Vec<String>,
    /// The job's OIDC token request (GitHub Actions' `ACTIONS_ID_TOKEN_REQUEST_URL` and
    /// `…_TOKEN`) for a job with `id-token: write`, from the `github_token` ask (repository,
    /// environment, ref); none: such jobs get empty ones.
    pub id_token: Option<Box<IdTokenRequest>>,
    /// The API root the runs see (`GITHUB_API_URL`): a proxy in front of the fake (Prism,
    /// checking every request and answer against GitHub's OpenAPI description), else the fake.
    pub api_url: Option<String>,
    /// Every run, in order.
    pub runs: Vec<WorkflowRun>,
    /// Every event seen, in order (with whether it started runs).
    pub events: Vec<Event>,
    /// SARIF files uploaded (`github/codeql-action/upload-sarif`).
    pub sarifs: Vec<Value>,
    /// Environments a job ran in, as `repo:environment`.
    pub deployments: Vec<String>,
    next_run: u64,
    /// `workflow_run` `completed` events of the runs that ended, not yet delivered.
    completed: Vec<Event>,
}

impl Actions {
    pub fn new() -> Actions {
        Actions {
            runner: Runner::new(),
            work: tempfile::tempdir().expect("work dir"),
            vars: BTreeMap::new(),
            secrets: BTreeMap::new(),
            env: BTreeMap::new(),
            actions: BTreeMap::new(),
            rejected_environments: Vec::new(),
            repositories: Vec::new(),
            id_token: None,
            api_url: None,
            runs: Vec::new(),
            events: Vec::new(),
            sarifs: Vec::new(),
            deployments: Vec::new(),
            next_run: 1,
            completed: Vec::new(),
        }
    }

    /// Delivers the fake's events to the workflows until no new event comes; returns the runs
    /// started (in order). Panics after `max_runs` runs (a loop).
    pub fn pump(&mut self, fake: &FakeGitHub, max_runs: usize) -> Vec<WorkflowRun> {
        let mut started = Vec::new();
        loop {
            let mut events = std::mem::take(&mut self.completed);
            events.extend(fake.take_events());
            if events.is_empty() {
                return started;
            }
            for event in events {
                self.events.push(event.clone());
                if !event.triggers_workflows {
                    continue;
                }
                for run in self.deliver(fake, &event) {
                    self.completed.push(workflow_run_completed(&event, &run));
                    started.push(run.clone());
                    self.runs.push(run);
                    assert!(
                        started.len() <= max_runs,
                        "more than {max_runs} workflow runs: {}",
                        started
                            .iter()
                            .map(WorkflowRun::describe)
                            .collect::<Vec<_>>()
                            .join("\n")
                    );
                }
            }
        }
    }

    fn deliver(&mut self, fake: &FakeGitHub, event: &Event) -> Vec<WorkflowRun> {
        let (owner, name) = event.repository.split_once('/').expect("owner/name");
        let default_branch = "main";
        let p = &event.payload;
        let (git_ref, sha, workflows_at) = match event.name.as_str() {
            "push" => {
                let sha = p["after"].as_str().unwrap_or_default().to_string();
                (
                    p["ref"].as_str().unwrap_or_default().to_string(),
                    sha.clone(),
                    sha,
                )
            }
            "pull_request" => {
                let base = p["pull_request"]["base"]["ref"]
                    .as_str()
                    .unwrap_or_default();
                let number = p["number"].as_u64().unwrap_or_default();
                let Some(base_head) = fake.branch_sha(owner, name, base) else {
                    return Vec::new();
                };
                let sha = p["pull_request"]["merge_commit_sha"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| base_head.clone());
                (format!("refs/pull/{number}/merge"), sha, base_head)
            }
            "workflow_dispatch" => {
                let r = p["ref"].as_str().unwrap_or("refs/heads/main").to_string();
                let branch = r.trim_start_matches("refs/heads/");
                let Some(head) = fake.branch_sha(owner, name, branch) else {
                    return Vec::new();
                };
                (r, head.clone(), head)
            }
            _ => {
                let Some(head) = fake.branch_sha(owner, name, default_branch) else {
                    return Vec::new();
                };
                (format!("refs/heads/{default_branch}"), head.clone(), head)
            }
        };
        let mut runs = Vec::new();
        // A `workflow_dispatch` starts the one workflow it names.
        let only = (event.name == "workflow_dispatch")
            .then(|| p["workflow"].as_str().unwrap_or_default().to_string());
        for (path, content) in workflow_files(&fake.repo_path(owner, name), &workflows_at) {
            if only.as_ref().is_some_and(|w| *w != path) {
                continue;
            }
            let run_id = self.next_run;
            self.next_run += 1;
            let work = self.work.path().join(format!("run-{run_id}"));
            std::fs::create_dir_all(&work).unwrap();
            let repos: BTreeMap<String, String> = self
                .repositories
                .iter()
                .map(|full| {
                    let (o, n) = full.split_once('/').expect("owner/name");
                    (full.clone(), fake.repo_path(o, n).display().to_string())
                })
                .collect();
            // The organisation's variables (`self.vars`), then the repository's own.
            let mut vars = self.vars.clone();
            vars.extend(fake.variables(owner, name));
            let input = json!({
                "workflow": { "path": path, "content": content },
                "event": { "name": event.name, "payload": event.payload },
                "github": {
                    "repository": event.repository,
                    "repository_owner": owner,
                    "ref": git_ref,
                    "sha": sha,
                    "actor": event.actor.login(),
                    "server_url": fake.base_url(),
                    "api_url": self.api_url.as_deref().unwrap_or(fake.base_url()),
                    "run_id": run_id,
                },
                "vars": vars,
                "secrets": self.secrets,
                "env": self.env,
                "work": work,
                "repos": repos,
                "actions": self.actions,
                "cache": self.work.path().join("cache"),
            });
            let result = {
                let repository = event.repository.clone();
                let rejected = self.rejected_environments.clone();
                let sarifs = &mut self.sarifs;
                let deployments = &mut self.deployments;
                let id_token = self.id_token.as_deref();
                self.runner.run(&input, |ask| {
                    let mut reply = answer(fake, &repository, &rejected, sarifs, deployments, ask);
                    if let (Some(mint), "github_token", Some("write")) = (
                        id_token,
                        ask["call"].as_str().unwrap_or_default(),
                        ask["permissions"]["id-token"].as_str(),
                    ) {
                        let (url, token) = mint(ask);
                        reply["id_token_url"] = url.into();
                        reply["id_token_request_token"] = token.into();
                    }
                    reply
                })
            };
            if result["triggered"] == false && result.get("parse_errors").is_none() {
                continue;
            }
            runs.push(WorkflowRun {
                repository: event.repository.clone(),
                workflow: path,
                event: event.name.clone(),
                action: event.action.clone(),
                result,
            });
        }
        runs
    }
}

/// The `workflow_run` event GitHub sends when `run` (started by `cause`) completes; it starts
/// runs three levels deep at most ("Events that trigger workflows": workflow_run).
fn workflow_run_completed(cause: &Event, run: &WorkflowRun) -> Event {
    let depth = cause.payload["workflow_run"]["wo_test_depth"]
        .as_u64()
        .unwrap_or(0)
        + 1;
    let name = run.result["name"]
        .as_str()
        .unwrap_or(&run.workflow)
        .to_string();
    let branch = cause
        .git_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string);
    let payload = json!({
        "action": "completed",
        "workflow_run": {
            "name": name,
            "path": run.workflow,
            "event": cause.name,
            "status": "completed",
            "conclusion": run.conclusion(),
            "head_branch": branch,
            "head_sha": cause.sha,
            "wo_test_depth": depth,
        },
        "workflow": { "name": name, "path": run.workflow },
        "repository": { "full_name": cause.repository },
    });
    Event {
        name: "workflow_run".into(),
        action: Some("completed".into()),
        repository: cause.repository.clone(),
        git_ref: cause.git_ref.clone(),
        sha: cause.sha.clone(),
        actor: cause.actor.clone(),
        triggers_workflows: depth <= 3,
        payload,
    }
}

fn answer(
    fake: &FakeGitHub,
    repository: &str,
    rejected: &[String],
    sarifs: &mut Vec<Value>,
    deployments: &mut Vec<String>,
    ask: &Value,
) -> Value {
    match ask["call"].as_str().unwrap_or_default() {
        "github_token" => {
            let mut spec = TokenSpec::github_token(repository);
            for (name, level) in ask["permissions"].as_object().into_iter().flatten() {
                let Some(permission) = permission(name) else {
                    continue;
                };
                match level.as_str() {
                    Some("write") => spec = spec.permission(permission, Access::Write),
                    Some("read") => spec = spec.permission(permission, Access::Read),
                    _ => {}
                }
            }
            json!({ "token": fake.issue_token(spec) })
        }
        "app_token" => {
            let owner = ask["owner"].as_str().unwrap_or_default();
            let repos: Vec<String> = ask["repositories"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|r| format!("{owner}/{r}"))
                .collect();
            let scope = if repos.is_empty() {
                Repositories::Owner(owner.to_string())
            } else {
                Repositories::Only(repos)
            };
            let mut spec = TokenSpec::app("wo", scope);
            for (name, level) in ask["permissions"].as_object().into_iter().flatten() {
                let Some(permission) = permission(name) else {
                    return json!({ "error": format!("the App has no permission {name}") });
                };
                match level.as_str() {
                    Some("write") => spec = spec.permission(permission, Access::Write),
                    Some("read") => spec = spec.permission(permission, Access::Read),
                    other => return json!({ "error": format!("permission-{name}: {other:?}") }),
                }
            }
            json!({ "token": fake.issue_token(spec), "app_slug": "wo" })
        }
        "environment" => {
            let key = format!(
                "{}:{}",
                ask["repository"].as_str().unwrap_or_default(),
                ask["environment"].as_str().unwrap_or_default()
            );
            let approved = !rejected.contains(&key);
            deployments.push(key);
            json!({ "approved": approved, "reason": "rejected by the environment's reviewers" })
        }
        "sarif" => {
            sarifs.push(ask.clone());
            json!({})
        }
        other => json!({ "error": format!("the test does not answer {other}") }),
    }
}

/// GitHub's permission names in workflows (`pull-requests`) and in the App token action
/// (`pull-requests`), to the fake's.
fn permission(name: &str) -> Option<Permission> {
    Some(match name.replace('-', "_").as_str() {
        "actions" => Permission::Actions,
        "administration" => Permission::Administration,
        "checks" => Permission::Checks,
        "contents" => Permission::Contents,
        "environments" => Permission::Environments,
        "issues" => Permission::Issues,
        "metadata" => Permission::Metadata,
        "pull_requests" => Permission::PullRequests,
        "security_events" => Permission::SecurityEvents,
        "statuses" => Permission::Statuses,
        "variables" => Permission::Variables,
        // The job's OIDC token is the runner's, not the API's.
        _ => return None,
    })
}

/// `.github/workflows/*.yml` at `sha` of the bare repository `repo`.
fn workflow_files(repo: &Path, sha: &str) -> Vec<(String, String)> {
    let git = git2::Repository::open_bare(repo).expect("bare repository");
    let Ok(oid) = git2::Oid::from_str(sha) else {
        return Vec::new();
    };
    let Ok(commit) = git.find_commit(oid) else {
        return Vec::new();
    };
    let tree = commit.tree().expect("tree");
    let Ok(entry) = tree.get_path(Path::new(".github/workflows")) else {
        return Vec::new();
    };
    let dir = git.find_tree(entry.id()).expect("workflows dir");
    let mut out = Vec::new();
    for e in dir.iter() {
        let name = e.name().unwrap_or_default().to_string();
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let blob = git.find_blob(e.id()).expect("blob");
        out.push((
            format!(".github/workflows/{name}"),
            String::from_utf8_lossy(blob.content()).into_owned(),
        ));
    }
    out
}
