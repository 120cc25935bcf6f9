//! Sprig's defaults and flow control (`defaults.go`, `fail`).

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::{boolean, nth, string};
use super::conv::empty;
use super::def;
use super::lists::deep_equal;

/// The defaults and flow-control functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("default", 1, None, default),
    def("empty", 1, Some(1), empty_fn),
    def("coalesce", 0, None, coalesce),
    def("all", 0, None, all),
    def("any", 0, None, any),
    def("ternary", 3, Some(3), ternary),
    def("fail", 1, Some(1), fail),
    def("deepEqual", 2, Some(2), deep_equal_fn),
];

/// `default DEFAULT [GIVEN]`: `GIVEN` unless it is missing or [`empty`].
fn default(_: &mut Ctx, a: &[Value]) -> FuncResult {
    match a.get(1) {
        Some(given) if !empty(given) => Ok(given.clone()),
        _ => Ok(a[0].clone()),
    }
}

fn empty_fn(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Bool(empty(nth(a, 0))))
}

fn coalesce(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or_default())
}

fn all(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Bool(a.iter().all(|v| !empty(v))))
}

fn any(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Bool(a.iter().any(|v| !empty(v))))
}

fn ternary(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(if boolean(a, 2)? {
        a[0].clone()
    } else {
        a[1].clone()
    })
}

/// Sprig's `fail`: the message is the error. (Helm replaces it; see `helm()`.)
fn fail(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Err(string(a, 0)?.to_string())
}

fn deep_equal_fn(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Bool(deep_equal(nth(a, 0), nth(a, 1))))
}
