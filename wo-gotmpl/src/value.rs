//! Go's dynamic values, as a template sees them.
//!
//! Helm hands templates `interface{}` values: what `sigs.k8s.io/yaml` decodes (`float64` for
//! every number, `map[string]interface{}`, `[]interface{}`, `string`, `bool`, `nil`), what
//! Sprig functions return (`int`, `int64`, `[]string`, …) and a few structs with fields and
//! methods (`.Chart`, `.Capabilities`, `.Files`). [`Value`] keeps the distinctions a template
//! can observe: the Go type (`kindIs`, `typeOf`, `printf "%T"`), how it prints (`%v` of a
//! `float64` 1000000 is `1e+06`), and that maps are references (`set $d "k" v` changes `$d`
//! wherever it is seen).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// The entries of a Go `map[string]interface{}`; Go ranges over and prints maps in key order.
pub type Map = BTreeMap<String, Value>;

/// A snapshot of a shared map's entries, in key order: for walking a map while something may
/// change it (Go's `range` over a map, merging into it).
pub(crate) fn entries(m: &RefCell<Map>) -> Vec<(String, Value)> {
    m.borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A Go value held in an `interface{}`.
#[derive(Clone, Default)]
pub enum Value {
    /// Go's `nil` (an empty interface: a missing map key, a YAML `null`).
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (template integer constants, `len`, `int`, `atoi`, `index` of a list).
    Int(i64),
    /// `int64` (Sprig's integer math: `add`, `sub`, `mul`, `int64`, `max`, …).
    Int64(i64),
    /// `float64` (every number decoded from YAML or JSON; Sprig's float math).
    Float(f64),
    /// `string`.
    String(Rc<str>),
    /// `[]byte` (`.Files.GetBytes`; prints as `[104 105]`, `toString` makes it text).
    Bytes(Rc<[u8]>),
    /// `[]interface{}` (YAML sequences, `list`, `append`, …).
    List(Rc<Vec<Value>>),
    /// `[]string` (`splitList`, `keys`, `sortAlpha`, `regexFindAll`, …).
    StrList(Rc<Vec<String>>),
    /// `map[string]interface{}`: a reference, as in Go — clones share the entries.
    Map(Rc<RefCell<Map>>),
    /// A struct or named type with fields and methods (`.Chart`, `.Capabilities`, `.Files`).
    Object(Rc<dyn Object>),
}

/// A Go struct (or named type) a template reaches fields and methods of.
pub trait Object {
    /// The Go type as `printf "%T"` / `typeOf` name it (`*chart.Metadata`, `chartutil.Files`).
    fn type_name(&self) -> &str;
    /// The Go kind as `kindOf` names it (`ptr`, `struct`, `map`).
    fn kind(&self) -> &str;
    /// A field, or a method without arguments (`.Chart.Name`, `.Capabilities.KubeVersion`).
    fn field(&self, name: &str) -> Option<Value>;
    /// Calls a method with arguments (`.Files.Get "x"`, `.Capabilities.APIVersions.Has "v1"`).
    /// `None` when there is no such method; `Some(Err(message))` when it fails.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>>;
    /// How `%v` (and `print`, `{{ . }}`) prints it: a `String()` method's result, or Go's
    /// struct layout `{a b}`.
    fn display(&self) -> String;
    /// What `encoding/json` makes of it (`toJson`, `toYaml`), as a value of plain data.
    fn to_data(&self) -> Value {
        Value::Nil
    }
}

thread_local! {
    /// The nil `[]interface{}` and `[]string` of this thread (see [`Value::nil_list`]).
    static NIL_LIST: Rc<Vec<Value>> = Rc::new(Vec::new());
    static NIL_STR_LIST: Rc<Vec<String>> = Rc::new(Vec::new());
}

impl Value {
    /// A nil `[]interface{}`, as Sprig's `rest`/`initial` of an empty list and `concat` of
    /// nothing return: it is an empty list to everything but `encoding/json` (and so
    /// `toJson`/`toYaml`), which writes `null`, and `reflect.DeepEqual`, which tells it from an
    /// empty list. It is the empty list shared by the thread, told apart by identity
    /// ([`Value::is_nil_slice`]); any list built from it is a new, non-nil one.
    pub fn nil_list() -> Value {
        NIL_LIST.with(|l| Value::List(l.clone()))
    }

    /// A nil `[]string` (`regexFindAll` finding nothing), as [`Value::nil_list`].
    pub fn nil_str_list() -> Value {
        NIL_STR_LIST.with(|l| Value::StrList(l.clone()))
    }

    /// Whether this is a nil slice ([`Value::nil_list`], [`Value::nil_str_list`]).
    pub fn is_nil_slice(&self) -> bool {
        match self {
            Value::List(l) => l.is_empty() && NIL_LIST.with(|n| Rc::ptr_eq(l, n)),
            Value::StrList(l) => l.is_empty() && NIL_STR_LIST.with(|n| Rc::ptr_eq(l, n)),
            _ => false,
        }
    }

    /// A `string`.
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::String(Rc::from(s.as_ref()))
    }

    /// A `[]interface{}`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    /// A `map[string]interface{}` (a new reference).
    pub fn map(entries: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(entries)))
    }

    /// An empty `map[string]interface{}`.
    pub fn empty_map() -> Value {
        Value::map(Map::new())
    }

    /// The string, when this is a `string`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is `nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Go's `text/template` truth: false for `nil`, `false`, zero numbers, empty strings,
    /// lists and maps; true for everything else (structs, non-nil pointers).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::StrList(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(_) => true,
        }
    }

    /// The Go type name, as `printf "%T"` and Sprig's `typeOf` print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::StrList(_) => "[]string".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name().into(),
        }
    }

    /// The Go kind, as Sprig's `kindOf` / `kindIs` name it (`invalid` for nil).
    pub fn kind(&self) -> &str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) | Value::StrList(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => o.kind(),
        }
    }

    /// A copy sharing nothing with `self` (Sprig's `deepCopy`): maps become new references.
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::List(_) if self.is_nil_slice() => self.clone(),
            Value::List(l) => Value::list(l.iter().map(Value::deep_copy).collect()),
            Value::Map(m) => {
                // The tree cloned as it stands (no sorting of keys already sorted), then the
                // nested collections replaced by copies of their own.
                let mut copy = m.borrow().clone();
                for v in copy.values_mut() {
                    if matches!(v, Value::List(_) | Value::Map(_)) {
                        *v = v.deep_copy();
                    }
                }
                Value::map(copy)
            }
            other => other.clone(),
        }
    }

    /// The value as plain JSON data (numbers keep their Go type's meaning: `float64` 1 is `1`).
    /// Objects become what [`Object::to_data`] gives; bytes become base64, as Go's
    /// `encoding/json` writes `[]byte`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Nil => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) | Value::Int64(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.to_string()),
            Value::Bytes(b) => J::String(base64_std(b)),
            Value::List(_) | Value::StrList(_) if self.is_nil_slice() => J::Null,
            Value::List(l) => J::Array(l.iter().map(Value::to_json).collect()),
            Value::StrList(l) => J::Array(l.iter().map(|s| J::String(s.clone())).collect()),
            Value::Map(m) => J::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Object(o) => o.to_data().to_json(),
        }
    }

    /// A value from JSON data as Go's `encoding/json` decodes into `interface{}`: every number
    /// a `float64`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Nil,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::str(s),
            J::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Rc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "int({i})"),
            Value::Int64(i) => write!(f, "int64({i})"),
            Value::Float(x) => write!(f, "float64({x})"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "bytes({b:?})"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::StrList(l) => write!(f, "[]string{l:?}"),
            Value::Map(m) => f.debug_map().entries(m.borrow().iter()).finish(),
            Value::Object(o) => write!(f, "{}({})", o.type_name(), o.display()),
        }
    }
}

