//! The job summary of a run with a rollout: the per-target table, then the rollout's table.

use std::collections::BTreeMap;

use wo_core::format::fleet::Fleet;
use wo_core::pipeline::{RolloutOutcome, StepOutcome};
use wo_core::ports::{CommitId, DeploymentReport, TargetOutcome};
use wo_core::rollout::{RolloutPlan, RolloutState, RolloutView, TargetProgress, Timestamp};
use wo_github::actions::{run_summary, MAX_SUMMARY_BYTES};

const GITOPS: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

fn rollout_step(message: &str) -> StepOutcome {
    let fleet = Fleet::parse(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\ntargets:\n  - {name: c1, labels: {ring: canary}}\n  - {name: s1}\n  - {name: s2}\nassignments: [{solution: shop, targets: [c1, s1, s2]}]\nrollout:\n  waves: [{name: canary, selector: {ring: canary}}, {name: rest}]\n  bake: 15m\n",
        "fleet.yaml",
    )
    .unwrap();
    let targets = fleet.assigned_targets("shop", &[], "fleet.yaml").unwrap();
    let plan = RolloutPlan::new(&targets, fleet.rollout.as_ref().unwrap());
    let t0 = Timestamp(1_800_000_000);
    let mut state = RolloutState::default();
    state.outcomes.insert(
        "c1".into(),
        TargetProgress::Failed {
            message: message.into(),
        },
    );
    let view = RolloutView::new("prod", &plan, &state, t0);
    StepOutcome::RolledOut(Box::new(RolloutOutcome {
        environment: "prod".into(),
        gitops_commit: CommitId::new(GITOPS),
        provenance: wo_core::testkit::provenance("shop", "prod", "a1"),
        chart: None,
        batches: vec![(
            "canary".into(),
            DeploymentReport {
                version: GITOPS.into(),
                results: BTreeMap::from([(
                    "c1".to_owned(),
                    TargetOutcome::Failed {
                        message: message.into(),
                    },
                )]),
            },
        )],
        decision: view.decision.clone(),
        state,
        warnings: Vec::new(),
        view,
        next: Vec::new(),
        rolled_back: None,
    }))
}

#[test]
fn a_rollout_step_adds_its_table_per_wave_with_untrusted_text_escaped() {
    let md = run_summary("wo", &[rollout_step("pull failed | <b>bad</b>")]);
    let (targets, rollout) = md
        .split_once("#### Rollout of f95f852 in prod\n\n")
        .expect("a rollout section after the per-target table");
    assert!(targets.starts_with("### wo\n\n| environment | target | state | message |"));
    assert!(targets
        .contains("| prod | c1 | failed | wave canary: pull failed \\| &lt;b&gt;bad&lt;/b&gt; |"));
    assert!(
        rollout.starts_with("**halted in wave `canary`: "),
        "{rollout}"
    );
    assert!(
        rollout.contains("c1 failed (pull failed \\| &lt;b&gt;bad&lt;/b&gt;)"),
        "{rollout}"
    );
    assert!(rollout.contains(
        "| wave | targets | done | failed | waiting | phase |\n|---|---:|---:|---:|---:|---|\n"
    ));
    assert!(
        rollout.contains("| canary | 1 | 0 | 1 | 0 | halted: over its failure budget of 0 |\n"),
        "{rollout}"
    );
    assert!(
        rollout.contains("| rest | 2 | 0 | 0 | 2 | pending |\n"),
        "{rollout}"
    );
    assert!(!md.contains("<b>"));
}

#[test]
fn the_rollout_table_stays_within_githubs_limit() {
    // A message that fills the per-target table: the rollout section still fits after it.
    let long = "x".repeat(MAX_SUMMARY_BYTES);
    let md = run_summary("wo", &[rollout_step(&long)]);
    assert!(md.len() <= MAX_SUMMARY_BYTES, "{}", md.len());
    assert!(
        md.contains("2 more rows not shown"),
        "the target and the halt"
    );
    let (_, rollout) = md
        .split_once("#### Rollout of f95f852 in prod\n\n")
        .unwrap();
    // The halt's reason quotes the message: cut in the summary line.
    let summary = rollout.lines().next().unwrap();
    assert!(
        summary.ends_with("…**"),
        "{}",
        &summary[summary.len() - 20..]
    );
    assert!(summary.chars().count() < 520);
    assert!(rollout.contains("| rest | 2 | 0 | 0 | 2 | pending |\n"));
}
