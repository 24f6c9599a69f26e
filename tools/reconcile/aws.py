"""The AWS side of a reconciliation: which failover, which snapshot, its preservation, its restore, the credentials.

Everything here runs with the DR role's permissions (``constructs_lib.point_of_failure.reconcile_grants``)
and calls only what is listed there. The restore is :func:`restore_from_snapshot`, which takes the whole
request (:class:`SnapshotRestoreRequest`) and resumes a restore already under way, so the point-in-time
restore (``tools/restore.py``) can share its waiting and resuming.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.replication_monitor import preserve
from tools.restore import MAX_IDENTIFIER, RESTORED_TAG, is_restore, restored_identifier

ClientFactory = Callable[[str, str], Any]
Say = Callable[[str], None]
RECONCILE_TAG = "drkit:reconcile"  # on a restore of a preserved copy: what it is for


@dataclass(frozen=True, kw_only=True)
class Target:
    """What a reconciliation needs from the configuration (``tools/runbook.py`` builds it from ``Names``)."""

    environment: str
    global_cluster_id: str
    regions: tuple[str, ...]
    cluster_ids: Mapping[str, str]  # region -> member cluster
    secrets: Mapping[str, str]  # region -> the master credentials' secret
    lossy_failover_parameter: str
    instance_class: str
    margin_seconds: float = 300.0


def writer_arn(client: ClientFactory, target: Target, say: Say) -> str | None:
    """The current writer, read in the first region that answers."""
    for region in target.regions:
        try:
            found = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=target.global_cluster_id)["GlobalClusters"]
        except Exception as error:
            say(f"the global cluster could not be read in {region}: {str(error).splitlines()[0][:500]}")
            continue
        return next((m["DBClusterArn"] for m in found[0]["GlobalClusterMembers"] if m.get("IsWriter")), None) if found else None
    return None


def recorded_failovers(client: ClientFactory, target: Target, say: Say) -> list[preserve.LossyFailover]:
    found: list[preserve.LossyFailover] = []
    for region in target.regions:
        try:
            found += preserve.read_markers(client("ssm", region), target.lossy_failover_parameter)
        except Exception as error:
            say(f"the failover records of {region} could not be read: {str(error).splitlines()[0][:500]}")
    return sorted(found, key=lambda m: m.failed_over_at)


@dataclass(frozen=True)
class Source:
    """The point-of-failure snapshot of one failover and its preserved copy (None: not there)."""

    region: str
    cluster: str
    system_snapshot: preserve.Snapshot | None
    copy: preserve.Snapshot | None
    unreachable: str | None = None  # why the old primary's region could not be read (it has not returned)


def find_source(client: ClientFactory, region: str, cluster: str, after: datetime | None, say: Say, markers: list[preserve.LossyFailover]) -> Source:
    """Preserve (as the monitor does, idempotently), then the newest snapshot and copy of ``cluster`` taken after ``after``."""
    try:
        old = member(client, region, cluster)
    except Exception as error:
        if "AccessDenied" in str(error) or "not authorized" in str(error):
            raise  # a missing permission is not a region that has not returned
        return Source(region, cluster, None, None, unreachable=str(error).splitlines()[0][:500])
    for done in preserve.preserve(client, region, cluster, old.get("KmsKeyId"), lambda: markers):
        say(f"preserved {done.plan.source.identifier} as {done.plan.target}" if done.created else f"{done.plan.target} was just made by another run")
    snapshots = preserve.list_snapshots(client("rds", region), cluster)
    since = after or datetime.min.replace(tzinfo=UTC)
    taken = [s for s in preserve.points_of_failure(snapshots, cluster) if s.created >= since]
    copies = [s for s in preserve.preserved_copies(snapshots, preserve.copy_prefix(cluster)) if s.created >= since]
    return Source(region, cluster, taken[-1] if taken else None, copies[-1] if copies else None)


def member(client: ClientFactory, region: str, cluster: str) -> dict[str, Any]:
    return dict(client("rds", region).describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0])


@dataclass(frozen=True, kw_only=True)
class SnapshotRestoreRequest:
    """A restore of a snapshot beside the global database: a standalone cluster and one instance."""

    region: str
    identifier: str
    snapshot: str
    engine: str
    engine_version: str | None
    subnet_group: str
    security_groups: tuple[str, ...]
    parameter_group: str | None
    kms_key: str | None
    instance_class: str
    tags: tuple[tuple[str, str], ...]

    @property
    def instance(self) -> str:
        return f"{self.identifier}-1"[:MAX_IDENTIFIER]

    def describe(self) -> str:
        return (
            f"restore {self.snapshot} ({self.region}) into new cluster {self.identifier} with one {self.instance_class} instance "
            f"(subnet group {self.subnet_group}, security groups {', '.join(self.security_groups) or 'default'}, "
            f"key {self.kms_key or 'the snapshot key'})"
        )


def restore_request(client: ClientFactory, target: Target, source: Source, copy: preserve.Snapshot) -> SnapshotRestoreRequest:
    """Beside the old primary's member cluster: its subnet group, security groups, parameter group and key."""
    cluster = member(client, source.region, source.cluster)
    return SnapshotRestoreRequest(
        region=source.region,
        identifier=restored_identifier(source.cluster, copy.created),  # the same copy always restores to the same name: resumable
        snapshot=copy.identifier,
        engine=str(cluster.get("Engine", "aurora-postgresql")),
        engine_version=cluster.get("EngineVersion"),
        subnet_group=str(cluster.get("DBSubnetGroup") or "default"),
        security_groups=tuple(g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])),
        parameter_group=cluster.get("DBClusterParameterGroup"),
        kms_key=cluster.get("KmsKeyId"),
        instance_class=target.instance_class,
        tags=((RESTORED_TAG, copy.arn), (RECONCILE_TAG, f"point-of-failure copy {copy.identifier}")),
    )


