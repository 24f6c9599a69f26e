"""``python -m drkit_lab.gameday [--scenario NAME] [--engine runbook|arc]`` (``make gameday [SCENARIO=NAME] [ENGINE=arc]``): rehearse outages locally.

Runs against the local deployment (the one ``make deploy-local`` leaves running; it is deployed
first when none is), on a simulated clock, as the DR role. Prints each scenario's checks and figures
and writes its report to ``.drkit/gameday/``. Exit code 0 when every scenario passed, 1 otherwise,
75 when another invocation owns the local deployment.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from drkit_lab.gameday.clock import resume
from drkit_lab.gameday.scenarios import SCENARIOS

CLOCK_FILE = "gameday-clock.json"  # where the last game day's simulated clock stopped


def run_scenarios(deployment: Any, names: list[str], engine: str = "runbook") -> list[Any]:
    """Every scenario in ``names`` against the running ``deployment``; each report is written and printed.
    ``engine``: what moves the writer, drkit's runbook or the environment's ARC plan (``drkit_lab.gameday.arc``)."""
    from drkit_lab import drill
    from drkit_lab.deploy_local import plan_no_changes, terraform_outputs
    from drkit_lab.gameday.report import summary, write
    from drkit_lab.gameday.world import GameDay

    outputs = terraform_outputs(deployment)
    env = deployment.environment()
    operations = env.dr_operations
    operator = drill.operator_credentials(deployment, outputs["dr_operations_role_arn"], operations.external_id, dict(operations.principal_tags))
    saved = Path(deployment.state_dir) / CLOCK_FILE
    last = datetime.fromisoformat(json.loads(saved.read_text(encoding="utf-8"))["clock"]) if saved.is_file() else None
    gd = GameDay(deployment, outputs, operator, clock=resume(last), plan=lambda name: plan_no_changes(deployment, f"{name}.log"), engine=engine)
    outcomes = []
    try:
        with gd.pager():
            for name in names:
                outcome = SCENARIOS[name](gd)
                json_path, md_path = write(gd, outcome, Path(deployment.state_dir).parent / "gameday")
                deployment.say(summary(outcome))
                deployment.say(f"  report: {md_path} (and {json_path.name}); {gd.wall_seconds:.0f} s of wall time so far")
                outcomes.append(outcome)
            gd.begin("restore")  # every region up, every monitor running, the writer home
    finally:
        saved.write_text(json.dumps({"clock": gd.clock.now.isoformat()}), encoding="utf-8")
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drkit_lab.gameday", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="all", choices=["all", *SCENARIOS], help="one scenario, or all of them in order")
    parser.add_argument("--engine", default="runbook", choices=["runbook", "arc"], help="what moves the writer: drkit's runbook or the ARC plan")
    args = parser.parse_args(argv)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    from drkit_lab.deploy_local import Deployment, StepFailed, attach, deploy, run

    def gameday(deployment: Deployment) -> None:
        if not attach(deployment):
            deployment.say("drkit: no local deployment is running: deploying it first (the main job)")
            deploy(deployment)
        mover = "the ARC plan" if args.engine == "arc" else "the runbook"
        with deployment.step("gameday", f"scenarios: {', '.join(names)} (simulated clock, as the DR role, through {mover})"):
            failed = [o.scenario for o in run_scenarios(deployment, names, args.engine) if not o.passed]
            if failed:
                raise StepFailed("gameday", f"scenario(s) failed: {', '.join(failed)} (reports in .drkit/gameday/)")

    return run(gameday, Deployment())


if __name__ == "__main__":
    sys.exit(main())
