//! wo-git: wo's [`SourceRepo`](wo_core::ports::SourceRepo),
//! [`ConfigStore`](wo_core::ports::ConfigStore) and [`GitOpsRepo`](wo_core::ports::GitOpsRepo)
//! on any git repository, through libgit2 (vendored; no TLS or SSH stack).
//!
//! Start with a location string: [`GitSourceRepo::open`], [`GitConfigStore::open`] and
//! [`GitOpsGitRepo::open`] take a local path (a work-tree or a bare repository) or a URL
//! (`file://`, `git://`, `http://`). [`GitLocation::parse`] decides which, in one place;
//! [`GitRepo`] adds the options (cache dir, compare-and-swap tries).
//!
//! ```no_run
//! use wo_core::ports::{ConfigStore, SourceRepo};
//! use wo_git::{GitConfigStore, GitRepo, GitSourceRepo};
//!
//! # async fn demo() -> wo_core::Result<()> {
//! let source = GitSourceRepo::open("/srv/git/shop.git")?;
//! let commit = source.resolve("main").await?;
//! let bundle = source.read_tree(&commit, &["wo".into(), "chart".into()]).await?;
//!
//! let config = GitConfigStore::new(
//!     GitRepo::open("git://127.0.0.1:9418/shop-config.git")?.with_cache_dir("/var/cache/wo"),
//! );
//! let values = config.read(&config.head("dev").await?).await?;
//! # let _ = (bundle, values); Ok(()) }
//! ```
//!
//! # How a repository is reached
//!
//! - **A local path** is operated on directly: objects are written to its object database and
//!   refs are moved with libgit2's compare-and-swap (`reference_matching`). The checked-out
//!   files and the index of a work tree are never touched (moving the checked-out branch makes
//!   the work tree look modified, as a push to it would).
//! - **A URL** goes through a private bare cache clone, in the directory given by
//!   [`GitRepo::with_cache_dir`] (default: `wo/git` under the system cache dir), one per URL,
//!   named by a hash of it. Before each read the refs it needs are fetched (pruned when the
//!   remote deleted them); a commit already in the cache is read without a fetch, since commits
//!   never change. After each write the new commit is pushed. A push that must not lose a race
//!   is a *non-force* push of a commit whose parent is the ref's old value: libgit2 refuses it
//!   unless it is a fast-forward of what the remote advertised, and the server updates the ref
//!   under its lock only if it still holds that value, so a non-force push is a
//!   compare-and-swap. Operations on one cache clone take turns inside a process; separate
//!   processes should use separate cache dirs.
//! - libgit2 blocks, so every operation runs on a thread of its own and the async methods only
//!   await its answer: no runtime is required and none is blocked.
//!
//! # What is stored where
//!
//! | ref | holds |
//! |---|---|
//! | `refs/heads/<env>` | config repos and gitops repos: the branch of environment `env` |
//! | `refs/wo/statuses/<commit>` | source repos: the statuses of `commit`, a chain of commits whose tree holds one JSON file per context |
//! | `refs/heads/wo/<env>/<solution>` | gitops repos: the head of the change request of (solution, env) |
//! | `refs/wo/changes/<env>/<solution>` | gitops repos: the record of that change request, a chain of commits whose tree holds `change.json` |
//!
//! `change.json` holds the change request: `id` (`wo/<env>/<solution>#<n>`, `n` counting the
//! change requests of the pair), `state` (`open`, `merged`, `closed`), `base`, `head`, `title`,
//! `body`, `provenance` and `url` (always `null`: a plain git host has no page for it). It is
//! the source of truth; the branch `refs/heads/wo/<env>/<solution>` mirrors its head for
//! humans and is not read back.
//!
//! A proposal builds the env branch's tree at `base` with the `<solution>/` directory replaced
//! by the proposed files, and commits it on top of `base` with the message
//! [`Provenance::commit_message`](wo_core::ports::Provenance::commit_message) (title, body,
//! provenance trailers). The record moves by compare-and-swap; a proposal that loses the race
//! to another writer of the same pair re-reads and decides again (the other writer's change may
//! make it `Unchanged` or an `Updated`), while a stale `base` is always
//! [`Error::Precondition`](wo_core::Error::Precondition) for the caller to handle. Merging
//! fast-forwards the env branch from the change's base to its head by compare-and-swap, so the
//! merged commit is the proposal's commit and carries its trailers; then the record says
//! `merged`. Trees are deterministic (the same files give the same tree id); commit times are
//! real.
//!
//! # Kills and reruns
//!
//! Every step that writes several refs can be killed between any two of them; running it
//! again converges to the state of an uninterrupted run. The record is written first and the
//! change branch follows it, so a rerun of prepare-pr that finds the record holding its
//! proposal brings the branch along (and reports the change request opened or updated); a
//! merge moves the env branch first, so an open record whose head the env branch holds was
//! merged, and merge and prepare-pr record it so. The rule at each write and the table of
//! kill points the tests go through are in the repository's `docs/recovery.md`;
//! [`GitRepo::with_ref_update_hook`] is where the tests cut.
//!
//! # Stale lock files
//!
//! A process killed while it updated a ref leaves `<ref>.lock`. One that no process holds open
//! (Linux) and that is older than 2 s, or one older than
//! [`GitRepo::with_stale_lock_after`] (default [`DEFAULT_STALE_LOCK_AFTER`]), is removed and the
//! update goes on; one a live process holds is waited for 3 s, then reported as a retryable
//! `Backend` error naming the ref and the lock file, as is a lock on a git server (never
//! touched).
//!
//! # Errors
//!
//! Every backend error is a [`wo_core::Error`] naming the repository, and the ref, commit or
//! path involved: `NotFound` for unknown revisions, commits, environments and change requests,
//! `Precondition` for a lost compare-and-swap, `Invalid` for content wo refuses to read
//! (symbolic links, submodules, files over 8 MiB) naming the path, `Backend` for libgit2 and
//! transport failures (`retryable` for network errors and locks).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod branch;
mod config;
mod gitops;
mod hook;
mod location;
mod lock;
mod session;
mod source;
pub mod tree;

pub use config::GitConfigStore;
pub use gitops::GitOpsGitRepo;
pub use hook::RefUpdateHook;
pub use location::{GitLocation, GitRepo, DEFAULT_ATTEMPTS};
pub use lock::DEFAULT_STALE_LOCK_AFTER;
pub use source::GitSourceRepo;
