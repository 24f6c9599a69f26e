"""Pure subnet arithmetic: the tiers of a VPC, computed from its CIDR at synth time."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    PUBLIC = "public"  # NAT gateways only; nothing else is placed here
    APP = "app"  # EKS nodes and anything that talks to the database
    DATA = "data"  # Aurora instances; no route to the internet


# Each tier gets a block of 4 subnets (3 used, 1 spare for a fourth AZ) of prefix + 4.
TIER_BLOCK = 4
_TIER_OFFSET = {Tier.PUBLIC: 0, Tier.APP: TIER_BLOCK, Tier.DATA: 2 * TIER_BLOCK}


@dataclass(frozen=True, kw_only=True)
class SubnetPlan:
    vpc_cidr: ipaddress.IPv4Network
    availability_zones: int

    def __post_init__(self) -> None:
        if not 1 <= self.availability_zones <= TIER_BLOCK:
            raise ValueError(f"availability_zones: 1 to {TIER_BLOCK} (a tier's block), got {self.availability_zones}")

    def cidrs(self, tier: Tier) -> tuple[str, ...]:
        blocks = list(self.vpc_cidr.subnets(prefixlen_diff=4))
        start = _TIER_OFFSET[tier]
        return tuple(str(blocks[start + az]) for az in range(self.availability_zones))
