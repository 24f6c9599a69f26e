"""Tunables of the emulator: how long what AWS does slowly takes here, and account values AWS reports.

Each has an environment variable read when the emulator starts and can be changed while it runs
(``POST /_drkit/knobs {"restore_seconds": 30}``, ``drkit_lab.emulator.control``). The defaults keep the
emulator as fast as before; tests and drills turn them up to rehearse what AWS makes slow.

* ``restore_seconds`` (``DRKIT_EMULATOR_RESTORE_SECONDS``, 0): a cluster made by a point-in-time
  restore stays ``creating`` for that many seconds of wall time. On AWS a restore takes minutes to
  hours ("the time it takes to restore depends on the size of the DB cluster", Aurora user guide), longer
  than a DR role's one-hour session can last: the runbook's restore must resume.
* ``resync_seconds`` (``DRKIT_EMULATOR_RESYNC_SECONDS``, 0): a member rebuilt after an unplanned failover (at the
  failover, or when its region returns) reports ``SynchronizationStatus: pending-resync`` for that long after the
  rebuild started, read at each answer (turning it down ends the resync); with a data plane, also for as long as
  its real replica has not caught up.
* ``lambda_concurrency_quota`` (``DRKIT_EMULATOR_LAMBDA_CONCURRENCY``, 1000): the value Service Quotas
  reports for Lambda's "Concurrent executions" (L-B99A9384), and the concurrency Lambda's GetAccountSettings
  reports and PutFunctionConcurrency enforces in each region; AWS's default is 1,000 and new accounts
  start lower (Lambda developer guide, "Lambda quotas").
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Knobs:
    restore_seconds: float = float(os.environ.get("DRKIT_EMULATOR_RESTORE_SECONDS", "0"))
    resync_seconds: float = float(os.environ.get("DRKIT_EMULATOR_RESYNC_SECONDS", "0"))
    lambda_concurrency_quota: float = float(os.environ.get("DRKIT_EMULATOR_LAMBDA_CONCURRENCY", "1000"))

    def update(self, values: dict[str, Any]) -> dict[str, Any]:
        """Set the named knobs (unknown names are refused: a typo must not pass silently)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown knob(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        for name, value in values.items():
            setattr(self, name, float(value))
        return asdict(self)


KNOBS = Knobs()
