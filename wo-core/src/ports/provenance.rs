//! Provenance: which inputs a gitops commit was made from, carried as git message trailers.

use crate::error::{Error, Location, Result};
use crate::files::check_name;

use super::CommitId;

const SOLUTION: &str = "Wo-Solution";
const ENVIRONMENT: &str = "Wo-Environment";
const SOURCE_COMMIT: &str = "Wo-Source-Commit";
const CONFIG_COMMIT: &str = "Wo-Config-Commit";
const FLEET_COMMIT: &str = "Wo-Fleet-Commit";
const PROMOTABLE: &str = "Wo-Promotable";
const ROLLBACK_OF: &str = "Wo-Rollback-Of";
const SOURCE_TAG: &str = "Wo-Source-Tag";

/// The inputs one change of a gitops env branch was computed from.
///
/// Re-rendering from these commits reproduces the change byte for byte. It travels in commit
/// and change-request messages as git-style trailers, so any git host keeps it:
///
/// ```text
/// Wo-Solution: shop
/// Wo-Environment: dev
/// Wo-Source-Commit: 3f2a…
/// Wo-Config-Commit: 9c1e…
/// Wo-Fleet-Commit: 77d0…
/// Wo-Promotable: true
/// Wo-Rollback-Of: 5b4c…        (only for rollbacks)
/// Wo-Source-Tag: v1.4.0        (only when a tag pointed at the source commit)
/// ```
///
/// ```
/// use wo_core::ports::{CommitId, Provenance};
///
/// let p = Provenance {
///     solution: "shop".into(),
///     environment: "dev".into(),
///     source_commit: CommitId::from("a1"),
///     config_commit: CommitId::from("b2"),
///     fleet_commit: CommitId::from("c3"),
///     promotable: true,
///     rollback_of: None,
///     source_tag: Some("v1.4.0".into()),
/// };
/// let message = p.commit_message("Deploy shop a1 to dev", "Rendered for 3 targets.");
/// assert_eq!(Provenance::from_message(&message), Some(p));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// The solution (application or platform) the change belongs to.
    pub solution: String,
    /// The environment (gitops branch) it targets.
    pub environment: String,
    /// The source repo commit the chart, schema and template were read at.
    pub source_commit: CommitId,
    /// The app config repo commit (head of the env branch) the values were read at.
    pub config_commit: CommitId,
    /// The platform config repo commit (head of the env branch) the fleet was read at.
    pub fleet_commit: CommitId,
    /// Whether a successful deploy promotes the source commit to the next environment.
    /// `false` for config-only changes and rollbacks.
    pub promotable: bool,
    /// For a rollback: the gitops commit whose content is proposed again.
    pub rollback_of: Option<CommitId>,
    /// The tag that pointed at the source commit when the change was computed (the greatest
    /// in version order when several did), which templates read as `$source(tag)`. Kept so
    /// that re-rendering gives the same bytes even after tags move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_tag: Option<String>,
}

impl Provenance {
    /// The trailer block, one `Key: value` line each, every line ending in `\n`.
    ///
    /// Control characters (line breaks) inside values are replaced by spaces so a value can
    /// never forge another trailer; [`Provenance::validate`] rejects such values up front.
    pub fn to_trailers(&self) -> String {
        let mut out = String::new();
        let mut line = |key: &str, value: &str| {
            let clean: String = value
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            out.push_str(key);
            out.push_str(": ");
            out.push_str(clean.trim());
            out.push('\n');
        };
        line(SOLUTION, &self.solution);
        line(ENVIRONMENT, &self.environment);
        line(SOURCE_COMMIT, self.source_commit.as_str());
        line(CONFIG_COMMIT, self.config_commit.as_str());
        line(FLEET_COMMIT, self.fleet_commit.as_str());
        line(PROMOTABLE, if self.promotable { "true" } else { "false" });
        if let Some(of) = &self.rollback_of {
            line(ROLLBACK_OF, of.as_str());
        }
        if let Some(tag) = &self.source_tag {
            line(SOURCE_TAG, tag);
        }
        out
    }

    /// A full commit message: `title`, a blank line, `body` (when not empty), a blank line and
    /// the trailers.
    pub fn commit_message(&self, title: &str, body: &str) -> String {
        let mut out = title.trim_end().to_string();
        out.push_str("\n\n");
        let body = body.trim();
        if !body.is_empty() {
            out.push_str(body);
            out.push_str("\n\n");
        }
        out.push_str(&self.to_trailers());
        out
    }

    /// Reads the provenance from a commit or change-request message.
    ///
    /// Looks at the paragraphs (blocks separated by blank lines) from the last to the first and
    /// takes the first one holding a `Wo-Solution` trailer, as git takes trailers from the end.
    /// Other trailers in that block (`Signed-off-by`) are ignored. `None` when there is no such
    /// block, when a required key is missing or repeated, or when `Wo-Promotable` is not
    /// `true`/`false`.
    pub fn from_message(message: &str) -> Option<Provenance> {
        let normalized = message.replace("\r\n", "\n");
        let mut paragraphs: Vec<Vec<&str>> = vec![Vec::new()];
        for line in normalized.lines() {
            if line.trim().is_empty() {
                if !paragraphs.last().is_some_and(Vec::is_empty) {
                    paragraphs.push(Vec::new());
                }
            } else if let Some(last) = paragraphs.last_mut() {
                last.push(line);
            }
        }
        let block = paragraphs.iter().rev().find(|p| {
            p.iter()
                .any(|l| l.split_once(':').is_some_and(|(k, _)| k.trim() == SOLUTION))
        })?;
        Self::from_trailer_lines(block)
    }

