"""Every checkov finding drkit accepts, in one place: check id, which resources, and why.

A suppression names resources (a glob over checkov's resource id, hash suffix included), never
a whole check. ``tools/policy_scan.py`` fails on any finding not listed here, and on any entry
here that no longer matches a finding (a stale excuse is removed, not kept "just in case").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suppression:
    check_id: str
    resources: str  # fnmatch pattern over checkov's resource id
    reason: str
    non_production_only: bool = False  # True: production stacks must pass this check


SUPPRESSIONS: tuple[Suppression, ...] = (
    Suppression(
        "CKV_AWS_109",
        "data.*_key_policy_*",
        "KMS key policy: Resource '*' means this key; the account-root statement is what AWS requires to keep a key manageable",
    ),
    Suppression(
        "CKV_AWS_111",
        "data.*_key_policy_*",
        "KMS key policy: as above; service statements are bounded by aws:SourceAccount and the logs ARN encryption context",
    ),
    Suppression("CKV_AWS_356", "data.*_key_policy_*", "KMS key policy: a key policy can only name its own key as '*'"),
    Suppression(
        "CKV_AWS_356",
        "data.*_region_switch_execution_permissions_*",
        "ARC Region switch's execution role: rds:DescribeGlobalClusters and rds:DescribeDBClusters on '*', as ARC's Aurora block sample "
        "policy grants them (ARC developer guide, security_iam_region_switch_aurora): both may name no cluster (SAR: resource type "
        "optional) and plan evaluation's calls are not documented. Reads only; every write of the role is scoped "
        "(tests/unit/test_region_switch_plan.py lists exactly what is on '*')",
    ),
    Suppression(
        "CKV_AWS_117",
        "resource.*_function_*",
        "control-plane Lambdas call regional AWS APIs only; VPC attachment would put NAT in the DR path and add no protection",
    ),
    Suppression(
        "CKV_AWS_272",
        "resource.*_function_*",
        "code signing needs an AWS Signer profile outside this blueprint; packages are built deterministically from reviewed source and pinned by source_code_hash",
    ),
    Suppression(
        "CKV2_AWS_57",
        "aws_secretsmanager_secret.database_*_master_secret_*",
        "global clusters cannot use Secrets Manager rotation for the master user; rotation is db_master_password_version (write-only)",
    ),
    Suppression(
        "CKV_AWS_139",
        "resource.database_*_cluster_*",
        "the environment decides: dev/test stacks must be destroyable (production has deletion protection)",
        True,
    ),
    Suppression("CKV_AWS_338", "resource.*_log_group_*", "dev/test keep logs 30 days to limit cost; production keeps them 365 days", True),
    Suppression(
        "CKV_AWS_116",
        "resource.*_monitor_function_*",
        "scheduled (asynchronous) runs report failures through one on-failure destination to the alert topic; a DLQ as well paged twice",
    ),
    Suppression(
        "CKV_AWS_116",
        "resource.*_writer_probe_function_*",
        "scheduled (asynchronous) runs report failures through one on-failure destination to the alert topic; a DLQ as well paged twice",
    ),
    Suppression(
        "CKV2_AWS_34",
        "aws_ssm_parameter.*_monitor_lossy_failovers_*",
        "the runbook's record of lossy failovers holds cluster names, times and a lag, nothing secret; a String keeps KMS out of recording a failover",
    ),
)
