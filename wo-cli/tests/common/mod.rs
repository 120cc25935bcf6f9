//! Shared helpers of the CLI tests: a private copy of the worked example and a runner.
#![allow(dead_code, clippy::new_without_default)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The worked example, copied into a temporary directory so a test can break it.
pub struct Example {
    pub dir: tempfile::TempDir,
}

impl Example {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop");
        copy_dir(&src, dir.path());
        Example { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read")
    }

    /// Replaces `from` by `to` in a file, failing the test when `from` is absent.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, text.replacen(from, to, 1));
    }

    /// Runs `wo` with `args`, the example's directories substituted for `{source}`, `{config}`
    /// and `{fleet}`.
    pub fn wo(&self, args: &[&str]) -> Run {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("{source}", &self.path("source").display().to_string())
                    .replace("{config}", &self.path("config").display().to_string())
                    .replace("{fleet}", &self.path("fleet").display().to_string())
            })
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_wo"))
            .args(&args)
            .env("WO_HELM", wo_test_support::tool("helm"))
            .output()
            .expect("run wo");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn validate(&self) -> Run {
        self.wo(&[
            "validate",
            "--source",
            "{source}",
            "--config",
            "{config}",
            "--platform",
            "{fleet}",
        ])
    }

    pub fn resolve(&self, target: &str) -> Run {
        self.wo(&[
            "resolve",
            "--source",
            "{source}",
            "--config",
            "{config}",
            "--platform",
            "{fleet}",
            "--target",
            target,
        ])
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit code 2 (bad input) and that stderr holds every expected piece.
    pub fn invalid(&self, expected: &[&str]) {
        assert_eq!(
            self.code,
            Some(2),
            "expected exit 2, got {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        for e in expected {
            assert!(
                self.stderr.contains(e),
                "stderr lacks {e:?}:\n{}",
                self.stderr
            );
        }
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        assert!(
            self.stdout.is_empty(),
            "nothing may be printed on stdout for bad input:\n{}",
            self.stdout
        );
    }

    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        &self.stdout
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