    fn from_trailer_lines(lines: &[&str]) -> Option<Provenance> {
        let mut found: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
        for line in lines {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim();
            if key.starts_with("Wo-") && found.insert(key, value.trim()).is_some() {
                return None;
            }
        }
        let get = |k: &str| {
            found
                .get(k)
                .filter(|v| !v.is_empty())
                .map(|v| v.to_string())
        };
        let promotable = match found.get(PROMOTABLE).copied()? {
            "true" => true,
            "false" => false,
            _ => return None,
        };
        Some(Provenance {
            solution: get(SOLUTION)?,
            environment: get(ENVIRONMENT)?,
            source_commit: CommitId(get(SOURCE_COMMIT)?),
            config_commit: CommitId(get(CONFIG_COMMIT)?),
            fleet_commit: CommitId(get(FLEET_COMMIT)?),
            promotable,
            rollback_of: get(ROLLBACK_OF).map(CommitId),
            source_tag: get(SOURCE_TAG),
        })
    }

    /// Checks that the provenance can travel as trailers: solution and environment are valid
    /// names, commit ids are non-empty single words.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let at = |field: &str| Location::file("<provenance>").with_key(field);
        check_name(&self.solution).map_err(|m| Error::invalid(at("solution"), m))?;
        check_name(&self.environment).map_err(|m| Error::invalid(at("environment"), m))?;
        let commits = [
            ("source_commit", Some(&self.source_commit)),
            ("config_commit", Some(&self.config_commit)),
            ("fleet_commit", Some(&self.fleet_commit)),
            ("rollback_of", self.rollback_of.as_ref()),
        ];
        if let Some(tag) = &self.source_tag {
            if tag.is_empty() || tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::invalid(
                    at("source_tag"),
                    format!("`{}` is not a tag name", tag.escape_debug()),
                ));
            }
        }
        for (field, id) in commits {
            if let Some(id) = id {
                if id.0.is_empty() || id.0.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(Error::invalid(
                        at(field),
                        format!("`{}` is not a commit id", id.0.escape_debug()),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Provenance {
        Provenance {
            solution: "shop".into(),
            environment: "stage".into(),
            source_commit: "1111111".into(),
            config_commit: "2222222".into(),
            fleet_commit: "3333333".into(),
            promotable: false,
            rollback_of: Some("4444444".into()),
            source_tag: None,
        }
    }

    #[test]
    fn trailers_round_trip_with_and_without_rollback() {
        let p = sample();
        assert_eq!(Provenance::from_message(&p.to_trailers()), Some(p.clone()));
        let q = Provenance {
            rollback_of: None,
            promotable: true,
            ..p
        };
        assert!(!q.to_trailers().contains("Wo-Rollback-Of"));
        assert_eq!(
            Provenance::from_message(&q.commit_message("t", "b")),
            Some(q)
        );
    }

    #[test]
    fn a_source_tag_travels_as_its_own_trailer() {
        let p = Provenance {
            source_tag: Some("v1.4.0".into()),
            ..sample()
        };
        assert!(p.to_trailers().ends_with("Wo-Source-Tag: v1.4.0\n"));
        assert_eq!(Provenance::from_message(&p.to_trailers()), Some(p.clone()));
        let bad = Provenance {
            source_tag: Some("v1 beta".into()),
            ..sample()
        };
        assert_eq!(
            bad.validate().unwrap_err().diagnostics()[0]
                .location
                .key_path,
            "source_tag"
        );
    }

    #[test]
    fn trailers_have_the_documented_spelling() {
        let t = sample().to_trailers();
        assert_eq!(
            t,
            "Wo-Solution: shop\nWo-Environment: stage\nWo-Source-Commit: 1111111\nWo-Config-Commit: 2222222\n\
             Wo-Fleet-Commit: 3333333\nWo-Promotable: false\nWo-Rollback-Of: 4444444\n"
        );
    }

    #[test]
    fn the_last_trailer_block_wins_and_other_trailers_are_ignored() {
        let old = Provenance {
            source_commit: "old".into(),
            ..sample()
        };
        let new = sample();
        let msg = format!(
            "Title\r\n\r\nQuoting an earlier change:\n\n{}\n{}Signed-off-by: bot <bot@example.com>\n",
            old.to_trailers(),
            new.to_trailers()
        );
        assert_eq!(Provenance::from_message(&msg), Some(new));
    }

    #[test]
    fn incomplete_or_ambiguous_trailers_are_none() {
        assert_eq!(Provenance::from_message("just a title\n\nand a body"), None);
        let t = sample().to_trailers();
        assert_eq!(
            Provenance::from_message(&t.replace("Wo-Fleet-Commit: 3333333\n", "")),
            None
        );
        assert_eq!(Provenance::from_message(&t.replace("false", "maybe")), None);
        assert_eq!(
            Provenance::from_message(&format!("{t}Wo-Solution: other\n")),
            None
        );
    }

    #[test]
    fn values_cannot_forge_trailers() {
        let p = Provenance {
            solution: "shop\nWo-Environment: prod".into(),
            ..sample()
        };
        assert!(p.validate().is_err());
        let read = Provenance::from_message(&p.to_trailers()).expect("still one block");
        assert_eq!(read.environment, "stage");
        assert!(sample().validate().is_ok());
        let bad = Provenance {
            config_commit: "".into(),
            ..sample()
        };
        let err = bad.validate().unwrap_err();
        assert_eq!(err.diagnostics()[0].location.key_path, "config_commit");
    }
}
