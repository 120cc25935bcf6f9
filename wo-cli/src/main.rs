//! `wo`: workload orchestration as code. A thin layer over the `wo` library: parse the command
//! line, call the library, print. Exit codes: 0 ok, 1 a run failed, 2 invalid input.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod console;
#[cfg(feature = "demo")]
mod demo;
mod deploy_lock;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
#[cfg(feature = "demo")]
use commands::sim;
use commands::{completions, fleet, flow, init, local, plan, template, verify};
use output::Outcome;
use wo_core::Result;

/// mimalloc: `wo render` of a large fleet is mostly small allocations on worker threads, which
/// glibc's allocator serves slower (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Workload orchestration as code: compose, validate, render and promote configuration from
/// Git, and deploy it through Azure Workload Orchestration.
#[derive(Debug, Parser)]
#[command(
    name = "wo",
    version,
    about,
    propagate_version = true,
    after_help = "\
Examples:
  # Offline: check and resolve the worked example
  wo validate --source examples/shop/source --config examples/shop/config --platform examples/shop/fleet
  wo resolve --source examples/shop/source --config examples/shop/config --platform examples/shop/fleet \\
      --target berlin-1 -o text

  # The flows, with the repositories in wo.yaml
  wo prepare-pr --env dev --source-rev main
  wo merge --env dev && wo deploy --env dev
  wo status
  wo verify --env dev

  # The whole model on one machine
  wo demo

Exit codes: 0 ok, 1 a run failed, 2 invalid input (nothing was written)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Validate(local::Validate),
    Resolve(local::Resolve),
    Render(plan::Render),
    Template(template::Template),
    Check(plan::Check),
    Diff(plan::Diff),
    PreparePr(flow::PreparePr),
    Merge(flow::Merge),
    Deploy(flow::Deploy),
    Approve(flow::Approve),
    OnEvent(flow::OnEvent),
    Status(flow::Status),
    History(flow::History),
    Rollback(flow::Rollback),
    Verify(verify::Verify),
    Fleet(fleet::Fleet),
    Init(init::Init),
    #[cfg(feature = "demo")]
    AzureSim(sim::SimArgs),
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    Completions(completions::Completions),
    Man(completions::Man),
}

impl Command {
    /// Whether the command was asked for JSON, so that errors are JSON too.
    fn json(&self) -> bool {
        match self {
            Command::Validate(c) => c.json(),
            Command::Resolve(c) => c.json(),
            Command::Render(c) => c.json(),
            Command::Template(c) => c.json(),
            Command::Check(c) => c.json(),
            Command::Diff(c) => c.json(),
            Command::PreparePr(c) => c.json(),
            Command::Merge(c) => c.json(),
            Command::Deploy(c) => c.json(),
            Command::Approve(c) => c.json(),
            Command::OnEvent(c) => c.json(),
            Command::Status(c) => c.json(),
            Command::History(c) => c.json(),
            Command::Rollback(c) => c.json(),
            Command::Verify(c) => c.json(),
            Command::Fleet(c) => c.json(),
            Command::Init(c) => c.json(),
            #[cfg(feature = "demo")]
            Command::AzureSim(_) | Command::Demo(_) => false,
            Command::Completions(_) | Command::Man(_) => false,
        }
    }

