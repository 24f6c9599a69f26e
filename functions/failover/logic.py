"""Pure decisions of the runbook: preflight checks, idempotency, where each call goes. No AWS calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Operation(StrEnum):
    SWITCHOVER = "switchover"  # planned, no data loss: SwitchoverGlobalCluster
    FAILOVER = "failover"  # unplanned, allows data loss: FailoverGlobalCluster(AllowDataLoss=True)


@dataclass(frozen=True)
class MemberState:
    arn: str
    is_writer: bool
    instance_count: int | None  # None: not read (its region was not called, or did not answer)
    engine_version: str | None
    status: str = "available"
    synchronization: str | None = "connected"  # DescribeGlobalClusters SynchronizationStatus: connected | pending-resync

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def identifier(self) -> str:
        return self.arn.rsplit(":", maxsplit=1)[-1]


@dataclass(frozen=True)
class GlobalState:
    identifier: str
    status: str
    members: tuple[MemberState, ...]
    engine_version: str | None = None
    failover_target_arn: str | None = None  # set while a switchover/failover is in progress

    @property
    def writer(self) -> MemberState | None:
        return next((m for m in self.members if m.is_writer), None)

    def member_in(self, region: str) -> MemberState | None:
        return next((m for m in self.members if m.region == region), None)


@dataclass(frozen=True)
class Proceed:
    operation: Operation
    source: MemberState
    target: MemberState

    def describe(self) -> str:
        verb = "switch over (no data loss)" if self.operation is Operation.SWITCHOVER else "fail over (data loss allowed)"
        return f"{verb}: writer {self.source.identifier} ({self.source.region}) -> {self.target.identifier} ({self.target.region})"


@dataclass(frozen=True)
class NoOp:
    reason: str


@dataclass(frozen=True)
class Refuse:
    reason: str


Decision = Proceed | NoOp | Refuse
IN_PROGRESS = frozenset({"pending", "failing-over", "switching-over", "cancelling"})
SYNCHRONIZED = "connected"


def api_region(operation: Operation, writer_region: str | None, target_region: str) -> str:
    """The region to send SwitchoverGlobalCluster / FailoverGlobalCluster to.

    Aurora User Guide, "Using switchover or failover in Amazon Aurora Global Database": for
    ``switchover-global-cluster``, "--region - Specify the AWS Region where the primary DB cluster of
    the Aurora global database is running"; for ``failover-global-cluster``, "--region - Specify the
    AWS Region where the secondary DB cluster that you want to be the new primary ... is running".
    A failover is for a lost writer region, so it never calls that region.
    """
    if operation is Operation.SWITCHOVER and writer_region is not None:
        return writer_region
    return target_region


def regions_to_read(
    operation: Operation | None, state_regions: Sequence[str], writer_region: str | None, target_region: str | None
) -> tuple[str, ...]:
    """Member regions whose clusters the runbook describes. A failover skips the writer's (lost) region."""
    if operation is Operation.FAILOVER:
        return tuple(r for r in state_regions if r != writer_region or r == target_region)
    return tuple(state_regions)


def parse_global_state(global_cluster: Mapping[str, Any], clusters: Mapping[str, Mapping[str, Any]]) -> GlobalState:
    """From DescribeGlobalClusters (one cluster) and DescribeDBClusters results keyed by ARN."""
    members = []
    for member in global_cluster.get("GlobalClusterMembers", []):
        arn = member["DBClusterArn"]
        detail = clusters.get(arn)
        unread = detail is None or "Error" in detail
        status = "not read" if detail is None else (f"unreachable: {detail['Error']}" if "Error" in detail else str(detail.get("Status", "unknown")))
        members.append(
            MemberState(
                arn=arn,
                is_writer=bool(member.get("IsWriter")),
                instance_count=None if unread else len((detail or {}).get("DBClusterMembers", [])),
                engine_version=None if unread else (detail or {}).get("EngineVersion"),
                status=status,
                synchronization=member.get("SynchronizationStatus"),
            )
        )
    failover = global_cluster.get("FailoverState") or {}
    in_progress = failover.get("Status") in IN_PROGRESS
    return GlobalState(
        identifier=global_cluster["GlobalClusterIdentifier"],
        status=str(global_cluster.get("Status", "unknown")),
        members=tuple(members),
        engine_version=global_cluster.get("EngineVersion"),
        failover_target_arn=failover.get("ToDbClusterArn") if in_progress else None,
    )


