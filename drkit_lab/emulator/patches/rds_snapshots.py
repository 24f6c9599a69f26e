"""RDS: the point-of-failure snapshot of an unplanned global failover, snapshot copies, restores from a snapshot.

Aurora User Guide, "Using switchover or failover in Amazon Aurora Global Database" (managed failovers):
"To ensure the data is in a consistent state, Aurora creates a new storage volume for the old primary
Region after it recovers. Before creating the new storage volume in the AWS Region, Aurora attempts to
take a snapshot of the old storage volume at the point of failure. ... If this operation is successful,
Aurora places this snapshot named ``rds:unplanned-global-failover-name-of-old-primary-DB-cluster-timestamp``
... The snapshot of the old storage volume is a system snapshot that's subject to the backup retention
period configured on the old primary cluster. To preserve this snapshot outside of the retention period,
you can copy it to save it as a manual snapshot."

moto has no such snapshot, and its copies and restores are more lenient than AWS. The control
``/_drkit/point-of-failure`` (:func:`control`) makes the attempt fail and the retention short, so
tests can show what AWS allows to happen.
"""

from __future__ import annotations

import copy
import re
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import utcnow
from moto.rds import models as rds_models
from moto.rds import responses as rds_responses
from moto.rds.exceptions import RDSClientError

from drkit_lab.emulator.patches.rds import _NOT_RESTORED, find_global_cluster
from drkit_lab.emulator.patches.registry import patch

POINT_OF_FAILURE_PREFIX = "rds:unplanned-global-failover-"
# A DB cluster snapshot identifier: "Must contain from 1 to 63 letters, numbers, or hyphens. First character
# must be a letter. Can't end with a hyphen or contain two consecutive hyphens." (RDS API reference,
# CopyDBClusterSnapshot, TargetDBClusterSnapshotIdentifier)
SNAPSHOT_IDENTIFIER = re.compile(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)")
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Pending:
    account: str
    region: str
    cluster: str  # the old primary
    failed_over_at: datetime


@dataclass(frozen=True)
class Taken:
    account: str
    region: str
    identifier: str
    created: datetime
    retention_days: int


@dataclass
class Copying:
    """A copy still being made: how many more reads it is ``copying`` for, and whether it then fails."""

    snapshot: Any
    reads_left: int
    fails: bool


@dataclass
class PointOfFailureState:
    pending: list[Pending] = field(default_factory=list)
    taken: dict[str, Taken] = field(default_factory=dict)  # snapshot ARN -> what expires it
    failures: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0  # how many of the next attempts fail
    retention_seconds: float | None = None  # instead of the old cluster's backup retention (days): for tests
    copy_reads: int = 0  # a new copy is "copying" for this many reads of the snapshots (AWS: until it is made)
    fail_copies: int = 0  # how many of the next copies end "failed" (after their copy_reads)
    copying: dict[str, Copying] = field(default_factory=dict)  # copy ARN -> its progress
    lock: threading.RLock = field(default_factory=threading.RLock)


STATE = PointOfFailureState()


def _log(message: str) -> None:
    print(f"drkit emulator: {message}", file=sys.stderr, flush=True)


def _backend(account: str, region: str) -> rds_models.RDSBackend:
    return rds_models.rds_backends[account][region]


def _down_regions() -> set[str]:
    from drkit_lab.emulator.control import STATE as CONTROL

    return set(CONTROL.down_regions)