    async fn run(self) -> Result<Outcome> {
        match self {
            Command::Validate(c) => c.run().await,
            Command::Resolve(c) => c.run().await,
            Command::Render(c) => c.run().await,
            Command::Template(c) => c.run().await,
            Command::Check(c) => c.run().await,
            Command::Diff(c) => c.run().await,
            Command::PreparePr(c) => c.run().await,
            Command::Merge(c) => c.run().await,
            Command::Deploy(c) => c.run().await,
            Command::Approve(c) => c.run().await,
            Command::OnEvent(c) => c.run().await,
            Command::Status(c) => c.run().await,
            Command::History(c) => c.run().await,
            Command::Rollback(c) => c.run().await,
            Command::Verify(c) => c.run().await,
            Command::Fleet(c) => c.run().await,
            Command::Init(c) => c.run().await,
            #[cfg(feature = "demo")]
            Command::AzureSim(c) => c.run().await,
            #[cfg(feature = "demo")]
            Command::Demo(c) => c.run().await,
            Command::Completions(c) => c.run().await,
            Command::Man(c) => c.run().await,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.command.json();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            console::err_line(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli.command.run()) {
        Ok(outcome) => {
            console::out(&outcome.text, outcome.kind);
            if outcome.failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => output::report(&e, json),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Every command and subcommand, with its path (`fleet import`).
    fn commands() -> Vec<(String, clap::Command)> {
        fn walk(prefix: &str, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
            for sub in cmd.get_subcommands() {
                let path = format!("{prefix}{}", sub.get_name());
                out.push((path.clone(), sub.clone()));
                walk(&format!("{path} "), sub, out);
            }
        }
        let mut out = Vec::new();
        walk("", &Cli::command(), &mut out);
        out
    }

    /// The `--output` values each command accepts: the table of the README.
    const OUTPUTS: &[(&str, &[&str])] = &[
        ("validate", &["text", "json"]),
        ("resolve", &["yaml", "json", "text"]),
        ("render", &["text", "json"]),
        ("template", &[]),
        ("check", &["text", "json", "sarif"]),
        ("diff", &["text", "json", "markdown"]),
        ("prepare-pr", &["text", "json"]),
        ("merge", &["text", "json"]),
        ("deploy", &["text", "json"]),
        ("approve", &["text", "json"]),
        ("on-event", &["text", "json"]),
        ("status", &["text", "json"]),
        ("history", &["text", "json"]),
        ("rollback", &["text", "json"]),
        ("verify", &["text", "json"]),
        ("fleet", &[]),
        ("fleet import", &["text", "json"]),
        ("fleet apply", &["text", "json"]),
        ("init", &[]),
        ("init github", &["text", "json"]),
        #[cfg(feature = "demo")]
        ("azure-sim", &[]),
        #[cfg(feature = "demo")]
        ("demo", &[]),
        ("completions", &[]),
        ("man", &[]),
    ];

    #[test]
    fn every_command_has_examples_in_its_help() {
        let mut top = Cli::command();
        let help = top.render_long_help().to_string();
        assert!(help.contains("Examples:"), "wo --help");
        for (path, mut cmd) in commands() {
            let help = cmd.render_long_help().to_string();
            assert!(
                help.contains("\nExamples:\n"),
                "wo {path} --help has no Examples"
            );
        }
    }

    #[test]
    fn every_command_takes_the_output_values_of_the_table_and_no_other() {
        let all = commands();
        assert_eq!(
            all.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            OUTPUTS.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            "the table lists every command"
        );
        for ((path, cmd), (_, want)) in all.iter().zip(OUTPUTS) {
            let output = cmd.get_arguments().find(|a| a.get_id() == "output");
            let got: Vec<String> = output
                .map(|a| {
                    a.get_possible_values()
                        .iter()
                        .map(|v| v.get_name().to_string())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(got, *want, "wo {path} --output");
            if let Some(a) = output {
                assert_eq!(a.get_short(), Some('o'), "wo {path}: -o");
                assert_eq!(a.get_long(), Some("output"), "wo {path}: --output");
            }
        }
    }

    #[test]
    fn one_name_for_the_environment_and_the_repositories() {
        for (path, cmd) in commands() {
            for a in cmd.get_arguments() {
                let long = a.get_long().unwrap_or_default();
                assert!(
                    !matches!(long, "environment" | "environments" | "format" | "fleet"),
                    "wo {path} --{long}: use --env, --output, --platform"
                );
                if long == "env" {
                    assert_eq!(a.get_short(), Some('e'), "wo {path}: -e");
                }
                if long == "platform" {
                    assert_eq!(
                        a.get_env().and_then(|e| e.to_str()),
                        Some("WO_PLATFORM"),
                        "wo {path} --platform"
                    );
                }
            }
        }
    }

    #[test]
    fn an_output_a_command_does_not_support_is_refused() {
        for args in [
            &["wo", "status", "-o", "yaml"][..],
            &["wo", "check", "plan", "--output", "markdown"][..],
            &["wo", "deploy", "--env", "dev", "-o", "sarif"][..],
        ] {
            let e = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue, "{args:?}");
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
        assert!(Cli::try_parse_from(["wo", "status", "-o", "json"]).is_ok());
    }
}
