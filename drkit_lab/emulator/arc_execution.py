"""A Region switch plan execution, run by the emulator against the emulated services, as ARC runs one.

ARC "assumes your plan's execution role to perform actions on your behalf" (ARC developer guide, plan
execution role trust policy); the emulator does the same: it checks that the role's trust policy trusts
``arc-region-switch.amazonaws.com`` and assumes it through the emulator's STS, so every call a block makes
is signed with credentials the emulator issued and IAM is enforced for it (``patches/iam.py``). A permission
the role lacks fails the block, as on AWS. The calls go through the emulator's own endpoint, so the request
journal records them and a region that is down answers them 503.

Blocks (the ones drkit's plans use; any other fails its step, saying it is not emulated):

* **ManualApproval**: the execution waits (``pendingManualApproval``) for ApprovePlanExecutionStep; a
  decline cancels it (manual-approval-block: "If they decline, Region switch cancels the plan execution").
  It does not assume the execution role.
* **CustomActionLambda**: skipped when ungraceful ("In ungraceful execution mode, Region switch skips the
  Lambda execution block step", custom-action-lambda-block). Otherwise the function of the region to run
  in is read (``lambda:GetFunction``) and its invocation authorized (``Invoke`` DryRun) as the execution role;
  the function then runs as its own role (``lambda_runner``) with ARC's metadata as the event: exactly the
  documented keys (:func:`metadata_event`). A function error fails the step (ARC reruns it every retry
  interval until the timeout; the emulator does not wait).
* **AuroraGlobalDatabase**: the cluster of the activating region from ``DatabaseClusterArns``; graceful with
  ``switchoverOnly`` calls SwitchoverGlobalCluster, ``failover`` (or ungraceful) FailoverGlobalCluster with
  AllowDataLoss (API reference, GlobalAuroraConfiguration). Switchover goes to the current writer's region,
  failover to the target's (Aurora User Guide; ``functions/failover/logic.api_region``), so an ungraceful
  execution never calls the lost region.

A failed step pauses the execution (``pausedByFailedStep``, event ``stepPausedByError``: the model's states
and events). The operator then cancels it, resumes it (UpdatePlanExecution ``resume``: the emulator runs the
failed step again) or skips the step (UpdatePlanExecutionStep ``skip``: the execution goes on with the next);
``pause`` and ``switchToUngraceful``/``switchToGraceful`` act on the steps not yet run. What AWS does to a failed
step on ``resume``, and whether a skip resumes the execution by itself, is not documented beyond "This can be
used to skip or retry a step" (API reference, UpdatePlanExecutionStep ``actionToTake``): the emulator's reading,
to check on a real account (docs/region-switch.md). Steps run when the execution is started, resumed, a step
approved or skipped, inside that call: the execution advances only when its caller does, so a game day on a
simulated clock drives it deterministically. Times are the wall clock's; the emulator's blocks take seconds
where AWS's take minutes (the recorded recovery time says so in a report).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

SERVICE_PRINCIPAL = "arc-region-switch.amazonaws.com"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
FINISHED = frozenset({"completed", "completedWithExceptions", "failed", "canceled", "planExecutionTimedOut"})
PAUSED = frozenset({"pausedByFailedStep", "pausedByOperator"})
WRITER_WAIT_SECONDS = 30.0


class StepFailed(Exception):
    """The block could not do its work; the message is the step's error."""


class IllegalState(Exception):
    """The execution or step is not in a state that allows the update (IllegalStateException)."""


@dataclass
class StepRun:
    name: str
    block_type: str
    configuration: dict[str, Any]
    mode: str
    status: str = "notStarted"
    start_time: float | None = None
    end_time: float | None = None

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"name": self.name, "status": self.status, "stepMode": self.mode}
        if self.start_time is not None:
            state["startTime"] = self.start_time
        if self.end_time is not None:
            state["endTime"] = self.end_time
        return state


