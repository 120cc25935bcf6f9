//! One operation on a repository: opened on a worker thread, with the fetch, lookup and
//! compare-and-swap primitives the ports are written in. Local paths are read and written in
//! place; URLs go through a bare cache clone (fetch before reading, push after writing).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use git2::{
    AutotagOption, Commit, ErrorClass, ErrorCode, FetchOptions, FetchPrune, Oid, PushOptions,
    RemoteCallbacks, Repository,
};
use wo_core::ports::CommitId;
use wo_core::{Error, Location, Result};

use crate::hook::RefUpdateHook;
use crate::location::{redact_userinfo, GitLocation, GitRepo};

/// Fetch refspecs, by what an operation needs.
pub(crate) const HEADS: &str = "+refs/heads/*:refs/heads/*";
pub(crate) const TAGS: &str = "+refs/tags/*:refs/tags/*";
pub(crate) const CHANGES: &str = "+refs/wo/changes/*:refs/wo/changes/*";

/// Runs `f` on a session of `repo` on a dedicated thread, so that libgit2's blocking I/O never
/// blocks the caller's executor.
pub(crate) async fn run<T, F>(repo: Arc<GitRepo>, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Session) -> Result<T> + Send + 'static,
{
    let (tx, rx) = futures::channel::oneshot::channel();
    let name = repo.location.to_string();
    std::thread::Builder::new()
        .name("wo-git".into())
        .spawn(move || {
            let _ = tx.send(Session::with(&repo, f));
        })
        .map_err(|e| {
            Error::backend(
                "git",
                format!("{name}: cannot start a git worker thread: {e}"),
            )
            .retryable(true)
        })?;
    rx.await.map_err(|_| {
        Error::backend(
            "git",
            format!("{name}: the git worker thread stopped without an answer"),
        )
    })?
}

/// One lock per cache clone in this process: operations on one cache take turns, so that a
/// fetch never races a push in the same directory. Separate processes should use separate
/// cache dirs (git's own lock files turn a collision into a retryable error).
fn cache_lock(path: &Path) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    locks.entry(path.to_path_buf()).or_default().clone()
}

/// The result of a compare-and-swap ref update.
#[derive(Debug)]
pub(crate) enum Cas {
    /// The ref now points at the new commit.
    Applied,
    /// Another writer moved the ref first; nothing was changed. Says what happened.
    Lost(String),
}

/// An open repository for one operation.
pub(crate) struct Session {
    pub(crate) repo: Repository,
    url: Option<String>,
    /// The repository as users named it, for messages.
    pub(crate) name: String,
    pub(crate) attempts: u32,
    /// See [`crate::lock`].
    pub(crate) stale_lock_after: Duration,
    hook: Option<RefUpdateHook>,
}

impl Session {
    fn with<T>(cfg: &GitRepo, f: impl FnOnce(&Session) -> Result<T>) -> Result<T> {
        let name = cfg.location.to_string();
        match &cfg.location {
            GitLocation::Path(path) => {
                let repo = Repository::open(path).map_err(|e| {
                    if e.code() != ErrorCode::NotFound {
                        git_error(&name, "opening the repository", &e)
                    } else if path.exists() {
                        Error::invalid(
                            Location::file(path.display().to_string()),
                            "is not a git repository (neither a work tree nor a bare repository): \
                             give a clone, a bare repository or a URL",
                        )
                    } else {
                        Error::invalid(
                            Location::file(path.display().to_string()),
                            "does not exist: give a clone, a bare repository or a URL",
                        )
                    }
                })?;
                f(&Session {
                    repo,
                    url: None,
                    name,
                    attempts: cfg.attempts,
                    stale_lock_after: cfg.stale_lock_after,
                    hook: cfg.ref_update_hook.clone(),
                })
            }
            GitLocation::Url(url) => {
                let Some(dir) = cfg.cache_path()? else {
                    return Err(backend(&name, "a URL location has no cache path", false));
                };
                let lock = cache_lock(&dir);
                let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                let repo = open_cache(&dir).map_err(|e| {
                    git_error(
                        &name,
                        &format!("opening the cache clone `{}`", dir.display()),
                        &e,
                    )
                })?;
                f(&Session {
                    repo,
                    url: Some(url.clone()),
                    name,
                    attempts: cfg.attempts,
                    stale_lock_after: cfg.stale_lock_after,
                    hook: cfg.ref_update_hook.clone(),
                })
            }
        }
    }

