//! The demo's six repositories: bare git repositories in the demo directory, seeded from the
//! examples embedded in the binary, and a helper that commits a set of files to a branch (what
//! a developer's `git commit && git push` would do).

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use wo_core::files::FileTree;
use wo_core::{Error, Result};

/// `examples/` of the workspace, embedded so that `wo demo` needs nothing on disk. Read through
/// the symlink `wo-cli/demo-examples` (→ `../examples`), which `cargo package` follows: the
/// published crate carries the examples inside itself.
static EXAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/demo-examples");

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
    let tree_id = match wo::git::tree::write_tree(&r, files)? {
        Some(id) => id,
        None => r
            .treebuilder(None)
            .and_then(|b| b.write())
            .map_err(|e| git_err("writing the empty tree", e))?,
    };
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
    wo::git::tree::read_tree(&r, &tree)
}

/// The message of the head commit of `branch`.
pub fn head_message(repo: &Path, branch: &str) -> Result<String> {
    let r = git2::Repository::open_bare(repo)
        .map_err(|e| git_err(&format!("opening {}", repo.display()), e))?;
    let commit = r
        .find_reference(&format!("refs/heads/{branch}"))
        .and_then(|re| re.peel_to_commit())
        .map_err(|e| git_err(&format!("reading {branch} of {}", repo.display()), e))?;
    Ok(commit.message().unwrap_or_default().to_string())
}
