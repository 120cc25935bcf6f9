//! The parser: Go's `text/template/parse` (`parse.go`, `node.go`) over the lexer's items.
//! Function names are resolved against the set's [`FuncMap`] here, once, as Go checks them.

use std::fmt;
use std::sync::Arc;

use super::lex::{lex, Item, Kind};
use crate::func::{FuncDef, FuncMap};

/// The text a tree was parsed from: errors locate nodes in it (`NAME:LINE:COL`).
#[derive(Debug)]
pub(crate) struct Source {
    /// The name of the template being parsed (Go's `ParseName`): a file, or `gotpl` for `tpl`.
    pub parse_name: String,
    pub text: String,
}

impl Source {
    /// Go's `ErrorContext` location: `NAME:LINE:COL` with Go's byte column quirk (the offset
    /// on the first line, 0-based after a newline).
    pub fn location(&self, pos: u32) -> String {
        let pos = (pos as usize).min(self.text.len());
        let before = &self.text[..pos];
        let col = match before.rfind('\n') {
            None => pos,
            Some(nl) => pos - (nl + 1),
        };
        let line = 1 + before.matches('\n').count();
        format!("{}:{}:{}", self.parse_name, line, col)
    }
}

/// One named template: a file's body or a `define`.
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: String,
    pub source: Arc<Source>,
    pub root: List,
}

impl Tree {
    /// Go's `IsEmptyTree`: only blank text and comments (an empty body never replaces a
    /// non-empty one).
    pub fn is_empty(&self) -> bool {
        self.root.nodes.iter().all(|n| match n {
            Node::Text(t) => t.trim().is_empty(),
            _ => false,
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct List {
    pub nodes: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Text(std::sync::Arc<str>),
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Template {
        pos: u32,
        name: Box<str>,
        pipe: Option<Pipe>,
    },
    Break(u32),
    Continue(u32),
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: u32,
    pub is_assign: bool,
    pub decl: Vec<Box<str>>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: u32,
    pub args: Vec<Arg>,
}

/// A function as the parser resolved it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Func {
    User(FuncDef),
    Builtin(Builtin),
}

/// Go's builtins, and Helm's `include`/`tpl` (which need the template set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Call,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Include,
    Tpl,
}

impl Builtin {
    fn lookup(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "call" => Builtin::Call,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            _ => return None,
        })
    }
}

/// A number literal as Go's `NumberNode` holds it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Number {
    pub int: Option<i64>,
    pub uint: Option<u64>,
    pub float: Option<f64>,
    pub is_char: bool,
}

#[derive(Debug)]
pub(crate) enum Arg {
    Field {
        pos: u32,
        idents: Vec<Box<str>>,
    },
    Chain {
        pos: u32,
        node: Box<Arg>,
        fields: Vec<Box<str>>,
    },
    Var {
        pos: u32,
        idents: Vec<Box<str>>,
    },
    Func {
        pos: u32,
        name: Box<str>,
        func: Func,
    },
    Dot(u32),
    Nil(u32),
    Bool(u32, bool),
    Number {
        pos: u32,
        text: Box<str>,
        num: Number,
    },
    Str {
        pos: u32,
        quoted: Box<str>,
        text: Box<str>,
    },
    Pipe(Box<Pipe>),
}

