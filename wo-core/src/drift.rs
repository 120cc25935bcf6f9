//! Drift: how what runs differs from what was reviewed, key by key and resource by resource.
//!
//! Both comparisons are deterministic (keys sorted, resources by identity) and name places in
//! [`key_path`] syntax, as `wo resolve --explain` does.
//!
//! ```
//! use serde_json::json;
//! use wo_core::drift::{manifest_differences, value_differences};
//!
//! let reviewed = json!({"replicas": 2, "image": {"tag": "1.0"}});
//! let running = json!({"replicas": 3, "image": {"tag": "1.0"}});
//! assert_eq!(value_differences(&reviewed, &running), vec!["replicas"]);
//!
//! let a = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop, namespace: apps}\ndata: {level: info}\n";
//! let b = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop, namespace: apps}\ndata: {level: debug}\n";
//! assert_eq!(
//!     manifest_differences(a, b, "manifests.yaml")?,
//!     vec!["ConfigMap apps/shop: data.level"]
//! );
//! # Ok::<(), wo_core::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Result;
use crate::key_path;
use crate::value::Value;
use crate::yaml::{parse_stream_as, Budget, NodeKind, Schema};

/// The key paths of the leaves whose values differ between `reviewed` and `running`, sorted.
///
/// Numbers compare by value (`2` equals `2.0`, as an orchestrator may write it back); a key
/// set to `null` on one side and missing on the other is no difference.
pub fn value_differences(reviewed: &Value, running: &Value) -> Vec<String> {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    leaves("", reviewed, &mut a);
    leaves("", running, &mut b);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| !same_leaf(a.get(*k).copied(), b.get(*k).copied()))
        .cloned()
        .collect()
}

/// The resources that differ between two manifest streams, sorted by identity
/// (`apiVersion`, `kind`, namespace, name): `<kind> <namespace>/<name>: <key path>` naming the
/// first field that differs, or `…: added` (runs, was not reviewed) / `…: removed` (was
/// reviewed, does not run). Empty documents are skipped; a document that is not a mapping is
/// identified by its position.
///
/// # Errors
/// [`Error::Invalid`](crate::Error::Invalid) when either stream is not YAML (`file` names it).
pub fn manifest_differences(reviewed: &str, running: &str, file: &str) -> Result<Vec<String>> {
    let a = resources(reviewed, file)?;
    let b = resources(running, &format!("{file} (running)"))?;
    let ids: BTreeSet<&Identity> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for id in ids {
        let how = match (a.get(id), b.get(id)) {
            (Some(x), Some(y)) => match first_difference("", x, y) {
                Some(path) if path.is_empty() => "(whole document)".to_string(),
                Some(path) => path,
                None => continue,
            },
            (Some(_), None) => "removed".to_string(),
            (None, _) => "added".to_string(),
        };
        out.push(format!("{}: {how}", id.shown()));
    }
    Ok(out)
}

/// What identifies a resource in a stream; `occurrence` tells apart documents that share the
/// rest (a chart that renders one resource twice).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Identity {
    api_version: String,
    kind: String,
    namespace: String,
    name: String,
    occurrence: usize,
}

impl Identity {
    fn shown(&self) -> String {
        let mut s = if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        };
        if self.occurrence > 0 {
            s.push_str(&format!(" (#{})", self.occurrence + 1));
        }
        s
    }
}

fn resources(text: &str, file: &str) -> Result<BTreeMap<Identity, Value>> {
    let mut out = BTreeMap::new();
    // Manifests: read as Kubernetes reads them (YAML 1.1).
    for (i, node) in parse_stream_as(text, file, &Budget::default(), Schema::Yaml11)?
        .into_iter()
        .enumerate()
    {
        if matches!(node.kind, NodeKind::Null) {
            continue;
        }
        let value = node.to_value(file)?;
        let text_at = |path: &str| {
            key_path::get(&value, path)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut id = if value.is_object() {
            Identity {
                api_version: text_at("apiVersion"),
                kind: text_at("kind"),
                namespace: text_at("metadata.namespace"),
                name: text_at("metadata.name"),
                occurrence: 0,
            }
        } else {
            Identity {
                api_version: String::new(),
                kind: "document".into(),
                namespace: String::new(),
                name: (i + 1).to_string(),
                occurrence: 0,
            }
        };
        while out.contains_key(&id) {
            id.occurrence += 1;
        }
        out.insert(id, value);
    }
    Ok(out)
}

/// The first path (keys sorted) where `a` and `b` differ, `None` when they do not.
fn first_difference(at: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(&key_path::join(at, k), p, q),
                _ => Some(key_path::join(at, k)),
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            let found = x.iter().zip(y).enumerate().find_map(|(i, (p, q))| {
                first_difference(&key_path::join(at, &i.to_string()), p, q)
            });
            match found {
                Some(path) => Some(path),
                None if x.len() != y.len() => {
                    Some(key_path::join(at, &x.len().min(y.len()).to_string()))
                }
                None => None,
            }
        }
        _ => (!same_leaf(Some(a), Some(b))).then(|| at.to_string()),
    }
}

/// The leaves of `v` by key path; empty maps and lists are leaves too.
fn leaves<'a>(at: &str, v: &'a Value, out: &mut BTreeMap<String, &'a Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                leaves(&key_path::join(at, k), x, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                leaves(&key_path::join(at, &i.to_string()), x, out);
            }
        }
        _ => {
            out.insert(at.to_string(), v);
        }
    }
}

fn same_leaf(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) if x.is_number() && y.is_number() => {
            x == y || x.as_f64().is_some_and(|p| y.as_f64() == Some(p))
        }
        (Some(x), Some(y)) => x == y,
        (None, Some(Value::Null)) | (Some(Value::Null), None) | (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_differ_by_leaf_key_path_sorted() {
        let a = json!({"b": 1, "a": {"x.y": "on", "z": [1, 2]}, "n": null});
        let b = json!({"a": {"x.y": "off", "z": [1]}, "b": 1.0, "c": true});
        assert_eq!(value_differences(&a, &b), vec!["a.z.1", r#"a["x.y"]"#, "c"]);
        assert!(value_differences(&a, &a).is_empty());
    }

    #[test]
    fn resources_are_matched_by_identity_not_position() {
        let reviewed = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\ndata: {k: v}\n---\n\
                        apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n";
        let running = "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n\
                       apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\ndata: {k: v}\n";
        assert!(manifest_differences(reviewed, running, "m")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn added_removed_and_changed_resources_are_named() {
        // Read as YAML 1.1, as Kubernetes reads manifests: a plain `n` would be `false`.
        let reviewed = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\ndata: {k: v, l: [1, 2]}\n---\n\
                        apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n";
        let running = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\ndata: {k: v, l: [1, 3]}\n---\n\
                       apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n";
        assert_eq!(
            manifest_differences(reviewed, running, "m").unwrap(),
            vec![
                "ConfigMap ns/a: data.l.1",
                "Namespace ns: added",
                "Secret ns/s: removed"
            ]
        );
    }

    #[test]
    fn a_stream_that_is_not_yaml_is_invalid() {
        let err = manifest_differences("a: [", "", "gitops/dev/m.yaml").unwrap_err();
        assert!(err.is_invalid_input(), "{err}");
    }
}
