//! A rollout as people see it: per wave its targets done, failed and waiting and its phase,
//! rendered as one table for the terminal (`wo status`, `wo deploy`) and for git hosts' pages
//! (the job summary, the change request's comment).

use serde::Serialize;

use super::{
    Approval, Decision, PlannedWave, RolloutPlan, RolloutState, TargetProgress, Timestamp,
    WaitReason,
};

/// Where one wave stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "phase",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum WavePhase {
    /// The wave has no target of this release: the planner skips it.
    Empty,
    /// Nothing installed yet; an earlier wave comes first.
    Pending,
    /// Nothing installed yet, and it is next: the next run installs it.
    Ready,
    /// Installing: some of its targets have an outcome, others not yet.
    Deploying,
    /// It waits for `wo approve` before its first install.
    WaitingForApproval,
    /// It waits for a window of the rollout, which opens at `until`.
    WaitingForWindow {
        /// When the next window opens.
        until: Timestamp,
    },
    /// Every target has an outcome; the healthy ones must stay so until `until`.
    Baking {
        /// The end of the bake.
        until: Timestamp,
        /// Seconds from the view's clock to `until`.
        seconds_left: u64,
    },
    /// Installed and baked.
    Baked,
    /// More of its targets failed or turned unhealthy than its budget allows: the rollout
    /// stopped here.
    Halted,
}

/// One wave of a [`RolloutView`]: counts of its targets by outcome, and its phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveView {
    /// The wave's name.
    pub name: String,
    /// Its targets.
    pub total: usize,
    /// Those that took the release and are healthy.
    pub done: usize,
    /// Those that failed to install or turned unhealthy (what counts against the budget).
    pub failed: usize,
    /// Those sent whose outcome is not recorded yet (a batch being installed, or cut short by
    /// a run that stopped: the next run sends it again).
    pub in_flight: usize,
    /// Those not sent yet.
    pub waiting: usize,
    /// The failed or unhealthy targets the wave tolerates.
    pub budget: usize,
    /// Whether the wave waits for an approval.
    pub needs_approval: bool,
    /// Its approval, once given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// Where it stands.
    #[serde(flatten)]
    pub phase: WavePhase,
}

/// A rollout of one release in one environment at one time: what `wo status` shows under the
/// environment, what the job summary and the change request's comment hold.
///
/// It is computed from the plan, the progress and a clock only, so it shows what the
/// progress records: read back with [`replay`](super::replay) (as `wo status` does), the
/// targets of a batch whose outcomes were not recorded yet count as waiting or in flight,
/// and unhealthy targets are those a run saw (nothing asks the orchestrator here).
///
/// ```
/// use wo_core::format::fleet::Fleet;
/// use wo_core::rollout::{RolloutPlan, RolloutState, RolloutView, TableFormat, TargetProgress, Timestamp};
///
/// let fleet = Fleet::parse(r#"
/// apiVersion: wo/v1
/// kind: Fleet
/// environment: prod
/// targets: [{name: c1, labels: {ring: canary}}, {name: s1}, {name: s2}]
/// assignments: [{solution: shop, targets: [c1, s1, s2]}]
/// rollout:
///   waves: [{name: canary, selector: {ring: canary}}, {name: rest}]
///   bake: 15m
/// "#, "fleet.yaml")?;
/// let targets = fleet.assigned_targets("shop", &[], "fleet.yaml")?;
/// let plan = RolloutPlan::new(&targets, fleet.rollout.as_ref().unwrap());
/// let mut state = RolloutState::default();
/// state.outcomes.insert("c1".into(), TargetProgress::Succeeded { at: Timestamp(1_800_000_000) });
///
/// let view = RolloutView::new("prod", &plan, &state, Timestamp(1_800_000_060));
/// let text = view.render(TableFormat::Text);
/// assert!(text.contains("canary  1        1     0       0        baking until 2027-01-15T08:15:00Z (14m left)"), "{text}");
/// assert!(text.contains("rest    2        0     0       2        pending"), "{text}");
/// # Ok::<(), wo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutView {
    /// The environment.
    pub environment: String,
    /// The clock the view was computed at.
    pub at: Timestamp,
    /// The waves, in order.
    pub waves: Vec<WaveView>,
    /// What the planner says comes next at [`at`](Self::at).
    pub decision: Decision,
    /// That, in one line for people (at most [`MAX_SUMMARY_CHARS`] characters).
    pub summary: String,
}

