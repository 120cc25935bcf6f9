//! YAML as Helm reads and writes it: `sigs.k8s.io/yaml` over go-yaml v2.
//!
//! - [`decode`]: `yaml.Unmarshal` into `interface{}` — YAML 1.1 scalars (`on` is `true`,
//!   `0777` is 511), then the JSON round trip: every number a `float64`, map keys strings.
//! - [`to_json`]: `yaml.YAMLToJSON` — the same, but integers stay integers (how Kubernetes
//!   reads a manifest document).
//! - [`encode`]: `yaml.Marshal` — `encoding/json` first, then go-yaml v2's emitter, byte for
//!   byte (`toYaml`).

pub(crate) mod decode;
mod emit;
mod resolve;

use std::collections::BTreeMap;

use crate::value::{Map, Value};

use decode::{decode_first_document, GoYaml};

/// `sigs.k8s.io/yaml.Unmarshal(text, &v)` with `v interface{}`: the first document of `text`
/// as JSON would give it back — maps, lists, strings, booleans, `nil`, and every number a
/// `float64` (integers above 2^53 lose precision as in Go). An empty stream is `nil`.
///
/// # Errors
///
/// Go's message: `error converting YAML to JSON: yaml: line 3: …` for a syntax error,
/// `error converting YAML to JSON: json: unsupported value: +Inf` for `.inf`, and so on.
pub fn decode(text: &str) -> Result<Value, String> {
    let json = jsonable(text)?;
    Ok(json.into_value())
}

/// `sigs.k8s.io/yaml.Unmarshal(text, &m)` with `m map[string]interface{}`, as Helm reads
/// values files and `fromYaml` reads its argument: a map (empty for an empty or `null`
/// document).
///
/// # Errors
///
/// As [`decode`], and Go's JSON error when the document is not a mapping
/// (`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value
/// of type map[string]interface {}`).
pub fn decode_map(text: &str) -> Result<Value, String> {
    match jsonable(text)? {
        Jsonable::Null => Ok(Value::empty_map()),
        map @ Jsonable::Map(_) => Ok(map.into_value()),
        other => Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go \
             value of type map[string]interface {{}}",
            other.json_kind()
        )),
    }
}

/// `sigs.k8s.io/yaml.Unmarshal(text, &a)` with `a []interface{}` (`fromYamlArray`): a list
/// (empty for an empty or `null` document).
///
/// # Errors
///
/// As [`decode`], and Go's JSON error when the document is not a sequence.
pub fn decode_array(text: &str) -> Result<Value, String> {
    match jsonable(text)? {
        Jsonable::Null => Ok(Value::list(Vec::new())),
        list @ Jsonable::List(_) => Ok(list.into_value()),
        other => Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go \
             value of type []interface {{}}",
            other.json_kind()
        )),
    }
}

/// `sigs.k8s.io/yaml.YAMLToJSON`: what Kubernetes reads a manifest document as. YAML 1.1
/// scalars, integers kept as integers (`int64`, or `uint64` above it), floats as floats (an
/// integral float within `i64` is given as an integer, as Go's JSON text `1` reads back),
/// object keys sorted as Go's `encoding/json` writes them.
///
/// # Errors
///
/// As [`decode`], without the `error converting YAML to JSON: ` prefix.
pub fn to_json(text: &str) -> Result<serde_json::Value, String> {
    let json = jsonable(text).map_err(|e| {
        e.strip_prefix("error converting YAML to JSON: ")
            .map(str::to_string)
            .unwrap_or(e)
    })?;
    Ok(json.into_json())
}

/// The JSON-able tree `sigs.k8s.io/yaml` builds between go-yaml and `encoding/json`.
#[derive(Debug, Clone)]
enum Jsonable {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    List(Vec<Jsonable>),
    Map(BTreeMap<String, Jsonable>),
}

