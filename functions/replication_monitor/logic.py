"""Pure decisions of the replication monitor: topology, metric queries, verdicts, alerts.

Nothing here calls AWS; tests call these functions with plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

LAG_METRICS = ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")  # milliseconds, secondary region only


class Status(StrEnum):
    OK = "OK"
    LAGGING = "LAGGING"
    NO_DATA = "NO_DATA"


@dataclass(frozen=True)
class Member:
    arn: str
    is_writer: bool

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def identifier(self) -> str:
        return self.arn.rsplit(":", maxsplit=1)[-1]


@dataclass(frozen=True)
class Topology:
    global_cluster_id: str
    writer: Member | None
    secondaries: tuple[Member, ...]

    def secondaries_by_region(self) -> dict[str, list[Member]]:
        regions: dict[str, list[Member]] = {}
        for member in self.secondaries:
            regions.setdefault(member.region, []).append(member)
        return regions


@dataclass(frozen=True)
class LagSample:
    member: Member
    replication_lag_ms: float | None
    rpo_lag_ms: float | None


@dataclass(frozen=True)
class SecondaryVerdict:
    identifier: str
    region: str
    status: Status
    lag_seconds: float | None


@dataclass(frozen=True)
class LagVerdict:
    lag_alarm_threshold_seconds: float
    secondaries: tuple[SecondaryVerdict, ...]
    writer_region: str | None

    @property
    def status(self) -> Status:
        statuses = {s.status for s in self.secondaries}
        if self.writer_region is None or not self.secondaries or Status.NO_DATA in statuses:
            return Status.NO_DATA
        return Status.LAGGING if Status.LAGGING in statuses else Status.OK

    def state(self) -> dict[str, str]:
        return {s.identifier: s.status.value for s in self.secondaries}


@dataclass(frozen=True)
class Transition:
    identifier: str
    region: str
    previous: str
    current: Status
    lag_seconds: float | None


def parse_topology(response: Mapping[str, Any], global_cluster_id: str) -> Topology:
    """Writer and secondaries from a DescribeGlobalClusters response (works after a switchover)."""
    clusters = [c for c in response.get("GlobalClusters", []) if c.get("GlobalClusterIdentifier") == global_cluster_id]
    if not clusters:
        return Topology(global_cluster_id=global_cluster_id, writer=None, secondaries=())
    members = [Member(arn=m["DBClusterArn"], is_writer=bool(m.get("IsWriter"))) for m in clusters[0].get("GlobalClusterMembers", [])]
    writers = [m for m in members if m.is_writer]
    return Topology(
        global_cluster_id=global_cluster_id,
        writer=writers[0] if writers else None,
        secondaries=tuple(m for m in members if not m.is_writer),
    )


def metric_queries(members: Sequence[Member], period_seconds: int = 60) -> list[dict[str, Any]]:
    """All lag metrics of every secondary of one region, for a single GetMetricData call."""
    queries = []
    for index, member in enumerate(members):
        for metric in LAG_METRICS:
            queries.append(
                {
                    "Id": f"m{index}_{'rpo' if 'RPO' in metric else 'repl'}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/RDS",
                            "MetricName": metric,
                            "Dimensions": [{"Name": "DBClusterIdentifier", "Value": member.identifier}],
                        },
                        "Period": period_seconds,
                        "Stat": "Maximum",
                    },
                    "ReturnData": True,
                }
            )
    return queries


def samples_from_results(members: Sequence[Member], results: Sequence[Mapping[str, Any]]) -> list[LagSample]:
    """Newest value of each query (GetMetricData with ScanBy=TimestampDescending)."""
    newest: dict[str, float] = {}
    for result in results:
        values = result.get("Values") or []
        if values:
            newest[result["Id"]] = float(values[0])
    return [
        LagSample(member=member, replication_lag_ms=newest.get(f"m{index}_repl"), rpo_lag_ms=newest.get(f"m{index}_rpo"))
        for index, member in enumerate(members)
    ]


def evaluate_lag(samples: Sequence[LagSample], lag_alarm_threshold_seconds: float, writer_region: str | None) -> LagVerdict:
    """A secondary lags when its worst lag exceeds the threshold; no data is its own status."""
    verdicts = []
    for sample in samples:
        values = [v for v in (sample.replication_lag_ms, sample.rpo_lag_ms) if v is not None]
        if not values:
            verdicts.append(SecondaryVerdict(sample.member.identifier, sample.member.region, Status.NO_DATA, None))
            continue
        lag_seconds = max(values) / 1000.0
        status = Status.LAGGING if lag_seconds > lag_alarm_threshold_seconds else Status.OK
        verdicts.append(SecondaryVerdict(sample.member.identifier, sample.member.region, status, lag_seconds))
    return LagVerdict(lag_alarm_threshold_seconds=lag_alarm_threshold_seconds, secondaries=tuple(verdicts), writer_region=writer_region)


def transitions(previous: Mapping[str, str], verdict: LagVerdict) -> list[Transition]:
    """State changes worth one alert each. A secondary seen for the first time counts as from OK."""
    changes = []
    for secondary in verdict.secondaries:
        before = previous.get(secondary.identifier, Status.OK.value)
        if before != secondary.status.value:
            changes.append(Transition(secondary.identifier, secondary.region, before, secondary.status, secondary.lag_seconds))
    return changes


WRITER_KEY = "__writer__"  # the writer's entry in the monitor's state


def writer_status(verdict: LagVerdict, answers: bool | None) -> Status:
    """NO_DATA when the monitor cannot see the writer: the global cluster is unreadable, or the
    writer's region (its RDS API) does not answer for the writer cluster."""
    return Status.NO_DATA if verdict.writer_region is None or answers is False else Status.OK


