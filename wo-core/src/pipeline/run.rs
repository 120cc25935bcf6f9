//! run: plan an event, do the steps, follow the chain.

use std::collections::VecDeque;

use crate::error::Result;

use super::{plan, Action, Pipeline, StepOutcome};

impl Pipeline {
    /// Plans `event`, does the steps and follows what they lead to: a deploy plans the next
    /// step (prepare-pr of the next environment, or a halt). It stops when nothing is left, a
    /// change request waits for review (the next step starts when it is merged: an
    /// [`Event::ChangeMerged`](super::Event::ChangeMerged)), or promotion halts.
    ///
    /// apply-fleet (planned for a platform config change) is done in the pipeline of a
    /// `Platform` solution only, before its prepare-pr: see [`Pipeline::apply_fleet`]. An
    /// application's pipeline leaves it out without a step.
    ///
    /// # Errors
    /// The first step that fails ends the run with its error. Steps already done stay done
    /// (their effects live in the repositories and statuses); running the event again resumes.
    ///
    /// A deploy to an environment whose fleet declares a `rollout:` goes wave by wave
    /// ([`Pipeline::deploy_step`]), with the system clock; see [`run_at`](Pipeline::run_at).
    pub async fn run(&self, event: &super::Event) -> Result<Vec<StepOutcome>> {
        self.run_at(event, &super::rollout::system_clock).await
    }

    /// [`run`](Pipeline::run) with the clock `now` (for rollouts: bakes, windows).
    ///
    /// # Errors
    /// As [`run`](Pipeline::run).
    pub async fn run_at(
        &self,
        event: &super::Event,
        now: &(dyn Fn() -> crate::rollout::Timestamp + Send + Sync),
    ) -> Result<Vec<StepOutcome>> {
        let chain = self.chain().await?;
        let mut queue: VecDeque<Action> = plan(event, &chain)?.into();
        let mut done = Vec::new();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::PreparePr {
                    environment,
                    source,
                    promotable,
                } => {
                    let prepared = self.prepare_pr(&environment, &source, promotable).await?;
                    done.push(StepOutcome::Prepared(Box::new(prepared)));
                    break;
                }
                Action::ApplyFleet { environment } => {
                    done.extend(self.apply_fleet_step(&environment).await?);
                }
                Action::Deploy { environment } => {
                    let step = self.deploy_step(&environment, now).await?;
                    match &step {
                        StepOutcome::Deployed(d) => queue.extend(d.next.iter().cloned()),
                        StepOutcome::RolledOut(r) => queue.extend(r.next.iter().cloned()),
                        _ => {}
                    }
                    done.push(step);
                }
                Action::Halt {
                    environment,
                    source_commit,
                    reason,
                } => {
                    done.push(StepOutcome::Halted {
                        environment,
                        source_commit,
                        reason,
                    });
                    break;
                }
            }
        }
        Ok(done)
    }
}
