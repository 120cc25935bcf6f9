//! Issue 11, class 4: memory bombs from a source repository. Values that double at each step
//! of a template, and `$include`s that multiply, stop at a budget with an error naming the
//! template file, key and line (docs/budgets.md lists every budget). Before the budgets, the
//! first test aborted the process allocating a terabyte.

use wo_core::engine::{self, Bundle, MAX_SPLICED_ENTRIES, MAX_TARGET_EVAL_BYTES};
use wo_core::expr::MAX_STRING_BYTES;
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::format::values::ValueSet;
use wo_core::{Diagnostic, Error};

const APP: &str = "apiVersion: wo/v1\nkind: Application\nname: app\nchart: chart\nschema: wo/schema.yaml\nconfigTemplate: wo/template.yaml\n";

fn source(template: &str, extra: &[(&str, String)], includes: &[&str]) -> FileTree {
    let mut src = FileTree::new();
    let mut app = APP.to_string();
    if !includes.is_empty() {
        app.push_str(&format!("includes: [{}]\n", includes.join(", ")));
    }
    src.insert("wo/app.yaml", app).unwrap();
    src.insert(
        "wo/schema.yaml",
        "rules:\n  configs:\n    Seed: {type: string, defaultValue: x}\n",
    )
    .unwrap();
    src.insert("wo/template.yaml", template).unwrap();
    src.insert("chart/Chart.yaml", "name: app\n").unwrap();
    for (path, text) in extra {
        src.insert(*path, text.clone()).unwrap();
    }
    src
}

fn resolve(bundle: &Bundle) -> wo_core::Result<engine::ResolvedConfig> {
    let fleet = Fleet::parse(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: t\n",
        "fleet.yaml",
    )?;
    engine::resolve(
        bundle,
        &ValueSet::load(&FileTree::new(), "config")?,
        &fleet,
        "t",
    )
}

fn only_problem(r: wo_core::Result<impl std::fmt::Debug>) -> Diagnostic {
    match r {
        Err(Error::Invalid(ds)) => {
            assert_eq!(ds.0.len(), 1, "{ds}");
            ds.0[0].clone()
        }
        other => panic!("expected one problem, got {other:?}"),
    }
}

#[test]
fn a_string_that_doubles_at_each_key_stops_at_the_string_budget() {
    // The bomb: 40 keys, each the one before twice; 2^40 bytes at the end.
    let mut t = String::from("configs:\n  p0: ${{ $val(Seed) }}\n");
    for n in 1..=40 {
        let p = n - 1;
        t.push_str(&format!(
            "  p{n}: ${{{{ $property(p{p}) + $property(p{p}) }}}}\n"
        ));
    }
    let bundle = Bundle::load(&source(&t, &[], &[]), "source").unwrap();
    let d = only_problem(resolve(&bundle));
    // 2^22 bytes is the budget; p23 would be twice that.
    const { assert!(MAX_STRING_BYTES == 1 << 22) };
    assert_eq!(d.location.file, "source/wo/template.yaml");
    assert_eq!(d.location.key_path, "configs.p23");
    assert_eq!(d.location.line, Some(25));
    assert!(d.message.contains("MAX_STRING_BYTES"), "{}", d.message);
    assert!(d.message.contains("target `t`"), "{}", d.message);
}

#[test]
fn text_mixed_with_expressions_is_bounded_too() {
    let mut t = String::from("configs:\n  p0: ${{ $val(Seed) }}\n");
    for n in 1..=40 {
        let p = n - 1;
        t.push_str(&format!(
            "  p{n}: \"${{{{$property(p{p})}}}}-${{{{$property(p{p})}}}}\"\n"
        ));
    }
    let bundle = Bundle::load(&source(&t, &[], &[]), "source").unwrap();
    let d = only_problem(resolve(&bundle));
    assert_eq!(d.location.key_path, "configs.p22");
    assert!(d.message.contains("MAX_STRING_BYTES"), "{}", d.message);
}

