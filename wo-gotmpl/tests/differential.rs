//! Differential test: random small templates and values, rendered by the real `helm template`
//! and by wo-gotmpl, must agree byte for byte.
//!
//! Each run generates one chart holding `WO_DIFF_CASES` cases (default 400) from the seed
//! `WO_DIFF_SEED` (default: a fixed one, so CI is reproducible; set it to explore). A case is
//! a `define` whose body mixes text, actions with trim markers, `if`/`else if`/`range`/`with`,
//! variables and typed expressions over ~60 Sprig and Helm functions and tricky values (`"on"`,
//! unquoted `on`, `0777`, `1e3`, 12345678901, unicode, empty lists and maps). The chart prints
//! every case base64-encoded in a ConfigMap, so the whole stream is compared byte for byte and
//! a difference is reported per case with its template text and both outputs.
//!
//! Cases helm itself refuses (an expression the generator got wrong: say `index` out of range)
//! are dropped one by one, naming them, and must stay under 5 %: the generator builds
//! well-typed expressions, so dropping is the exception.
//!
//! ```text
//! WO_DIFF_SEED=7 WO_DIFF_CASES=2000 cargo test -p woac-gotmpl --test differential -- --nocapture
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use wo_gotmpl::helm::{Chart, PreparedChart, RenderOptions};
use wo_gotmpl::Value;

/// A reproducible random source (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The chart's values: every kind of scalar YAML 1.1 and Helm's float64 numbers make tricky.
const VALUES: &str = r#"s1: hello world
s2: "on"
s3: "0777"
s4: ""
s5: "Grüße, 世界 ☃"
s6: "a:b #c"
s7: "  padded  "
s8: "line1\nline2\n"
s9: "{{ not a template }}"
s10: "1e3"
i1: 3
i2: 1000000
i3: 12345678901
i4: -7
i5: 0
f1: 2.5
f2: 1e3
f3: 0.000001
b1: true
b2: false
u1: on
u2: yes
o1: 0777
n1: null
n2: ~
l1: [a, b, c]
l2: [1, 2.5, "x", true, null]
l3: []
l4: [b, a, b, c]
m1: {a: 1, b: "two", c: [x, y], d: {e: f}}
m2: {}
m3: {z: 26, "y y": "why", x: null}
nested: {x: {w: {z: deep}}}
m4: {y: 1, n: 2, on: 3, off: 4, "yes": 5}
"#;

const STR_KEYS: &[&str] = &[
    ".Values.s1",
    ".Values.s2",
    ".Values.s3",
    ".Values.s4",
    ".Values.s5",
    ".Values.s6",
    ".Values.s7",
    ".Values.s8",
    ".Values.s9",
    ".Values.s10",
    ".Values.nested.x.w.z",
    ".Release.Name",
    ".Release.Namespace",
    ".Chart.Name",
    ".Chart.Version",
];
const NUM_KEYS: &[&str] = &[
    ".Values.i1",
    ".Values.i2",
    ".Values.i3",
    ".Values.i4",
    ".Values.i5",
    ".Values.f1",
    ".Values.f2",
    ".Values.f3",
];
const ANY_KEYS: &[&str] = &[
    ".Values.b1",
    ".Values.b2",
    ".Values.u1",
    ".Values.u2",
    ".Values.o1",
    ".Values.n1",
    ".Values.n2",
    ".Values.missing",
    ".Values.m1.c",
    ".Values.m3.x",
    ".Release.IsInstall",
    ".Release.Revision",
];
const LIST_KEYS: &[&str] = &[".Values.l1", ".Values.l2", ".Values.l3", ".Values.l4"];
const MAP_KEYS: &[&str] = &[
    ".Values.m1",
    ".Values.m2",
    ".Values.m3",
    ".Values.nested",
    ".Values.m1.d",
    ".Values.m4",
];
const STR_LITS: &[&str] = &[
    r#""lit""#,
    r#""""#,
    r#""a\tb""#,
    r#""quote\"d""#,
    r#""%d %s""#,
    r#""x,y,z""#,
    r#""on""#,
    r#""🙂 ok""#,
    "`raw\\n`",
    r#""  sp  ""#,
];
const TEXTS: &[&str] = &["x", " ", "\n", "a-b", "  ", "\n  ", "k: ", "é"];

struct Gen {
    rng: Rng,
}

