"""CloudWatch fidelity: storage resolution of custom metrics, the periods an alarm may have, and Route 53
refusing a health check over a high-resolution alarm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drkit_lab.emulator.patches.cloudwatch import period_refusal

pytestmark = pytest.mark.emulator
MINUTE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def put(aws: Any, value: float, at: datetime, resolution: int | None) -> None:
    datum: dict[str, Any] = {"MetricName": "WriterLost", "Value": value, "Timestamp": at, "Dimensions": [{"Name": "WriterRegion", "Value": "r"}]}
    if resolution is not None:
        datum["StorageResolution"] = resolution
    aws("cloudwatch").put_metric_data(Namespace="drkit", MetricData=[datum])


def ten_second_buckets(aws: Any) -> list[tuple[int, float]]:
    points = aws("cloudwatch").get_metric_statistics(
        Namespace="drkit",
        MetricName="WriterLost",
        Dimensions=[{"Name": "WriterRegion", "Value": "r"}],
        StartTime=MINUTE,
        EndTime=MINUTE + timedelta(minutes=1),
        Period=10,
        Statistics=["Minimum"],
    )["Datapoints"]
    return sorted((int((p["Timestamp"] - MINUTE).total_seconds()), p["Minimum"]) for p in points)


def test_high_resolution_data_is_stored_to_the_second(aws: Any) -> None:
    for second in (5, 15, 25):
        put(aws, 1.0, MINUTE + timedelta(seconds=second), 1)
    assert [value for _, value in ten_second_buckets(aws)] == [1.0, 1.0, 1.0]  # one datum in each of three 10 s periods


def test_standard_resolution_data_is_stored_on_its_minute(aws: Any) -> None:
    """A 10 s alarm over a standard-resolution metric sees at most one period a minute (AWS: "the alarm might
    often lapse into INSUFFICIENT_DATA status"); moto kept every second and let such an alarm work."""
    for second in (5, 15, 25):
        put(aws, 1.0, MINUTE + timedelta(seconds=second), None)
    assert ten_second_buckets(aws) == [(0, 1.0)]


def test_an_invalid_storage_resolution_is_refused(aws: Any) -> None:
    with pytest.raises(ClientError, match="StorageResolution"):
        put(aws, 1.0, MINUTE, 10)


@pytest.mark.parametrize(
    ("period", "evaluations", "refused"),
    [(10, 3, False), (20, 3, False), (30, 3, False), (60, 2, False), (300, 1, False), (15, 3, True), (45, 1, True), (90, 1, True), (10, 8641, True)],
)
def test_alarm_periods(period: int, evaluations: int, refused: bool) -> None:
    assert (period_refusal(period, evaluations) is not None) is refused


def test_put_metric_alarm_refuses_a_period_aws_refuses(aws: Any) -> None:
    common = {
        "Namespace": "drkit",
        "MetricName": "WriterLost",
        "Statistic": "Minimum",
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    aws("cloudwatch").put_metric_alarm(AlarmName="ten", Period=10, EvaluationPeriods=3, **common)
    with pytest.raises(ClientError, match="Period 15 is not valid"):
        aws("cloudwatch").put_metric_alarm(AlarmName="fifteen", Period=15, EvaluationPeriods=3, **common)


def test_route53_refuses_a_health_check_over_a_high_resolution_alarm(aws: Any) -> None:
    common = {
        "Namespace": "drkit",
        "MetricName": "WriterLost",
        "Statistic": "Minimum",
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    aws("cloudwatch").put_metric_alarm(AlarmName="fast", Period=10, EvaluationPeriods=3, **common)
    aws("cloudwatch").put_metric_alarm(AlarmName="slow", Period=60, EvaluationPeriods=2, **common)
    route53 = aws("route53")

    def check(alarm: str) -> Any:
        return route53.create_health_check(
            CallerReference=alarm, HealthCheckConfig={"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-east-1", "Name": alarm}}
        )

    assert check("slow")["HealthCheck"]["Id"]
    with pytest.raises(ClientError, match="standard-resolution metrics only"):
        check("fast")
