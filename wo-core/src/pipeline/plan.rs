//! The promotion planner: a pure function from an event to the steps it calls for.

use crate::error::Result;

use super::{Action, EnvironmentChain, Event, SourceChoice};

/// The steps `event` calls for, in order.
///
/// | event | actions |
/// |---|---|
/// | source pushed (commit C) | prepare-pr(first env, C, promotable) |
/// | change merged into gitops env E | deploy(E) |
/// | deployment in E finished, failed | halt(E, source commit) |
/// | deployment in E finished ok, promotable, E has a next env N | prepare-pr(N, same source commit, promotable) |
/// | deployment in E finished ok, not promotable or E is last | nothing |
/// | app config merged into E | prepare-pr(E, released source, **not** promotable) |
/// | platform config merged into E | apply-fleet(E), then prepare-pr(E, released source, **not** promotable) |
///
/// The planner does not know the solution's kind: [`Pipeline::run`](super::Pipeline::run)
/// does apply-fleet only in the pipeline of a `Platform` solution (the platform team onboards
/// the clusters; an application's pipeline re-renders for the new fleet and leaves the
/// clusters alone), so that a merged fleet change exists at the orchestrator before the
/// platform is deployed to it.
///
/// # Errors
/// [`Error::NotFound`](crate::Error::NotFound) when the event names an environment that is not
/// in `chain`.
pub fn plan(event: &Event, chain: &EnvironmentChain) -> Result<Vec<Action>> {
    Ok(match event {
        Event::SourcePushed { commit } => vec![Action::PreparePr {
            environment: chain.first().to_string(),
            source: SourceChoice::Commit(commit.clone()),
            promotable: true,
        }],
        Event::ChangeMerged { environment } => {
            chain.check(environment)?;
            vec![Action::Deploy {
                environment: environment.clone(),
            }]
        }
        Event::DeploymentFinished {
            environment,
            source_commit,
            promotable,
            succeeded,
        } => {
            chain.check(environment)?;
            match (succeeded, promotable, chain.next(environment)) {
                (false, _, next) => vec![Action::Halt {
                    environment: environment.clone(),
                    source_commit: source_commit.clone(),
                    reason: match (promotable, next) {
                        (true, Some(next)) => format!(
                            "the deployment to `{environment}` failed; `{next}` does not receive {}",
                            source_commit.short()
                        ),
                        _ => format!("the deployment to `{environment}` failed"),
                    },
                }],
                (true, true, Some(next)) => vec![Action::PreparePr {
                    environment: next.to_string(),
                    source: SourceChoice::Commit(source_commit.to_string()),
                    promotable: true,
                }],
                (true, _, _) => Vec::new(),
            }
        }
        Event::ConfigMerged { environment } => {
            chain.check(environment)?;
            vec![Action::PreparePr {
                environment: environment.clone(),
                source: SourceChoice::Released,
                promotable: false,
            }]
        }
        Event::PlatformConfigMerged { environment } => {
            chain.check(environment)?;
            vec![
                Action::ApplyFleet {
                    environment: environment.clone(),
                },
                Action::PreparePr {
                    environment: environment.clone(),
                    source: SourceChoice::Released,
                    promotable: false,
                },
            ]
        }
    })
}
