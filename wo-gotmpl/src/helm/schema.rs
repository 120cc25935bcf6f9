//! `values.schema.json` validation, as Helm runs it (santhosh-tekuri/jsonschema v6): the root
//! chart's schema against all values, each subchart's against its own table, errors printed as
//! `- at '/path': message` trees.
//!
//! The common keywords are checked — `type`, `const`, `enum`, `required`, `properties`,
//! `patternProperties`, `additionalProperties`, `items`/`prefixItems`, the size and range
//! limits, `pattern`, `allOf`/`anyOf`/`oneOf`/`not`, `if`/`then`/`else`, local `$ref`s. Formats,
//! remote references and the `unevaluated*` keywords are not (they pass). When several
//! properties fail, Go lists them in map order (random); they are listed by name here.

use serde_json::Value as J;

use super::values::Node;
use super::Error;
use crate::value::Value;

/// Checks `values` against the schemas of `node` and its subcharts.
///
/// # Errors
/// [`Error::Schema`] with Helm's text when a schema rejects the values.
pub(crate) fn validate(node: &Node, values: &Value) -> Result<(), Error> {
    // Whether `check_chart` would find anything to say: a schema, or a subchart's values
    // that are not a table. Most charts have neither, and skip the JSON copy of the values.
    fn needs_check(node: &Node, values: &Value) -> bool {
        if node.chart.schema.is_some() {
            return true;
        }
        let Value::Map(map) = values else {
            return false;
        };
        let map = map.borrow();
        node.deps.iter().any(|sub| match map.get(sub.name()) {
            None | Some(Value::Nil) => false,
            Some(v @ Value::Map(_)) => needs_check(sub, v),
            Some(_) => true,
        })
    }
    if !needs_check(node, values) {
        return Ok(());
    }
    let mut report = String::new();
    check_chart(node, &values.to_json(), &mut report);
    if report.is_empty() {
        Ok(())
    } else {
        Err(Error::Schema(report))
    }
}

fn check_chart(node: &Node, values: &J, report: &mut String) {
    if let Some(schema) = &node.chart.schema {
        match serde_json::from_slice::<J>(schema) {
            Ok(schema) => {
                let v = Validator::new(&schema);
                if let Some(err) = v.validate(&schema, values, &[]) {
                    report.push_str(&format!("{}:\n", node.name()));
                    let causes = if err.group { err.causes } else { vec![err] };
                    let mut text = String::new();
                    for c in &causes {
                        c.display(&mut text, 1);
                    }
                    report.push_str(text.trim_start_matches('\n'));
                    report.push('\n');
                }
            }
            Err(e) => report.push_str(&format!("{}:\n{e}\n", node.name())),
        }
    }
    let J::Object(map) = values else {
        return;
    };
    for sub in &node.deps {
        match map.get(sub.name()) {
            None | Some(J::Null) => {}
            Some(v @ J::Object(_)) => check_chart(sub, v, report),
            Some(other) => report.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                sub.name(),
                Value::from_json(other).type_name()
            )),
        }
    }
}

/// One failure: where (the instance path), what, and the failures under it.
#[derive(Debug)]
struct VErr {
    at: Vec<String>,
    message: String,
    causes: Vec<VErr>,
    group: bool,
    reference: bool,
}

impl VErr {
    fn new(at: &[String], message: impl Into<String>) -> VErr {
        VErr {
            at: at.to_vec(),
            message: message.into(),
            causes: Vec::new(),
            group: false,
            reference: false,
        }
    }

    fn display(&self, out: &mut String, indent: usize) {
        let mut indent = indent;
        if !(self.reference && self.causes.len() == 1) {
            out.push('\n');
            for _ in 0..indent.saturating_sub(1) {
                out.push_str("  ");
            }
            out.push_str("- ");
            indent += 1;
            let ptr: String = self
                .at
                .iter()
                .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
                .collect();
            out.push_str(&format!("at {}: {}", quote(&ptr), self.message));
        }
        for c in &self.causes {
            c.display(out, indent);
        }
    }
}

