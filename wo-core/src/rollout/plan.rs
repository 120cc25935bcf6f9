//! Waves from a fleet, and the decision of what to do next.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::format::fleet::rollout::{next_open, Rollout, Window};
use crate::format::fleet::Target;

use super::Timestamp;

/// One wave of a [`RolloutPlan`]: its targets in the order they are installed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedWave {
    /// The wave's name.
    pub name: String,
    /// Its targets, in the stable order (see [`RolloutPlan::new`]).
    pub targets: Vec<String>,
    /// Failed or unhealthy targets it tolerates; one more halts the rollout.
    pub budget: usize,
    /// Whether it waits for an approval before its first install.
    pub approval: bool,
    /// Targets installed at one time: batches are the consecutive runs of this many targets
    /// of [`targets`](Self::targets).
    pub batch: usize,
}

impl PlannedWave {
    /// A fingerprint of the wave's targets in order (8 hex digits): a recorded progress
    /// belongs to a wave only if the fingerprints agree.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for t in &self.targets {
            h.update(t.as_bytes());
            h.update(b"\n");
        }
        h.finalize()[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The batch (index range into [`targets`](Self::targets)) holding position `i`.
    pub(crate) fn batch_of(&self, i: usize) -> std::ops::Range<usize> {
        let start = i / self.batch * self.batch;
        start..(start + self.batch).min(self.targets.len())
    }
}

/// Where one target stands in a rollout.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum TargetProgress {
    /// Not sent yet.
    Pending,
    /// Sent; no outcome yet.
    InFlight,
    /// Runs the release since `at`.
    Succeeded {
        /// When its install finished.
        at: Timestamp,
    },
    /// Did not take the release (it keeps the previous one).
    Failed {
        /// Why, as the orchestrator said it.
        message: String,
    },
    /// Took the release, then turned unhealthy.
    Unhealthy {
        /// When it was seen unhealthy first.
        since: Timestamp,
        /// Why, as the orchestrator said it (may be empty).
        reason: String,
    },
}

impl TargetProgress {
    /// Whether the target has an outcome (succeeded, failed or unhealthy).
    pub fn is_done(&self) -> bool {
        !matches!(self, TargetProgress::Pending | TargetProgress::InFlight)
    }

    /// Whether it counts against the failure budget (failed or unhealthy).
    pub fn is_bad(&self) -> bool {
        matches!(
            self,
            TargetProgress::Failed { .. } | TargetProgress::Unhealthy { .. }
        )
    }
}

/// Who approved a wave, and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Approval {
    /// The approver as the git host names them (a GitHub login): 1 to
    /// [`MAX_APPROVER`](Approval::MAX_APPROVER) characters, no whitespace or invisible
    /// characters ([`Approval::new`] checks it), so that the status recording it stays
    /// within a description's 140 characters and reads back.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

impl Approval {
    /// The longest approver name.
    pub const MAX_APPROVER: usize = 64;

    /// An approval by `by` at `at`.
    ///
    /// # Errors
    /// [`Error::Invalid`](crate::Error::Invalid) when `by` is empty, longer than
    /// [`MAX_APPROVER`](Approval::MAX_APPROVER) or holds whitespace or invisible characters.
    pub fn new(by: &str, at: Timestamp) -> crate::Result<Approval> {
        let ok = !by.is_empty()
            && by.chars().count() <= Self::MAX_APPROVER
            && !by
                .chars()
                .any(|c| c.is_whitespace() || crate::error::is_invisible(c));
        if !ok {
            return Err(crate::Error::invalid(
                crate::Location::file("<approval>").with_key("by"),
                format!(
                    "`{by}` is not an approver: 1 to {} characters, no spaces (a login)",
                    Self::MAX_APPROVER
                ),
            ));
        }
        Ok(Approval {
            by: by.to_string(),
            at,
        })
    }
}

/// The progress of one release's rollout in one environment: what the planner decides from.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RolloutState {
    /// Target → progress; a target not listed is [`TargetProgress::Pending`].
    pub outcomes: BTreeMap<String, TargetProgress>,
    /// Wave → its approval.
    pub approvals: BTreeMap<String, Approval>,
}

impl RolloutState {
    /// The progress of `target` (pending when not listed).
    pub fn progress(&self, target: &str) -> &TargetProgress {
        self.outcomes
            .get(target)
            .unwrap_or(&TargetProgress::Pending)
    }
}

/// Why the planner waits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "for", rename_all = "camelCase")]
pub enum WaitReason {
    /// A wave bakes: its targets must stay healthy until then.
    Bake {
        /// The wave.
        wave: String,
    },
    /// No window is open; the next opens then.
    Window {
        /// The wave that would install next.
        wave: String,
    },
}

