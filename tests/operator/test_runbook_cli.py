"""The operator's runbook CLI, as an operator runs it (its behaviour against AWS is in the drill)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT_DIR

NO_CREDENTIALS = {
    "PATH": "/usr/bin:/bin",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
DEPRECATION = "drkit: `python -m tools.runbook` is deprecated and goes away in 0.7: run `drkit runbook` (same arguments)"


def runbook(*args: str, module: tuple[str, ...] = ("drkit", "runbook"), env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *module, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_runbook_cli_without_credentials_is_one_line(tmp_path: Path) -> None:
    completed = runbook("status", "--env", "production", env={**NO_CREDENTIALS, "HOME": str(tmp_path)})
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == ["drkit: AWS call failed (reading in us-east-1): Unable to locate credentials"]


def test_runbook_cli_refuses_a_region_outside_the_environment() -> None:
    completed = runbook("switchover", "--env", "production", "--to", "eu-west-1")
    assert completed.returncode == 3
    assert completed.stderr.strip() == "drkit: --to eu-west-1: not a region of production (us-east-1, us-west-2)"


def test_the_old_module_says_it_is_deprecated_once_and_runs_the_same_runbook() -> None:
    """``python -m tools.runbook`` (0.5) keeps working for one release: one line names ``drkit runbook``."""
    completed = runbook("switchover", "--env", "production", "--to", "eu-west-1", module=("tools.runbook",))
    assert completed.returncode == 3
    assert completed.stderr.strip().splitlines() == [DEPRECATION, "drkit: --to eu-west-1: not a region of production (us-east-1, us-west-2)"]


def test_the_configuration_is_the_current_directorys(tmp_path: Path) -> None:
    """An installed ``drkit`` has no repository: it reads ``cdktf.json`` where it runs (or ``$DR_CONFIG``)."""
    completed = subprocess.run(
        [sys.executable, "-m", "drkit", "runbook", "status", "--env", "production"],
        cwd=tmp_path, env={**NO_CREDENTIALS, "HOME": str(tmp_path), "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 2
    assert str(tmp_path / "cdktf.json") in completed.stderr