def _wait(check: Callable[[], str | None], what: str, say: Say, poll: float, timeout: float | None) -> None:
    """Until ``check`` answers None (it answers the state it waits on); no fixed cap unless ``timeout``."""
    started = time.monotonic()
    while (state := check()) is not None:
        if timeout is not None and time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} is still {state} after {timeout:.0f} s; run the command again to continue")
        say(f"waiting for {what}: {state}, {time.monotonic() - started:.0f} s")
        time.sleep(poll)


def restore_from_snapshot(
    client: ClientFactory, request: SnapshotRestoreRequest, say: Say, poll: float = 10.0, timeout: float | None = None
) -> dict[str, Any]:
    """The restored cluster (created, or found from an earlier run and continued) with its instance, both available."""
    rds = client("rds", request.region)
    try:
        existing = rds.describe_db_clusters(DBClusterIdentifier=request.identifier)["DBClusters"]
    except Exception as error:
        if "DBClusterNotFound" not in str(error):
            raise
        existing = []
    if existing and not is_restore(existing[0]):
        raise RuntimeError(f"{request.identifier} exists and is not a drkit restore: refusing to use it")
    if existing:
        say(f"continuing the restore {request.identifier} ({existing[0].get('Status')})")
    else:
        call: dict[str, Any] = {
            "DBClusterIdentifier": request.identifier,
            "SnapshotIdentifier": request.snapshot,
            "Engine": request.engine,
            "DBSubnetGroupName": request.subnet_group,
            "VpcSecurityGroupIds": list(request.security_groups),
            "DeletionProtection": False,
            "CopyTagsToSnapshot": True,
            "Tags": [{"Key": k, "Value": v} for k, v in request.tags],
        }
        for name, value in (
            ("EngineVersion", request.engine_version),
            ("DBClusterParameterGroupName", request.parameter_group),
            ("KmsKeyId", request.kms_key),
        ):
            if value:
                call[name] = value
        rds.restore_db_cluster_from_snapshot(**call)
        say(f"restoring {request.snapshot} into {request.identifier}")

    def cluster_state() -> str | None:
        status = str(rds.describe_db_clusters(DBClusterIdentifier=request.identifier)["DBClusters"][0].get("Status"))
        return None if status == "available" else status

    _wait(cluster_state, f"cluster {request.identifier}", say, poll, timeout)
    try:
        rds.describe_db_instances(DBInstanceIdentifier=request.instance)
    except Exception as error:
        if "DBInstanceNotFound" not in str(error):
            raise
        # RestoreDBClusterFromSnapshot "only restores the DB cluster, not the DB instances" (RDS API reference).
        rds.create_db_instance(
            DBInstanceIdentifier=request.instance,
            DBClusterIdentifier=request.identifier,
            Engine=request.engine,
            DBInstanceClass=request.instance_class,
            PubliclyAccessible=False,
            Tags=[{"Key": k, "Value": v} for k, v in request.tags],
        )

    def instance_state() -> str | None:
        status = str(rds.describe_db_instances(DBInstanceIdentifier=request.instance)["DBInstances"][0].get("DBInstanceStatus"))
        return None if status == "available" else status

    _wait(instance_state, f"instance {request.instance}", say, poll, timeout)
    return dict(rds.describe_db_clusters(DBClusterIdentifier=request.identifier)["DBClusters"][0])


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    database: str
    writer_host: str  # the global writer endpoint the applications use

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, database={self.database!r}, writer_host={self.writer_host!r})"


def credentials(client: ClientFactory, target: Target, regions: tuple[str, ...]) -> Credentials:
    """The master credentials from the stack's secret, read in the first of ``regions`` that answers."""
    problems = []
    for region in regions:
        try:
            secret = json.loads(client("secretsmanager", region).get_secret_value(SecretId=target.secrets[region])["SecretString"])
        except Exception as error:
            problems.append(f"{region}: {str(error).splitlines()[0][:500]}")
            continue
        return Credentials(str(secret["username"]), str(secret["password"]), str(secret.get("dbname") or "postgres"), str(secret["host"]))
    raise RuntimeError("the master credentials could not be read: " + "; ".join(problems))
