//! How a change's files reach GitHub: new text files inside `git/create-tree` requests (GitHub
//! writes their blobs), split over several requests by size, each on the tree before;
//! `git/create-blob` only for bytes that are not UTF-8; and a change cut between two tree
//! requests finished by a rerun. Against the fake GitHub, which stores real git objects, so the
//! branch's bytes are checked, not just the requests.

use std::collections::BTreeMap;

use wo_core::files::FileTree;
use wo_core::ports::{ChangeProposal, CommitId, GitOpsRepo, ProposeOutcome};
use wo_github::client::{GitHub, RepoId, RetryPolicy};
use wo_github::repos::{GitHubGitOpsRepo, GitHubRepo, MAX_TREE_REQUEST_BYTES};
use wo_github_fake::FakeGitHub;

const OWNER: &str = "octo";
const NAME: &str = "gitops";
const ENV: &str = "dev";

async fn fake() -> FakeGitHub {
    let github = FakeGitHub::start().await.expect("start the fake GitHub");
    github.create_repo(OWNER, NAME);
    github.push_files(
        OWNER,
        NAME,
        ENV,
        &[("tools/cron.yaml", Some("daily\n"))],
        "Start dev",
    );
    github
}

fn port(github: &FakeGitHub, tree_request_bytes: usize) -> GitHubGitOpsRepo {
    let client = GitHub::builder()
        .base_url(github.base_url())
        .token(github.admin_token())
        .retry(RetryPolicy::never())
        .build()
        .expect("client");
    GitHubGitOpsRepo::new(GitHubRepo::new(client, RepoId::new(OWNER, NAME)))
        .with_tree_request_bytes(tree_request_bytes)
}

/// `n` targets' manifests (about 300 bytes each), one shared by every target, and one file
/// that is not UTF-8.
fn files(n: usize, version: u32) -> FileTree {
    let mut t = FileTree::new();
    for i in 0..n {
        t.insert(
            format!("shop/t{i:03}/manifests.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n  namespace: t{i:03}\n  labels: {{version: \"{version}\"}}\nspec:\n  replicas: {}\n  template:\n    spec:\n      containers:\n        - name: shop\n          image: registry.example.com/shop:1.{version}.0\n          env: [{{name: LOG, value: \"info\\u00e9 \\\"quoted\\\"\"}}]\n",
                1 + i % 3
            ),
        )
        .unwrap();
        t.insert(format!("shop/t{i:03}/common.yaml"), "shared: true\n")
            .unwrap();
    }
    t.insert(
        "shop/logo.bin",
        vec![0x89, b'P', b'N', b'G', 0xff, 0x00, 0xfe],
    )
    .unwrap();
    t
}

fn proposal(base: Option<String>, files: FileTree, source: &str) -> ChangeProposal {
    ChangeProposal {
        solution: "shop".into(),
        environment: ENV.into(),
        base: base.map(CommitId::new),
        files,
        title: format!("Deploy shop {source} to {ENV}"),
        body: String::new(),
        provenance: wo_core::testkit::provenance("shop", ENV, source),
    }
}

fn write_ops(github: &FakeGitHub) -> Vec<String> {
    github
        .writes()
        .iter()
        .map(|w| w.operation.unwrap_or("?").to_string())
        .collect()
}

/// The change's files as the change branch holds them, bytes exact.
async fn written(port: &GitHubGitOpsRepo, outcome: &ProposeOutcome) -> BTreeMap<String, Vec<u8>> {
    let head = match outcome {
        ProposeOutcome::Opened(cr) | ProposeOutcome::Updated(cr) => cr.head.clone(),
        other => panic!("expected a written change, got {other:?}"),
    };
    port.read(&head, "shop")
        .await
        .expect("read the change")
        .iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect()
}

fn bytes(t: &FileTree) -> BTreeMap<String, Vec<u8>> {
    t.iter().map(|(p, b)| (p.to_string(), b.to_vec())).collect()
}

