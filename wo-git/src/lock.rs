//! Lock files a killed process leaves behind.
//!
//! libgit2 and git update a ref by creating `<ref>.lock` (exclusively), writing the new value
//! into it and renaming it over the ref. A process killed in between leaves the lock, and every
//! later update of that ref fails with "failed to lock file". A live writer holds a ref lock
//! for milliseconds, so a lock that stays is judged:
//!
//! | the lock file | what happens |
//! |---|---|
//! | older than the threshold ([`GitRepo::with_stale_lock_after`](crate::GitRepo::with_stale_lock_after), default [`DEFAULT_STALE_LOCK_AFTER`]) | removed; the update goes on |
//! | no process has it open (Linux: `/proc/*/fd` of the processes this user may see) and it is older than 2 s | removed; the update goes on |
//! | younger, and no process has it open | waited for until it is 2 s old, then removed |
//! | open in a live process, or its holder cannot be told (other systems) | waited for up to 3 s, then `Backend` (retryable): `ref X is locked by another process: <path>; remove it if no wo/git process runs` |
//!
//! The 2 s grace covers git itself, which closes a ref lock before its `reference-transaction`
//! hook runs and renames it after. The same rule applies to the cache clone of a remote (a
//! killed fetch) and to a `file://` remote; a lock on a server (`git://`, `http://`) is reported,
//! never touched.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use wo_core::{Error, Result};

use crate::session::{backend, Session};

/// How old a ref lock file must be to be removed even while a process holds it open.
pub const DEFAULT_STALE_LOCK_AFTER: Duration = Duration::from_secs(5 * 60);

/// How old a lock file that no process holds open must be to be a killed writer's.
const ORPHAN_GRACE: Duration = Duration::from_secs(2);

/// How long a lock held by a live process (or by one that cannot be told) is waited for.
pub(crate) const LIVE_WAIT: Duration = Duration::from_secs(3);

/// What to do about one lock file.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// It is gone: try again.
    Gone,
    /// A killed writer's: remove it.
    Stale,
    /// Wait for it (a live writer, or an orphan inside the grace).
    Wait,
}

/// The lock file a libgit2 `Locked` error names: `failed to lock file '<path>' for writing`.
fn locked_path(e: &git2::Error) -> Option<PathBuf> {
    let message = e.message();
    let start = message.find("lock file '")? + "lock file '".len();
    let len = message[start..].find('\'')?;
    let path = PathBuf::from(&message[start..start + len]);
    path.extension()
        .is_some_and(|x| x == "lock")
        .then_some(path)
}

/// The lock file a git server names when a push finds one in its way (`error: cannot lock ref
/// 'refs/heads/dev': Unable to create '/srv/git/x.git/refs/heads/dev.lock': File exists.`).
pub(crate) fn server_lock_file(said: &str) -> Option<String> {
    let start = said.find("Unable to create '")? + "Unable to create '".len();
    let len = said[start..].find('\'')?;
    let path = &said[start..start + len];
    path.ends_with(".lock").then(|| path.to_string())
}

/// The ref a lock file guards (`…/refs/heads/dev.lock` → `refs/heads/dev`).
fn guarded_ref(path: &Path) -> Option<String> {
    let text = path.to_str()?.replace('\\', "/");
    let at = text.rfind("/refs/")? + 1;
    text[at..].strip_suffix(".lock").map(str::to_string)
}

fn examine(path: &Path, stale_after: Duration) -> Verdict {
    let Ok(meta) = std::fs::metadata(path) else {
        return Verdict::Gone;
    };
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or_default();
    if age >= stale_after {
        return Verdict::Stale;
    }
    match held_open(path) {
        Some(false) if age >= ORPHAN_GRACE => Verdict::Stale,
        _ => Verdict::Wait,
    }
}

/// Whether a process has `path` open: `Some` on Linux, from `/proc/<pid>/fd` of every process
/// this user may look at (others cannot be writing the repository as this user); `None` where
/// that cannot be told.
#[cfg(target_os = "linux")]
fn held_open(path: &Path) -> Option<bool> {
    let target = std::fs::canonicalize(path).ok()?;
    let processes = std::fs::read_dir("/proc").ok()?;
    for process in processes.flatten() {
        if !process
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|link| link == target))
        {
            return Some(true);
        }
    }
    Some(false)
}

#[cfg(not(target_os = "linux"))]
fn held_open(_path: &Path) -> Option<bool> {
    None
}

