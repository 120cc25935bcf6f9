//! Test fixtures: repositories in temp dirs reached four ways (work tree, bare, `file://`, a
//! `git daemon` on loopback), seeded with git2 directly, and the conformance harnesses.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use git2::{Repository, Signature};
use tempfile::TempDir;
use wo_core::files::FileTree;
use wo_core::ports::{CommitId, ConfigChanges, GitOpsRepo, SourceRepo};
use wo_core::testkit::{
    ConfigHarness, GitOpsHarness, KillSwitch, RecoveryHarness, RecoverySeed, RecoveryWorld, Seed,
    SourceHarness, StateProbe,
};
use wo_git::{GitConfigStore, GitLocation, GitOpsGitRepo, GitRepo, GitSourceRepo};
use wo_test_support::git::{GitDaemon, GitHttpBackend};

/// How the backend reaches the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A local path to a repository with a work tree.
    WorkTree,
    /// A local path to a bare repository.
    Bare,
    /// A `file://` URL (cache clone, fetch, push).
    FileUrl,
    /// `git://127.0.0.1:PORT/…` served by `git daemon`.
    Daemon,
    /// `http://127.0.0.1:PORT/…` served by `git http-backend` behind a test HTTP server.
    Http,
}

/// Repositories for one test, reached through one transport.
pub struct Fixture {
    pub transport: Transport,
    root: TempDir,
    next: AtomicUsize,
    daemon: Option<GitDaemon>,
    http: Option<GitHttpBackend>,
}

impl Fixture {
    pub fn new(transport: Transport) -> Arc<Fixture> {
        let root = TempDir::new().expect("temp dir");
        std::fs::create_dir_all(root.path().join("repos")).expect("repos dir");
        let repos = root.path().join("repos");
        let daemon = (transport == Transport::Daemon).then(|| GitDaemon::start(&repos));
        let http = (transport == Transport::Http).then(|| GitHttpBackend::start(&repos));
        Arc::new(Fixture {
            transport,
            root,
            next: AtomicUsize::new(0),
            daemon,
            http,
        })
    }

    fn n(&self) -> usize {
        self.next.fetch_add(1, Ordering::SeqCst)
    }

    /// A fresh empty repository: its path on disk (for seeding and inspection).
    pub fn new_repo(&self) -> PathBuf {
        let n = self.n();
        match self.transport {
            Transport::WorkTree => {
                let path = self.root.path().join("repos").join(format!("r{n}"));
                Repository::init(&path).expect("init work tree repo");
                path
            }
            _ => {
                let path = self.root.path().join("repos").join(format!("r{n}.git"));
                Repository::init_bare(&path).expect("init bare repo");
                path
            }
        }
    }

    /// A new backend handle on the repository at `path`, with a cache dir of its own (as a
    /// separate process would have).
    pub fn backend(&self, path: &Path) -> GitRepo {
        let cache = self.root.path().join(format!("cache-{}", self.n()));
        let location = match self.transport {
            Transport::WorkTree | Transport::Bare => GitLocation::path(path),
            Transport::FileUrl => {
                GitLocation::from_url(&format!("file://{}", path.display())).expect("url")
            }
            Transport::Daemon => {
                let name = path.file_name().expect("name").to_string_lossy();
                let url = self.daemon.as_ref().expect("daemon").url(&name);
                GitLocation::from_url(&url).expect("url")
            }
            Transport::Http => {
                let name = path.file_name().expect("name").to_string_lossy();
                let url = self.http.as_ref().expect("http server").url(&name);
                GitLocation::from_url(&url).expect("url")
            }
        };
        GitRepo::new(location).with_cache_dir(cache)
    }

