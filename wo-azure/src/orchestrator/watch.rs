//! Following an installation until it ends: a wait before every poll, and what the watch does
//! when the version it follows was superseded by another install.

use std::time::Duration;

use serde_json::Value;
use wo_core::ports::TargetOutcome;
use wo_core::{Error, Result};

use super::{failed, release_of, state, Plan, WoOrchestrator};
use crate::arm::LroPolicy;

/// Most times one watch moves on to another solution version of the same release (the
/// install that replaced the one it followed): a bound against deploys that keep replacing
/// each other's versions.
pub(crate) const MAX_FOLLOWS: usize = 4;

/// The wait before the next poll of a watch: `interval`, or the service's `Retry-After` when it
/// asks for longer (then at most `lro.max_interval`), never less than `lro.min_interval`. Pure.
pub(crate) fn poll_wait(
    interval: Duration,
    retry_after: Option<Duration>,
    lro: &LroPolicy,
) -> Duration {
    let floor = interval.max(lro.min_interval);
    match retry_after {
        Some(asked) if asked > floor => asked.min(lro.max_interval.max(floor)),
        _ => floor,
    }
}

/// What a watch does next when the version it follows is neither being installed nor ended.
enum Next {
    Done(TargetOutcome),
    Follow(String),
    Wait,
}

impl WoOrchestrator {
    /// Follows solution version `sv_id` of `plan` on `target_id` until it is `Deployed` or
    /// `Failed`.
    ///
    /// Every poll but the first read of a version waits [`poll_wait`] (the watch interval, or
    /// longer when WO's tracked action asks for it with `Retry-After`), on the ARM client's
    /// clock. A version that is neither being installed nor ended was superseded: when the
    /// target runs another version of the same release, or one is being installed, the watch
    /// follows it ([`MAX_FOLLOWS`] times at most); when the target runs another release, or
    /// nothing, the target fails saying so. A watch that would pass
    /// [`WoOptions::watch_timeout`](super::WoOptions::watch_timeout) fails the target; a rerun
    /// watches again.
    pub(super) async fn watch(
        &self,
        plan: &Plan,
        target_id: &str,
        sv_id: &str,
    ) -> Result<TargetOutcome> {
        let clock = self.arm.clock().clone();
        let started = clock.monotonic();
        let mut watching = sv_id.to_string();
        let mut followed = vec![watching.clone()];
        loop {
            let sv = self.arm.get(&watching).await?;
            let now = state(&sv).to_string();
            let mut retry_after = None;
            match now.as_str() {
                "Deployed" => return Ok(TargetOutcome::Deployed),
                "Failed" => return Ok(failed(&sv, None)),
                "Deploying" => {
                    // The action WO tracks paces the polls (and polling it is what moves an
                    // install on in the simulator).
                    let tracking = sv["properties"]["latestActionTrackingUri"]
                        .as_str()
                        .filter(|u| u.starts_with("http"));
                    if let Some(uri) = tracking {
                        match self.arm.get_paced(uri).await {
                            Ok((_, wait)) => retry_after = wait,
                            Err(Error::NotFound { .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                _ => match self.successor(plan, target_id, &watching, &sv).await? {
                    Next::Done(outcome) => return Ok(outcome),
                    Next::Follow(next) => {
                        let fresh = !followed.iter().any(|f| f.eq_ignore_ascii_case(&next));
                        if fresh && followed.len() <= MAX_FOLLOWS {
                            // Another resource: its first read needs no wait.
                            followed.push(next.clone());
                            watching = next;
                            continue;
                        }
                    }
                    Next::Wait => {}
                },
            }
            let wait = poll_wait(
                self.options.watch_interval,
                retry_after,
                self.arm.lro_policy(),
            );
            let elapsed = clock.monotonic().saturating_sub(started);
            if elapsed.saturating_add(wait) > self.options.watch_timeout {
                return Ok(TargetOutcome::Failed {
                    message: format!(
                        "{watching} is still {now} after {} s (a watch lasts at most {} s); a rerun watches it again",
                        elapsed.as_secs(),
                        self.options.watch_timeout.as_secs()
                    ),
                });
            }
            clock.sleep(wait).await;
        }
    }

    /// The version `watching` (read as `sv`) is neither being installed nor ended: another
    /// install ended after it (it is `Undeployed`), or none was made. What the target runs
    /// and what is being installed decide.
    async fn successor(
        &self,
        plan: &Plan,
        target_id: &str,
        watching: &str,
        sv: &Value,
    ) -> Result<Next> {
        let is = |v: &Value, id: &str| v["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id));
        let ours = self.our_versions(target_id, plan).await?;
        let running = self.running_version_id(target_id, &plan.unique).await?;
        if let Some(r) = &running {
            if ours.iter().any(|v| is(v, r) && state(v) == "Deployed") {
                // Another install of this release went through: the target runs it.
                return Ok(Next::Done(TargetOutcome::Deployed));
            }
        }
        if let Some(v) = ours
            .iter()
            .find(|v| state(v) == "Deploying" && !is(v, watching))
        {
            return Ok(Next::Follow(
                v["id"].as_str().unwrap_or_default().to_string(),
            ));
        }
        if state(sv) != "Undeployed" {
            return Ok(Next::Wait);
        }
        let message = match running {
            Some(r) => {
                let what = match self.get_opt(&r).await? {
                    Some(other) => match release_of(&other) {
                        Some(release) => format!("{r} (release {release})"),
                        None => r.clone(),
                    },
                    None => r.clone(),
                };
                format!(
                    "{watching} was replaced on the target by {what} while wo watched it: \
                     another deploy or a rollback installed it meanwhile, so the target does not \
                     run version {} of {}",
                    plan.version, plan.solution
                )
            }
            None => format!("{watching} was uninstalled from the target while wo watched it"),
        };
        Ok(Next::Done(TargetOutcome::Failed { message }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_waits_its_interval_or_longer_when_asked_never_less_than_the_minimum() {
        let s = Duration::from_secs;
        let lro = LroPolicy::default(); // 1 s ..= 60 s
        assert_eq!(poll_wait(s(2), None, &lro), s(2));
        assert_eq!(
            poll_wait(s(2), Some(s(0)), &lro),
            s(2),
            "Retry-After: 0 is no reason to poll faster"
        );
        assert_eq!(
            poll_wait(s(2), Some(s(5)), &lro),
            s(5),
            "the service's wait"
        );
        assert_eq!(
            poll_wait(s(2), Some(s(600)), &lro),
            s(60),
            "at most the max"
        );
        assert_eq!(
            poll_wait(Duration::ZERO, None, &lro),
            s(1),
            "never below the minimum"
        );
        assert_eq!(
            poll_wait(s(90), Some(s(600)), &lro),
            s(90),
            "a watch interval over the LRO maximum is kept"
        );
    }
}
