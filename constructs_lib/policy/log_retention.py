"""DRK005: every log group has a retention period."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView


@dataclass(frozen=True)
class LogRetention:
    rule_id: str = "DRK005"
    explanation: str = "log groups keep logs for a set number of days (never 'forever' by omission)"
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        return [
            Finding(self.rule_id, self.level, address, "retention_in_days is not set")
            for address, body in stack.resources("aws_cloudwatch_log_group")
            if not body.get("retention_in_days")
        ]
