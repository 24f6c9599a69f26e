"""Which PostgreSQL server binaries the data plane uses, and which unprivileged user runs them.

``python -m drkit_lab.dataplane.binaries [--install]`` (run by ``make install``) finds the newest
PostgreSQL >= 13 server (``/usr/lib/postgresql/<major>/bin``, Debian's layout, or ``pg_config
--bindir``); with ``--install``, as root on Debian, it installs the ``postgresql`` package when none is
found. It says which it uses. PostgreSQL refuses to run as root, so as root the servers run as the
``postgres`` system user (created with the Debian package) or, failing that, a ``drkit-postgres``
system user created here.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MINIMUM_MAJOR = 13
DEBIAN_ROOT = Path("/usr/lib/postgresql")
FALLBACK_USER = "drkit-postgres"
PROGRAMS = ("initdb", "pg_ctl", "postgres", "pg_basebackup")


class PostgresNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class Postgres:
    bindir: Path
    version: str
    user: str | None  # the unprivileged user servers run as; None: the current (non-root) user

    def program(self, name: str) -> str:
        return str(self.bindir / name)

    @property
    def uid(self) -> int | None:
        return None if self.user is None else pwd.getpwnam(self.user).pw_uid

    @property
    def gid(self) -> int | None:
        return None if self.user is None else pwd.getpwnam(self.user).pw_gid

    def describe(self) -> str:
        who = f"as user {self.user}" if self.user else "as the current user"
        return f"PostgreSQL {self.version} server binaries in {self.bindir}, run {who}"


def candidates() -> list[Path]:
    found = []
    if DEBIAN_ROOT.is_dir():
        majors = sorted((p for p in DEBIAN_ROOT.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
        found += [p / "bin" for p in majors if int(p.name) >= MINIMUM_MAJOR]
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            found.append(Path(done.stdout.strip()))
    return [p for p in found if all((p / name).is_file() for name in PROGRAMS)]


def version_of(bindir: Path) -> str:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+(?:\.\d+)*)", out)
    if not match:
        raise PostgresNotFound(f"{bindir}/postgres --version said {out.strip()!r}")
    return match.group(1)


def server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER], check=True)
    return FALLBACK_USER


def find() -> Postgres:
    for bindir in candidates():
        version = version_of(bindir)
        if int(version.split(".")[0]) >= MINIMUM_MAJOR:
            return Postgres(bindir=bindir, version=version, user=server_user())
    raise PostgresNotFound(
        f"no PostgreSQL >= {MINIMUM_MAJOR} server found (looked in {DEBIAN_ROOT}/<major>/bin and pg_config --bindir); "
        "on Debian: apt-get install postgresql (make install does it when run as root)"
    )


def install() -> None:
    """Debian's ``postgresql`` package, as root; without starting its own cluster."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresNotFound("PostgreSQL is missing and cannot be installed here (needs root and apt-get): install it and run make install again")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], check=True, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drkit_lab.dataplane.binaries", description=__doc__)
    parser.add_argument("--install", action="store_true", help="install Debian's postgresql when no server is found (root only)")
    args = parser.parse_args(argv)
    try:
        postgres = find()
    except PostgresNotFound as missing:
        if not args.install:
            print(f"drkit: {missing}", file=sys.stderr)
            return 1
        print("drkit: no PostgreSQL server found: installing Debian's postgresql package", flush=True)
        install()
        postgres = find()
    print(f"drkit: data plane: {postgres.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
