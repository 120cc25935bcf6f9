//! Table tests: each function on the arguments a template would give it, against the result Go
//! gives (checked with `helm template`).

use super::*;
use crate::value::Map;

fn call(name: &str, args: &[Value]) -> FuncResult {
    let funcs = all();
    let def = funcs
        .get(name)
        .unwrap_or_else(|| panic!("no function {name}"));
    assert!(args.len() >= def.min_args, "{name}: too few args");
    if let Some(max) = def.max_args {
        assert!(args.len() <= max, "{name}: too many args");
    }
    (def.f)(&mut Ctx::default(), args)
}

/// `%v` of the result, as `{{ … }}` prints it.
fn out(name: &str, args: &[Value]) -> String {
    match call(name, args) {
        Ok(v) => v.to_string(),
        Err(e) => format!("ERR {e}"),
    }
}

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

fn m(entries: &[(&str, Value)]) -> Value {
    Value::map(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<Map>(),
    )
}

#[test]
fn the_tables_hold_sprig_and_helm() {
    let sprig = sprig();
    assert!(sprig.get("env").is_none() && sprig.get("expandenv").is_none());
    for name in [
        "nindent",
        "toString",
        "mergeOverwrite",
        "semverCompare",
        "uuidv4",
    ] {
        assert!(sprig.get(name).is_some(), "{name}");
    }
    let all = all();
    assert!(all.get("required").is_some() && all.get("lookup").is_some());
}

#[test]
fn strings_behave_as_in_go() {
    assert_eq!(out("nindent", &[i(4), s("a\nb")]), "\n    a\n    b");
    assert_eq!(out("indent", &[i(2), s("")]), "  ");
    assert_eq!(out("indent", &[i(2), s("a\n\nb\n")]), "  a\n  \n  b\n  ");
    assert_eq!(out("nindent", &[i(1), s("\né")]), "\n \n é");
    assert_eq!(
        out("quote", &[s("a\"b"), Value::Nil, i(3)]),
        "\"a\\\"b\" \"3\""
    );
    assert_eq!(out("quote", &[Value::Nil]), "");
    assert_eq!(out("squote", &[f(1e6)]), "'1e+06'");
    assert_eq!(out("trunc", &[i(3), s("abcdef")]), "abc");
    assert_eq!(out("trunc", &[i(-2), s("abcdef")]), "ef");
    assert_eq!(out("trunc", &[i(-9), s("abc")]), "abc");
    assert_eq!(
        out("trunc", &[f(3.0), s("abc")]),
        "ERR wrong type for value; expected int; got float64"
    );
    assert_eq!(
        out("trimSuffix", &[s("-"), Value::Nil]),
        "ERR wrong type for value; expected string; got interface {}"
    );
    assert_eq!(out("trimSuffix", &[s("-"), s("a-b-")]), "a-b");
    assert_eq!(out("trimAll", &[s("$-"), s("$-a$b-$")]), "a$b");
    assert_eq!(out("trim", &[s("\u{a0} x \n")]), "x");
    assert_eq!(
        out("title", &[s("hello wORLD-foo_bar")]),
        "Hello WORLD-Foo_bar"
    );
    assert_eq!(out("upper", &[s("straße")]), "STRAßE");
    assert_eq!(out("substr", &[i(1), i(3), s("abcdef")]), "bc");
    assert_eq!(out("substr", &[i(-1), i(3), s("abcdef")]), "abc");
    assert_eq!(out("substr", &[i(2), i(-1), s("abcdef")]), "cdef");
    assert_eq!(
        out("substr", &[i(-1), i(9), s("abc")]),
        "ERR runtime error: slice bounds out of range [:9] with length 3"
    );
    assert_eq!(out("repeat", &[i(3), s("ab")]), "ababab");
    assert_eq!(out("replace", &[s("a"), s("b"), s("banana")]), "bbnbnb");
    assert_eq!(out("replace", &[s(""), s("-"), s("ab")]), "-a-b-");
    assert_eq!(out("cat", &[s("a"), Value::Nil, i(2), f(1.5)]), "a 2 1.5");
    assert_eq!(out("toString", &[Value::Nil]), "<nil>");
    assert_eq!(out("toString", &[f(12_345_678_901.0)]), "1.2345678901e+10");
    assert_eq!(out("splitList", &[s(","), s("a,b,,c")]), "[a b  c]");
    assert_eq!(out("split", &[s("/"), s("a/b")]), "map[_0:a _1:b]");
    assert_eq!(
        out("splitn", &[s("/"), i(2), s("a/b/c")]),
        "map[_0:a _1:b/c]"
    );
    assert_eq!(
        out("join", &[s("-"), l(vec![i(1), Value::Nil, s("x")])]),
        "1-x"
    );
    assert_eq!(out("join", &[s("-"), s("solo")]), "solo");
    assert_eq!(out("contains", &[s("ell"), s("hello")]), "true");
    assert_eq!(out("hasPrefix", &[s("he"), s("hello")]), "true");
    assert_eq!(out("atoi", &[s("42")]), "42");
    assert_eq!(out("atoi", &[s("4x")]), "0");
    assert_eq!(out("nospace", &[s(" a b\tc ")]), "abc");
    assert_eq!(out("initials", &[s("hello big world")]), "hbw");
    assert_eq!(out("swapcase", &[s("This Is A.Test")]), "tHIS iS a.tEST");
    assert_eq!(out("abbrev", &[i(5), s("hello world")]), "he...");
    assert_eq!(
        out("abbrevboth", &[i(5), i(10), s("1234 5678 9123")]),
        "...5678..."
    );
    assert_eq!(out("wrap", &[i(5), s("Hello World")]), "Hello\nWorld");
    assert_eq!(
        out("wrapWith", &[i(5), s("\t"), s("Hello World")]),
        "Hello\tWorld"
    );
    assert_eq!(out("plural", &[s("one"), s("many"), i(1)]), "one");
    assert_eq!(out("untitle", &[s("Hello")]), "hello");
    let strs = call("toStrings", &[l(vec![i(1), s("a"), Value::Nil])]).unwrap();
    assert_eq!(strs.type_name(), "[]string");
    assert_eq!(strs.to_string(), "[1 a]");
}

