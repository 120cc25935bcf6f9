//! Differential tests against the real `helm` (v4.1.4): values read by Helm and printed with
//! `toYaml`, `toJson` and `%v` must match what `yaml::decode` + `yaml::encode` give.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{json, yaml};
use crate::value::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wo-enc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("templates")).expect("scratch dir");
    dir
}

/// Renders each of `templates` (expressions giving a string) in a chart whose values.yaml is
/// `values`. The results travel base64-encoded, so that helm's own parse of the rendered
/// manifest never sees them.
fn render(
    helm: &Path,
    name: &str,
    values: &str,
    templates: &[&str],
) -> Result<Vec<String>, String> {
    let template: String = templates
        .iter()
        .enumerate()
        .map(|(i, t)| format!("r{i}: {{{{ {t} | b64enc }}}}\n"))
        .collect();
    let dir = scratch(name);
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), values).unwrap();
    std::fs::write(dir.join("templates/t.yaml"), template).unwrap();
    let out = Command::new(helm)
        .args(["template", "x"])
        .arg(&dir)
        .output()
        .expect("helm runs");
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8(out.stdout).expect("utf-8");
    Ok(text
        .lines()
        .filter_map(|line| line.split_once(":"))
        .filter(|(k, _)| k.starts_with('r'))
        .map(|(_, b64)| {
            let bytes = super::yaml::decode::decode_base64(b64.trim()).expect("base64");
            String::from_utf8(bytes).expect("utf-8")
        })
        .collect())
}

fn trim(s: String) -> String {
    s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
}

/// Compares line by line, reporting the first difference.
fn assert_same(what: &str, ours: &str, helm: &str) {
    if ours == helm {
        return;
    }
    let (a, b): (Vec<_>, Vec<_>) = (ours.lines().collect(), helm.lines().collect());
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    panic!(
        "{what}: differs at line {}\n ours: {:?}\n helm: {:?}",
        at + 1,
        a.get(at),
        b.get(at)
    );
}

/// Compares helm's `toYaml` and `toJson` of `values` with ours; whether `toYaml` gave text.
fn check_values(helm: &Path, name: &str, values: &str) -> bool {
    let rendered = render(
        helm,
        name,
        values,
        &[
            "toYaml .Values",
            "toJson .Values",
            "toYamlPretty .Values",
            "toToml .Values",
            "toPrettyJson .Values",
            "toRawJson .Values",
            "toJson .Values | fromJson | toYaml",
        ],
    );
    let ours = yaml::decode_map(values);
    match (rendered, ours) {
        (Ok(rendered), Ok(decoded)) => {
            let (helm_yaml, helm_json) = (&rendered[0], &rendered[1]);
            // toYaml gives "" when yaml.Marshal fails.
            let ours_yaml = yaml::encode(&decoded)
                .map(trim)
                .inspect_err(|e| eprintln!("{name}: our yaml.Marshal fails: {e}"))
                .unwrap_or_default();
            assert_same(&format!("{name}: toYaml"), &ours_yaml, helm_yaml);
            let ours_json = json::encode(&decoded).expect("encodes");
            assert_same(&format!("{name}: toJson"), &ours_json, helm_json);
            let ours_pretty = trim(yaml::encode_pretty(&decoded).expect("encodes"));
            assert_same(&format!("{name}: toYamlPretty"), &ours_pretty, &rendered[2]);
            // toToml gives the error text in place of the document.
            let ours_toml = super::toml::encode(&decoded).unwrap_or_else(|e| e);
            assert_same(&format!("{name}: toToml"), &ours_toml, &rendered[3]);
            let ours_pretty_json = json::encode_pretty(&decoded).expect("encodes");
            assert_same(
                &format!("{name}: toPrettyJson"),
                &ours_pretty_json,
                &rendered[4],
            );
            let ours_raw = json::encode_raw(&decoded).expect("encodes");
            assert_same(&format!("{name}: toRawJson"), &ours_raw, &rendered[5]);
            let reread = json::decode(&ours_json).expect("reads back");
            let ours_reread = yaml::encode(&reread).map(trim).unwrap_or_default();
            assert_same(&format!("{name}: fromJson"), &ours_reread, &rendered[6]);
            !helm_yaml.is_empty()
        }
        (Err(helm_err), Ok(_)) => panic!("{name}: helm failed but we decoded: {helm_err}"),
        (Ok(_), Err(ours)) => panic!("{name}: helm read it but we failed: {ours}"),
        (Err(helm_err), Err(ours)) => {
            let helm_err = helm_err
                .strip_prefix("Error: cannot load values.yaml: cannot unmarshal yaml document: ")
                .unwrap_or(&helm_err);
            assert_eq!(ours, helm_err, "{name}: both fail, with different messages");
            false
        }
    }
}

