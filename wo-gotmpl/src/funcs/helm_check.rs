//! The functions against the real `helm`: each case is a template expression and the same call
//! made directly; one `helm template` run renders them all (as base64 of their `%v`), and every
//! direct result must print the same. Skipped, with a note, where no `helm` binary is found
//! (`WO_HELM`, else `~/.cache/wo-tools/bin/helm`).

use std::process::Command;

use super::all;
use crate::func::Ctx;
use crate::value::{Map, Value};

fn s(x: &str) -> Value {
    Value::str(x)
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

fn f(x: f64) -> Value {
    Value::Float(x)
}

fn l(items: Vec<Value>) -> Value {
    Value::list(items)
}

fn m(entries: Vec<(&str, Value)>) -> Value {
    Value::map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map>(),
    )
}

const NIL: Value = Value::Nil;

/// (template expression, function, arguments as the template gives them)
fn cases() -> Vec<(&'static str, &'static str, Vec<Value>)> {
    vec![
        (r#"nindent 2 "a\nb""#, "nindent", vec![i(2), s("a\nb")]),
        (r#"indent 3 "x\n\ny""#, "indent", vec![i(3), s("x\n\ny")]),
        (
            r#"quote "a\"b\\c" 1.5 nil true"#,
            "quote",
            vec![s("a\"b\\c"), f(1.5), NIL, Value::Bool(true)],
        ),
        (
            r#"quote "tab\there\u00e9\u00a0\u0001""#,
            "quote",
            vec![s("tab\there\u{e9}\u{a0}\u{1}")],
        ),
        (
            r#"quote (list 1 "a")"#,
            "quote",
            vec![l(vec![i(1), s("a")])],
        ),
        (
            r#"quote (dict "k" 1000000.0)"#,
            "quote",
            vec![m(vec![("k", f(1e6))])],
        ),
        (r#"squote "x" 2 nil"#, "squote", vec![s("x"), i(2), NIL]),
        (r#"default "d" """#, "default", vec![s("d"), s("")]),
        (r#"default "d" 0"#, "default", vec![s("d"), i(0)]),
        (r#"default "d" 0.0"#, "default", vec![s("d"), f(0.0)]),
        (r#"default "d" (list)"#, "default", vec![s("d"), l(vec![])]),
        (
            r#"default "d" false"#,
            "default",
            vec![s("d"), Value::Bool(false)],
        ),
        (r#"default "d" "x""#, "default", vec![s("d"), s("x")]),
        (
            r#"toString 12345678901.0"#,
            "toString",
            vec![f(12_345_678_901.0)],
        ),
        (r#"toString 0.00001"#, "toString", vec![f(0.00001)]),
        (
            r#"toString (list 1 nil "a")"#,
            "toString",
            vec![l(vec![i(1), NIL, s("a")])],
        ),
        (r#"toString nil"#, "toString", vec![NIL]),
        (r#"trunc 3 "héllo""#, "trunc", vec![i(3), s("héllo")]),
        (r#"trunc -3 "abcdef""#, "trunc", vec![i(-3), s("abcdef")]),
        (r#"trunc 0 "abc""#, "trunc", vec![i(0), s("abc")]),
        (
            r#"trimSuffix "-" "a--""#,
            "trimSuffix",
            vec![s("-"), s("a--")],
        ),
        (
            r#"trimPrefix "ab" "abab""#,
            "trimPrefix",
            vec![s("ab"), s("abab")],
        ),
        (r#"trim "\t x y \n""#, "trim", vec![s("\t x y \n")]),
        (
            r#"trimAll "ab" "abcba""#,
            "trimAll",
            vec![s("ab"), s("abcba")],
        ),
        (
            r#"list 1 "a" 1.5 nil"#,
            "list",
            vec![i(1), s("a"), f(1.5), NIL],
        ),
        (
            r#"dict "b" 1 "a" (list 2) 3 "c" "odd""#,
            "dict",
            vec![s("b"), i(1), s("a"), l(vec![i(2)]), i(3), s("c"), s("odd")],
        ),
        (
            r#"hasKey (dict "a" nil) "a""#,
            "hasKey",
            vec![m(vec![("a", NIL)]), s("a")],
        ),
        (
            r#"get (dict "a" 1) "b""#,
            "get",
            vec![m(vec![("a", i(1))]), s("b")],
        ),
        (
            r#"pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3)"#,
            "pluck",
            vec![
                s("a"),
                m(vec![("a", i(1))]),
                m(vec![("b", i(2))]),
                m(vec![("a", i(3))]),
            ],
        ),
        (
            r#"dig "a" "b" "def" (dict "a" (dict "b" 2))"#,
            "dig",
            vec![
                s("a"),
                s("b"),
                s("def"),
                m(vec![("a", m(vec![("b", i(2))]))]),
            ],
        ),
        (
            r#"dig "a" "x" "def" (dict "a" (dict "b" 2))"#,
            "dig",
            vec![
                s("a"),
                s("x"),
                s("def"),
                m(vec![("a", m(vec![("b", i(2))]))]),
            ],
        ),
        (r#"empty (dict)"#, "empty", vec![m(vec![])]),
        (r#"empty " ""#, "empty", vec![s(" ")]),
        (
            r#"has 1 (list 1.0 2)"#,
            "has",
            vec![i(1), l(vec![f(1.0), i(2)])],
        ),
        (
            r#"has "b" (splitList "," "a,b")"#,
            "has",
            vec![s("b"), Value::StrList(vec!["a".into(), "b".into()].into())],
        ),
        (
            r#"ternary "y" "n" true"#,
            "ternary",
            vec![s("y"), s("n"), Value::Bool(true)],
        ),
        (r#"b64enc "héllo wörld""#, "b64enc", vec![s("héllo wörld")]),
        (r#"b64dec "aMOpbGxv""#, "b64dec", vec![s("aMOpbGxv")]),
        (r#"b64dec "!!""#, "b64dec", vec![s("!!")]),
        (r#"sha256sum "x""#, "sha256sum", vec![s("x")]),
        (r#"sha1sum "x""#, "sha1sum", vec![s("x")]),
        (r#"sha512sum "x""#, "sha512sum", vec![s("x")]),
        (r#"adler32sum "hello""#, "adler32sum", vec![s("hello")]),
        (r#"int 1.9"#, "int", vec![f(1.9)]),
        (r#"int -1.9"#, "int", vec![f(-1.9)]),
        (r#"int "1e3""#, "int", vec![s("1e3")]),
        (r#"int "0777""#, "int", vec![s("0777")]),
        (r#"int true"#, "int", vec![Value::Bool(true)]),
        (r#"int64 "12.0""#, "int64", vec![s("12.0")]),
        (r#"float64 "1.5e3""#, "float64", vec![s("1.5e3")]),
        (r#"float64 3"#, "float64", vec![i(3)]),
        (r#"atoi "-12""#, "atoi", vec![s("-12")]),
        (
            r#"add 1 2.7 "3" nil"#,
            "add",
            vec![i(1), f(2.7), s("3"), NIL],
        ),
        (r#"add1 1.5"#, "add1", vec![f(1.5)]),
        (r#"sub 1 2.5"#, "sub", vec![i(1), f(2.5)]),
        (r#"mul 3 "4""#, "mul", vec![i(3), s("4")]),
        (r#"div 7 -2"#, "div", vec![i(7), i(-2)]),
        (r#"mod 7 -2"#, "mod", vec![i(7), i(-2)]),
        (r#"max 1 "9" 3.5"#, "max", vec![i(1), s("9"), f(3.5)]),
        (r#"min 1 -9 3.5"#, "min", vec![i(1), i(-9), f(3.5)]),
        (r#"floor -1.5"#, "floor", vec![f(-1.5)]),
        (r#"ceil 1.2"#, "ceil", vec![f(1.2)]),
        (r#"round 1.255 2"#, "round", vec![f(1.255), i(2)]),
        (r#"round -2.5 0"#, "round", vec![f(-2.5), i(0)]),
        (r#"addf 1.1 2.2"#, "addf", vec![f(1.1), f(2.2)]),
        (r#"subf 10 0.3 0.3"#, "subf", vec![i(10), f(0.3), f(0.3)]),
        (r#"mulf 0.1 0.2"#, "mulf", vec![f(0.1), f(0.2)]),
        (r#"divf 10 4"#, "divf", vec![i(10), i(4)]),
        (r#"divf 2 3"#, "divf", vec![i(2), i(3)]),
        (r#"maxf 1 2.5 "3""#, "maxf", vec![i(1), f(2.5), s("3")]),
        (r#"minf 1 2.5 -0.5"#, "minf", vec![i(1), f(2.5), f(-0.5)]),
        (r#"contains "b" "abc""#, "contains", vec![s("b"), s("abc")]),
        (r#"hasPrefix "" "abc""#, "hasPrefix", vec![s(""), s("abc")]),
        (
            r#"hasSuffix "bc" "abc""#,
            "hasSuffix",
            vec![s("bc"), s("abc")],
        ),
        (
            r#"replace "." "-" "a.b.c""#,
            "replace",
            vec![s("."), s("-"), s("a.b.c")],
        ),
        (r#"lower "ÀB""#, "lower", vec![s("ÀB")]),
        (r#"upper "àb""#, "upper", vec![s("àb")]),
        (r#"title "élan vital""#, "title", vec![s("élan vital")]),
        (
            r#"join "," (list 1 nil 2.5 "x")"#,
            "join",
            vec![s(","), l(vec![i(1), NIL, f(2.5), s("x")])],
        ),
        (r#"split "." "a.b""#, "split", vec![s("."), s("a.b")]),
        (r#"splitList "" "abc""#, "splitList", vec![s(""), s("abc")]),
        (r#"splitList "," """#, "splitList", vec![s(","), s("")]),
        (
            r#"concat (list 1) (splitList "," "a,b") (list)"#,
            "concat",
            vec![
                l(vec![i(1)]),
                Value::StrList(vec!["a".into(), "b".into()].into()),
                l(vec![]),
            ],
        ),
        (
            r#"append (list 1) (list 2)"#,
            "append",
            vec![l(vec![i(1)]), l(vec![i(2)])],
        ),
        (
            r#"prepend (list 1) 0"#,
            "prepend",
            vec![l(vec![i(1)]), i(0)],
        ),
        (r#"first (list)"#, "first", vec![l(vec![])]),
        (r#"last (list 1 2)"#, "last", vec![l(vec![i(1), i(2)])]),
        (r#"rest (list)"#, "rest", vec![l(vec![])]),
        (
            r#"initial (list 1 2 3)"#,
            "initial",
            vec![l(vec![i(1), i(2), i(3)])],
        ),
        (
            r#"uniq (list 1 "1" 1 (list 1) (list 1))"#,
            "uniq",
            vec![l(vec![i(1), s("1"), i(1), l(vec![i(1)]), l(vec![i(1)])])],
        ),
        (
            r#"without (list 1 2 3 2) 2 3"#,
            "without",
            vec![l(vec![i(1), i(2), i(3), i(2)]), i(2), i(3)],
        ),
        (
            r#"compact (list 0 "" nil false "x" (list))"#,
            "compact",
            vec![l(vec![
                i(0),
                s(""),
                NIL,
                Value::Bool(false),
                s("x"),
                l(vec![]),
            ])],
        ),
        (
            r#"reverse (list 1 2 3)"#,
            "reverse",
            vec![l(vec![i(1), i(2), i(3)])],
        ),
        (
            r#"sortAlpha (list "b" "B" "a" 1)"#,
            "sortAlpha",
            vec![l(vec![s("b"), s("B"), s("a"), i(1)])],
        ),
        (r#"sortAlpha "solo""#, "sortAlpha", vec![s("solo")]),
        (
            r#"slice (list 1 2 3 4) 1 3"#,
            "slice",
            vec![l(vec![i(1), i(2), i(3), i(4)]), i(1), i(3)],
        ),
        (
            r#"chunk 2 (list 1 2 3 4 5)"#,
            "chunk",
            vec![i(2), l(vec![i(1), i(2), i(3), i(4), i(5)])],
        ),
        // Go ranges over maps in random order: one key each.
        (
            r#"keys (dict "b" 1) (dict "a" 2)"#,
            "keys",
            vec![m(vec![("b", i(1))]), m(vec![("a", i(2))])],
        ),
        (
            r#"values (dict "b" 1)"#,
            "values",
            vec![m(vec![("b", i(1))])],
        ),
        (
            r#"pick (dict "a" 1 "b" 2) "b" "z""#,
            "pick",
            vec![m(vec![("a", i(1)), ("b", i(2))]), s("b"), s("z")],
        ),
        (
            r#"omit (dict "a" 1 "b" 2) "b""#,
            "omit",
            vec![m(vec![("a", i(1)), ("b", i(2))]), s("b")],
        ),
        (
            r#"merge (dict "a" (dict "x" 1) "l" (list 1)) (dict "a" (dict "y" 2 "x" 9) "l" (list 2) "n" nil)"#,
            "merge",
            vec![
                m(vec![("a", m(vec![("x", i(1))])), ("l", l(vec![i(1)]))]),
                m(vec![
                    ("a", m(vec![("y", i(2)), ("x", i(9))])),
                    ("l", l(vec![i(2)])),
                    ("n", NIL),
                ]),
            ],
        ),
        (
            r#"mergeOverwrite (dict "a" (dict "x" 1) "b" "keep" "z" 0) (dict "a" (dict "x" "") "b" (list) "z" nil)"#,
            "mergeOverwrite",
            vec![
                m(vec![
                    ("a", m(vec![("x", i(1))])),
                    ("b", s("keep")),
                    ("z", i(0)),
                ]),
                m(vec![
                    ("a", m(vec![("x", s(""))])),
                    ("b", l(vec![])),
                    ("z", NIL),
                ]),
            ],
        ),
        (
            r#"mergeOverwrite (dict "a" "") (dict "a" (dict "q" 1)) (dict "a" (dict "r" 2))"#,
            "mergeOverwrite",
            vec![
                m(vec![("a", s(""))]),
                m(vec![("a", m(vec![("q", i(1))]))]),
                m(vec![("a", m(vec![("r", i(2))]))]),
            ],
        ),
        (
            r#"merge (dict "a" (dict)) (dict "a" (dict))"#,
            "merge",
            vec![m(vec![("a", m(vec![]))]), m(vec![("a", m(vec![]))])],
        ),
        (
            r#"deepCopy (dict "a" (list 1 (dict "b" 2)))"#,
            "deepCopy",
            vec![m(vec![("a", l(vec![i(1), m(vec![("b", i(2))])]))])],
        ),
        (
            r#"coalesce nil "" 0 "x""#,
            "coalesce",
            vec![NIL, s(""), i(0), s("x")],
        ),
        (
            r#"all 1 "a" (list 1)"#,
            "all",
            vec![i(1), s("a"), l(vec![i(1)])],
        ),
        (r#"any 0 "" nil"#, "any", vec![i(0), s(""), NIL]),
        (r#"kindOf 1.5"#, "kindOf", vec![f(1.5)]),
        (
            r#"kindOf (splitList "," "a")"#,
            "kindOf",
            vec![Value::StrList(vec!["a".into()].into())],
        ),
        (r#"kindOf nil"#, "kindOf", vec![NIL]),
        (
            r#"kindIs "map" (dict)"#,
            "kindIs",
            vec![s("map"), m(vec![])],
        ),
        (r#"typeOf (list)"#, "typeOf", vec![l(vec![])]),
        (
            r#"typeOf (splitList "," "a")"#,
            "typeOf",
            vec![Value::StrList(vec!["a".into()].into())],
        ),
        (r#"typeOf (add 1 1)"#, "typeOf", vec![Value::Int64(2)]),
        (r#"typeIs "int" 1"#, "typeIs", vec![s("int"), i(1)]),
        (r#"typeIsLike "int" 1"#, "typeIsLike", vec![s("int"), i(1)]),
        (
            r#"regexMatch "^v?[0-9]+(\\.[0-9]+)*$" "v1.2""#,
            "regexMatch",
            vec![s("^v?[0-9]+(\\.[0-9]+)*$"), s("v1.2")],
        ),
        (
            r#"regexMatch "\\w+" "é""#,
            "regexMatch",
            vec![s("\\w+"), s("é")],
        ),
        (
            r#"regexFind "[a-z]+" "12abc34de""#,
            "regexFind",
            vec![s("[a-z]+"), s("12abc34de")],
        ),
        (
            r#"regexFindAll "[0-9]+" "a1b22c333" -1"#,
            "regexFindAll",
            vec![s("[0-9]+"), s("a1b22c333"), i(-1)],
        ),
        (
            r#"regexFindAll "x*" "axxb" -1"#,
            "regexFindAll",
            vec![s("x*"), s("axxb"), i(-1)],
        ),
        (
            r#"regexReplaceAll "(\\w+)@(\\w+)" "me@host you@there" "${2}:$1""#,
            "regexReplaceAll",
            vec![s("(\\w+)@(\\w+)"), s("me@host you@there"), s("${2}:$1")],
        ),
        (
            r#"regexReplaceAll "(?P<first>[a-z])" "ab" "<$first>""#,
            "regexReplaceAll",
            vec![s("(?P<first>[a-z])"), s("ab"), s("<$first>")],
        ),
        (
            r#"regexReplaceAll "a" "banana" "$$""#,
            "regexReplaceAll",
            vec![s("a"), s("banana"), s("$$")],
        ),
        (
            r#"regexReplaceAllLiteral "[.]" "a.b.c" "$1""#,
            "regexReplaceAllLiteral",
            vec![s("[.]"), s("a.b.c"), s("$1")],
        ),
        (
            r#"mustRegexReplaceAllLiteral "-+" "a--b" "_""#,
            "mustRegexReplaceAllLiteral",
            vec![s("-+"), s("a--b"), s("_")],
        ),
        (
            r#"regexSplit "[,;]" "a,b;c" -1"#,
            "regexSplit",
            vec![s("[,;]"), s("a,b;c"), i(-1)],
        ),
        (
            r#"regexSplit "," ",a," -1"#,
            "regexSplit",
            vec![s(","), s(",a,"), i(-1)],
        ),
        (
            r#"regexFind "{{[a-z]+}}" "x {{abc}} y""#,
            "regexFind",
            vec![s("{{[a-z]+}}"), s("x {{abc}} y")],
        ),
        (
            r#"regexFind "a{2}" "caaab""#,
            "regexFind",
            vec![s("a{2}"), s("caaab")],
        ),
        (
            r#"regexFind "a{,2}" "a{,2}""#,
            "regexFind",
            vec![s("a{,2}"), s("a{,2}")],
        ),
        (
            r#"regexMatch "^[\\w-]+\\/[\\w.-]+$" "my-org/my.repo""#,
            "regexMatch",
            vec![s(r"^[\w-]+\/[\w.-]+$"), s("my-org/my.repo")],
        ),
        (
            r#"regexReplaceAll "\\s+" "a \t\n b" " ""#,
            "regexReplaceAll",
            vec![s(r"\s+"), s("a \t\n b"), s(" ")],
        ),
        (
            r#"regexFindAll "\\bv[0-9]" "v1 av2 v3" -1"#,
            "regexFindAll",
            vec![s(r"\bv[0-9]"), s("v1 av2 v3"), i(-1)],
        ),
        (
            r#"regexMatch "^[\\w-\\.]+$" "my-master.1""#,
            "regexMatch",
            vec![s(r"^[\w-\.]+$"), s("my-master.1")],
        ),
        (
            r#"regexReplaceAll "[^a-zA-Z0-9-_.]+" "a b_c-d.e/f" "-""#,
            "regexReplaceAll",
            vec![s("[^a-zA-Z0-9-_.]+"), s("a b_c-d.e/f"), s("-")],
        ),
        (
            r#"regexReplaceAll "(-?[^a-z\\d\\-])+-?" "my_Name-1-" "-""#,
            "regexReplaceAll",
            vec![s(r"(-?[^a-z\d\-])+-?"), s("my_Name-1-"), s("-")],
        ),
        (
            r#"regexMatch "{(v[0-9])*[^}]*}}$" "{v1}}""#,
            "regexMatch",
            vec![s("{(v[0-9])*[^}]*}}$"), s("{v1}}")],
        ),
        (
            r#"regexMatch "\\$(?:__(?:env|file|vault))?{[^}]+}" "$__env{X}""#,
            "regexMatch",
            vec![s(r"\$(?:__(?:env|file|vault))?{[^}]+}"), s("$__env{X}")],
        ),
        (
            r#"regexFind "-r\\d+$|sha256:" "1.2.3-r4""#,
            "regexFind",
            vec![s(r"-r\d+$|sha256:"), s("1.2.3-r4")],
        ),
        (
            r#"regexReplaceAllLiteral "\\W" "p@ss-w0rd!" """#,
            "regexReplaceAllLiteral",
            vec![s(r"\W"), s("p@ss-w0rd!"), s("")],
        ),
        (
            r#"regexReplaceAll "^redis:\\/\\/(.*)" "redis://host:6379" "${1}""#,
            "regexReplaceAll",
            vec![s(r"^redis:\/\/(.*)"), s("redis://host:6379"), s("${1}")],
        ),
        (
            r#"semverCompare ">=1" "0.9.0""#,
            "semverCompare",
            vec![s(">=1"), s("0.9.0")],
        ),
        (
            r#"semverCompare ">= 1.33-0" "v1.30.0""#,
            "semverCompare",
            vec![s(">= 1.33-0"), s("v1.30.0")],
        ),
        (
            r#"semverCompare "<=1.10-0" "1.10.5""#,
            "semverCompare",
            vec![s("<=1.10-0"), s("1.10.5")],
        ),
        (
            r#"dateInZone "2006-01-02 15:04:05 MST -07:00" 1782000000 "America/New_York""#,
            "dateInZone",
            vec![
                s("2006-01-02 15:04:05 MST -07:00"),
                i(1_782_000_000),
                s("America/New_York"),
            ],
        ),
        (
            r#"dateInZone "2006-01-02 15:04:05 MST -07:00" 1796389148 "Europe/Paris""#,
            "dateInZone",
            vec![
                s("2006-01-02 15:04:05 MST -07:00"),
                i(1_796_389_148),
                s("Europe/Paris"),
            ],
        ),
        (
            r#"dateInZone "15:04 MST" 1796389148 "Asia/Kolkata""#,
            "dateInZone",
            vec![s("15:04 MST"), i(1_796_389_148), s("Asia/Kolkata")],
        ),
        (
            r#"dateInZone "15:04 MST" 0 "Nowhere/Else""#,
            "dateInZone",
            vec![s("15:04 MST"), i(0), s("Nowhere/Else")],
        ),
        (
            r#"toString (dict "a" (list 1.5 true nil) "b" (dict))"#,
            "toString",
            vec![m(vec![
                ("a", l(vec![f(1.5), Value::Bool(true), NIL])),
                ("b", m(vec![])),
            ])],
        ),
        (
            r#"quote 1e21 100000000.0 -0.0"#,
            "quote",
            vec![f(1e21), f(1e8), f(-0.0)],
        ),
        (r#"int 1e20"#, "int", vec![f(1e20)]),
        (
            r#"int64 "9223372036854775808""#,
            "int64",
            vec![s("9223372036854775808")],
        ),
        (
            r#"atoi "99999999999999999999""#,
            "atoi",
            vec![s("99999999999999999999")],
        ),
        (r#"float64 "inf""#, "float64", vec![s("inf")]),
        (r#"float64 "1_000.5""#, "float64", vec![s("1_000.5")]),
        (r#"int " 12""#, "int", vec![s(" 12")]),
        (r#"int "+0x1F""#, "int", vec![s("+0x1F")]),
        (r#"int "0b""#, "int", vec![s("0b")]),
        (r#"int "08""#, "int", vec![s("08")]),
        (r#"add1 "1.50""#, "add1", vec![s("1.50")]),
        (
            r#"cat 1.5 true (dict "k" "v")"#,
            "cat",
            vec![f(1.5), Value::Bool(true), m(vec![("k", s("v"))])],
        ),
        (
            r#"join ", " (list 1e6 0.5 true)"#,
            "join",
            vec![s(", "), l(vec![f(1e6), f(0.5), Value::Bool(true)])],
        ),
        (
            r#"squote (list "a" 1)"#,
            "squote",
            vec![l(vec![s("a"), i(1)])],
        ),
        (r#"toStrings "x""#, "toStrings", vec![s("x")]),
        (r#"nindent 0 """#, "nindent", vec![i(0), s("")]),
        (r#"indent 2 "a\r\nb""#, "indent", vec![i(2), s("a\r\nb")]),
        (
            r#"title "hello_world foo.bar o'neil""#,
            "title",
            vec![s("hello_world foo.bar o'neil")],
        ),
        (
            r#"swapcase "hello ǅ world""#,
            "swapcase",
            vec![s("hello ǅ world")],
        ),
        (r#"b64dec "YQ""#, "b64dec", vec![s("YQ")]),
        (r#"b64dec "YQ=""#, "b64dec", vec![s("YQ=")]),
        (r#"b64dec "YQ==YQ==""#, "b64dec", vec![s("YQ==YQ==")]),
        (r#"b64dec "Y===""#, "b64dec", vec![s("Y===")]),
        (
            r#"quote "\u2028\u200b\ufeff""#,
            "quote",
            vec![s("\u{2028}\u{200b}\u{feff}")],
        ),
        (
            r#"regexQuoteMeta "a.b*c""#,
            "regexQuoteMeta",
            vec![s("a.b*c")],
        ),
        (
            r#"semverCompare ">=1.16-0" "1.30.0""#,
            "semverCompare",
            vec![s(">=1.16-0"), s("1.30.0")],
        ),
        (
            r#"semverCompare "<1.19-0" "v1.18.3-eks-123""#,
            "semverCompare",
            vec![s("<1.19-0"), s("v1.18.3-eks-123")],
        ),
        (
            r#"semverCompare ">=1.21.0" "1.21.0-rc.1""#,
            "semverCompare",
            vec![s(">=1.21.0"), s("1.21.0-rc.1")],
        ),
        (
            r#"semverCompare "~1.2" "1.2.9""#,
            "semverCompare",
            vec![s("~1.2"), s("1.2.9")],
        ),
        (
            r#"semverCompare "^0.0.3" "0.0.4""#,
            "semverCompare",
            vec![s("^0.0.3"), s("0.0.4")],
        ),
        (
            r#"semverCompare "1.x || >=2.5.0 <3" "2.6.1""#,
            "semverCompare",
            vec![s("1.x || >=2.5.0 <3"), s("2.6.1")],
        ),
        (
            r#"semverCompare "> 1.2.x" "1.3.0""#,
            "semverCompare",
            vec![s("> 1.2.x"), s("1.3.0")],
        ),
        (
            r#"semverCompare "<= 1.2.x" "1.2.9""#,
            "semverCompare",
            vec![s("<= 1.2.x"), s("1.2.9")],
        ),
        (
            r#"semverCompare "!=1.2.x" "1.3.0""#,
            "semverCompare",
            vec![s("!=1.2.x"), s("1.3.0")],
        ),
        (
            r#"semver "1.2.3-beta.1+build""#,
            "semver",
            vec![s("1.2.3-beta.1+build")],
        ),
        (r#"semver "v2""#, "semver", vec![s("v2")]),
        (r#"until 3"#, "until", vec![i(3)]),
        (
            r#"untilStep 10 0 -3"#,
            "untilStep",
            vec![i(10), i(0), i(-3)],
        ),
        (r#"seq 2 -1"#, "seq", vec![i(2), i(-1)]),
        (r#"seq 1 3 9"#, "seq", vec![i(1), i(3), i(9)]),
        (
            r#"cat "a" nil 1 (list 2)"#,
            "cat",
            vec![s("a"), NIL, i(1), l(vec![i(2)])],
        ),
        (
            r#"substr 1 3 "hello""#,
            "substr",
            vec![i(1), i(3), s("hello")],
        ),
        (
            r#"substr 2 99 "hello""#,
            "substr",
            vec![i(2), i(99), s("hello")],
        ),
        (r#"repeat 3 "ab""#, "repeat", vec![i(3), s("ab")]),
        (
            r#"toStrings (list 1 nil "a" 2.5)"#,
            "toStrings",
            vec![l(vec![i(1), NIL, s("a"), f(2.5)])],
        ),
        (
            r#"camelcase "foo_bar-baz qux""#,
            "camelcase",
            vec![s("foo_bar-baz qux")],
        ),
        (
            r#"snakecase "FooBarHTTP2Go""#,
            "snakecase",
            vec![s("FooBarHTTP2Go")],
        ),
        (
            r#"kebabcase "fooBar_baz""#,
            "kebabcase",
            vec![s("fooBar_baz")],
        ),
        (
            r#"swapcase "Hello World""#,
            "swapcase",
            vec![s("Hello World")],
        ),
        (
            r#"wrap 10 "The quick brown fox jumps over""#,
            "wrap",
            vec![i(10), s("The quick brown fox jumps over")],
        ),
        (
            r#"wrapWith 5 "|" "Hello wonderful world""#,
            "wrapWith",
            vec![i(5), s("|"), s("Hello wonderful world")],
        ),
        (
            r#"plural "file" "files" 2"#,
            "plural",
            vec![s("file"), s("files"), i(2)],
        ),
        (
            r#"abbrev 6 "abcdefghij""#,
            "abbrev",
            vec![i(6), s("abcdefghij")],
        ),
        (
            r#"abbrevboth 7 12 "abcdefghijklmnopqrstuvwxyz""#,
            "abbrevboth",
            vec![i(7), i(12), s("abcdefghijklmnopqrstuvwxyz")],
        ),
        (r#"nospace " a b ""#, "nospace", vec![s(" a b ")]),
        (
            r#"initials "First Second third""#,
            "initials",
            vec![s("First Second third")],
        ),
        (r#"untitle "Hello""#, "untitle", vec![s("Hello")]),
        (r#"b32enc "hello""#, "b32enc", vec![s("hello")]),
        (r#"b32dec "NBSWY3DP""#, "b32dec", vec![s("NBSWY3DP")]),
        (r#"base "a/b/""#, "base", vec![s("a/b/")]),
        (r#"dir "/a""#, "dir", vec![s("/a")]),
        (r#"clean "/../a/./b/..""#, "clean", vec![s("/../a/./b/..")]),
        (r#"ext "a/b.c/d""#, "ext", vec![s("a/b.c/d")]),
        (r#"isAbs "a/b""#, "isAbs", vec![s("a/b")]),
        (r#"osBase "x/y.z""#, "osBase", vec![s("x/y.z")]),
        (
            r#"urlParse "http://h.example/p?q=1""#,
            "urlParse",
            vec![s("http://h.example/p?q=1")],
        ),
        (
            r#"urlJoin (dict "host" "h" "path" "p" "scheme" "s3")"#,
            "urlJoin",
            vec![m(vec![
                ("host", s("h")),
                ("path", s("p")),
                ("scheme", s("s3")),
            ])],
        ),
        (r#"toDecimal "0644""#, "toDecimal", vec![s("0644")]),
        (
            r#"dateInZone "Jan 2, 2006 at 3:04pm (MST)" 0 "UTC""#,
            "dateInZone",
            vec![s("Jan 2, 2006 at 3:04pm (MST)"), i(0), s("UTC")],
        ),
        (
            r#"date "2006-01-02T15:04:05.000Z07:00" 1700000000"#,
            "date",
            vec![s("2006-01-02T15:04:05.000Z07:00"), i(1_700_000_000)],
        ),
        (
            r#"toDate "02/01/2006 15:04" "29/02/2024 13:45""#,
            "toDate",
            vec![s("02/01/2006 15:04"), s("29/02/2024 13:45")],
        ),
        (r#"duration 3725"#, "duration", vec![i(3725)]),
        (r#"durationRound "49h""#, "durationRound", vec![s("49h")]),
        (r#"required "msg" "v""#, "required", vec![s("msg"), s("v")]),
        (
            r#"lookup "v1" "Secret" "ns" "name""#,
            "lookup",
            vec![s("v1"), s("Secret"), s("ns"), s("name")],
        ),
        (
            r#"deepEqual (list 1 (dict "a" 1)) (list 1 (dict "a" 1))"#,
            "deepEqual",
            vec![
                l(vec![i(1), m(vec![("a", i(1))])]),
                l(vec![i(1), m(vec![("a", i(1))])]),
            ],
        ),
        (
            r#"mustFirst (list "z")"#,
            "mustFirst",
            vec![l(vec![s("z")])],
        ),
        (r#"tuple 1 "a""#, "tuple", vec![i(1), s("a")]),
        (
            r#"set (dict "a" 1) "b" 2"#,
            "set",
            vec![m(vec![("a", i(1))]), s("b"), i(2)],
        ),
        (
            r#"unset (dict "a" 1 "b" 2) "a""#,
            "unset",
            vec![m(vec![("a", i(1)), ("b", i(2))]), s("a")],
        ),
        (
            r#"first (list "x" "y")"#,
            "first",
            vec![l(vec![s("x"), s("y")])],
        ),
    ]
}

#[test]
fn functions_print_what_helm_prints() {
    let Some(helm) = crate::test_helm::helm() else {
        eprintln!("note: no helm binary (WO_HELM or ~/.cache/wo-tools/bin/helm); the helm comparison is skipped");
        return;
    };
    let cases = cases();
    let dir = std::env::temp_dir().join(format!("wo-funcs-helm-check-{}", std::process::id()));
    let chart = dir.join("t");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: t\nversion: 0.1.0\n",
    )
    .unwrap();
    let mut template = String::from("cases:\n");
    for (n, (expr, _, _)) in cases.iter().enumerate() {
        template.push_str(&format!("  c{n}: \"{{{{ print ({expr}) | b64enc }}}}\"\n"));
    }
    std::fs::write(chart.join("templates/cases.yaml"), template).unwrap();
    let output = Command::new(&helm)
        .args(["template", "t"])
        .arg(&chart)
        .output()
        .expect("helm runs");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        output.status.success(),
        "helm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let funcs = all();
    let mut mismatches = Vec::new();
    for (n, (expr, name, args)) in cases.iter().enumerate() {
        let prefix = format!("  c{n}: \"");
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("case {n} is in helm's output"));
        let encoded = &line[prefix.len()..line.len() - 1];
        let bytes = super::crypto::base64_decode(encoded).unwrap();
        let expected = String::from_utf8(bytes).unwrap();
        let def = funcs.get(name).unwrap_or_else(|| panic!("{name} exists"));
        let got = match (def.f)(&mut Ctx::default(), args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        };
        if got != expected {
            mismatches.push(format!("{expr}\n    helm: {expected:?}\n    ours: {got:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
    eprintln!("{} expressions print as helm prints them", cases.len());
}

/// (template expression, function, arguments): calls that fail in Go.
fn failing_cases() -> Vec<(&'static str, &'static str, Vec<Value>)> {
    vec![
        (r#"first "x""#, "first", vec![s("x")]),
        (r#"append nil 1"#, "append", vec![NIL, i(1)]),
        (
            r#"concat (list 1) "x""#,
            "concat",
            vec![l(vec![i(1)]), s("x")],
        ),
        (r#"div 1 0"#, "div", vec![i(1), i(0)]),
        (r#"mod 1 0"#, "mod", vec![i(1), i(0)]),
        (r#"substr 5 9 "abc""#, "substr", vec![i(5), i(9), s("abc")]),
        (
            r#"substr -1 9 "abc""#,
            "substr",
            vec![i(-1), i(9), s("abc")],
        ),
        (r#"substr 2 1 "abc""#, "substr", vec![i(2), i(1), s("abc")]),
        (r#"repeat -1 "x""#, "repeat", vec![i(-1), s("x")]),
        (r#"indent -1 "x""#, "indent", vec![i(-1), s("x")]),
        // Values, not constants: the executor refuses constants itself, from the parse tree.
        (
            r#"trimSuffix "-" (len "x")"#,
            "trimSuffix",
            vec![s("-"), i(1)],
        ),
        (
            r#"trunc (sub 3 1) "abc""#,
            "trunc",
            vec![Value::Int64(2), s("abc")],
        ),
        (
            r#"ternary 1 2 (toString "x")"#,
            "ternary",
            vec![i(1), i(2), s("x")],
        ),
        (
            r#"hasKey (toString "x") "y""#,
            "hasKey",
            vec![s("x"), s("y")],
        ),
        (r#"get (list) "x""#, "get", vec![l(vec![]), s("x")]),
        (
            r#"mustRegexMatch "(" "x""#,
            "mustRegexMatch",
            vec![s("("), s("x")],
        ),
        (r#"regexFind "a[" "x""#, "regexFind", vec![s("a["), s("x")]),
        (
            r#"semverCompare ">=1" "x.y""#,
            "semverCompare",
            vec![s(">=1"), s("x.y")],
        ),
        (
            r#"semverCompare "foo" "1.0.0""#,
            "semverCompare",
            vec![s("foo"), s("1.0.0")],
        ),
        (r#"semver "1.2.3-01""#, "semver", vec![s("1.2.3-01")]),
        (
            r#"dig "a" "b" "d" (dict "a" 1)"#,
            "dig",
            vec![s("a"), s("b"), s("d"), m(vec![("a", i(1))])],
        ),
        (
            r#"mustToDate "2006" "x""#,
            "mustToDate",
            vec![s("2006"), s("x")],
        ),
        (
            r#"genSelfSignedCert "x" (list "bad") nil 1"#,
            "genSelfSignedCert",
            vec![s("x"), l(vec![s("bad")]), NIL, i(1)],
        ),
        (
            r#"slice (list 1 2) 3"#,
            "slice",
            vec![l(vec![i(1), i(2)]), i(3)],
        ),
        (r#"mustFirst "x""#, "mustFirst", vec![s("x")]),
        (r#"urlParse "%zz""#, "urlParse", vec![s("%zz")]),
        (
            r#"decryptAES "k" "abc""#,
            "decryptAES",
            vec![s("k"), s("abc")],
        ),
        (
            r#"buildCustomCert "!!" "x""#,
            "buildCustomCert",
            vec![s("!!"), s("x")],
        ),
        (r#"until (float64 1.5)"#, "until", vec![f(1.5)]),
        (
            r#"merge (dict) (toString "x")"#,
            "merge",
            vec![m(vec![]), s("x")],
        ),
    ]
}

/// The error text of a failed render: what follows `error calling NAME: `, or the argument
/// refusal after `at <…>: `.
fn helm_error(stderr: &str, name: &str) -> String {
    let first = stderr.lines().next().unwrap_or_default();
    let marker = format!("error calling {name}: ");
    if let Some(i) = first.find(&marker) {
        return first[i + marker.len()..].to_string();
    }
    // An argument refusal: `Error: FILE:L:C`, `  executing "…" at <ARG>:`, `    TEXT`.
    stderr.lines().nth(2).unwrap_or(first).trim().to_string()
}

#[test]
fn functions_fail_as_helm_fails() {
    let Some(helm) = crate::test_helm::helm() else {
        eprintln!("note: no helm binary (WO_HELM or ~/.cache/wo-tools/bin/helm); the helm comparison is skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!("wo-funcs-helm-fail-{}", std::process::id()));
    let chart = dir.join("t");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: t\nversion: 0.1.0\n",
    )
    .unwrap();
    let funcs = all();
    let mut mismatches = Vec::new();
    let cases = failing_cases();
    for (expr, name, args) in &cases {
        std::fs::write(
            chart.join("templates/e.yaml"),
            format!("v: {{{{ {expr} }}}}\n"),
        )
        .unwrap();
        let output = Command::new(&helm)
            .args(["template", "t"])
            .arg(&chart)
            .output()
            .expect("helm runs");
        assert!(!output.status.success(), "{expr} fails in helm");
        let expected = helm_error(&String::from_utf8_lossy(&output.stderr), name);
        let got = match (funcs.get(name).unwrap().f)(&mut Ctx::default(), args) {
            Ok(v) => format!("no error: {v}"),
            Err(e) => e,
        };
        if got != expected {
            mismatches.push(format!("{expr}\n    helm: {expected:?}\n    ours: {got:?}"));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
