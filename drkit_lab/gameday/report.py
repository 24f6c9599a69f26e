"""The local game day's report: the document of one scenario, written as JSON and Markdown.

The rendering is the operator's (:mod:`drkit.report`), shared with the FIS game day on AWS.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drkit.report import budget_document, commit, markdown
from drkit_lab.emulator.process import PROJECT_DIR
from drkit_lab.gameday.scenarios import Outcome
from drkit_lab.gameday.world import GameDay


def document(gd: GameDay, outcome: Outcome) -> dict[str, Any]:
    config = json.loads(Path(gd.deployment.config_path).read_text(encoding="utf-8"))
    budget = gd.env.recovery_budget
    return {
        "scenario": outcome.scenario,
        "outcome": "passed" if outcome.passed else "FAILED",
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": {
            "name": gd.env.name,
            "environment": gd.env.environment,
            "regions": gd.regions,
            "configuration_sha256": hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest(),
        },
        "commit": commit(PROJECT_DIR),
        "simulated_clock": {"fault_at": gd.clock.fault_at.isoformat() if gd.clock.fault_at else None, "wall_seconds": round(gd.wall_seconds, 1)},
        "budget": budget_document(budget),
        "measured": outcome.measured,
        "checks": [{"expected": c.expected, "passed": c.passed, "observed": c.observed} for c in outcome.checks],
        "notes": outcome.notes,
        "timeline": gd.timeline(),
    }


def write(gd: GameDay, outcome: Outcome, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    doc = document(gd, outcome)
    stem = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{outcome.scenario}"
    json_path, md_path = directory / f"{stem}.json", directory / f"{stem}.md"
    json_path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    md_path.write_text(markdown(doc), encoding="utf-8")
    return json_path, md_path


def summary(outcome: Outcome) -> str:
    lines = [f"game day {outcome.scenario}: {'passed' if outcome.passed else 'FAILED'}"]
    for check in outcome.checks:
        lines.append(f"  [{'ok' if check.passed else 'FAILED'}] {check.expected}: {check.observed}")
    for key, value in outcome.measured.items():
        lines.append(f"  {key}: {value}")
    return "\n".join(lines)
