"""Point-in-time restore of the writer's data into a new cluster, next to the global database.

``drkit runbook restore --env E --to-time T`` (a dry run unless ``--execute``): Aurora's
continuous backups restore the *current writer's* cluster to any second inside its restorable window
(``DescribeDBClusters``: ``EarliestRestorableTime`` .. ``LatestRestorableTime``) into a **new**,
standalone cluster (``RestoreDBClusterToPointInTime``) in the same VPC, subnet group, security
group, parameter group and KMS key, then one instance of the writer's class (the API restores
the cluster only: instances are created separately). Nothing in the global database changes.
``discard --restored <id>`` removes such a cluster and its instances; it refuses any cluster that is
not a restore (identifier and tag both say so).

A real restore outlives the tool: Aurora takes minutes to hours (Aurora user guide, "Restoring a DB
cluster to a specified time"), and the DR role's session lasts an hour. So a restore is **resumable**:
its identifier comes from the source and the time, and a run that finds that cluster already there,
tagged as this restore, continues where the last one stopped (waits for the cluster, creates the
instance if it is missing, waits for it). The wait has no fixed cap; it ends when AWS says the cluster
or instance is available, or in a state that cannot become so. When the session expires or the
operator interrupts, the CLI says to assume the role again and run the same command.

A restore from a snapshot (``reconcile``'s restore of the preserved point-of-failure copy,
``drkit/reconcile/aws.py``) is resumable the same way: :func:`restore_from_snapshot` shares the waiting,
the instance and the refusal of a cluster that is not a restore (:func:`finish`).

The decisions are pure functions below; the CLI wires clients (the DR role's own credentials).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from constructs_lib.naming import RDS_IDENTIFIER_MAX, RESTORE_MARK, RESTORE_STAMP_FORMAT

ClientFactory = Callable[[str, str], Any]
RESTORED_TAG = "drkit:restored-from"
MAX_IDENTIFIER = RDS_IDENTIFIER_MAX  # config refuses environment names whose restores would not fit
# States a restored cluster or instance does not leave for ``available`` by itself (Aurora user guide, "DB cluster
# status" and "DB instance status"): failures an operator must look at, a deletion, and a stop. Waiting longer cannot
# help. A stopped cluster does start again by itself, but only after seven days ("If you don't manually start your DB
# cluster after seven days, your DB cluster is automatically started", Aurora user guide, "Stopping and starting an
# Amazon Aurora DB cluster"): someone stopped it, and someone must start it.
STOPPED = frozenset({"stopped", "stopping"})
STUCK = STOPPED | frozenset({
    "failed", "inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable", "incompatible-restore",
    "incompatible-parameters", "incompatible-network", "incompatible-option-group", "insufficient-capacity", "restore-error",
    "storage-full", "cloning-failed", "migration-failed", "deleting",
})  # fmt: skip
# RDS's reads are eventually consistent: a cluster or instance just created may not be listed at once. So many reads
# in a row may say "not found" before it has ever been seen; after that, or once it was seen, it is gone.
NOT_FOUND_READS = 5
# botocore/STS: what an expired session's credentials are answered with (AWS SDKs: ExpiredToken from the
# query APIs, ExpiredTokenException from the JSON ones; RequestExpired for a request signed too long ago).
SESSION_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})


class RestoreStuck(RuntimeError):
    """The restored cluster or instance is in a state it will not leave by waiting."""


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
    resume: bool = False  # the restored cluster exists already (an earlier run): continue it

    @property
    def instance(self) -> str:
        return f"{self.identifier}-1"[:MAX_IDENTIFIER]

    @property
    def tag(self) -> str:
        """What the restored cluster's tag says it is: its source and its time (one restore, one value)."""
        return f"{self.source_arn}@{self.moment.isoformat(timespec='seconds')}"

    def describe(self) -> str:
        verb = "resume the restore of" if self.resume else "restore"
        return (
            f"{verb} {self.source_arn.rsplit(':', 1)[-1]} ({self.region}) as of {self.moment.isoformat(timespec='seconds')} "
            f"into new cluster {self.identifier} with one {self.instance_class} instance (subnet group {self.subnet_group}, "
            f"security groups {', '.join(self.security_groups)}, key {self.kms_key or 'the source key'})"
        )