#[test]
fn tricky_values_read_and_print_as_helm_does() {
    let Some(helm) = crate::test_helm::helm() else {
        return;
    };
    let values = include_str!("testdata/tricky.yaml");
    assert!(check_values(&helm, "tricky", values));
    // `%v` of each top-level value.
    let decoded = yaml::decode_map(values).unwrap();
    let Value::Map(map) = &decoded else {
        panic!("a map")
    };
    let keys: Vec<String> = map.borrow().keys().cloned().collect();
    let templates: Vec<String> = keys
        .iter()
        .map(|k| format!("index .Values {k:?} | toString"))
        .collect();
    let templates: Vec<&str> = templates.iter().map(String::as_str).collect();
    let rendered = render(&helm, "tricky-v", values, &templates).expect("renders");
    for (k, helm_text) in keys.iter().zip(&rendered) {
        assert_same(
            &format!("%v of {k}"),
            &map.borrow()[k].to_string(),
            helm_text,
        );
    }
}

#[test]
fn chart_values_files_read_and_print_as_helm_does() {
    let Some(helm) = crate::test_helm::helm() else {
        return;
    };
    let charts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts");
    let charts = if charts.exists() {
        charts
    } else {
        PathBuf::from("/work/shared/charts")
    };
    if !charts.exists() {
        eprintln!(
            "note: {} absent; chart values test skipped",
            charts.display()
        );
        return;
    }
    let mut files = Vec::new();
    collect_values(&charts, &mut files);
    files.sort();
    assert!(files.len() >= 11, "found {} values files", files.len());
    for file in &files {
        let values = std::fs::read_to_string(file).unwrap();
        let name = file
            .strip_prefix(&charts)
            .unwrap()
            .to_string_lossy()
            .replace('/', "_");
        assert!(
            check_values(&helm, &name, &values),
            "{name}: toYaml gave nothing"
        );
    }
    eprintln!("{} values files compared with helm", files.len());
}

fn collect_values(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_values(&path, out);
        } else if path.file_name().is_some_and(|n| n == "values.yaml")
            || path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|d| d == "values")
        {
            out.push(path);
        }
    }
}