/// What to do next, as [`RolloutPlan::decide`] says it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "decision", rename_all = "camelCase")]
pub enum Decision {
    /// Install the release on these targets (all of one wave, at most its batch, in order).
    /// Some may have been sent before by a run that stopped: installing is idempotent, so
    /// they are sent again.
    Deploy {
        /// The wave.
        wave: String,
        /// The targets.
        targets: Vec<String>,
    },
    /// Nothing to do before `until`: stop, and continue from a later run.
    WaitUntil {
        /// When to look again.
        until: Timestamp,
        /// Why.
        reason: WaitReason,
    },
    /// The wave waits for `wo approve`.
    WaitForApproval {
        /// The wave.
        wave: String,
    },
    /// A wave exceeded its failure budget: nothing more is installed.
    Halt {
        /// The wave.
        wave: String,
        /// Why, for people.
        reason: String,
        /// The wave's targets that got the release, to roll back to the previous release
        /// (empty unless the fleet asks for `autoRollback`).
        rollback: Vec<String>,
    },
    /// Every wave installed and baked: the release may be promoted.
    Done,
}

/// The waves of one solution's rollout in one environment: deterministic from the fleet's
/// targets and rollout, computed once per release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutPlan {
    /// The waves in order; every target is in exactly one. A wave may be empty (see
    /// [`warnings`](Self::warnings)): the planner skips it.
    pub waves: Vec<PlannedWave>,
    /// What looks wrong but is allowed: empty waves, budgets that let a whole wave fail.
    pub warnings: Vec<String>,
    bake: u64,
    windows: Vec<Window>,
    auto_rollback: bool,
}

/// The stable order of targets: by a hash of the name (so that a percent wave samples the
/// whole fleet rather than its first region), then by name.
fn stable_key(name: &str) -> ([u8; 8], String) {
    let digest = Sha256::digest(name.as_bytes());
    let mut key = [0u8; 8];
    key.copy_from_slice(&digest[..8]);
    (key, name.to_string())
}

impl RolloutPlan {
    /// Assigns `targets` (the targets of one solution, e.g. from
    /// [`Fleet::assigned_targets`](crate::format::fleet::Fleet::assigned_targets)) to the
    /// waves of `rollout`.
    ///
    /// Targets are taken in the stable order (SHA-256 of the name, then the name), which does
    /// not depend on the fleet's order and keeps each target's place when others are added.
    /// Each wave in turn takes, of the targets still left, those its selector matches (all
    /// without one), and of these the first `percent` (rounded up, at least one) or all. The
    /// first wave whose selector matches a target takes it. The last wave takes the rest.
    pub fn new(targets: &[&Target], rollout: &Rollout) -> RolloutPlan {
        let mut left: Vec<&Target> = targets.to_vec();
        left.sort_by_cached_key(|t| stable_key(&t.name));
        left.dedup_by(|a, b| a.name == b.name);
        let mut waves = Vec::with_capacity(rollout.waves.len());
        let mut warnings = Vec::new();
        let last = rollout.waves.len().saturating_sub(1);
        for (i, w) in rollout.waves.iter().enumerate() {
            let matches = |t: &Target| {
                w.selector
                    .as_ref()
                    .is_none_or(|sel| sel.iter().all(|(k, v)| t.labels.get(k) == Some(v)))
            };
            let candidates = left.iter().filter(|t| matches(t)).count();
            let take = if i == last {
                left.len()
            } else {
                match w.percent {
                    Some(p) if candidates > 0 => p.of_ceil(candidates).clamp(1, candidates),
                    _ => candidates,
                }
            };
            let mut chosen = Vec::with_capacity(take);
            left.retain(|t| {
                if chosen.len() < take && (i == last || matches(t)) {
                    chosen.push(t.name.clone());
                    false
                } else {
                    true
                }
            });
            let size = chosen.len();
            let budget = rollout.failure_budget.of(size);
            if size == 0 {
                warnings.push(format!(
                    "wave `{}` has no target of this solution: it is skipped",
                    w.name
                ));
            } else if budget >= size {
                warnings.push(format!(
                    "the failure budget {} lets all {size} target(s) of wave `{}` fail without halting the rollout",
                    rollout.failure_budget, w.name
                ));
            }
            let batch = rollout
                .max_in_flight
                .map_or(size, |m| m as usize)
                .clamp(1, size.max(1));
            waves.push(PlannedWave {
                name: w.name.clone(),
                targets: chosen,
                budget,
                approval: rollout.approval.contains(&w.name),
                batch,
            });
        }
        RolloutPlan {
            waves,
            warnings,
            bake: rollout.bake.seconds(),
            windows: rollout.windows.clone(),
            auto_rollback: rollout.auto_rollback,
        }
    }

