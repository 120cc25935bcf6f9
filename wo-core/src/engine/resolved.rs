//! The result of resolution: values plus, for every key, where the value came from.

use indexmap::IndexMap;
use serde::Serialize;

use crate::value::Map;

/// What supplied a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The schema's `defaultValue`.
    Default,
    /// A file: a value file at some level, or a literal in the template.
    File,
    /// An expression computed it.
    Expression,
}

/// Where one resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// What kind of source.
    pub source: Source,
    /// The file (value file, template or schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The level (`environment`, a hierarchy level, `target`, or `template`/`schema`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The expression, for computed values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// The resolved configuration of one solution on one target in one environment: what WO's
/// `resolveConfiguration` would return, computed offline, with provenance per key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedConfig {
    /// The target.
    #[serde(skip)]
    pub target: String,
    /// The values (the chart's values), in template order.
    pub values: Map,
    /// Per key path of `values` (in the syntax of [`crate::key_path`]: `image.tag`,
    /// `labels["app.kubernetes.io/name"]`), where the value came from.
    pub provenance: IndexMap<String, Provenance>,
}

impl ResolvedConfig {
    /// The values as a YAML document (deterministic).
    pub fn values_yaml(&self) -> String {
        crate::yaml::to_string(&serde_json::Value::Object(self.values.clone()))
    }
}
