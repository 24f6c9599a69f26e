"""AlertTopicConstruct: the regional SNS topic every alarm, monitor and runbook reports to."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from constructs_lib.props import DOC, check

PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "events.amazonaws.com")


@dataclass(frozen=True, kw_only=True)
class AlertTopicProps:
    provider: AwsProvider = field(metadata={DOC: "the AWS provider of the topic's region"})
    name: str = field(metadata={DOC: "the topic's name"})
    account_id: str = field(metadata={DOC: "the account whose alarms and rules may publish, and whose IAM manages the topic"})
    kms_key_arn: str = field(metadata={DOC: "customer-managed key that encrypts the topic (its policy must let CloudWatch and EventBridge use it)"})
    emails: tuple[str, ...] = field(default=(), metadata={DOC: "e-mail subscriptions (each confirms by mail)"})
    https_endpoints: tuple[str, ...] = field(default=(), metadata={DOC: "HTTPS subscriptions (`https://...`)"})

    def __post_init__(self) -> None:
        for email in self.emails:
            check("@" in email, "emails", f"{email!r} is not an e-mail address")
        for url in self.https_endpoints:
            check(url.startswith("https://"), "https_endpoints", f"{url!r} is not an https:// URL")


# AWS Backup publishes vault notifications as itself: the topic's access policy must allow backup.amazonaws.com to
# sns:Publish (AWS Backup developer guide, "Notification options with AWS Backup"; the provider's
# aws_backup_vault_notifications example policy is the same statement). It names no source condition: AWS Backup
# sends notifications only to a topic of the vault's own account ("AWS Backup does not currently support [cross-account
# notifications]. You must specify your own AWS account ID and the resource ARN of your topic", same page).
BACKUP_SERVICE = "backup.amazonaws.com"


class AlertTopicConstruct(Construct):
    """KMS-encrypted topic; CloudWatch alarms and EventBridge may publish, from this account only, and AWS Backup
    (the vaults' notifications)."""

    def __init__(self, scope: Construct, construct_id: str, props: AlertTopicProps) -> None:
        super().__init__(scope, construct_id)
        self.topic = SnsTopic(self, "topic", provider=props.provider, name=props.name, kms_master_key_id=props.kms_key_arn)
        self.topic_arn: str = self.topic.arn
        policy = DataAwsIamPolicyDocument(
            self,
            "policy",
            provider=props.provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AlarmsAndRulesPublish",
                    actions=["sns:Publish"],
                    resources=[self.topic_arn],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=list(PUBLISHING_SERVICES))],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount", values=[props.account_id])
                    ],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="BackupNotificationsPublish",
                    actions=["sns:Publish"],
                    resources=[self.topic_arn],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[BACKUP_SERVICE])],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AccountManagesTopic",
                    actions=[
                        "sns:Publish",
                        "sns:Subscribe",
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:ListSubscriptionsByTopic",
                    ],
                    resources=[self.topic_arn],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[f"arn:aws:iam::{props.account_id}:root"])],
                ),
            ],
        )
        SnsTopicPolicy(self, "topic_policy", provider=props.provider, arn=self.topic_arn, policy=policy.json)
        endpoints = [("email", e) for e in props.emails] + [("https", u) for u in props.https_endpoints]
        for index, (protocol, endpoint) in enumerate(endpoints):
            SnsTopicSubscription(
                self, f"subscription_{index}", provider=props.provider, topic_arn=self.topic_arn, protocol=protocol, endpoint=endpoint
            )
