"""Lambda entry point: parse settings once, create clients once, probe every ``interval`` seconds for
the rest of the minute, emit each probe's metrics as high-resolution EMF with the probe's own time.

Metrics leave as CloudWatch embedded metric format with ``StorageResolution`` 1 (the EMF specification:
"StorageResolution ... 1 ... indicates high-resolution"; Powertools' ``MetricResolution.High``), one
document per probe stamped with the probe's start, so a 10 s alarm period holds exactly the probes of
those 10 seconds.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricResolution, MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from botocore.config import Config

from . import contract
from .latch import sync_latch
from .logic import ProbeResult, Writer, probe_offsets
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
_last_writer: Writer | None = None


@cache
def client(service: str, region: str) -> Any:
    """One client per service and region for the life of the container."""
    return boto3.client(service, region_name=region, config=API)


def now() -> datetime:
    return datetime.now(UTC)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def resolve(host: str, port: int) -> list[tuple[str, int]]:
    return dns_resolve(host, port)


def emit(result: ProbeResult, at: datetime) -> None:
    """One EMF document: the three metrics of one probe, high resolution, at the probe's time."""
    dimensions = contract.writer_dimensions(SETTINGS.environment, result.writer_region)
    own = {k: v for k, v in dimensions.items() if k != contract.Dimension.SERVICE}
    metrics = AmazonCloudWatchEMFProvider(namespace=contract.NAMESPACE, service=contract.SERVICE, default_dimensions=own)
    for name, value in result.metrics().items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value, resolution=MetricResolution.High)
    metrics.set_timestamp(at)
    metrics.flush_metrics()


def probe_once(at: datetime) -> ProbeResult | None:
    """One probe now (``at`` stamps its metrics); None when this region holds the writer."""
    global _last_writer
    result, _last_writer = probe(SETTINGS, client, resolve, _last_writer)
    if result is not None:
        emit(result, at)
        if not (result.data_path_up and result.api_up):
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


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.monotonic()
    results: list[ProbeResult | None] = []
    with ThreadPoolExecutor(max_workers=1) as background:  # beside the probes: a slow region must not delay them
        latch = background.submit(keep_latch)
        for offset in probe_offsets(SETTINGS.interval_seconds, SETTINGS.probes_per_run):
            wait = offset - (time.monotonic() - started)
            if wait > 0:
                sleep(wait)
            results.append(probe_once(now()))
            if results[-1] is None and _last_writer is not None and _last_writer.region == SETTINGS.region:
                break  # this region holds the writer: nothing to judge until the next run (a minute of billed sleep saved)
        latch_from = latch.result()
    judged = [r for r in results if r is not None]
    return {
        "probes": len(results),
        "judged": judged[-1].writer_region if judged else None,
        "lost": sum(r.lost for r in judged),
        "data_path_down": sum(not r.data_path_up for r in judged),
        "api_down": sum(not r.api_up for r in judged),
        "latch_copied_from": latch_from,
    }
