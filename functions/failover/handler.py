"""Lambda entry point of the runbook.

Payload: ``{"operation": "switchover"|"failover"|"status", "target_region": ..., "dry_run": bool,
"requested_at": "<ISO 8601 with time zone>", "expected_writer_region": optional}``, or ARC Region
switch's execution metadata for a plan's custom-action step (``arc``). A request older
than ``MAX_REQUEST_AGE_SECONDS`` never acts (the function's event invoke config also discards
asynchronous events after that age and never retries them).

A CloudWatch alarm action (an observer's "writer lost" alarm) is handled by the automation
(``automation.on_alarm``): in ``manual`` mode it pages with the exact command, in ``automatic`` mode it
fails over under the safety rules of ``automation_logic``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from . import arc
from .automation import AutomationSettings, on_alarm
from .automation_logic import is_alarm_event
from .contract import MAX_REQUEST_AGE_SECONDS, SERVICE, Request
from .logic import Operation, render_status, request_age_refusal
from .runner import execute, read_state
from .settings import from_env

logger = Logger(service=SERVICE)
SETTINGS = from_env(os.environ)  # cold start: a missing variable fails loudly, by name
AUTOMATION = AutomationSettings.from_env(os.environ)
RETRIES = Config(retries={"max_attempts": 5, "mode": "adaptive"}, connect_timeout=5, read_timeout=20)


@cache
def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region, config=RETRIES)


def now() -> datetime:
    return datetime.now(UTC)


@logger.inject_lambda_context
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        return {"result": "rejected", "reason": "the event must be an object"}
    if arc.is_region_switch_invocation(event):  # a step of an ARC Region switch plan (functions/failover/arc.py)
        return arc.handle(event, SETTINGS, client, logger.info)
    if is_alarm_event(event):
        return on_alarm(event, SETTINGS, AUTOMATION, client, now(), logger.info)
    operation = str(event.get(Request.OPERATION, ""))
    if operation == "status":
        return {"result": "status", "status": render_status(read_state(client, SETTINGS))}
    if operation not in {o.value for o in Operation}:
        return {"result": "rejected", "reason": f"operation must be switchover, failover or status, got {operation!r}"}
    target = event.get(Request.TARGET_REGION)
    if not isinstance(target, str) or not target:
        return {"result": "rejected", "reason": f"{Request.TARGET_REGION} is required"}
    stale = request_age_refusal(event.get(Request.REQUESTED_AT), now(), MAX_REQUEST_AGE_SECONDS)
    if stale is not None:
        logger.warning("request refused", extra={"reason": stale})
        return {"result": "rejected", "reason": stale}
    expected = event.get(Request.EXPECTED_WRITER_REGION)
    return execute(
        Operation(operation),
        target,
        bool(event.get(Request.DRY_RUN, False)),
        SETTINGS,
        client,
        logger.info,
        expected_writer_region=expected if isinstance(expected, str) and expected else None,
    )
