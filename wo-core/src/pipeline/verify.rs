//! verify: what runs equals what was reviewed.

use std::collections::BTreeMap;

use futures::StreamExt;

use crate::drift::{manifest_differences, value_differences};
use crate::error::{Error, Location, Result};
use crate::ports::{ChartRef, CommitId, RenderRequest, Running};

use super::deploy::first_difference;
use super::record::{manifests_path, record_path, values_path, ReleaseRecord};
use super::Pipeline;

/// How far back in an env branch's history the newest commit wo made is looked for, when the
/// head is a commit made by hand.
const HISTORY_DEPTH: usize = 1000;
/// How many targets are asked at once what runs there.
const RUNNING_CONCURRENCY: usize = 8;

/// What [`Pipeline::verify`] found in one environment.
///
/// Serialized (for `wo verify -o json`) with camelCase field names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// The solution.
    pub solution: String,
    /// The environment.
    pub environment: String,
    /// The gitops env branch head verified against.
    pub gitops_commit: CommitId,
    /// The first file (path on the env branch) where the head differs from what its
    /// provenance renders; `None` when it re-renders byte for byte.
    pub gitops: Option<String>,
    /// One verdict per target of the head's `release.yaml` (or the one asked for), by name.
    pub targets: Vec<TargetVerification>,
}

impl Verification {
    /// Whether anything drifted: the head does not re-render, or a target runs something other
    /// than what the head holds. A target that does not run the head's release is no drift.
    pub fn has_drift(&self) -> bool {
        self.gitops.is_some()
            || self
                .targets
                .iter()
                .any(|t| matches!(t.verdict, Verdict::Drift { .. }))
    }
}

/// The verdict on one target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetVerification {
    /// The target.
    pub target: String,
    /// What runs there compared with what was reviewed.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// How what runs on a target compares with the gitops head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "camelCase")]
pub enum Verdict {
    /// It runs the head's release, with the reviewed values and manifests.
    Ok,
    /// It runs the head's release, but not as reviewed.
    Drift {
        /// Key paths of the values that differ from the target's `values.yaml`.
        keys: Vec<String>,
        /// Resources whose manifests differ: `<kind> <namespace>/<name>: <key path>` of the
        /// first differing field, or `: added` / `: removed`.
        resources: Vec<String>,
        /// How the chart it runs differs from the one `release.yaml` names.
        chart: Option<String>,
    },
    /// It does not run the head's release.
    NotDeployed {
        /// The release it runs instead, when it runs one of the solution.
        runs: Option<String>,
    },
}

