//! The CNCF distribution registry (`docker-registry serve`, Debian's package `docker-registry`)
//! on 127.0.0.1, storing in a temporary directory, anonymous or with htpasswd basic auth;
//! killed and reaped when dropped.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable naming the `docker-registry` binary to run.
pub const REGISTRY_VAR: &str = "WO_DOCKER_REGISTRY";

/// Where Debian's package `docker-registry` installs the binary.
pub const DEBIAN_REGISTRY: &str = "/usr/bin/docker-registry";

/// A running distribution registry (plain HTTP on 127.0.0.1).
#[derive(Debug)]
pub struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Registry {
    /// A registry anyone may push to and pull from.
    ///
    /// # Panics
    /// When the binary is missing (the message names `bash .ci/install-tools`), or the registry
    /// exits or does not answer `GET /v2/` within 30 s.
    pub fn start() -> Registry {
        Self::launch(None)
    }

    /// A registry that asks for HTTP basic auth and accepts only `username` / `password`
    /// (an htpasswd file with the bcrypt hash, the only one distribution accepts).
    ///
    /// # Panics
    /// As [`Registry::start`].
    pub fn start_with_basic_auth(username: &str, password: &str) -> Registry {
        Self::launch(Some((username, password)))
    }

    fn launch(user: Option<(&str, &str)>) -> Registry {
        let binary = registry_binary();
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).expect("storage directory");
        let mut config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  formatter: text\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: wo-test-support\n",
            storage.display()
        );
        if let Some((username, password)) = user {
            let htpasswd = dir.path().join("htpasswd");
            let hash = bcrypt::hash(password, 4).expect("bcrypt");
            std::fs::write(&htpasswd, format!("{username}:{hash}\n")).expect("htpasswd");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: wo-test-registry\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("registry config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("registry log");
        let child = Command::new(&binary)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let mut registry = Registry { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!(
                    "docker-registry exited early ({status}):\n{}",
                    registry.log()
                );
            }
            match v2_status(port) {
                Some(200 | 401) => break,
                _ => {
                    assert!(
                        Instant::now() < deadline,
                        "docker-registry did not answer on 127.0.0.1:{port}:\n{}",
                        registry.log()
                    );
                    std::thread::sleep(Duration::from_millis(25));
                }
            }
        }
        registry
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, the registry host as `helm` and OCI references name it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The directory the registry stores its blobs and manifests in.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// What the registry has logged so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `docker-registry` binary: [`REGISTRY_VAR`] when set, else [`DEBIAN_REGISTRY`], else
/// the first `docker-registry` on `PATH`.
///
/// # Panics
/// When none is found, or the variable names no file; the message names
/// `bash .ci/install-tools`.
pub fn registry_binary() -> PathBuf {
    find_binary(
        std::env::var_os(REGISTRY_VAR),
        Path::new(DEBIAN_REGISTRY),
        std::env::var_os("PATH"),
    )
    .unwrap_or_else(|message| panic!("{message}"))
}

/// [`registry_binary`] on given inputs: the variable's value, the Debian path, `PATH`.
fn find_binary(
    var: Option<std::ffi::OsString>,
    debian: &Path,
    path: Option<std::ffi::OsString>,
) -> Result<PathBuf, String> {
    if let Some(file) = var.filter(|v| !v.is_empty()) {
        let file = PathBuf::from(file);
        if !file.is_file() {
            return Err(format!(
                "{REGISTRY_VAR}={} names no file: unset it, or run `bash .ci/install-tools` \
                 (it installs the Debian package docker-registry)",
                file.display()
            ));
        }
        return Ok(file);
    }
    if debian.is_file() {
        return Ok(debian.to_path_buf());
    }
    path.map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("docker-registry"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "the CNCF distribution registry is not installed: no {}, no docker-registry on \
                 PATH, {REGISTRY_VAR} unset. Run `bash .ci/install-tools` (it installs the Debian \
                 package docker-registry), or set {REGISTRY_VAR} to the binary.",
                debian.display()
            )
        })
}

/// The status of `GET /v2/`, or `None` while nothing answers.
fn v2_status(port: u16) -> Option<u16> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("bind a free port")
        .local_addr()
        .expect("local addr")
        .port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_comes_from_the_variable_else_debian_else_path_and_a_missing_one_says_how_to_install(
    ) {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("docker-registry");
        std::fs::write(&bin, "").unwrap();
        let nowhere = dir.path().join("nowhere");
        let path = Some(dir.path().as_os_str().to_owned());
        assert_eq!(
            find_binary(Some(bin.clone().into()), &nowhere, None),
            Ok(bin.clone())
        );
        assert_eq!(find_binary(Some("".into()), &bin, None), Ok(bin.clone()));
        assert_eq!(find_binary(None, &nowhere, path.clone()), Ok(bin.clone()));
        let e = find_binary(Some(nowhere.clone().into()), &bin, path).unwrap_err();
        assert!(
            e.contains(REGISTRY_VAR) && e.contains("bash .ci/install-tools"),
            "{e}"
        );
        let e = find_binary(None, &nowhere, None).unwrap_err();
        assert!(
            e.contains("bash .ci/install-tools") && e.contains("docker-registry"),
            "{e}"
        );
    }

    #[test]
    fn an_anonymous_registry_answers_v2_and_stops_when_dropped() {
        let registry = Registry::start();
        let port = registry.port();
        assert_eq!(v2_status(port), Some(200), "{}", registry.log());
        assert!(registry.storage().is_dir());
        drop(registry);
        assert_eq!(v2_status(port), None);
    }

    #[test]
    fn a_registry_with_basic_auth_asks_for_it() {
        let registry = Registry::start_with_basic_auth("u", "p@ss");
        assert_eq!(v2_status(registry.port()), Some(401), "{}", registry.log());
        let htpasswd = std::fs::read_to_string(registry.dir.path().join("htpasswd")).unwrap();
        assert!(htpasswd.starts_with("u:$2"), "{htpasswd}");
        assert!(bcrypt::verify("p@ss", htpasswd.trim().split_once(':').unwrap().1).unwrap());
    }
}
