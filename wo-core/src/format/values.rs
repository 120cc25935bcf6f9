//! Value files of a config repo environment branch.
//!
//! ```yaml
//! apiVersion: wo/v1
//! kind: Values
//! values:            # exactly what WO's `configuration set --file` takes
//!   LogLevel: info
//!   Replicas: 2
//! ```
//!
//! WO's own plain form, that mapping alone (`LogLevel: info`), is read too: a mapping with
//! neither `apiVersion` nor `kind` is the values themselves ([`Form::Plain`]).
//!
//! Where a file sits says which level it sets: `values.yaml` (the environment),
//! `levels/<level>/<node>.yaml` (a hierarchy node, e.g. `levels/region/eu.yaml`),
//! `targets/<target>.yaml` (one target). Inside `levels/` and `targets/` every file must be
//! such a value file (`.gitkeep` placeholders aside): anything else there — `berlin-1.YAML`,
//! `berlin-1.yml`, a README, a nested directory — is an error rather than values skipped
//! without a word, and so are two files for one level whose names differ only in case. Other
//! files on the branch are ignored, except `fleet.yaml`, read by [`super::fleet`].

use std::fmt;

use super::{check_header, diag_at, Collector};
use crate::error::{Error, Location, Result};
use std::collections::BTreeMap;

use crate::files::{check_name, name_key, FileTree};
use crate::value::Value;
use crate::yaml::{self, Node, NodeKind};

/// The level a value file sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `values.yaml`: every target of the environment.
    Environment,
    /// `levels/<level>/<node>.yaml`: targets under that node of that hierarchy level.
    Hierarchy {
        /// The hierarchy level (`region`).
        level: String,
        /// The node (`eu`).
        node: String,
    },
    /// `targets/<target>.yaml`: one target.
    Target(String),
}

impl Level {
    /// The level's name as `editableAt` spells it (`environment`, `region`, `target`).
    pub fn name(&self) -> &str {
        match self {
            Level::Environment => super::fleet::ENVIRONMENT_LEVEL,
            Level::Hierarchy { level, .. } => level,
            Level::Target(_) => super::fleet::TARGET_LEVEL,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Environment => f.write_str("environment"),
            Level::Hierarchy { level, node } => write!(f, "{level}={node}"),
            Level::Target(t) => write!(f, "target={t}"),
        }
    }
}

/// How a value file spells its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// wo's envelope: `apiVersion: wo/v1`, `kind: Values` and the values under `values:`.
    Envelope,
    /// WO's plain file, what `az workload-orchestration configuration set --file` takes: the
    /// `Key: value` mapping alone.
    Plain,
}

/// One value file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueFile {
    /// The file as shown to users.
    pub file: String,
    /// The level it sets.
    pub level: Level,
    /// How the file spells its values.
    pub form: Form,
    /// The values mapping with positions (an empty map when absent or null).
    pub node: Node,
    /// The same as data.
    pub values: Value,
}

impl ValueFile {
    /// Parses a value file found at `level`, in either [`Form`]: a mapping with neither
    /// `apiVersion` nor `kind` is WO's plain form; one with either must be a whole envelope.
    pub fn parse(text: &str, file: &str, level: Level) -> Result<Self> {
        let root = yaml::parse(text, file)?;
        if matches!(root.kind, NodeKind::Map(_))
            && root.get("apiVersion").is_none()
            && root.get("kind").is_none()
        {
            return Self::plain(root, file, level);
        }
        check_header(&root, file, &["Values"]).map_err(|e| match e {
            Error::Invalid(crate::error::Diagnostics(ds)) => Error::Invalid(crate::error::Diagnostics(
                ds.into_iter()
                    .map(|d| d.with_hint(format!(
                        "a value file is wo's envelope (`apiVersion: {}`, `kind: Values`, `values:`) or WO's plain `Key: value` mapping with neither `apiVersion` nor `kind`",
                        super::API_VERSION
                    )))
                    .collect(),
            )),
            other => other,
        })?;
        let NodeKind::Map(entries) = &root.kind else {
            return Err(Error::invalid(Location::file(file), "expected a mapping"));
        };
        for (k, _) in entries {
            match &k.kind {
                NodeKind::Str(s) if s == "apiVersion" || s == "kind" || s == "values" => {}
                NodeKind::Str(s) => {
                    let hint = match super::closest(s, ["values"]) {
                        Some(_) => "did you mean `values`?",
                        None => "a value file has `apiVersion`, `kind` and `values`",
                    };
                    let e = diag_at(file, s, k, format!("unknown field `{s}`")).with_hint(hint);
                    return Err(Error::Invalid(crate::error::Diagnostics(vec![e])));
                }
                _ => {
                    return Err(Error::Invalid(crate::error::Diagnostics(vec![diag_at(
                        file,
                        "",
                        k,
                        "keys must be strings",
                    )])))
                }
            }
        }
        let node = match root.get("values") {
            None => Node {
                kind: NodeKind::Map(Vec::new()),
                line: root.line,
                column: root.column,
            },
            Some(n) if matches!(n.kind, NodeKind::Null) => Node {
                kind: NodeKind::Map(Vec::new()),
                line: n.line,
                column: n.column,
            },
            Some(n) if matches!(n.kind, NodeKind::Map(_)) => n.clone(),
            Some(n) => {
                return Err(Error::Invalid(crate::error::Diagnostics(vec![diag_at(
                    file,
                    "values",
                    n,
                    "`values` must be a mapping of configuration keys to values",
                )])))
            }
        };
        let values = node.to_value_under(file, "values")?;
        Ok(ValueFile {
            file: file.to_string(),
            level,
            form: Form::Envelope,
            node,
            values,
        })
    }

