//! A gitops repository wrapper that writes the review into every change request.
//!
//! Reviewers of a change request should see what it does to the clusters, not only which
//! commits it was made from. [`ReviewingGitOps`] wraps any [`GitOpsRepo`]: before a proposal goes
//! out it compares the proposed manifests with what the environment branch has now (a
//! resource-by-resource diff) and runs the policy checks on them (with the effective policy the
//! proposal carries in `<solution>/policy.yaml`), and appends both to the
//! change request's body, within GitHub's 65,536-character limit for the whole body.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use wo_core::files::FileTree;
use wo_core::ports::{
    ChangeCheck, ChangeProposal, ChangeRequest, CommitId, GitOpsCommit, GitOpsRepo, ProposeOutcome,
    RELEASE_POLICY_FILE,
};
use wo_core::{Diagnostic, Diagnostics, Error, Result};

use crate::manifest::tree::read;
use crate::manifest::{diff_with, FileDiff, ManifestDiff, TreeDiff, GITHUB_COMMENT_LIMIT};
use crate::policy::{Partial, Policy};

/// Wraps a gitops repository so that each proposal's body carries the manifest diff and the
/// policy results.
pub struct ReviewingGitOps {
    inner: Arc<dyn GitOpsRepo>,
    policy: Policy,
}

impl ReviewingGitOps {
    /// Wraps `inner`, checking with the effective policy a proposal carries
    /// (`<solution>/policy.yaml`, written by the pipeline's policy gate), or `policy` when it
    /// carries none.
    pub fn new(inner: Arc<dyn GitOpsRepo>, policy: Policy) -> Self {
        ReviewingGitOps { inner, policy }
    }

    /// The review of `proposal` in markdown, at most `budget` characters.
    pub async fn review(&self, proposal: &ChangeProposal, budget: usize) -> Result<String> {
        let current = match self.inner.head(&proposal.environment).await? {
            Some(head) => self.inner.read(&head, &proposal.solution).await?,
            None => FileTree::new(),
        };
        review(&current, proposal, &self.policy, budget)
    }

    /// The env branch's `<solution>/` at the proposal's base (empty without a base), and
    /// whether the inner repository, by the [`GitOpsRepo`] contract, will not use the body of
    /// `proposal`: its content equals the env branch's (`NoDifference`), or the open change
    /// request already holds this content, base and provenance (`Unchanged`, nothing
    /// written). The review is not computed then (at thousands of targets it is most of
    /// prepare-pr's own cost). A branch that moved underneath meanwhile makes `propose` fail
    /// with `Precondition` whatever the body, and the caller proposes again.
    async fn current(&self, proposal: &ChangeProposal) -> Result<(FileTree, bool)> {
        let current = match &proposal.base {
            Some(base) => {
                let current = self.inner.read(base, &proposal.solution).await?;
                if current == proposal.files {
                    return Ok((current, true));
                }
                current
            }
            None => FileTree::new(),
        };
        let open = self
            .inner
            .change_request(&proposal.solution, &proposal.environment)
            .await?;
        let unused = match open {
            Some(cr) if cr.base == proposal.base && cr.provenance == proposal.provenance => {
                self.inner.read(&cr.head, &proposal.solution).await? == proposal.files
            }
            _ => false,
        };
        Ok((current, unused))
    }
}

