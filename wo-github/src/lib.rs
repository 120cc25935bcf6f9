//! wo on GitHub.
//!
//! - [`client`]: the GitHub REST client (token, base URL for GitHub Enterprise Server, API
//!   version header, pagination, retries honouring `Retry-After` and rate limits).
//! - [`repos`]: `SourceRepo`, `ConfigStore` and `GitOpsRepo` on the REST API (Git Data API for
//!   atomic multi-file commits, pull requests, commit statuses, dispatches).
//! - [`actions`]: GitHub Actions integration (event payloads, outputs, step summary,
//!   annotations) and workflow scaffolding (`wo init github`).
//!
//! A stateful fake GitHub over real git repositories, for tests, is the crate `wo-github-fake`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
pub mod client;
pub mod repos;
