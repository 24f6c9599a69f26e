"""Start, find and stop the local emulator process (PID file + port file under .drkit/local)."""

from __future__ import annotations

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

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOCAL_DIR = PROJECT_DIR / ".drkit" / "local"
PID_FILE = LOCAL_DIR / "emulator.json"
FAKE_CREDENTIALS = {
    # The emulator accepts any key; these keep every AWS client away from the user's real
    # credentials and config files.
    "AWS_ACCESS_KEY_ID": "drkit-local",
    "AWS_SECRET_ACCESS_KEY": "drkit-local",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


# Variables that would make a client pick up the user's real identity instead.
USER_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")


def isolated_env(base: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` without the user's AWS identity, with fake credentials (and ``extra``) instead."""
    env = {key: value for key, value in base.items() if key not in USER_AWS_VARIABLES}
    env.update(FAKE_CREDENTIALS)
    env.update(extra or {})
    return env


class EmulatorError(RuntimeError):
    pass


@dataclass(frozen=True)
class Emulator:
    pid: int
    port: int

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


def running(state_dir: Path = LOCAL_DIR) -> Emulator | None:
    pid_file = state_dir / PID_FILE.name
    if not pid_file.is_file():
        return None
    data = json.loads(pid_file.read_text(encoding="utf-8"))
    emulator = Emulator(pid=int(data["pid"]), port=int(data["port"]))
    return emulator if emulator.is_alive() else None


def start(state_dir: Path = LOCAL_DIR, timeout: float = 60) -> Emulator:
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (state_dir / "emulator.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.emulator.server", "--port", str(port)],
        cwd=PROJECT_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=isolated_env(dict(os.environ)),
        start_new_session=True,  # Ctrl-C in the terminal reaches drkit, which stops it in order
    )
    emulator = Emulator(pid=process.pid, port=port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"the emulator exited at start-up (see {state_dir / 'emulator.log'})")
        if responds(emulator.url):
            (state_dir / PID_FILE.name).write_text(json.dumps({"pid": process.pid, "port": port}), encoding="utf-8")
            return emulator
        time.sleep(0.2)
    process.kill()
    raise EmulatorError(f"the emulator did not answer on {emulator.url} within {timeout:.0f} s")


def stop(state_dir: Path = LOCAL_DIR) -> bool:
    """Stop the emulator recorded in ``state_dir``; True when one was running."""
    pid_file = state_dir / PID_FILE.name
    if not pid_file.is_file():
        return False
    pid = int(json.loads(pid_file.read_text(encoding="utf-8"))["pid"])
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True
