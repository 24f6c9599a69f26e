"""ARC Region switch: plans (created through Cloud Control) and the execution API a team uses in an incident.

moto has no ``arc-region-switch``. The emulator serves the subset drkit uses, with the request and response
shapes of botocore's model (``arc-region-switch`` 2022-07-26) and the ARC API reference:

* control plane (plans are global; botocore's endpoint rules send these to us-east-1 whatever the client's
  region, so they fail while us-east-1 is down): GetPlan, ListPlans;
* regional data plane (executions run "from the Region being activated", ARC launch post; GetPlanExecution
  and the others read the region they are called in): GetPlanInRegion, ListPlansInRegion,
  StartPlanExecution, GetPlanExecution, ListPlanExecutions, ListPlanExecutionEvents,
  ApprovePlanExecutionStep, CancelPlanExecution, UpdatePlanExecution (pause, resume, switchToUngraceful,
  switchToGraceful) and UpdatePlanExecutionStep (skip).

IAM is enforced for credentials the emulator issued, on the plan's ARN (Service Authorization Reference,
ARC Region switch; ListPlans and ListPlansInRegion have no resource type). Only the approval role's
sessions may approve a step ("Anyone who has access to the role defined in the execution block can approve
or decline", manual-approval-block). An execution runs its blocks as ARC does (``arc_execution``).

Not emulated: CreatePlan/UpdatePlan/DeletePlan through this API (Cloud Control manages drkit's plans),
plan evaluation, triggers (automatic execution), reports, UpdatePlanExecutionStep ``switchToUngraceful``, timeouts.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from drkit_lab.emulator.patches.registry import patch
from drkit_lab.emulator.services import JsonRequest, ServiceError

CONTROL_PLANE_REGION = "us-east-1"
CONTROL_PLANE_OPERATIONS = frozenset({"GetPlan", "ListPlans"})


@dataclass
class StoredPlan:
    arn: str
    owner: str
    model: dict[str, Any]  # the desired state (CloudFormation names), without the read-only properties
    version: int = 1
    updated_at: float = field(default_factory=time.time)

    @property
    def name(self) -> str:
        return str(self.model["Name"])

    def properties(self) -> dict[str, Any]:
        """The resource model Cloud Control returns: the desired state and the read-only properties."""
        return {**self.model, "Arn": self.arn, "Owner": self.owner, "Version": str(self.version)}

    def api(self) -> dict[str, Any]:
        """The plan in the Region switch API's shape (Plan)."""
        from drkit_lab.emulator.arc_model import shape, to_api

        untagged = {k: v for k, v in self.model.items() if k != "Tags"}  # tags: ListTagsForResource
        document: dict[str, Any] = to_api(untagged, shape("Plan"))
        return {**document, "arn": self.arn, "owner": self.owner, "version": str(self.version), "updatedAt": self.updated_at}

    def summary(self, active: str | None) -> dict[str, Any]:
        """AbbreviatedPlan."""
        summary = {
            "arn": self.arn,
            "owner": self.owner,
            "name": self.name,
            "regions": list(self.model["Regions"]),
            "recoveryApproach": self.model["RecoveryApproach"],
            "version": str(self.version),
            "updatedAt": self.updated_at,
            "executionRole": self.model["ExecutionRole"],
        }
        for key, api in (
            ("PrimaryRegion", "primaryRegion"),
            ("Description", "description"),
            ("RecoveryTimeObjectiveMinutes", "recoveryTimeObjectiveMinutes"),
        ):
            if key in self.model:
                summary[api] = self.model[key]
        if active:
            summary["activePlanExecution"] = active
        return summary


