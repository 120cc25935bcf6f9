//! `semver` and `semverCompare` with the semantics of `Masterminds/semver/v3` (v3.4.0, the
//! version Helm v4.1.4 builds with): coercing version parsing (`v1`, `1.2` are fine), and
//! constraints with `||`, `,`/space as AND, ranges `a - b`, wildcards `x`/`*`, `~`, `^`, and
//! prereleases only matching constraints that name one.

use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::OnceLock;

use ::regex::Regex;

use crate::func::{Ctx, FuncDef, FuncResult};
use crate::value::{Object, Value};

use super::args::string;
use super::def;

/// The semver functions.
pub(super) const FUNCS: &[FuncDef] = &[
    def("semver", 1, Some(1), semver),
    def("semverCompare", 2, Some(2), semver_compare),
];

/// A parsed version (`*semver.Version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

struct Patterns {
    loose: Regex,
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: String| Regex::new(&p).expect("the semver patterns are valid");
        Patterns {
            loose: re(r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$".into()),
            constraint: re(format!(r"^[\t\n\x0C\r ]*({OPS})[\t\n\x0C\r ]*({CV})[\t\n\x0C\r ]*$")),
            range: re(format!(r"[\t\n\x0C\r ]*({CV})[\t\n\x0C\r ]+-[\t\n\x0C\r ]+({CV})[\t\n\x0C\r ]*")),
            find: re(format!(r"({OPS})[\t\n\x0C\r ]*({CV})")),
            valid: re(format!(r"^([\t\n\x0C\r ]*({OPS})[\t\n\x0C\r ]*({CV})[\t\n\x0C\r ]*)((?:[\t\n\x0C\r ]+|,[\t\n\x0C\r ]*)({OPS})[\t\n\x0C\r ]*({CV})[\t\n\x0C\r ]*)*$")),
        }
    })
}

fn parse_segment(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing \"{s}\": value out of range"
        )
    })
}

fn validate_prerelease(p: &str) -> Result<(), String> {
    for part in p.split('.') {
        if part.is_empty() {
            return Err("invalid prerelease string".into());
        } else if part.bytes().all(|b| b.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        } else if !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err("invalid prerelease string".into());
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), String> {
    for part in m.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err("invalid metadata string".into());
        }
    }
    Ok(())
}

impl Version {
    /// `semver.NewVersion` (coercing: `v` prefix, missing minor/patch, leading zeros allowed).
    pub fn parse(v: &str) -> Result<Version, String> {
        let m = patterns()
            .loose
            .captures(v)
            .ok_or("invalid semantic version")?;
        let group = |i: usize| m.get(i).map_or("", |g| g.as_str());
        let version = Version {
            major: parse_segment(group(1))?,
            minor: match group(2) {
                "" => 0,
                s => parse_segment(&s[1..])?,
            },
            patch: match group(3) {
                "" => 0,
                s => parse_segment(&s[1..])?,
            },
            pre: group(5).to_string(),
            metadata: group(8).to_string(),
            original: v.to_string(),
        };
        if !version.pre.is_empty() {
            validate_prerelease(&version.pre)?;
        }
        if !version.metadata.is_empty() {
            validate_metadata(&version.metadata)?;
        }
        Ok(version)
    }

