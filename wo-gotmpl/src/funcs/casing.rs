//! Sprig's word-case conversions from `huandu/xstrings` v1.5.0: `camelcase` (its
//! `ToPascalCase`), `snakecase` and `kebabcase` (its word splitter: `HTTPServer` is `http` +
//! `server`, `http2xx` is `http` + `2xx`).

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::Value;

use super::args::string;
use super::def;

/// The case-conversion functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("camelcase", 1, Some(1), camelcase),
    def("snakecase", 1, Some(1), snakecase),
    def("kebabcase", 1, Some(1), kebabcase),
];

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// Go's `unicode.IsPunct` (ASCII symbols such as `$+<=>^|~` and the backquote are not punctuation).
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation() && !"$+<=>^`|~".contains(c);
    }
    matches!(c as u32, 0xa1 | 0xa7 | 0xab | 0xb6 | 0xb7 | 0xbb | 0xbf | 0x2010..=0x2027 | 0x2030..=0x205e | 0x3001..=0x3003 | 0x3008..=0x3011)
}

/// xstrings' `isAlphabet`: letters, but not CJK ideographs and syllables.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic()
        && !matches!(c as u32, 0x2e80..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff | 0x20000..=0x3134f)
}

fn is_number(c: char) -> bool {
    c.is_numeric()
}

fn upper(c: char) -> char {
    let mut u = c.to_uppercase();
    match (u.next(), u.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

fn lower(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// xstrings' `toCamelCase(str, isBig: true)`.
fn pascal(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut i = 0;
    let mut first_upper = false;
    let mut r0 = chars[0];
    while i < chars.len() {
        r0 = chars[i];
        i += 1;
        if !is_connector(r0) {
            first_upper = r0.is_uppercase();
            r0 = upper(r0);
            break;
        }
        out.push(r0);
    }
    if i >= chars.len() {
        // xstrings writes the last rune again when the text is all connectors ("_" is "__").
        out.push(r0);
        return out;
    }
    while i < chars.len() {
        let r1 = r0;
        r0 = chars[i];
        i += 1;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = r0.is_uppercase();
            r0 = upper(r0);
        } else {
            if first_upper {
                if r0.is_uppercase() {
                    r0 = lower(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings' `nextWord`: the kind and length (in chars) of the word starting at `s[0]`.
fn next_word(s: &[char]) -> (Word, usize) {
    if s.is_empty() {
        return (Word::Invalid, 0);
    }
    let r = s[0];
    let run = |from: usize, keep: &dyn Fn(char) -> bool| -> usize {
        s[from..].iter().take_while(|c| keep(**c)).count() + from
    };
    if is_connector(r) {
        (Word::Connector, run(1, &is_connector))
    } else if is_punct(r) {
        (Word::Punct, run(1, &is_punct))
    } else if r.is_uppercase() {
        if s.len() == 1 {
            return (Word::Upper, 1);
        }
        let n = s[1];
        if n.is_uppercase() {
            let end = run(1, &|c: char| c.is_uppercase());
            // "HTTPStatus" is "HTTP" + "Status".
            if end < s.len() && is_alphabet(s[end]) {
                (Word::Upper, end - 1)
            } else {
                (Word::Upper, end)
            }
        } else if is_alphabet(n) {
            (
                Word::Upper,
                run(1, &|c: char| is_alphabet(c) && !c.is_uppercase()),
            )
        } else {
            (Word::Upper, 1)
        }
    } else if is_alphabet(r) {
        (
            Word::Alphabet,
            run(1, &|c: char| is_alphabet(c) && !c.is_uppercase()),
        )
    } else if is_number(r) {
        (Word::Number, run(1, &is_number))
    } else {
        (
            Word::Other,
            run(1, &|c: char| {
                !(is_connector(c) || is_alphabet(c) || is_number(c) || is_punct(c))
            }),
        )
    }
}

fn push_lower(out: &mut String, wt: Word, word: &[char], connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        out.extend(word);
        return;
    }
    for &c in word {
        if is_connector(c) {
            out.push(connector);
        } else {
            out.push(lower(c));
        }
    }
}

/// xstrings' `camelCaseToLowerCase`.
fn lower_case_words(text: &str, connector: char) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut pos = 0;
    let next = |pos: &mut usize| -> (Word, &[char]) {
        let (wt, len) = next_word(&chars[*pos..]);
        let word = &chars[*pos..*pos + len];
        *pos += len;
        (wt, word)
    };
    let (mut wt, mut word) = next(&mut pos);
    while pos < chars.len() {
        if wt != Word::Connector {
            push_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word) = next(&mut pos);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word) = next(&mut pos);
                }
                if wt != Word::Invalid && wt != Word::Punct && wt != Word::Connector {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if pos >= chars.len() {
                    continue;
                }
                let number = word;
                (wt, word) = next(&mut pos);
                // A number is part of the previous word ("Bld4Floor" is "bld4_floor").
                if wt != Word::Alphabet {
                    push_lower(&mut out, Word::Number, number, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                // Lower-case letters after a number start a word with it ("HTTP2xx").
                out.push(connector);
                push_lower(&mut out, Word::Number, number, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word) = next(&mut pos);
                }
                if wt != Word::Invalid && wt != Word::Connector && wt != Word::Punct {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, word, connector);
    out
}

fn camelcase(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(pascal(string(a, 0)?)))
}

fn snakecase(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(lower_case_words(string(a, 0)?, '_')))
}

fn kebabcase(_: &mut Ctx, a: &[Value]) -> FuncResult {
    Ok(Value::from(lower_case_words(string(a, 0)?, '-')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_xstrings_does() {
        for (input, snake) in [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Duration2m3s", "duration_2m3s"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
            ("HTTPStatusCode", "http_status_code"),
            ("a.b$c", "a.b_$_c"),
            ("fooBAR", "foo_bar"),
        ] {
            assert_eq!(lower_case_words(input, '_'), snake, "{input}");
        }
        for (input, camel) in [
            ("some_words", "SomeWords"),
            ("http_server", "HttpServer"),
            ("no_https", "NoHttps"),
            ("_complex__case_", "_Complex_Case_"),
            ("some words", "SomeWords"),
            ("GOLANG_IS_GREAT", "GolangIsGreat"),
            ("_", "__"),
            ("a", "A"),
            ("FooBAR baz", "FooBARBaz"),
            ("ÉCOLE_été", "ÉcoleÉté"),
        ] {
            assert_eq!(pascal(input), camel, "{input}");
        }
    }
}
