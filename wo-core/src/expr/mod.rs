//! The `${{ … }}` expression language. (STUB: the expr helper replaces the bodies; the public
//! signatures below are fixed.)
use crate::value::Value;

/// Byte offsets of a piece of an expression within the field text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal: number, boolean, null, quoted or bare string.
    Literal(Value, Span),
    /// A function call `$name(args…)`.
    Call {
        /// Function name without `$`.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// Where the call sits.
        span: Span,
    },
    /// `a + b + …`: string concatenation.
    Concat(Vec<Expr>, Span),
}

/// A piece of a field: literal text or an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Text outside `${{ }}`.
    Text(String),
    /// An expression inside `${{ }}`.
    Expr(Expr),
}

/// A parsed field value (a string that contains at least one `${{`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The original text.
    pub source: String,
    /// Its pieces.
    pub segments: Vec<Segment>,
}

/// A parse or evaluation error with the span it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// What is wrong.
    pub message: String,
    /// Where, in bytes of the field text.
    pub span: Span,
    /// A hint (did you mean…).
    pub hint: Option<String>,
    /// Whether this is an unsupported-offline function (`$config`).
    pub unsupported: bool,
}

/// What an expression can look up.
pub trait Scope {
    /// `$val(path)`.
    fn val(&self, path: &str) -> Result<Value, String>;
    /// `$property(path)`.
    fn property(&self, path: &str) -> Result<Value, String>;
    /// `$target(path)`.
    fn target(&self, path: &str) -> Result<Value, String>;
}

/// A reference an expression makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// `$val(path)`.
    Val(String),
    /// `$property(path)`.
    Property(String),
    /// `$target(path)`.
    Target(String),
}

impl Field {
    /// Parses `text`; `Ok(None)` when it holds no `${{`.
    pub fn parse(text: &str) -> Result<Option<Field>, ExprError> {
        let _ = text;
        unimplemented!()
    }
    /// Whether the field is exactly one expression (surrounding whitespace allowed).
    pub fn is_whole_expr(&self) -> bool {
        unimplemented!()
    }
    /// `Some(path)` when the field is exactly `${{ $val(path) }}`.
    pub fn as_val_ref(&self) -> Option<&str> {
        unimplemented!()
    }
    /// `Some((reference, subtree))` when the field is exactly `${{ $include(ref[, subtree]) }}`.
    pub fn as_include(&self) -> Option<(String, Option<String>)> {
        unimplemented!()
    }
    /// Every `$val`, `$property` and `$target` reference, in order of appearance.
    pub fn refs(&self) -> Vec<Ref> {
        unimplemented!()
    }
    /// Evaluates the field.
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, ExprError> {
        let _ = scope;
        unimplemented!()
    }
}
