//! The inputs of one environment of a solution — its bundle, its values and the fleet — read
//! for the offline commands (`wo validate`, `wo resolve`, `wo render`) from checkouts or from
//! the repositories themselves.
//!
//! A location is the same thing everywhere in wo: a repository. Read here it is
//!
//! - **a directory** (a checkout, or any plain directory): its files as they are on disk,
//!   uncommitted edits included — the source checkout, the config repo's environment branch
//!   checked out, the platform config repo's;
//! - **a repository** (a bare repository, `file://`, `git://`, `http://`, `github://owner/repo`
//!   or a GitHub URL): the source at `--source-rev` (default `main`), the config and platform
//!   config repos at the head of the environment's branch (`--env`, required then).
//!
//! ```
//! use wo::credentials::Credentials;
//! use wo::inputs::{load, InputsRequest};
//!
//! # let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
//! # let (source, config, fleet) = (root.join("source"), root.join("config"), root.join("fleet"));
//! # futures::executor::block_on(async {
//! let inputs = load(
//!     &InputsRequest {
//!         source: source.to_str().unwrap(),
//!         config: Some(config.to_str().unwrap()),
//!         platform: Some(fleet.to_str().unwrap()),
//!         ..InputsRequest::default()
//!     },
//!     &Credentials::default(),
//!     std::env::temp_dir().as_path(),
//! )
//! .await?;
//! assert_eq!(inputs.bundle.name(), "shop");
//! assert_eq!(inputs.fleet.as_ref().unwrap().environment, "dev");
//! # Ok::<(), wo::core::Error>(())
//! # }).unwrap();
//! ```

use std::path::{Path, PathBuf};

use wo_core::engine::Bundle;
use wo_core::files::FileTree;
use wo_core::format::app::SolutionKind;
use wo_core::format::fleet::{Fleet, FLEET_FILE};
use wo_core::format::values::ValueSet;
use wo_core::{Error, Location, Result};

use crate::credentials::Credentials;

/// The source revision read when none is given.
pub const DEFAULT_SOURCE_REV: &str = "main";

/// What [`load`] reads.
#[derive(Debug, Clone, Default)]
pub struct InputsRequest<'a> {
    /// The source repo (required).
    pub source: &'a str,
    /// The app config repo; for a Platform solution, optional (its values are the platform
    /// config repo's).
    pub config: Option<&'a str>,
    /// The platform config repo (`fleet.yaml`).
    pub platform: Option<&'a str>,
    /// The environment: the branch read of a config repository given as a repository.
    pub environment: Option<&'a str>,
    /// The source revision read of a source given as a repository (default `main`).
    pub source_rev: Option<&'a str>,
}

/// How a location is read by the offline commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputLocation {
    /// A directory's files on disk.
    Directory(PathBuf),
    /// A repository, read at a revision.
    Repository(String),
}

impl InputLocation {
    /// A directory that is not a bare git repository is read as a directory; everything else
    /// (a bare repository, a URL) as a repository.
    pub fn classify(location: &str) -> InputLocation {
        let path = Path::new(location);
        if !location.contains("://") && !path.exists() {
            // Neither a URL nor anything on disk: reading it as a repository says so.
            return InputLocation::Repository(location.to_string());
        }
        let bare = path.join("HEAD").is_file()
            && path.join("objects").is_dir()
            && path.join("refs").is_dir();
        if path.is_dir() && !bare {
            InputLocation::Directory(path.to_path_buf())
        } else {
            InputLocation::Repository(location.to_string())
        }
    }
}

/// The inputs of one environment of a solution.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The solution bundle.
    pub bundle: Bundle,
    /// The solution's value files (the app config repo's for an Application, the platform
    /// config repo's for the Platform); `None` when no config was given.
    pub values: Option<ValueSet>,
    /// The fleet; `None` when no platform config was given.
    pub fleet: Option<Fleet>,
    /// How the fleet file is named in messages.
    pub fleet_file: String,
}

