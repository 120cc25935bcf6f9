//! The policy gate: checks rendered manifests against the team's policy, so that blocking
//! findings stop a change from merging and from deploying.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::FileTree;

use super::source::CommitStatus;

/// The solution's policy file in the source repo, beside `wo/app.yaml`. Read at the source
/// commit being rendered; the only place exceptions count.
pub const SOURCE_POLICY_FILE: &str = "wo/policy.yaml";

/// The platform's policy file, at the root of each env branch of the platform config repo
/// (beside `fleet.yaml`). It can only tighten the source's policy.
pub const PLATFORM_POLICY_FILE: &str = "policy.yaml";

/// The effective policy a release was checked with, under `<solution>/` on the gitops branch.
pub const RELEASE_POLICY_FILE: &str = "policy.yaml";

/// The commit status context prepare-pr sets on a change request's head commit.
pub const POLICY_CONTEXT: &str = "wo/policy";

/// The label of a change request with blocking findings.
pub const POLICY_BLOCKED_LABEL: &str = "wo/policy-blocked";

/// One policy file as read: where from (for messages) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyText {
    /// The file as messages name it: `source@3f2a9c1/wo/policy.yaml`.
    pub file: String,
    /// Its content.
    pub text: String,
}

/// The policy files a release is checked with. Neither present: the built-in policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicySources {
    /// [`SOURCE_POLICY_FILE`] at the source commit.
    pub source: Option<PolicyText>,
    /// [`PLATFORM_POLICY_FILE`] at the fleet commit of the environment.
    pub platform: Option<PolicyText>,
}

/// A finding no exception covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyFinding {
    /// Rule id (`WO001`).
    pub rule: String,
    /// Rule name (`privileged-container`).
    pub rule_name: String,
    /// `error`, `warning` or `note`, under the effective policy.
    pub severity: String,
    /// Whether it blocks under the effective policy.
    pub blocking: bool,
    /// Kind of the resource.
    pub kind: String,
    /// Namespace of the resource, when namespaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name of the resource.
    pub name: String,
    /// The rendered file, relative to the gitops branch root.
    pub file: String,
    /// Line of the resource's document in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl PolicyFinding {
    /// `Deployment shop/web`, or `ClusterRole admin` without a namespace.
    pub fn resource(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// `shop/dev-1/manifests.yaml:12`.
    pub fn place(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        }
    }
}

/// An exception of the source's policy file that covered findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AppliedException {
    /// Rule id.
    pub rule: String,
    /// The resource, as [`PolicyFinding::resource`] spells it.
    pub resource: String,
    /// Why the deviation is acceptable (never empty).
    pub reason: String,
    /// How many findings it covered.
    pub findings: usize,
}

/// What a policy check of a release found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyVerdict {
    /// sha256 of the effective policy file (`<solution>/policy.yaml`).
    pub policy_sha256: String,
    /// How many findings block.
    pub blocking: usize,
    /// The findings no exception covers, blocking or not, in report order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<PolicyFinding>,
    /// The exceptions that covered findings, in policy file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<AppliedException>,
}

impl PolicyVerdict {
    /// Whether the release must not merge or deploy.
    pub fn is_blocking(&self) -> bool {
        self.blocking > 0
    }

    /// The blocking findings.
    pub fn blocking_findings(&self) -> impl Iterator<Item = &PolicyFinding> {
        self.findings.iter().filter(|f| f.blocking)
    }

    /// The commit status [`POLICY_CONTEXT`] this verdict gives a change request's head.
    pub fn status(&self) -> CommitStatus {
        use super::source::CommitState;
        let (state, description) = if self.is_blocking() {
            (
                CommitState::Failure,
                format!(
                    "{} blocking policy finding{}",
                    self.blocking,
                    if self.blocking == 1 { "" } else { "s" }
                ),
            )
        } else {
            (
                CommitState::Success,
                format!(
                    "no blocking policy findings ({} non-blocking, {} excepted)",
                    self.findings.len(),
                    self.exceptions.iter().map(|e| e.findings).sum::<usize>()
                ),
            )
        };
        CommitStatus {
            context: POLICY_CONTEXT.to_string(),
            state,
            description,
            target_url: None,
        }
    }
}

/// What [`PolicyGate::evaluate`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEvaluation {
    /// The effective policy as a policy file: written to `<solution>/policy.yaml` so the
    /// release carries the policy it was checked with (and a workflow can check it again).
    pub effective_policy: String,
    /// The verdict; its [`policy_sha256`](PolicyVerdict::policy_sha256) is that of
    /// `effective_policy`.
    pub verdict: PolicyVerdict,
}

/// How a change request is marked for its policy verdict: a commit status on its head commit
/// and a label on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeCheck {
    /// The status of the change request's head commit ([`POLICY_CONTEXT`]).
    pub status: CommitStatus,
    /// The label ([`POLICY_BLOCKED_LABEL`]).
    pub label: String,
    /// Whether the label is on (added) or off (removed).
    pub labeled: bool,
}

impl ChangeCheck {
    /// The marks of `verdict`: status [`POLICY_CONTEXT`], label [`POLICY_BLOCKED_LABEL`] on
    /// exactly when it blocks.
    pub fn of(verdict: &PolicyVerdict) -> Self {
        Self {
            status: verdict.status(),
            label: POLICY_BLOCKED_LABEL.to_string(),
            labeled: verdict.is_blocking(),
        }
    }
}

/// Checks a release's rendered files against a policy.
///
/// # Contract
///
/// - [`evaluate`](PolicyGate::evaluate) is a pure function of its arguments: the same files
///   and policy texts give the same evaluation, byte for byte.
/// - The effective policy is the source's file tightened by the platform's: the platform can
///   raise severities, make rules block and enable rules, never lower what the source says;
///   exceptions count only from the source's file, and each carries a non-empty reason.
/// - Only `<solution>/<target>/manifests.yaml` files are checked; other files are ignored.
///
/// # Errors
///
/// [`Error::Invalid`](crate::Error::Invalid) naming the policy file, key path and line for a
/// policy file that does not parse (including an exception without a reason or a platform
/// file with exceptions), or a manifest file for manifests that do not parse.
///
/// # Example
///
/// ```
/// use wo_core::memory::InMemoryPolicyGate;
/// use wo_core::ports::{PolicyGate, PolicySources, PolicyText};
/// use wo_core::files::FileTree;
///
/// let gate = InMemoryPolicyGate::new().forbid("WO001", "privileged: true");
/// let mut files = FileTree::new();
/// files.insert("shop/dev-1/manifests.yaml", "privileged: true\n")?;
/// let verdict = gate.evaluate(&files, &PolicySources::default())?.verdict;
/// assert_eq!(verdict.blocking, 1);
///
/// let source = PolicyText {
///     file: "source@abc1234/wo/policy.yaml".into(),
///     text: "except WO001 dev-1: the node agent needs it\n".into(),
/// };
/// let sources = PolicySources { source: Some(source), platform: None };
/// let verdict = gate.evaluate(&files, &sources)?.verdict;
/// assert_eq!(verdict.blocking, 0);
/// assert_eq!(verdict.exceptions[0].reason, "the node agent needs it");
/// # Ok::<(), wo_core::Error>(())
/// ```
pub trait PolicyGate: Send + Sync {
    /// Checks the files of a release (paths relative to the gitops branch root) against the
    /// effective policy of `sources`.
    fn evaluate(&self, files: &FileTree, sources: &PolicySources) -> Result<PolicyEvaluation>;
}
