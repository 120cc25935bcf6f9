//! prepare-pr and rollback: compute the content of an env branch and propose it.

use std::fmt::Write as _;

use crate::engine::{Bundle, Resolver};
use crate::error::{Error, Location, Result};
use crate::files::FileTree;
use crate::format::app::{AppDescriptor, SolutionKind, APP_FILE};
use crate::format::fleet::{Fleet, FLEET_FILE};
use crate::format::values::ValueSet;
use crate::ports::{
    ChangeProposal, Chart, CommitId, CommitState, Provenance, RenderRequest, TargetView,
};

use super::chain::fleet_file;
use super::record::{manifests_path, record_path, values_path, RecordedTarget, ReleaseRecord};
use super::{merge_errors, Pipeline, PrepareOutcome, SourceChoice};

/// How often a proposal is computed again when the env branch moved underneath.
const PROPOSE_ATTEMPTS: usize = 5;
/// How far back in an env branch's history a rollback target is looked for.
const ROLLBACK_DEPTH: usize = 1000;

/// The content of one solution in one environment, ready to propose.
struct Composed {
    provenance: Provenance,
    targets: Vec<String>,
    record: ReleaseRecord,
    files: FileTree,
}

impl Pipeline {
    /// Renders `source` for `env` and opens (or updates) the change request of the env branch.
    ///
    /// Reads the bundle at the source commit, the env branch heads of the config repo(s) and
    /// the fleet, resolves every target assigned the solution and renders them in one call.
    /// Nothing is proposed when anything is invalid; every problem is reported at once.
    ///
    /// # Errors
    /// - [`Error::NotFound`]: `env` is not in the chain; `Released` with nothing released.
    /// - [`Error::Invalid`]: a promotable commit the previous environment has not deployed
    ///   (status `wo/<previous>` is not `success`); invalid bundle, values or fleet, naming the
    ///   file; `Released` when the env branch head is not wo's (no provenance).
    pub async fn prepare_pr(
        &self,
        env: &str,
        source: &SourceChoice,
        promotable: bool,
    ) -> Result<PrepareOutcome> {
        let chain = self.chain_with(env).await?;
        let source_commit = match source {
            SourceChoice::Commit(rev) => self.ports.source.resolve(rev).await?,
            SourceChoice::Released => self.released(env).await?.source_commit,
        };
        if promotable {
            if let Some(prev) = chain.previous(env) {
                self.require_deployed(&source_commit, prev, env).await?;
            }
        }
        let composed = self
            .compose(env, &source_commit, None, promotable, None)
            .await?;
        let title = title(&composed.provenance, None);
        self.propose(composed, title).await
    }

    /// Computes the files of a gitops change again from its provenance (the commits it names),
    /// as prepare-pr would: re-rendering reproduces the branch byte for byte.
    ///
    /// # Errors
    /// As [`Pipeline::prepare_pr`], for the named commits.
    pub async fn reproduce(&self, provenance: &Provenance) -> Result<FileTree> {
        let composed = self
            .compose(
                &provenance.environment,
                &provenance.source_commit,
                Some((&provenance.config_commit, &provenance.fleet_commit)),
                provenance.promotable,
                provenance.rollback_of.clone(),
            )
            .await?;
        Ok(composed.files)
    }

