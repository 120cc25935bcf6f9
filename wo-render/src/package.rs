//! Packaging a chart as a deterministic `.tgz`: the same chart files give the same bytes and
//! the same sha256 digest on any machine, from any clone.
//!
//! [`package`] takes the chart directory's files (a [`FileTree`], whatever it was read from:
//! a checkout, a commit of the source repository) and a version, and writes the archive
//! `helm package` would write, minus everything that varies between runs:
//!
//! - **Entries**: `<name>/Chart.yaml` first, then every other file that `.helmignore` keeps,
//!   as `<name>/<path>`, sorted by path (bytewise). Regular files only; directories are implied
//!   by the paths and get no entries of their own, as in `helm package`. Helm writes its
//!   entries in its loader's order (`values.yaml`, templates, other files, subcharts); the
//!   order does not matter to anything that reads a chart archive, the set of names is the
//!   same. File contents are copied byte for byte.
//! - **Headers**: ustar, mode `0644`, uid and gid 0, empty user and group names, mtime 0 (the
//!   Unix epoch), type regular file. A path longer than ustar's 100 bytes is split at a `/`
//!   into its 155-byte prefix field; one that cannot be split is refused.
//! - **Compression**: gzip at level 9 (miniz_oxide), no file name, mtime 0, OS byte 255
//!   (unknown). The bytes are a function of the entries and of the compressor: a later
//!   flate2/miniz_oxide version could compress differently, so the digest is stable for a
//!   given build of wo (its `Cargo.lock`), which is what a pipeline runs.
//! - **`Chart.yaml`**: only the value of the top-level `version` field is replaced; every
//!   other byte (comments, order, quoting) is kept. Helm itself re-emits `Chart.yaml` from its
//!   parsed metadata, so that one file differs from `helm package`'s in its text, not in its
//!   meaning. A `version` written as a block scalar (`|`, `>`) is refused.
//! - **`.helmignore`**: the chart's top-level `.helmignore` is applied with Helm's rules: one
//!   pattern a line, blank lines and `#` comments skipped, Go `filepath.Match` globs (`*`, `?`,
//!   `[…]` classes, `\` escapes; `*` never crosses `/`), a pattern without `/` matched against
//!   the file or directory name, one with `/` against the path from the chart root (a leading
//!   `/` anchors it there too), a trailing `/` for directories only, and `!` read as Helm reads
//!   it (a path that does *not* match a negated pattern is ignored). `**` is refused, as by
//!   Helm. Helm's default rule `templates/.?*` (dotfiles directly in `templates/`) is added.
//!   As with `helm package` from a directory, a vendored subchart's own `.helmignore` is not
//!   applied; vendored `charts/*.tgz` archives are kept as archives (Helm expands them into
//!   directories; both load as the same chart).
//!
//! The archive is called `<name>-<version>.tgz` and its digest is `sha256:<hex>`, the form an
//! OCI registry names a blob by.
//!
//! # The version
//!
//! [`chart_version`] derives the version a chart is published under from the chart's own
//! version and the source commit it was packaged from: `<version>-wo.g<12 hex>`, e.g.
//! `1.2.0-wo.g3f2a9c1b7d4e` (a chart already at a pre-release `1.2.0-rc.1` gets
//! `1.2.0-rc.1.wo.g3f2a9c1b7d4e`). Why this form:
//!
//! - It is valid SemVer 2.0.0, and each source commit gets its own version, so one version
//!   never names two different archives.
//! - It is a valid OCI tag as it stands. SemVer's build metadata (`1.2.0+wo.3f2a…`) is not:
//!   `+` is not allowed in a tag, `helm push` writes it as `_`, and every other client of the
//!   registry (Workload Orchestration among them) would see a tag that differs from the
//!   chart's version. A chart version that already has build metadata is refused for the same
//!   reason.
//! - The commit is a pre-release identifier of its own, prefixed `g` as in `git describe`, so
//!   it is alphanumeric: a 12-digit prefix made only of decimal digits would otherwise be a
//!   numeric identifier, which SemVer forbids to start with `0`.
//! - The cost: a pre-release sorts *before* its release (`1.2.0-wo.g… < 1.2.0`) and semver
//!   ranges such as `^1.2.0` leave pre-releases out. wo always names the exact version it
//!   published, so neither order nor ranges come into play; two packagings of the same chart
//!   version from different commits sort by commit hash, which means nothing.

use std::io::Write;

use flate2::{Compression, GzBuilder};
use saphyr_parser::{Event, Parser, ScalarStyle};
use sha2::{Digest, Sha256};
use wo_core::files::{check_relative_path, FileTree, MAX_FILE_BYTES};
use wo_core::yaml::{self, NodeKind};
use wo_core::{Error, Location, Result};

