"""The DR role and the runbook functions' role fit IAM's quotas with every number of regions the configuration allows.

IAM and AWS STS quotas (IAM User Guide): a role's inline policies hold 10,240 characters together, a managed policy
6,144, and a role takes 10 managed policies by default. Their statements grow with the regions (members, keys, topics,
health checks, restores, plans): ``DrOperationsConstruct`` keeps them inline while they fit and packs the rest into
managed policies; the data-recovery set (restore and reconciliation) is always managed. Measured here on the construct
alone, for two, three and eleven regions (Aurora's most: a primary and ten secondaries), with everything on (the
automation, ARC plans, EKS) and the longest environment name, each Terraform reference counted as its longest value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs_lib.point_of_failure import MANAGED_POLICIES_PER_ROLE, MANAGED_POLICY_MAX, ROLE_INLINE_MAX, Grant, policy_size
from constructs_lib.regions import POWERTOOLS_LAYER_REGIONS

ACCOUNT = "${data.aws_caller_identity.caller.account_id}"


def synth_dr_operations(count: int) -> dict[str, Any]:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from constructs_lib.dr_operations import DrOperationsConstruct, DrOperationsProps, RestoreScope, RunbookRegion
    from constructs_lib.failover_automation import RunbookAutomation
    from constructs_lib.lambda_package import build_package
    from constructs_lib.naming import RESTORE_MARK, Names
    from constructs_lib.point_of_failure import RegionScope, plan_step_grants, reconcile_grants, record_grants
    from functions.failover.contract import FailoverMode

    regions = ("us-east-1", *sorted(POWERTOOLS_LAYER_REGIONS - {"us-east-1"})[: count - 1])
    names = Names("e" * 17)  # the longest environment name the configuration accepts for its restores' identifiers
    stack = TerraformStack(Testing.app(), f"quotas{count}")
    providers = {r: AwsProvider(stack, f"aws_{r.replace('-', '_')}", region=r, alias=r.replace("-", "_")) for r in regions}
    key = {r: f"${{aws_kms_key.{r.replace('-', '_')}_key.arn}}" for r in regions}
    scopes = tuple(RegionScope(region=r, kms_key_arn=key[r]) for r in regions)
    DrOperationsConstruct(
        stack,
        "dr_operations",
        DrOperationsProps(
            iam_provider=providers["us-east-1"],
            role_name=names.dr_operations_role,
            runbook_function_name=names.runbook_function,
            environment="e" * 17,
            account_id=ACCOUNT,
            trusted_principals=(),
            external_id="x",
            global_cluster_id=names.global_cluster_id,
            global_cluster_arn=names.global_cluster_arn(ACCOUNT),
            cluster_arns=tuple(names.cluster_arn(ACCOUNT, r) for r in regions),
            zone_id="${aws_route53_zone.zone.zone_id}",
            record_names=tuple(f"db-after-{r}.zone" for r in regions),
            health_check_ids=tuple(f"${{aws_route53_health_check.{r.replace('-', '_')}.id}}" for r in regions[:-1]),
            eks_cluster_arns=tuple(f"arn:aws:eks:{r}:{ACCOUNT}:cluster/{names.regional(r)}" for r in regions),
            restore=tuple(
                RestoreScope(
                    region=r,
                    source_cluster_arn=names.cluster_arn(ACCOUNT, r),
                    subnet_group_arn=names.rds_arn(ACCOUNT, r, "subgrp"),
                    parameter_group_arn=names.rds_arn(ACCOUNT, r, "cluster-pg"),
                    restored_cluster_arns=names.rds_arn(ACCOUNT, r, "cluster", f"{RESTORE_MARK}*"),
                    restored_instance_arns=names.rds_arn(ACCOUNT, r, "db", f"{RESTORE_MARK}*"),
                    restored_snapshot_arns=names.rds_arn(ACCOUNT, r, "cluster-snapshot", f"{RESTORE_MARK}*"),
                    instance_arns=names.rds_arn(ACCOUNT, r, "db", "-*"),
                    kms_key_arn=key[r],
                )
                for r in regions
            ),
            switchover_max_lag_seconds=5,
            region_switch_plan_arns=tuple(names.region_switch_plan_arns(ACCOUNT, names.region_switch_plan(regions[0], r)) for r in regions[1:]),
            reserved_concurrency=1,
            log_retention_days=30,
            package=build_package("failover", shared=("replication_monitor/preserve.py", "replication_monitor/contract.py")),
            automation=RunbookAutomation(
                names=names,
                account_id=ACCOUNT,
                member_regions=regions,
                mode=FailoverMode.AUTOMATIC,
                dry_run=False,
                max_lag_seconds=30,
                probe_interval_seconds=10,
                lost_after_probes=3,
            ),
            regions=tuple(
                RunbookRegion(provider=providers[r], region=r, kms_key_arn=key[r], alert_topic_arn=f"${{aws_sns_topic.{r.replace('-', '_')}.arn}}")
                for r in regions
            ),
            lossy_failover_parameter=names.lossy_failover_parameter,
            record_grants=record_grants(names, ACCOUNT),
            reconcile_grants=reconcile_grants(names, ACCOUNT, scopes),
            plan_step_grants=plan_step_grants(names, ACCOUNT, scopes),
        ),
    )
    return dict(json.loads(Testing.synth(stack)))


def size(document: dict[str, Any]) -> int:
    return policy_size(
        tuple(
            Grant(
                sid=s.get("sid", ""), actions=tuple(s["actions"]), resources=tuple(s["resources"]),
                condition=tuple((c["test"], c["variable"], tuple(c["values"])) for c in s.get("condition", [])),
            )
            for s in document["statement"]
        )
    )  # fmt: skip


@pytest.mark.parametrize("count", [2, 3, 11])
def test_both_roles_fit_iam_s_quotas_with_any_number_of_regions(count: int) -> None:
    document = synth_dr_operations(count)
    policies = document["data"]["aws_iam_policy_document"]
    attachments = document["resource"]["aws_iam_role_policy_attachment"].values()
    for role, role_name in (("operator", "${aws_iam_role.dr_operations_operator_role"), ("runbook", "${aws_iam_role.dr_operations_runbook_role")):
        (inline,) = [d for key, d in policies.items() if key.startswith(f"dr_operations_{role}_permissions")]
        assert size(inline) <= ROLE_INLINE_MAX, (role, count, size(inline))
        attached = [a for a in attachments if str(a["role"]).startswith(role_name)]
        assert len(attached) <= MANAGED_POLICIES_PER_ROLE, (role, count, len(attached))
    managed = {
        key: d
        for key, d in policies.items()
        if key.startswith(("dr_operations_recovery_", "dr_operations_operator_more_", "dr_operations_runbook_more_"))
    }
    assert managed and all(size(d) <= MANAGED_POLICY_MAX for d in managed.values()), {k: size(d) for k, d in managed.items()}
    granted = [s for d in policies.values() if "statement" in d and "principals" not in str(d) for s in d["statement"]]
    assert len({s["sid"] for s in granted if s["sid"].startswith(("Restore", "Reconcile"))}) >= 10  # the data-recovery set is all there
    if count == 11:  # what needed packing: the runbook's own statements outgrow the inline quota
        assert any(key.startswith("dr_operations_operator_more_") for key in managed)
        assert any(key.startswith("dr_operations_runbook_more_") for key in managed)
