//! prepare-pr and rollback: compute the content of an env branch and propose it.

use std::fmt::Write as _;

use crate::compose::{compose, compose_stream, ComposedFiles, ComposedStream};
use crate::engine::{Bundle, SourceCommit};
use crate::error::{Error, Location, Result};
use crate::files::FileTree;
use crate::format::app::{AppDescriptor, SolutionKind, APP_FILE};
use crate::format::fleet::{Fleet, FLEET_FILE};
use crate::format::values::ValueSet;
use crate::ports::{
    ChangeCheck, ChangeProposal, ChartPackage, CommitId, CommitState, GitOpsCommit, PolicySources,
    PolicyText, PolicyVerdict, Provenance, SourceRepo, PLATFORM_POLICY_FILE, POLICY_CONTEXT,
    SOURCE_POLICY_FILE,
};
use crate::ports::{RenderFlow, RenderRequest, Rendered};

use super::chain::fleet_file;
use super::record::{policy_path, record_path, RecordedTarget, ReleaseRecord};
use super::{Pipeline, PrepareOutcome, SourceChoice};

/// How often a proposal is computed again when the env branch moved underneath.
const PROPOSE_ATTEMPTS: usize = 5;
/// How far back in an env branch's history a rollback target is looked for.
const ROLLBACK_DEPTH: usize = 1000;

/// What [`Pipeline::compose`] keeps besides the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// The files only.
    Files,
    /// Also the render requests ([`Composed::rendered_from`]), for `wo verify`.
    Requests,
}

/// Each target's files as the streaming render delivers them, kept in target order.
struct Collect<'a> {
    stream: &'a ComposedStream<'a>,
    /// Per target: its values and manifests, once delivered.
    slots: Vec<std::sync::Mutex<Option<(String, String)>>>,
}

impl<'a> Collect<'a> {
    fn new(stream: &'a ComposedStream<'a>) -> Self {
        Collect {
            stream,
            slots: (0..stream.targets.len())
                .map(|_| std::sync::Mutex::new(None))
                .collect(),
        }
    }

    /// The gitops files and digests, as [`Composition::files`](crate::compose::Composition::files)
    /// gives them.
    fn files(self) -> Result<ComposedFiles> {
        let mut files = ComposedFiles::default();
        for (target, slot) in self.stream.targets.iter().zip(self.slots) {
            let (values, manifests) = slot
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .ok_or_else(|| {
                    Error::backend(
                        "renderer",
                        format!("no output was delivered for target `{}`", target.name),
                    )
                })?;
            files.add(&self.stream.solution, &target.name, values, manifests)?;
        }
        Ok(files)
    }
}

impl RenderFlow for Collect<'_> {
    fn targets(&self) -> usize {
        self.slots.len()
    }

    fn request(&self, index: usize) -> Result<RenderRequest> {
        self.stream.request(index)
    }

    fn deliver(&self, index: usize, request: &RenderRequest, rendered: Rendered) -> Result<()> {
        let values = crate::yaml::to_string(&request.values);
        let slot = self.slots.get(index).ok_or_else(|| {
            Error::backend(
                "renderer",
                format!("delivered target #{index}, which was not asked for"),
            )
        })?;
        *slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((values, rendered.manifests));
        Ok(())
    }
}

/// The content of one solution in one environment, ready to propose.
pub(super) struct Composed {
    pub(super) provenance: Provenance,
    targets: Vec<String>,
    pub(super) record: ReleaseRecord,
    pub(super) files: FileTree,
    /// The chart as packaged for the orchestrator (with a [`ChartRegistry`](crate::ports::ChartRegistry)).
    pub(super) package: Option<ChartPackage>,
    /// The solution's `wo/solution.yaml`.
    pub(super) specification: Option<crate::value::Value>,
    /// What was rendered: the chart (as packaged, with a registry) and the composition whose
    /// requests it rendered (`None` for a rollback, which renders nothing).
    pub(super) rendered_from: Option<(crate::ports::Chart, crate::compose::Composition)>,
}

