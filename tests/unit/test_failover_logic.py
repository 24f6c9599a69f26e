"""Runbook decisions as tables: every preflight refusal, idempotency, the plan."""

from __future__ import annotations

import pytest

from functions.failover.logic import GlobalState, MemberState, NoOp, Operation, Proceed, Refuse, parse_global_state, preflight, writer_is

EAST = "arn:aws:rds:us-east-1:123456789012:cluster:drkit-dev-us-east-1"
WEST = "arn:aws:rds:us-west-2:123456789012:cluster:drkit-dev-us-west-2"


def state(
    *,
    east_writer: bool = True,
    west_instances: int = 2,
    west_version: str = "17.5",
    in_progress_to: str | None = None,
    with_writer: bool = True,
) -> GlobalState:
    return GlobalState(
        identifier="drkit-dev",
        status="available",
        members=(
            MemberState(EAST, east_writer and with_writer, 2, "17.5"),
            MemberState(WEST, (not east_writer) and with_writer, west_instances, west_version),
        ),
        failover_target_arn=in_progress_to,
    )


CASES = [
    pytest.param(
        Operation.SWITCHOVER,
        state(),
        "us-west-2",
        0.4,
        Proceed,
        "switch over (no data loss): writer drkit-dev-us-east-1 (us-east-1) -> drkit-dev-us-west-2 (us-west-2)",
        id="switchover-proceeds",
    ),
    pytest.param(Operation.FAILOVER, state(), "us-west-2", None, Proceed, "fail over (data loss allowed)", id="failover-needs-no-lag-data"),
    pytest.param(
        Operation.SWITCHOVER,
        state(),
        "eu-west-1",
        0.4,
        Refuse,
        "eu-west-1 is not a member region of global cluster drkit-dev (members: us-east-1, us-west-2)",
        id="not-a-member",
    ),
    pytest.param(
        Operation.SWITCHOVER,
        state(west_instances=0),
        "us-west-2",
        0.4,
        Refuse,
        "drkit-dev-us-west-2 has no DB instances; it cannot become the writer",
        id="no-instances",
    ),
    pytest.param(Operation.FAILOVER, state(west_instances=0), "us-west-2", None, Refuse, "has no DB instances", id="failover-no-instances"),
    pytest.param(
        Operation.SWITCHOVER,
        state(west_version="17.4"),
        "us-west-2",
        0.4,
        Refuse,
        "engine versions differ (drkit-dev-us-east-1 17.5, drkit-dev-us-west-2 17.4)",
        id="versions-differ",
    ),
    pytest.param(Operation.FAILOVER, state(west_version="17.4"), "us-west-2", None, Proceed, "fail over", id="failover-tolerates-versions"),
    pytest.param(
        Operation.SWITCHOVER, state(), "us-west-2", 12.5, Refuse, "replication lag of drkit-dev-us-west-2 is 12.5 s, above 5 s", id="lag-too-high"
    ),
    pytest.param(Operation.SWITCHOVER, state(), "us-west-2", None, Refuse, "no replication lag data for drkit-dev-us-west-2", id="no-lag-data"),
    pytest.param(
        Operation.SWITCHOVER,
        state(in_progress_to=WEST),
        "us-west-2",
        0.4,
        NoOp,
        "a switchover to drkit-dev-us-west-2 is already in progress",
        id="same-operation-in-progress",
    ),
    pytest.param(
        Operation.SWITCHOVER,
        state(in_progress_to=EAST),
        "us-west-2",
        0.4,
        Refuse,
        "another operation is in progress (to drkit-dev-us-east-1)",
        id="other-operation-in-progress",
    ),
    pytest.param(
        Operation.SWITCHOVER,
        state(east_writer=False),
        "us-west-2",
        0.4,
        NoOp,
        "drkit-dev-us-west-2 in us-west-2 is already the writer; nothing to do",
        id="already-done",
    ),
    pytest.param(
        Operation.SWITCHOVER,
        state(with_writer=False),
        "us-west-2",
        0.4,
        Refuse,
        "has no writer; a switchover needs a healthy writer, use failover",
        id="switchover-without-writer",
    ),
    pytest.param(Operation.FAILOVER, state(with_writer=False), "us-west-2", None, Proceed, "fail over", id="failover-without-writer"),
]


@pytest.mark.parametrize(("operation", "current", "target", "lag", "kind", "text"), CASES)
def test_preflight(operation: Operation, current: GlobalState, target: str, lag: float | None, kind: type, text: str) -> None:
    decision = preflight(operation, current, target, lag, max_switchover_lag_seconds=5)
    assert isinstance(decision, kind), decision
    message = decision.describe() if isinstance(decision, Proceed) else decision.reason
    assert text in message


def test_parse_state_with_operation_in_progress() -> None:
    parsed = parse_global_state(
        {
            "GlobalClusterIdentifier": "drkit-dev",
            "Status": "switching-over",
            "GlobalClusterMembers": [{"DBClusterArn": EAST, "IsWriter": True}, {"DBClusterArn": WEST, "IsWriter": False}],
            "FailoverState": {"Status": "switching-over", "FromDbClusterArn": EAST, "ToDbClusterArn": WEST},
        },
        {EAST: {"DBClusterMembers": [{}, {}], "EngineVersion": "17.5"}, WEST: {"DBClusterMembers": [{}], "EngineVersion": "17.5"}},
    )
    assert parsed.failover_target_arn == WEST
    assert [m.instance_count for m in parsed.members] == [2, 1]
    assert not writer_is(parsed, WEST)  # not done until the operation finished


def test_writer_is_after_completion() -> None:
    assert writer_is(state(east_writer=False), WEST)
    assert not writer_is(state(), WEST)
