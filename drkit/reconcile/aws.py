"""The AWS side of a reconciliation: which failover, which snapshot, its preservation, its restore, the credentials.

Everything here runs with the DR role's permissions (``constructs_lib.point_of_failure.reconcile_grants``)
and calls only what is listed there. The restore is ``drkit.restore.restore_from_snapshot``, which takes the whole
request (``SnapshotRestoreRequest``) and resumes a restore already under way with the point-in-time restore's
machinery (no fixed wait cap, a stuck state reported, a cluster that is not a restore refused).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drkit.reconcile.decide import Sighting
from drkit.restore import RESTORED_TAG, SnapshotRestoreRequest, restore_from_snapshot, restored_identifier, wait_until_available
from functions.replication_monitor import preserve

ClientFactory = Callable[[str, str], Any]
Say = Callable[[str], None]
RECONCILE_TAG = "drkit:reconcile"  # on a restore of a preserved copy: what it is for


@dataclass(frozen=True, kw_only=True)
class Target:
    """What a reconciliation needs from the configuration (``drkit/runbook.py`` builds it from ``Names``)."""

    environment: str
    global_cluster_id: str
    regions: tuple[str, ...]
    cluster_ids: Mapping[str, str]  # region -> member cluster
    secrets: Mapping[str, str]  # region -> the master credentials' secret
    lossy_failover_parameter: str
    instance_class: str
    margin_seconds: float = 300.0


def global_members(client: ClientFactory, target: Target, say: Say) -> list[dict[str, Any]]:
    """The global cluster's members (GlobalClusterMembers), read in the first region that answers."""
    for region in target.regions:
        try:
            return preserve.read_global_members(client, region, target.global_cluster_id)
        except Exception as error:
            say(f"the global cluster could not be read in {region}: {str(error).splitlines()[0][:500]}")
    return []


def writer_of(members: list[dict[str, Any]]) -> str | None:
    return next((str(m["DBClusterArn"]) for m in members if m.get("IsWriter")), None)


def writer_arn(client: ClientFactory, target: Target, say: Say) -> str | None:
    """The current writer, read in the first region that answers."""
    return writer_of(global_members(client, target, say))


def recorded_failovers(client: ClientFactory, target: Target, say: Say) -> list[preserve.LossyFailover]:
    found: list[preserve.LossyFailover] = []
    for region in target.regions:
        try:
            found += preserve.read_markers(client("ssm", region), target.lossy_failover_parameter)
        except Exception as error:
            say(f"the failover records of {region} could not be read: {str(error).splitlines()[0][:500]}")
    return sorted(found, key=lambda m: m.failed_over_at)


def sightings(client: ClientFactory, target: Target, say: Say) -> tuple[list[Sighting], list[str]]:
    """Every member's point-of-failure snapshots and drkit's copies of them (recorded failover or not), and the regions
    that did not answer (an old primary's region may still be away)."""
    found: list[Sighting] = []
    unanswered: list[str] = []
    for region in target.regions:
        cluster = target.cluster_ids[region]
        try:
            snapshots = preserve.list_snapshots(client("rds", region), cluster)
        except Exception as error:
            if _denied(error):
                raise  # a missing permission is not a region that has not returned
            say(f"the snapshots of {cluster} could not be listed in {region}: {str(error).splitlines()[0][:500]}")
            unanswered.append(region)
            continue
        kept = [*preserve.points_of_failure(snapshots, cluster), *preserve.preserved_copies(snapshots, preserve.copy_prefix(cluster))]
        found += [Sighting(region, cluster, s.created) for s in kept]
    return found, unanswered


def _denied(error: Exception) -> bool:
    return "AccessDenied" in str(error) or "not authorized" in str(error)


@dataclass(frozen=True)
class Source:
    """The point-of-failure snapshot of one failover and its preserved copy (None: not there)."""

    region: str
    cluster: str
    system_snapshot: preserve.Snapshot | None
    copy: preserve.Snapshot | None
    unreachable: str | None = None  # why the old primary's region could not be read (it has not returned)
    status: str | None = None  # the old primary cluster's, as its region answered


def find_source(client: ClientFactory, region: str, cluster: str, after: datetime | None, say: Say, markers: list[preserve.LossyFailover]) -> Source:
    """Preserve (as the monitor does, idempotently), then the newest snapshot and copy of ``cluster`` taken after ``after``."""
    try:
        old = member(client, region, cluster)
    except Exception as error:
        if _denied(error):
            raise  # a missing permission is not a region that has not returned
        return Source(region, cluster, None, None, unreachable=str(error).splitlines()[0][:500])
    for done in preserve.preserve(client, region, cluster, old.get("KmsKeyId"), lambda: markers):
        say(f"preserved {done.plan.source.identifier} as {done.plan.target}" if done.created else f"{done.plan.target} was just made by another run")
    snapshots = preserve.list_snapshots(client("rds", region), cluster)
    since = after or datetime.min.replace(tzinfo=UTC)
    taken = [s for s in preserve.points_of_failure(snapshots, cluster) if s.created >= since]
    copies = [s for s in preserve.preserved_copies(snapshots, preserve.copy_prefix(cluster)) if s.created >= since]
    return Source(region, cluster, taken[-1] if taken else None, copies[-1] if copies else None, status=str(old.get("Status", "")) or None)


def wait_for_copy(
    client: ClientFactory, source: Source, copy: preserve.Snapshot, say: Say, poll: float, sleep: Callable[[float], None] = time.sleep
) -> preserve.Snapshot:
    """The copy once it is ``available``. CopyDBClusterSnapshot returns while the copy is still being made (its status
    ``creating`` or ``copying``: botocore rds model, DBClusterSnapshot.Status), and RestoreDBClusterFromSnapshot refuses a
    snapshot in any other state (InvalidDBClusterSnapshotStateFault, "The supplied value isn't a valid DB cluster
    snapshot state"). Read as ``find_source`` reads it (the member's snapshots), so the grants stay the same; a copy that
    fails ends the wait (``drkit.restore.STUCK``) and the next run copies the snapshot again under another name."""

    def describe() -> dict[str, Any] | None:
        snapshots = preserve.list_snapshots(client("rds", source.region), source.cluster)
        found = next((s for s in snapshots if s.identifier == copy.identifier), None)
        return None if found is None else {"Status": found.status, "Snapshot": found}

    found = wait_until_available(describe, f"the preserved copy {copy.identifier}", say, poll, sleep)
    return found["Snapshot"]  # type: ignore[no-any-return]


def member(client: ClientFactory, region: str, cluster: str) -> dict[str, Any]:
    return dict(client("rds", region).describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0])


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


__all__ = ["SnapshotRestoreRequest", "restore_from_snapshot"]  # shared with drkit/restore.py: reconcile's restore resumes as a point-in-time one does
