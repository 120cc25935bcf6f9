//! `<solution>/release.yaml`: what a gitops env branch holds for a solution, and where from.
//!
//! ```yaml
//! apiVersion: wo/v1
//! kind: Release
//! solution: shop
//! environment: dev
//! provenance:
//!   sourceCommit: 3f2a…
//!   configCommit: 9c1e…
//!   fleetCommit: 77d0…
//!   promotable: true
//!   rollbackOf: 5b4c…            # only for rollbacks
//!   sourceTag: v1.4.0            # only when a tag pointed at the source commit
//! chart:                         # when the chart is published for the orchestrator
//!   repo: oci://registry.example.com/charts/shop
//!   version: 1.2.0-wo.g3f2a9c1b7d4e
//!   digest: sha256:b533…         # sha256 of the chart package
//! policy:                        # with a policy gate (see docs/policy.md)
//!   policySha256: 5e0a…          # sha256 of <solution>/policy.yaml, the effective policy
//!   blocking: 1                  # findings that block merge and deploy
//!   findings:                    # not covered by an exception, blocking or not
//!     - {rule: WO001, ruleName: privileged-container, severity: error, blocking: true,
//!        kind: Deployment, namespace: shop, name: web,
//!        file: shop/berlin-1/manifests.yaml, line: 1, message: "container \"app\": …"}
//!   exceptions:                  # of the source's wo/policy.yaml that covered findings
//!     - {rule: WO005, resource: DaemonSet monitoring/agent, reason: "…", findings: 3}
//! targets:                       # sorted by name
//!   berlin-1:
//!     orchestratorId: /subscriptions/…/targets/berlin-1   # when the fleet names one
//!     valuesSha256: 0d5f…        # sha256 of <solution>/berlin-1/values.yaml
//!     manifestsSha256: a81c…     # sha256 of <solution>/berlin-1/manifests.yaml
//! ```
//!
//! It is a function of the provenance and the files, with no timestamps: the same inputs give
//! the same bytes. Deploy checks the branch against it, so a manual edit is refused.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use crate::compose::{manifests_path, sha256_hex, values_path};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::files::FileTree;
use crate::format::API_VERSION;
use crate::ports::{ChartRef, CommitId, PolicyVerdict, Provenance, RELEASE_POLICY_FILE};

/// The file name of the record, under `<solution>/`.
pub const RELEASE_FILE: &str = "release.yaml";

/// The path of the release record on a gitops branch.
pub fn record_path(solution: &str) -> String {
    format!("{solution}/{RELEASE_FILE}")
}

/// The path of the effective policy a release was checked with: `<solution>/policy.yaml`.
pub fn policy_path(solution: &str) -> String {
    format!("{solution}/{RELEASE_POLICY_FILE}")
}

/// `<solution>/release.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseRecord {
    /// Always `wo/v1`.
    pub api_version: String,
    /// Always `Release`.
    pub kind: String,
    /// The solution.
    pub solution: String,
    /// The environment.
    pub environment: String,
    /// The inputs the files were computed from.
    pub provenance: RecordedProvenance,
    /// The chart the orchestrator installs, as published: the manifests were rendered from
    /// exactly this package (absent when the pipeline publishes no chart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartRef>,
    /// The policy verdict on the manifests, when the pipeline has a
    /// [`PolicyGate`](crate::ports::PolicyGate): the effective policy's sha256 (the file is
    /// `<solution>/policy.yaml`), how many findings block, the findings, the exceptions applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyVerdict>,
    /// Per target, sorted by name.
    pub targets: BTreeMap<String, RecordedTarget>,
}

/// The provenance as `release.yaml` spells it (solution and environment sit beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecordedProvenance {
    /// Source repo commit.
    pub source_commit: CommitId,
    /// App config commit (the platform config commit for a Platform solution).
    pub config_commit: CommitId,
    /// Platform config commit (the fleet).
    pub fleet_commit: CommitId,
    /// Whether a successful deploy promotes.
    pub promotable: bool,
    /// For a rollback, the gitops commit whose content it restores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<CommitId>,
    /// The tag that pointed at the source commit when it was rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_tag: Option<String>,
}

/// One target of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecordedTarget {
    /// The orchestrator's id of the target, when the fleet names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orchestrator_id: Option<String>,
    /// sha256 of `values.yaml`.
    pub values_sha256: String,
    /// sha256 of `manifests.yaml`.
    pub manifests_sha256: String,
}

impl ReleaseRecord {
    /// An empty record (no targets) for `provenance`.
    pub fn new(provenance: &Provenance) -> Self {
        Self {
            api_version: API_VERSION.to_string(),
            kind: "Release".to_string(),
            solution: provenance.solution.clone(),
            environment: provenance.environment.clone(),
            provenance: RecordedProvenance {
                source_commit: provenance.source_commit.clone(),
                config_commit: provenance.config_commit.clone(),
                fleet_commit: provenance.fleet_commit.clone(),
                promotable: provenance.promotable,
                rollback_of: provenance.rollback_of.clone(),
                source_tag: provenance.source_tag.clone(),
            },
            chart: None,
            policy: None,
            targets: BTreeMap::new(),
        }
    }

