"""The restore decisions: a zone-qualified time, a name after the source and the time, the window check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drkit.restore import RestoreStuck, Window, is_restore, parse_time, refusal, restored_identifier, wait_until_available


def test_a_restore_point_must_carry_its_time_zone() -> None:
    assert parse_time("2026-11-29T14:05:00Z") == datetime(2026, 11, 29, 14, 5, tzinfo=UTC)
    assert parse_time("2026-11-29T15:05:00+01:00") == datetime(2026, 11, 29, 14, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="give a time zone"):
        parse_time("2026-11-29T14:05:00")


def test_a_restored_cluster_is_named_after_its_source_and_time_within_63_characters() -> None:
    moment = datetime(2026, 11, 29, 14, 5, 7, tzinfo=UTC)
    assert restored_identifier("drkit-prod-us-east-1", moment) == "drkit-prod-us-east-1-restore-20261129140507"
    long = restored_identifier("x" * 70, moment)
    assert len(long) == 63 and long.endswith("-restore-20261129140507")


def test_a_time_outside_the_window_is_refused_with_the_window() -> None:
    now = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
    window = Window(now - timedelta(days=7), now)
    assert refusal(window, now - timedelta(hours=1)) is None
    reason = refusal(window, now + timedelta(minutes=1))
    assert reason is not None and "outside the restorable window 2026-11-22T14:00:00+00:00 .. 2026-11-29T14:00:00+00:00" in reason
    assert "no restorable window" in (refusal(None, now) or "")


def test_only_a_restore_may_be_discarded() -> None:
    tag = [{"Key": "drkit:restored-from", "Value": "arn"}]
    assert is_restore({"DBClusterIdentifier": "drkit-prod-us-east-1-restore-20261129140507", "TagList": tag})
    assert not is_restore({"DBClusterIdentifier": "drkit-prod-us-east-1", "TagList": tag})  # a member of the stack
    assert not is_restore({"DBClusterIdentifier": "drkit-prod-us-east-1-restore-x", "TagList": []})  # not made by drkit


def statuses(*answers: dict[str, Any] | None) -> Any:
    """A ``describe`` that answers each of ``answers`` in turn (the last one again after that)."""
    queue = list(answers)

    def describe() -> dict[str, Any] | None:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return describe


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("stopped", "start it (aws rds start-db-cluster"),
        ("stopping", "start it (aws rds start-db-cluster"),
        ("cloning-failed", "will not become available by waiting"),
        ("migration-failed", "will not become available by waiting"),
        ("restore-error", "will not become available by waiting"),
        ("incompatible-option-group", "will not become available by waiting"),
        ("insufficient-capacity", "will not become available by waiting"),
    ],
)
def test_a_status_rds_does_not_leave_by_itself_ends_the_wait_with_what_to_do(status: str, advice: str) -> None:
    """Aurora user guide, "DB cluster status" / "DB instance status": none of these becomes ``available`` by waiting
    (a stopped cluster starts by itself only after seven days, "Stopping and starting an Amazon Aurora DB cluster")."""
    said: list[str] = []
    with pytest.raises(RestoreStuck) as stuck:
        wait_until_available(statuses({"Status": "creating"}, {"Status": status}), "cluster c-restore-1", said.append, 0, lambda s: None)
    assert str(stuck.value).startswith(f"cluster c-restore-1 is {status}: ") and advice in str(stuck.value), str(stuck.value)


def test_not_found_right_after_the_create_is_read_again_before_it_counts_as_stuck() -> None:
    """RDS's reads are eventually consistent: a cluster just created may not be listed yet. A few "not found" before it
    is ever seen are waited out; one that never appears, or that disappears once seen, ends the wait."""
    said: list[str] = []
    slept: list[float] = []
    found = wait_until_available(statuses(None, None, {"Status": "creating"}, {"Status": "available"}), "cluster c", said.append, 5, slept.append)
    assert found == {"Status": "available"} and len(slept) == 3
    assert any("not found yet" in line for line in said)
    with pytest.raises(RestoreStuck, match=r"^cluster c is not found: not listed after \d+ reads"):
        wait_until_available(statuses(None), "cluster c", said.append, 0, lambda s: None)
    with pytest.raises(RestoreStuck, match=r"^cluster c is not found: it was creating, then it was gone"):
        wait_until_available(statuses({"Status": "creating"}, None), "cluster c", said.append, 0, lambda s: None)
