//! Long-running operations: `Azure-AsyncOperation` and `Location` polling.
//!
//! The rules are on the [`arm`](super) module page.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use wo_core::{Error, Result};

use super::client::ArmClient;
use super::error::{operation_failed, ArmErrorDetail, BACKEND};
use super::policy::LroPolicy;

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Succeeded,
    Failed,
}

fn phase(status: &str) -> Phase {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" | "completed" => Phase::Succeeded,
        "failed" | "canceled" | "cancelled" => Phase::Failed,
        _ => Phase::Running,
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Whether `body` is an operation-status envelope (`status` string plus a `properties`
/// object that is itself a resource).
fn envelope_status(body: &Value) -> Option<&str> {
    let status = body.get("status")?.as_str()?;
    let looks_like_operation = body.get("resourceId").is_some()
        || body.get("startTime").is_some()
        || body.get("error").is_some()
        || body
            .get("properties")
            .is_some_and(|p| p.get("id").is_some() || p.get("properties").is_some());
    looks_like_operation.then_some(status)
}

/// The resource inside an operation-status envelope, or `body` when it is a bare resource.
pub fn unwrap_envelope(body: Value) -> Value {
    if envelope_status(&body).is_some() {
        if let Some(inner) = body.get("properties") {
            if inner.get("id").is_some() || inner.get("properties").is_some() {
                return inner.clone();
            }
        }
    }
    body
}

/// The failure a `Location` answered with an error status: the operation's error code and
/// message (ARM's `ErrorResponse`), mapped as any operation's failure (see
/// [`operation_failed`]); the context path is the operation's request path, so the error names
/// the action (`…/targets/t/reviewSolutionVersion`).
fn location_failure(id: &str, status: StatusCode, body: &[u8]) -> Error {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error = ArmErrorDetail::from_body(&json).unwrap_or_else(|| ArmErrorDetail {
        code: status
            .canonical_reason()
            .unwrap_or("Failed")
            .replace(' ', ""),
        message: String::from_utf8_lossy(body).chars().take(200).collect(),
        ..ArmErrorDetail::default()
    });
    operation_failed(
        id,
        &format!("Failed (HTTP {})", status.as_u16()),
        Some(error),
    )
}

fn failure_of(id: &str, status: &str, body: &Value) -> Error {
    let error = body.get("error").and_then(ArmErrorDetail::from_body);
    operation_failed(id, status, error)
}

impl ArmClient {
    /// `PUT` a resource and wait until it is provisioned; the resource as a final `GET` returns
    /// it.
    ///
    /// # Errors
    /// As [`ArmClient::get`]; the operation's error when it ends `Failed`/`Canceled`; a
    /// retryable [`Error::Backend`] when it runs longer than [`LroPolicy::max_duration`].
    pub async fn put_lro(&self, path: &str, body: &Value) -> Result<Value> {
        self.run_lro(Method::PUT, path, Some(body)).await
    }

    /// `PATCH` a resource and wait; the resource.
    ///
    /// # Errors
    /// As [`ArmClient::put_lro`].
    pub async fn patch_lro(&self, path: &str, body: &Value) -> Result<Value> {
        self.run_lro(Method::PATCH, path, Some(body)).await
    }

    /// `POST` an action and wait; its result (the resource inside an operation-status
    /// envelope, the bare body otherwise, `Null` for actions without a result).
    ///
    /// # Errors
    /// As [`ArmClient::put_lro`].
    pub async fn post_lro(&self, path: &str, body: Option<&Value>) -> Result<Value> {
        self.run_lro(Method::POST, path, body).await
    }

    /// `DELETE` a resource and wait until it is gone.
    ///
    /// # Errors
    /// As [`ArmClient::put_lro`].
    pub async fn delete_lro(&self, path: &str) -> Result<()> {
        self.run_lro(Method::DELETE, path, None).await.map(|_| ())
    }

    async fn run_lro(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let url = self.resolve(path)?;
        let id = self.id_of(&url);
        let started = self.clock().monotonic();
        let reply = self.execute(method.clone(), &url, body).await?;
        let first = reply.json(&id)?;
        let async_op = header(&reply.headers, "azure-asyncoperation");
        let location = header(&reply.headers, "location");
        let mut hint = self.retry_after(&reply.headers);

        if let Some(op) = async_op {
            let op_url = self.resolve(&op)?;
            let last = loop {
                self.pause(hint, started, &id).await?;
                let r = self.execute(Method::GET, &op_url, None).await?;
                hint = self.retry_after(&r.headers);
                let status_body = r.json(&id)?;
                let status = status_body
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("InProgress")
                    .to_string();
                match phase(&status) {
                    Phase::Running => continue,
                    Phase::Failed => return Err(failure_of(&id, &status, &status_body)),
                    Phase::Succeeded => break status_body,
                }
            };
            return match method {
                Method::DELETE => Ok(Value::Null),
                Method::POST => match location {
                    Some(loc) => self.poll_location(&loc, None, started, &id).await,
                    None => Ok(unwrap_envelope(last)),
                },
                _ => self.get(path).await,
            };
        }

        if let Some(loc) = location {
            let done = self.poll_location(&loc, hint, started, &id).await?;
            // A PUT/PATCH whose Location ends without the resource: read the resource itself.
            let is_resource = done.get("id").is_some() || done.get("properties").is_some();
            return match method {
                Method::PUT | Method::PATCH if !is_resource => self.get(path).await,
                _ => Ok(done),
            };
        }

        let provisioning = first
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .map(phase);
        if matches!(method, Method::PUT | Method::PATCH) && provisioning == Some(Phase::Running) {
            return self.poll_resource(path, hint, started, &id).await;
        }
        Ok(unwrap_envelope(first))
    }

    async fn poll_location(
        &self,
        location: &str,
        mut hint: Option<Duration>,
        started: Duration,
        id: &str,
    ) -> Result<Value> {
        let url = self.resolve(location)?;
        loop {
            self.pause(hint, started, id).await?;
            let r = self.execute_final(&url).await?;
            hint = self.retry_after(&r.headers);
            match r.status {
                StatusCode::ACCEPTED => continue,
                StatusCode::NO_CONTENT => return Ok(Value::Null),
                // ARM's async contract: the final answer of the `Location` is what the operation
                // would have answered synchronously, so an error status is its failure (final:
                // polling again would get the same answer).
                s if s.is_client_error() || s.is_server_error() => {
                    return Err(location_failure(id, r.status, &r.body))
                }
                _ => {}
            }
            let body = r.json(id)?;
            // Not the contract (the spec declares the bare resource), but what the `az` CLI
            // expects the service to answer for target actions: an operation-status envelope
            // around the resource. Still accepted, ending in its `status`.
            if let Some(status) = envelope_status(&body) {
                match phase(status) {
                    Phase::Running => continue,
                    Phase::Failed => return Err(failure_of(id, status, &body)),
                    Phase::Succeeded => {}
                }
            }
            return Ok(unwrap_envelope(body));
        }
    }

    async fn poll_resource(
        &self,
        path: &str,
        mut hint: Option<Duration>,
        started: Duration,
        id: &str,
    ) -> Result<Value> {
        let url = self.resolve(path)?;
        loop {
            self.pause(hint, started, id).await?;
            let r = self.execute(Method::GET, &url, None).await?;
            hint = self.retry_after(&r.headers);
            let body = r.json(id)?;
            let state = body
                .pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .unwrap_or("Succeeded")
                .to_string();
            match phase(&state) {
                Phase::Running => continue,
                Phase::Failed => return Err(failure_of(id, &state, &body)),
                Phase::Succeeded => return Ok(body),
            }
        }
    }

    /// The wait an answer asks for (the shared parser: `retry-after-ms`,
    /// `x-ms-retry-after-ms`, `Retry-After` seconds or date).
    fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        wo_http::retry_after(headers, self.clock().now())
    }

    /// Waits before the next poll, or fails when the operation has run too long. `started` is
    /// the clock's monotonic reading when the operation was sent.
    async fn pause(&self, hint: Option<Duration>, started: Duration, id: &str) -> Result<()> {
        let policy: &LroPolicy = self.lro_policy();
        let wait = policy.interval(hint);
        let elapsed = self.clock().monotonic().saturating_sub(started);
        if elapsed + wait > policy.max_duration {
            return Err(Error::backend(
                BACKEND,
                format!("the operation on {id} was still running after {elapsed:?}"),
            )
            .retryable(true));
        }
        self.clock().sleep(wait).await;
        Ok(())
    }
}
