//! Issue 11 (hardening), the classes wo-core owns: each test failed before its fix.
//!
//! Names, inputs that were skipped without a word, where errors point and what they show, and
//! how many of them are listed. Nulls and the size budgets of the engine have their own files
//! (`nulls.rs`, `budgets.rs`).

use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::format::values::ValueSet;
use wo_core::{Diagnostic, Error, MAX_DIAGNOSTICS};

const FLEET_HEAD: &str = "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\n";

fn diagnostics(r: wo_core::Result<impl std::fmt::Debug>) -> Vec<Diagnostic> {
    match r {
        Err(Error::Invalid(ds)) => ds.0,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn values(body: &str) -> String {
    format!("apiVersion: wo/v1\nkind: Values\nvalues:\n{body}")
}

fn tree(files: &[(&str, &str)]) -> FileTree {
    let mut t = FileTree::new();
    for (p, c) in files {
        t.insert(*p, *c).unwrap();
    }
    t
}

// ---------------------------------------------------------------------------------------------
// Class 3: names that differ only in case, names Windows reserves, trailing dots.

#[test]
fn target_names_that_differ_only_in_case_are_duplicates() {
    let text = format!("{FLEET_HEAD}targets:\n  - name: dev-eu-1\n  - name: DEV-EU-1\n");
    let ds = diagnostics(Fleet::parse(&text, "platform/fleet.yaml"));
    assert_eq!(ds.len(), 1, "{ds:?}");
    let d = &ds[0];
    assert_eq!(d.location.file, "platform/fleet.yaml");
    assert_eq!(d.location.key_path, "targets.1.name");
    assert_eq!(d.location.line, Some(6));
    assert!(d.message.contains("only in case"), "{}", d.message);
}

#[test]
fn names_windows_reserves_and_trailing_dots_are_refused_with_their_place() {
    let text = format!(
        "{FLEET_HEAD}hierarchy: [region]\ntargets:\n  - name: con\n    hierarchy: {{region: eu}}\n  - name: Nul.txt\n    hierarchy: {{region: eu}}\n  - name: edge.\n    hierarchy: {{region: LPT1}}\n"
    );
    let ds = diagnostics(Fleet::parse(&text, "fleet.yaml"));
    let found: Vec<(&str, Option<u32>)> = ds
        .iter()
        .map(|d| (d.location.key_path.as_str(), d.location.line))
        .collect();
    assert_eq!(
        found,
        [
            ("targets.0.name", Some(6)),
            ("targets.1.name", Some(8)),
            ("targets.2.name", Some(10)),
            ("targets.2.hierarchy.region", Some(11)),
        ],
        "{ds:#?}"
    );
    assert!(
        ds[0].message.contains("Windows reserves"),
        "{}",
        ds[0].message
    );
    assert!(ds[2].message.contains("ends with `.`"), "{}", ds[2].message);
}

#[test]
fn hierarchy_nodes_that_differ_only_in_case_are_refused() {
    let text = format!(
        "{FLEET_HEAD}hierarchy: [region]\ntargets:\n  - name: a\n    hierarchy: {{region: eu}}\n  - name: b\n    hierarchy: {{region: EU}}\n"
    );
    let ds = diagnostics(Fleet::parse(&text, "fleet.yaml"));
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0].location.key_path, "targets.1.hierarchy.region");
    assert!(ds[0].message.contains("only in case"), "{}", ds[0].message);
}

#[test]
fn orchestrator_ids_that_differ_only_in_case_are_one_target() {
    let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/targets/t";
    let text = format!(
        "{FLEET_HEAD}targets:\n  - name: a\n    orchestrator: {{id: {id}}}\n  - name: b\n    orchestrator: {{id: {}}}\n",
        id.to_uppercase()
    );
    let ds = diagnostics(Fleet::parse(&text, "fleet.yaml"));
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0].location.key_path, "targets.1.orchestrator.id");
}

#[test]
fn an_assignment_naming_the_solution_in_another_case_is_refused() {
    let text = format!(
        "{FLEET_HEAD}targets:\n  - name: a\nassignments:\n  - solution: Shop\n    selector: {{}}\n"
    );
    let fleet = Fleet::parse(&text, "fleet.yaml").unwrap();
    let ds = diagnostics(fleet.assigned_targets("shop", &[], "fleet.yaml"));
    assert!(ds[0].message.contains("only in case"), "{}", ds[0].message);
}