def attempt(pending: Pending) -> str | None:
    """Aurora's attempt at the point-of-failure snapshot of ``pending.cluster``: its ARN, or None when it failed."""
    from drkit_lab.emulator import hooks

    with STATE.lock:
        if pending in STATE.pending:
            STATE.pending.remove(pending)
        backend = _backend(pending.account, pending.region)
        cluster = backend.clusters.get(pending.cluster)
        reason = "a forced failure (the control fail_next)" if STATE.fail_next > 0 else None
        if reason is None and cluster is None:
            reason = "the old primary cluster no longer exists"
        if reason is not None:
            STATE.fail_next = max(0, STATE.fail_next - 1)
            STATE.failures.append({"cluster": pending.cluster, "region": pending.region, "at": utcnow().isoformat(), "reason": reason})
            _log(f"point-of-failure snapshot of {pending.cluster} ({pending.region}) NOT taken: {reason}")
            return None
        now = utcnow()
        # The timestamp's format is not documented: nothing in drkit may depend on it (tools match the prefix).
        identifier = f"{POINT_OF_FAILURE_PREFIX}{pending.cluster}-{now:%Y-%m-%d-%H-%M-%S}"
        suffix = 1
        while identifier.lower() in backend.cluster_snapshots:
            suffix += 1
            identifier = f"{POINT_OF_FAILURE_PREFIX}{pending.cluster}-{now:%Y-%m-%d-%H-%M-%S}-{suffix}"
        # SnapshotType: AWS calls it "a system snapshot" and does not say which SnapshotType it reports; "automated"
        # is the closest value botocore documents (rds:-prefixed names are RDS's own, automated snapshots).
        snapshot = backend.create_db_cluster_snapshot(pending.cluster, identifier, snapshot_type="automated")
        STATE.taken[snapshot.arn] = Taken(pending.account, pending.region, identifier, now, int(cluster.backup_retention_period or 1))
        _log(f"point-of-failure snapshot {identifier} of {pending.cluster} ({pending.region}) taken")
    hooks.snapshot_taken(pending.cluster, snapshot.arn)
    return str(snapshot.arn)


def region_settled(region: str) -> None:
    """The old primary's region is back (the data plane has set its diverged data aside): Aurora's attempt."""
    for pending in [p for p in list(STATE.pending) if p.region == region]:
        attempt(pending)


def expire_due(now: datetime | None = None) -> list[str]:
    """Remove point-of-failure snapshots whose retention has ended, as AWS does with system snapshots."""
    from drkit_lab.emulator import hooks

    now = now or utcnow()
    expired = []
    with STATE.lock:
        for arn, taken in list(STATE.taken.items()):
            keep = STATE.retention_seconds if STATE.retention_seconds is not None else taken.retention_days * SECONDS_PER_DAY
            if now - taken.created < timedelta(seconds=keep):
                continue
            STATE.taken.pop(arn)
            _backend(taken.account, taken.region).cluster_snapshots.pop(taken.identifier, None)
            expired.append(arn)
            _log(f"point-of-failure snapshot {taken.identifier} expired with its retention ({keep:g} s)")
    for arn in expired:
        hooks.snapshot_deleted(arn)
    return expired


def start_copy(target: Any) -> None:
    """A copy just made: "copying" for ``copy_reads`` reads, then "available" (or "failed", ``fail_copies``)."""
    with STATE.lock:
        fails = STATE.fail_copies > 0
        STATE.fail_copies = max(0, STATE.fail_copies - 1)
        if STATE.copy_reads > 0 or fails:
            target.status = "copying"
            STATE.copying[str(target.arn)] = Copying(target, STATE.copy_reads, fails)


def advance_copies() -> None:
    """One read of the snapshots: every copy in progress is one read closer to its end."""
    with STATE.lock:
        for arn, copying in list(STATE.copying.items()):
            copying.reads_left -= 1
            if copying.reads_left <= 0:
                copying.snapshot.status = "failed" if copying.fails else "available"
                STATE.copying.pop(arn)
                _log(f"snapshot copy {copying.snapshot.db_cluster_snapshot_identifier} is {copying.snapshot.status}")