def preflight(
    operation: Operation,
    state: GlobalState,
    target_region: str,
    target_lag_seconds: float | None,
    switchover_max_lag_seconds: float,
    expected_writer_region: str | None = None,
) -> Decision:
    """Decide what to do, saying exactly what is wrong when the answer is no."""
    target = state.member_in(target_region)
    regions = ", ".join(sorted(m.region for m in state.members)) or "none"
    if target is None:
        return Refuse(f"{target_region} is not a member region of global cluster {state.identifier} (members: {regions})")
    if state.failover_target_arn is not None:
        if state.failover_target_arn == target.arn:
            return NoOp(f"a {operation.value} to {target.identifier} is already in progress")
        return Refuse(f"another operation is in progress (to {state.failover_target_arn.rsplit(':', maxsplit=1)[-1]}); wait for it to finish")
    if target.is_writer:
        return NoOp(f"{target.identifier} in {target_region} is already the writer; nothing to do")
    source = state.writer
    if expected_writer_region is not None and (source is None or source.region != expected_writer_region):
        now = source.region if source else "nowhere"
        return Refuse(f"the request expected the writer in {expected_writer_region}, but it is in {now} now; nothing was changed")
    if source is None:
        if operation is Operation.SWITCHOVER:
            return Refuse(f"global cluster {state.identifier} has no writer; a switchover needs a healthy writer, use failover")
        source = MemberState(arn=f"arn:aws:rds:unknown:0:cluster:{state.identifier}-writer", is_writer=True, instance_count=0, engine_version=None)
    if target.instance_count is None:
        return Refuse(f"{target.identifier} could not be read in {target_region} ({target.status}); cannot promote it")
    if target.instance_count < 1:
        return Refuse(f"{target.identifier} has no DB instances; it cannot become the writer")
    if operation is Operation.SWITCHOVER:
        unread = [m for m in state.members if m.instance_count is None]
        if unread:
            listed = ", ".join(f"{m.identifier} ({m.region}: {m.status})" for m in unread)
            return Refuse(f"{listed} could not be read; a switchover needs every member healthy (use failover if a region is lost)")
        # A member rebuilt after an unplanned failover (the returning old primary among them) reports
        # SynchronizationStatus pending-resync until it has caught up (botocore rds, GlobalClusterMember; enum
        # connected | pending-resync). A switchover promises no data loss and a synchronized topology: refuse it
        # until every member is connected. The field is optional in the API reference (GlobalClusterMember:
        # "Required: No"): a member that does not report it is not refused for that alone (an older SDK in the
        # Lambda runtime, or an answer without it, must not block every switchover); `status` shows it as not reported.
        unsynchronized = [m for m in state.members if m.synchronization is not None and m.synchronization != SYNCHRONIZED]
        if unsynchronized:
            listed = ", ".join(f"{m.identifier} ({m.region}: {m.synchronization})" for m in unsynchronized)
            return Refuse(
                f"{listed} is not connected to the global database (SynchronizationStatus); a switchover needs every member "
                "connected: wait until it has resynchronized (`status` shows it), or use failover if the writer's region is lost"
            )
        versions = {m.engine_version for m in state.members}
        if len(versions) > 1:
            listed = ", ".join(f"{m.identifier} {m.engine_version}" for m in state.members)
            return Refuse(f"engine versions differ ({listed}); a switchover needs every member on the same version")
        if target_lag_seconds is None:
            return Refuse(f"no replication lag data for {target.identifier}; cannot prove a switchover loses nothing")
        if target_lag_seconds > switchover_max_lag_seconds:
            return Refuse(
                f"replication lag of {target.identifier} is {target_lag_seconds:.1f} s, above {switchover_max_lag_seconds:g} s "
                "(failover.switchover_max_lag_seconds); wait for it to catch up, or use failover if the writer's region is lost"
            )
    return Proceed(operation=operation, source=source, target=target)


def request_age_refusal(requested_at: str | None, now: datetime, max_age_seconds: float) -> str | None:
    """Why a request must not act because of its age (None when it may act)."""
    if not requested_at:
        return "the request has no requested_at time; a runbook request must say when it was made"
    try:
        when = datetime.fromisoformat(requested_at)
    except ValueError:
        return f"requested_at {requested_at!r} is not an ISO 8601 time"
    if when.tzinfo is None:
        return f"requested_at {requested_at!r} has no time zone"
    age = now - when
    if age > timedelta(seconds=max_age_seconds):
        return f"the request is {age.total_seconds():.0f} s old (more than {max_age_seconds:g} s): stale requests never act"
    if age < -timedelta(seconds=max_age_seconds):
        return f"requested_at {requested_at!r} is in the future"
    return None


def writer_is(state: GlobalState, arn: str) -> bool:
    writer = state.writer
    return writer is not None and writer.arn == arn and state.failover_target_arn is None


def render_status(state: GlobalState) -> str:
    lines = [f"global cluster {state.identifier}: {state.status}"]
    for member in sorted(state.members, key=lambda m: not m.is_writer):
        role = "WRITER   " if member.is_writer else "secondary"
        count = "?" if member.instance_count is None else str(member.instance_count)
        sync = "" if member.synchronization == SYNCHRONIZED else f", {member.synchronization or 'synchronization not reported'}"
        lines.append(f"  {role} {member.identifier} ({member.region}) {member.status}, {count} instance(s), {member.engine_version or '?'}{sync}")
    if state.failover_target_arn:
        lines.append(f"  operation in progress -> {state.failover_target_arn}")
    return "\n".join(lines)


def summarize_records(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[str]:
    wanted = {name.rstrip(".") + "." for name in names}
    lines = []
    for record in records:
        if record.get("Name") not in wanted:
            continue
        values = ", ".join(r["Value"] for r in record.get("ResourceRecords", []))
        check = " (health-checked)" if record.get("HealthCheckId") else ""
        lines.append(f"{record.get('Failover', 'SIMPLE')} {record['Name']} -> {values}{check}")
    return lines
