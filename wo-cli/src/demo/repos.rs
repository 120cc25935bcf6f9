//! The demo's six repositories: bare git repositories in the demo directory, seeded from the
//! examples embedded in the binary, and a helper that commits a set of files to a branch (what
//! a developer's `git commit && git push` would do).

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use wo_core::files::FileTree;
use wo_core::{Error, Result};

/// `examples/` of the workspace, embedded so that `wo demo` needs nothing on disk.
static EXAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../examples");

/// The files under `examples/<dir>`, re-rooted.
pub fn example(dir: &str) -> Result<FileTree> {
    let root = EXAMPLES
        .get_dir(dir)
        .ok_or_else(|| Error::not_found(format!("embedded example `{dir}`")))?;
    let mut tree = FileTree::new();
    collect(root, dir, &mut tree)?;
    Ok(tree)
}

fn collect(d: &Dir<'_>, strip: &str, tree: &mut FileTree) -> Result<()> {
    for f in d.files() {
        let path = f.path().to_string_lossy().replace('\\', "/");
        let rel = path
            .strip_prefix(&format!("{strip}/"))
            .unwrap_or(&path)
            .to_string();
        tree.insert(rel, f.contents().to_vec())?;
    }
    for sub in d.dirs() {
        collect(sub, strip, tree)?;
    }
    Ok(())
}

fn git_err(what: &str, e: git2::Error) -> Error {
    Error::backend("git", format!("{what}: {}", e.message()))
}

/// Creates an empty bare repository at `dir/<name>.git`.
pub fn create(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(format!("{name}.git"));
    git2::Repository::init_bare(&path)
        .map_err(|e| git_err(&format!("creating {}", path.display()), e))?;
    Ok(path)
}

/// Commits `files` as the complete content of `branch` (replacing what was there) with
/// `message`, on top of the branch's head; returns the new commit id.
pub fn commit(repo: &Path, branch: &str, files: &FileTree, message: &str) -> Result<String> {
    let r = git2::Repository::open_bare(repo)
        .map_err(|e| git_err(&format!("opening {}", repo.display()), e))?;
    let tree_id = write_tree(&r, files)?;
    let tree = r
        .find_tree(tree_id)
        .map_err(|e| git_err("reading tree", e))?;
    let refname = format!("refs/heads/{branch}");
    let parent = r
        .find_reference(&refname)
        .ok()
        .and_then(|re| re.peel_to_commit().ok());
    let sig = git2::Signature::now("Demo Developer", "dev@example.com")
        .map_err(|e| git_err("signature", e))?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let id = r
        .commit(Some(&refname), &sig, &sig, message, &tree, &parents)
        .map_err(|e| git_err(&format!("committing to {branch} of {}", repo.display()), e))?;
    Ok(id.to_string())
}

/// Reads the complete content of `branch`.
pub fn read(repo: &Path, branch: &str) -> Result<FileTree> {
    let r = git2::Repository::open_bare(repo)
        .map_err(|e| git_err(&format!("opening {}", repo.display()), e))?;
    let commit = r
        .find_reference(&format!("refs/heads/{branch}"))
        .and_then(|re| re.peel_to_commit())
        .map_err(|e| git_err(&format!("reading {branch} of {}", repo.display()), e))?;
    let tree = commit.tree().map_err(|e| git_err("reading tree", e))?;
    let mut out = FileTree::new();
    let mut failed = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            let path = format!("{root}{}", entry.name().unwrap_or_default());
            match r.find_blob(entry.id()) {
                Ok(b) => {
                    if let Err(e) = out.insert(path, b.content().to_vec()) {
                        failed = Some(e);
                        return git2::TreeWalkResult::Abort;
                    }
                }
                Err(e) => {
                    failed = Some(git_err("reading blob", e));
                    return git2::TreeWalkResult::Abort;
                }
            }
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| git_err("walking tree", e))?;
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Builds nested trees from a flat file list.
fn write_tree(r: &git2::Repository, files: &FileTree) -> Result<git2::Oid> {
    #[derive(Default)]
    struct Node {
        files: Vec<(String, git2::Oid)>,
        dirs: std::collections::BTreeMap<String, Node>,
    }
    let mut root = Node::default();
    for (path, content) in files.iter() {
        let oid = r.blob(content).map_err(|e| git_err("writing blob", e))?;
        let mut node = &mut root;
        let mut segs: Vec<&str> = path.split('/').collect();
        let name = segs.pop().unwrap_or_default().to_string();
        for s in segs {
            node = node.dirs.entry(s.to_string()).or_default();
        }
        node.files.push((name, oid));
    }
    fn build(r: &git2::Repository, n: &Node) -> Result<git2::Oid> {
        let mut b = r
            .treebuilder(None)
            .map_err(|e| git_err("tree builder", e))?;
        for (name, oid) in &n.files {
            b.insert(name, *oid, 0o100644)
                .map_err(|e| git_err("tree entry", e))?;
        }
        for (name, sub) in &n.dirs {
            let oid = build(r, sub)?;
            b.insert(name, oid, 0o040000)
                .map_err(|e| git_err("tree entry", e))?;
        }
        b.write().map_err(|e| git_err("writing tree", e))
    }
    build(r, &root)
}