def topology_transition(previous: Mapping[str, str], verdict: LagVerdict, answers: bool | None = None) -> Transition | None:
    """Alert once when the monitor loses sight of the writer, and once when it sees it again.

    This is the page for a lost writer: the writer-healthy alarms are routing signals for DNS (in
    steady state every region without the writer is "not healthy"), so they do not page."""
    now = writer_status(verdict, answers)
    before = previous.get(WRITER_KEY, Status.OK.value)
    return None if before == now.value else Transition(WRITER_KEY, verdict.writer_region or "?", before, now, None)


# Cluster states in which the writer cannot take writes. Everything else (modifying, upgrading,
# backing-up, maintenance, a Multi-AZ failing-over within the region...) is routine and must never
# move the database's name to a read-only secondary in another region.
WRITER_DOWN_STATUSES = frozenset(
    {"stopped", "stopping", "deleting", "inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable"}
)


def writer_can_write(status: str | None) -> bool:
    """From the writer cluster's DescribeDBClusters status (None: the cluster was not found)."""
    return status is not None and status not in WRITER_DOWN_STATUSES


def writer_health(topology: Topology, monitor_region: str, member_regions: Sequence[str], answers: bool | None) -> dict[str, int]:
    """``WriterHealthy`` per other member region: 1 when the writer is there and its region answers for it.

    Judged from outside the region it is about: a writer whose region's RDS API does not answer (or
    reports it stopped, deleted, without its key) is 0. Replication lag is not a routing signal: lag
    grows in cross-region network trouble while the writer keeps writing, so it pages (the lag alerts)
    and never moves the name. A region that does not hold the writer is 0, so exactly one region is
    healthy at a time.
    """
    writer_region = topology.writer.region if topology.writer else None
    return {region: int(region == writer_region and bool(answers)) for region in member_regions if region != monitor_region}


def writer_unreachable(topology: Topology, monitor_region: str, answers: bool | None) -> dict[str, int]:
    """``WriterUnreachable`` for the writer's region, judged from another region: 1 when the global cluster names the
    writer there and that region does not answer for it (``answers``: its RDS API fails, or reports the cluster
    stopped, deleted or without its key), 0 when it answers.

    Nothing for a region without the writer, nor when the monitor cannot read the global cluster or the writer is in
    its own region: so a red alarm on one region's value means "the writer's region is lost", never "the writer has
    moved" (``WriterHealthy`` is 0 for both). It is what an ARC plan's trigger watches (``region_switch.triggers``).
    """
    if topology.writer is None or answers is None or topology.writer.region == monitor_region:
        return {}
    return {topology.writer.region: int(not answers)}


def render_alert(environment: str, monitor_region: str, changes: Sequence[Transition], verdict: LagVerdict) -> tuple[str, str]:
    worst = max((c.current for c in changes), key=[Status.OK, Status.LAGGING, Status.NO_DATA].index)
    subject = f"[drkit {environment}] replication {worst.value.lower().replace('_', ' ')} ({len(changes)} change(s))"[:100]
    lines = [
        f"Aurora Global Database replication, seen from the monitor in {monitor_region}.",
        f"Writer region: {verdict.writer_region or 'unknown (global cluster not readable)'}; threshold {verdict.lag_alarm_threshold_seconds:g} s.",
    ]
    for change in changes:
        if change.identifier == WRITER_KEY:
            seen = "answers again" if change.current is Status.OK else "cannot be reached (global cluster unreadable, or its region does not answer)"
            lines.append(f"- the writer ({change.region}) {seen}")
            continue
        lag = f"{change.lag_seconds:.1f} s" if change.lag_seconds is not None else "no data"
        lines.append(f"- {change.identifier} ({change.region}): {change.previous} -> {change.current.value}, lag {lag}")
    return subject, "\n".join(lines)
