//! [`GitOpsRepo`] on git: env branches, change requests as branches plus a state record.

use std::sync::Arc;

use async_trait::async_trait;
use git2::{Oid, Signature};
use wo_core::files::{check_name, FileTree};
use wo_core::ports::{
    ChangeProposal, ChangeRequest, ChangeState, CommitId, GitOpsCommit, GitOpsRepo, ProposeOutcome,
    Provenance,
};
use wo_core::{Error, Location, Result};

use crate::location::GitRepo;
use crate::session::{self, run, Cas, Session, CHANGES, HEADS};
use crate::tree;

/// [`GitOpsRepo`] on a git repository, change requests merged by the tool itself.
///
/// The layout in the repository (see the [crate docs](crate) for the whole design):
///
/// | ref | what |
/// |---|---|
/// | `refs/heads/<env>` | the env branch; moves only by fast-forward to a merged change |
/// | `refs/heads/wo/<env>/<solution>` | the head of the change request of the pair, for humans and other tools |
/// | `refs/wo/changes/<env>/<solution>` | the record of the pair: a chain of commits whose tree holds `change.json` |
///
/// The record is the source of truth (state, base, head, title, body, provenance); every
/// record commit has the previous record as first parent (so moving the ref is a
/// compare-and-swap, a non-force push on a remote) and the change's head as last parent (so
/// the head travels with the record and stays reachable); the first record of a pair has only
/// the head as parent. The environment name `wo` is
/// reserved: its branch would clash with the change-request branches.
///
/// A change branch merged by hand or by a host with a merge commit (`git merge --no-ff
/// wo/dev/shop`) is recognised: [`merged_from`](GitOpsRepo::merged_from) names the merge
/// commit's parent after the first that carries provenance trailers. A squash made outside wo
/// is not (git records no link to the change); a rebase keeps the trailers.
/// [`merge_with`](GitOpsRepo::merge_with) offers fast-forward only.
#[derive(Debug, Clone)]
pub struct GitOpsGitRepo {
    repo: Arc<GitRepo>,
}

impl GitOpsGitRepo {
    /// The gitops repo at `repo`.
    pub fn new(repo: GitRepo) -> Self {
        Self {
            repo: Arc::new(repo),
        }
    }

    /// The gitops repo at a location string ([`GitLocation::parse`](crate::GitLocation::parse)).
    ///
    /// # Errors
    /// As [`GitLocation::parse`](crate::GitLocation::parse).
    pub fn open(location: &str) -> Result<Self> {
        Ok(Self::new(GitRepo::open(location)?))
    }
}

/// `change.json`: the state of one change request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct ChangeRecord {
    id: String,
    /// Counts the change requests of the pair: a new one after a merge or close gets the next.
    number: u64,
    solution: String,
    environment: String,
    state: ChangeState,
    base: Option<CommitId>,
    head: CommitId,
    title: String,
    body: String,
    provenance: Provenance,
    url: Option<String>,
}

impl ChangeRecord {
    fn request(&self) -> ChangeRequest {
        ChangeRequest {
            id: self.id.clone(),
            solution: self.solution.clone(),
            environment: self.environment.clone(),
            state: self.state,
            head: self.head.clone(),
            base: self.base.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            provenance: self.provenance.clone(),
            url: self.url.clone(),
        }
    }
}

const RECORD_FILE: &str = "change.json";

fn env_branch(env: &str) -> String {
    format!("refs/heads/{env}")
}

fn change_branch(env: &str, solution: &str) -> String {
    format!("refs/heads/wo/{env}/{solution}")
}

fn record_ref(env: &str, solution: &str) -> String {
    format!("refs/wo/changes/{env}/{solution}")
}

/// A name that is also one component of a ref.
fn check_component(field: &str, name: &str) -> Result<()> {
    let at = || Location::file("<gitops>").with_key(field);
    check_name(name).map_err(|m| Error::invalid(at(), m))?;
    if name.ends_with(".lock") {
        return Err(Error::invalid(
            at(),
            format!("`{name}` ends in `.lock`, which git refuses in ref names"),
        ));
    }
    Ok(())
}

fn check_env(env: &str) -> Result<()> {
    check_component("environment", env)?;
    if env == "wo" {
        return Err(Error::invalid(
            Location::file("<gitops>").with_key("environment"),
            "the environment name `wo` is reserved: change-request branches live under refs/heads/wo/",
        ));
    }
    Ok(())
}

