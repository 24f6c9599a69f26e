"""Read a deployment back with boto3: a short report, a switchover drill, a leftover check."""

from __future__ import annotations

import time
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
        }
    return report


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
    return "\n".join(lines)


def _switch(client: ClientFactory, global_id: str, target_arn: str, say: Callable[[str], None], timeout: float) -> float:
    start = time.monotonic()
    client("rds", "us-east-1").switchover_global_cluster(GlobalClusterIdentifier=global_id, TargetDbClusterIdentifier=target_arn)
    while time.monotonic() - start < timeout:
        topology = global_topology(client, global_id)
        if topology["writer"] == target_arn:
            elapsed = time.monotonic() - start
            say(f"    writer is now {target_arn.rsplit(':', maxsplit=1)[-1]} in {topology['writer_region']} ({elapsed:.1f} s)")
            return elapsed
        time.sleep(2)
    raise RuntimeError(f"the writer did not move to {target_arn} within {timeout:.0f} s")


def switchover_drill(client: ClientFactory, outputs: dict[str, Any], say: Callable[[str], None], timeout: float = 600) -> dict[str, Any]:
    """Planned switchover to the secondary, verified, then back to the primary, verified."""
    global_id = outputs["global_cluster_id"]
    before = global_topology(client, global_id)
    say(f"    writer before the drill: {before['writer_region']}")
    there = _switch(client, global_id, outputs["secondary_cluster_arn"], say, timeout)
    back = _switch(client, global_id, outputs["primary_cluster_arn"], say, timeout)
    after = global_topology(client, global_id)
    return {"writer_before": before["writer_region"], "writer_after": after["writer_region"], "seconds": [there, back]}


def leftovers(client: ClientFactory, regions: tuple[str, ...] = REGIONS) -> dict[str, Any]:
    """Everything of the stack still present after destroy (empty when destroy was complete)."""
    found: dict[str, Any] = {}
    global_clusters = client("rds", "us-east-1").describe_global_clusters()["GlobalClusters"]
    if global_clusters:
        found["global_clusters"] = [g["GlobalClusterIdentifier"] for g in global_clusters]
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
        }
        remaining = {kind: items for kind, items in facts.items() if items}
        if remaining:
            found[region] = remaining
    roles = [r["RoleName"] for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith("drkit-")]
    if roles:
        found["iam_roles"] = roles
    return found
