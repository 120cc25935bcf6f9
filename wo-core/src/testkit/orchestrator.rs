use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::ports::{CommitId, Orchestrator, Release, TargetOutcome, TargetRelease};

/// How [`orchestrator_conformance`] drives an [`Orchestrator`] backend, including the failure
/// injection and install counting only a test double or simulator offers.
///
/// The suite deploys solutions named `conformance-*` to targets named `conf-*`; the
/// orchestrator must not have deployed those before.
#[async_trait]
pub trait OrchestratorHarness: Send + Sync {
    /// The orchestrator under test (the same one every call).
    fn orchestrator(&self) -> Arc<dyn Orchestrator>;

    /// From now on, installs on `target` fail with a message containing `message`.
    async fn fail_target(&self, target: &str, message: &str);

    /// Installs on `target` succeed again.
    async fn heal_target(&self, target: &str);

    /// How many times `version` of `solution` was installed on `target`.
    async fn installs(&self, solution: &str, target: &str, version: &str) -> usize;
}

fn release(solution: &str, version: &str, targets: &[&str]) -> Release {
    Release {
        solution: solution.into(),
        environment: "dev".into(),
        version: version.into(),
        source_commit: CommitId::from("a1"),
        gitops_commit: CommitId::from(format!("g-{version}")),
        targets: targets
            .iter()
            .map(|t| TargetRelease {
                target: t.to_string(),
                orchestrator_id: None,
                values: serde_json::json!({ "version": version }),
                manifests: format!("kind: ConfigMap\nmetadata:\n  name: {version}\n"),
            })
            .collect(),
        chart: None,
        specification: None,
    }
}

/// Checks the [`Orchestrator`] contract: one outcome per target, idempotent deploys that never
/// install twice, per-target failures that neither stop the others nor replace what runs,
/// retry of failed targets, immutable versions, solutions kept apart, `Invalid` releases, and
/// [`Orchestrator::running`] naming the release and the values that run (nothing before a
/// deploy, what ran before on a failed target).
///
/// # Panics
/// When the backend breaks the contract, naming the point.
pub async fn orchestrator_conformance(h: &dyn OrchestratorHarness) {
    let o = h.orchestrator();
    let sol = "conformance-idem";
    assert_eq!(
        o.deployed(sol, "conf-a").await.expect("deployed"),
        None,
        "nothing runs before a deploy"
    );
    assert_eq!(
        o.running(sol, "conf-a", None).await.expect("running"),
        None,
        "running: nothing runs before a deploy"
    );

    // Idempotent deploys.
    let v1 = release(sol, "v1", &["conf-a", "conf-b"]);
    let report = o.deploy(&v1).await.expect("deploy");
    assert_eq!(report.version, "v1");
    assert!(report.all_succeeded(), "{report:?}");
    assert_eq!(
        report
            .results
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["conf-a", "conf-b"],
        "one per target"
    );
    assert_eq!(
        o.deployed(sol, "conf-a")
            .await
            .expect("deployed")
            .as_deref(),
        Some("v1")
    );
    let twice = o.deploy(&v1).await.expect("deploy again");
    assert!(
        twice.all_succeeded(),
        "a repeated deploy reports success: {twice:?}"
    );
    for t in ["conf-a", "conf-b"] {
        assert_eq!(
            h.installs(sol, t, "v1").await,
            1,
            "deploying the same release twice installs once on {t}"
        );
    }
    assert_eq!(
        o.deployed("conformance-other", "conf-a")
            .await
            .expect("deployed"),
        None,
        "solutions are apart"
    );

    let runs = o
        .running(sol, "conf-a", None)
        .await
        .expect("running")
        .expect("v1 runs on conf-a");
    assert_eq!(
        runs.release.as_deref(),
        Some("v1"),
        "running names the release"
    );
    assert_eq!(
        runs.values, v1.targets[0].values,
        "running: the target's values"
    );
    assert_eq!(runs.chart, None, "a release without a chart runs none");
    assert_eq!(
        o.running("conformance-other", "conf-a", None)
            .await
            .expect("running"),
        None,
        "running: solutions are apart"
    );

    let v2 = release(sol, "v2", &["conf-a", "conf-b"]);
    assert!(o.deploy(&v2).await.expect("deploy v2").all_succeeded());
    assert_eq!(
        o.deployed(sol, "conf-b")
            .await
            .expect("deployed")
            .as_deref(),
        Some("v2"),
        "a new version replaces"
    );
    assert_eq!(h.installs(sol, "conf-b", "v2").await, 1);

    // Immutable versions.
    let mut changed = v1.clone();
    changed.targets[0].values = serde_json::json!({ "version": "tampered" });
    let r = o.deploy(&changed).await;
    assert!(
        matches!(r, Err(Error::AlreadyExists { .. })),
        "a version with other content is AlreadyExists: {r:?}"
    );

    // Per-target failure.
    let sol = "conformance-fail";
    let v1 = release(sol, "v1", &["conf-c", "conf-d", "conf-e"]);
    assert!(o
        .deploy(&release(sol, "v0", &["conf-e"]))
        .await
        .expect("deploy v0")
        .all_succeeded());
    h.fail_target("conf-c", "disk full").await;
    h.fail_target("conf-e", "image pull failed").await;
    let report = o.deploy(&v1).await.expect("a failing target is not an Err");
    assert!(!report.all_succeeded());
    assert_eq!(
        report.results.len(),
        3,
        "one outcome per target, failed or not"
    );
    let failed = report.failed();
    assert_eq!(
        failed.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        ["conf-c", "conf-e"],
        "exactly the failed targets"
    );
    assert!(
        failed[0].1.contains("disk full"),
        "the message says why: {:?}",
        failed[0]
    );
    assert_eq!(
        report.results["conf-d"],
        TargetOutcome::Deployed,
        "a failure does not stop the other targets"
    );
    assert_eq!(
        o.deployed(sol, "conf-c").await.expect("deployed"),
        None,
        "a failed target runs nothing new"
    );
    assert_eq!(
        o.deployed(sol, "conf-e")
            .await
            .expect("deployed")
            .as_deref(),
        Some("v0"),
        "it keeps what it ran"
    );
    assert_eq!(
        o.running(sol, "conf-e", None)
            .await
            .expect("running")
            .and_then(|r| r.release)
            .as_deref(),
        Some("v0"),
        "running: it keeps what it ran"
    );
    assert_eq!(
        h.installs(sol, "conf-c", "v1").await,
        0,
        "nothing was installed on a failed target"
    );

    h.heal_target("conf-c").await;
    h.heal_target("conf-e").await;
    let retry = o.deploy(&v1).await.expect("deploy again");
    assert!(
        retry.all_succeeded(),
        "failed targets are tried again: {retry:?}"
    );
    assert_eq!(h.installs(sol, "conf-c", "v1").await, 1);
    assert_eq!(
        h.installs(sol, "conf-d", "v1").await,
        1,
        "targets that had succeeded are not installed again"
    );
    assert_eq!(
        o.deployed(sol, "conf-e")
            .await
            .expect("deployed")
            .as_deref(),
        Some("v1")
    );

    // Invalid releases.
    let duplicate = release("conformance-bad", "v1", &["conf-f", "conf-f"]);
    let r = o.deploy(&duplicate).await;
    assert!(
        matches!(r, Err(Error::Invalid(_))),
        "a target listed twice is Invalid: {r:?}"
    );
    assert_eq!(
        h.installs("conformance-bad", "conf-f", "v1").await,
        0,
        "nothing installed for an invalid release"
    );
}
