"""AWS commercial regions that drkit accepts, and the roles a region plays in a stack."""

from __future__ import annotations

from enum import StrEnum

# Commercial-partition regions (aws). GovCloud and China need their own partition and
# account set-up and are refused on purpose rather than half-supported.
KNOWN_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
        "mx-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "af-south-1",
        "il-central-1",
        "me-south-1",
        "me-central-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
    }
)

# Aurora Global Database allows a primary and up to 10 secondary regions.
MAX_SECONDARY_REGIONS = 10


class RegionRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


def provider_alias(role: RegionRole, secondary_index: int = 0) -> str:
    """Alias of the AWS provider for a region: ``primary``, ``secondary``, ``secondary_2``, ..."""
    if role is RegionRole.PRIMARY:
        return "primary"
    return "secondary" if secondary_index == 0 else f"secondary_{secondary_index + 1}"
