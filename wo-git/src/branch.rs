//! Files written to a branch of the caller's own as one commit on top of a base commit: how a
//! tool proposes a change to a repository that has no change-request records (for example
//! `wo fleet import` proposing `fleet.yaml` on a platform config repo).

use std::sync::Arc;

use git2::build::TreeUpdateBuilder;
use git2::{FileMode, Oid, Signature};
use wo_core::ports::CommitId;
use wo_core::{Error, Location, Result};

use crate::location::GitRepo;
use crate::session::{self, Session, HEADS};

/// What [`GitRepo::commit_files`] did to the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchWrite {
    /// The branch did not exist; it was created.
    Created,
    /// The branch pointed elsewhere; it was moved to the new commit.
    Updated,
    /// The branch already held exactly this commit's content on this base; nothing was written.
    Unchanged,
}

/// The branch after [`GitRepo::commit_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchHead {
    /// The branch name (without `refs/heads/`).
    pub branch: String,
    /// The commit it points at.
    pub head: CommitId,
    /// What was done.
    pub write: BranchWrite,
}

impl GitRepo {
    /// Makes branch `branch` point at one commit on top of `base` whose tree is `base`'s with
    /// `files` written (added or replaced; relative `/`-separated paths), with `message`.
    ///
    /// # Contract
    ///
    /// - Idempotent: when the branch already points at a commit whose only parent is `base` and
    ///   whose tree is the new tree, nothing is written ([`BranchWrite::Unchanged`]).
    /// - Otherwise the commit is made and the branch created or moved to it **with force**: the
    ///   branch is the caller's own and is rebuilt on the current base each time. Never pass an
    ///   environment branch.
    /// - Files equal to `base`'s still give a commit (with no difference); callers that want
    ///   nothing written in that case compare first.
    /// - A URL location is fetched first and the branch pushed after.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unsafe path or a branch name git refuses; [`Error::NotFound`]
    /// for an unknown `base`; [`Error::Backend`] for libgit2 and transport failures.
    pub async fn commit_files(
        &self,
        base: &CommitId,
        branch: &str,
        files: Vec<(String, Vec<u8>)>,
        message: &str,
    ) -> Result<BranchHead> {
        let refname = format!("refs/heads/{branch}");
        if !git2::Reference::is_valid_name(&refname) {
            return Err(Error::invalid(
                Location::file("<branch>"),
                format!("`{}` is not a valid branch name", branch.escape_debug()),
            ));
        }
        for (path, _) in &files {
            wo_core::files::check_relative_path(path)
                .map_err(|m| Error::invalid(Location::file(path.clone()), m))?;
        }
        let (base, branch, message) = (base.clone(), branch.to_string(), message.to_string());
        session::run(Arc::new(self.clone()), move |s| {
            commit_files(s, &base, &branch, &refname, &files, &message)
        })
        .await
    }
}

fn commit_files(
    s: &Session,
    base: &CommitId,
    branch: &str,
    refname: &str,
    files: &[(String, Vec<u8>)],
    message: &str,
) -> Result<BranchHead> {
    let err = |what: &str, e: git2::Error| s.err(what, &e);
    s.refresh(&[HEADS])?;
    let base_commit = s.commit(base)?;
    let base_tree = base_commit
        .tree()
        .map_err(|e| err(&format!("reading the tree of commit {base}"), e))?;
    let mut update = TreeUpdateBuilder::new();
    for (path, content) in files {
        let blob = s
            .repo
            .blob(content)
            .map_err(|e| err(&format!("writing `{path}`"), e))?;
        update.upsert(path.as_str(), blob, FileMode::Blob);
    }
    let tree_id = update
        .create_updated(&s.repo, &base_tree)
        .map_err(|e| err("writing a tree", e))?;
    let current = s.ref_target(refname)?;
    if let Some(current) = current {
        if holds(s, current, base_commit.id(), tree_id)? {
            return Ok(BranchHead {
                branch: branch.to_string(),
                head: CommitId::new(current.to_string()),
                write: BranchWrite::Unchanged,
            });
        }
    }
    let tree = s
        .repo
        .find_tree(tree_id)
        .map_err(|e| err("reading the new tree", e))?;
    let sig = Signature::now("wo", "wo@localhost").map_err(|e| err("signing", e))?;
    let new = s
        .repo
        .commit(None, &sig, &sig, message, &tree, &[&base_commit])
        .map_err(|e| err(&format!("committing to {branch}"), e))?;
    s.force_ref(refname, new)?;
    Ok(BranchHead {
        branch: branch.to_string(),
        head: CommitId::new(new.to_string()),
        write: if current.is_some() {
            BranchWrite::Updated
        } else {
            BranchWrite::Created
        },
    })
}

