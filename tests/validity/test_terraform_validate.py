"""Real `terraform init` (offline through the mirror when present) and `terraform validate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.terraform import run

pytestmark = pytest.mark.validity


@pytest.mark.parametrize("name", ["dev", "staging", "production", "local"])
def test_stack_is_valid_terraform(synth_dir: Path, name: str) -> None:
    stack_dir = synth_dir / "stacks" / f"dr-{name}"
    run(["init", "-backend=false", "-input=false"], stack_dir)
    output = run(["validate"], stack_dir)
    assert "Success! The configuration is valid." in output