/// The chart's metadata file.
pub const CHART_FILE: &str = "Chart.yaml";
/// The file of ignore patterns at the chart's root.
pub const HELMIGNORE_FILE: &str = ".helmignore";
/// The modification time of every entry (seconds since the Unix epoch).
pub const ENTRY_MTIME: u64 = 0;
/// The gzip compression level.
pub const GZIP_LEVEL: u32 = 9;
/// The longest OCI tag (and so the longest version [`chart_version`] returns).
pub const MAX_TAG_LEN: usize = 128;
/// How many hex digits of the source commit go into the version.
pub const COMMIT_DIGITS: usize = 12;

/// A packaged chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// `<name>-<version>.tgz`.
    pub file_name: String,
    /// The gzip'd tar.
    pub bytes: Vec<u8>,
    /// `sha256:<64 lowercase hex>` of [`Packaged::bytes`].
    pub digest: String,
    /// The chart's name (`Chart.yaml`'s `name`).
    pub name: String,
    /// The version written into `Chart.yaml`.
    pub version: String,
}

/// The version a chart is published under: `chart_version` (the chart's own, SemVer 2.0.0; a
/// leading `v`, which Helm accepts, is dropped) with the pre-release identifiers `wo.g<first 12 hex digits of source_commit>`
/// appended. See the [module docs](self) for why.
///
/// # Errors
/// [`Error::Invalid`] when `chart_version` is not SemVer 2.0.0, carries build metadata (`+…`),
/// or the result would exceed [`MAX_TAG_LEN`]; when `source_commit` is not 12 to 64 hex
/// digits.
///
/// ```
/// use wo_render::package::chart_version;
/// let v = chart_version("1.2.0", "3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345").unwrap();
/// assert_eq!(v, "1.2.0-wo.g3f2a9c1b7d4e");
/// ```
pub fn chart_version(chart_version: &str, source_commit: &str) -> Result<String> {
    let here = || Location::file(CHART_FILE).with_key("version");
    // Helm takes `v1.2.0` for `1.2.0` (cert-manager's chart is `v0.0.0`); the result is strict.
    let chart_version = chart_version.strip_prefix('v').unwrap_or(chart_version);
    let parts = parse_semver(chart_version).map_err(|m| Error::invalid(here(), m))?;
    if let Some(build) = parts.build {
        return Err(Error::invalid(
            here(),
            format!(
                "the chart version `{chart_version}` has build metadata `+{build}`: `+` cannot be part of an OCI tag, so wo cannot publish it; remove `+{build}`"
            ),
        ));
    }
    let commit = source_commit.trim();
    let hex_ok = commit.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex_ok || !(COMMIT_DIGITS..=64).contains(&commit.len()) {
        return Err(Error::invalid(
            Location::file("source commit"),
            format!(
                "`{}` is not a commit id: expected {COMMIT_DIGITS} to 64 hex digits",
                commit.escape_debug()
            ),
        ));
    }
    let id = format!("wo.g{}", commit[..COMMIT_DIGITS].to_ascii_lowercase());
    let version = match parts.pre {
        Some(_) => format!("{chart_version}.{id}"),
        None => format!("{chart_version}-{id}"),
    };
    if version.len() > MAX_TAG_LEN {
        return Err(Error::invalid(
            here(),
            format!(
                "the chart version `{chart_version}` is too long: with `{id}` it makes a {}-character version, and an OCI tag holds at most {MAX_TAG_LEN}",
                version.len()
            ),
        ));
    }
    Ok(version)
}

