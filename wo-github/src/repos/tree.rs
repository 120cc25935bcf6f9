//! Reading the files of a commit without a clone: one commit, one recursive tree listing, one
//! request per distinct blob; writing changed files inside the tree requests; and git's blob
//! ids computed locally.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use wo_core::files::{FileTree, MAX_FILE_BYTES};
use wo_core::ports::CommitId;
use wo_core::{Error, Location, Result};

use crate::client::{GitCommit, GitHub, NewTreeEntry, RepoId, TreeEntry, BACKEND};

/// Blob downloads in flight at once for one read.
pub(crate) const BLOB_CONCURRENCY: usize = 8;

/// The largest JSON body wo sends in one `git/create-tree` request: 1 MiB.
///
/// GitHub documents no size limit for the request; a megabyte keeps each request short (it
/// is answered well inside GitHub's 10-second request timeout), under the 2 MB that common
/// HTTP servers and proxies accept by default, and still holds the files of hundreds of
/// targets, so a change to 5,000 targets is a handful of requests.
pub const MAX_TREE_REQUEST_BYTES: usize = 1 << 20;

/// Text files up to this size (512 KiB) are sent inside the tree request; larger ones, and
/// files that are not UTF-8, are written with `git/create-blob` (base64).
pub const MAX_INLINE_FILE_BYTES: usize = 512 << 10;

/// The id git gives `content` as a blob: `sha1("blob <len>\0" + content)`.
pub fn git_blob_sha(content: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    h.digest().to_string()
}

/// The commit `id` of `repo`; `NotFound` naming both when GitHub does not have it.
pub(crate) async fn commit(gh: &GitHub, repo: &RepoId, id: &str) -> Result<GitCommit> {
    gh.get_commit(repo, id).await.map_err(|e| match e {
        Error::NotFound { .. } => {
            Error::not_found(format!("commit {id} in GitHub repository {repo}"))
        }
        other => other,
    })
}

/// Every entry of a tree, full paths. One recursive listing; when GitHub truncates it, a walk
/// tree by tree (only into directories under `dirs`, all when empty).
pub(crate) async fn entries(
    gh: &GitHub,
    repo: &RepoId,
    tree: &str,
    dirs: &[String],
) -> Result<Vec<TreeEntry>> {
    let listing = gh.get_tree(repo, tree, true).await?;
    if !listing.truncated {
        return Ok(listing.tree);
    }
    let mut out = Vec::new();
    let mut todo = vec![(String::new(), tree.to_string())];
    while let Some((prefix, sha)) = todo.pop() {
        for mut e in gh.get_tree(repo, &sha, false).await?.tree {
            e.path = format!("{prefix}{}", e.path);
            if e.kind == "tree" && wanted_dir(&e.path, dirs) {
                todo.push((format!("{}/", e.path), e.sha.clone()));
            }
            out.push(e);
        }
    }
    Ok(out)
}

/// Whether a directory may hold files under one of `dirs`.
fn wanted_dir(path: &str, dirs: &[String]) -> bool {
    dirs.is_empty()
        || dirs.iter().any(|d| {
            d == path || path.starts_with(&format!("{d}/")) || d.starts_with(&format!("{path}/"))
        })
}

/// Whether a file path is under one of `dirs` (all when empty).
pub(crate) fn selected(path: &str, dirs: &[String]) -> bool {
    dirs.is_empty()
        || dirs.iter().any(|d| {
            path.len() > d.len() && path.starts_with(d.as_str()) && path.as_bytes()[d.len()] == b'/'
        })
}

