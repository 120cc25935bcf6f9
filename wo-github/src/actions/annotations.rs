//! Workflow commands that annotate files: `::error file=…,line=…,col=…,title=…::message`.
//!
//! GitHub reads them from a step's standard output and shows them on the run and, for files of
//! the repository, on the pull request's diff.

use wo_core::error::{Diagnostic, Diagnostics};

/// One `::error` line (with its line break) per diagnostic, in the order given.
///
/// `file`, `line` and `col` come from the diagnostic's location (each left out when unknown),
/// `title` is `wo` and the key path; the message carries the hint in parentheses. Values are
/// escaped as GitHub's toolkit does ([`escape_data`], [`escape_property`]), so a message can
/// neither end its line nor start another command.
pub fn annotations(diagnostics: &Diagnostics) -> String {
    diagnostics.0.iter().map(annotation).collect()
}

fn annotation(d: &Diagnostic) -> String {
    let loc = &d.location;
    let mut props = Vec::new();
    if !loc.file.is_empty() {
        props.push(format!("file={}", escape_property(&loc.file)));
    }
    if let Some(line) = loc.line {
        props.push(format!("line={line}"));
        if let Some(col) = loc.column {
            props.push(format!("col={col}"));
        }
    }
    let title = if loc.key_path.is_empty() {
        "wo".to_owned()
    } else {
        format!("wo: {}", loc.key_path)
    };
    props.push(format!("title={}", escape_property(&title)));
    let message = match &d.hint {
        Some(hint) => format!("{} ({hint})", d.message),
        None => d.message.clone(),
    };
    let line = format!("::error {}::{}\n", props.join(","), escape_data(&message));
    // The line is one `::error` command already; a legacy `##[…]` inside its properties or
    // message is broken up too, so no reading of the line can find a second command in it.
    line.replace("##[", "#\\#[").replace("##vso[", "#\\#vso[")
}

/// Escapes a command's message: `%` → `%25`, carriage return → `%0D`, line feed → `%0A`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value: as [`escape_data`], and `:` → `%3A`, `,` → `%2C`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
