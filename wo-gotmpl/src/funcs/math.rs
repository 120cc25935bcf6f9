//! Sprig's arithmetic and conversions (`numeric.go`): integer math in `int64` through
//! `cast.ToInt64` (so `1.9` counts as 1 and `"abc"` as 0), float math in `float64`.

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::{float, int, nth};
use super::conv::{parse_go_int, to_float64_or_zero, to_int64_or_zero};
use super::decimal::{self, Op};
use super::def;

/// The math functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("add1", 1, Some(1), add1),
    def("add", 0, None, add),
    def("sub", 2, Some(2), sub),
    def("div", 2, Some(2), div),
    def("mod", 2, Some(2), modulo),
    def("mul", 1, None, mul),
    def("randInt", 2, Some(2), rand_int),
    def("add1f", 1, Some(1), add1f),
    def("addf", 0, None, addf),
    def("subf", 1, None, subf),
    def("divf", 1, None, divf),
    def("mulf", 1, None, mulf),
    def("biggest", 1, None, max),
    def("max", 1, None, max),
    def("min", 1, None, min),
    def("maxf", 1, None, maxf),
    def("minf", 1, None, minf),
    def("ceil", 1, Some(1), ceil),
    def("floor", 1, Some(1), floor),
    def("round", 2, None, round),
    def("int64", 1, Some(1), int64),
    def("int", 1, Some(1), int_fn),
    def("float64", 1, Some(1), float64),
    def("toDecimal", 1, Some(1), to_decimal),
];

const DIVIDE_BY_ZERO: &str = "runtime error: integer divide by zero";

fn i(v: &Value) -> i64 {
    to_int64_or_zero(v)
}

fn add1(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int64(i(nth(a, 0)).wrapping_add(1)))
}

fn add(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int64(
        a.iter().fold(0i64, |acc, v| acc.wrapping_add(i(v))),
    ))
}

fn sub(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int64(i(nth(a, 0)).wrapping_sub(i(nth(a, 1)))))
}

fn div(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let d = i(nth(a, 1));
    if d == 0 {
        return Err(DIVIDE_BY_ZERO.into());
    }
    Ok(Value::Int64(i(nth(a, 0)).wrapping_div(d)))
}

fn modulo(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let d = i(nth(a, 1));
    if d == 0 {
        return Err(DIVIDE_BY_ZERO.into());
    }
    Ok(Value::Int64(i(nth(a, 0)).wrapping_rem(d)))
}

fn mul(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int64(
        a[1..]
            .iter()
            .fold(i(nth(a, 0)), |acc, v| acc.wrapping_mul(i(v))),
    ))
}

/// `randInt MIN MAX`: a number in `[MIN, MAX)` from the context's random source.
fn rand_int(ctx: &mut Ctx, a: &[Value]) -> FuncResult {
    let lo = int(a, 0)?;
    let hi = int(a, 1)?;
    if hi <= lo {
        return Err("invalid argument to Intn".into());
    }
    Ok(Value::Int(lo + ctx.below((hi - lo) as u64) as i64))
}

fn decimal_fold(first: &Value, rest: &[Value], op: Op) -> FuncResult {
    let values: Vec<f64> = rest.iter().map(to_float64_or_zero).collect();
    Ok(Value::Float(decimal::fold(
        to_float64_or_zero(first),
        &values,
        op,
    )))
}

fn add1f(_: &mut Ctx, a: &[Value]) -> FuncResult {
    decimal_fold(nth(a, 0), &[Value::Int(1)], Op::Add)
}

fn addf(_: &mut Ctx, a: &[Value]) -> FuncResult {
    decimal_fold(&Value::Float(0.0), a, Op::Add)
}

fn subf(_: &mut Ctx, a: &[Value]) -> FuncResult {
    decimal_fold(nth(a, 0), &a[1..], Op::Sub)
}

fn mulf(_: &mut Ctx, a: &[Value]) -> FuncResult {
    decimal_fold(nth(a, 0), &a[1..], Op::Mul)
}

fn divf(_: &mut Ctx, a: &[Value]) -> FuncResult {
    if a[1..].iter().any(|v| to_float64_or_zero(v) == 0.0) {
        return Err("decimal division by 0".into());
    }
    decimal_fold(nth(a, 0), &a[1..], Op::Div)
}

fn max(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int64(a.iter().map(i).max().unwrap_or(0)))
}

fn min(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int64(a.iter().map(i).min().unwrap_or(0)))
}

/// Go's `math.Max`: NaN wins, +0 beats -0.
fn go_max(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x > 0.0 || y.is_infinite() && y > 0.0 {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y {
        x
    } else {
        y
    }
}

fn go_min(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x < 0.0 || y.is_infinite() && y < 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y {
        x
    } else {
        y
    }
}

fn maxf(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let first = to_float64_or_zero(nth(a, 0));
    Ok(Value::Float(
        a[1..]
            .iter()
            .fold(first, |acc, v| go_max(acc, to_float64_or_zero(v))),
    ))
}

fn minf(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let first = to_float64_or_zero(nth(a, 0));
    Ok(Value::Float(
        a[1..]
            .iter()
            .fold(first, |acc, v| go_min(acc, to_float64_or_zero(v))),
    ))
}

fn ceil(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Float(to_float64_or_zero(nth(a, 0)).ceil()))
}

fn floor(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Float(to_float64_or_zero(nth(a, 0)).floor()))
}

/// `round VALUE PLACES [ROUND_ON]`: Sprig's rounding (up when the fraction of
/// `VALUE * 10^PLACES` is at least `ROUND_ON`, 0.5 by default).
fn round(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let places = int(a, 1)?;
    let round_on = if a.len() > 2 { float(a, 2)? } else { 0.5 };
    let value = to_float64_or_zero(nth(a, 0));
    let pow = 10f64.powf(places as f64);
    let digit = pow * value;
    let frac = digit - digit.trunc();
    let rounded = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(rounded / pow))
}

fn int64(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int64(i(nth(a, 0))))
}

fn int_fn(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Int(i(nth(a, 0))))
}

fn float64(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::Float(to_float64_or_zero(nth(a, 0))))
}

/// `toDecimal`: the value's `%v` read as an octal number (0 when it is not one).
fn to_decimal(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let text = nth(a, 0).to_string();
    let body = text.strip_prefix(['+', '-']).unwrap_or(&text);
    let n = if !body.is_empty() && body.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        parse_go_int(&format!(
            "{}0o{body}",
            if text.starts_with('-') { "-" } else { "" }
        ))
        .unwrap_or(0)
    } else {
        0
    };
    Ok(Value::Int64(n))
}
