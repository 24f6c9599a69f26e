"""After an unplanned failover: keep the point-of-failure snapshot before its retention deletes it, or say it is gone.

Aurora User Guide, "Using switchover or failover in Amazon Aurora Global Database" (managed failovers):
when the old primary's Region is healthy again, "Before creating the new storage volume in the AWS
Region, Aurora attempts to take a snapshot of the old storage volume at the point of failure",
named ``rds:unplanned-global-failover-name-of-old-primary-DB-cluster-timestamp``; "The snapshot of
the old storage volume is a system snapshot that's subject to the backup retention period configured
on the old primary cluster. To preserve this snapshot outside of the retention period, you can copy it
to save it as a manual snapshot." It may be the only place the commits the old writer acknowledged
after the last replicated one still exist.

Every monitor run (every minute, every region) does two things here:

* **preserve** (:func:`preserve`): list the snapshots of this region's member cluster
  (``DescribeDBClusterSnapshots`` with its DBClusterIdentifier, the cluster whose volume it is, and without
  a SnapshotType: "If you don't specify a SnapshotType value, then both automated and manual DB cluster
  snapshots are returned"; AWS does not say which type this one has), pick the ones named
  ``rds:unplanned-global-failover-<this region's member cluster>-`` (the timestamp's format is not
  documented: it is not parsed), and copy each one not yet preserved to a manual snapshot
  ``<cluster>-pof-<its creation time>`` in the same region, with the region's key, its tags and two of
  drkit's (the source and the failover it belongs to). The copy is idempotent: a second run finds it by
  name or tag. A new copy pages once, with the command to run next.
* **watch** (:func:`watch`): the runbook records the failovers it makes that allow data loss in the target
  region (``functions.failover.marker``). AWS orders the old primary's return, without timing it: "As
  soon as that Region is healthy and available again, Aurora automatically adds it back to the global
  cluster as a secondary Region. Before creating the new storage volume in the old primary Region,
  Aurora tries to take a snapshot of the old storage volume at the point of failure" (same page). So
  the attempt is known to be over only once the rebuild is: drkit takes the old primary back in the
  global cluster as a secondary (a member, not the writer) whose cluster is ``available`` as that sign
  (:func:`rebuilt`; an assumption: AWS does not say how the new volume shows in the API). The RDS API of
  its region answering is no such sign (a partial outage answers all along). Once it has been so for
  the configured wait (for the listing to catch up) and neither the snapshot nor a copy exists, the
  loss is unrecoverable: that pages once too. Before that, it is waiting, never "unrecoverable".

Why the monitor and not an RDS event rule: it needs no new infrastructure, runs whether or not anyone
runs the runbook, and does not depend on RDS events, which "Amazon RDS emits ... on a best effort basis.
We recommend that you avoid writing programs that depend on the order or existence of notification
events" (Aurora User Guide, "Monitoring Amazon Aurora events"); a snapshot is then copied at most a
minute after it appears. ``drkit.reconcile`` calls :func:`preserve` too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .contract import FAILOVER_TAG, POINT_OF_FAILURE_PREFIX, PRESERVED_FROM_TAG, PRESERVED_MARK, PRESERVED_STAMP_FORMAT

ClientFactory = Callable[[str, str], Any]
STATE_PREFIX = "pof:"  # the monitor state's entries for the failovers it watches
ERROR_KEY = "pof-error"
FOUND, UNRECOVERABLE, BACK = "found", "unrecoverable", "back:"
# A snapshot in one of these never becomes available: the failure states of botocore's waiter for it (rds 2014-10-31
# waiters-2.json, DBClusterSnapshotAvailable: "deleted", "deleting", "failed", "incompatible-restore",
# "incompatible-parameters"). A copy in one of them is no copy: the source is copied again under another name. AWS:
# "If you delete a source snapshot before the target snapshot becomes available, the snapshot copy might fail" (Aurora
# User Guide, "DB cluster snapshot copying"), and the system snapshot is deleted with the backup retention.
DEAD_STATUSES = frozenset({"deleted", "deleting", "failed", "incompatible-restore", "incompatible-parameters"})


# ----------------------------------------------------------------------------------------- pure decisions


@dataclass(frozen=True)
class Snapshot:
    identifier: str
    arn: str
    cluster: str | None
    created: datetime
    status: str
    encrypted: bool
    snapshot_type: str
    tags: Mapping[str, str] = field(default_factory=dict)


def parse_snapshot(row: Mapping[str, Any]) -> Snapshot:
    created = row.get("SnapshotCreateTime")
    when = created.astimezone(UTC) if isinstance(created, datetime) else datetime.fromisoformat(str(created)).astimezone(UTC)
    return Snapshot(
        identifier=str(row["DBClusterSnapshotIdentifier"]),
        arn=str(row.get("DBClusterSnapshotArn", "")),
        cluster=row.get("DBClusterIdentifier"),
        created=when,
        status=str(row.get("Status", "")),
        encrypted=bool(row.get("StorageEncrypted")),
        snapshot_type=str(row.get("SnapshotType", "")),
        tags={t["Key"]: t["Value"] for t in row.get("TagList", [])},
    )


def point_of_failure_prefix(cluster: str) -> str:
    return f"{POINT_OF_FAILURE_PREFIX}{cluster}-"


def points_of_failure(snapshots: Sequence[Snapshot], cluster: str) -> list[Snapshot]:
    """The snapshots Aurora took of ``cluster``'s volume at a point of failure, oldest first.

    By name; a snapshot reports the cluster it was taken from (``DBClusterIdentifier``), which settles
    a cluster whose name is a prefix of another's."""
    prefix = point_of_failure_prefix(cluster).lower()
    found = [s for s in snapshots if s.identifier.lower().startswith(prefix) and (not s.cluster or s.cluster.lower() == cluster.lower())]
    return sorted(found, key=lambda s: s.created)


