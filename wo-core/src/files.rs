//! Sets of files as the engine and the ports see them: relative, `/`-separated, safe paths
//! mapped to bytes, in sorted order.
//!
//! A [`FileTree`] is what a backend reads at a commit (a bundle of the source repo, an
//! environment of a config repo) and what a change writes. [`FileTree::load_dir`] reads a local
//! checkout, skipping `.git`, with bounds on file count and size.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Location, Result};

/// Largest single file read into a tree (bytes).
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// Most files read from one directory.
pub const MAX_FILES: usize = 200_000;

/// Checks that `path` is a safe relative path: non-empty `/`-separated segments, none of them
/// `.`, `..` or empty, no backslash, no NUL, not absolute.
pub fn check_relative_path(path: &str) -> std::result::Result<(), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    if path.starts_with('/') {
        return Err(format!("`{path}` is absolute; paths must be relative"));
    }
    if path.contains('\\') || path.contains('\0') {
        return Err(format!("`{path}` contains a backslash or NUL"));
    }
    for seg in path.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(format!("`{path}` has an empty, `.` or `..` segment"));
        }
    }
    Ok(())
}

/// Checks a name used as one path segment (a target, solution, environment, level or node name):
/// 1–63 characters of ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let ok_len = !name.is_empty() && name.len() <= 63;
    let ok_first = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok_len && ok_first && ok_chars && !name.contains("..") {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid name: use 1-63 letters, digits, `-`, `_` or `.`, starting with a letter or digit",
            name.escape_debug()
        ))
    }
}

/// Relative paths mapped to file contents, sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl FileTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a file. Fails on an unsafe path.
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Result<()> {
        let path = path.into();
        check_relative_path(&path).map_err(|m| Error::invalid(Location::file(path.clone()), m))?;
        self.files.insert(path, content.into());
        Ok(())
    }

    /// The content of a file.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// The content of a file as UTF-8 text; `Ok(None)` when absent, an error naming the file when
    /// it is not UTF-8.
    pub fn text(&self, path: &str) -> Result<Option<&str>> {
        match self.files.get(path) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|e| Error::invalid(Location::file(path), format!("not UTF-8 text: {e}"))),
        }
    }

    /// Whether the tree holds `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Removes a file, returning its content.
    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        self.files.remove(path)
    }

    /// All files, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, c)| (p.as_str(), c.as_slice()))
    }

    /// Paths of files directly or indirectly under `dir` (no trailing slash), sorted.
    pub fn paths_under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = format!("{dir}/");
        self.files
            .range(prefix.clone()..)
            .take_while(move |(p, _)| p.starts_with(&prefix))
            .map(|(p, _)| p.as_str())
    }

    /// The files under `dir`, re-rooted at `dir`.
    pub fn subtree(&self, dir: &str) -> FileTree {
        let strip = dir.len() + 1;
        let files = self
            .paths_under(dir)
            .map(|p| (p[strip..].to_string(), self.files[p].clone()))
            .collect();
        FileTree { files }
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Reads a local directory (a checkout), skipping `.git`; symbolic links are refused, files over
    /// [`MAX_FILE_BYTES`] are errors naming the file.
    pub fn load_dir(dir: &Path) -> Result<FileTree> {
        let mut tree = FileTree::new();
        let meta = std::fs::metadata(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(Error::invalid(
                Location::file(dir.display().to_string()),
                "not a directory",
            ));
        }
        let mut stack = vec![(dir.to_path_buf(), String::new())];
        while let Some((abs, rel)) = stack.pop() {
            let entries = std::fs::read_dir(&abs).map_err(|source| Error::Io {
                path: abs.display().to_string(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| Error::Io {
                    path: abs.display().to_string(),
                    source,
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel_path = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let ft = entry.file_type().map_err(|source| Error::Io {
                    path: rel_path.clone(),
                    source,
                })?;
                if ft.is_dir() {
                    if name != ".git" {
                        stack.push((entry.path(), rel_path));
                    }
                } else if ft.is_file() {
                    let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                    if len > MAX_FILE_BYTES {
                        return Err(Error::invalid(
                            Location::file(rel_path),
                            format!("file is {len} bytes; the limit is {MAX_FILE_BYTES}"),
                        ));
                    }
                    let bytes = std::fs::read(entry.path()).map_err(|source| Error::Io {
                        path: rel_path.clone(),
                        source,
                    })?;
                    tree.insert(rel_path, bytes)?;
                    if tree.len() > MAX_FILES {
                        return Err(Error::invalid(
                            Location::file(dir.display().to_string()),
                            format!("more than {MAX_FILES} files"),
                        ));
                    }
                } else if ft.is_symlink() {
                    return Err(Error::invalid(
                        Location::file(rel_path),
                        "symbolic links are not followed; replace the link with the file",
                    ));
                }
            }
        }
        Ok(tree)
    }
}

impl FromIterator<(String, Vec<u8>)> for FileTree {
    /// Collects files; unsafe paths are dropped silently only in this infallible form, so prefer
    /// [`FileTree::insert`] for untrusted paths.
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Self {
        let files = iter
            .into_iter()
            .filter(|(p, _)| check_relative_path(p).is_ok())
            .collect();
        FileTree { files }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "a\\b", "./a"] {
            assert!(check_relative_path(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_relative_path("a/b.yaml").is_ok());
    }

    #[test]
    fn names_are_single_safe_segments() {
        for bad in ["", "../x", "a/b", ".hidden", "a..b", "x y", &"a".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["berlin-1", "eu_west", "v1.2"] {
            assert!(check_name(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn subtree_reroots() {
        let mut t = FileTree::new();
        t.insert("a/b/c.yaml", "x").unwrap();
        t.insert("a/d.yaml", "y").unwrap();
        t.insert("ab.yaml", "z").unwrap();
        let s = t.subtree("a");
        assert_eq!(
            s.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            vec!["b/c.yaml", "d.yaml"]
        );
    }
}
