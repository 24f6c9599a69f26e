"""The evaluation game day relies on: alarm states, health-check verdicts and Route 53 answers, as AWS computes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drkit_lab.emf import emf_metrics
from drkit_lab.emulator.evaluation import (
    ALARM,
    INSUFFICIENT,
    OK,
    Evaluator,
    Record,
    alarm_event,
    alarm_may_invoke,
    alarm_state,
    calculated_status,
    check_status,
    resolve,
)
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


ALARM_ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:lost"


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        (
            {"Principal": {"Service": "lambda.alarms.cloudwatch.amazonaws.com"}, "Condition": {"ArnLike": {"AWS:SourceArn": ALARM_ARN}, "StringEquals": {"AWS:SourceAccount": "123456789012"}}},
            True,
        ),
        ({"Principal": {"Service": "lambda.alarms.cloudwatch.amazonaws.com"}, "Condition": {"ArnLike": {"AWS:SourceArn": ALARM_ARN + "-other"}}}, False),
        ({"Principal": {"Service": "events.amazonaws.com"}}, False),  # the schedule's permission is not the alarms'
        ({"Principal": {"Service": "lambda.alarms.cloudwatch.amazonaws.com"}, "Condition": {"StringEquals": {"AWS:SourceAccount": "999999999999"}}}, False),
    ],
)  # fmt: skip
def test_an_alarm_invokes_a_function_only_with_its_permission(statement: dict[str, Any], allowed: bool) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", **statement}]}
    assert alarm_may_invoke(policy, ALARM_ARN, "123456789012") is allowed
    assert alarm_may_invoke(None, ALARM_ARN, "123456789012") is False


def test_the_alarm_event_is_what_cloudwatch_sends_a_function() -> None:
    from functions.failover.automation_logic import is_alarm_event, parse_alarm_event, parse_time

    now = datetime(2026, 12, 1, 12, 0, 40, tzinfo=UTC)
    event = alarm_event({"AlarmName": "lost", "AlarmArn": ALARM_ARN}, "us-west-2", "123456789012", OK, ALARM, "3 of 3", now)
    assert is_alarm_event(event)
    parsed = parse_alarm_event(event)
    assert parsed.alarm_name == "lost" and parsed.state == ALARM and parse_time(parsed.state_timestamp) == now


def test_a_high_resolution_alarm_is_evaluated_every_ten_seconds_from_its_own_periods(aws: Any) -> None:
    """Probes every 10 s, three lost in a row: ALARM at the first evaluation after the third period ends; and
    a one-minute alarm is not re-evaluated within its minute."""
    cloudwatch = aws("cloudwatch", "us-west-2")
    dims = [{"Name": "WriterRegion", "Value": "us-east-1"}]
    cloudwatch.put_metric_alarm(
        AlarmName="drkit-t-lost", Namespace="drkit", MetricName="WriterLost", Dimensions=dims, Statistic="Minimum", Period=10,
        EvaluationPeriods=3, DatapointsToAlarm=3, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="missing",
    )  # fmt: skip
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    evaluator = Evaluator("http://unused", ("us-west-2",), down=set, alarm_prefix="drkit-t")
    evaluator._clients[("cloudwatch", "us-west-2")] = cloudwatch
    states = []
    for step, lost in enumerate([0, 1, 1, 1, 1]):
        at = start + timedelta(seconds=10 * step)
        cloudwatch.put_metric_data(
            Namespace="drkit", MetricData=[{"MetricName": "WriterLost", "Dimensions": dims, "Value": lost, "Timestamp": at, "StorageResolution": 1}]
        )
        evaluator.evaluate_alarms(at + timedelta(seconds=10))
        states.append(evaluator.states[("us-west-2", "drkit-t-lost")])
    assert states == [OK, OK, OK, ALARM, ALARM]  # the lost probes at 10, 20, 30 s: ALARM when the third period ends (40 s)
    assert evaluator.evaluate_alarms(start + timedelta(seconds=55)) == []  # no new 10 s period ended
