"""DRK009: in production, every database cluster is backed up into a compliance-locked vault and copied to another region."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView, references


@dataclass(frozen=True)
class LockedBackups:
    rule_id: str = "DRK009"
    explanation: str = (
        "production: replication copies every mistake everywhere, so each cluster is selected by a backup plan whose rule "
        "copies to another region, and every vault it uses has a compliance lock (changeable_for_days)"
    )
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        if not stack.is_production:
            return []
        vaults = {address.split(".", 1)[1]: body for address, body in stack.resources("aws_backup_vault")}
        locked = {name for _, body in stack.resources("aws_backup_vault_lock_configuration") if body.get("changeable_for_days")
                  for name in references(body.get("backup_vault_name"), "aws_backup_vault")}  # fmt: skip
        plans = dict(stack.resources("aws_backup_plan"))
        selected: dict[str, str] = {}  # cluster name -> plan address
        for _, selection in stack.resources("aws_backup_selection"):
            for plan in references(selection.get("plan_id"), "aws_backup_plan"):
                for cluster in references(selection.get("resources"), "aws_rds_cluster"):
                    selected[cluster] = f"aws_backup_plan.{plan}"
        findings = []
        for address, _ in stack.resources("aws_rds_cluster"):
            name = address.split(".", 1)[1]
            plan_address = selected.get(name)
            if plan_address is None or plan_address not in plans:
                findings.append(Finding(self.rule_id, self.level, address, "no backup plan selects this cluster"))
                continue
            rules = plans[plan_address].get("rule") or []
            if not any(rule.get("copy_action") for rule in rules):
                findings.append(Finding(self.rule_id, self.level, plan_address, "no rule copies the backups to another region's vault"))
            used = references(rules, "aws_backup_vault")
            for vault in sorted(used):
                if vault in vaults and vault not in locked:
                    findings.append(Finding(self.rule_id, self.level, f"aws_backup_vault.{vault}", "no compliance-mode vault lock"))
        return findings
