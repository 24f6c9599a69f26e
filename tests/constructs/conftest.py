"""Each public construct synthesized alone: a bare ``TerraformStack`` with its own providers, no drkit configuration."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
KEY_ARN = {region: f"arn:aws:kms:{region}:111122223333:key/00000000-0000-0000-0000-000000000000" for region in REGIONS}


@dataclass
class Bare:
    """A bare stack with one aliased provider per region of :data:`REGIONS` (``aws.us_east_1``, ...)."""

    stack: Any
    providers: dict[str, Any]

    def synth(self) -> dict[str, Any]:
        from cdktf import Testing

        document: dict[str, Any] = json.loads(Testing.synth(self.stack))
        return document


def bare_stack(name: str = "bare") -> Bare:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    stack = TerraformStack(Testing.app(), name)
    providers = {region: AwsProvider(stack, f"aws_{region.replace('-', '_')}", region=region, alias=region.replace("-", "_")) for region in REGIONS}
    return Bare(stack=stack, providers=providers)


def synth_alone(build: Callable[[Bare], T]) -> tuple[T, dict[str, Any]]:
    """``build`` one construct into a fresh bare stack; the construct and the stack's Terraform JSON."""
    bare = bare_stack()
    construct = build(bare)
    return construct, bare.synth()


@pytest.fixture(scope="session")
def bare() -> Bare:
    """A stack to make props against (props need providers); nothing is synthesized from it."""
    return bare_stack("props")


def resources(document: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return dict((document.get("resource") or {}).get(rtype) or {})


def one(document: dict[str, Any], rtype: str) -> dict[str, Any]:
    items = resources(document, rtype)
    assert len(items) == 1, f"{rtype}: {sorted(items)}"
    return next(iter(items.values()))