impl Gen {
    fn str_expr(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(30) {
            return if self.rng.chance(60) {
                self.rng.pick(STR_KEYS).into()
            } else {
                self.rng.pick(STR_LITS).into()
            };
        }
        let d = depth - 1;
        match self.rng.below(34) {
            0 => format!("(upper {})", self.str_expr(d)),
            1 => format!("(lower {})", self.str_expr(d)),
            2 => format!("(title {})", self.str_expr(d)),
            3 => format!("(trim {})", self.str_expr(d)),
            4 => format!("(trimSuffix \"d\" {})", self.str_expr(d)),
            5 => format!("(quote {})", self.any_expr(d)),
            6 => format!("(squote {})", self.any_expr(d)),
            7 => format!("(toString {})", self.any_expr(d)),
            8 => format!("(toYaml {})", self.any_expr(d)),
            9 => format!("(toJson {})", self.any_expr(d)),
            10 => {
                let verbs = [
                    "%v", "%s", "%d", "%q", "%5.2f", "%x", "%T", "%-6v|", "%+v", "%06d",
                ];
                let n = 1 + self.rng.below(3);
                let fmt: Vec<&str> = (0..n).map(|_| verbs[self.rng.below(verbs.len())]).collect();
                let args: Vec<String> = (0..n).map(|_| self.any_expr(d)).collect();
                format!("(printf \"{}\" {})", fmt.join(" "), args.join(" "))
            }
            11 => format!("(print {} {})", self.any_expr(d), self.any_expr(d)),
            12 => format!("(repeat 2 {})", self.str_expr(d)),
            // ASCII only: Go cuts strings by bytes, and a cut through a multi-byte character
            // keeps half a character, which a Rust `str` cannot hold (wo-gotmpl writes U+FFFD;
            // see the crate's documented differences).
            13 => format!(
                "(trunc {} {})",
                self.rng.below(12) as i64 - 3,
                self.rng
                    .pick(&[".Values.s1", ".Values.s6", ".Values.s7", r#""a\tb""#])
            ),
            14 => format!("(replace \"o\" \"0\" {})", self.str_expr(d)),
            15 => format!("(nindent 2 {})", self.str_expr(d)),
            16 => format!("(indent 4 {})", self.str_expr(d)),
            17 => format!("(default \"dflt\" {})", self.str_expr(d)),
            18 => format!("(join \",\" {})", self.list_expr(d)),
            19 => format!("(cat {} {})", self.any_expr(d), self.any_expr(d)),
            20 => format!("(b64enc {})", self.str_expr(d)),
            21 => format!("(sha256sum {})", self.str_expr(d)),
            22 => format!("(kindOf {})", self.any_expr(d)),
            23 => format!("(typeOf {})", self.any_expr(d)),
            24 => format!(
                "(ternary {} {} {})",
                self.str_expr(d),
                self.str_expr(d),
                self.bool_expr(d)
            ),
            25 => format!("(include \"helper\" {})", self.any_expr(d)),
            26 => format!("(snakecase {})", self.str_expr(d)),
            27 => format!("(trimPrefix \"h\" {})", self.str_expr(d)),
            28 => format!("(toString {})", self.num_expr(d)),
            29 => format!("({} | quote)", self.any_expr(d)),
            30 => format!("({} | toYaml | nindent 2)", self.map_expr(d)),
            31 => format!("(regexReplaceAll \"[aeiou]\" {} \"_\")", self.str_expr(d)),
            32 => format!("(b64dec (b64enc {}))", self.str_expr(d)),
            _ => "(tpl \"{{ .Values.s1 }}/{{ .Release.Name }}\" $)".to_string(),
        }
    }

    fn num_expr(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(35) {
            return if self.rng.chance(60) {
                self.rng.pick(NUM_KEYS).into()
            } else {
                self.rng
                    .pick(&["0", "1", "7", "-3", "42", "2.5", "1e3", "0x1F"])
                    .into()
            };
        }
        let d = depth - 1;
        match self.rng.below(14) {
            0 => format!("(add {} {})", self.num_expr(d), self.num_expr(d)),
            1 => format!("(sub {} {})", self.num_expr(d), self.num_expr(d)),
            2 => format!("(mul {} {})", self.num_expr(d), self.num_expr(d)),
            3 => format!("(len {})", self.list_expr(d)),
            4 => format!("(len {})", self.str_expr(d)),
            5 => format!("(int {})", self.num_expr(d)),
            6 => format!("(int64 {})", self.num_expr(d)),
            7 => format!("(float64 {})", self.num_expr(d)),
            8 => format!("(add1 {})", self.num_expr(d)),
            9 => format!("(max {} {})", self.num_expr(d), self.num_expr(d)),
            10 => format!("(min {} {})", self.num_expr(d), self.num_expr(d)),
            11 => format!("(div {} 2)", self.num_expr(d)),
            12 => format!("(mod {} 3)", self.num_expr(d)),
            _ => format!("(floor {})", self.num_expr(d)),
        }
    }

    fn bool_expr(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(25) {
            return self
                .rng
                .pick(&["true", "false", ".Values.b1", ".Values.b2", ".Values.u1"])
                .into();
        }
        let d = depth - 1;
        match self.rng.below(13) {
            0 => format!(
                "(eq (toString {}) (toString {}))",
                self.any_expr(d),
                self.any_expr(d)
            ),
            1 => format!("(ne (int {}) (int {}))", self.num_expr(d), self.num_expr(d)),
            2 => format!("(lt (int {}) (int {}))", self.num_expr(d), self.num_expr(d)),
            3 => format!("(empty {})", self.any_expr(d)),
            4 => format!("(not {})", self.any_expr(d)),
            5 => format!("(and {} {})", self.any_expr(d), self.any_expr(d)),
            6 => format!("(or {} {})", self.any_expr(d), self.any_expr(d)),
            7 => format!("(hasKey {} \"a\")", self.map_expr(d)),
            8 => format!("(has \"a\" {})", self.list_expr(d)),
            9 => format!("(kindIs \"string\" {})", self.any_expr(d)),
            10 => format!("(contains \"o\" {})", self.str_expr(d)),
            11 => format!("(hasPrefix \"h\" {})", self.str_expr(d)),
            _ => format!("(regexMatch \"^[a-z]+$\" {})", self.str_expr(d)),
        }
    }

    fn list_expr(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(35) {
            return self.rng.pick(LIST_KEYS).into();
        }
        let d = depth - 1;
        match self.rng.below(12) {
            0 => format!("(list {} {})", self.any_expr(d), self.any_expr(d)),
            1 => format!("(append {} {})", self.list_expr(d), self.any_expr(d)),
            2 => format!("(uniq {})", self.list_expr(d)),
            3 => format!("(sortAlpha {})", self.list_expr(d)),
            4 => format!("(splitList \",\" {})", self.str_expr(d)),
            5 => format!("(reverse {})", self.list_expr(d)),
            6 => format!("(concat {} {})", self.list_expr(d), self.list_expr(d)),
            7 => format!("(without {} \"a\")", self.list_expr(d)),
            8 => format!("(rest {})", self.list_expr(d)),
            9 => format!("(compact {})", self.list_expr(d)),
            10 => format!("(keys {} | sortAlpha)", self.map_expr(d)),
            _ => format!("(initial {})", self.list_expr(d)),
        }
    }

    fn map_expr(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(35) {
            return self.rng.pick(MAP_KEYS).into();
        }
        let d = depth - 1;
        match self.rng.below(7) {
            0 => format!(
                "(dict \"a\" {} \"k\" {})",
                self.any_expr(d),
                self.any_expr(d)
            ),
            1 => format!(
                "(merge (dict \"a\" {}) {})",
                self.any_expr(d),
                self.map_expr(d)
            ),
            2 => format!(
                "(mergeOverwrite (dict \"a\" {}) {})",
                self.any_expr(d),
                self.map_expr(d)
            ),
            3 => format!("(pick {} \"a\" \"c\")", self.map_expr(d)),
            4 => format!("(omit {} \"a\")", self.map_expr(d)),
            5 => format!("(deepCopy {})", self.map_expr(d)),
            _ => format!("(set (dict) \"x\" {})", self.any_expr(d)),
        }
    }

    fn any_expr(&mut self, depth: u32) -> String {
        match self.rng.below(8) {
            0 | 1 => self.str_expr(depth),
            2 => self.num_expr(depth),
            3 => self.bool_expr(depth),
            4 => self.list_expr(depth),
            5 => self.map_expr(depth),
            6 => self.rng.pick(ANY_KEYS).into(),
            _ => {
                if depth == 0 {
                    return self.rng.pick(ANY_KEYS).into();
                }
                let d = depth - 1;
                match self.rng.below(5) {
                    0 => "(index .Values.m1 \"b\")".to_string(),
                    1 => format!("(get {} \"a\")", self.map_expr(d)),
                    2 => format!("(first {})", self.list_expr(d)),
                    3 => format!("(coalesce {} {})", self.any_expr(d), self.any_expr(d)),
                    _ => format!("(default {} {})", self.any_expr(d), self.any_expr(d)),
                }
            }
        }
    }

    fn open(&mut self) -> &'static str {
        if self.rng.chance(25) {
            "{{- "
        } else {
            "{{ "
        }
    }

    fn close(&mut self) -> &'static str {
        if self.rng.chance(25) {
            " -}}"
        } else {
            " }}"
        }
    }

