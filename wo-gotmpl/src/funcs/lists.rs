//! Sprig's list functions (`list.go`). Sprig's `must*` variants return as errors what the plain
//! ones panic with; a template sees the same failure from both, so they share a body.

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::{int, kind_name, nth, slice_items, NIL_DEREF};
use super::conv::{empty, to_int64_or_zero, to_string, to_strings};
use super::def;

/// The list functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("list", 0, None, list),
    def("tuple", 0, None, list),
    def("append", 2, Some(2), push),
    def("push", 2, Some(2), push),
    def("mustAppend", 2, Some(2), push),
    def("mustPush", 2, Some(2), push),
    def("prepend", 2, Some(2), prepend),
    def("mustPrepend", 2, Some(2), prepend),
    def("first", 1, Some(1), first),
    def("mustFirst", 1, Some(1), first),
    def("last", 1, Some(1), last),
    def("mustLast", 1, Some(1), last),
    def("rest", 1, Some(1), rest),
    def("mustRest", 1, Some(1), rest),
    def("initial", 1, Some(1), initial),
    def("mustInitial", 1, Some(1), initial),
    def("reverse", 1, Some(1), reverse),
    def("mustReverse", 1, Some(1), reverse),
    def("uniq", 1, Some(1), uniq),
    def("mustUniq", 1, Some(1), uniq),
    def("without", 1, None, without),
    def("mustWithout", 1, None, without),
    def("has", 2, Some(2), has),
    def("mustHas", 2, Some(2), has),
    def("slice", 1, None, slice),
    def("mustSlice", 1, None, slice),
    def("concat", 0, None, concat),
    def("chunk", 2, Some(2), chunk),
    def("mustChunk", 2, Some(2), chunk),
    def("compact", 1, Some(1), compact),
    def("mustCompact", 1, Some(1), compact),
    def("sortAlpha", 1, Some(1), sort_alpha),
    def("until", 1, Some(1), until),
    def("untilStep", 3, Some(3), until_step),
    def("seq", 0, None, seq),
];

/// Go's `reflect.DeepEqual` on template values: same type and same contents.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::StrList(x), Value::StrList(y)) => x == y && a.is_nil_slice() == b.is_nil_slice(),
        (Value::List(_), Value::List(_)) if a.is_nil_slice() != b.is_nil_slice() => false,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if std::rc::Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.type_name() == y.type_name() && x.display() == y.display()
        }
        _ => false,
    }
}

/// The items of a slice argument, or Sprig's error naming what it cannot work on.
fn items(v: &Value, what: &str) -> Result<Vec<Value>, String> {
    if v.is_nil() {
        return Err(NIL_DEREF.into());
    }
    slice_items(v).ok_or_else(|| format!("{what} {}", kind_name(v)))
}

fn list(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::list(a.to_vec()))
}

fn push(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut l = items(nth(a, 0), "Cannot push on type")?;
    l.push(nth(a, 1).clone());
    Ok(Value::list(l))
}

fn prepend(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut l = items(nth(a, 0), "Cannot prepend on type")?;
    l.insert(0, nth(a, 1).clone());
    Ok(Value::list(l))
}

fn first(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(items(nth(a, 0), "Cannot find first on type")?
        .into_iter()
        .next()
        .unwrap_or_default())
}

fn last(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(items(nth(a, 0), "Cannot find last on type")?
        .pop()
        .unwrap_or_default())
}

fn rest(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let l = items(nth(a, 0), "Cannot find rest on type")?;
    if l.is_empty() {
        // Sprig returns nil for an empty list.
        return Ok(Value::nil_list());
    }
    Ok(Value::list(l.into_iter().skip(1).collect()))
}

fn initial(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut l = items(nth(a, 0), "Cannot find initial on type")?;
    if l.is_empty() {
        return Ok(Value::nil_list());
    }
    l.pop();
    Ok(Value::list(l))
}

fn reverse(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut l = items(nth(a, 0), "Cannot find reverse on type")?;
    l.reverse();
    Ok(Value::list(l))
}

fn uniq(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut out: Vec<Value> = Vec::new();
    for item in items(nth(a, 0), "Cannot find uniq on type")? {
        if !out.iter().any(|o| deep_equal(&item, o)) {
            out.push(item);
        }
    }
    Ok(Value::list(out))
}

fn without(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let omit = &a[1.min(a.len())..];
    let l = items(nth(a, 0), "Cannot find without on type")?;
    Ok(Value::list(
        l.into_iter()
            .filter(|item| !omit.iter().any(|o| deep_equal(item, o)))
            .collect(),
    ))
}

