//! Typed methods, one per operation of `shared/specs/github/subset-operations.txt` that wo
//! uses. Each names what it works on in its errors (`ref heads/dev of o/r`).

use base64::Engine as _;
use reqwest::Method;
use serde_json::json;
use wo_core::{Error, Result};

use super::error::BACKEND;
use super::types::*;
use super::{seg, GitHub};

fn repo_path(repo: &RepoId) -> String {
    format!("/repos/{}/{}", seg(&repo.owner), seg(&repo.name))
}

const PER_PAGE: (&str, &str) = ("per_page", "100");

impl GitHub {
    /// `repos/get`.
    ///
    /// # Errors
    /// `NotFound` for a repository the token cannot see.
    pub async fn repository(&self, repo: &RepoId) -> Result<Repository> {
        let url = self.url(&repo_path(repo), &[]);
        self.json(&self.call(Method::GET, url, format!("GitHub repository {repo}")))
            .await
    }

    /// `repos/get`, with the merge settings wo manages.
    ///
    /// # Errors
    /// As [`GitHub::repository`].
    pub async fn repository_with_settings(
        &self,
        repo: &RepoId,
    ) -> Result<(Repository, RepositoryMergeSettings)> {
        let url = self.url(&repo_path(repo), &[]);
        let value: serde_json::Value = self
            .json(&self.call(Method::GET, url, format!("GitHub repository {repo}")))
            .await?;
        let bad = |e: serde_json::Error| {
            Error::backend(
                BACKEND,
                format!("GitHub repository {repo}: unexpected answer: {e}"),
            )
        };
        Ok((
            serde_json::from_value(value.clone()).map_err(bad)?,
            serde_json::from_value(value).map_err(bad)?,
        ))
    }

