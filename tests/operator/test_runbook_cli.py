"""The operator's runbook CLI, as an operator runs it (its behaviour against AWS is in the drill)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_session_that_expires_during_a_restore_says_what_to_do_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The DR role's session lasts an hour, a restore can last longer: the CLI never ends in a traceback; it says to
    assume the role again and run the same command, which resumes."""
    from botocore.exceptions import ClientError

    from drkit import restore, runbook

    plan = restore.RestorePlan(
        source_arn="arn:aws:rds:us-east-1:111111111111:cluster:drkit-production-us-east-1", region="us-east-1",
        identifier="drkit-production-us-east-1-restore-20261129140500", moment=restore.parse_time("2026-11-29T14:05:00Z"),
        subnet_group="s", security_groups=("sg-1",), parameter_group="p", kms_key=None, engine="aurora-postgresql", instance_class="db.r6g.large",
    )  # fmt: skip
    monkeypatch.setattr(restore, "plan_restore", lambda *args: (plan, None))
    for code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):

        def expire(*args: object, code: str = code, **kwargs: object) -> dict[str, object]:
            raise ClientError({"Error": {"Code": code, "Message": "The security token included in the request is expired"}}, "DescribeDBClusters")

        monkeypatch.setattr(restore, "execute", expire)
        assert runbook.main(["restore", "--env", "production", "--to-time", "2026-11-29T14:05:00Z", "--execute"]) == 1
        err = capsys.readouterr().err
        assert f"the AWS session expired ({code})" in err and "Assume the DR role again" in err and "Traceback" not in err
        assert "drkit runbook restore --env production --to-time 2026-11-29T14:05:00Z --execute" in err


def test_an_interrupted_restore_says_it_resumes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from drkit import restore, runbook

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(restore, "plan_restore", interrupt)
    assert runbook.main(["restore", "--env", "production", "--to-time", "2026-11-29T14:05:00Z", "--execute"]) == 130
    assert "run the same command again to resume" in capsys.readouterr().err