/// The error for a lock that stays: names the ref and the file (on the server of a remote).
pub(crate) fn locked(repo: &str, reference: &str, path: &str, on_server: bool) -> Error {
    let place = if on_server { " on the server" } else { "" };
    backend(
        repo,
        &format!(
            "ref {reference} is locked by another process: {path}{place}; remove it if no wo/git process runs"
        ),
        true,
    )
    .with_reference(reference)
    .with_path(path)
}

impl Session {
    /// Runs `op`, a libgit2 call that updates `reference` (or, for a fetch, several refs), and
    /// deals with a lock file in its way by the rule of this module: a stale lock is removed and
    /// `op` runs again; a live one is waited for, then reported. Other outcomes are returned
    /// as they are.
    pub(crate) fn unlocked<T>(
        &self,
        reference: &str,
        mut op: impl FnMut() -> std::result::Result<T, git2::Error>,
    ) -> Result<std::result::Result<T, git2::Error>> {
        let start = Instant::now();
        loop {
            // A ref update says `Locked`; a fetch the same message with a generic code.
            let (e, path) = match op() {
                Err(e) => match locked_path(&e) {
                    Some(path) => (e, path),
                    None => return Ok(Err(e)),
                },
                ok => return Ok(ok),
            };
            match examine(&path, self.stale_lock_after) {
                Verdict::Gone => {}
                Verdict::Stale => match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(io) if io.kind() == std::io::ErrorKind::NotFound => {}
                    Err(io) => {
                        return Err(backend(
                            &self.name,
                            &format!(
                                "ref {reference}: cannot remove the stale lock {}: {io}",
                                path.display()
                            ),
                            false,
                        )
                        .with_reference(reference)
                        .with_path(path.display().to_string()))
                    }
                },
                Verdict::Wait => {
                    if start.elapsed() >= LIVE_WAIT {
                        let reference = guarded_ref(&path).unwrap_or_else(|| reference.to_string());
                        return Err(locked(
                            &self.name,
                            &reference,
                            &path.display().to_string(),
                            false,
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            if start.elapsed() >= LIVE_WAIT + Duration::from_secs(1) {
                return Ok(Err(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use git2::ErrorCode;

    #[test]
    fn the_lock_file_is_read_from_libgit2s_message() {
        let e = git2::Error::new(
            ErrorCode::Locked,
            git2::ErrorClass::Os,
            "failed to lock file '/srv/x.git/refs/heads/dev.lock' for writing: ",
        );
        assert_eq!(
            locked_path(&e),
            Some(PathBuf::from("/srv/x.git/refs/heads/dev.lock"))
        );
        let other = git2::Error::new(ErrorCode::Locked, git2::ErrorClass::Os, "locked");
        assert_eq!(locked_path(&other), None);
        assert_eq!(
            guarded_ref(Path::new("/srv/x.git/refs/wo/changes/dev/shop.lock")).as_deref(),
            Some("refs/wo/changes/dev/shop")
        );
        assert_eq!(guarded_ref(Path::new("/srv/x.git/packed-refs.lock")), None);
        assert_eq!(
            server_lock_file(
                "error: cannot lock ref 'refs/heads/dev': Unable to create '/srv/x.git/refs/heads/dev.lock': File exists.\n"
            )
            .as_deref(),
            Some("/srv/x.git/refs/heads/dev.lock")
        );
        assert_eq!(
            server_lock_file("error: cannot lock ref 'refs/heads/dev': is at 1 but expected 2"),
            None
        );
    }

    #[test]
    fn old_locks_are_stale_young_ones_are_waited_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("dev.lock");
        assert_eq!(examine(&path, DEFAULT_STALE_LOCK_AFTER), Verdict::Gone);
        std::fs::write(&path, "x").expect("write");
        assert_eq!(
            examine(&path, DEFAULT_STALE_LOCK_AFTER),
            Verdict::Wait,
            "a fresh lock may be a live writer's"
        );
        assert_eq!(examine(&path, Duration::ZERO), Verdict::Stale);
        let old = SystemTime::now() - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(old))
            .expect("age the lock");
        if cfg!(target_os = "linux") {
            assert_eq!(
                examine(&path, DEFAULT_STALE_LOCK_AFTER),
                Verdict::Stale,
                "nobody holds it open and it is past the grace"
            );
            let _held = std::fs::File::open(&path).expect("open");
            assert_eq!(
                examine(&path, DEFAULT_STALE_LOCK_AFTER),
                Verdict::Wait,
                "this process holds it open"
            );
        }
    }
}