#[tokio::test]
async fn text_files_ride_inside_one_tree_request_and_only_binary_bytes_are_a_blob() {
    let github = fake().await;
    let port = port(&github, MAX_TREE_REQUEST_BYTES);
    let base = github.branch_sha(OWNER, NAME, ENV);
    let want = files(200, 1);
    let outcome = port
        .propose(proposal(base, want.clone(), "a1"))
        .await
        .expect("propose");
    assert_eq!(
        write_ops(&github),
        [
            "git/create-blob",
            "git/create-tree",
            "git/create-commit",
            "git/create-ref",
            "pulls/create"
        ],
        "401 files: one blob (the binary file), one tree request with the 400 text files"
    );
    assert_eq!(
        written(&port, &outcome).await,
        bytes(&want),
        "GitHub's blobs of the inline texts are the bytes wo computed ids for"
    );
}

#[tokio::test]
async fn a_change_over_the_request_limit_is_split_over_trees_each_on_the_one_before() {
    let github = fake().await;
    // 8 KiB a request: about 20 manifests each.
    let port = port(&github, 8 << 10);
    let base = github.branch_sha(OWNER, NAME, ENV);
    let want = files(200, 1);
    let outcome = port
        .propose(proposal(base.clone(), want.clone(), "a1"))
        .await
        .expect("propose");
    let trees = github.request_count("git/create-tree");
    // 200 entries of ~450 bytes of JSON (a manifest with its path) and 200 of ~100 (the
    // shared file: its content once, then its blob id): ~110 KB in 8 KiB requests.
    assert!(
        (12..=16).contains(&trees),
        "about 110 KB of entries in 8 KiB requests: {trees} tree requests"
    );
    assert_eq!(
        github.request_count("git/create-blob"),
        1,
        "the binary file"
    );
    assert_eq!(written(&port, &outcome).await, bytes(&want));
    let tree = github
        .read_tree(OWNER, NAME, "wo/dev/shop")
        .expect("change branch");
    assert_eq!(
        tree.get("tools/cron.yaml").map(String::as_str),
        Some("daily\n"),
        "the first tree request stands on the env branch's tree"
    );

    // The same content again writes nothing; a change of every manifest costs about the same
    // number of tree requests.
    let writes = github.writes().len();
    let again = port
        .propose(proposal(base.clone(), want.clone(), "a1"))
        .await
        .expect("propose again");
    assert!(matches!(again, ProposeOutcome::Unchanged(_)), "{again:?}");
    assert_eq!(github.writes().len(), writes);
    let next = files(200, 2);
    let outcome = port
        .propose(proposal(base, next.clone(), "a2"))
        .await
        .expect("propose a2");
    assert_eq!(
        github.request_count("git/create-blob"),
        2,
        "the binary file again: only the env branch's tree is known for a new source"
    );
    assert!(github.request_count("git/create-tree") <= 2 * trees + 1);
    assert_eq!(written(&port, &outcome).await, bytes(&next));
}

#[tokio::test]
async fn a_change_cut_between_two_tree_requests_is_finished_by_the_rerun() {
    let github = fake().await;
    let port = port(&github, 8 << 10);
    let base = github.branch_sha(OWNER, NAME, ENV);
    let want = files(100, 1);

    // The third tree request never reaches GitHub: the process died there.
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    github.gate_writes(move |w| {
        w.operation != Some("git/create-tree")
            || counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) != 2
    });
    let cut = port
        .propose(proposal(base.clone(), want.clone(), "a1"))
        .await
        .expect_err("cut at the third tree request");
    assert!(
        cut.is_retryable() || matches!(cut, wo_core::Error::Backend { .. }),
        "{cut:?}"
    );
    assert_eq!(github.request_count("git/create-tree"), 2);
    assert!(
        github.pulls(OWNER, NAME).is_empty(),
        "nothing a reviewer sees"
    );
    assert_eq!(
        github.branch_sha(OWNER, NAME, ENV),
        base,
        "the env branch is untouched"
    );

    github.ungate_writes();
    let outcome = port
        .propose(proposal(base, want.clone(), "a1"))
        .await
        .expect("the rerun");
    assert!(matches!(outcome, ProposeOutcome::Opened(_)), "{outcome:?}");
    assert_eq!(written(&port, &outcome).await, bytes(&want));
    assert_eq!(github.pulls(OWNER, NAME).len(), 1);
}