#[test]
fn lists_behave_as_in_go() {
    let abc = l(vec![s("a"), s("b"), s("c")]);
    assert_eq!(out("list", &[i(1), s("a")]), "[1 a]");
    assert_eq!(out("append", &[abc.clone(), s("d")]), "[a b c d]");
    assert_eq!(out("prepend", &[abc.clone(), s("z")]), "[z a b c]");
    assert_eq!(out("first", std::slice::from_ref(&abc)), "a");
    assert_eq!(out("last", std::slice::from_ref(&abc)), "c");
    assert_eq!(out("rest", std::slice::from_ref(&abc)), "[b c]");
    assert_eq!(out("initial", std::slice::from_ref(&abc)), "[a b]");
    assert_eq!(out("reverse", std::slice::from_ref(&abc)), "[c b a]");
    assert_eq!(out("first", &[l(vec![])]), "<nil>");
    assert_eq!(
        out("first", &[s("x")]),
        "ERR Cannot find first on type string"
    );
    assert_eq!(
        out("append", &[Value::Nil, i(1)]),
        "ERR runtime error: invalid memory address or nil pointer dereference"
    );
    assert_eq!(
        out("uniq", &[l(vec![i(1), i(1), f(1.0), s("1")])]),
        "[1 1 1]"
    );
    assert_eq!(out("without", &[abc.clone(), s("b")]), "[a c]");
    assert_eq!(out("has", &[s("b"), abc.clone()]), "true");
    assert_eq!(out("has", &[i(1), l(vec![f(1.0)])]), "false");
    assert_eq!(out("has", &[i(1), Value::Nil]), "false");
    assert_eq!(out("slice", &[abc.clone(), i(1)]), "[b c]");
    assert_eq!(out("slice", &[abc.clone(), i(1), i(2)]), "[b]");
    assert_eq!(
        out(
            "concat",
            &[abc.clone(), Value::StrList(vec!["x".to_string()].into())]
        ),
        "[a b c x]"
    );
    assert_eq!(
        out("concat", &[s("x")]),
        "ERR Cannot concat type string as list"
    );
    assert_eq!(out("chunk", &[i(2), abc.clone()]), "[[a b] [c]]");
    assert_eq!(
        out("compact", &[l(vec![s(""), i(0), s("a"), Value::Nil])]),
        "[a]"
    );
    assert_eq!(
        out("sortAlpha", &[l(vec![s("b"), i(10), s("a")])]),
        "[10 a b]"
    );
    assert_eq!(out("until", &[i(3)]), "[0 1 2]");
    assert_eq!(out("until", &[i(-2)]), "[0 -1]");
    assert_eq!(out("untilStep", &[i(0), i(10), i(4)]), "[0 4 8]");
    assert_eq!(out("seq", &[i(3)]), "1 2 3");
    assert_eq!(out("seq", &[i(5), i(3)]), "5 4 3");
    assert_eq!(out("seq", &[i(0), i(2), i(5)]), "0 2 4");
    assert_eq!(out("seq", &[i(0)]), "1 0");
}

