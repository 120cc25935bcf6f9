//! The function library: Sprig's functions as Helm exposes them, and Helm's own.
//!
//! Contract: `sprig() -> FuncMap` (Sprig's `TxtFuncMap` without `env`/`expandenv`),
//! `helm() -> FuncMap` (`toYaml`, `toYamlPretty`, `fromYaml`, `fromYamlArray`, `toJson`,
//! `fromJson`, `fromJsonArray`, `toToml`, `required`, `lookup`; `include` and `tpl` live in the
//! executor), `all() -> FuncMap` (both, as Helm's engine registers them).
