//! The executor: Go's `text/template/exec.go` over [`Value`], with Helm's `include` and
//! `tpl`. One [`Exec`] per `TemplateSet::execute` call holds the mutable state; the parsed
//! trees are shared and never copied.

use std::cell::RefCell;
use std::fmt::Write;
use std::sync::Arc;

use super::builtins;
use super::fmt::{quote, sprint, sprintf, sprintln};
use super::parse::{parse, Arg, Branch, Builtin, Command, Func, List, Node, Number, Pipe, Tree};
use super::{Error, MissingKey, TemplateSet};
use crate::func::Ctx;
use crate::value::{Key, Value};

/// Helm's `include` recursion limit (`recursionMaxNums`).
const INCLUDE_MAX: usize = 1000;
/// Go's `maxExecDepth`, as its error message states it.
const GO_MAX_DEPTH: usize = 100_000;

/// A value with Go's distinction between an untyped nil (an invalid `reflect.Value`) and a
/// nil held in an `interface{}` slot (a map entry, a list element): a field of the first is
/// `<no value>`, a field of the second is a "nil pointer" error.
#[derive(Clone)]
pub(crate) struct Val {
    pub v: Value,
    pub iface: bool,
}

impl Val {
    fn plain(v: Value) -> Val {
        Val { v, iface: false }
    }

    fn type_name(&self) -> String {
        if self.iface {
            "interface {}".into()
        } else {
            self.v.type_name()
        }
    }
}

/// The node execution is at, for error messages (Go's `state.node`).
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Node(&'t Node),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
}

/// One template's execution: its tree, its variables, where it is.
struct Scope<'t> {
    tree: &'t Tree,
    vars: Vec<(&'t str, Val)>,
    at: At<'t>,
    depth: usize,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Error>;

use super::memo::{self, reaches_template, Memo};
use super::{Pieces, PIECE_MIN};

pub(crate) struct Exec<'s> {
    set: &'s TemplateSet,
    ctx: &'s mut Ctx,
    /// Templates `tpl` parsed, innermost last: its clone of the set, as Helm makes one.
    overlays: Vec<foldhash::HashMap<String, Arc<Tree>>>,
    included: foldhash::HashMap<String, usize>,
    /// Nesting of template executions (template calls, `include`, `tpl`).
    nesting: usize,
    /// Output buffers of finished `include`s, reused (their text is copied into the value).
    buffers: Vec<String>,
    /// The address of the template's own output buffer, when its large text pieces are
    /// recorded in `pieces` (not those of an `include`'s buffer).
    top: usize,
    /// Where text nodes of at least [`PIECE_MIN`] bytes go in the top output, which leaves
    /// them out: `(offset in the whole output, text)`.
    pieces: Pieces,
    /// The bytes of `pieces` left out of the top output so far.
    gap: usize,
    /// Argument vectors of finished function calls, reused.
    arg_vecs: Vec<Vec<Value>>,
    /// Variable stacks of finished template executions, reused (empty; see [`recycle`]).
    var_vecs: Vec<Vec<(&'static str, Val)>>,
    /// The render's memory of `include`s, when it has one.
    memo: Option<&'s mut Memo>,
    /// `include`s being executed that the memory may remember: while any is, what may read
    /// `.Template` is noted.
    remembering: u32,
}

/// The reusable vectors of an [`Exec`], kept by the thread between executions: a render
/// executes every template of a chart, a fleet renders many times on each thread.
#[derive(Default)]
struct Pools {
    buffers: Vec<String>,
    arg_vecs: Vec<Vec<Value>>,
    var_vecs: Vec<Vec<(&'static str, Val)>>,
}

/// How many vectors of each sort a thread keeps, and the largest buffer it keeps.
const POOL_MAX: usize = 32;
const POOL_MAX_BUFFER: usize = 1 << 20;

thread_local! {
    static POOLS: RefCell<Pools> = RefCell::new(Pools::default());
}

/// An empty vector of variables for another lifetime, in the same allocation (an empty
/// vector's allocation is reused by an in-place `collect`; the closure never runs).
/// A template's tree, as [`Exec::lookup`] finds it: the set's own, borrowed for the whole
/// execution, or one a `tpl` overlay holds.
enum TreeRef<'s> {
    Set(&'s Tree),
    Overlay(Arc<Tree>),
}

impl std::ops::Deref for TreeRef<'_> {
    type Target = Tree;

    fn deref(&self) -> &Tree {
        match self {
            TreeRef::Set(t) => t,
            TreeRef::Overlay(t) => t,
        }
    }
}

fn recycle<'b>(mut v: Vec<(&str, Val)>) -> Vec<(&'b str, Val)> {
    v.clear();
    v.into_iter().map(|_| unreachable!("empty")).collect()
}

impl Drop for Exec<'_> {
    fn drop(&mut self) {
        let buffers = std::mem::take(&mut self.buffers);
        let arg_vecs = std::mem::take(&mut self.arg_vecs);
        let var_vecs = std::mem::take(&mut self.var_vecs);
        // A thread being torn down has no pools left to return to.
        let _ = POOLS.try_with(|p| {
            let mut p = p.borrow_mut();
            let room = POOL_MAX.saturating_sub(p.buffers.len());
            p.buffers.extend(
                buffers
                    .into_iter()
                    .filter(|b| b.capacity() <= POOL_MAX_BUFFER)
                    .take(room),
            );
            let room = POOL_MAX.saturating_sub(p.arg_vecs.len());
            p.arg_vecs.extend(arg_vecs.into_iter().take(room));
            let room = POOL_MAX.saturating_sub(p.var_vecs.len());
            p.var_vecs.extend(var_vecs.into_iter().take(room));
        });
    }
}

