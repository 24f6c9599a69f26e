"""AppClusterConstruct: one EKS cluster per region for the transaction services.

Private API endpoint by default, secrets envelope-encrypted with the regional key, control-plane
logs (api, audit, authenticator) to an encrypted log group with retention, an OIDC provider for
IAM roles for service accounts, and a managed node group in the app subnets. The nodes may reach
the database security group on 5432 — nothing else is opened.

Who may administer it is configuration, not an accident of who created it: authentication through
EKS access entries (``access_config``; ``API_AND_CONFIG_MAP`` keeps an existing aws-auth map
working), cluster-admin for ``app_clusters.admin_principal_arns`` and edit rights for the DR
operations role (EKS user guide, access-policy-permissions). The creator keeps its bootstrap admin
entry: ``bootstrap_cluster_creator_admin_permissions`` forces replacement when it changes, and true
is what a cluster created without ``access_config`` already has.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import EksAccessPolicyAssociation, EksAccessPolicyAssociationAccessScope
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster,
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterVpcConfig,
)
from cdktf_cdktf_provider_aws.eks_node_group import EksNodeGroup, EksNodeGroupScalingConfig, EksNodeGroupUpdateConfig
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from constructs_lib.iam import service_trust
from constructs_lib.network import POSTGRES_PORT

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
CLUSTER_POLICIES = ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",)
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
EDIT_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)


@dataclass(frozen=True, kw_only=True)
class AppClusterProps:
    provider: AwsProvider
    region: str
    name: str  # e.g. drkit-dev-us-east-1
    kubernetes_version: str
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    node_instance_types: tuple[str, ...]
    node_min_size: int
    node_desired_size: int
    node_max_size: int
    capacity_type: str  # ON_DEMAND | SPOT
    app_subnet_ids: tuple[str, ...]
    database_security_group_id: str
    kms_key_arn: str
    log_retention_days: int
    admin_principal_arns: tuple[str, ...]
    operator_role_arn: str

    def __post_init__(self) -> None:
        if len(self.app_subnet_ids) < 2:
            raise ValueError(f"app_subnet_ids: EKS needs subnets in at least two AZs, got {len(self.app_subnet_ids)}")
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError("public_access_cidrs: required when endpoint_public_access is true (never 0.0.0.0/0 by default)")


class AppClusterConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AppClusterProps) -> None:
        super().__init__(scope, construct_id)
        provider = props.provider
        log_group = CloudwatchLogGroup(
            self,
            "log_group",
            provider=provider,
            name=f"/aws/eks/{props.name}/cluster",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        cluster_role = self._role("cluster_role", props, f"{props.name}-eks-cluster", "eks.amazonaws.com", CLUSTER_POLICIES)
        self.cluster = EksCluster(
            self,
            "cluster",
            provider=provider,
            name=props.name,
            version=props.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=EksClusterVpcConfig(
                subnet_ids=list(props.app_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=props.endpoint_public_access,
                public_access_cidrs=list(props.public_access_cidrs) if props.endpoint_public_access else None,
            ),
            encryption_config=EksClusterEncryptionConfig(
                provider=EksClusterEncryptionConfigProvider(key_arn=props.kms_key_arn), resources=["secrets"]
            ),
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,
            access_config=EksClusterAccessConfig(authentication_mode="API_AND_CONFIG_MAP", bootstrap_cluster_creator_admin_permissions=True),
            depends_on=[log_group],
            # A cluster created before access_config existed here reads back another bootstrap value, and a
            # change of it forces replacement (hashicorp/terraform-provider-aws issues on EKS access config):
            # it only matters at creation, so later differences are ignored, never "fixed" by a new cluster.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["access_config[0].bootstrap_cluster_creator_admin_permissions"]),
        )
        issuer = self.cluster.identity.get(0).oidc.get(0).issuer
        self.oidc_provider = IamOpenidConnectProvider(
            self, "oidc", provider=provider, url=issuer, client_id_list=["sts.amazonaws.com"], tags={"Name": f"{props.name}-irsa"}
        )
        self.node_role = self._role("node_role", props, f"{props.name}-eks-nodes", "ec2.amazonaws.com", NODE_POLICIES)
        EksNodeGroup(
            self,
            "nodes",
            provider=provider,
            cluster_name=self.cluster.name,
            node_group_name=f"{props.name}-transactions",
            node_role_arn=self.node_role.arn,
            subnet_ids=list(props.app_subnet_ids),
            instance_types=list(props.node_instance_types),
            capacity_type=props.capacity_type,
            scaling_config=EksNodeGroupScalingConfig(
                min_size=props.node_min_size, desired_size=props.node_desired_size, max_size=props.node_max_size
            ),
            update_config=EksNodeGroupUpdateConfig(max_unavailable=1),
        )
        cluster_security_group = self.cluster.vpc_config.cluster_security_group_id
        VpcSecurityGroupIngressRule(
            self,
            "nodes_to_database",
            provider=provider,
            security_group_id=props.database_security_group_id,
            description=f"PostgreSQL from the EKS nodes of {props.name}",
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            referenced_security_group_id=cluster_security_group,
        )
        access = [(f"admin_{index}", arn, CLUSTER_ADMIN_POLICY) for index, arn in enumerate(props.admin_principal_arns)]
        access.append(("dr_operations", props.operator_role_arn, EDIT_POLICY))
        for label, principal, policy in access:
            entry = EksAccessEntry(self, f"{label}_entry", provider=provider, cluster_name=self.cluster.name, principal_arn=principal)
            EksAccessPolicyAssociation(
                self,
                f"{label}_policy",
                provider=provider,
                cluster_name=self.cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=policy,
                access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"),
            )
        self.cluster_name: str = self.cluster.name
        self.endpoint: str = self.cluster.endpoint
        self.oidc_issuer: str = issuer
        self.node_role_arn: str = self.node_role.arn

    def _role(self, construct_id: str, props: AppClusterProps, name: str, service: str, policies: tuple[str, ...]) -> IamRole:
        trust = service_trust(self, f"{construct_id}_trust", props.provider, service)
        role = IamRole(self, construct_id, provider=props.provider, name=name, assume_role_policy=trust.json)
        for index, policy in enumerate(policies):
            IamRolePolicyAttachment(self, f"{construct_id}_policy_{index}", provider=props.provider, role=role.name, policy_arn=policy)
        return role
