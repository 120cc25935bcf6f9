//! deploy with a rollout: install the head of an env branch wave by wave, as the planner of
//! [`crate::rollout`] says, recording progress as commit statuses so any later run continues.

use std::collections::BTreeMap;

use crate::error::{Error, Location, Result};
use crate::format::app::{AppDescriptor, APP_FILE};
use crate::format::fleet::rollout::Rollout;
use crate::format::fleet::{Fleet, FLEET_FILE};
use crate::ports::{
    CommitId, CommitState, CommitStatus, DeploymentReport, Provenance, Published, TargetOutcome,
};
use crate::rollout::{
    approval_status, record, replay, Approval, Decision, RolloutPlan, RolloutState, RolloutView,
    TableFormat, TargetProgress, Timestamp, WaitReason,
};

use super::deploy::{VerifiedRelease, MAX_TARGET_STATUSES};
use super::{plan, Action, Event, Pipeline};

/// What [`Pipeline::deploy_rollout`] did, and where the rollout stands.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutOutcome {
    /// The environment.
    pub environment: String,
    /// The gitops commit rolled out.
    pub gitops_commit: CommitId,
    /// Its provenance.
    pub provenance: Provenance,
    /// The chart the release installs, as published (with a chart registry).
    pub chart: Option<Published>,
    /// The batches this run installed: the wave and the orchestrator's report.
    pub batches: Vec<(String, DeploymentReport)>,
    /// Where the rollout stands: waiting (bake, window, approval), halted or done.
    pub decision: Decision,
    /// The progress, as recorded.
    pub state: RolloutState,
    /// What looks wrong in the waves (empty waves, budgets as large as a wave), and a report
    /// that could not be written on the change request
    /// ([`GitOpsRepo::report_rollout`](crate::ports::GitOpsRepo::report_rollout)).
    pub warnings: Vec<String>,
    /// The rollout at the end of the run, per wave: what the job summary, the change
    /// request's report and `wo deploy` show.
    pub view: RolloutView,
    /// What the planner says comes next: prepare-pr of the next environment once done, a
    /// halt, or nothing while the rollout waits.
    pub next: Vec<Action>,
    /// The automatic rollback done after a halt (the fleet's `autoRollback`), if any.
    pub rolled_back: Option<AutoRollback>,
}

/// An automatic rollback of a halted wave (the fleet's `autoRollback: true`): the previous
/// release of the env branch proposed again as a rollback change request (provenance
/// `rollback_of`, as `wo rollback` makes it), merged, and installed on the halted wave's
/// targets that took the bad release. The rollback release then walks the rollout like any
/// other from the next run (the targets already rolled back report `Deployed`).
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRollback {
    /// The earlier commit of the env branch rolled back to.
    pub to: CommitId,
    /// The gitops commit of the rollback (the new head of the env branch).
    pub gitops_commit: CommitId,
    /// The install of the rollback on the halted wave's targets.
    pub report: DeploymentReport,
}

/// The system clock, as [`Pipeline::deploy_rollout`] and [`Pipeline::run_at`] take it.
pub fn system_clock() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
}

impl RolloutOutcome {
    /// What the rollout waits for and until when, for humans (`None` when it halted or is
    /// done).
    pub fn waiting_for(&self) -> Option<String> {
        match &self.decision {
            Decision::WaitUntil {
                until,
                reason: WaitReason::Bake { wave },
            } => Some(format!("wave `{wave}` bakes until {until}")),
            Decision::WaitUntil {
                until,
                reason: WaitReason::Window { wave },
            } => Some(format!(
                "wave `{wave}` waits for its window, which opens at {until}"
            )),
            Decision::WaitForApproval { wave } => Some(format!(
                "wave `{wave}` waits for an approval (wo approve --env {} --wave {wave})",
                self.environment
            )),
            _ => None,
        }
    }

    /// Whether the rollout halted.
    pub fn halted(&self) -> bool {
        matches!(self.decision, Decision::Halt { .. })
    }
}