/// The longest [`RolloutView::summary`], in characters: a halt's reason quotes the
/// orchestrator's messages, which a page (a change request comment, a job summary) must not
/// be flooded with; [`RolloutView::decision`] keeps them whole.
pub const MAX_SUMMARY_CHARS: usize = 500;

/// How [`RolloutView::render`] writes the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Aligned plain text, for a terminal.
    Text,
    /// A GitHub-flavoured Markdown table, every cell escaped ([`crate::markdown::cell`]).
    Markdown,
}

impl RolloutView {
    /// The view of `state` of `plan` in `environment` at `now`.
    pub fn new(
        environment: &str,
        plan: &RolloutPlan,
        state: &RolloutState,
        now: Timestamp,
    ) -> RolloutView {
        let decision = plan.decide(state, now);
        let waves = plan
            .waves
            .iter()
            .map(|w| wave_view(plan, w, state, &decision, now))
            .collect();
        let mut summary = summary(environment, &decision, now);
        if let Some((cut, _)) = summary.char_indices().nth(MAX_SUMMARY_CHARS) {
            summary.truncate(cut);
            summary.push('…');
        }
        RolloutView {
            summary,
            environment: environment.to_string(),
            at: now,
            waves,
            decision,
        }
    }

    /// The summary line, then one row per wave (wave, targets, done, failed, waiting, phase),
    /// ending with a line break. `waiting` counts the targets without a recorded outcome (not
    /// sent, or in flight).
    pub fn render(&self, format: TableFormat) -> String {
        const HEADER: [&str; 6] = ["wave", "targets", "done", "failed", "waiting", "phase"];
        let rows: Vec<[String; 6]> = self
            .waves
            .iter()
            .map(|w| {
                [
                    w.name.clone(),
                    w.total.to_string(),
                    w.done.to_string(),
                    w.failed.to_string(),
                    (w.waiting + w.in_flight).to_string(),
                    phase_text(w),
                ]
            })
            .collect();
        match format {
            TableFormat::Markdown => {
                let mut out = format!(
                    "**{}**\n\n| {} |\n|---|---:|---:|---:|---:|---|\n",
                    crate::markdown::cell(&self.summary),
                    HEADER.join(" | ")
                );
                for row in &rows {
                    let cells: Vec<String> = row.iter().map(|c| crate::markdown::cell(c)).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                out
            }
            TableFormat::Text => {
                let header = HEADER.map(str::to_uppercase);
                let mut widths = header.clone().map(|h| h.chars().count());
                for row in &rows {
                    for (w, c) in widths.iter_mut().zip(row) {
                        *w = (*w).max(c.chars().count());
                    }
                }
                let mut out = format!("{}\n", self.summary);
                for row in std::iter::once(&header).chain(&rows) {
                    let mut line = String::new();
                    for (i, (c, w)) in row.iter().zip(widths).enumerate() {
                        line.push_str(c);
                        if i + 1 < row.len() {
                            let pad = w + 2 - c.chars().count();
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                    out.push_str(line.trim_end());
                    out.push('\n');
                }
                out
            }
        }
    }
}

fn wave_view(
    plan: &RolloutPlan,
    wave: &PlannedWave,
    state: &RolloutState,
    decision: &Decision,
    now: Timestamp,
) -> WaveView {
    let (mut done, mut failed, mut in_flight, mut waiting) = (0, 0, 0, 0);
    for t in &wave.targets {
        match state.progress(t) {
            TargetProgress::Pending => waiting += 1,
            TargetProgress::InFlight => in_flight += 1,
            TargetProgress::Succeeded { .. } => done += 1,
            TargetProgress::Failed { .. } | TargetProgress::Unhealthy { .. } => failed += 1,
        }
    }
    let named = |w: &str| w == wave.name;
    let started = waiting < wave.targets.len();
    let phase = if wave.targets.is_empty() {
        WavePhase::Empty
    } else if matches!(decision, Decision::Halt { wave, .. } if named(wave)) {
        WavePhase::Halted
    } else if waiting + in_flight == 0 {
        match plan.baked_at(wave, state) {
            Some(until) if now < until => WavePhase::Baking {
                until,
                seconds_left: u64::try_from(until.0 - now.0).unwrap_or(0),
            },
            _ => WavePhase::Baked,
        }
    } else {
        match decision {
            Decision::WaitForApproval { wave } if named(wave) => WavePhase::WaitingForApproval,
            Decision::WaitUntil {
                until,
                reason: WaitReason::Window { wave },
            } if named(wave) => WavePhase::WaitingForWindow { until: *until },
            _ if started => WavePhase::Deploying,
            Decision::Deploy { wave, .. } if named(wave) => WavePhase::Ready,
            _ => WavePhase::Pending,
        }
    };
    WaveView {
        name: wave.name.clone(),
        total: wave.targets.len(),
        done,
        failed,
        in_flight,
        waiting,
        budget: wave.budget,
        needs_approval: wave.approval,
        approval: state.approvals.get(&wave.name).cloned(),
        phase,
    }
}

/// A duration for people: `1h 5m`, `14m 10s`, `40s`.
fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

fn phase_text(w: &WaveView) -> String {
    let approval = match (&w.approval, w.needs_approval) {
        (Some(a), _) => format!(", approved by {}", a.by),
        (None, true) => ", needs approval".to_string(),
        (None, false) => String::new(),
    };
    match &w.phase {
        WavePhase::Empty => "skipped: no target".to_string(),
        WavePhase::Pending => format!("pending{approval}"),
        WavePhase::Ready => format!("next: the next run installs it{approval}"),
        WavePhase::Deploying if w.in_flight > 0 => format!(
            "deploying ({} sent, outcome not recorded yet){approval}",
            w.in_flight
        ),
        WavePhase::Deploying => format!("deploying{approval}"),
        WavePhase::WaitingForApproval => "waiting for approval".to_string(),
        WavePhase::WaitingForWindow { until } => {
            format!("waiting for the window opening at {until}")
        }
        WavePhase::Baking {
            until,
            seconds_left,
        } => format!("baking until {until} ({} left)", duration(*seconds_left)),
        WavePhase::Baked => "baked".to_string(),
        WavePhase::Halted => format!("halted: over its failure budget of {}", w.budget),
    }
}

/// The decision in one line.
fn summary(env: &str, decision: &Decision, now: Timestamp) -> String {
    let left = |until: &Timestamp| duration(u64::try_from(until.0 - now.0).unwrap_or(0));
    match decision {
        Decision::Done => "done: every wave installed and baked".to_string(),
        Decision::Halt { wave, reason, .. } => format!("halted in wave `{wave}`: {reason}"),
        Decision::WaitUntil {
            until,
            reason: WaitReason::Bake { wave },
        } => format!("wave `{wave}` bakes until {until} ({} left)", left(until)),
        Decision::WaitUntil {
            until,
            reason: WaitReason::Window { wave },
        } => format!(
            "wave `{wave}` waits for its window, which opens at {until} (in {})",
            left(until)
        ),
        Decision::WaitForApproval { wave } => {
            format!("wave `{wave}` waits for an approval: wo approve --env {env} --wave {wave}")
        }
        Decision::Deploy { wave, .. } => {
            format!("wave `{wave}` is next: the next run of wo deploy installs it")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::fleet::Fleet;

    /// 2026-12-04T12:00:00Z, a Friday.
    const NOON: Timestamp = Timestamp(1_796_385_600);

    /// c1 (canary), then 4 in `early` by 2, then the rest (approval); bake 10m, budget 1.
    fn plan(extra: &str) -> RolloutPlan {
        let fleet = Fleet::parse(
            &format!(
                "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\ntargets:\n  - {{name: c1, labels: {{ring: canary}}}}\n  - {{name: e1, labels: {{ring: early}}}}\n  - {{name: e2, labels: {{ring: early}}}}\n  - {{name: e3, labels: {{ring: early}}}}\n  - {{name: e4, labels: {{ring: early}}}}\n  - {{name: r1}}\n  - {{name: x1, labels: {{ring: spare}}}}\nassignments: [{{solution: shop, targets: [c1, e1, e2, e3, e4, r1]}}]\nrollout:\n  waves:\n    - {{name: canary, selector: {{ring: canary}}}}\n    - {{name: early, selector: {{ring: early}}}}\n    - {{name: spare, selector: {{ring: spare}}}}\n    - {{name: rest}}\n  maxInFlight: 2\n  failureBudget: {{count: 1}}\n  bake: 10m\n  approval: [rest]\n{extra}"
            ),
            "fleet.yaml",
        )
        .unwrap();
        let targets = fleet.assigned_targets("shop", &[], "fleet.yaml").unwrap();
        RolloutPlan::new(&targets, fleet.rollout.as_ref().unwrap())
    }

    fn phases(v: &RolloutView) -> Vec<(String, WavePhase)> {
        v.waves
            .iter()
            .map(|w| (w.name.clone(), w.phase.clone()))
            .collect()
    }

    #[test]
    fn a_rollout_mid_way_counts_each_wave_and_says_how_long_the_bake_lasts() {
        let plan = plan("");
        let early = plan.wave("early").unwrap().targets.clone();
        let mut state = RolloutState::default();
        let done = NOON.plus(60);
        let canary_done = Timestamp(NOON.0 - 600);
        state
            .outcomes
            .insert("c1".into(), TargetProgress::Succeeded { at: canary_done });
        for t in &early[..3] {
            state
                .outcomes
                .insert(t.clone(), TargetProgress::Succeeded { at: done });
        }
        state.outcomes.insert(
            early[3].clone(),
            TargetProgress::Failed {
                message: "image pull | <error>".into(),
            },
        );
        let now = NOON.plus(200);
        let v = RolloutView::new("prod", &plan, &state, now);
        let counts: Vec<(usize, usize, usize, usize)> = v
            .waves
            .iter()
            .map(|w| (w.total, w.done, w.failed, w.waiting))
            .collect();
        assert_eq!(
            counts,
            [(1, 1, 0, 0), (4, 3, 1, 0), (0, 0, 0, 0), (1, 0, 0, 1)]
        );
        let until = done.plus(600);
        assert_eq!(
            phases(&v),
            [
                ("canary".into(), WavePhase::Baked),
                (
                    "early".into(),
                    WavePhase::Baking {
                        until,
                        seconds_left: 460
                    }
                ),
                ("spare".into(), WavePhase::Empty),
                ("rest".into(), WavePhase::Pending),
            ]
        );
        assert_eq!(
            v.summary,
            format!("wave `early` bakes until {until} (7m 40s left)")
        );

        let text = v.render(TableFormat::Text);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], v.summary);
        assert_eq!(lines[1], "WAVE    TARGETS  DONE  FAILED  WAITING  PHASE");
        assert_eq!(
            lines[3],
            format!("early   4        3     1       0        baking until {until} (7m 40s left)")
        );
        assert_eq!(
            lines[4],
            "spare   0        0     0       0        skipped: no target"
        );
        assert_eq!(
            lines[5],
            "rest    1        0     0       1        pending, needs approval"
        );

        let md = v.render(TableFormat::Markdown);
        assert!(md.starts_with(&format!("**{}**\n\n| wave | targets |", v.summary)));
        assert!(
            md.contains("| spare | 0 | 0 | 0 | 0 | skipped: no target |\n"),
            "{md}"
        );
    }

    #[test]
    fn approval_window_halt_and_done_each_show_in_their_wave() {
        let plan = plan("  windows: [\"Mon-Fri 06:00-16:00 UTC\"]\n");
        let mut state = RolloutState::default();
        for w in &plan.waves[..2] {
            for t in &w.targets {
                state
                    .outcomes
                    .insert(t.clone(), TargetProgress::Succeeded { at: NOON });
            }
        }
        let later = NOON.plus(600);
        let v = RolloutView::new("prod", &plan, &state, later);
        assert_eq!(v.waves[3].phase, WavePhase::WaitingForApproval);
        assert_eq!(
            v.summary,
            "wave `rest` waits for an approval: wo approve --env prod --wave rest"
        );

        state.approvals.insert(
            "rest".into(),
            Approval {
                by: "alice".into(),
                at: later,
            },
        );
        let v = RolloutView::new("prod", &plan, &state, later);
        assert_eq!(v.waves[3].phase, WavePhase::Ready);
        assert!(v
            .render(TableFormat::Text)
            .contains("next: the next run installs it, approved by alice"));
        // Friday 17:00: the window opens on Monday 06:00.
        let evening = NOON.plus(5 * 3600);
        let v = RolloutView::new("prod", &plan, &state, evening);
        let monday = Timestamp::parse("2026-12-07T06:00:00Z").unwrap();
        assert_eq!(
            v.waves[3].phase,
            WavePhase::WaitingForWindow { until: monday }
        );
        assert_eq!(
            serde_json::to_value(&v.waves[3]).unwrap()["phase"],
            "waitingForWindow"
        );

        state
            .outcomes
            .insert("r1".into(), TargetProgress::Succeeded { at: later });
        let v = RolloutView::new("prod", &plan, &state, later.plus(600));
        assert_eq!(v.decision, Decision::Done);
        assert!(v
            .waves
            .iter()
            .all(|w| matches!(w.phase, WavePhase::Baked | WavePhase::Empty)));

        // Two bad targets of `early` are one more than its budget.
        let early = plan.wave("early").unwrap().targets.clone();
        for t in &early[..2] {
            state.outcomes.insert(
                t.clone(),
                TargetProgress::Unhealthy {
                    since: later,
                    reason: String::new(),
                },
            );
        }
        let v = RolloutView::new("prod", &plan, &state, later.plus(600));
        assert_eq!(v.waves[1].phase, WavePhase::Halted);
        assert_eq!((v.waves[1].done, v.waves[1].failed), (2, 2));
        assert!(
            v.summary.starts_with("halted in wave `early`"),
            "{}",
            v.summary
        );
        // The orchestrator's message is in the summary: escaped, it breaks nothing.
        state.outcomes.insert(
            early[0].clone(),
            TargetProgress::Failed {
                message: "pull | <img src=x>\nfailed".into(),
            },
        );
        let md = RolloutView::new("prod", &plan, &state, later).render(TableFormat::Markdown);
        assert!(md.contains("pull \\| &lt;img src=x&gt;<br>failed"), "{md}");
        assert!(!md.contains("<img"));
        for row in md.lines().filter(|l| l.starts_with('|')) {
            assert_eq!(row.replace("\\|", "").matches('|').count(), 7, "{row}");
        }
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["waves"][1]["phase"], "halted");
        assert_eq!(json["waves"][1]["inFlight"], 0);
        assert_eq!(json["decision"]["decision"], "halt");
    }

    #[test]
    fn a_batch_without_recorded_outcomes_shows_as_in_flight_and_waiting() {
        let plan = plan("");
        let early = plan.wave("early").unwrap().targets.clone();
        let mut state = RolloutState::default();
        state
            .outcomes
            .insert("c1".into(), TargetProgress::Succeeded { at: NOON });
        for t in &early[..2] {
            state.outcomes.insert(t.clone(), TargetProgress::InFlight);
        }
        let v = RolloutView::new("prod", &plan, &state, NOON.plus(600));
        let w = &v.waves[1];
        assert_eq!((w.done, w.in_flight, w.waiting), (0, 2, 2));
        assert_eq!(w.phase, WavePhase::Deploying);
        let text = v.render(TableFormat::Text);
        assert!(
            text.contains("early   4        0     0       4        deploying (2 sent, outcome not recorded yet)"),
            "{text}"
        );
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(40), "40s");
        assert_eq!(duration(600), "10m");
        assert_eq!(duration(850), "14m 10s");
        assert_eq!(duration(3600), "1h");
        assert_eq!(duration(3900 + 7), "1h 5m");
    }
}
