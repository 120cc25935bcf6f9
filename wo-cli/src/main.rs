//! `wo`: workload orchestration as code. A thin layer over the `wo` crates: parse the command
//! line, call the library, print. Exit codes: 0 ok, 1 a run failed, 2 invalid input.
#![forbid(unsafe_code)]

mod azure;
#[cfg(feature = "demo")]
mod demo;
mod flow;
mod local;
mod orchestrator;
mod render;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use wo_core::Error;

/// Workload orchestration as code: compose, validate and resolve configuration from Git.
#[derive(Debug, Parser)]
#[command(name = "wo", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Yaml,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check every file given: the source bundle, and the value files and fleet of an environment.
    Validate {
        /// Checkout of the solution's source repository (holds wo/app.yaml).
        #[arg(long, env = "WO_SOURCE")]
        source: PathBuf,
        /// Checkout of the config repo's environment branch (value files).
        #[arg(long, env = "WO_CONFIG")]
        config: Option<PathBuf>,
        /// Checkout of the platform config repo's environment branch (fleet.yaml, platform values).
        #[arg(long, env = "WO_FLEET")]
        fleet: Option<PathBuf>,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Print the resolved configuration of one target, with where each value came from.
    Resolve {
        /// Checkout of the solution's source repository (holds wo/app.yaml).
        #[arg(long, env = "WO_SOURCE")]
        source: PathBuf,
        /// Checkout of the config repo's environment branch (value files); not used by a Platform solution.
        #[arg(long, env = "WO_CONFIG")]
        config: Option<PathBuf>,
        /// Checkout of the platform config repo's environment branch (fleet.yaml, platform values).
        #[arg(long, env = "WO_FLEET")]
        fleet: PathBuf,
        /// The target.
        #[arg(long)]
        target: String,
        /// Print a table of key, value, level and file instead of the values.
        #[arg(long)]
        explain: bool,
        /// `yaml` (default) or `json` (`{"values": …, "provenance": …}`).
        #[arg(long, value_enum, default_value = "yaml")]
        output: Output,
    },
    /// Render the manifests of every target the fleet assigns the solution to, into the gitops
    /// layout `<solution>/<target>/{values,manifests}.yaml` under `--out`.
    Render {
        /// Checkout of the solution's source repository (holds wo/app.yaml and the chart).
        #[arg(long, env = "WO_SOURCE")]
        source: PathBuf,
        /// Checkout of the config repo's environment branch; not used by a Platform solution.
        #[arg(long, env = "WO_CONFIG")]
        config: Option<PathBuf>,
        /// Checkout of the platform config repo's environment branch.
        #[arg(long, env = "WO_FLEET")]
        fleet: PathBuf,
        /// Only these targets (repeatable); default: every assigned target.
        #[arg(long)]
        target: Vec<String>,
        /// Directory to write the plan into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the policy checks on manifests (files, or directories holding `manifests.yaml`
    /// files). Exits 1 when a blocking rule fails.
    Check {
        /// Manifest files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Policy file (`kind: Policy`): which rules block, exceptions with reasons.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
    },
    /// Render an environment for a source commit and open (or update) its change request on the
    /// gitops env branch.
    PreparePr {
        #[command(flatten)]
        repos: settings::RepoArgs,
        /// The environment.
        #[arg(long)]
        env: String,
        /// The source revision (commit, branch or tag) to render.
        #[arg(long, conflicts_with = "released")]
        source_rev: Option<String>,
        /// Render the source commit currently released in the environment (a config change).
        #[arg(long)]
        released: bool,
        /// Whether a successful deploy promotes to the next environment (default: yes for
        /// --source-rev, no for --released).
        #[arg(long)]
        promotable: Option<bool>,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Merge the open change request of an environment (the reviewer's step, done locally).
    Merge {
        #[command(flatten)]
        repos: settings::RepoArgs,
        /// The environment.
        #[arg(long)]
        env: String,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Deploy the release merged into an environment; exits 1 when a target fails.
    Deploy {
        #[command(flatten)]
        repos: settings::RepoArgs,
        /// The environment.
        #[arg(long)]
        env: String,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Run what an event calls for and follow the chain until a change request waits for
    /// review, the chain ends, or a step fails.
    OnEvent {
        #[command(flatten)]
        repos: settings::RepoArgs,
        /// The event as JSON, e.g. `{"type": "change-merged", "environment": "dev"}`; `-` reads
        /// standard input.
        #[arg(long, required_unless_present = "github", conflicts_with = "github")]
        event: Option<String>,
        /// Read the event of the GitHub Actions run (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`)
        /// and write `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and annotations.
        #[arg(long, requires = "role")]
        github: bool,
        /// With --github: the role of the repository the workflow runs in (`source`, `config`,
        /// `platform-config`, `gitops`).
        #[arg(long)]
        role: Option<String>,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Per environment: released source, config and gitops commits, per-target state.
    Status {
        #[command(flatten)]
        repos: settings::RepoArgs,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// The releases of an environment, newest first.
    History {
        #[command(flatten)]
        repos: settings::RepoArgs,
        /// The environment.
        #[arg(long)]
        env: String,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Open a change request restoring an earlier release of an environment.
    Rollback {
        #[command(flatten)]
        repos: settings::RepoArgs,
        /// The environment.
        #[arg(long)]
        env: String,
        /// The gitops commit of the release to restore (see `wo history`).
        #[arg(long)]
        to: String,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Create an application and a platform with their six repositories and three environments,
    /// run every flow, and check each outcome. Exits 0 only when every expectation held.
    #[cfg(feature = "demo")]
    Demo {
        /// Directory to create the repositories in (kept); default: a temporary directory.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Keep the temporary directory.
        #[arg(long)]
        keep: bool,
    },
    /// Scaffold the automation around wo (`wo init github`).
    Init {
        #[command(subcommand)]
        what: InitCommand,
    },
    /// Compare two rendered plans (directories in the gitops layout) resource by resource.
    Diff {
        /// The old plan.
        old: PathBuf,
        /// The new plan.
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
    },
    /// Serve the Workload Orchestration ARM simulator (Microsoft.Edge, api-version 2025-08-01)
    /// until SIGINT or SIGTERM; prints its URL first. A test tool: it accepts any bearer token.
    #[cfg(feature = "demo")]
    AzureSim(azure::SimArgs),
    /// Work on the fleet of an environment.
    Fleet {
        #[command(subcommand)]
        what: FleetCommand,
    },
}

#[derive(Debug, Subcommand)]
enum FleetCommand {
    /// Onboard the targets of a resource group in Azure Workload Orchestration into the
    /// environment's fleet.yaml, proposed on the branch `wo/fleet-import/<env>` of the platform
    /// config repo (with a pull request on GitHub).
    ///
    /// Fleet targets match WO targets by `orchestrator.id`, else by name; they keep their
    /// hierarchy, labels and assignments and get WO's capabilities and ids. New targets are
    /// added with `labels: {hierarchyLevel: …}`; targets WO no longer lists are kept and named
    /// in a warning. The file is re-emitted through wo's YAML layer: comments are not kept.
    /// Running it again with nothing changed writes nothing.
    Import(azure::ImportArgs),
}

#[derive(Debug, Subcommand)]
enum InitCommand {
    /// Write the GitHub Actions workflows of all six repositories (app and platform source,
    /// config and gitops) under `--out/<repo>/.github/workflows/`.
    Github {
        /// The organisation or user owning the repositories.
        #[arg(long)]
        owner: String,
        /// The application (repositories `<app>-source`, `<app>-config`, `<app>-gitops`).
        #[arg(long)]
        app: String,
        /// The environments in promotion order.
        #[arg(long, value_delimiter = ',', default_value = "dev,stage,prod")]
        environments: Vec<String>,
        /// The source repos' main branch.
        #[arg(long, default_value = "main")]
        main_branch: String,
        /// Where to write (one directory per repository).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mut code = ExitCode::SUCCESS;
    let result = match cli.command {
        Command::Validate {
            source,
            config,
            fleet,
            output,
        } => local::validate(
            &source,
            config.as_deref(),
            fleet.as_deref(),
            output == Output::Json,
        ),
        Command::Resolve {
            source,
            config,
            fleet,
            target,
            explain,
            output,
        } => local::resolve(
            &source,
            config.as_deref(),
            &fleet,
            &target,
            explain,
            output == Output::Json,
        ),
        Command::Render {
            source,
            config,
            fleet,
            target,
            out,
        } => runtime.block_on(render::render(
            &source,
            config.as_deref(),
            &fleet,
            &target,
            &out,
        )),
        Command::Check {
            paths,
            policy,
            format,
        } => {
            let format = match format {
                CheckFormat::Text => "text",
                CheckFormat::Json => "json",
                CheckFormat::Sarif => "sarif",
            };
            render::check_paths(&paths, policy.as_deref(), format).map(|o| {
                if o.blocking {
                    code = ExitCode::from(1);
                }
                o.text
            })
        }
        Command::PreparePr {
            repos,
            env,
            source_rev,
            released,
            promotable,
            output,
        } => {
            let (source, default_promotable) = match (source_rev, released) {
                (Some(rev), _) => (wo_core::pipeline::SourceChoice::Commit(rev), true),
                (None, true) => (wo_core::pipeline::SourceChoice::Released, false),
                (None, false) => {
                    eprintln!("error: give --source-rev REV or --released");
                    return ExitCode::from(2);
                }
            };
            flow_result(
                runtime.block_on(async {
                    flow::prepare_pr(
                        &repos.resolve()?,
                        &env,
                        source,
                        promotable.unwrap_or(default_promotable),
                        output == Output::Json,
                    )
                    .await
                }),
                &mut code,
            )
        }
        Command::Merge { repos, env, output } => flow_result(
            runtime.block_on(async {
                flow::merge(&repos.resolve()?, &env, output == Output::Json).await
            }),
            &mut code,
        ),
        Command::Deploy { repos, env, output } => flow_result(
            runtime.block_on(async {
                flow::deploy(&repos.resolve()?, &env, output == Output::Json).await
            }),
            &mut code,
        ),
        Command::OnEvent {
            repos,
            event,
            github,
            role,
            output,
        } => flow_result(
            runtime.block_on(async {
                let settings = repos.resolve()?;
                if github {
                    return flow::on_github_event(
                        &settings,
                        role.as_deref().unwrap_or_default(),
                        output == Output::Json,
                    )
                    .await;
                }
                let text = match event.as_deref() {
                    Some("-") => {
                        let mut s = String::new();
                        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(
                            |source| wo_core::Error::Io {
                                path: "<stdin>".into(),
                                source,
                            },
                        )?;
                        s
                    }
                    Some(e) => e.to_string(),
                    None => String::new(),
                };
                let ev = flow::parse_event(&text, "<event>")?;
                flow::on_event(&settings, &ev, output == Output::Json).await
            }),
            &mut code,
        ),
        Command::Status { repos, output } => flow_result(
            runtime
                .block_on(async { flow::status(&repos.resolve()?, output == Output::Json).await }),
            &mut code,
        ),
        Command::History {
            repos,
            env,
            limit,
            output,
        } => flow_result(
            runtime.block_on(async {
                flow::history(&repos.resolve()?, &env, limit, output == Output::Json).await
            }),
            &mut code,
        ),
        Command::Rollback {
            repos,
            env,
            to,
            output,
        } => flow_result(
            runtime.block_on(async {
                flow::rollback(&repos.resolve()?, &env, &to, output == Output::Json).await
            }),
            &mut code,
        ),
        #[cfg(feature = "demo")]
        Command::Demo { dir, keep } => runtime.block_on(demo::run(dir, keep)).map(|ok| {
            if !ok {
                code = ExitCode::from(1);
            }
            String::new()
        }),
        Command::Init {
            what:
                InitCommand::Github {
                    owner,
                    app,
                    environments,
                    main_branch,
                    out,
                },
        } => {
            let mut opts = wo_github::actions::InitOptions::new(owner, app);
            opts.environments = environments;
            opts.main_branch = main_branch;
            init_github(&opts, &out)
        }
        Command::Diff { old, new, format } => {
            let format = match format {
                DiffFormat::Text => "text",
                DiffFormat::Markdown => "markdown",
                DiffFormat::Json => "json",
            };
            render::diff_dirs(&old, &new, format)
        }
        #[cfg(feature = "demo")]
        Command::AzureSim(args) => runtime.block_on(azure::serve(&args)),
        Command::Fleet {
            what: FleetCommand::Import(args),
        } => runtime.block_on(azure::import(&args)),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            code
        }
        Err(e) => report(&e),
    }
}

/// `wo init github`: writes the workflows; nothing is written when an option is invalid.
fn init_github(
    opts: &wo_github::actions::InitOptions,
    out: &std::path::Path,
) -> wo_core::Result<String> {
    let files = wo_github::actions::workflows(opts)?;
    let mut text = String::new();
    for (rel, yaml) in &files {
        wo_core::files::check_relative_path(rel)
            .map_err(|m| wo_core::Error::invalid(wo_core::Location::file(rel.clone()), m))?;
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| wo_core::Error::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&path, yaml).map_err(|source| wo_core::Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        text.push_str(&format!("wrote {}\n", path.display()));
    }
    Ok(text)
}

/// Unpacks a flow command's output, noting a failed run in the exit code.
fn flow_result(
    r: wo_core::Result<flow::FlowOutput>,
    code: &mut ExitCode,
) -> wo_core::Result<String> {
    r.map(|o| {
        if o.failed {
            *code = ExitCode::from(1);
        }
        o.text
    })
}

/// Prints an error to stderr and chooses the exit code: 2 for bad input, 1 otherwise.
fn report(e: &Error) -> ExitCode {
    match e {
        Error::Invalid(ds) => {
            for d in &ds.0 {
                eprintln!("error: {d}");
            }
            let n = ds.0.len();
            eprintln!(
                "{n} problem{} found; nothing was written",
                if n == 1 { "" } else { "s" }
            );
            ExitCode::from(2)
        }
        other => {
            eprintln!("error: {other}");
            ExitCode::from(1)
        }
    }
}