    /// The repository as a URL a `git` command line can clone and push.
    pub fn url(&self, path: &Path) -> String {
        match self.backend(path).location() {
            GitLocation::Url(u) => u.clone(),
            GitLocation::Path(p) => p.display().to_string(),
        }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

/// Commits `files` as the complete tree of a new commit on `branch` (child of its head).
pub fn commit_files(path: &Path, branch: &str, files: &FileTree, message: &str) -> CommitId {
    let repo = Repository::open(path).expect("open seeded repo");
    let tree = match wo_git::tree::write_tree(&repo, files).expect("write the tree") {
        Some(id) => id,
        None => repo
            .treebuilder(None)
            .and_then(|b| b.write())
            .expect("the empty tree"),
    };
    let tree = repo.find_tree(tree).expect("tree");
    let refname = format!("refs/heads/{branch}");
    let parent = repo
        .find_reference(&refname)
        .ok()
        .and_then(|r| r.peel_to_commit().ok());
    let sig = Signature::now("seed", "seed@localhost").expect("sig");
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo
        .commit(Some(&refname), &sig, &sig, message, &tree, &parents)
        .expect("commit");
    CommitId::new(oid.to_string())
}

/// The conformance harness of one transport.
pub struct Harness(pub Arc<Fixture>);

impl Harness {
    pub fn new(t: Transport) -> Self {
        Harness(Fixture::new(t))
    }

    fn seed(&self, commits: Seed) -> (PathBuf, Vec<CommitId>) {
        let path = self.0.new_repo();
        let ids = commits
            .iter()
            .enumerate()
            .map(|(i, (branch, files))| commit_files(&path, branch, files, &format!("seed {i}\n")))
            .collect();
        (path, ids)
    }
}

#[async_trait]
impl SourceHarness for Harness {
    async fn seeded(&self, commits: Seed) -> (Arc<dyn SourceRepo>, Vec<CommitId>) {
        let (path, ids) = self.seed(commits);
        (Arc::new(GitSourceRepo::new(self.0.backend(&path))), ids)
    }

    async fn seeded_with_tags(
        &self,
        commits: Seed,
        tags: Vec<(String, usize, bool)>,
    ) -> Option<(Arc<dyn SourceRepo>, Vec<CommitId>)> {
        let (path, ids) = self.seed(commits);
        let repo = Repository::open(&path).expect("open seeded repo");
        let sig = Signature::now("seed", "seed@localhost").expect("sig");
        for (name, i, annotated) in tags {
            let target = repo
                .find_object(git2::Oid::from_str(ids[i].as_str()).expect("oid"), None)
                .expect("seeded commit");
            if annotated {
                repo.tag(&name, &target, &sig, "release\n", false)
            } else {
                repo.tag_lightweight(&name, &target, false)
            }
            .expect("tag");
        }
        Some((Arc::new(GitSourceRepo::new(self.0.backend(&path))), ids))
    }
}

#[async_trait]
impl ConfigHarness for Harness {
    async fn seeded(&self, commits: Seed) -> (Arc<dyn ConfigChanges>, Vec<CommitId>) {
        let (path, ids) = self.seed(commits);
        (Arc::new(GitConfigStore::new(self.0.backend(&path))), ids)
    }
}

#[async_trait]
impl GitOpsHarness for Harness {
    async fn fresh(&self) -> Arc<dyn GitOpsRepo> {
        let path = self.0.new_repo();
        Arc::new(GitOpsGitRepo::new(self.0.backend(&path)))
    }
}

#[async_trait]
impl RecoveryHarness for Harness {
    /// Every ref update of the source and gitops repos (a status, a change record, a change
    /// branch, an env branch) consults the switch first, through the ref-update hook.
    async fn world(&self, seed: RecoverySeed, switch: KillSwitch) -> RecoveryWorld {
        let (source_path, source_commits) = self.seed(seed.source);
        let (app_path, _) = self.seed(seed.app_config);
        let (platform_path, _) = self.seed(seed.platform_config);
        let gitops_path = self.0.new_repo();
        let cut = |repo: GitRepo| {
            let switch = switch.clone();
            repo.with_ref_update_hook(move |name| switch.before_write(&format!("ref {name}")))
        };
        RecoveryWorld {
            source: Arc::new(GitSourceRepo::new(cut(self.0.backend(&source_path)))),
            source_commits,
            app_config: Arc::new(GitConfigStore::new(self.0.backend(&app_path))),
            platform_config: Arc::new(GitConfigStore::new(self.0.backend(&platform_path))),
            gitops: Arc::new(GitOpsGitRepo::new(cut(self.0.backend(&gitops_path)))),
            probe: Some(Arc::new(GitOpsRefs(gitops_path))),
        }
    }
}

/// What the gitops repo stores beyond the port, read from disk: per pair, the chain of change
/// records (state and number of each) and whether the change branch is at the record's head.
pub struct GitOpsRefs(pub PathBuf);

#[async_trait]
impl StateProbe for GitOpsRefs {
    async fn facts(&self) -> Vec<String> {
        let repo = Repository::open(&self.0).expect("open the gitops repo");
        let mut facts = Vec::new();
        for env in ["dev", "stage"] {
            let record = format!("refs/wo/changes/{env}/shop");
            let Ok(head) = repo.refname_to_id(&record) else {
                facts.push(format!("{record}: none"));
                continue;
            };
            let mut chain = Vec::new();
            let mut next = repo.find_commit(head).ok();
            while let Some(c) = next {
                let summary = c.summary().unwrap_or("").to_string();
                if !summary.starts_with("wo: change request") {
                    break;
                }
                chain.push(summary);
                next = (c.parent_count() > 1).then(|| c.parent(0).ok()).flatten();
            }
            facts.push(format!("{record}: {}", chain.join(" < ")));
            let tip = repo.find_commit(head).expect("record");
            let json = tip
                .tree()
                .ok()
                .and_then(|t| t.get_name("change.json").map(|e| e.id()))
                .and_then(|id| repo.find_blob(id).ok())
                .map(|b| serde_json::from_slice::<serde_json::Value>(b.content()).expect("json"))
                .expect("change.json");
            let branch = repo
                .refname_to_id(&format!("refs/heads/wo/{env}/shop"))
                .map(|o| o.to_string())
                .ok();
            facts.push(format!(
                "refs/heads/wo/{env}/shop at the record's head: {}",
                branch.as_deref() == json["head"].as_str()
            ));
        }
        facts
    }
}
