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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use git2::{ObjectType, OdbLookupFlags, Oid, Repository, Tree};
use wo_core::files::{FileTree, MAX_FILE_BYTES};
use wo_core::{Error, Location, Result};

use crate::session::{self, git_error};

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
    /// A file: its index in the list of files written.
    File(usize),
    Dir(BTreeMap<&'a str, Node<'a>>),
}

/// Below this many new objects a write makes loose objects; from it on, one pack.
const PACK_FROM: usize = 64;

/// Writes the tree holding `files` (paths relative to the tree root); `None` when empty.
///
/// The objects git lacks are written together: as loose objects when they are few, else as
/// one pack (indexed by libgit2), so a change of thousands of files costs one pack and its
/// index instead of a file per object. The ids are computed first, and a directory whose tree
/// the repository has already is not written again, nor anything under it.
///
/// # Errors
/// [`Error::Invalid`] when a path is both a file and a directory; [`Error::Backend`] when
/// libgit2 cannot write or index the objects.
pub(crate) fn write_files<'a>(
    repo: &Repository,
    name: &str,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Option<Oid>> {
    let files: Vec<(&str, &[u8])> = files.into_iter().collect();
    let mut root: BTreeMap<&str, Node<'_>> = BTreeMap::new();
    for (i, (path, _)) in files.iter().enumerate() {
        let segments: Vec<&str> = path.split('/').collect();
        let (last, dirs) = segments.split_last().unwrap_or((&"", &[]));
        let clash = || {
            Error::invalid(
                Location::file(*path),
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
        if level.insert(last, Node::File(i)).is_some() {
            return Err(clash());
        }
    }
    if root.is_empty() {
        return Ok(None);
    }
    let err = |e: git2::Error| git_error(name, "writing a tree", &e);
    let blob_ids = wo_core::parallel::map_batched(&files, 16, |(_, content)| {
        Oid::hash_object(ObjectType::Blob, content)
    })
    .into_iter()
    .collect::<std::result::Result<Vec<Oid>, _>>()
    .map_err(err)?;
    let odb = repo.odb().map_err(err)?;
    // The look-ups below do not rescan `objects/pack/` on a miss (most objects are new, and a
    // rescan per miss is a directory read each): rescan once here, for the packs written since
    // the repository was opened.
    odb.refresh().map_err(err)?;
    let mut new = Vec::new();
    let id = hash_dir(&root, &blob_ids, &odb, &mut new).map_err(err)?;
    let mut seen = HashSet::new();
    let new: Vec<Object<'_>> = new
        .into_iter()
        .filter_map(|o| match o {
            Pending::Blob(i) => Some(Object {
                id: blob_ids[i],
                kind: ObjectType::Blob,
                data: Cow::Borrowed(files[i].1),
            })
            .filter(|o| !odb.exists_ext(o.id, OdbLookupFlags::NO_REFRESH)),
            Pending::Tree(id, bytes) => Some(Object {
                id,
                kind: ObjectType::Tree,
                data: Cow::Owned(bytes),
            }),
        })
        .filter(|o| seen.insert(o.id))
        .collect();
    write_objects(&odb, name, &new)?;
    Ok(Some(id))
}

/// An object to write, in the order the walk met it.
enum Pending {
    /// The file of that index.
    Blob(usize),
    /// A tree the repository lacks: its id and content.
    Tree(Oid, Vec<u8>),
}

/// A git object: its id, kind and content.
struct Object<'a> {
    id: Oid,
    kind: ObjectType,
    data: Cow<'a, [u8]>,
}

/// The id of the tree of `level`; what the repository lacks of it goes to `new`. A tree the
/// repository has already takes nothing under it along (its objects are there).
fn hash_dir(
    level: &BTreeMap<&str, Node<'_>>,
    blob_ids: &[Oid],
    odb: &git2::Odb<'_>,
    new: &mut Vec<Pending>,
) -> std::result::Result<Oid, git2::Error> {
    let mark = new.len();
    let mut entries: Vec<(&str, bool, Oid)> = Vec::with_capacity(level.len());
    for (entry, node) in level {
        match node {
            Node::File(i) => {
                entries.push((entry, false, blob_ids[*i]));
                new.push(Pending::Blob(*i));
            }
            Node::Dir(children) => {
                entries.push((entry, true, hash_dir(children, blob_ids, odb, new)?));
            }
        }
    }
    // Git orders a tree's entries by name, a directory's name read with a trailing `/`.
    entries.sort_by(|a, b| {
        let key = |(name, dir, _): &(&str, bool, Oid)| {
            name.bytes().chain(dir.then_some(b'/')).collect::<Vec<u8>>()
        };
        key(a).cmp(&key(b))
    });
    let mut bytes = Vec::with_capacity(entries.len() * 40);
    for (name, dir, id) in &entries {
        bytes.extend_from_slice(if *dir { b"40000 " } else { b"100644 " });
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(id.as_bytes());
    }
    let id = Oid::hash_object(ObjectType::Tree, &bytes)?;
    if odb.exists_ext(id, OdbLookupFlags::NO_REFRESH) {
        new.truncate(mark);
    } else {
        new.push(Pending::Tree(id, bytes));
    }
    Ok(id)
}

/// Writes `objects` into `odb`: loose when they are few, else as one pack that libgit2 indexes
/// and moves into `objects/pack/` (a pack is whole or absent: a write killed half-way leaves
/// nothing git reads).
fn write_objects(odb: &git2::Odb<'_>, name: &str, objects: &[Object<'_>]) -> Result<()> {
    let err = |e: git2::Error| git_error(name, "writing objects", &e);
    if objects.len() < PACK_FROM {
        for o in objects {
            odb.write(o.kind, &o.data).map_err(err)?;
        }
        return Ok(());
    }
    let entries = wo_core::parallel::map_batched(objects, 16, pack_entry);
    let count = u32::try_from(objects.len()).map_err(|_| {
        session::backend(
            name,
            &format!("{} objects in one pack", objects.len()),
            false,
        )
    })?;
    let mut pack = PackStream {
        out: odb.packwriter().map_err(err)?,
        sum: sha1_smol::Sha1::new(),
    };
    let io = |e: std::io::Error| session::backend(name, &format!("writing a pack: {e}"), false);
    pack.write(b"PACK").map_err(io)?;
    pack.write(&2u32.to_be_bytes()).map_err(io)?;
    pack.write(&count.to_be_bytes()).map_err(io)?;
    for entry in &entries {
        pack.write(entry).map_err(io)?;
    }
    let trailer = pack.sum.digest().bytes();
    pack.out.write_all(&trailer).map_err(io)?;
    pack.out.commit().map_err(err)?;
    Ok(())
}