    /// Reads a plain WO values file (the flat `Key: value` mapping that WO's
    /// `configuration set --file` takes, without the `wo/v1` envelope); an empty file is no
    /// values.
    pub fn parse_plain(text: &str, file: &str, level: Level) -> Result<Self> {
        Self::plain(yaml::parse(text, file)?, file, level)
    }

    fn plain(node: Node, file: &str, level: Level) -> Result<Self> {
        let node = match node.kind {
            NodeKind::Null => Node {
                kind: NodeKind::Map(Vec::new()),
                line: node.line,
                column: node.column,
            },
            NodeKind::Map(_) => node,
            _ => {
                return Err(Error::Invalid(crate::error::Diagnostics(vec![diag_at(
                    file,
                    "",
                    &node,
                    "expected a mapping of keys to values",
                )])))
            }
        };
        let values = node.to_value(file)?;
        Ok(ValueFile {
            file: file.to_string(),
            level,
            form: Form::Plain,
            node,
            values,
        })
    }

    /// The key path, within the file, of the configuration key `key` (`values.Replicas` in
    /// the envelope, `Replicas` in the plain form).
    pub fn key_path(&self, key: &str) -> String {
        match self.form {
            Form::Envelope => super::join_path("values", key),
            Form::Plain => key.to_string(),
        }
    }
}

/// Every value file of one environment branch, in composition order (environment, then levels
/// by name and node, then targets by name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueSet {
    /// The files.
    pub files: Vec<ValueFile>,
}

impl ValueSet {
    /// Reads the value files of a branch's tree. `prefix` is prepended to file names in messages
    /// (`config/values.yaml`). Every file is read and every problem reported at once.
    pub fn load(tree: &FileTree, prefix: &str) -> Result<Self> {
        let shown = |p: &str| {
            if prefix.is_empty() {
                p.to_string()
            } else {
                format!("{}/{p}", prefix.trim_end_matches('/'))
            }
        };
        let mut c = Collector::default();
        let mut files = Vec::new();
        // Case-insensitive level keys → the first file, to refuse two files for one level.
        let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
        for (path, _) in tree.iter() {
            let level = match classify(path) {
                Ok(Some(level)) => level,
                Ok(None) => continue,
                Err(m) => {
                    c.push(crate::error::Diagnostic::new(
                        Location::file(shown(path)),
                        m,
                    ));
                    continue;
                }
            };
            let key = match &level {
                Level::Environment => (String::new(), String::new()),
                Level::Hierarchy { level, node } => (name_key(level), name_key(node)),
                Level::Target(t) => ("/target".to_owned(), name_key(t)),
            };
            if let Some(first) = seen.get(&key) {
                c.push(
                    crate::error::Diagnostic::new(
                        Location::file(shown(path)),
                        format!(
                            "sets the same level as `{}`: names that differ only in case are the same name",
                            shown(first)
                        ),
                    )
                    .with_hint("keep one file per level; Workload Orchestration ids and the file systems of macOS and Windows do not tell case apart"),
                );
                continue;
            }
            seen.insert(key, path.to_owned());
            let Some(text) = c.take(tree.text_as(path, &shown(path)))?.flatten() else {
                continue;
            };
            if let Some(f) = c.take(ValueFile::parse(text, &shown(path), level))? {
                files.push(f);
            }
        }
        files.sort_by(|a, b| a.level.cmp(&b.level));
        c.finish(ValueSet { files })
    }
}

