//! The `helm template` renderer: the real Helm, one process per target.
//!
//! The chart is written to a private temporary directory once per call; each request's
//! resolved values go to a values file (JSON, which Helm reads as YAML without any quoting
//! ambiguity); `helm template <release> <chart> --namespace <ns> -f <values>` renders it.
//! Each request gets its own `helm` process, so each target's capabilities apply to it alone:
//! its Kubernetes version as `--kube-version` and its extra API versions as `--api-versions`
//! (`.Capabilities.KubeVersion` and `.Capabilities.APIVersions`; Helm's defaults without them).
//! Helm's home directories point into the temporary directory, so the user's Helm
//! configuration and repositories are neither read nor touched.
//!
//! Each call renders its first and last request a second time and fails when a chart renders
//! differently each time (`randAlphaNum`, `uuidv4`, `now`, …): see [`crate::determinism`].
//!
//! Which `helm`: [`HelmRenderer::with_binary`], else the `WO_HELM` environment variable, else
//! `helm` on `PATH`. Helm 3.8 or newer is required; a missing or older binary is a clear error.
//!
//! # Limits
//!
//! Each `helm` process is stopped past 60 s ([`HelmRenderer::with_timeout`]) or 16 MiB of
//! output ([`HelmRenderer::with_max_output_bytes`]), and on Unix its memory is bounded: the
//! process starts under `ulimit -d` (`RLIMIT_DATA`, the memory it can allocate; 1 GiB by
//! default, [`HelmRenderer::with_max_memory_bytes`] or `WO_HELM_MAX_MEMORY_MIB` to change, `0`
//! for none). `RLIMIT_AS` is not usable: Go reserves far more address space than it uses. A
//! render that runs out (a `tpl` recursion, a loop doubling a string) fails with an error
//! naming the chart's templates, the target and the bound.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use wo_core::ports::{Chart, RenderRequest, Rendered, Renderer, TargetView};
use wo_core::{Diagnostic, Diagnostics, Error, Location, Result};

use crate::determinism;

/// Oldest Helm accepted (`helm template` with `--namespace` and JSON values files).
pub const MIN_HELM: (u32, u32) = (3, 8);

/// Default bound on the memory of one `helm` process (bytes; its data segment).
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 1 << 30;

/// The variable that sets the memory bound of `helm` processes in MiB (`0`: none), when
/// [`HelmRenderer::with_max_memory_bytes`] was not called.
pub const MAX_MEMORY_VAR: &str = "WO_HELM_MAX_MEMORY_MIB";

/// Renders charts with the real `helm` binary.
#[derive(Debug, Clone)]
pub struct HelmRenderer {
    binary: Option<PathBuf>,
    workers: usize,
    timeout: Duration,
    max_output_bytes: usize,
    /// Set by [`HelmRenderer::with_max_memory_bytes`]; else the variable, else the default.
    max_memory_bytes: Option<u64>,
    /// Whether a sample of the requests is rendered twice ([`crate::determinism`]).
    check_determinism: bool,
}

impl Default for HelmRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl HelmRenderer {
    /// A renderer using `WO_HELM` or `helm` on `PATH`, one worker process per core, 60 s and
    /// 16 MiB of output per target.
    pub fn new() -> Self {
        HelmRenderer {
            binary: None,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            timeout: Duration::from_secs(60),
            max_output_bytes: 16 << 20,
            max_memory_bytes: None,
            check_determinism: true,
        }
    }

    /// Whether to render the first and last request twice and refuse a chart whose manifests
    /// differ between the two renders (on by default; a chart opts out with the `Chart.yaml`
    /// annotation `wo/allow-nondeterministic: "true"`, see [`crate::determinism`]).
    pub fn with_determinism_check(mut self, check: bool) -> Self {
        self.check_determinism = check;
        self
    }

    /// Uses this `helm` binary.
    pub fn with_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// At most this many `helm` processes at once.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Kills a `helm` process that runs longer than this.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Stops a `helm` process whose output exceeds this many bytes.
    pub fn with_max_output_bytes(mut self, bytes: usize) -> Self {
        self.max_output_bytes = bytes;
        self
    }

