"""The writer probe's contract with the infrastructure that deploys and watches it.

Environment variable names, the metric namespace, metric names and the exact dimension set of every
metric the probe emits, and the timing every side relies on. ``constructs_lib`` imports this module
to build the function, its alarms and the recovery budget, so a name or a number written here cannot
drift between the Lambda and what reads its output. Plain constants only: importing it costs nothing.

Timing. EventBridge runs a scheduled rule at most once a minute ("the minimum precision for a
schedule is one minute. Your scheduled rule runs within that minute, but not on the precise 0th
second", and "there can be a delay of several seconds between the time the scheduled rule is triggered
and the time the target service runs the target resource": EventBridge User Guide, "Creating a rule
that runs on a schedule"; EventBridge Scheduler: "invoke their targets with 60 second precision"). So
one invocation a minute probes ``PROBES_PER_RUN`` times, ``interval`` seconds apart from its own start.
Its probes start within ``RUN_SECONDS`` and each ends within ``PROBE_DEADLINE_SECONDS`` (its publication
included), so a run ends before the function's timeout. Runs are *not* guaranteed to be a minute apart:
a late run and the next can overlap (the function's reserved concurrency is 2, so the next is not
throttled; two probes in one period are harmless to a Minimum or Maximum) or leave a gap at the
boundary (an empty period, which the alarms treat as not breaching: it delays a verdict by the gap and
never makes one).

Each probe is bounded, so it never runs into the next one's slot: the writer is looked up in this
region for at most ``FIND_WRITER_SECONDS`` (else the last known writer is judged); both paths run at
once and what has not answered ``VERDICT_SECONDS`` after the probe's start has not answered (the data
path has its own ``CONNECT_TIMEOUT_SECONDS``; the control path's botocore timeouts are bounded by the
same deadline); the verdict is published with one PutMetricData call, waited for until
``PROBE_DEADLINE_SECONDS``. Calls still running at a deadline finish (or time out) on their own thread.

CloudWatch alarms accept periods of 10, 20, 30 s or any multiple of 60 s, and 10/20/30 only for
metrics stored with ``StorageResolution`` 1 ("Be sure to specify 10, 20, or 30 only for metrics that
are stored by a PutMetricData call with a StorageResolution of 1": CloudWatch API Reference,
PutMetricAlarm ``Period``): hence ``PROBE_INTERVALS`` and the high-resolution metrics below, published
with PutMetricData (not the embedded metric format: "If you are using Lambda ... where you can't control
the log flush interval", EMF metrics can arrive late for a high-resolution alarm, CloudWatch User Guide,
"Setting alarms on metrics created with the embedded metric format").
"""

from __future__ import annotations

SERVICE = "writer-probe"  # Powertools service name; it becomes the dimension "service"
NAMESPACE = "drkit"
SCHEDULE_SECONDS = 60  # EventBridge: at most once a minute
PROBE_INTERVALS = (10, 20, 30)  # the sub-minute alarm periods CloudWatch accepts (high-resolution metrics only)
RUN_SECONDS = 55  # every probe of a run starts within this many seconds of the invocation
TIMEOUT_SECONDS = 58  # the function's timeout: the last probe (at 50 s) ends by 50 + PROBE_DEADLINE_SECONDS
PROBE_DEADLINE_SECONDS = 7.0  # a probe, its publication included, ends within this of its start (3 s before the next slot)
VERDICT_SECONDS = 5.0  # the writer lookup and both paths: what has not answered by then has not answered
FIND_WRITER_SECONDS = 1.5  # this region's DescribeGlobalClusters; after it, the last known writer is judged
CONNECT_TIMEOUT_SECONDS = 2.0  # the data path: TCP connect + the server's one-byte answer
API_TIMEOUT_SECONDS = 3.0  # the control path and the latch: connect and read timeouts of one attempt
PUBLISH_TIMEOUT_SECONDS = 1.0  # PutMetricData in this region: connect and read timeouts of one attempt
POSTGRES_PORT = 5432
STORAGE_RESOLUTION = 1  # high resolution: stored to the second, alarmable at 10 s periods


def probes_per_run(interval_seconds: int) -> int:
    """Probes of one invocation: at 0, interval, 2 x interval ... seconds, all starting before RUN_SECONDS."""
    if interval_seconds not in PROBE_INTERVALS:
        raise ValueError(f"interval_seconds: must be one of {PROBE_INTERVALS}, got {interval_seconds}")
    return (RUN_SECONDS - 1) // interval_seconds + 1


class Env:
    """Environment variables the function reads at cold start."""

    ENVIRONMENT = "DRKIT_ENVIRONMENT"
    GLOBAL_CLUSTER_ID = "GLOBAL_CLUSTER_ID"
    MEMBER_ENDPOINTS = "MEMBER_ENDPOINTS"  # region=cluster endpoint,... : the data path, independent of any API
    PROBE_INTERVAL_SECONDS = "PROBE_INTERVAL_SECONDS"
    LATCH_PARAMETER = "AUTOMATION_LATCH_PARAMETER"  # the failover automation's latch: copied here when another region holds it
    POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
    REGION = "AWS_REGION"  # set by Lambda


class Metric:
    DATA_PATH_UP = "WriterDataPathUp"  # 1: the writer's server answered a PostgreSQL SSLRequest through the peering link
    API_UP = "WriterApiUp"  # 1: the writer's region's RDS API answers for it, in a state that can take writes
    LOST = "WriterLost"  # 1: both failed (this observer's verdict for one probe)
    API_ONLY_DOWN = "WriterApiDownDataPathUp"  # 1: the control path failed while the data path answered (one signal left)
    VERDICT = "ProbeVerdict"  # per probe, without WriterRegion: 1 judged (or the writer is here: nothing to judge), 0 could not


class Dimension:
    ENVIRONMENT = "Environment"
    WRITER_REGION = "WriterRegion"
    SERVICE = "service"


def writer_dimensions(environment: str, writer_region: str) -> dict[str, str]:
    """Dimensions of every writer metric: the writer region it judged (``service`` keeps the identity the metrics
    had when Powertools added it, so the alarms keep reading the same metrics)."""
    return {Dimension.ENVIRONMENT: environment, Dimension.WRITER_REGION: writer_region, Dimension.SERVICE: SERVICE}


def verdict_dimensions(environment: str) -> dict[str, str]:
    """Dimensions of ``ProbeVerdict``: whatever the writer, so a probe that cannot name it is still seen."""
    return {Dimension.ENVIRONMENT: environment, Dimension.SERVICE: SERVICE}


def parse_endpoints(value: str) -> dict[str, str]:
    """``region=endpoint,region=endpoint`` -> {region: endpoint}."""
    endpoints: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        region, separator, endpoint = item.partition("=")
        if not separator or not region or not endpoint:
            raise ValueError(f"{Env.MEMBER_ENDPOINTS}: expected region=endpoint, got {item!r}")
        endpoints[region] = endpoint
    return endpoints


def render_endpoints(endpoints: dict[str, str]) -> str:
    return ",".join(f"{region}={endpoint}" for region, endpoint in endpoints.items())
