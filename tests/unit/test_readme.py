"""The README stays true: its settings table is the model's, and its layout and tables name what exists."""

from __future__ import annotations

import re
from pathlib import Path

from constructs_lib.config.reference import settings_table
from tests.helpers import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def between(text: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker}:begin -->\n(.*?)\n<!-- {marker}:end -->", text, re.S)
    assert match, f"README has no {marker}:begin/end markers"
    return match.group(1)


def test_the_settings_table_is_the_model() -> None:
    assert between(README, "settings") == settings_table(), (
        "the README's settings table differs from the model: paste `.venv/bin/python -m constructs_lib.config.reference`"
    )


def test_every_path_of_the_architecture_tree_exists() -> None:
    tree = between(README, "layout")
    parents: list[str] = []
    missing = []
    for line in tree.splitlines():
        if not line.strip() or line.startswith("```"):
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        for path in line.split("  ")[0].strip().split(" + "):  # "a.py + b/" names two entries
            parents = [*parents[:depth], path]
            full = "".join(parents)
            if not any(PROJECT_DIR.glob(full.rstrip("/"))):
                missing.append(full)
    assert missing == [], "the README's layout names paths that do not exist"


def test_every_emulator_patch_is_in_the_readme_table() -> None:
    import importlib

    from drkit_lab.emulator.patches import registry

    for module in registry.SERVICE_MODULES:
        importlib.import_module(f"drkit_lab.emulator.patches.{module}")
    table = between(README, "patches")
    assert sorted(p.__name__ for p in registry.PATCHES if f"`{p.__name__}`" not in table) == []


def test_every_make_target_is_in_the_command_table() -> None:
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z-]*):.*## ", makefile, re.M)
    table = between(README, "commands")
    assert [t for t in targets if f"`make {t}" not in table and t != "help"] == []


def test_the_architecture_diagram_is_drawn_from_the_dev_stack(shipped_dir: Path) -> None:
    """The figure is `make diagram ENV=dev`: a change to what dev deploys changes the picture, or this fails."""
    import json

    from drkit.diagram import render

    stack = json.loads((shipped_dir / "stacks" / "dr-dev" / "cdk.tf.json").read_text(encoding="utf-8"))
    assert between(README, "diagram") == "```mermaid\n" + render(stack) + "\n```", (
        "the README's diagram differs from the dev stack: paste `make diagram ENV=dev`"
    )
