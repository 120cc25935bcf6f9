//! End-to-end fixture for the flow commands: six bare repositories seeded from `examples/`
//! with the `git` command line, served by `git daemon` on 127.0.0.1, and helpers that run the
//! `wo` binary against them (each run a separate process, as workflow steps are), deploying
//! through the Azure Workload Orchestration backend to the WO simulator on 127.0.0.1 (in this
//! process), where every target of the demo fleet is onboarded.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tempfile::TempDir;
use wo_test_support::git::GitDaemon;

pub const ENVS: [&str; 3] = ["dev", "stage", "prod"];

/// The targets of each environment in the demo fleet.
pub fn targets(env: &str) -> &'static [&'static str] {
    match env {
        "dev" => &["dev-eu-1", "dev-us-1"],
        "stage" => &["stage-eu-1", "stage-eu-2", "stage-us-1"],
        "prod" => &[
            "prod-berlin-1",
            "prod-berlin-2",
            "prod-chicago-1",
            "prod-london-1",
        ],
        other => panic!("no such environment in the demo fleet: {other}"),
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Runs `git` in `dir` (None: the current directory) and returns stdout; panics on failure.
pub fn git(dir: Option<&Path>, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `git` and returns its raw output.
pub fn git_output(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut c = Command::new("git");
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.args(args)
        .env("GIT_AUTHOR_NAME", "Test Developer")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Test Developer")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .expect("git runs (is git installed?)")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read example dir") {
        let e = e.expect("dir entry");
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy example file");
        }
    }
}

/// Which solution a `wo` run works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sol {
    /// The application `shop`: shop-source, shop-config, shop-gitops.
    App,
    /// The `platform` solution: platform-source, platform-config (as its config), platform-gitops.
    Platform,
}

/// What a `wo` run did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub args: Vec<String>,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "wo {:?} should succeed:\n{self}", self.args);
        self
    }
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "wo {:?} should exit {code}:\n{self}",
            self.args
        );
        self
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("wo {:?}: stdout is not JSON ({e}):\n{self}", self.args))
    }
    /// Asserts that the run printed its error as JSON on stdout (`{"ok": false, "error":
    /// …}`, as a command asked for `--output json` does) naming every one of `needles`, and
    /// returns the error.
    pub fn json_error_names(&self, needles: &[&str]) -> Value {
        let doc = self.json();
        assert_eq!(
            doc["ok"], false,
            "wo {:?}: not an error document:\n{self}",
            self.args
        );
        let text = doc["error"].to_string();
        for n in needles {
            assert!(
                text.contains(n),
                "wo {:?}: the JSON error should name `{n}`:\n{self}",
                self.args
            );
        }
        doc["error"].clone()
    }

    /// Asserts that stderr names every one of `needles`.
    pub fn stderr_names(self, needles: &[&str]) -> Run {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "wo {:?}: stderr should name `{n}`:\n{self}",
                self.args
            );
        }
        assert!(
            !self.stderr.contains("panicked"),
            "wo {:?} panicked:\n{self}",
            self.args
        );
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Six bare repositories (`<name>.git` under `repos/`) served by a `git daemon`, a cache dir
/// for the CLI's clones and the local orchestrator's state dir.
pub struct World {
    pub root: TempDir,
    pub daemon: GitDaemon,
    n: AtomicUsize,
    /// Workload Orchestration (the simulator) the `wo` runs deploy to.
    pub azure: Azure,
    pub cache: PathBuf,
}

pub use crate::azure_common::{arm, Azure, EDGE};

