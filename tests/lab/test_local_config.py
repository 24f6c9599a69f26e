"""An environment re-pointed at the emulator (`LOCAL_ENV=<name>`): its DR role trusts the drill's operator."""

from __future__ import annotations

import pytest

from drkit_lab import deploy_local
from drkit_lab.deploy_local import local_config
from drkit_lab.drill import OPERATOR_USER


def test_production_re_pointed_trusts_the_drill_operator_with_its_principal_tags() -> None:
    """Production's trusted principals live in AWS; on the emulator the drill's operator (an IAM user, tagged as the
    trust policy requires) stands in for them, and MFA, which no access key carries, is not required."""
    (env,) = local_config("production", "http://127.0.0.1:4566").values()
    operations = env["dr_operations"]
    assert operations["trusted_principals"] == [f"arn:aws:iam::123456789012:user/{OPERATOR_USER}"]
    assert operations["principal_tags"] == {"drkit-dr-operator": "production"} and "require_mfa" not in operations
    assert env["environment"] == "local" and env["account_id"] == "123456789012"


def test_an_unknown_environment_is_one_line_before_anything_starts_or_is_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make deploy-local LOCAL_ENV=nosuch`: exit 2 with the value and where it was looked up, and no run (the run starts
    the emulator and writes the run's folder)."""
    started: list[object] = []
    monkeypatch.setattr(deploy_local, "run", lambda *args: started.append(args) or 0)
    assert deploy_local.main(["deploy", "--env", "nosuch"]) == 2
    assert started == []
    assert capsys.readouterr().err.startswith("drkit: nosuch: no such environment in ")
