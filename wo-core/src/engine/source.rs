//! The source commit a bundle was read at, as templates see it through `$source(…)`.

use crate::ports::CommitId;
use crate::value::Value;

/// How many hex digits `$source(shortSha)` keeps: as many as the chart versions wo publishes
/// carry (`1.2.0-wo.g3f2a9c1b7d4e`), so an image tagged by CI with the same abbreviation matches.
pub const SHORT_SHA_LEN: usize = 12;

/// The source commit a [`Bundle`](super::Bundle) was read at: what `$source(sha)`,
/// `$source(shortSha)` and `$source(tag)` give a configuration template.
///
/// ```
/// use wo_core::engine::SourceCommit;
/// use wo_core::ports::CommitId;
///
/// let tags = ["v1.9.0".to_string(), "v1.10.0".to_string(), "latest-build".to_string()];
/// let c = SourceCommit::new(CommitId::from("3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345"), &tags);
/// assert_eq!(c.short_sha(), "3f2a9c1b7d4e");
/// assert_eq!(c.tag.as_deref(), Some("v1.10.0"), "the greatest in version order");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCommit {
    /// The full commit id.
    pub sha: CommitId,
    /// The tag pointing at it, if any (the greatest in version order when several do).
    pub tag: Option<String>,
}

impl SourceCommit {
    /// The commit `sha` with the tag chosen from `tags` (those pointing at it) by
    /// [`release_tag`].
    pub fn new(sha: CommitId, tags: &[String]) -> Self {
        Self {
            tag: release_tag(tags).map(str::to_string),
            sha,
        }
    }

    /// The first [`SHORT_SHA_LEN`] characters of the id.
    pub fn short_sha(&self) -> &str {
        let s = self.sha.as_str();
        match s.char_indices().nth(SHORT_SHA_LEN) {
            Some((i, _)) => &s[..i],
            None => s,
        }
    }

    /// `$source(field)`.
    ///
    /// # Errors
    /// A message naming the fields for an unknown `field`.
    pub fn field(&self, field: &str) -> Result<Value, String> {
        match field {
            "sha" => Ok(Value::String(self.sha.to_string())),
            "shortSha" => Ok(Value::String(self.short_sha().to_string())),
            "tag" => Ok(self.tag.clone().map_or(Value::Null, Value::String)),
            other => Err(format!(
                "`$source({other})`: the source commit has sha, shortSha and tag (null when no tag points at it)"
            )),
        }
    }
}

/// The tag a release is known by among `tags` (all pointing at one commit): the greatest in
/// version order, where runs of digits compare as numbers (`v1.10.0` > `v1.9.0`), then by
/// text; `None` for no tags.
pub fn release_tag(tags: &[String]) -> Option<&str> {
    tags.iter()
        .max_by(|a, b| version_order(a, b).then_with(|| a.cmp(b)))
        .map(String::as_str)
}

/// Compares `a` and `b` chunk by chunk: digits as numbers, other text as text.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (run(a), run(b));
                let (da, db) = (&a[..na], &b[..nb]);
                let trim = |d: &'_ [u8]| -> usize { d.iter().take_while(|c| **c == b'0').count() };
                let (ta, tb) = (&da[trim(da)..], &db[trim(db)..]);
                let o = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if o.is_ne() {
                    return o;
                }
                a = &a[na..];
                b = &b[nb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_release_tag_is_the_greatest_version() {
        assert_eq!(release_tag(&[]), None);
        assert_eq!(release_tag(&tags(&["v2"])), Some("v2"));
        assert_eq!(
            release_tag(&tags(&["v1.9.0", "v1.10.0", "v1.2.0"])),
            Some("v1.10.0")
        );
        assert_eq!(
            release_tag(&tags(&["1.0.0", "1.0.0-rc.1"])),
            Some("1.0.0-rc.1")
        );
        assert_eq!(
            release_tag(&tags(&["v01", "v1"])),
            Some("v1"),
            "ties by text"
        );
    }

    #[test]
    fn fields_of_a_source_commit() {
        let c = SourceCommit::new("0123456789abcdef0123".into(), &[]);
        assert_eq!(
            c.field("sha"),
            Ok(Value::String("0123456789abcdef0123".into()))
        );
        assert_eq!(
            c.field("shortSha"),
            Ok(Value::String("0123456789ab".into()))
        );
        assert_eq!(c.field("tag"), Ok(Value::Null));
        assert!(c
            .field("ref")
            .unwrap_err()
            .contains("sha, shortSha and tag"));
    }
}
