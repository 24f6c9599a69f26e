"""DRK007: in production, stateful resources have deletion protection and prevent_destroy."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView

# Backup vaults hold the recovery points (AWS Backup refuses to delete a vault that is not empty) and a compliance
# lock cannot be removed once immutable: they are state as much as the clusters are.
STATEFUL = (
    "aws_rds_global_cluster", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_kms_key", "aws_secretsmanager_secret",
    "aws_backup_vault", "aws_backup_vault_lock_configuration",
)  # fmt: skip
DELETION_PROTECTED = ("aws_rds_global_cluster", "aws_rds_cluster")


@dataclass(frozen=True)
class ProductionProtection:
    rule_id: str = "DRK007"
    explanation: str = "production stateful resources carry lifecycle.prevent_destroy, and databases deletion_protection"
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        if not stack.is_production:
            return []
        findings = []
        for rtype in STATEFUL:
            for address, body in stack.resources(rtype):
                if (body.get("lifecycle") or {}).get("prevent_destroy") is not True:
                    findings.append(Finding(self.rule_id, self.level, address, "lifecycle.prevent_destroy is not true in production"))
                if rtype in DELETION_PROTECTED and body.get("deletion_protection") is not True:
                    findings.append(Finding(self.rule_id, self.level, address, "deletion_protection is not true in production"))
        return findings