/// Reads the inputs `request` names.
///
/// # Errors
/// [`Error::Invalid`] naming file, key and line for invalid files; naming `--env` when a
/// config location is a repository and no environment is given, or the fleet is of another
/// environment; as the repositories' reads otherwise.
pub async fn load(
    request: &InputsRequest<'_>,
    credentials: &Credentials,
    cache: &Path,
) -> Result<Inputs> {
    let bundle = read_bundle(request, credentials, cache).await?;
    let platform = match request.platform {
        Some(location) => {
            Some(read_config(location, "platform", request, credentials, cache).await?)
        }
        None => None,
    };
    // The fleet (thousands of targets) is parsed on a thread of its own while the config
    // repository is read and parsed here; its errors still come first.
    let fleet_parse = match &platform {
        Some((tree, shown)) => {
            let file = format!("{shown}/{FLEET_FILE}");
            let text = tree
                .text(FLEET_FILE)?
                .ok_or_else(|| Error::invalid(Location::file(&file), "file not found"))?
                .to_owned();
            let parse_file = file.clone();
            let handle = std::thread::Builder::new()
                .name("wo-fleet".into())
                .spawn(move || Fleet::parse(&text, &parse_file))
                .map_err(|e| Error::backend("fleet", format!("cannot start a thread: {e}")))?;
            Some((handle, file))
        }
        None => None,
    };
    let values = match (bundle.app.kind, request.config, &platform) {
        (SolutionKind::Platform, _, Some((tree, shown))) => Some(ValueSet::load(tree, shown)),
        (_, Some(location), _) => Some(
            match read_config(location, "config", request, credentials, cache).await {
                Ok((tree, shown)) => ValueSet::load(&tree, &shown),
                Err(e) => Err(e),
            },
        ),
        _ => None,
    };
    let (fleet, fleet_file) = match fleet_parse {
        Some((handle, file)) => {
            let fleet = handle
                .join()
                .map_err(|_| Error::backend("fleet", "the fleet parser panicked"))??;
            if let Some(env) = request.environment {
                if fleet.environment != env {
                    return Err(Error::invalid(
                        Location::file(&file).with_key("environment"),
                        format!(
                            "the fleet is for `{}`, not for `{env}` (--env)",
                            fleet.environment
                        ),
                    ));
                }
            }
            (Some(fleet), file)
        }
        None => (None, String::new()),
    };
    let values = values.transpose()?;
    Ok(Inputs {
        bundle,
        values,
        fleet,
        fleet_file,
    })
}

/// A directory's or a repository's name in messages, without a trailing `/`.
fn shown(dir: &Path) -> String {
    dir.display().to_string().trim_end_matches('/').to_string()
}

async fn read_bundle(
    request: &InputsRequest<'_>,
    credentials: &Credentials,
    cache: &Path,
) -> Result<Bundle> {
    match InputLocation::classify(request.source) {
        InputLocation::Directory(dir) => Bundle::load(&FileTree::load_dir(&dir)?, &shown(&dir)),
        InputLocation::Repository(location) => {
            let repo = open(&location, "source", credentials, cache)?;
            let source = repo.source();
            let rev = request.source_rev.unwrap_or(DEFAULT_SOURCE_REV);
            let commit = source.resolve(rev).await?;
            wo_core::pipeline::read_bundle(source.as_ref(), &commit).await
        }
    }
}

async fn read_config(
    location: &str,
    flag: &str,
    request: &InputsRequest<'_>,
    credentials: &Credentials,
    cache: &Path,
) -> Result<(FileTree, String)> {
    match InputLocation::classify(location) {
        InputLocation::Directory(dir) => Ok((FileTree::load_dir(&dir)?, shown(&dir))),
        InputLocation::Repository(location) => {
            let Some(env) = request.environment else {
                return Err(Error::invalid(
                    Location::file("<arguments>").with_key("--env"),
                    format!(
                        "--{flag} `{location}` is a repository, not a directory: give --env to read its environment branch (or give a checkout of that branch)"
                    ),
                ));
            };
            let store = open(&location, flag, credentials, cache)?.config();
            let head = store.head(env).await?;
            let tree = store.read(&head).await?;
            Ok((tree, format!("{location}@{env}")))
        }
    }
}

#[cfg(any(feature = "git", feature = "github"))]
fn open(
    location: &str,
    _flag: &str,
    credentials: &Credentials,
    cache: &Path,
) -> Result<crate::repository::Repository> {
    crate::repository::Repository::open(location, credentials, cache)
}

#[cfg(not(any(feature = "git", feature = "github")))]
fn open(location: &str, flag: &str, _: &Credentials, _: &Path) -> Result<NoRepository> {
    Err(Error::invalid(
        Location::file("<arguments>").with_key(format!("--{flag}")),
        format!("`{location}` is not a directory, and this build of wo opens no repositories"),
    ))
}

/// Stands for a repository in a build without repository backends (never made).
#[cfg(not(any(feature = "git", feature = "github")))]
enum NoRepository {}

#[cfg(not(any(feature = "git", feature = "github")))]
impl NoRepository {
    fn source(&self) -> std::sync::Arc<dyn wo_core::ports::SourceRepo> {
        match *self {}
    }
    fn config(&self) -> std::sync::Arc<dyn wo_core::ports::ConfigChanges> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_read_as_files_and_bare_repositories_as_repositories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        assert_eq!(
            InputLocation::classify(path),
            InputLocation::Directory(dir.path().to_path_buf())
        );
        std::fs::write(dir.path().join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir(dir.path().join("objects")).unwrap();
        std::fs::create_dir(dir.path().join("refs")).unwrap();
        assert_eq!(
            InputLocation::classify(path),
            InputLocation::Repository(path.into())
        );
        assert_eq!(
            InputLocation::classify("github://acme/shop"),
            InputLocation::Repository("github://acme/shop".into())
        );
    }
}