impl Pipeline {
    /// Rolls the head of the gitops env branch of `env` out as the fleet's `rollout:` says:
    /// reads the progress so far from the source commit's statuses, then installs batch after
    /// batch while the planner says [`Decision::Deploy`], recording each outcome, and returns
    /// when it says to wait (bake, window, approval), halt or that it is done. Call it again
    /// later (a scheduled workflow) to continue: nothing is held between runs.
    ///
    /// `now` is the clock (read after each batch, so a bake counts from the end of the last
    /// install). Statuses: see [`crate::rollout::record`]; `wo/<env>` is `pending` while the
    /// rollout runs, `failure` once halted and `success` once every wave baked — promotion to
    /// the next environment follows only then. Targets of releases of at most
    /// [`MAX_TARGET_STATUSES`] targets also get a success status each, as with
    /// [`deploy`](Pipeline::deploy).
    ///
    /// While a wave bakes, each run reads the health of its targets that took the release
    /// ([`Orchestrator::health`](crate::ports::Orchestrator::health)) and counts those reported
    /// unhealthy against the wave's budget.
    ///
    /// When it halts and the fleet asks for `autoRollback`, the halted wave's targets that
    /// took the release are rolled back (see [`AutoRollback`]).
    ///
    /// The application's `wo/app.yaml` (at the release's source commit) may narrow the
    /// fleet's rollout ([`AppDescriptor::narrow_rollout`](crate::format::app::AppDescriptor::narrow_rollout)):
    /// a rollout it would widen is refused with the file, key and line, nothing installed.
    ///
    /// Batches go through [`Orchestrator::deploy_to`](crate::ports::Orchestrator::deploy_to):
    /// an orchestrator that installs whole releases only can roll out one-wave rollouts
    /// without batches only.
    ///
    /// # Errors
    /// As [`deploy`](Pipeline::deploy); [`Error::Invalid`] naming the fleet file when its
    /// fleet has no `rollout:`; [`Error::Precondition`] when the waves changed under a running
    /// rollout (see [`replay`]); [`Error::Backend`] when the orchestrator reports no outcome
    /// for a target it was given.
    pub async fn deploy_rollout(
        &self,
        env: &str,
        now: &(dyn Fn() -> Timestamp + Send + Sync),
    ) -> Result<RolloutOutcome> {
        let verified = self.verified_release(env).await?;
        self.rollout_verified(env, verified, now).await
    }

