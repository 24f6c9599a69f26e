"""Point-in-time restore of the writer's data into a new cluster, next to the global database.

``drkit runbook restore --env E --to-time T`` (a dry run unless ``--execute``): Aurora's
continuous backups restore the *current writer's* cluster to any second inside its restorable window
(``DescribeDBClusters``: ``EarliestRestorableTime`` .. ``LatestRestorableTime``) into a **new**,
standalone cluster (``RestoreDBClusterToPointInTime``) in the same VPC, subnet group, security
group, parameter group and KMS key, then one instance of the writer's class (the API restores
the cluster only: instances are created separately). Nothing in the global database changes.
``discard --restored <id>`` removes such a cluster and its instances; it refuses any cluster that is
not a restore (identifier and tag both say so).

The decisions are pure functions below; the CLI wires clients (the DR role's own credentials).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from constructs_lib.naming import RDS_IDENTIFIER_MAX, RESTORE_MARK, RESTORE_STAMP_FORMAT

ClientFactory = Callable[[str, str], Any]
RESTORED_TAG = "drkit:restored-from"
MAX_IDENTIFIER = RDS_IDENTIFIER_MAX  # config refuses environment names whose restores would not fit


@dataclass(frozen=True)
class Window:
    earliest: datetime
    latest: datetime

    def contains(self, moment: datetime) -> bool:
        return self.earliest <= moment <= self.latest

    def describe(self) -> str:
        return f"{self.earliest.isoformat(timespec='seconds')} .. {self.latest.isoformat(timespec='seconds')}"


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a zone (``2026-11-29T14:05:00Z``); a time without one is refused."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"--to-time {text!r}: give a time zone (for example {text}Z): a restore point must be unambiguous")
    return moment.astimezone(UTC)


def restored_identifier(source: str, moment: datetime) -> str:
    """``<source>-restore-<yyyymmddhhmmss>``: names every restore after its source and its time."""
    suffix = f"{RESTORE_MARK}{moment.strftime(RESTORE_STAMP_FORMAT)}"
    return f"{source[: MAX_IDENTIFIER - len(suffix)]}{suffix}"


def refusal(window: Window | None, moment: datetime) -> str | None:
    if window is None:
        return "the writer reports no restorable window (automated backups off, or the cluster is new)"
    if not window.contains(moment):
        return f"{moment.isoformat(timespec='seconds')} is outside the restorable window {window.describe()}"
    return None


def is_restore(cluster: dict[str, Any]) -> bool:
    tags = {t["Key"]: t["Value"] for t in cluster.get("TagList", [])}
    return RESTORE_MARK in cluster["DBClusterIdentifier"] and RESTORED_TAG in tags


@dataclass(frozen=True)
class RestorePlan:
    source_arn: str
    region: str
    identifier: str
    moment: datetime
    subnet_group: str
    security_groups: tuple[str, ...]
    parameter_group: str | None
    kms_key: str | None
    engine: str
    instance_class: str

    def describe(self) -> str:
        return (
            f"restore {self.source_arn.rsplit(':', 1)[-1]} ({self.region}) as of {self.moment.isoformat(timespec='seconds')} "
            f"into new cluster {self.identifier} with one {self.instance_class} instance (subnet group {self.subnet_group}, "
            f"security groups {', '.join(self.security_groups)}, key {self.kms_key or 'the source key'})"
        )


def plan_restore(client: ClientFactory, global_cluster_id: str, home_region: str, moment: datetime) -> tuple[RestorePlan | None, str | None]:
    """The restore of the current writer to ``moment``, or the reason there is none."""
    found = client("rds", home_region).describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
    writer = next((m["DBClusterArn"] for m in found[0]["GlobalClusterMembers"] if m.get("IsWriter")), None) if found else None
    if writer is None:
        return None, f"global cluster {global_cluster_id} has no writer to restore from"
    region = writer.split(":")[3]
    rds = client("rds", region)
    cluster = rds.describe_db_clusters(DBClusterIdentifier=writer)["DBClusters"][0]
    window = None
    if cluster.get("EarliestRestorableTime") and cluster.get("LatestRestorableTime"):
        window = Window(cluster["EarliestRestorableTime"].astimezone(UTC), cluster["LatestRestorableTime"].astimezone(UTC))
    reason = refusal(window, moment)
    if reason:
        return None, reason
    members = cluster.get("DBClusterMembers", [])
    writer_instance = next(
        (m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")), members[0]["DBInstanceIdentifier"] if members else None
    )
    instance_class = "db.r6g.large"
    if writer_instance:
        instance_class = rds.describe_db_instances(DBInstanceIdentifier=writer_instance)["DBInstances"][0]["DBInstanceClass"]
    return (
        RestorePlan(
            source_arn=writer,
            region=region,
            identifier=restored_identifier(cluster["DBClusterIdentifier"], moment),
            moment=moment,
            subnet_group=cluster["DBSubnetGroup"],
            security_groups=tuple(g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])),
            parameter_group=cluster.get("DBClusterParameterGroup"),
            kms_key=cluster.get("KmsKeyId"),
            engine=cluster["Engine"],
            instance_class=instance_class,
        ),
        None,
    )


def execute(client: ClientFactory, plan: RestorePlan, say: Callable[[str], None], timeout: float = 1800, poll: float = 10) -> dict[str, Any]:
    rds = client("rds", plan.region)
    started = time.monotonic()
    request: dict[str, Any] = {
        "DBClusterIdentifier": plan.identifier,
        "SourceDBClusterIdentifier": plan.source_arn,
        "RestoreToTime": plan.moment,
        "DBSubnetGroupName": plan.subnet_group,
        "VpcSecurityGroupIds": list(plan.security_groups),
        "EnableIAMDatabaseAuthentication": True,
        "DeletionProtection": False,
        "CopyTagsToSnapshot": True,
        "Tags": [{"Key": RESTORED_TAG, "Value": f"{plan.source_arn}@{plan.moment.isoformat(timespec='seconds')}"}],
    }
    if plan.parameter_group:
        request["DBClusterParameterGroupName"] = plan.parameter_group
    if plan.kms_key:
        request["KmsKeyId"] = plan.kms_key
    rds.restore_db_cluster_to_point_in_time(**request)
    while rds.describe_db_clusters(DBClusterIdentifier=plan.identifier)["DBClusters"][0]["Status"] != "available":
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{plan.identifier} is not available after {timeout:.0f} s")
        say(f"waiting for {plan.identifier}: {time.monotonic() - started:.0f} s")
        time.sleep(poll)
    instance = f"{plan.identifier}-1"[:MAX_IDENTIFIER]
    rds.create_db_instance(
        DBInstanceIdentifier=instance,
        DBClusterIdentifier=plan.identifier,
        Engine=plan.engine,
        DBInstanceClass=plan.instance_class,
        PubliclyAccessible=False,  # as the stack's own instances: a restore never gets a public address
        Tags=[{"Key": RESTORED_TAG, "Value": plan.source_arn}],
    )
    cluster = rds.describe_db_clusters(DBClusterIdentifier=plan.identifier)["DBClusters"][0]
    seconds = round(time.monotonic() - started, 1)
    say(f"restored: {plan.identifier} ({plan.region}), endpoint {cluster.get('Endpoint')}, instance {instance}, in {seconds} s")
    say("what now: the restored data is a standalone cluster beside the global database, untouched by replication.")
    say("  - to repair rows: read them from the restored endpoint and write them back through the writer")
    say("    (pg_dump --table, or INSERT ... SELECT through postgres_fdw);")
    say("  - to make it the database: move applications to it, then build a new global database from it")
    say("    (a reviewed change of the stack, not a runbook step);")
    say(f"  - when done: drkit runbook discard --restored {plan.identifier} --env <env>")
    return {"identifier": plan.identifier, "endpoint": cluster.get("Endpoint"), "instance": instance, "seconds": seconds}


def discard(client: ClientFactory, region: str, identifier: str, say: Callable[[str], None]) -> str | None:
    """Delete a restored cluster and its instances; the reason when it is not a restore."""
    rds = client("rds", region)
    clusters = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    if not clusters or not is_restore(clusters[0]):
        return f"{identifier} is not a restored cluster (its identifier must contain {RESTORE_MARK!r} and carry the {RESTORED_TAG} tag)"
    for member in clusters[0].get("DBClusterMembers", []):
        rds.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True)
        say(f"deleted instance {member['DBInstanceIdentifier']}")
    rds.delete_db_cluster(DBClusterIdentifier=identifier, SkipFinalSnapshot=True)
    say(f"deleted restored cluster {identifier}")
    return None
