//! Releases of wo for tests: the freshly built `wo` packaged by `scripts/package-release.sh`
//! (the release workflow's script) and served from a loopback HTTP server laid out as GitHub's
//! release downloads, for the wo action to install.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn script(name: &str) -> PathBuf {
    root().join("scripts").join(name)
}

/// The runner architecture (`RUNNER_ARCH`) of this machine and the release target the action
/// picks for it.
pub fn runner_arch() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("X64", "x86_64-unknown-linux-musl"),
        "aarch64" => ("ARM64", "aarch64-unknown-linux-musl"),
        other => panic!("no release target for a {other} test machine"),
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The wo under test without its debug info, as a release build carries none: the debug build
/// is ~200 MB, nearly all debug info, which gzip would spend the tests' time on (~36 MB
/// stripped). Made once per test run, under the test target's own temp directory.
pub fn wo_binary() -> &'static Path {
    static WO: OnceLock<PathBuf> = OnceLock::new();
    WO.get_or_init(|| {
        let stripped =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(concat!(env!("CARGO_CRATE_NAME"), "-wo"));
        let out = Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&stripped)
            .arg(env!("CARGO_BIN_EXE_wo"))
            .output()
            .expect("run strip (binutils)");
        assert!(out.status.success(), "strip: {}", text(&out));
        stripped
    })
}

/// `scripts/package-release.sh <version> <out> <target>=<the wo under test>`.
pub fn package(version: &str, out: &Path) -> Output {
    let (_, target) = runner_arch();
    Command::new("bash")
        .arg(script("package-release.sh"))
        .arg(version)
        .arg(out)
        .arg(format!("{target}={}", wo_binary().display()))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run package-release.sh")
}

/// A release server on 127.0.0.1: `GET /<path>` answers the file `<root>/<path>`, or 404.
/// Every requested path is logged.
pub struct ReleaseServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ReleaseServer {
    pub fn start(root: PathBuf) -> ReleaseServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                serve(stream, &root, &log);
            }
        });
        ReleaseServer { port, requests }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/releases/download", self.port)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

pub fn serve(mut stream: TcpStream, root: &Path, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    log.lock().unwrap().push(path.clone());
    let file = path
        .strip_prefix("/releases/download/")
        .filter(|rel| !rel.split('/').any(|s| s == ".." || s.is_empty()))
        .map(|rel| root.join(rel));
    let (status, body) = match file.and_then(|f| std::fs::read(f).ok()) {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", b"Not Found".to_vec()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}
