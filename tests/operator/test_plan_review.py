"""The plan review: counts per action/type/region, stateful losses, the production guard."""

from __future__ import annotations

from typing import Any

import pytest

from drkit.plan_review import action_of, review


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


def test_a_backup_vault_is_state_in_production() -> None:
    """A vault with recovery points cannot be deleted (AWS Backup DeleteBackupVault) and a compliance lock cannot be
    removed once immutable: destroying or replacing either is refused like a cluster's."""
    vaults = plan(
        ("aws_backup_vault.primary_vault", "", ["delete", "create"], "aws.primary"),
        ("aws_backup_vault_lock_configuration.primary_vault_lock", "", ["delete"], "aws.primary"),
    )
    result = review(vaults, "production")
    assert result.blocked == ("aws_backup_vault.primary_vault", "aws_backup_vault_lock_configuration.primary_vault_lock")
    assert review(vaults, "dev").blocked == ()


def test_override_must_name_every_address() -> None:
    partial = review(STATEFUL_REPLACE, "production", frozenset({"aws_kms_key.k"}))
    assert partial.blocked == ("aws_rds_cluster.primary",)
    complete = review(STATEFUL_REPLACE, "production", frozenset({"aws_kms_key.k", "aws_rds_cluster.primary"}))
    assert complete.blocked == ()


def test_other_environments_are_reviewed_but_not_blocked() -> None:
    result = review(STATEFUL_REPLACE, "dev")
    assert len(result.stateful_losses) == 2 and result.blocked == ()


def membership_plan(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    document = plan(("aws_rds_cluster.database_primary_cluster_ABC", "", ["update"], "aws.primary"))
    document["resource_changes"][0]["change"].update(before=before, after=after)
    return document


@pytest.mark.parametrize("environment", ["dev", "staging", "production"])
def test_an_in_place_membership_change_is_refused_in_every_environment(environment: str) -> None:
    """After a switchover a member reports the new writer; a plan setting it to null would promote (split) it."""
    writer = "arn:aws:rds:us-west-2:123456789012:cluster:drkit-dev-us-west-2"
    result = review(
        membership_plan(
            {"replication_source_identifier": writer, "global_cluster_identifier": "drkit-dev"}, {"global_cluster_identifier": "drkit-dev"}
        ),
        environment,
    )
    assert result.membership_changes == (("aws_rds_cluster.database_primary_cluster_ABC", "replication_source_identifier", writer, None),)
    assert result.membership_blocked == ("aws_rds_cluster.database_primary_cluster_ABC",) and result.refused
    assert "REFUSED: this plan would detach or promote members of the global database" in result.render(environment)
    allowed = review(
        membership_plan({"replication_source_identifier": writer}, {}),
        environment,
        allowed_membership=frozenset({"aws_rds_cluster.database_primary_cluster_ABC"}),
    )
    assert not allowed.refused


def test_detaching_from_the_global_cluster_is_refused() -> None:
    result = review(membership_plan({"global_cluster_identifier": "drkit-dev"}, {"global_cluster_identifier": None}), "dev")
    assert result.membership_changes[0][1:] == ("global_cluster_identifier", "drkit-dev", None) and result.refused


def test_other_cluster_updates_pass() -> None:
    result = review(membership_plan({"backup_retention_period": 7}, {"backup_retention_period": 14}), "production")
    assert result.membership_changes == () and not result.refused


def engine_plan(actions: list[str], status: str, before: str | None = "17.5", after: str = "17.5") -> dict[str, Any]:
    document = plan(("aws_rds_cluster.database_secondary_eu_west_1_cluster_X", "", actions, "aws.primary"))
    document["resource_changes"][0]["change"].update(before=None if before is None else {"engine_version": before}, after={"engine_version": after})
    document["checks"] = [
        {"address": {"kind": "check", "name": "engine_version_eu_west_1", "to_display": "check.engine_version_eu_west_1"}, "status": status}
    ]
    return document


def test_a_withdrawn_version_warns_a_running_stack_but_blocks_a_new_cluster() -> None:
    steady = review(engine_plan(["update"], "fail"), "production")  # e.g. tags changed; the version is not
    assert steady.engine_refusal is None and not steady.refused
    new_member = review(engine_plan(["create"], "fail", before=None), "dev")
    assert new_member.refused and new_member.engine_refusal is not None
    assert "engine_version_eu_west_1 failed" in new_member.engine_refusal
    upgrade = review(engine_plan(["update"], "fail", before="17.4", after="17.5"), "dev")
    assert upgrade.refused
    assert not review(engine_plan(["create"], "pass", before=None), "dev").refused
