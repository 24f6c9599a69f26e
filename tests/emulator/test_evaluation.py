"""The evaluation game day relies on: alarm states, health-check verdicts and Route 53 answers, as AWS computes them."""

from __future__ import annotations

import pytest

from drkit_lab.emf import emf_metrics
from drkit_lab.emulator.evaluation import ALARM, INSUFFICIENT, OK, Record, alarm_state, calculated_status, check_status, resolve
from drkit_lab.gameday.world import endpoint_region

LESS = "LessThanThreshold"
GREATER = "GreaterThanThreshold"


@pytest.mark.parametrize(
    ("values", "comparison", "treat", "current", "expected"),
    [
        ([0.0, 0.0], LESS, "missing", OK, ALARM),  # writer-healthy: two periods of 0
        ([1.0, 0.0], LESS, "missing", OK, OK),  # one bad period of two is not enough
        ([None, 0.0], LESS, "missing", OK, OK),  # a missing period is left out: 1 breaching of the 2 needed
        ([None, None], LESS, "missing", OK, INSUFFICIENT),  # a silent observer: no verdict
        ([None, None], LESS, "ignore", ALARM, ALARM),  # ignore keeps the state
        ([None], LESS, "breaching", OK, ALARM),  # the monitor's silence alarm
        ([None], GREATER, "notBreaching", ALARM, OK),  # a lag alarm on the writer: no data is fine
        ([5000.0], GREATER, "notBreaching", OK, OK),  # at the threshold is not above it
        ([5001.0], GREATER, "notBreaching", OK, ALARM),
    ],
)
def test_alarm_state(values: list[float | None], comparison: str, treat: str, current: str, expected: str) -> None:
    threshold = 1.0 if comparison == LESS else 5000.0
    assert alarm_state(values, threshold=threshold, comparison=comparison, datapoints_to_alarm=None, treat_missing=treat, current=current) == expected


def test_datapoints_to_alarm_m_of_n() -> None:
    values: list[float | None] = [9.0, 1.0, 9.0]
    common = {"threshold": 5.0, "comparison": GREATER, "treat_missing": "missing", "current": OK}
    assert alarm_state(values, datapoints_to_alarm=2, **common) == ALARM  # type: ignore[arg-type]
    assert alarm_state(values, datapoints_to_alarm=None, **common) == OK  # type: ignore[arg-type]


def test_an_unknown_comparison_is_refused() -> None:
    with pytest.raises(ValueError, match="LessThanLowerThreshold"):
        alarm_state([1.0], threshold=1, comparison="LessThanLowerThreshold", datapoints_to_alarm=None, treat_missing="missing", current=OK)


@pytest.mark.parametrize(
    ("alarm", "insufficient", "last", "healthy"),
    [
        (OK, "LastKnownStatus", False, True),
        (ALARM, "LastKnownStatus", True, False),
        (INSUFFICIENT, "LastKnownStatus", False, False),  # keeps its last verdict
        (None, "LastKnownStatus", True, True),  # the alarm's region cannot be read: same as insufficient data
        (None, "Unhealthy", True, False),
        (INSUFFICIENT, "Healthy", False, True),
        (None, "LastKnownStatus", None, True),  # a new check starts healthy
    ],
)
def test_cloudwatch_metric_check(alarm: str | None, insufficient: str, last: bool | None, healthy: bool) -> None:
    assert check_status(alarm, insufficient, last) is healthy


def test_calculated_check() -> None:
    assert calculated_status([True, False], 1) is True
    assert calculated_status([True, False], 2) is False
    assert calculated_status([True, False], 2, inverted=True) is True


ZONE = "z.drkit.internal"
EAST = "c1.cluster-a.us-east-1.rds.amazonaws.com"
WEST = "c2.cluster-b.us-west-2.rds.amazonaws.com"
EU = "c3.cluster-c.eu-west-1.rds.amazonaws.com"
CHAIN = [
    Record(f"db.{ZONE}.", "CNAME", (EAST,), "PRIMARY", "hc-east"),
    Record(f"db.{ZONE}.", "CNAME", (f"db-after-us-east-1.{ZONE}",), "SECONDARY"),
    Record(f"db-after-us-east-1.{ZONE}.", "CNAME", (WEST,), "PRIMARY", "hc-west"),
    Record(f"db-after-us-east-1.{ZONE}.", "CNAME", (EU,), "SECONDARY"),
    Record(f"writer.{ZONE}.", "CNAME", ("g.global-x.global.rds.amazonaws.com",)),
]


@pytest.mark.parametrize(
    ("health", "answer"),
    [
        ({"hc-east": True, "hc-west": False}, EAST),
        ({"hc-east": False, "hc-west": True}, WEST),
        ({"hc-east": False, "hc-west": False}, EU),  # the last member has no check: answered when all others fail
        ({}, EAST),  # checks not evaluated yet count as healthy, as new Route 53 checks do
    ],
)
def test_failover_chain_answers(health: dict[str, bool], answer: str) -> None:
    assert resolve(f"db.{ZONE}", CHAIN, health, lambda name: None)[-1] == answer


def test_the_global_writer_endpoint_answers_the_writer() -> None:
    chain = resolve(f"writer.{ZONE}", CHAIN, {}, lambda name: WEST if ".global-" in name else None)
    assert chain == [f"writer.{ZONE}", "g.global-x.global.rds.amazonaws.com", WEST]
    assert endpoint_region(chain[-1]) == "us-west-2"


def test_embedded_metric_format_becomes_metrics() -> None:
    line = (
        '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "drkit", "Dimensions": [["Environment", "WriterRegion", "service"]],'
        ' "Metrics": [{"Name": "WriterHealthy", "Unit": "Count"}]}]}, "Environment": "local", "WriterRegion": "us-east-1",'
        ' "service": "replication-monitor", "WriterHealthy": [0.0]}'
    )
    [(namespace, datum)] = emf_metrics("a log line\n" + line)
    assert namespace == "drkit" and datum["Value"] == 0.0 and datum["Unit"] == "Count"
    assert {d["Name"] for d in datum["Dimensions"]} == {"Environment", "WriterRegion", "service"}
