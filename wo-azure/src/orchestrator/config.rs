//! The WO schema and configuration template wo hands over for a release, and the check that
//! WO resolved what we reviewed.
//!
//! wo composes and validates every target's values itself (the wo-core engine, from the
//! solution's own schema and template and the config repos). What WO gets is the outcome: a
//! schema that types every key of the composed values, a configuration template that reads each
//! key with `$val`, and per target a dynamic configuration version holding that target's
//! values. WO then resolves the template at review; the result must be exactly the values we
//! composed, or the service and our review disagree.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use wo_core::{Error, Location, Result};

/// One key of the generated schema: a dotted path to a leaf of the values.
#[derive(Debug, Clone, PartialEq)]
struct Leaf {
    ty: Option<&'static str>,
    /// Set on every target.
    everywhere: bool,
    /// Null on at least one target: the key then gets no `type` (a null passes no type rule,
    /// as in wo's own schemas) and is not required.
    nullable: bool,
}

fn plain_key(k: &str) -> bool {
    let mut bytes = k.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn type_of(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "string",
        Value::Object(_) => "object",
        Value::Array(items) => {
            let inner: Vec<Option<&str>> = items.iter().map(type_of).collect();
            match inner.first() {
                Some(Some(t @ ("int" | "float" | "string" | "object")))
                    if inner.iter().all(|i| i == &Some(*t)) =>
                {
                    match *t {
                        "int" => "array[int]",
                        "float" => "array[float]",
                        "string" => "array[string]",
                        _ => "array[object]",
                    }
                }
                _ => "array",
            }
        }
    })
}

/// Leaves of `values`: nested objects with plain keys are followed, anything else is a leaf.
fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Option<&'static str>)>) {
    match v {
        Value::Object(m)
            if !m.is_empty() && m.keys().all(|k| plain_key(k)) && !prefix.is_empty() =>
        {
            for (k, child) in m {
                walk(&format!("{prefix}.{k}"), child, out);
            }
        }
        _ => out.push((prefix.to_string(), type_of(v))),
    }
}

/// The schema and template for a release's targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The WO schema (YAML).
    pub schema: String,
    /// The WO configuration template (YAML).
    pub template: String,
}

/// Builds the schema (`name`, `version`) and the template over every target's values.
///
/// # Errors
/// [`Error::Invalid`] naming the target and key when a top-level key cannot be a WO key (it
/// must start with a letter or `_` and hold letters, digits, `_` and `-`), or a key has
/// different types on two targets (int and float make float).
pub fn generate<'a>(
    schema_name: &str,
    version: &str,
    targets: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Result<Generated> {
    let mut leaves: BTreeMap<String, (Leaf, usize, String)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut count = 0usize;
    for (target, values) in targets {
        count += 1;
        let at =
            |key: &str| Location::file(format!("<release>/{target}/values.yaml")).with_key(key);
        let Value::Object(top) = values else {
            return Err(Error::invalid(
                at(""),
                "a target's values must be a mapping",
            ));
        };
        let mut found = Vec::new();
        for (k, v) in top {
            if !plain_key(k) {
                return Err(Error::invalid(
                    at(k),
                    format!("`{k}` cannot be a Workload Orchestration configuration key: use letters, digits, `_` and `-`, starting with a letter or `_`"),
                ));
            }
            walk(k, v, &mut found);
        }
        for (path, ty) in found {
            match leaves.get_mut(&path) {
                None => {
                    order.push(path.clone());
                    leaves.insert(
                        path,
                        (
                            Leaf {
                                ty,
                                everywhere: true,
                                nullable: ty.is_none(),
                            },
                            1,
                            target.to_string(),
                        ),
                    );
                }
                Some((leaf, seen, first)) => {
                    *seen += 1;
                    leaf.nullable |= ty.is_none();
                    leaf.ty = match (leaf.ty, ty) {
                        (a, b) if a == b => a,
                        (None, b) => b,
                        (a, None) => a,
                        (Some("int"), Some("float")) | (Some("float"), Some("int")) => Some("float"),
                        (Some(a), Some(b)) if a.starts_with("array") && b.starts_with("array") => {
                            Some("array")
                        }
                        (Some(a), Some(b)) => {
                            return Err(Error::invalid(
                                at(&path),
                                format!("`{path}` is {b} here but {a} on target `{first}`: a Workload Orchestration key has one type"),
                            ))
                        }
                    };
                }
            }
        }
    }
    for (leaf, seen, _) in leaves.values_mut() {
        leaf.everywhere = *seen == count;
    }
    // A leaf that is an ancestor of another leaf (an object on one target, followed on
    // another) cannot be both: keep the ancestor as one object key.
    let ancestors: Vec<String> = order
        .iter()
        .filter(|p| order.iter().any(|q| q.starts_with(&format!("{p}."))))
        .cloned()
        .collect();
    for a in &ancestors {
        order.retain(|p| !p.starts_with(&format!("{a}.")));
        if let Some((leaf, _, _)) = leaves.get_mut(a) {
            leaf.ty = Some("object");
        }
    }

    let mut configs = Map::new();
    let mut rules = Map::new();
    for path in &order {
        let (leaf, _, _) = &leaves[path];
        let mut rule = Map::new();
        match leaf.ty {
            Some(t) if !leaf.nullable => {
                rule.insert("type".into(), Value::from(t));
            }
            _ => {}
        }
        rule.insert(
            "required".into(),
            Value::Bool(leaf.everywhere && !leaf.nullable),
        );
        rules.insert(path.clone(), Value::Object(rule));
        insert_path(
            &mut configs,
            path,
            Value::from(format!("${{{{$val({path})}}}}")),
        );
    }
    let schema = serde_json::json!({
        "metadata": {"name": schema_name, "version": version},
        "rules": {"configs": rules},
    });
    let template = serde_json::json!({
        "schema": {"name": schema_name, "version": version},
        "configs": configs,
    });
    Ok(Generated {
        schema: wo_core::yaml::to_string(&schema),
        template: wo_core::yaml::to_string(&template),
    })
}

