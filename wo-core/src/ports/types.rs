//! Names shared by every port.

use std::fmt;

/// The id of a commit in any of the repos (a git object id for git backends).
///
/// Opaque to wo-core: compared for equality, printed, never parsed.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct CommitId(pub String);

impl CommitId {
    /// A commit id from its text.
    pub fn new(id: impl Into<String>) -> Self {
        CommitId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 7 characters (or all when shorter), as git abbreviates ids in messages.
    pub fn short(&self) -> &str {
        match self.0.char_indices().nth(7) {
            Some((i, _)) => &self.0[..i],
            None => &self.0,
        }
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CommitId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for CommitId {
    fn from(id: String) -> Self {
        CommitId(id)
    }
}

impl From<&str> for CommitId {
    fn from(id: &str) -> Self {
        CommitId(id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_abbreviates_to_seven_characters() {
        assert_eq!(CommitId::from("0123456789abcdef").short(), "0123456");
        assert_eq!(CommitId::from("abc").short(), "abc");
        assert_eq!(CommitId::from("abc").to_string(), "abc");
    }
}
