"""The distribution: a wheel of the product alone, installed into a fresh virtualenv, used from outside the repository.

The wheel is built from a copy of the checkout (the build never writes into it). The fresh virtualenv
gets its dependencies from the project's ``.venv`` through a ``.pth`` file (no network, no second
copy of cdktf), and the wheel with ``--no-deps``. Then, from a directory outside the repository, the
two-region example synthesizes and ``drkit`` runs the runbook: every module they load must come
from the virtualenv, so nothing reaches back into the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from drkit import __version__
from tests.helpers import PROJECT_DIR

LEFT_OUT = (
    ".git",
    ".venv",
    ".venv-checkov",
    "node_modules",
    ".drkit",
    "cdktf.out",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)
SHIPPED = {"constructs_lib", "functions", "drkit", f"drkit-{__version__}.dist-info"}
# Runs a script and fails if it opens or executes anything of the checkout (its .venv holds the dependencies).
WATCHED = """
import json, runpy, sys
checkout, dependencies = sys.argv[1], sys.argv[2]
reached = []

def audit(event, args):
    if event in ("open", "os.exec", "subprocess.Popen") and args and isinstance(args[0], (str, bytes)):
        path = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if path.startswith(checkout) and not path.startswith(dependencies):
            reached.append(path)

sys.addaudithook(audit)
sys.argv = ["app.py"]
runpy.run_path("app.py", run_name="__main__")
print(json.dumps(sorted(set(reached))))
"""
WHERE = """
import json, constructs_lib, drkit, functions, constructs_lib.lambda_package as lp
print(json.dumps({name: module.__file__ for name, module in (("constructs_lib", constructs_lib), ("drkit", drkit), ("functions", functions))}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "drkit"
    shutil.copytree(PROJECT_DIR, source, ignore=shutil.ignore_patterns(*LEFT_OUT))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert completed.returncode == 0, completed.stderr[-3000:]
    (built,) = out.glob("drkit-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, timeout=120)
    python = home / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True, text=True, check=True)
    # The project's dependencies (cdktf, the provider binding, boto3), after the venv's own site-packages.
    Path(purelib.stdout.strip(), "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)]
    completed = subprocess.run(install, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return home


def outside_env() -> dict[str, str]:
    """No PYTHONPATH, no configuration of this checkout: what a user's shell has."""
    dropped = {"PYTHONPATH", "DR_CONFIG", "DR_ENVIRONMENTS", "CDKTF_OUTDIR", "JSII_NODE", "NODE_OPTIONS", "TF_CLI_CONFIG_FILE"}
    return {key: value for key, value in os.environ.items() if key not in dropped}


def test_the_wheel_holds_the_product_and_nothing_of_the_lab(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"drkit-{__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"drkit-{__version__}.dist-info/entry_points.txt").decode()
    assert {name.split("/")[0] for name in names} == SHIPPED
    for data in (
        "constructs_lib/data/aurora_postgresql_global_versions.json",
        "constructs_lib/node/lazy-provider-exports.cjs",
        "constructs_lib/py.typed",
    ):
        assert data in names
    for source in ("functions/failover/handler.py", "functions/replication_monitor/handler.py", "drkit/cli.py", "constructs_lib/network.py"):
        assert source in names
    assert "drkit = drkit.cli:main" in entry_points
    assert f"Version: {__version__}" in metadata and "Requires-Python: >=3.11" in metadata
    for requirement in ("cdktf==0.21.0", "cdktf-cdktf-provider-aws==20.1.0", "constructs==10.4.2", 'moto[server]==5.2.1; extra == "lab"'):
        assert f"Requires-Dist: {requirement}" in metadata


def test_the_installed_wheel_synthesizes_the_example_outside_the_repository(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    where = subprocess.run([python, "-c", WHERE], cwd=tmp_path, env=outside_env(), capture_output=True, text=True, timeout=120, check=True)
    for name, file in json.loads(where.stdout).items():
        assert Path(file).is_relative_to(venv), f"{name} was imported from {file}, not from the installed wheel"
    shutil.copytree(PROJECT_DIR / "examples" / "two_region", tmp_path / "app")
    dependencies = str(PROJECT_DIR / ".venv")
    watched = [python, "-c", WATCHED, str(PROJECT_DIR), dependencies]
    completed = subprocess.run(watched, cwd=tmp_path / "app", env=outside_env(), capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == [], "the installed package reached back into the checkout"
    stack = json.loads((tmp_path / "app" / "cdktf.out" / "stacks" / "shop-dr" / "cdk.tf.json").read_text(encoding="utf-8"))
    assert len(stack["resource"]["aws_rds_global_cluster"]) == 1 and len(stack["resource"]["aws_route53_zone"]) == 1


def test_the_installed_drkit_command_runs_the_runbook(venv: Path, tmp_path: Path) -> None:
    shutil.copy(PROJECT_DIR / "cdktf.json", tmp_path / "cdktf.json")  # an operator's checkout of their configuration
    drkit = str(venv / "bin" / "drkit")
    version = subprocess.run([drkit, "version"], cwd=tmp_path, env=outside_env(), capture_output=True, text=True, timeout=120, check=True)
    assert version.stdout.startswith(f"drkit {__version__} (cdktf 0.21.0, cdktf-cdktf-provider-aws 20.1.0")
    refused = subprocess.run(
        [drkit, "runbook", "switchover", "--env", "production", "--to", "eu-west-1"],
        cwd=tmp_path, env=outside_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (refused.returncode, refused.stderr.strip()) == (3, "drkit: --to eu-west-1: not a region of production (us-east-1, us-west-2)")