impl World {
    /// Creates and seeds the six repositories: sources on `main`, config repos with one branch
    /// per environment from `examples/demo/*-config/<env>`, empty gitops repos.
    pub fn new() -> World {
        let root = tempfile::Builder::new()
            .prefix("wo-flows-")
            .tempdir()
            .expect("temp dir");
        let repos = root.path().join("repos");
        std::fs::create_dir_all(&repos).expect("repos dir");
        for name in [
            "shop-source",
            "shop-config",
            "shop-gitops",
            "platform-source",
            "platform-config",
            "platform-gitops",
        ] {
            git(
                None,
                &[
                    "init",
                    "-q",
                    "--bare",
                    &repos.join(format!("{name}.git")).display().to_string(),
                ],
            );
        }
        let daemon = GitDaemon::start(&repos);
        let w = World {
            azure: Azure::start(ENVS.iter().flat_map(|e| targets(e).iter().copied())),
            cache: root.path().join("cache"),
            root,
            daemon,
            n: AtomicUsize::new(0),
        };
        let ex = examples();
        w.seed(
            "shop-source",
            "main",
            &ex.join("shop/source"),
            "shop: first version",
        );
        w.seed(
            "platform-source",
            "main",
            &ex.join("platform/source"),
            "platform: first version",
        );
        for env in ENVS {
            w.seed(
                "shop-config",
                env,
                &ex.join(format!("demo/app-config/{env}")),
                &format!("{env}: values"),
            );
            w.seed(
                "platform-config",
                env,
                &ex.join(format!("demo/platform-config/{env}")),
                &format!("{env}: fleet and platform values"),
            );
        }
        w
    }

    /// The bare repository `<name>.git` on disk.
    pub fn bare(&self, name: &str) -> PathBuf {
        self.root.path().join("repos").join(format!("{name}.git"))
    }

    /// Its URL as the CLI sees it.
    pub fn url(&self, name: &str) -> String {
        self.daemon.url(&format!("{name}.git"))
    }

    fn scratch(&self, what: &str) -> PathBuf {
        let n = self.n.fetch_add(1, Ordering::SeqCst);
        self.root.path().join(format!("work-{n}-{what}"))
    }

    /// Commits the content of `dir` as a new branch `branch` of `repo` and pushes it.
    fn seed(&self, repo: &str, branch: &str, dir: &Path, message: &str) {
        let wt = self.scratch(repo);
        copy_dir(dir, &wt);
        git(Some(&wt), &["init", "-q", "-b", branch]);
        git(Some(&wt), &["add", "-A"]);
        git(Some(&wt), &["commit", "-q", "-m", message]);
        let bare = self.bare(repo).display().to_string();
        git(Some(&wt), &["push", "-q", &bare, branch]);
    }

