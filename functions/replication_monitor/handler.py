"""Lambda entry point: parse settings once, create clients once, run, emit metrics as EMF."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.config import Config

from .monitor import run
from .settings import MonitorSettings

NAMESPACE = "drkit"
logger = Logger(service="replication-monitor")
metrics = Metrics(namespace=NAMESPACE, service="replication-monitor")
SETTINGS = MonitorSettings.from_env(os.environ)  # cold start: a missing variable fails loudly, by name
RETRIES = Config(retries={"max_attempts": 4, "mode": "adaptive"}, connect_timeout=5, read_timeout=10)


@cache
def client(service: str, region: str) -> Any:
    """One client per service and region for the life of the container."""
    return boto3.client(service, region_name=region, config=RETRIES)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    verdict, changes = run(SETTINGS, client)
    for secondary in verdict.secondaries:
        if secondary.lag_seconds is None:
            continue
        # One EMF document per secondary, so each has its own dimension set.
        with single_metric(
            name="ReplicationLagSeconds",
            unit=MetricUnit.Seconds,
            value=secondary.lag_seconds,
            namespace=NAMESPACE,
            default_dimensions={"Environment": SETTINGS.environment, "Secondary": secondary.identifier},
        ):
            pass
    metrics.add_dimension(name="Environment", value=SETTINGS.environment)
    metrics.add_metric(name="SecondariesLagging", unit=MetricUnit.Count, value=sum(s.status == "LAGGING" for s in verdict.secondaries))
    metrics.add_metric(name="SecondariesWithoutData", unit=MetricUnit.Count, value=sum(s.status == "NO_DATA" for s in verdict.secondaries))
    metrics.add_metric(name="WriterInMonitorRegion", unit=MetricUnit.Count, value=int(verdict.writer_region == SETTINGS.region))
    result = {"status": verdict.status.value, "writer_region": verdict.writer_region, "alerts": len(changes)}
    logger.info("replication checked", extra=result)
    return result
