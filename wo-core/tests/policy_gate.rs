//! The policy gate in the pipeline, on the in-memory backends: blocking findings mark the
//! change request (status `wo/policy`, label `wo/policy-blocked`) and stop deploy; exceptions
//! with reasons from the source's `wo/policy.yaml` let it through; the platform's
//! `policy.yaml` can only add to what blocks.

use std::sync::Arc;

use wo_core::files::FileTree;
use wo_core::memory::{
    InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryOrchestrator, InMemoryPolicyGate,
    InMemoryRenderer, InMemorySourceRepo,
};
use wo_core::pipeline::{Pipeline, Ports, ReleaseRecord, Settings, SourceChoice};
use wo_core::ports::{
    ChangeCheck, ChangeProposal, ChangeRequest, CommitId, CommitState, GitOpsCommit, GitOpsRepo,
    ProposeOutcome, POLICY_BLOCKED_LABEL, POLICY_CONTEXT,
};
use wo_core::Error;

fn tree(entries: &[(&str, &str)]) -> FileTree {
    let mut t = FileTree::new();
    for (p, c) in entries {
        t.insert(*p, *c).unwrap();
    }
    t
}

/// A source whose chart renders `greeting` into every target's manifests, with an optional
/// `wo/policy.yaml`.
fn source_tree(greeting: &str, policy: Option<&str>) -> FileTree {
    let schema =
        format!("rules:\n  configs:\n    Greeting: {{type: string, defaultValue: {greeting}}}\n");
    let mut t = tree(&[
        (
            "wo/app.yaml",
            "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\nnamespace: shop-ns\n",
        ),
        ("wo/schema.yaml", &schema),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: shop-chart\nversion: 1.0.0\n",
        ),
    ]);
    if let Some(p) = policy {
        t.insert("wo/policy.yaml", p).unwrap();
    }
    t
}

const FLEET: &str =
    "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\nhierarchy: [region]\ntargets:\n  \
  - name: dev-1\n    hierarchy: {region: eu}\n  - name: dev-2\n    hierarchy: {region: us}\n\
  assignments:\n  - solution: shop\n    selector: {}\n";

struct World {
    source: InMemorySourceRepo,
    platform_config: InMemoryConfigStore,
    app_config: InMemoryConfigStore,
    gitops: InMemoryGitOpsRepo,
    orchestrator: InMemoryOrchestrator,
}

impl World {
    /// A source on `main`, and a platform config of one environment `dev` with an optional
    /// platform `policy.yaml`.
    fn new(greeting: &str, source_policy: Option<&str>, platform_policy: Option<&str>) -> Self {
        let source = InMemorySourceRepo::new();
        source.commit("main", source_tree(greeting, source_policy));
        let app_config = InMemoryConfigStore::named("app-config");
        app_config.commit("dev", tree(&[]));
        let platform_config = InMemoryConfigStore::named("platform-config");
        let mut platform = tree(&[("fleet.yaml", FLEET)]);
        if let Some(p) = platform_policy {
            platform.insert("policy.yaml", p).unwrap();
        }
        platform_config.commit("dev", platform);
        World {
            source,
            platform_config,
            app_config,
            gitops: InMemoryGitOpsRepo::new(),
            orchestrator: InMemoryOrchestrator::new(),
        }
    }

    fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.pipeline_ports(), Settings::default())
    }

    fn pipeline_ports(&self) -> Ports {
        Ports {
            source: Arc::new(self.source.clone()),
            app_config: Arc::new(self.app_config.clone()),
            platform_config: Arc::new(self.platform_config.clone()),
            gitops: Arc::new(self.gitops.clone()),
            renderer: Arc::new(InMemoryRenderer::new()),
            orchestrator: Arc::new(self.orchestrator.clone()),
            charts: None,
            fleet: None,
            policy: Some(Arc::new(
                InMemoryPolicyGate::new().forbid("WO001", "privileged"),
            )),
        }
    }

    async fn release(&self) -> ReleaseRecord {
        let head = self.gitops.head("dev").await.unwrap().unwrap();
        let files = self.gitops.read(&head, "shop").await.unwrap();
        ReleaseRecord::parse(
            files.text("shop/release.yaml").unwrap().unwrap(),
            "release.yaml",
        )
        .unwrap()
    }
}

fn main_rev() -> SourceChoice {
    SourceChoice::Commit("main".into())
}