#[test]
fn value_files_for_one_level_that_differ_only_in_case_are_refused() {
    let t = tree(&[
        ("targets/berlin-1.yaml", &values("  Replicas: 2\n")),
        ("targets/Berlin-1.yaml", &values("  Replicas: 3\n")),
        ("levels/region/eu.yaml", &values("  Replicas: 2\n")),
        ("levels/Region/EU.yaml", &values("  Replicas: 3\n")),
    ]);
    let ds = diagnostics(ValueSet::load(&t, "config"));
    let files: Vec<&str> = ds.iter().map(|d| d.location.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "config/levels/region/eu.yaml",
            "config/targets/berlin-1.yaml"
        ],
        "{ds:#?}"
    );
    assert!(
        ds[0].message.contains("config/levels/Region/EU.yaml"),
        "{}",
        ds[0].message
    );
}

#[test]
fn environments_that_differ_only_in_case_are_one_environment() {
    let e = wo_core::pipeline::EnvironmentChain::new(["dev", "stage", "DEV"]).unwrap_err();
    assert!(e.to_string().contains("listed twice"), "{e}");
    let text = format!("{FLEET_HEAD}next: DEV\n");
    let ds = diagnostics(Fleet::parse(&text, "fleet.yaml"));
    assert_eq!(ds[0].location.key_path, "next");
}

// ---------------------------------------------------------------------------------------------
// Class 10: inputs skipped without a word.

#[test]
fn every_file_in_a_value_directory_is_read_or_refused() {
    let t = tree(&[
        ("values.yaml", &values("  Replicas: 2\n")),
        ("targets/berlin-1.YAML", &values("  Replicas: 3\n")),
        ("targets/london-1.yml", &values("  Replicas: 3\n")),
        ("targets/notes.md", "hello"),
        ("targets/.gitkeep", ""),
        ("Targets/paris-1.yaml", &values("  Replicas: 3\n")),
        ("levels/region/eu/x.yaml", &values("  Replicas: 3\n")),
        ("Values.yml", &values("  Replicas: 3\n")),
        (
            "README.md",
            "not a value file, outside the value directories",
        ),
        ("docs/x.yaml", "ignored"),
    ]);
    let ds = diagnostics(ValueSet::load(&t, "config"));
    let files: Vec<&str> = ds.iter().map(|d| d.location.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "config/Targets/paris-1.yaml",
            "config/Values.yml",
            "config/levels/region/eu/x.yaml",
            "config/targets/berlin-1.YAML",
            "config/targets/london-1.yml",
            "config/targets/notes.md",
        ],
        "{ds:#?}"
    );
    assert!(
        ds.iter().all(|d| d.message.contains("is not read by wo")),
        "{ds:#?}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_checkout_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("targets")).unwrap();
    let fifo = dir.path().join("targets/berlin-1.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    // Reading would block forever if the FIFO were opened: no writer ever comes.
    let e = FileTree::load_dir(dir.path()).unwrap_err();
    let d = &e.diagnostics()[0];
    assert_eq!(
        d.location.file,
        format!("{}/targets/berlin-1.yaml", dir.path().display())
    );
    assert!(d.message.contains("FIFO"), "{}", d.message);
}

#[cfg(unix)]
#[test]
fn a_socket_in_a_checkout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("values.yaml")).unwrap();
    let e = FileTree::load_dir(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains("a socket, not a regular file"),
        "{e}"
    );
}

#[test]
fn a_directory_named_like_a_value_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("targets/berlin-1.yaml")).unwrap();
    let e = FileTree::load_dir(dir.path()).unwrap_err();
    let d = &e.diagnostics()[0];
    assert!(d.location.file.ends_with("/targets/berlin-1.yaml"), "{d}");
    assert!(d.message.contains("directory"), "{d}");
}

// ---------------------------------------------------------------------------------------------
// Class 11: where errors point, what they show, how many are listed.

#[test]
fn a_file_that_is_not_utf8_is_named_with_its_directory_and_line() {
    let mut t = FileTree::new();
    t.insert(
        "values.yaml",
        b"apiVersion: wo/v1\nkind: Values\nvalues:\n  Image: \xff\n".to_vec(),
    )
    .unwrap();
    let ds = diagnostics(ValueSet::load(&t, "config"));
    assert_eq!(ds[0].location.file, "config/values.yaml");
    assert_eq!(ds[0].location.line, Some(4));
    assert!(ds[0].message.contains("not UTF-8"), "{}", ds[0].message);
}

