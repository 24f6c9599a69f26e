"""Every example synthesizes from its own directory and is valid Terraform: what a new user copies works."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drkit.terraform import run
from tests.helpers import PROJECT_DIR

pytestmark = pytest.mark.validity
EXAMPLES = PROJECT_DIR / "examples"


def synthesize(example: Path, workdir: Path) -> Path:
    """Run the example as its README says, from a copy of its directory; the synthesized output folder."""
    shutil.copytree(example, workdir, dirs_exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in {"CDKTF_OUTDIR", "DR_CONFIG", "DR_ENVIRONMENTS"}}
    completed = subprocess.run([sys.executable, "app.py"], cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return workdir / "cdktf.out"


def test_the_two_region_example_synthesizes_and_validates(tmp_path: Path) -> None:
    outdir = synthesize(EXAMPLES / "two_region", tmp_path / "two_region")
    stack_dir = outdir / "stacks" / "shop-dr"
    document = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    resources = document["resource"]
    assert len(resources["aws_vpc"]) == 2 and len(resources["aws_rds_cluster"]) == 2 and len(resources["aws_route53_zone"]) == 1
    assert {p["region"] for p in document["provider"]["aws"]} == {"us-east-1", "us-west-2"}
    assert "drkit" not in json.dumps(document)  # the user's names only
    run(["init", "-backend=false", "-input=false"], stack_dir)
    assert "The configuration is valid" in run(["validate"], stack_dir)


def test_every_example_is_listed_and_tested() -> None:
    listed = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for example in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        assert f"[`{example.name}/`]" in listed, f"examples/README.md does not list {example.name}"
        assert f'"{example.name}"' in Path(__file__).read_text(encoding="utf-8"), f"no test synthesizes examples/{example.name}"