    /// The bake in seconds.
    pub fn bake(&self) -> u64 {
        self.bake
    }

    /// The wave of that name.
    pub fn wave(&self, name: &str) -> Option<&PlannedWave> {
        self.waves.iter().find(|w| w.name == name)
    }

    /// When a complete wave is baked: its last success plus the bake (`None` when no target
    /// of it succeeded: nothing to bake).
    pub(crate) fn baked_at(&self, wave: &PlannedWave, state: &RolloutState) -> Option<Timestamp> {
        wave.targets
            .iter()
            .filter_map(|t| match state.progress(t) {
                TargetProgress::Succeeded { at } => Some(*at),
                _ => None,
            })
            .max()
            .map(|t| t.plus(self.bake))
    }

    /// What to do next, given the progress so far and the time `now`.
    ///
    /// 1. A wave with more failed or unhealthy targets than its budget halts the rollout
    ///    (the first such wave is named); a halted rollout installs nothing more.
    /// 2. Waves go in order; empty waves are skipped. A wave is complete when each of its
    ///    targets succeeded, failed or turned unhealthy; it is baked [`bake`](Self::bake)
    ///    after its last success. Until then the planner waits ([`WaitReason::Bake`]).
    /// 3. The first incomplete wave: without its approval (when it needs one) the planner
    ///    waits for it; outside every window it waits for the next; otherwise it sends the
    ///    first batch holding a target without outcome — that batch's targets that did not
    ///    fail or turn unhealthy. Batches are fixed runs of `maxInFlight` targets of the wave,
    ///    so a batch cut short by a stopped run is sent again as a whole (installs are
    ///    idempotent) and the next batch starts only when it is complete.
    /// 4. Every wave complete and baked: [`Decision::Done`].
    pub fn decide(&self, state: &RolloutState, now: Timestamp) -> Decision {
        for wave in &self.waves {
            let bad: Vec<(&String, &TargetProgress)> = wave
                .targets
                .iter()
                .map(|t| (t, state.progress(t)))
                .filter(|(_, p)| p.is_bad())
                .collect();
            if bad.len() > wave.budget {
                return self.halt(wave, state, &bad);
            }
        }
        for wave in self.waves.iter().filter(|w| !w.targets.is_empty()) {
            let open = wave
                .targets
                .iter()
                .position(|t| !state.progress(t).is_done());
            let Some(first) = open else {
                match self.baked_at(wave, state) {
                    Some(until) if now < until => {
                        return Decision::WaitUntil {
                            until,
                            reason: WaitReason::Bake {
                                wave: wave.name.clone(),
                            },
                        }
                    }
                    _ => continue,
                }
            };
            if wave.approval && !state.approvals.contains_key(&wave.name) {
                return Decision::WaitForApproval {
                    wave: wave.name.clone(),
                };
            }
            let opens = next_open(&self.windows, now);
            if opens != now {
                return Decision::WaitUntil {
                    until: opens,
                    reason: WaitReason::Window {
                        wave: wave.name.clone(),
                    },
                };
            }
            let targets = wave.targets[wave.batch_of(first)]
                .iter()
                .filter(|t| !state.progress(t).is_bad())
                .cloned()
                .collect();
            return Decision::Deploy {
                wave: wave.name.clone(),
                targets,
            };
        }
        Decision::Done
    }

    fn halt(
        &self,
        wave: &PlannedWave,
        state: &RolloutState,
        bad: &[(&String, &TargetProgress)],
    ) -> Decision {
        const SHOWN: usize = 3;
        let mut named: Vec<String> = bad
            .iter()
            .take(SHOWN)
            .map(|(t, p)| match p {
                TargetProgress::Failed { message } => format!("{t} failed ({message})"),
                TargetProgress::Unhealthy { since, reason } if reason.is_empty() => {
                    format!("{t} unhealthy since {since}")
                }
                TargetProgress::Unhealthy { since, reason } => {
                    format!("{t} unhealthy since {since} ({reason})")
                }
                _ => t.to_string(),
            })
            .collect();
        if bad.len() > SHOWN {
            named.push(format!("{} more", bad.len() - SHOWN));
        }
        let reason = format!(
            "wave `{}`: {} of {} targets failed or turned unhealthy, more than its failure budget of {}: {}",
            wave.name,
            bad.len(),
            wave.targets.len(),
            wave.budget,
            named.join(", ")
        );
        let rollback = if self.auto_rollback {
            wave.targets
                .iter()
                .filter(|t| {
                    matches!(
                        state.progress(t),
                        TargetProgress::Succeeded { .. }
                            | TargetProgress::Unhealthy { .. }
                            | TargetProgress::InFlight
                    )
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        Decision::Halt {
            wave: wave.name.clone(),
            reason,
            rollback,
        }
    }
}
