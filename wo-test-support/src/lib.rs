//! What wo's tests share, once each. Only ever a dev-dependency.
//!
//! - [`tool`]: the path of a tool `bash .ci/install-tools` installs (Helm, Stoplight Prism,
//!   actionlint, kubernetes-validate, shellcheck), never looked up on `PATH`. A test that needs
//!   a tool fails when it is missing, with a message naming the install command; it never skips.
//! - [`actions`]: GitHub Actions workflows run for an event with GitHub's own workflow parser
//!   and expression engine, `run:` steps in bash, the few actions wo uses emulated.
//! - [`git`]: repositories served by `git daemon` (`git://`) and by `git http-backend`
//!   behind a loopback HTTP server (`http://`), on 127.0.0.1.
//! - [`prism`]: Stoplight Prism in proxy mode, validating the traffic of a fake or simulator
//!   against an official OpenAPI description.
//! - [`registry`]: the CNCF distribution registry (`docker-registry`, Debian's package) on
//!   127.0.0.1, anonymous or with htpasswd basic auth.
//!
//! ```no_run
//! use std::process::Command;
//!
//! let helm = wo_test_support::tool("helm");
//! let out = Command::new(&helm).arg("version").output().unwrap();
//! assert!(out.status.success());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
pub mod git;
pub mod prism;
pub mod registry;
mod tools;

pub use tools::{helm_env, tool, tools_dir, TOOLS};