impl Pipeline {
    /// Checks that what runs in `env` is what was reviewed: the gitops head re-renders
    /// byte for byte from its provenance, and every target of its `release.yaml` (or only
    /// the target `only`) runs its values and, re-rendered from what the orchestrator runs
    /// (the published chart with the running values), its manifests.
    ///
    /// Without a [`ChartRegistry`](crate::ports::ChartRegistry), or for a release without a
    /// chart, only values (and the chart reference) are compared.
    ///
    /// A head wo did not make (pushed by hand, no provenance) is compared with what the newest
    /// commit wo made renders: the file the hand changed is reported in
    /// [`Verification::gitops`], and the targets run that earlier release, not the head.
    ///
    /// # Errors
    /// - [`Error::NotFound`]: `env` is not in the chain, its gitops branch does not exist, or
    ///   `only` is not a target of the head's release.
    /// - [`Error::Invalid`]: no commit of the env branch has wo provenance.
    /// - [`Error::Unsupported`]: the orchestrator cannot say what runs.
    pub async fn verify(&self, env: &str, only: Option<&str>) -> Result<Verification> {
        self.chain_with(env).await?;
        let solution = self.solution().await?;
        let shown = format!("gitops/{env}");
        let history = self.ports.gitops.history(env, 1).await?;
        let head = history.into_iter().next().ok_or_else(|| {
            Error::not_found(format!(
                "env branch `{env}` of the gitops repo: nothing to verify"
            ))
        })?;
        let ours = |c: &crate::ports::GitOpsCommit| {
            c.provenance
                .clone()
                .filter(|p| p.solution == solution && p.environment == env)
        };
        // A head wo did not make (a commit pushed by hand) is compared with what the newest
        // commit wo made renders: what the hand changed is the drift.
        let released = match self.release_provenance(env, &solution, &head).await {
            // A merge whose content differs from its change request: compared below with
            // what the newest commit wo made renders, like a manual commit.
            Err(Error::Invalid(_)) => None,
            other => other?,
        };
        let provenance = match released {
            Some(p) => p,
            None => self
                .ports
                .gitops
                .history(env, HISTORY_DEPTH)
                .await?
                .iter()
                .find_map(ours)
                .ok_or_else(|| {
                    Error::invalid(
                        Location::file(&shown).with_key(head.id.to_string()),
                        format!(
                            "no commit among the last {HISTORY_DEPTH} of `{env}` has wo provenance for `{solution}`: \
                             nothing says what the branch was rendered from"
                        ),
                    )
                })?,
        };
        let files = self.ports.gitops.read(&head.id, &solution).await?;
        let again = self
            .compose(
                env,
                &provenance.source_commit,
                Some(&provenance),
                provenance.promotable,
                provenance.rollback_of.clone(),
                super::prepare::Keep::Requests,
            )
            .await?;
        let gitops = first_difference(&files, &again.files).map(|(path, _)| path);

        let rpath = record_path(&solution);
        let rfile = format!("{shown}/{rpath}");
        let record = match files.text(&rpath)? {
            Some(text) => match ReleaseRecord::parse(text, &rfile) {
                Ok(r) => r,
                // Edited out of shape: the drift is reported; the targets are the reviewed ones.
                Err(_) if gitops.is_some() => again.record.clone(),
                Err(e) => return Err(e),
            },
            None => again.record.clone(),
        };

        let names: Vec<&String> = match only {
            None => record.targets.keys().collect(),
            Some(t) => vec![record.targets.get_key_value(t).map(|(k, _)| k).ok_or_else(|| {
                Error::not_found(format!(
                    "target `{t}` in the release of `{solution}` at the head {} of `{env}` (targets: {})",
                    head.id.short(),
                    record.targets.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?],
        };

        let mut requests: BTreeMap<String, RenderRequest> = again
            .rendered_from
            .as_ref()
            .map(|(_, c)| {
                c.requests()
                    .into_iter()
                    .map(|q| (q.target.name.clone(), q))
                    .collect()
            })
            .unwrap_or_default();
        // What runs, asked of the orchestrator a few targets at a time, in target order.
        let asked: Vec<Result<Option<Running>>> = futures::stream::iter(names.iter().map(|name| {
            let id = record.targets[*name].orchestrator_id.clone();
            let solution = &solution;
            async move {
                self.ports
                    .orchestrator
                    .running(solution, name, id.as_deref())
                    .await
                    .map_err(|e| e.with_target(name.to_string()))
            }
        }))
        .buffered(RUNNING_CONCURRENCY)
        .collect()
        .await;

        let mut found = Vec::with_capacity(names.len());
        // The targets to render again, by the chart they run: one fetch and one render call per
        // chart, however many targets.
        let mut by_chart: BTreeMap<(String, String, String), RenderBatch> = BTreeMap::new();
        for (i, (name, running)) in names.iter().zip(asked).enumerate() {
            let finding = match running? {
                None => Finding::NotDeployed(None),
                Some(r) if r.release.as_ref().is_some_and(|x| x != head.id.as_str()) => {
                    Finding::NotDeployed(r.release)
                }
                Some(r) => {
                    let vpath = values_path(&solution, name);
                    let vfile = format!("{shown}/{vpath}");
                    let reviewed =
                        crate::yaml::parse(files.text(&vpath)?.unwrap_or_default(), &vfile)?
                            .to_value(&vfile)?;
                    let keys = value_differences(&reviewed, &r.values);
                    let chart = chart_difference(record.chart.as_ref(), r.chart.as_ref());
                    if let (Some(_), Some(runs), Some(mut request)) =
                        (&self.ports.charts, r.chart, requests.remove(*name))
                    {
                        request.values = r.values;
                        let key = (runs.repo.clone(), runs.version.clone(), runs.digest.clone());
                        by_chart
                            .entry(key)
                            .or_insert_with(|| (runs, Vec::new()))
                            .1
                            .push((i, request));
                    }
                    Finding::Runs {
                        keys,
                        chart,
                        resources: Vec::new(),
                    }
                }
            };
            found.push(finding);
        }
        if let Some(charts) = &self.ports.charts {
            for (runs, batch) in by_chart.into_values() {
                let package = charts.fetch(&runs).await?;
                let (at, requests): (Vec<usize>, Vec<RenderRequest>) = batch.into_iter().unzip();
                let rendered = self
                    .ports
                    .renderer
                    .render(&package.chart(), &requests)
                    .await?;
                for ((i, request), out) in at.into_iter().zip(&requests).zip(rendered) {
                    let mpath = manifests_path(&solution, &request.target.name);
                    let reviewed = files.text(&mpath)?.unwrap_or_default();
                    if let Finding::Runs { resources, .. } = &mut found[i] {
                        *resources = manifest_differences(
                            reviewed,
                            &out.manifests,
                            &format!("{shown}/{mpath}"),
                        )?;
                    }
                }
            }
        }
        let targets = names
            .into_iter()
            .zip(found)
            .map(|(name, f)| TargetVerification {
                target: name.clone(),
                verdict: f.verdict(),
            })
            .collect();
        Ok(Verification {
            solution,
            environment: env.to_string(),
            gitops_commit: head.id,
            gitops,
            targets,
        })
    }
}

/// A chart that runs and, per target running it, the index of the target and its request with
/// the running values.
type RenderBatch = (ChartRef, Vec<(usize, RenderRequest)>);

/// What was found on one target, before its verdict.
enum Finding {
    NotDeployed(Option<String>),
    Runs {
        keys: Vec<String>,
        chart: Option<String>,
        resources: Vec<String>,
    },
}

impl Finding {
    fn verdict(self) -> Verdict {
        match self {
            Finding::NotDeployed(runs) => Verdict::NotDeployed { runs },
            Finding::Runs {
                keys,
                chart,
                resources,
            } if keys.is_empty() && chart.is_none() && resources.is_empty() => Verdict::Ok,
            Finding::Runs {
                keys,
                chart,
                resources,
            } => Verdict::Drift {
                keys,
                resources,
                chart,
            },
        }
    }
}

/// How the chart that runs differs from the reviewed one; an empty digest on either side is
/// unknown, not a difference.
fn chart_difference(reviewed: Option<&ChartRef>, runs: Option<&ChartRef>) -> Option<String> {
    let shown = |c: &ChartRef| format!("{}:{}", c.repo, c.version);
    match (reviewed, runs) {
        (None, None) => None,
        (Some(a), Some(b)) => {
            let digests_differ =
                !a.digest.is_empty() && !b.digest.is_empty() && a.digest != b.digest;
            if a.repo != b.repo || a.version != b.version {
                Some(format!("runs {}, reviewed {}", shown(b), shown(a)))
            } else if digests_differ {
                Some(format!(
                    "runs {} with digest {}, reviewed {}",
                    shown(b),
                    b.digest,
                    a.digest
                ))
            } else {
                None
            }
        }
        (Some(a), None) => Some(format!("runs no published chart, reviewed {}", shown(a))),
        (None, Some(b)) => Some(format!("runs {}, reviewed no published chart", shown(b))),
    }
}