fn same_commit(a: Option<Oid>, b: Option<&CommitId>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.to_string().eq_ignore_ascii_case(b.as_str()),
        _ => false,
    }
}

fn show(id: Option<&CommitId>) -> &str {
    id.map_or("nothing", CommitId::as_str)
}

fn read_record(s: &Session, env: &str, solution: &str) -> Result<Option<(Oid, ChangeRecord)>> {
    let name = record_ref(env, solution);
    let Some(oid) = s.ref_target(&name)? else {
        return Ok(None);
    };
    Ok(Some((oid, record_at(s, &name, oid)?)))
}

/// The change record of record commit `oid` of ref `name`.
fn record_at(s: &Session, name: &str, oid: Oid) -> Result<ChangeRecord> {
    let tree = s
        .repo
        .find_commit(oid)
        .and_then(|c| c.tree())
        .map_err(|e| s.err(&format!("reading {name}"), &e))?;
    let bytes = tree::file_bytes(&s.repo, &tree, RECORD_FILE)
        .ok_or_else(|| session::backend(&s.name, &format!("{name} has no {RECORD_FILE}"), false))?;
    let record = serde_json::from_slice(&bytes).map_err(|e| {
        session::backend(
            &s.name,
            &format!("{name}: {RECORD_FILE} is not a change record: {e}"),
            false,
        )
    })?;
    Ok(record)
}

/// Whether the record commit `rid` opened its change request: the record before it (its
/// first parent, when it has two) is of another change request or no longer open.
fn opens(s: &Session, rid: Oid, record: &ChangeRecord) -> Result<bool> {
    let name = record_ref(&record.environment, &record.solution);
    let commit = s
        .repo
        .find_commit(rid)
        .map_err(|e| s.err(&format!("reading {name}"), &e))?;
    if commit.parent_count() < 2 {
        return Ok(true);
    }
    let previous = record_at(s, &name, commit.parent_id(0).map_err(|e| s.err(&name, &e))?)?;
    Ok(previous.id != record.id || previous.state != ChangeState::Open)
}

fn write_record(s: &Session, previous: Option<Oid>, record: &ChangeRecord) -> Result<Cas> {
    let name = record_ref(&record.environment, &record.solution);
    let err = |e: git2::Error| s.err(&format!("writing {name}"), &e);
    let mut json = serde_json::to_vec_pretty(record)
        .map_err(|e| session::backend(&s.name, &format!("encoding {name}: {e}"), false))?;
    json.push(b'\n');
    let tree_id = tree::write_files(&s.repo, &s.name, [(RECORD_FILE, json.as_slice())])?
        .ok_or_else(|| session::backend(&s.name, "empty change record tree", false))?;
    let tree = s.repo.find_tree(tree_id).map_err(err)?;
    let head = s.commit(&record.head)?;
    let previous_commit = previous
        .map(|p| s.repo.find_commit(p))
        .transpose()
        .map_err(err)?;
    let mut parents: Vec<&git2::Commit<'_>> = previous_commit.iter().collect();
    parents.push(&head);
    let sig = Signature::now("wo", "wo@localhost").map_err(err)?;
    let message = format!("wo: change request {} {}\n", record.id, record.state);
    let new = s
        .repo
        .commit(None, &sig, &sig, &message, &tree, &parents)
        .map_err(err)?;
    s.swap_ref(&name, new, previous)
}

/// Whether the env branch at `env_head` holds commit `head` (is at it or past it): the change
/// request with that head was merged, whatever its record says yet.
fn holds(s: &Session, env_head: Option<Oid>, head: &CommitId) -> Result<bool> {
    let Some(env_head) = env_head else {
        return Ok(false);
    };
    let head = s.commit(head)?.id();
    if env_head == head {
        return Ok(true);
    }
    s.repo.graph_descendant_of(env_head, head).map_err(|e| {
        s.err(
            &format!("checking whether {env_head} descends from {head}"),
            &e,
        )
    })
}

/// What [`mirror`] did to a change branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mirrored {
    /// It was at the record's head already.
    Already,
    /// It was elsewhere, or missing.
    Moved,
}

