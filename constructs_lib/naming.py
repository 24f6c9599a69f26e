"""AWS resource names: lower case, '-' separated, bounded in length."""

from __future__ import annotations


def resource_name(*parts: str, max_length: int = 63) -> str:
    """An AWS resource name such as ``drkit-dev-us-east-1-db`` (lower case, '-' separated)."""
    name = "-".join(p for p in parts if p).lower()
    return name[:max_length].rstrip("-")
