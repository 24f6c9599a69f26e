"""Lambda entry point: parse settings and create every client once, probe every ``interval`` seconds for the
rest of the minute, publish each probe's verdict with one PutMetricData call stamped with the probe's time.

Clients. boto3's default session is not safe to create clients from in several threads at once
(boto/boto3#1592, #2750: ``KeyError: 'credential_provider'``; boto/botocore#2985: "client creation
shouldn't be done in parallel using the same session"). Every client the probe can need (RDS and SSM in
every member region, CloudWatch here) is made at cold start, on the main thread, from one session, before
the latch thread and the probe pool run; clients themselves are thread safe. A client that is not there is
a ``KeyError``: this container's error, never evidence against the writer.

Metrics. PutMetricData, ``StorageResolution`` 1, ``Timestamp`` the probe's start: one call per probe with
every metric of that probe, so the datum exists before the probe ends. Not the embedded metric format: "If
you plan on using the embedded metric format to send high-resolution metrics and create alarms on these
metrics, we recommended that you flush logs to CloudWatch Logs at an interval of 5 seconds or less ... If you
are using Lambda ... where you can't control the log flush interval" (CloudWatch User Guide, "Setting alarms
on metrics created with the embedded metric format"). The log keeps what a human reads.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from . import contract
from .latch import sync_latch
from .logic import Outcome, ProbeResult, Writer, probe_offsets
from .probe import dns_resolve, probe
from .settings import ProbeSettings

logger = Logger(service=contract.SERVICE)
SETTINGS = ProbeSettings.from_env(os.environ)  # cold start: a missing variable fails loudly, by name
# One attempt, short timeouts: a probe is one of several in a row, and the next is seconds away.
API = Config(
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=contract.API_TIMEOUT_SECONDS,
    read_timeout=contract.API_TIMEOUT_SECONDS,
)
PUBLISH = Config(
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=contract.PUBLISH_TIMEOUT_SECONDS,
    read_timeout=contract.PUBLISH_TIMEOUT_SECONDS,
)
# The latch thread, the writer lookup, both paths and the publication of a probe, and calls a deadline left
# behind: a few at a time.
POOL = ThreadPoolExecutor(max_workers=12, thread_name_prefix="writer-probe")
_known: dict[str, Writer] = {}  # "writer": the last writer this container named (judged when the lookup fails)


def make_clients(settings: ProbeSettings) -> dict[tuple[str, str], Any]:
    """Every client of the container, from one session, on the calling (main) thread."""
    session = boto3.session.Session()
    clients: dict[tuple[str, str], Any] = {}
    for region in settings.member_regions:
        for service in ("rds", "ssm"):
            clients[(service, region)] = session.client(service, region_name=region, config=API)  # type: ignore[call-overload]
    clients[("cloudwatch", settings.region)] = session.client("cloudwatch", region_name=settings.region, config=PUBLISH)
    return clients


CLIENTS = make_clients(SETTINGS)


def client(service: str, region: str) -> Any:
    """One client per service and region for the life of the container, made at cold start."""
    return CLIENTS[(service, region)]


def now() -> datetime:
    return datetime.now(UTC)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def resolve(host: str, port: int) -> list[tuple[str, int]]:
    return dns_resolve(host, port)


def publish(outcome: Outcome, at: datetime) -> None:
    """One PutMetricData call: every metric of one probe, high resolution, at the probe's time."""
    client("cloudwatch", SETTINGS.region).put_metric_data(Namespace=contract.NAMESPACE, MetricData=outcome.metric_data(SETTINGS.environment, at))


def probe_once(at: datetime) -> ProbeResult | None:
    """One probe now (``at`` stamps its metrics), its publication included, within ``PROBE_DEADLINE_SECONDS``;
    its result (None: nothing judged: the writer is here, unknown, or this container failed)."""
    started = time.monotonic()
    outcome = probe(SETTINGS, client, resolve, _known.get("writer"), POOL)
    if outcome.writer is not None:
        _known["writer"] = outcome.writer
    published = POOL.submit(publish, outcome, at)
    try:
        published.result(timeout=max(started + contract.PROBE_DEADLINE_SECONDS - time.monotonic(), 0.0))
    except FutureTimeout:
        logger.warning("verdict not published within the probe's deadline", extra={"deadline_seconds": contract.PROBE_DEADLINE_SECONDS})
    except Exception as error:  # a verdict that is not published is no verdict: the "blind" alarm sees it
        logger.warning("verdict not published", extra={"error": f"{type(error).__name__}: {str(error)[:300]}"})
    result = outcome.result
    if outcome.problem is not None:
        logger.warning("no verdict from this probe", extra={"problem": outcome.problem})
    if result is not None and not (result.data_path_up and result.api_up):
        logger.warning(
            "writer not fully reachable",
            extra={"writer_region": result.writer_region, "data_path_up": result.data_path_up, "api_up": result.api_up},
        )
    return result


def keep_latch() -> str | None:
    """Once a run: a failover latch held by another region is copied into this one (see ``latch``)."""
    copied = sync_latch(client, SETTINGS.region, SETTINGS.member_regions, SETTINGS.latch_parameter)
    if copied is not None:
        logger.warning("failover automation latch copied into this region", extra={"from_region": copied})
    return copied


def _remaining_seconds(context: Any) -> float:
    return float(context.get_remaining_time_in_millis()) / 1000


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.monotonic()
    results: list[ProbeResult | None] = []
    latch = POOL.submit(keep_latch)  # beside the probes: a slow region must not delay them
    skipped = 0
    for offset in probe_offsets(SETTINGS.interval_seconds, SETTINGS.probes_per_run):
        wait = offset - (time.monotonic() - started)
        if wait > 0:
            sleep(wait)
        if _remaining_seconds(context) < contract.PROBE_DEADLINE_SECONDS + 0.5:
            skipped += 1  # a probe that could not end before the function's timeout is not started
            continue
        results.append(probe_once(now()))
        last = _known.get("writer")
        if results[-1] is None and last is not None and last.region == SETTINGS.region:
            break  # this region holds the writer: nothing to judge until the next run (a minute of billed sleep saved)
    try:
        latch_from = latch.result(timeout=max(_remaining_seconds(context) - 1.0, 0.0))
    except FutureTimeout:
        latch_from = None  # still running: reported by the next run
    judged = [r for r in results if r is not None]
    return {
        "probes": len(results),
        "skipped": skipped,
        "judged": judged[-1].writer_region if judged else None,
        "lost": sum(r.lost for r in judged),
        "data_path_down": sum(not r.data_path_up for r in judged),
        "api_down": sum(r.api_up is False for r in judged),
        "latch_copied_from": latch_from,
    }
