//! YAML, JSON and TOML as Helm reads and writes them.
//!
//! - [`yaml`]: `sigs.k8s.io/yaml` over go-yaml v2 — [`yaml::decode`] (YAML 1.1 scalars, every
//!   number a `float64`), [`yaml::decode_map`] (values files, `fromYaml`),
//!   [`yaml::decode_array`], [`yaml::to_json`] (what Kubernetes reads a manifest as), and
//!   [`yaml::encode`] (`toYaml`, go-yaml v2's exact layout).
//! - [`json`]: Go's `encoding/json` — [`json::encode`] (HTML-escaped), [`json::encode_raw`],
//!   [`json::encode_pretty`], [`json::decode`].
//! - [`toml`]: BurntSushi/toml's encoder (`toToml`).
//!
//! [`funcs`] gives the template functions built on them.
//!
//! # Fidelity
//!
//! The tests in `helm_diff.rs` compare with the real `helm` (v4.1.4): every values file of the
//! chart corpus, a file of tricky values, 30 random documents (and our `toYaml` and
//! `toYamlPretty` texts read back), documents of odd YAML (tags, anchors, merge keys,
//! directives, tabs, flow and quoted scalars at odd indentation, errors) and odd JSON, through
//! `toYaml`, `toYamlPretty`, `toJson`, `toPrettyJson`, `toRawJson`, `toToml`, `fromYaml`,
//! `fromJson`, `fromJsonArray` and `%v`: all byte for byte, error texts included. Known
//! differences: a raw U+2028/U+2029 in YAML text is a line break to libyaml and content to
//! us; some rarer YAML syntax errors are worded or placed differently than libyaml words them;
//! `fromToml`'s error texts and its dates (text, where Go gives a `time.Time`); nesting budgets
//! (YAML 200 levels, flow collections 255, JSON 1,000) where Go allows 10,000.

pub mod json;
mod number;
pub mod toml;
pub mod yaml;

#[cfg(test)]
mod helm_diff;

use crate::func::{Ctx, FuncDef, FuncMap, FuncResult};
use crate::value::Value;

