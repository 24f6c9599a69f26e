"""DRK002: no database instance is publicly accessible."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView


@dataclass(frozen=True)
class NoPublicDatabase:
    rule_id: str = "DRK002"
    explanation: str = "database instances say publicly_accessible = false, explicitly"
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        return [
            Finding(self.rule_id, self.level, address, f"publicly_accessible is {body.get('publicly_accessible')!r}, must be false")
            for rtype in ("aws_rds_cluster_instance", "aws_db_instance")
            for address, body in stack.resources(rtype)
            if body.get("publicly_accessible") is not False
        ]
