"""The recovery budget: from a regional failure until clients write in another region.

Computed from the same settings the constructs use, so what synth prints is what is deployed:

  detection   the monitor in another region runs every ``SCHEDULE_SECONDS`` (worst case: the fault
              lands just after a run) + ``failover.detection_periods`` alarm periods of the same length
  + health    Route 53 follows the CloudWatch alarm's data stream (allowance, checked by game day)
  + promotion Aurora promotes the secondary (AWS documents about a minute for a managed failover)
  + DNS TTL   clients drop the cached ``db.<zone>`` answer
  = RTO, checked against ``rto_target_seconds`` at synth time.

RPO: ``database.global_db_rpo_seconds`` when set (Aurora blocks commits while no secondary is
within it, so it is enforced), else ``lag_alarm_threshold_seconds`` (alerted, not enforced). A
switchover loses nothing; a failover can lose at most what had not replicated.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.replication_monitor.contract import SCHEDULE_SECONDS

ALARM_PERIOD_SECONDS = SCHEDULE_SECONDS  # one datum per monitor run: a shorter period would read gaps
HEALTH_CHECK_ALLOWANCE_SECONDS = 30
PROMOTION_ALLOWANCE_SECONDS = 60


@dataclass(frozen=True, kw_only=True)
class RecoveryBudget:
    detection_periods: int
    dns_ttl_seconds: int
    rpo_seconds: float
    rpo_source: str
    rto_target_seconds: int
    monitor_interval_seconds: int = SCHEDULE_SECONDS
    alarm_period_seconds: int = ALARM_PERIOD_SECONDS
    health_check_seconds: int = HEALTH_CHECK_ALLOWANCE_SECONDS
    promotion_seconds: int = PROMOTION_ALLOWANCE_SECONDS

    @property
    def detection_seconds(self) -> int:
        return self.monitor_interval_seconds + self.alarm_period_seconds * self.detection_periods

    @property
    def rto_seconds(self) -> int:
        return self.detection_seconds + self.health_check_seconds + self.promotion_seconds + self.dns_ttl_seconds

    @property
    def within_target(self) -> bool:
        return self.rto_seconds <= self.rto_target_seconds

    def explain(self) -> str:
        return (
            f"RTO {self.rto_seconds} s = detection {self.detection_seconds} s "
            f"(monitor every {self.monitor_interval_seconds} s + {self.detection_periods} x {self.alarm_period_seconds} s alarm periods, "
            f"read from another region) + health check {self.health_check_seconds} s "
            f"+ promotion {self.promotion_seconds} s + DNS TTL {self.dns_ttl_seconds} s "
            f"(target {self.rto_target_seconds} s); RPO <= {self.rpo_seconds:g} s ({self.rpo_source})"
        )
