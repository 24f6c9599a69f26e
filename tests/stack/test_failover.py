"""Synth tests for failover: the private zone, the failover chain, health checks, the DR role, the runbook."""

from __future__ import annotations

import re
from typing import Any

import pytest

from constructs_lib.naming import Names
from constructs_lib.point_of_failure import MANAGED_POLICIES_PER_ROLE, MANAGED_POLICY_MAX, ROLE_INLINE_MAX, Grant, policy_size, reconcile_grants
from functions.failover import contract
from tests.helpers import data_sources, minimal_environment, only, resources


def documents(stack: dict[str, Any], prefix: str) -> dict[str, Any]:
    matches = [d for name, d in data_sources(stack, "aws_iam_policy_document").items() if name.startswith(prefix)]
    assert len(matches) == 1, prefix
    return matches[0]


def dr_role_documents(stack: dict[str, Any]) -> list[dict[str, Any]]:
    """Every policy document of the DR role: its inline policy, its data-recovery managed policies, any overflow."""
    prefixes = ("dr_operations_operator_permissions", "dr_operations_recovery_permissions_", "dr_operations_operator_more_permissions_")
    return [d for name, d in sorted(data_sources(stack, "aws_iam_policy_document").items()) if name.startswith(prefixes)]


def provider_regions(stack: dict[str, Any]) -> dict[str, str]:
    return {f"aws.{p['alias']}": p["region"] for p in stack["provider"]["aws"]}


def test_private_zone_associated_with_every_vpc(stacks: dict[str, Any]) -> None:
    zone = only(resources(stacks["three"], "aws_route53_zone"))
    assert zone["name"] == "three.drkit.internal"
    assert sorted(v["vpc_region"] for v in zone["vpc"]) == ["eu-west-1", "us-east-1", "us-west-2"]
    assert all(v["vpc_id"].startswith("${aws_vpc.") for v in zone["vpc"])


