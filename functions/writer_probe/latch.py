"""The failover automation's latch, kept in every member region.

The automation writes its latch (one automatic failover happened; none other until an operator re-arms)
into every region it can reach. A region that was down at that moment must not come back without it:
once its writer probe runs again, it finds the latch in another region and copies it into its own. So
losing any one region later cannot hide the latch from the region that decides next. (The latch's
content belongs to ``functions/failover/automation_logic.py``; the probe copies it verbatim.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ClientFactory = Callable[[str, str], Any]


def _missing(error: Exception) -> bool:
    return "ParameterNotFound" in f"{type(error).__name__} {error}"


def sync_latch(client: ClientFactory, region: str, member_regions: tuple[str, ...], parameter: str) -> str | None:
    """Copy a latch held by another member region into ``region`` when ``region`` has none; returns the
    region it was copied from (None: nothing to copy, or this region already holds it, or unreadable)."""
    try:
        client("ssm", region).get_parameter(Name=parameter)
        return None
    except Exception as error:
        if not _missing(error):
            return None  # this region's SSM does not answer: try next minute
    for other in member_regions:
        if other == region:
            continue
        try:
            value = client("ssm", other).get_parameter(Name=parameter)["Parameter"]["Value"]
        except Exception:
            continue
        try:
            client("ssm", region).put_parameter(Name=parameter, Value=str(value), Type="String", Overwrite=False)
        except Exception:
            return None  # created meanwhile, or not writable now: next minute
        return other
    return None
