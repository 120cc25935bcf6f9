//! The wo-core conformance suites for the GitHub ports, against any GitHub-compatible server
//! that can hand out fresh repositories (the project's fake GitHub, a GitHub Enterprise test
//! instance).
//!
//! The harnesses seed repositories only through the REST API (Git Data API: blobs, one tree,
//! one commit, a ref per seeded commit), so they need nothing from a server but the
//! operations of `shared/specs/github/subset-operations.txt` and a [`GitHubServer`] that makes
//! empty repositories. `against_the_fake` runs the three suites against the
//! project's fake GitHub on 127.0.0.1, one fake per suite and a fresh repository per harness
//! call.
#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use wo_core::files::FileTree;
use wo_core::ports::{CommitId, ConfigChanges, GitOpsRepo, SourceRepo};
use wo_core::testkit::{ConfigHarness, GitOpsHarness, Seed, SourceHarness};
use wo_github::client::{GitHub, NewTreeEntry, RepoId};
use wo_github::repos::{GitHubConfigStore, GitHubGitOpsRepo, GitHubRepo, GitHubSourceRepo};

/// A GitHub-compatible server that makes fresh, empty repositories.
#[async_trait]
pub trait GitHubServer: Send + Sync {
    /// A client for the server (base URL and token set).
    fn client(&self) -> GitHub;
    /// A new repository without any commit or ref.
    async fn fresh_repo(&self) -> RepoId;
}

/// Commits `tree` as the new head of `branch`: blobs, one tree, one commit whose parent is the
/// branch's head (if any), then the ref created or moved (fast-forward).
async fn commit_tree(gh: &GitHub, repo: &RepoId, branch: &str, tree: &FileTree) -> CommitId {
    let parent = gh
        .get_ref(repo, &format!("heads/{branch}"))
        .await
        .expect("read ref")
        .map(|r| r.object.sha);
    let mut entries = Vec::new();
    for (path, bytes) in tree.iter() {
        let sha = gh.create_blob(repo, bytes).await.expect("create blob");
        entries.push(NewTreeEntry::file(path, sha));
    }
    let new_tree = gh
        .create_tree(repo, None, &entries)
        .await
        .expect("create tree");
    let parents: Vec<String> = parent.iter().cloned().collect();
    let commit = gh
        .create_commit(repo, &format!("seed {branch}\n"), &new_tree.sha, &parents)
        .await
        .expect("create commit");
    match parent {
        Some(_) => {
            gh.update_ref(repo, &format!("heads/{branch}"), &commit.sha)
                .await
                .expect("move ref");
        }
        None => {
            gh.create_ref(repo, &format!("refs/heads/{branch}"), &commit.sha)
                .await
                .expect("create ref");
        }
    }
    CommitId::new(commit.sha)
}

async fn seed(server: &dyn GitHubServer, commits: Seed) -> (GitHubRepo, Vec<CommitId>) {
    let gh = server.client();
    let repo = server.fresh_repo().await;
    let mut ids = Vec::new();
    for (branch, tree) in &commits {
        ids.push(commit_tree(&gh, &repo, branch, tree).await);
    }
    (GitHubRepo::new(gh, repo), ids)
}

/// The harnesses of the three ports on one server.
pub struct GitHubHarness<S: GitHubServer>(pub S);

#[async_trait]
impl<S: GitHubServer> SourceHarness for GitHubHarness<S> {
    async fn seeded(&self, commits: Seed) -> (Arc<dyn SourceRepo>, Vec<CommitId>) {
        let (repo, ids) = seed(&self.0, commits).await;
        (Arc::new(GitHubSourceRepo::new(repo)), ids)
    }
}

#[async_trait]
impl<S: GitHubServer> ConfigHarness for GitHubHarness<S> {
    async fn seeded(&self, commits: Seed) -> (Arc<dyn ConfigChanges>, Vec<CommitId>) {
        let (repo, ids) = seed(&self.0, commits).await;
        (Arc::new(GitHubConfigStore::new(repo)), ids)
    }
}

#[async_trait]
impl<S: GitHubServer> GitOpsHarness for GitHubHarness<S> {
    async fn fresh(&self) -> Arc<dyn GitOpsRepo> {
        let repo = GitHubRepo::new(self.0.client(), self.0.fresh_repo().await);
        Arc::new(GitHubGitOpsRepo::new(repo))
    }
}

/// Runs the three suites on `server`.
pub async fn run_all<S: GitHubServer>(server: S) {
    let h = GitHubHarness(server);
    wo_core::testkit::source_repo_conformance(&h).await;
    wo_core::testkit::config_store_conformance(&h).await;
    wo_core::testkit::config_changes_conformance(&h).await;
    wo_core::testkit::gitops_repo_conformance(&h).await;
}

mod against_the_fake {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use wo_github::client::{GitHub, RepoId};
    use wo_github_fake::{
        Access, FakeGitHub, Permission, Repositories, SecondaryRateLimits, TokenSpec,
    };

    use super::GitHubServer;

    /// The fake GitHub; every `fresh_repo` is a new repository of owner `conformance`.
    struct Fake {
        github: FakeGitHub,
        next: AtomicUsize,
    }

    impl Fake {
        async fn start() -> Self {
            let github = FakeGitHub::start().await.expect("start the fake GitHub");
            // The suites send more than GitHub's 80 writes a minute from one token, without
            // pauses: a test's pace, not a client's.
            github.set_secondary_rate_limits(SecondaryRateLimits::UNLIMITED);
            Self {
                github,
                next: AtomicUsize::new(1),
            }
        }
    }

    #[async_trait]
    impl GitHubServer for Fake {
        fn client(&self) -> GitHub {
            GitHub::builder()
                .base_url(self.github.base_url())
                // An installation token of a "wo" App on the owner's repositories.
                .token(
                    self.github.issue_token(
                        TokenSpec::app("wo", Repositories::Owner("conformance".into()))
                            .permission(Permission::Contents, Access::Write)
                            .permission(Permission::PullRequests, Access::Write)
                            .permission(Permission::Statuses, Access::Write)
                            .permission(Permission::Checks, Access::Write)
                            .permission(Permission::Actions, Access::Write),
                    ),
                )
                .build()
                .expect("client for the fake GitHub")
        }

        async fn fresh_repo(&self) -> RepoId {
            let name = format!("repo{}", self.next.fetch_add(1, Ordering::Relaxed));
            self.github.create_repo("conformance", &name);
            let id = RepoId::new("conformance", name);
            // The fake starts repositories with `main`; the harness wants no ref at all.
            self.client()
                .delete_ref(&id, "heads/main")
                .await
                .expect("delete main");
            id
        }
    }

    #[tokio::test]
    async fn source_repo_conformance() {
        let h = super::GitHubHarness(Fake::start().await);
        wo_core::testkit::source_repo_conformance(&h).await;
    }

    #[tokio::test]
    async fn config_store_conformance() {
        let h = super::GitHubHarness(Fake::start().await);
        wo_core::testkit::config_store_conformance(&h).await;
    }

    #[tokio::test]
    async fn config_changes_conformance() {
        let h = super::GitHubHarness(Fake::start().await);
        wo_core::testkit::config_changes_conformance(&h).await;
    }

    #[tokio::test]
    async fn gitops_repo_conformance() {
        let h = super::GitHubHarness(Fake::start().await);
        wo_core::testkit::gitops_repo_conformance(&h).await;
    }
}
