//! The GitHub Actions workflows of the six repositories (`wo init github`).
//!
//! | repository | workflow | on | does |
//! |---|---|---|---|
//! | app source, platform control plane | `ci-handoff.yml` | `workflow_run`: the repository's own CI (`InitOptions::ci_workflow`) succeeded for a push to main | starts `prepare-pr.yml` for the tested commit (`source-pushed`) |
//! | app source, platform control plane | `prepare-pr.yml` | `workflow_dispatch`, `repository_dispatch` (`wo-source-pushed`, `wo-config-merged`, `wo-platform-config-merged`) | `wo on-event --github --role source`: render, open or update the gitops pull request |
//! | app source, platform control plane | `deploy.yml` | `repository_dispatch` `wo-change-merged`, `workflow_dispatch` | `wo on-event --github --role source`: deploy, set statuses, prepare the next environment |
//! | app gitops, platform gitops | `notify-on-pr.yml` | `pull_request` closed, merged, head `wo/<env>/<solution>` | dispatches `wo-change-merged {environment}` to the source repo |
//! | app config | `notify-on-config-change.yml` | `pull_request` closed, merged into an env branch | dispatches `wo-config-merged {environment}` to the app source repo |
//! | platform config | `notify-on-config-change.yml` | the same | dispatches `wo-platform-config-merged {environment}` to the control plane and to every app source repo listed in `vars.WO_APPS` (a fleet change moves apps too; `wo init github --apply` keeps the list) |
//!
//! Choices the workflows make, each stated in their header comments:
//!
//! - **Two tokens.** `GITHUB_TOKEN` (the job's own token) acts on the repository the workflow
//!   runs in, with per-job `permissions:` (`contents: read` by default; `statuses: write` where
//!   wo sets commit statuses; `id-token: write` only where the job logs in to Azure;
//!   `actions: write` only to start `prepare-pr.yml`). A job's own token cannot reach another
//!   repository, so `WO_GITHUB_TOKEN` is a GitHub App installation token minted per job by
//!   `actions/create-github-app-token` for exactly the repositories the job touches, narrowed
//!   with `permission-*` inputs (`pull-requests: write` only where pull requests are opened).
//!   The App's id is `vars.WO_APP_ID`, its private key the one stored secret,
//!   `secrets.WO_APP_PRIVATE_KEY`.
//! - **Azure by OIDC.** `azure/login` with `client-id`, `tenant-id` and `subscription-id` from
//!   `vars` (no client secret), in the deploy job only, which runs in the GitHub environment of
//!   the same name (its protection rules apply and its variables may differ per environment;
//!   the federated credential's subject is `repo:<owner>/<repo>:environment:<env>`).
//! - **wo at one version**, installed one of two ways ([`WoInstall`], `wo init github
//!   --install action|cargo`), either way at [`InitOptions::wo_version`] and cached, so a run
//!   installs it once per version and runner. Changing the version means regenerating the
//!   workflows; nothing floats.
//!   - [`WoInstall::Action`] (the default): wo's own action, `uses: <owner>/wo@v<version>`
//!     ([`super::pins::wo_action`]) with `version:` set, which downloads the static release
//!     binary for the runner, checks it against the release's `SHA256SUMS` and caches it.
//!     Seconds, and no Rust toolchain needed. The action is referenced by its release tag,
//!     not by a commit (why: [`super::pins`]).
//!   - [`WoInstall::Cargo`]: `cargo install --locked woac-cli --version <version>` from
//!     crates.io (the Rust toolchain is on GitHub's Ubuntu runners), the binary cached with
//!     `actions/cache` keyed by that version. Minutes on a cache miss; for runners the release
//!     has no binary for, or where only crates.io is reachable.
//! - **Deploys never overlap**: one `concurrency` group per solution and environment with
//!   `cancel-in-progress: false` (a deploy that is waiting may be replaced by a newer one; that
//!   is harmless, as a deploy always deploys the head of the env branch).
//! - **No payload text in scripts**: values from events reach shell steps only through `env:`,
//!   never as `${{ … }}` inside `run:`; wo reads the event itself from `GITHUB_EVENT_PATH`.
//! - Every third-party action is pinned to a full commit SHA ([`super::pins`]).
//!
//! The output is deterministic: the same options give the same bytes, files in path order.

use std::collections::BTreeSet;

use wo_core::error::{Error, Location, Result};

use super::event::{
    DISPATCH_CHANGE_MERGED, DISPATCH_CONFIG_MERGED, DISPATCH_PLATFORM_CONFIG_MERGED,
    DISPATCH_SOURCE_PUSHED,
};
use super::pins::{wo_action, ActionPin, AZURE_LOGIN, CACHE, CHECKOUT, CREATE_GITHUB_APP_TOKEN};

/// The crates.io package of the `wo` binary (the workspace's `wo-cli/`), what
/// [`WoInstall::Cargo`] installs.
pub const WO_CLI_PACKAGE: &str = "woac-cli";

