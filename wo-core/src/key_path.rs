//! Key paths: how wo names one value inside nested values, in `wo resolve --explain` and in the
//! provenance of `wo resolve --output json`.
//!
//! Segments are joined by `.`. A mapping key that is empty or holds `.`, `[`, `]`, `"`,
//! whitespace or a control character is written `["…"]`, a JSON string in brackets, with no
//! `.` before it; an item of a list is its index. So `labels["app.kubernetes.io/name"]` is
//! the key `app.kubernetes.io/name` under `labels`, never `name` under `io` under … A path of
//! plain keys is the plain dotted path (`ports.0.name`).
//!
//! ```
//! use wo_core::key_path;
//!
//! let p = key_path::join("labels", "app.kubernetes.io/name");
//! assert_eq!(p, r#"labels["app.kubernetes.io/name"]"#);
//! assert_eq!(key_path::join("image", "tag"), "image.tag");
//! assert_eq!(
//!     key_path::segments(&p),
//!     Some(vec!["labels".to_string(), "app.kubernetes.io/name".to_string()])
//! );
//! ```

use crate::value::Value;

/// Whether a key must be written `["…"]`.
fn needs_quoting(key: &str) -> bool {
    key.is_empty()
        || key
            .chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"') || c.is_whitespace() || c.is_control())
}

/// The path of `key` inside the value at `base` (`""`: the root).
pub fn join(base: &str, key: &str) -> String {
    if needs_quoting(key) {
        let quoted = serde_json::Value::String(key.to_string()).to_string();
        format!("{base}[{quoted}]")
    } else if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// The keys (and list indices, as text) a path names, or `None` when it is not written in the
/// syntax [`join`] writes.
pub fn segments(path: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = path;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('[') {
            let end = string_end(quoted)?;
            out.push(serde_json::from_str::<String>(&quoted[..end]).ok()?);
            rest = quoted[end..].strip_prefix(']')?;
        } else {
            if !first {
                rest = rest.strip_prefix('.')?;
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if needs_quoting(key) {
                return None;
            }
            out.push(key.to_string());
            rest = &rest[end..];
        }
        first = false;
    }
    Some(out)
}

/// The length of the JSON string at the start of `s`, quotes included.
fn string_end(s: &str) -> Option<usize> {
    let body = s.strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 2),
            _ => {}
        }
    }
    None
}

/// The value at `path` inside `value`.
pub fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    segments(path)?.iter().try_fold(value, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_keep_the_dotted_path() {
        assert_eq!(join("", "Replicas"), "Replicas");
        assert_eq!(join("image", "tag"), "image.tag");
        assert_eq!(join("ports", "0"), "ports.0");
        assert_eq!(join("a-b", "c_d/e:f"), "a-b.c_d/e:f");
    }

    #[test]
    fn keys_that_would_be_ambiguous_are_quoted_and_read_back() {
        for key in [
            "app.kubernetes.io/name",
            "a[0]",
            "say \"hi\"",
            "two words",
            "",
            "tab\there",
            "back\\slash.",
            "]",
        ] {
            for base in ["", "labels", r#"x["y.z"]"#] {
                let path = join(base, key);
                let mut want = segments(base).unwrap();
                want.push(key.to_string());
                assert_eq!(segments(&path), Some(want), "{path}");
            }
        }
        assert_eq!(
            join("labels", "app.kubernetes.io/name"),
            r#"labels["app.kubernetes.io/name"]"#
        );
        assert_eq!(join(r#"["a.b"]"#, "c"), r#"["a.b"].c"#);
        assert_eq!(join("m", "say \"hi\""), r#"m["say \"hi\""]"#);
    }

    #[test]
    fn paths_not_in_the_syntax_are_refused() {
        for bad in [".a", "a.", "a..b", "a[b]", r#"a["b""#, r#"a["b"]c"#, "a b"] {
            assert_eq!(segments(bad), None, "{bad}");
        }
    }

    #[test]
    fn get_walks_quoted_keys_and_indices() {
        let v = serde_json::json!({"labels": {"app.kubernetes.io/name": "shop", "app": {"kubernetes": 1}},
            "ports": [{"name": "http"}]});
        assert_eq!(
            get(&v, r#"labels["app.kubernetes.io/name"]"#),
            Some(&Value::from("shop"))
        );
        assert_eq!(get(&v, "ports.0.name"), Some(&Value::from("http")));
        assert_eq!(get(&v, "labels.app.kubernetes.io/name"), None);
        assert_eq!(get(&v, ""), Some(&v));
    }
}
