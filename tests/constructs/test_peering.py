"""PeeringConstruct alone: requested on one side, accepted on the other, DNS resolution and routes both ways."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.constructs.conftest import Bare, one, resources, synth_alone


def side(bare: Bare, region: str, cidr: str, tables: int = 2) -> Any:
    from constructs_lib import PeerSide

    return PeerSide(
        provider=bare.providers[region],
        region=region,
        vpc_id=f"vpc-{region}",
        vpc_cidr=cidr,
        route_table_ids=tuple(f"rtb-{region}-{n}" for n in range(tables)),
    )


def props(bare: Bare, **overrides: Any) -> Any:
    from constructs_lib import PeeringProps

    values: dict[str, Any] = {
        "name": "shop-us-east-1-to-us-west-2",
        "requester": side(bare, "us-east-1", "10.8.0.0/16"),
        "accepter": side(bare, "us-west-2", "10.9.0.0/16", tables=3),
    }
    return PeeringProps(**{**values, **overrides})


@pytest.fixture(scope="module")
def built() -> tuple[Any, dict[str, Any]]:
    from constructs_lib import PeeringConstruct

    return synth_alone(lambda bare: PeeringConstruct(bare.stack, "peering", props(bare)))


def test_requested_here_accepted_there_routed_both_ways(built: tuple[Any, dict[str, Any]]) -> None:
    _, document = built
    connection = one(document, "aws_vpc_peering_connection")
    assert (connection["provider"], connection["peer_region"], connection["auto_accept"]) == ("aws.us_east_1", "us-west-2", False)
    accepter = one(document, "aws_vpc_peering_connection_accepter")
    assert (accepter["provider"], accepter["auto_accept"]) == ("aws.us_west_2", True)
    assert accepter["tags"] == {"Name": "shop-us-east-1-to-us-west-2"}  # no DR-Role unless the requester has one
    routes = resources(document, "aws_route").values()
    assert sorted((r["provider"], r["route_table_id"], r["destination_cidr_block"]) for r in routes) == sorted(
        [("aws.us_east_1", f"rtb-us-east-1-{n}", "10.9.0.0/16") for n in range(2)]
        + [("aws.us_west_2", f"rtb-us-west-2-{n}", "10.8.0.0/16") for n in range(3)]
    )
    options = resources(document, "aws_vpc_peering_connection_options").values()
    assert len(options) == 2


def test_typed_attributes(built: tuple[Any, dict[str, Any]]) -> None:
    peering, _ = built
    assert peering.peering_connection_id.startswith("${TfToken[")


def test_the_accepter_carries_the_requester_s_role_when_given() -> None:
    from constructs_lib import PeeringConstruct

    _, document = synth_alone(lambda bare: PeeringConstruct(bare.stack, "peering", props(bare, requester_role="primary")))
    assert one(document, "aws_vpc_peering_connection_accepter")["tags"] == {"Name": "shop-us-east-1-to-us-west-2", "DR-Role": "primary"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda bare: {"accepter": side(bare, "us-west-2", "10.8.128.0/17")},
            r"accepter.vpc_cidr: '10.8.128.0/17' overlaps requester.vpc_cidr '10.8.0.0/16'",
        ),
        (lambda bare: {"requester": side(bare, "us-east-1", "10.8.0.0/16", tables=0)}, r"requester.route_table_ids: at least one route table"),
        (lambda bare: {"accepter": side(bare, "us-west-2", "10.9.0.0/16", tables=0)}, r"accepter.route_table_ids: at least one route table"),
    ],
    ids=["overlap", "no-requester-tables", "no-accepter-tables"],
)
def test_props_refuse_a_peering_that_cannot_route(bare: Bare, change: Any, message: str) -> None:
    valid = props(bare)
    with pytest.raises(ValueError, match=message):
        replace(valid, **change(bare))
