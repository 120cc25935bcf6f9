//! The chart registry port: where a release's chart is published for the orchestrator to pull.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Chart, CommitId};
use crate::error::Result;
use crate::files::FileTree;

/// A chart packaged at a source commit: the same source gives the same bytes and digest.
#[derive(Clone, PartialEq, Eq)]
pub struct ChartPackage {
    /// The chart's name (`Chart.yaml`'s `name`).
    pub name: String,
    /// The version it is published under (derived from the chart's version and the source
    /// commit), written into the packaged `Chart.yaml`.
    pub version: String,
    /// `sha256:<64 hex>` of [`ChartPackage::bytes`].
    pub digest: String,
    /// The package (a gzip'd tar, as `helm package` writes it).
    pub bytes: Vec<u8>,
    /// The chart's files as packaged (rooted at the chart, `Chart.yaml` carrying
    /// [`ChartPackage::version`], ignored files left out): what the orchestrator renders, so
    /// what wo renders for review.
    pub files: FileTree,
}

impl std::fmt::Debug for ChartPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartPackage")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("digest", &self.digest)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl ChartPackage {
    /// The chart as packaged, to render.
    pub fn chart(&self) -> Chart {
        Chart {
            name: self.name.clone(),
            files: self.files.clone(),
        }
    }
}

/// Where a chart is published: what a solution's `helm.v3` component names, and what
/// `release.yaml` records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartRef {
    /// `oci://<registry host>[/<path>]/<chart name>`, without a tag (WO's `chart.repo`).
    pub repo: String,
    /// The tag: the published version (WO's `chart.version`).
    pub version: String,
    /// `sha256:<64 hex>` of the chart package (the artifact's chart layer; what `helm pull`
    /// saves has this sha256).
    pub digest: String,
}

impl std::fmt::Display for ChartRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} ({})", self.repo, self.version, self.digest)
    }
}

/// A publish that happened, or found the package there already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Where the chart is.
    pub chart: ChartRef,
    /// Whether this call uploaded it (false: that digest was there already).
    pub pushed: bool,
}

/// Packages charts and publishes them where the orchestrator pulls them (an OCI registry).
///
/// # Contract
///
/// - [`package`](ChartRegistry::package) is a pure function of the chart's files and the
///   source commit: twice, on any machine, it gives the same bytes.
/// - [`reference`](ChartRegistry::reference) names where a package is (or will be) published
///   without contacting the registry.
/// - [`fetch`](ChartRegistry::fetch) gives back what [`publish`](ChartRegistry::publish) sent
///   (same bytes and digest; its files are the files as packaged).
/// - [`publish`](ChartRegistry::publish) uploads the package unless the registry holds that
///   digest under that version already ([`Published::pushed`] false); a version holding other
///   content is an [`Error::AlreadyExists`](crate::Error::AlreadyExists) naming both digests
///   (published versions are immutable).
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait ChartRegistry: Send + Sync {
    /// Packages `chart` (files rooted at the chart) as built from `source_commit`.
    fn package(&self, chart: &Chart, source_commit: &CommitId) -> Result<ChartPackage>;

    /// Where `package` is published.
    fn reference(&self, package: &ChartPackage) -> ChartRef;

    /// Publishes `package` unless it is there already.
    async fn publish(&self, package: &ChartPackage) -> Result<Published>;

    /// Fetches a published chart (`chart.repo` at `chart.version`) and unpacks it: what the
    /// orchestrator installs. A non-empty `chart.digest` must be the package's.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when nothing is published there;
    /// [`Error::Invalid`](crate::Error::Invalid) when the package there has another digest or
    /// is not a chart.
    async fn fetch(&self, chart: &ChartRef) -> Result<ChartPackage>;
}
