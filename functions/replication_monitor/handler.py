"""Lambda entry point: parse settings once, create clients once, run, emit metrics as EMF.

Every metric is emitted with exactly the dimensions ``contract`` declares (the alarms, health
checks and dashboard query those): Powertools adds ``service`` to each document by itself.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.config import Config

from . import contract
from .logic import Status
from .monitor import run
from .settings import MonitorSettings

logger = Logger(service=contract.SERVICE)
metrics = Metrics(namespace=contract.NAMESPACE, service=contract.SERVICE)
SETTINGS = MonitorSettings.from_env(os.environ)  # cold start: a missing variable fails loudly, by name
RETRIES = Config(retries={"max_attempts": 4, "mode": "adaptive"}, connect_timeout=5, read_timeout=10)


@cache
def client(service: str, region: str) -> Any:
    """One client per service and region for the life of the container."""
    return boto3.client(service, region_name=region, config=RETRIES)


def now() -> datetime:
    return datetime.now(UTC)


def _emit(name: str, unit: MetricUnit, value: float, dimensions: dict[str, str]) -> None:
    """One EMF document with its own dimension set (``service`` is added by Powertools)."""
    own = {k: v for k, v in dimensions.items() if k != contract.Dimension.SERVICE}
    with single_metric(name=name, unit=unit, value=value, namespace=contract.NAMESPACE, default_dimensions=own):
        pass


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = run(SETTINGS, client, now())
    verdict = result.verdict
    environment = SETTINGS.environment
    for secondary in verdict.secondaries:
        if secondary.lag_seconds is not None:
            dimensions = contract.lag_dimensions(environment, secondary.identifier)
            _emit(contract.Metric.REPLICATION_LAG, MetricUnit.Seconds, secondary.lag_seconds, dimensions)
    for region, healthy in sorted(result.writer_healthy.items()):
        _emit(contract.Metric.WRITER_HEALTHY, MetricUnit.Count, healthy, contract.writer_healthy_dimensions(environment, region))
    for region, unreachable in sorted(result.writer_unreachable.items()):
        _emit(contract.Metric.WRITER_UNREACHABLE, MetricUnit.Count, unreachable, contract.writer_healthy_dimensions(environment, region))
    metrics.add_dimension(name=contract.Dimension.ENVIRONMENT, value=environment)
    lagging = sum(s.status is Status.LAGGING for s in verdict.secondaries)
    without_data = sum(s.status is Status.NO_DATA for s in verdict.secondaries)
    metrics.add_metric(name=contract.Metric.SECONDARIES_LAGGING, unit=MetricUnit.Count, value=lagging)
    metrics.add_metric(name=contract.Metric.SECONDARIES_WITHOUT_DATA, unit=MetricUnit.Count, value=without_data)
    metrics.add_metric(name=contract.Metric.WRITER_IN_MONITOR_REGION, unit=MetricUnit.Count, value=int(verdict.writer_region == SETTINGS.region))
    summary = {
        "status": verdict.status.value,
        "writer_region": verdict.writer_region,
        "alerts": len(result.changes),
        "writer_healthy": result.writer_healthy,
    }
    logger.info("replication checked", extra=summary)
    return summary
