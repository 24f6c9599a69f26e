"""EKS fidelity: cluster security groups, node groups, access entries."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator


def test_eks_cluster_gets_a_cluster_security_group(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(2)]
    role = aws("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cluster = aws("eks").create_cluster(name="c1", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})["cluster"]
    group = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["VpcId"] == vpc
    aws("eks").delete_cluster(name="c1")
    remaining = [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert group not in remaining


def test_node_group_keeps_its_settings_and_no_invented_remote_access(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(2)]
    role = aws("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws("eks").create_cluster(name="c1", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    aws("eks").create_nodegroup(clusterName="c1", nodegroupName="n1", nodeRole=role, subnets=subnets, updateConfig={"maxUnavailable": 1})
    group = aws("eks").describe_nodegroup(clusterName="c1", nodegroupName="n1")["nodegroup"]
    assert not group.get("remoteAccess")
    assert group["updateConfig"] == {"maxUnavailable": 1}


def test_access_config_and_entries_are_kept_until_the_cluster_goes(aws: Any) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(2)]
    role = aws("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    eks = aws("eks")
    access = {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    eks.create_cluster(name="c1", roleArn=role, resourcesVpcConfig={"subnetIds": subnets}, accessConfig=access)
    assert eks.describe_cluster(name="c1")["cluster"]["accessConfig"] == access
    admin = "arn:aws:iam::123456789012:role/platform-admin"
    policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    eks.create_access_entry(clusterName="c1", principalArn=admin)
    with pytest.raises(ClientError, match="ResourceInUse"):
        eks.create_access_entry(clusterName="c1", principalArn=admin)
    eks.associate_access_policy(clusterName="c1", principalArn=admin, policyArn=policy, accessScope={"type": "cluster"})
    (associated,) = eks.list_associated_access_policies(clusterName="c1", principalArn=admin)["associatedAccessPolicies"]
    assert associated["policyArn"] == policy and associated["accessScope"] == {"type": "cluster"}
    eks.disassociate_access_policy(clusterName="c1", principalArn=admin, policyArn=policy)
    eks.delete_access_entry(clusterName="c1", principalArn=admin)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        eks.describe_access_entry(clusterName="c1", principalArn=admin)
