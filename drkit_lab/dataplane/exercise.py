"""Role changes with the ledger writing through them, and what the clients and the database say afterwards.

:func:`through` runs an operation (a switchover, a failover after a region is lost, ...) while the
workload writes, waits for writes to resume, and returns the figures: acknowledged commits, missing
ones (RPO), the ledger's integrity, the longest window without a successful write (RTO as clients
see it) and the replication lag the data plane had published just before the operation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from drkit_lab.dataplane.ledger import Workload, connection_from_secret, verify

RESUMED_COMMITS = 20  # writes must flow again after the operation, for this many commits


@dataclass(frozen=True)
class Measured:
    operation: str
    acknowledged: int
    missing: int
    missing_seconds: float
    lag_before_seconds: float | None  # the target's lag just before the operation (what a failover may lose)
    integrity: bool
    longest_write_gap_seconds: float
    commits_per_second: float
    # How long before the operation began the oldest missing commit was acknowledged (0: none missing, or every missing
    # one acknowledged after it began). What a lossy failover may lose is bounded by the lag, so this is what is checked:
    # ``missing_seconds`` runs to the newest acknowledgement, which after a loss includes the new writer's commits.
    missing_before_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        lag = "n/a" if self.lag_before_seconds is None else f"{self.lag_before_seconds:.2f} s"
        return (
            f"{self.operation}: {self.acknowledged} commits acknowledged, {self.missing} missing "
            f"({self.missing_seconds:.2f} s of history, the oldest acknowledged {self.missing_before_seconds:.2f} s before the operation; "
            f"lag before: {lag}), integrity {'ok' if self.integrity else 'BROKEN'}, "
            f"longest write gap {self.longest_write_gap_seconds:.2f} s, {self.commits_per_second:.0f} commits/s"
        )


@contextmanager
def ledger(deployment: Any, outputs: dict[str, Any]) -> Iterator[Workload]:
    """The workload, connected as an application in the primary region is: from the stack's secret."""
    plane = deployment.dataplane()
    secret = deployment.client("secretsmanager", outputs["primary_region"]).get_secret_value(SecretId=outputs["primary_db_secret_arn"])
    workload = Workload(connection_from_secret(deployment.url, secret["SecretString"], plane["ca"]))
    workload.setup()
    workload.start()
    try:
        workload.wait_for_commits(RESUMED_COMMITS)
        yield workload
    finally:
        workload.stop()


def lag_of(deployment: Any, cluster: str) -> float | None:
    """The target's current replication lag, from the data plane (what Aurora would publish next)."""
    for server in deployment.dataplane()["servers"]:
        if server["cluster"] == cluster:
            return server.get("lag_seconds")
    return None


def through(workload: Workload, name: str, operation: Callable[[], object], lag_before: float | None = None) -> Measured:
    """Run ``operation`` while ``workload`` writes; measure what the clients and the database saw."""
    acknowledged_before = len(workload.acknowledged)
    started = time.monotonic()
    operation()
    workload.wait_for_commits(RESUMED_COMMITS, timeout=120)
    ended = time.monotonic()
    verdict = verify(workload)
    window = workload.acknowledged[acknowledged_before:]
    times = dict(workload.acknowledged)
    oldest = min((times[seq] for seq in verdict.missing), default=started)
    rate = len(window) / max(ended - started, 1e-6)
    return Measured(
        operation=name,
        acknowledged=verdict.acknowledged,
        missing=len(verdict.missing),
        missing_seconds=round(verdict.missing_seconds, 2),
        lag_before_seconds=None if lag_before is None else round(lag_before, 2),
        integrity=verdict.integrity,
        longest_write_gap_seconds=round(workload.longest_gap(started, ended), 2),
        commits_per_second=round(rate, 1),
        missing_before_seconds=round(max(0.0, started - oldest), 2),
    )
