"""DRK003: nothing reaches the data tier from 0.0.0.0/0 (or ::/0)."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView, references

OPEN = {"0.0.0.0/0", "::/0"}


@dataclass(frozen=True)
class NoOpenDataTier:
    rule_id: str = "DRK003"
    explanation: str = "security groups of databases admit no traffic from the whole internet"
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        data_groups: set[str] = set()
        for _, body in stack.resources("aws_rds_cluster"):
            data_groups |= references(body.get("vpc_security_group_ids"), "aws_security_group")
        findings = []
        for address, body in stack.resources("aws_vpc_security_group_ingress_rule"):
            if references(body.get("security_group_id"), "aws_security_group") & data_groups and (
                body.get("cidr_ipv4") in OPEN or body.get("cidr_ipv6") in OPEN
            ):
                findings.append(Finding(self.rule_id, self.level, address, "ingress from the whole internet to a database security group"))
        for address, body in stack.resources("aws_security_group"):
            if address.split(".", 1)[1] not in data_groups:
                continue
            for rule in body.get("ingress") or []:
                if OPEN & set(rule.get("cidr_blocks") or []) | OPEN & set(rule.get("ipv6_cidr_blocks") or []):
                    findings.append(Finding(self.rule_id, self.level, address, "inline ingress from the whole internet"))
        return findings
