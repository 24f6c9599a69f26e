"""The runbook as an ARC Region switch custom action: the steps a plan invokes it for.

What ARC sends is documented only by the names of its metadata keys: "If you don't specify a payload, Region
switch invokes the function with only the execution metadata. If you provide a JSON object, Region switch
merges execution metadata keys (InvokedBy, PlanArn, ExecutionId, StepName) into the top level. [...] If you
provide any other JSON type [...], Region switch forwards it to the Lambda function unchanged, without adding
metadata" (ARC Region switch API reference, ``Lambdas.payload``; the CloudFormation schema of
AWS::ARCRegionSwitch::Plan has no payload, so drkit's plans send none). The shape of the event without a
payload and the value of ``InvokedBy`` are not documented.

A custom action that returns is a step that succeeded, and the plan goes on to the switchover. So recognition
fails closed (:func:`recognise`): an event that carries any of those keys, in any spelling, must be exactly the
documented metadata (the four keys, non-empty strings, ``PlanArn`` a plan ARN, no runbook request mixed in) or
it raises :class:`UnrecognisedInvocation`; ``InvokedBy``'s value is never compared. An event with none of the
keys is the runbook's, and the handler raises on one that names no operation, so a differently shaped ARC
invocation fails too. The handler logs the top-level keys of every invocation that reaches this module or is
refused, so the first real execution shows the shape.

A step that must stop the plan raises: Lambda reports a function error. ARC then reruns the custom action
"if it does not succeed within this interval" (``RetryIntervalMinutes``, custom-action-lambda-block) until
the step's ``TimeoutMinutes``, and only then does the step fail and the execution pause (``pausedByFailedStep``).
No step here moves the writer: the plan's Aurora block does that, and an ARC-shaped event sent by anyone else
can only run a check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .contract import Request

# The keys ARC merges into every custom-action invocation (API reference, Lambdas.payload), as spelt there.
METADATA_KEYS = ("InvokedBy", "PlanArn", "ExecutionId", "StepName")
# API reference, PlanArn.
PLAN_ARN = re.compile(r"arn:aws[a-zA-Z-]*:arc-region-switch::[0-9]{12}:plan/([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?):([a-z0-9]{6})")
RUNBOOK_KEYS = frozenset({Request.OPERATION, Request.TARGET_REGION, Request.DRY_RUN, Request.REQUESTED_AT, Request.EXPECTED_WRITER_REGION})
_FOLDED = {key.lower(): key for key in METADATA_KEYS}  # a spelling folded (case, '_' and '-' dropped) -> the documented key
MAX_LOGGED_KEYS = 50
LAG_PREFLIGHT = "lag-preflight"  # graceful activation: refuse while the activating region's lag is above the limit
# post-recovery, in the inactive region (the old primary, back): keep Aurora's point-of-failure snapshot
PRESERVE_SNAPSHOT = "preserve-point-of-failure-snapshot"
# Steps this function implements. A new custom action is a name here, its function below, and its step spec in
# constructs_lib/region_switch_spec.py.
STEPS = (LAG_PREFLIGHT, PRESERVE_SNAPSHOT)


class StepRefused(RuntimeError):
    """The step must not succeed: the invocation fails, ARC reruns it until the step's timeout, then the step fails."""


class UnrecognisedInvocation(ValueError):
    """An event the function will not guess about: a function error, never a quiet success (see the module)."""


@dataclass(frozen=True)
class Invocation:
    """ARC's execution metadata, as documented."""

    plan_arn: str
    execution_id: str
    step_name: str
    invoked_by: str  # present, its value undocumented: logged, never compared


def event_keys(event: Mapping[Any, Any]) -> list[str]:
    """The event's top-level keys, for the log (bounded: the keys are the caller's)."""
    return sorted(str(key)[:100] for key in event)[:MAX_LOGGED_KEYS]


