"""Synth tests for the data tier: network, peering, KMS and the Aurora global database."""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest

from constructs_lib.engine_catalog import load_catalog
from tests.helpers import by_provider, data_sources, named, only, resources

# ----------------------------------------------------------------------------- network


@pytest.mark.parametrize(("alias", "cidr"), [("primary", "10.0.0.0/16"), ("secondary", "10.1.0.0/16")])
def test_one_vpc_per_region_from_config(stacks: dict[str, Any], alias: str, cidr: str) -> None:
    (vpc,) = by_provider(resources(stacks["dev"], "aws_vpc"), alias)
    assert vpc["cidr_block"] == cidr
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True


def test_three_tiers_across_three_azs_chosen_by_id(stacks: dict[str, Any]) -> None:
    subnets = by_provider(resources(stacks["dev"], "aws_subnet"), "primary")
    tiers = sorted(s["tags"]["Tier"] for s in subnets)
    assert tiers == ["app"] * 3 + ["data"] * 3 + ["public"] * 3
    assert all(s["map_public_ip_on_launch"] is False for s in subnets)
    # AZ IDs are the same physical zone in every account; names are not, and an impaired zone shifts a name list.
    assert all("availability_zone" not in s for s in subnets)
    assert sorted({s["availability_zone_id"] for s in subnets}) == ["use1-az1", "use1-az2", "use1-az4"]
    assert "data" not in str(data_sources(stacks["dev"], "aws_availability_zones"))


def test_app_subnets_are_tagged_for_internal_load_balancers(stacks: dict[str, Any]) -> None:
    for subnet in resources(stacks["dev"], "aws_subnet").values():
        internal = subnet["tags"].get("kubernetes.io/role/internal-elb")
        assert internal == ("1" if subnet["tags"]["Tier"] == "app" else None), subnet["tags"]


@pytest.mark.parametrize(("env", "nat_per_region"), [("dev", 1), ("prod", 3)])
def test_nat_gateways_follow_the_environment(stacks: dict[str, Any], env: str, nat_per_region: int) -> None:
    assert len(by_provider(resources(stacks[env], "aws_nat_gateway"), "primary")) == nat_per_region


def test_data_tier_has_no_route_to_the_internet(stacks: dict[str, Any]) -> None:
    routes = resources(stacks["dev"], "aws_route")
    data_table_refs = {f"aws_route_table.{name}" for name in resources(stacks["dev"], "aws_route_table") if "data_rt" in name}
    for route in routes.values():
        if any(ref in route["route_table_id"] for ref in data_table_refs):
            assert route["destination_cidr_block"] != "0.0.0.0/0"
            assert "vpc_peering_connection_id" in route


def test_default_security_group_is_closed_and_flow_logs_are_encrypted(stacks: dict[str, Any]) -> None:
    stack = stacks["prod"]
    for group in resources(stack, "aws_default_security_group").values():
        assert "ingress" not in group and "egress" not in group
    flow_logs = resources(stack, "aws_flow_log")
    assert len(flow_logs) == 2 and all(f["traffic_type"] == "ALL" for f in flow_logs.values())
    for group in resources(stack, "aws_cloudwatch_log_group").values():
        assert group["kms_key_id"].startswith("${aws_kms_key.")
        assert group["retention_in_days"] == 365


def test_database_port_open_only_to_app_subnets_of_every_vpc(stacks: dict[str, Any]) -> None:
    rules = [r for r in by_provider(resources(stacks["dev"], "aws_vpc_security_group_ingress_rule"), "primary") if "cidr_ipv4" in r]
    assert sorted(r["cidr_ipv4"] for r in rules) == [
        "10.0.64.0/20",
        "10.0.80.0/20",
        "10.0.96.0/20",
        "10.1.64.0/20",
        "10.1.80.0/20",
        "10.1.96.0/20",
    ]
    assert all(r["from_port"] == r["to_port"] == 5432 and r["ip_protocol"] == "tcp" for r in rules)
    assert all(r.get("cidr_ipv4") != "0.0.0.0/0" for r in resources(stacks["dev"], "aws_vpc_security_group_ingress_rule").values())


