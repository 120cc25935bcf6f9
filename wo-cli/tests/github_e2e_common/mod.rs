#![allow(dead_code)]
//! The driver of `tests/github_e2e.rs`: six repositories in the fake GitHub behind Stoplight
//! Prism (proxy mode, `--errors`), and GitHub Actions played by hand — webhook payload files,
//! `wo on-event --github`, a reviewer merging with `wo merge`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use wo_github_fake::{Access, FakeGitHub, Permission, Repositories, TokenSpec};
use wo_test_support::prism::{github_openapi_spec, start_prism_proxy, PrismProxy};

pub const OWNER: &str = "acme";
pub const ENVIRONMENTS: [&str; 3] = ["dev", "stage", "prod"];

/// Prism in proxy mode in front of `upstream`, checking GitHub's OpenAPI description.
pub fn start_prism(upstream: &str) -> PrismProxy {
    start_prism_proxy(&github_openapi_spec(), upstream).expect("prism proxy starts")
}

/// The files under `examples/<dir>`, relative paths and text.
pub fn example(dir: &str) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(dir);
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    assert!(!out.is_empty(), "no files in {}", root.display());
    out
}

/// Pushes `files` to `branch` of `acme/repo` (removing the README the fake starts with).
pub fn push(
    fake: &FakeGitHub,
    repo: &str,
    branch: &str,
    files: &[(String, String)],
    msg: &str,
) -> String {
    let mut edits: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    if fake.read_file(OWNER, repo, branch, "README.md").is_some()
        || (fake.branch_sha(OWNER, repo, branch).is_none()
            && fake.read_file(OWNER, repo, "main", "README.md").is_some())
    {
        edits.push(("README.md", None));
    }
    fake.push_files(OWNER, repo, branch, &edits, msg)
}

/// One solution's repositories.
#[derive(Clone, Copy)]
pub struct Solution {
    pub name: &'static str,
    pub source: &'static str,
    pub config: &'static str,
    pub gitops: &'static str,
}

pub const SHOP: Solution = Solution {
    name: "shop",
    source: "shop-source",
    config: "shop-config",
    gitops: "shop-gitops",
};
pub const PLATFORM: Solution = Solution {
    name: "platform",
    source: "platform-source",
    config: "platform-config",
    gitops: "platform-gitops",
};

/// What one `wo` run did.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub args: Vec<String>,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "wo {:?} failed:\n{}{}",
            self.args,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// The world: the fake, Prism in front of it, a work directory for payloads and the
/// orchestrator.
pub struct World {
    pub fake: FakeGitHub,
    pub api: String,
    pub dir: tempfile::TempDir,
    pub events: usize,
    pub runs: usize,
    /// Workload Orchestration (the simulator) deploys go to.
    pub azure: crate::azure_common::Azure,
}

/// Every target of the demo fleet.
pub const ALL_TARGETS: [&str; 9] = [
    "dev-eu-1",
    "dev-us-1",
    "stage-eu-1",
    "stage-eu-2",
    "stage-us-1",
    "prod-berlin-1",
    "prod-berlin-2",
    "prod-chicago-1",
    "prod-london-1",
];

impl World {
    /// Sets (or, `None`, clears) the failing targets of Workload Orchestration (the simulator):
    /// a map of target to message.
    pub fn fail(&self, failures: Option<Value>) {
        for t in ALL_TARGETS {
            self.azure.sim.heal_installs_on(t);
        }
        for (t, message) in failures.iter().flat_map(|f| f.as_object()).flatten() {
            self.azure
                .sim
                .fail_installs_on_with(t, message.as_str().unwrap_or("failed"));
        }
    }

