//! Go's `text/template`: lexer, parser, executor, `fmt` verbs and builtins, with Helm's
//! `include` and `tpl`.
//!
//! Start with [`TemplateSet`]: parse each file once with [`TemplateSet::parse`] (its
//! `define`s join the set), then [`TemplateSet::execute`] a template by name with a data
//! value, as many times and on as many threads as needed (the set is `Send + Sync`; each
//! execution keeps its own state and writes into one `String`).
//!
//! ```
//! use std::sync::Arc;
//! use wo_gotmpl::template::TemplateSet;
//! use wo_gotmpl::{Ctx, FuncMap, Value};
//!
//! let mut set = TemplateSet::new(Arc::new(FuncMap::new()));
//! set.parse("t", r#"{{ define "greet" }}hi {{ . }}{{ end }}{{ include "greet" .name }}"#)?;
//! let data = Value::map([("name".to_string(), Value::str("bob"))].into_iter().collect());
//! assert_eq!(set.execute("t", &data, &mut Ctx::default())?, "hi bob");
//! # Ok::<(), wo_gotmpl::template::Error>(())
//! ```
//!
//! Semantics are Go's (`text/template` of Go 1.24, as Helm v4 is built with): missing map
//! keys give nil (`missingkey=zero`, Helm's setting, printed `<no value>`), a field of a nil
//! map entry is Go's "nil pointer evaluating interface {}.x" error, `range` walks lists,
//! maps in key order and integers, `and`/`or` short-circuit, errors read exactly as Go's
//! (`template: NAME:LINE:COL: executing "NAME" at <.x>: …`).
//!
//! Functions come from a [`FuncMap`], checked by name at parse time (`function "x" not
//! defined`) and by [`crate::FuncDef`] arity at execution (`wrong number of args for x: want
//! 2 got 1`). A function's `Err(text)` becomes Go's `error calling NAME: text`, except the
//! texts Go's executor itself produces while converting arguments to a Go function's
//! parameter types — `wrong type for value; expected int; got string` and `invalid value;
//! expected string`: those are reported at the argument, as Go does, and reworded where the
//! function could not know better (an untyped nil is "invalid value", a `nil` literal is
//! "cannot assign nil to string", a literal of another kind is "expected string; found 3").
//! A function named like a builtin replaces it (Sprig's `slice` does, in Helm), except
//! `include` and `tpl`. Objects ([`crate::Object`]) whose Go kind is `map` or `slice` (Helm's
//! `.Files`) range, index, measure and test as their data.
//!
//! [`Error::chain`] gives Go's `errors.Unwrap` chain of an execution error, which Helm's
//! engine walks to print its multi-line error report.
//!
//! Helm's `include NAME DATA` and `tpl TEXT DATA` are builtins: `include` counts nesting per
//! name (Helm's limit of 1000), `tpl` parses its text as a template named like the root
//! (`gotpl`, see [`TemplateSet::set_root_name`]) in a clone of the set, so its `define`s are
//! visible to what it runs but do not leak, and drops `<no value>` from its result.

mod builtins;
mod exec;

/// The size from which a text node written into a template's output is recorded as a piece.
pub(crate) const PIECE_MIN: usize = 4096;

/// Where a template's large text nodes go in its output: `(offset, text)`.
pub(crate) type Pieces = Vec<(usize, std::sync::Arc<str>)>;

/// A template's output with its large text nodes left out ([`TemplateSet::execute_pieces`]):
/// `rest` is the output without them, `pieces` where each goes in the whole, in order. A text
/// the render has seen before (a CRD) is recognised without copying its nodes.
#[derive(Debug)]
pub(crate) struct Output {
    pub rest: String,
    pub pieces: Pieces,
}

impl Output {
    /// The length of the whole output.
    pub fn len(&self) -> usize {
        self.rest.len() + self.pieces.iter().map(|(_, t)| t.len()).sum::<usize>()
    }

    /// Whether the whole output is `text`, whose own large text nodes are at `known` (empty
    /// when unknown). A piece that `known` holds at the same offset (the same allocation,
    /// which these references keep alive, so the same immutable bytes) is equal without
    /// reading it; the rest is compared.
    pub fn is(&self, text: &str, known: &Pieces) -> bool {
        if text.len() != self.len() {
            return false;
        }
        let (text, rest) = (text.as_bytes(), self.rest.as_bytes());
        let (mut at, mut r) = (0, 0);
        let mut known = known.iter().peekable();
        for (offset, piece) in &self.pieces {
            let between = offset - at;
            if text[at..*offset] != rest[r..r + between] {
                return false;
            }
            r += between;
            while known.next_if(|(k, _)| k < offset).is_some() {}
            let same = known.next_if(|(k, t)| k == offset && std::sync::Arc::ptr_eq(t, piece));
            if same.is_none() && text[*offset..offset + piece.len()] != *piece.as_bytes() {
                return false;
            }
            at = offset + piece.len();
        }
        text[at..] == rest[r..]
    }

