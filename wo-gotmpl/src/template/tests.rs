//! Tests: each construct with Go's exact output, and a table compared with the real
//! `helm template` (skipped with a note when helm is absent).

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use super::*;
use crate::func::{FuncDef, FuncResult};
use crate::value::Map;

fn upper(_: &mut Ctx, args: &[Value]) -> FuncResult {
    Ok(Value::from(args[0].to_string().to_uppercase()))
}

fn list(_: &mut Ctx, args: &[Value]) -> FuncResult {
    Ok(Value::list(args.to_vec()))
}

fn dict(_: &mut Ctx, args: &[Value]) -> FuncResult {
    let mut m = Map::new();
    for pair in args.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or(Value::Nil);
        m.insert(pair[0].to_string(), v);
    }
    Ok(Value::map(m))
}

fn fail(_: &mut Ctx, args: &[Value]) -> FuncResult {
    match &args[0] {
        Value::String(s) => Err(s.to_string()),
        Value::Nil => Err("wrong type for value; expected string; got interface {}".into()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
    }
}

fn test_funcs() -> Arc<FuncMap> {
    let mut f = FuncMap::new();
    f.insert(FuncDef {
        name: "upper",
        min_args: 1,
        max_args: Some(1),
        f: upper,
    });
    f.insert(FuncDef {
        name: "list",
        min_args: 0,
        max_args: None,
        f: list,
    });
    f.insert(FuncDef {
        name: "dict",
        min_args: 0,
        max_args: None,
        f: dict,
    });
    f.insert(FuncDef {
        name: "fail",
        min_args: 1,
        max_args: Some(1),
        f: fail,
    });
    Arc::new(f)
}

const VALUES: &str = r#"{
  "name": "demo", "count": 3, "ratio": 1.5, "big": 1000000, "small": 0.00001,
  "enabled": true, "off": false, "empty": "", "nothing": null,
  "list": ["a", "b", "c"], "nums": [1, 2.5, 3],
  "map": {"b": 2, "a": 1, "c": {"d": "deep"}},
  "nested": {"inner": {"leaf": "x"}},
  "items": [{"name": "one", "port": 80}, {"name": "two", "port": 443}],
  "tmpl": "{{ .Values.name }}-{{ .Values.count }}",
  "s": "he said \"hi\" <b>&'x'=y"
}"#;

fn data() -> Value {
    let values = Value::from_json(&serde_json::from_str(VALUES).expect("values parse"));
    let mut top = Map::new();
    top.insert("Values".into(), values);
    Value::map(top)
}

fn render(text: &str) -> Result<String, Error> {
    let mut set = TemplateSet::new(test_funcs());
    set.parse("t", text)?;
    set.execute("t", &data(), &mut Ctx::default())
}

