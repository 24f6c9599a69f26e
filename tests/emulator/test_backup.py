"""AWS Backup as the provider uses it: vaults with locks, plans with cross-region copies, selections."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Aws

pytestmark = pytest.mark.emulator


def plan_with_selection(aws: Aws) -> tuple[str, str]:
    backup = aws("backup")
    backup.create_backup_vault(BackupVaultName="v")
    plan = backup.create_backup_plan(BackupPlan={"BackupPlanName": "p", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}]})["BackupPlanId"]
    selection = backup.create_backup_selection(
        BackupPlanId=plan,
        BackupSelection={
            "SelectionName": "db",
            "IamRoleArn": "arn:aws:iam::123456789012:role/b",
            "Resources": ["arn:aws:rds:us-east-1:123456789012:cluster:c"],
        },
    )["SelectionId"]
    return plan, selection


def test_a_selection_reads_back_and_lists(aws: Aws) -> None:
    plan, selection = plan_with_selection(aws)
    got = aws("backup").get_backup_selection(BackupPlanId=plan, SelectionId=selection)
    assert got["BackupSelection"]["Resources"] == ["arn:aws:rds:us-east-1:123456789012:cluster:c"]
    assert [s["SelectionId"] for s in aws("backup").list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"]] == [selection]


def test_a_plan_with_selections_cannot_be_deleted_until_they_are(aws: Aws) -> None:
    plan, selection = plan_with_selection(aws)
    with pytest.raises(ClientError, match="selections must be deleted"):
        aws("backup").delete_backup_plan(BackupPlanId=plan)
    aws("backup").delete_backup_selection(BackupPlanId=plan, SelectionId=selection)
    aws("backup").delete_backup_plan(BackupPlanId=plan)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        aws("backup").get_backup_selection(BackupPlanId=plan, SelectionId=selection)


def test_a_vault_lists_no_recovery_points_and_a_compliance_lock_reads_back(aws: Aws) -> None:
    backup = aws("backup")
    backup.create_backup_vault(BackupVaultName="v")
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="v")["RecoveryPoints"] == []
    backup.put_backup_vault_lock_configuration(BackupVaultName="v", MinRetentionDays=7, MaxRetentionDays=3650, ChangeableForDays=3)
    vault = backup.describe_backup_vault(BackupVaultName="v")
    assert vault["Locked"] is True and vault["MinRetentionDays"] == 7 and vault["MaxRetentionDays"] == 3650


def test_tags_read_back_whether_or_not_the_path_ends_with_a_slash(aws: Aws) -> None:
    """boto3 sends /tags/<arn>/, the provider's Go SDK /tags/<arn>: both must answer the tags."""
    from moto.backup.responses import BackupResponse

    vault = aws("backup").create_backup_vault(BackupVaultName="v", BackupVaultTags={"Environment": "test"})["BackupVaultArn"]
    assert aws("backup").list_tags(ResourceArn=vault)["Tags"] == {"Environment": "test"}
    response = BackupResponse()
    response.path = f"/tags/{vault}"
    response.current_account, response.region = "123456789012", "us-east-1"
    assert '"Environment": "test"' in response.list_tags()


def test_vault_notifications_are_kept_and_read_back_as_the_provider_reads_them(aws: Aws) -> None:
    """PutBackupVaultNotifications / GetBackupVaultNotifications / DeleteBackupVaultNotifications (moto has none):
    the provider's aws_backup_vault_notifications puts, reads back (vault ARN, events, topic) and deletes; an unknown
    vault or event and a topic of another account are refused, and a vault without notifications reads as not found."""
    backup = aws("backup")
    topic = aws("sns").create_topic(Name="alerts")["TopicArn"]
    vault = backup.create_backup_vault(BackupVaultName="v")["BackupVaultArn"]
    with pytest.raises(ClientError) as missing:
        backup.get_backup_vault_notifications(BackupVaultName="v")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    backup.put_backup_vault_notifications(BackupVaultName="v", SNSTopicArn=topic, BackupVaultEvents=["COPY_JOB_FAILED"])
    got = backup.get_backup_vault_notifications(BackupVaultName="v")
    assert (got["BackupVaultName"], got["BackupVaultArn"], got["SNSTopicArn"], got["BackupVaultEvents"]) == ("v", vault, topic, ["COPY_JOB_FAILED"])
    for name, events, arn, code in (
        ("nope", ["COPY_JOB_FAILED"], topic, "ResourceNotFoundException"),
        ("v", ["COPY_JOB_EXPLODED"], topic, "InvalidParameterValueException"),
        ("v", ["COPY_JOB_FAILED"], "arn:aws:sns:us-east-1:999999999999:alerts", "InvalidParameterValueException"),
    ):
        with pytest.raises(ClientError) as refused:
            backup.put_backup_vault_notifications(BackupVaultName=name, SNSTopicArn=arn, BackupVaultEvents=events)
        assert refused.value.response["Error"]["Code"] == code, (name, events, arn)
    backup.delete_backup_vault_notifications(BackupVaultName="v")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.get_backup_vault_notifications(BackupVaultName="v")
    backup.put_backup_vault_notifications(BackupVaultName="v", SNSTopicArn=topic, BackupVaultEvents=["COPY_JOB_FAILED"])
    backup.delete_backup_vault(BackupVaultName="v")  # the vault's notifications go with it
    backup.create_backup_vault(BackupVaultName="v")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.get_backup_vault_notifications(BackupVaultName="v")
