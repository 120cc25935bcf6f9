//! The README's console examples, run: every `$ wo …` line of a ```console block is run from
//! the repository root and must print exactly the lines that follow it.

use std::path::Path;
use std::process::Command;

/// (command line, expected stdout) of every console block.
fn examples(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut current: Option<(String, String)> = None;
    for line in readme.lines() {
        if line.starts_with("```") {
            if let Some(c) = current.take() {
                out.push(c);
            }
            in_console = line == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            if let Some(c) = current.take() {
                out.push(c);
            }
            current = Some((cmd.to_string(), String::new()));
        } else if let Some((_, expected)) = current.as_mut() {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    out
}

#[test]
fn the_readme_console_examples_print_what_the_readme_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let examples = examples(&readme);
    assert!(
        examples.len() >= 2,
        "the README shows wo at work: {examples:?}"
    );
    for (cmd, expected) in examples {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(words[0], "wo", "a console example runs wo: {cmd}");
        let run = Command::new(env!("CARGO_BIN_EXE_wo"))
            .args(&words[1..])
            .current_dir(&root)
            .env("WO_HELM", wo_test_support::tool("helm"))
            .output()
            .expect("run wo");
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{cmd}: {}\n{stdout}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(stdout, expected, "{cmd}: the README shows other output");
    }
}