    fn body(&mut self, depth: u32) -> String {
        let n = 1 + self.rng.below(4);
        let mut out = String::new();
        for _ in 0..n {
            out.push_str(&self.item(depth));
        }
        out
    }

    fn item(&mut self, depth: u32) -> String {
        let (o, c) = (self.open(), self.close());
        let d = depth.saturating_sub(1);
        match self.rng.below(if depth == 0 { 3 } else { 10 }) {
            0 => self.rng.pick(TEXTS).into(),
            1 | 2 => format!("{o}{}{c}", self.any_expr(2)),
            3 => format!(
                "{o}if {}{c}{}{{{{ else if {} }}}}{}{{{{ else }}}}{}{{{{ end }}}}",
                self.bool_expr(2),
                self.body(d),
                self.bool_expr(1),
                self.body(d),
                self.body(d)
            ),
            4 => format!(
                "{o}range $i, $v := {}{c}[{{{{ $i }}}}:{{{{ $v }}}}]{{{{ end }}}}",
                self.list_expr(2)
            ),
            5 => format!(
                "{o}range $k, $v := {}{c}{{{{ $k }}}}={{{{ $v }}}};{{{{ else }}}}empty{{{{ end }}}}",
                self.map_expr(2)
            ),
            6 => format!(
                "{o}with {}{c}({{{{ . }}}}){{{{ else }}}}none{{{{ end }}}}",
                self.any_expr(2)
            ),
            7 => format!("{o}$x := {}{c}{{{{ $x }}}}|{{{{ $x | toString | len }}}}", self.any_expr(2)),
            8 => {
                let comment = if self.rng.chance(50) {
                    "{{/* a comment */}}"
                } else {
                    "{{- /* a comment */ -}}"
                };
                format!("{comment}{}", self.body(d))
            }
            _ => format!(
                "{o}range {}{c}{{{{ . | quote }}}},{{{{ end }}}}",
                self.list_expr(2)
            ),
        }
    }
}

