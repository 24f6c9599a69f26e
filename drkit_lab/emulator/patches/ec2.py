"""EC2: security group rules."""

from __future__ import annotations

from moto.ec2.models import security_groups as ec2_sg_models

from drkit_lab.emulator.patches.registry import patch


@patch
def security_group_rule_description_for_group_references() -> None:
    """AWS: DescribeSecurityGroupRules returns the Description of a rule that references another
    security group, as it does for CIDR rules.

    moto reads the description from the CIDR range only, so a group-referencing rule loses it and
    every plan sets it again.
    """

    def description(self: ec2_sg_models.SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    ec2_sg_models.SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]
