"""EC2 fidelity: security group rules."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.emulator


def test_group_referencing_rule_keeps_its_description(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    database = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    nodes = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=database,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": nodes, "Description": "from nodes"}]}
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [database]}])["SecurityGroupRules"]
    (ingress,) = [r for r in rules if not r["IsEgress"]]
    assert ingress["Description"] == "from nodes"
