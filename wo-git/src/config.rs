//! [`ConfigStore`] on git: one branch per environment.

use std::sync::Arc;

use async_trait::async_trait;
use wo_core::files::{check_name, FileTree};
use wo_core::ports::{CommitId, ConfigStore};
use wo_core::{Error, Location, Result};

use crate::location::GitRepo;
use crate::session::{run, HEADS};
use crate::tree;

/// [`ConfigStore`] on a git repository: the environment `env` is the branch
/// `refs/heads/<env>`; a read returns every file of a commit (blobs only, as
/// [`GitSourceRepo`](crate::GitSourceRepo) reads them).
#[derive(Debug, Clone)]
pub struct GitConfigStore {
    repo: Arc<GitRepo>,
}

impl GitConfigStore {
    /// The config repo at `repo`.
    pub fn new(repo: GitRepo) -> Self {
        Self {
            repo: Arc::new(repo),
        }
    }

    /// The config repo at a location string ([`GitLocation::parse`](crate::GitLocation::parse)).
    ///
    /// # Errors
    /// As [`GitLocation::parse`](crate::GitLocation::parse).
    pub fn open(location: &str) -> Result<Self> {
        Ok(Self::new(GitRepo::open(location)?))
    }

    /// The repository.
    pub fn repo(&self) -> &GitRepo {
        &self.repo
    }
}

#[async_trait]
impl ConfigStore for GitConfigStore {
    async fn head(&self, env: &str) -> Result<CommitId> {
        check_name(env)
            .map_err(|m| Error::invalid(Location::file("<environment>").with_key("env"), m))?;
        let env = env.to_string();
        run(self.repo.clone(), move |s| {
            s.refresh(&[HEADS])?;
            let branch = format!("refs/heads/{env}");
            match s.ref_target(&branch)? {
                Some(oid) => Ok(CommitId::new(oid.to_string())),
                None => Err(Error::not_found(format!(
                    "environment `{env}`: no branch {branch} in config repo `{}`",
                    s.name
                ))),
            }
        })
        .await
    }

    async fn read(&self, commit: &CommitId) -> Result<FileTree> {
        let id = commit.clone();
        run(self.repo.clone(), move |s| {
            let c = s.commit(&id)?;
            let tree = c
                .tree()
                .map_err(|e| s.err(&format!("reading the tree of commit {id}"), &e))?;
            tree::read_files(&s.repo, &s.name, &tree, &[], &format!("commit {id}"))
        })
        .await
    }

    async fn read_file(&self, commit: &CommitId, path: &str) -> Result<Option<Vec<u8>>> {
        wo_core::files::check_relative_path(path)
            .map_err(|m| Error::invalid(Location::file(path), m))?;
        let (id, path) = (commit.clone(), path.to_string());
        run(self.repo.clone(), move |s| {
            let c = s.commit(&id)?;
            let tree = c
                .tree()
                .map_err(|e| s.err(&format!("reading the tree of commit {id}"), &e))?;
            let entry = match tree.get_path(std::path::Path::new(&path)) {
                Ok(e) => e,
                Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
                Err(e) => return Err(s.err(&format!("looking up `{path}` in commit {id}"), &e)),
            };
            if entry.kind() != Some(git2::ObjectType::Blob) {
                return Ok(None);
            }
            // The same checks as a whole read (links, submodules, size): read the file as the
            // only entry of a one-file tree walk.
            let (size, _) = s
                .repo
                .odb()
                .and_then(|odb| odb.read_header(entry.id()))
                .map_err(|e| s.err(&format!("reading `{path}` of commit {id}"), &e))?;
            if size as u64 > wo_core::files::MAX_FILE_BYTES {
                return Err(Error::invalid(
                    Location::file(path.clone()),
                    format!(
                        "commit {id} of `{}`: file is {size} bytes; the limit is {}",
                        s.name,
                        wo_core::files::MAX_FILE_BYTES
                    ),
                ));
            }
            if entry.filemode() == 0o120000 {
                return Err(Error::invalid(
                    Location::file(path.clone()),
                    format!(
                        "commit {id} of `{}`: symbolic links are not followed; commit the file itself",
                        s.name
                    ),
                ));
            }
            let blob = s
                .repo
                .find_blob(entry.id())
                .map_err(|e| s.err(&format!("reading `{path}` of commit {id}"), &e))?;
            Ok(Some(blob.content().to_vec()))
        })
        .await
    }
}