    /// Runs `wo ARGS` for solution `s` against the API (through Prism).
    pub fn wo(&mut self, s: Solution, args: &[&str], env: &[(&str, String)]) -> Run {
        let gh = |r: &str| format!("github://{OWNER}/{r}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wo"));
        cmd.args(args)
            .args(["--source", &gh(s.source), "--config", &gh(s.config)])
            .args([
                "--platform",
                &gh(PLATFORM.config),
                "--gitops",
                &gh(s.gitops),
            ])
            .args([
                "--cache",
                &self.dir.path().join("cache").display().to_string(),
            ])
            .current_dir(self.dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("WO_") || k.starts_with("GITHUB_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("GITHUB_API_URL", &self.api)
            .env(
                "GITHUB_TOKEN",
                // An installation token of a "wo" App on the owner's repositories.
                self.fake.issue_token(
                    TokenSpec::app("wo", Repositories::Owner(OWNER.into()))
                        .permission(Permission::Contents, Access::Write)
                        .permission(Permission::PullRequests, Access::Write)
                        .permission(Permission::Statuses, Access::Write)
                        .permission(Permission::Checks, Access::Write)
                        .permission(Permission::Actions, Access::Write),
                ),
            )
            .env("WO_HELM", wo_test_support::tool("helm"))
            .env("WO_GITHUB_ACCEPT", "application/json")
            .envs(self.azure.env());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run wo");
        self.runs += 1;
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// `wo on-event --github --role ROLE` with a payload file, as the workflow of that repo runs.
    pub fn on_event(&mut self, s: Solution, role: &str, name: &str, payload: &Value) -> Run {
        self.events += 1;
        let path = self.dir.path().join(format!("event-{}.json", self.events));
        std::fs::write(&path, serde_json::to_string_pretty(payload).unwrap()).unwrap();
        let env = [
            ("GITHUB_EVENT_NAME", name.to_string()),
            ("GITHUB_EVENT_PATH", path.display().to_string()),
            (
                "GITHUB_OUTPUT",
                self.dir.path().join("output").display().to_string(),
            ),
            (
                "GITHUB_STEP_SUMMARY",
                self.dir.path().join("summary.md").display().to_string(),
            ),
        ];
        self.wo(s, &["on-event", "--github", "--role", role], &env)
    }

    /// The open pull requests of a gitops repo, as (number, head, base).
    pub fn open_pulls(&self, repo: &str) -> Vec<(u64, String, String)> {
        self.fake
            .pulls(OWNER, repo)
            .into_iter()
            .filter(|p| p.state == "open")
            .map(|p| (p.number, p.head, p.base))
            .collect()
    }

    /// Plays reviewer and gitops workflow from where the last event left the chain: while a
    /// change request is open for `s`, merge it (`wo merge`) and deliver the `pull_request`
    /// closed+merged payload to the gitops repo's workflow. Returns the merged environments and
    /// the last `on-event` run (which may have failed, e.g. a halted promotion).
    pub fn drive(&mut self, s: Solution) -> (Vec<String>, Vec<Run>) {
        let mut merged = Vec::new();
        let mut runs = Vec::new();
        loop {
            let open = self.open_pulls(s.gitops);
            assert!(
                open.len() <= 1,
                "more than one open change request: {open:?}"
            );
            let Some((number, head, base)) = open.into_iter().next() else {
                break;
            };
            assert_eq!(head, format!("wo/{base}/{}", s.name));
            self.wo(s, &["merge", "--env", &base], &[]).ok();
            let pr = self
                .fake
                .pulls(OWNER, s.gitops)
                .into_iter()
                .find(|p| p.number == number)
                .unwrap();
            assert!(
                pr.merged && pr.state == "closed",
                "#{number} not merged: {pr:?}"
            );
            merged.push(base.clone());
            // The merged head branch `wo/<env>/<solution>` stays (no "automatically delete head
            // branches"): the next change request of the pair must reuse it.
            let payload = pull_request_closed(s.gitops, &pr);
            let run = self.on_event(s, "gitops", "pull_request", &payload);
            let failed = run.code != Some(0);
            runs.push(run);
            if failed {
                break;
            }
        }
        (merged, runs)
    }

    /// The sum of every route's request count.
    pub fn requests(&self) -> u64 {
        self.fake.request_counts().values().sum()
    }

    /// The state of status `context` on `sha` of `repo` (the last one set).
    pub fn status(&self, repo: &str, sha: &str, context: &str) -> Option<String> {
        self.fake
            .statuses(OWNER, repo, sha)
            .into_iter()
            .rev()
            .find(|s| s.context == context)
            .map(|s| s.state)
    }
}

fn repository(name: &str) -> Value {
    json!({
        "id": 1, "node_id": "R_1", "name": name, "full_name": format!("{OWNER}/{name}"),
        "private": true, "owner": {"login": OWNER, "id": 1, "type": "Organization"},
        "html_url": format!("https://github.com/{OWNER}/{name}"), "default_branch": "main"
    })
}

fn sender() -> Value {
    json!({"login": "reviewer", "id": 2, "type": "User"})
}

/// A `push` webhook payload (`webhook-push`).
pub fn push_payload(repo: &str, branch: &str, before: &str, after: &str) -> Value {
    json!({
        "ref": format!("refs/heads/{branch}"),
        "before": before,
        "after": after,
        "created": false,
        "deleted": false,
        "forced": false,
        "base_ref": null,
        "compare": format!("https://github.com/{OWNER}/{repo}/compare/{}...{}", &before[..12], &after[..12]),
        "commits": [{"id": after, "tree_id": after, "distinct": true, "message": "change",
                     "timestamp": "2024-01-01T00:00:00Z", "url": "https://github.com/",
                     "author": {"name": "dev", "email": "dev@example.com"},
                     "committer": {"name": "dev", "email": "dev@example.com"},
                     "added": [], "removed": [], "modified": []}],
        "head_commit": null,
        "repository": repository(repo),
        "pusher": {"name": "dev", "email": "dev@example.com"},
        "sender": sender()
    })
}

/// A `pull_request` `closed` webhook payload (`webhook-pull-request-closed`), merged.
pub fn pull_request_closed(repo: &str, pr: &wo_github_fake::PullRequest) -> Value {
    merged_payload(
        repo,
        pr.number,
        &pr.head,
        &pr.base,
        pr.merge_commit_sha.as_deref(),
    )
}

/// A merged pull request of `head` into `base` of `repo`.
pub fn merged_payload(
    repo: &str,
    number: u64,
    head: &str,
    base: &str,
    merge_sha: Option<&str>,
) -> Value {
    let r = repository(repo);
    json!({
        "action": "closed",
        "number": number,
        "pull_request": {
            "number": number, "state": "closed", "merged": true, "title": "change",
            "merge_commit_sha": merge_sha,
            "html_url": format!("https://github.com/{OWNER}/{repo}/pull/{number}"),
            "user": sender(),
            "head": {"ref": head, "sha": merge_sha, "label": format!("{OWNER}:{head}"), "repo": r},
            "base": {"ref": base, "label": format!("{OWNER}:{base}"), "repo": r}
        },
        "repository": r,
        "sender": sender()
    })
}