/// Points the change branch of `record`'s pair at the record's head unless it is there: the
/// branch mirrors the record, which a process killed between the two writes left apart.
fn mirror(s: &Session, record: &ChangeRecord) -> Result<Mirrored> {
    let name = change_branch(&record.environment, &record.solution);
    let head = s.commit(&record.head)?.id();
    let was = s.ref_target(&name)?;
    if was == Some(head) {
        return Ok(Mirrored::Already);
    }
    s.force_ref(&name, head)?;
    Ok(Mirrored::Moved)
}

/// Records the open change request `current` as merged (the env branch holds its head),
/// re-reading on a lost swap. Done when another writer recorded it or moved the pair on.
fn record_merged(
    s: &Session,
    env: &str,
    solution: &str,
    mut current: (Oid, ChangeRecord),
) -> Result<()> {
    let head = current.1.head.clone();
    for attempt in 1..=s.attempts {
        if attempt > 1 {
            s.backoff(attempt);
            s.refresh(&[CHANGES])?;
            match read_record(s, env, solution)? {
                Some((rid, r)) if r.state == ChangeState::Open && r.head == head => {
                    current = (rid, r)
                }
                // Another writer recorded it, or moved the pair on to a new change.
                _ => return Ok(()),
            }
        }
        let merged = ChangeRecord {
            state: ChangeState::Merged,
            ..current.1.clone()
        };
        if let Cas::Applied = write_record(s, Some(current.0), &merged)? {
            return Ok(());
        }
    }
    Err(session::backend(
        &s.name,
        &format!(
            "change request {} was merged into {} but its record could not be updated after {} tries",
            current.1.id,
            env_branch(env),
            s.attempts
        ),
        true,
    ))
}

/// The `<solution>/` directory of a commit's tree.
fn solution_dir(s: &Session, commit: &CommitId, solution: &str) -> Result<Option<Oid>> {
    let tree = s
        .commit(commit)?
        .tree()
        .map_err(|e| s.err(&format!("reading the tree of commit {commit}"), &e))?;
    Ok(tree::dir_id(&tree, solution))
}