impl Composed {
    /// The chart `release.yaml` names.
    pub(super) fn record_chart(&self) -> Option<&crate::ports::ChartRef> {
        self.record.chart.as_ref()
    }
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
    /// - [`Error::Invalid`]: a promotable commit that is not on the source repo's main branch
    ///   ([`Settings::source_branch`](super::Settings::source_branch), asked of the repository:
    ///   see [`SourceRepo::on_branch`]); a promotable commit the previous environment has not
    ///   deployed (status `wo/<previous>` is not `success`); invalid bundle, values or fleet, naming the
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
            self.require_on_main(&source_commit, env).await?;
            if let Some(prev) = chain.previous(env) {
                self.require_deployed(&source_commit, prev, env).await?;
            }
        }
        let composed = self
            .compose(env, &source_commit, None, promotable, None, Keep::Files)
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
                Some(provenance),
                provenance.promotable,
                provenance.rollback_of.clone(),
                Keep::Files,
            )
            .await?;
        Ok(composed.files)
    }

    /// Proposes the `<solution>/` content of an earlier commit `to` of the env branch again,
    /// as a normal change request. Its provenance is that of `to`, not promotable, with
    /// `rollback_of: to`. `to` may be a unique prefix (a short id, at least 4 hex digits) of
    /// a commit of the env branch.
    ///
    /// # Errors
    /// - [`Error::NotFound`]: `to` is not among the last commits of the env branch.
    /// - [`Error::Invalid`]: a short `to` that several of those commits start with.
    /// - [`Error::Invalid`]: `to` is the head already, has no provenance (a manual commit), or
    ///   its files disagree with its `release.yaml`.
    pub async fn rollback(&self, env: &str, to: &CommitId) -> Result<PrepareOutcome> {
        self.chain_with(env).await?;
        let solution = self.solution().await?;
        let history = self.ports.gitops.history(env, ROLLBACK_DEPTH).await?;
        let at = || Location::file(format!("gitops/{env}")).with_key(to.to_string());
        let (i, entry) = find_commit(&history, to, env)?;
        let to = &entry.id;
        if i == 0 {
            return Err(Error::invalid(
                at(),
                format!("commit {} is the head of `{env}` already", to.short()),
            ));
        }
        let old = self
            .release_provenance(env, &solution, entry)
            .await?
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
            package: None,
            specification: None,
            rendered_from: None,
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
        self.release_provenance(env, &solution, &head)
            .await?
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

    /// Refuses to promote a commit that is not on the source repo's main branch
    /// ([`Settings::source_branch`](super::Settings::source_branch)). Asked of the repository,
    /// not of the event: an event's branch can be forged (`workflow_dispatch` inputs).
    async fn require_on_main(&self, commit: &CommitId, env: &str) -> Result<()> {
        let main = &self.settings.source_branch;
        if self.ports.source.on_branch(commit, main).await? {
            return Ok(());
        }
        Err(Error::invalid(
            Location::file(format!("source@{}", commit.short())).with_key(main),
            format!(
                "source commit {} is not on `{main}` of the source repo; only commits of `{main}` are promoted. \
                 Merge it into `{main}` first, or render it into `{env}` without promotion (`wo prepare-pr --env {env} --source-rev {} --promotable false`)",
                commit.short(),
                commit,
            ),
        ))
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

    /// Computes the content of `env` from the source commit and the config heads and the tags
    /// of the source commit now, or the config commit, fleet commit and source tag `pinned` by
    /// an earlier change's provenance.
    pub(super) async fn compose(
        &self,
        env: &str,
        source_commit: &CommitId,
        pinned: Option<&Provenance>,
        promotable: bool,
        rollback_of: Option<CommitId>,
        keep: Keep,
    ) -> Result<Composed> {
        let mut bundle = read_bundle(self.ports.source.as_ref(), source_commit).await?;
        if let Some(p) = pinned {
            bundle.source = Some(SourceCommit {
                sha: source_commit.clone(),
                tag: p.source_tag.clone(),
            });
        }
        let source_tag = bundle.source.as_ref().and_then(|s| s.tag.clone());
        let fleet_commit = match pinned {
            Some(p) => p.fleet_commit.clone(),
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
                    Some(p) => p.config_commit.clone(),
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
        // Targets stream through resolve → render → canonical text: the resolved values and
        // render requests of the whole fleet are never in memory at once.
        let stream = compose_stream(&bundle, &values, &fleet, &[], &file)?;
        // What the orchestrator installs is the chart as packaged (its `Chart.yaml` names the
        // published version): render that, so that what is reviewed is what runs.
        let package = match &self.ports.charts {
            Some(charts) => Some(charts.package(&stream.chart, source_commit)?),
            None => None,
        };
        let chart = match &package {
            Some(p) => p.chart(),
            None => stream.chart.clone(),
        };
        let collected = Collect::new(&stream);
        self.ports.renderer.render_each(&chart, &collected).await?;
        let composed = collected.files()?;

        let solution = stream.solution.clone();
        let provenance = Provenance {
            solution: solution.clone(),
            environment: env.to_string(),
            source_commit: source_commit.clone(),
            config_commit,
            fleet_commit,
            promotable,
            rollback_of,
            source_tag,
        };
        let mut record = ReleaseRecord::new(&provenance);
        if let (Some(charts), Some(package)) = (&self.ports.charts, &package) {
            record.chart = Some(charts.reference(package));
        }
        for t in &stream.targets {
            let d = &composed.digests[&t.name];
            record.targets.insert(
                t.name.clone(),
                RecordedTarget {
                    orchestrator_id: t.orchestrator.as_ref().and_then(|o| o.id.clone()),
                    values_sha256: d.values_sha256.clone(),
                    manifests_sha256: d.manifests_sha256.clone(),
                },
            );
        }
        let mut files = composed.tree;
        if let Some(gate) = &self.ports.policy {
            let sources = PolicySources {
                source: bundle.policy.as_ref().map(|text| PolicyText {
                    file: format!("source@{}/{SOURCE_POLICY_FILE}", source_commit.short()),
                    text: text.clone(),
                }),
                platform: platform_tree
                    .text(PLATFORM_POLICY_FILE)?
                    .map(|text| PolicyText {
                        file: format!(
                            "platform-config/{env}@{}/{PLATFORM_POLICY_FILE}",
                            provenance.fleet_commit.short()
                        ),
                        text: text.to_string(),
                    }),
            };
            let evaluation = gate.evaluate(&files, &sources)?;
            files.insert(policy_path(&solution), evaluation.effective_policy)?;
            record.policy = Some(evaluation.verdict);
        }
        files.insert(record_path(&solution), record.to_yaml())?;
        let targets = stream.target_names();
        drop(stream);
        // `wo verify` renders again what each target runs: it keeps the requests (resolved
        // once more here, not held through the render above).
        let rendered_from = match keep {
            Keep::Requests => Some((chart, compose(&bundle, &values, &fleet, &[], &file)?)),
            Keep::Files => None,
        };
        Ok(Composed {
            provenance,
            targets,
            record,
            files,
            package,
            specification: bundle.solution_spec.clone(),
            rendered_from,
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
                    let policy = composed.record.policy.clone();
                    let policy_marked = match (&policy, proposal.change_request()) {
                        (Some(verdict), Some(cr)) => Some(self.mark(cr, verdict).await?),
                        _ => None,
                    };
                    return Ok(PrepareOutcome {
                        environment: env,
                        provenance: composed.provenance,
                        targets: composed.targets,
                        proposal,
                        policy,
                        policy_marked,
                    });
                }
                Err(Error::Precondition { .. }) if attempt < PROPOSE_ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Pipeline {
    /// Sets status `wo/policy` on the change request's head and the blocked label as the
    /// verdict says; `false` when the gitops backend cannot mark change requests, or the
    /// credentials may not (the change request is open by then: failing the step would hide
    /// it, and a ruleset that requires `wo/policy` keeps waiting for the status, so the merge
    /// stays blocked — fail-safe; the outcome says it was not marked).
    async fn mark(
        &self,
        cr: &crate::ports::ChangeRequest,
        verdict: &PolicyVerdict,
    ) -> Result<bool> {
        match self
            .ports
            .gitops
            .set_check(cr, &ChangeCheck::of(verdict))
            .await
        {
            Ok(()) => Ok(true),
            Err(Error::Unsupported { .. } | Error::PermissionDenied { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
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
    if let Some(v) = &c.record.policy {
        policy_section(&mut out, v);
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

/// The verdict in a change request's body: the blocking findings first (they decide), then
/// the exceptions applied with their reasons. The full list is in `release.yaml`.
fn policy_section(out: &mut String, v: &PolicyVerdict) {
    const SHOWN: usize = 20;
    if v.is_blocking() {
        let _ = writeln!(
            out,
            "\n**Policy: {} blocking finding{}** — status `{POLICY_CONTEXT}` is `failure`; this change must not be merged and deploy refuses it. \
             Fix the chart or values, or add an exception with a reason to `{SOURCE_POLICY_FILE}` in the source repo.\n",
            v.blocking,
            if v.blocking == 1 { "" } else { "s" }
        );
        for f in v.blocking_findings().take(SHOWN) {
            let _ = writeln!(
                out,
                "- `{}` {} {} on {} ({}): {}",
                f.place(),
                f.rule,
                f.rule_name,
                f.resource(),
                f.severity,
                f.message
            );
        }
        if v.blocking > SHOWN {
            let _ = writeln!(out, "- … and {} more in release.yaml", v.blocking - SHOWN);
        }
    } else {
        let _ = writeln!(
            out,
            "\nPolicy: no blocking findings ({} non-blocking).",
            v.findings.len()
        );
    }
    if !v.exceptions.is_empty() {
        let _ = writeln!(out, "\nPolicy exceptions applied:");
        for e in &v.exceptions {
            let _ = writeln!(
                out,
                "- {} on {} ({} finding{}): {}",
                e.rule,
                e.resource,
                e.findings,
                if e.findings == 1 { "" } else { "s" },
                e.reason
            );
        }
    }
}

/// Reads the solution bundle at `commit` of `source`: `wo/`, then the chart and any file
/// `wo/app.yaml` names outside `wo/` (not the whole tree), and, when an expression of the
/// bundle calls `$source(…)`, the tags pointing at the commit (see [`SourceCommit`]).
///
/// # Errors
/// [`Error::Invalid`] for a missing or invalid `wo/app.yaml` or bundle; otherwise as
/// [`SourceRepo::read_tree`].
pub async fn read_bundle(source: &dyn SourceRepo, commit: &CommitId) -> Result<Bundle> {
    let shown = format!("source@{}", commit.short());
    let mut tree = source.read_tree(commit, &["wo".to_string()]).await?;
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
    let more = source.read_tree(commit, &dirs).await?;
    for (path, content) in more.iter() {
        tree.insert(path, content)?;
    }
    let bundle = Bundle::load(&tree, &shown)?;
    // Tags cost requests on some backends: read them only for a bundle that uses them.
    let tags = if bundle.uses_source() {
        source.tags_of(commit).await?
    } else {
        Vec::new()
    };
    Ok(bundle.at_commit(SourceCommit::new(commit.clone(), &tags)))
}

/// The commit of `history` that `to` names: its full id, or a unique prefix of at least 4
/// hexadecimal digits.
fn find_commit<'a>(
    history: &'a [GitOpsCommit],
    to: &CommitId,
    env: &str,
) -> Result<(usize, &'a GitOpsCommit)> {
    let not_found = || {
        Error::not_found(format!(
            "commit {to} among the last {ROLLBACK_DEPTH} commits of env branch `{env}` of the gitops repo"
        ))
    };
    if let Some(found) = history.iter().enumerate().find(|(_, c)| &c.id == to) {
        return Ok(found);
    }
    let short = to.as_str().to_ascii_lowercase();
    if short.len() < 4 || !short.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let matches: Vec<(usize, &GitOpsCommit)> = history
        .iter()
        .enumerate()
        .filter(|(_, c)| c.id.as_str().starts_with(&short))
        .collect();
    match matches.as_slice() {
        [] => Err(not_found()),
        [one] => Ok(*one),
        many => Err(Error::invalid(
            Location::file(format!("gitops/{env}")).with_key(to.to_string()),
            format!(
                "`{to}` is ambiguous: {} commits of `{env}` start with it ({}); give more digits",
                many.len(),
                many.iter()
                    .map(|(_, c)| c.id.short().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
