"""The operator's runbook CLI, as an operator runs it (its behaviour against AWS is in the drill)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT_DIR


def test_runbook_cli_without_credentials_is_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "drkit.runbook", "status", "--env", "production"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == ["drkit: AWS call failed (reading in us-east-1): Unable to locate credentials"]


def test_runbook_cli_refuses_a_region_outside_the_environment() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "drkit.runbook", "switchover", "--env", "production", "--to", "eu-west-1"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 3
    assert completed.stderr.strip() == "drkit: --to eu-west-1: not a region of production (us-east-1, us-west-2)"
