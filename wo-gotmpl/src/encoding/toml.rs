//! TOML as Helm's `toToml` writes it (BurntSushi/toml's encoder) and `fromToml` reads it.

use crate::value::Value;

/// BurntSushi/toml's `Encoder.Encode` (`toToml`).
///
/// # Errors
///
/// The encoder's message (`toml: top-level values must be Go maps or structs`).
pub fn encode(value: &Value) -> Result<String, String> {
    match value {
        Value::Map(_) => Err("toml: not yet supported".into()),
        _ => Err("toml: top-level values must be Go maps or structs".into()),
    }
}

/// BurntSushi/toml's `Unmarshal` into `map[string]interface{}` (`fromToml`).
///
/// # Errors
///
/// The decoder's message.
pub fn decode(_text: &str) -> Result<Value, String> {
    Err("toml: not yet supported".into())
}
