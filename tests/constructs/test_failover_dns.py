"""FailoverDnsConstruct alone: a private zone whose db name follows the writer along a chain of failover records."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.constructs.conftest import Bare, one, resources, synth_alone

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def members(count: int = 2, **last: Any) -> tuple[Any, ...]:
    from constructs_lib import DnsMember

    chosen = REGIONS[:count]
    found = []
    for index, region in enumerate(chosen):
        observer = chosen[(index + 1) % count]
        final = index == count - 1
        found.append(
            DnsMember(
                region=region,
                endpoint=f"shop-{region}.cluster-x.{region}.rds.amazonaws.com",
                writer_healthy_alarm=None if final else f"shop-writer-healthy-in-{region}",
                alarm_region=None if final else observer,
            )
        )
    return tuple(found)


def props(bare: Bare, **overrides: Any) -> Any:
    from constructs_lib import FailoverDnsProps, ZoneVpc

    values: dict[str, Any] = {
        "provider": bare.providers["us-east-1"],
        "name": "shop",
        "zone_name": "shop.internal",
        "vpcs": (ZoneVpc(vpc_id="vpc-east", region="us-east-1"), ZoneVpc(vpc_id="vpc-west", region="us-west-2")),
        "members": members(),
        "global_writer_endpoint": "shop.global-x.global.rds.amazonaws.com",
    }
    return FailoverDnsProps(**{**values, **overrides})


@pytest.fixture(scope="module")
def built() -> tuple[Any, dict[str, Any]]:
    from constructs_lib import FailoverDnsConstruct

    return synth_alone(lambda bare: FailoverDnsConstruct(bare.stack, "dns", props(bare)))


def test_two_members_primary_record_checked_secondary_record_not(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    zone = one(document, "aws_route53_zone")
    assert zone["name"] == "shop.internal" and zone["comment"] == "database failover records"
    assert [(v["vpc_id"], v["vpc_region"]) for v in zone["vpc"]] == [("vpc-east", "us-east-1"), ("vpc-west", "us-west-2")]
    check = one(document, "aws_route53_health_check")
    assert check["type"] == "CLOUDWATCH_METRIC" and check["insufficient_data_health_status"] == "LastKnownStatus"
    assert (check["cloudwatch_alarm_name"], check["cloudwatch_alarm_region"]) == ("shop-writer-healthy-in-us-east-1", "us-west-2")
    assert check["tags"] == {"Name": "shop-writer-in-us-east-1"}
    records = {(r["name"], (r.get("failover_routing_policy") or {}).get("type")): r for r in resources(document, "aws_route53_record").values()}
    assert sorted(records) == [("db.shop.internal", "PRIMARY"), ("db.shop.internal", "SECONDARY"), ("writer.shop.internal", None)]
    assert records[("db.shop.internal", "PRIMARY")]["records"] == [members()[0].endpoint]
    assert "health_check_id" in records[("db.shop.internal", "PRIMARY")]
    assert records[("db.shop.internal", "SECONDARY")]["records"] == [members()[1].endpoint]
    assert "health_check_id" not in records[("db.shop.internal", "SECONDARY")]
    assert {r["ttl"] for r in records.values()} == {30}
    assert "drkit" not in str(document)


def test_typed_attributes(built: tuple[Any, dict[str, Any]]) -> None:
    dns, _ = built
    assert dns.chain_names == ("db.shop.internal",)
    assert dns.record_name == "db.shop.internal" and dns.writer_record_name == "writer.shop.internal"
    assert sorted(dns.health_check_ids) == ["us-east-1"]
    assert dns.zone_id.startswith("${TfToken[") and dns.zone_arn.startswith("${TfToken[")


def test_three_members_form_a_chain() -> None:
    from constructs_lib import FailoverDnsConstruct

    dns, document = synth_alone(lambda bare: FailoverDnsConstruct(bare.stack, "dns", props(bare, members=members(3), ttl_seconds=10)))
    assert dns.chain_names == ("db.shop.internal", "db-after-us-east-1.shop.internal")
    records = {
        (r["name"], r["failover_routing_policy"]["type"]): r["records"]
        for r in resources(document, "aws_route53_record").values()
        if "set_identifier" in r
    }
    assert records[("db.shop.internal", "SECONDARY")] == ["db-after-us-east-1.shop.internal"]
    assert records[("db-after-us-east-1.shop.internal", "PRIMARY")] == [members(3)[1].endpoint]
    assert records[("db-after-us-east-1.shop.internal", "SECONDARY")] == [members(3)[2].endpoint]
    assert len(resources(document, "aws_route53_health_check")) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda: {"vpcs": ()}, r"vpcs: a private hosted zone needs at least one VPC"),
        (lambda: {"ttl_seconds": 0}, r"ttl_seconds: must be at least 1, got 0"),
        (lambda: {"members": members()[:1]}, r"members: failover needs at least two members, got 1"),
        (lambda: {"members": (replace(members()[0], writer_healthy_alarm=None), members()[1])}, r"members: us-east-1 needs a writer-healthy alarm"),
        (lambda: {"members": (replace(members()[0], alarm_region="us-east-1"), members()[1])}, r"must live in another region, got us-east-1"),
        (lambda: {"members": (members()[0], replace(members()[1], region="us-east-1"))}, r"members: a region is listed twice"),
        (lambda: {"zone_name": "shop.internal."}, r"zone_name: 'shop.internal.': a domain name without the final dot"),
        (lambda: {"name": ""}, r"name: must not be empty"),
    ],
    ids=["no-vpc", "ttl", "one-member", "no-alarm", "alarm-judges-itself", "region-twice", "final-dot", "no-name"],
)
def test_props_refuse_a_chain_that_cannot_fail_over(bare: Bare, change: Any, message: str) -> None:
    valid = props(bare)
    with pytest.raises(ValueError, match=message):
        replace(valid, **change())
