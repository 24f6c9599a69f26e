"""The restore decisions: a zone-qualified time, a name after the source and the time, the window check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drkit.restore import Window, is_restore, parse_time, refusal, restored_identifier


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
