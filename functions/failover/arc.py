"""The runbook as an ARC Region switch custom action: the steps a plan invokes it for.

ARC invokes a custom-action Lambda "with only the execution metadata" when the step has no payload,
and merges "execution metadata keys (InvokedBy, PlanArn, ExecutionId, StepName)" into a payload it
has (ARC Region switch API reference, ``Lambdas.payload``; the CloudFormation schema of
AWS::ARCRegionSwitch::Plan has no payload, so drkit's plans send none). The handler recognises such
an invocation by those keys and dispatches on the step name, which the plan construct takes from
:data:`STEPS` (one contract for both sides).

A step that must stop the plan raises: Lambda reports the invocation as failed and ARC fails the
step ("to rerun the Lambda function if it does not succeed", custom-action-lambda-block). No step
here moves the writer: the plan's Aurora block does that, and an ARC-shaped event sent by anyone
else can only run a check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# The keys ARC merges into every custom-action invocation.
METADATA_KEYS = ("InvokedBy", "PlanArn", "ExecutionId", "StepName")
LAG_PREFLIGHT = "lag-preflight"  # graceful activation: refuse while the activating region's lag is above the limit
# post-recovery, in the inactive region (the old primary, back): keep Aurora's point-of-failure snapshot
PRESERVE_SNAPSHOT = "preserve-point-of-failure-snapshot"
# Steps this function implements. A new custom action is a name here, its function below, and its step spec in
# constructs_lib/region_switch_spec.py.
STEPS = (LAG_PREFLIGHT, PRESERVE_SNAPSHOT)


class StepRefused(RuntimeError):
    """The step must fail: ARC fails it and the plan does not go on."""


def is_region_switch_invocation(event: object) -> bool:
    return isinstance(event, Mapping) and all(isinstance(event.get(key), str) and event.get(key) for key in METADATA_KEYS)


def handle(event: Mapping[str, Any], settings: Any, client: Callable[[str, str], Any], say: Callable[[str], None]) -> dict[str, Any]:
    """Run the step ARC asked for; raise :class:`StepRefused` to fail it."""
    step = str(event["StepName"])
    say(f"ARC Region switch: step {step} of execution {event['ExecutionId']} (plan {event['PlanArn']})")
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