fn insert_path(map: &mut Map<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), v);
        }
        Some((head, rest)) => {
            let child = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = child {
                insert_path(m, rest, v);
            }
        }
    }
}

/// Every difference between our values and WO's resolved configuration, one line each
/// (`key: ours → WO's`), sorted by key; empty when they agree. A key WO resolved to null and
/// we do not set is no difference.
pub fn differences(ours: &Value, theirs: &Value) -> Vec<String> {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    flatten("", ours, &mut a);
    flatten("", theirs, &mut b);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&Value>| match v {
        None => "(not set)".to_string(),
        Some(v) => v.to_string(),
    };
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(k), b.get(k));
            let same = match (x, y) {
                (Some(x), Some(y)) => numbers_equal(x, y) || x == y,
                (None, Some(Value::Null)) | (Some(Value::Null), None) => true,
                _ => false,
            };
            (!same).then(|| format!("{k}: {} (ours) → {} (WO)", show(x), show(y)))
        })
        .collect()
}

fn numbers_equal(x: &Value, y: &Value) -> bool {
    match (x.as_f64(), y.as_f64()) {
        (Some(p), Some(q)) => x.is_number() && y.is_number() && p == q,
        _ => false,
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, child, out);
            }
        }
        _ => {
            out.insert(prefix.to_string(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wo_core::engine::{Bundle, Resolver};
    use wo_core::files::FileTree;
    use wo_core::format::fleet::Fleet;
    use wo_core::format::values::{Level, ValueFile, ValueSet};

    /// Resolves the generated template with the wo-core engine, as the simulator (and WO) do.
    fn resolve(g: &Generated, values: &Value) -> Result<Value> {
        let mut src = FileTree::new();
        src.insert(
            "wo/app.yaml",
            "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\nconfigTemplate: wo/template.yaml\n",
        )?;
        src.insert("wo/schema.yaml", g.schema.clone())?;
        src.insert("wo/template.yaml", g.template.clone())?;
        src.insert(
            "chart/Chart.yaml",
            "apiVersion: v2\nname: x\nversion: 1.0.0\n",
        )?;
        let bundle = Bundle::load(&src, "")?;
        let set = ValueSet {
            files: vec![ValueFile::parse_plain(
                &wo_core::yaml::to_string(values),
                "values.yaml",
                Level::Target("t-1".into()),
            )?],
        };
        let fleet = Fleet::parse(
            "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: t-1\nassignments:\n  - solution: shop\n    targets: [t-1]\n",
            "fleet.yaml",
        )?;
        let r = Resolver::new(&bundle, &set, &fleet)?;
        Ok(Value::Object(
            r.resolve(fleet.target("t-1").expect("target"))?.values,
        ))
    }

    fn shop() -> Value {
        json!({
            "appName": "shop",
            "replicas": 4,
            "ratio": 0.5,
            "autoscaling": {"enabled": false, "maxReplicas": 4},
            "printer": "0777",
            "on": "yes",
            "featureFlags": ["new-checkout"],
            "ports": [80, 443],
            "empty": [],
            "labels": {"app.kubernetes.io/name": "shop"},
            "logging": {"level": "debug", "sinks": {"file": {"path": "/var/log"}}},
        })
    }

    #[test]
    fn the_engine_resolves_the_generated_template_to_the_values() {
        let values = shop();
        let g = generate("shop", "1.2.3", [("t-1", &values)]).unwrap();
        assert!(
            g.template.contains("$val(autoscaling.enabled)"),
            "{}",
            g.template
        );
        assert!(g.schema.contains("labels:"), "{}", g.schema);
        let resolved = resolve(&g, &values).unwrap();
        assert_eq!(
            differences(&values, &resolved),
            Vec::<String>::new(),
            "{resolved:#}"
        );
        assert_eq!(resolved["printer"], "0777");
    }

    #[test]
    fn a_key_set_on_some_targets_only_is_optional() {
        let a = json!({"replicas": 2, "extra": "x"});
        let b = json!({"replicas": 3});
        let g = generate("shop", "1.0.0", [("a", &a), ("b", &b)]).unwrap();
        let resolved = resolve(&g, &b).unwrap();
        assert_eq!(
            differences(&b, &resolved),
            Vec::<String>::new(),
            "{resolved:#}"
        );
        let resolved = resolve(&g, &a).unwrap();
        assert_eq!(differences(&a, &resolved), Vec::<String>::new());
    }

    #[test]
    fn a_key_null_on_one_target_has_no_type_and_resolves_on_every_target() {
        let a = json!({"printer": null, "replicas": 2});
        let b = json!({"printer": "0777", "replicas": 3});
        let g = generate("shop", "1.0.0", [("a", &a), ("b", &b)]).unwrap();
        let schema: Value = wo_core::yaml::from_str(&g.schema, "schema.yaml").unwrap();
        let printer = &schema["rules"]["configs"]["printer"];
        assert_eq!(printer.get("type"), None, "{}", g.schema);
        assert_eq!(printer["required"], false, "{}", g.schema);
        assert_eq!(schema["rules"]["configs"]["replicas"]["type"], "int");
        for values in [&a, &b] {
            let resolved = resolve(&g, values).unwrap();
            assert_eq!(differences(values, &resolved), Vec::<String>::new());
        }
    }

    #[test]
    fn keys_and_types_wo_cannot_take_are_refused_with_the_key() {
        let bad = json!({"my key": 1});
        let e = generate("s", "1.0.0", [("t", &bad)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("my key") && e.contains("<release>/t/values.yaml"),
            "{e}"
        );
        let a = json!({"x": 1});
        let b = json!({"x": "one"});
        let e = generate("s", "1.0.0", [("a", &a), ("b", &b)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`x` is string here but int on target `a`"),
            "{e}"
        );
        let c = json!({"x": 1.5});
        assert!(generate("s", "1.0.0", [("a", &a), ("c", &c)]).is_ok());
    }

    #[test]
    fn differences_are_readable() {
        let ours = json!({"a": 1, "b": {"c": "x"}, "d": null});
        let theirs = json!({"a": 2, "b": {"c": "x", "e": true}});
        assert_eq!(
            differences(&ours, &theirs),
            vec![
                "a: 1 (ours) → 2 (WO)".to_string(),
                "b.e: (not set) (ours) → true (WO)".to_string()
            ]
        );
        assert!(differences(&json!({"n": 1}), &json!({"n": 1.0})).is_empty());
    }
}