    /// The whole output, its pieces put back, and where they are in it.
    pub fn into_whole(self) -> (String, Pieces) {
        if self.pieces.is_empty() {
            return (self.rest, self.pieces);
        }
        let mut whole = String::with_capacity(self.len());
        let mut r = 0;
        for (offset, piece) in &self.pieces {
            let between = offset - whole.len();
            whole.push_str(&self.rest[r..r + between]);
            r += between;
            whole.push_str(piece);
        }
        whole.push_str(&self.rest[r..]);
        (whole, self.pieces)
    }
}
pub(crate) mod fmt;
mod lex;
pub(crate) mod memo;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::func::{Ctx, FuncMap};
use crate::value::Value;
use parse::Tree;

/// What a field lookup of a missing map key gives (Go's `missingkey` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// Go's default: an untyped nil; fields of it are nil too.
    Invalid,
    /// Helm's setting: the map's zero element, a nil `interface{}`; fields of it are errors.
    #[default]
    Zero,
    /// An error: "map has no entry for key".
    Error,
}

/// A template failure, worded exactly as Go's `text/template` words it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The text does not parse: `template: NAME:LINE: MESSAGE`.
    Parse(String),
    /// Execution failed: `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`, or
    /// `template: no template "x" associated with template "gotpl"`.
    Exec(String),
}

impl Error {
    pub(crate) fn exec(message: String) -> Error {
        Error::Exec(message)
    }

    /// The message, as Go prints it.
    pub fn message(&self) -> &str {
        match self {
            Error::Parse(m) | Error::Exec(m) => m,
        }
    }

    /// The texts of Go's `errors.Unwrap` chain of this error, outermost first: an execution
    /// error that is "error calling NAME: CAUSE" wraps CAUSE (Go's `%w`), which may be the
    /// execution error of an `include`d template, wrapping further. Helm's engine walks this
    /// chain to print its multi-line error report.
    pub fn chain(&self) -> Vec<&str> {
        let mut out = vec![self.message()];
        if let Error::Exec(m) = self {
            let mut rest: &str = m;
            while let Some(cause) = wrapped_cause(rest) {
                out.push(cause);
                rest = cause;
            }
        }
        out
    }
}

/// The cause in `template: LOC: executing "NAME" at <NODE>: error calling F: CAUSE`.
fn wrapped_cause(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("template: ")?;
    let at = rest.find(": executing \"")?;
    let after = &rest[at..];
    let start = after.find(" at <")?;
    let end = after[start..].find(">: ")?;
    let text = &after[start + end + 3..];
    let called = text.strip_prefix("error calling ")?;
    let colon = called.find(": ")?;
    if called[..colon].contains(' ') {
        return None;
    }
    Some(&called[colon + 2..])
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

type TplCache = Mutex<HashMap<String, Arc<Vec<Arc<Tree>>>>>;

/// Template executions (`template`, `include`, `tpl`) nested deeper than this fail: enough for
/// Helm's own `include` limit (1000 nested calls of one name) to be the one that trips.
pub const DEFAULT_MAX_DEPTH: usize = 1_100;

/// How many distinct `tpl` texts a set keeps parsed.
const TPL_CACHE_MAX: usize = 4096;

/// Named templates sharing one function table: Go's `*template.Template` with its
/// associated templates, as Helm's engine builds it.
///
/// `Send + Sync` and cheap to clone (trees are shared): parse once, render many times.
#[derive(Clone)]
pub struct TemplateSet {
    funcs: Arc<FuncMap>,
    templates: foldhash::HashMap<String, Arc<Tree>>,
    missing_key: MissingKey,
    root_name: String,
    max_depth: usize,
    tpl_cache: Arc<TplCache>,
}

impl std::fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.templates.keys().collect();
        names.sort();
        f.debug_struct("TemplateSet")
            .field("templates", &names)
            .field("missing_key", &self.missing_key)
            .field("root_name", &self.root_name)
            .finish()
    }
}

