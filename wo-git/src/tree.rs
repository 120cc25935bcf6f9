//! Git trees to [`FileTree`]s and back, as wo reads and writes them: [`read_tree`] and
//! [`write_tree`] for anyone holding a [`git2::Repository`] (the fake GitHub of the tests reads
//! and writes its repositories with them).
//!
//! ```
//! use wo_core::files::FileTree;
//!
//! # fn main() -> wo_core::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let repo = git2::Repository::init_bare(dir.path()).unwrap();
//! let mut files = FileTree::new();
//! files.insert("chart/Chart.yaml", "name: shop\n")?;
//! let id = wo_git::tree::write_tree(&repo, &files)?.expect("not empty");
//! let tree = repo.find_tree(id).unwrap();
//! assert_eq!(wo_git::tree::read_tree(&repo, &tree)?, files);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use git2::{ObjectType, Oid, Repository, Tree};
use wo_core::files::{FileTree, MAX_FILE_BYTES};
use wo_core::{Error, Location, Result};

use crate::session::git_error;

const MODE_TREE: i32 = 0o040000;
const MODE_BLOB: i32 = 0o100644;
const MODE_BLOB_EXEC: i32 = 0o100755;
const MODE_LINK: i32 = 0o120000;
const MODE_COMMIT: i32 = 0o160000;

/// Every file of `tree`, by path relative to its root: what wo reads from a commit.
/// Directories are walked; regular and executable files become entries (the mode is not kept).
/// The repository's path names it in messages.
///
/// # Errors
/// [`Error::Invalid`] naming the path for a symbolic link, a submodule, a file over
/// [`MAX_FILE_BYTES`], or a name that is not a safe UTF-8 path; [`Error::Backend`] when libgit2
/// cannot read an object.
pub fn read_tree(repo: &Repository, tree: &Tree<'_>) -> Result<FileTree> {
    let name = repo.path().display().to_string();
    read_files(repo, &name, tree, &[], &format!("tree {}", tree.id()))
}

/// Writes the tree holding `files` (regular files, mode `100644`; directories made from the
/// paths) into `repo`'s object database and returns its id; `None` when `files` is empty (git
/// has no use for an empty tree here). The same files always give the same id.
///
/// # Errors
/// [`Error::Backend`] when libgit2 cannot write an object.
pub fn write_tree(repo: &Repository, files: &FileTree) -> Result<Option<Oid>> {
    let name = repo.path().display().to_string();
    write_files(repo, &name, files.iter())
}

/// The files of `tree` under each of `dirs` (whole directories; every file when `dirs` is
/// empty), paths relative to the root of `tree`. `name` names the repository and `at` the
/// commit (`commit <id>`) in messages.
///
/// # Errors
/// [`Error::Invalid`] naming the path for a symbolic link, a submodule, a file over
/// [`MAX_FILE_BYTES`], or a name that is not a safe UTF-8 path.
pub(crate) fn read_files(
    repo: &Repository,
    name: &str,
    tree: &Tree<'_>,
    dirs: &[String],
    at: &str,
) -> Result<FileTree> {
    let mut out = FileTree::new();
    if dirs.is_empty() {
        walk(repo, name, tree, "", at, &mut out)?;
        return Ok(out);
    }
    for dir in dirs {
        let dir = dir.trim_end_matches('/');
        wo_core::files::check_relative_path(dir)
            .map_err(|m| Error::invalid(Location::file(dir), m))?;
        let entry = match tree.get_path(std::path::Path::new(dir)) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => continue,
            Err(e) => return Err(git_error(name, &format!("looking up `{dir}` in {at}"), &e)),
        };
        if entry.filemode() != MODE_TREE {
            continue; // a file is not a directory: nothing under it
        }
        let sub = repo
            .find_tree(entry.id())
            .map_err(|e| git_error(name, &format!("reading `{dir}/` of {at}"), &e))?;
        walk(repo, name, &sub, dir, at, &mut out)?;
    }
    Ok(out)
}