#[test]
fn an_oversized_file_is_named_with_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b'#'; (wo_core::files::MAX_FILE_BYTES + 1) as usize];
    std::fs::create_dir(dir.path().join("targets")).unwrap();
    std::fs::write(dir.path().join("targets/x.yaml"), big).unwrap();
    let e = FileTree::load_dir(dir.path()).unwrap_err();
    assert_eq!(
        e.diagnostics()[0].location.file,
        format!("{}/targets/x.yaml", dir.path().display())
    );
    assert!(e.to_string().contains("limit"), "{e}");
}

#[test]
fn key_paths_of_values_keep_their_prefix() {
    let t = tree(&[("values.yaml", &values("  Image: x\n  Replicas: .nan\n"))]);
    let ds = diagnostics(ValueSet::load(&t, "config"));
    assert_eq!(ds[0].location.key_path, "values.Replicas", "{ds:?}");
    assert_eq!(ds[0].location.line, Some(5));
}

#[test]
fn a_nul_byte_in_a_quoted_scalar_is_named_with_its_position() {
    let e = wo_core::yaml::parse("a: 1\nb: \"x\0y\"\n", "config/values.yaml").unwrap_err();
    let d = &e.diagnostics()[0];
    assert_eq!((d.location.line, d.location.column), (Some(2), Some(6)));
    assert!(d.message.contains("NUL"), "{}", d.message);
    assert!(!d.message.contains("end of stream"), "{}", d.message);
    // Other characters YAML does not allow are named too (they are invisible by nature).
    for (text, code, column) in [
        ("a: x\u{7}y\n", "U+0007", 5),
        ("a: 'x\u{1b}[31my'\n", "U+001B", 6),
        ("a: \"\u{9b}\"\n", "U+009B", 5),
    ] {
        let e = wo_core::yaml::parse(text, "f.yaml").unwrap_err();
        let d = &e.diagnostics()[0];
        assert!(d.message.contains(code), "{text:?}: {e}");
        assert_eq!(
            (d.location.line, d.location.column),
            (Some(1), Some(column)),
            "{text:?}"
        );
    }
    // Tabs and line breaks are fine, and so is the escape of a control character.
    assert!(wo_core::yaml::parse("a: \"x\\u0007\ty\"\r\n", "f.yaml").is_ok());
}

#[test]
fn invisible_and_bidi_characters_are_escaped_in_messages() {
    let t = tree(&[(
        "targets/a.yaml",
        &values("  \"Ima\u{200b}ge\u{202e}\": x\n"),
    )]);
    let e = ValueSet::load(&t, "config").and_then(|v| {
        let fleet = Fleet::parse(&format!("{FLEET_HEAD}targets:\n  - name: a\n"), "fleet.yaml")?;
        let mut src = FileTree::new();
        src.insert(
            "wo/app.yaml",
            "apiVersion: wo/v1\nkind: Application\nname: app\nchart: chart\nschema: wo/schema.yaml\n",
        )?;
        src.insert("wo/schema.yaml", "rules:\n  configs:\n    Image: {type: string}\n")?;
        src.insert("chart/Chart.yaml", "name: app\n")?;
        let bundle = wo_core::engine::Bundle::load(&src, "")?;
        wo_core::engine::resolve(&bundle, &v, &fleet, "a").map(|_| ())
    });
    let text = e.unwrap_err().to_string();
    assert!(text.contains("Ima\\u{200b}ge\\u{202e}"), "{text}");
    assert!(
        !text.chars().any(|c| c == '\u{200b}' || c == '\u{202e}'),
        "{text:?}"
    );
}

#[test]
fn no_more_than_a_hundred_diagnostics_are_listed() {
    let body: String = (0..250).map(|i| format!("  Unknown{i:03}: 1\n")).collect();
    let t = tree(&[("values.yaml", &values(&body))]);
    let set = ValueSet::load(&t, "config").unwrap();
    let mut src = FileTree::new();
    src.insert(
        "wo/app.yaml",
        "apiVersion: wo/v1\nkind: Application\nname: app\nchart: chart\nschema: wo/schema.yaml\n",
    )
    .unwrap();
    src.insert(
        "wo/schema.yaml",
        "rules:\n  configs:\n    Image: {type: string}\n",
    )
    .unwrap();
    src.insert("chart/Chart.yaml", "name: app\n").unwrap();
    let bundle = wo_core::engine::Bundle::load(&src, "").unwrap();
    let e = wo_core::engine::check_values(&bundle, &set).unwrap_err();
    let Error::Invalid(ds) = &e else {
        panic!("{e}")
    };
    assert_eq!(ds.0.len(), MAX_DIAGNOSTICS + 1);
    assert_eq!(ds.total(), 250);
    assert_eq!(
        ds.0.last().map(|d| d.message.as_str()),
        Some("… and 150 more problems (not listed)")
    );
}
