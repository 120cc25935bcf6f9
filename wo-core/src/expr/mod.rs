//! The `${{ … }}` expression language of WO configuration templates and schemas.
//!
//! A field is a string that may hold `${{ … }}` blocks between plain text:
//! `${{$val(Port)}}` (a whole-field expression keeps its value's type) or
//! `http://${{$val(Host)}}:${{$val(Port)}}/api` (mixed text: the result is a string).
//!
//! Grammar inside `${{ }}` (whitespace between tokens is ignored):
//!
//! ```text
//! expr    := term ('+' term)*                     -- `+` concatenates text forms
//! term    := call | literal
//! call    := '$' ident '(' [expr (',' expr)*] ')'
//! literal := number | true | false | null | 'quoted' | "quoted" | bare-word
//! ```
//!
//! The functions are WO's (`$val`, `$property`, `$target`, `$if`, comparisons, `$not $and $or
//! $any $empty`, `$cidr_contains`, `$include`, `$config`) and one of wo's: `$source(sha |
//! shortSha | tag)`, the source commit the bundle was read at ([`Scope::source`]).
//!
//! A bare word runs up to the next `,` `(` `)` `+` or `}}` and is trimmed (`RED`,
//! `LogSettingsConfig/1.0.0`, `http://localhost:8080/health`); one that spells a JSON number,
//! `true`, `false` or `null` is that literal. Quoted strings accept `\'`, `\"` and `\\`.
//!
//! Parse once with [`Field::parse`], then [`Field::eval`] as often as needed: evaluation does
//! not re-parse and borrows literals from the tree.
use crate::value::Value;

mod eval;
mod parser;

pub use parser::function_names;

/// Deepest nesting of calls a field may have (bounds the parser's recursion).
pub const MAX_DEPTH: usize = 64;

/// Longest field text (bytes) that may hold expressions.
pub const MAX_FIELD_LEN: usize = 64 * 1024;

/// Longest string an expression may build (bytes): `+` and text mixed with `${{ }}` stop with
/// an error past it, so that a chain of concatenations cannot double its way to gigabytes.
pub const MAX_STRING_BYTES: usize = 4 << 20;

