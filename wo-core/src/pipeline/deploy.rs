//! merge and deploy: take a reviewed change into the env branch, install what it holds.

use crate::error::{Error, Location, Result};
use crate::format::fleet::Fleet;
use crate::ports::{CommitState, CommitStatus, Release, TargetOutcome, TargetRelease};

use super::record::{manifests_path, values_path, ReleaseRecord};
use super::{plan, DeployOutcome, Event, MergeOutcome, Pipeline};

/// What [`Pipeline::deploy`] and [`Pipeline::deploy_rollout`] install, once checked.
pub(super) struct VerifiedRelease {
    pub(super) chain: super::EnvironmentChain,
    pub(super) head: crate::ports::GitOpsCommit,
    pub(super) provenance: crate::ports::Provenance,
    pub(super) release: Release,
    pub(super) chart: Option<crate::ports::Published>,
    pub(super) fleet: Fleet,
    pub(super) fleet_file: String,
}

/// Deploys to at most this many targets set a commit status per target
/// (`wo/<env>/<target>`); larger ones set statuses only for failed targets, this many at most
/// (GitHub allows 80 content-creating requests a minute, 500 an hour, and 1,000 statuses per
/// commit and context).
pub const MAX_TARGET_STATUSES: usize = 50;

impl Pipeline {
    /// Merges the open change request of the solution in `env`. With none open there is
    /// nothing to do ([`MergeOutcome::NothingToMerge`]): a retried workflow step is harmless.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `env` is not in the chain; [`Error::Precondition`] when the env
    /// branch moved since it was prepared (prepare again).
    pub async fn merge(&self, env: &str) -> Result<MergeOutcome> {
        self.chain_with(env).await?;
        let solution = self.solution().await?;
        match self.ports.gitops.change_request(&solution, env).await? {
            Some(cr) => Ok(MergeOutcome::Merged {
                head: self.ports.gitops.merge(&cr).await?,
            }),
            None => Ok(MergeOutcome::NothingToMerge),
        }
    }

    /// Deploys the head of the gitops env branch of `env` and records the outcome as statuses
    /// of the source commit: `wo/<env>/<target>` per target and `wo/<env>` (success only when
    /// every target deployed). Returns the report and what the planner says comes next.
    ///
    /// Deploying the same head again installs nothing new (the version is the gitops commit
    /// id) and sets the same statuses.
    ///
    /// The head may be wo's change request commit itself (wo's fast-forward merge, a rebase
    /// merge) or a commit a git host's merge button made from it (a merge or squash commit):
    /// see [`GitOpsRepo::merged_from`](crate::ports::GitOpsRepo::merged_from).
    ///
    /// # Errors
    /// - [`Error::Invalid`], naming the env and file, nothing deployed and no status touched:
    ///   the head has no provenance and merges no change request of wo (a manual commit, an
    ///   edit on top), merges one but its `<solution>/` differs from what was proposed, or a
    ///   file under `<solution>/` is missing, extra or differs from what `release.yaml`
    ///   records (a manual edit).
    /// - [`Error::NotFound`]: `env` is not in the chain, or its gitops branch does not exist.
    /// - [`Error::Invalid`] naming the fleet file, nothing deployed: its fleet declares a
    ///   `rollout:` — use [`deploy_rollout`](Pipeline::deploy_rollout).
    pub async fn deploy(&self, env: &str) -> Result<DeployOutcome> {
        let verified = self.verified_release(env).await?;
        self.deploy_verified(env, verified).await
    }

    /// Deploys the head of the gitops env branch of `env` the way its fleet asks: wave by wave
    /// with [`deploy_rollout`](Pipeline::deploy_rollout) when it declares a `rollout:` (one
    /// run goes as far as it may: until a bake, window or approval makes it wait, it halts or
    /// it is done; running it again continues), to every target at once with
    /// [`deploy`](Pipeline::deploy) otherwise. [`run`](Pipeline::run) and `wo deploy` use it.
    ///
    /// # Errors
    /// As [`deploy`](Pipeline::deploy) and [`deploy_rollout`](Pipeline::deploy_rollout).
    pub async fn deploy_step(
        &self,
        env: &str,
        now: &(dyn Fn() -> crate::rollout::Timestamp + Send + Sync),
    ) -> Result<super::StepOutcome> {
        let verified = self.verified_release(env).await?;
        Ok(if verified.fleet.rollout.is_some() {
            super::StepOutcome::RolledOut(Box::new(
                self.rollout_verified(env, verified, now).await?,
            ))
        } else {
            super::StepOutcome::Deployed(Box::new(self.deploy_verified(env, verified).await?))
        })
    }