@dataclass
class Store:
    plans: dict[str, StoredPlan] = field(default_factory=dict)  # by ARN; one account
    executions: dict[str, dict[str, Any]] = field(default_factory=dict)  # region -> execution id -> Execution
    client_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, account: str, model: dict[str, Any]) -> StoredPlan:
        suffix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(6))
        plan = StoredPlan(arn=f"arn:aws:arc-region-switch::{account}:plan/{model['Name']}:{suffix}", owner=account, model=model)
        with self.lock:
            self.plans[plan.arn] = plan
        return plan

    def plan(self, arn: str) -> StoredPlan:
        found = self.plans.get(arn)
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"plan {arn} not found", 404)
        return found

    def active_execution(self, arn: str) -> Any | None:
        from drkit_lab.emulator.arc_execution import FINISHED

        for by_id in self.executions.values():
            for execution in by_id.values():
                if execution.plan_arn == arn and execution.state not in FINISHED:
                    return execution
        return None

    def delete(self, arn: str) -> None:
        self.plan(arn)
        if self.active_execution(arn) is not None:
            # DeletePlan: "You cannot delete a plan that has an active execution in progress."
            raise ServiceError("IllegalStateException", f"plan {arn} has an active execution in progress")
        with self.lock:
            self.plans.pop(arn, None)


STORE = Store()


