"""DRK006: every Aurora cluster uses a parameter group with rds.force_ssl = 1."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView, references


@dataclass(frozen=True)
class TlsEnforced:
    rule_id: str = "DRK006"
    explanation: str = "database connections require TLS (rds.force_ssl = 1 in the cluster parameter group)"
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        tls_groups = {
            address.split(".", 1)[1]
            for address, body in stack.resources("aws_rds_cluster_parameter_group")
            if {"name": "rds.force_ssl", "value": "1"} in [{"name": p.get("name"), "value": str(p.get("value"))} for p in body.get("parameter") or []]
        }
        return [
            Finding(self.rule_id, self.level, address, "the cluster parameter group does not set rds.force_ssl = 1")
            for address, body in stack.resources("aws_rds_cluster")
            if not references(body.get("db_cluster_parameter_group_name"), "aws_rds_cluster_parameter_group") & tls_groups
        ]