    /// Proposes the `<solution>/` content of an earlier commit `to` of the env branch again,
    /// as a normal change request. Its provenance is that of `to`, not promotable, with
    /// `rollback_of: to`.
    ///
    /// # Errors
    /// - [`Error::NotFound`]: `to` is not among the last commits of the env branch.
    /// - [`Error::Invalid`]: `to` is the head already, has no provenance (a manual commit), or
    ///   its files disagree with its `release.yaml`.
    pub async fn rollback(&self, env: &str, to: &CommitId) -> Result<PrepareOutcome> {
        self.chain_with(env).await?;
        let solution = self.solution().await?;
        let history = self.ports.gitops.history(env, ROLLBACK_DEPTH).await?;
        let at = || Location::file(format!("gitops/{env}")).with_key(to.to_string());
        let (i, entry) = history
            .iter()
            .enumerate()
            .find(|(_, c)| &c.id == to)
            .ok_or_else(|| Error::not_found(format!(
                    "commit {to} among the last {ROLLBACK_DEPTH} commits of env branch `{env}` of the gitops repo"
                )))?;
        if i == 0 {
            return Err(Error::invalid(
                at(),
                format!("commit {} is the head of `{env}` already", to.short()),
            ));
        }
        let old = entry
            .provenance
            .clone()
            .filter(|p| p.solution == solution && p.environment == env)
            .ok_or_else(|| {
                Error::invalid(
                    at(),
                    format!(
                        "commit {} has no wo provenance for `{solution}` in `{env}`; wo rolls back only to releases it made",
                        to.short()
                    ),
                )
            })?;
        let mut files = self.ports.gitops.read(to, &solution).await?;
        let record = ReleaseRecord::verify(&files, &old, &format!("gitops/{env}@{}", to.short()))?;
        let provenance = Provenance {
            promotable: false,
            rollback_of: Some(to.clone()),
            ..old
        };
        let record = record.with_provenance(&provenance);
        files.insert(record_path(&solution), record.to_yaml())?;
        let composed = Composed {
            targets: record.targets.keys().cloned().collect(),
            provenance,
            record,
            files,
        };
        let title = title(&composed.provenance, Some(to));
        self.propose(composed, title).await
    }

    /// The provenance of what is released in `env`: that of the gitops env branch head.
    pub(super) async fn released(&self, env: &str) -> Result<Provenance> {
        let solution = self.solution().await?;
        let head = self
            .ports
            .gitops
            .history(env, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(format!(
                    "a release of `{solution}` in `{env}`: the gitops env branch `{env}` does not exist yet"
                )))?;
        head.provenance
            .filter(|p| p.solution == solution && p.environment == env)
            .ok_or_else(|| {
                Error::invalid(
                    Location::file(format!("gitops/{env}")).with_key(head.id.to_string()),
                    format!(
                        "the head {} of env branch `{env}` has no wo provenance for `{solution}` (a manual commit?), so the released source commit is unknown",
                        head.id.short()
                    ),
                )
            })
    }

    /// Refuses a promotable commit that `prev` has not deployed successfully.
    async fn require_deployed(&self, commit: &CommitId, prev: &str, env: &str) -> Result<()> {
        let context = format!("wo/{prev}");
        let statuses = self.ports.source.statuses(commit).await?;
        let state = statuses
            .iter()
            .find(|s| s.context == context)
            .map(|s| s.state);
        if state == Some(CommitState::Success) {
            return Ok(());
        }
        Err(Error::invalid(
            Location::file(format!("source@{}", commit.short())).with_key(&context),
            format!(
                "source commit {} is not deployed in `{prev}` (status `{context}` is {}); a promotable commit reaches `{env}` only after `{prev}` deployed it",
                commit.short(),
                state.map_or("missing".to_string(), |s| format!("`{s}`"))
            ),
        ))
    }

    /// Reads the bundle at `commit`: `wo/`, then the chart and any file `wo/app.yaml` names
    /// outside `wo/`.
    async fn read_bundle(&self, commit: &CommitId) -> Result<Bundle> {
        let shown = format!("source@{}", commit.short());
        let mut tree = self
            .ports
            .source
            .read_tree(commit, &["wo".to_string()])
            .await?;
        let file = format!("{shown}/{APP_FILE}");
        let text = tree
            .text(APP_FILE)?
            .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?;
        let app = AppDescriptor::parse(text, &file)?;
        let mut dirs = vec![app.chart.clone()];
        let named = [
            Some(&app.schema),
            app.config_template.as_ref(),
            app.solution.as_ref(),
        ];
        for path in named.into_iter().flatten().chain(&app.includes) {
            if path.starts_with("wo/") {
                continue;
            }
            match path.rsplit_once('/') {
                Some((dir, _)) => dirs.push(dir.to_string()),
                // A file at the root: only reading the whole tree finds it.
                None => dirs.clear(),
            }
            if dirs.is_empty() {
                break;
            }
        }
        dirs.sort();
        dirs.dedup();
        let more = self.ports.source.read_tree(commit, &dirs).await?;
        for (path, content) in more.iter() {
            tree.insert(path, content)?;
        }
        Bundle::load(&tree, &shown)
    }