fn ok(text: &str) -> String {
    render(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> String {
    match render(text) {
        Ok(out) => panic!("{text}: expected an error, got {out:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn text_fields_and_printing() {
    assert_eq!(ok("plain"), "plain");
    assert_eq!(ok("{{ .Values.name }}"), "demo");
    assert_eq!(ok("{{ .Values.count }} {{ .Values.ratio }}"), "3 1.5");
    assert_eq!(ok("{{ .Values.big }} {{ .Values.small }}"), "1e+06 1e-05");
    assert_eq!(ok("{{ .Values.missing }}"), "<no value>");
    assert_eq!(ok("{{ .Values.nothing }}"), "<no value>");
    assert_eq!(ok("{{ .Values.list }}"), "[a b c]");
    assert_eq!(ok("{{ .Values.map }}"), "map[a:1 b:2 c:map[d:deep]]");
    assert_eq!(ok("{{ .Values.nested.inner.leaf }}"), "x");
    assert_eq!(
        ok("{{ 3 }} {{ 1.50 }} {{ 1e3 }} {{ 0x1F }} {{ 'a' }} {{ -7 }}"),
        "3 1.5 1000 31 97 -7"
    );
    assert_eq!(
        ok("{{ 1_000 }} {{ 0o17 }} {{ 0b101 }} {{ 017 }}"),
        "1000 15 5 15"
    );
    assert_eq!(
        ok(r#"{{ "a\tb\u00e9" }}{{ `raw\n` }}"#),
        "a\tbé\\raw\\n".replace("\\raw", "raw")
    );
    assert_eq!(ok("{{ true }} {{ false }}"), "true false");
    assert_eq!(ok("{{ . | printf \"%T\" }}"), "map[string]interface {}");
}

#[test]
fn char_constants() {
    assert_eq!(
        ok(r"{{ '\'' }} {{ '\n' }} {{ '\x41' }} {{ '\u00e9' }} {{ '\101' }} {{ 'é' }}"),
        "39 10 65 233 65 233"
    );
    assert!(err("{{ 'ab' }}").ends_with("malformed character constant: 'ab'"));
}

#[test]
fn trim_markers_and_comments() {
    assert_eq!(ok("a  \n {{- \"b\" -}} \n\t c"), "abc");
    assert_eq!(ok("a {{- /* note */ -}} b"), "ab");
    assert_eq!(ok("a {{/* note */}} b"), "a  b");
    assert_eq!(ok("a {{-3}}"), "a -3");
    assert_eq!(ok("x\n{{- if true }}\ny\n{{- end }}\n"), "x\ny\n");
}

#[test]
fn variables_and_scopes() {
    assert_eq!(ok("{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}"), "12");
    assert_eq!(
        ok("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}"),
        "2"
    );
    assert_eq!(
        ok("{{ with $v := .Values.name }}{{ $v }}{{ . }}{{ end }}"),
        "demodemo"
    );
    assert_eq!(
        ok("{{ range $i, $v := .Values.list }}{{ $i }}={{ $v }},{{ end }}"),
        "0=a,1=b,2=c,"
    );
    assert_eq!(
        ok("{{ range $k, $v := .Values.map }}{{ $k }},{{ end }}"),
        "a,b,c,"
    );
    assert_eq!(
        ok("{{ range .Values.list }}{{ $.Values.name }}{{ end }}"),
        "demodemodemo"
    );
    assert_eq!(
        ok("{{ $i := 0 }}{{ $v := 0 }}{{ range $i, $v = .Values.list }}{{ end }}{{ $i }}{{ $v }}"),
        "2c"
    );
    assert!(err("{{ $nope }}").contains("undefined variable \"$nope\""));
}

#[test]
fn control_structures() {
    assert_eq!(ok("{{ if .Values.enabled }}on{{ else }}off{{ end }}"), "on");
    assert_eq!(ok("{{ if .Values.off }}a{{ else if .Values.empty }}b{{ else if .Values.count }}c{{ end }}"), "c");
    assert_eq!(
        ok("{{ with .Values.missing }}x{{ else with .Values.name }}{{ . }}{{ end }}"),
        "demo"
    );
    assert_eq!(
        ok("{{ range .Values.nothing }}x{{ else }}none{{ end }}"),
        "none"
    );
    assert_eq!(ok("{{ range 3 }}{{ . }}{{ end }}"), "012");
    assert_eq!(
        ok("{{ range .Values.list }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}"),
        "ac"
    );
    assert_eq!(
        ok("{{ range .Values.list }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}"),
        "a"
    );
    assert_eq!(
        ok("{{ range .Values.items }}{{ .name }}:{{ .port }} {{ end }}"),
        "one:80 two:443 "
    );
}

#[test]
fn defines_templates_and_include() {
    let t = r#"{{ define "a" }}A{{ . }}{{ end }}{{ template "a" 1 }}{{ include "a" 2 | upper }}{{ block "b" 3 }}B{{ . }}{{ end }}"#;
    assert_eq!(ok(t), "A1A2B3");
    let mut set = TemplateSet::new(test_funcs());
    set.parse("one", r#"{{ define "x" }}first{{ end }}"#)
        .unwrap();
    set.parse("two", r#"{{ define "x" }}second{{ end }}"#)
        .unwrap();
    set.parse("three", r#"{{ define "x" }}  {{ end }}{{ template "x" }}"#)
        .unwrap();
    let out = set
        .execute("three", &Value::Nil, &mut Ctx::default())
        .unwrap();
    assert_eq!(out, "second", "an empty redefinition does not replace");
    assert!(set.has("x") && set.has("one") && !set.has("y"));
    let e = set
        .execute("nope", &Value::Nil, &mut Ctx::default())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"template: no template "nope" associated with template "gotpl""#
    );
    assert!(
        err(r#"{{ define "x" }}1{{ end }}{{ define "x" }}2{{ end }}"#)
            .contains("multiple definition of template")
    );
}

#[test]
fn tpl_semantics() {
    assert_eq!(ok("{{ tpl .Values.tmpl . }}"), "demo-3");
    assert_eq!(ok(r#"{{ tpl "{{ .missing }}|" . }}"#), "|");
    assert_eq!(
        ok(
            r#"{{ define "h" }}H{{ end }}{{ tpl "{{ define \"h\" }}T{{ end }}{{ include \"h\" . }}" . }}{{ include "h" . }}"#
        ),
        "TH",
        "a define inside tpl is seen by it and does not leak"
    );
    let e = err(r#"{{ tpl "{{ .Values.nothing.x }}" . }}"#);
    assert_eq!(
        e,
        "template: t:1:3: executing \"t\" at <tpl \"{{ .Values.nothing.x }}\" .>: error calling tpl: error during tpl function execution for \"{{ .Values.nothing.x }}\": template: gotpl:1:10: executing \"gotpl\" at <.Values.nothing.x>: nil pointer evaluating interface {}.x"
    );
    let e = err(r#"{{ tpl "{{ nope }}" . }}"#);
    assert!(e.contains("cannot parse template \"{{ nope }}\": template: gotpl:1: function \"nope\" not defined"), "{e}");
}

#[test]
fn comparisons_and_logic() {
    assert_eq!(ok("{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 .Values.ratio }} {{ ge \"b\" \"a\" }}"), "true true true true true false true");
    assert_eq!(
        ok("{{ eq .Values.nothing nil }} {{ eq .Values.missing \"x\" }}"),
        "true false"
    );
    assert_eq!(
        ok("{{ and 1 0 2 }} {{ or 0 \"\" \"x\" }} {{ and 1 2 }} {{ or 0 false }} {{ not 0 }}"),
        "0 x 2 false true"
    );
    assert_eq!(
        ok("{{ and .Values.nothing .Values.nothing.x }}"),
        "<no value>",
        "and short-circuits"
    );
    assert!(err("{{ eq 1 1.5 }}")
        .ends_with("error calling eq: incompatible types for comparison: int and float64"));
    assert!(err("{{ eq (list 1) (dict) }}").ends_with("error calling eq: non-comparable types [%!s(int=1)]: []interface {}, map[string]interface {}: map[]"));
    assert!(err("{{ eq (dict \"a\" 1) (dict) }}")
        .ends_with("error calling eq: non-comparable type map[]: map[string]interface {}"));
    assert_eq!(
        ok("{{ eq nil nil }} {{ eq nil 1 }} {{ eq \"a\" \"a\" 1 }}"),
        "true false true"
    );
    assert!(err("{{ eq 1 }}").ends_with("error calling eq: missing argument for comparison"));
    assert!(
        err("{{ lt .Values.list 1 }}").ends_with("error calling lt: invalid type for comparison")
    );
}

#[test]
fn builtins() {
    assert_eq!(
        ok("{{ len .Values.list }} {{ len \"héllo\" }} {{ len .Values.map }}"),
        "3 6 3"
    );
    assert_eq!(ok("{{ index .Values.list 1 }} {{ index .Values.map \"c\" \"d\" }} {{ index .Values.map \"zz\" }}"), "b deep <no value>");
    assert_eq!(
        ok("{{ slice .Values.list 1 }} {{ slice \"hello\" 1 3 }}"),
        "[b c] el"
    );
    assert_eq!(
        ok("{{ print 1 2 \"a\" 3 \"b\" \"c\" nil 4 }}"),
        "1 2a3bc<nil> 4"
    );
    assert_eq!(ok("{{ println 1 \"a\" }}"), "1 a\n");
    assert_eq!(
        ok("{{ html .Values.s }}"),
        "he said &#34;hi&#34; &lt;b&gt;&amp;&#39;x&#39;=y"
    );
    assert_eq!(
        ok("{{ js .Values.s }}"),
        "he said \\\"hi\\\" \\u003Cb\\u003E\\u0026\\'x\\'\\u003Dy"
    );
    assert_eq!(ok("{{ urlquery \"a b&c/d\" }}"), "a+b%26c%2Fd");
    assert_eq!(ok("{{ html .Values.missing }}"), "&lt;no value&gt;");
    assert!(err("{{ index .Values.list 3 }}")
        .ends_with("error calling index: reflect: slice index out of range"));
    assert!(
        err("{{ index .Values.list 4 }}").ends_with("error calling index: index out of range: 4")
    );
    assert!(err("{{ len nil }}")
        .ends_with("error calling len: reflect: call of reflect.Value.Type on zero Value"));
    assert!(err("{{ len .Values.nothing }}").ends_with("error calling len: len of nil pointer"));
    assert!(err("{{ len 3 }}").ends_with("error calling len: len of type int"));
}

#[test]
fn printf_verbs() {
    let cases = [
        (r#"{{ printf "%s-%d" "a" 5 }}"#, "a-5"),
        (
            r#"{{ printf "%v %v %v" .Values.ratio .Values.list .Values.nothing }}"#,
            "1.5 [a b c] <nil>",
        ),
        (
            r#"{{ printf "%q %x %X %o %b %c %U" "hi" 255 255 8 5 65 65 }}"#,
            "\"hi\" ff FF 10 101 A U+0041",
        ),
        (
            r#"{{ printf "%5d|%-5d|%05d|%+d" 42 42 42 42 }}"#,
            "   42|42   |00042|+42",
        ),
        (
            r#"{{ printf "%.2f %f %e %g %.3g" 3.14159 2.5 123456.0 0.000012 3.14159 }}"#,
            "3.14 2.500000 1.234560e+05 1.2e-05 3.14",
        ),
        (r#"{{ printf "%t %v" true false }}"#, "true false"),
        (
            r#"{{ printf "%T %T %T %T" 1 1.5 "s" .Values.list }}"#,
            "int float64 string []interface {}",
        ),
        (r#"{{ printf "%d" "x" }}"#, "%!d(string=x)"),
        (r#"{{ printf "%s" 5 }}"#, "%!s(int=5)"),
        (r#"{{ printf "%d %d" 1 }}"#, "1 %!d(MISSING)"),
        (r#"{{ printf "%d" 1 2 "x" }}"#, "1%!(EXTRA int=2, string=x)"),
        (r#"{{ printf "%s" .Values.nothing }}"#, "%!s(<nil>)"),
        (r#"{{ printf "100%%" }}"#, "100%"),
        (
            r#"{{ printf "%8.3f|%-8s|%8s" 3.14159 "ab" "cd" }}"#,
            "   3.142|ab      |      cd",
        ),
        (r#"{{ printf "%s" .Values.list }}"#, "[a b c]"),
        (r#"{{ printf "%v" .Values.count }}"#, "3"),
        (r#"{{ printf "%d" .Values.count }}"#, "%!d(float64=3)"),
        (r#"{{ printf "%.1s" "abc" }}"#, "a"),
        (r#"{{ printf "%x" "hi" }}"#, "6869"),
        (r#"{{ printf "%6.2f%%" 12.3456 }}"#, " 12.35%"),
        (
            r#"{{ printf "%g %g %g" 100000.0 1000000.0 1e21 }}"#,
            "100000 1e+06 1e+21",
        ),
    ];
    for (t, want) in cases {
        assert_eq!(ok(t), want, "{t}");
    }
}

#[test]
fn errors_read_as_go_writes_them() {
    assert_eq!(
        err("a\n  {{ .Values.nothing.x }}"),
        "template: t:2:12: executing \"t\" at <.Values.nothing.x>: nil pointer evaluating interface {}.x"
    );
    assert_eq!(
        err("{{ .Values.name.x }}"),
        "template: t:1:10: executing \"t\" at <.Values.name.x>: can't evaluate field x in type interface {}"
    );
    assert_eq!(
        err("{{ $x := \"s\" }}{{ $x.y }}"),
        "template: t:1:20: executing \"t\" at <$x.y>: can't evaluate field y in type string"
    );
    assert_eq!(
        err("{{ fail \"boom\" }}"),
        "template: t:1:3: executing \"t\" at <fail \"boom\">: error calling fail: boom"
    );
    assert_eq!(
        err("{{ fail 1 }}"),
        "template: t:1:8: executing \"t\" at <1>: expected string; found 1"
    );
    assert_eq!(
        err("{{ upper }}"),
        "template: t:1:3: executing \"t\" at <upper>: wrong number of args for upper: want 1 got 0"
    );
    assert_eq!(
        err("{{ template \"nope\" }}"),
        "template: t:1:12: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined"
    );
    assert_eq!(
        err("{{ nope }}"),
        "template: t:1: function \"nope\" not defined"
    );
    assert_eq!(
        err("{{ if }}{{ end }}"),
        "template: t:1: missing value for if"
    );
    assert_eq!(err("{{ .a"), "template: t:1: unclosed action");
    assert_eq!(err("{{ end }}"), "template: t:1: unexpected {{end}}");
    assert_eq!(err("{{ if 1 }}"), "template: t:1: unexpected EOF");
    assert_eq!(
        err("{{ range 1.5 }}{{ end }}"),
        "template: t:1:9: executing \"t\" at <1.5>: range can't iterate over 1.5"
    );
    assert_eq!(
        err("{{ break }}"),
        "template: t:1: {{break}} outside {{range}}"
    );
    assert_eq!(
        err("{{ 1 | 2 }}"),
        "template: t:1: non executable command in pipeline stage 2"
    );
    assert_eq!(
        err("{{ \"x\" 2 }}"),
        "template: t:1:3: executing \"t\" at <\"x\">: can't give argument to non-function \"x\""
    );
    assert_eq!(
        err("{{/* x */ 1 }}"),
        "template: t:1: comment ends before closing delimiter"
    );
}

#[test]
fn the_set_is_send_and_sync_and_renders_on_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TemplateSet>();
    let mut set = TemplateSet::new(test_funcs());
    set.parse("t", "{{ range .Values.list }}{{ . }}{{ end }}")
        .unwrap();
    let set = Arc::new(set);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let set = set.clone();
            std::thread::spawn(move || set.execute("t", &data(), &mut Ctx::default()).unwrap())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "abc");
    }
}

#[test]
fn depth_is_bounded() {
    let mut set = TemplateSet::new(test_funcs());
    set.set_max_depth(50);
    set.parse(
        "t",
        r#"{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}"#,
    )
    .unwrap();
    let e = set
        .execute("t", &Value::Nil, &mut Ctx::default())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: t:1:28: executing \"r\" at <{{template \"r\" .}}>: exceeded maximum template depth (100000)"
    );
}

#[test]
fn include_recursion_is_bounded() {
    // Run on a thread with room: Helm allows about a thousand nested includes.
    let h = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| err(r#"{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}"#))
        .unwrap();
    let e = h.join().unwrap();
    assert!(
        e.contains("rendering template has a nested reference name: r: unable to execute template"),
        "{}",
        &e[e.len() - 300..]
    );
}

#[test]
fn maps_are_shared_references() {
    assert_eq!(ok("{{ $d := dict \"a\" 1 }}{{ $e := $d }}{{ $d.a }}"), "1");
    let v = Value::StrList(Rc::new(vec!["x".into(), "y".into()]));
    let mut top = Map::new();
    top.insert("l".into(), v);
    let mut set = TemplateSet::new(test_funcs());
    set.parse("t", "{{ range .l }}{{ . }}{{ end }}{{ index .l 1 }}")
        .unwrap();
    assert_eq!(
        set.execute("t", &Value::map(top), &mut Ctx::default())
            .unwrap(),
        "xyy"
    );
}

// ---- Comparison with the real helm ----

/// Templates whose output must equal `helm template`'s byte for byte.
const HELM_CASES: &[&str] = &[
    "plain text",
    // A nil element is written unpadded whatever the width (found by the differential test).
    r#"{{ printf "%-6v|%5v|%05d" (list 1 nil "x") (dict "k" nil) (list 3 nil) }}"#,
    "{{ .Values.name }} {{ .Values.count }} {{ .Values.ratio }} {{ .Values.big }} {{ .Values.small }}",
    "a  \n {{- .Values.name -}} \n\t b",
    "{{- /* c */ -}}\n  x  {{/* c */}}  y\n",
    "{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }};{{ end }}",
    "{{ range $i, $v := .Values.list }}{{ $i }}{{ $v }}{{ else }}none{{ end }}",
    "{{ range .Values.nothing }}x{{ else }}none{{ end }}",
    "{{ .Values.missing }}|{{ .Values.nothing }}|{{ .Values.list }}|{{ .Values.map }}",
    "{{ printf \"%s|%d|%5.2f|%-4s|%q|%v|%x|%T|%e|%g\" \"a\" 7 3.14159 \"b\" \"q\" .Values.nums 255 .Values.ratio 1234.5 0.0001 }}",
    "{{ printf \"%d %s %v\" \"x\" 3 .Values.nothing }}",
    "{{ printf \"%d\" 1 2 }}{{ printf \"%d %d\" 1 }}",
    "{{ printf \"%05d|%+.1f|%8.3e|%X|%o|%c|%U|%t\" 42 2.25 1234.5678 3054 8 9731 9731 true }}",
    "{{ print 1 2 \"a\" \"b\" 3 nil .Values.list }}",
    "{{ println \"x\" 1 }}",
    "{{ template \"n1\" \"v\" }}{{ include \"n1\" 5 }}",
    "{{ if and .Values.enabled (not .Values.off) }}yes{{ end }}{{ if or .Values.off .Values.empty }}no{{ else if eq .Values.name \"demo\" }}demo{{ end }}",
    "{{ with .Values.nested.inner }}{{ .leaf }}{{ end }}{{ with .Values.missing }}x{{ else }}y{{ end }}",
    "{{ 1.0 }} {{ 1e6 }} {{ 2.50 }} {{ 0x10 }} {{ 1_000 }} {{ 'x' }} {{ 1e-7 }} {{ 0x1.8p1 }} {{ 0X_1p-2 }} {{ .5 }} {{ 1. }} {{ +3 }} {{ 1_0.2_5 }}",
    "{{ index .Values.list 2 }}{{ index .Values.map \"c\" \"d\" }}{{ len .Values.list }}",
    "{{ html .Values.s }} {{ js .Values.s }} {{ urlquery .Values.s }}",
    "{{ tpl .Values.tmpl . }}|{{ tpl \"{{ .Values.missing }}\" . }}",
    "{{ range $i, $e := .Values.items }}{{ if $i }},{{ end }}{{ $e.name }}:{{ $e.port }}{{ end }}",
    "{{ $x := 1 }}{{ range .Values.list }}{{ $x = . }}{{ end }}{{ $x }}",
    "{{ range .Values.list }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}|{{ range 4 }}{{ if eq . 1 }}{{ continue }}{{ end }}{{ . }}{{ end }}",
    "{{ .Values.nums }} {{ index .Values.nums 1 }} {{ printf \"%v %.1f\" (index .Values.nums 0) (index .Values.nums 1) }}",
    "{{ eq .Values.count 3.0 }} {{ lt .Values.ratio 2.0 }} {{ eq .Values.name \"x\" \"demo\" }} {{ ne .Values.nothing nil }}",
    "{{ block \"blk\" .Values.name }}<{{ . }}>{{ end }}",
    "{{ printf \"%v\" .Values.map }} {{ printf \"%s\" .Values.items }}",
    "{{ printf \"%6.2f%%|%-8q|%#x|%#o|% d\" 99.5 \"z\" 255 8 5 }}",
    "{{ printf \"%.3s|%10.4v|%-10v|\" \"abcdef\" 3.14159265 true }}",
    "{{ printf \"%v %v %v %v\" 123456789.0 0.1 100.0 1e20 }}",
    "{{ $m := dict \"k\" \"v\" }}{{ $m.k }}{{ $m.missing }}",
    "{{ list 1 \"a\" nil 2.5 }}",
    "{{ (index .Values \"missing\").x }}|{{ (.Values.missing).x }}|{{ eq nil nil }}",
    "{{ tpl \"{{ tpl \\\"{{ .Values.name }}!\\\" . }}\" . }}|{{ tpl \"{{ include \\\"n2\\\" 7 }}\" . }}",
    "{{ printf \"%T %T %T %T %T\" 1e3 'a' 0x10 1.0 -0.0 }} {{ -0.0 }} {{ 1e21 }} {{ 1e3 }}",
    "{{ \"a\" | printf \"%s-%s\" \"b\" }} {{ .Values.count | printf \"%v\" }} {{ \"\\x41\\101\\u00e9\\U0001F600\" }}",
    "{{ printf \"%s\" .Values.map }} {{ printf \"%d\" .Values.nums }} {{ printf \"%q\" .Values.list }}",
    "{{ printf \"%5s|%-5s|%5.1s|%05s\" \"ab\" \"ab\" \"ab\" \"ab\" }}",
    "{{ printf \"%q|%c|%q|%U|%#U\" 65 0x1F600 0x1F600 0x1F600 0x1F600 }}",
    "{{ printf \"%08.3f|%-8.2f|%+.2e|%3c|%-3c|\" -3.14159 2.5 12345.678 65 66 }}",
    "{{ printf \"%t|%z|%!|%\" 1 1 }}",
    "{{ printf \"%.0f %.0f %.0f %.2f %.1f\" 0.5 1.5 2.5 1.005 0.25 }}",
    "{{ printf \"%6.3v|%.3g|%.10g|%g|%e|%g|%G\" 3.14159 1234567.0 1234567.0 0.000001234 0.0 0.0 1e-7 }}",
    "{{ printf \"%v %v %v %v %v\" 0.1 0.2 0.30000000000000004 123456.7 1234567.8 }}",
    "{{ printf \"%x %X %o %O %b %#b %#o\" -255 255 64 64 5 5 8 }}",
    "{{ printf \"%x %X % x %#x\" \"hello\" \"hi\" \"hi\" \"hi\" }}",
    "{{ printf \"%+q %#q %q\" \"é\\n\" \"back\" \"tab\\there\" }}",
    "{{ printf \"%v|%s|%d\" true true true }}",
    "{{ printf \"%*d|%-*d|%.*f\" 5 42 4 7 2 3.14159 }}",
    "{{ printf \"%[x]d|%[]d|%[1d|%[2]3d|%[1].[2]d|%[3]*.[2]*[1]f\" 1 2 3 }}|{{ printf \"%[2]d %[1]d\" 1 2 }}|{{ printf \"%[3]d|%[0]d|%[2]*d|%d %[1]d %d\" 1 2 3 }}",
    "{{ printf \"%+v|%+d|%#v|%#v|%#v|%+v\" 5 5 5 \"s\" 1.5 1.5 }}|{{ printf \"%#v\" (list 1 \"a\") }}",
    "{{ printf \"%.d|%5.|%-05d|%x\" 0 7 3 -1.5 }}",
    "{{ printf \"%#g|%#.3g|%#e|%#.0f|%#g|%#g|%#.4g|%#x\" 1.5 2.0 3.0 4.0 100000.0 0.0 1e-7 1.0 }}",
    "{{ printf \"%v\" (dict \"a\" (list 1 (dict \"b\" nil))) }}",
    "{{ with $x := .Values.name }}{{ $x }}{{ end }}{{ with .Values.off }}no{{ else with .Values.nothing }}no{{ else }}else{{ end }}",
    "{{- range $i, $v := .Values.list -}}\n  {{ $i }}: {{ $v }}\n{{- end }}\ntail",
    "{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }}{{ end }}{{ range $v := .Values.map }}{{ $v }}{{ end }}",
    "{{ $r := \"\" }}{{ range $i, $e := .Values.items }}{{ $r = printf \"%s%d\" $r $i }}{{ end }}{{ $r }}",
    "{{ range .Values.items }}{{ .name | printf \"%s!\" }}{{ end }}",
    "{{ not .Values.nothing }} {{ not .Values.list }}",
    "{{ html \"<a href='x'>&</a>\" 1 nil }} {{ js \"a\\nb\\u2028c\" }} {{ urlquery \"ü ~.-_\" 2 }}",
    "{{ len \"\" }} {{ index \"abc\" 1 }}",
    "{{ index .Values.items 1 \"name\" }} {{ index (list (list 1 2) (list 3 4)) 1 0 }}",
    "{{ print }}{{ print nil }}{{ print \"a\" nil \"b\" }}{{ print 1.5 true }}{{ print .Values.list .Values.list }}",
    "{{ 3 | printf \"%d %d\" 4 }} {{ printf \"%v\" .Values.nothing }}",
    "a\r\n  {{- .Values.name -}}  \r\n\tb {{- \"\" }}\n\n{{- /* x */}}\n c{{ \"\" -}}\n",
    "{{ if true -}}\n  x\n{{- else -}}\n  y\n{{- end }}|{{- range .Values.list }}\n- {{ . }}\n{{- end }}",
    "{{ printf \"%999999999d|\" 1 }}{{ printf \"%*d|\" 10000000 1 }}",
    "{{ \"<no value>\" }}{{ .Values.name | printf \"%s<no value>\" }}",
    "{{ $x := .Values.map }}{{ $x.c.d }}{{ with $y := $x.c }}{{ $y.d }}{{ $x.a }}{{ end }}",
    "{{ range $i, $e := .Values.items }}{{ range $k, $v := $e }}{{ $i }}{{ $k }}{{ $v }}{{ end }}{{ end }}",
];

/// The chart: each case a define in `_cases.tpl`, and `t.yaml` printing each one `%q`-quoted
/// (one valid YAML line per case, whatever the case prints).
fn chart_files() -> (String, String) {
    let mut defs = String::from(
        "{{ define \"n1\" }}[{{ . }}{{ template \"n2\" . }}]{{ end }}{{ define \"n2\" }}({{ . }}){{ end }}\n",
    );
    let mut main = String::new();
    for (i, case) in HELM_CASES.iter().enumerate() {
        defs.push_str(&format!(
            "{{{{- define \"case{i}\" -}}}}{case}{{{{- end -}}}}\n"
        ));
        main.push_str(&format!(
            "c{i}: {{{{ printf \"%q\" (include \"case{i}\" .) }}}}\n"
        ));
    }
    (defs, main)
}

#[test]
fn output_matches_helm_template() {
    let Some(helm) = crate::test_helm::helm() else {
        eprintln!("note: helm not found (set WO_HELM); skipping the comparison with helm");
        return;
    };
    let dir = std::env::temp_dir().join(format!("wo-gotmpl-engine-{}", std::process::id()));
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    let (defs, main) = chart_files();
    std::fs::write(templates.join("_cases.tpl"), &defs).unwrap();
    std::fs::write(templates.join("t.yaml"), &main).unwrap();
    let output = std::process::Command::new(helm)
        .arg("template")
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "helm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body = stdout
        .split_once("# Source: c/templates/t.yaml\n")
        .map(|(_, b)| b)
        .expect("helm printed t.yaml");

    let mut set = TemplateSet::new(test_funcs());
    set.parse("c/templates/_cases.tpl", &defs).unwrap();
    set.parse("c/templates/t.yaml", &main).unwrap();
    let ours = set
        .execute("c/templates/t.yaml", &data(), &mut Ctx::default())
        .unwrap();
    let ours = ours.replace("<no value>", "");
    let ours = format!("{}\n", ours.trim());
    for (i, (h, o)) in body.lines().zip(ours.lines()).enumerate() {
        assert_eq!(o, h, "case {i}: {}", HELM_CASES[i]);
    }
    assert_eq!(ours, body);
}

// ---- The corpus: every template of every chart parses ----

fn stub(_: &mut Ctx, _: &[Value]) -> FuncResult {
    Ok(Value::Nil)
}

fn collect_templates(dir: &std::path::Path, in_templates: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            let is_templates = path.file_name().is_some_and(|n| n == "templates");
            collect_templates(&path, in_templates || is_templates, out);
        } else if in_templates {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_template_parses() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts");
    let Ok(census) = std::fs::read_to_string(root.join("census.tsv")) else {
        eprintln!(
            "note: {} is absent; skipping the corpus parse test",
            root.display()
        );
        return;
    };
    let mut funcs = FuncMap::new();
    for line in census.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() > 1 && cols[1] == "function" && !matches!(cols[0], "include" | "tpl") {
            funcs.insert(FuncDef {
                name: Box::leak(cols[0].to_string().into_boxed_str()),
                min_args: 0,
                max_args: None,
                f: stub,
            });
        }
    }
    let mut files = Vec::new();
    collect_templates(&root, false, &mut files);
    assert!(files.len() > 100, "found {} template files", files.len());
    let mut set = TemplateSet::new(Arc::new(funcs));
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if let Err(e) = set.parse(&name, &text) {
            panic!("{name}: {e}");
        }
    }
    assert!(
        set.has("common.names.fullname"),
        "bitnami's common defines are in the set"
    );
}

// Speed: `cargo bench -p woac-gotmpl --bench render` (docs/benchmarks.md).

/// Malformed templates: Helm reports Go's parse error as `parse error at (LOC): LAST`, where
/// LAST is the text after the last ": " of Go's message.
const HELM_PARSE_ERRORS: &[&str] = &[
    "{{ .a",
    "{{ end }}",
    "{{ if 1 }}",
    "{{ else }}",
    "{{ range $i, $v, $w := . }}{{ end }}",
    "{{ $x := 1 }}{{ $y }}",
    "{{ 1 | 2 }}",
    "{{/* x */ 1 }}",
    "{{/* x ",
    "{{ \"abc }}",
    "{{ `abc }}",
    "{{ 'ab' }}",
    "{{ 1x }}",
    "{{ .a.b( }}",
    "{{ ) }}",
    "{{ ( }}",
    "{{ a# }}",
    "{{ define \"x\" }}",
    "{{ template x }}",
    "{{ with }}{{ end }}",
    "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
    "{{ break }}",
    "{{ range . }}{{ break 1 }}{{ end }}",
    "{{ .x | \"a\" }}",
    "{{ 3.x }}",
    "{{ nil.x }}",
    "{{ define \"a\" }}1{{ end }}{{ define \"a\" }}2{{ end }}",
    "{{ x := 1 }}",
    "{{ $x : 1 }}",
    "{{ | }}",
    "{{ range $i, 3 }}{{ end }}",
    "{{ with $x, $y := 1 }}{{ end }}",
    "{{ 0x }}",
    "{{ 1e }}",
    "{{ \"\\z\" }}",
    "{{ block \"b\" }}{{ end }}",
    "{{ if 1 }}{{ define \"x\" }}{{ end }}{{ end }}",
    "a\nb {{ .x\n}} {{ .y",
    "{{ .a }}\n{{ if }}",
    "{{ if 1 }}\n{{ .x\n| }}{{ end }}",
    "{{ range .x }}{{ else if 1 }}{{ end }}",
    "{{ /* x */ }}",
    "{{/* a }} b */}}ok{{ .x }}",
    "{{- /* a */ -}}ok",
    "{{ .x }}{{ .y }}\n{{ \"a\" | }}",
    "{{ $x := 1 }}{{ define \"d\" }}{{ $x }}{{ end }}",
    "{{ if $y := 1 }}{{ else }}{{ $y }}{{ end }}{{ $y }}",
    "{{ with $x := 1 }}{{ else with $z := 2 }}{{ $x }}{{ $z }}{{ end }}",
    "{{ template \"a\" \"b\" \"c\" }}",
    "{{ define \"a\" }}{{ end }}{{ define \"a\" }}x{{ end }}{{ define \"a\" }} {{ end }}",
    "{{ 1 2 }}",
    "{{ .a | .b 1 }}",
    "{{ (1) }}{{ (.a) .b }}",
    "{{ $ }}{{ $.a.b }}{{ $x.y }}",
    "{{ range $i := . }}{{ end }}{{ range $i, $j := . }}{{ $i }}{{ end }}",
];

#[test]
fn parse_errors_match_helm() {
    let Some(helm) = crate::test_helm::helm() else {
        eprintln!("note: helm not found (set WO_HELM); skipping the comparison with helm");
        return;
    };
    let dir = std::env::temp_dir().join(format!("wo-gotmpl-engine-perr-{}", std::process::id()));
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    let mut failures = Vec::new();
    for case in HELM_PARSE_ERRORS {
        std::fs::write(templates.join("t.yaml"), case).unwrap();
        let output = std::process::Command::new(&helm)
            .arg("template")
            .arg(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Anything but a parse error (an execution or YAML error) means it parsed.
        let theirs = stderr
            .lines()
            .next()
            .filter(|l| l.starts_with("Error: parse error"))
            .unwrap_or("")
            .to_string();
        let mut set = TemplateSet::new(test_funcs());
        let ours = match set.parse("c/templates/t.yaml", case) {
            Ok(()) => String::new(),
            Err(e) => {
                let msg = e.to_string();
                let tokens: Vec<&str> = msg.split(": ").collect();
                format!(
                    "Error: parse error at ({}): {}",
                    tokens[1],
                    tokens[tokens.len() - 1]
                )
            }
        };
        if ours != theirs {
            failures.push(format!("{case:?}\n  helm: {theirs}\n  ours: {ours}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Failing templates: Helm prints Go's execution error through its own report
/// (`reformatExecErrorMsg`), rebuilt here from [`Error::chain`].
const HELM_EXEC_ERRORS: &[&str] = &[
    "{{ .Values.nothing.x }}",
    "x\n  {{ .Values.name.x }}",
    "{{ (.Values.list).x }}",
    "{{ $x := 1 }}{{ $x.y }}",
    "{{ template \"nope\" }}",
    "{{ include \"nope\" . }}",
    "{{ include \"e1\" }}",
    "{{ index .Values.list 5 }}",
    "{{ include \"e1\" . }}",
    "{{ include \"e2\" . }}",
    "{{ tpl \"{{ .Values.nothing.z }}\" . }}",
    "{{ range 1.5 }}{{ end }}",
    "{{ len 3 }}",
    "{{ eq 1 \"a\" }}",
    "{{ \"x\" 2 }}",
    "{{ 18446744073709551615 }}",
    "{{ nil }}",
    "{{ $x = 1 }}",
    "{{ if .Values.list.x }}{{ end }}",
    "{{ range $k, $v := .Values.map }}{{ $v.x }}{{ end }}",
    "{{ with .Values.items }}{{ range . }}{{ .name.first }}{{ end }}{{ end }}",
    "{{ printf 3 }}",
    "{{ printf .Values.count }}",
    "{{ include nil . }}",
    "{{ .Values.count | printf }}",
    "{{ not }}",
    "{{ .Values.name 1 }}",
    "{{ fail .Values.count }}",
    "{{ fail .Values.nothing }}",
    "{{ fail (.Values.nothing) }}",
    "{{ fail nil }}",
    "{{ fail 3 }}",
    "{{ .Values.count | fail }}",
    "{{ .Values.nothing | fail }}",
    "{{ fail (printf \"%d\" 1 | len) }}",
    "{{ fail ((.Values.nothing)) }}",
    "{{ template \"a\" \"b\" \"c\" }}",
    "{{ template \"e1\" \"b\" \"c\" }}",
    "{{ 1 2 }}",
    "{{ .Values.name | .Values.list 1 }}",
    "{{ (1) }}{{ (.Values.name) .b }}",
    "{{ $.Values.nothing.a.b }}",
    "{{ .Values.map.c.d.e }}",
    "{{ index .Values.map \"a\" \"b\" }}",
    "{{ index .Values.map 1 }}",
    "{{ index .Values.list \"a\" }}",
    "{{ index .Values.list nil }}",
    "{{ index .Values.list -1 }}",
    "{{ index .Values.nothing 1 }}",
    "{{ index .Values.name 10 }}",
    "{{ index 3 1 }}",
    "{{ len .Values.count }}",
    "{{ html }}{{ urlquery }}{{ js }}{{ print }}{{ and 1 }}{{ or }}",
    "{{ call .Values.name }}",
    "{{ call nil }}",
];

/// Helm's `reformatExecErrorMsg` over our error.
fn helm_report(e: &Error) -> String {
    #[derive(PartialEq)]
    struct Traceable {
        location: String,
        function: String,
        message: String,
    }
    fn parse(s: &str) -> Option<Traceable> {
        let rest = s.strip_prefix("template: ")?;
        if rest.starts_with("no template ") {
            return Some(Traceable {
                location: String::new(),
                function: String::new(),
                message: s.to_string(),
            });
        }
        let cut = |m: &str| m.split(" template:").next().unwrap_or("").to_string();
        if let Some(idx) = rest.find(": executing ") {
            let after = &rest[idx + ": executing ".len()..];
            let q = after[1..].find('"')? + 1;
            let func = &after[1..q];
            let at = after[q + 1..].strip_prefix(" at <")?;
            let end = at.find(">: ")?;
            return Some(Traceable {
                location: rest[..idx].to_string(),
                function: format!("executing \"{func}\" at <{}>:", &at[..end]),
                message: cut(&at[end + 3..]),
            });
        }
        let sep = rest.rfind(": ")?;
        Some(Traceable {
            location: rest[..sep].to_string(),
            function: String::new(),
            message: cut(&rest[sep + 2..]),
        })
    }
    let msg = e.message();
    let mut locations: Vec<Traceable> = Vec::new();
    for text in e.chain() {
        match parse(text) {
            Some(t) => {
                if locations.last() != Some(&t) {
                    locations.push(t);
                }
            }
            None => return msg.to_string(),
        }
    }
    let mut out = String::new();
    for t in locations {
        if !t.location.is_empty() {
            out.push_str(&format!("{}\n  ", t.location));
        }
        if !t.function.is_empty() {
            out.push_str(&format!("{}\n    ", t.function));
        }
        if !t.message.is_empty() {
            out.push_str(&format!("{}\n", t.message));
        }
    }
    out.trim().to_string()
}

#[test]
fn exec_errors_match_helm() {
    let Some(helm) = crate::test_helm::helm() else {
        eprintln!("note: helm not found (set WO_HELM); skipping the comparison with helm");
        return;
    };
    let dir = std::env::temp_dir().join(format!("wo-gotmpl-engine-xerr-{}", std::process::id()));
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    let defs = "{{ define \"e1\" }}a{{ .Values.nothing.y }}{{ end }}\n{{ define \"e2\" }}{{ include \"e1\" . }}{{ end }}\n";
    std::fs::write(templates.join("_defs.tpl"), defs).unwrap();
    let mut failures = Vec::new();
    for case in HELM_EXEC_ERRORS {
        std::fs::write(templates.join("t.yaml"), case).unwrap();
        let output = std::process::Command::new(&helm)
            .arg("template")
            .arg(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let theirs = stderr
            .split("\n\nUse --debug")
            .next()
            .unwrap_or("")
            .trim_end()
            .to_string();
        let mut set = TemplateSet::new(test_funcs());
        set.parse("c/templates/_defs.tpl", defs).unwrap();
        set.parse("c/templates/t.yaml", case).unwrap();
        let ours = match set.execute("c/templates/t.yaml", &data(), &mut Ctx::default()) {
            Ok(out) => format!("rendered {out:?}"),
            Err(e) => format!("Error: {}", helm_report(&e)),
        };
        if ours != theirs {
            failures.push(format!("{case:?}\n  helm: {theirs}\n  ours: {ours}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A Go map type with methods, as Helm's `.Files` is.
struct Files(Map);

impl crate::value::Object for Files {
    fn type_name(&self) -> &str {
        "chart.Files"
    }
    fn kind(&self) -> &str {
        "map"
    }
    fn field(&self, _: &str) -> Option<Value> {
        None
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "Get" => Some(Ok(self
                .0
                .get(args.first()?.as_str()?)
                .cloned()
                .unwrap_or(Value::str("")))),
            _ => None,
        }
    }
    fn display(&self) -> String {
        Value::map(self.0.clone()).to_string()
    }
    fn to_data(&self) -> Value {
        Value::map(self.0.clone())
    }
}

#[test]
fn map_kinded_objects_act_as_their_data() {
    let mut files = Map::new();
    files.insert("a.txt".into(), Value::str("A"));
    files.insert("b.txt".into(), Value::str("B"));
    let mut top = Map::new();
    top.insert("f".into(), Value::Object(Rc::new(Files(files))));
    top.insert("e".into(), Value::Object(Rc::new(Files(Map::new()))));
    let mut set = TemplateSet::new(test_funcs());
    set.parse(
        "t",
        r#"{{ range $k, $v := .f }}{{ $k }}={{ $v }};{{ end }}{{ len .f }}{{ if .e }}y{{ else }}n{{ end }}{{ .f.Get "b.txt" }}{{ index .f "a.txt" }}{{ "a.txt" | .f.Get }}{{ .f.Nope }}"#,
    )
    .unwrap();
    let out = set
        .execute("t", &Value::map(top), &mut Ctx::default())
        .unwrap();
    assert!(
        out.ends_with("<no value>"),
        "a key that is no method is looked up: {out}"
    );
    set.parse("u", r#"{{ range $k, $v := .f }}{{ $k }}={{ $v }};{{ end }}{{ len .f }}{{ if .e }}y{{ else }}n{{ end }}{{ .f.Get "b.txt" }}{{ index .f "a.txt" }}{{ "a.txt" | .f.Get }}"#).unwrap();
    let mut top = Map::new();
    let mut files = Map::new();
    files.insert("a.txt".into(), Value::str("A"));
    files.insert("b.txt".into(), Value::str("B"));
    top.insert("f".into(), Value::Object(Rc::new(Files(files))));
    top.insert("e".into(), Value::Object(Rc::new(Files(Map::new()))));
    let out = set
        .execute("u", &Value::map(top), &mut Ctx::default())
        .unwrap();
    assert_eq!(out, "a.txt=A;b.txt=B;2nBAA");
}

/// A template's output with its large text nodes left out ([`TemplateSet::execute_pieces`]) is
/// the whole output once they are put back; it recognises that text, compares the bytes it
/// does not share, and its large nodes count towards the output budget.
#[test]
fn an_output_leaves_its_large_text_nodes_out_and_puts_them_back() {
    let big = |c: char| c.to_string().repeat(PIECE_MIN + 7);
    let text = format!(
        "{{{{ define \"part\" }}}}{}{{{{ end }}}}head {{{{ .Values.name }}}}\n{}\n{{{{ if .Values.enabled }}}}{}{{{{ end }}}}\n{{{{ template \"part\" }}}}|{{{{ include \"part\" . }}}}|tail",
        big('d'),
        big('a'),
        big('b')
    );
    let mut set = TemplateSet::new(test_funcs());
    set.parse("t", &text).expect("it parses");
    let whole = set
        .execute("t", &data(), &mut Ctx::default())
        .expect("it runs");
    let output = set
        .execute_pieces(
            "t",
            &data(),
            &mut Ctx::default(),
            &mut memo::Memo::new(false),
        )
        .expect("it runs");
    // The top-level node, the one inside `if` and the one of `template`; not the include's.
    assert_eq!(output.pieces.len(), 3);
    assert_eq!(output.len(), whole.len());
    assert!(output.rest.len() < whole.len() - 3 * PIECE_MIN);
    assert!(output.pieces.iter().all(|(_, t)| t.len() >= PIECE_MIN));
    assert!(output.is(&whole, &Vec::new()));
    assert!(output.is(&whole, &output.pieces));
    // A byte changed inside a piece is seen unless the pieces are known to be the same nodes.
    let mut inside = whole.clone().into_bytes();
    let at = output.pieces[1].0 + 3;
    inside[at] = b'x';
    let inside = String::from_utf8(inside).expect("ascii");
    assert!(!output.is(&inside, &Vec::new()));
    // A byte changed outside the pieces is always seen.
    let outside = whole.replacen("head demo", "head dema", 1);
    assert_ne!(outside, whole);
    assert!(!output.is(&outside, &output.pieces));
    assert!(!output.is(&whole[1..], &Vec::new()));
    let (back, pieces) = output.into_whole();
    assert_eq!(back, whole);
    assert_eq!(pieces.len(), 3);
    for (offset, piece) in &pieces {
        assert_eq!(&back[*offset..offset + piece.len()], &**piece);
    }
    // The budget counts what was left out.
    let mut ctx = Ctx::default();
    ctx.max_output_bytes = 2 * PIECE_MIN;
    let e = set
        .execute_pieces("t", &data(), &mut ctx, &mut memo::Memo::new(false))
        .expect_err("over the budget");
    assert!(e.to_string().contains("max_output_bytes"), "{e}");
}

/// `include`s remembered within a render give what executing them again would: the same
/// texts, file after file, as a render that remembers nothing — also for helpers that read
/// `.Template` (directly, through a `dict`, `toJson`, `range`, `get`, `index`), draw random
/// numbers, change their own `dict`s, or follow a change to `.Values`.
#[test]
fn remembered_includes_give_what_executing_them_again_would() {
    let text = r#"{{- define "name" }}{{ .Values.name }}-x{{ end -}}
{{- define "file" }}{{ .Template.Name }}{{ end -}}
{{- define "ctxfile" }}{{ .context.Template.Name }}{{ end -}}
{{- define "deep" }}{{ toJson (dict "a" (list (dict "b" .))) | len }}{{ end -}}
{{- define "ranged" }}{{ range $k, $v := . }}{{ if eq $k "Template" }}{{ $v.Name }}{{ end }}{{ end }}{{ end -}}
{{- define "got" }}{{ (get . "Template").Name }}{{ end -}}
{{- define "indexed" }}{{ (index . "Template").Name }}{{ end -}}
{{- define "rand" }}{{ randAlphaNum 12 }}{{ end -}}
{{- define "local" }}{{ $d := dict "n" .Values.name }}{{ $_ := set $d "m" 1 }}{{ toJson $d }}{{ end -}}
{{- define "t" -}}
{{ include "name" . }}|{{ include "file" . }}|{{ include "ctxfile" (dict "context" .) }}|{{ include "deep" . }}|{{ include "ranged" . }}|{{ include "got" . }}|{{ include "indexed" . }}|{{ include "rand" . }}|{{ include "rand" . }}|{{ include "local" . }}|{{ include "local" . }}|{{ include "name" . }}
{{- end -}}
{{- define "u" }}{{ include "name" . }}|{{ $_ := set .Values "name" "changed" }}{{ include "name" . }}{{ end -}}"#;
    let mut set = TemplateSet::new(Arc::new(crate::funcs::all()));
    set.parse("t", text).expect("it parses");
    let run = |remember: bool| {
        let values = Value::map(Map::from([("name".to_string(), Value::str("demo"))]));
        let scope = Value::map(Map::from([("Values".to_string(), values)]));
        let mut ctx = Ctx::default();
        ctx.track.on = remember;
        let mut memo = memo::Memo::new(remember);
        let mut outputs = Vec::new();
        for (file, name) in [("t", "one"), ("t", "three"), ("u", "u")] {
            if let Value::Map(m) = &scope {
                let t = Map::from([("Name".to_string(), Value::str(name))]);
                m.borrow_mut().insert("Template".into(), Value::map(t));
            }
            memo.next_file();
            let output = set
                .execute_pieces(file, &scope, &mut ctx, &mut memo)
                .expect("it runs");
            outputs.push(output.into_whole().0);
        }
        (outputs, memo.hits)
    };
    let (expected, none) = run(false);
    let (outputs, hits) = run(true);
    assert_eq!(none, 0);
    assert_eq!(outputs, expected);
    // The second file recalls what does not read `.Template` (`name` twice, `local`).
    assert!(hits >= 3, "{hits} hits");
    let first: Vec<&str> = expected[0].split('|').collect();
    let second: Vec<&str> = expected[1].split('|').collect();
    assert_eq!(first[1..3], ["one", "one"]);
    assert_eq!(second[1..3], ["three", "three"]);
    assert_ne!(first[3], second[3]);
    assert_eq!(second[4..7], ["three", "three", "three"]);
    assert_ne!(first[7], first[8]);
    assert_ne!(first[7], second[7]);
    assert_eq!(first[9], first[10]);
    assert_eq!(expected[2], "demo-x|changed-x");
}
