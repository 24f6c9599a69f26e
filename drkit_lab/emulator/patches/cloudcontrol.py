"""Cloud Control API for AWS::ARCRegionSwitch::Plan: what hashicorp/aws 5.100's ``aws_cloudcontrolapi_resource`` calls.

moto has no ``cloudcontrolapi``. The emulator serves CreateResource, GetResource, UpdateResource,
DeleteResource, ListResources and GetResourceRequestStatus with botocore's ``cloudcontrol`` 2021-09-30 shapes
and the Cloud Control API reference:

* every mutation answers a ProgressEvent with a RequestToken; GetResourceRequestStatus then reports SUCCESS,
  or FAILED with a HandlerErrorCode and StatusMessage, which is how the provider learns the outcome
  (``internal/service/cloudcontrol/resource.go``: it waits on the token, and treats a FAILED delete with
  ``NotFound`` as done);
* the desired state is validated against the type's CloudFormation schema (the copy drkit ships): unknown
  keys, missing required keys, enums and patterns fail with ``InvalidRequest``, read-only properties
  (``Arn``, ``Owner``, ``Version``...) may not be set;
* UpdateResource applies the request's RFC 6902 JSON Patch to the current model (the provider computes it
  between the old and new desired state); a patch of a create-only property (``Name``, ``Regions``,
  ``PrimaryRegion``, ``RecoveryApproach``) fails with ``NotUpdatable`` (the provider replaces the resource);
* the identifier is the primary identifier, the plan's ARN; GetResource returns the model with the
  read-only ``Arn``, ``Owner`` and ``Version``.

Any other type name is refused with UnsupportedActionException: the emulator would otherwise claim a
resource it does not have. The plan itself lives in the Region switch emulation (``arc_region_switch``).
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from typing import Any

from drkit_lab.emulator.patches.arc_region_switch import STORE
from drkit_lab.emulator.patches.registry import patch
from drkit_lab.emulator.services import JsonRequest, ServiceError

PLAN_TYPE = "AWS::ARCRegionSwitch::Plan"
_REQUESTS: dict[str, dict[str, Any]] = {}  # RequestToken -> the final ProgressEvent
_CLIENT_TOKENS: dict[str, dict[str, Any]] = {}  # ClientToken -> the answer given to it


def _read_only() -> set[str]:
    from constructs_lib.region_switch_spec import schema

    return {pointer.rsplit("/", 1)[-1] for pointer in schema()["readOnlyProperties"]}


def _create_only() -> set[str]:
    from constructs_lib.region_switch_spec import schema

    return {pointer.rsplit("/", 1)[-1] for pointer in schema()["createOnlyProperties"]}


def _type(request: JsonRequest) -> None:
    name = str(request.body.get("TypeName", ""))
    if name != PLAN_TYPE:
        raise ServiceError("UnsupportedActionException", f"the drkit emulator serves Cloud Control for {PLAN_TYPE} only, not {name!r}")


def _authorize(request: JsonRequest) -> None:
    from drkit_lab.emulator.patches.iam import authorize_emulated

    denied = authorize_emulated(request.headers, request.account, None, [])  # no resource model: issued credentials are refused
    if denied is not None:
        raise ServiceError("AccessDeniedException", denied, 403)


def _invalid(model: dict[str, Any]) -> str | None:
    from drkit_lab.emulator.arc_model import schema_problems

    problems = schema_problems(model)
    return f"Model validation failed ({'; '.join(problems)})" if problems else None


def _event(
    operation: str, status: str, identifier: str | None, error: tuple[str, str] | None = None, model: dict[str, Any] | None = None
) -> dict[str, Any]:
    token = secrets.token_hex(16)
    event: dict[str, Any] = {
        "TypeName": PLAN_TYPE,
        "RequestToken": token,
        "Operation": operation,
        "OperationStatus": status,
        "EventTime": time.time(),
    }
    if identifier:
        event["Identifier"] = identifier
    if error is not None:
        event["ErrorCode"], event["StatusMessage"] = error
    if model is not None:
        event["ResourceModel"] = json.dumps(model)
    _REQUESTS[token] = event
    return {**event, "OperationStatus": "IN_PROGRESS"} if status == "SUCCESS" else event  # the outcome comes from GetResourceRequestStatus


def create_resource(request: JsonRequest) -> dict[str, Any]:
    _type(request)
    _authorize(request)
    try:
        model = json.loads(str(request.body.get("DesiredState", "")))
    except ValueError:
        return {"ProgressEvent": _event("CREATE", "FAILED", None, ("InvalidRequest", "DesiredState is not JSON"))}
    read_only = sorted(set(model) & _read_only())
    problem = f"read-only properties cannot be set: {', '.join(read_only)}" if read_only else _invalid(model)
    if problem:
        return {"ProgressEvent": _event("CREATE", "FAILED", None, ("InvalidRequest", problem))}
    plan = STORE.create(request.account, model)
    return {"ProgressEvent": _event("CREATE", "SUCCESS", plan.arn, model=plan.properties())}


def update_resource(request: JsonRequest) -> dict[str, Any]:
    import jsonpatch

    _type(request)
    _authorize(request)
    identifier = str(request.body.get("Identifier", ""))
    if identifier not in STORE.plans:
        raise ServiceError("ResourceNotFoundException", "A resource with the specified identifier can't be found.")
    plan = STORE.plans[identifier]
    try:
        operations = json.loads(str(request.body.get("PatchDocument", "")))
    except ValueError:
        return {"ProgressEvent": _event("UPDATE", "FAILED", identifier, ("InvalidRequest", "PatchDocument is not JSON"))}
    touched = {str(op.get("path", "")).split("/")[1] for op in operations if str(op.get("path", "")).count("/") >= 1}
    if touched & _create_only():
        fixed = ", ".join(sorted(touched & _create_only()))
        return {"ProgressEvent": _event("UPDATE", "FAILED", identifier, ("NotUpdatable", f"create-only properties cannot be updated: {fixed}"))}
    if touched & _read_only():
        return {
            "ProgressEvent": _event(
                "UPDATE", "FAILED", identifier, ("InvalidRequest", f"read-only properties: {', '.join(sorted(touched & _read_only()))}")
            )
        }
    try:
        model = jsonpatch.apply_patch(copy.deepcopy(plan.model), operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
        return {"ProgressEvent": _event("UPDATE", "FAILED", identifier, ("InvalidRequest", f"the patch does not apply: {error}"))}
    problem = _invalid(model)
    if problem:
        return {"ProgressEvent": _event("UPDATE", "FAILED", identifier, ("InvalidRequest", problem))}
    plan.model, plan.version, plan.updated_at = model, plan.version + 1, time.time()
    return {"ProgressEvent": _event("UPDATE", "SUCCESS", identifier, model=plan.properties())}


def delete_resource(request: JsonRequest) -> dict[str, Any]:
    _type(request)
    _authorize(request)
    identifier = str(request.body.get("Identifier", ""))
    if identifier not in STORE.plans:
        return {"ProgressEvent": _event("DELETE", "FAILED", identifier, ("NotFound", "A resource with the specified identifier can't be found."))}
    try:
        STORE.delete(identifier)
    except ServiceError as error:
        return {"ProgressEvent": _event("DELETE", "FAILED", identifier, ("ResourceConflict", error.message))}
    return {"ProgressEvent": _event("DELETE", "SUCCESS", identifier)}


def get_resource(request: JsonRequest) -> dict[str, Any]:
    _type(request)
    _authorize(request)
    identifier = str(request.body.get("Identifier", ""))
    plan = STORE.plans.get(identifier)
    if plan is None:
        raise ServiceError("ResourceNotFoundException", "A resource with the specified identifier can't be found.")
    return {"TypeName": PLAN_TYPE, "ResourceDescription": {"Identifier": plan.arn, "Properties": json.dumps(plan.properties())}}


def list_resources(request: JsonRequest) -> dict[str, Any]:
    _type(request)
    _authorize(request)
    descriptions = [{"Identifier": p.arn, "Properties": json.dumps(p.properties())} for p in list(STORE.plans.values())]
    return {"TypeName": PLAN_TYPE, "ResourceDescriptions": descriptions}


def get_resource_request_status(request: JsonRequest) -> dict[str, Any]:
    _authorize(request)
    token = str(request.body.get("RequestToken", ""))
    event = _REQUESTS.get(token)
    if event is None:
        raise ServiceError("RequestTokenNotFoundException", f"request token {token} not found")
    return {"ProgressEvent": event}


OPERATIONS = {
    "CreateResource": create_resource,
    "UpdateResource": update_resource,
    "DeleteResource": delete_resource,
    "GetResource": get_resource,
    "ListResources": list_resources,
    "GetResourceRequestStatus": get_resource_request_status,
}


def handle(request: JsonRequest) -> dict[str, Any]:
    operation = OPERATIONS.get(request.operation)
    if operation is None:
        raise ServiceError("UnsupportedActionException", f"the drkit emulator does not serve CloudApiService.{request.operation}")
    # "A unique identifier to ensure the idempotency of the resource request ... so that Cloud Control API can
    # accurately distinguish between request retries and new resource requests" (API reference, ClientToken).
    token = request.body.get("ClientToken")
    key = f"{request.operation}:{token}"
    if token and key in _CLIENT_TOKENS:
        return _CLIENT_TOKENS[key]
    answer = operation(request)
    if token:
        _CLIENT_TOKENS[key] = answer
    return answer


@patch
def cloud_control_api() -> None:
    """AWS: Cloud Control API creates, reads, updates (JSON Patch), deletes and lists registry resources,
    validating each desired state against the type's schema (see the module). moto has no Cloud Control:
    requests signed for ``cloudcontrolapi`` fell through to S3."""
    from drkit_lab.emulator.services import serve

    serve("cloudcontrolapi", handle)
