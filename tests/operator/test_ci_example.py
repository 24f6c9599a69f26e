"""The CI workflow example a team copies: it parses, and every command it runs exists here."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.helpers import PROJECT_DIR

WORKFLOW = PROJECT_DIR / "docs" / "ci" / "github-actions.yml"


def workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return document


def commands() -> list[str]:
    return [step["run"] for job in workflow()["jobs"].values() for step in job["steps"] if "run" in step]


def test_plan_on_pull_request_apply_on_merge_production_behind_approval() -> None:
    document = workflow()
    jobs = document["jobs"]
    assert document["permissions"]["id-token"] == "write"  # OIDC, no long-lived keys
    assert jobs["plan"]["if"] == "github.event_name == 'pull_request'"
    assert any("--markdown" in step.get("run", "") for step in jobs["plan"]["steps"])
    apply = jobs["apply"]
    assert apply["if"] == "github.event_name == 'push'" and apply["strategy"]["matrix"]["env"] == ["dev", "staging", "production"]
    assert apply["environment"] == "${{ matrix.env }}" and apply["strategy"]["max-parallel"] == 1  # production last, behind its approval
    applied = [step["run"] for step in jobs["apply"]["steps"] if "apply" in step.get("run", "") and step["run"].startswith("terraform")]
    assert applied and all("drkit.tfplan" in run for run in applied)  # only the reviewed plan is applied


def test_every_make_target_module_and_drkit_command_the_workflow_runs_exists() -> None:
    from drkit.cli import COMMANDS

    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    assert any("drkit plan" in run for run in commands())
    for run in commands():
        for command in re.findall(r"\bdrkit ([a-z]+)", run):
            assert command in COMMANDS, run
        for target in re.findall(r"\bmake ([a-z-]+)", run):
            assert target in targets, run
        for module in re.findall(r"-m ([a-z_.]+)", run):
            assert (PROJECT_DIR / (module.replace(".", "/") + ".py")).is_file() or (PROJECT_DIR / module.replace(".", "/")).is_dir(), run