fn has(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let needle = nth(a, 0);
    let haystack = nth(a, 1);
    if haystack.is_nil() {
        return Ok(Value::Bool(false));
    }
    let l = items(haystack, "Cannot find has on type")?;
    Ok(Value::Bool(l.iter().any(|item| deep_equal(needle, item))))
}

/// `slice LIST [START [END]]`: Go's slicing, keeping the slice's type.
fn slice(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let l = nth(a, 0);
    if l.is_nil() {
        return Err(NIL_DEREF.into());
    }
    let len = match l {
        Value::List(x) => x.len(),
        Value::StrList(x) => x.len(),
        Value::Bytes(x) => x.len(),
        other => {
            return Err(format!(
                "list should be type of slice or array but {}",
                kind_name(other)
            ))
        }
    };
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = if a.len() > 1 {
        to_int64_or_zero(&a[1])
    } else {
        0
    };
    let end = if a.len() > 2 {
        to_int64_or_zero(&a[2])
    } else {
        len as i64
    };
    if start < 0 || end < start || end > len as i64 {
        return Err("reflect.Value.Slice: slice index out of bounds".into());
    }
    let (start, end) = (start as usize, end as usize);
    Ok(match l {
        Value::List(x) => Value::list(x[start..end].to_vec()),
        Value::StrList(x) => Value::StrList(x[start..end].to_vec().into()),
        Value::Bytes(x) => Value::Bytes(x[start..end].into()),
        _ => unreachable!("checked above"),
    })
}

fn concat(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let mut out = Vec::new();
    for l in a {
        if l.is_nil() {
            return Err(NIL_DEREF.into());
        }
        match slice_items(l) {
            Some(items) => out.extend(items),
            None => return Err(format!("Cannot concat type {} as list", kind_name(l))),
        }
    }
    if out.is_empty() {
        // Go's `var res []interface{}`, appended to only by elements.
        return Ok(Value::nil_list());
    }
    Ok(Value::list(out))
}

fn chunk(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let size = int(a, 0)?;
    let l = items(nth(a, 1), "Cannot chunk type")?;
    if size <= 0 {
        return Err("runtime error: makeslice: len out of range".into());
    }
    Ok(Value::list(
        l.chunks(size as usize)
            .map(|c| Value::list(c.to_vec()))
            .collect(),
    ))
}

fn compact(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let l = items(nth(a, 0), "Cannot compact on type")?;
    Ok(Value::list(l.into_iter().filter(|v| !empty(v)).collect()))
}

fn sort_alpha(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let v = nth(a, 0);
    let mut out = match v {
        Value::List(_) | Value::StrList(_) | Value::Bytes(_) => to_strings(v),
        other => vec![to_string(other)],
    };
    out.sort();
    Ok(Value::StrList(out.into()))
}

/// Sprig's `untilStep` (Go `[]int`).
/// The number of integers [`until_step_ints`] gives, without making them.
fn until_step_len(start: i64, stop: i64, step: i64) -> u64 {
    let (span, step) = match (stop < start, step) {
        (true, s) if s < 0 => (i128::from(start) - i128::from(stop), -i128::from(s)),
        (false, s) if s > 0 => (i128::from(stop) - i128::from(start), i128::from(s)),
        _ => return 0,
    };
    u64::try_from((span + step - 1) / step).unwrap_or(u64::MAX)
}

/// [`until_step_ints`], its length charged to the budget first.
fn until_step_charged(ctx: &mut Ctx, start: i64, stop: i64, step: i64) -> Result<Vec<i64>, String> {
    ctx.charge(until_step_len(start, stop, step))?;
    Ok(until_step_ints(start, stop, step))
}

pub(crate) fn until_step_ints(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
    }
    v
}

fn ints(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::Int).collect())
}

fn until(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let count = int(a, 0)?;
    Ok(ints(until_step_charged(
        ctx,
        0,
        count,
        if count < 0 { -1 } else { 1 },
    )?))
}

fn until_step(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(ints(until_step_charged(
        ctx,
        int(a, 0)?,
        int(a, 1)?,
        int(a, 2)?,
    )?))
}

fn seq(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let p = (0..a.len())
        .map(|i| int(a, i))
        .collect::<Result<Vec<_>, _>>()?;
    let v = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step_charged(ctx, 1, end + inc, inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_charged(ctx, *start, end + step, step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::str(""));
                }
            }
            until_step_charged(ctx, *start, end + inc, *step)?
        }
        _ => Vec::new(),
    };
    let text: Vec<String> = v.iter().map(i64::to_string).collect();
    Ok(Value::from(text.join(" ")))
}