/// How the generated workflows install wo (`wo init github --install`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WoInstall {
    /// wo's own action, `uses: <owner>/wo@v<version>`: the static release binary, checksum
    /// verified and cached.
    #[default]
    Action,
    /// `cargo install --locked woac-cli --version <version>`, built on the runner and cached.
    Cargo,
}

/// The repositories of one solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolutionRepos {
    /// The solution's name (`name:` of its `wo/app.yaml`), the last segment of its change
    /// request branches `wo/<env>/<solution>`.
    pub solution: String,
    /// The source repo (for the platform: the control plane).
    pub source: String,
    /// The config repo (for the platform: the platform config repo).
    pub config: String,
    /// The gitops repo.
    pub gitops: String,
}

/// What `wo init github` generates workflows for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitOptions {
    /// The organisation (or user) owning the six repositories.
    pub owner: String,
    /// The application's repositories.
    pub app: SolutionRepos,
    /// The platform's repositories (`config` is the platform config repo holding the fleet).
    pub platform: SolutionRepos,
    /// The environments in promotion order; the first is where `source-pushed` starts.
    pub environments: Vec<String>,
    /// The source repos' main branch.
    pub main_branch: String,
    /// The version of wo the workflows install (a release version such as `0.1.0`).
    pub wo_version: String,
    /// How they install it.
    pub install: WoInstall,
    /// The runner label (`runs-on`).
    pub runs_on: String,
    /// The name (`name:`) of the source repos' own CI workflow, which builds, tests and pushes
    /// the image: `ci-handoff.yml` starts prepare-pr when a run of it on the main branch
    /// succeeds (`workflow_run`), never before.
    pub ci_workflow: String,
}

impl InitOptions {
    /// Options for application `app` of `owner` with the conventional names: repositories
    /// `<app>-source`, `<app>-config`, `<app>-gitops`, `platform-control-plane`,
    /// `platform-config`, `platform-gitops` (platform solution `platform`), environments
    /// `dev`, `stage`, `prod`, main branch `main`, this wo's version installed with wo's action,
    /// runner `ubuntu-24.04`.
    pub fn new(owner: impl Into<String>, app: impl Into<String>) -> Self {
        let app = app.into();
        Self {
            owner: owner.into(),
            app: SolutionRepos {
                source: format!("{app}-source"),
                config: format!("{app}-config"),
                gitops: format!("{app}-gitops"),
                solution: app,
            },
            platform: SolutionRepos {
                solution: "platform".into(),
                source: "platform-control-plane".into(),
                config: "platform-config".into(),
                gitops: "platform-gitops".into(),
            },
            environments: vec!["dev".into(), "stage".into(), "prod".into()],
            main_branch: "main".into(),
            wo_version: env!("CARGO_PKG_VERSION").into(),
            install: WoInstall::default(),
            runs_on: "ubuntu-24.04".into(),
            ci_workflow: "CI".into(),
        }
    }