def control(method: str, body: dict[str, Any]) -> dict[str, Any]:
    """``/_drkit/point-of-failure``: ``{"fail_next": n}`` makes the next n attempts fail; ``{"retention_seconds": s}``
    (or null) replaces the old cluster's backup retention for every point-of-failure snapshot; ``{"expire_now": true}``
    ends the retention of every one now; ``{"copy_reads": n}`` keeps each new snapshot copy "copying" for n reads of the
    snapshots, ``{"fail_copies": n}`` makes the next n copies end "failed". Answers what is pending, taken and failed."""
    if method == "POST":
        with STATE.lock:
            if "fail_next" in body:
                STATE.fail_next = int(body["fail_next"])
            if "copy_reads" in body:
                STATE.copy_reads = int(body["copy_reads"])
            if "fail_copies" in body:
                STATE.fail_copies = int(body["fail_copies"])
            if "retention_seconds" in body:
                value = body["retention_seconds"]
                STATE.retention_seconds = None if value is None else float(value)
        if body.get("expire_now"):
            with STATE.lock:
                STATE.retention_seconds, saved = 0.0, STATE.retention_seconds
            try:
                expire_due()
            finally:
                with STATE.lock:
                    STATE.retention_seconds = saved
        else:
            expire_due()
    with STATE.lock:
        return {
            "pending": [{"cluster": p.cluster, "region": p.region, "failed_over_at": p.failed_over_at.isoformat()} for p in STATE.pending],
            "taken": [{"arn": arn, "created": t.created.isoformat(), "retention_days": t.retention_days} for arn, t in STATE.taken.items()],
            "failures": list(STATE.failures),
            "fail_next": STATE.fail_next,
            "retention_seconds": STATE.retention_seconds,
            "copying": sorted(STATE.copying),
            "copy_reads": STATE.copy_reads,
            "fail_copies": STATE.fail_copies,
        }


