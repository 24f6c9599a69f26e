"""Session-wide fixtures: synthesize every environment once and share the JSON."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT_DIR

os.environ["TF_CLI_CONFIG_FILE"] = str(PROJECT_DIR / ".drkit" / "terraformrc")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """All environments of cdktf.json, synthesized once per test session."""
    from constructs_lib.config import load_settings
    from constructs_lib.synth import synthesize

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    synthesize(load_settings(PROJECT_DIR, environ={}), outdir)
    yield outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, dict[str, Any]]:
    from constructs_lib.synth import stack_json

    return {name: stack_json(synth_dir, f"dr-{name}") for name in ("dev", "staging", "production", "local")}


# CI runs the property tests with a fixed seed (a failure there is reproducible); locally they explore.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
