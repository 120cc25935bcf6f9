"""Drives the WO simulator with Microsoft's generated Python SDK (azure-mgmt-workloadorchestration)
and its LRO pollers: the release path on one target, then a review the simulator refuses and an
install the target fails, both of which must raise from the poller.

Usage: scenario.py BASE_URL SUBSCRIPTION RESOURCE_GROUP OK_TARGET REFUSED_TARGET FAILING_TARGET
Prints one line per step (`step <name>: <outcome>`); exits 0 only when every step went as the
ARM async contract says it should.
"""

import json
import sys
import time
from urllib.parse import urlparse

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
from azure.mgmt.workloadorchestration import WorkloadOrchestrationMgmtClient

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CONFIG_API = "2025-08-01"


class StaticCredential:
    """A TokenCredential with one fixed token: the simulator accepts any non-empty one."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("sdk-scenario-token", int(time.time()) + 3600)


class LoopbackBearerPolicy(ARMChallengeAuthenticationPolicy):
    """ARM's bearer policy, allowing plain http to loopback only: azure-core refuses to send a
    bearer token over http unless the request's context says `enforce_https` is False."""

    def on_request(self, request):
        if urlparse(request.http_request.url).hostname in LOOPBACK:
            request.context["enforce_https"] = False
        super().on_request(request)


def step(name, outcome):
    print(f"step {name}: {outcome}", flush=True)


def fail(message):
    print(f"FAILED: {message}", flush=True)
    sys.exit(1)


def send(client, method, url, body=None):
    """A raw ARM call through the SDK's pipeline (the configuration-values API is not in the SDK)."""
    request = HttpRequest(method, url, params={"api-version": CONFIG_API}, json=body)
    response = client.send_request(request)
    response.raise_for_status()
    return response.json() if response.content else None


def set_values(client, target_id, template_id, version, values_yaml):
    """The CLI's `configuration set`: the target's configuration, the template's dynamic
    configuration, its version holding the values."""
    reference = send(client, "GET", f"{target_id}/providers/Microsoft.Edge/configurationReferences/default")
    config_id = reference["properties"]["configurationResourceId"]
    template = send(client, "GET", template_id)
    unique = template["properties"].get("uniqueIdentifier") or template["name"]
    dynamic = f"{config_id}/dynamicConfigurations/{unique}"
    send(client, "PUT", dynamic, {"properties": {"currentVersion": version}})
    send(client, "PUT", f"{dynamic}/versions/{version}", {"properties": {"values": values_yaml}})


def expect_failure(name, poller_fn, status, code):
    """Runs an LRO to its end; it must raise HttpResponseError with `status` and `code`."""
    try:
        result = poller_fn().result()
    except HttpResponseError as e:
        got_code = e.error.code if e.error is not None else None
        if e.status_code != status or got_code != code:
            fail(f"{name} raised {e.status_code} {got_code}, expected {status} {code}: {e.message}")
        step(name, f"raised HttpResponseError {e.status_code} {got_code}")
        return
    fail(f"{name} did not raise; the poller returned {result!r}")


