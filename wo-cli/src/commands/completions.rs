//! `wo completions` and `wo man`: shell completion scripts and manual pages, generated from
//! the command line definition itself.

use std::path::PathBuf;

use clap::CommandFactory;
use wo_core::{Error, Result};

use crate::output::Outcome;

/// Print the completion script of a shell.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo completions bash > /etc/bash_completion.d/wo
  wo completions zsh > \"${fpath[1]}/_wo\"
  wo completions fish > ~/.config/fish/completions/wo.fish")]
pub struct Completions {
    /// The shell.
    shell: clap_complete::Shell,
}

impl Completions {
    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let mut cmd = crate::Cli::command();
        let mut out = Vec::new();
        clap_complete::generate(self.shell, &mut cmd, "wo", &mut out);
        Ok(Outcome::data(String::from_utf8_lossy(&out).into_owned()))
    }
}

/// Write manual pages: wo(1), and wo-<command>(1) for every command.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo man --out /usr/local/share/man/man1
  wo man | man -l -")]
pub struct Man {
    /// Directory to write wo.1 and wo-<command>.1 into; without it, wo(1) is printed.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

impl Man {
    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let cmd = crate::Cli::command();
        let Some(dir) = self.out else {
            return Ok(Outcome::data(page(&cmd)?));
        };
        let io = |p: &std::path::Path| {
            let path = p.display().to_string();
            move |source| Error::Io { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut written = Vec::new();
        let top = dir.join("wo.1");
        std::fs::write(&top, page(&cmd)?).map_err(io(&top))?;
        written.push(top);
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("wo-{}", sub.get_name());
            let sub = sub.clone().name(name.clone());
            let path = dir.join(format!("{name}.1"));
            std::fs::write(&path, page(&sub)?).map_err(io(&path))?;
            written.push(path);
        }
        Ok(Outcome::ok(
            written
                .iter()
                .map(|p| format!("wrote {}\n", p.display()))
                .collect::<String>(),
        ))
    }
}

fn page(cmd: &clap::Command) -> Result<String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .map_err(|source| Error::Io {
            path: "<manual page>".into(),
            source,
        })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
