//! Evaluation of parsed expressions, and the built-in functions.
//!
//! Evaluation returns `Cow` so literals are borrowed from the parsed tree rather than cloned:
//! a template is parsed once and evaluated for thousands of targets.
use super::{Expr, ExprError, Scope, Span, MAX_STRING_BYTES};
use crate::value::{type_name, Value};
use serde_json::Number;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::IpAddr;

type Out<'e> = Result<Cow<'e, Value>, ExprError>;

/// Evaluates `expr` against `scope`.
pub(super) fn eval<'e>(expr: &'e Expr, scope: &dyn Scope) -> Out<'e> {
    match expr {
        Expr::Literal(v, _) => Ok(Cow::Borrowed(v)),
        Expr::Concat(parts, span) => {
            let mut s = String::new();
            for p in parts {
                write_text(&*eval(p, scope)?, &mut s);
                check_length(&s, *span)?;
            }
            Ok(Cow::Owned(Value::String(s)))
        }
        Expr::Call { name, args, span } => call(name, args, *span, scope),
    }
}

/// Appends the text form of `v`: strings raw, null as nothing, the rest as compact JSON.
pub(super) fn write_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Null => {}
        // Writing to a String cannot fail.
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// Fails when a string being built has grown past [`MAX_STRING_BYTES`].
pub(super) fn check_length(s: &str, span: Span) -> Result<(), ExprError> {
    if s.len() > MAX_STRING_BYTES {
        let mut e = ExprError::new(
            format!(
                "the expression builds a string of more than {} MiB (budget: MAX_STRING_BYTES)",
                MAX_STRING_BYTES >> 20
            ),
            span,
        );
        e.hint = Some("does a chain of `+` or `$property` double a string at each step?".into());
        e.budget = true;
        return Err(e);
    }
    Ok(())
}

fn owned(v: Value) -> Out<'static> {
    Ok(Cow::Owned(v))
}

fn boolean(b: bool) -> Out<'static> {
    owned(Value::Bool(b))
}

fn call<'e>(name: &str, args: &'e [Expr], span: Span, scope: &dyn Scope) -> Out<'e> {
    // Arity was checked by the parser; `arg` still never indexes out of bounds, so a
    // hand-built `Expr` gets an error rather than a panic.
    let arg = |i: usize| -> Result<&'e Expr, ExprError> {
        args.get(i)
            .ok_or_else(|| ExprError::new(format!("`${name}` is missing argument {}", i + 1), span))
    };
    match name {
        "val" | "property" | "target" | "source" => {
            let a = arg(0)?;
            let v = eval(a, scope)?;
            let path = path_text(&v, a.span())?;
            let r = match name {
                "val" => scope.val(&path),
                "property" => scope.property(&path),
                "source" => scope.source(&path),
                _ => scope.target(&path),
            };
            r.map(Cow::Owned).map_err(|m| ExprError::new(m, span))
        }
        "if" => {
            let c = arg(0)?;
            if truth(&*eval(c, scope)?, c.span())? {
                eval(arg(1)?, scope)
            } else {
                eval(arg(2)?, scope)
            }
        }
        "eq" | "ne" => {
            let a = eval(arg(0)?, scope)?;
            let b = eval(arg(1)?, scope)?;
            boolean(deep_eq(&a, &b) == (name == "eq"))
        }
        "gt" | "ge" | "lt" | "le" => {
            let a = eval(arg(0)?, scope)?;
            let b = eval(arg(1)?, scope)?;
            let o = compare(name, &a, &b, span)?;
            boolean(match name {
                "gt" => o == Ordering::Greater,
                "ge" => o != Ordering::Less,
                "lt" => o == Ordering::Less,
                _ => o != Ordering::Greater,
            })
        }
        "between" => {
            let v = eval(arg(0)?, scope)?;
            let lo = eval(arg(1)?, scope)?;
            let hi = eval(arg(2)?, scope)?;
            let above = compare(name, &v, &lo, span)? != Ordering::Less;
            let below = compare(name, &v, &hi, span)? != Ordering::Greater;
            boolean(above && below)
        }
        "not" => {
            let a = arg(0)?;
            boolean(!truth(&*eval(a, scope)?, a.span())?)
        }
        "and" | "or" => {
            // Short-circuits: `and` stops at the first false, `or` at the first true.
            let stop_at = name == "or";
            for a in args {
                if truth(&*eval(a, scope)?, a.span())? == stop_at {
                    return boolean(stop_at);
                }
            }
            boolean(!stop_at)
        }
        "any" => {
            if let [single] = args {
                let v = eval(single, scope)?;
                if let Value::Array(items) = &*v {
                    let mut any = false;
                    for item in items {
                        any |= truth(item, single.span())?;
                    }
                    return boolean(any);
                }
                return boolean(truth(&v, single.span())?);
            }
            let mut any = false;
            for a in args {
                any |= truth(&*eval(a, scope)?, a.span())?;
            }
            boolean(any)
        }
        "empty" => {
            let v = eval(arg(0)?, scope)?;
            boolean(match &*v {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(m) => m.is_empty(),
                _ => false,
            })
        }
        "cidr_contains" => {
            let (c, i) = (arg(0)?, arg(1)?);
            let cidr = eval(c, scope)?;
            let ip = eval(i, scope)?;
            let cidr = string_arg(name, &cidr, c.span())?;
            let ip = string_arg(name, &ip, i.span())?;
            boolean(cidr_contains(cidr, c.span(), ip, i.span())?)
        }
        "include" => Err(ExprError::new(
            "`$include` is only allowed as a key".to_string(),
            span,
        )),
        "config" => {
            let mut e = ExprError::new(
                "`$config` reads another resource of the service; it is not supported offline"
                    .to_string(),
                span,
            );
            e.unsupported = true;
            Err(e)
        }
        _ => Err(ExprError::new(format!("unknown function `${name}`"), span)),
    }
}

