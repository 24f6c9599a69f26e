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
    # Preserving the point-of-failure snapshot after an unplanned failover (``preserve``); all optional together.
    LOCAL_CLUSTER_ID = "LOCAL_CLUSTER_ID"  # the member cluster in this region
    SNAPSHOT_KEY_ID = "SNAPSHOT_KEY_ID"  # the region's key: the copy's KmsKeyId
    LOSSY_FAILOVER_PARAMETER = "LOSSY_FAILOVER_PARAMETER"  # SSM parameter where the runbook records lossy failovers
    SNAPSHOT_WAIT_SECONDS = "SNAPSHOT_WAIT_SECONDS"  # after Aurora rebuilt the old primary, how long before "unrecoverable"
    RECONCILE_COMMAND = "RECONCILE_COMMAND"  # what on-call runs next, quoted in the page
    POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
    POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
    REGION = "AWS_REGION"  # set by Lambda


# The snapshot Aurora attempts of the old primary's volume when its region returns after an unplanned
# failover (Aurora User Guide, "Using switchover or failover in Amazon Aurora Global Database"):
# "rds:unplanned-global-failover-name-of-old-primary-DB-cluster-timestamp". The timestamp's format is not
# documented: only this prefix and the cluster's name are relied on.
POINT_OF_FAILURE_PREFIX = "rds:unplanned-global-failover-"
PRESERVED_MARK = "-pof-"  # a preserved copy is named <cluster><PRESERVED_MARK><source's creation time, UTC>
PRESERVED_STAMP_FORMAT = "%Y%m%d%H%M%S"
PRESERVED_FROM_TAG = "drkit:preserved-from"  # on a copy: the ARN of the system snapshot it preserves
FAILOVER_TAG = "drkit:failover"  # on a copy: the failover it belongs to (<old cluster>@<time>, from the runbook's record)


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