#[test]
fn dicts_are_shared_and_merged_as_mergo_does() {
    let d = call("dict", &[s("a"), i(1), i(2), s("b"), s("odd")]).unwrap();
    assert_eq!(d.to_string(), "map[2:b a:1 odd:]");
    call("set", &[d.clone(), s("c"), f(1.5)]).unwrap();
    call("unset", &[d.clone(), s("a")]).unwrap();
    assert_eq!(
        d.to_string(),
        "map[2:b c:1.5 odd:]",
        "set/unset change the map itself"
    );
    assert_eq!(out("hasKey", &[d.clone(), s("c")]), "true");
    assert_eq!(out("get", &[d.clone(), s("zz")]), "");
    assert_eq!(out("keys", std::slice::from_ref(&d)), "[2 c odd]");
    assert_eq!(out("pick", &[d.clone(), s("c"), s("x")]), "map[c:1.5]");
    assert_eq!(out("omit", &[d.clone(), s("c")]), "map[2:b odd:]");
    assert_eq!(
        out(
            "pluck",
            &[
                s("a"),
                m(&[("a", i(1))]),
                m(&[("b", i(2))]),
                m(&[("a", i(3))])
            ]
        ),
        "[1 3]"
    );

    let dst = m(&[
        ("keep", s("dst")),
        ("empty", s("")),
        ("list", l(vec![i(1)])),
        ("nested", m(&[("x", i(1)), ("y", s(""))])),
        ("scalar", s("s")),
    ]);
    let src = m(&[
        ("keep", s("src")),
        ("empty", s("filled")),
        ("list", l(vec![i(2)])),
        ("nested", m(&[("y", s("new")), ("z", Value::Bool(true))])),
        ("scalar", m(&[("a", i(1))])),
        ("nil", Value::Nil),
        ("added", l(vec![])),
    ]);
    let merged = call("merge", &[dst.clone(), src.clone()]).unwrap();
    assert_eq!(
        merged.to_string(),
        "map[added:[] empty:filled keep:dst list:[1] nested:map[x:1 y:new z:true] scalar:s]"
    );
    assert_eq!(
        dst.to_string(),
        merged.to_string(),
        "merge changes its first map"
    );

    let dst = m(&[
        ("keep", s("dst")),
        ("list", l(vec![i(1)])),
        ("nested", m(&[("x", i(1))])),
        ("gone", s("x")),
    ]);
    let src = m(&[
        ("keep", s("")),
        ("list", l(vec![])),
        ("nested", m(&[("x", Value::Bool(false))])),
        ("gone", Value::Nil),
    ]);
    assert_eq!(
        out("mergeOverwrite", &[dst, src]),
        "map[gone:<nil> keep: list:[] nested:map[x:false]]"
    );

    let deep = m(&[("a", m(&[("b", i(1))]))]);
    let copy = call("deepCopy", std::slice::from_ref(&deep)).unwrap();
    if let Value::Map(inner) = &deep {
        inner.borrow_mut().insert("c".into(), i(2));
    }
    assert_eq!(copy.to_string(), "map[a:map[b:1]]");
    assert_eq!(out("dig", &[s("a"), s("b"), s("def"), deep.clone()]), "1");
    assert_eq!(out("dig", &[s("a"), s("x"), s("def"), deep.clone()]), "def");
    assert_eq!(
        out("dig", &[s("c"), s("x"), s("def"), deep]),
        "ERR interface conversion: interface {} is int, not map[string]interface {}"
    );
}

