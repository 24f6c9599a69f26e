"""Shared test helpers: configuration documents and synthesized-JSON queries."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXTURE_ENVIRONMENTS = Path(__file__).resolve().parent / "fixtures" / "environments.json"


def fixture_environments() -> dict[str, Any]:
    """The tests' own environments (tests/fixtures/environments.json), independent of cdktf.json."""
    return copy.deepcopy(json.loads(FIXTURE_ENVIRONMENTS.read_text(encoding="utf-8")))


def cdktf_environments() -> dict[str, Any]:
    document = json.loads((PROJECT_DIR / "cdktf.json").read_text(encoding="utf-8"))
    return copy.deepcopy(document["context"]["environments"])


def minimal_environment(**overrides: Any) -> dict[str, Any]:
    env: dict[str, Any] = {"dr_operations": {"external_id": "test-external-id"}}
    env.update(overrides)
    return env


def parse_one(env: dict[str, Any], name: str = "dev") -> Any:
    from constructs_lib.config import parse_environments

    return parse_environments({name: env}, source="test").get(name)


def resources(stack: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return stack.get("resource", {}).get(rtype, {})


def data_sources(stack: dict[str, Any], dtype: str) -> dict[str, dict[str, Any]]:
    return stack.get("data", {}).get(dtype, {})


def only(items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, f"expected exactly one, got {sorted(items)}"
    return next(iter(items.values()))


def named(items: dict[str, dict[str, Any]], prefix: str) -> dict[str, Any]:
    matches = [body for name, body in items.items() if name.startswith(prefix)]
    assert len(matches) == 1, f"{prefix}: {sorted(items)}"
    return matches[0]


def by_provider(items: dict[str, dict[str, Any]], alias: str) -> list[dict[str, Any]]:
    return [body for body in items.values() if body["provider"] == f"aws.{alias}"]
