//! Azure Workload Orchestration configuration schemas, read as the service defines them.
//!
//! ```yaml
//! metadata: {name: shop-schema, version: 1.0.0}   # optional
//! rules:
//!   configs:
//!     Replicas:
//!       type: int
//!       required: true
//!       defaultValue: 2
//!       minValue: 1
//!       maxValue: 20
//!       editableAt: [environment, region]
//!     LogLevel:
//!       type: string
//!       allowedValues: [debug, info, warn, error]
//!     ${{$include(LoggingSchema/1.0.0)}}:        # splice the rules of another schema
//!   validations:
//!     - expression: ${{ $le($val(MinReplicas), $val(Replicas)) }}
//!       message: MinReplicas must not exceed Replicas
//! ```
//!
//! The sample form that puts keys directly under `rules:` (without `configs:`) is accepted too.

use serde::Deserialize;

use super::{closest, diag_at, join_path, typed, Collector};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::expr::Field;
use crate::value::Value;
use crate::yaml::{self, Node, NodeKind};

/// The type a schema key declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `int`.
    Int,
    /// `float` (an int is accepted).
    Float,
    /// `object` (a mapping).
    Object,
    /// `array` or `array[<type>]`.
    Array(Option<Box<ValueType>>),
}

const TYPE_NAMES: [&str; 10] = [
    "string",
    "boolean",
    "int",
    "float",
    "object",
    "array",
    "array[string]",
    "array[int]",
    "array[float]",
    "array[object]",
];

impl ValueType {
    /// Parses a type name as WO spells it.
    pub fn parse(s: &str) -> Option<ValueType> {
        let t = s.trim();
        Some(match t {
            "string" => ValueType::String,
            "boolean" | "bool" => ValueType::Boolean,
            "int" | "integer" => ValueType::Int,
            "float" | "number" => ValueType::Float,
            "object" => ValueType::Object,
            "array" => ValueType::Array(None),
            _ => {
                let inner = t.strip_prefix("array[")?.strip_suffix(']')?;
                ValueType::Array(Some(Box::new(ValueType::parse(inner)?)))
            }
        })
    }

    /// Whether `v` has this type.
    pub fn admits(&self, v: &Value) -> bool {
        match self {
            ValueType::String => v.is_string(),
            ValueType::Boolean => v.is_boolean(),
            ValueType::Int => v.is_i64() || v.is_u64(),
            ValueType::Float => v.is_number(),
            ValueType::Object => v.is_object(),
            ValueType::Array(None) => v.is_array(),
            ValueType::Array(Some(inner)) => v
                .as_array()
                .is_some_and(|a| a.iter().all(|x| inner.admits(x))),
        }
    }
}

impl std::fmt::Display for ValueType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueType::String => f.write_str("string"),
            ValueType::Boolean => f.write_str("boolean"),
            ValueType::Int => f.write_str("int"),
            ValueType::Float => f.write_str("float"),
            ValueType::Object => f.write_str("object"),
            ValueType::Array(None) => f.write_str("array"),
            ValueType::Array(Some(t)) => write!(f, "array[{t}]"),
        }
    }
}

/// The rules of one configuration key.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The key (a name or a dotted path).
    pub key: String,
    /// Declared type.
    pub value_type: Option<ValueType>,
    /// Whether a value must be present (set at some level or defaulted).
    pub required: bool,
    /// Used when no level sets the key.
    pub default_value: Option<Value>,
    /// The value must be one of these.
    pub allowed_values: Option<Vec<Value>>,
    /// The value must be none of these.
    pub disallowed_values: Option<Vec<Value>>,
    /// Strings must contain a match (unanchored, as in WO and JSON Schema: `^…$` anchors).
    pub pattern: Option<regex::Regex>,
    /// Numbers must be at least this.
    pub min_value: Option<f64>,
    /// Numbers must be at most this.
    pub max_value: Option<f64>,
    /// Must evaluate to true.
    pub expression: Option<Field>,
    /// Levels whose value files may set the key (`None`: any level).
    pub editable_at: Option<Vec<String>>,
    /// Personas that may edit the key (kept for WO; not enforced offline).
    pub editable_by: Vec<String>,
    /// Documentation.
    pub description: Option<String>,
    /// Where the rule is written.
    pub location: Location,
}