fn propose(s: &Session, p: &ChangeProposal) -> Result<ProposeOutcome> {
    let (env, solution) = (p.environment.as_str(), p.solution.as_str());
    let env_ref = env_branch(env);
    let strip = solution.len() + 1;
    let new_dir = tree::write_files(
        &s.repo,
        &s.name,
        p.files.iter().map(|(path, bytes)| (&path[strip..], bytes)),
    )?;
    let message = p.provenance.commit_message(&p.title, &p.body);
    let mut last = String::new();
    for attempt in 1..=s.attempts {
        if attempt > 1 {
            s.backoff(attempt);
        }
        s.refresh(&[HEADS, CHANGES])?;
        let head = s.ref_target(&env_ref)?;
        if !same_commit(head, p.base.as_ref()) {
            return Err(Error::precondition(format!(
                    "env branch {env_ref} of gitops repo `{}` is at {}, the change was computed against {}",
                    s.name,
                    head.map_or("nothing".to_string(), |h| h.to_string()),
                    show(p.base.as_ref()),
                )));
        }
        let err = |e: git2::Error| {
            s.err(
                &format!("building the change of {solution} for {env_ref}"),
                &e,
            )
        };
        let base_commit = head
            .map(|h| s.repo.find_commit(h))
            .transpose()
            .map_err(err)?;
        let base_tree = base_commit
            .as_ref()
            .map(|c| c.tree())
            .transpose()
            .map_err(err)?;
        let current_dir = base_tree.as_ref().and_then(|t| tree::dir_id(t, solution));
        let mut record = read_record(s, env, solution)?;
        if let Some((rid, rec)) = record.clone() {
            if rec.state == ChangeState::Open && holds(s, head, &rec.head)? {
                // A merge died between moving the env branch and its record: it was merged.
                let merged = ChangeRecord {
                    state: ChangeState::Merged,
                    ..rec
                };
                match write_record(s, Some(rid), &merged)? {
                    Cas::Applied => record = read_record(s, env, solution)?,
                    Cas::Lost(why) => {
                        last = why;
                        continue;
                    }
                }
            }
        }
        let open = record
            .as_ref()
            .filter(|(_, r)| r.state == ChangeState::Open);

        if current_dir == new_dir {
            let Some((rid, rec)) = open else {
                if let Some((_, rec)) = &record {
                    mirror(s, rec)?;
                }
                return Ok(ProposeOutcome::NoDifference { closed: None });
            };
            let closed = ChangeRecord {
                state: ChangeState::Closed,
                ..rec.clone()
            };
            match write_record(s, Some(*rid), &closed)? {
                Cas::Applied => {
                    mirror(s, &closed)?;
                    return Ok(ProposeOutcome::NoDifference {
                        closed: Some(closed.request()),
                    });
                }
                Cas::Lost(why) => {
                    last = why;
                    continue;
                }
            }
        }
        if let Some((rid, rec)) = open {
            if rec.base == p.base
                && rec.provenance == p.provenance
                && solution_dir(s, &rec.head, solution)? == new_dir
            {
                // The record holds the change request; a process killed between the record and
                // its branch left the branch missing or behind. Bringing it along is what
                // opens or updates the change request for whoever looks at branches.
                let cr = rec.request();
                return Ok(match mirror(s, rec)? {
                    Mirrored::Already => ProposeOutcome::Unchanged(cr),
                    Mirrored::Moved if opens(s, *rid, rec)? => ProposeOutcome::Opened(cr),
                    Mirrored::Moved => ProposeOutcome::Updated(cr),
                });
            }
        }

        let tree_id = tree::replace_dir(&s.repo, &s.name, base_tree.as_ref(), solution, new_dir)?;
        let tree = s.repo.find_tree(tree_id).map_err(err)?;
        let sig = Signature::now("wo", "wo@localhost").map_err(err)?;
        let parents: Vec<&git2::Commit<'_>> = base_commit.iter().collect();
        let new_head = s
            .repo
            .commit(None, &sig, &sig, &message, &tree, &parents)
            .map_err(err)?;
        let number = match (open, &record) {
            (Some((_, rec)), _) => rec.number,
            (None, Some((_, rec))) => rec.number + 1,
            (None, None) => 1,
        };
        let new = ChangeRecord {
            id: format!("wo/{env}/{solution}#{number}"),
            number,
            solution: solution.to_string(),
            environment: env.to_string(),
            state: ChangeState::Open,
            base: p.base.clone(),
            head: CommitId::new(new_head.to_string()),
            title: p.title.clone(),
            body: p.body.clone(),
            provenance: p.provenance.clone(),
            url: None,
        };
        match write_record(s, record.as_ref().map(|(rid, _)| *rid), &new)? {
            Cas::Applied => {
                mirror(s, &new)?;
                let cr = new.request();
                return Ok(if open.is_some() {
                    ProposeOutcome::Updated(cr)
                } else {
                    ProposeOutcome::Opened(cr)
                });
            }
            Cas::Lost(why) => last = why,
        }
    }
    Err(Error::precondition(format!(
            "change request of {solution} for env `{env}` in gitops repo `{}`: gave up after {} tries: {last}",
            s.name, s.attempts
        )))
}

fn merge(s: &Session, change: &ChangeRequest) -> Result<CommitId> {
    let (env, solution) = (change.environment.as_str(), change.solution.as_str());
    check_env(env)?;
    check_component("solution", solution)?;
    s.refresh(&[HEADS, CHANGES])?;
    let not_open = || {
        Error::not_found(format!(
            "open change request of `{solution}` for env `{env}` in gitops repo `{}`",
            s.name
        ))
    };
    let (rid, rec) = read_record(s, env, solution)?
        .filter(|(_, r)| r.state == ChangeState::Open)
        .ok_or_else(not_open)?;
    if rec.head != change.head {
        return Err(Error::precondition(format!(
            "change request {} of gitops repo `{}` now holds {}, not {}",
            rec.id, s.name, rec.head, change.head
        )));
    }
    // A proposal that died before moving the change branch: the branch follows the record.
    mirror(s, &rec)?;
    let env_ref = env_branch(env);
    let head = s.ref_target(&env_ref)?;
    if holds(s, head, &rec.head)? {
        // A merge that died between moving the env branch and its record: record it now.
        record_merged(s, env, solution, (rid, rec))?;
        return Ok(change.head.clone());
    }
    if !same_commit(head, rec.base.as_ref()) {
        return Err(Error::precondition(format!(
                "env branch {env_ref} of gitops repo `{}` moved to {} since change request {} was computed against {}; propose again",
                s.name,
                head.map_or("nothing".to_string(), |h| h.to_string()),
                rec.id,
                show(rec.base.as_ref()),
            )));
    }
    let new = s.commit(&rec.head)?.id();
    if let Cas::Lost(why) = s.swap_ref(&env_ref, new, head)? {
        return Err(Error::precondition(format!(
            "merging change request {}: {why}; propose again",
            rec.id
        )));
    }
    // The env branch holds the change; now record it as merged.
    record_merged(s, env, solution, (rid, rec))?;
    Ok(change.head.clone())
}

