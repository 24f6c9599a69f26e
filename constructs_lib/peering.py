"""PeeringConstruct: cross-region VPC peering between the primary VPC and one secondary VPC."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, kw_only=True)
class PeerSide:
    provider: AwsProvider
    region: str
    vpc_id: str
    vpc_cidr: str
    route_table_ids: tuple[str, ...]  # every private route table of the VPC


@dataclass(frozen=True, kw_only=True)
class PeeringProps:
    name: str
    requester_role: str  # DR-Role of the requesting region: the connection belongs to it
    requester: PeerSide
    accepter: PeerSide


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
            tags={**tags, "DR-Role": props.requester_role},
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
