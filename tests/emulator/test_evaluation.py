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


# CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data", section "How alarm state is
# evaluated when data is missing": both tables, every row, every column. The data points are the evaluation range
# (5 = Evaluation Periods 3 + 2), oldest first; 0 is not breaching, X breaching, - missing. IGNORE's "Retain current
# state" is checked from both OK and ALARM.
MISSING_DATA_TABLE = [
    # Datapoints to Alarm 3 of Evaluation Periods 3
    ("0 - X - X", 3, {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK}),
    ("0 - - - -", 3, {"missing": OK, "ignore": OK, "breaching": OK, "notBreaching": OK}),
    ("- - - - -", 3, {"missing": INSUFFICIENT, "ignore": "retain", "breaching": ALARM, "notBreaching": OK}),
    ("0 X X - X", 3, {"missing": ALARM, "ignore": ALARM, "breaching": ALARM, "notBreaching": ALARM}),
    ("- - X - -", 3, {"missing": ALARM, "ignore": "retain", "breaching": ALARM, "notBreaching": OK}),  # "premature alarm state"
    # Datapoints to Alarm 2 of Evaluation Periods 3 (M out of N)
    ("0 - X - X", 2, {"missing": ALARM, "ignore": ALARM, "breaching": ALARM, "notBreaching": ALARM}),
    ("0 0 X 0 X", 2, {"missing": ALARM, "ignore": ALARM, "breaching": ALARM, "notBreaching": ALARM}),
    ("0 - X - -", 2, {"missing": OK, "ignore": OK, "breaching": ALARM, "notBreaching": OK}),
    ("- - - - 0", 2, {"missing": OK, "ignore": OK, "breaching": ALARM, "notBreaching": OK}),
    ("- - - X -", 2, {"missing": ALARM, "ignore": "retain", "breaching": ALARM, "notBreaching": OK}),  # "premature alarm state"
    # The text around the tables (3 of 3): "- - - - X" and "- - - X -" do not go to ALARM at once; "- - - X O" and
    # "- - X - O" are the non-breaching next data points that make that wait worth it.
    ("- - - - X", 3, {"missing": OK, "notBreaching": OK}),
    ("- - - X -", 3, {"missing": OK, "notBreaching": OK}),
    ("- - - X 0", 3, {"missing": OK, "notBreaching": OK}),
    ("- - X - 0", 3, {"missing": OK, "notBreaching": OK}),
]


def _points(row: str) -> list[float | None]:
    return [None if p == "-" else (1.0 if p == "X" else 0.0) for p in row.split()]


@pytest.mark.parametrize(("row", "datapoints_to_alarm", "expected"), MISSING_DATA_TABLE, ids=[f"{r} {m}of3" for r, m, _ in MISSING_DATA_TABLE])
def test_missing_data_is_evaluated_as_the_cloudwatch_tables_say(row: str, datapoints_to_alarm: int, expected: dict[str, str]) -> None:
    for treat, state in expected.items():
        for current in (OK, ALARM):
            got = alarm_state(
                _points(row), evaluation_periods=3, threshold=1.0, comparison="GreaterThanOrEqualToThreshold",
                datapoints_to_alarm=datapoints_to_alarm, treat_missing=treat, current=current,
            )  # fmt: skip
            assert got == (current if state == "retain" else state), f"{row} ({datapoints_to_alarm} of 3), {treat}, from {current}"


def test_one_failed_probe_then_silence_alarms_only_when_missing_data_is_missing() -> None:
    """The writer-lost alarm's case (Minimum of WriterLost, 3 of 3, 10 s): a healthy history, ONE lost probe, then
    the observer falls silent. Evaluated every period as the silence goes on: with ``missing`` the lone breaching
    point ends up alone in the range and the alarm fires (the premature-alarm rule); ``notBreaching`` fills the
    gaps with good data and never does."""
    history = ["0 0 0 0 0", "0 0 0 0 X", "0 0 0 X -", "0 0 X - -", "0 X - - -", "X - - - -", "- - - - -"]
    states = {
        treat: [
            alarm_state(_points(row), evaluation_periods=3, threshold=1.0, comparison="GreaterThanOrEqualToThreshold",
                        datapoints_to_alarm=3, treat_missing=treat, current=OK)
            for row in history
        ]
        for treat in ("missing", "notBreaching")
    }  # fmt: skip
    assert states["missing"] == [OK, OK, OK, OK, OK, ALARM, INSUFFICIENT]
    assert states["notBreaching"] == [OK] * len(history)


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


def test_a_silence_alarm_keeps_its_last_real_point_while_it_is_in_the_evaluation_range(aws: Any) -> None:
    """A function's silence alarm (Invocations < 1, one 5-minute period, missing data breaching): CloudWatch
    retrieves the evaluation range (here 1 + 2 periods) and, while a real point is in it, decides on the most
    recent real points and ignores the missing-data setting. So the alarm fires only when the range holds no
    real point any more: three empty periods, not one."""
    cloudwatch = aws("cloudwatch", "us-west-2")
    dims = [{"Name": "FunctionName", "Value": "drkit-t-monitor"}]
    cloudwatch.put_metric_alarm(
        AlarmName="drkit-t-silent", Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=dims, Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold", TreatMissingData="breaching",
    )  # fmt: skip
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    cloudwatch.put_metric_data(
        Namespace="AWS/Lambda", MetricData=[{"MetricName": "Invocations", "Dimensions": dims, "Value": 1, "Timestamp": start + timedelta(seconds=30)}]
    )
    evaluator = Evaluator("http://unused", ("us-west-2",), down=set, alarm_prefix="drkit-t")
    evaluator._clients[("cloudwatch", "us-west-2")] = cloudwatch
    states = []
    for periods in range(1, 5):  # evaluated as each 5-minute period ends; the function never runs again
        evaluator.evaluate_alarms(start + timedelta(seconds=300 * periods))
        states.append(evaluator.states[("us-west-2", "drkit-t-silent")])
    assert states == [OK, OK, OK, ALARM]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("0 0 X X X", ALARM),  # three failed probes in a row
        ("0 X X - X", ALARM),  # a late run left a period empty: three real failed probes in the range still decide
        ("X X - - X", ALARM),
        ("0 0 X X -", OK),  # two failed probes, then the observer fell silent
        ("- - X - -", OK),  # the premature-alarm row: one failed probe and silence
        ("X - - - -", OK),
        ("- - - - -", OK),  # a silent observer is no verdict (its "blind" alarm pages)
        ("X X X X 0", OK),  # the writer answers again
    ],
)
def test_the_deployed_writer_lost_alarm_decides_on_real_failed_probes_only(row: str, expected: str) -> None:
    """``constructs_lib.writer_probe``'s writer-lost alarm (Minimum of WriterLost, 3 of 3 periods of 10 s) with
    its missing-data setting: silence never completes a verdict, three real failed probes in the range do."""
    from constructs_lib.writer_probe import LOST_ALARM_MISSING_DATA

    state = alarm_state(
        _points(row), evaluation_periods=3, threshold=1.0, comparison="GreaterThanOrEqualToThreshold",
        datapoints_to_alarm=3, treat_missing=LOST_ALARM_MISSING_DATA, current=OK,
    )  # fmt: skip
    assert state == expected
