"""Lambda entry point of the runbook: ``{"operation": "switchover"|"failover"|"status", "target_region": ..., "dry_run": bool}``."""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from .logic import Operation, render_status
from .runner import RunbookSettings, execute, read_state

LOG = logging.getLogger("drkit.failover")
LOG.setLevel(logging.INFO)
RETRIES = Config(retries={"max_attempts": 5, "mode": "adaptive"}, connect_timeout=5, read_timeout=20)


def _settings(environ: dict[str, str]) -> RunbookSettings:
    missing = [name for name in ("DRKIT_ENVIRONMENT", "GLOBAL_CLUSTER_ID", "ALERT_TOPIC_ARN", "AWS_REGION") if not environ.get(name)]
    if missing:
        raise RuntimeError(f"environment variable {missing[0]} is missing or empty")
    return RunbookSettings(
        environment=environ["DRKIT_ENVIRONMENT"],
        api_region=environ["AWS_REGION"],
        global_cluster_id=environ["GLOBAL_CLUSTER_ID"],
        alert_topic_arn=environ["ALERT_TOPIC_ARN"],
        zone_id=environ.get("ZONE_ID") or None,
        record_name=environ.get("RECORD_NAME") or None,
        max_switchover_lag_seconds=float(environ.get("MAX_SWITCHOVER_LAG_SECONDS", "5")),
    )


SETTINGS = _settings(dict(os.environ))


@cache
def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region, config=RETRIES)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        return {"result": "rejected", "reason": "the event must be an object"}
    operation = str(event.get("operation", ""))
    if operation == "status":
        return {"result": "status", "status": render_status(read_state(client, SETTINGS))}
    if operation not in {o.value for o in Operation}:
        return {"result": "rejected", "reason": f"operation must be switchover, failover or status, got {operation!r}"}
    target = event.get("target_region")
    if not isinstance(target, str) or not target:
        return {"result": "rejected", "reason": "target_region is required"}
    return execute(Operation(operation), target, bool(event.get("dry_run", False)), SETTINGS, client, LOG.info)
