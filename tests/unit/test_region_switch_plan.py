"""What an ARC Region switch plan contains, checked against both published models of the type.

The desired state must satisfy the CloudFormation schema drkit ships (what Cloud Control and the provider's
plan-time check apply) and, in the API's names, botocore's ``arc-region-switch`` CreatePlan input (required
members, enums, patterns, limits): a typo fails here, not at apply.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from constructs_lib.config import ConfigError
from constructs_lib.naming import REGION_SWITCH_PLAN_NAME_MAX, Names
from constructs_lib.region_switch_spec import (
    SCHEMA_PATH,
    BlockType,
    EksWorkload,
    PlanRegion,
    RegionSwitchPlanProps,
    TriggerAlarm,
    activation_steps,
    check_document,
    execution_permissions,
    plan_document,
)
from drkit_lab.emulator.arc_model import ModelMismatch, api_problems, schema_problems, shape, to_api
from functions.failover import arc as runbook_steps
from tests.helpers import cdktf_environments, minimal_environment, parse_one

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/drkit-dev-use1-usw2-region-switch"
DR_ROLE = f"arn:aws:iam::{ACCOUNT}:role/drkit-dev-dr-operations"


def region(name: str, *, eks: bool = False) -> PlanRegion:
    names = Names("dev")
    return PlanRegion(
        region=name,
        cluster_arn=names.cluster_arn(ACCOUNT, name),
        runbook_function_arn=names.runbook_function_arn(ACCOUNT, name),
        eks_cluster_arn=f"arn:aws:eks:{name}:{ACCOUNT}:cluster/{names.regional(name)}" if eks else None,
        eks_cluster_name=names.regional(name) if eks else None,
        provider=object() if eks else None,  # type: ignore[arg-type]
    )


def props(**overrides: Any) -> RegionSwitchPlanProps:
    names = Names("dev")
    base = RegionSwitchPlanProps(
        provider=object(),  # type: ignore[arg-type]
        iam_provider=object(),  # type: ignore[arg-type]
        name=names.region_switch_plan("us-east-1", "us-west-2"),
        role_name=names.region_switch_role("us-east-1", "us-west-2"),
        description="drkit dev: move the writer",
        account_id=ACCOUNT,
        global_cluster_id=names.global_cluster_id,
        global_cluster_arn=names.global_cluster_arn(ACCOUNT),
        primary=region("us-east-1"),
        secondary=region("us-west-2"),
        rto_target_seconds=300,
        tags={"Environment": "dev", "Project": "drkit"},
    )
    return replace(base, **overrides)


def valid_everywhere(document: dict[str, Any]) -> None:
    assert schema_problems(document) == []
    assert api_problems(to_api(document, shape("CreatePlanRequest")), shape("CreatePlanRequest")) == []
    check_document(document)


def test_a_plan_activates_either_region_of_its_pair_with_the_runbooks_preflight_then_the_database() -> None:
    document = plan_document(props(), ROLE)
    valid_everywhere(document)
    assert document["Regions"] == ["us-east-1", "us-west-2"] and document["PrimaryRegion"] == "us-east-1"
    assert document["RecoveryApproach"] == "activePassive" and document["ExecutionRole"] == ROLE
    assert document["RecoveryTimeObjectiveMinutes"] == 5
    assert [(w["WorkflowTargetAction"], w["WorkflowTargetRegion"]) for w in document["Workflows"]] == [
        ("activate", "us-west-2"),
        ("activate", "us-east-1"),
        ("postRecovery", "us-west-2"),
        ("postRecovery", "us-east-1"),
    ]
    for workflow in document["Workflows"][2:]:  # once the region it replaced is back: keep the point-of-failure snapshot there
        (step,) = workflow["Steps"]
        config = step["ExecutionBlockConfiguration"]["CustomActionLambdaConfig"]
        assert (step["Name"], step["ExecutionBlockType"]) == ("preserve-point-of-failure-snapshot", "CustomActionLambda")
        assert config["RegionToRun"] == "inactiveRegion" and len(config["Lambdas"]) == 2
    for workflow in document["Workflows"][:2]:
        assert [s["Name"] for s in workflow["Steps"]] == ["lag-preflight", "database"]
        preflight, database = (s["ExecutionBlockConfiguration"] for s in workflow["Steps"])
        lambdas = preflight["CustomActionLambdaConfig"]
        assert [entry["Arn"] for entry in lambdas["Lambdas"]] == [
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:drkit-dev-failover-runbook",
            f"arn:aws:lambda:us-west-2:{ACCOUNT}:function:drkit-dev-failover-runbook",
        ]
        assert lambdas["RegionToRun"] == "activatingRegion" and lambdas["Ungraceful"] == {"Behavior": "skip"}
        aurora = database["GlobalAuroraConfig"]
        assert aurora["Behavior"] == "switchoverOnly" and aurora["Ungraceful"] == {"Ungraceful": "failover"}
        assert aurora["GlobalClusterIdentifier"] == "drkit-dev"
        assert aurora["DatabaseClusterArns"] == [f"arn:aws:rds:{r}:{ACCOUNT}:cluster:drkit-dev-{r}" for r in ("us-east-1", "us-west-2")]
    assert "Triggers" not in document and "AssociatedAlarms" not in document  # never self-triggering by default


def test_production_approves_every_activation_with_the_dr_operations_role_first() -> None:
    document = plan_document(props(approval_role_arn=DR_ROLE), ROLE)
    valid_everywhere(document)
    for workflow in (w for w in document["Workflows"] if w["WorkflowTargetAction"] == "activate"):
        first = workflow["Steps"][0]
        assert (first["Name"], first["ExecutionBlockType"]) == ("approval", "ManualApproval")
        assert first["ExecutionBlockConfiguration"] == {"ExecutionApprovalConfig": {"ApprovalRole": DR_ROLE, "TimeoutMinutes": 60}}


def test_triggers_and_eks_scaling_when_configured_are_valid_too() -> None:
    alarm = f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:drkit-dev-writer-healthy-in-us-east-1"
    configured = props(
        primary=region("us-east-1", eks=True),
        secondary=region("us-west-2", eks=True),
        trigger=TriggerAlarm(key="drkit-dev-writer-healthy-in-us-east-1", alarm_arn=alarm, activates="us-west-2"),
        eks_workloads=(EksWorkload(namespace="payments", name="ledger-api"),),
    )
    document = plan_document(configured, ROLE)
    valid_everywhere(document)
    (trigger,) = document["Triggers"]
    assert trigger["TargetRegion"] == "us-west-2" and trigger["Conditions"] == [
        {"AssociatedAlarmName": trigger["Conditions"][0]["AssociatedAlarmName"], "Condition": "red"}
    ]
    assert document["AssociatedAlarms"] == {"drkit-dev-writer-healthy-in-us-east-1": {"AlarmType": "trigger", "ResourceIdentifier": alarm}}
    eks = document["Workflows"][0]["Steps"][-1]["ExecutionBlockConfiguration"]["EksResourceScalingConfig"]
    assert eks["ScalingResources"] == [
        {"payments-ledger-api": {r: {"Namespace": "payments", "Name": "ledger-api"} for r in ("us-east-1", "us-west-2")}}
    ]


def test_the_execution_role_gets_exactly_what_arcs_documentation_lists_for_the_blocks_used() -> None:
    by_sid = {p.sid: (set(p.actions), set(p.resources)) for p in execution_permissions(props(approval_role_arn=DR_ROLE), ROLE)}
    clusters = {f"arn:aws:rds:{r}:{ACCOUNT}:cluster:drkit-dev-{r}" for r in ("us-east-1", "us-west-2")}
    functions = {f"arn:aws:lambda:{r}:{ACCOUNT}:function:drkit-dev-failover-runbook" for r in ("us-east-1", "us-west-2")}
    global_arn = f"arn:aws:rds::{ACCOUNT}:global-cluster:drkit-dev"
    assert by_sid == {
        "EvaluateThisRole": ({"iam:SimulatePrincipalPolicy"}, {ROLE}),
        "ReadThisPlan": (
            {"arc-region-switch:GetPlan", "arc-region-switch:GetPlanExecution", "arc-region-switch:ListPlanExecutions"},
            {f"arn:aws:arc-region-switch::{ACCOUNT}:plan/drkit-dev-use1-usw2:*"},
        ),
        "RunbookCustomAction": ({"lambda:GetFunction", "lambda:InvokeFunction"}, functions),
        # The Aurora block's sample policy (security_iam_region_switch_aurora) grants the two describes on "*": both
        # may be called without an identifier (SAR: resource type optional), as plan evaluation may call them.
        "ReadGlobalDatabase": ({"rds:DescribeGlobalClusters"}, {"*"}),
        "ReadMembers": ({"rds:DescribeDBClusters"}, {"*"}),
        "MoveTheWriter": ({"rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"}, {global_arn, *clusters}),
    }  # the approval block does not assume the execution role: nothing for it here


def test_blocks_add_their_own_permissions_and_only_reads_that_can_name_no_resource_are_granted_on_every_resource() -> None:
    from constructs_lib.policy.no_wildcard_iam import is_write

    alarm = f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:a"
    configured = props(
        primary=region("us-east-1", eks=True),
        secondary=region("us-west-2", eks=True),
        trigger=TriggerAlarm(key="a", alarm_arn=alarm, activates="us-west-2"),
        eks_workloads=(EksWorkload(namespace="payments", name="ledger-api"),),
    )
    permissions = execution_permissions(configured, ROLE)
    by_sid = {p.sid: p for p in permissions}
    assert by_sid["ReadTriggerAlarm"].resources == (alarm,)
    # The managed execution policy's CloudWatch statement has GetMetricStatistics, which has no resource type (SAR).
    assert by_sid["ReadTriggerMetrics"].actions == ("cloudwatch:GetMetricStatistics",)
    assert set(by_sid["ReadAppClusters"].resources) == {f"arn:aws:eks:{r}:{ACCOUNT}:cluster/drkit-dev-{r}" for r in ("us-east-1", "us-west-2")}
    assert all(r.endswith("/*") and ":access-entry/" in r for r in by_sid["ReadScalingAccess"].resources)
    everywhere = {a for p in permissions if "*" in p.resources for a in p.actions}
    assert everywhere == {"rds:DescribeGlobalClusters", "rds:DescribeDBClusters", "cloudwatch:GetMetricStatistics"}
    assert not any(is_write(a) for a in everywhere) and all(p.resources == ("*",) for p in permissions if "*" in p.resources)
    assert len(by_sid) == len(permissions)  # each statement once, though both workflows use the blocks


def test_every_custom_action_the_plan_names_is_one_the_runbook_implements() -> None:
    for target in (props().primary, props().secondary):
        names = [s.name for s in activation_steps(props(), target) if s.block_type is BlockType.CUSTOM_ACTION_LAMBDA]
        assert names and set(names) <= set(runbook_steps.STEPS)


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (
            lambda d: d["Workflows"][0]["Steps"][1]["ExecutionBlockConfiguration"]["GlobalAuroraConfig"].update(DatabaseClusterArn=[]),
            "DatabaseClusterArn",
        ),
        (lambda d: d.update(RecoveryTimeObjectiveMinute=5), "RecoveryTimeObjectiveMinute"),
        (lambda d: d["Workflows"][0]["Steps"][0].pop("Name"), "'Name' is missing"),
        (lambda d: d["Workflows"][0]["Steps"][0]["ExecutionBlockConfiguration"].update(LambdaConfig={}), "is not one of"),
    ],
    ids=["typo-in-a-block", "typo-at-the-top", "missing-required", "unknown-block"],
)
def test_a_typo_fails_at_synth_and_against_both_models(mutate: Any, problem: str) -> None:
    document = copy.deepcopy(plan_document(props(), ROLE))
    mutate(document)
    with pytest.raises(ValueError, match=problem):
        check_document(document)
    assert schema_problems(document)
    with pytest.raises((ModelMismatch, KeyError)) if "missing" not in problem else _no_raise():
        api = to_api(document, shape("CreatePlanRequest"))
        assert api_problems(api, shape("CreatePlanRequest"))


class _no_raise:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> bool:
        return False


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d.update(RecoveryApproach="activeStandby"), "recoveryApproach"),
        (lambda d: d.update(Regions=["us-east-1"]), "regions"),
        (lambda d: d.update(Name="drkit-a-name-much-longer-than-thirty-two"), "name"),
        (lambda d: d["Workflows"][0]["Steps"][1]["ExecutionBlockConfiguration"]["GlobalAuroraConfig"].update(Behavior="switchover"), "behavior"),
    ],
)
def test_values_outside_the_apis_enums_patterns_and_limits_fail_too(mutate: Any, problem: str) -> None:
    document = copy.deepcopy(plan_document(props(), ROLE))
    mutate(document)
    assert schema_problems(document)
    problems = api_problems(to_api(document, shape("CreatePlanRequest")), shape("CreatePlanRequest"))
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "drkit-a-name-much-longer-than-thirty-two"}, "name: 'drkit-a-name-much-longer-than-thirty-two' is not an ARC plan name"),
        ({"secondary": region("us-east-1")}, "secondary: 'us-east-1' is the primary region too"),
        ({"rto_target_seconds": 30}, "rto_target_seconds: 30 is less than"),
        ({"trigger": TriggerAlarm(key="a", alarm_arn="arn", activates="eu-west-1")}, "trigger: activates 'eu-west-1'"),
        ({"eks_workloads": (EksWorkload(namespace="a", name="b"),)}, "eks_workloads: the EKS block needs"),
    ],
)
def test_props_are_validated_up_front(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        props(**overrides)


def test_rto_minutes_round_up() -> None:
    assert [props(rto_target_seconds=s).rto_minutes for s in (60, 61, 300, 301)] == [1, 2, 5, 6]


def test_shipped_environments_name_plans_within_arcs_limit() -> None:
    for name, document in cdktf_environments().items():
        env = parse_one(document, name)
        for secondary in env.secondary_regions:
            plan = env.names.region_switch_plan(env.primary_region, secondary)
            assert len(plan) <= REGION_SWITCH_PLAN_NAME_MAX and plan.startswith(f"drkit-{name}-"), plan


def test_region_switch_settings_defaults_and_rules() -> None:
    production = parse_one(
        minimal_environment(
            environment="production", account_id="111111111111",
            dr_operations={"external_id": "test-external-id", "trusted_principals": ["arn:aws:iam::111111111111:role/oncall"]},
        ),
        "prod",
    )  # fmt: skip
    assert production.region_switch.enabled and production.region_switch.manual_approval and not production.region_switch.triggers
    dev = parse_one(minimal_environment(), "dev")
    assert not dev.region_switch.enabled and not dev.region_switch.manual_approval
    with pytest.raises(ConfigError, match=r"eighteen-chars-env\.region_switch\.enabled: the environment name is \d+ character\(s\) too long"):
        parse_one(minimal_environment(region_switch={"enabled": True}), "eighteen-chars-env")
    with pytest.raises(ConfigError, match=r"dev\.region_switch\.eks_workloads: needs region_switch\.enabled"):
        parse_one(minimal_environment(region_switch={"eks_workloads": ["payments/ledger-api"]}))
    with pytest.raises(ConfigError, match=r"dev\.region_switch\.eks_workloads\[0\]: expected `<namespace>/<deployment>`"):
        parse_one(minimal_environment(region_switch={"enabled": True, "eks_workloads": ["Payments"]}))


def test_the_approval_role_is_a_setting_of_the_plans_account_and_needs_the_approval_step() -> None:
    """``region_switch.approval_role_arn``: who approves (ARC: "Anyone who has access to the role defined in the execution
    block can approve or decline"; "The IAM role must be within the account that is the owner of the plan",
    manual-approval-block). Unset: the DR operations role, which also starts executions."""
    operations = {"external_id": "test-external-id", "trusted_principals": ["arn:aws:iam::111111111111:role/oncall"]}
    production = {"environment": "production", "account_id": "111111111111", "dr_operations": operations}
    assert parse_one(minimal_environment(**production), "prod").region_switch.approval_role_arn is None
    approver = "arn:aws:iam::111111111111:role/dr-approver"
    configured = parse_one(minimal_environment(**production, region_switch={"approval_role_arn": approver}), "prod")
    assert configured.region_switch.approval_role_arn == approver
    with pytest.raises(ConfigError, match=r"prod\.region_switch\.approval_role_arn: the role must be in the plan's account 111111111111"):
        parse_one(minimal_environment(**production, region_switch={"approval_role_arn": "arn:aws:iam::222222222222:role/dr-approver"}), "prod")
    with pytest.raises(ConfigError, match=r"prod\.region_switch\.approval_role_arn: needs region_switch\.manual_approval"):
        parse_one(minimal_environment(**production, region_switch={"approval_role_arn": approver, "manual_approval": False}), "prod")
    with pytest.raises(ConfigError, match=r"prod\.region_switch\.approval_role_arn: expected an IAM role ARN"):
        parse_one(minimal_environment(**production, region_switch={"approval_role_arn": "dr-approver"}), "prod")


def test_the_shipped_schema_is_the_registry_schema_of_the_type_with_its_source() -> None:
    shipped = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    source = json.loads(SCHEMA_PATH.with_name("AWS_ARCRegionSwitch_Plan.source.json").read_text(encoding="utf-8"))
    assert shipped["typeName"] == source["type_name"] == "AWS::ARCRegionSwitch::Plan"
    assert source["schema_file"] == SCHEMA_PATH.name and source["schema_date"] and "terraform-provider-awscc" in source["source"]
    assert shipped["primaryIdentifier"] == ["/properties/Arn"]
    # The provider's sanitizer rewrites patterns line by line: the file must stay pretty-printed.
    assert all(line.count('"pattern"') <= 1 for line in SCHEMA_PATH.read_text(encoding="utf-8").splitlines())


def test_a_step_after_recovery_plugs_into_one_function_and_stays_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the point-of-failure snapshot's preservation goes: a post-recovery custom action in the inactive region."""
    from constructs_lib import region_switch_spec
    from constructs_lib.region_switch_spec import Permission, StepSpec

    def snapshot_step(props: RegionSwitchPlanProps, active: PlanRegion) -> tuple[StepSpec, ...]:
        functions = [r.runbook_function_arn for r in props.regions]
        configuration = {
            "CustomActionLambdaConfig": {"Lambdas": [{"Arn": f} for f in functions], "RegionToRun": "inactiveRegion", "RetryIntervalMinutes": 5}
        }
        permission = Permission("RunbookCustomAction", ("lambda:GetFunction", "lambda:InvokeFunction"), tuple(functions))
        return (StepSpec("preserve-snapshot", "keep the point-of-failure snapshot", BlockType.CUSTOM_ACTION_LAMBDA, configuration, (permission,)),)

    monkeypatch.setattr(region_switch_spec, "post_recovery_steps", snapshot_step)
    document = plan_document(props(), ROLE)
    valid_everywhere(document)
    assert [(w["WorkflowTargetAction"], w["WorkflowTargetRegion"]) for w in document["Workflows"]] == [
        ("activate", "us-west-2"),
        ("activate", "us-east-1"),
        ("postRecovery", "us-west-2"),
        ("postRecovery", "us-east-1"),
    ]
    assert [p.sid for p in execution_permissions(props(), ROLE)].count("RunbookCustomAction") == 1


def test_an_arc_trigger_and_drkits_automation_are_never_both_on() -> None:
    """One mover per incident: a plan started by its trigger and the runbook's automation would both move the writer."""
    with pytest.raises(ConfigError, match=r"dev\.region_switch\.triggers: true with failover\.mode 'automatic'"):
        parse_one(minimal_environment(region_switch={"enabled": True, "triggers": True}, failover={"mode": "automatic"}))
    assert parse_one(minimal_environment(region_switch={"enabled": True, "triggers": True})).region_switch.triggers
