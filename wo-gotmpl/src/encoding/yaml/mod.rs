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
pub mod head;
mod order;
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

/// Which values a Go struct holds as `string`: the path of map keys to a value, `[]` standing
/// for any list element (`["maintainers", "[]", "name"]`).
pub type StringTargets<'a> = &'a dyn Fn(&[String]) -> bool;

/// `sigs.k8s.io/yaml.Unmarshal` into a Go struct whose fields at `string_targets` are strings
/// (Helm reading `Chart.yaml` into `chart.Metadata`): a number or boolean read there becomes its
/// text as `sigs.k8s.io/yaml` writes it — an integer in decimal, a float as
/// `FormatFloat(f, 'g', -1, 32)` (`appVersion: 1.10` is `"1.1"`), `true`/`false`. Everything
/// else reads as [`decode`] reads it.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_with_string_targets(
    text: &str,
    string_targets: StringTargets<'_>,
) -> Result<Value, String> {
    Ok(jsonable_with(text, Some(string_targets))?.into_value())
}

fn jsonable(text: &str) -> Result<Jsonable, String> {
    jsonable_with(text, None)
}

fn jsonable_with(text: &str, strings: Option<StringTargets<'_>>) -> Result<Jsonable, String> {
    let wrap = |e: String| format!("error converting YAML to JSON: {e}");
    if !text.chars().all(allowed_in_stream) {
        return Err(wrap("yaml: control characters are not allowed".into()));
    }
    // YAML 1.1 (libyaml) takes a raw U+0085 (NEL) as a line break and reads it as `\n` in
    // scalars; saphyr (YAML 1.2) takes it as content. Breaking the line first reads as libyaml.
    let text = if text.contains('\u{85}') {
        std::borrow::Cow::Owned(text.replace('\u{85}', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let text = text.as_ref();
    let Some(go) = decode_first_document(text).map_err(wrap)? else {
        return Ok(Jsonable::Null);
    };
    let json = convert(go, &mut Vec::new(), strings).map_err(wrap)?;
    check_json_floats(&json).map_err(wrap)?;
    Ok(json)
}

/// `convertToJSONableObject`: map keys become strings (ints in decimal, floats as
/// `FormatFloat(f, 'g', -1, 32)`, booleans `true`/`false`).
fn convert(
    go: GoYaml,
    path: &mut Vec<String>,
    strings: Option<StringTargets<'_>>,
) -> Result<Jsonable, String> {
    if let Some(is_string) = strings {
        let text = match &go {
            GoYaml::Int(i) => Some(i.to_string()),
            GoYaml::Uint(u) => Some(u.to_string()),
            GoYaml::Float(f) => Some(crate::encoding::number::format_g32(*f)),
            GoYaml::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        if let Some(text) = text.filter(|_| is_string(path)) {
            return Ok(Jsonable::Str(text));
        }
    }
    Ok(match go {
        GoYaml::Nil => Jsonable::Null,
        GoYaml::Bool(b) => Jsonable::Bool(b),
        GoYaml::Int(i) => Jsonable::Int(i),
        GoYaml::Uint(u) => Jsonable::Uint(u),
        GoYaml::Float(f) => Jsonable::Float(f),
        GoYaml::Str(s) => Jsonable::Str(s),
        GoYaml::Seq(items) => {
            path.push("[]".into());
            let items = items
                .into_iter()
                .map(|item| convert(item, path, strings))
                .collect::<Result<_, _>>();
            path.pop();
            Jsonable::List(items?)
        }
        GoYaml::Map(pairs) => {
            let mut map = BTreeMap::new();
            for (k, v) in pairs {
                let key = match k {
                    GoYaml::Str(s) => s,
                    GoYaml::Int(i) => i.to_string(),
                    GoYaml::Float(f) => match crate::encoding::number::format_g32(f).as_str() {
                        "+Inf" => ".inf".into(),
                        "-Inf" => "-.inf".into(),
                        "NaN" => ".nan".into(),
                        text => text.to_string(),
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
                path.push(key.clone());
                let value = convert(v, path, strings);
                path.pop();
                map.insert(key, value?);
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

#[cfg(test)]
mod struct_tests {
    use super::*;

    #[test]
    fn numbers_read_into_string_fields_become_their_text() {
        let strings = |path: &[String]| {
            matches!(
                path.iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice(),
                ["appVersion"] | ["keywords", "[]"]
            )
        };
        let v = decode_with_string_targets(
            "appVersion: 1.10\nkeywords: [1, yes, 1.50]\nreplicas: 1.10\n",
            &strings,
        )
        .unwrap();
        assert_eq!(
            format!("{v:?}"),
            r#"{"appVersion": "1.1", "keywords": ["1", "true", "1.5"], "replicas": float64(1.1)}"#
        );
    }
}

#[cfg(test)]
mod limits_tests {
    use super::*;

    #[test]
    fn alias_bombs_fail_as_go_yaml_fails_them() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert_eq!(
            decode(&doc).unwrap_err(),
            "error converting YAML to JSON: yaml: document contains excessive aliasing"
        );
    }
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    #[test]
    fn nesting_is_bounded_without_exhausting_the_stack() {
        let block = |depth: usize| -> String {
            (0..depth)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect()
        };
        let v = decode(&block(150)).unwrap();
        assert!(encode(&v).unwrap().lines().count() == 150);
        assert_eq!(
            decode(&block(5_000)).unwrap_err(),
            "error converting YAML to JSON: yaml: exceeded max depth of 200"
        );
        let flow = format!("{}{}", "[".repeat(1_000), "]".repeat(1_000));
        assert!(decode(&flow).is_err());
        // Aliases nest a document deeper than it is written.
        let mut doc = String::from("a0: &a0 [[[[[[[[[[1]]]]]]]]]]\n");
        for i in 1..30 {
            doc.push_str(&format!("a{i}: &a{i} [[[[[[[[[[*a{}]]]]]]]]]]\n", i - 1));
        }
        assert!(decode(&doc)
            .unwrap_err()
            .ends_with("exceeded max depth of 200"));
    }
}
