//! The calls the policy gate needs beyond the rest of the client: labels of a pull request.

use reqwest::Method;
use serde_json::json;
use wo_core::{Error, Result};

use super::types::RepoId;
use super::{seg, GitHub};

impl GitHub {
    /// `issues/add-labels`: adds `labels` to issue or pull request `number` (existing labels
    /// stay; adding one that is there changes nothing).
    ///
    /// # Errors
    /// `NotFound` for an unknown issue or pull request.
    pub async fn add_labels(&self, repo: &RepoId, number: u64, labels: &[&str]) -> Result<()> {
        let url = self.url(
            &format!(
                "/repos/{}/{}/issues/{number}/labels",
                seg(&repo.owner),
                seg(&repo.name)
            ),
            &[],
        );
        let call = self
            .call(Method::POST, url, format!("labels of #{number} of {repo}"))
            .body(&json!({ "labels": labels }))
            .repeatable();
        self.execute(&call).await.map(|_| ())
    }

    /// `issues/remove-label`: removes `label` from issue or pull request `number`. A label
    /// that is not on it is not an error (GitHub answers 404 for it).
    ///
    /// # Errors
    /// As the client's other calls; never `NotFound`.
    pub async fn remove_label(&self, repo: &RepoId, number: u64, label: &str) -> Result<()> {
        let url = self.url(
            &format!(
                "/repos/{}/{}/issues/{number}/labels/{}",
                seg(&repo.owner),
                seg(&repo.name),
                seg(label)
            ),
            &[],
        );
        let call = self
            .call(
                Method::DELETE,
                url,
                format!("label {label} of #{number} of {repo}"),
            )
            .repeatable();
        match self.execute(&call).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
