"""The plan review: counts per action/type/region, stateful losses, the production guard."""

from __future__ import annotations

from typing import Any

import pytest

from tools.plan_review import action_of, review


def plan(*changes: tuple[str, str, list[str], str]) -> dict[str, Any]:
    return {
        "configuration": {
            "provider_config": {
                "aws.primary": {"expressions": {"region": {"constant_value": "us-east-1"}}},
                "aws.secondary": {"expressions": {"region": {"constant_value": "us-west-2"}}},
            },
            "root_module": {"resources": [{"address": address, "provider_config_key": key} for address, _, _, key in changes]},
        },
        "resource_changes": [
            {"address": address, "type": address.split(".")[0], "change": {"actions": actions}} for address, _, actions, _ in changes
        ],
    }


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["no-op"], "no-op"),
        (["create"], "create"),
        (["update"], "update"),
        (["delete"], "destroy"),
        (["delete", "create"], "replace"),
        (["create", "delete"], "replace"),
        (["read"], "no-op"),
    ],
)
def test_actions(actions: list[str], expected: str) -> None:
    assert action_of(actions) == expected


def test_counts_by_action_type_and_region() -> None:
    result = review(
        plan(
            ("aws_vpc.a", "", ["create"], "aws.primary"),
            ("aws_vpc.b", "", ["create"], "aws.secondary"),
            ("aws_subnet.c", "", ["update"], "aws.primary"),
            ("aws_route.d", "", ["no-op"], "aws.primary"),
        ),
        "dev",
    )
    assert dict(result.counts) == {
        ("create", "aws_vpc", "us-east-1"): 1,
        ("create", "aws_vpc", "us-west-2"): 1,
        ("update", "aws_subnet", "us-east-1"): 1,
    }
    assert result.stateful_losses == () and result.blocked == ()


STATEFUL_REPLACE = plan(
    ("aws_rds_cluster.primary", "", ["delete", "create"], "aws.primary"),
    ("aws_kms_key.k", "", ["delete"], "aws.secondary"),
    ("aws_vpc.a", "", ["delete"], "aws.primary"),
)


def test_production_guard_refuses_stateful_destruction() -> None:
    result = review(STATEFUL_REPLACE, "production")
    assert result.stateful_losses == (("aws_rds_cluster.primary", "replace"), ("aws_kms_key.k", "destroy"))
    assert result.blocked == ("aws_rds_cluster.primary", "aws_kms_key.k")
    assert "REFUSED" in result.render("production")


def test_override_must_name_every_address() -> None:
    partial = review(STATEFUL_REPLACE, "production", frozenset({"aws_kms_key.k"}))
    assert partial.blocked == ("aws_rds_cluster.primary",)
    complete = review(STATEFUL_REPLACE, "production", frozenset({"aws_kms_key.k", "aws_rds_cluster.primary"}))
    assert complete.blocked == ()


def test_other_environments_are_reviewed_but_not_blocked() -> None:
    result = review(STATEFUL_REPLACE, "dev")
    assert len(result.stateful_losses) == 2 and result.blocked == ()