/// libyaml's reader: the characters a YAML stream may hold.
pub(crate) fn allowed_in_stream(c: char) -> bool {
    matches!(c as u32,
        0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

fn jsonable(text: &str) -> Result<Jsonable, String> {
    let wrap = |e: String| format!("error converting YAML to JSON: {e}");
    if !text.chars().all(allowed_in_stream) {
        return Err(wrap("yaml: control characters are not allowed".into()));
    }
    let Some(go) = decode_first_document(text).map_err(wrap)? else {
        return Ok(Jsonable::Null);
    };
    let json = convert(go).map_err(wrap)?;
    check_json_floats(&json).map_err(wrap)?;
    Ok(json)
}

/// `convertToJSONableObject`: map keys become strings (ints in decimal, floats as
/// `FormatFloat(f, 'g', -1, 32)`, booleans `true`/`false`).
fn convert(go: GoYaml) -> Result<Jsonable, String> {
    Ok(match go {
        GoYaml::Nil => Jsonable::Null,
        GoYaml::Bool(b) => Jsonable::Bool(b),
        GoYaml::Int(i) => Jsonable::Int(i),
        GoYaml::Uint(u) => Jsonable::Uint(u),
        GoYaml::Float(f) => Jsonable::Float(f),
        GoYaml::Str(s) => Jsonable::Str(s),
        GoYaml::Seq(items) => {
            Jsonable::List(items.into_iter().map(convert).collect::<Result<_, _>>()?)
        }
        GoYaml::Map(pairs) => {
            let mut map = BTreeMap::new();
            for (k, v) in pairs {
                let key = match k {
                    GoYaml::Str(s) => s,
                    GoYaml::Int(i) => i.to_string(),
                    GoYaml::Float(f) => match f {
                        f if f.is_nan() => ".nan".into(),
                        f if f == f64::INFINITY => ".inf".into(),
                        f if f == f64::NEG_INFINITY => "-.inf".into(),
                        f => crate::encoding::number::format_g32(f),
                    },
                    GoYaml::Bool(b) => b.to_string(),
                    GoYaml::Uint(u) => {
                        return Err(format!(
                            "unsupported map key of type: uint64, key: {u:#x}, value: {}",
                            go_value_text(&v)
                        ))
                    }
                    GoYaml::Nil => {
                        return Err(format!(
                            "unsupported map key of type: %!s(<nil>), key: <nil>, value: {}",
                            go_value_text(&v)
                        ))
                    }
                    GoYaml::Seq(_) | GoYaml::Map(_) => {
                        return Err("unsupported map key of a collection type".into())
                    }
                };
                map.insert(key, convert(v)?);
            }
            Jsonable::Map(map)
        }
    })
}

fn go_value_text(v: &GoYaml) -> String {
    match v {
        GoYaml::Str(s) => format!("{s:?}"),
        GoYaml::Nil => "<nil>".into(),
        other => format!("{other:?}"),
    }
}

/// `json.Marshal` refuses NaN and ±Inf; the first in encoding order (keys sorted) is reported.
fn check_json_floats(json: &Jsonable) -> Result<(), String> {
    match json {
        Jsonable::Float(f) if !f.is_finite() => Err(format!(
            "json: unsupported value: {}",
            crate::value::format_float_v(*f)
        )),
        Jsonable::List(items) => items.iter().try_for_each(check_json_floats),
        Jsonable::Map(map) => map.values().try_for_each(check_json_floats),
        _ => Ok(()),
    }
}

impl Jsonable {
    fn json_kind(&self) -> &'static str {
        match self {
            Jsonable::Null => "null",
            Jsonable::Bool(_) => "bool",
            Jsonable::Int(_) | Jsonable::Uint(_) | Jsonable::Float(_) => "number",
            Jsonable::Str(_) => "string",
            Jsonable::List(_) => "array",
            Jsonable::Map(_) => "object",
        }
    }

    /// `json.Unmarshal` into `interface{}`: numbers are `float64`.
    fn into_value(self) -> Value {
        match self {
            Jsonable::Null => Value::Nil,
            Jsonable::Bool(b) => Value::Bool(b),
            Jsonable::Int(i) => Value::Float(i as f64),
            Jsonable::Uint(u) => Value::Float(u as f64),
            Jsonable::Float(f) => Value::Float(f),
            Jsonable::Str(s) => Value::from(s),
            Jsonable::List(items) => {
                Value::list(items.into_iter().map(Jsonable::into_value).collect())
            }
            Jsonable::Map(map) => Value::map(
                map.into_iter()
                    .map(|(k, v)| (k, v.into_value()))
                    .collect::<Map>(),
            ),
        }
    }

    fn into_json(self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Jsonable::Null => J::Null,
            Jsonable::Bool(b) => J::Bool(b),
            Jsonable::Int(i) => J::from(i),
            Jsonable::Uint(u) => J::from(u),
            Jsonable::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    J::from(f as i64)
                } else {
                    serde_json::Number::from_f64(f).map_or(J::Null, J::Number)
                }
            }
            Jsonable::Str(s) => J::String(s),
            Jsonable::List(items) => J::Array(items.into_iter().map(Jsonable::into_json).collect()),
            Jsonable::Map(map) => {
                J::Object(map.into_iter().map(|(k, v)| (k, v.into_json())).collect())
            }
        }
    }
}