def _find_cluster(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    except rds.exceptions.DBClusterNotFoundFault:
        return None
    return dict(found[0]) if found else None


def _find_instance(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except rds.exceptions.DBInstanceNotFoundFault:
        return None
    return dict(found[0]) if found else None


def plan_restore(client: ClientFactory, global_cluster_id: str, home_region: str, moment: datetime) -> tuple[RestorePlan | None, str | None]:
    """The restore of the current writer to ``moment``, or the reason there is none."""
    found = client("rds", home_region).describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
    writer = next((m["DBClusterArn"] for m in found[0]["GlobalClusterMembers"] if m.get("IsWriter")), None) if found else None
    if writer is None:
        return None, f"global cluster {global_cluster_id} has no writer to restore from"
    region = writer.split(":")[3]
    rds = client("rds", region)
    cluster = rds.describe_db_clusters(DBClusterIdentifier=writer)["DBClusters"][0]
    identifier = restored_identifier(cluster["DBClusterIdentifier"], moment)
    earlier = _find_cluster(rds, identifier)
    if earlier is not None:  # an earlier run's restore: resume it (the window no longer matters), unless it is something else
        tags = {t["Key"]: t["Value"] for t in earlier.get("TagList", [])}
        wanted = f"{writer}@{moment.isoformat(timespec='seconds')}"
        if not is_restore(earlier) or tags.get(RESTORED_TAG) != wanted:
            return None, f"{identifier} exists and is not the restore of {wanted} (its {RESTORED_TAG} tag: {tags.get(RESTORED_TAG, 'none')})"
    else:
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
            identifier=identifier,
            moment=moment,
            subnet_group=cluster["DBSubnetGroup"],
            security_groups=tuple(g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])),
            parameter_group=cluster.get("DBClusterParameterGroup"),
            kms_key=cluster.get("KmsKeyId"),
            engine=cluster["Engine"],
            instance_class=instance_class,
            resume=earlier is not None,
        ),
        None,
    )


def wait_until_available(
    describe: Callable[[], dict[str, Any] | None], what: str, say: Callable[[str], None], poll: float, sleep: Callable[[float], None]
) -> dict[str, Any]:
    """Poll ``describe`` until the resource is ``available``; no fixed cap (AWS decides how long a restore takes), but a
    status RDS does not leave by itself (``STUCK``) ends the wait with what to do, and so does a resource that is not
    found ``NOT_FOUND_READS`` times before it was ever seen (or is gone after it was)."""
    started = time.monotonic()
    last = ""
    unseen = 0
    while True:
        found = describe()
        status = str((found or {}).get("Status") or (found or {}).get("DBInstanceStatus") or "not found")
        if status == "available" and found is not None:
            return found
        if found is None:
            unseen += 1
            if last:
                raise RestoreStuck(f"{what} is not found: it was {last}, then it was gone (deleted?); look at the RDS events")
            if unseen >= NOT_FOUND_READS:
                raise RestoreStuck(f"{what} is not found: not listed after {unseen} reads; look at the RDS events (was it created?)")
            say(f"waiting for {what}: not found yet (RDS may not list what was just created), {time.monotonic() - started:.0f} s")
            sleep(poll)
            continue
        if status in STOPPED:
            raise RestoreStuck(
                f"{what} is {status}: someone stopped its cluster, and RDS would start it again only after seven days; start it "
                f"(aws rds start-db-cluster --db-cluster-identifier <the restored cluster>) and run the same command again: it resumes"
            )
        if status in STUCK:
            raise RestoreStuck(f"{what} is {status}: it will not become available by waiting; look at it in the RDS console or events")
        if status != last or poll >= 10:
            say(f"waiting for {what}: {status}, {time.monotonic() - started:.0f} s")
            last = status
        sleep(poll)


# How often a restore reads the status of what it waits for; the drill on the emulator reads every second.
POLL_SECONDS = float(os.environ.get("DRKIT_RESTORE_POLL_SECONDS", "30"))