    /// Checks every name the workflows will contain: letters, digits, `-`, `_`, `.` (no
    /// leading dot), so that none can change the meaning of the YAML, an expression or a
    /// shell line; at least one environment, none twice; six different repositories; wo's
    /// version a release version (`0.1.0`, `0.2.0-rc.1`).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the option (`app.source`, `environments[1]`, …) of every
    /// problem.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        let mut check = |key: String, value: &str| {
            if !is_name(value) {
                problems.push(wo_core::Diagnostic::new(
                    Location::file("<init options>").with_key(key),
                    format!("{value:?} is not a valid name (letters, digits, - _ ., not starting with a dot)"),
                ));
            }
        };
        check("owner".into(), &self.owner);
        for (prefix, s) in [("app", &self.app), ("platform", &self.platform)] {
            check(format!("{prefix}.solution"), &s.solution);
            check(format!("{prefix}.source"), &s.source);
            check(format!("{prefix}.config"), &s.config);
            check(format!("{prefix}.gitops"), &s.gitops);
        }
        for (i, e) in self.environments.iter().enumerate() {
            check(format!("environments[{i}]"), e);
        }
        check("mainBranch".into(), &self.main_branch);
        check("woVersion".into(), &self.wo_version);
        check("runsOn".into(), &self.runs_on);
        if !is_workflow_name(&self.ci_workflow) {
            problems.push(wo_core::Diagnostic::new(
                Location::file("<init options>").with_key("ciWorkflow"),
                format!(
                    "{:?} is not a workflow name wo writes (letters, digits, spaces, - _ . ( ) /, not \
                     empty)",
                    self.ci_workflow
                ),
            ));
        }
        if is_name(&self.wo_version) && !is_release_version(&self.wo_version) {
            problems.push(wo_core::Diagnostic::new(
                Location::file("<init options>").with_key("woVersion"),
                format!(
                    "{:?} is not a release version of wo such as 0.1.0 (no leading v)",
                    self.wo_version
                ),
            ));
        }
        let here = |key: &str| Location::file("<init options>").with_key(key);
        if self.environments.is_empty() {
            problems.push(wo_core::Diagnostic::new(
                here("environments"),
                "at least one environment is needed",
            ));
        }
        let envs: BTreeSet<&String> = self.environments.iter().collect();
        if envs.len() != self.environments.len() {
            problems.push(wo_core::Diagnostic::new(
                here("environments"),
                "an environment is listed twice",
            ));
        }
        let repos: BTreeSet<&String> = [
            &self.app.source,
            &self.app.config,
            &self.app.gitops,
            &self.platform.source,
            &self.platform.config,
            &self.platform.gitops,
        ]
        .into_iter()
        .collect();
        if repos.len() != 6 {
            problems.push(wo_core::Diagnostic::new(
                here("repositories"),
                "the six repositories need six different names",
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(wo_core::Diagnostics(problems)))
        }
    }
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre.release` (letters, digits, `.`, `-`): the versions
/// wo is released and tagged (`v…`) at.
fn is_release_version(s: &str) -> bool {
    let (core, pre) = match s.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (s, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
}

/// A workflow's `name:` as `workflow_run` names it: what is safe inside a double-quoted YAML
/// string and an expression (no quotes, backslashes, `$`, `{`).
fn is_workflow_name(s: &str) -> bool {
    !s.trim().is_empty()
        && s.len() <= 100
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')' | '/')
        })
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The workflows of all six repositories as `(path, yaml)`, sorted by path; each path is
/// `<repository>/.github/workflows/<name>.yml`.
///
/// # Errors
///
/// [`Error::Invalid`] when the options do not pass [`InitOptions::validate`].
pub fn workflows(opts: &InitOptions) -> Result<Vec<(String, String)>> {
    opts.validate()?;
    let mut files = Vec::new();
    for (sol, kind) in [
        (&opts.app, SolutionKind::App),
        (&opts.platform, SolutionKind::Platform),
    ] {
        let g = Generator { opts, sol, kind };
        files.push(g.file(&sol.source, "ci-handoff.yml", g.ci_handoff()));
        files.push(g.file(&sol.source, "prepare-pr.yml", g.prepare_pr()));
        files.push(g.file(&sol.source, "deploy.yml", g.deploy()));
        files.push(g.file(&sol.gitops, "notify-on-pr.yml", g.notify_on_pr()));
        files.push(g.file(
            &sol.gitops,
            "policy-check.yml",
            super::policy_workflow::policy_check(opts, sol, &g.steps_install(), &g.install_note()),
        ));
        files.push(g.file(
            &sol.config,
            "notify-on-config-change.yml",
            g.notify_on_config_change(),
        ));
    }
    files.sort();
    Ok(files)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SolutionKind {
    App,
    Platform,
}

struct Generator<'a> {
    opts: &'a InitOptions,
    sol: &'a SolutionRepos,
    kind: SolutionKind,
}

/// A YAML string: names are validated to a safe character set, quoting keeps `on`, `yes`,
/// `1.0` and friends strings.
fn q(s: &str) -> String {
    format!("\"{s}\"")
}

impl Generator<'_> {
    fn file(&self, repo: &str, name: &str, yaml: String) -> (String, String) {
        (format!("{repo}/.github/workflows/{name}"), yaml)
    }

    fn full(&self, repo: &str) -> String {
        format!("{}/{repo}", self.opts.owner)
    }

    fn first_env(&self) -> &str {
        &self.opts.environments[0]
    }

    fn header(&self, repo: &str, role: &str, lines: &[&str]) -> String {
        let mut s = format!(
            "# Generated by `wo init github` (wo {}); regenerate rather than edit.\n\
             # Repository: {}, the {role} of solution {}.\n",
            self.opts.wo_version,
            self.full(repo),
            self.sol.solution,
        );
        for l in lines {
            s.push_str(if l.is_empty() { "#" } else { "# " });
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    fn source_role(&self) -> &'static str {
        match self.kind {
            SolutionKind::App => "source repo",
            SolutionKind::Platform => "control plane",
        }
    }

    fn list(&self, indent: usize, items: &[String]) -> String {
        items
            .iter()
            .map(|i| format!("{:indent$}- {i}\n", ""))
            .collect()
    }

    fn env_list(&self, indent: usize) -> String {
        let envs: Vec<String> = self.opts.environments.iter().map(|e| q(e)).collect();
        self.list(indent, &envs)
    }

    /// A JSON array of the environments for `fromJSON` in an expression.
    fn env_json(&self) -> String {
        let envs: Vec<String> = self
            .opts
            .environments
            .iter()
            .map(|e| format!("\"{e}\""))
            .collect();
        format!("[{}]", envs.join(","))
    }

    fn uses(pin: &ActionPin) -> String {
        pin.to_string()
    }

    fn ci_handoff(&self) -> String {
        let mut y = self.header(
            &self.sol.source,
            self.source_role(),
            &[
                &format!(
                    "Flow ci: when this repository's own CI ({}) succeeds for a push to {}, hand the",
                    self.opts.ci_workflow, self.opts.main_branch
                ),
                &format!(
                    "tested commit off to prepare-pr for the first environment ({}), promotable: an",
                    self.first_env()
                ),
                "untested commit, or one whose image is not pushed yet, is never rendered. Only the",
                "main branch promotes (wo checks the commit is on it, whatever the event says).",
                "Needs: nothing but this workflow's own token (actions: write starts prepare-pr).",
            ],
        );
        y.push_str(&format!(
            r#"name: ci-handoff

on:
  workflow_run:
    workflows:
      - {ci}
    types:
      - completed
    branches:
      - {main}

permissions:
  contents: read

jobs:
  handoff:
    name: hand off to prepare-pr
    if: >-
      github.event.workflow_run.conclusion == 'success'
      && github.event.workflow_run.event == 'push'
    runs-on: {runs_on}
    timeout-minutes: 5
    permissions:
      actions: write
    steps:
      - name: Start prepare-pr for the tested commit
        env:
          TOKEN: ${{{{ github.token }}}}
          COMMIT: ${{{{ github.event.workflow_run.head_sha }}}}
        run: |
          jq -n --arg commit "$COMMIT" \
            '{{ref: {main_json}, inputs: {{event: "source-pushed", commit: $commit}}}}' |
{curl}              "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/actions/workflows/prepare-pr.yml/dispatches"
"#,
            ci = q(&self.opts.ci_workflow),
            main = q(&self.opts.main_branch),
            main_json = q(&self.opts.main_branch),
            runs_on = q(&self.opts.runs_on),
            curl = curl_post(10),
        ));
        y
    }

    /// The events prepare-pr runs: what starts a render in this solution.
    fn prepare_events(&self) -> Vec<(&'static str, &'static str)> {
        let mut events = vec![("source-pushed", DISPATCH_SOURCE_PUSHED)];
        if self.kind == SolutionKind::App {
            events.push(("config-merged", DISPATCH_CONFIG_MERGED));
        }
        events.push(("platform-config-merged", DISPATCH_PLATFORM_CONFIG_MERGED));
        events
    }

    /// The other repositories prepare-pr and deploy read or write: config, gitops, platform
    /// config.
    fn other_repos(&self) -> String {
        let repos: BTreeSet<&str> = [
            self.sol.config.as_str(),
            self.sol.gitops.as_str(),
            self.opts.platform.config.as_str(),
        ]
        .into_iter()
        .collect();
        repos.into_iter().collect::<Vec<_>>().join(",")
    }

    fn steps_checkout_and_install(&self) -> String {
        let mut s = format!(
            r#"      - name: Check out (wo.yaml settings)
        uses: {checkout}
        with:
          persist-credentials: false
"#,
            checkout = Self::uses(&CHECKOUT),
        );
        s.push_str(&self.steps_install());
        s
    }

    /// The steps that install wo at `WO_VERSION` (after a checkout).
    fn steps_install(&self) -> String {
        match self.opts.install {
            WoInstall::Action => format!(
                r#"      - name: Install wo
        uses: {action}
        with:
          version: ${{{{ env.WO_VERSION }}}}
"#,
                action = wo_action(&self.opts.wo_version),
            ),
            WoInstall::Cargo => format!(
                r#"      - name: Cache wo
        id: cache-wo
        uses: {cache}
        with:
          path: ~/.cargo/bin/wo
          key: {WO_CLI_PACKAGE}-${{{{ runner.os }}}}-${{{{ runner.arch }}}}-${{{{ env.WO_VERSION }}}}
      - name: Install wo
        if: steps.cache-wo.outputs.cache-hit != 'true'
        run: cargo install --locked {WO_CLI_PACKAGE} --version "$WO_VERSION"
"#,
                cache = Self::uses(&CACHE),
            ),
        }
    }

    /// The header line saying how wo is installed.
    fn install_note(&self) -> String {
        match self.opts.install {
            WoInstall::Action => format!(
                "wo is installed with its action, {} (release binary, SHA-256 checked), and cached.",
                wo_action(&self.opts.wo_version)
            ),
            WoInstall::Cargo => format!(
                "wo is installed with `cargo install --locked {WO_CLI_PACKAGE}` at WO_VERSION and cached."
            ),
        }
    }

    fn step_app_token(&self, repos: &str, permissions: &[(&str, &str)]) -> String {
        let mut s = format!(
            r#"      - name: Token for {repos}
        id: token
        uses: {pin}
        with:
          app-id: ${{{{ vars.WO_APP_ID }}}}
          private-key: ${{{{ secrets.WO_APP_PRIVATE_KEY }}}}
          owner: {owner}
          repositories: {repos_q}
"#,
            pin = Self::uses(&CREATE_GITHUB_APP_TOKEN),
            owner = q(&self.opts.owner),
            repos_q = q(repos),
        );
        for (k, v) in permissions {
            s.push_str(&format!("          permission-{k}: {v}\n"));
        }
        s
    }

    /// The `wo on-event` step; `azure`: the deploy job's, whose wo signs in to Azure itself
    /// with the job's OIDC token (`id-token: write`) and so renews its token however long the
    /// deploy takes (an `az` sign-in left by azure/login is not renewed past about an hour).
    fn step_on_event(&self, azure: bool) -> String {
        let server = "${{ github.server_url }}";
        let o = &self.opts.owner;
        let azure = if azure {
            "          AZURE_CLIENT_ID: ${{ vars.AZURE_CLIENT_ID }}\n          AZURE_TENANT_ID: ${{ vars.AZURE_TENANT_ID }}\n          AZURE_SUBSCRIPTION_ID: ${{ vars.AZURE_SUBSCRIPTION_ID }}\n"
        } else {
            ""
        };
        format!(
            r#"      - name: wo on-event
        env:
          GITHUB_TOKEN: ${{{{ github.token }}}}
          WO_GITHUB_TOKEN: ${{{{ steps.token.outputs.token }}}}
          WO_SOURCE: {server}/{o}/{source}
          WO_CONFIG: {server}/{o}/{config}
          WO_PLATFORM: {server}/{o}/{platform}
          WO_GITOPS: {server}/{o}/{gitops}
          WO_FIRST_ENV: {first}
          WO_RESOURCE_GROUP: ${{{{ vars.WO_RESOURCE_GROUP }}}}
          WO_REGISTRY: ${{{{ vars.WO_REGISTRY }}}}
{azure}        run: wo on-event --github --role source
"#,
            source = self.sol.source,
            config = self.sol.config,
            platform = self.opts.platform.config,
            gitops = self.sol.gitops,
            first = q(self.first_env()),
        )
    }

    fn wo_env_block(&self) -> String {
        format!("env:\n  WO_VERSION: {}\n", q(&self.opts.wo_version))
    }

    fn prepare_pr(&self) -> String {
        let events = self.prepare_events();
        let mut y = self.header(
            &self.sol.source,
            self.source_role(),
            &[
                "Flow prepare-pr: render an environment for a source commit and open (or update) its",
                &format!(
                    "pull request on the env branch of {}; sets the commit status wo/<env> to pending.",
                    self.full(&self.sol.gitops)
                ),
                "Started by ci-handoff.yml (source-pushed), by notify-on-config-change.yml of the config",
                "repositories (repository_dispatch), or by hand (workflow_dispatch).",
                "Needs: vars.WO_APP_ID and secrets.WO_APP_PRIVATE_KEY, a GitHub App installed on",
                &format!(
                    "{} with contents and pull requests write; vars.WO_RESOURCE_GROUP (the Workload Orchestration resource group id).",
                    self.other_repos().replace(',', ", ")
                ),
                &self.install_note(),
            ],
        );
        let options: Vec<String> = events.iter().map(|(e, _)| q(e)).collect();
        let types: Vec<String> = events.iter().map(|(_, d)| q(d)).collect();
        y.push_str(&format!(
            r#"name: prepare-pr

on:
  workflow_dispatch:
    inputs:
      event:
        description: "The wo event to run"
        type: choice
        required: true
        default: "source-pushed"
        options:
{options}      environment:
        description: "The environment (config changes; source-pushed starts at {first})"
        type: choice
        required: true
        default: {first_q}
        options:
{envs}      commit:
        description: "The source commit (source-pushed; default: the head of the chosen branch)"
        type: string
        required: false
  repository_dispatch:
    types:
{types}
permissions:
  contents: read

concurrency:
  group: wo-prepare-pr-{solution}-${{{{ github.event.client_payload.environment || inputs.environment || '{first}' }}}}
  cancel-in-progress: false

{env}
jobs:
  prepare-pr:
    name: prepare-pr
    runs-on: {runs_on}
    timeout-minutes: 30
    permissions:
      contents: read
      statuses: write
    steps:
"#,
            options = self.list(10, &options),
            envs = self.env_list(10),
            types = self.list(6, &types),
            first = self.first_env(),
            first_q = q(self.first_env()),
            solution = self.sol.solution,
            env = self.wo_env_block(),
            runs_on = q(&self.opts.runs_on),
        ));
        y.push_str(&self.steps_checkout_and_install());
        y.push_str(&self.step_app_token(
            &self.other_repos(),
            &[
                ("contents", "write"),
                ("pull-requests", "write"),
                ("statuses", "write"),
            ],
        ));
        y.push_str(&self.step_on_event(false));
        y
    }

    fn deploy(&self) -> String {
        let mut y = self.header(
            &self.sol.source,
            self.source_role(),
            &[
                "Flow deploy: deploy what was merged into an environment's gitops branch, set the",
                "commit statuses wo/<env> and wo/<env>/<target> on the source commit, and when every",
                "target succeeded and the release is promotable, prepare-pr for the next environment.",
                &format!(
                    "Started by notify-on-pr.yml of {} (repository_dispatch {DISPATCH_CHANGE_MERGED}) or by hand.",
                    self.full(&self.sol.gitops)
                ),
                "Deploys of one environment never overlap (concurrency, cancel-in-progress: false).",
                "The job runs in the GitHub environment of the same name: its protection rules apply.",
                "Needs: vars.AZURE_CLIENT_ID, vars.AZURE_TENANT_ID, vars.AZURE_SUBSCRIPTION_ID (OIDC, a",
                &format!(
                    "federated credential with subject repo:{}:environment:<env>; no secret),",
                    self.full(&self.sol.source)
                ),
                "vars.WO_APP_ID and secrets.WO_APP_PRIVATE_KEY (GitHub App), vars.WO_RESOURCE_GROUP (the Workload Orchestration resource group id).",
                &self.install_note(),
            ],
        );
        let environment = "github.event.client_payload.environment || inputs.environment";
        y.push_str(&format!(
            r#"name: deploy

on:
  repository_dispatch:
    types:
      - {dispatch}
  schedule:
    - cron: "*/10 * * * *"
  workflow_dispatch:
    inputs:
      event:
        description: "The wo event to run"
        type: choice
        required: true
        default: "change-merged"
        options:
          - "change-merged"
      environment:
        description: "The environment to deploy"
        type: choice
        required: true
        default: {first_q}
        options:
{envs}
permissions:
  contents: read

concurrency:
  group: wo-deploy-{solution}-${{{{ {environment} }}}}
  cancel-in-progress: false

{env}
jobs:
  deploy:
    name: deploy
    if: contains(fromJSON('{env_json}'), {environment})
    runs-on: {runs_on}
    timeout-minutes: 120
    environment: ${{{{ {environment} }}}}
    permissions:
      contents: read
      id-token: write
      statuses: write
    steps:
"#,
            dispatch = q(DISPATCH_CHANGE_MERGED),
            first_q = q(self.first_env()),
            envs = self.env_list(10),
            solution = self.sol.solution,
            env = self.wo_env_block(),
            env_json = self.env_json(),
            runs_on = q(&self.opts.runs_on),
        ));
        y.push_str(&self.steps_checkout_and_install());
        y.push_str(&self.step_app_token(
            &self.other_repos(),
            &[
                ("contents", "write"),
                ("pull-requests", "write"),
                ("statuses", "write"),
            ],
        ));
        y.push_str(&format!(
            r#"      - name: Azure login (OIDC)
        uses: {pin}
        with:
          client-id: ${{{{ vars.AZURE_CLIENT_ID }}}}
          tenant-id: ${{{{ vars.AZURE_TENANT_ID }}}}
          subscription-id: ${{{{ vars.AZURE_SUBSCRIPTION_ID }}}}
"#,
            pin = Self::uses(&AZURE_LOGIN)
        ));
        y.push_str(&self.step_on_event(true));
        y.push_str(&self.continue_rollouts());
        y
    }

    /// The scheduled job of deploy.yml: every 10 minutes, per environment, the deploy step
    /// again (`wo on-event` with change-merged): a rollout waiting for a bake, a window or an
    /// approval continues (a deploy resumes from the statuses), and an environment without
    /// one deploys its head again, which installs nothing new. One job per environment, in
    /// the concurrency group of the dispatched deploy of that environment.
    fn continue_rollouts(&self) -> String {
        let mut y = String::new();
        for (i, env) in self.opts.environments.iter().enumerate() {
            y.push_str(&self.continue_rollout_job(i + 1, env));
        }
        y
    }

    /// The scheduled job that continues the rollout of `env` (a job per environment rather
    /// than a matrix: each runs in its GitHub environment and concurrency group).
    /// `n` numbers the job (environment names may hold characters a job id may not).
    fn continue_rollout_job(&self, n: usize, env: &str) -> String {
        let mut y = format!(
            r#"
  continue-rollout-{n}:
    name: continue rollout {env}
    if: github.event_name == 'schedule'
    runs-on: {runs_on}
    timeout-minutes: 120
    environment: {env_q}
    concurrency:
      group: wo-deploy-{solution}-{env}
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
      statuses: write
    steps:
"#,
            runs_on = q(&self.opts.runs_on),
            env_q = q(env),
            solution = self.sol.solution,
        );
        y.push_str(&self.steps_checkout_and_install());
        y.push_str(&self.step_app_token(
            &self.other_repos(),
            &[
                ("contents", "write"),
                ("pull-requests", "write"),
                ("statuses", "write"),
            ],
        ));
        y.push_str(&format!(
            r#"      - name: Azure login (OIDC)
        uses: {pin}
        with:
          client-id: ${{{{ vars.AZURE_CLIENT_ID }}}}
          tenant-id: ${{{{ vars.AZURE_TENANT_ID }}}}
          subscription-id: ${{{{ vars.AZURE_SUBSCRIPTION_ID }}}}
"#,
            pin = Self::uses(&AZURE_LOGIN)
        ));
        y.push_str(&self.step_on_event(true).replace(
            "        run: wo on-event --github --role source",
            &format!(
                "          WO_ENVIRONMENT: {}\n        run: wo on-event --event \"{{\\\"type\\\":\\\"change-merged\\\",\\\"environment\\\":\\\"$WO_ENVIRONMENT\\\"}}\"",
                q(env)
            ),
        ));
        y
    }

    /// A job that sends `dispatch` with `client_payload.environment` = the merged pull request's
    /// base branch to each of `targets`, when the pull request was merged from this repository
    /// (and, when `head` is given, from exactly that branch expression).
    fn notify_job(&self, dispatch: &str, head: Option<String>, targets: &[&str]) -> String {
        let mut cond = vec![
            "github.event.pull_request.merged == true".to_owned(),
            "github.event.pull_request.head.repo.full_name == github.repository".to_owned(),
        ];
        if let Some(h) = head {
            cond.push(format!("github.event.pull_request.head.ref == {h}"));
        }
        let repos = targets.join(",");
        let mut y = format!(
            r#"
permissions:
  contents: read

jobs:
  notify:
    name: notify {repos}
    if: >-
      {cond}
    runs-on: {runs_on}
    timeout-minutes: 5
    permissions: {{}}
    steps:
"#,
            cond = cond.join("\n      && "),
            runs_on = q(&self.opts.runs_on),
        );
        y.push_str(&self.step_app_token(&repos, &[("contents", "write")]));
        for t in targets {
            y.push_str(&format!(
                r#"      - name: Dispatch {dispatch} to {full}
        env:
          TOKEN: ${{{{ steps.token.outputs.token }}}}
          ENVIRONMENT: ${{{{ github.event.pull_request.base.ref }}}}
        run: |
          jq -n --arg environment "$ENVIRONMENT" \
            '{{event_type: "{dispatch}", client_payload: {{environment: $environment}}}}' |
{curl}              "$GITHUB_API_URL/repos/{full}/dispatches"
"#,
                full = self.full(t),
                curl = curl_post(10),
            ));
        }
        y
    }

    fn pull_request_closed_on(&self) -> String {
        format!(
            "on:\n  pull_request:\n    types:\n      - closed\n    branches:\n{}",
            self.env_list(6)
        )
    }

    fn notify_on_pr(&self) -> String {
        let mut y = self.header(
            &self.sol.gitops,
            "gitops repo",
            &[
                "Flow notify-on-pr: a wo pull request (head wo/<env>/<solution>) merged into an env branch",
                &format!(
                    "asks {} to deploy that environment (repository_dispatch {DISPATCH_CHANGE_MERGED}).",
                    self.full(&self.sol.source)
                ),
                "Needs: vars.WO_APP_ID and secrets.WO_APP_PRIVATE_KEY, a GitHub App installed on",
                &format!(
                    "{} with contents write (sending a repository_dispatch requires it).",
                    self.sol.source
                ),
            ],
        );
        y.push_str("name: notify-on-pr\n\n");
        y.push_str(&self.pull_request_closed_on());
        let head = format!(
            "format('wo/{{0}}/{{1}}', github.event.pull_request.base.ref, '{}')",
            self.sol.solution
        );
        y.push_str(&self.notify_job(DISPATCH_CHANGE_MERGED, Some(head), &[&self.sol.source]));
        y
    }

    fn notify_on_config_change(&self) -> String {
        if self.kind == SolutionKind::Platform {
            return self.notify_on_platform_config_change();
        }
        let (dispatch, targets, role): (&str, Vec<&str>, &str) = (
            DISPATCH_CONFIG_MERGED,
            vec![&self.sol.source],
            "config repo",
        );
        let names = targets
            .iter()
            .map(|t| self.full(t))
            .collect::<Vec<_>>()
            .join(" and ");
        let mut y = self.header(
            &self.sol.config,
            role,
            &[
                "Flow notify-on-config-change: a pull request merged into an env branch asks",
                &format!("{names} to re-render that environment"),
                &format!(
                    "from the source commit released there, not promotable (repository_dispatch {dispatch})."
                ),
                "Needs: vars.WO_APP_ID and secrets.WO_APP_PRIVATE_KEY, a GitHub App installed on",
                &format!(
                    "{} with contents write (sending a repository_dispatch requires it).",
                    targets.join(", ")
                ),
            ],
        );
        y.push_str("name: notify-on-config-change\n\n");
        y.push_str(&self.pull_request_closed_on());
        y.push_str(&self.notify_job(dispatch, None, &targets));
        y
    }

    /// The platform config repo's notify-on-config-change: platform values and the fleet
    /// (targets, assignments) live there, so the control plane re-renders and so does every
    /// app of the platform, whose targets may have changed. The apps are the source
    /// repositories listed in `vars.WO_APPS` (a JSON array of repository names of the same
    /// owner, kept by `wo init github --apply`), so the file is the same whichever app
    /// generated it; each name is checked before it reaches a URL or the App token.
    fn notify_on_platform_config_change(&self) -> String {
        let dispatch = DISPATCH_PLATFORM_CONFIG_MERGED;
        let control_plane = &self.opts.platform.source;
        let mut y = self.header(
            &self.sol.config,
            "platform config repo",
            &[
                "Flow notify-on-config-change: a pull request merged into an env branch asks",
                &format!(
                    "{} and every app source repository listed in vars.WO_APPS to re-render",
                    self.full(control_plane)
                ),
                &format!(
                    "that environment from the source commit released there, not promotable (repository_dispatch {dispatch})."
                ),
                "Needs: vars.WO_APPS, a JSON array of the apps' source repositories of this owner",
                "(`wo init github --apply` keeps it: each app it sets up is added), vars.WO_APP_ID and",
                "secrets.WO_APP_PRIVATE_KEY, a GitHub App installed on the control plane and those",
                "repositories with contents write (sending a repository_dispatch requires it).",
            ],
        );
        y.push_str("name: notify-on-config-change\n\n");
        y.push_str(&self.pull_request_closed_on());
        y.push_str(&format!(
            r#"
permissions:
  contents: read

jobs:
  notify:
    name: notify {control_plane} and the apps
    if: >-
      github.event.pull_request.merged == true
      && github.event.pull_request.head.repo.full_name == github.repository
    runs-on: {runs_on}
    timeout-minutes: 5
    permissions: {{}}
    steps:
      - name: Apps of the platform (vars.WO_APPS)
        id: apps
        env:
          CONTROL_PLANE: {control_plane_q}
          WO_APPS: ${{{{ vars.WO_APPS }}}}
        run: |
          apps=$(jq -rn --arg apps "${{WO_APPS:-[]}}" \
            '$apps | fromjson | if type == "array" then .[] else error("not a JSON array") end')
          list=""
          for repo in $apps; do
            case "$repo" in
              "" | .* | *[!A-Za-z0-9._-]*)
                echo "::error::vars.WO_APPS holds a name that is not a repository name"
                exit 1
                ;;
            esac
            list="$list,$repo"
          done
          echo "apps=${{list#,}}" >> "$GITHUB_OUTPUT"
          echo "repositories=$CONTROL_PLANE$list" >> "$GITHUB_OUTPUT"
      - name: Token for the control plane and the apps
        id: token
        uses: {pin}
        with:
          app-id: ${{{{ vars.WO_APP_ID }}}}
          private-key: ${{{{ secrets.WO_APP_PRIVATE_KEY }}}}
          owner: {owner}
          repositories: ${{{{ steps.apps.outputs.repositories }}}}
          permission-contents: write
      - name: Dispatch {dispatch} to {full_cp}
        env:
          TOKEN: ${{{{ steps.token.outputs.token }}}}
          ENVIRONMENT: ${{{{ github.event.pull_request.base.ref }}}}
        run: |
          jq -n --arg environment "$ENVIRONMENT" \
            '{{event_type: "{dispatch}", client_payload: {{environment: $environment}}}}' |
{curl}              "$GITHUB_API_URL/repos/{full_cp}/dispatches"
      - name: Dispatch {dispatch} to each app
        if: steps.apps.outputs.apps != ''
        env:
          TOKEN: ${{{{ steps.token.outputs.token }}}}
          ENVIRONMENT: ${{{{ github.event.pull_request.base.ref }}}}
          APPS: ${{{{ steps.apps.outputs.apps }}}}
        run: |
          for repo in ${{APPS//,/ }}; do
            jq -n --arg environment "$ENVIRONMENT" \
              '{{event_type: "{dispatch}", client_payload: {{environment: $environment}}}}' |
{curl_loop}                "$GITHUB_API_URL/repos/{owner_plain}/$repo/dispatches"
          done
"#,
            runs_on = q(&self.opts.runs_on),
            control_plane_q = q(control_plane),
            pin = Self::uses(&CREATE_GITHUB_APP_TOKEN),
            owner = q(&self.opts.owner),
            owner_plain = self.opts.owner,
            full_cp = self.full(control_plane),
            curl = curl_post(10),
            curl_loop = curl_post(12),
        ));
        y
    }
}

/// The lines of a shell pipeline's last command that POSTs its standard input as JSON (with
/// its content type: curl's `--data` would say a form) to the
/// GitHub API with `$TOKEN` (curl and jq are on every GitHub-hosted runner; `GITHUB_API_URL`
/// is set by the runner, so GitHub Enterprise Server works unchanged); the URL follows on the
/// next line. curl retries 429 and 5xx answers, honouring `Retry-After`, and fails on any
/// other error with GitHub's message.
fn curl_post(indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!(
        "{pad}  curl --fail-with-body --silent --show-error --retry 5 --retry-all-errors \\\n\
         {pad}    --request POST --data @- \\\n\
         {pad}    --header \"Authorization: Bearer $TOKEN\" \\\n\
         {pad}    --header \"Content-Type: application/json\" \\\n\
         {pad}    --header \"Accept: application/vnd.github+json\" \\\n\
         {pad}    --header \"X-GitHub-Api-Version: 2022-11-28\" \\\n"
    )
}