    /// Computes the content of `env` from the source commit and the config heads (or the
    /// `pinned` config and fleet commits).
    async fn compose(
        &self,
        env: &str,
        source_commit: &CommitId,
        pinned: Option<(&CommitId, &CommitId)>,
        promotable: bool,
        rollback_of: Option<CommitId>,
    ) -> Result<Composed> {
        let bundle = self.read_bundle(source_commit).await?;
        let fleet_commit = match pinned {
            Some((_, fleet)) => fleet.clone(),
            None => self.ports.platform_config.head(env).await?,
        };
        let platform_tree = self.ports.platform_config.read(&fleet_commit).await?;
        let file = fleet_file(env);
        let text = platform_tree
            .text(FLEET_FILE)?
            .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?;
        let fleet = Fleet::parse(text, &file)?;
        if fleet.environment != env {
            return Err(Error::invalid(
                Location::file(&file).with_key("environment"),
                format!(
                    "the fleet for `{env}` says `environment: {}`",
                    fleet.environment
                ),
            ));
        }
        let (config_commit, values) = match bundle.app.kind {
            SolutionKind::Application => {
                let commit = match pinned {
                    Some((config, _)) => config.clone(),
                    None => self.ports.app_config.head(env).await?,
                };
                let tree = self.ports.app_config.read(&commit).await?;
                let values = ValueSet::load(&tree, &format!("app-config/{env}"))?;
                (commit, values)
            }
            SolutionKind::Platform => {
                let values = ValueSet::load(&platform_tree, &format!("platform-config/{env}"))?;
                (fleet_commit.clone(), values)
            }
        };
        let resolver = Resolver::new(&bundle, &values, &fleet)?;
        let targets = resolver.targets()?;
        let mut resolved = Vec::with_capacity(targets.len());
        let mut errors = Vec::new();
        for t in &targets {
            match resolver.resolve(t) {
                Ok(r) => resolved.push(r),
                Err(e) => errors.push(e),
            }
        }
        merge_errors(errors)?;

        let solution = bundle.name().to_string();
        let chart = Chart {
            name: chart_name(&bundle),
            files: bundle.chart.clone(),
        };
        let requests: Vec<RenderRequest> = targets
            .iter()
            .zip(&resolved)
            .map(|(t, r)| RenderRequest {
                release_name: solution.clone(),
                namespace: bundle.app.namespace().to_string(),
                target: TargetView {
                    name: t.name.clone(),
                    labels: t.labels.clone(),
                    hierarchy: t.hierarchy.clone(),
                },
                values: serde_json::Value::Object(r.values.clone()),
            })
            .collect();
        let rendered = self.ports.renderer.render(&chart, &requests).await?;
        if rendered.len() != requests.len() {
            return Err(Error::backend(
                "renderer",
                format!(
                    "rendered {} outputs for {} targets",
                    rendered.len(),
                    requests.len()
                ),
            ));
        }

        let provenance = Provenance {
            solution: solution.clone(),
            environment: env.to_string(),
            source_commit: source_commit.clone(),
            config_commit,
            fleet_commit,
            promotable,
            rollback_of,
        };
        let mut record = ReleaseRecord::new(&provenance);
        let mut files = FileTree::new();
        for ((t, r), out) in targets.iter().zip(&resolved).zip(rendered) {
            let values = r.values_yaml();
            record.targets.insert(
                t.name.clone(),
                RecordedTarget {
                    orchestrator_id: t.orchestrator.as_ref().and_then(|o| o.id.clone()),
                    values_sha256: super::sha256_hex(values.as_bytes()),
                    manifests_sha256: super::sha256_hex(out.manifests.as_bytes()),
                },
            );
            files.insert(values_path(&solution, &t.name), values)?;
            files.insert(manifests_path(&solution, &t.name), out.manifests)?;
        }
        files.insert(record_path(&solution), record.to_yaml())?;
        Ok(Composed {
            provenance,
            targets: targets.iter().map(|t| t.name.clone()).collect(),
            record,
            files,
        })
    }

