//! Sprig's dictionary functions (`dict.go`): maps are shared references, so `set`, `unset`,
//! `merge` and `mergeOverwrite` change the map they are given, as in Go.

use std::cell::RefCell;
use std::rc::Rc;

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::{entries, Key, Map, Value};

use super::args::{map, nth, string};
use super::conv::{empty, to_string};
use super::def;

/// The dictionary functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("dict", 0, None, dict),
    def("get", 2, Some(2), get),
    def("set", 3, Some(3), set),
    def("unset", 2, Some(2), unset),
    def("hasKey", 2, Some(2), has_key),
    def("pluck", 1, None, pluck),
    def("keys", 0, None, keys),
    def("values", 1, Some(1), values),
    def("pick", 1, None, pick),
    def("omit", 1, None, omit),
    def("merge", 1, None, merge),
    def("mustMerge", 1, None, merge),
    def("mergeOverwrite", 1, None, merge_overwrite),
    def("mustMergeOverwrite", 1, None, merge_overwrite),
    def("deepCopy", 1, Some(1), deep_copy),
    def("mustDeepCopy", 1, Some(1), deep_copy),
    def("dig", 0, None, dig),
];

fn dict(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut m = Map::new();
    for pair in a.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
        m.insert(to_string(&pair[0]), value);
    }
    let m = Rc::new(RefCell::new(m));
    ctx.made(&m);
    Ok(Value::Map(m))
}

fn get(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let m = map(a, 0)?;
    let key = string(a, 1)?;
    let value = m.borrow().get(Key::new(key)).cloned();
    Ok(value.unwrap_or_else(|| Value::str("")))
}

fn set(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let m = map(a, 0)?;
    let key = string(a, 1)?.to_string();
    ctx.changing(&m);
    m.borrow_mut().insert(key, nth(a, 2).clone());
    Ok(Value::Map(m))
}

fn unset(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let m = map(a, 0)?;
    ctx.changing(&m);
    m.borrow_mut().remove(string(a, 1)?);
    Ok(Value::Map(m))
}

fn has_key(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let m = map(a, 0)?;
    let key = string(a, 1)?;
    let found = m.borrow().contains_key(Key::new(key));
    Ok(Value::Bool(found))
}

fn maps_from(a: &[Value], from: usize) -> Result<Vec<Rc<RefCell<Map>>>, String> {
    (from..a.len()).map(|i| map(a, i)).collect()
}

fn strings_from(a: &[Value], from: usize) -> Result<Vec<String>, String> {
    (from..a.len())
        .map(|i| string(a, i).map(str::to_string))
        .collect()
}

fn pluck(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let key = string(a, 0)?;
    let out = maps_from(a, 1)?
        .iter()
        .filter_map(|m| m.borrow().get(key).cloned())
        .collect();
    Ok(Value::list(out))
}

/// `keys`: Go ranges over maps in random order; these come sorted per map.
fn keys(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let out: Vec<String> = maps_from(a, 0)?
        .iter()
        .flat_map(|m| m.borrow().keys().cloned().collect::<Vec<_>>())
        .collect();
    Ok(Value::StrList(out.into()))
}

/// `values`: in key order (Go's order is random).
fn values(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let m = map(a, 0)?;
    let out = m.borrow().values().cloned().collect();
    Ok(Value::list(out))
}

fn pick(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let m = map(a, 0)?;
    let keys = strings_from(a, 1)?;
    let src = m.borrow();
    let out: Map = keys
        .into_iter()
        .filter_map(|k| src.get(&k).cloned().map(|v| (k, v)))
        .collect();
    Ok(Value::map(out))
}

fn omit(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let m = map(a, 0)?;
    let keys = strings_from(a, 1)?;
    let out: Map = m
        .borrow()
        .iter()
        .filter(|(k, _)| !keys.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Value::map(out))
}