    /// Precedence: numbers, then a release above its prereleases, then prerelease parts.
    pub fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (sa, sb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..sa.len().max(sb.len()) {
        let d = compare_pre_part(
            sa.get(i).copied().unwrap_or(""),
            sb.get(i).copied().unwrap_or(""),
        );
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (_, Err(_)) => Ordering::Less,
        (Err(_), _) => Ordering::Greater,
        (Ok(x), Ok(y)) => {
            if x > y {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

struct Constraint {
    con: Version,
    op: String,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

fn parse_constraint(c: &str) -> Result<Constraint, String> {
    let m = patterns()
        .constraint
        .captures(c)
        .ok_or_else(|| format!("improper constraint: {c}"))?;
    let g = |i: usize| m.get(i).map_or("", |x| x.as_str());
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(g(3)) || g(3).is_empty() {
        dirty = true;
        format!("0.0.0{}", g(6))
    } else if is_x(g(4).trim_start_matches('.')) || g(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{}.0.0{}", g(3), g(6))
    } else if is_x(g(5).trim_start_matches('.')) || g(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{}{}.0{}", g(3), g(4), g(6))
    } else {
        g(2).to_string()
    };
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        con,
        op: g(1).to_string(),
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraint {
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            "!=" => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == Ordering::Greater
                }
            }
            "<" => v.compare(c) == Ordering::Less,
            ">=" | "=>" => v.compare(c) != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                !(v.major > c.major || v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            "~" | "~>" => self.tilde(v),
            "^" => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
            _ => false,
        }
    }
}

/// `semver.NewConstraint(c).Check(v)`.
pub fn constraint_matches(constraint: &str, version: &Version) -> Result<bool, String> {
    let p = patterns();
    let mut rewritten = constraint.to_string();
    for m in p.range.captures_iter(constraint) {
        let whole = m.get(0).map_or("", |x| x.as_str());
        let replacement = format!(">= {}, <= {} ", &m[1], &m[11]);
        rewritten = rewritten.replacen(whole, &replacement, 1);
    }
    let mut groups = Vec::new();
    for part in rewritten.split("||") {
        if !p.valid.is_match(part) {
            return Err(format!("improper constraint: {part}"));
        }
        let found: Vec<&str> = p.find.find_iter(part).map(|m| m.as_str()).collect();
        let found = if found.is_empty() { vec![part] } else { found };
        let constraints = found
            .into_iter()
            .map(parse_constraint)
            .collect::<Result<Vec<_>, _>>()?;
        let has_pre = constraints.iter().any(|c| !c.con.pre.is_empty());
        groups.push((constraints, has_pre));
    }
    Ok(groups
        .iter()
        .any(|(cs, pre)| cs.iter().all(|c| c.check(version, *pre))))
}

impl Object for Version {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }

    fn kind(&self) -> &str {
        "ptr"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::Int(self.major as i64),
            "Minor" => Value::Int(self.minor as i64),
            "Patch" => Value::Int(self.patch as i64),
            "Prerelease" => Value::str(&self.pre),
            "Metadata" => Value::str(&self.metadata),
            "Original" => Value::str(&self.original),
            "String" => Value::from(self.to_string()),
            _ => return None,
        })
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let other = || match args.first() {
            Some(Value::Object(o)) if o.type_name() == "*semver.Version" => {
                Version::parse(&o.display())
            }
            Some(v) => Err(format!(
                "wrong type for value; expected *semver.Version; got {}",
                v.type_name()
            )),
            None => Err("wrong number of args: want 1 got 0".into()),
        };
        let cmp = |f: fn(Ordering) -> bool| Some(other().map(|o| Value::Bool(f(self.compare(&o)))));
        match name {
            "LessThan" => cmp(|o| o == Ordering::Less),
            "GreaterThan" => cmp(|o| o == Ordering::Greater),
            "Equal" => cmp(|o| o == Ordering::Equal),
            "Compare" => Some(other().map(|o| Value::Int(self.compare(&o) as i64))),
            _ => self.field(name).map(Ok),
        }
    }

    fn display(&self) -> String {
        self.to_string()
    }

    fn to_data(&self) -> Value {
        Value::from(self.to_string())
    }
}

fn semver(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let v = Version::parse(string(a, 0)?)?;
    Ok(Value::Object(Rc::new(v)))
}

fn semver_compare(_: &mut Ctx, a: &[Value]) -> FuncResult {
    let constraint = string(a, 0)?;
    let version = string(a, 1)?;
    // Go parses the constraint first, so its errors come first.
    let probe = Version::parse("0.0.0").expect("a valid version");
    constraint_matches(constraint, &probe)?;
    let version = Version::parse(version)?;
    Ok(Value::Bool(constraint_matches(constraint, &version)?))
}
