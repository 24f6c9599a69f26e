"""Start, find and stop emulator processes; one owner of a local deployment at a time.

* Every emulator is started with ``--home <state dir>`` on its command line, so
  :func:`emulators_of` finds every process the project started for that state dir, including ones
  whose record was lost (``destroy-local`` stops them all).
* :class:`OwnerLock` is an exclusive ``flock`` on ``<state dir>/owner.lock`` held for the whole
  of a deploy or destroy, with the holder described in ``owner.json``. A second invocation is
  refused with a message naming the first; the kernel releases the lock when its holder exits,
  however it exits, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

PROJECT_DIR = Path(__file__).resolve().parents[2]
DRKIT_DIR = PROJECT_DIR / ".drkit"
LOCAL_DIR = DRKIT_DIR / "local"  # `make deploy-local`
CLI_DIR = DRKIT_DIR / "emulator"  # `make emulator`, for the cdktf CLI
RECORD = "emulator.json"
FAKE_CREDENTIALS = {
    # The emulator accepts any key; these keep every AWS client away from the user's real
    # credentials and config files. They are the deployer's identity (an administrator).
    "AWS_ACCESS_KEY_ID": "drkit-local",
    "AWS_SECRET_ACCESS_KEY": "drkit-local",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Variables that would make a client pick up the user's real identity instead.
USER_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL")


def isolated_env(base: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` without the user's AWS identity, with fake credentials (and ``extra``) instead."""
    env = {key: value for key, value in base.items() if key not in USER_AWS_VARIABLES}
    env.update(FAKE_CREDENTIALS)
    env.update(extra or {})
    return env


class EmulatorError(RuntimeError):
    pass


class Busy(RuntimeError):
    """Another drkit invocation owns the local deployment."""


@dataclass(frozen=True)
class Emulator:
    pid: int
    port: int
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def is_alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return responds(self.url)


def responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def running(state_dir: Path = LOCAL_DIR) -> Emulator | None:
    """The emulator recorded for ``state_dir``, when it is alive and answering."""
    record = state_dir / RECORD
    if not record.is_file():
        return None
    data = json.loads(record.read_text(encoding="utf-8"))
    emulator = Emulator(pid=int(data["pid"]), port=int(data["port"]), log=Path(data["log"]) if data.get("log") else None)
    return emulator if emulator.is_alive() else None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _emulator_homes() -> dict[int, Path]:
    """Every live emulator process on this machine, with the state dir it was started for."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        args = _cmdline(int(entry.name))
        if "drkit_lab.emulator.server" in args and "--home" in args and args.index("--home") + 1 < len(args):
            found[int(entry.name)] = Path(args[args.index("--home") + 1])
    return found


def emulators_of(state_dir: Path) -> list[int]:
    """Pids of every live emulator process started for ``state_dir`` (found by its command line)."""
    home = state_dir.resolve()
    return sorted(pid for pid, where in _emulator_homes().items() if where == home)


def project_emulators(drkit_dir: Path = DRKIT_DIR) -> dict[int, Path]:
    """Every live emulator this checkout started, whatever it was started for (deploy-local, the cdktf CLI)."""
    root = drkit_dir.resolve()
    return {pid: where for pid, where in _emulator_homes().items() if where == root or root in where.parents}


def dataplane_wanted() -> bool:
    """The data plane runs when PostgreSQL is installed, unless ``DRKIT_DATAPLANE=0``."""
    if os.environ.get("DRKIT_DATAPLANE") == "0":
        return False
    from drkit_lab.dataplane.binaries import PostgresNotFound, find

    try:
        find()
    except PostgresNotFound:
        return False
    return True


def start(state_dir: Path = LOCAL_DIR, log: Path | None = None, port: int | None = None, timeout: float = 60, dataplane: bool = False) -> Emulator:
    state_dir.mkdir(parents=True, exist_ok=True)
    if port is not None and port_in_use(port):
        raise EmulatorError(f"port {port} is already in use on 127.0.0.1; stop what listens there (or `make destroy-local`)")
    port = port or free_port()
    log = log or state_dir / "emulator.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "drkit_lab.emulator.server",
                "--port",
                str(port),
                "--home",
                str(state_dir.resolve()),
                *(["--dataplane"] if dataplane else []),
            ],
            cwd=PROJECT_DIR,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=isolated_env(dict(os.environ)),
            start_new_session=True,  # Ctrl-C in the terminal reaches drkit, which stops it in order
        )
    emulator = Emulator(pid=process.pid, port=port, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"the emulator exited at start-up (see {log})")
        if responds(emulator.url):
            (state_dir / RECORD).write_text(json.dumps({"pid": process.pid, "port": port, "log": str(log)}), encoding="utf-8")
            return emulator
        time.sleep(0.2)
    _terminate(process.pid)
    raise EmulatorError(f"the emulator did not answer on {emulator.url} within {timeout:.0f} s (see {log})")


def _gone(pid: int) -> bool:
    """True once ``pid`` has exited: no such process, or a zombie (reaped here when it is our child).

    ``os.kill(pid, 0)`` succeeds on a zombie, so it cannot tell an emulator that has finished its
    shutdown from one still shutting down; /proc can.
    """
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def _terminate(pid: int, grace: float = 30.0) -> bool:
    """SIGTERM, then wait for the emulator's own shutdown (a data plane stops its servers), then SIGKILL.

    The grace is generous because the shutdown is what removes the data plane's servers and files;
    ``stop`` cleans up after a killed emulator only once it is really gone.
    """
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    for _ in range(100):
        if _gone(pid):
            break
        time.sleep(0.05)
    return True


def stop(state_dir: Path = LOCAL_DIR, only: int | None = None) -> list[int]:
    """Stop emulators of ``state_dir``: the one with pid ``only``, or every one found. Returns the pids stopped."""
    record = state_dir / RECORD
    targets = [only] if only is not None else emulators_of(state_dir)
    stopped = [pid for pid in targets if _terminate(pid)]
    if not emulators_of(state_dir):  # servers of a data plane whose emulator could not clean up
        from drkit_lab.dataplane.plane import cleanup

        cleanup(state_dir)
    if record.is_file():
        recorded = int(json.loads(record.read_text(encoding="utf-8"))["pid"])
        if only is None or recorded == only:
            record.unlink()
    return stopped


class OwnerLock:
    """Exclusive ownership of a local deployment (``with OwnerLock(state_dir, "deploy"):``)."""

    def __init__(self, state_dir: Path, action: str) -> None:
        self.state_dir = state_dir
        self.action = action
        self._handle: int | None = None

    def __enter__(self) -> OwnerLock:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.state_dir / "owner.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise Busy(self._describe_holder()) from None
        self._handle = handle
        owner = {"pid": os.getpid(), "action": self.action, "command": " ".join(_cmdline(os.getpid())), "started": time.time()}
        (self.state_dir / "owner.json").write_text(json.dumps(owner), encoding="utf-8")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        if self._handle is not None:
            (self.state_dir / "owner.json").unlink(missing_ok=True)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)
            self._handle = None

    def _describe_holder(self) -> str:
        try:
            owner = json.loads((self.state_dir / "owner.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return f"another drkit invocation holds {self.state_dir / 'owner.lock'}; wait for it to finish"
        age = time.time() - float(owner.get("started", time.time()))
        return (
            f"another local {owner.get('action', 'operation')} is running (pid {owner.get('pid')}, started {age:.0f} s ago: "
            f"{owner.get('command', '?')}); wait for it to finish, or stop it, then try again"
        )