/// Packages the chart whose directory holds `chart` (paths relative to the chart's root) as
/// version `version` (SemVer 2.0.0, or with a leading `v` as Helm allows; written into
/// `Chart.yaml`). See the [module docs](self)
/// for the layout.
///
/// # Errors
/// [`Error::Invalid`] naming the file: no `Chart.yaml`, or one that is not YAML, has no
/// `name` (or a name that is not one path segment) or no `version`; a `.helmignore` pattern
/// Helm refuses; a file over [`MAX_FILE_BYTES`]; a path that is unsafe or too long for the
/// archive; `version` not SemVer 2.0.0.
pub fn package(chart: &FileTree, version: &str) -> Result<Packaged> {
    // A leading `v` is accepted, as Helm accepts it (a chart at its own `v0.0.0`).
    parse_semver(version.strip_prefix('v').unwrap_or(version))
        .map_err(|m| Error::invalid(Location::file(CHART_FILE).with_key("version"), m))?;
    let chart_yaml = chart.text(CHART_FILE)?.ok_or_else(|| {
        Error::invalid(
            Location::file(CHART_FILE),
            "the chart has no Chart.yaml: a chart directory holds Chart.yaml at its root",
        )
    })?;
    let name = chart_name(chart_yaml)?;
    let rewritten = set_version(chart_yaml, version)?;

    let rules = match chart.text(HELMIGNORE_FILE)? {
        Some(text) => IgnoreRules::parse(text)?,
        None => IgnoreRules::default(),
    }
    .with_defaults();

    let mut files: Vec<(&str, &[u8])> = Vec::new();
    for (path, content) in chart.iter() {
        check_relative_path(path).map_err(|m| Error::invalid(Location::file(path), m))?;
        if content.len() as u64 > MAX_FILE_BYTES {
            return Err(Error::invalid(
                Location::file(path),
                format!(
                    "the file is {} bytes; the limit is {MAX_FILE_BYTES} bytes",
                    content.len()
                ),
            ));
        }
        if path == CHART_FILE {
            if rules.ignores_file(path) {
                return Err(Error::invalid(
                    Location::file(HELMIGNORE_FILE),
                    "it ignores Chart.yaml, without which there is no chart",
                ));
            }
            continue;
        }
        if !rules.ignores_file(path) {
            files.push((path, content));
        }
    }

    let mut tar = Vec::new();
    append_entry(&mut tar, &name, CHART_FILE, rewritten.as_bytes())?;
    for (path, content) in files {
        append_entry(&mut tar, &name, path, content)?;
    }
    tar.extend_from_slice(&[0u8; 1024]);

    let mut gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::new(GZIP_LEVEL));
    gz.write_all(&tar)
        .map_err(|e| Error::backend("gzip", e.to_string()))?;
    let bytes = gz
        .finish()
        .map_err(|e| Error::backend("gzip", e.to_string()))?;
    let digest = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
    Ok(Packaged {
        file_name: format!("{name}-{version}.tgz"),
        bytes,
        digest,
        name,
        version: version.to_owned(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parts of a SemVer 2.0.0 version.
struct SemVer<'a> {
    pre: Option<&'a str>,
    build: Option<&'a str>,
}

/// Parses strict SemVer 2.0.0 (`MAJOR.MINOR.PATCH[-pre][+build]`, no leading zeros, no `v`).
fn parse_semver(v: &str) -> std::result::Result<SemVer<'_>, String> {
    let bad = |why: &str| {
        format!(
            "`{}` is not a SemVer 2.0.0 version ({why}); write MAJOR.MINOR.PATCH, e.g. 1.2.0 or 1.2.0-rc.1",
            v.escape_debug()
        )
    };
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() != 3 {
        return Err(bad("it needs exactly three numbers"));
    }
    for n in &numbers {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("MAJOR, MINOR and PATCH are decimal numbers"));
        }
        if n.len() > 1 && n.starts_with('0') {
            return Err(bad("numbers have no leading zeros"));
        }
    }
    let idents_ok = |s: &str, numeric_rule: bool| {
        s.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !(numeric_rule
                    && id.len() > 1
                    && id.starts_with('0')
                    && id.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    if let Some(p) = pre {
        if !idents_ok(p, true) {
            return Err(bad(
                "pre-release identifiers are non-empty [0-9A-Za-z-], numeric ones without leading zeros",
            ));
        }
    }
    if let Some(b) = build {
        if !idents_ok(b, false) {
            return Err(bad("build identifiers are non-empty [0-9A-Za-z-]"));
        }
    }
    Ok(SemVer { pre, build })
}

/// The chart's `name`, which becomes the archive's top directory.
fn chart_name(chart_yaml: &str) -> Result<String> {
    let doc = yaml::parse(chart_yaml, CHART_FILE)?;
    let at = |line, column| Location::file(CHART_FILE).at(line, column);
    if !matches!(doc.kind, NodeKind::Map(_)) {
        return Err(Error::invalid(
            at(doc.line, doc.column),
            format!("Chart.yaml is {}, not a map", doc.kind.describe()),
        ));
    }
    let Some(node) = doc.get("name") else {
        return Err(Error::invalid(
            Location::file(CHART_FILE),
            "Chart.yaml has no `name`",
        ));
    };
    let name = match &node.kind {
        NodeKind::Str(s) => s.clone(),
        other => {
            return Err(Error::invalid(
                at(node.line, node.column).with_key("name"),
                format!("`name` is {}, not a string", other.describe()),
            ))
        }
    };
    if name.contains('/') || check_relative_path(&name).is_err() {
        return Err(Error::invalid(
            at(node.line, node.column).with_key("name"),
            format!(
                "the chart name `{}` is not one path segment: it names the archive's top directory, so it must not be empty, `.`, `..` or hold `/`, `\\` or NUL",
                name.escape_debug()
            ),
        ));
    }
    Ok(name)
}

/// `chart_yaml` with the value of its top-level `version` replaced by `version`, every other
/// byte kept.
fn set_version(chart_yaml: &str, version: &str) -> Result<String> {
    let invalid = |m: String| Error::invalid(Location::file(CHART_FILE).with_key("version"), m);
    let mut depth = 0usize;
    // At depth 1 (the root map): whether the next node is a key, and whether the last key
    // was `version`.
    let mut key_next = true;
    let mut after_version_key = false;
    let mut found = None;
    for item in Parser::new_from_str(chart_yaml) {
        let (event, span) = item.map_err(|e| invalid(format!("Chart.yaml is not YAML: {e}")))?;
        let at_root_node = depth == 1;
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if at_root_node && !key_next && after_version_key {
                    return Err(invalid("`version` is a collection, not a scalar".into()));
                }
                depth += 1;
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Event::Scalar(value, style, ..) => {
                if at_root_node && key_next {
                    after_version_key = value == "version";
                } else if at_root_node && after_version_key {
                    found = Some((span, style));
                }
            }
            Event::Alias(_) => {
                if at_root_node && !key_next && after_version_key {
                    return Err(invalid(
                        "`version` is an alias; write the version itself".into(),
                    ));
                }
            }
            _ => continue,
        }
        if depth == 1 {
            key_next = !key_next;
        }
    }
    let Some((span, style)) = found else {
        return Err(invalid("Chart.yaml has no `version`".into()));
    };
    let byte_at = |chars: usize| {
        chart_yaml
            .char_indices()
            .nth(chars)
            .map_or(chart_yaml.len(), |(i, _)| i)
    };
    let (start, end) = (byte_at(span.start.index()), byte_at(span.end.index()));
    let original = &chart_yaml[start..end];
    let replacement =
        match style {
            ScalarStyle::Plain if !original.starts_with(['"', '\'']) => version.to_owned(),
            ScalarStyle::SingleQuoted if original.starts_with('\'') => format!("'{version}'"),
            ScalarStyle::DoubleQuoted if original.starts_with('"') => format!("\"{version}\""),
            _ => return Err(invalid(
                "write `version` as a plain or quoted scalar on one line (e.g. `version: 1.2.0`)"
                    .into(),
            )),
        };
    let out = format!(
        "{}{replacement}{}",
        &chart_yaml[..start],
        &chart_yaml[end..]
    );
    check_only_version_changed(chart_yaml, &out, version)?;
    Ok(out)
}