@dataclass
class Execution:
    plan_arn: str
    plan_version: str
    plan_model: dict[str, Any]  # the plan as it was when the execution started (CloudFormation names)
    execution_id: str
    region: str  # where the execution runs (the region of the StartPlanExecution call)
    action: str
    mode: str
    target_region: str
    comment: str
    steps: list[StepRun]
    start_time: float = field(default_factory=time.time)
    state: str = "inProgress"
    end_time: float | None = None
    updated_at: float = field(default_factory=time.time)
    events: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def other_region(self) -> str:
        return next(r for r in self.plan_model["Regions"] if r != self.target_region)

    @property
    def activate_region(self) -> str:
        return self.target_region if self.action != "deactivate" else self.other_region

    @property
    def deactivate_region(self) -> str:
        return self.other_region if self.action != "deactivate" else self.target_region

    def event(self, kind: str, step: StepRun | None = None, description: str = "", error: str = "", resources: list[str] | None = None) -> None:
        now = time.time()
        entry: dict[str, Any] = {"timestamp": now, "type": kind, "eventId": secrets.token_hex(8)}
        if self.events:
            entry["previousEventId"] = self.events[-1]["eventId"]
        if step is not None:
            entry.update(stepName=step.name, executionBlockType=step.block_type)
        if description:
            entry["description"] = description
        if error:
            entry["error"] = error
        if resources:
            entry["resources"] = resources
        self.events.append(entry)
        self.updated_at = now

    def recovery_time(self) -> str | None:
        """ISO 8601 duration (API reference, GetPlanExecution ``actualRecoveryTime``): the plan's run time; drkit's
        plans associate no application-health alarms, so nothing is added after it."""
        if self.state not in ("completed", "completedWithExceptions") or self.end_time is None:
            return None
        return f"PT{max(round(self.end_time - self.start_time), 0)}S"


class Aws:
    """boto3 clients against the emulator itself, with the deployer's keys (AWS's own machinery) or issued credentials."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str, region: str, credentials: dict[str, str] | None = None, *, internal: bool = False) -> Any:
        import boto3
        from botocore.config import Config

        keys = credentials or {"aws_access_key_id": "drkit-arc", "aws_secret_access_key": "drkit-arc"}
        client = boto3.client(
            service, region_name=region, endpoint_url=self.endpoint, config=Config(retries={"max_attempts": 1}, read_timeout=120), **keys
        )
        if internal:  # AWS's own machinery (reading a role, STS for the service): not a call of the plan's
            client.meta.events.register("before-send", _mark_internal)
        return client


def _mark_internal(request: Any, **_: Any) -> None:
    request.headers["X-Drkit-Internal"] = "1"


def _session(credentials: dict[str, Any]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def metadata_event(execution: Execution, step: StepRun) -> dict[str, str]:
    """The event of a custom action without a payload: "Region switch invokes the function with only the execution
    metadata", whose keys are "InvokedBy, PlanArn, ExecutionId, StepName" (API reference, ``Lambdas.payload``).
    Those keys at the top level are the emulator's reading of the first sentence (the shape without a payload is
    not documented). ``InvokedBy``'s value is not documented either: the emulator sends a new opaque one per
    execution, so code that compares it fails here before it meets AWS's value."""
    return {
        "InvokedBy": f"drkit-emulator-undocumented-{secrets.token_hex(4)}",
        "PlanArn": execution.plan_arn,
        "ExecutionId": execution.execution_id,
        "StepName": step.name,
    }


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:500] if str(error) else type(error).__name__


