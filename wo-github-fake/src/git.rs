//! The git operations behind the API, on a real bare repository (libgit2).

use std::path::Path;

use git2::build::TreeUpdateBuilder;
use git2::{FileMode, ObjectType, Oid, Repository, Signature, Time};
use wo_core::files::FileTree;

/// A file change for a tree update: `None` deletes the path.
pub(crate) type FileEdit = (String, Option<Vec<u8>>);

/// A new bare repository at `path` whose `default_branch` holds one commit by `author` (a
/// `README.md` naming the repository).
pub(crate) fn init_bare(
    path: &Path,
    default_branch: &str,
    author: &str,
) -> Result<(Repository, Oid), git2::Error> {
    let repo = Repository::init_bare(path)?;
    repo.set_head(&format!("refs/heads/{default_branch}"))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let oid = {
        let mut files = FileTree::new();
        files
            .insert("README.md", format!("# {name}\n"))
            .map_err(|e| git2::Error::from_str(&e.to_string()))?;
        let tree = wo_git::tree::write_tree(&repo, &files)
            .map_err(|e| git2::Error::from_str(&e.to_string()))?
            .ok_or_else(|| git2::Error::from_str("empty initial tree"))?;
        let tree = repo.find_tree(tree)?;
        let sig = signature(author, None)?;
        repo.commit(
            Some(&format!("refs/heads/{default_branch}")),
            &sig,
            &sig,
            "Initial commit",
            &tree,
            &[],
        )?
    };
    Ok((repo, oid))
}

/// `login <login@users.noreply.github.com>` at `time` (seconds, offset minutes) or now.
pub(crate) fn signature(
    login: &str,
    time: Option<(i64, i32)>,
) -> Result<Signature<'static>, git2::Error> {
    let email = format!("{login}@users.noreply.github.com");
    person(login, &email, time)
}

pub(crate) fn person(
    name: &str,
    email: &str,
    time: Option<(i64, i32)>,
) -> Result<Signature<'static>, git2::Error> {
    match time {
        Some((secs, offset)) => Signature::new(name, email, &Time::new(secs, offset)),
        None => Signature::now(name, email),
    }
}

/// A commit named by a full or abbreviated sha, a branch, a tag, or a `heads/…`/`refs/…` name.
pub(crate) fn resolve_commit(repo: &Repository, name: &str) -> Option<Oid> {
    if name.is_empty() || name.starts_with('-') {
        return None;
    }
    let candidates = [
        format!("refs/heads/{name}"),
        format!("refs/tags/{name}"),
        format!("refs/{name}"),
        name.to_owned(),
    ];
    candidates.iter().find_map(|c| {
        let obj = repo.revparse_single(c).ok()?;
        obj.peel_to_commit().ok().map(|c| c.id())
    })
}

pub(crate) fn branch_sha(repo: &Repository, branch: &str) -> Option<Oid> {
    repo.refname_to_id(&format!("refs/heads/{branch}")).ok()
}

pub(crate) fn empty_tree(repo: &Repository) -> Result<Oid, git2::Error> {
    repo.treebuilder(None)?.write()
}

/// Applies edits (nested paths allowed) to `base` (or the empty tree) and writes the new tree.
/// Deleting a path that is not there is not an error.
pub(crate) fn update_tree(
    repo: &Repository,
    base: Option<Oid>,
    edits: &[(String, Option<(Oid, FileMode)>)],
) -> Result<Oid, git2::Error> {
    let base = match base {
        Some(oid) => repo.find_tree(oid)?,
        None => repo.find_tree(empty_tree(repo)?)?,
    };
    let mut builder = TreeUpdateBuilder::new();
    for (path, change) in edits {
        match change {
            Some((oid, mode)) => {
                builder.upsert(path.as_str(), *oid, *mode);
            }
            None => {
                if base.get_path(Path::new(path)).is_ok() {
                    builder.remove(path.as_str());
                }
            }
        }
    }
    builder.create_updated(repo, &base)
}

/// Commits `files` on top of `branch` as a user's push would (the branch is created from the
/// default branch when missing) and moves the branch.
pub(crate) fn push_files(
    repo: &Repository,
    branch: &str,
    from: &str,
    files: &[FileEdit],
    message: &str,
) -> Result<Oid, git2::Error> {
    let parent = branch_sha(repo, branch).or_else(|| branch_sha(repo, from));
    let parent = parent.map(|p| repo.find_commit(p)).transpose()?;
    let mut edits = Vec::new();
    for (path, content) in files {
        let change = match content {
            Some(bytes) => Some((repo.blob(bytes)?, FileMode::Blob)),
            None => None,
        };
        edits.push((path.clone(), change));
    }
    let tree = update_tree(repo, parent.as_ref().map(|p| p.tree_id()), &edits)?;
    let tree = repo.find_tree(tree)?;
    let sig = signature("wo-fake-pusher", None)?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo.commit(None, &sig, &sig, message, &tree, &parents)?;
    repo.reference(&format!("refs/heads/{branch}"), oid, true, "push")?;
    Ok(oid)
}

