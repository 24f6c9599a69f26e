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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
