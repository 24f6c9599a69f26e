"""The game day judges against the budget synth prints: the same phases, the same totals, in its report."""

from __future__ import annotations

import pytest

from drkit.report import budget_document, chart
from tests.helpers import minimal_environment, parse_one


@pytest.mark.parametrize("mode", ["manual", "automatic"])
def test_the_reported_phases_add_up_to_the_rto_synth_prints(mode: str) -> None:
    budget = parse_one(minimal_environment(secondary_regions=["us-west-2", "eu-west-1"], failover={"mode": mode})).recovery_budget
    document = budget_document(budget)
    phases = ("writer_detection_seconds", "decision_seconds", "operator_seconds", "promotion_seconds", "writer_dns_ttl_seconds")
    assert sum(document[key] for key in phases) == document["rto_seconds"] == budget.rto_seconds
    assert document["explained"] == budget.explain() and document["explained"].startswith(f"RTO {budget.rto_seconds} s ({mode})")
    assert document["database_name_seconds"] == budget.database_name_seconds


def test_the_chart_draws_the_rto_path_phases() -> None:
    budget = parse_one(minimal_environment(failover={"mode": "automatic"})).recovery_budget
    lines = chart({"scenario": "s", "budget": budget_document(budget), "timeline": []})
    assert [line.strip() for line in lines if line.strip().split(" ")[0] in ("detection", "decision", "operator", "promotion", "DNS")] == [
        "detection 30 s : 0, 30",
        "decision 20 s : 30, 50",
        "promotion 60 s : 50, 110",
        "DNS TTL 5 s : 110, 115",
    ]