    /// Proposes `composed` against the current env head, computing the base again when the
    /// branch moved underneath (the content does not depend on it).
    async fn propose(&self, composed: Composed, title: String) -> Result<PrepareOutcome> {
        let env = composed.provenance.environment.clone();
        let body = body(&composed);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let base = self.ports.gitops.head(&env).await?;
            let proposal = ChangeProposal {
                solution: composed.provenance.solution.clone(),
                environment: env.clone(),
                base,
                files: composed.files.clone(),
                title: title.clone(),
                body: body.clone(),
                provenance: composed.provenance.clone(),
            };
            match self.ports.gitops.propose(proposal).await {
                Ok(proposal) => {
                    return Ok(PrepareOutcome {
                        environment: env,
                        provenance: composed.provenance,
                        targets: composed.targets,
                        proposal,
                    })
                }
                Err(Error::Precondition { .. }) if attempt < PROPOSE_ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// The chart's name from its `Chart.yaml`, else the solution's.
fn chart_name(bundle: &Bundle) -> String {
    bundle
        .chart
        .text("Chart.yaml")
        .ok()
        .flatten()
        .and_then(|t| crate::yaml::parse(t, "Chart.yaml").ok())
        .and_then(|n| match n.get("name").map(|v| &v.kind) {
            Some(crate::yaml::NodeKind::Str(s)) if crate::files::check_name(s).is_ok() => {
                Some(s.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| bundle.name().to_string())
}

/// `shop: dev ← source abc1234`, with what kind of change it is when not a promotion.
fn title(p: &Provenance, rollback_to: Option<&CommitId>) -> String {
    let head = format!("{}: {} ← ", p.solution, p.environment);
    match (rollback_to, p.promotable) {
        (Some(to), _) => format!(
            "{head}rollback to {} (source {})",
            to.short(),
            p.source_commit.short()
        ),
        (None, true) => format!("{head}source {}", p.source_commit.short()),
        (None, false) => format!(
            "{head}source {}, config {}, fleet {} (not promotable)",
            p.source_commit.short(),
            p.config_commit.short(),
            p.fleet_commit.short()
        ),
    }
}

/// The change request description: the provenance and one line per target.
fn body(c: &Composed) -> String {
    let p = &c.provenance;
    let mut out = format!(
        "Rendered by wo for solution `{}` in `{}`.\n\n",
        p.solution, p.environment
    );
    let _ = writeln!(out, "- source commit: {}", p.source_commit);
    let _ = writeln!(out, "- config commit: {}", p.config_commit);
    let _ = writeln!(out, "- fleet commit: {}", p.fleet_commit);
    let _ = writeln!(
        out,
        "- promotable: {}",
        if p.promotable {
            "yes: a successful deploy promotes it to the next environment"
        } else {
            "no"
        }
    );
    if let Some(of) = &p.rollback_of {
        let _ = writeln!(out, "- rollback of: {of}");
    }
    let _ = writeln!(out, "\nTargets ({}):", c.record.targets.len());
    for (name, t) in &c.record.targets {
        let _ = writeln!(
            out,
            "- {name}: values sha256 {}, manifests sha256 {}",
            &t.values_sha256[..12.min(t.values_sha256.len())],
            &t.manifests_sha256[..12.min(t.manifests_sha256.len())]
        );
    }
    out
}