/// The approximate memory a value takes (bytes), counted up to `limit` (the count stops
/// there, so measuring a huge value costs no more than measuring `limit` bytes of it).
///
/// Strings and keys count their bytes, every node 32 bytes more: close to what a
/// [`Value`] holds in memory, and what the engine charges to its per-target budget whenever
/// it copies a value.
pub fn value_size(value: &Value, limit: usize) -> usize {
    const NODE: usize = 32;
    let mut total = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(NODE);
        match v {
            Value::String(s) => total = total.saturating_add(s.len()),
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(m) => {
                for (k, item) in m {
                    total = total.saturating_add(k.len() + NODE);
                    stack.push(item);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
        if total > limit {
            return total;
        }
    }
    total
}

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
    /// Whether a budget stopped the evaluation ([`MAX_STRING_BYTES`]).
    pub budget: bool,
}

/// What an expression can look up.
pub trait Scope {
    /// `$val(path)`.
    fn val(&self, path: &str) -> Result<Value, String>;
    /// `$property(path)`.
    fn property(&self, path: &str) -> Result<Value, String>;
    /// `$target(path)`.
    fn target(&self, path: &str) -> Result<Value, String>;
    /// `$source(field)`: the source commit the bundle was read at (`sha`, `shortSha`, `tag`),
    /// a wo extension of WO's language. The provided version knows no source commit.
    fn source(&self, field: &str) -> Result<Value, String> {
        Err(format!(
            "`$source({field})`: no source commit here (the bundle was not read from a commit of the source repo)"
        ))
    }
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
    /// `$source(field)`.
    Source(String),
}

impl Field {
    /// Parses `text`; `Ok(None)` when it holds no `${{`.
    ///
    /// A `}}` outside an expression is plain text. Errors: an unclosed `${{`, an empty
    /// `${{ }}`, a missing `)`, trailing garbage, an unknown function (with a did-you-mean
    /// hint), a wrong argument count, calls nested deeper than [`MAX_DEPTH`], or a text longer
    /// than [`MAX_FIELD_LEN`].
    pub fn parse(text: &str) -> Result<Option<Field>, ExprError> {
        parser::parse_field(text)
    }

    /// Whether the field is exactly one expression (surrounding whitespace allowed).
    pub fn is_whole_expr(&self) -> bool {
        self.whole_expr().is_some()
    }

    /// The expression when the field is exactly one (surrounding whitespace allowed).
    pub fn whole_expr(&self) -> Option<&Expr> {
        let mut found = None;
        for seg in &self.segments {
            match seg {
                Segment::Text(t) if t.trim().is_empty() => {}
                Segment::Expr(e) if found.is_none() => found = Some(e),
                _ => return None,
            }
        }
        found
    }

    /// `Some(path)` when the field is exactly `${{ $val(path) }}` with a literal string path.
    pub fn as_val_ref(&self) -> Option<&str> {
        match self.whole_expr()? {
            Expr::Call { name, args, .. } if name == "val" => match args.as_slice() {
                [Expr::Literal(Value::String(p), _)] => Some(p),
                _ => None,
            },
            _ => None,
        }
    }

    /// `Some((reference, subtree))` when the field is exactly `${{ $include(ref[, subtree]) }}`
    /// with literal arguments.
    pub fn as_include(&self) -> Option<(String, Option<String>)> {
        match self.whole_expr()? {
            Expr::Call { name, args, .. } if name == "include" => match args.as_slice() {
                [r] => Some((literal_text(r)?, None)),
                [r, s] => Some((literal_text(r)?, Some(literal_text(s)?))),
                _ => None,
            },
            _ => None,
        }
    }

    /// Every `$val`, `$property`, `$target` and `$source` with a literal path, in order of
    /// appearance.
    pub fn refs(&self) -> Vec<Ref> {
        let mut out = Vec::new();
        for seg in &self.segments {
            if let Segment::Expr(e) = seg {
                collect_refs(e, &mut out);
            }
        }
        out
    }

    /// Evaluates the field: a whole-field expression keeps its value's type; text mixed with
    /// expressions gives a string (strings raw, null as nothing, other values as compact JSON).
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, ExprError> {
        if let Some(e) = self.whole_expr() {
            return e.eval(scope);
        }
        let mut out = String::with_capacity(self.source.len());
        for seg in &self.segments {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Expr(e) => {
                    eval::write_text(&*eval::eval(e, scope)?, &mut out);
                    eval::check_length(&out, e.span())?;
                }
            }
        }
        Ok(Value::String(out))
    }
}

impl Expr {
    /// Where the expression sits in the field text.
    pub fn span(&self) -> Span {
        match self {
            Expr::Literal(_, s) | Expr::Concat(_, s) | Expr::Call { span: s, .. } => *s,
        }
    }

    /// Evaluates the expression (calls inside-out; `$if`, `$and`, `$or` short-circuit).
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, ExprError> {
        eval::eval(self, scope).map(std::borrow::Cow::into_owned)
    }
}

/// The text of a scalar literal (strings as they are, numbers and booleans as they print).
fn literal_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(Value::String(s), _) => Some(s.clone()),
        Expr::Literal(v @ (Value::Number(_) | Value::Bool(_)), _) => Some(v.to_string()),
        _ => None,
    }
}

fn collect_refs(e: &Expr, out: &mut Vec<Ref>) {
    match e {
        Expr::Literal(..) => {}
        Expr::Concat(parts, _) => parts.iter().for_each(|p| collect_refs(p, out)),
        Expr::Call { name, args, .. } => {
            let make: Option<fn(String) -> Ref> = match name.as_str() {
                "val" => Some(Ref::Val),
                "property" => Some(Ref::Property),
                "target" => Some(Ref::Target),
                "source" => Some(Ref::Source),
                _ => None,
            };
            if let (Some(make), [arg]) = (make, args.as_slice()) {
                if let Some(path) = literal_text(arg) {
                    out.push(make(path));
                }
            }
            args.iter().for_each(|a| collect_refs(a, out));
        }
    }
}

impl ExprError {
    /// An error with `message` at `span`, no hint, supported.
    pub fn new(message: String, span: Span) -> Self {
        ExprError {
            message,
            span,
            hint: None,
            unsupported: false,
            budget: false,
        }
    }
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (bytes {}..{})",
            self.message, self.span.start, self.span.end
        )?;
        if let Some(h) = &self.hint {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExprError {}

#[cfg(test)]
mod tests;
