//! Dependencies as Helm's `ProcessDependencies` handles them: aliases, `condition`, `tags`,
//! disabled subcharts removed, and `import-values` merged into the parent's defaults.

use super::chart::Dependency;
use super::values::{coalesce_values, merge_tables, merge_values, path_value, table_at, Node};
use super::Error;
use crate::funcs::{constraint_matches, SemVersion};
use crate::value::{Map, Value};

/// Whether `version` satisfies the semver range `constraint` (Helm's `IsCompatibleRange`);
/// false when either does not parse.
///
/// The answer is pure, and a fleet asks the same few questions at every render (the chart's
/// `kubeVersion` against the cluster's, each dependency's version range): each thread
/// remembers its first answers.
pub(crate) fn compatible(constraint: &str, version: &str) -> bool {
    const REMEMBERED: usize = 64;
    thread_local! {
        static ANSWERS: std::cell::RefCell<Vec<(String, String, bool)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    ANSWERS.with(|answers| {
        let known = answers
            .borrow()
            .iter()
            .find(|(c, v, _)| c == constraint && v == version)
            .map(|&(_, _, ok)| ok);
        known.unwrap_or_else(|| {
            let ok = SemVersion::parse(version)
                .ok()
                .and_then(|v| constraint_matches(constraint, &v).ok())
                .unwrap_or(false);
            let mut answers = answers.borrow_mut();
            if answers.len() < REMEMBERED {
                answers.push((constraint.to_string(), version.to_string(), ok));
            }
            ok
        })
    })
}

/// Enables, aliases and prunes the dependencies of `root` for `user` values, then merges
/// import-values.
pub(crate) fn process(
    root: &mut Node,
    user: &Value,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    process_enabled(root, user, "", warnings)
        .and_then(|()| process_imports(root, warnings))
        .map_err(|e| match e {
            Error::Values(m) => Error::Values(format!("chart dependencies processing failed: {m}")),
            other => other,
        })
}

fn process_enabled(
    c: &mut Node,
    v: &Value,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    if c.meta.dependencies.is_empty() {
        return Ok(());
    }
    let existing = std::mem::take(&mut c.deps);
    let reqs = &c.meta.dependencies;
    let matches =
        |e: &Node, r: &Dependency| e.name() == r.name && compatible(&r.version, &e.meta.version);
    // The charts no requirement names stay as they are; each requirement takes the first chart
    // it names. A chart is moved at its last use and copied before (a copy shares no values,
    // and nothing else holds these: they are this render's own).
    let unmatched: Vec<bool> = existing
        .iter()
        .map(|e| !reqs.iter().any(|r| matches(e, r)))
        .collect();
    let found: Vec<Option<usize>> = reqs
        .iter()
        .map(|r| existing.iter().position(|e| matches(e, r)))
        .collect();
    let mut uses = vec![0usize; existing.len()];
    for &i in found.iter().flatten() {
        uses[i] += 1;
    }
    let mut existing: Vec<Option<Node>> = existing.into_iter().map(Some).collect();
    let mut deps: Vec<Node> = existing
        .iter_mut()
        .zip(&unmatched)
        .filter(|(_, unmatched)| **unmatched)
        .filter_map(|(e, _)| e.take())
        .collect();
    for (req, found) in c.meta.dependencies.iter_mut().zip(found) {
        if let Some(i) = found {
            uses[i] -= 1;
            let mut copy = if uses[i] == 0 {
                existing[i]
                    .take()
                    .expect("a chart is taken at its last use only")
            } else {
                existing[i]
                    .as_ref()
                    .expect("a chart is taken at its last use only")
                    .duplicate()
            };
            if !req.alias.is_empty() {
                copy.meta.name = req.alias.clone();
            }
            deps.push(copy);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    c.deps = deps;
    for req in &mut c.meta.dependencies {
        req.enabled = true;
    }
    let cvals = coalesce_values(c, v, warnings)?;
    process_tags(c, &cvals, warnings);
    process_conditions(c, &cvals, path, warnings);
    let removed: Vec<String> = c
        .meta
        .dependencies
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    let mut kept: Vec<Node> = std::mem::take(&mut c.deps)
        .into_iter()
        .filter(|d| !removed.iter().any(|n| n == d.name()))
        .collect();
    c.meta.dependencies.retain(|r| !removed.contains(&r.name));
    for sub in &mut kept {
        let subpath = format!("{path}{}.", sub.name());
        process_enabled(sub, &cvals, &subpath, warnings)?;
    }
    c.deps = kept;
    Ok(())
}

fn process_tags(c: &mut Node, cvals: &Value, warnings: &mut Vec<String>) {
    let Some(Value::Map(tags)) = table_at(cvals, "tags") else {
        return;
    };
    let tags = tags.borrow();
    for r in &mut c.meta.dependencies {
        let (mut has_true, mut has_false) = (false, false);
        for k in &r.tags {
            match tags.get(k) {
                Some(Value::Bool(true)) => has_true = true,
                Some(Value::Bool(false)) => has_false = true,
                Some(_) => {
                    warnings.push(format!("returned non-bool value tag={k} chart={}", r.name))
                }
                None => {}
            }
        }
        r.enabled = has_true || !has_false;
    }
}

fn process_conditions(c: &mut Node, cvals: &Value, path: &str, warnings: &mut Vec<String>) {
    for r in &mut c.meta.dependencies {
        for cond in r.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            if let Some(v) = path_value(cvals, &format!("{path}{cond}")) {
                if let Value::Bool(b) = v {
                    r.enabled = b;
                    break;
                }
                warnings.push(format!(
                    "returned non-bool value path={cond} chart={}",
                    r.name
                ));
            }
        }
    }
}

fn process_imports(c: &mut Node, warnings: &mut Vec<String>) -> Result<(), Error> {
    for d in &mut c.deps {
        process_imports(d, warnings)?;
    }
    if c.meta.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = merge_values(c, &Value::Nil, warnings)?;
    let b = Value::empty_map();
    for r in &mut c.meta.dependencies {
        let mut out = Vec::new();
        for iv in &r.import_values {
            let (child, parent) = match iv {
                serde_json::Value::Object(m) => {
                    let show = |v: Option<&serde_json::Value>| match v {
                        None => "<nil>".to_string(),
                        Some(v) => Value::from_json(v).to_string(),
                    };
                    (show(m.get("child")), show(m.get("parent")))
                }
                serde_json::Value::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            out.push(serde_json::json!({"child": child, "parent": parent}));
            let Some(vv) = table_at(&cvals, &format!("{}.{child}", r.name)) else {
                warnings.push(format!("ImportValues missing table from chart {}", r.name));
                continue;
            };
            let imported = if parent == "." {
                vv
            } else {
                parent.split('.').rev().fold(vv, |inner, key| {
                    let mut m = Map::new();
                    m.insert(key.to_string(), inner);
                    Value::map(m)
                })
            };
            merge_tables(&b, &imported, warnings);
        }
        r.import_values = out;
    }
    let merged = cvals.deep_copy();
    merge_tables(&merged, &b, warnings);
    c.values = merged;
    Ok(())
}
