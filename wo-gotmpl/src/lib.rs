//! Helm's template engine, natively: Go's `text/template`, the Sprig functions Helm exposes,
//! Helm's own functions and objects, and charts rendered exactly as `helm template` prints them.
//!
//! - [`value`]: the value model — Go's dynamic values as templates see them (`float64` numbers
//!   from YAML, maps with reference semantics, structs with fields and methods).
//! - [`template`]: Go `text/template` — lexer, parser, executor, `fmt` verbs, builtins, and
//!   Helm's `include`/`tpl`.
//! - [`funcs`]: the function library — Sprig and Helm's functions ([`func::FuncMap`]).
//! - [`encoding`]: YAML and JSON as Helm reads and writes them (`sigs.k8s.io/yaml` over
//!   go-yaml v2: YAML 1.1 scalars, `toYaml`'s exact layout; Go's `encoding/json`; TOML).
//! - [`helm`]: charts — loading (directories, `.tgz`, `.helmignore`), values coalescing,
//!   dependencies, schema validation, `.Release`/`.Chart`/`.Capabilities`/`.Files`, and the
//!   output of `helm template`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod encoding;
pub mod func;
pub mod funcs;
pub mod helm;
pub mod template;
pub mod value;

pub use func::{Ctx, FuncDef, FuncMap};
pub use value::{Map, Object, Value};
