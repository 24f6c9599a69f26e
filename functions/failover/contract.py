"""The runbook's contract with its infrastructure and its callers.

Environment variable names (set by ``constructs_lib/dr_operations.py``), the request fields of an
invocation, and how old a request may be. Plain constants only: importing it costs nothing.
"""

from __future__ import annotations

SERVICE = "failover-runbook"
# Lambda discards asynchronous events older than this (the function's event invoke config) and the
# handler refuses any request whose ``requested_at`` is older: a throttled or delayed request must
# never move the writer after the operator has moved it elsewhere.
MAX_REQUEST_AGE_SECONDS = 60


class Env:
    ENVIRONMENT = "DRKIT_ENVIRONMENT"
    GLOBAL_CLUSTER_ID = "GLOBAL_CLUSTER_ID"
    ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN"
    ZONE_ID = "ZONE_ID"
    RECORD_NAMES = "RECORD_NAMES"  # comma-separated: db.<zone> and the chain's further links
    SWITCHOVER_MAX_LAG_SECONDS = "SWITCHOVER_MAX_LAG_SECONDS"
    LOSSY_FAILOVER_PARAMETER = "LOSSY_FAILOVER_PARAMETER"  # optional: where a failover that allowed data loss is recorded
    POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
    REGION = "AWS_REGION"  # set by Lambda


class Request:
    """Fields of the invocation payload."""

    OPERATION = "operation"  # switchover | failover | status
    TARGET_REGION = "target_region"
    DRY_RUN = "dry_run"
    REQUESTED_AT = "requested_at"  # ISO 8601 with a time zone, e.g. 2026-11-29T12:00:00+00:00
    EXPECTED_WRITER_REGION = "expected_writer_region"  # optional: refuse when the writer has moved since