    /// `git/get-ref`: `reference` without `refs/` (`heads/dev`); `None` when it does not exist.
    ///
    /// # Errors
    /// `NotFound` for an unknown or empty repository; `Backend` otherwise.
    pub async fn get_ref(&self, repo: &RepoId, reference: &str) -> Result<Option<GitRef>> {
        let url = self.url(
            &format!("{}/git/ref/{}", repo_path(repo), seg(reference)),
            &[],
        );
        let what = format!("ref {reference} of {repo}");
        match self.json(&self.call(Method::GET, url, what)).await {
            Ok(r) => Ok(Some(r)),
            Err(Error::NotFound { what, .. }) if !what.ends_with(": the repository is empty") => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// `git/create-ref`: `reference` with `refs/` (`refs/heads/dev`).
    ///
    /// # Errors
    /// `AlreadyExists` when the ref exists.
    pub async fn create_ref(&self, repo: &RepoId, reference: &str, sha: &str) -> Result<GitRef> {
        let url = self.url(&format!("{}/git/refs", repo_path(repo)), &[]);
        let call = self
            .call(Method::POST, url, format!("ref {reference} of {repo}"))
            .body(&json!({ "ref": reference, "sha": sha }));
        self.json(&call).await
    }

    /// `git/update-ref` without force: moves `reference` (`heads/dev`) to `sha` only when that
    /// is a fast-forward.
    ///
    /// # Errors
    /// `Precondition` when it is not a fast-forward; `Unsupported` when branch protection
    /// refuses direct updates; `NotFound` for a missing ref.
    pub async fn update_ref(&self, repo: &RepoId, reference: &str, sha: &str) -> Result<GitRef> {
        self.patch_ref(repo, reference, sha, false).await
    }

    /// `git/update-ref` with `force: true`. wo uses it only for its own change-request branches
    /// (`wo/<env>/<solution>`), never for an env branch.
    ///
    /// # Errors
    /// As [`GitHub::update_ref`], less the fast-forward check.
    pub async fn reset_ref(&self, repo: &RepoId, reference: &str, sha: &str) -> Result<GitRef> {
        self.patch_ref(repo, reference, sha, true).await
    }

    async fn patch_ref(
        &self,
        repo: &RepoId,
        reference: &str,
        sha: &str,
        force: bool,
    ) -> Result<GitRef> {
        let url = self.url(
            &format!("{}/git/refs/{}", repo_path(repo), seg(reference)),
            &[],
        );
        // Setting a ref to a value twice is the same as once.
        let call = self
            .call(Method::PATCH, url, format!("ref {reference} of {repo}"))
            .body(&json!({ "sha": sha, "force": force }))
            .repeatable();
        self.json(&call).await
    }

    /// `git/delete-ref` (`heads/x`).
    ///
    /// # Errors
    /// `Backend` (422) for a missing ref.
    pub async fn delete_ref(&self, repo: &RepoId, reference: &str) -> Result<()> {
        let url = self.url(
            &format!("{}/git/refs/{}", repo_path(repo), seg(reference)),
            &[],
        );
        self.execute(&self.call(Method::DELETE, url, format!("ref {reference} of {repo}")))
            .await
            .map(|_| ())
    }

    /// `git/list-matching-refs`: refs starting with `prefix` (`heads/wo/`), all pages.
    ///
    /// # Errors
    /// `Backend` for service failures.
    pub async fn matching_refs(&self, repo: &RepoId, prefix: &str) -> Result<Vec<GitRef>> {
        let url = self.url(
            &format!("{}/git/matching-refs/{}", repo_path(repo), seg(prefix)),
            &[PER_PAGE],
        );
        self.all_pages(self.call(Method::GET, url, format!("refs {prefix}* of {repo}")))
            .await
    }

    /// `git/create-blob` (base64): returns the blob id.
    ///
    /// # Errors
    /// `Backend` for service failures.
    pub async fn create_blob(&self, repo: &RepoId, content: &[u8]) -> Result<String> {
        let url = self.url(&format!("{}/git/blobs", repo_path(repo)), &[]);
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        // Content-addressed: sending it twice creates nothing new.
        let call = self
            .call(Method::POST, url, format!("a blob of {repo}"))
            .body(&json!({ "content": encoded, "encoding": "base64" }))
            .repeatable();
        let created: ShaRef = self.json(&call).await?;
        Ok(created.sha)
    }

    /// `git/get-blob`: the bytes.
    ///
    /// # Errors
    /// `NotFound` for an unknown blob.
    pub async fn get_blob(&self, repo: &RepoId, sha: &str) -> Result<Vec<u8>> {
        let url = self.url(&format!("{}/git/blobs/{}", repo_path(repo), seg(sha)), &[]);
        let call = self.call(Method::GET, url, format!("blob {sha} of {repo}"));
        let blob: GitBlob = self.json(&call).await?;
        match blob.encoding.as_str() {
            "base64" => {
                let clean: String = blob
                    .content
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .map_err(|e| {
                        Error::backend(BACKEND, format!("blob {sha} of {repo}: bad base64: {e}"))
                    })
            }
            "utf-8" | "utf8" | "" => Ok(blob.content.into_bytes()),
            other => Err(Error::backend(
                BACKEND,
                format!("blob {sha} of {repo}: unknown encoding `{other}`"),
            )),
        }
    }

    /// `git/get-tree`, with `recursive=1` when asked.
    ///
    /// # Errors
    /// `NotFound` for an unknown tree.
    pub async fn get_tree(&self, repo: &RepoId, sha: &str, recursive: bool) -> Result<GitTree> {
        let query: &[(&str, &str)] = if recursive {
            &[("recursive", "1")]
        } else {
            &[]
        };
        let url = self.url(
            &format!("{}/git/trees/{}", repo_path(repo), seg(sha)),
            query,
        );
        self.json(&self.call(Method::GET, url, format!("tree {sha} of {repo}")))
            .await
    }

    /// `git/create-tree`: `entries` on top of `base_tree` (entries with `sha: None` delete).
    ///
    /// # Errors
    /// `Backend` (422) for unknown blobs or a bad base.
    pub async fn create_tree(
        &self,
        repo: &RepoId,
        base_tree: Option<&str>,
        entries: &[NewTreeEntry],
    ) -> Result<GitTree> {
        let url = self.url(&format!("{}/git/trees", repo_path(repo)), &[]);
        let mut body = json!({ "tree": entries });
        if let Some(base) = base_tree {
            body["base_tree"] = json!(base);
        }
        // Content-addressed, like blobs.
        let call = self
            .call(Method::POST, url, format!("a tree of {repo}"))
            .body(&body)
            .repeatable();
        self.json(&call).await
    }

    /// `git/get-commit`.
    ///
    /// # Errors
    /// `NotFound` for an unknown commit.
    pub async fn get_commit(&self, repo: &RepoId, sha: &str) -> Result<GitCommit> {
        let url = self.url(
            &format!("{}/git/commits/{}", repo_path(repo), seg(sha)),
            &[],
        );
        self.json(&self.call(Method::GET, url, format!("commit {sha} of {repo}")))
            .await
    }

    /// `git/create-commit` (author and committer: the token's user, now). Not retried on an
    /// ambiguous failure: a second attempt would make another commit.
    ///
    /// # Errors
    /// `Backend` (422) for an unknown tree or parent.
    pub async fn create_commit(
        &self,
        repo: &RepoId,
        message: &str,
        tree: &str,
        parents: &[String],
    ) -> Result<GitCommit> {
        let url = self.url(&format!("{}/git/commits", repo_path(repo)), &[]);
        let call = self
            .call(Method::POST, url, format!("a commit of {repo}"))
            .body(&json!({ "message": message, "tree": tree, "parents": parents }));
        self.json(&call).await
    }

    /// `repos/compare-commits-with-basehead` (`base...head`).
    ///
    /// # Errors
    /// `NotFound` when either side is unknown.
    pub async fn compare(&self, repo: &RepoId, base: &str, head: &str) -> Result<Comparison> {
        let basehead = format!("{}...{}", seg(base), seg(head));
        let url = self.url(
            &format!("{}/compare/{basehead}", repo_path(repo)),
            &[("per_page", "1")],
        );
        self.json(&self.call(
            Method::GET,
            url,
            format!("comparison {base}...{head} of {repo}"),
        ))
        .await
    }

    /// `pulls/list`, all pages.
    ///
    /// # Errors
    /// `Backend` for service failures.
    pub async fn list_pulls(&self, repo: &RepoId, filter: &PullFilter) -> Result<Vec<PullRequest>> {
        let mut query: Vec<(&str, &str)> = vec![PER_PAGE];
        if let Some(s) = &filter.state {
            query.push(("state", s));
        }
        if let Some(h) = &filter.head {
            query.push(("head", h));
        }
        if let Some(b) = &filter.base {
            query.push(("base", b));
        }
        let url = self.url(&format!("{}/pulls", repo_path(repo)), &query);
        self.all_pages(self.call(Method::GET, url, format!("pull requests of {repo}")))
            .await
    }

    /// `repos/list-pull-requests-associated-with-commit`
    /// (`GET /repos/{owner}/{repo}/commits/{sha}/pulls`), all pages: the pull requests whose
    /// head holds `sha`, or that merged into a commit `sha` (its `merge_commit_sha`).
    ///
    /// # Errors
    /// `NotFound` for an unknown repository; `Backend` otherwise (GitHub answers 422 for a
    /// commit it does not have).
    pub async fn commit_pulls(&self, repo: &RepoId, sha: &str) -> Result<Vec<PullRequest>> {
        let url = self.url(
            &format!("{}/commits/{}/pulls", repo_path(repo), seg(sha)),
            &[PER_PAGE],
        );
        self.all_pages(self.call(
            Method::GET,
            url,
            format!("pull requests of commit {sha} of {repo}"),
        ))
        .await
    }

    /// `pulls/create`.
    ///
    /// # Errors
    /// `Backend` (422) when one exists already for the branches or there is nothing to merge.
    pub async fn create_pull(&self, repo: &RepoId, pull: &NewPullRequest) -> Result<PullRequest> {
        let url = self.url(&format!("{}/pulls", repo_path(repo)), &[]);
        let call = self
            .call(
                Method::POST,
                url,
                format!("pull request {} → {} of {repo}", pull.head, pull.base),
            )
            .body(pull);
        self.json(&call).await
    }

    /// `pulls/get`.
    ///
    /// # Errors
    /// `NotFound` for an unknown number.
    pub async fn get_pull(&self, repo: &RepoId, number: u64) -> Result<PullRequest> {
        let url = self.url(&format!("{}/pulls/{number}", repo_path(repo)), &[]);
        self.json(&self.call(
            Method::GET,
            url,
            format!("pull request #{number} of {repo}"),
        ))
        .await
    }

    /// `pulls/update` (title, body, state): setting values, so repeatable.
    ///
    /// # Errors
    /// `NotFound` for an unknown number.
    pub async fn update_pull(
        &self,
        repo: &RepoId,
        number: u64,
        update: &PullUpdate,
    ) -> Result<PullRequest> {
        let url = self.url(&format!("{}/pulls/{number}", repo_path(repo)), &[]);
        let call = self
            .call(
                Method::PATCH,
                url,
                format!("pull request #{number} of {repo}"),
            )
            .body(update)
            .repeatable();
        self.json(&call).await
    }

    /// `pulls/merge`. Not retried on an ambiguous failure.
    ///
    /// # Errors
    /// `Precondition` when the head moved (`sha` given) or it is not mergeable.
    pub async fn merge_pull(
        &self,
        repo: &RepoId,
        number: u64,
        merge: &MergePull,
    ) -> Result<MergeResult> {
        let url = self.url(&format!("{}/pulls/{number}/merge", repo_path(repo)), &[]);
        let mut call = self
            .call(
                Method::PUT,
                url,
                format!("merge of pull request #{number} of {repo}"),
            )
            .body(merge);
        call.repeatable = false;
        self.json(&call).await
    }

    /// `issues/list-comments`, all pages.
    ///
    /// # Errors
    /// `NotFound` for an unknown issue or pull request.
    pub async fn list_issue_comments(
        &self,
        repo: &RepoId,
        number: u64,
    ) -> Result<Vec<IssueComment>> {
        let url = self.url(
            &format!("{}/issues/{number}/comments", repo_path(repo)),
            &[PER_PAGE],
        );
        self.all_pages(self.call(Method::GET, url, format!("comments of #{number} of {repo}")))
            .await
    }

    /// `issues/create-comment`.
    ///
    /// # Errors
    /// `NotFound` for an unknown issue or pull request.
    pub async fn create_issue_comment(
        &self,
        repo: &RepoId,
        number: u64,
        body: &str,
    ) -> Result<IssueComment> {
        let url = self.url(
            &format!("{}/issues/{number}/comments", repo_path(repo)),
            &[],
        );
        let call = self
            .call(
                Method::POST,
                url,
                format!("a comment on #{number} of {repo}"),
            )
            .body(&json!({ "body": body }));
        self.json(&call).await
    }

    /// `issues/update-comment`.
    ///
    /// # Errors
    /// `NotFound` for an unknown comment.
    pub async fn update_issue_comment(
        &self,
        repo: &RepoId,
        id: u64,
        body: &str,
    ) -> Result<IssueComment> {
        let url = self.url(&format!("{}/issues/comments/{id}", repo_path(repo)), &[]);
        let call = self
            .call(Method::PATCH, url, format!("comment {id} of {repo}"))
            .body(&json!({ "body": body }))
            .repeatable();
        self.json(&call).await
    }

    /// `repos/create-commit-status`. Repeatable: the same status twice leaves the latest per
    /// context as it was.
    ///
    /// # Errors
    /// `NotFound` for an unknown commit (GitHub answers 422 `No commit found for SHA`).
    pub async fn create_status(
        &self,
        repo: &RepoId,
        sha: &str,
        status: &NewStatus,
    ) -> Result<Status> {
        let url = self.url(&format!("{}/statuses/{}", repo_path(repo), seg(sha)), &[]);
        let call = self
            .call(Method::POST, url, format!("commit {sha} of {repo}"))
            .body(status)
            .repeatable();
        self.json(&call).await
    }

    /// `repos/list-commit-statuses-for-ref`, all pages, newest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown ref.
    pub async fn list_statuses(&self, repo: &RepoId, reference: &str) -> Result<Vec<Status>> {
        let url = self.url(
            &format!("{}/commits/{}/statuses", repo_path(repo), seg(reference)),
            &[PER_PAGE],
        );
        self.all_pages(self.call(Method::GET, url, format!("commit {reference} of {repo}")))
            .await
    }

    /// `repos/get-combined-status-for-ref` (first page: up to 100 contexts).
    ///
    /// # Errors
    /// `NotFound` for an unknown ref.
    pub async fn combined_status(&self, repo: &RepoId, reference: &str) -> Result<CombinedStatus> {
        let url = self.url(
            &format!("{}/commits/{}/status", repo_path(repo), seg(reference)),
            &[PER_PAGE],
        );
        self.json(&self.call(Method::GET, url, format!("commit {reference} of {repo}")))
            .await
    }

    /// `repos/create-dispatch-event`: a `repository_dispatch` event of type `event_type`.
    /// Not retried on an ambiguous failure (it would run the workflows twice).
    ///
    /// # Errors
    /// `Backend` (422) for a payload GitHub refuses.
    pub async fn dispatch_repository(
        &self,
        repo: &RepoId,
        event_type: &str,
        client_payload: &serde_json::Value,
    ) -> Result<()> {
        let url = self.url(&format!("{}/dispatches", repo_path(repo)), &[]);
        let call = self
            .call(
                Method::POST,
                url,
                format!("dispatch `{event_type}` to {repo}"),
            )
            .body(&json!({ "event_type": event_type, "client_payload": client_payload }));
        self.execute(&call).await.map(|_| ())
    }

    /// `actions/create-workflow-dispatch`: runs workflow `workflow_id` (file name or id) on
    /// `git_ref` with `inputs`. Not retried on an ambiguous failure.
    ///
    /// # Errors
    /// `NotFound` for an unknown workflow; `Backend` (422) for bad inputs.
    pub async fn dispatch_workflow(
        &self,
        repo: &RepoId,
        workflow_id: &str,
        git_ref: &str,
        inputs: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        let url = self.url(
            &format!(
                "{}/actions/workflows/{}/dispatches",
                repo_path(repo),
                seg(workflow_id)
            ),
            &[],
        );
        let call = self
            .call(
                Method::POST,
                url,
                format!("workflow {workflow_id} of {repo}"),
            )
            .body(&json!({ "ref": git_ref, "inputs": inputs }));
        self.execute(&call).await.map(|_| ())
    }

    /// `repos/update` (`PATCH /repos/{owner}/{repo}`): the settings in `settings` (merge
    /// methods and the like), others unchanged. Setting values: repeatable.
    ///
    /// # Errors
    /// `PermissionDenied` naming `administration: write` when the token lacks it.
    pub async fn update_repository(
        &self,
        repo: &RepoId,
        settings: &RepositorySettings,
    ) -> Result<Repository> {
        let url = self.url(&repo_path(repo), &[]);
        let call = self
            .call(
                Method::PATCH,
                url,
                format!("settings of GitHub repository {repo}"),
            )
            .body(settings)
            .repeatable();
        self.json(&call).await
    }

    /// `repos/get-all-repository-rulesets`, all pages (GitHub lists them without their rules:
    /// read one with [`GitHub::ruleset`]).
    ///
    /// # Errors
    /// `Backend` for service failures.
    pub async fn rulesets(&self, repo: &RepoId) -> Result<Vec<serde_json::Value>> {
        let url = self.url(&format!("{}/rulesets", repo_path(repo)), &[PER_PAGE]);
        self.all_pages(self.call(Method::GET, url, format!("rulesets of {repo}")))
            .await
    }

    /// `repos/get-repo-ruleset`: GitHub's ruleset JSON.
    ///
    /// # Errors
    /// `NotFound` for an unknown id.
    pub async fn ruleset(&self, repo: &RepoId, id: u64) -> Result<serde_json::Value> {
        let url = self.url(&format!("{}/rulesets/{id}", repo_path(repo)), &[]);
        self.json(&self.call(Method::GET, url, format!("ruleset {id} of {repo}")))
            .await
    }

    /// `repos/create-repo-ruleset` from GitHub's ruleset JSON; answers the ruleset. Not
    /// retried on an ambiguous failure (a second attempt would meet `Name must be unique`).
    ///
    /// # Errors
    /// `PermissionDenied` naming `administration: write`; `Rejected` (422) for a ruleset
    /// GitHub refuses or a name taken.
    pub async fn create_ruleset(
        &self,
        repo: &RepoId,
        ruleset: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let url = self.url(&format!("{}/rulesets", repo_path(repo)), &[]);
        let name = ruleset["name"].as_str().unwrap_or_default();
        let call = self
            .call(Method::POST, url, format!("ruleset `{name}` of {repo}"))
            .body(ruleset);
        self.json(&call).await
    }

    /// `repos/update-repo-ruleset`: replaces what `ruleset` names.
    ///
    /// # Errors
    /// As [`GitHub::create_ruleset`]; `NotFound` for an unknown id.
    pub async fn update_ruleset(
        &self,
        repo: &RepoId,
        id: u64,
        ruleset: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let url = self.url(&format!("{}/rulesets/{id}", repo_path(repo)), &[]);
        let name = ruleset["name"].as_str().unwrap_or_default();
        let call = self
            .call(
                Method::PUT,
                url,
                format!("ruleset `{name}` ({id}) of {repo}"),
            )
            .body(ruleset);
        self.json(&call).await
    }

    /// `repos/get-environment`; `None` when it does not exist.
    ///
    /// # Errors
    /// `PermissionDenied` naming `actions: read` when the token lacks it.
    pub async fn environment(
        &self,
        repo: &RepoId,
        name: &str,
    ) -> Result<Option<serde_json::Value>> {
        let url = self.url(
            &format!("{}/environments/{}", repo_path(repo), seg(name)),
            &[],
        );
        let call = self.call(Method::GET, url, format!("environment {name} of {repo}"));
        match self.json(&call).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `repos/create-or-update-environment` with `settings` (`reviewers`,
    /// `deployment_branch_policy`, …).
    ///
    /// # Errors
    /// `PermissionDenied` naming `administration: write`; `Rejected` (422) for settings GitHub
    /// refuses.
    pub async fn put_environment(
        &self,
        repo: &RepoId,
        name: &str,
        settings: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let url = self.url(
            &format!("{}/environments/{}", repo_path(repo), seg(name)),
            &[],
        );
        let call = self
            .call(Method::PUT, url, format!("environment {name} of {repo}"))
            .body(settings);
        self.json(&call).await
    }

    /// `actions/list-repo-variables`, every page: the repository's Actions variables.
    ///
    /// # Errors
    /// `PermissionDenied` naming `variables: read` when the token lacks it.
    pub async fn variables(&self, repo: &RepoId) -> Result<Vec<Variable>> {
        let mut out = Vec::new();
        for page in 1..=super::MAX_PAGES {
            let page_s = page.to_string();
            let url = self.url(
                &format!("{}/actions/variables", repo_path(repo)),
                &[("per_page", "30"), ("page", &page_s)],
            );
            let list: VariableList = self
                .json(&self.call(Method::GET, url, format!("Actions variables of {repo}")))
                .await?;
            let n = list.variables.len();
            out.extend(list.variables);
            if n == 0 || out.len() as u64 >= list.total_count {
                break;
            }
        }
        Ok(out)
    }

    /// `actions/create-repo-variable`.
    ///
    /// # Errors
    /// `PermissionDenied` naming `variables: write`; `Backend` (409) when it exists.
    pub async fn create_variable(&self, repo: &RepoId, name: &str, value: &str) -> Result<()> {
        let url = self.url(&format!("{}/actions/variables", repo_path(repo)), &[]);
        let call = self
            .call(
                Method::POST,
                url,
                format!("Actions variable {name} of {repo}"),
            )
            .body(&json!({ "name": name, "value": value }));
        self.execute(&call).await.map(|_| ())
    }

    /// `actions/update-repo-variable`: sets its value (repeatable).
    ///
    /// # Errors
    /// `PermissionDenied` naming `variables: write`; `NotFound` when it does not exist.
    pub async fn update_variable(&self, repo: &RepoId, name: &str, value: &str) -> Result<()> {
        let url = self.url(
            &format!("{}/actions/variables/{}", repo_path(repo), seg(name)),
            &[],
        );
        let call = self
            .call(
                Method::PATCH,
                url,
                format!("Actions variable {name} of {repo}"),
            )
            .body(&json!({ "name": name, "value": value }))
            .repeatable();
        self.execute(&call).await.map(|_| ())
    }

    /// `apps/get-by-slug` (`GET /apps/{app_slug}`): the App's id.
    ///
    /// # Errors
    /// `NotFound` for an unknown App.
    pub async fn app_by_slug(&self, slug: &str) -> Result<Account> {
        let url = self.url(&format!("/apps/{}", seg(slug)), &[]);
        self.json(&self.call(Method::GET, url, format!("GitHub App {slug}")))
            .await
    }

    /// `users/get-by-username` (`GET /users/{username}`).
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub async fn user(&self, login: &str) -> Result<Account> {
        let url = self.url(&format!("/users/{}", seg(login)), &[]);
        self.json(&self.call(Method::GET, url, format!("GitHub user {login}")))
            .await
    }

    /// `teams/get-by-name` (`GET /orgs/{org}/teams/{team_slug}`).
    ///
    /// # Errors
    /// `NotFound` for an unknown team (or one the token cannot see).
    pub async fn team(&self, org: &str, slug: &str) -> Result<Account> {
        let url = self.url(&format!("/orgs/{}/teams/{}", seg(org), seg(slug)), &[]);
        self.json(&self.call(Method::GET, url, format!("team @{org}/{slug}")))
            .await
    }

    /// `rate-limit/get`: the core quota.
    ///
    /// # Errors
    /// `Backend` for service failures.
    pub async fn rate_limit(&self) -> Result<RateLimit> {
        let url = self.url("/rate_limit", &[]);
        self.json(&self.call(Method::GET, url, "the rate limit"))
            .await
    }
}