    /// Bounds the memory each `helm` process may allocate (bytes; `0` for no bound). Default:
    /// `WO_HELM_MAX_MEMORY_MIB` when set, else [`DEFAULT_MAX_MEMORY_BYTES`] (1 GiB). Applied
    /// on Unix as `RLIMIT_DATA` (`ulimit -d`), which is where Go allocates its heap.
    pub fn with_max_memory_bytes(mut self, bytes: u64) -> Self {
        self.max_memory_bytes = Some(bytes);
        self
    }

    /// The memory bound each `helm` process runs under, in bytes (`None`: unbounded).
    pub fn max_memory_bytes(&self) -> Result<Option<u64>> {
        let bytes = match self.max_memory_bytes {
            Some(b) => b,
            None => match std::env::var(MAX_MEMORY_VAR) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse::<u64>()
                    .map(|mib| mib.saturating_mul(1 << 20))
                    .map_err(|_| {
                        Error::invalid(
                            Location::file(MAX_MEMORY_VAR),
                            format!("`{v}` is not a whole number of MiB (0 for no bound)"),
                        )
                    })?,
                _ => DEFAULT_MAX_MEMORY_BYTES,
            },
        };
        Ok((bytes > 0).then_some(bytes))
    }

    /// The binary that will run: the configured one, `WO_HELM`, or `helm` on `PATH`.
    pub fn binary(&self) -> Result<PathBuf> {
        if let Some(b) = &self.binary {
            return Ok(b.clone());
        }
        if let Some(b) = std::env::var_os("WO_HELM").filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(b));
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|d| d.join("helm"))
            .find(|p| p.is_file())
            .ok_or_else(|| Error::backend("helm", "helm not found: install Helm 3.8 or newer, put it on PATH or set WO_HELM to its path"))
    }

    /// Checks that the binary runs and is new enough; returns its version (`v4.1.4`).
    pub fn version(&self) -> Result<String> {
        let bin = self.binary()?;
        let out = Command::new(&bin)
            .args(["version", "--template", "{{.Version}}"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| backend(format!("cannot run {}: {e}", bin.display())))?;
        if !out.status.success() {
            return Err(backend(format!(
                "{} version failed: {}",
                bin.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        match parse_version(&version) {
            Some(v) if v >= MIN_HELM => Ok(version),
            Some(_) => Err(backend(format!(
                "{} is Helm {version}; wo needs Helm {}.{} or newer",
                bin.display(),
                MIN_HELM.0,
                MIN_HELM.1
            ))),
            None => Err(backend(format!(
                "{} printed an unknown version `{version}`",
                bin.display()
            ))),
        }
    }

    fn render_blocking(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        self.version()?;
        let bin = self.binary()?;
        let memory = self.max_memory_bytes()?;
        let work = tempfile::tempdir()
            .map_err(|e| backend(format!("cannot create a temporary directory: {e}")))?;
        let chart_dir = work.path().join("chart").join(&chart.name);
        write_tree(&chart_dir, &chart.files)?;
        let home = work.path().join("home");
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut results: Vec<Option<Result<Rendered>>> =
            (0..requests.len()).map(|_| None).collect();
        let slots = std::sync::Mutex::new(&mut results);
        std::thread::scope(|s| {
            for _ in 0..self.workers.min(requests.len().max(1)) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(req) = requests.get(i) else { break };
                    let r = self.render_one(&bin, memory, &chart_dir, &home, work.path(), i, req);
                    if let Ok(mut slots) = slots.lock() {
                        slots[i] = Some(r);
                    }
                });
            }
        });
        let mut out = Vec::with_capacity(requests.len());
        let mut diagnostics = Vec::new();
        for r in results {
            match r {
                Some(Ok(rendered)) => out.push(rendered),
                Some(Err(Error::Invalid(ds))) => diagnostics.push(ds),
                Some(Err(e)) => return Err(e),
                None => return Err(backend("a render worker stopped without a result".into())),
            }
        }
        if !diagnostics.is_empty() {
            return Err(Error::Invalid(Diagnostics::merged(diagnostics)));
        }
        if self.check_determinism && !determinism::allows_nondeterminism(chart)? {
            let again: Vec<(usize, Result<Rendered>)> = std::thread::scope(|s| {
                let handles: Vec<_> = determinism::sample(requests.len())
                    .into_iter()
                    .map(|i| {
                        let (bin, chart_dir, home) = (&bin, &chart_dir, &home);
                        let work = work.path();
                        s.spawn(move || {
                            let run = requests.len() + i;
                            let r = self.render_one(
                                bin,
                                memory,
                                chart_dir,
                                home,
                                work,
                                run,
                                &requests[i],
                            );
                            (i, r)
                        })
                    })
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            for (i, second) in again {
                determinism::compare(
                    chart,
                    &requests[i].target.name,
                    &out[i].manifests,
                    &second?.manifests,
                )?;
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn render_one(
        &self,
        bin: &Path,
        memory: Option<u64>,
        chart_dir: &Path,
        home: &Path,
        work: &Path,
        i: usize,
        req: &RenderRequest,
    ) -> Result<Rendered> {
        let values_file = work.join(format!("values-{i}.json"));
        let json = serde_json::to_vec(&req.values)
            .map_err(|e| backend(format!("cannot encode values: {e}")))?;
        std::fs::write(&values_file, json).map_err(|source| Error::Io {
            path: values_file.display().to_string(),
            source,
        })?;
        let mut child = helm_command(bin, memory)
            .arg("template")
            .arg(&req.release_name)
            .arg(chart_dir)
            .args(["--namespace", &req.namespace, "-f"])
            .arg(&values_file)
            .args(capability_args(&req.target))
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| backend(format!("cannot run {}: {e}", bin.display())))?;
        let limit = self.max_output_bytes;
        let over = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let reader = {
            let over = over.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let Some(out) = stdout.as_mut() else {
                    return buf;
                };
                let mut chunk = [0u8; 64 * 1024];
                loop {
                    match out.read(&mut chunk) {
                        Ok(0) | Err(_) => return buf,
                        Ok(n) if buf.len() + n > limit => {
                            over.store(true, std::sync::atomic::Ordering::Relaxed);
                            return buf;
                        }
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            })
        };
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(e) = stderr.as_mut() {
                let _ = e.take(1 << 20).read_to_string(&mut s);
            }
            s
        });
        let started = Instant::now();
        // Wait for the process; stop it when it runs too long or prints too much.
        let status = loop {
            if over.load(std::sync::atomic::Ordering::Relaxed) || started.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => return Err(backend(format!("waiting for helm: {e}"))),
            }
        };
        let stdout = reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        let target = &req.target.name;
        let templates = format!("{}/templates", chart_name(chart_dir));
        if over.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::invalid(
                Location::file(templates),
                format!(
                    "helm template produced more than {limit} bytes for target `{target}`; stopped"
                ),
            ));
        }
        let Some(status) = status else {
            return Err(Error::invalid(
                Location::file(templates),
                format!(
                    "helm template ran longer than {:?} for target `{target}`; stopped",
                    self.timeout
                ),
            ));
        };
        if !status.success() {
            if let Some(bytes) = memory.filter(|_| out_of_memory(&stderr)) {
                return Err(Error::invalid(
                    Location::file(templates),
                    format!(
                        "helm template ran out of memory for target `{target}`: it may allocate {} MiB (budget: HelmRenderer::with_max_memory_bytes or {MAX_MEMORY_VAR}); does a `tpl` or `include` recurse, or a loop grow a string?",
                        bytes >> 20
                    ),
                ));
            }
            return Err(Error::Invalid(Diagnostics(vec![helm_diagnostic(
                &stderr, target,
            )])));
        }
        let manifests = String::from_utf8(stdout)
            .map_err(|_| backend("helm printed output that is not UTF-8".into()))?;
        Ok(Rendered { manifests })
    }
}

