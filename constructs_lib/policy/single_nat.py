"""DRK008 (warning): a region with one NAT gateway loses egress with that AZ."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from constructs_lib.policy.base import Finding, Level, StackView


@dataclass(frozen=True)
class SingleNat:
    rule_id: str = "DRK008"
    explanation: str = "one NAT gateway per region is a single point of failure for the app tier's egress"
    level: Level = Level.WARNING

    def check(self, stack: StackView) -> list[Finding]:
        per_provider = Counter(str(body.get("provider", "aws")) for _, body in stack.resources("aws_nat_gateway"))
        return [
            Finding(self.rule_id, self.level, provider, "one NAT gateway for the region (network.nat_gateways = single)")
            for provider, count in sorted(per_provider.items())
            if count == 1
        ]
