"""Reusable CDK for Terraform constructs of a multi-region disaster-recovery platform on AWS.

    from constructs_lib import NetworkConstruct, NetworkProps, AuroraGlobalConstruct, FailoverDnsConstruct

Each construct takes one frozen, keyword-only props dataclass (documented defaults, validated when it
is built: a ``ValueError`` names the field and the value) and the providers it should use; it exposes
typed attributes and emits no outputs. docs/constructs/ has a page per construct and examples/ a
two-region app. Importing this package has no side effects: the names below load on first use
(PEP 562), and the synth speed-ups are the app's choice (:mod:`constructs_lib.speedups`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it
_EXPORTS = {
    "AlertTopicConstruct": "constructs_lib.alerts",
    "AlertTopicProps": "constructs_lib.alerts",
    "AuroraGlobalConstruct": "constructs_lib.aurora_global",
    "AuroraGlobalProps": "constructs_lib.aurora_global",
    "RegionalCluster": "constructs_lib.aurora_global",
    "RegionalDatabaseInput": "constructs_lib.aurora_global",
    "DnsMember": "constructs_lib.failover_dns",
    "FailoverDnsConstruct": "constructs_lib.failover_dns",
    "FailoverDnsProps": "constructs_lib.failover_dns",
    "ZoneVpc": "constructs_lib.failover_dns",
    "RegionalKeyConstruct": "constructs_lib.kms",
    "RegionalKeyProps": "constructs_lib.kms",
    "NetworkConstruct": "constructs_lib.network",
    "NetworkProps": "constructs_lib.network",
    "PeerSide": "constructs_lib.peering",
    "PeeringConstruct": "constructs_lib.peering",
    "PeeringProps": "constructs_lib.peering",
    "RegionRole": "constructs_lib.regions",
    "SubnetPlan": "constructs_lib.subnet_plan",
    "Tier": "constructs_lib.subnet_plan",
}
__all__ = [
    "AlertTopicConstruct",
    "AlertTopicProps",
    "AuroraGlobalConstruct",
    "AuroraGlobalProps",
    "DnsMember",
    "FailoverDnsConstruct",
    "FailoverDnsProps",
    "NetworkConstruct",
    "NetworkProps",
    "PeerSide",
    "PeeringConstruct",
    "PeeringProps",
    "RegionRole",
    "RegionalCluster",
    "RegionalDatabaseInput",
    "RegionalKeyConstruct",
    "RegionalKeyProps",
    "SubnetPlan",
    "Tier",
    "ZoneVpc",
]  # the same names as _EXPORTS (a test checks)

if TYPE_CHECKING:
    from constructs_lib.alerts import AlertTopicConstruct, AlertTopicProps
    from constructs_lib.aurora_global import AuroraGlobalConstruct, AuroraGlobalProps, RegionalCluster, RegionalDatabaseInput
    from constructs_lib.failover_dns import DnsMember, FailoverDnsConstruct, FailoverDnsProps, ZoneVpc
    from constructs_lib.kms import RegionalKeyConstruct, RegionalKeyProps
    from constructs_lib.network import NetworkConstruct, NetworkProps
    from constructs_lib.peering import PeeringConstruct, PeeringProps, PeerSide
    from constructs_lib.regions import RegionRole
    from constructs_lib.subnet_plan import SubnetPlan, Tier


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
