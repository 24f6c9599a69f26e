"""PeeringConstruct: VPC peering between two VPCs (of two regions, or one), accepted on the other side, routes both ways."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.vpc_peering_connection import VpcPeeringConnection
from cdktf_cdktf_provider_aws.vpc_peering_connection_accepter import VpcPeeringConnectionAccepterA
from cdktf_cdktf_provider_aws.vpc_peering_connection_options import (
    VpcPeeringConnectionOptions,
    VpcPeeringConnectionOptionsAccepter,
    VpcPeeringConnectionOptionsRequester,
)
from constructs import Construct

from constructs_lib.props import DOC, check, is_token


@dataclass(frozen=True, kw_only=True)
class PeerSide:
    provider: AwsProvider = field(metadata={DOC: "the AWS provider of this side's region"})
    region: str = field(metadata={DOC: "the region of `provider`"})
    vpc_id: str = field(metadata={DOC: "the VPC of this side"})
    vpc_cidr: str = field(metadata={DOC: "its IPv4 range: the other side routes it through the peering"})
    route_table_ids: tuple[str, ...] = field(metadata={DOC: "every route table of this side that needs the other side's range (the private ones)"})


@dataclass(frozen=True, kw_only=True)
class PeeringProps:
    name: str = field(metadata={DOC: "the `Name` tag of the connection, on both sides"})
    requester: PeerSide = field(metadata={DOC: "the side that requests the connection (and owns it)"})
    accepter: PeerSide = field(metadata={DOC: "the side that accepts it, in its own region"})
    requester_role: str | None = field(
        default=None,
        metadata={
            DOC: "the requester region's `DR-Role` tag, when its provider tags resources with one: the accepter carries it too, "
            "so both views of the one connection agree about their tags"
        },
    )

    def __post_init__(self) -> None:
        check(bool(self.requester.route_table_ids), "requester.route_table_ids", "at least one route table, or nothing reaches the peer")
        check(bool(self.accepter.route_table_ids), "accepter.route_table_ids", "at least one route table, or nothing reaches the peer")
        if is_token(self.requester.vpc_cidr) or is_token(self.accepter.vpc_cidr):
            return
        requester, accepter = ipaddress.IPv4Network(self.requester.vpc_cidr), ipaddress.IPv4Network(self.accepter.vpc_cidr)
        check(
            not requester.overlaps(accepter),
            "accepter.vpc_cidr",
            f"'{accepter}' overlaps requester.vpc_cidr '{requester}' (peered VPCs need disjoint ranges)",
        )


class PeeringConstruct(Construct):
    """Request from the requester, accept in the peer region, DNS resolution and routes both ways."""

    def __init__(self, scope: Construct, construct_id: str, props: PeeringProps) -> None:
        super().__init__(scope, construct_id)
        requester, accepter = props.requester, props.accepter
        tags = {"Name": props.name}
        connection = VpcPeeringConnection(
            self,
            "connection",
            provider=requester.provider,
            vpc_id=requester.vpc_id,
            peer_vpc_id=accepter.vpc_id,
            peer_region=accepter.region,
            auto_accept=False,
            tags=tags,
        )
        accept = VpcPeeringConnectionAccepterA(
            self,
            "accepter",
            provider=accepter.provider,
            vpc_peering_connection_id=connection.id,
            auto_accept=True,
            # The connection is the requester's: both sides carry the requester's DR-Role, so
            # the two views of one connection never disagree about its tags.
            tags={**tags, "DR-Role": props.requester_role} if props.requester_role else tags,
        )
        VpcPeeringConnectionOptions(
            self,
            "requester_options",
            provider=requester.provider,
            vpc_peering_connection_id=accept.id,
            requester=VpcPeeringConnectionOptionsRequester(allow_remote_vpc_dns_resolution=True),
        )
        VpcPeeringConnectionOptions(
            self,
            "accepter_options",
            provider=accepter.provider,
            vpc_peering_connection_id=accept.id,
            accepter=VpcPeeringConnectionOptionsAccepter(allow_remote_vpc_dns_resolution=True),
        )
        for side, other, label in ((requester, accepter, "requester"), (accepter, requester, "accepter")):
            for index, table_id in enumerate(side.route_table_ids):
                Route(
                    self,
                    f"{label}_route_{index}",
                    provider=side.provider,
                    route_table_id=table_id,
                    destination_cidr_block=other.vpc_cidr,
                    vpc_peering_connection_id=accept.id,
                )
        self.peering_connection_id: str = accept.id
