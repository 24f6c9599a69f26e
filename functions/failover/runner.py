"""The runbook's AWS side: read the global cluster, decide (``logic``), act, wait, verify, audit.

Clients come from an injected factory ``client(service, region)``, so the same code runs in the
Lambda, in the operator's CLI (``drkit/runbook.py``) and against the emulator. What happens after
the writer has moved (DNS verification, the audit message) is reported, never allowed to turn a
finished operation into a failure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from . import marker
from .logic import (
    GlobalState,
    NoOp,
    Operation,
    Proceed,
    Refuse,
    api_region,
    parse_global_state,
    preflight,
    regions_to_read,
    render_status,
    summarize_records,
    writer_is,
)

ClientFactory = Callable[[str, str], Any]
Say = Callable[[str], None]
ROUTE53_REGION = "us-east-1"  # Route 53 is a global service signed for us-east-1


@dataclass(frozen=True)
class RunbookSettings:
    environment: str
    home_region: str  # where the runbook reads the global cluster (the Lambda's region; the CLI's target)
    global_cluster_id: str
    alert_topic_arns: Mapping[str, str]  # region -> alert topic; audit messages go to the region acted in
    zone_id: str | None  # None: looked up by ``zone_name`` when DNS is verified
    record_names: tuple[str, ...]
    switchover_max_lag_seconds: float
    zone_name: str | None = None
    lossy_failover_parameter: str | None = None  # SSM parameter where a failover that allowed data loss is recorded (``marker``)
    timeout_seconds: float = 840.0
    poll_seconds: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)


def read_state(
    client: ClientFactory,
    settings: RunbookSettings,
    operation: Operation | None = None,
    target_region: str | None = None,
    lost_region: str | None = None,
) -> GlobalState:
    """The global cluster from ``home_region``, and each member read in its own region.

    A failover does not read the writer's region, before or after the operation (``lost_region``): it
    is presumed lost, and calling it would only wait for timeouts (and, in a drill, prove that the
    runbook depends on the region it replaces).
    """
    response = client("rds", settings.home_region).describe_global_clusters(GlobalClusterIdentifier=settings.global_cluster_id)
    (global_cluster,) = response["GlobalClusters"]
    members = global_cluster.get("GlobalClusterMembers", [])
    writer_region = lost_region or next((m["DBClusterArn"].split(":")[3] for m in members if m.get("IsWriter")), None)
    wanted = regions_to_read(operation, [m["DBClusterArn"].split(":")[3] for m in members], writer_region, target_region)
    details: dict[str, Any] = {}
    for member in members:
        arn = member["DBClusterArn"]
        region = arn.split(":")[3]
        if region not in wanted:
            continue
        try:
            details[arn] = client("rds", region).describe_db_clusters(DBClusterIdentifier=arn)["DBClusters"][0]
        except Exception as error:  # an unreachable region shows as a member that could not be read
            details[arn] = {"Error": str(error).splitlines()[0][:200]}
    return parse_global_state(global_cluster, details)


def replication_lag_seconds(client: ClientFactory, region: str, identifier: str, now: datetime | None = None) -> float | None:
    """Newest worst lag of one secondary, from its own region (the only place Aurora publishes it)."""
    now = now or datetime.now(UTC)
    queries = [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/RDS", "MetricName": metric, "Dimensions": [{"Name": "DBClusterIdentifier", "Value": identifier}]},
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for index, metric in enumerate(("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"))
    ]
    response = client("cloudwatch", region).get_metric_data(
        MetricDataQueries=queries,
        StartTime=now - timedelta(minutes=5),
        EndTime=now.replace(second=0, microsecond=0) + timedelta(minutes=1),
        ScanBy="TimestampDescending",
    )
    newest = [r["Values"][0] for r in response.get("MetricDataResults", []) if r.get("Values")]
    return max(newest) / 1000.0 if newest else None


def audit(client: ClientFactory, settings: RunbookSettings, regions: tuple[str, ...], subject: str, details: dict[str, Any]) -> str:
    """Publish the audit message to the first reachable topic of ``regions``; say where it went."""
    message = json.dumps({"environment": settings.environment, **details}, indent=2, default=str)
    problems = []
    for region in dict.fromkeys(regions):
        topic = settings.alert_topic_arns.get(region)
        if not topic:
            continue
        try:
            client("sns", region).publish(TopicArn=topic, Subject=f"[drkit {settings.environment}] {subject}"[:100], Message=message)
        except Exception as error:
            problems.append(f"{region}: {str(error).splitlines()[0][:160]}")
            continue
        return f"audit message sent to {topic}"
    return "audit message NOT sent (" + ("; ".join(problems) or "no alert topic known for " + ", ".join(regions)) + ")"


def verify_dns(client: ClientFactory, settings: RunbookSettings, lost_region: str | None = None) -> list[str]:
    """What the failover records and their health checks say now. Never raises: a check that could
    not be made is reported as such (Route 53 refuses GetHealthCheckStatus for CALCULATED checks, and
    its control plane may be unreachable during an outage).

    Route 53's control plane (every API, reads included) lives in us-east-1; its data plane (DNS
    answers, health checks) does not depend on it (Route 53 Developer Guide, "Resilience in Amazon
    Route 53"). A failover away from us-east-1 therefore does not call it at all."""
    if lost_region == ROUTE53_REGION:
        return [
            f"dns: not verified: Route 53's API (its control plane) is in {ROUTE53_REGION}, the region being failed over from; "
            "DNS answers and health checks (its data plane) do not depend on it"
        ]
    if not settings.record_names:
        return ["dns: not verified (no record names configured)"]
    route53 = client("route53", ROUTE53_REGION)
    zone_id = settings.zone_id
    try:
        if zone_id is None and settings.zone_name:
            zones = route53.list_hosted_zones_by_name(DNSName=settings.zone_name).get("HostedZones", [])
            zone_id = next((z["Id"].rsplit("/", 1)[-1] for z in zones if z["Name"].rstrip(".") == settings.zone_name.rstrip(".")), None)
        if zone_id is None:
            return [f"dns: not verified (hosted zone {settings.zone_name or '?'} not found)"]
        records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    except Exception as error:
        return [f"dns: not verified (ListResourceRecordSets failed: {str(error).splitlines()[0][:160]})"]
    lines = [f"dns: {line}" for line in summarize_records(records, settings.record_names)]
    wanted = {name.rstrip(".") + "." for name in settings.record_names}
    for record in records:
        check = record.get("HealthCheckId")
        if not check or record.get("Name") not in wanted:
            continue
        try:
            observations = route53.get_health_check_status(HealthCheckId=check).get("HealthCheckObservations", [])
            states = sorted({o.get("StatusReport", {}).get("Status", "?").split(":")[0] for o in observations}) or ["no observations"]
            lines.append(f"dns: health of {record['Name']} {record.get('Failover', '')} record: {', '.join(states)}")
        except Exception as error:
            lines.append(f"dns: health of {record['Name']} {record.get('Failover', '')} record not verified ({str(error).splitlines()[0][:300]})")
    return lines


def record_lossy_failover(
    client: ClientFactory, settings: RunbookSettings, region: str, decision: Proceed, requested_at: datetime, lag: float | None
) -> str | None:
    """Record the failover as soon as AWS has accepted FailoverGlobalCluster, before waiting for it: a run that times out
    (or a Lambda stopped at its limit) still leaves the record the point-of-failure watch and reconcile start from."""
    if not settings.lossy_failover_parameter:
        return None
    record = marker.entry(decision.source.arn, decision.target.arn, requested_at, lag)
    return marker.record(client, region, settings.lossy_failover_parameter, record)


def execute(
    operation: Operation,
    target_region: str,
    dry_run: bool,
    settings: RunbookSettings,
    client: ClientFactory,
    say: Say,
    expected_writer_region: str | None = None,
) -> dict[str, Any]:
    state = read_state(client, settings, operation, target_region)
    say(render_status(state))
    target = state.member_in(target_region)
    lag = None
    if target is not None and not target.is_writer:
        try:
            lag = replication_lag_seconds(client, target.region, target.identifier)
        except Exception as error:
            say(f"replication lag of {target.identifier} could not be read: {str(error).splitlines()[0][:160]}")
        say(f"replication lag of {target.identifier}: {'no data' if lag is None else f'{lag:.1f} s'}")
    decision = preflight(operation, state, target_region, lag, settings.switchover_max_lag_seconds, expected_writer_region)
    writer_region = state.writer.region if state.writer else None
    call_region = api_region(operation, writer_region, target_region)
    audit_regions = (call_region, target_region, settings.home_region)
    if isinstance(decision, Refuse):
        say(f"REFUSED: {decision.reason}")
        say(audit(client, settings, audit_regions, f"{operation.value} to {target_region} refused", {"reason": decision.reason}))
        return {"result": "refused", "reason": decision.reason}
    if isinstance(decision, NoOp):
        say(f"no-op: {decision.reason}")
        return {"result": "no-op", "reason": decision.reason}
    assert isinstance(decision, Proceed)
    say(f"plan: {decision.describe()} (API call in {call_region})")
    if dry_run:
        say("dry run: nothing was changed")
        return {"result": "dry-run", "plan": decision.describe(), "api_region": call_region}
    rds = client("rds", call_region)
    start = time.monotonic()
    say(audit(client, settings, audit_regions, f"{operation.value} to {target_region} started", {"plan": decision.describe(), "lag_seconds": lag}))
    recorded = None
    if operation is Operation.SWITCHOVER:
        rds.switchover_global_cluster(GlobalClusterIdentifier=state.identifier, TargetDbClusterIdentifier=decision.target.arn)
    else:
        requested_at = datetime.now(UTC)  # the point of failure is no later than this: the record's time
        rds.failover_global_cluster(GlobalClusterIdentifier=state.identifier, TargetDbClusterIdentifier=decision.target.arn, AllowDataLoss=True)
        recorded = record_lossy_failover(client, settings, call_region, decision, requested_at, lag)
        if recorded:
            say(recorded)
    watch = replace(settings, home_region=call_region)
    lost = writer_region if operation is Operation.FAILOVER else None
    while True:
        current = read_state(client, watch, operation, target_region, lost_region=lost)
        elapsed = time.monotonic() - start
        if writer_is(current, decision.target.arn):
            break
        if elapsed > settings.timeout_seconds:
            reason = f"the writer is not {decision.target.identifier} after {elapsed:.0f} s"
            unfinished = {"reason": reason, **({"lossy_failover": recorded} if recorded else {})}
            say(audit(client, settings, audit_regions, f"{operation.value} to {target_region} did not finish", unfinished))
            return {"result": "timeout", **unfinished}
        say(f"waiting: {elapsed:.0f} s, global cluster {current.status}")
        settings.sleep(settings.poll_seconds)
    say(f"verified: {decision.target.identifier} in {target_region} is the writer ({elapsed:.1f} s)")
    checks = verify_dns(client, settings, lost)
    for line in checks:
        say(line)
    details: dict[str, Any] = {"plan": decision.describe(), "api_region": call_region, "seconds": round(elapsed, 1), "verification": checks}
    if operation is Operation.FAILOVER:
        details["data_loss_window_seconds"] = lag  # the target's last observed lag: what may not have replicated
        if recorded:
            details["lossy_failover"] = recorded
    say(audit(client, settings, audit_regions, f"{operation.value} to {target_region} completed", details))
    return {"result": "completed", **details}
