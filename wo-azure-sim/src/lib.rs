//! An in-memory simulator of the Workload Orchestration ARM API (`Microsoft.Edge`,
//! api-version 2025-08-01) on 127.0.0.1, for tests, benchmarks and the local demo.
//!
//! ```no_run
//! use wo_azure_sim::{Simulator, SimulatorOptions};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let sim = Simulator::start(SimulatorOptions::default()).await?;
//! let base = sim.base_url(); // http://127.0.0.1:<port>
//! # let _ = base;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Its answers follow the official specifications (`configurationmanager.json` and
//! `configurations.json` of 2025-08-01): `wo-azure/tests/simulator_prism.rs` drives a whole
//! scenario through Stoplight Prism, which validates every request and answer against them.
//!
//! # ARM conventions
//!
//! - `api-version=2025-08-01` (or `2025-06-01`) is required: missing → 400
//!   `MissingApiVersionParameter`, other → 400 `InvalidApiVersionParameter`.
//! - `Authorization: Bearer <token>` is required (any token, or the one of
//!   [`SimulatorOptions::token`], or with [`SimulatorOptions::entra`] only a valid access
//!   token of that [`Entra`] stand-in): else 401 `AuthenticationFailed` /
//!   `InvalidAuthenticationToken` / `ExpiredAuthenticationToken` with `WWW-Authenticate`.
//! - With [`SimulatorOptions::entra`], RBAC: each request needs a role assignment
//!   ([`Simulator::assign_role`]) whose role allows its action
//!   (`Microsoft.Edge/targets/write`, `…/targets/reviewSolutionVersion/action`) on its scope or
//!   above; else 403 `AuthorizationFailed` naming the client, its object id, the action and the
//!   scope, in ARM's words.
//! - Errors are `{"error": {code, message, target?, details?}}`; every answer carries
//!   `x-ms-request-id` and `x-ms-correlation-request-id` (the client's when it sent one), and
//!   echoes `x-ms-client-request-id`.
//! - Lists are `{value, nextLink?}` pages of [`SimulatorOptions::page_size`] items; `nextLink`
//!   is absolute with `$skiptoken`.
//! - Resource names are checked (400 `InvalidResourceName`).
//! - The scope of an extension resource (`{resourceUri}/providers/Microsoft.Edge/jobs`,
//!   `…/configurationReferences`) may come percent-encoded as one path segment
//!   (`/subscriptions%2F…%2Ftargets%2Ft1/providers/…`), the form Prism matches.
//!
//! # Resources and operations
//!
//! `RG` is `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Edge`; `{scope}` any ARM
//! id (a target, a site, …). Every collection below can be listed (GET on it, paged).
//!
//! | path | operations |
//! |---|---|
//! | `RG/contexts/{c}`, `RG/targets/{t}`, `RG/schemas/{s}`, `RG/solutionTemplates/{st}` | GET, list (RG and subscription), PUT (LRO via `Azure-AsyncOperation`), DELETE (LRO via `Location`) |
//! | `RG/schemas/{s}/createVersion`, `RG/solutionTemplates/{st}/createVersion` | POST, LRO via `Location`, final body the new version |
//! | `RG/schemas/{s}/versions/{v}`, `RG/solutionTemplates/{st}/versions/{v}` | GET, list |
//! | `RG/configurations/{c}` | GET, list (RG and subscription), PUT (200/201), PATCH (200), DELETE (200/204): synchronous |
//! | `{scope}/providers/Microsoft.Edge/configurationReferences/default` | GET, list, PUT (200/201), PATCH (200), DELETE (200/204): synchronous |
//! | `RG/configurations/{c}/dynamicConfigurations/{d}[/versions/{v}]` | GET, list, PUT (201/200 + `Azure-AsyncOperation`), PATCH (200), DELETE (200/204) |
//! | `RG/targets/{t}/reviewSolutionVersion` | POST `{solutionTemplateVersionId, solutionInstanceName?}`, LRO via `Location`: resolves the configuration (below) and creates `RG/targets/{t}/solutions/{st}/versions/{v}.{revision}` in state `ReadyToDeploy` |
//! | `RG/targets/{t}/resolveConfiguration` | POST `{solutionTemplateVersionId}`, LRO via `Location`, final body `{configuration}`; creates nothing |
//! | `RG/targets/{t}/publishSolutionVersion` | POST `{solutionVersionId}`: stage `Publish` completed, state `ReadyToDeploy` |
//! | `RG/targets/{t}/installSolution` | POST `{solutionVersionId}`: a job, state `Deploying`, then `Deployed` with the instance on the version, or `Failed` (below) |
//! | `RG/targets/{t}/uninstallSolution` | POST `{solutionTemplateId, solutionInstanceName?}`: deletes the instance; its solution version becomes `Undeployed` |
//! | `RG/targets/{t}/removeRevision` | POST `{solutionTemplateId, solutionVersion}`: deletes a solution version that is not deployed (409 for a deployed one) |
//! | `RG/targets/{t}/solutions/{s}[/versions/{v}]` | GET, list |
//! | `RG/targets/{t}/solutions/{s}/instances/{i}[/histories/{h}]` | GET, list |
//! | `{targetId}/providers/Microsoft.Edge/jobs/{job}` | GET, list |
//!
//! Creating a target also creates, if missing, the configuration
//! `RG/configurations/{first 18 characters of the target name}Config` (in the target's location)
//! and `{targetId}/providers/Microsoft.Edge/configurationReferences/default` pointing at it, as
//! the service does.
//!
//! The solution of a template is named after the template (its `uniqueIdentifier` is its name).
//! An operation's final `Location` answer follows ARM's async contract (the answer the operation
//! would have given synchronously) and the spec's `200` schema for `final-state-via: location`:
//!
//! | operation | success | failure |
//! |---|---|---|
//! | reviewSolutionVersion, publishSolutionVersion | 200 `SolutionVersion` | 400 (values refused, component types not bound), 404, 500 |
//! | resolveConfiguration | 200 `ResolvedConfiguration` `{configuration}` | 400, 404, 500 |
//! | createVersion (schema, solution template) | 200 the new version | 500 |
//! | installSolution | 204 | 409 `DeploymentFailed` (the target failed it, its chart could not be pulled or rendered, a component type is not bound), 500 |
//! | uninstallSolution, removeRevision, DELETE | 204 | 500 |
//!
//! Failures carry ARM's `ErrorResponse` `{"error": {code, message, details?}}` (500 is the
//! injected `InternalServerError` of [`Simulator::fail_next_operations`]). The
//! `Azure-AsyncOperation` URL (PUTs) answers 200 with the operation-status envelope
//! `{id, name, resourceId, status, startTime, endTime?, error?}`.
//!
//! Operations answer `InProgress` (or 202) for [`SimulatorOptions::lro_polls`] polls, then end;
//! their effect (provisioning `Succeeded`, the version created, the deployment done) happens
//! when they end.
//!
//! # Review: configuration resolved with wo-core's engine
//!
//! At the end of a review (or `resolveConfiguration`) the simulator reads the template version's
//! `configurations` (a WO configuration template), the schema version it names
//! (`RG/schemas/{name}/versions/{version}`, in the template's resource group unless the template
//! says otherwise) and the values: the target's configuration (through its
//! `configurationReferences/default`) → `dynamicConfigurations/{uniqueIdentifier}/versions/{template
//! version}` → `properties.values`. It resolves them with [`wo_core::engine::Resolver`] for a
//! one-target fleet whose only hierarchy level is the target's `hierarchyLevel`; the values are
//! set at that level (node: the target), so a schema's `editableAt: [<that level>]` admits them
//! and `editableAt` naming only other levels refuses them.
//!
//! A missing schema version or any violation (type, `allowedValues`, `required`, expressions,
//! keys the schema does not know) ends the operation `Failed` with the error
//! `{code: "ValidationFailed", message: <every problem>, details: [{code, message, target: key}]}`
//! and nothing created. On success the solution version's `configuration` is the resolved
//! values as YAML (keys in template order, types kept) and `targetLevelConfiguration` the values
//! text.
//!
//! # Installations
//!
//! Each accepted `installSolution` creates the job `{targetId}/providers/Microsoft.Edge/jobs/{id}`
//! (`jobType: deploy`, `InProgress`, then `Succeeded` or `Failed` with `errorDetails`). On
//! success the instance `…/solutions/{s}/instances/{solutionInstanceName}` points at the new
//! solution version (a version it pointed at before becomes `Undeployed`) and gains one
//! history entry. On a target named in [`Simulator::fail_installs_on`] the installation fails:
//! the solution version is `Failed` with `errorDetails`, the operation `Failed` (code
//! `DeploymentFailed`), the instance keeps the version it had. [`Simulator::installs`] lists
//! what each target was asked to install.
//!
//! # Component types and charts
//!
//! A target runs the component types its `targetSpecification` binds
//! (`topologies[].bindings[].role`; [`target_specification`] writes one, [`Simulator::onboard`]
//! binds `helm.v3` as WO's samples do, [`Simulator::onboard_with_roles`] more). A review of a
//! template version with a component of another type ends `Failed` with `ValidationFailed`
//! (400) naming the component, its type and the roles bound, and creates nothing; an
//! installation of such a solution version (the target changed since) fails the same way
//! (`DeploymentFailed`, 409, the version `Failed`).
//!
//! For each `helm.v3` component (`properties.chart: {repo: "oci://host[:port]/path/name",
//! version, …}`) the installation pulls the chart's `.tgz` from
//! [`SimulatorOptions::charts`] (default [`OciHttpSource`]: anonymous, plain http, loopback
//! registries; [`Registry::chart_source`] reads a [`Registry`] stand-in's store,
//! [`ChartRegistrySource`] wo's own `ChartRegistry` port) and renders it
//! with [`SimulatorOptions::renderer`] (default wo's own: wo-render's `ChartRenderer` in
//! canonical form) for the request wo-core's composition builds: release name the solution,
//! namespace the component's `properties.namespace` or else the solution (wo's default, the
//! application's name), the target by name, the values the solution version's resolved
//! `configuration`. A chart or version the registry lacks, a digest mismatch, a component
//! without `chart.repo`/`chart.version`, or a chart that does not render fails the installation
//! (`DeploymentFailed`, the version `Failed` with `errorDetails` naming the reference
//! `oci://…:version`); what ran before keeps running. The pull happens when the operation's
//! last poll arrives, so the number of polls does not change.
//!
//! [`Simulator::applied`] tells what runs on a target for a solution ([`Applied`]: the solution
//! version, the chart reference and the digest pulled, the values, the rendered manifests);
//! [`Simulator::drift`] changes one key of the running version's resolved configuration
//! behind the client's back (as an edit in the portal would) and renders again.
//!
//! # Simulator-only endpoints
//!
//! Not ARM (no api-version, no token, not counted by [`Simulator::requests`], never faulted):
//!
//! | request | answer |
//! |---|---|
//! | `GET /_simulator/applied?target=T[&solution=S]` | 200 `{target, solution, version, chart: {repo, version, digest}, values, manifests}`; 404 `NotApplied` when nothing is applied (or several solutions and none named) |
//! | `POST /_simulator/drift` `{target, solution?, key: "a.b", value}` | 200 the new `applied` answer; 409 `DriftRefused` (nothing applied, `key` crosses a non-map, the chart does not render) |
//! | `POST /_simulator/health` `{target, solution?, component?, healthy: bool, reason?}` | 200 `{target, solution, healthy, instances: [{id, status}]}` (the instances' `status` now, see *Health*); 400 `InvalidRequestContent` (no `target` or `healthy`, a field not a string, `component`/`reason` with `healthy: true`) |
//!
//! # Health
//!
//! [`Simulator::make_unhealthy`] (every solution and component of a target),
//! [`Simulator::make_solution_unhealthy`] (one solution, optionally one component) and
//! `POST /_simulator/health` make a workload deployed yet failing, as a cluster whose pods
//! crash after a good install; [`Simulator::make_healthy`] (or `healthy: true`) undoes it.
//! Installations on such a target still succeed (job `Succeeded`, solution version
//! `Deployed`, a history entry); what changes is the instance's `status` (`DeploymentStatus`),
//! at once for instances already there and at every later installation:
//!
//! | field | healthy | unhealthy |
//! |---|---|---|
//! | `status` | `Deployed` | `Degraded` |
//! | `statusDetails` | `{version} deployed to {target}` | `failing: component '{c}', …: {reason}; {version} deployed to {target}` |
//! | `targetStatuses[0].status` | `Deployed` | `Degraded` |
//! | `targetStatuses[0].componentStatuses[].status` | `Deployed` | `Failed` for each failing component, `Deployed` for the others |
//! | `deployed`, `generation`, `runningJobId` | unchanged: no deployment happened | unchanged |
//!
//! `lastModified` and `eTag` change with each flip. The specification types these statuses as
//! free strings; `Degraded` and `Failed` are **inferred** (WO's documentation names component
//! statuses under `targetStatuses[].componentStatuses[]` but lists no values), and so is that
//! a failing workload leaves the solution version `Deployed`. The answers stay within the
//! specification: `wo-azure/tests/simulator_prism.rs` reads an unhealthy instance through
//! Prism.
//!
//! # Registry stand-in
//!
//! [`Registry`] is an Azure Container Registry stand-in on its own port: the OCI distribution
//! API subset Helm and OCI clients use (checked against Debian's `docker-registry` in
//! `tests/registry.rs`), ACR's token exchange as an option ([`RegistryAuth::Token`]), counters
//! of pushes and pulls.
//!
//! # Identity stand-ins: GitHub Actions OIDC and Entra ID
//!
//! [`ActionsOidc`] is GitHub Actions' OIDC token service (the `ACTIONS_ID_TOKEN_REQUEST_URL`
//! and `_TOKEN` of a job, [`ActionsOidc::start_job`]); [`Entra`] is Entra ID's token endpoint
//! for the client-credentials grant with a federated assertion (app registrations and
//! [`FederatedCredential`]s set up by the test). A simulator given [`Entra::authority`] accepts
//! only that Entra's access tokens while they are valid. All three read the time from the
//! [`wo_http::Clock`] in their options: share one [`wo_http::ManualClock`] (and give it to
//! `ClientCredentials::with_clock`) to let an hour pass without waiting.
//!
//! ```no_run
//! use std::sync::Arc;
//! use wo_azure_sim::*;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let clock = Arc::new(wo_http::ManualClock::new());
//! let github = ActionsOidc::start(ActionsOidcOptions { clock: clock.clone() }).await?;
//! let entra = Entra::start(EntraOptions { clock: clock.clone(), ..EntraOptions::default() }).await?;
//! entra.trust(github.issuer(), github.signing_key());
//! let app = entra.register_app("tenant-1", "wo-deploy");
//! entra.add_federated_credential(&app, FederatedCredential::github(
//!     "shop-dev", "repo:acme/shop-source:environment:dev"));
//! let sim = Simulator::start(SimulatorOptions { entra: Some(entra.authority()), ..SimulatorOptions::default() }).await?;
//! sim.assign_role(&app.object_id, RoleDefinition::contributor(), "/subscriptions/s/resourceGroups/shop");
//! let job = github.start_job(ActionsJob::environment("acme/shop-source", "dev"));
//! // job.url, job.token: ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN; entra.authority_host(): AZURE_AUTHORITY_HOST.
//! # let _ = job; Ok(()) }
//! ```
//!
//! # Faults and measurements
//!
//! [`Simulator::inject`] makes the next N requests fail with 429 (`Retry-After`) or 503.
//! [`Simulator::fail_next_operations`] makes the next N long-running operations end `Failed`
//! (code `InternalServerError`) without their effect.
//! [`Simulator::requests`] and [`Simulator::peak_in_flight`] count what arrived,
//! [`Simulator::traffic`] measures it per client (its `x-ms-correlation-request-id`): requests,
//! the closest two reads of one URL (how fast it polls), the busiest second; a
//! [`SimulatorOptions::latency`] makes each request take that long. [`Simulator::on_request`]
//! runs a callback when the Nth request arrives, before it is answered (to stop a client at an
//! exact point of its conversation).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The modules' uses form a DAG, bottom up: `charts` (where charts come from) and `registry`
// (the ACR stand-in, a `charts` source) stand apart; so do the identity stand-ins
// `actions_oidc` and `entra` (on `jwt` and `loopback`), and `rbac` (what a request needs); `options`, `ids`, `names`, `http`, `hooks`
// and `lro` (an operation's record) use none of the others; `state` holds them; `operations`
// starts and polls operations without knowing what they do; `resolution` reads the state;
// `applied` pulls and renders an installation's charts and keeps what runs; the resource kinds
// `configuration`, `authoring` (which creates a target's configuration) and `deployment` start
// operations; `effects` applies an ended operation by its kind; `control` serves the
// `/_simulator/` endpoints; `routes` hands requests to the kinds and `effects::apply` to
// `operations::poll`; `simulator` (the handle) serves `routes`.
mod actions_oidc;
mod applied;
mod authoring;
mod charts;
mod configuration;
mod control;
mod deployment;
mod effects;
mod entra;
mod health;
mod hooks;
mod http;
mod ids;
mod jwt;
mod loopback;
mod lro;
mod names;
mod operations;
mod options;
mod rbac;
mod registry;
mod resolution;
mod routes;
mod simulator;
mod state;
mod traffic;

pub use actions_oidc::{
    ActionsJob, ActionsOidc, ActionsOidcOptions, JobTokenRequest, GITHUB_ACTIONS_ISSUER,
    ID_TOKEN_LIFETIME,
};
pub use applied::{Applied, AppliedChart, HELM_V3};
pub use charts::{
    reference, sha256_digest, unpack_chart, ChartError, ChartRegistrySource, ChartSource,
    OciHttpSource, OciRepository, PulledChart, HELM_CHART_CONFIG, HELM_CHART_LAYER,
    MAX_CHART_BYTES, OCI_MANIFEST,
};
pub use entra::{
    AppRegistration, Entra, EntraAuthority, EntraOptions, FederatedCredential, ARM_AUDIENCE,
    JWT_BEARER, TOKEN_EXCHANGE_AUDIENCE,
};
pub use jwt::SigningKey;
pub use options::{Fault, SimulatorOptions, API_VERSIONS};
pub use rbac::RoleDefinition;
pub use registry::{Registry, RegistryAuth, RegistryOptions, ACR_REFRESH_USER};
pub use simulator::{target_specification, Simulator};
pub use traffic::{Repeat, Rereads, Traffic, MAX_WRITES_LOGGED};
