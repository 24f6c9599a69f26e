"""The main job end to end on the emulator: apply, smoke, no-change re-plan, drill, destroy, leftovers.

One scenario, phases in order; each phase's wall time is printed (run with -s to see it live,
the summary is in the test report either way).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.deploy_local import Deployment, deploy, destroy
from tools.emulator import process as emulator_process

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
        assert report["drill"]["writer_before"] == report["drill"]["writer_after"] == "us-east-1"

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

        leftovers = destroy(deployment)
        assert leftovers == {}
        assert emulator_process.running(deployment.state_dir) is None
    finally:
        emulator_process.stop(deployment.state_dir)
        with capsys.disabled():
            phases = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in deployment.timings.items())
            print(f"\n[emulator phases] {phases}")
