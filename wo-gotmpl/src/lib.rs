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
//!
//! # Known differences from Helm
//!
//! The judge is `helm template` (v4.1.4): the corpus of real charts in `../shared/charts` renders
//! byte for byte, and a differential test renders random templates through both. Where they
//! still differ, by design:
//!
//! - Strings are UTF-8. Go's strings are bytes: `trunc`/`substr` cutting through a multi-byte
//!   character keep half of it in Go; here the half character becomes U+FFFD.
//! - Random and time functions draw from a seed and a fixed clock ([`func::Ctx`]), so a render is
//!   reproducible; Helm's differ on every run.
//! - `lookup` returns an empty map, as `helm template` does (there is no cluster).
//!
//! # Rendering a chart many times
//!
//! A fleet renders one chart for many targets: prepare it once ([`helm::PreparedChart::new`]:
//! templates parsed, defaults converted) and call `render` per target, from any number of
//! threads. A prepared chart remembers what it read of each template's last output (the
//! document heads Helm sorts by), so output that does not change between targets (CRDs) is
//! neither copied nor read again. Within one render, `include`s are remembered: the same
//! template with the same data gives the remembered text unless its execution drew random
//! numbers, changed a map made before it, or may have read `.Template` (then only within its
//! file) — see `template/memo.rs`. That memory is on only with Helm's own function table: a
//! chart prepared with [`helm::PreparedChart::with_funcs`] executes every `include`, since
//! functions of your own may have effects it cannot see.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod encoding;
pub mod func;
pub mod funcs;
pub mod helm;
pub mod template;
pub mod thread_cache;
pub mod value;

#[cfg(test)]
mod test_helm;

pub use func::{Ctx, FuncDef, FuncMap};
pub use value::{Map, Object, Value};
