"""What a policy rule is: an id, a one-line explanation, a level, and a check over stack JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from constructs_lib.config.model import is_production


class Level(StrEnum):
    ERROR = "error"  # synth fails
    WARNING = "warning"  # reported, synth continues


@dataclass(frozen=True)
class Finding:
    rule_id: str
    level: Level
    address: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule_id}] {self.address}: {self.message}"


class StackView:
    """Read-only helpers over one stack's Terraform JSON."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resources(self, rtype: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, body in (self.document.get("resource", {}).get(rtype) or {}).items():
            yield f"{rtype}.{name}", body

    def data(self, dtype: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, body in (self.document.get("data", {}).get(dtype) or {}).items():
            yield f"data.{dtype}.{name}", body

    @property
    def environment(self) -> str | None:
        providers = self.document.get("provider", {}).get("aws", [])
        for provider in providers:
            for block in provider.get("default_tags", []):
                if "Environment" in block.get("tags", {}):
                    return str(block["tags"]["Environment"])
        return None

    @property
    def is_production(self) -> bool:
        return self.environment is not None and is_production(self.environment)


def references(value: object, rtype: str) -> set[str]:
    """Names of ``rtype`` resources that ``value`` (any JSON) refers to."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(re.findall(rf"{re.escape(rtype)}\.([A-Za-z0-9_-]+)", value))
    elif isinstance(value, list):
        for item in value:
            found |= references(item, rtype)
    elif isinstance(value, dict):
        for item in value.values():
            found |= references(item, rtype)
    return found


class PolicyRule(Protocol):
    @property
    def rule_id(self) -> str: ...

    @property
    def explanation(self) -> str: ...

    @property
    def level(self) -> Level: ...

    def check(self, stack: StackView) -> list[Finding]: ...
