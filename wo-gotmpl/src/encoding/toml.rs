//! TOML as Helm's `toToml` writes it: BurntSushi/toml's encoder (v1.6) on the value itself —
//! plain keys first, then tables (`[a]`, nested ones indented), arrays of maps as `[[a]]`,
//! floats always with a decimal point or exponent (`1.0`, `1e+06`), `nil` entries left out.

use crate::encoding::number::format_g64;
use crate::value::{Map, Value};

const INDENT: &str = "  ";
const NO_KEY: &str = "toml: top-level values must be Go maps or structs";
const NIL_ELEMENT: &str = "toml: cannot encode array with nil element";

/// BurntSushi/toml's `Encoder.Encode` (`toToml`).
///
/// # Errors
///
/// The encoder's messages: `toml: top-level values must be Go maps or structs` for a list of
/// maps at the top, `toml: cannot encode array with nil element`.
pub fn encode(value: &Value) -> Result<String, String> {
    let mut enc = Encoder::default();
    enc.encode(&[], value)?;
    Ok(enc.out)
}

/// BurntSushi/toml's `Unmarshal` into `map[string]interface{}` (`fromToml`): integers are
/// `int64`, floats `float64`, tables maps, arrays lists. Dates and times are given as their
/// TOML text (Go gives a `time.Time`).
///
/// # Errors
///
/// `toml: ` and the parser's message (its wording is not BurntSushi's).
pub fn decode(text: &str) -> Result<Value, String> {
    let doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let message = e.message().trim().to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("toml: line {line}: {message}")
            }
            None => format!("toml: {message}"),
        }
    })?;
    Ok(table(doc.as_table()))
}

fn table(t: &toml_edit::Table) -> Value {
    Value::map(t.iter().map(|(k, v)| (k.to_string(), item(v))).collect())
}

fn item(i: &toml_edit::Item) -> Value {
    match i {
        toml_edit::Item::None => Value::Nil,
        toml_edit::Item::Value(v) => value(v),
        toml_edit::Item::Table(t) => table(t),
        toml_edit::Item::ArrayOfTables(a) => Value::list(a.iter().map(table).collect()),
    }
}

fn value(v: &toml_edit::Value) -> Value {
    use toml_edit::Value as V;
    match v {
        V::String(s) => Value::str(s.value()),
        V::Integer(i) => Value::Int64(*i.value()),
        V::Float(f) => Value::Float(*f.value()),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(d) => Value::from(d.value().to_string()),
        V::Array(a) => Value::list(a.iter().map(value).collect()),
        V::InlineTable(t) => Value::map(t.iter().map(|(k, v)| (k.to_string(), value(v))).collect()),
    }
}

/// The TOML type the encoder sees: tables and arrays of tables are written as sections.
#[derive(PartialEq)]
enum Kind {
    Nil,
    Table,
    ArrayOfTables,
    Other,
}

fn data(value: &Value) -> Value {
    match value {
        Value::Object(o) => o.to_data(),
        other => other.clone(),
    }
}

fn list_items(value: &Value) -> Option<Vec<Value>> {
    match value {
        Value::List(items) => Some(items.to_vec()),
        Value::StrList(items) => Some(items.iter().map(Value::str).collect()),
        Value::Bytes(b) => Some(b.iter().map(|x| Value::Int(i64::from(*x))).collect()),
        _ => None,
    }
}

/// `tomlTypeOfGo`: a non-empty array whose elements are all maps is an array of tables; a
/// `nil` element anywhere in an array fails.
fn kind(value: &Value) -> Result<Kind, String> {
    let value = data(value);
    if value.is_nil() {
        return Ok(Kind::Nil);
    }
    if matches!(value, Value::Map(_)) {
        return Ok(Kind::Table);
    }
    if let Some(items) = list_items(&value) {
        if items.is_empty() {
            return Ok(Kind::Other);
        }
        let mut all_tables = true;
        for item in &items {
            match kind(item)? {
                Kind::Nil => return Err(NIL_ELEMENT.into()),
                Kind::Table => {}
                _ => all_tables = false,
            }
        }
        return Ok(if all_tables {
            Kind::ArrayOfTables
        } else {
            Kind::Other
        });
    }
    Ok(Kind::Other)
}

fn bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key_piece(k: &str) -> String {
    if k.is_empty() {
        "\"\"".into()
    } else if bare(k) {
        k.into()
    } else {
        quoted(k)
    }
}

fn key_path(key: &[String]) -> String {
    key.iter()
        .map(|k| key_piece(k))
        .collect::<Vec<_>>()
        .join(".")
}

fn indent(key: &[String]) -> String {
    INDENT.repeat(key.len().saturating_sub(1))
}

#[derive(Default)]
struct Encoder {
    out: String,
}

