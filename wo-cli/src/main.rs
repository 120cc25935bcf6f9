//! `wo`: workload orchestration as code. A thin layer over the `wo` crates: parse the command
//! line, call the library, print. Exit codes: 0 ok, 1 a run failed, 2 invalid input.
#![forbid(unsafe_code)]

mod local;
mod render;

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
        Command::Diff { old, new, format } => {
            let format = match format {
                DiffFormat::Text => "text",
                DiffFormat::Markdown => "markdown",
                DiffFormat::Json => "json",
            };
            render::diff_dirs(&old, &new, format)
        }
    };
    match result {
        Ok(text) => {
            print!("{text}");
            code
        }
        Err(e) => report(&e),
    }
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
