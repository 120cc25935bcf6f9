use super::*;
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;

/// A scope backed by three maps; a missing key is an error naming it.
#[derive(Default)]
struct TestScope {
    vals: HashMap<String, Value>,
    props: HashMap<String, Value>,
    target: HashMap<String, Value>,
}

impl TestScope {
    fn with_vals(pairs: &[(&str, Value)]) -> Self {
        let mut s = TestScope::default();
        for (k, v) in pairs {
            s.vals.insert((*k).to_string(), v.clone());
        }
        s
    }
}

fn lookup(m: &HashMap<String, Value>, kind: &str, path: &str) -> Result<Value, String> {
    m.get(path)
        .cloned()
        .ok_or_else(|| format!("no {kind} for `{path}`"))
}

impl Scope for TestScope {
    fn val(&self, path: &str) -> Result<Value, String> {
        lookup(&self.vals, "value", path)
    }
    fn property(&self, path: &str) -> Result<Value, String> {
        lookup(&self.props, "property", path)
    }
    fn target(&self, path: &str) -> Result<Value, String> {
        lookup(&self.target, "target property", path)
    }
}

fn field(text: &str) -> Field {
    match Field::parse(text) {
        Ok(Some(f)) => f,
        other => panic!("{text:?} did not parse: {other:?}"),
    }
}

fn eval_in(text: &str, scope: &TestScope) -> Value {
    match field(text).eval(scope) {
        Ok(v) => v,
        Err(e) => panic!("{text:?} failed: {e}"),
    }
}

/// Evaluates with an empty scope.
fn ev(text: &str) -> Value {
    eval_in(text, &TestScope::default())
}

fn parse_err(text: &str) -> ExprError {
    match Field::parse(text) {
        Err(e) => e,
        Ok(f) => panic!("{text:?} parsed: {f:?}"),
    }
}

fn eval_err(text: &str, scope: &TestScope) -> ExprError {
    match field(text).eval(scope) {
        Err(e) => e,
        Ok(v) => panic!("{text:?} evaluated to {v}"),
    }
}

/// The source text an error span points at.
fn spanned(text: &str, e: &ExprError) -> String {
    text[e.span.start..e.span.end].to_string()
}

// ---- parsing ---------------------------------------------------------------------------

#[test]
fn text_without_expressions_is_none() {
    assert_eq!(Field::parse("plain text }} $val(x) {{"), Ok(None));
    assert_eq!(Field::parse(""), Ok(None));
}

#[test]
fn parses_a_val_call_into_a_tree_with_spans() {
    let f = field("${{$val(TemperatureRangeMax)}}");
    let expected = Expr::Call {
        name: "val".into(),
        args: vec![Expr::Literal(
            json!("TemperatureRangeMax"),
            Span { start: 8, end: 27 },
        )],
        span: Span { start: 3, end: 28 },
    };
    assert_eq!(f.segments, vec![Segment::Expr(expected)]);
    assert!(f.is_whole_expr());
    assert_eq!(f.as_val_ref(), Some("TemperatureRangeMax"));
}

#[test]
fn bare_words_keep_urls_paths_and_cidrs_whole() {
    for (word, text) in [
        (
            "DependencyConfig.DeploymentName",
            "${{ $val( DependencyConfig.DeploymentName ) }}",
        ),
        (
            "http://localhost:8080/health",
            "${{$val(http://localhost:8080/health)}}",
        ),
        ("10.0.0.0/8", "${{$val(10.0.0.0/8)}}"),
        (
            "LogSettingsConfig/1.0.0",
            "${{$val(LogSettingsConfig/1.0.0)}}",
        ),
        ("two words", "${{$val(  two words  )}}"),
    ] {
        assert_eq!(field(text).as_val_ref(), Some(word), "{text}");
    }
}

#[test]
fn bare_words_that_spell_literals_become_literals() {
    assert_eq!(ev("${{ 50 }}"), json!(50));
    assert_eq!(ev("${{-3}}"), json!(-3));
    assert_eq!(ev("${{ 2.5 }}"), json!(2.5));
    assert_eq!(ev("${{true}}"), json!(true));
    assert_eq!(ev("${{ false }}"), json!(false));
    assert_eq!(ev("${{null}}"), Value::Null);
    // Not JSON numbers: stay strings.
    assert_eq!(ev("${{ 1.0.0 }}"), json!("1.0.0"));
    assert_eq!(ev("${{ -x }}"), json!("-x"));
    assert_eq!(ev("${{ NaN }}"), json!("NaN"));
    assert_eq!(ev("${{ TRUE }}"), json!("TRUE"));
}

