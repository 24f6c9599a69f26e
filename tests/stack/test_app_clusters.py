"""Synth tests for the application tier: one private, encrypted, logged EKS cluster per region."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import minimal_environment, resources


@pytest.mark.parametrize("alias", ["primary", "secondary"])
def test_cluster_per_region_private_encrypted_logged(stacks: dict[str, Any], alias: str) -> None:
    stack = stacks["dev"]
    (cluster,) = [c for c in resources(stack, "aws_eks_cluster").values() if c["provider"] == f"aws.{alias}"]
    assert cluster["version"] == "1.33"
    vpc = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True and vpc["endpoint_public_access"] is False
    assert "public_access_cidrs" not in vpc
    assert len(vpc["subnet_ids"]) == 3 and all("app_subnet" in s for s in vpc["subnet_ids"])
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    assert cluster["encryption_config"]["provider"]["key_arn"].startswith("${aws_kms_key.")
    assert {"api", "audit", "authenticator"} <= set(cluster["enabled_cluster_log_types"])
    # Administered through access entries from configuration, not only by whoever created it.
    assert cluster["access_config"] == {"authentication_mode": "API_AND_CONFIG_MAP", "bootstrap_cluster_creator_admin_permissions": True}


def test_access_entries_for_configured_admins_and_the_dr_role(stacks: dict[str, Any]) -> None:
    stack = stacks["prod"]
    entries = resources(stack, "aws_eks_access_entry")
    associations = resources(stack, "aws_eks_access_policy_association")
    principals = sorted(e["principal_arn"] for e in entries.values())
    assert principals == sorted(
        ["arn:aws:iam::111122223333:role/platform-admin"] * 2 + ["${aws_iam_role.dr_operations_operator_role_069175C9.arn}"] * 2
    )
    policies = sorted((a["policy_arn"].rsplit("/", 1)[-1], a["access_scope"]["type"]) for a in associations.values())
    assert policies == [("AmazonEKSClusterAdminPolicy", "cluster")] * 2 + [("AmazonEKSEditPolicy", "cluster")] * 2
    assert all(a["principal_arn"].startswith("${aws_eks_access_entry.") for a in associations.values())  # created after the entry


def test_node_groups_in_app_subnets_sized_by_environment(stacks: dict[str, Any]) -> None:
    dev = list(resources(stacks["dev"], "aws_eks_node_group").values())
    prod = list(resources(stacks["prod"], "aws_eks_node_group").values())
    assert len(dev) == len(prod) == 2
    assert all(all("app_subnet" in s for s in n["subnet_ids"]) for n in dev)
    assert {(n["scaling_config"]["min_size"], n["scaling_config"]["max_size"]) for n in dev} == {(1, 2)}
    assert {(n["scaling_config"]["min_size"], n["scaling_config"]["max_size"]) for n in prod} == {(3, 6)}
    assert all(n["capacity_type"] == "ON_DEMAND" for n in prod)


def test_oidc_provider_and_roles_with_managed_policies_only(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    oidc = list(resources(stack, "aws_iam_openid_connect_provider").values())
    assert len(oidc) == 2 and all(o["client_id_list"] == ["sts.amazonaws.com"] for o in oidc)
    attachments = sorted(  # AWS managed policies (the stack's own customer managed ones are the DR role's data recovery)
        a["policy_arn"].rsplit("/", maxsplit=1)[-1]
        for a in resources(stack, "aws_iam_role_policy_attachment").values()
        if not str(a["policy_arn"]).startswith("${aws_iam_policy.dr_operations_recovery_policy_")
    )
    assert attachments == sorted(
        ["AmazonRDSEnhancedMonitoringRole"]
        + ["AWSXRayDaemonWriteAccess"] * 5  # monitor and writer-probe roles per region, runbook role
        + ["AmazonEKSClusterPolicy"] * 2
        + ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"] * 2
        + ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]  # the backup role
        + ["AWSFaultInjectionSimulatorNetworkAccess"]  # the FIS experiment's role
    )


def test_nodes_reach_the_database_on_5432_only(stacks: dict[str, Any]) -> None:
    rules = [r for r in resources(stacks["dev"], "aws_vpc_security_group_ingress_rule").values() if "referenced_security_group_id" in r]
    assert len(rules) == 2
    for rule in rules:
        assert rule["from_port"] == rule["to_port"] == 5432
        assert "vpc_config[0].cluster_security_group_id" in rule["referenced_security_group_id"]
        assert "database_sg" in rule["security_group_id"]


def test_disabled_creates_nothing(tmp_path: Path) -> None:
    from constructs_lib.config import parse_environments
    from constructs_lib.synth import stack_json, synthesize

    settings = parse_environments({"qa": minimal_environment(app_clusters={"enabled": False})}, source="test")
    synthesize(settings, tmp_path / "out")
    stack = stack_json(tmp_path / "out", "dr-qa")
    for rtype in ("aws_eks_cluster", "aws_eks_node_group", "aws_iam_openid_connect_provider"):
        assert resources(stack, rtype) == {}, rtype
    assert not any(name.endswith(("eks_cluster_name", "eks_node_role_arn")) for name in stack["output"])


def test_public_endpoint_needs_explicit_cidrs() -> None:
    from constructs_lib.app_cluster import AppClusterProps
    from constructs_lib.config import ConfigError, parse_environments

    with pytest.raises(ConfigError, match=r"qa\.app_clusters\.public_access_cidrs: required when endpoint_public_access is true"):
        parse_environments({"qa": minimal_environment(app_clusters={"endpoint_public_access": True})}, source="test")
    with pytest.raises(ValueError, match=r"^public_access_cidrs: required when endpoint_public_access is true"):  # the construct names its own prop
        AppClusterProps(
            provider=None,  # type: ignore[arg-type]
            region="us-east-1",
            name="x",
            kubernetes_version="1.33",
            endpoint_public_access=True,
            public_access_cidrs=(),
            node_instance_types=("m6i.large",),
            node_min_size=1,
            node_desired_size=1,
            node_max_size=2,
            capacity_type="ON_DEMAND",
            app_subnet_ids=("a", "b"),
            database_security_group_id="sg",
            kms_key_arn="k",
            log_retention_days=30,
            admin_principal_arns=(),
            operator_role_arn="arn:aws:iam::123456789012:role/r",
        )
