//! The function library: Sprig's functions as Helm exposes them, and Helm's own.
//!
//! - [`sprig()`]: Sprig v3.3.0's `TxtFuncMap` without `env` and `expandenv` (Helm deletes
//!   them), with Go's semantics: the same result types (`add` gives `int64`, `splitList` a
//!   `[]string`), `cast` conversions, `mergo` merging and the same error texts. Its JSON
//!   functions (`toJson`, `toPrettyJson`, `toRawJson`, `fromJson` and their `must` forms)
//!   come with the other encodings from [`crate::encoding::funcs()`].
//! - [`helm()`]: Helm's own non-encoding functions (`required`, `fail`, `lookup`).
//! - [`all()`]: both, and the encoding functions, as Helm's engine registers them.
//!
//! Arguments are checked as Go's `text/template` checks them against the parameter types; the
//! error text is then Go's own ("wrong type for value; expected string; got float64"), which
//! [`is_argument_error`] recognizes so that the executor can report it at the argument rather
//! than as "error calling NAME". Functions that draw randomness or read the clock use
//! [`Ctx`] only, so a render is reproducible.
//!
//! The shared conversions ([`conv`]) are public for the executor and the chart layer.

mod args;
mod casing;
mod certs;
pub mod conv;
mod crypto;
mod dates;
mod decimal;
mod defaults;
mod dicts;
mod helm_funcs;
mod keys;
mod lists;
mod math;
mod paths;
mod primes;
mod random;
mod reflect;
mod regex;
mod secrets;
mod semver;
mod strings;

pub use certs::Certificate;
pub use dates::{duration_string, parse_duration, parse_time, Time};
pub use dicts::mergo_merge;
pub use helm_funcs::{WARN_END, WARN_START};
pub use lists::deep_equal;
pub use semver::{constraint_matches, Version as SemVersion};

use crate::func::{Ctx, FuncDef, FuncMap, FuncResult};
use crate::value::Value;

/// A table entry (a `const fn` so that each theme lists its functions in a `const` slice).
pub(crate) const fn def(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    f: fn(&mut Ctx, &[Value]) -> FuncResult,
) -> FuncDef {
    FuncDef {
        name,
        min_args,
        max_args,
        f,
    }
}

/// Sprig's `TxtFuncMap` as Helm v4 uses it: every function but `env` and `expandenv`.
pub fn sprig() -> FuncMap {
    let mut map = FuncMap::new();
    for table in [
        strings::FUNCS,
        casing::FUNCS,
        lists::FUNCS,
        dicts::FUNCS,
        math::FUNCS,
        defaults::FUNCS,
        reflect::FUNCS,
        regex::FUNCS,
        semver::FUNCS,
        crypto::FUNCS,
        certs::FUNCS,
        keys::FUNCS,
        secrets::FUNCS,
        random::FUNCS,
        dates::FUNCS,
        paths::FUNCS,
    ] {
        for def in table {
            map.insert(*def);
        }
    }
    map
}

/// Helm's own functions besides the encoding ones: `required`, `fail` (both reporting their
/// message between [`WARN_START`] and [`WARN_END`], as Helm's engine does), `lookup` (an empty
/// map, as `helm template` gives without a cluster).
pub fn helm() -> FuncMap {
    let mut map = FuncMap::new();
    for def in helm_funcs::FUNCS {
        map.insert(*def);
    }
    map
}

/// Every function a chart template can call (but `include` and `tpl`, which the executor
/// binds): [`sprig()`], then [`helm()`], then [`crate::encoding::funcs()`], later ones
/// replacing same-named earlier ones as in Helm's `funcMap`.
pub fn all() -> FuncMap {
    let mut map = sprig();
    map.extend(helm());
    map.extend(crate::encoding::funcs());
    map
}

/// Whether an error text is `text/template`'s refusal of an argument (a value of the wrong type
/// for the parameter), which Go reports at the argument, not as "error calling NAME".
pub fn is_argument_error(message: &str) -> bool {
    message.starts_with("wrong type for value; expected ")
        || message.starts_with("invalid value; expected ")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod helm_check;
