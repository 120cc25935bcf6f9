//! Values coalescing, as Helm's `chartutil` does it: a chart's defaults under the user's
//! values, `null` deleting a default, subchart values under the subchart's name, globals copied
//! down, and the warnings Helm logs on the way.

use std::cell::RefCell;
use std::rc::Rc;

use super::chart::{Chart, Metadata};
use super::Error;
use crate::thread_cache::ThreadCache;
use crate::value::{entries, Map, Value};

/// A chart while one render processes it: its metadata (names may become aliases, disabled
/// dependencies are removed) and its default values (import-values may add to them).
#[derive(Debug)]
pub(crate) struct Node<'c> {
    pub chart: &'c Chart,
    pub meta: Metadata,
    pub values: Value,
    pub deps: Vec<Node<'c>>,
}

impl<'c> Node<'c> {
    /// The tree of `chart` and its subcharts, untouched.
    pub fn new(chart: &'c Chart) -> Node<'c> {
        Node {
            chart,
            meta: chart.metadata.clone(),
            values: Value::from_json(&chart.values),
            deps: chart.dependencies.iter().map(Node::new).collect(),
        }
    }

    /// [`Node::new`] for a prepared chart, whose `defaults` each thread keeps: they are
    /// converted from JSON once per thread and copied (strings shared) at each render instead
    /// of converted again.
    pub fn new_prepared(chart: &'c Chart, defaults: &ThreadCache<ThreadDefaults>) -> Node<'c> {
        let defaults = defaults.with(|d| d.converted(chart));
        let mut next = defaults.iter();
        Node::copy_defaults(chart, &mut next)
    }

    /// [`Node::new_prepared`] for a render that will coalesce with [`coalesce_values_in_place`] (shared)
    /// and call [`ThreadDefaults::forget`] if a template changed a map made before it ran: the
    /// node's values are this thread's converted defaults themselves, not a copy. Only for a
    /// chart without dependencies (nothing imports values into its defaults); `None` when a
    /// render of this chart on this thread has changed them before (it will again: such
    /// charts copy, as [`Node::new_prepared`]).
    pub fn new_shared(
        chart: &'c Chart,
        defaults: &ThreadCache<ThreadDefaults>,
    ) -> Option<Node<'c>> {
        if !chart.dependencies.is_empty() || !chart.metadata.dependencies.is_empty() {
            return None;
        }
        let defaults = defaults.with(|d| (!d.unshared).then(|| d.converted(chart)))?;
        Some(Node {
            chart,
            meta: chart.metadata.clone(),
            values: defaults.first().cloned().unwrap_or_default(),
            deps: Vec::new(),
        })
    }

    fn copy_defaults(chart: &'c Chart, next: &mut std::slice::Iter<'_, Value>) -> Node<'c> {
        let values = next.next().map_or(Value::Nil, Value::deep_copy);
        Node {
            chart,
            meta: chart.metadata.clone(),
            values,
            deps: chart
                .dependencies
                .iter()
                .map(|c| Node::copy_defaults(c, next))
                .collect(),
        }
    }

    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// A copy sharing no values (Go copies the chart struct; values are replaced, never
    /// mutated in place, so a deep copy behaves the same).
    pub fn duplicate(&self) -> Node<'c> {
        Node {
            chart: self.chart,
            meta: self.meta.clone(),
            values: self.values.deep_copy(),
            deps: self.deps.iter().map(Node::duplicate).collect(),
        }
    }
}

/// What a thread keeps of a prepared chart's default values.
#[derive(Default)]
pub(crate) struct ThreadDefaults {
    /// Converted from JSON, in the order [`Node::new`] visits the charts; never handed out
    /// to be changed: only copies are, or shares a render gives up when a template changed
    /// them ([`ThreadDefaults::forget`]).
    values: Option<Rc<Vec<Value>>>,
    /// A render on this thread changed a map of the defaults [`Node::new_shared`] handed out:
    /// renders copy them from then on.
    unshared: bool,
}

impl ThreadDefaults {
    /// The converted defaults, converted on first use.
    fn converted(&mut self, chart: &Chart) -> Rc<Vec<Value>> {
        self.values
            .get_or_insert_with(|| {
                let mut d = Vec::new();
                convert_defaults(chart, &mut d);
                Rc::new(d)
            })
            .clone()
    }

    /// After a render whose values [`Node::new_shared`] shared with these defaults, when a
    /// template may have changed one of their maps (`set`, `unset`, `merge` of a map made
    /// before the templates ran): they are converted again for the next render, and this
    /// chart's renders on this thread copy them from then on.
    pub(crate) fn forget(&mut self) {
        self.values = None;
        self.unshared = true;
    }
}

