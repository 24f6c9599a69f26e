"""Read a local deployment back with boto3: a short report, the monitor run, a leftover check.

Works for any topology: the regions come from the stack's outputs (``<alias>_region``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ClientFactory = Callable[..., Any]


def region_of(arn: str) -> str:
    return arn.split(":")[3]


def stack_regions(outputs: dict[str, Any]) -> list[str]:
    """Member regions in configuration order (primary, secondary, secondary_2, ...)."""
    aliases = sorted((name.removesuffix("_region") for name in outputs if name.endswith("_region") and name != "state_region"), key=_alias_order)
    return [outputs[f"{alias}_region"] for alias in aliases]


def _alias_order(alias: str) -> tuple[int, int]:
    if alias == "primary":
        return (0, 0)
    if alias == "secondary":
        return (1, 1)
    return (1, int(alias.rsplit("_", 1)[-1]))


def global_topology(client: ClientFactory, global_cluster_id: str, region: str = "us-east-1") -> dict[str, Any]:
    clusters = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
    members = clusters[0]["GlobalClusterMembers"]
    writer = next((m["DBClusterArn"] for m in members if m["IsWriter"]), None)
    return {
        "id": global_cluster_id,
        "engine_version": clusters[0].get("EngineVersion"),
        "members": [m["DBClusterArn"] for m in members],
        "writer": writer,
        "writer_region": region_of(writer) if writer else None,
    }


def replication_sources(client: ClientFactory, members: list[str]) -> dict[str, str | None]:
    """What each member reports as its ReplicationSourceIdentifier (AWS: the writer, for a secondary)."""
    sources = {}
    for arn in members:
        cluster = client("rds", region_of(arn)).describe_db_clusters(DBClusterIdentifier=arn)["DBClusters"][0]
        sources[arn.rsplit(":", 1)[-1]] = cluster.get("ReplicationSourceIdentifier")
    return sources


def inspect(client: ClientFactory, outputs: dict[str, Any]) -> dict[str, Any]:
    regions = stack_regions(outputs)
    report: dict[str, Any] = {"global": global_topology(client, outputs["global_cluster_id"]), "regions": {}}
    records = client("route53").list_resource_record_sets(HostedZoneId=outputs["hosted_zone_id"])["ResourceRecordSets"]
    report["dns"] = sorted(
        f"{r['Name']} {r['Type']} {r.get('Failover', 'SIMPLE')} -> {', '.join(v['Value'] for v in r.get('ResourceRecords', []))}"
        + (" (health-checked)" if r.get("HealthCheckId") else "")
        for r in records
        if r["Type"] == "CNAME"
    )
    for region in regions:
        rds = client("rds", region)
        ec2 = client("ec2", region)
        clusters = rds.describe_db_clusters()["DBClusters"]
        instances = rds.describe_db_instances()["DBInstances"]
        vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
        peerings = ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
        report["regions"][region] = {
            "clusters": [c["DBClusterIdentifier"] for c in clusters],
            "instances": len(instances),
            "vpcs": [v["CidrBlock"] for v in vpcs],
            "peerings": sorted({p["Status"]["Code"] for p in peerings}),
            "peering_count": len({p["VpcPeeringConnectionId"] for p in peerings}),
            "secrets": len(client("secretsmanager", region).list_secrets()["SecretList"]),
            "kms_keys": len([a for a in client("kms", region).list_aliases()["Aliases"] if a["AliasName"].startswith("alias/drkit-")]),
            "schedules": [f"{r['Name']} {r.get('ScheduleExpression', '')}".strip() for r in client("events", region).list_rules()["Rules"]],
            "alarms": sorted(a["AlarmName"] for a in client("cloudwatch", region).describe_alarms()["MetricAlarms"]),
            "monitor_concurrency": _concurrency(client, region),
        }
    return report


def _concurrency(client: ClientFactory, region: str) -> int | None:
    functions = [
        f["FunctionName"] for f in client("lambda", region).list_functions()["Functions"] if f["FunctionName"].endswith("-replication-monitor")
    ]
    if not functions:
        return None
    value = client("lambda", region).get_function_concurrency(FunctionName=functions[0]).get("ReservedConcurrentExecutions")
    return int(value) if value is not None else None


def monitor_settings(client: ClientFactory, region: str) -> Any:
    """The deployed monitor's own settings, read from its function configuration."""
    from functions.replication_monitor.contract import Env
    from functions.replication_monitor.settings import MonitorSettings

    lam = client("lambda", region)
    function = next(f for f in lam.list_functions()["Functions"] if f["FunctionName"].endswith("-replication-monitor"))
    variables = lam.get_function_configuration(FunctionName=function["FunctionName"])["Environment"]["Variables"]
    return MonitorSettings.from_env({**variables, Env.REGION: region})


