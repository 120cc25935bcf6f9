//! Markdown reports that fit a size budget (a pull-request comment has a hard limit).

/// The most characters GitHub accepts in one issue or pull-request comment.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Room kept for the note naming omitted diff blocks once something must be left out.
const NOTE_RESERVE: usize = 400;

/// What a report shows, most important first: the table always (as far as it fits), then the
/// entries (cut with `… and N more`, to at most half the room left when blocks must be dropped
/// too), then the blocks (each whole or not at all).
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Counts; complete lines.
    pub table: String,
    /// One line each, without the newline.
    pub entries: Vec<String>,
    /// Collapsed diffs.
    pub blocks: Vec<Block>,
}

/// A collapsed diff and the name the omission note uses for it.
#[derive(Debug)]
pub(crate) struct Block {
    label: String,
    text: String,
}

impl Block {
    /// A `<details>` block holding a unified diff in a ```` ```diff ```` fence.
    pub fn diff(label: String, unified: &str) -> Block {
        // A fence longer than any backtick run inside, so content cannot close it.
        let longest = unified.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let newline = if unified.ends_with('\n') { "" } else { "\n" };
        let text = format!(
            "\n<details><summary>{}</summary>\n\n{fence}diff\n{unified}{newline}{fence}\n\n</details>\n",
            html_escape(&label)
        );
        Block { label, text }
    }
}

pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

/// Text that Markdown shows literally.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text that HTML shows literally.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The longest prefix of `text` made of complete lines and at most `budget` characters.
fn complete_lines(text: &str, budget: usize) -> &str {
    let mut end = 0;
    for (count, (i, c)) in text.char_indices().enumerate() {
        if count >= budget {
            break;
        }
        if c == '\n' {
            end = i + 1;
        }
    }
    &text[..end]
}

/// Output that never grows past its budget.
struct Out {
    text: String,
    used: usize,
    budget: usize,
}

impl Out {
    fn room(&self) -> usize {
        self.budget - self.used
    }

    /// Appends `s` if it fits; says whether it did.
    fn push(&mut self, s: &str) -> bool {
        let w = width(s);
        if w <= self.room() {
            self.text.push_str(s);
            self.used += w;
            true
        } else {
            false
        }
    }
}

fn more_line(n: usize) -> String {
    format!("- … and {n} more\n")
}

fn resources(n: usize) -> &'static str {
    if n == 1 {
        "resource"
    } else {
        "resources"
    }
}

/// The closing note naming omitted blocks, within `room` characters (empty if even the short
/// form does not fit).
fn note(omitted: &[&str], shown: usize, budget: usize, room: usize) -> String {
    let n = omitted.len();
    let more = if shown > 0 { " more" } else { "" };
    let head = format!(
        "\n**{n}{more} changed {} not shown** (the comment would exceed {budget} characters): ",
        resources(n)
    );
    let tail_reserve = width(&format!(" and {n} more.\n"));
    let mut text = head.clone();
    let mut listed = 0;
    if width(&head) + tail_reserve <= room {
        for label in omitted {
            let item = if listed == 0 {
                escape(label)
            } else {
                format!(", {}", escape(label))
            };
            if width(&text) + width(&item) + tail_reserve > room {
                break;
            }
            text.push_str(&item);
            listed += 1;
        }
        if listed < n {
            text.push_str(&format!(" and {} more.\n", n - listed));
        } else {
            text.push_str(".\n");
        }
        return text;
    }
    let short = format!("\n**{n}{more} changed {} not shown.**\n", resources(n));
    if width(&short) <= room {
        short
    } else {
        String::new()
    }
}

/// Renders a report within `budget` characters, ending with a complete line.
pub(crate) fn render(report: &Report, budget: usize) -> String {
    let mut out = Out {
        text: String::new(),
        used: 0,
        budget,
    };
    if !out.push(&report.table) {
        return complete_lines(&report.table, budget).to_owned();
    }
    let entries_width: usize = if report.entries.is_empty() {
        0
    } else {
        1 + report.entries.iter().map(|e| width(e) + 1).sum::<usize>()
    };
    let blocks_width: usize = report.blocks.iter().map(|b| width(&b.text)).sum();
    let everything_fits = entries_width + blocks_width <= out.room();
    let reserve = if everything_fits || report.blocks.is_empty() {
        0
    } else {
        NOTE_RESERVE
    };

    if !report.entries.is_empty() {
        // When diffs must be dropped anyway, the list gets at most half of what is left, so
        // that a huge change still shows some diffs.
        let blocks_share = if report.blocks.is_empty() || everything_fits {
            0
        } else {
            out.room() / 2
        };
        let kept = reserve.max(blocks_share);
        let all_entries = entries_width + kept <= out.room();
        let more_reserve = if all_entries {
            0
        } else {
            width(&more_line(report.entries.len()))
        };
        out.push("\n");
        let mut listed = 0;
        for entry in &report.entries {
            if width(entry) + 1 + more_reserve + kept > out.room() {
                break;
            }
            out.push(entry);
            out.push("\n");
            listed += 1;
        }
        if listed < report.entries.len() {
            out.push(&more_line(report.entries.len() - listed));
        }
    }

    let mut omitted = Vec::new();
    let mut shown = 0;
    for block in &report.blocks {
        if width(&block.text) + reserve <= out.room() {
            out.push(&block.text);
            shown += 1;
        } else {
            omitted.push(block.label.as_str());
        }
    }
    if !omitted.is_empty() {
        let note = note(&omitted, shown, budget, out.room());
        out.push(&note);
    }
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_lines_never_cuts_a_line() {
        assert_eq!(complete_lines("ab\ncd\n", 5), "ab\n");
        assert_eq!(complete_lines("ab\ncd\n", 6), "ab\ncd\n");
        assert_eq!(complete_lines("ab\ncd\n", 2), "");
    }

    #[test]
    fn fence_outgrows_backticks_in_the_diff() {
        let b = Block::diff("x".into(), "+ a: \"````\"\n");
        assert!(b.text.contains("\n`````diff\n"), "{}", b.text);
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(escape("a_b<c>|`"), "a\\_b&lt;c&gt;\\|\\`");
    }
}
