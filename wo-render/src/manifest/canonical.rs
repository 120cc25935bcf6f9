//! The canonical form of a resource: key order and emitted bytes.

use wo_core::value::Map;
use wo_core::{yaml, Value};

use super::{ManifestSet, Resource};

/// Top-level keys that lead every document, in this order, because readers look for them first.
pub(super) const LEADING_KEYS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// The value with canonical key order: [`LEADING_KEYS`] first at the top level, every other key
/// of every map sorted by its bytes.
pub(crate) fn canonical_value(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for key in LEADING_KEYS {
                if let Some(v) = map.get(key) {
                    out.insert(key.to_owned(), sorted(v));
                }
            }
            let mut rest: Vec<_> = map
                .iter()
                .filter(|(k, _)| !LEADING_KEYS.contains(&k.as_str()))
                .collect();
            rest.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in rest {
                out.insert(k.clone(), sorted(v));
            }
            Value::Object(out)
        }
        other => sorted(other),
    }
}

/// [`canonical_value`] in place: the same order, without copying the value.
pub(super) fn into_canonical(mut value: Value) -> Value {
    value.sort_all_objects();
    if let Value::Object(map) = &mut value {
        let mut out = Map::with_capacity(map.len());
        for key in LEADING_KEYS {
            if let Some(v) = map.shift_remove(key) {
                out.insert(key.to_owned(), v);
            }
        }
        out.extend(std::mem::take(map));
        *map = out;
    }
    value
}

/// The value with the keys of every map sorted by their bytes.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

impl Resource {
    /// The canonical YAML of this resource: one document, canonical key order, ending with a
    /// newline, without a `---` line.
    pub fn to_yaml(&self) -> String {
        yaml::to_string(&canonical_value(&self.value))
    }
}

impl ManifestSet {
    /// The canonical bytes of the set: every resource in canonical order and form, documents
    /// separated by `---` lines, no comments and no timestamps; an empty set is an empty
    /// string.
    ///
    /// Equal sets give identical bytes whatever the order they were read in and whatever the
    /// key order of their documents, so a GitOps commit changes only when a value does.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for (i, r) in self.resources.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&r.to_yaml());
        }
        out
    }

    /// [`to_yaml`](Self::to_yaml), consuming the set: the same bytes, without copying every
    /// resource into canonical key order first (what a render pipeline wants).
    pub fn into_yaml(self) -> String {
        let mut out = String::new();
        for (i, r) in self.resources.into_iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            yaml::write_to(&mut out, &into_canonical(r.value));
        }
        out
    }
}