def main():
    base, sub, rg, ok_target, refused_target, failing_target, chart_repo = sys.argv[1:8]
    client = WorkloadOrchestrationMgmtClient(
        credential=StaticCredential(),
        subscription_id=sub,
        base_url=base,
        authentication_policy=LoopbackBearerPolicy(
            StaticCredential(), "https://management.azure.com/.default"
        ),
        # The simulator's Retry-After is 0: poll at once.
        polling_interval=0.01,
    )
    edge = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Edge"

    client.schemas.begin_create_or_update(rg, "sdkschema", {"location": "eastus", "properties": {}}).result()
    schema_yaml = (
        "rules:\n  configs:\n"
        "    Greeting:\n      type: string\n      required: true\n"
        "    Replicas:\n      type: int\n      required: true\n"
    )
    sv = client.schemas.begin_create_version(
        rg, "sdkschema", {"version": "1.0.0", "schemaVersion": {"properties": {"value": schema_yaml}}}
    ).result()
    if sv["name"] != "1.0.0":
        fail(f"schema createVersion returned {sv!r}")
    step("schema+version", f"created {sv['id']}")

    client.solution_templates.begin_create_or_update(
        rg,
        "sdkapp",
        {"location": "eastus", "properties": {"description": "sdk scenario", "capabilities": ["soap"]}},
    ).result()
    config_template = (
        "schema:\n  name: sdkschema\n  version: 1.0.0\n"
        "configs:\n  Greeting: ${{$val(Greeting)}}\n  Replicas: ${{$val(Replicas)}}\n"
    )
    spec = {"components": [{"name": "web", "type": "helm.v3",
                            "properties": {"chart": {"repo": chart_repo, "version": "1.0.0"}}}]}
    stv = client.solution_templates.begin_create_version(
        rg,
        "sdkapp",
        {"version": "1.0.0",
         "solutionTemplateVersion": {"properties": {"configurations": config_template, "specification": spec}}},
    ).result()
    stv_id = stv["id"]
    if not stv_id.lower().endswith("/solutiontemplates/sdkapp/versions/1.0.0"):
        fail(f"solution template createVersion returned {stv!r}")
    step("solution-template+version", f"created {stv_id}")

    template_id = f"{edge}/solutionTemplates/sdkapp"
    good_values = "Greeting: hello\nReplicas: 2\n"
    for target in (ok_target, failing_target):
        set_values(client, f"{edge}/targets/{target}", template_id, "1.0.0", good_values)
    # Replicas missing: the schema requires it, so the review must fail.
    set_values(client, f"{edge}/targets/{refused_target}", template_id, "1.0.0", "Greeting: hello\n")
    step("configuration-values", f"set on {ok_target}, {failing_target}; incomplete on {refused_target}")

    resolved = client.targets.begin_resolve_configuration(
        rg, ok_target, {"solutionTemplateVersionId": stv_id}
    ).result()
    if "Replicas: 2" not in resolved["configuration"]:
        fail(f"resolveConfiguration returned {resolved!r}")
    step("resolve", "ResolvedConfiguration with the values")

    reviewed = client.targets.begin_review_solution_version(
        rg, ok_target, {"solutionTemplateVersionId": stv_id}
    ).result()
    sv_id = reviewed.get("id") or ""
    if "/solutions/" not in sv_id or reviewed["properties"].get("state") != "ReadyToDeploy":
        fail(f"review returned no SolutionVersion: {json.dumps(reviewed.as_dict())[:400]}")
    step("review", f"SolutionVersion {reviewed['name']} {reviewed['properties']['state']}")

    published = client.targets.begin_publish_solution_version(
        rg, ok_target, {"solutionVersionId": sv_id}
    ).result()
    if published.get("id") != sv_id:
        fail(f"publish returned no SolutionVersion: {json.dumps(published.as_dict())[:400]}")
    step("publish", f"SolutionVersion {published['name']} {published['properties']['state']}")

    installed = client.targets.begin_install_solution(rg, ok_target, {"solutionVersionId": sv_id}).result()
    if installed is not None:
        fail(f"install returned {installed!r}, the spec declares no result")
    step("install", "done")

    solution = sv_id.split("/")[-3]
    version = client.solution_versions.get(rg, ok_target, solution, sv_id.split("/")[-1])
    if version["properties"]["state"] != "Deployed":
        fail(f"the solution version is {version['properties']['state']} after install")
    instances = list(client.instances.list_by_solution(rg, ok_target, solution))
    if [i["properties"]["solutionVersionId"] for i in instances] != [sv_id]:
        fail(f"instances after install: {[i.as_dict() for i in instances]!r}")
    step("read-back", f"version Deployed, instance {instances[0]['name']} runs it")

    expect_failure(
        "review-refused",
        lambda: client.targets.begin_review_solution_version(
            rg, refused_target, {"solutionTemplateVersionId": stv_id}
        ),
        400,
        "ValidationFailed",
    )

    failing_sv = client.targets.begin_review_solution_version(
        rg, failing_target, {"solutionTemplateVersionId": stv_id}
    ).result()
    client.targets.begin_publish_solution_version(
        rg, failing_target, {"solutionVersionId": failing_sv["id"]}
    ).result()
    expect_failure(
        "install-failing",
        lambda: client.targets.begin_install_solution(
            rg, failing_target, {"solutionVersionId": failing_sv["id"]}
        ),
        409,
        "DeploymentFailed",
    )
    print("scenario passed", flush=True)


if __name__ == "__main__":
    main()
