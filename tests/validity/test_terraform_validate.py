"""Real `terraform init` (offline through the mirror when present) and `terraform validate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from drkit.terraform import run

pytestmark = pytest.mark.validity


def validate(stack_dir: Path) -> None:
    run(["init", "-backend=false", "-input=false"], stack_dir)
    output = run(["validate"], stack_dir)
    assert "Success! The configuration is valid." in output


@pytest.mark.parametrize("name", ["dev", "staging", "production", "local"])
def test_shipped_stack_is_valid_terraform(shipped_dir: Path, name: str) -> None:
    validate(shipped_dir / "stacks" / f"dr-{name}")


def test_three_region_stack_is_valid_terraform(synth_dir: Path) -> None:
    validate(synth_dir / "stacks" / "dr-three")
