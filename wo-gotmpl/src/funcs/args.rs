//! Arguments as Go's `text/template` hands them to a typed parameter.
//!
//! A Go function declares its parameter types; the template engine refuses a value of another
//! type before the function runs ("wrong type for value; expected int; got float64"). These
//! helpers do the same check and give the same text; [`super::is_argument_error`] tells such
//! texts apart from a function's own errors.

use std::cell::RefCell;
use std::rc::Rc;

use crate::value::{Map, Value};

/// Go's name for the type of a value a parameter refused: a missing map value is an empty
/// `interface {}`.
fn got(v: &Value) -> String {
    match v {
        Value::Nil => "interface {}".into(),
        other => other.type_name(),
    }
}

/// The error `text/template` gives when an argument does not fit the parameter type.
pub(crate) fn wrong_type(expected: &str, v: &Value) -> String {
    format!("wrong type for value; expected {expected}; got {}", got(v))
}

/// Argument `i`, or `nil` when absent (variadic tails).
pub(crate) fn nth(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Nil)
}

/// A `string` parameter.
pub(crate) fn string(args: &[Value], i: usize) -> Result<&str, String> {
    match nth(args, i) {
        Value::String(s) => Ok(s),
        other => Err(wrong_type("string", other)),
    }
}

/// An `int` parameter.
pub(crate) fn int(args: &[Value], i: usize) -> Result<i64, String> {
    match nth(args, i) {
        Value::Int(n) => Ok(*n),
        other => Err(wrong_type("int", other)),
    }
}

/// A `float64` parameter (an integer constant converts, as Go converts untyped constants).
pub(crate) fn float(args: &[Value], i: usize) -> Result<f64, String> {
    match nth(args, i) {
        Value::Float(x) => Ok(*x),
        Value::Int(n) => Ok(*n as f64),
        other => Err(wrong_type("float64", other)),
    }
}

/// A `bool` parameter.
pub(crate) fn boolean(args: &[Value], i: usize) -> Result<bool, String> {
    match nth(args, i) {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type("bool", other)),
    }
}

/// A `map[string]interface{}` parameter: the shared entries.
pub(crate) fn map(args: &[Value], i: usize) -> Result<Rc<RefCell<Map>>, String> {
    match nth(args, i) {
        Value::Map(m) => Ok(m.clone()),
        other => Err(wrong_type("map[string]interface {}", other)),
    }
}

/// The items of a slice value (`[]interface{}`, `[]string`, `[]byte`), or `None` for other
/// kinds.
pub(crate) fn slice_items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(l) => Some(l.as_ref().clone()),
        Value::StrList(l) => Some(l.iter().map(Value::str).collect()),
        Value::Bytes(b) => Some(b.iter().map(|x| Value::Int(i64::from(*x))).collect()),
        _ => None,
    }
}

/// Go's `reflect.Kind` name of a value, as Sprig prints it in "Cannot … on type KIND".
pub(crate) fn kind_name(v: &Value) -> &str {
    match v {
        Value::Nil => "invalid",
        other => other.kind(),
    }
}

/// What Go prints for a nil value reached through `reflect.TypeOf(nil).Kind()`: a panic.
pub(crate) const NIL_DEREF: &str =
    "runtime error: invalid memory address or nil pointer dereference";
