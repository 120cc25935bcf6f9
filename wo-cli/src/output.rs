//! What a command prints: the `--output` formats each command supports, the JSON forms, and
//! errors (text on stderr, or a JSON document on stdout for a command asked for JSON).

use std::process::ExitCode;

use serde_json::json;
use wo_core::{Error, Result};

use crate::console::{self, errln, Kind};

/// What a command produced: the text for stdout, what kind of text it is, and whether the run
/// failed (exit code 1).
#[derive(Debug, Default)]
pub struct Outcome {
    /// Printed on stdout, made safe as its kind says.
    pub text: String,
    /// Text for people, JSON, or data.
    pub kind: Kind,
    /// Whether the run failed (a target failed, a blocking policy rule, promotion halted).
    pub failed: bool,
}

impl Outcome {
    /// A successful run printing `text` for people.
    pub fn ok(text: impl Into<String>) -> Self {
        Self::new(text, false)
    }

    /// A run printing `text` for people that failed when `failed`.
    pub fn new(text: impl Into<String>, failed: bool) -> Self {
        Self {
            text: text.into(),
            kind: Kind::Text,
            failed,
        }
    }

    /// A successful run printing JSON.
    pub fn json(text: impl Into<String>) -> Self {
        Self {
            kind: Kind::Json,
            ..Self::ok(text)
        }
    }

    /// A successful run printing data another program reads (YAML, a script).
    pub fn data(text: impl Into<String>) -> Self {
        Self {
            kind: Kind::Data,
            ..Self::ok(text)
        }
    }

    /// The same outcome, of `kind`.
    pub fn of_kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }
}

/// `--output` of the commands that print text for people or one JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextOrJson {
    /// For people.
    #[default]
    Text,
    /// One JSON document (errors too).
    Json,
}

impl TextOrJson {
    /// Whether JSON was asked for.
    pub fn is_json(self) -> bool {
        self == TextOrJson::Json
    }
}

/// `--output` of `wo resolve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ResolveFormat {
    /// The values as YAML: what the chart receives.
    #[default]
    Yaml,
    /// `{"values": …, "provenance": …}` (errors too).
    Json,
    /// A table of key, value, level and file (as `--explain`).
    Text,
}

/// `--output` of `wo check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CheckFormat {
    /// One line per finding.
    #[default]
    Text,
    /// One JSON document (errors too).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// `--output` of `wo diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DiffFormat {
    /// Resource by resource.
    #[default]
    Text,
    /// One JSON document (errors too).
    Json,
    /// A markdown summary, as wo puts in change requests.
    Markdown,
}

/// `v` as pretty JSON with a final newline.
pub fn to_json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Error::unsupported(format!("writing JSON: {e}")))
}

/// The JSON document of an error: `{"ok": false, "error": {kind, message, context?,
/// diagnostics?, retryable, causes?}}`. Diagnostics carry file, keyPath, line, column,
/// message and hint.
pub fn error_json(e: &Error) -> serde_json::Value {
    let mut error = json!({
        "kind": e.kind(),
        "message": e.to_string(),
        "retryable": e.is_retryable(),
    });
    if let Some(c) = e.context().filter(|c| !c.is_empty()) {
        error["context"] = json!(c);
    }
    if e.is_invalid_input() {
        error["diagnostics"] = json!(e.diagnostics());
        error["message"] = json!(format!(
            "{} problem{} found; nothing was written",
            e.diagnostics().len(),
            if e.diagnostics().len() == 1 { "" } else { "s" }
        ));
    }
    let causes = causes(e);
    if !causes.is_empty() {
        error["causes"] = json!(causes);
    }
    json!({ "ok": false, "error": error })
}

/// The causes an error keeps that its message does not already say.
fn causes(e: &Error) -> Vec<String> {
    let shown = e.to_string();
    let mut out = Vec::new();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !shown.contains(&text) && !out.contains(&text) {
            out.push(text);
        }
        cause = c.source();
    }
    out
}

/// Reports an error and chooses the exit code: 2 for bad input (nothing was written), 1
/// otherwise. With `json`, the error is a JSON document on stdout (see [`error_json`]);
/// otherwise lines on stderr.
pub fn report(e: &Error, json: bool) -> ExitCode {
    let code = if e.is_invalid_input() {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    };
    if json {
        let doc = error_json(e);
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string());
        text.push('\n');
        console::out(&text, Kind::Json);
        return code;
    }
    match e {
        Error::Invalid(ds) => {
            for d in &ds.0 {
                errln!("error: {d}");
            }
            let n = ds.0.len();
            errln!(
                "{n} problem{} found; nothing was written",
                if n == 1 { "" } else { "s" }
            );
        }
        other => {
            errln!("error: {other}");
            for c in causes(other) {
                errln!("  caused by: {c}");
            }
        }
    }
    code
}

/// `n thing` or `n things`.
pub fn plural(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use wo_core::Location;

    use super::*;

    #[test]
    fn errors_as_json_keep_kind_context_diagnostics_and_causes() {
        let e = Error::invalid(Location::file("a.yaml").with_key("x").at(3, 1), "bad");
        let v = error_json(&e);
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["kind"], "invalid");
        assert_eq!(v["error"]["diagnostics"][0]["file"], "a.yaml");
        assert_eq!(v["error"]["diagnostics"][0]["line"], 3);
        let io = std::io::Error::other("connection reset");
        let e = Error::backend("github", "GET /repos/o/r failed")
            .retryable(true)
            .with_repository("o/r")
            .with_source(io);
        let v = error_json(&e);
        assert_eq!(v["error"]["kind"], "backend");
        assert_eq!(v["error"]["retryable"], true);
        assert_eq!(v["error"]["context"]["repository"], "o/r");
        assert_eq!(v["error"]["causes"][0], "connection reset");
    }
}