/// The review of `proposal` against `current` (the env branch's `<solution>/`), at most
/// `budget` characters; `policy` when the proposal carries no effective policy.
fn review(
    current: &FileTree,
    proposal: &ChangeProposal,
    policy: &Policy,
    budget: usize,
) -> Result<String> {
    // The policy the pipeline checked the release with travels with it; the review must
    // not contradict the verdict in release.yaml and the `wo/policy` status.
    let release_policy = format!("{}/{RELEASE_POLICY_FILE}", proposal.solution);
    let effective = match proposal.files.text(&release_policy)? {
        Some(text) => Policy::parse(text, &release_policy)?,
        None => policy.clone(),
    };
    // First which resources change (no unified texts), with the policy's findings.
    let (mut diff, checked) = diff_manifests(current, &proposal.files, &effective)?;
    let report = checked.finish(&effective);
    let s = report.summary();
    let mut policy = format!(
        "### Policy checks\n\n{} errors, {} warnings, {} notes; {} blocking; {} suppressed by exceptions\n",
        s.errors, s.warnings, s.notes, s.blocking, s.suppressed
    );
    let text = report.to_text();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 1 {
        policy.push_str("\n```text\n");
        let room = budget / 4;
        let mut used = 0;
        for (i, line) in lines.iter().enumerate() {
            if used + line.len() + 1 > room {
                policy.push_str(&format!("… and {} more lines\n", lines.len() - i));
                break;
            }
            policy.push_str(line);
            policy.push('\n');
            used += line.len() + 1;
        }
        policy.push_str("```\n");
    }
    let diff_budget = budget.saturating_sub(policy.chars().count() + 32);
    // Then the unified texts of the changed files, when the body has room to show any: a
    // change to thousands of targets shows its table of files only, and computing thousands
    // of unified diffs nobody sees was most of the review's cost.
    if diff.shows_resources(diff_budget) {
        unified_texts(current, &proposal.files, &mut diff);
    }
    Ok(format!(
        "### Changes to the manifests\n\n{}\n{policy}",
        diff.to_markdown(diff_budget)
    ))
}

/// The file name that holds a target's rendered manifests.
const MANIFESTS_FILE: &str = "manifests.yaml";

fn is_manifests(path: &str) -> bool {
    path == MANIFESTS_FILE
        || path
            .strip_suffix(MANIFESTS_FILE)
            .is_some_and(|p| p.ends_with('/'))
}

/// One manifests file of the review: its diff, the policy's findings on its proposed
/// resources, the problems of each side.
struct Reviewed {
    diff: FileDiff,
    checked: Option<Partial>,
    problems: Vec<Diagnostic>,
}

/// [`diff_trees`](crate::manifest::diff_trees)`(old, new)` and the policy check of the
/// manifests files of `new` with `policy`: the same diff and the same errors, computed so that
/// a change to a few of thousands of targets costs little. A file with the same bytes on both
/// sides is parsed once and not compared (every resource unchanged); the files are parsed on
/// every core, and each proposed file is checked where it was parsed, so that the parsed
/// resources of thousands of targets are never all in memory (rules look at one resource at
/// a time: the merged findings are those of the whole).
fn diff_manifests(old: &FileTree, new: &FileTree, policy: &Policy) -> Result<(TreeDiff, Partial)> {
    let paths: Vec<&str> = old
        .iter()
        .chain(new.iter())
        .map(|(p, _)| p)
        .filter(|p| is_manifests(p))
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .collect();
    let reviewed = wo_core::parallel::map(&paths, |path| review_file(old, new, path, policy));
    let (mut files, mut problems) = (Vec::new(), Vec::new());
    let mut checked = Partial::new(policy);
    for r in reviewed {
        files.push(r.diff);
        if let Some(part) = r.checked {
            checked.merge(part);
        }
        problems.extend(r.problems);
    }
    if problems.is_empty() {
        Ok((TreeDiff { files }, checked))
    } else {
        Err(Error::Invalid(Diagnostics(problems).sorted()))
    }
}

/// Fills in the unified texts of the changed resources of `diff` (computed by
/// [`diff_manifests`] without them), parsing the changed files again on every core.
fn unified_texts(old: &FileTree, new: &FileTree, diff: &mut TreeDiff) {
    let changed: Vec<usize> = diff
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.diff.changed.is_empty())
        .map(|(i, _)| i)
        .collect();
    let again = wo_core::parallel::map(&changed, |&i| {
        let path = diff.files[i].path.as_str();
        // Both sides parsed without problems the first time.
        let mut problems = Vec::new();
        let before = read(old, path, "old", &mut problems);
        let after = read(new, path, "new", &mut problems);
        (i, crate::manifest::diff(&before, &after))
    });
    for (i, full) in again {
        diff.files[i].diff = full;
    }
}