#[test]
fn quoted_strings_unescape_and_stay_strings() {
    assert_eq!(ev(r#"${{ '50' }}"#), json!("50"));
    assert_eq!(ev(r#"${{ 'it\'s' }}"#), json!("it's"));
    assert_eq!(ev(r#"${{ "say \"hi\"" }}"#), json!("say \"hi\""));
    assert_eq!(ev(r#"${{ 'a\\b' }}"#), json!("a\\b"));
    assert_eq!(ev(r#"${{ 'a, b) + }}' }}"#), json!("a, b) + }}"));
    // Other escapes are kept verbatim.
    assert_eq!(ev(r#"${{ 'a\nb' }}"#), json!("a\\nb"));
}

#[test]
fn stray_closing_braces_are_plain_text() {
    let f = field("a }} b ${{ 1 }} c }}");
    assert_eq!(f.eval(&TestScope::default()), Ok(json!("a }} b 1 c }}")));
    assert_eq!(f.segments.len(), 3);
}

#[test]
fn whole_expr_allows_surrounding_whitespace_only() {
    assert!(field("  ${{ 1 }} \n").is_whole_expr());
    assert_eq!(ev("  ${{ 1 }} \n"), json!(1));
    assert!(!field("x${{ 1 }}").is_whole_expr());
    assert!(!field("${{ 1 }}${{ 2 }}").is_whole_expr());
}

// ---- evaluation of the examples ----------------------------------------------------------

#[test]
fn whole_field_keeps_the_value_type() {
    let s = TestScope::with_vals(&[
        ("Num", json!(42.5)),
        ("Flag", json!(true)),
        ("List", json!([1, "a"])),
        ("Map", json!({"k": "v"})),
        ("Nothing", Value::Null),
        ("Text", json!("hello")),
    ]);
    assert_eq!(eval_in("${{$val(Num)}}", &s), json!(42.5));
    assert_eq!(eval_in("${{$val(Flag)}}", &s), json!(true));
    assert_eq!(eval_in("${{$val(List)}}", &s), json!([1, "a"]));
    assert_eq!(eval_in("${{$val(Map)}}", &s), json!({"k": "v"}));
    assert_eq!(eval_in("${{$val(Nothing)}}", &s), Value::Null);
    assert_eq!(eval_in("${{$val(Text)}}", &s), json!("hello"));
}

#[test]
fn if_with_gt_picks_a_colour() {
    let text = "${{ $if($gt($val(Temperature), 50),RED,GREEN) }}";
    let hot = TestScope::with_vals(&[("Temperature", json!(51))]);
    let cold = TestScope::with_vals(&[("Temperature", json!(50))]);
    assert_eq!(eval_in(text, &hot), json!("RED"));
    assert_eq!(eval_in(text, &cold), json!("GREEN"));
}

#[test]
fn health_check_example_from_the_samples() {
    let text =
        "${{ $if($val(HealthCheckEnabled), $not($empty($val(HealthCheckEndpoint))), false) }}";
    let on_set = TestScope::with_vals(&[
        ("HealthCheckEnabled", json!(true)),
        ("HealthCheckEndpoint", json!("http://x/health")),
    ]);
    let on_empty = TestScope::with_vals(&[
        ("HealthCheckEnabled", json!(true)),
        ("HealthCheckEndpoint", json!("")),
    ]);
    // Disabled: the endpoint is never looked up (it is absent from the scope).
    let off = TestScope::with_vals(&[("HealthCheckEnabled", json!(false))]);
    assert_eq!(eval_in(text, &on_set), json!(true));
    assert_eq!(eval_in(text, &on_empty), json!(false));
    assert_eq!(eval_in(text, &off), json!(false));
    assert_eq!(
        field(text).refs(),
        vec![
            Ref::Val("HealthCheckEnabled".into()),
            Ref::Val("HealthCheckEndpoint".into())
        ]
    );
}

#[test]
fn mixed_text_stringifies_each_value() {
    let s = TestScope::with_vals(&[
        ("Host", json!("example.com")),
        ("Port", json!(8080)),
        ("On", json!(false)),
        ("Nothing", Value::Null),
        ("List", json!([1, {"a": "b"}])),
    ]);
    assert_eq!(
        eval_in("http://${{$val(Host)}}:${{$val(Port)}}/api", &s),
        json!("http://example.com:8080/api")
    );
    assert_eq!(
        eval_in("[${{$val(On)}}|${{$val(Nothing)}}|${{$val(List)}}]", &s),
        json!(r#"[false||[1,{"a":"b"}]]"#)
    );
}

#[test]
fn plus_concatenates_string_forms() {
    let mut s = TestScope::with_vals(&[("Prefix", json!("edge"))]);
    s.target.insert("name".into(), json!("line-7"));
    assert_eq!(
        eval_in("${{ $val(Prefix) + '-' + $target(name) }}", &s),
        json!("edge-line-7")
    );
    assert_eq!(ev("${{ 1 + 2 }}"), json!("12"));
    assert_eq!(ev("${{ a + null + true }}"), json!("atrue"));
    assert_eq!(
        field("${{ $val(Prefix) + '-' + $target(name) }}").refs(),
        vec![Ref::Val("Prefix".into()), Ref::Target("name".into())]
    );
}

#[test]
fn include_is_recognised_as_a_key_and_rejected_as_a_value() {
    let f = field("${{$include(LogSettingsConfig/1.0.0, LogSettings)}}");
    assert_eq!(
        f.as_include(),
        Some((
            "LogSettingsConfig/1.0.0".to_string(),
            Some("LogSettings".to_string())
        ))
    );
    assert_eq!(
        field("${{ $include( 'Other/2.0.0' ) }}").as_include(),
        Some(("Other/2.0.0".to_string(), None))
    );
    assert_eq!(field("x ${{$include(A/1.0.0)}}").as_include(), None);
    let text = "${{$include(LogSettingsConfig/1.0.0, LogSettings)}}";
    let e = eval_err(text, &TestScope::default());
    assert!(
        e.message.contains("`$include` is only allowed as a key"),
        "{e}"
    );
    assert_eq!(
        spanned(text, &e),
        "$include(LogSettingsConfig/1.0.0, LogSettings)"
    );
    assert!(!e.unsupported);
}

#[test]
fn config_is_unsupported_offline() {
    let text = "${{$config(sub/rg/cfg/1.0.0, SqlServerEndpoint)}}";
    let e = eval_err(text, &TestScope::default());
    assert!(e.unsupported);
    assert_eq!(
        e.message,
        "`$config` reads another resource of the service; it is not supported offline"
    );
    assert_eq!(
        spanned(text, &e),
        "$config(sub/rg/cfg/1.0.0, SqlServerEndpoint)"
    );
}

#[test]
fn lookups_pass_paths_and_map_scope_errors_to_the_call() {
    let mut s = TestScope::default();
    s.props
        .insert("DependencyConfig.DeploymentName".into(), json!("dep"));
    s.target.insert("name".into(), json!("t1"));
    s.vals.insert("Key".into(), json!("name"));
    assert_eq!(
        eval_in("${{$property(DependencyConfig.DeploymentName)}}", &s),
        json!("dep")
    );
    assert_eq!(eval_in("${{$target('name')}}", &s), json!("t1"));
    // A computed path.
    assert_eq!(eval_in("${{$target($val(Key))}}", &s), json!("t1"));
    let text = "x ${{ $val(Missing) }}";
    let e = eval_err(text, &s);
    assert_eq!(e.message, "no value for `Missing`");
    assert_eq!(spanned(text, &e), "$val(Missing)");
    let text = "${{ $val($val(Map)) }}";
    s.vals.insert("Map".into(), json!({}));
    let e = eval_err(text, &s);
    assert_eq!(e.message, "expected a path, found object");
    assert_eq!(spanned(text, &e), "$val(Map)");
}

#[test]
fn refs_lists_only_literal_paths_in_order() {
    let f = field("${{$property(A)}}-${{ $val($target(B)) }}-${{$val(C)}}");
    assert_eq!(
        f.refs(),
        vec![
            Ref::Property("A".into()),
            Ref::Target("B".into()),
            Ref::Val("C".into())
        ]
    );
    assert_eq!(field("${{$val($val(X))}}").as_val_ref(), None);
}

// ---- functions ---------------------------------------------------------------------------

#[test]
fn if_treats_null_as_false_and_rejects_other_types() {
    assert_eq!(ev("${{$if(null, a, b)}}"), json!("b"));
    assert_eq!(ev("${{$if(true, 1, $val(never))}}"), json!(1));
    let text = "${{$if(yes, a, b)}}";
    let e = eval_err(text, &TestScope::default());
    assert_eq!(e.message, "expected a boolean, found string");
    assert_eq!(spanned(text, &e), "yes");
}

#[test]
fn eq_and_ne_compare_deeply_and_numbers_by_value() {
    let s = TestScope::with_vals(&[
        ("A", json!({"x": [1, 2.0], "y": "z"})),
        ("B", json!({"y": "z", "x": [1.0, 2]})),
    ]);
    assert_eq!(ev("${{$eq(5, 5.0)}}"), json!(true));
    assert_eq!(ev("${{$eq('5', 5)}}"), json!(false));
    assert_eq!(ev("${{$ne('5', 5)}}"), json!(true));
    assert_eq!(ev("${{$eq(abc, 'abc')}}"), json!(true));
    assert_eq!(ev("${{$eq(null, null)}}"), json!(true));
    assert_eq!(eval_in("${{$eq($val(A), $val(B))}}", &s), json!(true));
    assert_eq!(eval_in("${{$ne($val(A), $val(B))}}", &s), json!(false));
}

#[test]
fn ordering_functions_on_numbers_and_strings() {
    assert_eq!(ev("${{$gt(6, 5)}}"), json!(true));
    assert_eq!(ev("${{$gt(5, 5.0)}}"), json!(false));
    assert_eq!(ev("${{$ge(5, 5.0)}}"), json!(true));
    assert_eq!(ev("${{$lt(-3, 2.5)}}"), json!(true));
    assert_eq!(ev("${{$le(2.5, 2.5)}}"), json!(true));
    assert_eq!(ev("${{$lt(b, a)}}"), json!(false));
    assert_eq!(ev("${{$ge('b', a)}}"), json!(true));
    // Exact for large integers, which f64 would merge.
    assert_eq!(
        ev("${{$gt(9007199254740993, 9007199254740992)}}"),
        json!(true)
    );
    assert_eq!(ev("${{$lt(-1, 18446744073709551615)}}"), json!(true));
}

#[test]
fn ordering_mixed_types_is_an_error_naming_both() {
    let text = "${{$gt(5, '4')}}";
    let e = eval_err(text, &TestScope::default());
    assert_eq!(
        e.message,
        "`$gt` compares two numbers or two strings, found int and string"
    );
    assert_eq!(spanned(text, &e), "$gt(5, '4')");
    let e = eval_err("${{$le(true, 1.5)}}", &TestScope::default());
    assert!(e.message.contains("found boolean and float"), "{e}");
}

#[test]
fn between_is_inclusive() {
    assert_eq!(ev("${{$between(5, 1, 10)}}"), json!(true));
    assert_eq!(ev("${{$between(1, 1, 10)}}"), json!(true));
    assert_eq!(ev("${{$between(10.0, 1, 10)}}"), json!(true));
    assert_eq!(ev("${{$between(11, 1, 10)}}"), json!(false));
    assert_eq!(ev("${{$between(m, a, z)}}"), json!(true));
    let e = eval_err("${{$between(5, a, z)}}", &TestScope::default());
    assert!(e.message.contains("found int and string"), "{e}");
}

#[test]
fn not_and_or_with_short_circuit() {
    assert_eq!(ev("${{$not(false)}}"), json!(true));
    assert_eq!(ev("${{$not(null)}}"), json!(true));
    assert_eq!(ev("${{$and(true, true, true)}}"), json!(true));
    assert_eq!(ev("${{$and(true)}}"), json!(true));
    // The missing value is never looked up: evaluation stops at the first false/true.
    assert_eq!(ev("${{$and(true, false, $val(missing))}}"), json!(false));
    assert_eq!(ev("${{$or(false, true, $val(missing))}}"), json!(true));
    assert_eq!(ev("${{$or(false, null)}}"), json!(false));
    let e = eval_err("${{$and(true, 1)}}", &TestScope::default());
    assert_eq!(e.message, "expected a boolean, found int");
    let e = eval_err("${{$not(x)}}", &TestScope::default());
    assert_eq!(e.message, "expected a boolean, found string");
}

#[test]
fn any_over_a_list_or_several_arguments() {
    let s = TestScope::with_vals(&[
        ("Some", json!([false, true])),
        ("None", json!([false, null])),
        ("Empty", json!([])),
        ("Bad", json!([false, 3])),
    ]);
    assert_eq!(eval_in("${{$any($val(Some))}}", &s), json!(true));
    assert_eq!(eval_in("${{$any($val(None))}}", &s), json!(false));
    assert_eq!(eval_in("${{$any($val(Empty))}}", &s), json!(false));
    assert_eq!(ev("${{$any(false, false, true)}}"), json!(true));
    assert_eq!(ev("${{$any(false, false)}}"), json!(false));
    assert_eq!(ev("${{$any(true)}}"), json!(true));
    let e = eval_err("${{$any($val(Bad))}}", &s);
    assert_eq!(e.message, "expected a boolean, found int");
}

#[test]
fn empty_recognises_empty_values() {
    let s = TestScope::with_vals(&[
        ("L", json!([])),
        ("M", json!({})),
        ("L1", json!([0])),
        ("Z", json!(0)),
    ]);
    assert_eq!(ev("${{$empty(null)}}"), json!(true));
    assert_eq!(ev("${{$empty('')}}"), json!(true));
    assert_eq!(eval_in("${{$empty($val(L))}}", &s), json!(true));
    assert_eq!(eval_in("${{$empty($val(M))}}", &s), json!(true));
    assert_eq!(eval_in("${{$empty($val(L1))}}", &s), json!(false));
    assert_eq!(eval_in("${{$empty($val(Z))}}", &s), json!(false));
    assert_eq!(ev("${{$empty(' ')}}"), json!(false));
    assert_eq!(ev("${{$empty(false)}}"), json!(false));
}

#[test]
fn cidr_contains_ipv4_and_ipv6() {
    assert_eq!(ev("${{$cidr_contains(10.0.0.0/8, 10.1.2.3)}}"), json!(true));
    assert_eq!(
        ev("${{$cidr_contains(10.0.0.0/8, 11.1.2.3)}}"),
        json!(false)
    );
    assert_eq!(
        ev("${{$cidr_contains(192.168.1.0/24, 192.168.1.255)}}"),
        json!(true)
    );
    assert_eq!(
        ev("${{$cidr_contains(192.168.1.7/32, 192.168.1.7)}}"),
        json!(true)
    );
    assert_eq!(ev("${{$cidr_contains(0.0.0.0/0, 8.8.8.8)}}"), json!(true));
    assert_eq!(
        ev("${{$cidr_contains('fd00::/8', 'fd12::1')}}"),
        json!(true)
    );
    assert_eq!(
        ev("${{$cidr_contains('fd00::/8', 'fe80::1')}}"),
        json!(false)
    );
    assert_eq!(ev("${{$cidr_contains('::/0', '::1')}}"), json!(true));
    assert_eq!(
        ev("${{$cidr_contains('fd00::/8', 10.0.0.1)}}"),
        json!(false)
    );
}

#[test]
fn cidr_contains_names_malformed_text() {
    let s = TestScope::default();
    for (text, bad) in [
        ("${{$cidr_contains(10.0.0/8, 10.1.2.3)}}", "10.0.0/8"),
        ("${{$cidr_contains(10.0.0.0/33, 10.1.2.3)}}", "10.0.0.0/33"),
        ("${{$cidr_contains(10.0.0.0, 10.1.2.3)}}", "10.0.0.0"),
        ("${{$cidr_contains(10.0.0.0/8, 10.1.2)}}", "10.1.2"),
    ] {
        let e = eval_err(text, &s);
        assert!(e.message.contains(&format!("`{bad}`")), "{text}: {e}");
        assert_eq!(spanned(text, &e), bad, "{text}");
    }
    let e = eval_err("${{$cidr_contains(10.0.0.0/8, 10)}}", &s);
    assert_eq!(e.message, "`$cidr_contains` expects a string, found int");
}

// ---- errors --------------------------------------------------------------------------------

#[test]
fn unclosed_block_names_its_column() {
    let text = "abc ${{ $val(x)";
    let e = parse_err(text);
    assert!(
        e.message.contains("unclosed `${{` opened at column 5"),
        "{e}"
    );
    assert_eq!(spanned(text, &e), "${{");
    let text = "line one\n  ${{ $val(x) ";
    let e = parse_err(text);
    assert!(e.message.contains("column 3"), "{e}");
    assert_eq!(e.span, Span { start: 11, end: 14 });
}

#[test]
fn empty_block_is_an_error() {
    let text = "a ${{  }} b";
    let e = parse_err(text);
    assert!(e.message.contains("empty expression"), "{e}");
    assert_eq!(spanned(text, &e), "${{  }}");
}

#[test]
fn missing_paren_is_reported_on_the_call() {
    let text = "${{ $if($val(a), b, c }}";
    let e = parse_err(text);
    assert_eq!(e.message, "missing `)` to close `$if(`");
    assert_eq!(spanned(text, &e), "$if($val(a), b, c ");
}

#[test]
fn trailing_garbage_is_reported() {
    let text = "${{ $val(a) b }}";
    let e = parse_err(text);
    assert!(
        e.message.contains("unexpected `b` after the expression"),
        "{e}"
    );
    assert_eq!(spanned(text, &e), "b");
    let text = "${{ $val(a)) }}";
    let e = parse_err(text);
    assert!(e.message.contains("unexpected `)`"), "{e}");
    assert_eq!(e.span, Span { start: 11, end: 12 });
    let text = "${{ $val('a' x) }}";
    let e = parse_err(text);
    assert!(e.message.contains("expected `,` or `)`"), "{e}");
    assert_eq!(spanned(text, &e), "x");
}

#[test]
fn unknown_function_has_a_hint() {
    let text = "${{ $vall(x) }}";
    let e = parse_err(text);
    assert_eq!(e.message, "unknown function `$vall`");
    assert_eq!(e.hint.as_deref(), Some("did you mean `$val`?"));
    assert_eq!(spanned(text, &e), "$vall");
    let e = parse_err("${{ $cidrcontains(a, b) }}");
    assert_eq!(e.hint.as_deref(), Some("did you mean `$cidr_contains`?"));
    let e = parse_err("${{ $frobnicate(a) }}");
    assert_eq!(e.hint, None);
    assert!(e.to_string().contains("unknown function `$frobnicate`"));
}

#[test]
fn wrong_argument_count_is_reported() {
    let text = "${{ $if(a, b) }}";
    let e = parse_err(text);
    assert_eq!(e.message, "`$if` takes 3 arguments, got 2");
    assert_eq!(spanned(text, &e), "$if(a, b)");
    assert_eq!(
        parse_err("${{$val()}}").message,
        "`$val` takes 1 argument, got 0"
    );
    assert_eq!(
        parse_err("${{$and()}}").message,
        "`$and` takes at least 1 argument, got 0"
    );
    assert_eq!(
        parse_err("${{$include(a, b, c)}}").message,
        "`$include` takes 1 or 2 arguments, got 3"
    );
}

#[test]
fn malformed_terms_are_reported() {
    let e = parse_err("${{ $val(a,) }}");
    assert!(e.message.contains("expected a value"), "{e}");
    let text = "${{ + a }}";
    let e = parse_err(text);
    assert!(e.message.contains("found `+`"), "{e}");
    assert_eq!(spanned(text, &e), "+");
    let text = "${{ $ (a) }}";
    let e = parse_err(text);
    assert_eq!(e.message, "expected a function name after `$`");
    assert_eq!(spanned(text, &e), "$");
    let text = "${{ $val x }}";
    let e = parse_err(text);
    assert!(e.message.contains("expected `(` after `$val`"), "{e}");
    let text = "${{ 'abc }}";
    let e = parse_err(text);
    assert!(e.message.contains("unterminated string"), "{e}");
    assert_eq!(e.span.start, 4);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 10_000;
    let text = format!(
        "${{{{{}true{}}}}}",
        "$not(".repeat(depth),
        ")".repeat(depth)
    );
    let e = parse_err(&text);
    assert!(e.message.contains("deeper than 64"), "{e}");
    // 64 levels are fine.
    let ok = format!("${{{{{}true{}}}}}", "$not(".repeat(64), ")".repeat(64));
    assert_eq!(ev(&ok), json!(true));
}

#[test]
fn over_long_fields_are_rejected() {
    let text = format!("${{{{ 1 }}}}{}", "x".repeat(MAX_FIELD_LEN));
    let e = parse_err(&text);
    assert!(e.message.contains("limited to 65536 bytes"), "{e}");
    assert_eq!(
        e.span,
        Span {
            start: 0,
            end: text.len()
        }
    );
    // Without an expression the length does not matter.
    assert_eq!(Field::parse(&"x".repeat(MAX_FIELD_LEN + 1)), Ok(None));
}

#[test]
fn display_includes_span_and_hint() {
    let e = parse_err("${{ $vall(x) }}");
    assert_eq!(
        e.to_string(),
        "unknown function `$vall` (bytes 4..9); did you mean `$val`?"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(boxed.to_string().starts_with("unknown function"));
}

#[test]
fn fixtures_parse_and_their_refs_are_found() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/azure-wo-samples/custom-validation-schema.yaml");
    let Ok(text) = std::fs::read_to_string(&root) else {
        // The shared fixtures live outside the repository; nothing to check without them.
        return;
    };
    let mut fields = 0;
    for line in text.lines() {
        if let Some((_, v)) = line.split_once(": ") {
            if let Some(f) = Field::parse(v.trim()).expect("fixture expression parses") {
                fields += 1;
                assert!(!f.refs().is_empty(), "{v}");
            }
        }
    }
    assert_eq!(fields, 2);
}

// ---- properties ----------------------------------------------------------------------------

/// Characters that exercise the lexer's special cases.
fn garbage() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("$".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just(",".to_string()),
            Just("+".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("}".to_string()),
            Just("{".to_string()),
            Just(" ".to_string()),
            Just("$val(".to_string()),
            Just("$if(".to_string()),
            Just("${{".to_string()),
            Just("}}".to_string()),
            "[a-z0-9.\\-/:é]{1,4}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn text_without_an_opener_is_none(s in any::<String>()) {
        prop_assume!(!s.contains("${{"));
        prop_assert_eq!(Field::parse(&s), Ok(None));
    }

    #[test]
    fn garbage_never_panics(s in garbage()) {
        let text = format!("${{{{{s}}}}}");
        match Field::parse(&text) {
            Ok(Some(f)) => {
                // Spans of everything parsed lie inside the text.
                for seg in &f.segments {
                    if let Segment::Expr(e) = seg {
                        prop_assert!(e.span().end <= text.len());
                    }
                }
                let _ = f.eval(&TestScope::default());
                let _ = f.refs();
            }
            Ok(None) => prop_assert!(false, "an opener was present"),
            Err(e) => {
                prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len());
                prop_assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        if let Ok(Some(f)) = Field::parse(&s) {
            let _ = f.eval(&TestScope::default());
        }
    }

    #[test]
    fn between_agrees_with_ge_and_le_on_ints(v in -20i64..20, lo in -20i64..20, hi in -20i64..20) {
        let between = ev(&format!("${{{{$between({v}, {lo}, {hi})}}}}"));
        let both = ev(&format!("${{{{$and($ge({v}, {lo}), $le({v}, {hi}))}}}}"));
        prop_assert_eq!(between, both);
    }

    #[test]
    fn between_agrees_with_ge_and_le_on_strings(v in "[a-c]{0,3}", lo in "[a-c]{0,3}", hi in "[a-c]{0,3}") {
        let between = ev(&format!("${{{{$between('{v}', '{lo}', '{hi}')}}}}"));
        let both = ev(&format!("${{{{$and($ge('{v}', '{lo}'), $le('{v}', '{hi}'))}}}}"));
        prop_assert_eq!(between, both);
    }

    #[test]
    fn between_agrees_with_ge_and_le_on_mixed_numbers(
        v in prop_oneof![(-5i64..5).prop_map(Value::from), (-5.0f64..5.0).prop_map(Value::from)],
        lo in prop_oneof![(-5i64..5).prop_map(Value::from), (-5.0f64..5.0).prop_map(Value::from)],
        hi in prop_oneof![(-5i64..5).prop_map(Value::from), (-5.0f64..5.0).prop_map(Value::from)],
    ) {
        let lit = |v: &Value| Expr::Literal(v.clone(), Span::default());
        let call = |name: &str, args: Vec<Expr>| Expr::Call { name: name.into(), args, span: Span::default() };
        let s = TestScope::default();
        let between = call("between", vec![lit(&v), lit(&lo), lit(&hi)]).eval(&s);
        let both = call("and", vec![
            call("ge", vec![lit(&v), lit(&lo)]),
            call("le", vec![lit(&v), lit(&hi)]),
        ]).eval(&s);
        prop_assert_eq!(between, both);
    }
}
