"""The record of a failover that allowed data loss: what the point-of-failure watch and the reconciliation start from.

After ``FailoverGlobalCluster`` with ``AllowDataLoss``, the old primary may hold commits the new writer
never received; Aurora attempts a snapshot of its volume when its region is healthy again (Aurora User
Guide, "Using switchover or failover in Amazon Aurora Global Database"). The runbook records the
failover in the SSM parameter ``lossy_failover_parameter`` of the target region (the new writer's,
which is up): the old and new clusters, the time, and the target's last known lag. The replication
monitor of that region then waits for the snapshot and pages when it never comes
(``replication_monitor.preserve``, which reads this format), and ``drkit/reconcile`` starts there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

KEEP = 10  # records kept in the parameter (a standard parameter holds 4 KB)


def entry(old_cluster_arn: str, new_writer_arn: str, failed_over_at: datetime, target_lag_seconds: float | None) -> dict[str, Any]:
    return {
        "old_cluster_arn": old_cluster_arn,
        "new_writer_arn": new_writer_arn,
        "failed_over_at": failed_over_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "target_lag_seconds": target_lag_seconds,
    }


def appended(current: str | None, record: dict[str, Any]) -> str:
    """The parameter's new value: the existing records (unreadable ones dropped), then ``record``, the newest ``KEEP``."""
    try:
        document = json.loads(current or "{}")
    except ValueError:
        document = {}
    failovers = [f for f in (document.get("failovers", []) if isinstance(document, dict) else []) if isinstance(f, dict)]
    return json.dumps({"failovers": [*failovers, record][-KEEP:]}, sort_keys=True)


def record(client: Callable[[str, str], Any], region: str, parameter: str, new_record: dict[str, Any]) -> str:
    """Append ``new_record`` to ``parameter`` in ``region``; what happened, in words (never raises)."""
    ssm = client("ssm", region)
    try:
        try:
            current = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
        except Exception as error:
            if "ParameterNotFound" not in str(error):
                raise
            current = None
        ssm.put_parameter(Name=parameter, Value=appended(current, new_record), Type="String", Overwrite=True)
    except Exception as error:
        return (
            f"lossy failover NOT recorded in {parameter} ({region}): {str(error).splitlines()[0][:200]}; "
            "nobody will be paged if the point-of-failure snapshot never appears: watch for it by hand"
        )
    return f"lossy failover recorded in {parameter} ({region}): the replication monitor there watches for the point-of-failure snapshot"
