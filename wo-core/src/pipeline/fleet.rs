//! apply-fleet: a merged fleet made the orchestrator's targets before the platform is
//! rendered and deployed to them.

use crate::error::{Error, Location, Result};
use crate::format::app::SolutionKind;
use crate::format::fleet::{Fleet, FLEET_FILE};

use super::chain::fleet_file;
use super::{Action, Pipeline, StepOutcome};

impl Pipeline {
    /// Applies the fleet of `env` (its `fleet.yaml` at the head of the platform config
    /// branch) through [`Ports::fleet`](super::Ports::fleet):
    /// [`StepOutcome::FleetApplied`] with what was created, updated and left alone.
    ///
    /// It is the platform team's step: for an `Application` solution, and when no fleet
    /// onboarding is configured, nothing is applied and the outcome is
    /// [`StepOutcome::Skipped`] saying why.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an environment not in the chain; [`Error::Invalid`] naming the
    /// fleet file when it is missing, invalid or names another environment; the port's error,
    /// naming the operation.
    pub async fn apply_fleet(&self, env: &str) -> Result<StepOutcome> {
        self.chain_with(env).await?;
        let app = self.descriptor().await?;
        match app.kind {
            SolutionKind::Platform => self.apply_fleet_unchecked(env).await,
            SolutionKind::Application => Ok(StepOutcome::Skipped {
                action: Action::ApplyFleet {
                    environment: env.to_string(),
                },
                reason: format!(
                    "`{}` is an Application: the platform solution's pipeline onboards the fleet",
                    app.name
                ),
            }),
        }
    }

    /// The step of [`Pipeline::run`]: `None` for an `Application` solution (not its job, and
    /// not worth a line in its output).
    pub(super) async fn apply_fleet_step(&self, env: &str) -> Result<Option<StepOutcome>> {
        match self.descriptor().await?.kind {
            SolutionKind::Platform => Ok(Some(self.apply_fleet_unchecked(env).await?)),
            SolutionKind::Application => Ok(None),
        }
    }

    async fn apply_fleet_unchecked(&self, env: &str) -> Result<StepOutcome> {
        let Some(onboarding) = &self.ports.fleet else {
            return Ok(StepOutcome::Skipped {
                action: Action::ApplyFleet {
                    environment: env.to_string(),
                },
                reason: format!(
                    "no fleet onboarding is configured: the fleet of `{env}` was not applied \
                     to the orchestrator"
                ),
            });
        };
        let fleet_commit = self.ports.platform_config.head(env).await?;
        let file = fleet_file(env);
        let bytes = self
            .ports
            .platform_config
            .read_file(&fleet_commit, FLEET_FILE)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    Location::file(&file),
                    format!("file not found (commit {})", fleet_commit.short()),
                )
            })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::invalid(
                Location::file(&file),
                format!("not UTF-8 text (commit {})", fleet_commit.short()),
            )
        })?;
        let fleet = Fleet::parse(&text, &file)?;
        if fleet.environment != env {
            return Err(Error::invalid(
                Location::file(&file).with_key("environment"),
                format!(
                    "the fleet for `{env}` says `environment: {}`",
                    fleet.environment
                ),
            ));
        }
        let report = onboarding.apply(env, &fleet).await.map_err(|e| {
            e.with_operation(format!(
                "applying the fleet of `{env}` (platform config {})",
                fleet_commit.short()
            ))
        })?;
        Ok(StepOutcome::FleetApplied {
            environment: env.to_string(),
            fleet_commit,
            report,
        })
    }
}
