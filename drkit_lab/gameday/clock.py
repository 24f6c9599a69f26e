"""The simulated clock: the only thing game day simulates.

It starts six hours in the past (aligned to a minute), so every datum it stamps is one CloudWatch
accepts and none collides with real-time data; scenarios of one game day continue on it, and a later
game day on the same deployment continues after the last one (``resume``), so no two runs stamp data
in the same minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

START_BEFORE_NOW = timedelta(hours=6)
GAP_BETWEEN_RUNS = timedelta(minutes=30)


def default_start() -> datetime:
    return (datetime.now(UTC) - START_BEFORE_NOW).replace(second=0, microsecond=0)


@dataclass
class SimulatedClock:
    now: datetime = field(default_factory=default_start)
    fault_at: datetime | None = None

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def mark_fault(self) -> None:
        self.fault_at = self.now

    def since_fault(self, at: datetime | None = None) -> float:
        """Seconds from the fault to ``at`` (default now); negative before it."""
        reference = self.fault_at or self.now
        return ((at or self.now) - reference).total_seconds()


def resume(last: datetime | None) -> SimulatedClock:
    """A clock for a new game day: after the last one's end (plus a gap), or six hours back."""
    start = default_start()
    if last is not None and last + GAP_BETWEEN_RUNS > start:
        start = (last + GAP_BETWEEN_RUNS).replace(second=0, microsecond=0)
    return SimulatedClock(now=start)