impl Rule {
    /// Whether a value file at level `level` may set this key.
    pub fn editable_at(&self, level: &str) -> bool {
        self.editable_at
            .as_ref()
            .is_none_or(|ls| ls.iter().any(|l| l.eq_ignore_ascii_case(level)))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    #[serde(rename = "type")]
    value_type: Option<String>,
    #[serde(default)]
    required: bool,
    default_value: Option<Value>,
    allowed_values: Option<Vec<Value>>,
    disallowed_values: Option<Vec<Value>>,
    pattern: Option<String>,
    min_value: Option<f64>,
    max_value: Option<f64>,
    expression: Option<String>,
    editable_at: Option<Vec<String>>,
    #[serde(default)]
    editable_by: Vec<String>,
    description: Option<String>,
    place_holder: Option<Value>,
    label: Option<String>,
    disabled: Option<bool>,
}

/// An entry of `rules.configs`: a rule, or a splice of another schema's rules.
#[derive(Debug, Clone)]
pub enum SchemaEntry {
    /// A key's rules.
    Rule(Box<Rule>),
    /// `${{$include(Name/Version[, Subtree])}}:`.
    Include {
        /// `Name/Version` or `Name`.
        reference: String,
        /// Only keys at or under this path.
        subtree: Option<String>,
        /// Where the include is written.
        location: Location,
    },
}

/// A cross-key validation.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Must evaluate to true.
    pub expression: Field,
    /// Shown when it does not.
    pub message: Option<String>,
    /// Where it is written.
    pub location: Location,
}