#[test]
fn math_uses_cast_and_go_types() {
    let add = call("add", &[i(1), f(2.9), s("3")]).unwrap();
    assert_eq!(add.type_name(), "int64");
    assert_eq!(add.to_string(), "6");
    assert_eq!(out("add1", &[s("abc")]), "1");
    assert_eq!(out("sub", &[i(5), i(7)]), "-2");
    assert_eq!(out("mul", &[i(2), i(3), i(4)]), "24");
    assert_eq!(out("div", &[i(7), i(2)]), "3");
    assert_eq!(out("div", &[i(-7), i(2)]), "-3");
    assert_eq!(out("mod", &[i(-7), i(3)]), "-1");
    assert_eq!(
        out("div", &[i(1), i(0)]),
        "ERR runtime error: integer divide by zero"
    );
    assert_eq!(out("max", &[i(1), f(5.5), i(3)]), "5");
    assert_eq!(out("min", &[i(1), f(-5.5), i(3)]), "-5");
    assert_eq!(out("floor", &[f(1.5)]), "1");
    assert_eq!(out("ceil", &[s("1.2")]), "2");
    assert_eq!(out("round", &[f(1.23456), i(2)]), "1.23");
    assert_eq!(out("round", &[f(2.5), i(0)]), "3");
    assert_eq!(call("int", &[f(1.9)]).unwrap().type_name(), "int");
    assert_eq!(out("int", &[s("0x10")]), "16");
    assert_eq!(out("int64", &[s("12.00")]), "12");
    assert_eq!(out("float64", &[s("1e3")]), "1000");
    assert_eq!(out("addf", &[f(0.1), f(0.2)]), "0.3");
    assert_eq!(out("subf", &[f(1.0), f(0.9)]), "0.1");
    assert_eq!(out("mulf", &[f(1.1), i(3)]), "3.3");
    assert_eq!(out("divf", &[i(1), i(3)]), "0.3333333333333333");
    assert_eq!(out("maxf", &[i(1), f(2.5)]), "2.5");
    assert_eq!(out("toDecimal", &[s("0777")]), "511");
}

#[test]
fn defaults_and_types_follow_sprig() {
    assert_eq!(out("default", &[s("d"), Value::Nil]), "d");
    assert_eq!(out("default", &[s("d")]), "d");
    assert_eq!(out("default", &[s("d"), f(0.0)]), "d");
    assert_eq!(out("default", &[s("d"), Value::Bool(false)]), "d");
    assert_eq!(out("default", &[s("d"), s("x")]), "x");
    assert_eq!(out("empty", &[m(&[])]), "true");
    assert_eq!(out("coalesce", &[Value::Nil, s(""), i(3)]), "3");
    assert_eq!(out("coalesce", &[Value::Nil]), "<nil>");
    assert_eq!(out("ternary", &[s("a"), s("b"), Value::Bool(false)]), "b");
    assert_eq!(
        out("ternary", &[s("a"), s("b"), Value::Nil]),
        "ERR wrong type for value; expected bool; got interface {}"
    );
    assert_eq!(out("typeOf", &[f(1.0)]), "float64");
    assert_eq!(out("typeOf", &[Value::Nil]), "<nil>");
    assert_eq!(out("kindOf", &[l(vec![])]), "slice");
    assert_eq!(out("kindIs", &[s("invalid"), Value::Nil]), "true");
    assert_eq!(out("typeIs", &[s("int"), i(1)]), "true");
    assert_eq!(out("typeIsLike", &[s("string"), s("x")]), "true");
    assert_eq!(out("deepEqual", &[l(vec![i(1)]), l(vec![i(1)])]), "true");
    let fail = call("fail", &[s("boom")]).unwrap_err();
    assert_eq!(
        fail, "HELM_ERR_STARTboomHELM_ERR_END",
        "Helm's fail wins in all()"
    );
    assert_eq!(
        call("required", &[s("need x"), s("")]).unwrap_err(),
        "HELM_ERR_STARTneed xHELM_ERR_END"
    );
    assert_eq!(out("required", &[s("need x"), i(0)]), "0");
    assert_eq!(
        out("lookup", &[s("v1"), s("Secret"), s("ns"), s("n")]),
        "map[]"
    );
    assert!(is_argument_error(
        "wrong type for value; expected int; got float64"
    ));
}

