//! A stateful fake GitHub for tests: the REST operations wo uses, over real git repositories.
//!
//! Start one with [`FakeGitHub::start`], create repositories with [`FakeGitHub::create_repo`] and
//! point a client at [`FakeGitHub::base_url`]. Every repository is a real bare git repository
//! (libgit2) in a temporary directory: blobs, trees, commits and refs have their real SHA-1s,
//! fast-forward checks and merges are git's own.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use wo_github_fake::{FakeGitHub, Fault};
//!
//! let github = FakeGitHub::start().await?;
//! let main = github.create_repo("acme", "config");
//! github.push_files("acme", "config", "main", &[("envs/dev.yaml", Some("replicas: 1\n"))], "Add dev");
//! // The next two `git/update-ref` calls answer 502; the third goes through.
//! github.inject("git/update-ref", Fault::BadGateway, 2);
//! // … run the client against github.base_url() …
//! assert_eq!(github.request_count("git/update-ref"), 0);
//! # let _ = main;
//! github.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # What it checks like GitHub
//! - Every request needs an `Authorization` header (any token; all act as one user), or 401.
//! - Unknown paths, repositories and objects answer 404 `{"message":"Not Found", …}`.
//! - Semantic errors answer GitHub's statuses and messages: 422 `Update is not a fast forward`,
//!   422 `Reference already exists`, 422 when a pull request for the same head and base is open,
//!   409 when a merge's `sha` is not the head any more, 405 when a pull request cannot be merged.
//! - A pull request whose head commit reaches its base branch by a push or a ref update
//!   (`git/update-ref`, `git/create-ref`, [`FakeGitHub::push_files`], [`FakeGitHub::set_branch`],
//!   [`Fault::ConcurrentPush`]) is marked merged and closed, its `merge_commit_sha` the head
//!   commit, as GitHub does for pull requests merged outside the merge button (GitHub does it
//!   shortly after the push; the fake at once).
//! - Responses carry the `x-ratelimit-*`, `x-github-request-id` headers and `Link` pagination
//!   (`per_page`, `page`) on lists.
//!
//! # Kill points
//! Writes (`POST`, `PUT`, `PATCH`, `DELETE`) are listed by [`FakeGitHub::writes`].
//! [`FakeGitHub::after_write`] holds the answer of the `n`th write once it is applied, so a test
//! can kill the client there; [`FakeGitHub::gate_writes`] lets a test decide before each write
//! whether it is applied at all (and hold it meanwhile). No sleeps: the cut is at an exact write.
//!
//! Route names are the OpenAPI `operationId`s (see [`ROUTES`]); the shapes of the responses are
//! checked against GitHub's OpenAPI description by Prism in `tests/fake.rs`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The modules' uses form a DAG, bottom up: `fault`, `records`, `reply`, `tarball` and `git`
// (libgit2 and wo_git::tree) and `writes` use none of the others; `routes` the replies, `request` both;
// `state` git and the records; `render` the state; each `handlers::*` module the layers below
// it and never `handlers` itself, which only dispatches; `server` the handlers; `github` (the
// handle tests hold) the server.
mod auth;
mod events;
mod fault;
mod git;
mod github;
mod handlers;
mod limits;
mod records;
mod render;
mod reply;
mod request;
mod routes;
mod rules;
mod server;
mod state;
mod tarball;
mod writes;

pub use auth::{Access, Actor, Permission, Repositories, TokenSpec, ADMIN_LOGIN};
pub use fault::Fault;
pub use github::FakeGitHub;
pub use limits::SecondaryRateLimits;
pub use records::{
    CheckRunRecord, CommitStatus, DispatchedEvent, Event, IssueComment, PullRequest,
    WorkflowDispatch,
};
pub use routes::ROUTES;
pub use writes::Write;
