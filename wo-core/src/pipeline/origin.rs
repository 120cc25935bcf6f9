//! Which release an env branch commit holds, whichever way its change request was merged.
//!
//! wo merges its change requests by fast-forward: the env head is the change request's commit
//! and carries the provenance trailers. A git host's merge button makes other commits: a merge
//! commit (`Merge pull request #7 …`, no trailers), a squash commit (whatever message the
//! merger left) or a rebased copy (same message, new id). This is the one place that decides
//! whether such a commit is a release wo proposed: it is when the
//! [`GitOpsRepo::merged_from`](crate::ports::GitOpsRepo::merged_from) of the backend names the
//! change request's head commit, that commit carries provenance for the solution and
//! environment, and the commit's `<solution>/` holds exactly the files that head proposed.

use crate::error::{Error, Location, Result};
use crate::ports::{GitOpsCommit, Provenance};

use super::deploy::first_difference;
use super::Pipeline;

impl Pipeline {
    /// The provenance of env branch commit `commit` of `env` for `solution`: the trailers of
    /// its message, or (a merge or squash commit without them) those of the change request
    /// head it was merged from, once its `<solution>/` is checked to be exactly what that head
    /// proposed. `None` for a commit wo did not make (a manual commit, an edit on top).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the env, the commit and the first differing file: `commit`
    /// merges a change request of wo but its `<solution>/` differs from what was proposed.
    pub(super) async fn release_provenance(
        &self,
        env: &str,
        solution: &str,
        commit: &GitOpsCommit,
    ) -> Result<Option<Provenance>> {
        let ours = |p: &Option<Provenance>| {
            p.clone()
                .filter(|p| p.solution == solution && p.environment == env)
        };
        if let Some(p) = ours(&commit.provenance) {
            return Ok(Some(p));
        }
        let Some(origin) = self.ports.gitops.merged_from(env, &commit.id).await? else {
            return Ok(None);
        };
        let Some(provenance) = ours(&origin.provenance) else {
            return Ok(None);
        };
        if origin.tree == commit.tree {
            return Ok(Some(provenance));
        }
        // The env branch may have moved under the change request (another solution merged
        // first): what must equal the proposal is this solution's directory.
        let merged = self.ports.gitops.read(&commit.id, solution).await?;
        let proposed = self.ports.gitops.read(&origin.id, solution).await?;
        match first_difference(&merged, &proposed) {
            None => Ok(Some(provenance)),
            Some((path, how)) => Err(Error::invalid(
                Location::file(format!("gitops/{env}/{path}")).with_key(commit.id.to_string()),
                format!(
                    "commit {} of `{env}` merges wo's change request {} but {path} {how} what that change request proposed; \
                     the gitops repo changes only through change requests wo opens — revert the merge and merge the change request unedited, or prepare the environment again",
                    commit.id.short(),
                    origin.id.short(),
                ),
            )),
        }
    }
}
