"""`python main.py` as a user runs it: bad input is one line, exit 2, and no output is touched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR, minimal_environment


def run_main(tmp_path: Path, document: object) -> tuple[subprocess.CompletedProcess[str], Path]:
    config = tmp_path / "environments.json"
    config.write_text(json.dumps(document))
    outdir = tmp_path / "cdktf.out"
    env = {"PATH": "/usr/bin:/bin", "DR_CONFIG": str(config), "CDKTF_OUTDIR": str(outdir)}
    completed = subprocess.run([sys.executable, "-O", "main.py"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)
    return completed, outdir


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"dev": minimal_environment(vpc_cidrs={"us-east-1": "10.0.0.0/16", "us-west-2": "10.0.0.0/17"})}, "overlaps"),
        ({"dev": minimal_environment(aurora_engine_version="15.4")}, "'15.4' does not support Aurora Global Database"),
        ({"dev": minimal_environment(primary_region="mars-1")}, "unknown AWS region 'mars-1'"),
        (["not", "an", "object"], "environments: expected an object"),
    ],
)
def test_bad_configuration_is_one_line_and_writes_nothing(tmp_path: Path, document: object, expected: str) -> None:
    completed, outdir = run_main(tmp_path, document)
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("drkit: invalid configuration: ") and expected in lines[0]
    assert "Traceback" not in completed.stderr
    assert not outdir.exists()
    assert not any(p.name.startswith(".cdktf.out") for p in tmp_path.iterdir())


def test_existing_output_is_left_alone_on_error(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    (outdir / "marker").write_text("previous synth")
    completed, _ = run_main(tmp_path, {"dev": minimal_environment(monitor_reserved_concurrency=0)})
    assert completed.returncode == 2
    assert (outdir / "marker").read_text() == "previous synth"
