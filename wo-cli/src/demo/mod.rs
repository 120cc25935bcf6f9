//! `wo demo`: the whole operating model on one machine, narrated and checked.
//!
//! Six git repositories (an application's source, config and gitops repos; the platform team's
//! control plane, config and gitops repos), a fleet of three environments `dev → stage → prod`
//! over a region → site hierarchy, and the production code path: the same pipeline, git
//! backends and renderers `wo` uses everywhere, and deployments through the Azure Workload
//! Orchestration backend (`wo_azure::orchestrator::WoOrchestrator`) talking HTTP to the WO
//! simulator on 127.0.0.1, where the fleet's clusters are onboarded as WO targets by
//! `wo fleet apply`'s code ([`wo::fleet::apply`]), and a fleet change by the pipeline's
//! apply-fleet step. Every
//! outcome is checked; the demo exits 0 only when every expectation held.

mod azure;
mod repos;

use std::path::{Path, PathBuf};

use wo::git::{GitOpsGitRepo, GitSourceRepo};
use wo_core::files::FileTree;
use wo_core::pipeline::{Event, Pipeline, SourceChoice, StepOutcome};
use wo_core::ports::{CommitState, SourceRepo};
use wo_core::Result;

use crate::console::outln;
use crate::output::plural;

use azure::DemoAzure;

/// Where the demo's repositories live.
struct Repos {
    app_source: PathBuf,
    app_config: PathBuf,
    app_gitops: PathBuf,
    platform_source: PathBuf,
    platform_config: PathBuf,
    platform_gitops: PathBuf,
}

/// The demo's state: repositories, orchestrator and the expectations checked so far.
struct Demo {
    repos: Repos,
    azure: DemoAzure,
    passed: usize,
    failed: Vec<String>,
    /// Every chart a deploy named: `repo:version` → (digest, deploys that uploaded it, deploys).
    charts: std::collections::BTreeMap<String, (String, usize, usize)>,
    /// How far the demo moved its clock ahead of the system clock, in seconds: a rollout's
    /// bake is waited out by moving the clock, as the scheduled workflow would come back later.
    clock_ahead: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// The rollout steps of the last [`Demo::drive`], in order.
    rollouts: Vec<wo_core::pipeline::RolloutOutcome>,
    /// A target WO reports unhealthy (and why) once it runs a release and its wave bakes.
    unhealthy_after_install: Option<(String, String)>,
}

const ENVIRONMENTS: [&str; 3] = ["dev", "stage", "prod"];

/// The rollout scenario 5 adds to prod's fleet.
const PROD_ROLLOUT: &str = "\
rollout:
  waves:
    - name: canary
      selector: {ring: canary}
    - name: early
      percent: 50
    - name: rest
  failureBudget: {count: 0}
  bake: 10m
";

/// Run the whole model on one machine, checking every outcome.
///
/// Creates an application and a platform with their six repositories and three
/// environments, runs every flow against the Workload Orchestration simulator, and checks
/// each outcome. Exits 0 only when every expectation held.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo demo
  # Keep the repositories, and look at them
  wo demo --dir /tmp/wo-demo && git -C /tmp/wo-demo/shop-gitops.git log --all --oneline")]
pub struct DemoArgs {
    /// Directory to create the repositories in (kept); default: a temporary directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Keep the temporary directory.
    #[arg(long)]
    keep: bool,
}

impl DemoArgs {
    /// Runs the demo.
    pub async fn run(self) -> Result<crate::output::Outcome> {
        let ok = run(self.dir, self.keep).await?;
        Ok(crate::output::Outcome::new(String::new(), !ok))
    }
}

