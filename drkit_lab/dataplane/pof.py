"""The data behind Aurora's point-of-failure snapshot, and the replication a game day holds back.

After an unplanned failover (``FailoverGlobalCluster`` with ``AllowDataLoss``), the old writer's data
directory may hold commits no other member has. The data plane sets it aside when the old writer is
rebuilt (:meth:`DataPlane.set_aside`). Aurora "attempts to take a snapshot of the old storage volume
at the point of failure" before it builds the old primary a new volume (Aurora User Guide, "Using
switchover or failover in Amazon Aurora Global Database"); the emulated RDS takes it
(``drkit_lab.emulator.patches.rds_snapshots``) and this module gives it its data:

* :func:`snapshot_taken`: the snapshot holds the cluster's newest set-aside directory that no snapshot
  holds yet (none when the attempt failed: the directory stays aside, unreachable through the API);
* :func:`snapshot_copied`: a copy holds the same directory (restores copy it, so sharing is safe);
* :func:`snapshot_deleted`: when no snapshot holds a directory any more, its data is gone, as it is on
  AWS when a snapshot's retention ends;
* :func:`restore`: RestoreDBClusterFromSnapshot gives a standalone PostgreSQL server started from a
  copy of that directory: crash recovery, then a primary (never a standby, never a member of the
  global database), with TLS and a certificate for its endpoint names.

:func:`hold` stops one replica's WAL receiver, so what the writer commits meanwhile never reaches it:
that is what a failover loses. An apply delay (``recovery_min_apply_delay``) would not do: "the
delay occurs ... until the standby is promoted or triggered. After that the standby will end recovery
without further waiting" (PostgreSQL documentation, recovery_min_apply_delay), so a delayed standby
applies everything it received when promoted, and loses nothing.
"""

from __future__ import annotations

import contextlib
import shutil
from typing import Any

from drkit_lab.dataplane.plane import DataPlane, Member


def snapshot_taken(plane: DataPlane, cluster: str, snapshot_arn: str) -> None:
    with plane.lock:
        held = set(plane.snapshots.values())
        unclaimed = [path for path in plane.aside.get(cluster, []) if path not in held and path.exists()]
        if not unclaimed:
            plane.note("snapshot without data (no set-aside directory of this cluster)", cluster=cluster, snapshot=snapshot_arn)
            return
        plane.snapshots[snapshot_arn] = unclaimed[-1]
        plane.note("point-of-failure snapshot holds the diverged data", cluster=cluster, snapshot=snapshot_arn, path=str(unclaimed[-1]))


def snapshot_copied(plane: DataPlane, source_arn: str, copy_arn: str) -> None:
    with plane.lock:
        directory = plane.snapshots.get(source_arn)
        if directory is not None:
            plane.snapshots[copy_arn] = directory
            plane.note("snapshot copied", source=source_arn, copy=copy_arn)


def snapshot_deleted(plane: DataPlane, snapshot_arn: str) -> None:
    with plane.lock:
        directory = plane.snapshots.pop(snapshot_arn, None)
        if directory is None or directory in plane.snapshots.values():
            return
        for paths in plane.aside.values():
            if directory in paths:
                paths.remove(directory)
        shutil.rmtree(directory, ignore_errors=True)
        plane.note("snapshot data removed (no snapshot holds it any more)", snapshot=snapshot_arn, path=str(directory))


def restore(plane: DataPlane, cluster: Any, snapshot_arn: str) -> None:
    """A standalone server for restored ``cluster`` (a moto cluster) from the data ``snapshot_arn`` holds."""
    with plane.lock:
        source = plane.snapshots.get(snapshot_arn)
        identifier = cluster.db_cluster_identifier
        if source is None or not source.exists():
            plane.note("restored without data (the snapshot holds none here)", cluster=identifier, snapshot=snapshot_arn)
            return
        server = plane.new_server(identifier, cluster.region, (cluster.endpoint, cluster.reader_endpoint))
        server.run("cp", "-a", str(source), str(server.datadir))
        for stale in ("standby.signal", "recovery.signal", "postmaster.pid"):
            (server.datadir / stale).unlink(missing_ok=True)
        auto = server.datadir / "postgresql.auto.conf"
        if auto.exists():  # a restore streams from nobody and takes writes
            settings = ("primary_conninfo", "default_transaction_read_only")
            kept = [line for line in auto.read_text(encoding="utf-8").splitlines() if not line.startswith(settings)]
            auto.write_text("\n".join(kept) + "\n", encoding="utf-8")
        server.configure()
        server.start()  # crash recovery from the point of failure, then a primary
        server.wait_until(lambda: not server.in_recovery(), "the end of crash recovery")
        plane.members[identifier] = Member(server, cluster.arn, "", (cluster.endpoint, cluster.reader_endpoint))
        plane.note("restored from snapshot", cluster=identifier, snapshot=snapshot_arn, port=server.port)
        plane.save()


def hold(plane: DataPlane, clusters: set[str]) -> list[str]:
    """Hold back replication of exactly ``clusters`` (replicas): their WAL receivers stop; the others stream again."""
    with plane.lock:
        for identifier in sorted(clusters - plane.held):
            member = plane.members.get(identifier)
            writer = plane.writer_of(member.global_id) if member is not None else None
            if member is None or writer is None or writer is member or not member.up:
                raise ValueError(f"{identifier}: not a replica that is up (only a secondary's replication can be held back)")
            # primary_conninfo: "If this parameter is changed while the WAL receiver process is running, that process
            # is signaled to shut down and expected to restart with the new setting (except if primary_conninfo is an
            # empty string)" (PostgreSQL documentation, replication settings).
            member.server.sql("ALTER SYSTEM SET primary_conninfo = ''")
            member.server.sql("SELECT pg_reload_conf()")
            plane.held.add(identifier)
            plane.note("replication held back", cluster=identifier)
        for identifier in sorted(plane.held - clusters):
            plane.held.discard(identifier)
            member = plane.members.get(identifier)
            writer = plane.writer_of(member.global_id) if member is not None else None
            if member is not None and writer is not None and writer is not member and member.up:
                with contextlib.suppress(Exception):
                    member.server.set_upstream(writer.server)
            plane.note("replication released", cluster=identifier)
        return sorted(plane.held)


def attach(plane: DataPlane) -> None:
    """Register with the emulator's hooks and controls (``POST /_drkit/replication {"hold": [cluster, ...]}``)."""
    from drkit_lab.emulator import control, hooks

    hooks.on_snapshot_taken(lambda cluster, arn: snapshot_taken(plane, cluster, arn))
    hooks.on_snapshot_copied(lambda source, copy: snapshot_copied(plane, source, copy))
    hooks.on_snapshot_deleted(lambda arn: snapshot_deleted(plane, arn))
    hooks.on_cluster_restored(lambda cluster, arn: restore(plane, cluster, arn))

    def replication(method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "POST":
            return {"held": hold(plane, {str(c) for c in body.get("hold", [])})}
        return {"held": sorted(plane.held)}

    control.CONTROLS["/_drkit/replication"] = replication