fn quote(s: &str) -> String {
    let q = format!("{s:?}");
    let inner = &q[1..q.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

fn display(v: &J) -> String {
    match v {
        J::String(s) => quote(s),
        J::Array(_) | J::Object(_) => "value".into(),
        J::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => crate::value::format_float_v(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn type_of(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

fn is_integer(v: &J) -> bool {
    match v {
        J::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn equal(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

struct Validator<'s> {
    root: &'s J,
    /// Draft 2019-09 and later evaluate `$ref` next to other keywords.
    modern: bool,
}

impl<'s> Validator<'s> {
    fn new(root: &'s J) -> Validator<'s> {
        let draft = root.get("$schema").and_then(J::as_str).unwrap_or("");
        let old = ["draft-03", "draft-04", "draft-06", "draft-07"]
            .iter()
            .any(|d| draft.contains(d));
        Validator { root, modern: !old }
    }

    fn resolve(&self, reference: &str) -> Option<&'s J> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.root);
        }
        self.root.pointer(pointer)
    }

    fn validate(&self, schema: &'s J, v: &J, at: &[String]) -> Option<VErr> {
        let s = match schema {
            J::Bool(true) => return None,
            J::Bool(false) => return Some(VErr::new(at, "false schema")),
            J::Object(s) => s,
            _ => return None,
        };
        let fail = |m: String| Some(VErr::new(at, m));
        if let Some(types) = s.get("type") {
            let want: Vec<&str> = match types {
                J::String(t) => vec![t.as_str()],
                J::Array(ts) => ts.iter().filter_map(J::as_str).collect(),
                _ => Vec::new(),
            };
            let t = type_of(v);
            let ok = want.is_empty()
                || want.contains(&t)
                || (want.contains(&"integer") && t == "number" && is_integer(v));
            if !ok {
                return fail(format!("got {t}, want {}", want.join(" or ")));
            }
        }
        if let Some(c) = s.get("const") {
            if !equal(v, c) {
                return fail(match c {
                    J::Array(_) | J::Object(_) => "const failed".into(),
                    _ => format!("value must be {}", display(c)),
                });
            }
        }
        if let Some(J::Array(items)) = s.get("enum") {
            if !items.iter().any(|i| equal(v, i)) {
                let primitive = items
                    .iter()
                    .all(|i| !matches!(i, J::Array(_) | J::Object(_)));
                return fail(if !primitive {
                    "enum failed".into()
                } else if items.len() == 1 {
                    format!("value must be {}", display(&items[0]))
                } else {
                    let want: Vec<String> = items.iter().map(display).collect();
                    format!("value must be one of {}", want.join(", "))
                });
            }
        }
        let mut errors = Vec::new();
        if let Some(J::String(r)) = s.get("$ref") {
            if let Some(target) = self.resolve(r) {
                let err = self.validate(target, v, at).map(|e| VErr {
                    at: at.to_vec(),
                    message: "validation failed".into(),
                    causes: vec![e],
                    group: false,
                    reference: true,
                });
                if !self.modern {
                    return err;
                }
                errors.extend(err);
            }
        }
        match v {
            J::Object(obj) => self.object(s, obj, at, &mut errors),
            J::Array(arr) => self.array(s, arr, at, &mut errors),
            J::String(text) => self.string(s, text, at, &mut errors),
            J::Number(n) => self.number(s, n, at, &mut errors),
            _ => {}
        }
        self.conditions(s, v, at, &mut errors);
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(VErr {
                at: at.to_vec(),
                message: "validation failed".into(),
                causes: errors,
                group: true,
                reference: false,
            }),
        }
    }

    fn object(
        &self,
        s: &'s serde_json::Map<String, J>,
        obj: &serde_json::Map<String, J>,
        at: &[String],
        errors: &mut Vec<VErr>,
    ) {
        let limit = |k: &str| s.get(k).and_then(J::as_u64);
        if let Some(min) = limit("minProperties") {
            if (obj.len() as u64) < min {
                errors.push(VErr::new(
                    at,
                    format!("minProperties: got {}, want {min}", obj.len()),
                ));
            }
        }
        if let Some(max) = limit("maxProperties") {
            if (obj.len() as u64) > max {
                errors.push(VErr::new(
                    at,
                    format!("maxProperties: got {}, want {max}", obj.len()),
                ));
            }
        }
        if let Some(J::Array(required)) = s.get("required") {
            let missing: Vec<&str> = required
                .iter()
                .filter_map(J::as_str)
                .filter(|r| !obj.contains_key(*r))
                .collect();
            match missing.as_slice() {
                [] => {}
                [one] => errors.push(VErr::new(at, format!("missing property {}", quote(one)))),
                many => {
                    let q: Vec<String> = many.iter().map(|m| quote(m)).collect();
                    errors.push(VErr::new(
                        at,
                        format!("missing properties {}", q.join(", ")),
                    ));
                }
            }
        }
        let props = s.get("properties").and_then(J::as_object);
        let patterns: Vec<(regex::Regex, &'s J)> = s
            .get("patternProperties")
            .and_then(J::as_object)
            .map(|p| {
                p.iter()
                    .filter_map(|(re, sch)| regex::Regex::new(re).ok().map(|re| (re, sch)))
                    .collect()
            })
            .unwrap_or_default();
        let mut keys: Vec<&String> = obj.keys().collect();
        keys.sort();
        let mut additional = Vec::new();
        for key in keys {
            let value = &obj[key];
            let mut child = at.to_vec();
            child.push(key.clone());
            let mut evaluated = false;
            if let Some(sch) = props.and_then(|p| p.get(key)) {
                evaluated = true;
                errors.extend(self.validate(sch, value, &child));
            }
            for (re, sch) in &patterns {
                if re.is_match(key) {
                    evaluated = true;
                    errors.extend(self.validate(sch, value, &child));
                }
            }
            if !evaluated {
                match s.get("additionalProperties") {
                    Some(J::Bool(false)) => additional.push(key.as_str()),
                    Some(sch @ J::Object(_)) => errors.extend(self.validate(sch, value, &child)),
                    _ => {}
                }
            }
        }
        if !additional.is_empty() {
            let q: Vec<String> = additional.iter().map(|a| quote(a)).collect();
            errors.push(VErr::new(
                at,
                format!("additional properties {} not allowed", q.join(", ")),
            ));
        }
    }

    fn array(
        &self,
        s: &'s serde_json::Map<String, J>,
        arr: &[J],
        at: &[String],
        errors: &mut Vec<VErr>,
    ) {
        let limit = |k: &str| s.get(k).and_then(J::as_u64);
        if let Some(min) = limit("minItems") {
            if (arr.len() as u64) < min {
                errors.push(VErr::new(
                    at,
                    format!("minItems: got {}, want {min}", arr.len()),
                ));
            }
        }
        if let Some(max) = limit("maxItems") {
            if (arr.len() as u64) > max {
                errors.push(VErr::new(
                    at,
                    format!("maxItems: got {}, want {max}", arr.len()),
                ));
            }
        }
        if s.get("uniqueItems") == Some(&J::Bool(true)) {
            'outer: for i in 0..arr.len() {
                for j in i + 1..arr.len() {
                    if equal(&arr[i], &arr[j]) {
                        errors.push(VErr::new(at, format!("items at {i} and {j} are equal")));
                        break 'outer;
                    }
                }
            }
        }
        let prefix: &[J] = match (s.get("prefixItems"), s.get("items")) {
            (Some(J::Array(p)), _) => p,
            (None, Some(J::Array(p))) => p,
            _ => &[],
        };
        let rest = match s.get("items") {
            Some(J::Array(_)) => s.get("additionalItems"),
            other => other,
        };
        for (i, item) in arr.iter().enumerate() {
            let mut child = at.to_vec();
            child.push(i.to_string());
            let sch = prefix.get(i).or(rest);
            if let Some(sch) = sch {
                errors.extend(self.validate(sch, item, &child));
            }
        }
    }

    fn string(
        &self,
        s: &'s serde_json::Map<String, J>,
        text: &str,
        at: &[String],
        errors: &mut Vec<VErr>,
    ) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(J::as_u64) {
            if len < min {
                errors.push(VErr::new(at, format!("minLength: got {len}, want {min}")));
            }
        }
        if let Some(max) = s.get("maxLength").and_then(J::as_u64) {
            if len > max {
                errors.push(VErr::new(at, format!("maxLength: got {len}, want {max}")));
            }
        }
        if let Some(J::String(p)) = s.get("pattern") {
            if let Ok(re) = regex::Regex::new(p) {
                if !re.is_match(text) {
                    errors.push(VErr::new(
                        at,
                        format!("{} does not match pattern {}", quote(text), quote(p)),
                    ));
                }
            }
        }
    }

    fn number(
        &self,
        s: &'s serde_json::Map<String, J>,
        n: &serde_json::Number,
        at: &[String],
        errors: &mut Vec<VErr>,
    ) {
        let x = n.as_f64().unwrap_or(0.0);
        let got = display(&J::Number(n.clone()));
        let bound = |k: &str| s.get(k).and_then(|b| b.as_f64().map(|f| (f, display(b))));
        if let Some((min, shown)) = bound("minimum") {
            if x < min {
                errors.push(VErr::new(at, format!("minimum: got {got}, want {shown}")));
            }
        }
        if let Some((max, shown)) = bound("maximum") {
            if x > max {
                errors.push(VErr::new(at, format!("maximum: got {got}, want {shown}")));
            }
        }
        if let Some((min, shown)) = bound("exclusiveMinimum") {
            if x <= min {
                errors.push(VErr::new(
                    at,
                    format!("exclusiveMinimum: got {got}, want {shown}"),
                ));
            }
        }
        if let Some((max, shown)) = bound("exclusiveMaximum") {
            if x >= max {
                errors.push(VErr::new(
                    at,
                    format!("exclusiveMaximum: got {got}, want {shown}"),
                ));
            }
        }
        if let Some((m, shown)) = bound("multipleOf") {
            if m != 0.0 && (x / m).fract() != 0.0 {
                errors.push(VErr::new(
                    at,
                    format!("multipleOf: got {got}, want {shown}"),
                ));
            }
        }
    }

    fn conditions(
        &self,
        s: &'s serde_json::Map<String, J>,
        v: &J,
        at: &[String],
        errors: &mut Vec<VErr>,
    ) {
        if let Some(not) = s.get("not") {
            if self.validate(not, v, at).is_none() {
                errors.push(VErr::new(at, "not failed"));
            }
        }
        if let Some(J::Array(all)) = s.get("allOf") {
            let causes: Vec<VErr> = all
                .iter()
                .filter_map(|sch| self.validate(sch, v, at))
                .collect();
            if !causes.is_empty() {
                errors.push(VErr {
                    causes,
                    ..VErr::new(at, "allOf failed")
                });
            }
        }
        if let Some(J::Array(any)) = s.get("anyOf") {
            let causes: Vec<VErr> = any
                .iter()
                .filter_map(|sch| self.validate(sch, v, at))
                .collect();
            if causes.len() == any.len() {
                errors.push(VErr {
                    causes,
                    ..VErr::new(at, "anyOf failed")
                });
            }
        }
        if let Some(J::Array(one)) = s.get("oneOf") {
            let mut matched = Vec::new();
            let mut causes = Vec::new();
            for (i, sch) in one.iter().enumerate() {
                match self.validate(sch, v, at) {
                    None => matched.push(i),
                    Some(e) => causes.push(e),
                }
            }
            if matched.is_empty() {
                errors.push(VErr {
                    causes,
                    ..VErr::new(at, "oneOf failed, none matched")
                });
            } else if matched.len() > 1 {
                errors.push(VErr::new(
                    at,
                    format!(
                        "oneOf failed, subschemas {}, {} matched",
                        matched[0], matched[1]
                    ),
                ));
            }
        }
        if let Some(cond) = s.get("if") {
            let branch = if self.validate(cond, v, at).is_none() {
                s.get("then")
            } else {
                s.get("else")
            };
            if let Some(b) = branch {
                errors.extend(self.validate(b, v, at));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(schema: &str, values: &str) -> String {
        let schema: J = serde_json::from_str(schema).expect("schema");
        let values: J = serde_json::from_str(values).expect("values");
        let v = Validator::new(&schema);
        match v.validate(&schema, &values, &[]) {
            None => String::new(),
            Some(err) => {
                let causes = if err.group { err.causes } else { vec![err] };
                let mut out = String::new();
                for c in &causes {
                    c.display(&mut out, 1);
                }
                out.trim_start_matches('\n').to_string()
            }
        }
    }

    #[test]
    fn errors_read_as_helm_prints_them() {
        let schema = r##"{"type":"object","required":["policy"],
            "properties":{"policy":{"type":"string","enum":["sync","upsert-only"]},
                          "replicaCount":{"$ref":"#/$defs/int"}},
            "$defs":{"int":{"type":"integer"}}}"##;
        assert_eq!(check(schema, r#"{"policy":"sync"}"#), "");
        assert_eq!(
            check(schema, r#"{"policy":null}"#),
            "- at '/policy': got null, want string"
        );
        assert_eq!(
            check(schema, r#"{"policy":"x","replicaCount":"2"}"#),
            "- at '/policy': value must be one of 'sync', 'upsert-only'\n- at '/replicaCount': got string, want integer"
        );
        assert_eq!(check(schema, "{}"), "- at '': missing property 'policy'");
        assert_eq!(check(schema, r#"{"policy":"sync","replicaCount":2.0}"#), "");
    }
}