/// `sigs.k8s.io/yaml.Marshal`: the value as `encoding/json` gives it, re-read by go-yaml v2 and
/// written by its emitter (`toYaml` before Helm trims the final newline). Map keys are sorted
/// (go-yaml's order: numbers within keys compare by value), sequences inside mappings are not
/// indented, strings that would read back as something else are double-quoted, multi-line
/// strings are literal blocks, long strings fold at column 80.
///
/// # Errors
///
/// Go's `json.Marshal` errors (`error marshaling into JSON: json: unsupported value: NaN`).
pub fn encode(value: &Value) -> Result<String, String> {
    let node = emit::Node::from_value(value)?;
    Ok(emit::emit(&node, emit::Flavor::V2))
}

/// Helm's `toYamlPretty`: go-yaml v3's encoder with a 2-space indent, on the value itself (no
/// JSON step: a `float64` 1000000 is written `1e+06`), sequences indented inside mappings, no
/// folding of long lines.
///
/// # Errors
///
/// None: every value has a YAML form (the `Result` keeps the signature of [`encode`]).
pub fn encode_pretty(value: &Value) -> Result<String, String> {
    Ok(emit::emit(
        &emit::Node::from_value_v3(value),
        emit::Flavor::V3,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decode_as_helm_reads_them() {
        let v = decode_map(
            "a: on\nb: \"on\"\nc: 0777\nd: 1e3\ne: 12345678901\nf: 9007199254740993\n\
             g: 2001-12-14\nh:\n1: one\n1.5: x\ntrue: t\nbase: &b {x: 1, z: 2}\n\
             m:\n  z: 0\n  <<: *b\n  x: 3\n",
        )
        .unwrap();
        assert_eq!(
            format!("{v:?}"),
            "{\"1\": \"one\", \"1.5\": \"x\", \"a\": true, \"b\": \"on\", \
             \"base\": {\"x\": float64(1), \"z\": float64(2)}, \"c\": float64(511), \
             \"d\": float64(1000), \"e\": float64(12345678901), \
             \"f\": float64(9007199254740992), \"g\": \"2001-12-14\", \"h\": nil, \
             \"m\": {\"x\": float64(3), \"z\": float64(2)}, \"true\": \"t\"}"
        );
        assert!(matches!(decode("").unwrap(), Value::Nil));
        assert!(
            matches!(decode_map("# only a comment\n").unwrap(), Value::Map(m) if m.borrow().is_empty())
        );
        assert_eq!(
            decode("x: .inf").unwrap_err(),
            "error converting YAML to JSON: json: unsupported value: +Inf"
        );
        assert!(decode("a: [1, 2")
            .unwrap_err()
            .starts_with("error converting YAML to JSON: yaml: "));
        assert_eq!(
            decode_map("- a").unwrap_err(),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go \
             value of type map[string]interface {}"
        );
        assert_eq!(
            format!("{:?}", decode("a: 1\n---\nb: 2\n").unwrap()),
            "{\"a\": float64(1)}"
        );
    }

    #[test]
    fn manifests_read_as_kubernetes_reads_them() {
        let json =
            to_json("port: 8080\nratio: 1.5\nflag: yes\nmode: 0777\nname: \"on\"\n").unwrap();
        assert_eq!(
            json.to_string(),
            r#"{"flag":true,"mode":511,"name":"on","port":8080,"ratio":1.5}"#
        );
    }

    #[test]
    fn to_yaml_layout_is_go_yaml_v2s() {
        let v = decode_map(
            "list: [a, 1, \"on\", \"\"]\nmap: {k: v, empty: {}, none: []}\ntext: \"two\\nlines\"\n\
             num: 1000000\nf: 1.5\nbig: 1e21\nsmall: 0.000001\nports: \"80:30\"\n",
        )
        .unwrap();
        assert_eq!(
            encode(&v).unwrap(),
            "big: 1e+21\nf: 1.5\nlist:\n- a\n- 1\n- \"on\"\n- \"\"\nmap:\n  empty: {}\n  k: v\n  \
             none: []\nnum: 1000000\nports: \"80:30\"\nsmall: 1e-06\ntext: |-\n  two\n  lines\n"
        );
        assert_eq!(encode(&Value::Nil).unwrap(), "null\n");
        assert_eq!(encode(&Value::str("a\tb")).unwrap(), "\"a\\tb\"\n");
        assert_eq!(encode(&Value::str("it's: x")).unwrap(), "'it''s: x'\n");
        assert_eq!(encode(&Value::str("😀")).unwrap(), "\"\\U0001F600\"\n");
    }
}