def failover_sets(stack: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    sets: dict[str, dict[str, dict[str, Any]]] = {}
    for record in resources(stack, "aws_route53_record").values():
        if "failover_routing_policy" in record:
            sets.setdefault(record["name"], {})[record["failover_routing_policy"]["type"]] = record
    return sets


def test_two_regions_one_failover_pair(stacks: dict[str, Any]) -> None:
    sets = failover_sets(stacks["dev"])
    assert list(sets) == ["db.dev.drkit.internal"]
    pair = sets["db.dev.drkit.internal"]
    assert pair["PRIMARY"]["ttl"] == 30 and pair["PRIMARY"]["type"] == "CNAME"
    assert "database_primary_cluster" in pair["PRIMARY"]["records"][0]
    assert "database_secondary_us_west_2_cluster" in pair["SECONDARY"]["records"][0]
    assert pair["PRIMARY"]["health_check_id"].startswith("${aws_route53_health_check.failover_dns_writer_in_us_east_1")
    assert "health_check_id" not in pair["SECONDARY"]  # Route 53 answers it whenever the PRIMARY is unhealthy
    writer = [r for r in resources(stacks["dev"], "aws_route53_record").values() if r["name"] == "writer.dev.drkit.internal"]
    assert len(writer) == 1 and "aws_rds_global_cluster" in writer[0]["records"][0]


def test_every_member_is_reachable_by_the_same_name_with_two_secondaries(stacks: dict[str, Any]) -> None:
    """Route 53 has one PRIMARY and one SECONDARY per name: more members form a chain of names."""
    sets = failover_sets(stacks["three"])
    assert sorted(sets) == ["db-after-us-east-1.three.drkit.internal", "db.three.drkit.internal"]
    first, second = sets["db.three.drkit.internal"], sets["db-after-us-east-1.three.drkit.internal"]
    assert "database_primary_cluster" in first["PRIMARY"]["records"][0]
    assert first["SECONDARY"]["records"] == ["db-after-us-east-1.three.drkit.internal"]
    assert "database_secondary_us_west_2_cluster" in second["PRIMARY"]["records"][0]
    assert "database_secondary_eu_west_1_cluster" in second["SECONDARY"]["records"][0]
    assert "writer_in_us_east_1" in first["PRIMARY"]["health_check_id"]
    assert "writer_in_us_west_2" in second["PRIMARY"]["health_check_id"]
    assert "health_check_id" not in second["SECONDARY"]


def resolve(stack: dict[str, Any], name: str, writer_region: str) -> str:
    """What Route 53 answers for ``name`` when only the writer's region passes its writer-healthy check
    (a failover set answers its PRIMARY while that record's health check is healthy, else its SECONDARY)."""
    sets = failover_sets(stack)
    seen = []
    while name in sets:
        seen.append(name)
        assert len(seen) <= len(sets), f"the chain loops: {seen}"
        primary, secondary = sets[name]["PRIMARY"], sets[name]["SECONDARY"]
        judged = re.search(r"writer_in_([a-z]+_[a-z]+_\d)", primary["health_check_id"])
        assert judged, primary["health_check_id"]
        healthy = judged.group(1).replace("_", "-") == writer_region
        name = (primary if healthy else secondary)["records"][0]
    return name


@pytest.mark.parametrize(("name", "regions"), [("dev", ["us-east-1", "us-west-2"]), ("three", ["us-east-1", "us-west-2", "eu-west-1"])])
def test_after_a_role_change_to_any_member_the_database_name_answers_the_new_writer(stacks: dict[str, Any], name: str, regions: list[str]) -> None:
    zone = f"{name}.drkit.internal"
    for writer in regions:
        cluster = "database_primary_cluster" if writer == regions[0] else f"database_secondary_{writer.replace('-', '_')}_cluster"
        answer = resolve(stacks[name], f"db.{zone}", writer)
        assert cluster in answer and answer.endswith(".endpoint}"), (writer, answer)


@pytest.mark.parametrize(("name", "judged"), [("dev", {"us-east-1": "us-west-2"}), ("three", {"us-east-1": "us-west-2", "us-west-2": "eu-west-1"})])
def test_health_checks_read_alarms_outside_the_region_they_judge(stacks: dict[str, Any], name: str, judged: dict[str, str]) -> None:
    stack = stacks[name]
    checks = list(resources(stack, "aws_route53_health_check").values())
    assert all(c["type"] == "CLOUDWATCH_METRIC" for c in checks)  # no CALCULATED check: its status cannot even be read
    alarms = resources(stack, "aws_cloudwatch_metric_alarm")
    seen = {}
    for check in checks:
        alarm_name = check["cloudwatch_alarm_name"]
        assert alarm_name.startswith("${aws_cloudwatch_metric_alarm.")
        region = check["cloudwatch_alarm_region"]
        alarm = alarms[alarm_name.split(".")[1]]
        assert provider_regions(stack)[alarm["provider"]] == region  # the check reads the alarm where it lives
        judged_region = check["tags"]["Name"].rsplit("writer-in-", 1)[-1]
        seen[judged_region] = region
        assert region != judged_region  # the verdict on a region survives that region's outage
        assert check["insufficient_data_health_status"] == "LastKnownStatus"  # an unreachable observer moves nothing
    assert seen == judged


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
    (condition,) = statement["condition"]
    assert condition == {"test": "StringEquals", "variable": "sts:ExternalId", "values": ["drkit-test-dev"]}
    prod = documents(stacks["prod"], "dr_operations_operator_trust")
    assert prod["statement"][0]["principals"][0]["identifiers"] == ["arn:aws:iam::111122223333:role/platform-oncall"]
    # The ExternalId is a confused-deputy control, not authentication: production names its principals and authenticates them.
    assert {(c["test"], c["variable"]): c["values"] for c in prod["statement"][0]["condition"]} == {
        ("StringEquals", "sts:ExternalId"): ["drkit-test-prod"],
        ("Bool", "aws:MultiFactorAuthPresent"): ["true"],
        ("StringEquals", "aws:PrincipalTag/drkit-dr-operator"): ["prod"],
    }


def test_dr_role_trusts_an_arn_pattern_only_through_aws_principal_arn(tmp_path: Any) -> None:
    """``trusted_principal_patterns``: the account as principal, and only with ``ArnLike aws:PrincipalArn`` (IAM User Guide,
    "AWS JSON policy elements: Principal": a role ARN in a trust policy breaks when the role is re-created; "AWS does not
    convert condition key ARNs to IDs"); the named principals keep their own statement, with the same conditions."""
    from pathlib import Path

    from constructs_lib.config import parse_environments
    from constructs_lib.synth import stack_json, synthesize

    pattern = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_DROperators_*"
    dr = {"external_id": "e1", "trusted_principals": ["arn:aws:iam::111122223333:role/oncall"], "trusted_principal_patterns": [pattern],
          "principal_tags": {"drkit-dr-operator": "qa"}}  # fmt: skip
    settings = parse_environments({"qa": minimal_environment(environment="production", account_id="111122223333", dr_operations=dr)}, source="test")
    synthesize(settings, Path(tmp_path) / "out")
    statements = {s["sid"]: s for s in documents(stack_json(Path(tmp_path) / "out", "dr-qa"), "dr_operations_operator_trust")["statement"]}
    assert set(statements) == {"OperatorsWithExternalId", "OperatorsByPrincipalArn"}
    named, patterned = statements["OperatorsWithExternalId"], statements["OperatorsByPrincipalArn"]
    assert named["principals"][0]["identifiers"] == ["arn:aws:iam::111122223333:role/oncall"]
    assert patterned["actions"] == ["sts:AssumeRole"]
    assert patterned["principals"] == [{"type": "AWS", "identifiers": ["arn:aws:iam::111122223333:root"]}]
    conditions = {(c["test"], c["variable"]): c["values"] for c in patterned["condition"]}
    assert conditions == {
        ("StringEquals", "sts:ExternalId"): ["e1"],
        ("StringEquals", "aws:PrincipalTag/drkit-dr-operator"): ["qa"],
        ("ArnLike", "aws:PrincipalArn"): [pattern],
    }


def test_dr_role_permissions_are_exactly_the_runbook_and_the_cli(stacks: dict[str, Any]) -> None:
    inline = {s["sid"] for s in documents(stacks["dev"], "dr_operations_operator_permissions")["statement"]}
    operator = {s["sid"]: s for d in dr_role_documents(stacks["dev"]) for s in d["statement"]}
    assert len(operator) == sum(len(d["statement"]) for d in dr_role_documents(stacks["dev"]))  # statement ids unique across them
    restore = {"RestoreBesideTheDatabase", "RestoredInstances", "TagRestores", "ReadRestores", "ReadInstances", "DiscardRestoredInstances",
               "DiscardRestores", "RestoreEncrypted", "RestoreKeys"}  # fmt: skip
    # one data-recovery set in managed policies: the restore's, and the reconciliation's but what the restore already gives
    reconcile = {g.sid for g in reconcile_grants(Names("dev"), "1", ())} - {"ReconcileEncrypted", "ReconcileKeys"}
    assert set(operator) - inline == restore | reconcile  # constructs_lib.point_of_failure, each shown needed in tests/emulator
    assert set(operator) == {
        "MoveTheWriter",
        "ReadTopology",
        "ReadMembers",
        "ReadLag",
        "FailoverRecords",
        "HealthStatus",
        "AuditTrail",
        "EncryptedTopics",
        "FindZone",
        "InvokeRunbook",
        "ReachAppClusters",
        "RestoreBesideTheDatabase",
        "RestoredInstances",
        "TagRestores",
        "ReadRestores",
        "ReadInstances",
        "DiscardRestoredInstances",
        "DiscardRestores",
        "RestoreEncrypted",
        "RestoreKeys",
        "RearmAutomation",  # read and remove the failover automation's latch (tests/stack/test_writer_probe.py)
        "RecordLossyFailover",
        *reconcile,
    }
    # what it may create or delete is only ever a restore (``<cluster>-restore-*``), never a member
    for sid in ("RestoredInstances", "TagRestores", "ReadRestores", "DiscardRestoredInstances", "DiscardRestores"):
        creatable = [r for r in operator[sid]["resources"] if ":pg:default." not in r and ":og:default:" not in r]  # the engine's default groups
        assert creatable and all("-restore-" in r for r in creatable), sid
    assert operator["RestoreEncrypted"]["condition"] == [{"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]}]
    assert operator["MoveTheWriter"]["actions"] == ["rds:SwitchoverGlobalCluster", "rds:FailoverGlobalCluster"]
    assert operator["MoveTheWriter"]["resources"][0].endswith(":global-cluster:drkit-dev")
    assert sorted(r.rsplit(":", 1)[-1] for r in operator["MoveTheWriter"]["resources"][1:]) == ["drkit-dev-us-east-1", "drkit-dev-us-west-2"]
    for sid, statement in operator.items():
        assert "*" not in statement["actions"], sid
        if statement["resources"] == ["*"]:  # only actions without resource-level permissions
            assert statement["actions"] in (["cloudwatch:GetMetricData"], ["route53:ListHostedZonesByName"]), sid
        assert not any(a.startswith(("sns:List", "rds:Modify")) for a in statement["actions"]), sid
    runbook = {s["sid"] for s in documents(stacks["dev"], "dr_operations_runbook_permissions")["statement"]}
    assert "InvokeRunbook" not in runbook and "FindZone" not in runbook and "Logs" in runbook
    assert "RecordLossyFailover" in runbook and not any(sid.startswith("Reconcile") for sid in runbook)


def test_every_action_of_the_dr_role_names_each_resource_type_the_reference_requires(stacks: dict[str, Any]) -> None:
    """Service Authorization Reference: "If you limit resource access with the Resource element ..., you must include an
    ARN or pattern for each required resource type" (the table the emulator enforces; ``make scan``'s linter checks every
    policy the same way). The restore once lacked ``og``, the discard ``cluster-snapshot``."""
    from drkit_lab.emulator.patches.sar import pattern_names_type, required_types

    for statement in (s for d in dr_role_documents(stacks["prod"]) for s in d["statement"]):
        for action in statement["actions"]:
            required = required_types(action)
            assert required is not None, f"{action}: not in drkit_lab/emulator/patches/sar_resource_types.json"
            service = action.split(":", 1)[0]
            for rtype in required:
                named = [r for r in statement["resources"] if pattern_names_type(r.replace("${data.aws_caller_identity.caller.account_id}", "1"),
                                                                                  service, "us-east-1", "1", rtype) or r.startswith("${")]  # fmt: skip
                assert named, f"{statement['sid']}: {action} names no {rtype} resource"


def test_runbook_per_region_never_retries_a_stale_request(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    functions = [f for f in resources(stack, "aws_lambda_function").values() if f["function_name"] == "drkit-dev-failover-runbook"]
    assert sorted(f["provider"] for f in functions) == ["aws.primary", "aws.secondary"]
    for function in functions:
        assert function["reserved_concurrent_executions"] == 1
        assert function["handler"] == "functions.failover.handler.lambda_handler"  # packaged with the monitor's preserve module
        variables = function["environment"]["variables"]
        assert variables[contract.Env.GLOBAL_CLUSTER_ID] == "drkit-dev"
        assert variables[contract.Env.RECORD_NAMES] == "db.dev.drkit.internal"
        assert variables[contract.Env.SWITCHOVER_MAX_LAG_SECONDS] == "5"
        assert "017000801446:layer:AWSLambdaPowertoolsPythonV3" in function["layers"][0]
    configs = [c for name, c in resources(stack, "aws_lambda_function_event_invoke_config").items() if name.startswith("dr_operations_")]
    assert len(configs) == 2
    for config in configs:
        # Lambda retries a failed asynchronous request for up to 6 hours by default; a late "failover --to A"
        # must never run after the operator moved the writer to B.
        assert config["maximum_retry_attempts"] == 0
        assert config["maximum_event_age_in_seconds"] == contract.MAX_REQUEST_AGE_SECONDS == 60


def test_every_chain_name_reaches_the_runbook(stacks: dict[str, Any]) -> None:
    functions = [f for f in resources(stacks["three"], "aws_lambda_function").values() if f["function_name"] == "drkit-three-failover-runbook"]
    assert len(functions) == 3
    assert {f["environment"]["variables"][contract.Env.RECORD_NAMES] for f in functions} == {
        "db.three.drkit.internal,db-after-us-east-1.three.drkit.internal"
    }


def rendered_size(document: dict[str, Any]) -> int:
    """The size IAM counts of a synthesized policy document (references resolved as ``point_of_failure.policy_size`` does)."""
    grants = tuple(
        Grant(
            sid=st.get("sid", ""), actions=tuple(st["actions"]), resources=tuple(st["resources"]),
            condition=tuple((c["test"], c["variable"], tuple(c["values"])) for c in st.get("condition", [])),
        )
        for st in document["statement"]
    )  # fmt: skip
    return policy_size(grants)


@pytest.mark.parametrize("name", ["dev", "prod", "three"])
def test_the_dr_role_s_and_the_runbook_s_policies_fit_iam_s_quotas(stacks: dict[str, Any], name: str) -> None:
    """IAM and AWS STS quotas: a role's inline policies 10,240 characters together, a managed policy 6,144, 10 managed
    policies attached to a role (the default). The emulator refuses the sizes too (``policy_size_quotas``); eleven
    regions are measured in tests/unit/test_iam_quotas.py."""
    stack = stacks[name]
    policies = data_sources(stack, "aws_iam_policy_document")
    for role in ("operator", "runbook"):
        assert rendered_size(documents(stack, f"dr_operations_{role}_permissions")) <= ROLE_INLINE_MAX
    managed = {
        key: d
        for key, d in policies.items()
        if key.startswith(("dr_operations_recovery_permissions_", "dr_operations_operator_more_", "dr_operations_runbook_more_"))
    }
    assert managed and all(rendered_size(d) <= MANAGED_POLICY_MAX for d in managed.values())
    attached = [a for a in resources(stack, "aws_iam_role_policy_attachment").values() if "${aws_iam_policy.dr_operations_" in str(a["policy_arn"])]
    assert len(attached) == len(managed) and len(attached) <= MANAGED_POLICIES_PER_ROLE