fn walk(
    repo: &Repository,
    repo_name: &str,
    tree: &Tree<'_>,
    prefix: &str,
    at: &str,
    out: &mut FileTree,
) -> Result<()> {
    for entry in tree.iter() {
        let name = std::str::from_utf8(entry.name_bytes()).map_err(|_| {
            Error::invalid(
                Location::file(format!(
                    "{prefix}/{}",
                    String::from_utf8_lossy(entry.name_bytes())
                )),
                format!("{at} of `{repo_name}`: file name is not UTF-8"),
            )
        })?;
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        let refuse = |what: &str| {
            Error::invalid(
                Location::file(path.clone()),
                format!("{at} of `{repo_name}`: {what}"),
            )
        };
        match entry.filemode() {
            MODE_TREE => {
                let sub = repo
                    .find_tree(entry.id())
                    .map_err(|e| git_error(repo_name, &format!("reading `{path}/` of {at}"), &e))?;
                walk(repo, repo_name, &sub, &path, at, out)?;
            }
            MODE_BLOB | MODE_BLOB_EXEC => {
                let odb = repo
                    .odb()
                    .map_err(|e| git_error(repo_name, "opening the object database", &e))?;
                let (size, _) = odb
                    .read_header(entry.id())
                    .map_err(|e| git_error(repo_name, &format!("reading `{path}` of {at}"), &e))?;
                if size as u64 > MAX_FILE_BYTES {
                    return Err(refuse(&format!(
                        "file is {size} bytes; the limit is {MAX_FILE_BYTES}"
                    )));
                }
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(|e| git_error(repo_name, &format!("reading `{path}` of {at}"), &e))?;
                out.insert(path.clone(), blob.content())
                    .map_err(|_| refuse("not a safe relative path"))?;
            }
            MODE_LINK => {
                return Err(refuse(
                    "symbolic links are not followed; commit the file itself",
                ))
            }
            MODE_COMMIT => {
                return Err(refuse(
                    "submodules are not read; vendor the files into the repository",
                ))
            }
            other => return Err(refuse(&format!("unsupported tree entry mode {other:o}"))),
        }
    }
    Ok(())
}

enum Node<'a> {
    File(&'a [u8]),
    Dir(BTreeMap<&'a str, Node<'a>>),
}

/// Writes the tree holding `files` (paths relative to the tree root); `None` when empty.
///
/// # Errors
/// [`Error::Invalid`] when a path is both a file and a directory.
pub(crate) fn write_files<'a>(
    repo: &Repository,
    name: &str,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Option<Oid>> {
    let mut root: BTreeMap<&str, Node<'_>> = BTreeMap::new();
    for (path, content) in files {
        let segments: Vec<&str> = path.split('/').collect();
        let (last, dirs) = segments.split_last().unwrap_or((&"", &[]));
        let clash = || {
            Error::invalid(
                Location::file(path),
                "a path is both a file and a directory",
            )
        };
        let mut level = &mut root;
        for dir in dirs {
            let node = level
                .entry(dir)
                .or_insert_with(|| Node::Dir(BTreeMap::new()));
            level = match node {
                Node::Dir(children) => children,
                Node::File(_) => return Err(clash()),
            };
        }
        if level.insert(last, Node::File(content)).is_some() {
            return Err(clash());
        }
    }
    if root.is_empty() {
        return Ok(None);
    }
    write_level(repo, name, &root).map(Some)
}

fn write_level(repo: &Repository, name: &str, level: &BTreeMap<&str, Node<'_>>) -> Result<Oid> {
    let err = |e: git2::Error| git_error(name, "writing a tree", &e);
    let mut builder = repo.treebuilder(None).map_err(err)?;
    for (entry, node) in level {
        let (oid, mode) = match node {
            Node::File(content) => (repo.blob(content).map_err(err)?, MODE_BLOB),
            Node::Dir(children) => (write_level(repo, name, children)?, MODE_TREE),
        };
        builder.insert(entry, oid, mode).map_err(err)?;
    }
    builder.write().map_err(err)
}

/// `base` with its entry `dir` replaced by the tree `sub` (removed when `None`).
pub(crate) fn replace_dir(
    repo: &Repository,
    name: &str,
    base: Option<&Tree<'_>>,
    dir: &str,
    sub: Option<Oid>,
) -> Result<Oid> {
    let err = |e: git2::Error| git_error(name, "writing a tree", &e);
    let mut builder = repo.treebuilder(base).map_err(err)?;
    match sub {
        Some(oid) => {
            builder.insert(dir, oid, MODE_TREE).map_err(err)?;
        }
        None => {
            if builder.get(dir).map_err(err)?.is_some() {
                builder.remove(dir).map_err(err)?;
            }
        }
    }
    builder.write().map_err(err)
}

/// The id of the directory `dir` directly under `tree`, `None` when there is none.
pub(crate) fn dir_id(tree: &Tree<'_>, dir: &str) -> Option<Oid> {
    tree.get_name(dir)
        .filter(|e| e.kind() == Some(ObjectType::Tree))
        .map(|e| e.id())
}

/// The content of the blob `file` directly under `tree`.
pub(crate) fn file_bytes(repo: &Repository, tree: &Tree<'_>, file: &str) -> Option<Vec<u8>> {
    let entry = tree.get_name(file)?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(blob.content().to_vec())
}