/// A changed file between two trees, as `diff-entry` reports it.
#[derive(Debug, Clone)]
pub(crate) struct FileChange {
    pub path: String,
    pub status: &'static str,
    pub sha: Option<String>,
    pub additions: usize,
    pub deletions: usize,
    pub patch: Option<String>,
}

pub(crate) fn diff_trees(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
) -> Result<Vec<FileChange>, git2::Error> {
    let old = old.map(|o| repo.find_tree(o)).transpose()?;
    let new = repo.find_tree(new)?;
    let diff = repo.diff_tree_to_tree(old.as_ref(), Some(&new), None)?;
    let mut changes = Vec::new();
    for idx in 0..diff.deltas().len() {
        let Some(delta) = diff.get_delta(idx) else {
            continue;
        };
        let status = match delta.status() {
            git2::Delta::Added => "added",
            git2::Delta::Deleted => "removed",
            git2::Delta::Renamed => "renamed",
            git2::Delta::Copied => "copied",
            git2::Delta::Typechange => "changed",
            _ => "modified",
        };
        let file = if status == "removed" {
            delta.old_file()
        } else {
            delta.new_file()
        };
        let path = file
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha = (status != "removed").then(|| delta.new_file().id().to_string());
        let (mut additions, mut deletions, mut patch) = (0, 0, None);
        if let Some(mut p) = git2::Patch::from_diff(&diff, idx)? {
            let (_, a, d) = p.line_stats()?;
            additions = a;
            deletions = d;
            let text = p.to_buf()?;
            let text = String::from_utf8_lossy(&text);
            // GitHub's `patch` holds the hunks only, without the diff header.
            patch = text.find("\n@@").map(|i| text[i + 1..].to_owned());
        }
        changes.push(FileChange {
            path,
            status,
            sha,
            additions,
            deletions,
            patch,
        });
    }
    Ok(changes)
}

/// Commits reachable from `head` and not from `base`, oldest first.
pub(crate) fn commits_between(
    repo: &Repository,
    base: Oid,
    head: Oid,
) -> Result<Vec<Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    walk.push(head)?;
    walk.hide(base)?;
    walk.collect()
}

/// Merges `theirs` into `ours` over `ancestor`; `None` when the trees conflict.
pub(crate) fn merge_trees(
    repo: &Repository,
    ancestor: Oid,
    ours: Oid,
    theirs: Oid,
) -> Result<Option<Oid>, git2::Error> {
    let (a, o, t) = (
        repo.find_tree(ancestor)?,
        repo.find_tree(ours)?,
        repo.find_tree(theirs)?,
    );
    let mut index = repo.merge_trees(&a, &o, &t, None)?;
    if index.has_conflicts() {
        return Ok(None);
    }
    index.write_tree_to(repo).map(Some)
}

/// The tree of the merge of `head` into `base`, or `None` when they conflict.
pub(crate) fn merged_tree(
    repo: &Repository,
    base: Oid,
    head: Oid,
) -> Result<Option<Oid>, git2::Error> {
    let ancestor = match repo.merge_base(base, head) {
        Ok(a) => repo.find_commit(a)?.tree_id(),
        Err(_) => empty_tree(repo)?,
    };
    let base_tree = repo.find_commit(base)?.tree_id();
    let head_tree = repo.find_commit(head)?.tree_id();
    merge_trees(repo, ancestor, base_tree, head_tree)
}

pub(crate) fn file_mode(mode: &str) -> Option<FileMode> {
    Some(match mode {
        "100644" => FileMode::Blob,
        "100755" => FileMode::BlobExecutable,
        "040000" => FileMode::Tree,
        "160000" => FileMode::Commit,
        "120000" => FileMode::Link,
        _ => return None,
    })
}

/// GitHub's six-digit mode string (`040000` for trees).
pub(crate) fn mode_string(mode: i32) -> String {
    format!("{mode:06o}")
}

pub(crate) fn kind_name(kind: Option<ObjectType>) -> &'static str {
    match kind {
        Some(ObjectType::Tree) => "tree",
        Some(ObjectType::Commit) => "commit",
        Some(ObjectType::Tag) => "tag",
        _ => "blob",
    }
}
