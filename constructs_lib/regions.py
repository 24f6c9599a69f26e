"""AWS commercial regions that drkit accepts, what each offers, and the roles a region plays in a stack."""

from __future__ import annotations

import re
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

# Regions where AWS publishes the Powertools for AWS Lambda (Python) v3 layer (account
# 017000801446) the replication monitor uses. Source: the layer table of
# aws-powertools/powertools-lambda-python docs/index.md and its deploy workflow's region matrix
# (x86_64). A region outside this list is refused at configuration time: CreateFunction would
# fail there at apply with the layer not found.
POWERTOOLS_LAYER_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)

POWERTOOLS_LAYER = "arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"


def powertools_layer_arn(region: str) -> str:
    if region not in POWERTOOLS_LAYER_REGIONS:
        raise ValueError(f"region: the Powertools layer is not published in {region!r}")
    return POWERTOOLS_LAYER.format(region=region)


# AZ IDs are the same physical zone in every account; AZ names are not (AWS "AZ IDs" page:
# "us-east-1a for your AWS account might not be the same physical location as us-east-1a for
# another AWS account"). drkit places subnets by ID. These IDs are skipped by default because
# current instance families or EKS control planes are not offered there (EKS networking
# requirements: use1-az3, usw1-az2, cac1-az3; apne1-az3 is a legacy zone).
AVOIDED_AZ_IDS: frozenset[str] = frozenset({"use1-az3", "usw1-az2", "cac1-az3", "apne1-az3"})
# Regions that do not offer three usable AZs to every account: no default, the user must choose.
NO_DEFAULT_AZS: frozenset[str] = frozenset({"us-west-1"})

_DIRECTIONS = {
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "central": "c",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def az_id_prefix(region: str) -> str:
    """The AZ ID prefix of a region: ``us-east-1`` -> ``use1``, ``ap-southeast-2`` -> ``apse2``."""
    match = re.fullmatch(r"([a-z]{2})-([a-z]+)-(\d+)", region)
    if match is None or match.group(2) not in _DIRECTIONS:
        raise ValueError(f"not a region name: {region!r}")
    country, direction, number = match.groups()
    return f"{country}{_DIRECTIONS[direction]}{number}"


def default_az_ids(region: str, count: int) -> tuple[str, ...] | None:
    """The first ``count`` AZ IDs of ``region`` that are not avoided, or None where drkit has no default."""
    if region in NO_DEFAULT_AZS:
        return None
    prefix = az_id_prefix(region)
    candidates = [f"{prefix}-az{n}" for n in range(1, 7)]
    return tuple(z for z in candidates if z not in AVOIDED_AZ_IDS)[:count]


class RegionRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


def provider_alias(role: RegionRole, secondary_index: int = 0) -> str:
    """Alias of the AWS provider for a region: ``primary``, ``secondary``, ``secondary_2``, ..."""
    if role is RegionRole.PRIMARY:
        return "primary"
    return "secondary" if secondary_index == 0 else f"secondary_{secondary_index + 1}"
