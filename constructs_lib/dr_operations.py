"""DrOperationsConstruct: the DR operations role and the failover runbook Lambda per region.

The role's trust policy is a policy document resolved by Terraform (principals and the
``sts:ExternalId`` value from config), never a string with unresolved values inside. Its
permissions are exactly what the runbook (Lambda or ``drkit/runbook.py``) calls, each statement
scoped to ARNs; the emulator enforces them in the drill, so a call the role does not grant fails
there as it would on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

from constructs_lib.failover_automation import RunbookAutomation
from constructs_lib.iam import XRAY_WRITE_POLICY, as_grant, grant_statements, service_trust
from constructs_lib.lambda_function import function_log_group, hardened_function
from constructs_lib.lambda_package import LambdaPackage
from constructs_lib.naming import RESTORE_MARK, Names
from constructs_lib.point_of_failure import MANAGED_POLICIES_PER_ROLE, Grant, inline_and_managed, managed_policies, without_duplicates
from constructs_lib.props import DOC
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
    restored_snapshot_arns: str  # <cluster>-restore-* : the only cluster snapshots the role's DeleteDBCluster names
    instance_arns: str  # <cluster>-* : the member's own instances and the restored ones
    kms_key_arn: str


def restore_scope(names: Names, account_id: str, region: str, kms_key_arn: str) -> RestoreScope:
    """What a restore beside the global database touches in ``region``: names after the region's member cluster."""
    return RestoreScope(
        region=region,
        source_cluster_arn=names.cluster_arn(account_id, region),
        subnet_group_arn=names.rds_arn(account_id, region, "subgrp"),
        parameter_group_arn=names.rds_arn(account_id, region, "cluster-pg"),
        restored_cluster_arns=names.rds_arn(account_id, region, "cluster", f"{RESTORE_MARK}*"),
        restored_instance_arns=names.rds_arn(account_id, region, "db", f"{RESTORE_MARK}*"),
        restored_snapshot_arns=names.rds_arn(account_id, region, "cluster-snapshot", f"{RESTORE_MARK}*"),
        instance_arns=names.rds_arn(account_id, region, "db", "-*"),
        kms_key_arn=kms_key_arn,
    )


def default_groups(account_id: str, scopes: tuple[RestoreScope, ...], kind: str) -> list[str]:
    """The engine's default parameter groups (``pg``: ``default.aurora-postgresql<major>``) or option groups
    (``og``: ``default:aurora-postgresql-<major>``) of each region."""
    group = {"pg": "pg:default.aurora-postgresql*", "og": "og:default:aurora-postgresql-*"}[kind]
    return [f"arn:aws:rds:{scope.region}:{account_id}:{group}" for scope in scopes]