class Runner:
    """Runs an execution's steps until it waits for an approval, pauses on a failed step, or ends."""

    def __init__(self, aws: Aws, trusts_service: Callable[[dict[str, Any], str], bool]) -> None:
        self.aws = aws
        self.trusts_service = trusts_service

    def run(self, execution: Execution) -> None:
        with execution.lock:
            while execution.cursor < len(execution.steps):
                if execution.state in FINISHED or execution.state in PAUSED or execution.state == "pendingManualApproval":
                    return
                step = execution.steps[execution.cursor]
                if step.status == "skipped":  # skipped by the operator before it ran (UpdatePlanExecutionStep)
                    execution.cursor += 1
                    continue
                if step.block_type == "ManualApproval":
                    if step.status != "completed":
                        step.status, step.start_time = "pendingApproval", step.start_time or time.time()
                        execution.state = "pendingManualApproval"
                        execution.event("stepPendingApproval", step, "waiting for ApprovePlanExecutionStep by the approval role")
                        execution.event("executionPendingApproval")
                        return
                    execution.cursor += 1
                    continue
                if execution.mode == "ungraceful" and step.block_type == "CustomActionLambda":
                    # "In ungraceful execution mode, Region switch skips the Lambda execution block step."
                    step.status = "skipped"
                    execution.event("stepSkipped", step, "ungraceful execution: custom actions are skipped")
                    execution.cursor += 1
                    continue
                step.status, step.start_time = "running", time.time()
                execution.event("stepStarted", step)
                try:
                    outcome = self.block(execution, step)
                except StepFailed as failure:
                    step.status, step.end_time = "failed", time.time()
                    execution.event("stepFailed", step, error=str(failure))
                    execution.event("stepPausedByError", step, error=str(failure))
                    execution.state = "pausedByFailedStep"
                    return
                step.status, step.end_time = "completed", time.time()
                execution.event("stepSucceeded", step, outcome)
                execution.cursor += 1
            execution.state, execution.end_time = "completed", time.time()
            execution.event("executionSucceeded", description=f"actual recovery time {execution.recovery_time()}")

    def approve(self, execution: Execution, step_name: str, approved: bool, comment: str) -> None:
        with execution.lock:
            step = next((s for s in execution.steps if s.name == step_name and s.status == "pendingApproval"), None)
            if step is None:
                raise LookupError(f"step {step_name} of execution {execution.execution_id} is not waiting for an approval")
            step.end_time = time.time()
            if not approved:
                step.status = "canceled"
                execution.event("stepCanceled", step, comment or "declined")
                self.cancel(execution, "the approval was declined")
                return
            step.status = "completed"
            execution.event("stepSucceeded", step, comment or "approved")
            execution.state = "inProgress"
            execution.cursor += 1
        self.run(execution)

    def update(self, execution: Execution, action: str, comment: str) -> None:
        """UpdatePlanExecution: pause, resume (a failed step runs again), or change the mode of the steps not yet run."""
        with execution.lock:
            if execution.state in FINISHED:
                raise IllegalState(f"execution {execution.execution_id} is {execution.state}")
            if action == "pause":
                if execution.state in PAUSED:
                    raise IllegalState(f"execution {execution.execution_id} is already {execution.state}")
                execution.state = "pausedByOperator"
                execution.event("executionPaused", description=comment or "paused by the operator")
                return
            if action in ("switchToUngraceful", "switchToGraceful"):
                mode = "ungraceful" if action == "switchToUngraceful" else "graceful"
                if execution.mode == mode:
                    raise IllegalState(f"execution {execution.execution_id} is already {mode}")
                execution.mode = mode
                for step in execution.steps[execution.cursor :]:
                    if step.status in ("notStarted", "failed"):
                        step.mode = mode
                kind = "executionBehaviorChangedToUngraceful" if mode == "ungraceful" else "executionBehaviorChangedToGraceful"
                execution.event(kind, description=comment)
                return
            if execution.state not in PAUSED:
                raise IllegalState(f"execution {execution.execution_id} is {execution.state}, not paused: nothing to resume")
            current = execution.steps[execution.cursor] if execution.cursor < len(execution.steps) else None
            if current is not None and current.status == "failed":
                current.status, current.start_time, current.end_time = "notStarted", None, None
                execution.event("stepUpdate", current, "resumed by the operator: the step runs again" + (f" ({comment})" if comment else ""))
            execution.state = "inProgress"
        self.run(execution)

    def skip(self, execution: Execution, step_name: str, comment: str) -> None:
        """UpdatePlanExecutionStep ``skip``: a failed step (the execution goes on with the next) or one not yet run."""
        with execution.lock:
            if execution.state in FINISHED:
                raise IllegalState(f"execution {execution.execution_id} is {execution.state}")
            step = next((s for s in execution.steps if s.name == step_name), None)
            if step is None:
                raise LookupError(f"execution {execution.execution_id} has no step {step_name}")
            if step.status not in ("failed", "notStarted"):
                raise IllegalState(f"step {step_name} is {step.status}: only a failed step or one not yet run is skipped")
            step.status, step.end_time = "skipped", time.time()
            execution.event("stepSkipped", step, comment or "skipped by the operator")
            current = execution.cursor < len(execution.steps) and execution.steps[execution.cursor] is step
            if not (current and execution.state == "pausedByFailedStep"):
                return
            execution.cursor += 1
            execution.state = "inProgress"
        self.run(execution)

    def cancel(self, execution: Execution, comment: str) -> None:
        with execution.lock:
            if execution.state in FINISHED:
                return
            for step in execution.steps:
                if step.status in ("notStarted", "pendingApproval", "running"):
                    step.status = "canceled"
            execution.state, execution.end_time = "canceled", time.time()
            execution.event("executionCanceled", description=comment)

    # ---------------------------------------------------------------- blocks

    def block(self, execution: Execution, step: StepRun) -> str:
        if step.block_type == "CustomActionLambda":
            return self.custom_action(execution, step)
        if step.block_type == "AuroraGlobalDatabase":
            return self.aurora(execution, step)
        raise StepFailed(f"the drkit emulator does not run {step.block_type} blocks (no such service here to act on)")

    def execution_role(self, execution: Execution) -> dict[str, str]:
        """ARC's credentials for a block: the plan's execution role, assumed as the service."""
        return self.assume(
            execution.plan_model["ExecutionRole"], SERVICE_PRINCIPAL, execution.region, f"AWSRegionSwitch-{execution.execution_id[-16:]}"
        )

    def assume(self, role_arn: str, principal: str, region: str, session: str) -> dict[str, str]:
        iam = self.aws.client("iam", "us-east-1", internal=True)
        try:
            role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        except Exception as error:
            raise StepFailed(f"cannot assume {role_arn}: {_first_line(error)}") from None
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
        if not self.trusts_service(trust, principal):
            raise StepFailed(f"cannot assume {role_arn}: its trust policy does not trust {principal}")
        sts = self.aws.client("sts", region, internal=True)
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=session[:64])["Credentials"]
        return _session(credentials)

    def custom_action(self, execution: Execution, step: StepRun) -> str:
        config = step.configuration["CustomActionLambdaConfig"]
        # Recovery workflows run in the activating or deactivating region; post-recovery ones in the active region
        # (with customer traffic: the one the recovery activated) or the inactive one (API reference, regionToRun).
        where = {
            "activatingRegion": execution.activate_region,
            "deactivatingRegion": execution.deactivate_region,
            "activeRegion": execution.activate_region,
            "inactiveRegion": execution.deactivate_region,
        }.get(str(config["RegionToRun"]))
        if where is None:
            raise StepFailed(f"RegionToRun {config['RegionToRun']} is not a region the drkit emulator knows")
        function = next((entry["Arn"] for entry in config["Lambdas"] if str(entry.get("Arn", "")).split(":")[3:4] == [where]), None)
        if function is None:
            raise StepFailed(f"the step names no Lambda function in {where}")
        credentials = self.execution_role(execution)
        lam = self.aws.client("lambda", where, credentials)
        try:
            lam.get_function(FunctionName=function)
            lam.invoke(FunctionName=function, InvocationType="DryRun")  # lambda:InvokeFunction, checked as the execution role
        except Exception as error:
            raise StepFailed(_first_line(error)) from None
        from drkit_lab.emulator.lambda_runner import invoke

        configuration = self.aws.client("lambda", where, internal=True).get_function_configuration(FunctionName=function)
        runtime = self.assume(configuration["Role"], LAMBDA_PRINCIPAL, where, configuration["FunctionName"])
        event = metadata_event(execution, step)
        environment = {"AWS_ACCESS_KEY_ID": runtime["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": runtime["aws_secret_access_key"]}
        environment["AWS_SESSION_TOKEN"] = runtime["aws_session_token"]
        done = invoke(configuration, where, self.aws.endpoint, environment, event, execution.execution_id)
        if not done.ok:
            raise StepFailed(f"{function} failed: {done.error_type}: {done.error_message}")
        return f"{function} succeeded: {json.dumps(done.result, default=str)[:300]}"

    def aurora(self, execution: Execution, step: StepRun) -> str:
        config = step.configuration["GlobalAuroraConfig"]
        target_region = execution.activate_region
        behavior = str(config["Behavior"])
        if execution.mode == "ungraceful":
            behavior = str((config.get("Ungraceful") or {}).get("Ungraceful") or behavior)
        target = next((arn for arn in config["DatabaseClusterArns"] if str(arn).split(":")[3:4] == [target_region]), None)
        if target is None:
            raise StepFailed(f"DatabaseClusterArns name no cluster in {target_region}, the region being activated")
        identifier = str(config["GlobalClusterIdentifier"])
        credentials = self.execution_role(execution)
        try:
            writer = self.writer(identifier, target_region, credentials)
            if writer == target:
                return f"{target} is already the writer of {identifier}"
            if behavior == "switchoverOnly":
                where = writer.split(":")[3] if writer else target_region
                self.aws.client("rds", where, credentials).switchover_global_cluster(
                    GlobalClusterIdentifier=identifier, TargetDbClusterIdentifier=target
                )
                verb = f"SwitchoverGlobalCluster in {where}"
            else:
                self.aws.client("rds", target_region, credentials).failover_global_cluster(
                    GlobalClusterIdentifier=identifier, TargetDbClusterIdentifier=target, AllowDataLoss=True
                )
                verb = f"FailoverGlobalCluster (AllowDataLoss) in {target_region}"
            execution.event("stepUpdate", step, f"{verb} to {target}", resources=[target])
            deadline = time.monotonic() + WRITER_WAIT_SECONDS
            while self.writer(identifier, target_region, credentials) != target:
                if time.monotonic() > deadline:
                    raise StepFailed(f"{target} is not the writer of {identifier} after {WRITER_WAIT_SECONDS:g} s")
                time.sleep(0.2)
        except StepFailed:
            raise
        except Exception as error:
            raise StepFailed(_first_line(error)) from None
        return f"{target} is the writer of {identifier} ({verb})"

    def writer(self, identifier: str, region: str, credentials: dict[str, str]) -> str | None:
        found = self.aws.client("rds", region, credentials).describe_global_clusters(GlobalClusterIdentifier=identifier)["GlobalClusters"]
        members = found[0].get("GlobalClusterMembers", []) if found else []
        return next((m["DBClusterArn"] for m in members if m.get("IsWriter")), None)