    async fn deploy_verified(&self, env: &str, verified: VerifiedRelease) -> Result<DeployOutcome> {
        let VerifiedRelease {
            chain,
            head,
            provenance,
            release,
            chart,
            fleet,
            fleet_file,
        } = verified;
        if fleet.rollout.is_some() {
            // Sending to every target at once would skip the waves, budget and bake the
            // platform asked for.
            return Err(Error::invalid(
                Location::file(&fleet_file).with_key("rollout"),
                format!(
                    "the fleet of `{env}` declares a rollout: deploy it wave by wave (Pipeline::deploy_rollout), not to every target at once"
                ),
            ));
        }
        let report = self.ports.orchestrator.deploy(&release).await?;

        let source = &self.ports.source;
        let short = head.id.short();
        // Statuses are content-creating requests, which GitHub limits to 80 a minute and 500
        // an hour: one per target is kept for fleets of up to MAX_TARGET_STATUSES targets;
        // beyond that only failed targets get theirs (the first MAX_TARGET_STATUSES), and the
        // environment's status and the deploy's report carry the rest.
        let every_target = report.results.len() <= MAX_TARGET_STATUSES;
        let mut written = 0;
        for (target, outcome) in &report.results {
            let failed = matches!(outcome, TargetOutcome::Failed { .. });
            if !(every_target || failed) || written >= MAX_TARGET_STATUSES {
                continue;
            }
            written += 1;
            let status = match outcome {
                TargetOutcome::Deployed => CommitStatus::for_target(
                    env,
                    target,
                    CommitState::Success,
                    format!("deployed {short}"),
                ),
                TargetOutcome::Failed { message } => CommitStatus::for_target(
                    env,
                    target,
                    CommitState::Failure,
                    format!("{short} failed: {message}"),
                ),
            };
            source.set_status(&provenance.source_commit, status).await?;
        }
        let succeeded = report.all_succeeded();
        let env_status = if succeeded {
            CommitStatus::for_environment(
                env,
                CommitState::Success,
                format!("deployed {short} to {} targets", report.results.len()),
            )
        } else {
            let failed: Vec<&str> = report.failed().iter().map(|(t, _)| *t).collect();
            let shown = if failed.len() <= 5 {
                failed.join(", ")
            } else {
                format!(
                    "{} and {} more of {} targets",
                    failed[..5].join(", "),
                    failed.len() - 5,
                    report.results.len()
                )
            };
            CommitStatus::for_environment(
                env,
                CommitState::Failure,
                format!("{short} failed on {shown}"),
            )
        };
        source
            .set_status(&provenance.source_commit, env_status)
            .await?;

        let next = plan(
            &Event::DeploymentFinished {
                environment: env.to_string(),
                source_commit: provenance.source_commit.clone(),
                promotable: provenance.promotable,
                succeeded,
            },
            &chain,
        )?;
        Ok(DeployOutcome {
            environment: env.to_string(),
            gitops_commit: head.id,
            provenance,
            report,
            chart,
            next,
        })
    }

    /// The release at the head of the gitops env branch of `env`, checked as
    /// [`deploy`](Pipeline::deploy) documents (provenance, files, policy), its chart published.
    pub(super) async fn verified_release(&self, env: &str) -> Result<VerifiedRelease> {
        let chain = self.chain_with(env).await?;
        let solution = self.solution().await?;
        let shown = format!("gitops/{env}");
        let head = self
            .ports
            .gitops
            .history(env, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::not_found(format!(
                    "env branch `{env}` of the gitops repo: nothing to deploy"
                ))
            })?;
        let provenance = self
            .release_provenance(env, &solution, &head)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    Location::file(&shown).with_key(head.id.to_string()),
                    format!(
                        "refusing to deploy `{env}`: its head {} has no wo provenance for `{solution}` (a manual commit?); \
                         the gitops repo changes only through change requests wo opens — revert it or roll back",
                        head.id.short()
                    ),
                )
            })?;
        let files = self.ports.gitops.read(&head.id, &solution).await?;
        let record = ReleaseRecord::verify(&files, &provenance, &shown)?;

        // What runs must be what was reviewed: the head must be exactly what the commits its
        // trailers name render to (hashes in release.yaml can be edited along with the files).
        let again = self
            .compose(
                env,
                &provenance.source_commit,
                Some(&provenance),
                provenance.promotable,
                provenance.rollback_of.clone(),
                super::prepare::Keep::Files,
            )
            .await?;
        if let Some((path, how)) = first_difference(&files, &again.files) {
            let mut message = format!(
                "refusing to deploy `{env}`: {path} at {} {how} what its provenance renders (source {}, config {}, fleet {}); \
                 the gitops repo changes only through change requests wo opens — revert the edit or prepare the environment again",
                head.id.short(),
                provenance.source_commit.short(),
                provenance.config_commit.short(),
                provenance.fleet_commit.short(),
            );
            if path.ends_with(super::record::RELEASE_FILE)
                && record.chart.is_some() != again.record_chart().is_some()
            {
                message.push_str(if record.chart.is_some() {
                    " (it names a published chart and no chart registry is configured: set the registry it was prepared with)"
                } else {
                    " (a chart registry is configured now and was not when it was prepared: prepare it again)"
                });
            }
            return Err(Error::invalid(
                Location::file(format!("{shown}/{path}")),
                message,
            ));
        }
        // Checked on the files rendered again, not on what release.yaml says: an edited record
        // cannot hide findings (and differs from the rendering anyway).
        if let Some(verdict) = again.record.policy.as_ref().filter(|v| v.is_blocking()) {
            return Err(policy_refusal(env, &shown, &head.id, verdict));
        }
        let chart = match (&self.ports.charts, &again.package) {
            (Some(charts), Some(package)) => Some(charts.publish(package).await?),
            _ => None,
        };

        let (fleet, fleet_file) = self.release_fleet(env, &provenance).await?;

        let by_name: std::collections::HashMap<&str, &crate::format::fleet::Target> =
            fleet.targets.iter().map(|t| (t.name.as_str(), t)).collect();
        let mut targets = Vec::with_capacity(record.targets.len());
        for name in record.targets.keys() {
            let vpath = values_path(&solution, name);
            let vfile = format!("{shown}/{vpath}");
            let values_text = files.text(&vpath)?.unwrap_or_default();
            let values = crate::yaml::parse(values_text, &vfile)?.to_value(&vfile)?;
            let manifests = files
                .text(&manifests_path(&solution, name))?
                .unwrap_or_default()
                .to_string();
            let target = by_name.get(name.as_str()).copied().ok_or_else(|| {
                Error::invalid(
                    Location::file(&fleet_file).with_key("targets"),
                    format!(
                        "release target `{name}` is not in the fleet at {}",
                        provenance.fleet_commit.short()
                    ),
                )
            })?;
            targets.push(TargetRelease {
                target: name.clone(),
                orchestrator_id: target.orchestrator.as_ref().and_then(|o| o.id.clone()),
                values,
                manifests,
            });
        }
        let release = Release {
            solution: solution.clone(),
            environment: env.to_string(),
            version: head.id.to_string(),
            source_commit: provenance.source_commit.clone(),
            gitops_commit: head.id.clone(),
            targets,
            chart: chart.as_ref().map(|p| p.chart.clone()),
            specification: again.specification.clone(),
        };
        Ok(VerifiedRelease {
            chain,
            head,
            provenance,
            release,
            chart,
            fleet,
            fleet_file,
        })
    }
}

