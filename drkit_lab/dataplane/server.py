"""One PostgreSQL server: a regional cluster's database, primary or streaming replica.

Runs as the unprivileged user of :mod:`drkit_lab.dataplane.binaries`, listens on 127.0.0.1 and its own
port, requires TLS for every client (as ``rds.force_ssl = 1`` does), and authenticates with SCRAM.
Three roles: ``drkit_admin`` (the control plane's own connection: lag, fencing, promotion),
``replicator`` (streaming replication) and the cluster's master user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drkit_lab.dataplane.binaries import Postgres

ADMIN_USER = "drkit_admin"
REPLICATION_USER = "replicator"


class ServerError(RuntimeError):
    pass


@dataclass
class Server:
    postgres: Postgres
    cluster: str  # the cluster identifier it backs
    region: str
    datadir: Path
    port: int
    cert: Path
    key: Path
    admin_password: str = field(repr=False)
    replication_password: str = field(repr=False)
    apply_delay_ms: int = 0

    @property
    def log(self) -> Path:
        return self.datadir.parent / f"{self.datadir.name}.log"

    # ------------------------------------------------------------------ processes

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
        done = subprocess.run(
            list(args),
            user=self.postgres.uid,
            group=self.postgres.gid,
            cwd=self.datadir.parent,
            env={**os.environ, "HOME": str(self.datadir.parent), **(env or {})},  # not root's home: libpq reads ~/.postgresql
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise ServerError(f"{self.cluster}: {Path(args[0]).name} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")
        return done.stdout

    def own(self, path: Path) -> None:
        if self.postgres.uid is not None:
            os.chown(path, self.postgres.uid, self.postgres.gid or 0)

    def initdb(self) -> None:
        pwfile = self.datadir.parent / f".{self.cluster}.pw"
        pwfile.write_text(self.admin_password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        self.own(pwfile)
        try:
            self.run(
                self.postgres.program("initdb"),
                "-D",
                str(self.datadir),
                "-U",
                ADMIN_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--data-checksums",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self.configure()

    def configure(self) -> None:
        """The server's own settings: written after initdb and after every base backup (which copies the source's)."""
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            "wal_level": "replica",
            "max_wal_senders": "10",
            "wal_keep_size": "'512MB'",
            "hot_standby": "on",
            "password_encryption": "'scram-sha-256'",
            "ssl": "on",
            "ssl_cert_file": f"'{self.cert}'",
            "ssl_key_file": f"'{self.key}'",
            "recovery_min_apply_delay": f"'{self.apply_delay_ms}ms'",
            "wal_receiver_status_interval": "'1s'",
            "logging_collector": "off",
        }
        conf = self.datadir / "postgresql.conf"
        lines = [line for line in conf.read_text(encoding="utf-8").splitlines() if not line.startswith("# drkit:")]
        lines += [f"{name} = {value}  # drkit: data plane" for name, value in settings.items()]
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        (self.datadir / "pg_hba.conf").write_text(
            "\n".join(
                [
                    "# drkit: the control plane's own connection, the replication stream, and TLS-only clients",
                    f"host    all          {ADMIN_USER}        127.0.0.1/32  scram-sha-256",
                    f"hostssl replication  {REPLICATION_USER}  127.0.0.1/32  scram-sha-256",
                    "hostssl all          all                 127.0.0.1/32  scram-sha-256",
                    "",
                ]
            ),
            encoding="utf-8",
        )

    def start(self) -> None:
        self.run(self.postgres.program("pg_ctl"), "-D", str(self.datadir), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.datadir / "postmaster.pid").exists():
            self.run(self.postgres.program("pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        done = subprocess.run(
            [self.postgres.program("pg_ctl"), "-D", str(self.datadir), "status"],
            user=self.postgres.uid,
            group=self.postgres.gid,
            cwd=self.datadir.parent,
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def promote(self) -> None:
        self.run(self.postgres.program("pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60", "promote")

    def base_backup_from(self, source: Server) -> None:
        """A fresh copy of ``source`` that streams from it (``-R``), then this server's own settings."""
        if self.datadir.exists():
            shutil.rmtree(self.datadir)
        self.run(
            self.postgres.program("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(source.port),
            "-U",
            REPLICATION_USER,
            "-D",
            str(self.datadir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            env={"PGPASSWORD": self.replication_password, "PGSSLMODE": "require"},
        )
        self.configure()
        self.write_upstream(source)

    # ------------------------------------------------------------------ SQL as the control plane

    def sql(self, statement: str, params: tuple[Any, ...] = (), *, database: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=ADMIN_USER,
            password=self.admin_password,
            dbname=database,
            sslmode="disable",
            connect_timeout=3,
            autocommit=True,
            cursor_factory=psycopg.ClientCursor,  # parameters in utility statements (ALTER SYSTEM, CREATE ROLE) too
        ) as connection:
            cursor = connection.execute(statement, params)  # type: ignore[arg-type]
            return list(cursor.fetchall()) if cursor.description else []

    def in_recovery(self) -> bool:
        return bool(self.sql("SELECT pg_is_in_recovery()")[0][0])

    def wait_until(self, predicate: Any, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except Exception as error:  # not up yet
                last = error
            time.sleep(0.1)
        raise ServerError(f"{self.cluster}: {what} not reached in {timeout:.0f} s ({last})")

    def upstream(self, source: Server) -> str:
        return (
            f"host=127.0.0.1 port={source.port} user={REPLICATION_USER} password={self.replication_password} "
            f"sslmode=require application_name={self.cluster}"
        )

    def write_upstream(self, source: Server) -> None:
        """Stream from ``source`` at the next start (``postgresql.auto.conf``, as ``pg_basebackup -R`` writes it)."""
        auto = self.datadir / "postgresql.auto.conf"
        lines = [line for line in auto.read_text(encoding="utf-8").splitlines() if not line.startswith("primary_conninfo")]
        lines.append(f"primary_conninfo = '{self.upstream(source)}'")
        auto.write_text("\n".join(lines) + "\n", encoding="utf-8")
        (self.datadir / "standby.signal").touch()
        self.own(self.datadir / "standby.signal")

    def set_upstream(self, source: Server) -> None:
        """Stream from ``source`` now (PostgreSQL >= 13 applies ``primary_conninfo`` on reload)."""
        self.sql("ALTER SYSTEM SET primary_conninfo = %s", (self.upstream(source),))
        self.sql("SELECT pg_reload_conf()")
