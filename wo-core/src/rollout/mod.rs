//! Progressive delivery inside an environment: the pure rollout planner.
//!
//! Start with [`RolloutPlan::new`]: from the targets a solution is assigned in the fleet and
//! the fleet's [`Rollout`](crate::format::fleet::rollout::Rollout) it assigns every target
//! to exactly one wave, in a stable order. [`RolloutPlan::decide`] then says, from the
//! progress so far ([`RolloutState`]) and the clock, what to do next: a [`Decision`].
//! [`record`] writes a state as commit statuses and [`replay`] reads it back, so a run can stop
//! at any moment (a 15-minute bake holds no runner) and any later run continues.
//! [`RolloutView`] shows a state to people: one table per rollout, as text or Markdown.
//!
//! ```
//! use wo_core::format::fleet::Fleet;
//! use wo_core::rollout::{Decision, RolloutPlan, RolloutState, TargetProgress, Timestamp};
//!
//! let fleet = Fleet::parse(r#"
//! apiVersion: wo/v1
//! kind: Fleet
//! environment: prod
//! targets:
//!   - {name: c1, labels: {ring: canary}}
//!   - {name: s1}
//!   - {name: s2}
//! assignments: [{solution: shop, targets: [c1, s1, s2]}]
//! rollout:
//!   waves: [{name: canary, selector: {ring: canary}}, {name: rest}]
//!   bake: 15m
//! "#, "fleet.yaml")?;
//! let targets = fleet.assigned_targets("shop", &[], "fleet.yaml")?;
//! let plan = RolloutPlan::new(&targets, fleet.rollout.as_ref().unwrap());
//!
//! let mut state = RolloutState::default();
//! let now = Timestamp(1_800_000_000);
//! assert_eq!(plan.decide(&state, now), Decision::Deploy { wave: "canary".into(), targets: vec!["c1".into()] });
//!
//! state.outcomes.insert("c1".into(), TargetProgress::Succeeded { at: now });
//! // The canary bakes 15 minutes before the rest gets the release.
//! assert!(matches!(plan.decide(&state, now), Decision::WaitUntil { until, .. } if until == Timestamp(now.0 + 900)));
//! assert!(matches!(plan.decide(&state, Timestamp(now.0 + 900)), Decision::Deploy { wave, .. } if wave == "rest"));
//! # Ok::<(), wo_core::Error>(())
//! ```

mod plan;
pub(crate) mod record;
#[cfg(test)]
mod tests;
mod view;

use std::fmt;

pub use plan::{
    Approval, Decision, PlannedWave, RolloutPlan, RolloutState, TargetProgress, WaitReason,
};
pub use record::{approval_status, record, replay, APPROVAL_CONTEXT, WAVE_CONTEXT};
pub use view::{RolloutView, TableFormat, WavePhase, WaveView, MAX_SUMMARY_CHARS};

/// A point in time: seconds since the Unix epoch, UTC. The planner never reads a clock; the
/// caller passes one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// This time plus `seconds`.
    pub fn plus(self, seconds: u64) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX)),
        )
    }

    /// Parses RFC 3339 (`2026-12-04T15:50:18Z`, any offset).
    pub fn parse(text: &str) -> Option<Timestamp> {
        crate::format::fleet::rollout::parse_rfc3339(text).map(Timestamp)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2026-12-04T15:50:18Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::format::fleet::rollout::rfc3339(self.0))
    }
}