/// The error of a deploy refused for blocking policy findings: names the first findings
/// (rule, resource, file and line) and how to add an exception.
fn policy_refusal(
    env: &str,
    shown: &str,
    head: &crate::ports::CommitId,
    verdict: &crate::ports::PolicyVerdict,
) -> Error {
    const SHOWN: usize = 5;
    let blocking: Vec<_> = verdict.blocking_findings().collect();
    let Some(first) = blocking.first() else {
        return Error::invalid(
            Location::file(shown),
            format!("refusing to deploy `{env}`: blocking policy findings"),
        );
    };
    let mut message = format!(
        "refusing to deploy `{env}` at {}: {} blocking policy finding{}: ",
        head.short(),
        verdict.blocking,
        if verdict.blocking == 1 { "" } else { "s" }
    );
    let listed: Vec<String> = blocking
        .iter()
        .take(SHOWN)
        .map(|f| {
            format!(
                "{} {} on {} ({}): {}",
                f.rule,
                f.rule_name,
                f.resource(),
                f.place(),
                f.message
            )
        })
        .collect();
    message.push_str(&listed.join("; "));
    if blocking.len() > SHOWN {
        message.push_str(&format!("; and {} more", blocking.len() - SHOWN));
    }
    let mut exception = format!(
        "fix the chart or values, or accept the deviation with an exception in the source repo's {}:\n\
         exceptions:\n  - rule: {}\n    kind: {}\n",
        crate::ports::SOURCE_POLICY_FILE,
        first.rule,
        first.kind
    );
    if let Some(ns) = &first.namespace {
        exception.push_str(&format!("    namespace: {ns}\n"));
    }
    exception.push_str(&format!(
        "    name: {}\n    reason: <why this is acceptable>\n\
         then prepare `{env}` again (an exception counts only with a reason; the platform's policy.yaml cannot grant one)",
        first.name
    ));
    let location = Location::file(format!("{shown}/{}", first.file));
    let location = match first.line {
        Some(line) => location.at(line, 1),
        None => location,
    };
    Error::Invalid(crate::error::Diagnostics(vec![
        crate::error::Diagnostic::new(location, message).with_hint(exception),
    ]))
}

/// The first path (in order) whose content differs between the head's files and the files
/// computed again, with how: `is not` (changed), `is not in` (extra on the branch) or
/// `is missing from the branch but in` (dropped).
pub(super) fn first_difference(
    head: &crate::files::FileTree,
    again: &crate::files::FileTree,
) -> Option<(String, &'static str)> {
    let paths: std::collections::BTreeSet<&str> =
        head.iter().chain(again.iter()).map(|(p, _)| p).collect();
    paths
        .into_iter()
        .find_map(|p| match (head.get(p), again.get(p)) {
            (Some(a), Some(b)) if a == b => None,
            (Some(_), Some(_)) => Some((p.to_string(), "is not")),
            (Some(_), None) => Some((p.to_string(), "is not in")),
            (None, _) => Some((p.to_string(), "is missing from the branch but in")),
        })
}