    pub(super) async fn rollout_verified(
        &self,
        env: &str,
        verified: VerifiedRelease,
        now: &(dyn Fn() -> Timestamp + Send + Sync),
    ) -> Result<RolloutOutcome> {
        let VerifiedRelease {
            chain,
            head,
            provenance,
            release,
            chart,
            fleet,
            fleet_file,
        } = verified;
        let rollout = fleet.rollout.as_ref().ok_or_else(|| {
            Error::invalid(
                Location::file(&fleet_file).with_key("rollout"),
                format!("the fleet of `{env}` has no `rollout:`: deploy sends a release to every target at once"),
            )
        })?;
        let (rollout, _) = self.release_rollout(&provenance, rollout).await?;
        let rollout = &rollout;
        let by_name: std::collections::HashMap<&str, &crate::format::fleet::Target> =
            fleet.targets.iter().map(|t| (t.name.as_str(), t)).collect();
        let targets: Vec<&crate::format::fleet::Target> = release
            .targets
            .iter()
            .filter_map(|t| by_name.get(t.target.as_str()).copied())
            .collect();
        let waves = RolloutPlan::new(&targets, rollout);
        let source = &self.ports.source;
        let commit = &provenance.source_commit;
        let mut written: BTreeMap<String, (CommitState, String)> = source
            .statuses(commit)
            .await?
            .into_iter()
            .map(|s| (s.context, (s.state, s.description)))
            .collect();
        let recorded: Vec<CommitStatus> = written
            .iter()
            .map(|(c, (s, d))| CommitStatus {
                context: c.clone(),
                state: *s,
                description: d.clone(),
                target_url: None,
            })
            .collect();
        let mut state = replay(&waves, env, &release.version, &recorded)?;
        let short = head.id.short().to_string();
        let per_target = release.targets.len() <= MAX_TARGET_STATUSES;
        let mut batches = Vec::new();
        let decision = loop {
            let t = now();
            let baked = recorded_baked(&waves, env, &release.version, &written);
            self.check_health(&waves, &release, &mut state, &baked, t)
                .await?;
            let decision = waves.decide(&state, t);
            let Decision::Deploy { wave, targets } = &decision else {
                break decision;
            };
            let batch = targets.iter().cloned().collect();
            let report = self.ports.orchestrator.deploy_to(&release, &batch).await?;
            let done = now();
            for target in targets {
                let progress = match report.results.get(target) {
                    Some(TargetOutcome::Deployed) => TargetProgress::Succeeded { at: done },
                    Some(TargetOutcome::Failed { message }) => TargetProgress::Failed {
                        message: message.clone(),
                    },
                    None => {
                        return Err(Error::backend(
                            "orchestrator",
                            format!("deploying {short} reported no outcome for target `{target}`"),
                        ))
                    }
                };
                state.outcomes.insert(target.clone(), progress);
            }
            let mut statuses = record(&waves, env, &release.version, &state, done);
            if per_target {
                statuses.extend(
                    state
                        .outcomes
                        .iter()
                        .filter(|(_, p)| matches!(p, TargetProgress::Succeeded { .. }))
                        .map(|(t, _)| {
                            CommitStatus::for_target(
                                env,
                                t,
                                CommitState::Success,
                                format!("deployed {short}"),
                            )
                        }),
                );
            }
            self.write_changed(commit, &mut written, statuses).await?;
            batches.push((wave.clone(), report));
        };

        let n = release.targets.len();
        let (state_now, description) = match &decision {
            Decision::Done => (
                CommitState::Success,
                format!(
                    "deployed {short} to {n} targets in {} waves",
                    waves.waves.len()
                ),
            ),
            Decision::Halt { reason, .. } => {
                (CommitState::Failure, format!("{short} halted: {reason}"))
            }
            Decision::WaitUntil {
                until,
                reason: WaitReason::Bake { wave },
            } => (
                CommitState::Pending,
                format!("rolling out {short}: wave {wave} bakes until {until}"),
            ),
            Decision::WaitUntil {
                until,
                reason: WaitReason::Window { wave },
            } => (
                CommitState::Pending,
                format!("rolling out {short}: wave {wave} waits for the window at {until}"),
            ),
            Decision::WaitForApproval { wave } => (
                CommitState::Pending,
                format!("rolling out {short}: wave {wave} waits for approval"),
            ),
            Decision::Deploy { .. } => unreachable!("the loop ends on any other decision"),
        };
        let mut final_statuses = record(&waves, env, &release.version, &state, now());
        final_statuses.push(CommitStatus::for_environment(
            env,
            state_now,
            description.chars().take(140).collect::<String>(),
        ));
        self.write_changed(commit, &mut written, final_statuses)
            .await?;

        let view = RolloutView::new(env, &waves, &state, now());
        let mut warnings = waves.warnings;
        // The report shows the rollout; the statuses above record it. A deploy that went as
        // far as it may does not fail for want of a comment.
        match self
            .ports
            .gitops
            .report_rollout(env, &head.id, &rollout_report(&view, &head.id))
            .await
        {
            Ok(()) | Err(Error::Unsupported { .. }) => {}
            Err(e) => warnings.push(format!(
                "the rollout's table was not written on the change request of {}: {e}",
                head.id.short()
            )),
        }

        let rolled_back = match &decision {
            Decision::Halt { rollback, .. }
                if !rollback.is_empty() && provenance.rollback_of.is_none() =>
            {
                self.auto_rollback(env, &head.id, rollback).await?
            }
            _ => None,
        };
        let next = match &decision {
            Decision::Done | Decision::Halt { .. } => plan(
                &Event::DeploymentFinished {
                    environment: env.to_string(),
                    source_commit: commit.clone(),
                    promotable: provenance.promotable,
                    succeeded: decision == Decision::Done,
                },
                &chain,
            )?,
            _ => Vec::new(),
        };
        Ok(RolloutOutcome {
            environment: env.to_string(),
            gitops_commit: head.id,
            provenance,
            chart,
            batches,
            decision,
            state,
            warnings,
            view,
            next,
            rolled_back,
        })
    }

