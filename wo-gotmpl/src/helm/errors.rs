//! Template errors reworded as Helm's engine rewords Go's (`cleanupParseError`,
//! `reformatExecErrorMsg`).

/// A parse error (`template: NAME:LINE: MESSAGE`) as Helm prints it:
/// `parse error at (NAME:LINE): MESSAGE`.
pub(crate) fn parse_error(filename: &str, err: &str) -> String {
    let tokens: Vec<&str> = err.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({filename}): {err}");
    }
    format!(
        "parse error at ({}): {}",
        tokens[1],
        tokens[tokens.len() - 1]
    )
}

const WARN_START: &str = "HELM_ERR_START";
const WARN_END: &str = "HELM_ERR_END";

/// An execution error (Go's text, and the texts of its `errors.Unwrap` chain) as Helm prints
/// it: `fail` and `required` messages as `execution error at (LOCATION): MESSAGE`, other
/// errors as a trace of template locations, or Go's text unchanged when a link of the chain
/// is not a template error (a function's own error).
pub(crate) fn exec_error(filename: &str, err: &str, chain: &[&str]) -> String {
    let tokens: Vec<&str> = err.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({filename}): {err}");
    }
    let location = tokens[1];
    if let Some(start) = tokens[2].find(WARN_START) {
        let after = &tokens[2][start + WARN_START.len()..];
        if let Some(end) = after.rfind(WARN_END) {
            return format!("execution error at ({location}): {}", &after[..end]);
        }
    }
    // `fail` and `required` without Helm's markers: the same message.
    for marker in [": error calling fail: ", ": error calling required: "] {
        if let Some(pos) = tokens[2].rfind(marker) {
            let msg = &tokens[2][pos + marker.len()..];
            return format!("execution error at ({location}): {msg}");
        }
    }
    let mut out = String::new();
    let mut last: Option<Trace> = None;
    for text in chain {
        let Some(trace) = parse_trace(text) else {
            return err.to_string();
        };
        if last.as_ref() != Some(&trace) {
            out.push_str(&trace.render());
            last = Some(trace);
        }
    }
    out.trim().to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Trace {
    location: String,
    message: String,
    executed: String,
}

impl Trace {
    fn render(&self) -> String {
        let mut s = String::new();
        if !self.location.is_empty() {
            s.push_str(&format!("{}\n  ", self.location));
        }
        if !self.executed.is_empty() {
            s.push_str(&format!("{}\n    ", self.executed));
        }
        if !self.message.is_empty() {
            s.push_str(&format!("{}\n", self.message));
        }
        s
    }
}

fn cut_chained(msg: &str) -> &str {
    match msg.find(" template:") {
        Some(cut) => &msg[..cut],
        None => msg,
    }
}

fn parse_trace(s: &str) -> Option<Trace> {
    let remainder = s.strip_prefix("template: ")?;
    if remainder.starts_with("no template ") {
        return Some(Trace {
            location: String::new(),
            message: s.to_string(),
            executed: String::new(),
        });
    }
    if let Some(idx) = remainder.find(": executing ") {
        let name = &remainder[..idx];
        let after = &remainder[idx + ": executing ".len()..];
        let quoted = after.strip_prefix('"')?;
        let end = quoted.find('"')?;
        let function = &quoted[..end];
        let after_at = quoted[end + 1..].strip_prefix(" at <")?;
        let end_loc = after_at.find(">: ")?;
        let loc = &after_at[..end_loc];
        let msg = cut_chained(&after_at[end_loc + 3..]);
        return Some(Trace {
            location: name.to_string(),
            message: msg.to_string(),
            executed: format!("executing \"{function}\" at <{loc}>:"),
        });
    }
    let sep = remainder.rfind(": ")?;
    Some(Trace {
        location: remainder[..sep].to_string(),
        message: cut_chained(&remainder[sep + 2..]).to_string(),
        executed: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_helm_prints_them() {
        assert_eq!(
            exec_error(
                "t/templates/x.yaml",
                "template: t/templates/x.yaml:1:3: executing \"t/templates/x.yaml\" at <fail \"boom\">: error calling fail: HELM_ERR_STARTboomHELM_ERR_END",
                &[]
            ),
            "execution error at (t/templates/x.yaml:1:3): boom"
        );
        assert_eq!(
            exec_error(
                "t/templates/x.yaml",
                "template: t/templates/x.yaml:1:13: executing \"t/templates/x.yaml\" at <.Values.x.y>: nil pointer evaluating interface {}.y",
                &["template: t/templates/x.yaml:1:13: executing \"t/templates/x.yaml\" at <.Values.x.y>: nil pointer evaluating interface {}.y"]
            ),
            "t/templates/x.yaml:1:13\n  executing \"t/templates/x.yaml\" at <.Values.x.y>:\n    nil pointer evaluating interface {}.y"
        );
        assert_eq!(
            parse_error(
                "t/templates/x.yaml",
                "template: t/templates/x.yaml:2: unclosed action started at t/templates/x.yaml:1"
            ),
            "parse error at (t/templates/x.yaml:2): unclosed action started at t/templates/x.yaml:1"
        );
    }
}