impl TemplateSet {
    /// An empty set calling `funcs` (besides Go's builtins and `include`/`tpl`), with
    /// Helm's options: `missingkey=zero`, root template named `gotpl`.
    pub fn new(funcs: Arc<FuncMap>) -> TemplateSet {
        TemplateSet {
            funcs,
            templates: foldhash::HashMap::default(),
            missing_key: MissingKey::Zero,
            root_name: "gotpl".into(),
            max_depth: DEFAULT_MAX_DEPTH,
            tpl_cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Parses `text` as the template `name` and adds it with every `define`/`block` in it.
    /// As Go's `AddParseTree`: a later definition replaces an earlier one of the same name,
    /// except that an empty body (blank text and comments) never replaces a non-empty one.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] with Go's message (`template: NAME:LINE: function "x" not defined`);
    /// the set is unchanged then.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let trees = parse::parse(name, text, &self.funcs).map_err(Error::Parse)?;
        for tree in trees {
            let keep_old = tree.is_empty()
                && self
                    .templates
                    .get(&tree.name)
                    .is_some_and(|old| !old.is_empty());
            if !keep_old {
                self.templates.insert(tree.name.clone(), Arc::new(tree));
            }
        }
        Ok(())
    }

    /// Executes the template `name` with `data` as dot and `$`, and returns its output.
    ///
    /// # Errors
    ///
    /// [`Error::Exec`] with Go's message; a template that is not in the set gives
    /// `template: no template "NAME" associated with template "gotpl"`.
    pub fn execute(&self, name: &str, data: &Value, ctx: &mut Ctx) -> Result<String, Error> {
        // The output is mostly the template's text (a CRD, a manifest with a few actions):
        // room for that much spares copying it again and again as it grows.
        let size = self.templates.get(name).map_or(0, |t| t.source.text.len());
        let mut out = String::with_capacity(size.clamp(1024, 16 << 20));
        exec::Exec::new(self, ctx).execute_named(name, data.clone(), &mut out)?;
        Ok(out)
    }

    /// [`TemplateSet::execute`], each text node of at least 4 KiB written into the output
    /// (not through an `include`) left out of it and referred to ([`Output`]). Text nodes are
    /// immutable and these references keep them alive, so two outputs holding the same piece
    /// (`Arc::ptr_eq`) at the same offset hold the same bytes there.
    pub(crate) fn execute_pieces(
        &self,
        name: &str,
        data: &Value,
        ctx: &mut Ctx,
        memo: &mut memo::Memo,
    ) -> Result<Output, Error> {
        // Room for the template's text without its large nodes.
        let size = self.templates.get(name).map_or(0, |t| {
            let large: usize = t
                .root
                .nodes
                .iter()
                .map(|n| match n {
                    parse::Node::Text(t) if t.len() >= PIECE_MIN => t.len(),
                    _ => 0,
                })
                .sum();
            t.source.text.len().saturating_sub(large)
        });
        let mut rest = String::with_capacity(size.clamp(1024, 16 << 20));
        let pieces = exec::Exec::with_memo(self, ctx, memo).execute_named_pieces(
            name,
            data.clone(),
            &mut rest,
        )?;
        Ok(Output { rest, pieces })
    }

    /// Like [`TemplateSet::execute`], appending the output to `out` (which keeps what was
    /// written before an error).
    ///
    /// # Errors
    ///
    /// As [`TemplateSet::execute`].
    pub fn execute_to(
        &self,
        name: &str,
        data: &Value,
        ctx: &mut Ctx,
        out: &mut String,
    ) -> Result<(), Error> {
        exec::Exec::new(self, ctx).execute_named(name, data.clone(), out)
    }

    /// Whether a template called `name` is in the set.
    pub fn has(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// The names of the templates in the set, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.templates.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The function table the set was made with.
    pub fn funcs(&self) -> &Arc<FuncMap> {
        &self.funcs
    }

    /// Sets what a missing map key gives (Helm: [`MissingKey::Zero`]; `--strict`:
    /// [`MissingKey::Error`]).
    pub fn set_missing_key(&mut self, missing_key: MissingKey) {
        self.missing_key = missing_key;
    }

    /// What a missing map key gives.
    pub fn missing_key(&self) -> MissingKey {
        self.missing_key
    }

    /// Sets how deeply template executions (`template`, `include`, `tpl`) may nest before
    /// execution fails with Go's "exceeded maximum template depth" error (default
    /// [`DEFAULT_MAX_DEPTH`]).
    ///
    /// Go's stacks grow; ours do not: each level takes about 2.5 KB of stack in a release
    /// build (about 12 KB unoptimised), so the default needs about 3 MB. Lower it when
    /// rendering on small thread stacks.
    pub fn set_max_depth(&mut self, depth: usize) {
        self.max_depth = depth;
    }

    /// Sets the root template's name (Helm's is `gotpl`): `tpl` texts are parsed under it
    /// and "no template associated with" errors name it.
    pub fn set_root_name(&mut self, name: &str) {
        self.root_name = name.to_string();
        // Parsed `tpl` texts carry the root's name: start a cache of this set's own.
        self.tpl_cache = Arc::new(Mutex::new(HashMap::new()));
    }

    /// The trees of a `tpl` text, parsed once per set (and root name) and text.
    fn parse_tpl(&self, root: &str, text: &str) -> Result<Arc<Vec<Arc<Tree>>>, String> {
        if let Ok(cache) = self.tpl_cache.lock() {
            if let Some(trees) = cache.get(text) {
                return Ok(trees.clone());
            }
        }
        let trees = Arc::new(exec::parse_for_tpl(root, text, &self.funcs)?);
        if let Ok(mut cache) = self.tpl_cache.lock() {
            if cache.len() >= TPL_CACHE_MAX {
                cache.clear();
            }
            cache.insert(text.to_string(), trees.clone());
        }
        Ok(trees)
    }
}
