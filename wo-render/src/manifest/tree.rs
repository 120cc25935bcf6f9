//! Diffing two GitOps trees (`<solution>/<target>/manifests.yaml`), file by file.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use wo_core::files::FileTree;
use wo_core::{Diagnostic, Diagnostics, Error, Result};

use super::diff::{diff, ManifestDiff};
use super::markdown::{self, Report};
use super::ManifestSet;

/// The file name that holds a target's rendered manifests.
const MANIFESTS_FILE: &str = "manifests.yaml";

/// The diff of one manifests file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileDiff {
    /// The file's path in the tree.
    pub path: String,
    /// What changes in it.
    #[serde(flatten)]
    pub diff: ManifestDiff,
}

/// The diffs of every manifests file of two trees, by path.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct TreeDiff {
    /// One entry per `manifests.yaml` path in either tree, sorted by path, unchanged files
    /// included.
    pub files: Vec<FileDiff>,
}

fn is_manifests(path: &str) -> bool {
    path == MANIFESTS_FILE
        || path
            .strip_suffix(MANIFESTS_FILE)
            .is_some_and(|p| p.ends_with('/'))
}

/// Reads one side's file, or an empty set when the side does not have it; its problems, each
/// message saying which side, go to `problems` (also the review's).
pub(crate) fn read(
    tree: &FileTree,
    path: &str,
    side: &str,
    problems: &mut Vec<Diagnostic>,
) -> ManifestSet {
    let parsed = tree
        .text(path)
        .and_then(|text| text.map_or(Ok(ManifestSet::default()), |t| ManifestSet::parse(t, path)));
    match parsed {
        Ok(set) => set,
        Err(Error::Invalid(d)) => {
            problems.extend(d.0.into_iter().map(|mut d| {
                d.message = format!("{side} tree: {}", d.message);
                d
            }));
            ManifestSet::default()
        }
        Err(other) => {
            problems.push(Diagnostic::new(
                wo_core::Location::file(path),
                format!("{side} tree: {other}"),
            ));
            ManifestSet::default()
        }
    }
}

/// Diffs every file named `manifests.yaml` (at any depth) of two trees; a file in only one tree
/// has all its resources added or removed. Other files are ignored.
///
/// # Errors
///
/// [`Error::Invalid`] with every problem of every manifests file of both trees (each message
/// says which tree), as [`ManifestSet::parse`] reports them.
pub fn diff_trees(old: &FileTree, new: &FileTree) -> Result<TreeDiff> {
    let paths: BTreeSet<&str> = old
        .iter()
        .chain(new.iter())
        .map(|(p, _)| p)
        .filter(|p| is_manifests(p))
        .collect();
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let a = read(old, path, "old", &mut problems);
        let b = read(new, path, "new", &mut problems);
        files.push(FileDiff {
            path: path.to_owned(),
            diff: diff(&a, &b),
        });
    }
    if problems.is_empty() {
        Ok(TreeDiff { files })
    } else {
        Err(Error::Invalid(Diagnostics(problems).sorted()))
    }
}

impl TreeDiff {
    /// Whether no file has a change.
    pub fn is_empty(&self) -> bool {
        self.files.iter().all(|f| f.diff.is_empty())
    }

    /// The files that change.
    pub fn changed_files(&self) -> impl Iterator<Item = &FileDiff> {
        self.files.iter().filter(|f| !f.diff.is_empty())
    }

    /// Human output: for each file that changes, a `== path ==` line and its
    /// [`ManifestDiff::to_text`]; then a line counting the files.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in self.changed_files() {
            let _ = writeln!(out, "== {} ==", f.path);
            out.push_str(&f.diff.to_text());
            out.push('\n');
        }
        let changed = self.changed_files().count();
        let _ = writeln!(
            out,
            "{changed} of {} manifests files changed",
            self.files.len()
        );
        out
    }

    /// A pull-request comment: a table with a row per changed file, the resource lines grouped
    /// by file, then a collapsed diff block per changed resource; never more than `budget`
    /// characters, under the rules of [`ManifestDiff::to_markdown`].
    pub fn to_markdown(&self, budget: usize) -> String {
        let mut report = Report::default();
        if self.is_empty() {
            report.table = format!(
                "**No changes** ({} manifests files unchanged).\n",
                self.files.len()
            );
            return markdown::render(&report, budget);
        }
        report.table = self.table();
        for f in self.changed_files() {
            report
                .entries
                .push(format!("**{}**", markdown::escape(&f.path)));
            f.diff.report_into(&mut report, Some(&f.path));
        }
        markdown::render(&report, budget)
    }

    /// Whether [`to_markdown`](Self::to_markdown)`(budget)` shows more than its table: when
    /// the table of changed files alone does not fit, nothing of the resources' diffs is
    /// shown, and they need not be computed. Known from the files' counts alone.
    pub(crate) fn shows_resources(&self, budget: usize) -> bool {
        !self.is_empty() && markdown::width(&self.table()) <= budget
    }

    /// The table of [`to_markdown`](Self::to_markdown): a row per changed file.
    fn table(&self) -> String {
        let unchanged_files = self.files.len() - self.changed_files().count();
        let mut table =
            String::from("| file | added | removed | changed | unchanged |\n| --- | ---: | ---: | ---: | ---: |\n");
        for f in self.changed_files() {
            let _ = writeln!(
                table,
                "| {} | {} | {} | {} | {} |",
                markdown::escape(&f.path),
                f.diff.added.len(),
                f.diff.removed.len(),
                f.diff.changed.len(),
                f.diff.unchanged
            );
        }
        if unchanged_files > 0 {
            let _ = writeln!(table, "\n{unchanged_files} more manifests files unchanged.");
        }
        table
    }
}