/// Files that only keep an otherwise empty directory in git; allowed among value files.
const PLACEHOLDERS: [&str; 2] = [".gitkeep", ".keep"];

/// Which level a path on a config branch sets: `Ok(None)` for files outside the value
/// directories. Inside them (`values.yaml`, `levels/`, `targets/`) every file must be a value
/// file wo reads: anything else is an error, so that no values are skipped silently
/// (`targets/berlin-1.YAML`, `targets/berlin-1.yml`, `Targets/…`, `levels/region/eu/x.yaml`).
fn classify(path: &str) -> std::result::Result<Option<Level>, String> {
    let segs: Vec<&str> = path.split('/').collect();
    let not_read = |why: &str| format!("`{path}` is not read by wo: {why}");
    let stem = |file: &str| -> std::result::Result<String, String> {
        match file.strip_suffix(".yaml") {
            Some(s) => {
                check_name(s)?;
                Ok(s.to_string())
            }
            None => {
                let lower = file.to_ascii_lowercase();
                if lower.ends_with(".yaml") || lower.ends_with(".yml") {
                    Err(not_read("value files end in `.yaml` (lowercase)"))
                } else {
                    Err(not_read("only value files (`<name>.yaml`) belong here"))
                }
            }
        }
    };
    if segs.last().is_some_and(|f| PLACEHOLDERS.contains(f))
        && matches!(segs.first(), Some(&"levels" | &"targets"))
    {
        return Ok(None);
    }
    match segs.as_slice() {
        ["values.yaml"] => Ok(Some(Level::Environment)),
        [file] if is_values_spelling(file) => Err(not_read(
            "the environment's value file is `values.yaml` (lowercase)",
        )),
        ["levels", level, file] => {
            check_name(level)?;
            let node = stem(file)?;
            Ok(Some(Level::Hierarchy {
                level: level.to_string(),
                node,
            }))
        }
        ["targets", file] => Ok(Some(Level::Target(stem(file)?))),
        ["levels", ..] => Err(not_read(
            "value files of hierarchy nodes are `levels/<level>/<node>.yaml`",
        )),
        ["targets", ..] => Err(not_read(
            "value files of targets are `targets/<target>.yaml`",
        )),
        [dir, ..] if dir.eq_ignore_ascii_case("levels") || dir.eq_ignore_ascii_case("targets") => {
            Err(not_read(&format!(
                "the value directories are `levels/` and `targets/` (lowercase), not `{dir}/`"
            )))
        }
        _ => Ok(None),
    }
}

/// `Values.yaml`, `values.yml`, `VALUES.YAML`: the environment's file misspelt.
fn is_values_spelling(file: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    lower == "values.yaml" || lower == "values.yml"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_levels() {
        assert_eq!(classify("values.yaml"), Ok(Some(Level::Environment)));
        assert_eq!(
            classify("levels/region/eu.yaml"),
            Ok(Some(Level::Hierarchy {
                level: "region".into(),
                node: "eu".into()
            }))
        );
        assert_eq!(
            classify("targets/berlin-1.yaml"),
            Ok(Some(Level::Target("berlin-1".into())))
        );
        assert_eq!(classify("README.md"), Ok(None));
        assert_eq!(classify("fleet.yaml"), Ok(None));
        assert!(classify("targets/a/b.yaml").is_err());
        assert!(classify("targets/x.yml").is_err());
        // Nothing in a value directory is skipped silently.
        for unread in [
            "targets/berlin-1.YAML",
            "targets/README.md",
            "targets/berlin-1.json",
            "levels/region/eu.yml",
            "levels/region.yaml",
            "levels/region/eu/x.yaml",
            "Targets/berlin-1.yaml",
            "LEVELS/region/eu.yaml",
            "Values.yaml",
            "values.yml",
            "targets/con.yaml",
        ] {
            assert!(classify(unread).is_err(), "{unread} accepted");
        }
        assert_eq!(classify("targets/.gitkeep"), Ok(None));
        assert_eq!(classify("levels/region/.gitkeep"), Ok(None));
        assert_eq!(classify("docs/x.yaml"), Ok(None));
    }
}