/// A commit as [`GitOpsRepo::history`] lists it.
fn listed(commit: &git2::Commit<'_>) -> GitOpsCommit {
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    GitOpsCommit {
        id: CommitId::new(commit.id().to_string()),
        provenance: Provenance::from_message(&message),
        message,
        tree: commit.tree_id().to_string(),
    }
}

/// The change request head a merge commit merged: its first parent after the first that
/// carries provenance trailers (`git merge --no-ff wo/<env>/<solution>`, a host's merge
/// button). A commit with one parent names none: wo merges by fast-forward, so its own
/// merges are the change request's commit itself.
fn merged_from(s: &Session, id: &CommitId) -> Result<Option<GitOpsCommit>> {
    let commit = s.commit(id)?;
    for parent in commit.parents().skip(1) {
        let found = listed(&parent);
        if found.provenance.is_some() {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn history(s: &Session, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    s.refresh(&[HEADS])?;
    let env_ref = env_branch(env);
    let Some(head) = s.ref_target(&env_ref)? else {
        return Ok(out);
    };
    let mut next = Some(
        s.repo
            .find_commit(head)
            .map_err(|e| s.err(&format!("reading {env_ref}"), &e))?,
    );
    while let Some(commit) = next {
        out.push(listed(&commit));
        if out.len() >= limit {
            break;
        }
        next = commit.parents().next();
    }
    Ok(out)
}

#[async_trait]
impl GitOpsRepo for GitOpsGitRepo {
    async fn head(&self, env: &str) -> Result<Option<CommitId>> {
        check_env(env)?;
        let env = env.to_string();
        run(self.repo.clone(), move |s| {
            s.refresh(&[HEADS])?;
            Ok(s.ref_target(&env_branch(&env))?
                .map(|o| CommitId::new(o.to_string())))
        })
        .await
    }

    async fn read(&self, commit: &CommitId, solution: &str) -> Result<FileTree> {
        check_component("solution", solution)?;
        let (id, solution) = (commit.clone(), solution.to_string());
        run(self.repo.clone(), move |s| {
            let tree = s
                .commit(&id)?
                .tree()
                .map_err(|e| s.err(&format!("reading the tree of commit {id}"), &e))?;
            tree::read_files(
                &s.repo,
                &s.name,
                &tree,
                &[solution],
                &format!("commit {id}"),
            )
        })
        .await
    }

    async fn propose(&self, proposal: ChangeProposal) -> Result<ProposeOutcome> {
        proposal.validate()?;
        check_env(&proposal.environment)?;
        check_component("solution", &proposal.solution)?;
        run(self.repo.clone(), move |s| propose(s, &proposal)).await
    }

    async fn change_request(&self, solution: &str, env: &str) -> Result<Option<ChangeRequest>> {
        check_env(env)?;
        check_component("solution", solution)?;
        let (solution, env) = (solution.to_string(), env.to_string());
        run(self.repo.clone(), move |s| {
            s.refresh(&[CHANGES])?;
            Ok(read_record(s, &env, &solution)?
                .filter(|(_, r)| r.state == ChangeState::Open)
                .map(|(_, r)| r.request()))
        })
        .await
    }

    async fn merge(&self, change: &ChangeRequest) -> Result<CommitId> {
        let change = change.clone();
        run(self.repo.clone(), move |s| merge(s, &change)).await
    }

    async fn history(&self, env: &str, limit: usize) -> Result<Vec<GitOpsCommit>> {
        check_env(env)?;
        let env = env.to_string();
        run(self.repo.clone(), move |s| history(s, &env, limit)).await
    }

    async fn merged_from(&self, env: &str, commit: &CommitId) -> Result<Option<GitOpsCommit>> {
        check_env(env)?;
        let id = commit.clone();
        run(self.repo.clone(), move |s| merged_from(s, &id)).await
    }
}
