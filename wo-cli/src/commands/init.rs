//! `wo init github`: the GitHub Actions workflows of the six repositories.

use std::path::{Path, PathBuf};

use serde_json::json;
use wo_core::{Error, Location, Result};

use crate::output::{to_json, Outcome, TextOrJson};

/// Scaffold the automation around wo.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo init github --owner acme --app shop --out .github-workflows")]
pub struct Init {
    #[command(subcommand)]
    what: InitCommand,
}

#[derive(Debug, clap::Subcommand)]
enum InitCommand {
    /// Write the GitHub Actions workflows of all six repositories.
    ///
    /// App and platform source, config and gitops repositories, each under
    /// --out/<repo>/.github/workflows/.
    #[command(after_help = "\
Examples:
  wo init github --owner acme --app shop
  wo init github --owner acme --app shop --env dev,prod --main-branch trunk --out workflows
  wo init github --owner acme --app shop --install cargo")]
    Github(InitGithub),
}

#[derive(Debug, clap::Args)]
struct InitGithub {
    /// The organisation or user owning the repositories.
    #[arg(long)]
    owner: String,
    /// The application (repositories <app>-source, <app>-config, <app>-gitops).
    #[arg(long)]
    app: String,
    /// The environments in promotion order.
    #[arg(
        short,
        long = "env",
        value_name = "ENV,…",
        value_delimiter = ',',
        default_value = "dev,stage,prod"
    )]
    envs: Vec<String>,
    /// The source repos' main branch.
    #[arg(long, default_value = "main")]
    main_branch: String,
    /// The `name:` of the source repos' own CI workflow (build, test, push the image):
    /// prepare-pr starts when a run of it succeeds on the main branch.
    #[arg(long, default_value = "CI", value_name = "NAME")]
    ci_workflow: String,
    /// How the workflows install wo (at this wo's version): `action`, wo's own action
    /// (the static release binary, SHA-256 checked, cached); `cargo`, `cargo install --locked
    /// woac-cli` on the runner (cached).
    #[arg(long, value_enum, default_value_t = Install::Action)]
    install: Install,
    /// Where to write (one directory per repository).
    #[arg(long, default_value = ".", value_name = "DIR")]
    out: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

/// `--install`: how the generated workflows install wo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Install {
    /// `uses: <owner>/wo@v<version>`, wo's action.
    Action,
    /// `cargo install --locked woac-cli --version <version>`.
    Cargo,
}

impl From<Install> for wo_github::actions::WoInstall {
    fn from(i: Install) -> Self {
        match i {
            Install::Action => Self::Action,
            Install::Cargo => Self::Cargo,
        }
    }
}

impl Init {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        let InitCommand::Github(g) = &self.what;
        g.output.is_json()
    }

    /// Runs the command: nothing is written when an option is invalid.
    pub async fn run(self) -> Result<Outcome> {
        let InitCommand::Github(g) = self.what;
        let mut opts = wo_github::actions::InitOptions::new(g.owner, g.app);
        opts.environments = g.envs;
        opts.main_branch = g.main_branch;
        opts.ci_workflow = g.ci_workflow;
        opts.install = g.install.into();
        let files = wo_github::actions::workflows(&opts)?;
        for (rel, _) in &files {
            wo_core::files::check_relative_path(rel)
                .map_err(|m| Error::invalid(Location::file(rel.clone()), m))?;
        }
        let mut written = Vec::new();
        for (rel, yaml) in &files {
            let path = g.out.join(rel);
            write(&path, yaml)?;
            written.push(path.display().to_string());
        }
        if g.output.is_json() {
            return Ok(Outcome::json(to_json(&json!({ "written": written }))?));
        }
        Ok(Outcome::ok(
            written
                .iter()
                .map(|p| format!("wrote {p}\n"))
                .collect::<String>(),
        ))
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| Error::Io { path, source }
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, text).map_err(io(path))
}