fn review_file(old: &FileTree, new: &FileTree, path: &str, policy: &Policy) -> Reviewed {
    let mut problems = Vec::new();
    let (diff, set) = if old.get(path).is_some() && old.get(path) == new.get(path) {
        let set = read(new, path, "new", &mut problems);
        // The same bytes have the same problems: reported for both sides, as a full diff would.
        let twice: Vec<Diagnostic> = problems
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d.message = format!("old{}", d.message.trim_start_matches("new"));
                d
            })
            .collect();
        problems.extend(twice);
        (ManifestDiff::same(&set), set)
    } else {
        let before = read(old, path, "old", &mut problems);
        let after = read(new, path, "new", &mut problems);
        (diff_with(&before, &after, false), after)
    };
    Reviewed {
        diff: FileDiff {
            path: path.to_owned(),
            diff,
        },
        checked: (new.contains(path) && path.ends_with("/manifests.yaml")).then(|| {
            let mut part = Partial::new(policy);
            part.check(&set, policy);
            part
        }),
        problems,
    }
}

#[async_trait]
impl GitOpsRepo for ReviewingGitOps {
    async fn head(&self, env: &str) -> Result<Option<CommitId>> {
        self.inner.head(env).await
    }

    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree> {
        self.inner.read(commit, solution).await
    }