#[test]
fn regexes_follow_go_regexp() {
    assert_eq!(out("regexMatch", &[s("^[a-z]+\\d$"), s("abc1")]), "true");
    assert_eq!(
        out("regexMatch", &[s("\\d"), s("٣")]),
        "false",
        "\\d is ASCII in Go"
    );
    assert_eq!(out("regexMatch", &[s("("), s("x")]), "false");
    assert_eq!(
        out("mustRegexMatch", &[s("("), s("x")]),
        "ERR error parsing regexp: missing closing ): `(`"
    );
    assert_eq!(out("regexFind", &[s("[0-9]+"), s("ab12cd34")]), "12");
    assert_eq!(
        out("regexFindAll", &[s("[0-9]"), s("a1b2c3"), i(2)]),
        "[1 2]"
    );
    assert_eq!(
        out("regexFindAll", &[s("a*"), s("baaab"), i(-1)]),
        "[ aaa ]"
    );
    assert_eq!(
        out(
            "regexReplaceAll",
            &[s("a(x*)b"), s("-ab-axxb-"), s("${1}W")]
        ),
        "-W-xxW-"
    );
    assert_eq!(
        out("regexReplaceAll", &[s("a(x*)b"), s("-ab-axxb-"), s("$1W")]),
        "---"
    );
    assert_eq!(
        out(
            "regexReplaceAllLiteral",
            &[s("a(x*)b"), s("-ab-axxb-"), s("$1")]
        ),
        "-$1-$1-"
    );
    assert_eq!(out("regexSplit", &[s("z+"), s("pizza"), i(-1)]), "[pi a]");
    assert_eq!(out("regexSplit", &[s(""), s("abc"), i(-1)]), "[a b c]");
    assert_eq!(out("regexSplit", &[s("a"), s("banana"), i(2)]), "[b nana]");
    assert_eq!(out("regexQuoteMeta", &[s("1.2")]), "1\\.2");
}

#[test]
fn semver_constraints_follow_masterminds() {
    let cmp = |c: &str, v: &str| out("semverCompare", &[s(c), s(v)]);
    assert_eq!(cmp(">=1.21.0-0", "1.30.0"), "true");
    assert_eq!(cmp(">=1.21.0-0", "v1.30.0-gke.100"), "true");
    assert_eq!(cmp(">=1.21.0", "1.30.0-rc.1"), "false");
    assert_eq!(cmp("<1.19-0", "1.30.0"), "false");
    assert_eq!(cmp("^1.2.3", "1.9.0"), "true");
    assert_eq!(cmp("^0.2.3", "0.3.0"), "false");
    assert_eq!(cmp("~1.2.3", "1.2.9"), "true");
    assert_eq!(cmp("~1.2.3", "1.3.0"), "false");
    assert_eq!(cmp("1.2.x", "1.2.7"), "true");
    assert_eq!(cmp(">1.2, <2 || =3.0.0", "3.0.0"), "true");
    assert_eq!(cmp(">= 1.2 <= 1.4", "1.5.0"), "false");
    assert_eq!(cmp("1.1 - 1.3", "1.3.5"), "true");
    assert_eq!(cmp("!=1.2.3", "1.2.3"), "false");
    assert_eq!(cmp(">=1.2", "junk"), "ERR invalid semantic version");
    assert_eq!(cmp("foo", "1.0.0"), "ERR improper constraint: foo");
    let v = call("semver", &[s("v1.2.3-rc.1+b5")]).unwrap();
    assert_eq!(v.type_name(), "*semver.Version");
    assert_eq!(v.to_string(), "1.2.3-rc.1+b5");
    if let Value::Object(o) = v {
        assert_eq!(o.field("Minor").map(|x| x.to_string()), Some("2".into()));
    }
}

#[test]
fn digests_and_encodings_match_go() {
    assert_eq!(
        out("sha256sum", &[s("abc")]),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        out("sha1sum", &[s("abc")]),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(out("adler32sum", &[s("Wikipedia")]), "300286872");
    assert_eq!(out("b64enc", &[s("hello!?")]), "aGVsbG8hPw==");
    assert_eq!(out("b64dec", &[s("aGVsbG8hPw==")]), "hello!?");
    assert_eq!(out("b64dec", &[s("aGVs\nbG8=")]), "hello");
    assert_eq!(
        out("b64dec", &[s("abc")]),
        "illegal base64 data at input byte 0"
    );
    assert_eq!(
        out("b64dec", &[s("a$cd")]),
        "illegal base64 data at input byte 1"
    );
    assert_eq!(out("b32enc", &[s("hi")]), "NBUQ====");
    assert_eq!(out("b32dec", &[s("NBUQ====")]), "hi");
}

#[test]
fn random_values_come_from_the_context() {
    let run = |name: &str, args: &[Value]| {
        let def = *sprig().get(name).unwrap();
        let mut ctx = Ctx::new([7; 32], 0);
        (def.f)(&mut ctx, args).unwrap().to_string()
    };
    let a = run("randAlphaNum", &[i(12)]);
    assert_eq!(a.len(), 12);
    assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(a, run("randAlphaNum", &[i(12)]), "same seed, same string");
    assert!(run("randNumeric", &[i(8)])
        .chars()
        .all(|c| c.is_ascii_digit()));
    let u = run("uuidv4", &[]);
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "4");
    let mut sorted: Vec<char> = run("shuffle", &[s("abcdef")]).chars().collect();
    sorted.sort_unstable();
    assert_eq!(sorted.into_iter().collect::<String>(), "abcdef");
}

