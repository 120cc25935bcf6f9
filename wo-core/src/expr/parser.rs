//! Lexer and recursive-descent parser for fields holding `${{ … }}` blocks.
//!
//! The lexer is context-free: every token except a bare word starts with a distinctive
//! character, and a bare word runs up to the next delimiter (`,` `(` `)` `+` `}}`), so bare
//! words like `http://host:8080/health` or `10.0.0.0/8` need no quoting.
use super::{Expr, ExprError, Field, Segment, Span, MAX_DEPTH, MAX_FIELD_LEN};
use crate::value::Value;

/// What a known function accepts.
struct FnSpec {
    name: &'static str,
    min: usize,
    /// `None`: no upper bound.
    max: Option<usize>,
}

/// Every function the language knows, with its argument counts.
const FUNCTIONS: &[FnSpec] = &[
    FnSpec {
        name: "val",
        min: 1,
        max: Some(1),
    },
    FnSpec {
        name: "property",
        min: 1,
        max: Some(1),
    },
    FnSpec {
        name: "target",
        min: 1,
        max: Some(1),
    },
    FnSpec {
        name: "source",
        min: 1,
        max: Some(1),
    },
    FnSpec {
        name: "if",
        min: 3,
        max: Some(3),
    },
    FnSpec {
        name: "eq",
        min: 2,
        max: Some(2),
    },
    FnSpec {
        name: "ne",
        min: 2,
        max: Some(2),
    },
    FnSpec {
        name: "gt",
        min: 2,
        max: Some(2),
    },
    FnSpec {
        name: "ge",
        min: 2,
        max: Some(2),
    },
    FnSpec {
        name: "lt",
        min: 2,
        max: Some(2),
    },
    FnSpec {
        name: "le",
        min: 2,
        max: Some(2),
    },
    FnSpec {
        name: "between",
        min: 3,
        max: Some(3),
    },
    FnSpec {
        name: "not",
        min: 1,
        max: Some(1),
    },
    FnSpec {
        name: "and",
        min: 1,
        max: None,
    },
    FnSpec {
        name: "or",
        min: 1,
        max: None,
    },
    FnSpec {
        name: "any",
        min: 1,
        max: None,
    },
    FnSpec {
        name: "empty",
        min: 1,
        max: Some(1),
    },
    FnSpec {
        name: "cidr_contains",
        min: 2,
        max: Some(2),
    },
    FnSpec {
        name: "include",
        min: 1,
        max: Some(2),
    },
    FnSpec {
        name: "config",
        min: 1,
        max: Some(2),
    },
];

/// The names of every known function (without `$`).
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// Parses a whole field; see [`Field::parse`].
pub(super) fn parse_field(text: &str) -> Result<Option<Field>, ExprError> {
    let Some(first) = text.find("${{") else {
        return Ok(None);
    };
    if text.len() > MAX_FIELD_LEN {
        return Err(ExprError::new(
            format!(
                "field is {} bytes long; fields with expressions are limited to {} bytes",
                text.len(),
                MAX_FIELD_LEN
            ),
            Span {
                start: 0,
                end: text.len(),
            },
        ));
    }
    let mut segments = Vec::new();
    let mut pos = 0;
    let mut next_open = Some(first);
    while let Some(open) = next_open {
        if open > pos {
            segments.push(Segment::Text(text[pos..open].to_string()));
        }
        let (expr, end) = parse_block(text, open)?;
        segments.push(Segment::Expr(expr));
        pos = end;
        next_open = text[pos..].find("${{").map(|i| i + pos);
    }
    if pos < text.len() {
        segments.push(Segment::Text(text[pos..].to_string()));
    }
    Ok(Some(Field {
        source: text.to_string(),
        segments,
    }))
}