    async fn propose(&self, mut proposal: ChangeProposal) -> Result<ProposeOutcome> {
        let (current, unused) = self.current(&proposal).await?;
        if unused {
            return self.inner.propose(proposal).await;
        }
        // Room for the body wo already wrote and the provenance trailers the backend adds.
        let budget = GITHUB_COMMENT_LIMIT.saturating_sub(proposal.body.chars().count() + 2_000);
        let review = review(&current, &proposal, &self.policy, budget)?;
        proposal.body = format!("{}\n\n{review}", proposal.body.trim_end());
        self.inner.propose(proposal).await
    }

    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>> {
        self.inner.change_request(solution, env).await
    }

    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId> {
        self.inner.merge(change).await
    }

    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
        self.inner.history(env, limit).await
    }

    async fn merged_from(&self, env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>> {
        self.inner.merged_from(env, commit).await
    }

    async fn merge_with(
        &self,
        change: &ChangeRequest,
        method: wo_core::ports::MergeMethod,
    ) -> Result<CommitId> {
        self.inner.merge_with(change, method).await
    }

    async fn set_check(&self, change: &ChangeRequest, check: &ChangeCheck) -> Result<()> {
        self.inner.set_check(change, check).await
    }

    async fn report_rollout(
        &self,
        env: &str,
        gitops_commit: &CommitId,
        markdown: &str,
    ) -> Result<()> {
        self.inner
            .report_rollout(env, gitops_commit, markdown)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{diff_trees, ManifestSet};

    fn tree(files: &[(&str, &str)]) -> FileTree {
        let mut t = FileTree::new();
        for (p, c) in files {
            t.insert(*p, *c).unwrap();
        }
        t
    }

    fn cm(name: &str, data: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: x}}\ndata: {{k: {data}}}\n")
    }

    #[test]
    fn the_review_diff_is_diff_trees_and_parses_each_proposed_file_once() {
        let mut old = FileTree::new();
        let mut new = FileTree::new();
        // Many targets (more than one batch per thread): same, changed, added, removed.
        for t in 0..100 {
            let path = format!("shop/t{t:03}/manifests.yaml");
            match t % 4 {
                0 => {
                    old.insert(path.as_str(), cm("a", "1")).unwrap();
                    new.insert(path.as_str(), cm("a", "1")).unwrap();
                }
                1 => {
                    old.insert(path.as_str(), cm("a", "1")).unwrap();
                    new.insert(path.as_str(), cm("a", "2") + "---\n" + &cm("b", "1"))
                        .unwrap();
                }
                2 => new.insert(path.as_str(), cm("a", "1")).unwrap(),
                _ => old.insert(path.as_str(), cm("a", "1")).unwrap(),
            }
            new.insert(format!("shop/t{t:03}/values.yaml"), "x: 1\n")
                .unwrap();
        }
        // Every tenth proposed file also holds a privileged pod: findings to compare.
        for t in (0..100).step_by(10) {
            let path = format!("shop/t{t:03}/manifests.yaml");
            let text = new.text(&path).unwrap().unwrap_or_default().to_string();
            new.insert(path.as_str(), text + "---\n" + PRIVILEGED)
                .unwrap();
        }
        let policy = Policy::default();
        let (mut diff, checked) = diff_manifests(&old, &new, &policy).unwrap();
        let full = diff_trees(&old, &new).unwrap();
        // The same resources, without their unified texts until asked for.
        assert!(diff
            .files
            .iter()
            .flat_map(|f| &f.diff.changed)
            .all(|c| c.unified.is_empty()));
        assert_ne!(diff, full);
        unified_texts(&old, &new, &mut diff);
        assert_eq!(diff, full);
        // 75, and the five files that were the same on both sides before the pod was added.
        assert_eq!(diff.changed_files().count(), 80);
        // The findings checked file by file are those of all proposed resources at once.
        let mut resources = Vec::new();
        for (path, text) in new.iter().filter(|(p, _)| p.ends_with("/manifests.yaml")) {
            let text = std::str::from_utf8(text).unwrap();
            resources.extend(ManifestSet::parse(text, path).unwrap().resources);
        }
        let whole = crate::policy::check(&ManifestSet { resources }, &policy);
        let report = checked.finish(&policy);
        assert!(report.findings.len() >= 10, "{report:?}");
        assert_eq!(report, whole);
    }

    const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n    - name: c\n      image: nginx\n      securityContext:\n        privileged: true\n";

    #[test]
    fn a_change_whose_table_of_files_fills_the_body_shows_the_same_without_unified_texts() {
        let (mut old, mut new) = (FileTree::new(), FileTree::new());
        for t in 0..2000 {
            let path = format!("shop/t{t:04}/manifests.yaml");
            old.insert(path.as_str(), cm("a", "1")).unwrap();
            new.insert(path.as_str(), cm("a", "2")).unwrap();
        }
        let budget = 20_000;
        let (diff, _) = diff_manifests(&old, &new, &Policy::default()).unwrap();
        let full = diff_trees(&old, &new).unwrap();
        assert!(!diff.shows_resources(budget));
        assert_eq!(diff.to_markdown(budget), full.to_markdown(budget));
        // A small change shows its resources: there the texts are computed.
        let (small, _) = diff_manifests(
            &tree(&[("shop/a/manifests.yaml", &cm("a", "1"))]),
            &tree(&[("shop/a/manifests.yaml", &cm("a", "2"))]),
            &Policy::default(),
        )
        .unwrap();
        assert!(small.shows_resources(budget));
    }

    #[test]
    fn the_review_diff_reports_the_problems_diff_trees_reports() {
        let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: [not, a, map]\n";
        let old = tree(&[("s/a/manifests.yaml", bad), ("s/b/manifests.yaml", bad)]);
        let new = tree(&[
            ("s/a/manifests.yaml", bad),
            ("s/b/manifests.yaml", &cm("a", "1")),
        ]);
        let expected = diff_trees(&old, &new).unwrap_err().to_string();
        let got = diff_manifests(&old, &new, &Policy::default())
            .unwrap_err()
            .to_string();
        assert_eq!(got, expected);
        assert!(
            got.contains("old tree") && got.contains("new tree"),
            "{got}"
        );
    }
}
