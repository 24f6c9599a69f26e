"""tools/precompile.py writes the optimized bytecode a `python -O` synth loads, even where
PYTHONDONTWRITEBYTECODE is set (as on the CI image)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT_DIR


def run_precompile(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache"), "DR_CONFIG": str(tmp_path / "absent.json")}
    return subprocess.run(
        [sys.executable, *flags, "-m", "tools.precompile"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_writes_opt1_bytecode_for_cdktf_and_the_provider_modules_a_synth_uses(tmp_path: Path) -> None:
    completed = run_precompile(tmp_path, "-O")
    assert completed.returncode == 0, completed.stderr
    written = {path.relative_to(tmp_path / "pycache").as_posix() for path in (tmp_path / "pycache").rglob("*.opt-1.pyc")}
    assert any(path.endswith(f"site-packages/cdktf/__init__.{sys.implementation.cache_tag}.opt-1.pyc") for path in written)
    assert any(path.endswith(f"cdktf_cdktf_provider_aws/vpc/__init__.{sys.implementation.cache_tag}.opt-1.pyc") for path in written)
    assert not any("cdktf_cdktf_provider_aws/lexv2models_intent/" in path for path in written)  # only what synth imports
    assert "precompile: optimized bytecode in place for" in completed.stdout


def test_refuses_to_run_without_optimization(tmp_path: Path) -> None:
    completed = run_precompile(tmp_path)
    assert completed.returncode == 2
    assert "run with `python -O -m tools.precompile`" in completed.stderr
    assert not (tmp_path / "pycache").exists()