/// Parses the block whose `${{` starts at byte `open`; returns the expression and the byte
/// after its closing `}}`.
fn parse_block(text: &str, open: usize) -> Result<(Expr, usize), ExprError> {
    let mut p = Parser {
        lx: Lexer {
            text,
            pos: open + 3,
        },
        peeked: None,
        text,
        open,
    };
    let first = p.peek()?;
    if let Tok::Close = first.tok {
        return Err(ExprError::new(
            "empty expression `${{ }}`".to_string(),
            Span {
                start: open,
                end: first.span.end,
            },
        ));
    }
    let expr = p.expr(0)?;
    let after = p.next()?;
    match after.tok {
        Tok::Close => Ok((expr, after.span.end)),
        Tok::Eof => Err(p.unclosed()),
        _ => Err(ExprError::new(
            format!(
                "unexpected {} after the expression; expected `+` or `}}}}`",
                after.describe(text)
            ),
            after.span,
        )),
    }
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    /// `$name` (without the `$`).
    Func(&'a str),
    LParen,
    RParen,
    Comma,
    Plus,
    /// `}}`
    Close,
    /// A quoted string, unescaped.
    Str(String),
    /// A bare word, trimmed.
    Word(&'a str),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
struct Token<'a> {
    tok: Tok<'a>,
    span: Span,
}

impl Token<'_> {
    /// How a message names this token.
    fn describe(&self, text: &str) -> String {
        match self.tok {
            Tok::Eof => "end of text".to_string(),
            Tok::Str(_) => "a quoted string".to_string(),
            _ => format!(
                "`{}`",
                text.get(self.span.start..self.span.end).unwrap_or("")
            ),
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn skip_ws(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn next(&mut self) -> Result<Token<'a>, ExprError> {
        self.skip_ws();
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let Some(&b) = bytes.get(start) else {
            return Ok(Token {
                tok: Tok::Eof,
                span: Span { start, end: start },
            });
        };
        let single = |tok, lx: &mut Self| {
            lx.pos += 1;
            Ok(Token {
                tok,
                span: Span {
                    start,
                    end: start + 1,
                },
            })
        };
        match b {
            b'(' => single(Tok::LParen, self),
            b')' => single(Tok::RParen, self),
            b',' => single(Tok::Comma, self),
            b'+' => single(Tok::Plus, self),
            b'}' if bytes.get(start + 1) == Some(&b'}') => {
                self.pos += 2;
                Ok(Token {
                    tok: Tok::Close,
                    span: Span {
                        start,
                        end: start + 2,
                    },
                })
            }
            b'$' => {
                let name_len = bytes[start + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                let starts_ok = bytes
                    .get(start + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_');
                if name_len == 0 || !starts_ok {
                    return Err(ExprError::new(
                        "expected a function name after `$`".to_string(),
                        Span {
                            start,
                            end: start + 1,
                        },
                    ));
                }
                self.pos = start + 1 + name_len;
                Ok(Token {
                    tok: Tok::Func(&self.text[start + 1..self.pos]),
                    span: Span {
                        start,
                        end: self.pos,
                    },
                })
            }
            b'\'' | b'"' => self.quoted(b as char),
            _ => Ok(self.word()),
        }
    }

    /// A quoted string; `\` escapes the quote and itself, other escapes are kept verbatim.
    fn quoted(&mut self, quote: char) -> Result<Token<'a>, ExprError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.text[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.pos = start + 1 + i + 1;
                return Ok(Token {
                    tok: Tok::Str(out),
                    span: Span {
                        start,
                        end: self.pos,
                    },
                });
            }
            if c == '\\' {
                match chars.next() {
                    Some((_, e)) if e == quote || e == '\\' => out.push(e),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                }
            } else {
                out.push(c);
            }
        }
        Err(ExprError::new(
            format!("unterminated string: no closing {quote}"),
            Span {
                start,
                end: self.text.len(),
            },
        ))
    }

    /// A bare word: everything up to `,` `(` `)` `+` `}}` or the end, trimmed.
    fn word(&mut self) -> Token<'a> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut end = start;
        while let Some(&c) = bytes.get(end) {
            let stop = matches!(c, b',' | b'(' | b')' | b'+')
                || (c == b'}' && bytes.get(end + 1) == Some(&b'}'));
            if stop {
                break;
            }
            end += 1;
        }
        self.pos = end;
        // Delimiters are ASCII, so `end` is a char boundary.
        let word = self.text[start..end].trim_end();
        Token {
            tok: Tok::Word(word),
            span: Span {
                start,
                end: start + word.len(),
            },
        }
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
    peeked: Option<Token<'a>>,
    text: &'a str,
    /// Where this block's `${{` starts.
    open: usize,
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Result<&Token<'a>, ExprError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lx.next()?);
        }
        match &self.peeked {
            Some(t) => Ok(t),
            // Unreachable: filled just above; an error beats a panic.
            None => Err(ExprError::new(
                "internal lexer error".to_string(),
                Span::default(),
            )),
        }
    }

    fn next(&mut self) -> Result<Token<'a>, ExprError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next(),
        }
    }

    fn unclosed(&self) -> ExprError {
        let line_start = self.text[..self.open].rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..self.open].chars().count() + 1;
        ExprError::new(
            format!("unclosed `${{{{` opened at column {column}: no closing `}}}}`"),
            Span {
                start: self.open,
                end: self.open + 3,
            },
        )
    }

    /// `expr := term ('+' term)*`
    fn expr(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let first = self.term(depth)?;
        if !matches!(self.peek()?.tok, Tok::Plus) {
            return Ok(first);
        }
        let start = first.span().start;
        let mut parts = vec![first];
        while matches!(self.peek()?.tok, Tok::Plus) {
            self.next()?;
            parts.push(self.term(depth)?);
        }
        let end = parts.last().map_or(start, |e| e.span().end);
        Ok(Expr::Concat(parts, Span { start, end }))
    }

    /// `term := call | literal`
    fn term(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let t = self.next()?;
        match t.tok {
            Tok::Func(name) => self.call(name, t.span, depth),
            Tok::Str(s) => Ok(Expr::Literal(Value::String(s), t.span)),
            Tok::Word(w) if !w.is_empty() => Ok(Expr::Literal(classify_word(w), t.span)),
            Tok::Eof => Err(self.unclosed()),
            _ => Err(ExprError::new(
                format!(
                    "expected a value or a `$function(…)`, found {}",
                    t.describe(self.text)
                ),
                t.span,
            )),
        }
    }

    /// `call := '$' ident '(' [expr (',' expr)*] ')'`
    fn call(&mut self, name: &'a str, name_span: Span, depth: usize) -> Result<Expr, ExprError> {
        if depth >= MAX_DEPTH {
            return Err(ExprError::new(
                format!("expression nests calls deeper than {MAX_DEPTH} levels"),
                name_span,
            ));
        }
        let Some(spec) = FUNCTIONS.iter().find(|f| f.name == name) else {
            let mut e = ExprError::new(format!("unknown function `${name}`"), name_span);
            e.hint = suggest(name).map(|s| format!("did you mean `${s}`?"));
            return Err(e);
        };
        let open = self.next()?;
        if open.tok != Tok::LParen {
            if open.tok == Tok::Eof {
                return Err(self.unclosed());
            }
            return Err(ExprError::new(
                format!(
                    "expected `(` after `${name}`, found {}",
                    open.describe(self.text)
                ),
                open.span,
            ));
        }
        let mut args = Vec::new();
        let end;
        if matches!(self.peek()?.tok, Tok::RParen) {
            end = self.next()?.span.end;
        } else {
            loop {
                args.push(self.expr(depth + 1)?);
                let t = self.next()?;
                match t.tok {
                    Tok::Comma => {}
                    Tok::RParen => {
                        end = t.span.end;
                        break;
                    }
                    Tok::Eof => return Err(self.unclosed()),
                    Tok::Close => {
                        return Err(ExprError::new(
                            format!("missing `)` to close `${name}(`"),
                            Span {
                                start: name_span.start,
                                end: t.span.start,
                            },
                        ))
                    }
                    _ => {
                        return Err(ExprError::new(
                            format!(
                                "unexpected {} in the arguments of `${name}`; expected `,` or `)`",
                                t.describe(self.text)
                            ),
                            t.span,
                        ))
                    }
                }
            }
        }
        let span = Span {
            start: name_span.start,
            end,
        };
        let n = args.len();
        let ok = n >= spec.min && spec.max.is_none_or(|m| n <= m);
        if !ok {
            return Err(ExprError::new(arity_message(spec, n), span));
        }
        Ok(Expr::Call {
            name: name.to_string(),
            args,
            span,
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "argument"
    } else {
        "arguments"
    }
}

fn arity_message(spec: &FnSpec, got: usize) -> String {
    let name = spec.name;
    match spec.max {
        Some(max) if max == spec.min => {
            format!("`${name}` takes {max} {}, got {got}", plural(max))
        }
        Some(max) => format!("`${name}` takes {} or {max} arguments, got {got}", spec.min),
        None => format!(
            "`${name}` takes at least {} {}, got {got}",
            spec.min,
            plural(spec.min)
        ),
    }
}

/// The known function closest to `name`, if close enough to be a likely typo.
fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    FUNCTIONS
        .iter()
        .map(|f| (strsim::damerau_levenshtein(&lower, f.name), f.name))
        .filter(|(d, f)| *d <= 2 && *d < f.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

/// A bare word that spells a number, boolean or null is that literal; otherwise a string.
fn classify_word(w: &str) -> Value {
    match w {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => {
            // JSON number syntax only (no `+1`, `.5`, `NaN`, `inf`); cheap pre-check avoids the
            // serde_json call for ordinary words.
            let numeric = w
                .as_bytes()
                .first()
                .is_some_and(|b| *b == b'-' || b.is_ascii_digit());
            if numeric {
                if let Ok(n) = serde_json::from_str::<serde_json::Number>(w) {
                    return Value::Number(n);
                }
            }
            Value::String(w.to_string())
        }
    }
}