# ----------------------------------------------------------------------------- peering


def test_every_region_reaches_every_other(stacks: dict[str, Any]) -> None:
    """VPC peering is not transitive: with two secondaries, each must peer with the other too.

    Follows the synthesized routes: for every ordered pair of regions, every private route table of
    the first has a route to the second's CIDR through a peering connection between exactly those two.
    """
    stack = stacks["three"]
    region_of = {f"aws.{p['alias']}": p["region"] for p in stack["provider"]["aws"]}
    cidr = {region_of[v["provider"]]: v["cidr_block"] for v in resources(stack, "aws_vpc").values()}
    connections = {}  # accepter (what routes name) -> the two regions it joins
    for name, connection in resources(stack, "aws_vpc_peering_connection").items():
        accepter_name, accepter = next(
            (n, a) for n, a in resources(stack, "aws_vpc_peering_connection_accepter").items() if name in a["vpc_peering_connection_id"]
        )
        connections[accepter_name] = {region_of[connection["provider"]], connection["peer_region"]}
        assert region_of[accepter["provider"]] == connection["peer_region"]
    assert len(connections) == 3
    tables = {name: t for name, t in resources(stack, "aws_route_table").items() if t["tags"]["Tier"] in ("app", "data")}
    routes = resources(stack, "aws_route").values()
    for source, target in permutations(cidr, 2):
        for table_name, table in tables.items():
            if region_of[table["provider"]] != source:
                continue
            hops = [r for r in routes if table_name in r["route_table_id"] and r.get("destination_cidr_block") == cidr[target]]
            assert len(hops) == 1, f"{table_name} ({source}) has no route to {target} {cidr[target]}"
            peering = next(n for n in connections if n in hops[0]["vpc_peering_connection_id"])
            assert connections[peering] == {source, target}, f"{source}->{target} goes through {connections[peering]}"


