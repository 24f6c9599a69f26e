"""Synth tests for failover: the private zone, failover records, health checks, the DR role."""

from __future__ import annotations

from typing import Any

from tests.helpers import cdktf_environments, data_sources, only, resources


def documents(stack: dict[str, Any], prefix: str) -> dict[str, Any]:
    matches = [d for name, d in data_sources(stack, "aws_iam_policy_document").items() if name.startswith(prefix)]
    assert len(matches) == 1, prefix
    return matches[0]


def test_private_zone_associated_with_every_vpc(stacks: dict[str, Any]) -> None:
    zone = only(resources(stacks["dev"], "aws_route53_zone"))
    assert zone["name"] == "dev.drkit.internal"
    assert sorted(v["vpc_region"] for v in zone["vpc"]) == ["us-east-1", "us-west-2"]
    assert all(v["vpc_id"].startswith("${aws_vpc.") for v in zone["vpc"])


def test_failover_records(stacks: dict[str, Any]) -> None:
    records = resources(stacks["dev"], "aws_route53_record").values()
    failover = {r["failover_routing_policy"]["type"]: r for r in records if "failover_routing_policy" in r}
    assert set(failover) == {"PRIMARY", "SECONDARY"}
    for role, record in failover.items():
        assert record["name"] == "db.dev.drkit.internal" and record["type"] == "CNAME"
        assert record["ttl"] == 60 and record["set_identifier"] == role.lower()
    assert "database_primary_cluster" in failover["PRIMARY"]["records"][0]
    assert "database_secondary_us_west_2_cluster" in failover["SECONDARY"]["records"][0]
    assert failover["PRIMARY"]["health_check_id"].startswith("${aws_route53_health_check.")
    assert "health_check_id" not in failover["SECONDARY"]
    writer = [r for r in records if r["name"] == "writer.dev.drkit.internal"]
    assert len(writer) == 1 and "aws_rds_global_cluster" in writer[0]["records"][0]


def test_health_checks_work_for_private_endpoints(stacks: dict[str, Any]) -> None:
    checks = list(resources(stacks["dev"], "aws_route53_health_check").values())
    metric = [c for c in checks if c["type"] == "CLOUDWATCH_METRIC"]
    calculated = [c for c in checks if c["type"] == "CALCULATED"]
    assert len(metric) == 2 and len(calculated) == 1
    assert all(c["insufficient_data_health_status"] == "LastKnownStatus" and c["cloudwatch_alarm_region"] == "us-east-1" for c in metric)
    assert calculated[0]["child_health_threshold"] == 2 and len(calculated[0]["child_healthchecks"]) == 2
    alarms = {a["alarm_name"]: a for a in resources(stacks["dev"], "aws_cloudwatch_metric_alarm").values()}
    writer_down = alarms["drkit-dev-us-east-1-writer-down"]
    assert writer_down["dimensions"] == {"DBClusterIdentifier": "drkit-dev-us-east-1", "Role": "WRITER"}
    assert writer_down["treat_missing_data"] == "breaching"
    assert writer_down["period"] * writer_down["evaluation_periods"] == 120  # the detection time in the RTO budget


def test_dr_role_trust_policy_is_a_resolved_document(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    role = next(r for r in resources(stack, "aws_iam_role").values() if r["name"] == "drkit-dev-dr-operations")
    assert role["assume_role_policy"].startswith("${data.aws_iam_policy_document.dr_operations_operator_trust")
    trust = documents(stack, "dr_operations_operator_trust")
    (statement,) = trust["statement"]
    assert statement["actions"] == ["sts:AssumeRole"]
    (principal,) = statement["principals"]
    assert principal["type"] == "AWS"
    assert principal["identifiers"] == ["arn:aws:iam::${data.aws_caller_identity.caller.account_id}:root"]
    assert all(":rds:" not in identifier for identifier in principal["identifiers"])
    (condition,) = statement["condition"]
    assert condition == {
        "test": "StringEquals",
        "variable": "sts:ExternalId",
        "values": [cdktf_environments()["dev"]["dr_operations"]["external_id"]],
    }


def test_dr_permissions_are_scoped(stacks: dict[str, Any]) -> None:
    for prefix in ("dr_operations_operator_permissions", "dr_operations_runbook_permissions"):
        statements = {s["sid"]: s for s in documents(stacks["dev"], prefix)["statement"]}
        for sid, statement in statements.items():
            assert all("*" not in action for action in statement["actions"]), sid
            if statement["resources"] == ["*"]:
                assert statement["actions"] == ["cloudwatch:GetMetricData"], sid
        assert statements["MoveTheWriter"]["resources"][0].endswith(":global-cluster:drkit-dev")
        assert statements["FailoverRecords"]["resources"][0].startswith("arn:aws:route53:::hostedzone/${aws_route53_zone.")
    operator = {s["sid"] for s in documents(stacks["dev"], "dr_operations_operator_permissions")["statement"]}
    assert "InvokeRunbook" in operator and "Logs" not in operator


def test_runbook_lambda_in_every_region_one_at_a_time(stacks: dict[str, Any]) -> None:
    runbooks = [f for f in resources(stacks["dev"], "aws_lambda_function").values() if f["function_name"] == "drkit-dev-failover-runbook"]
    assert sorted(f["provider"] for f in runbooks) == ["aws.primary", "aws.secondary"]
    assert all(f["reserved_concurrent_executions"] == 1 and f["handler"] == "failover.handler.lambda_handler" for f in runbooks)


def test_trusted_principals_from_config(tmp_path: Any) -> None:
    from constructs_lib.config import parse_environments
    from constructs_lib.synth import stack_json, synthesize
    from tests.helpers import minimal_environment

    operator = "arn:aws:iam::111122223333:role/dr-operator"
    settings = parse_environments(
        {"qa": minimal_environment(dr_operations={"external_id": "qa-ops-7f3a", "trusted_principals": [operator]})}, source="test"
    )
    synthesize(settings, tmp_path / "out")
    trust = documents(stack_json(tmp_path / "out", "dr-qa"), "dr_operations_operator_trust")
    assert trust["statement"][0]["principals"][0]["identifiers"] == [operator]
    assert trust["statement"][0]["condition"][0]["values"] == ["qa-ops-7f3a"]


def test_rto_budget_over_target_fails_with_the_numbers() -> None:
    import pytest

    from constructs_lib.config import ConfigError, parse_environments
    from tests.helpers import minimal_environment

    with pytest.raises(ConfigError) as raised:
        parse_environments({"qa": minimal_environment(dns_ttl_seconds=300)}, source="test")
    assert str(raised.value) == (
        "qa.rto_target_seconds: 300 is less than the recovery budget: RTO 510 s = detection 120 s (2 x 60 s alarm) "
        "+ health check 30 s + promotion 60 s + DNS TTL 300 s (target 300 s); RPO <= 5 s (lag alarm threshold)"
    )
