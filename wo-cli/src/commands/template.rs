//! `wo template`: `helm template`, natively.

use std::path::{Path, PathBuf};

use wo_core::{Error, Location, Result};
use wo_render::gotmpl::encoding::yaml;
use wo_render::gotmpl::helm::{self, seed, strvals, Chart, PreparedChart, RenderOptions};
use wo_render::gotmpl::Value;

use crate::output::Outcome;

/// The largest values file read (Helm reads any size; a values file this big is a mistake).
const MAX_VALUES_FILE: u64 = 16 * 1024 * 1024;

/// Render a Helm chart locally, exactly as `helm template` prints it, with wo's native engine.
///
/// A drop-in for `helm template NAME CHART`: the same arguments give the same bytes (the
/// same documents in the same order, `# Source:` lines, hooks; NOTES.txt rendered but not
/// printed). Random and time functions (`randAlphaNum`, `uuidv4`, `genCA`, `now`) are seeded
/// from the chart's contents, the release name and the namespace, so the output is
/// reproducible; the clock is SOURCE_DATE_EPOCH when set, else 2026-01-01T00:00:00Z (as
/// `wo render`'s native engine).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo template shop ./charts/shop -f values/prod.yaml --set image.tag=1.4.2
  wo template corpus ./podinfo --namespace corpus-ns --kube-version 1.30.0 \\
      --api-versions monitoring.coreos.com/v1 --show-only templates/deployment.yaml

Exit codes: 0 rendered, 2 the chart, the values or a template refused them (the message
names the template and line as helm does).")]
pub struct Template {
    /// The release name (`.Release.Name`).
    name: String,
    /// The chart: a directory or a packaged `.tgz`.
    chart: PathBuf,
    /// A values file (repeatable; later files win, maps merge key by key).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Values on the command line, `a.b=1,c[0]=x` (repeatable; applied after the files).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// The namespace (`.Release.Namespace`).
    #[arg(short, long, default_value = "default")]
    namespace: String,
    /// The Kubernetes version `.Capabilities.KubeVersion` reports (Helm's default otherwise).
    #[arg(long, value_name = "VERSION")]
    kube_version: Option<String>,
    /// An API version `.Capabilities.APIVersions.Has` reports available (repeatable).
    #[arg(short = 'a', long = "api-versions", value_name = "GROUP/VERSION")]
    api_versions: Vec<String>,
    /// Print only the manifests of this template (repeatable), e.g. `templates/service.yaml`.
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    show_only: Vec<String>,
    /// Leave out the chart's test hooks (`helm.sh/hook: test`).
    #[arg(long)]
    skip_tests: bool,
}

impl Template {
    /// Errors are text.
    pub fn json(&self) -> bool {
        false
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let mut values = Value::empty_map();
        for file in &self.values {
            values = strvals::merge_maps(&values, &read_values(file)?);
        }
        for set in &self.set {
            strvals::parse_into(set, &mut values)
                .map_err(|e| Error::invalid(Location::file("--set"), format!("`{set}`: {e}")))?;
        }
        let chart_file = self.chart.display().to_string();
        let refused = |e: helm::Error| match e {
            helm::Error::Load { message, .. } => {
                Error::invalid(Location::file(&chart_file), message)
            }
            other => Error::invalid(Location::file(&chart_file), other.message()),
        };
        let chart = Chart::load(&self.chart).map_err(refused)?;
        let prepared = PreparedChart::new(chart).map_err(refused)?;
        let options = RenderOptions {
            release_name: self.name.clone(),
            namespace: self.namespace.clone(),
            kube_version: self.kube_version.clone(),
            api_versions: self.api_versions.clone(),
            show_only: self.show_only.clone(),
            skip_tests: self.skip_tests,
            seed: seed::seed(prepared.chart(), &[&self.name, &self.namespace]),
            now_unix: wo_render::native::default_now_unix(),
            ..RenderOptions::default()
        };
        let stream = prepared.render(&values, &options).map_err(refused)?;
        Ok(Outcome::data(stream))
    }
}

/// A values file as Helm reads it (`sigs.k8s.io/yaml`: YAML 1.1 scalars, numbers as float64).
fn read_values(path: &Path) -> Result<Value> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::invalid(Location::file(&file), format!("cannot read: {e}")))?;
    if meta.len() > MAX_VALUES_FILE {
        return Err(Error::invalid(
            Location::file(&file),
            format!(
                "{} bytes, over the {MAX_VALUES_FILE} a values file may have",
                meta.len()
            ),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(Location::file(&file), format!("cannot read: {e}")))?;
    let value = yaml::decode(&text).map_err(|e| Error::invalid(Location::file(&file), e))?;
    match value {
        Value::Map(_) => Ok(value),
        Value::Nil => Ok(Value::empty_map()),
        other => Err(Error::invalid(
            Location::file(&file),
            format!("a values file holds a map, not a {}", other.type_name()),
        )),
    }
}