    /// The full provenance.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            solution: self.solution.clone(),
            environment: self.environment.clone(),
            source_commit: self.provenance.source_commit.clone(),
            config_commit: self.provenance.config_commit.clone(),
            fleet_commit: self.provenance.fleet_commit.clone(),
            promotable: self.provenance.promotable,
            rollback_of: self.provenance.rollback_of.clone(),
            source_tag: self.provenance.source_tag.clone(),
        }
    }

    /// The same record with another provenance (targets kept).
    pub fn with_provenance(&self, provenance: &Provenance) -> Self {
        Self {
            targets: self.targets.clone(),
            chart: self.chart.clone(),
            policy: self.policy.clone(),
            ..Self::new(provenance)
        }
    }

    /// The YAML document (deterministic).
    pub fn to_yaml(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        crate::yaml::to_string(&value)
    }

    /// Parses a record; errors name `file`.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let record: ReleaseRecord = crate::yaml::from_str(text, file)?;
        if record.api_version != API_VERSION || record.kind != "Release" {
            return Err(Error::invalid(
                Location::file(file).with_key("kind"),
                format!(
                    "expected `apiVersion: {API_VERSION}` and `kind: Release`, found `{}` `{}`",
                    record.api_version, record.kind
                ),
            ));
        }
        Ok(record)
    }

    /// Checks a solution's files on a gitops branch (as [`GitOpsRepo::read`] returns them)
    /// against the record they contain: the record names `provenance`, every listed file is
    /// there with the recorded sha256, and no other file is. `shown` prefixes file names in
    /// messages (`gitops/prod`). All problems are reported at once.
    ///
    /// [`GitOpsRepo::read`]: crate::ports::GitOpsRepo::read
    pub fn verify(files: &FileTree, provenance: &Provenance, shown: &str) -> Result<Self> {
        let solution = &provenance.solution;
        let path = record_path(solution);
        let file = |p: &str| format!("{shown}/{p}");
        let text = files.text(&path)?.ok_or_else(|| {
            Error::invalid(
                Location::file(file(&path)),
                "file not found: the release record wo writes with every change is missing",
            )
        })?;
        let record = Self::parse(text, &file(&path))?;
        let mut problems = Vec::new();
        if record.provenance() != *provenance {
            problems.push(Diagnostic::new(
                Location::file(file(&path)).with_key("provenance"),
                "the record does not match the provenance trailers of its commit: edited by hand?",
            ));
        }
        let mut expected = BTreeSet::from([path.clone()]);
        for (target, t) in &record.targets {
            for (p, want) in [
                (values_path(solution, target), &t.values_sha256),
                (manifests_path(solution, target), &t.manifests_sha256),
            ] {
                match files.get(&p) {
                    None => problems.push(Diagnostic::new(
                        Location::file(file(&p)),
                        format!("file not found, but {RELEASE_FILE} lists it"),
                    )),
                    Some(bytes) => {
                        let got = sha256_hex(bytes);
                        if &got != want {
                            problems.push(
                                Diagnostic::new(
                                    Location::file(file(&p)),
                                    format!(
                                        "content changed since wo wrote it (sha256 {got}, {RELEASE_FILE} says {want})"
                                    ),
                                )
                                .with_hint("the gitops repo changes only through change requests wo opens; revert the edit"),
                            )
                        }
                    }
                }
                expected.insert(p);
            }
        }
        if let Some(policy) = &record.policy {
            let p = policy_path(solution);
            match files.get(&p) {
                None => problems.push(Diagnostic::new(
                    Location::file(file(&p)),
                    format!("file not found, but {RELEASE_FILE} records a policy verdict"),
                )),
                Some(bytes) if sha256_hex(bytes) != policy.policy_sha256 => problems.push(
                    Diagnostic::new(
                        Location::file(file(&p)),
                        format!(
                            "content changed since wo wrote it (sha256 {}, {RELEASE_FILE} says {})",
                            sha256_hex(bytes),
                            policy.policy_sha256
                        ),
                    )
                    .with_hint("the policy lives in the source repo's wo/policy.yaml and the platform config's policy.yaml; revert the edit"),
                ),
                Some(_) => {}
            }
            expected.insert(p);
        }
        for (p, _) in files.iter() {
            if !expected.contains(p) {
                problems.push(Diagnostic::new(
                    Location::file(file(p)),
                    format!("not written by wo: {RELEASE_FILE} does not list it"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(record)
        } else {
            Err(Error::Invalid(Diagnostics(problems).sorted()))
        }
    }
}
