"""The IAM linter of `make scan`: policy documents rendered with well-formed ARNs, parliament's verdicts, suppressions."""

from __future__ import annotations

from typing import Any

import pytest

from tools.iam_lint import Document, Finding, UnresolvedReference, documents, lint, resolve
from tools.iam_lint_suppressions import SUPPRESSIONS, matching

ACCOUNT = "111122223333"  # the prod fixture's account


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def rds(kind: str, name: str) -> str:
    return f"arn:aws:rds:us-east-1:{ACCOUNT}:{kind}:{name}"


def test_references_become_arns_of_their_service_type_region_and_account(stacks: dict[str, Any]) -> None:
    stack = stacks["prod"]
    (topic,) = [n for n, b in stack["resource"]["aws_sns_topic"].items() if b["provider"] == "aws.secondary"]
    assert resolve(f"${{aws_sns_topic.{topic}.arn}}", stack, "us-east-1") == f"arn:aws:sns:us-west-2:{ACCOUNT}:drkit-prod-alerts"
    assert resolve("arn:aws:rds::${data.aws_caller_identity.caller.account_id}:global-cluster:g", stack, "us-east-1") == (
        f"arn:aws:rds::{ACCOUNT}:global-cluster:g"
    )
    with pytest.raises(UnresolvedReference, match=r"no linter format for aws_vpc\.id"):
        resolve("${aws_vpc.x.id}", stack, "us-east-1")


def test_every_policy_document_of_a_stack_is_linted_and_a_trust_policy_is_about_its_role(stacks: dict[str, Any]) -> None:
    stack = stacks["prod"]
    found = {d.address.rsplit(".", 1)[1]: d for d in documents("dr-prod", stack)}
    assert len(found) == len(stack["data"]["aws_iam_policy_document"])
    (trust,) = [d for name, d in found.items() if name.startswith("dr_operations_operator_trust")]
    assert trust.policy["Statement"][0]["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/drkit-prod-dr-operations"
    assert "${" not in str([d.policy for d in found.values()])


def test_an_action_without_a_resource_type_it_requires_fails() -> None:
    """The finding of the third review: RestoreDBClusterToPointInTime requires og* (Service Authorization Reference)."""
    restore = policy({"Effect": "Allow", "Action": "rds:RestoreDBClusterToPointInTime",
                      "Resource": [rds("cluster", "c"), rds("cluster-pg", "c"), rds("subgrp", "c")]})  # fmt: skip
    (finding,) = lint([Document("t", "restore", restore)])
    assert finding.issue == "RESOURCE_MISMATCH" and "rds:RestoreDBClusterToPointInTime" in finding.detail and ":og:" in finding.detail
    restore["Statement"][0]["Resource"].append(rds("og", "default:aurora-postgresql-*"))
    assert lint([Document("t", "restore", restore)]) == []


def test_a_resource_no_action_of_its_statement_takes_fails() -> None:
    wrong = policy({"Effect": "Allow", "Action": "rds:DescribeDBClusters", "Resource": [rds("cluster", "c"), rds("db", "c-1")]})
    (finding,) = lint([Document("t", "read", wrong)])
    assert finding.issue == "RESOURCE_TYPE_NOT_TAKEN" and rds("db", "c-1") in finding.detail


def test_the_shipped_dr_role_lints_clean(stacks: dict[str, Any]) -> None:
    operator = [d for d in documents("dr-prod", stacks["prod"]) if "dr_operations_" in d.address]
    assert len(operator) == 6  # the DR role's trust and inline policy, its two data-recovery managed policies; the runbook role's two
    unexplained = [f for f in lint(operator) if matching(f) is None]
    assert unexplained == []


def test_suppressions_are_narrow_and_explained() -> None:
    for suppression in SUPPRESSIONS:
        assert len(suppression.reason) > 60 and suppression.documents.startswith("data.aws_iam_policy_document.")
        # the key policies' AWS-documented forms, the one service parliament's data does not know yet, or ARC's documented
        # Aurora describes on "*" for its execution role (and nothing else of that role)
        assert (
            "*_key_policy_*" in suppression.documents
            or (suppression.issue == "UNKNOWN_PREFIX" and suppression.detail == "Unknown prefix arc-region-switch")
            or (suppression.documents.endswith("_region_switch_execution_permissions_*") and suppression.detail == '[[]"rds:Describe*Clusters"]')
        )
    key = "data.aws_iam_policy_document.primary_key_policy_DDD99111"
    assert matching(Finding("s", key, "RESOURCE_STAR", "LOW", "[...]")) is not None
    assert matching(Finding("s", "data.aws_iam_policy_document.dr_operations_operator_permissions_X", "RESOURCE_STAR", "LOW", "[]")) is None
    assert matching(Finding("s", key, "RESOURCE_MISMATCH", "MEDIUM", "[]")) is None
    execution = "data.aws_iam_policy_document.secondary_region_switch_execution_permissions_X"
    assert matching(Finding("s", execution, "RESOURCE_STAR", "LOW", '["rds:DescribeDBClusters"]')) is not None
    assert matching(Finding("s", execution, "RESOURCE_STAR", "LOW", '["rds:FailoverGlobalCluster"]')) is None


def test_the_scan_venv_keeps_pkg_resources_whatever_python_creates_it() -> None:
    """parliament 1.6.4 does ``import pkg_resources``. setuptools 82.0.0 removed it ("``pkg_resources`` has been removed
    from Setuptools", setuptools NEWS.rst, v82.0.0), and Python 3.12's venv no longer seeds setuptools at all: the scan's
    requirements must ask for a setuptools that still has it."""
    from packaging.requirements import Requirement

    from tests.helpers import PROJECT_DIR

    lines = (PROJECT_DIR / "tools" / "checkov-requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    (setuptools,) = [r for r in requirements if r.name == "setuptools"]
    assert setuptools.specifier.contains("81.0.0") and not setuptools.specifier.contains("82.0.0")