def _folded(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


def _arc_like(key: object) -> bool:
    """One of ARC's metadata keys in any spelling (``planArn``, ``plan_arn``, ``PLANARN``)."""
    return isinstance(key, str) and _folded(key) in _FOLDED


def recognise(event: Mapping[Any, Any]) -> Invocation | None:
    """``None`` when no key of the event looks like ARC's metadata (a runbook request, or nothing known);
    the metadata when the event carries exactly the documented keys; :class:`UnrecognisedInvocation` otherwise."""
    like = sorted(str(key) for key in event if _arc_like(key))
    if not like:
        return None
    problems = [f"{key!r} is not the documented spelling {_FOLDED[_folded(key)]!r}" for key in like if key not in METADATA_KEYS]
    for key in METADATA_KEYS:
        if key not in event:
            problems.append(f"{key} is missing")
        elif not isinstance(event[key], str) or not event[key].strip():
            problems.append(f"{key} is not a non-empty string")
    plan_arn = event.get("PlanArn")
    if isinstance(plan_arn, str) and plan_arn and not PLAN_ARN.fullmatch(plan_arn):
        problems.append("PlanArn is not a Region switch plan ARN")
    mixed = sorted(RUNBOOK_KEYS.intersection(key for key in event if isinstance(key, str)))
    if mixed:
        problems.append(f"the event carries both ARC's execution metadata and a runbook request ({', '.join(mixed)})")
    if problems:
        raise UnrecognisedInvocation(f"not ARC Region switch's documented execution metadata ({', '.join(METADATA_KEYS)}): {'; '.join(problems)}")
    return Invocation(str(event["PlanArn"]), str(event["ExecutionId"]), str(event["StepName"]), str(event["InvokedBy"]))


def handle(invocation: Invocation, settings: Any, client: Callable[[str, str], Any], say: Callable[[str], None]) -> dict[str, Any]:
    """Run the step ARC asked for; raise :class:`StepRefused` to fail it."""
    step = invocation.step_name
    say(f"ARC Region switch: step {step} of execution {invocation.execution_id} (plan {invocation.plan_arn})")
    if step == LAG_PREFLIGHT:
        return lag_preflight(settings, client, say)
    if step == PRESERVE_SNAPSHOT:
        return preserve_snapshot(settings, client, say)
    raise StepRefused(f"step {step!r}: this function implements only {', '.join(STEPS)}")


def lag_preflight(settings: Any, client: Callable[[str, str], Any], say: Callable[[str], None]) -> dict[str, Any]:
    """The runbook's switchover preflight for the region this function runs in (the plan runs the step in
    the activating region): refuse while that member's replication lag is above
    ``failover.switchover_max_lag_seconds``, or while any other switchover check fails."""
    from .logic import NoOp, Operation, Refuse, preflight, render_status
    from .runner import read_state, replication_lag_seconds

    target = settings.home_region
    state = read_state(client, settings, Operation.SWITCHOVER, target)
    say(render_status(state))
    member = state.member_in(target)
    lag = None
    if member is not None and not member.is_writer:
        lag = replication_lag_seconds(client, target, member.identifier)
        say(f"replication lag of {member.identifier}: {'no data' if lag is None else f'{lag:.1f} s'}")
    decision = preflight(Operation.SWITCHOVER, state, target, lag, settings.switchover_max_lag_seconds)
    if isinstance(decision, Refuse):
        raise StepRefused(decision.reason)
    if isinstance(decision, NoOp):
        return {"result": "no-op", "reason": decision.reason}
    return {"result": "ok", "region": target, "lag_seconds": lag}


def preserve_snapshot(settings: Any, client: Callable[[str, str], Any], say: Callable[[str], None]) -> dict[str, Any]:
    """Post-recovery, in the region the plan deactivated (its member was the writer): copy Aurora's point-of-failure
    snapshot of that member to a manual one, with the replication monitor's own idempotent function (a copy the
    monitor made first is found and kept). Nothing there yet is no failure: Aurora attempts the snapshot when the
    region is healthy again, and the monitor's next runs keep it or page that it never came."""
    from ..replication_monitor import preserve

    region = settings.home_region
    found = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=settings.global_cluster_id)["GlobalClusters"]
    members = [m["DBClusterArn"] for m in found[0]["GlobalClusterMembers"]] if found else []
    local = next((arn for arn in members if arn.split(":")[3] == region), None)
    if local is None:
        raise StepRefused(f"{settings.global_cluster_id} has no member in {region}: nothing to preserve here")
    cluster = client("rds", region).describe_db_clusters(DBClusterIdentifier=local)["DBClusters"][0]

    def markers() -> list[Any]:
        if not settings.lossy_failover_parameter:
            return []
        records: list[Any] = []
        for member_region in sorted({arn.split(":")[3] for arn in members}):
            try:
                records += preserve.read_markers(client("ssm", member_region), settings.lossy_failover_parameter)
            except Exception as error:  # a record is a tag on the copy: never worth failing the step for
                say(f"the failover records of {member_region} could not be read: {str(error).splitlines()[0][:200]}")
        return records

    done = preserve.preserve(client, region, str(cluster["DBClusterIdentifier"]), cluster.get("KmsKeyId"), markers)
    for kept in done:
        say(f"preserved {kept.plan.source.identifier} as {kept.plan.target}" if kept.created else f"{kept.plan.target} was kept already")
    if not done:
        say(f"no point-of-failure snapshot of {cluster['DBClusterIdentifier']} to keep (yet): the replication monitor of {region} watches for it")
    return {
        "result": "ok",
        "region": region,
        "preserved": [kept.plan.target for kept in done if kept.created],
        "kept_already": [kept.plan.target for kept in done if not kept.created],
    }