@patch
def point_of_failure_snapshot() -> None:
    """AWS: after FailoverGlobalCluster with AllowDataLoss, once the old primary's region is healthy again,
    Aurora *attempts* a snapshot of the old storage volume at the point of failure, named
    ``rds:unplanned-global-failover-<old primary cluster>-<timestamp>``, a system snapshot subject to
    the old primary cluster's backup retention (Aurora User Guide, "Using switchover or failover in
    Amazon Aurora Global Database"). Here: taken at once when the old region is up, else when it returns,
    in the old primary's region (AWS implies it, without saying), with the old cluster's engine and KMS key;
    SnapshotType ``automated`` (AWS does not state it); it expires with the cluster's backup retention
    (days, or the control's seconds); the control can make an attempt fail. With a data plane it holds
    the old writer's set-aside data directory.

    moto has no such snapshot."""
    from drkit_lab.emulator import control as controls
    from drkit_lab.emulator import hooks

    original_failover = rds_responses.RDSResponse.failover_global_cluster  # type: ignore[attr-defined]

    def failover(self: rds_responses.RDSResponse) -> Any:
        allow = str(self.params.get("AllowDataLoss", "false")).lower() == "true"
        global_cluster = find_global_cluster(self.current_account, str(self.params.get("GlobalClusterIdentifier", "")))
        old = next((m for m in global_cluster.members if m.is_writer), None) if global_cluster is not None else None
        result = original_failover(self)
        if allow and old is not None and not old.is_writer:
            pending = Pending(self.current_account, old.region, old.db_cluster_identifier, utcnow())
            with STATE.lock:
                STATE.pending.append(pending)
            if old.region not in _down_regions():  # the old region is healthy: Aurora rebuilds it now, after the attempt
                attempt(pending)
        return result

    rds_responses.RDSResponse.failover_global_cluster = failover  # type: ignore[attr-defined]
    hooks.on_region_settled(region_settled)
    controls.CONTROLS["/_drkit/point-of-failure"] = control

    for name in ("describe_db_cluster_snapshots", "get_db_cluster_snapshot"):
        original = getattr(rds_models.RDSBackend, name)

        def expiring(self: rds_models.RDSBackend, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            expire_due()
            advance_copies()
            return _original(self, *args, **kwargs)

        setattr(rds_models.RDSBackend, name, expiring)


def _same_region_snapshot(backend: rds_models.RDSBackend, identifier: str, parameter: str) -> str:
    """A snapshot named by identifier or by ARN in the caller's region (this emulator does not copy across regions)."""
    if not identifier.startswith("arn:"):
        return identifier
    parts = identifier.split(":", 6)
    if len(parts) < 7 or parts[5] != "cluster-snapshot":
        raise RDSClientError("InvalidParameterValue", f"{parameter}: {identifier} is not a DB cluster snapshot ARN")
    if parts[3] != backend.region_name:
        where = f"{parameter}: {identifier} is in {parts[3]}"
        raise RDSClientError("InvalidParameterValue", f"{where}; this emulator copies and restores within a region")
    return parts[6]


@patch
def cluster_snapshot_copies_as_aws() -> None:
    """AWS CopyDBClusterSnapshot (RDS API reference): the source is named by identifier or (across regions:
    must be) by ARN and "Must specify a valid source snapshot in the "available" state"; the target
    identifier "Must contain from 1 to 63 letters, numbers, or hyphens. First character must be a letter.
    Can't end with a hyphen or contain two consecutive hyphens"; "If you copy an unencrypted DB cluster
    snapshot and specify a value for the KmsKeyId parameter, an error is returned." The copy is a manual
    snapshot. With a data plane, it holds the same data as its source. It is returned while still being made: "To
    cancel the copy operation once it is in progress, delete the target DB cluster snapshot identified by
    TargetDBClusterSnapshotIdentifier while that DB cluster snapshot is in "copying" status" (the same reference); the
    control can keep a copy ``copying`` for some reads, and make it end ``failed``.

    moto refuses a source named by its ARN, accepts any target name and a key for an unencrypted source, and makes every
    copy available at once."""
    from drkit_lab.emulator import hooks

    original_copy = rds_models.RDSBackend.copy_db_cluster_snapshot
    original_delete = rds_models.RDSBackend.delete_db_cluster_snapshot

    def copy_snapshot(
        self: rds_models.RDSBackend,
        source_db_cluster_snapshot_identifier: str,
        target_db_cluster_snapshot_identifier: str,
        kms_key_id: str | None = None,
        copy_tags: bool = False,
        tags: list[dict[str, str]] | None = None,
        **rest: Any,
    ) -> Any:
        expire_due()
        source_id = _same_region_snapshot(self, source_db_cluster_snapshot_identifier, "SourceDBClusterSnapshotIdentifier")
        if not SNAPSHOT_IDENTIFIER.fullmatch(target_db_cluster_snapshot_identifier or ""):
            raise RDSClientError(
                "InvalidParameterValue",
                f"TargetDBClusterSnapshotIdentifier {target_db_cluster_snapshot_identifier!r}: 1-63 letters, numbers or hyphens, "
                "starting with a letter, without two consecutive hyphens or a hyphen at the end",
            )
        source = self.get_db_cluster_snapshot(source_id)
        if source.status != "available":
            raise RDSClientError("InvalidDBClusterSnapshotStateFault", f"{source_id} is {source.status}, not available")
        if kms_key_id and not source.encrypted:
            raise RDSClientError("InvalidParameterCombination", f"{source_id} is not encrypted: a KmsKeyId cannot be given for its copy")
        target = original_copy(self, source_id, target_db_cluster_snapshot_identifier, kms_key_id=kms_key_id, copy_tags=copy_tags, tags=tags, **rest)
        hooks.snapshot_copied(str(source.arn), str(target.arn))
        start_copy(target)
        return target

    def delete_snapshot(self: rds_models.RDSBackend, db_snapshot_identifier: str) -> Any:
        snapshot = original_delete(self, _same_region_snapshot(self, db_snapshot_identifier, "DBClusterSnapshotIdentifier"))
        STATE.taken.pop(str(snapshot.arn), None)
        hooks.snapshot_deleted(str(snapshot.arn))
        return snapshot

    rds_models.RDSBackend.copy_db_cluster_snapshot = copy_snapshot  # type: ignore[method-assign]
    rds_models.RDSBackend.delete_db_cluster_snapshot = delete_snapshot  # type: ignore[method-assign]


@patch
def restore_from_snapshot_is_standalone() -> None:
    """AWS RestoreDBClusterFromSnapshot (RDS API reference) creates a new cluster from a snapshot in the
    "available" state, named by identifier or ARN, in the subnet group, security groups and parameter
    group the request names; "If the DB snapshot or DB cluster snapshot in SnapshotIdentifier is
    encrypted, then the restored DB cluster is encrypted using the KMS key that was used to encrypt"
    it unless KmsKeyId names another; Engine "Must be compatible with the engine of the source"; it
    "only restores the DB cluster, not the DB instances". The restore is not a member of any global
    database. With a data plane it is a real PostgreSQL server started from the snapshot's data.

    moto copies every attribute of the snapshot's cluster, its global-cluster membership included (the
    restore would join the global database and get a replica of the writer), and refuses ARNs."""
    from drkit_lab.emulator import hooks

    def restore(self: rds_models.RDSBackend, from_snapshot_id: str, overrides: dict[str, Any]) -> rds_models.DBCluster:
        expire_due()
        snapshot = self.get_db_cluster_snapshot(_same_region_snapshot(self, str(from_snapshot_id or ""), "SnapshotIdentifier"))
        if snapshot.status != "available":
            raise RDSClientError("InvalidDBClusterSnapshotStateFault", f"{snapshot.db_cluster_snapshot_identifier} is {snapshot.status}")
        request = {str(key): value for key, value in overrides.items() if value is not None}
        engine = request.get("engine")
        if engine and engine != snapshot.engine:
            raise RDSClientError("InvalidParameterCombination", f"Engine {engine} is not compatible with the snapshot's engine {snapshot.engine}")
        props: dict[str, Any] = {}
        for attribute, value in snapshot.cluster.__dict__.items():
            name = attribute.lstrip("_")
            if name not in _NOT_RESTORED:
                props[name] = copy.copy(value)
        for key in ("snapshot_identifier", "db_cluster_identifier"):
            request.pop(key, None)
        props.update(request)
        props["db_cluster_identifier"] = overrides["db_cluster_identifier"]
        props["kms_key_id"] = request.get("kms_key_id") or snapshot.kms_key_id
        props["storage_encrypted"] = bool(snapshot.encrypted)
        props["deletion_protection"] = bool(request.get("deletion_protection", False))  # "By default, deletion protection isn't enabled."
        # The snapshot's credentials; moto keeps none for a cluster created as a secondary (a snapshot of one that was
        # promoted later, by a failover, has none either), and a standalone cluster must have them: placeholders.
        if not props.get("master_user_password"):
            props["master_user_password"] = "restored-credentials-of-the-snapshot"
        if not props.get("master_username"):
            props["master_username"] = "restored-master-of-the-snapshot"
        cluster = self.create_db_cluster(props)
        hooks.cluster_restored(cluster, str(snapshot.arn))
        return cluster

    rds_models.RDSBackend.restore_db_cluster_from_snapshot = restore  # type: ignore[method-assign]


@patch
def automated_snapshots_go_with_their_cluster() -> None:
    """AWS DeleteDBCluster (RDS API reference): "When you delete a DB cluster, all automated backups for that DB cluster
    are deleted and can't be recovered. Manual DB cluster snapshots of the specified DB cluster are not deleted."

    moto keeps a deleted cluster's automated snapshots, so a cluster created again under the same name within the same
    minute (a restore discarded and made again) fails: its first automated snapshot's name is taken."""
    from drkit_lab.emulator import hooks

    original_delete = rds_models.RDSBackend.delete_db_cluster

    def delete(self: rds_models.RDSBackend, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
        cluster = original_delete(self, cluster_identifier, snapshot_name)
        for key, snapshot in list(self.cluster_snapshots.items()):
            if snapshot.snapshot_type == "automated" and snapshot.db_cluster_identifier == cluster.db_cluster_identifier:
                self.cluster_snapshots.pop(key)
                STATE.taken.pop(str(snapshot.arn), None)
                hooks.snapshot_deleted(str(snapshot.arn))
        return cluster

    rds_models.RDSBackend.delete_db_cluster = delete  # type: ignore[method-assign]
