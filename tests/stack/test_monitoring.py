"""Synth tests for monitoring: the lag monitor, its schedule, alarms, topics and the dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs_lib.naming import Names
from constructs_lib.point_of_failure import RegionScope, monitor_grants
from functions.replication_monitor import contract
from tests.helpers import by_provider, data_sources, only, resources


@pytest.mark.parametrize("alias", ["primary", "secondary"])
def test_monitor_function_per_region(stacks: dict[str, Any], alias: str) -> None:
    (function,) = [
        f for f in by_provider(resources(stacks["dev"], "aws_lambda_function"), alias) if f["function_name"].endswith("replication-monitor")
    ]
    assert function["reserved_concurrent_executions"] == 5
    assert function["runtime"] == "python3.13"
    assert function["handler"] == "replication_monitor.handler.lambda_handler"
    assert function["timeout"] < 60  # runs never overlap the one-minute schedule
    assert function["kms_key_arn"].startswith("${aws_kms_key.")
    variables = function["environment"]["variables"]
    assert variables[contract.Env.LAG_ALARM_THRESHOLD_SECONDS] == "5"
    assert variables[contract.Env.GLOBAL_CLUSTER_ID] == "drkit-dev"
    assert variables[contract.Env.MEMBER_REGIONS] == "us-east-1,us-west-2"
    assert variables[contract.Env.POWERTOOLS_SERVICE_NAME] == contract.SERVICE
    assert "dead_letter_config" not in function  # failures go to the on-failure destination only: one page, not two
    assert function["filename"].endswith(".zip") and function["source_code_hash"]
    assert "017000801446:layer:AWSLambdaPowertoolsPythonV3-python313" in function["layers"][0]


def test_reserved_concurrency_and_threshold_come_from_config(tmp_path: Any) -> None:
    from constructs_lib.config import parse_environments
    from constructs_lib.synth import stack_json, synthesize
    from tests.helpers import minimal_environment

    settings = parse_environments(
        {"qa": minimal_environment(monitor_reserved_concurrency=2, lag_alarm_threshold_seconds=1.5, app_clusters={"enabled": False})},
        source="test",
    )
    synthesize(settings, tmp_path / "out")
    stack = stack_json(tmp_path / "out", "dr-qa")
    monitors = [f for f in resources(stack, "aws_lambda_function").values() if f["function_name"].endswith("replication-monitor")]
    assert len(monitors) == 2
    for function in monitors:
        assert function["reserved_concurrent_executions"] == 2
        assert function["environment"]["variables"][contract.Env.LAG_ALARM_THRESHOLD_SECONDS] == "1.5"
    rpo = [a for a in resources(stack, "aws_cloudwatch_metric_alarm").values() if a["metric_name"] == "AuroraGlobalDBRPOLag"]
    assert [a["threshold"] for a in rpo] == [1500, 1500]


def test_schedule_every_minute_with_target_and_permission(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    rules = {n: r for n, r in resources(stack, "aws_cloudwatch_event_rule").items() if "_monitor_" in n}
    assert sorted(r["schedule_expression"] for r in rules.values()) == ["rate(1 minute)"] * 2
    assert len([n for n in resources(stack, "aws_cloudwatch_event_target") if "_monitor_" in n]) == 2
    for permission in [p for n, p in resources(stack, "aws_lambda_permission").items() if "_monitor_" in n]:
        assert permission["principal"] == "events.amazonaws.com"
        assert permission["source_arn"].startswith("${aws_cloudwatch_event_rule.")


def test_failures_reach_the_alert_topic(stacks: dict[str, Any]) -> None:
    configs = [c for name, c in resources(stacks["dev"], "aws_lambda_function_event_invoke_config").items() if "_monitor_" in name]
    assert len(configs) == 2
    for config in configs:
        assert config["destination_config"]["on_failure"]["destination"].startswith("${aws_sns_topic.")
        assert config["maximum_retry_attempts"] == 0


@pytest.mark.parametrize("name", ["dev", "three"])
def test_every_member_has_lag_coverage_in_its_region_whatever_its_role(stacks: dict[str, Any], name: str) -> None:
    """A switchover makes any member a secondary: each needs its RPO alarm, silent while it is the writer."""
    stack = stacks[name]
    providers = {p["alias"]: p["region"] for p in stack["provider"]["aws"]}
    rpo = [a for a in resources(stack, "aws_cloudwatch_metric_alarm").values() if a["metric_name"] == "AuroraGlobalDBRPOLag"]
    assert sorted((providers[a["provider"].removeprefix("aws.")], a["dimensions"]["DBClusterIdentifier"]) for a in rpo) == sorted(
        (region, f"drkit-{name}-{region}") for region in providers.values()
    )
    for alarm in rpo:
        assert alarm["threshold"] == 5000  # milliseconds
        assert alarm["comparison_operator"] == "GreaterThanThreshold"
        # Aurora publishes the metric only for secondaries: no data means "writer now", never a page.
        assert alarm["treat_missing_data"] == "notBreaching"
        assert alarm["alarm_actions"][0].startswith("${aws_sns_topic.")


@pytest.mark.parametrize(("name", "watched"), [("dev", {"us-east-1": "us-west-2"}), ("three", {"us-east-1": "us-west-2", "us-west-2": "eu-west-1"})])
def test_writer_health_is_judged_by_alarms_in_another_region(stacks: dict[str, Any], name: str, watched: dict[str, str]) -> None:
    stack = stacks[name]
    providers = {p["alias"]: p["region"] for p in stack["provider"]["aws"]}
    alarms = [a for a in resources(stack, "aws_cloudwatch_metric_alarm").values() if a["metric_name"] == contract.Metric.WRITER_HEALTHY]
    seen = {a["dimensions"][contract.Dimension.WRITER_REGION]: providers[a["provider"].removeprefix("aws.")] for a in alarms}
    assert seen == watched  # every member but the last, each judged from the next region
    for alarm in alarms:
        judged = alarm["dimensions"][contract.Dimension.WRITER_REGION]
        assert alarm["dimensions"] == contract.writer_healthy_dimensions(name if name != "three" else "dev", judged)
        assert alarm["namespace"] == contract.NAMESPACE and alarm["statistic"] == "Minimum"
        assert alarm["period"] == 60 and alarm["evaluation_periods"] == 2  # failover.detection_periods
        assert alarm["comparison_operator"] == "LessThanThreshold" and alarm["threshold"] == 1
        assert alarm["treat_missing_data"] == "missing"  # a silent observer is not evidence against the writer


def test_monitor_health_alarms(stacks: dict[str, Any]) -> None:
    alarms = [
        a
        for a in resources(stacks["dev"], "aws_cloudwatch_metric_alarm").values()
        if a["namespace"] == "AWS/Lambda" and a["dimensions"]["FunctionName"].endswith("replication-monitor")
    ]
    assert sorted((a["provider"], a["metric_name"]) for a in alarms) == sorted(
        (p, m) for p in ("aws.primary", "aws.secondary") for m in ("Errors", "Throttles", "Invocations")
    )
    silent = [a for a in alarms if a["metric_name"] == "Invocations"]
    assert all(a["treat_missing_data"] == "breaching" for a in silent)


def test_alert_topics_are_encrypted_and_publishable_by_alarms(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    topics = resources(stack, "aws_sns_topic")
    assert len(topics) == 2 and all(t["kms_master_key_id"].startswith("${aws_kms_key.") for t in topics.values())
    policies = [d for name, d in data_sources(stack, "aws_iam_policy_document").items() if name.startswith("primary_alerts_policy")]
    statements = {s["sid"]: s for s in policies[0]["statement"]}
    assert statements["AlarmsAndRulesPublish"]["principals"][0]["identifiers"] == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]


def test_monitor_role_is_limited_to_its_calls(stacks: dict[str, Any]) -> None:
    documents = data_sources(stacks["dev"], "aws_iam_policy_document")
    permissions = [d for name, d in documents.items() if name.startswith("primary_monitor_permissions")]
    statements = {s["sid"]: s for s in permissions[0]["statement"]}
    assert set(statements) == {"ReadTopology", "WriterAnswers", "ReadLagMetrics", "Alert", "EncryptedTopicStateAndEnvironment", "AlertState", "Logs"}
    for sid, statement in statements.items():
        assert "*" not in statement["actions"], sid
        if statement["resources"] == ["*"]:
            assert statement["actions"] == ["cloudwatch:GetMetricData"], sid
    assert statements["ReadTopology"]["resources"][0].endswith(":global-cluster:drkit-dev")
    assert sorted(r.rsplit(":", 1)[-1] for r in statements["WriterAnswers"]["resources"]) == ["drkit-dev-us-east-1", "drkit-dev-us-west-2"]


def test_each_monitor_may_preserve_its_own_region_s_point_of_failure_snapshot_and_no_more(stacks: dict[str, Any]) -> None:
    """constructs_lib.point_of_failure.monitor_grants (each one shown needed in tests/emulator), in their own policy."""
    documents = data_sources(stacks["dev"], "aws_iam_policy_document")
    (primary,) = [d for name, d in documents.items() if name.startswith("primary_monitor_preservation_permissions")]
    statements = {s["sid"]: s for s in primary["statement"]}
    assert set(statements) == {g.sid for g in monitor_grants(Names("dev"), "1", RegionScope(region="us-east-1", kms_key_arn="k"), ())}
    assert statements["PreservePointOfFailureSnapshot"]["resources"] == [
        "arn:aws:rds:us-east-1:${data.aws_caller_identity.caller.account_id}:cluster-snapshot:rds:unplanned-global-failover-drkit-dev-us-east-1-*",
        "arn:aws:rds:us-east-1:${data.aws_caller_identity.caller.account_id}:cluster-snapshot:drkit-dev-us-east-1-pof-*",
    ]
    assert statements["EncryptPreservedCopies"]["condition"] == [{"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]}]
    found = statements["FindPointOfFailureSnapshots"]["resources"]
    assert sorted(r.rsplit(":", 1)[-1] for r in found) == ["drkit-dev-us-east-1", "drkit-dev-us-west-2"]  # the members, no "*"
    function = next(
        f
        for f in resources(stacks["dev"], "aws_lambda_function").values()
        if f["function_name"] == "drkit-dev-replication-monitor" and f["provider"] == "aws.primary"
    )
    variables = function["environment"]["variables"]
    assert variables["LOCAL_CLUSTER_ID"] == "drkit-dev-us-east-1" and variables["LOSSY_FAILOVER_PARAMETER"].startswith(
        "${aws_ssm_parameter.primary_monitor_lossy_failovers_"
    )
    assert variables["RECONCILE_COMMAND"] == "drkit runbook reconcile --env dev" and variables["SNAPSHOT_WAIT_SECONDS"] == "3600"
    records = [r for r in resources(stacks["dev"], "aws_ssm_parameter").values() if r["name"] == "/drkit/dev/lossy-failovers"]
    assert len(records) == 2 and all(r["lifecycle"]["ignore_changes"] == ["value"] for r in records)  # one per region; the runbook writes it


def test_log_groups_encrypted_with_retention(stacks: dict[str, Any]) -> None:
    groups = [g for g in resources(stacks["dev"], "aws_cloudwatch_log_group").values() if g["name"].startswith("/aws/lambda/")]
    assert len(groups) == 6  # monitor, runbook and writer probe, in each region
    assert all(g["retention_in_days"] == 30 and g["kms_key_id"] for g in groups)


def test_dashboard_per_environment(stacks: dict[str, Any]) -> None:
    dashboard = only(resources(stacks["dev"], "aws_cloudwatch_dashboard"))
    body = json.loads(dashboard["dashboard_body"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert len(titles) == 5
    lag_metrics = body["widgets"][0]["properties"]["metrics"]
    assert [
        "AWS/RDS",
        "AuroraGlobalDBRPOLag",
        "DBClusterIdentifier",
        "drkit-dev-us-west-2",
        {"region": "us-west-2", "label": "drkit-dev-us-west-2 RPO"},
    ] in lag_metrics


def test_lambda_package_is_deterministic_and_minimal() -> None:
    import zipfile

    from constructs_lib.lambda_package import build_package

    first = build_package.__wrapped__("replication_monitor")
    second = build_package.__wrapped__("replication_monitor")
    assert first == second
    names = zipfile.ZipFile(first.path).namelist()
    assert names == sorted(names)
    assert all(n.startswith("replication_monitor/") and n.endswith(".py") for n in names)
    assert "replication_monitor/handler.py" in names