/// Go's `%v`: how `fmt.Sprint` prints the value (`1e+06` for a `float64` 1000000,
/// `map[a:1 b:[x y]]`, `<nil>` for nil). The executor prints a nil action result as
/// `<no value>` itself.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("<nil>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) | Value::Int64(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format_float_v(*x)),
            Value::String(s) => f.write_str(s),
            Value::Bytes(b) => {
                f.write_str("[")?;
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{byte}")?;
                }
                f.write_str("]")
            }
            Value::List(l) => {
                f.write_str("[")?;
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::StrList(l) => write!(f, "[{}]", l.join(" ")),
            Value::Map(m) => {
                f.write_str("map[")?;
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{k}:{v}")?;
                }
                f.write_str("]")
            }
            Value::Object(o) => f.write_str(&o.display()),
        }
    }
}

/// A `float64` as Go's `%v` prints it (`strconv.FormatFloat(x, 'g', -1, 64)`): the shortest
/// digits that read back the same, in exponent form when the decimal exponent is below -4 or at
/// least 6 (Go's `%g` uses precision 6 for that decision when printing the shortest form):
/// 1000000 → `1e+06`, 123456 → `123456`, 1234567 → `1.234567e+06`, 0.0001 → `0.0001`,
/// 0.00001 → `1e-05`, 12345678901 → `1.2345678901e+10`, 3.5 → `3.5`, -0 → `-0`, NaN → `NaN`,
/// ±Inf → `+Inf`/`-Inf`.
pub fn format_float_v(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // A whole number below a million (a port, a count: most numbers a chart prints) is its
    // integer digits.
    if x.fract() == 0.0 && x.abs() < 1e6 {
        return (x as i64).to_string();
    }
    format_float_digits(x)
}