#[test]
fn paths_urls_and_dates_match_helm() {
    assert_eq!(out("base", &[s("/a/b.yaml/")]), "b.yaml");
    assert_eq!(out("dir", &[s("a/b/c")]), "a/b");
    assert_eq!(out("dir", &[s("x")]), ".");
    assert_eq!(out("ext", &[s("a.b/c.tar.gz")]), ".gz");
    assert_eq!(
        out("urlParse", &[s("https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag")]),
        "map[fragment:frag host:example.com:8443 hostname:example.com opaque: path:/a b/c query:x=1&y=2 scheme:https userinfo:user:p%40ss]"
    );
    let parts = m(&[
        ("scheme", s("https")),
        ("host", s("h:1")),
        ("path", s("a b?")),
        ("query", s("q=1")),
        ("fragment", s("f g!")),
        ("userinfo", s("u:p@x")),
    ]);
    assert_eq!(
        out("urlJoin", &[parts]),
        "https://u:p%40x@h:1/a%20b%3F?q=1#f%20g!"
    );
    let day = call("toDate", &[s("2006-01-02"), s("2024-02-29")]).unwrap();
    assert_eq!(day.to_string(), "2024-02-29 00:00:00 +0000 UTC");
    assert_eq!(day.type_name(), "time.Time");
    let later = call("dateModify", &[s("1h30m"), day.clone()]).unwrap();
    assert_eq!(out("unixEpoch", &[later]), "1709170200");
    assert_eq!(
        out("mustDateModify", &[s("zz"), day]),
        "ERR time: invalid duration \"zz\""
    );
    assert_eq!(
        out(
            "toDate",
            &[
                s("2006-01-02T15:04:05Z07:00"),
                s("2024-01-01T10:00:00+02:00")
            ]
        ),
        "2024-01-01 10:00:00 +0200 +0200"
    );
    assert_eq!(
        out(
            "dateInZone",
            &[
                s("2006-01-02 15:04 MST Z0700"),
                i(1_796_389_148),
                s("Etc/GMT+5")
            ]
        ),
        "2026-12-04 07:59 -05 -0500"
    );
    assert_eq!(out("duration", &[s("95")]), "1m35s");
    assert_eq!(out("durationRound", &[s("2h30m")]), "2h");
    let mut ctx = Ctx::new([0; 32], 1_796_389_148);
    let now = (sprig().get("now").unwrap().f)(&mut ctx, &[]).unwrap();
    let stamp = (sprig().get("dateInZone").unwrap().f)(
        &mut ctx,
        &[s("2006-01-02T15:04:05Z"), now, s("UTC")],
    )
    .unwrap();
    assert_eq!(
        stamp.to_string(),
        "2026-12-04T12:59:08Z",
        "now reads the context's clock"
    );
}

#[test]
fn every_sprig_function_helm_exposes_is_here() {
    // Sprig v3.3.0's TxtFuncMap, less env/expandenv, less the JSON functions the encoding
    // module provides.
    const SPRIG: &str = "abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec b64enc base bcrypt biggest buildCustomCert camelcase cat ceil chunk clean coalesce compact concat contains date dateInZone dateModify date_in_zone date_modify decryptAES deepCopy deepEqual default derivePassword dict dig dir div divf duration durationRound empty encryptAES ext fail first float64 floor genCA genCAWithKey genPrivateKey genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey get getHostByName has hasKey hasPrefix hasSuffix hello htmlDate htmlDateInZone htpasswd indent initial initials int int64 isAbs join kebabcase keys kindIs kindOf last list lower max maxf merge mergeOverwrite min minf mod mul mulf mustAppend mustChunk mustCompact mustDateModify mustDeepCopy mustFirst mustHas mustInitial mustLast mustMerge mustMergeOverwrite mustPrepend mustPush mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll mustRegexReplaceAllLiteral mustRegexSplit mustRest mustReverse mustSlice mustToDate mustUniq mustWithout must_date_modify nindent nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend push quote randAlpha randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll regexMatch regexQuoteMeta regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest reverse round semver semverCompare seq set sha1sum sha256sum sha512sum shuffle slice snakecase sortAlpha split splitList splitn squote sub subf substr swapcase ternary title toDate toDecimal toString toStrings trim trimAll trimPrefix trimSuffix trimall trunc tuple typeIs typeIsLike typeOf uniq unixEpoch unset until untilStep untitle upper urlJoin urlParse uuidv4 values without wrap wrapWith";
    let ours = sprig();
    let missing: Vec<&str> = SPRIG.split(' ').filter(|n| ours.get(n).is_none()).collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    assert_eq!(ours.len(), SPRIG.split(' ').count());
}

