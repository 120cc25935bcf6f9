//! Stoplight Prism in proxy mode in front of the fake (or any upstream), so that tests can
//! send their traffic through a validator of GitHub's official OpenAPI description.
//!
//! The proxy is `tests/prism-proxy.sh` of this crate with the description copied into
//! `tests/specs/github/` (override with `WO_GITHUB_SPEC`). Prism itself is `WO_PRISM`, else
//! `prism` on `PATH` (`.ci/install-tools` installs it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `prism proxy --errors`, stopped (its standard input closed) when dropped.
#[derive(Debug)]
pub struct PrismProxy {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
}

impl PrismProxy {
    /// The proxy's base URL.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrismProxy {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The Prism binary: `WO_PRISM`, else `prism` on `PATH`.
pub fn find_prism() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WO_PRISM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join("prism"))
        .find(|p| p.is_file())
}

/// Starts Prism in proxy mode in front of `upstream` and waits until it listens.
///
/// # Errors
/// When the description is missing, the script cannot run, or Prism prints no port.
pub fn start_prism_proxy(prism: &Path, upstream: &str) -> std::io::Result<PrismProxy> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = std::env::var_os("WO_GITHUB_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate_dir.join("../wo-github/tests/specs/github/api.github.com.subset.json")
        });
    if !spec.is_file() {
        return Err(std::io::Error::other(format!(
            "no GitHub OpenAPI description at {} (set WO_GITHUB_SPEC)",
            spec.display()
        )));
    }
    let mut child = Command::new("bash")
        .arg(crate_dir.join("../wo-github/tests/prism-proxy.sh"))
        .arg(upstream)
        .env("PRISM", prism)
        .env("WO_GITHUB_SPEC", &spec)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    match line.trim().parse() {
        Ok(port) => Ok(PrismProxy { child, port }),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(std::io::Error::other(format!(
                "prism-proxy.sh did not print a port (got {line:?}); see its stderr"
            )))
        }
    }
}
