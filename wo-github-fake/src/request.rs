//! What a handler sees of a request, and the path parameters it parses.

use axum::http::HeaderMap;

use crate::auth::Actor;
use crate::reply::{not_found, unprocessable, Query, Reply};
use crate::routes::Route;

/// What a handler sees of a request.
pub(crate) struct Request<'a> {
    pub route: Route,
    pub query: Query,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub base: &'a str,
    /// Who the request's token acts as.
    pub actor: Actor,
}

impl Request<'_> {
    /// The login of the actor.
    pub fn login(&self) -> String {
        self.actor.login()
    }
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
