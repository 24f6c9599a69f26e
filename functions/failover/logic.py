"""Pure decisions of the runbook: preflight checks, idempotency, the plan. No AWS calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Operation(StrEnum):
    SWITCHOVER = "switchover"  # planned, no data loss: SwitchoverGlobalCluster
    FAILOVER = "failover"  # unplanned, allows data loss: FailoverGlobalCluster(AllowDataLoss=True)


@dataclass(frozen=True)
class MemberState:
    arn: str
    is_writer: bool
    instance_count: int
    engine_version: str | None
    status: str = "available"

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


def parse_global_state(global_cluster: Mapping[str, Any], clusters: Mapping[str, Mapping[str, Any]]) -> GlobalState:
    """From DescribeGlobalClusters (one cluster) and DescribeDBClusters results keyed by ARN."""
    members = []
    for member in global_cluster.get("GlobalClusterMembers", []):
        arn = member["DBClusterArn"]
        detail = clusters.get(arn, {})
        members.append(
            MemberState(
                arn=arn,
                is_writer=bool(member.get("IsWriter")),
                instance_count=len(detail.get("DBClusterMembers", [])),
                engine_version=detail.get("EngineVersion"),
                status=str(detail.get("Status", "unknown")),
            )
        )
    failover = global_cluster.get("FailoverState") or {}
    in_progress = failover.get("Status") in {"pending", "failing-over", "switching-over", "cancelling"}
    return GlobalState(
        identifier=global_cluster["GlobalClusterIdentifier"],
        status=str(global_cluster.get("Status", "unknown")),
        members=tuple(members),
        failover_target_arn=failover.get("ToDbClusterArn") if in_progress else None,
    )


def preflight(
    operation: Operation, state: GlobalState, target_region: str, target_lag_seconds: float | None, max_switchover_lag_seconds: float
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
    if source is None:
        if operation is Operation.SWITCHOVER:
            return Refuse(f"global cluster {state.identifier} has no writer; a switchover needs a healthy writer, use failover")
        source = MemberState(arn=f"arn:aws:rds:unknown:0:cluster:{state.identifier}-writer", is_writer=True, instance_count=0, engine_version=None)
    if target.instance_count < 1:
        return Refuse(f"{target.identifier} has no DB instances; it cannot become the writer")
    if operation is Operation.SWITCHOVER:
        versions = {m.engine_version for m in state.members}
        if len(versions) > 1:
            listed = ", ".join(f"{m.identifier} {m.engine_version}" for m in state.members)
            return Refuse(f"engine versions differ ({listed}); a switchover needs every member on the same version")
        if target_lag_seconds is None:
            return Refuse(f"no replication lag data for {target.identifier}; cannot prove a switchover loses nothing")
        if target_lag_seconds > max_switchover_lag_seconds:
            return Refuse(
                f"replication lag of {target.identifier} is {target_lag_seconds:.1f} s, above {max_switchover_lag_seconds:g} s; "
                "wait for it to catch up, or use failover if the primary region is lost"
            )
    return Proceed(operation=operation, source=source, target=target)


def writer_is(state: GlobalState, arn: str) -> bool:
    writer = state.writer
    return writer is not None and writer.arn == arn and state.failover_target_arn is None


def render_status(state: GlobalState) -> str:
    lines = [f"global cluster {state.identifier}: {state.status}"]
    for member in sorted(state.members, key=lambda m: not m.is_writer):
        role = "WRITER   " if member.is_writer else "secondary"
        lines.append(f"  {role} {member.identifier} ({member.region}) {member.status}, {member.instance_count} instance(s), {member.engine_version}")
    if state.failover_target_arn:
        lines.append(f"  operation in progress -> {state.failover_target_arn}")
    return "\n".join(lines)


def summarize_records(records: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    wanted = name.rstrip(".") + "."
    lines = []
    for record in records:
        if record.get("Name") != wanted:
            continue
        values = ", ".join(r["Value"] for r in record.get("ResourceRecords", []))
        lines.append(f"{record.get('Failover', 'SIMPLE')} {record['Name']} -> {values}")
    return lines