/// The blobs under `dirs`, path → entry; symlinks, submodules and files over
/// [`MAX_FILE_BYTES`] are refused naming the path.
pub(crate) fn files_of(
    entries: &[TreeEntry],
    dirs: &[String],
    at: &str,
) -> Result<BTreeMap<String, TreeEntry>> {
    let mut out = BTreeMap::new();
    for e in entries {
        if e.kind == "tree" || !selected(&e.path, dirs) {
            continue;
        }
        let refuse = |m: String| Err(Error::invalid(Location::file(e.path.clone()), m));
        if e.kind == "commit" {
            return refuse(format!("is a submodule at {at}; wo reads files only"));
        }
        if e.mode == "120000" {
            return refuse(format!(
                "is a symbolic link at {at}; replace the link with the file"
            ));
        }
        if let Some(size) = e.size.filter(|s| *s > MAX_FILE_BYTES) {
            return refuse(format!(
                "is {size} bytes at {at}; the limit is {MAX_FILE_BYTES}"
            ));
        }
        out.insert(e.path.clone(), e.clone());
    }
    Ok(out)
}

/// The files under `dirs` (all when empty) of `commit`.
pub(crate) async fn read_files(
    gh: &GitHub,
    repo: &RepoId,
    id: &CommitId,
    dirs: &[String],
) -> Result<FileTree> {
    let c = commit(gh, repo, id.as_str()).await?;
    let all = entries(gh, repo, &c.tree.sha, dirs).await?;
    let at = format!("commit {id} of {repo}");
    let files = files_of(&all, dirs, &at)?;
    let mut shas: Vec<String> = files.values().map(|e| e.sha.clone()).collect();
    shas.sort_unstable();
    shas.dedup();
    let blobs: HashMap<String, Vec<u8>> = futures::stream::iter(shas)
        .map(|sha| {
            let (gh, repo) = (gh.clone(), repo.clone());
            async move { gh.get_blob(&repo, &sha).await.map(|b| (sha, b)) }
        })
        .buffer_unordered(BLOB_CONCURRENCY)
        .try_collect()
        .await?;
    let mut tree = FileTree::new();
    for (path, e) in files {
        let bytes = blobs.get(&e.sha).cloned().unwrap_or_default();
        tree.insert(path, bytes)?;
    }
    Ok(tree)
}

