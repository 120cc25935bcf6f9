//! Charts rendered as `helm template` renders them.
//!
//! Contract: `Chart::load(path)` / `Chart::from_files(files)` (directories, `.tgz`,
//! `.helmignore`, `charts/` subcharts), `PreparedChart::new(chart) -> Result<_, Error>` (parses
//! every template once; `Send + Sync`), `PreparedChart::render(&self, user_values: &Value,
//! options: &RenderOptions) -> Result<String, Error>` (exactly `helm template`'s stdout) with
//! `RenderOptions { release_name, namespace, kube_version, api_versions, show_only, seed, now }`.

pub mod strvals;
