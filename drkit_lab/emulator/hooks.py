"""Hooks the emulated control plane calls when the data plane must follow (``drkit_lab.dataplane``).

The moto patches and the control middleware call these functions; a data plane registers its
listeners. Without a listener nothing happens (the database is metadata only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

WriterMoved = Callable[[str, str, bool], None]  # (global cluster id, new writer cluster id, allow_data_loss)
ClusterCreated = Callable[[Any, "str | None", "str | None", "str | None"], None]  # (moto cluster, global writer endpoint, master password, database)
Named = Callable[[str], None]  # a cluster identifier, or a region

_listeners: dict[str, list[Any]] = {
    "writer_moved": [], "cluster_created": [], "cluster_deleted": [], "region_down": [], "region_returned": [], "lag_modeled": [],
    "region_settled": [], "snapshot_taken": [], "snapshot_copied": [], "snapshot_deleted": [], "cluster_restored": [],
}  # fmt: skip
_describe: list[Callable[[], dict[str, Any]]] = []
_synchronization: list[Callable[[str], str | None]] = []


def on_writer_moved(listener: WriterMoved) -> None:
    _listeners["writer_moved"].append(listener)


def on_cluster_created(listener: ClusterCreated) -> None:
    _listeners["cluster_created"].append(listener)


def on_cluster_deleted(listener: Named) -> None:
    _listeners["cluster_deleted"].append(listener)


def on_region_down(listener: Named) -> None:
    _listeners["region_down"].append(listener)


def on_region_returned(listener: Named) -> None:
    _listeners["region_returned"].append(listener)


def on_lag_modeled(listener: Callable[[set[str]], None]) -> None:
    _listeners["lag_modeled"].append(listener)


def on_region_settled(listener: Named) -> None:
    """After every ``region_returned`` listener ran (the data plane has set diverged data aside)."""
    _listeners["region_settled"].append(listener)


def on_snapshot_taken(listener: Callable[[str, str], None]) -> None:
    """(cluster identifier, snapshot ARN): the emulated RDS took a snapshot of that cluster's data."""
    _listeners["snapshot_taken"].append(listener)


def on_snapshot_copied(listener: Callable[[str, str], None]) -> None:
    """(source snapshot ARN, copy ARN)."""
    _listeners["snapshot_copied"].append(listener)


def on_snapshot_deleted(listener: Callable[[str], None]) -> None:
    """A snapshot ARN that no longer exists (deleted, or expired with its retention)."""
    _listeners["snapshot_deleted"].append(listener)


def on_cluster_restored(listener: Callable[[Any, str], None]) -> None:
    """(moto cluster, snapshot ARN): a standalone cluster restored from that snapshot."""
    _listeners["cluster_restored"].append(listener)


def on_describe(view: Callable[[], dict[str, Any]]) -> None:
    _describe.append(view)


def on_synchronization(view: Callable[[str], str | None]) -> None:
    """``view(cluster id)``: ``connected``, ``pending-resync``, or None when the data plane does not know it."""
    _synchronization.append(view)


def synchronization(cluster_id: str) -> str | None:
    """What the data plane says of a member's replication (None without a data plane, or for a cluster it has not)."""
    for view in list(_synchronization):
        found = view(cluster_id)
        if found is not None:
            return found
    return None


def writer_moved(global_cluster_id: str, writer_cluster_id: str, *, allow_data_loss: bool) -> None:
    """Before the control plane records the new writer: a listener that raises fails the API call."""
    for listener in list(_listeners["writer_moved"]):
        listener(global_cluster_id, writer_cluster_id, allow_data_loss)


def cluster_created(cluster: Any, global_endpoint: str | None, master_password: str | None, database: str | None) -> None:
    for listener in list(_listeners["cluster_created"]):
        listener(cluster, global_endpoint, master_password, database)


def cluster_deleted(identifier: str) -> None:
    for listener in list(_listeners["cluster_deleted"]):
        listener(identifier)


def region_down(region: str) -> None:
    for listener in list(_listeners["region_down"]):
        listener(region)


def region_returned(region: str) -> None:
    for listener in list(_listeners["region_returned"]):
        listener(region)
    for listener in list(_listeners["region_settled"]):
        listener(region)


def snapshot_taken(cluster: str, snapshot_arn: str) -> None:
    for listener in list(_listeners["snapshot_taken"]):
        listener(cluster, snapshot_arn)


def snapshot_copied(source_arn: str, copy_arn: str) -> None:
    for listener in list(_listeners["snapshot_copied"]):
        listener(source_arn, copy_arn)


def snapshot_deleted(snapshot_arn: str) -> None:
    for listener in list(_listeners["snapshot_deleted"]):
        listener(snapshot_arn)


def cluster_restored(cluster: Any, snapshot_arn: str) -> None:
    """A listener that raises fails the API call (the restore has no database)."""
    for listener in list(_listeners["cluster_restored"]):
        listener(cluster, snapshot_arn)


def lag_modeled(clusters: set[str]) -> None:
    """The caller publishes these clusters' lag itself; the data plane stops publishing theirs."""
    for listener in list(_listeners["lag_modeled"]):
        listener(clusters)


def describe() -> dict[str, Any]:
    return _describe[0]() if _describe else {"enabled": False}
