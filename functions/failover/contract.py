"""The runbook's contract with its infrastructure and its callers.

Environment variable names (set by ``constructs_lib/dr_operations.py``), the request fields of an
invocation, and how old a request may be. Plain constants only: importing it costs nothing.
"""

from __future__ import annotations

from enum import StrEnum

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


# --------------------------------------------------------------------------- automation (issue #24)


class FailoverMode(StrEnum):
    MANUAL = "manual"  # a lost writer pages with the exact command; an operator runs it
    AUTOMATIC = "automatic"  # the runbook function in a surviving region fails over when the quorum says so


class AutomationEnv:
    """Environment variables of the runbook function's automation (the alarm-invoked path)."""

    MODE = "FAILOVER_MODE"
    DRY_RUN = "AUTOMATION_DRY_RUN"  # true: record and page what it would do, change nothing
    MEMBER_REGIONS = "MEMBER_REGIONS"  # comma-separated, configuration order (the tie-break of the target)
    WRITER_LOST_ALARM = "WRITER_LOST_ALARM_NAME"  # the observers' alarm name, with {writer} and {observer} placeholders
    LATCH_PARAMETER = "AUTOMATION_LATCH_PARAMETER"  # the SSM parameter that latches one automatic failover per incident
    MAX_LAG_SECONDS = "AUTOMATION_MAX_LAG_SECONDS"  # the RPO budget: refuse a target whose last known lag is above it
    CONFIG_NAME = "DRKIT_CONFIG_NAME"  # the environment's key in the configuration (what --env takes)
    PROBE_INTERVAL_SECONDS = "PROBE_INTERVAL_SECONDS"
    LOST_AFTER_PROBES = "LOST_AFTER_PROBES"


# The operators' CLI, named in every page. One place: the restructure renames it (``drkit runbook``).
RUNBOOK_COMMAND = "drkit runbook"


def failover_command(config_name: str, target_region: str) -> str:
    return f"{RUNBOOK_COMMAND} failover --env {config_name} --to {target_region}"


def rearm_command(config_name: str) -> str:
    return f"{RUNBOOK_COMMAND} rearm --env {config_name}"