/// Writes the chart; returns the first line of each case's `define` in `_cases.tpl`.
fn write_chart(dir: &Path, cases: &[(usize, String)]) -> Vec<(usize, usize)> {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: diff\nversion: 0.1.0\nappVersion: \"1.0\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    let mut helpers = String::from("{{- define \"helper\" -}}<{{ . }}>{{- end -}}\n");
    let mut docs = String::new();
    let mut lines = Vec::new();
    for (n, body) in cases {
        lines.push((helpers.lines().count() + 1, *n));
        helpers.push_str(&format!(
            "{{{{- define \"case.{n}\" }}}}{body}{{{{- end }}}}\n"
        ));
        docs.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: case-{n}\ndata:\n  out: {{{{ include \"case.{n}\" . | b64enc | quote }}}}\n"
        ));
    }
    std::fs::write(dir.join("templates/_cases.tpl"), helpers).unwrap();
    std::fs::write(dir.join("templates/cases.yaml"), docs).unwrap();
    lines
}

/// The case helm's error is about: a `case.N` it names, or the case whose lines hold the
/// `_cases.tpl:LINE` it names.
fn case_of(error: &str, lines: &[(usize, usize)]) -> Option<usize> {
    let digits = |rest: &str| {
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse::<usize>().ok())
    };
    if let Some(n) = error.split("case.").nth(1).and_then(digits) {
        return Some(n);
    }
    let line = error.split("_cases.tpl:").nth(1).and_then(digits)?;
    lines
        .iter()
        .rev()
        .find(|(start, _)| *start <= line)
        .map(|(_, n)| *n)
}

fn helm_template(dir: &Path) -> Result<String, String> {
    let out = Command::new(wo_test_support::tool("helm"))
        .args(["template", "diff"])
        .arg(dir)
        .args(["--namespace", "diff-ns"])
        .output()
        .expect("helm runs");
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).expect("helm prints UTF-8"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The case outputs of a rendered stream: name → decoded text.
fn outputs(stream: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut name = String::new();
    for line in stream.lines() {
        if let Some(n) = line.strip_prefix("  name: ") {
            name = n.to_string();
        } else if let Some(out) = line.strip_prefix("  out: ") {
            let b64 = out.trim_matches('"');
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            found.push((name.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    found
}

/// The first case helm fails on, rendering halves of `cases` until one case is left.
fn bisect(cases: &[(usize, String)], error: &str) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("diff");
    let mut suspects = cases.to_vec();
    while suspects.len() > 1 {
        let (first, second) = suspects.split_at(suspects.len() / 2);
        let _ = std::fs::remove_dir_all(&dir);
        write_chart(&dir, first);
        suspects = if helm_template(&dir).is_err() {
            first.to_vec()
        } else {
            second.to_vec()
        };
    }
    let _ = std::fs::remove_dir_all(&dir);
    write_chart(&dir, &suspects);
    assert!(
        helm_template(&dir).is_err(),
        "helm failed on the whole chart but on no single case:\n{error}"
    );
    suspects[0].0
}

#[test]
fn random_templates_render_as_helm_renders_them() {
    let seed: u64 = std::env::var("WO_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005E_ED0F_2026);
    let count: usize = std::env::var("WO_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let mut gen = Gen {
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
    };
    let mut cases: Vec<(usize, String)> = (0..count).map(|n| (n, gen.body(3))).collect();

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("diff");
    // Drop the cases helm refuses, one by one (its error names the case's template).
    let mut dropped = BTreeSet::new();
    let expected = loop {
        let lines = write_chart(&dir, &cases);
        match helm_template(&dir) {
            Ok(stream) => break stream,
            Err(error) => {
                // An error naming no case (helm itself crashing): find the case by halves.
                let n = case_of(&error, &lines).unwrap_or_else(|| bisect(&cases, &error));
                assert!(dropped.insert(n), "case {n} dropped twice:\n{error}");
                eprintln!("dropped case {n}: {}", error.lines().next().unwrap_or(""));
                cases.retain(|(m, _)| *m != n);
                assert!(
                    dropped.len() * 20 <= count,
                    "helm refused {} of {count} generated cases: the generator is wrong",
                    dropped.len()
                );
            }
        }
    };

    let chart = Chart::load(&dir).expect("the generated chart loads");
    let prepared = PreparedChart::new(chart).expect("the generated chart parses");
    let options = RenderOptions {
        release_name: "diff".into(),
        namespace: "diff-ns".into(),
        ..RenderOptions::default()
    };
    let got = match prepared.render(&Value::empty_map(), &options) {
        Ok(stream) => stream,
        Err(e) => panic!("wo refused what helm rendered: {e}"),
    };

    let want = outputs(&expected);
    let have = outputs(&got);
    assert_eq!(want.len(), cases.len(), "helm printed every case");
    let mut differing = 0;
    for (i, (name, out)) in want.iter().enumerate() {
        let mine = have.get(i).map(|(_, o)| o.as_str());
        if mine != Some(out.as_str()) {
            differing += 1;
            if differing <= 20 {
                let n: usize = name.trim_start_matches("case-").parse().unwrap();
                let body = &cases.iter().find(|(m, _)| *m == n).unwrap().1;
                eprintln!(
                    "── {name} differs\ntemplate: {body}\nhelm: {out:?}\nwo:   {:?}",
                    mine.unwrap_or("<missing>")
                );
            }
        }
    }
    println!(
        "differential: seed {seed}, {} cases compared ({} dropped as helm refused them), {differing} differ",
        want.len(),
        dropped.len()
    );
    assert_eq!(differing, 0, "{differing} of {} cases differ", want.len());
    assert!(
        got == expected,
        "the streams differ outside the case outputs"
    );
}