/// The path a lookup function was given: strings as they are, scalars as they print.
fn path_text(v: &Value, span: Span) -> Result<Cow<'_, str>, ExprError> {
    match v {
        Value::String(s) => Ok(Cow::Borrowed(s)),
        Value::Number(n) => Ok(Cow::Owned(n.to_string())),
        Value::Bool(b) => Ok(Cow::Borrowed(if *b { "true" } else { "false" })),
        other => Err(ExprError::new(
            format!("expected a path, found {}", type_name(other)),
            span,
        )),
    }
}

fn string_arg<'v>(name: &str, v: &'v Value, span: Span) -> Result<&'v str, ExprError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(ExprError::new(
            format!("`${name}` expects a string, found {}", type_name(other)),
            span,
        )),
    }
}

/// A condition's truth: booleans as they are, null as false, anything else is an error.
fn truth(v: &Value, span: Span) -> Result<bool, ExprError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        other => Err(ExprError::new(
            format!("expected a boolean, found {}", type_name(other)),
            span,
        )),
    }
}

/// An integer view of a number, exact for every i64 and u64.
fn int_of(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Numeric order: exact when both are integers, otherwise as f64.
fn num_cmp(a: &Number, b: &Number) -> Ordering {
    match (int_of(a), int_of(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        // serde_json numbers are never NaN, so partial_cmp always answers.
        _ => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

/// Deep equality where numbers compare by value (5 == 5.0) and maps ignore key order.
pub(super) fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| deep_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Orders two numbers or two strings; any other pair is an error.
fn compare(name: &str, a: &Value, b: &Value, span: Span) -> Result<Ordering, ExprError> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Ok(num_cmp(x, y)),
        (Value::String(x), Value::String(y)) => Ok(x.as_str().cmp(y.as_str())),
        _ => Err(ExprError::new(
            format!(
                "`${name}` compares two numbers or two strings, found {} and {}",
                type_name(a),
                type_name(b)
            ),
            span,
        )),
    }
}

/// Whether `ip` lies in the range `cidr` (`10.0.0.0/8`, `fd00::/8`). Different address
/// families never contain each other.
pub(super) fn cidr_contains(
    cidr: &str,
    cidr_span: Span,
    ip: &str,
    ip_span: Span,
) -> Result<bool, ExprError> {
    let bad_cidr = || {
        ExprError::new(
            format!("`{cidr}` is not a CIDR range (like `10.0.0.0/8`)"),
            cidr_span,
        )
    };
    let (net, prefix) = cidr.trim().split_once('/').ok_or_else(bad_cidr)?;
    let net: IpAddr = net.parse().map_err(|_| bad_cidr())?;
    let prefix: u32 = prefix.parse().map_err(|_| bad_cidr())?;
    let ip: IpAddr = ip
        .trim()
        .parse()
        .map_err(|_| ExprError::new(format!("`{ip}` is not an IP address"), ip_span))?;
    let bits = if net.is_ipv4() { 32 } else { 128 };
    if prefix > bits {
        return Err(bad_cidr());
    }
    let (net, addr) = match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u128::from(u32::from(n)), u128::from(u32::from(a))),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a)),
        _ => return Ok(false),
    };
    // Compare the top `prefix` bits; a zero prefix matches everything (and would overflow the shift).
    let shift = bits - prefix;
    Ok(prefix == 0 || (net >> shift) == (addr >> shift))
}
