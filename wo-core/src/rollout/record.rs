//! A rollout's progress as commit statuses of the source commit, and back.
//!
//! | context | state | description |
//! |---|---|---|
//! | `wo/<env>/wave/<wave>` | `pending` (installing, baking), `success` (baked), `failure` (halted here) | `<release> done=<n>/<size> sent=<s> failed=<f> unhealthy=<u> last=<time or -> h=<fingerprint>` |
//! | `wo/<env>/<target>` (failed or unhealthy targets only) | `failure` | `<release> failed: <message>` or `<release> unhealthy since <time>` |
//! | `wo/<env>/approval/<wave>` | `success` | `<release> approved by <who> at <time>` |
//!
//! `<release>` is the first 7 characters of the release's version (the gitops commit):
//! statuses of another release of the same source commit are ignored. `done` counts the
//! wave's targets before its first incomplete batch, `sent` is one past the last target
//! sent, `last` the time of the wave's last successful install, `h` the
//! [fingerprint](super::PlannedWave::fingerprint) of the wave's targets. Every failed or
//! unhealthy target has its own status (their number is bounded by the budgets plus a
//! batch: the rollout halts past them), so the targets to roll back are known exactly; a
//! target that succeeded has none (a fleet of thousands would exceed the git host's limits).
//!
//! What is read back ([`replay`]) can differ from what was written only where the planner
//! does not look: successes get the wave's `last` time, and targets of the open batch that
//! succeeded read back as in flight. [`RolloutPlan::decide`](super::RolloutPlan::decide) gives
//! the same decision for both (a property test checks it).

use std::collections::BTreeMap;

use crate::error::{Error, Location, Result};
use crate::ports::{CommitState, CommitStatus};

use super::{Approval, PlannedWave, RolloutPlan, RolloutState, TargetProgress, Timestamp};

/// The segment of a wave's status context: `wo/<env>/wave/<wave>`.
pub const WAVE_CONTEXT: &str = "wave";
/// The segment of an approval's status context: `wo/<env>/approval/<wave>`.
pub const APPROVAL_CONTEXT: &str = "approval";

/// GitHub keeps at most this many characters of a status description.
const MAX_DESCRIPTION: usize = 140;

pub(crate) fn release_tag(release: &str) -> String {
    release.chars().take(7).collect()
}

fn cut(text: String) -> String {
    match text.char_indices().nth(MAX_DESCRIPTION) {
        Some((i, _)) => text[..i].to_string(),
        None => text,
    }
}

/// The status recording `approval` of `wave` for `release` in `env` (what `wo approve`
/// writes).
pub fn approval_status(env: &str, wave: &str, release: &str, approval: &Approval) -> CommitStatus {
    CommitStatus {
        context: format!("wo/{env}/{APPROVAL_CONTEXT}/{wave}"),
        state: CommitState::Success,
        description: cut(format!(
            "{} approved by {} at {}",
            release_tag(release),
            approval.by,
            approval.at
        )),
        target_url: None,
    }
}

/// The progress of `wave` as recorded: (done, sent, failed, unhealthy, last success).
fn summary(
    wave: &PlannedWave,
    state: &RolloutState,
) -> (usize, usize, usize, usize, Option<Timestamp>) {
    let progress: Vec<&TargetProgress> = wave.targets.iter().map(|t| state.progress(t)).collect();
    let done = match progress.iter().position(|p| !p.is_done()) {
        Some(first) => wave.batch_of(first).start,
        None => wave.targets.len(),
    };
    let sent = progress
        .iter()
        .rposition(|p| !matches!(p, TargetProgress::Pending))
        .map_or(0, |i| i + 1);
    let failed = progress
        .iter()
        .filter(|p| matches!(p, TargetProgress::Failed { .. }))
        .count();
    let unhealthy = progress
        .iter()
        .filter(|p| matches!(p, TargetProgress::Unhealthy { .. }))
        .count();
    let last = progress
        .iter()
        .filter_map(|p| match p {
            TargetProgress::Succeeded { at } => Some(*at),
            _ => None,
        })
        .max();
    (done, sent, failed, unhealthy, last)
}

