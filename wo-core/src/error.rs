//! The one error type of wo-core, with variants by meaning.
//!
//! Bad input (anything a user can fix by editing a file) is [`Error::Invalid`] and carries
//! every [`Diagnostic`] found, each naming the file, the key path and, where known, the line.
//! Backends map their private errors into the other variants; [`Error::is_retryable`] tells
//! whether trying again can help.

use std::fmt;

/// Where in the input a problem sits: file, key path, line and column (1-based) where known.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Location {
    /// The file as the user named it (relative to the directory given), or `<input>`.
    pub file: String,
    /// Dotted key path inside the document (`rules.configs.Port.maxValue`), empty for the root.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_path: String,
    /// 1-based line, when the position is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, when the position is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            ..Self::default()
        }
    }

    /// The same location with a key path.
    pub fn with_key(mut self, key_path: impl Into<String>) -> Self {
        self.key_path = key_path.into();
        self
    }

    /// The same location with a line and column.
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.file.is_empty() {
            "<input>"
        } else {
            &self.file
        })?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.key_path.is_empty() {
            write!(f, " ({})", self.key_path)?;
        }
        Ok(())
    }
}

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Where it is.
    #[serde(flatten)]
    pub location: Location,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is something useful to say ("did you mean `name`?").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `location`.
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Self {
            location,
            message: message.into(),
            hint: None,
        }
    }

    /// The same diagnostic with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Every diagnostic of one failed check, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Sorts by file, line, key path and message so that reports are deterministic.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            (
                &a.location.file,
                a.location.line,
                &a.location.key_path,
                &a.message,
            )
                .cmp(&(
                    &b.location.file,
                    b.location.line,
                    &b.location.key_path,
                    &b.message,
                ))
        });
        self.0.dedup();
        self
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Errors of wo-core and of the ports it defines.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is invalid; nothing was written. Carries every problem found.
    #[error("invalid input:\n{0}")]
    Invalid(Diagnostics),
    /// A thing that was asked for does not exist (a commit, a file, an environment).
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for, with its place (`env branch dev of config repo`).
        what: String,
    },
    /// A thing that was to be created exists already.
    #[error("already exists: {what}")]
    AlreadyExists {
        /// What exists.
        what: String,
    },
    /// A compare-and-swap lost: the state moved underneath. Retrying on a fresh read can help.
    #[error("precondition failed: {what}")]
    Precondition {
        /// What moved.
        what: String,
    },
    /// Something the offline engine or a backend cannot do.
    #[error("not supported: {what}")]
    Unsupported {
        /// What was asked.
        what: String,
    },
    /// A backend failed (network, service, process). `retryable` says whether trying again can help.
    #[error("{backend}: {message}")]
    Backend {
        /// Which backend (`git`, `github`, `azure`, `helm`, …).
        backend: String,
        /// What it said.
        message: String,
        /// Whether a retry can help (timeouts, 429, 5xx).
        retryable: bool,
    },
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A single-diagnostic [`Error::Invalid`].
    pub fn invalid(location: Location, message: impl Into<String>) -> Self {
        Error::Invalid(Diagnostics(vec![Diagnostic::new(location, message)]))
    }

    /// Whether retrying the same call can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Backend { retryable, .. } => *retryable,
            Error::Precondition { .. } => true,
            Error::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::WouldBlock
            ),
            _ => false,
        }
    }

    /// Whether this is bad input (the CLI exits with code 2 for these).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::Invalid(_))
    }

    /// The diagnostics of an [`Error::Invalid`], empty for other variants.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => &d.0,
            _ => &[],
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
