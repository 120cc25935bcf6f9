//! A serde [`Deserializer`](serde::Deserializer) over [`Node`]s that tracks key paths, so that
//! every error names the key path and line of the node where it happened.
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

use super::{Node, NodeKind};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};

pub(crate) fn from_node<T: de::DeserializeOwned>(node: &Node, file: &str) -> Result<T> {
    let root = Path::Root;
    T::deserialize(NodeDe {
        node,
        path: &root,
        key: false,
    })
    .map_err(|e| e.into_error(node, file))
}

/// A key path as a linked list through the stack of deserializers; rendered only on error.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (parent, sep) = match self {
            Path::Root => return Ok(()),
            Path::Key(p, _) | Path::Index(p, _) => (p, !matches!(p, Path::Root)),
        };
        parent.fmt(f)?;
        if sep {
            f.write_str(".")?;
        }
        match self {
            Path::Key(_, k) => f.write_str(k),
            Path::Index(_, i) => write!(f, "{i}"),
            Path::Root => Ok(()),
        }
    }
}

/// The error of deserialization: a message, an optional hint, and the position of the node
/// where it happened (attached by the innermost deserializer that sees the error).
#[derive(Debug)]
pub(crate) struct DeError {
    message: String,
    hint: Option<String>,
    at: Option<(String, u32, u32)>,
}

impl DeError {
    fn new(message: String) -> Self {
        Self {
            message,
            hint: None,
            at: None,
        }
    }

    fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Attaches a position unless a deeper node already did.
    fn at(mut self, node: &Node, path: &Path<'_>) -> Self {
        if self.at.is_none() {
            self.at = Some((path.to_string(), node.line, node.column));
        }
        self
    }