/// Whether commit `head` is one commit on top of `base` with tree `tree`.
fn holds(s: &Session, head: Oid, base: Oid, tree: Oid) -> Result<bool> {
    let c = s
        .repo
        .find_commit(head)
        .map_err(|e| s.err(&format!("reading commit {head}"), &e))?;
    Ok(c.parent_count() == 1 && c.parent_id(0).ok() == Some(base) && c.tree_id() == tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository with branch `dev` holding `a.txt`; returns the dir and dev's commit.
    fn repo() -> (tempfile::TempDir, CommitId) {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let blob = repo.blob(b"a\n").unwrap();
        let mut tb = repo.treebuilder(None).unwrap();
        tb.insert("a.txt", blob, 0o100644).unwrap();
        let tree = repo.find_tree(tb.write().unwrap()).unwrap();
        let sig = Signature::now("t", "t@example.invalid").unwrap();
        let c = repo
            .commit(Some("refs/heads/dev"), &sig, &sig, "init", &tree, &[])
            .unwrap();
        (dir, CommitId::new(c.to_string()))
    }

    fn file_at(dir: &std::path::Path, rev: &str, path: &str) -> Option<String> {
        let repo = git2::Repository::open_bare(dir).unwrap();
        let tree = repo.revparse_single(rev).unwrap().peel_to_tree().unwrap();
        let entry = tree.get_path(std::path::Path::new(path)).ok()?;
        let blob = repo.find_blob(entry.id()).unwrap();
        Some(String::from_utf8(blob.content().to_vec()).unwrap())
    }

    #[tokio::test]
    async fn creates_keeps_then_moves_the_branch() {
        let (dir, base) = repo();
        let repo = GitRepo::open(dir.path().to_str().unwrap()).unwrap();
        let files = || vec![("sub/b.txt".to_string(), b"b\n".to_vec())];

        let first = repo
            .commit_files(&base, "wo/x/dev", files(), "m\n")
            .await
            .unwrap();
        assert_eq!(first.write, BranchWrite::Created);
        assert_eq!(
            file_at(dir.path(), "wo/x/dev", "sub/b.txt").as_deref(),
            Some("b\n")
        );
        assert_eq!(
            file_at(dir.path(), "wo/x/dev", "a.txt").as_deref(),
            Some("a\n")
        );
        assert_eq!(file_at(dir.path(), "dev", "sub/b.txt"), None);

        let again = repo
            .commit_files(&base, "wo/x/dev", files(), "m\n")
            .await
            .unwrap();
        assert_eq!(again.write, BranchWrite::Unchanged);
        assert_eq!(again.head, first.head);

        let changed = repo
            .commit_files(
                &base,
                "wo/x/dev",
                vec![("sub/b.txt".into(), b"c\n".to_vec())],
                "m\n",
            )
            .await
            .unwrap();
        assert_eq!(changed.write, BranchWrite::Updated);
        assert_ne!(changed.head, first.head);
        assert_eq!(
            file_at(dir.path(), "wo/x/dev", "sub/b.txt").as_deref(),
            Some("c\n")
        );
    }

    #[tokio::test]
    async fn refuses_unsafe_paths_and_branch_names() {
        let (dir, base) = repo();
        let repo = GitRepo::open(dir.path().to_str().unwrap()).unwrap();
        let bad_path = repo
            .commit_files(&base, "ok", vec![("../x".into(), vec![])], "m")
            .await;
        assert!(matches!(bad_path, Err(Error::Invalid(_))), "{bad_path:?}");
        let bad_branch = repo.commit_files(&base, "a..b", vec![], "m").await;
        assert!(
            matches!(bad_branch, Err(Error::Invalid(_))),
            "{bad_branch:?}"
        );
        let unknown = repo
            .commit_files(&CommitId::new("0".repeat(40)), "ok", vec![], "m")
            .await;
        assert!(
            matches!(unknown, Err(Error::NotFound { .. })),
            "{unknown:?}"
        );
    }
}