def restore_statements(scopes: tuple[RestoreScope, ...], account_id: str) -> list[DataAwsIamPolicyDocumentStatement]:
    """Point-in-time restore beside the global database, and its discarding (``drkit/restore.py``):
    restored clusters and instances are named ``<cluster>-restore-*``, so the role can create and
    delete those, and never a cluster of the stack."""
    restored = [s.restored_cluster_arns for s in scopes]
    restored_instances = [s.restored_instance_arns for s in scopes]
    return [
        # Service Authorization Reference, Amazon RDS, RestoreDBClusterToPointInTime: required resource
        # types cluster*, cluster-pg*, og*, subgrp* ("If you limit resource access with the Resource
        # element ... you must include an ARN or pattern for each required resource type"). The
        # restore names the source's subnet and cluster parameter groups; its option group is the
        # engine's default (an Aurora cluster's, which a restore does not name: default:aurora-postgresql-<major>).
        DataAwsIamPolicyDocumentStatement(
            sid="RestoreBesideTheDatabase",
            actions=["rds:RestoreDBClusterToPointInTime"],
            resources=[
                *(s.source_cluster_arn for s in scopes),
                *restored,
                *(s.subnet_group_arn for s in scopes),
                *(s.parameter_group_arn for s in scopes),
                *default_groups(account_id, scopes, "og"),
            ],
        ),
        # CreateDBInstance is also authorized against the parameter and option groups the new
        # instance gets: the engine's defaults here (Service Authorization Reference, Amazon RDS:
        # CreateDBInstance resource types db*, cluster, og, pg, secgrp, subgrp).
        DataAwsIamPolicyDocumentStatement(
            sid="RestoredInstances",
            actions=["rds:CreateDBInstance"],
            resources=[*restored_instances, *restored, *default_groups(account_id, scopes, "pg"), *default_groups(account_id, scopes, "og")],
        ),
        DataAwsIamPolicyDocumentStatement(sid="TagRestores", actions=["rds:AddTagsToResource"], resources=[*restored, *restored_instances]),
        DataAwsIamPolicyDocumentStatement(sid="ReadRestores", actions=["rds:DescribeDBClusters"], resources=restored),
        DataAwsIamPolicyDocumentStatement(sid="ReadInstances", actions=["rds:DescribeDBInstances"], resources=[s.instance_arns for s in scopes]),
        DataAwsIamPolicyDocumentStatement(sid="DiscardRestoredInstances", actions=["rds:DeleteDBInstance"], resources=restored_instances),
        # Service Authorization Reference, Amazon RDS, DeleteDBCluster: required resource types cluster*
        # and cluster-snapshot* (the final snapshot; AWS documents no exemption when it is skipped). The
        # discard skips it, and names only snapshots of restores: a pattern no final snapshot of a
        # cluster of the stack can match.
        DataAwsIamPolicyDocumentStatement(
            sid="DiscardRestores", actions=["rds:DeleteDBCluster"], resources=[*restored, *(s.restored_snapshot_arns for s in scopes)]
        ),
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


def restore_grants(scopes: tuple[RestoreScope, ...], account_id: str) -> tuple[Grant, ...]:
    """The restore's statements as plain data: the DR role's data-recovery set starts with them, and the reconciliation
    (``constructs_lib.point_of_failure.reconcile_grants``) restores, tags, waits for and discards with them too."""
    return tuple(as_grant(statement) for statement in restore_statements(scopes, account_id))


@dataclass(frozen=True, kw_only=True)
class DrOperationsProps:
    iam_provider: AwsProvider
    role_name: str
    runbook_function_name: str
    environment: str
    account_id: str
    trusted_principals: tuple[str, ...]  # empty: the account root (refused in production by the configuration)
    external_id: str
    require_mfa: bool = False
    principal_tags: tuple[tuple[str, str], ...] = ()  # (key, value) the assuming principal must carry
    # ARN patterns of the principals (ArnLike on aws:PrincipalArn, with their account as principal): roles re-created
    # with generated names, such as IAM Identity Center's permission-set roles
    trusted_principal_patterns: tuple[str, ...] = ()
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
    role_description: str = field(default="Switchover/failover of the global database and its DNS", metadata={DOC: "the DR role's description"})
    function_description: str = field(
        default="DR runbook: switchover / failover of the global database (invoked by the DR role)",
        metadata={DOC: "the runbook functions' description"},
    )
    region_switch_plan_arns: tuple[str, ...] = ()  # ARC Region switch plans the operators start, follow, approve, cancel
    automation: RunbookAutomation | None = None  # the alarm-invoked path (constructs_lib/failover_automation.py)
    # After a failover that allowed data loss (constructs_lib.point_of_failure): the runbook records it (both roles);
    # the DR role preserves, restores and reconciles the point-of-failure snapshot.
    lossy_failover_parameter: str | None = None
    record_grants: tuple[Grant, ...] = ()
    reconcile_grants: tuple[Grant, ...] = ()  # with the restore's, in managed policies: the role's inline policies hold 10,240 characters
    plan_step_grants: tuple[Grant, ...] = ()  # the runbook functions' ARC post-recovery step: keep the point-of-failure snapshot

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

        trust = DataAwsIamPolicyDocument(self, "operator_trust", provider=props.iam_provider, statement=self._trust_statements())
        self.role = IamRole(
            self,
            "operator_role",
            provider=props.iam_provider,
            name=props.role_name,
            description=props.role_description,
            assume_role_policy=trust.json,
            max_session_duration=3600,
        )
        recovery = self._recovery_policies()
        self._attach("operator", self.role, props.role_name, self._statements(operator=True, invoke_arns=tuple(function_arns)), recovery)

        lambda_trust = service_trust(self, "runbook_trust", props.iam_provider, "lambda.amazonaws.com")
        runbook_role = IamRole(self, "runbook_role", provider=props.iam_provider, name=function_name, assume_role_policy=lambda_trust.json)
        IamRolePolicyAttachment(self, "runbook_tracing", provider=props.iam_provider, role=runbook_role.name, policy_arn=XRAY_WRITE_POLICY)
        self._attach("runbook", runbook_role, function_name, self._statements(operator=False), 1)

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
                description=props.function_description,
                role_arn=runbook_role.arn,
                handler=props.package.handler(HANDLER),
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
                    **(props.automation.variables() if props.automation else {}),
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

    def _trust_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        """Who may assume the role: the named principals (or, with neither names nor patterns, the account root), and the
        principals whose ARN matches a pattern.

        A pattern cannot be a Principal ("You cannot use a wildcard to match part of a principal name or ARN"), and a
        role ARN in a trust policy "transforms to the role unique principal ID when you save the policy", so a re-created
        role is no longer trusted. The IAM User Guide's way around both ("AWS JSON policy elements: Principal"): trust the
        account and use "the aws:PrincipalArn condition key ... Because AWS does not convert condition key ARNs to IDs,
        permissions granted to the role ARN persist if you delete the role and then create a new role with the same
        name". For a role session the key is the role's ARN, path included (IAM User Guide, global condition keys). So
        the account is trusted only in a statement of its own that also requires ``ArnLike aws:PrincipalArn``."""
        props = self._props

        def statement(sid: str, principals: list[str], extra: list[DataAwsIamPolicyDocumentStatementCondition]) -> DataAwsIamPolicyDocumentStatement:
            return DataAwsIamPolicyDocumentStatement(
                sid=sid,
                actions=["sts:AssumeRole"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=principals)],
                condition=self._trust_conditions() + extra,
            )

        statements = []
        if props.trusted_principals or not props.trusted_principal_patterns:
            statements.append(statement("OperatorsWithExternalId", list(props.trusted_principals) or [f"arn:aws:iam::{props.account_id}:root"], []))
        if props.trusted_principal_patterns:
            accounts = sorted({pattern.split(":")[4] for pattern in props.trusted_principal_patterns})
            patterns = list(props.trusted_principal_patterns)
            by_arn = DataAwsIamPolicyDocumentStatementCondition(test="ArnLike", variable="aws:PrincipalArn", values=patterns)
            statements.append(statement("OperatorsByPrincipalArn", [f"arn:aws:iam::{account}:root" for account in accounts], [by_arn]))
        return statements

    def _trust_conditions(self) -> list[DataAwsIamPolicyDocumentStatementCondition]:
        """The trust statement's conditions. Who may assume the role is the Principal (the named principals); these only
        narrow which of their requests qualify, and none of them authenticates anyone:

        * ``sts:ExternalId``: a confused-deputy control ("AWS does not treat the external ID as a secret", IAM User Guide).
        * ``aws:MultiFactorAuthPresent`` (``require_mfa``): "check whether multi-factor authentication (MFA) was used to
          validate the temporary security credentials that made the request" (IAM User Guide, global condition keys). It
          sees an IAM user who called AssumeRole (or GetSessionToken) with an MFA code. It cannot see MFA behind a
          chained role session ("the temporary credentials returned by AssumeRole don't include the MFA information")
          nor behind an IAM Identity Center or other SAML/OIDC session ("For AssumeRoleWithWebIdentity and
          AssumeRoleWithSAML, the user is authenticated by an external provider and AWS cannot determine whether that
          provider required MFA"; both IAM User Guide, "Configuring MFA-protected API access"). With a role principal it
          can therefore refuse every operator: verify it with the real principals before an incident does.
        * ``aws:PrincipalTag/<key>`` (``principal_tags``): for a role session, the role's tags and its session tags
          ("included for a principal using an IAM role with attached tags or session tags", IAM User Guide, global
          condition keys), and "New session tags override existing assumed role or federated user tags with the same
          tag key" (IAM User Guide, "Passing session tags in AWS STS"). Whoever created the caller's session chose its
          session tags if the trust policy they used allows ``sts:TagSession``: a principal tag is as trustworthy as
          that upstream trust. It is worth something with tags an identity provider asserts, or with broad principals;
          with one named role whose own tag it requires, it adds nothing."""
        props = self._props
        conditions = [DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="sts:ExternalId", values=[props.external_id])]
        if props.require_mfa:
            conditions.append(DataAwsIamPolicyDocumentStatementCondition(test="Bool", variable="aws:MultiFactorAuthPresent", values=["true"]))
        conditions += [
            DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable=f"aws:PrincipalTag/{key}", values=[value])
            for key, value in props.principal_tags
        ]
        return conditions

    def _region_switch_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        """What ``drkit runbook arc-*`` calls, from the region being activated (the plans' data plane),
        and what the approval step asks of its approver (this role). Service Authorization Reference, ARC
        Region switch: ListPlansInRegion has no resource type; the others act on the plan
        (``arn:aws:arc-region-switch::<account>:plan/<name>:<suffix>``); ApprovePlanExecutionStep is the manual
        approval block's permission (ARC developer guide, security_iam_region_switch_manual_approval)."""
        from constructs_lib.region_switch_spec import OPERATOR_FIND_ACTIONS, OPERATOR_PLAN_ACTIONS

        plans = list(self._props.region_switch_plan_arns)
        if not plans:
            return []
        return [
            DataAwsIamPolicyDocumentStatement(sid="FindRegionSwitchPlans", actions=list(OPERATOR_FIND_ACTIONS), resources=["*"]),
            DataAwsIamPolicyDocumentStatement(sid="RunRegionSwitchPlans", actions=list(OPERATOR_PLAN_ACTIONS), resources=plans),
        ]

    def _recovery_policies(self) -> int:
        """The DR role's data recovery, one set: the point-in-time restore and its discarding (:func:`restore_statements`)
        and ``drkit runbook reconcile`` (``constructs_lib.point_of_failure.reconcile_grants``: preserve, restore the
        preserved copy, read the credentials and the records), a grant both give kept once. In customer managed policies
        of at most 6,144 characters attached to the role, so the role's inline policy keeps IAM's 10,240 characters for
        the runbook's own statements, which grow with the regions. The number attached."""
        props = self._props
        grants = without_duplicates(restore_grants(props.restore, props.account_id), props.reconcile_grants)
        policies = managed_policies(grants)
        for index, part in enumerate(policies):
            what = "Data recovery beside the global database: point-in-time restore, reconciliation after a lossy failover"
            self._managed("recovery", index, f"{props.role_name}-recovery-{index + 1}", self.role.name, part, what)
        return len(policies)

    def _attach(self, kind: str, role: IamRole, role_name: str, statements: list[DataAwsIamPolicyDocumentStatement], attached: int) -> None:
        """``statements`` as the role's inline policy while they fit IAM's 10,240 characters for a role's inline policies;
        past that, the statements that do not fit go to customer managed policies ``<role>-more-<n>`` (6,144 each). A role
        takes 10 managed policies (the default quota): more is refused here, at synth, not by IAM at apply."""
        props = self._props
        cut, overflow = inline_and_managed(tuple(as_grant(s) for s in statements))
        document = DataAwsIamPolicyDocument(self, f"{kind}_permissions", provider=props.iam_provider, statement=statements[:cut])
        IamRolePolicy(self, f"{kind}_policy", provider=props.iam_provider, role=role.id, policy=document.json)
        for index, part in enumerate(overflow):
            self._managed(
                f"{kind}_more", index, f"{role_name}-more-{index + 1}", role.name, part, "The DR runbook's statements past a role's inline quota"
            )
        if attached + len(overflow) > MANAGED_POLICIES_PER_ROLE:
            raise ValueError(
                f"{role_name}: {attached + len(overflow)} managed policies, above IAM's {MANAGED_POLICIES_PER_ROLE} per role (IAM and AWS STS quotas)"
            )

    def _managed(self, kind: str, index: int, name: str, role_name: str, grants: tuple[Grant, ...], description: str) -> None:
        props = self._props
        document = DataAwsIamPolicyDocument(self, f"{kind}_permissions_{index}", provider=props.iam_provider, statement=grant_statements(grants))
        policy = IamPolicy(self, f"{kind}_policy_{index}", provider=props.iam_provider, name=name, description=description, policy=document.json)
        IamRolePolicyAttachment(self, f"{kind}_attachment_{index}", provider=props.iam_provider, role=role_name, policy_arn=policy.arn)

    def _statements(self, *, operator: bool, invoke_arns: tuple[str, ...] = ()) -> list[DataAwsIamPolicyDocumentStatement]:
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
        if props.automation is not None:
            statements.extend(props.automation.operator_statements() if operator else props.automation.runbook_statements())
        if operator:
            statements.append(
                # The CLI finds the zone by its configured name; ListHostedZonesByName has no
                # resource-level permissions (Service Authorization Reference, Route 53).
                DataAwsIamPolicyDocumentStatement(sid="FindZone", actions=["route53:ListHostedZonesByName"], resources=["*"])
            )
            statements.append(DataAwsIamPolicyDocumentStatement(sid="InvokeRunbook", actions=["lambda:InvokeFunction"], resources=list(invoke_arns)))
            if props.eks_cluster_arns:
                statements.append(
                    DataAwsIamPolicyDocumentStatement(sid="ReachAppClusters", actions=["eks:DescribeCluster"], resources=list(props.eks_cluster_arns))
                )
            statements.extend(self._region_switch_statements())
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
        if not operator:
            statements.extend(grant_statements(props.plan_step_grants))
        return statements
