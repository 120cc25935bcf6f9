//! Sprig's type inspection (`reflect.go`): Go type and kind names.

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::{nth, string};
use super::def;

/// The type-inspection functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("typeOf", 1, Some(1), type_of),
    def("typeIs", 2, Some(2), type_is),
    def("typeIsLike", 2, Some(2), type_is_like),
    def("kindOf", 1, Some(1), kind_of),
    def("kindIs", 2, Some(2), kind_is),
];

fn type_of(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(nth(a, 0).type_name()))
}

fn type_is(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let target = string(a, 0)?;
    Ok(Value::Bool(nth(a, 1).type_name() == target))
}

fn type_is_like(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let target = string(a, 0)?;
    let t = nth(a, 1).type_name();
    Ok(Value::Bool(
        t == target || t.strip_prefix('*') == Some(target),
    ))
}

fn kind_of(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::str(nth(a, 0).kind()))
}

fn kind_is(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let target = string(a, 0)?;
    Ok(Value::Bool(nth(a, 1).kind() == target))
}
