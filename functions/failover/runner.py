"""The runbook's AWS side: read the global cluster, decide (``logic``), act, wait, verify, audit."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .logic import GlobalState, NoOp, Operation, Proceed, Refuse, parse_global_state, preflight, render_status, summarize_records, writer_is

ClientFactory = Callable[[str, str], Any]
Say = Callable[[str], None]


@dataclass(frozen=True)
class RunbookSettings:
    environment: str
    api_region: str  # where RDS is called; any member region answers for the global cluster
    global_cluster_id: str
    alert_topic_arn: str | None
    zone_id: str | None
    record_name: str | None
    max_switchover_lag_seconds: float = 5.0
    timeout_seconds: float = 840.0
    poll_seconds: float = 10.0


def read_state(client: ClientFactory, settings: RunbookSettings) -> GlobalState:
    response = client("rds", settings.api_region).describe_global_clusters(GlobalClusterIdentifier=settings.global_cluster_id)
    (global_cluster,) = response["GlobalClusters"]
    details: dict[str, Any] = {}
    for member in global_cluster.get("GlobalClusterMembers", []):
        arn = member["DBClusterArn"]
        try:
            details[arn] = client("rds", arn.split(":")[3]).describe_db_clusters(DBClusterIdentifier=arn)["DBClusters"][0]
        except Exception:  # an unreachable region shows as a member without instances
            details[arn] = {"Status": "unreachable"}
    return parse_global_state(global_cluster, details)


def replication_lag_seconds(client: ClientFactory, region: str, identifier: str, now: datetime | None = None) -> float | None:
    """Newest worst lag of one secondary, from its own region (the only place it is published)."""
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


def audit(client: ClientFactory, settings: RunbookSettings, subject: str, details: dict[str, Any]) -> None:
    if settings.alert_topic_arn:
        region = settings.alert_topic_arn.split(":")[3]
        message = json.dumps({"environment": settings.environment, **details}, indent=2, default=str)
        client("sns", region).publish(TopicArn=settings.alert_topic_arn, Subject=f"[drkit {settings.environment}] {subject}"[:100], Message=message)


def verify_dns(client: ClientFactory, settings: RunbookSettings) -> list[str]:
    if not settings.zone_id or not settings.record_name:
        return []
    route53 = client("route53", "us-east-1")
    records = route53.list_resource_record_sets(HostedZoneId=settings.zone_id)["ResourceRecordSets"]
    lines = summarize_records(records, settings.record_name)
    for record in records:
        check = record.get("HealthCheckId")
        if check and record.get("Name") == settings.record_name.rstrip(".") + ".":
            observations = route53.get_health_check_status(HealthCheckId=check).get("HealthCheckObservations", [])
            states = sorted({o.get("StatusReport", {}).get("Status", "?").split(":")[0] for o in observations}) or ["no observations"]
            lines.append(f"health of {record.get('Failover', '')} record: {', '.join(states)}")
    return lines


def execute(operation: Operation, target_region: str, dry_run: bool, settings: RunbookSettings, client: ClientFactory, say: Say) -> dict[str, Any]:
    state = read_state(client, settings)
    say(render_status(state))
    target = state.member_in(target_region)
    lag = None
    if operation is Operation.SWITCHOVER and target is not None and not target.is_writer:
        lag = replication_lag_seconds(client, target.region, target.identifier)
        say(f"replication lag of {target.identifier}: {'no data' if lag is None else f'{lag:.1f} s'}")
    decision = preflight(operation, state, target_region, lag, settings.max_switchover_lag_seconds)
    if isinstance(decision, Refuse):
        say(f"REFUSED: {decision.reason}")
        audit(client, settings, f"{operation.value} to {target_region} refused", {"reason": decision.reason})
        return {"result": "refused", "reason": decision.reason}
    if isinstance(decision, NoOp):
        say(f"no-op: {decision.reason}")
        return {"result": "no-op", "reason": decision.reason}
    assert isinstance(decision, Proceed)
    say(f"plan: {decision.describe()}")
    if dry_run:
        say("dry run: nothing was changed")
        return {"result": "dry-run", "plan": decision.describe()}
    rds = client("rds", settings.api_region)
    start = time.monotonic()
    audit(client, settings, f"{operation.value} to {target_region} started", {"plan": decision.describe()})
    if operation is Operation.SWITCHOVER:
        rds.switchover_global_cluster(GlobalClusterIdentifier=state.identifier, TargetDbClusterIdentifier=decision.target.arn)
    else:
        rds.failover_global_cluster(GlobalClusterIdentifier=state.identifier, TargetDbClusterIdentifier=decision.target.arn, AllowDataLoss=True)
    while True:
        current = read_state(client, settings)
        elapsed = time.monotonic() - start
        if writer_is(current, decision.target.arn):
            break
        if elapsed > settings.timeout_seconds:
            reason = f"the writer is not {decision.target.identifier} after {elapsed:.0f} s"
            audit(client, settings, f"{operation.value} to {target_region} did not finish", {"reason": reason})
            return {"result": "timeout", "reason": reason}
        say(f"waiting: {elapsed:.0f} s, global cluster {current.status}")
        time.sleep(settings.poll_seconds)
    say(f"verified: {decision.target.identifier} in {target_region} is the writer ({elapsed:.1f} s)")
    dns = verify_dns(client, settings)
    for line in dns:
        say(f"dns: {line}")
    details = {"plan": decision.describe(), "seconds": round(elapsed, 1), "dns": dns}
    audit(client, settings, f"{operation.value} to {target_region} completed", details)
    return {"result": "completed", **details}
