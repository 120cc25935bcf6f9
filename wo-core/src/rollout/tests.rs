use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::error::Error;
use crate::format::fleet::rollout::{
    Bake, FailureBudget, Percent, Rollout, RolloutOverride, Wave, Window,
};
use crate::format::fleet::{Fleet, Target};
use crate::ports::CommitState;

/// 2026-12-04T12:00:00Z, a Friday.
const FRIDAY_NOON: i64 = 1_796_385_600;

fn target(name: &str, labels: &[(&str, &str)]) -> Target {
    Target {
        name: name.into(),
        hierarchy: Default::default(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        capabilities: Vec::new(),
        orchestrator: None,
        kubernetes_version: None,
        api_versions: Vec::new(),
    }
}

fn fleet_with(rollout: &str) -> crate::Result<Fleet> {
    Fleet::parse(
        &format!(
            "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\ntargets:\n  - {{name: c1, labels: {{ring: canary}}}}\n  - {{name: s1, labels: {{region: eu}}}}\n  - {{name: s2}}\nrollout:\n{rollout}"
        ),
        "fleet.yaml",
    )
}

fn diagnostics(err: &Error) -> Vec<(String, Option<u32>, String)> {
    err.diagnostics()
        .iter()
        .map(|d| {
            (
                d.location.key_path.clone(),
                d.location.line,
                d.message.clone(),
            )
        })
        .collect()
}

#[test]
fn the_issue_example_parses() {
    let f = fleet_with(
        "  waves:\n    - name: canary\n      selector: {ring: canary}\n    - name: early\n      percent: 10\n    - name: rest\n  maxInFlight: 20\n  failureBudget: {count: 1}\n  bake: 15m\n  approval: [rest]\n  windows: [\"Mon-Fri 06:00-16:00 Europe/Berlin\"]\n",
    )
    .unwrap();
    let r = f.rollout.unwrap();
    assert_eq!(r.waves.len(), 3);
    assert_eq!(r.waves[1].percent, Some(Percent::from_hundredths(1000)));
    assert!(r.waves[2].takes_rest());
    assert_eq!(r.max_in_flight, Some(20));
    assert_eq!(r.failure_budget, FailureBudget::count(1));
    assert_eq!(r.bake.seconds(), 900);
    assert_eq!(r.approval, vec!["rest"]);
    assert_eq!(
        r.windows[0].to_string(),
        "Mon-Fri 06:00-16:00 Europe/Berlin"
    );
    assert!(!r.auto_rollback);
}

#[test]
fn a_fleet_without_rollout_has_none() {
    let f = Fleet::parse(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\n",
        "fleet.yaml",
    )
    .unwrap();
    assert_eq!(f.rollout, None);
}

#[test]
fn rollout_mistakes_are_named_by_key_and_line() {
    let err = fleet_with(
        "  waves:\n    - name: canary\n      selector: {ring: canry}\n    - name: all\n    - name: Canary\n      percent: 0\n  maxInFlight: 0\n  failureBudget: {count: 1, percent: 2}\n  approval: [rest, all, all]\n",
    )
    .unwrap_err();
    let ds = diagnostics(&err);
    let at = |key: &str| {
        ds.iter()
            .filter(|(k, _, _)| k == key)
            .map(|(_, line, m)| (*line, m.as_str()))
            .collect::<Vec<_>>()
    };
    // Lines: the rollout starts at line 8, `waves:` at 9.
    assert_eq!(at("rollout.waves.0.selector")[0].0, Some(11), "{err}");
    assert!(at("rollout.waves.0.selector")[0]
        .1
        .contains("matches no target"));
    assert!(at("rollout.waves.1")[0]
        .1
        .contains("waves after it would be empty"));
    assert_eq!(at("rollout.waves.1")[0].0, Some(12));
    let canary = at("rollout.waves.2.name");
    assert!(canary[0].1.contains("defined twice"), "{err}");
    assert_eq!(canary[0].0, Some(13));
    assert!(at("rollout.waves.2")[0]
        .1
        .contains("must take every remaining target"));
    assert!(at("rollout.waves.2.percent")[0].1.contains("0%"));
    assert_eq!(at("rollout.maxInFlight")[0].0, Some(15));
    assert!(at("rollout.failureBudget")[0].1.contains("not both"));
    let unknown = err
        .diagnostics()
        .iter()
        .find(|d| d.location.key_path == "rollout.approval.0")
        .expect("unknown wave in approval");
    assert_eq!(unknown.message, "no wave `rest` in this rollout");
    assert_eq!(unknown.location.line, Some(17));
    assert!(at("rollout.approval.2")[0].1.contains("listed twice"));
    assert_eq!(ds.len(), 9, "{err}");
}

#[test]
fn typos_in_durations_windows_and_keys_are_named_by_line() {
    let cases = [
        (
            "  waves: [{name: rest}]\n  bake: 15 minutes\n",
            "rollout.bake",
            10,
            "not a duration",
        ),
        (
            "  waves: [{name: rest}]\n  bake: 31d\n",
            "rollout.bake",
            10,
            "30 days",
        ),
        (
            "  waves: [{name: rest}]\n  windows: [\"Mon-Fri 06:00-16:00 Europe/Berln\"]\n",
            "rollout.windows.0",
            10,
            "not a time zone",
        ),
        (
            "  waves: [{name: rest}]\n  windows: [\"Mon-Fry 06:00-16:00 UTC\"]\n",
            "rollout.windows.0",
            10,
            "not a list of days",
        ),
        (
            "  waves: [{name: rest}]\n  windows: [\"daily 06:00-25:00 UTC\"]\n",
            "rollout.windows.0",
            10,
            "not a time range",
        ),
        (
            "  waves: [{name: rest, percnt: 5}]\n",
            "rollout.waves.0",
            9,
            "percnt",
        ),
        (
            "  waves: [{name: rest}]\n  failureBudget: {percent: 100}\n",
            "rollout.failureBudget.percent",
            10,
            "never halts",
        ),
        (
            "  waves: [{name: rest}]\n  failureBudget: {percent: 2.555}\n",
            "rollout.failureBudget.percent",
            10,
            "two decimals",
        ),
        ("  waves: []\n", "rollout.waves", 9, "at least one wave"),
    ];
    for (yaml, key, line, message) in cases {
        let err = fleet_with(yaml).unwrap_err();
        let d = &err.diagnostics()[0];
        assert!(
            d.location.key_path.starts_with(key)
                && d.location.line == Some(line)
                && d.to_string().contains(message),
            "{yaml}: {err}"
        );
    }
}

#[test]
fn bakes_parse_and_print() {
    for (text, secs) in [
        ("0s", 0),
        ("90s", 90),
        ("15m", 900),
        ("1h30m", 5400),
        ("2d", 172_800),
    ] {
        assert_eq!(Bake::parse(text).unwrap().seconds(), secs, "{text}");
    }
    assert_eq!(Bake::from_seconds(5400).to_string(), "1h30m");
    assert_eq!(Bake::from_seconds(0).to_string(), "0s");
    for bad in ["", "15", "m", "30m1h", "1h1h", "1.5h", "-1m", "15 m"] {
        assert!(Bake::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn percentages_round_up_for_waves_and_down_for_budgets() {
    let p = Percent::from_hundredths(1000);
    assert_eq!(p.of_ceil(25), 3);
    assert_eq!(p.of_ceil(20), 2);
    assert_eq!(p.of_floor(25), 2);
    assert_eq!(Percent::from_hundredths(250).to_string(), "2.5%");
    assert_eq!(
        FailureBudget::percent(Percent::from_hundredths(200)).of(49),
        0
    );
    assert_eq!(
        FailureBudget::percent(Percent::from_hundredths(200)).of(50),
        1
    );
}

#[test]
fn windows_follow_the_zone_and_its_daylight_saving_time() {
    let w = Window::parse("Mon-Fri 06:00-16:00 Europe/Berlin").unwrap();
    // Friday 12:00 UTC is 13:00 in Berlin (winter): open.
    let noon = Timestamp(FRIDAY_NOON);
    assert!(w.is_open(noon));
    assert_eq!(w.next_open(noon), noon);
    // Friday 15:00 UTC is 16:00 in Berlin: closed; next Monday 06:00 CET = 05:00 UTC.
    let closed = Timestamp(FRIDAY_NOON + 3 * 3600);
    assert!(!w.is_open(closed));
    assert_eq!(
        w.next_open(closed),
        Timestamp::parse("2026-12-07T05:00:00Z").unwrap()
    );
    // In summer, 06:00 in Berlin is 04:00 UTC (Monday 2026-06-01).
    let summer = Timestamp::parse("2026-05-31T12:00:00Z").unwrap();
    assert_eq!(
        w.next_open(summer),
        Timestamp::parse("2026-06-01T04:00:00Z").unwrap()
    );
    // The Monday after the switch to summer time (2026-03-29).
    let switch = Timestamp::parse("2026-03-28T12:00:00Z").unwrap();
    assert_eq!(
        w.next_open(switch),
        Timestamp::parse("2026-03-30T04:00:00Z").unwrap()
    );

    let offset = Window::parse("daily 22:00-02:00 +01:00").unwrap();
    // 22:30 UTC is 23:30 at +01:00: open; 01:30 UTC (02:30 local) is closed.
    assert!(offset.is_open(Timestamp::parse("2026-12-04T22:30:00Z").unwrap()));
    assert!(offset.is_open(Timestamp::parse("2026-12-05T00:59:00Z").unwrap()));
    assert!(!offset.is_open(Timestamp::parse("2026-12-05T01:30:00Z").unwrap()));
    assert_eq!(
        offset.next_open(Timestamp::parse("2026-12-05T01:30:00Z").unwrap()),
        Timestamp::parse("2026-12-05T21:00:00Z").unwrap()
    );

    let weekend = Window::parse("Sat,Sun 00:00-24:00 UTC").unwrap();
    assert!(!weekend.is_open(noon));
    assert_eq!(
        weekend.next_open(noon),
        Timestamp::parse("2026-12-05T00:00:00Z").unwrap()
    );
    assert!(weekend.is_open(Timestamp::parse("2026-12-06T23:59:59Z").unwrap()));
    let wrap = Window::parse("Fri-Mon 10:00-11:00 UTC").unwrap();
    assert!(!wrap.is_open(Timestamp::parse("2026-12-08T10:30:00Z").unwrap())); // Tuesday
    assert!(wrap.is_open(Timestamp::parse("2026-12-07T10:30:00Z").unwrap())); // Monday
    assert!(Window::parse("Mon 10:00-10:00 UTC").is_err());
}

fn rollout(waves: Vec<Wave>) -> Rollout {
    Rollout {
        waves,
        max_in_flight: None,
        failure_budget: FailureBudget::default(),
        bake: Bake::default(),
        approval: Vec::new(),
        windows: Vec::new(),
        auto_rollback: false,
    }
}

fn wave(name: &str, selector: Option<(&str, &str)>, percent: Option<u32>) -> Wave {
    Wave {
        name: name.into(),
        selector: selector.map(|(k, v)| [(k.to_string(), v.to_string())].into()),
        percent: percent.map(|p| Percent::from_hundredths(p * 100)),
    }
}

#[test]
fn waves_take_each_target_once_first_wave_first_in_a_stable_order() {
    let mut targets: Vec<Target> = (0..20)
        .map(|i| {
            let ring = if i < 3 { "canary" } else { "main" };
            target(&format!("t{i:02}"), &[("ring", ring), ("region", "eu")])
        })
        .collect();
    let r = rollout(vec![
        wave("canary", Some(("ring", "canary")), None),
        // Overlaps with the canary selector: the canaries are taken already.
        wave("eu", Some(("region", "eu")), Some(10)),
        wave("none", Some(("region", "us")), None),
        wave("rest", None, None),
    ]);
    let refs: Vec<&Target> = targets.iter().collect();
    let plan = RolloutPlan::new(&refs, &r);
    let sizes: Vec<usize> = plan.waves.iter().map(|w| w.targets.len()).collect();
    // 10% of the 17 left, rounded up.
    assert_eq!(sizes, vec![3, 2, 0, 15]);
    let mut canaries = plan.waves[0].targets.clone();
    canaries.sort();
    assert_eq!(canaries, vec!["t00", "t01", "t02"]);
    assert_eq!(
        plan.warnings,
        vec!["wave `none` has no target of this solution: it is skipped"]
    );
    let all: std::collections::BTreeSet<_> = plan.waves.iter().flat_map(|w| &w.targets).collect();
    assert_eq!(all.len(), 20);

    // The fleet's order does not matter.
    targets.reverse();
    let refs: Vec<&Target> = targets.iter().collect();
    assert_eq!(RolloutPlan::new(&refs, &r).waves, plan.waves);

    // A percent of a handful is at least one.
    let few: Vec<Target> = (0..2).map(|i| target(&format!("x{i}"), &[])).collect();
    let refs: Vec<&Target> = few.iter().collect();
    let plan = RolloutPlan::new(
        &refs,
        &rollout(vec![wave("one", None, Some(1)), wave("rest", None, None)]),
    );
    assert_eq!(plan.waves[0].targets.len(), 1);
}

#[test]
fn a_budget_as_large_as_a_wave_is_a_warning() {
    let targets = [target("c1", &[("ring", "canary")]), target("s1", &[])];
    let refs: Vec<&Target> = targets.iter().collect();
    let mut r = rollout(vec![
        wave("canary", Some(("ring", "canary")), None),
        wave("rest", None, None),
    ]);
    r.failure_budget = FailureBudget::count(1);
    let plan = RolloutPlan::new(&refs, &r);
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert!(plan.warnings[0].contains("lets all 1 target(s) of wave `canary` fail"));
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// 1 canary, 6 in the rest; batches of 2.
fn shop() -> (Vec<Target>, Rollout) {
    let mut targets = vec![target("c0", &[("ring", "canary")])];
    targets.extend(names("s", 6).iter().map(|n| target(n, &[])));
    let mut r = rollout(vec![
        wave("canary", Some(("ring", "canary")), None),
        wave("rest", None, None),
    ]);
    r.max_in_flight = Some(2);
    r.bake = Bake::from_seconds(600);
    r.failure_budget = FailureBudget::count(1);
    (targets, r)
}

fn deploy_targets(d: &Decision) -> Vec<String> {
    match d {
        Decision::Deploy { targets, .. } => targets.clone(),
        other => panic!("expected a deploy, got {other:?}"),
    }
}

#[test]
fn a_healthy_release_walks_the_waves_in_batches_with_bake_approval_and_window() {
    let (targets, mut r) = shop();
    r.approval = vec!["rest".into()];
    r.windows = vec![Window::parse("Mon-Fri 06:00-16:00 UTC").unwrap()];
    let refs: Vec<&Target> = targets.iter().collect();
    let plan = RolloutPlan::new(&refs, &r);
    let mut s = RolloutState::default();
    let mut now = Timestamp(FRIDAY_NOON);

    assert_eq!(deploy_targets(&plan.decide(&s, now)), vec!["c0"]);
    s.outcomes.insert("c0".into(), TargetProgress::InFlight);
    // A run that stopped mid-batch sends the batch again.
    assert_eq!(deploy_targets(&plan.decide(&s, now)), vec!["c0"]);
    s.outcomes
        .insert("c0".into(), TargetProgress::Succeeded { at: now });
    assert_eq!(
        plan.decide(&s, now),
        Decision::WaitUntil {
            until: now.plus(600),
            reason: WaitReason::Bake {
                wave: "canary".into()
            }
        }
    );
    now = now.plus(600);
    assert_eq!(
        plan.decide(&s, now),
        Decision::WaitForApproval {
            wave: "rest".into()
        }
    );
    s.approvals.insert(
        "rest".into(),
        Approval {
            by: "alice".into(),
            at: now,
        },
    );
    let rest = plan.wave("rest").unwrap().targets.clone();
    let mut sent = Vec::new();
    for batch in rest.chunks(2) {
        let d = plan.decide(&s, now);
        assert_eq!(deploy_targets(&d), batch);
        for t in batch {
            s.outcomes
                .insert(t.clone(), TargetProgress::Succeeded { at: now });
            sent.push(t.clone());
        }
        now = now.plus(60);
    }
    assert_eq!(sent, rest);
    // Bake of the last wave, then done, whatever the window.
    assert!(matches!(
        plan.decide(&s, now),
        Decision::WaitUntil {
            reason: WaitReason::Bake { .. },
            ..
        }
    ));
    assert_eq!(plan.decide(&s, now.plus(600)), Decision::Done);

    // Outside the window (Friday 17:00 UTC) nothing is sent before Monday 06:00.
    let late = Timestamp(FRIDAY_NOON + 5 * 3600);
    assert_eq!(
        plan.decide(&RolloutState::default(), late),
        Decision::WaitUntil {
            until: Timestamp::parse("2026-12-07T06:00:00Z").unwrap(),
            reason: WaitReason::Window {
                wave: "canary".into()
            }
        }
    );
}

#[test]
fn a_failing_canary_halts_before_the_rest_and_names_what_to_roll_back() {
    let (targets, mut r) = shop();
    r.failure_budget = FailureBudget::count(0);
    r.auto_rollback = true;
    let refs: Vec<&Target> = targets.iter().collect();
    let plan = RolloutPlan::new(&refs, &r);
    let mut s = RolloutState::default();
    s.outcomes.insert(
        "c0".into(),
        TargetProgress::Failed {
            message: "ImagePullBackOff".into(),
        },
    );
    let d = plan.decide(&s, Timestamp(FRIDAY_NOON));
    let Decision::Halt {
        wave,
        reason,
        rollback,
    } = d
    else {
        panic!("{d:?}")
    };
    assert_eq!(wave, "canary");
    assert!(reason.contains("c0 failed (ImagePullBackOff)"), "{reason}");
    assert!(rollback.is_empty(), "a failed target kept the old release");

    // Unhealthy during the rest's bake, past a budget of 1: the rest's targets that took it
    // are rolled back.
    r.failure_budget = FailureBudget::count(1);
    let plan = RolloutPlan::new(&refs, &r);
    let rest = plan.wave("rest").unwrap().targets.clone();
    let mut s = RolloutState::default();
    let t = Timestamp(FRIDAY_NOON);
    s.outcomes
        .insert("c0".into(), TargetProgress::Succeeded { at: t });
    for name in &rest {
        s.outcomes
            .insert(name.clone(), TargetProgress::Succeeded { at: t.plus(700) });
    }
    s.outcomes.insert(
        rest[0].clone(),
        TargetProgress::Unhealthy {
            since: t.plus(800),
            reason: "readiness probe failing".into(),
        },
    );
    assert!(matches!(
        plan.decide(&s, t.plus(900)),
        Decision::WaitUntil { .. }
    ));
    s.outcomes.insert(
        rest[3].clone(),
        TargetProgress::Failed {
            message: "x".into(),
        },
    );
    let Decision::Halt { wave, rollback, .. } = plan.decide(&s, t.plus(900)) else {
        panic!()
    };
    assert_eq!(wave, "rest");
    let expected: Vec<String> = rest.iter().filter(|n| **n != rest[3]).cloned().collect();
    assert_eq!(rollback, expected);
}

#[test]
fn an_application_narrows_the_rollout_and_may_not_widen_it() {
    let (_, mut r) = shop();
    r.approval = vec!["rest".into()];
    let narrowed = r
        .narrow(&RolloutOverride {
            max_in_flight: Some(1),
            failure_budget: Some(FailureBudget::count(0)),
            bake: Some(Bake::from_seconds(3600)),
            approval: vec!["canary".into(), "rest".into()],
            auto_rollback: Some(true),
        })
        .unwrap();
    assert_eq!(narrowed.max_in_flight, Some(1));
    assert_eq!(narrowed.failure_budget, FailureBudget::count(0));
    assert_eq!(narrowed.bake.seconds(), 3600);
    assert_eq!(narrowed.approval, vec!["rest", "canary"]);
    assert!(narrowed.auto_rollback);
    assert_eq!(r.narrow(&RolloutOverride::default()).unwrap(), r);

    r.auto_rollback = true;
    let err = r
        .narrow(&RolloutOverride {
            max_in_flight: Some(5),
            failure_budget: Some(FailureBudget::count(2)),
            bake: Some(Bake::from_seconds(60)),
            approval: vec!["cannary".into()],
            auto_rollback: Some(false),
        })
        .unwrap_err();
    let ds = err.diagnostics();
    let at = |key: &str| {
        ds.iter()
            .find(|d| d.location.key_path == key)
            .unwrap_or_else(|| panic!("no diagnostic at {key}: {err}"))
    };
    assert_eq!(at("rollout.maxInFlight").location.file, "wo/app.yaml");
    assert!(at("rollout.maxInFlight")
        .message
        .contains("the fleet allows 2, this asks 5"));
    assert!(at("rollout.failureBudget")
        .message
        .contains("the fleet's is {count: 1}, this asks {count: 2}"));
    assert!(at("rollout.bake")
        .message
        .contains("the fleet's is 10m, this asks 1m"));
    assert_eq!(
        at("rollout.approval.0").hint.as_deref(),
        Some("did you mean `canary`?")
    );
    assert!(at("rollout.autoRollback")
        .message
        .contains("cannot turn that off"));
    let mixed = r
        .narrow(&RolloutOverride {
            failure_budget: Some(FailureBudget::percent(Percent::from_hundredths(100))),
            ..RolloutOverride::default()
        })
        .unwrap_err();
    assert!(mixed.to_string().contains("in the same form"), "{mixed}");
}

#[test]
fn statuses_record_the_rollout_and_replay_reads_it_back() {
    let (targets, mut r) = shop();
    r.approval = vec!["rest".into()];
    let refs: Vec<&Target> = targets.iter().collect();
    let plan = RolloutPlan::new(&refs, &r);
    let rest = plan.wave("rest").unwrap().targets.clone();
    let t = Timestamp(FRIDAY_NOON);
    let mut s = RolloutState::default();
    s.outcomes
        .insert("c0".into(), TargetProgress::Succeeded { at: t });
    s.approvals.insert(
        "rest".into(),
        Approval {
            by: "alice".into(),
            at: t,
        },
    );
    s.outcomes.insert(
        rest[0].clone(),
        TargetProgress::Succeeded { at: t.plus(700) },
    );
    s.outcomes.insert(
        rest[1].clone(),
        TargetProgress::Failed {
            message: "quota exceeded".into(),
        },
    );
    s.outcomes.insert(rest[2].clone(), TargetProgress::InFlight);
    s.outcomes.insert(rest[3].clone(), TargetProgress::InFlight);
    let now = t.plus(800);
    let statuses = record(&plan, "prod", "1a2b3c4d5e", &s, now);
    let contexts: Vec<(&str, CommitState, &str)> = statuses
        .iter()
        .map(|s| (s.context.as_str(), s.state, s.description.as_str()))
        .collect();
    let wave_rest = "wo/prod/wave/rest";
    let fp = plan.wave("rest").unwrap().fingerprint();
    assert_eq!(
        contexts,
        vec![
            (
                format!("wo/prod/{}", rest[1]).as_str(),
                CommitState::Failure,
                "1a2b3c4 failed: quota exceeded"
            ),
            (
                "wo/prod/approval/rest",
                CommitState::Success,
                "1a2b3c4 approved by alice at 2026-12-04T12:00:00Z"
            ),
            (
                "wo/prod/wave/canary",
                CommitState::Success,
                format!(
                    "1a2b3c4 done=1/1 sent=1 failed=0 unhealthy=0 last=2026-12-04T12:00:00Z h={}",
                    plan.wave("canary").unwrap().fingerprint()
                )
                .as_str()
            ),
            (
                wave_rest,
                CommitState::Pending,
                format!(
                    "1a2b3c4 done=2/6 sent=4 failed=1 unhealthy=0 last=2026-12-04T12:11:40Z h={fp}"
                )
                .as_str()
            ),
        ]
    );
    let back = replay(&plan, "prod", "1a2b3c4d5e", &statuses).unwrap();
    assert_eq!(back.approvals, s.approvals);
    assert_eq!(back.outcomes.len(), s.outcomes.len());
    assert_eq!(plan.decide(&back, now), plan.decide(&s, now));
    assert_eq!(
        deploy_targets(&plan.decide(&back, now)),
        vec![rest[2].clone(), rest[3].clone()]
    );

    // Another release of the same source commit starts from nothing.
    assert_eq!(
        replay(&plan, "prod", "9999999", &statuses).unwrap(),
        RolloutState::default()
    );

    // Edited waves under a running rollout.
    let mut edited = statuses.clone();
    let i = edited.iter().position(|s| s.context == wave_rest).unwrap();
    edited[i].description = edited[i].description.replace(&fp, "00000000");
    assert!(matches!(
        replay(&plan, "prod", "1a2b3c4d5e", &edited),
        Err(Error::Precondition { .. })
    ));

    // A lost target status would undercount the budget.
    let lost: Vec<_> = statuses
        .iter()
        .filter(|s| !s.description.contains("failed:"))
        .cloned()
        .collect();
    let err = replay(&plan, "prod", "1a2b3c4d5e", &lost).unwrap_err();
    assert!(
        err.to_string()
            .contains("counts 1 failed and 0 unhealthy targets, but 0 and 0 have statuses"),
        "{err}"
    );
}

// ---- the property test: a simulated rollout driven by the planner ----

/// One thing that happens between two decisions.
#[derive(Debug, Clone)]
enum Event {
    /// The clock moves.
    Advance(u32),
    /// An in-flight target (picked by index) reports: success, or failure.
    Outcome(usize, bool),
    /// A succeeded target of the wave being installed or baked turns unhealthy.
    Unhealthy(usize),
    /// Someone approves the wave waiting for it.
    Approve,
    /// The run stops and a later run replays the state from the statuses.
    Restart,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => (1u32..4000).prop_map(Event::Advance),
        6 => (any::<usize>(), prop::bool::weighted(0.85)).prop_map(|(i, ok)| Event::Outcome(i, ok)),
        1 => any::<usize>().prop_map(Event::Unhealthy),
        2 => Just(Event::Approve),
        1 => Just(Event::Restart),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    labels: Vec<u8>,
    waves: Vec<(Option<u8>, Option<u32>)>,
    max_in_flight: Option<u32>,
    budget: (bool, u32),
    bake: u64,
    approval: Vec<bool>,
    window: Option<(u8, u32, u32, i32)>,
    auto_rollback: bool,
    start: i64,
    events: Vec<Event>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0u8..3, 1..40),
        prop::collection::vec(
            (prop::option::of(0u8..3), prop::option::of(1u32..10_000)),
            0..3,
        ),
        prop::option::of(1u32..6),
        (any::<bool>(), 0u32..3),
        prop_oneof![Just(0u64), 1u64..3600],
        prop::collection::vec(any::<bool>(), 4),
        prop::option::of((1u8..128, 0u32..1440, 1u32..1440, -12i32..14)),
        any::<bool>(),
        (0i64..(4 * 365 * 86_400)).prop_map(|s| 1_767_225_600 + s),
        prop::collection::vec(event(), 0..300),
    )
        .prop_map(
            |(
                labels,
                waves,
                max_in_flight,
                budget,
                bake,
                approval,
                window,
                auto_rollback,
                start,
                events,
            )| Case {
                labels,
                waves,
                max_in_flight,
                budget,
                bake,
                approval,
                window,
                auto_rollback,
                start,
                events,
            },
        )
}

fn build(case: &Case) -> (Vec<Target>, Rollout) {
    let targets: Vec<Target> = case
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| target(&format!("t{i}"), &[("ring", &l.to_string())]))
        .collect();
    let mut waves: Vec<Wave> = case
        .waves
        .iter()
        .enumerate()
        .map(|(i, (sel, pct))| Wave {
            name: format!("w{i}"),
            selector: sel.map(|l| [("ring".to_string(), l.to_string())].into()),
            // A wave needs a selector or a share below 100% unless it is last.
            percent: pct
                .map(|p| Percent::from_hundredths(p.min(9_999)))
                .or(if sel.is_none() {
                    Some(Percent::from_hundredths(5_000))
                } else {
                    None
                }),
        })
        .collect();
    waves.push(Wave {
        name: "rest".into(),
        selector: None,
        percent: None,
    });
    let approval = waves
        .iter()
        .zip(case.approval.iter().cycle())
        .filter(|(_, a)| **a)
        .map(|(w, _)| w.name.clone())
        .collect();
    let windows = case
        .window
        .map(|(days, start, len, offset)| {
            let day_names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let days: Vec<&str> = (0..7)
                .filter(|i| days & (1 << i) != 0)
                .map(|i| day_names[i])
                .collect();
            let end = (start + len) % 1440;
            let end = if end == start { (end + 1) % 1440 } else { end };
            let zone = if offset == 0 {
                "UTC".to_string()
            } else {
                format!(
                    "{}{:02}:00",
                    if offset < 0 { '-' } else { '+' },
                    offset.abs()
                )
            };
            vec![Window::parse(&format!(
                "{} {:02}:{:02}-{:02}:{:02} {zone}",
                days.join(","),
                start / 60,
                start % 60,
                end / 60,
                end % 60
            ))
            .expect("a generated window parses")]
        })
        .unwrap_or_default();
    let (percent, n) = case.budget;
    let rollout = Rollout {
        waves,
        max_in_flight: case.max_in_flight,
        failure_budget: if percent {
            FailureBudget::percent(Percent::from_hundredths(n * 1_500))
        } else {
            FailureBudget::count(n)
        },
        bake: Bake::from_seconds(case.bake),
        approval,
        windows,
        auto_rollback: case.auto_rollback,
    };
    (targets, rollout)
}

/// The wave a decision may install in: the first non-empty wave not complete and baked.
fn current_wave(plan: &RolloutPlan, s: &RolloutState, now: Timestamp) -> Option<String> {
    plan.waves
        .iter()
        .filter(|w| !w.targets.is_empty())
        .find(|w| {
            let complete = w.targets.iter().all(|t| s.progress(t).is_done());
            !complete || plan.baked_at(w, s).is_some_and(|b| now < b)
        })
        .map(|w| w.name.clone())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn the_planner_keeps_its_promises(case in case()) {
        let (targets, rollout) = build(&case);
        let refs: Vec<&Target> = targets.iter().collect();
        let plan = RolloutPlan::new(&refs, &rollout);
        let mut s = RolloutState::default();
        let mut now = Timestamp(case.start);
        let mut halted: Option<String> = None;
        let mut in_flight_at_halt = 0usize;
        let mut installs: BTreeMap<String, usize> = BTreeMap::new();
        // What each install did, as the orchestrator knows it: a target sent again after a
        // restart reports the same (installs are idempotent).
        let mut truth: BTreeMap<String, bool> = BTreeMap::new();
        let release = "0123456789abcdef";

        for ev in &case.events {
            let decision = plan.decide(&s, now);

            // Replaying the recorded state gives the same decision.
            let statuses = record(&plan, "prod", release, &s, now);
            let back = replay(&plan, "prod", release, &statuses).expect("replay");
            prop_assert_eq!(&plan.decide(&back, now), &decision);

            // A halted rollout stays halted, in the same wave.
            if let Some(w) = &halted {
                let same = matches!(&decision, Decision::Halt { wave, .. } if wave == w);
                prop_assert!(same, "halted in {} and then {:?}", w, decision);
            }
            match &decision {
                Decision::Deploy { wave, targets } => {
                    // Only targets of the current wave, at most a batch.
                    prop_assert_eq!(Some(wave.clone()), current_wave(&plan, &s, now));
                    let planned = plan.wave(wave).unwrap();
                    prop_assert!(!targets.is_empty() && targets.len() <= planned.batch);
                    for t in targets {
                        prop_assert!(planned.targets.contains(t));
                        prop_assert!(!s.progress(t).is_bad());
                    }
                    if planned.approval {
                        prop_assert!(s.approvals.contains_key(wave));
                    }
                    prop_assert!(rollout.windows.is_empty() || rollout.windows.iter().any(|w| w.is_open(now)));
                    for t in targets {
                        if *s.progress(t) == TargetProgress::Pending {
                            *installs.entry(t.clone()).or_default() += 1;
                            s.outcomes.insert(t.clone(), TargetProgress::InFlight);
                        }
                    }
                }
                Decision::Halt { wave, rollback, .. } => {
                    if halted.is_none() {
                        halted = Some(wave.clone());
                        in_flight_at_halt = s.outcomes.values().filter(|p| **p == TargetProgress::InFlight).count();
                    }
                    let planned = plan.wave(wave).unwrap();
                    for t in rollback {
                        prop_assert!(planned.targets.contains(t));
                        let took_it = !matches!(s.progress(t), TargetProgress::Failed { .. } | TargetProgress::Pending);
                        prop_assert!(took_it, "rollback of {} that did not take the release", t);
                    }
                    prop_assert!(rollout.auto_rollback || rollback.is_empty());
                }
                Decision::WaitUntil { until, .. } => prop_assert!(*until > now),
                Decision::WaitForApproval { wave } => prop_assert!(!s.approvals.contains_key(wave)),
                Decision::Done => {
                    prop_assert!(plan.waves.iter().flat_map(|w| &w.targets).all(|t| s.progress(t).is_done()));
                }
            }

            // The budget is never exceeded by more than the targets in flight when it halted
            // (plus the one that tipped it).
            for w in &plan.waves {
                let bad = w.targets.iter().filter(|t| s.progress(t).is_bad()).count();
                prop_assert!(bad <= w.budget + 1 + in_flight_at_halt, "wave {} has {} bad, budget {}", w.name, bad, w.budget);
            }

            match ev {
                Event::Advance(secs) => now = now.plus(u64::from(*secs)),
                Event::Outcome(i, ok) => {
                    let flying: Vec<String> = s.outcomes.iter()
                        .filter(|(_, p)| **p == TargetProgress::InFlight)
                        .map(|(t, _)| t.clone()).collect();
                    if !flying.is_empty() {
                        let t = flying[i % flying.len()].clone();
                        let ok = truth.entry(t.clone()).or_insert(*ok);
                        let p = if *ok { TargetProgress::Succeeded { at: now } } else { TargetProgress::Failed { message: "boom".into() } };
                        s.outcomes.insert(t, p);
                    }
                }
                Event::Unhealthy(i) => {
                    // Health is watched only while the wave installs or bakes, and not once halted.
                    if halted.is_none() {
                        if let Some(w) = current_wave(&plan, &s, now) {
                            let ok: Vec<String> = plan.wave(&w).unwrap().targets.iter()
                                .filter(|t| matches!(s.progress(t), TargetProgress::Succeeded { .. }))
                                .cloned().collect();
                            if !ok.is_empty() {
                                s.outcomes.insert(ok[i % ok.len()].clone(), TargetProgress::Unhealthy { since: now, reason: "probe failing".into() });
                            }
                        }
                    }
                }
                Event::Approve => {
                    if let Decision::WaitForApproval { wave } = &decision {
                        s.approvals.insert(wave.clone(), Approval { by: "alice".into(), at: now });
                    }
                }
                Event::Restart => {
                    // The run stops; the next one knows only what the statuses say.
                    let statuses = record(&plan, "prod", release, &s, now);
                    let back = replay(&plan, "prod", release, &statuses).expect("replay");
                    prop_assert_eq!(&back.approvals, &s.approvals);
                    for (t, p) in &s.outcomes {
                        if p.is_bad() {
                            prop_assert_eq!(back.progress(t), p);
                        }
                    }
                    s = back;
                }
            }
        }
        // One install per target, however often runs stopped.
        prop_assert!(installs.values().all(|n| *n == 1), "{:?}", installs);
    }
}
