"""BackupConstruct: AWS Backup of every member cluster, copied to another region, in locked vaults.

Replication copies every mistake to every region within a second (a bad migration, a ``DELETE``
without ``WHERE``, ransomware with stolen credentials): it is not a backup. Per region:

* a **vault** encrypted with that region's key;
* a **backup plan** whose rule backs up that region's member cluster on the configured schedule into
  the region's vault and **copies** each recovery point into the next region's vault. Every member has
  one, so backups continue whichever region holds the writer after a switchover or failover (AWS
  Backup plans and selections are regional: a plan backs up the resources of its own region). AWS
  documents nothing about backing up a *secondary* of a global database: the writer's job, in its own
  region, is the one relied on (DRK009 checks it is there); a secondary's is best effort;
* optionally a **vault lock**: ``compliance`` (immutable once its grace time, ``changeable_for_days``,
  has passed: no one, root included, can delete a recovery point before its retention ends, nor the
  lock) or ``governance`` (removable by a principal allowed ``backup:DeleteBackupVaultLockConfiguration``).
  The provider creates a compliance lock when ``changeable_for_days`` is set and a governance lock
  otherwise (hashicorp/terraform-provider-aws, ``aws_backup_vault_lock_configuration``).

One IAM role (global) lets AWS Backup take and restore the backups, with the AWS-managed service
policies. Unlocked vaults of destroyable environments are created with ``force_destroy`` so that
``destroy`` removes their recovery points too.

A job that fails is reported to the region's alert topic (whose policy and key let AWS Backup publish:
``constructs_lib/alerts.py``, ``constructs_lib/kms.py``):

* a **failed copy** by the vault's SNS notifications, ``COPY_JOB_FAILED``;
* a **failed, expired or aborted backup job** by an EventBridge rule on "Backup Job State Change"
  ("For example, you can receive an alarm when a backup job fails", AWS Backup developer guide, "Monitoring
  AWS Backup events using Amazon EventBridge"). Vault notifications cannot carry only those: the API's
  event enum (botocore ``BackupVaultEvent``) still lists ``BACKUP_JOB_FAILED`` and ``BACKUP_JOB_EXPIRED``,
  but "The list below includes both supported events and deprecated events that are no longer in use ...
  Deprecated events do not return statuses or notifications" (AWS Backup API reference,
  PutBackupVaultNotifications), and the supported ``BACKUP_JOB_COMPLETED`` reports every successful job
  too, a daily message per region on the pager topic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.backup_vault_lock_configuration import BackupVaultLockConfiguration
from cdktf_cdktf_provider_aws.backup_vault_notifications import BackupVaultNotifications
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from constructs_lib.iam import service_trust

SERVICE_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)
# The supported failure event of vault notifications (botocore BackupVaultEvent; supported per the AWS Backup API
# reference, PutBackupVaultNotifications, where BACKUP_JOB_FAILED / BACKUP_JOB_EXPIRED are deprecated and silent).
VAULT_EVENTS = ("COPY_JOB_FAILED",)
# A backup job's end states that are not a backup (botocore BackupJobState: ... ABORTED | COMPLETED | FAILED | EXPIRED).
FAILED_JOB_PATTERN = {"source": ["aws.backup"], "detail-type": ["Backup Job State Change"], "detail": {"state": ["FAILED", "EXPIRED", "ABORTED"]}}


@dataclass(frozen=True, kw_only=True)
class BackupRegion:
    provider: AwsProvider
    region: str
    alias: str
    kms_key_arn: str
    cluster_arn: str  # the member cluster in this region
    copy_to: str  # the region whose vault receives the copies
    alert_topic_arn: str  # the region's alert topic: failed backup and copy jobs are reported there


@dataclass(frozen=True, kw_only=True)
class BackupProps:
    iam_provider: AwsProvider
    name: str  # prefix of every name: <name>-<region> for vaults and plans
    regions: tuple[BackupRegion, ...]
    schedule: str
    start_window_minutes: int
    completion_window_minutes: int
    retention_days: int
    copy_retention_days: int
    lock: str  # none | governance | compliance
    lock_min_retention_days: int
    lock_max_retention_days: int
    lock_changeable_for_days: int
    force_destroy: bool
    protect: bool  # production: vaults and locks are prevent_destroy (they hold the recovery points)


class BackupConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: BackupProps) -> None:
        super().__init__(scope, construct_id)
        trust = service_trust(self, "trust", props.iam_provider, "backup.amazonaws.com")
        self.role = IamRole(self, "role", provider=props.iam_provider, name=f"{props.name}-backup", assume_role_policy=trust.json)
        for index, policy in enumerate(SERVICE_POLICIES):
            IamRolePolicyAttachment(self, f"role_policy_{index}", provider=props.iam_provider, role=self.role.name, policy_arn=policy)
        self.vaults: dict[str, BackupVault] = {}
        for region in props.regions:
            vault = BackupVault(
                self,
                f"{region.alias}_vault",
                provider=region.provider,
                name=f"{props.name}-{region.region}",
                kms_key_arn=region.kms_key_arn,
                force_destroy=props.force_destroy and props.lock == "none",
                # "A vault can be deleted only if it is empty" (AWS Backup API, DeleteBackupVault): a destroy or a
                # replacement of a vault with recovery points fails half-way through the apply. In production it
                # stops at plan time instead (and the plan review refuses it).
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if props.protect else None,
            )
            self.vaults[region.region] = vault
            if props.lock != "none":
                BackupVaultLockConfiguration(
                    self,
                    f"{region.alias}_vault_lock",
                    provider=region.provider,
                    backup_vault_name=vault.name,
                    min_retention_days=props.lock_min_retention_days,
                    max_retention_days=props.lock_max_retention_days,
                    changeable_for_days=props.lock_changeable_for_days if props.lock == "compliance" else None,
                    # Every attribute of the lock forces replacement (provider schema), and AWS refuses to
                    # delete a compliance lock once immutable: a plan that would replace it must stop at plan.
                    lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if props.lock == "compliance" or props.protect else None,
                )
            self._failure_alerts(props.name, region, vault)
        self.vault_arns: dict[str, str] = {region: vault.arn for region, vault in self.vaults.items()}
        for region in props.regions:
            plan = BackupPlan(
                self,
                f"{region.alias}_plan",
                provider=region.provider,
                name=f"{props.name}-{region.region}",
                rule=[
                    BackupPlanRule(
                        rule_name="daily-with-cross-region-copy",
                        target_vault_name=self.vaults[region.region].name,
                        schedule=props.schedule,
                        # Both windows are always sent: terraform-provider-aws (internal/service/backup/plan.go, rule
                        # schema) defaults start_window to 60 and completion_window to 180 minutes, not the console's
                        # 8 hours / 7 days. "If this value is included, it must be at least 60 minutes" (AWS Backup
                        # API, StartWindowMinutes). 180 minutes may not be enough for the first
                        # snapshot of a large cluster, so it is a setting (default: the console's 7 days).
                        start_window=props.start_window_minutes,
                        completion_window=props.completion_window_minutes,
                        lifecycle=BackupPlanRuleLifecycle(delete_after=props.retention_days),
                        copy_action=[
                            BackupPlanRuleCopyAction(
                                destination_vault_arn=self.vault_arns[region.copy_to],
                                lifecycle=BackupPlanRuleCopyActionLifecycle(delete_after=props.copy_retention_days),
                            )
                        ],
                    )
                ],
            )
            BackupSelection(
                self,
                f"{region.alias}_selection",
                provider=region.provider,
                name=f"{props.name}-{region.region}-database",
                plan_id=plan.id,
                iam_role_arn=self.role.arn,
                resources=[region.cluster_arn],
            )

    def _failure_alerts(self, name: str, region: BackupRegion, vault: BackupVault) -> None:
        """The region's failed copies (vault notifications) and failed backup jobs (EventBridge) to its alert topic."""
        BackupVaultNotifications(
            self,
            f"{region.alias}_vault_notifications",
            provider=region.provider,
            backup_vault_name=vault.name,
            sns_topic_arn=region.alert_topic_arn,
            backup_vault_events=list(VAULT_EVENTS),
        )
        rule = CloudwatchEventRule(
            self,
            f"{region.alias}_failed_jobs",
            provider=region.provider,
            name=f"{name}-backup-job-failed",
            description="AWS Backup jobs of this region that failed, expired or were aborted",
            event_pattern=json.dumps(FAILED_JOB_PATTERN),
        )
        CloudwatchEventTarget(
            self, f"{region.alias}_failed_jobs_alert", provider=region.provider, rule=rule.name, arn=region.alert_topic_arn, target_id="alerts"
        )