/// The flags that give the chart the target's `.Capabilities`: one `--api-versions` per API
/// version, so that none is split at a comma.
fn capability_args(target: &TargetView) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(v) = &target.kube_version {
        args.push(format!("--kube-version={v}"));
    }
    for v in &target.api_versions {
        args.push(format!("--api-versions={v}"));
    }
    args
}

/// The command running `bin`: on Unix under `ulimit -d` when memory is bounded (through
/// `/bin/sh`, so that no unsafe `pre_exec` is needed), else `bin` itself.
fn helm_command(bin: &Path, memory: Option<u64>) -> Command {
    match memory {
        Some(bytes) if cfg!(unix) => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c")
                .arg("ulimit -d \"$1\" || exit 125; shift; exec \"$@\"")
                .arg("wo-helm")
                .arg((bytes / 1024).max(1).to_string())
                .arg(bin);
            c
        }
        _ => Command::new(bin),
    }
}

/// Whether Helm's error output says the Go runtime ran out of memory.
fn out_of_memory(stderr: &str) -> bool {
    stderr.contains("out of memory") || stderr.contains("cannot allocate memory")
}

fn chart_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn backend(message: String) -> Error {
    Error::backend("helm", message)
}

/// `v3.14.2` / `v4.1.4+g05fa379` → (major, minor).
fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.trim().trim_start_matches('v').split(['.', '+', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Turns Helm's error (`Error: template: shop/templates/x.yaml:12:20: executing …`) into a
/// diagnostic naming the template file and line.
fn helm_diagnostic(stderr: &str, target: &str) -> Diagnostic {
    let text = stderr.trim().trim_start_matches("Error: ").trim();
    let text = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with("Use --debug"))
        .unwrap_or(text);
    let message = text.trim_start_matches("Error: ").to_string();
    // Find `<chart>/templates/<file>:<line>[:<col>]` anywhere in the message.
    let loc = message.split_whitespace().find_map(|word| {
        let word = word.trim_matches(|c: char| c == '"' || c == ',' || c == '(' || c == ')');
        let idx = word.find("templates/")?;
        let mut parts = word[idx..].split(':');
        let file = parts.next()?.to_string();
        let line = parts.next().and_then(|l| l.parse::<u32>().ok());
        let col = parts.next().and_then(|c| c.parse::<u32>().ok());
        Some((file, line, col))
    });
    let location = match loc {
        Some((file, Some(line), col)) => Location::file(file).at(line, col.unwrap_or(1)),
        Some((file, None, _)) => Location::file(file),
        None => Location::file("Chart.yaml"),
    };
    Diagnostic::new(
        location,
        format!("helm template failed for target `{target}`: {message}"),
    )
}

/// Writes a file tree under `dir`.
pub(crate) fn write_tree(dir: &Path, files: &wo_core::files::FileTree) -> Result<()> {
    for (path, content) in files.iter() {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&p, content).map_err(|source| Error::Io {
            path: p.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

#[async_trait]
impl Renderer for HelmRenderer {
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        // The work is blocking (processes); run it off the caller's executor thread.
        let (tx, rx) = futures::channel::oneshot::channel();
        let this = self.clone();
        let chart = chart.clone();
        let requests = requests.to_vec();
        std::thread::spawn(move || {
            let _ = tx.send(this.render_blocking(&chart, &requests));
        });
        rx.await
            .map_err(|_| backend("the render thread stopped".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("v4.1.4"), Some((4, 1)));
        assert_eq!(parse_version("v3.14.2+g1234"), Some((3, 14)));
        assert_eq!(parse_version("garbage"), None);
        assert!(parse_version("v3.7.0").unwrap() < MIN_HELM);
    }

    #[test]
    fn helm_errors_name_the_template_and_line() {
        let d = helm_diagnostic(
            "Error: template: shop/templates/deployment.yaml:12:20: executing \"shop/templates/deployment.yaml\" at <.Values.x.y>: nil pointer evaluating interface {}.y\n\nUse --debug flag to render out invalid YAML\n",
            "berlin-1",
        );
        assert_eq!(d.location.file, "templates/deployment.yaml");
        assert_eq!(d.location.line, Some(12));
        assert_eq!(d.location.column, Some(20));
        assert!(d.message.contains("berlin-1"), "{}", d.message);
        assert!(d.message.contains("nil pointer"), "{}", d.message);
    }

    #[test]
    fn the_memory_bound_is_the_setting_else_the_variable_else_the_default() {
        let r = HelmRenderer::new().with_max_memory_bytes(5 << 20);
        assert_eq!(r.max_memory_bytes().unwrap(), Some(5 << 20));
        assert_eq!(
            HelmRenderer::new()
                .with_max_memory_bytes(0)
                .max_memory_bytes()
                .unwrap(),
            None
        );
        if std::env::var_os(MAX_MEMORY_VAR).is_none() {
            assert_eq!(
                HelmRenderer::new().max_memory_bytes().unwrap(),
                Some(DEFAULT_MAX_MEMORY_BYTES)
            );
        }
    }

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let r = HelmRenderer::new().with_binary("/nonexistent/helm");
        let e = r.version().unwrap_err();
        assert!(
            e.to_string().contains("cannot run /nonexistent/helm"),
            "{e}"
        );
    }
}