/// Proof that the rewrite changed `version` and nothing else that YAML can see.
fn check_only_version_changed(before: &str, after: &str, version: &str) -> Result<()> {
    let old = yaml::parse(before, CHART_FILE)?;
    let new = yaml::parse(after, CHART_FILE)?;
    let fail = || {
        Error::invalid(
            Location::file(CHART_FILE).with_key("version"),
            "replacing the value of `version` would change more than that value; write `version: <x.y.z>` on a line of its own",
        )
    };
    let (NodeKind::Map(a), NodeKind::Map(b)) = (&old.kind, &new.kind) else {
        return Err(fail());
    };
    if a.len() != b.len() {
        return Err(fail());
    }
    for ((ka, va), (kb, vb)) in a.iter().zip(b) {
        let key = ka.key_text();
        if key != kb.key_text() {
            return Err(fail());
        }
        let same = if key.as_deref() == Some("version") {
            matches!(&vb.kind, NodeKind::Str(s) if s == version)
        } else {
            va.to_value(CHART_FILE)? == vb.to_value(CHART_FILE)?
        };
        if !same {
            return Err(fail());
        }
    }
    Ok(())
}

/// Appends one ustar entry (header and content padded to 512 bytes).
fn append_entry(tar: &mut Vec<u8>, name: &str, path: &str, content: &[u8]) -> Result<()> {
    let full = format!("{name}/{path}");
    let (prefix, base) = split_ustar(&full).ok_or_else(|| {
        Error::invalid(
            Location::file(path),
            format!(
                "the archive path `{full}` is too long for a ustar header (a name of at most 100 bytes after a `/`, at most 155 before it)"
            ),
        )
    })?;
    let mut h = [0u8; 512];
    h[..base.len()].copy_from_slice(base.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], content.len() as u64);
    octal(&mut h[136..148], ENTRY_MTIME);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    // The checksum field: six octal digits, NUL, space.
    let digits = format!("{sum:06o}");
    h[148..154].copy_from_slice(digits.as_bytes());
    h[154] = 0;
    h[155] = b' ';
    tar.extend_from_slice(&h);
    tar.extend_from_slice(content);
    let pad = (512 - content.len() % 512) % 512;
    tar.resize(tar.len() + pad, 0);
    Ok(())
}