#[test]
fn maps_that_hold_two_copies_of_the_one_before_stop_at_the_target_budget() {
    let mut t = String::from("configs:\n  p0:\n    a: ${{ $val(Seed) }}\n");
    for n in 1..=40 {
        let p = n - 1;
        t.push_str(&format!(
            "  p{n}:\n    l: ${{{{ $property(p{p}) }}}}\n    r: ${{{{ $property(p{p}) }}}}\n"
        ));
    }
    let bundle = Bundle::load(&source(&t, &[], &[]), "source").unwrap();
    let d = only_problem(resolve(&bundle));
    assert_eq!(d.location.file, "source/wo/template.yaml");
    assert!(d.location.key_path.starts_with("configs.p"), "{d}");
    assert!(d.message.contains("MAX_TARGET_EVAL_BYTES"), "{}", d.message);
    assert!(
        d.message
            .contains(&format!("{} MiB", MAX_TARGET_EVAL_BYTES >> 20)),
        "{}",
        d.message
    );
}

/// Templates `inc0` … `incN`: each holds four maps splicing the next one.
fn fanning_templates(levels: usize, fan: usize) -> (Vec<(String, String)>, Vec<String>) {
    let mut files = Vec::new();
    let mut names = Vec::new();
    for i in 0..levels {
        let mut text = format!("metadata: {{name: inc{i}, version: 1.0.0}}\nconfigs:\n");
        if i + 1 == levels {
            text.push_str("  leaf: 1\n");
        } else {
            for j in 0..fan {
                text.push_str(&format!(
                    "  m{j}:\n    ${{{{$include(inc{}/1.0.0)}}}}:\n",
                    i + 1
                ));
            }
        }
        let path = format!("wo/inc{i}.yaml");
        names.push(path.clone());
        files.push((path, text));
    }
    (files, names)
}

#[test]
fn includes_that_multiply_stop_at_the_splice_budget() {
    // 4^15 copies of the leaf within the include depth of 16.
    let (files, names) = fanning_templates(16, 4);
    let template = "configs:\n  ${{$include(inc0/1.0.0)}}:\n";
    let extra: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    let includes: Vec<&str> = names.iter().map(String::as_str).collect();
    let e = Bundle::load(&source(template, &extra, &includes), "source").unwrap_err();
    let d = only_problem(Err::<(), _>(e));
    assert!(d.message.contains("MAX_SPLICED_ENTRIES"), "{}", d.message);
    assert!(
        d.message.contains(&MAX_SPLICED_ENTRIES.to_string()),
        "{}",
        d.message
    );
    assert!(d.location.file.starts_with("source/wo/inc"), "{d}");
    assert!(d.location.line.is_some(), "{d}");
}

#[test]
fn schema_includes_that_multiply_stop_at_the_splice_budget() {
    // Each schema includes the next twice (two subtrees); every visit walks its rules.
    let levels = 16;
    let mut extra = Vec::new();
    let mut includes = Vec::new();
    for i in 0..levels {
        let mut text = format!("metadata: {{name: s{i}, version: 1.0.0}}\nrules:\n  configs:\n");
        for k in 0..200 {
            text.push_str(&format!("    a.k{i}x{k}: {{type: int}}\n"));
        }
        if i + 1 < levels {
            text.push_str(&format!(
                "    ${{{{$include(s{}/1.0.0, a)}}}}:\n    ${{{{$include(s{}/1.0.0, b)}}}}:\n",
                i + 1,
                i + 1
            ));
        }
        includes.push(format!("wo/s{i}.yaml"));
        extra.push((format!("wo/s{i}.yaml"), text));
    }
    let mut src = source("configs: {}\n", &[], &[]);
    src.insert(
        "wo/schema.yaml",
        "rules:\n  configs:\n    ${{$include(s0/1.0.0)}}:\n",
    )
    .unwrap();
    let mut app = APP.to_string();
    app.push_str(&format!("includes: [{}]\n", includes.join(", ")));
    src.insert("wo/app.yaml", app).unwrap();
    for (p, t) in &extra {
        src.insert(p.as_str(), t.clone()).unwrap();
    }
    let d = only_problem(Err::<(), _>(Bundle::load(&src, "source").unwrap_err()));
    assert!(d.message.contains("MAX_SPLICED_ENTRIES"), "{d}");
    assert!(d.location.file.starts_with("source/wo/s"), "{d}");
}