/// The statuses recording `state` of `release`'s rollout in `env` at `now`: one per wave
/// that has begun, one per failed or unhealthy target, one per approval of a wave of the
/// plan. Writing them all (in this order: targets, approvals, waves) and reading them back
/// with [`replay`] gives the same decisions.
pub fn record(
    plan: &RolloutPlan,
    env: &str,
    release: &str,
    state: &RolloutState,
    now: Timestamp,
) -> Vec<CommitStatus> {
    let tag = release_tag(release);
    let mut targets = Vec::new();
    let mut approvals = Vec::new();
    let mut waves = Vec::new();
    let decision = plan.decide(state, now);
    for wave in &plan.waves {
        for t in &wave.targets {
            let description = match state.progress(t) {
                TargetProgress::Failed { message } => format!("{tag} failed: {message}"),
                TargetProgress::Unhealthy { since, reason } if reason.is_empty() => {
                    format!("{tag} unhealthy since {since}")
                }
                TargetProgress::Unhealthy { since, reason } => {
                    format!("{tag} unhealthy since {since}: {reason}")
                }
                _ => continue,
            };
            targets.push(CommitStatus::for_target(
                env,
                t,
                CommitState::Failure,
                cut(description),
            ));
        }
        if let Some(a) = state.approvals.get(&wave.name) {
            approvals.push(approval_status(env, &wave.name, release, a));
        }
        let (done, sent, failed, unhealthy, last) = summary(wave, state);
        if sent == 0 && failed + unhealthy == 0 {
            continue;
        }
        let halted_here =
            matches!(&decision, super::Decision::Halt { wave: w, .. } if *w == wave.name);
        let baked =
            done == wave.targets.len() && plan.baked_at(wave, state).is_none_or(|b| now >= b);
        let state = if halted_here {
            CommitState::Failure
        } else if baked {
            CommitState::Success
        } else {
            CommitState::Pending
        };
        waves.push(CommitStatus {
            context: format!("wo/{env}/{WAVE_CONTEXT}/{}", wave.name),
            state,
            description: format!(
                "{tag} done={done}/{} sent={sent} failed={failed} unhealthy={unhealthy} last={} h={}",
                wave.targets.len(),
                last.map_or("-".to_string(), |t| t.to_string()),
                wave.fingerprint()
            ),
            target_url: None,
        });
    }
    targets.into_iter().chain(approvals).chain(waves).collect()
}

/// A wave status's description, parsed.
struct WaveRecord {
    done: usize,
    size: usize,
    sent: usize,
    failed: usize,
    unhealthy: usize,
    last: Option<Timestamp>,
    fingerprint: String,
}

fn parse_wave(description: &str) -> Option<(String, WaveRecord)> {
    let mut words = description.split(' ');
    let tag = words.next()?.to_string();
    let fields: BTreeMap<&str, &str> = words.filter_map(|w| w.split_once('=')).collect();
    let (done, size) = fields.get("done")?.split_once('/')?;
    let last = match *fields.get("last")? {
        "-" => None,
        t => Some(Timestamp::parse(t)?),
    };
    Some((
        tag,
        WaveRecord {
            done: done.parse().ok()?,
            size: size.parse().ok()?,
            sent: fields.get("sent")?.parse().ok()?,
            failed: fields.get("failed")?.parse().ok()?,
            unhealthy: fields.get("unhealthy")?.parse().ok()?,
            last,
            fingerprint: fields.get("h")?.to_string(),
        },
    ))
}

