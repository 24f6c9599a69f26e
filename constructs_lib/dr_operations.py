"""DrOperationsConstruct: the DR operations role and the failover runbook Lambda per region.

The role's trust policy is a policy document resolved by Terraform (principals and the
``sts:ExternalId`` value from config), never a string with unresolved values inside. Its
permissions are exactly what the runbook (Lambda or ``tools/runbook.py``) calls, each statement
scoped to ARNs; the emulator enforces them in the drill, so a call the role does not grant fails
there as it would on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import LambdaFunctionEventInvokeConfig
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from constructs_lib.iam import XRAY_WRITE_POLICY, grant_statements, service_trust
from constructs_lib.lambda_function import function_log_group, hardened_function
from constructs_lib.lambda_package import LambdaPackage
from constructs_lib.point_of_failure import Grant, managed_policies
from constructs_lib.regions import powertools_layer_arn
from functions.failover import contract

HANDLER = "failover.handler.lambda_handler"
RUNBOOK_TIMEOUT_SECONDS = 900  # waits for the switchover/failover to finish and verifies it


@dataclass(frozen=True, kw_only=True)
class RunbookRegion:
    provider: AwsProvider
    region: str
    kms_key_arn: str
    alert_topic_arn: str


@dataclass(frozen=True, kw_only=True)
class RestoreScope:
    """The RDS resources of one region a restore reads or creates (ARNs; ``*`` only after a name prefix)."""

    region: str
    source_cluster_arn: str
    subnet_group_arn: str
    parameter_group_arn: str
    restored_cluster_arns: str  # <cluster>-restore-*
    restored_instance_arns: str
    instance_arns: str  # <cluster>-* : the member's own instances and the restored ones
    kms_key_arn: str


@dataclass(frozen=True, kw_only=True)
class DrOperationsProps:
    iam_provider: AwsProvider
    role_name: str
    runbook_function_name: str
    environment: str
    account_id: str
    trusted_principals: tuple[str, ...]  # empty: the account root
    external_id: str
    global_cluster_id: str
    global_cluster_arn: str
    cluster_arns: tuple[str, ...]
    zone_id: str
    record_names: tuple[str, ...]
    health_check_ids: tuple[str, ...]
    eks_cluster_arns: tuple[str, ...]
    restore: tuple[RestoreScope, ...]  # per region: what a point-in-time restore beside the database touches
    switchover_max_lag_seconds: float
    reserved_concurrency: int
    log_retention_days: int
    package: LambdaPackage
    regions: tuple[RunbookRegion, ...]
    # After a failover that allowed data loss (constructs_lib.point_of_failure): the runbook records it (both roles);
    # the DR role preserves, restores and reconciles the point-of-failure snapshot.
    lossy_failover_parameter: str | None = None
    record_grants: tuple[Grant, ...] = ()
    reconcile_grants: tuple[Grant, ...] = ()  # in managed policies of their own: the role's inline policies hold 10,240 characters
    reconcile_policy_prefix: str = ""

    def __post_init__(self) -> None:
        if not self.external_id:
            raise ValueError("external_id: required")
        if not self.regions:
            raise ValueError("regions: the runbook needs at least one region")


class DrOperationsConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DrOperationsProps) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        function_name = props.runbook_function_name
        function_arns = [f"arn:aws:lambda:{r.region}:{props.account_id}:function:{function_name}" for r in props.regions]
        runbook_permissions = self._permissions("runbook_permissions", operator=False)
        operator_permissions = self._permissions("operator_permissions", operator=True, invoke_arns=tuple(function_arns))

        trust = DataAwsIamPolicyDocument(
            self,
            "operator_trust",
            provider=props.iam_provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="OperatorsWithExternalId",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="AWS", identifiers=list(props.trusted_principals) or [f"arn:aws:iam::{props.account_id}:root"]
                        )
                    ],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="sts:ExternalId", values=[props.external_id])
                    ],
                )
            ],
        )
        self.role = IamRole(
            self,
            "operator_role",
            provider=props.iam_provider,
            name=props.role_name,
            description="Switchover/failover of the drkit global database and its DNS",
            assume_role_policy=trust.json,
            max_session_duration=3600,
        )
        IamRolePolicy(self, "operator_policy", provider=props.iam_provider, role=self.role.id, policy=operator_permissions.json)
        self._reconcile_policies(props)

        lambda_trust = service_trust(self, "runbook_trust", props.iam_provider, "lambda.amazonaws.com")
        runbook_role = IamRole(self, "runbook_role", provider=props.iam_provider, name=function_name, assume_role_policy=lambda_trust.json)
        IamRolePolicy(self, "runbook_policy", provider=props.iam_provider, role=runbook_role.id, policy=runbook_permissions.json)
        IamRolePolicyAttachment(self, "runbook_tracing", provider=props.iam_provider, role=runbook_role.name, policy_arn=XRAY_WRITE_POLICY)

        env = contract.Env
        self.functions: list[LambdaFunction] = []
        for region in props.regions:
            label = region.region.replace("-", "_")
            log_group = function_log_group(
                self,
                f"{label}_log_group",
                provider=region.provider,
                function_name=function_name,
                retention_days=props.log_retention_days,
                kms_key_arn=region.kms_key_arn,
            )
            function = hardened_function(
                self,
                f"{label}_",
                provider=region.provider,
                function_name=function_name,
                description="drkit DR runbook: switchover / failover of the global database (invoked by the DR role)",
                role_arn=runbook_role.arn,
                handler=HANDLER,
                package=props.package,
                timeout=RUNBOOK_TIMEOUT_SECONDS,
                memory_size=256,
                reserved_concurrency=props.reserved_concurrency,
                kms_key_arn=region.kms_key_arn,
                dead_letter_topic_arn=region.alert_topic_arn,
                log_group=log_group,
                layers=[powertools_layer_arn(region.region)],
                variables={
                    env.ENVIRONMENT: props.environment,
                    env.GLOBAL_CLUSTER_ID: props.global_cluster_id,
                    env.ALERT_TOPIC_ARN: region.alert_topic_arn,
                    env.ZONE_ID: props.zone_id,
                    env.RECORD_NAMES: ",".join(props.record_names),
                    env.SWITCHOVER_MAX_LAG_SECONDS: f"{props.switchover_max_lag_seconds:g}",
                    env.POWERTOOLS_SERVICE_NAME: contract.SERVICE,
                    **({env.LOSSY_FAILOVER_PARAMETER: props.lossy_failover_parameter} if props.lossy_failover_parameter else {}),
                },
            )
            # A throttled asynchronous request is retried by Lambda for up to 6 hours by default
            # (Lambda developer guide, invocation-async-configuring): a stale "failover --to A" could
            # then run after the operator moved the writer to B. Never retry, and discard after
            # MAX_REQUEST_AGE_SECONDS (the handler also refuses older requests by their requested_at).
            LambdaFunctionEventInvokeConfig(
                self,
                f"{label}_async",
                provider=region.provider,
                function_name=function.function_name,
                maximum_retry_attempts=0,
                maximum_event_age_in_seconds=contract.MAX_REQUEST_AGE_SECONDS,
            )
            self.functions.append(function)
        self.role_arn: str = self.role.arn
        self.function_arns: list[str] = function_arns

    def _restore_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        """Point-in-time restore beside the global database, and its discarding (``tools/restore.py``):
        restored clusters and instances are named ``<cluster>-restore-*``, so the role can create and
        delete those, and never a cluster of the stack."""
        scopes = self._props.restore
        restored = [s.restored_cluster_arns for s in scopes]
        restored_instances = [s.restored_instance_arns for s in scopes]
        return [
            DataAwsIamPolicyDocumentStatement(
                sid="RestoreBesideTheDatabase",  # IAM checks the source, the new cluster, its subnet and parameter groups
                actions=["rds:RestoreDBClusterToPointInTime"],
                resources=[
                    *(s.source_cluster_arn for s in scopes),
                    *restored,
                    *(s.subnet_group_arn for s in scopes),
                    *(s.parameter_group_arn for s in scopes),
                ],
            ),
            # CreateDBInstance is also authorized against the parameter and option groups the new
            # instance gets: the engine's defaults here (Service Authorization Reference, Amazon RDS:
            # CreateDBInstance resource types db, cluster, og, pg, secgrp, subgrp).
            DataAwsIamPolicyDocumentStatement(
                sid="RestoredInstances",
                actions=["rds:CreateDBInstance"],
                resources=[*restored_instances, *restored, *self._default_groups()],
            ),
            DataAwsIamPolicyDocumentStatement(sid="TagRestores", actions=["rds:AddTagsToResource"], resources=[*restored, *restored_instances]),
            DataAwsIamPolicyDocumentStatement(sid="ReadRestores", actions=["rds:DescribeDBClusters"], resources=restored),
            DataAwsIamPolicyDocumentStatement(sid="ReadInstances", actions=["rds:DescribeDBInstances"], resources=[s.instance_arns for s in scopes]),
            DataAwsIamPolicyDocumentStatement(sid="DiscardRestoredInstances", actions=["rds:DeleteDBInstance"], resources=restored_instances),
            DataAwsIamPolicyDocumentStatement(sid="DiscardRestores", actions=["rds:DeleteDBCluster"], resources=restored),
            # An encrypted restore: RDS uses a grant the caller creates on the key (RDS user guide, encryption),
            # and only RDS may create it: kms:GrantIsForAWSResource is true only when an integrated AWS
            # service sends CreateGrant on the caller's behalf (AWS KMS developer guide, "Controlling access to grants").
            DataAwsIamPolicyDocumentStatement(
                sid="RestoreEncrypted",
                actions=["kms:CreateGrant"],
                resources=[s.kms_key_arn for s in scopes],
                condition=[DataAwsIamPolicyDocumentStatementCondition(test="Bool", variable="kms:GrantIsForAWSResource", values=["true"])],
            ),
            DataAwsIamPolicyDocumentStatement(sid="RestoreKeys", actions=["kms:DescribeKey"], resources=[s.kms_key_arn for s in scopes]),
        ]

    def _reconcile_policies(self, props: DrOperationsProps) -> None:
        """``python -m tools.runbook reconcile`` (``constructs_lib.point_of_failure.reconcile_grants``) in customer managed
        policies attached to the role: its inline policies share one 10,240-character quota (IAM and AWS STS quotas,
        "Role policy size"), which the runbook's own statements already use much of with three regions."""
        for index, grants in enumerate(managed_policies(props.reconcile_grants)):
            document = DataAwsIamPolicyDocument(
                self, f"reconcile_permissions_{index}", provider=props.iam_provider, statement=grant_statements(grants)
            )
            policy = IamPolicy(
                self,
                f"reconcile_policy_{index}",
                provider=props.iam_provider,
                name=f"{props.reconcile_policy_prefix}{index + 1}",
                description="After a lossy failover: preserve, restore and reconcile the point-of-failure snapshot (drkit)",
                policy=document.json,
            )
            IamRolePolicyAttachment(self, f"reconcile_attachment_{index}", provider=props.iam_provider, role=self.role.name, policy_arn=policy.arn)

    def _default_groups(self) -> list[str]:
        account = self._props.account_id
        regions = [scope.region for scope in self._props.restore]
        groups = ("pg:default.aurora-postgresql*", "og:default:aurora-postgresql*")
        return [f"arn:aws:rds:{region}:{account}:{group}" for region in regions for group in groups]

    def _permissions(self, construct_id: str, *, operator: bool, invoke_arns: tuple[str, ...] = ()) -> DataAwsIamPolicyDocument:
        props = self._props
        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="MoveTheWriter",  # IAM checks the global cluster and the target cluster
                actions=["rds:SwitchoverGlobalCluster", "rds:FailoverGlobalCluster"],
                resources=[props.global_cluster_arn, *props.cluster_arns],
            ),
            DataAwsIamPolicyDocumentStatement(sid="ReadTopology", actions=["rds:DescribeGlobalClusters"], resources=[props.global_cluster_arn]),
            DataAwsIamPolicyDocumentStatement(sid="ReadMembers", actions=["rds:DescribeDBClusters"], resources=list(props.cluster_arns)),
            DataAwsIamPolicyDocumentStatement(sid="ReadLag", actions=["cloudwatch:GetMetricData"], resources=["*"]),  # no resource-level permissions
            DataAwsIamPolicyDocumentStatement(
                sid="FailoverRecords", actions=["route53:ListResourceRecordSets"], resources=[f"arn:aws:route53:::hostedzone/{props.zone_id}"]
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="HealthStatus",
                actions=["route53:GetHealthCheckStatus"],
                resources=[f"arn:aws:route53:::healthcheck/{check}" for check in props.health_check_ids],
            ),
            DataAwsIamPolicyDocumentStatement(sid="AuditTrail", actions=["sns:Publish"], resources=[r.alert_topic_arn for r in props.regions]),
            DataAwsIamPolicyDocumentStatement(
                sid="EncryptedTopics", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[r.kms_key_arn for r in props.regions]
            ),
        ]
        if operator:
            statements.append(
                # The CLI finds the zone by its configured name; ListHostedZonesByName has no
                # resource-level permissions (Service Authorization Reference, Route 53).
                DataAwsIamPolicyDocumentStatement(sid="FindZone", actions=["route53:ListHostedZonesByName"], resources=["*"])
            )
            statements.append(DataAwsIamPolicyDocumentStatement(sid="InvokeRunbook", actions=["lambda:InvokeFunction"], resources=list(invoke_arns)))
            statements.extend(self._restore_statements())
            if props.eks_cluster_arns:
                statements.append(
                    DataAwsIamPolicyDocumentStatement(sid="ReachAppClusters", actions=["eks:DescribeCluster"], resources=list(props.eks_cluster_arns))
                )
        else:
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="Logs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[
                        f"arn:aws:logs:{r.region}:{props.account_id}:log-group:/aws/lambda/{props.runbook_function_name}:*" for r in props.regions
                    ],
                )
            )
        statements.extend(grant_statements(props.record_grants))
        return DataAwsIamPolicyDocument(self, construct_id, provider=props.iam_provider, statement=statements)