/// `mergo.Merge` (`overwrite` false) and `mergo.MergeWithOverwrite` of one map into another,
/// as they treat `map[string]interface{}`: nested maps merge in place, lists are never merged
/// (a list replaces only an empty or missing value, or any value when overwriting), a nil
/// source value is skipped (or written, when overwriting), other values fill empty or missing
/// entries (or replace anything, even with an empty value, when overwriting).
pub fn mergo_merge(dst: &Rc<RefCell<Map>>, src: &Rc<RefCell<Map>>, overwrite: bool) {
    merge_tracked(dst, src, overwrite, &mut |_| {});
}

/// [`mergo_merge`], telling `changing` of each map before it changes (`dst`, the nested maps
/// of `dst` merged in place).
fn merge_tracked(
    dst: &Rc<RefCell<Map>>,
    src: &Rc<RefCell<Map>>,
    overwrite: bool,
    changing: &mut dyn FnMut(&Rc<RefCell<Map>>),
) {
    changing(dst);
    for (key, s) in entries(src) {
        let d = dst.borrow().get(&key).cloned();
        match &s {
            Value::Nil => {
                if overwrite {
                    dst.borrow_mut().insert(key, Value::Nil);
                }
                continue;
            }
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &d {
                    if !Rc::ptr_eq(dm, sm) {
                        merge_tracked(dm, sm, overwrite, changing);
                    }
                    // The merged map is kept unless it is still empty.
                    if !dm.borrow().is_empty() {
                        continue;
                    }
                }
            }
            Value::List(_) | Value::StrList(_) | Value::Bytes(_) => {
                if let Some(d) = &d {
                    if !empty(d) {
                        if overwrite {
                            dst.borrow_mut().insert(key, s);
                        }
                        continue;
                    }
                }
            }
            _ => {}
        }
        let fill = match &d {
            None => true,
            Some(d) => overwrite || empty(d),
        };
        if fill {
            dst.borrow_mut().insert(key, s);
        }
    }
}

fn merge_with(ctx: &mut Ctx, a: &[Value], overwrite: bool) -> FuncResult {
    let dst = map(a, 0)?;
    for src in maps_from(a, 1)? {
        if !Rc::ptr_eq(&dst, &src) {
            merge_tracked(&dst, &src, overwrite, &mut |m| ctx.changing(m));
        }
    }
    Ok(Value::Map(dst))
}

fn merge(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    merge_with(ctx, a, false)
}

fn merge_overwrite(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    merge_with(ctx, a, true)
}

fn deep_copy(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    /// Records the maps of a copy as made now.
    fn made(ctx: &mut Ctx, v: &Value) {
        match v {
            Value::Map(m) => {
                ctx.made(m);
                for v in m.borrow().values() {
                    made(ctx, v);
                }
            }
            Value::List(l) => l.iter().for_each(|v| made(ctx, v)),
            _ => {}
        }
    }
    let copy = nth(a, 0).deep_copy();
    if ctx.track.on {
        made(ctx, &copy);
    }
    Ok(copy)
}

fn interface_conversion(v: &Value, want: &str) -> String {
    let got = match v {
        Value::Nil => "nil".to_string(),
        other => other.type_name(),
    };
    format!("interface conversion: interface {{}} is {got}, not {want}")
}

/// `dig KEY... DEFAULT MAP`: the value at the key path, or the default when a key is missing.
fn dig(_: &mut Ctx, a: &[Value]) -> FuncResult {
    if a.len() < 3 {
        return Err("dig needs at least three arguments".into());
    }
    let mut current = match &a[a.len() - 1] {
        Value::Map(m) => m.clone(),
        other => return Err(interface_conversion(other, "map[string]interface {}")),
    };
    let default = &a[a.len() - 2];
    let keys = a[..a.len() - 2]
        .iter()
        .map(|k| match k {
            Value::String(s) => Ok(s.to_string()),
            other => Err(interface_conversion(other, "string")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, key) in keys.iter().enumerate() {
        let step = current.borrow().get(Key::new(key)).cloned();
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if i == keys.len() - 1 {
            return Ok(step);
        }
        current = match step {
            Value::Map(m) => m,
            other => return Err(interface_conversion(&other, "map[string]interface {}")),
        };
    }
    unreachable!("at least one key")
}
