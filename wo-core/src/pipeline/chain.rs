//! The environment chain (`dev → stage → prod`), declared by the `next:` of each fleet.

use std::fmt;

use crate::error::{Error, Location, Result};
use crate::files::check_name;
use crate::format::fleet::{Fleet, FLEET_FILE};
use crate::ports::ConfigStore;

/// The default first environment of the chain.
pub const DEFAULT_FIRST_ENVIRONMENT: &str = "dev";

/// Longest chain read before giving up (a guard against a fleet of fleets gone wrong).
const MAX_ENVIRONMENTS: usize = 64;

/// The environments in promotion order. Each environment's `fleet.yaml` (on its branch of the
/// platform config repo) names the next one; the first is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentChain {
    environments: Vec<String>,
}

/// How a fleet file of the platform config repo is named in messages.
pub(crate) fn fleet_file(env: &str) -> String {
    format!("platform-config/{env}/{FLEET_FILE}")
}

impl EnvironmentChain {
    /// A chain of these environments, in order.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty chain, an invalid name or an environment listed twice.
    pub fn new<I, S>(environments: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let environments: Vec<String> = environments.into_iter().map(Into::into).collect();
        let at = |i: usize| Location::file("<environment chain>").with_key(i.to_string());
        if environments.is_empty() {
            return Err(Error::invalid(
                Location::file("<environment chain>"),
                "the environment chain is empty",
            ));
        }
        for (i, env) in environments.iter().enumerate() {
            check_name(env).map_err(|m| Error::invalid(at(i), m))?;
            if environments[..i]
                .iter()
                .any(|e| e.eq_ignore_ascii_case(env))
            {
                return Err(Error::invalid(
                    at(i),
                    format!("environment `{env}` is listed twice"),
                ));
            }
        }
        Ok(Self { environments })
    }

    /// Reads the chain from the platform config repo: the `fleet.yaml` at the head of the
    /// branch of `first`, then of the environment its `next:` names, and so on.
    ///
    /// # Errors
    /// - [`Error::NotFound`] when `first` has no branch.
    /// - [`Error::Invalid`] naming the fleet file when a fleet is missing or invalid, names
    ///   another environment than its branch, or its `next:` names an environment without a
    ///   branch or one already in the chain (a cycle).
    pub async fn load(platform_config: &dyn ConfigStore, first: &str) -> Result<Self> {
        let mut environments: Vec<String> = Vec::new();
        let mut current = first.to_string();
        loop {
            let head = match platform_config.head(&current).await {
                Ok(head) => head,
                Err(Error::NotFound { what, .. }) => {
                    return Err(match environments.last() {
                        None => Error::not_found(format!(
                                "the first environment `{current}` of the chain ({what}); \
                                 configure the first environment or create its branch"
                            )),
                        Some(prev) => Error::invalid(
                            Location::file(fleet_file(prev)).with_key("next"),
                            format!(
                                "the next environment `{current}` has no branch in the platform config repo"
                            ),
                        ),
                    })
                }
                Err(e) => return Err(e),
            };
            let tree = platform_config.read(&head).await?;
            let file = fleet_file(&current);
            let text = tree
                .text(FLEET_FILE)?
                .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?;
            let fleet = Fleet::parse(text, &file)?;
            if fleet.environment != current {
                return Err(Error::invalid(
                    Location::file(&file).with_key("environment"),
                    format!(
                        "the fleet on branch `{current}` says `environment: {}`",
                        fleet.environment
                    ),
                ));
            }
            environments.push(current.clone());
            let Some(next) = fleet.next else {
                return Self::new(environments);
            };
            if environments.contains(&next) {
                return Err(Error::invalid(
                    Location::file(&file).with_key("next"),
                    format!(
                        "`next: {next}` closes a cycle: {} → {next}",
                        environments.join(" → ")
                    ),
                ));
            }
            if environments.len() >= MAX_ENVIRONMENTS {
                return Err(Error::invalid(
                    Location::file(&file).with_key("next"),
                    format!("the chain is longer than {MAX_ENVIRONMENTS} environments"),
                ));
            }
            current = next;
        }
    }

    /// The environments, first to last.
    pub fn environments(&self) -> &[String] {
        &self.environments
    }

    /// The first environment (where source pushes go).
    pub fn first(&self) -> &str {
        &self.environments[0]
    }

    /// Whether `env` is in the chain.
    pub fn contains(&self, env: &str) -> bool {
        self.position(env).is_some()
    }

    fn position(&self, env: &str) -> Option<usize> {
        self.environments.iter().position(|e| e == env)
    }

    /// The environment after `env`; `None` at the end of the chain and for unknown ones.
    pub fn next(&self, env: &str) -> Option<&str> {
        let i = self.position(env)?;
        self.environments.get(i + 1).map(String::as_str)
    }

    /// The environment before `env`; `None` for the first and for unknown ones.
    pub fn previous(&self, env: &str) -> Option<&str> {
        let i = self.position(env)?;
        i.checked_sub(1).map(|p| self.environments[p].as_str())
    }

    /// `Ok` when `env` is in the chain.
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the environment and the chain.
    pub fn check(&self, env: &str) -> Result<()> {
        if self.contains(env) {
            Ok(())
        } else {
            // A name the user gave that the fleets do not know is bad input (exit code 2).
            Err(Error::invalid(
                crate::error::Location::file("<environment>").with_key(env.escape_debug().to_string()),
                format!(
                    "environment `{}` is not in the environment chain {self} (read from the fleets of the platform config repo)",
                    env.escape_debug()
                ),
            ))
        }
    }
}

impl fmt::Display for EnvironmentChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.environments.join(" → "))
    }
}