/// The pack being written and the SHA-1 of what was written of it (the pack's trailer).
struct PackStream<'repo> {
    out: git2::OdbPackwriter<'repo>,
    sum: sha1_smol::Sha1,
}

impl PackStream<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sum.update(bytes);
        self.out.write_all(bytes)
    }
}

/// One object of a pack, whole (no delta): its type and size, then its zlib-deflated content.
fn pack_entry(o: &Object<'_>) -> Vec<u8> {
    let kind: u8 = match o.kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        _ => 3,
    };
    let mut size = o.data.len();
    let mut out = Vec::with_capacity(o.data.len() / 3 + 16);
    let mut byte = (kind << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
    // Fast compression: the pack is written once per change and read by git, which does not
    // care; the object ids do not depend on it.
    let mut z = ZlibEncoder::new(out, Compression::fast());
    let _ = z.write_all(&o.data);
    z.finish().unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree of `files` as libgit2's tree builder writes it, one loose object at a time.
    fn reference(repo: &Repository, files: &FileTree) -> Oid {
        fn level(repo: &Repository, files: &FileTree, dir: &str) -> Oid {
            let mut b = repo.treebuilder(None).unwrap();
            let mut subdirs = std::collections::BTreeSet::new();
            for (path, content) in files.iter() {
                let Some(rest) = path.strip_prefix(dir) else {
                    continue;
                };
                match rest.split_once('/') {
                    Some((sub, _)) => {
                        subdirs.insert(sub.to_string());
                    }
                    None => {
                        b.insert(rest, repo.blob(content).unwrap(), MODE_BLOB)
                            .unwrap();
                    }
                }
            }
            for sub in subdirs {
                let id = level(repo, files, &format!("{dir}{sub}/"));
                b.insert(&sub, id, MODE_TREE).unwrap();
            }
            b.write().unwrap()
        }
        level(repo, files, "")
    }

    fn packs(repo: &Repository) -> usize {
        std::fs::read_dir(repo.path().join("objects/pack"))
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".pack"))
                })
                .count()
            })
            .unwrap_or(0)
    }

    fn fleet(targets: usize, version: &str) -> FileTree {
        let mut files = FileTree::new();
        for t in 0..targets {
            // Names that sort differently with and without git's trailing `/` on directories.
            files
                .insert(
                    format!("shop/t{t}/values.yaml"),
                    format!("replicas: {}\n", t % 3),
                )
                .unwrap();
            files
                .insert(
                    format!("shop/t{t}/manifests.yaml"),
                    format!("image: {version}-{t}\n"),
                )
                .unwrap();
            files
                .insert(format!("shop/t{t}.yaml"), format!("t: {t}\n"))
                .unwrap();
        }
        files.insert("shop/release.yaml", version).unwrap();
        files
    }

    #[test]
    fn a_large_write_is_one_pack_with_the_ids_git_gives() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let files = fleet(200, "1.0");
        let id = write_tree(&repo, &files).unwrap().unwrap();
        assert_eq!(packs(&repo), 1);
        let tree = repo.find_tree(id).unwrap();
        assert_eq!(read_tree(&repo, &tree).unwrap(), files);

        let other = tempfile::tempdir().unwrap();
        let loose = Repository::init_bare(other.path()).unwrap();
        assert_eq!(reference(&loose, &files), id);

        // The same files again: nothing to write.
        assert_eq!(write_tree(&repo, &files).unwrap(), Some(id));
        assert_eq!(packs(&repo), 1);
    }

    #[test]
    fn a_change_writes_only_what_the_repository_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        write_tree(&repo, &fleet(200, "1.0")).unwrap();
        let mut files = fleet(200, "1.0");
        files
            .insert("shop/t7/manifests.yaml", "image: 2.0\n")
            .unwrap();
        let id = write_tree(&repo, &files).unwrap().unwrap();
        // A blob, the trees t7/ and shop/, the root: loose, no second pack.
        assert_eq!(packs(&repo), 1);
        assert_eq!(
            read_tree(&repo, &repo.find_tree(id).unwrap()).unwrap(),
            files
        );

        let changed = fleet(200, "2.0");
        let id = write_tree(&repo, &changed).unwrap().unwrap();
        assert_eq!(packs(&repo), 2);
        assert_eq!(
            read_tree(&repo, &repo.find_tree(id).unwrap()).unwrap(),
            changed
        );
        let pack_dir = repo.path().join("objects/pack");
        let newest = std::fs::read_dir(&pack_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".idx"))
            .map(|e| e.path())
            .collect::<Vec<_>>();
        // The second pack holds the 200 new manifests, 200 target trees, shop/, the root and
        // the new release.yaml; nothing the first one holds.
        let counts: Vec<u64> = newest
            .iter()
            .map(|idx| {
                let bytes = std::fs::read(idx).unwrap();
                // idx v2: magic, version, 256-entry fan-out; its last entry is the count.
                let at = 8 + 255 * 4;
                u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()).into()
            })
            .collect();
        assert!(counts.contains(&(200 + 200 + 3)), "{counts:?}");
    }

    #[test]
    fn a_path_both_file_and_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let e = write_files(
            &repo,
            "r",
            [("a/b", b"1".as_slice()), ("a/b/c", b"2".as_slice())],
        )
        .unwrap_err();
        assert!(e.to_string().contains("both a file and a directory"), "{e}");
    }
}
