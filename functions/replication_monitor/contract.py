"""The monitor's contract with the infrastructure that deploys and watches it.

Environment variable names, the metric namespace, metric names and the exact dimension set of
every metric the monitor emits. ``constructs_lib`` imports this module to build the function,
its alarms, its health checks and the dashboard, so a name written here cannot drift between
the Lambda and what reads its output. Plain constants only: importing it costs nothing.
"""

from __future__ import annotations

SERVICE = "replication-monitor"  # Powertools service name; Powertools adds it as the dimension "service"
NAMESPACE = "drkit"
SCHEDULE_SECONDS = 60  # EventBridge runs the monitor once a minute (a requirement)


class Env:
    """Environment variables the function reads at cold start."""

    ENVIRONMENT = "DRKIT_ENVIRONMENT"
    GLOBAL_CLUSTER_ID = "GLOBAL_CLUSTER_ID"
    ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN"
    STATE_PARAMETER = "STATE_PARAMETER"
    STATE_KEY_ID = "STATE_KEY_ID"
    LAG_ALARM_THRESHOLD_SECONDS = "LAG_THRESHOLD_SECONDS"
    MEMBER_REGIONS = "MEMBER_REGIONS"  # comma-separated, every region of the stack
    POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
    POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
    REGION = "AWS_REGION"  # set by Lambda


class Metric:
    REPLICATION_LAG = "ReplicationLagSeconds"  # per secondary
    SECONDARIES_LAGGING = "SecondariesLagging"
    SECONDARIES_WITHOUT_DATA = "SecondariesWithoutData"
    WRITER_IN_MONITOR_REGION = "WriterInMonitorRegion"  # 1 when this region hosts the writer
    WRITER_HEALTHY = "WriterHealthy"  # per watched region: 1 when the writer is there, answering and replicating
    # For the writer's region only, judged from another: 1 when that region does not answer for the writer, 0 when it
    # does; nothing once the writer has moved. "The primary is lost", where WriterHealthy 0 also means "it has left".
    WRITER_UNREACHABLE = "WriterUnreachable"


class Dimension:
    ENVIRONMENT = "Environment"
    SERVICE = "service"
    SECONDARY = "Secondary"
    WRITER_REGION = "WriterRegion"


def summary_dimensions(environment: str) -> dict[str, str]:
    """Dimensions of the run-level metrics (``SecondariesLagging``, ``WriterInMonitorRegion`` ...)."""
    return {Dimension.ENVIRONMENT: environment, Dimension.SERVICE: SERVICE}


def lag_dimensions(environment: str, secondary: str) -> dict[str, str]:
    """Dimensions of ``ReplicationLagSeconds`` for one secondary cluster."""
    return {Dimension.ENVIRONMENT: environment, Dimension.SECONDARY: secondary, Dimension.SERVICE: SERVICE}


def writer_healthy_dimensions(environment: str, writer_region: str) -> dict[str, str]:
    """Dimensions of ``WriterHealthy`` (and ``WriterUnreachable``) for one region."""
    return {Dimension.ENVIRONMENT: environment, Dimension.WRITER_REGION: writer_region, Dimension.SERVICE: SERVICE}
