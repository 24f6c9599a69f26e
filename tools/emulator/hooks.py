"""Hooks the emulated control plane calls when the data plane must follow (real PostgreSQL, #15).

The moto patches call :func:`writer_moved`; a data plane registers with :func:`on_writer_moved`.
Without a listener nothing happens (the database is metadata only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

WriterMoved = Callable[[Any, Any, bool], None]  # (global cluster, new writer cluster, allow_data_loss)
_writer_moved: list[WriterMoved] = []


def on_writer_moved(listener: WriterMoved) -> None:
    _writer_moved.append(listener)


def writer_moved(global_cluster: Any, writer: Any, *, allow_data_loss: bool) -> None:
    for listener in list(_writer_moved):
        listener(global_cluster, writer, allow_data_loss)


RegionReturned = Callable[[str], None]
_region_returned: list[RegionReturned] = []


def on_region_returned(listener: RegionReturned) -> None:
    _region_returned.append(listener)


def region_returned(region: str) -> None:
    for listener in list(_region_returned):
        listener(region)