impl Arg {
    pub fn pos(&self) -> u32 {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Var { pos, .. }
            | Arg::Func { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::Number { pos, .. }
            | Arg::Str { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

// Go's `String()` of nodes: the context of execution errors (`at <.Values.x>`).

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for id in idents {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = &**node {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for id in fields {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            Arg::Var { idents, .. } => f.write_str(&idents.join(".")),
            Arg::Func { name, .. } => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number { text, .. } => f.write_str(text),
            Arg::Str { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = arg {
                write!(f, "({p})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let branch = |f: &mut fmt::Formatter<'_>, kw: &str, b: &Branch| {
            write!(f, "{{{{{kw} {}}}}}{}", b.pipe, b.list)?;
            if let Some(e) = &b.else_list {
                write!(f, "{{{{else}}}}{e}")?;
            }
            f.write_str("{{end}}")
        };
        match self {
            Node::Text(t) => write!(f, "{}", super::fmt::quote(t)),
            Node::Action(p) => write!(f, "{{{{{p}}}}}"),
            Node::If(b) => branch(f, "if", b),
            Node::With(b) => branch(f, "with", b),
            Node::Range(b) => branch(f, "range", b),
            Node::Template { name, pipe, .. } => match pipe {
                None => write!(f, "{{{{template {}}}}}", super::fmt::quote(name)),
                Some(p) => write!(f, "{{{{template {} {p}}}}}", super::fmt::quote(name)),
            },
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}

/// What `else`/`end` ended a list with.
enum Ending {
    End,
    Else,
}

struct Parser<'a> {
    items: Vec<Item>,
    i: usize,
    last_line: u32,
    parse_name: &'a str,
    source: Arc<Source>,
    funcs: &'a FuncMap,
    vars: Vec<String>,
    range_depth: usize,
    action_line: u32,
    trees: Vec<Tree>,
}

type PResult<T> = Result<T, String>;

/// Parses `text` as the template `name`: its body and every `define`/`block` in it, in Go's
/// `treeSet` order of first appearance. Errors are Go's full text (`template: NAME:LINE: …`).
pub(crate) fn parse(name: &str, text: &str, funcs: &FuncMap) -> Result<Vec<Tree>, String> {
    let source = Arc::new(Source {
        parse_name: name.to_string(),
        text: text.to_string(),
    });
    let mut p = Parser {
        items: lex(text),
        i: 0,
        last_line: 1,
        parse_name: name,
        source,
        funcs,
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        trees: Vec::new(),
    };
    let root = p.parse_top()?;
    let tree = Tree {
        name: name.to_string(),
        source: p.source.clone(),
        root,
    };
    p.add(tree)?;
    Ok(p.trees)
}

impl Parser<'_> {
    fn next(&mut self) -> Item {
        let item = self.items[self.i.min(self.items.len() - 1)].clone();
        if self.i < self.items.len() {
            self.i += 1;
        }
        self.last_line = item.line;
        item
    }

    fn backup(&mut self) {
        self.i -= 1;
    }

    fn peek(&self) -> &Item {
        &self.items[self.i.min(self.items.len() - 1)]
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let item = self.next();
            if item.kind != Kind::Space {
                return item;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let item = self.next_non_space();
        self.backup();
        item
    }

    fn errorf(&self, msg: impl fmt::Display) -> String {
        format!("template: {}:{}: {}", self.parse_name, self.last_line, msg)
    }

    fn unexpected(&self, item: &Item, context: &str) -> String {
        if item.kind == Kind::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != item.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if item.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{item}{extra}"));
        }
        self.errorf(format!("unexpected {item} in {context}"))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Item> {
        let item = self.next_non_space();
        if item.kind != kind {
            return Err(self.unexpected(&item, context));
        }
        Ok(item)
    }

    /// Go's `Tree.add`: a second non-empty definition in one parse is an error; an empty one
    /// never replaces.
    fn add(&mut self, tree: Tree) -> PResult<()> {
        if let Some(i) = self.trees.iter().position(|t| t.name == tree.name) {
            if self.trees[i].is_empty() {
                self.trees[i] = tree;
            } else if !tree.is_empty() {
                return Err(self.errorf(format!(
                    "template: multiple definition of template {}",
                    super::fmt::quote(&tree.name)
                )));
            }
            return Ok(());
        }
        self.trees.push(tree);
        Ok(())
    }

    fn parse_top(&mut self) -> PResult<List> {
        let mut root = List::default();
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let at = self.i;
                self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.i = at;
            }
            match self.text_or_action()? {
                Ok(node) => root.nodes.push(node),
                Err(Ending::End) => return Err(self.errorf("unexpected {{end}}")),
                Err(Ending::Else) => return Err(self.errorf("unexpected {{else}}")),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let item = self.next_non_space();
        if !matches!(item.kind, Kind::String | Kind::RawString) {
            return Err(self.unexpected(&item, context));
        }
        let name = unquote(&item.val).map_err(|e| self.errorf(e))?;
        self.expect(Kind::RightDelim, context)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if let Ending::Else = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add(Tree {
            name,
            source: self.source.clone(),
            root: list,
        })
    }

    /// A list up to `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> PResult<(List, Ending)> {
        let mut list = List::default();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Ok(node) => list.nodes.push(node),
                Err(ending) => return Ok((list, ending)),
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    /// A node, or the `end`/`else` that ends the enclosing list.
    fn text_or_action(&mut self) -> PResult<Result<Node, Ending>> {
        let item = self.next_non_space();
        match item.kind {
            Kind::Text => Ok(Ok(Node::Text(item.val.into()))),
            Kind::LeftDelim => {
                self.action_line = item.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => Err(self.unexpected(&item, "input")),
        }
    }

    fn action(&mut self) -> PResult<Result<Node, Ending>> {
        let item = self.next_non_space();
        match item.kind {
            Kind::Block => return self.block_control().map(Ok),
            Kind::Break => return self.break_control(item.line, true).map(Ok),
            Kind::Continue => return self.break_control(item.line, false).map(Ok),
            Kind::Else => return self.else_control().map(Err),
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Err(Ending::End));
            }
            Kind::If => return self.if_control().map(Ok),
            Kind::Range => {
                let b = self.parse_control("range")?;
                return Ok(Ok(Node::Range(b)));
            }
            Kind::Template => return self.template_control().map(Ok),
            Kind::With => return self.with_control().map(Ok),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Ok(Node::Action(pipe)))
    }

    fn break_control(&mut self, _line: u32, is_break: bool) -> PResult<Node> {
        let word = if is_break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let pos = self.items[self.i - 1].pos;
        let item = self.next_non_space();
        if item.kind != Kind::RightDelim {
            return Err(self.unexpected(&item, word));
        }
        if self.range_depth == 0 {
            return Err(self.errorf(format!("{word} outside {{{{range}}}}")));
        }
        Ok(if is_break {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        })
    }

    fn else_control(&mut self) -> PResult<Ending> {
        let peek = self.peek_non_space();
        if matches!(peek.kind, Kind::If | Kind::With) {
            return Ok(Ending::Else);
        }
        self.expect(Kind::RightDelim, "else")?;
        Ok(Ending::Else)
    }

    fn if_control(&mut self) -> PResult<Node> {
        Ok(Node::If(self.parse_control("if")?))
    }

    fn with_control(&mut self) -> PResult<Node> {
        Ok(Node::With(self.parse_control("with")?))
    }

    fn parse_control(&mut self, context: &str) -> PResult<Branch> {
        let nvars = self.vars.len();
        let r = self.parse_control_inner(context);
        self.vars.truncate(nvars);
        r
    }

    fn parse_control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, end) = r?;
        let mut else_list = None;
        if let Ending::Else = end {
            if context == "if" && self.peek().kind == Kind::If {
                self.next();
                else_list = Some(List {
                    nodes: vec![self.if_control()?],
                });
            } else if context == "with" && self.peek().kind == Kind::With {
                self.next();
                else_list = Some(List {
                    nodes: vec![self.with_control()?],
                });
            } else {
                let (list, end) = self.item_list()?;
                if let Ending::Else = end {
                    return Err(self.errorf("expected end; found {{else}}"));
                }
                else_list = Some(list);
            }
        }
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn parse_template_name(&mut self, item: &Item, context: &str) -> PResult<String> {
        match item.kind {
            Kind::String | Kind::RawString => unquote(&item.val).map_err(|e| self.errorf(e)),
            _ => Err(self.unexpected(item, context)),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let item = self.next_non_space();
        let name = self.parse_template_name(&item, context)?;
        let mut pipe = None;
        if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, Kind::RightDelim)?);
        }
        Ok(Node::Template {
            pos: item.pos,
            name: name.into(),
            pipe,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let item = self.next_non_space();
        let name = self.parse_template_name(&item, context)?;
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        let (list, end) = r?;
        if let Ending::Else = end {
            return Err(self.errorf(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add(Tree {
            name: name.clone(),
            source: self.source.clone(),
            root: list,
        })?;
        Ok(Node::Template {
            pos: item.pos,
            name: name.into(),
            pipe: Some(pipe),
        })
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations: `$x :=`, `$x =`, `$i, $v :=`.
        loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let start = self.i;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.kind {
                Kind::Assign | Kind::Declare => {
                    pipe.is_assign = next.kind == Kind::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone().into());
                    self.vars.push(v.val.clone());
                }
                Kind::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone().into());
                    self.vars.push(v.val.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        let p = self.peek_non_space();
                        match p.kind {
                            Kind::Variable | Kind::RightDelim | Kind::RightParen => continue,
                            _ => return Err(self.errorf("range can only initialize variables")),
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ => {
                    self.i = start;
                }
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            if token.kind == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match token.kind {
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number { .. } | Arg::Str { .. }
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields: Vec<Box<str>> = Vec::new();
        while self.peek().kind == Kind::Field {
            let f = self.next();
            fields.push(f.val[1..].into());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Var { mut idents, .. } => {
                idents.extend(fields);
                Arg::Var { pos, idents }
            }
            Arg::Bool(..) | Arg::Str { .. } | Arg::Number { .. } | Arg::Nil(_) | Arg::Dot(_) => {
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    super::fmt::quote(&node.to_string())
                )));
            }
            other => Arg::Chain {
                pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.kind {
            Kind::Identifier => {
                let name = token.val.as_str();
                let func = match name {
                    "include" => Func::Builtin(Builtin::Include),
                    "tpl" => Func::Builtin(Builtin::Tpl),
                    _ => match self.funcs.get(name) {
                        Some(def) => Func::User(*def),
                        None => match Builtin::lookup(name) {
                            Some(b) => Func::Builtin(b),
                            None => {
                                return Err(self.errorf(format!(
                                    "function {} not defined",
                                    super::fmt::quote(name)
                                )))
                            }
                        },
                    },
                };
                Arg::Func {
                    pos,
                    name: name.into(),
                    func,
                }
            }
            Kind::Dot => Arg::Dot(pos),
            Kind::Nil => Arg::Nil(pos),
            Kind::Variable => {
                if !self.vars.contains(&token.val) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        super::fmt::quote(&token.val)
                    )));
                }
                Arg::Var {
                    pos,
                    idents: vec![token.val.into()],
                }
            }
            Kind::Field => Arg::Field {
                pos,
                idents: token.val[1..].split('.').map(Into::into).collect(),
            },
            Kind::Bool => Arg::Bool(pos, token.val == "true"),
            Kind::CharConstant | Kind::Complex | Kind::Number => {
                let num = parse_number(&token.val, token.kind).map_err(|e| self.errorf(e))?;
                Arg::Number {
                    pos,
                    text: token.val.into(),
                    num,
                }
            }
            Kind::LeftParen => Arg::Pipe(Box::new(
                self.pipeline("parenthesized pipeline", Kind::RightParen)?,
            )),
            Kind::String | Kind::RawString => {
                let text = unquote(&token.val).map_err(|e| self.errorf(e))?;
                Arg::Str {
                    pos,
                    quoted: token.val.into(),
                    text: text.into(),
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// Go's `strconv.Unquote` for the literals the lexer accepts: `"…"` with Go escapes,
/// `` `…` `` raw, `'…'` one character.
pub(crate) fn unquote(s: &str) -> Result<String, String> {
    let bad = || "invalid syntax".to_string();
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Err(bad());
    }
    let quote = bytes[0];
    if bytes[bytes.len() - 1] != quote {
        return Err(bad());
    }
    let body = &s[1..s.len() - 1];
    if quote == b'`' {
        return Ok(body.replace('\r', ""));
    }
    if quote != b'"' && quote != b'\'' {
        return Err(bad());
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote as char && quote == b'"' {
            return Err(bad());
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(bad)?;
        let mut hex = |n: usize| -> Result<u32, String> {
            let mut v = 0u32;
            for _ in 0..n {
                let d = chars.next().and_then(|c| c.to_digit(16)).ok_or_else(bad)?;
                v = v * 16 + d;
            }
            Ok(v)
        };
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '\'' if quote == b'\'' => out.push('\''),
            '"' if quote == b'"' => out.push('"'),
            'x' => {
                let v = hex(2)?;
                // Go strings are bytes; a lone high byte is not valid UTF-8 here.
                out.push(char::from_u32(v).filter(|_| v < 0x80).ok_or_else(bad)?);
            }
            'u' => out.push(char::from_u32(hex(4)?).ok_or_else(bad)?),
            'U' => out.push(char::from_u32(hex(8)?).ok_or_else(bad)?),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars.next().and_then(|c| c.to_digit(8)).ok_or_else(bad)?;
                    v = v * 8 + d;
                }
                if v >= 0x80 {
                    return Err(bad());
                }
                out.push(char::from_u32(v).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    if quote == b'\'' && out.chars().count() != 1 {
        return Err(bad());
    }
    Ok(out)
}

/// Go's `newNumber`: which of int, uint and float the literal is exactly.
fn parse_number(text: &str, kind: Kind) -> Result<Number, String> {
    let illegal = || format!("illegal number syntax: {}", super::fmt::quote(text));
    if kind == Kind::CharConstant {
        // Go's UnquoteChar on the first character, then the closing quote must follow.
        let inner = &text[1..];
        let first_len = if inner.starts_with('\\') {
            match inner.as_bytes().get(1) {
                Some(b'x') => 4,
                Some(b'u') => 6,
                Some(b'U') => 10,
                Some(b'0'..=b'7') => 4,
                _ => 2,
            }
        } else {
            inner.chars().next().map_or(0, char::len_utf8)
        };
        let (head, tail) = inner.split_at(first_len.min(inner.len()));
        let c = unquote(&format!("'{head}'"))?
            .chars()
            .next()
            .ok_or_else(illegal)?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        let v = c as i64;
        return Ok(Number {
            int: Some(v),
            uint: Some(v as u64),
            float: Some(v as f64),
            is_char: true,
        });
    }
    if kind == Kind::Complex || text.ends_with('i') {
        return Err(illegal());
    }
    let mut n = Number::default();
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let int_mag = parse_uint_base0(body);
    if let Some(m) = int_mag {
        if !neg {
            n.uint = Some(m);
        }
        if neg {
            if m <= i64::MAX as u64 + 1 {
                n.int = Some((m as i128).wrapping_neg() as i64);
            }
        } else if m <= i64::MAX as u64 {
            n.int = Some(m as i64);
        }
    }
    if let Some(i) = n.int {
        n.float = Some(i as f64);
    } else if let Some(u) = n.uint {
        n.float = Some(u as f64);
    } else {
        let clean: String = body.chars().filter(|c| *c != '_').collect();
        let f: f64 = if clean.starts_with("0x") || clean.starts_with("0X") {
            parse_hex_float(&clean[2..]).ok_or_else(illegal)?
        } else {
            clean.parse().map_err(|_| illegal())?
        };
        if !f.is_finite() {
            return Err(illegal());
        }
        let f = if neg { -f } else { f };
        n.float = Some(f);
        if f == f.trunc() && f.abs() < 9.2e18 {
            n.int = Some(f as i64);
            if f >= 0.0 {
                n.uint = Some(f as u64);
            }
        }
    }
    Ok(n)
}

/// A hexadecimal float after its `0x`: `1.8p+1` (the `p` exponent is required).
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// `strconv.ParseUint(s, 0, 64)`: decimal, `0x`, `0o`, `0b`, leading-zero octal, `_`
/// between digits.
fn parse_uint_base0(s: &str) -> Option<u64> {
    let (radix, digits, prefixed) = if let Some(r) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (16, r, true)
    } else if let Some(r) = s.strip_prefix("0o").or(s.strip_prefix("0O")) {
        (8, r, true)
    } else if let Some(r) = s.strip_prefix("0b").or(s.strip_prefix("0B")) {
        (2, r, true)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..], true)
    } else {
        (10, s, false)
    };
    if digits.is_empty() {
        return None;
    }
    // Underscores only between digits (or after a base prefix).
    let b = digits.as_bytes();
    if b[b.len() - 1] == b'_' || (!prefixed && b[0] == b'_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    u64::from_str_radix(&clean, radix).ok()
}