#[test]
fn multibyte_text_never_splits_a_rune() {
    assert_eq!(
        out("mustToDate", &[s("Jan 2006"), s("éé 2020")]),
        "ERR parsing time \"éé 2020\" as \"Jan 2006\": cannot parse \"éé 2020\" as \"Jan\""
    );
    assert!(out("urlParse", &[s("http://h/%aé")]).starts_with("ERR unable to parse url"));
    assert_eq!(out("trunc", &[i(2), s("éa")]), "é");
    assert_eq!(out("substr", &[i(0), i(2), s("éa")]), "é");
}

#[test]
fn no_function_panics_on_odd_arguments() {
    let pool = || {
        vec![
            Value::Nil,
            i(-1),
            i(0),
            i(3),
            f(1.5),
            s(""),
            s("é{[(%-"),
            l(vec![i(1), Value::Nil]),
            Value::StrList(vec!["a".into()].into()),
            m(&[("a", m(&[("b", i(1))]))]),
        ]
    };
    // Slow by design (key generation, scrypt, bcrypt); their argument checks are tested elsewhere.
    let slow = [
        "genCA",
        "genCAWithKey",
        "genSelfSignedCert",
        "genSelfSignedCertWithKey",
        "genSignedCert",
        "genSignedCertWithKey",
        "genPrivateKey",
        "derivePassword",
        "bcrypt",
        "htpasswd",
    ];
    let funcs = all();
    let mut panicked = Vec::new();
    for name in funcs.names() {
        if slow.contains(&name) {
            continue;
        }
        let def = *funcs.get(name).unwrap();
        let max = def
            .max_args
            .unwrap_or(def.min_args + 1)
            .min(def.min_args + 1);
        for n in def.min_args..=max {
            let values = pool();
            let mut idx = vec![0usize; n];
            let mut calls = 0;
            loop {
                let args: Vec<Value> = idx.iter().map(|k| values[*k].deep_copy()).collect();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let _ = (def.f)(&mut Ctx::default(), &args);
                }));
                if result.is_err() {
                    panicked.push(format!("{name} {args:?}"));
                    break;
                }
                calls += 1;
                // Next combination (odometer), at most 2000 per arity.
                let mut k = 0;
                while k < n {
                    idx[k] += 1;
                    if idx[k] < values.len() {
                        break;
                    }
                    idx[k] = 0;
                    k += 1;
                }
                if k == n || calls >= 2000 {
                    break;
                }
            }
        }
    }
    assert!(panicked.is_empty(), "panics: {panicked:#?}");
}

/// A named slice type, as `common.VersionSet` is.
struct Versions(Vec<&'static str>);

impl crate::value::Object for Versions {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn kind(&self) -> &str {
        "slice"
    }
    fn field(&self, _: &str) -> Option<Value> {
        None
    }
    fn call(&self, _: &str, _: &[Value]) -> Option<FuncResult> {
        None
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn to_data(&self) -> Value {
        l(self.0.iter().map(|v| s(v)).collect())
    }
}

#[test]
fn named_slices_are_empty_when_their_data_is() {
    let none = Value::Object(std::rc::Rc::new(Versions(vec![])));
    let some = Value::Object(std::rc::Rc::new(Versions(vec!["v1"])));
    assert_eq!(out("empty", std::slice::from_ref(&none)), "true");
    assert_eq!(out("empty", std::slice::from_ref(&some)), "false");
    assert_eq!(out("default", &[s("d"), none]), "d");
    assert_eq!(out("kindOf", &[some]), "slice");
}