/// `value` as zero-padded octal filling `field` but its last byte, which is NUL.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(&text.as_bytes()[text.len() - width..]);
    field[width] = 0;
}

/// Splits a path into ustar's prefix (≤ 155 bytes) and name (≤ 100 bytes) at a `/`.
fn split_ustar(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    path.match_indices('/')
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .find(|(prefix, name)| prefix.len() <= 155 && name.len() <= 100 && !name.is_empty())
}

/// One token of a Go `filepath.Match` pattern.
#[derive(Debug, Clone)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    Any,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `[…]` or `[^…]`: ranges (a single character is a range of one).
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Tokenizes a Go `filepath.Match` pattern; `Err` for the patterns Go calls bad.
fn glob_tokens(pattern: &str) -> std::result::Result<Vec<Token>, String> {
    let bad = || format!("`{pattern}` is not a valid pattern (Go's filepath.Match syntax)");
    let mut chars = pattern.chars().peekable();
    let mut tokens = Vec::new();
    let escaped = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<char> {
        match chars.next()? {
            '\\' => chars.next(),
            c => Some(c),
        }
    };
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Token::Star,
            '?' => Token::Any,
            '\\' => Token::Literal(chars.next().ok_or_else(bad)?),
            '[' => {
                let negated = chars.next_if_eq(&'^').is_some();
                let mut ranges = Vec::new();
                loop {
                    if chars.next_if_eq(&']').is_some() && !ranges.is_empty() {
                        break;
                    }
                    let lo = match chars.peek() {
                        None | Some(']') | Some('-') => return Err(bad()),
                        Some(_) => escaped(&mut chars).ok_or_else(bad)?,
                    };
                    let hi = if chars.next_if_eq(&'-').is_some() {
                        match chars.peek() {
                            None | Some(']') | Some('-') => return Err(bad()),
                            Some(_) => escaped(&mut chars).ok_or_else(bad)?,
                        }
                    } else {
                        lo
                    };
                    ranges.push((lo, hi));
                }
                Token::Class { negated, ranges }
            }
            ']' => return Err(bad()),
            c => Token::Literal(c),
        });
    }
    Ok(tokens)
}

/// Whether `name` matches the whole token list, as Go's `filepath.Match` (with `/` as the
/// separator). Dynamic programming over (token, character): linear in their product.
fn glob_match(tokens: &[Token], name: &str) -> bool {
    let s: Vec<char> = name.chars().collect();
    // reach[j]: the tokens so far can match s[..j].
    let mut reach = vec![false; s.len() + 1];
    reach[0] = true;
    for token in tokens {
        let mut next = vec![false; s.len() + 1];
        match token {
            Token::Star => {
                for j in 0..=s.len() {
                    next[j] = reach[j] || (j > 0 && next[j - 1] && s[j - 1] != '/');
                }
            }
            _ => {
                for j in 1..=s.len() {
                    let c = s[j - 1];
                    let one = match token {
                        Token::Literal(l) => c == *l,
                        Token::Any => c != '/',
                        Token::Class { negated, ranges } => {
                            ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
                        }
                        Token::Star => unreachable!(),
                    };
                    next[j] = reach[j - 1] && one;
                }
            }
        }
        reach = next;
    }
    reach[s.len()]
}

/// Where a `.helmignore` pattern is matched.
#[derive(Debug, Clone, Copy)]
enum Anchor {
    /// No `/` in it: the last path segment.
    Base,
    /// A `/` in it (a leading one removed): the whole path from the chart root.
    Path,
}

#[derive(Debug, Clone)]
struct IgnoreRule {
    negated: bool,
    dir_only: bool,
    anchor: Anchor,
    tokens: Vec<Token>,
}

/// The rules of a `.helmignore`, evaluated as Helm evaluates them.
#[derive(Debug, Clone, Default)]
struct IgnoreRules {
    rules: Vec<IgnoreRule>,
}