impl Encoder {
    /// A blank line, unless nothing is written yet.
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn encode(&mut self, key: &[String], value: &Value) -> Result<(), String> {
        let value = data(value);
        match kind(&value)? {
            Kind::Nil => Ok(()),
            Kind::Table => self.table(key, &value),
            Kind::ArrayOfTables => {
                if key.is_empty() {
                    return Err(NO_KEY.into());
                }
                for item in list_items(&value).unwrap_or_default() {
                    self.newline();
                    self.out
                        .push_str(&format!("{}[[{}]]", indent(key), key_path(key)));
                    self.newline();
                    self.map(key, &data(&item), false)?;
                }
                Ok(())
            }
            Kind::Other => self.key_value(key, &value, false),
        }
    }

    fn table(&mut self, key: &[String], value: &Value) -> Result<(), String> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            self.out
                .push_str(&format!("{}[{}]", indent(key), key_path(key)));
            self.newline();
        }
        self.map(key, value, false)
    }

    fn map(&mut self, key: &[String], value: &Value, inline: bool) -> Result<(), String> {
        let Value::Map(map) = value else {
            return Ok(());
        };
        let map: Map = map.borrow().clone();
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, v) in &map {
            match kind(v)? {
                Kind::Table | Kind::ArrayOfTables => sub.push((k, v)),
                _ => direct.push((k, v)),
            }
        }
        if inline {
            self.out.push('{');
        }
        let trailing = !sub.is_empty();
        for (group, trail) in [(direct, trailing), (sub, false)] {
            let n = group.len();
            for (i, (k, v)) in group.into_iter().enumerate() {
                if data(v).is_nil() {
                    continue;
                }
                if inline {
                    self.key_value(std::slice::from_ref(k), v, true)?;
                    if trail || i != n - 1 {
                        self.out.push_str(", ");
                    }
                } else {
                    let mut path = key.to_vec();
                    path.push(k.clone());
                    self.encode(&path, v)?;
                }
            }
        }
        if inline {
            self.out.push('}');
        }
        Ok(())
    }

    fn key_value(&mut self, key: &[String], value: &Value, inline: bool) -> Result<(), String> {
        if key.is_empty() {
            return self.element(value);
        }
        let last = key.last().map(String::as_str).unwrap_or_default();
        self.out
            .push_str(&format!("{}{} = ", indent(key), key_piece(last)));
        self.element(value)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn element(&mut self, value: &Value) -> Result<(), String> {
        let value = data(value);
        match &value {
            Value::Nil => return Err("toml: unexpected type: <nil>".into()),
            Value::Bool(b) => self.out.push_str(&b.to_string()),
            Value::Int(i) | Value::Int64(i) => self.out.push_str(&i.to_string()),
            Value::Float(f) => self.out.push_str(&float(*f)),
            Value::String(s) => self.out.push_str(&quoted(s)),
            Value::Map(_) => self.map(&[], &value, true)?,
            Value::Bytes(_) | Value::List(_) | Value::StrList(_) => {
                let items = list_items(&value).unwrap_or_default();
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.element(item)?;
                    if i + 1 != items.len() {
                        self.out.push_str(", ");
                    }
                }
                self.out.push(']');
            }
            Value::Object(_) => unreachable!("data() resolved objects"),
        }
        Ok(())
    }
}

/// A `float64` as the encoder writes it: `%g`, with `.0` added when there is neither a point
/// nor an exponent; `nan`, `inf`, `-inf`.
fn float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    let s = format_g64(f);
    if s.contains('e') || s.contains('.') {
        s
    } else {
        s + ".0"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_plain_keys_as_burntsushi_writes_them() {
        let v = crate::encoding::yaml::decode(
            "a: 1\nname: x\nb:\n  c: \"q\\\"\"\n  d:\n    e: 1000000\nl:\n- k: 1\n- k: 2\n\
             arr: [1, two]\nempty: []\nnone: null\n\"odd key\": true\n",
        )
        .unwrap();
        assert_eq!(
            encode(&v).unwrap(),
            "a = 1.0\narr = [1.0, \"two\"]\nempty = []\nname = \"x\"\n\"odd key\" = true\n\n\
             [b]\n  c = \"q\\\"\"\n  [b.d]\n    e = 1e+06\n\n[[l]]\n  k = 1.0\n\n[[l]]\n  k = 2.0\n"
        );
        let nil_in_list = crate::encoding::yaml::decode("l: [1, null]").unwrap();
        assert_eq!(encode(&nil_in_list).unwrap_err(), NIL_ELEMENT);
    }

    #[test]
    fn documents_read_with_int64_integers() {
        let v = decode("a = 1\nb = 1.5\n[t]\nc = [\"x\", true]\n[[arr]]\nd = 2\n").unwrap();
        assert_eq!(
            format!("{v:?}"),
            "{\"a\": int64(1), \"arr\": [{\"d\": int64(2)}], \"b\": float64(1.5), \
             \"t\": {\"c\": [\"x\", true]}}"
        );
        assert!(decode("a = ").unwrap_err().starts_with("toml: line 1: "));
    }
}
