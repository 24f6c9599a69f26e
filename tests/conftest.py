"""Session-wide fixtures: synthesize the tests' own environments once (and the shipped ones once)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import speedups
from tests.helpers import FIXTURE_ENVIRONMENTS, PROJECT_DIR

# The suite synthesizes in-process, so it opts in to the synth speed-ups as main.py does.
speedups.enable(node_modules=PROJECT_DIR / "node_modules")
os.environ["TF_CLI_CONFIG_FILE"] = str(PROJECT_DIR / ".drkit" / "terraformrc")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")
FIXTURE_NAMES = ("dev", "prod", "three", "local")
# The two emulator cycles take minutes each and mostly wait on Terraform's polling: collected first, so
# `make test`'s two workers (`--dist loadfile --no-loadscope-reorder`) each start with one of them.
LONG_FIRST = ("tests/integration/test_local_cycle.py", "tests/integration/test_cdktf_cli.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(LONG_FIRST)))


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The environments of tests/fixtures/environments.json, synthesized once per test session."""
    from constructs_lib.config import load_settings
    from constructs_lib.synth import synthesize

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    synthesize(load_settings(PROJECT_DIR, environ={"DR_CONFIG": str(FIXTURE_ENVIRONMENTS)}), outdir)
    yield outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, dict[str, Any]]:
    from constructs_lib.synth import stack_json

    return {name: stack_json(synth_dir, f"dr-{name}") for name in FIXTURE_NAMES}


@pytest.fixture(scope="session")
def shipped_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The environments shipped in cdktf.json, synthesized once per test session."""
    from constructs_lib.config import load_settings
    from constructs_lib.synth import synthesize

    outdir = tmp_path_factory.mktemp("shipped") / "cdktf.out"
    synthesize(load_settings(PROJECT_DIR, environ={}), outdir)
    yield outdir


# CI runs the property tests with a fixed seed (a failure there is reproducible); locally they explore.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
