//! Charts rendered as `helm template` renders them.
//!
//! Start with [`Chart::load`] (a directory or a `.tgz`), prepare it once with
//! [`PreparedChart::new`] (every template parsed into one set; `Send + Sync`), then
//! [`PreparedChart::render`] it for values and [`RenderOptions`] as often as needed: the result
//! is exactly `helm template`'s stdout.
//!
//! - [`chart`]: loading — `Chart.yaml`, `values.yaml`, templates, files, `charts/` subcharts,
//!   `.helmignore`.
//! - values coalescing and dependencies (`condition`, `tags`, `alias`, `import-values`) as
//!   Helm's `chartutil` does them.
//! - [`objects`]: `.Capabilities` and `.Files`.
//! - [`manifests`]: splitting, hooks, kind order, `# Source:` lines, `--show-only`.
//!
//! A render has a budget ([`RenderOptions::max_steps`], [`RenderOptions::max_output_bytes`]):
//! a template that loops too long, includes itself at every level or builds too much text
//! fails with an error naming it (where Helm would run into its 60 s timeout or out of memory).
//! The defaults are thousands of times what real charts need.
//!
//! ```
//! use wo_gotmpl::helm::{Chart, PreparedChart, RenderOptions};
//! use wo_gotmpl::Value;
//!
//! let chart = Chart::from_files(vec![
//!     ("Chart.yaml".into(), b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec()),
//!     ("values.yaml".into(), b"replicas: 2\n".to_vec()),
//!     (
//!         "templates/cm.yaml".into(),
//!         b"kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  n: {{ .Values.replicas | quote }}\n".to_vec(),
//!     ),
//! ])?;
//! let prepared = PreparedChart::new(chart)?;
//! let options = RenderOptions { release_name: "r".into(), ..RenderOptions::default() };
//! let out = prepared.render(&Value::Nil, &options)?;
//! assert_eq!(out, "---\n# Source: demo/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n  name: r\ndata:\n  n: \"2\"\n");
//! # Ok::<(), wo_gotmpl::helm::Error>(())
//! ```

pub mod chart;
mod dependencies;
mod errors;
pub mod glob;
pub mod ignore;
pub mod manifests;
pub mod objects;
mod render;
mod schema;
pub mod seed;
pub mod strvals;
mod values;

pub use chart::{Chart, Dependency, File, Metadata};
pub use objects::{Capabilities, KubeVersion};
pub use render::{PreparedChart, RenderOptions};

use std::fmt;

/// Why a chart could not be loaded or rendered. `Display` gives the text Helm prints after
/// `Error: `; [`Error::helm_stderr`] the whole of what `helm template` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The chart could not be read: a missing or malformed `Chart.yaml`, values file or
    /// subchart, an unreadable path or archive.
    Load {
        /// The path given (empty for charts from memory).
        path: String,
        /// What went wrong, as Helm words it (naming the path where Helm does).
        message: String,
    },
    /// A dependency `Chart.yaml` names is missing from `charts/`.
    Dependencies(String),
    /// Values or dependencies could not be processed (a subchart's values not a table).
    Values(String),
    /// A `values.schema.json` rejected the values.
    Schema(String),
    /// The chart's `kubeVersion` excludes the Kubernetes version rendered for.
    Incompatible(String),
    /// A template does not parse (`parse error at (…): …`).
    Parse(String),
    /// A template failed while executing (`execution error at (…): …` for `fail` and
    /// `required`, a location trace otherwise).
    Execute(String),
    /// A rendered document is not YAML Helm can sort (`YAML parse error on …`).
    Manifest(String),
    /// A `--show-only` pattern matched no template.
    ShowOnly(String),
}

impl Error {
    /// The text after `Error: `.
    pub fn message(&self) -> String {
        match self {
            Error::Load { message, .. } => message.clone(),
            Error::Values(m) | Error::Incompatible(m) | Error::Parse(m) | Error::Execute(m) => {
                m.clone()
            }
            Error::Manifest(m) | Error::ShowOnly(m) | Error::Dependencies(m) => m.clone(),
            Error::Schema(m) => format!(
                "values don't meet the specifications of the schema(s) in the following chart(s):\n{m}"
            ),
        }
    }

    /// Everything `helm template` prints on stderr for this error: `Error: …`, and for errors
    /// met while rendering Helm's hint about `--debug`.
    pub fn helm_stderr(&self) -> String {
        let hint = matches!(
            self,
            Error::Incompatible(_) | Error::Parse(_) | Error::Execute(_) | Error::Manifest(_)
        );
        if hint {
            format!(
                "Error: {}\n\nUse --debug flag to render out invalid YAML\n",
                self.message()
            )
        } else {
            format!("Error: {}\n", self.message())
        }
    }

    /// Whether trying again can help: never — the same chart and values fail the same way.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}
