"""Lambda entry point of the runbook.

Payload: ``{"operation": "switchover"|"failover"|"status", "target_region": ..., "dry_run": bool,
"requested_at": "<ISO 8601 with time zone>", "expected_writer_region": optional}``, or ARC Region
switch's execution metadata for a plan's custom-action step (``arc``). A request older
than ``MAX_REQUEST_AGE_SECONDS`` never acts (the function's event invoke config also discards
asynchronous events after that age and never retries them).

A CloudWatch alarm action (an observer's "writer lost" alarm) is handled by the automation
(``automation.on_alarm``): in ``manual`` mode it pages with the exact command, in ``automatic`` mode it
fails over under the safety rules of ``automation_logic``.

Anything else raises (``arc.UnrecognisedInvocation``), with its top-level keys in the log: an event that is not
an object, names no known operation, or carries ARC's metadata keys in any other shape than the documented one.
ARC counts a custom action that returns as a step that succeeded, so an answer such as ``rejected`` to an
invocation that was in fact ARC's would let the plan switch over unchecked (``functions/failover/arc.py``).
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


def refuse(reason: str, event: Any) -> arc.UnrecognisedInvocation:
    keys = arc.event_keys(event) if isinstance(event, dict) else None
    logger.warning("unrecognised invocation: failed, not answered", extra={"event_type": type(event).__name__, "event_keys": keys, "reason": reason})
    return arc.UnrecognisedInvocation(reason)


@logger.inject_lambda_context
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if not isinstance(event, dict):  # ARC forwards a payload that is no JSON object "without adding metadata"
        raise refuse(f"the event must be a JSON object, got {type(event).__name__}", event)
    try:
        invocation = arc.recognise(event)
    except arc.UnrecognisedInvocation as error:
        raise refuse(str(error), event) from None
    if invocation is not None:  # a step of an ARC Region switch plan (functions/failover/arc.py)
        logger.info("ARC Region switch invocation", extra={"event_keys": arc.event_keys(event), "invoked_by": invocation.invoked_by[:200]})
        return arc.handle(invocation, SETTINGS, client, logger.info)
    if is_alarm_event(event):  # a writer-lost alarm's Lambda action (functions/failover/automation.py)
        return on_alarm(event, SETTINGS, AUTOMATION, client, now(), logger.info)
    operation = event.get(Request.OPERATION)
    if operation == "status":
        return {"result": "status", "status": render_status(read_state(client, SETTINGS))}
    if not isinstance(operation, str) or operation not in {o.value for o in Operation}:
        raise refuse(f"{Request.OPERATION} must be switchover, failover or status, got {operation!r}", event)
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
