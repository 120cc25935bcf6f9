//! [`SourceRepo`] on git: bundles read from commits, statuses kept in the repository itself.

use std::sync::Arc;

use async_trait::async_trait;
use git2::{ErrorCode, Oid, Signature};
use wo_core::files::FileTree;
use wo_core::ports::{CommitId, CommitStatus, SourceRepo};
use wo_core::{Error, Location, Result};

use crate::location::GitRepo;
use crate::session::{self, parse_full_oid, run, Cas, Session, HEADS, TAGS};
use crate::tree;

/// [`SourceRepo`] on a git repository.
///
/// - `resolve` accepts a branch (`refs/heads/<rev>`), a tag (`refs/tags/<rev>`, peeled), a full
///   commit id, or an unambiguous abbreviated id (4 to 39 hex digits).
/// - `read_tree` reads blobs only: symbolic links, submodules and files over
///   [`MAX_FILE_BYTES`](wo_core::files::MAX_FILE_BYTES) are refused naming the path.
/// - Statuses of commit `C` live in the repository under `refs/wo/statuses/<C>`: a chain of
///   commits, each holding one JSON file per status context (`wo/dev/berlin-1` is stored as
///   `wo%2Fdev%2Fberlin-1.json`). Each new status commit has the previous one as parent and
///   moves the ref by compare-and-swap (a non-force push for a remote), retried on a fresh read
///   when another writer won, so statuses of different contexts never overwrite each other.
/// - `on_branch`: the branch head is the commit or descends from it (`graph_descendant_of`).
/// - `tags_of`: the tags under `refs/tags/` whose target peels to the commit.
#[derive(Debug, Clone)]
pub struct GitSourceRepo {
    repo: Arc<GitRepo>,
}

impl GitSourceRepo {
    /// The source repo at `repo`.
    pub fn new(repo: GitRepo) -> Self {
        Self {
            repo: Arc::new(repo),
        }
    }

    /// The source repo at a location string ([`GitLocation::parse`](crate::GitLocation::parse)).
    ///
    /// # Errors
    /// As [`GitLocation::parse`](crate::GitLocation::parse).
    pub fn open(location: &str) -> Result<Self> {
        Ok(Self::new(GitRepo::open(location)?))
    }
}

/// The ref holding the statuses of `commit`.
fn status_ref(commit: Oid) -> String {
    format!("refs/wo/statuses/{commit}")
}

/// A status context as one safe file name: bytes other than ASCII letters, digits, `-` and
/// `_` are percent-encoded (so `/` and `.` never reach the tree), then `.json`.
pub(crate) fn status_file_name(context: &str) -> String {
    let mut out = String::with_capacity(context.len() + 5);
    for b in context.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str(".json");
    out
}

fn resolve_rev(s: &Session, rev: &str) -> Result<CommitId> {
    let not_found = || {
        Error::not_found(format!(
            "revision `{rev}` (no branch, tag or commit of that name) in git repository `{}`",
            s.name
        ))
    };
    if rev.is_empty() {
        return Err(not_found());
    }
    s.refresh(&[HEADS, TAGS])?;
    if parse_full_oid(rev).is_some() {
        return s
            .commit(&CommitId::from(rev))
            .map(|c| c.id().to_string().into());
    }
    for name in [format!("refs/heads/{rev}"), format!("refs/tags/{rev}")] {
        if git2::Reference::is_valid_name(&name) {
            if let Some(oid) = s.ref_target(&name)? {
                return Ok(CommitId::new(oid.to_string()));
            }
        }
    }
    if (4..40).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        match s.repo.find_commit_by_prefix(rev) {
            Ok(c) => return Ok(CommitId::new(c.id().to_string())),
            Err(e) if e.code() == ErrorCode::Ambiguous => {
                return Err(Error::invalid(
                    Location::file("<revision>"),
                    format!(
                        "`{rev}` is ambiguous in git repository `{}`: give more digits",
                        s.name
                    ),
                ))
            }
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => {}
            Err(e) => return Err(s.err(&format!("resolving `{rev}`"), &e)),
        }
    }
    Err(not_found())
}

fn read_statuses(s: &Session, commit: Oid) -> Result<(Option<Oid>, Vec<CommitStatus>)> {
    let name = status_ref(commit);
    let Some(head) = s.ref_target(&name)? else {
        return Ok((None, Vec::new()));
    };
    let tree = s
        .repo
        .find_commit(head)
        .and_then(|c| c.tree())
        .map_err(|e| s.err(&format!("reading {name}"), &e))?;
    let mut out = Vec::new();
    for entry in tree.iter() {
        let blob = s
            .repo
            .find_blob(entry.id())
            .map_err(|e| s.err(&format!("reading {name}"), &e))?;
        let status: CommitStatus = serde_json::from_slice(blob.content()).map_err(|e| {
            session::backend(
                &s.name,
                &format!(
                    "{name}: `{}` is not a status record: {e}",
                    String::from_utf8_lossy(entry.name_bytes())
                ),
                false,
            )
        })?;
        out.push(status);
    }
    out.sort_by(|a, b| a.context.cmp(&b.context));
    Ok((Some(head), out))
}

