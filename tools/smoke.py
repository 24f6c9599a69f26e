"""Read a deployment back with boto3: a short report, a switchover drill, a leftover check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ClientFactory = Callable[..., Any]
REGIONS = ("us-east-1", "us-west-2")


def region_of(arn: str) -> str:
    return arn.split(":")[3]


def global_topology(client: ClientFactory, global_cluster_id: str) -> dict[str, Any]:
    clusters = client("rds", "us-east-1").describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
    members = clusters[0]["GlobalClusterMembers"]
    writer = next((m["DBClusterArn"] for m in members if m["IsWriter"]), None)
    return {
        "id": global_cluster_id,
        "engine_version": clusters[0].get("EngineVersion"),
        "members": [m["DBClusterArn"] for m in members],
        "writer": writer,
        "writer_region": region_of(writer) if writer else None,
    }


def inspect(client: ClientFactory, outputs: dict[str, Any]) -> dict[str, Any]:
    regions = [outputs["primary_region"], outputs["secondary_region"]]
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


def run_monitor(client: ClientFactory, region: str, seed_lag_ms: float | None) -> dict[str, Any]:
    """Run the deployed monitor's logic in-process against the emulator, with its own settings.

    The emulator replicates nothing, so no Aurora lag metric exists there; ``seed_lag_ms`` puts
    one sample per secondary, as Aurora would publish it, before the run.
    """
    from functions.replication_monitor.logic import parse_topology
    from functions.replication_monitor.monitor import run
    from functions.replication_monitor.settings import MonitorSettings

    lam = client("lambda", region)
    function = next(f for f in lam.list_functions()["Functions"] if f["FunctionName"].endswith("-replication-monitor"))
    variables = lam.get_function_configuration(FunctionName=function["FunctionName"])["Environment"]["Variables"]
    settings = MonitorSettings.from_env({**variables, "AWS_REGION": region})
    if seed_lag_ms is not None:
        response = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=settings.global_cluster_id)
        for member in parse_topology(response, settings.global_cluster_id).secondaries:
            seed_lag(client, member.region, member.identifier, seed_lag_ms)
    verdict, changes = run(settings, client)
    return {
        "status": verdict.status.value,
        "writer_region": verdict.writer_region,
        "lag_seconds": {s.identifier: s.lag_seconds for s in verdict.secondaries},
        "alerts": len(changes),
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
            f"VPC {', '.join(facts['vpcs'])}; peering {', '.join(facts['peerings'])}; "
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
    return "\n".join(lines)


def switchover_drill(client: ClientFactory, outputs: dict[str, Any], say: Callable[[str], None], environment: str) -> dict[str, Any]:
    """The runbook itself: switchover to the secondary, verified; a repeat is a no-op; then back."""
    from functions.failover.logic import Operation
    from functions.failover.runner import RunbookSettings, execute

    def settings(api_region: str) -> RunbookSettings:
        topic = next(t["TopicArn"] for t in client("sns", api_region).list_topics()["Topics"] if t["TopicArn"].endswith("-alerts"))
        return RunbookSettings(
            environment=environment,
            api_region=api_region,
            global_cluster_id=outputs["global_cluster_id"],
            alert_topic_arn=topic,
            zone_id=outputs["hosted_zone_id"],
            record_name=outputs["database_record_name"],
            poll_seconds=1,
            timeout_seconds=600,
        )

    def indented(text: str) -> None:
        for line in text.splitlines():
            say(f"      {line}")

    primary, secondary = outputs["primary_region"], outputs["secondary_region"]
    seed_lag(client, outputs["secondary_region"], outputs["secondary_cluster_arn"].rsplit(":", maxsplit=1)[-1], 400.0)
    say(f"    switchover to {secondary} (dry run, then for real):")
    dry = execute(Operation.SWITCHOVER, secondary, True, settings(secondary), client, indented)
    there = execute(Operation.SWITCHOVER, secondary, False, settings(secondary), client, indented)
    say("    the same request again:")
    again = execute(Operation.SWITCHOVER, secondary, False, settings(secondary), client, indented)
    seed_lag(client, primary, outputs["primary_cluster_arn"].rsplit(":", maxsplit=1)[-1], 400.0)
    say(f"    switchover back to {primary}:")
    back = execute(Operation.SWITCHOVER, primary, False, settings(primary), client, indented)
    after = global_topology(client, outputs["global_cluster_id"])
    return {"results": [dry["result"], there["result"], again["result"], back["result"]], "writer_after": after["writer_region"]}


def seed_lag(client: ClientFactory, region: str, identifier: str, milliseconds: float) -> None:
    """The emulator replicates nothing: publish the lag sample Aurora would publish."""
    client("cloudwatch", region).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBReplicationLag",
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": identifier}],
                "Value": milliseconds,
                "Unit": "Milliseconds",
            }
        ],
    )


def leftovers(client: ClientFactory, regions: tuple[str, ...] = REGIONS) -> dict[str, Any]:
    """Everything of the stack still present after destroy (empty when destroy was complete)."""
    found: dict[str, Any] = {}
    global_clusters = client("rds", "us-east-1").describe_global_clusters()["GlobalClusters"]
    if global_clusters:
        found["global_clusters"] = [g["GlobalClusterIdentifier"] for g in global_clusters]
    zones = [z["Name"] for z in client("route53").list_hosted_zones()["HostedZones"]]
    if zones:
        found["hosted_zones"] = zones
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
        }
        remaining = {kind: items for kind, items in facts.items() if items}
        if remaining:
            found[region] = remaining
    roles = [r["RoleName"] for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith("drkit-")]
    if roles:
        found["iam_roles"] = roles
    return found
