"""RegionalKeyConstruct: one customer-managed KMS key per region for every service that stores data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from constructs_lib.props import DEFAULT, DOC, check

# Services that use the key with their own principal (log delivery, encrypted SNS publishers).
SERVICE_PRINCIPALS = ("sns.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com")
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*", "kms:Encrypt", "kms:ReEncrypt*", "kms:DescribeKey"]
# AWS KMS API reference: PendingWindowInDays 7-30; CreateAlias: alias/ followed by [a-zA-Z0-9/_-]+, and alias/aws/ is AWS's.
MIN_DELETION_WINDOW, MAX_DELETION_WINDOW = 7, 30
ALIAS_NAME = re.compile(r"[a-zA-Z0-9/_-]{1,250}")


@dataclass(frozen=True, kw_only=True)
class RegionalKeyProps:
    provider: AwsProvider = field(metadata={DOC: "the AWS provider of the key's region"})
    region: str = field(metadata={DOC: "the region of `provider` (CloudWatch Logs of this region may use the key)"})
    account_id: str = field(metadata={DOC: "the account whose IAM policies decide access to the key"})
    alias_name: str = field(metadata={DOC: "the key's alias, without `alias/`"})
    protect: bool = field(default=False, metadata={DOC: "`prevent_destroy` on the key: a plan that would delete it fails"})
    deletion_window_days: int = field(default=30, metadata={DOC: "days a deleted key can still be recovered (AWS: 7 to 30)"})
    description: str | None = field(default=None, metadata={DOC: "the key's description", DEFAULT: "`data key for <alias_name> in <region>`"})

    def __post_init__(self) -> None:
        check(
            MIN_DELETION_WINDOW <= self.deletion_window_days <= MAX_DELETION_WINDOW,
            "deletion_window_days",
            f"{MIN_DELETION_WINDOW} to {MAX_DELETION_WINDOW}, got {self.deletion_window_days}",
        )
        check(
            bool(ALIAS_NAME.fullmatch(self.alias_name)) and not self.alias_name.startswith(("alias/", "aws/")),
            "alias_name",
            f"{self.alias_name!r}: letters, digits, '/', '_' and '-' only, without 'alias/' and not under 'aws/'",
        )


class RegionalKeyConstruct(Construct):
    """A rotating KMS key whose policy names the account and the services that use the key.

    The first statement is AWS's default key policy: the account root gets ``kms:*``, which
    *delegates* access control to IAM policies ("Allows access to the AWS account and enables IAM
    policies", KMS developer guide, key-policy-default). Access is therefore decided by IAM, where
    every drkit role names this key's ARN. A further root statement conditioned on
    ``kms:ViaService`` would restrict nothing next to ``kms:*`` (an allow cannot narrow another
    allow), so there is none; only services acting as their own principal (CloudWatch Logs, and the
    alarm, event and AWS Backup publishers of encrypted topics) need statements of their own.

    A publisher to a KMS-encrypted topic needs ``kms:GenerateDataKey*`` and ``kms:Decrypt`` on its key (SNS
    developer guide, "Encryption at rest"). AWS Backup's statement is scoped to the SNS topics of this account and
    region by the encryption context SNS uses, ``aws:sns:topicArn`` (the condition key AWS documents for service
    publishers of encrypted topics, e.g. Amazon GameLift's "Set up an SNS topic with server-side encryption"): the
    key also encrypts the databases and the vaults.
    """

    def __init__(self, scope: Construct, construct_id: str, props: RegionalKeyProps) -> None:
        super().__init__(scope, construct_id)
        account_root = f"arn:aws:iam::{props.account_id}:root"
        region = props.region
        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="AccountAdministersKey",
                actions=["kms:*"],
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[account_root])],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="CloudWatchLogsEncryptsLogGroups",
                actions=KEY_USE_ACTIONS,
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[f"logs.{region}.amazonaws.com"])],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="ArnLike",
                        variable="kms:EncryptionContext:aws:logs:arn",
                        values=[f"arn:aws:logs:{region}:{props.account_id}:*"],
                    )
                ],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="AlertPublishersUseKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=list(SERVICE_PRINCIPALS))],
                condition=[DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount", values=[props.account_id])],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="BackupNotificationsUseKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["backup.amazonaws.com"])],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="StringLike", variable="kms:EncryptionContext:aws:sns:topicArn", values=[f"arn:aws:sns:{region}:{props.account_id}:*"]
                    )
                ],
            ),
        ]
        policy = DataAwsIamPolicyDocument(self, "policy", provider=props.provider, statement=statements)
        self.key = KmsKey(
            self,
            "key",
            provider=props.provider,
            description=props.description or f"data key for {props.alias_name} in {region}",
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days,
            policy=policy.json,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=props.protect),
        )
        KmsAlias(self, "alias", provider=props.provider, name=f"alias/{props.alias_name}", target_key_id=self.key.key_id)
        self.key_arn: str = self.key.arn
        self.key_id: str = self.key.key_id
