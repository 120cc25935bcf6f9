use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::lock;
use crate::compose::sha256_hex;
use crate::error::{Error, Location, Result};
use crate::ports::{Chart, ChartPackage, ChartRef, ChartRegistry, CommitId, Published};

/// A [`ChartRegistry`] in memory: a chart "package" is its files, sorted, length-prefixed
/// (deterministic, not a tar); its version is `Chart.yaml`'s `version` with
/// `-wo.g<12 hex of the source commit>` appended; the files are kept as they are. Publishing
/// records `repo → version → digest`.
#[derive(Debug, Clone)]
pub struct InMemoryChartRegistry {
    prefix: String,
    state: Arc<Mutex<Registry>>,
}

#[derive(Debug, Default)]
struct Registry {
    /// `repo` → version → package.
    published: BTreeMap<String, BTreeMap<String, ChartPackage>>,
    pushes: usize,
}

impl InMemoryChartRegistry {
    /// A registry whose charts live under `oci://{prefix}/{chart name}`.
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix
                .trim_start_matches("oci://")
                .trim_end_matches('/')
                .to_string(),
            state: Arc::default(),
        }
    }

    /// How many publishes uploaded something.
    pub fn pushes(&self) -> usize {
        lock(&self.state).pushes
    }

    /// The digest published under `repo` at `version`.
    pub fn digest(&self, repo: &str, version: &str) -> Option<String> {
        lock(&self.state)
            .published
            .get(repo)
            .and_then(|v| v.get(version))
            .map(|p| p.digest.clone())
    }

    /// Puts a package with `digest` (and no files) under `repo:version` behind wo's back, as
    /// someone pushing by hand would.
    pub fn put(&self, repo: &str, version: &str, digest: &str) {
        let name = repo.rsplit('/').next().unwrap_or_default().to_string();
        lock(&self.state)
            .published
            .entry(repo.to_string())
            .or_default()
            .insert(
                version.to_string(),
                ChartPackage {
                    name,
                    version: version.to_string(),
                    digest: digest.to_string(),
                    bytes: Vec::new(),
                    files: crate::files::FileTree::new(),
                },
            );
    }
}

#[async_trait]
impl ChartRegistry for InMemoryChartRegistry {
    fn package(&self, chart: &Chart, source_commit: &CommitId) -> Result<ChartPackage> {
        let file = format!("{}/Chart.yaml", chart.name);
        let text = chart
            .files
            .text("Chart.yaml")?
            .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?;
        let meta = crate::yaml::parse(text, &file)?.to_value(&file)?;
        let version = meta["version"]
            .as_str()
            .ok_or_else(|| Error::invalid(Location::file(&file).with_key("version"), "missing"))?;
        let commit = source_commit.as_str();
        let version = format!("{version}-wo.g{}", &commit[..commit.len().min(12)]);
        let mut bytes = Vec::new();
        for (path, content) in chart.files.iter() {
            for part in [path.as_bytes(), content] {
                bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
                bytes.extend_from_slice(part);
            }
        }
        Ok(ChartPackage {
            name: chart.name.clone(),
            version,
            digest: format!("sha256:{}", sha256_hex(&bytes)),
            bytes,
            files: chart.files.clone(),
        })
    }

    fn reference(&self, package: &ChartPackage) -> ChartRef {
        ChartRef {
            repo: format!("oci://{}/{}", self.prefix, package.name),
            version: package.version.clone(),
            digest: package.digest.clone(),
        }
    }

    async fn publish(&self, package: &ChartPackage) -> Result<Published> {
        let chart = self.reference(package);
        let mut st = lock(&self.state);
        let versions = st.published.entry(chart.repo.clone()).or_default();
        let pushed = match versions.get(&chart.version).map(|p| &p.digest) {
            Some(d) if *d == chart.digest => false,
            Some(d) => {
                return Err(Error::already_exists(format!(
                    "{}:{} holds {d}, not {} (published versions are immutable)",
                    chart.repo, chart.version, chart.digest
                )))
            }
            None => {
                versions.insert(chart.version.clone(), package.clone());
                true
            }
        };
        if pushed {
            st.pushes += 1;
        }
        Ok(Published { chart, pushed })
    }

    async fn fetch(&self, chart: &ChartRef) -> Result<ChartPackage> {
        let st = lock(&self.state);
        let package = st
            .published
            .get(&chart.repo)
            .and_then(|v| v.get(&chart.version))
            .ok_or_else(|| Error::not_found(format!("chart {}:{}", chart.repo, chart.version)))?;
        if !chart.digest.is_empty() && package.digest != chart.digest {
            return Err(Error::invalid(
                Location::file(format!("{}:{}", chart.repo, chart.version)),
                format!(
                    "the package there is {}, not {}",
                    package.digest, chart.digest
                ),
            ));
        }
        Ok(package.clone())
    }
}