def run_monitor(client: ClientFactory, region: str, seed_lag_ms: float | None) -> dict[str, Any]:
    """Run the deployed monitor's logic in-process against the emulator, with its own settings.

    Without a data plane the emulator replicates nothing, so no Aurora lag metric exists there;
    ``seed_lag_ms`` publishes one sample per secondary, as Aurora would, before the run.
    """
    from functions.replication_monitor.logic import parse_topology
    from functions.replication_monitor.monitor import run

    settings = monitor_settings(client, region)
    if seed_lag_ms is not None:
        response = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=settings.global_cluster_id)
        for member in parse_topology(response, settings.global_cluster_id).secondaries:
            seed_lag(client, member.region, member.identifier, seed_lag_ms)
    result = run(settings, client)
    return {
        "status": result.verdict.status.value,
        "writer_region": result.verdict.writer_region,
        "lag_seconds": {s.identifier: s.lag_seconds for s in result.verdict.secondaries},
        "alerts": len(result.changes),
        "writer_healthy": result.writer_healthy,
    }


def render(report: dict[str, Any]) -> str:
    topology = report["global"]
    lines = [
        f"    global cluster {topology['id']} (aurora-postgresql {topology['engine_version']}): "
        f"{len(topology['members'])} members, writer in {topology['writer_region']}",
    ]
    for region, facts in report["regions"].items():
        lines.append(
            f"    {region}: clusters {', '.join(facts['clusters'])}; {facts['instances']} instances; "
            f"VPC {', '.join(facts['vpcs'])}; {facts['peering_count']} peering(s) {', '.join(facts['peerings'])}; "
            f"{facts['secrets']} secret(s); {facts['kms_keys']} KMS alias(es)"
        )
        lines.append(f"      schedules: {'; '.join(facts['schedules'])}; monitor reserved concurrency {facts['monitor_concurrency']}")
        lines.append(f"      alarms: {', '.join(facts['alarms'])}")
    for record in report.get("dns", []):
        lines.append(f"    dns: {record}")
    if "monitor" in report:
        run = report["monitor"]
        lags = ", ".join(f"{name} {lag} s" for name, lag in run["lag_seconds"].items())
        lines.append(f"    replication monitor run: {run['status']}, writer {run['writer_region']}, lag {lags}, {run['alerts']} alert(s)")
        lines.append(f"      writer healthy as seen from there: {run['writer_healthy']}")
    return "\n".join(lines)


def seed_lag(client: ClientFactory, region: str, identifier: str, milliseconds: float) -> None:
    """Without a data plane the emulator replicates nothing: publish the lag sample Aurora would publish."""
    client("cloudwatch", region).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": identifier}],
                "Value": milliseconds,
                "Unit": "Milliseconds",
            }
            for metric in ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
        ],
    )


def leftovers(client: ClientFactory, regions: list[str]) -> dict[str, Any]:
    """Everything of the stack still present after destroy (empty when destroy was complete)."""
    found: dict[str, Any] = {}
    global_clusters = client("rds", "us-east-1").describe_global_clusters()["GlobalClusters"]
    if global_clusters:
        found["global_clusters"] = [g["GlobalClusterIdentifier"] for g in global_clusters]
    zones = [z["Name"] for z in client("route53").list_hosted_zones()["HostedZones"]]
    if zones:
        found["hosted_zones"] = zones
    checks = client("route53").list_health_checks()["HealthChecks"]
    if checks:
        found["health_checks"] = [c["Id"] for c in checks]
    plans = client("arc-region-switch", "us-east-1").list_plans().get("plans", [])  # ARC's control plane
    if plans:
        found["region_switch_plans"] = [p["name"] for p in plans]
    for region in regions:
        rds = client("rds", region)
        ec2 = client("ec2", region)
        kms = client("kms", region)
        facts = {
            "clusters": [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]],
            "instances": [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]],
            "vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
            "secrets": [s["Name"] for s in client("secretsmanager", region).list_secrets()["SecretList"]],
            "enabled_kms_keys": [
                k["KeyId"] for k in kms.list_keys()["Keys"] if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
            ],
            "log_groups": [g["logGroupName"] for g in client("logs", region).describe_log_groups()["logGroups"]],
            "functions": [f["FunctionName"] for f in client("lambda", region).list_functions()["Functions"]],
            "alarms": [a["AlarmName"] for a in client("cloudwatch", region).describe_alarms()["MetricAlarms"]],
            "topics": [t["TopicArn"] for t in client("sns", region).list_topics()["Topics"]],
            "parameters": [p["Name"] for p in client("ssm", region).describe_parameters()["Parameters"]],
        }
        remaining = {kind: items for kind, items in facts.items() if items}
        if remaining:
            found[region] = remaining
    roles = [r["RoleName"] for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith("drkit-")]
    if roles:
        found["iam_roles"] = roles
    return found
