//! A rollout on GitHub end to end through the pipeline: every repository on the fake GitHub,
//! each run of `deploy_rollout` leaves the same one comment on the pull request that made the
//! release, edited in place.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use wo_core::memory::{InMemoryOrchestrator, InMemoryRenderer};
use wo_core::pipeline::{Event, Pipeline, Ports, Settings, SourceChoice};
use wo_core::ports::CommitId;
use wo_core::rollout::{Decision, Timestamp, WavePhase};
use wo_core::testkit::recovery_seed;
use wo_github::client::{GitHub, RepoId};
use wo_github::repos::{GitHubConfigStore, GitHubGitOpsRepo, GitHubRepo, GitHubSourceRepo};
use wo_github_fake::{Access, FakeGitHub, Permission, Repositories, TokenSpec};

const OWNER: &str = "octo";

fn repo(github: &FakeGitHub, name: &str) -> GitHubRepo {
    let client = GitHub::builder()
        .base_url(github.base_url())
        .token(
            github.issue_token(
                TokenSpec::app("wo", Repositories::Owner(OWNER.into()))
                    .permission(Permission::Contents, Access::Write)
                    .permission(Permission::PullRequests, Access::Write)
                    .permission(Permission::Statuses, Access::Write),
            ),
        )
        .build()
        .expect("client for the fake GitHub");
    GitHubRepo::new(client, RepoId::new(OWNER, name))
}

/// `owner/name` holding `seed`, each commit's files written on its branch; the commits.
fn seed(github: &FakeGitHub, name: &str, seed: &wo_core::testkit::Seed) -> Vec<CommitId> {
    github.create_repo(OWNER, name);
    seed.iter()
        .map(|(branch, tree)| {
            let files: Vec<(String, String)> = tree
                .iter()
                .map(|(p, b)| (p.to_string(), String::from_utf8(b.to_vec()).unwrap()))
                .collect();
            let edits: Vec<(&str, Option<&str>)> = files
                .iter()
                .map(|(p, c)| (p.as_str(), Some(c.as_str())))
                .collect();
            CommitId::new(github.push_files(OWNER, name, branch, &edits, "seed"))
        })
        .collect()
}

#[tokio::test]
async fn each_rollout_run_edits_the_one_comment_on_the_release_pull_request() {
    let mut s = recovery_seed();
    // stage rolls out: stage-eu-1 first, then the rest, 10 minutes of bake.
    for (branch, tree) in &mut s.platform_config {
        if branch == "stage" {
            let fleet = String::from_utf8(tree.get("fleet.yaml").unwrap().to_vec()).unwrap();
            let fleet = fleet.replace(
                "  - name: stage-eu-1\n",
                "  - name: stage-eu-1\n    labels: {ring: canary}\n",
            ) + "rollout:\n  waves: [{name: canary, selector: {ring: canary}}, {name: rest}]\n  bake: 10m\n";
            tree.insert("fleet.yaml", fleet).unwrap();
        }
    }
    let github = FakeGitHub::start().await.expect("start the fake GitHub");
    let commits = seed(&github, "source", &s.source);
    seed(&github, "app-config", &s.app_config);
    seed(&github, "platform-config", &s.platform_config);
    github.create_repo(OWNER, "gitops");
    let pipeline = || {
        Pipeline::new(
            Ports {
                source: Arc::new(GitHubSourceRepo::new(repo(&github, "source"))),
                app_config: Arc::new(GitHubConfigStore::new(repo(&github, "app-config"))),
                platform_config: Arc::new(GitHubConfigStore::new(repo(&github, "platform-config"))),
                gitops: Arc::new(GitHubGitOpsRepo::new(repo(&github, "gitops"))),
                renderer: Arc::new(InMemoryRenderer::new()),
                orchestrator: Arc::new(InMemoryOrchestrator::new()),
                charts: None,
                fleet: None,
                policy: None,
            },
            Settings::default(),
        )
    };
    let p = pipeline();
    p.prepare_pr("dev", &SourceChoice::Commit(commits[0].to_string()), true)
        .await
        .expect("prepare dev");
    p.merge("dev").await.expect("merge dev");
    // dev deploys at once, then stage's change request is prepared; merged, it rolls out.
    p.run(&Event::ChangeMerged {
        environment: "dev".into(),
    })
    .await
    .expect("deploy dev");
    p.merge("stage").await.expect("merge stage");
    let pulls = github.pulls(OWNER, "gitops");
    let number = pulls
        .iter()
        .find(|pr| pr.base == "stage")
        .expect("stage's pull request")
        .number;

    let t0 = 1_800_000_000;
    let clock = AtomicI64::new(t0);
    let now = || Timestamp(clock.load(Ordering::SeqCst));
    let first = pipeline().deploy_rollout("stage", &now).await.unwrap();
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert!(matches!(
        first.view.waves[0].phase,
        WavePhase::Baking { .. }
    ));
    let comments = github.comments(OWNER, "gitops", number);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let report = comments[0].clone();
    assert!(
        report
            .body
            .starts_with("<!-- wo:rollout:stage -->\n### Rollout of "),
        "{}",
        report.body
    );
    assert!(report
        .body
        .contains("| canary | 1 | 1 | 0 | 0 | baking until "));
    assert!(report.body.contains("| rest | 1 | 0 | 0 | 1 | pending |"));

    clock.store(t0 + 600, Ordering::SeqCst);
    let second = pipeline().deploy_rollout("stage", &now).await.unwrap();
    assert_eq!(second.batches.len(), 1, "the rest installed");
    clock.store(t0 + 1200, Ordering::SeqCst);
    let done = pipeline().deploy_rollout("stage", &now).await.unwrap();
    assert_eq!(done.decision, Decision::Done);

    let comments = github.comments(OWNER, "gitops", number);
    assert_eq!(comments.len(), 1, "one report, edited: {comments:?}");
    assert_eq!(comments[0].id, report.id);
    assert!(comments[0]
        .body
        .contains("**done: every wave installed and baked**"));
    assert!(comments[0]
        .body
        .contains("| rest | 1 | 1 | 0 | 0 | baked |"));
    // dev has no rollout: no report on its pull request.
    let others: BTreeMap<u64, usize> = pulls
        .iter()
        .filter(|pr| pr.number != number)
        .map(|pr| (pr.number, github.comments(OWNER, "gitops", pr.number).len()))
        .collect();
    assert!(others.values().all(|n| *n == 0), "{others:?}");
}
