"""Synth tests for fast detection: the writer probe per region, the quorum's high-resolution alarms, the
runbook function as their action, and the automation's settings and permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.failover.contract import AutomationEnv
from functions.writer_probe import contract
from tests.helpers import by_provider, data_sources, resources

THREE = ("us-east-1", "us-west-2", "eu-west-1")
ALIASES = {"us-east-1": "primary", "us-west-2": "secondary", "eu-west-1": "secondary_2"}


def probes(stack: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in resources(stack, "aws_lambda_function").values() if f["function_name"].endswith("-writer-probe")]


def lost_alarms(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        a["alarm_name"]: a
        for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
        if "-writer-lost-in-" in a["alarm_name"] and "-seen-from-" in a["alarm_name"]
    }


@pytest.mark.parametrize("name", ["dev", "three"])
def test_a_probe_per_region_in_the_app_subnets_within_the_minute(stacks: dict[str, Any], name: str) -> None:
    stack = stacks[name]
    found = probes(stack)
    assert len(found) == len(stack["provider"]["aws"])
    for function in found:
        assert function["handler"] == "functions.writer_probe.handler.lambda_handler"  # zipped with the monitor's shared logic
        assert function["timeout"] == contract.TIMEOUT_SECONDS < 60  # returns before the next run
        assert function["reserved_concurrent_executions"] == 2 and function["memory_size"] == 128
        vpc = function["vpc_config"]
        assert len(vpc["subnet_ids"]) == 3 and all("aws_subnet" in s and "_app_" in s for s in vpc["subnet_ids"])
        variables = function["environment"]["variables"]
        assert variables[contract.Env.PROBE_INTERVAL_SECONDS] == "10"
        assert variables[contract.Env.MEMBER_ENDPOINTS].count("=${aws_rds_cluster.") == len(found)
    rules = [r for n, r in resources(stack, "aws_cloudwatch_event_rule").items() if "_writer_probe_" in n]
    assert [r["schedule_expression"] for r in rules] == ["rate(1 minute)"] * len(found)


def test_the_probe_reaches_writers_on_5432_and_aws_apis_on_443_only(stacks: dict[str, Any]) -> None:
    stack = stacks["three"]
    groups = [g for g in resources(stack, "aws_security_group").values() if g["name"].endswith("-writer-probe")]
    assert len(groups) == 3 and all("ingress" not in g for g in groups)
    rules = [r for n, r in resources(stack, "aws_vpc_security_group_egress_rule").items() if "_writer_probe_" in n]
    postgres = sorted({r["cidr_ipv4"] for r in rules if r["from_port"] == 5432})
    assert len(postgres) == 3 and all(r["to_port"] == r["from_port"] for r in rules)  # every VPC of the stack
    assert {(r["from_port"], r["cidr_ipv4"]) for r in rules if r["from_port"] != 5432} == {(443, "0.0.0.0/0")}
    ingress = [r for n, r in resources(stack, "aws_vpc_security_group_ingress_rule").items() if "database_ingress" in n]
    app_cidrs = {r["cidr_ipv4"] for r in ingress}
    assert len(app_cidrs) == 9  # the database admits every VPC's app subnets, where the probes run


def test_each_observer_judges_every_other_region_with_a_high_resolution_alarm(stacks: dict[str, Any]) -> None:
    stack = stacks["three"]
    alarms = lost_alarms(stack)
    assert sorted(alarms) == sorted(f"drkit-three-writer-lost-in-{w}-seen-from-{o}" for w in THREE for o in THREE if w != o)
    for name, alarm in alarms.items():
        writer, observer = name.removeprefix("drkit-three-writer-lost-in-").split("-seen-from-")
        assert alarm["provider"] == f"aws.{ALIASES[observer]}"  # judged from outside the writer's region
        assert alarm["metric_name"] == contract.Metric.LOST and alarm["namespace"] == "drkit"
        assert alarm["dimensions"] == contract.writer_dimensions("dev", writer)
        assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (10, 3, 3)
        assert alarm["statistic"] == "Minimum" and alarm["threshold"] == 1
        assert alarm["treat_missing_data"] == "notBreaching"  # a silent probe is no verdict ("missing" alarms on - - X - -)
        (action,) = alarm["alarm_actions"]
        assert action.startswith("${aws_lambda_function.dr_operations_") and f"{observer.replace('-', '_')}_function" in action


def test_the_alarm_may_invoke_exactly_its_own_regions_runbook(stacks: dict[str, Any]) -> None:
    stack = stacks["three"]
    permissions = [p for p in resources(stack, "aws_lambda_permission").values() if p["principal"] == "lambda.alarms.cloudwatch.amazonaws.com"]
    assert len(permissions) == 6
    for permission in permissions:
        assert permission["source_arn"].startswith("${aws_cloudwatch_metric_alarm.") and "writer_lost" in permission["source_arn"]
        assert permission["source_account"] == "${data.aws_caller_identity.caller.account_id}"
        assert permission["function_name"].startswith("${aws_lambda_function.dr_operations_")


def test_route53_never_reads_a_high_resolution_alarm(stacks: dict[str, Any]) -> None:
    """Route 53: "High-resolution metrics aren't supported"; db.<zone> keeps the one-minute alarms."""
    stack = stacks["three"]
    for check in resources(stack, "aws_route53_health_check").values():
        assert "writer_healthy" in check["cloudwatch_alarm_name"]


def test_a_peering_partition_pages_without_deciding(stacks: dict[str, Any]) -> None:
    unreachable = [a for a in resources(stacks["three"], "aws_cloudwatch_metric_alarm").values() if "-writer-unreachable-in-" in a["alarm_name"]]
    assert len(unreachable) == 6
    for alarm in unreachable:
        assert alarm["metric_name"] == contract.Metric.DATA_PATH_UP and alarm["period"] == 60 and alarm["statistic"] == "Maximum"
        assert all(a.startswith("${aws_sns_topic.") for a in alarm["alarm_actions"])  # a page, never the runbook


def test_the_runbook_carries_the_automation_settings(stacks: dict[str, Any]) -> None:
    runbooks = [f for f in resources(stacks["three"], "aws_lambda_function").values() if f["function_name"] == "drkit-three-failover-runbook"]
    assert len(runbooks) == 3
    for function in runbooks:
        variables = function["environment"]["variables"]
        assert variables[AutomationEnv.MODE] == "automatic" and variables[AutomationEnv.DRY_RUN] == "false"
        assert variables[AutomationEnv.MEMBER_REGIONS] == ",".join(THREE)
        assert variables[AutomationEnv.WRITER_LOST_ALARM] == "drkit-three-writer-lost-in-{writer}-seen-from-{observer}"
        assert variables[AutomationEnv.MAX_LAG_SECONDS] == "30"  # database.global_db_rpo_seconds
        assert variables[AutomationEnv.LATCH_PARAMETER] == "/drkit/three/failover/automation-latch"
        assert variables[AutomationEnv.CONFIG_NAME] == "three"
    dev = [f for f in resources(stacks["dev"], "aws_lambda_function").values() if f["function_name"] == "drkit-dev-failover-runbook"]
    assert {f["environment"]["variables"][AutomationEnv.MODE] for f in dev} == {"manual"}  # the default
    assert {f["environment"]["variables"][AutomationEnv.MAX_LAG_SECONDS] for f in dev} == {"5"}  # the lag alarm threshold


def test_permissions_for_the_quorum_the_latch_and_rearm(stacks: dict[str, Any]) -> None:
    documents = data_sources(stacks["three"], "aws_iam_policy_document")
    (document,) = [d for n, d in documents.items() if n.startswith("dr_operations_runbook_permissions")]
    runbook = {s["sid"]: s for s in document["statement"]}
    assert runbook["ReadQuorum"]["actions"] == ["cloudwatch:DescribeAlarms"] and len(runbook["ReadQuorum"]["resources"]) == 6
    assert all(":alarm:drkit-three-writer-lost-in-" in r for r in runbook["ReadQuorum"]["resources"])
    assert runbook["Latch"]["actions"] == ["ssm:GetParameter", "ssm:PutParameter"]
    assert sorted(r.split(":")[3] for r in runbook["Latch"]["resources"]) == sorted(THREE)
    assert all(r.endswith(":parameter/drkit/three/failover/automation-latch") for r in runbook["Latch"]["resources"])
    (operator_document,) = [d for n, d in documents.items() if n.startswith("dr_operations_operator_permissions")]
    operator = {s["sid"]: s for s in operator_document["statement"]}
    assert operator["RearmAutomation"]["actions"] == ["ssm:GetParameter", "ssm:DeleteParameter"]
    assert operator["RearmAutomation"]["resources"] == runbook["Latch"]["resources"]


def test_the_probe_role_scopes_every_write(stacks: dict[str, Any]) -> None:
    documents = data_sources(stacks["three"], "aws_iam_policy_document")
    (document,) = [d for n, d in documents.items() if n.startswith("primary_writer_probe_permissions")]
    statements = {s["sid"]: s for s in document["statement"]}
    assert statements["KeepLatchHere"]["actions"] == ["ssm:PutParameter"] and len(statements["KeepLatchHere"]["resources"]) == 1
    assert statements["KeepLatchHere"]["resources"][0].startswith("arn:aws:ssm:us-east-1:")
    create = statements["CreateNetworkInterfaces"]["resources"]
    assert create[0].endswith(":network-interface/*") and sum(":subnet/" in r for r in create) == 3 and ":security-group/" in create[-1]
    publish = statements["PublishVerdicts"]
    assert publish["actions"] == ["cloudwatch:PutMetricData"]  # no resource types: scoped by its namespace condition key
    assert publish["condition"] == [{"test": "StringEquals", "variable": "cloudwatch:namespace", "values": ["drkit"]}]
    for sid, statement in statements.items():
        if statement["resources"] == ["*"] and sid != "PublishVerdicts":
            assert statement["actions"] == ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], sid


def test_automatic_with_two_regions_is_a_warning_not_an_error(tmp_path: Any) -> None:
    from constructs_lib.config import parse_environments
    from constructs_lib.synth import synthesize
    from tests.helpers import minimal_environment

    settings = parse_environments({"qa": minimal_environment(failover={"mode": "automatic"}, app_clusters={"enabled": False})}, source="test")
    summary = synthesize(settings, tmp_path / "out")
    assert "dr-qa: warning failover.mode automatic with two regions: the single observer decides alone" in summary
    assert "Three regions are recommended." in summary
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    levels = {a["level"] for a in manifest["stacks"]["dr-qa"]["annotations"] if "two regions" in a["message"]}
    assert levels == {"@cdktf/warn"}  # a cdktf warning annotation: synth goes on


def test_probe_health_pages(stacks: dict[str, Any]) -> None:
    alarms = [
        a
        for a in by_provider(resources(stacks["dev"], "aws_cloudwatch_metric_alarm"), "primary")
        if a["namespace"] == "AWS/Lambda" and a["dimensions"]["FunctionName"] == "drkit-dev-writer-probe"
    ]
    assert sorted(a["metric_name"] for a in alarms) == ["Errors", "Invocations"]
    assert all(a["alarm_actions"] and a["alarm_actions"][0].startswith("${aws_sns_topic.") for a in alarms)


def test_a_probe_that_judges_nothing_pages_as_blind(stacks: dict[str, Any]) -> None:
    """Its Lambda metrics stay healthy while it names no writer or its own container fails: only its verdicts show it."""
    blind = [a for a in resources(stacks["dev"], "aws_cloudwatch_metric_alarm").values() if a["alarm_name"].endswith("-writer-probe-blind")]
    assert len(blind) == 2  # one per region
    for alarm in blind:
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (contract.NAMESPACE, contract.Metric.VERDICT, "Minimum")
        assert alarm["comparison_operator"] == "LessThanThreshold" and alarm["threshold"] == 1
        assert alarm["dimensions"] == contract.verdict_dimensions("dev")  # whatever the writer: a probe that cannot name it is seen
        assert alarm["alarm_actions"][0].startswith("${aws_sns_topic.")


def test_a_control_path_down_for_five_minutes_pages_without_deciding(stacks: dict[str, Any]) -> None:
    """With the writer's RDS API silent and its server answering, the quorum rests on one path: a page, never the runbook."""
    degraded = [a for a in resources(stacks["three"], "aws_cloudwatch_metric_alarm").values() if "-writer-api-down-in-" in a["alarm_name"]]
    assert len(degraded) == 6  # every (writer, observer) pair
    for alarm in degraded:
        assert alarm["metric_name"] == contract.Metric.API_ONLY_DOWN and alarm["statistic"] == "Minimum" and alarm["period"] == 300
        assert all(a.startswith("${aws_sns_topic.") for a in alarm["alarm_actions"])