    /// Records that `by` approved wave `wave` of the release at the head of the gitops env
    /// branch of `env`, at `at` (the status `wo/<env>/approval/<wave>` of its source commit;
    /// see [`crate::rollout::record`]). The approval holds for that release only; approving
    /// again, or ahead of the wave, is harmless. Who may approve is who may write statuses on
    /// the source repository: the caller's credentials decide.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `env` is not in the chain or its gitops branch is empty;
    /// [`Error::Invalid`] when the head has no wo provenance, its fleet has no `rollout:` or
    /// no wave `wave` (with a "did you mean"), or `by` is not a valid approver.
    pub async fn approve(
        &self,
        env: &str,
        wave: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<Approval> {
        self.chain_with(env).await?;
        let approval = Approval::new(by, at)?;
        let solution = self.solution().await?;
        let head = self
            .ports
            .gitops
            .history(env, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::not_found(format!(
                    "env branch `{env}` of the gitops repo: nothing to approve"
                ))
            })?;
        let provenance = self
            .release_provenance(env, &solution, &head)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    Location::file(format!("gitops/{env}")).with_key(head.id.to_string()),
                    format!(
                        "the head {} of `{env}` is not a release of wo: nothing to approve",
                        head.id.short()
                    ),
                )
            })?;
        let (fleet, fleet_file) = self.release_fleet(env, &provenance).await?;
        let waves: Vec<&str> = fleet
            .rollout
            .iter()
            .flat_map(|r| r.waves.iter().map(|w| w.name.as_str()))
            .collect();
        if !waves.contains(&wave) {
            let mut d = crate::error::Diagnostic::new(
                Location::file(&fleet_file).with_key("rollout.waves"),
                if waves.is_empty() {
                    format!("the fleet of `{env}` has no `rollout:`: there is no wave to approve")
                } else {
                    format!(
                        "no wave `{wave}` in the rollout of `{env}` (waves: {})",
                        waves.join(", ")
                    )
                },
            );
            if let Some(s) = crate::format::closest(wave, waves.iter().copied()) {
                d = d.with_hint(format!("did you mean `{s}`?"));
            }
            return Err(Error::Invalid(crate::error::Diagnostics(vec![d])));
        }
        self.ports
            .source
            .set_status(
                &provenance.source_commit,
                approval_status(env, wave, head.id.as_str(), &approval),
            )
            .await?;
        Ok(approval)
    }

    /// Rolls the halted release `bad` (the head of `env`) back on `targets`: proposes the
    /// commit of the env branch before it again ([`Pipeline::rollback`]), merges that change
    /// request and installs it on `targets`. `None` when the env branch has no earlier commit
    /// (nothing to roll back to). A rollback release that halts is not rolled back again
    /// (the caller checks `rollback_of`).
    async fn auto_rollback(
        &self,
        env: &str,
        bad: &CommitId,
        targets: &[String],
    ) -> Result<Option<AutoRollback>> {
        let history = self.ports.gitops.history(env, 2).await?;
        let Some(previous) = history.iter().find(|c| c.id != *bad) else {
            return Ok(None);
        };
        let to = previous.id.clone();
        self.rollback(env, &to).await?;
        let super::MergeOutcome::Merged { head } = self.merge(env).await? else {
            return Err(Error::backend(
                "gitops",
                format!("the rollback of `{env}` to {} was proposed but no change request was there to merge", to.short()),
            ));
        };
        let verified = self.verified_release(env).await?;
        let batch = targets.iter().cloned().collect();
        let report = self
            .ports
            .orchestrator
            .deploy_to(&verified.release, &batch)
            .await?;
        Ok(Some(AutoRollback {
            to,
            gitops_commit: head,
            report,
        }))
    }

    /// Asks the orchestrator for the health of the targets that took the release in waves
    /// still baking at `now` (a wave is watched from its first install until `bake` after its
    /// last) and in waves whose bake has ended but that are not `baked` yet (their status
    /// `wo/<env>/wave/<w>` is not `success`): the run that lets a wave's bake end looks at its
    /// health once more, so a wave whose whole bake passed between two runs is still checked
    /// before the next wave starts. Marks those it reports unhealthy
    /// [`TargetProgress::Unhealthy`] since `now`.
    async fn check_health(
        &self,
        waves: &RolloutPlan,
        release: &crate::ports::Release,
        state: &mut RolloutState,
        baked: &std::collections::BTreeSet<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let mut watched = std::collections::BTreeSet::new();
        for wave in &waves.waves {
            let succeeded: Vec<(&String, Timestamp)> = wave
                .targets
                .iter()
                .filter_map(|t| match state.outcomes.get(t) {
                    Some(TargetProgress::Succeeded { at }) => Some((t, *at)),
                    _ => None,
                })
                .collect();
            let Some(last) = succeeded.iter().map(|(_, at)| *at).max() else {
                continue;
            };
            if now < last.plus(waves.bake()) || !baked.contains(wave.name.as_str()) {
                watched.extend(succeeded.into_iter().map(|(t, _)| t.clone()));
            }
        }
        if watched.is_empty() {
            return Ok(());
        }
        let health = self.ports.orchestrator.health(release, &watched).await?;
        for (target, h) in health {
            if let crate::ports::Health::Unhealthy { reason } = h {
                if watched.contains(&target) {
                    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
                    state
                        .outcomes
                        .insert(target, TargetProgress::Unhealthy { since: now, reason });
                }
            }
        }
        Ok(())
    }

    /// The fleet a release was made with: `fleet.yaml` of the platform config at the
    /// release's fleet commit, and the file's name for errors.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the fleet file when it is missing or invalid.
    pub(super) async fn release_fleet(
        &self,
        env: &str,
        provenance: &Provenance,
    ) -> Result<(Fleet, String)> {
        let fleet_file = super::chain::fleet_file(env);
        let tree = self
            .ports
            .platform_config
            .read(&provenance.fleet_commit)
            .await?;
        let text = tree
            .text(FLEET_FILE)?
            .ok_or_else(|| Error::invalid(Location::file(&fleet_file), "file not found"))?;
        Ok((Fleet::parse(text, &fleet_file)?, fleet_file))
    }

    /// The rollout a release walks: the fleet's `rollout`, narrowed by the application's
    /// `wo/app.yaml` at the release's source commit, with that descriptor (`None` without
    /// one).
    ///
    /// # Errors
    /// [`Error::Invalid`] with the app file, key and line when the descriptor is invalid or
    /// would widen the rollout.
    async fn release_rollout(
        &self,
        provenance: &Provenance,
        rollout: &Rollout,
    ) -> Result<(Rollout, Option<AppDescriptor>)> {
        let app_file = format!("source@{}/{APP_FILE}", provenance.source_commit.short());
        let app_tree = self
            .ports
            .source
            .read_tree(&provenance.source_commit, &["wo".to_string()])
            .await?;
        Ok(match app_tree.text(APP_FILE)? {
            Some(text) => {
                let app = AppDescriptor::parse(text, &app_file)?;
                (app.narrow_rollout(rollout)?, Some(app))
            }
            None => (rollout.clone(), None),
        })
    }

    /// The rollout of the release `gitops_commit` of `solution` in `env` as `statuses` (of its
    /// source commit) record it, at `now`: the plan made again from the release's fleet and
    /// application (the targets the fleet assigns the solution, as the release was rendered
    /// for), the progress [`replay`]ed as [`deploy_rollout`](Pipeline::deploy_rollout) does.
    /// `None` when the release's fleet has no `rollout:`.
    ///
    /// # Errors
    /// As [`replay`] (the waves changed since the rollout began, statuses unreadable); the
    /// fleet or application invalid.
    pub(super) async fn recorded_rollout(
        &self,
        env: &str,
        solution: &str,
        provenance: &Provenance,
        gitops_commit: &CommitId,
        statuses: &[CommitStatus],
        now: Timestamp,
    ) -> Result<Option<RolloutView>> {
        let (fleet, fleet_file) = self.release_fleet(env, provenance).await?;
        let Some(rollout) = &fleet.rollout else {
            return Ok(None);
        };
        let (rollout, app) = self.release_rollout(provenance, rollout).await?;
        let capabilities = app.map(|a| a.capabilities).unwrap_or_default();
        let targets = fleet.assigned_targets(solution, &capabilities, &fleet_file)?;
        let plan = RolloutPlan::new(&targets, &rollout);
        let state = replay(&plan, env, gitops_commit.as_str(), statuses)?;
        Ok(Some(RolloutView::new(env, &plan, &state, now)))
    }

    /// Writes the statuses that differ from what `written` says the commit has (a request per
    /// changed status only: git hosts limit them), and remembers them.
    async fn write_changed(
        &self,
        commit: &CommitId,
        written: &mut BTreeMap<String, (CommitState, String)>,
        statuses: Vec<CommitStatus>,
    ) -> Result<()> {
        for s in statuses {
            let now = (s.state, s.description.clone());
            if written.get(&s.context) == Some(&now) {
                continue;
            }
            written.insert(s.context.clone(), now);
            self.ports.source.set_status(commit, s).await?;
        }
        Ok(())
    }
}

/// The rollout report of release `gitops_commit` for its change request: a heading, then the
/// view's Markdown table.
fn rollout_report(view: &RolloutView, gitops_commit: &CommitId) -> String {
    format!(
        "### Rollout of {} in {}\n\n{}",
        gitops_commit.short(),
        crate::markdown::cell(&view.environment),
        view.render(TableFormat::Markdown)
    )
}

/// The waves of `plan` recorded baked for `release`: their status `wo/<env>/wave/<w>` is
/// `success` and names the release (see [`crate::rollout::record`]).
fn recorded_baked<'a>(
    plan: &'a RolloutPlan,
    env: &str,
    release: &str,
    written: &BTreeMap<String, (CommitState, String)>,
) -> std::collections::BTreeSet<&'a str> {
    let tag = crate::rollout::record::release_tag(release);
    plan.waves
        .iter()
        .filter(|w| {
            written
                .get(&format!(
                    "wo/{env}/{}/{}",
                    crate::rollout::WAVE_CONTEXT,
                    w.name
                ))
                .is_some_and(|(state, description)| {
                    *state == CommitState::Success && description.starts_with(&format!("{tag} "))
                })
        })
        .map(|w| w.name.as_str())
        .collect()
}
