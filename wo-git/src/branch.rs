//! [`ConfigChanges`] on git: a proposal is one commit on top of its base on a branch of the
//! proposer's own (for example `wo fleet import` proposing `fleet.yaml` to a platform config
//! repo). A plain git host has no review requests: the branch is the proposal.

use std::sync::Arc;

use async_trait::async_trait;
use git2::build::TreeUpdateBuilder;
use git2::{FileMode, Oid, Signature};
use wo_core::files::FileTree;
use wo_core::ports::{BranchWrite, CommitId, ConfigChange, ConfigChanges, ProposedChange};
use wo_core::{Error, Location, Result};

use crate::config::GitConfigStore;
use crate::session::{self, Session, HEADS};

#[async_trait]
impl ConfigChanges for GitConfigStore {
    /// One commit on top of `change.base` whose tree is `base`'s with the files written
    /// (blobs upserted into the tree), with the message [`ConfigChange::message`]; the branch
    /// is created or moved to it with force, and left alone when it already holds exactly
    /// that (same parent, same tree). A URL location is fetched first and the branch pushed
    /// after.
    async fn propose(&self, change: &ConfigChange) -> Result<ProposedChange> {
        change.check()?;
        let refname = format!("refs/heads/{}", change.branch);
        if !git2::Reference::is_valid_name(&refname) {
            return Err(Error::invalid(
                Location::file("<change>").with_key("branch"),
                format!(
                    "`{}` is not a valid branch name",
                    change.branch.escape_debug()
                ),
            ));
        }
        let change = change.clone();
        session::run(Arc::new(self.repo().clone()), move |s| {
            let message = change.message();
            commit_files(
                s,
                &change.base,
                &change.branch,
                &refname,
                &change.files,
                &message,
            )
        })
        .await
    }
}

fn commit_files(
    s: &Session,
    base: &CommitId,
    branch: &str,
    refname: &str,
    files: &FileTree,
    message: &str,
) -> Result<ProposedChange> {
    let err = |what: &str, e: git2::Error| s.err(what, &e);
    s.refresh(&[HEADS])?;
    let base_commit = s.commit(base)?;
    let base_tree = base_commit
        .tree()
        .map_err(|e| err(&format!("reading the tree of commit {base}"), e))?;
    let mut update = TreeUpdateBuilder::new();
    for (path, content) in files.iter() {
        let blob = s
            .repo
            .blob(content)
            .map_err(|e| err(&format!("writing `{path}`"), e))?;
        update.upsert(path, blob, FileMode::Blob);
    }
    let tree_id = update
        .create_updated(&s.repo, &base_tree)
        .map_err(|e| err("writing a tree", e))?;
    let current = s.ref_target(refname)?;
    if let Some(current) = current {
        if holds(s, current, base_commit.id(), tree_id)? {
            return Ok(ProposedChange {
                branch: branch.to_string(),
                head: CommitId::new(current.to_string()),
                write: BranchWrite::Unchanged,
                review: None,
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
    Ok(ProposedChange {
        branch: branch.to_string(),
        head: CommitId::new(new.to_string()),
        write: if current.is_some() {
            BranchWrite::Updated
        } else {
            BranchWrite::Created
        },
        review: None,
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

    #[tokio::test]
    async fn a_proposal_is_one_commit_on_its_base_with_the_change_as_its_message() {
        let (dir, base) = repo();
        let store = GitConfigStore::open(dir.path().to_str().unwrap()).unwrap();
        let mut files = FileTree::new();
        files.insert("sub/b.txt", "b\n").unwrap();
        let change = ConfigChange {
            environment: "dev".into(),
            base: base.clone(),
            branch: "wo/x/dev".into(),
            files,
            title: "title".into(),
            body: "body\n".into(),
        };
        let p = store.propose(&change).await.unwrap();
        let repo = git2::Repository::open_bare(dir.path()).unwrap();
        let c = repo
            .find_commit(Oid::from_str(p.head.as_str()).unwrap())
            .unwrap();
        assert_eq!(
            c.parent_ids().collect::<Vec<_>>(),
            [Oid::from_str(base.as_str()).unwrap()]
        );
        assert_eq!(c.message(), Some("title\n\nbody\n"));
        assert!(
            p.review.is_none(),
            "a plain git host has no review requests"
        );
        let bad = store
            .propose(&ConfigChange {
                branch: "a..b".into(),
                ..change
            })
            .await;
        assert!(matches!(bad, Err(Error::Invalid(_))), "{bad:?}");
    }
}
