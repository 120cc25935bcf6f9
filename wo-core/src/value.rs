//! The value model: JSON-compatible data with insertion-ordered maps.
//!
//! Configuration values, resolved configurations and chart values are all [`Value`]s. Maps keep
//! the order of their source document, so output is deterministic for the same input.

/// A configuration value (`null`, bool, number, string, sequence, map).
pub type Value = serde_json::Value;

/// An insertion-ordered string-keyed map of [`Value`]s.
pub type Map = serde_json::Map<String, Value>;

/// A short name of a value's type, as the schema spells types (`string`, `int`, `float`,
/// `boolean`, `array`, `object`, `null`).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Looks up a dotted path (`a.b.c`) in a value.
pub fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// A compact one-line rendering of a value for messages (`"text"`, `5`, `[1, 2]`), cut at 80 chars.
pub fn brief(value: &Value) -> String {
    let mut s = value.to_string();
    if s.chars().count() > 80 {
        s = s.chars().take(77).collect::<String>() + "...";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_path_walks_maps_and_arrays() {
        let v = serde_json::json!({"a": {"b": [10, {"c": "x"}]}});
        assert_eq!(get_path(&v, "a.b.1.c"), Some(&Value::from("x")));
        assert_eq!(get_path(&v, "a.z"), None);
        assert_eq!(get_path(&v, ""), Some(&v));
    }

    #[test]
    fn type_names_follow_schema_spelling() {
        assert_eq!(type_name(&serde_json::json!(1)), "int");
        assert_eq!(type_name(&serde_json::json!(1.5)), "float");
        assert_eq!(type_name(&serde_json::json!("s")), "string");
        assert_eq!(type_name(&serde_json::json!(true)), "boolean");
    }
}