def test_cross_region_peering_with_dns_and_routes_both_ways(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    connection = only(resources(stack, "aws_vpc_peering_connection"))
    assert connection["provider"] == "aws.primary" and connection["peer_region"] == "us-west-2"
    accepter = only(resources(stack, "aws_vpc_peering_connection_accepter"))
    assert accepter["provider"] == "aws.secondary" and accepter["auto_accept"] is True
    options = resources(stack, "aws_vpc_peering_connection_options").values()
    assert {o["provider"] for o in options} == {"aws.primary", "aws.secondary"}
    peer_routes = [r for r in resources(stack, "aws_route").values() if "vpc_peering_connection_id" in r]
    # 3 app tables + 1 data table on each side
    assert sorted((r["provider"], r["destination_cidr_block"]) for r in peer_routes) == sorted(
        [("aws.primary", "10.1.0.0/16")] * 4 + [("aws.secondary", "10.0.0.0/16")] * 4
    )


# ----------------------------------------------------------------------------- KMS


def test_one_rotating_key_per_region_with_a_scoped_policy(stacks: dict[str, Any]) -> None:
    stack = stacks["dev"]
    keys = resources(stack, "aws_kms_key")
    assert sorted(k["provider"] for k in keys.values()) == ["aws.primary", "aws.secondary"]
    assert all(k["enable_key_rotation"] is True for k in keys.values())
    documents = data_sources(stack, "aws_iam_policy_document")
    key_policies = [d for name, d in documents.items() if name.startswith("primary_key_policy")]
    statements = {s["sid"]: s for s in key_policies[0]["statement"]}
    # The root statement delegates to IAM; a ViaService-restricted root statement beside it would restrict nothing.
    assert set(statements) == {"AccountAdministersKey", "CloudWatchLogsEncryptsLogGroups", "AlertPublishersUseKey", "BackupNotificationsUseKey"}
    for statement in statements.values():
        for principal in statement["principals"]:
            assert "*" not in principal["identifiers"]


# ----------------------------------------------------------------------------- Aurora


def test_global_cluster_engine_comes_from_the_catalog(stacks: dict[str, Any]) -> None:
    global_cluster = only(resources(stacks["dev"], "aws_rds_global_cluster"))
    assert global_cluster["engine"] == "aurora-postgresql"
    assert global_cluster["engine_version"] == load_catalog().newest(17)
    assert global_cluster["database_name"] == "transactions"
    assert global_cluster["storage_encrypted"] is True


def test_engine_check_warns_in_every_region_and_never_blocks_a_plan(stacks: dict[str, Any]) -> None:
    """A withdrawn version must not block a running stack's plans (emergencies included): a check only warns."""
    stack = stacks["dev"]
    offered = data_sources(stack, "aws_rds_engine_version")
    assert sorted(g["provider"] for g in offered.values()) == ["aws.primary", "aws.secondary"]
    for data in offered.values():
        assert data["include_all"] is True  # still answers after AWS deprecates the version
        assert "lifecycle" not in data  # no postcondition: that blocked every plan
    checks = stack["check"]
    assert sorted(checks) == ["engine_version_us_east_1", "engine_version_us_west_2"]
    for check in checks.values():
        (assertion,) = check["assert"]
        assert assertion["condition"].endswith(".supports_global_databases}")
        assert "no longer supports Aurora Global Database" in assertion["error_message"]
        assert "data" not in check  # a data source scoped to a check is re-read at every apply: every plan shows it


def test_primary_and_secondary_clusters(stacks: dict[str, Any]) -> None:
    clusters = resources(stacks["dev"], "aws_rds_cluster")
    primary = named(clusters, "database_primary_cluster")
    secondary = named(clusters, "database_secondary_us_west_2_cluster")
    assert primary["provider"] == "aws.primary" and secondary["provider"] == "aws.secondary"
    assert primary["master_password_wo"] == "${var.db_master_password}"
    assert "master_password" not in primary and "manage_master_user_password" not in primary
    for absent in ("master_password", "master_password_wo", "master_username", "manage_master_user_password"):
        assert absent not in secondary, absent
    assert secondary["source_region"] == "us-east-1"
    assert any("database_primary_instance" in dep for dep in secondary["depends_on"])
    for cluster in (primary, secondary):
        assert cluster["storage_encrypted"] is True
        assert cluster["iam_database_authentication_enabled"] is True
        assert cluster["enabled_cloudwatch_logs_exports"] == ["postgresql"]
        assert cluster["copy_tags_to_snapshot"] is True
        # A switchover demotes the deploy-time primary: every member must ignore what the roles change.
        assert cluster["lifecycle"]["ignore_changes"] == ["engine_version", "global_cluster_identifier", "replication_source_identifier"]
        assert any("_log_group" in dep for dep in cluster["depends_on"])
    assert primary["kms_key_id"] != secondary["kms_key_id"]


def test_aurora_log_groups_exist_before_the_clusters_with_retention_and_key(stacks: dict[str, Any]) -> None:
    """Aurora creates /aws/rds/cluster/<id>/postgresql itself otherwise: never-expiring and without our key."""
    groups = {g["name"]: g for g in resources(stacks["prod"], "aws_cloudwatch_log_group").values() if g["name"].startswith("/aws/rds/")}
    assert sorted(groups) == ["/aws/rds/cluster/drkit-prod-us-east-1/postgresql", "/aws/rds/cluster/drkit-prod-us-west-2/postgresql"]
    for group in groups.values():
        assert group["retention_in_days"] == 365 and group["kms_key_id"].startswith("${aws_kms_key.")


def test_tls_is_enforced_by_the_parameter_groups(stacks: dict[str, Any]) -> None:
    groups = resources(stacks["dev"], "aws_rds_cluster_parameter_group")
    assert len(groups) == 2
    for group in groups.values():
        assert {"name": "rds.force_ssl", "value": "1"} in group["parameter"]
        assert group["family"] == "aurora-postgresql17"


def test_instances_are_private_monitored_and_spread(stacks: dict[str, Any]) -> None:
    instances = resources(stacks["prod"], "aws_rds_cluster_instance")
    assert len(by_provider(instances, "primary")) == 3 and len(by_provider(instances, "secondary")) == 3
    for instance in instances.values():
        assert instance["publicly_accessible"] is False
        assert instance["performance_insights_enabled"] is True
        assert instance["performance_insights_kms_key_id"].startswith("${aws_kms_key.")
        assert instance["monitoring_interval"] == 60
    zones = {i["availability_zone"] for i in by_provider(instances, "primary")}
    assert len(zones) == 3 and all(z.startswith("${aws_subnet.") for z in zones)  # the AZ of a data subnet


def test_production_protects_and_dev_destroys(stacks: dict[str, Any]) -> None:
    prod, dev = stacks["prod"], stacks["dev"]
    for rtype in ("aws_rds_global_cluster", "aws_rds_cluster", "aws_kms_key", "aws_secretsmanager_secret"):
        assert all(r["lifecycle"]["prevent_destroy"] is True for r in resources(prod, rtype).values()), rtype
        assert all(r["lifecycle"]["prevent_destroy"] is False for r in resources(dev, rtype).values()), rtype
    prod_primary = named(resources(prod, "aws_rds_cluster"), "database_primary_cluster")
    dev_primary = named(resources(dev, "aws_rds_cluster"), "database_primary_cluster")
    assert prod_primary["deletion_protection"] is True and prod_primary["skip_final_snapshot"] is False
    assert prod_primary["final_snapshot_identifier"] == "drkit-prod-us-east-1-final"
    assert prod_primary["backup_retention_period"] == 35
    assert dev_primary["deletion_protection"] is False and dev_primary["skip_final_snapshot"] is True
    assert only(resources(prod, "aws_rds_global_cluster"))["deletion_protection"] is True


def test_master_password_is_an_ephemeral_sensitive_variable(stacks: dict[str, Any]) -> None:
    for stack in stacks.values():
        variable = stack["variable"]["db_master_password"]
        assert variable["sensitive"] is True and variable["ephemeral"] is True
        assert "default" not in variable
        for version in resources(stack, "aws_secretsmanager_secret_version").values():
            assert "secret_string" not in version
            assert '"password" = var.db_master_password' in version["secret_string_wo"]


def test_no_secret_argument_in_any_synthesized_stack(stacks: dict[str, Any]) -> None:
    """Secrets travel only through write-only arguments: none of the stored ones is ever set."""
    stored_secret_arguments = {"master_password", "secret_string", "secret_binary", "password"}
    for name, stack in stacks.items():
        for rtype, items in stack["resource"].items():
            for rname, body in items.items():
                assert not stored_secret_arguments & set(body), f"{name}: {rtype}.{rname}"
        for variable in stack["variable"].values():
            assert not (variable.get("sensitive") and "default" in variable), name


def test_synth_never_reads_secrets_from_the_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A password in the deploy-time environment must not leak into the synthesized JSON."""
    from constructs_lib.config import load_settings
    from constructs_lib.synth import synthesize
    from tests.helpers import PROJECT_DIR

    secret = "Sentinel-Password-7f3a9c1e2b"
    monkeypatch.setenv("TF_VAR_db_master_password", secret)
    monkeypatch.setenv("DB_PASSWORD", secret)
    from tests.helpers import FIXTURE_ENVIRONMENTS

    synthesize(load_settings(PROJECT_DIR, environ={"DR_ENVIRONMENTS": "dev", "DR_CONFIG": str(FIXTURE_ENVIRONMENTS)}), tmp_path / "out")
    for path in (tmp_path / "out").rglob("*.json"):
        assert secret not in path.read_text(), path
