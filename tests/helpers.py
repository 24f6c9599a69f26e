"""Shared test helpers: configuration documents and synthesized-JSON queries."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent


def cdktf_environments() -> dict[str, Any]:
    document = json.loads((PROJECT_DIR / "cdktf.json").read_text(encoding="utf-8"))
    return copy.deepcopy(document["context"]["environments"])


def minimal_environment(**overrides: Any) -> dict[str, Any]:
    env: dict[str, Any] = {"dr_operations": {"external_id": "test-external-id"}}
    env.update(overrides)
    return env


def resources(stack: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return stack.get("resource", {}).get(rtype, {})


def data_sources(stack: dict[str, Any], dtype: str) -> dict[str, dict[str, Any]]:
    return stack.get("data", {}).get(dtype, {})


def only(items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, f"expected exactly one, got {sorted(items)}"
    return next(iter(items.values()))
