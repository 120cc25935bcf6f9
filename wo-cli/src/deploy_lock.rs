//! One `wo deploy` of an environment at a time on a machine: an advisory lock file under the
//! state (cache) directory, `locks/deploy-<env>-<hash of the gitops repository>.lock`.
//!
//! The file is created with `create_new` (atomic) and holds the owner's pid, host and start
//! time; it is removed when the deploy ends. A second deploy of the same environment and
//! gitops repository refuses at once, before any request to WO, naming the owner. A lock left
//! by a process that is gone (killed) is stale: on the same host (the pid no longer runs, read
//! from `/proc`) it is taken over; a lock from another host, or where `/proc` is missing, is
//! never taken over (the message says how to remove it). A file without an owner (a kill
//! between creating and writing it) is stale after [`UNOWNED_GRACE`].
//!
//! Deploys on different machines are not serialised by this lock: WO itself keeps them safe
//! (each deploy continues from what WO has and follows an install of the same release made
//! meanwhile, see `wo_azure::orchestrator`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wo_core::{Error, Result};

/// How long a lock file with no owner written yet counts as being written.
pub const UNOWNED_GRACE: Duration = Duration::from_secs(30);

/// A held lock; released (its file removed) when dropped.
#[derive(Debug)]
pub struct DeployLock {
    path: PathBuf,
    content: String,
}

/// What a lock file says about its owner.
#[derive(Debug, PartialEq, Eq)]
struct Owner {
    pid: u32,
    host: String,
    started: u64,
}

impl Owner {
    fn parse(text: &str) -> Option<Owner> {
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::trim)
        };
        Some(Owner {
            pid: field("pid")?.parse().ok()?,
            host: field("host")?.to_string(),
            started: field("started").and_then(|s| s.parse().ok()).unwrap_or(0),
        })
    }
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// Whether `pid` runs on this host: `Some(false)` only when known to be gone.
fn running(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    proc.join("self")
        .exists()
        .then(|| proc.join(pid.to_string()).exists())
}

/// FNV-1a: a stable short name for the gitops repository in the lock's file name.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The lock file of a deploy of `env` to `gitops` under `state_dir`.
pub fn lock_path(state_dir: &Path, env: &str, gitops: &str) -> PathBuf {
    let safe: String = env
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    state_dir
        .join("locks")
        .join(format!("deploy-{safe}-{:016x}.lock", fnv(gitops)))
}

