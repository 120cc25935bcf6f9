//! One module per API area; each handler runs under the state lock and answers an [`Outcome`].

mod checks;
mod contents;
mod git_data;
mod issues;
mod pulls;
mod repos;
mod statuses;

use super::reply::{not_found, unprocessable, Outcome, Reply};
use super::server::Request;
use super::state::State;

pub(crate) fn dispatch(state: &mut State, req: &Request<'_>) -> Outcome {
    match req.route.op {
        "rate-limit/get" => repos::rate_limit(state, req),
        "repos/get" => repos::get(state, req),
        "repos/create-dispatch-event" => repos::dispatch_event(state, req),
        "actions/create-workflow-dispatch" => repos::workflow_dispatch(state, req),
        "git/get-ref" => git_data::get_ref(state, req),
        "git/create-ref" => git_data::create_ref(state, req),
        "git/update-ref" => git_data::update_ref(state, req),
        "git/delete-ref" => git_data::delete_ref(state, req),
        "git/list-matching-refs" => git_data::matching_refs(state, req),
        "git/create-blob" => git_data::create_blob(state, req),
        "git/get-blob" => git_data::get_blob(state, req),
        "git/create-tree" => git_data::create_tree(state, req),
        "git/get-tree" => git_data::get_tree(state, req),
        "git/create-commit" => git_data::create_commit(state, req),
        "git/get-commit" => git_data::get_commit(state, req),
        "repos/get-content" => contents::get_content(state, req),
        "repos/download-tarball-archive" => contents::tarball_redirect(state, req),
        "repos/compare-commits-with-basehead" => contents::compare(state, req),
        super::routes::FAKE_TARBALL => contents::tarball(state, req),
        super::routes::FAKE_RAW => contents::raw(state, req),
        "pulls/list" => pulls::list(state, req),
        "pulls/create" => pulls::create(state, req),
        "pulls/get" => pulls::get(state, req),
        "pulls/update" => pulls::update(state, req),
        "pulls/merge" => pulls::merge(state, req),
        "pulls/list-files" => pulls::list_files(state, req),
        "issues/list-comments" => issues::list_comments(state, req),
        "issues/create-comment" => issues::create_comment(state, req),
        "issues/update-comment" => issues::update_comment(state, req),
        "issues/add-labels" => issues::add_labels(state, req),
        "repos/create-commit-status" => statuses::create(state, req),
        "repos/list-commit-statuses-for-ref" => statuses::list_for_ref(state, req),
        "repos/get-combined-status-for-ref" => statuses::combined(state, req),
        "checks/create" => checks::create(state, req),
        "checks/update" => checks::update(state, req),
        _ => Err(not_found()),
    }
}

/// A git failure inside a handler: GitHub's 500 would hide the cause, so the message is kept.
pub(crate) fn git_error(e: git2::Error) -> Reply {
    super::reply::error(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        &format!("fake GitHub git error: {}", e.message()),
    )
}

/// A path number (`pull_number`, `issue_number`, ids); anything else is 404 as on GitHub.
pub(crate) fn number(s: &str) -> Result<u64, Reply> {
    s.parse().map_err(|_| not_found())
}

/// A full 40-hex sha naming an existing object of the repository, else `message` as 422.
pub(crate) fn object_id(
    repo: &git2::Repository,
    sha: &str,
    message: &str,
) -> Result<git2::Oid, Reply> {
    let oid = (sha.len() == 40)
        .then(|| git2::Oid::from_str(sha).ok())
        .flatten()
        .ok_or_else(|| unprocessable(message))?;
    repo.find_object(oid, None)
        .map_err(|_| unprocessable(message))?;
    Ok(oid)
}