    fn into_error(self, root: &Node, file: &str) -> Error {
        let (key_path, line, column) = self.at.unwrap_or((String::new(), root.line, root.column));
        let mut d = Diagnostic::new(
            Location::file(file).with_key(key_path).at(line, column),
            self.message,
        );
        if let Some(h) = self.hint {
            d = d.with_hint(h);
        }
        Error::Invalid(Diagnostics(vec![d]))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

/// Describes an unexpected value the way users read it ("a sequence", "the string `x`").
fn describe(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Bool(b) => format!("the boolean `{b}`"),
        Unexpected::Unsigned(u) => format!("the integer `{u}`"),
        Unexpected::Signed(i) => format!("the integer `{i}`"),
        Unexpected::Float(f) => format!("the float `{}`", super::scalar::float_text(*f)),
        Unexpected::Char(c) => format!("the character `{c}`"),
        Unexpected::Str(s) => format!("the string `{}`", brief(s)),
        Unexpected::Bytes(_) => "bytes".to_owned(),
        Unexpected::Unit => "null".to_owned(),
        Unexpected::Option => "an optional value".to_owned(),
        Unexpected::NewtypeStruct => "a newtype struct".to_owned(),
        Unexpected::Seq => "a sequence".to_owned(),
        Unexpected::Map => "a map".to_owned(),
        Unexpected::Enum => "an enum".to_owned(),
        Unexpected::UnitVariant => "a unit variant".to_owned(),
        Unexpected::NewtypeVariant => "a newtype variant".to_owned(),
        Unexpected::TupleVariant => "a tuple variant".to_owned(),
        Unexpected::StructVariant => "a struct variant".to_owned(),
        Unexpected::Other(o) => (*o).to_owned(),
    }
}

fn brief(s: &str) -> String {
    if s.chars().count() > 40 {
        s.chars().take(37).collect::<String>() + "..."
    } else {
        s.to_owned()
    }
}

/// "did you mean `name`?" when a candidate is close, else "expected one of `a`, `b`".
fn suggestion(given: &str, expected: &'static [&'static str]) -> Option<String> {
    let best = expected
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&given.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, c)) if score >= 0.8 => Some(format!("did you mean `{c}`?")),
        _ if expected.is_empty() => None,
        _ => Some(format!(
            "expected one of {}",
            expected
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new(format!("expected {exp}, found {}", describe(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new(format!(
            "invalid value: {}, expected {exp}",
            describe(&unexp)
        ))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(format!("unknown field `{field}`")).with_hint(suggestion(field, expected))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(format!("unknown variant `{variant}`")).with_hint(suggestion(variant, expected))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new(format!("missing field `{field}`"))
    }
}

type DeResult<T> = std::result::Result<T, DeError>;

/// The deserializer of one node. `key` marks a mapping key, whose scalars read as strings
/// (the same text [`Node::to_value`] gives them).
struct NodeDe<'n, 'p> {
    node: &'n Node,
    path: &'p Path<'p>,
    key: bool,
}

impl<'n, 'p> NodeDe<'n, 'p> {
    fn unexpected(&self) -> Unexpected<'n> {
        match &self.node.kind {
            NodeKind::Null => Unexpected::Unit,
            NodeKind::Bool(b) => Unexpected::Bool(*b),
            NodeKind::Int(i) => Unexpected::Signed(*i),
            NodeKind::Float(f) => Unexpected::Float(*f),
            NodeKind::Str(s) => Unexpected::Str(s),
            NodeKind::Seq(_) => Unexpected::Seq,
            NodeKind::Map(_) => Unexpected::Map,
        }
    }

    fn invalid_type<V>(&self, exp: &dyn de::Expected) -> DeResult<V> {
        Err(<DeError as de::Error>::invalid_type(self.unexpected(), exp).at(self.node, self.path))
    }

    fn at<V>(&self, r: DeResult<V>) -> DeResult<V> {
        r.map_err(|e| e.at(self.node, self.path))
    }

    fn int<'de, V: Visitor<'de>, T>(
        self,
        visitor: V,
        name: &str,
        visit: impl FnOnce(V, T) -> DeResult<V::Value>,
    ) -> DeResult<V::Value>
    where
        T: TryFrom<i64>,
    {
        let i = match &self.node.kind {
            NodeKind::Int(i) => *i,
            // A key like `"80"` can still fill an integer-keyed map.
            NodeKind::Str(s) if self.key => match s.parse::<i64>() {
                Ok(i) => i,
                Err(_) => return self.invalid_type(&visitor),
            },
            _ => return self.invalid_type(&visitor),
        };
        match T::try_from(i) {
            Ok(v) => self.at(visit(visitor, v)),
            Err(_) => Err(
                DeError::new(format!("the integer `{i}` is out of range for {name}"))
                    .at(self.node, self.path),
            ),
        }
    }

    fn seq<'de, V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Seq(items) => {
                let mut access = SeqAccess {
                    items: items.iter().enumerate(),
                    path: self.path,
                    len: items.len(),
                };
                let value = self.at(visitor.visit_seq(&mut access))?;
                let left = access.items.len();
                if left > 0 {
                    return Err(DeError::new(format!(
                        "expected {} elements, found {}",
                        access.len - left,
                        access.len
                    ))
                    .at(self.node, self.path));
                }
                Ok(value)
            }
            // An empty `key:` reads as an empty collection.
            NodeKind::Null => self.at(visitor.visit_seq(SeqAccess {
                items: <&[Node]>::default().iter().enumerate(),
                path: self.path,
                len: 0,
            })),
            _ => self.invalid_type(&visitor),
        }
    }

    fn map<'de, V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Map(entries) => self.at(visitor.visit_map(MapAccess {
                entries: entries.iter(),
                path: self.path,
                value: None,
            })),
            // An empty `key:` (or an empty file) reads as an empty map, so that missing fields
            // are reported by name.
            NodeKind::Null => self.at(visitor.visit_map(MapAccess {
                entries: <&[(Node, Node)]>::default().iter(),
                path: self.path,
                value: None,
            })),
            _ => self.invalid_type(&visitor),
        }
    }
}