/// The file at `path` of `commit`, `None` when there is none: the commit, one listing per
/// directory on the way, the blob. Refused as `read_files` would (links, submodules, size).
pub(crate) async fn read_file(
    gh: &GitHub,
    repo: &RepoId,
    id: &CommitId,
    path: &str,
) -> Result<Option<Vec<u8>>> {
    wo_core::files::check_relative_path(path)
        .map_err(|m| Error::invalid(Location::file(path), m))?;
    let c = commit(gh, repo, id.as_str()).await?;
    let mut tree = c.tree.sha;
    let mut segments = path.split('/').peekable();
    let mut prefix = String::new();
    while let Some(seg) = segments.next() {
        let listing = gh.get_tree(repo, &tree, false).await?;
        let Some(mut entry) = listing.tree.into_iter().find(|e| e.path == seg) else {
            return Ok(None);
        };
        entry.path = format!("{prefix}{seg}");
        if segments.peek().is_some() {
            if entry.kind != "tree" {
                return Ok(None);
            }
            prefix = format!("{}/", entry.path);
            tree = entry.sha;
            continue;
        }
        if entry.kind == "tree" {
            return Ok(None);
        }
        let at = format!("commit {id} of {repo}");
        let files = files_of(std::slice::from_ref(&entry), &[], &at)?;
        return match files.get(path) {
            Some(e) => gh.get_blob(repo, &e.sha).await.map(Some),
            None => Ok(None),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            git_blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            git_blob_sha(b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }

    #[test]
    fn dirs_select_whole_directories() {
        let dirs = vec!["wo".to_string()];
        assert!(selected("wo/app.yaml", &dirs));
        assert!(!selected("wo-notes/readme.md", &dirs));
        assert!(!selected("wo", &dirs));
        assert!(selected("anything", &[]));
        assert!(wanted_dir("wo", &dirs) && wanted_dir("wo/x", &dirs));
        assert!(!wanted_dir("wo-notes", &dirs));
        assert!(wanted_dir("a", &["a/b".to_string()]));
    }
}

/// What a change does to a tree: files written (path, bytes, blob id as [`git_blob_sha`]
/// computes it) and paths deleted.
pub(crate) struct Changes<'a> {
    pub files: Vec<(&'a str, &'a [u8], &'a str)>,
    pub deleted: Vec<&'a str>,
}

/// The JSON of a `git/create-tree` body around its entries (`{"tree":[…],"base_tree":"<sha>"}`).
const TREE_BODY_OVERHEAD: usize = 80;

/// Writes `changes` on top of `base` (none: the empty tree) and returns the new tree's id.
///
/// Files whose blob is in `known` are entries by id; new text files carry their `content`, so
/// GitHub writes their blobs with the tree; other files (not UTF-8, over
/// [`MAX_INLINE_FILE_BYTES`], or alone over `limit`) are written with `git/create-blob` first.
/// The entries go out in `git/create-tree` requests of at most `limit` bytes of JSON, each on
/// top of the tree the one before made; blobs a request wrote join `known`. Every request is
/// content-addressed: a rerun writes the same objects again, and a tree no commit names is
/// left for GitHub's garbage collection.
pub(crate) async fn write(
    gh: &GitHub,
    repo: &RepoId,
    mut base: Option<String>,
    changes: &Changes<'_>,
    known: &mut HashSet<String>,
    limit: usize,
) -> Result<String> {
    let mut batch = Batch::default();
    let mut written = None;
    for &(path, bytes, sha) in &changes.files {
        let mut entry = match std::str::from_utf8(bytes) {
            _ if known.contains(sha) => NewTreeEntry::file(path, sha),
            Ok(text) if bytes.len() <= MAX_INLINE_FILE_BYTES => NewTreeEntry::text(path, text),
            _ => NewTreeEntry::file(path, sha),
        };
        let mut size = entry_size(&entry);
        if entry.content.is_some() && size + TREE_BODY_OVERHEAD > limit {
            entry = NewTreeEntry::file(path, sha);
            size = entry_size(&entry);
        }
        if entry.sha.is_some() && known.insert(sha.to_string()) {
            let created = gh.create_blob(repo, bytes).await?;
            if created != sha {
                return Err(Error::backend(
                    BACKEND,
                    format!("{repo}: GitHub stored {path} as blob {created}, git computes {sha}"),
                ));
            }
        }
        if batch.is_full(size, limit) {
            let tree = batch.send(gh, repo, base.take(), known).await?;
            base = Some(tree.clone());
            written = Some(tree);
        }
        batch.push(entry, size, sha);
    }
    for &path in &changes.deleted {
        let entry = NewTreeEntry::delete(path);
        let size = entry_size(&entry);
        if batch.is_full(size, limit) {
            let tree = batch.send(gh, repo, base.take(), known).await?;
            base = Some(tree.clone());
            written = Some(tree);
        }
        batch.push(entry, size, "");
    }
    if !batch.entries.is_empty() || written.is_none() {
        written = Some(batch.send(gh, repo, base, known).await?);
    }
    Ok(written.unwrap_or_default())
}

fn entry_size(entry: &NewTreeEntry) -> usize {
    serde_json::to_vec(entry).map_or(0, |v| v.len()) + 1
}

/// The entries of one `git/create-tree` request.
#[derive(Default)]
struct Batch {
    entries: Vec<NewTreeEntry>,
    bytes: usize,
    /// Blob ids the request writes from `content`.
    inline: Vec<String>,
}

impl Batch {
    fn is_full(&self, next: usize, limit: usize) -> bool {
        !self.entries.is_empty() && TREE_BODY_OVERHEAD + self.bytes + next > limit
    }

    fn push(&mut self, entry: NewTreeEntry, size: usize, sha: &str) {
        if entry.content.is_some() {
            self.inline.push(sha.to_string());
        }
        self.entries.push(entry);
        self.bytes += size;
    }

    async fn send(
        &mut self,
        gh: &GitHub,
        repo: &RepoId,
        base: Option<String>,
        known: &mut HashSet<String>,
    ) -> Result<String> {
        let entries = std::mem::take(&mut self.entries);
        let tree = gh.create_tree(repo, base.as_deref(), &entries).await?;
        known.extend(self.inline.drain(..));
        self.bytes = 0;
        Ok(tree.sha)
    }
}