impl<'s> Exec<'s> {
    pub fn new(set: &'s TemplateSet, ctx: &'s mut Ctx) -> Exec<'s> {
        let p = POOLS
            .try_with(|p| std::mem::take(&mut *p.borrow_mut()))
            .unwrap_or_default();
        Exec {
            set,
            ctx,
            overlays: Vec::new(),
            included: foldhash::HashMap::default(),
            nesting: 0,
            buffers: p.buffers,
            top: 0,
            pieces: Vec::new(),
            gap: 0,
            arg_vecs: p.arg_vecs,
            var_vecs: p.var_vecs,
            memo: None,
            remembering: 0,
        }
    }

    /// An executor that remembers `include`s in `memo` (see [`super::memo`]).
    pub fn with_memo(set: &'s TemplateSet, ctx: &'s mut Ctx, memo: &'s mut Memo) -> Exec<'s> {
        let mut exec = Exec::new(set, ctx);
        exec.memo = memo.is_on().then_some(memo);
        exec
    }

    /// Something in an `include` the memory may remember may have read `.Template`.
    #[cold]
    fn saw_template(&mut self) {
        if let Some(m) = self.memo.as_mut() {
            m.read_template();
        }
    }

    /// Whether what may read `.Template` is to be noted now.
    #[inline]
    fn watching(&self) -> bool {
        self.remembering > 0
    }

    /// Notes `.Template` as read when one of `args` reaches it.
    fn watch_args(&mut self, args: &[Value]) {
        if args
            .iter()
            .any(|v| matches!(v, Value::Map(_) | Value::List(_)) && reaches_template(v))
        {
            self.saw_template();
        }
    }

    /// Notes `.Template` as read when one of `keys` is `Template`.
    fn watch_keys(&mut self, keys: &[Value]) {
        if keys
            .iter()
            .any(|k| matches!(k, Value::String(s) if &**s == "Template"))
        {
            self.saw_template();
        }
    }

    /// The template `name`: the set's own is borrowed, not counted (a set is shared by the
    /// threads rendering with it; a count both change at every `include` would pass its cache
    /// line between their cores).
    fn lookup(&self, name: &str) -> Option<TreeRef<'s>> {
        for o in self.overlays.iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(TreeRef::Overlay(t.clone()));
            }
        }
        let set: &'s TemplateSet = self.set;
        set.templates.get(name).map(|t| TreeRef::Set(t))
    }

    /// [`Exec::execute_named`], leaving out of `out` each text node of at least [`PIECE_MIN`]
    /// bytes that would be written straight into it (not through an `include`): the pieces say
    /// where each goes, as `(offset in the whole output, text)`.
    pub fn execute_named_pieces(&mut self, name: &str, data: Value, out: &mut String) -> R<Pieces> {
        self.top = out as *const String as usize;
        self.gap = 0;
        let r = self.execute_named(name, data, out);
        self.top = 0;
        self.gap = 0;
        r.map(|()| std::mem::take(&mut self.pieces))
    }

    /// Go's `ExecuteTemplate` on the root template: `name` with `data` as dot and `$`.
    pub fn execute_named(&mut self, name: &str, data: Value, out: &mut String) -> R<()> {
        let Some(tree) = self.lookup(name) else {
            return Err(Error::exec(format!(
                "template: no template {} associated with template {}",
                quote(name),
                quote(&self.set.root_name)
            )));
        };
        self.execute_tree(&tree, data, out, 0)
    }

    fn execute_tree(&mut self, tree: &Tree, data: Value, out: &mut String, depth: usize) -> R<()> {
        let dot = Val::plain(data);
        let mut vars = recycle(self.var_vecs.pop().unwrap_or_default());
        vars.push(("$", dot.clone()));
        let mut sc = Scope {
            tree,
            vars,
            at: At::None,
            depth,
        };
        if self.nesting >= self.set.max_depth {
            return Err(self.error(
                &sc,
                format!("exceeded maximum template depth ({GO_MAX_DEPTH})"),
            ));
        }
        self.nesting += 1;
        let r = self.walk_list(&mut sc, &dot, &tree.root, out);
        self.nesting -= 1;
        self.var_vecs.push(recycle(sc.vars));
        r.map(|_| ())
    }

    #[cold]
    #[inline(never)]
    fn error(&self, sc: &Scope<'_>, msg: String) -> Error {
        let name = quote(&sc.tree.name);
        let (pos, context) = match sc.at {
            At::None => {
                return Error::exec(format!("template: {}: {}", sc.tree.name, msg));
            }
            At::Node(n) => (node_pos(n), n.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
        };
        let location = sc.tree.source.location(pos);
        Error::exec(format!(
            "template: {location}: executing {name} at <{context}>: {msg}"
        ))
    }

    /// A method's failure: Go's argument errors as they are, others as "error calling".
    #[cold]
    #[inline(never)]
    fn call_error(&self, sc: &Scope<'_>, name: &str, e: String) -> Error {
        if is_argument_error(&e) {
            return self.error(sc, e);
        }
        self.error(sc, format!("error calling {name}: {e}"))
    }

    fn walk_list<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        list: &'t List,
        out: &mut String,
    ) -> R<Flow> {
        for node in &list.nodes {
            match self.walk(sc, dot, node, out)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        node: &'t Node,
        out: &mut String,
    ) -> R<Flow> {
        sc.at = At::Node(node);
        if let Err(e) = self.ctx.charge(1) {
            return Err(self.error(sc, e));
        }
        match node {
            Node::Text(t) => {
                if t.len() >= PIECE_MIN && std::ptr::eq(out, self.top as *const String) {
                    self.pieces.push((out.len() + self.gap, t.clone()));
                    self.gap += t.len();
                } else {
                    out.push_str(t);
                }
                self.check_output(sc, out)?;
            }
            Node::Action(pipe) => {
                let v = self.eval_pipeline(sc, dot, pipe)?;
                if pipe.decl.is_empty() {
                    if self.watching() {
                        self.watch_args(std::slice::from_ref(&v));
                    }
                    print_value(out, &v);
                    self.check_output(sc, out)?;
                }
            }
            Node::If(b) => return self.walk_if_or_with(sc, dot, b, false, out),
            Node::With(b) => return self.walk_if_or_with(sc, dot, b, true, out),
            Node::Range(b) => return self.walk_range(sc, dot, node, b, out),
            Node::Template { name, pipe, .. } => {
                let Some(tree) = self.lookup(name) else {
                    return Err(self.error(sc, format!("template {} not defined", quote(name))));
                };
                if self.nesting >= self.set.max_depth {
                    return Err(self.error(
                        sc,
                        format!("exceeded maximum template depth ({GO_MAX_DEPTH})"),
                    ));
                }
                let data = match pipe {
                    Some(p) => self.eval_pipeline(sc, dot, p)?,
                    None => Value::Nil,
                };
                self.execute_tree(&tree, data, out, sc.depth + 1)?;
            }
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    /// The output budget: `out` (the template's output with the pieces it leaves out, or an
    /// `include`'s) may not grow past it.
    #[inline]
    fn check_output(&self, sc: &Scope<'_>, out: &String) -> R<()> {
        let left_out = if std::ptr::eq(out, self.top as *const String) {
            self.gap
        } else {
            0
        };
        match self.ctx.check_output(out.len() + left_out) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.error(sc, e)),
        }
    }

    fn walk_if_or_with<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        b: &'t Branch,
        with: bool,
        out: &mut String,
    ) -> R<Flow> {
        let mark = sc.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(sc, dot, &b.pipe)?;
            if truth(&val) {
                if with {
                    self.walk_list(sc, &Val::plain(val), &b.list, out)
                } else {
                    self.walk_list(sc, dot, &b.list, out)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(sc, dot, e, out)
            } else {
                Ok(Flow::Normal)
            }
        })();
        sc.vars.truncate(mark);
        r
    }

    fn walk_range<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        node: &'t Node,
        b: &'t Branch,
        out: &mut String,
    ) -> R<Flow> {
        let outer = sc.vars.len();
        let r = self.walk_range_inner(sc, dot, node, b, out);
        sc.vars.truncate(outer);
        r.map(|_| Flow::Normal)
    }

    #[inline(never)]
    fn walk_range_inner<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        node: &'t Node,
        b: &'t Branch,
        out: &mut String,
    ) -> R<()> {
        sc.at = At::Node(node);
        let val = self.eval_pipeline(sc, dot, &b.pipe)?;
        // A Go map or slice type with methods (Helm's `.Files`, `.Files.Glob`) ranges as
        // its data.
        let val = as_data(val);
        let mark = sc.vars.len();
        let ndecl = b.pipe.decl.len();
        // One iteration; `false` when the loop is to stop (`break`).
        let mut iteration =
            |this: &mut Self, sc: &mut Scope<'t>, index: Val, elem: Val| -> R<bool> {
                if let Err(e) = this.ctx.charge(1) {
                    sc.at = At::Node(node);
                    return Err(this.error(sc, e));
                }
                if ndecl > 0 {
                    if b.pipe.is_assign {
                        let first = if ndecl > 1 {
                            index.clone()
                        } else {
                            elem.clone()
                        };
                        this.set_var(sc, &b.pipe.decl[0], first)?;
                    } else {
                        sc.vars[mark - 1].1 = elem.clone();
                    }
                }
                if ndecl > 1 {
                    if b.pipe.is_assign {
                        this.set_var(sc, &b.pipe.decl[1], elem.clone())?;
                    } else {
                        sc.vars[mark - 2].1 = index;
                    }
                }
                let flow = this.walk_list(sc, &elem, &b.list, out);
                sc.vars.truncate(mark);
                Ok(!matches!(flow?, Flow::Break))
            };
        let ran = match &val {
            Value::List(l) => {
                for (i, e) in l.iter().enumerate() {
                    let elem = Val {
                        v: e.clone(),
                        iface: true,
                    };
                    if !iteration(self, sc, Val::plain(Value::Int(i as i64)), elem)? {
                        break;
                    }
                }
                !l.is_empty()
            }
            Value::StrList(l) => {
                for (i, e) in l.iter().enumerate() {
                    let elem = Val::plain(Value::str(e));
                    if !iteration(self, sc, Val::plain(Value::Int(i as i64)), elem)? {
                        break;
                    }
                }
                !l.is_empty()
            }
            Value::Bytes(bytes) => {
                for (i, e) in bytes.iter().enumerate() {
                    let elem = Val::plain(Value::Int(i64::from(*e)));
                    if !iteration(self, sc, Val::plain(Value::Int(i as i64)), elem)? {
                        break;
                    }
                }
                !bytes.is_empty()
            }
            Value::Map(m) => {
                if self.watching() && m.borrow().contains_key(Key::new("Template")) {
                    self.saw_template();
                }
                // Go sorts a snapshot of the entries; the body may change the map.
                let entries = crate::value::entries(m);
                for (k, v) in &entries {
                    let elem = Val {
                        v: v.clone(),
                        iface: true,
                    };
                    if !iteration(self, sc, Val::plain(Value::str(k)), elem)? {
                        break;
                    }
                }
                !entries.is_empty()
            }
            Value::Int(n) | Value::Int64(n) => {
                if ndecl > 1 {
                    return Err(self.error(
                        sc,
                        format!("can't use {val} to iterate over more than one variable"),
                    ));
                }
                let int64 = matches!(val, Value::Int64(_));
                for i in 0..*n {
                    let v = if int64 {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    };
                    if !iteration(self, sc, Val::plain(v.clone()), Val::plain(v))? {
                        break;
                    }
                }
                *n > 0
            }
            Value::Nil => false,
            other => {
                return Err(self.error(sc, format!("range can't iterate over {other}")));
            }
        };
        if !ran {
            if let Some(e) = &b.else_list {
                self.walk_list(sc, dot, e, out)?;
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn set_var(&self, sc: &mut Scope<'_>, name: &str, v: Val) -> R<()> {
        for (n, slot) in sc.vars.iter_mut().rev() {
            if *n == name {
                *slot = v;
                return Ok(());
            }
        }
        Err(self.error(sc, format!("undefined variable: {name}")))
    }

    #[inline(never)]
    fn var_value(&self, sc: &Scope<'_>, name: &str) -> R<Val> {
        for (n, v) in sc.vars.iter().rev() {
            if *n == name {
                return Ok(v.clone());
            }
        }
        Err(self.error(sc, format!("undefined variable: {name}")))
    }

    fn eval_pipeline<'t>(&mut self, sc: &mut Scope<'t>, dot: &Val, pipe: &'t Pipe) -> R<Value> {
        sc.at = At::Pipe(pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(sc, dot, cmd, value)?);
        }
        let value = value.unwrap_or_default();
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(sc, name, Val::plain(value.clone()))?;
            } else {
                sc.vars.push((name, Val::plain(value.clone())));
            }
        }
        Ok(value)
    }

    #[inline(never)]
    fn not_a_function(
        &self,
        sc: &Scope<'_>,
        first: &Arg,
        extra: &[Arg],
        fin: &Option<Value>,
    ) -> R<()> {
        if !extra.is_empty() || fin.is_some() {
            return Err(self.error(sc, format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    fn eval_command<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        cmd: &'t Command,
        fin: Option<Value>,
    ) -> R<Value> {
        let first = &cmd.args[0];
        let extra = &cmd.args[1..];
        match first {
            Arg::Field { idents, .. } => {
                sc.at = At::Arg(first);
                let v = self.eval_field_chain(sc, dot, dot.clone(), first, idents, extra, fin)?;
                return Ok(v.v);
            }
            Arg::Chain { .. } => return Ok(self.eval_chain(sc, dot, first, extra, fin)?.v),
            Arg::Func { .. } => {
                return self.eval_function(sc, dot, first, At::Cmd(cmd), extra, fin)
            }
            Arg::Pipe(p) => {
                self.not_a_function(sc, first, extra, &fin)?;
                return self.eval_pipeline(sc, dot, p);
            }
            Arg::Var { .. } => return Ok(self.eval_variable(sc, dot, first, extra, fin)?.v),
            _ => {}
        }
        sc.at = At::Arg(first);
        self.not_a_function(sc, first, extra, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Dot(_) => Ok(dot.v.clone()),
            Arg::Nil(_) => Err(self.error(sc, "nil is not a command".into())),
            Arg::Number { text, num, .. } => self.ideal_constant(sc, text, num),
            Arg::Str { text, .. } => Ok(Value::str(text)),
            _ => Err(self.error(
                sc,
                format!("can't evaluate command {}", quote(&first.to_string())),
            )),
        }
    }

    #[inline(never)]
    fn ideal_constant(&self, sc: &Scope<'_>, text: &str, num: &Number) -> R<Value> {
        let hex_int = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        if num.float.is_some()
            && !hex_int
            && !num.is_char
            && text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Value::Float(num.float.unwrap_or_default()));
        }
        if let Some(i) = num.int {
            return Ok(Value::Int(i));
        }
        if num.uint.is_some() {
            return Err(self.error(sc, format!("{text} overflows int")));
        }
        Ok(Value::Nil)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        receiver: Val,
        node: &'t Arg,
        idents: &'t [Box<str>],
        extra: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Val> {
        let n = idents.len();
        let mut recv = receiver;
        for id in &idents[..n - 1] {
            recv = self.eval_field(sc, dot, id, node, &[], None, recv)?;
        }
        self.eval_field(sc, dot, &idents[n - 1], node, extra, fin, recv)
    }

    fn eval_chain<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        chain: &'t Arg,
        extra: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Val> {
        sc.at = At::Arg(chain);
        let Arg::Chain { node, fields, .. } = chain else {
            return Err(self.error(sc, "internal error: no fields in evalChainNode".into()));
        };
        if let Arg::Nil(_) = **node {
            return Err(self.error(sc, format!("indirection through explicit nil in {chain}")));
        }
        let recv = self.eval_arg(sc, dot, node)?;
        self.eval_field_chain(sc, dot, recv, chain, fields, extra, fin)
    }

    fn eval_variable<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        var: &'t Arg,
        extra: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Val> {
        sc.at = At::Arg(var);
        let Arg::Var { idents, .. } = var else {
            return Err(self.error(sc, "internal error: not a variable".into()));
        };
        let value = self.var_value(sc, &idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(sc, var, extra, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(sc, dot, value, var, &idents[1..], extra, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        name: &str,
        node: &'t Arg,
        extra: &'t [Arg],
        fin: Option<Value>,
        recv: Val,
    ) -> R<Val> {
        let has_args = !extra.is_empty() || fin.is_some();
        match &recv.v {
            Value::Nil if !recv.iface => {
                if self.set.missing_key == MissingKey::Error {
                    return Err(
                        self.error(sc, format!("nil data; no entry for key {}", quote(name)))
                    );
                }
                Ok(Val::plain(Value::Nil))
            }
            Value::Nil => Err(self.error(
                sc,
                format!("nil pointer evaluating {}.{name}", recv.type_name()),
            )),
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(sc, format!("{name} is not a method but has arguments")));
                }
                if name == "Template" && self.watching() {
                    self.saw_template();
                }
                let found = m.borrow().get(Key::new(name)).cloned();
                match found {
                    Some(v) => Ok(Val { v, iface: true }),
                    None => match self.set.missing_key {
                        MissingKey::Zero => Ok(Val {
                            v: Value::Nil,
                            iface: true,
                        }),
                        MissingKey::Invalid => Ok(Val::plain(Value::Nil)),
                        MissingKey::Error => {
                            Err(self.error(sc, format!("map has no entry for key {}", quote(name))))
                        }
                    },
                }
            }
            Value::Object(o) => {
                let o = o.clone();
                if has_args {
                    let argv = self.eval_args(sc, dot, extra, fin)?;
                    return match o.call(name, &argv) {
                        Some(Ok(v)) => Ok(Val::plain(v)),
                        Some(Err(e)) => {
                            sc.at = At::Arg(node);
                            Err(self.call_error(sc, name, e))
                        }
                        None if o.field(name).is_some() => Err(self.error(
                            sc,
                            format!("{name} has arguments but cannot be invoked as function"),
                        )),
                        None => Err(self.error(
                            sc,
                            format!("can't evaluate field {name} in type {}", recv.type_name()),
                        )),
                    };
                }
                if let Some(v) = o.field(name) {
                    return Ok(Val::plain(v));
                }
                match o.call(name, &[]) {
                    Some(Ok(v)) => Ok(Val::plain(v)),
                    Some(Err(e)) => Err(self.call_error(sc, name, e)),
                    // A Go map type with methods: not a method, so a key.
                    None if o.kind() == "map" => {
                        let data = Val {
                            v: o.to_data(),
                            iface: recv.iface,
                        };
                        self.eval_field(sc, dot, name, node, extra, fin, data)
                    }
                    None => Err(self.error(
                        sc,
                        format!("can't evaluate field {name} in type {}", recv.type_name()),
                    )),
                }
            }
            _ => Err(self.error(
                sc,
                format!("can't evaluate field {name} in type {}", recv.type_name()),
            )),
        }
    }

    fn eval_args<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        extra: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Vec<Value>> {
        let mut argv = Vec::with_capacity(extra.len() + 1);
        for a in extra {
            argv.push(self.eval_arg(sc, dot, a)?.v);
        }
        if let Some(f) = fin {
            argv.push(f);
        }
        Ok(argv)
    }

    fn eval_arg<'t>(&mut self, sc: &mut Scope<'t>, dot: &Val, arg: &'t Arg) -> R<Val> {
        sc.at = At::Arg(arg);
        Ok(match arg {
            Arg::Dot(_) => dot.clone(),
            Arg::Nil(_) => Val::plain(Value::Nil),
            Arg::Field { idents, .. } => {
                sc.at = At::Arg(arg);
                self.eval_field_chain(sc, dot, dot.clone(), arg, idents, &[], None)?
            }
            Arg::Var { .. } => self.eval_variable(sc, dot, arg, &[], None)?,
            Arg::Pipe(p) => Val::plain(self.eval_pipeline(sc, dot, p)?),
            Arg::Func { .. } => {
                Val::plain(self.eval_function(sc, dot, arg, At::Arg(arg), &[], None)?)
            }
            Arg::Chain { .. } => self.eval_chain(sc, dot, arg, &[], None)?,
            Arg::Bool(_, b) => Val::plain(Value::Bool(*b)),
            Arg::Number { text, num, .. } => Val::plain(self.ideal_constant(sc, text, num)?),
            Arg::Str { text, .. } => Val::plain(Value::str(text)),
        })
    }

    /// An argument a builtin declares as `string`: Go's `validateType` complaints otherwise.
    #[inline(never)]
    fn string_arg(&self, sc: &Scope<'_>, v: &Value) -> R<std::rc::Rc<str>> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Nil => Err(self.error(sc, "invalid value; expected string".into())),
            other => Err(self.error(
                sc,
                format!(
                    "wrong type for value; expected string; got {}",
                    other.type_name()
                ),
            )),
        }
    }

    fn eval_function<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        ident: &'t Arg,
        call_node: At<'t>,
        extra: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        sc.at = At::Arg(ident);
        let Arg::Func { name, func, .. } = ident else {
            return Err(self.error(sc, "internal error: not a function".into()));
        };
        self.check_arity(sc, name, func, extra.len(), fin.is_some())?;
        if let Err(e) = self.ctx.charge(1) {
            return Err(self.error(sc, e));
        }
        let result = match func {
            Func::User(def) => {
                let mut argv = self.arg_vecs.pop().unwrap_or_default();
                // Bit i: argument i is a nil from an `interface{}` slot (not an untyped nil).
                let mut iface_nils = 0u64;
                for (i, a) in extra.iter().enumerate() {
                    let v = self.eval_arg(sc, dot, a)?;
                    if v.iface && v.v.is_nil() && i < 64 {
                        iface_nils |= 1 << i;
                    }
                    argv.push(v.v);
                }
                if let Some(f) = fin {
                    argv.push(f);
                }
                if self.watching() {
                    match def.name {
                        // They keep or pass on what they are given, or read its length.
                        "dict" | "list" | "default" | "ternary" | "required" | "coalesce"
                        | "empty" | "kindIs" | "kindOf" | "typeOf" | "typeIs" | "typeIsLike"
                        | "keys" | "hasKey" | "set" | "unset" | "append" | "push" | "prepend"
                        | "mustAppend" | "mustPush" | "mustPrepend" => {}
                        // They read the keys they are given.
                        "get" | "dig" | "pluck" => self.watch_keys(&argv),
                        _ => self.watch_args(&argv),
                    }
                }
                match (def.f)(self.ctx, &argv) {
                    Err(e)
                        if e.starts_with("wrong type for value; ")
                            || e.starts_with("invalid value; ") =>
                    {
                        return Err(self.argument_error(sc, ident, extra, &argv, iface_nils, e));
                    }
                    r => {
                        argv.clear();
                        self.arg_vecs.push(argv);
                        r
                    }
                }
            }
            Func::Builtin(b) => match self.call_builtin(sc, dot, *b, extra, fin)? {
                Ok(v) => Ok(v),
                Err(e) => Err(e),
            },
        };
        result.map_err(|e| {
            if is_argument_error(&e) {
                sc.at = At::Arg(ident);
                return self.error(sc, e);
            }
            sc.at = call_node;
            self.error(sc, format!("error calling {name}: {e}"))
        })
    }

    /// A function refused an argument's type (its text is Go's `validateType` wording, as
    /// the function saw the value): report it as Go's executor would, at the argument, with
    /// Go's wording for what the function could not see — an untyped nil ("invalid value"),
    /// a `nil` literal ("cannot assign nil"), a literal of another kind ("expected string;
    /// found 3").
    #[cold]
    #[inline(never)]
    fn argument_error<'t>(
        &self,
        sc: &mut Scope<'t>,
        ident: &'t Arg,
        extra: &'t [Arg],
        argv: &[Value],
        iface_nils: u64,
        e: String,
    ) -> Error {
        let (expected, got) = if let Some(rest) = e.strip_prefix("wrong type for value; expected ")
        {
            match rest.split_once("; got ") {
                Some((t, g)) => (t.to_string(), Some(g.to_string())),
                None => return self.error(sc, e),
            }
        } else if let Some(t) = e.strip_prefix("invalid value; expected ") {
            (t.to_string(), None)
        } else {
            return self.error(sc, e);
        };
        let iface_nil = |i: usize| i < 64 && iface_nils & (1 << i) != 0;
        // Which argument: the first whose Go type is the one refused.
        let which = argv.iter().enumerate().position(|(i, v)| match (&got, v) {
            (Some(g), Value::Nil) => g == "interface {}",
            (Some(g), v) => *g == v.type_name(),
            (None, Value::Nil) => !iface_nil(i),
            (None, _) => false,
        });
        let Some(i) = which else {
            sc.at = At::Arg(ident);
            return self.error(sc, e);
        };
        let node = extra.get(i);
        sc.at = match (node, extra.last()) {
            (Some(n), _) | (None, Some(n)) => At::Arg(last_node(n)),
            (None, None) => At::Arg(ident),
        };
        let literal_kind = match expected.as_str() {
            "string" => Some("string"),
            "bool" => Some("bool"),
            "float64" | "float32" => Some("float"),
            "int" | "int8" | "int16" | "int32" | "int64" => Some("integer"),
            "uint" | "uint8" | "uint16" | "uint32" | "uint64" => Some("unsigned integer"),
            _ => None,
        };
        let msg = match (node, &argv[i]) {
            (Some(Arg::Nil(_)), _) => format!("cannot assign nil to {expected}"),
            (Some(n @ (Arg::Bool(..) | Arg::Number { .. } | Arg::Str { .. })), _)
                if literal_kind.is_some() =>
            {
                format!("expected {}; found {n}", literal_kind.unwrap_or_default())
            }
            (_, Value::Nil) if !iface_nil(i) || node.is_none() => {
                format!("invalid value; expected {expected}")
            }
            (_, Value::Nil) => {
                format!("wrong type for value; expected {expected}; got interface {{}}")
            }
            _ => e,
        };
        self.error(sc, msg)
    }

    /// Go's argument count check, before any argument is evaluated.
    #[inline(never)]
    fn check_arity(
        &self,
        sc: &Scope<'_>,
        name: &str,
        func: &Func,
        nextra: usize,
        has_final: bool,
    ) -> R<()> {
        let num_in = nextra + usize::from(has_final);
        let (min, max) = match func {
            Func::User(def) => (def.min_args, def.max_args),
            Func::Builtin(b) => builtin_arity(*b),
        };
        match max {
            Some(m) if m == min && num_in != min => Err(self.error(
                sc,
                format!("wrong number of args for {name}: want {min} got {num_in}"),
            )),
            Some(m) if num_in > m => Err(self.error(
                sc,
                format!("wrong number of args for {name}: want {m} got {num_in}"),
            )),
            _ if num_in < min => Err(self.error(
                sc,
                format!("wrong number of args for {name}: want at least {min} got {nextra}"),
            )),
            _ => Ok(()),
        }
    }

    /// Runs a builtin: `Err` from the outer result is an execution error already formatted;
    /// the inner `Err` is the function's own error (wrapped as "error calling NAME").
    fn call_builtin<'t>(
        &mut self,
        sc: &mut Scope<'t>,
        dot: &Val,
        b: Builtin,
        extra: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Result<Value, String>> {
        if matches!(b, Builtin::And | Builtin::Or) {
            let is_or = b == Builtin::Or;
            let mut v = Value::Nil;
            for a in extra {
                v = self.eval_arg(sc, dot, a)?.v;
                if truth(&v) == is_or {
                    return Ok(Ok(v));
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(Ok(v));
        }
        if b == Builtin::Len {
            let arg = match (extra.first(), fin) {
                (Some(a), _) => self.eval_arg(sc, dot, a)?,
                (None, Some(f)) => Val::plain(f),
                (None, None) => Val::plain(Value::Nil),
            };
            return Ok(builtins::len(&as_data(arg.v), arg.iface));
        }
        if matches!(b, Builtin::Printf | Builtin::Include | Builtin::Tpl) {
            // The first parameter is a Go `string`: a literal of another kind is refused as
            // Go's evalArg refuses it, before anything is evaluated.
            if let Some(first) = extra.first() {
                sc.at = At::Arg(first);
                match first {
                    Arg::Bool(..) | Arg::Number { .. } => {
                        return Err(self.error(sc, format!("expected string; found {first}")));
                    }
                    Arg::Nil(_) => {
                        return Err(self.error(sc, "cannot assign nil to string".into()));
                    }
                    _ => {}
                }
            }
        }
        let argv = self.eval_args(sc, dot, extra, fin)?;
        if self.watching() {
            match b {
                // The data goes to an execution that notes what it reads.
                Builtin::Include | Builtin::Tpl | Builtin::Not => {}
                Builtin::Index => self.watch_keys(argv.get(1..).unwrap_or_default()),
                _ => self.watch_args(&argv),
            }
        }
        if matches!(b, Builtin::Printf | Builtin::Include | Builtin::Tpl) {
            if let Some(first) = extra.first() {
                sc.at = At::Arg(first);
            }
        }
        Ok(match b {
            // No template value is a Go func: `call` can only fail, as Go words it.
            Builtin::Call => match &argv[0] {
                Value::Nil => Err("call of nil".into()),
                other => Err(format!(
                    "non-function {} of type {}",
                    extra.first().map(ToString::to_string).unwrap_or_default(),
                    other.type_name()
                )),
            },
            Builtin::Printf => {
                let format = self.string_arg(sc, &argv[0])?;
                Ok(Value::from(sprintf(&format, &argv[1..])))
            }
            Builtin::Include => {
                let name = self.string_arg(sc, &argv[0])?;
                self.include(&name, argv[1].clone())
            }
            Builtin::Tpl => {
                let text = self.string_arg(sc, &argv[0])?;
                self.tpl(&text, argv[1].clone())
            }
            _ => simple_builtin(b, &argv),
        })
    }

    /// Helm's `include`: executes a named template into a string.
    #[inline(never)]
    fn include(&mut self, name: &str, data: Value) -> Result<Value, String> {
        // Inside `tpl`, whose `define`s may stand for other templates, nothing is remembered.
        let start = match self.memo.as_mut() {
            Some(m) if self.overlays.is_empty() => {
                let key = memo::Key::new(name, &data);
                if let Some((text, steps)) = m.recall(&key, &self.ctx.track) {
                    self.ctx.charge(steps)?;
                    return Ok(text);
                }
                let steps = self.ctx.steps();
                Some(m.start(key, &mut self.ctx.track, steps))
            }
            _ => None,
        };
        match self.included.get_mut(name) {
            Some(n) => {
                if *n > INCLUDE_MAX {
                    return Err(format!(
                        "rendering template has a nested reference name: {name}: unable to execute template"
                    ));
                }
                *n += 1;
            }
            None => {
                self.included.insert(name.to_string(), 1);
            }
        }
        let mut buf = self.buffers.pop().unwrap_or_default();
        buf.clear();
        self.remembering += u32::from(start.is_some());
        let r = self.execute_named(name, data, &mut buf);
        self.remembering -= u32::from(start.is_some());
        if let Some(n) = self.included.get_mut(name) {
            *n -= 1;
        }
        let value = r.map(|()| Value::str(&buf)).map_err(|e| e.to_string());
        self.buffers.push(buf);
        if let (Some(start), Ok(text), Some(m)) = (start, &value, self.memo.as_mut()) {
            let steps = self.ctx.steps();
            m.finish(start, text, &mut self.ctx.track, steps);
        }
        value
    }

    /// Helm's `tpl`: parses `text` as a template named like the root (`gotpl`) in a clone of
    /// the set — its `define`s are seen by what it runs, and vanish afterwards — runs it with
    /// `data`, and drops `<no value>` from the result.
    #[inline(never)]
    fn tpl(&mut self, text: &str, data: Value) -> Result<Value, String> {
        let root = self.set.root_name.clone();
        let trees = self
            .set
            .parse_tpl(&root, text)
            .map_err(|e| format!("cannot parse template {}: {e}", quote(text)))?;
        let mut overlay: foldhash::HashMap<String, Arc<Tree>> = foldhash::HashMap::default();
        let mut main = None;
        for t in trees.iter() {
            if t.name == root {
                main = Some(t.clone());
            }
            let keep_old = t.is_empty()
                && match overlay.get(&t.name) {
                    Some(old) => !old.is_empty(),
                    None => self.lookup(&t.name).is_some_and(|old| !old.is_empty()),
                };
            if !keep_old {
                overlay.insert(t.name.clone(), t.clone());
            }
        }
        let Some(main) = main else {
            return Ok(Value::str(""));
        };
        self.overlays.push(overlay);
        let mut buf = String::new();
        let r = self.execute_tree(&main, data, &mut buf, 0);
        self.overlays.pop();
        r.map_err(|e| {
            format!(
                "error during tpl function execution for {}: {e}",
                quote(text)
            )
        })?;
        Ok(Value::from(buf.replace("<no value>", "")))
    }
}

/// The builtins that need no executor state (kept out of the recursive call path's frames).
#[inline(never)]
fn simple_builtin(b: Builtin, argv: &[Value]) -> Result<Value, String> {
    match b {
        Builtin::Not => Ok(Value::Bool(!truth(&argv[0]))),
        Builtin::Index => builtins::index(&as_data(argv[0].clone()), &argv[1..]),
        Builtin::Slice => builtins::slice(&as_data(argv[0].clone()), &argv[1..]),
        Builtin::Print => Ok(Value::from(sprint(argv))),
        Builtin::Println => Ok(Value::from(sprintln(argv))),
        Builtin::Html => Ok(Value::from(builtins::html(&builtins::eval_args(argv)))),
        Builtin::Js => Ok(Value::from(builtins::js(&builtins::eval_args(argv)))),
        Builtin::Urlquery => Ok(Value::from(builtins::urlquery(&builtins::eval_args(argv)))),
        Builtin::Eq => builtins::eq(&argv[0], &argv[1..]).map(Value::Bool),
        Builtin::Ne => builtins::eq(&argv[0], &argv[1..2]).map(|t| Value::Bool(!t)),
        Builtin::Lt => builtins::lt(&argv[0], &argv[1]).map(Value::Bool),
        Builtin::Le => builtins::le(&argv[0], &argv[1]).map(Value::Bool),
        Builtin::Gt => builtins::le(&argv[0], &argv[1]).map(|t| Value::Bool(!t)),
        Builtin::Ge => builtins::lt(&argv[0], &argv[1]).map(|t| Value::Bool(!t)),
        _ => Err(format!("internal error: builtin {b:?} needs the executor")),
    }
}

/// The node Go's executor is at after evaluating `arg` (its `state.node`): the innermost
/// last word evaluated.
fn last_node(arg: &Arg) -> &Arg {
    match arg {
        Arg::Chain { node, .. } => last_node(node),
        Arg::Pipe(p) => match p.cmds.last() {
            Some(c) => match &c.args[0] {
                Arg::Func { .. } if c.args.len() > 1 => last_node(&c.args[c.args.len() - 1]),
                first => last_node(first),
            },
            None => arg,
        },
        other => other,
    }
}

/// A Go map or slice type with methods (Helm's `.Files`) as the plain map or list it is.
fn as_data(v: Value) -> Value {
    match v {
        Value::Object(o) if matches!(o.kind(), "map" | "slice") => o.to_data(),
        v => v,
    }
}

/// Go's truth: [`Value::truthy`], and an empty map- or slice-kinded object is false.
fn truth(v: &Value) -> bool {
    match v {
        Value::Object(o) if matches!(o.kind(), "map" | "slice") => o.to_data().truthy(),
        v => v.truthy(),
    }
}

/// Whether a function's error is one Go's executor raises itself while converting arguments
/// to the function's parameter types (so it is not wrapped as "error calling NAME").
fn is_argument_error(e: &str) -> bool {
    e.starts_with("wrong type for value; ")
        || e.starts_with("invalid value; expected ")
        || e.starts_with("wrong number of args for ")
}

/// `(min, max)` arguments of a builtin, from Go's signatures.
fn builtin_arity(b: Builtin) -> (usize, Option<usize>) {
    match b {
        Builtin::And | Builtin::Or | Builtin::Index | Builtin::Slice | Builtin::Printf => (1, None),
        Builtin::Call | Builtin::Eq => (1, None),
        Builtin::Not | Builtin::Len => (1, Some(1)),
        Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::Urlquery => {
            (0, None)
        }
        Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => (2, Some(2)),
        Builtin::Include | Builtin::Tpl => (2, Some(2)),
    }
}

fn node_pos(n: &Node) -> u32 {
    match n {
        Node::Text(_) => 0,
        Node::Action(p) => p.pos,
        Node::If(b) | Node::With(b) | Node::Range(b) => b.pipe.pos,
        Node::Template { pos, .. } => *pos,
        Node::Break(p) | Node::Continue(p) => *p,
    }
}

/// An action's result as Go prints it: `<no value>` for nil, `%v` otherwise.
#[inline(never)]
fn print_value(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// Parses `text` for `tpl` (shared by the cache in the set).
pub(crate) fn parse_for_tpl(
    root: &str,
    text: &str,
    funcs: &crate::func::FuncMap,
) -> Result<Vec<Arc<Tree>>, String> {
    Ok(parse(root, text, funcs)?
        .into_iter()
        .map(Arc::new)
        .collect())
}
