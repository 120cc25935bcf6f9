//! Helm's own functions (`pkg/engine`): `required`, `fail` and the offline `lookup`.

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::{nth, string};
use super::def;

/// Where Helm's engine marks the start of a `required`/`fail` message inside an execution error;
/// Helm reports such an error as `execution error at (FILE:LINE:COL): MESSAGE`.
pub const WARN_START: &str = "HELM_ERR_START";
/// The end of that mark.
pub const WARN_END: &str = "HELM_ERR_END";

/// Helm's functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("required", 2, Some(2), required),
    def("fail", 1, Some(1), fail),
    def("lookup", 4, Some(4), lookup),
];

fn wrapped(message: &str) -> String {
    format!("{WARN_START}{message}{WARN_END}")
}

/// `required MESSAGE VALUE`: the value, or the message as the error when it is nil or `""`.
fn required(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let message = string(a, 0)?;
    match nth(a, 1) {
        Value::Nil => Err(wrapped(message)),
        Value::String(s) if s.is_empty() => Err(wrapped(message)),
        v => Ok(v.clone()),
    }
}

fn fail(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Err(wrapped(string(a, 0)?))
}

/// `lookup API_VERSION KIND NAMESPACE NAME`: without a cluster, an empty map.
fn lookup(_: &mut Ctx, a: &[Value]) -> FuncResult {
    for i in 0..4 {
        string(a, i)?;
    }
    Ok(Value::empty_map())
}