impl IgnoreRules {
    fn parse(text: &str) -> Result<IgnoreRules> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let at =
                Location::file(HELMIGNORE_FILE).at(u32::try_from(n + 1).unwrap_or(u32::MAX), 1);
            if let Some(rule) = IgnoreRule::parse(line).map_err(|m| Error::invalid(at, m))? {
                rules.push(rule);
            }
        }
        Ok(IgnoreRules { rules })
    }

    /// Adds Helm's default rule: dotfiles directly under `templates/`.
    fn with_defaults(mut self) -> Self {
        if let Ok(Some(rule)) = IgnoreRule::parse("templates/.?*") {
            self.rules.push(rule);
        }
        self
    }

    /// Whether the file at `path` is left out: one of its directories is, or it is.
    fn ignores_file(&self, path: &str) -> bool {
        let dirs = path.match_indices('/').map(|(i, _)| &path[..i]);
        dirs.into_iter().any(|d| self.ignores(d, true)) || self.ignores(path, false)
    }

    /// Helm's `Rules.Ignore`: the first positive rule that matches ignores the path; a negated
    /// rule that does not match (or is for directories and meets a file) ignores it too.
    fn ignores(&self, path: &str, is_dir: bool) -> bool {
        for rule in &self.rules {
            if rule.negated {
                if (rule.dir_only && !is_dir) || !rule.matches(path) {
                    return true;
                }
                continue;
            }
            if rule.dir_only && !is_dir {
                continue;
            }
            if rule.matches(path) {
                return true;
            }
        }
        false
    }
}

impl IgnoreRule {
    fn parse(line: &str) -> std::result::Result<Option<IgnoreRule>, String> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(None);
        }
        if rule.contains("**") {
            return Err(format!(
                "`{rule}`: double-star (**) syntax is not supported by Helm"
            ));
        }
        glob_tokens(rule)?;
        let negated = rule.starts_with('!');
        if negated {
            rule = &rule[1..];
        }
        let dir_only = rule.ends_with('/');
        if dir_only {
            rule = &rule[..rule.len() - 1];
        }
        let anchor = if rule.contains('/') {
            Anchor::Path
        } else {
            Anchor::Base
        };
        let rule = rule.strip_prefix('/').unwrap_or(rule);
        Ok(Some(IgnoreRule {
            negated,
            dir_only,
            anchor,
            tokens: glob_tokens(rule)?,
        }))
    }

    fn matches(&self, path: &str) -> bool {
        let subject = match self.anchor {
            Anchor::Base => path.rsplit('/').next().unwrap_or(path),
            Anchor::Path => path,
        };
        glob_match(&self.tokens, subject)
    }
}

/// The most a chart archive may hold once unpacked (all files together).
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// The most entries a chart archive may have.
pub const MAX_ENTRIES: usize = 10_000;

/// A chart read back from its archive (what a registry serves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// The chart's name: the archive's top-level directory.
    pub name: String,
    /// The chart's files, rooted at the chart (`Chart.yaml`, `templates/…`).
    pub files: FileTree,
}