def _runner() -> Any:
    from drkit_lab.emulator.arc_execution import Aws, Runner
    from drkit_lab.emulator.patches.iam import trusts_service

    # The emulator calls itself as AWS's services call each other (MOTO_PORT: the server's own port).
    return Runner(Aws(f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}"), trusts_service)


def _authorize(request: JsonRequest, action: str, resources: list[str]) -> None:
    from drkit_lab.emulator.patches.iam import authorize_emulated

    denied = authorize_emulated(request.headers, request.account, f"arc-region-switch:{action}", resources)
    if denied is not None:
        raise ServiceError("AccessDeniedException", denied, 403)


def _page(items: list[Any], body: dict[str, Any], key: str) -> dict[str, Any]:
    start = int(body.get("nextToken") or 0)
    size = int(body.get("maxResults") or 100)
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["nextToken"] = str(start + size)
    return page


def _execution(request: JsonRequest) -> Any:
    plan = STORE.plan(str(request.body.get("planArn", "")))
    execution_id = str(request.body.get("executionId", ""))
    found = STORE.executions.get(request.region, {}).get(execution_id)
    if found is None or found.plan_arn != plan.arn:
        raise ServiceError("ResourceNotFoundException", f"execution {execution_id} of {plan.arn} not found in {request.region}", 404)
    return found


def _abbreviated(execution: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "planArn": execution.plan_arn,
        "executionId": execution.execution_id,
        "version": execution.plan_version,
        "updatedAt": execution.updated_at,
        "startTime": execution.start_time,
        "mode": execution.mode,
        "executionState": execution.state,
        "executionAction": execution.action,
        "executionRegion": execution.region,
    }
    if execution.comment:
        summary["comment"] = execution.comment
    if execution.end_time is not None:
        summary["endTime"] = execution.end_time
    if execution.recovery_time():
        summary["actualRecoveryTime"] = execution.recovery_time()
    return summary


def start_plan_execution(request: JsonRequest) -> dict[str, Any]:
    from drkit_lab.emulator.arc_execution import Execution, StepRun

    body = request.body
    plan = STORE.plan(str(body.get("planArn", "")))
    _authorize(request, "StartPlanExecution", [plan.arn])
    token = body.get("clientToken")
    if token and token in STORE.client_tokens:
        return STORE.client_tokens[token]
    target, action, mode = str(body.get("targetRegion", "")), str(body.get("action", "")), str(body.get("mode") or "graceful")
    if target not in plan.model["Regions"]:
        raise ServiceError(
            "IllegalArgumentException", f"targetRegion {target} is not a region of plan {plan.name} ({', '.join(plan.model['Regions'])})"
        )
    if mode not in ("graceful", "ungraceful"):
        raise ServiceError("IllegalArgumentException", f"mode {mode} is not graceful or ungraceful")
    workflow = next(
        (w for w in plan.model["Workflows"] if w["WorkflowTargetAction"] == action and w.get("WorkflowTargetRegion", target) == target),
        None,
    )
    if workflow is None:
        raise ServiceError("IllegalArgumentException", f"plan {plan.name} has no {action} workflow for {target}")
    active = STORE.active_execution(plan.arn)
    if active is not None:
        raise ServiceError(
            "IllegalStateException", f"plan {plan.name} has an active execution {active.execution_id} ({active.state}) in {active.region}"
        )
    steps = [StepRun(s["Name"], s["ExecutionBlockType"], dict(s["ExecutionBlockConfiguration"]), mode) for s in workflow.get("Steps", [])]
    execution = Execution(
        plan_arn=plan.arn,
        plan_version=str(plan.version),
        plan_model=dict(plan.model),
        execution_id=f"{request.region}/{secrets.token_hex(8)}",
        region=request.region,
        action=action,
        mode=mode,
        target_region=target,
        comment=str(body.get("comment") or ""),
        steps=steps,
    )
    with STORE.lock:
        STORE.executions.setdefault(request.region, {})[execution.execution_id] = execution
    execution.event("executionStarted", description=f"{action} {target} ({mode}), from {request.region}")
    answer = {
        "executionId": execution.execution_id,
        "plan": plan.arn,
        "planVersion": execution.plan_version,
        "activateRegion": execution.activate_region,
        "deactivateRegion": execution.deactivate_region,
    }
    if token:
        STORE.client_tokens[token] = answer
    _runner().run(execution)
    return answer


def get_plan_execution(request: JsonRequest) -> dict[str, Any]:
    execution = _execution(request)
    _authorize(request, "GetPlanExecution", [execution.plan_arn])
    document = {
        **_abbreviated(execution),
        "plan": STORE.plan(execution.plan_arn).api() if execution.plan_arn in STORE.plans else None,
        **_page([s.state() for s in execution.steps], request.body, "stepStates"),
    }
    return {k: v for k, v in document.items() if v is not None}


def list_plan_execution_events(request: JsonRequest) -> dict[str, Any]:
    execution = _execution(request)
    _authorize(request, "ListPlanExecutionEvents", [execution.plan_arn])
    wanted = request.body.get("name")
    events = [e for e in execution.events if not wanted or e.get("stepName") == wanted]
    return _page(events, request.body, "items")


def list_plan_executions(request: JsonRequest) -> dict[str, Any]:
    plan = STORE.plan(str(request.body.get("planArn", "")))
    _authorize(request, "ListPlanExecutions", [plan.arn])
    wanted = request.body.get("state")
    executions = sorted(STORE.executions.get(request.region, {}).values(), key=lambda e: -e.start_time)
    return _page([_abbreviated(e) for e in executions if e.plan_arn == plan.arn and (not wanted or e.state == wanted)], request.body, "items")


def approve_plan_execution_step(request: JsonRequest) -> dict[str, Any]:
    from drkit_lab.emulator.patches.iam import issued_caller

    execution = _execution(request)
    _authorize(request, "ApprovePlanExecutionStep", [execution.plan_arn])
    step_name = str(request.body.get("stepName", ""))
    step = next((s for s in execution.steps if s.name == step_name), None)
    if step is None or step.block_type != "ManualApproval":
        raise ServiceError("ResourceNotFoundException", f"execution {execution.execution_id} has no approval step {step_name}", 404)
    role = str(step.configuration["ExecutionApprovalConfig"]["ApprovalRole"])
    caller = issued_caller(request.headers, request.account)
    if caller is not None and f":assumed-role/{role.rsplit('/', 1)[-1]}/" not in caller.arn:
        raise ServiceError("AccessDeniedException", f"{caller.arn} is not a session of the approval role {role}", 403)
    try:
        _runner().approve(execution, step_name, request.body.get("approval") == "approve", str(request.body.get("comment") or ""))
    except LookupError as error:
        raise ServiceError("ResourceNotFoundException", str(error), 404) from None
    return {}


def cancel_plan_execution(request: JsonRequest) -> dict[str, Any]:
    execution = _execution(request)
    _authorize(request, "CancelPlanExecution", [execution.plan_arn])
    _runner().cancel(execution, str(request.body.get("comment") or "canceled by the operator"))
    return {}


def update_plan_execution(request: JsonRequest) -> dict[str, Any]:
    from drkit_lab.emulator.arc_execution import IllegalState

    execution = _execution(request)
    _authorize(request, "UpdatePlanExecution", [execution.plan_arn])
    action = str(request.body.get("action", ""))
    if action not in ("switchToGraceful", "switchToUngraceful", "pause", "resume"):  # UpdatePlanExecutionAction
        raise ServiceError("ValidationException", f"action {action!r} is not switchToGraceful, switchToUngraceful, pause or resume")
    try:
        _runner().update(execution, action, str(request.body.get("comment") or ""))
    except IllegalState as error:  # UpdatePlanExecution's IllegalStateException
        raise ServiceError("IllegalStateException", str(error)) from None
    return {}


def update_plan_execution_step(request: JsonRequest) -> dict[str, Any]:
    from drkit_lab.emulator.arc_execution import IllegalState

    execution = _execution(request)
    _authorize(request, "UpdatePlanExecutionStep", [execution.plan_arn])
    body = request.body
    if not isinstance(body.get("comment"), str):  # a required member of UpdatePlanExecutionStepRequest
        raise ServiceError("ValidationException", "comment is required")
    action = str(body.get("actionToTake", ""))
    if action == "switchToUngraceful":
        raise ServiceError("ValidationException", "the drkit emulator does not emulate actionToTake switchToUngraceful")
    if action != "skip":
        raise ServiceError("ValidationException", f"actionToTake {action!r} is not switchToUngraceful or skip")
    try:
        _runner().skip(execution, str(body.get("stepName", "")), str(body["comment"]))
    except LookupError as error:
        raise ServiceError("ResourceNotFoundException", str(error), 404) from None
    except IllegalState as error:  # the model lists no state error for this operation: AWS's answer is not known
        raise ServiceError("ValidationException", str(error)) from None
    return {}


def get_plan(request: JsonRequest) -> dict[str, Any]:
    plan = STORE.plan(str(request.body.get("arn", "")))
    _authorize(request, request.operation, [plan.arn])
    return {"plan": plan.api()}


def list_plans(request: JsonRequest) -> dict[str, Any]:
    _authorize(request, request.operation, ["*"])
    summaries = []
    for plan in list(STORE.plans.values()):
        active = STORE.active_execution(plan.arn)
        summaries.append(plan.summary(active.execution_id if active else None))
    return _page(summaries, request.body, "plans")


OPERATIONS = {
    "StartPlanExecution": start_plan_execution,
    "GetPlanExecution": get_plan_execution,
    "ListPlanExecutionEvents": list_plan_execution_events,
    "ListPlanExecutions": list_plan_executions,
    "ApprovePlanExecutionStep": approve_plan_execution_step,
    "CancelPlanExecution": cancel_plan_execution,
    "UpdatePlanExecution": update_plan_execution,
    "UpdatePlanExecutionStep": update_plan_execution_step,
    "GetPlanInRegion": get_plan,
    "ListPlansInRegion": list_plans,
    "GetPlan": get_plan,
    "ListPlans": list_plans,
}


def handle(request: JsonRequest) -> dict[str, Any]:
    operation = OPERATIONS.get(request.operation)
    if operation is None:
        raise ServiceError("ValidationException", f"the drkit emulator does not serve ArcRegionSwitch.{request.operation}")
    if request.operation in CONTROL_PLANE_OPERATIONS:
        from drkit_lab.emulator.control import STATE

        if CONTROL_PLANE_REGION in STATE.down_regions:  # the control plane lives there, whatever region signed the call
            raise ServiceError("ServiceUnavailable", f"drkit emulator: region {CONTROL_PLANE_REGION} (ARC's control plane) is down", 503)
    return operation(request)


@patch
def region_switch_plans_and_executions() -> None:
    """AWS: ARC Region switch keeps plans and runs their executions, from the region being activated, with
    the plan's execution role (see the module). moto has no such service: requests signed for
    ``arc-region-switch`` fell through to S3."""
    from drkit_lab.emulator.services import serve

    serve("arc-region-switch", handle)
