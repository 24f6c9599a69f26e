"""DRK009: in production, every database cluster is backed up into a compliance-locked vault and copied to another region.

What counts is what AWS Backup actually protects. A backup plan and its selections are regional: a plan backs up
the resources of its own region, so a selection counts only when it, its plan and the cluster share a provider
(region). Every member is selected in its own region because AWS documents nothing about backing up a
*secondary* of a global database (no statement found in the Aurora or AWS Backup guides): the member that is the
writer, wherever a switchover or failover has put it, is always backed up by its own region's plan; a secondary's
job is best effort (if AWS refuses it, that job fails and nothing else does).
"""

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
        region_of = {address: str(body.get("provider", "aws")) for rtype in ("aws_backup_plan", "aws_rds_cluster")
                     for address, body in stack.resources(rtype)}  # fmt: skip
        selected: dict[str, list[tuple[str, str]]] = {}  # cluster name -> [(plan address, selection's provider)]
        for _, selection in stack.resources("aws_backup_selection"):
            for plan in references(selection.get("plan_id"), "aws_backup_plan"):
                for cluster in references(selection.get("resources"), "aws_rds_cluster"):
                    selected.setdefault(cluster, []).append((f"aws_backup_plan.{plan}", str(selection.get("provider", "aws"))))
        findings = []
        for address, _ in stack.resources("aws_rds_cluster"):
            name = address.split(".", 1)[1]
            choices = [(plan, provider) for plan, provider in selected.get(name, []) if plan in plans]
            if not choices:
                findings.append(Finding(self.rule_id, self.level, address, "no backup plan selects this cluster"))
                continue
            # AWS Backup plans and selections are regional: only one of the cluster's own region protects it.
            own = [plan for plan, provider in choices if provider == region_of[address] and region_of.get(plan) == region_of[address]]
            if not own:
                plans_seen = ", ".join(p for p, _ in choices)
                why = f"selected only by a backup plan of another region ({plans_seen}): AWS Backup backs up its own region's resources"
                findings.append(Finding(self.rule_id, self.level, address, why))
                continue
            plan_address = own[0]
            rules = plans[plan_address].get("rule") or []
            if not any(rule.get("copy_action") for rule in rules):
                findings.append(Finding(self.rule_id, self.level, plan_address, "no rule copies the backups to another region's vault"))
            used = references(rules, "aws_backup_vault")
            for vault in sorted(used):
                if vault in vaults and vault not in locked:
                    findings.append(Finding(self.rule_id, self.level, f"aws_backup_vault.{vault}", "no compliance-mode vault lock"))
        return findings