fn convert_defaults(chart: &Chart, out: &mut Vec<Value>) {
    out.push(Value::from_json(&chart.values));
    for dep in &chart.dependencies {
        convert_defaults(dep, out);
    }
}

type Table = Rc<RefCell<Map>>;

fn table(v: &Value) -> Option<&Table> {
    match v {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

fn get(t: &Table, key: &str) -> Option<Value> {
    t.borrow().get(key).cloned()
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Helm's `CoalesceValues`: the user's values (copied) over the chart's defaults, recursively
/// through the subcharts; `null` from the user deletes a default.
pub(crate) fn coalesce_values(
    node: &Node,
    user: &Value,
    warnings: &mut Vec<String>,
) -> Result<Value, Error> {
    let dest = match user {
        Value::Map(_) => user.deep_copy(),
        _ => Value::empty_map(),
    };
    coalesce(node, &dest, "", false, Defaults::Share, warnings)?;
    Ok(dest)
}

/// [`coalesce_values`] for the last use of `node`'s values and of `user` (a render's own
/// copies, read by nothing afterwards): both are coalesced in place instead of copied first.
/// `shared`: `node` is from [`Node::new_shared`], its values the thread's defaults; those the
/// user's values lack are shared rather than moved (the rest copied), so the thread's defaults
/// stay as they are for as long as no template changes them.
pub(crate) fn coalesce_values_in_place(
    node: &Node,
    user: Value,
    shared: bool,
    warnings: &mut Vec<String>,
) -> Result<Value, Error> {
    let dest = match user {
        Value::Map(_) => user,
        _ => Value::empty_map(),
    };
    let defaults = if shared {
        Defaults::Share
    } else {
        Defaults::InPlace
    };
    coalesce(node, &dest, "", false, defaults, warnings)?;
    Ok(dest)
}

/// Helm's `MergeValues`: as [`coalesce_values`], but `null`s are kept.
pub(crate) fn merge_values(
    node: &Node,
    user: &Value,
    warnings: &mut Vec<String>,
) -> Result<Value, Error> {
    let dest = match user {
        Value::Map(_) => user.deep_copy(),
        _ => Value::empty_map(),
    };
    coalesce(node, &dest, "", true, Defaults::Copy, warnings)?;
    Ok(dest)
}

/// `in_place`: the nodes' values are the render's own and read by nothing afterwards, so they
/// are coalesced as they are rather than copied first (Helm copies them because its chart
/// outlives the render).
fn coalesce(
    node: &Node,
    dest: &Value,
    prefix: &str,
    merge: bool,
    defaults: Defaults,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let dest_t = table(dest).expect("coalescing into a table");
    coalesce_chart_values(node, dest_t, prefix, merge, defaults, warnings);
    for sub in &node.deps {
        let name = sub.name();
        match get(dest_t, name) {
            None => {
                dest_t
                    .borrow_mut()
                    .insert(name.to_string(), Value::empty_map());
            }
            Some(Value::Map(_)) => {}
            Some(other) => {
                // Go's `%t` of a non-bool: `%!t(float64=5)`, `%!t(<nil>)`.
                let shown = if other.is_nil() {
                    "<nil>".to_string()
                } else {
                    format!("{}={other}", other.type_name())
                };
                return Err(Error::Values(format!(
                    "type mismatch on {name}: %!t({shown})"
                )));
            }
        }
        let dv = get(dest_t, name).expect("just ensured");
        let sub_prefix = concat_prefix(prefix, node.name());
        coalesce_globals(table(&dv).expect("a table"), dest_t, &sub_prefix, warnings);
        coalesce(sub, &dv, &sub_prefix, merge, defaults, warnings)?;
    }
    Ok(())
}

fn coalesce_globals(dest: &Table, src: &Table, prefix: &str, warnings: &mut Vec<String>) {
    let dg = match get(dest, "global") {
        None => Rc::new(RefCell::new(Map::new())),
        Some(Value::Map(m)) => m,
        Some(_) => {
            warnings.push(
                "warning: skipping globals because destination global is not a table.".into(),
            );
            return;
        }
    };
    let sg = match get(src, "global") {
        None => Rc::new(RefCell::new(Map::new())),
        Some(Value::Map(m)) => m,
        Some(_) => {
            warnings.push("warning: skipping globals because source global is not a table.".into());
            return;
        }
    };
    if !Rc::ptr_eq(&dg, &sg) {
        for (key, val) in entries(&sg) {
            if let Value::Map(vm) = &val {
                let vv: Table = Rc::new(RefCell::new(vm.borrow().clone()));
                match get(&dg, &key) {
                    None => {
                        dg.borrow_mut().insert(key, Value::Map(vv));
                    }
                    Some(Value::Map(destv)) => {
                        let sub_prefix = concat_prefix(prefix, &key);
                        coalesce_tables(&vv, &destv, &sub_prefix, true, warnings);
                        dg.borrow_mut().insert(key, Value::Map(vv));
                    }
                    Some(_) => warnings.push(format!(
                        "Conflict: cannot merge map onto non-map for {key:?}. Skipping."
                    )),
                }
            } else if matches!(get(&dg, &key), Some(Value::Map(_))) {
                warnings.push(format!("key {key} is table. Skipping"));
            } else {
                dg.borrow_mut().insert(key, val);
            }
        }
    }
    dest.borrow_mut().insert("global".into(), Value::Map(dg));
}

fn coalesce_chart_values(
    node: &Node,
    v: &Table,
    prefix: &str,
    merge: bool,
    defaults: Defaults,
    warnings: &mut Vec<String>,
) {
    let sub_prefix = concat_prefix(prefix, node.name());
    if defaults == Defaults::Share {
        let Some(vc) = table(&node.values) else {
            return;
        };
        // Only the keys the destination lacks are shared, and of those not the subcharts'
        // tables nor `global`, which the coalescing writes into further on; everything else
        // is copied as `Defaults::Copy` copies it (`coalesce_tables` writes into its source).
        for (key, val) in entries(vc) {
            let shared = get(v, &key).is_none()
                && key != "global"
                && !node.deps.iter().any(|d| d.name() == key);
            let val = if shared { val } else { val.deep_copy() };
            coalesce_chart_entry(node, v, &sub_prefix, merge, key, val, warnings);
        }
        return;
    }
    let copy = if defaults == Defaults::InPlace {
        node.values.clone()
    } else {
        node.values.deep_copy()
    };
    let Some(vc) = table(&copy) else {
        return;
    };
    // The copy (or, in place, the render's own values) is used up here: its entries move.
    let entries = std::mem::take(&mut *vc.borrow_mut());
    for (key, val) in entries {
        coalesce_chart_entry(node, v, &sub_prefix, merge, key, val, warnings);
    }
}

/// What coalescing does with a chart's default values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defaults {
    /// Copies them first (Helm's chart outlives the render).
    Copy,
    /// Coalesces them as they are: they are the render's own, read by nothing afterwards.
    InPlace,
    /// Shares the tables the destination lacks with the chart's defaults instead of copying
    /// them (copying the rest): for a result that is only read, and dropped before the
    /// defaults are coalesced again (the first pass that decides which subcharts are enabled;
    /// its result is read there, and copied by the subcharts' own passes before they write).
    Share,
}

/// One entry `key: val` of a chart's defaults into `v`, as Helm's `coalesceValues` loop.
fn coalesce_chart_entry(
    node: &Node,
    v: &Table,
    sub_prefix: &str,
    merge: bool,
    key: String,
    val: Value,
    warnings: &mut Vec<String>,
) {
    match get(v, &key) {
        Some(Value::Nil) if !merge => {
            v.borrow_mut().remove(&key);
        }
        Some(Value::Map(dest)) => match &val {
            Value::Map(src) => {
                let merge = merge || node.deps.iter().any(|d| d.name() == key);
                coalesce_tables(
                    &dest,
                    src,
                    &concat_prefix(sub_prefix, &key),
                    merge,
                    warnings,
                );
            }
            Value::Nil => {}
            _ => warnings.push(format!(
                "warning: skipped value for {sub_prefix}.{key}: Not a table."
            )),
        },
        Some(_) => {}
        None => {
            v.borrow_mut().insert(key, val);
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `src` fills what `dst` lacks; `dst` wins.
fn coalesce_tables(
    dst: &Table,
    src: &Table,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    let src_non_nil: Vec<String> = src
        .borrow()
        .iter()
        .filter(|(_, v)| !v.is_nil())
        .map(|(k, _)| k.clone())
        .collect();
    for (key, val) in entries(dst) {
        if val.is_nil() {
            src.borrow_mut().insert(key, Value::Nil);
        }
    }
    for (key, val) in entries(src) {
        let full = concat_prefix(prefix, &key);
        let dv = get(dst, &key);
        match dv {
            Some(Value::Nil) if !merge && src_non_nil.contains(&key) => {
                dst.borrow_mut().remove(&key);
            }
            None => {
                dst.borrow_mut().insert(key, val);
            }
            Some(dv) => {
                if let Value::Map(sv) = &val {
                    if let Value::Map(dm) = &dv {
                        coalesce_tables(dm, sv, &full, merge, warnings);
                    } else {
                        warnings.push(format!(
                            "warning: cannot overwrite table with non table for {full} ({val})"
                        ));
                    }
                } else if matches!(dv, Value::Map(_)) && !val.is_nil() {
                    warnings.push(format!(
                        "warning: destination for {full} is a table. Ignoring non-table value ({val})"
                    ));
                }
            }
        }
    }
}

/// Helm's `MergeTables` on two plain tables (`null`s kept): `src` fills what `dst` lacks.
pub(crate) fn merge_tables(dst: &Value, src: &Value, warnings: &mut Vec<String>) {
    if let (Some(d), Some(s)) = (table(dst), table(src)) {
        coalesce_tables(d, s, "", true, warnings);
    }
}

/// The table at a dotted path (`a.b`), as Helm's `Values.Table`.
pub(crate) fn table_at(values: &Value, path: &str) -> Option<Value> {
    let mut cur = values.clone();
    for part in path.split('.') {
        let next = table(&cur).and_then(|t| get(t, part))?;
        if !matches!(next, Value::Map(_)) {
            return None;
        }
        cur = next;
    }
    Some(cur)
}

/// The non-table value at a dotted path, as Helm's `Values.PathValue`.
pub(crate) fn path_value(values: &Value, path: &str) -> Option<Value> {
    if path.is_empty() {
        return None;
    }
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (table_at(values, p)?, k),
        None => (values.clone(), path),
    };
    let v = table(&parent).and_then(|t| get(t, key))?;
    (!matches!(v, Value::Map(_))).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn tables_coalesce_with_the_destination_winning_and_nulls_deleting() {
        let dst = map(&[
            ("a", Value::str("user")),
            ("gone", Value::Nil),
            ("t", map(&[("x", Value::Float(1.0))])),
        ]);
        let src = map(&[
            ("a", Value::str("default")),
            ("gone", Value::str("default")),
            ("b", Value::Bool(true)),
            ("t", map(&[("y", Value::Float(2.0))])),
        ]);
        let mut warnings = Vec::new();
        coalesce_tables(
            table(&dst).expect("t"),
            table(&src).expect("t"),
            "",
            false,
            &mut warnings,
        );
        assert_eq!(
            format!("{dst}"),
            "map[a:user b:true t:map[x:1 y:2]]",
            "the user's null deleted the default"
        );
        assert!(warnings.is_empty());
        assert_eq!(
            path_value(&dst, "t.y").map(|v| v.to_string()),
            Some("2".into())
        );
        assert!(path_value(&dst, "t").is_none(), "a table is no path value");
    }

    /// The first pass over the values (which subcharts are enabled) shares the chart's default
    /// tables instead of copying them: it must give what a copying pass gives, warnings
    /// included, and leave the defaults as they were, though the user's nulls delete keys in
    /// the tables they meet and globals are written into each subchart's table.
    #[test]
    fn the_shared_first_pass_gives_what_a_copy_gives_and_keeps_the_defaults() {
        let chart = Chart::from_files(vec![
            (
                "Chart.yaml".into(),
                b"apiVersion: v2\nname: top\nversion: 0.1.0\n".to_vec(),
            ),
            (
                "values.yaml".into(),
                b"global: {g: 1, t: {a: 1}}\nkept: {x: 1, y: {z: 2}}\nmet: {x: 1, y: 2, n: {a: 1}}\nscalar: s\nsub: {enabled: true, over: 1}\n"
                    .to_vec(),
            ),
            (
                "charts/sub/Chart.yaml".into(),
                b"apiVersion: v2\nname: sub\nversion: 0.1.0\n".to_vec(),
            ),
            (
                "charts/sub/values.yaml".into(),
                b"enabled: false\nover: 2\ndeep: {a: 1, b: {c: 2}}\nglobal: {g: 3, h: 4}\n".to_vec(),
            ),
        ])
        .expect("a valid chart");
        let user = crate::encoding::yaml::decode(
            "met: {x: null, n: 5}\nscalar: {t: 1}\nsub: {deep: {b: null}}\nglobal: {t: null}\n",
        )
        .expect("yaml");
        let shown = |n: &Node| format!("{} {}", n.values, n.deps[0].values);

        let copied = Node::new(&chart);
        let dest = user.deep_copy();
        let mut copy_warnings = Vec::new();
        coalesce(
            &copied,
            &dest,
            "",
            false,
            Defaults::Copy,
            &mut copy_warnings,
        )
        .expect("coalesces");

        let shared = Node::new(&chart);
        let before = shown(&shared);
        let mut warnings = Vec::new();
        let result = coalesce_values(&shared, &user, &mut warnings).expect("coalesces");
        assert_eq!(result.to_string(), dest.to_string());
        assert_eq!(warnings, copy_warnings);
        assert!(
            !warnings.is_empty(),
            "the case meets a table overwritten by a scalar"
        );
        drop(result);
        assert_eq!(shown(&shared), before, "the chart's defaults are unchanged");
        assert_eq!(
            path_value(&dest, "sub.enabled").map(|v| v.to_string()),
            Some("true".into())
        );
    }
}
