"""Runbook decisions as tables: every preflight refusal, idempotency, the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.failover.logic import (
    GlobalState,
    MemberState,
    NoOp,
    Operation,
    Proceed,
    Refuse,
    api_region,
    parse_global_state,
    preflight,
    regions_to_read,
    render_status,
    request_age_refusal,
    writer_is,
)

EAST = "arn:aws:rds:us-east-1:123456789012:cluster:drkit-dev-us-east-1"
WEST = "arn:aws:rds:us-west-2:123456789012:cluster:drkit-dev-us-west-2"


def state(
    *,
    east_writer: bool = True,
    west_instances: int | None = 2,
    west_version: str = "17.5",
    in_progress_to: str | None = None,
    with_writer: bool = True,
) -> GlobalState:
    return GlobalState(
        identifier="drkit-dev",
        status="available",
        members=(
            MemberState(EAST, east_writer and with_writer, 2, "17.5"),
            MemberState(
                WEST, (not east_writer) and with_writer, west_instances, west_version, "available" if west_instances is not None else "not read"
            ),
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
    pytest.param(
        Operation.SWITCHOVER,
        state(west_instances=None),
        "us-west-2",
        0.4,
        Refuse,
        "drkit-dev-us-west-2 could not be read in us-west-2",
        id="target-unreadable",
    ),
]


@pytest.mark.parametrize(("operation", "current", "target", "lag", "kind", "text"), CASES)
def test_preflight(operation: Operation, current: GlobalState, target: str, lag: float | None, kind: type, text: str) -> None:
    decision = preflight(operation, current, target, lag, switchover_max_lag_seconds=5)
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


def test_a_member_that_could_not_be_read_blocks_a_switchover_not_a_failover() -> None:
    unread = GlobalState(
        identifier="drkit-dev",
        status="available",
        members=(MemberState(EAST, True, None, None, "not read"), MemberState(WEST, False, 2, "17.5")),
    )
    switchover = preflight(Operation.SWITCHOVER, unread, "us-west-2", 0.4, 5)
    assert isinstance(switchover, Refuse) and "drkit-dev-us-east-1 (us-east-1: not read) could not be read" in switchover.reason
    assert isinstance(preflight(Operation.FAILOVER, unread, "us-west-2", None, 5), Proceed)


def test_a_request_that_expected_another_writer_is_refused() -> None:
    decision = preflight(Operation.FAILOVER, state(), "us-west-2", None, 5, expected_writer_region="eu-west-1")
    assert isinstance(decision, Refuse)
    assert decision.reason == "the request expected the writer in eu-west-1, but it is in us-east-1 now; nothing was changed"
    assert isinstance(preflight(Operation.FAILOVER, state(), "us-west-2", None, 5, expected_writer_region="us-east-1"), Proceed)


@pytest.mark.parametrize(
    ("operation", "writer", "target", "region"),
    [
        (Operation.SWITCHOVER, "us-east-1", "us-west-2", "us-east-1"),  # "the AWS Region where the primary DB cluster ... is running"
        (Operation.FAILOVER, "us-east-1", "us-west-2", "us-west-2"),  # "the AWS Region where the secondary DB cluster ... is running"
        (Operation.SWITCHOVER, None, "us-west-2", "us-west-2"),  # no writer known: the target's region
    ],
)
def test_each_operation_is_called_where_aws_documents_it(operation: Operation, writer: str | None, target: str, region: str) -> None:
    assert api_region(operation, writer, target) == region


def test_a_failover_never_reads_the_lost_writer_region() -> None:
    members = ["us-east-1", "us-west-2", "eu-west-1"]
    assert regions_to_read(Operation.FAILOVER, members, "us-east-1", "eu-west-1") == ("us-west-2", "eu-west-1")
    assert regions_to_read(Operation.SWITCHOVER, members, "us-east-1", "eu-west-1") == tuple(members)
    assert regions_to_read(None, members, "us-east-1", None) == tuple(members)


NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("requested_at", "refusal"),
    [
        ((NOW - timedelta(seconds=10)).isoformat(), None),
        ((NOW - timedelta(seconds=61)).isoformat(), "the request is 61 s old (more than 60 s): stale requests never act"),
        ((NOW - timedelta(hours=6)).isoformat(), "the request is 21600 s old"),
        (None, "the request has no requested_at time"),
        ("yesterday", "requested_at 'yesterday' is not an ISO 8601 time"),
        ("2026-11-29T12:00:00", "has no time zone"),
        ((NOW + timedelta(minutes=5)).isoformat(), "is in the future"),
    ],
)
def test_a_stale_request_never_acts(requested_at: str | None, refusal: str | None) -> None:
    verdict = request_age_refusal(requested_at, NOW, 60)
    assert (verdict is None) if refusal is None else (verdict is not None and refusal in verdict)


def _returned(synchronization: str | None) -> GlobalState:
    return parse_global_state(
        {
            "GlobalClusterIdentifier": "drkit-dev",
            "Status": "available",
            "GlobalClusterMembers": [
                {"DBClusterArn": WEST, "IsWriter": True, "SynchronizationStatus": "connected"},
                {"DBClusterArn": EAST, "IsWriter": False, **({"SynchronizationStatus": synchronization} if synchronization else {})},
            ],
        },
        {EAST: {"DBClusterMembers": [{}, {}], "EngineVersion": "17.5"}, WEST: {"DBClusterMembers": [{}, {}], "EngineVersion": "17.5"}},
    )


def test_a_switchover_waits_until_every_member_is_connected() -> None:
    """After an unplanned failover the returning old primary is rebuilt and reports SynchronizationStatus pending-resync
    (botocore GlobalClusterMember); a switch-back then is refused with the reason, a failover is not."""
    parsed = _returned("pending-resync")
    assert parsed.member_in("us-east-1").synchronization == "pending-resync"  # type: ignore[union-attr]
    switch_back = preflight(Operation.SWITCHOVER, parsed, "us-east-1", 0.2, 5)
    assert isinstance(switch_back, Refuse), switch_back
    assert "drkit-dev-us-east-1 (us-east-1: pending-resync) is not connected" in switch_back.reason
    assert isinstance(preflight(Operation.FAILOVER, parsed, "us-east-1", 0.2, 5), Proceed)
    assert ", pending-resync" in render_status(parsed)


def test_a_member_that_does_not_report_its_synchronization_is_not_refused_for_that_alone() -> None:
    """SynchronizationStatus is optional in the API reference ("Required: No"): an answer without it (an older SDK in
    the Lambda runtime) must not block every switchover; `status` says it was not reported."""
    parsed = _returned(None)
    assert isinstance(preflight(Operation.SWITCHOVER, parsed, "us-east-1", 0.2, 5), Proceed)
    assert "synchronization not reported" in render_status(parsed)
