//! YAML, JSON and TOML as Helm reads and writes them.
//!
//! Contract: `yaml::decode(text) -> Result<Value, String>` (`sigs.k8s.io/yaml.Unmarshal`
//! into `interface{}`: YAML 1.1 scalars, every number `float64`), `yaml::decode_array`,
//! `yaml::encode(&Value) -> Result<String, String>` (`sigs.k8s.io/yaml.Marshal`, go-yaml v2's
//! exact layout), `yaml::to_json(text) -> Result<serde_json::Value, String>` (what Kubernetes
//! reads a manifest document as: `YAMLToJSON`, integers kept), `json::encode(&Value)` (Go's
//! `encoding/json`, HTML-escaped), `json::decode`, `toml::encode`.

use crate::func::FuncMap;

/// The encoding functions templates call (`toYaml`, `fromYaml`, `toJson`, …).
pub fn funcs() -> FuncMap {
    FuncMap::new()
}