/// Reads the progress of `release`'s rollout in `env` back from the statuses of its source
/// commit (as [`record`] wrote them; statuses of other releases and other contexts are
/// ignored).
///
/// # Errors
/// - [`Error::Precondition`] when a wave's recorded fingerprint or size differs from `plan`'s
///   (the waves changed under a running rollout: the fleet or the rollout was edited).
/// - [`Error::Invalid`] naming the status context when a status of this release cannot be
///   read, or a wave counts more failed or unhealthy targets than have statuses (statuses
///   lost or edited: wo would undercount the budget).
pub fn replay(
    plan: &RolloutPlan,
    env: &str,
    release: &str,
    statuses: &[CommitStatus],
) -> Result<RolloutState> {
    let tag = release_tag(release);
    let by_context: BTreeMap<&str, &CommitStatus> =
        statuses.iter().map(|s| (s.context.as_str(), s)).collect();
    let unreadable = |context: &str, what: &str| {
        Error::invalid(
            Location::file(format!("status {context}")),
            format!("cannot read the rollout's progress of release {tag}: {what}"),
        )
    };
    let mut state = RolloutState::default();
    for wave in &plan.waves {
        let approval_context = format!("wo/{env}/{APPROVAL_CONTEXT}/{}", wave.name);
        if let Some(s) = by_context.get(approval_context.as_str()) {
            if let Some(rest) = s.description.strip_prefix(&format!("{tag} approved by ")) {
                let (by, at) = rest
                    .rsplit_once(" at ")
                    .and_then(|(by, at)| Some((by, Timestamp::parse(at)?)))
                    .ok_or_else(|| unreadable(&approval_context, "no approver and time"))?;
                state.approvals.insert(
                    wave.name.clone(),
                    Approval {
                        by: by.to_string(),
                        at,
                    },
                );
            }
        }
        let mut bad = BTreeMap::new();
        for t in &wave.targets {
            let context = format!("wo/{env}/{t}");
            let Some(s) = by_context.get(context.as_str()) else {
                continue;
            };
            let Some(rest) = s.description.strip_prefix(&format!("{tag} ")) else {
                continue;
            };
            if let Some(message) = rest.strip_prefix("failed: ") {
                bad.insert(
                    t.as_str(),
                    TargetProgress::Failed {
                        message: message.to_string(),
                    },
                );
            } else if let Some(rest) = rest.strip_prefix("unhealthy since ") {
                // `<time>` or `<time>: <reason>` (an RFC 3339 time holds no space).
                let (since, reason) = rest.split_once(": ").unwrap_or((rest, ""));
                let since = Timestamp::parse(since)
                    .ok_or_else(|| unreadable(&context, "no time after `unhealthy since`"))?;
                bad.insert(
                    t.as_str(),
                    TargetProgress::Unhealthy {
                        since,
                        reason: reason.to_string(),
                    },
                );
            }
        }
        let context = format!("wo/{env}/{WAVE_CONTEXT}/{}", wave.name);
        let record = match by_context.get(context.as_str()) {
            Some(s) if s.description.starts_with(&format!("{tag} ")) => Some(
                parse_wave(&s.description)
                    .filter(|(t, _)| *t == tag)
                    .map(|(_, r)| r)
                    .ok_or_else(|| unreadable(&context, "not a wave's progress"))?,
            ),
            _ => None,
        };
        if let Some(r) = &record {
            if r.fingerprint != wave.fingerprint() || r.size != wave.targets.len() {
                return Err(Error::precondition(format!(
                    "the targets of wave `{}` in `{env}` changed since its rollout of release {tag} began \
                     (recorded {} targets, fingerprint {}; now {} targets, fingerprint {}): the fleet or its rollout was edited",
                    wave.name, r.size, r.fingerprint, wave.targets.len(), wave.fingerprint()
                )));
            }
            let failed = bad
                .values()
                .filter(|p| matches!(p, TargetProgress::Failed { .. }))
                .count();
            let unhealthy = bad.len() - failed;
            if failed < r.failed || unhealthy < r.unhealthy {
                return Err(unreadable(
                    &context,
                    &format!(
                        "it counts {} failed and {} unhealthy targets, but {failed} and {unhealthy} have statuses",
                        r.failed, r.unhealthy
                    ),
                ));
            }
            if r.done > r.size || r.sent > r.size {
                return Err(unreadable(&context, "counts beyond the wave's size"));
            }
        }
        let (done, sent, last) = record
            .as_ref()
            .map_or((0, 0, None), |r| (r.done, r.sent, r.last));
        for (i, t) in wave.targets.iter().enumerate() {
            let progress = if let Some(p) = bad.remove(t.as_str()) {
                p
            } else if i < done {
                match last {
                    Some(at) => TargetProgress::Succeeded { at },
                    None => {
                        return Err(unreadable(
                            &context,
                            "targets succeeded but no time of the last success",
                        ))
                    }
                }
            } else if i < sent {
                TargetProgress::InFlight
            } else {
                continue;
            };
            state.outcomes.insert(t.clone(), progress);
        }
    }
    Ok(state)
}
