"""The recovery budget: from a regional failure until clients write in another region.

Computed from the same settings the constructs use, so what synth prints is what is deployed. Two
paths, because the two names clients may use follow the writer differently:

**The RTO path: ``writer.<zone>``** (Aurora's global writer endpoint, which Aurora moves itself on a
failover), checked against ``rto_target_seconds``:

  detection   the writer probes of the other regions (``failover.probe_interval_seconds``) see both
              the data path and the control path fail ``failover.lost_after_probes`` times in a row
              (worst case: the fault lands just after a probe)
  + decision  the high-resolution alarm's next evaluation (CloudWatch evaluates them every 10 s) and
              the delivery of its action: metric extraction from the probe's log, the asynchronous
              invocation of the runbook function and its quorum reads (an allowance: AWS documents
              none of these latencies; the game day measures what the emulator can)
  + operator  ``manual`` only: from the page to the operator's command (``failover.operator_response_seconds``,
              an assumption, shown as such)
  + promotion Aurora promotes the secondary (an allowance; the Aurora User Guide says "Typically, the
              chosen secondary cluster assumes the primary role within a few minutes", older AWS
              material "under a minute")
  + DNS       the global writer endpoint's 5 s TTL ("Aurora DNS zones use a short time-to-live (TTL) of
              5 seconds"; the Aurora User Guide asks clients to cache "a low value such as 5 seconds")

**The ``db.<zone>`` path** (the failover records of ``constructs_lib/failover_dns.py``), printed beside
it and not checked against the target: Route 53 health checks cannot read the high-resolution alarms
("High-resolution metrics aren't supported": Route 53 API Reference, ``AlarmIdentifier``), so that
name keeps the one-minute monitor's slower chain:

  detection   the monitor in another region runs every ``SCHEDULE_SECONDS`` + ``failover.detection_periods``
              alarm periods of the same length
  + health    Route 53 follows the CloudWatch alarm's data stream (allowance, checked by game day)
  + promotion as above
  + DNS TTL   clients drop the cached ``db.<zone>`` answer (``dns_ttl_seconds``)

RPO: ``database.global_db_rpo_seconds`` when set (Aurora blocks commits while no secondary is
within it, so it is enforced), else ``lag_alarm_threshold_seconds`` (alerted, not enforced). A
switchover loses nothing; a failover can lose at most what had not replicated. The automation
refuses to fail over a target whose last known lag exceeds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.failover.contract import FailoverMode
from functions.replication_monitor.contract import SCHEDULE_SECONDS

ALARM_PERIOD_SECONDS = SCHEDULE_SECONDS  # one datum per monitor run: a shorter period would read gaps
HEALTH_CHECK_ALLOWANCE_SECONDS = 30
PROMOTION_ALLOWANCE_SECONDS = 60  # the default of failover.promotion_allowance_seconds: an allowance, not a measurement
ALARM_EVALUATION_SECONDS = 10  # high-resolution alarms evaluate every 10 s (AWS News Blog, high-resolution alarms)
ACTION_DELIVERY_SECONDS = 10  # metric extraction, the asynchronous invocation (a cold start), the automation's cross-region reads
DECISION_ALLOWANCE_SECONDS = ALARM_EVALUATION_SECONDS + ACTION_DELIVERY_SECONDS
GLOBAL_WRITER_TTL_SECONDS = 5  # Aurora's DNS names use a 5 s TTL
MONTH_SECONDS = 30 * 24 * 3600
AVAILABILITY_TARGET = 0.9999  # the availability the transaction system promises
MONTHLY_DOWNTIME_BUDGET_SECONDS = round(MONTH_SECONDS * (1 - AVAILABILITY_TARGET), 1)  # 259.2 s in a 30-day month


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
    # the RTO path: writer probes, the quorum's alarms, the decision, the global writer endpoint
    mode: FailoverMode = FailoverMode.MANUAL
    observers: int = 1  # regions that judge the writer (every member region but the writer's)
    probe_interval_seconds: int = 10
    lost_after_probes: int = 3
    decision_seconds: int = DECISION_ALLOWANCE_SECONDS
    operator_response_seconds: int = 180
    writer_dns_ttl_seconds: int = GLOBAL_WRITER_TTL_SECONDS

    def __post_init__(self) -> None:
        if self.probe_interval_seconds < 1 or self.lost_after_probes < 1 or self.observers < 1:
            raise ValueError(
                f"probe_interval_seconds, lost_after_probes and observers must be positive, got "
                f"{self.probe_interval_seconds}, {self.lost_after_probes}, {self.observers}"
            )

    # ---- the RTO path (writer.<zone>)

    @property
    def writer_detection_seconds(self) -> int:
        """Worst case: the fault lands just after a probe, then ``lost_after_probes`` probes fail."""
        return self.probe_interval_seconds * self.lost_after_probes

    @property
    def operator_seconds(self) -> int:
        return self.operator_response_seconds if self.mode is FailoverMode.MANUAL else 0

    @property
    def promotion_starts_seconds(self) -> int:
        """When FailoverGlobalCluster is called at the latest: detection + decision (+ the operator)."""
        return self.writer_detection_seconds + self.decision_seconds + self.operator_seconds

    @property
    def rto_seconds(self) -> int:
        return self.promotion_starts_seconds + self.promotion_seconds + self.writer_dns_ttl_seconds

    @property
    def within_target(self) -> bool:
        return self.rto_seconds <= self.rto_target_seconds

    @property
    def monthly_budget_share(self) -> float:
        """What one failover spends of the 99.99 % monthly downtime budget (30-day month)."""
        return self.rto_seconds / MONTHLY_DOWNTIME_BUDGET_SECONDS

    # ---- the db.<zone> path (failover records over the one-minute monitor's alarms)

    @property
    def detection_seconds(self) -> int:
        """Detection of the ``db.<zone>`` path: the monitor in another region, then its alarm's periods."""
        return self.monitor_interval_seconds + self.alarm_period_seconds * self.detection_periods

    @property
    def database_name_seconds(self) -> int:
        """When ``db.<zone>`` answers the new writer at the latest: its own detection and health check, and
        never before the promotion has finished; then its TTL."""
        follows = max(self.detection_seconds + self.health_check_seconds, self.promotion_starts_seconds + self.promotion_seconds)
        return follows + self.dns_ttl_seconds

    def explain(self) -> str:
        """The line synth prints (and the error names when the budget exceeds the target)."""
        observed_from = f"{self.observers} other region{'s' if self.observers > 1 else ''}"
        operator = (
            f" + operator {self.operator_seconds} s (failover.operator_response_seconds: an assumption, from the page to the command)"
            if self.mode is FailoverMode.MANUAL
            else ""
        )
        return (
            f"RTO {self.rto_seconds} s ({self.mode.value}) = detection {self.writer_detection_seconds} s "
            f"(probe every {self.probe_interval_seconds} s x {self.lost_after_probes} failed in a row, both paths, "
            f"from {observed_from}) + decision {self.decision_seconds} s (alarm evaluation {ALARM_EVALUATION_SECONDS} s "
            f"+ action delivery {ACTION_DELIVERY_SECONDS} s){operator} + promotion {self.promotion_seconds} s "
            "(failover.promotion_allowance_seconds: an allowance) "
            f"+ DNS TTL {self.writer_dns_ttl_seconds} s (global writer endpoint, writer.<zone>) (target {self.rto_target_seconds} s); "
            f"one failover spends {self.monthly_budget_share:.0%} of the 99.99% monthly budget ({MONTHLY_DOWNTIME_BUDGET_SECONDS:g} s); "
            f"RPO <= {self.rpo_seconds:g} s ({self.rpo_source})"
        )

    def explain_database_name(self) -> str:
        """The ``db.<zone>`` path, printed beside the RTO (its own, slower timing)."""
        return (
            f"db.<zone> answers the new writer within {self.database_name_seconds} s = "
            f"max(detection {self.detection_seconds} s (monitor every {self.monitor_interval_seconds} s + {self.detection_periods} x "
            f"{self.alarm_period_seconds} s alarm periods, read from another region) + health check {self.health_check_seconds} s, "
            f"promotion done at {self.promotion_starts_seconds + self.promotion_seconds} s) + DNS TTL {self.dns_ttl_seconds} s "
            "(Route 53 health checks cannot read high-resolution alarms)"
        )
