"""Synth tests for the real-AWS game day's experiment: what it cuts, what stops it, who may run it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs_lib.fault_injection import LOG_DELIVERY_ACTIONS, NETWORK_ACCESS_POLICY, FaultInjectionProps
from tests.helpers import resources


def test_the_experiment_cuts_exactly_the_primarys_app_and_data_subnets(stacks: dict[str, Any]) -> None:
    stack = stacks["three"]
    (template,) = resources(stack, "aws_fis_experiment_template").values()
    assert template["provider"] == "aws.primary"
    actions, targets = template["action"], template["target"]
    assert len(actions) == len(targets) == 2  # 6 subnets, at most 5 ARNs a target (provider schema)
    for action in actions:
        assert action["action_id"] == "aws:network:disrupt-connectivity"
        assert {p["key"]: p["value"] for p in action["parameter"]} == {"duration": "PT15M", "scope": "all"}
    assert sorted(a["target"]["value"] for a in actions) == sorted(t["name"] for t in targets)
    assert all(a["target"]["key"] == "Subnets" for a in actions)
    assert all(t["selection_mode"] == "ALL" and t["resource_type"] == "aws:ec2:subnet" and len(t["resource_arns"]) <= 5 for t in targets)
    subnets = resources(stack, "aws_subnet")
    primary_inner = sorted(
        f"aws_subnet.{name}.id" for name, s in subnets.items() if s["provider"] == "aws.primary" and s["tags"]["Tier"] in ("app", "data")
    )
    cut = sorted(arn.split("subnet/")[1].strip("${}") for t in targets for arn in t["resource_arns"])
    assert cut == [ref.strip("${}") for ref in primary_inner] and len(cut) == 6  # 3 AZs x (app, data); public ones stay
    assert template["experiment_options"]["empty_target_resolution_mode"] == "fail"


def test_the_experiment_stops_on_the_primary_monitor_going_wrong_and_logs_encrypted(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    (template,) = resources(stack, "aws_fis_experiment_template").values()
    alarms = resources(stack, "aws_cloudwatch_metric_alarm")
    stops = [c["value"] for c in template["stop_condition"]]
    stopping = [next(n for n in alarms if f"aws_cloudwatch_metric_alarm.{n}.arn" in v) for v in stops]
    assert [alarms[n]["alarm_name"] for n in stopping] == ["drkit-dev-replication-monitor-errors", "drkit-dev-replication-monitor-silent"]
    assert all(alarms[n]["provider"] == "aws.primary" for n in stopping)  # alarms of the experiment's own region
    log = template["log_configuration"]
    (group,) = [g for g in resources(stack, "aws_cloudwatch_log_group").values() if g["name"] == "/aws/fis/drkit-dev"]
    assert log["log_schema_version"] == 2 and log["cloudwatch_logs_configuration"]["log_group_arn"].endswith(":*")
    assert group["kms_key_id"].startswith("${aws_kms_key.")


def test_only_fis_may_assume_the_role_for_experiments_of_this_account_and_region(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    (role,) = [r for r in resources(stack, "aws_iam_role").values() if r["name"] == "drkit-dev-fis"]
    trust_ref = role["assume_role_policy"].strip("${}").split(".")[2]
    (statement,) = stack["data"]["aws_iam_policy_document"][trust_ref]["statement"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["fis.amazonaws.com"]}]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
    assert conditions["aws:SourceArn"][0] == "ArnLike" and conditions["aws:SourceArn"][1][0].startswith("arn:aws:fis:us-east-1:")
    assert conditions["aws:SourceAccount"][0] == "StringEquals"
    attached = [a["policy_arn"] for a in resources(stack, "aws_iam_role_policy_attachment").values() if "fault_injection" in json.dumps(a)]
    assert attached == [NETWORK_ACCESS_POLICY]
    (inline,) = [r for r in resources(stack, "aws_iam_role_policy").values() if "fault_injection" in json.dumps(r)]
    (delivery,) = stack["data"]["aws_iam_policy_document"][inline["policy"].strip("${}").split(".")[2]]["statement"]
    assert delivery["actions"] == list(LOG_DELIVERY_ACTIONS)  # FIS sets up the experiment's log delivery with its role


def test_an_experiment_without_a_stop_condition_is_refused_at_synth() -> None:
    with pytest.raises(ValueError, match="stop_alarm_arns"):
        FaultInjectionProps(
            provider=None,  # type: ignore[arg-type]
            iam_provider=None,  # type: ignore[arg-type]
            name="x", region="us-east-1", account_id="1", subnet_arns=("s",), stop_alarm_arns=(),
            duration_minutes=15, kms_key_arn="k", log_retention_days=7,
        )  # fmt: skip


def test_the_module_describes_an_action_per_target_as_the_template_has() -> None:
    """The template has one action per five subnets (a target takes at most five ARNs); the construct's and the game
    day's docstrings say so, and neither calls it "one action"."""
    from constructs_lib import fault_injection
    from drkit import fis_gameday

    for module in (fault_injection, fis_gameday):
        text = " ".join((module.__doc__ or "").split())
        assert "one action," not in text and "whose one action" not in text, module.__name__
    assert "an action per five subnets" in " ".join((fault_injection.__doc__ or "").split())