/// The encoding functions templates call: Helm's `toYaml`, `mustToYaml`, `toYamlPretty`,
/// `fromYaml`, `fromYamlArray`, `toJson`, `mustToJson`, `fromJson`, `fromJsonArray`, `toToml`,
/// `mustToToml`, `fromToml`, and Sprig's `toPrettyJson`, `mustToPrettyJson`, `toRawJson`,
/// `mustToRawJson`, `mustFromJson`.
pub fn funcs() -> FuncMap {
    let mut map = FuncMap::new();
    type Body = fn(&mut Ctx, &[Value]) -> FuncResult;
    let defs: [(&'static str, Body); 17] = [
        ("toYaml", to_yaml),
        ("mustToYaml", must_to_yaml),
        ("toYamlPretty", to_yaml_pretty),
        ("fromYaml", from_yaml),
        ("fromYamlArray", from_yaml_array),
        ("toJson", to_json),
        ("mustToJson", must_to_json),
        ("fromJson", from_json),
        ("fromJsonArray", from_json_array),
        ("mustFromJson", must_from_json),
        ("toPrettyJson", to_pretty_json),
        ("mustToPrettyJson", must_to_pretty_json),
        ("toRawJson", to_raw_json),
        ("mustToRawJson", to_raw_json),
        ("toToml", to_toml),
        ("mustToToml", must_to_toml),
        ("fromToml", from_toml),
    ];
    for (name, f) in defs {
        map.insert(FuncDef {
            name,
            min_args: 1,
            max_args: Some(1),
            f,
        });
    }
    map
}

/// A `string` parameter, as Go's template engine converts an argument to one.
fn string_arg(args: &[Value]) -> Result<&str, String> {
    match &args[0] {
        Value::String(s) => Ok(s),
        Value::Nil => Err("invalid value; expected string".into()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
    }
}

fn trim_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

fn to_yaml(_: &mut Ctx, args: &[Value]) -> FuncResult {
    Ok(Value::from(
        yaml::encode(&args[0]).map(trim_newline).unwrap_or_default(),
    ))
}

fn must_to_yaml(_: &mut Ctx, args: &[Value]) -> FuncResult {
    yaml::encode(&args[0]).map(|s| Value::from(trim_newline(s)))
}

fn to_yaml_pretty(_: &mut Ctx, args: &[Value]) -> FuncResult {
    Ok(Value::from(
        yaml::encode_pretty(&args[0])
            .map(trim_newline)
            .unwrap_or_default(),
    ))
}

fn error_map(message: String) -> Value {
    let mut map = crate::value::Map::new();
    map.insert("Error".into(), Value::from(message));
    Value::map(map)
}

fn from_yaml(_: &mut Ctx, args: &[Value]) -> FuncResult {
    let text = string_arg(args)?;
    Ok(yaml::decode_map(text).unwrap_or_else(error_map))
}

fn from_yaml_array(_: &mut Ctx, args: &[Value]) -> FuncResult {
    let text = string_arg(args)?;
    Ok(yaml::decode_array(text).unwrap_or_else(|e| Value::list(vec![Value::from(e)])))
}

fn to_json(_: &mut Ctx, args: &[Value]) -> FuncResult {
    Ok(Value::from(json::encode(&args[0]).unwrap_or_default()))
}

fn must_to_json(_: &mut Ctx, args: &[Value]) -> FuncResult {
    json::encode(&args[0]).map(Value::from)
}

/// Helm's `fromJson`: a map; on error, a map holding the message under `Error` (next to what
/// was read before a number out of range). JSON `null` makes Go's map nil.
fn from_json(_: &mut Ctx, args: &[Value]) -> FuncResult {
    let text = string_arg(args)?;
    Ok(match json::decode_partial(text) {
        Ok((map @ Value::Map(_), None)) => map,
        Ok((Value::Map(map), Some(e))) => {
            map.borrow_mut().insert("Error".into(), Value::from(e));
            Value::Map(map)
        }
        // `null` sets the Go slice to nil.
        Ok((Value::Nil, _)) => Value::nil_list(),
        Ok((other, _)) => error_map(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e),
    })
}

/// Helm's `fromJsonArray`: a list; on error, a list holding only the message.
fn from_json_array(_: &mut Ctx, args: &[Value]) -> FuncResult {
    let text = string_arg(args)?;
    let error = |e: String| Value::list(vec![Value::from(e)]);
    Ok(match json::decode_partial(text) {
        Ok((list @ Value::List(_), None)) => list,
        Ok((Value::List(_), Some(e))) => error(e),
        // `null` sets the Go slice to nil.
        Ok((Value::Nil, _)) => Value::nil_list(),
        Ok((other, _)) => error(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error(e),
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "array",
        Value::Map(_) => "object",
        _ => "null",
    }
}

fn must_from_json(_: &mut Ctx, args: &[Value]) -> FuncResult {
    json::decode(string_arg(args)?)
}

fn to_pretty_json(_: &mut Ctx, args: &[Value]) -> FuncResult {
    Ok(Value::from(
        json::encode_pretty(&args[0]).unwrap_or_default(),
    ))
}

fn must_to_pretty_json(_: &mut Ctx, args: &[Value]) -> FuncResult {
    json::encode_pretty(&args[0]).map(Value::from)
}

/// Sprig's `toRawJson` panics on an error, which the template reports: the same as
/// `mustToRawJson`.
fn to_raw_json(_: &mut Ctx, args: &[Value]) -> FuncResult {
    json::encode_raw(&args[0]).map(Value::from)
}

/// Helm's `toToml` returns the error text in place of the document.
fn to_toml(_: &mut Ctx, args: &[Value]) -> FuncResult {
    Ok(Value::from(toml::encode(&args[0]).unwrap_or_else(|e| e)))
}

fn must_to_toml(_: &mut Ctx, args: &[Value]) -> FuncResult {
    toml::encode(&args[0]).map(Value::from)
}

fn from_toml(_: &mut Ctx, args: &[Value]) -> FuncResult {
    let text = string_arg(args)?;
    Ok(toml::decode(text).unwrap_or_else(error_map))
}