fn set_status(s: &Session, id: &CommitId, status: &CommitStatus) -> Result<()> {
    let commit = s.commit(id)?.id();
    let name = status_ref(commit);
    let file = status_file_name(&status.context);
    let mut json = serde_json::to_vec_pretty(status)
        .map_err(|e| session::backend(&s.name, &format!("encoding status: {e}"), false))?;
    json.push(b'\n');
    let mut last = String::new();
    for attempt in 1..=s.attempts {
        if attempt > 1 {
            s.backoff(attempt);
        }
        s.refresh(&[&format!("+{name}:{name}")])?;
        let previous = s.ref_target(&name)?;
        let err = |e: git2::Error| s.err(&format!("writing {name}"), &e);
        let parent = previous
            .map(|p| s.repo.find_commit(p))
            .transpose()
            .map_err(err)?;
        let base = parent.as_ref().map(|p| p.tree()).transpose().map_err(err)?;
        let blob = s.repo.blob(&json).map_err(err)?;
        let mut builder = s.repo.treebuilder(base.as_ref()).map_err(err)?;
        builder.insert(&file, blob, 0o100644).map_err(err)?;
        let tree_id = builder.write().map_err(err)?;
        if base.as_ref().map(|b| b.id()) == Some(tree_id) {
            return Ok(()); // the same status again
        }
        let tree = s.repo.find_tree(tree_id).map_err(err)?;
        let sig = Signature::now("wo", "wo@localhost").map_err(err)?;
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let message = format!("{}: {}\n", status.context, status.state);
        let new = s
            .repo
            .commit(None, &sig, &sig, &message, &tree, &parents)
            .map_err(err)?;
        match s.swap_ref(&name, new, previous)? {
            Cas::Applied => return Ok(()),
            Cas::Lost(why) => last = why,
        }
    }
    Err(Error::precondition(format!(
        "status `{}` on commit {id}: gave up after {} tries: {last}",
        status.context, s.attempts
    )))
}

fn on_branch(s: &Session, id: &CommitId, branch: &str) -> Result<bool> {
    s.refresh(&[HEADS])?;
    let commit = s.commit(id)?.id();
    let name = format!("refs/heads/{branch}");
    let head = git2::Reference::is_valid_name(&name)
        .then(|| s.ref_target(&name))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            Error::not_found(format!("branch `{branch}` in git repository `{}`", s.name))
        })?;
    if head == commit {
        return Ok(true);
    }
    s.repo
        .graph_descendant_of(head, commit)
        .map_err(|e| s.err(&format!("checking whether {name} holds {commit}"), &e))
}

fn tags_of(s: &Session, id: &CommitId) -> Result<Vec<String>> {
    s.refresh(&[TAGS])?;
    let commit = s.commit(id)?.id();
    let refs = s
        .repo
        .references_glob("refs/tags/*")
        .map_err(|e| s.err("listing tags", &e))?;
    let mut out = Vec::new();
    for r in refs {
        let r = r.map_err(|e| s.err("listing tags", &e))?;
        // A tag of something else than a commit (a tree, a blob) names no commit.
        let Ok(target) = r.peel_to_commit() else {
            continue;
        };
        if target.id() == commit {
            if let Some(name) = r.name().and_then(|n| n.strip_prefix("refs/tags/")) {
                out.push(name.to_string());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[async_trait]
impl SourceRepo for GitSourceRepo {
    async fn resolve(&self, rev: &str) -> Result<CommitId> {
        let rev = rev.to_string();
        run(self.repo.clone(), move |s| resolve_rev(s, &rev)).await
    }

    async fn read_tree(&self, commit: &CommitId, dirs: &[String]) -> Result<FileTree> {
        let (id, dirs) = (commit.clone(), dirs.to_vec());
        run(self.repo.clone(), move |s| {
            let c = s.commit(&id)?;
            let tree = c
                .tree()
                .map_err(|e| s.err(&format!("reading the tree of commit {id}"), &e))?;
            tree::read_files(&s.repo, &s.name, &tree, &dirs, &format!("commit {id}"))
        })
        .await
    }

    async fn set_status(&self, commit: &CommitId, status: CommitStatus) -> Result<()> {
        let id = commit.clone();
        run(self.repo.clone(), move |s| set_status(s, &id, &status)).await
    }

    async fn statuses(&self, commit: &CommitId) -> Result<Vec<CommitStatus>> {
        let id = commit.clone();
        run(self.repo.clone(), move |s| {
            let commit = s.commit(&id)?.id();
            let name = status_ref(commit);
            s.refresh(&[&format!("+{name}:{name}")])?;
            Ok(read_statuses(s, commit)?.1)
        })
        .await
    }

    async fn on_branch(&self, commit: &CommitId, branch: &str) -> Result<bool> {
        let (id, branch) = (commit.clone(), branch.to_string());
        run(self.repo.clone(), move |s| on_branch(s, &id, &branch)).await
    }

    async fn tags_of(&self, commit: &CommitId) -> Result<Vec<String>> {
        let id = commit.clone();
        run(self.repo.clone(), move |s| tags_of(s, &id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_contexts_become_safe_distinct_file_names() {
        assert_eq!(
            status_file_name("wo/dev/berlin-1"),
            "wo%2Fdev%2Fberlin-1.json"
        );
        assert_eq!(status_file_name(".."), "%2E%2E.json");
        assert_ne!(status_file_name("a/b"), status_file_name("a%2Fb"));
        assert_ne!(status_file_name("a.b"), status_file_name("a_b"));
    }
}
