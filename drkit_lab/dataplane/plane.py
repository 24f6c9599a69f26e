"""The data plane inside the emulator: a PostgreSQL server behind every member of a global cluster.

The emulated RDS API calls it (``drkit_lab.emulator.hooks``) and it does to real databases what Aurora
does to its storage:

* **a member is created**: the first member of a global cluster gets a fresh primary (its master user
  and password are the ones CreateDBCluster received); every further member is a physical streaming
  replica of the writer (asynchronous, as Aurora's storage replication is, with an optional apply
  delay standing in for distance);
* **SwitchoverGlobalCluster** fences the writer (read-only, client sessions ended), waits until the
  target has replayed everything the writer wrote, promotes the target, points every other member at
  it and rebuilds the old writer as its replica: nothing is lost (RPO 0);
* **FailoverGlobalCluster with data loss allowed** promotes the target at once, from what it had
  replayed; the other members are rebuilt from it; the old writer, if its region is down, stays down
  and fenced, and when its region returns its divergent data directory is set aside and it is rebuilt
  as a replica: it is never writable again until re-attached (Aurora User Guide, managed failover);
* **a region goes down**: its servers stop at once (crash); **it returns**: they come back, as
  replicas of the current writer;
* **a member is deleted**: its server stops and its data is removed.

A set-aside data directory is what Aurora's point-of-failure snapshot holds (``drkit_lab.dataplane.pof``):
the emulated RDS takes that snapshot when the old writer's region returns, a copy shares it, and
RestoreDBClusterFromSnapshot starts a standalone server from a copy of it.

Every few seconds it publishes, for every secondary, ``AuroraGlobalDBReplicationLag`` and
``AuroraGlobalDBRPOLag`` in the secondary's region, from the replica's real replay position: 0 when
it has replayed everything the writer wrote, else the time since the last transaction it replayed.

The endpoint map (``describe()``, served at ``/_drkit/dataplane``) tells clients on this machine
which local server answers each endpoint name, standing in for DNS: the cluster and reader endpoints
of each member, and the global writer endpoint, which always names the current writer.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drkit_lab.dataplane import tls
from drkit_lab.dataplane.binaries import Postgres
from drkit_lab.dataplane.server import REPLICATION_USER, Server, ServerError

LAG_INTERVAL_SECONDS = 5.0
CATCH_UP_TIMEOUT_SECONDS = 60.0
FOLLOW_TIMEOUT_SECONDS = 20.0  # a repointed replica streams from the new writer within this, or is rebuilt from it


def streams_from(writer: Server, cluster: str) -> bool:
    """``cluster``'s replica is streaming from ``writer`` (its WAL sender says so, by the replica's application name)."""
    rows = writer.sql("SELECT count(*) FROM pg_stat_replication WHERE application_name = %s AND state = 'streaming'", (cluster,))
    return bool(rows and rows[0][0])


STATE_FILE = "dataplane.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Member:
    server: Server
    arn: str
    global_id: str
    endpoints: tuple[str, ...]  # cluster endpoint, reader endpoint
    up: bool = True
    diverged: bool = False  # was the writer when a failover left it behind
    resyncing: bool = False  # rebuilt as a replica and not caught up yet: Aurora's pending-resync


@dataclass
class DataPlane:
    postgres: Postgres
    home: Path  # the emulator's state directory: where the state file (for cleanup) lives
    apply_delay_ms: int = 0
    base: Path = field(init=False)
    members: dict[str, Member] = field(default_factory=dict)  # cluster identifier -> member
    writers: dict[str, str] = field(default_factory=dict)  # global cluster id -> writer cluster id
    global_endpoints: dict[str, str] = field(default_factory=dict)  # global cluster id -> global writer endpoint
    master: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # global id -> (user, password, database)
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    modeled: set[str] = field(default_factory=set)  # clusters whose lag a game day models: not published from the servers
    aside: dict[str, list[Path]] = field(default_factory=dict)  # cluster id -> its diverged data directories, oldest first
    snapshots: dict[str, Path] = field(default_factory=dict)  # snapshot ARN -> the set-aside directory it holds (drkit_lab.dataplane.pof)
    held: set[str] = field(default_factory=set)  # replicas whose replication is held back (drkit_lab.dataplane.pof.hold)
    _publishing: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="drkit-dataplane-"))
        self.base.chmod(0o755)
        if self.postgres.uid is not None:
            import os

            os.chown(self.base, self.postgres.uid, self.postgres.gid or 0)
        self.admin_password = secrets.token_urlsafe(24)
        self.replication_password = secrets.token_urlsafe(24)
        self.ca = tls.create_ca(self.base)
        self.save()

    # ------------------------------------------------------------------ bookkeeping

    def note(self, what: str, **details: Any) -> None:
        self.events.append({"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": what, **details})
        self.events[:] = self.events[-500:]

    def save(self) -> None:
        state = {
            "base": str(self.base),
            "bindir": str(self.postgres.bindir),
            "user": self.postgres.user,
            "datadirs": [str(m.server.datadir) for m in self.members.values()],
        }
        path = self.home / STATE_FILE
        path.write_text(json.dumps(state, indent=2), encoding="utf-8")
        path.chmod(0o600)

    def new_server(self, cluster: str, region: str, names: tuple[str, ...]) -> Server:
        cert, key = self.base / f"{cluster}.crt", self.base / f"{cluster}.key"
        tls.issue(self.base, list(names), cert, key)
        server = Server(
            postgres=self.postgres,
            cluster=cluster,
            region=region,
            datadir=self.base / cluster,
            port=free_port(),
            cert=cert,
            key=key,
            admin_password=self.admin_password,
            replication_password=self.replication_password,
            apply_delay_ms=self.apply_delay_ms,
        )
        for path in (cert, key):
            server.own(path)
        return server

    def writer_of(self, global_id: str) -> Member | None:
        writer = self.writers.get(global_id)
        return self.members.get(writer) if writer else None

    # ------------------------------------------------------------------ the RDS API's hooks

    def cluster_created(self, cluster: Any, global_endpoint: str | None, master_password: str | None, database_name: str | None) -> None:
        global_id = cluster.global_cluster_identifier
        if not global_id:
            return
        with self.lock:
            identifier = cluster.db_cluster_identifier
            names = (cluster.endpoint, cluster.reader_endpoint, *([global_endpoint] if global_endpoint else []))
            server = self.new_server(identifier, cluster.region, names)
            writer = self.writer_of(global_id)
            if writer is None:
                user = cluster.master_username or "dbadmin"
                password = master_password or secrets.token_urlsafe(24)
                database = database_name or "postgres"  # a global cluster's members take its database name
                server.initdb()
                server.start()
                server.sql(f"CREATE ROLE {REPLICATION_USER} WITH REPLICATION LOGIN PASSWORD %s", (self.replication_password,))
                server.sql(f'CREATE ROLE "{user}" WITH LOGIN CREATEDB CREATEROLE PASSWORD %s', (password,))
                if database != "postgres":
                    server.sql(f'CREATE DATABASE "{database}" OWNER "{user}"')
                self.master[global_id] = (user, password, database)
                self.writers[global_id] = identifier
                role = "primary"
            else:
                server.base_backup_from(writer.server)
                server.start()
                role = f"replica of {writer.server.cluster}"
            if global_endpoint:
                self.global_endpoints[global_id] = global_endpoint
            self.members[identifier] = Member(server, cluster.arn, global_id, (cluster.endpoint, cluster.reader_endpoint))
            self.note("server created", cluster=identifier, region=cluster.region, role=role, port=server.port)
            self.save()

    def cluster_deleted(self, identifier: str) -> None:
        with self.lock:
            member = self.members.pop(identifier, None)
            if member is None:
                return
            with contextlib.suppress(ServerError):
                member.server.stop("immediate")
            shutil.rmtree(member.server.datadir, ignore_errors=True)
            member.server.log.unlink(missing_ok=True)
            if self.writers.get(member.global_id) == identifier:
                self.writers.pop(member.global_id)
            self.note("server removed", cluster=identifier)
            self.save()

    def writer_moved(self, global_id: str, target_id: str, *, allow_data_loss: bool) -> None:
        """Called before the control plane records the new writer: the database moves first."""
        with self.lock:
            old, target = self.writer_of(global_id), self.members.get(target_id)
            if old is None or target is None or old is target:
                return
            started = time.monotonic()
            if not allow_data_loss:
                self.switchover(old, target)
            else:
                self.failover(old, target)
            self.writers[global_id] = target_id
            self.note(
                "writer moved",
                operation="failover" if allow_data_loss else "switchover",
                old=old.server.cluster,
                new=target_id,
                seconds=round(time.monotonic() - started, 2),
            )

    def switchover(self, old: Member, target: Member) -> None:
        if not (old.up and target.up):
            raise ServerError("a switchover needs the writer and the target up (use a failover for a lost region)")
        old_server, new_server = old.server, target.server
        # Fence: no new writes, every client session ended (they reconnect and find the new writer).
        old_server.sql("ALTER SYSTEM SET default_transaction_read_only = on")
        old_server.sql("SELECT pg_reload_conf()")
        old_server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
        fenced_at = str(old_server.sql("SELECT pg_current_wal_lsn()")[0][0])
        new_server.wait_until(
            lambda: bool(new_server.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (fenced_at,))[0][0]),
            f"replay up to the fenced writer's {fenced_at}",
            CATCH_UP_TIMEOUT_SECONDS,
        )
        new_server.promote()
        new_server.wait_until(lambda: not new_server.in_recovery(), "promotion")
        self.repoint_others(old.global_id, exclude={old.server.cluster, target.server.cluster}, writer=new_server)
        self.rebuild(old, new_server, resync=False)  # fenced and caught up before the promotion: nothing to resynchronize

    def failover(self, old: Member, target: Member) -> None:
        if old.up:  # a failover while the writer still runs: fence it by stopping it (it is rebuilt below, its data set aside)
            old.server.stop("immediate")
            old.diverged = True
        target.server.promote()
        target.server.wait_until(lambda: not target.server.in_recovery(), "promotion")
        self.held.discard(target.server.cluster)
        for member in list(self.members.values()):
            if member.global_id != old.global_id or member is target or member is old:
                continue
            if member.up:
                self.rebuild(member, target.server)  # it may have replayed past the new writer: start again from it
        if old.up:
            self.rebuild(old, target.server)
        else:
            old.diverged = True  # its data may hold commits nobody else has: set aside when its region returns

    def repoint_others(self, global_id: str, exclude: set[str], writer: Server) -> None:
        """Every other replica streams from the new writer. One that cannot follow it is rebuilt from it.

        The fence stops client writes, not the old writer's own WAL: between the fenced position and its stop it can
        still log (a standby snapshot every 15 s, a checkpoint), and a replica that received such a record is past the
        point where the new writer's timeline forks off; PostgreSQL then refuses to follow ("new timeline ... forked
        off current database system timeline ... before current recovery point"), and the replica never streams
        again. Aurora's storage has no such state, so the data plane does not keep it: not streaming within
        ``FOLLOW_TIMEOUT_SECONDS``, the replica starts again from the new writer, as after a failover."""
        repointed = []
        for member in self.members.values():
            if member.global_id == global_id and member.server.cluster not in exclude and member.up:
                member.server.set_upstream(writer)
                if member.server.cluster not in self.held:
                    repointed.append(member)
        for member in repointed:
            try:
                cluster = member.server.cluster
                writer.wait_until(lambda c=cluster: streams_from(writer, c), f"{cluster} streaming", FOLLOW_TIMEOUT_SECONDS)
            except ServerError as error:
                self.note("replica could not follow the new writer: rebuilt from it", cluster=member.server.cluster, reason=str(error))
                self.rebuild(member, writer)

    def rebuild(self, member: Member, writer: Server, resync: bool = True) -> None:
        """``member`` becomes a fresh replica of ``writer`` (its old data is set aside when it diverged); after an unplanned
        failover or a region's return it is ``pending-resync`` until it catches up (``resync``)."""
        server = member.server
        with contextlib.suppress(ServerError):
            server.stop("immediate")
        if member.diverged and server.datadir.exists():
            self.set_aside(member)
        server.base_backup_from(writer)
        server.start()
        member.diverged = False
        member.up = True
        member.resyncing = resync  # until it has replayed what the writer wrote (``synchronization``)
        self.held.discard(server.cluster)

    def set_aside(self, member: Member) -> Path:
        """Keep a diverged member's data directory (never served again; a point-of-failure snapshot may hold it)."""
        server = member.server
        aside = self.base / f"{server.cluster}.diverged-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
        server.datadir.rename(aside)
        self.aside.setdefault(server.cluster, []).append(aside)
        self.note("diverged data set aside", cluster=server.cluster, path=str(aside))
        return aside

    def region_down(self, region: str) -> None:
        with self.lock:
            for member in self.members.values():
                if member.server.region == region and member.up:
                    member.server.stop("immediate")
                    member.up = False
                    self.note("server lost with its region", cluster=member.server.cluster, region=region)

    def region_returned(self, region: str) -> None:
        with self.lock:
            for member in self.members.values():
                if member.server.region != region or member.up:
                    continue
                writer = self.writer_of(member.global_id)
                if not member.global_id or writer is member:  # a standalone restore: it simply comes back
                    member.server.start()
                    member.up = True
                elif writer is not None and writer.up:
                    self.rebuild(member, writer.server)
                self.note("server back with its region", cluster=member.server.cluster, region=region)

    def synchronization(self, cluster: str) -> str | None:
        """Aurora's ``SynchronizationStatus`` of a member: ``pending-resync`` while it is down or a rebuilt replica has not
        caught up with the writer, ``connected`` otherwise; None for a cluster without a server here."""
        member = self.members.get(cluster)
        if member is None:
            return None
        if not member.up:
            return "pending-resync"
        if member.resyncing:
            try:
                caught_up = self.lag_seconds(member) == 0.0
            except Exception:  # restarting: not caught up yet
                caught_up = False
            if not caught_up:
                return "pending-resync"
            member.resyncing = False
            self.note("member resynchronized", cluster=cluster)
        return "connected"

    # ------------------------------------------------------------------ lag, as Aurora publishes it

    def lag_seconds(self, member: Member) -> float | None:
        """How far ``member`` trails its writer, in seconds (None: not a secondary, or no measure yet).

        Caught up: the standby has replayed everything the writer had written when this sample began.
        The writer's position is read first, so WAL written during the sample does not count as lag.

        Otherwise, what PostgreSQL measures on the writer (``pg_stat_replication.replay_lag``):
        the time since the writer flushed the WAL the standby has yet to replay. Being idle is not
        lag. "Now minus the last replayed commit" counts a quiet writer's checkpoint as all the time
        since its last transaction. That once read 53 s and refused a drill's switchover.

        With the writer down or the standby not streaming, the age of its last replayed commit
        remains the only measure.
        """
        writer = self.writer_of(member.global_id)
        if writer is None or writer is member or not member.up:
            return None
        if writer.up:
            current = writer.server.sql("SELECT pg_current_wal_lsn()")[0][0]
            replayed = member.server.sql("SELECT pg_last_wal_replay_lsn()")[0][0]
            if replayed is not None and bool(writer.server.sql("SELECT %s::pg_lsn >= %s::pg_lsn", (str(replayed), str(current)))[0][0]):
                return 0.0
            streaming = writer.server.sql("SELECT replay_lag FROM pg_stat_replication WHERE application_name = %s", (member.server.cluster,))
            if streaming and streaming[0][0] is not None:
                return max(0.0, float(streaming[0][0].total_seconds()))
        last_replay = member.server.sql("SELECT pg_last_xact_replay_timestamp()")[0][0]
        if last_replay is None:
            return None
        return max(0.0, (datetime.now(UTC) - last_replay).total_seconds())

    def publish_lag(self, put: Any) -> None:
        """``put(region, cluster, milliseconds)`` for every secondary that is up, except those whose lag is modeled."""
        with self.lock:
            members = list(self.members.values())
        with self._publishing:
            for member in members:
                if member.server.cluster in self.modeled:
                    continue
                try:
                    lag = self.lag_seconds(member)
                except Exception:  # a server restarting: no datum this round, as Aurora sometimes has none
                    continue
                if lag is not None:
                    put(member.server.region, member.server.cluster, lag * 1000)

    def model_lag_of(self, clusters: set[str]) -> None:
        """A game day publishes these clusters' lag itself (a spike the servers do not have). Aurora is one
        publisher: two would contradict each other, and the newest datum would win at random. Once this
        returns, no round of real lag for them is still in flight."""
        with self._publishing:
            self.modeled = set(clusters)
        self.note("lag modeled by the caller", clusters=sorted(clusters))

    def run_lag_publisher(self, put: Any) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(LAG_INTERVAL_SECONDS):
                self.publish_lag(put)

        thread = threading.Thread(target=loop, name="drkit-dataplane-lag", daemon=True)
        thread.start()
        return thread

    # ------------------------------------------------------------------ what clients see

    def describe(self) -> dict[str, Any]:
        with self.lock:
            endpoints: dict[str, Any] = {}
            servers = []
            for member in self.members.values():
                server = member.server
                writer = self.writers.get(member.global_id) == server.cluster
                try:
                    lag = self.lag_seconds(member)
                except Exception:  # restarting
                    lag = None
                servers.append(
                    {"cluster": server.cluster, "region": server.region, "port": server.port, "up": member.up, "writer": writer, "lag_seconds": lag}
                )
                for name in member.endpoints:
                    endpoints[name] = {"host": "127.0.0.1", "port": server.port, "cluster": server.cluster, "region": server.region}
            for global_id, name in self.global_endpoints.items():
                current = self.writer_of(global_id)
                if current is not None:
                    server = current.server
                    endpoints[name] = {"host": "127.0.0.1", "port": server.port, "cluster": server.cluster, "region": server.region}
            masters = {g: {"user": u, "database": d} for g, (u, _, d) in self.master.items()}
            return {
                "postgres": self.postgres.describe(),
                "ca": str(self.ca),
                "servers": servers,
                "endpoints": endpoints,
                "masters": masters,
                "held": sorted(self.held),
                "snapshots": {arn: path.name for arn, path in self.snapshots.items()},
                "events": self.events[-50:],
            }

    def shutdown(self) -> None:
        self._stop.set()
        with self.lock:
            for member in self.members.values():
                with contextlib.suppress(Exception):
                    member.server.stop("immediate")
            shutil.rmtree(self.base, ignore_errors=True)
            (self.home / STATE_FILE).unlink(missing_ok=True)


def cleanup(home: Path) -> list[str]:
    """Stop the servers a dead emulator left behind (from its state file) and remove their files."""
    import subprocess

    path = home / STATE_FILE
    if not path.is_file():
        return []
    state = json.loads(path.read_text(encoding="utf-8"))
    from drkit_lab.dataplane.binaries import Postgres as _Postgres

    postgres = _Postgres(Path(state["bindir"]), "?", state.get("user"))
    stopped = []
    for datadir in state.get("datadirs", []):
        if Path(datadir, "postmaster.pid").exists():
            subprocess.run(
                [postgres.program("pg_ctl"), "-D", datadir, "-m", "immediate", "-w", "stop"],
                user=postgres.uid,
                group=postgres.gid,
                cwd=state["base"],
                capture_output=True,
                check=False,
            )
            stopped.append(datadir)
    shutil.rmtree(state["base"], ignore_errors=True)
    path.unlink(missing_ok=True)
    return stopped