/// A small deterministic generator (the test must not depend on a random seed).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn random_text(rng: &mut Lcg) -> String {
    const PIECES: &[&str] = &[
        "a",
        "b",
        "word",
        "longerword",
        " ",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        ":",
        ": ",
        "#",
        " #",
        "-",
        "- ",
        "'",
        "\"",
        "é",
        "✓",
        "😀",
        "\u{2028}",
        "1",
        "0",
        ".",
        "{",
        "[",
        "]",
        "\\",
        "\r",
        "\u{85}",
        "\u{a0}",
        "on",
        "true",
        "~",
        "null",
        "?",
        ",",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "http://x/y",
        "1e3",
        "0x1F",
        "---",
        "...",
    ];
    let len = match rng.below(4) {
        0 => rng.below(3),
        1 => rng.below(8),
        2 => rng.below(40),
        _ => rng.below(120),
    };
    (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

/// A map key: any text but U+0085, which makes go-yaml fail the whole document.
fn random_key(rng: &mut Lcg) -> String {
    random_text(rng).replace('\u{85}', "")
}

fn random_value(rng: &mut Lcg, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    match rng.below(if depth > 3 { 3 } else { 6 }) {
        0 | 1 => J::String(random_text(rng)),
        2 => match rng.below(4) {
            0 => J::from(rng.below(100_000) as f64 * 1.5),
            1 => J::Bool(rng.below(2) == 1),
            2 => J::Null,
            _ => J::String("x".repeat(rng.below(100)) + " " + &"y".repeat(rng.below(100))),
        },
        3 | 4 => J::Object(
            (0..rng.below(5))
                .map(|_| (random_key(rng), random_value(rng, depth + 1)))
                .collect(),
        ),
        _ => J::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
    }
}

#[test]
fn random_strings_and_nesting_print_as_helm_does() {
    let Some(helm) = crate::test_helm::helm() else {
        return;
    };
    let mut rng = Lcg(7);
    let mut printed = 0;
    let mut reread = 0;
    for round in 0..30 {
        let top: serde_json::Map<String, serde_json::Value> = (0..60)
            .map(|i| (format!("k{i}"), random_value(&mut rng, 0)))
            .collect();
        // JSON text is YAML: the values file carries every non-ASCII character escaped as YAML's
        // `\\U` (raw U+2028 or U+0085 would be line breaks to go-yaml).
        let mut values = String::new();
        for c in serde_json::Value::Object(top).to_string().chars() {
            if c.is_ascii() {
                values.push(c);
            } else {
                values.push_str(&format!("\\U{:08x}", c as u32));
            }
        }
        if std::env::var_os("WO_DUMP").is_some() {
            std::fs::write(format!("/tmp/enc/random{round}.yaml"), &values).unwrap();
        }
        if check_values(&helm, &format!("random{round}"), &values) {
            printed += 1;
            // Our toYaml text (block style, literal blocks, quoting) read back by both,
            // without U+2028/U+2029: raw, they are line breaks to libyaml only (a known
            // difference).
            let without_ls = values.replace("\\U00002028", "").replace("\\U00002029", "");
            let decoded = yaml::decode_map(&without_ls).unwrap();
            let text = yaml::encode(&decoded).unwrap();
            let pretty = yaml::encode_pretty(&decoded).unwrap();
            for (kind, text) in [("yaml", text), ("pretty", pretty)] {
                if text.contains(['\u{2028}', '\u{2029}']) {
                    continue;
                }
                if std::env::var_os("WO_DUMP").is_some() {
                    std::fs::write(format!("/tmp/enc/random{round}-{kind}.yaml"), &text).unwrap();
                }
                check_values(&helm, &format!("random{round}-{kind}"), &text);
                reread += 1;
            }
        }
    }
    eprintln!(
        "{printed} of 30 random documents printed by toYaml (the others fail in both), \
         {reread} toYaml texts read back"
    );
    assert!(printed >= 10, "only {printed} random documents printed");
}

/// Renders `fromYaml` of each document in `testdata/docs` (as a chart file) with `toJson`,
/// and compares with our `fromYaml`: the data read, or the error text Helm puts under `Error`.
#[test]
fn yaml_documents_read_as_helm_reads_them() {
    let Some(helm) = crate::test_helm::helm() else {
        return;
    };
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/encoding/testdata/docs");
    let mut names: Vec<_> = std::fs::read_dir(&docs)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let dir = scratch("docs");
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    let mut template = String::new();
    for (i, name) in names.iter().enumerate() {
        std::fs::copy(docs.join(name), dir.join(name)).unwrap();
        template.push_str(&format!(
            "r{i}: {{{{ .Files.Get {name:?} | fromYaml | toJson | b64enc }}}}\n"
        ));
    }
    std::fs::write(dir.join("templates/t.yaml"), template).unwrap();
    let out = Command::new(&helm)
        .args(["template", "x"])
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rendered: Vec<String> = text
        .lines()
        .filter_map(|line| line.split_once(":"))
        .filter(|(k, _)| k.starts_with('r'))
        .map(|(_, b64)| {
            String::from_utf8(super::yaml::decode::decode_base64(b64.trim()).unwrap()).unwrap()
        })
        .collect();
    assert_eq!(rendered.len(), names.len());
    let mut differences = Vec::new();
    for (name, helm_json) in names.iter().zip(&rendered) {
        let doc = std::fs::read_to_string(docs.join(name)).unwrap();
        let mut ctx = crate::func::Ctx::default();
        let from_yaml = super::funcs().get("fromYaml").unwrap().f;
        let ours = json::encode(&from_yaml(&mut ctx, &[Value::from(doc)]).unwrap()).unwrap();
        if &ours != helm_json {
            differences.push(format!("{name}\n  ours: {ours}\n  helm: {helm_json}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} documents differ:\n{}",
        differences.len(),
        names.len(),
        differences.join("\n")
    );
}

/// `fromJson` and `fromJsonArray` of each document in `testdata/json`, printed with `toJson`.
#[test]
fn json_documents_read_as_helm_reads_them() {
    let Some(helm) = crate::test_helm::helm() else {
        return;
    };
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/encoding/testdata/json");
    let mut names: Vec<_> = std::fs::read_dir(&docs)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let dir = scratch("json");
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    let mut template = String::new();
    for (i, name) in names.iter().enumerate() {
        std::fs::copy(docs.join(name), dir.join(name)).unwrap();
        template.push_str(&format!(
            "r{i}a: {{{{ .Files.Get {name:?} | fromJson | toJson | b64enc }}}}\n\
             r{i}b: {{{{ .Files.Get {name:?} | fromJsonArray | toJson | b64enc }}}}\n"
        ));
    }
    std::fs::write(dir.join("templates/t.yaml"), template).unwrap();
    let out = Command::new(&helm)
        .args(["template", "x"])
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rendered: Vec<String> = text
        .lines()
        .filter_map(|line| line.split_once(":"))
        .filter(|(k, _)| k.starts_with('r'))
        .map(|(_, b64)| {
            String::from_utf8(super::yaml::decode::decode_base64(b64.trim()).unwrap()).unwrap()
        })
        .collect();
    assert_eq!(rendered.len(), 2 * names.len());
    let funcs = super::funcs();
    let mut differences = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let doc = Value::from(std::fs::read_to_string(docs.join(name)).unwrap());
        for (j, func) in ["fromJson", "fromJsonArray"].iter().enumerate() {
            let f = funcs.get(func).unwrap().f;
            let result = f(&mut crate::func::Ctx::default(), std::slice::from_ref(&doc)).unwrap();
            let ours = json::encode(&result).unwrap();
            if ours != rendered[2 * i + j] {
                differences.push(format!(
                    "{name} {func}\n  ours: {ours}\n  helm: {}",
                    rendered[2 * i + j]
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Values a template makes (not read from YAML), through every encoding function: Go `int`s,
/// `int64`s, `[]string`, top-level scalars and strings.
#[test]
fn template_values_encode_as_helm_encodes_them() {
    let Some(helm) = crate::test_helm::helm() else {
        return;
    };
    let cases: Vec<(&str, Value)> = vec![
        (r#""a\n\n""#, Value::str("a\n\n")),
        (r#""a\n""#, Value::str("a\n")),
        (r#""\n""#, Value::str("\n")),
        (r#""  lead\nx""#, Value::str("  lead\nx")),
        (r#""x""#, Value::str("x")),
        (r#""""#, Value::str("")),
        ("3", Value::Int(3)),
        ("(int64 5)", Value::Int64(5)),
        ("(float64 2.5)", Value::Float(2.5)),
        ("(float64 1000000)", Value::Float(1e6)),
        ("true", Value::Bool(true)),
        ("(list)", Value::list(vec![])),
        ("(dict)", Value::empty_map()),
        (
            r#"(list 1 "a" (list) (dict "k" (list "x")))"#,
            Value::list(vec![
                Value::Int(1),
                Value::str("a"),
                Value::list(vec![]),
                Value::map(
                    [("k".to_string(), Value::list(vec![Value::str("x")]))]
                        .into_iter()
                        .collect(),
                ),
            ]),
        ),
        (
            r#"(splitList "," "a,on,3")"#,
            Value::StrList(std::rc::Rc::new(vec!["a".into(), "on".into(), "3".into()])),
        ),
        (
            r#"(dict "b" (int64 1) "a" (dict "z" nil))"#,
            Value::map(
                [
                    ("b".to_string(), Value::Int64(1)),
                    (
                        "a".to_string(),
                        Value::map([("z".to_string(), Value::Nil)].into_iter().collect()),
                    ),
                ]
                .into_iter()
                .collect(),
            ),
        ),
    ];
    let functions = [
        "toYaml",
        "toYamlPretty",
        "toJson",
        "toPrettyJson",
        "toRawJson",
        "toToml",
    ];
    let mut templates = Vec::new();
    for (expr, _) in &cases {
        for f in functions {
            templates.push(format!("{f} {expr}"));
        }
    }
    let templates: Vec<&str> = templates.iter().map(String::as_str).collect();
    let rendered = render(&helm, "template-values", "", &templates).expect("renders");
    let table = super::funcs();
    let mut n = 0;
    for (expr, value) in &cases {
        for f in functions {
            let body = table.get(f).unwrap().f;
            let ours = body(
                &mut crate::func::Ctx::default(),
                std::slice::from_ref(value),
            )
            .unwrap()
            .to_string();
            assert_same(&format!("{f} {expr}"), &ours, &rendered[n]);
            n += 1;
        }
    }
}
