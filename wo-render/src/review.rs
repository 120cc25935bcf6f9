//! A gitops repository wrapper that writes the review into every change request.
//!
//! Reviewers of a change request should see what it does to the clusters, not only which
//! commits it was made from. [`ReviewingGitOps`] wraps any [`GitOpsRepo`]: before a proposal goes
//! out it compares the proposed manifests with what the environment branch has now (a
//! resource-by-resource diff) and runs the policy checks on them (with the effective policy the
//! proposal carries in `<solution>/policy.yaml`), and appends both to the
//! change request's body, within GitHub's 65,536-character limit for the whole body.

use std::sync::Arc;

use async_trait::async_trait;
use wo_core::files::FileTree;
use wo_core::ports::{
    ChangeCheck, ChangeProposal, ChangeRequest, CommitId, GitOpsCommit, GitOpsRepo, ProposeOutcome,
    RELEASE_POLICY_FILE,
};
use wo_core::Result;

use crate::manifest::{diff_trees, ManifestSet, GITHUB_COMMENT_LIMIT};
use crate::policy::{check, Policy};

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
        let diff = diff_trees(&current, &proposal.files)?;
        let mut resources = Vec::new();
        for (path, _) in proposal
            .files
            .iter()
            .filter(|(p, _)| p.ends_with("/manifests.yaml"))
        {
            let text = proposal.files.text(path)?.unwrap_or_default();
            resources.extend(ManifestSet::parse(text, path)?.resources);
        }
        // The policy the pipeline checked the release with travels with it; the review must
        // not contradict the verdict in release.yaml and the `wo/policy` status.
        let release_policy = format!("{}/{RELEASE_POLICY_FILE}", proposal.solution);
        let effective = match proposal.files.text(&release_policy)? {
            Some(text) => Policy::parse(text, &release_policy)?,
            None => self.policy.clone(),
        };
        let report = check(&ManifestSet { resources }, &effective);
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
        Ok(format!(
            "### Changes to the manifests\n\n{}\n{policy}",
            diff.to_markdown(diff_budget)
        ))
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
        // Room for the body wo already wrote and the provenance trailers the backend adds.
        let budget = GITHUB_COMMENT_LIMIT.saturating_sub(proposal.body.chars().count() + 2_000);
        let review = self.review(&proposal, budget).await?;
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
}
