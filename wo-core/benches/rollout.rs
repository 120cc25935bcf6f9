//! The rollout planner at 5,000 targets in 4 waves (canary by label, 10 %, 30 %, the rest;
//! batches of 20): building the waves, one decision, recording the state as statuses and
//! replaying them, at a state in the middle of the third wave (what a `deploy_rollout` run
//! does once, and per batch for decide and record).

use criterion::{criterion_group, criterion_main, Criterion};
use wo_core::format::fleet::rollout::{Bake, FailureBudget, Percent, Rollout, Wave};
use wo_core::format::fleet::Target;
use wo_core::rollout::{record, replay, RolloutPlan, RolloutState, TargetProgress, Timestamp};

const TARGETS: usize = 5_000;

fn targets() -> Vec<Target> {
    (0..TARGETS)
        .map(|i| Target {
            name: format!("store-{i:05}"),
            hierarchy: Default::default(),
            labels: if i % 100 == 0 {
                [("ring", "canary")].into_iter().collect()
            } else {
                Default::default()
            },
            capabilities: Vec::new(),
            orchestrator: None,
            kubernetes_version: None,
            api_versions: Vec::new(),
        })
        .collect()
}

fn rollout() -> Rollout {
    let wave = |name: &str, percent: Option<u32>| Wave {
        name: name.into(),
        selector: None,
        percent: percent.map(|p| Percent::from_hundredths(p * 100)),
    };
    let mut canary = wave("canary", None);
    canary.selector = Some([("ring".to_string(), "canary".to_string())].into());
    Rollout {
        waves: vec![
            canary,
            wave("early", Some(10)),
            wave("middle", Some(30)),
            wave("rest", None),
        ],
        max_in_flight: Some(20),
        failure_budget: FailureBudget::percent(Percent::from_hundredths(200)),
        bake: Bake::from_seconds(900),
        approval: vec!["rest".into()],
        windows: Vec::new(),
        auto_rollback: true,
    }
}

fn bench(c: &mut Criterion) {
    let targets = targets();
    let refs: Vec<&Target> = targets.iter().collect();
    let rollout = rollout();
    let plan = RolloutPlan::new(&refs, &rollout);
    let t = Timestamp(1_800_000_000);
    let mut state = RolloutState::default();
    for w in &plan.waves[..2] {
        for name in &w.targets {
            state
                .outcomes
                .insert(name.clone(), TargetProgress::Succeeded { at: t });
        }
    }
    let middle = &plan.waves[2].targets;
    for (i, name) in middle.iter().take(middle.len() / 2).enumerate() {
        let p = if i % 97 == 0 {
            TargetProgress::Failed {
                message: "image pull failed".into(),
            }
        } else {
            TargetProgress::Succeeded { at: t.plus(3600) }
        };
        state.outcomes.insert(name.clone(), p);
    }
    let now = t.plus(4000);
    let statuses = record(&plan, "prod", "0123456789", &state, now);
    assert_eq!(
        plan.decide(
            &replay(&plan, "prod", "0123456789", &statuses).unwrap(),
            now
        ),
        plan.decide(&state, now)
    );

    let mut g = c.benchmark_group("rollout_5000_targets");
    g.bench_function("plan", |b| b.iter(|| RolloutPlan::new(&refs, &rollout)));
    g.bench_function("decide", |b| b.iter(|| plan.decide(&state, now)));
    g.bench_function("record", |b| {
        b.iter(|| record(&plan, "prod", "0123456789", &state, now))
    });
    g.bench_function("replay", |b| {
        b.iter(|| replay(&plan, "prod", "0123456789", &statuses).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
