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
/// Most bytes read from one directory, all files together (1 GiB).
pub const MAX_TREE_BYTES: u64 = 1 << 30;

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
/// 1–63 characters of ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit,
/// not ending with `.`, and not a name Windows reserves for devices (`con`, `prn`, `aux`,
/// `nul`, `com0`–`com9`, `lpt0`–`lpt9`, in any case, alone or before a `.`), so that every
/// name is a file name on every system a checkout may land on.
///
/// Names are compared without regard to case wherever they must be unique (see
/// [`name_key`]): Workload Orchestration's ids are case-insensitive, and so are the file
/// systems of macOS and Windows.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let ok_len = !name.is_empty() && name.len() <= 63;
    let ok_first = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !(ok_len && ok_first && ok_chars && !name.contains("..")) {
        return Err(format!(
            "`{}` is not a valid name: use 1-63 letters, digits, `-`, `_` or `.`, starting with a letter or digit",
            name.escape_debug()
        ));
    }
    if name.ends_with('.') {
        return Err(format!(
            "`{name}` is not a valid name: it ends with `.`, which Windows drops from file names"
        ));
    }
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    let reserved = matches!(stem.as_str(), "con" | "prn" | "aux" | "nul")
        || ((stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        return Err(format!(
            "`{name}` is not a valid name: `{stem}` is a device name Windows reserves, so no file or directory can be called that there"
        ));
    }
    Ok(())
}

/// The form in which two names are the same name: ASCII lowercase (names are ASCII, see
/// [`check_name`]). `dev-eu-1` and `DEV-EU-1` have the same key.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// 1-based line and column (in characters) of byte offset `at` of mostly-text `bytes`.
fn line_column(bytes: &[u8], at: usize) -> (u32, u32) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
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
        self.text_as(path, path)
    }

    /// As [`FileTree::text`], naming the file `shown` in the error (the path as the user knows
    /// it: with the directory or repository the tree was read from).
    pub fn text_as(&self, path: &str, shown: &str) -> Result<Option<&str>> {
        match self.files.get(path) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes).map(Some).map_err(|e| {
                let (line, column) = line_column(bytes, e.valid_up_to());
                Error::invalid(
                    Location::file(shown).at(line, column),
                    format!("not UTF-8 text: {e}"),
                )
            }),
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

    /// Reads a local directory (a checkout), skipping `.git`.
    ///
    /// Only regular files are read. Symbolic links, FIFOs, sockets and devices are refused
    /// (a FIFO is never opened, so reading never blocks on one), as is a directory named like a
    /// YAML file (`targets/berlin-1.yaml/`), which would hide the file it stands for. Budgets:
    /// [`MAX_FILE_BYTES`] per file, [`MAX_FILES`] files, [`MAX_TREE_BYTES`] in all. Errors name
    /// the file with the directory as given (`config/targets/berlin-1.yaml`).
    pub fn load_dir(dir: &Path) -> Result<FileTree> {
        let mut tree = FileTree::new();
        let root = dir.display().to_string();
        let root = match root.trim_end_matches('/') {
            "" => root.as_str(),
            trimmed => trimmed,
        };
        let shown = |rel: &str| format!("{root}/{rel}");
        let meta = std::fs::metadata(dir).map_err(|source| Error::Io {
            path: root.to_string(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(Error::invalid(Location::file(root), "not a directory"));
        }
        let mut total: u64 = 0;
        let mut stack = vec![(dir.to_path_buf(), String::new())];
        while let Some((abs, rel)) = stack.pop() {
            let shown_dir = if rel.is_empty() {
                root.to_string()
            } else {
                shown(&rel)
            };
            let entries = std::fs::read_dir(&abs).map_err(|source| Error::Io {
                path: shown_dir.clone(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| Error::Io {
                    path: shown_dir.clone(),
                    source,
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel_path = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let ft = entry.file_type().map_err(|source| Error::Io {
                    path: shown(&rel_path),
                    source,
                })?;
                if ft.is_dir() {
                    if name == ".git" {
                        continue;
                    }
                    let lower = name.to_ascii_lowercase();
                    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
                        return Err(Error::invalid(
                            Location::file(shown(&rel_path)),
                            "is a directory named like a YAML file; wo reads files there, so replace the directory with the file",
                        ));
                    }
                    stack.push((entry.path(), rel_path));
                } else if ft.is_file() {
                    let bytes = read_regular(&entry.path(), &shown(&rel_path))?;
                    total = total.saturating_add(bytes.len() as u64);
                    if total > MAX_TREE_BYTES {
                        return Err(Error::invalid(
                            Location::file(root),
                            format!(
                                "the files add up to more than {MAX_TREE_BYTES} bytes (the limit of one tree)"
                            ),
                        ));
                    }
                    tree.insert(rel_path, bytes)?;
                    if tree.len() > MAX_FILES {
                        return Err(Error::invalid(
                            Location::file(root),
                            format!("more than {MAX_FILES} files (the limit of one tree)"),
                        ));
                    }
                } else if ft.is_symlink() {
                    return Err(Error::invalid(
                        Location::file(shown(&rel_path)),
                        "symbolic links are not followed; replace the link with the file",
                    ));
                } else {
                    return Err(Error::invalid(
                        Location::file(shown(&rel_path)),
                        format!(
                            "is {}, not a regular file; wo reads only regular files",
                            special_kind(&ft)
                        ),
                    ));
                }
            }
        }
        Ok(tree)
    }
}

/// What a file that is neither a regular file, a directory nor a link is, for messages.
fn special_kind(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_char_device() {
            return "a character device";
        }
    }
    let _ = ft;
    "a special file"
}

/// `O_NONBLOCK`, so that opening a file swapped for a FIFO after it was listed never blocks.
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
const O_NONBLOCK: i32 = 0x0004;

/// Reads a file that was listed as regular: opened without blocking, checked again on the open
/// handle (it may have been swapped since), and read up to [`MAX_FILE_BYTES`].
fn read_regular(path: &Path, shown: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |source| Error::Io {
        path: shown.to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly"
    ))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(Error::invalid(
            Location::file(shown),
            format!(
                "is {}, not a regular file; wo reads only regular files",
                special_kind(&meta.file_type())
            ),
        ));
    }
    let too_big = |len: u64| {
        Error::invalid(
            Location::file(shown),
            format!("the file is {len} bytes; the limit is {MAX_FILE_BYTES} bytes"),
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
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
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "a..b",
            "x y",
            &"a".repeat(64),
            "a.",
            "v1.",
            "x\u{200b}",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "berlin-1",
            "eu_west",
            "v1.2",
            "console",
            "com10",
            "lpt",
            "auxiliary",
            "nul-1",
            "com1-x",
        ] {
            assert!(check_name(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn names_windows_reserves_are_refused_in_any_case_and_with_extensions() {
        for bad in [
            "con",
            "CON",
            "Prn",
            "aux",
            "NUL",
            "nul.txt",
            "com1",
            "COM9",
            "com0",
            "lpt1",
            "LPT9.yaml",
            "aux.tar.gz",
        ] {
            let e = check_name(bad).err().unwrap_or_default();
            assert!(e.contains("Windows reserves"), "{bad:?}: {e}");
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
