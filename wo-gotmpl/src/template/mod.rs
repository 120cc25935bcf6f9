//! Go's `text/template`: lexer, parser, executor, `fmt` verbs and builtins, with Helm's
//! `include` and `tpl`.
//!
//! Contract (the rest of the crate builds on it):
//!
//! ```text
//! TemplateSet::new(funcs: Arc<FuncMap>) -> TemplateSet            Send + Sync, Clone
//! TemplateSet::parse(&mut self, name, text) -> Result<(), Error>  adds `name` and its `define`s
//! TemplateSet::execute(&self, name, data: &Value, ctx: &mut Ctx) -> Result<String, Error>
//! TemplateSet::has(&self, name) -> bool
//! Error: Display gives Go's text ("template: NAME:LINE:COL: executing \"NAME\" at <.x>: …")
//! ```
