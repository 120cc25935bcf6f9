//! The semantic diff of two manifest sets.

use std::fmt::Write as _;

use similar::TextDiff;

use super::canonical::canonical_value;
use super::markdown::{self, Block, Report};
use super::{ManifestSet, Resource, ResourceId};

/// Lines of context around each change of a unified diff.
const CONTEXT_LINES: usize = 3;

/// A resource present in both sets whose value differs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangedResource {
    /// Its identity.
    pub id: ResourceId,
    /// The unified diff of the old and new canonical YAML, with 3 lines of context and
    /// `--- old …` / `+++ new …` headers naming the resource.
    pub unified: String,
}

/// What changes between two manifest sets, resources matched by identity, values compared
/// semantically (key order does not matter). Every list is in canonical order.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ManifestDiff {
    /// Resources only in the new set.
    pub added: Vec<ResourceId>,
    /// Resources only in the old set.
    pub removed: Vec<ResourceId>,
    /// Resources in both whose values differ.
    pub changed: Vec<ChangedResource>,
    /// How many resources are in both with equal values.
    pub unchanged: usize,
}

/// Compares two sets: resources are matched by [`ResourceId`] and their values compared as
/// values, so a different key order inside a map is no change.
pub fn diff(old: &ManifestSet, new: &ManifestSet) -> ManifestDiff {
    diff_with(old, new, true)
}

/// [`diff`], with the unified text of each changed resource left empty unless `unified`:
/// which resources are added, removed, changed and unchanged is the same.
pub(crate) fn diff_with(old: &ManifestSet, new: &ManifestSet, unified_text: bool) -> ManifestDiff {
    let mut out = ManifestDiff::default();
    let (mut i, mut j) = (0, 0);
    let (a, b) = (&old.resources, &new.resources);
    // Both sides are sorted by the same total order: merge them.
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(o), Some(n)) => match o.id.cmp_canonical(&n.id) {
                std::cmp::Ordering::Less => {
                    out.removed.push(o.id.clone());
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.added.push(n.id.clone());
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    if o.value == n.value {
                        out.unchanged += 1;
                    } else {
                        out.changed.push(ChangedResource {
                            id: n.id.clone(),
                            unified: if unified_text {
                                unified(o, n)
                            } else {
                                String::new()
                            },
                        });
                    }
                    i += 1;
                    j += 1;
                }
            },
            (Some(o), None) => {
                out.removed.push(o.id.clone());
                i += 1;
            }
            (None, Some(n)) => {
                out.added.push(n.id.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// The unified diff of two versions of one resource's canonical YAML.
fn unified(old: &Resource, new: &Resource) -> String {
    let (a, b) = (
        wo_core::yaml::to_string(&canonical_value(&old.value)),
        wo_core::yaml::to_string(&canonical_value(&new.value)),
    );
    let text = TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(
            &format!("old {}", old.id.qualified()),
            &format!("new {}", new.id.qualified()),
        )
        .to_string();
    if text.is_empty() {
        // Values differ but print alike (e.g. the integer 1 and the float 1.0 in some
        // emitters): say so rather than show nothing.
        format!(
            "--- old {id}\n+++ new {id}\n# the values differ in type but print the same\n",
            id = new.id.qualified()
        )
    } else {
        text
    }
}

impl ManifestDiff {
    /// The diff of `set` with itself, [`diff`]`(set, set)` without comparing: every resource
    /// unchanged. For callers that know both sides are the same bytes.
    pub fn same(set: &ManifestSet) -> Self {
        ManifestDiff {
            unchanged: set.resources.len(),
            ..ManifestDiff::default()
        }
    }

    /// Whether nothing was added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// `1 added, 2 removed, 3 changed, 4 unchanged`.
    pub fn summary(&self) -> String {
        format!(
            "{} added, {} removed, {} changed, {} unchanged",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.unchanged
        )
    }

    /// Human output: one line per resource (`+ Deployment shop/web`, `- …`, `~ …`), a summary
    /// line, then the unified diff of every changed resource.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for id in &self.added {
            let _ = writeln!(out, "+ {id}");
        }
        for id in &self.removed {
            let _ = writeln!(out, "- {id}");
        }
        for c in &self.changed {
            let _ = writeln!(out, "~ {}", c.id);
        }
        let _ = writeln!(out, "{}", self.summary());
        for c in &self.changed {
            out.push('\n');
            out.push_str(&c.unified);
        }
        out
    }

    /// A pull-request comment: a table of counts, one line per resource, then a collapsed
    /// ```` ```diff ```` block per changed resource.
    ///
    /// The result never exceeds `budget` characters (use [`super::GITHUB_COMMENT_LIMIT`] for
    /// GitHub) and always ends with a complete line: diff blocks that do not fit are left out
    /// whole and named in a closing note, and a resource list too long on its own ends with
    /// `… and N more`.
    pub fn to_markdown(&self, budget: usize) -> String {
        let mut report = Report::default();
        if self.is_empty() {
            report.table = format!("**No changes** ({} resources unchanged).\n", self.unchanged);
            return markdown::render(&report, budget);
        }
        report.table = format!(
            "| added | removed | changed | unchanged |\n| ---: | ---: | ---: | ---: |\n| {} | {} | {} | {} |\n",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.unchanged
        );
        self.report_into(&mut report, None);
        markdown::render(&report, budget)
    }

    /// Adds this diff's resource lines and diff blocks to a report; `path` prefixes block titles
    /// when several files share one comment.
    pub(crate) fn report_into(&self, report: &mut Report, path: Option<&str>) {
        let lines = [("added", &self.added), ("removed", &self.removed)];
        for (what, ids) in lines {
            for id in ids {
                report
                    .entries
                    .push(format!("- {what}: {}", markdown::escape(&id.qualified())));
            }
        }
        for c in &self.changed {
            report.entries.push(format!(
                "- changed: {}",
                markdown::escape(&c.id.qualified())
            ));
        }
        for c in &self.changed {
            let label = match path {
                Some(p) => format!("{p}: {}", c.id.qualified()),
                None => c.id.qualified(),
            };
            report.blocks.push(Block::diff(label, &c.unified));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_is_the_diff_of_a_set_with_itself() {
        let set = ManifestSet::parse(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: x}\n",
            "m.yaml",
        )
        .unwrap();
        assert_eq!(ManifestDiff::same(&set), diff(&set, &set));
        assert_eq!(ManifestDiff::same(&set).unchanged, 2);
        assert!(ManifestDiff::same(&set).is_empty());
    }
}