    /// Whether the repository is reached through a cache clone.
    pub(crate) fn is_remote(&self) -> bool {
        self.url.is_some()
    }

    /// A [`Error::Backend`] for a libgit2 failure while doing `what`.
    pub(crate) fn err(&self, what: &str, e: &git2::Error) -> Error {
        git_error(&self.name, what, e)
    }

    /// Brings the cache clone's refs matching `refspecs` up to date with the remote (pruning
    /// refs the remote deleted). Nothing to do for a local repository.
    pub(crate) fn refresh(&self, refspecs: &[&str]) -> Result<()> {
        let Some(url) = &self.url else {
            return Ok(());
        };
        let mut remote = self
            .repo
            .remote_anonymous(url)
            .map_err(|e| self.err("creating the remote", &e))?;
        let mut options = FetchOptions::new();
        options
            .prune(FetchPrune::On)
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        self.unlocked(&refspecs.join(" "), || {
            remote.fetch(refspecs, Some(&mut options), None)
        })?
        .map_err(|e| self.err(&format!("fetching {}", refspecs.join(" ")), &e))
    }

    /// The commit `id` names. A remote is fetched when the cache does not have it yet.
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the repository and the commit.
    pub(crate) fn commit(&self, id: &CommitId) -> Result<Commit<'_>> {
        let not_found =
            || Error::not_found(format!("commit {id} in git repository `{}`", self.name));
        let oid = parse_full_oid(id.as_str()).ok_or_else(not_found)?;
        match self.repo.find_commit(oid) {
            Ok(c) => return Ok(c),
            Err(e) if e.code() != ErrorCode::NotFound => {
                return Err(self.err(&format!("reading commit {id}"), &e))
            }
            Err(_) if !self.is_remote() => return Err(not_found()),
            Err(_) => {}
        }
        self.refresh(&[HEADS, TAGS, CHANGES])?;
        match self.repo.find_commit(oid) {
            Ok(c) => Ok(c),
            Err(e) if e.code() == ErrorCode::NotFound => Err(not_found()),
            Err(e) => Err(self.err(&format!("reading commit {id}"), &e)),
        }
    }

    /// The commit a ref points at now (tags peeled), `None` when the ref does not exist.
    pub(crate) fn ref_target(&self, name: &str) -> Result<Option<Oid>> {
        let reference = match self.repo.find_reference(name) {
            Ok(r) => r,
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => {
                return Ok(None)
            }
            Err(e) => return Err(self.err(&format!("reading ref {name}"), &e)),
        };
        let commit = reference
            .peel_to_commit()
            .map_err(|e| self.err(&format!("ref {name} does not name a commit"), &e))?;
        Ok(Some(commit.id()))
    }

    /// Points ref `name` at `new` if it still points at `expected` (`None`: does not exist).
    ///
    /// Locally this is libgit2's compare-and-swap under the ref lock. For a remote it is a
    /// non-force push: `new` must descend from `expected` (callers make the old value the new
    /// commit's parent), the client checks the fast-forward against the advertised value and
    /// the server updates the ref under its lock only if it still has that value.
    pub(crate) fn swap_ref(&self, name: &str, new: Oid, expected: Option<Oid>) -> Result<Cas> {
        self.before_ref_update(name)?;
        let log = format!("wo: update {name}");
        match &self.url {
            None => {
                let current = expected.unwrap_or_else(Oid::zero);
                match self.unlocked(name, || {
                    self.repo.reference_matching(name, new, true, current, &log)
                })? {
                    Ok(_) => Ok(Cas::Applied),
                    Err(e)
                        if matches!(
                            e.code(),
                            ErrorCode::Modified
                                | ErrorCode::Exists
                                | ErrorCode::NotFound
                                | ErrorCode::Locked
                        ) =>
                    {
                        Ok(Cas::Lost(format!(
                            "ref {name} of `{}` is no longer at {}: {}",
                            self.name,
                            expected.map_or("nothing".to_string(), |o| o.to_string()),
                            e.message()
                        )))
                    }
                    Err(e) => Err(self.err(&format!("updating ref {name}"), &e)),
                }
            }
            Some(url) => self.push(url, &format!("{new}:{name}"), name, new),
        }
    }

    /// Points ref `name` at `new` whatever it pointed at (pushes with force for a remote).
    pub(crate) fn force_ref(&self, name: &str, new: Oid) -> Result<()> {
        self.before_ref_update(name)?;
        match &self.url {
            None => self
                .unlocked(name, || {
                    self.repo
                        .reference(name, new, true, &format!("wo: set {name}"))
                })?
                .map(|_| ())
                .map_err(|e| self.err(&format!("updating ref {name}"), &e)),
            Some(url) => match self.push(url, &format!("+{new}:{name}"), name, new)? {
                Cas::Applied => Ok(()),
                Cas::Lost(why) => Err(backend(&self.name, &why, true)),
            },
        }
    }

    /// Pushes, waiting a little for a lock on the server (a concurrent push) before reporting
    /// it: a lock the server keeps is reported, never a lost compare-and-swap.
    fn push(&self, url: &str, refspec: &str, name: &str, new: Oid) -> Result<Cas> {
        let start = std::time::Instant::now();
        loop {
            match self.push_once(url, refspec, name, new)? {
                Ok(cas) => return Ok(cas),
                Err(_) if start.elapsed() < crate::lock::LIVE_WAIT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(lock) => return Err(crate::lock::locked(&self.name, name, &lock, true)),
            }
        }
    }

    /// One push; `Err(lock file)` when the server refused it for a lock file in the way.
    fn push_once(
        &self,
        url: &str,
        refspec: &str,
        name: &str,
        new: Oid,
    ) -> Result<std::result::Result<Cas, String>> {
        let mut remote = self
            .repo
            .remote_anonymous(url)
            .map_err(|e| self.err("creating the remote", &e))?;
        let rejected: RefCell<Option<String>> = RefCell::new(None);
        let said: RefCell<String> = RefCell::new(String::new());
        let outcome = {
            let mut callbacks = RemoteCallbacks::new();
            callbacks.sideband_progress(|text| {
                said.borrow_mut().push_str(&String::from_utf8_lossy(text));
                true
            });
            callbacks.push_update_reference(|refname, status| {
                if let Some(status) = status {
                    *rejected.borrow_mut() = Some(format!("{refname}: {status}"));
                }
                Ok(())
            });
            let mut options = PushOptions::new();
            options.remote_callbacks(callbacks);
            self.unlocked(name, || remote.push(&[refspec], Some(&mut options)))?
        };
        match outcome {
            Ok(()) => {}
            Err(e) if e.code() == ErrorCode::NotFastForward => {
                return Ok(Ok(Cas::Lost(format!(
                    "ref {name} of `{}` moved (push is not a fast-forward): {}",
                    self.name,
                    e.message()
                ))))
            }
            Err(e) => return Err(self.err(&format!("pushing {refspec}"), &e)),
        }
        if let Some(why) = rejected.into_inner() {
            if let Some(lock) = crate::lock::server_lock_file(&said.into_inner()) {
                return Ok(Err(lock));
            }
            // The server refuses an update whose old value moved ("cannot lock ref", "fetch
            // first"); anything else (a hook, a protected branch) will not pass on a retry.
            let lower = why.to_ascii_lowercase();
            return if [
                "lock",
                "failed to update ref",
                "fast-forward",
                "fast forward",
                "fetch first",
                "stale",
            ]
            .iter()
            .any(|m| lower.contains(m))
            {
                Ok(Ok(Cas::Lost(format!(
                    "ref {name} of `{}` moved: the remote refused {why}",
                    self.name
                ))))
            } else {
                Err(backend(
                    &self.name,
                    &format!("the remote refused the push of {refspec}: {why}"),
                    false,
                ))
            };
        }
        // Mirror the remote in the cache without waiting for the next fetch.
        self.repo
            .reference(name, new, true, "wo: pushed")
            .map_err(|e| self.err(&format!("recording pushed ref {name} in the cache"), &e))?;
        Ok(Ok(Cas::Applied))
    }

    /// The test hook before a ref update ([`RefUpdateHook`]): an error stops the operation.
    fn before_ref_update(&self, name: &str) -> Result<()> {
        self.hook.as_ref().map_or(Ok(()), |h| h.call(name))
    }

    /// Waits a little before try number `attempt` (1-based) of a lost compare-and-swap, with
    /// jitter so that two writers do not collide again in lockstep.
    pub(crate) fn backoff(&self, attempt: u32) {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let base = if self.is_remote() { 20 } else { 2 };
        let jitter = u64::from(nanos % 1000) * base / 1000;
        std::thread::sleep(Duration::from_millis(
            base * u64::from(attempt.min(8)) + jitter,
        ));
    }
}