/// A configuration schema.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The file it was read from.
    pub file: String,
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.version`.
    pub version: Option<String>,
    /// `rules.configs`, in order.
    pub entries: Vec<SchemaEntry>,
    /// `rules.validations`.
    pub validations: Vec<Validation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: Option<String>,
    version: Option<Value>,
    #[serde(default, rename = "description")]
    _description: Option<String>,
}

/// Turns a parse error of an expression into a diagnostic at the string's node.
pub(crate) fn expr_diag(
    file: &str,
    key: &str,
    node: &Node,
    e: &crate::expr::ExprError,
) -> Diagnostic {
    let d = Diagnostic::new(
        Location::file(file)
            .with_key(key)
            .at(node.line, node.column + e.span.start as u32),
        e.message.clone(),
    );
    match &e.hint {
        Some(h) => d.with_hint(h.clone()),
        None => d,
    }
}

/// Parses a string node that must hold an expression.
pub(crate) fn parse_field(
    file: &str,
    key: &str,
    node: &Node,
    text: &str,
) -> std::result::Result<Field, Diagnostic> {
    match Field::parse(text) {
        Ok(Some(f)) => Ok(f),
        Ok(None) => Err(diag_at(
            file,
            key,
            node,
            "expected an expression `${{ … }}`",
        )),
        Err(e) => Err(expr_diag(file, key, node, &e)),
    }
}

/// Reads a version that YAML may have typed as a number (`version: 1.0`).
pub(crate) fn version_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Schema {
    /// Parses a schema file, reporting every problem at once.
    pub fn parse(text: &str, file: &str) -> Result<Schema> {
        let root = yaml::parse(text, file)?;
        let NodeKind::Map(top) = &root.kind else {
            return Err(Error::Invalid(Diagnostics(vec![diag_at(
                file,
                "",
                &root,
                "a schema is a mapping with `rules:`",
            )])));
        };
        let mut c = Collector::default();
        let mut schema = Schema {
            file: file.to_string(),
            name: None,
            version: None,
            entries: Vec::new(),
            validations: Vec::new(),
        };
        let mut rules_node = None;
        for (k, v) in top {
            match key_text(k).as_deref() {
                Some("metadata") => {
                    if let Some(m) = c.take(typed::<Metadata>(v, file, "metadata"))? {
                        schema.name = m.name;
                        schema.version = m.version.as_ref().map(version_text);
                    }
                }
                Some("rules") => rules_node = Some(v),
                Some(other) => c.push(unknown(file, "", k, other, &["metadata", "rules"])),
                None => c.push(diag_at(file, "", k, "keys must be strings")),
            }
        }
        let Some(rules) = rules_node else {
            c.push(Diagnostic::new(
                Location::file(file).at(root.line, root.column),
                "missing `rules:`",
            ));
            return c.finish(schema);
        };
        let NodeKind::Map(rule_entries) = &rules.kind else {
            c.push(diag_at(
                file,
                "rules",
                rules,
                "`rules` must be a mapping with `configs:` (and optionally `validations:`)",
            ));
            return c.finish(schema);
        };
        let has_sections = rule_entries
            .iter()
            .any(|(k, _)| matches!(key_text(k).as_deref(), Some("configs" | "validations")));
        if !has_sections {
            // The older sample form: keys directly under `rules:`.
            schema.entries = parse_configs(rules, file, "rules", &mut c)?;
            return c.finish(schema);
        }
        for (k, v) in rule_entries {
            match key_text(k).as_deref() {
                Some("configs") => {
                    schema.entries = parse_configs(v, file, "rules.configs", &mut c)?
                }
                Some("validations") => schema.validations = parse_validations(v, file, &mut c)?,
                Some(other) => c.push(unknown(
                    file,
                    "rules",
                    k,
                    other,
                    &["configs", "validations"],
                )),
                None => c.push(diag_at(file, "rules", k, "keys must be strings")),
            }
        }
        c.finish(schema)
    }

    /// The rules of this schema alone (includes are resolved by the bundle).
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.entries.iter().filter_map(|e| match e {
            SchemaEntry::Rule(r) => Some(&**r),
            SchemaEntry::Include { .. } => None,
        })
    }
}

fn key_text(k: &Node) -> Option<String> {
    match &k.kind {
        NodeKind::Str(s) => Some(s.clone()),
        NodeKind::Int(i) => Some(i.to_string()),
        NodeKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn unknown(file: &str, base: &str, k: &Node, name: &str, expected: &[&str]) -> Diagnostic {
    let d = diag_at(
        file,
        &join_path(base, name),
        k,
        format!("unknown field `{name}`"),
    );
    match closest(name, expected.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!(
            "expected one of {}",
            expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn parse_configs(
    node: &Node,
    file: &str,
    base: &str,
    c: &mut Collector,
) -> Result<Vec<SchemaEntry>> {
    let entries = match &node.kind {
        NodeKind::Map(m) => m,
        NodeKind::Null => return Ok(Vec::new()),
        _ => {
            c.push(diag_at(
                file,
                base,
                node,
                "expected a mapping of configuration keys to their rules",
            ));
            return Ok(Vec::new());
        }
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let Some(key) = key_text(k) else {
            c.push(diag_at(file, base, k, "configuration keys must be strings"));
            continue;
        };
        let path = join_path(base, &key);
        let location = Location::file(file)
            .with_key(path.clone())
            .at(k.line, k.column);
        if key.contains("${{") {
            match parse_field(file, &path, k, &key) {
                Ok(f) => match f.as_include() {
                    Some((reference, subtree)) => out.push(SchemaEntry::Include {
                        reference,
                        subtree,
                        location,
                    }),
                    None => c.push(diag_at(
                        file,
                        &path,
                        k,
                        "only `${{$include(Schema/Version[, Subtree])}}` may stand as a key",
                    )),
                },
                Err(d) => c.push(d),
            }
            continue;
        }
        if key.is_empty() || key.split('.').any(str::is_empty) {
            c.push(diag_at(
                file,
                &path,
                k,
                format!("`{key}` is not a valid configuration key"),
            ));
            continue;
        }
        let raw: RawRule = if matches!(v.kind, NodeKind::Null) {
            match c.take(typed(
                &Node {
                    kind: NodeKind::Map(Vec::new()),
                    line: v.line,
                    column: v.column,
                },
                file,
                &path,
            ))? {
                Some(r) => r,
                None => continue,
            }
        } else {
            match c.take(typed(v, file, &path))? {
                Some(r) => r,
                None => continue,
            }
        };
        if let Some(rule) = compile_rule(raw, key, &path, v, file, c) {
            out.push(SchemaEntry::Rule(Box::new(rule)));
        }
    }
    Ok(out)
}

fn compile_rule(
    raw: RawRule,
    key: String,
    path: &str,
    node: &Node,
    file: &str,
    c: &mut Collector,
) -> Option<Rule> {
    let at = |field: &str| {
        let (line, col) = node.line_of(field).unwrap_or((node.line, node.column));
        Location::file(file)
            .with_key(join_path(path, field))
            .at(line, col)
    };
    let before = c.is_empty();
    let mut ok = true;
    let value_type = match raw.value_type.as_deref() {
        None => None,
        Some(t) => match ValueType::parse(t) {
            Some(vt) => Some(vt),
            None => {
                let mut d = Diagnostic::new(at("type"), format!("unknown type `{t}`"));
                d = d.with_hint(match closest(t, TYPE_NAMES) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("types are {}", TYPE_NAMES.join(", ")),
                });
                c.push(d);
                ok = false;
                None
            }
        },
    };
    let pattern = match raw.pattern.as_deref() {
        None => None,
        // Searched, not anchored: WO (Go's `regexp.MatchString`) and JSON Schema both accept a
        // string that contains a match; a schema anchors with `^…$` where it means the whole.
        Some(p) => match regex::RegexBuilder::new(p).size_limit(1 << 20).build() {
            Ok(r) => Some(r),
            Err(e) => {
                c.push(Diagnostic::new(
                    at("pattern"),
                    format!("invalid pattern: {e}"),
                ));
                ok = false;
                None
            }
        },
    };
    let expression = match raw.expression.as_deref() {
        None => None,
        Some(text) => {
            let n = node.get("expression").unwrap_or(node);
            match parse_field(file, &join_path(path, "expression"), n, text) {
                Ok(f) => Some(f),
                Err(d) => {
                    c.push(d);
                    ok = false;
                    None
                }
            }
        }
    };
    if let (Some(lo), Some(hi)) = (raw.min_value, raw.max_value) {
        if lo > hi {
            c.push(Diagnostic::new(
                at("minValue"),
                format!("minValue {lo} is greater than maxValue {hi}"),
            ));
            ok = false;
        }
    }
    let _ = (raw.place_holder, raw.label, raw.disabled, before);
    ok.then(|| Rule {
        key,
        value_type,
        required: raw.required,
        default_value: raw.default_value,
        allowed_values: raw.allowed_values,
        disallowed_values: raw.disallowed_values,
        pattern,
        min_value: raw.min_value,
        max_value: raw.max_value,
        expression,
        editable_at: raw.editable_at,
        editable_by: raw.editable_by,
        description: raw.description,
        location: Location::file(file)
            .with_key(path)
            .at(node.line, node.column),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidation {
    expression: String,
    message: Option<String>,
}

fn parse_validations(node: &Node, file: &str, c: &mut Collector) -> Result<Vec<Validation>> {
    let items = match &node.kind {
        NodeKind::Seq(items) => items,
        NodeKind::Null => return Ok(Vec::new()),
        _ => {
            c.push(diag_at(
                file,
                "rules.validations",
                node,
                "expected a list of `- expression: ${{ … }}`",
            ));
            return Ok(Vec::new());
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("rules.validations.{i}");
        let Some(raw) = c.take(typed::<RawValidation>(item, file, &path))? else {
            continue;
        };
        let n = item.get("expression").unwrap_or(item);
        match parse_field(file, &format!("{path}.expression"), n, &raw.expression) {
            Ok(expression) => out.push(Validation {
                expression,
                message: raw.message,
                location: Location::file(file)
                    .with_key(path)
                    .at(item.line, item.column),
            }),
            Err(d) => c.push(d),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_parse() {
        assert_eq!(
            ValueType::parse("array[int]"),
            Some(ValueType::Array(Some(Box::new(ValueType::Int))))
        );
        assert_eq!(ValueType::parse("float"), Some(ValueType::Float));
        assert_eq!(ValueType::parse("strng"), None);
        assert!(ValueType::Float.admits(&serde_json::json!(3)));
        assert!(!ValueType::Int.admits(&serde_json::json!(3.5)));
        assert!(
            !ValueType::Array(Some(Box::new(ValueType::Int))).admits(&serde_json::json!([1, "a"]))
        );
    }
}
