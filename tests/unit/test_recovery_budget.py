"""The recovery budget synth prints: the new chain (probes, quorum alarm, decision, promotion, the global
writer endpoint's TTL), the operator's share in manual mode, and the db.<zone> path beside it."""

from __future__ import annotations

import pytest

from constructs_lib.rto import MONTHLY_DOWNTIME_BUDGET_SECONDS
from functions.failover.contract import FailoverMode
from tests.helpers import cdktf_environments, minimal_environment, parse_one


def test_the_monthly_budget_of_four_nines_is_259_2_seconds() -> None:
    assert MONTHLY_DOWNTIME_BUDGET_SECONDS == 259.2


def test_automatic_defaults_fit_two_minutes() -> None:
    budget = parse_one(minimal_environment(failover={"mode": "automatic"})).recovery_budget
    assert budget.mode is FailoverMode.AUTOMATIC
    assert budget.writer_detection_seconds == 30  # 10 s x 3 probes in a row
    assert budget.decision_seconds == 20
    assert budget.operator_seconds == 0
    assert budget.rto_seconds == 30 + 20 + 60 + 5 == 115
    assert budget.rto_seconds <= 120


def test_manual_shows_the_operator_share() -> None:
    budget = parse_one(minimal_environment()).recovery_budget
    assert budget.mode is FailoverMode.MANUAL and budget.operator_seconds == 180
    assert budget.rto_seconds == 30 + 20 + 180 + 60 + 5 == 295
    line = budget.explain()
    assert "operator 180 s (failover.operator_response_seconds: an assumption, from the page to the command)" in line
    assert "one failover spends 114% of the 99.99% monthly budget (259.2 s)" in line


def test_production_defaults_in_automatic_fit_120_seconds() -> None:
    production = cdktf_environments()["production"]
    production["failover"] = {"mode": "automatic"}
    production["rto_target_seconds"] = 120
    env = parse_one(production, name="production")
    assert env.recovery_budget.rto_seconds <= 120 and env.recovery_budget.within_target


@pytest.mark.parametrize(
    ("regions", "mode", "expected"),
    [
        (["us-west-2"], "manual", "RTO 295 s (manual) = detection 30 s (probe every 10 s x 3 failed in a row, both paths, from 1 other region)"),
        (
            ["us-west-2"],
            "automatic",
            "RTO 115 s (automatic) = detection 30 s (probe every 10 s x 3 failed in a row, both paths, from 1 other region)",
        ),
        (
            ["us-west-2", "eu-west-1"],
            "automatic",
            "RTO 115 s (automatic) = detection 30 s (probe every 10 s x 3 failed in a row, both paths, from 2 other regions)",
        ),
    ],
)
def test_the_line_synth_prints(regions: list[str], mode: str, expected: str) -> None:
    env = parse_one(minimal_environment(secondary_regions=regions, failover={"mode": mode}))
    assert env.recovery_budget.explain().startswith(expected)


def test_the_database_name_keeps_its_own_slower_chain() -> None:
    automatic = parse_one(minimal_environment(failover={"mode": "automatic"})).recovery_budget
    manual = parse_one(minimal_environment()).recovery_budget
    assert automatic.database_name_seconds == 180 + 30 + 30  # its detection and health check come after the promotion
    assert manual.database_name_seconds == 295 - 5 + 30  # the promotion (after the operator) comes last, then its TTL
    assert "Route 53 health checks cannot read high-resolution alarms" in automatic.explain_database_name()


def test_rpo_budget_is_the_enforced_rpo_when_set() -> None:
    three = parse_one(minimal_environment(secondary_regions=["us-west-2", "eu-west-1"], database={"global_db_rpo_seconds": 30}))
    assert three.rpo_budget_seconds == 30 and three.recovery_budget.rpo_seconds == 30
    assert parse_one(minimal_environment()).rpo_budget_seconds == 5
