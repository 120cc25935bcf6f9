//! `--set` values, as Helm reads them (`helm template --set a.b=1,c[0]=x`).
//!
//! `name=value` pairs separated by commas; dots in a name nest maps (`a.b=1`), `[N]` indexes a
//! list (`hosts[0].name=x`, the list grows with nils as Helm's does), `{a,b}` is a list value,
//! and a backslash escapes the next character (`a\.b=1` sets the key `a.b`). Values are typed as
//! Helm types them: `true`/`false` are booleans, `null` is nil (it deletes the key when values
//! are coalesced), a decimal integer without a leading zero is an `int64`, everything else
//! (`1.5`, `0777`, `on`) a string.

use crate::value::{Map, Value};

/// Sets every `name=value` pair of `text` into `values` (a map), later pairs winning.
///
/// # Errors
/// A pair without `=`, an unclosed `[` or `{`, or a list index that is not a number — the text
/// as Helm words it (`key "a" has no value`).
pub fn parse_into(text: &str, values: &mut Value) -> Result<(), String> {
    let mut rest = text;
    while !rest.is_empty() {
        let (path, after) = parse_key(rest)?;
        let (value, after) = parse_value(after)?;
        set_path(values, &path, value)?;
        rest = after;
    }
    Ok(())
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Reads a key path up to its `=`; returns the path and the text after `=`.
fn parse_key(text: &str) -> Result<(Vec<Step>, &str), String> {
    let mut steps = Vec::new();
    let mut key = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    key.push(next);
                }
            }
            '.' => {
                if !key.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut key)));
                }
                let close = text[i..]
                    .find(']')
                    .ok_or_else(|| format!("key \"{}\" has no closing ']'", &text[..i]))?;
                let index = &text[i + 1..i + close];
                let n: usize = index
                    .parse()
                    .map_err(|_| format!("failed to parse index: invalid index \"{index}\""))?;
                if n > 65536 {
                    return Err(format!(
                        "index of {n} is greater than maximum supported index of 65536"
                    ));
                }
                steps.push(Step::Index(n));
                while let Some((j, _)) = chars.peek() {
                    if *j <= i + close {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            '=' => {
                if !key.is_empty() {
                    steps.push(Step::Key(key));
                }
                if steps.is_empty() {
                    return Err("key \"\" has no value".into());
                }
                return Ok((steps, &text[i + 1..]));
            }
            ',' => {
                return Err(format!(
                    "key \"{}\" has no value (cannot end with ,)",
                    &text[..i]
                ));
            }
            c => key.push(c),
        }
    }
    Err(format!("key \"{text}\" has no value"))
}

/// Reads a value up to the next unescaped comma; returns it typed, and the text after the comma.
fn parse_value(text: &str) -> Result<(Value, &str), String> {
    if let Some(list) = text.strip_prefix('{') {
        let close = list
            .find('}')
            .ok_or_else(|| "list must terminate with '}'".to_string())?;
        let items = list[..close]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(typed)
            .collect();
        let rest = &list[close + 1..];
        let rest = rest.strip_prefix(',').unwrap_or(rest);
        return Ok((Value::list(items), rest));
    }
    let mut raw = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    raw.push(next);
                }
            }
            ',' => return Ok((typed(&raw), &text[i + 1..])),
            c => raw.push(c),
        }
    }
    Ok((typed(&raw), ""))
}

/// Helm's `typedVal`: booleans, null, decimal int64s without a leading zero; else a string.
fn typed(raw: &str) -> Value {
    match raw {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Nil,
        "0" => return Value::Int64(0),
        _ => {}
    }
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if !digits.is_empty() && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
    {
        if let Ok(n) = raw.parse::<i64>() {
            return Value::Int64(n);
        }
    }
    Value::str(raw)
}

/// Merges `overlay` into `base` as Helm merges `-f` files: maps merge key by key, recursively;
/// any other value of `overlay` replaces the one in `base`.
pub fn merge_maps(base: &Value, overlay: &Value) -> Value {
    match (base, overlay) {
        (Value::Map(b), Value::Map(o)) => {
            let mut out = b.borrow().clone();
            for (k, v) in o.borrow().iter() {
                let merged = match out.get(k) {
                    Some(existing @ Value::Map(_)) if matches!(v, Value::Map(_)) => {
                        merge_maps(existing, v)
                    }
                    _ => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::map(out)
        }
        _ => overlay.clone(),
    }
}

fn set_path(target: &mut Value, path: &[Step], value: Value) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *target = value;
        return Ok(());
    };
    match first {
        Step::Key(key) => {
            if !matches!(target, Value::Map(_)) {
                *target = Value::map(Map::new());
            }
            let Value::Map(map) = target else {
                unreachable!("made a map above")
            };
            let mut child = map.borrow().get(key).cloned().unwrap_or(Value::Nil);
            if rest.is_empty() {
                child = value;
            } else {
                set_path(&mut child, rest, value)?;
            }
            map.borrow_mut().insert(key.clone(), child);
        }
        Step::Index(n) => {
            let mut items: Vec<Value> = match target {
                Value::List(l) => l.as_ref().clone(),
                _ => Vec::new(),
            };
            if items.len() <= *n {
                items.resize(*n + 1, Value::Nil);
            }
            set_path(&mut items[*n], rest, value)?;
            *target = Value::list(items);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> String {
        let mut v = Value::empty_map();
        parse_into(text, &mut v).unwrap();
        format!("{v:?}")
    }

    #[test]
    fn pairs_nest_index_and_type_as_helm_does() {
        assert_eq!(
            parsed("a.b=1,c=true,d=on,e=0777,f=1.5,g=null"),
            r#"{"a": {"b": int64(1)}, "c": true, "d": "on", "e": "0777", "f": "1.5", "g": nil}"#
        );
        assert_eq!(
            parsed("hosts[1].name=x"),
            r#"{"hosts": [nil, {"name": "x"}]}"#
        );
        assert_eq!(parsed(r"a\.b=x\,y"), r#"{"a.b": "x,y"}"#);
        assert_eq!(parsed("l={a,2}"), r#"{"l": ["a", int64(2)]}"#);
        assert_eq!(parsed("a=1,a=2"), r#"{"a": int64(2)}"#);
    }

    #[test]
    fn files_merge_map_by_map_and_later_wins() {
        let mut a = Value::empty_map();
        parse_into("x.y=1,x.z=2,l={a}", &mut a).unwrap();
        let mut b = Value::empty_map();
        parse_into("x.y=3,l={b}", &mut b).unwrap();
        assert_eq!(
            format!("{:?}", merge_maps(&a, &b)),
            r#"{"l": ["b"], "x": {"y": int64(3), "z": int64(2)}}"#
        );
    }

    #[test]
    fn malformed_pairs_are_refused() {
        let mut v = Value::empty_map();
        assert!(parse_into("novalue", &mut v)
            .unwrap_err()
            .contains("has no value"));
        assert!(parse_into("a[x]=1", &mut v)
            .unwrap_err()
            .contains("invalid index"));
        assert!(parse_into("l={a,b", &mut v)
            .unwrap_err()
            .contains("terminate"));
    }
}
