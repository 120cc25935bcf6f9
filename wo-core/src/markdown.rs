//! Markdown for git hosts' pages (change request comments, job summaries): the escaping of
//! untrusted text placed in a table cell.

/// `text` as one Markdown table cell: the characters that would end the cell, start HTML or
/// an entity (`|`, `<`, `>`, `&`, `\`) are escaped and line breaks become `<br>`, so that no
/// value (a wave name, an orchestrator's message) breaks the table or injects HTML.
///
/// ```
/// assert_eq!(wo_core::markdown::cell("a|b<script>\nc"), "a\\|b&lt;script&gt;<br>c");
/// ```
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn nothing_breaks_out_of_a_cell() {
        assert_eq!(cell("a\\|b"), "a\\\\\\|b");
        assert_eq!(cell("x\r\ny\rz"), "x<br>y<br>z");
        assert_eq!(cell("&lt;"), "&amp;lt;");
        assert_eq!(cell("plain text"), "plain text");
    }
}