macro_rules! int_methods {
    ($($method:ident $ty:ident $visit:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
            self.int::<V, $ty>(visitor, stringify!($ty), |v, x| v.$visit(x))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        if self.key {
            if let Some(text) = self.node.key_text() {
                return self.at(visitor.visit_string(text));
            }
        }
        match &self.node.kind {
            NodeKind::Null => self.at(visitor.visit_unit()),
            NodeKind::Bool(b) => self.at(visitor.visit_bool(*b)),
            NodeKind::Int(i) => self.at(visitor.visit_i64(*i)),
            // Self-describing targets (`Value`, untagged enums) would turn these into null.
            NodeKind::Float(f) if !f.is_finite() => Err(DeError::new(format!(
                "the float {} cannot be represented as a value (only finite numbers can)",
                super::scalar::float_text(*f)
            ))
            .at(self.node, self.path)),
            NodeKind::Float(f) => self.at(visitor.visit_f64(*f)),
            NodeKind::Str(s) => self.at(visitor.visit_str(s)),
            NodeKind::Seq(_) => self.seq(visitor),
            NodeKind::Map(_) => self.map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Bool(b) => self.at(visitor.visit_bool(*b)),
            _ => self.invalid_type(&visitor),
        }
    }

    int_methods! {
        deserialize_i8 i8 visit_i8
        deserialize_i16 i16 visit_i16
        deserialize_i32 i32 visit_i32
        deserialize_i64 i64 visit_i64
        deserialize_i128 i128 visit_i128
        deserialize_u8 u8 visit_u8
        deserialize_u16 u16 visit_u16
        deserialize_u32 u32 visit_u32
        deserialize_u64 u64 visit_u64
        deserialize_u128 u128 visit_u128
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Float(f) => self.at(visitor.visit_f64(*f)),
            // Integers are exact in the range configuration values use.
            NodeKind::Int(i) => self.at(visitor.visit_f64(*i as f64)),
            _ => self.invalid_type(&visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Str(s) => self.at(visitor.visit_str(s)),
            _ if self.key => match self.node.key_text() {
                Some(text) => self.at(visitor.visit_string(text)),
                None => self.invalid_type(&visitor),
            },
            _ => self.invalid_type(&visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Str(s) => self.at(visitor.visit_bytes(s.as_bytes())),
            NodeKind::Seq(_) => self.seq(visitor),
            _ => self.invalid_type(&visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Null => self.at(visitor.visit_none()),
            _ => {
                let (node, path) = (self.node, self.path);
                visitor.visit_some(self).map_err(|e| e.at(node, path))
            }
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Null => self.at(visitor.visit_unit()),
            _ => self.invalid_type(&visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> DeResult<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> DeResult<V::Value> {
        let (node, path) = (self.node, self.path);
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| e.at(node, path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        self.seq(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> DeResult<V::Value> {
        self.seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> DeResult<V::Value> {
        self.seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        self.map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> DeResult<V::Value> {
        self.map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> DeResult<V::Value> {
        match &self.node.kind {
            NodeKind::Str(_) => self.at(visitor.visit_enum(EnumAccess {
                tag: self.node,
                value: None,
                path: self.path,
            })),
            NodeKind::Map(entries) if entries.len() == 1 => {
                let Some((tag, value)) = entries.first() else {
                    return self.invalid_type(&visitor);
                };
                self.at(visitor.visit_enum(EnumAccess {
                    tag,
                    value: Some(value),
                    path: self.path,
                }))
            }
            _ => self.invalid_type(&visitor),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        match self.node.key_text() {
            Some(text) if self.key => self.at(visitor.visit_string(text)),
            _ => self.deserialize_str(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> DeResult<V::Value> {
        self.at(visitor.visit_unit())
    }
}

struct SeqAccess<'n, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'n, Node>>,
    path: &'p Path<'p>,
    len: usize,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> DeResult<Option<T::Value>> {
        let Some((i, node)) = self.items.next() else {
            return Ok(None);
        };
        let path = Path::Index(self.path, i);
        seed.deserialize(NodeDe {
            node,
            path: &path,
            key: false,
        })
        .map(Some)
        .map_err(|e| e.at(node, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'n, 'p> {
    entries: std::slice::Iter<'n, (Node, Node)>,
    path: &'p Path<'p>,
    /// The current entry: its key text and value.
    value: Option<(String, &'n Node)>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> DeResult<Option<K::Value>> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let text = key.key_text().unwrap_or_default();
        let path = Path::Key(self.path, &text);
        let out = seed
            .deserialize(NodeDe {
                node: key,
                path: &path,
                key: true,
            })
            .map_err(|e| e.at(key, &path));
        self.value = Some((text, value));
        out.map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> DeResult<V::Value> {
        let Some((text, node)) = self.value.take() else {
            return Err(DeError::new(
                "a map value was read before its key".to_owned(),
            ));
        };
        let path = Path::Key(self.path, &text);
        seed.deserialize(NodeDe {
            node,
            path: &path,
            key: false,
        })
        .map_err(|e| e.at(node, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum: a string tag alone (unit variant) or the single key of a map with its value.
struct EnumAccess<'n, 'p> {
    tag: &'n Node,
    value: Option<&'n Node>,
    path: &'p Path<'p>,
}

impl<'de, 'n, 'p> de::EnumAccess<'de> for EnumAccess<'n, 'p> {
    type Error = DeError;
    type Variant = VariantAccess<'n, 'p>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> DeResult<(V::Value, Self::Variant)> {
        let text = self.tag.key_text().unwrap_or_default();
        let tag = seed
            .deserialize(text.clone().into_deserializer())
            .map_err(|e: DeError| e.at(self.tag, self.path))?;
        Ok((
            tag,
            VariantAccess {
                tag: self.tag,
                text,
                value: self.value,
                path: self.path,
            },
        ))
    }
}

struct VariantAccess<'n, 'p> {
    tag: &'n Node,
    text: String,
    value: Option<&'n Node>,
    path: &'p Path<'p>,
}

impl VariantAccess<'_, '_> {
    fn no_content(&self, what: &str) -> DeError {
        DeError::new(format!(
            "the variant `{}` needs {what}: write it as `{}: ...`",
            self.text, self.text
        ))
        .at(self.tag, self.path)
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'_, '_> {
    type Error = DeError;

    fn unit_variant(self) -> DeResult<()> {
        match self.value {
            None => Ok(()),
            Some(v) if matches!(v.kind, NodeKind::Null) => Ok(()),
            Some(v) => {
                let path = Path::Key(self.path, &self.text);
                Err(
                    DeError::new(format!("the variant `{}` takes no value", self.text))
                        .at(v, &path),
                )
            }
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> DeResult<T::Value> {
        let Some(node) = self.value else {
            return Err(self.no_content("a value"));
        };
        let path = Path::Key(self.path, &self.text);
        seed.deserialize(NodeDe {
            node,
            path: &path,
            key: false,
        })
        .map_err(|e| e.at(node, &path))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> DeResult<V::Value> {
        let Some(node) = self.value else {
            return Err(self.no_content("a sequence"));
        };
        let path = Path::Key(self.path, &self.text);
        de::Deserializer::deserialize_seq(
            NodeDe {
                node,
                path: &path,
                key: false,
            },
            visitor,
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> DeResult<V::Value> {
        let Some(node) = self.value else {
            return Err(self.no_content("fields"));
        };
        let path = Path::Key(self.path, &self.text);
        de::Deserializer::deserialize_map(
            NodeDe {
                node,
                path: &path,
                key: false,
            },
            visitor,
        )
    }
}
