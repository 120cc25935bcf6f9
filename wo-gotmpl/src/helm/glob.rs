//! The two glob dialects charts meet: Go's `path/filepath.Match` (`.helmignore` rules,
//! `--show-only`) and `gobwas/glob` with `/` as separator (`.Files.Glob`).

/// Go's `filepath.Match`: `*` is any run of characters but `/`, `?` one character but `/`,
/// `[...]` a class (`[^...]` negated, `a-z` ranges, `\` escapes), `\c` the character `c`.
/// `Err` for a malformed pattern (Go's `ErrBadPattern`).
pub fn filepath_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    check_pattern(&p)?;
    Ok(match_from(&p, &n))
}

/// A pattern Go's `filepath.Match` rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

fn check_pattern(p: &[char]) -> Result<(), BadPattern> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(BadPattern);
                }
                i += 2;
            }
            '[' => {
                let (_, next) = parse_class(p, i).ok_or(BadPattern)?;
                i = next;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// A parsed `[...]` class: negated, and its ranges; plus the index after `]`.
type Class = (bool, Vec<(char, char)>);

fn parse_class(p: &[char], start: usize) -> Option<(Class, usize)> {
    let mut i = start + 1;
    let negated = p.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *p.get(i)?;
        if c == ']' && !first {
            return Some(((negated, ranges), i + 1));
        }
        first = false;
        let lo = class_char(p, &mut i)?;
        let mut hi = lo;
        if p.get(i) == Some(&'-') {
            i += 1;
            hi = class_char(p, &mut i)?;
        }
        ranges.push((lo, hi));
    }
}

fn class_char(p: &[char], i: &mut usize) -> Option<char> {
    let c = *p.get(*i)?;
    if c == '-' || c == ']' {
        return None;
    }
    if c == '\\' {
        let e = *p.get(*i + 1)?;
        *i += 2;
        return Some(e);
    }
    *i += 1;
    Some(c)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => {
            let rest = &p[1..];
            let mut k = 0;
            loop {
                if match_from(rest, &n[k..]) {
                    return true;
                }
                if k >= n.len() || n[k] == '/' {
                    return false;
                }
                k += 1;
            }
        }
        Some('?') => !n.is_empty() && n[0] != '/' && match_from(&p[1..], &n[1..]),
        Some('[') => {
            let Some(((negated, ranges), next)) = parse_class(p, 0) else {
                return false;
            };
            let Some(&c) = n.first() else {
                return false;
            };
            if c == '/' {
                return false;
            }
            let inside = ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
            inside != negated && match_from(&p[next..], &n[1..])
        }
        Some('\\') => n.first() == p.get(1) && match_from(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && match_from(&p[1..], &n[1..]),
    }
}

/// `gobwas/glob` compiled with `/` as separator: `*` any run but `/`, `**` any run, `?` one
/// character but `/`, `[abc]`/`[!abc]`/`[a-z]` classes, `{a,b}` alternatives, `\` escapes.
/// `None` when the pattern does not compile (Helm then matches everything with `**`).
pub fn glob_match(pattern: &str, name: &str) -> Option<bool> {
    let tokens = parse_glob(&pattern.chars().collect::<Vec<_>>(), &mut 0, false)?;
    let n: Vec<char> = name.chars().collect();
    Some(glob_seq(&tokens, &n))
}

#[derive(Debug, Clone)]
enum Tok {
    Char(char),
    Any,
    Star,
    SuperStar,
    Class(bool, Vec<(char, char)>),
    Alt(Vec<Vec<Tok>>),
}

fn parse_glob(p: &[char], i: &mut usize, in_alt: bool) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    while *i < p.len() {
        let c = p[*i];
        match c {
            ',' | '}' if in_alt => return Some(out),
            '*' => {
                if p.get(*i + 1) == Some(&'*') {
                    out.push(Tok::SuperStar);
                    *i += 2;
                } else {
                    out.push(Tok::Star);
                    *i += 1;
                }
            }
            '?' => {
                out.push(Tok::Any);
                *i += 1;
            }
            '\\' => {
                out.push(Tok::Char(*p.get(*i + 1)?));
                *i += 2;
            }
            '[' => {
                *i += 1;
                let negated = p.get(*i) == Some(&'!');
                if negated {
                    *i += 1;
                }
                let mut ranges = Vec::new();
                loop {
                    let c = *p.get(*i)?;
                    if c == ']' {
                        *i += 1;
                        break;
                    }
                    if p.get(*i + 1) == Some(&'-') && p.get(*i + 2).is_some_and(|e| *e != ']') {
                        ranges.push((c, p[*i + 2]));
                        *i += 3;
                    } else {
                        ranges.push((c, c));
                        *i += 1;
                    }
                }
                out.push(Tok::Class(negated, ranges));
            }
            '{' => {
                *i += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(parse_glob(p, i, true)?);
                    match p.get(*i)? {
                        ',' => *i += 1,
                        '}' => {
                            *i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                out.push(Tok::Alt(alts));
            }
            _ => {
                out.push(Tok::Char(c));
                *i += 1;
            }
        }
    }
    if in_alt {
        return None;
    }
    Some(out)
}

fn glob_seq(toks: &[Tok], n: &[char]) -> bool {
    let Some(first) = toks.first() else {
        return n.is_empty();
    };
    let rest = &toks[1..];
    match first {
        Tok::Char(c) => n.first() == Some(c) && glob_seq(rest, &n[1..]),
        Tok::Any => n.first().is_some_and(|c| *c != '/') && glob_seq(rest, &n[1..]),
        Tok::Class(negated, ranges) => {
            n.first().is_some_and(|c| {
                let inside = ranges.iter().any(|(lo, hi)| lo <= c && c <= hi);
                inside != *negated
            }) && glob_seq(rest, &n[1..])
        }
        Tok::Star | Tok::SuperStar => {
            let mut k = 0;
            loop {
                if glob_seq(rest, &n[k..]) {
                    return true;
                }
                if k >= n.len() || (matches!(first, Tok::Star) && n[k] == '/') {
                    return false;
                }
                k += 1;
            }
        }
        Tok::Alt(alts) => alts.iter().any(|alt| {
            let mut seq = alt.clone();
            seq.extend_from_slice(rest);
            glob_seq(&seq, n)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filepath_match_follows_go() {
        assert_eq!(filepath_match("*.tgz", "a.tgz"), Ok(true));
        assert_eq!(filepath_match("*.tgz", "x/a.tgz"), Ok(false));
        assert_eq!(filepath_match("templates/.?*", "templates/.x"), Ok(true));
        assert_eq!(filepath_match("templates/.?*", "templates/."), Ok(false));
        assert_eq!(filepath_match("[a-c]x", "bx"), Ok(true));
        assert_eq!(filepath_match("[^a-c]x", "bx"), Ok(false));
        assert_eq!(filepath_match("a\\*", "a*"), Ok(true));
        assert_eq!(filepath_match("[", "a"), Err(BadPattern));
        assert_eq!(filepath_match("*~", "values.yaml~"), Ok(true));
    }

    #[test]
    fn gobwas_glob_follows_helm() {
        assert_eq!(glob_match("files/*.yaml", "files/a.yaml"), Some(true));
        assert_eq!(glob_match("files/*.yaml", "files/x/a.yaml"), Some(false));
        assert_eq!(glob_match("files/**.yaml", "files/x/a.yaml"), Some(true));
        assert_eq!(glob_match("*.{json,yaml}", "a.json"), Some(true));
        assert_eq!(glob_match("[!a]b", "ab"), Some(false));
        assert_eq!(glob_match("{a", "a"), None);
    }
}
