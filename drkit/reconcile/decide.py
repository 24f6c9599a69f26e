"""The reconciliation's decisions, pure: which lossy failover to account for, and why nothing can be when none is found.

The runbook records the failovers it makes (``functions.failover.marker``), but not every lossy failover is the
runbook's: ARC Region switch's ungraceful execution calls FailoverGlobalCluster itself, so does a console or CLI
``failover-global-cluster --allow-data-loss``, and a runbook run that timed out (or a Lambda stopped at its limit)
may have left no record. What every one of them leaves is Aurora's point-of-failure snapshot of the old primary,
``rds:unplanned-global-failover-<old primary cluster>-<timestamp>`` (Aurora User Guide, "Using switchover or
failover in Amazon Aurora Global Database"), or drkit's copy of it. So a run looks at both: the newest record, and
the newest snapshot or copy of any member, and accounts for whichever failover is the newer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from functions.replication_monitor.preserve import LossyFailover


@dataclass(frozen=True)
class Sighting:
    """A point-of-failure snapshot of a member cluster, or drkit's copy of one: a lossy failover happened away from it."""

    region: str
    cluster: str
    created: datetime


@dataclass(frozen=True)
class Subject:
    """The lossy failover a run accounts for: away from ``cluster`` (in ``region``); ``failover`` is the runbook's record
    of it, None when drkit did not record it (it is known by its snapshot)."""

    region: str
    cluster: str
    failover: LossyFailover | None

    @property
    def after(self) -> datetime | None:
        """Snapshots of ``cluster`` older than this belong to an earlier failover (None: the newest is this one's)."""
        return self.failover.failed_over_at if self.failover else None


def subject(records: Sequence[LossyFailover], sightings: Sequence[Sighting]) -> Subject | None:
    """The newest lossy failover: the newest record, unless a snapshot of another member is newer than it (a failover
    after it that nobody recorded); the newest snapshot when nothing is recorded; None when there is neither."""
    record = max(records, key=lambda r: r.failed_over_at, default=None)
    seen = max(sightings, key=lambda s: s.created, default=None)
    unrecorded = seen is not None and (record is None or (seen.created >= record.failed_over_at and seen.cluster != record.old_cluster))
    if unrecorded and seen is not None:
        return Subject(seen.region, seen.cluster, None)
    if record is not None:
        return Subject(record.old_region, record.old_cluster, record)
    return None


def nothing_found(unanswered: Sequence[str]) -> str:
    """Why a run with no record and no snapshot cannot say "unaccounted: 0" (it cannot know that nothing was lost)."""
    outside = (
        "if a failover that allowed data loss happened outside drkit (an ARC ungraceful execution, the console or CLI, a runbook "
        "run that did not finish), "
    )
    if unanswered:
        return (
            f"no lossy failover is recorded and no member has a point-of-failure snapshot, but {', '.join(unanswered)} did not answer: "
            f"{outside}Aurora attempts the snapshot when that region is back; run this again then (with --since <the divergence point> "
            "if you know it)"
        )
    return (
        f"no lossy failover is recorded and no member has a point-of-failure snapshot or a preserved copy: {outside}its snapshot is "
        "not there (not taken yet, or gone); run this again once it is, with --since <the divergence point> if you know it"
    )


@dataclass(frozen=True)
class Window:
    """Where the comparison starts, how that was decided (for the report), and why it cannot start when it cannot."""

    since: datetime | None
    basis: str
    reason: str | None = None  # set when ``since`` is None: what the report says is unaccounted


def divergence(given: datetime | None, clock: datetime | None, parted_at: datetime | None, margin_seconds: float) -> Window:
    """The divergence point: ``given`` by a person (``--since``) as it is; else the earlier of the clock bound (the
    recorded failover, minus the target's last known lag and the margin) and the data's (the newest commit the writer
    has by replication, minus the margin). The clock alone cannot be trusted: the failover is recorded when it was
    *requested*, which can be long after the old primary stopped replicating (AWS recommends checking the lag and
    taking the applications offline first: Aurora User Guide, "Using switchover or failover in Amazon Aurora Global
    Database"), and the lag is the newest one-minute maximum, or none at all."""
    if given is not None:
        return Window(given, f"given (--since {given.isoformat(timespec='seconds')})")
    margin = f"minus {margin_seconds:g} s"
    shared = f"the newest commit the writer has by replication ({parted_at.isoformat(timespec='seconds')}) {margin}" if parted_at else ""
    data = parted_at - timedelta(seconds=margin_seconds) if parted_at is not None else None
    if data is not None and clock is not None:
        recorded = f"the failover record's clock ({clock.isoformat(timespec='seconds')})"
        return Window(min(data, clock), f"the earlier of {recorded} and {shared}")
    if data is not None:
        return Window(data, shared)
    if clock is not None:
        return Window(clock, "the failover record's clock only (the failover, minus the last known lag and the margin): the data does not show more")
    return Window(
        None,
        "unknown",
        "the divergence point is unknown: drkit did not record this failover and the data does not show where the histories part "
        "(no keyed ledger, or none of the copy's newest transfers is on the writer); give --since <the divergence point, ISO 8601 with a zone>",
    )


def starts_too_late(since: datetime, missing: int, newest_key: str, newest_at: datetime) -> str:
    """Why a window is not trusted: transfers the old primary committed just before it are not on the writer."""
    return (
        f"{missing} of the transfers the old primary committed just before the divergence point {since.isoformat(timespec='seconds')} "
        f"are on no writer (the newest: {newest_key}, committed {newest_at.isoformat(timespec='seconds')}): the comparison starts too "
        "late and may miss others; run this again with an earlier --since, or without it"
    )


def not_rebuilt_yet(cluster: str, status: str | None) -> str:
    """Why no snapshot is not yet "never": Aurora attempts it before it rebuilds the old primary as a secondary."""
    return (
        f"no point-of-failure snapshot of {cluster} yet, and Aurora has not rebuilt it as an available secondary of the global cluster "
        f"(its status: {status or 'unknown'}): it attempts the snapshot before it creates the new volume, so it may still come; "
        "run this again later"
    )


# Aurora User Guide, "Using SSL/TLS to encrypt a connection to a DB cluster": each region's CAs are its own (their common
# names are "Amazon RDS <region-identifier> Root CA ..."), and RDS publishes certificate bundles "for specific AWS
# Regions" (<region>-bundle.pem) and one "for all AWS Regions". The restored copy is in the old primary's region and the
# writer in another: verify-full of both needs the bundle for all regions.
GLOBAL_BUNDLE = "global-bundle.pem"
GLOBAL_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
_REGIONAL_BUNDLE = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)-bundle\.pem")


def bundle_refusal(ca_bundle: str, regions: Sequence[str]) -> str | None:
    """Why ``ca_bundle`` cannot verify connections to databases in ``regions`` (the copy's and the writer's), if it cannot:
    a regional bundle, by its name, for a region that is not every one of them."""
    named = _REGIONAL_BUNDLE.fullmatch(PurePath(ca_bundle).name)
    if named is None or set(regions) <= {named["region"]}:
        return None
    return (
        f"{PurePath(ca_bundle).name} holds the CAs of {named['region']} only, and the restored copy and the writer are in "
        f"{' and '.join(dict.fromkeys(regions))}: give the bundle for all regions, --ca-bundle {GLOBAL_BUNDLE} ({GLOBAL_BUNDLE_URL})"
    )