def copy_prefix(cluster: str) -> str:
    """``<cluster>-pof-``: drkit's manual copies of ``cluster``'s point-of-failure snapshots (``Names.preserved_snapshot_prefix``)."""
    return f"{cluster}{PRESERVED_MARK}"


def copy_identifier(prefix: str, source: Snapshot) -> str:
    return f"{prefix}{source.created.astimezone(UTC).strftime(PRESERVED_STAMP_FORMAT)}"


def preserved_copies(snapshots: Sequence[Snapshot], prefix: str) -> list[Snapshot]:
    """drkit's manual copies (named ``prefix`` and tagged with their source), oldest first; a copy that failed is none.
    One may still be ``copying`` or ``creating``: CopyDBClusterSnapshot returns before the copy is made."""
    found = [s for s in live(snapshots) if s.identifier.lower().startswith(prefix.lower()) and PRESERVED_FROM_TAG in s.tags]
    return sorted(found, key=lambda s: s.created)


def live(snapshots: Sequence[Snapshot]) -> list[Snapshot]:
    """The snapshots that are, or will become, available (not in a ``DEAD_STATUSES`` state)."""
    return [s for s in snapshots if s.status not in DEAD_STATUSES]


def free_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``-3``... when a snapshot (a failed copy among them) holds the name: still within the
    grants' ``<cluster>-pof-*`` and the 63 characters (a restore's name is longer)."""
    name, number = wanted, 1
    while name.lower() in taken:
        number += 1
        name = f"{wanted}-{number}"
    return name


@dataclass(frozen=True)
class CopyPlan:
    source: Snapshot
    target: str


def plan_copies(snapshots: Sequence[Snapshot], cluster: str, prefix: str) -> list[CopyPlan]:
    """A copy for every available point-of-failure snapshot of ``cluster`` without a live one (by name or by tag); a copy
    that failed does not count, and its name is left to it (``free_name``)."""
    kept = live(snapshots)
    names = {s.identifier.lower() for s in kept}
    sources = {s.tags.get(PRESERVED_FROM_TAG) for s in kept}
    taken = {s.identifier.lower() for s in snapshots}
    plans = []
    for source in points_of_failure(snapshots, cluster):
        target = copy_identifier(prefix, source)
        if source.status == "available" and target.lower() not in names and source.arn not in sources:
            plans.append(CopyPlan(source, free_name(target, taken)))
    return plans


@dataclass(frozen=True)
class LossyFailover:
    """What the runbook recorded of a failover that allowed data loss (``functions.failover.marker``)."""

    old_cluster_arn: str
    new_writer_arn: str
    failed_over_at: datetime
    target_lag_seconds: float | None

    @property
    def old_cluster(self) -> str:
        return self.old_cluster_arn.rsplit(":", 1)[-1]

    @property
    def old_region(self) -> str:
        return self.old_cluster_arn.split(":")[3]

    @property
    def new_writer(self) -> str:
        return self.new_writer_arn.rsplit(":", 1)[-1]

    @property
    def id(self) -> str:
        return f"{self.old_cluster}@{self.failed_over_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def parse_markers(text: str | None) -> list[LossyFailover]:
    """The runbook's records, oldest first; anything unreadable is skipped (a record never breaks a run)."""
    try:
        document = json.loads(text or "{}")
    except ValueError:
        return []
    found = []
    for entry in document.get("failovers", []) if isinstance(document, dict) else []:
        try:
            lag = entry.get("target_lag_seconds")
            found.append(
                LossyFailover(
                    old_cluster_arn=str(entry["old_cluster_arn"]),
                    new_writer_arn=str(entry["new_writer_arn"]),
                    failed_over_at=datetime.fromisoformat(str(entry["failed_over_at"]).replace("Z", "+00:00")).astimezone(UTC),
                    target_lag_seconds=None if lag is None else float(lag),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return sorted(found, key=lambda m: m.failed_over_at)


def failover_of(markers: Sequence[LossyFailover], cluster: str, created: datetime) -> LossyFailover | None:
    """The newest recorded failover away from ``cluster`` before a snapshot created at ``created``."""
    earlier = [m for m in markers if m.old_cluster == cluster and m.failed_over_at <= created]
    return earlier[-1] if earlier else None


@dataclass(frozen=True)
class Watch:
    state: str | None  # what to remember for this failover (None: nothing yet)
    look: bool  # look for the snapshot now
    page_unrecoverable: bool = False


def finished(previous: str | None) -> bool:
    """The watch of this failover is over (found, or paged unrecoverable): nothing to read for it any more."""
    return previous in (FOUND, UNRECOVERABLE)


def rebuilt(members: Sequence[Mapping[str, Any]], region: str, cluster: str, status: str | None) -> bool:
    """Whether Aurora is done with the old primary ``cluster`` (of ``region``): back in the global cluster (``members``,
    DescribeGlobalClusters' GlobalClusterMembers) as a secondary, and its cluster (``status``) ``available``. Aurora
    "tries to take a snapshot" before it creates the old primary's new volume (see the module's docstring): by then
    its attempt is over."""
    return back_as_secondary(members, region, cluster) and status == "available"


def back_as_secondary(members: Sequence[Mapping[str, Any]], region: str, cluster: str) -> bool:
    """Whether ``cluster`` (of ``region``) is among ``members`` again, and not as the writer."""
    member = next((m for m in members if _is(str(m.get("DBClusterArn", "")), region, cluster)), None)
    return member is not None and not member.get("IsWriter")


def _is(arn: str, region: str, cluster: str) -> bool:
    parts = arn.split(":")
    return len(parts) > 6 and parts[3] == region and parts[-1] == cluster


def watch_step(previous: str | None, old_primary_rebuilt: bool, now: datetime, wait_seconds: float) -> Watch:
    """One run's view of a recorded failover: wait for Aurora to rebuild the old primary, then for the wait, then look."""
    if finished(previous):
        return Watch(previous, look=False)
    if not old_primary_rebuilt:
        return Watch(previous, look=False)  # Aurora has not rebuilt it yet: its snapshot attempt may still come
    since = datetime.fromisoformat(previous[len(BACK) :]) if previous and previous.startswith(BACK) else now
    state = f"{BACK}{since.isoformat()}"
    return Watch(state, look=(now - since).total_seconds() >= wait_seconds)


def watch_verdict(found: bool) -> Watch:
    return Watch(FOUND, look=False) if found else Watch(UNRECOVERABLE, look=False, page_unrecoverable=True)


def preserved_page(environment: str, region: str, copy: CopyPlan, failover: LossyFailover | None, command: str) -> tuple[str, str]:
    cluster = copy.source.cluster or copy.source.identifier
    subject = f"[drkit {environment}] point-of-failure snapshot preserved ({cluster})"[:100]
    if failover is not None:
        lag = "unknown" if failover.target_lag_seconds is None else f"{failover.target_lag_seconds:g} s"
        when = f"{failover.failed_over_at:%Y-%m-%d %H:%M:%S}Z"
        belongs = f"the failover from {failover.old_cluster} to {failover.new_writer} at {when} (last known lag {lag})"
    else:
        belongs = "a failover the runbook did not record"
    lines = [
        f"{cluster} ({region}) was the writer when {belongs}. It may hold commits the new writer never received.",
        f"Aurora took {copy.source.identifier} of its volume at the point of failure (a system snapshot: it expires with the backup retention).",
        f"drkit copied it to the manual snapshot {copy.target}, which stays until someone deletes it.",
        "",
        "Next, from a host that reaches both databases (inside the VPC), as the DR role:",
        f"  {command}             # dry run: restores the copy beside the database, lists every lost transaction",
        f"  {command} --execute   # replays the ones that keep every invariant; conflicts go to a person",
        "The report (JSON and Markdown) accounts for every transaction: replayed, conflict, already present; unaccounted 0.",
    ]
    return subject, "\n".join(lines)


def unrecoverable_page(environment: str, failover: LossyFailover, waited_seconds: float, command: str) -> tuple[str, str]:
    subject = f"[drkit {environment}] UNRECOVERABLE: no point-of-failure snapshot of {failover.old_cluster}"[:100]
    lag = "an unknown time" if failover.target_lag_seconds is None else f"up to {failover.target_lag_seconds:g} s"
    lines = [
        f"{failover.old_cluster} ({failover.old_region}) has been back as an available secondary of the global cluster for "
        f"{waited_seconds / 60:.0f} min since the failover to {failover.new_writer} at {failover.failed_over_at:%Y-%m-%d %H:%M:%S}Z "
        "(Aurora attempts the snapshot before it rebuilds it), and neither "
        f"{point_of_failure_prefix(failover.old_cluster)}* nor a preserved copy exists: Aurora's attempt failed, or the snapshot was deleted.",
        f"The commits it acknowledged that {failover.new_writer} never received ({lag} of history before the failover) exist nowhere else.",
        f"Record it for the incident: {command} writes the evidence report (unaccounted: unknown).",
    ]
    return subject, "\n".join(lines)


# ----------------------------------------------------------------------------------------- AWS calls


def list_snapshots(rds: Any, cluster: str) -> list[Snapshot]:
    """Every snapshot of ``cluster`` (in the region of ``rds``), automated and manual (drkit's copies too), across pages.

    Filtered by the cluster, so IAM can scope the call to the members' ARNs (DescribeDBClusterSnapshots:
    resource types ``cluster``, ``cluster-snapshot``; Service Authorization Reference)."""
    found: list[Snapshot] = []
    marker: str | None = None
    while True:
        response = rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster, MaxRecords=100, **({"Marker": marker} if marker else {}))
        found += [parse_snapshot(row) for row in response.get("DBClusterSnapshots", [])]
        marker = response.get("Marker")
        if not marker:
            return found


def read_markers(ssm: Any, parameter: str) -> list[LossyFailover]:
    try:
        return parse_markers(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
    except Exception as error:
        if "ParameterNotFound" in str(error):
            return []
        raise


@dataclass(frozen=True)
class Preserved:
    plan: CopyPlan
    failover: LossyFailover | None
    created: bool  # False: another caller made the copy first


def preserve(client: ClientFactory, region: str, cluster: str, key_id: str | None, markers: Callable[[], list[LossyFailover]]) -> list[Preserved]:
    """Copy every point-of-failure snapshot of ``cluster`` (in ``region``) that has no copy yet; what was done."""
    rds = client("rds", region)
    done = []
    for plan in plan_copies(list_snapshots(rds, cluster), cluster, copy_prefix(cluster)):
        failover = failover_of(markers(), cluster, plan.source.created)
        request: dict[str, Any] = {
            "SourceDBClusterSnapshotIdentifier": plan.source.identifier,  # same region: the identifier (RDS API reference)
            "TargetDBClusterSnapshotIdentifier": plan.target,
            "CopyTags": True,
            "Tags": [
                {"Key": PRESERVED_FROM_TAG, "Value": plan.source.arn},
                {"Key": FAILOVER_TAG, "Value": failover.id if failover else "unknown: no failover recorded by the runbook"},
            ],
        }
        if key_id and plan.source.encrypted:  # "If you copy an unencrypted DB cluster snapshot and specify ... KmsKeyId, an error is returned."
            request["KmsKeyId"] = key_id
        try:
            rds.copy_db_cluster_snapshot(**request)
        except Exception as error:
            if "DBClusterSnapshotAlreadyExists" not in str(error):
                raise
            done.append(Preserved(plan, failover, created=False))
            continue
        done.append(Preserved(plan, failover, created=True))
    return done


def cluster_status(client: ClientFactory, cluster_arn: str) -> str | None:
    """The cluster's status, read in its own region; None when that region (or its RDS API) does not answer."""
    try:
        clusters = client("rds", cluster_arn.split(":")[3]).describe_db_clusters(DBClusterIdentifier=cluster_arn)["DBClusters"]
    except Exception:
        return None
    return str(clusters[0].get("Status", "")) if clusters else None


def read_global_members(client: ClientFactory, region: str, global_cluster_id: str) -> list[dict[str, Any]]:
    """The global cluster's members (GlobalClusterMembers), read in ``region``; raises what the call raises."""
    found = client("rds", region).describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
    return list(found[0].get("GlobalClusterMembers", [])) if found else []


def global_members(client: ClientFactory, region: str, global_cluster_id: str) -> list[dict[str, Any]]:
    """:func:`read_global_members`, or none when they cannot be read."""
    try:
        return read_global_members(client, region, global_cluster_id)
    except Exception:
        return []


def old_primary_rebuilt(client: ClientFactory, failover: LossyFailover, members: Sequence[Mapping[str, Any]]) -> bool:
    """:func:`rebuilt`, reading the old primary's region only once it is a secondary member again (during the outage it
    is not, and a region that does not answer costs the run its time)."""
    if not back_as_secondary(members, failover.old_region, failover.old_cluster):
        return False
    return rebuilt(members, failover.old_region, failover.old_cluster, cluster_status(client, failover.old_cluster_arn))


def snapshot_exists(client: ClientFactory, failover: LossyFailover) -> bool:
    """A point-of-failure snapshot of the old primary, or a preserved copy, made after the failover."""
    snapshots = list_snapshots(client("rds", failover.old_region), failover.old_cluster)
    taken = [s for s in points_of_failure(snapshots, failover.old_cluster) if s.created >= failover.failed_over_at]
    kept = [s for s in preserved_copies(snapshots, copy_prefix(failover.old_cluster)) if s.created >= failover.failed_over_at]
    return bool(taken or kept)


# The watch's share of a monitor run (the function's timeout is 50 s, and its metrics are emitted at the end): past it,
# the records not looked at yet keep their state and are watched by the next run, a minute later.
WATCH_BUDGET_SECONDS = 20.0


def watch(
    settings: PreservationSettings, client: ClientFactory, now: datetime, previous: Mapping[str, str], clock: Callable[[], float]
) -> StepResult:
    """The recorded failovers of this region, each one step further (:func:`watch_step`): a finished one costs no call,
    each old primary is read once, and nothing is read once ``WATCH_BUDGET_SECONDS`` are spent."""
    alerts: list[tuple[str, str]] = []
    state: dict[str, str] = {}
    started = clock()
    members: list[dict[str, Any]] | None = None
    rebuilt_now: dict[str, bool] = {}
    for failover in read_markers(client("ssm", settings.region), settings.lossy_failover_parameter or ""):
        key = f"{STATE_PREFIX}{failover.id}"
        if finished(previous.get(key)) or clock() - started > WATCH_BUDGET_SECONDS:
            if key in previous:
                state[key] = str(previous[key])  # nothing to read for it any more, or not in this run
            continue
        members = global_members(client, settings.region, settings.global_cluster_id) if members is None else members
        if failover.old_cluster_arn not in rebuilt_now:
            rebuilt_now[failover.old_cluster_arn] = old_primary_rebuilt(client, failover, members)
        step = watch_step(previous.get(key), rebuilt_now[failover.old_cluster_arn], now, settings.wait_seconds)
        if step.look:
            step = watch_verdict(snapshot_exists(client, failover))
            if step.page_unrecoverable:
                since = datetime.fromisoformat(str(previous.get(key, f"{BACK}{now.isoformat()}"))[len(BACK) :])
                alerts.append(unrecoverable_page(settings.environment, failover, (now - since).total_seconds(), settings.command))
        if step.state is not None:
            state[key] = step.state
    return StepResult(alerts=alerts, state=state)


@dataclass(frozen=True)
class StepResult:
    alerts: list[tuple[str, str]] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)  # entries of the monitor's state to keep
    preserved: list[Preserved] = field(default_factory=list)


@dataclass(frozen=True)
class PreservationSettings:
    environment: str
    region: str
    member_regions: tuple[str, ...]
    cluster: str
    key_id: str | None
    lossy_failover_parameter: str | None
    wait_seconds: float
    command: str
    global_cluster_id: str  # whose members say when Aurora has rebuilt the old primary (``rebuilt``)


def step(
    settings: PreservationSettings, client: ClientFactory, now: datetime, previous: Mapping[str, str], clock: Callable[[], float] = time.monotonic
) -> StepResult:
    """One monitor run: preserve this region's point-of-failure snapshots, watch the failovers recorded here.

    Never raises: a failure pages once (until it changes) and the next run tries again."""
    alerts: list[tuple[str, str]] = []
    state: dict[str, str] = {}
    preserved: list[Preserved] = []
    problems = []

    def all_markers() -> list[LossyFailover]:
        if not settings.lossy_failover_parameter:
            return []
        found: list[LossyFailover] = []
        for region in settings.member_regions:
            try:
                found += read_markers(client("ssm", region), settings.lossy_failover_parameter)
            except Exception:  # a region that does not answer: its records are not needed to preserve
                continue
        return sorted(found, key=lambda m: m.failed_over_at)

    try:
        preserved = preserve(client, settings.region, settings.cluster, settings.key_id, all_markers)
        for done in preserved:
            if done.created:
                alerts.append(preserved_page(settings.environment, settings.region, done.plan, done.failover, settings.command))
    except Exception as error:
        problems.append(f"preserving the point-of-failure snapshot of {settings.cluster} failed: {str(error).splitlines()[0][:600]}")

    if settings.lossy_failover_parameter:
        try:
            watched = watch(settings, client, now, previous, clock)
            alerts += watched.alerts
            state.update(watched.state)
        except Exception as error:
            problems.append(f"watching the recorded lossy failovers failed: {str(error).splitlines()[0][:600]}")

    if problems:
        text = "; ".join(problems)
        if previous.get(ERROR_KEY) != text:
            subject = f"[drkit {settings.environment}] point-of-failure snapshot NOT handled in {settings.region}"[:100]
            alerts.append((subject, f"{text}\nThe monitor retries every minute; {settings.command} preserves it too."))
        state[ERROR_KEY] = text
    return StepResult(alerts=alerts, state=state, preserved=preserved)
