"""Which region judges which: pure functions over the ordered region list (primary first)."""

from __future__ import annotations

from collections.abc import Sequence


def observer_of(regions: Sequence[str], region: str) -> str:
    """The region whose monitor (and alarm) judges the writer in ``region``: the next one, cyclically.

    Never ``region`` itself, so the verdict on a region survives that region's outage.
    """
    if len(regions) < 2:
        raise ValueError(f"regions: an observer needs at least two regions, got {list(regions)}")
    index = list(regions).index(region)
    return regions[(index + 1) % len(regions)]
