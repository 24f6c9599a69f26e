"""CloudWatch: storage resolution of custom metrics and the periods an alarm may have.

Fast detection rests on high-resolution metrics (the writer probe's, stamped to the second) and
10-second alarm periods. moto stores every datum to the second whatever its ``StorageResolution`` and
accepts any alarm period, so a 10 s alarm over a standard-resolution metric would work here and lapse
into INSUFFICIENT_DATA on AWS: these patches make the emulator as strict as CloudWatch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.cloudwatch import models as cloudwatch_models
from moto.cloudwatch.exceptions import InvalidParameterValue, ValidationError
from moto.core.utils import utcnow

from drkit_lab.emulator.patches.registry import patch

STORAGE_RESOLUTIONS = (1, 60)
SUB_MINUTE_PERIODS = (10, 20, 30)
MAX_EVALUATION_SECONDS = 86_400


def _stamp(value: Any) -> datetime:
    if value is None:
        return utcnow()
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value))
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def stored_at(timestamp: datetime, resolution: int) -> datetime:
    """Where CloudWatch stores a datum: to the second at high resolution, on its minute otherwise."""
    return timestamp.replace(microsecond=0) if resolution == 1 else timestamp.replace(second=0, microsecond=0)


def period_refusal(period: int, evaluation_periods: int) -> str | None:
    """Why CloudWatch would refuse an alarm's period (None: it accepts it)."""
    if period not in SUB_MINUTE_PERIODS and (period < 60 or period % 60):
        return f"Period {period} is not valid: it must be 10, 20, 30 or a multiple of 60"
    if period < 3600 and period * evaluation_periods > MAX_EVALUATION_SECONDS:
        return f"Period {period} x EvaluationPeriods {evaluation_periods} exceeds one day (86,400 s) for a period below an hour"
    return None


@patch
def metric_storage_resolution() -> None:
    """AWS: ``StorageResolution`` "Valid values are 1 and 60. Setting this to 1 specifies this metric as a
    high-resolution metric, so that CloudWatch stores the metric with sub-minute resolution down to one
    second. Setting this to 60 specifies this metric as a regular-resolution metric, which CloudWatch
    stores at 1-minute resolution. ... the default of 60 is used" (CloudWatch API Reference, MetricDatum).

    moto ignores it and keeps every timestamp to the second. The emulator refuses other values and
    stores a standard-resolution datum on its minute, so a sub-minute period over it finds data only in
    the period that starts the minute, as on AWS.
    """
    original = cloudwatch_models.CloudWatchBackend.put_metric_data

    def put(self: cloudwatch_models.CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        for index, datum in enumerate(metric_data, start=1):
            resolution = int(datum.get("StorageResolution") or 60)
            if resolution not in STORAGE_RESOLUTIONS:
                raise InvalidParameterValue(f"The value {resolution} for parameter MetricData.member.{index}.StorageResolution is not valid.")
            datum["Timestamp"] = stored_at(_stamp(datum.get("Timestamp")), resolution)
        original(self, namespace, metric_data)

    cloudwatch_models.CloudWatchBackend.put_metric_data = put  # type: ignore[method-assign]


@patch
def alarm_periods() -> None:
    """AWS: an alarm's ``Period`` — "Valid values are 10, 20, 30, and any multiple of 60" — and "For alarms
    with a period of less than one hour (3,600 seconds), the total evaluation period can't be longer than
    one day (86,400 seconds)" (CloudWatch API Reference, PutMetricAlarm).

    moto accepts any period. The emulator refuses the others (ValidationError; AWS's exact wording is
    not documented).
    """
    original = cloudwatch_models.CloudWatchBackend.put_metric_alarm

    def put_alarm(self: cloudwatch_models.CloudWatchBackend, *args: Any, **kwargs: Any) -> Any:
        period = kwargs.get("period", args[5] if len(args) > 5 else None)
        evaluation_periods = kwargs.get("evaluation_periods", args[4] if len(args) > 4 else None)
        if period is not None and evaluation_periods is not None:
            refusal = period_refusal(int(period), int(evaluation_periods))
            if refusal is not None:
                raise ValidationError(refusal)
        return original(self, *args, **kwargs)

    cloudwatch_models.CloudWatchBackend.put_metric_alarm = put_alarm  # type: ignore[method-assign]
