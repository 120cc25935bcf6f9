//! One module per API area; each handler runs under the state lock and answers an [`Outcome`].

mod checks;
mod contents;
mod git_data;
mod issues;
mod pulls;
mod repos;
mod statuses;

use crate::reply::{not_found, Outcome};
use crate::request::Request;
use crate::routes::{FAKE_RAW, FAKE_TARBALL};
use crate::state::State;

pub(crate) fn dispatch(state: &mut State, req: &Request<'_>) -> Outcome {
    match req.route.op {
        "rate-limit/get" => repos::rate_limit(state, req),
        "repos/get" => repos::get(state, req),
        "repos/update" => repos::update(state, req),
        "repos/get-all-repository-rulesets" => repos::list_rulesets(state, req),
        "repos/create-repo-ruleset" => repos::create_ruleset(state, req),
        "repos/get-repo-ruleset" => repos::get_ruleset(state, req),
        "repos/update-repo-ruleset" => repos::update_ruleset(state, req),
        "repos/create-or-update-environment" => repos::put_environment(state, req),
        "repos/get-environment" => repos::get_environment(state, req),
        "actions/list-repo-variables" => repos::list_variables(state, req),
        "actions/create-repo-variable" => repos::create_variable(state, req),
        "actions/get-repo-variable" => repos::get_variable(state, req),
        "actions/update-repo-variable" => repos::update_variable(state, req),
        "pulls/create-review" => pulls::create_review(state, req),
        "pulls/list-reviews" => pulls::list_reviews(state, req),
        "repos/list-pull-requests-associated-with-commit" => {
            pulls::associated_with_commit(state, req)
        }
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
        FAKE_TARBALL => contents::tarball(state, req),
        FAKE_RAW => contents::raw(state, req),
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
