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
    /// # Errors
    /// The first step that fails ends the run with its error. Steps already done stay done
    /// (their effects live in the repositories and statuses); running the event again resumes.
    pub async fn run(&self, event: &super::Event) -> Result<Vec<StepOutcome>> {
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
                Action::Deploy { environment } => {
                    let deployed = self.deploy(&environment).await?;
                    queue.extend(deployed.next.iter().cloned());
                    done.push(StepOutcome::Deployed(Box::new(deployed)));
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