/// [`format_float_v`] for a finite, non-zero `x`, from its shortest round-trip digits.
fn format_float_digits(x: f64) -> String {
    // Rust's `{:e}` gives the shortest round-trip digits: "1.234567e6", "-5e-5".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // strconv's %g with the shortest digits switches to exponent form at precision 6.
    let eprec = 6;
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// Standard base64 with padding (Go's `encoding/json` writes `[]byte` so).
pub(crate) fn base64_std(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_strings_do() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefgi",
            "abcdefgha",
            "b",
            "Values",
            "valueS",
            "values",
            "namespaceOverride",
            "namespace",
            "name",
            "é",
            "e\u{301}",
            "ä",
            "z",
            "commonLabels",
            "commonAnnotations",
            "\u{0}",
            "a\u{0}",
        ];
        for a in words {
            for b in words {
                assert_eq!(Key::new(a).cmp(Key::new(b)), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
        let mut m = Map::new();
        for w in words {
            m.insert(w.to_string(), Value::str(w));
        }
        for w in words {
            assert!(
                matches!(m.get(Key::new(w)), Some(v) if v.as_str() == Some(w)),
                "{w:?}"
            );
        }
        assert!(!m.contains_key(Key::new("abcdefgj")));
    }

    #[test]
    fn maps_are_references_and_deep_copies_are_not() {
        let a = Value::empty_map();
        let b = a.clone();
        let c = a.deep_copy();
        if let Value::Map(m) = &b {
            m.borrow_mut().insert("k".into(), Value::Int(1));
        }
        assert!(
            a.truthy(),
            "the entry set through the clone is seen through the original"
        );
        assert!(!c.truthy(), "the deep copy shares nothing");
    }

    #[test]
    fn deep_copies_of_maps_share_no_nested_map_or_list() {
        let inner = Value::empty_map();
        let in_list = Value::empty_map();
        let outer = Value::map(Map::from([
            ("a".to_string(), inner.clone()),
            ("b".to_string(), Value::list(vec![in_list.clone()])),
            ("c".to_string(), Value::str("x")),
        ]));
        let copy = outer.deep_copy();
        for m in [&inner, &in_list] {
            if let Value::Map(m) = m {
                m.borrow_mut().insert("k".into(), Value::Int(1));
            }
        }
        let Value::Map(copy) = copy else {
            panic!("a map copies to a map")
        };
        let copy = copy.borrow();
        assert_eq!(copy.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert!(!copy["a"].truthy(), "the nested map is a copy");
        let Value::List(list) = &copy["b"] else {
            panic!("a list copies to a list")
        };
        assert!(!list[0].truthy(), "the map in the nested list is a copy");
        assert!(matches!(&copy["c"], Value::String(s) if &**s == "x"));
    }

    #[test]
    fn truth_and_types_follow_go() {
        assert!(!Value::Float(0.0).truthy());
        assert!(Value::str("0").truthy());
        assert_eq!(Value::Float(1.0).type_name(), "float64");
        assert_eq!(Value::Nil.kind(), "invalid");
        assert_eq!(Value::StrList(Rc::new(vec![])).kind(), "slice");
        assert_eq!(base64_std(b"hi!?"), "aGkhPw==");
    }

    #[test]
    fn floats_print_as_go_prints_them() {
        for (x, go) in [
            (1_000_000.0, "1e+06"),
            (123_456.0, "123456"),
            (1_234_567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (12_345_678_901.0, "1.2345678901e+10"),
            (3.5, "3.5"),
            (-2.0, "-2"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
        ] {
            assert_eq!(format_float_v(x), go, "{x}");
        }
        let list = Value::list(vec![Value::Float(1.0), Value::str("a"), Value::Nil]);
        assert_eq!(list.to_string(), "[1 a <nil>]");
    }

    /// The whole numbers below a million print as the digits path prints them.
    #[test]
    fn whole_numbers_print_as_their_digits_do() {
        let samples = (1..1_000_000)
            .step_by(7)
            .chain([1, 9, 10, 99_999, 100_000, 999_999]);
        for n in samples {
            for x in [n as f64, -(n as f64)] {
                assert_eq!(format_float_v(x), format_float_digits(x), "{x}");
            }
        }
        assert_eq!(format_float_v(999_999.5), "999999.5");
        assert_eq!(format_float_v(-0.0), "-0");
    }
}

/// A map key looked up with an inline byte comparison: [`Map`]'s lookups compare the key with
/// the keys of each node on the way down, and for the short keys of values and template fields
/// a call to the C library's `memcmp` per comparison costs more than the comparison itself.
/// Orders exactly as `str` does (bytes, then length), as [`std::borrow::Borrow`] requires.
#[repr(transparent)]
#[derive(PartialEq, Eq, ref_cast::RefCastCustom)]
pub(crate) struct Key(str);

impl Key {
    /// `key` as a [`Key`].
    #[ref_cast::ref_cast_custom]
    pub(crate) fn new(key: &str) -> &Key;
}

impl Ord for Key {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let n = a.len().min(b.len());
        let mut i = 0;
        while i + 8 <= n {
            let x = u64::from_be_bytes(a[i..i + 8].try_into().expect("8 bytes"));
            let y = u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            if x != y {
                return x.cmp(&y);
            }
            i += 8;
        }
        while i < n {
            if a[i] != b[i] {
                return a[i].cmp(&b[i]);
            }
            i += 1;
        }
        a.len().cmp(&b.len())
    }
}

impl PartialOrd for Key {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::borrow::Borrow<Key> for String {
    #[inline]
    fn borrow(&self) -> &Key {
        Key::new(self)
    }
}
