"""Readable, stable Terraform names.

cdktf's default logical ids append a hash (``network_vpc_1A2B3C4D``). drkit names every element
after its construct path instead (``primary_network_vpc``), so the synthesized JSON reads like
hand-written Terraform and can be kept without CDKTF (see README, "Leaving CDKTF").
"""

from __future__ import annotations

import re

_INVALID = re.compile(r"[^A-Za-z0-9_-]+")


def logical_id(path_parts: list[str]) -> str:
    """Join construct ids below the stack into one Terraform-safe name."""
    parts = [_INVALID.sub("_", part).strip("_") for part in path_parts if part and part != "Default"]
    name = "_".join(p for p in parts if p).replace("-", "_").lower()
    if not name or name[0].isdigit():
        name = f"r_{name}"
    return name


def resource_name(*parts: str, max_length: int = 63) -> str:
    """An AWS resource name such as ``drkit-dev-us-east-1-db`` (lower case, '-' separated)."""
    name = "-".join(p for p in parts if p).lower()
    return name[:max_length].rstrip("-")