/// Reads a chart archive (`.tgz`, as [`package`] or `helm package` writes it): every regular
/// file under the single top-level directory, re-rooted there. `shown` names the archive in
/// messages (its reference).
///
/// # Errors
/// [`Error::Invalid`] naming `shown`: not gzip'd tar; entries under more than one top-level
/// directory, or none; a path that is absolute or climbs out (`..`); a link or a device; a file
/// over [`MAX_FILE_BYTES`], more than [`MAX_UNPACKED_BYTES`] in all, or more than
/// [`MAX_ENTRIES`] entries; no `Chart.yaml`.
pub fn unpack(bytes: &[u8], shown: &str) -> Result<Unpacked> {
    let bad = |m: String| Error::invalid(Location::file(shown), m);
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let mut name: Option<String> = None;
    let mut files = FileTree::new();
    let mut total = 0u64;
    let entries = archive
        .entries()
        .map_err(|e| bad(format!("not a chart archive (gzip'd tar): {e}")))?;
    for (i, entry) in entries.enumerate() {
        if i >= MAX_ENTRIES {
            return Err(bad(format!(
                "the archive has more than {MAX_ENTRIES} entries"
            )));
        }
        let mut entry = entry.map_err(|e| bad(format!("not a chart archive (gzip'd tar): {e}")))?;
        let path = entry
            .path()
            .map_err(|e| bad(format!("an entry has an unreadable path: {e}")))?;
        let path = path.to_string_lossy().replace('\\', "/");
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() {
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            return Err(bad(format!(
                "`{}` is not a regular file ({kind:?}): a chart archive holds files only",
                path.escape_debug()
            )));
        }
        let (top, rest) = path.split_once('/').unwrap_or((path.as_str(), ""));
        check_relative_path(&path).map_err(|m| bad(format!("`{}`: {m}", path.escape_debug())))?;
        if rest.is_empty() {
            return Err(bad(format!(
                "`{}` is outside the chart's directory",
                path.escape_debug()
            )));
        }
        match &name {
            None => name = Some(top.to_string()),
            Some(n) if n == top => {}
            Some(n) => {
                return Err(bad(format!(
                    "the archive holds more than one chart directory (`{n}`, `{}`)",
                    top.escape_debug()
                )))
            }
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_FILE_BYTES {
            return Err(bad(format!(
                "`{}` is {size} bytes; the limit is {MAX_FILE_BYTES} bytes",
                path.escape_debug()
            )));
        }
        total = total.saturating_add(size);
        if total > MAX_UNPACKED_BYTES {
            return Err(bad(format!(
                "the chart is more than {MAX_UNPACKED_BYTES} bytes unpacked"
            )));
        }
        let mut content = Vec::with_capacity(size as usize);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut entry, MAX_FILE_BYTES + 1),
            &mut content,
        )
        .map_err(|e| bad(format!("`{}` cannot be read: {e}", path.escape_debug())))?;
        files.insert(rest.to_string(), content)?;
    }
    let name = name.ok_or_else(|| bad("the archive is empty".into()))?;
    if !files.contains(CHART_FILE) {
        return Err(bad(format!("the archive has no `{name}/{CHART_FILE}`")));
    }
    Ok(Unpacked { name, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345";

    #[test]
    fn chart_version_appends_the_commit_as_a_pre_release() {
        assert_eq!(
            chart_version("1.2.0", COMMIT).unwrap(),
            "1.2.0-wo.g3f2a9c1b7d4e"
        );
        assert_eq!(
            chart_version("1.2.0-rc.1", &COMMIT.to_uppercase()).unwrap(),
            "1.2.0-rc.1.wo.g3f2a9c1b7d4e"
        );
        // An all-digit prefix with a leading zero stays a valid identifier thanks to `g`.
        assert_eq!(
            chart_version("v0.0.0", COMMIT).unwrap(),
            "0.0.0-wo.g3f2a9c1b7d4e"
        );
        let v = chart_version("0.1.0", "012345678901aaaa").unwrap();
        assert_eq!(v, "0.1.0-wo.g012345678901");
        assert!(parse_semver(&v).is_ok());
    }

    #[test]
    fn chart_version_refuses_what_is_not_semver_or_a_commit() {
        for bad in [
            "1.2", "vv1.2.0", "V1.2.0", "01.2.0", "1.2.0-", "1.2.0-01", "1.2.x", "", "1.2.0+",
        ] {
            let e = chart_version(bad, COMMIT).unwrap_err().to_string();
            assert!(
                e.contains("SemVer 2.0.0") && e.contains("Chart.yaml"),
                "{bad}: {e}"
            );
        }
        let e = chart_version("1.2.0+build.7", COMMIT)
            .unwrap_err()
            .to_string();
        assert!(e.contains("build metadata") && e.contains("OCI tag"), "{e}");
        for bad in ["3f2a9c1b7d4", "not-a-commit", "3f2a9c1b7d4z"] {
            let e = chart_version("1.2.0", bad).unwrap_err().to_string();
            assert!(e.contains("not a commit id"), "{bad}: {e}");
        }
        let long = format!("1.2.0-{}", "a".repeat(110));
        let e = chart_version(&long, COMMIT).unwrap_err().to_string();
        assert!(e.contains("OCI tag holds at most 128"), "{e}");
    }

    #[test]
    fn set_version_edits_only_the_value() {
        let text = "# top\napiVersion: v2\nname: shop # the name\nversion: 1.2.0   # bumped by CI\nappVersion: \"2.4.1\"\n";
        assert_eq!(
            set_version(text, "1.2.0-wo.gabc").unwrap(),
            "# top\napiVersion: v2\nname: shop # the name\nversion: 1.2.0-wo.gabc   # bumped by CI\nappVersion: \"2.4.1\"\n"
        );
        let quoted = "name: a\nversion: \"1.0.0\"\nx: {version: 9}\n";
        assert_eq!(
            set_version(quoted, "2.0.0").unwrap(),
            "name: a\nversion: \"2.0.0\"\nx: {version: 9}\n"
        );
        let single = "{name: a, version: '1.0.0', b: [1]}";
        assert_eq!(
            set_version(single, "2.0.0").unwrap(),
            "{name: a, version: '2.0.0', b: [1]}"
        );
        assert!(set_version("name: a\nversion: |\n  1.0.0\n", "2.0.0").is_err());
        assert!(set_version("name: a\n", "2.0.0")
            .unwrap_err()
            .to_string()
            .contains("no `version`"));
    }

    #[test]
    fn globs_follow_go_filepath_match() {
        let m = |p: &str, s: &str| glob_match(&glob_tokens(p).unwrap(), s);
        assert!(m("*.swp", "a.swp"));
        assert!(!m("*.swp", "d/a.swp"));
        assert!(m("templates/.?*", "templates/.hidden"));
        assert!(!m("templates/.?*", "templates/."));
        assert!(m("[a-c]x", "bx") && !m("[^a-c]x", "bx") && m("\\*", "*"));
        assert!(glob_tokens("[").is_err() && glob_tokens("a\\").is_err());
        assert!(glob_tokens("[]").is_err());
    }

    #[test]
    fn helmignore_rules_read_as_helm_reads_them() {
        let r = IgnoreRules::parse("# c\n\n*.bak\nimg/\n/CHANGELOG.md\nci/*.yaml\n")
            .unwrap()
            .with_defaults();
        assert!(r.ignores_file("x.bak") && r.ignores_file("templates/x.bak"));
        assert!(r.ignores_file("img/a.png") && r.ignores_file("docs/img/a.png"));
        assert!(!r.ignores_file("img"), "a file named img is no directory");
        assert!(r.ignores_file("CHANGELOG.md") && !r.ignores_file("docs/CHANGELOG.md"));
        assert!(r.ignores_file("ci/a.yaml") && !r.ignores_file("ci/a/b.yaml"));
        assert!(r.ignores_file("templates/.keep") && !r.ignores_file("templates/a/.keep"));
        assert!(!r.ignores_file("templates/deployment.yaml"));
        // Helm's reading of `!`: what does not match the negated pattern is ignored.
        let neg = IgnoreRules::parse("!*.yaml\n").unwrap();
        assert!(!neg.ignores_file("values.yaml") && neg.ignores_file("README.md"));
        let e = IgnoreRules::parse("ok\nfoo/**/bar\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(".helmignore") && e.contains('2') && e.contains("**"),
            "{e}"
        );
    }

    #[test]
    fn long_paths_use_the_ustar_prefix() {
        let long = format!("{}/{}", "d".repeat(150), "f".repeat(99));
        assert_eq!(split_ustar(&long).unwrap().0.len(), 150);
        assert!(split_ustar(&"x".repeat(101)).is_none());
    }

    #[test]
    fn unpack_reads_back_what_package_wrote() {
        let mut chart = FileTree::new();
        chart
            .insert("Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n")
            .unwrap();
        chart
            .insert("templates/cm.yaml", "kind: ConfigMap\n")
            .unwrap();
        chart.insert(".helmignore", "*.md\n").unwrap();
        chart.insert("README.md", "ignored\n").unwrap();
        let packaged = package(&chart, "1.0.0-wo.g3f2a9c1b7d4e").unwrap();
        let unpacked = unpack(&packaged.bytes, "oci://r/shop").unwrap();
        assert_eq!(unpacked.name, "shop");
        let paths: Vec<&str> = unpacked.files.iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            vec![".helmignore", "Chart.yaml", "templates/cm.yaml"]
        );
        assert_eq!(
            unpacked.files.text("Chart.yaml").unwrap(),
            Some("apiVersion: v2\nname: shop\nversion: 1.0.0-wo.g3f2a9c1b7d4e\n")
        );
    }

    #[test]
    fn unpack_refuses_what_is_not_one_chart() {
        let gz = |entries: &[(&str, &[u8], tar::EntryType)]| {
            let mut b = tar::Builder::new(Vec::new());
            for (path, content, kind) in entries {
                let mut h = tar::Header::new_ustar();
                h.set_entry_type(*kind);
                h.set_size(content.len() as u64);
                h.set_mode(0o644);
                // `set_path` refuses `..`; write the name field as a hostile archive would.
                h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
                h.set_cksum();
                b.append(&h, *content).unwrap();
            }
            let tar = b.into_inner().unwrap();
            let mut gz = GzBuilder::new().write(Vec::new(), Compression::new(1));
            gz.write_all(&tar).unwrap();
            gz.finish().unwrap()
        };
        let chart: &[u8] = b"name: a\nversion: 1.0.0\n";
        let regular = tar::EntryType::Regular;
        for (entries, says) in [
            (vec![("a/../../etc/passwd", chart, regular)], "passwd"),
            (vec![("Chart.yaml", chart, regular)], "outside the chart"),
            (
                vec![
                    ("a/Chart.yaml", chart, regular),
                    ("b/Chart.yaml", chart, regular),
                ],
                "more than one chart",
            ),
            (
                vec![("a/x", b"" as &[u8], tar::EntryType::Symlink)],
                "not a regular file",
            ),
            (vec![("a/values.yaml", chart, regular)], "no `a/Chart.yaml`"),
        ] {
            let err = unpack(&gz(&entries), "oci://r/a:1").unwrap_err();
            assert!(err.is_invalid_input(), "{err}");
            assert!(err.to_string().contains("oci://r/a:1"), "{err}");
            assert!(err.to_string().contains(says), "{says}: {err}");
        }
        let err = unpack(b"not gzip", "oci://r/a:1").unwrap_err();
        assert!(err.to_string().contains("gzip'd tar"), "{err}");
    }
}
