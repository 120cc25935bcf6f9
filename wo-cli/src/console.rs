//! Everything `wo` writes to its standard output and error goes through here, for two reasons:
//!
//! - **No workflow-command injection.** GitHub's runner reads a step's output streams line by
//!   line and runs `::command::` lines (after leading white space) and legacy `##[command]`
//!   anywhere in a line; Azure Pipelines runs `##vso[…]`. Text wo prints may quote untrusted
//!   input (configuration keys and values, event payloads, services' error messages), so every
//!   line is neutralised ([`neutralize`]): `##[` and `##vso[` become `#\#[` and `#\#vso[`, a line
//!   starting with `::` gets a `\` in front, a carriage return is shown as `\r`. JSON is kept
//!   byte-for-byte equal in meaning instead ([`json_safe`]: `[` after `##` written as `\u005b`).
//!   wo's own workflow commands (annotations) are the only lines written as they are
//!   ([`commands`]).
//! - **No panics on output.** A closed pipe (`wo … | head`) ends wo quietly with the status a
//!   process killed by SIGPIPE has (141); another write error (a full disk) is reported on
//!   standard error and ends wo with 1. Errors writing standard error are ignored: there is
//!   nowhere left to say them.

use std::borrow::Cow;
use std::io::Write;

/// The exit status of a process killed by SIGPIPE (128 + 13), as other Unix tools end when
/// their reader goes away.
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// How a piece of standard output is to be made safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Text for people (and markdown): neutralised line by line.
    #[default]
    Text,
    /// JSON (and SARIF): `##[` escaped inside strings, the meaning unchanged.
    Json,
    /// Data another program reads (YAML, a fleet file): neutralised only when running under a
    /// CI runner that reads workflow commands, where safety wins over the rare changed byte.
    Data,
}

/// Whether wo runs under a CI runner that reads workflow commands from its output.
pub fn under_runner() -> bool {
    let set = |v: &str| {
        std::env::var(v)
            .map(|x| x.eq_ignore_ascii_case("true"))
            .unwrap_or(false)
    };
    set("GITHUB_ACTIONS") || set("TF_BUILD")
}

/// `text` with nothing a runner could take for a workflow command.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    let risky = text.contains("##")
        || text.contains('\r')
        || text.lines().any(|l| l.trim_start().starts_with("::"));
    if !risky {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line
            .replace('\r', "\\r")
            .replace("##[", "#\\#[")
            .replace("##vso[", "#\\#vso[");
        let trimmed = line.trim_start();
        if trimmed.starts_with("::") {
            let indent = &line[..line.len() - trimmed.len()];
            out.push_str(indent);
            out.push('\\');
            out.push_str(trimmed);
        } else {
            out.push_str(&line);
        }
    }
    Cow::Owned(out)
}

/// JSON text with `[` after `##` written as the escape `\u005b`: the same JSON value, and no
/// legacy workflow command in any line (`##[` can only occur inside JSON strings, and a JSON
/// line never starts with `::`).
pub fn json_safe(json: &str) -> Cow<'_, str> {
    if json.contains("##") {
        Cow::Owned(
            json.replace("##[", "##\\u005b")
                .replace("##vso[", "##vso\\u005b"),
        )
    } else {
        Cow::Borrowed(json)
    }
}

fn safe(text: &str, kind: Kind) -> Cow<'_, str> {
    match kind {
        Kind::Text => neutralize(text),
        Kind::Json => json_safe(text),
        Kind::Data if under_runner() => neutralize(text),
        Kind::Data => Cow::Borrowed(text),
    }
}

/// Writes `text` of `kind` to standard output.
pub fn out(text: &str, kind: Kind) {
    write_out(safe(text, kind).as_bytes());
}

/// Writes a line of text to standard output (the demo's narration).
#[cfg_attr(not(feature = "demo"), allow(dead_code))]
pub fn out_line(text: &str) {
    let mut line = neutralize(text).into_owned();
    line.push('\n');
    write_out(line.as_bytes());
}

/// Writes wo's own workflow commands (already escaped as GitHub's toolkit does) to standard
/// output as they are.
pub fn commands(text: &str) {
    write_out(text.as_bytes());
}

/// Writes a line of text to standard error.
pub fn err_line(text: &str) {
    let mut line = neutralize(text).into_owned();
    line.push('\n');
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(line.as_bytes())
        .and_then(|()| stderr.flush());
}

fn write_out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        err_line(&format!("error: writing to standard output: {e}"));
        std::process::exit(1);
    }
}

/// `println!` through [`out_line`].
#[cfg_attr(not(feature = "demo"), allow(unused_macros))]
macro_rules! outln {
    () => { $crate::console::out_line("") };
    ($($arg:tt)*) => { $crate::console::out_line(&format!($($arg)*)) };
}

/// `eprintln!` through [`err_line`].
macro_rules! errln {
    ($($arg:tt)*) => { $crate::console::err_line(&format!($($arg)*)) };
}

pub(crate) use errln;
#[cfg(feature = "demo")]
pub(crate) use outln;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_lines_cannot_become_workflow_commands() {
        let hostile = "error: bad key\n::add-mask::secret\n  ::warning file=x::boom\nvalue ##[add-mask]x and ##vso[task.setvariable]y\rtail";
        let safe = neutralize(hostile);
        for line in safe.split(['\n', '\r']) {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            assert!(!line.contains("##["), "{line}");
            assert!(!line.contains("##vso["), "{line}");
        }
        assert!(safe.contains("\\::add-mask::secret"), "{safe}");
        assert!(!safe.contains('\r'), "{safe}");
        // Ordinary text is left alone.
        assert!(matches!(
            neutralize("ok: solution `shop`\n"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn json_stays_the_same_value() {
        let v = serde_json::json!({"message": "x ##[add-mask]y ##vso[z]"});
        let text = serde_json::to_string_pretty(&v).unwrap();
        let safe = json_safe(&text);
        assert!(!safe.contains("##["), "{safe}");
        assert!(!safe.contains("##vso["), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}
