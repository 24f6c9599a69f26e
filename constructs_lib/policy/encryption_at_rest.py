"""DRK001: data at rest is encrypted with a customer-managed key."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView

# resource type -> (the argument naming the key, human name)
KEYED = {
    "aws_rds_cluster": ("kms_key_id", "Aurora cluster storage"),
    "aws_sns_topic": ("kms_master_key_id", "SNS topic"),
    "aws_secretsmanager_secret": ("kms_key_id", "secret"),
    "aws_cloudwatch_log_group": ("kms_key_id", "log group"),
}


@dataclass(frozen=True)
class EncryptionAtRest:
    rule_id: str = "DRK001"
    explanation: str = "RDS, SNS, Secrets Manager, CloudWatch Logs and Lambda environments use a customer-managed KMS key"
    level: Level = Level.ERROR

    def check(self, stack: StackView) -> list[Finding]:
        findings = []
        for rtype, (argument, what) in KEYED.items():
            for address, body in stack.resources(rtype):
                key = str(body.get(argument) or "")
                if not key or key.startswith("alias/aws/"):
                    findings.append(Finding(self.rule_id, self.level, address, f"{what} has no customer-managed key ({argument})"))
        for address, body in stack.resources("aws_rds_cluster"):
            if body.get("storage_encrypted") is not True:
                findings.append(Finding(self.rule_id, self.level, address, "storage_encrypted is not true"))
        for address, body in stack.resources("aws_rds_global_cluster"):
            if body.get("storage_encrypted") is not True:
                findings.append(Finding(self.rule_id, self.level, address, "storage_encrypted is not true"))
        for address, body in stack.resources("aws_lambda_function"):
            if body.get("environment") and not body.get("kms_key_arn"):
                findings.append(Finding(self.rule_id, self.level, address, "environment variables without a customer-managed key (kms_key_arn)"))
        return findings