    /// A developer's `git commit && git push`: clones `branch` of `repo`, lets `edit` change
    /// the work tree, commits everything and pushes. Returns the new commit id.
    pub fn commit(
        &self,
        repo: &str,
        branch: &str,
        message: &str,
        edit: impl FnOnce(&Path),
    ) -> String {
        let wt = self.scratch(repo);
        let bare = self.bare(repo).display().to_string();
        git(
            None,
            &[
                "clone",
                "-q",
                "--branch",
                branch,
                &bare,
                &wt.display().to_string(),
            ],
        );
        edit(&wt);
        git(Some(&wt), &["add", "-A"]);
        git(Some(&wt), &["commit", "-q", "--allow-empty", "-m", message]);
        git(Some(&wt), &["push", "-q", "origin", branch]);
        git(Some(&wt), &["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Replaces `from` by `to` in `path` of `branch` of `repo`, committed and pushed.
    pub fn edit(&self, repo: &str, branch: &str, path: &str, from: &str, to: &str) -> String {
        self.commit(repo, branch, &format!("{path}: {from} → {to}"), |wt| {
            let p = wt.join(path);
            let text = std::fs::read_to_string(&p).expect("file to edit");
            assert!(text.contains(from), "`{from}` not in {path}:\n{text}");
            std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
        })
    }

    /// The refs of a repository (`git ls-remote` through the daemon): ref → commit.
    pub fn refs(&self, repo: &str) -> BTreeMap<String, String> {
        git(None, &["ls-remote", &self.url(repo)])
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(id, r)| (r.to_string(), id.to_string()))
            .collect()
    }

    /// The head of `branch` of `repo` (None when missing), read from the bare repository.
    pub fn head(&self, repo: &str, branch: &str) -> Option<String> {
        let out = git_output(
            Some(&self.bare(repo)),
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Runs `git` in the bare repository `repo`.
    pub fn git_in(&self, repo: &str, args: &[&str]) -> String {
        git(Some(&self.bare(repo)), args)
    }

    /// The `wo` command for `sol`, with its repositories, cache, orchestrator and Helm in the
    /// environment; nothing inherited from the caller's `WO_*` variables or `wo.yaml`.
    pub fn command(&self, sol: Sol, args: &[&str]) -> Command {
        let (source, config, gitops) = match sol {
            Sol::App => ("shop-source", "shop-config", "shop-gitops"),
            Sol::Platform => ("platform-source", "platform-config", "platform-gitops"),
        };
        let mut c = Command::new(env!("CARGO_BIN_EXE_wo"));
        for (k, _) in std::env::vars() {
            if k.starts_with("WO_") {
                c.env_remove(k);
            }
        }
        c.args(args)
            .current_dir(self.root.path())
            .env("WO_SOURCE", self.url(source))
            .env("WO_CONFIG", self.url(config))
            .env("WO_PLATFORM", self.url("platform-config"))
            .env("WO_GITOPS", self.url(gitops))
            .env("WO_CACHE", &self.cache)
            .env("WO_HELM", wo_test_support::tool("helm"))
            .envs(self.azure.env())
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null());
        c
    }

    /// Runs `wo` for `sol` and waits for it.
    pub fn wo(&self, sol: Sol, args: &[&str]) -> Run {
        let out = self.command(sol, args).output().expect("wo runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Runs `wo on-event` with this event JSON.
    pub fn event(&self, sol: Sol, event: &str) -> Run {
        self.wo(sol, &["on-event", "--event", event, "--output", "json"])
    }

    pub fn source_pushed(&self, sol: Sol) -> Run {
        self.event(sol, r#"{"type":"source-pushed","commit":"main"}"#)
    }

    pub fn change_merged(&self, sol: Sol, env: &str) -> Run {
        self.event(
            sol,
            &format!(r#"{{"type":"change-merged","environment":"{env}"}}"#),
        )
    }

    pub fn config_merged(&self, sol: Sol, env: &str) -> Run {
        self.event(
            sol,
            &format!(r#"{{"type":"config-merged","environment":"{env}"}}"#),
        )
    }

    pub fn merge(&self, sol: Sol, env: &str) -> Run {
        self.wo(sol, &["merge", "--env", env, "--output", "json"])
    }

    pub fn deploy(&self, sol: Sol, env: &str) -> Run {
        self.wo(sol, &["deploy", "--env", env, "--output", "json"])
    }

    /// `wo status --output json`, as a map environment → status.
    pub fn status(&self, sol: Sol) -> BTreeMap<String, Value> {
        let run = self.wo(sol, &["status", "--output", "json"]).ok();
        let v = run.json();
        v.as_array()
            .unwrap_or_else(|| panic!("status is a list:\n{run}"))
            .iter()
            .map(|e| {
                (
                    e["environment"].as_str().expect("environment").to_string(),
                    e.clone(),
                )
            })
            .collect()
    }

    /// `wo history --env E --output json`.
    pub fn history(&self, sol: Sol, env: &str) -> Vec<Value> {
        let run = self
            .wo(sol, &["history", "--env", env, "--output", "json"])
            .ok();
        run.json().as_array().expect("history is a list").clone()
    }

    /// The source commit `main` of the solution's source repository points at.
    pub fn source_head(&self, sol: Sol) -> String {
        let repo = match sol {
            Sol::App => "shop-source",
            Sol::Platform => "platform-source",
        };
        self.head(repo, "main").expect("source main")
    }

    /// Promotes the head of source `main` from dev to prod the way a reviewer and webhooks
    /// would: `on-event source-pushed`, then per env `merge` + `on-event change-merged`.
    /// Asserts each step succeeded.
    pub fn promote(&self, sol: Sol) {
        let first = self.source_pushed(sol).ok().json();
        assert_eq!(first[0]["environment"], "dev", "{first:#}");
        for env in ENVS {
            self.merge(sol, env).ok();
            self.change_merged(sol, env).ok();
        }
    }

    fn all_targets() -> impl Iterator<Item = &'static str> {
        ENVS.iter().flat_map(|e| targets(e).iter().copied())
    }

    /// What WO holds that a deploy changes, as bytes: per target the installs it accepted and
    /// the version each solution's instance runs.
    pub fn state_bytes(&self) -> Vec<u8> {
        let mut snapshot = Vec::new();
        for t in Self::all_targets() {
            let running: Vec<Option<String>> = ["shop", "platform"]
                .iter()
                .map(|sol| self.running(&format!("{sol}/{t}")))
                .collect();
            snapshot.push(serde_json::json!({"target": t, "installs": self.azure.sim.installs(t), "running": running}));
        }
        serde_json::to_vec(&snapshot).expect("json")
    }

    /// Whether WO never accepted an install.
    pub fn nothing_deployed(&self) -> bool {
        Self::all_targets().all(|t| self.azure.sim.installs(t).is_empty())
    }

    /// Every successful install (instance histories): (`<solution>/<target>`, WO version,
    /// count).
    pub fn installs(&self) -> Vec<(String, String, u64)> {
        let arm = arm(&self.azure.sim);
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        for t in Self::all_targets() {
            for sol in ["shop", "platform"] {
                let path = format!("{EDGE}/targets/{t}/solutions/{sol}/instances/{sol}/histories");
                let histories = self.azure.rt.block_on(arm.list(&path)).unwrap_or_default();
                for h in histories {
                    let sv = h["properties"]["solutionVersion"]["solutionVersionId"]
                        .as_str()
                        .and_then(|id| id.rsplit('/').next())
                        .unwrap_or("")
                        .to_string();
                    // `<template version>.<revision>`: the release is the template version.
                    let version = sv
                        .rsplit_once('.')
                        .map(|(v, _)| v.to_string())
                        .unwrap_or(sv);
                    *counts.entry((format!("{sol}/{t}"), version)).or_default() += 1;
                }
            }
        }
        counts.into_iter().map(|((t, v), n)| (t, v, n)).collect()
    }

    /// Asserts that no version was installed twice on any target.
    pub fn assert_installed_once(&self) {
        for (t, v, n) in self.installs() {
            assert_eq!(n, 1, "{t} installed version {v} {n} times");
        }
    }

    /// The release (gitops commit) running on `<solution>/<target>`, as WO's instance says.
    pub fn running(&self, sol_target: &str) -> Option<String> {
        let (sol, t) = sol_target.split_once('/')?;
        let sim = &self.azure.sim;
        let instance = sim.resource(&format!(
            "{EDGE}/targets/{t}/solutions/{sol}/instances/{sol}"
        ))?;
        let sv = sim.resource(instance["properties"]["solutionVersionId"].as_str()?)?;
        let stv = sim.resource(sv["properties"]["solutionTemplateVersionId"].as_str()?)?;
        // wo names the release in the first line of the template version's configurations.
        stv["properties"]["configurations"]
            .as_str()?
            .lines()
            .next()?
            .strip_prefix("# wo: release ")?
            .split_whitespace()
            .next()
            .map(str::to_string)
    }

    /// Makes every install on these targets fail (an empty list heals all).
    pub fn set_failures(&self, failures: &[(&str, &str)]) {
        for t in Self::all_targets() {
            self.azure.sim.heal_installs_on(t);
        }
        for (t, message) in failures {
            self.azure.sim.fail_installs_on_with(t, message);
        }
    }

    /// Checks out the tree of `commit` of `repo` into a new directory.
    pub fn checkout(&self, repo: &str, commit: &str) -> PathBuf {
        let dir = self.scratch(&format!("{repo}-{}", &commit[..7.min(commit.len())]));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let archive = git_output(Some(&self.bare(repo)), &["archive", "--format=tar", commit]);
        assert!(archive.status.success(), "git archive {repo} {commit}");
        let mut tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("tar runs");
        std::io::Write::write_all(tar.stdin.as_mut().expect("stdin"), &archive.stdout)
            .expect("feed tar");
        drop(tar.stdin.take());
        assert!(tar.wait().expect("tar").success(), "tar -x");
        dir
    }
}

/// The status of one environment from a `wo status` map.
pub fn env_state(status: &BTreeMap<String, Value>, env: &str) -> Value {
    status
        .get(env)
        .unwrap_or_else(|| panic!("no environment {env} in status {status:#?}"))
        .clone()
}
