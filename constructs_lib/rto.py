"""The recovery budget: how long from a regional failure until clients write in the other region.

  detection   writer-health alarm: period x evaluation periods
  + health    Route 53 CloudWatch-metric health checks follow the alarm (allowance)
  + promotion Aurora promotes the secondary (AWS documents under a minute for a global database)
  + DNS TTL   clients drop the cached answer
  = RTO, checked against ``rto_target_seconds`` at synth time.

RPO is the replication lag the alarms tolerate: ``lag_alarm_threshold_seconds`` (a switchover
loses nothing; a failover can lose at most what had not replicated).
"""

from __future__ import annotations

from dataclasses import dataclass

WRITER_ALARM_PERIOD_SECONDS = 60
WRITER_ALARM_EVALUATION_PERIODS = 2
HEALTH_CHECK_ALLOWANCE_SECONDS = 30
PROMOTION_ALLOWANCE_SECONDS = 60


@dataclass(frozen=True)
class RecoveryBudget:
    detection_seconds: int
    health_check_seconds: int
    promotion_seconds: int
    dns_ttl_seconds: int
    rpo_seconds: float
    rto_target_seconds: int

    @property
    def rto_seconds(self) -> int:
        return self.detection_seconds + self.health_check_seconds + self.promotion_seconds + self.dns_ttl_seconds

    @property
    def within_target(self) -> bool:
        return self.rto_seconds <= self.rto_target_seconds

    def explain(self) -> str:
        return (
            f"RTO {self.rto_seconds} s = detection {self.detection_seconds} s "
            f"({WRITER_ALARM_EVALUATION_PERIODS} x {WRITER_ALARM_PERIOD_SECONDS} s alarm) + health check {self.health_check_seconds} s "
            f"+ promotion {self.promotion_seconds} s + DNS TTL {self.dns_ttl_seconds} s "
            f"(target {self.rto_target_seconds} s); RPO <= {self.rpo_seconds:g} s (lag alarm threshold)"
        )


def recovery_budget(dns_ttl_seconds: int, lag_threshold_seconds: float, rto_target_seconds: int) -> RecoveryBudget:
    return RecoveryBudget(
        detection_seconds=WRITER_ALARM_PERIOD_SECONDS * WRITER_ALARM_EVALUATION_PERIODS,
        health_check_seconds=HEALTH_CHECK_ALLOWANCE_SECONDS,
        promotion_seconds=PROMOTION_ALLOWANCE_SECONDS,
        dns_ttl_seconds=dns_ttl_seconds,
        rpo_seconds=lag_threshold_seconds,
        rto_target_seconds=rto_target_seconds,
    )