#[tokio::test]
async fn blocking_findings_fail_the_status_label_the_change_and_stop_deploy() {
    let w = World::new("privileged", None, None);
    let p = w.pipeline();
    let out = p.prepare_pr("dev", &main_rev(), false).await.unwrap();
    assert!(out.policy_blocked());
    assert_eq!(out.policy_marked, Some(true));
    let verdict = out.policy.clone().unwrap();
    assert_eq!(verdict.blocking, 2, "{verdict:?}");
    let cr = out.change_request().unwrap().clone();

    let status = w
        .gitops
        .statuses(&cr.head)
        .into_iter()
        .find(|s| s.context == POLICY_CONTEXT)
        .expect("status wo/policy on the change request's head");
    assert_eq!(status.state, CommitState::Failure);
    assert_eq!(status.description, "2 blocking policy findings");
    assert_eq!(
        w.gitops.labels(&cr.id),
        vec![POLICY_BLOCKED_LABEL.to_string()]
    );
    assert!(
        cr.body.contains("**Policy: 2 blocking findings**"),
        "{}",
        cr.body
    );
    assert!(
        cr.body.contains("shop/dev-1/manifests.yaml:1` WO001"),
        "{}",
        cr.body
    );

    // The verdict travels with the release, and so does the policy it was checked with.
    p.merge("dev").await.unwrap();
    let record = w.release().await;
    assert_eq!(record.policy.as_ref(), Some(&verdict));

    let err = p.deploy("dev").await.unwrap_err();
    let Error::Invalid(d) = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    let text = err.to_string();
    assert!(text.contains("refusing to deploy `dev`"), "{text}");
    assert!(text.contains("WO001"), "{text}");
    assert!(text.contains("Target dev-1"), "{text}");
    assert_eq!(d.0[0].location.file, "gitops/dev/shop/dev-1/manifests.yaml");
    let hint = d.0[0].hint.clone().unwrap_or_default();
    assert!(hint.contains("wo/policy.yaml"), "{hint}");
    assert!(
        hint.contains("rule: WO001") && hint.contains("reason:"),
        "{hint}"
    );
    assert!(w.orchestrator.total_installs() == 0, "nothing deployed");
}

#[tokio::test]
async fn a_fixed_change_turns_the_status_green_and_drops_the_label() {
    let w = World::new("privileged", None, None);
    let p = w.pipeline();
    let first = p.prepare_pr("dev", &main_rev(), false).await.unwrap();
    let id = first.change_request().unwrap().id.clone();
    assert_eq!(w.gitops.labels(&id), vec![POLICY_BLOCKED_LABEL.to_string()]);

    w.source.commit("main", source_tree("hello", None));
    let second = p.prepare_pr("dev", &main_rev(), false).await.unwrap();
    let cr = second.change_request().unwrap();
    assert_eq!(cr.id, id, "the same change request, updated");
    assert!(!second.policy_blocked());
    let status = w.gitops.statuses(&cr.head);
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].state, CommitState::Success);
    assert!(w.gitops.labels(&id).is_empty());
    p.merge("dev").await.unwrap();
    p.deploy("dev").await.unwrap();
}

#[tokio::test]
async fn exceptions_with_reasons_in_the_source_policy_let_deploy_through() {
    let policy = "except WO001 dev-1: the greeting is a test fixture\n\
                  except WO001 dev-2: the greeting is a test fixture\n";
    let w = World::new("privileged", Some(policy), None);
    let p = w.pipeline();
    let out = p.prepare_pr("dev", &main_rev(), false).await.unwrap();
    let verdict = out.policy.clone().unwrap();
    assert_eq!(verdict.blocking, 0);
    assert_eq!(verdict.exceptions.len(), 2);
    assert_eq!(
        verdict.exceptions[0].reason,
        "the greeting is a test fixture"
    );
    let cr = out.change_request().unwrap();
    assert!(
        cr.body.contains("Policy exceptions applied:"),
        "{}",
        cr.body
    );
    assert!(w.gitops.labels(&cr.id).is_empty());
    p.merge("dev").await.unwrap();
    let record = w.release().await;
    assert_eq!(record.policy.unwrap().exceptions.len(), 2);
    let deployed = p.deploy("dev").await.unwrap();
    assert!(deployed.report.all_succeeded());
}

#[tokio::test]
async fn an_exception_without_a_reason_is_refused_naming_file_and_line() {
    let w = World::new("privileged", Some("except WO001 dev-1:\n"), None);
    let err = w
        .pipeline()
        .prepare_pr("dev", &main_rev(), false)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("wo/policy.yaml"), "{text}");
    assert!(text.contains("reason"), "{text}");
    assert!(w.gitops.change_requests().is_empty(), "nothing proposed");
}

