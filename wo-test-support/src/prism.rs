//! Stoplight Prism in proxy mode (`prism proxy --errors`) in front of a fake or a simulator:
//! every request and every answer is validated against an official OpenAPI description, and a
//! violation is answered with an error status and an `sl-violations` header.
//!
//! ```no_run
//! # fn demo(upstream: &str) -> std::io::Result<()> {
//! let spec = wo_test_support::prism::github_openapi_spec();
//! let proxy = wo_test_support::prism::start_prism_proxy(&spec, upstream)?;
//! // … send the traffic to proxy.base_url() …
//! # Ok(()) }
//! ```

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tool;

/// How long Prism may take to listen (it compiles the description first).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running `prism proxy --errors` on 127.0.0.1, killed and reaped when dropped.
#[derive(Debug)]
pub struct PrismProxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrismProxy {
    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, the URL to send the traffic to.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Prism's log (standard output and error), for failure messages.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for PrismProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GitHub's OpenAPI description the fake GitHub is checked against: `WO_GITHUB_SPEC`, else the
/// subset copied into `wo-github/tests/specs/github/api.github.com.subset.json`.
pub fn github_openapi_spec() -> PathBuf {
    std::env::var_os("WO_GITHUB_SPEC")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../wo-github/tests/specs/github/api.github.com.subset.json")
        })
}

/// Starts Prism ([`tool("prism")`](crate::tool)) in proxy mode in front of `upstream`,
/// validating against the description `spec`, on a free port of 127.0.0.1, and waits until it
/// listens.
///
/// # Errors
/// When `spec` is missing, Prism cannot be started, exits before it listens, or does not listen
/// within 90 s (the message holds its log).
///
/// # Panics
/// When Prism is not installed (see [`tool`]).
pub fn start_prism_proxy(spec: &Path, upstream: &str) -> std::io::Result<PrismProxy> {
    if !spec.is_file() {
        return Err(std::io::Error::other(format!(
            "no OpenAPI description at {}",
            spec.display()
        )));
    }
    let prism = tool("prism");
    let dir = tempfile::Builder::new().prefix("wo-prism-").tempdir()?;
    let log = dir.path().join("prism.log");
    let out = std::fs::File::create(&log)?;
    let err = out.try_clone()?;
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    let child = Command::new(&prism)
        .args([
            "proxy",
            "--errors",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .arg(spec)
        .arg(upstream)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| std::io::Error::other(format!("cannot run {}: {e}", prism.display())))?;
    let mut proxy = PrismProxy {
        child,
        port,
        log,
        _dir: dir,
    };
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&proxy.log).unwrap_or_default();
        if text.contains("Prism is listening")
            && TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
        {
            return Ok(proxy);
        }
        if let Some(status) = proxy.child.try_wait()? {
            return Err(std::io::Error::other(format!(
                "prism exited ({status}) before listening:\n{text}"
            )));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(std::io::Error::other(format!(
                "prism did not listen within {} s:\n{text}",
                START_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