fn open_cache(dir: &Path) -> std::result::Result<Repository, git2::Error> {
    if dir.join("HEAD").is_file() {
        Repository::open_bare(dir)
    } else {
        Repository::init_bare(dir)
    }
}

/// A full hexadecimal object id (short ids are not commit ids here).
pub(crate) fn parse_full_oid(id: &str) -> Option<Oid> {
    let full = matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit());
    if full {
        Oid::from_str(id).ok()
    } else {
        None
    }
}

/// A [`Error::Backend`] of this crate, naming the repository.
pub(crate) fn backend(repo: &str, message: &str, retryable: bool) -> Error {
    Error::backend(BACKEND, message)
        .retryable(retryable)
        .with_repository(repo)
}

/// The backend name in errors.
pub(crate) const BACKEND: &str = "git";

/// Maps a libgit2 error, keeping it as the source and naming the repository:
///
/// | libgit2 error | variant |
/// |---|---|
/// | code `Auth`, or an HTTP 401 from the remote | `Unauthenticated` |
/// | an HTTP 403 from the remote | `PermissionDenied` |
/// | class `Net`, `Http`, `Ssh`, `Os`, or code `Locked` | `Backend`, retryable |
/// | anything else | `Backend`, not retryable |
///
/// (`NotFound` and lost compare-and-swaps are decided by the callers, which know what was
/// looked for.)
pub(crate) fn git_error(repo: &str, what: &str, e: &git2::Error) -> Error {
    // libgit2 names the remote's URL in some messages: never its password.
    let message = redact_userinfo(&format!("{what}: {}", e.message()));
    let lower = e.message().to_ascii_lowercase();
    let mapped = if e.code() == ErrorCode::Auth || lower.contains("status code: 401") {
        Error::unauthenticated(
            BACKEND,
            format!("{message}; wo reaches git remotes without credentials: use a path, file://, git:// or an http:// remote that allows it"),
        )
    } else if lower.contains("status code: 403") {
        Error::permission_denied(BACKEND, message)
    } else {
        let retryable = matches!(
            e.class(),
            ErrorClass::Net | ErrorClass::Http | ErrorClass::Ssh | ErrorClass::Os
        ) || e.code() == ErrorCode::Locked;
        Error::backend(BACKEND, message).retryable(retryable)
    };
    mapped.with_repository(repo).with_source(git2::Error::new(
        e.code(),
        e.class(),
        redact_userinfo(e.message()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libgit2_errors_map_by_the_table() {
        use git2::{ErrorClass as C, ErrorCode as E};
        type Case = (E, C, &'static str, fn(&Error) -> bool);
        let cases: [Case; 7] = [
            (E::Auth, C::Http, "authentication required", |e| {
                matches!(e, Error::Unauthenticated { .. })
            }),
            (
                E::GenericError,
                C::Http,
                "unexpected http status code: 401",
                |e| matches!(e, Error::Unauthenticated { .. }),
            ),
            (
                E::GenericError,
                C::Http,
                "unexpected http status code: 403",
                |e| matches!(e, Error::PermissionDenied { .. }),
            ),
            (E::GenericError, C::Net, "failed to connect", |e| {
                e.is_retryable()
            }),
            (E::GenericError, C::Os, "interrupted", |e| e.is_retryable()),
            (E::Locked, C::Reference, "the ref is locked", |e| {
                e.is_retryable()
            }),
            (E::GenericError, C::Odb, "object not found", |e| {
                matches!(
                    e,
                    Error::Backend {
                        retryable: false,
                        ..
                    }
                )
            }),
        ];
        for (code, class, message, expected) in cases {
            let e = git_error(
                "shop.git",
                "fetching",
                &git2::Error::new(code, class, message),
            );
            assert!(expected(&e), "{code:?}/{class:?} {message}: {e:?}");
            let c = e.context().expect("a context");
            assert_eq!(c.repository.as_deref(), Some("shop.git"));
            assert_eq!(c.backend.as_deref(), Some("git"));
            assert_eq!(
                std::error::Error::source(&e).map(|s| s.to_string().contains(message)),
                Some(true),
                "the libgit2 error is kept as the source"
            );
        }
    }

    #[test]
    fn only_full_ids_are_commit_ids() {
        assert!(parse_full_oid("0123456789abcdef0123456789abcdef01234567").is_some());
        assert!(parse_full_oid("0123456").is_none());
        assert!(parse_full_oid("main").is_none());
        assert!(parse_full_oid("g123456789abcdef0123456789abcdef01234567").is_none());
    }
}
