"""NetworkConstruct alone: a VPC with public, app and data tiers, NAT, flow logs, the database security group."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

import pytest

from tests.constructs.conftest import KEY_ARN, Bare, one, resources, synth_alone

ZONES = ("use1-az1", "use1-az2", "use1-az4")


def props(bare: Bare, **overrides: Any) -> Any:
    from constructs_lib import NetworkProps

    values: dict[str, Any] = {
        "provider": bare.providers["us-east-1"],
        "name": "shop-us-east-1",
        "region": "us-east-1",
        "vpc_cidr": ipaddress.IPv4Network("10.8.0.0/16"),
        "availability_zone_ids": ZONES,
        "kms_key_arn": KEY_ARN["us-east-1"],
        "database_client_cidrs": ("10.8.64.0/20", "10.9.64.0/20"),
    }
    return NetworkProps(**{**values, **overrides})


@pytest.fixture(scope="module")
def built() -> tuple[Any, dict[str, Any]]:
    from constructs_lib import NetworkConstruct

    return synth_alone(lambda bare: NetworkConstruct(bare.stack, "network", props(bare)))


def test_three_tiers_in_every_zone_and_only_the_public_tier_reaches_the_internet(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    subnets = resources(document, "aws_subnet").values()
    assert sorted((s["tags"]["Tier"], s["availability_zone_id"], s["cidr_block"]) for s in subnets) == sorted(
        [("public", z, f"10.8.{16 * i}.0/20") for i, z in enumerate(ZONES)]
        + [("app", z, f"10.8.{64 + 16 * i}.0/20") for i, z in enumerate(ZONES)]
        + [("data", z, f"10.8.{128 + 16 * i}.0/20") for i, z in enumerate(ZONES)]
    )
    assert all(s["map_public_ip_on_launch"] is False for s in subnets)
    default_routes = [r for r in resources(document, "aws_route").values() if r["destination_cidr_block"] == "0.0.0.0/0"]
    assert len(default_routes) == 4  # the public table to the IGW, each app table to its NAT; the data tier has none
    assert len(resources(document, "aws_nat_gateway")) == 3  # default: one per AZ


def test_defaults_name_nothing_after_drkit(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    assert one(document, "aws_cloudwatch_log_group")["name"] == "/vpc-flow-logs/shop-us-east-1"
    assert one(document, "aws_cloudwatch_log_group")["retention_in_days"] == 365
    group = one(document, "aws_security_group")
    assert group["description"] == "Aurora PostgreSQL: 5432 from the database client ranges only"
    assert "drkit" not in str(document)


def test_the_database_admits_5432_from_the_client_ranges_only(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    rules = resources(document, "aws_vpc_security_group_ingress_rule").values()
    assert sorted((r["cidr_ipv4"], r["from_port"], r["to_port"]) for r in rules) == [("10.8.64.0/20", 5432, 5432), ("10.9.64.0/20", 5432, 5432)]


def test_typed_attributes(built: tuple[Any, dict[str, Any]]) -> None:
    network, _ = built
    assert network.vpc_id.startswith("${TfToken[")
    assert network.vpc_cidr == ipaddress.IPv4Network("10.8.0.0/16")
    assert (len(network.public_subnet_ids), len(network.app_subnet_ids), len(network.data_subnet_ids)) == (3, 3, 3)
    assert len(network.availability_zones) == 3
    assert len(network.app_route_table_ids) == 3
    assert len(network.private_route_table_ids) == 4  # three app tables and the data table
    assert network.database_security_group_id.startswith("${TfToken[")


def test_one_nat_gateway_when_asked() -> None:
    from constructs_lib import NetworkConstruct

    _, document = synth_alone(lambda bare: NetworkConstruct(bare.stack, "network", props(bare, nat_gateway_per_az=False)))
    assert len(resources(document, "aws_nat_gateway")) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"availability_zone_ids": ("use1-az1",)}, r"availability_zone_ids: 2 to 4 different AZs are needed, got \['use1-az1'\]"),
        ({"availability_zone_ids": ("use1-az1", "use1-az1")}, r"availability_zone_ids: an AZ ID is listed twice"),
        ({"availability_zone_ids": ("a", "b", "c", "d", "e")}, r"availability_zone_ids: 2 to 4 different AZs"),
        ({"vpc_cidr": ipaddress.IPv4Network("10.0.0.0/8")}, r"vpc_cidr: '10.0.0.0/8' is a /8: a /16 to /24 is needed"),
        ({"vpc_cidr": ipaddress.IPv4Network("10.0.0.0/26")}, r"vpc_cidr: '10.0.0.0/26' is a /26"),
        ({"name": ""}, r"name: must not be empty"),
        ({"flow_log_retention_days": 0}, r"flow_log_retention_days: must be at least 1, got 0"),
        ({"database_client_cidrs": ("10.8.64.0/33",)}, r"database_client_cidrs: '10.8.64.0/33' is not an IPv4 range"),
    ],
)
def test_props_refuse_what_aws_would(bare: Bare, overrides: dict[str, Any], message: str) -> None:
    valid = props(bare)
    with pytest.raises(ValueError, match=message):
        replace(valid, **overrides)