/// Runs the demo in `dir` (a new temporary directory when `None`); keeps the directory when
/// `keep` or when `dir` was given. Returns whether every expectation held.
async fn run(dir: Option<PathBuf>, keep: bool) -> Result<bool> {
    let (root, temp) = match dir {
        Some(d) => {
            std::fs::create_dir_all(&d).map_err(|source| wo_core::Error::Io {
                path: d.display().to_string(),
                source,
            })?;
            (d, None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("wo-demo-")
                .tempdir()
                .map_err(|source| wo_core::Error::Io {
                    path: std::env::temp_dir().display().to_string(),
                    source,
                })?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let started = std::time::Instant::now();
    let mut demo = Demo::setup(&root).await?;
    let result = demo.scenarios().await;
    outln!();
    demo.status_table().await?;
    outln!();
    match &result {
        Ok(()) if demo.failed.is_empty() => {
            outln!(
                "All {} expectations held ({:.1} s).",
                demo.passed,
                started.elapsed().as_secs_f64()
            )
        }
        Ok(()) => outln!(
            "{} of {} expectations failed:",
            demo.failed.len(),
            demo.passed + demo.failed.len()
        ),
        Err(e) => outln!("The demo stopped: {e}"),
    }
    for f in &demo.failed {
        outln!("  ✗ {f}");
    }
    match temp {
        Some(t) if keep => outln!("The repositories are kept in {}", t.keep().display()),
        Some(_) => {}
        None => outln!("The repositories are in {}", root.display()),
    }
    result?;
    Ok(demo.failed.is_empty())
}

impl Demo {
    async fn setup(root: &Path) -> Result<Demo> {
        outln!("wo demo — workload orchestration as code, on one machine");
        outln!("Repositories and state in {}", root.display());
        outln!();
        outln!("Setting up six git repositories:");
        let repos = Repos {
            app_source: repos::create(root, "shop-source")?,
            app_config: repos::create(root, "shop-config")?,
            app_gitops: repos::create(root, "shop-gitops")?,
            platform_source: repos::create(root, "platform-source")?,
            platform_config: repos::create(root, "platform-config")?,
            platform_gitops: repos::create(root, "platform-gitops")?,
        };
        let app = repos::commit(
            &repos.app_source,
            "main",
            &repos::example("shop/source")?,
            "shop: first version",
        )?;
        outln!("  shop-source       the application team's code, chart, schema and template  (main {})", short(&app));
        let plat = repos::commit(
            &repos.platform_source,
            "main",
            &repos::example("platform/source")?,
            "platform: first version",
        )?;
        outln!("  platform-source   the platform team's chart for namespaces and quotas       (main {})", short(&plat));
        for env in ENVIRONMENTS {
            repos::commit(
                &repos.app_config,
                env,
                &repos::example(&format!("demo/app-config/{env}"))?,
                &format!("{env}: values"),
            )?;
            repos::commit(
                &repos.platform_config,
                env,
                &repos::example(&format!("demo/platform-config/{env}"))?,
                &format!("{env}: fleet and platform values"),
            )?;
        }
        outln!(
            "  shop-config       application values, one branch per environment (dev, stage, prod)"
        );
        outln!("  platform-config   the fleet and platform values, one branch per environment");
        outln!("  shop-gitops       rendered manifests per target; changed only through change requests");
        outln!("  platform-gitops   the same for the platform");
        outln!("Fleet: dev (2 targets) → stage (3) → prod (4), over region → site.");
        let azure = DemoAzure::start().await?;
        outln!(
            "Workload Orchestration: the simulator of its ARM API on {}; the clusters are onboarded",
            azure.sim.base_url()
        );
        outln!(
            "  from each environment's fleet.yaml in platform-config, as `wo fleet apply` does:"
        );
        let mut onboarded = Vec::new();
        for env in ENVIRONMENTS {
            let applied = azure.apply_fleet(&repos.platform_config, env).await?;
            let report = applied.report();
            outln!(
                "  fleet apply {env}: {} created, {} updated, {} unchanged (context {})",
                plural(report.created, "target"),
                report.updated,
                report.unchanged,
                azure::DEMO_CONTEXT
            );
            onboarded.push(report);
        }
        outln!("  deploys go through wo's WO backend: schema and solution template versions, values per target, review, publish, install.");
        let mut demo = Demo {
            repos,
            azure,
            passed: 0,
            failed: Vec::new(),
            charts: std::collections::BTreeMap::new(),
            clock_ahead: Default::default(),
            rollouts: Vec::new(),
            unhealthy_after_install: None,
        };
        let every_target_created = onboarded
            .iter()
            .all(|r| r.created > 0 && r.updated + r.unchanged + r.deleted == 0);
        demo.expect(
            every_target_created,
            "every cluster of every fleet is a WO target, created by the fleet apply",
        );
        let again = demo
            .azure
            .apply_fleet(&demo.repos.platform_config, "dev")
            .await?;
        demo.expect(
            !again.plan.changes(),
            "applying dev's fleet again changes nothing",
        );
        Ok(demo)
    }

    fn app(&self) -> Result<Pipeline> {
        self.pipeline(
            &self.repos.app_source,
            &self.repos.app_config,
            &self.repos.app_gitops,
        )
    }

    fn platform(&self) -> Result<Pipeline> {
        self.pipeline(
            &self.repos.platform_source,
            &self.repos.platform_config,
            &self.repos.platform_gitops,
        )
    }

    /// The production composition root over the demo's repositories, deploying through the
    /// simulator.
    fn pipeline(&self, source: &Path, config: &Path, gitops: &Path) -> Result<Pipeline> {
        let loc = |p: &Path| Some(p.display().to_string());
        let settings = wo::settings::Settings {
            source: loc(source),
            config: loc(config),
            platform: loc(&self.repos.platform_config),
            gitops: loc(gitops),
            registry: Some(self.azure.registry_setting()),
            ..wo::settings::Settings::default()
        };
        wo::pipeline::PipelineBuilder::new(settings)
            .credentials(wo::credentials::Credentials::default())
            .orchestrator(self.azure.orchestrator.clone())
            .fleet(self.azure.fleet_onboarding()?)
            .build()
    }

    /// The demo's clock: the system clock moved ahead past the bakes waited out.
    fn now(&self) -> wo_core::rollout::Timestamp {
        wo_core::rollout::Timestamp(
            wo_core::pipeline::system_clock().0
                + self.clock_ahead.load(std::sync::atomic::Ordering::SeqCst),
        )
    }

    fn expect(&mut self, ok: bool, what: impl Into<String>) {
        let what = what.into();
        if ok {
            self.passed += 1;
            outln!("    ✓ {what}");
        } else {
            outln!("    ✗ {what}");
            self.failed.push(what);
        }
    }

    /// Runs `event` and keeps going the way reviewers and webhooks would: every change request
    /// the pipeline opens is merged (`wo merge` stands in for the reviewer) and the merge is fed
    /// back as an event, until the chain ends, halts or fails.
    /// [`Demo::drive`] for a push to the source's `main`.
    async fn push_main(&mut self, p: &Pipeline) -> Result<Vec<StepOutcome>> {
        self.drive(
            p,
            Event::SourcePushed {
                commit: "main".into(),
            },
        )
        .await
    }

    ///
    /// A rollout waiting for its bake continues the way the scheduled deploy workflow
    /// continues it: the demo moves its clock to the end of the bake and runs the deploy of
    /// that environment again (`change-merged`). A rollout waiting for anything else stops the
    /// drive.
    async fn drive(&mut self, p: &Pipeline, event: Event) -> Result<Vec<StepOutcome>> {
        let mut all = Vec::new();
        self.rollouts.clear();
        let mut next = Some(event);
        let ahead = self.clock_ahead.clone();
        let clock = move || {
            let now = wo_core::pipeline::system_clock();
            wo_core::rollout::Timestamp(now.0 + ahead.load(std::sync::atomic::Ordering::SeqCst))
        };
        while let Some(event) = next.take() {
            let steps = p.run_at(&event, &clock).await?;
            for step in &steps {
                match step {
                    StepOutcome::Prepared(prep) => {
                        let cr = prep
                            .change_request()
                            .map(|c| c.title.clone())
                            .unwrap_or_default();
                        outln!(
                            "  {:<6} change request {}: {cr}",
                            prep.environment,
                            prep.kind()
                        );
                        if prep.change_request().is_some() {
                            let head = p.merge(&prep.environment).await?;
                            outln!(
                                "  {:<6} reviewed and merged (gitops {})",
                                prep.environment,
                                short(head.head().map_or("-", |h| h.as_str()))
                            );
                            next = Some(Event::ChangeMerged {
                                environment: prep.environment.clone(),
                            });
                        }
                    }
                    StepOutcome::Deployed(d) => {
                        outln!(
                            "  {:<6} deployed: {}",
                            d.environment,
                            describe_results(&d.report.results)
                        );
                        if let Some(c) = &d.chart {
                            outln!(
                                "  {:<6} chart {}:{} {} ({})",
                                d.environment,
                                c.chart.repo,
                                c.chart.version,
                                short_digest(&c.chart.digest),
                                if c.pushed {
                                    "pushed"
                                } else {
                                    "in the registry already"
                                }
                            );
                            let seen = self
                                .charts
                                .entry(format!("{}:{}", c.chart.repo, c.chart.version))
                                .or_insert_with(|| (c.chart.digest.clone(), 0, 0));
                            seen.1 += usize::from(c.pushed);
                            seen.2 += 1;
                        }
                    }
                    StepOutcome::FleetApplied {
                        environment,
                        report,
                        ..
                    } => {
                        outln!(
                            "  {environment:<6} fleet applied: {} created, {} updated, {} unchanged",
                            report.created,
                            report.updated,
                            report.unchanged
                        );
                    }
                    StepOutcome::RolledOut(r) => {
                        for (wave, report) in &r.batches {
                            outln!(
                                "  {:<6} wave {wave}: {}",
                                r.environment,
                                describe_results(&report.results)
                            );
                        }
                        match &r.decision {
                            wo_core::rollout::Decision::WaitUntil {
                                until,
                                reason: wo_core::rollout::WaitReason::Bake { wave },
                            } => {
                                if let Some((target, reason)) = &self.unhealthy_after_install {
                                    let took = r.batches.iter().any(|(_, rep)| {
                                        rep.results.get(target)
                                            == Some(&wo_core::ports::TargetOutcome::Deployed)
                                    });
                                    if took {
                                        outln!(
                                            "  {:<6} in WO: {target} turns unhealthy ({reason})",
                                            r.environment
                                        );
                                        self.azure.sim.make_unhealthy(target, reason);
                                    }
                                }
                                let left = until.0 - clock().0;
                                outln!(
                                    "  {:<6} wave {wave} bakes until {until}; the demo moves its clock {} ahead, as the scheduled deploy comes back later",
                                    r.environment,
                                    minutes(left)
                                );
                                self.clock_ahead
                                    .fetch_add(left.max(0), std::sync::atomic::Ordering::SeqCst);
                                next = Some(Event::ChangeMerged {
                                    environment: r.environment.clone(),
                                });
                            }
                            wo_core::rollout::Decision::Done => outln!(
                                "  {:<6} rollout done: every wave installed and baked",
                                r.environment
                            ),
                            wo_core::rollout::Decision::Halt { wave, reason, .. } => outln!(
                                "  {:<6} rollout HALTED in wave {wave}: {reason}",
                                r.environment
                            ),
                            _ => outln!(
                                "  {:<6} rollout: {}",
                                r.environment,
                                r.waiting_for().unwrap_or_default()
                            ),
                        }
                        self.rollouts.push(r.as_ref().clone());
                    }
                    StepOutcome::Skipped { action, reason } => {
                        outln!("  skipped {action}: {reason}");
                    }
                    StepOutcome::Halted {
                        environment,
                        reason,
                        ..
                    } => {
                        outln!("  {environment:<6} promotion halted: {reason}");
                    }
                }
            }
            all.extend(steps);
        }
        Ok(all)
    }

    async fn env_status(
        &self,
        p: &Pipeline,
        env: &str,
    ) -> Result<Option<wo_core::pipeline::EnvironmentStatus>> {
        Ok(p.status().await?.into_iter().find(|s| s.environment == env))
    }

    async fn scenarios(&mut self) -> Result<()> {
        let app = self.app()?;
        let platform = self.platform()?;

        outln!();
        outln!("1. The platform team rolls out namespaces and quotas (its own solution, its own chain).");
        let steps = self.push_main(&platform).await?;
        self.expect(
            deployed_ok(&steps) == ["dev", "stage", "prod"],
            "the platform is deployed in dev, stage and prod",
        );

        outln!();
        outln!("2. A commit to shop's main branch is promoted dev → stage → prod.");
        let commit = app_source_head(&self.repos.app_source)?;
        let steps = self.push_main(&app).await?;
        self.expect(
            deployed_ok(&steps) == ["dev", "stage", "prod"],
            "deployed in dev, then stage, then prod",
        );
        let source = GitSourceRepo::open(&self.repos.app_source.display().to_string())?;
        let statuses = source.statuses(&commit.clone().into()).await?;
        for env in ENVIRONMENTS {
            let ok = statuses
                .iter()
                .any(|s| s.context == format!("wo/{env}") && s.state == CommitState::Success);
            self.expect(
                ok,
                format!("the source commit has status wo/{env} = success"),
            );
        }
        let prod = self.env_status(&app, "prod").await?;
        let released = prod
            .as_ref()
            .and_then(|s| s.provenance.as_ref())
            .map(|p| p.source_commit.to_string());
        self.expect(
            released.as_deref() == Some(commit.as_str()),
            "prod's gitops branch names that source commit (provenance)",
        );
        let again = app
            .prepare_pr("dev", &SourceChoice::Commit(commit.clone()), true)
            .await?;
        self.expect(
            again.change_request().is_none(),
            format!("preparing dev again changes nothing ({})", again.kind()),
        );
        let redeploy = app.deploy("dev").await?;
        let version = redeploy.report.version.clone();
        let installs = self.azure.installs("dev-eu-1", &version);
        self.expect(redeploy.report.all_succeeded() && installs == 1, format!("deploying dev again installs nothing twice (dev-eu-1: {installs} install of that release)"));

        outln!();
        outln!(
            "3. The app team changes a value in stage only: re-rendered in stage, not promoted."
        );
        let prod_before = self
            .env_status(&app, "prod")
            .await?
            .and_then(|s| s.gitops_commit);
        let mut stage_cfg = repos::read(&self.repos.app_config, "stage")?;
        edit(&mut stage_cfg, "values.yaml", "Replicas: 2", "Replicas: 3")?;
        let cfg = repos::commit(
            &self.repos.app_config,
            "stage",
            &stage_cfg,
            "stage: three replicas",
        )?;
        outln!("  stage  config commit {}: Replicas 2 → 3", short(&cfg));
        let steps = self
            .drive(
                &app,
                Event::ConfigMerged {
                    environment: "stage".into(),
                },
            )
            .await?;
        self.expect(
            deployed_ok(&steps) == ["stage"]
                && steps
                    .iter()
                    .filter(|s| matches!(s, StepOutcome::Deployed(_)))
                    .count()
                    == 1,
            "only stage was deployed",
        );
        let stage = self.env_status(&app, "stage").await?;
        let p = stage.as_ref().and_then(|s| s.provenance.clone());
        self.expect(
            p.as_ref()
                .is_some_and(|p| !p.promotable && p.config_commit.as_str() == cfg),
            "stage's release names the new config commit and is not promotable",
        );
        let prod_after = self
            .env_status(&app, "prod")
            .await?
            .and_then(|s| s.gitops_commit);
        self.expect(prod_before == prod_after, "prod is untouched");

        outln!();
        outln!(
            "4. The platform team raises the quota: deployed on its own; the app is not touched."
        );
        let app_heads = self.gitops_heads(&app).await?;
        let mut psrc = repos::read(&self.repos.platform_source, "main")?;
        edit(&mut psrc, "chart/values.yaml", "cpu: \"2\"", "cpu: \"3\"")?;
        repos::commit(
            &self.repos.platform_source,
            "main",
            &psrc,
            "platform: more CPU by default",
        )?;
        let steps = self.push_main(&platform).await?;
        self.expect(
            deployed_ok(&steps) == ["dev", "stage", "prod"],
            "the platform change reached dev, stage and prod",
        );
        self.expect(
            self.gitops_heads(&app).await? == app_heads,
            "shop's gitops branches did not move",
        );

        outln!();
        outln!("5. The platform team stages prod: canary → early → rest, a 10-minute bake after each wave, any failure halts.");
        let mut fleet = repos::read(&self.repos.platform_config, "prod")?;
        edit(
            &mut fleet,
            "fleet.yaml",
            "    hierarchy: {region: us, site: chicago}\n    labels: {tier: standard}",
            "    hierarchy: {region: us, site: chicago}\n    labels: {tier: standard, ring: canary}",
        )?;
        let text = fleet.text("fleet.yaml")?.unwrap_or_default().to_string();
        fleet.insert("fleet.yaml", format!("{text}{PROD_ROLLOUT}"))?;
        let commit = repos::commit(
            &self.repos.platform_config,
            "prod",
            &fleet,
            "prod: roll releases out wave by wave",
        )?;
        outln!(
            "  prod   platform config commit {}: prod-chicago-1 is the canary; rollout: canary, early (50 %), rest",
            short(&commit)
        );
        let steps = self
            .drive(
                &platform,
                Event::PlatformConfigMerged {
                    environment: "prod".into(),
                },
            )
            .await?;
        let no_target_moved = steps.iter().any(|s| {
            matches!(s, StepOutcome::FleetApplied { report, .. } if report.created == 0 && report.deleted == 0)
        });
        self.expect(
            no_target_moved,
            "the fleet change applied: no cluster created or deleted",
        );
        let walked: Vec<&str> = self
            .rollouts
            .iter()
            .flat_map(|r| r.batches.iter().map(|(w, _)| w.as_str()))
            .collect();
        self.expect(
            walked == ["canary", "early", "rest"]
                && self
                    .rollouts
                    .last()
                    .is_some_and(|r| r.decision == wo_core::rollout::Decision::Done),
            "the platform's release for the new fleet commit walks the new rollout to the end",
        );

        outln!();
        outln!("6. A healthy shop release walks prod wave by wave: canary, bake, early, bake, rest, bake.");
        let mut src = repos::read(&self.repos.app_source, "main")?;
        edit(&mut src, "chart/values.yaml", "cpu: 100m", "cpu: 150m")?;
        let good = repos::commit(&self.repos.app_source, "main", &src, "shop: more CPU")?;
        outln!(
            "  main   source commit {}: CPU request 100m → 150m",
            short(&good)
        );
        let steps = self.push_main(&app).await?;
        self.expect(
            deployed_ok(&steps) == ["dev", "stage"],
            "dev and stage take the release at once (no rollout declared there)",
        );
        let waves: Vec<(String, Vec<String>)> = self
            .rollouts
            .iter()
            .flat_map(|r| r.batches.iter())
            .map(|(w, rep)| (w.clone(), rep.results.keys().cloned().collect()))
            .collect();
        let wave_names: Vec<&str> = waves.iter().map(|(w, _)| w.as_str()).collect();
        let sizes: Vec<usize> = waves.iter().map(|(_, t)| t.len()).collect();
        self.expect(
            wave_names == ["canary", "early", "rest"] && sizes == [1, 2, 1],
            format!(
                "prod took it in three waves: canary (prod-chicago-1), early (2 of the 3 left), rest (1) — {}",
                waves
                    .iter()
                    .map(|(w, t)| format!("{w}: {}", t.join(" ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        );
        self.expect(
            waves.first().is_some_and(|(_, t)| t == &["prod-chicago-1"]),
            "the canary wave is prod-chicago-1 alone",
        );
        let runs = self.rollouts.len();
        let done = self
            .rollouts
            .last()
            .is_some_and(|r| r.decision == wo_core::rollout::Decision::Done);
        self.expect(
            done && runs == 4,
            format!("each wave baked before the next: {runs} deploy runs (three waves, then the last bake's end), done"),
        );
        let statuses = source.statuses(&good.clone().into()).await?;
        let state = |ctx: &str| statuses.iter().find(|s| s.context == ctx).map(|s| s.state);
        self.expect(
            ["canary", "early", "rest"]
                .iter()
                .all(|w| state(&format!("wo/prod/wave/{w}")) == Some(CommitState::Success))
                && state("wo/prod") == Some(CommitState::Success),
            "wo/prod/wave/canary, early and rest = success, then wo/prod = success",
        );

        outln!();
        outln!("7. A new shop release fails on the canary cluster: the rollout halts there, the other prod clusters never get it.");
        self.azure.sim.fail_installs_on_with(
            "prod-chicago-1",
            "ImagePullBackOff: registry unreachable from site chicago",
        );
        let last_good = self
            .env_status(&app, "prod")
            .await?
            .and_then(|s| s.gitops_commit);
        let last_good_version = self
            .rollouts
            .iter()
            .flat_map(|r| r.batches.iter())
            .map(|(_, rep)| rep.version.clone())
            .next()
            .unwrap_or_default();
        let mut src = repos::read(&self.repos.app_source, "main")?;
        edit(
            &mut src,
            "chart/values.yaml",
            "memory: 256Mi",
            "memory: 320Mi",
        )?;
        let bad = repos::commit(&self.repos.app_source, "main", &src, "shop: more memory")?;
        outln!(
            "  main   source commit {}: memory limit 256Mi → 320Mi",
            short(&bad)
        );
        let steps = self.push_main(&app).await?;
        let halted = steps
            .iter()
            .any(|s| matches!(s, StepOutcome::Halted { environment, .. } if environment == "prod"));
        self.expect(halted, "promotion halted in prod");
        let statuses = source.statuses(&bad.clone().into()).await?;
        let state = |ctx: &str| statuses.iter().find(|s| s.context == ctx).map(|s| s.state);
        self.expect(
            state("wo/stage") == Some(CommitState::Success),
            "wo/stage = success",
        );
        self.expect(
            state("wo/prod") == Some(CommitState::Failure)
                && state("wo/prod/wave/canary") == Some(CommitState::Failure),
            "wo/prod = failure, wo/prod/wave/canary = failure",
        );
        let bad_version = self
            .rollouts
            .iter()
            .flat_map(|r| r.batches.iter())
            .map(|(_, rep)| rep.version.clone())
            .next()
            .unwrap_or_default();
        let untouched = ["prod-berlin-1", "prod-berlin-2", "prod-london-1"];
        let never: Vec<usize> = untouched
            .iter()
            .map(|t| self.azure.installs(t, &bad_version))
            .collect();
        let still: Vec<usize> = untouched
            .iter()
            .map(|t| self.azure.installs(t, &last_good_version))
            .collect();
        self.expect(
            !bad_version.is_empty() && never == [0, 0, 0] && still == [1, 1, 1],
            "prod-berlin-1, prod-berlin-2 and prod-london-1 never received it and still run the last good release",
        );
        self.expect(
            self.rollouts
                .iter()
                .flat_map(|r| r.batches.iter())
                .map(|(w, rep)| (w.as_str(), rep.results.len()))
                .collect::<Vec<_>>()
                == [("canary", 1)],
            "one cluster affected: only the canary wave was installed",
        );

        outln!();
        outln!("8. The next release installs fine on the canary, whose pods then crash: WO reports it unhealthy during the bake, and the rollout halts.");
        self.azure.sim.heal_installs_on("prod-chicago-1");
        let mut src = repos::read(&self.repos.app_source, "main")?;
        edit(
            &mut src,
            "chart/values.yaml",
            "memory: 320Mi",
            "memory: 300Mi",
        )?;
        let sick = repos::commit(&self.repos.app_source, "main", &src, "shop: less memory")?;
        outln!(
            "  main   source commit {}: memory limit 320Mi → 300Mi",
            short(&sick)
        );
        // The canary's pods crash once it runs the release: the demo makes it unhealthy in
        // WO when the canary wave starts to bake.
        self.unhealthy_after_install = Some((
            "prod-chicago-1".into(),
            "CrashLoopBackOff: back-off restarting failed container shop".into(),
        ));
        let steps = self.push_main(&app).await?;
        self.unhealthy_after_install = None;
        let installed: Vec<(String, usize)> = self
            .rollouts
            .iter()
            .flat_map(|r| r.batches.iter())
            .map(|(w, rep)| (w.clone(), rep.results.len()))
            .collect();
        let halted_unhealthy = self.rollouts.last().is_some_and(|r| {
            matches!(&r.decision, wo_core::rollout::Decision::Halt { wave, reason, .. }
                if wave == "canary" && reason.contains("prod-chicago-1 unhealthy") && reason.contains("CrashLoopBackOff"))
        });
        self.expect(
            halted_unhealthy && installed == [("canary".to_string(), 1)],
            "the canary installed, turned unhealthy during its bake, and the rollout halted in the canary with WO's reason",
        );
        self.expect(
            steps.iter().any(
                |s| matches!(s, StepOutcome::Halted { environment, .. } if environment == "prod"),
            ),
            "promotion halted in prod; the other prod clusters kept the last good release",
        );
        self.azure.sim.make_healthy("prod-chicago-1");

        outln!();
        outln!(
            "9. Rollback: prod goes back to the last good release through a normal change request."
        );
        self.azure.sim.heal_installs_on("prod-chicago-1");
        let Some(to) = last_good else {
            self.expect(false, "there is a release to roll back to");
            return Ok(());
        };
        let prep = app.rollback("prod", &to).await?;
        outln!(
            "  prod   change request {}: {}",
            prep.kind(),
            prep.change_request()
                .map(|c| c.title.clone())
                .unwrap_or_default()
        );
        self.expect(
            prep.provenance.rollback_of.as_ref() == Some(&to),
            "its provenance says it rolls back to the last good release",
        );
        let head = app.merge("prod").await?;
        outln!(
            "  prod   reviewed and merged (gitops {})",
            short(head.head().map_or("-", |h| h.as_str()))
        );
        let steps = self
            .drive(
                &app,
                Event::ChangeMerged {
                    environment: "prod".into(),
                },
            )
            .await?;
        let ok = self
            .rollouts
            .last()
            .is_some_and(|r| r.decision == wo_core::rollout::Decision::Done)
            && steps
                .iter()
                .all(|s| !matches!(s, StepOutcome::Halted { .. }));
        self.expect(
            ok,
            "the rollback walks the rollout to the end: prod runs the last good release on every target",
        );
        let after = repos::read(&self.repos.app_gitops, "prod")?;
        let before = wo_core::ports::GitOpsRepo::read(
            &GitOpsGitRepo::open(&self.repos.app_gitops.display().to_string())?,
            &to,
            "shop",
        )
        .await?;
        let same = before
            .iter()
            .filter(|(p, _)| !p.ends_with("release.yaml"))
            .all(|(p, c)| after.get(p) == Some(c));
        self.expect(
            same,
            "the rendered manifests and values equal the last good release's",
        );

        outln!();
        outln!("10. The platform team adds a cluster to dev's fleet: the merge onboards it, then the platform reaches it.");
        let mut fleet = repos::read(&self.repos.platform_config, "dev")?;
        edit(
            &mut fleet,
            "fleet.yaml",
            "targets:\n",
            "targets:\n  - name: dev-eu-2\n    hierarchy: {region: eu, site: berlin}\n    labels: {tier: standard}\n    capabilities: [helm]\n",
        )?;
        let commit = repos::commit(
            &self.repos.platform_config,
            "dev",
            &fleet,
            "dev: a second cluster in berlin",
        )?;
        outln!(
            "  dev    platform config commit {}: dev-eu-2 added to fleet.yaml",
            short(&commit)
        );
        let steps = self
            .drive(
                &platform,
                Event::PlatformConfigMerged {
                    environment: "dev".into(),
                },
            )
            .await?;
        let applied_first = matches!(
            steps.first(),
            Some(StepOutcome::FleetApplied { report, .. }) if report.created == 1 && report.updated == 0
        );
        self.expect(
            applied_first,
            "the fleet was applied first: dev-eu-2 created, the other clusters unchanged",
        );
        let reached = steps.iter().any(|s| {
            matches!(s, StepOutcome::Deployed(d) if d.environment == "dev"
                && d.report.all_succeeded()
                && d.report.results.contains_key("dev-eu-2"))
        });
        self.expect(
            reached,
            "the platform runs on dev-eu-2, deployed only to dev",
        );
        self.expect(
            deployed_ok(&steps) == ["dev"],
            "a fleet change is not promoted",
        );

        outln!();
        outln!("11. What runs is what was reviewed: charts in the registry, helm.v3 in WO, no hand edits, wo verify.");
        self.what_runs(&app).await?;
        Ok(())
    }

    /// Scenario 11: every release's chart pushed once, WO's template versions install it as
    /// `helm.v3`, and a gitops head edited by hand (hashes updated, trailers kept) is refused.
    async fn what_runs(&mut self, app: &Pipeline) -> Result<()> {
        for (chart, (digest, pushes, deploys)) in &self.charts {
            outln!("  {chart} {digest}: pushed {pushes}×, used by {deploys} deploys");
        }
        let once =
            !self.charts.is_empty() && self.charts.values().all(|(_, pushes, _)| *pushes == 1);
        let uploads = self.azure.registry.manifest_puts();
        self.expect(
            once && uploads == self.charts.len() as u64,
            format!(
                "every release's chart was pushed once ({} charts, {uploads} manifest uploads to the registry)",
                self.charts.len()
            ),
        );
        let registry = format!("oci://{}/charts/", self.azure.registry.host_port());
        let mut versions = 0;
        let mut helm = 0;
        for id in self.azure.sim.resource_ids() {
            let lower = id.to_ascii_lowercase();
            if !(lower.contains("/solutiontemplates/") && lower.contains("/versions/")) {
                continue;
            }
            let Some(v) = self.azure.sim.resource(&id) else {
                continue;
            };
            versions += 1;
            let components = v["properties"]["specification"]["components"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !components.is_empty()
                && components.iter().all(|c| {
                    c["type"] == "helm.v3"
                        && c["properties"]["chart"]["repo"]
                            .as_str()
                            .is_some_and(|r| r.starts_with(&registry))
                })
            {
                helm += 1;
            }
        }
        self.expect(
            versions > 0 && helm == versions,
            format!("WO's solution template versions install the published chart as helm.v3 ({helm} of {versions})"),
        );

        // A careful hand edit of dev's gitops head: a value changed in values.yaml and in
        // manifests.yaml, release.yaml's hashes updated, the trailers copied.
        let gitops = self.repos.app_gitops.clone();
        let gitops = gitops.as_path();
        let before = repos::read(gitops, "dev")?;
        let message = repos::head_message(gitops, "dev")?;
        let mut forged = before.clone();
        let target = "dev-eu-1";
        let values_path = format!("shop/{target}/values.yaml");
        let manifests_path = format!("shop/{target}/manifests.yaml");
        let record_path = "shop/release.yaml";
        let values = forged.text(&values_path)?.unwrap_or_default().to_string();
        let manifests = forged
            .text(&manifests_path)?
            .unwrap_or_default()
            .to_string();
        let forged_values = format!("{values}# tuned by hand\n");
        let forged_manifests = format!("{manifests}# tuned by hand\n");
        let mut record = wo_core::pipeline::ReleaseRecord::parse(
            forged.text(record_path)?.unwrap_or_default(),
            record_path,
        )?;
        if let Some(t) = record.targets.get_mut(target) {
            t.values_sha256 = wo_core::pipeline::sha256_hex(forged_values.as_bytes());
            t.manifests_sha256 = wo_core::pipeline::sha256_hex(forged_manifests.as_bytes());
        }
        forged.insert(&values_path, forged_values)?;
        forged.insert(&manifests_path, forged_manifests)?;
        forged.insert(record_path, record.to_yaml())?;
        let commit = repos::commit(gitops, "dev", &forged, &message)?;
        outln!(
            "  dev    gitops {} edited by hand: {values_path} and its manifests, release.yaml's hashes updated, trailers kept",
            short(&commit)
        );
        let installs = self.azure.sim.requests();
        match app.deploy("dev").await {
            Err(e)
                if e.is_invalid_input() && e.to_string().contains(&format!("shop/{target}/")) =>
            {
                let text = e.to_string();
                let refusal = text
                    .lines()
                    .find(|l| l.contains("refusing"))
                    .unwrap_or_else(|| first_line(&text));
                outln!("  dev    deploy: {}", refusal.trim());
                self.expect(
                    self.azure.sim.requests() == installs,
                    "deploy refuses the hand-edited head, naming the first differing file, before any WO request",
                );
            }
            Err(e) => self.expect(
                false,
                format!("deploy refuses the hand-edited head (it failed otherwise: {e})"),
            ),
            Ok(_) => self.expect(
                false,
                "deploy refuses the hand-edited head (it deployed it)",
            ),
        }
        let restored = repos::commit(gitops, "dev", &before, &message)?;
        outln!("  dev    gitops {}: the edit reverted", short(&restored));
        let redeploy = app.deploy("dev").await?;
        self.expect(
            redeploy.report.all_succeeded(),
            "with the edit reverted, dev deploys again (nothing new to install)",
        );

        // wo verify: what every cluster runs (WO's solution version: the chart pulled again,
        // rendered with the configuration WO resolved) equals the reviewed manifests.
        let mut ok = 0;
        let mut all = 0;
        for env in ENVIRONMENTS {
            let v = app.verify(env, None).await?;
            for t in &v.targets {
                all += 1;
                ok += usize::from(t.verdict == wo_core::pipeline::Verdict::Ok);
            }
            outln!(
                "  {env:<6} wo verify: {}",
                v.targets
                    .iter()
                    .map(|t| format!("{} {}", t.target, verdict_word(&t.verdict)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        self.expect(
            all == 9 && ok == all,
            format!("wo verify: ok on all {ok} of {all} clusters"),
        );

        // Someone changes one value in WO behind wo's back.
        let drifted = "prod-berlin-1";
        let changed = self
            .azure
            .sim
            .drift(drifted, Some("shop"), "replicas", serde_json::json!(9))
            .await
            .map_err(|m| wo_core::Error::backend("simulator", m))?;
        outln!(
            "  prod   in WO, behind wo's back: {drifted} replicas → 9 (solution version {})",
            changed.version
        );
        let v = app.verify("prod", None).await?;
        for t in &v.targets {
            if let wo_core::pipeline::Verdict::Drift {
                keys, resources, ..
            } = &t.verdict
            {
                outln!("  prod   wo verify: {} drift", t.target);
                for k in keys {
                    outln!("           key {k}");
                }
                for r in resources {
                    outln!("           resource {r}");
                }
            }
        }
        let only_that = v.targets.iter().all(|t| match (&t.target[..], &t.verdict) {
            (t, wo_core::pipeline::Verdict::Drift { keys, .. }) => {
                t == drifted && keys == &["replicas".to_string()]
            }
            (t, wo_core::pipeline::Verdict::Ok) => t != drifted,
            _ => false,
        });
        self.expect(
            v.has_drift() && only_that,
            format!("wo verify reports {drifted} and the key `replicas`, nothing else"),
        );
        Ok(())
    }

    async fn gitops_heads(&self, p: &Pipeline) -> Result<Vec<Option<wo_core::ports::CommitId>>> {
        Ok(p.status()
            .await?
            .into_iter()
            .map(|s| s.gitops_commit)
            .collect())
    }

    async fn status_table(&self) -> Result<()> {
        outln!("Status:");
        outln!(
            "  {:<9} {:<6} {:<8} {:<8} {:<8} {:<11} targets",
            "solution",
            "env",
            "source",
            "config",
            "gitops",
            "promotable"
        );
        for (name, p) in [("shop", self.app()?), ("platform", self.platform()?)] {
            for s in p.status_at(self.now()).await? {
                let [src, cfg, gitops, promo] = crate::commands::flow::released(&s);
                let targets: Vec<String> = s
                    .targets
                    .iter()
                    .map(|(t, st)| {
                        format!(
                            "{t} {}",
                            if *st == CommitState::Success {
                                "✓"
                            } else {
                                "✗"
                            }
                        )
                    })
                    .collect();
                outln!(
                    "  {name:<9} {:<6} {src:<8} {cfg:<8} {gitops:<8} {promo:<11} {}",
                    s.environment,
                    targets.join(", ")
                );
                if let Some(view) = &s.rollout {
                    outln!("            rollout:");
                    for line in view.render(wo_core::rollout::TableFormat::Text).lines() {
                        outln!("              {line}");
                    }
                }
            }
        }
        Ok(())
    }
}

/// The environments a run deployed with every target succeeding, in order.
fn deployed_ok(steps: &[StepOutcome]) -> Vec<&str> {
    steps
        .iter()
        .filter_map(|s| match s {
            StepOutcome::Deployed(d) if d.report.all_succeeded() => Some(d.environment.as_str()),
            _ => None,
        })
        .collect()
}

/// `t1 ✓, t2 ✗ (why)`.
fn describe_results(
    results: &std::collections::BTreeMap<String, wo_core::ports::TargetOutcome>,
) -> String {
    results
        .iter()
        .map(|(t, o)| match o {
            wo_core::ports::TargetOutcome::Deployed => format!("{t} ✓"),
            wo_core::ports::TargetOutcome::Failed { message } => format!("{t} ✗ ({message})"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `10 minutes`, `90 s`.
fn minutes(seconds: i64) -> String {
    if seconds % 60 == 0 {
        plural(usize::try_from(seconds / 60).unwrap_or(0), "minute")
    } else {
        format!("{seconds} s")
    }
}

/// `ok`, `drift`, `not deployed`.
fn verdict_word(v: &wo_core::pipeline::Verdict) -> &'static str {
    match v {
        wo_core::pipeline::Verdict::Ok => "ok",
        wo_core::pipeline::Verdict::Drift { .. } => "drift",
        wo_core::pipeline::Verdict::NotDeployed { .. } => "not deployed",
    }
}

/// `sha256:` and the first 12 hex digits.
fn short_digest(digest: &str) -> &str {
    &digest[..digest.len().min("sha256:".len() + 12)]
}

fn short(id: &str) -> &str {
    &id[..id.len().min(7)]
}

/// The first line of a message.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn app_source_head(repo: &Path) -> Result<String> {
    let r = git2::Repository::open_bare(repo)
        .map_err(|e| wo_core::Error::backend("git", e.message().to_string()))?;
    let id = r
        .refname_to_id("refs/heads/main")
        .map_err(|e| wo_core::Error::backend("git", e.message().to_string()))?;
    Ok(id.to_string())
}

/// Replaces `from` by `to` in one file of a tree (the demo's stand-in for a developer's edit).
fn edit(tree: &mut FileTree, path: &str, from: &str, to: &str) -> Result<()> {
    let text = tree.text(path)?.unwrap_or_default().to_string();
    if !text.contains(from) {
        return Err(wo_core::Error::not_found(format!("`{from}` in {path}")));
    }
    tree.insert(path, text.replacen(from, to, 1))
}
