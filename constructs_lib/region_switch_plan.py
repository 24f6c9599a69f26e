"""RegionSwitchPlanConstruct: an ARC Region switch plan for one pair of regions, and its execution role.

The plan is an ``AWS::ARCRegionSwitch::Plan`` managed through Cloud Control (``aws_cloudcontrolapi_resource``):
the pinned provider (hashicorp/aws 5.100) has no ``aws_arcregionswitch_plan`` (added in 6.29.0), and the
type is a CloudFormation registry resource (its schema ships in ``data/AWS_ARCRegionSwitch_Plan.json``,
with its source and date beside it). Cloud Control takes the desired state with the schema's PascalCase
names; the resource gets the schema itself, so a plan never calls ``DescribeType`` and the provider
validates the desired state against it at plan time (hashicorp/terraform-provider-aws,
internal/service/cloudcontrol/resource.go: ``schema`` given, no ``FindTypeByName``). Before that, synth
refuses a key the schema does not know (``region_switch_spec.check_document``), so a typo fails here and
not at apply. What the plan contains is ``region_switch_spec``'s.
"""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.cloudcontrolapi_resource import CloudcontrolapiResource
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import EksAccessPolicyAssociation, EksAccessPolicyAssociationAccessScope
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from constructs_lib.iam import service_trust
from constructs_lib.region_switch_spec import (
    EKS_SCALING_ACCESS_POLICY,
    SERVICE_PRINCIPAL,
    TYPE_NAME,
    RegionSwitchPlanProps,
    check_document,
    execution_permissions,
    plan_document,
    schema_text,
)


class RegionSwitchPlanConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: RegionSwitchPlanProps) -> None:
        super().__init__(scope, construct_id)
        trust = service_trust(self, "execution_trust", props.iam_provider, SERVICE_PRINCIPAL)
        self.role = IamRole(
            self,
            "execution_role",
            provider=props.iam_provider,
            name=props.role_name,
            description=f"ARC Region switch runs plan {props.name} with this role",
            assume_role_policy=trust.json,
        )
        permissions = execution_permissions(props, self.role.arn)
        document = DataAwsIamPolicyDocument(
            self,
            "execution_permissions",
            provider=props.iam_provider,
            statement=[DataAwsIamPolicyDocumentStatement(sid=p.sid, actions=list(p.actions), resources=list(p.resources)) for p in permissions],
        )
        policy = IamRolePolicy(self, "execution_policy", provider=props.iam_provider, role=self.role.id, policy=document.json)
        depends: list[Any] = [policy]
        if props.eks_workloads:
            depends += self._eks_access(props)
        desired = plan_document(props, self.role.arn)
        check_document(desired)
        self.plan = CloudcontrolapiResource(
            self,
            "plan",
            provider=props.provider,
            type_name=TYPE_NAME,
            desired_state=json.dumps(desired),
            schema=schema_text(),
            depends_on=depends,  # ARC evaluates the role's permissions as soon as the plan exists
        )
        self.name: str = props.name
        self.plan_arn: str = self.plan.id
        self.execution_role_arn: str = self.role.arn

    def _eks_access(self, props: RegionSwitchPlanProps) -> list[Any]:
        """The execution role's EKS access entry with AmazonARCRegionSwitchScalingPolicy, in both clusters
        ("the plan execution role needs to be added to the Amazon EKS cluster's access entries", security_iam_region_switch_eks)."""
        created: list[Any] = []
        for region in props.regions:
            label = region.region.replace("-", "_")
            entry = EksAccessEntry(
                self, f"{label}_eks_access", provider=region.provider, cluster_name=str(region.eks_cluster_name), principal_arn=self.role.arn
            )
            created.append(
                EksAccessPolicyAssociation(
                    self,
                    f"{label}_eks_scaling",
                    provider=region.provider,
                    cluster_name=entry.cluster_name,
                    principal_arn=entry.principal_arn,
                    policy_arn=EKS_SCALING_ACCESS_POLICY,
                    access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"),
                )
            )
        return created
