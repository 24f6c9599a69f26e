"""Synth tests for data protection: AWS Backup per member, cross-region copies, vault locks, enforced RPO, restore rights."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import data_sources, resources

REGIONS = {"dev": ["us-east-1", "us-west-2"], "prod": ["us-east-1", "us-west-2"], "three": ["us-east-1", "us-west-2", "eu-west-1"]}


def provider_region(stack: dict[str, Any], alias: str) -> str:
    return next(p["region"] for p in stack["provider"]["aws"] if f"aws.{p['alias']}" == alias)


@pytest.mark.parametrize("name", ["dev", "prod", "three"])
def test_every_member_is_backed_up_in_its_region_and_copied_to_the_next(stacks: dict[str, Any], name: str) -> None:
    stack = stacks[name]
    regions = REGIONS[name]
    vaults = resources(stack, "aws_backup_vault")
    vault_region = {vault_id: provider_region(stack, v["provider"]) for vault_id, v in vaults.items()}
    assert sorted(vault_region.values()) == sorted(regions)
    for vault in vaults.values():
        assert vault["kms_key_arn"].startswith("${aws_kms_key.")  # the region's own key
    plans = resources(stack, "aws_backup_plan")
    selections = resources(stack, "aws_backup_selection")
    assert len(plans) == len(selections) == len(regions)
    copied_to = {}
    for plan_id, plan in plans.items():
        region = provider_region(stack, plan["provider"])
        (rule,) = plan["rule"]
        (copy,) = rule["copy_action"]
        target = next(v for v in vaults if f"aws_backup_vault.{v}.arn" in copy["destination_vault_arn"])
        copied_to[region] = vault_region[target]
        assert any(f"aws_backup_plan.{plan_id}.id" in s["plan_id"] and provider_region(stack, s["provider"]) == region for s in selections.values())
    # A copy never stays in its own region, and every region's backups land somewhere else.
    assert all(source != target for source, target in copied_to.items()) and sorted(copied_to) == sorted(regions)
    for selection in selections.values():
        (cluster,) = selection["resources"]
        assert "aws_rds_cluster.database_" in cluster


def test_production_vaults_are_compliance_locked_and_never_force_destroyed(stacks: dict[str, Any]) -> None:
    locks = resources(stacks["prod"], "aws_backup_vault_lock_configuration")
    assert len(locks) == 2 and all(lock["changeable_for_days"] >= 3 for lock in locks.values())
    assert all(lock["min_retention_days"] <= 35 <= lock["max_retention_days"] for lock in locks.values())
    assert not any(v.get("force_destroy") for v in resources(stacks["prod"], "aws_backup_vault").values())


def test_production_vaults_are_state_a_destroy_stops_at_plan(stacks: dict[str, Any]) -> None:
    """A vault holding recovery points cannot be deleted (AWS Backup DeleteBackupVault: only if it is empty): in
    production a destroy or replacement must stop at plan time, as for the clusters."""
    vaults = resources(stacks["prod"], "aws_backup_vault")
    assert len(vaults) == 2 and all(v["lifecycle"] == {"prevent_destroy": True} for v in vaults.values())
    assert not any("lifecycle" in v for v in resources(stacks["dev"], "aws_backup_vault").values())


def test_other_environments_stay_destroyable(stacks: dict[str, Any]) -> None:
    assert resources(stacks["dev"], "aws_backup_vault_lock_configuration") == {}
    assert all(v["force_destroy"] for v in resources(stacks["dev"], "aws_backup_vault").values())
    governance = resources(stacks["three"], "aws_backup_vault_lock_configuration")
    assert governance and not any("changeable_for_days" in lock for lock in governance.values())  # governance: removable
    assert not any("lifecycle" in lock for lock in governance.values())
    compliance = resources(stacks["prod"], "aws_backup_vault_lock_configuration")
    assert compliance and all(lock["lifecycle"] == {"prevent_destroy": True} for lock in compliance.values())  # replacing one must stop at plan


def test_enforced_rpo_on_every_member_when_configured(stacks: dict[str, Any]) -> None:
    groups = resources(stacks["three"], "aws_rds_cluster_parameter_group")
    assert len(groups) == 3  # every member: the RPO is judged by whichever is the writer
    for group in groups.values():
        assert {"name": "rds.global_db_rpo", "value": "30", "apply_method": "immediate"} in group["parameter"]
    for group in resources(stacks["dev"], "aws_rds_cluster_parameter_group").values():
        assert all(p["name"] != "rds.global_db_rpo" for p in group["parameter"])


def test_the_dr_role_may_create_and_delete_only_restores(stacks: dict[str, Any]) -> None:
    documents = [  # the inline policy, and the data-recovery set in managed policies (restore and reconciliation)
        d
        for name, d in data_sources(stacks["three"], "aws_iam_policy_document").items()
        if name.startswith(("dr_operations_operator_permissions", "dr_operations_recovery_permissions_"))
    ]
    statements = {s["sid"]: s for document in documents for s in document["statement"]}
    for sid in ("DiscardRestores", "DiscardRestoredInstances", "RestoredInstances", "TagRestores"):
        created = [r for r in statements[sid]["resources"] if ":pg:default." not in r and ":og:default:" not in r]  # engine default groups
        assert created and all("-restore-*" in resource for resource in created), sid
    assert sum(":default" in r for r in statements["RestoredInstances"]["resources"]) == 6  # pg and og, in each region
    restore = statements["RestoreBesideTheDatabase"]["resources"]
    assert sum(r.endswith("-restore-*") for r in restore) == 3  # the new cluster, in each region


def policy_statements(stack: dict[str, Any], prefix: str, provider: str) -> dict[str, dict[str, Any]]:
    (document,) = [d for n, d in data_sources(stack, "aws_iam_policy_document").items() if n.startswith(prefix) and d["provider"] == provider]
    return {s["sid"]: s for s in document["statement"]}


@pytest.mark.parametrize("name", ["dev", "prod", "three"])
def test_a_failed_backup_or_copy_job_reaches_the_regions_alert_topic(stacks: dict[str, Any], name: str) -> None:
    """Failed copies: the vault's SNS notifications, COPY_JOB_FAILED (a supported event; BACKUP_JOB_FAILED and
    BACKUP_JOB_EXPIRED are in the API's enum but deprecated: "Deprecated events do not return statuses or
    notifications", AWS Backup API reference, PutBackupVaultNotifications). Failed, expired or aborted backup jobs:
    EventBridge's "Backup Job State Change". Both go to the region's own alert topic, which AWS Backup may publish to,
    through the region's key."""
    stack = stacks[name]
    vaults = resources(stack, "aws_backup_vault")
    notifications = resources(stack, "aws_backup_vault_notifications")
    topics = {b["provider"]: n for n, b in resources(stack, "aws_sns_topic").items()}
    assert len(notifications) == len(vaults) == len(REGIONS[name])
    for body in notifications.values():
        vault = next(v for v, vb in vaults.items() if f"aws_backup_vault.{v}.name" in body["backup_vault_name"])
        assert vaults[vault]["provider"] == body["provider"]
        assert body["sns_topic_arn"] == f"${{aws_sns_topic.{topics[body['provider']]}.arn}}"
        assert body["backup_vault_events"] == ["COPY_JOB_FAILED"]
    rules = {b["provider"]: b for b in resources(stack, "aws_cloudwatch_event_rule").values() if "aws.backup" in b.get("event_pattern", "")}
    assert sorted(rules) == sorted(topics)
    for provider, rule in rules.items():
        assert json.loads(rule["event_pattern"]) == {
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change"],
            "detail": {"state": ["FAILED", "EXPIRED", "ABORTED"]},
        }
        targets = resources(stack, "aws_cloudwatch_event_target").values()
        (target,) = [t for t in targets if t["provider"] == provider and t["arn"].startswith("${aws_sns_topic.")]
        assert target["arn"] == f"${{aws_sns_topic.{topics[provider]}.arn}}"
        alias = provider.split(".")[1]
        publish = policy_statements(stack, f"{alias}_alerts_policy", provider)["BackupNotificationsPublish"]
        assert publish["actions"] == ["sns:Publish"] and publish["principals"] == [{"type": "Service", "identifiers": ["backup.amazonaws.com"]}]
        use = policy_statements(stack, f"{alias}_key_policy", provider)["BackupNotificationsUseKey"]
        assert sorted(use["actions"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert use["principals"] == [{"type": "Service", "identifiers": ["backup.amazonaws.com"]}]
        assert [(c["test"], c["variable"]) for c in use["condition"]] == [("StringLike", "kms:EncryptionContext:aws:sns:topicArn")]
