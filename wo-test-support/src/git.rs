//! Repositories served over git's network protocols on 127.0.0.1: `git daemon` (`git://`) and
//! `git http-backend` behind a small HTTP/1.1 server (`http://`, smart HTTP). Both export every
//! repository under their base directory and accept pushes; both stop when dropped.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `git daemon` on 127.0.0.1 with a free port, serving (and accepting pushes to) every
/// repository under a base directory; killed and reaped when dropped.
#[derive(Debug)]
pub struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    /// Starts the daemon on the repositories under `base` and waits until it listens.
    ///
    /// # Panics
    /// When git is missing, or the daemon exits or does not listen within 10 s.
    pub fn start(base: &Path) -> GitDaemon {
        let port = free_port();
        // Start `git-daemon` itself rather than the `git` wrapper: the wrapper forwards SIGTERM
        // but a SIGKILL (`Child::kill`) would leave the real daemon running.
        let exec_path = Command::new("git")
            .arg("--exec-path")
            .output()
            .expect("git --exec-path (is git installed?)");
        let exec_path = String::from_utf8_lossy(&exec_path.stdout)
            .trim()
            .to_string();
        let direct = Path::new(&exec_path).join("git-daemon");
        let mut cmd = if direct.is_file() {
            Command::new(direct)
        } else {
            let mut c = Command::new("git");
            c.arg("daemon");
            c
        };
        let child = cmd
            .arg("--reuseaddr")
            .arg(format!("--base-path={}", base.display()))
            .arg("--export-all")
            .arg("--enable=receive-pack")
            .arg("--informative-errors")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts (is git installed?)");
        let mut daemon = GitDaemon { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Ok(Some(status)) = daemon.child.try_wait() {
                panic!("git daemon exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "git daemon did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `git://127.0.0.1:PORT/<path>`, `path` relative to the base directory.
    pub fn url(&self, path: &str) -> String {
        format!("git://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `git http-backend` (CGI) behind a minimal HTTP/1.1 server on 127.0.0.1, serving git's smart
/// HTTP protocol for every repository under a root directory (pushes included); stopped when
/// dropped.
#[derive(Debug)]
pub struct GitHttpBackend {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl GitHttpBackend {
    /// Starts serving the repositories under `root` (the server listens when this returns).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start(root: &Path) -> GitHttpBackend {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let (root, flag) = (root.to_path_buf(), stop.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &root);
                });
            }
        });
        GitHttpBackend {
            port,
            stop,
            accept: Some(accept),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT/<path>`, `path` relative to the root directory.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for GitHttpBackend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("bind a free port")
        .local_addr()
        .expect("local addr")
        .port()
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Answers the requests of one connection, each through one run of `git http-backend`.
fn serve(stream: TcpStream, root: &PathBuf) -> io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = match (parts.next(), parts.next()) {
            (Some(m), Some(t)) => (m.to_string(), t.to_string()),
            _ => return Err(bad("bad request line")),
        };
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let body = read_body(&mut reader, &headers)?;
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let mut cmd = Command::new("git");
        cmd.arg("http-backend")
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.receivepack")
            .env("GIT_CONFIG_VALUE_0", "true")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("REMOTE_ADDR", "127.0.0.1")
            .env("CONTENT_LENGTH", body.len().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (header, var) in [
            ("content-type", "CONTENT_TYPE"),
            ("content-encoding", "HTTP_CONTENT_ENCODING"),
            ("git-protocol", "GIT_PROTOCOL"),
        ] {
            if let Some(v) = headers.get(header) {
                cmd.env(var, v);
            }
        }
        let mut child = cmd.spawn()?;
        let mut stdin = child.stdin.take().ok_or_else(|| bad("no stdin"))?;
        let writer = std::thread::spawn(move || stdin.write_all(&body));
        let output = child.wait_with_output()?;
        let _ = writer.join();
        let raw = output.stdout;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
            .ok_or_else(|| bad("CGI output without headers"))?;
        let head = String::from_utf8_lossy(&raw[..split.0]).into_owned();
        let payload = &raw[split.0 + split.1..];
        let mut status = "200 OK".to_string();
        let mut response = Vec::new();
        let mut header_lines = String::new();
        for h in head.lines() {
            match h.split_once(':') {
                Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
                Some(_) => {
                    header_lines.push_str(h.trim_end());
                    header_lines.push_str("\r\n");
                }
                None => {}
            }
        }
        write!(
            response,
            "HTTP/1.1 {status}\r\n{header_lines}Content-Length: {}\r\n\r\n",
            payload.len()
        )?;
        response.extend_from_slice(payload);
        out.write_all(&response)?;
        out.flush()?;
    }
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    headers: &HashMap<String, String>,
) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("bad chunk size"))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = headers.get("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(body)
}