def execute(
    client: ClientFactory, plan: RestorePlan, say: Callable[[str], None], poll: float = POLL_SECONDS, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Restore (or resume the restore of) ``plan`` up to an available cluster with one available instance."""
    rds = client("rds", plan.region)
    started = time.monotonic()
    say("this can take minutes to hours; if it is interrupted or your AWS session expires, assume the DR role again and run "
        "the same command: it resumes")  # fmt: skip
    if plan.resume:
        say(f"resuming: {plan.identifier} exists already (an earlier run started it)")
    else:
        request: dict[str, Any] = {
            "DBClusterIdentifier": plan.identifier,
            "SourceDBClusterIdentifier": plan.source_arn,
            "RestoreToTime": plan.moment,
            "DBSubnetGroupName": plan.subnet_group,
            "VpcSecurityGroupIds": list(plan.security_groups),
            "EnableIAMDatabaseAuthentication": True,
            "DeletionProtection": False,
            "CopyTagsToSnapshot": True,
            "Tags": [{"Key": RESTORED_TAG, "Value": plan.tag}],
        }
        if plan.parameter_group:
            request["DBClusterParameterGroupName"] = plan.parameter_group
        if plan.kms_key:
            request["KmsKeyId"] = plan.kms_key
        rds.restore_db_cluster_to_point_in_time(**request)
        say(f"restore started: {plan.identifier}")
    cluster = finish(rds, plan.identifier, plan.instance, plan.engine, plan.instance_class, ((RESTORED_TAG, plan.source_arn),), say, poll, sleep)
    seconds = round(time.monotonic() - started, 1)
    instance = plan.instance
    say(f"restored: {plan.identifier} ({plan.region}), endpoint {cluster.get('Endpoint')}, instance {instance}, in {seconds} s")
    say("what now: the restored data is a standalone cluster beside the global database, untouched by replication.")
    say("  - to repair rows: read them from the restored endpoint and write them back through the writer")
    say("    (pg_dump --table, or INSERT ... SELECT through postgres_fdw);")
    say("  - to make it the database: move applications to it, then build a new global database from it")
    say("    (a reviewed change of the stack, not a runbook step);")
    say(f"  - when done: drkit runbook discard --restored {plan.identifier} --env <env>")
    return {"identifier": plan.identifier, "endpoint": cluster.get("Endpoint"), "instance": instance, "seconds": seconds}


def finish(
    rds: Any,
    identifier: str,
    instance: str,
    engine: str,
    instance_class: str,
    tags: tuple[tuple[str, str], ...],
    say: Callable[[str], None],
    poll: float,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """The second half of every restore, started or resumed: the cluster available, its one instance created if it is
    missing ("RestoreDBClusterToPointInTime"/"RestoreDBClusterFromSnapshot" restore the cluster only, RDS API reference),
    the instance available. No fixed cap: ``wait_until_available`` ends on available or on a state waiting cannot leave."""
    wait_until_available(lambda: _find_cluster(rds, identifier), f"cluster {identifier}", say, poll, sleep)
    if _find_instance(rds, instance) is None:
        rds.create_db_instance(
            DBInstanceIdentifier=instance,
            DBClusterIdentifier=identifier,
            Engine=engine,
            DBInstanceClass=instance_class,
            PubliclyAccessible=False,  # as the stack's own instances: a restore never gets a public address
            Tags=[{"Key": k, "Value": v} for k, v in tags],
        )
        say(f"instance {instance} created")
    wait_until_available(lambda: _find_instance(rds, instance), f"instance {instance}", say, poll, sleep)
    return dict(rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0])


@dataclass(frozen=True, kw_only=True)
class SnapshotRestoreRequest:
    """A restore of a snapshot beside the global database: a standalone cluster and one instance (``reconcile``)."""

    region: str
    identifier: str  # the same snapshot always restores to the same name: a second run resumes
    snapshot: str
    engine: str
    engine_version: str | None
    subnet_group: str
    security_groups: tuple[str, ...]
    parameter_group: str | None
    kms_key: str | None
    instance_class: str
    tags: tuple[tuple[str, str], ...]  # the first is the RESTORED_TAG: what makes it a restore ``discard`` accepts

    @property
    def instance(self) -> str:
        return f"{self.identifier}-1"[:MAX_IDENTIFIER]

    def describe(self) -> str:
        return (
            f"restore {self.snapshot} ({self.region}) into new cluster {self.identifier} with one {self.instance_class} instance "
            f"(subnet group {self.subnet_group}, security groups {', '.join(self.security_groups) or 'default'}, "
            f"key {self.kms_key or 'the snapshot key'})"
        )


def restore_from_snapshot(
    client: ClientFactory,
    request: SnapshotRestoreRequest,
    say: Callable[[str], None],
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The restored cluster (created, or found from an earlier run and continued) with its instance, both available."""
    rds = client("rds", request.region)
    existing = _find_cluster(rds, request.identifier)
    if existing is not None and not is_restore(existing):
        raise RestoreStuck(f"{request.identifier} exists and is not a drkit restore: refusing to use it")
    if existing is not None:
        say(f"resuming: {request.identifier} exists already (an earlier run started it; {existing.get('Status')})")
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
    return finish(rds, request.identifier, request.instance, request.engine, request.instance_class, request.tags, say, poll, sleep)


def session_expired(error: BaseException) -> bool:
    """Whether an AWS error says the caller's temporary credentials expired."""
    code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
    return code in SESSION_EXPIRED


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
