//! GitHub Actions for tests: runs a workflow file for an event with GitHub's own workflow
//! parser and expression engine (npm `@actions/workflow-parser`, `@actions/expressions`),
//! `run:` steps in bash, the few actions wo's workflows use emulated (checkout, cache,
//! create-github-app-token, azure/login, upload-sarif) and composite actions given by path run
//! step by step. See `actions-runner/runner.mjs` for what exactly is emulated.
//!
//! What the runner cannot know — a job's `GITHUB_TOKEN`, a GitHub App token, whether an
//! environment's reviewers approve — it asks the test through [`Runner::run`]'s callback, one
//! [`Ask`] at a time, so the test answers with tokens its fake GitHub issued.
//!
//! ```no_run
//! use serde_json::json;
//! use wo_test_support::actions::Runner;
//!
//! let runner = Runner::new();
//! let result = runner.run(&json!({ "workflow": { "path": ".github/workflows/x.yml", "content": "…" } }), |ask| {
//!     json!({ "token": "ghs_…", "approved": true })
//! });
//! assert_eq!(result["conclusion"], "success");
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::tools::tools_dir;

/// The runner: `node` with the npm packages `bash .ci/install-tools` installs into
/// `<tools_dir()>/actions-runner/node_modules`.
#[derive(Debug, Clone)]
pub struct Runner {
    script: PathBuf,
    modules: PathBuf,
    node: PathBuf,
}

/// A request of the runner, answered by the test: `call` is `github_token` (`repository`,
/// `permissions`, `job`; answer `token`, and for `id-token: write` `id_token_url` and
/// `id_token_request_token`), `app_token` (`owner`, `repositories`, `permissions`,
/// `app_id`; answer `token`), `environment` (`repository`, `environment`, `sha`, `ref`;
/// answer `approved`, optional `reason` and the environment's `vars`), `sarif`
/// (`repository`, `sha`, `ref`, `category`, `sarif`; answer `{}`). Answer `{"error": "…"}`
/// to fail the step that asked.
pub type Ask = Value;

impl Default for Runner {
    fn default() -> Self {
        Self::new()
    }
}

impl Runner {
    /// The runner with the installed packages.
    ///
    /// # Panics
    /// When the packages are not installed (the message names `bash .ci/install-tools`).
    pub fn new() -> Runner {
        let modules = tools_dir().join("actions-runner/node_modules");
        assert!(
            modules.join("@actions/workflow-parser/package.json").is_file()
                && modules.join("@actions/expressions/package.json").is_file(),
            "GitHub's workflow parser and expression engine are not installed in {}: run `bash .ci/install-tools`",
            modules.display()
        );
        let node = std::env::var_os("WO_NODE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("node"));
        Runner {
            script: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("actions-runner"),
            modules,
            node,
        }
    }

    /// Runs one workflow for one event (`input`: see `actions-runner/runner.mjs`), answering
    /// the runner's requests with `answer`; returns the run's result: `triggered` (false, with
    /// `reason`, when the workflow's `on:` does not match the event), `conclusion`, and per
    /// job its `result`, `steps`, `outputs`, `permissions` and the workflow `commands` its
    /// steps printed.
    ///
    /// # Panics
    /// When `node` cannot be started or the runner breaks its protocol.
    pub fn run(&self, input: &Value, mut answer: impl FnMut(&Ask) -> Value) -> Value {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("input.json");
        std::fs::write(&file, serde_json::to_vec(input).expect("input")).expect("write input");
        let mut child = Command::new(&self.node)
            .arg("--import")
            .arg(self.script.join("register.mjs"))
            .arg(self.script.join("runner.mjs"))
            .arg(&file)
            .env("WO_ACTIONS_MODULES", &self.modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.node.display()));
        let mut stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut result = None;
        for line in stdout.lines() {
            let line = line.expect("runner output");
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("runner printed a line that is not JSON ({e}): {line}"));
            if let Some(r) = message.get("result") {
                result = Some(r.clone());
                break;
            }
            let reply = answer(&message);
            writeln!(stdin, "{reply}").expect("answer the runner");
            stdin.flush().expect("answer the runner");
        }
        drop(stdin);
        let status = child.wait().expect("runner exits");
        let result =
            result.unwrap_or_else(|| panic!("the runner ended ({status}) without a result"));
        assert!(
            result.get("error").is_none() || result["conclusion"] == "failure",
            "{result}"
        );
        result
    }
}
