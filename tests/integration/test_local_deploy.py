"""The main job end to end on the emulator: apply, smoke, no-change re-plan, drill, destroy, leftovers.

One scenario, phases in order; each phase's wall time is printed (run with -s to see it live,
the summary is in the test report either way).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from tools.deploy_local import Deployment, deploy, destroy, plan_json
from tools.emulator import process as emulator_process
from tools.emulator.process import isolated_env
from tools.plan_review import review

pytestmark = pytest.mark.integration


def test_deploy_drill_and_destroy_on_the_emulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deployment = Deployment(state_dir=tmp_path / "local")
    try:
        report = deploy(deployment)
        topology = report["global"]
        assert len(topology["members"]) == 2
        assert topology["writer_region"] == "us-east-1"
        assert set(report["regions"]) == {"us-east-1", "us-west-2"}
        for region, facts in report["regions"].items():
            assert len(facts["clusters"]) == 1, region
            assert facts["instances"] == 2, region
            assert facts["peerings"] == ["active"], region
            assert facts["secrets"] == 1 and facts["kms_keys"] == 1, region
        assert report["replan_no_changes"] is True
        assert report["drill"]["results"] == ["dry-run", "completed", "no-op", "completed"]
        assert report["drill"]["writer_after"] == "us-east-1"
        assert sorted(line.split()[0] for line in report["dns"]) == [
            "db.local.drkit.internal.",
            "db.local.drkit.internal.",
            "writer.local.drkit.internal.",
        ]
        for region, facts in report["regions"].items():
            assert any("rate(1 minute)" in rule for rule in facts["schedules"]), region
            assert facts["monitor_concurrency"] == 5, region
        assert any(a.endswith("-rpo-lag") for a in report["regions"]["us-west-2"]["alarms"])
        assert report["monitor"]["status"] == "OK" and report["monitor"]["writer_region"] == "us-east-1"

        # The master password reached AWS through write-only arguments only: not in the state.
        s3 = deployment.client("s3")
        config = json.loads((deployment.state_dir / "environments.json").read_text())["local"]
        listing = s3.list_objects_v2(Bucket=config["state_bucket"])["Contents"]
        state_keys = [o["Key"] for o in listing if o["Key"].endswith(".tfstate")]
        assert state_keys, listing
        state = s3.get_object(Bucket=config["state_bucket"], Key=state_keys[0])["Body"].read().decode()
        assert '"aws_rds_global_cluster"' in state
        assert deployment.password not in state
        for log in ("apply.log", "replan.log"):
            assert deployment.password not in (deployment.state_dir / log).read_text()

        # Plan review on real plans against the emulator: the guard stays quiet on a no-change
        # plan and refuses a production plan that destroys stateful resources.
        quiet = review(plan_json(deployment), "production")
        assert quiet.counts == Counter() and quiet.blocked == ()
        destroying = review(plan_json(deployment, destroy=True), "production")
        blocked_types = {address.split(".")[0] for address in destroying.blocked}
        assert {"aws_rds_global_cluster", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_kms_key", "aws_secretsmanager_secret"} <= blocked_types
        assert review(plan_json(deployment, destroy=True), "production", frozenset(destroying.blocked)).blocked == ()

        # The DR role's trust policy, as AWS stores it: valid JSON with the configured ExternalId.
        role = deployment.client("iam").get_role(RoleName="drkit-local-dr-operations")["Role"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(urllib.parse.unquote(trust)) if isinstance(trust, str) else trust
        (statement,) = trust["Statement"]
        assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == config["dr_operations"]["external_id"]
        assert statement["Principal"]["AWS"] == "arn:aws:iam::123456789012:root"

        # The runbook CLI, as an operator runs it, against the emulator.
        cli_env = isolated_env(dict(os.environ), {"AWS_ENDPOINT_URL": deployment.url, "DR_CONFIG": str(deployment.state_dir / "environments.json")})
        status = subprocess.run(
            [sys.executable, "-m", "functions.failover", "status", "--env", "local"], env=cli_env, capture_output=True, text=True, check=False
        )
        assert status.returncode == 0, status.stderr
        assert "WRITER    drkit-local-us-east-1 (us-east-1)" in status.stdout
        dry_run = subprocess.run(
            [sys.executable, "-m", "functions.failover", "switchover", "--env", "local", "--to", "us-west-2", "--dry-run"],
            env=cli_env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert dry_run.returncode == 0, dry_run.stdout + dry_run.stderr
        assert "dry run: nothing was changed" in dry_run.stdout
        refused = subprocess.run(
            [sys.executable, "-m", "functions.failover", "switchover", "--env", "local", "--to", "eu-west-1"],
            env=cli_env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert refused.returncode == 3 and "eu-west-1 is not a member region" in refused.stdout

        leftovers = destroy(deployment)
        assert leftovers == {}
        assert emulator_process.running(deployment.state_dir) is None
    finally:
        emulator_process.stop(deployment.state_dir)
        with capsys.disabled():
            phases = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in deployment.timings.items())
            print(f"\n[emulator phases] {phases}")