impl DeployLock {
    /// Takes the lock of deploys of `env` to `gitops` under `state_dir`.
    ///
    /// # Errors
    /// [`Error::Precondition`] when another deploy holds it ("another wo deploy of <env> is
    /// running (pid …)"); [`Error::Io`] when the lock file cannot be written.
    pub fn acquire(state_dir: &Path, env: &str, gitops: &str) -> Result<DeployLock> {
        let path = lock_path(state_dir, env, gitops);
        let io = |e: std::io::Error| Error::Io {
            path: path.display().to_string(),
            source: e,
        };
        std::fs::create_dir_all(path.parent().expect("under locks/")).map_err(io)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let content = format!(
            "pid={}\nhost={}\nstarted={now}\nenv={env}\n",
            std::process::id(),
            this_host()
        );
        // Twice at most: once more after taking over a stale lock.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    file.write_all(content.as_bytes())
                        .and_then(|()| file.sync_all())
                        .map_err(io)?;
                    return Ok(DeployLock { path, content });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    if !Self::stale(&path, &held) {
                        return Err(Self::refusal(&path, env, &held));
                    }
                    Self::take_over(&path, &held).map_err(io)?;
                }
                Err(e) => return Err(io(e)),
            }
        }
        let held = std::fs::read_to_string(&path).unwrap_or_default();
        Err(Self::refusal(&path, env, &held))
    }

    /// Whether the lock `held` (the file's content) belongs to no running deploy.
    fn stale(path: &Path, held: &str) -> bool {
        match Owner::parse(held) {
            Some(owner) => owner.host == this_host() && running(owner.pid) == Some(false),
            None => std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > UNOWNED_GRACE),
        }
    }

    /// Removes the stale lock whose content is `held`, unless another process replaced it
    /// meanwhile: it is moved aside (atomic), checked, and put back (without replacing
    /// anything) when it is not the one judged stale.
    fn take_over(path: &Path, held: &str) -> std::io::Result<()> {
        let aside = path.with_extension(format!("stale.{}", std::process::id()));
        match std::fs::rename(path, &aside) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        let moved = std::fs::read_to_string(&aside).unwrap_or_default();
        if moved != held {
            // Someone's fresh lock: back where it was, unless a third one is there now.
            let _ = std::fs::hard_link(&aside, path);
        }
        std::fs::remove_file(&aside)
    }

    fn refusal(path: &Path, env: &str, held: &str) -> Error {
        let owner = match Owner::parse(held) {
            Some(o) => {
                let since = if o.started > 0 {
                    format!(", since {} (Unix time)", o.started)
                } else {
                    String::new()
                };
                format!("pid {} on {}{since}", o.pid, o.host)
            }
            None => "owner not written yet".to_string(),
        };
        Error::precondition(format!(
            "another wo deploy of {env} is running ({owner}); wait for it to end and run this \
             one again. If that process is gone, remove the lock {}",
            path.display()
        ))
    }

    /// The lock file.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DeployLock {
    fn drop(&mut self) {
        // Only our own lock: a lock taken over from us (we looked gone) is not ours to remove.
        if std::fs::read_to_string(&self.path).ok().as_deref() == Some(self.content.as_str()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_a_clear_refusal_and_stale_locks_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = DeployLock::acquire(dir.path(), "dev", "git://h/gitops.git").unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        let owner = Owner::parse(&text).unwrap();
        assert_eq!(owner.pid, std::process::id());
        let e = DeployLock::acquire(dir.path(), "dev", "git://h/gitops.git").unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains(&format!(
                "another wo deploy of dev is running (pid {}",
                std::process::id()
            )),
            "{shown}"
        );
        assert!(
            shown.contains(&lock.path().display().to_string()),
            "{shown}"
        );
        // Another environment, or another gitops repository: another lock.
        let other_env = DeployLock::acquire(dir.path(), "prod", "git://h/gitops.git").unwrap();
        let other_repo = DeployLock::acquire(dir.path(), "dev", "git://h/other.git").unwrap();
        assert_ne!(other_env.path(), lock.path());
        assert_ne!(other_repo.path(), lock.path());
        let path = lock.path().to_path_buf();
        drop(lock);
        assert!(!path.exists(), "released");

        // A lock of a process that is gone, on this host: taken over.
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let gone_pid = gone.id();
        gone.wait().unwrap();
        if running(gone_pid) == Some(false) {
            std::fs::write(
                &path,
                format!("pid={gone_pid}\nhost={}\nstarted=1\n", this_host()),
            )
            .unwrap();
            let taken = DeployLock::acquire(dir.path(), "dev", "git://h/gitops.git").unwrap();
            assert_eq!(
                Owner::parse(&std::fs::read_to_string(taken.path()).unwrap())
                    .unwrap()
                    .pid,
                std::process::id()
            );
        }
        // Another host's lock is never taken over, even if its pid is not running here.
        std::fs::write(
            &path,
            format!("pid={gone_pid}\nhost=elsewhere\nstarted=1\n"),
        )
        .unwrap();
        let e = DeployLock::acquire(dir.path(), "dev", "git://h/gitops.git").unwrap_err();
        assert!(e.to_string().contains("on elsewhere"), "{e}");
        // A file with no owner yet: being written, unless it is old.
        std::fs::write(&path, "").unwrap();
        let e = DeployLock::acquire(dir.path(), "dev", "git://h/gitops.git").unwrap_err();
        assert!(e.to_string().contains("owner not written yet"), "{e}");
    }
}