#[tokio::test]
async fn the_platform_policy_adds_blocking_rules_and_cannot_grant_exceptions() {
    let w = World::new("hello", None, Some("forbid WO099 hello\n"));
    let p = w.pipeline();
    let out = p.prepare_pr("dev", &main_rev(), false).await.unwrap();
    let verdict = out.policy.clone().unwrap();
    assert_eq!(verdict.blocking, 2);
    assert!(verdict.findings.iter().all(|f| f.rule == "WO099"));
    p.merge("dev").await.unwrap();
    assert!(p
        .deploy("dev")
        .await
        .unwrap_err()
        .to_string()
        .contains("WO099"));

    let w = World::new(
        "privileged",
        None,
        Some("except WO001 dev-1: the platform says so\n"),
    );
    let err = w
        .pipeline()
        .prepare_pr("dev", &main_rev(), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("platform-config/dev@"), "{err}");
    assert!(err.contains("policy.yaml"), "{err}");
}

#[tokio::test]
async fn an_edited_release_yaml_cannot_hide_findings() {
    let w = World::new("privileged", None, None);
    let p = w.pipeline();
    p.prepare_pr("dev", &main_rev(), false).await.unwrap();
    p.merge("dev").await.unwrap();
    // Someone with push rights rewrites the verdict on the env branch.
    let head = w.gitops.head("dev").await.unwrap().unwrap();
    let mut files = w.gitops.read(&head, "shop").await.unwrap();
    let mut record = w.release().await;
    let mut verdict = record.policy.take().unwrap();
    verdict.blocking = 0;
    verdict.findings.clear();
    record.policy = Some(verdict);
    files.insert("shop/release.yaml", record.to_yaml()).unwrap();
    let message = w.gitops.history("dev", 1).await.unwrap()[0].message.clone();
    w.gitops.commit("dev", files, &message);
    let err = p.deploy("dev").await.unwrap_err().to_string();
    assert!(err.contains("refusing to deploy `dev`"), "{err}");
    assert!(w.orchestrator.total_installs() == 0);
}

/// A gitops repo whose credentials may not set statuses or labels.
struct Unmarkable(InMemoryGitOpsRepo);

#[async_trait::async_trait]
impl GitOpsRepo for Unmarkable {
    async fn head(&self, env: &str) -> wo_core::Result<Option<CommitId>> {
        self.0.head(env).await
    }
    async fn read(&self, commit: &CommitId, solution: &str) -> wo_core::Result<FileTree> {
        self.0.read(commit, solution).await
    }
    async fn propose(&self, proposal: ChangeProposal) -> wo_core::Result<ProposeOutcome> {
        self.0.propose(proposal).await
    }
    async fn change_request(
        &self,
        solution: &str,
        env: &str,
    ) -> wo_core::Result<Option<ChangeRequest>> {
        self.0.change_request(solution, env).await
    }
    async fn merge(&self, change: &ChangeRequest) -> wo_core::Result<CommitId> {
        self.0.merge(change).await
    }
    async fn history(&self, env: &str, limit: usize) -> wo_core::Result<Vec<GitOpsCommit>> {
        self.0.history(env, limit).await
    }
    async fn merged_from(
        &self,
        env: &str,
        commit: &CommitId,
    ) -> wo_core::Result<Option<GitOpsCommit>> {
        self.0.merged_from(env, commit).await
    }
    async fn set_check(&self, _: &ChangeRequest, _: &ChangeCheck) -> wo_core::Result<()> {
        Err(Error::permission_denied(
            "test",
            "statuses: write is missing",
        ))
    }
}

#[tokio::test]
async fn a_change_request_the_token_may_not_mark_is_reported_and_still_cannot_deploy() {
    let w = World::new("privileged", None, None);
    let mut ports = w.pipeline_ports();
    ports.gitops = Arc::new(Unmarkable(w.gitops.clone()));
    let p = Pipeline::new(ports, Settings::default());
    let out = p.prepare_pr("dev", &main_rev(), false).await.unwrap();
    assert!(out.policy_blocked());
    assert_eq!(out.policy_marked, Some(false), "reported as not marked");
    assert!(out.change_request().unwrap().body.contains("blocking"));
    p.merge("dev").await.unwrap();
    assert!(p.deploy("dev").await.is_err(), "deploy still refuses");
}
