//! Step outputs: `key=value` lines appended to the file at `GITHUB_OUTPUT`.
//!
//! A value with a line break is written in GitHub's heredoc form,
//!
//! ```text
//! key<<ghadelimiter_3f0c…
//! first line
//! second line
//! ghadelimiter_3f0c…
//! ```
//!
//! with a delimiter chosen afresh for every value and checked not to occur in it, so that no
//! value can end its block early and set other outputs.

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use wo_core::error::{Error, Location, Result};

/// The variable naming the step's output file.
pub const OUTPUT_VAR: &str = "GITHUB_OUTPUT";

/// The lines that set `outputs`, in key order.
///
/// # Errors
///
/// [`Error::Invalid`] for a key that is not an output name (a letter or `_`, then letters,
/// digits, `-`, `_`).
pub fn render_outputs(outputs: &BTreeMap<String, String>) -> Result<String> {
    render(outputs, OUTPUT_VAR)
}

/// Appends `outputs` to the output file at `path` (the value of `GITHUB_OUTPUT`).
///
/// # Errors
///
/// [`Error::Invalid`] for a key that is not an output name (nothing is written then),
/// [`Error::Io`] when the file cannot be appended to.
pub fn write_outputs(path: &Path, outputs: &BTreeMap<String, String>) -> Result<()> {
    let file = path.display().to_string();
    let text = render(outputs, &file)?;
    append(path, &text)
}

/// Appends `text` to the file at `path`, creating it when missing (GitHub creates the files it
/// names; a local run may not have them).
pub(crate) fn append(path: &Path, text: &str) -> Result<()> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)
}

fn render(outputs: &BTreeMap<String, String>, file: &str) -> Result<String> {
    let mut text = String::new();
    for (key, value) in outputs {
        if !is_output_name(key) {
            return Err(Error::invalid(
                Location::file(file).with_key(key.as_str()),
                format!("{key:?} is not an output name (a letter or _, then letters, digits, - _)"),
            ));
        }
        if value.contains(['\n', '\r']) {
            let delimiter = delimiter_for(value);
            text.push_str(&format!("{key}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{key}={value}\n"));
        }
    }
    Ok(text)
}

fn is_output_name(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A fresh `ghadelimiter_<32 hex digits>` that does not occur in `value`.
fn delimiter_for(value: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        // `RandomState` is seeded from the operating system's randomness; the counter keeps two
        // delimiters of one process apart even if the seeds repeated.
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let word = |salt: u64| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(n);
            h.write_u64(salt);
            h.write_u32(std::process::id());
            h.finish()
        };
        let delimiter = format!("ghadelimiter_{:016x}{:016x}", word(1), word(2));
        if !value.contains(&delimiter) {
            return delimiter;
        }
    }
}
