"""DRK010: AWS Backup's start window against the clusters' preferred backup window (cron arithmetic and the rule)."""

from __future__ import annotations

from typing import Any

import pytest

from constructs_lib.config.model import AURORA_BACKUP_WINDOW
from constructs_lib.policy import Level, StackView, evaluate
from constructs_lib.policy.backup_window import (
    DEFAULT_START_WINDOW_MINUTES,
    BackupOutsideDatabaseWindows,
    overlaps,
    start_minutes,
    window_minutes,
)
from tests.helpers import minimal_environment, parse_one


@pytest.mark.parametrize(
    ("schedule", "starts"),
    [("cron(0 3 * * ? *)", {180}), ("cron(30 7 * * ? *)", {450}), ("cron(0 0/12 * * ? *)", {0, 720}), ("cron(15 1,2 ? * MON *)", {75, 135}),
     ("cron(0 * * * ? *)", {h * 60 for h in range(24)}), ("rate(1 day)", None)],
)  # fmt: skip
def test_start_minutes_of_a_schedule(schedule: str, starts: set[int] | None) -> None:
    assert start_minutes(schedule) == starts


def test_a_start_window_overlapping_the_backup_window() -> None:
    window = window_minutes(AURORA_BACKUP_WINDOW)
    assert window == (180, 240)
    assert overlaps(180, 60, window) and overlaps(150, 60, window) and overlaps(0, 8 * 60, window)  # the console's 8 h start window from 00:00
    assert not overlaps(420, 60, window) and not overlaps(120, 60, window) and not overlaps(240, 60, window)
    assert overlaps(23 * 60 + 30, 5 * 60, window)  # across midnight


def plan(schedule: str, start_window: int | None) -> StackView:
    rule: dict[str, Any] = {"schedule": schedule, **({"start_window": start_window} if start_window else {})}
    return StackView({"resource": {"aws_rds_cluster": {"c": {"preferred_backup_window": AURORA_BACKUP_WINDOW}},
                                   "aws_backup_plan": {"p": {"rule": [rule]}}}})  # fmt: skip


def test_the_old_default_schedule_collided_with_the_backup_window_and_the_new_one_does_not() -> None:
    (finding,) = BackupOutsideDatabaseWindows().check(plan("cron(0 3 * * ? *)", None))
    assert finding.level is Level.WARNING and "can start inside the clusters' backup window 03:00-04:00 UTC" in finding.message
    env = parse_one(minimal_environment(), "dev")
    assert BackupOutsideDatabaseWindows().check(plan(env.backup.schedule, env.backup.start_window_minutes)) == []


def test_a_rule_without_a_start_window_is_read_with_the_providers_default_of_60_minutes() -> None:
    # terraform-provider-aws aws_backup_plan: rule.start_window Default 60 (sent as StartWindowMinutes);
    # the console's 8 hours never applies to a Terraform rule.
    assert DEFAULT_START_WINDOW_MINUTES == 60
    assert BackupOutsideDatabaseWindows().check(plan("cron(0 1 * * ? *)", None)) == []  # 01:00-02:00
    (finding,) = BackupOutsideDatabaseWindows().check(plan("cron(30 2 * * ? *)", None))  # 02:30-03:30
    assert "with a 60-minute start window" in finding.message


def test_every_rule_names_its_completion_window(stacks: dict[str, Any]) -> None:
    # The provider would otherwise send its own default, 180 minutes (not AWS's 7 days).
    default = parse_one(minimal_environment(), "dev").backup.completion_window_minutes
    assert default == 7 * 24 * 60  # the AWS Backup console's "Complete within" default
    for name, stack in stacks.items():
        for body in stack["resource"].get("aws_backup_plan", {}).values():
            assert all(rule["completion_window"] == default for rule in body["rule"]), name


def test_no_shipped_or_test_stack_warns_about_its_backup_window(stacks: dict[str, Any]) -> None:
    for name, stack in stacks.items():
        assert [f for f in evaluate(stack) if f.rule_id == "DRK010"] == [], name
        plans = stack["resource"].get("aws_backup_plan", {}).values()
        assert all(rule["start_window"] == 60 for p in plans for rule in p["rule"]), name
