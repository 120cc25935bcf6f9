//! Behaviour beyond the conformance suites: concurrent writers, commits made by hand, the
//! stored layout, refused content, error messages.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{commit_files, Fixture, Transport};
use git2::Repository;
use wo_core::files::FileTree;
use wo_core::ports::{
    ChangeProposal, CommitState, CommitStatus, ConfigStore, GitOpsRepo, ProposeOutcome, Provenance,
    SourceRepo,
};
use wo_core::testkit::{provenance, tree};
use wo_core::Error;
use wo_git::{GitConfigStore, GitOpsGitRepo, GitRepo, GitSourceRepo};

fn proposal(
    solution: &str,
    env: &str,
    base: Option<wo_core::ports::CommitId>,
    files: FileTree,
    source: &str,
) -> ChangeProposal {
    ChangeProposal {
        solution: solution.into(),
        environment: env.into(),
        base,
        files,
        title: format!("Deploy {solution} {source} to {env}"),
        body: format!("Rendered from {source}."),
        provenance: provenance(solution, env, source),
    }
}

fn shop(n: u32) -> FileTree {
    tree(&[
        ("shop/berlin-1/values.yaml", &format!("replicas: {n}\n")),
        ("shop/release.yaml", &format!("version: {n}\n")),
    ])
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Human",
            "-c",
            "user.email=human@localhost",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn statuses_from_two_writers(t: Transport) {
    let fx = Fixture::new(t);
    let path = fx.new_repo();
    let commit = commit_files(
        &path,
        "main",
        &tree(&[("wo/app.yaml", "name: shop\n")]),
        "c\n",
    );
    let a = GitSourceRepo::new(fx.backend(&path));
    let b = GitSourceRepo::new(fx.backend(&path));
    let mut tasks = Vec::new();
    for i in 0..6 {
        for (who, repo) in [("a", a.clone()), ("b", b.clone())] {
            let commit = commit.clone();
            tasks.push(tokio::spawn(async move {
                let status = CommitStatus::for_target(
                    "dev",
                    &format!("{who}-{i}"),
                    CommitState::Success,
                    format!("deployed by {who}"),
                );
                repo.set_status(&commit, status).await
            }));
        }
    }
    for t in tasks {
        t.await.expect("task").expect("set_status");
    }
    let got = a.statuses(&commit).await.expect("statuses");
    let contexts: Vec<&str> = got.iter().map(|s| s.context.as_str()).collect();
    let mut want: Vec<String> = (0..6)
        .flat_map(|i| [format!("wo/dev/a-{i}"), format!("wo/dev/b-{i}")])
        .collect();
    want.sort();
    assert_eq!(contexts, want, "no writer lost another's status");
    assert_eq!(
        b.statuses(&commit).await.expect("statuses"),
        got,
        "both instances agree"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn statuses_of_different_contexts_from_two_writers_survive_locally() {
    statuses_from_two_writers(Transport::Bare).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn statuses_of_different_contexts_from_two_writers_survive_on_a_remote() {
    statuses_from_two_writers(Transport::Daemon).await;
}

async fn two_proposers(t: Transport) {
    let fx = Fixture::new(t);
    let path = fx.new_repo();
    let a = GitOpsGitRepo::new(fx.backend(&path));
    let b = GitOpsGitRepo::new(fx.backend(&path));

    // The same pair at once: one opens, the other updates the same change request.
    let (ra, rb) = tokio::join!(
        a.propose(proposal("shop", "dev", None, shop(1), "a1")),
        b.propose(proposal("shop", "dev", None, shop(2), "b1")),
    );
    let (ra, rb) = (ra.expect("a proposes"), rb.expect("b proposes"));
    let (opened, updated) = match (&ra, &rb) {
        (ProposeOutcome::Opened(o), ProposeOutcome::Updated(u))
        | (ProposeOutcome::Updated(u), ProposeOutcome::Opened(o)) => (o.clone(), u.clone()),
        other => panic!("one opens, the other updates: {other:?}"),
    };
    assert_eq!(opened.id, updated.id, "one change request for the pair");
    let open = a
        .change_request("shop", "dev")
        .await
        .expect("change_request")
        .expect("open");
    assert_eq!(open, updated, "the later write is the open change request");
    assert_eq!(
        b.change_request("shop", "dev").await.expect("cr"),
        Some(open.clone())
    );

    // Two solutions from the same base, merged at once: one wins, the other must re-propose.
    let base = a.merge(&open).await.expect("merge");
    let pa = proposal("shop", "dev", Some(base.clone()), shop(3), "a2");
    let tools = tree(&[("tools/cron.yaml", "schedule: daily\n")]);
    let pb = proposal("tools", "dev", Some(base.clone()), tools.clone(), "t1");
    let (ca, cb) = tokio::join!(a.propose(pa), b.propose(pb));
    let ca = ca.expect("a").change_request().cloned().expect("opened");
    let cb = cb.expect("b").change_request().cloned().expect("opened");
    let (ma, mb) = tokio::join!(a.merge(&ca), b.merge(&cb));
    let (winner, loser_repo, loser) = match (&ma, &mb) {
        (Ok(h), Err(Error::Precondition { .. })) => (h.clone(), &b, cb.clone()),
        (Err(Error::Precondition { .. }), Ok(h)) => (h.clone(), &a, ca.clone()),
        other => panic!("exactly one merge wins, the other is Precondition: {other:?}"),
    };
    assert_eq!(a.head("dev").await.expect("head"), Some(winner.clone()));
    let files = loser_repo
        .read(&loser.head, &loser.solution)
        .await
        .expect("read");
    let again = loser_repo
        .propose(ChangeProposal {
            base: Some(winner.clone()),
            ..proposal(
                &loser.solution,
                "dev",
                None,
                files,
                &loser.provenance.source_commit.0,
            )
        })
        .await
        .expect("re-propose on the new head");
    let again = match again {
        ProposeOutcome::Updated(cr) => cr,
        other => panic!("re-proposing updates the loser's change request: {other:?}"),
    };
    let head = loser_repo.merge(&again).await.expect("merge");
    assert_eq!(
        a.read(&head, "shop").await.expect("read"),
        shop(3),
        "nothing lost"
    );
    assert_eq!(
        a.read(&head, "tools").await.expect("read"),
        tools,
        "nothing lost"
    );
    let history = b.history("dev", 10).await.expect("history");
    assert_eq!(history.len(), 3, "three merges, linear: {history:?}");
    assert_eq!(history[1].id, winner);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_proposals_from_two_instances_lose_nothing_locally() {
    two_proposers(Transport::Bare).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_proposals_from_two_instances_lose_nothing_on_a_remote() {
    two_proposers(Transport::Daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_proposals_from_two_instances_lose_nothing_over_http() {
    two_proposers(Transport::Http).await;
}

#[tokio::test]
async fn a_manual_push_to_an_env_branch_shows_in_history_without_provenance() {
    let fx = Fixture::new(Transport::Daemon);
    let path = fx.new_repo();
    let gitops = GitOpsGitRepo::new(fx.backend(&path));
    let p = proposal("shop", "dev", None, shop(1), "a1");
    let cr = gitops.propose(p.clone()).await.expect("propose");
    let merged = gitops
        .merge(cr.change_request().expect("opened"))
        .await
        .expect("merge");

    let clone = fx.root().join("human");
    git(
        fx.root(),
        &["clone", "-q", "-b", "dev", &fx.url(&path), "human"],
    );
    std::fs::write(clone.join("NOTES.md"), "hand-written\n").expect("write");
    git(&clone, &["add", "NOTES.md"]);
    git(&clone, &["commit", "-q", "-m", "A note by hand"]);
    git(&clone, &["push", "-q", "origin", "dev"]);
    let manual = git(&clone, &["rev-parse", "HEAD"]).trim().to_string();

    let history = gitops.history("dev", 10).await.expect("history");
    assert_eq!(
        history[0].id.as_str(),
        manual,
        "the manual commit is the newest"
    );
    assert_eq!(history[0].provenance, None, "no trailers, no provenance");
    assert_eq!(history[0].message, "A note by hand\n");
    assert_eq!(history[1].id, merged);
    assert_eq!(history[1].provenance.as_ref(), Some(&p.provenance));

    // A proposal computed before the push is stale; on the new head it keeps the note.
    let stale = gitops
        .propose(proposal("shop", "dev", Some(merged), shop(2), "a2"))
        .await;
    assert!(
        matches!(stale, Err(Error::Precondition { .. })),
        "{stale:?}"
    );
    let head = gitops.head("dev").await.expect("head");
    assert_eq!(head.as_ref().map(|h| h.as_str()), Some(manual.as_str()));
    let cr = gitops
        .propose(proposal("shop", "dev", head, shop(2), "a2"))
        .await
        .expect("propose");
    let merged = gitops
        .merge(cr.change_request().expect("opened"))
        .await
        .expect("merge");
    let all = GitConfigStore::new(fx.backend(&path))
        .read(&merged)
        .await
        .expect("read all");
    assert_eq!(all.text("NOTES.md").expect("utf8"), Some("hand-written\n"));
}

#[tokio::test]
async fn merged_commits_carry_trailers_that_git_itself_reads() {
    let fx = Fixture::new(Transport::FileUrl);
    let path = fx.new_repo();
    let gitops = GitOpsGitRepo::new(fx.backend(&path));
    let mut p = proposal("shop", "dev", None, shop(1), "a1");
    p.provenance.promotable = false;
    p.provenance.rollback_of = Some("5b4c000".into());
    let cr = gitops.propose(p.clone()).await.expect("propose");
    let head = gitops
        .merge(cr.change_request().expect("opened"))
        .await
        .expect("merge");
    let newest = &gitops.history("dev", 1).await.expect("history")[0];
    assert_eq!(
        newest.message,
        p.provenance.commit_message(&p.title, &p.body),
        "message as built"
    );
    assert_eq!(
        Provenance::from_message(&newest.message),
        Some(p.provenance.clone())
    );

    let trailers = git(
        &path,
        &[
            "log",
            "-1",
            "--format=%(trailers:only,unfold)",
            head.as_str(),
        ],
    );
    assert_eq!(
        trailers,
        p.provenance.to_trailers() + "\n",
        "git parses the same trailers"
    );
}

#[tokio::test]
async fn the_stored_layout_is_the_documented_one() {
    let fx = Fixture::new(Transport::Bare);
    let path = fx.new_repo();
    let gitops = GitOpsGitRepo::new(fx.backend(&path));
    let cr = gitops
        .propose(proposal("shop", "dev", None, shop(1), "a1"))
        .await
        .expect("propose");
    let cr = cr.change_request().cloned().expect("opened");
    assert_eq!(cr.id, "wo/dev/shop#1");
    let repo = Repository::open(&path).expect("open");
    let branch = repo
        .refname_to_id("refs/heads/wo/dev/shop")
        .expect("cr branch");
    assert_eq!(
        branch.to_string(),
        cr.head.as_str(),
        "the branch shows the head"
    );
    let record = repo
        .find_reference("refs/wo/changes/dev/shop")
        .and_then(|r| r.peel_to_commit())
        .expect("record");
    assert_eq!(
        record.parent_id(0).map(|p| p.to_string()).ok().as_deref(),
        Some(cr.head.as_str()),
        "the first record has the head as its only parent"
    );
    let blob = record
        .tree()
        .and_then(|t| {
            t.get_path(Path::new("change.json"))
                .and_then(|e| e.to_object(&repo))
        })
        .and_then(|o| o.peel_to_blob())
        .expect("change.json");
    let json: serde_json::Value = serde_json::from_slice(blob.content()).expect("json");
    assert_eq!(json["state"], "open");
    assert_eq!(json["head"], cr.head.as_str());
    assert_eq!(json["base"], serde_json::Value::Null);
    assert_eq!(json["url"], serde_json::Value::Null);
    assert_eq!(json["provenance"]["sourceCommit"], "a1");

    // Merged: the env branch is the head, the record says so, a new change gets number 2.
    let head = gitops.merge(&cr).await.expect("merge");
    assert_eq!(
        head, cr.head,
        "a fast-forward: the proposal's commit is merged as is"
    );
    let next = gitops
        .propose(proposal("shop", "dev", Some(head), shop(2), "a2"))
        .await
        .expect("propose");
    assert_eq!(next.change_request().expect("opened").id, "wo/dev/shop#2");
    let states: Vec<String> = {
        let mut walk = repo.revwalk().expect("walk");
        walk.push_ref("refs/wo/changes/dev/shop").expect("push");
        walk.simplify_first_parent().expect("first parent");
        walk.map(|id| {
            repo.find_commit(id.expect("id"))
                .expect("commit")
                .summary()
                .unwrap_or("")
                .to_string()
        })
        .take_while(|summary| summary.starts_with("wo: change request"))
        .collect()
    };
    assert_eq!(
        states,
        [
            "wo: change request wo/dev/shop#2 open",
            "wo: change request wo/dev/shop#1 merged",
            "wo: change request wo/dev/shop#1 open"
        ],
        "the record is a chain, newest first"
    );
}

#[tokio::test]
async fn a_work_tree_is_never_touched() {
    let fx = Fixture::new(Transport::WorkTree);
    let path = fx.new_repo();
    std::fs::write(path.join("local.txt"), "mine\n").expect("write");
    let gitops = GitOpsGitRepo::new(fx.backend(&path));
    let cr = gitops
        .propose(proposal("shop", "dev", None, shop(1), "a1"))
        .await
        .expect("propose");
    gitops
        .merge(cr.change_request().expect("opened"))
        .await
        .expect("merge");
    let mut entries: Vec<String> = std::fs::read_dir(&path)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, [".git", "local.txt"], "no file checked out");
    assert!(!path.join(".git/index").exists(), "no index written");
    assert_eq!(
        std::fs::read_to_string(path.join("local.txt")).expect("read"),
        "mine\n"
    );
}

#[tokio::test]
async fn unknown_names_are_not_found_naming_repo_and_ref() {
    let fx = Fixture::new(Transport::Daemon);
    let path = fx.new_repo();
    let id = commit_files(&path, "dev", &tree(&[("values.yaml", "a: 1\n")]), "c\n");
    let url = fx.url(&path);

    let config = GitConfigStore::new(fx.backend(&path));
    match config.head("prod").await {
        Err(Error::NotFound { what, .. }) => {
            assert!(what.contains("refs/heads/prod"), "{what}");
            assert!(what.contains(&url), "{what}");
        }
        other => panic!("unknown env is NotFound: {other:?}"),
    }
    assert_eq!(config.head("dev").await.expect("head"), id);

    let source = GitSourceRepo::new(fx.backend(&path));
    match source.resolve("v9.9").await {
        Err(Error::NotFound { what, .. }) => {
            assert!(what.contains("v9.9") && what.contains(&url), "{what}")
        }
        other => panic!("unknown rev is NotFound: {other:?}"),
    }
    let gitops = GitOpsGitRepo::new(fx.backend(&path));
    assert_eq!(
        gitops.head("prod").await.expect("head"),
        None,
        "gitops: no branch is None"
    );
    let r = gitops.head("wo").await;
    assert!(
        matches!(r, Err(Error::Invalid(_))),
        "`wo` is reserved: {r:?}"
    );
}

#[tokio::test]
async fn revisions_resolve_by_tag_and_short_id() {
    let fx = Fixture::new(Transport::FileUrl);
    let path = fx.new_repo();
    let id = commit_files(&path, "main", &tree(&[("wo/app.yaml", "a\n")]), "c\n");
    git(&path, &["tag", "-a", "-m", "release", "v1.0", id.as_str()]);
    let source = GitSourceRepo::new(fx.backend(&path));
    assert_eq!(
        source.resolve("v1.0").await.expect("tag"),
        id,
        "annotated tags are peeled"
    );
    assert_eq!(source.resolve(id.short()).await.expect("short"), id);
    assert_eq!(source.resolve(id.as_str()).await.expect("full"), id);
}

#[tokio::test]
async fn links_submodules_and_huge_files_are_refused_by_path() {
    let fx = Fixture::new(Transport::Bare);
    let path = fx.new_repo();
    let repo = Repository::open(&path).expect("open");
    let sig = git2::Signature::now("t", "t@localhost").expect("sig");
    let commit_with = |name: &str, oid: git2::Oid, mode: i32| {
        let mut wo = repo.treebuilder(None).expect("tb");
        wo.insert("app.yaml", repo.blob(b"a\n").expect("blob"), 0o100644)
            .expect("insert");
        wo.insert(name, oid, mode).expect("insert");
        let wo = wo.write().expect("write");
        let mut root = repo.treebuilder(None).expect("tb");
        root.insert("wo", wo, 0o040000).expect("insert");
        root.insert("README", repo.blob(b"r\n").expect("blob"), 0o100644)
            .expect("insert");
        let tree = repo.find_tree(root.write().expect("write")).expect("tree");
        repo.commit(None, &sig, &sig, "c", &tree, &[])
            .expect("commit")
            .to_string()
    };
    let link = commit_with(
        "link.yaml",
        repo.blob(b"../etc/passwd").expect("blob"),
        0o120000,
    );
    let sub = commit_with("vendor", repo.blob(b"x").expect("blob"), 0o160000);
    let huge = commit_with(
        "big.bin",
        repo.blob(&vec![b'x'; (8 << 20) + 1]).expect("blob"),
        0o100644,
    );
    let source = GitSourceRepo::new(fx.backend(&path));
    for (commit, file, words) in [
        (link, "wo/link.yaml", "symbolic link"),
        (sub, "wo/vendor", "submodule"),
        (huge, "wo/big.bin", "limit"),
    ] {
        let r = source
            .read_tree(&commit.clone().into(), &["wo".into()])
            .await;
        let err = r.expect_err("refused");
        let d = &err.diagnostics()[0];
        assert_eq!(d.location.file, file, "names the path: {err}");
        assert!(
            d.message.contains(words) && d.message.contains(&commit),
            "{err}"
        );
        let readme = source.read_tree(&commit.into(), &["README".into()]).await;
        assert!(readme.expect("a file is not a dir").is_empty());
    }
}

#[tokio::test]
async fn an_unreachable_remote_is_a_retryable_backend_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port(); // closed again: nobody listens there
    let cache = tempfile::TempDir::new().expect("tmp");
    let config = GitConfigStore::new(
        GitRepo::open(&format!("git://127.0.0.1:{port}/x.git"))
            .expect("url")
            .with_cache_dir(cache.path()),
    );
    match config.head("dev").await {
        Err(e @ Error::Backend { .. }) => {
            assert!(e.is_retryable(), "{e}");
            assert!(
                e.to_string().contains(&port.to_string()),
                "names the remote: {e}"
            );
        }
        other => panic!("unreachable remote is Backend: {other:?}"),
    }
}

#[tokio::test]
async fn a_local_path_that_does_not_exist_is_bad_input_naming_it() {
    let dir = tempfile::TempDir::new().expect("tmp");
    let missing = dir.path().join("nothing-here");
    let source = GitSourceRepo::open(&missing.display().to_string()).expect("path");
    match source.resolve("main").await {
        Err(Error::Invalid(d)) => assert!(
            d.to_string().contains("nothing-here") && d.to_string().contains("does not exist"),
            "{d}"
        ),
        other => panic!("a missing path is the user's input, not a missing object: {other:?}"),
    }
    // Object-safe: the backend serves where the port is expected.
    let port: Arc<dyn GitOpsRepo> =
        Arc::new(GitOpsGitRepo::open(&missing.display().to_string()).expect("path"));
    assert!(
        matches!(port.head("dev").await, Err(Error::Invalid(_))),
        "every port reports the missing repository as bad input"
    );
}

#[tokio::test]
async fn a_merge_commit_made_by_git_names_the_change_request_it_merged() {
    let fx = Fixture::new(Transport::FileUrl);
    let path = fx.new_repo();
    let gitops = GitOpsGitRepo::new(fx.backend(&path));
    let first = gitops
        .propose(proposal("shop", "dev", None, shop(1), "a1"))
        .await
        .expect("propose");
    let base = gitops
        .merge(first.change_request().expect("opened"))
        .await
        .expect("merge");
    let p = proposal("shop", "dev", Some(base.clone()), shop(2), "a2");
    let cr = gitops.propose(p.clone()).await.expect("propose");
    let cr = cr.change_request().expect("opened").clone();

    // A person (or a host's merge button) merges the change branch with a merge commit:
    // two parents, the host's message, no trailers; then one more with an edit inside it.
    let repo = Repository::open(&path).expect("open");
    let oid = |id: &wo_core::ports::CommitId| git2::Oid::from_str(id.as_str()).expect("oid");
    let env_head = repo.find_commit(oid(&base)).expect("env head");
    let change = repo.find_commit(oid(&cr.head)).expect("change head");
    let sig = git2::Signature::now("Human", "human@localhost").expect("sig");
    let message = "Merge pull request #2 from acme/wo/dev/shop\n\nshop: dev ← source a2\n";
    let merge = repo
        .commit(
            Some("refs/heads/dev"),
            &sig,
            &sig,
            message,
            &change.tree().expect("tree"),
            &[&env_head, &change],
        )
        .expect("merge commit");
    let merge = wo_core::ports::CommitId::new(merge.to_string());

    let history = gitops.history("dev", 2).await.expect("history");
    assert_eq!(history[0].id, merge);
    assert_eq!(
        history[0].provenance, None,
        "a merge commit carries no trailers"
    );
    assert_eq!(history[1].id, base, "history follows first parents");
    let origin = gitops
        .merged_from("dev", &merge)
        .await
        .expect("merged_from")
        .expect("the merged change request's commit");
    assert_eq!(origin.id, cr.head);
    assert_eq!(origin.provenance.as_ref(), Some(&p.provenance));
    assert_eq!(
        origin.tree, history[0].tree,
        "the merge's tree is the proposal's"
    );
    assert_eq!(
        gitops.merged_from("dev", &base).await.expect("merged_from"),
        None,
        "wo's fast-forward merge is the change's own commit"
    );

    // A merge whose tree was edited: still named (the pipeline compares the trees).
    let edited = {
        let mut b = repo
            .treebuilder(Some(&change.tree().expect("tree")))
            .expect("builder");
        let blob = repo.blob(b"by hand\n").expect("blob");
        b.insert("NOTES.md", blob, 0o100644).expect("insert");
        repo.find_tree(b.write().expect("write")).expect("tree")
    };
    let merge_commit = repo.find_commit(oid(&merge)).expect("merge");
    let tampered = repo
        .commit(
            Some("refs/heads/dev"),
            &sig,
            &sig,
            "Merge pull request #2 (edited)\n",
            &edited,
            &[&merge_commit, &change],
        )
        .expect("tampered merge");
    let tampered = wo_core::ports::CommitId::new(tampered.to_string());
    let named = gitops
        .merged_from("dev", &tampered)
        .await
        .expect("merged_from")
        .expect("named");
    let listed = &gitops.history("dev", 1).await.expect("history")[0];
    assert_eq!(named.id, cr.head);
    assert_ne!(named.tree, listed.tree, "the trees differ");
    let unknown = gitops
        .merged_from(
            "dev",
            &wo_core::ports::CommitId::new(wo_core::testkit::UNKNOWN_COMMIT),
        )
        .await;
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
}
